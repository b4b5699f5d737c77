"""What happened on the nodes, recorded as it happens and turned into DataFrames once.

A recorder watches one DaemonSet's pods and the nodes in the API server (the truth, not the
controller's delayed view), as Ciw's trackers do: it only records, and nothing reads it
while the run goes on but the stall watchdog (``rollsim.observe.rollout``). Per node it
keeps a small summary (its share of the cluster levels: available nodes, nodes with two
pods, ...) and logs each change of it; ``to_columns`` sums that log into the levels
(``rollsim.observe.levels``), one row per instant at which they change, and hands them over
as columns (``to_frames`` as DataFrames).
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final, NamedTuple

import numpy as np
import simpy

from rollsim.cluster.apiserver import ADDED, MODIFIED, TEMPLATE, ApiServer, DaemonSetObject
from rollsim.cluster.nodestore import NODE_ADDED, NodeStore
from rollsim.controller.pods import FAILED, PENDING, Pod
from rollsim.observe.columns import Columns
from rollsim.observe.firstfailed import FirstFailed
from rollsim.observe.levels import level_rows
from rollsim.observe.nodesummary import LEVELS, PENDING_BIT, summary_key, unpack
from rollsim.spec.eligibility import node_should_run_daemon_pod
from rollsim.spec.node import PodPlacement

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Recorder", "TIMELINE_COLUMNS", "NODE_COLUMNS"]

TIMELINE_COLUMNS = (
    "time_s", "desired", "available", "unavailable", "updated", "surge", "terminating", "pending", "extra_pods",
)
NODE_COLUMNS = (
    "node", "desired", "old_deleted_at_s", "new_created_at_s", "new_scheduled_at_s", "new_pulled_at_s",
    "new_started_at_s", "new_ready_at_s", "new_available_at_s", "downtime_s",
)
LIFECYCLE = ("scheduled", "pulled", "started")
_NAN = math.nan
_ZERO_STATE = (0,) * len(LEVELS)
_PENDING_NEW: Final = 1 << PENDING_BIT | 4  # the key of a node's one pod, new and Pending (``summary_key``'s)
_isnan = math.isnan


def _column(value: float, n: int) -> array[float]:
    """``n`` copies of ``value`` as a C array of doubles."""
    return array("d", [value]) * n


class Recorder:
    """Keeps per-node summaries and their changes; ``to_frames`` builds the DataFrames."""

    def __init__(self, env: simpy.Environment, api: ApiServer, daemonset: DaemonSetObject,
                 placement: PodPlacement, min_ready_seconds: float, desired: Sequence[bool] | None = None) -> None:
        """``desired``: which nodes should run the DaemonSet now, when the caller knows it (the
        controller's ``should_run``, computed once); else each node's eligibility is computed here.
        """
        nodes = api.nodes
        n = len(nodes)
        self.env = env
        self.api = api
        self._pods_by_node, self._daemonsets = api.pods_by_node, api.daemonsets  # one lookup less per event
        self._failed_by_node = api.failed_by_node  # the failed pods, kept apart by the API server
        self._first_failed = FirstFailed(api, daemonset.name)  # of which only each node's first counts
        self.daemonset = daemonset
        self.placement = placement
        self.names = [node.name for node in nodes.nodes]
        self.desired = list(desired) if desired is not None else [self._desired(nodes, i) for i in range(n)]
        self.min_ready = min_ready_seconds
        # A node's summary, (desired, available, updated, surge, terminating pods, pending pods),
        # is kept as a small code: the index of that tuple in ``_summaries`` (a few dozen at most),
        # found from the summary packed in one int (its key: ``rollsim.observe.nodesummary``), cheaper than a tuple.
        self._summaries: list[tuple[int, ...]] = [_ZERO_STATE]
        self._codes = {0: 0}  # key -> code
        self._down = [False]  # per code: desired and not available
        self._state = [0] * n  # per node: its summary's code
        # the log of summary changes, as C arrays (16 bytes a change): its instant, its two codes
        self._times = array("d")
        self._before, self._after = array("i"), array("i")
        self.old_deleted_at = _column(_NAN, n)
        self.new_created_at = _column(_NAN, n)
        self.new_lifecycle = {event: _column(_NAN, n) for event in LIFECYCLE}
        self._scheduled_at, self._pulled_at, self._started_at = self.new_lifecycle.values()
        self.new_ready_at = _column(_NAN, n)
        self.new_available_at = _column(_NAN, n)
        self.downtime = _column(0.0, n)
        self._lost_at = _column(0.0, n)
        self.framed = False  # to_frames has put the node columns in list order: the recording is over
        self.last_progress = 0.0  # when a node last got its first available new pod
        # after a second template change (a rollback, ``kubectl rollout undo``: a rollout of its own), the
        # nodes available on the current revision since: a node the update had reached is progress again
        self._rerolled: set[int] | None = None
        self._templates = 0  # template changes seen
        self._closed: _Record | None = None  # what ``to_columns`` reads, kept when the rollout ended (``close``)

    def _desired(self, nodes: NodeStore, node: int) -> bool:
        """Whether the DaemonSet should run on ``node`` (``NodeShouldRunDaemonPod``'s shouldRun)."""
        return nodes.exists[node] and node_should_run_daemon_pod(nodes.nodes[node], self.placement)[0]

    def watch(self) -> None:
        """Subscribe to the DaemonSet's pods, its template and the nodes. The first template
        change (time 0) records the first row.
        """
        api, name = self.api, self.daemonset.name
        api.watch_pods(self._pod_event, name)
        api.watch_daemonset(name, self._daemonset_event, status=False)  # it reads only the template
        api.nodes.watch(self._node_event)

    def _own(self, pods: Sequence[Pod]) -> Sequence[Pod]:
        """This DaemonSet's pods among a node's (all of them when it is the only DaemonSet)."""
        if len(self.api.daemonsets) == 1:
            return pods
        name = self.daemonset.name
        return [p for p in pods if p.owner == name]

    def _pod_event(self, kind: str, pod: Pod) -> None:
        # Every pod event passes here, so ``_own`` and the status times are inline, one test per
        # field: the first deletion of an old pod, the scheduled/pulled/started times of the first new one.
        node = pod.node
        if kind == MODIFIED:
            if pod.phase == FAILED:
                self._first_failed.failed(pod)
            if pod.revision != self.daemonset.revision:
                if pod.deleting and _isnan(self.old_deleted_at[node]):
                    self.old_deleted_at[node] = self.env._now
            else:
                at = pod.scheduled_at
                if at is not None and _isnan((times := self._scheduled_at)[node]):
                    times[node] = at
                at = pod.pulled_at
                if at is not None and _isnan((times := self._pulled_at)[node]):
                    times[node] = at
                at = pod.started_at
                if at is not None and _isnan((times := self._started_at)[node]):
                    times[node] = at
        elif kind == ADDED:
            if pod.revision == self.daemonset.revision and _isnan(self.new_created_at[node]):
                self.new_created_at[node] = self.env._now
        pods = self._pods_by_node[node]
        if len(self._daemonsets) != 1:
            name = self.daemonset.name
            pods = [p for p in pods if p.owner == name]
        self.node_changed(node, pods)

    def _daemonset_event(self, kind: str, ds: DaemonSetObject) -> None:
        if kind == TEMPLATE:  # the update (or a rollback): which pods count as updated changed everywhere
            self._templates += 1
            if self._templates > 1:  # a rollback: every node's return to the current revision is progress
                self._rerolled = set()
            if len(self._daemonsets) == 1:  # _own for every node, decided once
                for node, pods in enumerate(self._pods_by_node):
                    self.node_changed(node, pods)
            else:
                for node, pods in enumerate(self._pods_by_node):
                    self.node_changed(node, self._own(pods))
            if not self._times:  # nothing changed: still a first row, of the levels as they are
                self._log(self.env._now, 0, 0)

    def _node_event(self, kind: str, node: int) -> None:
        nodes = self.api.nodes
        if kind == NODE_ADDED:
            self.add_node(nodes.nodes[node].name)
        self.desired[node] = self._desired(nodes, node)
        self.node_changed(node, self._own(self.api.pods_by_node[node]))

    # -- pods ------------------------------------------------------------------------

    def node_changed(self, node: int, pods: Sequence[Pod]) -> None:
        """Recompute ``node``'s summary from its pods (of this DaemonSet) and log it if it changed."""
        now, rev, min_ready = self.env._now, self.daemonset.revision, self.min_ready
        new_ready = new_available = False
        if self._failed_by_node and node in self._failed_by_node:  # failed pods (kept apart): the first can count
            key, new_ready, new_available = summary_key(pods, rev, min_ready, self.desired[node], now,
                                                        self._first_failed.first(node))
        elif len(pods) == 1:  # most nodes: the key ``summary_key`` works out, for one pod, without its loop
            p = pods[0]
            if p.deleting:  # one terminating pod, none live: updated if it is of the current revision
                key = 1 << 4 | 4 if p.revision == rev else 1 << 4
            elif p.ready:
                key = 0
                if p.revision == rev:
                    new_ready = True
                    key = 4  # new pods only
                if min_ready == 0 or p.ready_since + min_ready <= now:  # available, as in ``summary_key``
                    key |= 2
                    new_available = new_ready
            elif p.revision == rev:  # updated; pending until it runs (Failed: neither pending nor an agent)
                key = _PENDING_NEW if p.phase == PENDING else 4
            else:
                key = 0  # an old pod not Ready: running (a crash loop, a dead node, lost readiness) or Failed
            if self.desired[node]:
                key |= 1
            else:
                key &= ~15
        elif not pods:  # none (an old pod gone, its replacement not yet created): desired, or nothing
            key = 1 if self.desired[node] else 0
        else:
            key, new_ready, new_available = summary_key(pods, self.daemonset.revision, min_ready,
                                                        self.desired[node], now)
        if new_ready and _isnan(self.new_ready_at[node]):
            self.new_ready_at[node] = now
        if new_available:
            if _isnan(self.new_available_at[node]):
                self.new_available_at[node] = now
                self.last_progress = now
                if self._rerolled is not None:
                    self._rerolled.add(node)
            elif self._rerolled is not None and node not in self._rerolled:  # a node the update had reached, back
                self._rerolled.add(node)
                self.last_progress = now
        code = self._codes.get(key)
        if code is None:
            code = self._code(key)
        old = self._state[node]
        if code == old:
            return
        self._state[node] = code
        down = self._down
        if down[old] != down[code]:
            if down[old]:
                self.downtime[node] += now - self._lost_at[node]
            else:
                self._lost_at[node] = now
        self._times.append(now)  # _log, inline
        self._before.append(old)
        self._after.append(code)

    def _code(self, key: int) -> int:
        """A new summary's code (the next index of ``_summaries``), from its key (``nodesummary``)."""
        summary = unpack(key)
        code = self._codes[key] = len(self._summaries)
        self._summaries.append(summary)
        self._down.append(bool(summary[0] and not summary[1]))
        return code

    def _log(self, now: float, old: int, new: int) -> None:
        """A node's summary changed from code ``old`` to ``new`` (node_changed does this inline)."""
        self._times.append(now)
        self._before.append(old)
        self._after.append(new)

    def add_node(self, name: str) -> int:
        """A node joins the cluster (not yet desired: ``set_desired`` says whether it is)."""
        self.names.append(name)
        self.desired.append(False)
        self._state.append(0)
        for column in (self.old_deleted_at, self.new_created_at, self.new_ready_at, self.new_available_at,
                       *self.new_lifecycle.values()):
            column.append(_NAN)
        self.downtime.append(0.0)
        self._lost_at.append(0.0)
        return len(self.names) - 1

    # -- frames --------------------------------------------------------------------------

    def close(self) -> None:
        """The DaemonSet's rollout is over (``kubectl rollout status`` reported it done, or its operator
        gave it up as stalled) while the run goes on for the others: its tables are the cluster's as
        it is now. A copy is kept of what ``to_columns`` reads (the log's length, each node's columns,
        ``desired`` and the ids listed so far); the recorder itself goes on, as the OnDelete deleter
        reads its ``desired``. Closing again keeps the first copy.
        """
        if self._closed is None:
            self._closed = self._record(copy=True)

    def _record(self, copy: bool) -> _Record:
        """What ``to_columns`` reads: the recorder's own arrays and lists, or (``copy``) copies of them."""
        def own(column: Any) -> Any:
            return column[:] if copy else column  # a slice copies an array as it does a list

        return _Record(
            log=len(self._times), listing=own(self.api.nodes.listing), names=own(self.names),
            desired=own(self.desired), state=own(self._state),
            downtime=own(self.downtime), lost_at=own(self._lost_at),
            old_deleted_at=own(self.old_deleted_at), new_created_at=own(self.new_created_at),
            lifecycle={event: own(times) for event, times in self.new_lifecycle.items()},
            new_ready_at=own(self.new_ready_at), new_available_at=own(self.new_available_at),
        )

    def to_frames(self, end: float) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(timeline, nodes) DataFrames of ``to_columns(end)``, which they share."""
        import pandas as pd

        timeline, nodes = self.to_columns(end)
        return pd.DataFrame(timeline, copy=False), pd.DataFrame(nodes, copy=False)

    def to_columns(self, end: float) -> tuple[Columns, Columns]:
        """The columns of the (timeline, nodes) tables; downtime still running is counted up to ``end``.

        The recording ends here, and a recorder makes its tables once: the node columns are the
        recorder's own arrays (at a million nodes a copy is 80 MiB), put in the order the scenario
        lists the nodes (``NodeStore.listing``) in place, whatever the nodes' ids. A recorder
        closed (``close``) makes them from what it kept then: ``end`` is that moment.
        """
        if self.framed:
            raise RuntimeError("a recorder makes its frames once")
        self.framed = True
        kept = self._closed if self._closed is not None else self._record(copy=False)
        pick = np.frombuffer(kept.listing, dtype=np.int64)
        down = np.array(self._down, dtype=bool)[np.array(kept.state, dtype=np.intp)]
        downtime = _view(kept.downtime)
        downtime[down] += end - _view(kept.lost_at)[down]
        n = kept.log
        before, after = (np.frombuffer(codes, dtype=np.intc)[:n] for codes in (self._before, self._after))
        times, columns = level_rows(_view(self._times)[:n], before, after, np.array(self._summaries, dtype=np.int64))
        levels = dict(zip(LEVELS, columns))
        timeline = {
            "time_s": times,
            "desired": levels["desired"],
            "available": levels["available"],
            "unavailable": levels["desired"] - levels["available"],
            "updated": levels["updated"],
            "surge": levels["surge"],
            "terminating": levels["terminating"],
            "pending": levels["pending"],
            "extra_pods": levels["extra"],
        }
        names = kept.names
        nodes = {
            "node": [names[i] for i in pick.tolist()],
            "desired": np.array(kept.desired, dtype=bool)[pick],  # a copy: end_state reads ``desired`` by id
            "old_deleted_at_s": _in_order(kept.old_deleted_at, pick),
            "new_created_at_s": _in_order(kept.new_created_at, pick),
            **{f"new_{event}_at_s": _in_order(kept.lifecycle[event], pick) for event in LIFECYCLE},
            "new_ready_at_s": _in_order(kept.new_ready_at, pick),
            "new_available_at_s": _in_order(kept.new_available_at, pick),
            "downtime_s": _in_order(kept.downtime, pick),
        }
        return timeline, nodes


class _Record(NamedTuple):
    """What ``Recorder.to_columns`` reads: the log's length, the ids listed, and per node id its
    name, whether it is desired, its summary's code and its columns.
    """

    log: int
    listing: array[int]
    names: list[str]
    desired: list[bool]
    state: list[int]
    downtime: array[float]
    lost_at: array[float]
    old_deleted_at: array[float]
    new_created_at: array[float]
    lifecycle: dict[str, array[float]]
    new_ready_at: array[float]
    new_available_at: array[float]


def _view(column: array[float]) -> np.ndarray:
    """A float64 array over ``column``'s memory (no copy)."""
    return np.frombuffer(column, dtype=float)


def _in_order(column: array[float], pick: np.ndarray) -> np.ndarray:
    """``column``'s values put in the order ``pick`` (ids) says, in ``column``'s own memory."""
    view = _view(column)
    view[:] = view[pick]
    return view
