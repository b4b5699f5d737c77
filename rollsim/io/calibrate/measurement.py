"""The measurement model: durations read from whole-second timestamps, and a KS test that knows it.

The API server stores ``metav1.Time`` to the second (RFC 3339, no fraction), truncating.
A difference of two truncated times at a random phase within the second is unbiased: a
true duration ``d`` reads as ``floor(d + U)`` with ``U`` uniform on [0, 1), whose mean is
``d`` and whose variance is ``d``'s plus about 1/6 s². Subtracting an exact pull leaves
``d + T``, ``T`` triangular on (−1, 1) s. Each value is tagged with how it was measured
(``EXACT``, ``GRID`` or ``OFFSET``), and that model is used throughout: the likelihood of
the values *as measured* (a grid value ``k`` has probability ``P(floor(d + U) = k)``), and
a Kolmogorov–Smirnov test against the distribution as it would be measured, so
whole-second data are not rejected for being whole seconds. Its p-value (Kolmogorov's
distribution) is conservative for grid data and for parameters estimated from the same
sample.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from scipy import stats
from scipy.special import logsumexp

from rollsim.spec.distributions import Distribution, Empirical, Exponential, Gamma, LogNormal, Uniform

__all__ = [
    "EXACT",
    "GRID",
    "OFFSET",
    "frozen",
    "RESOLUTION_S",
    "infer_kinds",
    "kind_of",
    "ks_test",
    "log_likelihood",
]

RESOLUTION_S = 1.0  # metav1.Time: whole seconds
EXACT, GRID, OFFSET = "exact", "grid", "offset"  # how a value was measured (see the module docstring)


def kind_of(*times: tuple[float, bool]) -> str:
    """How a difference of ``(time, has a fraction)`` timestamps is measured: exact or on the grid."""
    return EXACT if all(fraction for _t, fraction in times) else GRID


def infer_kinds(values: np.ndarray, resolution: float) -> list[str]:
    """How each value was measured when nobody said: on the grid, or off it by an exact duration."""
    if resolution <= 0:
        return [EXACT] * len(values)
    on_grid = np.abs(values / resolution - np.round(values / resolution)) < 1e-9
    return [GRID if g else OFFSET for g in on_grid]


def frozen(dist: Distribution) -> Any:
    """The scipy law of a continuous family (lognormal, gamma, exponential, uniform), or None."""
    if isinstance(dist, LogNormal) and dist.sigma > 0:
        return stats.lognorm(s=dist.sigma, scale=dist.median)
    if isinstance(dist, Gamma) and dist.cv > 1e-8:
        return stats.gamma(a=dist.shape, scale=dist.scale)
    if isinstance(dist, Exponential) and dist.mean > 0:
        return stats.expon(scale=dist.mean)
    if isinstance(dist, Uniform) and dist.high > dist.low:
        return stats.uniform(loc=dist.low, scale=dist.high - dist.low)
    return None


def _cdfs(dist: Distribution) -> tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]:
    """``(F(x), F(x-))`` of a distribution, vectorised."""
    def step(points: Sequence[float]) -> tuple[Callable, Callable]:
        s = np.sort(np.asarray(points, dtype=float))
        return (lambda x: np.searchsorted(s, x, "right") / len(s)), (lambda x: np.searchsorted(s, x, "left") / len(s))

    law = frozen(dist)
    if law is not None:
        return law.cdf, law.cdf
    if isinstance(dist, Empirical):
        return step(dist.values)
    return step([dist.quantile(0.5)])  # constant, or a degenerate member of a family


_U = (np.arange(32) + 0.5) / 32  # midpoints for E[F(x - U)]
_T = np.where(_U < 0.5, np.sqrt(2 * _U) - 1, 1 - np.sqrt(2 * (1 - _U)))  # triangular (-1, 1) quantiles


def _measured_cdf(dist: Distribution, x: np.ndarray, weights: Mapping[str, float], r: float
                  ) -> tuple[np.ndarray, np.ndarray]:
    """``(H(x), H(x-))``: the CDF of ``dist`` as measured (a mix of exact, grid and offset readings)."""
    F, F_left = _cdfs(dist)
    h = np.zeros_like(x)
    h_left = np.zeros_like(x)
    if weights.get(EXACT):
        h += weights[EXACT] * F(x)
        h_left += weights[EXACT] * F_left(x)
    if weights.get(GRID):  # P(floor(d/r + U) <= k) = E[F((k + 1 - U) r)]
        def grid(k: np.ndarray) -> np.ndarray:
            return F((k[:, None] + 1 - _U[None, :]) * r).mean(axis=1)
        h += weights[GRID] * grid(np.floor(x / r + 1e-9))
        h_left += weights[GRID] * grid(np.ceil(x / r - 1e-9) - 1)
    if weights.get(OFFSET):  # d + r*T, T triangular on (-1, 1)
        off = F(x[:, None] - r * _T[None, :]).mean(axis=1)
        h += weights[OFFSET] * off
        h_left += weights[OFFSET] * off
    return h, h_left


def ks_test(values: Sequence[float] | np.ndarray, dist: Distribution, resolution: float = RESOLUTION_S,
            kinds: Sequence[str] | None = None) -> tuple[float, float]:
    """Kolmogorov–Smirnov ``(D, p-value)`` of ``values`` against ``dist`` as measured.

    ``kinds`` says how each value was measured (inferred from ``resolution`` if None:
    values on the grid are differences of whole-second timestamps, others are such a
    difference minus an exact duration). The p-value is conservative for grid data.
    """
    x = np.asarray(values, dtype=float)
    n = len(x)
    if n == 0:
        return math.nan, math.nan
    kinds = list(kinds) if kinds is not None and resolution > 0 else infer_kinds(x, resolution)
    counts = Counter(kinds)
    weights = {k: c / n for k, c in counts.items()}
    points, at = np.unique(x, return_counts=True)
    ecdf = np.cumsum(at) / n
    h, h_left = _measured_cdf(dist, points, weights, resolution)
    before = np.concatenate(([0.0], ecdf[:-1]))
    d = float(max(np.max(np.abs(ecdf - h)), np.max(np.abs(before - h_left))))
    return d, float(stats.kstwo.sf(d, n))


def _log_bin(frozen: Any, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """``log P(lo < d <= hi)`` per row, averaged over the columns (the phases ``U``), in log space.

    Below the median the CDF is differenced, above it the survival function, so a value far
    out in the tail keeps its (tiny) probability instead of ``1 - 1 = 0``; where even that
    underflows, the density at the bin's middle times its width stands in for it.
    """
    median = float(frozen.median())
    upper = lo >= median
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        a = np.where(upper, frozen.logsf(lo), frozen.logcdf(hi))
        b = np.where(upper, frozen.logsf(hi), frozen.logcdf(lo))
        log_p = a + np.log1p(-np.exp(b - a))  # log(e^a - e^b), b <= a
        bad = ~np.isfinite(log_p)
        if np.any(bad):
            mid = np.maximum((lo + hi) / 2, 1e-9)
            log_p = np.where(bad, frozen.logpdf(mid) + np.log(np.maximum(hi - lo, 1e-300)), log_p)
        return logsumexp(log_p, axis=1) - math.log(log_p.shape[1])


def log_likelihood(frozen: Any, x: np.ndarray, kinds: np.ndarray, r: float) -> float:
    """Log-likelihood of the values as measured: exact, grid (a whole-second difference) or offset.

    Computed in log space throughout, so a value far beyond the bulk (a straggler at 50
    minutes against a median of 25 s) lowers the likelihood as it should rather than
    making it ``-inf``, which would leave the fit unable to see it.
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        total = float(np.sum(frozen.logpdf(x[kinds == EXACT])))
        k, count = (np.unique(np.round(x[kinds == GRID] / r), return_counts=True) if r > 0
                    else (np.empty(0), np.empty(0)))
        if len(k):  # P(obs = k) = E[F((k + 1 - U) r) - F((k - U) r)]
            lo = (k[:, None] - _U[None, :]) * r
            total += float(np.sum(count * _log_bin(frozen, lo, lo + r)))
        off = x[kinds == OFFSET]
        if len(off):
            log_pdf = frozen.logpdf(off[:, None] - r * _T[None, :])
            total += float(np.sum(logsumexp(log_pdf, axis=1) - math.log(len(_T))))
    return total if math.isfinite(total) else -math.inf
