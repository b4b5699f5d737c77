"""When no setting fits: the binding constraint, and what relaxing each constraint would give.

``diagnose`` names the constraint that binds and, for each constraint, the limit that
admits a setting and that setting: the window the fastest setting that keeps the floor
needs, the floor that admits a setting that meets the window, the surge budget that does.
A plan cuts its runs at ``HORIZON_WINDOWS`` windows (``rollsim.plan.run.with_horizon``), so
a window too short for any run to finish within the cut says nothing of the window needed:
then ``window_uncut`` runs the fastest settings once more, not cut, and gives theirs.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from rollsim.plan.candidates import SURGE, UNAVAILABLE, Family, Setting
from rollsim.plan.constraints import HORIZON_WINDOWS
from rollsim.plan.evidence import Evidence, WindowRule
from rollsim.plan.search import Capacity, Search
from rollsim.present.render import count_of, format_duration, format_share

__all__ = ["Relaxation", "Uncut", "accepted_window", "bound_words", "diagnose", "fastest_settings", "needed_window",
           "min_ready_relaxed", "spread", "stalls_relaxed", "surge_cost", "window_basis",
           "window_uncut"]

# runs the settings without the plan's cut, with at least the replications given; their evidence, in order
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


def diagnose(search: Search, cut: str = "the horizon", uncut: Uncut | None = None,
             not_ready: int = 0, aside: Uncut | None = None) -> tuple[str, list[Relaxation]]:
    """When nothing fits: the binding constraint, and what relaxing each constraint gives.

    ``not_ready``: the NotReady nodes the DaemonSet tolerates (it should run there): their new pods
    never become available, so when no setting finished they, not a constraint, are what binds.

    ``cut`` names where unfinished runs ended (``rollsim.present.plan_plots.cut_phrase``);
    ``uncut`` runs settings without the plan's cut, for the window a search whose every run was
    cut would need (``window_uncut``; None: the cut is the scenario's own horizon). ``aside`` runs
    settings the search was not asked to try, kept out of its candidates: minReadySeconds 0 where a
    family that can stall did (``min_ready_relaxed``; None: not tried).
    """
    c, cap, d = search.c, search.capacity, search.desired
    out: list[Relaxation] = []
    families = search.families
    mrs = min(f.min_ready_seconds for f in families)
    # the tops (the largest counts that keep the floor) whose runs all finished; else, with a window, the
    # counts of 1 that did (a top that stalled hides a slower count that keeps the floor: audit 27)
    keepers = [e for f, t in search.tops.items() if t is not None and (e := search.one(f.at(t))).completed]
    one = surge = held = None
    if not keepers:
        one = search.one(Setting(UNAVAILABLE, 1, mrs))
        surge = search.one(Family(SURGE, mrs).at(1)) if any(f.kind == SURGE for f in families) else None
        if c.window_s is not None:
            keepers = [e for e in (one, surge) if e is not None and e.completed and e.keeps_floor(c)]
    if keepers and c.window_s is None:  # finished with the floor kept and no window: held by their stalls
        from rollsim.plan.answer import stalls_too_often

        risks = search.stall_risks()
        held = max((e for e in keepers if stalls_too_often(e, search.window, risks)), key=lambda e: e.replications,
                   default=None)
        binding = "stalled rollouts"
    elif keepers:  # settings keep the floor, none meets the window: what the fastest of them needs
        # each run to its confirmation (a family's top may not finish all of them: audit 15), the least needed
        confirmed = [search.confirm(e.setting) for e in keepers]
        allow, fastest = min(((needed_window(e, search.window, search.s.ladder), e) for e in confirmed),
                             key=lambda we: we[0])
        binding = "window"
        if math.isfinite(allow) and c.window_s is not None and allow <= c.window_s:
            held = fastest  # it meets the window on its runs: the stall rule holds it (audit 27)
            binding = "window probability"
        elif math.isfinite(allow):
            needed = f"allow {format_duration(allow)} ({window_basis(fastest, search, allow)})"
            out.append(Relaxation("window", needed, fastest, surge_cost(fastest, cap)))
        else:  # the runs added to confirm them did not all finish
            tried = ", ".join(e.setting.label(d) for e in confirmed)
            out.append(Relaxation("window", f"no window alone would do: {tried} did not finish every one of "
                                            f"{confirmed[0].replications} runs", None))
    else:  # no family has a setting that finishes and keeps the floor
        cut_short = [e for e in (one, surge) if e is not None and _cut_at_horizon(e)]
        binding = "availability floor"
        probed = [e for e in (one, surge) if e is not None]
        if probed and all(_stalled_on_pressure(e) for e in probed):  # no constraint relaxed would change that
            return "nodes under disk pressure", [Relaxation("nodes under disk pressure", _PRESSURE_WAY_OUT, None)]
        if not_ready and probed and not any(e.completed for e in probed):
            return "NotReady nodes", [Relaxation("NotReady nodes", _not_ready_way_out(not_ready), None)]
        if cut_short and c.window_s is not None:  # the window, not the floor, keeps them out (runs not cut say)
            binding, relaxed = window_uncut(search, cut, uncut)
            out.append(relaxed)
        elif stalled := [e for e in probed if e.keeps_floor(c) and e.stalled]:
            # the floor is kept, the rollouts stall: no floor or budget helps (audit 25: "binding: availability
            # floor" beside "no lower floor helps", for runs that stalled waiting on a straggler)
            lost = _lost_wake_ups(stalled[0])  # no window helps those: the rollouts that stall bind
            binding = "window" if c.window_s is not None and not lost else "stalled rollouts"
            out.append(Relaxation(binding, _stalls_keeping_floor(stalled[0], d, c.window_s is not None), None,
                                  cited=stalled[0]))
    # the floor or the surge capacity that admits a setting that meets the window: the smallest such
    # count of each family above its top (from 1 when no count keeps the floor)
    for family in families:
        if family.min_ready_seconds != mrs:
            continue
        top = search.tops.get(family) or 0
        hi = d
        lo = top + 1
        if lo > hi:
            continue
        n = search.smallest_meeting_window(family, lo, hi)
        if n is None:  # no count meets the window, the floor ignored: say so, the runs were made
            if family.kind == UNAVAILABLE:
                largest = search.one(family.at(hi))
                out.append(Relaxation("availability floor", _no_floor_helps(search, largest), None, cited=largest))
            continue
        e = search.one(family.at(n))
        if family.kind == UNAVAILABLE:
            if e.keeps_floor(c):  # (not the floor that keeps it out: never a "lower" floor above the one given)
                continue
            lower = format_share(e.worst_availability, (c.min_available_fraction,))
            out.append(Relaxation("availability floor", f"lower it to {lower}", e))
        elif e.meets_floor(c):
            out.append(Relaxation("surge capacity", f"allow {_capacity(*cap.of(e.setting))}{_stall_caveat(search, e)}",
                                  e, surge_cost(e, cap)))
    stalls = stalls_relaxed(search)
    if stalls is not None:  # a setting held out only by its family's stalls: the window's probability that admits it
        binding = binding if out or c.window_s is None else "window probability"
        out.append(stalls)
    elif held is not None:  # the same, on too few runs to name a probability
        met = "meets the window on its own runs" if c.window_s is not None else "finished every one of its runs"
        why = search.stall_risks()[held.setting.family].why_judged()
        out.append(Relaxation("window probability", f"{held.setting.label(d)} {met}, but {why}, and it has too few "
                              "runs without a stall to name the probability they show", None, cited=held))
    ready = None if aside is None else min_ready_relaxed(search, aside)
    return binding, [*out, *([ready] if ready is not None else [])]


def min_ready_relaxed(search: Search, aside: Uncut) -> Relaxation | None:
    """What minReadySeconds 0 gives when a family that can stall did (``rollsim.plan.stalls.can_stall``):
    maxSurge with minReadySeconds stalls by a dropped re-check that minReadySeconds 0 does not ask for,
    so the plan runs the largest maxSurge the budget allows at 0 (``aside``: runs kept out of the
    search's candidates, to the window's confirmation runs, else the search's replications) and names
    it when it fits; None when no such family stalled, when the plan searched maxSurge at 0 itself
    (``--min-ready-seconds 0,...``), or when the setting at 0 does not fit either.
    """
    from rollsim.plan.answer import fits

    risks = search.stall_risks()
    stalled = [f for f in search.families if f in search.prone and risks.get(f) is not None and risks[f].stalled]
    if not stalled or any(f.kind == SURGE and f.min_ready_seconds == 0 for f in search.families):
        return None
    n = search.capacity.largest(search.desired)
    if n < 1:
        return None
    runs = search.window.confirm_runs if search.c.window_s is not None else search.s.replications
    e = aside([Family(SURGE, 0.0).at(n)], runs)[0]
    if not fits(e, search.c, search.capacity, search.window, {}):  # no family of its own: none can stall at 0
        return None
    risk = risks[stalled[0]]
    needed = (f"set it to 0 (--min-ready-seconds 0): {risk.family.label()} stalled in {risk.stalled} of its "
              f"{risk.runs} runs by a dropped re-check, which minReadySeconds 0 does not ask for; a new pod then "
              "counts as available once Ready, with no wait to show that it stays so")
    return Relaxation("minReadySeconds", needed, e, surge_cost(e, search.capacity))


def _stall_caveat(search: Search, e: Evidence) -> str:
    """What a setting a relaxation names would still need when its family stalled, or can
    (``rollsim.plan.answer.stalls_too_often``): `` (then 80 runs of it without a stall: its family
    stalled (2 of 82 runs of 3 settings); it ran 5)``; "" when it needs none.
    """
    from rollsim.plan.answer import stall_runs_needed, stalls_too_often

    risks = search.stall_risks()
    if not stalls_too_often(e, search.window, risks):
        return ""
    return (f" (then {stall_runs_needed(e, search.window, risks)} runs of it without a stall: "
            f"{risks[e.setting.family].why_judged()}; it ran {e.replications})")


def stalls_relaxed(search: Search) -> Relaxation | None:
    """The window probability at which a setting held out only by its family's stalls
    (``rollsim.plan.answer.stalls_too_often``: it keeps the floor, fits the surge budget and meets
    the window on its own runs, none of which stalled, but has fewer than ``stall_free_runs`` asks)
    would fit on the runs it has, and the setting the plan would then choose; None when there is
    none. The probability is the whole percent at or below (α / m)^(1/n), n its runs, m its family's
    settings, α 1 − the confidence. A plan asked again with it runs the same seeds.
    """
    from rollsim.plan.answer import choose, fits, stalls_too_often

    c, window, cap = search.c, search.window, search.capacity
    risks = search.stall_risks()
    held = [e for e in search.confirmed()  # fits were no family's stalls weighed (no risks), stalled in no run
            if not e.stalled and stalls_too_often(e, window, risks) and fits(e, c, cap, window, {})]
    if not held:
        return None
    e = max(held, key=lambda h: h.replications)
    if e.replications < window.confirm_runs:  # a probability from a few runs (5: 32%) says little (audit 27)
        return None
    risk = risks[e.setting.family]
    probability = math.floor(100 * ((1 - c.confidence) / risk.settings) ** (1 / e.replications)) / 100
    relaxed = dataclasses.replace(c, window_probability=probability) if probability > 0 else None
    chosen = None if relaxed is None else choose(search.confirmed(), relaxed, cap, WindowRule.of(relaxed, window.looks),
                                                search.rule, risks)
    if chosen is None:
        return None
    needed = (f"lower it to {format_share(probability)} (--window-probability {probability:g}): {risk.why_judged()}, "
              f"and {e.setting.label(search.desired)}'s {e.replications} runs, none stalled, show at most that")
    return Relaxation("window probability", needed, chosen, surge_cost(chosen, cap))


def bound_words(window: WindowRule, e: Evidence) -> str:
    """Which bound ``window.bound(e)`` is, in words: ``the longest of its 59 runs`` or ``the normal
    tolerance bound over its 5 runs``.
    """
    if window.distribution_free(e):
        return window.bound_kind(e).split(": ", 1)[-1].replace(" of ", " of its ", 1)
    return f"the normal tolerance bound over its {count_of(e.replications, 'run')}"


def window_basis(e: Evidence, search: Search, allow: float) -> str:
    """What a window named for ``e`` rests on (``needed_window``): ``p95 at 95% confidence: the longest
    of its 59 runs, one run's duration, which moves with the seed; the screen of its first 20 runs
    accepts it too``, or, where the screen asks for more, that normal bound with the longest run
    beside it. The spread of the runs is the relaxation's (``spread``).
    """
    c, window = search.c, search.window
    q = f"p{100 * c.window_probability:g} at {100 * c.confidence:g}% confidence"
    _screen, n = accepted_window(e, window, search.s.ladder)
    looked = f"the screen of its first {count_of(n, 'run')}"
    if e.replications < window.confirm_runs:
        return f"{q}: what {looked} needs, on the normal tolerance bound"
    first = Evidence(e.setting, e.summaries[:window.confirm_runs])
    order = window.bound(first)
    if math.ceil(order) >= allow:
        return (f"{q}: {bound_words(window, first)}, one run's duration, which moves with the seed; {looked} "
                "accepts it too")
    return (f"{q}: what {looked} needs, on the normal tolerance bound; {bound_words(window, first)} is "
            f"{format_duration(order)}")


def _stalls_keeping_floor(e: Evidence, desired: int, window: bool) -> str:
    """Why no window is named when the settings that keep the floor stall: what their runs waited on,
    how long a run waited for progress (``run.waiting_a_window``: its end less its last progress), and
    what would help: for a lost minReadySeconds wake-up (``old-pod-kept``) no window, since the old pod
    waits for the informers' resync, but minReadySeconds 0; for a straggler, a longer wait.
    """
    from rollsim.plan.answer import stalled_on

    stalled = [s for s in e.summaries if s.get("stalled")]
    waits = [s["end_s"] - s["stalled_at_s"] for s in stalled if s.get("end_s") is not None
             and s.get("stalled_at_s") is not None]
    waited = f" after {format_duration(max(waits))} without progress" if waits else ""
    said = (f"no setting that keeps the floor finished every run: {e.setting.label(desired)} stalled in "
            f"{e.stalled} of its {e.replications} runs{stalled_on(stalled)} (each called stalled{waited}: "
            + ("the window, or the scenario's stall_after if longer)" if window else "the scenario's stall_after)"))
    if _lost_wake_ups(e):
        return (f"{said}; no window helps, as such an old pod waits for the informers' resync (12-24 h): "
                "minReadySeconds 0 avoids the race (--min-ready-seconds 0)")
    if window:
        return f"{said}; if what they wait on ends, a longer window waits for it"
    return f"{said}; a --window longer than what they wait on makes the plan wait that long"


def _lost_wake_ups(e: Evidence) -> bool:
    """Whether ``e``'s stalled runs stopped mostly on a lost minReadySeconds wake-up (``old-pod-kept``)."""
    causes = Counter(str(s.get("stop_cause")) for s in e.summaries if s.get("stalled"))
    return bool(causes) and causes.most_common(1)[0][0] == "old-pod-kept"


def _no_floor_helps(search: Search, largest: Evidence) -> str:
    """Why lowering the floor admits no setting: even the largest maxUnavailable misses the window."""
    bound = search.window.bound(largest)
    if math.isfinite(bound):  # its kind and its runs' spread: from 5 runs a normal bound is far out (audit 18)
        why = (f"p{100 * search.c.window_probability:g} bound {format_duration(bound)}: "
               f"{bound_words(search.window, largest)}, whose p50 is {format_duration(largest.shown_quantile(0.5))} "
               f"and p95 {format_duration(largest.shown_quantile(0.95))}")
    else:  # stalled, or cut by the plan's horizon still going (audit 18: "did not finish" read as a stall)
        why = (f"{largest.stalled} of its {largest.replications} runs stalled" if largest.stalled else
               f"{largest.unfinished} of its {largest.replications} runs were still going when cut at the runs' "
               "horizon; none stalled")
    return f"no lower floor helps: even {largest.setting.label(search.desired)} misses the window ({why})"


_PRESSURE_CAUSES = frozenset({"disk-pressure", "failed-pods-left"})
_PRESSURE_WAY_OUT = ("every setting's runs stalled on them (their kubelets reject every new pod that is not critical), "
                     "so relaxing no constraint helps: clear the pressure first, give --disk-pressure-for S if it "
                     "will clear after S seconds, or run the DaemonSet at a critical priority (system-node-critical), "
                     "which the kubelet neither evicts nor rejects")


def _not_ready_way_out(count: int) -> str:
    """Why no setting finishes on a cluster with NotReady nodes the DaemonSet should run on, and what helps."""
    return (f"{count_of(count, 'NotReady node')} the DaemonSet tolerates: their new pods never become available, "
            "so no setting's rollout completes (kubectl rollout status waits for every desired node) and relaxing "
            "no constraint helps: bring them back, or drain and delete them, and plan again")


def _stalled_on_pressure(e: Evidence) -> bool:
    """Every replication of ``e`` stalled on nodes under disk pressure (its stop cause says so)."""
    return bool(e.summaries) and all(s.get("stalled") and s.get("stop_cause") in _PRESSURE_CAUSES
                                     for s in e.summaries)


def _cut_at_horizon(e: Evidence) -> bool:
    """Some replication was still running when it was cut (not stalled): the plan's cut or the scenario's horizon."""
    return any(not s.get("completed") and not s.get("stalled") for s in e.summaries)


def _capacity(pods: int, cpu: int, mem: int) -> str:
    """``12 extra pods (1,200m CPU, 2,400Mi)``: the surge budget to allow, as --surge-cpu and
    --surge-memory take it; requests of zero are left out.
    """
    parts = [p for p in (f"{cpu:,}m CPU" if cpu else "", f"{mem / 2**20:,.0f}Mi" if mem else "") if p]
    return f"{pods} extra pod{'s' if pods != 1 else ''}" + (f" ({', '.join(parts)})" if parts else "")


def fastest_settings(search: Search) -> list[Setting]:
    """The settings likely fastest among those that may keep the floor, at the smallest
    minReadySeconds: the most surge pods the budget allows (maxUnavailable 0 keeps every node
    available) and the largest maxUnavailable the floor allows on paper, ``⌊(1 − floor) ×
    desired⌋`` (at least 1), the search's own first guess of its top.
    """
    c, d = search.c, search.desired
    mrs = min(f.min_ready_seconds for f in search.families)
    out = []
    surge = search.capacity.largest(d)
    if surge >= 1 and any(f.kind == SURGE for f in search.families):
        out.append(Family(SURGE, mrs).at(surge))
    out.append(Family(UNAVAILABLE, mrs).at(max(1, math.floor((1 - c.min_available_fraction) * d + 1e-9))))
    return out


def window_uncut(search: Search, cut: str, uncut: Uncut | None) -> tuple[str, Relaxation]:
    """The binding constraint and the window to allow when no run finished within the plan's
    cut: the bound of the fastest setting that, run without the cut (``uncut``), finished every
    run and kept the floor; else what those runs showed (the floor binds when every one of them
    finished and fell below it).
    """
    c, window, d = search.c, search.window, search.desired
    head = f"no setting tried finished every run before {cut}"
    if uncut is None:  # the scenario's own horizon cut them: the user set it
        return "window", Relaxation("window", f"{head}; allow a longer horizon to learn the window needed", None)
    tried = uncut(fastest_settings(search), search.s.replications)
    fit = [e for e in tried if e.meets_floor(c)]
    if not fit:
        what = "; ".join(f"{e.setting.label(d)} {_uncut_failure(e, c.min_available_fraction)}" for e in tried)
        binding = "availability floor" if all(e.completed for e in tried) else "window"
        return binding, Relaxation("window", f"{head}; run without the cut, {what}: no window alone would do", None)
    # run to the replications that confirm it (Search.confirm), not cut either: their first runs are the
    # screen's looks (needed_window), so the window named is one a plan asked again both screens and confirms
    best = uncut([min(fit, key=window.bound).setting], window.confirm_runs)[0]
    if not best.meets_floor(c):
        return "window", Relaxation("window", f"{head}; run without the cut, {best.setting.label(d)} "
                                    f"{_uncut_failure(best, c.min_available_fraction)}: no window alone would do", None)
    allow = needed_window(best, window, search.s.ladder)
    return "window", Relaxation("window", f"allow {format_duration(allow)} (the window a plan would find it meets, "
                                f"{window_basis(best, search, allow)}, its runs not cut: {head})", best,
                                surge_cost(best, search.capacity))


def accepted_window(e: Evidence, window: WindowRule, ladder: Sequence[int]) -> tuple[float, int]:
    """The shortest window a plan would find ``e``'s setting meets, from its runs, and the count of
    runs that shows it: the plan looks at the first n runs for each n of ``ladder`` in turn (the
    seeds are the plan's) and stops at the first whose bound is within the window (met), or whose
    ``window.probability`` quantile is beyond it (not met; in between it adds runs). A window W is
    met at n when W is at least the bound of the first n runs, the quantiles of the looks before,
    and a ``HORIZON_WINDOWS``-th of the longest of those runs (a run of more windows is cut).
    """
    best, looked, longest = (math.inf, e.replications), 0.0, 0.0
    for n in ladder:
        if n > e.replications:
            break
        first = Evidence(e.setting, e.summaries[:n])
        longest = max(longest, float(np.max(first.durations)))
        w = max(window.bound(first), looked, longest / HORIZON_WINDOWS)
        if w < best[0]:
            best = (w, n)
        looked = max(looked, first.quantile(window.probability))
    return best


def needed_window(e: Evidence, window: WindowRule, ladder: Sequence[int]) -> float:
    """The shortest window, in whole seconds (rounded up: a window printed 15m06s over a run of
    906.1 s would miss it; audit 15), a plan would recommend ``e``'s setting for: one its screen
    accepts (``accepted_window``) and, once it has ``window.confirm_runs`` runs, whose
    distribution-free bound over those first runs is within (``WindowRule.bound``; inf if one did
    not finish).
    """
    allow, _ = accepted_window(e, window, ladder)
    if e.replications >= window.confirm_runs:
        allow = max(allow, window.bound(Evidence(e.setting, e.summaries[:window.confirm_runs])))
    return float(math.ceil(allow)) if math.isfinite(allow) else allow  # whole seconds, up: as --window takes it


def _uncut_failure(e: Evidence, floor: float) -> str:
    """Why a setting run without the cut does not fit whatever the window (``window_uncut``)."""
    if not e.completed:
        return f"did not finish in {e.unfinished} of {e.replications} runs" + (
            f" ({e.stalled} stalled)" if e.stalled else "")
    return (f"finished but kept only {format_share(e.worst_availability, (floor,))} of the nodes available "
            f"(floor {format_share(floor)})")
