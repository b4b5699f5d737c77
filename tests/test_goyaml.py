"""Plain YAML numbers read as go-yaml v2 reads them (kubectl, the API server), by both loaders."""

from __future__ import annotations

import math

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from rollsim.io.goyaml import SafeDumper
from rollsim.io.yamldoc import FastSafeLoader, SafeLoader

LOADERS = pytest.mark.parametrize("loader", [SafeLoader, FastSafeLoader], ids=["pure", "libyaml"])


def read(text: str, loader: type) -> object:
    return yaml.load(f"v: {text}", Loader=loader)["v"]


@LOADERS
@pytest.mark.parametrize(("text", "value"), [
    ("1e3", 1000.0), ("1E3", 1000.0), ("1e+3", 1000.0), ("1e-3", 0.001), ("1.5e3", 1500.0), ("10e-1", 1.0),
    ("-.5", -0.5), ("+.5", 0.5), (".5", 0.5), (".5e3", 500.0), ("-1.", -1.0), ("1.5", 1.5),
    ("08", 8.0), ("09.5", 9.5),  # not octal ints (ParseInt refuses them): yamlStyleFloat's
    ("1_0.5", 10.5), ("1_0e3", 10000.0), (".5_0", 0.5),  # underscores dropped, as go-yaml drops them
    ("1e-400", 0.0), (".inf", math.inf), ("-.Inf", -math.inf), ("+.INF", math.inf),
])
def test_go_yaml_floats_are_floats(loader: type, text: str, value: float) -> None:
    """go-yaml v2's yamlStyleFloat ``^[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?$`` (YAML 1.1,
    which PyYAML follows, needs a dot and a signed exponent: 1e3, -.5 and +.5 were strings).
    """
    got = read(text, loader)
    assert isinstance(got, float) and got == value


@LOADERS
@pytest.mark.parametrize(("text", "value"), [
    ("010", 8), ("0x10", 16), ("0X10", 16), ("1_0", 10), ("0b10", 2), ("0B10", 2), ("-0x10", -16),
    ("0o10", 8), ("0O10", 8), ("-0o10", -8),  # strconv.ParseInt(s, 0, 64) reads 0o since Go 1.13
    ("0_10", 8), ("-_1", -1), ("-0", 0), ("+7", 7), ("0", 0),
])
def test_go_yaml_ints_are_ints(loader: type, text: str, value: int) -> None:
    got = read(text, loader)
    assert type(got) is int and got == value


@LOADERS
@pytest.mark.parametrize("text", ["1:30", "1:30.5", "-1:00", "1e400", "._5", ".5_", "1e", "e3", "1.5.5", "0x",
                                  "0b_", "0b12", "-.nan", ".5e", "1e3x", "1,5"])
def test_what_go_yaml_leaves_a_string_is_a_string(loader: type, text: str) -> None:
    """No base 60 (go-yaml: "purposefully unsupported"), nothing ParseFloat refuses (1e400 is out of range)."""
    assert read(text, loader) == text


def test_nan_is_a_float() -> None:
    assert all(math.isnan(read(".NaN", loader)) for loader in (SafeLoader, FastSafeLoader))  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["1e3", "-.5", "+.5", "08", "0o10", "0X10", "1_0e3", ".5_0", "1:30", "y"])
def test_the_dumper_quotes_a_string_the_loaders_would_read_as_a_number(text: str) -> None:
    """``experiment.yaml``, ``-o yaml`` and timing profiles are read back by these loaders: a name
    such as "1e3" written bare (as ``yaml.safe_dump`` writes it) would come back 1000.0.
    """
    written = yaml.dump({"name": text}, Dumper=SafeDumper)
    assert yaml.load(written, Loader=SafeLoader) == {"name": text}
    assert yaml.load(written, Loader=yaml.SafeLoader) == {"name": text}  # and as YAML 1.1 reads it ("1:30")
    if text in ("1e3", "-.5", "+.5", "08", "0o10"):
        assert yaml.safe_load(yaml.safe_dump({"name": text})) == {"name": text}  # what PyYAML alone misses:
        assert yaml.load(yaml.safe_dump({"name": text}), Loader=SafeLoader) != {"name": text}  # bare there


def test_a_results_folder_written_before_go_yaml_numbers_still_reads(tmp_path) -> None:
    """An ``experiment.yaml`` written by PyYAML's own dumper (quoting by YAML 1.1 alone, as rollsim
    did before it read numbers as go-yaml) left ``1e3`` and ``08`` bare: rollsim's own files are
    read as YAML 1.1, so the name is still the string it was (review R3).
    """
    from rollsim.sweep.results import _experiment

    file = tmp_path / "experiment.yaml"
    file.write_text(yaml.safe_dump({"name": "1e3", "label": "08", "seed": 1}), encoding="utf-8")
    assert "name: 1e3" in file.read_text(encoding="utf-8")  # bare, as the old writer left it
    assert _experiment(file) == {"name": "1e3", "label": "08", "seed": 1}


# -- the libyaml loader's own construction (FastSafeLoader._plain_document) ---------------------------------

_TRICKY = ["1e3", "0x1F", "010", "08", "1:30", "2001-12-14", "2001-12-14t21:59:43.10-05:00", "~", "null", "yes",
           "True", "-.5", "1_000", ".inf", "<<", "", "=", "-"]
_scalars = st.one_of(st.text(max_size=6), st.integers(), st.floats(allow_nan=False), st.booleans(), st.none(),
                     st.sampled_from(_TRICKY))
_documents = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4) | st.sampled_from(_TRICKY),
                                                                inner, max_size=4),
    max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(document=_documents, flow=st.booleans())
def test_the_libyaml_loader_reads_every_document_as_the_pure_one(document: object, flow: bool) -> None:
    """Written by PyYAML's dumper (strings that YAML 1.1 reads otherwise are quoted, those go-yaml reads
    otherwise, such as 1e3 and 08, are not), read by both loaders: the same value."""
    text = yaml.safe_dump(document, default_flow_style=flow)
    assert yaml.load(text, Loader=FastSafeLoader) == yaml.load(text, Loader=SafeLoader)


@pytest.mark.parametrize("text", [
    "a: &x {k: 1}\nb: *x\n",  # an alias: PyYAML's shared object
    "a: &x {k: 1}\nb: {<<: *x, j: 2}\n",  # a merge key
    "1: a\ntrue: b\n",  # keys that are not strings
    "a: !!binary aGk=\nb: !!set {x, y}\n",  # explicit tags
    "a: [1, {b: 2001-12-14}]\n",
])
def test_what_the_plain_construction_leaves_to_pyyaml_comes_out_as_pyyaml_builds_it(text: str) -> None:
    assert yaml.load(text, Loader=FastSafeLoader) == yaml.load(text, Loader=SafeLoader)


def test_a_node_list_is_built_without_pyyaml_constructor(monkeypatch) -> None:
    """kubectl's YAML (plain mappings, sequences and scalars) never reaches PyYAML's generic
    constructor, the slow part of reading a large node list."""
    monkeypatch.setattr(yaml.constructor.BaseConstructor, "construct_document",
                        lambda self, node: pytest.fail("PyYAML's constructor was used"))
    text = ("kind: List\nitems:\n- kind: Node\n  metadata: {name: a, labels: {zone: '1'}}\n"
            "  status: {allocatable: {cpu: 3920m, pods: '58'}, conditions: [{type: Ready, status: 'True'}],"
            " images: [{sizeBytes: 123, names: [x]}]}\n")
    status = yaml.load(text, Loader=FastSafeLoader)["items"][0]["status"]
    assert status["images"] == [{"sizeBytes": 123, "names": ["x"]}]


def test_an_alias_is_the_same_object_as_pyyaml_makes_it_even_a_recursive_one() -> None:
    shared = yaml.load("a: &x {k: 1}\nb: *x\n", Loader=FastSafeLoader)
    assert shared["a"] is shared["b"]
    recursive = yaml.load("a: &x [1, *x]\n", Loader=FastSafeLoader)
    assert recursive["a"][1] is recursive["a"]
