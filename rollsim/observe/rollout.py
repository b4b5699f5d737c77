"""When a rollout is over: ``kubectl rollout status`` for each DaemonSet, and a stall watchdog.

``RolloutStatus`` watches a DaemonSet's status in the API server and decides completion as
``kubectl rollout status`` does. ``watch_for_stall`` is the operator who gives up (or rolls
back) when none of a DaemonSet's nodes has gained an available new pod for a while. The run itself is SimPy's
``env.run(until=...)`` on the events these trigger.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from typing import TYPE_CHECKING

import simpy
from simpy.events import URGENT, EventPriority

from rollsim.cluster.apiserver import STATUS, ApiServer, DaemonSetObject

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["RolloutStatus", "STATUS_COLUMNS", "status_frame", "watch_for_stall", "LateTimeout", "UrgentEvent", "LATE"]

STATUS_COLUMNS = ["time_s", "desired", "current", "ready", "available", "updated",
                  "misscheduled", "unavailable", "observed_generation", "generation"]

LATE = EventPriority(2)  # an event priority after SimPy's NORMAL: every other event of the same instant happens first


class LateTimeout(simpy.Event):
    """A timeout processed after every ordinary event of its instant (as ``simpy.Timeout``
    is built, with priority ``LATE``).
    """

    def __init__(self, env: simpy.Environment, delay: float, value: object = None) -> None:
        super().__init__(env)
        self._ok = True
        self._value = value
        env.schedule(self, LATE, delay)


class UrgentEvent(simpy.Event):
    """An event that, once succeeded, is processed before any ordinary event of its instant:
    the run stops right after the step that decided it.
    """

    def succeed_now(self, value: object = None) -> None:
        """Succeed (once) and schedule the event as URGENT, ahead of everything else at this instant."""
        if not self.triggered:
            self._ok = True
            self._value = value
            self.env.schedule(self, URGENT)


class RolloutStatus:
    """Mirrors ``daemonSetStatusViewer.Status``: done when the observed generation is current
    (``daemon.Generation <= daemon.Status.ObservedGeneration``: the API server's
    ``metadata.generation``, not the controller's own idea of it, which lags the update until its
    informer delivers it) and updatedNumberScheduled and numberAvailable both reach
    desiredNumberScheduled.

    The same test decides an OnDelete DaemonSet's completion, though ``kubectl rollout status``
    refuses one ("rollout status is only available for RollingUpdate strategy type",
    kubectl's ``polymorphichelpers/rollout_status.go``): it is what the columns of ``kubectl get
    ds`` show once every node runs an available new pod.
    """

    def __init__(self, env: simpy.Environment, api: ApiServer, name: str,
                 on_done: Callable[[], None] = lambda: None) -> None:
        self.env = env
        self.log: list[tuple[float, dict[str, int]]] = []
        self.completed_at: float | None = None
        self.on_done = on_done
        api.watch_daemonset(name, self._changed, template=False)  # it reads only the status

    def _changed(self, kind: str, ds: DaemonSetObject) -> None:
        if kind != STATUS:
            return
        status = ds.status
        now = self.env._now  # without the property: a status write per acting sync in ideal mode
        self.log.append((now, status))
        if (
            self.completed_at is None
            and status["observed_generation"] >= ds.generation  # metadata.generation, as kubectl reads it
            and status["updated"] >= status["desired"]
            and status["available"] >= status["desired"]
        ):
            self.completed_at = now
            self.on_done()

    def frame(self) -> pd.DataFrame:
        """Every status the controller wrote, with its time."""
        return status_frame(self.log)


def status_frame(log: Sequence[tuple[float, dict[str, int]]]) -> pd.DataFrame:
    """A status log (``RolloutStatus.log``: each status written, with its time) as a DataFrame."""
    import pandas as pd

    return pd.DataFrame([{"time_s": t, **s} for t, s in log], columns=STATUS_COLUMNS)


def watch_for_stall(
    env: simpy.Environment,
    progress: Callable[[], float],
    stall_after: float,
    stalled: Callable[[float], None],
    on_stall: Callable[[float, float], float] | None = None,
    done: Callable[[], bool] = lambda: False,
) -> Generator[simpy.Event, object, None]:
    """The operator watching one DaemonSet's rollout: call ``stalled(last)``, with the time of its
    last progress, once ``progress()`` (when one of its nodes last gained an available new pod)
    is ``stall_after`` seconds old, whether or not anything else still happens (a crash loop
    keeps restarting; a pod that never gets Ready is quiet). It stops watching once ``done()``
    (the rollout completed).

    The check runs after every other event of its instant (priority ``LATE``), so progress made
    exactly at the deadline still counts. With ``on_stall`` (an operator who rolls back), the
    first stall calls it with the detection time and the last progress instead; it returns when the rollback happens,
    and the stall clock restarts there.
    """
    since = 0.0
    stalled_at: float | None = None
    while True:
        deadline = max(progress(), since) + stall_after
        yield LateTimeout(env, max(0.0, deadline - env.now))
        if done():
            return
        if max(progress(), since) + stall_after > env.now:
            continue  # progress was made meanwhile
        last = max(progress(), since) if stalled_at is None else stalled_at
        if on_stall is None:
            stalled(last)
            return
        stalled_at = last
        since = on_stall(env.now, last)
        on_stall = None
