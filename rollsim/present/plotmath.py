"""The arithmetic behind the figures (``rollsim.present.plots``): no matplotlib here.

Time units and logarithmic time ticks, the binning of step functions, the Pareto front,
the choice of the swept parameter for an axis and the names of its values, numbers as
ticks and legends show them, and the placement of point labels.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from rollsim.spec.duration import compact_duration
from rollsim.spec.settings import BY_KEY
from rollsim.sweep.labels import display, setting_words

__all__ = [
    "LOG_RATIO",
    "axis_keys",
    "axis_label",
    "bin_minimum",
    "crosses",
    "display",
    "group_labels",
    "label_of",
    "line_boxes",
    "line_groups",
    "log_start",
    "log_time_ticks",
    "pareto_front",
    "short_duration",
    "short_number",
    "spread_labels",
    "sweep_axis",
    "sweep_value",
    "time_unit",
    "wants_log",
    "when",
]

# Times that differ by more than this factor go on a logarithmic axis: on a linear one
# everything but the longest would be squashed against zero.
LOG_RATIO = 10.0
_PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")
_MIN, _HOUR, _DAY = 60.0, 3600.0, 86400.0
_END_GAP = 2.5  # a log time axis has a labelled tick within this factor of each end
# Tick positions (seconds) for logarithmic time axes, from sparse to dense.
_TIERS = (
    (0.1, 1, 10, _MIN, 10 * _MIN, _HOUR, 10 * _HOUR, _DAY, 10 * _DAY),
    (0.1, 0.5, 1, 5, 10, 30, _MIN, 5 * _MIN, 10 * _MIN, 30 * _MIN, _HOUR, 5 * _HOUR, 10 * _HOUR, _DAY, 5 * _DAY,
     10 * _DAY),
    # no 20 s, 20 min or 20 h: their labels ran into the 30 s, 30 min or 1 d beside them (1.5× and 1.2× apart)
    (0.1, 0.2, 0.5, 1, 2, 5, 10, 30, _MIN, 2 * _MIN, 5 * _MIN, 10 * _MIN, 30 * _MIN, _HOUR,
     2 * _HOUR, 5 * _HOUR, 10 * _HOUR, _DAY, 2 * _DAY, 5 * _DAY, 10 * _DAY),
)


def time_unit(longest_s: float) -> tuple[float, str]:
    """The (divisor, unit) to show times up to ``longest_s``: seconds, minutes past 5 min, hours past 5 h."""
    if longest_s > 5 * _HOUR:
        return _HOUR, "h"
    if longest_s > 300:
        return _MIN, "min"
    return 1.0, "s"


def wants_log(longest: float, shortest: float) -> bool:
    """Whether times from ``shortest`` to ``longest`` need a logarithmic axis (more than ``LOG_RATIO`` apart)."""
    return bool(math.isfinite(longest) and math.isfinite(shortest) and shortest > 0
                and longest > LOG_RATIO * shortest)


def log_start(shortest: float) -> float:
    """Where a logarithmic time axis that starts at the update begins: 1 s, or a power of ten
    at least a hundred times below ``shortest`` when that is under 100 s.
    """
    if not math.isfinite(shortest) or shortest <= 0:
        return 1.0
    return min(1.0, 10.0 ** math.floor(math.log10(shortest / 100)))


def log_time_ticks(lo: float, hi: float, at_least: int = 4) -> tuple[list[float], list[float]]:
    """Major and minor tick positions (seconds) between ``lo`` and ``hi`` on a logarithmic time axis.

    Majors come from the sparsest of the series 1 s · 10 s · 1 min · 10 min · 1 h · 10 h · 1 d,
    then 1 · 5 · 10 · 30 s · 1 · 5 · 10 · 30 min · …, then 1 · 2 · 5 · 10 · 20 · 30 …, that puts
    ``at_least`` ticks in the range and one within a factor ``_END_GAP`` of each end (points
    at 2 h under a last label of 1 h cannot be read); minors are the densest series' other values.
    """
    lo, hi = min(lo, hi), max(lo, hi)
    inside = [[t for t in tier if lo * (1 - 1e-9) <= t <= hi * (1 + 1e-9)] for tier in _TIERS]
    major = next((ticks for ticks in inside
                  if len(ticks) >= at_least and ticks[0] <= lo * _END_GAP and ticks[-1] * _END_GAP >= hi), inside[-1])
    return major, [t for t in inside[-1] if t not in major]


def short_duration(seconds: float) -> str:
    """A tick label: ``30 s``, ``5 min``, ``1 h``, ``2 d`` (a whole number of the largest unit that is at
    least 1), else the duration as the report writes it, without the zero units it ends on: ``1h20m``,
    ``1m30s``, ``1d12h`` (``1.33 h`` and ``1.5 min`` made a reader divide).
    """
    for size, unit in ((_DAY, "d"), (_HOUR, "h"), (_MIN, "min")):
        if abs(seconds) >= size:
            whole = round(seconds / size)
            if abs(seconds - whole * size) < 0.5:  # whole to the second
                return f"{whole:.3g} {unit}" if abs(whole) < 1000 else f"{whole:,} {unit}"
            return compact_duration(seconds)
    return f"{seconds:.3g} s"


def bin_minimum(times: np.ndarray, values: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """A step function resampled on ``grid``: the lowest level it takes in each ``[g_i, g_i+1)``.

    Each value holds until the next time (the first from before it, the last for ever). The
    minimum rather than the level at ``g_i``: sampling would miss a dip shorter than a bin,
    and the dips are what an availability SLO is about. The last point takes its own level.
    """
    last = len(values) - 1
    start = np.clip(np.searchsorted(times, grid, side="right") - 1, 0, last)
    end = np.clip(np.searchsorted(times, grid[1:], side="left") - 1, start[:-1], last)
    out = values[start].astype(float)
    # reduceat covers start[i] .. start[i+1]-1; end[i] adds the row that began inside bin i
    out[:-1] = np.minimum(np.minimum.reduceat(values, start)[:-1], values[end])
    return out


def pareto_front(points: Sequence[tuple[float, float]], ties: Callable[[int, int], bool] | None = None) -> list[int]:
    """Indices of the points no other point beats in both coordinates (lower is better), by x.

    A point is dominated when another is ≤ in both coordinates and < in one; points with a
    NaN or infinite coordinate are never on the front. Equal points are all kept. ``ties(i, j)``
    says when the x of points i and j are to count as equal (a difference within noise): then
    only a lower y beats.
    """
    finite = [i for i, (x, y) in enumerate(points) if math.isfinite(x) and math.isfinite(y)]

    def beats(j: int, i: int) -> bool:
        (xj, yj), (xi, yi) = points[j], points[i]
        if xj == xi or (ties is not None and ties(i, j)):
            return yj < yi
        return xj < xi and yj <= yi

    front = [i for i in finite if not any(beats(j, i) for j in finite if j != i)]
    return sorted(front, key=lambda i: (points[i][0], points[i][1], i))


def sweep_value(v: Any) -> tuple[str, float | None]:
    """Classify one swept value: ("num", x), ("pct", x) or ("cat", None)."""
    if isinstance(v, bool) or v is None or (isinstance(v, float) and math.isnan(v)):
        return "cat", None
    if isinstance(v, (int, float, np.integer, np.floating)):
        return "num", float(v)
    m = _PERCENT.match(str(v))
    if m:
        return "pct", float(m.group(1))
    try:
        return "num", float(str(v))
    except ValueError:
        return "cat", None


def label_of(key: str, value: Any) -> str:
    """A swept key and value as the configurations' labels name them (``setting_words``:
    ``maxUnavailable 10%``, ``other pods requesting 50% of each node``).
    """
    return setting_words(key, value)


def axis_label(key: str) -> str:
    """A swept key as an axis names it: as the report names the setting, with its unit
    (``strategy.min_ready_seconds`` → ``minReadySeconds (s)``); an unknown key as it is.
    """
    setting = BY_KEY.get(key)
    return setting.description_label if setting is not None else key


def line_groups(summary: pd.DataFrame, key: str, swept: Sequence[str]) -> list[np.ndarray]:
    """The lines of a figure against the swept ``key``: one per combination of the other swept
    keys, in the order they first appear, each the positions of its rows in ``summary``. The
    duration figure draws them, and the other figures colour their configurations by them
    (``plotdata.series_of``), so that both group alike.
    """
    others = [k for k in swept if k != key]
    if not others:
        return [np.arange(len(summary))]
    keys = [tuple(display(summary[k].iloc[i]) for k in others) for i in range(len(summary))]
    order = list(dict.fromkeys(keys))
    return [np.array([i for i, k in enumerate(keys) if k == line]) for line in order]


def group_labels(labels: Sequence[str], drop: Sequence[str]) -> str:
    """The part the configuration labels of one line share, without the parts naming the x-axis
    key (``drop``): the legend then says what the results table says (``crashloop``, not
    ``new_pods=default``).
    """
    parts = [[p for p in str(label).split(", ") if p not in drop] for label in labels]
    common = [p for p in parts[0] if all(p in q for q in parts[1:])] if parts else []
    return ", ".join(common)


def short_number(v: float) -> str:
    """A number on a tick or in a legend: four significant digits with separators from 1,000, else three."""
    return f"{v:,.4g}" if abs(v) >= 1000 else f"{v:.3g}"


def when(seconds: float, div: float, unit: str, log: bool) -> str:
    """A time in an SLO's legend entry, in the axis' own terms (``div`` and ``unit`` of ``time_unit``)."""
    return short_duration(seconds) if log else f"{short_number(seconds / div)} {unit}"


def sweep_axis(summary: pd.DataFrame, swept: Sequence[str]) -> tuple[str | None, str]:
    """The swept key to put on the x axis and its kind: ``num``, ``pct`` or ``cat`` (categorical).

    Keys whose values are all numbers or percents qualify (a mix of both is categorical, in
    file order); among them the one with the most distinct values, then the first.
    """
    best: tuple[int, int, str, str] | None = None
    for order, key in enumerate(k for k in swept if k in summary.columns):
        kinds = {sweep_value(v)[0] for v in summary[key]}
        if "cat" in kinds:
            continue
        kind = kinds.pop() if len(kinds) == 1 else "cat"
        rank = (summary[key].astype(str).nunique(), -order, key, kind)
        if best is None or rank[:2] > best[:2]:
            best = rank
    return (best[2], best[3]) if best else (None, "cat")


def _names(label: Any, key: str, value: Any) -> bool:
    """Whether a configuration's label names ``key``'s ``value`` as the grid's labels write it
    (``setting_words``: ``minReadySeconds 30``, ``other pods requesting 50% of each node``).
    """
    return setting_words(key, value) in str(label).split(", ")


def axis_keys(summary: pd.DataFrame, swept: Sequence[str]) -> list[str]:
    """The swept keys a figure may put on an axis (``sweep_axis`` picks among them): those the
    grid sets, which each configuration's label names (``…, minReadySeconds 30``), or the one
    key in which alone the configurations differ. Named variants that each set plain numbers
    (``maxUnavailable: 1`` against ``maxSurge: 1, maxUnavailable: 0``) are no sweep: one row each.
    """
    keys = [k for k in swept if k in summary.columns]
    if len(keys) == 1:
        return keys
    if "label" not in summary:
        return []
    return [k for k in keys if all(_names(label, k, v) for label, v in zip(summary["label"], summary[k]))]


Box = tuple[float, float, float, float]  # x0, y0, x1, y1


def _overlap(a: Box, b: Box, gap: float) -> bool:
    return a[0] < b[2] + gap and b[0] < a[2] + gap and a[1] < b[3] + gap and b[1] < a[3] + gap


def line_boxes(points: Sequence[tuple[float, float]], step: float, half: float = 1.0) -> list[Box]:
    """Small boxes (``2 * half`` wide) every ``step`` along a polyline given in display units, so
    that a drawn line can be kept clear of labels as markers are (``spread_labels``' ``keep_clear``):
    a line's own bounding box would cover every label beside a long diagonal.
    """
    boxes: list[Box] = []
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        n = max(1, math.ceil(math.hypot(x1 - x0, y1 - y0) / step))
        for k in range(n + 1):
            x, y = x0 + (x1 - x0) * k / n, y0 + (y1 - y0) * k / n
            boxes.append((x - half, y - half, x + half, y + half))
    return boxes


def crosses(box: Box, others: Sequence[Box], gap: float = 0.0) -> bool:
    """Whether ``box`` overlaps any of ``others`` (within ``gap``)."""
    return any(_overlap(box, other, gap) for other in others)


def spread_labels(boxes: Sequence[Box], keep_clear: Sequence[Box] = (), bounds: Box | None = None,
                  gap: float = 2.0, tries: int = 40, avoid: Sequence[Box] = (), avoid_tries: int = 6) -> list[float]:
    """Vertical shifts that keep label boxes apart (greedy; display units, y up).

    Labels are placed bottom to top; each moves up or down (whichever is nearer, in steps
    of a quarter of its height) to the first spot that overlaps neither a label placed
    before it nor a ``keep_clear`` box (the markers), staying inside ``bounds`` if given.
    A label that finds no free spot within ``tries`` steps each way keeps its place.
    ``avoid`` boxes (a drawn line's: ``line_boxes``) are kept clear too where a spot within
    ``avoid_tries`` steps allows: a label is not sent far from its point to clear a line.
    """
    placed: list[Box] = []
    shifts = [0.0] * len(boxes)
    for i in sorted(range(len(boxes)), key=lambda i: (boxes[i][1], i)):
        x0, y0, x1, y1 = boxes[i]
        step = max((y1 - y0) / 4, 1e-9)
        candidates = [0.0] + [s * k * step for k in range(1, tries + 1) for s in (1, -1)]
        near = [(dy, True) for dy in candidates[:2 * avoid_tries + 1]] if avoid else []
        for dy, clear_lines in near + [(dy, False) for dy in candidates]:
            box = (x0, y0 + dy, x1, y1 + dy)
            if bounds is not None and (box[1] < bounds[1] or box[3] > bounds[3]):
                continue
            if not crosses(box, [*placed, *keep_clear], gap) and not (clear_lines and crosses(box, avoid)):
                shifts[i] = dy
                break
        placed.append((x0, y0 + shifts[i], x1, y1 + shifts[i]))
    return shifts
