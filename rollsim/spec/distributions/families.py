"""Durations of pod lifecycle phases, as small value objects parsed from spec strings.

How long the kubelet takes to pull an image, how long a container takes to become
Ready, how long termination takes: each is a non-negative random duration in
seconds, written in a scenario as a spec string such as ``"2"``,
``"exponential(mean=3)"`` or ``"lognormal(median=1.1, p95=1.7)"``.

Each distribution knows its exact mean, variance and quantiles, so simulations
can be checked against theory, and ``str(d)`` is a canonical spec that
``parse_distribution`` reads back to an equal object. Sampling uses only the
generator passed in, never global random state.

Specs are read by ``rollsim.spec.distributions.spec.parse_distribution``.
The common base and its checks are in ``rollsim.spec.distributions.base``; resampling from
measured values is ``rollsim.spec.distributions.empirical.Empirical``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np
from numpy.typing import NDArray

from rollsim.spec.distributions.base import Distribution, DistributionError, _check_q, _exp, _fmt, _real

__all__ = [
    "Constant",
    "Exponential",
    "Gamma",
    "LogNormal",
    "Uniform",
]

#: Standard normal 95th percentile: ``p95 = median * exp(sigma * Z95)``.
Z95 = 1.6448536269514722
#: Below this cv a gamma's spread is under float resolution: it is its mean.
_TINY_CV = 1e-16


@dataclass(frozen=True, slots=True)
class Constant(Distribution):
    """Always ``value`` seconds."""

    value: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", _real("constant", "value", self.value))

    @property
    def mean(self) -> float:
        """The mean: ``value``."""
        return self.value

    @property
    def variance(self) -> float:
        """No spread: 0."""
        return 0.0

    def sample(
        self, rng: np.random.Generator, size: int | None = None
    ) -> float | NDArray[np.float64]:
        """``value`` (a float, or ``size`` copies)."""
        return self.value if size is None else np.full(size, self.value, dtype=np.float64)

    def quantile(self, q: float) -> float:
        """``value`` at every level."""
        _check_q(q)
        return self.value

    def __str__(self) -> str:
        return f"constant({_fmt(self.value)})"


@dataclass(frozen=True, slots=True)
class Exponential(Distribution):
    """Memoryless duration with the given ``mean`` (0 means always 0)."""

    # field() keeps dataclass from taking the base's abstract ``mean`` as a default
    mean: float = field()

    def __post_init__(self) -> None:
        object.__setattr__(self, "mean", _real("exponential", "mean", self.mean))

    @property
    def variance(self) -> float:
        """The exponential's variance, ``mean**2``."""
        return self.mean * self.mean

    def sample(
        self, rng: np.random.Generator, size: int | None = None
    ) -> float | NDArray[np.float64]:
        """Draws from ``rng.exponential``."""
        draw = rng.exponential(self.mean, size)
        return float(draw) if size is None else draw

    def quantile(self, q: float) -> float:
        """The inverse CDF, ``-mean * log(1 - q)``."""
        q = _check_q(q)
        if self.mean == 0.0:
            return 0.0
        return math.inf if q == 1.0 else -self.mean * math.log1p(-q)

    def __str__(self) -> str:
        return f"exponential(mean={_fmt(self.mean)})"


@dataclass(frozen=True, slots=True)
class Uniform(Distribution):
    """Equally likely anywhere in ``[low, high]``."""

    low: float
    high: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "low", _real("uniform", "low", self.low))
        object.__setattr__(self, "high", _real("uniform", "high", self.high))
        if self.low > self.high:
            raise DistributionError(
                f"uniform: low ({_fmt(self.low)}) must be <= high ({_fmt(self.high)})"
            )

    @property
    def mean(self) -> float:
        """The midpoint of ``[low, high]``."""
        return self.low + (self.high - self.low) / 2.0

    @property
    def variance(self) -> float:
        """``(high - low)**2 / 12``."""
        width = self.high - self.low
        return width * width / 12.0

    def sample(
        self, rng: np.random.Generator, size: int | None = None
    ) -> float | NDArray[np.float64]:
        """Draws from ``rng.uniform``."""
        draw = rng.uniform(self.low, self.high, size)
        return float(draw) if size is None else draw

    def quantile(self, q: float) -> float:
        """``low + q * (high - low)``."""
        return min(self.high, self.low + _check_q(q) * (self.high - self.low))

    def __str__(self) -> str:
        return f"uniform(low={_fmt(self.low)}, high={_fmt(self.high)})"


@dataclass(frozen=True, slots=True)
class LogNormal(Distribution):
    """Right-skewed duration given by its ``median`` and 95th percentile ``p95``.

    ``p95 == median`` is allowed and gives sigma 0 (always the median).
    """

    median: float
    p95: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "median", _real("lognormal", "median", self.median, positive=True))
        object.__setattr__(self, "p95", _real("lognormal", "p95", self.p95))
        if self.p95 < self.median:
            raise DistributionError(
                f"lognormal: p95 ({_fmt(self.p95)}) must be >= median ({_fmt(self.median)})"
            )

    @property
    def sigma(self) -> float:
        """Standard deviation of the log of the duration."""
        return (math.log(self.p95) - math.log(self.median)) / Z95

    @property
    def mean(self) -> float:
        """``median * exp(sigma**2 / 2)``."""
        return self.median * _exp(self.sigma**2 / 2.0)

    @property
    def variance(self) -> float:
        """``median**2 * exp(sigma**2) * (exp(sigma**2) - 1)``, computed in logs."""
        s2 = self.sigma**2
        if s2 == 0.0:
            return 0.0
        # median**2 * exp(s2) * (exp(s2) - 1), in logs so no factor overflows alone
        return _exp(2.0 * math.log(self.median) + 2.0 * s2 + math.log(-math.expm1(-s2)))

    def sample(
        self, rng: np.random.Generator, size: int | None = None
    ) -> float | NDArray[np.float64]:
        """Draws from ``rng.lognormal`` with ``log(median)`` and ``sigma``."""
        draw = rng.lognormal(math.log(self.median), self.sigma, size)
        return float(draw) if size is None else draw

    def quantile(self, q: float) -> float:
        """``median * exp(sigma * z_q)``."""
        q = _check_q(q)
        if self.sigma == 0.0 or q == 0.5:
            return self.median
        if q == 0.0:
            return 0.0
        if q == 1.0:
            return math.inf
        return self.median * _exp(self.sigma * NormalDist().inv_cdf(q))

    def __str__(self) -> str:
        return f"lognormal(median={_fmt(self.median)}, p95={_fmt(self.p95)})"


@dataclass(frozen=True, slots=True)
class Gamma(Distribution):
    """Duration with the given ``mean`` and coefficient of variation ``cv``.

    Shape ``k = 1/cv**2`` and scale ``mean/k``; ``cv=1`` is the exponential.
    Quantiles invert the regularized incomplete gamma function (``scipy.special.gammaincinv``).
    """

    mean: float = field()  # see Exponential
    cv: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "mean", _real("gamma", "mean", self.mean, positive=True))
        object.__setattr__(self, "cv", _real("gamma", "cv", self.cv, positive=True))
        if self.shape == 0.0 or math.isinf(self.scale):
            raise DistributionError(
                f"gamma: cv ({_fmt(self.cv)}) is too large for mean ({_fmt(self.mean)}); "
                "shape 1/cv**2 or scale mean*cv**2 leaves the float range"
            )

    @property
    def shape(self) -> float:
        """Shape parameter ``k``."""
        return 1.0 / self.cv / self.cv

    @property
    def scale(self) -> float:
        """Scale parameter ``theta``; ``mean = k * theta``."""
        return self.mean * self.cv * self.cv

    @property
    def variance(self) -> float:
        """``(mean * cv)**2``."""
        sd = self.mean * self.cv
        return sd * sd

    def sample(
        self, rng: np.random.Generator, size: int | None = None
    ) -> float | NDArray[np.float64]:
        """Draws from ``rng.gamma`` with ``shape`` and ``scale`` (the mean when cv is negligible)."""
        if self.cv < _TINY_CV:  # the shape would overflow; the spread is invisible anyway
            return Constant(self.mean).sample(rng, size)
        draw = rng.gamma(self.shape, self.scale, size)
        return float(draw) if size is None else draw

    def quantile(self, q: float) -> float:
        """The inverse regularized incomplete gamma function, times ``scale``."""
        q = _check_q(q)
        if self.cv < _TINY_CV:
            return self.mean
        from scipy.special import gammaincinv  # here: scipy costs 0.2 s to import, and few runs need it

        return float(gammaincinv(self.shape, q)) * self.scale

    def __str__(self) -> str:
        return f"gamma(mean={_fmt(self.mean)}, cv={_fmt(self.cv)})"

