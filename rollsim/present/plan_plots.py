"""Figures of a plan, drawn from its saved folder alone (plan.json and candidates.csv).

``plot_pareto`` shows what each simulated setting costs against how long it takes: the
worst availability (left) and the extra pods requested at once (right), each with its
Pareto front over the settings that kept the floor (those that did not are ringed in the
floor's colour), the constraints as lines and the chosen setting marked. The window is
judged on a bound, not on the p95 itself (a normal tolerance bound that screens; from 59 runs
on, as the recommendation has, a distribution-free one), so each point has a whisker out to its
bound. ``plot_search`` shows the search itself: mean duration against the budget count for
each family (colour: the kind; marker and line: minReadySeconds), over the seeds every
confirmed setting ran so that points compare, the points screened with few replications
hollow, and a ring on those whose bound is over the window. Settings some of whose runs did
not finish are drawn where their runs were cut (``cut_phrase``), at the edge of the duration
axis when they stalled. Legends sit outside the axes, off the data. Both take ``ax=None``
and return the Axes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, cast

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, Locator, LogLocator, MaxNLocator, NullFormatter
from matplotlib.transforms import blended_transform_factory

from rollsim.present.output import png_bytes
from rollsim.present.plan_rows import (
    baseline_only,
    common_seeds,
    has_role,
    keeps_floor,
    mean_column,
    over_window,
    stall_ruled,
    unfinished_reason,
)
from rollsim.present.plotaxes import log_time_axis
from rollsim.present.plotmath import log_time_ticks, pareto_front, short_duration
from rollsim.present.render import count_of

__all__ = ["PLAN_FIGURES", "marker_sizes", "plan_time_ticks", "plot_pareto", "plot_search", "render_plan_figures"]

PLAN_FIGURES = {"pareto": (12.0, 6.4), "search": (12.0, 5.2)}
_COLORS = {"maxUnavailable": "#1f77b4", "maxSurge": "#d62728"}
_WINDOW = "#ff7f0e"
_FLOOR = "#9467bd"
_MARKERS = ("o", "s", "^", "D", "v", "P")  # one per minReadySeconds, in increasing order
_LINES = ("-", "--", ":", "-.")
# steps of evenly spaced time ticks (s), for an axis too short for 1 min · 10 min · 30 min · 1 h
_TIME_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
def plan_time_ticks(lo: float, hi: float, most: int = 7, gap: float = 1.0) -> tuple[list[float], list[float]]:
    """Major and minor ticks (seconds) of a logarithmic time axis from ``lo`` to ``hi``: those of
    ``log_time_ticks`` when it puts four in range (three over more than a factor 4), else evenly
    spaced ones with labels of their own (every 5 min from 15 to 45 min), at most ``most``, so
    that a short range still reads; of those, one less than a factor ``gap`` above the last kept
    is left out (their labels would run together where the log scale packs them).
    """
    major, minor = log_time_ticks(lo, hi)
    if len(major) >= 4 or (len(major) == 3 and hi > 4 * lo):
        return major, minor
    for step in _TIME_STEPS:
        ticks = [float(k * step) for k in range(math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9) + 1)]
        if 2 <= len(ticks) <= most and len({short_duration(t) for t in ticks}) == len(ticks):
            kept = ticks[:1]
            for t in ticks[1:]:
                if t >= kept[-1] * gap:
                    kept.append(t)
            return kept, [t for t in ticks if t not in kept]
    return major, minor


class _PlanTimeTicks(Locator):
    """``plan_time_ticks`` as the locator of ``ax``'s ``which`` axis, labels ``room`` pixels apart at least."""

    def __init__(self, ax: Axes, which: str, minor: bool = False, room: float = 0.0) -> None:
        self.ax, self.which, self.minor, self.room = ax, which, minor, room

    def __call__(self) -> list[float]:
        return self.tick_values(*getattr(self.ax, f"get_{self.which}lim")())

    def tick_values(self, vmin: float, vmax: float) -> list[float]:
        lo, hi = max(min(vmin, vmax), 1e-3), max(vmin, vmax, 1e-3)
        length = self.ax.bbox.width if self.which == "x" else self.ax.bbox.height
        gap = math.exp(self.room / length * math.log(hi / lo)) if length > 0 and hi > lo else 1.0
        major, minor = plan_time_ticks(lo, hi, gap=gap)
        return minor if self.minor else major


def _reach_tick(ax: Axes, which: str, room: float = 1.3) -> None:
    """Lower the time axis' start to a round duration (a step of ``_TIME_STEPS``) when its lowest
    tick would sit more than a factor ``room`` above the data: points at 5m40s under a first label
    of 10 min cannot be read.
    """
    lo, hi = sorted(getattr(ax, f"get_{which}lim")())
    major = plan_time_ticks(max(lo, 1e-3), max(hi, 1e-3))[0]
    if not major or major[0] <= lo * room:
        return
    below = [t for t in _TIME_STEPS if t <= lo]
    if below:
        getattr(ax, f"set_{which}lim")(below[-1], hi)


def _time_axis(ax: Axes, which: str) -> None:
    """A logarithmic time axis (``log_time_axis``) with ticks that read on a short range too."""
    log_time_axis(ax, which)
    axis = getattr(ax, f"{which}axis")
    room = 60.0 if which == "x" else 24.0  # pixels a label takes, with a margin
    axis.set_major_locator(_PlanTimeTicks(ax, which, room=room))
    axis.set_minor_locator(_PlanTimeTicks(ax, which, minor=True, room=room))


def _full(candidates: pd.DataFrame, plan: Mapping[str, Any], finished: bool = True) -> pd.DataFrame:
    """The settings run with the full replications whose duration is known (``finished``), or not."""
    full = int(plan["search"]["replications"])
    c = candidates[(candidates["replications"] >= full)].copy()
    known = np.isfinite(c["duration_p95_s"].astype(float))
    return c[known if finished else ~known]



def marker_sizes(families: int, smallest: float = 5.0, step: float = 4.0) -> list[float]:
    """Marker sizes (points) of the families in drawing order, the first drawn the largest, so that
    a family's point at the same place as a later one's shows around it (audit 18: maxSurge 100%
    and maxUnavailable 100% of one count, the blue dot drawn over the red one).
    """
    return [smallest + step * (families - 1 - i) for i in range(families)]


def _styles(candidates: pd.DataFrame) -> dict[float, tuple[str, str]]:
    """A (marker, line style) per minReadySeconds, so that families of one kind tell apart."""
    values = sorted({float(v) for v in candidates["min_ready_seconds"]})
    return {v: (_MARKERS[i % len(_MARKERS)], _LINES[i % len(_LINES)]) for i, v in enumerate(values)}


def _family(kind: Any, mrs: Any, styles: Mapping[float, Any]) -> str:
    """``maxSurge`` when one minReadySeconds was searched, else ``maxSurge (minReadySeconds 10)``."""
    return str(kind) if len(styles) < 2 else f"{kind} (minReadySeconds {float(mrs):g})"




def _unfinished(ax: Axes, plan: Mapping[str, Any], frame: pd.DataFrame, x: str | None, y: str | None,
                scale: float = 1.0) -> None:
    """Settings some of whose runs did not finish, on the duration axis (``x`` or ``y`` is None
    for it): an x at the horizon where the horizon cut them, an arrow at the axis' far edge
    where they stalled (they have no duration to draw) or the horizon is not on record.
    """
    horizon = plan["search"].get("horizon_s")
    named = ax.get_legend_handles_labels()[1]
    reasons: dict[str, str] = {}
    for _, row in frame.iterrows():
        stalled, reason = unfinished_reason(cast(dict[str, Any], row.to_dict()), horizon)
        at_edge = stalled or horizon is None
        marker = "x" if not at_edge else ">" if x is None else "^"
        where = 1.0 if at_edge else float(horizon)  # on the far spine: off the scale
        if x is None:
            transform = blended_transform_factory(ax.transAxes, ax.transData) if at_edge else ax.transData
            xs, ys = where, float(row[cast(str, y)]) * scale
        else:
            transform = blended_transform_factory(ax.transData, ax.transAxes) if at_edge else ax.transData
            xs, ys = float(row[x]) * scale, where
        kind = str(row["kind"])
        shown = any(name.startswith(kind) for name in named)  # its colour is in the legend already
        ax.plot([xs], [ys], marker, ms=8, mew=2, color=_COLORS.get(kind, "0.5"), zorder=3, transform=transform,
                clip_on=False, label="_nolegend_" if shown else kind)
        named.append(kind)
        reasons[reason] = marker
    for reason, marker in reasons.items():
        ax.plot([], [], marker, ms=8, mew=2, color="0.4", label=reason)


def _front(ax: Axes, xs: np.ndarray, ys: np.ndarray, lower_y_better: bool) -> None:
    points = list(zip(xs, ys if lower_y_better else -ys))
    idx = pareto_front(points)
    if len(idx) > 1:
        ax.step(xs[idx], ys[idx], where="post", color="0.35", lw=1.2, ls="--", zorder=1, label="Pareto front")
    elif idx:
        ax.plot(xs[idx], ys[idx], "o", mfc="none", mec="0.35", ms=14,
                label="Pareto front: one setting, no other both faster and better")


def _chosen(ax: Axes, x: float, y: float, label: str) -> None:
    # hollow, so that settings at the same spot show through it (audit 20: it hid five maxSurge points)
    ax.plot([x], [y], marker="*", ms=20, mfc="none", mec="#2ca02c", mew=2, zorder=5, label=f"chosen: {label}")


def _least(ax: Axes, x: float, y: float, label: str) -> None:
    """The least that fits (plan.json ``answer.least``): a hollow green square, the chosen star's colour."""
    ax.plot([x], [y], marker="s", ms=13, mfc="none", mec="#2ca02c", mew=1.8, zorder=5,
            label=f"least that fits: {label}")



def _bounds(ax: Axes, plan: Mapping[str, Any], c: pd.DataFrame, column: str, scale: float) -> None:
    """Each point's whisker from its p95 out to the window bound; the bound's tick in the
    window's colour where it is beyond the window (the setting does not meet it).
    """
    cons = plan["constraints"]
    c = c[np.isfinite(c["window_bound_s"].astype(float))]
    if not cons.get("window_s") or c.empty:
        return
    ys = c[column].to_numpy(float) * scale
    colors = [_COLORS.get(str(k), "0.5") for k in c["kind"]]
    ax.hlines(ys, c["duration_p95_s"], c["window_bound_s"], colors=colors, lw=1.6, alpha=0.85, zorder=3)
    over = over_window(c, plan).to_numpy()
    ax.scatter(c["window_bound_s"], ys, marker="|", s=120, linewidths=2, zorder=3,
               c=[_WINDOW if o else col for o, col in zip(over, colors)])
    q, level = f"p{100 * cons['window_probability']:g}", f"{100 * cons['confidence']:g}%"
    ax.plot([], [], "-|", color="0.4", ms=10, mew=2,
            label=f"whisker: to its {q} bound at {level} confidence (what the window judges)")
    if over.any():
        ax.plot([], [], "|", color=_WINDOW, ms=10, mew=2, label="bound beyond the window: ruled out")




def _stall_crosses(ax: Axes, frame: pd.DataFrame, x: str, y: str, scale: float) -> None:
    """A cross in the window's colour over each setting ruled out for stalls: its family stalled, and
    its own runs (a stall misses the window) are too few to show it stalls within the window's share
    of misses (the evidence table says how many it ran and needed).
    """
    ruled = frame[stall_ruled(frame)]
    if ruled.empty:
        return
    ax.scatter(ruled[x], ruled[y].astype(float) * scale, marker="x", s=90, color=_WINDOW, linewidths=2, zorder=6,
               label="crossed: too few stall-free runs (family can stall)")


def _pareto_panel(ax: Axes, plan: Mapping[str, Any], candidates: pd.DataFrame, column: str, lower: bool) -> None:
    """One panel of ``plot_pareto``: the points (hollow where they broke the floor), their window
    bounds, the front over the settings that kept the floor, the constraints, the choice.
    """
    c, styles = _full(candidates, plan), _styles(candidates)
    cons, answer = plan["constraints"], plan["answer"]
    scale = 100.0 if column == "worst_availability" else 1.0
    groups = list(c.groupby(["kind", "min_ready_seconds"]))
    for (key, group), size in zip(groups, marker_sizes(len(groups), 6.0)):
        kind, mrs = cast(tuple[str, float], key)
        ax.scatter(group["duration_p95_s"], group[column] * scale, s=size**2, color=_COLORS.get(str(kind), "0.5"),
                   marker=styles[float(mrs)][0], edgecolors="white", linewidths=0.6,
                   label=_family(kind, mrs, styles), zorder=4)
    safe = keeps_floor(c, plan)
    below = c[~safe]
    if len(below):  # ringed in the floor's colour: broke it, so on no front
        ax.scatter(below["duration_p95_s"], below[column] * scale, s=170, facecolors="none", edgecolors=_FLOOR,
                   linewidths=1.5, zorder=3,
                   label=f"ringed: below the floor {100 * cons['min_available_fraction']:g}%, so on no front")
    _bounds(ax, plan, c, column, scale)
    _stall_crosses(ax, c, "duration_p95_s", column, scale)
    kept = c[safe & ~stall_ruled(c)]  # a setting ruled out for stalls (too few runs of its own) is on no front either
    if len(kept):
        _front(ax, kept["duration_p95_s"].to_numpy(float), kept[column].to_numpy(float) * scale, lower)
    _unfinished(ax, plan, _full(candidates, plan, finished=False), None, column, scale)
    _current_ring(ax, plan, candidates, column, scale)
    # the constraints under every mark, a little transparent: a point or whisker on the floor's line shows
    line = {"lw": 1.5, "alpha": 0.6, "zorder": 1}
    if cons.get("window_s"):
        ax.axvline(cons["window_s"], color=_WINDOW, label=f"window {short_duration(cons['window_s'])}", **line)
    if column == "worst_availability":
        ax.axhline(100 * cons["min_available_fraction"], color=_FLOOR,
                   label=f"floor {100 * cons['min_available_fraction']:g}%", **line)
    else:
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # pods come whole
        if cons.get("surge_pods") is not None:
            ax.axhline(cons["surge_pods"], color="#9467bd", label=f"budget {cons['surge_pods']} pods", **line)
    if answer is not None:
        _chosen(ax, answer["duration_p95_s"], answer[column] * scale, str(answer["setting"]))
        least = answer.get("least")
        if least:
            _least(ax, least["duration_p95_s"], least[column] * scale, str(least["setting"]))


def plot_pareto(plan: Mapping[str, Any], candidates: pd.DataFrame, axes: tuple[Axes, Axes] | None = None
                ) -> tuple[Axes, Axes]:
    """Duration p95 (and its window bound) against worst availability and against extra pods,
    fronts and the choice.
    """
    if axes is None:
        fig = Figure(figsize=PLAN_FIGURES["pareto"], layout="constrained")
        axes = tuple(fig.subplots(1, 2))
    left, right = axes
    for ax, column, title, lower in ((left, "worst_availability", "worst availability (%)", False),
                                     (right, "extra_pods", "extra pods at once (surge)", True)):
        _pareto_panel(ax, plan, candidates, column, lower)
        _time_axis(ax, "x")
        ax.set_xlabel("duration p95 (log scale)")
        ax.set_ylabel(title)
        ax.grid(True, which="both", alpha=0.3)
    windowed = plan["constraints"].get("window_s") is not None
    left.set_title("Safety against speed: the floor" + (" and the window" if windowed else ""))
    right.set_title("Capacity against speed: what surge costs")
    _whole_pods(right)
    _shared_legend(left, right)
    return left, right


def _whole_pods(ax: Axes) -> None:
    """Pods are counted whole: ticks on integers only, and a panel of no surge (every point at 0)
    from 0 to 1 rather than matplotlib's fractional span around 0 (audit 30: −0.045 to 0.045).
    """
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    low, high = ax.get_ylim()
    if high - low < 1:
        ax.set_ylim(-0.5, 1.5)


def _shared_legend(*axes: Axes) -> None:
    """One legend for the panels, below them, off the data: each label once (the first panel's mark)."""
    handles: dict[str, Any] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, handle)
    fig = axes[0].get_figure(root=True)
    if handles and fig is not None:
        fig.legend(list(handles.values()), list(handles), loc="outside lower center", ncol=3, fontsize=8,
                   frameon=False)




def _families(ax: Axes, plan: Mapping[str, Any], c: pd.DataFrame, styles: Mapping[float, tuple[str, str]],
              ringed: pd.DataFrame | None = None) -> None:
    """Each family's curve of mean duration against count: colour by kind, marker and line by
    minReadySeconds; hollow where only screened; on ``ringed`` (default ``c``: the baseline, on no
    line, is ringed too) a ring in the floor's colour where a setting broke the floor, else in the
    window's where its window bound is over the window (audit 40: settings ruled out by the floor,
    their bounds from 2 runs, were ringed as window misses, and nothing said they broke the floor).
    """
    full, y = int(plan["search"]["replications"]), mean_column(c)
    groups = list(c.groupby(["kind", "min_ready_seconds"]))
    for (key, group), size in zip(groups, marker_sizes(len(groups))):
        kind, mrs = cast(tuple[str, float], key)
        group = group.sort_values("count")
        color, (marker, line) = _COLORS.get(str(kind), "0.5"), styles[float(mrs)]
        confirmed = group[group["replications"] >= full]
        ax.plot(confirmed["count"], confirmed[y], marker=marker, ls=line, color=color, ms=size, lw=1, mec="white",
                mew=0.6, zorder=3, label=_family(kind, mrs, styles))
        screened = group[group["replications"] < full]
        ax.plot(screened["count"], screened[y], marker=marker, ls="none", mfc="none", color=color, ms=size + 1,
                zorder=3)
    ringed = c if ringed is None else ringed
    safe, ring = keeps_floor(ringed, plan), max(marker_sizes(len(groups)), default=5.0) + 7  # (none: the baseline)
    below = ringed[~safe]
    if len(below):  # under the points: a ring never hides one
        ax.plot(below["count"], below[y], "o", ms=ring, mfc="none", mec=_FLOOR, mew=1.3, alpha=0.7, zorder=2,
                label=f"below the floor {100 * plan['constraints']['min_available_fraction']:g}%: ruled out")
    out = ringed[safe & over_window(ringed, plan)]
    if len(out):
        ax.plot(out["count"], out[y], "o", ms=ring, mfc="none", mec=_WINDOW, mew=1.3,
                alpha=0.6, zorder=2, label=f"p{100 * plan['constraints']['window_probability']:g} bound over the "
                                          f"window {short_duration(plan['constraints']['window_s'])}")


def _answer_mean(plan: Mapping[str, Any], candidates: pd.DataFrame, answer: Mapping[str, Any] | None = None) -> float:
    """The answer's mean (or ``answer``'s: the least that fits) as the search figure draws every setting's
    (``mean_column``).
    """
    answer = plan["answer"] if answer is None else answer
    row = candidates[candidates["setting"] == answer["setting"]]
    return float(row.iloc[0][mean_column(candidates)]) if len(row) else float(answer["duration_mean_s"])



_BASELINE: dict[str, Any] = {"marker": "D", "ms": 10, "mfc": "white", "mec": "black", "mew": 1.6, "ls": "none",
                             "zorder": 6}
# the baseline's diamond as a ring, hollow and larger: around its point (Pareto), or around the x or arrow its
# runs get where they were cut or stalled, drawn as any other setting's are (``_unfinished``)
_RING: dict[str, Any] = {**_BASELINE, "mfc": "none", "ms": 15}


def _baseline_at(row: pd.Series, duration: float, horizon: float | None) -> tuple[float | None, str]:
    """Where the baseline's ``duration`` (a mean or a p95 of its runs) is drawn, and why when its runs
    did not all finish: at the duration; at the plan's cut where they were cut there; None, off the
    scale, where they stalled or no cut is on record (``unfinished_reason``).
    """
    if math.isfinite(duration):
        return duration, ""
    stalled, reason = unfinished_reason(cast(dict[str, Any], row.to_dict()), horizon)
    return (None if stalled or horizon is None else float(horizon)), reason


def _baseline_label(row: pd.Series, reason: str) -> str:
    """The baseline's legend entry, alike in both figures: its runs, or why they did not all finish."""
    if reason:
        return f"current strategy (the baseline):\n{reason}"
    return f"current strategy (the baseline, {count_of(int(row['replications']), 'run')})"


def _current_mark(ax: Axes, plan: Mapping[str, Any], candidates: pd.DataFrame) -> None:
    """The DaemonSet's own setting, run as a baseline (candidates.csv's role ``current``), as a point of
    its own: a black diamond, named in the legend with its runs, never joined to its family's line (audit:
    maxUnavailable 1 drawn as the first point of the maxUnavailable line it was never searched on), at its
    mean. Where its runs were cut (or stalled) it is drawn as any such setting is, its family's x at the
    cut (an arrow on the axis' top edge), with the diamond as a ring around it and the legend saying why.
    """
    horizon = plan["search"].get("horizon_s")
    for _, row in candidates[has_role(candidates, "current")].iterrows():
        x = float(row["count"])
        at, reason = _baseline_at(row, float(row[mean_column(candidates)]), horizon)
        transform = ax.transData
        if at is None:  # no duration to draw: on the top edge, off the scale
            transform, at = blended_transform_factory(ax.transData, ax.transAxes), 1.0
        ax.plot([x], [at], transform=transform, clip_on=False, label=_baseline_label(row, reason),
                **(_RING if reason else _BASELINE))
        ax.annotate("current strategy", (x, at), xycoords=transform, xytext=(11 if reason else 9, -9 if reason else -7),
                    textcoords="offset points", fontsize=8, color="0.3", va="top")


def _current_ring(ax: Axes, plan: Mapping[str, Any], candidates: pd.DataFrame, column: str, scale: float) -> None:
    """The baseline among the Pareto figure's points: a black diamond around its point, at its p95, or
    around the mark its runs get where they did not finish (``_unfinished``: its family's x at the cut, an
    arrow on the axis' right edge where they stalled), named as the search figure names it.
    """
    horizon = plan["search"].get("horizon_s")
    for _, row in candidates[has_role(candidates, "current")].iterrows():
        x, reason = _baseline_at(row, float(row["duration_p95_s"]), horizon)
        transform = ax.transData
        if x is None:  # stalled: on the right edge, off the scale, where its arrow is
            transform, x = blended_transform_factory(ax.transAxes, ax.transData), 1.0
        ax.plot([x], [float(row[column]) * scale], transform=transform, clip_on=False,
                label=_baseline_label(row, reason), **{**_RING, "zorder": 5})


def plot_search(plan: Mapping[str, Any], candidates: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Mean duration against the budget count per family, over the seeds every confirmed setting
    ran (their own seeds' means would not compare); hollow points were only screened.
    """
    if ax is None:
        ax = Figure(figsize=PLAN_FIGURES["search"], layout="constrained").add_subplot()
    finished = np.isfinite(candidates["duration_mean_s"].astype(float))
    searched = ~baseline_only(candidates)  # the baseline is its own point, on no family's line
    _families(ax, plan, candidates[finished & searched], _styles(candidates), candidates[finished])
    _stall_crosses(ax, candidates[finished & searched], "count", mean_column(candidates), 1.0)
    answer = plan["answer"]
    if answer is not None:
        _chosen(ax, answer["count"], _answer_mean(plan, candidates), answer["setting"])
        least = answer.get("least")
        if least:
            _least(ax, least["count"], _answer_mean(plan, candidates, least), least["setting"])
    _unfinished(ax, plan, candidates[~finished], "count", None)  # the baseline too: its diamond rings it
    _current_mark(ax, plan, candidates)
    if (candidates["replications"] < int(plan["search"]["replications"])).any():  # a hollow point is drawn
        screened_label = f"screened ({plan['search']['screen_replications']} replications)"
        ax.plot([], [], "o", mfc="none", color="0.4", label=screened_label)
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))  # node counts as plain numbers, not 10¹
    # node counts as plain numbers; none under 1 (a log axis' margin below a count of 1 names no count)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else ""))
    ax.xaxis.set_minor_formatter(NullFormatter())
    _time_axis(ax, "y")
    _reach_tick(ax, "y")
    ax.set_xlabel("budget: maxUnavailable or maxSurge, in nodes (log scale)")
    seeds = common_seeds(candidates, plan)
    ax.set_ylabel("mean duration (log scale)" if seeds is None else
                  f"mean duration over the same {seeds} seeds (log scale)")
    ax.set_title(f"The search: {len(candidates)} settings simulated of {plan['search']['grid_size']:,} possible")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)  # off the data
    return ax


def render_plan_figures(plan: Mapping[str, Any], candidates: pd.DataFrame) -> dict[str, bytes]:
    """PNG bytes of the plan's figures."""
    out = {}
    for name, draw in (("pareto", plot_pareto), ("search", plot_search)):
        drawn = draw(plan, candidates)
        fig = (drawn[0] if isinstance(drawn, tuple) else drawn).get_figure(root=True)
        out[name] = png_bytes(cast(Figure, fig))  # drawn on a Figure of its own
    return out
