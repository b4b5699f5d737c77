"""The way out of the NotReady deadlock: the ``out-of-service`` taint and PodGC's ``gcTerminating``.

Nothing in the control plane removes a pod stuck terminating on an unreachable node: its
kubelet cannot confirm the deletion, and PodGC's ``gcOrphaned`` acts only once the Node object
is gone. The documented way out (non-graceful node shutdown, GA in v1.28) is an operator, or
their automation, tainting the node ``node.kubernetes.io/out-of-service=nodeshutdown:NoExecute``
once it is known to be down. Then:

* DaemonSet pods do not tolerate the taint (``AddOrUpdateDaemonPodTolerations`` adds no such
  toleration), so ``NodeShouldRunDaemonPod`` gives (false, false): the node leaves ``desired``
  and ``manage`` deletes the pods on it that are not yet terminating;
* PodGC's ``gcTerminating`` (``pkg/controller/podgc/gc_controller.go``, every 20 s) force-deletes
  every terminating pod on a node that is not Ready and carries the taint
  (``markFailedAndDeletePod``, grace period 0).

The node then holds no pod and no budget. ``--out-of-service-after S`` taints each node S
seconds after it shows NotReady in the API (nodes NotReady before the rollout: S seconds into
the run). Off by default: no cluster does it by itself.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import replace

import simpy

from rollsim.cluster.apiserver import ApiServer
from rollsim.cluster.lifecycle import NodeLifecycle
from rollsim.spec.churn import PODGC_PERIOD_S
from rollsim.spec.node import NO_EXECUTE, Taint

__all__ = ["OutOfService", "OUT_OF_SERVICE_TAINT"]

OUT_OF_SERVICE_TAINT = Taint("node.kubernetes.io/out-of-service", "nodeshutdown", NO_EXECUTE)


class OutOfService:
    """The operator's ``out-of-service`` taint, ``after`` seconds after a node shows NotReady,
    and PodGC's ``gcTerminating`` pass every 20 s for the tainted nodes.
    """

    def __init__(self, env: simpy.Environment, api: ApiServer, after: float,
                 lifecycle: NodeLifecycle | None = None) -> None:
        self.env, self.api, self.after = env, api, after
        self.tainted: set[int] = set()
        self._gc_running = False
        for node_id in api.nodes.listing:
            if not api.nodes.nodes[node_id].ready:  # NotReady before the rollout
                self._later(after, node_id)
        if lifecycle is not None:
            lifecycle.on_condition_changed.append(lambda node_id: self._later(env.now + after, node_id))

    def _later(self, at: float, node_id: int) -> None:
        self.env.timeout(max(0.0, at - self.env.now)).callbacks.append(lambda _event: self.taint(node_id))

    def taint(self, node_id: int) -> None:
        """``kubectl taint node NAME node.kubernetes.io/out-of-service=nodeshutdown:NoExecute``."""
        nodes = self.api.nodes
        node = nodes.nodes[node_id]
        if not nodes.exists[node_id] or OUT_OF_SERVICE_TAINT in node.taints:
            return
        nodes.update(node_id, replace(node, taints=node.taints + (OUT_OF_SERVICE_TAINT,)))
        self.tainted.add(node_id)
        if not self._gc_running:
            self._gc_running = True
            self.env.process(self._gc_terminating())

    def _gc_terminating(self) -> Generator[simpy.Event, object, None]:
        """Every 20 s: force-delete the terminating pods on tainted nodes that are not Ready;
        a node is forgotten once it holds no pod (nothing new is created there: not desired).
        """
        env, api = self.env, self.api
        while self.tainted:
            yield env.timeout(PODGC_PERIOD_S - env.now % PODGC_PERIOD_S)
            for node_id in [i for i in api.nodes.listing if i in self.tainted]:  # in list order
                node = api.nodes.nodes[node_id]
                if api.nodes.exists[node_id] and not node.ready and OUT_OF_SERVICE_TAINT in node.taints:
                    for pod in [p for p in api.pods_by_node[node_id] if p.deleting]:
                        api.remove_pod(pod)
                if not api.pods_on(node_id) or not api.nodes.exists[node_id]:
                    self.tainted.discard(node_id)
        self._gc_running = False
