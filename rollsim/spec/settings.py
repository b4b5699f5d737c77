"""Scenario settings, each declared once.

A ``Setting`` names one thing a user can set: its flat name (the ``rollsim simulate`` flag
without dashes), its key path in an experiment's ``scenario`` section, the kind of value
(rule, JSON Schema, metavar), the help text, the unit, how results and reports name it,
and the ``Scenario`` field it sets. Everything else derives from ``SETTINGS``:
``build_scenario``'s checks and defaults (``rollsim.spec.options``), the CLI flags and their
help (``rollsim.cli``), the experiment keys (``rollsim.sweep.config``), the JSON Schema of
experiment files (``rollsim.sweep.schema``) and the description in results and reports
(``rollsim.spec.describe``). A setting's default is its ``Scenario`` field's default, so the
dataclasses in ``rollsim.spec.scenario`` (where the defaults' sources are cited) stay the
one place a default is written.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rollsim.spec import kinds as k
from rollsim.spec.distributions import split_spec_hint
from rollsim.spec.image import ALWAYS, IF_NOT_PRESENT
from rollsim.spec.kinds import Kind
from rollsim.spec.limits import check_limit
from rollsim.spec.priority import PREEMPTION_POLICIES
from rollsim.spec.quoting import describe
from rollsim.spec.registry import OVER_LIMIT
from rollsim.spec.scenario import IDEAL, ON_DELETE, REALISTIC, ROLLING_UPDATE, Scenario, Workload
from rollsim.spec.versions import DEFAULT_VERSION, SUPPORTED_VERSIONS, parse_version

__all__ = ["Setting", "SETTINGS", "BY_NAME", "BY_KEY", "BY_FIELD", "BY_DESCRIPTION", "KUBERNETES_FIELDS",
           "WORKLOAD_OPTIONS", "spelled",
           "field_default"]

_FROM_FIELD: Any = object()


def field_default(path: str) -> Any:
    """The default of a ``Scenario`` field given by its attribute path (``daemonset.strategy.type``)."""
    obj: Any = Scenario
    for part in path.split("."):
        f = {f.name: f for f in dataclasses.fields(obj)}[part]
        factory: Any = f.default_factory
        obj = f.default if f.default is not dataclasses.MISSING else factory()
    return obj


@dataclass(frozen=True, slots=True)
class Setting:
    """One scenario setting: where it is written, how it is checked, what it sets, how it is shown.

    ``field`` is the ``Scenario`` attribute path it sets (its default comes from there);
    settings that ``build_scenario`` combines (node counts and changes) have none and give
    ``default``. ``shown_default`` is how help text shows a default that is not a plain value
    (``None`` meaning unlimited, or a manifest's value). ``flag`` is false for settings that
    only experiment files give (lists of mappings, names from manifests); ``per_daemonset``
    marks those an ``also`` item may set for its own DaemonSet.
    """

    name: str
    key: str
    kind: Kind
    help: str
    field: str | None = None
    default: Any = _FROM_FIELD
    shown_default: str | None = None
    unit: str = ""
    label: str = ""
    describe_as: str | None = None
    flag: bool = True
    per_daemonset: bool = False

    def __post_init__(self) -> None:
        if self.field is not None:
            if self.default is not _FROM_FIELD:
                raise ValueError(f"setting {self.name}: the default of a field-backed setting is the field's")
            object.__setattr__(self, "default", field_default(self.field))
        elif self.default is _FROM_FIELD:
            raise ValueError(f"setting {self.name}: give a field or a default")

    @property
    def flag_name(self) -> str:
        """The ``rollsim simulate`` flag: ``--max-unavailable``."""
        return "--" + self.name.replace("_", "-")

    @property
    def description_key(self) -> str:
        """Its key in ``describe_scenario`` (and so in ``experiment.yaml`` and reports)."""
        return self.describe_as or self.name

    @property
    def description_label(self) -> str:
        """How reports name it, with its unit, so values stay plain numbers."""
        label = self.label or self.name.replace("_", " ")
        return f"{label} ({self.unit})" if self.unit else label

    def help_text(self) -> str:
        """The help line: the text and the default."""
        if self.shown_default is not None:
            shown = self.shown_default
        elif self.default is None or self.default == ():
            return self.help
        elif isinstance(self.default, float):
            shown = f"{self.default:g}"
        else:
            shown = str(self.default)
        return f"{self.help} (default {shown})"


def _phase(name: str, help: str, label: str) -> Setting:
    return Setting(name, f"timings.{name}", k.DISTRIBUTION, f"{help} distribution",
                   field=f"timings.{name}", unit="s", label=label, per_daemonset=True)


_OWN: tuple[Setting, ...] = (
    # the cluster
    Setting("nodes", "cluster.nodes", k.COUNT, "number of identical worker nodes", field="nodes",
            label="nodes in the cluster"),
    Setting("control_plane_nodes", "cluster.control_plane_nodes", k.COUNT,
            "control-plane nodes, tainted NoSchedule as kubeadm does", default=0, label="control-plane nodes"),
    Setting("not_ready_nodes", "cluster.not_ready_nodes", k.NOT_READY,
            "N nodes (chosen at random) NotReady before the rollout, or N@T[+D] during it",
            field="not_ready_nodes", label="nodes NotReady before the rollout"),
    Setting("clock_skew", "cluster.clock_skew", k.CLOCK_SKEW,
            "the kubelets' clocks run S whole seconds ahead of the controller's (behind if negative), on a "
            "FRACTION of the nodes (default all): a Ready pod turns available S seconds late with minReadySeconds",
            field="clock_skew", shown_default="none", label="kubelet clock skew"),
    Setting("not_ready_condition", "cluster.not_ready_condition", k.choice("Unknown", "False"),
            "a NotReady node's Ready condition: Unknown (kubelet gone, unreachable taints) or False",
            field="not_ready_condition", label="NotReady nodes' Ready condition"),
    Setting("node_utilization", "cluster.node_utilization", k.FRACTION,
            "share of each node's allocatable CPU and memory other pods request", field="node_utilization",
            label="node utilization by other pods"),
    Setting("other_pods_priority", "cluster.other_pods_priority", k.PRIORITY,
            "the priority of the other pods (node_utilization): a daemon pod of higher priority that does not "
            "fit preempts them", field="other_pods_priority", label="priority of the other pods"),
    Setting("out_of_service_after", "cluster.out_of_service_after", k.SECONDS,
            "an operator taints each NotReady node node.kubernetes.io/out-of-service:NoExecute S seconds after "
            "it shows NotReady; PodGC then force-deletes its terminating pods", field="out_of_service_after_s",
            shown_default="never", unit="s", label="out-of-service taint after NotReady",
            describe_as="out_of_service_after_s"),
    Setting("add_nodes", "cluster.add_nodes", k.NODE_CHANGES_ADD,
            "N nodes join at second T (spread over D seconds with +D), e.g. 100@60+120; copies of the cluster's "
            "Ready, schedulable workers, each shape (labels, taints, allocatable) in proportion to its count, each "
            "with its own hostname",
            default=()),
    Setting("remove_nodes", "cluster.remove_nodes", k.NODE_CHANGES_REMOVE,
            "N nodes (chosen at random) leave at second T (+D: spread over D s)", default=()),
    Setting("disk_pressure_nodes", "cluster.disk_pressure_nodes", k.DISK_PRESSURE,
            "N nodes (chosen at random) come under disk pressure at second T (+D: spread over D s; 0 for the "
            "start): the kubelet evicts the DaemonSet's pod there and rejects new pods (Evicted), critical ones "
            "(priority at least 2000000000) aside", default=()),
    Setting("disk_pressure_for", "cluster.disk_pressure_for", k.POSITIVE_SECONDS,
            "each node's disk pressure lasts S seconds (the kubelet keeps its DiskPressure condition "
            "eviction_pressure_transition_period longer)", field="disk_pressure_for_s", shown_default="the rest of "
            "the run", unit="s", label="disk pressure lasts", describe_as="disk_pressure_for_s"),
    Setting("eviction_pressure_transition_period", "cluster.eviction_pressure_transition_period", k.SECONDS,
            "the kubelet's evictionPressureTransitionPeriod: how long it keeps a pressure condition after the "
            "pressure is gone", field="eviction_pressure_transition_period_s", unit="s",
            label="eviction pressure transition period", describe_as="eviction_pressure_transition_period_s"),
    Setting("serialize_image_pulls", "cluster.serialize_image_pulls", k.BOOLEAN,
            "the kubelet's serializeImagePulls: each node pulls one image at a time; false "
            "(--no-serialize-image-pulls) pulls side by side, at most max_parallel_image_pulls at once, sharing "
            "the node's bandwidth", field="serialize_image_pulls",
            shown_default="the kubelet's: true, false when maxParallelImagePulls is 2 or more",
            label="serializeImagePulls"),
    Setting("max_parallel_image_pulls", "cluster.max_parallel_image_pulls", k.POSITIVE_INT32,
            "the kubelet's maxParallelImagePulls: at most N pulls at once on a node when pulls are not serialized "
            "(2 or more turns serialize_image_pulls off unless it is given true, which the kubelet refuses)",
            field="max_parallel_image_pulls", shown_default="none: one at a time when serialized, else no limit",
            label="maxParallelImagePulls"),
    # the DaemonSet
    Setting("name", "daemonset.name", k.OBJECT_NAME, "the DaemonSet's name", field="daemonset.name", flag=False,
            per_daemonset=True),
    Setting("namespace", "daemonset.namespace", k.NAMESPACE, "the DaemonSet's namespace", field="daemonset.namespace",
            flag=False, per_daemonset=True),
    Setting("tolerations", "daemonset.tolerations", k.TOLERATIONS, "the pod's tolerations",
            field="daemonset.placement.tolerations", flag=False, per_daemonset=True),
    Setting("host_network", "daemonset.host_network", k.BOOLEAN, "the pod uses the host's network",
            field="daemonset.placement.host_network", flag=False, per_daemonset=True, label="hostNetwork"),
    Setting("allow_no_nodes", "daemonset.allow_no_nodes", k.BOOLEAN,
            "accept a DaemonSet that matches no node (by default an error naming what excluded them)",
            default=False, label="a DaemonSet that matches no node is accepted", per_daemonset=True),
    Setting("requests_cpu", "daemonset.requests_cpu", k.CPU, "the daemon pod's CPU request, e.g. 100m",
            field="daemonset.requests_cpu_millis", shown_default="the manifest's, or 0", unit="millicores",
            label="CPU request", describe_as="requests_cpu_millis", per_daemonset=True),
    Setting("requests_memory", "daemonset.requests_memory", k.MEMORY, "the daemon pod's memory request, e.g. 200Mi",
            field="daemonset.requests_memory_bytes", shown_default="the manifest's, or 0", unit="bytes",
            label="memory request", describe_as="requests_memory_bytes", per_daemonset=True),
    Setting("host_ports", "daemonset.host_ports", k.PORTS, "the daemon pod's host ports, e.g. 9100 or 24224,24220",
            field="daemonset.host_ports", label="host ports", per_daemonset=True),
    Setting("priority", "daemonset.priority", k.PRIORITY,
            "the daemon pod's priority (spec.priority; needed for a PriorityClass other than system-node-critical "
            "and system-cluster-critical)", field="daemonset.priority",
            shown_default="the manifest's priority or built-in priorityClassName, or 0", label="priority",
            per_daemonset=True),
    Setting("preemption_policy", "daemonset.preemption_policy", k.choice(*PREEMPTION_POLICIES),
            "whether the daemon pod may preempt lower-priority pods (spec.preemptionPolicy)",
            field="daemonset.preemption_policy", shown_default="the manifest's, or PreemptLowerPriority",
            label="preemptionPolicy", per_daemonset=True),
    # the update strategy
    Setting("strategy", "strategy.type", k.choice(ROLLING_UPDATE, ON_DELETE), "update strategy",
            field="daemonset.strategy.type", label="update strategy", per_daemonset=True),
    Setting("max_unavailable", "strategy.max_unavailable", k.INT_OR_PERCENT, "int or percent",
            field="daemonset.strategy.max_unavailable", label="maxUnavailable", per_daemonset=True),
    Setting("max_surge", "strategy.max_surge", k.INT_OR_PERCENT, "int or percent",
            field="daemonset.strategy.max_surge", label="maxSurge", per_daemonset=True),
    Setting("min_ready_seconds", "strategy.min_ready_seconds", k.WHOLE_SECONDS, "spec.minReadySeconds",
            field="daemonset.min_ready_seconds", unit="s", label="minReadySeconds", per_daemonset=True),
    # the pods' timings
    _phase("schedule", "bind latency", "scheduling time"),
    _phase("pull", "image pull", "image pull time"),
    _phase("start", "container start", "container start time"),
    _phase("ready", "container start until the app is ready", "app ready time"),
    _phase("terminate", "container shutdown", "shutdown time"),
    Setting("probe_period", "timings.probe_period", k.SECONDS,
            "readiness probe period; 0 = Ready exactly when the app is",
            field="daemonset.readiness_probe.period_seconds",
            unit="s", label="readiness probe period", per_daemonset=True),
    Setting("probe_initial_delay", "timings.probe_initial_delay", k.SECONDS, "readiness probe initialDelaySeconds",
            field="daemonset.readiness_probe.initial_delay_seconds", unit="s", label="readiness probe initial delay",
            per_daemonset=True),
    Setting("termination_grace_period_seconds", "timings.termination_grace_period_seconds", k.SECONDS,
            "caps the shutdown time", field="daemonset.termination_grace_period_seconds", unit="s",
            label="terminationGracePeriodSeconds", per_daemonset=True),
    Setting("victim_termination", "timings.victim_termination", k.DISTRIBUTION,
            "how long the other pods a preempting daemon pod evicts take to go (their graceful termination) "
            "distribution", field="victim_termination", unit="s", label="preemption victims' termination time"),
    # the controller
    Setting("controller", "controller.mode", k.choice(IDEAL, REALISTIC), "controller model", field="controller.mode",
            label="controller model"),
    Setting("workers", "controller.workers", k.POSITIVE_INTEGER,
            "the controller's sync workers (--concurrent-daemonset-syncs)", field="controller.workers",
            label="controller workers"),
    Setting("kube_api_qps", "controller.kube_api_qps", k.POSITIVE_QPS,
            "the controller's API client QPS", field="controller.kube_api_qps", label="API client QPS"),
    Setting("kube_api_burst", "controller.kube_api_burst", k.POSITIVE_INT32, "the controller's API client burst",
            field="controller.kube_api_burst", label="API client burst"),
    Setting("burst_replicas", "controller.burst_replicas", k.POSITIVE_INT32,
            "pods created or deleted per sync at most (BurstReplicas)", field="controller.burst_replicas",
            label="BurstReplicas"),
    Setting("slow_start_initial_batch_size", "controller.slow_start_initial_batch_size", k.POSITIVE_INT32,
            "the first batch of slow-start pod creation", field="controller.slow_start_initial_batch_size",
            label="slow-start initial batch"),
    Setting("expectations_timeout", "controller.expectations_timeout", k.SECONDS,
            "how long the controller waits for watch events it expects", field="controller.expectations_timeout",
            unit="s", label="expectations timeout"),
    Setting("watch_delay", "controller.watch_delay", k.DISTRIBUTION, "informer watch delay distribution",
            field="controller.watch_delay", unit="s", label="informer watch delay"),
    Setting("api_latency", "controller.api_latency", k.DISTRIBUTION, "API call latency distribution",
            field="controller.api_latency", unit="s", label="API call latency"),
    Setting("kubernetes_version", "controller.kubernetes_version", k.Kind(parse_version, {
            "enum": [*SUPPORTED_VERSIONS, *(float(v) for v in SUPPORTED_VERSIONS if v[-1] != "0")],
            "description": "a minor version: " + ", ".join(SUPPORTED_VERSIONS)}, "1.MINOR", SUPPORTED_VERSIONS),
            "the Kubernetes minor version whose controller rules apply (" + ", ".join(SUPPORTED_VERSIONS) + ")",
            field="controller.kubernetes_version", label="Kubernetes version",
            shown_default=f"a live cluster's own version (ds/NAME, --context), else a node list's newest kubelet's "
                          f"where its kubelets rule out {DEFAULT_VERSION}, else {DEFAULT_VERSION}"),
    Setting("queue_dedup", "controller.queue_dedup", k.BOOLEAN,
            "the delaying queue keeps one waiting entry per key, the earliest (client-go)",
            field="controller.queue_dedup", flag=False, label="work queue keeps the earliest AddAfter"),
    Setting("status_requeue", "controller.status_requeue", k.BOOLEAN,
            "the controller's own status write comes back through the informer and enqueues a sync",
            field="controller.status_requeue", flag=False, label="status write enqueues a sync"),
    Setting("whole_second_timestamps", "controller.whole_second_timestamps", k.BOOLEAN,
            "creationTimestamp and lastTransitionTime in whole seconds, as the API serializes them",
            field="controller.whole_second_timestamps", flag=False, label="whole-second API timestamps"),
    Setting("node_watch_delay", "controller.node_watch_delay", k.DISTRIBUTION,
            "the node informer's watch delay distribution", field="controller.node_watch_delay",
            shown_default="the pod informer's", unit="s", label="node informer watch delay"),
    Setting("node_monitor_grace_period", "controller.node_monitor_grace_period", k.GRACE_PERIOD,
            "how long a node whose kubelet stopped stays Ready before the node lifecycle controller sets "
            "Ready=Unknown, a duration such as 50s, 1m30s or 40 (seconds) (realistic mode; more than the kubelet's "
            "10 s heartbeat: with less the real controller marks healthy nodes Unknown between heartbeats)",
            field="controller.node_monitor_grace_period",
            shown_default="the version's: 50 s from v1.32, 40 s before", unit="s",
            label="node monitor grace period"),
    Setting("terminated_pod_gc_threshold", "controller.terminated_pod_gc_threshold", k.COUNT,
            "PodGC deletes terminated (Failed) pods beyond this many in the cluster, evicted ones first, then the "
            "oldest (the kube-controller-manager's --terminated-pod-gc-threshold; 0: never)",
            field="controller.terminated_pod_gc_threshold", label="terminated pod GC threshold"),
    Setting("node_monitor_period", "controller.node_monitor_period", k.POSITIVE_SECONDS,
            "how often the node lifecycle controller checks node heartbeats", field="controller.node_monitor_period",
            unit="s", label="node monitor period"),
    Setting("node_eviction_rate", "controller.node_eviction_rate", k.QPS,
            "nodes per second given the NoExecute not-ready/unreachable taint in a healthy zone",
            field="controller.node_eviction_rate", unit="nodes/s", label="node eviction rate"),
    Setting("secondary_node_eviction_rate", "controller.secondary_node_eviction_rate",
            k.QPS,
            "the same in a partially disrupted zone of a large cluster",
            field="controller.secondary_node_eviction_rate", unit="nodes/s", flag=False,
            label="secondary node eviction rate"),
    Setting("large_cluster_size_threshold", "controller.large_cluster_size_threshold", k.COUNT,
            "zones of at most this many nodes stop NoExecute tainting when partially disrupted",
            field="controller.large_cluster_size_threshold", flag=False, label="large cluster size threshold"),
    Setting("unhealthy_zone_threshold", "controller.unhealthy_zone_threshold", k.FRACTION,
            "share of a zone's nodes not Ready (at least 3) that makes it partially disrupted",
            field="controller.unhealthy_zone_threshold", flag=False, label="unhealthy zone threshold"),
    Setting("deleter", "deleter", k.DELETER, "who deletes old pods under OnDelete", field="deleter",
            label="OnDelete deleter"),
    # faults and limits of the run
    Setting("horizon", "horizon_s", k.HORIZON, "give up after S simulated seconds", field="horizon_s",
            shown_default="30 days", unit="s", label="horizon", describe_as="horizon_s"),
    Setting("new_pods", "faults.new_pods", k.NEW_PODS,
            "a new revision that fails: crashloop, pull-error, never-ready or rejected, optionally :FRACTION",
            field="new_pods", label="new pods"),
    Setting("old_pods_unready", "faults.old_pods_unready", k.OLD_PODS_UNREADY,
            "N old pods (chosen at random among the Ready ones) lose readiness at second T (+D: spread over D s), "
            "e.g. 60@1200: the controller replaces them at once, outside maxUnavailable", default=()),
    Setting("rollback_after", "faults.rollback_after", k.SECONDS,
            "the operator rolls back S seconds after the stall is detected", field="rollback_after_s",
            shown_default="never", unit="s", label="rollback after a stall", describe_as="rollback_after_s"),
    Setting("stall_after", "stall_after_s", k.POSITIVE_SECONDS,
            "a rollout with no progress for S seconds is stalled and the run ends", field="stall_after_s", unit="s",
            label="stalled after no progress for", describe_as="stall_after_s"),
    # image pulls and the scheduler
    Setting("image_size", "image.size", k.SIZE, "the new image's size, e.g. 300MB: pulls then share the registry's "
            "bandwidth", field="image.size_bytes", unit="bytes", label="image size", describe_as="image_size_bytes",
            per_daemonset=True),
    Setting("image_cached", "image.cached", k.FRACTION, "fraction of nodes that already have the new image",
            field="image.cached", label="nodes with the image cached (fraction)", per_daemonset=True),
    Setting("image_pull_policy", "image.pull_policy", k.choice(IF_NOT_PRESENT, ALWAYS), "the kubelet's imagePullPolicy",
            field="image.pull_policy", label="imagePullPolicy", per_daemonset=True),
    Setting("node_bandwidth", "image.node_bandwidth", k.RATE, "each node's download bandwidth, e.g. 100MB/s",
            field="image.node_bandwidth", shown_default="unlimited", unit="bytes/s", label="node bandwidth",
            per_daemonset=True),
    Setting("registry_bandwidth", "registry.bandwidth", k.RATE, "the registry's total bandwidth, e.g. 1GB/s",
            field="registry.bandwidth", shown_default="unlimited", unit="bytes/s", label="registry bandwidth"),
    Setting("registry_pull_rate", "registry.pull_rate", k.PULL_RATE,
            "pulls the registry admits per second, e.g. 10/s (a plain 10 is per second too), or per a duration, "
            "e.g. 100/6h",
            field="registry.pull_rate", shown_default="unlimited",
            unit="pulls/s", label="registry pull rate"),
    Setting("registry_pull_burst", "registry.pull_burst", k.POSITIVE_INTEGER,
            "requests the registry admits at once before its pull rate applies (its token bucket's size), "
            "e.g. 100 with --registry-pull-rate 100/6h", field="registry.pull_burst",
            shown_default="max(1, pull rate)", unit="pulls", label="registry pull burst"),
    Setting("registry_pull_window", "registry.pull_window", k.PULL_WINDOW,
            "at most N requests in any rolling window of a duration, e.g. 100/6h (Docker Hub's anonymous limit): "
            "a count per window instead of --registry-pull-rate's token bucket", field="registry.pull_window",
            shown_default="none", label="registry pull window (requests/duration)"),
    Setting("registry_latency", "registry.latency", k.SECONDS, "the registry's fixed latency per pull",
            field="registry.latency", unit="s", label="registry latency"),
    Setting("registry_over_limit", "registry.over_limit", k.choice(*OVER_LIMIT),
            "what the registry does with a request over its pull rate or window: queue (it waits for a token or "
            "its place in the window) or reject "
            "(429 Too Many Requests: ErrImagePull, then the kubelet's image pull back-off, as Docker Hub)",
            field="registry.over_limit", label="registry over its limit"),
    Setting("registry_error_rate", "registry.error_rate", k.PROBABILITY,
            "the probability that a request the registry serves fails part way (a 5xx, a timeout, a reset "
            "connection: ErrImagePull, then the kubelet's image pull back-off)",
            field="registry.error_rate", label="registry error rate"),
    Setting("scheduler_throughput", "scheduler.throughput", k.PULL_RATE,
            "pods the scheduler binds per second, e.g. 100/s", field="scheduler_throughput",
            shown_default="unlimited", unit="pods/s", label="scheduler throughput"),
)


_EXAMPLE = "{name: calico-node, ready: 5}"


def _workload_items(value: Any) -> tuple[Any, ...]:
    """Other DaemonSets updated at the same time: a list of mappings of the per-DaemonSet settings.

    Only the shape is checked here; ``build_scenario`` builds (and checks) each one.
    """
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"must be a list of DaemonSets, each a mapping such as {_EXAMPLE}")
    check_limit("daemonsets", 1 + len(value))
    for i, item in enumerate(value):
        if isinstance(item, Workload):
            continue
        if not isinstance(item, Mapping):
            rule = f"must be a mapping such as {_EXAMPLE}, got {describe(item)}"
            raise k.ItemError(f"item {i} {rule}", f"[{i}]", rule)
        unknown = sorted(set(item) - {*WORKLOAD_OPTIONS, "daemonset_spec", "manifest"}, key=str)
        if unknown:  # before the missing name: a misspelt name is named as such
            hint = split_spec_hint(unknown[0], item)
            rule = k.unknown_keys(unknown) + (f"; {hint}" if hint else _guess(unknown[0]))
            raise k.ItemError(f"item {i}: {rule}", f"[{i}].{unknown[0]}", rule)
        if "name" not in item:
            rule = f"has no name: each DaemonSet needs one, such as {_EXAMPLE}"
            raise k.ItemError(f"item {i} {rule}", f"[{i}]", rule)
        if item["name"] is None:  # null would mean "the default" to build_scenario: a name no one wrote
            rule = "must be a non-empty string, got null"
            raise k.ItemError(f"item {i}: name: {rule}", f"[{i}].name", rule)
        if "manifest" in item:  # an experiment file's item: its loader reads the file into daemonset_spec
            rule = ("a manifest is read where an experiment file is loaded; from Python, read it with "
                    "rollsim.load_daemonset and give it as daemonset_spec")
            raise k.ItemError(f"item {i}: manifest: {rule}", f"[{i}].manifest", rule)
    return tuple(value)


def _guess(key: object) -> str:
    """``; did you mean max_unavailable?`` for a misspelt key of a DaemonSet in ``also``, else where
    the keys are listed.
    """
    if key == "daemonset":  # the first thing a user with a manifest of several DaemonSets tries
        return ("; an also: item takes the DaemonSet's settings as keys (max_unavailable, ...), and its manifest "
                "as manifest")
    close = difflib.get_close_matches(str(key), WORKLOAD_OPTIONS, n=1)
    return f"; did you mean {close[0]}?" if close else " (the keys: rollsim schema, under $defs.also)"


WORKLOAD_OPTIONS = tuple(s.name for s in _OWN if s.per_daemonset)
# an experiment file's also: item may name its manifest, read when the file is loaded (rollsim.sweep.also_manifests)
_ALSO_MANIFEST = {"type": "string", "minLength": 1,
                  "description": "the DaemonSet's manifest (a path relative to the experiment file): its placement "
                                 "(nodeSelector, affinity, tolerations), requests, host ports, priority and strategy, "
                                 "which the item's other keys override; name picks the DaemonSet"}
_ALSO = Kind(_workload_items, {"type": "array", "items": {
    "type": "object", "required": ["name"], "additionalProperties": False,
    "properties": {**{s.name: {**s.kind.schema, "description": s.help} for s in _OWN if s.per_daemonset},
                   "manifest": _ALSO_MANIFEST}}})
SETTINGS: tuple[Setting, ...] = (*_OWN, Setting(
    "also", "also", _ALSO, "other DaemonSets updated at the same time, each a mapping of "
    + ", ".join(WORKLOAD_OPTIONS), field="also", flag=False, label="DaemonSets updated at the same time"))
BY_NAME = {s.name: s for s in SETTINGS}
BY_KEY = {s.key: s for s in SETTINGS}
BY_FIELD = {s.field: s for s in SETTINGS if s.field is not None}
BY_DESCRIPTION = {s.description_key: s for s in SETTINGS}  # a scenario description's key -> its setting
# the settings whose label is the Kubernetes field itself (maxSurge), which prose writes so
KUBERNETES_FIELDS = ("max_unavailable", "max_surge", "min_ready_seconds")


def spelled(name: str) -> str:
    """A setting's name as prose writes it: the Kubernetes field for the strategy's budgets and
    minReadySeconds (``maxSurge``), else the name itself (``image_size``).
    """
    return BY_NAME[name].label if name in KUBERNETES_FIELDS else name
