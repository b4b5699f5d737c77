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
stalls at one seed go together across counts (a correlation of 0.17–0.32, audit 14). A bound
that counted every run as a trial was optimistic: it covered the true rate in 93.7% of simulated
plans like a plan's search and 88.9% in one of mostly screened runs, against 95% claimed, and
stated "at most 2.1%" from 139 runs over 59 seeds (audit 30). So the bound counts each seed once,
as stalled when any of its runs did (``stalled_seeds`` of ``seeds``: 0 of 59 seeds, at most 5%):
the chance that a rollout at a fresh seed stalls at one count or another of the family, which
bounds the rate of each count. The estimate stays the share of runs that stalled.

A family of maxSurge with minReadySeconds in realistic mode can stall whatever its runs show
(``can_stall``: the dropped re-check is the model's own race), at a few percent of rollouts on
tens of nodes (maxSurge 5 on 31 nodes at minReadySeconds 10: 12.8% of 250 seeds, audit 27), so
ten runs without a stall say little: such a family is judged as one that stalled (``prone``).

The pooled risk describes the family, and ranks as fast settings (one of a family that never
stalled first); it does not judge a window. The rate is not the same at every count (maxSurge 3
stalled in 8.0% of 400 seeds at 50 nodes and minReadySeconds 10, maxSurge 42 in 2.75%: audit 24),
so a pool's bound moves with which counts the search happened to run. A setting of a family that
stalled is judged by its own runs instead (``stall_free_runs``, ``rollsim.plan.answer.stalls_too_often``).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from rollsim.plan.candidates import SURGE, Family
from rollsim.plan.evidence import Evidence
from rollsim.spec.controlplane import ControllerSettings

__all__ = ["StallRisk", "can_stall", "stall_free_runs", "stall_risks", "upper_rate"]


def can_stall(family: Family, controller: ControllerSettings) -> bool:
    """Whether ``family``'s rollouts can stall by the race the model shares with the real controller
    (README, "With maxSurge and minReadySeconds it can stall a rollout"): maxSurge with
    minReadySeconds, in realistic mode with client-go's de-duplicating delaying queue
    (``queue_dedup``), where a new pod's ``updatePod`` ``AddAfter(minReadySeconds + 1 s)`` can be
    dropped and its node's old pod kept beside the available new one until another event.
    """
    return (family.kind == SURGE and family.min_ready_seconds > 0 and not controller.ideal
            and controller.queue_dedup)


def upper_rate(events: int, trials: int, confidence: float) -> float:
    """The one-sided Clopper–Pearson upper bound on a rate seen ``events`` times in ``trials``
    (1 with no trials or when every trial had the event).
    """
    if not 0 <= events <= trials:
        raise ValueError(f"events must be between 0 and the trials ({trials}), got {events}")
    if trials == 0 or events == trials:
        return 1.0
    if events == 0:
        return 1 - (1 - confidence) ** (1 / trials)  # the beta quantile's closed form
    from scipy import stats  # imported here: scipy.stats takes seconds to import, and ``import rollsim`` loads this

    return float(stats.beta.ppf(confidence, events + 1, trials - events))


def stall_free_runs(settings: int, probability: float, confidence: float) -> int:
    """The runs, none of them stalled, that show a setting's stall rate within ``1 − probability`` at
    ``confidence``, whichever of its family's ``settings`` it is: the Clopper–Pearson bound with no
    stall, ``1 − α^(1/n)``, at a Bonferroni level α = (1 − confidence) / settings. The choice is made
    among the family's settings on the same runs (a setting whose runs stalled is ruled out, one whose
    runs did not is kept: audit 23), so each setting's bound must hold for all of them at once. 99 at
    p95 and 95% for 8 settings; 59 for one, the window's own confirmation.
    """
    level = (1 - confidence) / max(1, settings)
    return math.ceil(math.log(level) / math.log(probability) - 1e-9)


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
    prone: bool = False  # it can stall whatever its runs show (``can_stall``)
    stalled_seeds: int = 0  # the seeds at which a run of the family stalled

    @property
    def judged(self) -> bool:
        """Whether a setting of the family must show its stalls on runs of its own: one of them
        stalled, or the family can stall (``prone``).
        """
        return self.stalled > 0 or self.prone

    def why_judged(self) -> str:
        """Why: ``its family stalled (3 of 118 runs of 2 settings)``, or for a family none of whose
        runs stalled, ``its family can stall (maxSurge with minReadySeconds 10: a dropped re-check;
        none of its 10 runs of 2 settings did)``.
        """
        runs = f"{self.runs} runs of {self.settings} setting{'s' if self.settings != 1 else ''}"
        if self.stalled:
            return f"its family stalled ({self.stalled} of {runs})"
        return (f"its family can stall (maxSurge with minReadySeconds {self.family.min_ready_seconds:g}: a dropped "
                f"re-check; none of its {runs} did)")

    @property
    def estimate(self) -> float:
        """The share of the family's runs that stalled (NaN with none)."""
        return self.stalled / self.runs if self.runs else math.nan

    @property
    def upper(self) -> float:
        """The stall rate's upper bound at ``confidence`` (Clopper–Pearson), each seed counted once
        (the module docstring); over the runs where the seeds are not known.
        """
        if self.seeds:
            return upper_rate(self.stalled_seeds, self.seeds, self.confidence)
        return upper_rate(self.stalled, self.runs, self.confidence)

    def describe(self) -> str:
        """``1 of 35 runs of maxSurge, minReadySeconds 10 (7 settings) stalled (old-pod-kept): 2.9%, at most
        13% at 95% confidence``.
        """
        named = [c if len(self.causes) == 1 else f"{c} {n}" for c, n in self.causes]
        causes = f" ({', '.join(named)})" if named else ""
        seeds = f" over {self.seeds} seed{'s' if self.seeds != 1 else ''}" if self.seeds else ""
        once = ", each seed counted once" if self.seeds else ""  # its runs stall together (the module docstring)
        return (f"{self.stalled} of {self.runs} runs{seeds} of {self.family.label()} ({self.settings} setting"
                f"{'s' if self.settings != 1 else ''}) stalled{causes}: {_pct(self.estimate)}, at most "
                f"{_pct(self.upper)} at {100 * self.confidence:g}% confidence{once}")

    def as_dict(self) -> dict[str, Any]:
        """Plain data for plan.json."""
        return {"family": self.family.label(), "stalled": self.stalled, "runs": self.runs, "seeds": self.seeds,
                "stalled_seeds": self.stalled_seeds, "settings": self.settings,
                "estimate": self.estimate, "upper_bound": self.upper, "confidence": self.confidence,
                "causes": dict(self.causes), "can_stall": self.prone, "text": self.describe()}


def stall_risks(evidence: Iterable[Evidence], confidence: float,
                prone: Collection[Family] = ()) -> dict[Family, StallRisk]:
    """Each family's runs in ``evidence`` pooled into its ``StallRisk``; those in ``prone`` can stall
    whatever their runs show (``can_stall``).
    """
    runs: dict[Family, list[Any]] = {}
    settings: Counter[Family] = Counter()
    seeds: Counter[Family] = Counter()
    stalled_at: dict[Family, set[int]] = {}  # the replications (so the seeds) at which a run stalled
    for e in evidence:
        family = e.setting.family
        runs.setdefault(family, []).extend(e.summaries)
        settings[family] += 1
        seeds[family] = max(seeds[family], e.replications)
        stalled_at.setdefault(family, set()).update(r for r, s in enumerate(e.summaries) if s.get("stalled"))
    out = {}
    for family, summaries in runs.items():
        stalled = [s for s in summaries if s.get("stalled")]
        causes = Counter(str(s.get("stop_cause") or "stalled") for s in stalled)
        out[family] = StallRisk(family, len(stalled), len(summaries), settings[family], confidence,
                                tuple(sorted(causes.items(), key=lambda kv: (-kv[1], kv[0]))), seeds[family],
                                family in prone, len(stalled_at[family]))
    return out
