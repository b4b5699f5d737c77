"""Node events: ``addNode`` and ``updateNode`` hand the node to ``syncNodeUpdate``, which enqueues
the DaemonSet only when the node needs a sync (kubernetes/kubernetes#130514, #132477); a node's
deletion enqueues nothing. The cache changes (the node's eligibility, its mark in the index) either way.
"""

from __future__ import annotations

import dataclasses

import pytest
import simpy
from rollsim.cluster.apiserver import ApiServer
from rollsim.cluster.informer import Informer
from rollsim.cluster.nodestore import NodeStore
from rollsim.controller.cache import node_update_enqueues
from rollsim.controller.daemon import DaemonSetController
from rollsim.controller.pods import RUNNING, Pod
from rollsim.spec.node import NO_EXECUTE, NO_SCHEDULE, Node, PodPlacement, Taint, uniform_nodes
from rollsim.spec.scenario import UpdateStrategy

NO_SCHEDULE_TAINT = Taint("dedicated", "db", NO_SCHEDULE)  # not tolerated: shouldRun false, shouldContinue true
NO_EXECUTE_TAINT = Taint("dedicated", "db", NO_EXECUTE)  # not tolerated: both false


@pytest.mark.pure
@pytest.mark.parametrize(("should_run", "should_continue", "scheduled", "misscheduled", "enqueues"), [
    (True, True, False, 0, True),  # (a) the node should run a pod and none is bound to it
    (True, True, True, 0, False),  # it runs its pod: nothing to do
    (False, False, True, 0, True),  # (b) it must not keep the pod bound to it
    (False, True, True, 0, False),  # a NoSchedule taint: the pod may stay, the status counts it misscheduled
    (False, True, True, 2, True),  # (c) a bound pod while the status counts misscheduled pods
    (True, True, True, 1, True),  # (c) the node may have just become eligible again
    (False, False, False, 3, False),  # nothing bound, nothing wanted: misscheduled pods elsewhere do not count
    (False, True, False, 0, False),
])
def test_sync_node_update_enqueues_only_for_a_node_that_needs_a_sync(
        should_run, should_continue, scheduled, misscheduled, enqueues) -> None:
    assert node_update_enqueues(should_run, should_continue, scheduled, misscheduled) is enqueues


class _Writes:
    """Pod control for a controller no test here syncs."""

    def create(self, node: int, revision: int) -> float | None:
        raise AssertionError("no sync runs")

    def delete(self, pod: Pod) -> float | None:
        raise AssertionError("no sync runs")

    def write_status(self, status: dict[str, int]) -> float:
        return 0.0


def _controller(nodes: int = 3, bound: tuple[int, ...] = (0, 1)) -> tuple[DaemonSetController, list[float]]:
    """A controller whose cache holds a Running pod bound to each node of ``bound``; the list
    gets the delay of every enqueue from here on.
    """
    requeued: list[float] = []
    controller = DaemonSetController(
        nodes=uniform_nodes(nodes), placement=PodPlacement(), strategy=UpdateStrategy("RollingUpdate"),
        min_ready_seconds=0.0, pod_control=_Writes(), clock=lambda: 0.0, requeue=requeued.append,
        rank=[float(i) for i in range(nodes)],
    )
    controller.seed_pods([Pod(i + 1, node, 0, 0.0, scheduled=True, phase=RUNNING, ready=True, ready_since=0.0)
                          for i, node in enumerate(bound)])
    controller.status = {"misscheduled": 0}
    requeued.clear()
    return controller, requeued


def _with(node: Node, *, labels: dict[str, str] | None = None, taints: tuple[Taint, ...] = ()) -> Node:
    return dataclasses.replace(node, labels={**node.labels, **(labels or {})}, taints=node.taints + taints)


def test_an_update_that_leaves_a_running_node_eligible_enqueues_nothing_but_marks_the_node() -> None:
    controller, requeued = _controller()
    controller.update_node(0, _with(controller.nodes[0], labels={"team": "a"}))
    assert requeued == []
    controller.update_node(1, _with(controller.nodes[1], taints=(NO_SCHEDULE_TAINT,)))
    assert requeued == []  # shouldContinueRunning: the pod stays; nothing enqueued...
    assert controller.aggregate().totals["misscheduled"] == 1  # ...but the cache changed: the next sync counts it


def test_an_update_enqueues_for_a_node_without_its_pod_or_one_that_must_lose_it() -> None:
    controller, requeued = _controller()
    controller.update_node(1, _with(controller.nodes[1], labels={"team": "a"}))  # runs its pod: nothing
    controller.update_node(2, _with(controller.nodes[2], labels={"team": "a"}))  # eligible, nothing bound
    assert requeued == [0.0]
    controller.update_node(0, _with(controller.nodes[0], taints=(NO_EXECUTE_TAINT,)))  # must not keep its pod
    assert requeued == [0.0, 0.0]


def test_a_pod_not_yet_bound_is_not_in_the_node_index() -> None:
    """``syncNodeUpdate`` reads the pod informer's ``spec.nodeName`` index: a created pod the
    scheduler has not bound is not on the node yet."""
    controller, requeued = _controller(bound=())
    pod = Pod(9, 0, 0, 0.0)
    controller.pod_added(pod)  # created, unscheduled
    requeued.clear()
    controller.update_node(0, _with(controller.nodes[0], labels={"team": "a"}))
    assert requeued == [0.0]
    bound = pod.copy()
    bound.scheduled = True
    controller.pod_updated(bound)  # the scheduler bound it
    requeued.clear()
    controller.update_node(0, _with(controller.nodes[0], labels={"team": "b"}))
    assert requeued == []


def test_misscheduled_pods_in_the_status_enqueue_for_a_node_with_a_bound_pod() -> None:
    controller, requeued = _controller()
    controller.update_node(1, _with(controller.nodes[1], taints=(NO_SCHEDULE_TAINT,)))
    controller.status = {"misscheduled": 1}  # the sync that counted it wrote its status
    controller.update_node(1, dataclasses.replace(controller.nodes[1], taints=()))
    assert requeued == [0.0]  # the taint is gone: the status must be computed again (#132477)


def test_the_decision_reads_the_status_the_informer_holds_not_the_one_written() -> None:
    controller, requeued = _controller()
    controller.status_observed({"misscheduled": 0})  # the informer's store: the write has not arrived
    controller.status = {"misscheduled": 1}
    controller.update_node(0, _with(controller.nodes[0], labels={"team": "a"}))
    assert requeued == []
    controller.status_observed({"misscheduled": 1})
    controller.update_node(0, _with(controller.nodes[0], labels={"team": "b"}))
    assert requeued == [0.0]


def test_added_and_removed_nodes() -> None:
    controller, requeued = _controller()
    rank = controller.rank
    assert isinstance(rank, list)
    rank.extend([3.0, 4.0, 5.0])  # the world gives every node it adds a rank
    controller.add_node_slot(Node("tainted", {}, (NO_SCHEDULE_TAINT,)))  # addNode: it should not run the pod
    assert requeued == []
    controller.add_node_slot(Node("joined"))  # addNode: it should, and has none
    assert requeued == [0.0]
    controller.add_node_slot(Node("gone"), exists=False)  # only pods point at it: no node event
    controller.remove_node(0)  # no node-delete handler upstream
    assert requeued == [0.0]
    assert controller.aggregate().totals["desired"] == 3  # nodes 1, 2 and "joined": the cache dropped node 0


class _Handlers:
    consistency = None
    min_ready_seconds = 0.0

    def __init__(self) -> None:
        self.status: dict[str, int] = {"desired": 0}
        self.observed: list[tuple[float, dict[str, int]]] = []
        self.env: simpy.Environment | None = None

    def status_observed(self, status: dict[str, int]) -> None:
        self.observed.append((self.env.now if self.env else 0.0, status))

    def requeue(self, delay: float) -> None:
        pass


def test_the_informer_hands_over_status_writes_after_its_delay_and_keeps_the_newest() -> None:
    env = simpy.Environment()
    api = ApiServer(env, NodeStore(uniform_nodes(1)))
    api.add_daemonset("ds")
    handlers = _Handlers()
    handlers.env = env
    delays = iter([2.0, 0.5])
    Informer(env, handlers, lambda: next(delays), status_requeue=True).watch(api, "ds")  # type: ignore[arg-type]
    assert handlers.observed == [(0.0, {"desired": 0})]  # the initial list: the status written before
    first, second = {"desired": 1}, {"desired": 2}
    api.write_status("ds", first)  # delivered at 2.0
    api.write_status("ds", second)  # delivered at 0.5, before it: the store keeps the newer one
    env.run()
    assert handlers.observed == [(0.0, {"desired": 0}), (0.5, second)]
