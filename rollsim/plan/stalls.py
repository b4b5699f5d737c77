"""Stall risk: how often a family's rollouts stalled, pooled over every setting of it simulated.

With maxSurge and minReadySeconds a rollout can stall, in the real controller as in realistic
mode (README, "With maxSurge and minReadySeconds it can stall a rollout"): a node's old pod
stays beside its available new one when the one re-check it asked for was dropped by the
delaying queue. That race belongs to the pair (surge, minReadySeconds), not to the exact
count: a setting whose own five runs all finished, beside one that stalled in one of five,
is not shown safe by its five. So the plan pools every run of a family (screened runs too:
each is a rollout of that family) and estimates the family's stall rate as stalls / runs,
with a one-sided Clopper–Pearson upper bound at the plan's confidence: exact for a binomial
count, and not zero when nothing stalled (0 of 35 runs: at most 8.2% at 95%). Pooling
assumes the rate does not change much with the count; the README's measurements (3 of 20
seeds at 50 nodes and maxSurge 10%, 8 of 20 at minReadySeconds 30) vary with the cluster
and minReadySeconds, which are each family's own. A run counts as stalled when its operator
gave it up for no progress (``stalled``), whatever the cause; a run still moving when the
plan's horizon cut it is slow, not stalled.

The runs are not independent trials: the settings' replication r share the r-th seed, and
stalls at one seed go together across counts (a correlation of 0.14 on average between two
counts, ``SEED_CORRELATION``; audit 14 saw 0.17–0.32), so a bound that counts every run as a
trial is optimistic: it covered the true rate in 93.7% of simulated plans like a plan's search
and 88.9% in one of mostly screened runs (audit 14), 93.5% and 94.5% in plans drawn from 600
seeds of 8 counts (2026-12-05), against 95% claimed. The bound is therefore taken over the
runs' effective number, the runs over Kish's design effect 1 + (m − 1)·ρ (m the runs per seed,
size-weighted; ρ that correlation), the stalls scaled alike: in those plans it covered the
true rate in 96.7% and 97.9%. The text names the seeds the runs came from ("0 of 260 runs
over 40 seeds").

With a window, a family whose bound is above the share of rollouts the window lets miss it
(1 − its probability) cannot meet it, whatever a setting's own runs did
(``rollsim.plan.answer.stalls_too_often``; audit 23).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rollsim.plan.candidates import Family
from rollsim.plan.evidence import Evidence

__all__ = ["SEED_CORRELATION", "StallRisk", "design_effect", "stall_risks", "upper_rate"]


# the correlation between two counts' stalls at one seed: the mean over the pairs of 8 maxSurge counts
# (5 to 49 of 50 nodes, minReadySeconds 10, 600 seeds each), 2026-12-05; audit 14 measured 0.17–0.32
SEED_CORRELATION = 0.14


def design_effect(cluster_size: float, correlation: float = SEED_CORRELATION) -> float:
    """Kish's design effect of runs drawn in clusters (a seed's runs of several settings): 1 + (m − 1)·ρ,
    ``cluster_size`` m the size-weighted mean runs per seed (Σm²/Σm), ρ their stalls' correlation;
    1 for runs one per seed.
    """
    return 1.0 + max(0.0, cluster_size - 1.0) * correlation


def upper_rate(events: float, trials: float, confidence: float) -> float:
    """The one-sided Clopper–Pearson upper bound on a rate seen ``events`` times in ``trials``
    (1 with no trials or when every trial had the event); both may be effective counts (runs
    divided by a design effect), not whole numbers.
    """
    if not 0 <= events <= trials:
        raise ValueError(f"events must be between 0 and the trials ({trials}), got {events}")
    if trials == 0 or events == trials:
        return 1.0
    if events == 0:
        return 1 - (1 - confidence) ** (1 / trials)  # the beta quantile's closed form
    from scipy import stats  # imported here: scipy.stats takes seconds to import, and ``import rollsim`` loads this

    return float(stats.beta.ppf(confidence, events + 1, trials - events))


def _pct(x: float) -> str:
    if x == 0:
        return "0%"
    return f"{100 * x:.2g}%" if x < 0.1 else f"{100 * x:.0f}%"


@dataclass(frozen=True, slots=True)
class StallRisk:
    """The runs of one family, pooled: how many stalled, of how many runs of how many settings."""

    family: Family
    stalled: int
    runs: int
    settings: int
    confidence: float
    causes: tuple[tuple[str, int], ...] = ()
    seeds: int = 0  # the distinct seeds the runs used (replication r of every setting runs the r-th)
    cluster_size: float = 1.0  # the runs per seed, size-weighted (Σm²/Σm over the seeds): ``design_effect``'s m

    @property
    def estimate(self) -> float:
        """The share of the family's runs that stalled (NaN with none)."""
        return self.stalled / self.runs if self.runs else math.nan

    @property
    def effective_runs(self) -> float:
        """The runs as independent trials: the runs over their ``design_effect`` (stalls at one seed
        go together across counts, so a seed's runs count for fewer than their number).
        """
        return self.runs / design_effect(self.cluster_size)

    @property
    def upper(self) -> float:
        """The stall rate's upper bound at ``confidence``: Clopper–Pearson over the ``effective_runs``
        (the stalls scaled alike), not over every run as if each were independent.
        """
        scale = design_effect(self.cluster_size)
        return upper_rate(self.stalled / scale, self.runs / scale, self.confidence)

    def exceeds(self, share: float) -> bool:
        """Whether the family stalled and its stall rate may, at ``confidence``, be above ``share``
        (``upper``): with a window, ``share`` is the part of rollouts it lets miss it (1 − its
        probability), and such a family cannot be shown to meet it (``rollsim.plan.answer``). A family
        in which no run stalled is judged by each setting's own runs, which a stall would rule out.
        """
        return self.stalled > 0 and self.upper > share

    def describe(self) -> str:
        """``1 of 35 runs of maxSurge, minReadySeconds 10 (7 settings) stalled (old-pod-kept): 2.9%, at most
        13% at 95% confidence``.
        """
        named = [c if len(self.causes) == 1 else f"{c} {n}" for c, n in self.causes]
        causes = f" ({', '.join(named)})" if named else ""
        seeds = f" over {self.seeds} seed{'s' if self.seeds != 1 else ''}" if self.seeds else ""
        return (f"{self.stalled} of {self.runs} runs{seeds} of {self.family.label()} ({self.settings} setting"
                f"{'s' if self.settings != 1 else ''}) stalled{causes}: {_pct(self.estimate)}, at most "
                f"{_pct(self.upper)} at {100 * self.confidence:g}% confidence")

    def as_dict(self) -> dict[str, Any]:
        """Plain data for plan.json."""
        return {"family": self.family.label(), "stalled": self.stalled, "runs": self.runs, "seeds": self.seeds,
                "settings": self.settings,
                "estimate": self.estimate, "upper_bound": self.upper, "confidence": self.confidence,
                "effective_runs": self.effective_runs,
                "causes": dict(self.causes), "text": self.describe()}


def stall_risks(evidence: Iterable[Evidence], confidence: float) -> dict[Family, StallRisk]:
    """Each family's runs in ``evidence`` pooled into its ``StallRisk``, but for the settings every run
    of which stalled: a count that always stalls is a deadlock of that count (the budget that
    NotReady nodes hold, kubernetes/kubernetes#123233), which its own runs rule out, not a race
    the family's other counts share.
    """
    runs: dict[Family, list[Any]] = {}
    settings: Counter[Family] = Counter()
    per_seed: dict[Family, Counter[int]] = {}  # runs of the family at each seed (replication r: the r-th seed)
    for e in evidence:
        if e.summaries and all(s.get("stalled") for s in e.summaries):
            continue  # a deadlock of its count, not the family's race: left out of the pool (below)
        runs.setdefault(e.setting.family, []).extend(e.summaries)
        settings[e.setting.family] += 1
        per_seed.setdefault(e.setting.family, Counter()).update(range(e.replications))
    out = {}
    for family, summaries in runs.items():
        stalled = [s for s in summaries if s.get("stalled")]
        causes = Counter(str(s.get("stop_cause") or "stalled") for s in stalled)
        sizes = per_seed[family].values()
        out[family] = StallRisk(family, len(stalled), len(summaries), settings[family], confidence,
                                tuple(sorted(causes.items(), key=lambda kv: (-kv[1], kv[0]))), len(sizes),
                                sum(m * m for m in sizes) / max(1, sum(sizes)))
    return out
