"""A DaemonSet on no node "completes" at its first status write, with nothing to roll out: it has
no duration, as a rollout that did not complete has none (audit 31, finding 3), so that no table
averages that write's time in with rollouts' durations.
"""

from __future__ import annotations

import json
import math

import pytest
from rollsim import build_scenario, simulate
from rollsim.cli import main
from rollsim.observe.metrics import on_no_node, summarize
from rollsim.sweep.aggregate import runs_frame, summary_frame

NO_NODE = dict(nodes=0, control_plane_nodes=2, allow_no_nodes=True)  # two tainted control-plane nodes


def _tables(desired: list[int]) -> tuple[dict, dict]:
    """A timeline of ``desired`` levels (none available) and a node table with none desired at the end."""
    n = len(desired)
    timeline = {"time_s": [float(t) for t in range(n)], "desired": desired, "available": [0] * n,
                "unavailable": desired, "updated": [0] * n, "surge": [0] * n, "terminating": [0] * n,
                "pending": [0] * n}
    return timeline, {"node": ["a"], "desired": [False], "downtime_s": [0.0]}


def test_a_daemonset_on_no_node_completes_without_a_duration() -> None:
    s = simulate(build_scenario(**NO_NODE), seed=1).summary
    assert (s["completed"], s["duration_s"], s["nodes"], s["updated"]) == (True, None, 0, 0)
    assert s["end_s"] > 0  # the run did end, at the first status write
    assert s["stop_detail"] == "completed: 0 nodes of 0 updated (new pod available)"


def test_on_no_node_means_none_desired_at_any_moment() -> None:
    """A rollout whose nodes all left had some: it keeps its duration (when the last one left)."""
    assert on_no_node(_tables([0])[0], 0)
    assert not on_no_node(_tables([3, 0])[0], 0)  # its nodes left
    assert not on_no_node(_tables([0])[0], 1)
    assert summarize(*_tables([0]), completed_at=0.2, end=0.2)["duration_s"] is None
    assert summarize(*_tables([3, 0]), completed_at=1.0, end=1.0)["duration_s"] == 1.0
    # every node left at the instant the update began, after the rollout deleted an old pod: it had a
    # node to roll, and keeps its duration (audit 32)
    s = simulate(build_scenario(nodes=6, remove_nodes="6@0"), seed=1).summary
    assert s["completed"] and s["duration_s"] is not None and s["duration_s"] > 0
    # every node NotReady (not desired) from the start: no status counted one, though the controller
    # deleted their old pods: on no node (audit 33)
    s = simulate(build_scenario(nodes=4, not_ready_nodes="4", allow_no_nodes=True), seed=1).summary
    assert s["completed"] and s["duration_s"] is None


def test_summary_csv_averages_no_duration_for_it() -> None:
    """Its runs' ``duration_s`` is empty in runs.csv and its configuration's ``duration_s_mean`` NaN;
    the configuration that ran on nodes keeps its own mean.
    """
    records = [{"run_id": f"{c}-{r}", "config": c, "label": label, "params": {}, "replication": r, "seed": r,
                "summary": simulate(build_scenario(**scenario), seed=r).summary}
               for c, (label, scenario) in enumerate([("idle", NO_NODE), ("ran", dict(nodes=5))]) for r in (1, 2)]
    runs = runs_frame(records, [])
    assert runs.loc[runs["config"] == 0, "duration_s"].isna().all()
    summary = summary_frame(runs, [], []).set_index("config")
    assert summary.loc[0, "completed"] == 2 and math.isnan(summary.loc[0, "duration_s_mean"])
    assert summary.loc[1, "duration_s_mean"] == pytest.approx(runs.loc[runs["config"] == 1, "duration_s"].mean())


def test_rollsim_simulate_shows_no_duration_for_it(capsys) -> None:
    args = ["simulate", "--nodes", "0", "--control-plane-nodes", "2", "--allow-no-nodes", "--seed", "1"]
    assert main(args) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if line.lstrip().startswith("completed"))
    assert line.split(None, 1)[1] == "yes, with nothing updated: the DaemonSet had no Ready node to update"
    assert main([*args, "-o", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["completed"] is True and document["duration_s"] is None


def test_the_notebook_view_says_on_no_node() -> None:
    assert "completed yes, on no node;" in repr(simulate(build_scenario(**NO_NODE), seed=1))
