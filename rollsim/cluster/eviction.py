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
pressure is gone and the back-off has passed. With surge it does not wait for the back-off to
create: ``podsShouldBeOnNode``'s surge branch counts no failed pod as running and creates a pod
in the same sync whenever none runs, so each rejection is followed by a create.

Two models, by the controller mode:

* ``realistic`` (``EvictionLoop``): each node's manager runs its ``Start`` loop: ``synchronize``,
  then, if it evicted a pod, ``waitForPodsCleanup`` (a 1 s poll: a pod killed at once is gone by
  the first), else a 10 s sleep (``monitoringInterval``); the loop's phase on each node is drawn
  once (stream ``eviction_manager``). A ``synchronize`` that observes the threshold met sets the
  condition (``nodeConditionsLastObservedAt``) and evicts at most one pod ("we kill at most a single
  pod during each eviction interval"), the first by ``rankDiskPressureFunc``'s order as far as
  rollsim knows it: lower priority first, ties in random order (the stream again) where upstream
  breaks them by disk use; the condition clears at the first ``synchronize`` a transition period
  after the last one that observed the threshold (``nodeConditionsObservedSince``). So the first
  eviction comes up to 10 s after the pressure, a pod bound before it is admitted (and evicted at
  a later ``synchronize``), and the pods of several DaemonSets go one a second.
* ``ideal`` (``EvictionManager``): the manager acts the moment the pressure begins (evicting every
  pod that is not critical at once) and its condition clears exactly a transition period after
  the pressure ends, so the closed forms hold.

Departures, stated in the README: reclaiming images and dead containers never relieves the
pressure, and neither does an eviction (the pressure lasts ``--disk-pressure-for``); the nodes'
other pods are not known, so only the DaemonSets' pods are ranked and evicted; ties are broken at
random rather than by disk use, an eviction is not held back until the node's stats are newer
than the last ``synchronize``'s (``thresholdsUpdatedStats``), and a pod's request of
``ephemeral-storage`` is not compared with its use (``exceedDiskRequests``). With a zero
transition period the condition holds while a ``synchronize`` observes the pressure (upstream
never reports it). The Node's DiskPressure condition and its
``node.kubernetes.io/disk-pressure:NoSchedule`` taint are not written to the Node object: every
DaemonSet pod tolerates that taint (``AddOrUpdateDaemonPodTolerations``), so no controller
decision reads them.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np
import simpy

from rollsim.cluster.apiserver import ApiServer
from rollsim.cluster.timers import call_later
from rollsim.controller.pods import FAILED, Pod
from rollsim.spec.node import Node
from rollsim.spec.priority import is_critical

__all__ = ["CLEANUP_POLL_S", "MONITORING_INTERVAL_S", "EvictionLoop", "EvictionManager"]

MONITORING_INTERVAL_S = 10.0  # the kubelet's evictionMonitoringPeriod (monitoringInterval)
CLEANUP_POLL_S = 1.0  # waitForPodsCleanup's podCleanupPollFreq


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

    def under_pressure(self, node: int) -> bool:
        """Whether ``node`` is under pressure or still has the condition (no second pressure begins there)."""
        return node in self.pressured

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


class EvictionLoop(EvictionManager):
    """The eviction manager of realistic mode: each node's ``Start`` loop, ``synchronize`` every 10 s
    (1 s after an eviction), one eviction per ``synchronize`` (the module's docstring). ``rng`` draws
    each node's loop phase and breaks ties in the ranking.
    """

    def __init__(self, env: simpy.Environment, api: ApiServer, priority_of: Callable[[str], int | None],
                 transition_period_s: float, pressure_for_s: float | None, rng: np.random.Generator) -> None:
        super().__init__(env, api, priority_of, transition_period_s, pressure_for_s)
        self.rng = rng
        self.over: set[int] = set()  # nodes whose nodefs threshold is met now
        self.observed_at: dict[int, float] = {}  # nodeConditionsLastObservedAt, per node
        self.last_sync: dict[int, float] = {}  # each node's last synchronize (its loop's phase)
        self.looping: set[int] = set()  # nodes whose next synchronize is scheduled

    def under_pressure(self, node: int) -> bool:
        """Whether ``node``'s threshold is met or it still has the condition."""
        return node in self.over or node in self.pressured

    def pressure_began(self, node: int) -> None:
        """``node``'s threshold is met from now: its next ``synchronize`` sees it."""
        self.over.add(node)
        self.ever.add(node)
        if node not in self.looping:
            self.looping.add(node)
            now = self.env.now
            last = self.last_sync.get(node)
            if last is None:  # the loop has run since the kubelet started: its phase, drawn once
                last = float(self.rng.uniform(0.0, MONITORING_INTERVAL_S))
            call_later(self.env, next_sync(last, now) - now, self._synchronize, node)
        self._ends([node])

    def _ended(self, nodes: list[int]) -> None:
        """The threshold is no longer met on ``nodes``: the condition clears at a later ``synchronize``
        (a node listed under pressure has no loop here: its condition clears as in ideal mode).
        """
        listed = [node for node in nodes if node not in self.over]
        self.over.difference_update(nodes)
        if listed:
            super()._ended(listed)

    def _synchronize(self, node: int) -> None:
        """Mirrors ``synchronize``: observe, set or clear the condition, evict at most one pod; then
        schedule the next one (``Start``'s loop), or stop where nothing is left to observe.
        """
        now = self.env.now
        self.last_sync[node] = now
        if not self.api.nodes.alive[node]:  # the kubelet is gone, and its loop with it
            self.looping.discard(node)
            return
        over = node in self.over
        if over:
            self.observed_at[node] = now
        observed = self.observed_at.get(node)  # None: the pressure ended before a synchronize saw it
        if over or (observed is not None and now - observed < self.transition_period_s):  # nodeConditionsObservedSince
            self.pressured.add(node)
        else:
            self.pressured.discard(node)
        pod = self._ranked_first(node) if over else None
        if pod is not None:
            self._fail(pod)
            self.evicted[pod.owner] += 1
            call_later(self.env, CLEANUP_POLL_S, self._synchronize, node)  # waitForPodsCleanup: gone by the first poll
        elif over or node in self.pressured:
            call_later(self.env, MONITORING_INTERVAL_S, self._synchronize, node)
        else:
            self.looping.discard(node)

    def _ranked_first(self, node: int) -> Pod | None:
        """The active pod ``rankDiskPressureFunc`` puts first among those ``evictPod`` does not refuse
        (critical ones): the lowest priority, ties at random (upstream: the most disk used).
        """
        ranked: list[tuple[int, Pod]] = []
        for pod in self.api.pods_by_node[node]:
            if pod.scheduled and not pod.terminal and not pod.deleting:
                priority = self.priority_of(pod.owner)
                if not is_critical(priority):
                    ranked.append((priority or 0, pod))
        if not ranked:
            return None
        lowest = min(priority for priority, _ in ranked)
        tied = [pod for priority, pod in ranked if priority == lowest]
        return tied[int(self.rng.integers(len(tied)))] if len(tied) > 1 else tied[0]


def next_sync(last: float, now: float) -> float:
    """The first ``synchronize`` at or after ``now`` of a loop that synchronized at ``last`` and has
    slept ``monitoringInterval`` since (each sleep from the end of the one before).
    """
    if now <= last:
        return last
    return last + math.ceil((now - last) / MONITORING_INTERVAL_S - 1e-9) * MONITORING_INTERVAL_S
