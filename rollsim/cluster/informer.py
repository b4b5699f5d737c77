"""A DaemonSet controller's informers: API changes reach the controller's cache after a watch delay.

The pod and DaemonSet informers deliver each watch event after ``delay()`` seconds, the node
informer after ``node_delay()`` (its own watch; ``None``: at once). Every delivered event
raises the read high-water mark of the controller's consistency store (``ReadAt``).

* DaemonSet events: a template change, and (``status_requeue``) the controller's own status
  write coming back: ``updateDaemonset`` enqueues the key on every update. A status write the
  informer delivers becomes the cache's ``ds.Status`` (``status_observed``), which
  ``syncNodeUpdate`` reads.
* Node events: ``addNode`` and ``updateNode``, which hand the node to ``syncNodeUpdate``
  (kubernetes/kubernetes#130514); an update that changes neither labels nor taints is dropped
  (``shouldIgnoreNodeUpdate``, kubernetes/kubernetes#121642). There is no node-delete handler
  upstream; rollsim's node list drops a deleted node when its event arrives, enqueuing nothing.

Most pod events reach the controller while its key is already queued (or marked to be queued
again: ``dirty``), so their handlers change only what the next sync reads. With
``defer_while_dirty`` such deliveries need no timer: they wait, in order, and are delivered
just before anything reads what they change (``catch_up``), with the outcome of their timers.

A delivery is one entry, on the event queue or kept, that carries its event (kind, snapshot,
resource version). A pod's events keep their order, as a watch stream keeps each object's:
the pod notes where its latest delivery stands (``Pod.watch_note``), so no event is due before
the one ahead of it, and the rare event whose timer rounds to a place before an earlier one's
takes that one's event instead (the entries' events are passed along, oldest first: ``_reorder``).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from heapq import heappop, heappush
from typing import Any, Protocol, cast

import simpy
from simpy.events import NORMAL

from rollsim.cluster.apiserver import ADDED, AVAILABLE, DELETED, MODIFIED, TEMPLATE, ApiServer, DaemonSetObject
from rollsim.cluster.nodestore import NODE_ADDED, NODE_DELETED, NodeStore
from rollsim.cluster.timers import Call, Cursor, call_later
from rollsim.cluster.workqueue import WorkQueue
from rollsim.controller.consistency import DAEMONSETS, PODS
from rollsim.controller.pods import Pod
from rollsim.spec.node import Node

__all__ = ["Informer", "Handlers", "ADDED", "MODIFIED", "DELETED", "should_ignore_node_update"]

PodEvent = tuple[str, Pod, int]  # a pod watch event on its way: its kind, the pod as of the event, its version
Place = tuple[float, int, int]  # a place on the event queue: time, priority, event id


def _place(placed: tuple[Place, object]) -> Place:
    return placed[0]


class Handlers(Protocol):
    """What the informers call: the event handlers ``DaemonSetsController`` registers
    (``addPod``, ``updatePod``, ``deletePod``, ``updateDaemonset``, ``addNode``, ``updateNode``).
    ``DaemonSetController`` is one; tests stand in for it.
    """

    min_ready_seconds: float  # the DaemonSet's spec.minReadySeconds (updatePod's AddAfter)
    status: dict[str, int]  # the status the controller last wrote (the informer's initial list holds it)

    def pod_added(self, pod: Pod, enqueue: bool = True) -> None:
        """``addPod``; ``enqueue`` False: its ``Add`` of the key left out (the key is dirty: it would do nothing)."""

    def pod_updated(self, snapshot: Pod, enqueue: bool = True) -> None:
        """``updatePod``; ``enqueue`` as ``pod_added``'s."""

    def pod_deleted(self, uid: int, failed: bool | None = None, enqueue: bool = True) -> None:
        """``deletePod``; ``enqueue`` as ``pod_added``'s (``failed``: the cache's own)."""

    def change_template(self, *, revision: int) -> None:
        """``updateDaemonset`` with a new template revision."""

    def requeue(self, delay: float) -> None:
        """``enqueueDaemonSetAfter`` (``updateDaemonset`` of a status write: after 0 s)."""

    def status_observed(self, status: dict[str, int]) -> None:
        """A status write reaches the DaemonSet informer's store (``ds.Status`` in its lister)."""

    def add_node_slot(self, node: Node, exists: bool = True) -> int:
        """``addNode`` (then ``syncNodeUpdate``)."""

    def update_node(self, node: int, updated: Node) -> None:
        """``updateNode`` (once ``shouldIgnoreNodeUpdate`` let it through; then ``syncNodeUpdate``)."""

    def remove_node(self, node: int) -> None:
        """A deleted node leaves the node list (no handler upstream)."""


class Informer:
    """Delivers watch events to the controller's handlers, each after ``delay()`` seconds.

    Events of one object keep their order, as a watch stream guarantees: no event is due
    before the one ahead of it, and the deliveries of one pod are made in the order its events
    happened, whatever float rounding does to their timers (``_reorder``). ``delay=None``
    delivers at once.
    """

    __slots__ = ("env", "controller", "delay", "node_delay", "status_requeue", "_node_due",
                 "_nodes_seen", "_consistency", "_fire", "_deferred", "_cursor", "_dirty", "_key", "_live", "defers",
                 "_status_rv", "_api_pods")

    def __init__(
        self, env: simpy.Environment, controller: Handlers, delay: Callable[[], float] | None,
        node_delay: Callable[[], float] | None = None, status_requeue: bool = False,
    ) -> None:
        self.env = env
        self.controller = controller
        self._consistency = getattr(controller, "consistency", None)  # ReadAt, when the gate is on
        # every pod delivery at once (no ReadAt), to a cache that holds the API server's objects
        # (InformerCache.hold_api_objects: ideal mode): nothing to copy or keep, so the cache's own
        # handler is the pod watcher (live_pod_event; None otherwise)
        live = delay is None and self._consistency is None and bool(getattr(controller, "live", False))
        self._live: Callable[[str, Pod], None] | None = controller.live_pod_event if live else None  # type: ignore[attr-defined]
        self.delay = delay
        self.node_delay = node_delay
        self.status_requeue = status_requeue
        self._node_due = 0.0  # the node watch is one stream: its events keep their order
        self._nodes_seen: list[Node] = []  # the node informer's cache (old objects for updateNode)
        self._status_rv = -1  # the resource version of the newest status delivered (its store holds that one)
        self._api_pods: list[Pod | None] = []  # the API server's pods by uid (watch), whose watch notes it clears
        # one bound method for every delivery's timer, called with the event: (kind, pod, version)
        self._fire: Callable[[str, Pod, int], None] = self._deliver
        # defer_while_dirty: the deliveries left off the event queue, as the entries their timers would
        # have been, each with its event: (time, priority, id, kind, pod, version); the run's cursor,
        # the work queue's test and the key
        self._deferred: list[tuple[float, int, int, str, Pod, int]] = []  # (*Place, *PodEvent)
        self._cursor = Cursor()
        self._dirty: Callable[[Hashable], bool] | None = None
        self._key: Hashable = None
        self.defers = False  # whether deliveries are kept (defer_while_dirty): else catch_up has none to make

    def defer_while_dirty(self, queue: WorkQueue, key: Hashable, cursor: Cursor) -> None:
        """Leave off the event queue the pod deliveries that can only update the cache.

        A pod handler changes the controller's cache, node index, expectations and read
        high-water mark, and enqueues ``key``, which does nothing while the key is dirty in
        ``queue`` (queued, or held by a worker and marked to be queued again). A delivery notified
        while the key is dirty is therefore kept here, with the place its timer would have had
        on the event queue (``cursor`` says where the run is), unless its handler may set a timer
        (a pod Ready while the controller's ``min_ready_seconds`` > 0: ``updatePod``'s ``AddAfter``). Kept
        deliveries are delivered in their order, before whatever reads or changes what they
        change: a worker's sync or its next step, this informer's other deliveries, and the key
        leaving the dirty set (``WorkQueue.before_clean``, registered here). Then the first kept
        delivery still to come goes on the event queue, at its place: while the key is not dirty,
        one always is, so every kept delivery finds the key dirty at its turn, as its timer would
        have. The order of every handler call, and so every result, is what it is with timers.
        """
        self._cursor, self._key = cursor, key
        self._dirty = queue.before_clean(key, self._before_clean)
        self.defers = True
        self._fire = self._fire_after_catching_up

    def catch_up(self) -> None:
        """Deliver the kept pod events whose timers' turn has come (``defer_while_dirty``).

        ``_deliver`` for each, but with less to do: each finds the key dirty, as its timer would
        have (``defer_while_dirty``), so the handlers leave out their enqueue, which would do
        nothing (``enqueue=False``); and ``ReadAt`` is raised once, to the newest version among
        them, as nothing reads it before the last of them is delivered.
        """
        deferred = self._deferred
        at = self._cursor.entry
        if not deferred or not deferred[0] < at:  # (time, priority, id): ids differ, the events are never compared
            return
        c = self.controller
        newest = -1
        api_pods = self._api_pods
        while deferred and deferred[0] < at:
            _, _, _, kind, pod, rv = heappop(deferred)
            if rv > newest:
                newest = rv
            uid = pod.uid  # _forget_note, inline
            live = api_pods[uid] if uid < len(api_pods) else None
            if live is not None and live.resource_version == rv:
                live.watch_note = None
            if kind == MODIFIED:  # the commonest first
                c.pod_updated(pod, False)
            elif kind == ADDED:
                c.pod_added(pod, False)
            else:
                c.pod_deleted(pod.uid, enqueue=False)
        if self._consistency is not None:
            self._consistency.read_at(PODS, newest)

    def _before_clean(self) -> None:
        """The key is about to leave the dirty set: the deliveries before now first (their enqueues
        do nothing), then the next kept one goes on the event queue (it will find the key clean).
        """
        self.catch_up()
        if self._deferred:
            self._arm()

    def _arm(self) -> None:
        """The first kept delivery goes on the event queue, at the place its timer would have had."""
        time, priority, eid, kind, pod, rv = heappop(self._deferred)
        queue: list[Any] = self.env._queue
        heappush(queue, (time, priority, eid, Call(self._fire, (kind, pod, rv))))

    def _fire_after_catching_up(self, kind: str, pod: Pod, rv: int) -> None:
        """A delivery's timer (``defer_while_dirty``): the kept deliveries before it first."""
        deferred = self._deferred
        if deferred:
            self.catch_up()
        self._deliver(kind, pod, rv)
        if deferred and not self._dirty(self._key):  # type: ignore[misc]  # the key is clean: one must be queued
            self._arm()

    def unreached(self) -> int:
        """Kept deliveries whose turn the run has not reached (their timers would still be queued)."""
        at = self._cursor.entry
        return sum(1 for entry in self._deferred if entry > at)

    def watch(self, api: ApiServer, owner: str) -> None:
        """Subscribe to ``owner``'s pods and DaemonSet, and to the nodes."""
        api.watch_pods(self.notify if self._live is None else self._live, owner)
        self._api_pods = api.pods
        # a status write is read to enqueue the key (status_requeue), for ReadAt and as ds.Status
        # (daemonset_changed); without either of the first two it is not delivered, and the cache
        # reads the status it last wrote instead (seen at once: ideal mode)
        status = self.status_requeue or self._consistency is not None
        api.watch_daemonset(owner, self.daemonset_changed, status=status)
        if status:  # the initial list: the DaemonSet with the status written before the run
            self.controller.status_observed(self.controller.status)
        nodes = api.nodes
        self._nodes_seen = list(nodes.nodes)
        nodes.watch(lambda kind, node_id: self.node_changed(nodes, kind, node_id))

    def daemonset_changed(self, kind: str, ds: DaemonSetObject) -> None:
        """``updateDaemonset``: a new template revision, or (``status_requeue``) a status write,
        reaches the controller after a watch delay and enqueues the key.
        """
        revision, rv, status = ds.revision, ds.resource_version, ds.status  # a written status is never changed
        if kind != TEMPLATE and not self.status_requeue and self._consistency is None:
            return  # not delivered (watch subscribes to status writes only with one of the two)

        def deliver() -> None:
            self.catch_up()  # the pod deliveries before it first (nothing kept: no-op)
            c = self.controller
            if self._consistency is not None:  # the informer sees every update, enqueuing or not
                self._consistency.read_at(DAEMONSETS, rv)
            if kind == TEMPLATE:
                c.change_template(revision=revision)
                return
            if rv > self._status_rv:  # the DaemonSet's events are delayed independently: the store keeps the newest
                self._status_rv = rv
                c.status_observed(status)
            if self.status_requeue:
                c.requeue(0.0)

        if self.delay is None:
            deliver()
        else:
            call_later(self.env, self.delay(), deliver)

    def node_changed(self, nodes: NodeStore, kind: str, node_id: int) -> None:
        """The node watch: each event reaches the handlers after the node informer's delay, in order."""
        node = nodes.nodes[node_id]
        if self.node_delay is None:
            self._node_event(kind, node_id, node)
            return
        now = self.env._now
        self._node_due = due = max(now + self.node_delay(), self._node_due)
        call_later(self.env, due - now, self._node_event, kind, node_id, node)

    def _node_event(self, kind: str, node_id: int, node: Node) -> None:
        """``addNode``, ``updateNode`` (through ``shouldIgnoreNodeUpdate``); a deleted node leaves
        the node list.
        """
        self.catch_up()  # the pod deliveries before it first
        c, seen = self.controller, self._nodes_seen
        if kind == NODE_ADDED:
            seen.append(node)
            c.add_node_slot(node)
        elif kind == NODE_DELETED:
            c.remove_node(node_id)
        else:
            old, seen[node_id] = seen[node_id], node
            if not should_ignore_node_update(old, node):
                c.update_node(node_id, node)

    def notify(self, kind: str, pod: Pod) -> None:
        """The pod informer's handler: deliver a snapshot to ``addPod``/``updatePod``/``deletePod`` after the delay.

        ``deletePod`` reads only the pod's uid, and ``ReadAt`` its resource version as of the
        event: a DELETED event carries the API server's object and that version, not a copy.
        """
        if kind == AVAILABLE:
            return  # not an API change: informers never see it
        rv = pod.resource_version
        snapshot = pod if kind == DELETED else pod.copy()
        if self.delay is None:
            self._deliver(kind, snapshot, rv)
            return
        env = self.env
        now = env._now
        due = now + self.delay()
        note = pod.watch_note  # (where its latest delivery stands, when its latest event is due)
        if note is not None and due < note[1]:  # would overtake the event ahead of it, if that one is still on its way
            if now < note[0] or self._on_the_way(pod.uid):  # its turn has not come: it is (else, look)
                due = note[1]
        # call_later's entry, made here: kept (defer_while_dirty) or queued
        at, eid = now + (due - now), next(env._eid)
        if note is not None and at < note[0]:  # rounded to a place before a delivery ahead of it (rare)
            event = self._reorder(pod.uid, (at, NORMAL, eid), (kind, snapshot, rv))
            pod.watch_note = (note[0], due)
        else:
            event = (kind, snapshot, rv)
            pod.watch_note = (at, due)
        dirty = self._dirty
        if dirty is not None and dirty(self._key) and (
                kind == DELETED or not snapshot.ready or self.controller.min_ready_seconds == 0):
            heappush(self._deferred, (at, NORMAL, eid, *event))
        else:
            events: list[Any] = env._queue
            heappush(events, (at, NORMAL, eid, Call(self._fire, event)))

    def _deliveries_of(self, uid: int) -> list[tuple[Place, int | Call]]:
        """Pod ``uid``'s deliveries still to be made, in their order: (place, the index of the kept
        entry or the call on the event queue). A scan of both: only for a rare case.
        """
        found: list[tuple[Place, int | Call]] = []
        for i, kept in enumerate(self._deferred):
            if kept[4].uid == uid:
                found.append(((kept[0], kept[1], kept[2]), i))
        queued: list[Any] = self.env._queue
        for at, priority, eid, call in queued:
            if type(call) is Call and call.fn == self._fire and cast(Pod, call.args[1]).uid == uid:
                found.append(((at, priority, eid), call))
        found.sort(key=_place)
        return found

    def _on_the_way(self, uid: int) -> bool:
        """Whether an event of pod ``uid`` is still to be delivered (its turn may have come: kept)."""
        return bool(self._deliveries_of(uid))

    def _reorder(self, uid: int, place: Place, event: PodEvent) -> PodEvent:
        """A new delivery of pod ``uid`` at ``place``, which float rounding put before some of the
        pod's deliveries still to be made: every delivery takes the pod's events in their order
        (the new ``event`` last), as each timer delivered the oldest event waiting. Returns the
        event for the new one.
        """
        deferred = self._deferred
        waiting = self._deliveries_of(uid)
        events: list[PodEvent] = []
        for _, held in waiting:
            if isinstance(held, int):
                _, _, _, kind, pod, rv = deferred[held]
                events.append((kind, pod, rv))
            else:
                events.append(cast(PodEvent, held.args))
        events.append(event)
        mine = event
        for (at, holder), taken in zip(sorted([(place, None), *waiting], key=_place), events):
            if holder is None:
                mine = taken
            elif isinstance(holder, int):
                deferred[holder] = (*at, *taken)  # the same place: the heap stays a heap
            else:
                holder.args = taken
        return mine

    def _forget_note(self, uid: int, rv: int) -> None:
        """The delivery of version ``rv`` of pod ``uid`` is made: when it is the pod's latest event,
        none is on its way after it, and its watch note goes (else a million pods would each keep
        their last one to the end of the run: 150 MiB).
        """
        pods = self._api_pods
        live = pods[uid] if uid < len(pods) else None  # None once the pod is gone (or never an API server's)
        if live is not None and live.resource_version == rv:
            live.watch_note = None

    def _deliver(self, kind: str, pod: Pod, rv: int) -> None:
        self._forget_note(pod.uid, rv)
        c = self.controller
        if self._consistency is not None:
            self._consistency.read_at(PODS, rv)
        if kind == ADDED:
            c.pod_added(pod)
        elif kind == MODIFIED:
            c.pod_updated(pod)
        else:
            c.pod_deleted(pod.uid)


def should_ignore_node_update(old: Node, new: Node) -> bool:
    """Mirrors ``shouldIgnoreNodeUpdate``: only a change of labels or taints matters to the
    DaemonSet controller (kubernetes/kubernetes#121642, after the node-update storm of #121474).
    """
    return old.labels == new.labels and old.taints == new.taints
