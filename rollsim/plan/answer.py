"""The answer: which simulated setting to recommend, and why the others lost.

``choose`` is the one rule, applied alike to what the search simulated and to a full grid
(the tests check that both pick the same setting): among the settings that keep the
floor, meet the window (``WindowRule``: its bound at the search's per-look level, and in a
family that stalled enough finished runs of its own: ``stalls_too_often``) and fit
the capacity budget, take those shown within ``tolerance``
of the fastest mean duration (``rollsim.plan.pace``: paired over the same seeds, with
confidence; an unclear verdict counts as slower), and of those one of a family in which
no run stalled if there is one (``rollsim.plan.stalls``), then the one that keeps the most
nodes available, then needs the least extra capacity, then the smallest budget and
``minReadySeconds``. ``decide`` first adds replications to the settings that could win
were their unclear "as fast" verdict settled, then chooses, and runs the choice to the
replications from which its window verdict is distribution-free (``WindowRule.confirm_runs``),
choosing again if it then misses the window (or stalls). When nothing fits,
``rollsim.plan.relax`` says what relaxing each constraint would give.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rollsim.observe.stopcause import CAUSE_TEXT
from rollsim.plan.candidates import SURGE, Family, Setting
from rollsim.plan.constraints import Constraints
from rollsim.plan.evidence import Evidence, WindowRule, fastest_paired
from rollsim.plan.pace import SLOWER, Pace, PaceRule
from rollsim.plan.search import Capacity, Search
from rollsim.plan.stalls import StallRisk, stall_free_runs, stall_risks
from rollsim.present.render import count_of, format_bound, format_duration, format_percent_exact, format_share
from rollsim.spec.limits import limit

__all__ = ["Found", "choose", "decide", "fastest", "fits", "found", "pace_text", "passed_over", "preference",
           "ruled_out", "run_stall_free", "stall_runs_needed", "stalled_on", "stalls_too_often", "unsettled"]

Risks = Mapping[Family, StallRisk]


def fits(e: Evidence, c: Constraints, capacity: Capacity, window: WindowRule, risks: Risks) -> bool:
    """Whether ``e`` keeps the floor, meets the window (its own bound, and its family's stalls:
    ``stalls_too_often``) and fits the surge capacity budget.
    """
    return (e.meets_floor(c) and window.meets(e) and not stalls_too_often(e, window, risks)
            and not capacity.over(e.setting))


def stall_runs_needed(e: Evidence, window: WindowRule, risks: Risks, spare: int = 0) -> int:
    """The runs without a stall ``e`` needs when its family stalled, or can stall whatever its runs
    show (``StallRisk.judged``): ``stall_free_runs`` over the family's settings, and ``spare`` more
    settings, at the window's probability; else 0. Without a window too: a stalled rollout never
    finishes, and a setting that stalls in a tenth of its rollouts is no answer because its first
    five finished (audit 27: maxSurge 5 on 31 nodes, chosen so though it stalled in 12.8% of new
    seeds); ``--window-probability`` is then the share of rollouts that must finish at all.
    """
    risk = risks.get(e.setting.family)
    if risk is None or not risk.judged:
        return 0
    return stall_free_runs(risk.settings + spare, window.probability, window.confidence)


def run_stall_free(search: Search, e: Evidence, spare: int = 0, risks: Risks | None = None) -> Evidence | None:
    """``e`` run to the runs without a stall its family's stalls ask (``stall_runs_needed`` over
    ``risks``, the search's now by default, with ``spare`` settings more) when it has fewer; None when a
    run of it stalled, or when those runs would exceed the replications limit
    (``ROLLSIM_MAX_REPLICATIONS``): it cannot be shown to fit. ``decide`` runs its picks so,
    ``least_that_fits`` its least, and a relaxation the setting it names (audit 28: "allow 6 extra pods"
    named maxSurge 6, which stalls in 8% of rollouts).
    """
    needed = stall_runs_needed(e, search.window, search.stall_risks() if risks is None else risks, spare)
    if e.stalled:
        return None
    if needed <= e.replications:
        return e
    if needed > limit("replications"):
        return None
    e = search.ev.evaluate([e.setting], needed)[0]
    return None if e.stalled else e


def stalls_too_often(e: Evidence, window: WindowRule, risks: Risks) -> bool:
    """Whether ``e``'s family stalled and ``e``'s own runs do not show its stalls within the share of
    rollouts the window lets miss it (1 − its probability): a stall misses any window, and without one
    it is a rollout that never finishes (``stall_runs_needed``).

    A stall belongs to the pair (maxSurge, minReadySeconds), and its rate to the count (maxSurge 3
    stalled in 8.0% of seeds on 50 nodes at minReadySeconds 10, maxSurge 42 in 2.75%: audit 24), so
    a setting is judged on its own runs, all of them finished, as many as ``stall_free_runs`` asks:
    among many counts that each stall in some 5% of runs, one whose 59 runs all finished is found
    by chance (audit 23: maxSurge 80% at minReadySeconds 10 on 50 nodes was recommended for a 1 h
    window at p95; it stalled in 16 of 300 new seeds), so the bound holds for all the family's
    settings at once. ``decide`` runs a setting it would choose to that many.
    """
    needed = stall_runs_needed(e, window, risks)
    return needed > 0 and (e.stalled > 0 or e.replications < needed)


def _stalls(e: Evidence, risks: Risks | None) -> int:
    risk = None if risks is None else risks.get(e.setting.family)
    return 0 if risk is None else risk.stalled


def preference(e: Evidence, capacity: Capacity, risks: Risks | None = None) -> tuple:
    """Among equally fast settings: a family that never stalled, most available, least extra
    capacity, smallest budget.
    """
    return (_stalls(e, risks) > 0, -round(e.worst_availability, 9), capacity.of(e.setting), e.setting.count,
            e.setting.min_ready_seconds, e.setting.kind)


def fastest(evidence: Sequence[Evidence], c: Constraints, capacity: Capacity, window: WindowRule,
            risks: Risks | None = None) -> Evidence | None:
    """The fastest setting that fits (None if none does), over the seeds every fitting setting ran
    (``evidence.fastest_paired``); ``risks`` are the families' stall risks (default: pooled from ``evidence``).
    """
    risks = stall_risks(evidence, c.confidence) if risks is None else risks
    fitting = [e for e in evidence if fits(e, c, capacity, window, risks)]
    return fastest_paired(fitting) if fitting else None


def choose(evidence: Sequence[Evidence], c: Constraints, capacity: Capacity, window: WindowRule, rule: PaceRule,
           risks: Risks | None = None) -> Evidence | None:
    """The recommended setting among ``evidence`` (see the module docstring), or None; ``risks``
    are the families' stall risks (default: pooled from ``evidence``).
    """
    risks = stall_risks(evidence, c.confidence) if risks is None else risks
    fitting = [e for e in evidence if fits(e, c, capacity, window, risks)]
    if not fitting:
        return None
    best = fastest_paired(fitting)
    return min((e for e in fitting if rule.compare(e, best).as_fast), key=lambda e: preference(e, capacity, risks))


SHORT_TRIES = 3  # settings ``decide`` runs to the runs their family's stalls ask, at most (each ~100 runs)
FALLBACK_TRIES = 1  # and settings ``_stalled_family_fallback`` names, besides


def _short_of_runs(search: Search, risks: Risks) -> Evidence | None:
    """The setting ``choose`` would pick were the settings of families that stalled judged on the runs
    they have (none of them stalled), when that setting has fewer than its family's stalls ask.
    """
    window = search.window
    pick = choose([e for e in search.confirmed() if not e.stalled], search.c, search.capacity, window, search.rule,
                  {})  # no stall risks: every family judged as if it never stalled
    if pick is None or not stalls_too_often(pick, window, risks):
        return None
    return pick


def _stalled_family_fallback(search: Search, risks: Risks, tried: set[Setting]) -> Evidence | None:
    """When nothing fits: of each family that stalled, its smallest count that meets the window on
    its screen (``Search.smallest_true_window``; without a window, 1), and of those that keep the
    floor and fit the budget on their own runs, none stalled and not yet ``tried``, the one ``choose``
    would pick; None if there is none. The search looks for each family's fastest settings, and a run
    of any count may stall at random (maxSurge with minReadySeconds), at a rate of its own: where the
    fast counts stalled, the fewest pods in flight at once may stall least (audit 25: with a 30 min
    window maxSurge 1 finished in time in 148 of 150 new seeds, where maxSurge 30 and 100% stalled in
    a tenth of their runs; audit 27, no window: maxSurge 1 stalled in 0.8% of 250 seeds, 2 to 5 in
    7-13%). ``decide`` then runs it to the stall-free runs its family's stalls ask (``stall_runs_needed``).
    """
    found = []
    for family in search.families:
        if family not in risks or not risks[family].stalled:
            continue
        hi = search.capacity.largest(search.desired) if family.kind == SURGE else (search.tops.get(family) or 0)
        n = search.smallest_true_window(family, 1, hi) if hi >= 1 else None
        if n is not None and (e := search.one(family.at(n))).setting not in tried and not e.stalled:
            found.append(e)
    return choose(found, search.c, search.capacity, search.window, search.rule, {})


def _fitting(search: Search) -> list[Evidence]:
    """The settings simulated with the full replications that fit every constraint."""
    risks = search.stall_risks()
    return [e for e in search.confirmed() if fits(e, search.c, search.capacity, search.window, risks)]


def _open(search: Search, chosen: Evidence, risks: Risks) -> tuple[Evidence, list[Evidence]]:
    """The fastest fitting setting, and the fitting settings ``choose`` would prefer to ``chosen``
    whose "as fast" verdict against that fastest one is unclear.
    """
    fitting = _fitting(search)
    best = fastest_paired(fitting)
    mine = preference(chosen, search.capacity, risks)
    return best, [e for e in fitting if preference(e, search.capacity, risks) < mine
                  and search.rule.compare(e, best).unclear]


def decide(search: Search) -> Evidence | None:
    """``choose`` over the settings ``search`` simulated with the full replications, after adding
    replications (``Search.settle``) to those it would prefer to its choice but whose "as fast"
    verdict is unclear, until none is or more could not settle it (``Search.worth_more``). A
    choice that meets the window on the screening bound alone is run to ``confirm_runs`` first
    (``Search.confirm``) and chosen again: its window verdict is then distribution-free, and a
    choice that misses it (or stalls in the runs added) gives way to the next. A setting that would
    be chosen but for too few runs for its family's stalls (``stalls_too_often``) is first run to
    as many as they ask (``stall_runs_needed``), once: if none of them stalls, it fits. When nothing
    fits and a family stalled, a count the search passed over is tried so too
    (``_stalled_family_fallback``); at most ``SHORT_TRIES`` settings are run so, and
    ``FALLBACK_TRIES`` fallbacks besides (audit 28: three fast picks that each stalled had used up the
    tries, and maxSurge 1, which stalls in 1.7% of rollouts on 50 nodes, was never tried). A setting
    whose runs would exceed the replications limit (``ROLLSIM_MAX_REPLICATIONS``) is not run so: it
    cannot be shown to fit.
    """
    tried: set[Setting] = set()  # sent to confirm: once each (an evaluator of fixed evidence adds no runs)
    short: set[Setting] = set()  # run to the stall-free runs their family's stalls ask: once each
    fell: set[Setting] = set()  # the fallback's, apart: the fast picks must not use up its try (audit 28)
    while True:
        risks = search.stall_risks()
        chosen = choose(search.confirmed(), search.c, search.capacity, search.window, search.rule, risks)
        pick = None if len(short) >= SHORT_TRIES else _short_of_runs(search, risks)
        if pick is not None and pick.setting not in short:
            short.add(pick.setting)
        elif chosen is None and len(fell) < FALLBACK_TRIES and (
                pick := _stalled_family_fallback(search, risks, short | fell)) is not None:
            fell.add(pick.setting)
        else:
            pick = None
        if pick is not None:  # one setting to spare: the baseline, run after the choice, can be one more of its family
            run_stall_free(search, pick, spare=1, risks=risks)  # the risks the pick was made on
            continue
        if chosen is None:
            return None
        if search.window.needs_confirming(chosen) and chosen.setting not in tried:
            tried.add(chosen.setting)
            search.confirm(chosen.setting)
            continue
        best, open_ = _open(search, chosen, risks)
        open_ = [e for e in open_ if search.worth_more(search.rule.compare(e, best))]
        if not open_:
            return chosen
        search.settle([e.setting for e in open_], best.setting)


@dataclass(frozen=True)
class Found:
    """What the search found, as the evidence stands once ``decide`` is done (``found``)."""

    tops: dict[Family, int | None]  # each family's largest count that finished every run with the floor kept
    knees: dict[Family, int | None]  # and its smallest that fits and is shown as fast as ``fastest``
    fastest: Evidence | None  # the fastest setting that fits (None: none does)


def found(search: Search) -> Found:
    """Each family's top and knee, and the fastest setting that fits, read from every setting
    simulated in full as its replications stand now: what plan.json's ``search`` and the report's
    table give, so that they agree with the answer. ``Search.run`` found its tops and knees with the
    replications it had then; the ones added after it (``settle``, ``decide``) can rule one out (a
    run of it stalled), and the fastest it compared them with can change.
    """
    confirmed, c, capacity, risks = search.confirmed(), search.c, search.capacity, search.stall_risks()
    best = fastest(confirmed, c, capacity, search.window, risks)
    tops: dict[Family, int | None] = {}
    knees: dict[Family, int | None] = {}
    for family in search.families:
        mine = [e for e in confirmed if e.setting.family == family]
        tops[family] = max((e.setting.count for e in mine if e.meets_floor(c) and not capacity.over(e.setting)),
                           default=None)
        knees[family] = None if best is None else min(
            (e.setting.count for e in mine
             if fits(e, c, capacity, search.window, risks) and search.rule.compare(e, best).as_fast), default=None)
    return Found(tops, knees, best)


def passed_over(search: Search, chosen: Evidence) -> list[Evidence]:
    """The settings shown as fast that ``choose`` would have preferred to ``chosen`` but for
    the stalls of their family: the best of each such family.
    """
    risks = search.stall_risks()
    if _stalls(chosen, risks):
        return []
    fitting = _fitting(search)
    best = fastest_paired(fitting)
    mine = preference(chosen, search.capacity)[1:]
    better = sorted((e for e in fitting if _stalls(e, risks) and search.rule.compare(e, best).as_fast
                     and preference(e, search.capacity)[1:] < mine), key=lambda e: preference(e, search.capacity))
    first: dict[Family, Evidence] = {}
    for e in better:
        first.setdefault(e.setting.family, e)
    return list(first.values())


def unsettled(search: Search, chosen: Evidence) -> list[tuple[Evidence, Pace]]:
    """The settings ``choose`` would have preferred to ``chosen`` had they been shown as fast,
    whose verdict was still unclear when more replications could not settle it (counted as
    slower), the most preferred first.
    """
    risks = search.stall_risks()
    best, open_ = _open(search, chosen, risks)
    open_.sort(key=lambda e: preference(e, search.capacity, risks))
    return [(e, search.rule.compare(e, best)) for e in open_]


def _signed(x: float, tolerance: float) -> str:
    return ("+" if x >= 0 else "-") + format_percent_exact(abs(x), (tolerance,))


def pace_bound(p: Pace, rule: PaceRule) -> str:
    """``at most +1.9% at 95% confidence`` (``at least`` for a verdict of slower): the bound that decided."""
    word, x = ("at least", p.low) if p.verdict == SLOWER else ("at most", p.high)
    if not math.isfinite(x):
        return "no bound from so few seeds"
    return f"{word} {_signed(x, rule.tolerance)} at {100 * rule.confidence:g}% confidence"


def pace_text(p: Pace, rule: PaceRule) -> str:
    """``+1.5%, at most +1.9% at 95% confidence``: the slowdown and the bound that decided."""
    return f"{_signed(p.slowdown, rule.tolerance)}, {pace_bound(p, rule)}"


def _why_unclear(p: Pace, rule: PaceRule, most: int | None) -> str:
    """Why an unclear verdict was left so: the most replications, or more could not settle it."""
    if most is not None and p.replications >= most:
        return f"still unclear at --max-replications {most}"
    if most is not None and rule.futile(p, most):
        return f"{most} seeds would not settle it at the spread seen"
    return "unclear"


def stalled_on(stalled: list[Mapping[str, Any]]) -> str:
    """What the stalled runs stopped on, the most frequent stop cause in a few words (``: nodes under
    DiskPressure: ...``), or nothing when it is the plain stall (no progress, no cause found).
    """
    causes = Counter(str(s.get("stop_cause")) for s in stalled)
    cause = min(causes, key=lambda k: (-causes[k], k))
    return f": {CAUSE_TEXT[cause]}" if cause in CAUSE_TEXT and cause != "stalled" else ""


def ruled_out(e: Evidence, chosen: Evidence | None, c: Constraints, capacity: Capacity, window: WindowRule,
              rule: PaceRule, best: Evidence | None = None, risks: Risks | None = None, most: int | None = None,
              cut: str = "the horizon") -> str:
    """Why ``e`` is not the recommendation (``chosen`` if it is); ``best`` is the fastest fitting
    setting (``fastest``; ``chosen`` when not given), ``risks`` the families' stall risks,
    ``most`` the replications a setting can have and ``cut`` where runs ended unfinished
    (``rollsim.present.plan_rows.cut_phrase``). Durations are compared over the seeds both ran.
    """
    if chosen is not None and e.setting == chosen.setting:
        return "chosen"
    reasons = []
    over = capacity.over(e.setting)
    if over:
        reasons.append("over the surge budget: " + ", ".join(over))
    if not e.completed:
        stalled = [s for s in e.summaries if s.get("stalled")]
        why = f"stalled{stalled_on(stalled)}" if stalled else f"still running at {cut}"
        reasons.append(f"did not finish in {e.unfinished} of {e.replications} replications ({why})")
    if e.worst_availability < c.min_available_fraction - 1e-12:  # unfinished too: it fell below while it ran
        reasons.append(f"worst availability {format_share(e.worst_availability, (c.min_available_fraction,))} < "
                       f"floor {format_share(c.min_available_fraction)}")
    if e.completed and not window.meets(e):
        kind = f" ({window.bound_kind(e)})" if window.distribution_free(e) else ""
        reasons.append(f"p{100 * c.window_probability:g} bound {format_bound(window.bound(e))}{kind} > window "
                       f"{format_duration(c.window_s)}")
    elif e.completed and risks is not None and stalls_too_often(e, window, risks):
        needed, risk = stall_runs_needed(e, window, risks), risks[e.setting.family]
        share = (", the window's misses" if window.window_s is not None else " (--window-probability)")
        most = limit("replications")
        beyond = f", and the replications limit is {most:,} (ROLLSIM_MAX_REPLICATIONS)" if needed > most else ""
        reasons.append(f"{risk.why_judged()}, so it must finish {needed} runs to show it stalls in at most "
                       f"{format_share(1 - window.probability)} of rollouts{share}: it ran {e.replications}{beyond}")
    if reasons:
        return "; ".join(reasons)
    if chosen is None:
        return "fits"
    best = chosen if best is None else best
    p = rule.compare(e, best)
    mine, theirs = format_duration(p.mean), format_duration(p.reference_mean)
    seeds = f" over the same {p.replications} seeds" if e.replications != best.replications else ""
    tolerance = format_share(rule.tolerance)
    if p.verdict == SLOWER:
        return f"slower: mean {mine} vs the fastest {theirs}{seeds} ({pace_text(p, rule)}: more than the {tolerance} " \
               "tolerance)"
    if not p.as_fast:
        return (f"not shown as fast: mean {mine} vs the fastest {theirs}{seeds} ({pace_text(p, rule)}: not shown "
                f"within the {tolerance} tolerance; {_why_unclear(p, rule, most)}, so counted as slower)")
    fast = (f"the fastest (mean {mine})" if e.setting == best.setting else
            f"as fast (mean {mine}{seeds}, {pace_bound(p, rule)})")
    if risks is not None and _stalls(e, risks) and not _stalls(chosen, risks):
        return f"{fast} but its family stalled: {risks[e.setting.family].describe()}"
    if e.worst_availability < chosen.worst_availability - 1e-9:
        apart = ((e.worst_availability + chosen.worst_availability) / 2,)  # never the same number twice
        return (f"{fast} but keeps fewer nodes available "
                f"({format_share(e.worst_availability, apart)} vs {format_share(chosen.worst_availability, apart)})")
    if capacity.of(e.setting) > capacity.of(chosen.setting):
        return f"{fast} but needs {count_of(e.setting.surge, 'extra pod')}"
    return f"{fast} with a larger budget or minReadySeconds, for no gain"
