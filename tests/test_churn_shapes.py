"""Nodes that join copy the shapes of the nodes there in proportion to their counts, as a cluster
autoscaler's scale-up adds nodes of its node groups; the messages that count nodes count the
user's, and the nodes that join apart.
"""

from __future__ import annotations

from collections import Counter

import pytest
from rollsim import build_scenario, simulate
from rollsim.cli import main
from rollsim.present.study import no_node_words
from rollsim.spec.churn import (
    join_order,
    join_shapes,
    join_templates,
    joining_nodes,
    nodes_that_join,
)
from rollsim.spec.node import (
    NO_SCHEDULE,
    Node,
    NodeSelectorRequirement,
    NodeSelectorTerm,
    PodPlacement,
    Taint,
    kubelet_labels,
    not_ready_node,
    uniform_nodes,
)
from rollsim.spec.optionerrors import OptionError
from rollsim.spec.scenario import DaemonSetSpec

CONSTANT = dict(schedule=1, pull=1, start=1, ready=1, terminate=1, probe_period=0, controller="ideal")
ZONE = "topology.kubernetes.io/zone"


def _zones(**counts: int) -> list[Node]:
    """Nodes of the zones named, as many of each as given, one instance type per zone."""
    return [Node(f"{zone}-{i}", {**kubelet_labels(f"{zone}-{i}"), ZONE: zone, "type": f"m-{zone}"},
                 allocatable_cpu_millis=2000 * (k + 1))
            for k, (zone, count) in enumerate(counts.items()) for i in range(count)]


def _in_zone(zone: str) -> DaemonSetSpec:
    return DaemonSetSpec(placement=PodPlacement(node_selector={ZONE: zone}))


def test_the_order_of_shapes_is_proportional_at_every_prefix() -> None:
    assert join_order([6, 3, 1], 10) == [0, 1, 0, 0, 1, 2, 0, 0, 1, 0]
    for k in range(1, 31):
        counts = Counter(join_order([6, 3, 1], k))
        assert all(abs(counts[i] - k * w / 10) < 1 for i, w in enumerate((6, 3, 1)))  # within a node of its share
    assert Counter(join_order([6, 3, 1], 30)) == {0: 18, 1: 9, 2: 3}
    assert join_order([1, 1, 1], 7) == [0, 1, 2, 0, 1, 2, 0]  # every shape differs: round robin in list order
    assert join_order([3, 1], 4) == [0, 0, 1, 0]  # the second: 3/3 against 1/1, a tie, the most common first
    assert join_order([2, 1, 1], 4) == [0, 1, 2, 0]  # 1/1 against 1/1: the first in list order
    assert join_order([5], 3) == [0, 0, 0] and join_order([], 0) == []


def test_nodes_that_join_follow_the_zones_6_3_1() -> None:
    """Before, all ten copied zone a's first node: zone b and c gained none."""
    nodes = _zones(a=6, b=3, c=1)
    templates = join_templates(nodes, 10)
    assert Counter(t.labels[ZONE] for t in templates if t is not None) == {"a": 6, "b": 3, "c": 1}
    assert join_templates(nodes, 4) == templates[:4]  # the k-th node's shape does not depend on how many join
    assert [(n.name, n.labels[ZONE], count) for n, count in nodes_that_join(nodes, 10)] == [
        ("added-00001", "a", 6), ("added-00002", "b", 3), ("added-00006", "c", 1)]
    assert nodes_that_join(nodes, 10)[2][0].allocatable_cpu_millis == 6000  # zone c's instance type


def test_the_exclusions_hold_for_every_shape() -> None:
    """Control-plane, NoSchedule-tainted, NotReady and cordoned nodes are no shape a scale-out adds."""
    workers = _zones(a=2, b=1)
    control = Node("cp-0", {**kubelet_labels("cp-0"), "node-role.kubernetes.io/control-plane": ""})
    dedicated = [Node(f"d-{i}", kubelet_labels(f"d-{i}"), (Taint("dedicated", "db", NO_SCHEDULE),)) for i in range(5)]
    failed = [not_ready_node(n) for n in _zones(f=4)]
    cordoned = [Node(f"c-{i}", {**kubelet_labels(f"c-{i}"), ZONE: "g"}, unschedulable=True) for i in range(4)]
    shapes = join_shapes([control, *dedicated, *failed, *cordoned, *workers])
    assert [(n.name, count) for n, count in shapes] == [("a-0", 2), ("b-0", 1)]
    assert join_templates([control, *workers], 1)[0] is workers[0]


def test_a_homogeneous_list_joins_one_shape_as_before() -> None:
    nodes = uniform_nodes(5)
    assert join_templates(nodes, 3) == (nodes[0],) * 3 and join_templates([], 2) == (None, None)
    assert [(n.name, count) for n, count in nodes_that_join(nodes, 7)] == [("added-00001", 7)]


@pytest.mark.parametrize(("zone", "desired"), [("a", 12), ("b", 6), ("c", 2)])
def test_a_selector_of_one_zone_runs_on_its_share_of_the_nodes_that_join(zone: str, desired: int) -> None:
    """6/3/1 nodes in zones a/b/c and 10 that join: a DaemonSet of zone c runs on its node and one
    that joins (before, on its node alone: 1; zone a's on 16), whatever the seed.
    """
    for seed in (0, 1):
        r = simulate(build_scenario(daemonset_spec=_in_zone(zone), node_list=_zones(a=6, b=3, c=1),
                                    add_nodes="10@0", max_unavailable=1, **CONSTANT), seed=seed)
        assert r.summary["nodes"] == desired and r.summary["completed"] is True
        assert r.status_log[-1][1]["desired"] == desired
    if zone == "c":
        assert set(r.nodes.loc[r.nodes["desired"].astype(bool), "node"]) == {"c-0", "added-00006"}


def test_the_check_asks_every_shape_that_joins() -> None:
    """A DaemonSet pinned to the first node of zone c that joins: before, only the first node that
    joins (zone a's, added-00001) was asked, and it was refused as matching no node.
    """
    named = NodeSelectorRequirement("kubernetes.io/hostname", "In", ("added-00006",))
    pinned = DaemonSetSpec(placement=PodPlacement(
        required_node_affinity=(NodeSelectorTerm(match_expressions=(named,)),)))
    scenario = build_scenario(daemonset_spec=pinned, node_list=_zones(a=6, b=3, c=1), add_nodes="10@0", **CONSTANT)
    assert simulate(scenario).summary["nodes"] == 1
    with pytest.raises(OptionError, match="matches no node"):  # five join: the sixth, zone c's first, does not
        build_scenario(daemonset_spec=pinned, node_list=_zones(a=6, b=3, c=1), add_nodes="5@10")


def test_the_check_asks_each_node_that_joins_by_name() -> None:
    """A DaemonSet pinned by hostname to the third node that joins a homogeneous cluster: the first
    node of the one shape (added-00001) stood for all five, and it was refused as matching no node.
    """
    def pinned_to(name: str) -> DaemonSetSpec:
        return DaemonSetSpec(placement=PodPlacement(node_selector={"kubernetes.io/hostname": name}))

    r = simulate(build_scenario(daemonset_spec=pinned_to("added-00003"), nodes=5, add_nodes="5@0", **CONSTANT))
    assert r.summary["nodes"] == 1
    assert list(r.nodes.loc[r.nodes["desired"].astype(bool), "node"]) == ["added-00003"]
    build_scenario(daemonset_spec=pinned_to("added-00005"), nodes=5, add_nodes="5@60")  # the last to join
    with pytest.raises(OptionError, match="matches no node"):  # only five join
        build_scenario(daemonset_spec=pinned_to("added-00006"), nodes=5, add_nodes="5@60")


def test_joining_nodes_are_the_nodes_the_run_adds() -> None:
    zones = _zones(a=6, b=3, c=1)
    r = simulate(build_scenario(node_list=zones, add_nodes="10@0", max_unavailable=1, **CONSTANT))
    expected = tuple(joining_nodes(zones, 10))
    added = r.nodes[r.nodes["node"].str.startswith("added-")]
    assert list(added["node"]) == [n.name for n in expected] == [f"added-{k:05d}" for k in range(1, 11)]
    assert Counter(n.labels[ZONE] for n in expected) == {"a": 6, "b": 3, "c": 1}
    assert [n.labels[ZONE] for n in expected] == [t.labels[ZONE] for t in join_templates(zones, 10)]


def test_matching_no_node_counts_the_users_nodes_and_those_that_join_apart() -> None:
    """It said ``11 of 11 nodes`` for 10 nodes and some that join, counting a node that stands for
    those that join as one of the user's.
    """
    ssd = DaemonSetSpec(placement=PodPlacement(node_selector={"disktype": "ssd"}))
    with pytest.raises(OptionError) as refused:
        build_scenario(daemonset_spec=ssd, nodes=10, add_nodes="5@60")
    assert ("(10 of 10 nodes: nodeSelector disktype=ssd does not match, e.g. node-0; likewise the 5 nodes that "
            "join (add_nodes))") in refused.value.message
    with pytest.raises(OptionError) as refused:
        build_scenario(daemonset_spec=ssd, nodes=0, add_nodes="1@60")
    assert "(the node that joins (add_nodes): 1 nodeSelector disktype=ssd does not match)" in refused.value.message
    gpu = [{"name": "gpu", "count": 2, "taints": [{"key": "gpu", "value": "true", "effect": "NoSchedule"}]}]
    from rollsim.io.nodes import nodes_from_pools

    tolerate = [{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}]
    with pytest.raises(OptionError) as refused:
        build_scenario(node_list=nodes_from_pools(gpu), tolerations=tolerate, also=[{"name": "b"}], add_nodes="3@10")
    assert ("matches no node (2 of 2 nodes: untolerated taint gpu=true:NoSchedule, e.g. gpu-0; likewise the 3 "
            "nodes that join (add_nodes))") in refused.value.message


def test_the_cli_line_keeps_its_way_out(tmp_path, capsys) -> None:
    """The error line is cut at 300 characters: the count of the nodes that join must leave room
    for ``--allow-no-nodes``.
    """
    manifest = tmp_path / "ds.yaml"
    manifest.write_text("apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: ssd-agent}\nspec:\n"
                        "  selector: {matchLabels: {app: a}}\n  template:\n    metadata: {labels: {app: a}}\n"
                        "    spec:\n      nodeSelector: {disktype: ssd}\n      containers: [{name: a, image: a:1}]\n",
                        encoding="utf-8")
    assert main(["simulate", "--nodes", "10", "--add-nodes", "5@60", "--manifest", str(manifest)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "10 of 10 nodes: " in line and "likewise the 5 nodes that join (add_nodes)" in line
    assert line.endswith("(--allow-no-nodes) if that is intended")


def test_a_report_of_a_daemonset_on_no_node_names_the_nodes_that_join_apart() -> None:
    selector = {"nodes": 10, "node_selector": ["disktype=ssd"]}
    assert no_node_words(selector) == "its nodeSelector disktype=ssd matches none of the 10 nodes"
    assert no_node_words({**selector, "node_changes": ["add 5@60", "add 3@70+10", "remove 2@5"]}) == (
        "its nodeSelector disktype=ssd matches none of the 10 nodes nor of the 8 that join (add_nodes)")
    # audit 23: nothing keeps it off a node, its nodes left during the run
    assert no_node_words({"nodes": 10, "node_changes": ["remove 10@5"]}) == (
        "no node runs it at the end: remove 10@5 took nodes from the rollout")
    assert no_node_words({"nodes": 10}) == "none of the 10 nodes can run it"


def test_the_add_nodes_help_says_the_shapes_join_in_proportion() -> None:
    """The help said each node that joins copies "the cluster's most common" node (audit item 15)."""
    from rollsim.spec.settings import BY_NAME

    words = BY_NAME["add_nodes"].help
    assert "most common" not in words and "each shape (labels, taints, allocatable) in proportion to its count" in words
