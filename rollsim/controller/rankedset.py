"""A set of node ids that yields its members in rank order: the candidates a budget admits.

A module of its own: one concept, used by the node index and read by the decisions.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Iterable, Iterator, Sequence

__all__ = ["RankedSet"]


class RankedSet:
    """A set of node ids that yields its members in rank order.

    A heap with lazy deletion, and in front of it the entries ``smallest`` last took off it,
    sorted: every entry in front ranks before every entry in the heap, so the next call
    starts from them instead of popping and pushing them again (a budget of a few hundred
    nodes asks for the same candidates sync after sync). ``members`` is the set itself: the
    hot checks read sizes from it (``len(s.members)``) rather than through ``len(s)``, which
    costs an interpreted call in the pure package. Not a subclass of ``set``: mypyc compiles
    this class only as a class of its own.
    """

    __slots__ = ("members", "_rank", "_heap", "_front")

    def __init__(self, rank: Sequence[float], members: Iterable[int] = ()) -> None:
        self.members = set(members)
        self._rank = rank
        self._heap = [(rank[k], k) for k in self.members]
        heapq.heapify(self._heap)
        self._front: list[tuple[float, int]] = []

    def __len__(self) -> int:
        return len(self.members)

    def __bool__(self) -> bool:
        return bool(self.members)

    def __contains__(self, key: object) -> bool:
        return key in self.members

    def __iter__(self) -> Iterator[int]:
        return iter(self.members)

    def add(self, key: int) -> None:
        """Add ``key``, at its rank."""
        members = self.members
        if key not in members:
            members.add(key)
            entry = (self._rank[key], key)
            front = self._front
            if front and entry < front[-1]:
                bisect.insort(front, entry)
            else:
                heapq.heappush(self._heap, entry)

    def discard(self, key: int) -> None:
        """Remove ``key`` if present; the heap is rebuilt when mostly stale."""
        members = self.members
        members.discard(key)
        if len(self._heap) > 64 and len(self._heap) > 4 * len(members):
            self._heap = [(self._rank[k], k) for k in members]
            heapq.heapify(self._heap)
            self._front = []

    def smallest(self, k: int) -> list[int]:
        """The ``k`` lowest-ranked members, in rank order."""
        members = self.members
        if k <= 0 or not members:
            return []
        if k >= len(members):
            return [*members] if len(members) == 1 else sorted(members, key=lambda m: (self._rank[m], m))
        heap = self._heap
        if k == 1:  # a budget of one (ideal mode, sync after sync): the first member in front, else the heap's
            for entry in self._front:
                if entry[1] in members:
                    return [entry[1]]
            self._front = []  # every entry in it is stale
            while heap[0][1] not in members:  # the lowest-ranked member is on top once the stale entries are gone
                heapq.heappop(heap)
            return [heap[0][1]]
        seen: set[int] = set()
        front: list[tuple[float, int]] = []
        for entry in self._front:  # drop what left the set (and a second entry of a key)
            key = entry[1]
            if key in members and key not in seen:
                seen.add(key)
                front.append(entry)
        while len(front) < k:
            entry = heapq.heappop(heap)
            key = entry[1]
            if key in members and key not in seen:
                seen.add(key)
                front.append(entry)
        self._front = front
        return [key for _, key in front[:k]]
