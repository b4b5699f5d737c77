"""Operators acting on the cluster from outside the controller: the OnDelete deleter.

Under OnDelete the controller never deletes a healthy old pod; an operator, a script or a
node-rotation tool does (``rollsim.spec.deleters`` says which). The operator modelled is a
careful SRE with ``kubectl``: it deletes old pods only on nodes that should run the DaemonSet
(``NodeShouldRunDaemonPod``'s shouldRun, read off the nodes as they are when it looks), and a
batch waits until each of its nodes holds an available new pod, or no longer should run the
DaemonSet, or no longer exists: the nodes ``kubectl rollout status`` counts
(``updatedNumberScheduled`` and ``numberAvailable`` against ``desiredNumberScheduled``).

An old pod on a node that should no longer run the DaemonSet (a NotReady node's
``node.kubernetes.io/not-ready:NoSchedule`` or ``unreachable:NoSchedule`` taint, which daemon
pods do not tolerate by default) is left alone: the controller keeps it
(shouldContinueRunning) and would create no new pod there, so deleting it would only take the
agent off the node.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Protocol

import numpy as np
import simpy

from rollsim.cluster.apiserver import ApiServer
from rollsim.controller.pods import Pod, is_pod_available
from rollsim.spec.deleters import DeleterSpec

__all__ = ["OnDeleteCluster", "run_deleter", "KubectlView"]


class OnDeleteCluster(Protocol):
    """What a deleter sees and does: the API server's nodes and pods, as ``kubectl`` would."""

    def old_pod_nodes(self) -> list[int]:
        """Nodes that should run the DaemonSet and still hold a non-terminating pod of an old
        revision, in node list order.
        """

    def delete_old_pod(self, node: int) -> None:
        """``kubectl delete pod``: the old pod on ``node`` starts terminating."""

    def node_done(self, node: int) -> simpy.Event:
        """An event that fires once ``node`` holds an available pod of the current revision, or
        should no longer run the DaemonSet, or no longer exists.
        """


def run_deleter(
    env: simpy.Environment, spec: DeleterSpec, cluster: OnDeleteCluster, rng: np.random.Generator
) -> Generator[simpy.Event, object, None]:
    """The deleter as a SimPy process; ends when no node that should run the DaemonSet holds an
    old pod. ``batch:K`` waits for each batch's nodes to be done (``OnDeleteCluster.node_done``).
    """
    if spec.kind == "none":
        return
    while True:
        nodes = cluster.old_pod_nodes()
        if not nodes:
            return
        take = spec.count if spec.kind == "batch" else 1
        chosen = [nodes[i] for i in sorted(rng.choice(len(nodes), size=min(take, len(nodes)), replace=False))]
        for node in chosen:
            cluster.delete_old_pod(node)
        if spec.kind == "batch":
            yield env.all_of([cluster.node_done(n) for n in chosen])
            if spec.pause:
                yield env.timeout(spec.pause)
        else:
            yield env.timeout(spec.interval)


class KubectlView:
    """``OnDeleteCluster`` over the API server, for one DaemonSet's pods: what an operator with
    ``kubectl`` sees and does (``kubectl get nodes``, ``kubectl get pods``, ``kubectl delete
    pod``). It watches the DaemonSet's pods and the nodes to know when a node it waits for is
    done: its new pod available (Ready for minReadySeconds), or the node no longer desired or gone.
    """

    def __init__(self, env: simpy.Environment, api: ApiServer, name: str, desired: Sequence[bool],
                 min_ready_seconds: float) -> None:
        """``desired``: whether the DaemonSet should run on each node, kept current as nodes change
        (the recorder's ``Recorder.desired``, which watches the nodes before this view does).
        """
        self.env, self.api, self.name = env, api, name
        self.desired = desired
        self.min_ready = min_ready_seconds
        self._waiters: dict[int, list[simpy.Event]] = {}
        api.watch_pods(self._changed, name)
        api.nodes.watch(self._node_changed)

    def _revision(self) -> int:
        return self.api.daemonsets[self.name].revision

    def _old_pods(self, node: int) -> list[Pod]:
        rev, name = self._revision(), self.name
        return [p for p in self.api.pods_on(node) if p.owner == name and p.revision != rev and not p.deleting]

    def should_run(self, node: int) -> bool:
        """Whether the DaemonSet should run on ``node`` now: the Node exists and
        ``NodeShouldRunDaemonPod``'s shouldRun (the controller's rule, on the node as it is now).
        """
        return self.desired[node]

    def old_pod_nodes(self) -> list[int]:
        """Nodes that should run the DaemonSet and still hold a non-terminating pod of an old
        revision, as ``kubectl get nodes`` and ``kubectl get pods`` show them, in list order.
        """
        return [node for node in self.api.nodes.listing if self._old_pods(node) and self.should_run(node)]

    def delete_old_pod(self, node: int) -> None:
        """``kubectl delete pod`` on each old pod of ``node``."""
        for pod in self._old_pods(node):
            self.api.delete_pod(pod.uid)

    def _has_available_new_pod(self, node: int) -> bool:
        rev, name, now, min_ready = self._revision(), self.name, self.env.now, self.min_ready
        return any(p.owner == name and p.revision == rev and not p.deleting
                   and is_pod_available(p, min_ready, now, inclusive=True)  # as the recorder; woken by AVAILABLE
                   for p in self.api.pods_by_node[node])

    def _done(self, node: int) -> bool:
        return self._has_available_new_pod(node) or not self.should_run(node)

    def node_done(self, node: int) -> simpy.Event:
        """An event that fires once ``node`` holds a new pod Ready for minReadySeconds, or should
        no longer run the DaemonSet (a NotReady node's NoSchedule taint, say), or is deleted.
        """
        event = self.env.event()
        if self._done(node):
            event.succeed()
        else:
            self._waiters.setdefault(node, []).append(event)
        return event

    def awaited(self) -> list[int]:
        """The nodes a batch waits for that are not done yet, in id order."""
        return sorted(self._waiters)

    def _wake(self, node: int) -> None:
        if node in self._waiters and self._done(node):
            for event in self._waiters.pop(node):
                event.succeed()

    def _changed(self, kind: str, pod: Pod) -> None:
        self._wake(pod.node)

    def _node_changed(self, kind: str, node: int) -> None:
        self._wake(node)
