"""The duration figure of a study's summary (``summary.csv``): rollout duration per configuration
or against the swept parameter. Speed against disruption is ``rollsim.present.tradeoff_plot``.

``plot_duration`` takes a ``Results`` (or just the summary frame it draws:
``rollsim.present.plotdata.as_results``) and an optional Axes, draws on it and returns it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from rollsim.present.plotaxes import legend_below, new_axes, slo_line, time_limits, wrap
from rollsim.present.plotdata import HALF_FILLED, as_results, half_filled, half_filled_note, incomplete_runs
from rollsim.present.plotlabels import keep_inside, label_side
from rollsim.present.plotmath import (
    axis_label,
    display,
    group_labels,
    label_of,
    short_number,
    sweep_axis,
    sweep_value,
    time_unit,
    wants_log,
    when,
)
from rollsim.present.render import format_duration
from rollsim.present.study import slo_specs
from rollsim.sweep.results import Results

__all__ = ["DURATION_SIZE", "plot_duration"]

DURATION_SIZE = (9.0, 5.5)  # inches


@dataclass(frozen=True)
class _Durations:
    """What the duration figure shows per configuration (a row of ``summary``), in seconds."""

    summary: pd.DataFrame
    reached: dict[int, tuple[float, str]]  # incomplete_runs: when runs that did not all complete stopped
    stopped: np.ndarray  # when those runs stopped (NaN for a configuration that always completed)
    partial: np.ndarray  # whether the configuration's runs did not all complete
    mean: np.ndarray  # mean duration, NaN where partial
    err: np.ndarray  # the CI below and above the mean, in axis units
    ok: np.ndarray  # a finite mean
    others: dict[int, str]  # half_filled: what of the other DaemonSets (also) did not complete
    other: np.ndarray  # its own DaemonSet completed every time, another of the update did not (half_filled)
    other_note: Line2D  # the legend's entry for those (half_filled_note)
    shown: np.ndarray  # where each configuration's marker goes: the mean, else when its runs stopped
    log: bool
    top: float
    bottom: float
    div: float
    unit: str
    limit: float | None  # the SLO's duration limit
    slo_label: str


def _durations(results: Results) -> _Durations:
    """The duration figure's numbers and axis scale, from the summary and the runs."""
    s = results.summary.reset_index(drop=True)
    reached = incomplete_runs(results)
    stopped = np.array([reached.get(int(c), (math.nan, ""))[0] for c in s["config"]], dtype=float)
    partial = np.array([int(c) in reached for c in s["config"]])
    mean = np.where(partial, math.nan, s["duration_s_mean"].astype(float).to_numpy())
    lo, hi = (s[f"duration_s_ci_{b}"].astype(float).to_numpy() if f"duration_s_ci_{b}" in s else mean
              for b in ("low", "high"))
    lo, hi = np.where(np.isnan(lo), mean, lo), np.where(np.isnan(hi), mean, hi)
    lo = np.where(lo < 0, 0.0, lo)  # a t interval of few runs can reach below 0; no rollout takes less than nothing
    ok = np.isfinite(mean)
    others = half_filled(results)
    other = ok & np.array([int(c) in others for c in s["config"]], dtype=bool)
    other_note = half_filled_note(results, others)
    shown = np.where(ok, mean, stopped)
    there = np.isfinite(shown) & (shown > 0)
    log = bool(there.any()) and wants_log(float(shown[there].max()), float(shown[there].min()))
    lo = np.where(lo > 0, lo, mean) if log else lo  # a log axis has no room for a CI reaching below zero
    tops = np.r_[hi[np.isfinite(hi)], shown[np.isfinite(shown)]]
    top = float(tops.max()) if len(tops) else 1.0
    bottom = float(np.nanmin(np.r_[lo[ok], shown[there]])) if there.any() else 1.0
    div, unit = (1.0, "log scale") if log else time_unit(top)
    limit = next((c["limit"] for c in slo_specs(results) if c["metric"] == "duration_s" and c["bound"] == "max"),
                 None)
    slo_label = f"SLO: duration ≤ {when(limit, div, unit, log)}" if limit is not None else ""
    err = np.nan_to_num(np.vstack([mean - lo, hi - mean]).clip(min=0)) / div
    return _Durations(s, reached, stopped, partial, mean, err, ok, others, other, other_note, shown, log, top, bottom,
                      div, unit, limit, slo_label)


_HOLLOW: dict[str, Any] = {"marker": "o", "markersize": 8, "markerfacecolor": "white", "markeredgewidth": 1.5,
                           "linestyle": "none"}


def _by_configuration(ax: Axes, d: _Durations) -> None:
    """Named variants: one row per configuration, by label, each marker labelled with its time."""
    s, div = d.summary, d.div
    notes: list[Line2D] = []
    y = np.arange(len(s))[::-1].astype(float)
    clean = d.ok & ~d.other
    if clean.any():
        ax.errorbar(d.mean[clean] / div, y[clean], xerr=d.err[:, clean], fmt="o", color="C0", capsize=4,
                    label="mean with 95% CI (completed every replication)")
    if d.other.any():
        ax.errorbar(d.mean[d.other] / div, y[d.other], xerr=d.err[:, d.other], color="C0", capsize=4,
                    markersize=8, **HALF_FILLED)
        notes.append(d.other_note)
    if d.partial.any():
        ax.plot(d.stopped[d.partial] / div, y[d.partial], color="C3", label="did not always complete: when its runs "
                "stopped (mean)", **_HOLLOW)
    ax.set_yticks(y, [wrap(v, 40) for v in s["label"].astype(str)])
    if d.limit is not None:
        notes += slo_line(ax, d.limit / div, d.top / div, d.slo_label, vertical=True)
    time_limits(ax, "x", d.log, d.bottom, max(d.top, d.limit if d.limit is not None and not notes else 0) / div,
                room=1.15)
    ax.set_ylim(-0.7, len(s) - 0.3)
    ax.set_xlabel(f"rollout duration ({d.unit})")
    ax.set_title("Rollout duration by configuration")
    ax.grid(True, alpha=0.3)
    legend_below(ax, extra=notes)
    marks = []
    for i in range(len(s)):
        if not np.isfinite(d.shown[i]):
            continue
        ok, other = d.ok[i], d.other[i]
        text = format_duration(d.mean[i]) if ok else d.reached[int(s["config"][i])][1]
        if other:
            text += f"; {d.others[int(s['config'][i])]}"
        ha, dx = label_side(ax, d.shown[i] / div, y[i])
        aside = not ok or other  # a long label beside its marker, not centred over it
        marks.append(ax.annotate(text, (d.shown[i] / div, y[i]), xytext=(dx if aside else 0, 7),
                                 textcoords="offset points", ha=ha if aside else "center", va="bottom",
                                 fontsize="small", color="C3" if aside else "black"))
    keep_inside(ax, marks)


def _dodge(x: np.ndarray, groups: list[np.ndarray]) -> np.ndarray:
    """How far each configuration's point is moved sideways so that the lines sharing an x
    value sit side by side there, centred on the true value, not on top of each other: a small
    step of the closest gap between x values per line at that x (none where a line is alone).
    """
    shift = np.zeros(len(x))
    ticks = np.unique(x)
    step = 0.07 * (float(np.diff(ticks).min()) if len(ticks) > 1 else 1.0)
    for value in ticks:
        here = [g[x[g] == value] for g in groups if (x[g] == value).any()]  # in the lines' order
        for rank, idx in enumerate(here):
            shift[idx] = (rank - (len(here) - 1) / 2) * step
    return shift


def _against(ax: Axes, d: _Durations, key: str, kind: str, swept: list[str]) -> None:
    """Against the numeric swept ``key``: one line per combination of the other swept keys;
    lines that share an x value are moved a little apart (``_dodge``), and a "stopped at"
    label that several of them would print at one x is printed once.
    """
    s, div = d.summary, d.div
    notes: list[Line2D] = []
    x = np.array([sweep_value(v)[1] for v in s[key]], dtype=float)
    ticks = np.unique(x)
    if len(ticks) <= 12:
        ax.set_xticks(ticks, [f"{short_number(v)}%" if kind == "pct" else short_number(v) for v in ticks])
    span = float(ticks.max() - ticks.min()) if len(ticks) > 1 else 1.0
    ax.set_xlim(float(ticks.min()) - 0.08 * span, float(ticks.max()) + 0.08 * span)
    others = [k for k in swept if k != key]
    groups = list(s.groupby([s[k].map(display) for k in others], sort=False)) if others else [((), s)]
    order = [g.index.to_numpy()[np.argsort(x[g.index], kind="stable")] for _, g in groups]
    shown_x = x + _dodge(x, order)
    low, high = ax.get_xlim()  # room for the moved points too
    ax.set_xlim(min(low, float(shown_x.min()) - 0.04 * span), max(high, float(shown_x.max()) + 0.04 * span))
    drop = [label_of(key, v) for v in s[key]]
    for n, idx in enumerate(order):
        label = group_labels(list(s["label"][idx]), drop) or "mean duration"
        done = idx[d.ok[idx] & ~d.other[idx]]
        ax.errorbar(shown_x[done], d.mean[done] / div, yerr=d.err[:, done], fmt="-o", capsize=4, color=f"C{n}",
                    label=wrap(label, 60))
        other = idx[d.other[idx]]  # off the line, which joins the updates that completed
        if len(other):
            ax.errorbar(shown_x[other], d.mean[other] / div, yerr=d.err[:, other], capsize=4, color=f"C{n}",
                        markersize=8, **HALF_FILLED)
        short = idx[d.partial[idx]]
        if len(short):
            ax.plot(shown_x[short], d.stopped[short] / div, color=f"C{n}", **_HOLLOW)
    if d.other.any():
        notes.append(d.other_note)
    if d.partial.any():
        notes.append(Line2D([], [], color="0.3", **_HOLLOW, label="did not always complete: when its runs stopped"))
    if d.limit is not None:
        notes += slo_line(ax, d.limit / div, d.top / div, d.slo_label)
    time_limits(ax, "y", d.log, d.bottom, max(d.top, d.limit if d.limit is not None and not notes else 0) / div,
                room=1.2)
    ax.set_xlabel(axis_label(key) + (" (% of desired nodes)" if kind == "pct" else ""))
    ax.set_ylabel(f"rollout duration ({d.unit})")
    ax.set_title(f"Rollout duration against {key.rsplit('.', 1)[-1]}")
    ax.grid(True, alpha=0.3)
    legend_below(ax, extra=notes)
    same: dict[tuple[float, str], list[int]] = {}  # one label for the markers that would each print it at one x
    for j in np.flatnonzero(d.partial):
        if np.isfinite(d.stopped[j]):
            same.setdefault((float(x[j]), d.reached[int(s["config"][j])][1]), []).append(int(j))
    for j in np.flatnonzero(d.other):
        same.setdefault((float(x[j]), d.others[int(s["config"][j])]), []).append(int(j))
    marks = []
    for (_, text), js in same.items():
        y = float(np.mean(d.shown[js])) / div
        ha, dx = label_side(ax, float(np.mean(shown_x[js])), y)
        at = float(shown_x[js].max() if ha == "left" else shown_x[js].min())  # beside the outermost marker
        marks.append(ax.annotate(wrap(text, 28), (at, y), xytext=(dx, 0), textcoords="offset points", ha=ha,
                                 va="center", fontsize="small", color="C3"))
    keep_inside(ax, marks)


def plot_duration(results: Results | pd.DataFrame | Any, ax: Axes | None = None) -> Axes:
    """Mean rollout duration with its confidence interval, per configuration that completed in
    every replication; a configuration whose runs did not all complete is a hollow marker at
    the time its runs stopped, labelled with what they reached; one whose DaemonSet completed
    every replication while another updated with it (``also``) did not is half-filled, off the
    lines, and labelled with what did not complete. Against the swept parameter when
    one is numeric (one line per combination of the others, named as the table names them),
    else one row per configuration. The time axis is logarithmic when the times differ more
    than tenfold; a linear one has one unit, chosen from the data.
    """
    results = as_results(results, "summary")
    ax = new_axes(ax, DURATION_SIZE)
    d = _durations(results)
    swept = [k for k in results.experiment.get("swept") or [] if k in d.summary.columns]
    key, kind = sweep_axis(d.summary, swept)
    if key is None or kind == "cat":
        _by_configuration(ax, d)
    else:
        _against(ax, d, key, kind, swept)
    return ax
