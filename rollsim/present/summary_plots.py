"""The duration figure of a study's summary (``summary.csv``): rollout duration per configuration
or against the swept parameter. Speed against disruption is ``rollsim.present.tradeoff_plot``;
what is drawn of each configuration is ``rollsim.present.durations``.

``plot_duration`` takes a ``Results`` (or just the summary frame it draws:
``rollsim.present.plotdata.as_results``) and an optional Axes, draws on it and returns it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from rollsim.present.durations import Durations, durations, never_text
from rollsim.present.plotaxes import legend_below, new_axes, slo_line, time_limits, wrap
from rollsim.present.plotdata import HALF_FILLED, as_results, half_filled_note
from rollsim.present.plotlabels import keep_inside, label_side
from rollsim.present.plotmath import (
    axis_keys,
    axis_label,
    group_labels,
    label_of,
    line_groups,
    short_number,
    sweep_axis,
    sweep_value,
)
from rollsim.sweep.results import Results

__all__ = ["DURATION_SIZE", "duration_size", "plot_duration"]

DURATION_SIZE = (9.0, 5.5)  # inches
LABEL_WIDTH = 40  # a row's label is wrapped at this many characters
# one row per configuration: the title, x axis and its label take FRAME_IN inches, each row's label
# ROW_LINE_IN a line and ROW_GAP_IN more (duration_size)
FRAME_IN, ROW_LINE_IN, ROW_GAP_IN = 1.4, 0.18, 0.14
_TOP = 0.95  # where a configuration with no duration is drawn on a line plot, as a share of the axes' height


_HOLLOW: dict[str, Any] = {"marker": "o", "markersize": 8, "markerfacecolor": "white", "markeredgewidth": 1.5,
                           "linestyle": "none"}
# the mean of the runs that completed, where not all did: the table's ``*``
_STAR: dict[str, Any] = {"fmt": "*", "markersize": 12, "capsize": 4}
_LABEL_BOX: dict[str, Any] = {"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.85}
_JUDGED: dict[str, Any] = {"marker": "x", "markersize": 7, "markeredgewidth": 1.5, "color": "black",
                           "linestyle": "none", "zorder": 4}


def _notes(d: Durations) -> list[Line2D]:
    """The legend's entries for what is not a plain mean: a partly completed configuration's two
    markers, the statistic the SLO judges (not the mean) and the configurations never placed.
    """
    notes = []
    if d.partial.any():
        notes += [Line2D([], [], color="0.3", marker="*", markersize=12, linestyle="none",
                         label="mean of the runs that completed, where not all did (the table's *)"),
                  Line2D([], [], color="0.3", **_HOLLOW, label="when the runs that did not complete stopped (mean)")]
    if np.isfinite(d.judged).any():
        notes.append(Line2D([], [], **_JUDGED, label=d.judged_label()))
    return notes


def _partly(ax: Axes, d: Durations, at: np.ndarray, pos: np.ndarray, vertical: bool, color: Any = "C3") -> None:
    """Configurations ``at`` whose runs did not all complete: the completed runs' mean (a star,
    with its CI) and when the others stopped (hollow), joined by a dotted line.
    """
    for i in at:
        t, s = d.mean[i] / d.div, d.stopped[i] / d.div
        if vertical:
            ax.errorbar([t], [pos[i]], xerr=d.err[:, [i]], color=color, **_STAR)
            ax.plot([t, s], [pos[i], pos[i]], color=color, linestyle=":", linewidth=1)
            ax.plot([s], [pos[i]], color=color, **_HOLLOW)
        else:
            ax.errorbar([pos[i]], [t], yerr=d.err[:, [i]], color=color, **_STAR)
            ax.plot([pos[i], pos[i]], [t, s], color=color, linestyle=":", linewidth=1)
            ax.plot([pos[i]], [s], color=color, **_HOLLOW)


def _by_configuration(ax: Axes, d: Durations, other_note: Line2D) -> None:
    """Named variants: one row per configuration, by label, each marker labelled with its time;
    a configuration none of whose runs completed is a row with a note and no marker.
    """
    s, div = d.summary, d.div
    y = np.arange(len(s))[::-1].astype(float)
    clean = d.full & ~d.other
    if clean.any():
        ax.errorbar(d.mean[clean] / div, y[clean], xerr=d.err[:, clean], fmt="o", color="C0", capsize=4,
                    label="mean with 95% CI (completed every replication)")
    notes: list[Line2D] = []
    if d.other.any():
        ax.errorbar(d.mean[d.other] / div, y[d.other], xerr=d.err[:, d.other], color="C0", capsize=4,
                    markersize=8, **HALF_FILLED)
        notes.append(other_note)
    _partly(ax, d, np.flatnonzero(d.partial), y, vertical=True)
    ax.plot(d.judged / div, y, **_JUDGED)
    ax.set_yticks(y, [wrap(v, LABEL_WIDTH) for v in s["label"].astype(str)])
    notes += _notes(d)
    if d.limit is not None:
        notes += slo_line(ax, d.limit / div, d.top / div, d.slo_label(), vertical=True)
    time_limits(ax, "x", d.log, d.bottom, max(d.top, d.limit if d.limit is not None and not notes else 0) / div,
                room=1.15)
    ax.set_ylim(-0.7, len(s) - 0.3)
    ax.set_xlabel(f"rollout duration ({d.unit})")
    ax.set_title("Rollout duration by configuration")
    ax.grid(True, alpha=0.3)
    legend_below(ax, extra=notes)
    marks = []
    for i in np.flatnonzero(np.isfinite(d.mean)):
        aside = bool(d.partial[i] or d.other[i])  # a long label beside its marker, not centred over it
        ha, dx = label_side(ax, d.mean[i] / div, y[i])
        marks.append(ax.annotate(d.label(int(i)), (d.mean[i] / div, y[i]), xytext=(dx if aside else 0, 7),
                                 textcoords="offset points", ha=ha if aside else "center", va="bottom",
                                 fontsize="small", color="C3" if aside else "black", bbox=_LABEL_BOX, zorder=5))
    rows = [ax.annotate(never_text(d.stops.get(int(s["config"][i])), s["stop_cause"][i] if "stop_cause" in s else None),
                        (0.01, y[i]), xycoords=("axes fraction", "data"), ha="left", va="center", fontsize="small",
                        color="C3")
            for i in np.flatnonzero(d.never)]  # no duration: said in its row, at no time
    for mark in (*marks, *rows):  # kept inside the axes (keep_inside), not making room beside them: long
        mark.set_in_layout(False)  # labels beside twelve rows had squeezed the axes to nothing (audit 41)
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


def _x_axis(ax: Axes, d: Durations, key: str, kind: str, swept: list[str]) -> tuple[np.ndarray, list[np.ndarray]]:
    """The x axis of ``key`` (ticks and limits), each configuration's x (moved aside where lines
    share a value: ``_dodge``) and the lines: one per combination of the other swept keys.
    """
    s = d.summary
    x = np.array([sweep_value(v)[1] for v in s[key]], dtype=float)
    ticks = np.unique(x)
    if len(ticks) <= 12:
        ax.set_xticks(ticks, [f"{short_number(v)}%" if kind == "pct" else short_number(v) for v in ticks])
    span = float(ticks.max() - ticks.min()) if len(ticks) > 1 else 1.0
    order = [idx[np.argsort(x[idx], kind="stable")] for idx in line_groups(s, key, swept)]
    shown_x = x + _dodge(x, order)
    ax.set_xlim(min(float(ticks.min()) - 0.08 * span, float(shown_x.min()) - 0.04 * span),
                max(float(ticks.max()) + 0.08 * span, float(shown_x.max()) + 0.04 * span))
    return shown_x, order


def _never_note() -> Line2D:
    """The legend's entry for the configurations no run of which completed: near the top edge, at no time."""
    return Line2D([], [], color="0.3", marker="^", markersize=9, markerfacecolor="white", markeredgewidth=1.5,
                  linestyle="none", label="no run completed, so no duration: near the top edge, at its line's x "
                  "(not a time; the report's \"Why runs stopped\" says why)")


def _lines(ax: Axes, d: Durations, key: str, shown_x: np.ndarray, order: list[np.ndarray]) -> None:
    """One line per group of ``order``, joining the configurations that completed every replication."""
    s, div = d.summary, d.div
    drop = [label_of(key, v) for v in s[key]]
    for n, idx in enumerate(order):
        color = f"C{n}"
        group = group_labels(list(s["label"][idx]), drop)
        done = idx[d.full[idx] & ~d.other[idx]]
        # the legend names a group by its colour; the plain entry only where such a mean is drawn
        label = group or ("mean with 95% CI (completed every replication)" if len(done) else "_nolegend_")
        ax.errorbar(shown_x[done], d.mean[done] / div, yerr=d.err[:, done], fmt="-o", capsize=4, color=color,
                    label=wrap(label, 60))
        other = idx[d.other[idx]]  # off the line, which joins the updates that completed
        if len(other):
            ax.errorbar(shown_x[other], d.mean[other] / div, yerr=d.err[:, other], capsize=4, color=color,
                        markersize=8, **HALF_FILLED)
        _partly(ax, d, idx[d.partial[idx]], shown_x, vertical=False, color=color)
        never = idx[d.never[idx]]
        if len(never):
            ax.plot(shown_x[never], np.full(len(never), _TOP), transform=ax.get_xaxis_transform(),
                    color=color, marker="^", markersize=9, markerfacecolor="white", markeredgewidth=1.5,
                    linestyle="none", zorder=4)
    ax.plot(shown_x, d.judged / div, **_JUDGED)
    x = np.array([sweep_value(v)[1] for v in s[key]], dtype=float)
    for value in np.unique(x[d.never]):  # once per x, for the markers there side by side: they are no time
        middle = float(shown_x[d.never & (x == value)].mean())
        ax.annotate("no run\ncompleted", (middle, _TOP), xycoords=("data", "axes fraction"), xytext=(0, -9),
                    textcoords="offset points", ha="center", va="top", fontsize="x-small", color="0.3")


def _against(ax: Axes, d: Durations, other_note: Line2D, key: str, kind: str, swept: list[str]) -> None:
    """Against the numeric swept ``key``: one line per combination of the other swept keys;
    lines that share an x value are moved a little apart (``_dodge``), and a label that several
    of them would print at one x is printed once.
    """
    s, div = d.summary, d.div
    shown_x, order = _x_axis(ax, d, key, kind, swept)
    _lines(ax, d, key, shown_x, order)
    notes: list[Line2D] = [other_note] if d.other.any() else []
    notes += _notes(d) + ([_never_note()] if d.never.any() else [])
    if d.limit is not None:
        notes += slo_line(ax, d.limit / div, d.top / div, d.slo_label())
    time_limits(ax, "y", d.log, d.bottom, max(d.top, d.limit if d.limit is not None and not notes else 0) / div,
                room=1.2)
    ax.set_xlabel(axis_label(key) + (" (% of desired nodes)" if kind == "pct" else ""))
    ax.set_ylabel(f"rollout duration ({d.unit})")
    ax.set_title(f"Rollout duration against {axis_label(key).split(' (')[0]}")  # the setting's name, not its key
    ax.grid(True, alpha=0.3)
    legend_below(ax, extra=notes)
    x = np.array([sweep_value(v)[1] for v in s[key]], dtype=float)
    same: dict[tuple[float, str], list[int]] = {}  # one label for the markers that would each print it at one x
    for j in np.flatnonzero(d.partial):
        same.setdefault((float(x[j]), d.label(int(j))), []).append(int(j))
    for j in np.flatnonzero(d.other):
        same.setdefault((float(x[j]), d.others[int(s["config"][j])]), []).append(int(j))
    marks = []
    for (_, text), js in same.items():
        # beside the hollow marker of when runs stopped, above the lines, where there is room
        y = float(np.mean(np.where(d.partial[js], d.stopped[js], d.mean[js]))) / div
        ha, dx = label_side(ax, float(np.mean(shown_x[js])), y)
        at = float(shown_x[js].max() if ha == "left" else shown_x[js].min())  # beside the outermost marker
        marks.append(ax.annotate(wrap(text, 28), (at, y), xytext=(dx, 0), textcoords="offset points", ha=ha,
                                 va="center", fontsize="small", color="C3", bbox=_LABEL_BOX, zorder=5))
    keep_inside(ax, marks)


def _axis(results: Results) -> tuple[str | None, str, list[str]]:
    """What ``plot_duration`` draws against: the swept key and its kind (``sweep_axis``; no key or a
    categorical one: one row per configuration), and the swept keys of the summary.
    """
    s = results.summary
    swept = [k for k in results.experiment.get("swept") or [] if k in s.columns]
    key, kind = sweep_axis(s, axis_keys(s, swept))
    return key, kind, swept


def duration_size(results: Results | pd.DataFrame | Any) -> tuple[float, float]:
    """The duration figure's size: ``DURATION_SIZE``, taller where its rows need it, each row's
    label ``ROW_LINE_IN`` a line and ``ROW_GAP_IN`` between rows (audit 41: twelve two-line labels
    in 5.5 inches ran into each other).
    """
    results = as_results(results, "summary")
    key, kind, _ = _axis(results)
    if "label" not in results.summary or (key is not None and kind != "cat"):  # lines: no row per configuration
        return DURATION_SIZE
    lines = sum(wrap(str(v), LABEL_WIDTH).count("\n") + 1 for v in results.summary["label"])
    rows = len(results.summary)
    return DURATION_SIZE[0], max(DURATION_SIZE[1], FRAME_IN + ROW_LINE_IN * lines + ROW_GAP_IN * rows)


def plot_duration(results: Results | pd.DataFrame | Any, ax: Axes | None = None) -> Axes:
    """Mean rollout duration with its confidence interval, per configuration that completed in
    every replication. One whose runs did not all complete is a star at the mean of the runs
    that did (the table's ``*``) and a hollow marker at when the others stopped, labelled with
    both; one none of whose runs completed has no duration and is placed at none (a note in its
    row; at the top edge of a line plot). One whose DaemonSet completed every replication while
    another updated with it (``also``) did not is half-filled, off the lines, and labelled with
    what did not complete. When the SLO judges another statistic than the mean, a cross marks
    that statistic. Against a numeric swept parameter that the grid sets, or in which alone the
    configurations differ (``axis_keys``: one line per combination of the others, named as the
    table names them), else one row per configuration. The time axis is logarithmic when the
    times differ more than tenfold; a linear one has one unit, chosen from the data.
    """
    results = as_results(results, "summary")
    ax = new_axes(ax, DURATION_SIZE)
    d = durations(results)
    other_note = half_filled_note(results, d.others)
    key, kind, swept = _axis(results)  # (d.summary is the summary, renumbered)
    if key is None or kind == "cat":
        _by_configuration(ax, d, other_note)
    else:
        _against(ax, d, other_note, key, kind, swept)
    return ax
