"""Surge that does not fit: resources and host ports keep the surge pod Pending."""

from __future__ import annotations

import pytest
from rollsim import build_scenario, simulate
from rollsim.cluster.scheduling import PodRequests, other_requests, scheduler_backoff, unschedulable_reason
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


def test_scheduler_backoff() -> None:
    assert [scheduler_backoff(n) for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]


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
