"""What a sync decides, from the added-up node contributions (``rollsim.controller.index.Aggregate``).

Every function here is pure: the same aggregate gives the same lists. Lists are cut at
``limit`` (``BurstReplicas``) exactly where ``syncNodes`` would cut them, so entries
past the cap are never even chosen.
"""

from __future__ import annotations

from operator import itemgetter
from typing import NamedTuple

from rollsim.controller.index import Aggregate
from rollsim.controller.pods import Pod
from rollsim.spec.budget import Budgets

__all__ = [
    "Plan",
    "SyncError",
    "manage_plan",
    "rolling_update_plan",
    "manage_idle",
    "rolling_update_idle",
    "daemonset_status",
    "status_counts",
]


class SyncError(Exception):
    """A sync that fails and is requeued with rate limiting (``AddRateLimited``)."""


class Plan(NamedTuple):
    """The arguments of one ``syncNodes`` call: nodes to create a pod on, pods to delete."""

    creates: list[int]
    deletes: list[Pod]

    def __bool__(self) -> bool:
        return bool(self.creates or self.deletes)


# ``_new_plan(Plan, (creates, deletes))`` builds a plan as ``Plan(creates, deletes)`` does, without the
# Python-level ``__new__`` namedtuple generates (a plan per acting sync: two per node in ideal mode)
_new_plan = tuple.__new__


def _pods(agg: Aggregate, set_name: str, field: str, limit: int) -> list[Pod]:
    """The pods named by ``field`` of the lowest-ranked nodes of ``set_name``, at most ``limit``."""
    ranked = agg.sets[set_name]
    if not ranked.members:  # the usual case: no set to take from
        return []
    out: list[Pod] = []
    for node in ranked.smallest(limit):
        value = getattr(agg.classes(node), field)
        out.extend(value if isinstance(value, tuple) else (value,))
        if len(out) >= limit:
            break
    return out[:limit]


def manage_plan(agg: Aggregate, limit: int) -> Plan:
    """Mirrors ``manage`` without failed pods: creates on desired nodes with no pod, and the
    deletions of ``podsShouldBeOnNode`` (excess, succeeded, surge pruning, no-longer-eligible)
    plus ``getUnscheduledPodsWithoutNode``. Failed pods go through the backoff in the controller.
    """
    sets = agg.sets
    return _new_plan(Plan, (sets["create"].smallest(limit),
                            _pods(agg, "deletes", "deletes", limit) if sets["deletes"].members else []))


def rolling_update_plan(agg: Aggregate, max_unavailable: int, max_surge: int, limit: int) -> Plan:
    """Mirrors ``rollingUpdate``: path A (delete first) when maxSurge is 0, else path B (surge)."""
    totals, sets = agg.totals, agg.sets
    if max_surge == 0:
        # Old pods that are not available are always deleted, and count against the budget.
        must = _pods(agg, "a_must_replace", "a_must_replace", limit) if sets["a_must_replace"].members else []
        candidates = sets["a_candidate"]
        budget = max(0, min(max_unavailable - totals["a_unavailable"], len(candidates)))
        chosen = candidates.smallest(min(budget, limit - len(must)))
        return _new_plan(Plan, ([], must + [pod for n in chosen if (pod := agg.classes(n).a_candidate) is not None]))

    if totals["b_error"]:
        raise SyncError("an old pod is bound to a node that no longer exists (nodeLister.Get failed)")
    deletes = _pods(agg, "b_delete_now", "b_delete_now", limit)
    excess = totals["b_available"] - totals["desired"]
    if excess > 0 and len(deletes) < limit:
        k = min(excess, len(sets["b_not_wanted"].members), limit - len(deletes))
        deletes += _pods(agg, "b_not_wanted", "b_not_wanted", k)
    allowed = sets["b_allowed"].smallest(limit)
    candidates = sets["b_candidate"]
    budget = max(0, min(max_surge - totals["b_surge"], len(candidates)))
    creates = allowed + candidates.smallest(min(budget, limit - len(allowed)))
    return Plan(creates, deletes)


def manage_idle(agg: Aggregate) -> bool:
    """Whether ``manage`` (failed pods included) would write nothing: the sets ``manage_plan``
    and the failed-pod backoff take from are empty. Reads only set sizes, so a sync can skip
    building the plan (checked against ``manage_plan`` in tests/test_decisions_idle.py).
    """
    sets = agg.sets
    return not (sets["create"].members or sets["deletes"].members or sets["failed"].members)


def rolling_update_idle(agg: Aggregate, budgets: Budgets) -> bool:
    """Whether ``rollingUpdate`` with ``budgets`` would write nothing and raise nothing: every
    list ``rolling_update_plan`` would build is empty, whichever nodes the sets hold, because
    each set it takes from is empty or its budget is used up. Reads only set sizes and
    totals (checked against ``rolling_update_plan`` in tests/test_decisions_idle.py).
    """
    sets, totals = agg.sets, agg.totals
    if budgets.max_surge == 0:
        return not sets["a_must_replace"].members and (
            budgets.max_unavailable <= totals["a_unavailable"] or not sets["a_candidate"].members)
    return (
        not totals["b_error"] and not sets["b_delete_now"].members and not sets["b_allowed"].members
        and (totals["b_available"] <= totals["desired"] or not sets["b_not_wanted"].members)
        and (budgets.max_surge <= totals["b_surge"] or not sets["b_candidate"].members)
    )


_STATUS_TOTALS = ("desired", "current", "ready", "available", "updated", "misscheduled")
# ``status_counts(agg.totals)``: the totals ``daemonset_status`` reads, as one tuple (equal tuples, equal counts)
status_counts = itemgetter(*_STATUS_TOTALS)


def daemonset_status(agg: Aggregate) -> dict[str, int]:
    """Mirrors ``updateDaemonSetStatus``'s counts (the oldest pod of each node speaks for it)."""
    t = agg.totals
    return {
        "desired": t["desired"],
        "current": t["current"],
        "ready": t["ready"],
        "available": t["available"],
        "updated": t["updated"],
        "misscheduled": t["misscheduled"],
        "unavailable": t["desired"] - t["available"],
    }
