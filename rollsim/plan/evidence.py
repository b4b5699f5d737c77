"""What the replications of one setting say: duration statistics, worst availability, verdicts.

Pure functions over the per-replication summaries of one setting. The window is judged
with a one-sided normal tolerance bound (``WindowRule``): the duration that, with
``confidence``, at least ``probability`` of rollouts finish within (the noncentral-t factor
of Krishnamoorthy and Mathew, *Statistical Tolerance Regions*, 2009, §2.2). Few
replications make the bound wide, which is why the search adds replications when a verdict
is not clear, and looks again: each look spends a share of the confidence (``look_level``).
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

__all__ = ["Evidence", "WindowRule", "fastest_paired", "look_level", "quantile_interval", "tolerance_bound"]


def tolerance_bound(values: Sequence[float] | np.ndarray, probability: float, confidence: float) -> float:
    """Upper bound U with P(P(D ≤ U) ≥ probability) = confidence, D normal; inf if any is inf, or
    with one duration alone (its spread unknown: audit 14, it was that duration).

    Rollout durations are not normal (skewed to the right; a straggler's late Ready makes a
    second, slower cluster of runs), and under that the bound errs more often than
    ``confidence`` says: audit 14 found a setting whose true p95 was the window meeting it in
    16–29% of simulated plans with the default timings. A bound on the log durations erred
    3.2–3.8%, but on such a bimodal distribution it is far too wide (a 30-node plan whose runs'
    p95 was 11 minutes could not meet a 30-minute window with 40 runs), so it is not used; a
    distribution-free bound needs 59 runs or more. README, "Where the plan's claims are weaker
    than they read".
    """
    x = np.asarray(values, dtype=float)
    if len(x) < 2 or not np.all(np.isfinite(x)):
        return math.inf
    sd = float(np.std(x, ddof=1))
    if sd == 0:
        return float(x[0])
    from scipy import stats  # imported here: scipy.stats takes seconds to import, and ``import rollsim`` loads this

    n = len(x)
    k = float(stats.nct.ppf(confidence, df=n - 1, nc=stats.norm.ppf(probability) * math.sqrt(n))) / math.sqrt(n)
    return float(np.mean(x)) + k * sd


def look_level(confidence: float, looks: int) -> float:
    """The one-sided level of each look at a verdict looked at up to ``looks`` times, so that
    all of them together hold at ``confidence``: ``1 − (1 − confidence) / looks`` (Bonferroni:
    by the union bound, the chance that any look errs is at most the sum of the looks' shares).

    The search adds replications while a verdict is unclear, doubling them along its ladder
    (5, 10, 20, 40: ``SearchSettings.ladder``), and looks again at each count, stopping at the
    first clear verdict. Each look at the full confidence would err more often over all of
    them (optional stopping): a setting whose true p95 is exactly the window (normal durations)
    met it in 14.0% of 20,000 simulated plans at 95% a look, in 4.1% at 98.75%
    (``benchmarks/plan_window.py``). 95% over four looks is 98.75% a look. Both verdicts that
    are looked at so use it: the window (``WindowRule``) and "as fast" (``rollsim.plan.pace.PaceRule``).
    """
    return 1 - (1 - confidence) / looks


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
        """The mean duration over all replications (inf if one did not finish, or none ran)."""
        return self.mean_over(self.replications) if self.replications else math.inf

    def first(self, n: int) -> np.ndarray:
        """The durations of the first ``n`` replications: the r-th common seed's for r < ``n``, so
        those of two settings are over the same seeds. ``ValueError`` for ``n`` above the
        replications run (or below 1): fewer would be a mean over other seeds, silently.
        """
        if not 1 <= n <= self.replications:
            raise ValueError(f"{self.setting.key()} ran {self.replications} replications, not the first {n}")
        return self.durations[:n]

    def mean_over(self, n: int) -> float:
        """The mean duration of the first ``n`` replications (inf if one did not finish; ``first``
        refuses an ``n`` above the replications run).
        """
        d = self.first(n)
        return float(np.mean(d)) if np.all(np.isfinite(d)) else math.inf

    def median_over(self, n: int) -> float:
        """The median duration of the first ``n`` replications (inf if one did not finish)."""
        d = self.first(n)
        return float(np.median(d)) if np.all(np.isfinite(d)) else math.inf

    def row_over(self, n: int) -> dict[str, Any]:
        """The mean and median duration of the first ``n`` replications, with ``n``: the columns
        of candidates.csv that compare from setting to setting when ``n`` is the replications every
        one of them ran (the same seeds), where each setting's own counts differ.
        """
        return {"common_replications": n, "duration_mean_common_s": self.mean_over(n),
                "duration_p50_common_s": self.median_over(n)}

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

    def keeps_floor(self, c: Constraints) -> bool:
        """No replication fell below the floor while it ran, finished or not (a tiny slack for
        float division): what a larger budget can only worsen, so what the top's search bisects on.
        """
        return self.worst_availability >= c.min_available_fraction - 1e-12

    def meets_floor(self, c: Constraints) -> bool:
        """Every replication finished and kept the floor (``keeps_floor``)."""
        return self.completed and self.keeps_floor(c)

    def row(self, window: WindowRule, seed: int = 0) -> dict[str, Any]:
        """The statistics of this setting as a flat row (candidates.csv, plan.json); the window
        bound is the one ``window`` judges by.
        """
        d = self.durations
        finite = bool(np.all(np.isfinite(d)))
        # (no interval of the p95: a bootstrap never reaches past the largest run, which at 5 runs is
        # under the true p95 more often than not, and covered it in 22% of simulated plans: audit 14)
        p50_lo, p50_hi = quantile_interval(d, 0.5, seed=seed)
        return {
            "replications": self.replications,
            "completed": self.completed,
            "duration_mean_s": self.mean,
            "duration_p50_s": float(np.median(d)) if finite else math.inf,
            "duration_p50_ci_low_s": p50_lo, "duration_p50_ci_high_s": p50_hi,
            "duration_p95_s": self.quantile(0.95),
            "window_bound_s": window.bound(self),
            "worst_availability": self.worst_availability,
            "max_surge_observed": self.max_surge_observed,
            # why a setting has no duration: runs that stalled, or ran into the horizon (the figures say which)
            "runs_unfinished": int(np.sum(~np.isfinite(d))),
            "runs_stalled": sum(1 for s in self.summaries if s.get("stalled")),
            "unavailable_node_seconds_mean": float(np.mean([s["unavailable_node_seconds"] for s in self.summaries])),
        }


@dataclass(frozen=True, slots=True)
class WindowRule:
    """What "meets the window" means: with ``confidence``, at least ``probability`` of rollouts
    finish within ``window_s`` (None: no window), a verdict looked at up to ``looks`` times.

    Each look takes the one-sided tolerance bound at ``level`` (``look_level``): it meets the
    window when the bound is within it, and is unclear while the estimate (the durations'
    ``probability`` quantile) is within the window but the bound is not; then the search adds
    replications and looks again. ``SearchSettings.window_rule`` gives the search's rule.
    """

    window_s: float | None = None
    probability: float = 0.95
    confidence: float = 0.95
    looks: int = 1

    def __post_init__(self) -> None:
        for name in ("probability", "confidence"):
            if not 0 < getattr(self, name) < 1:
                raise ValueError(f"{name} must be strictly between 0 and 1, got {getattr(self, name)!r}")
        if self.looks < 1:
            raise ValueError(f"looks must be positive, got {self.looks!r}")

    @classmethod
    def of(cls, c: Constraints, looks: int = 1) -> WindowRule:
        """The window of ``c`` (its probability and confidence), looked at up to ``looks`` times."""
        return cls(c.window_s, c.window_probability, c.confidence, looks)

    @property
    def level(self) -> float:
        """The one-sided level of each look's bound."""
        return look_level(self.confidence, self.looks)

    def bound(self, e: Evidence) -> float:
        """The tolerance bound on ``e``'s duration that a look judges against the window."""
        return tolerance_bound(e.durations, self.probability, self.level)

    def meets(self, e: Evidence) -> bool:
        """The bound fits the window (or there is no window)."""
        return self.window_s is None or self.bound(e) <= self.window_s

    def unclear(self, e: Evidence) -> bool:
        """The estimate meets the window but the bound does not: more replications may settle it."""
        if self.window_s is None or not e.completed:
            return False
        return e.quantile(self.probability) <= self.window_s < self.bound(e)


def fastest_paired(evidence: Sequence[Evidence]) -> Evidence:
    """The setting of ``evidence`` (not empty) with the lowest mean duration over the replications
    every one of them ran: replication r runs the r-th common seed, so the means are of the same
    seeds, and a setting given more replications (an unclear window verdict) is not set against
    another's fewer.
    """
    common = min(e.replications for e in evidence)
    return min(evidence, key=lambda e: e.mean_over(common))
