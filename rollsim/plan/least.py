"""The least that fits: the smallest budget of the answer's family that still meets every constraint.

The answer is the fastest setting that fits (within the tolerance), so with a window it can
be far more than the window needs: on 298 nodes and a 30-minute window the plan answered
maxSurge 150 (up to 155 nodes running two pods at once) where maxSurge 14 also meets it
(audit 23). A budget trades speed for what it costs (nodes without their agent at
once, or extra pods), so beside the answer the plan names the smallest count of its family
that fits, found as the relaxations find theirs: a bisection on "meets the window" (a larger
budget is never slower), then that count run to the confirmation runs, galloping up while
its confirmed bound misses (``rollsim.plan.relax.smallest_true_window``,
``smallest_confirmed``). A smaller budget keeps at least the availability the answer keeps
and needs less capacity, and the family's stall risk is the answer's, so the window is the
one constraint that can rule a smaller count out; the count found is checked against every
constraint all the same (``rollsim.plan.answer.fits``). Only with a window: without one every
count fits, and the least is 1.
"""

from __future__ import annotations

from rollsim.plan.answer import fits
from rollsim.plan.evidence import Evidence
from rollsim.plan.relax import smallest_confirmed, smallest_true_window
from rollsim.plan.search import Search

__all__ = ["least_that_fits", "with_least"]

ROUNDS = 3  # times ``with_least`` decides again when the least's runs took the answer out, at most


def with_least(search: Search, chosen: Evidence) -> tuple[Evidence | None, Evidence | None]:
    """The answer and its least that fits. The least's runs are rollouts of the answer's family, and
    a stall among them can raise its family's stall risk above what the window allows
    (``rollsim.plan.answer.stalls_too_often``): then the answer is decided again on every run
    (``decide``), and its least looked for again, up to ``ROUNDS`` times (then none is named).
    """
    from rollsim.plan.answer import decide

    for _ in range(ROUNDS):
        least = least_that_fits(search, chosen)
        again = decide(search)
        if again is None:
            return None, None
        if again.setting == chosen.setting:
            return again, least
        chosen = again
    return chosen, None


def least_that_fits(search: Search, chosen: Evidence) -> Evidence | None:
    """The smallest count of ``chosen``'s family below it that fits every constraint, confirmed
    (``Search.confirm``); None without a window, or when no smaller count fits.
    """
    if search.c.window_s is None or chosen.setting.count <= 1:
        return None
    family = chosen.setting.family
    hi = chosen.setting.count - 1

    def probe(counts):
        search.evidence([family.at(n) for n in counts])

    n = smallest_true_window(search, family, 1, hi, probe)
    if n is not None and not search.window.meets(search.confirm(family.at(n))):  # the screen was optimistic
        n = smallest_confirmed(search, family, n + 1, hi) if n < hi else None
    if n is None:
        return None
    e = search.confirm(family.at(n))
    return e if fits(e, search.c, search.capacity, search.window, search.stall_risks()) else None
