"""The answer: which simulated setting to recommend, why the others lost, what to relax.

``choose`` is the one rule, applied alike to what the search simulated and to a full grid
(the tests check that both pick the same setting): among the settings that keep the
floor, meet the window and fit the capacity budget, take those within ``tolerance`` of
the fastest mean duration, and of those the one that keeps the most nodes available,
then needs the least extra capacity, then the smallest budget and ``minReadySeconds``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from rollsim.plan.candidates import SURGE, UNAVAILABLE, Family, Setting
from rollsim.plan.constraints import HORIZON_WINDOWS, Constraints
from rollsim.plan.evidence import Evidence, fastest_paired
from rollsim.plan.search import Capacity, Search
from rollsim.present.render import count_of, format_duration, format_percent_exact

__all__ = ["Relaxation", "choose", "diagnose", "fastest", "ruled_out", "preference"]


def _fits(e: Evidence, c: Constraints, capacity: Capacity) -> bool:
    return e.meets_floor(c) and e.meets_window(c) and not capacity.over(e.setting)


def preference(e: Evidence, capacity: Capacity) -> tuple:
    """Among equally fast settings: most available, least extra capacity, smallest budget."""
    return (-round(e.worst_availability, 9), capacity.of(e.setting), e.setting.count, e.setting.min_ready_seconds,
            e.setting.kind)


def fastest(evidence: Sequence[Evidence], c: Constraints, capacity: Capacity) -> Evidence | None:
    """The fastest setting that fits (None if none does), over the seeds every fitting setting ran
    (``evidence.fastest_paired``).
    """
    fitting = [e for e in evidence if _fits(e, c, capacity)]
    return fastest_paired(fitting) if fitting else None


def choose(evidence: Sequence[Evidence], c: Constraints, capacity: Capacity, tolerance: float) -> Evidence | None:
    """The recommended setting among ``evidence`` (see the module docstring), or None."""
    fitting = [e for e in evidence if _fits(e, c, capacity)]
    if not fitting:
        return None
    best = fastest_paired(fitting)
    return min((e for e in fitting if e.as_fast_as(best, tolerance)), key=lambda e: preference(e, capacity))


def _capacity(pods: int, cpu: int, mem: int) -> str:
    """``12 extra pods (1,200m CPU, 2,400Mi)``; requests of zero are left out."""
    parts = [p for p in (f"{cpu:,}m CPU" if cpu else "", f"{mem / 2**20:,.0f}Mi" if mem else "") if p]
    return f"{pods} extra pod{'s' if pods != 1 else ''}" + (f" ({', '.join(parts)})" if parts else "")


def _pct(x: float) -> str:
    return f"{100 * x:.2f}".rstrip("0").rstrip(".") + "%"


def ruled_out(e: Evidence, chosen: Evidence | None, c: Constraints, capacity: Capacity, tolerance: float,
              best: Evidence | None = None) -> str:
    """Why ``e`` is not the recommendation (``chosen`` if it is); ``best`` is the fastest fitting
    setting (``fastest``; ``chosen`` when not given). Durations are compared over the seeds both ran.
    """
    if chosen is not None and e.setting == chosen.setting:
        return "chosen"
    reasons = []
    over = capacity.over(e.setting)
    if over:
        reasons.append("over the surge budget: " + ", ".join(over))
    if not e.completed:
        stuck = sum(1 for d in e.durations if not math.isfinite(d))
        stalled = sum(1 for s in e.summaries if s.get("stalled"))
        why = "stalled" if stalled else "still running at the horizon"
        reasons.append(f"did not finish in {stuck} of {e.replications} replications ({why})")
    if e.worst_availability < c.min_available_fraction - 1e-12:  # unfinished too: it fell below while it ran
        reasons.append(f"worst availability {_pct(e.worst_availability)} < floor {_pct(c.min_available_fraction)}")
    if e.completed and not e.meets_window(c):
        reasons.append(f"p{100 * c.window_probability:g} bound {format_duration(e.window_bound(c))} > window "
                       f"{format_duration(c.window_s)}")
    if reasons:
        return "; ".join(reasons)
    if chosen is None:
        return "fits"
    best = chosen if best is None else best
    n = min(e.replications, best.replications)
    mine, theirs = e.mean_over(n), best.mean_over(n)
    seeds = f" over the same {n} seeds" if e.replications != best.replications else ""
    if not e.as_fast_as(best, tolerance):
        return (f"slower: mean {format_duration(mine)} vs the fastest {format_duration(theirs)}{seeds} "
                f"(+{format_percent_exact(mine / theirs - 1, (tolerance,))}, more than the "
                f"{_pct(tolerance)} tolerance)")
    fast = f"as fast (mean {format_duration(mine)}{seeds})"
    if e.worst_availability < chosen.worst_availability - 1e-9:
        return (f"{fast} but keeps fewer nodes available "
                f"({_pct(e.worst_availability)} vs {_pct(chosen.worst_availability)})")
    if capacity.of(e.setting) > capacity.of(chosen.setting):
        return f"{fast} but needs {count_of(e.setting.surge, 'extra pod')}"
    return f"{fast} with a larger budget or minReadySeconds, for no gain"


@dataclass(frozen=True)
class Relaxation:
    """What relaxing one constraint would give: the new limit and the setting that then fits."""

    constraint: str
    needed: str
    evidence: Evidence | None

    def describe(self, desired: int) -> str:
        """One line: the constraint, the limit it would need, and the setting that then fits."""
        if self.evidence is None:
            return f"{self.constraint}: {self.needed}"
        e = self.evidence
        return (f"{self.constraint}: {self.needed} → {e.setting.label(desired)} "
                f"(p50 {format_duration(e.quantile(0.5))}, "  # the median, as candidates.csv has it
                f"worst availability {_pct(e.worst_availability)})")


def diagnose(search: Search) -> tuple[str, list[Relaxation]]:
    """When nothing fits: the binding constraint, and what relaxing each constraint gives."""
    c, cap, d = search.c, search.capacity, search.desired
    out: list[Relaxation] = []
    families = search.families
    mrs = min(f.min_ready_seconds for f in families)
    tops = [(f, search.one(f.at(t))) for f, t in search.tops.items() if t is not None]
    if tops:  # settings keep the floor, none meets the window: what the fastest of them needs
        fastest = min(tops, key=lambda fe: fe[1].window_bound(c))[1]
        needed = (f"allow {format_duration(fastest.window_bound(c))} (p{100 * c.window_probability:g} at "
                  f"{100 * c.confidence:g}% confidence)")
        out.append(Relaxation("window", needed, fastest))
        binding = "window"
    else:  # no family has a setting that finishes and keeps the floor
        one = search.one(Setting(UNAVAILABLE, 1, mrs))
        surge = search.one(Family(SURGE, mrs).at(1)) if any(f.kind == SURGE for f in families) else None
        cut = [e for e in (one, surge) if e is not None and _cut_at_horizon(e)]
        binding = "availability floor"
        if cut and c.window_s is not None:  # the window, not the floor, keeps them out
            binding, horizon = "window", format_duration(HORIZON_WINDOWS * c.window_s)
            out.append(Relaxation("window", f"allow more than {horizon}: no setting tried finished every run "
                                  f"within {HORIZON_WINDOWS} windows ({horizon}), where runs are cut", None))
    # the floor or the surge capacity that admits a setting that meets the window: the smallest such
    # count of each family above its top (from 1 when no count keeps the floor)
    probe = lambda fam: lambda counts: search.evidence([fam.at(n) for n in counts])  # noqa: E731
    for family in families:
        if family.min_ready_seconds != mrs:
            continue
        top = search.tops.get(family) or 0
        hi = d
        lo = top + 1
        if lo > hi:
            continue
        n = smallest_true_window(search, family, lo, hi, probe(family))
        if n is None:
            continue
        e = search.one(family.at(n))
        if family.kind == UNAVAILABLE:
            out.append(Relaxation("availability floor", f"lower it to {_pct(e.worst_availability)}", e))
        elif e.meets_floor(c):
            out.append(Relaxation("surge capacity", f"allow {_capacity(*cap.of(e.setting))}", e))
    return binding, out


def _cut_at_horizon(e: Evidence) -> bool:
    """Some replication was still running when the plan's horizon cut it (not stalled)."""
    return any(not s.get("completed") and not s.get("stalled") for s in e.summaries)


def smallest_true_window(search: Search, family: Family, lo: int, hi: int, probe) -> int | None:
    """The smallest count in ``[lo, hi]`` of ``family`` that meets the window (floor ignored)."""
    from rollsim.plan.bisect import smallest_true

    return smallest_true(lambda n: search.one(family.at(n)).meets_window(search.c), lo, hi, lo, probe)
