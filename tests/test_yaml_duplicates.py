"""A YAML node list that names a key twice is refused, as JSON node lists, manifests and experiment files are.

Node lists are read with ``FastSafeLoader`` (libyaml) for speed; PyYAML kept the last of two keys.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from rollsim.io.manifest.documents import parse_documents
from rollsim.io.nodes import load_nodes, make_nodes
from rollsim.io.yamldoc import ConfigError, DuplicateKeyError, FastSafeLoader, first_duplicate_key

READY = '  status: {conditions: [{type: Ready, status: "True"}]}\n'


def _write(tmp_path: Path, text: str, name: str = "nodes.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _manifest_error(text: str) -> str:
    """What the manifest reader says of ``text`` (it must refuse it)."""
    with pytest.raises(ConfigError) as info:
        parse_documents(text, "nodes.yaml")
    return str(info.value)


@pytest.mark.parametrize(("text", "error"), [
    ("kind: List\nitems:\n- kind: Node\n  metadata:\n    name: a\n    name: b\n" + READY,
     "nodes.yaml:6: items[0].metadata.name: duplicate key 'name'"),
    ("kind: List\nitems:\n- kind: Node\n  metadata: {name: a}\n" + READY + "- kind: Node\n"
     "  metadata:\n    name: b\n    labels: {zone: a,\n             zone: b}\n" + READY,
     "nodes.yaml:10: items[1].metadata.labels.zone: duplicate key 'zone'"),
    # the first in the order the manifest reader walks: the labels' before the second metadata
    ("kind: List\nitems:\n- kind: Node\n  metadata: {name: a, labels: {x: '1', x: '2'}}\n  metadata: {name: c}\n",
     "nodes.yaml:4: items[0].metadata.labels.x: duplicate key 'x'"),
    ("kind: Node\nkind: Node\nmetadata: {name: a}\n", "nodes.yaml:2: kind: duplicate key 'kind'"),
    # an integer and a string of one text: two keys to PyYAML, one to kubectl (YAML to JSON)
    ("kind: Node\nmetadata:\n  name: a\n  annotations: {1: x, '1': y}\n",
     "nodes.yaml:4: metadata.annotations.1: duplicate key '1'"),
])
def test_a_duplicate_key_in_a_yaml_node_list_is_refused_as_in_a_manifest(tmp_path, text, error) -> None:
    """PyYAML kept the last of two keys; kubectl, the API server and the manifest reader refuse
    them, naming the line and the key path: the YAML node list reader agrees, word for word."""
    with pytest.raises(ConfigError) as info:
        load_nodes(_write(tmp_path, text))
    assert str(info.value) == f"{tmp_path}/{error}" and _manifest_error(text) == error


@pytest.mark.parametrize("text", [
    "base: &b {name: a}\nkind: List\nitems:\n- kind: Node\n  metadata:\n    <<: *b\n    name: z\n" + READY,
    "kind: List\nitems:\n- kind: Node\n  metadata:\n    <<: {name: a}\n    <<: {labels: {q: r}}\n" + READY,
    "kind: List\nitems:\n- kind: Node\n  metadata:\n    name: a\n    annotations: {1: x, 01: y, 'true': p, True: q}\n"
    + READY,
])
def test_merge_keys_and_keys_written_differently_are_not_duplicates(tmp_path, text) -> None:
    """A key over a merged one (``<<``), two merge keys, and keys whose text differs though they are
    read as one value (``1`` and ``01``) are not duplicates, for the manifest reader either."""
    assert len(load_nodes(_write(tmp_path, text))) == 1
    parse_documents(text, "nodes.yaml")


def test_the_merged_pairs_of_a_merge_source_are_not_its_own() -> None:
    """PyYAML flattens a merge source (b) when the mapping that merges it (c) is built, before b
    itself is (for d): b's list of pairs then holds a's x and its own; only its own count."""
    text = "a: &a {x: 1}\nc: {<<: &b {<<: *a, x: 2}, y: 3}\nd: *b\n"
    assert yaml.load(text, Loader=FastSafeLoader) == yaml.safe_load(text)
    assert yaml.load(text, Loader=FastSafeLoader)["d"] == {"x": 2}
    with pytest.raises(DuplicateKeyError):
        yaml.load("a: &a {x: 1}\nb: {<<: *a, y: 2, y: 3}\n", Loader=FastSafeLoader)


def _flow(pairs: list, depth: int = 0) -> str:
    """A flow mapping with each pair on its own line (so that lines tell pairs apart)."""
    pad = "  " * (depth + 1)
    items = [f"{pad}{key}: {_flow(value, depth + 1) if isinstance(value, list) else value}" for key, value in pairs]
    return "{\n" + ",\n".join(items) + "\n" + "  " * depth + "}"


KEYS = ["a", "b", "1", "01", "'1'", "'a'", "true", "'true'"]  # texts alike and not, values alike and not
mappings = st.recursive(
    st.lists(st.tuples(st.sampled_from(KEYS), st.integers(0, 9)), max_size=3),
    lambda inner: st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), inner | st.integers(0, 9)), max_size=3),
    max_leaves=10)


@settings(max_examples=300, deadline=None)
@given(pairs=mappings)
def test_the_fast_loader_refuses_what_the_manifest_reader_refuses_and_says_where(pairs) -> None:
    text = _flow(pairs)
    try:
        parse_documents(text, "x.yaml")
        refused = None
    except ConfigError as exc:
        refused = str(exc)
    try:
        data = yaml.load(text, Loader=FastSafeLoader)
    except DuplicateKeyError:
        found = first_duplicate_key(yaml.compose(text, Loader=FastSafeLoader))
        assert found is not None
        path, key, line = found
        assert refused == f"x.yaml:{line}: {path}: duplicate key {key!r}"
    else:
        assert refused is None
        assert data == yaml.safe_load(text)


def _with_late_duplicate(text: str, marker: str, duplicate: str) -> str:
    at = text.rindex(marker)
    return text[:at] + duplicate + text[at:]


@pytest.mark.parametrize("form", ["yaml", "json"])
def test_a_duplicate_past_the_manifest_readers_value_budget_is_still_placed(tmp_path, monkeypatch, form) -> None:
    """The manifest reader stops at 200,000 values (a list of a few thousand nodes): the place is
    found in the nodes libyaml composed, so the duplicate is named, not the budget."""
    monkeypatch.setenv("ROLLSIM_MAX_YAML_VALUES", "60")
    doc = make_nodes(4, seed=1)
    if form == "yaml":
        text = _with_late_duplicate(yaml.safe_dump(doc), "    name: ", "    name: dup\n")
    else:
        text = _with_late_duplicate(json.dumps(doc, indent=1), '"name": ', '"name": "dup", ')
    with pytest.raises(ConfigError, match=r"nodes\.\w+:\d+: items\[3\]\.metadata\.name: duplicate key 'name'$"):
        load_nodes(_write(tmp_path, text, f"nodes.{form}"))


def test_a_duplicate_in_json_yaml_cannot_read_is_named_without_a_place(tmp_path) -> None:
    """A key of over 1,024 characters is JSON but not YAML (a simple key's limit): the duplicate
    is still named, where the manifest reader called the file a YAML syntax error."""
    text = '{"' + "k" * 2000 + '": 1, "kind": "List", "kind": "List"}\n'
    with pytest.raises(ConfigError) as info:
        load_nodes(_write(tmp_path, text, "nodes.json"))
    assert str(info.value) == f"{tmp_path}/nodes.json: duplicate key in a JSON object"
