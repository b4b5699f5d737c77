"""The controller's pod informer: API changes reach the controller's cache after a watch delay."""

from __future__ import annotations

from collections.abc import Callable

import simpy

from rollsim.controller import DaemonSetController
from rollsim.pods import Pod

__all__ = ["Informer", "ADDED", "MODIFIED", "DELETED"]

ADDED, MODIFIED, DELETED = "ADDED", "MODIFIED", "DELETED"


class Informer:
    """Delivers watch events to the controller's handlers, each after ``delay()`` seconds.

    Events of one object keep their order (a later event is never delivered before an
    earlier one), as a watch stream guarantees. ``delay=None`` delivers at once.
    """

    __slots__ = ("env", "controller", "delay", "_last")

    def __init__(
        self, env: simpy.Environment, controller: DaemonSetController, delay: Callable[[], float] | None
    ) -> None:
        self.env = env
        self.controller = controller
        self.delay = delay
        self._last: dict[int, float] = {}

    def notify(self, kind: str, pod: Pod) -> None:
        snapshot = pod.copy()
        if self.delay is None:
            self._deliver(kind, snapshot)
            return
        now = self.env.now
        at = max(now + self.delay(), self._last.get(pod.uid, now))
        self._last[pod.uid] = at
        self.env.timeout(at - now).callbacks.append(lambda _e: self._deliver(kind, snapshot))

    def _deliver(self, kind: str, pod: Pod) -> None:
        c = self.controller
        if kind == ADDED:
            c.pod_added(pod)
        elif kind == MODIFIED:
            c.pod_updated(pod)
        else:
            self._last.pop(pod.uid, None)
            c.pod_deleted(pod.uid)
