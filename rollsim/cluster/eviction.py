"""The kubelet's eviction manager under disk pressure (``--disk-pressure-nodes``).

Mirrors ``pkg/kubelet/eviction/eviction_manager.go``: when a node's ``nodefs`` eviction
threshold is met and reclaiming images and dead containers does not relieve it, the manager
evicts pods (``synchronize``: phase Failed, reason ``Evicted``, containers killed at once for a
hard threshold) and, while the node has the DiskPressure condition, its admit handler
(``Admit``, the kubelet's first) rejects every new pod that is not critical: phase Failed,
reason ``Evicted``, "The node had condition: [DiskPressure]". Critical pods (``IsCriticalPod``:
priority at least ``SystemCriticalPriority``, 2000000000: ``system-node-critical``,
``system-cluster-critical``) are neither evicted (``evictPod`` refuses them) nor rejected.
The condition stays ``evictionPressureTransitionPeriod`` (5 minutes by default) after the
pressure was last observed (``nodeConditionsObservedSince``).

The DaemonSet controller deletes a Failed pod after its per-node back-off (``failedPodsBackoff``,
1 s doubling to 15 min) and creates another, which the kubelet rejects again while the
condition holds (kubernetes/kubernetes#95457, #124388): the node has no available pod, so it
holds a maxUnavailable slot (or, with surge, the new pod holds a maxSurge slot) until the
pressure is gone and the back-off has passed.

Departures, stated in the README: the moment a node comes under pressure is the moment its
eviction manager acts (no 10 s housekeeping tick), and the manager evicts every DaemonSet's
pods there that are not critical (the study's own is the one the field reports saw evicted),
all at once: upstream ranks every pod on the node by its use of the disk and priority and
evicts one per tick until the pressure is relieved, so a DaemonSet's pod may outlive it. The
Node's DiskPressure condition and its ``node.kubernetes.io/disk-pressure:NoSchedule`` taint are
not written to the Node object: every DaemonSet pod tolerates that taint
(``AddOrUpdateDaemonPodTolerations``), so no controller decision reads them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

import simpy

from rollsim.cluster.apiserver import ApiServer
from rollsim.controller.pods import FAILED, Pod
from rollsim.spec.node import Node
from rollsim.spec.priority import is_critical

__all__ = ["EvictionManager"]


class EvictionManager:
    """Every node's eviction manager: which nodes have the DiskPressure condition (``pressured``; every
    one that had it in the run: ``ever``),
    the pods it evicted or rejected there (``failed``: their uids, which the end of the run reads),
    counted by DaemonSet key (``evicted``, ``rejected``). ``priority_of`` gives a DaemonSet's pod
    priority by its key.
    """

    def __init__(self, env: simpy.Environment, api: ApiServer, priority_of: Callable[[str], int | None],
                 transition_period_s: float, pressure_for_s: float | None = None) -> None:
        """``pressure_for_s``: how long each node's pressure lasts (None: to the end of the run)."""
        self.env, self.api, self.priority_of = env, api, priority_of
        self.transition_period_s, self.pressure_for_s = transition_period_s, pressure_for_s
        self.pressured: set[int] = set()
        self.ever: set[int] = set()  # every node that has been under pressure in the run
        self.failed: set[int] = set()
        self.evicted: Counter[str] = Counter()
        self.rejected: Counter[str] = Counter()

    def listed_under_pressure(self, nodes: Sequence[Node]) -> None:
        """The nodes listed with the DiskPressure condition (``Node.disk_pressure``), or PIDPressure,
        under which ``Admit`` rejects pods alike, have it from the start, their pods as listed
        (running: a node list does not say which were evicted).
        """
        listed = [node for node, n in enumerate(nodes) if n.rejects_pods]
        self.pressured.update(listed)
        self.ever.update(listed)
        if listed:
            self._ends(listed)

    def pressure_began(self, node: int) -> None:
        """``node``'s ``nodefs`` threshold is met: the DiskPressure condition, and ``synchronize``
        evicts every DaemonSet's active pods there that are not critical (none being deleted).
        """
        self.pressured.add(node)
        self.ever.add(node)
        for pod in list(self.api.pods_by_node[node]):
            if pod.scheduled and not pod.terminal and not pod.deleting and not is_critical(self.priority_of(pod.owner)):
                self._fail(pod)
                self.evicted[pod.owner] += 1
        self._ends([node])

    def _ends(self, nodes: list[int]) -> None:
        """The pressure on ``nodes`` goes ``pressure_for_s`` from now (never, with None); each one's
        condition stays ``transition_period_s`` longer (``nodeConditionsObservedSince``).
        """
        if self.pressure_for_s is not None:
            self.env.timeout(self.pressure_for_s).callbacks.append(lambda _e: self._ended(nodes))

    def _ended(self, nodes: list[int]) -> None:
        for node in nodes:
            if self.transition_period_s > 0:
                self.env.timeout(self.transition_period_s).callbacks.append(self._cleared(node))
            else:
                self.pressured.discard(node)

    def _cleared(self, node: int) -> Callable[[simpy.Event], None]:
        """The callback that ends ``node``'s DiskPressure condition."""
        return lambda _e: self.pressured.discard(node)

    def would_reject(self, node: int, owner: str) -> bool:
        """Whether ``node``'s kubelet rejects ``owner``'s pods now: DiskPressure, and they are not critical."""
        return node in self.pressured and not is_critical(self.priority_of(owner))

    def rejects(self, pod: Pod) -> bool:
        """``Admit``: whether the kubelet rejects ``pod`` (just bound) for its node's DiskPressure;
        if so it is failed here (phase Failed, reason Evicted) and counted.
        """
        if not self.would_reject(pod.node, pod.owner):
            return False
        self._fail(pod)
        self.rejected[pod.owner] += 1
        return True

    def _fail(self, pod: Pod) -> None:
        """Phase Failed, reason Evicted: the containers killed at once (a hard threshold's grace period, 0)."""
        pod.phase, pod.ready = FAILED, False
        self.failed.add(pod.uid)
        self.api.pod_status_changed(pod)
