"""The least that fits (``plan --least``): the smallest budget of the answer's family that still
meets every constraint.

The answer is the fastest setting that fits (within the tolerance), so with a window it can
be far more than the window needs: on 298 nodes and a 30-minute window the plan answered
maxSurge 150 (up to 155 nodes running two pods at once) where maxSurge 14 also meets it
(audit 23). A budget trades speed for what it costs (nodes without their agent at once, or
extra pods), so asked with ``--least`` the plan also names the smallest count of its family
that fits, found as the relaxations find theirs (``Search.smallest_meeting_window``):
a bisection on "meets the window" (a larger budget is never slower), then that count run to
the confirmation runs, galloping up while its confirmed bound misses. A smaller budget keeps
at least the availability the answer keeps and needs less capacity, so the window is the one
constraint that can rule a smaller count out; the count found is checked against every
constraint all the same (``rollsim.plan.answer.fits``).

It is asked for, not done by default: it costs 60-70% more runs (452 against 284 for 100
nodes and a 30-minute window), and the search's own runs of small counts are screens of two
runs, too few to name one. Only with a window (without one every count fits), and not for a
family a run of which stalled: a count stalls at random, so "meets the window" is not monotone
in the count and a bisection can skip the least (audit 24). The least's runs are rollouts of the
answer's family: when one of them stalls, the answer no longer fits by every run, and it is
decided again (``with_least``). In a family that can stall whatever its runs show
(``rollsim.plan.stalls.can_stall``) the least is run to the stall-free runs the answer was.
"""

from __future__ import annotations

from rollsim.plan.answer import decide, fits, run_stall_free
from rollsim.plan.evidence import Evidence
from rollsim.plan.search import Search

__all__ = ["least_note", "least_that_fits", "with_least"]

ROUNDS = 3  # times ``with_least`` decides again when the least's runs took the answer out, at most


def _stalled(search: Search, e: Evidence) -> bool:
    """Whether a run of ``e``'s family stalled."""
    risk = search.stall_risks().get(e.setting.family)
    return risk is not None and risk.stalled > 0


def least_that_fits(search: Search, chosen: Evidence) -> Evidence | None:
    """The smallest count of ``chosen``'s family below it that fits every constraint, confirmed
    (``Search.confirm``); None without a window, when no smaller count fits, or when a run of the
    family stalled.
    """
    if search.c.window_s is None or chosen.setting.count <= 1 or _stalled(search, chosen):
        return None
    family = chosen.setting.family
    n = search.smallest_meeting_window(family, 1, chosen.setting.count - 1)
    if n is None:
        return None
    e = run_stall_free(search, search.confirm(family.at(n)))  # a family that can stall (``prone``)
    return e if e is not None and fits(e, search.c, search.capacity, search.window, search.stall_risks()) else None


def with_least(search: Search, chosen: Evidence) -> tuple[Evidence | None, Evidence | None]:
    """The answer and its least that fits. When a run the least added stalled, ``chosen`` may no
    longer fit by every run (``rollsim.plan.answer.stalls_too_often``): then the answer is decided
    again, and its least looked for again, up to ``ROUNDS`` times (then none is named).
    """
    for _ in range(ROUNDS):
        least = least_that_fits(search, chosen)
        if fits(chosen, search.c, search.capacity, search.window, search.stall_risks()):
            return chosen, least
        again = decide(search)
        if again is None:
            return None, None
        chosen = again
    return chosen, None


def least_note(search: Search, chosen: Evidence, least: Evidence | None, looked: bool) -> str | None:
    """What the answer says of its least when it names none; None without a window (every count
    fits) or when a least is named.
    """
    if search.c.window_s is None or least is not None:
        return None
    if chosen.setting.count == 1:  # nothing smaller to look for
        return "the answer itself: a budget of 1, the smallest there is"
    if not looked:
        return ("not looked for: --least finds the smallest budget of this family that meets every constraint "
                "(a bisection and its confirmation runs)")
    if _stalled(search, chosen):
        return ("not looked for: its family stalled, and a count that stalls at random can fit below one that "
                "missed, so no bisection finds the least")
    return "the answer itself: no smaller count of its family meets every constraint"
