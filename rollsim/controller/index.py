"""Adding up node contributions: the reference scan and the incremental fast path.

Go iterates ``nodeToDaemonPods`` in random map order, and where a budget admits only some
of the candidates the first ones in that order win. rollsim draws one random rank per
node at the start of a run and takes candidates in rank order. At every sync the
chosen set is then a uniformly random subset of the candidates, as in Go; the order
is fixed for the run rather than redrawn each sync (a departure that does not change
the distribution of which nodes go first). Both aggregators pick by the same ranks, so
they make identical choices.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import compress
from operator import is_not, itemgetter
from typing import Any, cast

from rollsim.controller.classify import EMPTY, NodeClass
from rollsim.controller.rankedset import RankedSet

__all__ = ["RankedSet", "Aggregate", "scan", "NodeIndex", "TOTALS", "SETS"]

TOTALS = (
    "desired", "current", "ready", "available", "updated", "misscheduled",
    "a_unavailable", "b_surge", "b_available", "b_error",
)
# set name -> the NodeClass field that puts a node in it
SETS = {
    "create": "create",
    "deletes": "deletes",
    "failed": "failed",
    "a_must_replace": "a_must_replace",
    "a_candidate": "a_candidate",
    "b_delete_now": "b_delete_now",
    "b_allowed": "b_allowed",
    "b_not_wanted": "b_not_wanted",
    "b_candidate": "b_candidate",
}
_SET_FIELDS = tuple((name, NodeClass._fields.index(f)) for name, f in SETS.items())
_TOTAL_FIELDS = tuple(NodeClass._fields.index(f) for f in TOTALS)
_TOTAL_ITEMS = tuple(zip(TOTALS, _TOTAL_FIELDS))
# every field a total or a set reads, in field order: (field index, its total's or set's name, a total?)
_FIELD_ITEMS = tuple(sorted(
    [(i, name, True) for name, i in _TOTAL_ITEMS] + [(i, name, False) for name, i in _SET_FIELDS]))
assert [i for i, _, _ in _FIELD_ITEMS] == list(range(len(_FIELD_ITEMS)))  # next_change, last, is neither


def _counts(cls: NodeClass) -> tuple[int, ...]:
    """The class as a plain tuple: the fields at ``_TOTAL_FIELDS`` are 0/1 counts (read by
    position, which is faster than by name in the hot loop).
    """
    return cast("tuple[int, ...]", cls)


@dataclass(slots=True)
class Aggregate:
    """The node contributions of one sync, added up: totals and the sets of actionable nodes."""

    totals: dict[str, int]
    sets: dict[str, RankedSet]
    classes: Callable[[int], NodeClass] = field(repr=False, default=lambda _: EMPTY)

    def key(self) -> tuple[Any, ...]:
        """Everything a decision depends on, for comparing aggregators."""
        return (
            tuple(self.totals[t] for t in TOTALS),
            tuple(frozenset(self.sets[s]) for s in SETS),
        )


def scan(classify: Callable[[int], NodeClass], nodes: Iterable[int], rank: Sequence[float]) -> Aggregate:
    """The reference: classify every node, as ``syncDaemonSet`` rescans every node each sync."""
    totals = dict.fromkeys(TOTALS, 0)
    members: dict[str, list[int]] = {s: [] for s in SETS}
    classes: dict[int, NodeClass] = {}
    for node in nodes:
        cls = classify(node)
        if cls is EMPTY:
            continue
        classes[node] = cls
        counts = _counts(cls)
        for name, i in zip(TOTALS, _TOTAL_FIELDS):
            totals[name] += counts[i]
        for name, i in _SET_FIELDS:
            if cls[i]:
                members[name].append(node)
    sets = {s: RankedSet(rank, m) for s, m in members.items()}
    return Aggregate(totals, sets, lambda n: classes.get(n, EMPTY))


class NodeIndex:
    """The fast path: per-node classes kept current by reclassifying only changed nodes.

    ``mark(node)`` is called whenever a node's cached pods or eligibility change;
    ``refresh(now)`` reclassifies the marked nodes and those whose minReadySeconds
    window has just passed, and keeps the totals and sets in step (node by node, or, when
    most nodes are marked, by adding every class up anew); ``version`` changes whenever they do. A window "has passed"
    by the same comparison as ``IsPodAvailable``: at ``readySince + minReadySeconds`` itself
    when ``inclusive`` (v1.34+, kubernetes/kubernetes#132122), only after it before.
    """

    __slots__ = ("_classify", "_rank", "_classes", "marked", "timers", "aggregate", "inclusive", "version", "mark")

    def __init__(self, classify: Callable[[int], NodeClass], rank: Sequence[float], inclusive: bool = True) -> None:
        self.inclusive = inclusive
        self.version = 0  # counts the changes of any node's class: the aggregate is the same while it is
        self._classify = classify
        self._rank = rank
        self._classes: list[NodeClass] = []  # by node id (ids are dense; a list is faster than a dict)
        # the nodes marked since the last refresh (sync_would_idle reads it, as pending would: no call)
        self.marked: set[int] = set()
        # ``mark(node)``: ``node``'s cached pods or eligibility changed, reclassify it at the next
        # ``refresh``. The marked set's own ``add`` (a call in C: every pod event marks a node).
        self.mark: Callable[[int], None] = self.marked.add
        self.timers: list[tuple[float, int]] = []  # (time, node): the minReadySeconds windows to pass, a heap
        self.aggregate = Aggregate(
            dict.fromkeys(TOTALS, 0),
            {s: RankedSet(rank) for s in SETS},
            self._class_of,
        )

    def mark_all(self, nodes: Iterable[int]) -> None:
        """Mark every node of ``nodes`` (a DaemonSet spec change)."""
        self.marked.update(nodes)

    def pending(self, now: float) -> bool:
        """Whether ``refresh(now)`` would reclassify a node: one is marked, or a window has passed."""
        timers = self.timers
        if self.marked:
            return True
        return bool(timers) and (timers[0][0] <= now if self.inclusive else timers[0][0] < now)

    def refresh(self, now: float) -> Aggregate:
        """Reclassify the marked nodes and those whose minReadySeconds passed; the totals and sets at ``now``."""
        timers = self.timers
        if self.inclusive:
            while timers and timers[0][0] <= now:
                self.marked.add(heapq.heappop(timers)[1])
        else:
            while timers and timers[0][0] < now:
                self.marked.add(heapq.heappop(timers)[1])
        dirty = self.marked
        if dirty:
            if 2 * len(dirty) < len(self._classes) and len(dirty) == 1:  # one node (most syncs of ideal mode)
                self._reclassify(dirty.pop())  # the set stays, empty again (mark is its add)
                return self.aggregate
            self.marked = set()
            self.mark = self.marked.add
            if 2 * len(dirty) >= len(self._classes):  # most nodes (a spec change): add up anew
                self._rebuild(dirty)
            else:
                for node in dirty:
                    self._reclassify(node)
        return self.aggregate

    def _rebuild(self, dirty: set[int]) -> None:
        """Reclassify ``dirty`` and add every class up again: cheaper than updating the totals and
        sets node by node when most nodes change (the first sync, a template change). The same
        totals and members as ``_reclassify`` gives; ``version`` changes if any class did.
        """
        classes = self._classes
        top = max(dirty) + 1
        if top > len(classes):
            classes.extend([EMPTY] * (top - len(classes)))
        changed = False
        for node in dirty:
            new = self._classify(node)
            if new != classes[node]:
                classes[node] = new
                changed = True
            if new.next_change is not None:
                heapq.heappush(self.timers, (new.next_change, node))
        if not changed:
            return
        self.version += 1
        totals, sets = self.aggregate.totals, self.aggregate.sets
        for name, i in _TOTAL_ITEMS:
            totals[name] = sum(map(itemgetter(i), classes))
        ids = range(len(classes))
        for name, i in _SET_FIELDS:
            sets[name] = RankedSet(self._rank, compress(ids, map(itemgetter(i), classes)))

    def _class_of(self, node: int) -> NodeClass:
        classes = self._classes
        return classes[node] if node < len(classes) else EMPTY

    def _reclassify(self, node: int) -> None:
        classes = self._classes
        if node >= len(classes):  # a node added since: room for it (and any before it)
            classes.extend([EMPTY] * (node + 1 - len(classes)))
        old = classes[node]
        new = self._classify(node)
        if new != old:
            self.version += 1
            new_fields: tuple[Any, ...] = new  # read by position: faster than by name in the hot loop
            old_fields: tuple[Any, ...] = old
            totals, sets = self.aggregate.totals, self.aggregate.sets
            # Only the fields that differ, found in C (next_change, past the last item, is not
            # compared), by identity: a count is a small int or a bool, cached by CPython, and a set
            # field a pod, a tuple of pods, None or a bool, so equal fields are the same object but
            # for two equal tuples of pods, which make no change below (both are in the set). A set
            # field that changes from one pod to another keeps the node in its set.
            for i, name, total in compress(_FIELD_ITEMS, map(is_not, new_fields, old_fields)):
                if total:
                    totals[name] += new_fields[i] - old_fields[i]
                elif not old_fields[i]:
                    if new_fields[i]:
                        sets[name].add(node)
                elif not new_fields[i]:
                    sets[name].discard(node)
            classes[node] = new
        if new.next_change is not None:
            heapq.heappush(self.timers, (new.next_change, node))
