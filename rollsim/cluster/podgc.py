"""PodGC's ``gcTerminated``: terminated pods beyond ``--terminated-pod-gc-threshold`` are deleted.

Mirrors ``gcTerminated`` in ``pkg/controller/podgc/gc_controller.go``. Every ``gcCheckPeriod``
(20 s) PodGC lists every pod. When more are terminated (phase Failed or Succeeded) than the
threshold, it deletes the excess:
* evicted pods first (``byEvictionAndCreationTimestamp``: phase Failed, reason Evicted);
* then the oldest by creationTimestamp, names breaking ties.
The threshold is the kube-controller-manager's ``--terminated-pod-gc-threshold``, 12,500 by
default; 0 turns it off (``gc`` runs ``gcTerminated`` only above 0). Each pod is deleted with
grace period 0, so it is gone at once (``markFailedAndDeletePod``).

A DaemonSet's pods turn Failed when a kubelet rejects or evicts them. With maxSurge under disk
pressure the controller creates a pod each time one fails (kubernetes/kubernetes#124388), and
the failed pods pile up beyond the threshold: PodGC then caps them.

How rollsim runs it, with the same result as a pass every 20 s:
* A pass that finds the count at or under the threshold does nothing. So no pass is scheduled
  until a pod's failure takes the count over it; the next pass on the 20 s grid then deletes the
  excess (``PODGC_PERIOD_S``, the grid ``rollsim.cluster.churn``'s ``gcOrphaned`` passes use).
* The deletes land at the pass, with no API latency or client rate limit, as the orphaned pods' do.
* Ties by name are broken by uid (creation order).
Departure, stated in the README: only the simulated DaemonSets' pods exist here. A real
cluster's other terminated pods (Jobs' Succeeded pods above all) count towards the threshold
too, so there PodGC starts sooner.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable

import simpy

from rollsim.cluster.apiserver import ApiServer
from rollsim.controller.pods import Pod
from rollsim.spec.churn import PODGC_PERIOD_S

__all__ = ["TerminatedPodGC", "gc_order"]


def gc_order(pod: Pod, evicted: Callable[[int], bool]) -> tuple[bool, float, int]:
    """``byEvictionAndCreationTimestamp``'s key: evicted pods first, then the oldest, then by name (uid)."""
    return not evicted(pod.uid), pod.created_at, pod.uid


class TerminatedPodGC:
    """PodGC's ``gcTerminated`` pass, scheduled only when the terminated pods outnumber ``threshold``
    (above 0: with 0 there is no such pass, and the world makes none); ``deleted`` counts the pods it
    deleted, by DaemonSet key.
    """

    def __init__(self, env: simpy.Environment, api: ApiServer, threshold: int,
                 evicted: Callable[[int], bool]) -> None:
        """``evicted(uid)``: whether the pod's status says Evicted (the kubelet's eviction manager failed it)."""
        self.env, self.api, self.threshold, self.evicted = env, api, threshold, evicted
        self.deleted: Counter[str] = Counter()
        self._pass_due = False
        api.on_terminated = self._terminated

    def _terminated(self, count: int) -> None:
        """A pod turned Failed; ``count`` pods are terminated now: over the threshold, the next pass acts."""
        if count > self.threshold and not self._pass_due:
            self._pass_due = True
            now = self.env.now
            self.env.timeout(PODGC_PERIOD_S - now % PODGC_PERIOD_S).callbacks.append(self._pass)

    def _pass(self, _event: simpy.Event) -> None:
        """``gcTerminated``: delete the terminated pods over the threshold, in ``gc_order``."""
        self._pass_due = False
        terminated = [pod for pods in self.api.failed_by_node.values() for pod in pods]
        excess = len(terminated) - self.threshold
        if excess <= 0:  # the controller deleted some meanwhile
            return
        for pod in heapq.nsmallest(excess, terminated, key=lambda p: gc_order(p, self.evicted)):
            if self.api.delete_pod(pod.uid) is not None:
                self.deleted[pod.owner] += 1
