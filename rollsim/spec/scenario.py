"""A scenario: the cluster, the DaemonSet, the pod timings and the controller's settings
(``ControllerSettings``, in ``rollsim.spec.controlplane``, and importable from here).

Frozen, slotted dataclasses validated in ``__post_init__``; vary them with
``dataclasses.replace``. ``rollsim.spec.options.build_scenario`` makes one from flat options
named like the ``rollsim simulate`` flags; ``rollsim.spec.settings`` declares those options,
and ``rollsim.spec.describe.describe_scenario`` describes a scenario for results and reports.
The defaults written here are the settings' defaults.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from rollsim.spec.budget import IntOrPercent, parse_int_or_percent, validate_rolling_update
from rollsim.spec.churn import NodeChange
from rollsim.spec.clockskew import ClockSkew, parse_clock_skew
from rollsim.spec.controlplane import IDEAL, REALISTIC, ControllerSettings
from rollsim.spec.deleters import DeleterSpec, parse_deleter
from rollsim.spec.distributions import Distribution, parse_distribution
from rollsim.spec.faults import NewPodFaults, parse_new_pods
from rollsim.spec.image import ImageSpec, node_link
from rollsim.spec.node import Node, PodPlacement, uniform_nodes
from rollsim.spec.priority import PREEMPT_LOWER_PRIORITY, PREEMPTION_POLICIES
from rollsim.spec.registry import RegistrySpec
from rollsim.spec.volumes import HostPath

__all__ = [
    "STALL_AFTER_S",
    "is_default_timing",
    "UpdateStrategy",
    "ReadinessProbe",
    "DaemonSetSpec",
    "Timings",
    "ControllerSettings",
    "Scenario",
    "SERIAL_PULLS_RULE",
    "ROLLING_UPDATE",
    "ON_DELETE",
    "IDEAL",
    "REALISTIC",
    "Workload",
    "MAX_HORIZON_S",
    "check_horizon",
    "is_default_ready",
]

STALL_AFTER_S = 3600.0  # a rollout with no progress for this long is stalled (the default stall_after)

ROLLING_UPDATE = "RollingUpdate"
ON_DELETE = "OnDelete"
# A NotReady node's Ready condition: Unknown (its kubelet is gone: the lifecycle controller's
# unreachable taints, nothing confirms a deletion; the usual case, test-infra #31706) or False
# (the kubelet reports NotReady itself and still kills pods: not-ready taints).
NOT_READY_CONDITIONS = ("Unknown", "False")
# Every run ends at its horizon, so this bounds every simulated time: 10^15 s (about 31.7 million
# years) plus any --timeline-start stays inside the int64 millisecond timestamps of .prom/.om
# samples (2^63 ms is 9.2e15 s), and float seconds stay exact to better than a second (2^53 s is 9.0e15 s).
MAX_HORIZON_S = 1e15


def check_horizon(seconds: float) -> float:
    """A run's horizon: positive and at most ``MAX_HORIZON_S``, else ``ValueError`` saying so."""
    if not 0 < seconds <= MAX_HORIZON_S:  # NaN too
        raise ValueError(f"must be greater than 0 and at most {MAX_HORIZON_S:.0e} s (about 31.7 million years, "
                         f"so that every simulated time fits a timeline's timestamps), got {seconds!r}")
    return seconds


MAX_PORT = 65535  # the largest port number: a containerPort's or hostPort's range is 1 to this


def is_port(number: int) -> bool:
    """Whether ``number`` is a port number (1 to ``MAX_PORT``)."""
    return 0 < number <= MAX_PORT


def _set(obj: object, name: str, value: object) -> None:
    object.__setattr__(obj, name, value)


def _non_negative(name: str, value: float) -> None:
    if not value >= 0:  # also rejects NaN
        raise ValueError(f"{name} must not be negative, got {value}")


@dataclass(frozen=True, slots=True)
class UpdateStrategy:
    """``spec.updateStrategy``, defaulted as ``SetDefaults_DaemonSet`` does (maxUnavailable 1, maxSurge 0)."""

    type: str = ROLLING_UPDATE
    max_unavailable: IntOrPercent = 1
    max_surge: IntOrPercent = 0

    def __post_init__(self) -> None:
        if self.type not in (ROLLING_UPDATE, ON_DELETE):
            raise ValueError(f"strategy must be RollingUpdate or OnDelete, got {self.type!r}")
        if self.type == ROLLING_UPDATE:
            mu, ms = validate_rolling_update(self.max_unavailable, self.max_surge)
        else:
            mu = parse_int_or_percent(self.max_unavailable, "maxUnavailable")
            ms = parse_int_or_percent(self.max_surge, "maxSurge")
        _set(self, "max_unavailable", mu)
        _set(self, "max_surge", ms)

    @property
    def rolling(self) -> bool:
        """Whether the strategy is ``RollingUpdate`` (not ``OnDelete``)."""
        return self.type == ROLLING_UPDATE


@dataclass(frozen=True, slots=True)
class ReadinessProbe:
    """A container's ``readinessProbe`` timing. ``period_seconds = 0`` means Ready exactly when the app is.

    Kubernetes defaults periodSeconds to 10 and initialDelaySeconds to 0.
    """

    initial_delay_seconds: float = 0.0
    period_seconds: float = 10.0
    success_threshold: int = 1
    failure_threshold: int = 3

    def __post_init__(self) -> None:
        _non_negative("initialDelaySeconds", self.initial_delay_seconds)
        _non_negative("periodSeconds (probe period)", self.period_seconds)
        for name in ("success_threshold", "failure_threshold"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")



@dataclass(frozen=True, slots=True)
class DaemonSetSpec:
    """The parts of a DaemonSet that shape its rollout."""

    name: str = "fluentd-elasticsearch"
    namespace: str = "kube-system"
    strategy: UpdateStrategy = field(default_factory=UpdateStrategy)
    min_ready_seconds: float = 0.0
    termination_grace_period_seconds: float = 30.0
    placement: PodPlacement = field(default_factory=PodPlacement)
    readiness_probe: ReadinessProbe = field(default_factory=ReadinessProbe)
    labels: tuple[tuple[str, str], ...] = ()
    requests_cpu_millis: int = 0
    requests_memory_bytes: int = 0
    host_ports: tuple[int, ...] = ()
    # the pod template's priorityClassName, spec.priority (None: a class whose value the manifest
    # cannot tell, taken as 0) and spec.preemptionPolicy (rollsim.spec.priority)
    priority_class_name: str = ""
    priority: int | None = 0
    preemption_policy: str = PREEMPT_LOWER_PRIORITY
    # the pod template's hostPath volumes its containers mount: host files an old and a surge pod share
    host_paths: tuple[HostPath, ...] = ()

    @property
    def key(self) -> str:
        """``namespace/name``: the object's key (``cache.MetaNamespaceKeyFunc``), unique in a cluster."""
        return f"{self.namespace}/{self.name}"

    def __post_init__(self) -> None:
        _non_negative("minReadySeconds", self.min_ready_seconds)
        _non_negative("terminationGracePeriodSeconds", self.termination_grace_period_seconds)
        _set(self, "labels", tuple(sorted(dict(self.labels).items())))
        _set(self, "host_ports", tuple(self.host_ports))
        _set(self, "host_paths", tuple(self.host_paths))
        if not all(isinstance(h, HostPath) for h in self.host_paths):
            raise ValueError(f"host_paths must be HostPath volumes, got {self.host_paths!r}")
        for name in ("requests_cpu_millis", "requests_memory_bytes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
        for port in self.host_ports:
            if isinstance(port, bool) or not isinstance(port, int) or not is_port(port):
                raise ValueError(f"hostPort must be between 1 and {MAX_PORT}, got {port!r}")
        if self.priority is not None:
            _check_priority("priority", self.priority)
        if self.preemption_policy not in PREEMPTION_POLICIES:
            raise ValueError(f"preemptionPolicy must be {' or '.join(PREEMPTION_POLICIES)}, "
                             f"got {self.preemption_policy!r}")


def _check_priority(name: str, value: object) -> None:
    """A pod priority: an integer, else ``ValueError`` naming ``name`` (the settings' rule and the
    manifest's decoder also hold it to an int32, ``rollsim.spec.kinds.PRIORITY``).
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, got {value!r}")


# Defaults from published measurements (schedule, pull, start; the ready time's tail is a fit, below).
# Pod start-up without an image pull: p50 ≈ 1.1 s and
# p99 ≈ 2 s as measured in upstream large-cluster scalability runs (the figures issue #2
# gives; the original reports were not re-checked here), against the upstream SLO of
# p99 ≤ 5 s (kubernetes/community sig-scalability/slos/pod_startup_latency.md). rollsim
# splits it into a bind of ≈ 0.1 s and a container start of ≈ 1 s (sum p50 ≈ 1.1 s, p99 ≈ 2 s).
DEFAULT_SCHEDULE = "lognormal(median=0.1, p95=0.3)"
DEFAULT_START = "lognormal(median=1.0, p95=1.6)"
# Image pulls from a nearby registry: 100 MB ≈ 1.7 s and 1 GB ≈ 8 s (published pull
# measurements as issue #2 gives them). A ~200 MB fluentd image interpolates to ≈ 2.4 s.
DEFAULT_PULL = "lognormal(median=2.4, p95=5)"
# Log-shipping agents (fluentd, fluent-bit with buffers) take tens of seconds to become
# Ready: plugin load, buffer recovery and the first flush to the backend. Real rollouts also
# have slow nodes: going from maxUnavailable 1 to 10% on 250 nodes was 7.5x faster for
# OpenShift (openshift/enhancements#854) and 10x for node-exporter
# (prometheus-operator/kube-prometheus#661), where identical nodes give 22x. No source states
# per-node times; the shipped field studies reproduce the two reports with 2% of nodes
# +300 s and +500 s slower, so the default gives 2% of nodes a Ready time of about 400 s
# (the slowest pod of each slot decides). See the README's straggler tail ("One rollout: rollsim simulate").
DEFAULT_READY = "stragglers(median=20, p95=45, fraction=0.02, tail=400)"


def is_default_ready(ready: object) -> bool:
    """Whether ``ready`` (a distribution, or its spec as a record gives it) is the default ready time,
    whose straggler tail is a fit, not a measurement (the reports say so where it applies).
    """
    return str(ready) == str(parse_distribution(DEFAULT_READY))


def is_default_timing(phase: str, value: object) -> bool:
    """Whether ``value`` (a distribution, or its spec as a record gives it) is phase ``phase``'s default
    (schedule, pull, start, ready, terminate): a plan's report marks it, where a profile gave the others
    (audit 42: the default terminate read as measured beside the fitted phases).
    """
    default = _DEFAULT_TIMINGS.get(phase)
    return default is not None and str(value) == str(parse_distribution(default))
# Shutdown: the agent flushes its buffers on SIGTERM; capped at terminationGracePeriodSeconds
# (Kubernetes default 30 s).
DEFAULT_TERMINATE = "lognormal(median=5, p95=25)"
_DEFAULT_TIMINGS = {"schedule": DEFAULT_SCHEDULE, "pull": DEFAULT_PULL, "start": DEFAULT_START, "ready": DEFAULT_READY,
                    "terminate": DEFAULT_TERMINATE}
# The other workloads' pods a preempting pod evicts: gone after their terminationGracePeriodSeconds,
# whose Kubernetes default is 30 s (pods that exit on SIGTERM go sooner: give a distribution).
DEFAULT_VICTIM_TERMINATION = "30"
@dataclass(frozen=True, slots=True)
class Timings:
    """Distributions of the pod lifecycle phases, in seconds (spec strings are parsed)."""

    schedule: Distribution = DEFAULT_SCHEDULE  # type: ignore[assignment]
    pull: Distribution = DEFAULT_PULL  # type: ignore[assignment]
    start: Distribution = DEFAULT_START  # type: ignore[assignment]
    ready: Distribution = DEFAULT_READY  # type: ignore[assignment]
    terminate: Distribution = DEFAULT_TERMINATE  # type: ignore[assignment]

    def __post_init__(self) -> None:
        for name in ("schedule", "pull", "start", "ready", "terminate"):
            _set(self, name, parse_distribution(getattr(self, name)))


@dataclass(frozen=True, slots=True)
class Workload:
    """Another DaemonSet updated at the same time: its spec, its pods' timings and its new image
    (pulled through the cluster's one registry when its size is given).
    """

    daemonset: DaemonSetSpec
    timings: Timings = field(default_factory=Timings)
    image: ImageSpec = field(default_factory=ImageSpec)


# the kubelet's own words (ValidateKubeletConfiguration, pkg/kubelet/apis/config/validation): it refuses to start
SERIAL_PULLS_RULE = ("maxParallelImagePulls cannot be larger than 1 unless serializeImagePulls is set to false "
                     "(or left out: 2 or more then turns it off)")


@dataclass(frozen=True, slots=True)
class Scenario:
    """One rollout to simulate: ``nodes`` may be given as a count of identical nodes."""

    nodes: tuple[Node, ...] = 1000  # type: ignore[assignment]
    daemonset: DaemonSetSpec = field(default_factory=DaemonSetSpec)
    timings: Timings = field(default_factory=Timings)
    controller: ControllerSettings = field(default_factory=ControllerSettings)
    deleter: DeleterSpec = "none"  # type: ignore[assignment]
    horizon_s: float | None = None
    new_pods: NewPodFaults = "healthy"  # type: ignore[assignment]
    # an hour: past the default Ready time's straggler tail (DEFAULT_READY), which outlasted the half hour
    # before about once in 44,000 pods (1 of 400 seeds of a 1,000-node rollout) and an hour about once in 12 million
    stall_after_s: float = STALL_AFTER_S
    image: ImageSpec = field(default_factory=ImageSpec)
    registry: RegistrySpec = field(default_factory=RegistrySpec)
    not_ready_nodes: int = 0
    not_ready_condition: str = "Unknown"
    clock_skew: ClockSkew = 0  # type: ignore[assignment]  # the kubelets' clocks against the controller's: none
    node_changes: tuple[NodeChange, ...] = ()
    node_utilization: float = 0.0
    other_pods_priority: int = 0  # the priority of the pods node_utilization stands for
    victim_termination: Distribution = DEFAULT_VICTIM_TERMINATION  # type: ignore[assignment]
    scheduler_throughput: float | None = None
    also: tuple[Workload, ...] = ()  # kept in namespace/name order (a set: the order given is not the run's)
    rollback_after_s: float | None = None
    out_of_service_after_s: float | None = None
    # how long each node's disk pressure lasts (None: to the end), and the kubelet's
    # evictionPressureTransitionPeriod (its default, 5m): rollsim.cluster.eviction
    disk_pressure_for_s: float | None = None
    eviction_pressure_transition_period_s: float = 300.0
    # the kubelet's serializeImagePulls (unset: as SetDefaults_KubeletConfiguration, pkg/kubelet/apis/config/v1beta1,
    # true unless maxParallelImagePulls is 2 or more) and maxParallelImagePulls (unset: no limit when pulls are not
    # serialized): ``image_pulls_serialized``
    serialize_image_pulls: bool | None = None
    max_parallel_image_pulls: int | None = None

    def __post_init__(self) -> None:
        nodes = self.nodes
        if isinstance(nodes, bool):
            raise ValueError(f"nodes must be a count or a list of nodes, got {nodes!r}")
        if isinstance(nodes, int):
            if nodes < 0:
                raise ValueError(f"nodes must not be negative, got {nodes}")
            nodes = uniform_nodes(nodes)
        nodes = tuple(nodes)
        names = {n.name for n in nodes}
        if len(names) != len(nodes):
            raise ValueError("node names must be unique")
        _set(self, "nodes", nodes)
        _set(self, "deleter", parse_deleter(self.deleter))
        _set(self, "new_pods", parse_new_pods(self.new_pods))
        _set(self, "clock_skew", parse_clock_skew(self.clock_skew))
        if isinstance(self.not_ready_nodes, bool) or not 0 <= self.not_ready_nodes <= len(nodes):
            raise ValueError(f"not_ready_nodes must be between 0 and the node count, got {self.not_ready_nodes}")
        if self.not_ready_condition not in NOT_READY_CONDITIONS:
            raise ValueError(f"not_ready_condition must be Unknown or False, got {self.not_ready_condition!r}")
        _set(self, "node_changes", tuple(self.node_changes))
        if self.rollback_after_s is not None and not self.rollback_after_s >= 0:
            raise ValueError(f"rollback_after must not be negative, got {self.rollback_after_s}")
        if self.out_of_service_after_s is not None and not self.out_of_service_after_s >= 0:
            raise ValueError(f"out_of_service_after must not be negative, got {self.out_of_service_after_s}")
        if self.disk_pressure_for_s is not None and not self.disk_pressure_for_s > 0:
            raise ValueError(f"disk_pressure_for must be positive, got {self.disk_pressure_for_s}")
        if not self.eviction_pressure_transition_period_s >= 0:
            raise ValueError("eviction_pressure_transition_period must not be negative, "
                             f"got {self.eviction_pressure_transition_period_s}")
        if self.max_parallel_image_pulls is not None and self.max_parallel_image_pulls < 1:
            raise ValueError(f"maxParallelImagePulls {self.max_parallel_image_pulls} must be a positive number")
        if self.serialize_image_pulls is True and (self.max_parallel_image_pulls or 1) > 1:
            raise ValueError(SERIAL_PULLS_RULE)  # ValidateKubeletConfiguration: only a true given is refused
        # a set keyed by namespace/name: kept (and run) in key order, so that two orders of the same items
        # are one scenario and run alike (which pod the scheduler or the API client takes first at one instant)
        _set(self, "also", tuple(sorted(self.also, key=lambda w: w.daemonset.key)))
        self.node_bandwidth()  # one link a node, whichever DaemonSet gives it: two values are refused
        ds_keys = [ds.key for ds in self.daemonsets()]
        if len(set(ds_keys)) != len(ds_keys):
            raise ValueError(f"DaemonSets updated together need distinct namespaces and names, got {ds_keys}")
        if self.scheduler_throughput is not None and not self.scheduler_throughput > 0:
            raise ValueError(f"scheduler throughput must be positive, got {self.scheduler_throughput}")
        if not 0.0 <= self.node_utilization <= 1.0:
            raise ValueError(f"node_utilization must be between 0 and 1, got {self.node_utilization}")
        _check_priority("other_pods_priority", self.other_pods_priority)
        _set(self, "victim_termination", parse_distribution(self.victim_termination))
        if not self.stall_after_s > 0:
            raise ValueError(f"stall_after must be positive, got {self.stall_after_s}")
        if self.horizon_s is not None:
            try:
                check_horizon(self.horizon_s)
            except ValueError as exc:
                raise ValueError(f"horizon {exc}") from None


    def image_pulls_serialized(self) -> bool:
        """Whether each node pulls one image at a time: ``serializeImagePulls`` as given, else as the
        kubelet defaults it (``SetDefaults_KubeletConfiguration``): true unless ``maxParallelImagePulls``
        is 2 or more, "to save users from having to set both configs".
        """
        if self.serialize_image_pulls is not None:
            return self.serialize_image_pulls
        return self.max_parallel_image_pulls is None or self.max_parallel_image_pulls < 2

    def node_bandwidth(self) -> float | None:
        """Each node's download bandwidth, shared by every DaemonSet's pulls there (``node_link``;
        another value than the first given is a ``LinkConflict`` naming both DaemonSets).
        """
        return node_link([(self.daemonset.key, self.image.node_bandwidth),
                          *((w.daemonset.key, w.image.node_bandwidth) for w in self.also)])

    def under_disk_pressure(self) -> bool:
        """Whether a node of the run is under disk pressure: listed so (its DiskPressure condition, or
        PIDPressure, which the eviction manager's admit handler treats alike), or from a moment of it
        (``disk_pressure_nodes``). Only then do the kubelets run an eviction manager.
        """
        return bool(self.pressure_conditions())

    def pressure_conditions(self, listed_only: bool = False) -> str:
        """The node conditions the run's nodes under pressure have, as a sentence names them:
        ``DiskPressure``, ``PIDPressure`` (only a node list gives it) or both, joined by "or";
        ``listed_only``: the listed nodes' only.
        """
        disk = any(n.disk_pressure for n in self.nodes) or (
            not listed_only and any(c.kind == "disk-pressure" for c in self.node_changes))
        pid = any(n.pid_pressure for n in self.nodes)
        return " or ".join(name for name, has in (("DiskPressure", disk), ("PIDPressure", pid)) if has)

    def daemonsets(self) -> tuple[DaemonSetSpec, ...]:
        """Every DaemonSet the run updates: the study's own first, then ``also``'s in order
        (``namespace/name`` order, whatever order they were given in).
        """
        return (self.daemonset, *(w.daemonset for w in self.also))

    def daemonset_keys(self) -> tuple[str, ...]:
        """Each DaemonSet's key in the run, in ``daemonsets`` order: its name, or, when another
        DaemonSet of the run has the same name in another namespace, ``namespace/name`` (the key
        the controller's work queue has upstream: ``cache.MetaNamespaceKeyFunc``). Keyed so, the
        pods' owner, the work queue and ``runs.csv``'s ``<key>.*`` columns tell the two apart, and
        a run without such a clash keys by name as it always did. The random streams of an
        ``also`` item are keyed by ``namespace/name`` always (``rollsim.simulation.simulate``).
        """
        specs = self.daemonsets()
        names = Counter(ds.name for ds in specs)
        return tuple(ds.key if names[ds.name] > 1 else ds.name for ds in specs)
