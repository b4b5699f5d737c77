"""The other workloads on the nodes, and the scheduler's preemption of them for a daemon pod.

The other workloads are the pods ``node_utilization`` stands for: they request that share of
every node's allocatable CPU and memory, at one priority (``other_pods_priority``, default 0,
as a pod without a PriorityClass has in a cluster without a ``globalDefault`` class). rollsim
does not know a node's real pods: they are one divisible block that holds as much CPU as
memory, in shares of allocatable.

A daemon pod that fails ``NodeResourcesFit`` (Insufficient cpu or memory: a failure
preemption may resolve) runs the scheduler's ``DefaultPreemption`` PostFilter
(``pkg/scheduler/framework/plugins/defaultpreemption``, ``Evaluator.Preempt`` in
``pkg/scheduler/framework/preemption``). ``PodEligibleToPreemptOthers``: not with
``preemptionPolicy: Never``; ``isPreemptionAllowed``: only pods of strictly lower priority are
victims, so neither the old daemon pod (the same priority) nor, in rollsim, another DaemonSet's
pod ever is. A DaemonSet pod can only go to its own node (the controller's ``matchFields``
affinity), so that node is the one candidate. ``SelectVictimsOnNode`` removes every possible
victim; if the pod still does not fit (the old pod's host port, the daemon pods' own requests)
the node is no candidate and the pod stays Pending. Otherwise it reprieves as many victims as
still let the pod fit: here, the other workloads keep all but the share the pod needs
(``select_victims``). The victims are deleted with their grace period; the preemptor is
nominated to the node (``status.nominatedNodeName``) and is not eligible to preempt again while
they terminate, and they count against the node until they are gone. Then the scheduler binds
it, once its back-off has passed. The evicted pods leave the node for good: where their owners
recreate them is not modelled.

The nomination reserves the room (``Nominator``): the scheduler filters every pod as if the pods
of equal or higher priority nominated to its node were already there (``RunFilterPluginsWithNominatedPods``
and ``addGENominatedPods`` in ``pkg/scheduler/framework/runtime/framework.go``: a pod must fit with
them added, ``PodPriority(nominated) >= PodPriority(pod)``, itself excepted), so a lower-priority
pod of another DaemonSet cannot take the room the victims free before the preemptor binds.
"""

from __future__ import annotations

from collections.abc import Iterable

from rollsim.cluster.sampler import Sampler
from rollsim.cluster.scheduling import PodRequests, other_requests, requested
from rollsim.controller.pods import Pod
from rollsim.spec.node import Node

__all__ = ["OtherWorkloads", "Nominator", "select_victims"]


def select_victims(node: Node, workloads: tuple[float, float], bound: Iterable[PodRequests],
                   pod: PodRequests) -> tuple[float, float] | None:
    """``SelectVictimsOnNode`` for the other workloads: the CPU and memory they still request on
    ``node`` once the fewest of them are evicted for ``pod`` to fit beside the ``bound`` daemon
    pods (never victims), or None when it would not fit with them all gone, or fits already.

    The workloads hold as much of each resource in shares of allocatable, so evicting the share
    the shortest resource needs frees as much of the other; the resource that binds is left with
    exactly the room the pod leaves (integers: the fit check then passes exactly).
    """
    cpu, memory, _ports = requested(bound)
    rooms: list[int | None] = []
    share = 0.0  # of the workloads, to evict
    for allocatable, other, used, request in ((node.allocatable_cpu_millis, workloads[0], cpu, pod.cpu_millis),
                                              (node.allocatable_memory_bytes, workloads[1], memory,
                                               pod.memory_bytes)):
        room = None if allocatable is None or not request else allocatable - used - request
        rooms.append(room)
        if room is not None and other > room:
            if room < 0:
                return None  # not even with every victim gone: the node is no candidate
            share = max(share, (other - room) / other)
    if share == 0.0:
        return None
    kept = [other * (1.0 - share) for other in workloads]
    return tuple(k if room is None else min(k, room) for k, room in zip(kept, rooms))  # type: ignore[return-value]


class OtherWorkloads:
    """The other workloads' requests on each node: ``utilization`` of its allocatable, or what a
    preemption left there; ``termination`` draws how long evicted pods take to go.
    """

    def __init__(self, utilization: float, priority: int, termination: Sampler) -> None:
        self.utilization, self.priority, self.termination = utilization, priority, termination
        self._left: dict[int, tuple[float, float]] = {}  # node id -> what a preemption left

    def requests(self, node_id: int, node: Node) -> tuple[float, float]:
        """The CPU (millicores) and memory (bytes) the other workloads request on ``node``."""
        left = self._left.get(node_id)
        return other_requests(node, self.utilization) if left is None else left

    def evicted(self, node_id: int, node: Node, left: tuple[float, float]) -> None:
        """The victims on ``node`` are gone: the workloads request ``left`` there at most from now."""
        now = self.requests(node_id, node)
        self._left[node_id] = (min(now[0], left[0]), min(now[1], left[1]))


class Nominator:
    """The scheduler's nominated pods (``nominator``, ``NominatedPodsForNode``): each preemptor
    nominated to its node (``status.nominatedNodeName``), with its requests and priority, until it
    binds or is deleted.
    """

    def __init__(self) -> None:
        self._by_node: dict[int, dict[int, tuple[Pod, PodRequests, int]]] = {}  # node id -> pod uid -> nominee

    def nominate(self, pod: Pod, requests: PodRequests, priority: int | None) -> None:
        """``AddNominatedPod``: ``pod`` waits, nominated, for the room its victims leave on its node."""
        self._by_node.setdefault(pod.node, {})[pod.uid] = (pod, requests, priority or 0)

    def forget(self, pod: Pod) -> None:
        """``DeleteNominatedPodIfExists``: ``pod`` bound, or is gone."""
        nominees = self._by_node.get(pod.node)
        if nominees is not None and nominees.pop(pod.uid, None) is not None and not nominees:
            del self._by_node[pod.node]

    def reserved(self, pod: Pod, priority: int | None) -> list[PodRequests]:
        """``addGENominatedPods``: the requests of the pods nominated to ``pod``'s node that its
        filters count as already there: of equal or higher priority than ``priority``, not ``pod``
        itself, and not being deleted (a deleted pod leaves the scheduling queue, and its nomination with it).
        """
        nominees = self._by_node.get(pod.node)
        if not nominees:
            return []
        at_least = priority or 0
        return [requests for uid, (nominee, requests, their) in nominees.items()
                if their >= at_least and uid != pod.uid and not nominee.deleting]
