"""The pod lifecycle on a node, in SimPy time: what the scheduler and the kubelets do.

create → bind (``schedule``) → image pull (``pull``) → container start (``start``) →
Ready on a readiness-probe tick once the app is ready (``ready``) → available after
``minReadySeconds``. Delete → not Ready at once → gone after the container's shutdown
time, capped at ``terminationGracePeriodSeconds``.

One ``Kubelet`` stands for every node's kubelet and the scheduler of one cluster: it watches
every pod in the API server, so the pods of all DaemonSets share the scheduler's throughput,
each node's allocatable resources, host ports and download link, and the image registry's bandwidth. Each
DaemonSet brings its own ``PodRuntime`` (``rollsim.cluster.podruntime``): its phase timings,
probe, faults and image. The image pull, and its back-off when it fails, is the kubelet's image
manager's (``rollsim.cluster.imagepull``), which calls the container start back.

Each pod's start-up and termination is a chain of scheduled calls (``rollsim.cluster.timers``),
one per wait: no ``Process`` and no generator per pod. The chain starts in the watch handler
itself, where a process would only have been started (its first step an urgent event right
after the API write): the first wait is drawn at the same instant and in the same order as
that step drew it, and nothing can happen to the pod in between; only the event id of the
first wait is taken a little earlier, which could reorder it only against an event of exactly
the same time scheduled later in the same write (``tests/test_identical_results.py`` holds
constant-timing runs, where instants tie, to the results of the process-started chains). A pod
whose container never started is removed by an urgent call after the write, as before: its
DELETED event must not overtake the deletion the write returns.
"""

from __future__ import annotations

import math

import numpy as np
import simpy

from rollsim.cluster.admission import KubeletAdmission, active_requests
from rollsim.cluster.apiserver import ADDED, DELETED, DELETING, MODIFIED, ApiServer
from rollsim.cluster.clocks import NodeClocks
from rollsim.cluster.eviction import EvictionLoop, EvictionManager
from rollsim.cluster.imagepull import ImageManager
from rollsim.cluster.nodestore import NODE_ADDED
from rollsim.cluster.podruntime import PodRuntime
from rollsim.cluster.podworker import PodWorkers
from rollsim.cluster.preemption import Nominator, OtherWorkloads, select_victims
from rollsim.cluster.registry import Registry
from rollsim.cluster.sampler import Sampler
from rollsim.cluster.scheduling import (
    FLUSH_PERIOD_S,
    NODE_PORTS_REASON,
    PodRequests,
    UnschedulablePods,
    unschedulable_reason,
)
from rollsim.cluster.timers import call_later, call_soon
from rollsim.controller.flowcontrol import TokenBucket
from rollsim.controller.pods import FAILED, RUNNING, Pod
from rollsim.spec.faults import (
    BACKOFF_EXPIRY_S,
    CRASHLOOP,
    HEALTHY,
    NEVER_READY,
    PULL_ERROR,
    REJECTED,
    crash_loop_backoff,
)
from rollsim.spec.priority import may_preempt
from rollsim.spec.scenario import ReadinessProbe

__all__ = ["Sampler", "readiness_delay", "ready_after", "Kubelet"]


def ready_after(app_ready: float, probe: ReadinessProbe) -> float:
    """Seconds from container start until Ready: ``successThreshold`` passing probes in a row."""
    first = readiness_delay(app_ready, probe.initial_delay_seconds, probe.period_seconds)
    return first + (probe.success_threshold - 1) * probe.period_seconds


def readiness_delay(app_ready: float, initial_delay: float, period: float) -> float:
    """Seconds from container start until the Ready condition turns true.

    Mirrors the kubelet's readiness probe worker (``pkg/kubelet/prober/worker.go``): ``run`` probes
    when the worker starts and then on a ``time.Ticker`` of ``period``, and ``doProbe`` skips every
    tick before the container has run ``initialDelaySeconds`` ("Probe disabled for
    InitialDelaySeconds"): the delay skips ticks, it does not move them. The pod turns Ready on the
    first tick at or after both the delay and the app being ready (successThreshold 1).
    ``period == 0`` means exactly when the app is ready. Departure (README): the worker starts
    when the kubelet first syncs the pod, before the image pull; rollsim starts its ticks at the
    container start.
    """
    due = max(app_ready, initial_delay)
    if period <= 0:
        return due
    ticks = max(0, math.ceil(due / period - 1e-12))
    return max(due, ticks * period)  # max: the tick itself, not a rounding below it


class Kubelet:
    """Runs every pod's lifecycle against the API server (the truth, not a controller's cache)."""

    def __init__(self, env: simpy.Environment, api: ApiServer, *, workloads: OtherWorkloads, pod_workers: PodWorkers,
                 scheduler_throughput: float | None = None, registry: Registry | None = None,
                 node_bandwidth: float | None = None, clocks: NodeClocks | None = None,
                 eviction_transition_s: float | None = None, disk_pressure_for_s: float | None = None,
                 eviction_rng: np.random.Generator | None = None, serialize_image_pulls: bool = True,
                 max_parallel_image_pulls: int | None = None) -> None:
        self.env = env
        self.api = api
        self.workloads = workloads  # the nodes' other pods
        self.pod_workers = pod_workers  # when a backed-off container restarts
        self.scheduler = None if scheduler_throughput is None else TokenBucket(scheduler_throughput, 1)
        self.registry = registry
        self.images = ImageManager(env, api, pod_workers, registry, self._gone, self._started, node_bandwidth,
                                   serialize_image_pulls, max_parallel_image_pulls)
        self.runtimes: dict[str, PodRuntime] = {}
        self.admission = KubeletAdmission(api, self.runtimes, self.workloads)
        self.nominator = Nominator()  # preemptors waiting for their victims to go: their room is reserved
        self.waiting = UnschedulablePods()  # the scheduler's unschedulable pods
        self._watching_room = False  # whether _room_freed watches the pods (once some DaemonSet's may not fit)
        self._left: set[int] = set()  # the pods that left the scheduler's cache on turning terminal
        self.clocks = clocks  # each node's clock against the controller's (None: all agree)
        # the eviction manager, only where a node comes under disk pressure (rollsim.cluster.eviction):
        # its synchronize loop with a stream to draw from (realistic mode), else acting at once
        self.eviction = (None if eviction_transition_s is None else
                         EvictionManager(env, api, self._priority_of, eviction_transition_s, disk_pressure_for_s)
                         if eviction_rng is None else
                         EvictionLoop(env, api, self._priority_of, eviction_transition_s, disk_pressure_for_s,
                                      eviction_rng))
        # of the updates only a deletion's (its deletionTimestamp set: the kubelet config's DELETE)
        api.watch_pods(self._pod_changed, kinds=(ADDED, DELETING))
        api.nodes.watch(self._node_changed)

    def add_daemonset(self, runtime: PodRuntime) -> None:
        """Register a DaemonSet's pod runtime, so the kubelets can run its pods. The first whose
        pods may not fit makes the scheduler watch for the room bound pods leave (``_room_freed``).
        """
        self.runtimes[runtime.key] = runtime
        if runtime.may_not_fit and not self._watching_room:
            self._watching_room = True
            self.api.watch_pods(self._room_freed, kinds=(MODIFIED, DELETED))

    def _room_freed(self, kind: str, pod: Pod) -> None:
        """``AssignedPodDelete``: a bound pod leaves the scheduler's cache (deleted, or terminal:
        ``active_requests`` no longer counts it), and the pods it may make schedulable are tried
        again (``UnschedulablePods.moved_by``). A pod deleted before it was bound leaves the queue.
        """
        waiting = self.waiting
        if kind == DELETED:
            if not pod.scheduled:
                waiting.forget(pod.uid)
                return
            if pod.terminal:  # it left when it turned terminal
                self._left.discard(pod.uid)
                return
        elif not (pod.terminal and pod.scheduled) or pod.uid in self._left:
            return
        else:
            self._left.add(pod.uid)
        if waiting:
            env = self.env
            for waiter, rt in waiting.moved_by(self.runtimes[pod.owner].requests.host_ports):
                call_later(env, 0.0, self._bind, waiter, rt)

    def _wait_unschedulable(self, pod: Pod, rt: PodRuntime, ports: tuple[int, ...]) -> None:
        """The pod failed a try: it waits among the unschedulable pods, and the
        queue's leftover flush runs (every 30 s from the scheduler's start) while any waits.
        """
        now = self.env._now
        if not self.waiting:
            call_later(self.env, (math.floor(now / FLUSH_PERIOD_S) + 1) * FLUSH_PERIOD_S - now, self._flush)
        self.waiting.add(pod, rt, now, ports)

    def _flush(self) -> None:
        """``flushUnschedulablePodsLeftover``: pods waiting over 5 minutes are tried again."""
        env = self.env
        for pod, rt in self.waiting.leftover(env._now):
            call_later(env, 0.0, self._bind, pod, rt)
        if self.waiting:
            call_later(env, FLUSH_PERIOD_S, self._flush)

    def _pod_changed(self, kind: str, pod: Pod) -> None:
        """The kubelet's pod watch: start a pod bound here (ADDED), stop one being deleted (the
        update that sets its deletionTimestamp, one per pod: ``DELETING``).
        """
        if kind == ADDED:
            self._start_up(pod, self.runtimes[pod.owner])
        else:
            self._terminate(pod, self.runtimes[pod.owner])

    def _node_changed(self, kind: str, node_id: int) -> None:
        if kind == NODE_ADDED:
            for runtime in self.runtimes.values():
                runtime.node_added()

    def _priority_of(self, key: str) -> int | None:
        """The priority of DaemonSet ``key``'s pods."""
        return self.runtimes[key].ds.priority

    def _gone(self, pod: Pod) -> bool:
        """The pod is being deleted, or was evicted (phase Failed), or its node's kubelet has
        stopped (NotReady or removed).
        """
        return pod.deleting or pod.phase == FAILED or not self.api.nodes.ready[pod.node]

    def filtered_beside(self, pod: Pod, runtime: PodRuntime) -> list[PodRequests]:
        """The daemon pods the scheduler's filters count on ``pod``'s node: those bound there, and
        those of equal or higher priority nominated there (``RunFilterPluginsWithNominatedPods``:
        ``rollsim.cluster.preemption.Nominator``).
        """
        bound = active_requests(self.api, self.runtimes, pod)
        return bound + self.nominator.reserved(pod, runtime.ds.priority)

    def unschedulable(self, pod: Pod, runtime: PodRuntime) -> str | None:
        """The scheduler's reason why ``pod`` does not fit its node beside the pods bound or nominated there."""
        node = self.api.nodes.nodes[pod.node]
        return unschedulable_reason(node, self.filtered_beside(pod, runtime), runtime.requests,
                                    workloads=self.workloads.requests(pod.node, node))

    def daemon_victims(self, pod: Pod, runtime: PodRuntime) -> tuple[str, ...]:
        """The other DaemonSets whose pods on ``pod``'s node the real scheduler's ``DefaultPreemption``
        would evict for ``pod`` (``SelectVictimsOnNode``: every pod of strictly lower priority
        removed, the pod fits), or () when it may not preempt them or would not fit even so. rollsim
        never evicts another DaemonSet's pod (``rollsim.cluster.preemption``): a departure, which
        the stop cause states from this.
        """
        ds, node = runtime.ds, self.api.nodes.nodes[pod.node]
        beside = [p for p in self.api.pods_by_node[pod.node] if p.scheduled and p is not pod and not p.terminal]
        lower = [p for p in beside if may_preempt(ds.priority, ds.preemption_policy, self.runtimes[p.owner].ds.priority
                                                  or 0)]
        if not lower:
            return ()
        kept = [self.runtimes[p.owner].requests for p in beside if p not in lower]
        workloads = self.workloads
        left = ((0.0, 0.0) if may_preempt(ds.priority, ds.preemption_policy, workloads.priority)
                else workloads.requests(pod.node, node))
        if unschedulable_reason(node, kept + self.nominator.reserved(pod, ds.priority), runtime.requests,
                                workloads=left) is not None:
            return ()
        return tuple(sorted({p.owner for p in lower}))

    # Each pod's start-up and termination is a chain of scheduled calls, one per wait: each
    # call_later below is where the generator this replaced yielded (same delay, drawn at the
    # same moment), so the events and the draws are the same as theirs.

    def _start_up(self, pod: Pod, rt: PodRuntime) -> None:
        """The scheduler takes the pod: FIFO at its throughput, then its latency (``_bind`` next)."""
        if self._gone(pod):
            return  # no kubelet to start it
        now = self.env._now  # the clock without its property
        queued = 0.0 if self.scheduler is None else self.scheduler.reserve(now) - now
        call_later(self.env, queued + rt.schedule(), self._bind, pod, rt)

    def _bind(self, pod: Pod, rt: PodRuntime) -> None:
        """The scheduler binds the pod, or keeps it Pending among the unschedulable pods while it
        does not fit; then the kubelet admits it (``_admit``).
        """
        gone = self._gone(pod)
        if rt.may_not_fit:
            if not gone and (why := self.unschedulable(pod, rt)):  # Pending: preempts, or is retried
                rt.unschedulable.add(pod.uid)
                if why == NODE_PORTS_REASON:
                    self._wait_unschedulable(pod, rt, rt.requests.host_ports)
                elif not self._preempt(pod, rt):
                    self._wait_unschedulable(pod, rt, ())
                return
            rt.unschedulable.discard(pod.uid)
            self.nominator.forget(pod)  # bound, or gone: no longer nominated
        if gone:
            return
        pod.scheduled, pod.scheduled_at = True, self.env._now
        self.api.pod_status_changed(pod)
        self._admit(pod, rt)

    def _preempt(self, pod: Pod, rt: PodRuntime) -> bool:
        """The ``DefaultPreemption`` PostFilter for a pod short of CPU or memory (``rollsim.cluster.preemption``):
        whether it preempted other workloads on its node. If so it is nominated there (its room
        reserved from lower-priority pods: ``Nominator``), and the scheduler binds it (``_bind``)
        once they are gone: their deletion moves it, and the idle scheduler pops it from its
        back-off queue at once (``SchedulerPopFromBackoffQ``, ``UnschedulablePods``).
        """
        workloads = self.workloads
        if not may_preempt(rt.ds.priority, rt.ds.preemption_policy, workloads.priority):
            return False
        node = self.api.nodes.nodes[pod.node]
        now = workloads.requests(pod.node, node)
        left = select_victims(node, now, self.filtered_beside(pod, rt), rt.requests)
        if left is None:
            return False
        self.nominator.nominate(pod, rt.requests, rt.ds.priority)
        rt.preempted_nodes.add(pod.node)
        rt.preempted_cpu_millis += now[0] - left[0]
        rt.preempted_memory_bytes += now[1] - left[1]
        call_later(self.env, workloads.termination(), self._victims_gone, pod, rt, left)
        return True

    def _victims_gone(self, pod: Pod, rt: PodRuntime, left: tuple[float, float]) -> None:
        """The preempted pods are gone from the node: the nominated pod's next scheduling attempt."""
        self.workloads.evicted(pod.node, self.api.nodes.nodes[pod.node], left)
        self._bind(pod, rt)

    def _admit(self, pod: Pod, rt: PodRuntime) -> None:
        """``HandlePodAdditions``: the kubelet's admission (``canAdmitPod``, rollsim.cluster.admission)
        rejects it (phase Failed), or the image manager makes sure the image is there
        (``rollsim.cluster.imagepull``), then the container starts ``start`` later (``_started``);
        an image that cannot be pulled fails (``pull_fails``).
        """
        fault = rt.fault(pod)
        eviction = self.eviction
        if eviction is not None and eviction.rejects(pod):  # the eviction manager's Admit comes first
            return
        if fault == REJECTED or self.admission.reject_reason(pod, rt.ds.placement) is not None:
            pod.phase = FAILED
            self.api.pod_status_changed(pod)
        elif fault == PULL_ERROR:
            if rt.pulls_image(pod):  # ErrImagePull, then ImagePullBackOff, for ever
                self.images.pull_fails(pod, rt)
            else:  # EnsureImageExists never asks the registry for an image present under IfNotPresent
                self.images.ensure_image_exists(pod, rt, HEALTHY, rt.start())
        else:
            self.images.ensure_image_exists(pod, rt, fault, rt.start())

    def _started(self, pod: Pod, rt: PodRuntime, fault: str, pull: float | None, pulled_at: float) -> None:
        """The container started (phase Running); then Ready once the probe passes (``_ready``)."""
        if self._gone(pod):
            return
        pod.phase = RUNNING
        if pod.revision != 0 and pull is not None:
            rt.pulls.extend((pulled_at - pull, pulled_at))
        pod.pulled_at, pod.started_at = pulled_at, self.env._now
        self.api.pod_status_changed(pod)
        if fault == NEVER_READY:
            return
        if fault == CRASHLOOP:
            call_later(self.env, rt.faults.crash_after, self._crashed, pod, rt, 0)
            return
        call_later(self.env, ready_after(rt.ready(), rt.ds.readiness_probe), self._ready, pod, rt)

    def _ready(self, pod: Pod, rt: PodRuntime) -> None:
        """The readiness probe passed: Ready, and available ``minReadySeconds`` later, as the
        controller's clock sees the node's ``lastTransitionTime`` (``rollsim.cluster.clocks``).
        """
        api = self.api
        if self._gone(pod):
            return
        pod.ready, pod.ready_since = True, api.timestamp()  # lastTransitionTime: whole seconds
        if self.clocks is not None:  # ... in the node's time (rollsim.spec.clockskew)
            pod.ready_since += self.clocks.offset(pod.node)
        api.pod_status_changed(pod)
        min_ready = rt.ds.min_ready_seconds
        if min_ready > 0:
            call_later(self.env, max(0.0, pod.ready_since + min_ready - self.env._now), self._available, pod)

    def _available(self, pod: Pod) -> None:
        if not self._gone(pod):
            self.api.pod_became_available(pod)

    def _crashed(self, pod: Pod, rt: PodRuntime, failures: int) -> None:
        """The container exits before it is ever Ready (``failures`` exits before this one since
        the back-off entry began) and is restarted once CrashLoopBackOff allows (``crash_loop_backoff``:
        at once after the first exit, as kuberuntime's ``doBackOff``), at the first pod sync then
        (``PodWorkers.restart_at``: the PLEG relist that sees the exit, then ``completeWork``'s
        requeues), for ever (until the pod is gone).
        """
        if self._gone(pod):
            return
        self.api.pod_status_changed(pod)
        now = self.env._now
        restart = self.pod_workers.restart_at(pod.node, now, crash_loop_backoff(failures + 1))
        start = rt.start()
        call_later(self.env, restart - now + start, self._restarted, pod, rt, failures + 1, start)

    def _restarted(self, pod: Pod, rt: PodRuntime, failures: int, start: float) -> None:
        """The container runs again, ``start`` seconds after ``doBackOff`` let it restart (and ``Next``
        updated its back-off entry); it exits ``crash_after`` later. If that exit comes more than
        10 minutes after the update, the entry has expired (client-go's ``hasExpired``): the next
        restart is at once again, its back-off starting over from 10 s.
        """
        if self._gone(pod):
            return
        self.api.pod_status_changed(pod)
        crash_after = rt.faults.crash_after
        expired = start + crash_after > BACKOFF_EXPIRY_S
        call_later(self.env, crash_after, self._crashed, pod, rt, 0 if expired else failures)

    def _terminate(self, pod: Pod, rt: PodRuntime) -> None:
        """``killPod``: the container stops within its grace period; then the kubelet confirms the deletion."""
        if not self.api.nodes.alive[pod.node]:  # a kubelet reporting NotReady itself still kills pods
            return  # no kubelet to confirm the deletion (unreachable): the pod stays terminating
        if pod.phase == RUNNING:  # a pod whose container never started has nothing to shut down
            call_later(self.env, min(rt.terminate(), rt.ds.termination_grace_period_seconds), self._terminated, pod)
        else:  # gone at once, once the deletion's own write has returned
            call_soon(self.env, self._terminated, pod)

    def _terminated(self, pod: Pod) -> None:
        if self.api.nodes.alive[pod.node]:  # a kubelet that died meanwhile never confirms it
            self.api.remove_pod(pod)
