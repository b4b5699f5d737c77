"""The cluster's Node objects, one store read by everyone, with a watch stream.

The API server holds one copy of every Node. Each DaemonSet's controller (through its node
informer), the kubelets, the scheduler and the recorders read it, and learn of changes by
watching it, as in a real cluster: a node added (``ADDED``), its Ready condition or taints
changed (``MODIFIED``), the Node object deleted (``DELETED``). Node ids are indexes and are
never reused: a deleted node keeps its id with ``exists`` False, so pods still bound to it
(until PodGC removes them) point at something.

The store tells its watchers at once; a controller's node informer adds its own watch delay
(``rollsim.cluster.informer``, ``ControllerSettings.node_watch_delay``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

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

    __slots__ = ("nodes", "ready", "alive", "exists", "_watchers")

    def __init__(self, nodes: Sequence[Node]) -> None:
        self.nodes = list(nodes)
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

    def present(self) -> list[int]:
        """Ids of the nodes that still exist, in id order."""
        return [i for i, exists in enumerate(self.exists) if exists]

    def present_and_ready(self) -> list[int]:
        """Ids of the nodes that exist and whose kubelet is alive, in id order."""
        return [i for i, (exists, ready) in enumerate(zip(self.exists, self.ready)) if exists and ready]
