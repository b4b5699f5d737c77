"""Whether the scheduler can bind a daemon pod to its node: resources and host ports.

The DaemonSet controller does not check fit (``NodeShouldRunDaemonPod`` ignores it); the
scheduler does, and a pod that does not fit stays Pending. Mirrors the filters
``NodeResourcesFit`` (allocatable against the requests of the pods bound to the node,
terminating ones included, plus the new pod's) and ``NodePorts`` (a host port held by
another pod on the node). The other workloads on a node are a ``utilization`` share of
its allocatable CPU and memory, less what a preemption evicted there
(``rollsim.cluster.preemption``). A pod that does not fit waits in the scheduling queue's
unschedulable pods (``UnschedulablePods``) until a pod that held room goes, then is tried again
at once; or after 5 minutes there, whatever happens.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rollsim.spec.node import Node

__all__ = ["PodRequests", "requested", "other_requests", "insufficient_resource", "unschedulable_reason",
           "NODE_PORTS_REASON", "UnschedulablePods", "FLUSH_PERIOD_S", "MAX_UNSCHEDULABLE_S"]

NODE_PORTS_REASON = "node(s) didn't have free ports for the requested pod ports"  # the NodePorts filter's
FLUSH_PERIOD_S = 30.0  # flushUnschedulablePodsLeftover runs every 30 s (scheduling_queue.go: Run)
MAX_UNSCHEDULABLE_S = 300.0  # DefaultPodMaxInUnschedulablePodsDuration: 5 minutes


@dataclass(frozen=True, slots=True)
class PodRequests:
    """What one DaemonSet's pod asks of its node: its effective requests (``PodRequests``) and host ports."""

    cpu_millis: int = 0
    memory_bytes: int = 0
    host_ports: tuple[int, ...] = ()

    @property
    def any(self) -> bool:
        """Whether the scheduler's fit filters can reject it at all."""
        return bool(self.cpu_millis or self.memory_bytes or self.host_ports)


def requested(pods: Iterable[PodRequests]) -> tuple[int, int, set[int]]:
    """The CPU (millicores), memory (bytes) and host ports ``pods`` request together: what
    ``NodeResourcesFit`` and ``NodePorts`` (and the kubelet's ``generalFilter``) count as used.
    """
    cpu = memory = 0
    ports: set[int] = set()
    for other in pods:
        cpu += other.cpu_millis
        memory += other.memory_bytes
        ports.update(other.host_ports)
    return cpu, memory, ports


def other_requests(node: Node, utilization: float) -> tuple[float, float]:
    """What the other workloads request on ``node``: a ``utilization`` share of its allocatable
    CPU (millicores) and memory (bytes), 0 of a resource whose allocatable is not known.
    """
    cpu, memory = node.allocatable_cpu_millis, node.allocatable_memory_bytes
    return 0.0 if cpu is None else utilization * cpu, 0.0 if memory is None else utilization * memory


def insufficient_resource(node: Node, workloads: tuple[float, float], cpu: int, memory: int,
                          pod: PodRequests) -> str | None:
    """``Fits``' resource check (``fitsRequest``): the first resource ("cpu", "memory") ``pod``
    requests that ``node`` lacks beside the ``workloads``' requests and the ``cpu`` and ``memory``
    the pods bound there request, or None.
    """
    for name, allocatable, other, used, request in (
            ("cpu", node.allocatable_cpu_millis, workloads[0], cpu, pod.cpu_millis),
            ("memory", node.allocatable_memory_bytes, workloads[1], memory, pod.memory_bytes)):
        if allocatable is not None and request and other + used + request > allocatable:
            return name
    return None


def unschedulable_reason(
    node: Node, bound: Iterable[PodRequests], pod: PodRequests, workloads: tuple[float, float] = (0.0, 0.0),
) -> str | None:
    """``None`` if ``pod`` fits beside the ``bound`` daemon pods already on ``node`` (of any
    DaemonSet, terminating ones included), else the scheduler's reason. The other workloads request
    ``workloads`` (CPU, memory: ``other_requests`` of a utilization, or what a preemption left).
    """
    cpu, memory, ports = requested(bound)
    if ports.intersection(pod.host_ports):
        return NODE_PORTS_REASON
    short = insufficient_resource(node, workloads, cpu, memory, pod)
    return None if short is None else f"Insufficient {short}"


class UnschedulablePods:
    """The scheduling queue's ``unschedulablePods`` (``pkg/scheduler/backend/queue/scheduling_queue.go``),
    for daemon pods that a filter rejected: each waits there, with since when it waits, until an
    event may make it schedulable.

    ``moved_by`` is ``MoveAllToActiveOrBackoffQueue`` on ``AssignedPodDelete`` (a bound pod that
    leaves the scheduler's cache: deleted, or terminal), as the queueing hints of the filters
    rollsim models answer it (``SchedulerQueueingHints``, on from v1.32): NodeResourcesFit queues
    a pod that lacked CPU or memory on any such deletion ("any deletion event to a scheduled pod
    could make the target pod schedulable"); NodePorts one that wanted a host port only when the
    deleted pod held one of its ports. A moved pod is tried at once: it goes to ``activeQ``, or to
    ``backoffQ`` while its back-off (1 s doubling to 10 s) lasts, and the scheduler, with no other
    pod to schedule, pops it from there at once (``SchedulerPopFromBackoffQ``, beta and on from
    v1.33, every version rollsim models: ``activeQueue.unlockedPop`` in
    ``pkg/scheduler/backend/queue/active_queue.go``, KEP-5142), so the back-off delays nothing.
    ``leftover`` is ``flushUnschedulablePodsLeftover``: every ``FLUSH_PERIOD_S``, a pod that has
    waited more than ``MAX_UNSCHEDULABLE_S`` is moved whatever happened. Each mover returns the
    ``(pod, runtime)`` pairs for the caller to try, and forgets the pods.
    """

    __slots__ = ("_pods",)

    def __init__(self) -> None:
        # uid -> (pod, its runtime, waiting since, the host ports it wants when NodePorts rejected
        # it: empty when NodeResourcesFit did)
        self._pods: dict[int, tuple[Any, Any, float, tuple[int, ...]]] = {}

    def __len__(self) -> int:
        return len(self._pods)

    def add(self, pod: Any, runtime: Any, now: float, ports: tuple[int, ...] = ()) -> None:
        """``pod`` failed an attempt at ``now`` (``AddUnschedulableIfNotPresent``); ``ports``: the
        host ports NodePorts found taken (empty: it lacked CPU or memory).
        """
        self._pods[pod.uid] = (pod, runtime, now, ports)

    def forget(self, uid: int) -> None:
        """The pod is gone from the queue (deleted before it was bound)."""
        self._pods.pop(uid, None)

    def moved_by(self, freed_ports: Iterable[int]) -> list[tuple[Any, Any]]:
        """The pods a bound pod's deletion moves (it held ``freed_ports``)."""
        freed = set(freed_ports)
        return self._move([uid for uid, entry in self._pods.items() if not entry[3] or freed.intersection(entry[3])])

    def leftover(self, now: float) -> list[tuple[Any, Any]]:
        """The pods that have waited more than ``MAX_UNSCHEDULABLE_S`` (strictly, as ``Sub > max``)."""
        return self._move([uid for uid, entry in self._pods.items() if now - entry[2] > MAX_UNSCHEDULABLE_S])

    def _move(self, uids: list[int]) -> list[tuple[Any, Any]]:
        out = []
        for uid in uids:
            pod, runtime, _, _ = self._pods.pop(uid)
            out.append((pod, runtime))
        return out
