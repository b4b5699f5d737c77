"""Audit 40, ``rollsim plan`` against an SRE's own node list: what it found wrong, each held by a test."""

from __future__ import annotations

from dataclasses import replace

from rollsim import build_scenario
from rollsim.plan.candidates import SURGE, UNAVAILABLE, Setting
from rollsim.plan.document import held_budget_note
from rollsim.spec.node import Node, Toleration, not_ready_node, unreachable_node
from rollsim.spec.startstate import held_for_good


def _cluster(healthy: int, unreachable: int, failed: int = 0, tolerate: bool = False):
    """A scenario of ``healthy`` Ready nodes, ``unreachable`` Ready=Unknown ones and ``failed``
    Ready=False ones; ``tolerate``: the DaemonSet tolerates every taint (node-exporter, a CNI)."""
    nodes = ([Node(f"n{i}") for i in range(healthy)] + [unreachable_node(Node(f"u{i}")) for i in range(unreachable)]
             + [not_ready_node(Node(f"f{i}")) for i in range(failed)])
    scenario = replace(build_scenario(nodes=1), nodes=tuple(nodes))
    if tolerate:
        ds = scenario.daemonset
        everything = replace(ds.placement, tolerations=(Toleration(operator="Exists"),))
        scenario = replace(scenario, daemonset=replace(ds, placement=everything))
    return scenario


def test_old_pods_held_for_good_are_those_of_unreachable_nodes_no_longer_desired() -> None:
    """An unreachable node's (Ready=Unknown) old pod stays terminating, its deletion never confirmed, and
    counts against maxUnavailable; a Ready=False node's kubelet confirms it within the grace period."""
    assert held_for_good(_cluster(100, 7, failed=2)) == 7
    assert held_for_good(_cluster(100, 0, failed=2)) == 0
    # a DaemonSet that tolerates the unreachable taint keeps them desired: the floor counts them too
    assert held_for_good(_cluster(100, 7, tolerate=True)) == 0


def test_a_budget_above_the_floor_that_leans_on_dead_nodes_says_so() -> None:
    """Audit 40: fluent-bit on 1,112 desired nodes with 7 unreachable ones not desired, a 95% floor:
    the plan answered maxUnavailable 60 (worst 95.23%: the 7 stuck pods hold 7 of the 60), which gives
    94.6% should the dead nodes go mid-rollout (deleted by an autoscaler, or back); 55 keeps it either way."""
    scenario = _cluster(1112, 7)
    note = held_budget_note(Setting(UNAVAILABLE, 60, 0.0), scenario, 0.95, 1112)
    assert note == ("maxUnavailable 60 keeps the floor only while the old pods of the 7 unreachable nodes "
                    "(Ready=Unknown, no longer desired) stay terminating: they hold 7 of its 60; should they go "
                    "during the rollout (the Node objects deleted, or the nodes back), up to 60 of the 1,112 "
                    "desired nodes can be down at once, 94.6% available against the floor's 95%; maxUnavailable 55 "
                    "keeps it either way")
    assert held_budget_note(Setting(UNAVAILABLE, 55, 0.0), scenario, 0.95, 1112) is None  # within the floor
    assert held_budget_note(Setting(SURGE, 60, 0.0), scenario, 0.95, 1112) is None  # a surge holds no such pods
    assert held_budget_note(Setting(UNAVAILABLE, 60, 0.0), _cluster(1112, 0), 0.95, 1112) is None
