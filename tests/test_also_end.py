"""With several DaemonSets (``also:``), each one's tables and summary stop where its own rollout ended.

The run goes on until the last DaemonSet completes or is given up as stalled; what happens to the
cluster after one DaemonSet's rollout ended (a node removed, or put under disk pressure) is not
that rollout's (audit 31, finding 1).
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from rollsim import build_scenario, simulate

# ten nodes updated in one wave, done at 9 s; "slow" (one node at a time, 60 s to Ready) goes on past 100 s
FAST = dict(nodes=10, max_unavailable=10, controller="ideal", schedule=1, pull=1, start=1, ready=5, terminate=1,
            probe_period=0, also=[{"name": "slow", "max_unavailable": 1, "ready": "60"}], stall_after=600)


def _holds_up_to_its_end(summary: dict[str, Any], timeline: Any, nodes: Any) -> None:
    """The tables of a DaemonSet end at its ``end_s``: no row after it, no negative downtime, and its
    unavailable node-seconds are its nodes' downtimes summed.
    """
    assert timeline["time_s"].max() <= summary["end_s"]
    assert (nodes["downtime_s"] >= 0).all()
    assert summary["unavailable_node_seconds"] == pytest.approx(math.fsum(nodes["downtime_s"]))


def test_disk_pressure_after_the_rollout_completed_is_not_its() -> None:
    """Three nodes under disk pressure at 100 s evict the new pods there, after the rollout
    completed at 9 s with all ten available: its summary says so (audit 31's reproducer reported 3
    unavailable at the end, 1,650 node-seconds and a downtime of -82 s on three nodes).
    """
    r = simulate(build_scenario(**FAST, disk_pressure_nodes="3@100"), seed=0)
    s = r.summary
    assert (s["completed"], s["duration_s"], s["end_s"]) == (True, 9.0, 9.0)
    assert (s["nodes"], s["updated"], s["unavailable_at_end"]) == (10, 10, 0)
    assert s["unavailable_node_seconds"] == 90.0  # ten nodes, 9 s each
    assert s["disk_pressure_evictions"] == 0
    assert s["stop_detail"] == "completed: 10 nodes of 10 updated (new pod available)"
    assert r.nodes["downtime_s"].tolist() == [9.0] * 10
    _holds_up_to_its_end(s, r.timeline, r.nodes)
    assert r.status["time_s"].max() <= s["end_s"]
    # the slow one's rollout is still going at 100 s: the pressure is its
    assert r.others["slow"]["disk_pressure_evictions"] > 0


def test_nodes_removed_after_the_rollout_completed_are_as_they_were() -> None:
    """Four nodes removed at 100 s were there, updated, when the rollout completed at 9 s."""
    r = simulate(build_scenario(**FAST, remove_nodes="4@100"), seed=0)
    s = r.summary
    assert (s["completed"], s["nodes"], s["updated"], s["min_available"]) == (True, 10, 10, 0)
    assert s["stop_detail"] == "completed: 10 nodes of 10 updated (new pod available)"
    assert r.nodes["desired"].all() and len(r.nodes) == 10
    assert len(r.final_nodes) == 10  # the nodes there when it ended
    _holds_up_to_its_end(s, r.timeline, r.nodes)
    assert r.others["slow"]["nodes"] == 6  # still going when they left


def test_a_rollout_given_up_as_stalled_ends_where_its_operator_gave_it_up() -> None:
    """Three new pods never Ready: the study's rollout last progressed at 9 s and is given up at
    109 s, while the slow one keeps the run going; the disk pressure at 300 s is after its end.
    """
    r = simulate(build_scenario(**{**FAST, "stall_after": 100}, new_pods="never-ready:0.3",
                                disk_pressure_nodes="3@300"), seed=0)
    s = r.summary
    assert (s["completed"], s["stalled"], s["stalled_at_s"], s["end_s"]) == (False, True, 9.0, 109.0)
    assert s["stop_cause"] == "never-ready"
    assert s["disk_pressure_evictions"] == 0
    assert (s["nodes"], s["unavailable_at_end"]) == (10, 6)
    assert s["unavailable_node_seconds"] == 4 * 9.0 + 6 * 109.0  # the never-ready nodes down until 109 s
    assert s["node_downtime_max_s"] == 109.0
    _holds_up_to_its_end(s, r.timeline, r.nodes)


def test_an_also_daemonset_that_completes_first_ends_there_too() -> None:
    """Symmetric: the fast DaemonSet is the ``also:`` one, the study's is slow; nodes removed after
    the fast one completed are not in its summary (``RunResult.others``).
    """
    fast = {"name": "fast", "max_unavailable": 10, "schedule": 1, "pull": 1, "start": 1, "ready": 5,
            "terminate": 1, "probe_period": 0}
    r = simulate(build_scenario(nodes=10, max_unavailable=1, controller="ideal", ready="60", also=[fast],
                                remove_nodes="4@100", stall_after=600), seed=0)
    other = r.others["fast"]
    assert (other["completed"], other["nodes"], other["updated"], other["unavailable_at_end"]) == (True, 10, 10, 0)
    assert 0 < other["node_downtime_max_s"] <= other["duration_s"]
    assert other["unavailable_node_seconds"] <= 10 * other["duration_s"]
    assert other["stop_detail"] == "completed: 10 nodes of 10 updated (new pod available)"
    assert r.summary["nodes"] == 6  # the study's own rollout was still going when they left
