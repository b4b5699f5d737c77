"""A relaxation: what relaxing one constraint would give when no setting fits (``rollsim.plan.relax``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rollsim.plan.candidates import SURGE, Setting
from rollsim.plan.evidence import Evidence
from rollsim.plan.search import Capacity
from rollsim.present.render import count_of, format_duration, format_share

__all__ = ["Relaxation", "Uncut", "spread", "surge_cost"]

# runs settings apart from the search (without the plan's cut, or not asked for), with at least the
# replications given; their evidence, in order
Uncut = Callable[[Sequence[Setting], int], list[Evidence]]


@dataclass(frozen=True)
class Relaxation:
    """What relaxing one constraint would give: the new limit and the setting that then fits
    (``evidence``), what a surge setting costs (``cost``), and a setting the text names that does
    not fit (``cited``: "even maxUnavailable 100% misses the window").
    """

    constraint: str
    needed: str
    evidence: Evidence | None
    cost: str = ""
    cited: Evidence | None = None

    def describe(self, desired: int) -> str:
        """One line: the constraint, the limit it would need, the setting that then fits with the
        spread of its runs (their p50 and p95: a window named from the longest run moves with the
        seed; audit 18), and what it costs when it surges.
        """
        if self.evidence is None:
            return f"{self.constraint}: {self.needed}"
        e = self.evidence
        return (f"{self.constraint}: {self.needed} → {e.setting.label(desired)} ({spread(e)}, "
                f"worst availability {format_share(e.worst_availability)})" + (f"; {self.cost}" if self.cost else ""))


def spread(e: Evidence) -> str:
    """``p50 14m47s and p95 21m30s of its 59 runs``: where the bulk of a setting's runs fell, beside a
    bound that is one of them (the median as candidates.csv has it).
    """
    return (f"p50 {format_duration(e.shown_quantile(0.5))} and p95 {format_duration(e.shown_quantile(0.95))} of its "
            f"{count_of(e.replications, 'run')}")


def surge_cost(e: Evidence, capacity: Capacity) -> str:
    """What a surge setting cost in its runs: the most extra pods at once (``max_surge_observed``, at
    least its maxSurge), their requests beyond delete-first, and the hostPath volumes the two pods of
    a node shared meanwhile; "" for a maxUnavailable setting.
    """
    from rollsim.present.surge_budget import surge_cost_words

    if e.setting.kind != SURGE:
        return ""
    return "its cost: " + surge_cost_words(e.setting.count, e.max_surge_observed, capacity.cpu_millis,
                                           capacity.memory_bytes, capacity.host_paths, peak=True)

