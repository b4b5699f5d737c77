"""Nodes that come, go and fail during a rollout: ``--add-nodes N@T[+D]``,
``--remove-nodes N@T[+D]``, ``--not-ready-nodes N@T[+D]``; old pods that lose readiness,
``--old-pods-unready N@T[+D]``; and nodes under disk pressure, ``--disk-pressure-nodes N@T[+D]``.

``N@T`` changes N nodes at simulated second T; ``N@T+D`` spreads them evenly over the D
seconds from T (a scale-out: ``100@60+120`` adds 100 nodes between 1 and 3 minutes).

* An added node registers as a kubelet registers its Node (``initialNode`` in
  ``pkg/kubelet/kubelet_node_status.go``): Ready, with ``kubernetes.io/os``, ``kubernetes.io/arch``
  and ``kubernetes.io/hostname`` (its own name, ``added-00001``, ...). It copies a node of the
  cluster, as a cluster autoscaler's scale-up adds nodes of the node groups there: the shapes
  (``join_shapes``: labels other than the hostname, taints, allocatable) of the Ready, schedulable
  worker nodes (no control-plane role label, no NoSchedule or NoExecute taint; among all Ready,
  schedulable nodes if there is none) of the list, pools or ``--nodes``, each in proportion to
  its count there (``join_templates``: 6, 3 and 1 nodes of three zones, so 10 nodes that join
  are 6, 3 and 1 of them). The k-th node that joins copies the same shape whatever the seed and
  however many join, the most common shape first (the first in list order on a tie). It takes
  the shape's labels (os and arch included), its taints but the NotReady ones, and its
  allocatable cpu and memory; with no node at all, the kubelet's labels alone (linux, amd64).
  The controller sees it and creates its pod at once, outside the maxUnavailable/maxSurge
  budget (``manage``), if the DaemonSet should run there, and it raises ``desired`` and with it
  any percentage budget.
* A removed node leaves the node list at once: ``desired`` falls. Its kubelet is gone, so
  its pods stay until the pod garbage collector force-deletes them: PodGC runs every 20 s
  and deletes pods bound to a missing node once they are 40 s past quarantine
  (``pkg/controller/podgc``). Until then the controller still counts them (rollingUpdate
  iterates every node that has pods). Removed nodes are chosen at random among the nodes
  that exist at that moment.
* A node that goes NotReady loses its kubelet at T: nothing it was starting completes, and
  on an unreachable node (Ready=Unknown, the default) nothing it was shutting down either, so
  a pod deleted there stays terminating and blocks its replacement. The API shows it later,
  as the node lifecycle controller and the kubelet would (``rollsim.spec.lifecycle``): Ready
  stays True for the grace period (``--node-monitor-grace-period``, 50 s) while the controller
  may still delete the node's pod; then Ready=Unknown, its pods marked not Ready, and the
  ``unreachable`` taints (NoSchedule, which DaemonSet pods do not tolerate: the node keeps its
  pod but leaves ``desired``; NoExecute, which they do). Ready=False is posted by the kubelet
  within 10 s, with the ``not-ready`` taints, and its pods keep their readiness. In ideal
  mode all of it happens at T.
* An old pod that loses readiness (``old-pods-unready``) is a Ready pod of the study's own
  DaemonSet still on an old revision, chosen at random at T among those not being deleted: its
  readiness probe starts failing and it stays Running, not Ready (a CNI agent that loses its
  datastore, kubernetes/kubernetes#111073). ``rollingUpdate`` replaces an old pod that is not
  available at once, outside maxUnavailable (without surge it deletes it; with surge it creates
  its new pod beside it), so many of them at once are replaced all at once. None left: nothing.
* A node under disk pressure (``disk-pressure``) is a present node whose kubelet still runs,
  chosen at random at T among those not already under pressure: its eviction manager finds the
  ``nodefs`` threshold met and keeps the DiskPressure condition until the pressure has been gone
  for ``evictionPressureTransitionPeriod`` (``rollsim.cluster.eviction``). It changes no node the
  controller counts: every DaemonSet pod tolerates the ``disk-pressure:NoSchedule`` taint.
"""

from __future__ import annotations

import heapq
import re
from collections import Counter
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass, replace

from rollsim.spec.duration import format_duration
from rollsim.spec.labelmap import HOSTNAME_LABEL
from rollsim.spec.node import Node, kubelet_labels, ready_node
from rollsim.spec.quoting import written

__all__ = ["pressure_held", "NodeChange", "parse_node_change", "described_change", "change_times", "change_kinds",
           "moves_nodes", "join_shapes", "join_order", "join_templates", "joining_node", "joined_name", "added_nodes",
           "nodes_that_join", "joining_nodes", "NODE_CHANGE_KINDS", "PODGC_PERIOD_S", "PODGC_QUARANTINE_S"]

NODE_CHANGE_KINDS = ("add", "remove", "not-ready", "old-pods-unready", "disk-pressure")
# the kinds that change no node the controllers count: the desired count stays
_KEEP_NODES = frozenset({"old-pods-unready", "disk-pressure"})
PODGC_PERIOD_S = 20.0
PODGC_QUARANTINE_S = 40.0
_SPEC = re.compile(r"(\d+)@([0-9]*\.?[0-9]+)(?:\+([0-9]*\.?[0-9]+))?", re.ASCII)  # \d: ASCII digits only


@dataclass(frozen=True, slots=True)
class NodeChange:
    """``count`` nodes added (``kind='add'``), removed, failed (``not-ready``), whose old pod loses
    readiness (``old-pods-unready``) or under disk pressure (``disk-pressure``) from ``at`` seconds,
    spread over ``over``.
    """

    kind: str
    count: int
    at: float
    over: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in NODE_CHANGE_KINDS:
            raise ValueError(f"a node change is {', '.join(NODE_CHANGE_KINDS[:-1])} or {NODE_CHANGE_KINDS[-1]}, "
                             f"got {self.kind!r}")
        if self.count < 1 or self.at < 0 or self.over < 0:
            raise ValueError(f"a node change needs a positive count and non-negative times, got {self}")

    def __str__(self) -> str:
        return f"{self.count}@{self.at:g}" + (f"+{self.over:g}" if self.over else "")

    def words(self) -> str:
        """The change as a person says it: ``3 nodes under disk pressure from the start``, ``100 nodes
        added from 1m00s to 3m00s``, ``20 nodes NotReady from 5m00s``, ``100 nodes removed at 1m00s``,
        ``20 nodes going NotReady between 5m00s and 7m00s`` (``3@0`` and ``20@300+120`` say them to
        rollsim): a state that lasts holds "from" its moment, or is entered "between" two.
        """
        nodes = f"{self.count:,} node{'' if self.count == 1 else 's'}"
        what = {"add": f"{nodes} added", "remove": f"{nodes} removed", "not-ready": f"{nodes} NotReady",
                "old-pods-unready": f"old pods unready on {nodes}",
                "disk-pressure": f"{nodes} under disk pressure"}[self.kind]
        start = "the start" if self.at == 0 else format_duration(self.at)
        if self.over and self.kind in ("add", "remove"):  # nodes that come and go one after the other
            return f"{what} from {format_duration(self.at)} to {format_duration(self.at + self.over)}"
        if self.over:  # a state the nodes enter one after the other, and keep (audit 20: "from T to T+D" read
            # as an outage that ended)
            becoming = {"not-ready": f"{nodes} going NotReady", "old-pods-unready": f"old pods losing readiness "
                        f"on {nodes}", "disk-pressure": f"{nodes} coming under disk pressure"}[self.kind]
            return f"{becoming} between {start} and {format_duration(self.at + self.over)}"
        when = "at" if self.kind in ("add", "remove") else "from"
        return f"{what} {when} {start}"


def parse_node_change(kind: str, spec: str | NodeChange) -> NodeChange:
    """Parse ``N@T`` or ``N@T+D``."""
    if isinstance(spec, NodeChange):
        return spec
    m = _SPEC.fullmatch(str(spec).strip())
    if not m:
        raise ValueError(f"must be N@T or N@T+D (N nodes at second T, spread over D seconds), got {written(spec)}")
    return NodeChange(kind, int(m.group(1)), float(m.group(2)), float(m.group(3) or 0))


def change_times(change: NodeChange) -> list[float]:
    """When each of the ``count`` nodes changes: all at ``at``, or evenly over ``over``."""
    if change.over == 0 or change.count == 1:
        return [change.at] * change.count
    step = change.over / (change.count - 1)
    return [change.at + i * step for i in range(change.count)]


def _shape(node: Node) -> Hashable:
    """What a node added like ``node`` copies of it: labels but the hostname, taints (but the
    NotReady ones), allocatable.
    """
    labels = tuple(sorted((k, v) for k, v in node.labels.items() if k != HOSTNAME_LABEL))
    return labels, ready_node(node).taints, node.allocatable_cpu_millis, node.allocatable_memory_bytes


_CONTROL_PLANE_ROLES = ("node-role.kubernetes.io/control-plane", "node-role.kubernetes.io/master")


def _worker(node: Node) -> bool:
    """A node of the kind a scale-out adds: no control-plane role label, and no taint that keeps
    pods off (NoSchedule or NoExecute; the NotReady ones aside, which a joining node does not have).
    """
    return (not any(role in node.labels for role in _CONTROL_PLANE_ROLES)
            and all(t.effect == "PreferNoSchedule" for t in ready_node(node).taints))


def join_shapes(nodes: Sequence[Node]) -> tuple[tuple[Node, int], ...]:
    """The shapes nodes that join copy, each as its first node in list order with how many nodes
    have it: those of the Ready, schedulable worker ``nodes`` (no control-plane role, no NoSchedule
    or NoExecute taint), else of the Ready, schedulable ones, else of all; the most common first,
    list order on a tie (where every node's shape differs, as allocatable memory differs by a few
    Ki between machines of one type, every worker in list order); empty with no node.
    """
    ready = [n for n in nodes if n.ready and not n.unschedulable]
    candidates = [n for n in ready if _worker(n)] or ready or list(nodes)
    first: dict[Hashable, Node] = {}
    counts: Counter[Hashable] = Counter()
    for node in candidates:
        shape = _shape(node)
        first.setdefault(shape, node)
        counts[shape] += 1
    order = sorted(counts, key=lambda shape: -counts[shape])  # sorted is stable: list order on a tie
    return tuple((first[shape], counts[shape]) for shape in order)


def join_order(weights: Sequence[int], count: int) -> list[int]:
    """Which of the shapes (of ``weights`` nodes each, the most common first) each of the first
    ``count`` nodes that join copies: the shape of highest ``weight / (2 * joined + 1)`` (the
    Sainte-Laguë divisor sequence), the first on a tie. So every prefix is as near proportional
    as whole nodes can be, the k-th node's shape does not depend on ``count``, and a multiple of
    the weights' total joins exactly in their proportions (6/3/1: 10 nodes are 6, 3 and 1).
    """
    if len(weights) <= 1:
        return [0] * count if weights else []
    # float keys are exact here: two different ratios w / (2j + 1), w and j below 10**7, differ by more than
    # 1 part in 2 * 10**14, far beyond a division's rounding (1 in 9 * 10**15); equal ratios round alike
    heap = [(-float(weight), i, 0) for i, weight in enumerate(weights)]
    heapq.heapify(heap)
    order = []
    for _ in range(count):
        _, i, joined = heapq.heappop(heap)
        order.append(i)
        heapq.heappush(heap, (-weights[i] / (2 * joined + 3), i, joined + 1))
    return order


def join_templates(nodes: Sequence[Node], count: int) -> tuple[Node | None, ...]:
    """The node each of the first ``count`` nodes that join copies: the shapes of ``join_shapes``
    in proportion to their counts (``join_order``), as a cluster autoscaler's scale-up adds nodes
    of the node groups there; ``None`` (the kubelet's labels alone) with no node.
    """
    shapes = join_shapes(nodes)
    if not shapes:
        return (None,) * count
    return tuple(shapes[i][0] for i in join_order([weight for _, weight in shapes], count))


def nodes_that_join(nodes: Sequence[Node], count: int) -> tuple[tuple[Node, int], ...]:
    """The ``count`` nodes that join a cluster of ``nodes`` (``add_nodes``) by shape: the first of
    each shape to join (``joining_node``, named as it will be) and how many join as it, in joining
    order (``join_templates``); one stands for all of its shape, as they differ only in name (the
    words of a check that asks each of them: ``joining_nodes``).
    """
    templates = join_templates(nodes, count)
    counts = Counter(map(id, templates))
    first: dict[int, tuple[int, Node | None]] = {}
    for k, template in enumerate(templates):
        first.setdefault(id(template), (k, template))
    return tuple((joining_node(template, joined_name(k)), counts[key]) for key, (k, template) in first.items())


def joining_nodes(nodes: Sequence[Node], count: int) -> Iterator[Node]:
    """Each of the ``count`` nodes that join a cluster of ``nodes``, in joining order, as it joins
    (made as they are asked for: a search for one that runs a DaemonSet stops at the first). Where a
    placement reads a node's name (a ``kubernetes.io/hostname`` selector, a ``metadata.name``
    field) the nodes of one shape differ, so ``nodes_that_join`` cannot stand for them.
    """
    return (joining_node(template, joined_name(k)) for k, template in enumerate(join_templates(nodes, count)))


def joined_name(k: int) -> str:
    """The name of the ``k``-th node that joins (from 0): ``added-00001`` first."""
    return f"added-{k + 1:05d}"


def pressure_held(pressure_for: float, transition: float) -> str:
    """How long a node's DiskPressure condition holds, in words: the pressure's ``pressure_for``
    seconds and the kubelet's ``evictionPressureTransitionPeriod`` (``transition``) after it.
    """
    if not transition:
        return format_duration(pressure_for)
    return (f"{format_duration(pressure_for + transition)} (the pressure's {format_duration(pressure_for)} and the "
            f"kubelet's evictionPressureTransitionPeriod, {format_duration(transition)})")


def described_change(change: object) -> NodeChange:
    """A ``NodeChange`` as a scenario description writes it (``add 5@60``: its kind, then its text),
    read back; a ``NodeChange`` as it is.
    """
    if isinstance(change, NodeChange):
        return change
    kind, _, spec = str(change).partition(" ")
    return parse_node_change(kind, spec)


def change_kinds(changes: Sequence[object]) -> set[str]:
    """The kinds of ``changes``: ``NodeChange``s, or a scenario description's texts (``described_change``)."""
    return {described_change(c).kind for c in changes}


def moves_nodes(changes: Sequence[object]) -> bool:
    """Whether ``changes`` (as ``change_kinds`` reads them) change the nodes, and with them the
    desired count: a node added, removed or NotReady; an old pod that loses readiness
    (``old-pods-unready``) or a node under disk pressure (``disk-pressure``, a taint every
    DaemonSet pod tolerates) changes none.
    """
    return bool(change_kinds(changes) - _KEEP_NODES)


def added_nodes(changes: Sequence[NodeChange]) -> int:
    """How many nodes join during the run: the counts of the ``add`` changes."""
    return sum(change.count for change in changes if change.kind == "add")


def joining_node(template: Node | None, name: str) -> Node:
    """A node named ``name`` that joins the cluster: the kubelet's labels (``kubelet_labels``:
    os, arch, hostname ``name``) under the ``template``'s labels, taints and allocatable, Ready
    and schedulable, with no pressure condition (``initialNode``; ``registerWithTaints`` are the
    template's taints).
    """
    if template is None:
        return Node(name, kubelet_labels(name))
    labels = {**kubelet_labels(name), **template.labels, HOSTNAME_LABEL: name}
    return replace(ready_node(template), name=name, labels=labels, unschedulable=False, disk_pressure=False,
                   pid_pressure=False)
