"""Is one setting as fast as another? A paired comparison over common seeds, with confidence bounds.

Replication r of every setting runs with the same seed (common random numbers), so
``d_r = a_r − b_r``, setting ``a``'s duration less the reference ``b``'s in replication r,
is the settings' difference and not the dice's, and spreads far less than either duration.
The slowdown of ``a`` against ``b`` is ``mean(d) / mean(b)`` over the n seeds both ran; its
one-sided bounds are Fieller's for the ratio of the paired means (``paired_slowdown``: the
reference's mean is uncertain too, Student's t with n − 1 degrees of freedom). They were
``(mean(d) ± t · sd(d) / √n) / mean(b)``, the reference's mean taken as exact; with the
straggler tail its error moves a 2% threshold by about ±0.35 points at 5 runs, and a pair truly
2.04% apart was called as fast in 18.6% of simulated plans (audit 14), 9.0% with Fieller's: still
more than 5%, as the paired differences are skewed too; shown over 10 seeds at least
(``min_seeds``), 5.0% (README, "Where the plan's claims are weaker than they read"). Against a
tolerance τ the verdict is

* ``AS_FAST`` when the upper bound is at most τ over ``min_seeds`` seeds at least: with
  confidence, no more than τ slower;
* ``SLOWER`` when the lower bound is above τ: with confidence, more than τ slower;
* ``UNCLEAR`` otherwise. The search adds replications to both settings while it is
  (``Search.settle``); still unclear at ``max_replications``, it counts as slower, so that
  "as fast" is claimed only where it was shown. Replications stop sooner when they are
  unlikely to show it (``futile``: less than a 10% chance that ``max_replications`` seeds
  would, predicted from the slowdown and spread seen): a setting beyond the tolerance would
  otherwise take the most replications to end where it started, unclear. Stopping so never
  calls anything as fast; it can only leave the answer a larger budget than the smallest
  as fast, which is why the chance is set low (at 50%, stopping when the slowdown seen plus
  the bound's margin at the most seeds is beyond τ, five seeds on a flat stretch of the
  curve gave up on counts 40 seeds show as fast: maxSurge 675 answered for 447).

A comparison may be looked at once at each replication count of the doubling ladder
(5, 10, 20, 40 by default: ``SearchSettings.ladder``), and stops at the first clear verdict.
Each look is therefore made at level ``1 − (1 − C) / looks`` (``rollsim.plan.evidence.look_level``,
as the window verdict's are): by the union bound the chance that a setting at least τ slower
is ever called as fast stays at most ``1 − C`` (as far as the t bound holds: it takes the
paired differences as roughly normal; ``tests/test_plan_pace.py`` measures the rate on
simulated plans). The knee search (``Search.knee``) tests several counts and answers the
smallest shown as fast, which could select a count that passed by chance; measured on
simulated families (``benchmarks/plan_knee.py``, ``tests/test_plan_knee.py``), its answer was
truly beyond τ in at most 4.1% of plans (3.5% of 1,000 with Fieller's bounds over 10 seeds at least), even with
every count it tests below the boundary just beyond τ, so the knee's verdicts use this rule
unchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rollsim.plan.evidence import Evidence, look_level

__all__ = ["AS_FAST", "SLOWER", "UNCLEAR", "Pace", "PaceRule"]

AS_FAST = "as fast"
SLOWER = "slower"
UNCLEAR = "unclear"

# below this predicted chance of being shown as fast with the most replications, none are added
FUTILE_CHANCE = 0.1


@dataclass(frozen=True, slots=True)
class Pace:
    """How a setting's durations compare with a reference's over the ``replications`` seeds both ran.

    ``slowdown`` is the relative difference of the means (0.03: 3% slower), ``low`` and
    ``high`` its one-sided bounds at the rule's level (``PaceRule.level``); ``verdict`` is ``AS_FAST``, ``SLOWER`` or
    ``UNCLEAR`` against the tolerance.
    """

    replications: int
    mean: float
    reference_mean: float
    slowdown: float
    low: float
    high: float
    verdict: str

    @property
    def as_fast(self) -> bool:
        """Shown to be within the tolerance (an unclear verdict is not)."""
        return self.verdict == AS_FAST

    @property
    def unclear(self) -> bool:
        """Neither shown within the tolerance nor shown beyond it."""
        return self.verdict == UNCLEAR


def paired_slowdown(a: np.ndarray, b: np.ndarray, level: float) -> tuple[float, float, float]:
    """The slowdown of durations ``a`` against ``b`` (paired, finite, the same length ≥ 1),
    ``mean(a) / mean(b) − 1``, and its one-sided lower and upper bounds at ``level`` (infinite with
    one pair, or a spread that leaves the ratio unbounded).

    The bounds are Fieller's for the ratio of the paired means: the r with
    ``mean(a − r·b) = ± t·sd(a − r·b)/√n``, so the reference's own mean is uncertain too (why,
    and what it changed: the module docstring).
    """
    point = float(np.mean(a - b)) / float(np.mean(b))
    n = len(a)
    if np.array_equal(a, b):  # a setting against itself (the fastest's own verdict): as fast, exactly
        return 0.0, 0.0, 0.0
    if n < 2:
        return point, -math.inf, math.inf
    cov = np.cov(np.vstack([a, b]), ddof=1)
    if cov[0, 0] == 0 and cov[1, 1] == 0:
        return point, point, point
    from scipy import stats  # imported here: scipy.stats takes seconds to import, and ``import rollsim`` loads this

    ma, mb = float(np.mean(a)), float(np.mean(b))
    q = float(stats.t.ppf(level, df=n - 1)) ** 2 / n
    # (ma − r·mb)² = q·(saa − 2r·sab + r²·sbb), a quadratic in r: A r² − 2B r + C = 0
    big_a = mb * mb - q * cov[1, 1]
    big_b = ma * mb - q * cov[0, 1]
    big_c = ma * ma - q * cov[0, 0]
    if big_a <= 0:  # the reference's mean not told from 0: no bounded interval
        return point, -math.inf, math.inf
    # never negative but for rounding: the point estimate itself satisfies the inequality
    root = math.sqrt(max(big_b * big_b - big_a * big_c, 0.0))
    return point, float((big_b - root) / big_a - 1), float((big_b + root) / big_a - 1)


@dataclass(frozen=True, slots=True)
class PaceRule:
    """What "as fast" means: within ``tolerance`` of the reference's mean duration, shown with
    ``confidence`` over a comparison looked at up to ``looks`` times (see the module docstring).
    """

    tolerance: float = 0.02
    confidence: float = 0.95
    looks: int = 1
    # the fewest seeds an "as fast" verdict is shown over: with 5, a pair truly 2.04% apart on the
    # straggler tail was called as fast in 9.1% of plans resampled from audit 14's runs; 10, 5.0%
    min_seeds: int = 1

    def __post_init__(self) -> None:
        if not 0 <= self.tolerance < 1:
            raise ValueError(f"tolerance must be in [0, 1), got {self.tolerance!r}")
        if not 0 < self.confidence < 1:
            raise ValueError(f"confidence must be strictly between 0 and 1, got {self.confidence!r}")
        if self.looks < 1:
            raise ValueError(f"looks must be positive, got {self.looks!r}")
        if self.min_seeds < 1:
            raise ValueError(f"min_seeds must be positive, got {self.min_seeds!r}")

    @property
    def level(self) -> float:
        """The one-sided level of each look's bounds (``look_level``)."""
        return look_level(self.confidence, self.looks)

    def futile(self, p: Pace, most: int) -> bool:
        """An unclear verdict with less than ``FUTILE_CHANCE`` of being shown as fast at ``most``
        seeds: the predictive chance that the slowdown then, plus the bound's margin then, is
        within the tolerance, given the slowdown and the spread ``s`` of a paired difference seen
        over n seeds (the slowdown at ``most`` seeds is predicted about the one seen with
        variance ``s² (1/n − 1/most)``).
        """
        n = p.replications
        if not p.unclear or n < 2 or not math.isfinite(p.high) or n >= most:
            return False
        from scipy import stats

        t_now, t_most = (float(stats.t.ppf(self.level, df=k - 1)) for k in (n, most))
        spread = (p.high - p.slowdown) * math.sqrt(n) / t_now  # of one paired difference, relative
        margin = t_most * spread / math.sqrt(most)
        shift = spread * math.sqrt(1 / n - 1 / most)
        if shift <= 0:  # no spread seen (unclear only for want of seeds, ``min_seeds``): more show it, or never
            return p.slowdown > self.tolerance
        return float(stats.norm.cdf((self.tolerance - margin - p.slowdown) / shift)) < FUTILE_CHANCE

    def compare(self, e: Evidence, reference: Evidence) -> Pace:
        """How ``e`` compares with ``reference`` over the replications both ran (replication r is
        the r-th common seed). A run of ``e`` that did not finish makes it slower; one of the
        reference's alone, as fast.
        """
        n = min(e.replications, reference.replications)
        a, b = e.durations[:n], reference.durations[:n]
        mine, theirs = (float(np.mean(x)) if n else math.nan for x in (a, b))
        if n == 0:
            return Pace(0, mine, theirs, math.nan, -math.inf, math.inf, UNCLEAR)
        if not np.all(np.isfinite(a)):
            return Pace(n, mine, theirs, math.inf, math.inf, math.inf, SLOWER)
        if not np.all(np.isfinite(b)):
            return Pace(n, mine, theirs, -math.inf, -math.inf, -math.inf, AS_FAST)
        point, low, high = paired_slowdown(a, b, self.level)
        shown = high <= self.tolerance and (n >= self.min_seeds or np.array_equal(a, b))
        verdict = AS_FAST if shown else SLOWER if low > self.tolerance else UNCLEAR
        return Pace(n, mine, theirs, point, low, high, verdict)
