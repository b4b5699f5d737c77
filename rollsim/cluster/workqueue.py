"""Mirrors client-go's rate-limited work queue as the DaemonSet controller uses it, in SimPy.

A key is never queued twice, and never handed to two workers at once: a key added
while it is being processed is marked dirty and queued again when the worker calls
``done``. Failed syncs are re-added (``AddRateLimited``) after the longer of a per-key
exponential delay (5 ms doubling, capped at 1000 s; ``forget`` resets it) and, in realistic
mode, the overall bucket of ``workqueue.DefaultControllerRateLimiter`` (10 qps, burst 100:
``QUEUE_QPS``, ``QUEUE_BURST``), which every DaemonSet's key shares: the consistency gate's
refusals (v1.36+) reach it, each an ``AddRateLimited``, and with several DaemonSets far exceed
it (audit 19: 43 a second on 300 nodes and three DaemonSets). Ideal mode has no limits.

With ``dedup`` (a real client-go queue) ``add_after`` keeps at most one waiting entry per
key, due at the earliest time asked for: ``delaying_queue.go``'s ``insert`` "update[s] the
time only if it would cause the item to be queued sooner", and a later ``AddAfter`` of a
key already waiting is dropped. Without it every timer fires (rollsim before issue 11).

The syncs the queue counts instead of running them (``skip_idle_syncs``, ``refuse_stale_syncs``)
are in ``rollsim.cluster.countedsyncs``: ``CountedSyncs``, the base class that also holds the
queue's state. ``add_after`` and ``_give`` below do that counting inline where it is cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from heapq import heappush
from typing import Any

import simpy
from simpy.events import NORMAL

from rollsim.cluster.countedsyncs import CountedSyncs
from rollsim.cluster.timers import Call, call_later

__all__ = ["WorkQueue", "QUEUE_QPS", "QUEUE_BURST"]

# DefaultControllerRateLimiter's BucketRateLimiter: rate.NewLimiter(rate.Limit(10), 100)
QUEUE_QPS, QUEUE_BURST = 10.0, 100

_Event = simpy.Event  # read once per hand-out


class WorkQueue(CountedSyncs):
    """Mirrors client-go's ``RateLimitingInterface`` work queue, with only its per-key exponential limiter.

    Its state is set up by ``CountedSyncs.__init__`` (``WorkQueue(env, dedup=False)``).
    """

    __slots__ = ()

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

    def add_rate_limited(self, key: Hashable) -> None:
        """Mirrors ``AddRateLimited``: re-add after the key's exponential failure delay (5 ms doubling to 1000 s)."""
        failures = self._failures.get(key, 0)
        self._failures[key] = failures + 1
        self.add_after(key, self.when(failures, self.env._now))

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
