"""The syncs that the work queue counts instead of running them (``CountedSyncs``, ``WorkQueue``'s base).

In ideal mode most syncs (one per pod event) would do nothing; ``skip_idle_syncs`` lets the
queue count such a sync at its place in the event order instead of running it, with the
same outcome (no write, no status change, no timer) and every other event where it was.

In realistic mode from v1.36 most syncs are refused by the consistency gate (KEP-5647,
``pkg/controller/daemon/util/consistency.go``) while the informer catches up, and each is
retried rate-limited; ``refuse_stale_syncs`` lets the queue count the retries whose refusal
is certain (nothing else can happen before them) instead of running them, with the same
outcome (a counted sync and skip, ``AddRateLimited``) and every other event where it was.

``CountedSyncs`` holds the state of the whole queue (``rollsim.cluster.workqueue.WorkQueue``
builds client-go's methods on it) and the counting, which reads and changes that state
directly; the queue's fast paths (``add_after``, ``_give``) do the same counting inline.
"""

from __future__ import annotations

import math
from abc import abstractmethod
from collections import Counter, deque
from collections.abc import Callable, Hashable
from heapq import heappush
from typing import Any

import simpy
from simpy.events import NORMAL

from rollsim.cluster.timers import Call, Cursor
from rollsim.controller.flowcontrol import TokenBucket

__all__ = ["CountedSyncs", "failure_delay"]

_Event = simpy.Event  # read once per refusal


def failure_delay(failures: int) -> float:
    """The per-key exponential limiter's delay after ``failures`` earlier failures
    (``ItemExponentialFailureRateLimiter``: 5 ms doubling, capped at 1000 s).
    """
    return min(0.005 * 2.0 ** min(failures, 30), 1000.0)  # capped before 2**n outgrows a float (as client-go)


class CountedSyncs:
    """A ``WorkQueue``'s state, and the syncs it counts instead of handing them out
    (``skip_idle_syncs``, ``refuse_stale_syncs``).
    """

    __slots__ = ("env", "_queue", "_dirty", "_processing", "_getters", "_failures", "_queued_at", "waited",
                 "dedup", "_waiting", "_cursor", "_idle", "_count", "_skipped", "_refuses", "_refused", "_cleaning",
                 "limiter")

    def __init__(self, env: simpy.Environment, dedup: bool = False, limiter: TokenBucket | None = None) -> None:
        # client-go's queue (WorkQueue's methods)
        self.env = env
        self.dedup = dedup
        self.limiter = limiter  # the overall bucket of DefaultControllerRateLimiter, shared by every key
        self._waiting: dict[Hashable, float] = {}  # key -> due time of its one waiting entry
        self._queue: deque[Hashable] = deque()
        self._dirty: set[Hashable] = set()
        self._processing: set[Hashable] = set()
        self._getters: deque[simpy.Event | Callable[[Hashable], object]] = deque()
        self._failures: dict[Hashable, int] = {}
        self._queued_at: dict[Hashable, float] = {}
        self.waited: dict[Hashable, float] = {}  # seconds each key spent queued, waiting for a worker
        # the counted syncs. Those that would do nothing (skip_idle_syncs): key -> its place on the event
        # queue (time, priority, id) and its worker, in one tuple (compared with an entry, it is decided by
        # the ids, which differ)
        self._skipped: dict[Hashable, tuple[float, int, int, Callable[[Hashable], object]]] = {}
        self._cursor = Cursor()
        self._idle: dict[Hashable, Callable[[], bool]] = {}
        self._count: Counter[Hashable] = Counter()
        self._refuses: dict[Hashable, Callable[[], bool]] = {}  # refuse_stale_syncs: key -> its gate's check
        self._refused: Counter[Hashable] = Counter()
        self._cleaning: dict[Hashable, Callable[[], None]] = {}  # before_clean: key -> its hook

    def skip_idle_syncs(self, cursor: Cursor, idle: dict[Hashable, Callable[[], bool]],
                        count: Counter[Hashable]) -> None:
        """Leave off the event queue the syncs that would do nothing but be counted.

        When a key is handed to a waiting worker and ``idle[key]()`` says a sync of it now would
        write nothing, change no status and set no timer, the worker's call is not put on the
        event queue: the key keeps its place there (the entry id it would have had) and the
        worker stays busy with it. If the key is added again before that entry's turn (a
        handler changed what the sync reads: nothing else can), the call is put on the queue
        after all, at that very place, and the sync runs as it would have; so it is too when
        another key must wait for a worker. Otherwise, once the ``cursor`` of the run (
        ``timers.run_until``) is past its place, the sync is over: ``count[key]`` counts it and
        the worker is free again, as ``finish_then_get`` would have left them. The order of
        every event, and so every result, is what it is without skipping.
        """
        self._cursor, self._idle, self._count = cursor, idle, count

    def refuse_stale_syncs(self, refuses: dict[Hashable, Callable[[], bool]], count: Counter[Hashable]) -> None:
        """Count at once the retries that the consistency gate refuses, instead of handing them out.

        ``refuses[key]()`` is ``syncDaemonSet``'s first check (``IsReady`` negated, counting the
        refusal: ``ConsistencyStore.refuses``). When a waiting entry's timer fires (``AddAfter``,
        ``AddRateLimited``) and the key would go straight to a waiting worker whose sync would be
        the very next event, it is asked first, and when it refuses the worker's whole round is
        done in the timer's step, as it would have ended: ``count[key]`` counts the sync, the
        worker goes back to the end of the line and the key is re-added rate-limited. Retries due
        before every event already queued are refused in turn and counted at once
        (``_retry_refused``); a worker's own refused sync (``requeue_refused``) goes the same way.
        No sync call is put on the event queue for them; nothing else could have run between
        the timer and such a sync, so every other event keeps its order (entry ids break ties).
        """
        self._refuses, self._refused = refuses, count

    def when(self, failures: int, now: float) -> float:
        """Mirrors ``DefaultControllerRateLimiter().When`` for a key with ``failures`` earlier
        failures, asked at ``now``: the longer of the per-key exponential delay (``failure_delay``)
        and the overall bucket's (``BucketRateLimiter``: 10 qps, burst 100, shared by every key of
        the queue), each limiter asked in turn (``MaxOfRateLimiter``), so the bucket's token is
        taken whichever delay is longer. Without a ``limiter`` (ideal mode), the per-key delay alone.
        """
        delay = failure_delay(failures)
        limiter = self.limiter
        if limiter is not None:
            delay = max(delay, limiter.reserve(now) - now)
        return delay

    def settle(self) -> None:
        """Finish the skipped syncs whose turn has come (and the run's end: those it reached)."""
        skipped = self._skipped
        at = self._cursor.entry
        while skipped:
            key = next(iter(skipped))  # in the order of their places: ids increase
            slot = skipped[key]
            if at < slot:
                return
            del skipped[key]
            self._count[key] += 1
            if self._failures:  # Forget: the sync succeeded
                self._failures.pop(key, None)
            self._processing.discard(key)  # Done: the key cannot be dirty (an add would have made it run)
            self._getters.append(slot[3])

    def unreached(self) -> int:
        """Skipped syncs whose turn has not come (after ``settle`` at the end of a run: those the
        run stopped before); the event queue would still hold their calls.
        """
        return len(self._skipped)

    def _catch_up(self, key: Hashable) -> None:
        """Before ``key`` is added: finish the skipped syncs whose turn has come, and run the one
        of ``key`` after all if its turn has not (the add changed what it would read).
        """
        self.settle()
        if key in self._skipped:
            self._unskip(key)

    def _unskip(self, key: Hashable) -> None:
        """A skipped sync of ``key`` whose turn has not come must run after all: its call goes on
        the queue at its place.
        """
        time, priority, eid, worker = self._skipped.pop(key)
        queue: list[Any] = self.env._queue
        heappush(queue, (time, priority, eid, Call(worker, (key,))))

    def _fire(self, key: Hashable) -> None:
        """An ``AddAfter`` timer fired (without ``dedup``): add the key, unless the gate refuses its sync at once."""
        if not self._refused_now(key):
            self.add(key)

    def _refused_now(self, key: Hashable) -> bool:
        """``add(key)`` from a timer, when the sync it would start is refused by the consistency
        gate: that sync done at once (``refuse_stale_syncs``). False, having changed nothing,
        whenever the sync would not be the next event or would not be refused.
        """
        getters = self._getters
        if self._queue or not getters or key in self._processing or key in self._dirty or self._skipped:
            return False  # the key would wait, or only be marked dirty
        env = self.env
        queue: list[Any] = env._queue
        if queue and queue[0][0] <= env._now:
            return False  # another event at this instant: the sync keeps its place among them
        refuses = self._refuses.get(key)
        if refuses is None or isinstance(getters[0], _Event) or not refuses():
            return False
        self._refused[key] += 1  # the worker's count of the sync (Worker._sync)
        getters.rotate(-1)  # the worker took the key, and is back at the end of the line (finish_then_get)
        now = env._now  # _give's sum for a key handed out the instant it is queued (it rounds: not a no-op)
        self.waited[key] = self.waited.get(key, 0.0) + now - now
        self._retry_refused(key, refuses)  # Worker._finish: the refusal is an error, the key retried later
        return True

    def _retry_refused(self, key: Hashable, refuses: Callable[[], bool]) -> None:
        """``AddRateLimited`` of a key whose sync the gate has just refused, no other key queued
        and a worker free. While the retry would come before every event already on the event
        queue, nothing can happen before it to open the gate or hand the key elsewhere: the
        retry is refused again, and is counted here as its round would have gone (timer, hand-out
        to the first worker, refusal, ``AddRateLimited``). The first retry at or after the next
        event's time is put on the queue; its entry id, taken now, orders it among the other
        entries as the one the last counted retry would have taken, since nothing else takes
        one in between.
        """
        env = self.env
        queue: list[Any] = env._queue
        next_at = queue[0][0] if queue else -math.inf  # an empty queue: no retry is counted ahead
        now = env._now
        failures = self._failures.get(key, 0)
        dedup, waiting = self.dedup, self._waiting
        if isinstance(self._getters[0], _Event):
            next_at = -math.inf  # the first getter is not a worker's: no retry is counted ahead
        while True:
            failures += 1
            due = now + self.when(failures - 1, now)  # add_after's now + delay
            if dedup:
                earlier = waiting.get(key)
                if earlier is not None and earlier <= due:  # this AddAfter is dropped
                    self._failures[key] = failures
                    return
            if due >= next_at:
                break
            # the retry's timer fires next: the key goes to the first worker, which is refused again
            if not refuses():
                raise AssertionError("the consistency gate opened with no event")  # nothing ran to open it
            self._refused[key] += 1
            self._getters.rotate(-1)
            self.waited[key] = self.waited.get(key, 0.0) + due - due  # _give's sum, as above
            if dedup:
                waiting.pop(key, None)  # _due: the entry is taken
            now = due
        self._failures[key] = failures
        if dedup:
            waiting[key] = due
            heappush(queue, (due, NORMAL, next(env._eid), Call(self._due, (key, due))))
        else:
            heappush(queue, (due, NORMAL, next(env._eid), Call(self._fire, (key,))))

    @abstractmethod
    def add(self, key: Hashable) -> None:
        """Mirrors ``Add`` (``WorkQueue.add``)."""

    @abstractmethod
    def _due(self, key: Hashable, due: float) -> None:
        """A waiting entry's timer fired (``WorkQueue._due``)."""
