"""Whether the scheduler can bind a daemon pod to its node: resources and host ports.

The DaemonSet controller does not check fit (``NodeShouldRunDaemonPod`` ignores it); the
scheduler does, and a pod that does not fit stays Pending. Mirrors the filters
``NodeResourcesFit`` (allocatable against the requests of the pods bound to the node,
terminating ones included, plus the new pod's) and ``NodePorts`` (a host port held by
another pod on the node). The other workloads on a node are a ``utilization`` share of
its allocatable CPU and memory. Unschedulable pods are retried with the scheduler's
back-off, 1 s doubling to 10 s (``podInitialBackoffDuration``, ``podMaxBackoffDuration``).
"""

from __future__ import annotations

from rollsim.spec.node import Node

__all__ = ["unschedulable_reason", "scheduler_backoff"]


def unschedulable_reason(
    node: Node, bound_pods: int, requests_cpu_millis: int, requests_memory_bytes: int,
    host_ports: tuple[int, ...], utilization: float = 0.0,
) -> str | None:
    """``None`` if a daemon pod fits beside ``bound_pods`` daemon pods already on ``node``,
    else the scheduler's reason. Every daemon pod requests the same resources and ports."""
    if host_ports and bound_pods:
        return "node(s) didn't have free ports for the requested pod ports"
    pods = bound_pods + 1
    for name, allocatable, request in (("cpu", node.allocatable_cpu_millis, requests_cpu_millis),
                                       ("memory", node.allocatable_memory_bytes, requests_memory_bytes)):
        if allocatable is not None and request and utilization * allocatable + pods * request > allocatable:
            return f"Insufficient {name}"
    return None


def scheduler_backoff(attempts: int) -> float:
    """Seconds before the ``attempts``-th retry (1-based): 1 s doubling to 10 s."""
    return min(2.0 ** max(0, attempts - 1), 10.0)
