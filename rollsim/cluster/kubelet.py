"""The pod lifecycle on a node, in SimPy time: what the scheduler and the kubelets do.

create → bind (``schedule``) → image pull (``pull``) → container start (``start``) →
Ready on a readiness-probe tick once the app is ready (``ready``) → available after
``minReadySeconds``. Delete → not Ready at once → gone after the container's shutdown
time, capped at ``terminationGracePeriodSeconds``.

One ``Kubelet`` stands for every node's kubelet and the scheduler of one cluster: it watches
every pod in the API server, so the pods of all DaemonSets share the scheduler's throughput,
each node's allocatable resources and host ports, and the image registry's bandwidth. Each
DaemonSet brings its own ``PodRuntime``: its phase timings, probe, faults and image.

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
from array import array
from collections import deque
from collections.abc import Callable
from dataclasses import InitVar, dataclass, field

import numpy as np
import simpy

from rollsim.cluster.admission import KubeletAdmission, active_requests
from rollsim.cluster.apiserver import ADDED, DELETED, MODIFIED, ApiServer
from rollsim.cluster.nodestore import NODE_ADDED
from rollsim.cluster.podworker import PodWorkers
from rollsim.cluster.preemption import OtherWorkloads, select_victims
from rollsim.cluster.registry import Registry
from rollsim.cluster.sampler import Sampler
from rollsim.cluster.scheduling import NODE_PORTS_REASON, PodRequests, scheduler_backoff, unschedulable_reason
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
    NewPodFaults,
    crash_loop_backoff,
    kubelet_backoff,
)
from rollsim.spec.image import IF_NOT_PRESENT, ImageSpec
from rollsim.spec.priority import may_preempt
from rollsim.spec.scenario import DaemonSetSpec, ReadinessProbe, Timings
from rollsim.spec.streams import Streams

__all__ = ["Sampler", "readiness_delay", "ready_after", "PodRuntime", "Kubelet"]


def ready_after(app_ready: float, probe: ReadinessProbe) -> float:
    """Seconds from container start until Ready: ``successThreshold`` passing probes in a row."""
    first = readiness_delay(app_ready, probe.initial_delay_seconds, probe.period_seconds)
    return first + (probe.success_threshold - 1) * probe.period_seconds


def readiness_delay(app_ready: float, initial_delay: float, period: float) -> float:
    """Seconds from container start until the Ready condition turns true.

    The probe first runs ``initial_delay`` after the container starts and then every
    ``period`` seconds; the pod turns Ready on the first tick at or after the app is
    ready (successThreshold 1). ``period == 0`` means exactly when the app is ready.
    The kubelet anchors its ticks at the probe worker's start, shortly before the
    container starts; rollsim anchors them at the container start.
    """
    if period <= 0:
        return max(app_ready, initial_delay)
    ticks = max(0, math.ceil((app_ready - initial_delay) / period - 1e-12))
    return initial_delay + ticks * period


@dataclass
class PodRuntime:
    """One DaemonSet's pods on the nodes: their phase timings, probe, faults and image, and
    what happened to them (pulls, pods Pending because they do not fit).
    """

    ds: DaemonSetSpec
    timings: Timings
    faults: NewPodFaults
    image: ImageSpec
    streams: Streams  # this DaemonSet's named streams
    positions: InitVar[np.ndarray]  # each node id's place in the scenario's list of nodes (``NodeStore.positions``)
    key: str  # the run's key of the DaemonSet, its pods' owner (``Scenario.daemonset_keys``)
    schedule: Sampler = field(init=False)
    pull: Sampler = field(init=False)
    start: Sampler = field(init=False)
    ready: Sampler = field(init=False)
    terminate: Sampler = field(init=False)
    requests: PodRequests = field(init=False)
    may_not_fit: bool = field(init=False)  # requests.any: the scheduler's fit filters can reject a pod
    faulty: bool = field(init=False)  # faults.any: some new pod is faulty
    # start and end of each new-image pull, in pairs: a C array of doubles (16 bytes a pull, where a
    # list of tuples of floats took 100: a million pulls at a million nodes)
    pulls: array[float] = field(default_factory=lambda: array("d"))
    bytes_pulled: float = 0.0  # by the new image's pulls, as ``pulls`` holds them
    unschedulable: set[int] = field(default_factory=set)
    # pods whose last pull the registry refused over its rate limit (429), in ImagePullBackOff until
    # their next pull; and every request of this DaemonSet's pods the registry refused
    refused: set[int] = field(default_factory=set)
    refusals: int = 0
    # nodes where this DaemonSet's pods preempted other workloads, and the CPU and memory evicted
    preempted_nodes: set[int] = field(default_factory=set)
    preempted_cpu_millis: float = 0.0
    preempted_memory_bytes: float = 0.0

    def __post_init__(self, positions: np.ndarray) -> None:
        s, t = self.streams, self.timings
        self.schedule = Sampler(t.schedule, s["schedule"])
        self.pull = Sampler(t.pull, s["pull"])
        self.start = Sampler(t.start, s["start"])
        self.ready = Sampler(t.ready, s["ready"])
        self.terminate = Sampler(t.terminate, s["terminate"])
        self._fault_rng: np.random.Generator = s["faults"]
        self._cache_rng: np.random.Generator = s["image_cache"]
        # whether each node has the new image already: one byte a node, drawn in list order
        self.cached = bytearray((self._cache_rng.random(len(positions)) < self.image.cached)[positions].tobytes())
        # whether each node has the old template's image: every node there at time 0 ran it
        self.old_image = bytearray(b"\x01") * len(positions)
        ds = self.ds
        self.requests = PodRequests(ds.requests_cpu_millis, ds.requests_memory_bytes, ds.host_ports)
        self.may_not_fit, self.faulty = self.requests.any, self.faults.any  # read once, not per pod

    def node_added(self) -> None:
        """A node joined: whether it already has the new image is drawn like the others'; it never
        ran the old template, so it does not have that image.
        """
        self.cached.append(bool(self._cache_rng.random() < self.image.cached))
        self.old_image.append(0)

    def image_present(self, pod: Pod) -> bool:
        """Whether ``pod``'s image is on its node (``EnsureImageExists``'s ``imagePresent``): the old
        template's (revision 0, back after a rollback) on every node that was there at time 0, the
        new one where it was cached before the run or pulled since.
        """
        return bool((self.old_image if pod.revision == 0 else self.cached)[pod.node])

    def pulls_image(self, pod: Pod) -> bool:
        """``shouldPullImage``: ``Always`` asks the registry whatever the node has (a manifest check
        when the image is present), ``IfNotPresent`` only when the image is not on the node.
        """
        return self.image.pull_policy != IF_NOT_PRESENT or not self.image_present(pod)

    def image_pulled(self, pod: Pod) -> None:
        """A pull of ``pod``'s image succeeded: the node has it now (no image garbage collection)."""
        (self.old_image if pod.revision == 0 else self.cached)[pod.node] = 1

    def fault(self, pod: Pod) -> str:
        """Whether this pod of a new revision is faulty (pods of revision 0 never are)."""
        if pod.revision == 0 or not self.faulty:
            return HEALTHY
        if self.faults.fraction < 1.0 and self._fault_rng.random() >= self.faults.fraction:
            return HEALTHY
        return self.faults.kind


class Kubelet:
    """Runs every pod's lifecycle against the API server (the truth, not a controller's cache)."""

    def __init__(self, env: simpy.Environment, api: ApiServer, *, workloads: OtherWorkloads, pod_workers: PodWorkers,
                 scheduler_throughput: float | None = None, registry: Registry | None = None) -> None:
        self.env = env
        self.api = api
        self.workloads = workloads  # the nodes' other pods
        self.pod_workers = pod_workers  # when a backed-off container restarts or image is pulled again
        self.scheduler = None if scheduler_throughput is None else TokenBucket(scheduler_throughput, 1)
        self.registry = registry
        self.runtimes: dict[str, PodRuntime] = {}
        self.admission = KubeletAdmission(api, self.runtimes, self.workloads)
        self._stopping: set[int] = set()
        self._pulls_on: dict[int, deque[tuple[float, float | None, Callable[[float | None], None]]]] = {}  # waiting
        api.watch_pods(self._pod_changed)
        api.nodes.watch(self._node_changed)

    def add_daemonset(self, runtime: PodRuntime) -> None:
        """Register a DaemonSet's pod runtime, so the kubelets can run its pods."""
        self.runtimes[runtime.key] = runtime

    def _pod_changed(self, kind: str, pod: Pod) -> None:
        """The kubelet's pod watch: start a pod bound here, stop one being deleted."""
        if kind == ADDED:
            self._start_up(pod, self.runtimes[pod.owner])
        elif kind == MODIFIED and pod.deleting and pod.uid not in self._stopping:
            self._stopping.add(pod.uid)
            self._terminate(pod, self.runtimes[pod.owner])
        elif kind == DELETED:
            self._stopping.discard(pod.uid)

    def _node_changed(self, kind: str, node_id: int) -> None:
        if kind == NODE_ADDED:
            for runtime in self.runtimes.values():
                runtime.node_added()

    def _gone(self, pod: Pod) -> bool:
        """The pod is being deleted, or its node's kubelet has stopped (NotReady or removed)."""
        return pod.deleting or not self.api.nodes.ready[pod.node]

    def unschedulable(self, pod: Pod, runtime: PodRuntime) -> str | None:
        """The scheduler's reason why ``pod`` does not fit its node beside the pods bound there, or None."""
        bound = active_requests(self.api, self.runtimes, pod)
        node = self.api.nodes.nodes[pod.node]
        return unschedulable_reason(node, bound, runtime.requests, workloads=self.workloads.requests(pod.node, node))

    # Each pod's start-up and termination is a chain of scheduled calls, one per wait: each
    # call_later below is where the generator this replaced yielded (same delay, drawn at the
    # same moment), so the events and the draws are the same as theirs.

    def _start_up(self, pod: Pod, rt: PodRuntime) -> None:
        """The scheduler takes the pod: FIFO at its throughput, then its latency (``_bind`` next)."""
        if self._gone(pod):
            return  # no kubelet to start it
        now = self.env._now  # the clock without its property
        queued = 0.0 if self.scheduler is None else self.scheduler.reserve(now) - now
        call_later(self.env, queued + rt.schedule(), self._bind, pod, rt, 0)

    def _bind(self, pod: Pod, rt: PodRuntime, attempts: int) -> None:
        """The scheduler binds the pod, or keeps it Pending with back-off while it does not fit;
        then the kubelet admits it (``_admit``).
        """
        gone = self._gone(pod)
        if rt.may_not_fit:
            if not gone and (why := self.unschedulable(pod, rt)):  # Pending: preempts, or is retried
                rt.unschedulable.add(pod.uid)
                if why == NODE_PORTS_REASON or not self._preempt(pod, rt, attempts):
                    call_later(self.env, scheduler_backoff(attempts + 1), self._bind, pod, rt, attempts + 1)
                return
            rt.unschedulable.discard(pod.uid)
        if gone:
            return
        pod.scheduled, pod.scheduled_at = True, self.env._now
        self.api.pod_status_changed(pod)
        self._admit(pod, rt)

    def _preempt(self, pod: Pod, rt: PodRuntime, attempts: int) -> bool:
        """The ``DefaultPreemption`` PostFilter for a pod short of CPU or memory (``rollsim.cluster.preemption``):
        whether it preempted other workloads on its node. If so it is nominated there, and the
        scheduler binds it (``_bind``) once they are gone and its back-off has passed.
        """
        workloads = self.workloads
        if not may_preempt(rt.ds.priority, rt.ds.preemption_policy, workloads.priority):
            return False
        node = self.api.nodes.nodes[pod.node]
        now = workloads.requests(pod.node, node)
        left = select_victims(node, now, active_requests(self.api, self.runtimes, pod), rt.requests)
        if left is None:
            return False
        rt.preempted_nodes.add(pod.node)
        rt.preempted_cpu_millis += now[0] - left[0]
        rt.preempted_memory_bytes += now[1] - left[1]
        gone_in = workloads.termination()
        call_later(self.env, gone_in, self._victims_gone, pod, rt, attempts + 1, left,
                   scheduler_backoff(attempts + 1) - gone_in)
        return True

    def _victims_gone(self, pod: Pod, rt: PodRuntime, attempts: int, left: tuple[float, float],
                      backoff_left: float) -> None:
        """The preempted pods are gone from the node: the nominated pod's next scheduling attempt."""
        self.workloads.evicted(pod.node, self.api.nodes.nodes[pod.node], left)
        if backoff_left > 0:
            call_later(self.env, backoff_left, self._bind, pod, rt, attempts)
        else:
            self._bind(pod, rt, attempts)

    def _admit(self, pod: Pod, rt: PodRuntime) -> None:
        """``HandlePodAdditions``: the kubelet's admission (``canAdmitPod``, rollsim.cluster.admission)
        rejects it (phase Failed), or the image pull starts (``_pull``, or ``_pull_fails`` for an image
        that cannot be pulled).
        """
        fault = rt.fault(pod)
        if fault == REJECTED or self.admission.reject_reason(pod, rt.ds.placement) is not None:
            pod.phase = FAILED
            self.api.pod_status_changed(pod)
        elif fault == PULL_ERROR:
            if rt.pulls_image(pod):  # ErrImagePull, then ImagePullBackOff, for ever
                self._pull_fails(pod, rt, 0)
            else:  # EnsureImageExists never asks the registry for an image present under IfNotPresent
                self._pull(pod, rt, HEALTHY)
        else:
            self._pull(pod, rt, fault)

    def _registry_answer(self, rt: PodRuntime) -> tuple[float, bool]:
        """Seconds until the registry answers a request of ``rt``'s made now (its pull-rate token,
        then its latency; 0 without a registry model), and whether it refused it over its limit
        (``Registry.answer``), counted as the DaemonSet's.
        """
        if self.registry is None:
            return 0.0, False
        wait, refused = self.registry.answer(self.env._now)
        if refused:
            rt.refusals += 1
        return wait, refused

    def _pull_fails(self, pod: Pod, rt: PodRuntime, failures: int) -> None:
        """A pull that fails (ErrImagePull) with the registry's answer: a pull-rate token and the
        latency when modelled, at once without them; no ``pull`` time and no bytes (``_pull_failed``).
        A registry that rejects over its limit may answer 429 instead (no token): the same failure.

        ``pull-error`` stands for a manifest-level failure (a tag that does not exist, credentials
        refused). ``EnsureImageExists`` (pkg/kubelet/images/image_manager.go) waits on the puller's
        result (puller.go ``pullImage``: the CRI ``PullImage``), and the runtime resolves the reference
        first (containerd ``Client.fetch``: ``Resolver.Resolve``, the token and manifest round trip)
        and returns that error before any layer is fetched, as a manifest check does.
        """
        call_later(self.env, self._registry_answer(rt)[0], self._pull_failed, pod, rt, failures)

    def _pull_failed(self, pod: Pod, rt: PodRuntime, failures: int) -> None:
        """A pull failed (ErrImagePull): the image pull back-off (``kubelet_backoff``), then the next
        attempt at the first pod sync at or after it expires (``PodWorkers.pull_again_at``: the failed
        sync's requeue, ``completeWork``, and those of the syncs that find ImagePullBackOff).
        """
        if self._gone(pod):
            return
        self.api.pod_status_changed(pod)
        call_later(self.env, self._pull_again_in(pod, failures), self._pull_again, pod, rt, failures + 1)

    def _pull_again_in(self, pod: Pod, failures: int) -> float:
        """Seconds from now, when a pull failed, to the next one: the first pod sync at or after the
        image pull back-off (``kubelet_backoff``) of the ``failures + 1``-th failure expires
        (``PodWorkers.pull_again_at``: the failed sync's requeue, ``completeWork``, and those of the
        syncs that find ImagePullBackOff).
        """
        now = self.env._now
        return self.pod_workers.pull_again_at(pod.node, now, kubelet_backoff(failures + 1)) - now

    def _pull_again(self, pod: Pod, rt: PodRuntime, failures: int) -> None:
        if not self._gone(pod):
            self._pull_fails(pod, rt, failures)

    def _pull_refused(self, pod: Pod, rt: PodRuntime, fault: str, failures: int) -> None:
        """The registry refused the pull over its rate limit (429 Too Many Requests, before any
        layer: no bytes): the runtime's ``PullImage`` fails, and the kubelet treats it as any failed
        pull (ErrImagePull, the image pull back-off, the next pull at the first pod sync after it).
        """
        if self._gone(pod):
            rt.refused.discard(pod.uid)
            return
        rt.refused.add(pod.uid)
        self.api.pod_status_changed(pod)
        call_later(self.env, self._pull_again_in(pod, failures), self._pull_retried, pod, rt, fault, failures + 1)

    def _pull_retried(self, pod: Pod, rt: PodRuntime, fault: str, failures: int) -> None:
        if self._gone(pod):
            rt.refused.discard(pod.uid)
        else:
            self._pull(pod, rt, fault, failures)

    def _pull(self, pod: Pod, rt: PodRuntime, fault: str, failures: int = 0) -> None:
        """``EnsureImageExists``: no pull for an image present under ``IfNotPresent``
        (``shouldPullImage``); else a pull through the registry, by bytes for an image of known
        size (a manifest check, no bytes, for one present under ``Always``), or taking the
        ``pull`` time (none for a manifest check) once the registry answers. Then the container
        start (``_started``); or, where the registry refused the pull over its limit, the image
        pull back-off (``_pull_refused``: ``failures`` such pulls of this pod so far).
        """
        start = rt.start()
        present = rt.image_present(pod)
        if present and rt.image.pull_policy == IF_NOT_PRESENT:  # not rt.pulls_image(pod), read once
            call_later(self.env, start, self._started, pod, rt, fault, None, self.env._now)
            return
        size = rt.image.size_bytes
        if size is None or self.registry is None:
            wait, refused = self._registry_answer(rt)
            if refused:
                call_later(self.env, wait, self._pull_refused, pod, rt, fault, failures)
                return
            if failures:
                rt.refused.discard(pod.uid)
            pull = wait + (0.0 if present else rt.pull())
            # one event: nothing else happens when the pull ends
            call_later(self.env, pull + start, self._pulled_and_started, pod, rt, fault, pull, start)
            return
        size = 0.0 if present else size

        def pulled(duration: float | None) -> None:
            if duration is None:  # refused over the registry's limit
                rt.refusals += 1
                self._pull_refused(pod, rt, fault, failures)
                return
            if failures:
                rt.refused.discard(pod.uid)
            if pod.revision != 0:
                rt.bytes_pulled += size
            rt.image_pulled(pod)
            call_later(self.env, start, self._started, pod, rt, fault, duration, self.env._now)

        self._pull_on_node(pod.node, size, rt.image.node_bandwidth, pulled)

    def _pull_on_node(self, node: int, size: float, bandwidth: float | None,
                      pulled: Callable[[float | None], None]) -> None:
        """One image pull on ``node`` through the registry, ``pulled(duration)`` when it ends. The
        kubelet's image puller is serial by default (``serializeImagePulls: true``): a pull asked
        for while another runs on the node (another DaemonSet's image) waits for it, in order.
        """
        waiting = self._pulls_on.get(node)
        if waiting is not None:
            waiting.append((size, bandwidth, pulled))
            return
        self._pulls_on[node] = deque()
        self._start_pull(node, size, bandwidth, pulled)

    def _start_pull(self, node: int, size: float, bandwidth: float | None,
                    pulled: Callable[[float | None], None]) -> None:
        """The registry pull itself; when it ends (or is refused), the next pull waiting on the node starts."""
        pulling = self.registry.pull(size, bandwidth)  # type: ignore[union-attr]  # only with a registry

        def done(event: simpy.Event) -> None:
            value = event._value  # the pull event's value is its duration, None if refused
            pulled(None if value is None else float(value))
            waiting = self._pulls_on[node]
            if waiting:
                self._start_pull(node, *waiting.popleft())
            else:
                del self._pulls_on[node]

        if pulling.callbacks is not None:
            pulling.callbacks.append(done)
        else:  # already processed: go on at once
            done(pulling)

    def _pulled_and_started(self, pod: Pod, rt: PodRuntime, fault: str, pull: float, start: float) -> None:
        rt.image_pulled(pod)
        self._started(pod, rt, fault, pull, self.env._now - start)

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
        """The readiness probe passed: Ready, and available ``minReadySeconds`` later."""
        api = self.api
        if self._gone(pod):
            return
        pod.ready, pod.ready_since = True, api.timestamp()  # lastTransitionTime: whole seconds
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
