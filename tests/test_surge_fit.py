"""Surge that does not fit: resources and host ports keep the surge pod Pending."""

from __future__ import annotations

import pytest
from rollsim import build_scenario, simulate
from rollsim.cluster.scheduling import (
    PodRequests,
    UnschedulablePods,
    other_requests,
    unschedulable_reason,
)
from rollsim.spec.node import Node

CONSTANT = dict(schedule=1, pull=2, start=3, ready=4, terminate=5, probe_period=0, controller="ideal")
GIB = 2**30


def test_fit_rules() -> None:
    node = Node("a", allocatable_cpu_millis=1000, allocatable_memory_bytes=4 * GIB)
    reason = unschedulable_reason
    assert reason(node, [PodRequests(500, GIB, ())] * 0, PodRequests(500, GIB, ())) is None
    # 2 × 500m = 1000m fits exactly
    assert reason(node, [PodRequests(500, GIB, ())] * 1, PodRequests(500, GIB, ())) is None
    assert reason(node, [PodRequests(600, GIB, ())] * 1, PodRequests(600, GIB, ())) == "Insufficient cpu"
    assert reason(node, [PodRequests(100, 3 * GIB, ())] * 1, PodRequests(100, 3 * GIB, ())) == "Insufficient memory"
    assert (reason(node, [PodRequests(100, GIB, ())] * 1, PodRequests(100, GIB, ()),
                   workloads=other_requests(node, 0.85))
            == "Insufficient cpu")
    assert (reason(node, [PodRequests(0, 0, (9100,))] * 1, PodRequests(0, 0, (9100,)))
            == "node(s) didn't have free ports for the requested pod ports")
    assert reason(node, [PodRequests(0, 0, (9100,))] * 0, PodRequests(0, 0, (9100,))) is None
    # unknown allocatable: no limit
    assert reason(Node("b"), [PodRequests(10**6, 10**12, ())] * 5, PodRequests(10**6, 10**12, ())) is None


def test_a_surge_pod_that_asks_for_the_old_pods_host_port_stays_pending() -> None:
    s = simulate(build_scenario(nodes=10, max_surge=2, host_ports="9100", stall_after=600, **CONSTANT)).summary
    assert s["stalled"] is True and s["updated"] == 0
    # the surge pods never reach their nodes: no node has two pods (before, 2: counted when created)
    assert s["unschedulable_pods"] == 2 and s["max_surge_observed"] == 0
    assert s["min_available"] == 10  # nothing lost: the old pods keep running


def test_without_surge_the_host_port_is_free_once_the_old_pod_is_gone() -> None:
    s = simulate(build_scenario(nodes=10, max_unavailable=2, host_ports="9100", **CONSTANT)).summary
    assert s["completed"] is True and s["unschedulable_pods"] == 0
    assert s["duration_s"] == pytest.approx(5 * 15)


def test_a_surge_pod_that_does_not_fit_the_nodes_resources_stalls(tmp_path) -> None:
    from rollsim.io.nodes import nodes_from_pools

    nodes = nodes_from_pools([{"name": "small", "count": 10, "allocatable": {"cpu": "2", "memory": "8Gi"}}])
    fits = simulate(build_scenario(node_list=nodes, max_surge=2, requests_cpu="500m", node_utilization=0.5,
                                   **CONSTANT)).summary
    tight = simulate(build_scenario(node_list=nodes, max_surge=2, requests_cpu="500m", node_utilization=0.6,
                                    stall_after=600, **CONSTANT)).summary
    assert fits["completed"] is True            # 1000m used + 2 × 500m = 2000m: fits exactly
    assert tight["stalled"] is True and tight["unschedulable_pods"] == 2  # 1200m + 1000m > 2000m


# -- the scheduler's unschedulable pods --------------------------------------------------------
class _Pod:
    def __init__(self, uid: int) -> None:
        self.uid = uid


def test_unschedulable_pods_move_on_a_deletion_that_may_free_their_room() -> None:
    """``MoveAllToActiveOrBackoffQueue(AssignedPodDelete)`` with the queueing hints: NodeResourcesFit
    moves every pod it rejected; NodePorts only those that want a port the deleted pod held.
    """
    waiting = UnschedulablePods()
    fit, ports = _Pod(1), _Pod(2)
    waiting.add(fit, "rt", now=100.0)
    waiting.add(ports, "rt", now=100.0, ports=(9100,))
    assert len(waiting) == 2
    assert waiting.moved_by((8080,)) == [(fit, "rt")]  # a pod without port 9100
    assert waiting.moved_by((9100, 8080)) == [(ports, "rt")]
    assert len(waiting) == 0 and waiting.moved_by((9100,)) == []


def test_unschedulable_pods_leftover_after_five_minutes_and_forget() -> None:
    waiting = UnschedulablePods()
    old, new, gone = _Pod(1), _Pod(2), _Pod(3)
    waiting.add(old, "rt", now=0.0)
    waiting.add(new, "rt", now=10.0)
    waiting.add(gone, "rt", now=0.0)
    waiting.forget(3)
    assert waiting.leftover(300.0) == []  # strictly more than 5 minutes
    assert waiting.leftover(300.5) == [(old, "rt")]
    assert len(waiting) == 1


def test_a_pending_surge_pod_binds_the_instant_the_old_pod_is_gone() -> None:
    """One 2-CPU node, 70% requested by other pods: the surge pod (500m) does not fit beside the old
    one. The old pod loses readiness at 20 s, so ``podsShouldBeOnNode`` deletes it; it is gone at 26 s
    (a 6 s termination), and the waiting surge pod binds then: Ready and available at 36 s. Retried on
    its back-off alone (1, 3, 7, 15, 25, 35 s) it bound at 35 s (45 s).
    """
    from rollsim.io.nodes import nodes_from_pools

    nodes = nodes_from_pools([{"name": "w", "count": 1, "allocatable": {"cpu": "2", "memory": "8Gi"}}])
    s = simulate(build_scenario(node_list=nodes, max_surge=1, max_unavailable=0, requests_cpu="500m",
                                node_utilization=0.7, old_pods_unready="1@20", controller="ideal", schedule=0,
                                pull=0, start=0, terminate=6, ready=10, probe_period=0, horizon=200))
    assert s.summary["completed"] is True and s.summary["duration_s"] == 36.0
    assert s.node_columns["new_scheduled_at_s"][0] == 26.0


def test_a_moved_pod_does_not_wait_out_its_back_off() -> None:
    """As above, but the old pod loses readiness at 0.2 s and is gone at 0.7 s, within the surge pod's
    1 s back-off from its failed try at 0: moved to ``backoffQ``, it is popped at once by the idle
    scheduler (``SchedulerPopFromBackoffQ``, on from v1.33) and binds at 0.7 s, where waiting out its
    back-off bound it at 1.0 s (audit 12).
    """
    from rollsim.io.nodes import nodes_from_pools

    nodes = nodes_from_pools([{"name": "w", "count": 1, "allocatable": {"cpu": "2", "memory": "8Gi"}}])
    s = simulate(build_scenario(node_list=nodes, max_surge=1, max_unavailable=0, requests_cpu="500m",
                                node_utilization=0.7, old_pods_unready="1@0.2", controller="ideal", schedule=0,
                                pull=0, start=0, terminate=0.5, ready=10, probe_period=0, horizon=200))
    assert s.node_columns["new_scheduled_at_s"][0] == 0.7 and s.summary["duration_s"] == 10.7
