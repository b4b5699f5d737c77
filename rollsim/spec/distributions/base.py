"""What every phase-duration family is: a ``Distribution`` with exact moments and quantiles.

A distribution is a non-negative random duration in seconds (``rollsim.spec.distributions.families``,
``empirical`` and ``stragglers`` hold the families). This module holds their common base, the
error their validation raises, and the checks and formatting they share: every parameter is a
finite, non-negative number, and ``str(d)`` writes each number so that it parses back exactly.
"""

from __future__ import annotations

import math
import numbers
from abc import ABC, abstractmethod
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["Distribution", "DistributionError"]


class DistributionError(ValueError):
    """A distribution spec or parameter is invalid; the message says what and where."""


def _fmt(x: float) -> str:
    """Shortest text that parses back to exactly ``x`` (integers without ``.0``)."""
    return str(int(x)) if x.is_integer() and abs(x) < 1e16 else repr(x)


def _real(family: str, name: str, x: Any, positive: bool = False) -> float:
    """``x`` as a finite, non-negative float (``positive``: greater than 0), or a DistributionError
    naming it and the rule it breaks: ``> 0`` for a parameter 0 would fail too, never ``>= 0``.
    """
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise DistributionError(f"{family}: {name} must be a number, got {x!r}")
    x = float(x)
    if not math.isfinite(x):
        raise DistributionError(f"{family}: {name} ({x}) must be a finite number")
    if x < 0 or (positive and x == 0):
        raise DistributionError(f"{family}: {name} ({_fmt(x)}) must be {'>' if positive else '>='} 0")
    return x + 0.0  # turns -0.0 into 0.0


def _exp(x: float) -> float:
    """``math.exp`` that overflows to ``inf`` instead of raising."""
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _check_q(q: float) -> float:
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"quantile level q must be in [0, 1], got {q!r}")
    return float(q)


class Distribution(ABC):
    """A non-negative duration in seconds with exact moments and quantiles."""

    __slots__ = ()

    @property
    @abstractmethod
    def mean(self) -> float:
        """The exact mean."""

    @property
    @abstractmethod
    def variance(self) -> float:
        """The exact variance."""

    @abstractmethod
    def sample(
        self, rng: np.random.Generator, size: int | None = None
    ) -> float | NDArray[np.float64]:
        """One draw as a float (``size=None``) or a float64 array of ``size`` draws."""

    @abstractmethod
    def quantile(self, q: float) -> float:
        """The value below which a fraction ``q`` of draws fall."""

    @abstractmethod
    def __str__(self) -> str:
        """Canonical spec string, parsed back to an equal object."""
