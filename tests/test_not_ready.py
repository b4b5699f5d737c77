"""NotReady nodes: kept-only eligibility, pods stuck terminating, the budget deadlock."""

from __future__ import annotations

import pytest
from rollsim import build_scenario, simulate
from rollsim.spec.eligibility import node_should_run_daemon_pod
from rollsim.spec.node import Node, PodPlacement, not_ready_node, ready_node

CONSTANT = dict(schedule=1, pull=2, start=3, ready=4, terminate=5, probe_period=0)


def test_a_not_ready_node_keeps_its_pod_but_gets_no_new_one() -> None:
    node = not_ready_node(Node("a"))
    assert node.ready is False
    assert node_should_run_daemon_pod(node, PodPlacement()) == (False, True)
    assert ready_node(node) == Node("a")


def test_the_deadlock_when_not_ready_nodes_exceed_the_budget() -> None:
    """288 nodes, maxUnavailable 5%, 20 NotReady (NVSentinel #1764): the 20 stuck pods count
    against a budget of ceil(5% of 268 desired) = 14, so no healthy pod is ever replaced."""
    s = simulate(build_scenario(nodes=288, max_unavailable="5%", not_ready_nodes=20, stall_after=1200), seed=1).summary
    assert s["nodes"] == 268
    assert s["completed"] is False and s["stalled"] is True and s["updated"] == 0
    assert s["min_available"] == 268  # nothing healthy was touched


@pytest.mark.parametrize("controller", ["ideal", "realistic"])
def test_below_the_budget_the_stuck_pods_only_slow_it_down(controller) -> None:
    """maxUnavailable 4 with 2 NotReady nodes: their pods are deleted at once (must-replace) and
    stay terminating for ever, holding 2 units; the rollout goes on 2 nodes at a time."""
    s = simulate(build_scenario(nodes=20, max_unavailable=4, not_ready_nodes=2, controller=controller,
                                **CONSTANT), seed=2).summary
    assert s["completed"] is True and s["nodes"] == 18 and s["updated"] == 18
    assert s["max_unavailable_observed"] == 2
    if controller == "ideal":
        assert s["duration_s"] == pytest.approx(9 * 15)  # ceil(18 / 2) waves of 5+1+2+3+4 s


def test_the_not_ready_nodes_pods_stay_terminating() -> None:
    r = simulate(build_scenario(nodes=10, max_unavailable=3, not_ready_nodes=1, controller="ideal", **CONSTANT))
    assert r.timeline["terminating"].iloc[-1] == 1
    not_desired = r.nodes[~r.nodes["desired"]]
    assert len(not_desired) == 1 and not_desired["new_created_at_s"].isna().all()


def test_not_ready_count_is_checked() -> None:
    with pytest.raises(ValueError):
        build_scenario(nodes=3, not_ready_nodes=4)


@pytest.mark.parametrize("controller", ["ideal", "realistic"])
def test_nodes_failing_during_the_rollout_hold_budget(controller) -> None:
    common = dict(nodes=40, max_unavailable=4, controller=controller, stall_after=600, **CONSTANT)
    healthy = simulate(build_scenario(**common), seed=3).summary
    two = simulate(build_scenario(not_ready_nodes="2@20", **common), seed=3).summary
    six = simulate(build_scenario(not_ready_nodes="6@20", **common), seed=3).summary
    assert healthy["completed"] and two["completed"] and two["nodes"] == 38
    assert two["duration_s"] > healthy["duration_s"]  # two units of the budget held by stuck pods
    assert six["stalled"] is True and six["nodes"] == 34 and six["updated"] < 34  # more stuck than the budget


def test_a_pod_being_replaced_on_a_node_that_fails_stays_terminating() -> None:
    """All 10 nodes fail at t = 2 while the first wave's old pods shut down (5 s): those
    deletions never complete, so the pods stay terminating for good. (With the node informer's
    own watch delay, the pods marked not Ready may reach the controller before their nodes'
    taints; they are then old unavailable pods, deleted at once as must-replace, and stay
    terminating too.)"""
    r = simulate(build_scenario(nodes=10, max_unavailable=3, not_ready_nodes="10@2", stall_after=300, **CONSTANT))
    assert 3 <= r.timeline["terminating"].iloc[-1] <= 10
    assert r.summary["nodes"] == 0 and r.summary["updated"] == 0
