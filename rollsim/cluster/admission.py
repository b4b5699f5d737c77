"""The kubelet's admission of a bound pod, as the kubelet checks it.

``HandlePodAdditions`` → ``canAdmitPod`` → ``lifecycle.NewPredicateAdmitHandler`` →
``generalFilter`` (``pkg/kubelet/lifecycle/predicate.go``): ``scheduler.AdmissionCheck`` runs
the scheduler's ``NodeResourcesFit`` (reason ``OutOfcpu``, ``OutOfmemory``),
``NodeAffinity`` (the pod's ``nodeSelector``, and its required node affinity, which the
DaemonSet controller replaced by ``matchFields metadata.name In [node]``), ``NodeName`` and
``NodePorts``, against the node as the kubelet sees it and the pods it has admitted that are
still active (``filterOutInactivePods``: not terminal, or terminal but still being torn down;
a terminating pod counts until its containers have stopped); then, for all but static pods, an
untolerated NoExecute taint (``TaintToleration``; the kubelet ignores NoSchedule). The first
failing reason becomes the pod's status reason, and the pod turns Failed (``rejectPod``).

In a real cluster the kubelet's view differs from the scheduler's when the node's allocatable
shrank after the scheduler's decision (a kubelet restarted with more reserved, a device plugin
not yet re-registered: extended resources at 0), when a pod reached the node without the
default scheduler's accounting (a static pod before its mirror pod exists, a pod bound by
another scheduler or with ``spec.nodeName`` set), or when a NoExecute taint the pod does not
tolerate arrived between binding and admission. Where the views differ the other way (the
kubelet has not seen a pod the scheduler already assumed, or drops a terminated pod the
scheduler still counts until its API object is gone), the kubelet is the more lenient.

In rollsim none of the stricter cases exists: allocatable never changes, every pod goes through
the one scheduler, whose check (``rollsim.cluster.scheduling``) counts the same pods at the
moment of binding, and the kubelet admits at that same moment; DaemonSet pods tolerate every
NoExecute taint rollsim sets. So this check never rejects a pod in a run: it is the kubelet's
own check, kept so that an inconsistency between the two views would show as a Failed pod
(tests construct one). ``--new-pods rejected[:F]`` stays the way to model rejections whose
causes rollsim does not model.

Critical pods (priority at least ``SystemCriticalPriority``, 2000000000: the classes
``system-node-critical`` and ``system-cluster-critical``) have one more path upstream: when the
only reasons are insufficient resources, the kubelet's ``CriticalPodAdmissionHandler``
(``pkg/kubelet/preemption``, ``HandleAdmissionFailure``) evicts pods of lower priority on the
node (``evictPodsToFreeRequests``: the fewest, BestEffort before Burstable before Guaranteed)
and admits the pod instead of rejecting it. It is there for pods that reach a kubelet without
the scheduler's preemption (static pods, pods created with ``spec.nodeName``). A DaemonSet's
pods go through the default scheduler, which preempts before it binds
(``rollsim.cluster.preemption``); the kubelet then counts what the scheduler counted, the
evicted workloads gone, so it finds no resource short and the handler has nothing to do in a
run. It is not modelled; a rejection for resources would show as a Failed pod, critical or not.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Protocol

from rollsim.cluster.apiserver import ApiServer
from rollsim.cluster.preemption import OtherWorkloads
from rollsim.cluster.scheduling import PodRequests, insufficient_resource, requested
from rollsim.controller.pods import Pod
from rollsim.spec.eligibility import add_daemon_pod_tolerations
from rollsim.spec.node import NO_EXECUTE, Node, PodPlacement

__all__ = ["KubeletAdmission", "active_requests", "admission_failure", "OUT_OF_CPU", "OUT_OF_MEMORY",
           "NODE_AFFINITY", "NODE_PORTS", "TAINT_TOLERATION"]

OUT_OF_CPU, OUT_OF_MEMORY = "OutOfcpu", "OutOfmemory"  # "OutOf" + the resource name (InsufficientResourceError)
NODE_AFFINITY, NODE_PORTS, TAINT_TOLERATION = "NodeAffinity", "NodePorts", "TaintToleration"  # plugin names


class _Runtime(Protocol):
    requests: PodRequests


def active_requests(api: ApiServer, runtimes: Mapping[str, _Runtime], pod: Pod) -> list[PodRequests]:
    """The requests of the other pods on ``pod``'s node that count against it: bound and not
    terminal (Failed or Succeeded), terminating ones included. The scheduler's cache (its pod
    informer skips terminal pods) and the kubelet's active pods agree on this set in rollsim.
    """
    return [runtimes[p.owner].requests for p in api.pods_by_node[pod.node]
            if p.scheduled and p is not pod and not p.terminal]


def admission_failure(node: Node, others: Iterable[PodRequests], pod: PodRequests, placement: PodPlacement,
                      workloads: tuple[float, float] = (0.0, 0.0)) -> str | None:
    """``generalFilter``'s first reason for rejecting ``pod`` on ``node`` beside the ``others``
    the kubelet has admitted, or None. ``workloads`` is what other workloads request there (CPU,
    memory: ``other_requests`` of a utilization, or what a preemption left).
    """
    cpu, memory, ports = requested(others)
    short = insufficient_resource(node, workloads, cpu, memory, pod)
    if short is not None:
        return OUT_OF_CPU if short == "cpu" else OUT_OF_MEMORY
    if any(node.labels.get(key) != value for key, value in placement.node_selector.items()):
        return NODE_AFFINITY
    if ports.intersection(pod.host_ports):
        return NODE_PORTS
    tolerations = add_daemon_pod_tolerations(placement.tolerations, placement.host_network)
    if any(t.effect == NO_EXECUTE and not any(tol.tolerates(t) for tol in tolerations) for t in node.taints):
        return TAINT_TOLERATION
    return None


class KubeletAdmission:
    """The kubelets' admission handler: ``reject_reason`` for a pod just bound to its node,
    counting each rejection by reason in ``rejected``.
    """

    def __init__(self, api: ApiServer, runtimes: Mapping[str, _Runtime], workloads: OtherWorkloads) -> None:
        self.api, self.runtimes, self.workloads = api, runtimes, workloads
        self.rejected: Counter[str] = Counter()

    def reject_reason(self, pod: Pod, placement: PodPlacement) -> str | None:
        """Why the kubelet would not admit ``pod`` now, or None."""
        node, requests = self.api.nodes.nodes[pod.node], self.runtimes[pod.owner].requests
        if not (requests.any or placement.node_selector or node.taints):
            return None  # no filter of generalFilter can fail: nothing requested, selected or tainted
        reason = admission_failure(node, active_requests(self.api, self.runtimes, pod), requests, placement,
                                   workloads=self.workloads.requests(pod.node, node))
        if reason is not None:
            self.rejected[reason] += 1
        return reason
