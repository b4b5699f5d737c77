"""Kubelets whose clocks run ahead of the controller's (``--clock-skew S[:FRACTION]``,
kubernetes/kubernetes#29229, #77203): a Ready pod's ``lastTransitionTime`` is in the node's time,
so with minReadySeconds it turns available S seconds late as the controller sees it, and the
controller finds it at one of its requeues (``updateDaemonSetStatus``: every minReadySeconds)."""

from __future__ import annotations

import pytest
from rollsim import build_scenario, simulate
from rollsim.cli import main
from rollsim.spec.clockskew import ClockSkew, parse_clock_skew

from helpers import experiment_error, one_error_line

# ideal mode, constant timings: the new pod is Ready 15 s in (terminate 5, schedule 1, pull 2, start 3, ready 4)
CONSTANT = dict(controller="ideal", schedule=1, pull=2, start=3, ready=4, terminate=5, probe_period=0)


def _duration(nodes: int = 1, **options) -> float:
    return simulate(build_scenario(nodes=nodes, **CONSTANT, **options), seed=0).summary["duration_s"]


def test_a_clock_ahead_delays_availability_to_the_controllers_next_requeue() -> None:
    """Ready at 15 s, minReadySeconds 30: available at 45 s. With the node 100 s ahead its Ready
    condition says 115 s, so the pod is available only from 145 s by the controller's clock, and the
    controller, requeuing every 30 s from 15 s, sees it at 165 s."""
    assert _duration(min_ready_seconds=30) == pytest.approx(45.0)
    assert _duration(min_ready_seconds=30, clock_skew=100) == pytest.approx(165.0)
    # without minReadySeconds a Ready pod is available whatever its lastTransitionTime says
    assert _duration(clock_skew=100) == _duration() == pytest.approx(15.0)


def test_a_clock_behind_counts_minreadyseconds_short_but_the_requeue_comes_when_it_comes() -> None:
    """20 s behind: the pod is available by the rule from 25 s, but nothing syncs before the 45 s requeue."""
    assert _duration(min_ready_seconds=30, clock_skew=-20) == pytest.approx(45.0)


def test_a_fraction_of_the_nodes_are_skewed_drawn_in_node_order() -> None:
    """One node in ten an hour ahead: each such node holds its unit of the budget for an hour more."""
    options = dict(nodes=50, max_unavailable="10%", min_ready_seconds=30)
    plain = simulate(build_scenario(**options), seed=4).summary
    skewed = simulate(build_scenario(**options, clock_skew="3600:0.1"), seed=4)
    again = simulate(build_scenario(**options, clock_skew="3600:0.1"), seed=4)
    assert skewed.nodes.equals(again.nodes)
    assert skewed.summary["duration_s"] > plain["duration_s"] + 3600
    late = skewed.nodes["new_available_at_s"] - skewed.nodes["new_ready_at_s"]
    assert 0 < int((late > 3600).sum()) < 50  # some nodes, not all


def test_a_stall_on_a_pod_ready_but_not_yet_available_says_so() -> None:
    """maxUnavailable 1 and a node an hour ahead: its pod holds the one slot, Ready but not available,
    for an hour, past the stall detector's hour; the stop said "no progress" and no more."""
    s = simulate(build_scenario(nodes=100, controller="ideal", min_ready_seconds=30, clock_skew="3600:0.1"),
                 seed=0).summary
    assert s["stop_cause"] == "stalled"
    assert s["stop_detail"].startswith("no progress, 1 new pod Ready but not yet available: minReadySeconds counts "
                                       "from the Ready condition's lastTransitionTime, in the node's time")
    assert "a longer stall_after would wait for it;" in s["stop_detail"]
    assert "(a node clock ahead of the controller's delays it: --clock-skew)" in s["stop_detail"]  # the run has one


def test_the_text_reads_back() -> None:
    assert parse_clock_skew("600") == ClockSkew(600) and parse_clock_skew(" -30:0.1 ") == ClockSkew(-30, 0.1)
    assert str(ClockSkew(600, 0.05)) == "600:0.05" and parse_clock_skew(str(ClockSkew(-5))) == ClockSkew(-5)


@pytest.mark.parametrize("value", ["1.5", "600:0", "600:1.5", "x", "10000000000", "600:nan"])
def test_a_bad_flag_is_one_line_and_exit_2(capsys, value) -> None:
    assert main(["simulate", "--nodes", "3", "--clock-skew", value]) == 2
    one_error_line(capsys, "--clock-skew")


def test_an_experiment_names_it_under_cluster(tmp_path) -> None:
    experiment = tmp_path / "x.yaml"
    experiment.write_text("name: x\nscenario:\n  cluster: {nodes: 20, clock_skew: '600:0.1'}\n"
                          "  strategy: {min_ready_seconds: 10}\nreplications: 1\n", encoding="utf-8")
    assert main(["run", str(experiment), "--out", str(tmp_path / "out"), "--workers", "1", "-q"]) == 0
    assert "cluster.clock_skew" in experiment_error(tmp_path, "  cluster:\n    clock_skew: 1.5")
