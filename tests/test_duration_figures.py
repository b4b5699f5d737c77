"""The duration and speed-against-disruption figures show what the results table shows: the
population and statistic of its cells, each mark labelled with what it is, and no mark where a
reader would read a value that is not one.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from rollsim.present.plotmath import axis_keys
from rollsim.present.plots import empty_figures, plot_duration, plot_tradeoff, render_figures, save_figures
from rollsim.present.render import render_markdown
from rollsim.present.report import report_blocks
from rollsim.present.tradeoff_plot import point_names
from rollsim.sweep.results import load_results

from helpers import rewritten

NAN = math.nan


def _texts(ax) -> str:
    return "\n".join(t.get_text() for t in ax.texts)


def _legend(ax) -> str:
    return " ".join(t.get_text() for t in ax.get_legend().get_texts()).replace("\n", " ")


def _partly_completed(folder):
    """Configuration 3 (stuck in every run of the fixture) with replication 0 completed in 15 min:
    the table gives it 15m00s* (over that run), its other two runs stopped after an hour.
    """
    with rewritten(folder / "runs.csv") as runs:
        first = (runs["config"] == 3) & (runs["replication"] == 0)
        runs.loc[first, ["completed", "end_s"]] = [True, 900.0]
    with rewritten(folder / "summary.csv") as summary:
        summary.loc[summary["config"] == 3, ["completed", "duration_s_mean"]] = [1, 900.0]
    return folder


def _by_label(results):
    return dataclasses.replace(results, experiment={**results.experiment, "swept": []})


def test_a_partly_completed_configuration_is_drawn_at_its_completed_runs_mean_and_where_the_others_stopped(
        fake_results) -> None:
    """It was one hollow marker at when the runs that did not complete stopped (1 h), with the
    table's 15m00s* nowhere: now a star at the completed runs' mean and a hollow marker at the
    others' stop, both named by one label.
    """
    results = load_results(_partly_completed(fake_results))
    for ax in (plot_duration(results), plot_duration(_by_label(results))):
        label = "1/3 completed: mean 15m00s*; 2 stopped at 1h00m00s (mean)"
        assert label in _texts(ax).replace("\n", " ")
        stars = [c.lines[0] for c in ax.containers if c.lines[0].get_marker() == "*"]
        assert len(stars) == 1
        star = stars[0]
        value = star.get_ydata()[0] if ax.get_title().startswith("Rollout duration against") else star.get_xdata()[0]
        assert value * (1 if ax.get_xscale() == "log" or ax.get_yscale() == "log" else 60) == pytest.approx(900.0)
        assert "mean of the runs that completed, where not all did (the table's *)" in _legend(ax)
        assert "when the runs that did not complete stopped (mean)" in _legend(ax)


def test_the_tradeoff_places_a_partly_completed_configuration_at_the_tables_duration(fake_results) -> None:
    ax = plot_tradeoff(load_results(_partly_completed(fake_results)))
    (hollow,) = [c for c in ax.collections if len(c.get_facecolors()) and (c.get_facecolors()[0] == 1).all()]
    assert hollow.get_offsets()[0][1] == pytest.approx(15.0)  # 15m00s*, not the 1 h its other runs stopped at
    assert "\u00a0·\u00a050\u00a0at\u00a0once (1/3 completed)" in _texts(ax).replace("\n", " ")  # 50 down at most


def test_named_variants_of_plain_numbers_are_one_row_each(make_results) -> None:
    """``maxUnavailable: 1`` and ``2`` named variants were drawn against maxUnavailable, their
    names lost to a line called "mean duration".
    """
    labels = ["one a", "one b", "two a", "two b"]
    results = load_results(make_results(values=(1, 2), labels=labels))
    ax = plot_duration(results)
    assert ax.get_title() == "Rollout duration by configuration"
    assert sorted(t.get_text() for t in ax.get_yticklabels()) == sorted(labels)


def test_axis_keys_are_the_grids_or_the_only_key() -> None:
    grid = pd.DataFrame({"label": ["mu 1, minReadySeconds 0", "mu 1, minReadySeconds 30", "surge 1, minReady"
                                   "Seconds 0"], "strategy.max_unavailable": [1, 1, 0],
                         "strategy.min_ready_seconds": [0, 30, 0]})
    keys = ["strategy.max_unavailable", "strategy.min_ready_seconds"]
    assert axis_keys(grid, keys) == ["strategy.min_ready_seconds"]
    named = pd.DataFrame({"label": ["mu 1", "surge 10%"], "strategy.max_unavailable": [1, 0],
                          "strategy.max_surge": [NAN, "10%"]})
    assert axis_keys(named, ["strategy.max_unavailable", "strategy.max_surge"]) == []
    assert axis_keys(named, ["strategy.max_unavailable"]) == ["strategy.max_unavailable"]  # differ in it alone
    unnamed = pd.DataFrame({"label": ["maxUnavailable 1", "maxUnavailable 10%"], "strategy.max_unavailable":
                            [1, "10%"]})
    assert axis_keys(unnamed, ["strategy.max_unavailable"]) == ["strategy.max_unavailable"]


def test_no_completed_run_is_placed_at_no_time(make_results) -> None:
    """Deadlocked configurations were drawn at "stopped at 30m00s" (stall_after_s), below a
    slower one that completed: "14 NotReady is faster than 13".
    """
    results = load_results(make_results())
    ax = plot_duration(results)
    top_edge = [line for line in ax.lines if line.get_marker() == "^"]
    assert len(top_edge) == 1 and top_edge[0].get_ydata()[0] == pytest.approx(0.95)  # axes fraction, no time
    ax = plot_duration(_by_label(results))
    assert "no run completed (0/3): no duration" in _texts(ax)
    # no hollow marker at all: the one that completed no run is not placed at when its runs stopped
    assert not [line for line in ax.lines if line.get_markerfacecolor() == "white"]


def test_the_slo_line_names_the_statistic_it_judges_and_crosses_mark_it(make_results) -> None:
    slo = [{"key": "max_duration_s", "metric": "duration_s", "bound": "max", "limit": 600.0, "statistic": "p95",
            "text": "duration_s ≤ 600 (p95 over replications)"}]
    results = load_results(make_results(slo=slo))
    ax = plot_duration(_by_label(results))
    assert "SLO: p95 duration ≤ 10 min" in _legend(ax)
    assert "p95 duration: what the SLO judges" in _legend(ax)
    (crosses,) = [line for line in ax.lines if line.get_marker() == "x"]
    judged = results.summary["slo_max_duration_s"].astype(float)
    assert sorted(crosses.get_xdata()[np.isfinite(crosses.get_xdata())] * 60) == pytest.approx(
        sorted(judged[np.isfinite(judged)]))


def test_value_labels_are_boxed_so_the_slo_line_does_not_strike_them(fake_results) -> None:
    ax = plot_duration(_by_label(load_results(fake_results)))
    boxed = [t for t in ax.texts if t.get_bbox_patch() is not None]
    assert len(boxed) == 3  # the three means


def test_an_interval_below_zero_has_its_upper_whisker_alone(make_results) -> None:
    """A t interval of a few runs reaching below 0 ran to the log axis' edge (or was drawn from 0), as
    if that were a bound (audit 18): it has no lower whisker, and the caption and table say why."""
    folder = make_results(values=(1, "10%"))  # ~1.5 h and ~4 min: a log axis
    with rewritten(folder / "summary.csv") as summary:
        summary.loc[summary["config"] == 2, "duration_s_ci_low"] = -60.0
    results = load_results(folder)
    ax = plot_duration(results)
    assert ax.get_xscale() == "log"
    errs = [c for c in ax.containers if len(c.lines[0].get_xdata()) == 3][0]
    means = dict(zip(errs.lines[0].get_ydata(), errs.lines[0].get_xdata()))
    segments = {float(seg[0, 1]): (float(seg[:, 0].min()), float(seg[:, 0].max()))
                for seg in errs.lines[2][0].get_segments()}
    low_ends = [lo for y, (lo, _) in segments.items() if lo == pytest.approx(means[y])]
    assert len(low_ends) == 1 and low_ends[0] > ax.get_xlim()[0]  # one whisker starts at its mean
    text = render_markdown(report_blocks(results, ["duration"]))
    assert "has its upper whisker alone" in text and "edge of the logarithmic axis" not in text


def test_the_tradeoff_marks_slo_failures(fake_results) -> None:
    results = load_results(fake_results)
    ax = plot_tradeoff(results)
    (crosses,) = [line for line in ax.lines if line.get_marker() == "x"]
    drawn = results.summary["duration_s_mean"].notna()
    failed = (~results.summary["slo_ok"].astype(bool) & drawn).sum()
    assert len(crosses.get_xdata()) == failed > 0
    assert "fails the SLO (the table's ✗)" in _legend(ax)
    # in no configuration's colour: a red cross vanished on the fourth configuration's red point (C3)
    colors = {to_hex(line.get_color()) for line in ax.lines if line.get_marker() not in ("x", "None", None)}
    assert to_hex(crosses.get_color()) not in colors | {to_hex(f"C{i}") for i in range(20)}


def test_no_legend_entry_for_a_mean_that_is_not_drawn(tmp_path) -> None:
    """No configuration completed every replication (every new pod crash-loops): the legend listed
    "mean with 95% CI (completed every replication)" beside no such marker.
    """
    from rollsim.cli import main

    experiment = tmp_path / "e.yaml"
    experiment.write_text("name: stuck\nscenario: {cluster: {nodes: 6}, faults: {new_pods: crashloop}, "
                          "stall_after_s: 120}\ngrid: {strategy.max_unavailable: [1, 3]}\nreplications: 2\n",
                          encoding="utf-8")
    assert main(["run", str(experiment), "--out", str(tmp_path / "out"), "--workers", "1", "-q"]) == 0
    ax = plot_duration(load_results(tmp_path / "out"))
    assert ax.get_title().startswith("Rollout duration against")  # one line, which names no group
    assert "no run completed" in _legend(ax) and "completed every replication" not in _legend(ax)


def test_many_points_are_labelled_as_the_report_spells_their_settings() -> None:
    """Audit (what a reader sees) 2: past ten points the speed-against-disruption figure labelled a
    point by its values alone, "identical pipeline, 1" for the table's "identical pipeline,
    maxUnavailable 1" (field-openshift-854's twelve). Every point now reads as its row of the table,
    and no legend note is needed to decode it."""
    from rollsim.present.tradeoff_plot import plot_tradeoff

    labels = [f"{v}, maxUnavailable {m}" for v in ("identical pipeline", "stragglers", "watch delays",
                                                   "1 GB image", "ten DaemonSets", "both") for m in (1, "10%")]
    summary = pd.DataFrame({"config": range(12), "label": labels,
                            "strategy.max_unavailable": [1, "10%"] * 6,
                            "duration_s_mean": [600.0 + 60 * i for i in range(12)],
                            "unavailable_node_seconds_mean": [3600.0 * (1 + i % 5) for i in range(12)],
                            "completed": 3, "runs": 3})
    assert point_names(summary) == labels
    ax = plot_tradeoff(summary)
    texts = {t.get_text().replace("\n", " ") for t in ax.texts}  # a long label is wrapped
    assert "identical pipeline, maxUnavailable 1" in texts and "identical pipeline, 1" not in texts
    legend = ax.get_legend() or ax.get_figure().legends[0]
    assert not any("labelled by value" in t.get_text() for t in legend.get_texts())


def test_figures_with_nothing_to_draw_are_a_line_in_the_report(make_results) -> None:
    folder = make_results()
    with rewritten(folder / "runs.csv") as runs:
        runs["completed"] = False
    with rewritten(folder / "summary.csv") as summary:
        summary["completed"] = 0
        summary["duration_s_mean"] = NAN
    results = load_results(folder)
    assert set(empty_figures(results)) == {"duration", "tradeoff", "downtime"}
    assert list(render_figures(results)) == ["availability"]
    text = render_markdown(report_blocks(results, ["availability"]))
    assert text.count("Not drawn: no configuration completed a run") == 3
    assert "Each point is a configuration" not in text
    assert empty_figures(load_results(make_results())) == {}
    (folder / "figures").mkdir()
    (folder / "figures" / "tradeoff.png").write_bytes(b"an old empty box")
    assert [p.name for p in save_figures(results)] == ["availability.png"]
    assert not (folder / "figures" / "tradeoff.png").exists()


def test_the_captions_say_what_the_marks_are(make_results) -> None:
    slo = [{"key": "max_duration_s", "metric": "duration_s", "bound": "max", "limit": 600.0, "statistic": "p95",
            "text": "duration_s ≤ 600 (p95 over replications)"}]
    folder = _partly_completed(make_results(slo=slo))
    text = render_markdown(report_blocks(load_results(folder), ["duration", "tradeoff"]))
    assert "a star is the mean of the runs that did (the table's *)" in text
    assert "The SLO judges the p95 duration, not the mean: crosses mark it" in text
    assert "A hollow marker did not complete every replication: it is at the mean duration of the runs" in text
    assert "A black cross marks a configuration that fails the SLO" in text
    plain = render_markdown(report_blocks(load_results(make_results(slo=[])), ["duration", "tradeoff"]))
    assert "a star" not in plain and "crosses mark it" not in plain and "black cross" not in plain
    assert "A configuration none of whose runs completed has no duration" in plain  # configuration 3
