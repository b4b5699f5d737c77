"""Figures drawn from a hand-made results folder (``conftest.build_results``), and their pure helpers."""

from __future__ import annotations

import dataclasses
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Text
from rollsim.present.plotmath import (
    crosses,
    line_boxes,
    log_start,
    log_time_ticks,
    short_duration,
    spread_labels,
    wants_log,
)
from rollsim.present.plots import (
    bin_minimum,
    pareto_front,
    plot_availability,
    plot_downtime,
    plot_duration,
    plot_tradeoff,
    save_figures,
    sweep_axis,
    time_unit,
)
from rollsim.present.render import format_duration
from rollsim.sweep.results import load_results

from helpers import rewritten, with_another_daemonset

PNG = b"\x89PNG\r\n\x1a\n"
NAN = math.nan


def texts(ax) -> str:
    return "\n".join(t.get_text() for t in ax.texts)


def legend(ax) -> str:
    return "\n".join(t.get_text() for t in ax.get_legend().get_texts())


def test_pareto_front_keeps_points_nothing_beats_in_both() -> None:
    points = [(1, 5), (2, 3), (3, 4), (4, 1), (2, 3), (NAN, 0), (5, 5), (0.5, math.inf)]
    assert pareto_front(points) == [0, 1, 4, 3]  # (3,4) and (5,5) are beaten by (2,3); NaN and inf never count
    assert pareto_front([]) == []
    assert pareto_front([(3, 3)]) == [0]
    assert pareto_front([(1, 2), (1, 3)]) == [0]  # equal x, worse y: dominated


def test_bin_minimum_keeps_dips_shorter_than_a_bin() -> None:
    times, values = np.array([0.0, 10.0, 10.5, 20.0]), np.array([5.0, 3.0, 5.0, 4.0])
    grid = np.array([0.0, 5.0, 10.0, 15.0, 20.0, 25.0])
    assert list(bin_minimum(times, values, grid)) == [5, 5, 3, 5, 4, 4]  # the 0.5 s dip at 10 s is kept
    # a dip strictly inside the first bin, and a run that holds its last value after it ends
    assert list(bin_minimum(np.array([0.0, 1.0, 2.0]), np.array([5.0, 3.0, 5.0]), np.array([0.0, 5, 10]))) == [3, 5, 5]
    # a row exactly on a bin edge belongs to the next bin
    assert list(bin_minimum(np.array([0.0, 5.0]), np.array([5.0, 1.0]), np.array([0.0, 5, 10]))) == [5, 1, 1]


def test_time_unit_switches_to_minutes_and_hours() -> None:
    assert time_unit(120) == (1.0, "s")
    assert time_unit(1800) == (60.0, "min")
    assert time_unit(6 * 3600) == (3600.0, "h")


@pytest.mark.parametrize(("column", "kind"), [
    (["10%", "25%", "10%"], "pct"), ([1, 2, 1], "num"), (["1", "10%", "1"], "cat"), (["a", "b", "a"], None),
])
def test_sweep_axis_classifies_values(column, kind) -> None:
    summary = pd.DataFrame({"k": column, "other": [0, 0, 30]})
    key, got = sweep_axis(summary, ["k", "other"])
    if kind is None:  # not numeric: the other key (two values) is the axis
        assert (key, got) == ("other", "num")
    else:
        assert (key, got) == ("k", kind)
    assert sweep_axis(summary, []) == (None, "cat")


def test_availability_draws_a_median_and_band_per_configuration(fake_results) -> None:
    ax = plot_availability(load_results(fake_results))
    labels = [line.get_label() for line in ax.lines]
    assert len(ax.lines) == 4 + 1 and len(ax.collections) == 4  # 4 medians, the SLO floor; 4 bands
    assert labels[-1].startswith("SLO floor: 160 nodes")
    assert ax.lines[-1].get_ydata()[0] == pytest.approx(160)
    assert "did not complete" in labels[3]
    assert "(min)" in ax.get_xlabel()  # the completed runs last up to ~10 min
    assert ax.get_xscale() == "linear"  # ~2 to ~10 min: within a factor of ten
    median = ax.lines[2].get_ydata()  # 25% maxUnavailable: 150 of 200 at worst
    assert median.min() == 150 and median.max() == 200


def test_duration_draws_one_line_per_other_parameter(fake_results) -> None:
    ax = plot_duration(load_results(fake_results))
    assert [c.get_label() for c in ax.containers] == ["minReadySeconds 0", "minReadySeconds 30"]
    lines = [c.lines[0] for c in ax.containers]
    assert [int(np.isfinite(line.get_ydata()).sum()) for line in lines] == [2, 1]  # 25%/30 s never completed
    assert [t.get_text() for t in ax.get_xticklabels()] == ["10%", "25%"]
    # the configuration that never completed has no duration: near the top edge, said so, at no time
    assert texts(ax) == "no run\ncompleted"
    assert "no run completed, so no duration" in legend(ax)
    assert "stopped at" not in texts(ax) + legend(ax)
    # the SLO judges the longest run: the legend says so, and crosses mark that statistic
    assert "SLO: longest run's duration ≤ 30 min" in legend(ax).replace("\n", " ")
    assert "longest run's duration: what the SLO judges" in legend(ax)


def test_duration_lines_that_share_an_x_sit_side_by_side_and_a_repeated_label_is_printed_once(
        fake_results) -> None:
    """Three hollow markers at one x sat on top of each other, the label printed three times:
    lines that share an x are moved a little apart, and one "stopped at" label names them all.
    """
    with rewritten(fake_results / "runs.csv") as runs:
        runs.loc[runs["config"] == 2, ["completed", "end_s"]] = [False, 3600.0]  # stops when config 3 does
    with rewritten(fake_results / "summary.csv") as summary:
        summary.loc[summary["config"] == 2, ["completed", "duration_s_mean"]] = [0, NAN]
    ax = plot_duration(load_results(fake_results))
    first, second = (c.lines[0].get_xdata() for c in ax.containers)
    assert first[0] < 10 < second[0] and 10 - first[0] == pytest.approx(second[0] - 10)  # dodged about 10%
    assert abs(first[0] - 10) < 0.1 * 15  # by a small step of the gap between 10% and 25%
    hollow = [line for line in ax.lines if line.get_markerfacecolor() == "white"]
    assert len({float(x) for line in hollow for x in line.get_xdata()}) == 2  # the two at 25% apart
    assert texts(ax).count("no run\ncompleted") == 1
    low, high = ax.get_xlim()
    assert all(low < v < high for c in ax.containers for v in c.lines[0].get_xdata())  # each moved one in view
    assert ax.get_xlabel() == "maxUnavailable (% of desired nodes)"


def test_duration_with_mixed_int_and_percent_is_one_row_per_configuration(make_results) -> None:
    # named variants are categories: no line drawn over "1 → 10%"
    results = load_results(make_results(values=(1, "10%")))
    ax = plot_duration(results)
    shown = {t.get_position()[1]: t.get_text().replace("\n", " ") for t in ax.get_yticklabels()}
    assert [shown[y] for y in sorted(shown, reverse=True)] == list(results.summary["label"])  # top down
    assert all(line.get_linestyle() in ("None", "none", "") for c in ax.containers for line in c.lines[:1])
    assert any(line.get_label().startswith("SLO: longest run's duration ≤ 30 min") for line in ax.lines)
    # one node at a time takes ~1.5 h, 10% ~4 min: a log duration axis, ticks in time units
    assert ax.get_xscale() == "log" and "log scale" in ax.get_xlabel()
    assert {"5 min", "30 min", "1 h"} <= set(tick_labels(ax.xaxis))


def test_duration_without_a_numeric_parameter_is_a_chart_by_label(fake_results) -> None:
    results = load_results(fake_results)
    results = dataclasses.replace(results, experiment={**results.experiment, "swept": []})
    ax = plot_duration(results)
    (container,) = ax.containers
    assert len(container.lines[0].get_xdata()) == 3  # the three that completed every time
    assert not [line for line in ax.lines if line.get_markerfacecolor() == "white"]  # the other: no time
    assert "maxUnavailable 10%, minReadySeconds 0" in [t.get_text() for t in ax.get_yticklabels()]
    # each completed configuration is marked with its mean duration; the other's row says it has none
    means = results.summary["duration_s_mean"].dropna()
    assert [t.get_text() for t in ax.texts] == ([format_duration(m) for m in means]
                                                + ["no run completed (0/3): no duration"])
    assert ax.get_xscale() == "linear"  # 2 to 10 min: the stuck runs' hour is no duration


def one_run_completed(folder, config: int = 3, completed_column: bool = True):
    """``folder`` with one replication of ``config`` (the fixture's stuck one) completed: it
    completed some runs, not none; its run that completed lost 720 unavailable node-seconds, the
    summary's ``unavailable_node_seconds_completed_mean`` (the table's ``*``; a summary written
    before that column, ``completed_column`` false, lacks it).
    """
    with rewritten(folder / "runs.csv") as runs:
        first = (runs["config"] == config) & (runs["replication"] == 0)
        runs.loc[first, "completed"] = True
        runs.loc[first, "end_s"] = 900.0  # it completed in 15 min
        runs.loc[first, "unavailable_node_seconds"] = 720.0
    with rewritten(folder / "summary.csv") as summary:
        summary.loc[summary["config"] == config, ["completed", "duration_s_mean"]] = [1, 900.0]
        if completed_column:
            summary["unavailable_node_seconds_completed_mean"] = math.nan
            summary.loc[summary["config"] == config, "unavailable_node_seconds_completed_mean"] = 720.0
    return folder


def test_tradeoff_marks_the_pareto_front_and_slo_limits(make_results) -> None:
    slo = [{"key": "max_unavailable_node_seconds", "metric": "unavailable_node_seconds", "bound": "max",
            "limit": 8000.0, "statistic": "mean", "text": "unavailable_node_seconds ≤ 8000 (mean)"}]
    ax = plot_tradeoff(load_results(one_run_completed(make_results(slo=slo))))
    assert len(ax.collections[0].get_offsets()) == 3  # the configurations that completed every time
    assert len(ax.collections[1].get_offsets()) == 1  # the one that did not, hollow
    # at the mean duration of its run that completed, as the table gives it (not when the others stopped)
    assert ax.collections[1].get_offsets()[0][1] == pytest.approx(900 / 60)
    # and at the node-hours of that run too, as the table's * (not the mean of every run, cut ones included)
    assert ax.collections[1].get_offsets()[0][0] == pytest.approx(720 / 3600)
    front, limit = [line for line in ax.lines if line.get_label()[:1] != "_"]
    # (the fixture's node-hours are within their confidence intervals of each other: a tie, the fastest alone)
    assert front.get_label().startswith("Pareto front") and len(front.get_xdata()) == 1
    assert limit.get_xdata()[0] == pytest.approx(8000 / 3600)  # node-hours, as the results table counts them
    assert limit.get_label().startswith("SLO: unavailable ≤ 2.22 node-hours")
    assert "did not always complete: mean of the runs that completed (the table's *)" in legend(ax).replace("\n", " ")
    assert "unavailable node-hours" in ax.get_xlabel()


def test_tradeoff_hollow_point_takes_completed_node_hours_from_runs_of_an_old_summary(make_results) -> None:
    """partial (4/6 completed): the figure put mu1 at 0.404 node-hours (every run), the table
    0.554 (the completed ones); a summary without the completed column gets it from runs.csv.
    """
    folder = one_run_completed(make_results(slo=[]), completed_column=False)
    every = load_results(folder).summary.set_index("config").loc[3, "unavailable_node_seconds_mean"]
    assert every != pytest.approx(720.0)
    ax = plot_tradeoff(load_results(folder))
    assert ax.collections[1].get_offsets()[0][0] == pytest.approx(720 / 3600)


def test_downtime_pools_only_the_completed_runs_of_a_partial_configuration(make_results) -> None:
    """partial: the table's node downtime is over the completed runs (its *); the CDF pooled the
    cut runs' nodes too.
    """
    results = load_results(one_run_completed(make_results(slo=[])))
    ax = plot_downtime(results)
    nodes = results.downtime.groupby("config").size() // 3  # one replication's nodes
    lines = {line.get_label(): len(line.get_xdata()) - 1 for line in ax.lines if line.get_label()[:1] != "_"}
    label = results.summary.set_index("config").loc[3, "label"]
    assert lines[str(label)] == nodes[3]  # its one completed replication's nodes, not its three
    assert "completed replications pooled" in ax.get_title()


def _fronts(ax) -> list[list[tuple[float, float]]]:
    """The ringed (Pareto front) lines of a tradeoff figure, each as its points."""
    return [list(zip(line.get_xdata(), line.get_ydata())) for line in ax.lines if line.get_markersize() == 15]


def test_tradeoff_rings_a_front_within_each_condition_never_across(make_results) -> None:
    """minReadySeconds a condition: a front under 0 s and one under 30 s (where one never completes:
    the other, alone, is its front), as the report's text finds them; the figure no longer joins
    configurations that ran under different conditions. Under 0 s the two node-hours are within
    their confidence intervals, a tie: the faster (25%) alone is on the front.
    """
    results = load_results(make_results(slo=[], experiment_keys={"decisions": ["strategy.max_unavailable"]}))
    s = results.summary.set_index("config")
    ax = plot_tradeoff(results)
    hours = [s.loc[c, "unavailable_node_seconds_mean"] / 3600 for c in (2, 1)]  # 25% at 0 s, 10% at 30 s
    assert [sorted(x for x, _ in f) for f in _fronts(ax)] == [pytest.approx([hours[0]]), pytest.approx([hours[1]])]
    assert [line.get_label() for line in ax.lines if line.get_markersize() == 15][0] == (
        "Pareto front within each condition")  # (named once in the legend)


def test_tradeoff_rings_nothing_when_the_study_varies_no_decision(make_results) -> None:
    results = load_results(make_results(slo=[], experiment_keys={"decisions": ["deleter"]}))  # both conditions
    assert _fronts(plot_tradeoff(results)) == []
    assert len(_fronts(plot_tradeoff(load_results(make_results(slo=[]))))) == 1  # both decisions: one front


def test_a_summary_frame_is_one_front() -> None:
    frame = pd.DataFrame({"config": [0, 1, 2], "label": ["a", "b", "c"], "duration_s_mean": [600.0, 900.0, 1200.0],
                          "unavailable_node_seconds_mean": [7200.0, 3600.0, 9000.0]})
    assert [sorted(f) for f in _fronts(plot_tradeoff(frame))] == [[(1.0, 15.0), (2.0, 10.0)]]


def test_downtime_draws_one_ecdf_per_configuration(fake_results) -> None:
    ax = plot_downtime(load_results(one_run_completed(fake_results)))
    assert len(ax.lines) == 4
    for line in ax.lines:
        y = line.get_ydata()
        assert y[0] == 0 and y[-1] == 1 and np.all(np.diff(y) >= 0)
    assert ax.get_xscale() == "log"  # the stuck nodes wait an hour, the others seconds
    assert {"1 min", "10 min", "1 h"} <= set(tick_labels(ax.xaxis))


def test_a_configuration_that_never_completed_is_left_out_not_drawn_as_the_best(make_results) -> None:
    """A rollout that never started loses nothing: at 0 node-hours (the lower left) and as a
    line at 0 s of downtime it would read as the best. The tradeoff and downtime figures leave
    out a configuration none of whose runs completed, and their legends name it.
    """
    folder = make_results()
    with rewritten(folder / "runs.csv") as runs:
        runs.loc[runs["config"] == 3, "unavailable_node_seconds"] = 0.0  # as NotReady nodes make it
    with rewritten(folder / "summary.csv") as summary:
        summary.loc[summary["config"] == 3, "unavailable_node_seconds_mean"] = 0.0
    with rewritten(folder / "downtime.parquet") as down:
        down.loc[down["config"] == 3, "downtime_s"] = 0.0
    results = load_results(folder)
    ax = plot_tradeoff(results)
    points = np.vstack([c.get_offsets() for c in ax.collections])
    assert len(points) == 3 and points[:, 0].min() > 0  # nothing at 0 node-hours
    assert "maxUnavailable 25%, minReadySeconds 30" not in texts(ax)
    assert "not drawn, no run completed: maxUnavailable 25%, minReadySeconds 30" in legend(ax).replace("\n", " ")
    ax = plot_downtime(results)
    assert len(ax.lines) == 3 and min(line.get_xdata().min() for line in ax.lines) > 0
    assert "not drawn, no run completed: maxUnavailable 25%, minReadySeconds 30" in legend(ax).replace("\n", " ")


@pytest.mark.parametrize(("surge_zeros", "scale"), [(True, "symlog"), (False, "log")])
def test_downtime_with_a_long_tail_is_logarithmic_and_draws_nodes_never_down_at_zero(surge_zeros, scale) -> None:
    body = np.r_[np.linspace(20.0, 60.0, 98), 600.0, 1400.0]  # most nodes under a minute, two stragglers
    frames = [pd.DataFrame({"config": 0, "label": "maxUnavailable 10%", "downtime_s": body})]
    if surge_zeros:  # maxSurge: no node is ever down
        frames.append(pd.DataFrame({"config": 1, "label": "maxSurge 10%", "downtime_s": np.zeros(100)}))
    ax = plot_downtime(pd.concat(frames, ignore_index=True))
    assert ax.get_xscale() == scale
    ticks = tick_labels(ax.xaxis)
    assert {"1 min", "10 min"} <= set(ticks)
    assert ("0" in ticks) == surge_zeros  # the tick the surge configuration's CDF rises at
    if surge_zeros:
        assert ax.lines[1].get_xdata().max() == 0 and ax.get_xlim()[0] <= 0
        assert "1 s" not in ticks and "10 s" in ticks  # linear below the least downtime (20 s: from 10 s)


def test_plots_without_parquet_files_say_so(make_results) -> None:
    results = load_results(make_results(timelines=False, downtime=False))
    for plot in (plot_availability, plot_downtime):
        ax = plot(results)
        assert not ax.lines and ".parquet" in texts(ax)


def test_save_figures_writes_four_pngs_atomically(fake_results) -> None:
    paths = save_figures(load_results(fake_results))
    assert [p.name for p in paths] == ["availability.png", "duration.png", "tradeoff.png", "downtime.png"]
    for p in paths:
        assert p.parent == fake_results / "figures" and p.read_bytes().startswith(PNG) and p.stat().st_size > 10_000
    assert sorted(p.name for p in (fake_results / "figures").iterdir()) == sorted(p.name for p in paths)


def test_save_figures_skips_figures_whose_data_is_absent(make_results, tmp_path) -> None:
    paths = save_figures(load_results(make_results(timelines=False, downtime=False)), tmp_path / "out")
    assert [p.name for p in paths] == ["duration.png", "tradeoff.png"]
    assert all(p.parent == tmp_path / "out" / "figures" for p in paths)


def test_modules_leave_pyplot_and_the_backend_alone() -> None:
    code = ("import sys, matplotlib; "
            "import rollsim.present.plots, rollsim.present.report, rollsim.present.render, rollsim.present.plotmath; "
            "print('matplotlib.pyplot' in sys.modules, matplotlib.rcParams._get_backend_or_none())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "None"]


def test_a_node_count_axis_has_whole_ticks_and_a_swept_key_its_unit(make_results) -> None:
    from rollsim.present.plotmath import axis_label

    fake_results = make_results(slo=[])  # no floor far below the data
    timelines = pd.read_parquet(fake_results / "timelines.parquet")
    timelines["available"] = timelines["available"].clip(lower=198)  # a dip of two nodes: ticks every half node
    timelines.to_parquet(fake_results / "timelines.parquet", index=False)
    ax = plot_availability(load_results(fake_results))
    ax.figure.draw_without_rendering()
    assert "nodes with an available pod" in ax.get_ylabel()
    ticks = ax.get_yticks()
    assert len(ticks) and all(float(v).is_integer() for v in ticks)  # no tick at 187.5 nodes
    assert axis_label("strategy.min_ready_seconds") == "minReadySeconds (s)"
    assert axis_label("not.a.setting") == "not.a.setting"


def test_availability_of_different_cluster_sizes_is_a_percentage(fake_results) -> None:
    results = load_results(fake_results)
    tl = results.timelines.copy()
    small = tl["config"] == 0  # pretend configuration 0 ran on a 100-node cluster: half of every count
    tl.loc[small, ["desired", "available"]] = tl.loc[small, ["desired", "available"]] // 2
    ax = plot_availability(dataclasses.replace(results, timelines=tl))
    assert ax.get_ylabel().startswith("% of desired nodes")
    assert ax.lines[0].get_ydata().min() == 90 and ax.lines[-1].get_ydata()[0] == pytest.approx(80)


def test_availability_is_a_share_of_each_moments_desired_when_nodes_leave(fake_results) -> None:
    """Nodes left during every run (desired 200, then 100): a count of nodes against the floor of
    the most desired (0.8 × 200 = 160 nodes) drew each configuration far below a floor its runs met,
    since each moment's share is of the nodes desired at that moment. The axis is that share, and
    the floor the SLO's fraction.
    """
    results = load_results(fake_results)
    tl = results.timelines.copy()
    later = tl["time_s"] > 1.0  # after the first batch started: half the nodes are gone
    tl.loc[later, ["desired", "available"]] = tl.loc[later, ["desired", "available"]] // 2
    ax = plot_availability(dataclasses.replace(results, timelines=tl))
    assert ax.get_ylabel() == "% of desired nodes with an available pod (desired at each moment)"
    floor = ax.lines[-1]
    assert floor.get_label().startswith("SLO floor: 80% (min_available_fraction ≥ 0.8)")
    assert floor.get_ydata()[0] == pytest.approx(80)
    assert ax.lines[0].get_ydata().min() == pytest.approx(90)  # 10%: 90 of 100 at worst, above the floor
    assert ax.lines[2].get_ydata().min() == pytest.approx(75)  # 25%: below it, as the ✗ says


def tick_labels(axis) -> list[str]:
    axis.axes.figure.draw_without_rendering()
    return [t.get_text() for t in axis.get_ticklabels()]


def boxes_overlap(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def test_wants_log_and_log_start() -> None:
    assert wants_log(39000, 245) and not wants_log(1000, 100) and wants_log(1001, 100)
    assert not wants_log(math.inf, 10) and not wants_log(100, 0) and not wants_log(NAN, 1)
    assert log_start(245) == 1.0 and log_start(5000) == 1.0 and log_start(5) == pytest.approx(0.01)


def test_log_time_ticks_are_round_times() -> None:
    major, minor = log_time_ticks(1, 40000)  # 1 s to 11 h: powers of ten, in s, min and h
    assert [short_duration(t) for t in major] == ["1 s", "10 s", "1 min", "10 min", "1 h", "10 h"]
    assert 30 in minor and 1800 in minor and not set(major) & set(minor)
    major, _ = log_time_ticks(175, 55000)  # 3 min to 15 h: the coarse series has too few ticks
    assert [short_duration(t) for t in major] == ["5 min", "10 min", "30 min", "1 h", "5 h", "10 h"]
    major, _ = log_time_ticks(50, 400)  # less than a decade: the densest series
    assert [short_duration(t) for t in major] == ["1 min", "2 min", "5 min"]
    major, _ = log_time_ticks(200, 10000)  # 3 min to 2.8 h: 5 min … 1 h leaves the top unreadable
    assert [short_duration(t) for t in major] == ["5 min", "10 min", "30 min", "1 h", "2 h"]
    for lo, hi in ((5, 500), (60, 3600), (100, 4000), (600, 36000), (3600, 4e5)):  # labels that never run together:
        major, _ = log_time_ticks(lo, hi)  # neighbours at least twice apart (20 min beside 30 min were not)
        assert all(b >= 2 * a for a, b in zip(major, major[1:])), (lo, hi, major)


def test_short_duration_picks_the_largest_unit() -> None:
    """A whole number of its largest unit, else a duration as the report writes one (``1h30m``, not ``1.5 h``)."""
    assert [short_duration(s) for s in (0.5, 30, 300, 5400, 36000, 2 * 86400)] == [
        "0.5 s", "30 s", "5 min", "1h30m", "10 h", "2 d"]


def test_spread_labels_moves_only_what_overlaps() -> None:
    boxes = [(0, 0, 10, 4), (0, 1, 10, 5), (0, 2, 10, 6), (20, 0, 30, 4)]
    shifts = spread_labels(boxes, gap=0)
    assert shifts[0] == 0 and shifts[3] == 0  # the first placed, and one that overlaps nothing, stay
    moved = [(x0, y0 + d, x1, y1 + d) for (x0, y0, x1, y1), d in zip(boxes, shifts)]
    for i in range(4):
        for j in range(i):
            a, b = moved[i], moved[j]
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (i, j)
    # a marker to keep clear, and bounds that forbid moving up: the label goes down
    (shift,) = spread_labels([(0, 10, 10, 14)], keep_clear=[(4, 9, 6, 11)], bounds=(0, 0, 100, 14), gap=0)
    assert shift <= -3
    # a line to avoid: cleared by a small step, but not by sending the label far (it stays on it)
    (shift,) = spread_labels([(0, 10, 10, 14)], avoid=[(4, 13, 6, 15)], gap=0)
    assert shift == -1  # up one step still meets it; down one clears it
    (shift,) = spread_labels([(0, 10, 10, 14)], avoid=[(4, 0, 6, 100)], gap=0)
    assert shift == 0


def test_availability_uses_a_log_time_axis_when_one_configuration_is_much_slower(make_results) -> None:
    ax = plot_availability(load_results(make_results(values=(1, "25%"))))  # ~1.5 h against ~2 min
    assert ax.get_xscale() == "log" and ax.get_xlim()[0] == 1.0 and "log scale" in ax.get_xlabel()
    assert {"10 s", "1 min", "10 min", "1 h"} <= set(tick_labels(ax.xaxis))
    medians = ax.lines[:4]
    assert all(line.get_zorder() > band.get_zorder() for line in medians for band in ax.collections)
    assert medians[2].get_ydata().min() == 150  # the 25% dip is still there on the log grid
    assert all(line.get_xdata()[0] == 1.0 for line in medians)


def test_duration_by_label_uses_a_log_axis_for_a_wide_range(make_results) -> None:
    results = load_results(make_results(values=(1, "25%")))
    results = dataclasses.replace(results, experiment={**results.experiment, "swept": []})
    ax = plot_duration(results)
    assert ax.get_xscale() == "log"
    left, right = ax.get_xlim()
    means = results.summary["duration_s_mean"].dropna().to_numpy()
    assert left < means.min() and right > means.max()  # on a log axis in seconds
    assert [t.get_text() for t in ax.texts][:3] == [format_duration(m) for m in means]
    assert {"1 min", "1 h"} <= set(tick_labels(ax.xaxis))


def test_tradeoff_uses_a_log_duration_axis_for_a_wide_range(make_results) -> None:
    ax = plot_tradeoff(load_results(one_run_completed(make_results(values=(1, "25%")))))
    assert ax.get_yscale() == "log" and "log scale" in ax.get_ylabel()
    assert ax.get_ylim()[0] > 0 and {"1 h"} <= set(tick_labels(ax.yaxis))
    assert len(ax.texts) == 4 and any("(1/3 completed)" in t.get_text().replace("\n", " ") for t in ax.texts)


def test_tradeoff_labels_of_close_points_do_not_overlap(fake_results) -> None:
    results = load_results(fake_results)
    s = results.summary.copy()  # four configurations almost on top of each other
    s["duration_s_mean"] = [300.0, 310.0, 305.0, 315.0]
    s["unavailable_node_seconds_mean"] = [40000.0, 40100.0, 40050.0, 39900.0]
    runs = results.runs.assign(completed=True)  # all completed: each is placed at its mean duration
    ax = plot_tradeoff(dataclasses.replace(results, summary=s, runs=runs))
    assert ax.get_yscale() == "linear" and len(ax.texts) == 4
    ax.figure.draw_without_rendering()
    extents = [Text.get_window_extent(t) for t in ax.texts]  # the text alone, not its leader line
    assert not any(boxes_overlap(extents[i], extents[j]) for i in range(4) for j in range(i))
    assert all(ax.bbox.y0 <= e.y0 and e.y1 <= ax.bbox.y1 for e in extents)
    assert any(t.arrow_patch is not None for t in ax.texts)  # a moved label points back to its point


def test_a_plot_takes_a_results_folder_by_its_path(fake_results) -> None:
    """As the README's Python example says: a DataFrame, a RunResult or a results folder."""
    for folder in (fake_results, str(fake_results)):
        ax = plot_downtime(folder)
        assert len(ax.lines) == 3  # the same ECDFs as from load_results(folder) (the 4th completed no run)
    with pytest.raises(TypeError, match="a results folder"):
        plot_downtime(42)


def test_a_leader_line_starts_at_the_labels_end_nearest_its_point() -> None:
    """Labels pushed apart get leader lines; each starts at the label's end toward its point (the
    right end of a label set to a point's left), not at the label's middle, where it crossed the
    label's own text.
    """
    from matplotlib.figure import Figure
    from rollsim.present.plotlabels import label_points

    ax = Figure(figsize=(6, 4)).add_subplot()
    xs, ys = np.array([10.0, 10.1, 10.2, 10.3]), np.array([5.0, 5.02, 5.04, 5.06])
    ax.scatter(xs, ys)
    ax.set_xlim(0, 10.5)
    ax.set_ylim(0, 10)
    label_points(ax, xs, ys, ["first label", "second label", "third label", "fourth label"])
    leaders = [a for a in ax.texts if getattr(a, "arrow_patch", None) is not None]
    assert leaders, "labels this close are pushed apart, with leader lines"
    for a in leaders:  # near the right edge: every label sits left of its point, right-aligned
        assert a.get_horizontalalignment() == "right" and a.arrowprops["relpos"] == (1.0, 0.5)


def test_labels_keep_a_drawn_line_clear() -> None:
    """A Pareto front's ends were hidden under its end points' labels (the fluentd-1000 figure): a
    label over a drawn line goes to its point's other side where that is clear, else off the line.
    """
    from matplotlib.figure import Figure
    from rollsim.present.plotlabels import label_points

    ax = Figure(figsize=(9, 6)).add_subplot()
    xs, ys = np.array([0.0, 13.8]), np.array([24.0, 21.0])  # a near-level front from the left edge to the right
    ax.plot(xs, ys)
    ax.set_xlim(-0.7, 18.0)  # room for the right label on its point's right
    ax.set_ylim(0, 40)
    label_points(ax, xs, ys, ["maxSurge 10%", "maxUnavailable 25%"], lines=[(xs, ys)])
    ax.figure.draw_without_rendering()
    line = line_boxes([tuple(p) for p in ax.transData.transform(np.column_stack([xs, ys]))], 2.0)
    boxes = [tuple(t.get_window_extent().extents) for t in ax.texts]
    assert not any(crosses(box, line) for box in boxes)
    right = ax.texts[1]  # in the right 40%: left of its point by default, over the line; flipped
    assert right.get_horizontalalignment() == "left"
    assert all(ax.bbox.x0 <= b[0] and b[2] <= ax.bbox.x1 for b in boxes)


def test_line_boxes_follow_a_polyline() -> None:
    boxes = line_boxes([(0.0, 0.0), (10.0, 0.0), (10.0, 10.0)], step=5.0, half=1.0)
    centres = {((b[0] + b[2]) / 2, (b[1] + b[3]) / 2) for b in boxes}
    assert {(0.0, 0.0), (5.0, 0.0), (10.0, 0.0), (10.0, 5.0), (10.0, 10.0)} == centres
    assert crosses((4.0, -0.5, 6.0, 0.5), boxes) and not crosses((4.0, 3.0, 6.0, 4.0), boxes)


def half_filled(ax) -> list:
    """The half-filled markers drawn on ``ax``: configurations whose own DaemonSet completed while
    another DaemonSet of the update did not.
    """
    return [line for line in ax.lines if line.get_fillstyle() == "left" and len(line.get_xdata())]


OTHER_FAILED = "maxUnavailable 25%, minReadySeconds 0 (node-exporter did not complete in 2 of 3)"


def test_duration_draws_a_configuration_whose_other_daemonset_failed_half_filled_off_the_line(make_results) -> None:
    """Configuration 2 (25%, 0 s): its own DaemonSet completed every replication, node-exporter,
    updated with it, did not in 2 of 3. It was drawn on the line as a success; now it is off the
    line, half-filled at its own mean, and the legend and its label say what did not complete.
    """
    results = load_results(with_another_daemonset(make_results(), {2: 2}))
    ax = plot_duration(results)
    line = next(c for c in ax.containers if c.get_label() == "minReadySeconds 0").lines[0]
    assert int(np.isfinite(line.get_ydata()).sum()) == 1  # only 10%: the line joins completed updates
    (marker,) = half_filled(ax)
    mean = float(results.summary.set_index("config").loc[2, "duration_s_mean"])
    assert marker.get_ydata()[0] == pytest.approx(mean / 60 if "(min)" in ax.get_ylabel() else mean)
    assert "node-exporter did not complete in 2 of 3" in texts(ax).replace("\n", " ")
    assert ("its DaemonSet completed every replication, another updated with it did not: " + OTHER_FAILED
            in legend(ax).replace("\n", " "))


def test_duration_by_label_does_not_count_a_configuration_whose_other_daemonset_failed_as_completed(
        make_results) -> None:
    results = load_results(with_another_daemonset(make_results(), {2: 2}))
    results = dataclasses.replace(results, experiment={**results.experiment, "swept": []})
    ax = plot_duration(results)
    (clean,) = [c for c in ax.containers if "completed every replication" in str(c.get_label())]
    assert len(clean.lines[0].get_xdata()) == 2  # of the three whose own DaemonSet completed every time
    (marker,) = half_filled(ax)
    row = {t.get_text().replace("\n", " "): t.get_position()[1] for t in ax.get_yticklabels()}
    assert marker.get_ydata()[0] == row["maxUnavailable 25%, minReadySeconds 0"]
    mean = float(results.summary.set_index("config").loc[2, "duration_s_mean"])
    # its own mean duration is given, with what did not complete
    assert f"{format_duration(mean)}; node-exporter did not complete in 2 of 3" in [t.get_text() for t in ax.texts]
    assert OTHER_FAILED in legend(ax).replace("\n", " ")


def test_tradeoff_draws_a_configuration_whose_other_daemonset_failed_half_filled_and_on_no_front(
        make_results) -> None:
    results = load_results(with_another_daemonset(make_results(slo=[]), {2: 2}))
    s = results.summary.set_index("config")
    ax = plot_tradeoff(results)
    filled = ax.collections[0].get_offsets()
    assert len(filled) == 2 and ax.collections[0].get_label() == "completed in every replication (mean)"
    (marker,) = half_filled(ax)
    assert (marker.get_xdata()[0], marker.get_ydata()[0]) not in [tuple(p) for p in filled]
    assert marker.get_xdata()[0] == pytest.approx(s.loc[2, "unavailable_node_seconds_mean"] / 3600)
    assert all(marker.get_xdata()[0] not in [x for x, _ in f] for f in _fronts(ax))  # never ringed
    label = OTHER_FAILED.replace(" (", "\u00a0·\u00a050\u00a0at\u00a0once (")  # with its most nodes down at once
    assert label in texts(ax).replace("\n", " ")  # its label beside it
    assert OTHER_FAILED in legend(ax).replace("\n", " ")


def test_line_figures_name_a_configuration_whose_other_daemonset_failed(make_results) -> None:
    # no SLO floor: the availability legend gives each configuration's lowest level last, after what failed
    results = load_results(with_another_daemonset(one_run_completed(make_results(slo=[])), {2: 2, 0: 3, 3: 1}))
    downtime = [line.get_label().replace("\n", " ") for line in plot_downtime(results).lines]
    availability = [line.get_label().replace("\n", " ") for line in plot_availability(results).lines]
    assert OTHER_FAILED in downtime
    assert OTHER_FAILED.removesuffix(")") + "; lowest 150)" in availability
    assert "maxUnavailable 10%, minReadySeconds 0 (node-exporter did not complete in 3 of 3)" in downtime
    assert ("maxUnavailable 10%, minReadySeconds 0 (node-exporter did not complete in 3 of 3; lowest 180)"
            in availability)
    assert "maxUnavailable 10%, minReadySeconds 30" in downtime  # completed: as before
    assert "maxUnavailable 10%, minReadySeconds 30 (lowest 180)" in availability
    # its own DaemonSet did not complete every time either (1 of its 3 runs did): both are said
    assert ("maxUnavailable 25%, minReadySeconds 30 (completed 1/3; node-exporter did not complete in 1 of 3; "
            "lowest 150)" in availability)


def test_a_configuration_whose_own_daemonset_did_not_complete_stays_hollow(make_results) -> None:
    """Configuration 3's own runs did not all complete: it is a hollow marker at when they
    stopped, whether or not another DaemonSet completed; only configuration 2 is half-filled.
    """
    results = load_results(with_another_daemonset(one_run_completed(make_results()), {2: 2, 3: 1}))
    for ax in (plot_duration(results), plot_tradeoff(results)):
        (marker,) = half_filled(ax)
        assert "maxUnavailable 25%, minReadySeconds 30 (" not in legend(ax).replace("\n", " ")
    assert len(plot_tradeoff(results).collections[1].get_offsets()) == 1  # configuration 3, hollow


def test_another_daemonset_that_always_completed_changes_no_figure(make_results) -> None:
    """The other DaemonSets' columns alone change nothing: every figure is the same PNG."""
    from rollsim.present.plots import render_figures

    plain = render_figures(load_results(make_results()))
    together = render_figures(load_results(with_another_daemonset(make_results(), {})))
    assert list(together) == list(plain) and all(together[n] == plain[n] for n in plain)


def test_tradeoff_labels_say_the_most_nodes_down_at_once(fake_results) -> None:
    """Audit 39: the x axis's node-hours put maxUnavailable 1 and 25% of 1,003 nodes side by side (13.3
    and 13.8), one node down at a time against 251; each label now says how many went at once.
    """
    import pandas as pd
    from rollsim.present.report import AT_ONCE_NOTE, figure_notes
    from rollsim.present.tradeoff_plot import AT_ONCE_MOST, at_once

    results = load_results(fake_results)
    s = results.summary
    most = s["max_unavailable_observed_max"].astype(int)
    assert most.nunique() > 1  # the fixture's budgets differ
    said = texts(plot_tradeoff(results)).replace("\n", " ")
    drawn = s["completed"] > 0  # the fixture's stuck configuration completed no run: not drawn
    for label, n in zip(s["label"][drawn], most[drawn]):
        assert f"{label}\u00a0·\u00a0{n:,}\u00a0at\u00a0once" in said
    assert AT_ONCE_NOTE in figure_notes(results)["tradeoff"]
    crowded = pd.concat([s] * 3, ignore_index=True)  # past AT_ONCE_MOST configurations the labels would crowd
    assert len(crowded) > AT_ONCE_MOST and at_once(crowded) is None
    assert at_once(s.drop(columns="max_unavailable_observed_max")) is None


TWELVE = """\
name: twelve
scenario:
  cluster: {nodes: 20}
  stall_after_s: 300
  image: {size: 200MB, cached: 0, node_bandwidth: 100MB/s}
variants:
  - {name: mu1, strategy.max_unavailable: 1}
  - {name: mu5pct, strategy.max_unavailable: 5%}
  - {name: mu25pct, strategy.max_unavailable: 25%}
grid:
  faults.new_pods: ["healthy", "crashloop:0.05"]
  registry.bandwidth: ["10GB/s", "100MB/s"]
replications: 2
seed: 11
"""


def test_duration_rows_with_long_labels_keep_their_axes_and_every_label_inside(tmp_path) -> None:
    """Audit 41: twelve configurations named "mu5pct, 0.3% of new pods crash-looping, registry bandwidth
    100MB/s" squeezed the duration axes to a strip (matplotlib: "constrained_layout not applied", on the
    user's terminal), the red labels of partly completed ones ran over the row labels, and the rows
    over each other. The audit's study, on 20 nodes: most configurations complete some runs only.
    """
    import warnings

    from rollsim.present.plots import draw_figure
    from rollsim.present.summary_plots import DURATION_SIZE, duration_size
    from rollsim.sweep.experiment_file import load_experiment
    from rollsim.sweep.runner import run_experiment

    (tmp_path / "twelve.yaml").write_text(TWELVE)
    out = tmp_path / "out"
    run_experiment(load_experiment(tmp_path / "twelve.yaml"), out, executor="serial", progress=False,
                   present=lambda _: None)
    results = load_results(out)
    assert len(results.summary) == 12 and (results.summary["completed"] < 2).sum() >= 4
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing reaches the user's terminal
        fig = draw_figure(results, "duration")
        fig.draw_without_rendering()
    ax = fig.axes[0]
    assert ax.bbox.height > 0.4 * fig.bbox.height and ax.bbox.width > 0.4 * fig.bbox.width
    box = ax.bbox
    for t in ax.texts:  # each mark's label, the partly completed ones' long red ones too
        e = t.get_window_extent()
        assert box.x0 - 0.5 <= e.x0 and e.x1 <= box.x1 + 0.5, t.get_text()
    ticks = sorted((t.get_window_extent() for t in ax.get_yticklabels()), key=lambda e: e.y0)
    assert all(low.y1 <= high.y0 + 0.5 for low, high in zip(ticks, ticks[1:]))  # the rows' labels apart
    # the figure grows with the rows' labels, never below its own size
    assert duration_size(results)[1] > DURATION_SIZE[1] and duration_size(results)[0] == DURATION_SIZE[0]
    assert duration_size(results.summary.head(4).assign(label="mu1")) == DURATION_SIZE
