"""A set of node ids that yields its members in rank order: the candidates a budget admits.

A module of its own because it subclasses ``set``: the native build (``make native``,
tools/native.py) compiles the index around it but leaves this class interpreted, since
mypyc cannot compile a subclass of a built-in type.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Iterable, Sequence

__all__ = ["RankedSet"]


class RankedSet(set[int]):
    """A set of node ids that yields its members in rank order.

    A heap with lazy deletion, and in front of it the entries ``smallest`` last took off it,
    sorted: every entry in front ranks before every entry in the heap, so the next call
    starts from them instead of popping and pushing them again (a budget of a few hundred
    nodes asks for the same candidates sync after sync). The members are the set itself, so
    ``len``, ``in`` and iteration cost what a set's do (the plans ask sizes many times a sync).
    """

    __slots__ = ("_rank", "_heap", "_front")

    def __new__(cls, rank: Sequence[float], members: Iterable[int] = ()) -> RankedSet:
        """An empty set (``__init__`` fills it): ``set.__new__`` takes no rank."""
        return super().__new__(cls)

    def __init__(self, rank: Sequence[float], members: Iterable[int] = ()) -> None:
        super().__init__(members)
        self._rank = rank
        self._heap = [(rank[k], k) for k in self]
        heapq.heapify(self._heap)
        self._front: list[tuple[float, int]] = []

    def add(self, key: int) -> None:
        """Add ``key``, at its rank."""
        if key not in self:
            set.add(self, key)
            entry = (self._rank[key], key)
            front = self._front
            if front and entry < front[-1]:
                bisect.insort(front, entry)
            else:
                heapq.heappush(self._heap, entry)

    def discard(self, key: object) -> None:
        """Remove ``key`` if present; the heap is rebuilt when mostly stale."""
        set.discard(self, key)
        if len(self._heap) > 64 and len(self._heap) > 4 * len(self):
            self._heap = [(self._rank[k], k) for k in self]
            heapq.heapify(self._heap)
            self._front = []

    def smallest(self, k: int) -> list[int]:
        """The ``k`` lowest-ranked members, in rank order."""
        members = self
        if k <= 0 or not members:
            return []
        if k >= len(members):
            return sorted(members, key=lambda m: (self._rank[m], m))
        heap = self._heap
        if k == 1 and not self._front:  # the lowest-ranked member is on top once the stale entries above it are gone
            while heap[0][1] not in members:
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
