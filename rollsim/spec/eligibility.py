"""Which nodes a DaemonSet runs on (``NodeShouldRunDaemonPod``), and why the others are left out.

``node_should_run_daemon_pod`` mirrors the DaemonSet controller's rule, in its order: the
template's ``nodeName``, then ``nodeSelector`` and required node affinity, then taints not
tolerated by the template's tolerations plus the controller's defaults
(``add_daemon_pod_tolerations``). As upstream, readiness, ``spec.unschedulable`` and
resources are not rules. The report counts the nodes by that decision and names, for each
node that should not run a new pod, the first rule that stops it; it only notes how many
eligible nodes are NotReady or cordoned.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from rollsim.spec.node import (
    NO_EXECUTE,
    NO_SCHEDULE,
    Node,
    NodeSelectorRequirement,
    NodeSelectorTerm,
    PodPlacement,
    Taint,
    Toleration,
    parse_int64,
)

__all__ = ["DAEMON_POD_TOLERATIONS", "KEPT_ONLY", "EligibilityReport", "add_daemon_pod_tolerations", "counted",
           "for_strategy",
           "eligibility_report", "format_report", "node_matches_affinity", "node_should_run_daemon_pod",
           "why_not_eligible"]

# -- NodeShouldRunDaemonPod ------------------------------------------------------------

DAEMON_POD_TOLERATIONS: tuple[Toleration, ...] = (
    Toleration("node.kubernetes.io/not-ready", "Exists", effect=NO_EXECUTE),
    Toleration("node.kubernetes.io/unreachable", "Exists", effect=NO_EXECUTE),
    Toleration("node.kubernetes.io/disk-pressure", "Exists", effect=NO_SCHEDULE),
    Toleration("node.kubernetes.io/memory-pressure", "Exists", effect=NO_SCHEDULE),
    Toleration("node.kubernetes.io/pid-pressure", "Exists", effect=NO_SCHEDULE),
    Toleration("node.kubernetes.io/unschedulable", "Exists", effect=NO_SCHEDULE),
)
_NETWORK_UNAVAILABLE = Toleration("node.kubernetes.io/network-unavailable", "Exists", effect=NO_SCHEDULE)


def add_daemon_pod_tolerations(tolerations: Iterable[Toleration], host_network: bool) -> tuple[Toleration, ...]:
    """The template's tolerations plus the DaemonSet defaults, without duplicates.

    Mirrors ``AddOrUpdateDaemonPodTolerations`` in pkg/controller/daemon/util/daemonset_util.go;
    network-unavailable is added only for ``hostNetwork`` pods. Without tolerationSeconds an
    identical toleration already present is left as is (``AddOrUpdateTolerationInPodSpec``).
    """
    return _effective_tolerations(tuple(tolerations), bool(host_network))


@lru_cache(maxsize=256)
def _effective_tolerations(tolerations: tuple[Toleration, ...], host_network: bool) -> tuple[Toleration, ...]:
    defaults = DAEMON_POD_TOLERATIONS + ((_NETWORK_UNAVAILABLE,) if host_network else ())
    return tolerations + tuple(t for t in defaults if t not in tolerations)


def _requirement_matches(req: NodeSelectorRequirement, labels: Mapping[str, str]) -> bool:
    """Mirrors ``labels.Requirement.Matches`` in k8s.io/apimachinery/pkg/labels/selector.go."""
    op, value = req.operator, labels.get(req.key)
    if op == "In":
        return value is not None and value in req.values
    if op == "NotIn":
        return value is None or value not in req.values
    if op == "Exists":
        return value is not None
    if op == "DoesNotExist":
        return value is None
    have = None if value is None else parse_int64(value)
    if have is None:
        return False
    want = int(req.values[0])  # validated as an int64 by NodeSelectorRequirement
    return have > want if op == "Gt" else have < want


def _term_matches(term: NodeSelectorTerm, node: Node) -> bool:
    """Mirrors ``nodeSelectorTerm.match`` in k8s.io/component-helpers/.../nodeaffinity."""
    if not term.match_expressions and not term.match_fields:
        return False
    if not all(_requirement_matches(r, node.labels) for r in term.match_expressions):
        return False
    return all((node.name == r.values[0]) == (r.operator == "In") for r in term.match_fields)


def node_matches_affinity(node: Node, placement: PodPlacement) -> bool:
    """``nodeSelector`` AND (any required node-affinity term).

    Mirrors ``nodeaffinity.GetRequiredNodeAffinity(pod).Match(node)`` in
    k8s.io/component-helpers/scheduling/corev1/nodeaffinity/nodeaffinity.go.
    """
    labels, selector = node.labels, placement.node_selector
    if selector:  # most DaemonSets select no labels: skip the Mapping's Python-level items()
        for key, value in selector.items():
            if labels.get(key) != value:
                return False
    terms = placement.required_node_affinity
    return not terms or any(_term_matches(term, node) for term in terms)


def _find_matching_untolerated_taint(
    taints: tuple[Taint, ...], tolerations: tuple[Toleration, ...], effects: frozenset[str]
) -> Taint | None:
    """Mirrors ``v1helper.FindMatchingUntoleratedTaint``, filtered to the given effects."""
    for taint in taints:
        if taint.effect in effects and not any(t.tolerates(taint) for t in tolerations):
            return taint
    return None


_BLOCKING = frozenset({NO_SCHEDULE, NO_EXECUTE})
_EVICTING = frozenset({NO_EXECUTE})


def node_should_run_daemon_pod(node: Node, placement: PodPlacement) -> tuple[bool, bool]:
    """``(shouldRun, shouldContinueRunning)`` for a daemon pod on ``node``.

    Mirrors ``NodeShouldRunDaemonPod`` in pkg/controller/daemon/daemon_controller.go: a
    template nodeName naming another node or an affinity mismatch gives (False, False); an
    untolerated NoSchedule taint gives (False, True), an untolerated NoExecute one (False,
    False). Resources, ports, ``unschedulable`` and readiness are not checked.
    """
    if placement.node_name and placement.node_name != node.name:
        return False, False
    if not node_matches_affinity(node, placement):
        return False, False
    if not node.taints:
        return True, True
    tolerations = _effective_tolerations(placement.tolerations, placement.host_network)
    if _find_matching_untolerated_taint(node.taints, tolerations, _BLOCKING) is None:
        return True, True
    return False, _find_matching_untolerated_taint(node.taints, tolerations, _EVICTING) is None


# -- the report ----------------------------------------------------------------------

# shouldContinueRunning alone: a node that has no pod gets none, one that has one keeps it (said so, not
# "kept only": most such nodes, a control plane's, never had the pod). Under OnDelete; a rolling
# update takes the old pod off such a node (``for_strategy``)
KEPT_ONLY = "get no new pod (a pod already there stays): "
_REPLACED = "get no new pod (none is created, and the rolling update deletes any old pod there): "


def counted(count: int, reason: str) -> str:
    """``3 get no new pod (...)``, ``1 gets no new pod (...)``: a reason after its count of nodes."""
    return f"{count:,} {'gets' + reason[3:] if count == 1 and reason.startswith('get ') else reason}"


def for_strategy(reason: str, rolling: bool) -> str:
    """A reason of the report as the update strategy makes it true. ``shouldContinueRunning`` keeps a
    pod only from ``manage``: ``rollingUpdate`` deletes every node's old pod (an unavailable one at
    once, an available one within the budget or, with maxSurge, as not wanted), whatever
    ``shouldRun``, and ``manage`` creates none where it is false, so under RollingUpdate such a node
    ends the update without the agent (semantics §4.3, "Nodes that no longer should run the pod").
    """
    return _REPLACED + reason.removeprefix(KEPT_ONLY) if rolling and reason.startswith(KEPT_ONLY) else reason
_EXAMPLES = 3


@dataclass(frozen=True, slots=True)
class EligibilityReport:
    """How many nodes should run the daemon pod, and why the others should not.

    ``eligible``: ``shouldRun`` (a pod is created there). ``kept_only``: ``shouldContinueRunning``
    but not ``shouldRun`` (an untolerated NoSchedule taint): manage keeps an existing pod but
    creates none, so if a maxSurge=0 rolling update deletes the old pod there (its loop does
    not check eligibility) it is not replaced. The rest are excluded: an existing pod is
    deleted. ``reasons`` is ``(reason, count)`` by count, most first; reasons of kept-only nodes
    start with ``KEPT_ONLY``. ``examples`` gives up to three node names per reason, same order.
    """

    total: int
    eligible: int
    kept_only: int
    reasons: tuple[tuple[str, int], ...] = ()
    examples: tuple[tuple[str, tuple[str, ...]], ...] = ()
    eligible_not_ready: int = 0
    eligible_unschedulable: int = 0

    @property
    def excluded(self) -> int:
        """Nodes with ``(shouldRun, shouldContinueRunning) == (False, False)``."""
        return self.total - self.eligible - self.kept_only


def _taint_text(taint: Taint) -> str:
    """``kubectl``'s notation: ``key=value:Effect``, or ``key:Effect`` without a value."""
    return f"{taint.key}={taint.value}:{taint.effect}" if taint.value else f"{taint.key}:{taint.effect}"


def why_not_eligible(node: Node, placement: PodPlacement) -> str | None:
    """The first rule that stops a new daemon pod on ``node``, or None if it should run one.

    Follows ``NodeShouldRunDaemonPod`` step by step, so ``why_not_eligible(...) is None``
    exactly when ``node_should_run_daemon_pod(...)[0]``; kept-only reasons start with
    ``KEPT_ONLY``.
    """
    if placement.node_name and placement.node_name != node.name:
        return "template nodeName names another node"
    if not node_matches_affinity(node, placement):
        for key, value in placement.node_selector.items():
            if node.labels.get(key) != value:
                return f"nodeSelector {key}={value} does not match"
        return "required node affinity does not match"
    tolerations = add_daemon_pod_tolerations(placement.tolerations, placement.host_network)
    untolerated = [t for t in node.taints if t.effect in (NO_SCHEDULE, NO_EXECUTE)
                   and not any(tol.tolerates(t) for tol in tolerations)]
    if not untolerated:
        return None
    evicting = [t for t in untolerated if t.effect == NO_EXECUTE]
    if evicting:
        return f"untolerated taint {_taint_text(evicting[0])}"
    return f"{KEPT_ONLY}untolerated taint {_taint_text(untolerated[0])}"


def eligibility_report(nodes: Iterable[Node], placement: PodPlacement) -> EligibilityReport:
    """Count ``nodes`` by ``NodeShouldRunDaemonPod`` and group the others by reason."""
    total = eligible = kept = not_ready = unschedulable = 0
    counts: Counter[str] = Counter()
    examples: dict[str, list[str]] = {}
    for node in nodes:
        total += 1
        reason = why_not_eligible(node, placement)
        if reason is None:
            eligible += 1
            not_ready += not node.ready
            unschedulable += node.unschedulable
            continue
        kept += reason.startswith(KEPT_ONLY)
        counts[reason] += 1
        names = examples.setdefault(reason, [])
        if len(names) < _EXAMPLES:
            names.append(node.name)
    order = sorted(counts, key=lambda r: (-counts[r], r))
    return EligibilityReport(total, eligible, kept, tuple((r, counts[r]) for r in order),
                             tuple((r, tuple(examples[r])) for r in order), not_ready, unschedulable)


def format_report(report: EligibilityReport) -> str:
    """A few lines for the CLI and the report: the counts, then one line per reason."""
    head = (f"{report.eligible} of {report.total} nodes should run the daemon pod; "
            f"{report.kept_only} get no new pod (a pod already there stays); {report.excluded} excluded")
    lines = [head]
    examples = dict(report.examples)
    for reason, count in report.reasons:
        names = examples.get(reason, ())
        more = ", ..." if count > len(names) else ""
        lines.append(f"  {count:>6}  {reason} (e.g. {', '.join(names)}{more})")
    notes = [f"{n} {what}" for n, what in ((report.eligible_not_ready, "NotReady"),
                                          (report.eligible_unschedulable, "cordoned")) if n]
    if notes:
        lines.append(f"  of the eligible nodes, {' and '.join(notes)}: the controller still creates their pods")
    return "\n".join(lines)
