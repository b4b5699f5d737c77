"""Durations of pod lifecycle phases: value objects (``families``) and their spec strings (``spec``)."""

from rollsim.spec.distributions.families import (
    Constant,
    Distribution,
    DistributionError,
    Empirical,
    Exponential,
    Gamma,
    LogNormal,
    Uniform,
)
from rollsim.spec.distributions.spec import parse_distribution

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
