"""Operators acting on the cluster from outside the controller: the OnDelete deleter.

Under OnDelete the controller never deletes a healthy old pod; an operator, a script or a
node-rotation tool does (``rollsim.spec.deleters`` says which).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Protocol

import numpy as np
import simpy

from rollsim.cluster.apiserver import ApiServer
from rollsim.controller.pods import Pod, is_pod_available
from rollsim.spec.deleters import DeleterSpec

__all__ = ["OnDeleteCluster", "run_deleter", "KubectlView"]


class OnDeleteCluster(Protocol):
    """What a deleter sees and does: the API server's pods, as ``kubectl`` would."""

    def old_pod_nodes(self) -> list[int]:
        """Nodes that still hold a non-terminating pod of an old revision, in node order."""

    def delete_old_pod(self, node: int) -> None:
        """``kubectl delete pod``: the old pod on ``node`` starts terminating."""

    def new_pod_available(self, node: int) -> simpy.Event:
        """An event that fires once ``node`` holds an available pod of the current revision."""


def run_deleter(
    env: simpy.Environment, spec: DeleterSpec, cluster: OnDeleteCluster, rng: np.random.Generator
) -> Generator[simpy.Event, object, None]:
    """The deleter as a SimPy process; ends when no old pod is left."""
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
            yield env.all_of([cluster.new_pod_available(n) for n in chosen])
            if spec.pause:
                yield env.timeout(spec.pause)
        else:
            yield env.timeout(spec.interval)


class KubectlView:
    """``OnDeleteCluster`` over the API server, for one DaemonSet's pods: what an operator with
    ``kubectl`` sees and does. It watches the DaemonSet's pods to know when a node's new pod
    is available (Ready for minReadySeconds).
    """

    def __init__(self, env: simpy.Environment, api: ApiServer, name: str, min_ready_seconds: float) -> None:
        self.env, self.api, self.name = env, api, name
        self.min_ready = min_ready_seconds
        self._waiters: dict[int, list[simpy.Event]] = {}
        api.watch_pods(self._changed, name)

    def _revision(self) -> int:
        return self.api.daemonsets[self.name].revision

    def _old_pods(self, node: int) -> list[Pod]:
        rev, name = self._revision(), self.name
        return [p for p in self.api.pods_by_node[node] if p.owner == name and p.revision != rev and not p.deleting]

    def old_pod_nodes(self) -> list[int]:
        """Nodes that still hold a non-terminating pod of an old revision, as ``kubectl get pods`` shows."""
        return [node for node in self.api.nodes.listing if self._old_pods(node)]  # in list order

    def delete_old_pod(self, node: int) -> None:
        """``kubectl delete pod`` on each old pod of ``node``."""
        for pod in self._old_pods(node):
            self.api.delete_pod(pod.uid)

    def _has_available_new_pod(self, node: int) -> bool:
        rev, name, now, min_ready = self._revision(), self.name, self.env.now, self.min_ready
        return any(p.owner == name and p.revision == rev and not p.deleting
                   and is_pod_available(p, min_ready, now, inclusive=True)  # as the recorder; woken by AVAILABLE
                   for p in self.api.pods_by_node[node])

    def new_pod_available(self, node: int) -> simpy.Event:
        """An event that fires once ``node`` holds a new pod Ready for minReadySeconds."""
        event = self.env.event()
        if self._has_available_new_pod(node):
            event.succeed()
        else:
            self._waiters.setdefault(node, []).append(event)
        return event

    def _changed(self, kind: str, pod: Pod) -> None:
        node = pod.node
        if node in self._waiters and self._has_available_new_pod(node):
            for event in self._waiters.pop(node):
                event.succeed()
