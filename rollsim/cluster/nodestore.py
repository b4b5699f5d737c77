"""The cluster's Node objects, one store read by everyone, with a watch stream.

The API server holds one copy of every Node. Each DaemonSet's controller (through its node
informer), the kubelets, the scheduler and the recorders read it, and learn of changes by
watching it, as in a real cluster: a node added (``ADDED``), its Ready condition or taints
changed (``MODIFIED``), the Node object deleted (``DELETED``). Node ids are indexes and are
never reused: a deleted node keeps its id with ``exists`` False, so pods still bound to it
(until PodGC removes them) point at something.

The ids need not follow the scenario's list of nodes: the simulation numbers the nodes in the
controllers' map order (``rollsim.world.in_map_order``), so that the nodes a rollout takes one
after the other sit side by side in every per-node list and array (a million nodes do not fit
in a processor's cache: taken in random order, every node costs a cache miss per list). What
reads the nodes as a list, as a person or the API's list calls see it (the nodes frame, a
random node picked by the churn, kubectl's choice of pods), goes through ``listing``, the ids
in the scenario's order, and the nodes that joined after them in joining order.

The store tells its watchers at once; a controller's node informer adds its own watch delay
(``rollsim.cluster.informer``, ``ControllerSettings.node_watch_delay``).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence

import numpy as np

from rollsim.spec.node import Node, kubelet_alive

__all__ = ["NodeStore", "NodeWatcher", "NODE_ADDED", "NODE_MODIFIED", "NODE_DELETED"]

NODE_ADDED, NODE_MODIFIED, NODE_DELETED = "ADDED", "MODIFIED", "DELETED"

NodeWatcher = Callable[[str, int], None]


class NodeStore:
    """``nodes[i]`` is node ``i`` as the API server holds it; ``ready`` is whether its kubelet
    starts pods (not on a NotReady, unreachable or deleted node, nor on one whose kubelet has
    stopped but which the node lifecycle controller still shows Ready); ``alive`` is whether its
    kubelet still confirms deletions (``kubelet_alive``: not on an unreachable or deleted node);
    ``exists`` is False once the Node object is deleted.
    """

    __slots__ = ("nodes", "ready", "alive", "exists", "listing", "_watchers")

    def __init__(self, nodes: Sequence[Node], listing: Sequence[int] | None = None) -> None:
        """``listing``: the ids in the order the scenario lists the nodes (default: id order),
        kept as a C array (8 bytes a node, where a list of ints takes 36).
        """
        self.nodes = list(nodes)
        self.listing = array("q", range(len(self.nodes)) if listing is None else listing)
        if len(self.listing) != len(self.nodes):
            raise ValueError("listing must hold every node id once")
        self.ready = [n.ready for n in self.nodes]
        self.alive = [kubelet_alive(n) for n in self.nodes]
        self.exists = [True] * len(self.nodes)
        self._watchers: list[NodeWatcher] = []

    def __len__(self) -> int:
        return len(self.nodes)

    def watch(self, watcher: NodeWatcher) -> None:
        """Call ``watcher(kind, node_id)`` after every change, in subscription order."""
        self._watchers.append(watcher)

    def _publish(self, kind: str, node_id: int) -> None:
        for watcher in self._watchers:
            watcher(kind, node_id)

    def add(self, node: Node) -> int:
        """A node joins the cluster; returns its id."""
        self.nodes.append(node)
        self.ready.append(node.ready)
        self.alive.append(kubelet_alive(node))
        self.exists.append(True)
        node_id = len(self.nodes) - 1
        self.listing.append(node_id)
        self._publish(NODE_ADDED, node_id)
        return node_id

    def update(self, node_id: int, node: Node) -> None:
        """The node's status or spec changed (Ready condition, taints, labels)."""
        self.nodes[node_id] = node
        self.ready[node_id] = node.ready
        self.alive[node_id] = kubelet_alive(node)
        self._publish(NODE_MODIFIED, node_id)

    def kubelet_stopped(self, node_id: int, confirms_deletions: bool) -> None:
        """The node's kubelet stops starting pods (and, unless ``confirms_deletions``, stops
        altogether) before the API shows it: nothing is published, as the Node object has not
        changed (``rollsim.cluster.lifecycle`` posts the condition later).
        """
        self.ready[node_id] = False
        self.alive[node_id] = self.alive[node_id] and confirms_deletions

    def delete(self, node_id: int) -> None:
        """The Node object is deleted (the machine is gone, and its kubelet with it)."""
        self.ready[node_id] = self.alive[node_id] = False
        self.exists[node_id] = False
        self._publish(NODE_DELETED, node_id)

    def positions(self) -> np.ndarray:
        """Each id's place in ``listing`` (its inverse)."""
        listing = np.frombuffer(self.listing, dtype=np.int64)
        places = np.empty(len(listing), dtype=np.intp)
        places[listing] = np.arange(len(listing))
        return places

    def present(self) -> list[int]:
        """Ids of the nodes that still exist, in list order."""
        exists = self.exists
        return [i for i in self.listing if exists[i]]

    def present_and_ready(self) -> list[int]:
        """Ids of the nodes that exist and whose kubelet is alive, in list order."""
        exists, ready = self.exists, self.ready
        return [i for i in self.listing if exists[i] and ready[i]]
