"""Durations of pod lifecycle phases: value objects (``families``) and their spec strings (``spec``)."""

from rollsim.distributions.families import (
    Constant,
    Distribution,
    DistributionError,
    Empirical,
    Exponential,
    Gamma,
    LogNormal,
    Uniform,
)
from rollsim.distributions.spec import parse_distribution

__all__ = [
    "Constant",
    "Distribution",
    "DistributionError",
    "Empirical",
    "Exponential",
    "Gamma",
    "LogNormal",
    "Uniform",
    "parse_distribution",
]
