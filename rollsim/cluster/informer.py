"""A DaemonSet controller's informers: API changes reach the controller's cache after a watch delay.

The pod and DaemonSet informers deliver each watch event after ``delay()`` seconds; the node
informer delivers at once (its delay is not modelled).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import simpy

from rollsim.cluster.apiserver import ADDED, AVAILABLE, DELETED, MODIFIED, TEMPLATE, ApiServer, DaemonSetObject
from rollsim.cluster.nodestore import NODE_ADDED, NODE_DELETED, NodeStore
from rollsim.controller.daemon import DaemonSetController
from rollsim.controller.pods import Pod

__all__ = ["Informer", "ADDED", "MODIFIED", "DELETED"]


class Informer:
    """Delivers watch events to the controller's handlers, each after ``delay()`` seconds.

    Events of one object keep their order, as a watch stream guarantees: each object has
    a FIFO of pending events, no event is due before the one ahead of it, and every timer
    that fires delivers the oldest pending event of its object (so float rounding of the
    timers can never swap two events). ``delay=None`` delivers at once.
    """

    __slots__ = ("env", "controller", "delay", "_pending")

    def __init__(
        self, env: simpy.Environment, controller: DaemonSetController, delay: Callable[[], float] | None
    ) -> None:
        self.env = env
        self.controller = controller
        self.delay = delay
        self._pending: dict[int, deque[tuple[float, str, Pod]]] = {}

    def watch(self, api: ApiServer, owner: str) -> None:
        """Subscribe to ``owner``'s pods and DaemonSet, and to the nodes."""
        api.watch_pods(self.notify, owner)
        api.watch_daemonset(owner, self.daemonset_changed)
        nodes = api.nodes
        nodes.watch(lambda kind, node_id: self.node_changed(nodes, kind, node_id))

    def daemonset_changed(self, kind: str, ds: DaemonSetObject) -> None:
        """A new template revision reaches the controller after a watch delay (``updateDaemonset``)."""
        if kind != TEMPLATE:
            return
        revision = ds.revision
        if self.delay is None:
            self.controller.change_template(revision=revision)
        else:
            self.env.timeout(self.delay()).callbacks.append(
                lambda _e: self.controller.change_template(revision=revision))

    def node_changed(self, nodes: NodeStore, kind: str, node_id: int) -> None:
        """``addNode``, ``updateNode``; a deleted node leaves the node list."""
        c = self.controller
        if kind == NODE_ADDED:
            c.add_node_slot(nodes.nodes[node_id])
        elif kind == NODE_DELETED:
            c.remove_node(node_id)
        else:
            c.update_node(node_id, nodes.nodes[node_id])

    def notify(self, kind: str, pod: Pod) -> None:
        """The pod informer's handler: deliver a snapshot to ``addPod``/``updatePod``/``deletePod`` after the delay."""
        if kind == AVAILABLE:
            return  # not an API change: informers never see it
        snapshot = pod.copy()
        if self.delay is None:
            self._deliver(kind, snapshot)
            return
        now = self.env.now
        queue = self._pending.setdefault(pod.uid, deque())
        due = now + self.delay()
        if queue:
            due = max(due, queue[-1][0])
        queue.append((due, kind, snapshot))
        self.env.timeout(due - now).callbacks.append(lambda _e: self._next(snapshot.uid))

    def _next(self, uid: int) -> None:
        queue = self._pending[uid]
        _due, kind, snapshot = queue.popleft()
        if not queue:
            del self._pending[uid]
        self._deliver(kind, snapshot)

    def _deliver(self, kind: str, pod: Pod) -> None:
        c = self.controller
        if kind == ADDED:
            c.pod_added(pod)
        elif kind == MODIFIED:
            c.pod_updated(pod)
        else:
            c.pod_deleted(pod.uid)
