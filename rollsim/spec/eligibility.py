"""Which nodes a DaemonSet runs on, and why the others are left out.

Counts the nodes by the DaemonSet controller's ``NodeShouldRunDaemonPod`` decision
(``rollsim.spec.node.node_should_run_daemon_pod``) and names, for each node that should not
run a new pod, the first rule that stops it, in the controller's order: the template's
``nodeName``, then ``nodeSelector`` and required node affinity, then taints not tolerated
by the template's tolerations plus the controller's defaults (``add_daemon_pod_tolerations``).
As upstream, readiness, ``spec.unschedulable`` and resources are not rules; the report only
notes how many eligible nodes are NotReady or cordoned.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from rollsim.spec.node import (
    NO_EXECUTE,
    NO_SCHEDULE,
    Node,
    PodPlacement,
    Taint,
    add_daemon_pod_tolerations,
    node_matches_affinity,
)

__all__ = ["KEPT_ONLY", "EligibilityReport", "eligibility_report", "format_report", "why_not_eligible"]

KEPT_ONLY = "kept only (existing pods stay, no new pod): "
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
            f"{report.kept_only} kept only (existing pods stay, no new pod); {report.excluded} excluded")
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
