"""The statistics of one metric over a configuration's replications.

``metric_statistics`` is the reference: the values of one configuration's runs in, the
``STATISTICS`` out, over the values that are there. ``grouped_statistics`` gives the same
numbers for every configuration of a sweep at once: it turns the metric's column into
floats once instead of once per configuration, and reuses the t quantile of each sample
size, so ``summary.csv`` costs little more than its arithmetic. Both compute each number
with the same numpy calls on the same arrays, so they agree to the last bit (``repr``
writes every bit to the CSV).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["STATISTICS", "confidence_interval", "metric_statistics", "grouped_statistics", "t_quantile"]

STATISTICS = ("mean", "p50", "p95", "min", "max", "ci_low", "ci_high")


def _present(values: Iterable[Any]) -> np.ndarray:
    """The values that are there: ``None`` and NaN dropped, as floats."""
    x = pd.to_numeric(pd.Series(list(values), dtype=object), errors="coerce").to_numpy(dtype=float)
    return x[~np.isnan(x)]


@lru_cache(maxsize=256)
def t_quantile(p: float, dof: int) -> float:
    """Student's t quantile ``p`` with ``dof`` degrees of freedom (``scipy.stats.t.ppf``).

    Cached: a sweep asks for the same few sample sizes once per configuration and metric.
    """
    return float(stats.t.ppf(p, dof))


def _interval(x: np.ndarray, level: float, mean: float | None = None) -> tuple[float, float]:
    """``confidence_interval`` of values already present (floats, no NaN); ``mean`` is ``np.mean(x)``."""
    if len(x) < 2:
        return math.nan, math.nan
    if mean is None:
        mean = float(np.mean(x))
    half = t_quantile(0.5 + level / 2, len(x) - 1) * float(np.std(x, ddof=1)) / math.sqrt(len(x))
    return mean - half, mean + half


def confidence_interval(values: Iterable[Any], level: float = 0.95) -> tuple[float, float]:
    """The Student-t interval of the mean of ``values``; NaN with fewer than two values.

    Replications are few (often 5 to 30), so the t quantile, not the normal one.
    """
    return _interval(_present(values), level)


def _statistics(x: np.ndarray, percentiles: Any = None) -> dict[str, float]:
    """``metric_statistics`` of values already present (floats, no NaN); ``percentiles`` is
    ``np.percentile(x, [50, 95])`` if the caller has it.
    """
    if len(x) == 0:
        return dict.fromkeys(STATISTICS, math.nan)
    mean = float(np.mean(x))
    low, high = _interval(x, 0.95, mean)
    p50, p95 = np.percentile(x, [50, 95]) + 0.0 if percentiles is None else percentiles  # no -0.0 (_percentiles)
    return {"mean": mean, "p50": float(p50), "p95": float(p95),
            "min": float(np.min(x)), "max": float(np.max(x)), "ci_low": low, "ci_high": high}


def metric_statistics(values: Iterable[Any]) -> dict[str, float]:
    """``STATISTICS`` of one metric over the runs where it is present (all NaN if none is)."""
    return _statistics(_present(values))


def _percentiles(samples: Sequence[np.ndarray]) -> list[Any]:
    """``np.percentile(x, [50, 95])`` of each sample, one numpy call per sample size: the rows
    of a 2-D call are interpolated element by element exactly as a 1-D call does (None if
    empty), but for the sign of a zero, which is always +0.0 here.
    """
    by_size: dict[int, list[int]] = {}
    for i, x in enumerate(samples):
        if len(x):
            by_size.setdefault(len(x), []).append(i)
    found: list[Any] = [None] * len(samples)
    for rows in by_size.values():
        # + 0.0: a zero's sign depends on how numpy partitions, 2-D or 1-D (no -0.0 in a summary)
        p = np.percentile(np.stack([samples[i] for i in rows]), [50, 95], axis=1) + 0.0
        for j, i in enumerate(rows):
            found[i] = (p[0, j], p[1, j])
    return found


def grouped_statistics(column: pd.Series | None, bounds: Sequence[tuple[int, int]]) -> list[dict[str, float]]:
    """``metric_statistics`` of ``column.iloc[start:stop]`` for each ``(start, stop)`` of ``bounds``.

    ``column`` is a metric's column of the runs sorted by configuration, ``bounds`` the rows of
    each configuration; ``None`` (a metric no run has) gives NaN statistics for every one. A
    column of plain numbers is turned into floats once, which is what ``metric_statistics``
    does to each slice of it; any other column (text, objects) is passed to it slice by slice.
    """
    if column is None:
        return [_statistics(np.empty(0)) for _ in bounds]
    if not (isinstance(column.dtype, np.dtype) and column.dtype.kind in "biuf"):
        return [metric_statistics(column.iloc[start:stop]) for start, stop in bounds]
    numbers = column.to_numpy(dtype=float)
    samples = [numbers[start:stop][~np.isnan(numbers[start:stop])] for start, stop in bounds]
    return [_statistics(x, p) for x, p in zip(samples, _percentiles(samples))]
