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
from rollsim.spec.distributions.stragglers import Stragglers

__all__ = [
    "Constant",
    "Distribution",
    "DistributionError",
    "Empirical",
    "Exponential",
    "Gamma",
    "LogNormal",
    "Stragglers",
    "Uniform",
    "parse_distribution",
]
