"""Mirrors client-go's rate-limited work queue as the DaemonSet controller uses it, in SimPy.

A key is never queued twice, and never handed to two workers at once: a key added
while it is being processed is marked dirty and queued again when the worker calls
``done``. Failed syncs are re-added after a per-key exponential delay (5 ms doubling,
capped at 1000 s); ``forget`` resets it. The overall 10 qps / burst 100 bucket of the
default controller rate limiter is not modelled: one DaemonSet never reaches it.

With ``dedup`` (a real client-go queue) ``add_after`` keeps at most one waiting entry per
key, due at the earliest time asked for: ``delaying_queue.go``'s ``insert`` "update[s] the
time only if it would cause the item to be queued sooner", and a later ``AddAfter`` of a
key already waiting is dropped. Without it every timer fires (rollsim before issue 11).

In ideal mode most syncs (one per pod event) would do nothing; ``skip_idle_syncs`` lets the
queue count such a sync at its place in the event order instead of running it, with the
same outcome (no write, no status change, no timer) and every other event where it was.

In realistic mode from v1.36 most syncs are refused by the consistency gate (KEP-5647,
``pkg/controller/daemon/util/consistency.go``) while the informer catches up, and each is
retried rate-limited; ``refuse_stale_syncs`` lets the queue count the retries whose refusal
is certain (nothing else can happen before them) instead of running them, with the same
outcome (a counted sync and skip, ``AddRateLimited``) and every other event where it was.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from collections.abc import Callable, Hashable
from heapq import heappush
from typing import Any

import simpy
from simpy.events import NORMAL

from rollsim.cluster.timers import Call, Cursor, call_later

__all__ = ["WorkQueue"]

_Event = simpy.Event  # read once per hand-out


def _failure_delay(failures: int) -> float:
    """The per-key exponential limiter's delay after ``failures`` earlier failures
    (``ItemExponentialFailureRateLimiter``: 5 ms doubling, capped at 1000 s).
    """
    return min(0.005 * 2**failures, 1000.0)


class WorkQueue:
    """Mirrors client-go's ``RateLimitingInterface`` work queue, with only its per-key exponential limiter."""

    __slots__ = ("env", "_queue", "_dirty", "_processing", "_getters", "_failures", "_queued_at", "waited",
                 "dedup", "_waiting", "_cursor", "_idle", "_count", "_skipped", "_refuses", "_refused", "_cleaning")

    def __init__(self, env: simpy.Environment, dedup: bool = False) -> None:
        self.env = env
        self.dedup = dedup
        self._waiting: dict[Hashable, float] = {}  # key -> due time of its one waiting entry
        self._queue: deque[Hashable] = deque()
        self._dirty: set[Hashable] = set()
        self._processing: set[Hashable] = set()
        self._getters: deque[simpy.Event | Callable[[Hashable], object]] = deque()
        self._failures: dict[Hashable, int] = {}
        self._queued_at: dict[Hashable, float] = {}
        self.waited: dict[Hashable, float] = {}  # seconds each key spent queued, waiting for a worker
        # syncs that would do nothing (skip_idle_syncs): key -> its place on the event queue (time, priority,
        # id) and its worker, in one tuple (compared with an entry, it is decided by the ids, which differ)
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

    def before_clean(self, key: Hashable, hook: Callable[[], None]) -> Callable[[Hashable], bool]:
        """Call ``hook()`` whenever ``key`` is about to leave the dirty set (it is handed to a
        worker, or queued again by ``Done``: the instants a handler's ``Add`` of it stops being a
        no-op); returns the test of whether a key is dirty (queued, or to be queued again by
        ``Done``). The informer's kept deliveries (``Informer.defer_while_dirty``) use both.
        """
        self._cleaning[key] = hook
        return self._dirty.__contains__

    def _clean(self, key: Hashable) -> None:
        """``key`` leaves the dirty set, its ``before_clean`` hook first."""
        hook = self._cleaning.get(key)
        if hook is not None:
            hook()
        self._dirty.discard(key)

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

    def add(self, key: Hashable) -> None:
        """Mirrors ``Add``: queue ``key`` unless already queued; mark it dirty if a worker holds it."""
        if self._skipped:
            self._catch_up(key)
        if key in self._dirty:
            return
        if key in self._processing:
            self._dirty.add(key)
        else:
            self._enqueue(key)

    def add_after(self, key: Hashable, delay: float) -> None:
        """Mirrors ``AddAfter``: ``add`` the key once ``delay`` seconds have passed."""
        if delay <= 0:
            skipped = self._skipped
            if skipped:
                if len(skipped) == 1 and key in skipped:  # _catch_up, inline for one key's own skipped sync
                    slot = skipped[key]
                    if self._cursor.entry < slot:
                        self._unskip(key)
                    else:  # settle(): its turn has come, the sync is over
                        del skipped[key]
                        self._count[key] += 1
                        if self._failures:
                            self._failures.pop(key, None)
                        self._getters.append(slot[3])
                        if not self._queue:  # add: the key (not dirty) goes to the longest-waiting worker
                            self._give(key, self.env._now)  # (it stays in _processing: Done, then Get)
                            return
                        self._processing.discard(key)
                else:
                    self._catch_up(key)
            if key not in self._dirty:  # else already queued, or to be: add would do nothing (the usual case)
                if key in self._processing:  # add, inline (every pod event of ideal mode comes here)
                    self._dirty.add(key)
                elif self._queue or not self._getters:
                    self._enqueue(key)
                else:  # _enqueue's hand-off, inline: a worker is waiting and no key is ahead
                    self._give(key, self.env._now)
        elif not self.dedup:
            call_later(self.env, delay, self._fire if self._refuses else self.add, key)
        else:
            due = self.env._now + delay
            waiting = self._waiting.get(key)
            if waiting is not None and waiting <= due:
                return  # already waiting, due sooner: this AddAfter is dropped
            self._waiting[key] = due
            call_later(self.env, delay, self._due, key, due)

    def _due(self, key: Hashable, due: float) -> None:
        """A waiting entry's timer fired: add the key, unless an earlier entry replaced this one."""
        if self._waiting.get(key) != due:
            return
        del self._waiting[key]
        if not self._refuses or not self._refused_now(key):
            self.add(key)

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

    def requeue_refused(self, key: Hashable, taker: Callable[[Hashable], object]) -> None:
        """A worker's sync of ``key`` was refused by the consistency gate: ``AddRateLimited``,
        ``Done`` and ``get_then(taker)``, as ``Worker._finish`` does for any error, in one call.
        """
        refuses = self._refuses.get(key)
        if refuses is None or key in self._dirty or self._queue or self._skipped:
            self.add_rate_limited(key)
            self.finish_then_get(key, False, taker)
            return
        self._processing.discard(key)  # done, getting: the key is not dirty and no other key waits
        self._getters.append(taker)
        self._retry_refused(key, refuses)

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
            due = now + _failure_delay(failures - 1)  # add_after's now + delay
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

    def add_rate_limited(self, key: Hashable) -> None:
        """Mirrors ``AddRateLimited``: re-add after the key's exponential failure delay (5 ms doubling to 1000 s)."""
        failures = self._failures.get(key, 0)
        self._failures[key] = failures + 1
        self.add_after(key, _failure_delay(failures))

    def forget(self, key: Hashable) -> None:
        """Mirrors ``Forget``: the key's failure count starts again from zero."""
        self._failures.pop(key, None)

    def get(self) -> simpy.Event:
        """Mirrors ``Get``: an event that succeeds with the next key once one is queued."""
        if self._skipped:
            self.settle()
        event = self.env.event()
        self._getters.append(event)
        self._hand_out()
        return event

    def get_then(self, taker: Callable[[Hashable], object]) -> None:
        """``get``, calling ``taker(key)`` where a process waiting on ``get()`` would resume."""
        if self._skipped:
            self.settle()
        self._getters.append(taker)
        if self._queue:
            self._hand_out()

    def done(self, key: Hashable) -> None:
        """Mirrors ``Done``: the worker is finished with ``key``; queue it again if it was added meanwhile."""
        if self._skipped:
            self.settle()
        self._processing.discard(key)
        if key in self._dirty:
            self._clean(key)
            self._enqueue(key)

    def finish_then_get(self, key: Hashable, forget: bool, taker: Callable[[Hashable], object]) -> None:
        """A worker's turn from one key to the next: ``Forget`` (when ``forget``), ``Done`` and
        ``get_then(taker)`` (all three inline: once per sync).
        """
        if forget and self._failures:
            self._failures.pop(key, None)
        if self._skipped:  # done(key), inline
            self.settle()
        self._processing.discard(key)
        if key in self._dirty:
            self._clean(key)
            if self._queue or not self._getters:
                self._enqueue(key)
            else:  # _enqueue's hand-off, inline: a worker is waiting and no key is ahead
                self._give(key, self.env._now)
        self._getters.append(taker)
        if self._queue:
            self._hand_out()

    def _enqueue(self, key: Hashable) -> None:
        """Queue ``key`` (not dirty, not processing), or hand it straight to a waiting worker."""
        if self._queue or not self._getters:
            for skipped in list(self._skipped):  # a key must wait: the skipped syncs run after all,
                self._unskip(skipped)  # so that each frees its worker in turn
            self._dirty.add(key)
            self._queue.append(key)
            self._queued_at[key] = self.env._now
            self._hand_out()
        else:  # a worker is waiting and no key is ahead: queued and handed out in the same instant
            self._give(key, self.env._now)

    def _hand_out(self) -> None:
        while self._queue and self._getters:
            key = self._queue.popleft()
            self._clean(key)
            self._give(key, self._queued_at.pop(key))

    def _give(self, key: Hashable, queued_at: float) -> None:
        """Hand ``key``, queued since ``queued_at``, to the longest-waiting worker: a ``get()`` event
        succeeds, a ``get_then`` taker is called where ``call_later(env, 0, taker, key)`` would call it.
        """
        env = self.env
        now = env._now
        self.waited[key] = self.waited.get(key, 0.0) + now - queued_at
        self._processing.add(key)
        getter = self._getters.popleft()
        if isinstance(getter, _Event):
            getter.succeed(key)
        else:  # call_later(env, 0, getter, key), unless the sync would do nothing (skip_idle_syncs)
            eid = next(env._eid)  # taken first: the place is the call's whether it is skipped or not
            idle = self._idle.get(key)
            if idle is not None and not self._queue and idle():
                self._skipped[key] = (now, NORMAL, eid, getter)
            else:
                queue: list[Any] = env._queue
                heappush(queue, (now, NORMAL, eid, Call(getter, (key,))))

    def __len__(self) -> int:
        return len(self._queue)
