"""The speed-against-disruption figure of a study's summary (``summary.csv``): mean duration
against mean unavailable node-hours per configuration, with the study's Pareto fronts.

``plot_tradeoff`` takes a ``Results`` (or just the summary frame it draws:
``rollsim.present.plotdata.as_results``) and an optional Axes, draws on it and returns it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from rollsim.present.durations import slo_statistic, statistic_name
from rollsim.present.plotaxes import legend_below, legend_note, new_axes, slo_line, time_limits
from rollsim.present.plotdata import (
    HALF_FILLED,
    as_results,
    config_colors,
    half_filled,
    half_filled_note,
    never_completed,
    not_drawn,
    stops,
)
from rollsim.present.plotlabels import label_points, merge_coincident
from rollsim.present.plotmath import short_number, time_unit, wants_log, when
from rollsim.present.study import pareto_fronts, slo_specs
from rollsim.sweep.results import Results
from rollsim.sweep.wholeupdate import completed_flags

__all__ = ["AT_ONCE_MOST", "TRADEOFF_SIZE", "at_once", "plot_tradeoff"]

TRADEOFF_SIZE = (9.0, 6.0)  # inches
MANY = 10  # past this many points, labels alternate sides (label_points)
AT_ONCE_MOST = 8  # up to this many configurations, each label says how many nodes were unavailable at once
# black: no configuration's colour (C3, the red it was, is the fourth configuration's, on which it vanished)
_FAILED: dict[str, Any] = {"marker": "x", "markersize": 7, "markeredgewidth": 1.8, "color": "black",
                           "linestyle": "none", "zorder": 4}


def completed_node_seconds(results: Results, s: pd.DataFrame, partial: np.ndarray) -> np.ndarray:
    """Each configuration's mean unavailable node-seconds as the results table gives it: over every
    run, and for one whose runs did not all complete (``partial``) over the completed runs
    (``unavailable_node_seconds_completed_mean``, the table's ``*``; computed from ``runs.csv`` for a
    summary written before that column, as ``report_tables._statistic`` does).
    """
    loss = s["unavailable_node_seconds_mean"].astype(float).to_numpy()
    done = s["unavailable_node_seconds_completed_mean"].to_numpy(dtype=float, copy=True) \
        if "unavailable_node_seconds_completed_mean" in s else np.full(len(s), math.nan)
    runs = results.runs
    for i in np.flatnonzero(partial):
        if not math.isfinite(done[i]) and {"config", "completed", "unavailable_node_seconds"} <= set(runs.columns):
            ran = completed_flags(runs)
            mine = runs[(runs["config"] == s["config"][i]) & ran]
            done[i] = float(pd.to_numeric(mine["unavailable_node_seconds"], errors="coerce").mean())
    return np.where(partial, done, loss)


def plot_tradeoff(results: Results | pd.DataFrame | Any, ax: Axes | None = None) -> Axes:
    """Speed against disruption: mean duration against mean unavailable node-hours per
    configuration, the study's Pareto fronts (``pareto_fronts``: among those that completed in
    every replication, within each condition, none when the study varies no decision) and the
    SLO limits; a black cross marks each configuration that fails the SLO. A configuration whose
    runs did not all complete is a hollow marker at the mean duration of those that did (the
    table's ``*``) and the mean node-hours of those runs too (``completed_node_seconds``); one
    none of whose runs completed is not drawn (it would read as the best: a rollout that never
    started loses nothing) and the legend names it. One whose DaemonSet completed
    every replication while another updated with it (``also``) did not is half-filled, on no
    front, and the legend and its label say what did not complete. The duration axis is
    logarithmic when the times differ more than tenfold.
    """
    results = as_results(results, "summary")
    ax = new_axes(ax, TRADEOFF_SIZE)
    s = results.summary.reset_index(drop=True)
    reached = stops(results)
    partial = np.array([int(c) in reached for c in s["config"]])
    dur = s["duration_s_mean"].astype(float).to_numpy()  # as the table: over the runs that completed (its *)
    loss = completed_node_seconds(results, s, partial)
    # a configuration that never completed lost only what it lost until it stopped (nothing, for
    # one that never started): drawn, it would look the best at the lower left
    never = never_completed(results)
    shown = np.isfinite(dur) & np.isfinite(loss) & ~s["config"].astype(int).isin(never).to_numpy()
    others = half_filled(results)
    other = shown & s["config"].astype(int).isin(list(others)).to_numpy()
    ok = shown & ~partial & ~other
    limits = {c["metric"]: c["limit"] for c in slo_specs(results) if c["bound"] == "max"}
    positive = shown & (dur > 0)
    log = bool(positive.any()) and wants_log(float(dur[positive].max()), float(dur[positive].min()))
    tdiv, tunit = (1.0, "log scale") if log else time_unit(float(dur[shown].max()) if shown.any() else 0.0)
    ndiv, nunit = 3600.0, "node-hours"  # as the results table counts them
    colors = config_colors(results)
    if ok.any():
        ax.scatter(loss[ok] / ndiv, dur[ok] / tdiv, s=70, c=[colors[c] for c in s["config"][ok]], zorder=3,
                   edgecolors="black", linewidths=0.5, label="completed in every replication (mean)")
    if (shown & partial).any():
        ax.scatter(loss[shown & partial] / ndiv, dur[shown & partial] / tdiv, s=70, facecolors="white", zorder=3,
                   edgecolors=[colors[c] for c in s["config"][shown & partial]], linewidths=1.5)
    for i in np.flatnonzero(other):  # one marker each: a half-filled marker takes one colour
        color = colors[s["config"][i]]
        ax.plot([loss[i] / ndiv], [dur[i] / tdiv], color=color, markerfacecolor=color, markersize=9, zorder=3,
                **HALF_FILLED)
    fronts = pareto_fronts(results)
    for n, front in enumerate(fronts.values()):  # one per condition: never joined across conditions
        ax.plot(loss[front] / ndiv, dur[front] / tdiv, color="0.3", linestyle=":", marker="o", markersize=15,
                markerfacecolor="none", zorder=2,
                label=None if n else "Pareto front" + (" within each condition" if list(fronts) != [""] else ""))
    xmax, ymax = (float(loss[shown].max()) / ndiv, float(dur[shown].max()) / tdiv) if shown.any() else (1.0, 1.0)
    notes: list[Line2D] = []
    if other.any():
        notes.append(half_filled_note(results, others))
    if (shown & partial).any():
        notes.append(Line2D([], [], marker="o", markersize=8, markerfacecolor="white", markeredgecolor="0.3",
                            markeredgewidth=1.5, linestyle="none",
                            label="did not always complete: mean of the runs that completed (the table's *)"))
    notes += _slo_failures(ax, s, shown, loss / ndiv, dur / tdiv)
    if never and not shown.any():  # an empty plot must say why it is empty
        ax.text(0.5, 0.5, "no configuration completed a run: none is placed", transform=ax.transAxes, ha="center",
                va="center", color="0.4")
    if never:
        notes.append(legend_note(not_drawn(results, never)))
    if "duration_s" in limits:
        drawn = slo_line(ax, limits["duration_s"] / tdiv, ymax,
                          f"SLO: {statistic_name(slo_statistic(results)[1])}duration ≤ "
                          f"{when(limits['duration_s'], tdiv, tunit, log)} (judged per configuration: ✗ fails)")
        ymax = ymax if drawn else max(ymax, limits["duration_s"] / tdiv)
        notes += drawn
    if "unavailable_node_seconds" in limits:
        notes += slo_line(ax, limits["unavailable_node_seconds"] / ndiv, xmax,
                  f"SLO: unavailable ≤ {short_number(limits['unavailable_node_seconds'] / ndiv)} {nunit}", True, "-.")
    right = max(ax.get_xlim()[1], xmax * 1.25, 0.1)
    ax.set_xlim(-0.04 * right, right)  # a little room left of 0: surge can mean no unavailable node at all
    ymin = float(dur[positive].min()) / tdiv if positive.any() else 1.0
    time_limits(ax, "y", log, min(ymin, ymax), ymax, room=1.2)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if abs(v) >= 100 else f"{v:g}"))
    ax.set_xlabel(f"unavailable {nunit} (mean over replications)")
    ax.set_ylabel(f"rollout duration ({tunit}, mean over replications)" if not log else
                  "rollout duration (mean over replications, log scale)")
    ax.set_title("Speed against disruption (lower left is better)")
    ax.grid(True, alpha=0.3)
    names = point_names(s)
    legend_below(ax, extra=notes)
    most = at_once(s)
    texts = [str(v) + (f"\u00a0·\u00a0{most[i]}" if most and most[i] else "")  # kept on the setting's line
             + (f" ({reached[int(c)].completed}/{reached[int(c)].runs} completed)" if int(c) in reached else
                f" ({others[int(c)]})" if int(c) in others else "")
             for i, (v, c) in enumerate(zip(names, s["config"]))]
    xs, ys, merged = merge_coincident(ax, loss[shown] / ndiv, dur[shown] / tdiv, [t for t, k in zip(texts, shown) if k])
    label_points(ax, xs, ys, merged, alternate=len(xs) > MANY,
                 lines=[(loss[front] / ndiv, dur[front] / tdiv) for front in fronts.values() if len(front) > 1])
    return ax


def at_once(summary: pd.DataFrame) -> list[str] | None:
    """Each configuration's most nodes without an available pod at once, in its worst run, as the
    labels give it (``maxUnavailable 25% · 251 at once``): the concurrency an availability floor
    is about, which the node-hours on the x axis do not show (audit 39: maxUnavailable 1 and 25% of 1,003 nodes lost
    13.3 and 13.8 node-hours, one node down at a time against 251). None past ``AT_ONCE_MOST``
    configurations, whose labels would crowd, or for a summary without the column.
    """
    if "max_unavailable_observed_max" not in summary or len(summary) > AT_ONCE_MOST:
        return None
    most = pd.to_numeric(summary["max_unavailable_observed_max"], errors="coerce")
    # no-break spaces: a label wraps before the phrase, never inside it
    return [f"{int(v):,}\u00a0at\u00a0once" if math.isfinite(v) else "" for v in most]


def _slo_failures(ax: Axes, s: pd.DataFrame, shown: np.ndarray, x: np.ndarray, y: np.ndarray) -> list[Line2D]:
    """A black cross on each drawn configuration that fails the SLO (the table's ✗): a point on the
    front may still fail it.
    """
    if "slo_ok" not in s:
        return []
    failed = shown & ~s["slo_ok"].astype(str).str.lower().isin(("true", "1", "nan", "")).to_numpy()
    if not failed.any():
        return []
    ax.plot(x[failed], y[failed], **_FAILED)
    return [Line2D([], [], **_FAILED, label="fails the SLO (the table's ✗)")]


def point_names(summary: pd.DataFrame) -> list[str]:
    """The points' labels: the table's labels, whatever their number, so that a point reads as the rest
    of the report spells its settings (``identical pipeline, maxUnavailable 1``; past ten points they
    were the values alone, ``identical pipeline, 1``, with a legend note naming the key).
    """
    return [str(v) for v in summary["label"]]
