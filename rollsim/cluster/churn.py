"""Nodes joining and leaving during a run, and the pod garbage collector, as SimPy processes.

The rules are in ``rollsim.spec.churn``; this module applies them to the simulated cluster:
the API server's pods, the kubelet, the recorder and the controller (which sees node
changes at once: the node informer's delay is not modelled).
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import simpy

from rollsim.spec.churn import PODGC_PERIOD_S, PODGC_QUARANTINE_S, NodeChange, change_times
from rollsim.spec.node import Node, not_ready_node

if TYPE_CHECKING:
    from rollsim.cluster.apiserver import ApiServer
    from rollsim.controller.daemon import DaemonSetController
    from rollsim.observe.recorder import Recorder

__all__ = ["Cluster", "run_node_changes"]


@dataclass
class Cluster:
    """The parts of a run that a node change touches (node ids index all of them)."""

    env: simpy.Environment
    api: ApiServer
    recorder: Recorder
    controller: DaemonSetController
    rank: list[float]
    rng: np.random.Generator

    def add_node(self, node: Node) -> None:
        self.api.add_node(node)
        self.recorder.add_node(node.name)
        self.api.kubelet.add_node(self.rng)
        self.rank.append(float(self.rng.random()))
        node_id = self.controller.add_node_slot(node)
        self.recorder.set_desired(node_id, self.controller.should_run[node_id], self.api.pods_by_node[node_id])

    def remove_random_node(self) -> int | None:
        present = [i for i, exists in enumerate(self.controller.exists) if exists]
        if not present:
            return None
        node = present[int(self.rng.integers(len(present)))]
        self.api.node_ready[node] = False  # its kubelet is gone with it
        self.controller.remove_node(node)
        self.recorder.set_desired(node, False, self.api.pods_by_node[node])
        return node


    def fail_random_node(self) -> int | None:
        """A Ready node goes NotReady (see ``rollsim.spec.churn``)."""
        ready = [i for i, exists in enumerate(self.controller.exists) if exists and self.api.node_ready[i]]
        if not ready:
            return None
        node = ready[int(self.rng.integers(len(ready)))]
        api = self.api
        api.node_ready[node] = False
        api.nodes[node] = not_ready_node(api.nodes[node])
        self.controller.update_node(node, api.nodes[node])
        for pod in api.pods_by_node[node]:
            if pod.ready:  # MarkPodsNotReady
                pod.ready = False
                api.pod_status_changed(pod)
        self.recorder.set_desired(node, self.controller.should_run[node], api.pods_by_node[node])
        return node


def run_node_changes(cluster: Cluster, changes: tuple[NodeChange, ...]) -> Generator[simpy.Event, object, None]:
    """Apply every add and remove at its time, then collect the removed nodes' pods."""
    env = cluster.env
    plan = sorted((t, change.kind) for change in changes for t in change_times(change))
    removed: dict[int, float] = {}
    added = 0
    for at, kind in plan:
        if at > env.now:
            yield env.timeout(at - env.now)
        if kind == "add":
            added += 1
            cluster.add_node(Node(f"added-{added:05d}"))
        elif kind == "not-ready":
            cluster.fail_random_node()
        else:
            node = cluster.remove_random_node()
            if node is not None:
                removed[node] = env.now
    if removed:
        yield from _pod_gc(cluster, removed)


def _pod_gc(cluster: Cluster, removed: dict[int, float]) -> Generator[simpy.Event, object, None]:
    """Mirrors PodGC's ``gcOrphaned``: every 20 s, force-delete the pods bound to a node that
    has been gone for the 40 s quarantine."""
    env, api = cluster.env, cluster.api
    while removed:
        yield env.timeout(PODGC_PERIOD_S - env.now % PODGC_PERIOD_S)
        for node, gone_at in list(removed.items()):
            if env.now - gone_at >= PODGC_QUARANTINE_S:
                for pod in list(api.pods_by_node[node]):
                    api.remove_pod(pod)
                del removed[node]
