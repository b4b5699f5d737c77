"""Whether the old pods a run starts with could all be running: ``first_misfit``.

A run starts with an old pod of every DaemonSet on every node that should run it
(``NodeShouldRunDaemonPod``), beside the other workloads, which request ``node_utilization``
of the node's allocatable CPU and memory (the pods other than the DaemonSets': the share is
theirs alone, and the DaemonSets' pods come on top of it, as the scheduler counts them). A
real cluster cannot be in a state where those requests together exceed the allocatable: the
scheduler's ``NodeResourcesFit`` filter (``fitsRequest``) leaves the pod that does not fit
Pending, and the kubelet's admission (``generalFilter``: ``OutOfcpu``, ``OutOfmemory``) fails
one that gets there another way. ``rollsim.spec.options`` refuses such a start, naming the
first DaemonSet (in the order given) whose old pod does not fit beside the ones before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rollsim.spec.eligibility import node_should_run_daemon_pod
from rollsim.spec.node import Node, ready_node
from rollsim.spec.scenario import DaemonSetSpec

__all__ = ["Misfit", "first_misfit", "runs_at_start"]

_RESOURCES = (("cpu", "allocatable_cpu_millis", "requests_cpu_millis"),
              ("memory", "allocatable_memory_bytes", "requests_memory_bytes"))


@dataclass(frozen=True, slots=True)
class Misfit:
    """DaemonSet ``index`` (of the run's, the study's own first) whose old pod does not fit its
    ``resource`` on ``count`` of the ``of`` nodes that run it; ``node`` is the first such node,
    with its ``allocatable``, the other workloads' share there (``others``) and the requests of
    the DaemonSets before it there (``before``: name and request, those with one only).
    """

    index: int
    resource: str
    count: int
    of: int
    node: str
    allocatable: int
    others: float
    before: tuple[tuple[str, int], ...]
    request: int

    @property
    def free(self) -> float:
        """What the other workloads leave of the node's allocatable."""
        return self.allocatable - self.others


def runs_at_start(node: Node, spec: DaemonSetSpec) -> bool:
    """Whether ``node`` holds ``spec``'s old pod at time 0: it should run it, or, NotReady, would
    if it were Ready (its pod was placed before it failed), as ``rollsim.world`` places them.
    """
    return node_should_run_daemon_pod(node if node.ready else ready_node(node), spec.placement)[0]


def first_misfit(nodes: Sequence[Node], utilization: float, specs: Sequence[DaemonSetSpec]) -> Misfit | None:
    """The first DaemonSet of ``specs`` whose old pod does not fit, per resource, beside the
    other workloads (``utilization`` of allocatable) and the old pods of the DaemonSets before
    it, on some node that runs them all; None when every start is one a cluster can be in.
    A resource whose allocatable a node does not give is not checked there (nodes of a count).
    """
    requesting = [k for k, s in enumerate(specs) if s.requests_cpu_millis or s.requests_memory_bytes]
    if not requesting or not any(n.allocatable_cpu_millis is not None or n.allocatable_memory_bytes is not None
                                 for n in nodes):
        return None
    runs = {k: [runs_at_start(n, specs[k]) for n in nodes] for k in requesting}
    for k in requesting:
        for resource, allocatable_of, request_of in _RESOURCES:
            request = getattr(specs[k], request_of)
            if request:
                misfit = _misfit(nodes, utilization, specs, runs, k, (resource, allocatable_of, request_of))
                if misfit is not None:
                    return misfit
    return None


def _misfit(nodes: Sequence[Node], utilization: float, specs: Sequence[DaemonSetSpec], runs: dict[int, list[bool]],
            k: int, resource: tuple[str, str, str]) -> Misfit | None:
    """DaemonSet ``k``'s misfit in one resource (name, the node's and the spec's attribute), if any."""
    name, allocatable_of, request_of = resource
    request = getattr(specs[k], request_of)
    earlier = [j for j in runs if j < k and getattr(specs[j], request_of)]
    count, of, first = 0, 0, None
    for i, node in enumerate(nodes):
        allocatable = getattr(node, allocatable_of)
        if not runs[k][i] or allocatable is None:
            continue
        of += 1
        before = [j for j in earlier if runs[j][i]]
        used = sum(getattr(specs[j], request_of) for j in before)
        if utilization * allocatable + used + request > allocatable:  # fitsRequest, as the scheduler checks it
            count += 1
            if first is None:
                first = (node, allocatable, tuple((specs[j].name, getattr(specs[j], request_of)) for j in before))
    if first is None:
        return None
    node, allocatable, before_pods = first
    return Misfit(k, name, count, of, node.name, allocatable, utilization * allocatable, before_pods, request)
