"""What joins and leaves during a rollout: the node an added node copies, unbound pods of a
removed node, and the node-change flags given more than once.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import simpy
from rollsim import build_scenario, simulate
from rollsim.cli import main
from rollsim.cluster.apiserver import ApiPodControl, ApiServer
from rollsim.cluster.nodestore import NodeStore
from rollsim.io.nodes import load_nodes, nodes_from_pools
from rollsim.io.yamldoc import ConfigError
from rollsim.observe.metrics import lowest_available
from rollsim.spec.churn import join_templates, joining_node
from rollsim.spec.node import (
    NO_SCHEDULE,
    PREFER_NO_SCHEDULE,
    Node,
    PodPlacement,
    Taint,
    Toleration,
    kubelet_labels,
    not_ready_node,
    uniform_nodes,
)
from rollsim.spec.scenario import DaemonSetSpec

CONSTANT = dict(schedule=1, pull=1, start=1, ready=1, terminate=1, probe_period=0, controller="ideal")
LINUX = DaemonSetSpec(placement=PodPlacement(node_selector={"kubernetes.io/os": "linux"}))


def _template(nodes: list) -> Node | None:
    """What the first node that joins copies (``join_templates``' first)."""
    return join_templates(nodes, 1)[0]


def test_an_added_node_carries_the_kubelets_labels() -> None:
    node = joining_node(_template(uniform_nodes(3)), "added-00001")
    assert dict(node.labels) == kubelet_labels("added-00001")
    assert node.ready and not node.taints and not node.unschedulable
    assert dict(joining_node(None, "added-00002").labels) == kubelet_labels("added-00002")  # no node to copy


def test_the_template_is_the_most_common_shape_of_the_ready_schedulable_nodes() -> None:
    arm = [Node(f"arm-{i}", {**kubelet_labels(f"arm-{i}", arch="arm64"), "pool": "arm"},
                (Taint("arm", "", PREFER_NO_SCHEDULE),), allocatable_cpu_millis=4000, allocatable_memory_bytes=2**34)
           for i in range(3)]
    amd = list(uniform_nodes(2))
    cordoned = [Node(f"c-{i}", kubelet_labels(f"c-{i}"), unschedulable=True) for i in range(5)]
    failed = [not_ready_node(n) for n in uniform_nodes(5, prefix="nr-")]
    template = _template([*amd, *cordoned, *failed, *arm])
    assert template is arm[0]  # 3 arm nodes outnumber 2 Ready amd64 ones; cordoned and NotReady ones do not count
    node = joining_node(template, "added-00001")
    assert node.labels["kubernetes.io/arch"] == "arm64" and node.labels["pool"] == "arm"
    assert node.labels["kubernetes.io/hostname"] == "added-00001"
    assert node.taints == (Taint("arm", "", PREFER_NO_SCHEDULE),)
    assert (node.allocatable_cpu_millis, node.allocatable_memory_bytes) == (4000, 2**34)
    assert _template([*amd, *arm[:2]]) is amd[0]  # a tie: the first in list order
    assert _template([]) is None
    assert _template(failed).ready is False  # none Ready: among all; the added node is Ready anyway
    assert joining_node(_template(failed), "a").ready and not joining_node(_template(failed), "a").taints


def test_the_template_is_a_worker_where_there_is_one() -> None:
    """kubectl lists nodes by name, so control-plane nodes may come first; where every node's shape
    differs (allocatable memory by a few Ki) the first in list order was a control-plane node, and
    every node that joined copied its taint (review R3). A node pool tainted NoSchedule (dedicated)
    is not what a scale-out adds either, unless every node is such."""
    control_plane = [Node(f"cp-{i}", {**kubelet_labels(f"cp-{i}"), "node-role.kubernetes.io/control-plane": ""},
                          (Taint("node-role.kubernetes.io/control-plane", "", NO_SCHEDULE),),
                          allocatable_memory_bytes=2**33 + i) for i in range(3)]
    untainted_control_plane = [Node("m-0", {**kubelet_labels("m-0"), "node-role.kubernetes.io/master": ""})]
    workers = [Node(f"w-{i}", kubelet_labels(f"w-{i}"), allocatable_memory_bytes=2**33 + 1024 * i) for i in range(3)]
    dedicated = [Node(f"d-{i}", kubelet_labels(f"d-{i}"), (Taint("dedicated", "db", NO_SCHEDULE),)) for i in range(5)]
    assert _template([*control_plane, *untainted_control_plane, *workers]) is workers[0]
    assert _template([*dedicated, *workers[:1]]) is workers[0]
    assert _template(dedicated) is dedicated[0]  # no worker: among the Ready, schedulable nodes
    assert _template(control_plane) is control_plane[0]


def test_nodes_added_under_an_os_selector_become_desired() -> None:
    """10 nodes + 5 added at t=30, ``nodeSelector: kubernetes.io/os: linux``, maxUnavailable 1,
    a 5 s cycle: the old pods go one at a time (10 x 5 s = 50 s), the five added nodes get their
    pods at once at 30 s, outside the budget; so 15 desired and done at 50 s, as without the
    selector (before the fix: 10 desired, the added nodes never got a pod).
    """
    with_selector = simulate(build_scenario(daemonset_spec=LINUX, nodes=10, add_nodes="5@30", **CONSTANT))
    without = simulate(build_scenario(nodes=10, add_nodes="5@30", **CONSTANT))
    s = with_selector.summary
    assert s["nodes"] == 15 and s["updated"] == 15 and s["completed"] is True
    assert with_selector.status_log[-1][1]["desired"] == 15
    assert s["duration_s"] == without.summary["duration_s"]
    added = with_selector.nodes[with_selector.nodes["node"].str.startswith("added-")]
    assert len(added) == 5 and (added["new_created_at_s"] == 30).all()


def test_an_added_node_copies_the_largest_pool() -> None:
    """The gpu pool (2 nodes, tainted) is smaller than the cpu pool (3): an added node is a cpu
    node, so a DaemonSet that selects cpu nodes runs on it and one that selects gpu nodes does not.
    """
    pools = [{"name": "gpu", "count": 2, "labels": {"pool": "gpu"},
              "taints": [{"key": "gpu", "effect": "NoSchedule"}], "allocatable": {"cpu": "8", "memory": "32Gi"}},
             {"name": "cpu", "count": 3, "labels": {"pool": "cpu"}, "allocatable": {"cpu": "4", "memory": "16Gi"}}]
    nodes = nodes_from_pools(pools)
    added = joining_node(_template(nodes), "added-00001")
    assert added.labels["pool"] == "cpu" and added.allocatable_cpu_millis == 4000 and not added.taints
    tolerate = (Toleration("gpu", "Exists"),)
    gpu = DaemonSetSpec(placement=PodPlacement(node_selector={"pool": "gpu"}, tolerations=tolerate))
    cpu = DaemonSetSpec(placement=PodPlacement(node_selector={"pool": "cpu"}))
    assert simulate(build_scenario(daemonset_spec=cpu, node_list=nodes, add_nodes="2@10", **CONSTANT)).summary[
        "nodes"] == 5
    assert simulate(build_scenario(daemonset_spec=gpu, node_list=nodes, add_nodes="2@10", **CONSTANT)).summary[
        "nodes"] == 2


def test_the_unbound_pod_of_a_removed_node_is_gone_at_once() -> None:
    """4 nodes, maxUnavailable 2, a 20 s scheduler (cycle 1 + 20 + 3 = 24 s); a node of the first
    pair leaves at t=5 while its new pod is still unbound. The API server deletes an unbound pod
    at once (``CheckGracefulDelete``), so rollingUpdate takes the third node at 5 s and the
    fourth when the second is done, at 24 s: 24 + 24 = 48 s, whichever node leaves (before the
    fix: 84 s when it was one with an unbound pod, seed 2: the pod stayed terminating until PodGC).
    """
    for seed in range(4):
        s = simulate(build_scenario(nodes=4, max_unavailable=2, remove_nodes="1@5", **{**CONSTANT, "schedule": 20}),
                     seed=seed).summary
        assert (s["nodes"], s["completed"], s["duration_s"]) == (3, True, 48.0), seed


def _api() -> tuple[simpy.Environment, ApiServer]:
    env = simpy.Environment()
    return env, ApiServer(env, NodeStore(uniform_nodes(1)))


def test_deleting_an_unbound_pod_removes_it_a_bound_one_terminates() -> None:
    env, api = _api()
    api.add_daemonset("ds")
    events: list[tuple[str, int]] = []
    api.watch_pods(lambda kind, pod: events.append((kind, pod.uid)))
    unbound, bound = api.create_pod("ds", 0, 1), api.seed_pod("ds", 0, 0, 0.0)
    assert api.delete_pod(unbound.uid) is unbound and api.pod(unbound.uid) is None
    assert api.delete_pod(bound.uid) is bound and api.pod(bound.uid) is bound and bound.deleting
    assert events == [("ADDED", unbound.uid), ("DELETED", unbound.uid), ("MODIFIED", bound.uid)]
    assert api.delete_pod(bound.uid) is None  # already terminating: returned unchanged, no event
    assert len(events) == 3


def test_a_delete_that_finds_no_pod_is_an_observed_deletion() -> None:
    """syncNodes: a DeletePod that fails NotFound is DeletionObserved at once; one that finds
    the pod already terminating (no error) is not.
    """
    env, api = _api()
    api.add_daemonset("ds")
    control = ApiPodControl(env, api, "ds", None, None)
    observed: list[int] = []
    control.not_found = lambda: observed.append(1)
    gone, terminating = api.seed_pod("ds", 0, 0, 0.0), api.seed_pod("ds", 0, 0, 0.0)
    api.remove_pod(gone)
    api.delete_pod(terminating.uid)
    control.delete(gone)
    assert observed == [1]
    control.delete(terminating)
    assert observed == [1]


def test_a_node_change_flag_given_twice_adds_both(capsys) -> None:
    ideal = ["--controller", "ideal", "--schedule", "1", "--pull", "1", "--start", "1", "--ready", "1",
             "--terminate", "1", "--probe-period", "0"]
    assert main(["simulate", "--nodes", "20", "--add-nodes", "5@3", "--add-nodes", "5@6", *ideal]) == 0
    assert "30-node DaemonSet rollout" in capsys.readouterr().out
    assert main(["simulate", "--nodes", "20", "--remove-nodes", "5@3", "--remove-nodes", "10@5", *ideal]) == 0
    assert "5-node DaemonSet rollout" in capsys.readouterr().out
    assert main(["simulate", "--nodes", "20", "--not-ready-nodes", "1@3", "--not-ready-nodes", "2@5", *ideal,
                 "--horizon", "60"]) == 0
    assert "17-node DaemonSet rollout" in capsys.readouterr().out


# --- what simulate prints of a run whose nodes changed ------------------------------------------------------


def _printed(capsys, *argv: str) -> str:
    ideal = ["--controller", "ideal", "--schedule", "1", "--pull", "1", "--start", "1", "--ready", "1",
             "--terminate", "1", "--probe-period", "0"]
    assert main(["simulate", *argv, *ideal]) == 0
    return capsys.readouterr().out


TOLERATE_ALL = """apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: kube-system}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      tolerations: [{operator: Exists}]
      containers: [{name: c, image: example.com/agent:v2}]
"""


def test_up_to_date_is_the_status_kubectl_shows(capsys, tmp_path) -> None:
    """maxSurge 3, maxUnavailable 0, 2 unreachable nodes with a pod that tolerates everything: on
    those two the old pod stays terminating beside the new one, and updateDaemonSetStatus counts
    a node by its oldest pod, so kubectl's UP-TO-DATE is 18 (before: 20, the recorder's count of
    nodes whose pods not terminating are all new); the recorder counts by the same rule now, so
    the line has no second count.
    """
    manifest = tmp_path / "ds.yaml"
    manifest.write_text(TOLERATE_ALL, encoding="utf-8")
    out = _printed(capsys, "--manifest", str(manifest), "--nodes", "20", "--not-ready-nodes", "2",
                   "--max-unavailable", "0", "--max-surge", "3", "--horizon", "120")
    assert "up-to-date         18 / 20 nodes with a pod of the new revision (kubectl's UP-TO-DATE)\n" in out


def test_the_nodes_line_counts_the_nodes_as_the_header_does(capsys) -> None:
    out = _printed(capsys, "--nodes", "20", "--not-ready-nodes", "2", "--max-unavailable", "3")
    assert "18-node DaemonSet rollout" in out
    assert ("nodes              18 of 20 run the DaemonSet (20 listed, 2 NotReady); not: 2 get no new pod "
            "(none is created, and the rolling update deletes any old pod there)") in out  # it said "stays"
    out = _printed(capsys, "--nodes", "20", "--not-ready-nodes", "2", "--strategy", "OnDelete")
    assert "not: 2 get no new pod (a pod already there stays)" in out  # no deleter: it does
    out = _printed(capsys, "--nodes", "10", "--add-nodes", "5@30", "--remove-nodes", "2@40")
    assert "13-node DaemonSet rollout" in out and "13 of 13 run the DaemonSet (10 listed, 5 added, 2 removed)" in out


def test_min_available_and_its_share_come_from_their_own_moments(capsys) -> None:
    """10 nodes, 5 more at t=30 (their pods outside the budget): the fewest available is 9 of 10
    during the rollout, the lowest share 10 of 15 when the five join; all 20 removed at t=3: the
    moments with 0 of 0 desired are no moments of 0 available (before: "0 nodes (95.0%)").
    """
    out = _printed(capsys, "--nodes", "10", "--add-nodes", "5@30")
    assert "min available      9 nodes of 10 (90.0%); lowest share 66.7% (10 of 15)" in out
    out = _printed(capsys, "--nodes", "20", "--remove-nodes", "20@3")
    assert "min available      19 nodes (95.0%)" in out
    s = simulate(build_scenario(nodes=20, remove_nodes="20@3", **CONSTANT)).summary
    assert (s["min_available"], s["min_available_fraction"]) == (19, 0.95)


# --- a node list's NotReady nodes ------------------------------------------------------------------------------


def _node_list(tmp_path, status: str, taints: list) -> str:
    node = {"kind": "Node", "metadata": {"name": "n0"}, "spec": {"taints": taints},
            "status": {"conditions": [{"type": "Ready", "status": status}]}}
    path = tmp_path / "nodes.json"
    path.write_text(json.dumps({"kind": "List", "items": [node]}, indent=1), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(("status", "key"), [("False", "not-ready"), ("Unknown", "unreachable")])
def test_a_not_ready_node_without_its_taint_is_refused(tmp_path, status: str, key: str) -> None:
    """Accepted, it stayed desired and deadlocked the rollout; the node lifecycle controller taints
    such a node NoSchedule on its next update, so the list was written by hand.
    """
    with pytest.raises(ConfigError) as refused:
        load_nodes(_node_list(tmp_path, status, []))
    text = str(refused.value)
    assert "nodes.json:" in text and "items[0].status.conditions[0].status: is " + status in text
    assert f"node.kubernetes.io/{key}:NoSchedule" in text and "(node 'n0')" in text
    noexecute = [{"key": f"node.kubernetes.io/{key}", "effect": "NoExecute"}]
    with pytest.raises(ConfigError):  # NoExecute alone (a full zone disruption may lift it) is not enough
        load_nodes(_node_list(tmp_path, status, noexecute))
    (node,) = load_nodes(_node_list(tmp_path, status, [{"key": f"node.kubernetes.io/{key}", "effect": "NoSchedule"}]))
    assert node.ready is False


def test_the_cli_refuses_it_with_exit_code_2(tmp_path, capsys) -> None:
    assert main(["simulate", "--nodes-file", _node_list(tmp_path, "False", [])]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "status.conditions[0].status: is False without" in err


def test_the_moments_of_the_fewest_available_and_of_the_lowest_share() -> None:
    timeline = {"desired": np.array([10, 10, 15, 15, 0]), "available": np.array([10, 9, 10, 15, 0])}
    assert lowest_available(timeline) == ((9, 10), (10, 15))  # the last row, 0 of 0, is neither
    assert lowest_available({"desired": np.array([0, 0]), "available": np.array([0, 0])}) is None


def test_the_header_resolves_a_percentage_budget_against_each_desired_count(capsys) -> None:
    """100 nodes at 10%, 50 removed at 300 s: the budget was 10, then 5 (audit item 4: before, "10% (= 5)"
    beside max unavailable 10, read as a violation); the node downtime says which nodes it covers
    (audit item 13), the unavailable node-seconds counting the removed ones too.
    """
    out = _printed(capsys, "--nodes", "100", "--max-unavailable", "10%", "--remove-nodes", "50@30")
    assert "(RollingUpdate, maxUnavailable 10% (= 10 → 5), maxSurge 0 (= 0);" in out
    assert "(of the 50 nodes still desired at the end; unavailable counts the 50 nodes that left too, while desired)" \
        in out
    out = _printed(capsys, "--nodes", "20", "--max-unavailable", "25%")  # no change: one figure, no note
    assert "maxUnavailable 25% (= 5), maxSurge 0 (= 0);" in out and "budget note" not in out
    assert "node downtime      p50 " in out and "still desired" not in out
    out = _printed(capsys, "--nodes", "20", "--remove-nodes", "20@3")  # every node removed
    assert "node downtime      none (no node is desired at the end; unavailable counts the 20 nodes that left" in out


def test_a_note_says_when_nodes_explain_unavailability_beside_the_budget(capsys) -> None:
    """Added nodes count unavailable outside maxUnavailable (max unavailable past the budget); NotReady
    nodes' pods count against it but not in max unavailable (2 of a budget of 5 used): a note says so.
    """
    out = _printed(capsys, "--nodes", "20", "--max-unavailable", "25%", "--add-nodes", "20@0")
    assert "max unavailable    20 nodes\n  budget note        nodes that join count unavailable until their pod is " \
           "available (numberUnavailable), outside maxUnavailable\n" in out
    out = _printed(capsys, "--nodes", "100", "--max-unavailable", "5", "--not-ready-nodes", "3")
    assert "budget note        the old pods of 3 NotReady nodes (Ready=Unknown), not Ready, are deleted at once but " \
           "stay terminating on a kubelet that is gone, and count against maxUnavailable for as long " \
           "(rollingUpdate counts every node's pods), not in max unavailable (desired nodes only)" in out
    # a live kubelet (Ready=False) confirms the deletions within the grace period: the budget is theirs only then
    out = _printed(capsys, "--nodes", "100", "--max-unavailable", "5", "--not-ready-nodes", "10",
                   "--not-ready-condition", "False")
    assert "completed          yes" in out and "max unavailable    5 nodes" in out
    assert "the old pods of 10 nodes NotReady from the start (Ready=False), not Ready, were deleted at once and " \
           "counted against maxUnavailable only until their kubelets confirmed it" in out and "for as long" not in out
    # audit 6: a node that reports Ready=False during the run keeps its pods Ready (no MarkPodsNotReady): they
    # are replaced within the budget, and no note says they were deleted at once
    out = _printed(capsys, "--nodes", "50", "--max-unavailable", "2", "--not-ready-nodes", "5@100",
                   "--not-ready-condition", "False", "--stall-after", "900")
    assert "deleted at once" not in out
    # with maxSurge their unavailable old pods are replaced at once, outside both budgets: no such note
    out = _printed(capsys, "--nodes", "10", "--max-surge", "1", "--not-ready-nodes", "2")
    assert "completed          yes" in out and "budget note" not in out
    # audit 35: of 2 nodes gone NotReady at 20 s, one was updated already (its new pod marked not Ready), one
    # had its old pod deleted then, stuck terminating; the note called both the latter
    assert main(["simulate", "--nodes", "10", "--controller", "ideal", "--schedule", "1", "--pull", "2", "--start", "3",
                 "--ready", "4", "--terminate", "5", "--probe-period", "0", "--max-unavailable", "2",
                 "--not-ready-nodes", "2@20", "--stall-after", "300"]) == 0  # a stall is a result
    out = capsys.readouterr().out
    assert "1 with pods stuck terminating on a dead kubelet, 1 whose new pods are not available" in out
    assert "the old pods of 1 NotReady node (Ready=Unknown), not Ready, are deleted at once but stay terminating" in out
    assert "the new pods of 1 node updated before going NotReady (Ready=Unknown) are marked not Ready" in out


def test_wording_names_what_the_run_had(capsys) -> None:
    """Audit 6: every node removed is not "no Ready node to update", and a stall names the budget its
    strategy has (maxUnavailable alone without surge, maxSurge's slots alone without maxUnavailable)."""
    out = _printed(capsys, "--nodes", "10", "--remove-nodes", "10@0")
    assert "with nothing updated: its nodes left the cluster or went NotReady before they were updated" in out
    out = _printed(capsys, "--nodes", "20", "--max-unavailable", "3", "--new-pods", "crashloop", "--stall-after", "300")
    assert "on 3 nodes hold the budget (maxUnavailable); " in out
    out = _printed(capsys, "--nodes", "20", "--max-unavailable", "0", "--max-surge", "2", "--new-pods", "crashloop",
                   "--stall-after", "300")
    assert "hold the budget (maxSurge's slots); " in out
