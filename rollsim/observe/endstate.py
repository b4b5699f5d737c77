"""The end of a run as ``rollsim.observe.stopcause`` reads it: each node's old and new pod.

Read from the API server and the kubelet when the run stops. A new pod in phase Failed was
rejected by the kubelet's admission (``--new-pods rejected``, or its real check), or evicted or
rejected by its eviction manager under disk pressure (``--disk-pressure-nodes``); an old pod
evicted so (phase Failed) runs no agent, and stands for the new pod the node waits for. The state of
a new pod that is neither Pending nor Ready is the DaemonSet's fault kind (the kubelet does not
keep which pods it made faulty), else rate-limited when the registry refused its last pull (429),
pull-errored when it failed the pull part way (its error rate), else starting; but queued, before
those two, while its image request (a retry after a back-off too) waits in the registry's queue over
its limit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection

from rollsim.cluster.apiserver import ApiServer
from rollsim.cluster.kubelet import Kubelet
from rollsim.cluster.podruntime import REFUSED, PodRuntime
from rollsim.cluster.preemption import OtherWorkloads
from rollsim.cluster.scheduling import NODE_PORTS_REASON
from rollsim.controller.pods import FAILED, RUNNING, Pod, is_pod_available
from rollsim.observe import stopcause as sc
from rollsim.observe.recorder import Recorder
from rollsim.spec.budget import allows_surge, is_zero, updated_desired_node_counts
from rollsim.spec.priority import PREEMPT_NEVER, may_preempt
from rollsim.spec.scenario import DaemonSetSpec, UpdateStrategy

__all__ = ["end_state"]

_FAILING = {"crashloop": sc.CRASH_LOOPING, "never-ready": sc.NEVER_READY, "pull-error": sc.IMAGE_PULL_ERROR}


def _new_state(pod: Pod, api: ApiServer, kubelet: Kubelet, runtime: PodRuntime) -> str:
    """What the new-revision pod on a node is doing at the end of the run: a fault only where this
    pod was drawn faulty (``PodRuntime.faulty_pods``), not wherever some pod may be.
    """
    fault = runtime.faults.kind if pod.uid in runtime.faulty_pods else None
    if pod.phase == FAILED:  # rejected at admission (or evicted); the controller deletes it after its back-off
        evictions = kubelet.eviction
        return sc.DISK_PRESSURE if evictions is not None and pod.uid in evictions.failed else sc.REJECTED
    if pod.uid in runtime.unschedulable:
        why = kubelet.unschedulable(pod, runtime)
        return sc.PENDING_HOST_PORT if why == NODE_PORTS_REASON else sc.PENDING_RESOURCES
    if pod.ready:  # available as the recorder counts it
        available = is_pod_available(pod, runtime.ds.min_ready_seconds, api.env.now, inclusive=True)
        return sc.AVAILABLE if available else sc.READY_NOT_AVAILABLE
    if fault == "pull-error" and pod.phase != RUNNING and pod.scheduled:
        return sc.IMAGE_PULL_ERROR
    if fault in ("crashloop", "never-ready") and pod.phase == RUNNING:
        return _FAILING[fault]
    if runtime.queued.get(pod.uid, -1.0) > api.env.now:  # its request waits for a token or a place in the window
        return sc.PULL_QUEUED  # (a pull again after a back-off too: waiting in the queue, no longer in back-off)
    why = runtime.backing_off.get(pod.uid)  # the registry failed its last pull: in back-off
    if why is not None:
        return sc.PULL_RATE_LIMITED if why == REFUSED else sc.PULL_ERRORED
    if not pod.scheduled and _rejects_here(kubelet, runtime, pod.node):  # the kubelet will reject it once bound
        return sc.DISK_PRESSURE
    return sc.STARTING


def end_state(api: ApiServer, kubelet: Kubelet, runtime: PodRuntime, recorder: Recorder, deleter: str, *,
              horizon_reached: bool, completed: bool, rolled_back: bool,
              awaited: Collection[int] = ()) -> sc.EndState:
    """One DaemonSet's nodes at the end of the run: desired ones, and any other holding its pod.

    The nodes that are stuck (``stopcause.is_stuck``) are listed by name; the others, whose names
    nothing reads, are counted by state (``EndState.alike``). ``awaited``: the ids of the nodes
    the OnDelete batch deleter still waits for (``KubectlView.awaited``); their new pods' states
    are ``EndState.awaited``.
    """
    name = runtime.key
    revision = api.daemonsets[name].revision
    nodes, desired_nodes = api.nodes, recorder.desired
    alone = len(api.daemonsets) == 1  # then every pod is this DaemonSet's
    stuck: list[sc.NodeEnd] = []
    waited_for, awaited_states = set(awaited), []
    alike: Counter[tuple[bool, bool, str, str]] = Counter()
    would_preempt: Counter[tuple[str, ...]] = Counter()
    holders: set[str] = set()  # the other DaemonSets holding a host port its Pending new pods want
    short: set[str] = set()  # the resources its Pending new pods lack (NodeResourcesFit)
    failed_left = 0  # failed pods beside available new ones
    pods_on = api.pods_on  # the failed ones too
    for node in nodes.listing:  # in list order: the stuck nodes are named as the scenario lists them
        all_pods = pods_on(node)
        pods = all_pods if alone else [p for p in all_pods if p.owner == name]
        desired = bool(desired_nodes[node])
        if not desired and not pods:
            continue
        old, pod = _old_and_new(pods, revision)  # ``pod``: the pod whose state ``new`` is
        new = sc.NONE if pod is None else _new_state(pod, api, kubelet, runtime)
        if new == sc.AVAILABLE and len(pods) > 1 and (failed := _failed_beside(pods)):
            new = sc.FAILED_PODS_LEFT  # the status counts the node by its oldest pod, a failed one
            failed_left += failed
        if new == sc.PENDING_RESOURCES and pod is not None:
            _pending_resources(pod, kubelet, runtime, short, would_preempt)
        if new == sc.NONE and pod is None and old == "none" and desired and _rejects_here(kubelet, runtime, node):
            new = sc.DISK_PRESSURE  # none yet (between a deletion and its create): the next is rejected too
        ready = bool(nodes.ready[node])
        if new == sc.PENDING_HOST_PORT and not alone:
            holders.update(_port_holders(api, kubelet, runtime, node))
        if node in waited_for:
            awaited_states.append(new)
        if sc.is_stuck(ready, new):
            stuck.append(sc.NodeEnd(nodes.nodes[node].name, desired, ready, old, new))
        else:
            alike[desired, ready, old, new] += 1
    return sc.EndState(tuple(stuck), runtime.ds.strategy.type, deleter, horizon_reached, completed, rolled_back,
                       alike=tuple((sc.NodeEnd("", *key), count) for key, count in alike.items()), others=not alone,
                       awaited=tuple(awaited_states), port_holders=tuple(sorted(holders)),
                       registry=_registry_limit(kubelet, runtime, api.env.now),
                       failed_pods_left=failed_left,
                       would_preempt=(sum(would_preempt.values()),
                                      tuple(sorted({owner for owners in would_preempt for owner in owners}))),
                       clock_skew=kubelet.clocks is not None, budget=_budget(runtime.ds.strategy),
                       max_unavailable=_max_unavailable(runtime.ds.strategy, sum(map(bool, desired_nodes))),
                       surge=allows_surge(runtime.ds.strategy.max_surge, runtime.ds.strategy.rolling),
                       short=tuple(r for r in ("cpu", "memory") if r in short),
                       no_preemption=_no_preemption(runtime.ds, kubelet.workloads))


def _old_and_new(pods: list[Pod], revision: int) -> tuple[str, Pod | None]:
    """A node's old pod's state (none, running, terminating) and the pod that stands for its new one:
    the new pod not being deleted; else an old one evicted (phase Failed, its replacement to come);
    else None (none, or none yet: the old one gone, or the node just joined: nothing Pending).
    """
    if len(pods) == 1:  # most nodes: the one pod is the old one or the new one
        only = pods[0]
        if only.revision == revision:
            return "none", None if only.deleting else only
        if only.phase == FAILED and not only.deleting:
            return "none", only
        return "terminating" if only.deleting else "running", None
    olds = [p for p in pods if p.revision != revision]
    # a running new pod first: failed ones beside it are ``_failed_beside``'s (sorted is stable)
    news = sorted((p for p in pods if p.revision == revision and not p.deleting), key=lambda p: p.terminal)
    old = "none" if not olds else ("running" if any(not p.deleting and not p.terminal for p in olds)
                                   else "terminating" if any(p.deleting for p in olds) else "none")
    return old, news[0] if news else next((p for p in olds if p.terminal and not p.deleting), None)


def _failed_beside(pods: list[Pod]) -> int:
    """How many of a node's pods are failed and not being deleted (``manage`` deletes them one per back-off)."""
    return sum(1 for p in pods if p.phase == FAILED and not p.deleting)


def _rejects_here(kubelet: Kubelet, runtime: PodRuntime, node: int) -> bool:
    """Whether ``node``'s kubelet rejects ``runtime``'s pods now: DiskPressure, and they are not critical."""
    evictions = kubelet.eviction
    return evictions is not None and evictions.would_reject(node, runtime.key)


def _registry_limit(kubelet: Kubelet, runtime: PodRuntime, now: float) -> sc.RegistryLimit | None:
    """The registry's limit at ``now``, and when the first of ``runtime``'s pods' requests waiting in
    its queue is served (``PodRuntime.queued``); None for a registry without a limit.
    """
    registry = kubelet.registry
    if registry is None or not registry.spec.limited:
        return None
    next_at = min((t for t in runtime.queued.values() if t > now), default=None)
    return sc.RegistryLimit(registry.spec.limit_words, registry.spec.pull_window is not None, next_at, now)


def _port_holders(api: ApiServer, kubelet: Kubelet, runtime: PodRuntime, node: int) -> set[str]:
    """The other DaemonSets whose pods on ``node`` (bound, not terminal: as ``NodePorts`` counts
    them) hold a host port ``runtime``'s pods want.
    """
    wanted = set(runtime.requests.host_ports)
    return {p.owner for p in api.pods_by_node[node] if p.owner != runtime.key and p.scheduled and not p.terminal
            and wanted.intersection(kubelet.runtimes[p.owner].requests.host_ports)}


def _budget(strategy: UpdateStrategy) -> str:
    """What a RollingUpdate's unavailable new pods hold: maxUnavailable, maxSurge's slots, or either."""
    if is_zero(strategy.max_surge):
        return "maxUnavailable"
    if is_zero(strategy.max_unavailable):
        return "maxSurge's slots"
    return "maxUnavailable, or maxSurge's slots"


def _max_unavailable(strategy: UpdateStrategy, desired: int) -> tuple[int, int] | None:
    """The maxUnavailable ``updatedDesiredNodeCounts`` resolves for the ``desired`` nodes, with
    that count, when it is the whole budget (RollingUpdate, maxSurge 0); else None.
    """
    if not strategy.rolling or not is_zero(strategy.max_surge):
        return None
    return updated_desired_node_counts(desired, strategy.max_unavailable, strategy.max_surge).max_unavailable, desired


def _pending_resources(pod: Pod, kubelet: Kubelet, runtime: PodRuntime, short: set[str],
                       would_preempt: Counter[tuple[str, ...]]) -> None:
    """A new pod Pending for NodeResourcesFit: the resource it lacks (into ``short``: ``Insufficient cpu``
    names cpu) and the other DaemonSets the real scheduler would evict to bind it (``would_preempt``).
    """
    why = kubelet.unschedulable(pod, runtime)
    if why:
        short.add(why.removeprefix("Insufficient "))
    if owners := kubelet.daemon_victims(pod, runtime):
        would_preempt[owners] += 1


def _no_preemption(ds: DaemonSetSpec, workloads: OtherWorkloads) -> str:
    """Why the DaemonSet's pods preempt none of the nodes' other pods (``may_preempt``), or empty
    (also where the nodes hold no other pods: nothing to preempt, nothing to explain).
    """
    priority, policy, others = ds.priority, ds.preemption_policy, workloads.priority
    if workloads.utilization <= 0:
        return ""
    if policy == PREEMPT_NEVER:
        return "its preemptionPolicy is Never, so it preempts none of the nodes' other pods"
    if not may_preempt(priority, policy, others):
        return (f"its priority ({priority or 0:,}) is not above the nodes' other pods' ({others:,}), so it preempts "
                "none of them")
    return ""
