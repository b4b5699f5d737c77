"""Nodes that join and leave during a rollout, and the pod garbage collector."""

from __future__ import annotations

import pytest
import simpy
from rollsim import build_scenario, simulate
from rollsim.cluster.churn import _pod_gc
from rollsim.spec.churn import NodeChange, change_times, parse_node_change

CONSTANT = dict(schedule=1, pull=2, start=3, ready=4, terminate=5, probe_period=0, controller="ideal")


def test_parse_and_spread() -> None:
    assert parse_node_change("add", "100@60+120") == NodeChange("add", 100, 60.0, 120.0)
    assert str(NodeChange("remove", 3, 10.0)) == "3@10"
    assert change_times(NodeChange("add", 3, 60.0, 120.0)) == [60.0, 120.0, 180.0]
    assert change_times(NodeChange("add", 2, 5.0)) == [5.0, 5.0]
    for bad in ("5", "x@1", "0@1", "3@-1"):
        with pytest.raises(ValueError):
            parse_node_change("add", bad)


def test_an_added_node_gets_its_pod_at_once_outside_the_budget() -> None:
    r = simulate(build_scenario(nodes=20, max_unavailable=2, add_nodes="5@30", **CONSTANT))
    added = r.nodes[r.nodes["node"].str.startswith("added-")]
    assert len(added) == 5 and (added["new_created_at_s"] == 30).all()  # all five at once, budget 2
    s = r.summary
    assert s["nodes"] == 25 and s["completed"] is True and s["updated"] == 25
    assert s["max_unavailable_observed"] == 5


def test_added_nodes_raise_a_percentage_budget() -> None:
    """10% of 20 is 2; once 20 more nodes have joined, 10% of 40 is 4."""
    before = simulate(build_scenario(nodes=20, max_unavailable="10%", **CONSTANT)).summary
    r = simulate(build_scenario(nodes=20, max_unavailable="10%", add_nodes="20@1", **CONSTANT))
    assert before["max_unavailable_observed"] == 2
    later = r.timeline[r.timeline["time_s"] >= 11]  # the added nodes' pods are Ready at 1 + 10 s
    assert later["unavailable"].max() == 4  # four old pods in flight at once now


def test_removed_nodes_leave_desired() -> None:
    s = simulate(build_scenario(nodes=20, max_unavailable=2, remove_nodes="5@30", **CONSTANT), seed=1).summary
    assert s["nodes"] == 15 and s["completed"] is True and s["updated"] == 15


def test_scale_out_during_a_realistic_rollout_completes() -> None:
    s = simulate(build_scenario(nodes=200, max_unavailable="10%", add_nodes="20@60+120"), seed=1).summary
    assert s["completed"] is True and s["nodes"] == 220 and s["updated"] == 220


class _Api:
    def __init__(self, pods_by_node):
        self.pods_by_node = pods_by_node
        self.removed: list[tuple[float, str]] = []
        self.env = None

    def remove_pod(self, pod):
        self.pods_by_node[0].remove(pod)
        self.removed.append((self.env.now, pod))

    def pods_on(self, node):
        return list(self.pods_by_node[node])


def test_pod_gc_deletes_after_the_quarantine_on_its_20_s_ticks() -> None:
    env = simpy.Environment()
    api = _Api([["a", "b"]])
    api.env = env

    class Cluster:
        pass

    cluster = Cluster()
    cluster.env, cluster.api = env, api

    def later():
        yield env.timeout(30.0)  # the node is removed at t = 30
        yield from _pod_gc(cluster, {0: 30.0})

    env.process(later())
    env.run()
    # ticks at 40 (10 s gone) and 60 (30 s) are inside the 40 s quarantine; 80 is past it
    assert api.removed == [(80.0, "a"), (80.0, "b")]
