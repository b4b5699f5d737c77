"""The kube-controller-manager's DaemonSet workers: ``processNextWorkItem`` in a loop.

Each worker takes the next key from the shared work queue and runs that DaemonSet's sync to
its end, waiting where the sync waits for its API writes; a failed sync is re-added
rate-limited. A process in all but name: each step is a scheduled call (``timers``) where a
SimPy process would resume.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable

import simpy

from rollsim.cluster.timers import call_later, call_soon
from rollsim.cluster.workqueue import WorkQueue
from rollsim.controller.daemon import DaemonSetController, StaleCacheError, Waits
from rollsim.controller.decisions import SyncError

__all__ = ["Worker"]


class Worker:
    """A controller worker: ``processNextWorkItem`` in a loop, for whichever DaemonSet's key comes.
    A process in all but name: each step is a scheduled call where the process would resume.
    In ideal mode the work queue counts, instead of handing them over, the syncs that would do
    nothing at all (``WorkQueue.skip_idle_syncs``, ``DaemonSetController.sync_would_idle``).
    """

    __slots__ = ("env", "queue", "controllers", "catch_up", "syncs", "errors", "_take")

    def __init__(self, env: simpy.Environment, queue: WorkQueue, controllers: dict[str, DaemonSetController],
                 catch_up: dict[str, Callable[[], None]], counters: dict[str, Counter[str]]) -> None:
        self.env, self.queue, self.controllers, self.catch_up = env, queue, controllers, catch_up
        self.syncs, self.errors = counters["syncs"], counters["sync_errors"]
        self._take: Callable[[Hashable], None] = self._sync  # one bound method for every get
        call_soon(env, self._next)  # where env.process would take its first step

    def _next(self) -> None:
        self.queue.get_then(self._take)

    def _sync(self, key: Hashable) -> None:
        """A key handed out: count the sync and run it to its first wait (its API writes) or its end."""
        self.syncs[key] += 1  # type: ignore[index]  # the keys are DaemonSet names
        if self.catch_up:  # the informer's kept deliveries before the sync reads (none kept: no informer here)
            self.catch_up[key]()  # type: ignore[index]
        started = self.controllers[key].start_sync()  # type: ignore[index]
        if started is None:  # done without waiting, no error: the usual case
            self.queue.finish_then_get(key, True, self._take)
        elif isinstance(started, StaleCacheError):  # refused by the consistency gate: _finish, inline
            self.queue.requeue_refused(key, self._take)
        elif isinstance(started, SyncError):
            self._finish(key, started)
        else:
            self._advance(key, started)  # its deliveries were caught up with just above

    def _step(self, key: Hashable, sync: Waits) -> None:
        """A sync's wait is over: the informer's kept deliveries first, as the sync reads on."""
        if self.catch_up:
            self.catch_up[key]()  # type: ignore[index]
        self._advance(key, sync)

    def _advance(self, key: Hashable, sync: Waits) -> None:
        """Run the sync to its next wait or its end."""
        try:
            wait = next(sync)
        except StopIteration as stop:
            if stop.value is None:  # _finish, inline for the usual case
                self.queue.finish_then_get(key, True, self._take)
            else:
                self._finish(key, stop.value)
            return
        call_later(self.env, wait, self._step, key, sync)

    def _finish(self, key: Hashable, error: SyncError | None) -> None:
        if error is not None:
            if isinstance(error, StaleCacheError):  # refused by the consistency gate: a stale_sync_skip
                self.queue.requeue_refused(key, self._take)  # add_rate_limited and finish_then_get
                return
            self.errors[key] += 1  # type: ignore[index]
            self.queue.add_rate_limited(key)
        self.queue.finish_then_get(key, error is None, self._take)
