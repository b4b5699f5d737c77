"""What happened on the nodes, recorded as it happens and turned into DataFrames once.

The recorder watches the API server's pods (the truth, not the controller's delayed
view). Per node it keeps a small summary; the cluster levels (available nodes, nodes
with two pods, ...) are stored only when they change, one row per instant.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import simpy

from rollsim.controller.pods import Pod

__all__ = ["Recorder", "TIMELINE_COLUMNS", "NODE_COLUMNS"]

TIMELINE_COLUMNS = (
    "time_s", "desired", "available", "unavailable", "updated", "surge", "terminating", "pending",
)
NODE_COLUMNS = (
    "node", "desired", "old_deleted_at_s", "new_created_at_s", "new_scheduled_at_s", "new_pulled_at_s",
    "new_started_at_s", "new_ready_at_s", "new_available_at_s", "downtime_s",
)
LIFECYCLE = ("scheduled", "pulled", "started")
_LEVELS = ("desired", "available", "updated", "surge", "terminating", "pending")
_NAN = math.nan


class Recorder:
    """Keeps per-node summaries and cluster levels; ``to_frames`` builds the DataFrames."""

    def __init__(
        self,
        env: simpy.Environment,
        node_names: Sequence[str],
        desired: Sequence[bool],
        min_ready_seconds: float,
        revision: Callable[[], int],
    ) -> None:
        n = len(node_names)
        self.env = env
        self.names = list(node_names)
        self.desired = list(desired)
        self.min_ready = min_ready_seconds
        self.revision = revision
        # per node: (desired, available, updated, surge, terminating pods, pending pods)
        self._state: list[tuple[int, ...]] = [(0,) * len(_LEVELS)] * n
        self.levels = dict.fromkeys(_LEVELS, 0)
        self._cols = {c: array("d") for c in ("time_s", *_LEVELS)}
        self.old_deleted_at = [_NAN] * n
        self.new_created_at = [_NAN] * n
        self.new_lifecycle = {event: [_NAN] * n for event in LIFECYCLE}
        self.new_ready_at = [_NAN] * n
        self.new_available_at = [_NAN] * n
        self.downtime = [0.0] * n
        self._lost_at = [0.0] * n
        self._waiters: dict[int, list[simpy.Event]] = {}
        self.status_log: list[tuple[float, dict[str, int]]] = []
        self.completed_at: float | None = None
        self.last_progress = 0.0  # when a node last got its first available new pod
        self.done = env.event()

    # -- pods ------------------------------------------------------------------------

    def pod_created(self, pod: Pod, revision: int) -> None:
        if pod.revision == revision and math.isnan(self.new_created_at[pod.node]):
            self.new_created_at[pod.node] = self.env.now

    def lifecycle(self, pod: Pod, event: str, at: float | None = None) -> None:
        """The kubelet reached ``event`` (scheduled, pulled, started) for ``pod`` at ``at``
        (default now): the first new-revision pod of each node is recorded."""
        times = self.new_lifecycle[event]
        if pod.revision == self.revision() and math.isnan(times[pod.node]):
            times[pod.node] = self.env.now if at is None else at

    def pod_deleting(self, pod: Pod, revision: int) -> None:
        if pod.revision != revision and math.isnan(self.old_deleted_at[pod.node]):
            self.old_deleted_at[pod.node] = self.env.now

    def node_changed(self, node: int, pods: Sequence[Pod]) -> None:
        now, rev, min_ready = self.env.now, self.revision(), self.min_ready
        live = new_live = old_live = terminating = pending = 0
        available = new_ready = new_available = False
        for p in pods:
            if p.deleting:
                terminating += 1
                continue
            live += 1
            is_new = p.revision == rev
            if is_new:
                new_live += 1
            else:
                old_live += 1
            if p.ready:
                if is_new:
                    new_ready = True
                if min_ready == 0 or p.ready_since + min_ready <= now:
                    available = True
                    new_available = new_available or is_new
            else:
                pending += 1
        if new_ready and math.isnan(self.new_ready_at[node]):
            self.new_ready_at[node] = now
        if new_available and math.isnan(self.new_available_at[node]):
            self.new_available_at[node] = now
            self.last_progress = now
            for event in self._waiters.pop(node, ()):
                event.succeed()
        desired = self.desired[node]
        state = (
            int(desired),
            int(available and desired),
            int(new_live > 0 and old_live == 0 and desired),
            int(live >= 2 and desired),
            terminating,
            pending,
        )
        old = self._state[node]
        if state == old:
            return
        self._state[node] = state
        was_down, is_down = old[0] and not old[1], state[0] and not state[1]
        if was_down and not is_down:
            self.downtime[node] += now - self._lost_at[node]
        elif is_down and not was_down:
            self._lost_at[node] = now
        for name, before, after in zip(_LEVELS, old, state):
            if before != after:
                self.levels[name] += after - before
        self._row(now)

    def start(self, pods_by_node: Sequence[Sequence[Pod]]) -> None:
        """Summarise the initial pods and write the first row (time 0)."""
        for node, pods in enumerate(pods_by_node):
            self.node_changed(node, pods)
        self._row(self.env.now)

    def add_node(self, name: str) -> int:
        """A node joins the cluster (not yet desired: ``set_desired`` says whether it is)."""
        self.names.append(name)
        self.desired.append(False)
        self._state.append((0,) * len(_LEVELS))
        for column in (self.old_deleted_at, self.new_created_at, self.new_ready_at, self.new_available_at,
                       *self.new_lifecycle.values()):
            column.append(_NAN)
        self.downtime.append(0.0)
        self._lost_at.append(0.0)
        return len(self.names) - 1

    def set_desired(self, node: int, desired: bool, pods: Sequence[Pod]) -> None:
        """Whether ``node`` should run the DaemonSet changed (added, removed, tainted)."""
        self.desired[node] = desired
        self.node_changed(node, pods)

    def _row(self, now: float) -> None:
        cols = self._cols
        times = cols["time_s"]
        if times and times[-1] == now:
            for name in _LEVELS:
                cols[name][-1] = self.levels[name]
        else:
            times.append(now)
            for name in _LEVELS:
                cols[name].append(self.levels[name])

    def new_pod_available(self, node: int) -> simpy.Event:
        event = self.env.event()
        if not math.isnan(self.new_available_at[node]):
            event.succeed()
        else:
            self._waiters.setdefault(node, []).append(event)
        return event

    # -- the DaemonSet status, as `kubectl rollout status` reads it ---------------------

    def status_written(self, now: float, status: dict[str, int]) -> None:
        """Mirrors ``daemonSetStatusViewer.Status``: done when the observed generation is current
        and updatedNumberScheduled and numberAvailable both reach desiredNumberScheduled."""
        self.status_log.append((now, status))
        if (
            self.completed_at is None
            and status["observed_generation"] >= status["generation"]
            and status["updated"] >= status["desired"]
            and status["available"] >= status["desired"]
        ):
            self.completed_at = now
            self.done.succeed()

    # -- frames --------------------------------------------------------------------------

    def to_frames(self, end: float) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """(timeline, nodes, status) DataFrames; downtime still running is counted up to ``end``."""
        downtime = list(self.downtime)
        for node, state in enumerate(self._state):
            if state[0] and not state[1]:
                downtime[node] += end - self._lost_at[node]
        cols = {name: np.frombuffer(self._cols[name], dtype=float) for name in ("time_s", *_LEVELS)}
        timeline = pd.DataFrame({
            "time_s": cols["time_s"].copy(),
            "desired": cols["desired"].astype(np.int64),
            "available": cols["available"].astype(np.int64),
            "unavailable": (cols["desired"] - cols["available"]).astype(np.int64),
            "updated": cols["updated"].astype(np.int64),
            "surge": cols["surge"].astype(np.int64),
            "terminating": cols["terminating"].astype(np.int64),
            "pending": cols["pending"].astype(np.int64),
        })
        nodes = pd.DataFrame({
            "node": self.names,
            "desired": self.desired,
            "old_deleted_at_s": self.old_deleted_at,
            "new_created_at_s": self.new_created_at,
            **{f"new_{event}_at_s": self.new_lifecycle[event] for event in LIFECYCLE},
            "new_ready_at_s": self.new_ready_at,
            "new_available_at_s": self.new_available_at,
            "downtime_s": downtime,
        })
        status = pd.DataFrame(
            [{"time_s": t, **s} for t, s in self.status_log],
            columns=["time_s", "desired", "current", "ready", "available", "updated",
                     "misscheduled", "unavailable", "observed_generation", "generation"],
        )
        return timeline, nodes, status
