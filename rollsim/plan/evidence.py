"""What the replications of one setting say: duration statistics, worst availability, verdicts.

Pure functions over the per-replication summaries of one setting. The window is judged
on an upper bound of the duration that, with ``confidence``, at least ``probability`` of
rollouts finish within (``WindowRule``). While a setting has few runs that bound is the
one-sided normal tolerance bound (the noncentral-t factor of Krishnamoorthy and Mathew,
*Statistical Tolerance Regions*, 2009, §2.2): a screen, which the search uses to find its
candidates; few replications make it wide, which is why the search adds replications when a
verdict is not clear, and looks again: each look spends a share of the confidence
(``look_level``). Rollout durations are not normal, so a setting is only recommended once it
has the runs a distribution-free bound needs (``runs_to_confirm``: 59 at p95 and 95%), and
from then on that bound judges it (``order_bound``, an order statistic of its runs).
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

__all__ = ["Evidence", "WindowRule", "fastest_paired", "healthy_view", "look_level", "order_bound", "order_quantile",
           "order_rank", "quantile_interval", "runs_to_confirm", "runs_to_confirm_refused", "tolerance_bound"]


def tolerance_bound(values: Sequence[float] | np.ndarray, probability: float, confidence: float) -> float:
    """Upper bound U with P(P(D ≤ U) ≥ probability) = confidence, D normal; inf if any is inf, or
    with one duration alone (its spread unknown: audit 14, it was that duration).

    Rollout durations are not normal (skewed to the right; a straggler's late Ready makes a
    second, slower cluster of runs), and under that the bound errs more often than
    ``confidence`` says: audit 14 found a setting whose true p95 was the window meeting it in
    16–29% of simulated plans with the default timings. So it only screens (``WindowRule``):
    what is recommended is judged by ``order_bound``. A bound on the log durations erred
    3.2–3.8%, but on such a bimodal distribution it is far too wide (a 30-node plan whose runs'
    p95 was 11 minutes could not meet a 30-minute window with 40 runs): not used.
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


def order_quantile(values: Sequence[float] | np.ndarray, q: float) -> float:
    """The ``q`` quantile of ``values`` as NumPy's default (linear) method gives it, where an infinite
    value (a run that did not finish) sorts last and a quantile that falls on or toward it is inf; one
    that falls among the finite values is theirs (``np.quantile`` gives NaN from inf - inf).
    """
    s = np.sort(np.asarray(values, dtype=float))
    at = q * (len(s) - 1)
    lo, frac = int(math.floor(at)), at - math.floor(at)
    if frac == 0 or not math.isfinite(s[lo + 1]):
        return float(s[lo]) if frac == 0 else math.inf
    return float(s[lo] + (s[lo + 1] - s[lo]) * frac)


def runs_to_confirm(probability: float, confidence: float) -> int:
    """The fewest runs from which a distribution-free upper bound on the ``probability`` quantile
    holds at ``confidence``: the largest of n runs is below that quantile with chance
    ``probability ** n``, so n is the least with ``probability ** n ≤ 1 − confidence`` (59 at
    p95 and 95%, 90 at 99%; 299 at p99 and 95%).
    """
    n = math.ceil(math.log(1 - confidence) / math.log(probability))
    return n if probability ** n <= 1 - confidence else n + 1  # (the logarithms' rounding)


def runs_to_confirm_refused(probability: float, confidence: float, window: bool = True) -> str | None:
    """Why a plan asking for ``probability`` at ``confidence`` is refused before any run: the runs
    its answer's distribution-free bound needs (``runs_to_confirm``) are beyond the replications
    limit (``needs 2,995 runs of the answer (...): <the limit's words>``); None when they are not.
    Without a ``window`` the probability is the share of rollouts that must finish where a family
    can stall, and an answer of such a family needs at least as many runs without a stall
    (``rollsim.plan.stalls.stall_free_runs`` for one setting is the same count).
    The CLI and ``plan()`` each put what asked for them in front.
    """
    from rollsim.spec.limits import LimitError, check_limit

    runs = runs_to_confirm(probability, confidence)
    try:
        check_limit("replications", runs)
    except LimitError as exc:
        why = (f"a distribution-free bound on its p{100 * probability:.10g}" if window else
               f"none stalled, to show at most {100 * (1 - probability):.10g}% stall where its family can")
        return f"needs {runs:,} runs of the answer ({why}): {exc}"
    return None


def order_rank(n: int, probability: float, confidence: float) -> int | None:
    """The rank k (1-based, ascending) of the order statistic X₍ₖ₎ of ``n`` runs that is a
    distribution-free upper bound on their ``probability`` quantile at ``confidence``: the least k
    with P(Binomial(n, probability) ≤ k − 1) ≥ ``confidence`` (fewer than k runs fall below the
    quantile, so X₍ₖ₎ is at or above it). None when even the largest is not (``n`` below
    ``runs_to_confirm``). Exact for any continuous distribution of independent runs (the
    replications' seeds are independent); ties only make it more conservative.
    """
    if n < 1:
        return None
    from scipy import stats  # imported here, as in tolerance_bound

    k = int(stats.binom.ppf(confidence, n, probability)) + 1  # least k with cdf(k − 1) ≥ confidence
    while k > 1 and stats.binom.cdf(k - 2, n, probability) >= confidence:  # ppf's floating point, both ways
        k -= 1
    while k <= n and stats.binom.cdf(k - 1, n, probability) < confidence:
        k += 1
    return k if k <= n else None


def order_bound(values: Sequence[float] | np.ndarray, probability: float, confidence: float) -> float:
    """The distribution-free upper bound on the ``probability`` quantile at ``confidence``:
    ``order_rank``'s order statistic of ``values``; inf when there are too few of them, or when any
    run did not finish (as ``tolerance_bound``: past 92 runs the statistic is no longer the largest,
    and would pass over an unfinished run; audit 15). With 59 runs at p95 and 95%, the largest.
    """
    x = np.sort(np.asarray(values, dtype=float))
    k = order_rank(len(x), probability, confidence)
    return math.inf if k is None or not np.all(np.isfinite(x)) else float(x[k - 1])


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


def healthy_view(summary: Mapping[str, Any]) -> Mapping[str, Any]:
    """A run as a plan judges it: one stopped only by NotReady nodes the DaemonSet should run on
    (``not-ready-nodes``) once every other desired node had its new pod available (``healthy_done_s``)
    is done then, not stalled, and marked ``healthy_only``. Their new pods never become available, so
    ``kubectl rollout status`` waits until they come back or their Node objects go, in every setting
    alike; a plan that waited for them had no answer for node-exporter or a CNI on any cluster with
    one NotReady node (audit 40). A run whose healthy nodes did not all finish (the NotReady nodes
    holding the whole budget) stays as it was.
    """
    done = summary.get("healthy_done_s")
    if summary.get("completed") or summary.get("stop_cause") != "not-ready-nodes" or done is None:
        return summary
    return {**summary, "completed": True, "stalled": False, "duration_s": float(done), "healthy_only": True}


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
    def unfinished(self) -> int:
        """How many replications did not finish (stalled, or still going at the runs' horizon)."""
        return int(np.sum(~np.isfinite(self.durations)))

    @property
    def stalled(self) -> int:
        """How many replications stalled (of the ``unfinished``; the others ran into the horizon)."""
        return sum(1 for s in self.summaries if s.get("stalled"))

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
        """The ``q`` quantile of the durations (inf if one did not finish): what the window rule judges by."""
        d = self.durations
        return float(np.quantile(d, q)) if np.all(np.isfinite(d)) else math.inf

    def shown_quantile(self, q: float) -> float:
        """The ``q`` quantile of the durations as tables and sentences give it: ``order_quantile``, in
        which a run that did not finish is longer than every run that did, so a median over 5 runs of
        which 2 were cut is the third finished run's duration, where ``quantile`` gives inf.
        """
        return order_quantile(self.durations, q)

    @property
    def worst_availability(self) -> float:
        """The lowest available fraction any replication reached."""
        return min(float(s["min_available_fraction"]) for s in self.summaries)

    @property
    def max_surge_observed(self) -> int:
        """The most surge pods any replication had at once."""
        return max(int(s.get("max_surge_observed") or 0) for s in self.summaries)

    @property
    def max_extra_pods(self) -> int | None:
        """The most pods beyond one a node any replication had at once, old pods terminating beside
        their new ones included (``max_extra_pods``); None for runs kept before that metric.
        """
        held = [s.get("max_extra_pods") for s in self.summaries]
        return max(int(h) for h in held if h is not None) if all(h is not None for h in held) else None

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
        # (no interval of the p95: a bootstrap never reaches past the largest run, which at 5 runs is
        # under the true p95 more often than not, and covered it in 22% of simulated plans: audit 14)
        p50_lo, p50_hi = quantile_interval(d, 0.5, seed=seed)
        return {
            "replications": self.replications,
            "completed": self.completed,
            "duration_mean_s": self.mean,
            "duration_p50_s": self.shown_quantile(0.5),
            "duration_p50_ci_low_s": p50_lo, "duration_p50_ci_high_s": p50_hi,
            "duration_p95_s": self.quantile(0.95),
            "window_bound_s": window.bound(self),
            "window_bound_kind": window.bound_kind(self),  # normal (a screen) or distribution-free (confirmed)
            "worst_availability": self.worst_availability,
            "max_surge_observed": self.max_surge_observed,
            # why a setting has no duration: runs that stalled, or ran into the horizon (the figures say which)
            "runs_unfinished": self.unfinished,
            "runs_stalled": self.stalled,
            "unavailable_node_seconds_mean": float(np.mean([s["unavailable_node_seconds"] for s in self.summaries])),
        }


@dataclass(frozen=True, slots=True)
class WindowRule:
    """What "meets the window" means: with ``confidence``, at least ``probability`` of rollouts
    finish within ``window_s`` (None: no window), a verdict looked at up to ``looks`` times.

    Two bounds, by the runs a setting has (``bound``). Below ``confirm_runs`` (59 at p95 and
    95%) the one-sided normal tolerance bound at ``level`` (``look_level``), a screen: a
    setting meets the window when the bound is within it, and is unclear while the estimate
    (the durations' ``probability`` quantile) is within the window but the bound is not; then
    the search adds replications and looks again. From ``confirm_runs`` on, the
    distribution-free ``order_bound`` at ``confidence``, which holds whatever the durations'
    shape: a setting is only recommended so confirmed (``needs_confirming``,
    ``rollsim.plan.answer.decide``). ``SearchSettings.window_rule`` gives the search's rule.
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
        """The one-sided level of each look's screening bound."""
        return look_level(self.confidence, self.looks)

    @property
    def confirm_runs(self) -> int:
        """The runs from which the distribution-free bound judges (``runs_to_confirm``)."""
        return runs_to_confirm(self.probability, self.confidence)

    def distribution_free(self, e: Evidence) -> bool:
        """Whether ``e`` is judged on the distribution-free bound (it has ``confirm_runs`` runs)."""
        return e.replications >= self.confirm_runs

    def bound(self, e: Evidence) -> float:
        """The bound on ``e``'s duration that its window verdict is judged on: ``order_bound`` at
        ``confidence`` once it has ``confirm_runs`` runs, else ``tolerance_bound`` at ``level``.
        """
        if self.distribution_free(e):
            return order_bound(e.durations, self.probability, self.confidence)
        return tolerance_bound(e.durations, self.probability, self.level)

    def bound_kind(self, e: Evidence) -> str:
        """Which bound ``bound`` is for ``e``, in words (``distribution-free: the longest of 59 runs``)."""
        n = e.replications
        if not self.distribution_free(e):
            return "normal tolerance bound"
        k = order_rank(n, self.probability, self.confidence) or n
        which = "the longest" if k == n else f"the {_ordinal(n - k + 1)} longest"
        return f"distribution-free: {which} of {n} runs"

    def meets(self, e: Evidence) -> bool:
        """The bound fits the window (or there is no window)."""
        return self.window_s is None or self.bound(e) <= self.window_s

    def needs_confirming(self, e: Evidence) -> bool:
        """``e`` meets the window on the screening bound alone: it needs ``confirm_runs`` runs before
        it can be recommended (never without a window).
        """
        return self.window_s is not None and not self.distribution_free(e) and self.meets(e)

    def unclear(self, e: Evidence) -> bool:
        """The estimate meets the window but the bound does not: more replications may settle it."""
        if self.window_s is None or not e.completed:
            return False
        return e.quantile(self.probability) <= self.window_s < self.bound(e)


def _ordinal(k: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``57th``."""
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


def fastest_paired(evidence: Sequence[Evidence]) -> Evidence:
    """The setting of ``evidence`` (not empty) with the lowest mean duration over the replications
    every one of them ran: replication r runs the r-th common seed, so the means are of the same
    seeds, and a setting given more replications (an unclear window verdict) is not set against
    another's fewer.
    """
    common = min(e.replications for e in evidence)
    return min(evidence, key=lambda e: e.mean_over(common))
