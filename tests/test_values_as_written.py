"""Every reader quotes a bad value as the file wrote it (audit 8 item 7): ``got true``, ``got [a]``,
``got {a: 1}``, or names its kind (``got a list``), never Python's ``True``, ``['a']``, ``None``
or a type name such as ``list``, ``str`` or ``ArrowInvalid``.
"""

from __future__ import annotations

import json
import re

import pytest
from rollsim.cli import main

from helpers import ROOT, node_list_json, one_error_line

PYTHON = re.compile(r"True|None|\['|\{'|Arrow|got (list|str|int|float|dict|bool)\b")

MANIFEST = """\
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: x}
spec:
  selector: {matchLabels: {a: b}}
  template:
    metadata: {labels: {a: b}}
    spec:
      containers:
      - name: c
        image: i
        resources: RESOURCES
"""


def _said(capsys, argv: list[str]) -> str:
    assert main(argv) == 2
    line = one_error_line(capsys)
    assert not PYTHON.search(line), line
    return line


@pytest.mark.parametrize(("cpu", "got"), [("true", "got true"), ("[a]", "got [a]"), ("{a: 1}", "got {a: 1}")])
def test_a_manifest_quantity_of_a_wrong_type(tmp_path, capsys, cpu, got) -> None:
    path = tmp_path / "ds.yaml"
    path.write_text(MANIFEST.replace("RESOURCES", f"{{requests: {{cpu: {cpu}}}}}"), encoding="utf-8")
    line = _said(capsys, ["simulate", "--nodes", "3", "-q", "--manifest", str(path)])
    assert line.endswith(f"ds.yaml:12: spec.template.spec.containers[0].resources.requests[cpu]: a quantity must be "
                         f"a string or a number, such as 100m, 0.5, 200Mi, 1.5Gi, 1G or 1e3; {got}")


def test_a_null_limit_below_its_request(tmp_path, capsys) -> None:
    path = tmp_path / "ds.yaml"
    path.write_text(MANIFEST.replace("RESOURCES", "{requests: {memory: 1Gi}, limits: {memory: null}}"),
                    encoding="utf-8")
    line = _said(capsys, ["simulate", "--nodes", "3", "-q", "--manifest", str(path)])
    assert line.endswith("requests[memory]: must be less than or equal to memory limit of null (read as 0), got 1Gi")


def test_a_node_list_allocatable_of_a_wrong_type(tmp_path, capsys) -> None:
    document = json.loads(node_list_json(2))
    document["items"][0]["status"]["allocatable"]["cpu"] = [{"key": "x", "effect": "NoSchedule"}]
    path = tmp_path / "nodes.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    line = _said(capsys, ["simulate", "--nodes-file", str(path), "-q"])
    assert "items[0].status.allocatable.cpu: a quantity must be" in line
    assert "got [{effect: NoSchedule, key: x}] (node 'w0')" in line


def test_an_add_nodes_item_is_named_by_its_index_and_written_as_yaml(tmp_path, capsys) -> None:
    path = tmp_path / "exp.yaml"
    path.write_text("name: t\nscenario:\n  cluster:\n    nodes: 3\n    add_nodes:\n    - 1@2\n"
                    "    - {count: 1000000, at: 10}\n", encoding="utf-8")
    line = _said(capsys, ["validate", str(path)])
    assert line.endswith("exp.yaml:7: scenario.cluster.add_nodes[1]: must be N@T or N@T+D (N nodes at second T, "
                         "spread over D seconds), got {at: 10, count: 1000000}")


@pytest.mark.parametrize(("text", "said"), [
    ("scenario: [1]\n", "scenario: must be a mapping, got a list"),
    ("scenario: {cluster: [a]}\n", "scenario.cluster: must be a mapping, got a list"),
    ("scenario: {cluster: {nodes: 3}}\nslo: 1\n", "slo: must be a mapping, got the number 1"),
    ("scenario: {cluster: {nodes: 3}}\nslo: {statistic: true}\n", "worst, got true"),
    ("scenario: {cluster: {nodes: 3}}\nslo: {max_duration_s: [a]}\n", "the limit must be a number, got [a]"),
    ("scenario: {cluster: {nodes: 3}}\nvariants:\n- name: [a]\n", "variants[0].name: must be text, got a list"),
    ("scenario: {cluster: {nodes_file: [a]}}\n", "scenario.cluster.nodes_file: must be a file path, got [a]"),
    ("scenario: {daemonset: {manifest: ds.yaml, strict: [x]}}\n", "strict: must be true or false, got [x]"),
])
def test_an_experiment_file_names_kinds_as_yaml_does(tmp_path, capsys, text, said) -> None:
    path = tmp_path / "exp.yaml"
    path.write_text("name: t\n" + text, encoding="utf-8")
    assert _said(capsys, ["validate", str(path)]).endswith(said)


def test_a_timing_profile_that_is_not_a_mapping(tmp_path, capsys) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("timings: [1]\n", encoding="utf-8")
    line = _said(capsys, ["simulate", "--nodes", "3", "-q", "--timings", str(path)])
    assert line.endswith("t.yaml:1: timings: must be a mapping of phase to distribution, got a list")


@pytest.mark.parametrize("command", ["plot", "report"])
def test_an_empty_parquet_file_is_damaged_in_plain_words(make_results, capsys, command) -> None:
    folder = make_results()
    (folder / "timelines.parquet").write_bytes(b"")
    line = _said(capsys, [command, str(folder), "-q"])
    assert line.endswith("timelines.parquet: damaged results file: not a readable parquet file (empty, cut short, or "
                         "not written by rollsim); delete it and run the experiment again: rollsim run rebuilds the "
                         "tables from the saved runs")


FLUENTD = ROOT / "experiments" / "manifests" / "fluentd-elasticsearch.yaml"


RANGE = "is out of range for an int"


@pytest.mark.parametrize(("old", "new", "said"), [
    ("      maxUnavailable: 1", "      maxUnavailable: 1e308", f"maxUnavailable: {RANGE}32, got 1e+308"),
    ("      maxUnavailable: 1", "      maxUnavailable: -1e308", f"maxUnavailable: {RANGE}32, got -1e+308"),
    ("spec:\n", "spec:\n  minReadySeconds: 1e300\n", f"spec.minReadySeconds: {RANGE}32, got 1e+300"),
    ("          periodSeconds: 10", "          periodSeconds: 1e308", f"periodSeconds: {RANGE}32, got 1e+308"),
    ("        effect: NoSchedule\n", "        effect: NoExecute\n        tolerationSeconds: 1e300\n",
     f"tolerations[0].tolerationSeconds: {RANGE}64, got 1e+300"),
])
def test_a_float_too_large_for_an_integer_field_is_said_as_written(tmp_path, capsys, old, new, said) -> None:
    """Audit 8 item 8: ``maxUnavailable: 1e308`` was said as a 309-digit integer."""
    text = FLUENTD.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "ds.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    assert _said(capsys, ["simulate", "--nodes", "3", "-q", "--manifest", str(path)]).endswith(said)
