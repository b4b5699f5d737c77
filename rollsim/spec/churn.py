"""Nodes that come, go and fail during a rollout: ``--add-nodes N@T[+D]``,
``--remove-nodes N@T[+D]``, ``--not-ready-nodes N@T[+D]``.

``N@T`` changes N nodes at simulated second T; ``N@T+D`` spreads them evenly over the D
seconds from T (a scale-out: ``100@60+120`` adds 100 nodes between 1 and 3 minutes).

* An added node is like the others (untainted, Ready). The controller sees it and creates
  its pod at once, outside the maxUnavailable/maxSurge budget (``manage``), and it raises
  ``desired`` and with it any percentage budget.
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
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["NodeChange", "parse_node_change", "change_times", "PODGC_PERIOD_S", "PODGC_QUARANTINE_S"]

PODGC_PERIOD_S = 20.0
PODGC_QUARANTINE_S = 40.0
_SPEC = re.compile(r"(\d+)@([0-9]*\.?[0-9]+)(?:\+([0-9]*\.?[0-9]+))?", re.ASCII)  # \d: ASCII digits only


@dataclass(frozen=True, slots=True)
class NodeChange:
    """``count`` nodes added (``kind='add'``) or removed from ``at`` seconds, spread over ``over``."""

    kind: str
    count: int
    at: float
    over: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in ("add", "remove", "not-ready"):
            raise ValueError(f"a node change is add, remove or not-ready, got {self.kind!r}")
        if self.count < 1 or self.at < 0 or self.over < 0:
            raise ValueError(f"a node change needs a positive count and non-negative times, got {self}")

    def __str__(self) -> str:
        return f"{self.count}@{self.at:g}" + (f"+{self.over:g}" if self.over else "")


def parse_node_change(kind: str, spec: str | NodeChange) -> NodeChange:
    """Parse ``N@T`` or ``N@T+D``."""
    if isinstance(spec, NodeChange):
        return spec
    m = _SPEC.fullmatch(str(spec).strip())
    if not m:
        raise ValueError(f"must be N@T or N@T+D (N nodes at second T, spread over D seconds), got {spec!r}")
    return NodeChange(kind, int(m.group(1)), float(m.group(2)), float(m.group(3) or 0))


def change_times(change: NodeChange) -> list[float]:
    """When each of the ``count`` nodes changes: all at ``at``, or evenly over ``over``."""
    if change.over == 0 or change.count == 1:
        return [change.at] * change.count
    step = change.over / (change.count - 1)
    return [change.at + i * step for i in range(change.count)]
