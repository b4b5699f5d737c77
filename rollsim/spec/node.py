"""Nodes, taints, tolerations and a DaemonSet's placement, as data.

Models the scheduling-relevant slice of the Kubernetes API: node labels, taints and
conditions, pod tolerations, ``nodeSelector`` and required node affinity (validated as the
API server validates them), and the NotReady and unreachable nodes the node lifecycle
controller taints. The DaemonSet controller's decision of which nodes should run a daemon
pod (``NodeShouldRunDaemonPod``) is ``rollsim.spec.eligibility``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from rollsim.spec.labelmap import HOSTNAME_LABEL, frozen_map
from rollsim.spec.labelsyntax import label_key_problem
from rollsim.spec.quantity import is_ascii_digits

__all__ = [
    "CONTROL_PLANE_LABEL", "FIELD_NODE_NAME", "NODE_SELECTOR_OPERATORS", "NO_EXECUTE", "NO_SCHEDULE",
    "PREFER_NO_SCHEDULE", "Node", "NodeSelectorRequirement",
    "NodeSelectorTerm", "PodPlacement", "Taint", "Toleration", "control_plane_node", "kubelet_labels",
    "parse_int64", "uniform_nodes", "not_ready_node", "ready_node", "NOT_READY_TAINTS", "unreachable_node",
    "UNREACHABLE_TAINTS", "kubelet_alive", "condition_taint_key", "gives_allocatable",
]

NO_SCHEDULE = "NoSchedule"
PREFER_NO_SCHEDULE = "PreferNoSchedule"
NO_EXECUTE = "NoExecute"
_EFFECTS = frozenset({NO_SCHEDULE, PREFER_NO_SCHEDULE, NO_EXECUTE})
NODE_SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt")
FIELD_NODE_NAME = "metadata.name"  # the one key of a node field selector (nodeFieldSelectorValidators)
CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane"


def _freeze(obj: object, name: str, values: object, kind: type) -> None:
    """Store ``values`` on the frozen ``obj`` as a tuple of ``kind``, rejecting bare strings."""
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise ValueError(f"{name} must be a sequence of {kind.__name__}, got {values!r}")
    items = tuple(values)
    for item in items:
        if not isinstance(item, kind):
            raise ValueError(f"{name} must contain only {kind.__name__}, got {item!r}")
    object.__setattr__(obj, name, items)


def parse_int64(text: str) -> int | None:
    """Mirrors ``strconv.ParseInt(text, 10, 64)``: an int64, or None on a parse error."""
    if not is_ascii_digits(text[1:] if text[:1] in ("+", "-") else text):
        return None
    value = int(text)
    return value if -(2**63) <= value < 2**63 else None


@dataclass(frozen=True, slots=True)
class Taint:
    """A node taint (``v1.Taint``); effect NoSchedule, PreferNoSchedule or NoExecute."""

    key: str
    value: str = ""
    effect: str = NO_SCHEDULE

    def __post_init__(self) -> None:
        if not self.key:
            raise ValueError("taint key must not be empty")
        if self.effect not in _EFFECTS:
            raise ValueError(f"taint effect must be one of {sorted(_EFFECTS)}, got {self.effect!r}")


@dataclass(frozen=True, slots=True)
class Toleration:
    """A pod toleration (``v1.Toleration``), validated as by ``ValidateTolerations``.

    An empty ``effect`` matches every effect; an empty ``key`` (only with ``Exists``)
    matches every key. An empty operator is accepted and means ``Equal``, as in the API.
    """

    key: str = ""
    operator: str = "Equal"
    value: str = ""
    effect: str = ""

    def __post_init__(self) -> None:
        if self.operator == "":
            object.__setattr__(self, "operator", "Equal")
        if self.operator not in ("Equal", "Exists"):
            raise ValueError(f"toleration operator must be Equal or Exists, got {self.operator!r}")
        if self.operator == "Exists" and self.value:
            raise ValueError(f"toleration value must be empty when operator is Exists, got {self.value!r}")
        if not self.key and self.operator != "Exists":
            raise ValueError("toleration with an empty key must use operator Exists")
        if self.key and (problem := label_key_problem(self.key)):  # ValidateLabelName
            raise ValueError(f"toleration key: {problem}")
        if self.effect and self.effect not in _EFFECTS:
            raise ValueError(f"toleration effect must be empty or one of {sorted(_EFFECTS)}, got {self.effect!r}")

    def tolerates(self, taint: Taint) -> bool:
        """Mirrors ``Toleration.ToleratesTaint`` in k8s.io/api/core/v1/toleration.go."""
        if self.effect and self.effect != taint.effect:
            return False
        if self.key and self.key != taint.key:
            return False
        return self.operator == "Exists" or self.value == taint.value


@dataclass(frozen=True, slots=True)
class NodeSelectorRequirement:
    """One ``matchExpressions``/``matchFields`` entry, validated as by ``labels.NewRequirement``."""

    key: str
    operator: str
    values: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _freeze(self, "values", self.values, str)
        if not self.key:
            raise ValueError("node selector requirement key must not be empty")
        op, n = self.operator, len(self.values)
        if op not in NODE_SELECTOR_OPERATORS:
            raise ValueError(f"node selector operator must be one of {', '.join(NODE_SELECTOR_OPERATORS)}, got {op!r}")
        if op in ("In", "NotIn") and n == 0:
            raise ValueError(f"operator {op} needs at least one value (key {self.key!r})")
        if op in ("Exists", "DoesNotExist") and n:
            raise ValueError(f"operator {op} takes no values, got {list(self.values)} (key {self.key!r})")
        if op in ("Gt", "Lt") and (n != 1 or parse_int64(self.values[0]) is None):
            raise ValueError(f"operator {op} needs exactly one integer value, got {list(self.values)}")


@dataclass(frozen=True, slots=True)
class NodeSelectorTerm:
    """A ``NodeSelectorTerm``: its requirements are ANDed; with none at all it matches nothing.

    ``match_fields`` supports only ``metadata.name`` with ``In``/``NotIn`` and one value,
    as ``ValidateNodeFieldSelectorRequirement`` requires.
    """

    match_expressions: tuple[NodeSelectorRequirement, ...] = ()
    match_fields: tuple[NodeSelectorRequirement, ...] = ()

    def __post_init__(self) -> None:
        _freeze(self, "match_expressions", self.match_expressions, NodeSelectorRequirement)
        _freeze(self, "match_fields", self.match_fields, NodeSelectorRequirement)
        for req in self.match_fields:
            if req.key != FIELD_NODE_NAME:
                raise ValueError(f"matchFields key must be {FIELD_NODE_NAME!r}, got {req.key!r}")
            if req.operator not in ("In", "NotIn") or len(req.values) != 1:
                raise ValueError(f"matchFields needs operator In or NotIn with one value, got {req.operator} "
                                 f"{list(req.values)}")


@dataclass(frozen=True, slots=True)
class Node:
    """A node: name, labels, taints, and status that eligibility deliberately ignores.

    ``allocatable_cpu_millis`` and ``allocatable_memory_bytes`` are ``status.allocatable``
    (``None``: unknown, never a constraint); the scheduler, not the controller, uses them.
    ``disk_pressure`` and ``pid_pressure`` are its DiskPressure and PIDPressure conditions as listed
    (True): under either, its kubelet's eviction manager rejects new pods that are not critical
    (``rollsim.cluster.eviction``; ``Admit`` rejects every such pod under any condition but
    MemoryPressure alone). ``kubelet_version`` is what a node list says its kubelet runs: it bounds
    the cluster's version (``rollsim.spec.versions.kubelet_skew``) and takes no part in a run.
    """

    name: str
    labels: Mapping[str, str] = field(default_factory=dict)
    taints: tuple[Taint, ...] = ()
    ready: bool = True
    unschedulable: bool = False
    allocatable_cpu_millis: int | None = None
    allocatable_memory_bytes: int | None = None
    disk_pressure: bool = False
    pid_pressure: bool = False
    kubelet_version: str | None = field(default=None, compare=False)  # status.nodeInfo.kubeletVersion, if listed

    @property
    def ready_condition(self) -> str:
        """Its Ready condition as a node list gives it: ``True``; else ``False`` (the kubelet posts it:
        the lifecycle controller's ``not-ready`` taint) or ``Unknown`` (it stopped posting: ``unreachable``).
        """
        if self.ready:
            return "True"
        return "False" if kubelet_alive(self) else "Unknown"

    @property
    def rejects_pods(self) -> bool:
        """Whether its kubelet's eviction manager rejects new pods that are not critical (listed with
        DiskPressure or PIDPressure: ``Admit``).
        """
        return self.disk_pressure or self.pid_pressure

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("node name must not be empty")
        for name in ("allocatable_cpu_millis", "allocatable_memory_bytes"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise ValueError(f"{name} must be a non-negative integer or None, got {value!r}")
        object.__setattr__(self, "labels", frozen_map(self.labels, "node labels"))
        _freeze(self, "taints", self.taints, Taint)
        if len({(t.key, t.effect) for t in self.taints}) != len(self.taints):
            raise ValueError(f"taints must be unique by key and effect on node {self.name!r}")


@dataclass(frozen=True, slots=True)
class PodPlacement:
    """The scheduling-relevant part of a DaemonSet pod template.

    ``required_node_affinity`` holds the ORed ``nodeSelectorTerms`` of
    ``requiredDuringSchedulingIgnoredDuringExecution``; empty means no constraint.
    ``node_name`` is the template's ``spec.nodeName``.
    """

    node_selector: Mapping[str, str] = field(default_factory=dict)
    required_node_affinity: tuple[NodeSelectorTerm, ...] = ()
    tolerations: tuple[Toleration, ...] = ()
    host_network: bool = False
    node_name: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "node_selector", frozen_map(self.node_selector, "node_selector"))
        _freeze(self, "required_node_affinity", self.required_node_affinity, NodeSelectorTerm)
        _freeze(self, "tolerations", self.tolerations, Toleration)


def kubelet_labels(name: str, os: str = "linux", arch: str = "amd64") -> dict[str, str]:
    """The labels a kubelet sets on its Node (``kubernetes.io/os``, ``kubernetes.io/arch``,
    ``kubernetes.io/hostname``: ``pkg/kubelet/kubelet_node_status.go``), so that the
    everyday node selectors (``kubernetes.io/os: linux``) match synthetic nodes.
    """
    return {"kubernetes.io/arch": arch, HOSTNAME_LABEL: name, "kubernetes.io/os": os}


def control_plane_node(name: str) -> Node:
    """A control-plane node labelled and tainted (NoSchedule) the way kubeadm does it."""
    return Node(name, {**kubelet_labels(name), CONTROL_PLANE_LABEL: ""},
                (Taint(CONTROL_PLANE_LABEL, "", NO_SCHEDULE),))


NOT_READY_TAINTS = (
    Taint("node.kubernetes.io/not-ready", "", NO_EXECUTE),
    Taint("node.kubernetes.io/not-ready", "", NO_SCHEDULE),
)


UNREACHABLE_TAINTS = (
    Taint("node.kubernetes.io/unreachable", "", NO_EXECUTE),
    Taint("node.kubernetes.io/unreachable", "", NO_SCHEDULE),
)
_CONDITION_TAINT_KEYS = (NOT_READY_TAINTS[0].key, UNREACHABLE_TAINTS[0].key)


def condition_taint_key(condition: str) -> str:
    """The key of the taints the node lifecycle controller gives a node whose Ready condition is
    ``condition``: ``not-ready`` for False (its kubelet posts it), ``unreachable`` for Unknown.
    """
    return (NOT_READY_TAINTS if condition == "False" else UNREACHABLE_TAINTS)[0].key


def _with_condition_taints(node: Node, taints: tuple[Taint, ...]) -> Node:
    kept = tuple(t for t in node.taints if t.key not in _CONDITION_TAINT_KEYS)
    return replace(node, ready=not taints, taints=kept + taints)


def not_ready_node(node: Node) -> Node:
    """``node`` reporting Ready=False (its kubelet alive: container runtime or network plugin
    down): the node lifecycle controller's ``not-ready`` taints (NoExecute, which DaemonSet pods
    tolerate, and NoSchedule, which they do not: ``TaintNodesByCondition``).
    """
    return _with_condition_taints(node, NOT_READY_TAINTS)


def unreachable_node(node: Node) -> Node:
    """``node`` whose kubelet stopped posting status: after ``--node-monitor-grace-period`` the
    node lifecycle controller sets Ready=Unknown and the ``unreachable`` taints (NoExecute,
    tolerated by DaemonSet pods; NoSchedule, not). kubectl shows it NotReady too.
    """
    return _with_condition_taints(node, UNREACHABLE_TAINTS)


def ready_node(node: Node) -> Node:
    """``node`` as it was before it went NotReady or unreachable (the condition taints removed)."""
    return _with_condition_taints(node, ())


def kubelet_alive(node: Node) -> bool:
    """Whether the node's kubelet still acts: Ready, or reporting Ready=False itself. On an
    unreachable node (Ready=Unknown) nothing confirms a pod's deletion, so it stays terminating.
    """
    return node.ready or not any(t.key == UNREACHABLE_TAINTS[0].key for t in node.taints)


def gives_allocatable(nodes: Iterable[Node]) -> bool:
    """Whether some node gives allocatable cpu or memory: only then are pods fitted to nodes (nodes of
    a count, and node lists without ``status.allocatable``, give none: every pod fits).
    """
    return any(n.allocatable_cpu_millis is not None or n.allocatable_memory_bytes is not None for n in nodes)


def uniform_nodes(count: int, prefix: str = "node-") -> tuple[Node, ...]:
    """``count`` ready, untainted worker nodes named ``prefix`` + a zero-padded index, with the
    kubelet's labels (``kubelet_labels``) and no role label (kubeadm sets none on workers).
    """
    if int(count) != count or count < 0:
        raise ValueError(f"node count must be a non-negative integer, got {count!r}")
    width = max(1, len(str(count - 1)))
    names = (f"{prefix}{i:0{width}d}" for i in range(int(count)))
    return tuple(Node(name, kubelet_labels(name)) for name in names)
