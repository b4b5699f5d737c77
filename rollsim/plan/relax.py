"""When no setting fits: the binding constraint, and what relaxing each constraint would give.

``diagnose`` names the constraint that binds and, for each constraint, the limit that
admits a setting and that setting: the window the fastest setting that keeps the floor
needs, the floor that admits a setting that meets the window, the surge budget that does.
A plan cuts its runs at ``HORIZON_WINDOWS`` windows (``rollsim.plan.run.with_horizon``), so
a window too short for any run to finish within the cut says nothing of the window needed:
then ``window_uncut`` runs the fastest settings once more, not cut, and gives theirs. Where
stalls bind, the relaxations are ``rollsim.plan.relax_stalls``'s; a relaxation itself is a
``rollsim.plan.relaxation.Relaxation``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from rollsim.plan.answer import run_stall_free, stalls_too_often
from rollsim.plan.candidates import SURGE, UNAVAILABLE, Family, Setting
from rollsim.plan.constraints import HORIZON_WINDOWS, Constraints
from rollsim.plan.evidence import Evidence, WindowRule
from rollsim.plan.relax_stalls import (
    lost_wake_ups,
    min_ready_relaxed,
    probability_name,
    stalls_keeping_floor,
    stalls_relaxed,
)
from rollsim.plan.relaxation import Relaxation, Uncut, spread, surge_cost
from rollsim.plan.search import Search
from rollsim.present.render import count_of, format_bound, format_duration, format_share

__all__ = ["Relaxation", "Uncut", "accepted_window", "bound_words", "diagnose", "fastest_settings", "needed_window",
           "spread", "surge_cost", "window_basis", "window_uncut"]


def diagnose(search: Search, cut: str = "the horizon", uncut: Uncut | None = None,
             not_ready: int = 0, aside: Uncut | None = None) -> tuple[str, list[Relaxation]]:
    """When nothing fits: the binding constraint, and what relaxing each constraint gives.

    ``not_ready``: the NotReady nodes the DaemonSet tolerates (it should run there): their new pods
    never become available, so a run is judged done once the others are (``evidence.healthy_view``);
    when they alone break the floor (unavailable from the start), or no setting's other nodes
    finished (they hold the whole budget), they, not a constraint, are what binds.

    ``cut`` names where unfinished runs ended (``rollsim.present.plan_rows.cut_phrase``);
    ``uncut`` runs settings without the plan's cut, for the window a search whose every run was
    cut would need (``window_uncut``; None: the cut is the scenario's own horizon). ``aside`` runs
    settings the search was not asked to try, kept out of its candidates: minReadySeconds 0 where a
    family that can stall did (``min_ready_relaxed``; None: not tried).
    """
    c, cap, d = search.c, search.capacity, search.desired
    if not_ready and d and (d - not_ready) / d < c.min_available_fraction:  # below the floor before any pod moves
        return "NotReady nodes", [Relaxation("NotReady nodes", _not_ready_floor(not_ready, d, c), None)]
    out: list[Relaxation] = []
    families = search.families
    mrs = min(f.min_ready_seconds for f in families)
    # the tops (the largest counts that keep the floor) whose runs all finished; else the counts of 1 that
    # did (a top that stalled hides a slower count that keeps the floor: audits 27 and 28)
    keepers = [e for f, t in search.tops.items() if t is not None and (e := search.one(f.at(t))).completed]
    one = surge = held = None
    if not keepers:
        one = search.one(Setting(UNAVAILABLE, 1, mrs))
        surge = search.one(Family(SURGE, mrs).at(1)) if any(f.kind == SURGE for f in families) else None
        keepers = [e for e in (one, surge) if e is not None and e.completed and e.keeps_floor(c)]
    if keepers and c.window_s is None:  # finished with the floor kept and no window: held by their stalls
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
            lost = lost_wake_ups(stalled[0])  # no window helps those: the rollouts that stall bind
            binding = "window" if c.window_s is not None and not lost else "stalled rollouts"
            out.append(Relaxation(binding, stalls_keeping_floor(stalled[0], d, c.window_s is not None), None,
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
        elif (e.meets_floor(c) and (shown := run_stall_free(search, e)) is not None and shown.meets_floor(c)
              and search.window.meets(shown)):
            out.append(Relaxation("surge capacity", f"allow {_capacity(*cap.of(e.setting))}", shown,
                                  surge_cost(shown, cap)))
    stalls = stalls_relaxed(search)
    if stalls is not None:  # a setting held out only by its family's stalls: the window's probability that admits it
        binding = binding if out or c.window_s is None else probability_name(c)
        out.append(stalls)
    elif held is not None:  # the same, on too few runs to name a probability
        met = "meets the window on its own runs" if c.window_s is not None else "finished every one of its runs"
        why = search.stall_risks()[held.setting.family].why_judged()
        out.append(Relaxation(probability_name(c), f"{held.setting.label(d)} {met}, but {why}, and it has too "
                              "few runs without a stall to name the probability they show", None, cited=held))
    ready = None if aside is None else min_ready_relaxed(search, aside)
    return binding, [*out, *([ready] if ready is not None else [])]


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
    judged = max((first, e), key=window.bound)  # all its runs, where more than the confirmation's bind
    order = window.bound(judged)
    if math.ceil(order) >= allow:
        return (f"{q}: {bound_words(window, judged)}, one run's duration, which moves with the seed; {looked} "
                "accepts it too")
    return (f"{q}: what {looked} needs, on the normal tolerance bound; {bound_words(window, judged)} is "
            f"{format_duration(order)}")


def _no_floor_helps(search: Search, largest: Evidence) -> str:
    """Why lowering the floor admits no setting: even the largest maxUnavailable misses the window."""
    bound = search.window.bound(largest)
    if math.isfinite(bound):  # its kind and its runs' spread: from 5 runs a normal bound is far out (audit 18)
        why = (f"p{100 * search.c.window_probability:g} bound {format_bound(bound)}: "
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


def _not_ready_floor(count: int, desired: int, c: Constraints) -> str:
    """Why no setting keeps the floor where the NotReady nodes the DaemonSet should run on break it
    before any pod is touched (their pods are not available, and they count in the floor).
    """
    share, one = (desired - count) / desired, count == 1
    return (f"{count_of(count, 'NotReady node')} the DaemonSet should run on {'is' if one else 'are'} "
            f"unavailable from the start: {desired - count:,} of {desired:,} nodes ({format_share(share)}) is below "
            f"the {format_share(c.min_available_fraction)} floor before any pod is touched, in every setting: bring "
            f"{'it' if one else 'them'} back, or delete {'its Node object' if one else 'their Node objects'} "
            f"(a drain leaves DaemonSet pods), or plan with a floor of at most {format_share(share)}")


def _not_ready_way_out(count: int) -> str:
    """Why no setting finishes on a cluster with NotReady nodes the DaemonSet should run on, and what helps."""
    return (f"{count_of(count, 'NotReady node')} the DaemonSet tolerates: their new pods never become available, "
            "so no setting's rollout completes (kubectl rollout status waits for every desired node) and relaxing "
            "no constraint helps: bring them back, or delete their Node objects (a drain leaves DaemonSet pods), "
            "and plan again")


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
    not finish), and over all it has: a plan asked again runs it as far (its family's stall-free
    runs, an "as fast" verdict) and judges it on all of them (audit 28: "allow 32m22s (the longest of
    its 59 runs)" named a setting whose 80 runs' bound was 34m55s).
    """
    allow, _ = accepted_window(e, window, ladder)
    if e.replications >= window.confirm_runs:
        allow = max(allow, window.bound(Evidence(e.setting, e.summaries[:window.confirm_runs])), window.bound(e))
    return float(math.ceil(allow)) if math.isfinite(allow) else allow  # whole seconds, up: as --window takes it


def _uncut_failure(e: Evidence, floor: float) -> str:
    """Why a setting run without the cut does not fit whatever the window (``window_uncut``)."""
    if not e.completed:
        return f"did not finish in {e.unfinished} of {e.replications} runs" + (
            f" ({e.stalled} stalled)" if e.stalled else "")
    return (f"finished but kept only {format_share(e.worst_availability, (floor,))} of the nodes available "
            f"(floor {format_share(floor)})")
