"""Realistic mode as a real control plane: each mechanism against the behaviour before it.

client-go's delaying queue dedup, the controller's own status write coming back through the
DaemonSet informer, the node informer's delay and ``shouldIgnoreNodeUpdate``, whole-second
API timestamps, kubelet admission rejections reaching the failed-pod backoff, and unreachable
(Ready=Unknown) against NotReady (Ready=False) nodes.
"""

from __future__ import annotations

import dataclasses

import pytest
import simpy
from rollsim import build_scenario, simulate
from rollsim.cluster.apiserver import ApiServer
from rollsim.cluster.informer import Informer, should_ignore_node_update
from rollsim.cluster.nodestore import NodeStore
from rollsim.cluster.workqueue import WorkQueue
from rollsim.spec.node import (
    Node,
    Taint,
    kubelet_alive,
    not_ready_node,
    ready_node,
    uniform_nodes,
    unreachable_node,
)

CONSTANT = dict(schedule=1, pull=2, start=3, ready=4, terminate=5, probe_period=0)


# -- the delaying queue ------------------------------------------------------------------------

class _Counting(WorkQueue):
    """Records when each key would be added to the queue proper."""

    __slots__ = ("added",)

    def __init__(self, env: simpy.Environment, dedup: bool) -> None:
        super().__init__(env, dedup)
        self.added: list[float] = []

    def add(self, key) -> None:
        self.added.append(self.env.now)


def _adds(dedup: bool, delays: list[float]) -> list[float]:
    env = simpy.Environment()
    queue = _Counting(env, dedup)
    for delay in delays:
        queue.add_after("ds", delay)
    env.run()
    return queue.added


@pytest.mark.pure
def test_delaying_queue_keeps_only_the_earliest_due_time() -> None:
    """``insert``: a key already waiting moves only sooner; a later AddAfter is dropped."""
    assert _adds(True, [10.0, 11.0, 5.0]) == [5.0]
    assert _adds(False, [10.0, 11.0, 5.0]) == [5.0, 10.0, 11.0]


@pytest.mark.pure
def test_a_key_may_wait_again_once_its_entry_fired() -> None:
    env = simpy.Environment()
    queue = _Counting(env, True)
    queue.add_after("ds", 1.0)
    env.run(until=2.0)
    queue.add_after("ds", 1.0)
    env.run()
    assert queue.added == [1.0, 3.0]


# -- informers ---------------------------------------------------------------------------------

class _Controller:
    consistency = None

    def __init__(self, env: simpy.Environment) -> None:
        self.env, self.requeued, self.updates, self.status = env, [], [], {}

    def status_observed(self, status: dict[str, int]) -> None:
        self.status = status

    def requeue(self, delay: float) -> None:
        self.requeued.append((self.env.now, delay))

    def update_node(self, node_id: int, node: Node) -> None:
        self.updates.append((self.env.now, node_id, node))

    def change_template(self, revision: int) -> None:
        pass


@pytest.mark.parametrize("status_requeue", [True, False])
def test_the_status_write_comes_back_and_enqueues_the_daemonset(status_requeue) -> None:
    env = simpy.Environment()
    api = ApiServer(env, NodeStore(uniform_nodes(1)))
    api.add_daemonset("ds")
    controller = _Controller(env)
    Informer(env, controller, lambda: 0.5, status_requeue=status_requeue).watch(api, "ds")
    api.write_status("ds", {"desired": 1})
    env.run()
    assert controller.requeued == ([(0.5, 0.0)] if status_requeue else [])


@pytest.mark.parametrize("switch", ["status_requeue", "queue_dedup", "whole_second_timestamps"])
def test_each_mechanism_can_be_turned_off_and_the_rollout_still_completes(switch) -> None:
    scenario = build_scenario(nodes=30, max_unavailable=3, min_ready_seconds=2, **CONSTANT)
    off = dataclasses.replace(scenario, controller=dataclasses.replace(scenario.controller, **{switch: False}))
    assert simulate(off, seed=1).summary["completed"]


def test_should_ignore_node_update_compares_labels_and_taints_only() -> None:
    node = Node("a", {"zone": "a"})
    assert should_ignore_node_update(node, dataclasses.replace(node, allocatable_cpu_millis=4000))
    assert not should_ignore_node_update(node, Node("a", {"zone": "b"}))
    assert not should_ignore_node_update(node, dataclasses.replace(node, taints=(Taint("k", "v", "NoSchedule"),)))


def test_node_events_arrive_after_their_own_delay_in_order_and_filtered() -> None:
    env = simpy.Environment()
    nodes = NodeStore(uniform_nodes(2))
    api = ApiServer(env, nodes)
    api.add_daemonset("ds")
    controller = _Controller(env)
    delays = iter([3.0, 1.0, 1.0])
    Informer(env, controller, None, node_delay=lambda: next(delays)).watch(api, "ds")
    nodes.update(0, unreachable_node(nodes.nodes[0]))  # due at 3
    nodes.update(1, dataclasses.replace(nodes.nodes[1], allocatable_cpu_millis=1))  # ignored, due at 3
    nodes.update(0, ready_node(nodes.nodes[0]))  # due at 1, but never before the one ahead of it
    env.run()
    assert [(t, i) for t, i, _ in controller.updates] == [(3.0, 0), (3.0, 0)]
    assert controller.updates[1][2].ready


# -- whole-second timestamps -------------------------------------------------------------------

def test_api_timestamps_are_whole_seconds() -> None:
    env = simpy.Environment()
    env.run(until=12.7)
    api = ApiServer(env, NodeStore(uniform_nodes(1)), whole_seconds=True)
    api.add_daemonset("ds")
    assert api.create_pod("ds", 0, 1).created_at == 12.0
    assert ApiServer(env, NodeStore(uniform_nodes(1))).timestamp() == 12.7


@pytest.mark.parametrize("whole", [True, False])
def test_whole_second_ready_times_make_pods_available_up_to_a_second_sooner(whole) -> None:
    scenario = build_scenario(nodes=20, max_unavailable=2, min_ready_seconds=10, ready=4.5, **{
        k: v for k, v in CONSTANT.items() if k != "ready"})
    scenario = dataclasses.replace(scenario, controller=dataclasses.replace(
        scenario.controller, whole_second_timestamps=whole))
    nodes = simulate(scenario, seed=2).nodes
    wait = (nodes["new_available_at_s"] - nodes["new_ready_at_s"]).to_numpy()
    if whole:
        assert (wait <= 10.0).all() and (wait > 9.0).all() and (wait < 10.0 - 1e-9).any()
    else:
        assert wait == pytest.approx(10.0)


# -- kubelet-produced Failed pods and the failed-pod backoff ------------------------------------

def test_admission_rejected_pods_are_replaced_with_the_failed_pod_backoff() -> None:
    """Every new pod is rejected (phase Failed) 1 s after its creation (the bind): manage deletes
    it and creates another, but the per-node backoff doubles (1 s to 15 min), so each doubling of
    the time adds one more try (a create, a delete and their status writes), not one per 2 s."""
    writes = [simulate(build_scenario(nodes=1, new_pods="rejected", controller="ideal", horizon=h,
                                      **CONSTANT)).summary["api_writes"] for h in (60, 120, 240)]
    assert writes[2] - writes[1] == writes[1] - writes[0] == 4
    assert writes[0] < 60 / 2


def test_some_rejected_pods_only_slow_the_rollout() -> None:
    healthy = simulate(build_scenario(nodes=20, max_unavailable=2, **CONSTANT), seed=5).summary
    some = simulate(build_scenario(nodes=20, max_unavailable=2, new_pods="rejected:0.3", **CONSTANT), seed=5).summary
    assert healthy["completed"] and some["completed"]
    assert some["duration_s"] > healthy["duration_s"]


def test_crash_loops_never_fail_the_pod() -> None:
    """restartPolicy Always: a crash loop keeps the pod Running, so no failed-pod deletion."""
    s = simulate(build_scenario(nodes=3, new_pods="crashloop", controller="ideal", horizon=300,
                                **CONSTANT)).summary
    assert s["updated"] == 1 and not s["completed"]  # the first new pod holds the budget for ever


# -- unreachable (Ready=Unknown) against NotReady (Ready=False) ----------------------------------

def test_condition_taints() -> None:
    node = Node("a")
    assert not kubelet_alive(unreachable_node(node)) and kubelet_alive(not_ready_node(node))
    assert ready_node(unreachable_node(node)) == node == ready_node(not_ready_node(node))
    assert not_ready_node(unreachable_node(node)).taints == not_ready_node(node).taints


def test_unreachable_nodes_from_a_node_list_hold_budget() -> None:
    """Nodes read as Ready=Unknown with the unreachable taints (kubectl get nodes) had their old
    pod placed before they failed; it counts against the budget (NVSentinel #1764 shape). Before,
    only the not-ready taint was recognised, and the deadlock disappeared."""
    nodes = tuple(unreachable_node(n) if i < 20 else n for i, n in enumerate(uniform_nodes(288)))
    s = simulate(build_scenario(node_list=nodes, max_unavailable="5%", stall_after=1200), seed=1).summary
    assert s["nodes"] == 268 and s["stalled"] and s["updated"] == 0


def test_a_kubelet_reporting_not_ready_still_kills_pods_so_no_deadlock() -> None:
    common = dict(nodes=288, max_unavailable="5%", not_ready_nodes=20, stall_after=1200)
    unknown = simulate(build_scenario(**common), seed=1).summary
    false = simulate(build_scenario(not_ready_condition="False", **common), seed=1).summary
    assert unknown["stalled"] and unknown["updated"] == 0
    assert false["completed"] and false["updated"] == 268


# -- a terminating pod's updates (updatePod -> deletePod on every update) ------------------------

def test_each_update_of_a_terminating_pod_counts_as_an_observed_deletion() -> None:
    from rollsim.controller.daemon import DaemonSetController
    from rollsim.controller.pods import RUNNING, Pod
    from rollsim.spec.node import PodPlacement
    from rollsim.spec.scenario import UpdateStrategy

    c = DaemonSetController(nodes=uniform_nodes(2), placement=PodPlacement(), strategy=UpdateStrategy(),
                            min_ready_seconds=0, pod_control=None, clock=lambda: 0.0,  # type: ignore[arg-type]
                            requeue=lambda _d: None, rank=[0.0, 1.0])
    pods = [Pod(i + 1, i, 0, 0.0, scheduled=True, phase=RUNNING, ready=True) for i in range(2)]
    for pod in pods:
        c.pod_added(pod.copy())
    c.expectations.set(0, 2, 0.0)  # both old pods deleted in one sync
    terminating = pods[0].copy()
    terminating.deleting, terminating.ready = True, False
    c.pod_updated(terminating)
    assert not c.expectations.satisfied(0.0)  # pod 2's deletion is not seen yet
    again = terminating.copy()
    again.resource_version += 1  # e.g. the kubelet's status update while it shuts down
    c.pod_updated(again)
    assert c.expectations.satisfied(0.0)  # upstream counts it twice
