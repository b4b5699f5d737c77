"""Durations of pod lifecycle phases: value objects (``base``, ``families``, ``empirical``,
``stragglers``) and their spec strings (``spec``).
"""

from rollsim.spec.distributions.base import Distribution, DistributionError
from rollsim.spec.distributions.empirical import Empirical
from rollsim.spec.distributions.families import Constant, Exponential, Gamma, LogNormal, Uniform
from rollsim.spec.distributions.spec import parse_distribution, split_spec_hint
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
    "split_spec_hint",
]
