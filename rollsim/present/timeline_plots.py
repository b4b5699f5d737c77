"""The figures of a study's runs over time, from its per-run tables: available nodes during the
rollout (``timelines.parquet``) and each node's downtime (``downtime.parquet``).

Each ``plot_*`` takes a ``Results`` (or just the DataFrame it draws, or a ``RunResult``:
``rollsim.present.plotdata.as_results``) and an optional Axes, draws on it and returns it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from rollsim.present.linestyles import NoTickAbove, line_style, line_widths
from rollsim.present.plotaxes import legend_below, legend_note, log_time_axis, new_axes, note
from rollsim.present.plotdata import (
    as_results,
    config_colors,
    config_labels,
    never_completed,
    not_drawn,
    others_failed,
    run_ends,
)
from rollsim.present.plotmath import bin_minimum, log_start, time_unit, wants_log, when
from rollsim.present.render import format_percent_exact
from rollsim.present.study import slo_specs
from rollsim.sweep.results import Results
from rollsim.sweep.slo import floor_nodes

__all__ = ["AVAILABILITY_SIZE", "DOWNTIME_SIZE", "availability_not_drawn", "completion_note", "in_percent",
           "plot_availability", "plot_downtime"]

AVAILABILITY_SIZE = (10.0, 5.5)  # inches
DOWNTIME_SIZE = (9.0, 5.5)
GRID_POINTS = 400
LOG_GRID_POINTS = 800  # a log axis shows late bins narrower than the rollout's batches at 400
MAX_MARKS = 20  # ▼ marks per configuration just under an SLO floor
NEAR = 0.03  # of the y axis: a level under a floor by less cannot be told from the floor's line
NO_NODES = "no node ran the DaemonSet in any run (0 desired), so there is no availability to draw"


_Run = tuple[np.ndarray, np.ndarray, float]  # times, levels, when the run ended


def _runs(tl: pd.DataFrame, level: np.ndarray, ends: dict[tuple[int, int], tuple[float, bool]]
          ) -> dict[int, list[_Run]]:
    """Per configuration, each replication's step function of ``level`` and when it ended.

    On the columns' arrays (a stable sort by configuration, replication and time, cut at each
    run's first row): the frame is not copied, which with hundreds of runs held as much memory
    as the frame itself, twice over.
    """
    config = tl["config"].to_numpy(dtype=np.int64)
    replication = tl["replication"].to_numpy(dtype=np.int64)
    times = tl["time_s"].to_numpy(dtype=float)
    if not _in_run_order(config, replication, times):  # (a sweep's table is: its runs stacked in order)
        order = np.lexsort((times, replication, config))  # stable: rows at one instant keep their order
        config, replication, times, level = config[order], replication[order], times[order], level[order]
    starts = np.flatnonzero(np.r_[True, ~_same_run(config, replication)])
    runs: dict[int, list[_Run]] = {}
    for first, stop in zip(starts, np.r_[starts[1:], len(times)]):
        c, rep, t = int(config[first]), int(replication[first]), times[first:stop]
        end = ends.get((c, rep), (t[-1], True))[0]
        runs.setdefault(c, []).append((t, level[first:stop], max(end, t[-1])))
    return runs


def _same_run(config: np.ndarray, replication: np.ndarray) -> np.ndarray:
    """For each row but the first, whether it is of the run (configuration, replication) of the row before."""
    return (config[1:] == config[:-1]) & (replication[1:] == replication[:-1])


def _in_run_order(config: np.ndarray, replication: np.ndarray, times: np.ndarray) -> bool:
    """Whether the rows are sorted by configuration, replication and time already (a stable sort
    would leave them as they are).
    """
    c0, c1, r0, r1 = config[:-1], config[1:], replication[:-1], replication[1:]
    later_run = (c1 > c0) | ((c1 == c0) & (r1 > r0))
    return bool(np.all(later_run | (_same_run(config, replication) & (times[1:] >= times[:-1]))))


def _span(runs: dict[int, list[_Run]], ends: dict[tuple[int, int], tuple[float, bool]]
          ) -> tuple[bool, float, float]:
    """Whether the time axis is logarithmic, where it starts and how far it goes (seconds).

    A run that never completed goes on to its horizon; the axis shows the span the completed runs need.
    """
    done: dict[int, list[float]] = {}
    for (config, _), (end, ok) in ends.items():
        if ok:
            done.setdefault(config, []).append(end)
    longest = max((e for es in done.values() for e in es), default=max(r[2] for rs in runs.values() for r in rs))
    shortest = min((float(np.median(es)) for es in done.values()), default=longest)
    log = wants_log(longest, shortest)
    view, start = (longest * 1.3, log_start(shortest)) if log else (longest * 1.05, 0.0)
    return log, start, view


def in_percent(timelines: pd.DataFrame) -> bool:
    """Whether the availability figure counts a percentage of the nodes desired at each moment,
    not nodes: when desired is not one count throughout (configurations of different cluster
    sizes, nodes NotReady in some replications, nodes joining, leaving or going NotReady
    during a run). A share then reads against the SLO's fraction as the verdict does: each
    moment's available nodes of the nodes desired at that moment.
    """
    desired = timelines["desired"].to_numpy()
    return bool(len(desired) and (desired != desired[0]).any())  # (nunique > 1, without its hash table)


def _moves(timelines: pd.DataFrame) -> bool:
    """Whether desired changed within some run (not only between runs or configurations): between
    two rows of one run, next to each other where each run's rows are (a sweep's table), else grouped.
    """
    config, replication = timelines["config"].to_numpy(), timelines["replication"].to_numpy()
    same_run = _same_run(config, replication)
    starts = np.flatnonzero(np.r_[True, ~same_run])
    if len(set(zip(config[starts].tolist(), replication[starts].tolist()))) < len(starts):  # a run's rows apart
        return bool((timelines.groupby(["config", "replication"])["desired"].nunique() > 1).any())
    desired = timelines["desired"].to_numpy()
    return bool((same_run & (desired[1:] != desired[:-1])).any())


def _floors(results: Results, percent: bool, desired: float) -> list[tuple[float, str]]:
    """The SLO's availability floors the figure draws, as levels on its axis with a legend label:
    a fraction of the nodes desired, or a count of nodes when the axis counts nodes (on an axis of
    nodes a floor is the whole number of nodes it needs: 95% of 1,003 is 953, not 952.85).
    """
    out = []
    for c in slo_specs(results):
        if c["metric"] == "min_available_fraction":
            floor = c["limit"] * 100 if percent else float(floor_nodes(c["limit"], int(desired)))
        elif c["metric"] == "min_available" and not percent:
            floor = float(floor_nodes(c["limit"]))
        else:
            continue
        what = f"{floor:g}%" if percent else f"{floor:,.0f} nodes"
        out.append((floor, f"SLO floor: {what} ({c['metric']} ≥ {c['limit']:g})"))
    return out


def completion_note(done: int, runs: int) -> str:
    """What the legend says of a configuration that did not complete every run: ``did not
    complete`` when none of its runs did, else how many did (``completed 3/5``); ``""`` when all did.
    """
    if done >= runs:
        return ""
    return "did not complete" if done == 0 else f"completed {done}/{runs}"


def _completion(ends: dict[tuple[int, int], tuple[float, bool]]) -> dict[int, str]:
    """Per configuration, ``completion_note`` of its runs."""
    counts: dict[int, list[int]] = {}
    for (config, _), (_, ok) in ends.items():
        counts.setdefault(config, [0, 0])[0 if ok else 1] += 1
    return {c: completion_note(done, done + short) for c, (done, short) in counts.items()}


def _shown(level: float, floor: float, percent: bool) -> str:
    """A level as the legend writes it against a floor: never rounded onto the floor."""
    return format_percent_exact(level / 100, [floor / 100]) if percent else f"{level:,.0f}"


def _lowest(runs: Sequence[_Run]) -> float:
    """The lowest level of any of ``runs`` (NaN when none has one: a share of 0 desired nodes)."""
    levels = np.concatenate([r[1] for r in runs])
    levels = levels[~np.isnan(levels)]
    return float(levels.min()) if levels.size else math.nan


def _under_floor(lowest: float, floors: Sequence[tuple[float, str]], percent: bool) -> tuple[float, str] | None:
    """The highest floor ``lowest`` is under and the legend's words for it (``lowest 952 < SLO
    floor 953``), or None when it is under none.
    """
    under = [f for f, _ in floors if lowest < f - 1e-9]
    if not under:
        return None
    floor = max(under)
    what = f"{floor:g}%" if percent else f"{floor:,.0f}"
    return floor, f"lowest {_shown(lowest, floor, percent)} < SLO floor {what}"


def _lowest_words(lowest: float, floors: Sequence[tuple[float, str]], percent: bool) -> str:
    """``lowest 1,002``: the legend's words for a configuration's lowest level, where no floor is above
    it (audit 39: maxSurge 10%'s 1,003 and maxUnavailable 1's 1,002 drew one line at the top edge);
    "" for none (a share of 0 desired nodes).
    """
    if math.isnan(lowest):
        return ""
    return f"lowest {_shown(lowest, max((f for f, _ in floors), default=lowest), percent)}"


def _mark_under(ax: Axes, marks: Sequence[tuple[np.ndarray, np.ndarray, float, Any]]) -> None:
    """▼ in a configuration's colour at the time bins where its lowest replication is under a
    floor by less than ``NEAR`` of the y axis (at most ``MAX_MARKS``, evenly over them), for a
    configuration never further under it: one node under the floor is otherwise drawn on the
    floor's line. A configuration that goes further under shows itself (its line only passes
    the floor where it crosses it, which a mark would call "just under").
    ``marks``: per configuration its time bins, lowest level per bin, the floor and its colour.
    """
    low, high = ax.get_ylim()
    for x, lowest, floor, color in marks:
        near = floor - NEAR * (high - low)
        if np.nanmin(lowest) <= near:
            continue
        at = np.flatnonzero((lowest < floor - 1e-9) & (lowest > near))
        at = at[:: max(1, math.ceil(len(at) / MAX_MARKS))]
        if len(at):
            ax.plot(x[at], lowest[at], linestyle="none", marker="v", markersize=6, color=color,
                    markeredgecolor="black", markeredgewidth=0.6, zorder=5)
    ax.set_ylim(low, high)


def availability_not_drawn(results: Results | pd.DataFrame | Any) -> str:
    """Why the availability figure has nothing to draw (``""`` when it has): a DaemonSet that ran
    on no node in any run has no availability, and its figure would be empty axes.
    """
    tl = as_results(results, "timelines").timelines
    if tl is not None and not tl.empty and float(tl["desired"].max()) <= 0:
        return NO_NODES
    return ""


def _bands(ax: Axes, runs: dict[int, list[_Run]], span: tuple[bool, float, float], div: float,
           colors: dict[int, Any]) -> list[tuple[int, np.ndarray, np.ndarray, np.ndarray]]:
    """Draw each configuration's p5–p95 band; per configuration its time bins (in ``div``), and
    per bin the median level over replications and the lowest replication's.
    """
    log, start, view = span
    out = []
    for config, rs in runs.items():
        end = max(min(max(r[2] for r in rs), view), 2 * start)
        grid = np.geomspace(start, end, LOG_GRID_POINTS) if log else np.linspace(0.0, end, GRID_POINTS)
        edges = np.r_[0.0, grid[1:]]  # on a log axis the first bin reaches back to the start of the update
        levels = np.vstack([bin_minimum(t, v, edges) for t, v, _ in rs])
        p5, p50, p95 = np.percentile(levels, [5, 50, 95], axis=0)
        ax.fill_between(grid / div, p5, p95, color=colors.get(config), alpha=0.12, linewidth=0, step="post")
        out.append((config, grid / div, p50, levels.min(axis=0)))
    return out


def plot_availability(results: Results | pd.DataFrame | Any, ax: Axes | None = None) -> Axes:
    """Nodes with an available daemon pod over time: per configuration the median over
    replications and a p5–p95 band; the SLO's availability floor as a dashed line. The levels
    are nodes, or a percentage of the nodes desired at each moment when desired is not one count
    (``in_percent``; a floor in nodes, ``min_available``, is then not drawn). Each configuration
    has its own dash pattern and the lines drawn first are wider
    (``rollsim.present.linestyles``), so that lines with the same levels all show. Each legend entry
    gives the configuration's lowest level in any replication (``lowest 1,002``: lines at the top
    edge are told apart there); one under a floor says so, and ▼ marks
    where it is under by too little to be told from the floor's line (``NEAR``). The
    legend says which configuration did not complete every run (``completion_note``), and in
    which another DaemonSet updated with it (``also``) did not.

    When the longest completed run lasts more than ten times the fastest configuration's
    median, the time axis is logarithmic from about 1 s: on a linear one every rollout but
    the slowest would be squashed against the start.
    """
    results = as_results(results, "timelines")
    ax = new_axes(ax, AVAILABILITY_SIZE)
    tl = results.timelines
    if tl is None or tl.empty:
        return note(ax, "no timelines in this results folder (timelines.parquet)")
    if availability_not_drawn(results):
        return note(ax, NO_NODES)
    ends, colors, labels = run_ends(results), config_colors(results), config_labels(results)
    percent = in_percent(tl)
    level = tl["available"].to_numpy(dtype=float, copy=True)  # a share of desired, computed in place
    if percent:
        desired_now = tl["desired"].to_numpy()
        np.divide(level, desired_now, out=level, where=desired_now > 0)
        level[desired_now <= 0] = np.nan  # 0 desired: no share
        level *= 100
    runs = _runs(tl, level, ends)
    log, start, view = _span(runs, ends)
    div, unit = (1.0, "log scale") if log else time_unit(view)
    desired = float(tl["desired"].max())  # (one count, unless percent)
    floors, completion, others = _floors(results, percent, desired), _completion(ends), others_failed(results)
    medians, marks = _bands(ax, runs, (log, start, view), div, colors), []
    for i, ((config, x, p50, lowest), width) in enumerate(zip(medians, line_widths(len(medians)))):
        lowest_level = _lowest(runs[config])
        under = _under_floor(lowest_level, floors, percent)
        why = [t for t in (completion.get(config, ""), others.get(config, ""),
                           under[1] if under else _lowest_words(lowest_level, floors, percent)) if t]
        ax.plot(x, p50, color=colors.get(config), label=labels.get(config, str(config)) + (
            f" ({'; '.join(why)})" if why else ""), drawstyle="steps-post", linewidth=width,
            linestyle=line_style(i, width), zorder=3)
        if under:
            marks.append((x, lowest, under[0], colors.get(config)))
    for floor, label in floors:
        ax.axhline(floor, color="black", linestyle="--", linewidth=1.2, zorder=4, label=label)
    _mark_under(ax, marks)
    if log:
        log_time_axis(ax, "x")
    ax.set_xlim(start, view / div)
    ax.set_xlabel(f"time since the update started ({unit})")
    ax.set_ylabel(("% of desired nodes with an available pod" + (" (desired at each moment)" if _moves(tl) else ""))
                  if percent else f"nodes with an available pod (of {desired:,.0f} desired)")
    # nodes come whole (no tick at 187.5), and no tick above what is desired (201 of 200)
    ax.yaxis.set_major_locator(NoTickAbove(100.0 if percent else desired, integer=not percent))
    ax.set_title("Available nodes during the rollout\n(lowest level per time bin: median of replications, band p5–p95)")
    ax.grid(True, alpha=0.3)
    marked = any(line.get_marker() == "v" for line in ax.lines)
    legend_below(ax, "configuration", extra=[legend_note(
        "lowest replication just under the SLO floor", linestyle="none", marker="v", color="0.6",
        markeredgecolor="black")] if marked else [])
    return ax


def plot_downtime(results: Results | pd.DataFrame | Any, ax: Axes | None = None) -> Axes:
    """Per-node downtime (how long each node went without an available daemon pod), pooled
    over replications: one empirical CDF per configuration, over its runs that completed (those of
    the table's downtime; all of them when every run did). A configuration none of whose runs
    completed is not drawn (its nodes' downtime stops where its runs did: a rollout that never
    started would be a line at 0, "never down"); the legend names it, and says in which
    configuration another DaemonSet updated with it (``also``) did not complete.
    """
    results = as_results(results, "downtime")
    ax = new_axes(ax, DOWNTIME_SIZE)
    d = results.downtime
    if d is None or d.empty:
        return note(ax, "no per-node downtimes in this results folder (downtime.parquet)")
    colors, labels = config_colors(results), config_labels(results)
    never, others = never_completed(results), others_failed(results)
    d = d[~d["config"].astype(int).isin(never)]
    ends, before = run_ends(results), len(d)  # as the table's ``*``: the runs that were cut are not pooled
    d = d[[ends.get((int(c), int(r)), (0.0, True))[1] for c, r in zip(d["config"], d["replication"])]] \
        if "replication" in d else d
    pooled = "completed replications pooled" if len(d) < before else "all replications pooled"
    extra = [legend_note(not_drawn(results, never))] if never else []
    if d.empty:
        legend_below(ax, "configuration", extra=extra)
        return note(ax, "no configuration completed a run: no downtime to compare")
    values = d["downtime_s"].to_numpy(dtype=float)
    # a few stuck nodes would squeeze everyone else into one corner: then a log axis, and a
    # symlog one when some nodes were never down (maxSurge), linear below the least downtime
    positive = values[values > 0]
    log = positive.size > 0 and values.max() > 20 * max(float(np.median(values)), 1e-9)
    zero_below = None if not log or values.min() > 0 else 10.0 ** math.floor(math.log10(positive.min()))
    div, unit = (1.0, "log scale") if log else time_unit(float(np.percentile(values, 90)))
    # configurations that share a colour (the duration figure's line: config_colors) get the dash
    # pattern of their place in the study, as in the availability figure
    shared = len({str(colors.get(int(c))) for c in d["config"].unique()}) < d["config"].nunique()
    place = {int(c): i for i, c in enumerate(results.summary["config"])}
    for key, g in d.groupby("config", sort=True):
        config = cast(int, key)  # pandas-stubs type a group key as any Scalar
        x = np.sort(g["downtime_s"].to_numpy(dtype=float)) / div
        y = np.arange(1, len(x) + 1) / len(x)
        ax.plot(np.r_[x[0], x], np.r_[0.0, y], drawstyle="steps-post", color=colors.get(config),
                label=labels.get(int(config), str(config)) + (f" ({others[int(config)]})" if int(config) in others
                                                               else ""), linewidth=1.8,
                linestyle=line_style(place.get(int(config), 0), 1.8) if shared else "solid")
    for c in slo_specs(results):
        if c["metric"].startswith("node_downtime_") and c["bound"] == "max":
            ax.axvline(c["limit"] / div, color="black", linestyle="--",
                       label=f"SLO: {c['metric']} ≤ {when(c['limit'], div, unit, log)}")
    if log:
        log_time_axis(ax, "x", zero_below)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(f"time a node went without an available pod ({unit})")
    ax.set_ylabel("fraction of nodes with at most this downtime")
    ax.set_title(f"Per-node downtime (empirical CDF, {pooled})")
    ax.grid(True, alpha=0.3, which="both")
    legend_below(ax, "configuration", extra=extra)
    return ax

