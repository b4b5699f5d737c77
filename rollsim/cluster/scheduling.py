"""Whether the scheduler can bind a daemon pod to its node: resources and host ports.

The DaemonSet controller does not check fit (``NodeShouldRunDaemonPod`` ignores it); the
scheduler does, and a pod that does not fit stays Pending. Mirrors the filters
``NodeResourcesFit`` (allocatable against the requests of the pods bound to the node,
terminating ones included, plus the new pod's) and ``NodePorts`` (a host port held by
another pod on the node). The other workloads on a node are a ``utilization`` share of
its allocatable CPU and memory, less what a preemption evicted there
(``rollsim.cluster.preemption``). Unschedulable pods are retried with the scheduler's
back-off, 1 s doubling to 10 s (``podInitialBackoffDuration``, ``podMaxBackoffDuration``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rollsim.spec.node import Node

__all__ = ["PodRequests", "requested", "other_requests", "insufficient_resource", "unschedulable_reason",
           "scheduler_backoff", "NODE_PORTS_REASON"]

NODE_PORTS_REASON = "node(s) didn't have free ports for the requested pod ports"  # the NodePorts filter's


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


def scheduler_backoff(attempts: int) -> float:
    """Seconds before the ``attempts``-th retry (1-based): 1 s doubling to 10 s."""
    return min(2.0 ** max(0, attempts - 1), 10.0)
