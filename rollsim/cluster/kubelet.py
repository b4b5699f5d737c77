"""The pod lifecycle on a node, in SimPy time: what the scheduler and the kubelets do.

create → bind (``schedule``) → image pull (``pull``) → container start (``start``) →
Ready on a readiness-probe tick once the app is ready (``ready``) → available after
``minReadySeconds``. Delete → not Ready at once → gone after the container's shutdown
time, capped at ``terminationGracePeriodSeconds``.

One ``Kubelet`` stands for every node's kubelet and the scheduler of one cluster: it watches
every pod in the API server, so the pods of all DaemonSets share the scheduler's throughput,
each node's allocatable resources and host ports, and the image registry's bandwidth. Each
DaemonSet brings its own ``PodRuntime``: its phase timings, probe, faults and image.

Each pod's start-up and termination is a generator that yields the seconds it waits, run by
``rollsim.cluster.timers.run_steps`` where a SimPy process would run (no ``Process`` per pod).
"""

from __future__ import annotations

import math
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from functools import partial
from itertools import chain

import numpy as np
import simpy

from rollsim.cluster.admission import KubeletAdmission, active_requests
from rollsim.cluster.apiserver import ADDED, DELETED, MODIFIED, ApiServer
from rollsim.cluster.nodestore import NODE_ADDED
from rollsim.cluster.registry import Registry
from rollsim.cluster.scheduling import PodRequests, scheduler_backoff, unschedulable_reason
from rollsim.cluster.timers import Steps, run_steps
from rollsim.controller.flowcontrol import TokenBucket
from rollsim.controller.pods import FAILED, RUNNING, Pod
from rollsim.spec.distributions import Distribution
from rollsim.spec.faults import CRASHLOOP, HEALTHY, NEVER_READY, PULL_ERROR, REJECTED, NewPodFaults, kubelet_backoff
from rollsim.spec.image import IF_NOT_PRESENT, ImageSpec
from rollsim.spec.scenario import DaemonSetSpec, ReadinessProbe, Timings
from rollsim.spec.streams import Streams

__all__ = ["Sampler", "readiness_delay", "ready_after", "PodRuntime", "Kubelet"]


class Sampler(partial[float]):
    """Draws from one distribution with its own stream, a block at a time (one numpy call per block).

    Calling it is ``next`` on a chain of the blocks: a call in C, without a Python frame, except
    the one in 1,024 that draws the next block (then, not before: the stream is read at the
    same moments as when each call checked whether its block was used up).
    """

    dist: Distribution
    rng: np.random.Generator
    block: int

    def __new__(cls, dist: Distribution, rng: np.random.Generator, block: int = 1024) -> Sampler:
        """A sampler of ``dist`` drawing from ``rng``, ``block`` draws at a time."""
        sampler = super().__new__(cls, next, chain.from_iterable(_blocks(dist, rng, block)))
        sampler.dist, sampler.rng, sampler.block = dist, rng, block
        return sampler


def _blocks(dist: Distribution, rng: np.random.Generator, block: int) -> Iterator[list[float]]:
    """Blocks of draws, each drawn when the one before is used up."""
    while True:
        yield np.asarray(dist.sample(rng, block), dtype=float).tolist()


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
    node_count: int
    schedule: Sampler = field(init=False)
    pull: Sampler = field(init=False)
    start: Sampler = field(init=False)
    ready: Sampler = field(init=False)
    terminate: Sampler = field(init=False)
    requests: PodRequests = field(init=False)
    pulls: list[tuple[float, float]] = field(default_factory=list)  # (start, end) of each new-image pull
    bytes_pulled: float = 0.0
    unschedulable: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        s, t = self.streams, self.timings
        self.schedule = Sampler(t.schedule, s["schedule"])
        self.pull = Sampler(t.pull, s["pull"])
        self.start = Sampler(t.start, s["start"])
        self.ready = Sampler(t.ready, s["ready"])
        self.terminate = Sampler(t.terminate, s["terminate"])
        self._fault_rng: np.random.Generator = s["faults"]
        self._cache_rng: np.random.Generator = s["image_cache"]
        self.cached: list[bool] = (self._cache_rng.random(self.node_count) < self.image.cached).tolist()
        ds = self.ds
        self.requests = PodRequests(ds.requests_cpu_millis, ds.requests_memory_bytes, ds.host_ports)

    def node_added(self) -> None:
        """A node joined: whether it already has the new image is drawn like the others'."""
        self.cached.append(bool(self._cache_rng.random() < self.image.cached))

    def fault(self, pod: Pod) -> str:
        """Whether this pod of a new revision is faulty (pods of revision 0 never are)."""
        if pod.revision == 0 or not self.faults.any:
            return HEALTHY
        if self.faults.fraction < 1.0 and self._fault_rng.random() >= self.faults.fraction:
            return HEALTHY
        return self.faults.kind


class Kubelet:
    """Runs every pod's lifecycle against the API server (the truth, not a controller's cache)."""

    def __init__(self, env: simpy.Environment, api: ApiServer, *, utilization: float = 0.0,
                 scheduler_throughput: float | None = None, registry: Registry | None = None) -> None:
        self.env = env
        self.api = api
        self.utilization = utilization
        self.scheduler = None if scheduler_throughput is None else TokenBucket(scheduler_throughput, 1)
        self.registry = registry
        self.runtimes: dict[str, PodRuntime] = {}
        self.admission = KubeletAdmission(api, self.runtimes, utilization)
        self._stopping: set[int] = set()
        api.watch_pods(self._pod_changed)
        api.nodes.watch(self._node_changed)

    def add_daemonset(self, runtime: PodRuntime) -> None:
        """Register a DaemonSet's pod runtime, so the kubelets can run its pods."""
        self.runtimes[runtime.ds.name] = runtime

    def _pod_changed(self, kind: str, pod: Pod) -> None:
        """The kubelet's pod watch: start a pod bound here, stop one being deleted."""
        if kind == ADDED:
            run_steps(self.env, self._start_up(pod, self.runtimes[pod.owner]))
        elif kind == MODIFIED and pod.deleting and pod.uid not in self._stopping:
            self._stopping.add(pod.uid)
            run_steps(self.env, self._terminate(pod, self.runtimes[pod.owner]))
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
        return unschedulable_reason(self.api.nodes.nodes[pod.node], bound, runtime.requests, self.utilization)

    def _bind(self, pod: Pod, rt: PodRuntime) -> Generator[float | simpy.Event, object, bool]:
        """The scheduler: FIFO at its throughput, then its latency; Pending with back-off while
        the pod does not fit. Returns whether the pod was bound.
        """
        env = self.env  # read as env._now below: the clock without its property
        queued = 0.0 if self.scheduler is None else self.scheduler.reserve(env._now) - env._now
        yield queued + rt.schedule()
        attempts = 0
        checks_fit = rt.requests.any
        while checks_fit and not self._gone(pod) and self.unschedulable(pod, rt):  # Pending, retried
            attempts += 1
            rt.unschedulable.add(pod.uid)
            yield scheduler_backoff(attempts)
        rt.unschedulable.discard(pod.uid)
        if self._gone(pod):
            return False
        pod.scheduled, pod.scheduled_at = True, env._now
        self.api.pod_status_changed(pod)
        return True

    def _start_up(self, pod: Pod, rt: PodRuntime) -> Steps:
        env, api = self.env, self.api
        if self._gone(pod):
            return  # no kubelet to start it
        if not (yield from self._bind(pod, rt)):
            return
        fault = rt.fault(pod)
        # the kubelet's admission (canAdmitPod, rollsim.cluster.admission) rejects it: phase Failed
        if fault == REJECTED or self.admission.reject_reason(pod, rt.ds.placement) is not None:
            pod.phase = FAILED
            api.pod_status_changed(pod)
            return
        failures = 0
        while fault == PULL_ERROR:  # ErrImagePull, then ImagePullBackOff, for ever
            yield rt.pull()
            failures += 1
            if not self._gone(pod):
                api.pod_status_changed(pod)
                yield kubelet_backoff(failures)
            if self._gone(pod):
                return
        start = rt.start()
        pull: float | None
        if self.registry is None or not rt.image.modelled:
            pull = rt.pull()
            yield pull + start  # one event: nothing else happens when the pull ends
            pulled_at = env._now - start
        else:
            pull = yield from self._pull_from_registry(pod, rt)
            pulled_at = env._now
            yield start
        if self._gone(pod):
            return
        pod.phase = RUNNING
        if pod.revision != 0 and pull is not None:
            rt.pulls.append((pulled_at - pull, pulled_at))
        pod.pulled_at, pod.started_at = pulled_at, env._now
        api.pod_status_changed(pod)
        if fault == NEVER_READY:
            return
        if fault == CRASHLOOP and not (yield from self._crash_loop(pod, rt, failures)):
            return
        yield ready_after(rt.ready(), rt.ds.readiness_probe)
        if self._gone(pod):
            return
        pod.ready, pod.ready_since = True, api.timestamp()  # lastTransitionTime: whole seconds
        api.pod_status_changed(pod)
        min_ready = rt.ds.min_ready_seconds
        if min_ready > 0:
            yield max(0.0, pod.ready_since + min_ready - env._now)
            if not self._gone(pod):
                api.pod_became_available(pod)

    def _crash_loop(self, pod: Pod, rt: PodRuntime, failures: int) -> Generator[float | simpy.Event, object, bool]:
        """The container exits before it is ever Ready and is restarted after CrashLoopBackOff,
        for ever; returns only when the pod is gone (False).
        """
        api = self.api
        while True:
            yield rt.faults.crash_after
            if self._gone(pod):
                return False
            failures += 1
            api.pod_status_changed(pod)
            yield kubelet_backoff(failures) + rt.start()
            if self._gone(pod):
                return False
            api.pod_status_changed(pod)

    def _pull_from_registry(self, pod: Pod, rt: PodRuntime) -> Generator[float | simpy.Event, object, float | None]:
        """The pull under contention: ``None`` when a cached image needs no registry at all."""
        cached = rt.cached[pod.node]
        if cached and rt.image.pull_policy == IF_NOT_PRESENT:
            return None
        size = 0.0 if cached or rt.image.size_bytes is None else rt.image.size_bytes
        assert self.registry is not None
        duration = yield self.registry.pull(size, rt.image.node_bandwidth)
        rt.bytes_pulled += size
        return float(duration)  # type: ignore[arg-type]  # the pull event's value is its duration

    def _terminate(self, pod: Pod, rt: PodRuntime) -> Steps:
        alive = self.api.nodes.alive  # a kubelet reporting NotReady itself still kills pods
        if not alive[pod.node]:
            return  # no kubelet to confirm the deletion (unreachable): the pod stays terminating
        # A pod whose container never started has nothing to shut down.
        if pod.phase == RUNNING:
            yield min(rt.terminate(), rt.ds.termination_grace_period_seconds)
        if alive[pod.node]:  # a kubelet that died meanwhile never confirms it
            self.api.remove_pod(pod)
