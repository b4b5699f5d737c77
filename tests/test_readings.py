"""The findings of a study, computed from small hand-made summary frames."""

from __future__ import annotations

import math

import pandas as pd
from rollsim.present.readings import (
    completion,
    condition_costs,
    fastest,
    readings,
    slo_breaks,
    surge_costs,
)

NAN = math.nan


def frame(rows: list[dict]) -> pd.DataFrame:
    base = {"runs": 3, "completed": 3, "duration_s_mean": NAN, "unavailable_node_seconds_mean": 0.0,
            "max_surge_observed_max": 0, "stop_cause": "", "stop_detail": "", "stopped_like": 0, "slo_ok": True,
            "slo_failed": ""}
    return pd.DataFrame([{"config": i, **base, **r} for i, r in enumerate(rows)])


def test_completion_counts_and_groups_the_causes() -> None:
    s = frame([{"label": "a", "duration_s_mean": 100.0},
               {"label": "b", "completed": 0, "stop_cause": "not-ready-nodes", "stop_detail": "14 NotReady ..."},
               {"label": "c", "completed": 2, "stop_cause": "never-ready", "stop_detail": "..."}])
    lines = completion(s)
    assert lines[0] == "1 of 3 configurations completed in every replication. The others stopped because of:"
    assert completion(s.iloc[1:2]) == ["The configuration did not complete in every replication. It stopped "
                                       "because of NotReady or unreachable nodes: b (0/3)."]
    assert lines[1] == "- NotReady or unreachable nodes: b (0/3)."  # a list under the first line
    assert lines[2] == "- New pods never Ready: c (2/3)."
    assert completion(frame([{"label": "a", "duration_s_mean": 1.0}])) == [
        "The configuration completed in every replication."]
    assert completion(s.iloc[1:3])[0] == ("Neither configuration completed in every replication. They stopped "
                                          "because of:")
    assert completion(s.iloc[0:2])[0].endswith("The other stopped because of NotReady or unreachable nodes: b (0/3).")


def test_fastest_ignores_configurations_that_did_not_always_complete() -> None:
    s = frame([{"label": "lucky", "completed": 2, "duration_s_mean": 10.0},
               {"label": "slow", "duration_s_mean": 600.0}, {"label": "fast", "duration_s_mean": 300.0}])
    # named after the ranking, which leaves it out (audit 41: "slowest" said nothing of a slower one)
    assert fastest(s) == ["Fastest: fast, 5m00s on average; slowest: slow, 10m00s (2.0× as long). Only the "
                          "configurations that completed every replication are ranked, not lucky."]
    # a study that varies no decision names no "fastest": the cluster size is not a choice
    assert fastest(s, decided=False) == ["Mean durations range from 5m00s (fast) to 10m00s (slow)."]
    assert fastest(s.iloc[:1]) == ["No configuration completed in every replication, so none has a duration to "
                                   "compare."]


def test_a_fault_costs_time_and_node_hours_against_its_baseline() -> None:
    s = frame([{"label": "steady", "faults.new_pods": NAN, "duration_s_mean": 464.0,
                "unavailable_node_seconds_mean": 36000.0},
               {"label": "2% bad", "faults.new_pods": "crashloop:0.02", "duration_s_mean": 484.0,
                "unavailable_node_seconds_mean": 37440.0},
               {"label": "all bad", "faults.new_pods": "never-ready", "completed": 0}])
    lines = condition_costs(s, ["faults.new_pods"], [])
    assert lines[0] == ("2% of new pods crash-looping against healthy new pods (2% bad): 8m04s against 7m44s "
                        "(+20s, +4%) and 10.4 against 10.0 unavailable node-hours (+0.4).")
    assert lines[1] == "new pods never Ready against healthy new pods (all bad): completed 0/3 against 3/3."
    s.loc[1, "faults.new_pods"] = "[{\"name\": \"calico-node\", \"ready\": \"lognormal(median=3, p95=6)\"}]"
    assert condition_costs(s, ["faults.new_pods"], [])[0].startswith("2% bad against steady: 8m04s")


def test_the_baseline_keeps_the_same_decisions() -> None:
    s = frame([{"label": "mu 1, n=100", "strategy.max_unavailable": 1, "cluster.nodes": 100, "duration_s_mean": 100.0},
               {"label": "mu 2, n=100", "strategy.max_unavailable": 2, "cluster.nodes": 100, "duration_s_mean": 50.0},
               {"label": "mu 1, n=200", "strategy.max_unavailable": 1, "cluster.nodes": 200, "duration_s_mean": 200.0},
               {"label": "mu 2, n=200", "strategy.max_unavailable": 2, "cluster.nodes": 200, "duration_s_mean": 100.0}])
    lines = condition_costs(s, ["cluster.nodes"], ["strategy.max_unavailable"])
    assert len(lines) == 2
    # (what the pair shares: "mu 1", not the "n=200" that is the condition)
    assert lines[0].startswith("200 nodes against 100 nodes (mu 1): 3m20s against 1m40s (+1m40s, +100%)")
    assert lines[1].startswith("200 nodes against 100 nodes (mu 2): 1m40s against 50s")


def test_a_condition_is_set_against_a_baseline_that_differs_in_it_alone() -> None:
    """surge-fit: "node_utilization=0.7, host_ports=[9100] against node_utilization=0.5, no host port
    (maxSurge 10%, hostPort 9100)" changed two conditions at once and named the host port twice.
    """
    def row(label: str, util: float, ports: str | None, duration: float) -> dict:
        return {"label": label, "strategy.max_surge": "10%", "cluster.node_utilization": util,
                "daemonset.host_ports": ports, "duration_s_mean": duration}

    half, most = "other pods requesting 50% of each node", "other pods requesting 70% of each node"
    s = frame([row(f"maxSurge 10%, {half}", 0.5, None, 100.0),
               row(f"maxSurge 10%, {most}", 0.7, None, 150.0),
               row(f"maxSurge 10%, hostPort 9100, {half}", 0.5, "[9100]", 120.0),
               row(f"maxSurge 10%, hostPort 9100, {most}", 0.7, "[9100]", 200.0)])
    lines = condition_costs(s, ["cluster.node_utilization", "daemonset.host_ports"], ["strategy.max_surge"])
    assert lines[0].startswith(f"{most} against {half} (maxSurge 10%): 2m30s against")
    # the other condition's value is said, the first configuration's too (audit 41: "(mu5pct)" beside
    # "(mu5pct, registry bandwidth 100MB/s)" left the first line's registry to be guessed)
    assert lines[1].startswith(f"hostPort 9100 against no hostPort (maxSurge 10%, {half}): 2m00s against 1m40s")
    # both conditions changed: set against the same host port at the base utilization, not against the base
    assert lines[2].startswith(f"{most} against {half} (maxSurge 10%, hostPort 9100): 3m20s against 2m00s")
    assert len(lines) == 3


def test_node_hours_over_other_desired_nodes_say_so() -> None:
    """Audit 37: NotReady nodes are not desired, so their lost agents are not in the node-hours:
    "10 nodes NotReady against no node NotReady: … 3.6 against 3.7 unavailable node-hours" read as
    NotReady nodes sparing some. The line says of how many nodes each figure is.
    """
    s = frame([{"config": 0, "label": "nr 0", "cluster.not_ready_nodes": 0, "duration_s_mean": 1229.0,
                "unavailable_node_seconds_mean": 13320.0, "completed": 3, "runs": 3},
               {"config": 1, "label": "nr 10", "cluster.not_ready_nodes": 10, "duration_s_mean": 3372.0,
                "unavailable_node_seconds_mean": 12960.0, "completed": 3, "runs": 3}])
    lines = condition_costs(s, ["cluster.not_ready_nodes"], [], desired={0: (288, 288), 1: (278, 278)})
    assert lines[0].endswith("3.6 against 3.7 unavailable node-hours (−0.1), of 278 nodes against 288 (only the "
                             "nodes that run the DaemonSet count).")
    same = condition_costs(s, ["cluster.not_ready_nodes"], [], desired={0: (288, 288), 1: (288, 288)})
    assert same[0].endswith("unavailable node-hours (−0.1).")
    assert condition_costs(s, ["cluster.not_ready_nodes"], [], desired={0: (288, 288), 1: (270, 278)})[0] \
        .endswith("of 270–278 nodes against 288 (only the nodes that run the DaemonSet count).")


def test_where_the_slo_breaks_along_a_numeric_key() -> None:
    slo = [{"key": "min_available_fraction", "metric": "min_available_fraction", "bound": "min", "limit": 0.9}]
    s = frame([{"label": f"mu {v}", "strategy.max_unavailable": v, "slo_ok": v <= 10,
                "slo_failed": "" if v <= 10 else "min_available_fraction"} for v in (1, 5, 10, 25)])
    lines = slo_breaks(s, slo, ["strategy.max_unavailable"])
    assert lines[0] == "The SLO is met by 3 of 4: mu 1; mu 5; mu 10."
    assert lines[1] == ("The SLO holds up to maxUnavailable 10 and breaks from maxUnavailable 25 "
                        "(min_available_fraction).")
    assert slo_breaks(s, [], ["strategy.max_unavailable"]) == []


def test_an_slo_met_by_runs_that_stopped_early_says_so() -> None:
    slo = [{"key": "min_available_fraction", "metric": "min_available_fraction", "bound": "min", "limit": 0.9}]
    s = frame([{"label": "mu 1", "slo_ok": True, "completed": 0, "completed_fraction": 0.0},
               {"label": "mu 5", "slo_ok": True, "completed_fraction": 1.0}])
    # ondelete: "Every configuration meets the SLO." must not stand alone over a configuration that completed 0/3
    assert slo_breaks(s, slo, []) == ["Every configuration meets the SLO; but mu 1 meets it only over the part of the "
                                      "rollout that ran: not every run completed."]


def test_surge_states_its_extra_pods_requests_and_the_overlap() -> None:
    s = frame([{"label": "maxSurge 10%", "max_surge_observed_max": 104, "duration_s_mean": 500.0},
               {"label": "maxUnavailable 1", "duration_s_mean": 9000.0}])
    scen = {0: {"max_surge": "10%", "desired_nodes": 1003, "requests_cpu_millis": 100,
                "requests_memory_bytes": 200 * 2**20, "host_ports": []},
            1: {"max_surge": 0, "desired_nodes": 1003}}
    line, why = surge_costs(s, scen)
    assert line == ("maxSurge 10%: up to 104 nodes ran two agents at once (maxSurge 10% = 101 pods; 3 over the "
                    "budget), requesting 10.4 CPU (104 × 100m) and 20.3 GiB (104 × 200Mi) more than delete-first.")
    assert why.startswith("Max surge can exceed the budget by a few pods") and "Surge overlap in realistic mode" in why


def test_readings_strings_the_rules_together() -> None:
    s = frame([{"label": "a", "strategy.max_unavailable": 1, "duration_s_mean": 100.0},
               {"label": "b", "strategy.max_unavailable": 2, "duration_s_mean": 50.0}])
    lines = readings(s, [], ["strategy.max_unavailable"], ["strategy.max_unavailable"], {})
    assert lines == ["Both configurations completed in every replication.",
                     "Fastest: b, 50s on average; slowest: a, 1m40s (2.0× as long)."]


def test_the_fastest_is_named_within_each_condition_never_across() -> None:
    """A 61-node cluster is not ranked against a 108-node one: cluster.nodes is a condition."""
    s = frame([{"label": "big, mu=1", "cluster.nodes": 108, "strategy.max_unavailable": 1, "duration_s_mean": 6000.0},
               {"label": "big, mu=25%", "cluster.nodes": 108, "strategy.max_unavailable": "25%",
                "duration_s_mean": 400.0},
               {"label": "small, mu=1", "cluster.nodes": 61, "strategy.max_unavailable": 1, "duration_s_mean": 4000.0},
               {"label": "small, mu=25%", "cluster.nodes": 61, "strategy.max_unavailable": "25%",
                "duration_s_mean": 300.0}])
    lines = fastest(s, True, ["cluster.nodes"])
    # each condition is a variant the user named ("big", "small"): named so, not by its values
    assert lines == ["With big, fastest: mu=25%, 6m40s on average; slowest: mu=1, 1h40m00s (15.0× as long).",
                     "With small, fastest: mu=25%, 5m00s on average; slowest: mu=1, 1h06m40s (13.3× as long)."]
    assert fastest(s, True)[0].startswith("Fastest: small, mu=25%")  # no condition: one ranking
    s["label"] = [label.replace("big", "108 nodes").replace("small", "61 nodes") for label in s["label"]]
    assert [line.split(",")[0] for line in fastest(s, True, ["cluster.nodes"])] == ["With 108 nodes",
                                                                                     "With 61 nodes"]


def test_node_hours_and_their_difference_read_alike() -> None:
    from rollsim.present.readings import hours_against

    assert hours_against(13.185 * 3600, 13.248 * 3600) == "13.19 against 13.25 unavailable node-hours (−0.06)"
    assert hours_against(1.5 * 3600, 1.6 * 3600) == "1.5 against 1.6 unavailable node-hours (−0.1)"
    assert hours_against(2.4 * 3600, 2.4 * 3600) == "2.4 against 2.4 unavailable node-hours (±0.0)"


def test_an_unset_condition_is_named_by_what_it_means_not_default() -> None:
    """node-churn: "add_nodes=100@60+120 against add_nodes=default" meant against no nodes added."""
    s = frame([{"label": "steady", "duration_s_mean": 1322.0, "unavailable_node_seconds_mean": 47520.0},
               {"label": "scale-out", "cluster.add_nodes": "100@60+120", "duration_s_mean": 1300.0,
                "unavailable_node_seconds_mean": 52200.0},
               {"label": "NotReady", "cluster.not_ready_nodes": "20@300", "duration_s_mean": 1340.0,
                "unavailable_node_seconds_mean": 47500.0}])
    lines = condition_costs(s, ["cluster.add_nodes", "cluster.not_ready_nodes"], [])
    assert lines[0].startswith("100 nodes added from 1m00s to 3m00s against no nodes added (scale-out): 21m40s "
                               "against 22m02s")
    assert lines[1].startswith("20 nodes NotReady from 5m00s against no node NotReady (NotReady): ")
    assert not any("default" in line for line in lines)


def test_configurations_of_the_same_mean_are_named_together_as_tied() -> None:
    """maxUnavailable 5% and 10 of 199 nodes are both 10: the same runs, which label order ranked."""
    same = {"duration_s_mean": 926.0, "duration_s_p95": 954.0, "unavailable_node_seconds_mean": 8640.0}
    s = frame([{"label": "mu 5%", **same}, {"label": "mu 10", **same},
               {"label": "mu 2", "duration_s_mean": 4401.0}])
    assert fastest(s) == ["Fastest: mu 10 and mu 5% (tied: identical results), 15m26s on average; slowest: mu 2, "
                          "1h13m21s (4.8× as long)."]
    assert fastest(s.iloc[:2]) == ["Fastest: mu 10 and mu 5%, tied (identical results), 15m26s on average."]
    s.loc[1, "duration_s_p95"] = 960.0  # the same mean, not the same runs
    assert fastest(s.iloc[:2]) == ["Fastest: mu 10 and mu 5%, tied (the same mean duration), 15m26s on average."]


def test_another_daemonsets_failure_qualifies_the_fastest_and_the_costs_too() -> None:
    """Completion and the SLO said "(the study's own DaemonSet)"; the fastest and the condition
    costs, as much about that one DaemonSet, did not.
    """
    s = frame([{"label": "steady", "strategy.max_unavailable": 1, "faults.new_pods": NAN, "duration_s_mean": 464.0},
               {"label": "mu 2", "strategy.max_unavailable": 2, "faults.new_pods": NAN, "duration_s_mean": 300.0},
               {"label": "2% bad", "strategy.max_unavailable": 1, "faults.new_pods": "crashloop:0.02",
                "duration_s_mean": 484.0}])
    lines = readings(s, [], ["strategy.max_unavailable", "faults.new_pods"], ["strategy.max_unavailable"], {},
                     own_only=True)
    assert lines[0] == "All 3 configurations completed in every replication (the study's own DaemonSet)."
    assert lines[1].startswith("With healthy new pods, fastest (the study's own DaemonSet): mu 2,")
    assert lines[2].startswith("2% of new pods crash-looping against healthy new pods (2% bad; the study's own "
                               "DaemonSet): 8m04s against 7m44s")
    plain = readings(s, [], ["strategy.max_unavailable", "faults.new_pods"], ["strategy.max_unavailable"], {})
    assert not any("own DaemonSet" in line for line in plain)


def test_preemption_costs_name_the_configurations_whose_pods_preempted() -> None:
    from rollsim.present.run_costs import preemption_costs

    runs = pd.DataFrame({
        "config": [0, 0, 1, 1], "label": ["critical", "critical", "plain", "plain"],
        "preemptions": [20, 10, 0, 0], "preempted_cpu_millis": [6000.0, 3000.0, 0.0, 0.0],
        "preempted_memory_bytes": [2 * 2**30, 1 * 2**30, 0.0, 0.0],
    })
    assert preemption_costs(runs) == [
        "critical: its pods preempted other workloads to fit, on 15.0 nodes per run on average (at most 20), "
        "evicting 4,500m CPU and 1.5 GiB memory per run (README, “Other workloads and preemption”)."]
    assert preemption_costs(runs[runs["config"] == 1]) == []
    assert preemption_costs(runs.drop(columns="preemptions")) == []  # a folder written before the column


def test_pull_times_are_said_where_the_image_has_a_size() -> None:
    """The image-pulls report showed no pull time; where the image has a size the findings give each
    configuration's mean pull and most pulls at once, and nothing where pulls take the pull time."""
    from rollsim.present.run_costs import pull_times

    runs = pd.DataFrame({"config": [0, 0, 1, 1, 2], "label": ["a", "a", "b", "b", "c"],
                         "mean_pull_s": [8.0, 8.0, 40.0, 50.0, 2.0], "peak_concurrent_pulls": [1, 1, 20, 30, 9]})
    sized = {"image_size_bytes": 1e9}
    lines = pull_times(runs, {0: sized, 1: sized, 2: {"image_size_bytes": None}})
    assert len(lines) == 1 and lines[0].startswith("Image pulls (means over replications): a: 8 s a pull, at most "
                                                   "1 at once in the cluster; b: 45 s a pull, at most 25 at once in "
                                                   "the cluster. ")
    assert pull_times(runs, {2: {"image_size_bytes": None}}) == []
    # beside other DaemonSets (also:), the count is the DaemonSet's own, not the node's or the registry's
    beside = {"image_size_bytes": 1e9, "also": [{"name": "calico-node"}]}
    assert "a: 8 s a pull, at most 1 of its own at once in the cluster" in pull_times(runs, {0: beside})[0]


def test_a_floor_broken_only_by_a_percentage_rounding_up_is_explained() -> None:
    """fluentd on 1,003 nodes: 5% is 51 nodes (rounded up, as UnavailableCount does), one more than a
    95% floor lets be down, so 5% broke the SLO where 50 would not (audit 18); 10% is no rounding matter."""
    from rollsim.present.readings import budget_rounding

    summary = pd.DataFrame({"config": [0, 1, 2, 3], "label": ["1", "5%", "10%", "4%"],
                            "strategy.max_unavailable": [1, "5%", "10%", "4%"],
                            "slo_failed": [None, "min_available_fraction", "min_available_fraction", None]})
    slo = [{"metric": "min_available_fraction", "bound": "min", "limit": 0.95}]
    desired = {c: (1003, 1003) for c in range(4)}
    [line] = budget_rounding(summary, slo, desired)
    assert line.startswith("5%: maxUnavailable 5% of 1,003 nodes is 51 (the controller rounds a percentage up), "
                           "more than the 50 the 95% floor lets be down at once (953 of 1,003 must stay available)")
    assert line.endswith("maxUnavailable 50, a whole number, is the largest that keeps it (not simulated here).")
    ran = pd.concat([summary, pd.DataFrame({"config": [4], "label": ["fifty"], "strategy.max_unavailable": [50],
                                            "slo_failed": [None]})], ignore_index=True)
    assert budget_rounding(ran, slo, {**desired, 4: (1003, 1003)})[0].endswith(
        "is the largest that keeps it (simulated: “fifty”).")
    assert budget_rounding(summary, [], desired) == []  # no floor, nothing to explain
    assert budget_rounding(summary, slo, {c: (1000, 1000) for c in range(4)}) == []  # 5% of 1,000 is 50: no rounding


def test_the_share_of_a_rollout_its_slowest_nodes_took_is_named() -> None:
    """fluentd-1000's durations were mostly its last 1% of nodes (the straggler tail), and no report
    said so (audit 18). Named when some configuration's 99% time (runs.csv ``done_99_s``: an
    available new pod, audit 35: not the timeline's updated count, which counts a pod once it
    exists) is at most 60% of its duration, with why: slow nodes where the slowest node's downtime
    is far above the median's, else the budget's last batch."""
    from rollsim.present.run_costs import last_nodes_share

    runs = pd.DataFrame({"config": [0, 1, 2, 3], "replication": [0] * 4, "completed": [True] * 4, "nodes": [200] * 4,
                         "duration_s": [1000.0, 1000.0, 30.0, 100.0], "done_99_s": [160.0, 1000.0, 15.0, 50.0],
                         "node_downtime_p50_s": [60.0, 60.0, 15.0, 0.0],
                         "node_downtime_max_s": [900.0, 70.0, 15.0, 0.0]})
    summary = pd.DataFrame({"config": [0, 1, 2, 3], "label": ["tail", "even", "99 at once", "surge"]})
    [line] = last_nodes_share(runs, summary)
    assert "as when 99% of the nodes had an available new pod, of the whole rollout (medians over" in line
    assert ("tail: 2m40s of 16m40s (slow nodes); even: 16m40s of 16m40s; 99 at once: 15s of 30s "
            "(the budget's last batch); surge: 50s of 1m40s.") in line  # no downtime: which is not told
    deleter = last_nodes_share(runs, summary, {2: {"strategy": "OnDelete"}})[0]  # audit 36: OnDelete has no budget
    assert "99 at once: 15s of 30s (the deleter's last batch)" in deleter
    assert last_nodes_share(runs[runs["config"] == 1], summary) == []  # 99% at the end
    # a surge: the timeline tells whether the budget (10% of 200: 20 nodes with two pods) was full just before
    tl = pd.DataFrame({"config": [3] * 3, "replication": [0] * 3, "time_s": [0.0, 20.0, 50.0],
                       "desired": [200] * 3, "surge": [20, 3, 0]})
    surge = {3: {"strategy": "RollingUpdate", "max_surge": "10%"}}
    assert "surge: 50s of 1m40s (slow nodes)" in last_nodes_share(runs, summary, surge, tl)[0]
    full = tl.assign(surge=[0, 20, 0])
    assert "surge: 50s of 1m40s (the budget's last batch)" in last_nodes_share(runs, summary, surge, full)[0]
    assert last_nodes_share(runs.drop(columns="done_99_s"), summary) == []  # a folder from before done_99_s


def test_identical_nodes_in_one_batch_name_no_last_nodes() -> None:
    """Audit 35: 100 identical nodes updated at once (constant timings) were said to have their
    last 1% take two thirds of the rollout (the new pods existed at 5 s of 15 s)."""
    import rollsim
    from rollsim.present.run_costs import last_nodes_share

    scenario = rollsim.build_scenario(nodes=100, max_unavailable="100%", controller="ideal", schedule=1, pull=2,
                                      start=3, ready=4, terminate=5, probe_period=0)
    s = rollsim.simulate(scenario, seed=1).summary
    assert s["done_99_s"] == s["duration_s"] == 15.0
    runs = pd.DataFrame([{**s, "config": 0, "replication": 0}])
    assert last_nodes_share(runs, pd.DataFrame({"config": [0], "label": ["all at once"]})) == []


def test_the_longest_node_downtime_is_named_where_the_p95_hides_it() -> None:
    """Audit 39: fluentd-1000's table gave a node downtime p95 of 1m09s in every delete-first
    configuration, while each run's longest was about 18 min (the straggler tail)."""
    from rollsim.present.run_costs import downtime_tail

    runs = pd.DataFrame([
        {"config": 0, "label": "mu 1", "completed": True, "node_downtime_p95_s": 69.0, "node_downtime_max_s": m}
        for m in (1000.0, 1200.0)
    ] + [{"config": 1, "label": "surge", "completed": True, "node_downtime_p95_s": 0.0, "node_downtime_max_s": 0.0},
         {"config": 2, "label": "bad", "completed": False, "node_downtime_p95_s": 0.0, "node_downtime_max_s": 900.0}])
    (line,) = downtime_tail(runs)
    assert line.startswith("The longest a node went without an available agent, the mean over runs of each run's "
                           "longest: mu 1: 18m20s (at most 20m00s; p95 1m09s); no node went without one in surge.")
    assert "bad" not in line  # a run cut short: its stuck node's wait is no tail
    flat = runs.assign(node_downtime_max_s=[90.0, 100.0, 0.0, 900.0])  # under 3x the p95: nothing hidden
    assert downtime_tail(flat) == []


def test_within_a_condition_the_unranked_are_those_of_that_condition() -> None:
    rows = [{"label": f"{mu}, {nodes} nodes", "max_unavailable": mu, "nodes": nodes, "duration_s_mean": d, **more}
            for mu, nodes, d, more in [("1", 50, 900.0, {"completed": 1}), ("5%", 50, 300.0, {}),
                                       ("25%", 50, 120.0, {}), ("1", 90, 1500.0, {}), ("5%", 90, 400.0, {})]]
    lines = fastest(frame(rows), conditions=["nodes"])
    assert lines[0].endswith("(2.5× as long). Only the configurations that completed every replication are ranked, "
                             "not 1.") and "50 nodes" in lines[0]
    assert "ranked" not in lines[1]  # every configuration under 90 nodes completed
