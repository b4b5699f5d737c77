"""Node lists: reading kubectl output, the realistic generator, and node pools (``rollsim.io.nodes``)."""

from __future__ import annotations

import copy
import json
import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rollsim.io.nodes import (
    PoolError,
    load_nodes,
    make_nodes,
    nodes_from_pools,
    nodes_json,
    write_nodes_json,
)
from rollsim.io.yamldoc import ConfigError
from rollsim.spec.node import (
    CONTROL_PLANE_LABEL,
    NO_EXECUTE,
    NO_SCHEDULE,
    PREFER_NO_SCHEDULE,
    Node,
    Taint,
    kubelet_labels,
)
from rollsim.spec.versions import DEFAULT_VERSION

DATA = Path(__file__).parent / "data" / "nodes"
SAMPLE = Path(__file__).parent.parent / "experiments" / "nodes" / "sample-300.json"
NOT_READY = (Taint("node.kubernetes.io/not-ready", "", NO_SCHEDULE),
             Taint("node.kubernetes.io/not-ready", "", NO_EXECUTE))
CORDONED = Taint("node.kubernetes.io/unschedulable", "", NO_SCHEDULE)
CONTROL_PLANE = Taint(CONTROL_PLANE_LABEL, "", NO_SCHEDULE)
KI, MI, GI = 2**10, 2**20, 2**30


def write(tmp_path: Path, data: Any, name: str = "nodes.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, indent=2), encoding="utf-8")
    return path


def node_doc(name: str, **fields: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {}},
                           "spec": {}, "status": {"conditions": [{"type": "Ready", "status": "True"}]}}
    for key, value in fields.items():
        doc[key].update(value)
    return doc


def node_list(*items: dict[str, Any], kind: str = "List") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": kind, "items": list(items), "metadata": {"resourceVersion": ""}}


# --- load_nodes: real kubectl output ---------------------------------------------------------
class TestKubectlOutput:
    def test_realistic_json_excerpt(self) -> None:
        gpu, unreachable, cordoned = "ip-192-168-45-201", "ip-192-168-70-33", "ip-192-168-71-90"
        nodes = load_nodes(DATA / "kubectl-get-nodes.json")
        assert [n.name for n in nodes] == [f"{h}.us-west-2.compute.internal" for h in
                                           ("ip-192-168-12-7", gpu, unreachable, cordoned)]
        general = nodes[0]
        assert general.labels["eks.amazonaws.com/nodegroup"] == "general-2024030209"
        assert len(general.labels) == 18 and general.taints == () and general.ready and not general.unschedulable
        assert (general.allocatable_cpu_millis, general.allocatable_memory_bytes) == (7910, 31482316 * KI)
        assert nodes[1].taints == (Taint("nvidia.com/gpu", "present", NO_SCHEDULE),
                                   Taint("eks.amazonaws.com/capacityType", "SPOT", PREFER_NO_SCHEDULE))
        assert nodes[1].labels["nvidia.com/gpu.present"] == "true"
        assert nodes[2].ready is False  # Ready=Unknown
        assert nodes[2].taints == (Taint("node.kubernetes.io/unreachable", "", NO_SCHEDULE),
                                   Taint("node.kubernetes.io/unreachable", "", NO_EXECUTE))
        assert (nodes[2].allocatable_cpu_millis, nodes[2].allocatable_memory_bytes) == (1930, 7291948 * KI)
        assert nodes[3] == Node(f"{cordoned}.us-west-2.compute.internal",
                                {"disktype": "ssd", "kubernetes.io/hostname": f"{cordoned}.us-west-2.compute.internal",
                                 "kubernetes.io/os": "linux", "topology.kubernetes.io/zone": "us-west-2c"},
                                (CORDONED,), True, True, 2000, 8 * GI)

    def test_yaml_form(self) -> None:
        cp, worker = load_nodes(DATA / "kubectl-get-nodes.yaml")
        assert cp == Node("cp-1", {"beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux",
                                   "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": "cp-1",
                                   "kubernetes.io/os": "linux", CONTROL_PLANE_LABEL: "",
                                   "node.kubernetes.io/exclude-from-external-load-balancers": ""},
                          (CONTROL_PLANE,), True, False, 4000, 16318976 * KI)
        assert worker == Node("worker-1", {"kubernetes.io/hostname": "worker-1", "kubernetes.io/os": "linux"},
                              NOT_READY, False, False, 3920, 10**10)

    def test_yaml_and_json_of_the_same_document_agree(self, tmp_path: Path) -> None:
        doc = make_nodes(12, not_ready=1, cordoned=1, seed=3)
        as_yaml = write(tmp_path, yaml.safe_dump(doc), "nodes.yaml")
        assert load_nodes(as_yaml) == load_nodes(write(tmp_path, doc))

    def test_single_node_object(self, tmp_path: Path) -> None:
        (node,) = load_nodes(write(tmp_path, node_doc("n1", spec={"taints": [{"key": "a", "effect": NO_EXECUTE}]})))
        assert node == Node("n1", {}, (Taint("a", "", NO_EXECUTE),), True)

    def test_node_list_from_the_api_has_items_without_kind(self, tmp_path: Path) -> None:
        items = [{"metadata": {"name": n}, "status": {"conditions": [{"type": "Ready", "status": "True"}]}}
                 for n in ("a", "b")]
        nodes = load_nodes(write(tmp_path, {"kind": "NodeList", "apiVersion": "v1", "items": items}))
        assert [n.name for n in nodes] == ["a", "b"]

    def test_minimal_node_and_null_fields(self, tmp_path: Path) -> None:
        doc = {"kind": "Node", "metadata": {"name": "a", "labels": None}, "spec": {"taints": None,
                                                                                   "unschedulable": None},
               "status": {"allocatable": {"cpu": None}, "conditions": [{"type": "Ready", "status": "True"}]}}
        assert load_nodes(write(tmp_path, doc)) == (Node("a"),)

    @pytest.mark.parametrize(("conditions", "ready"), [
        ([{"type": "Ready", "status": "True"}], True),
        ([{"type": "Ready", "status": "False"}], False),
        ([{"type": "Ready", "status": "Unknown"}], False),
        ([{"type": "DiskPressure", "status": "False"}, {"type": "Ready", "status": "True"}], True),
    ])
    def test_ready_condition(self, tmp_path: Path, conditions: list, ready: bool) -> None:
        key = {"False": "node.kubernetes.io/not-ready", "Unknown": "node.kubernetes.io/unreachable"}
        spec = {} if ready else {"taints": [{"key": key[conditions[0]["status"]], "effect": "NoSchedule"}]}
        (node,) = load_nodes(write(tmp_path, node_doc("a", spec=spec, status={"conditions": conditions})))
        assert node.ready is ready

    @pytest.mark.parametrize("status", [{"conditions": [{"type": "MemoryPressure", "status": "True"}]},
                                        {"conditions": []}, {"conditions": None}, {}])
    def test_a_node_without_a_ready_condition_is_refused(self, tmp_path: Path, status: dict) -> None:
        """Read as NotReady with no taint, it deadlocked the rollout at 0% available with no word; a
        real cluster marks such a node Unknown and taints it unreachable: the list was written by hand.
        """
        doc = node_doc("a")
        doc["status"] = status
        with pytest.raises(ConfigError, match=r"status.conditions: has no Ready condition.*\(node 'a'\)"):
            load_nodes(write(tmp_path, doc))

    @pytest.mark.parametrize(("cpu", "millis"), [
        ("4", 4000), ("3920m", 3920), ("0.5", 500), ("1.25", 1250), ("100u", 1), ("1500000000n", 1500),
        ("2k", 2_000_000), ("1e3", 1_000_000), (".5", 500), ("+2", 2000), (2, 2000), (2.5, 2500), ("0", 0),
        (0.1, 100),  # a JSON number is read from its text, as the API server's decoder does: not 101
    ])
    def test_cpu_quantities(self, tmp_path: Path, cpu: Any, millis: int) -> None:
        (node,) = load_nodes(write(tmp_path, node_doc("a", status={"allocatable": {"cpu": cpu}})))
        assert node.allocatable_cpu_millis == millis

    @pytest.mark.parametrize(("memory", "size"), [
        ("16Gi", 16 * GI), ("16318976Ki", 16318976 * KI), ("1e9", 10**9), ("1E9", 10**9), ("128974848", 128974848),
        ("129M", 129 * 10**6), ("123Mi", 123 * MI), ("1.5Gi", 3 * GI // 2), ("1Ti", 2**40), ("1E", 10**18),
        ("1k", 1000), ("1500m", 2), (1073741824, GI),
    ])
    def test_memory_quantities(self, tmp_path: Path, memory: Any, size: int) -> None:
        (node,) = load_nodes(write(tmp_path, node_doc("a", status={"allocatable": {"memory": memory}})))
        assert node.allocatable_memory_bytes == size


    @pytest.mark.parametrize(("b_allocatable", "resource"), [({}, "cpu"), ({"cpu": "2"}, "memory")])
    def test_a_list_that_gives_allocatable_for_some_nodes_only_is_refused(
            self, tmp_path: Path, b_allocatable: dict, resource: str) -> None:
        """A scheduler reads a resource a node does not list as none of it; rollsim would take it to
        have room: a mixed list is refused at the node that lacks it, whichever resource that is.
        """
        doc = node_list(node_doc("a", status={"allocatable": {"cpu": "4", "memory": "16Gi"}}),
                        node_doc("b", status={"allocatable": b_allocatable}))
        path = write(tmp_path, yaml.safe_dump(doc, sort_keys=False), "nodes.yaml")
        with pytest.raises(ConfigError) as info:
            load_nodes(path)
        lines = path.read_text().splitlines()
        b = next(i for i, text in enumerate(lines, 1) if "name: b" in text)
        message = str(info.value)
        assert message.startswith(f"{path}:") and "items[1].status.allocatable" in message
        assert f"node 'b' gives no allocatable {resource}, where node 'a' (items[0].status.allocatable) does" in message
        line = int(message.split(":")[1])
        assert line > b and "allocatable" in lines[line - 1]  # node b's, not node a's
        doc["items"][1]["status"]["allocatable"] = {"cpu": "2", "memory": "8Gi"}
        assert len(load_nodes(write(tmp_path, doc))) == 2
        for item in doc["items"]:
            item["status"].pop("allocatable")
        assert [n.allocatable_cpu_millis for n in load_nodes(write(tmp_path, doc))] == [None, None]


# --- load_nodes: errors ----------------------------------------------------------------------
def _base() -> dict[str, Any]:
    return node_list(node_doc("a"), node_doc("b", spec={"taints": [{"key": "k", "value": "v", "effect": NO_SCHEDULE}]}),
                     node_doc("c", status={"allocatable": {"cpu": "4", "memory": "16Gi"}}))


def _set(path: str, value: Any) -> Callable[[dict], Any]:
    def mutate(doc: dict) -> None:
        *parents, last = [int(p) if p.isdigit() else p for p in re.split(r"\.|\[|\]\.?", path) if p]
        for p in parents:
            doc = doc[p]
        if value is _DELETE:
            del doc[last]
        else:
            doc[last] = value
    return mutate


_DELETE = object()

ERRORS = [
    ("items[1].spec.taints[0].effect", "NoScheduled",
     "must be NoSchedule, PreferNoSchedule or NoExecute, got 'NoScheduled' (node 'b')"),
    ("items[1].spec.taints[0].effect", _DELETE, "must be NoSchedule, PreferNoSchedule or NoExecute, is missing"),
    ("items[1].spec.taints[0].key", _DELETE, "is missing: a taint has a key (a non-empty string)"),
    ("items[1].spec.taints[0].key", "", "must be a non-empty string, got ''"),
    ("items[1].spec.taints[0].value", 3, "must be a string, got a number 3"),
    ("items[1].spec.taints[0]", "k=v:NoSchedule", "must be a mapping with key and effect, got a string"),
    ("items[1].spec.taints", {"key": "k"}, "must be a list, got a mapping"),
    ("items[1].spec", [], "must be a mapping, got a list"),
    ("items[0].metadata.name", _DELETE, "is missing: every node has a name (a non-empty string)"),
    ("items[0].metadata.name", 7, "must be a non-empty string, got 7"),
    # ValidateNodeName and ValidateLabels, as the API server holds nodes (audit 8 item 11)
    ("items[0].metadata.name", "150%", "invalid name '150%': a lowercase RFC 1123 subdomain"),
    ("items[0].metadata.name", "Node-A", "invalid name 'Node-A': a lowercase RFC 1123 subdomain"),
    ("items[0].metadata.labels.zone", "é", "invalid label value 'é': a valid label must consist of"),
    ("items[0].metadata.labels.a b", "x", "invalid label key 'a b': name part must consist of"),
    ("items[0].metadata", _DELETE, "must be a mapping, got null"),
    ("items[0].metadata.labels", ["a"], "must be a mapping, got a list (node 'a')"),
    ("items[0].metadata.labels.gpu", True, "must be a string, got a boolean true (quote it in YAML)"),
    ("items[0].spec.unschedulable", "yes", "must be true or false, got 'yes'"),
    ("items[2].status.allocatable.cpu", "four",
     "invalid quantity 'four': expected a number with an optional suffix, such as 100m, 0.5, 200Mi"),
    ("items[2].status.allocatable.cpu", "4 cores", "invalid quantity '4 cores'"),
    ("items[2].status.allocatable.memory", "-1Gi", "must not be negative, got '-1Gi'"),
    ("items[2].status.allocatable.memory", "16GB", "invalid quantity '16GB'"),
    ("items[2].status.allocatable.memory", True, "a quantity must be a string or a number"),
    ("items[2].status.allocatable.memory", "1e400", "must be at most 2^63-1 bytes, got '1e400'"),
    ("items[2].status.allocatable.cpu", "1e16", "must be at most 2^63-1 millicores, got '1e16'"),
    ("items[2].status.allocatable", "4", "must be a mapping, got a string"),
    ("items[2].status.conditions", {"Ready": "True"}, "must be a list, got a mapping"),
    ("items[2].status.conditions[0]", "Ready", "must be a mapping with type and status, got a string"),
    ("items[2].status.conditions[0].status", True, "must be True, False or Unknown, got true"),
    ("items[2].status", 1, "must be a mapping, got a number"),
    ("items[2].metadata.name", "a", "duplicate node name 'a' (also items[0])"),
    ("items[2].kind", "Pod", "expected kind Node, found Pod"),
    ("items[2]", None, "must be a Node object, got null"),
    ("items", [], "is empty: the file lists no nodes"),
    ("items", {"a": 1}, "must be a list of Node objects, got a mapping"),
    ("kind", "PodList", "expected kind NodeList/List of Node, found PodList"),
    ("kind", _DELETE, "expected kind NodeList/List of Node, found no kind"),
]


@pytest.mark.parametrize(("path", "value", "message"), ERRORS,
                         ids=[f"{p}={'<deleted>' if v is _DELETE else repr(v)}"[:60] for p, v, _ in ERRORS])
def test_errors_name_the_file_line_and_path(tmp_path: Path, path: str, value: Any, message: str) -> None:
    doc = _base()
    _set(path, value)(doc)
    file = write(tmp_path, doc)
    with pytest.raises(ConfigError) as info:
        load_nodes(file)
    err = info.value
    assert (err.file, err.path) == (str(file), path)
    assert message in err.message
    assert str(err).startswith(f"{file}:{err.line}: {path}: ") and "\n" not in str(err)
    assert err.line is not None


def test_error_line_points_at_the_bad_value(tmp_path: Path) -> None:
    doc = _base()
    doc["items"][1]["spec"]["taints"][0]["effect"] = "NoScheduled"
    file = write(tmp_path, doc)
    with pytest.raises(ConfigError) as info:
        load_nodes(file)
    lines = file.read_text().splitlines()
    assert '"NoScheduled"' in lines[info.value.line - 1]
    assert str(info.value) == (f"{file}:{info.value.line}: items[1].spec.taints[0].effect: must be NoSchedule, "
                               "PreferNoSchedule or NoExecute, got 'NoScheduled' (node 'b')")


def test_yaml_error_line(tmp_path: Path) -> None:
    file = write(tmp_path, "kind: List\nitems:\n- metadata:\n    name: a\n  spec:\n    unschedulable: maybe\n",
                 "nodes.yaml")
    with pytest.raises(ConfigError, match=r"nodes.yaml:6: items\[0\].spec.unschedulable: must be true or false"):
        load_nodes(file)


def test_duplicate_taints(tmp_path: Path) -> None:
    taints = [{"key": "k", "effect": NO_SCHEDULE, "value": "1"}, {"key": "k", "effect": NO_SCHEDULE, "value": "2"}]
    with pytest.raises(ConfigError, match=r"spec.taints\[1\]: duplicate taint k:NoSchedule \(also spec.taints\[0\]\)"):
        load_nodes(write(tmp_path, node_doc("a", spec={"taints": taints})))


@pytest.mark.parametrize(("taint", "message"), [
    ({"key": "bad key!/x/y", "effect": NO_SCHEDULE}, r"spec.taints\[0\].key: invalid label key 'bad key!/x/y'"),
    ({"key": "ok/key", "value": "two words", "effect": NO_SCHEDULE},
     r"spec.taints\[0\].value: invalid label value 'two words'"),
])
def test_a_taint_is_checked_as_the_api_server_checks_it(tmp_path: Path, taint: dict, message: str) -> None:
    """Audit 34: ``validateNodeTaints`` refuses a key that is no qualified name and a value that is no label
    value; such a node list was taken, its node excluded by an "untolerated taint bad key!/x/y"."""
    with pytest.raises(ConfigError, match=message):
        load_nodes(write(tmp_path, node_doc("a", spec={"taints": [taint]})))


@pytest.mark.parametrize(("text", "line", "message"), [
    ('{"kind": "List",\n "items": [\n  {"metadata": {"name": "a"},}\n ]}', 3,
     "JSON syntax error: Expecting property name enclosed in double quotes (column 30)"),
    ('{"kind": "List"', 1, "JSON syntax error"),
    ("kind: List\nitems:\n  - {metadata: {name: a}\n", 4, "YAML syntax error"),
    ("kind: List\n---\nkind: List\n", 2, "YAML syntax error"),
])
def test_syntax_errors(tmp_path: Path, text: str, line: int, message: str) -> None:
    file = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_nodes(file)
    assert (info.value.file, info.value.line) == (str(file), line)
    assert message in info.value.message and "\n" not in str(info.value)


@pytest.mark.parametrize(("content", "message"), [
    ("", "empty file"), ("  \n", "empty file"), ("[1, 2]", "expected a NodeList, List or Node"),
    ("just text", "expected a NodeList, List or Node (kubectl get nodes -o json), got a string"),
    (b"\xff\xfe{", "not UTF-8 text"),
])
def test_not_a_node_list(tmp_path: Path, content: str | bytes, message: str) -> None:
    file = tmp_path / "nodes.json"
    file.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_nodes(file)


def test_pod_list_is_rejected(tmp_path: Path) -> None:
    pods = {"apiVersion": "v1", "kind": "List",
            "items": [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}]}
    with pytest.raises(ConfigError, match=r"items\[0\].kind: expected kind Node, found Pod"):
        load_nodes(write(tmp_path, pods))
    with pytest.raises(ConfigError, match="kind: expected kind NodeList/List of Node, found PodList"):
        load_nodes(write(tmp_path, {**pods, "kind": "PodList"}))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nodes.json: cannot read: No such file"):
        load_nodes(tmp_path / "nodes.json")


# --- load_nodes: fuzzing ---------------------------------------------------------------------
_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
_json = st.recursive(_scalars, lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4),
                     max_leaves=20)
_FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _load_or_config_error(path: Path) -> None:
    try:
        nodes = load_nodes(path)
    except ConfigError as exc:
        assert "\n" not in str(exc) and exc.file == str(path)
    else:
        assert isinstance(nodes, tuple) and nodes and all(isinstance(n, Node) for n in nodes)
        assert len({n.name for n in nodes}) == len(nodes)


@_FUZZ
@given(data=_json)
def test_fuzz_arbitrary_json(tmp_path: Path, data: Any) -> None:
    _load_or_config_error(write(tmp_path, json.dumps(data)))


@_FUZZ
@given(text=st.text(max_size=200))
def test_fuzz_arbitrary_text(tmp_path: Path, text: str) -> None:
    _load_or_config_error(write(tmp_path, text, "nodes.txt"))


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(value, dict):
        out += [p for k, v in value.items() for p in _paths(v, prefix + (k,))]
    elif isinstance(value, list):
        out += [p for i, v in enumerate(value) for p in _paths(v, prefix + (i,))]
    return out


_TEMPLATE = make_nodes(4, control_plane=1, not_ready=1, cordoned=1, seed=1)


@_FUZZ
@given(st.data(), st.booleans())
def test_fuzz_mutated_node_lists(tmp_path: Path, data: st.DataObject, as_yaml: bool) -> None:
    doc = copy.deepcopy(_TEMPLATE)
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(_paths(doc)))
        value = data.draw(_json)
        if not path:
            doc = value
            break
        target = doc
        for p in path[:-1]:
            target = target[p]
        target[path[-1]] = value
    text = yaml.safe_dump(doc) if as_yaml else json.dumps(doc)
    _load_or_config_error(write(tmp_path, text, "nodes.yaml" if as_yaml else "nodes.json"))


# --- make_nodes ------------------------------------------------------------------------------
class TestMakeNodes:
    def test_round_trip(self, tmp_path: Path) -> None:
        file = tmp_path / "nodes.json"
        doc = write_nodes_json(file, 60, seed=4, control_plane=3, not_ready=2, cordoned=1)
        nodes = load_nodes(file)
        items = doc["items"]
        assert [n.name for n in nodes] == [i["metadata"]["name"] for i in items] == sorted(n.name for n in nodes)
        assert all(dict(n.labels) == i["metadata"]["labels"] for n, i in zip(nodes, items))
        cp = [n for n in nodes if CONTROL_PLANE_LABEL in n.labels]
        down = [n for n in nodes if not n.ready]
        cordoned = [n for n in nodes if n.unschedulable]
        assert [len(cp), len(down), len(cordoned)] == [3, 2, 1]
        assert all(n.taints == (CONTROL_PLANE,) and n.allocatable_cpu_millis == 1930 for n in cp)
        assert all(n.taints == NOT_READY for n in down)
        assert cordoned[0].taints == (CORDONED,) and cordoned[0].ready
        workers = [n for n in nodes if n not in cp]
        assert all((n.allocatable_cpu_millis, n.allocatable_memory_bytes) == (3920, 14879412 * KI) for n in workers)
        assert sum(not n.taints for n in nodes) == 60 - 3 - 2 - 1

    def test_realistic_shape(self) -> None:
        doc = make_nodes(30, seed=2, not_ready=1)
        assert (doc["apiVersion"], doc["kind"]) == ("v1", "List")
        names = [i["metadata"]["name"] for i in doc["items"]]
        assert all(re.fullmatch(r"ip-10-0-\d{1,3}-\d{1,3}\.ec2\.internal", n) for n in names)
        assert len(set(names)) == 30
        zones = [i["metadata"]["labels"]["topology.kubernetes.io/zone"] for i in doc["items"]]
        assert {z: zones.count(z) for z in set(zones)} == {"us-east-1a": 10, "us-east-1b": 10, "us-east-1c": 10}
        cidrs = {i["spec"]["podCIDR"] for i in doc["items"]}
        assert len(cidrs) == 30
        for item in doc["items"]:
            labels, status = item["metadata"]["labels"], item["status"]
            assert item["kind"] == "Node" and labels["kubernetes.io/hostname"] == item["metadata"]["name"]
            assert labels["kubernetes.io/os"] == "linux" and labels["kubernetes.io/arch"] == "amd64"
            assert labels["node.kubernetes.io/instance-type"] in ("m5.large", "m5.xlarge")
            assert re.fullmatch(r"aws:///us-east-1[abc]/i-0[0-9a-f]{16}", item["spec"]["providerID"])
            assert [c["type"] for c in status["conditions"]] == ["MemoryPressure", "DiskPressure", "PIDPressure",
                                                                 "Ready"]
            assert set(status["capacity"]) == set(status["allocatable"]) >= {"cpu", "memory", "pods",
                                                                             "ephemeral-storage"}
            assert status["nodeInfo"]["kubeletVersion"] == f"v{DEFAULT_VERSION}.0"  # the default version's kubelets
            assert status["addresses"][0]["type"] == "InternalIP"
        (down,) = [i for i in doc["items"] if i["status"]["conditions"][-1]["status"] == "False"]
        assert [(t["key"], t["effect"]) for t in down["spec"]["taints"]] == [
            ("node.kubernetes.io/not-ready", NO_SCHEDULE), ("node.kubernetes.io/not-ready", NO_EXECUTE)]
        assert down["status"]["conditions"][-1]["reason"] == "KubeletNotReady"

    def test_other_region_and_zones(self) -> None:
        doc = make_nodes(8, control_plane=1, zones=2, region="eu-west-1")
        assert all(i["metadata"]["name"].endswith(".eu-west-1.compute.internal") for i in doc["items"])
        assert {i["metadata"]["labels"]["topology.kubernetes.io/zone"] for i in doc["items"]} == {"eu-west-1a",
                                                                                                  "eu-west-1b"}

    def test_deterministic_in_seed(self, tmp_path: Path) -> None:
        a, b = tmp_path / "a.json", tmp_path / "b.json"
        write_nodes_json(a, 50, seed=9, not_ready=2, cordoned=1)
        write_nodes_json(b, 50, seed=9, not_ready=2, cordoned=1)
        assert a.read_bytes() == b.read_bytes()
        assert nodes_json(make_nodes(50, seed=10)) != nodes_json(make_nodes(50, seed=9))

    def test_no_global_random_state(self) -> None:
        np.random.seed(1)
        random.seed(1)
        before = (np.random.get_state()[1].copy(), random.getstate())
        make_nodes(20, seed=5, not_ready=1)
        after = (np.random.get_state()[1], random.getstate())
        assert (before[0] == after[0]).all() and before[1] == after[1]

    def test_pools(self) -> None:
        pools = [{"name": "general", "count": 6},
                 {"name": "gpu", "count": 2, "labels": {"node.kubernetes.io/instance-type": "g5.xlarge", "gpu": "a10g"},
                  "taints": [{"key": "nvidia.com/gpu", "value": "present", "effect": NO_SCHEDULE}],
                  "allocatable": {"cpu": "3920m", "memory": "15Gi"}},
                 {"name": "broken", "count": 1, "ready": False}]
        doc = make_nodes(12, control_plane=3, pools=pools, seed=1)
        by_group: dict[str, list] = {}
        for item in doc["items"]:
            by_group.setdefault(item["metadata"]["labels"]["kops.k8s.io/instancegroup"], []).append(item)
        assert {g: len(v) for g, v in by_group.items()} == {
            "general": 6, "gpu": 2, "broken": 1,
            "control-plane-us-east-1a": 1, "control-plane-us-east-1b": 1, "control-plane-us-east-1c": 1}
        gpu = by_group["gpu"][0]
        assert gpu["metadata"]["labels"]["gpu"] == "a10g"
        assert gpu["spec"]["taints"] == [{"effect": NO_SCHEDULE, "key": "nvidia.com/gpu", "value": "present"}]
        assert gpu["status"]["allocatable"]["memory"] == "15Gi" and gpu["status"]["capacity"]["cpu"] == "3920m"
        assert by_group["broken"][0]["status"]["conditions"][-1]["status"] == "False"

    @pytest.mark.parametrize(("kwargs", "message"), [
        ({"count": -1}, "count must be a non-negative integer"),
        ({"count": True}, "count must be a non-negative integer"),
        ({"count": 2}, r"control_plane \(3\) must not exceed the 2 nodes asked for \(count\); give at most 2"),
        ({"count": 5, "not_ready": 2, "cordoned": 1},
         r"not_ready \+ cordoned \(3\) must not exceed the ready workers \(2\)"),
        ({"count": 5, "zones": 0}, "zones must be between 1 and 6"),
        ({"count": 10**6}, "count must be at most 16,000"),
        ({"count": 5, "pools": [{"name": "a", "count": 1}]},
         "pool counts add up to 1, expected count - control_plane = 2"),
        ({"count": 5, "pools": [{"name": "a"}]}, r"pools\[0\].count: must be a non-negative integer"),
    ])
    def test_invalid(self, kwargs: dict[str, Any], message: str) -> None:
        with pytest.raises(ValueError, match=message):
            make_nodes(**kwargs)

    def test_an_invalid_option_says_which_options_it_is_about(self) -> None:
        from rollsim.io.nodes import NodeOptionError

        with pytest.raises(NodeOptionError) as info:
            make_nodes(5, not_ready=2, cordoned=1)
        assert info.value.options == ("not_ready", "cordoned")
        assert info.value.rule == "(3) must not exceed the ready workers (2)"

    def test_empty_and_control_plane_only(self) -> None:
        assert make_nodes(0, control_plane=0)["items"] == []
        assert len(make_nodes(3)["items"]) == 3


def test_sample_file_is_current_small_and_as_documented() -> None:
    """experiments/nodes/sample-300.json is make_nodes(300, seed=0, not_ready=2, cordoned=1)."""
    text = SAMPLE.read_text(encoding="utf-8")
    assert text == nodes_json(make_nodes(300, seed=0, control_plane=3, not_ready=2, cordoned=1))
    assert SAMPLE.stat().st_size < 1_500_000
    nodes = load_nodes(SAMPLE)
    assert len(nodes) == 300
    assert sum(CONTROL_PLANE_LABEL in n.labels for n in nodes) == 3
    assert sum(not n.ready for n in nodes) == 2 and sum(n.unschedulable for n in nodes) == 1


# --- nodes_from_pools ------------------------------------------------------------------------
class TestPools:
    def test_counts_names_labels_taints(self) -> None:
        nodes = nodes_from_pools([
            {"name": "general", "count": 3, "labels": {"pool": "general"},
             "allocatable": {"cpu": "4", "memory": "16Gi"}},
            {"name": "gpu", "count": 12, "labels": {"gpu": "a10g"}, "allocatable": {"cpu": "8", "memory": "64Gi"},
             "taints": [{"key": "nvidia.com/gpu", "value": "present", "effect": NO_SCHEDULE}]},
            {"name": "empty", "count": 0},  # no nodes: its allocatable, or none, is not read
        ])
        assert [n.name for n in nodes[:4]] == ["general-0", "general-1", "general-2", "gpu-00"]
        assert nodes[-1].name == "gpu-11" and len(nodes) == 15
        assert nodes[0] == Node("general-0", {**kubelet_labels("general-0"), "pool": "general"}, (), True, False, 4000,
                                16 * GI)
        assert nodes[3] == Node("gpu-00", {**kubelet_labels("gpu-00"), "gpu": "a10g"},
                                (Taint("nvidia.com/gpu", "present", NO_SCHEDULE),), True, False, 8000, 64 * GI)
        assert nodes[3].labels["kubernetes.io/os"] == "linux" and nodes[3].labels["kubernetes.io/hostname"] == "gpu-00"

    def test_not_ready_pool_gets_the_lifecycle_controllers_taints(self) -> None:
        (node,) = nodes_from_pools([{"name": "down", "count": 1, "ready": False}])
        assert node == Node("down-0", kubelet_labels("down-0"), NOT_READY, ready=False)
        (node,) = nodes_from_pools([{"name": "down", "count": 1, "ready": False, "taints": [
            {"key": "node.kubernetes.io/not-ready", "effect": NO_EXECUTE}]}])
        assert node.taints == (NOT_READY[1], NOT_READY[0])

    def test_timings_are_refused_not_ignored(self) -> None:
        """A pool's own timings are not modelled: refused, where they were accepted and ignored."""
        with pytest.raises(PoolError, match=r"cluster.pools\[0\].timings: per-pool timings are not modelled"):
            nodes_from_pools([{"name": "a", "count": 2, "timings": {"pull": "lognormal(median=9, p95=20)"}}])
        assert nodes_from_pools([{"name": "a", "count": 2, "timings": {}}]) == nodes_from_pools([{"name": "a",
                                                                                              "count": 2}])

    def test_names_never_collide(self) -> None:
        nodes = nodes_from_pools([{"name": "a", "count": 11}, {"name": "a-1", "count": 2},
                                  {"name": "a-10", "count": 1}])
        assert len({n.name for n in nodes}) == 14

    @pytest.mark.parametrize(("pools", "path", "rule"), [
        ("general", "cluster.pools", "must be a list of pools, got a string"),
        ({"name": "a"}, "cluster.pools", "must be a list of pools, got a mapping"),
        ([], "cluster.pools", "must list at least one pool"),
        (["a"], "cluster.pools[0]", "must be a mapping with name and count, got a string"),
        ([{"count": 1}], "cluster.pools[0].name", "must be 1-50 lowercase letters, digits and '-'"),
        ([{"name": "GPU", "count": 1}], "cluster.pools[0].name", "got 'GPU'"),
        ([{"name": "a-", "count": 1}], "cluster.pools[0].name", "got 'a-'"),
        ([{"name": "a", "count": 1}, {"name": "a", "count": 1}], "cluster.pools[1].name", "duplicate pool name 'a'"),
        ([{"name": "a"}], "cluster.pools[0].count", "must be a non-negative integer, is missing"),
        ([{"name": "a", "count": -1}], "cluster.pools[0].count", "must be a non-negative integer, got -1"),
        ([{"name": "a", "count": 2.0}], "cluster.pools[0].count", "must be a non-negative integer, got 2.0"),
        ([{"name": "a", "count": True}], "cluster.pools[0].count", "must be a non-negative integer, got true"),
        ([{"name": "a", "count": 1, "size": 3}], "cluster.pools[0].size",
         "unknown key; expected one of name, count, labels, taints, allocatable, ready, timings"),
        ([{"name": "a", "count": 1, "labels": ["x"]}], "cluster.pools[0].labels", "must be a mapping, got a list"),
        ([{"name": "a", "count": 1, "labels": {"gpu": True}}], "cluster.pools[0].labels.gpu",
         "must be a string, got a boolean true (quote it in YAML)"),
        ([{"name": "a", "count": 1, "labels": {"zone": 1}}], "cluster.pools[0].labels.zone", "got a number 1"),
        ([{"name": "a", "count": 1, "taints": {"key": "k"}}], "cluster.pools[0].taints",
         "must be a list, got a mapping"),
        ([{"name": "a", "count": 1, "taints": [{"key": "k", "effect": "NoScheduled"}]}],
         "cluster.pools[0].taints[0].effect", "must be NoSchedule, PreferNoSchedule or NoExecute, got 'NoScheduled'"),
        ([{"name": "a", "count": 1, "taints": [{"key": "k"}]}], "cluster.pools[0].taints[0].effect", "is missing"),
        ([{"name": "a", "count": 1, "taints": [{"effect": NO_SCHEDULE}]}], "cluster.pools[0].taints[0].key",
         "is missing: a taint has a key"),
        ([{"name": "a", "count": 1, "taints": [{"key": "k", "effect": NO_SCHEDULE, "timeAdded": "x"}]}],
         "cluster.pools[0].taints[0].timeAdded", "unknown key; expected one of key, value, effect"),
        ([{"name": "a", "count": 1, "taints": [{"key": "k", "effect": NO_SCHEDULE}] * 2}],
         "cluster.pools[0].taints[1]", "duplicate taint k:NoSchedule"),
        ([{"name": "a", "count": 1, "allocatable": {"cpu": "lots"}}], "cluster.pools[0].allocatable.cpu",
         "invalid quantity 'lots'"),
        ([{"name": "a", "count": 1, "allocatable": {"memory": "-1Gi"}}], "cluster.pools[0].allocatable.memory",
         "must not be negative"),
        ([{"name": "a", "count": 1, "allocatable": {"pods": "110"}}], "cluster.pools[0].allocatable.pods",
         "unknown key; expected one of cpu, memory"),
        ([{"name": "a", "count": 1, "allocatable": "4"}], "cluster.pools[0].allocatable", "must be a mapping"),
        ([{"name": "a", "count": 1, "ready": "no"}], "cluster.pools[0].ready", "must be true or false, got 'no'"),
        ([{"name": "a", "count": 1, "timings": 5}], "cluster.pools[0].timings", "must be a mapping, got a number"),
    ])
    def test_validation(self, pools: Any, path: str, rule: str) -> None:
        with pytest.raises(PoolError) as info:
            nodes_from_pools(pools)
        assert isinstance(info.value, ValueError)
        assert info.value.path == path and rule in info.value.rule
        assert str(info.value) == f"{path}: {info.value.rule}"

    def test_pools_that_give_allocatable_for_some_pools_only_are_refused(self) -> None:
        """As a mixed node list; a pool of no nodes is not read. make-nodes, which fills a missing
        allocatable from the instance type (``TestMakeNodes.test_pools``), takes such pools.
        """
        given = {"name": "a", "count": 2, "allocatable": {"cpu": "4", "memory": "16Gi"}}
        with pytest.raises(PoolError) as info:
            nodes_from_pools([given, {"name": "b", "count": 1}], where="scenario.cluster.pools")
        assert info.value.path == "scenario.cluster.pools[1].allocatable"
        assert info.value.rule.startswith("pool 'b' gives no allocatable cpu, where pool 'a' "
                                          "(scenario.cluster.pools[0].allocatable) does")
        assert len(nodes_from_pools([given, {"name": "none", "count": 0}])) == 2

    def test_where_prefixes_the_path(self) -> None:
        with pytest.raises(ValueError, match=r"^scenario\.cluster\.pools\[0\]\.count: "):
            nodes_from_pools([{"name": "a", "count": -1}], where="scenario.cluster.pools")

    def test_pools_from_yaml(self) -> None:
        pools = yaml.safe_load("""
            - name: ssd
              count: 2
              labels: {disktype: ssd}
              taints: [{key: dedicated, value: logging, effect: NoExecute}]
              allocatable: {cpu: 3920m, memory: 16318976Ki}
        """)
        assert nodes_from_pools(pools)[1] == Node("ssd-1", {**kubelet_labels("ssd-1"), "disktype": "ssd"},
                                                  (Taint("dedicated", "logging", NO_EXECUTE),),
                                                  True, False, 3920, 16318976 * KI)


@pytest.mark.parametrize(("key", "raw", "unit"), [
    ("memory", "99999999999999999999999999Ei", "bytes"),  # the API server caps this at 2^63-1 while parsing
    ("cpu", "1e400", "millicores"),  # ... and overflows on this one when the scheduler reads it
    ("memory", "1e400", "bytes"),
    ("cpu", "9999999999999999999Ki", "millicores"),
])
def test_allocatable_beyond_int64_is_refused_alike(tmp_path: Path, key: str, raw: str, unit: str) -> None:
    doc = node_list(node_doc("n1", status={"allocatable": {key: raw}}))
    with pytest.raises(ConfigError, match=re.escape(f"must be at most 2^63-1 {unit}")):
        load_nodes(write(tmp_path, doc))


def test_a_duplicate_key_in_a_json_node_list_is_refused_as_in_a_manifest(tmp_path):
    """json.loads kept the last of two keys; kubectl and the API server refuse a duplicate (strict
    decoding), and so does the manifest reader, naming the line: the node list reader agrees.
    """
    path = tmp_path / "nodes.json"
    path.write_text('{"kind": "List", "items": [\n {"kind": "Node",\n  "metadata": {"name": "a", "name": "b"}}]}\n',
                    encoding="utf-8")
    with pytest.raises(ConfigError, match=r"nodes.json:3: items\[0\]\.metadata\.name: duplicate key 'name'"):
        load_nodes(path)


def test_a_long_yaml_node_list_says_first_that_it_takes_a_while(tmp_path, monkeypatch, capsys) -> None:
    """A YAML node list of tens of MB reads for half a minute: a line says so before, and that JSON is faster."""
    import rollsim.io.nodes.kubectl as kubectl

    ready = {"conditions": [{"type": "Ready", "status": "True"}]}
    text = yaml.safe_dump({"kind": "List", "items": [{"kind": "Node", "metadata": {"name": "a"}, "status": ready}]})
    file = tmp_path / "nodes.yaml"
    file.write_text(text, encoding="utf-8")
    load_nodes(file)
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(kubectl, "SLOW_YAML_BYTES", len(text))
    assert len(load_nodes(file)) == 1
    assert capsys.readouterr().err == kubectl.slow_yaml_note(str(file), len(text)) + "\n"
    assert "kubectl get nodes -o json" in kubectl.slow_yaml_note("n.yaml", 118_000_000)
    assert "118 MB of YAML takes about 30 s" in kubectl.slow_yaml_note("n.yaml", 118_000_000)
    write(tmp_path, {"kind": "List", "items": []}, "big.json")
    monkeypatch.setattr(kubectl, "SLOW_YAML_BYTES", 1)
    with pytest.raises(ConfigError):
        load_nodes(tmp_path / "big.json")  # an empty list: refused, and JSON is never announced
    assert capsys.readouterr().err == ""
