"""Figures of an experiment, drawn from its saved results folder alone (``load_results``).

Each ``plot_*`` takes a ``Results`` (or just the DataFrame it draws, or a ``RunResult``:
``rollsim.present.plotdata.as_results``) and an optional Axes, draws on it and returns it; none
calls ``show()`` or touches pyplot state, and the module picks no backend (the CLI picks
Agg), so they work headless and inside notebooks alike. ``save_figures`` writes the PNGs.
"""

from __future__ import annotations

import io
import math
import sys
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import IO, Any, cast

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, Locator, NullFormatter
from matplotlib.transforms import offset_copy

from rollsim.io.atomic import write_atomically
from rollsim.present.plotdata import as_results
from rollsim.present.plotmath import (
    bin_minimum,
    display,
    log_start,
    log_time_ticks,
    pareto_front,
    short_duration,
    spread_labels,
    sweep_axis,
    sweep_value,
    time_unit,
    wants_log,
)
from rollsim.present.render import format_duration
from rollsim.sweep.results import Results

# pareto_front, bin_minimum, sweep_axis and time_unit live in rollsim.present.plotmath; re-exported
__all__ = [
    "FIGURES",
    "bin_minimum",
    "draw_figure",
    "pareto_front",
    "plot_availability",
    "plot_downtime",
    "plot_duration",
    "plot_tradeoff",
    "render_figures",
    "save_figures",
    "sweep_axis",
    "time_unit",
]

GRID_POINTS = 400
LOG_GRID_POINTS = 800  # a log axis shows late bins narrower than the rollout's batches at 400
DPI = 110
# name -> (figure size in inches, the parquet table it needs or None)
FIGURES = {
    "availability": ((10.0, 5.5), "timelines"),
    "duration": ((9.0, 5.5), None),
    "tradeoff": ((9.0, 6.0), None),
    "downtime": ((9.0, 5.5), "downtime"),
}


class _TimeTicks(Locator):
    """Ticks of a logarithmic time axis in seconds, at 1 s · 10 s · 1 min · … (``log_time_ticks``)."""

    def __init__(self, minor: bool = False) -> None:
        self.minor = minor

    def __call__(self) -> list[float]:
        return self.tick_values(*self.axis.get_view_interval())  # type: ignore[union-attr]  # matplotlib sets axis before calling

    def tick_values(self, vmin: float, vmax: float) -> list[float]:
        major, minor = log_time_ticks(max(vmin, 1e-3), max(vmax, 1e-3))
        return minor if self.minor else major


def _log_time(ax: Axes, which: str) -> None:
    """Make the ``x`` or ``y`` axis a logarithmic time axis in seconds, labelled 30 s, 5 min, 1 h."""
    getattr(ax, f"set_{which}scale")("log")
    axis = getattr(ax, f"{which}axis")
    axis.set_major_locator(_TimeTicks())
    axis.set_minor_locator(_TimeTicks(minor=True))
    axis.set_major_formatter(FuncFormatter(lambda v, _: short_duration(v)))
    axis.set_minor_formatter(NullFormatter())


def _new_axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    """``ax``, or a new figure's: a pyplot figure when the caller uses pyplot (a notebook
    then shows it under the cell), else a bare ``Figure`` that touches no global state.
    """
    if ax is not None:
        return ax
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        return pyplot.figure(figsize=size, layout="constrained").add_subplot()
    return Figure(figsize=size, layout="constrained").add_subplot()


def _colors(results: Results) -> dict[int, Any]:
    """One colour per configuration, the same in every figure."""
    configs = list(results.summary["config"])
    cmap = colormaps["tab10" if len(configs) <= 10 else "tab20"]
    return {c: cmap(i % cmap.N) for i, c in enumerate(configs)}


def _labels(results: Results) -> dict[int, str]:
    return dict(zip(results.summary["config"], results.summary["label"].astype(str)))


def _constraints(results: Results) -> list[dict[str, Any]]:
    return list(results.experiment.get("slo") or [])


def _legend_below(ax: Axes, title: str | None = None, extra: Sequence[Line2D] = ()) -> None:
    """A legend under the plot (below the x label), so that it never covers data.

    ``extra`` are proxy entries that are not drawn on the axes: notes such as an SLO limit
    beyond the plotted range, or configurations that could not be placed.
    """
    handles, labels = ax.get_legend_handles_labels()
    handles, labels = handles + list(extra), [_wrap(t, 55) for t in labels + [h.get_label() for h in extra]]
    if handles:
        wide = max(len(line) for t in labels for line in t.split("\n")) > 45
        # anchored a fixed distance under the axes (below the tick labels and the x label), not a
        # share of the axes' height, which would put it on the x label in a short axes
        below = offset_copy(ax.transAxes, fig=ax.figure.figure, y=-36, units="points")
        ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), bbox_transform=below,
                  ncols=2 if len(handles) > 3 and not wide else 1, fontsize="small", title=title,
                  title_fontsize="small", frameon=False)


def _legend_note(text: str, **style: Any) -> Line2D:
    """A legend entry for something not drawn (style gives it a line, else it is text only)."""
    return Line2D([], [], **({"color": "black", **style} if style else {"linestyle": "none"}), label=text)


def _note(ax: Axes, text: str) -> Axes:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color="0.4")
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def _run_ends(results: Results) -> dict[tuple[int, int], tuple[float, bool]]:
    runs = results.runs
    return {(int(c), int(r)): (float(e), bool(done)) for c, r, e, done in
            zip(runs["config"], runs["replication"], runs["end_s"], runs["completed"]) if pd.notna(e)}


def plot_availability(results: Results | pd.DataFrame | Any, ax: Axes | None = None) -> Axes:
    """Nodes with an available daemon pod over time: per configuration the median over
    replications and a p5–p95 band; the SLO's availability floor as a dashed line.

    When the longest completed run lasts more than ten times the fastest configuration's
    median, the time axis is logarithmic from about 1 s: on a linear one every rollout but
    the slowest would be squashed against the start.
    """
    results = as_results(results, "timelines")
    ax = _new_axes(ax, FIGURES["availability"][0])
    tl = results.timelines
    if tl is None or tl.empty:
        return _note(ax, "no timelines in this results folder (timelines.parquet)")
    ends, colors, labels = _run_ends(results), _colors(results), _labels(results)
    # Configurations of different cluster sizes are compared as a percentage of desired nodes.
    percent = tl.groupby("config")["desired"].max().nunique() > 1
    level = tl["available"] / tl["desired"].where(tl["desired"] > 0) * 100 if percent else tl["available"]
    runs: dict[int, list[tuple[np.ndarray, np.ndarray, float]]] = {}
    for key, run in tl.assign(level=level).sort_values("time_s", kind="stable").groupby(
            ["config", "replication"]):
        config, rep = cast(tuple[int, int], key)  # pandas-stubs type a group key as Hashable
        t = run["time_s"].to_numpy(dtype=float)
        end = ends.get((int(config), int(rep)), (t[-1], True))[0]
        runs.setdefault(int(config), []).append((t, run["level"].to_numpy(dtype=float), max(end, t[-1])))
    # A run that never completed goes on to its horizon; show the span the completed runs need.
    done: dict[int, list[float]] = {}
    for (config, _), (end, ok) in ends.items():
        if ok:
            done.setdefault(config, []).append(end)
    longest = max((e for es in done.values() for e in es), default=max(r[2] for rs in runs.values() for r in rs))
    shortest = min((float(np.median(es)) for es in done.values()), default=longest)
    log = wants_log(longest, shortest)
    view, start = (longest * 1.3, log_start(shortest)) if log else (longest * 1.05, 0.0)
    div, unit = (1.0, "log scale") if log else time_unit(view)
    incomplete = {c for (c, _), (_, ok) in ends.items() if not ok}
    medians = []
    for config, rs in runs.items():
        end = max(min(max(r[2] for r in rs), view), 2 * start)
        grid = np.geomspace(start, end, LOG_GRID_POINTS) if log else np.linspace(0.0, end, GRID_POINTS)
        edges = np.r_[0.0, grid[1:]]  # on a log axis the first bin reaches back to the start of the update
        levels = np.vstack([bin_minimum(t, v, edges) for t, v, _ in rs])
        p5, p50, p95 = np.percentile(levels, [5, 50, 95], axis=0)
        label = labels.get(config, str(config)) + (" (did not complete)" if config in incomplete else "")
        ax.fill_between(grid / div, p5, p95, color=colors.get(config), alpha=0.12, linewidth=0, step="post")
        medians.append((grid / div, p50, config, label))
    for x, p50, config, label in medians:  # every median above every band
        ax.plot(x, p50, color=colors.get(config), label=label, drawstyle="steps-post", linewidth=1.5, zorder=3)
    desired = float(tl["desired"].max())
    for c in _constraints(results):
        if c["metric"] == "min_available_fraction":
            floor = c["limit"] * (100 if percent else desired)
        elif c["metric"] == "min_available" and not percent:
            floor = c["limit"]
        else:
            continue
        what = f"{floor:g}%" if percent else f"{floor:,.0f} nodes"
        ax.axhline(floor, color="black", linestyle="--", linewidth=1.2, zorder=4,
                   label=f"SLO floor: {what} ({c['metric']} ≥ {c['limit']:g})")
    if log:
        _log_time(ax, "x")
    ax.set_xlim(start, view / div)
    ax.set_xlabel(f"time since the update started ({unit})")
    ax.set_ylabel("% of desired nodes with an available pod" if percent else
                  f"nodes with an available pod (of {desired:,.0f} desired)")
    ax.set_title("Available nodes during the rollout\n(lowest level per time bin: median of replications, band p5–p95)")
    ax.grid(True, alpha=0.3)
    _legend_below(ax, "configuration")
    return ax


def _short(key: str) -> str:
    return key.rsplit(".", 1)[-1]


def _slo_line(ax: Axes, value: float, data_top: float, label: str, vertical: bool = False,
              style: str = "--") -> list[Line2D]:
    """Draw an SLO limit, unless it lies far beyond the data: then only the legend mentions it
    (drawing it would squash the data into a corner).
    """
    if value <= 2.0 * data_top or data_top <= 0:
        (ax.axvline if vertical else ax.axhline)(value, color="black", linestyle=style, linewidth=1.2, label=label)
        return []
    return [_legend_note(f"{label} (beyond the plotted range)", linestyle=style)]


def _reached(results: Results) -> dict[int, tuple[float, str]]:
    """Per configuration whose runs did not all complete: when those runs stopped (mean over them)
    and a label, ``stopped at 15m00s, 0/3 completed`` (the report's "Why runs stopped" says why).
    """
    runs = results.runs
    if "completed" not in runs or "end_s" not in runs:
        return {}
    out = {}
    for key, g in runs.groupby("config", sort=True):
        config = cast(int, key)  # pandas-stubs type a group key as any Scalar
        short = g[~g["completed"].astype(bool)]
        if short.empty:
            continue
        end = float(short["end_s"].astype(float).mean())
        out[int(config)] = (end, f"stopped at {format_duration(end)}, {len(g) - len(short)}/{len(g)} completed")
    return out


def _inside(ax: Axes, x: float, y: float) -> tuple[str, int]:
    """Which side of a point its label goes (``ha`` and the x offset in points), so that it stays
    inside the axes: to the right of points in the left 60%, else to the left.
    """
    to_axes = ax.transData + ax.transAxes.inverted()
    return ("right", -8) if to_axes.transform((x, y))[0] > 0.6 else ("left", 8)


def _keep_inside(ax: Axes, labels: Sequence[Any]) -> None:
    """Flip a point's label to the other side of its point where it would cross the axes' edge
    (measured after a layout pass, so the figure must have its final size and limits).
    """
    if not labels:
        return
    root = ax.figure.figure
    root.draw_without_rendering()
    box = ax.bbox
    for a in labels:
        extent = a.get_window_extent()
        x, y = a.xyann
        if extent.x1 > box.x1 and a.get_ha() == "left":
            a.set_ha("right")
            a.xyann = (-abs(x), y)
        elif extent.x0 < box.x0 and a.get_ha() == "right":
            a.set_ha("left")
            a.xyann = (abs(x), y)
        elif a.get_ha() == "center" and (extent.x1 > box.x1 or extent.x0 < box.x0):
            a.set_ha("right" if extent.x1 > box.x1 else "left")


def group_labels(labels: Sequence[str], drop: Sequence[str]) -> str:
    """The part the configuration labels of one line share, without the parts naming the x-axis
    key (``drop``): the legend then says what the results table says (``crashloop``, not
    ``new_pods=default``).
    """
    parts = [[p for p in str(label).split(", ") if p not in drop] for label in labels]
    common = [p for p in parts[0] if all(p in q for q in parts[1:])] if parts else []
    return ", ".join(common)


def plot_duration(results: Results | pd.DataFrame | Any, ax: Axes | None = None) -> Axes:
    """Mean rollout duration with its confidence interval, per configuration that completed in
    every replication; a configuration whose runs did not all complete is a hollow marker at
    the time its runs stopped, labelled with what they reached. Against the swept parameter when
    one is numeric (one line per combination of the others, named as the table names them),
    else one row per configuration. The time axis is logarithmic when the times differ more
    than tenfold; a linear one has one unit, chosen from the data.
    """
    results = as_results(results, "summary")
    ax = _new_axes(ax, FIGURES["duration"][0])
    s = results.summary.reset_index(drop=True)
    swept = [k for k in results.experiment.get("swept") or [] if k in s.columns]
    reached = _reached(results)
    stopped = np.array([reached.get(int(c), (math.nan, ""))[0] for c in s["config"]], dtype=float)
    partial = np.array([int(c) in reached for c in s["config"]])
    mean = np.where(partial, math.nan, s["duration_s_mean"].astype(float).to_numpy())
    lo, hi = (s[f"duration_s_ci_{b}"].astype(float).to_numpy() if f"duration_s_ci_{b}" in s else mean
              for b in ("low", "high"))
    lo, hi = np.where(np.isnan(lo), mean, lo), np.where(np.isnan(hi), mean, hi)
    ok = np.isfinite(mean)
    shown = np.where(ok, mean, stopped)  # where each configuration's marker goes
    there = np.isfinite(shown) & (shown > 0)
    log = bool(there.any()) and wants_log(float(shown[there].max()), float(shown[there].min()))
    lo = np.where(lo > 0, lo, mean) if log else lo  # a log axis has no room for a CI reaching below zero
    tops = np.r_[hi[np.isfinite(hi)], shown[np.isfinite(shown)]]
    top = float(tops.max()) if len(tops) else 1.0
    bottom = float(np.nanmin(np.r_[lo[ok], shown[there]])) if there.any() else 1.0
    div, unit = (1.0, "log scale") if log else time_unit(top)
    limit = next((c["limit"] for c in _constraints(results) if c["metric"] == "duration_s" and c["bound"] == "max"),
                 None)
    slo_label = f"SLO: duration ≤ {_when(limit, div, unit, log)}" if limit is not None else ""
    err = np.nan_to_num(np.vstack([mean - lo, hi - mean]).clip(min=0)) / div
    key, kind = sweep_axis(s, swept)
    notes: list[Line2D] = []
    hollow: dict[str, Any] = {"marker": "o", "markersize": 8, "markerfacecolor": "white", "markeredgewidth": 1.5,
                              "linestyle": "none"}
    if key is None or kind == "cat":  # named variants: one row per configuration, by label
        y = np.arange(len(s))[::-1].astype(float)
        if ok.any():
            ax.errorbar(mean[ok] / div, y[ok], xerr=err[:, ok], fmt="o", color="C0", capsize=4,
                        label="mean with 95% CI (completed every replication)")
        if partial.any():
            ax.plot(stopped[partial] / div, y[partial], color="C3", label="did not always complete: when its runs "
                    "stopped (mean)", **hollow)
        ax.set_yticks(y, [_wrap(v, 40) for v in s["label"].astype(str)])
        if limit is not None:
            notes += _slo_line(ax, limit / div, top / div, slo_label, vertical=True)
        _time_limits(ax, "x", log, bottom, max(top, limit if limit is not None and not notes else 0) / div,
                     room=1.15)
        ax.set_ylim(-0.7, len(s) - 0.3)
        ax.set_xlabel(f"rollout duration ({unit})")
        ax.set_title("Rollout duration by configuration")
        ax.grid(True, alpha=0.3)
        _legend_below(ax, extra=notes)
        notes = []
        marks = []
        for i in range(len(s)):
            if not np.isfinite(shown[i]):
                continue
            text = format_duration(mean[i]) if ok[i] else reached[int(s["config"][i])][1]
            ha, dx = _inside(ax, shown[i] / div, y[i])
            marks.append(ax.annotate(text, (shown[i] / div, y[i]), xytext=(dx if not ok[i] else 0, 7),
                                     textcoords="offset points", ha=ha if not ok[i] else "center", va="bottom",
                                     fontsize="small", color="C3" if not ok[i] else "black"))
        _keep_inside(ax, marks)
    else:
        x = np.array([sweep_value(v)[1] for v in s[key]], dtype=float)
        ticks = np.unique(x)
        if len(ticks) <= 12:
            ax.set_xticks(ticks, [f"{_g(v)}%" if kind == "pct" else _g(v) for v in ticks])
        span = float(ticks.max() - ticks.min()) if len(ticks) > 1 else 1.0
        ax.set_xlim(float(ticks.min()) - 0.08 * span, float(ticks.max()) + 0.08 * span)
        others = [k for k in swept if k != key]
        groups = s.groupby([s[k].map(display) for k in others], sort=False) if others else [((), s)]
        drop = [f"{_short(key)}={display(v)}" for v in s[key]]
        for n, (_values, g) in enumerate(groups):
            idx = g.index.to_numpy()[np.argsort(x[g.index], kind="stable")]
            label = group_labels(list(s["label"][idx]), drop) or "mean duration"
            done = idx[ok[idx]]
            ax.errorbar(x[done], mean[done] / div, yerr=err[:, done], fmt="-o", capsize=4, color=f"C{n}",
                        label=_wrap(label, 60))
            short = idx[partial[idx]]
            if len(short):
                ax.plot(x[short], stopped[short] / div, color=f"C{n}", **hollow)
        if partial.any():
            notes.append(Line2D([], [], color="0.3", **hollow, label="did not always complete: when its runs stopped"))
        if limit is not None:
            notes += _slo_line(ax, limit / div, top / div, slo_label)
        _time_limits(ax, "y", log, bottom, max(top, limit if limit is not None and not notes else 0) / div,
                     room=1.2)
        ax.set_xlabel(f"{key}" + (" (% of desired nodes)" if kind == "pct" else ""))
        ax.set_ylabel(f"rollout duration ({unit})")
        ax.set_title(f"Rollout duration against {_short(key)}")
        ax.grid(True, alpha=0.3)
        _legend_below(ax, extra=notes)
        notes = []
        marks = []
        for j in np.flatnonzero(partial):
            if np.isfinite(stopped[j]):
                ha, dx = _inside(ax, x[j], stopped[j] / div)
                marks.append(ax.annotate(_wrap(reached[int(s["config"][j])][1], 28), (x[j], stopped[j] / div),
                                         xytext=(dx, 0), textcoords="offset points", ha=ha, va="center",
                                         fontsize="small", color="C3"))
        _keep_inside(ax, marks)
    return ax


def _wrap(text: str, width: int) -> str:
    """Long labels over several lines, so that tick labels and legends fit the figure."""
    import textwrap

    return "\n".join(textwrap.wrap(text, width, break_long_words=False)) or text


def _when(seconds: float, div: float, unit: str, log: bool) -> str:
    """A time in an SLO's legend entry, in the axis' own terms."""
    return short_duration(seconds) if log else f"{_g(seconds / div)} {unit}"


def _time_limits(ax: Axes, which: str, log: bool, low: float, high: float, room: float = 1.1) -> None:
    """Fit a time axis to data from ``low`` to ``high``: from zero on a linear axis, with a
    margin of a factor 1.6 each way on a logarithmic one (``_log_time``).
    """
    set_lim = getattr(ax, f"set_{which}lim")
    current = getattr(ax, f"get_{which}lim")()
    if log:
        _log_time(ax, which)
        set_lim(low / 1.6, high * 1.6)
    else:
        set_lim(0, max(current[1], high * room))


def _g(v: float) -> str:
    return f"{v:,.4g}" if abs(v) >= 1000 else f"{v:.3g}"


def plot_tradeoff(results: Results | pd.DataFrame | Any, ax: Axes | None = None) -> Axes:
    """Speed against disruption: mean duration against mean unavailable node-hours per
    configuration, the Pareto front among those that completed in every replication (nothing
    else is both faster and less disruptive) and the SLO limits. A configuration whose runs did
    not all complete is a hollow marker at when they stopped, with the node-hours lost until
    then. The duration axis is logarithmic when the times differ more than tenfold.
    """
    results = as_results(results, "summary")
    ax = _new_axes(ax, FIGURES["tradeoff"][0])
    s = results.summary.reset_index(drop=True)
    reached = _reached(results)
    partial = np.array([int(c) in reached for c in s["config"]])
    stopped = np.array([reached.get(int(c), (math.nan, ""))[0] for c in s["config"]], dtype=float)
    dur = np.where(partial, stopped, s["duration_s_mean"].astype(float).to_numpy())
    loss = s["unavailable_node_seconds_mean"].astype(float).to_numpy()
    shown = np.isfinite(dur) & np.isfinite(loss)
    ok = shown & ~partial
    limits = {c["metric"]: c["limit"] for c in _constraints(results) if c["bound"] == "max"}
    positive = shown & (dur > 0)
    log = bool(positive.any()) and wants_log(float(dur[positive].max()), float(dur[positive].min()))
    tdiv, tunit = (1.0, "log scale") if log else time_unit(float(dur[shown].max()) if shown.any() else 0.0)
    ndiv, nunit = 3600.0, "node-hours"  # as the results table counts them
    colors = _colors(results)
    if ok.any():
        ax.scatter(loss[ok] / ndiv, dur[ok] / tdiv, s=70, c=[colors[c] for c in s["config"][ok]], zorder=3,
                   edgecolors="black", linewidths=0.5, label="completed in every replication (mean)")
    if (shown & partial).any():
        ax.scatter(loss[shown & partial] / ndiv, dur[shown & partial] / tdiv, s=70, facecolors="white", zorder=3,
                   edgecolors=[colors[c] for c in s["config"][shown & partial]], linewidths=1.5)
    front = [i for i in pareto_front(list(zip(np.where(ok, loss, np.nan), np.where(ok, dur, np.nan))))]
    if front:
        ax.plot(loss[front] / ndiv, dur[front] / tdiv, color="0.3", linestyle=":", marker="o", markersize=15,
                markerfacecolor="none", label="Pareto front", zorder=2)
    xmax, ymax = (float(loss[shown].max()) / ndiv, float(dur[shown].max()) / tdiv) if shown.any() else (1.0, 1.0)
    notes: list[Line2D] = []
    if (shown & partial).any():
        notes.append(Line2D([], [], marker="o", markersize=8, markerfacecolor="white", markeredgecolor="0.3",
                            markeredgewidth=1.5, linestyle="none",
                            label="did not always complete: when its runs stopped"))
    if "duration_s" in limits:
        drawn = _slo_line(ax, limits["duration_s"] / tdiv, ymax,
                          f"SLO: duration ≤ {_when(limits['duration_s'], tdiv, tunit, log)}")
        ymax = ymax if drawn else max(ymax, limits["duration_s"] / tdiv)
        notes += drawn
    if "unavailable_node_seconds" in limits:
        notes += _slo_line(ax, limits["unavailable_node_seconds"] / ndiv, xmax,
                  f"SLO: unavailable ≤ {_g(limits['unavailable_node_seconds'] / ndiv)} {nunit}", True, "-.")
    right = max(ax.get_xlim()[1], xmax * 1.25, 0.1)
    ax.set_xlim(-0.04 * right, right)  # a little room left of 0: surge can mean no unavailable node at all
    ymin = float(dur[positive].min()) / tdiv if positive.any() else 1.0
    _time_limits(ax, "y", log, min(ymin, ymax), ymax, room=1.2)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if abs(v) >= 100 else f"{v:g}"))
    ax.set_xlabel(f"unavailable {nunit} (mean over replications)")
    ax.set_ylabel(f"rollout duration ({tunit}, mean over replications)" if not log else
                  "rollout duration (mean over replications, log scale)")
    ax.set_title("Speed against disruption (lower left is better)")
    ax.grid(True, alpha=0.3)
    _legend_below(ax, extra=notes)
    texts = [str(v) + (f" ({reached[int(c)][1].split(', ')[-1]})" if int(c) in reached else "")
             for v, c in zip(s["label"], s["config"])]
    xs, ys, names = _merge_coincident(ax, loss[shown] / ndiv, dur[shown] / tdiv, [t for t, k in zip(texts, shown) if k])
    _label_points(ax, xs, ys, names)
    return ax


def _merge_coincident(ax: Axes, xs: np.ndarray, ys: np.ndarray, texts: Sequence[str]
                      ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Points drawn on top of each other (within 4 pixels) get one label listing them all, one per
    line; a single label is wrapped to a narrow block.
    """
    if not len(xs):
        return xs, ys, list(texts)
    px = ax.transData.transform(np.column_stack([xs, ys]))
    groups: list[list[int]] = []
    for i, p in enumerate(px):
        for g in groups:
            if np.hypot(*(px[g[0]] - p)) <= 4:
                g.append(i)
                break
        else:
            groups.append([i])
    names = ["\n".join(texts[i] for i in g) if len(g) > 1 else _wrap(texts[g[0]], 32) for g in groups]
    return xs[[g[0] for g in groups]], ys[[g[0] for g in groups]], names


def _label_points(ax: Axes, xs: np.ndarray, ys: np.ndarray, texts: Sequence[str]) -> None:
    """Label each point beside it (leaning away from the right edge), nudged up or down where
    labels would overlap each other or a point; a label moved far gets a leader line.

    The overlaps are measured in display coordinates after a layout pass, so the figure must
    have its final size and limits before this is called.
    """
    style: dict[str, Any] = {"textcoords": "offset points", "fontsize": "small", "va": "bottom",
             "bbox": {"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.8}}
    to_axes = ax.transData + ax.transAxes.inverted()
    sides = [-1 if to_axes.transform((x, y))[0] > 0.6 else 1 for x, y in zip(xs, ys)]
    first = [ax.annotate(t, (x, y), xytext=(9 * side, 4), ha="right" if side < 0 else "left", **style)
             for x, y, t, side in zip(xs, ys, texts, sides)]
    if not first:
        return
    root = ax.figure.figure  # the Figure itself, also for an Axes of a SubFigure
    root.draw_without_rendering()  # lay the figure out, so that extents are final
    scale = root.dpi / 72  # display pixels per point
    boxes = [cast(tuple[float, float, float, float], tuple(a.get_window_extent().extents)) for a in first]
    dots = [(px - 5 * scale, py - 5 * scale, px + 5 * scale, py + 5 * scale)
            for px, py in ax.transData.transform(np.column_stack([xs, ys]))]
    shifts = spread_labels(boxes, dots, cast(tuple[float, float, float, float], tuple(ax.bbox.extents)), gap=2 * scale)
    for a, x, y, t, side, dy in zip(first, xs, ys, texts, sides, shifts):
        a.remove()
        far = abs(dy) > 4 * scale
        ax.annotate(t, (x, y), xytext=(9 * side, 4 + dy / scale), ha="right" if side < 0 else "left",
                    arrowprops={"arrowstyle": "-", "color": "0.5", "linewidth": 0.6, "shrinkA": 0, "shrinkB": 5}
                    if far else None, **style)


def plot_downtime(results: Results | pd.DataFrame | Any, ax: Axes | None = None) -> Axes:
    """Per-node downtime (how long each node went without an available daemon pod), pooled
    over replications: one empirical CDF per configuration.
    """
    results = as_results(results, "downtime")
    ax = _new_axes(ax, FIGURES["downtime"][0])
    d = results.downtime
    if d is None or d.empty:
        return _note(ax, "no per-node downtimes in this results folder (downtime.parquet)")
    colors, labels = _colors(results), _labels(results)
    values = d["downtime_s"].to_numpy(dtype=float)
    # a few stuck nodes would squeeze everyone else into one corner: then a log axis
    log = values.max() > 20 * max(float(np.median(values)), 1e-9) and values.min() > 0
    div, unit = (1.0, "log scale") if log else time_unit(float(np.percentile(values, 90)))
    for key, g in d.groupby("config", sort=True):
        config = cast(int, key)  # pandas-stubs type a group key as any Scalar
        x = np.sort(g["downtime_s"].to_numpy(dtype=float)) / div
        y = np.arange(1, len(x) + 1) / len(x)
        ax.plot(np.r_[x[0], x], np.r_[0.0, y], drawstyle="steps-post", color=colors.get(config),
                label=labels.get(int(config), str(config)), linewidth=1.8)
    for c in _constraints(results):
        if c["metric"].startswith("node_downtime_") and c["bound"] == "max":
            ax.axvline(c["limit"] / div, color="black", linestyle="--",
                       label=f"SLO: {c['metric']} ≤ {_when(c['limit'], div, unit, log)}")
    if log:
        _log_time(ax, "x")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(f"time a node went without an available pod ({unit})")
    ax.set_ylabel("fraction of nodes with at most this downtime")
    ax.set_title("Per-node downtime (empirical CDF, all replications pooled)")
    ax.grid(True, alpha=0.3, which="both")
    _legend_below(ax, "configuration")
    return ax


PLOTS = {"availability": plot_availability, "duration": plot_duration, "tradeoff": plot_tradeoff,
         "downtime": plot_downtime}


def _room_for_legend(ax: Axes, size: tuple[float, float]) -> None:
    """Make the figure taller by its legend's height, so that a long legend under the plot does
    not squash the plot itself (at most doubling the height).
    """
    legend = ax.get_legend()
    if legend is None:
        return
    fig = ax.figure.figure
    fig.draw_without_rendering()
    height = legend.get_window_extent().height / fig.dpi
    fig.set_size_inches(size[0], size[1] + min(height, size[1]))


def draw_figure(results: Results, name: str) -> Figure:
    """Figure ``name`` of ``FIGURES`` as ``render_figures`` saves it (taller for a long legend)."""
    size = FIGURES[name][0]
    ax = PLOTS[name](results, Figure(figsize=size, layout="constrained").add_subplot())
    _room_for_legend(ax, size)
    return ax.figure.figure


def render_figures(results: Results) -> dict[str, bytes]:
    """PNG bytes of every figure the results can support (a figure whose parquet file is absent is skipped)."""
    out = {}
    for name, (_size, needs) in FIGURES.items():
        if needs is not None and getattr(results, needs) is None:
            continue
        ax = draw_figure(results, name).axes[0]
        buf = io.BytesIO()
        cast(Figure, ax.figure).savefig(buf, format="png", dpi=DPI)  # draw_figure makes a Figure, no SubFigure
        out[name] = buf.getvalue()
    return out


def _write_bytes(data: bytes, f: IO[Any]) -> None:
    """Write ``data`` to the open file ``f``."""
    f.write(data)


def save_figures(results: Results, out_dir: str | Path | None = None) -> list[Path]:
    """Write ``figures/<name>.png`` under ``out_dir`` (default: the results folder), atomically."""
    folder = Path(out_dir if out_dir is not None else results.path) / "figures"
    paths = []
    for name, png in render_figures(results).items():
        path = folder / f"{name}.png"
        write_atomically(path, partial(_write_bytes, png), binary=True)
        paths.append(path)
    return paths
