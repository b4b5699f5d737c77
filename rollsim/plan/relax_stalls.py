"""Relaxations where stalls bind: the settings that keep the floor stall, or a family that can stall
holds its settings out until their runs show the stalls rare enough (``rollsim.plan.answer.stalls_too_often``).

``stalls_relaxed`` names the window probability a held setting's runs would show,
``min_ready_relaxed`` what minReadySeconds 0 gives (the race needs minReadySeconds),
``stalls_keeping_floor`` why no window is named when the settings that keep the floor stall. A
setting another relaxation names is run first to the stall-free runs it needs
(``rollsim.plan.answer.run_stall_free``).
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter

from rollsim.plan.answer import choose, fits, stalled_on, stalls_too_often
from rollsim.plan.candidates import SURGE, Family
from rollsim.plan.constraints import Constraints
from rollsim.plan.evidence import Evidence, WindowRule
from rollsim.plan.relaxation import Relaxation, Uncut, surge_cost
from rollsim.plan.search import Search
from rollsim.present.render import format_duration, format_share

__all__ = ["lost_wake_ups", "min_ready_relaxed", "probability_name", "stalls_keeping_floor",
           "stalls_relaxed"]


def probability_name(c: Constraints) -> str:
    """What ``--window-probability`` is called in a relaxation: the window's probability, or without a
    window the share of rollouts that must finish (a stalled one never does).
    """
    return "window probability" if c.window_s is not None else "share that must finish"


def stalls_relaxed(search: Search) -> Relaxation | None:
    """The window probability at which a setting held out only by its family's stalls
    (``rollsim.plan.answer.stalls_too_often``: it keeps the floor, fits the surge budget and meets
    the window on its own runs, none of which stalled, but has fewer than ``stall_free_runs`` asks)
    would fit on the runs it has, and the setting the plan would then choose; None when there is
    none. The probability is the whole percent at or below (α / m)^(1/n), n its runs, m its family's
    settings, α 1 − the confidence. A plan asked again with it runs the same seeds.
    """
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
    return Relaxation(probability_name(c), needed, chosen, surge_cost(chosen, cap))


def min_ready_relaxed(search: Search, aside: Uncut) -> Relaxation | None:
    """What minReadySeconds 0 gives when a family that can stall did (``rollsim.plan.stalls.can_stall``):
    maxSurge with minReadySeconds stalls by a dropped re-check that minReadySeconds 0 does not ask for,
    so the plan runs the largest maxSurge the budget allows at 0 (``aside``: runs kept out of the
    search's candidates) to the window's confirmation runs, with or without a window (audit 28: its p50
    from 5 runs read 1m16s where 300 new seeds give 5m20s), and names it when it fits, its most extra
    pods at once in its runs within the budget too: at 0 a run can hold one extra pod more than
    maxSurge at once (``max_surge_observed``; audit 28: 8 of 600 seeds at maxSurge 30 on 100 nodes,
    none of 600 at minReadySeconds 10), so a count one less is tried when the largest went over. None
    when no such family stalled, when the plan searched maxSurge at 0 itself (``--min-ready-seconds
    0,...``), or when nothing at 0 fits.
    """
    risks = search.stall_risks()
    stalled = [f for f in search.families if f in search.prone and risks.get(f) is not None and risks[f].stalled]
    if not stalled or any(f.kind == SURGE and f.min_ready_seconds == 0 for f in search.families):
        return None
    cap = search.capacity
    top = cap.largest(search.desired)
    for n in (top, top - 1):
        if n < 1:
            return None
        e = aside([Family(SURGE, 0.0).at(n)], search.window.confirm_runs)[0]
        # no family of its own: none can stall at 0; the most pods its runs had at once within the budget
        if not cap.over(Family(SURGE, 0.0).at(max(n, e.max_surge_observed))):
            break
    else:
        return None
    if not fits(e, search.c, cap, search.window, {}):
        return None
    risk = risks[stalled[0]]
    needed = (f"set it to 0 (--min-ready-seconds 0): {risk.family.label()} stalled in {risk.stalled} of its "
              f"{risk.runs} runs by a dropped re-check, which minReadySeconds 0 does not ask for; a new pod then "
              "counts as available once Ready, with no wait to show that it stays so")
    return Relaxation("minReadySeconds", needed, e, surge_cost(e, cap))


def stalls_keeping_floor(e: Evidence, desired: int, window: bool) -> str:
    """Why no window is named when the settings that keep the floor stall: what their runs waited on,
    how long a run waited for progress (``run.waiting_a_window``: its end less its last progress), and
    what would help: for a lost minReadySeconds wake-up (``old-pod-kept``) no window, since the old pod
    waits for the informers' resync, but minReadySeconds 0; for a straggler, a longer wait.
    """
    stalled = [s for s in e.summaries if s.get("stalled")]
    waits = [s["end_s"] - s["stalled_at_s"] for s in stalled if s.get("end_s") is not None
             and s.get("stalled_at_s") is not None]
    waited = f" after {format_duration(max(waits))} without progress" if waits else ""
    said = (f"no setting that keeps the floor finished every run: {e.setting.label(desired)} stalled in "
            f"{e.stalled} of its {e.replications} runs{stalled_on(stalled)} (each called stalled{waited}: "
            + ("the window, or the scenario's stall_after if longer)" if window else "the scenario's stall_after)"))
    if lost_wake_ups(e):
        return (f"{said}; {'no window' if window else 'no longer wait'} helps, as such an old pod waits for the "
                "informers' resync (12-24 h): minReadySeconds 0 avoids the race (--min-ready-seconds 0)")
    if window:
        return f"{said}; if what they wait on ends, a longer window waits for it"
    return f"{said}; a --window longer than what they wait on makes the plan wait that long"


def lost_wake_ups(e: Evidence) -> bool:
    """Whether ``e``'s stalled runs stopped mostly on a lost minReadySeconds wake-up (``old-pod-kept``)."""
    causes = Counter(str(s.get("stop_cause")) for s in e.summaries if s.get("stalled"))
    return bool(causes) and causes.most_common(1)[0][0] == "old-pod-kept"

