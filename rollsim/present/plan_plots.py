"""Figures of a plan, drawn from its saved folder alone (plan.json and candidates.csv).

``plot_pareto`` shows what each simulated setting costs against how long it takes: the
worst availability (left) and the extra pods requested at once (right), each with its
Pareto front, the constraints as lines and the chosen setting marked. ``plot_search``
shows the search itself: mean duration against the budget count for each family, the
points screened with few replications hollow. Both take ``ax=None`` and return the Axes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

from rollsim.present.output import png_bytes
from rollsim.present.plotaxes import log_time_axis
from rollsim.present.plotmath import pareto_front, short_duration

__all__ = ["PLAN_FIGURES", "plot_pareto", "plot_search", "render_plan_figures"]

PLAN_FIGURES = {"pareto": (12.0, 5.2), "search": (10.0, 5.2)}
_COLORS = {"maxUnavailable": "#1f77b4", "maxSurge": "#d62728"}


def _full(candidates: pd.DataFrame, plan: Mapping[str, Any], finished: bool = True) -> pd.DataFrame:
    """The settings run with the full replications whose duration is known (``finished``), or not."""
    full = int(plan["search"]["replications"])
    c = candidates[(candidates["replications"] >= full)].copy()
    known = np.isfinite(c["duration_p95_s"].astype(float))
    return c[known if finished else ~known]


def _unfinished(ax: Axes, plan: Mapping[str, Any], frame: pd.DataFrame, x: str | None, y: str | None,
                scale: float = 1.0) -> None:
    """Settings some of whose runs the horizon cut: an x at the horizon, on the duration axis
    (``x`` or ``y`` is None for it), or a note when the horizon is not on record.
    """
    if frame.empty:
        return
    horizon = plan["search"].get("horizon_s")
    if horizon is None:
        ax.text(0.5, 0.5, f"{len(frame)} setting(s) did not finish", transform=ax.transAxes, ha="center",
                color="0.4")
        return
    named = ax.get_legend_handles_labels()[1]
    for kind, group in frame.groupby("kind"):
        xs = np.full(len(group), horizon) if x is None else group[x].to_numpy(float) * scale
        ys = np.full(len(group), horizon) if y is None else group[y].to_numpy(float) * scale
        shown = any(name.startswith(str(kind)) for name in named)  # its colour is in the legend already
        ax.plot(xs, ys, "x", ms=8, mew=2, color=_COLORS.get(str(kind), "0.5"), zorder=3,
                label="_nolegend_" if shown else str(kind))
    cut = f"did not finish by {short_duration(horizon)} (runs cut there)"
    ax.plot([], [], "x", ms=8, mew=2, color="0.4", label=cut)


def _front(ax: Axes, xs: np.ndarray, ys: np.ndarray, lower_y_better: bool) -> None:
    points = list(zip(xs, ys if lower_y_better else -ys))
    idx = pareto_front(points)
    if len(idx) > 1:
        ax.step(xs[idx], ys[idx], where="post", color="0.35", lw=1.2, ls="--", zorder=1, label="Pareto front")
    elif idx:
        ax.plot(xs[idx], ys[idx], "o", mfc="none", mec="0.35", ms=14, label="Pareto front")


def _chosen(ax: Axes, x: float, y: float, label: str) -> None:
    ax.plot([x], [y], marker="*", ms=20, color="#2ca02c", mec="black", zorder=5, label=f"chosen: {label}")


def plot_pareto(plan: Mapping[str, Any], candidates: pd.DataFrame, axes: tuple[Axes, Axes] | None = None
                ) -> tuple[Axes, Axes]:
    """Duration p95 against worst availability and against extra pods, fronts and the choice."""
    if axes is None:
        fig = Figure(figsize=PLAN_FIGURES["pareto"], layout="constrained")
        axes = tuple(fig.subplots(1, 2))
    left, right = axes
    c = _full(candidates, plan)
    cons, answer = plan["constraints"], plan["answer"]
    for ax, column, title, lower in ((left, "worst_availability", "worst availability (%)", False),
                                     (right, "extra_pods", "extra pods at once (surge)", True)):
        scale = 100.0 if column == "worst_availability" else 1.0
        for kind, group in c.groupby("kind"):
            ax.scatter(group["duration_p95_s"], group[column] * scale, s=36, color=_COLORS.get(str(kind), "0.5"),
                       alpha=0.8, label=kind, zorder=3)
        if len(c):
            _front(ax, c["duration_p95_s"].to_numpy(float), c[column].to_numpy(float) * scale, lower)
        _unfinished(ax, plan, _full(candidates, plan, finished=False), None, column, scale)
        if cons.get("window_s"):
            ax.axvline(cons["window_s"], color="#ff7f0e", lw=1.5, label=f"window {short_duration(cons['window_s'])}")
        if column == "worst_availability":
            ax.axhline(100 * cons["min_available_fraction"], color="#9467bd", lw=1.5,
                       label=f"floor {100 * cons['min_available_fraction']:g}%")
        else:
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # pods come whole
            if cons.get("surge_pods") is not None:
                ax.axhline(cons["surge_pods"], color="#9467bd", lw=1.5, label=f"budget {cons['surge_pods']} pods")
        if answer is not None:
            _chosen(ax, answer["duration_p95_s"], answer[column] * scale, str(answer["setting"]))
        log_time_axis(ax, "x")
        ax.set_xlabel("duration p95 (log scale)")
        ax.set_ylabel(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8, loc="best")
    left.set_title("Safety against speed: the floor and the window")
    right.set_title("Capacity against speed: what surge costs")
    return left, right


def plot_search(plan: Mapping[str, Any], candidates: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Mean duration against the budget count per family; hollow points were only screened."""
    if ax is None:
        ax = Figure(figsize=PLAN_FIGURES["search"], layout="constrained").add_subplot()
    full = int(plan["search"]["replications"])
    finished = np.isfinite(candidates["duration_mean_s"].astype(float))
    c = candidates[finished]
    for (kind, mrs), group in c.groupby(["kind", "min_ready_seconds"]):
        group = group.sort_values("count")
        color = _COLORS.get(str(kind), "0.5")
        label = f"{kind} (minReadySeconds {mrs:g})"
        confirmed = group[group["replications"] >= full]
        ax.plot(confirmed["count"], confirmed["duration_mean_s"], "o-", color=color, ms=5, lw=1, label=label)
        screened = group[group["replications"] < full]
        ax.plot(screened["count"], screened["duration_mean_s"], "o", mfc="none", color=color, ms=6)
    window = plan["constraints"].get("window_s")
    if window:
        ax.axhline(window, color="#ff7f0e", lw=1.5, label=f"window {short_duration(window)}")
    answer = plan["answer"]
    if answer is not None:
        ax.plot([answer["count"]], [answer["duration_mean_s"]], "*", ms=20, color="#2ca02c", mec="black", zorder=5,
                label=f"chosen: {answer['setting']}")
    _unfinished(ax, plan, candidates[~finished], "count", None)
    screened_label = f"screened ({plan['search']['screen_replications']} replications)"
    ax.plot([], [], "o", mfc="none", color="0.4", label=screened_label)
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))  # node counts as plain numbers, not 10¹
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    log_time_axis(ax, "y")
    ax.set_xlabel("budget: maxUnavailable or maxSurge, in nodes (log scale)")
    ax.set_ylabel("mean duration (log scale)")
    ax.set_title(f"The search: {len(candidates)} settings simulated of {plan['search']['grid_size']:,} possible")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    return ax


def render_plan_figures(plan: Mapping[str, Any], candidates: pd.DataFrame) -> dict[str, bytes]:
    """PNG bytes of the plan's figures."""
    out = {}
    for name, draw in (("pareto", plot_pareto), ("search", plot_search)):
        drawn = draw(plan, candidates)
        fig = (drawn[0] if isinstance(drawn, tuple) else drawn).get_figure(root=True)
        out[name] = png_bytes(cast(Figure, fig))  # drawn on a Figure of its own
    return out
