"""The availability figure (``plot_availability``) as a reader sees it: what its legend says of
runs that did not complete and of levels under the SLO floor, lines with the same levels, its
y ticks, and a DaemonSet that ran on no node.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from rollsim.present.plots import draw_figure, nothing_to_draw, plot_availability, render_figures
from rollsim.present.report import report_blocks
from rollsim.present.timeline_plots import completion_note
from rollsim.sweep.results import load_results

from helpers import rewritten


def labels(ax) -> list[str]:
    return [line.get_label().replace("\n", " ") for line in ax.lines]


def test_runs_are_cut_from_the_columns_in_time_order_keeping_an_instants_order() -> None:
    from rollsim.present.timeline_plots import _runs

    tl = pd.DataFrame({"config": [1, 0, 1, 0, 0], "replication": [0, 0, 0, 0, 1],
                       "time_s": [5.0, 2.0, 1.0, 2.0, 0.0], "available": [7, 3, 8, 4, 9]})
    runs = _runs(tl, tl["available"].to_numpy(dtype=float), {(1, 0): (9.0, True)})
    assert list(runs) == [0, 1]
    (t00, l00, e00), (t01, l01, e01) = runs[0]
    assert (list(t00), list(l00), e00) == ([2.0, 2.0], [3.0, 4.0], 2.0)  # both at 2 s, in the frame's order
    assert (list(t01), list(l01), e01) == ([0.0], [9.0], 0.0)
    (t10, l10, e10), = runs[1]
    assert (list(t10), list(l10), e10) == ([1.0, 5.0], [8.0, 7.0], 9.0)  # ends when its run ended


def test_completion_note_says_how_many_runs_completed() -> None:
    assert completion_note(0, 5) == "did not complete"
    assert completion_note(3, 5) == "completed 3/5"
    assert completion_note(5, 5) == ""


def test_a_configuration_that_completed_some_runs_says_how_many(make_results) -> None:
    """The legend said "did not complete" of a configuration that completed 3 of its 5 runs."""
    folder = make_results(slo=[])
    with rewritten(folder / "runs.csv") as runs:  # the stuck configuration 3 completes its first run
        runs.loc[(runs["config"] == 3) & (runs["replication"] == 0), "completed"] = True
    legend = labels(plot_availability(load_results(folder)))
    assert "maxUnavailable 25%, minReadySeconds 30 (completed 1/3; lowest 150)" in legend
    assert not any("did not complete" in t for t in legend)
    assert "maxUnavailable 25%, minReadySeconds 30 (did not complete; lowest 150)" in labels(
        plot_availability(load_results(make_results(slo=[]))))  # none of its runs completed


def _floor(limit: float) -> list[dict]:
    return [{"key": "min_available_fraction", "metric": "min_available_fraction", "bound": "min", "limit": limit,
             "statistic": "worst", "text": f"min_available_fraction ≥ {limit} (worst over replications)"}]


def test_a_configuration_one_node_under_the_floor_is_marked_and_says_its_lowest_level(make_results) -> None:
    """25% of 200 nodes leaves 150; a floor of 75.25% needs 151 (150.5 nodes, whole): one node
    under it was drawn on the floor's line, and the caption said that lines hidden under the
    floor have its levels.
    """
    results = load_results(make_results(slo=_floor(0.7525)))
    ax = plot_availability(results)
    floor = [line for line in ax.lines if line.get_label().startswith("SLO floor")]
    assert floor[0].get_label().startswith("SLO floor: 151 nodes") and floor[0].get_ydata()[0] == 151
    legend = labels(ax)
    assert "maxUnavailable 25%, minReadySeconds 0 (lowest 150 < SLO floor 151)" in legend
    assert "maxUnavailable 10%, minReadySeconds 0 (lowest 180)" in legend  # 180 at worst: above it, only its level
    marks = [line for line in ax.lines if line.get_marker() == "v"]
    assert marks and all(set(m.get_ydata()) == {150} for m in marks)  # at the level, one node under the floor
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "lowest replication just under the SLO floor" in texts  # its marker is ▼: not "▼ ▼ ..." (audit 18 C7)
    assert not any(t.startswith("▼") for t in texts)
    caption = next(b[3] for b in report_blocks(results, ["availability"]) if b[:2] == ("img", "availability"))
    assert "has the same levels" not in caption and "says so in its legend entry" in caption


def test_a_level_far_under_the_floor_is_named_but_not_marked(make_results) -> None:
    ax = plot_availability(load_results(make_results()))  # floor 160; 150 is a sixth of the axis under it
    assert "maxUnavailable 25%, minReadySeconds 0 (lowest 150 < SLO floor 160)" in labels(ax)
    assert not [line for line in ax.lines if line.get_marker() == "v"]


def test_a_line_that_crosses_the_floor_on_its_way_far_under_it_is_not_marked(make_results) -> None:
    """▼ ("just under the SLO floor") was drawn where a line that goes far under the floor crossed
    it (fluentd-1000's 25%: lowest 752 against a floor of 953); it marks only a configuration never
    further under the floor than its line can be told from the floor's."""
    folder = make_results(slo=_floor(0.9))  # 180 nodes of 200
    with rewritten(folder / "timelines.parquet") as tl:
        ramp = np.array([200, 195, 190, 185, 179, 170, 160, 150])  # 179: just under the floor on the way down
        for _, rows in tl.groupby(["config", "replication"]):
            if tl.loc[rows.index, "available"].min() < 170:  # the far ones go down through the floor
                tl.loc[rows.index, "available"] = ramp[np.minimum(np.arange(len(rows)), len(ramp) - 1)]
    ax = plot_availability(load_results(folder))
    assert any("lowest 150 < SLO floor 180" in text for text in labels(ax))
    assert not [line for line in ax.lines if line.get_marker() == "v"]


def _same_levels(configs: int) -> pd.DataFrame:
    """``configs`` configurations with the same levels in one run each: 200 nodes, 180 for 10 minutes."""
    one = pd.DataFrame({"time_s": [0.0, 1.0, 600.0, 610.0], "desired": 200, "available": [200, 180, 180, 200]})
    return pd.concat([one.assign(config=c, replication=0) for c in range(configs)], ignore_index=True)


def _pixels(fig: Figure, ax, rgb: tuple[float, ...]) -> int:
    """How many pixels inside ``ax`` have the colour ``rgb`` (0–1)."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    image = np.asarray(canvas.buffer_rgba())[..., :3].astype(int)
    box = ax.get_window_extent()
    top, bottom = image.shape[0] - int(box.y1), image.shape[0] - int(box.y0)
    inside = image[top:bottom, int(box.x0):int(box.x1)]
    return int((np.abs(inside - np.array(rgb) * 255).max(axis=-1) < 20).sum())


def test_lines_with_the_same_levels_all_show(tmp_path) -> None:
    """The line of one configuration was hidden under another's with the same levels."""
    from rollsim.present.plotdata import as_results, config_colors

    results = as_results(_same_levels(3), "timelines")
    fig = draw_figure(results, "availability")
    ax = fig.axes[0]
    medians = ax.lines[:3]
    assert [line.get_linewidth() for line in medians] == sorted((line.get_linewidth() for line in medians),
                                                                reverse=True)
    for config, color in config_colors(results).items():
        assert _pixels(fig, ax, color[:3]) > 200, config  # each colour shows inside the axes, not only in the legend


def test_a_count_of_nodes_has_no_tick_above_the_nodes_desired() -> None:
    """180 to 200 of 200 nodes had ticks every 3 nodes, the top one at 201."""
    run = pd.DataFrame({"time_s": [0.0, 60, 120, 180, 240], "desired": 200, "available": [180, 185, 190, 195, 200]})
    ax = plot_availability(run)
    low, high = ax.get_ylim()
    ticks = [t for t in ax.yaxis.get_majorticklocs() if low <= t <= high]
    assert high > 200 and len(ticks) >= 4 and max(ticks) <= 200
    assert all(float(t).is_integer() for t in ticks)


def test_a_share_axis_has_no_tick_above_100_percent() -> None:
    run = pd.DataFrame({"time_s": [0.0, 60, 120, 180, 240], "desired": [200, 200, 190, 190, 190],
                        "available": [182, 186, 180, 186, 190]})
    ax = plot_availability(run)
    low, high = ax.get_ylim()
    ticks = [t for t in ax.yaxis.get_majorticklocs() if low <= t <= high]
    assert high > 100 and len(ticks) >= 3 and max(ticks) <= 100


def test_a_daemonset_on_no_node_has_no_availability_figure(make_results, monkeypatch) -> None:
    """A DaemonSet that ran on no node got empty axes from −0.045 to 0.045, "of 0 desired"."""
    import rollsim.present.plots

    drawn = []
    monkeypatch.setattr(rollsim.present.plots, "draw_figure",  # the other figures, not drawn: faster
                        lambda _results, name: drawn.append(name) or Figure(figsize=(1, 1)).add_subplot().figure)
    folder = make_results()
    with rewritten(folder / "timelines.parquet") as tl:
        tl[["desired", "available", "unavailable", "updated"]] = 0
    (folder / "figures").mkdir()
    (folder / "figures" / "availability.png").write_bytes(b"an older drawing")
    results = load_results(folder)
    why = nothing_to_draw(results)["availability"]
    assert "no node ran the DaemonSet" in why
    ax = plot_availability(results)
    assert not ax.lines and "no node ran the DaemonSet" in ax.texts[0].get_text()
    assert list(render_figures(results)) == drawn == ["duration", "tradeoff", "downtime"]
    assert "availability.png" not in [p.name for p in rollsim.present.plots.save_figures(results)]
    assert not (folder / "figures" / "availability.png").exists()
    blocks = report_blocks(results, ["duration", "tradeoff", "downtime"])
    assert ("note", f"Not drawn: {why}.") in blocks


@pytest.mark.parametrize("desired", [1, 200])
def test_a_daemonset_on_some_node_is_drawn(desired: int) -> None:
    run = pd.DataFrame({"time_s": [0.0, 10.0], "desired": desired, "available": [0, desired]})
    assert plot_availability(run).lines


@pytest.mark.parametrize("shuffled", [False, True])
def test_desired_moving_within_a_run_is_told_from_desired_differing_between_runs(shuffled) -> None:
    from rollsim.present.timeline_plots import _moves, in_percent

    between = pd.DataFrame({"config": [0, 0, 1, 1], "replication": [0, 0, 0, 0], "time_s": [0.0, 1.0, 0.0, 1.0],
                            "desired": [10, 10, 12, 12]})
    within = between.assign(desired=[10, 10, 12, 11])
    if shuffled:  # a run's rows apart: grouped instead
        between, within = (f.iloc[[0, 2, 1, 3]] for f in (between, within))
    assert in_percent(between) and not _moves(between)
    assert _moves(within)
    assert not in_percent(between.assign(desired=7)) and not in_percent(between.iloc[:0])


def test_a_colour_means_one_line_of_the_duration_figure_in_every_figure() -> None:
    """surge-fit's orange was maxUnavailable 10% in the duration figure (one line per strategy against
    node_utilization) and a maxSurge configuration in the availability figure (audit 18): where the
    duration figure draws several lines, each configuration takes its line's colour; one line, or
    none (a row per configuration), leaves one colour per configuration."""
    from matplotlib import colormaps
    from rollsim.present.plotdata import config_colors, series_of
    from rollsim.sweep.results import Results

    summary = pd.DataFrame({"config": range(6), "label": [f"{s}, other pods requesting {u:.0%} of each node"
                                                           for s in ("surge", "unavail") for u in (0.5, 0.7, 0.75)],
                            "strategy": ["surge"] * 3 + ["unavail"] * 3, "node_utilization": [0.5, 0.7, 0.75] * 2})
    experiment = {"name": "x", "swept": ["strategy", "node_utilization"], "slo": []}
    results = Results(Path("."), experiment, {}, pd.DataFrame(), summary, None, None)
    assert series_of(summary, ["strategy", "node_utilization"]) == {0: 0, 1: 0, 2: 0, 3: 1, 4: 1, 5: 1}
    tab10 = colormaps["tab10"]
    assert config_colors(results) == {c: tab10(0 if c < 3 else 1) for c in range(6)}
    one_line = Results(Path("."), {**experiment, "swept": ["node_utilization"]}, {}, pd.DataFrame(),
                       summary.iloc[:3], None, None)
    assert len(set(config_colors(one_line).values())) == 3  # one line: colours tell configurations apart


def test_configurations_sharing_a_colour_have_their_own_dashes_in_the_downtime_figure() -> None:
    """min-ready-seconds' four maxUnavailable configurations took one colour (their duration line's)
    and the downtime CDF drew them all solid: four blue lines no legend told apart. Configurations
    that share a colour get the dash pattern of their place in the study, as in the availability figure."""
    from rollsim.present.timeline_plots import plot_downtime
    from rollsim.sweep.results import Results

    summary = pd.DataFrame({"config": range(4), "label": [f"{s}, m {m}" for s in ("a", "b") for m in (0, 10)],
                            "strategy": ["a", "a", "b", "b"], "m": [0, 10, 0, 10]})
    downtime = pd.DataFrame({"config": np.repeat(range(4), 5), "replication": 0,
                             "downtime_s": np.tile([10.0, 20, 30, 40, 50], 4) * np.repeat([1, 2, 3, 4], 5)})
    runs = pd.DataFrame({"config": range(4), "replication": 0, "end_s": 100.0, "completed": True})
    experiment = {"name": "x", "swept": ["strategy", "m"], "slo": []}
    ax = plot_downtime(Results(Path("."), experiment, {}, runs, summary, None, downtime))
    lines = [line for line in ax.lines if line.get_label().startswith(("a,", "b,"))]
    assert len(lines) == 4 and len({line.get_color() for line in lines}) == 2
    dashes = [line._unscaled_dash_pattern for line in lines]  # (offset, on-off sequence); a solid line's is None
    assert len({repr(d) for d in dashes}) == 4  # four patterns: the places 0-3 of LINE_STYLES
