"""The tail check: whether a fitted family allows the slowest values that were measured.

A KS test looks at the whole distribution, so a 2% tail of stragglers (a pod Ready after
50 minutes where the median is 25 s) hardly moves its statistic; yet those stragglers are
what hold a rollout with many nodes in flight. A family is refused for its tail when,
under the fit, either

* more values lie above its p99.9 than a binomial count of 1 in 1,000 allows, or
* the largest value lies beyond what the largest of ``n`` draws would reach,

each at ``TAIL_ALPHA``. A family refused so is not chosen: the phase keeps every value it
measured (the empirical distribution), so a longer or heavier tail never gives a lighter
profile.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from rollsim.io.calibrate.measurement import frozen
from rollsim.spec.distributions import Distribution

__all__ = ["TAIL_ALPHA", "TAIL_Q", "TailCheck", "tail_check"]

TAIL_ALPHA = 0.01  # below this p-value a family's tail is refused
TAIL_Q = 0.999  # the fit's quantile beyond which values are counted


@dataclass(frozen=True)
class TailCheck:
    """How the largest values sit in a fit: the count beyond its ``TAIL_Q`` quantile, the
    largest value, and the p-values of both under the fit.
    """

    beyond: int
    threshold: float
    largest: float
    count_p: float
    max_p: float

    @property
    def refused(self) -> bool:
        """Whether the fit's tail is too light for the values."""
        return min(self.count_p, self.max_p) < TAIL_ALPHA


def _survival(dist: Distribution, x: float) -> float:
    """``P(d > x)`` under ``dist``, accurate far out in the tail (a frozen scipy law where there is one)."""
    law = frozen(dist)
    if law is not None:
        return float(law.sf(x))
    lo, hi = 0.0, 1.0  # invert the quantile function by bisection
    for _ in range(60):
        mid = (lo + hi) / 2
        if dist.quantile(mid) <= x:
            lo = mid
        else:
            hi = mid
    return 1.0 - lo


def tail_check(values: np.ndarray, dist: Distribution, resolution: float) -> TailCheck:
    """The tail check of ``values`` against ``dist`` (see the module docstring).

    A value measured on a ``resolution`` grid may read up to one step above the duration
    it measures, so values are compared one step down.
    """
    x = np.sort(np.asarray(values, dtype=float))
    n = len(x)
    threshold = float(dist.quantile(TAIL_Q))
    beyond = int(np.sum(x - resolution > threshold))
    count_p = float(stats.binom.sf(beyond - 1, n, 1 - TAIL_Q)) if beyond else 1.0
    largest = float(x[-1])
    sf = _survival(dist, largest - resolution)
    max_p = 1.0 if sf >= 1.0 else float(-math.expm1(n * math.log1p(-sf)))  # P(max of n draws > largest)
    return TailCheck(beyond, threshold, largest, count_p, max_p)
