"""The figures of a study's runs over time, from its per-run tables: available nodes during the
rollout (``timelines.parquet``) and each node's downtime (``downtime.parquet``).

Each ``plot_*`` takes a ``Results`` (or just the DataFrame it draws, or a ``RunResult``:
``rollsim.present.plotdata.as_results``) and an optional Axes, draws on it and returns it.
"""

from __future__ import annotations

import math
from typing import Any, cast

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

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
from rollsim.present.study import slo_specs
from rollsim.sweep.results import Results

__all__ = ["AVAILABILITY_SIZE", "DOWNTIME_SIZE", "in_percent", "plot_availability", "plot_downtime"]

AVAILABILITY_SIZE = (10.0, 5.5)  # inches
DOWNTIME_SIZE = (9.0, 5.5)
GRID_POINTS = 400
LOG_GRID_POINTS = 800  # a log axis shows late bins narrower than the rollout's batches at 400


_Run = tuple[np.ndarray, np.ndarray, float]  # times, levels, when the run ended


def _runs(tl: pd.DataFrame, level: pd.Series, ends: dict[tuple[int, int], tuple[float, bool]]
          ) -> dict[int, list[_Run]]:
    """Per configuration, each replication's step function of ``level`` and when it ended."""
    runs: dict[int, list[_Run]] = {}
    for key, run in tl.assign(level=level).sort_values("time_s", kind="stable").groupby(
            ["config", "replication"]):
        config, rep = cast(tuple[int, int], key)  # pandas-stubs type a group key as Hashable
        t = run["time_s"].to_numpy(dtype=float)
        end = ends.get((int(config), int(rep)), (t[-1], True))[0]
        runs.setdefault(int(config), []).append((t, run["level"].to_numpy(dtype=float), max(end, t[-1])))
    return runs


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
    return bool(timelines["desired"].nunique() > 1)


def _moves(timelines: pd.DataFrame) -> bool:
    """Whether desired changed within some run (not only between runs or configurations)."""
    return bool((timelines.groupby(["config", "replication"])["desired"].nunique() > 1).any())


def _slo_floors(ax: Axes, results: Results, percent: bool, desired: float) -> None:
    """The SLO's availability floors as dashed lines (a floor in nodes only when the axis counts nodes)."""
    for c in slo_specs(results):
        if c["metric"] == "min_available_fraction":
            floor = c["limit"] * (100 if percent else desired)
        elif c["metric"] == "min_available" and not percent:
            floor = c["limit"]
        else:
            continue
        what = f"{floor:g}%" if percent else f"{floor:,.0f} nodes"
        ax.axhline(floor, color="black", linestyle="--", linewidth=1.2, zorder=4,
                   label=f"SLO floor: {what} ({c['metric']} ≥ {c['limit']:g})")


def plot_availability(results: Results | pd.DataFrame | Any, ax: Axes | None = None) -> Axes:
    """Nodes with an available daemon pod over time: per configuration the median over
    replications and a p5–p95 band; the SLO's availability floor as a dashed line. The levels
    are nodes, or a percentage of the nodes desired at each moment when desired is not one count
    (``in_percent``; a floor in nodes, ``min_available``, is then not drawn). The legend says
    which configuration did not complete, and in which another DaemonSet updated with it
    (``also``) did not.

    When the longest completed run lasts more than ten times the fastest configuration's
    median, the time axis is logarithmic from about 1 s: on a linear one every rollout but
    the slowest would be squashed against the start.
    """
    results = as_results(results, "timelines")
    ax = new_axes(ax, AVAILABILITY_SIZE)
    tl = results.timelines
    if tl is None or tl.empty:
        return note(ax, "no timelines in this results folder (timelines.parquet)")
    ends, colors, labels = run_ends(results), config_colors(results), config_labels(results)
    percent = in_percent(tl)
    level = tl["available"] / tl["desired"].where(tl["desired"] > 0) * 100 if percent else tl["available"]
    runs = _runs(tl, level, ends)
    log, start, view = _span(runs, ends)
    div, unit = (1.0, "log scale") if log else time_unit(view)
    incomplete = {c for (c, _), (_, ok) in ends.items() if not ok}
    others = others_failed(results)
    medians = []
    for config, rs in runs.items():
        end = max(min(max(r[2] for r in rs), view), 2 * start)
        grid = np.geomspace(start, end, LOG_GRID_POINTS) if log else np.linspace(0.0, end, GRID_POINTS)
        edges = np.r_[0.0, grid[1:]]  # on a log axis the first bin reaches back to the start of the update
        levels = np.vstack([bin_minimum(t, v, edges) for t, v, _ in rs])
        p5, p50, p95 = np.percentile(levels, [5, 50, 95], axis=0)
        why = [text for text, yes in (("did not complete", config in incomplete),
                                      (others.get(config, ""), config in others)) if yes]
        label = labels.get(config, str(config)) + (f" ({'; '.join(why)})" if why else "")
        ax.fill_between(grid / div, p5, p95, color=colors.get(config), alpha=0.12, linewidth=0, step="post")
        medians.append((grid / div, p50, config, label))
    for x, p50, config, label in medians:  # every median above every band
        ax.plot(x, p50, color=colors.get(config), label=label, drawstyle="steps-post", linewidth=1.5, zorder=3)
    desired = float(tl["desired"].max())  # (one count, unless percent)
    _slo_floors(ax, results, percent, desired)
    if log:
        log_time_axis(ax, "x")
    ax.set_xlim(start, view / div)
    ax.set_xlabel(f"time since the update started ({unit})")
    ax.set_ylabel(("% of desired nodes with an available pod" + (" (desired at each moment)" if _moves(tl) else ""))
                  if percent else f"nodes with an available pod (of {desired:,.0f} desired)")
    if not percent:
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # nodes come whole: no tick at 187.5
    ax.set_title("Available nodes during the rollout\n(lowest level per time bin: median of replications, band p5–p95)")
    ax.grid(True, alpha=0.3)
    legend_below(ax, "configuration")
    return ax


def plot_downtime(results: Results | pd.DataFrame | Any, ax: Axes | None = None) -> Axes:
    """Per-node downtime (how long each node went without an available daemon pod), pooled
    over replications: one empirical CDF per configuration. A configuration none of whose runs
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
    for key, g in d.groupby("config", sort=True):
        config = cast(int, key)  # pandas-stubs type a group key as any Scalar
        x = np.sort(g["downtime_s"].to_numpy(dtype=float)) / div
        y = np.arange(1, len(x) + 1) / len(x)
        ax.plot(np.r_[x[0], x], np.r_[0.0, y], drawstyle="steps-post", color=colors.get(config),
                label=labels.get(int(config), str(config)) + (f" ({others[int(config)]})" if int(config) in others
                                                               else ""), linewidth=1.8)
    for c in slo_specs(results):
        if c["metric"].startswith("node_downtime_") and c["bound"] == "max":
            ax.axvline(c["limit"] / div, color="black", linestyle="--",
                       label=f"SLO: {c['metric']} ≤ {when(c['limit'], div, unit, log)}")
    if log:
        log_time_axis(ax, "x", zero_below)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(f"time a node went without an available pod ({unit})")
    ax.set_ylabel("fraction of nodes with at most this downtime")
    ax.set_title("Per-node downtime (empirical CDF, all replications pooled)")
    ax.grid(True, alpha=0.3, which="both")
    legend_below(ax, "configuration", extra=extra)
    return ax

