"""The API server's pods (the truth), and the controller's writes to it.

The kubelet and the controller change pods here; every change is reported to the
recorder at once (metrics are about what really happened on the nodes) and to the
controller's informer (which may deliver it later).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import simpy

from rollsim.spec.node import Node
from rollsim.cluster.informer import ADDED, DELETED, MODIFIED
from rollsim.controller.pods import RUNNING, Pod
from rollsim.controller.flowcontrol import TokenBucket

if TYPE_CHECKING:
    from rollsim.cluster.informer import Informer
    from rollsim.cluster.kubelet import Kubelet
    from rollsim.observe.recorder import Recorder

__all__ = ["ApiServer", "ApiPodControl"]


class ApiServer:
    """The pods as etcd holds them. ``revision`` is the DaemonSet's current template revision."""

    def __init__(self, env: simpy.Environment, nodes: Sequence[Node], recorder: Recorder) -> None:
        self.env = env
        self.recorder = recorder
        self.pods: dict[int, Pod] = {}
        self.nodes = list(nodes)  # by id (the scheduler reads their allocatable)
        self.node_ready = [n.ready for n in nodes]  # a NotReady or removed node's kubelet does nothing
        self.pods_by_node: list[list[Pod]] = [[] for _ in self.nodes]
        self.revision = 0
        self.kubelet: Kubelet | None = None
        self.informer: Informer | None = None
        self._uid = 0

    def _changed(self, kind: str, pod: Pod) -> None:
        self.recorder.node_changed(pod.node, self.pods_by_node[pod.node])
        if self.informer is not None:
            self.informer.notify(kind, pod)

    def add_node(self, node: Node) -> None:
        """A node joins the cluster (its id is the next one)."""
        self.nodes.append(node)
        self.node_ready.append(node.ready)
        self.pods_by_node.append([])

    def seed_pod(self, node: int, revision: int, since: float, ready: bool = True) -> Pod:
        """A running pod that existed before the simulation starts (not Ready on a NotReady
        node: the node lifecycle controller marks its pods so)."""
        self._uid += 1
        pod = Pod(self._uid, node, revision, since, scheduled=True, phase=RUNNING, ready=ready, ready_since=since)
        self.pods[pod.uid] = pod
        self.pods_by_node[node].append(pod)
        return pod

    def create_pod(self, node: int, revision: int) -> Pod:
        self._uid += 1
        pod = Pod(self._uid, node, revision, self.env.now)
        self.pods[pod.uid] = pod
        self.pods_by_node[node].append(pod)
        self.recorder.pod_created(pod, self.revision)
        self._changed(ADDED, pod)
        self.kubelet.run_pod(pod)
        return pod

    def delete_pod(self, uid: int) -> bool:
        """A graceful delete: the pod gets its deletionTimestamp and stops being Ready at once."""
        pod = self.pods.get(uid)
        if pod is None or pod.deleting:
            return False  # NotFound, or already terminating
        pod.deleting, pod.ready = True, False
        self.recorder.pod_deleting(pod, self.revision)
        self._changed(MODIFIED, pod)
        self.kubelet.stop_pod(pod)
        return True

    def remove_pod(self, pod: Pod) -> None:
        """The kubelet has confirmed termination: the object is gone."""
        if self.pods.pop(pod.uid, None) is None:
            return
        self.pods_by_node[pod.node].remove(pod)
        self._changed(DELETED, pod)

    def pod_status_changed(self, pod: Pod) -> None:
        """The kubelet (or the scheduler's binding) updated the pod."""
        self._changed(MODIFIED, pod)

    def pod_became_available(self, pod: Pod) -> None:
        """minReadySeconds have passed: nothing changes in the API, only availability."""
        self.recorder.node_changed(pod.node, self.pods_by_node[pod.node])


class ApiPodControl:
    """The controller's writes, through the client's token bucket, each taking ``latency()``.

    With no bucket and no latency (``ideal``) a write lands before the call returns.
    """

    def __init__(
        self,
        env: simpy.Environment,
        api: ApiServer,
        bucket: TokenBucket | None,
        latency: Callable[[], float] | None,
        on_status: Callable[[float, dict[str, int]], None],
    ) -> None:
        self.env = env
        self.api = api
        self.bucket = bucket
        self.latency = latency
        self.on_status = on_status
        self.writes = 0

    def _at(self, action: Callable[[], object]) -> float:
        self.writes += 1
        now = self.env.now
        if self.bucket is None:
            action()
            return now
        done = self.bucket.reserve(now) + (self.latency() if self.latency else 0.0)
        self.env.timeout(done - now).callbacks.append(lambda _e: action())
        return done

    def create(self, node: int, revision: int) -> float | None:
        return self._at(lambda: self.api.create_pod(node, revision))

    def delete(self, pod: Pod) -> float | None:
        return self._at(lambda: self.api.delete_pod(pod.uid))

    def write_status(self, status: dict[str, int]) -> float:
        return self._at(lambda: self.on_status(self.env.now, status))
