"""SLO constraints, their statistics and verdicts, and the recommendation."""

from __future__ import annotations

import math

import pytest
from rollsim.sweep.slo import Constraint, judge, parse_slo, recommend, recommend_by_condition, statistic


def test_keys_name_metric_and_bound() -> None:
    slo = parse_slo({"max_duration_s": 1800, "min_available_fraction": 0.95,
                     "max_unavailable_node_seconds": {"limit": 5e4, "statistic": "mean"}})
    assert slo == (
        Constraint("duration_s", "max", 1800.0, "worst"),
        Constraint("min_available_fraction", "min", 0.95, "worst"),
        Constraint("unavailable_node_seconds", "max", 5e4, "mean"),
    )
    assert [c.key for c in slo] == ["max_duration_s", "min_available_fraction", "max_unavailable_node_seconds"]


def test_default_statistic_applies_to_plain_limits() -> None:
    (c,) = parse_slo({"statistic": "p95", "max_duration_s": 10})
    assert c.statistic == "p95"


@pytest.mark.parametrize("bad", [{"max_speed": 1}, {"duration_s": 1}, {"max_duration_s": "fast"},
                                 {"max_duration_s": {"limit": 1, "stat": "p95"}}, {"statistic": "p99"}])
def test_bad_slo_is_rejected(bad) -> None:
    with pytest.raises(ValueError):
        parse_slo(bad)


def test_statistics_count_in_the_direction_that_hurts() -> None:
    values = list(range(1, 101))  # 1..100
    assert statistic(values, "worst", "max") == 100 and statistic(values, "worst", "min") == 1
    assert statistic(values, "p95", "max") == pytest.approx(95.05)
    assert statistic(values, "p95", "min") == pytest.approx(5.95)
    assert statistic(values, "mean", "max") == 50.5 and statistic(values, "p50", "min") == 50.5


def test_a_run_that_never_completed_has_infinite_duration() -> None:
    assert statistic([100.0, None], "mean", "max") == math.inf
    assert statistic([100.0, 110.0, None], "p50", "max") == 110.0
    verdict = judge([Constraint("duration_s", "max", 1e9)], {"duration_s": [5.0, None]})
    assert verdict == {"ok": False, "failed": ["max_duration_s"], "values": {"max_duration_s": math.inf}}


def test_judge_lists_every_failed_constraint() -> None:
    slo = parse_slo({"max_duration_s": 100, "min_available_fraction": 0.95})
    assert judge(slo, {"duration_s": [90, 95], "min_available_fraction": [0.96, 0.97]})["ok"]
    bad = judge(slo, {"duration_s": [90, 120], "min_available_fraction": [0.96, 0.90]})
    assert bad["failed"] == ["max_duration_s", "min_available_fraction"]
    assert bad["values"] == {"max_duration_s": 120, "min_available_fraction": 0.90}


def test_recommend_picks_the_fastest_passing_configuration() -> None:
    slo = parse_slo({"min_available_fraction": 0.95})
    configs = [
        {"label": "maxUnavailable 1", "ok": True, "failed": [], "duration_s_mean": 40000.0},
        {"label": "maxUnavailable 10%", "ok": False, "failed": ["min_available_fraction"], "duration_s_mean": 500.0},
        {"label": "surge 10%", "ok": True, "failed": [], "duration_s_mean": 600.0},
    ]
    rec = recommend(configs, slo)
    assert rec.label == "surge 10%"
    assert rec.reason == ("surge 10% is the fastest configuration that completed in every replication and met every "
                          "SLO constraint")


def test_recommend_says_plainly_when_nothing_passes() -> None:
    slo = parse_slo({"min_available_fraction": 0.99, "max_duration_s": 100})
    configs = [
        {"label": "a", "ok": False, "failed": ["min_available_fraction"], "duration_s_mean": 50.0},
        {"label": "b", "ok": False, "failed": ["min_available_fraction", "max_duration_s"], "duration_s_mean": 500.0},
    ]
    rec = recommend(configs, slo)
    assert rec.label is None
    assert rec.reason.startswith("no configuration is safe to recommend")
    assert "min_available_fraction ≥ 0.99 (worst over replications) fails in 2 of 2" in rec.reason
    assert "duration_s ≤ 100" in rec.reason


def test_without_slo_the_fastest_completed_configuration_wins() -> None:
    configs = [{"label": "a", "ok": True, "failed": [], "duration_s_mean": math.nan},
               {"label": "b", "ok": True, "failed": [], "duration_s_mean": 70.0}]
    rec = recommend(configs, ())
    assert rec.label == "b"
    assert rec.reason == "b is the fastest configuration that completed in every replication (no SLO given)"


def test_a_configuration_that_did_not_always_complete_is_never_recommended() -> None:
    # never-ready:0.001 completed in 2 of 5: its mean is over the 2 lucky runs, so it looks fastest
    slo = parse_slo({"min_available_fraction": 0.95})
    configs = [{"label": "lucky", "ok": True, "failed": [], "runs": 5, "completed": 2, "duration_s_mean": 100.0},
               {"label": "steady", "ok": True, "failed": [], "runs": 5, "completed": 5, "duration_s_mean": 900.0}]
    assert recommend(configs, slo).label == "steady"
    rec = recommend(configs[:1], slo)
    assert rec.label is None and "lucky: 2/5" in rec.reason and "did not complete in every replication" in rec.reason


def test_meeting_the_slo_without_completing_is_not_enough() -> None:
    # bad-image: some configurations pass the availability SLO but none completes
    slo = parse_slo({"min_available_fraction": 0.98})
    configs = [{"label": "surge", "ok": True, "failed": [], "runs": 3, "completed": 0, "duration_s_mean": math.nan},
               {"label": "10%", "ok": False, "failed": ["min_available_fraction"], "runs": 3, "completed": 0,
                "duration_s_mean": math.nan}]
    rec = recommend(configs, slo)
    assert rec.label is None
    assert "2 of 2 did not complete in every replication (surge: 0/3; 10%: 0/3)" in rec.reason
    assert "min_available_fraction ≥ 0.98 (worst over replications) fails in 1 of 2" in rec.reason


def test_one_recommendation_per_condition_the_user_does_not_choose() -> None:
    configs = [
        {"label": "surge, u=0.5", "ok": True, "failed": [], "runs": 2, "completed": 2, "duration_s_mean": 300.0,
         "params": {"cluster.node_utilization": 0.5}},
        {"label": "mu, u=0.5", "ok": True, "failed": [], "runs": 2, "completed": 2, "duration_s_mean": 400.0,
         "params": {"cluster.node_utilization": 0.5}},
        {"label": "surge, u=0.7", "ok": True, "failed": [], "runs": 2, "completed": 0, "duration_s_mean": math.nan,
         "params": {"cluster.node_utilization": 0.7}},
        {"label": "mu, u=0.7", "ok": True, "failed": [], "runs": 2, "completed": 2, "duration_s_mean": 410.0,
         "params": {"cluster.node_utilization": 0.7}},
        {"label": "alone", "ok": True, "failed": [], "runs": 2, "completed": 2, "duration_s_mean": 10.0,
         "params": {"cluster.node_utilization": 0.9}},
    ]
    recs = recommend_by_condition(configs, (), ["cluster.node_utilization"])
    assert [(r.condition, r.label) for r in recs] == [("other pods requesting 50% of each node", "surge, u=0.5"),
                                                      ("other pods requesting 70% of each node", "mu, u=0.7"),
                                                      ("other pods requesting 90% of each node", None)]
    # and why, and how to compare it with the others (audit 41: a variant's host_ports made a condition of its own)
    assert recs[2].reason.endswith("nothing to choose from: configurations are compared only under one value of "
                                   "each condition (cluster.node_utilization: the keys the study varies that "
                                   "decisions: does not list; one listed there is compared across its values)")


def test_the_only_configuration_of_a_condition_that_did_not_complete_is_named_as_such() -> None:
    """Not "only X ran under this condition: nothing to choose from" for one that never completed."""
    configs = [{"label": "surge, hostPort", "ok": True, "failed": [], "runs": 2, "completed": 0,
                "duration_s_mean": math.nan, "params": {"cluster.node_utilization": 0.5},
                "stop": "new pods Pending: the old pod holds the host port (NodePorts)"},
               {"label": "mu", "ok": False, "failed": ["max_duration_s"], "runs": 2, "completed": 2,
                "duration_s_mean": 900.0, "params": {"cluster.node_utilization": 0.7}}]
    fails, slow = recommend_by_condition(configs, (Constraint("duration_s", "max", 600.0),),
                                         ["cluster.node_utilization"])
    assert fails.label is None and fails.reason == (
        "the only configuration run under this condition, surge, hostPort, did not complete (0/2 replications), "
        "stopped because of new pods Pending: the old pod holds the host port (NodePorts)")
    assert slow.label is None and slow.reason == (
        "the only configuration run under this condition, mu, does not meet the SLO (max_duration_s)")


def test_a_long_condition_is_named_as_its_configurations_are() -> None:
    from rollsim.sweep.slo import recommend_by_condition

    also = [{"name": f"ds-{i}", "ready": "lognormal(median=10, p95=20)"} for i in range(5)]
    configs = [{"label": f"ten DaemonSets at once, max_unavailable={m}", "params": {"also": also}, "ok": True,
                "failed": [], "runs": 2, "completed": 2, "duration_s_mean": d}
               for m, d in (("1", 900.0), ("10%", 90.0))]
    (rec,) = recommend_by_condition(configs, (), ["also"])
    assert rec.condition == "ten DaemonSets at once"  # not the whole list of ten DaemonSets


def test_a_condition_that_is_a_named_variant_is_named_as_the_user_named_it() -> None:
    """field-neco-1910: three named DaemonSets, each its own nodes, terminate and ready times. The
    condition was "nodes=108, terminate=lognormal(median=20, p95=30), ready=lognormal(...)". A shared
    part that is a condition's own words is the setting, not a name the user gave."""
    def config(name: str, nodes: int, mu: str, duration: float) -> dict:
        return {"label": f"{name} ({nodes} nodes), max_unavailable={mu}", "ok": True, "failed": [], "runs": 3,
                "completed": 3, "duration_s_mean": duration,
                "params": {"cluster.nodes": nodes, "timings.ready": f"lognormal(median={nodes}, p95=80)"}}

    configs = [config(name, n, mu, d) for name, n in (("promtail", 108), ("ceph-csi", 61))
               for mu, d in (("1", 8000.0), ("25%", 400.0))]
    recs = recommend_by_condition(configs, (), ["cluster.nodes", "timings.ready"])
    assert [(r.condition, r.label) for r in recs] == [
        ("promtail (108 nodes)", "promtail (108 nodes), max_unavailable=25%"),
        ("ceph-csi (61 nodes)", "ceph-csi (61 nodes), max_unavailable=25%")]
    spelt = [dict(c, label=f"{c['params']['cluster.nodes']} nodes, maxUnavailable {i}") for i, c in enumerate(configs)]
    assert [r.condition for r in recommend_by_condition(spelt, (), ["cluster.nodes"])] == ["108 nodes", "61 nodes"]
    # a group of one: its whole label would name its decision too, so the values name every condition
    recs = recommend_by_condition(configs[:3], (), ["cluster.nodes", "timings.ready"])
    assert [r.condition for r in recs] == ["108 nodes, app ready time lognormal(median=108, p95=80)",
                                           "61 nodes, app ready time lognormal(median=61, p95=80)"]
