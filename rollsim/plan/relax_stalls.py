"""Relaxations where stalls bind: the settings that keep the floor stall, or a family that can stall
holds its settings out until their runs show the stalls rare enough (``rollsim.plan.answer.stalls_too_often``).

``stalls_relaxed`` names the window probability a held setting's runs would show,
``min_ready_relaxed`` what minReadySeconds 0 gives (the race needs minReadySeconds),
``stalls_keeping_floor`` why no window is named when the settings that keep the floor stall, and
``stall_caveat`` what a setting another relaxation names would still need.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter

from rollsim.plan.candidates import SURGE, Family
from rollsim.plan.evidence import Evidence, WindowRule
from rollsim.plan.relaxation import Relaxation, Uncut, surge_cost
from rollsim.plan.search import Search
from rollsim.present.render import format_duration, format_share

__all__ = ["lost_wake_ups", "min_ready_relaxed", "stall_caveat", "stalls_keeping_floor", "stalls_relaxed"]


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


def stall_caveat(search: Search, e: Evidence) -> str:
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


def stalls_keeping_floor(e: Evidence, desired: int, window: bool) -> str:
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
    if lost_wake_ups(e):
        return (f"{said}; no window helps, as such an old pod waits for the informers' resync (12-24 h): "
                "minReadySeconds 0 avoids the race (--min-ready-seconds 0)")
    if window:
        return f"{said}; if what they wait on ends, a longer window waits for it"
    return f"{said}; a --window longer than what they wait on makes the plan wait that long"


def lost_wake_ups(e: Evidence) -> bool:
    """Whether ``e``'s stalled runs stopped mostly on a lost minReadySeconds wake-up (``old-pod-kept``)."""
    causes = Counter(str(s.get("stop_cause")) for s in e.summaries if s.get("stalled"))
    return bool(causes) and causes.most_common(1)[0][0] == "old-pod-kept"

