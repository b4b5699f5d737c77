"""What the replications of one setting say: duration statistics, worst availability, verdicts.

Pure functions over the per-replication summaries of one setting. The window is judged
with a one-sided normal tolerance bound: the duration that, with ``confidence``, at
least ``probability`` of rollouts finish within (the noncentral-t factor of Krishnamoorthy
and Mathew, *Statistical Tolerance Regions*, 2009, §2.2). Few replications make the
bound wide, which is why the search adds replications when a verdict is not clear.
Whether one setting is as fast as another is ``rollsim.plan.pace``'s paired comparison.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rollsim.plan.candidates import Setting
from rollsim.plan.constraints import Constraints

__all__ = ["Evidence", "tolerance_bound", "quantile_interval", "fastest_paired"]


def tolerance_bound(values: Sequence[float] | np.ndarray, probability: float, confidence: float) -> float:
    """Upper bound U with P(P(D ≤ U) ≥ probability) = confidence, D normal; inf if any is inf."""
    x = np.asarray(values, dtype=float)
    if len(x) == 0 or not np.all(np.isfinite(x)):
        return math.inf
    if len(x) == 1:
        return math.inf if np.std(x) > 0 else float(x[0])
    sd = float(np.std(x, ddof=1))
    if sd == 0:
        return float(x[0])
    from scipy import stats  # imported here: scipy.stats takes seconds to import, and ``import rollsim`` loads this

    n = len(x)
    k = float(stats.nct.ppf(confidence, df=n - 1, nc=stats.norm.ppf(probability) * math.sqrt(n))) / math.sqrt(n)
    return float(np.mean(x)) + k * sd


def quantile_interval(values: Sequence[float] | np.ndarray, q: float, level: float = 0.95, seed: int = 0,
                      resamples: int = 2000) -> tuple[float, float]:
    """A percentile-bootstrap interval of the ``q`` quantile (NaN with fewer than 3 values)."""
    x = np.asarray(values, dtype=float)
    if len(x) < 3 or not np.all(np.isfinite(x)):
        return math.nan, math.nan
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1,)))
    draws = np.quantile(rng.choice(x, size=(resamples, len(x)), replace=True), q, axis=1)
    lo, hi = np.quantile(draws, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def _duration(summary: Mapping[str, Any]) -> float:
    d = summary.get("duration_s")
    return math.inf if not summary.get("completed") or d is None else float(d)


@dataclass(frozen=True)
class Evidence:
    """The summaries of one setting's replications (replication r ran with the r-th common seed)."""

    setting: Setting
    summaries: tuple[Mapping[str, Any], ...]

    @property
    def replications(self) -> int:
        """How many replications were run."""
        return len(self.summaries)

    @property
    def durations(self) -> np.ndarray:
        """The rollout duration of each replication (inf where it did not finish)."""
        return np.array([_duration(s) for s in self.summaries], dtype=float)

    @property
    def completed(self) -> bool:
        """Whether every replication's rollout finished."""
        return all(bool(s.get("completed")) for s in self.summaries)

    @property
    def mean(self) -> float:
        """The mean duration over all replications (inf if one did not finish)."""
        return self.mean_over(self.replications)

    def mean_over(self, n: int) -> float:
        """The mean duration of the first ``n`` replications (inf if one did not finish)."""
        d = self.durations[:n]
        return float(np.mean(d)) if len(d) and np.all(np.isfinite(d)) else math.inf

    def quantile(self, q: float) -> float:
        """The ``q`` quantile of the durations (inf if one did not finish)."""
        d = self.durations
        return float(np.quantile(d, q)) if np.all(np.isfinite(d)) else math.inf

    @property
    def worst_availability(self) -> float:
        """The lowest available fraction any replication reached."""
        return min(float(s["min_available_fraction"]) for s in self.summaries)

    @property
    def max_surge_observed(self) -> int:
        """The most surge pods any replication had at once."""
        return max(int(s.get("max_surge_observed") or 0) for s in self.summaries)

    def window_bound(self, c: Constraints) -> float:
        """The tolerance bound on the duration for the window's probability and confidence."""
        return tolerance_bound(self.durations, c.window_probability, c.confidence)

    def meets_floor(self, c: Constraints) -> bool:
        """Every replication kept the floor (a tiny slack for float division)."""
        return self.completed and self.worst_availability >= c.min_available_fraction - 1e-12

    def meets_window(self, c: Constraints) -> bool:
        """The window bound fits the maintenance window (or there is no window)."""
        return c.window_s is None or self.window_bound(c) <= c.window_s

    def window_unclear(self, c: Constraints) -> bool:
        """The estimate meets the window but the bound does not: more replications may settle it."""
        if c.window_s is None or not self.completed:
            return False
        return self.quantile(c.window_probability) <= c.window_s < self.window_bound(c)

    def row(self, c: Constraints, seed: int = 0) -> dict[str, Any]:
        """The statistics of this setting as a flat row (candidates.csv, plan.json)."""
        d = self.durations
        finite = bool(np.all(np.isfinite(d)))
        p50_lo, p50_hi = quantile_interval(d, 0.5, seed=seed)
        p95_lo, p95_hi = quantile_interval(d, 0.95, seed=seed)
        return {
            "replications": self.replications,
            "completed": self.completed,
            "duration_mean_s": self.mean,
            "duration_p50_s": float(np.median(d)) if finite else math.inf,
            "duration_p50_ci_low_s": p50_lo, "duration_p50_ci_high_s": p50_hi,
            "duration_p95_s": self.quantile(0.95),
            "duration_p95_ci_low_s": p95_lo, "duration_p95_ci_high_s": p95_hi,
            "window_bound_s": self.window_bound(c),
            "worst_availability": self.worst_availability,
            "max_surge_observed": self.max_surge_observed,
            "unavailable_node_seconds_mean": float(np.mean([s["unavailable_node_seconds"] for s in self.summaries])),
        }


def fastest_paired(evidence: Sequence[Evidence]) -> Evidence:
    """The setting of ``evidence`` (not empty) with the lowest mean duration over the replications
    every one of them ran: replication r runs the r-th common seed, so the means are of the same
    seeds, and a setting given more replications (an unclear window verdict) is not set against
    another's fewer.
    """
    common = min(e.replications for e in evidence)
    return min(evidence, key=lambda e: e.mean_over(common))
