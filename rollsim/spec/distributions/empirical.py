"""A duration resampled from observed values (e.g. measured image pull times).

``empirical(1.2, 0.8, 3.4)`` draws uniformly, with replacement, from the values given; its
moments and quantiles are those of the values themselves. Calibration
(``rollsim.io.calibrate.fitting``) chooses one when it rejects every parametric family.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from rollsim.spec.distributions.base import Distribution, DistributionError, _check_q, _fmt, _real

__all__ = ["Empirical"]


@dataclass(frozen=True, slots=True)
class Empirical(Distribution):
    """Resamples uniformly from observed ``values`` (e.g. measured pull times)."""

    values: tuple[float, ...]

    def __post_init__(self) -> None:
        if isinstance(self.values, (str, bytes)) or not hasattr(self.values, "__iter__"):
            raise DistributionError(f"empirical: values must be a sequence, got {self.values!r}")
        values = tuple(_real("empirical", "value", v) for v in self.values)
        if not values:
            raise DistributionError("empirical: needs at least one value")
        object.__setattr__(self, "values", values)

    @property
    def mean(self) -> float:
        """The mean of ``values``."""
        n = len(self.values)
        try:
            return math.fsum(self.values) / n
        except OverflowError:
            return math.fsum(v / n for v in self.values)

    @property
    def variance(self) -> float:
        """The population variance of ``values``."""
        m = self.mean
        return math.fsum((v - m) * (v - m) for v in self.values) / len(self.values)

    def sample(
        self, rng: np.random.Generator, size: int | None = None
    ) -> float | NDArray[np.float64]:
        """Draws uniformly from ``values``, with replacement."""
        index = rng.integers(len(self.values), size=size)
        if size is None:
            return self.values[int(index)]
        return np.asarray(self.values, dtype=np.float64)[index]

    def quantile(self, q: float) -> float:
        """The ``q`` quantile of ``values`` (numpy's linear interpolation)."""
        return float(np.quantile(np.asarray(self.values, dtype=np.float64), _check_q(q)))

    def __str__(self) -> str:
        return f"empirical({', '.join(_fmt(v) for v in self.values)})"
