"""How the DaemonSet controller and its control plane run: ``ControllerSettings``, a
scenario's ``controller`` (``rollsim.spec.scenario.Scenario``), in one of two modes.
"""

from __future__ import annotations

from dataclasses import dataclass

from rollsim.spec.distributions import Distribution, parse_distribution
from rollsim.spec.lifecycle import NodeLifecycleTiming
from rollsim.spec.versions import DEFAULT_VERSION, VersionRules, parse_version, rules_for

__all__ = ["ControllerSettings", "IDEAL", "REALISTIC", "DEFAULT_WATCH_DELAY", "DEFAULT_API_LATENCY"]

IDEAL = "ideal"
REALISTIC = "realistic"
# The informer's watch delay and the API call latency in a healthy control plane: tens of
# milliseconds (the upstream SLO bounds mutating API calls at p99 ≤ 1 s:
# sig-scalability/slos/api_call_latency.md).
DEFAULT_WATCH_DELAY = "lognormal(median=0.05, p95=0.25)"
DEFAULT_API_LATENCY = "lognormal(median=0.02, p95=0.1)"


def _set(obj: object, name: str, value: object) -> None:
    object.__setattr__(obj, name, value)


@dataclass(frozen=True, slots=True)
class ControllerSettings:
    """How the DaemonSet controller runs.

    ``ideal``: writes observed at once, no API limits, syncs take no time.
    ``realistic``: the kube-controller-manager defaults (``--concurrent-daemonset-syncs`` 2,
    ``KubeAPIQPS`` 20, ``KubeAPIBurst`` 30, ``BurstReplicas`` 250,
    ``SlowStartInitialBatchSize`` 1, ``ExpectationsTimeout`` 5 min) with an informer delay.

    ``kubernetes_version`` selects the version-dependent rules (``rollsim.spec.versions``) in
    both modes. The rest apply in ``realistic`` mode only, each as the real control plane does:

    * ``queue_dedup``: client-go's delaying queue keeps one waiting entry per key, with the
      earliest due time (``delaying_queue.go`` ``insert``: "update the time only if it would
      cause the item to be queued sooner"); ``False`` fires every ``AddAfter`` timer.
    * ``status_requeue``: the controller's own status write comes back through the DaemonSet
      informer and ``updateDaemonset`` enqueues the key again (it enqueues on every update).
    * ``node_watch_delay``: the node informer's watch delay (the pod informer's by default);
      node updates pass ``shouldIgnoreNodeUpdate`` (only label or taint changes enqueue).
    * ``whole_second_timestamps``: ``creationTimestamp`` and the Ready condition's
      ``lastTransitionTime`` are ``metav1.Time``, serialized in whole seconds (RFC 3339), so
      the controller sees a pod Ready since the start of its second: availability moves up to
      1 s earlier.
    * the node lifecycle controller's timing for nodes that fail during the run
      (``rollsim.spec.lifecycle``): ``node_monitor_grace_period`` (``None``: the version's
      default, 50 s from v1.32, kubernetes/kubernetes#126287), ``node_monitor_period`` (5 s),
      and the NoExecute tainter's ``node_eviction_rate`` (0.1/s),
      ``secondary_node_eviction_rate`` (0.01/s), ``large_cluster_size_threshold`` (50) and
      ``unhealthy_zone_threshold`` (0.55), the kube-controller-manager flags' defaults
      (``cmd/kube-controller-manager/app/options/nodelifecyclecontroller.go``). In ``ideal``
      mode a failed node is detected and tainted at once.
    * ``terminated_pod_gc_threshold``: the kube-controller-manager's ``--terminated-pod-gc-threshold``
      (12,500; 0 turns PodGC's ``gcTerminated`` off): failed pods beyond it are deleted, evicted
      ones first, then the oldest (``rollsim.cluster.podgc``), in both modes.
    """

    mode: str = REALISTIC
    workers: int = 2
    kube_api_qps: float = 20.0
    kube_api_burst: int = 30
    burst_replicas: int = 250
    slow_start_initial_batch_size: int = 1
    expectations_timeout: float = 300.0
    watch_delay: Distribution = DEFAULT_WATCH_DELAY  # type: ignore[assignment]
    api_latency: Distribution = DEFAULT_API_LATENCY  # type: ignore[assignment]
    kubernetes_version: str = DEFAULT_VERSION
    queue_dedup: bool = True
    status_requeue: bool = True
    node_watch_delay: Distribution | None = None  # None: the pod informer's watch_delay
    whole_second_timestamps: bool = True
    node_monitor_grace_period: float | None = None  # None: the version's default
    node_monitor_period: float = 5.0
    node_eviction_rate: float = 0.1
    secondary_node_eviction_rate: float = 0.01
    large_cluster_size_threshold: int = 50
    unhealthy_zone_threshold: float = 0.55
    terminated_pod_gc_threshold: int = 12500  # kube-controller-manager's --terminated-pod-gc-threshold; 0: off

    def __post_init__(self) -> None:
        _set(self, "kubernetes_version", parse_version(self.kubernetes_version))
        self._lifecycle_timing()  # validates the node lifecycle settings in either mode
        if self.node_watch_delay is not None:
            _set(self, "node_watch_delay", parse_distribution(self.node_watch_delay))
        if self.mode not in (IDEAL, REALISTIC):
            raise ValueError(f"controller must be ideal or realistic, got {self.mode!r}")
        if int(threshold := self.terminated_pod_gc_threshold) < 0:
            raise ValueError(f"terminated_pod_gc_threshold must not be negative, got {threshold}")
        for name in ("workers", "kube_api_burst", "burst_replicas", "slow_start_initial_batch_size"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if not self.kube_api_qps > 0:
            raise ValueError(f"kube_api_qps must be positive, got {self.kube_api_qps}")
        if not self.expectations_timeout >= 0:  # also rejects NaN
            raise ValueError(f"expectations_timeout must not be negative, got {self.expectations_timeout}")
        _set(self, "watch_delay", parse_distribution(self.watch_delay))
        _set(self, "api_latency", parse_distribution(self.api_latency))

    @property
    def ideal(self) -> bool:
        """Whether the controller runs ``ideal`` (writes at once, no limits, no sync time)."""
        return self.mode == IDEAL

    def _lifecycle_timing(self) -> NodeLifecycleTiming:
        grace = self.node_monitor_grace_period
        return NodeLifecycleTiming(
            grace_period=self.rules.node_monitor_grace_period if grace is None else grace,
            monitor_period=self.node_monitor_period, eviction_rate=self.node_eviction_rate,
            secondary_eviction_rate=self.secondary_node_eviction_rate,
            large_cluster_size_threshold=self.large_cluster_size_threshold,
            unhealthy_zone_threshold=self.unhealthy_zone_threshold)

    @property
    def node_lifecycle(self) -> NodeLifecycleTiming | None:
        """The node lifecycle controller's timing (``None`` in ideal mode: failures seen at once)."""
        return None if self.ideal else self._lifecycle_timing()

    @property
    def rules(self) -> VersionRules:
        """The controller rules of ``kubernetes_version``."""
        return rules_for(self.kubernetes_version)
