"""Old pods that lose readiness mid-rollout (``--old-pods-unready N@T[+D]``, kubernetes/kubernetes#111073):
``rollingUpdate`` replaces an old pod that is not available at once, outside maxUnavailable, so many
of them at once are replaced all at once."""

from __future__ import annotations

import pytest
from rollsim import build_scenario, simulate
from rollsim.cli import main

from helpers import experiment_error, one_error_line

# ideal mode, constant timings: a node's cycle is terminate 5 s, then schedule 1 + pull 2 + start 3 + ready 4
CONSTANT = dict(nodes=10, controller="ideal", schedule=1, pull=2, start=3, ready=4, terminate=5, probe_period=0)


def _summary(**options) -> dict:
    return simulate(build_scenario(**CONSTANT, **options), seed=0).summary


def test_unready_old_pods_are_replaced_at_once_outside_the_budget() -> None:
    """maxUnavailable 1, one node at a time: 10 × 15 s = 150 s. At 7.5 s four old pods lose readiness:
    the controller deletes all four at once (must replace, a_unavailable 5 > the budget of 1), they are
    available again at 22.5 s, and the other five follow one at a time: 22.5 + 5 × 15 = 97.5 s, with
    five nodes unavailable at once where the budget allows one."""
    assert (_summary()["duration_s"], _summary()["max_unavailable_observed"]) == (150.0, 1)
    s = _summary(old_pods_unready="4@7.5")
    assert s["old_pods_unready"] == 4
    assert s["duration_s"] == pytest.approx(97.5) and s["max_unavailable_observed"] == 5
    assert s["min_available"] == 5 and s["completed"]


def test_with_surge_unready_old_pods_get_their_new_pods_at_once() -> None:
    """maxSurge 1, maxUnavailable 0: each new pod is Ready 10 s after its creation, then its old pod
    goes (105 s in all, no node unavailable). At 7.5 s all ten old pods lose readiness (the first
    node's too: its new pod, created at 0, is not Ready yet): the nine others get new pods at once,
    outside the surge budget, and, neither pod ready, manage deletes their old ones
    (``podsShouldBeOnNode``). The first node is unavailable until 10 s, the nine until 17.5 s, when
    the rollout is over: 2.5 + 9 × 10 = 92.5 node-seconds."""
    surge = dict(max_surge=1, max_unavailable=0)
    assert (_summary(**surge)["duration_s"], _summary(**surge)["max_unavailable_observed"]) == (105.0, 0)
    s = _summary(**surge, old_pods_unready="10@7.5")
    assert s["old_pods_unready"] == 10 and s["max_unavailable_observed"] == 10
    assert s["unavailable_node_seconds"] == pytest.approx(92.5) and s["duration_s"] == pytest.approx(17.5)


def test_more_than_there_are_makes_every_ready_old_pod_unready_and_none_after_the_update() -> None:
    """At 7.5 s the first node's old pod is gone: nine old pods are Ready, and all nine lose it. After
    the rollout no old pod is left: nothing changes, and the run is the one without the fault."""
    assert _summary(old_pods_unready="10@7.5")["old_pods_unready"] == 9
    late = _summary(old_pods_unready="3@1000")
    assert late["old_pods_unready"] == 0
    assert {k: v for k, v in late.items() if k not in ("old_pods_unready", "events")} == \
        {k: v for k, v in _summary().items() if k != "events"}


def test_the_pods_chosen_come_from_their_own_stream() -> None:
    """Random timings: the same seed chooses the same pods; the fault draws from its own stream, so
    a fault after the rollout leaves every other number as it was."""
    random = dict(nodes=50, max_unavailable="10%")
    one = simulate(build_scenario(**random, old_pods_unready="10@60+30"), seed=3)
    again = simulate(build_scenario(**random, old_pods_unready="10@60+30"), seed=3)
    assert one.summary == {**again.summary, "events": one.summary["events"]} and one.nodes.equals(again.nodes)
    assert one.summary["old_pods_unready"] == 10 and one.summary["max_unavailable_observed"] > 5
    after = simulate(build_scenario(**random, old_pods_unready="10@100000"), seed=3).summary
    plain = simulate(build_scenario(**random), seed=3).summary
    assert after["duration_s"] == plain["duration_s"] and after["unavailable_node_seconds"] == \
        plain["unavailable_node_seconds"]


def test_the_realistic_controller_replaces_them_at_once_too() -> None:
    s = simulate(build_scenario(nodes=100, max_unavailable=1, old_pods_unready="30@120"), seed=0).summary
    assert s["old_pods_unready"] == 30 and s["max_unavailable_observed"] >= 30 and s["completed"]


@pytest.mark.parametrize("value", ["4", "4@", "-1@5", "0@5", "4@x", "4@5", "2@5,2@9"])
def test_a_bad_flag_is_one_line_and_exit_2(capsys, value) -> None:
    assert main(["simulate", "--nodes", "3", *(a for v in value.split(",") for a in ("--old-pods-unready", v))]) == 2
    one_error_line(capsys, "--old-pods-unready")


def test_more_old_pods_than_nodes_is_refused_as_more_nodes_failing_is(capsys) -> None:
    """200 old pods on 100 nodes cannot lose readiness, as 200 of them cannot go NotReady (audit item 14:
    before, accepted and "62 old pods lost readiness"); the old pods are on the nodes the run starts with."""
    assert main(["simulate", "--nodes", "100", "--old-pods-unready", "200@300"]) == 2
    one_error_line(capsys, "rollsim: error: argument --old-pods-unready: makes 200 old pods lose readiness but the "
                           "cluster starts with only 100 nodes, each with one old pod")
    assert main(["simulate", "--nodes", "100", "--add-nodes", "100@0", "--old-pods-unready", "150@300"]) == 2
    capsys.readouterr()  # nodes that join hold no old pod
    assert build_scenario(nodes=100, old_pods_unready="100@300").node_changes


def test_an_experiment_names_it_under_faults(tmp_path, capsys) -> None:
    experiment = tmp_path / "x.yaml"
    experiment.write_text("name: x\nscenario:\n  cluster: {nodes: 20}\n  faults:\n    old_pods_unready: [5@30, 2@60]\n"
                          "replications: 1\n", encoding="utf-8")
    assert main(["run", str(experiment), "--out", str(tmp_path / "out"), "--workers", "1", "-q"]) == 0
    header = (tmp_path / "out" / "runs.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert "old_pods_unready" in header
    report = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "7 old pods per run lost readiness on average (at most 7), each replaced at once, outside the " \
           "maxUnavailable budget: up to" in report
    assert "at the end" not in report and "join or leave" not in report  # no node joined or left
    assert "faults.old_pods_unready" in experiment_error(tmp_path, "  faults:\n    old_pods_unready: 5")


def test_old_pods_that_lose_readiness_move_no_node() -> None:
    from rollsim.spec.churn import NodeChange, moves_nodes

    assert not moves_nodes([NodeChange("old-pods-unready", 5, 30.0)]) and not moves_nodes(["old-pods-unready 5@30"])
    assert moves_nodes(["old-pods-unready 5@30", "add 1@60"]) and moves_nodes([NodeChange("not-ready", 1, 0.0)])
    assert not moves_nodes([])


def test_a_surge_past_its_budget_is_put_down_to_the_pods_that_lost_readiness() -> None:
    """maxSurge 10% of 250 on the study: up to 70 nodes with two pods, 45 over the budget, all of
    them the new pods of the old pods that lost readiness, not the creates-before-deletes overlap."""
    import pandas as pd
    from rollsim.present.surge_budget import SurgeBudget, surge_costs

    summary = pd.DataFrame([{"config": 0, "label": "maxSurge 10%", "runs": 3, "completed": 3, "duration_s_mean": 900.0,
                             "max_surge_observed_max": 70}])
    scenario = {"max_surge": "10%", "desired_nodes": 250, "node_changes": ["old-pods-unready 50@120"]}
    line, _free, why = surge_costs(summary, {0: scenario}, {0: SurgeBudget(25, 25, 45)})
    assert line.endswith("(maxSurge 10% = 25 pods; 45 over the budget).")
    assert why.startswith("Where old pods lost readiness, max surge exceeds the budget: each such pod got its new pod")
    (_line, _free, overlap) = surge_costs(summary, {0: {**scenario, "node_changes": []}}, {0: SurgeBudget(25, 25, 45)})
    assert overlap.startswith("Max surge can exceed the budget by a few pods")


def test_under_on_delete_nothing_replaces_them_and_the_words_say_so(capsys) -> None:
    """OnDelete replaces only the pods something deletes: the old pods that lost readiness stay, not
    Ready, until the batch deleter reaches them; the console line and the finding said "replaced at once"."""
    import pandas as pd
    from rollsim.present.run_costs import unready_costs

    on_delete = ["simulate", "--nodes", "20", "--strategy", "OnDelete", "--deleter", "batch:5", "--old-pods-unready",
                 "5@30"]
    assert main(on_delete) == 0
    [line] = [x for x in capsys.readouterr().out.splitlines() if x.startswith("  old pods unready")]
    assert line.endswith("5 old pods lost readiness: none replaced until the deleter deleted it (OnDelete)")
    runs = pd.DataFrame([{"config": 0, "label": "batches", "old_pods_unready": 5, "max_unavailable_observed": 10},
                         {"config": 1, "label": "10%", "old_pods_unready": 5, "max_unavailable_observed": 7}])
    deleted, rolled = unready_costs(runs, {0: {"strategy": "OnDelete"},
                                           1: {"strategy": "RollingUpdate", "max_unavailable": "10%", "max_surge": 0}})
    assert "none replaced until deleted (OnDelete)" in deleted and "up to 10 nodes" in deleted
    assert "each replaced at once, outside the maxUnavailable budget: up to 7 nodes" in rolled


def test_with_surge_the_finding_names_the_maxsurge_budget() -> None:
    """Audit 18 C3: a maxSurge configuration (maxUnavailable 0) was said to replace its unready old pods
    "outside the maxUnavailable budget"; with surge the controller creates each one's new pod at once,
    outside maxSurge's. A scenario not known says "the budget"."""
    import pandas as pd
    from rollsim.present.run_costs import unready_costs

    runs = pd.DataFrame([{"config": 0, "label": "maxSurge 10%", "old_pods_unready": 50,
                          "max_unavailable_observed": 50},
                         {"config": 1, "label": "unknown", "old_pods_unready": 5, "max_unavailable_observed": 6}])
    surge, unknown = unready_costs(runs, {0: {"strategy": "RollingUpdate", "max_unavailable": 0, "max_surge": "10%"}})
    assert "each given its new pod at once, outside the maxSurge budget: up to 50 nodes" in surge
    assert "maxUnavailable" not in surge
    assert "each replaced at once, outside the budget: up to 6 nodes" in unknown
