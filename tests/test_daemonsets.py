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
    with pytest.raises(ValueError, match="unknown key"):
        build_scenario(nodes=5, also=[{"name": "x", "colour": "red"}])
