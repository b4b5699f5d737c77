"""Operators acting on the cluster from outside the controller: the OnDelete deleter.

Under OnDelete the controller never deletes a healthy old pod; an operator, a script or a
node-rotation tool does (``rollsim.spec.deleters`` says which). The operator modelled is a
careful SRE with ``kubectl``: it deletes old pods only on nodes that should run the DaemonSet
(``NodeShouldRunDaemonPod``'s shouldRun, read off the nodes as they are when it looks), and a
batch waits until each of its nodes holds an available new pod, or no longer should run the
DaemonSet, or no longer exists: the nodes ``kubectl rollout status`` counts
(``updatedNumberScheduled`` and ``numberAvailable`` against ``desiredNumberScheduled``).

Before it deletes anything it waits for the controller to have observed the DaemonSet's
current generation (``status.observedGeneration >= metadata.generation``), as ``kubectl
rollout status`` does before it reads a count (kubectl's ``DaemonSetStatusViewer``): until
then the controller's informer may still hold the old template, and ``manage`` would recreate a
deleted pod from it, with the old revision's hash. A node of its batch that holds an
old-revision pod again and no new one (such a pod, recreated) is deleted again, not waited
beside.

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

from rollsim.cluster.apiserver import STATUS, TEMPLATE, ApiServer, DaemonSetObject
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

    def generation_observed(self) -> bool:
        """Whether the controller has observed the DaemonSet's current generation
        (``status.observedGeneration >= metadata.generation``).
        """

    def until_generation_observed(self) -> simpy.Event:
        """An event that fires once ``generation_observed``."""

    def node_settled(self, node: int) -> simpy.Event:
        """An event that fires with True once ``node`` is done: it holds an available pod of the
        current revision, or should no longer run the DaemonSet, or no longer exists; or with
        False once it holds a pod of an old revision again and none of the current one.
        """


def run_deleter(
    env: simpy.Environment, spec: DeleterSpec, cluster: OnDeleteCluster, rng: np.random.Generator
) -> Generator[simpy.Event, object, None]:
    """The deleter as a SimPy process; ends when no node that should run the DaemonSet holds an
    old pod. Each deletion waits for the controller to have observed the current generation
    (``OnDeleteCluster.generation_observed``), as ``kubectl rollout status`` waits for
    ``observedGeneration`` before it reads counts. ``batch:K`` waits for each batch's nodes to be
    done (``_wait_for_batch``); ``rate:S`` takes a node that holds an old pod again in its turn.
    """
    if spec.kind == "none":
        return
    while True:
        if not cluster.generation_observed():
            yield cluster.until_generation_observed()
        nodes = cluster.old_pod_nodes()
        if not nodes:
            return
        take = spec.count if spec.kind == "batch" else 1
        chosen = [nodes[i] for i in sorted(rng.choice(len(nodes), size=min(take, len(nodes)), replace=False))]
        for node in chosen:
            cluster.delete_old_pod(node)
        if spec.kind == "batch":
            yield from _wait_for_batch(env, cluster, chosen)
            if spec.pause:
                yield env.timeout(spec.pause)
        else:
            yield env.timeout(spec.interval)


def _wait_for_batch(
    env: simpy.Environment, cluster: OnDeleteCluster, batch: list[int]
) -> Generator[simpy.Event, object, None]:
    """Wait until every node of ``batch`` is done (``OnDeleteCluster.node_settled``). A node
    that holds an old-revision pod again and no new one (one recreated from a template the
    controller held before it saw the update) is deleted again, once the controller has observed
    the current generation, and waited for anew: a person running ``kubectl get pods`` sees an
    old pod on a node of the batch and deletes it.
    """
    waits = {node: cluster.node_settled(node) for node in batch}
    while waits:
        yield env.any_of(list(waits.values()))
        for node, wait in list(waits.items()):
            if not wait.triggered:
                continue
            if wait.value:
                del waits[node]
                continue
            if not cluster.generation_observed():
                yield cluster.until_generation_observed()
                waits[node] = cluster.node_settled(node)  # looked at again: it may be done, or gone
                continue
            cluster.delete_old_pod(node)
            waits[node] = cluster.node_settled(node)


class KubectlView:
    """``OnDeleteCluster`` over the API server, for one DaemonSet's pods: what an operator with
    ``kubectl`` sees and does (``kubectl get nodes``, ``kubectl get pods``, ``kubectl get ds``,
    ``kubectl delete pod``). It watches the DaemonSet's pods and the nodes to know when a node it
    waits for is done: its new pod available (Ready for minReadySeconds), or the node no longer
    desired or gone; or holds an old pod again. It watches the DaemonSet to know when the
    controller has observed its generation.
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
        self._observers: list[simpy.Event] = []  # waiting for the controller to observe the generation
        self._daemonset = api.daemonsets[name]
        api.watch_pods(self._changed, name)
        api.nodes.watch(self._node_changed)
        api.watch_daemonset(name, self._daemonset_changed)

    def _revision(self) -> int:
        return self._daemonset.revision

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

    def generation_observed(self) -> bool:
        """``status.observedGeneration >= metadata.generation`` (``kubectl get ds``): the
        controller has synced the DaemonSet as it is now, its template included.
        """
        ds = self._daemonset
        return ds.status.get("observed_generation", 0) >= ds.generation

    def until_generation_observed(self) -> simpy.Event:
        """An event that fires once the controller has observed the current generation (at once
        if it has).
        """
        event = self.env.event()
        if self.generation_observed():
            event.succeed()
        else:
            self._observers.append(event)
        return event

    def _daemonset_changed(self, kind: str, ds: DaemonSetObject) -> None:
        if kind == STATUS and self._observers and self.generation_observed():
            observers, self._observers = self._observers, []
            for event in observers:
                event.succeed()
        elif kind == TEMPLATE:  # which pods are old has changed with it
            for node in list(self._waiters):
                self._wake(node)

    def _has_available_new_pod(self, node: int) -> bool:
        rev, name, now, min_ready = self._revision(), self.name, self.env.now, self.min_ready
        return any(p.owner == name and p.revision == rev and not p.deleting
                   and is_pod_available(p, min_ready, now, inclusive=True)  # as the recorder; woken by AVAILABLE
                   for p in self.api.pods_by_node[node])

    def _done(self, node: int) -> bool:
        return self._has_available_new_pod(node) or not self.should_run(node)

    def _old_again(self, node: int) -> bool:
        """Whether ``node`` (not done) holds a non-terminating old-revision pod and no
        non-terminating pod of the current revision.
        """
        rev, name = self._revision(), self.name
        pods = [p for p in self.api.pods_on(node) if p.owner == name and not p.deleting]
        return any(p.revision != rev for p in pods) and not any(p.revision == rev for p in pods)

    def node_settled(self, node: int) -> simpy.Event:
        """An event that fires with True once ``node`` holds a new pod Ready for minReadySeconds,
        or should no longer run the DaemonSet (a NotReady node's NoSchedule taint, say), or is
        deleted; with False once it holds an old-revision pod again and no new one.
        """
        event = self.env.event()
        if self._done(node):
            event.succeed(True)
        elif self._old_again(node):
            event.succeed(False)
        else:
            self._waiters.setdefault(node, []).append(event)
        return event

    def awaited(self) -> list[int]:
        """The nodes a batch waits for that are not done yet, in id order."""
        return sorted(self._waiters)

    def _wake(self, node: int) -> None:
        if node not in self._waiters:
            return
        done = self._done(node)
        if done or self._old_again(node):
            for event in self._waiters.pop(node):
                event.succeed(done)

    def _changed(self, kind: str, pod: Pod) -> None:
        self._wake(pod.node)

    def _node_changed(self, kind: str, node: int) -> None:
        self._wake(node)
