"""What happened on the nodes, recorded as it happens and turned into DataFrames once.

A recorder watches one DaemonSet's pods and the nodes in the API server (the truth, not the
controller's delayed view), as Ciw's trackers do: it only records, and nothing reads it
while the run goes on but the stall watchdog (``rollsim.observe.rollout``). Per node it
keeps a small summary; the cluster levels (available nodes, nodes with two pods, ...) are
stored only when they change, one row per instant.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence

import numpy as np
import pandas as pd
import simpy

from rollsim.cluster.apiserver import ADDED, MODIFIED, TEMPLATE, ApiServer, DaemonSetObject
from rollsim.cluster.nodestore import NODE_ADDED, NodeStore
from rollsim.controller.pods import Pod, is_pod_available
from rollsim.spec.node import PodPlacement, node_should_run_daemon_pod

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
_ZERO_STATE = (0,) * len(_LEVELS)


def _column(value: float, n: int) -> array[float]:
    """``n`` copies of ``value`` as a C array of doubles."""
    return array("d", [value]) * n


class Recorder:
    """Keeps per-node summaries and cluster levels; ``to_frames`` builds the DataFrames."""

    def __init__(self, env: simpy.Environment, api: ApiServer, daemonset: DaemonSetObject,
                 placement: PodPlacement, min_ready_seconds: float) -> None:
        nodes = api.nodes
        n = len(nodes)
        self.env = env
        self.api = api
        self.daemonset = daemonset
        self.placement = placement
        self.names = [node.name for node in nodes.nodes]
        self.desired = [self._desired(nodes, i) for i in range(n)]
        self.min_ready = min_ready_seconds
        # per node: (desired, available, updated, surge, terminating pods, pending pods); the few
        # distinct tuples are shared (``_interned``), so a node costs one reference, not a tuple
        self._state: list[tuple[int, ...]] = [_ZERO_STATE] * n
        self._interned: dict[tuple[int, ...], tuple[int, ...]] = {_ZERO_STATE: _ZERO_STATE}
        self._levels = [0] * len(_LEVELS)  # the cluster's current levels, in _LEVELS order
        # columns as C arrays (8 bytes a value, no float objects): a million nodes' worth is small
        self._times = array("d")
        self._cols = {c: array("q") for c in _LEVELS}
        self._level_columns = [self._cols[c] for c in _LEVELS]
        self.old_deleted_at = _column(_NAN, n)
        self.new_created_at = _column(_NAN, n)
        self.new_lifecycle = {event: _column(_NAN, n) for event in LIFECYCLE}
        self.new_ready_at = _column(_NAN, n)
        self.new_available_at = _column(_NAN, n)
        self.downtime = _column(0.0, n)
        self._lost_at = _column(0.0, n)
        self.last_progress = 0.0  # when a node last got its first available new pod

    def _desired(self, nodes: NodeStore, node: int) -> bool:
        """Whether the DaemonSet should run on ``node`` (``NodeShouldRunDaemonPod``'s shouldRun)."""
        return nodes.exists[node] and node_should_run_daemon_pod(nodes.nodes[node], self.placement)[0]

    def watch(self) -> None:
        """Subscribe to the DaemonSet's pods, its template and the nodes. The first template
        change (time 0) records the first row.
        """
        api, name = self.api, self.daemonset.name
        api.watch_pods(self._pod_event, name)
        api.watch_daemonset(name, self._daemonset_event)
        api.nodes.watch(self._node_event)

    def _own(self, pods: Sequence[Pod]) -> Sequence[Pod]:
        """This DaemonSet's pods among a node's (all of them when it is the only DaemonSet)."""
        if len(self.api.daemonsets) == 1:
            return pods
        name = self.daemonset.name
        return [p for p in pods if p.owner == name]

    def _pod_event(self, kind: str, pod: Pod) -> None:
        node = pod.node
        if kind == ADDED:
            if pod.revision == self.daemonset.revision and math.isnan(self.new_created_at[node]):
                self.new_created_at[node] = self.env.now
        elif kind == MODIFIED:
            self._status_times(pod)
        self.node_changed(node, self._own(self.api.pods_by_node[node]))

    def _status_times(self, pod: Pod) -> None:
        """First deletion of an old pod, and the scheduled/pulled/started times of the first new pod."""
        node = pod.node
        if pod.revision != self.daemonset.revision:
            if pod.deleting and math.isnan(self.old_deleted_at[node]):
                self.old_deleted_at[node] = self.env.now
            return
        lifecycle = self.new_lifecycle
        for times, at in ((lifecycle["scheduled"], pod.scheduled_at), (lifecycle["pulled"], pod.pulled_at),
                          (lifecycle["started"], pod.started_at)):
            if at is not None and math.isnan(times[node]):
                times[node] = at

    def _daemonset_event(self, kind: str, ds: DaemonSetObject) -> None:
        if kind == TEMPLATE:  # the update (or a rollback): which pods count as updated changed everywhere
            for node, pods in enumerate(self.api.pods_by_node):
                self.node_changed(node, self._own(pods))
            if not self._times:
                self._row(self.env.now)

    def _node_event(self, kind: str, node: int) -> None:
        nodes = self.api.nodes
        if kind == NODE_ADDED:
            self.add_node(nodes.nodes[node].name)
        self.desired[node] = self._desired(nodes, node)
        self.node_changed(node, self._own(self.api.pods_by_node[node]))

    # -- pods ------------------------------------------------------------------------

    def node_changed(self, node: int, pods: Sequence[Pod]) -> None:
        """Recompute ``node``'s summary from its pods (of this DaemonSet) and record the levels it changes."""
        now, rev, min_ready = self.env.now, self.daemonset.revision, self.min_ready
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
                # The instant the minReadySeconds window ends (the kubelet's AVAILABLE event): under
                # the inclusive rule (v1.34+, kubernetes/kubernetes#132122) the pod is available
                # then; under the strict one at every instant after it, so it is the time to record.
                if is_pod_available(p, min_ready, now, inclusive=True):
                    available = True
                    new_available = new_available or is_new
            else:
                pending += 1
        if new_ready and math.isnan(self.new_ready_at[node]):
            self.new_ready_at[node] = now
        if new_available and math.isnan(self.new_available_at[node]):
            self.new_available_at[node] = now
            self.last_progress = now
        desired = 1 if self.desired[node] else 0
        state = (
            desired,
            desired if available else 0,
            desired if new_live and not old_live else 0,
            desired if live >= 2 else 0,
            terminating,
            pending,
        )
        old = self._state[node]
        if state == old:
            return
        self._state[node] = self._interned.setdefault(state, state)
        was_down, is_down = old[0] and not old[1], state[0] and not state[1]
        if was_down and not is_down:
            self.downtime[node] += now - self._lost_at[node]
        elif is_down and not was_down:
            self._lost_at[node] = now
        levels = self._levels
        for i, (before, after) in enumerate(zip(old, state)):
            if before != after:
                levels[i] += after - before
        self._row(now)

    def add_node(self, name: str) -> int:
        """A node joins the cluster (not yet desired: ``set_desired`` says whether it is)."""
        self.names.append(name)
        self.desired.append(False)
        self._state.append(_ZERO_STATE)
        for column in (self.old_deleted_at, self.new_created_at, self.new_ready_at, self.new_available_at,
                       *self.new_lifecycle.values()):
            column.append(_NAN)
        self.downtime.append(0.0)
        self._lost_at.append(0.0)
        return len(self.names) - 1

    def _row(self, now: float) -> None:
        times = self._times
        if times and times[-1] == now:
            for column, level in zip(self._level_columns, self._levels):
                column[-1] = level
        else:
            times.append(now)
            for column, level in zip(self._level_columns, self._levels):
                column.append(level)

    # -- frames --------------------------------------------------------------------------

    def to_frames(self, end: float) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(timeline, nodes) DataFrames; downtime still running is counted up to ``end``.

        The columns are views of the recorder's arrays, not copies (at a million nodes a copy
        is hundreds of MiB): build the frames once, when the run is over.
        """
        downtime = np.array(self.downtime, dtype=float)
        for node, state in enumerate(self._state):
            if state[0] and not state[1]:
                downtime[node] += end - self._lost_at[node]
        levels = {name: np.frombuffer(self._cols[name], dtype=np.int64) for name in _LEVELS}
        timeline = pd.DataFrame({
            "time_s": np.frombuffer(self._times, dtype=float),
            "desired": levels["desired"],
            "available": levels["available"],
            "unavailable": levels["desired"] - levels["available"],
            "updated": levels["updated"],
            "surge": levels["surge"],
            "terminating": levels["terminating"],
            "pending": levels["pending"],
        }, copy=False)
        nodes = pd.DataFrame({
            "node": self.names,
            "desired": np.array(self.desired, dtype=bool),
            "old_deleted_at_s": _view(self.old_deleted_at),
            "new_created_at_s": _view(self.new_created_at),
            **{f"new_{event}_at_s": _view(self.new_lifecycle[event]) for event in LIFECYCLE},
            "new_ready_at_s": _view(self.new_ready_at),
            "new_available_at_s": _view(self.new_available_at),
            "downtime_s": downtime,
        }, copy=False)
        return timeline, nodes


def _view(column: array[float]) -> np.ndarray:
    """A float64 array over ``column``'s memory (no copy)."""
    return np.frombuffer(column, dtype=float)
