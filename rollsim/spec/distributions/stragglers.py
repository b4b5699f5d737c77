"""A phase duration with a straggler tail: most nodes are quick, a few take far longer.

``stragglers(median, p95, fraction, tail)``: with probability ``1 - fraction`` a draw of
``lognormal(median, p95)`` (the body), with probability ``fraction`` a draw of a lognormal
with median ``tail`` and the body's spread (the stragglers: a slow disk, a node whose image
cache was evicted, an agent replaying a large buffer). The slowest pod of each batch decides
when a rollout with many nodes in flight can go on, so a few percent of stragglers change
a 10% rollout far more than a one-at-a-time one, which pays each straggler only once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from rollsim.spec.distributions.base import Distribution, DistributionError, _check_q, _fmt, _real
from rollsim.spec.distributions.families import LogNormal

__all__ = ["Stragglers"]


@dataclass(frozen=True, slots=True)
class Stragglers(Distribution):
    """A two-part lognormal mixture (see the module docstring); exact moments, quantiles by bisection."""

    median: float
    p95: float
    fraction: float
    tail: float

    def __post_init__(self) -> None:
        for name in ("median", "p95", "fraction", "tail"):
            object.__setattr__(self, name, _real("stragglers", name, getattr(self, name), positive=name == "median"))
        if not self.fraction <= 1.0:
            raise DistributionError(f"stragglers: fraction ({_fmt(self.fraction)}) must be <= 1")
        if self.tail < self.median:
            raise DistributionError(f"stragglers: tail ({_fmt(self.tail)}) must be >= median ({_fmt(self.median)})")
        LogNormal(self.median, self.p95)  # validates the body
        slow_p95 = self.tail * self.p95 / self.median  # as _parts computes it
        if not math.isfinite(slow_p95):
            raise DistributionError(
                f"stragglers: tail ({_fmt(self.tail)}) is too large for the body's spread: the stragglers' p95, "
                f"tail * p95 / median, must be a finite number, got {slow_p95}")

    def _parts(self) -> tuple[LogNormal, LogNormal]:
        body = LogNormal(self.median, self.p95)
        return body, LogNormal(self.tail, self.tail * self.p95 / self.median)

    @property
    def mean(self) -> float:
        """The mixture's mean."""
        body, slow = self._parts()
        return (1.0 - self.fraction) * body.mean + self.fraction * slow.mean

    @property
    def variance(self) -> float:
        """The mixture's variance."""
        body, slow = self._parts()
        second = ((1.0 - self.fraction) * (body.variance + body.mean**2)
                  + self.fraction * (slow.variance + slow.mean**2))
        return max(0.0, second - self.mean**2)

    def sample(self, rng: np.random.Generator, size: int | None = None) -> float | NDArray[np.float64]:
        """Draw ``size`` values (one float when ``size`` is None), each a straggler with probability ``fraction``."""
        body, slow = self._parts()
        n = 1 if size is None else size
        straggles = rng.random(n) < self.fraction
        draw = np.where(straggles, slow.sample(rng, n), body.sample(rng, n))
        return float(draw[0]) if size is None else draw

    def _cdf(self, x: float) -> float:
        body, slow = self._parts()

        def cdf(d: LogNormal) -> float:
            if d.sigma == 0.0:
                return 1.0 if x >= d.median else 0.0
            return 0.5 * math.erfc(-(math.log(x) - math.log(d.median)) / (d.sigma * math.sqrt(2.0)))

        return 0.0 if x <= 0 else (1.0 - self.fraction) * cdf(body) + self.fraction * cdf(slow)

    def quantile(self, q: float) -> float:
        """The mixture's ``q`` quantile."""
        q = _check_q(q)
        if q == 0.0:
            return 0.0
        if q == 1.0:
            return math.inf
        lo, hi = 0.0, max(self.tail, self.p95) * 2.0
        while self._cdf(hi) < q:
            hi *= 2.0
        for _ in range(200):
            mid = (lo + hi) / 2.0
            if self._cdf(mid) < q:
                lo = mid
            else:
                hi = mid
        return hi

    def __str__(self) -> str:
        return (f"stragglers(median={_fmt(self.median)}, p95={_fmt(self.p95)}, "
                f"fraction={_fmt(self.fraction)}, tail={_fmt(self.tail)})")
