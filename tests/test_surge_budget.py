"""The maxSurge budget a surge is judged against: that of each moment's desired nodes."""

from __future__ import annotations

import dataclasses
import math
import textwrap

import pandas as pd
import pytest
from rollsim.present.report_verdict import findings_section
from rollsim.present.surge_budget import SurgeBudget, surge_budget, surge_budgets, surge_costs
from rollsim.sweep.experiment_file import load_experiment
from rollsim.sweep.results import load_results
from rollsim.sweep.runner import run_experiment

# 100 nodes surging at 10% while 50 more join from 30 s to 60 s: the budget goes from 10 to 15
JOINING = """\
    name: joining
    scenario:
      cluster: {nodes: 100, add_nodes: "50@30+30"}
      timings: {ready: "lognormal(median=60, p95=90)"}
      strategy: {max_surge: 10%, max_unavailable: 0}
    replications: 1
    seed: 5
    """


@pytest.fixture(scope="module")
def joining(tmp_path_factory):
    folder = tmp_path_factory.mktemp("joining")
    (folder / "e.yaml").write_text(textwrap.dedent(JOINING), encoding="utf-8")
    run_experiment(load_experiment(folder / "e.yaml"), folder / "out", workers=1)
    return load_results(folder / "out")


def test_the_budget_is_scaled_against_desired_and_rounded_up() -> None:
    assert [surge_budget("10%", n) for n in (200, 201, 291, 0)] == [20, 21, 30, 0]
    assert surge_budget(3, 1000) == 3 and surge_budget("3", 10) == 3
    assert surge_budget("ten", 100) is None and surge_budget(None, 100) is None
    assert SurgeBudget(20, 20, 0).words() == "20 pods" and SurgeBudget(1, 1, 0).words() == "1 pod"
    assert SurgeBudget(20, 30, 0, joined=True).words() == "20–30 pods as nodes joined"
    assert SurgeBudget(15, 20, None, left=True).words() == "15–20 pods as nodes left"
    with pytest.raises(ValueError, match="low above high"):
        SurgeBudget(30, 20, 0)


def test_a_surge_within_the_budget_of_its_moment_is_not_over_it(joining) -> None:
    """The audit's case, smaller: the surge reached 15 while 10% of the 100 nodes desired at the
    start is 10, but each moment's surge was within 10% of that moment's desired nodes.
    """
    tl = joining.timelines
    assert tl["desired"].min() == 100 and tl["desired"].max() == 150
    assert joining.summary.loc[0, "max_surge_observed_max"] > 10  # over the start's budget
    assert (tl["surge"] - (tl["desired"] / 10).map(math.ceil)).max() <= 0  # never over its moment's
    (budget,) = surge_budgets(joining).values()
    assert dataclasses.replace(budget, node_hours=None) == SurgeBudget(10, 15, 0, joined=True)
    # audit 39: the node-hours of two agents on a node, each run's timeline level held until its next row
    runs = [rows.sort_values("time_s") for _, rows in tl[tl["config"] == 0].groupby("replication")]
    hours = [sum(s * (b - a) for s, a, b in zip(r["surge"], r["time_s"], r["time_s"].iloc[1:])) / 3600 for r in runs]
    assert budget.node_hours == pytest.approx(sum(hours) / len(hours)) and budget.node_hours > 0
    lines = [item[0][1] for item in findings_section(joining)[0][1]]
    line = next(x for x in lines if "ran two agents at once" in x)
    assert "(maxSurge 10% = 10–15 pods as nodes joined), " in line and "node-hours of two agents a rollout" in line
    assert not any("over the budget" in x or "exceed the budget" in x for x in lines)


def test_without_timelines_only_the_range_of_the_budget_is_known(joining) -> None:
    """A folder checked out of git has no timelines.parquet: the desired counts at the start and
    at the end of each run give the range, and no surge is called over a budget that may have moved.
    """
    bare = dataclasses.replace(joining, timelines=None)
    assert surge_budgets(bare) == {0: SurgeBudget(10, 15, None, joined=True)}
    lines = [item[0][1] for item in findings_section(bare)[0][1]]
    assert any("(maxSurge 10% = 10–15 pods as nodes joined)" in x for x in lines)
    assert not any("over the budget" in x for x in lines)


def test_a_surge_over_its_moments_budget_says_by_how_much(joining) -> None:
    tl = joining.timelines.copy()
    late = tl.index[tl["desired"] == 150][0]
    tl.loc[late, "surge"] = 17  # two over 15
    assert surge_budgets(dataclasses.replace(joining, timelines=tl))[0].over == 2
    summary = pd.DataFrame([{"config": 0, "label": "surge", "runs": 1, "completed": 1, "duration_s_mean": 500.0,
                             "max_surge_observed_max": 17}])
    line, free, why = surge_costs(summary, {0: {"max_surge": "10%", "desired_nodes": 100}},
                            {0: SurgeBudget(10, 15, 2, joined=True)})
    assert line == ("surge: up to 17 nodes ran two agents at once (maxSurge 10% = 10–15 pods as nodes joined; "
                    "2 over the budget of its moment).")
    assert free.startswith("Where the pod requests no CPU or memory")
    assert why.startswith("Max surge can exceed the budget by a few pods")


def test_the_surge_cost_counts_the_old_pods_terminating_beside_their_new_ones() -> None:
    """Audit 35: with maxSurge 10 each wave's old pods terminate beside their new ones while the next
    wave's new pods start: 20 pods beyond one a node (runs.csv ``max_extra_pods``), whose requests the
    scheduler counts, where the finding said 10.
    """
    import rollsim

    scenario = rollsim.build_scenario(nodes=100, max_surge="10", max_unavailable="0", controller="ideal", schedule=1,
                                      pull=2, start=3, ready=4, terminate=5, probe_period=0)
    s = rollsim.simulate(scenario, seed=1).summary
    assert (s["max_surge_observed"], s["max_extra_pods"]) == (10, 20)
    summary = pd.DataFrame([{"config": 0, "label": "surge10", "runs": 1, "completed": 1, "duration_s_mean": 105.0,
                             "max_surge_observed_max": 10, "max_extra_pods_max": 20}])
    sc = {"max_surge": 10, "max_unavailable": 0, "desired_nodes": 100, "requests_cpu_millis": 100,
          "requests_memory_bytes": 200 * 2**20}
    line = surge_costs(summary, {0: sc}, {0: SurgeBudget(10, 10, 0)})[0]
    assert line == ("surge10: up to 10 nodes ran two agents at once (maxSurge 10 = 10 pods), requesting 1 CPU "
                    "(10 × 100m) and 2 GiB (10 × 200Mi) more than delete-first; with the old pods still terminating "
                    "beside their new ones (the scheduler counts a terminating pod's requests until it is gone), the "
                    "runs held up to 20 pods beyond one a node at once, requesting 2 CPU (20 × 100m) and 3.9 GiB "
                    "(20 × 200Mi).")
    older = surge_costs(summary.drop(columns="max_extra_pods_max"), {0: sc}, {0: SurgeBudget(10, 10, 0)})[0]
    assert "beyond one a node" not in older and older.endswith("(10 × 200Mi) more than delete-first.")  # from before


def test_the_surge_cost_names_the_host_paths_the_two_pods_share() -> None:
    """Audit 18 B5: fluentd's surge cost was CPU and memory alone, but its pods mount /var/log read-write:
    on a surging node the old and the new agent both read and write it. The finding names the hostPath
    volumes and the peak count of nodes with two pods, and says no more than that they share them."""
    summary = pd.DataFrame([{"config": 0, "label": "maxSurge 10%", "runs": 5, "completed": 5,
                             "duration_s_mean": 1300.0, "max_surge_observed_max": 103}])
    scenario = {"max_surge": "10%", "desired_nodes": 1003, "requests_cpu_millis": 100,
                "requests_memory_bytes": 200 * 2**20,
                "host_paths": ["/var/log (read-write)", "/var/lib/docker/containers (read-only)"]}
    line, _why = surge_costs(summary, {0: scenario}, {0: SurgeBudget(101, 101, 2)})
    assert line.startswith("maxSurge 10%: up to 103 nodes ran two agents at once")
    assert line.endswith(" more than delete-first. On up to 103 nodes at once the old and the new pod both mounted "
                         "the DaemonSet's hostPath volumes /var/log (read-write) and /var/lib/docker/containers "
                         "(read-only): two instances shared those host paths while they overlapped.")
    without, _ = surge_costs(summary, {0: {**scenario, "host_paths": []}}, {0: SurgeBudget(101, 101, 2)})
    assert "hostPath" not in without
    # every mount read-only (audit 20): they only read the paths, nothing is written twice
    read_only, _ = surge_costs(summary, {0: {**scenario, "host_paths": ["/var/log (read-only)"]}},
                               {0: SurgeBudget(101, 101, 2)})
    assert read_only.endswith("hostPath volume /var/log (read-only): both only read that host path while they "
                              "overlapped (every mount is read-only: neither wrote there).")


def test_a_plans_surge_cost_says_what_its_runs_held_with_the_terminating_pods() -> None:
    """The plan's answer and relaxations word their cost with ``surge_cost_words``: past the surge, what
    the runs held with old pods terminating beside their new ones (plan.json ``extra_pods_held``)."""
    from rollsim.present.surge_budget import surge_cost_words

    words = surge_cost_words(100, 100, 100.0, 0.0, [], held=139)
    assert words.startswith("100 pods, requesting 10 CPU (100 × 100m) more than delete-first; a run can hold")
    assert words.endswith("the runs held up to 139 pods beyond one a node at once, requesting 13.9 CPU (139 × 100m)")
    assert "beyond one a node" not in surge_cost_words(100, 100, 100.0, 0.0, [], held=100)
    assert "beyond one a node" not in surge_cost_words(100, 100, 100.0, 0.0, [])  # a plan from before
