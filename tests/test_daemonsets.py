"""Several DaemonSets updated at once, sharing the controller's workers and API budget."""

from __future__ import annotations

import pandas as pd
import pytest
from rollsim import build_scenario, simulate

CONSTANT = dict(schedule=1, pull=2, start=3, ready=4, terminate=5, probe_period=0)
OTHERS = [
    {"name": "calico-node", "max_unavailable": 2, "ready": 1, "schedule": 1, "pull": 1, "start": 1,
     "terminate": 1, "probe_period": 0},
    {"name": "node-exporter", "max_surge": 5, "ready": 2, "schedule": 1, "pull": 1, "start": 1,
     "terminate": 1, "probe_period": 0},
]


def test_in_ideal_mode_each_keeps_its_own_closed_form() -> None:
    r = simulate(build_scenario(nodes=20, max_unavailable=4, controller="ideal", also=OTHERS, **CONSTANT))
    assert r.summary["duration_s"] == pytest.approx(5 * 15)  # ceil(20/4) × (5+1+2+3+4)
    assert r.others["calico-node"]["duration_s"] == pytest.approx(10 * 5)  # ceil(20/2) × (1+1+1+1+1)
    # surge: each wave's pods are created at once and their old pods go when they are available
    assert r.others["node-exporter"]["completed"] is True
    assert r.others["node-exporter"]["min_available_fraction"] == 1.0


def test_sharing_the_controller_slows_each_one_down() -> None:
    common = dict(nodes=600, max_unavailable="10%")
    alone = simulate(build_scenario(**common), seed=5).summary
    shared = simulate(build_scenario(also=[{"name": "a", "max_unavailable": "10%"},
                                           {"name": "b", "max_unavailable": "10%"}], **common), seed=5)
    assert shared.summary["duration_s"] > alone["duration_s"]
    assert shared.summary["queue_wait_s"] > alone["queue_wait_s"] == 0.0
    assert set(shared.others) == {"a", "b"} and all(o["completed"] for o in shared.others.values())
    assert all(o["queue_wait_s"] > 0 for o in shared.others.values())


def test_the_same_seed_gives_the_same_results() -> None:
    scenario = build_scenario(nodes=50, also=[{"name": "calico-node", "max_unavailable": "20%"}])
    a, b = simulate(scenario, seed=3), simulate(scenario, seed=3)
    pd.testing.assert_frame_equal(a.timeline, b.timeline)
    assert a.others == b.others and a.summary == b.summary


def test_names_must_differ_and_entries_are_checked() -> None:
    with pytest.raises(ValueError, match="distinct names"):
        build_scenario(nodes=5, also=[{"name": "fluentd-elasticsearch"}])
    with pytest.raises(ValueError, match="item 0 .*max_unavailable"):
        build_scenario(nodes=5, also=[{"name": "x", "max_unavailable": "200%"}])
    with pytest.raises(ValueError, match="item 0: unknown key colour .*rollsim schema"):
        build_scenario(nodes=5, also=[{"name": "x", "colour": "red"}])
    with pytest.raises(ValueError, match="item 0: unknown key max_surg; did you mean max_surge"):
        build_scenario(nodes=5, also=[{"name": "x", "max_surg": 1}])


# -- one world: the DaemonSets share the cluster ------------------------------------------------

from dataclasses import replace  # noqa: E402

from rollsim.spec.node import Node  # noqa: E402

FAST = dict(schedule=0.01, pull=0.01, start=0.01, ready=0.01, terminate=0.01, probe_period=0)


def test_nodes_added_during_the_rollout_reach_every_daemonset() -> None:
    """Before the one world, only the first DaemonSet saw added nodes (it reported 30, the other 20)."""
    r = simulate(build_scenario(nodes=20, add_nodes="10@5", also=[{"name": "calico-node"}]), seed=1)
    assert r.summary["nodes"] == 30 and r.summary["updated"] == 30
    assert r.others["calico-node"]["nodes"] == 30 and r.others["calico-node"]["updated"] == 30


def test_nodes_removed_and_failing_reach_every_daemonset() -> None:
    r = simulate(build_scenario(nodes=30, remove_nodes="5@5", not_ready_nodes="3@5",
                                also=[{"name": "calico-node"}]), seed=2)
    other = r.others["calico-node"]
    # 30 - 5 removed - 3 NotReady (kept only, no longer desired); a removed node may be a NotReady one
    assert 22 <= r.summary["nodes"] == other["nodes"] <= 25
    # the NotReady nodes' old pods hold maxUnavailable 1 in both rollouts: both deadlock
    assert r.summary["stalled"] and other["stalled"]
    assert r.summary["max_unavailable_observed"] == other["max_unavailable_observed"] == 1


def test_the_scheduler_throughput_is_shared() -> None:
    """One scheduler binds every DaemonSet's pods: 80 pods at 1/s take about 80 s, not 40 s
    (each DaemonSet had its own token bucket before)."""
    one = dict(nodes=40, max_unavailable="100%", controller="ideal", scheduler_throughput="1/s", **FAST)
    alone = simulate(build_scenario(**one)).summary["duration_s"]
    both = simulate(build_scenario(**one, also=[{"name": "b", "max_unavailable": "100%", **FAST}]))
    assert 39 <= alone <= 41
    assert max(both.summary["duration_s"], both.others["b"]["duration_s"]) >= 79


def test_the_registry_bandwidth_is_shared() -> None:
    """Two DaemonSets pulling 1 GB images through a 1 GB/s registry at once: each pull gets half."""
    one = dict(nodes=10, max_unavailable="100%", controller="ideal", image_size="1GB",
               registry_bandwidth="10GB/s", **FAST)
    alone = simulate(build_scenario(**one)).summary
    both = simulate(build_scenario(**one, also=[{"name": "b", "max_unavailable": "100%", "image_size": "1GB", **FAST}]))
    assert alone["mean_pull_s"] == pytest.approx(1.0)  # 10 pulls of 1 GB share 10 GB/s
    assert both.summary["mean_pull_s"] == pytest.approx(2.0, rel=0.05)
    assert both.others["b"]["mean_pull_s"] == pytest.approx(2.0, rel=0.05)
    assert both.summary["registry_bytes_served"] == both.others["b"]["registry_bytes_served"] == 10e9


def test_node_resources_and_host_ports_are_shared() -> None:
    """A surge pod that fits beside its own old pod does not fit beside another DaemonSet's pod."""
    nodes = tuple(Node(f"n{i}", allocatable_cpu_millis=1000) for i in range(4))
    main = dict(max_surge=1, requests_cpu="500m", stall_after=120, **FAST)
    alone = simulate(replace(build_scenario(**main), nodes=nodes)).summary
    assert alone["completed"] and alone["unschedulable_pods"] == 0
    other = {"name": "node-exporter", "requests_cpu": "500m", **FAST}
    shared = simulate(replace(build_scenario(**main, also=[other]), nodes=nodes))
    assert shared.others["node-exporter"]["completed"]
    assert not shared.summary["completed"] and shared.summary["unschedulable_pods"] >= 1
