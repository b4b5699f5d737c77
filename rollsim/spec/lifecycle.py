"""The node lifecycle controller's timing, as pure functions (no SimPy).

When a node's kubelet stops, nothing changes in the API at once. The kubelet renews its
Lease every 10 s (``nodeLeaseRenewIntervalFraction`` 0.25 × ``nodeLeaseDurationSeconds``
40 s, ``pkg/kubelet/kubelet.go``); the node lifecycle controller
(``pkg/controller/nodelifecycle/node_lifecycle_controller.go``) looks every
``--node-monitor-period`` (5 s, ``SetDefaults_KubeCloudSharedConfiguration``) and, in
``tryUpdateNodeHealth``, records as ``probeTimestamp`` the pass at which it first saw a
renewal. Once ``now`` is after ``probeTimestamp + --node-monitor-grace-period`` it posts
Ready=Unknown; in the same ``monitorNodeHealth`` pass, having turned Ready from True itself,
it calls ``MarkPodsNotReady``. The node update makes ``doNoScheduleTaintingPass`` add the
``node.kubernetes.io/unreachable:NoSchedule`` taint, and ``processTaintBaseEviction`` queues
the node for the NoExecute taint, which ``doNoExecuteTaintingPass`` adds at the zone's
eviction rate (``--node-eviction-rate`` 0.1/s, burst 1; ``--secondary-node-eviction-rate``
0.01/s when the zone is partially disrupted and larger than ``--large-cluster-size-threshold``
50 nodes, 0 below; partial disruption: at least 3 and ``--unhealthy-zone-threshold`` 55% of
the zone not Ready, ``ComputeZoneState``; every zone fully disrupted: no NoExecute taints at all).

A kubelet that reports Ready=False itself (runtime or network plugin down) posts it at its next
status update (``nodeStatusUpdateFrequency`` 10 s). The lifecycle controller then taints the
node ``not-ready`` (NoSchedule at once, NoExecute at the eviction rate) but does **not** mark
its pods not Ready: ``MarkPodsNotReady`` runs only when the controller itself turns Ready from
True (the ``observedReadyCondition.Status == True`` case), or for a pod newly assigned to the
node (``processPod``). The pods keep the readiness their kubelet reports.

``--node-monitor-grace-period`` was 40 s until v1.31 and is 50 s from v1.32
(kubernetes/kubernetes#126287, fixing #121793; CHANGELOG-1.32, v1.32.0-alpha.2). Every
version rollsim models (1.33 to 1.37) has 50 s.

DaemonSet pods tolerate the ``not-ready`` and ``unreachable`` NoExecute taints without
``tolerationSeconds`` (``AddOrUpdateDaemonPodTolerations``), so the NoExecute taint never
evicts them; its timing only adds one node update. What matters for a rollout is the grace
period: until it passes, the node is Ready and untainted, its pod Ready and available, and the
DaemonSet controller may delete that pod within its budget; the deletion never completes (no
kubelet), and the pod stays terminating. PodGC force-deletes a terminating pod only on a node
that is not Ready *and* carries the ``node.kubernetes.io/out-of-service`` taint an operator
adds (``gcTerminating``), or once the Node object is gone (``gcOrphaned``: every 20 s, after
40 s of quarantine).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace

from rollsim.spec.node import NO_EXECUTE, NOT_READY_TAINTS, UNREACHABLE_TAINTS, Node, Taint, ready_node

__all__ = [
    "HEARTBEAT_INTERVAL_S",
    "NodeLifecycleTiming", "grace_period_for", "next_tick", "unknown_at", "kubelet_posts_at", "zone_key",
    "zone_state", "zone_eviction_rate", "failed_node", "NORMAL", "PARTIAL_DISRUPTION", "FULL_DISRUPTION",
]

NORMAL, PARTIAL_DISRUPTION, FULL_DISRUPTION = "Normal", "PartialDisruption", "FullDisruption"
_ZONE_LABELS = (("topology.kubernetes.io/region", "failure-domain.beta.kubernetes.io/region"),
                ("topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone"))


def grace_period_for(minor: int) -> float:
    """``--node-monitor-grace-period``'s default for Kubernetes 1.``minor``: 50 s from v1.32
    (kubernetes/kubernetes#126287), 40 s before.
    """
    return 50.0 if minor >= 32 else 40.0


# the kubelet's Lease renewal (a quarter of its 40 s lease) and its nodeStatusUpdateFrequency, both 10 s
HEARTBEAT_INTERVAL_S = 10.0


@dataclass(frozen=True, slots=True)
class NodeLifecycleTiming:
    """The node lifecycle controller's and the kubelet's heartbeat settings, with their defaults."""

    grace_period: float = 50.0  # --node-monitor-grace-period (v1.32+)
    monitor_period: float = 5.0  # --node-monitor-period
    heartbeat_interval: float = HEARTBEAT_INTERVAL_S  # the kubelet's Lease renewal and nodeStatusUpdateFrequency
    eviction_rate: float = 0.1  # --node-eviction-rate
    secondary_eviction_rate: float = 0.01  # --secondary-node-eviction-rate
    large_cluster_size_threshold: int = 50  # --large-cluster-size-threshold
    unhealthy_zone_threshold: float = 0.55  # --unhealthy-zone-threshold

    def __post_init__(self) -> None:
        for name in ("eviction_rate", "secondary_eviction_rate"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)}")
        for name in ("grace_period", "monitor_period", "heartbeat_interval"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        if not 0.0 <= self.unhealthy_zone_threshold <= 1.0:
            raise ValueError(f"unhealthy_zone_threshold must be between 0 and 1, got {self.unhealthy_zone_threshold}")
        if self.large_cluster_size_threshold < 0:
            raise ValueError(f"large_cluster_size_threshold must not be negative, got "
                             f"{self.large_cluster_size_threshold}")


def next_tick(t: float, phase: float, period: float, strictly_after: bool = False) -> float:
    """The first monitor pass (at ``phase + k × period``) at or after ``t`` (after, if ``strictly_after``)."""
    k = math.ceil((t - phase) / period - 1e-9)
    tick = phase + k * period
    if strictly_after and tick <= t + 1e-9:
        tick += period
    return tick


def unknown_at(failed_at: float, since_renewal: float, phase: float, timing: NodeLifecycleTiming) -> float:
    """When the lifecycle controller posts Ready=Unknown for a kubelet that stopped at
    ``failed_at``, ``since_renewal`` seconds after its last Lease renewal: the first pass once
    ``nc.now().After(probeTimestamp + grace)``, where ``probeTimestamp`` is the pass that saw
    that renewal. The passes slide (``wait.UntilWithContext`` waits a period after each pass
    ends), so the pass ``grace`` after the probe, when ``grace`` is a whole number of periods,
    already comes after it.
    """
    probe = next_tick(failed_at - since_renewal, phase, timing.monitor_period)
    return next_tick(probe + timing.grace_period, phase, timing.monitor_period)


def kubelet_posts_at(failed_at: float, since_update: float, timing: NodeLifecycleTiming) -> float:
    """When a kubelet that went Ready=False at ``failed_at`` posts it: at its next status update."""
    return failed_at - since_update + timing.heartbeat_interval


def zone_key(labels: Mapping[str, str]) -> str:
    """``nodetopology.GetZoneKey``: region and zone from the topology labels ("" without them)."""
    region = next((labels[k] for k in _ZONE_LABELS[0] if labels.get(k)), "")
    zone = next((labels[k] for k in _ZONE_LABELS[1] if labels.get(k)), "")
    return f"{region}:\x00:{zone}" if region or zone else ""


def zone_state(ready: int, not_ready: int, timing: NodeLifecycleTiming) -> str:
    """``ComputeZoneState``: fully disrupted with no Ready node, partially with at least 3 and
    the unhealthy-zone threshold not Ready, normal otherwise.
    """
    if ready == 0 and not_ready > 0:
        return FULL_DISRUPTION
    if not_ready > 2 and not_ready / (ready + not_ready) >= timing.unhealthy_zone_threshold:
        return PARTIAL_DISRUPTION
    return NORMAL


def zone_eviction_rate(state: str, zone_size: int, all_fully_disrupted: bool, timing: NodeLifecycleTiming) -> float:
    """The NoExecute tainter's rate in a zone (``setLimiterInZone``, ``handleDisruption``):
    normal and fully disrupted zones taint at the eviction rate, partially disrupted ones at the
    secondary rate (0 in a cluster of at most the large-cluster threshold, ``ReducedQPSFunc``);
    when every zone is fully disrupted, nothing is tainted.
    """
    if all_fully_disrupted:
        return 0.0
    if state == PARTIAL_DISRUPTION:
        return timing.secondary_eviction_rate if zone_size > timing.large_cluster_size_threshold else 0.0
    return timing.eviction_rate


def failed_node(node: Node, condition: str, no_execute: bool = True) -> Node:
    """``node`` with Ready=``condition`` (``Unknown`` or ``False``) and the lifecycle controller's
    taints for it: ``unreachable`` or ``not-ready``, NoSchedule, and NoExecute once
    ``no_execute`` (the two are added by different passes, ``doNoScheduleTaintingPass`` and the
    rate-limited ``doNoExecuteTaintingPass``).
    """
    taints: tuple[Taint, ...] = UNREACHABLE_TAINTS if condition == "Unknown" else NOT_READY_TAINTS
    if not no_execute:
        taints = tuple(t for t in taints if t.effect != NO_EXECUTE)
    base = ready_node(node)
    return replace(base, ready=False, taints=base.taints + taints)
