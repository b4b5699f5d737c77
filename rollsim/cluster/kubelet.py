"""The pod lifecycle on a node, as SimPy processes: what the scheduler and the kubelet do.

create → bind (``schedule``) → image pull (``pull``) → container start (``start``) →
Ready on a readiness-probe tick once the app is ready (``ready``) → available after
``minReadySeconds``. Delete → not Ready at once → gone after the container's shutdown
time, capped at ``terminationGracePeriodSeconds``.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import TYPE_CHECKING

import numpy as np
import simpy

from rollsim.spec.distributions import Distribution
from rollsim.spec.faults import CRASHLOOP, HEALTHY, NEVER_READY, PULL_ERROR, kubelet_backoff
from rollsim.spec.image import IF_NOT_PRESENT
from rollsim.controller.flowcontrol import TokenBucket
from rollsim.cluster.registry import Registry
from rollsim.cluster.scheduling import scheduler_backoff, unschedulable_reason
from rollsim.controller.pods import RUNNING, Pod

if TYPE_CHECKING:
    from rollsim.cluster.apiserver import ApiServer
    from rollsim.spec.scenario import ReadinessProbe, Scenario

__all__ = ["Sampler", "readiness_delay", "ready_after", "Kubelet"]


class Sampler:
    """Draws from one distribution with its own stream, a block at a time (one numpy call per block)."""

    __slots__ = ("dist", "rng", "block", "_buf", "_pos")

    def __init__(self, dist: Distribution, rng: np.random.Generator, block: int = 1024) -> None:
        self.dist, self.rng, self.block = dist, rng, block
        self._buf: list[float] = []
        self._pos = 0

    def __call__(self) -> float:
        if self._pos >= len(self._buf):
            self._buf = np.asarray(self.dist.sample(self.rng, self.block), dtype=float).tolist()
            self._pos = 0
        value = self._buf[self._pos]
        self._pos += 1
        return value


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


class Kubelet:
    """Runs every pod's lifecycle against the API server (the truth, not the controller's cache)."""

    def __init__(self, env: simpy.Environment, api: ApiServer, scenario: Scenario, streams) -> None:
        self.env = env
        self.api = api
        t = scenario.timings
        self.schedule = Sampler(t.schedule, streams["schedule"])
        self.pull = Sampler(t.pull, streams["pull"])
        self.start = Sampler(t.start, streams["start"])
        self.ready = Sampler(t.ready, streams["ready"])
        self.terminate = Sampler(t.terminate, streams["terminate"])
        ds = scenario.daemonset
        self.probe = ds.readiness_probe
        self.grace = ds.termination_grace_period_seconds
        self.min_ready = ds.min_ready_seconds
        self.faults = scenario.new_pods
        self._fault_rng = streams["faults"]
        self.pulls: list[tuple[float, float]] = []  # (start, end) of every successful pull of the new image
        self.requests = (ds.requests_cpu_millis, ds.requests_memory_bytes)
        self.host_ports = ds.host_ports
        self.utilization = scenario.node_utilization
        self.unschedulable: set[int] = set()  # pods Pending because they do not fit their node
        self._checks_fit = bool(ds.host_ports or ds.requests_cpu_millis or ds.requests_memory_bytes)
        rate = scenario.scheduler_throughput
        self.scheduler = None if rate is None else TokenBucket(rate, 1)
        self.image = scenario.image
        self.registry = Registry(env, scenario.registry) if scenario.image.modelled else None
        self._cached = (streams["image_cache"].random(len(scenario.nodes)) < scenario.image.cached).tolist()

    def _gone(self, pod: Pod) -> bool:
        """The pod is being deleted, or its node's kubelet has stopped (NotReady or removed)."""
        return pod.deleting or not self.api.node_ready[pod.node]

    def _unschedulable(self, pod: Pod) -> str | None:
        bound = sum(1 for p in self.api.pods_by_node[pod.node] if p.scheduled and p is not pod)
        return unschedulable_reason(self.api.nodes[pod.node], bound, self.requests[0], self.requests[1],
                                    self.host_ports, self.utilization)

    def add_node(self, rng) -> None:
        """A node joined: whether it already has the new image is drawn like the others'."""
        self._cached.append(bool(rng.random() < self.image.cached))

    def _fault(self, pod: Pod) -> str:
        """Whether this pod of the new revision is faulty (old pods never are)."""
        if pod.revision == 0 or not self.faults.any:
            return HEALTHY
        if self.faults.fraction < 1.0 and self._fault_rng.random() >= self.faults.fraction:
            return HEALTHY
        return self.faults.kind

    def run_pod(self, pod: Pod) -> None:
        self.env.process(self._start_up(pod))

    def stop_pod(self, pod: Pod) -> None:
        self.env.process(self._terminate(pod))

    def _start_up(self, pod: Pod) -> Generator[simpy.Event, object, None]:
        env, api = self.env, self.api
        if self._gone(pod):
            return  # no kubelet to start it
        record = api.recorder.lifecycle
        # the scheduler takes pods one at a time at its throughput (FIFO), each with its latency
        queued = 0.0 if self.scheduler is None else self.scheduler.reserve(env.now) - env.now
        yield env.timeout(queued + self.schedule())
        attempts = 0
        while self._checks_fit and not self._gone(pod) and self._unschedulable(pod):  # Pending, retried
            attempts += 1
            self.unschedulable.add(pod.uid)
            yield env.timeout(scheduler_backoff(attempts))
        self.unschedulable.discard(pod.uid)
        if self._gone(pod):
            return
        pod.scheduled = True
        record(pod, "scheduled")
        api.pod_status_changed(pod)
        fault = self._fault(pod)
        failures = 0
        while fault == PULL_ERROR:  # ErrImagePull, then ImagePullBackOff, for ever
            yield env.timeout(self.pull())
            failures += 1
            if not self._gone(pod):
                api.pod_status_changed(pod)
                yield env.timeout(kubelet_backoff(failures))
            if self._gone(pod):
                return
        start = self.start()
        if self.registry is None:
            pull = self.pull()
            yield env.timeout(pull + start)  # one event: nothing else happens when the pull ends
            pulled_at = env.now - start
        else:
            pull = yield from self._pull_from_registry(pod)
            pulled_at = env.now
            yield env.timeout(start)
        if self._gone(pod):
            return
        pod.phase = RUNNING
        if pod.revision != 0 and pull is not None:
            self.pulls.append((pulled_at - pull, pulled_at))
        record(pod, "pulled", pulled_at)
        record(pod, "started")
        api.pod_status_changed(pod)
        if fault == NEVER_READY:
            return
        while fault == CRASHLOOP:  # exits before it is ever Ready; restarted after CrashLoopBackOff
            yield env.timeout(self.faults.crash_after)
            if self._gone(pod):
                return
            failures += 1
            api.pod_status_changed(pod)
            yield env.timeout(kubelet_backoff(failures) + self.start())
            if self._gone(pod):
                return
            api.pod_status_changed(pod)
        yield env.timeout(ready_after(self.ready(), self.probe))
        if self._gone(pod):
            return
        pod.ready, pod.ready_since = True, env.now
        api.pod_status_changed(pod)
        if self.min_ready > 0:
            yield env.timeout(self.min_ready)
            if not self._gone(pod):
                api.pod_became_available(pod)

    def _pull_from_registry(self, pod: Pod) -> Generator[simpy.Event, object, float | None]:
        """The pull under contention: ``None`` when a cached image needs no registry at all."""
        cached = self._cached[pod.node]
        if cached and self.image.pull_policy == IF_NOT_PRESENT:
            return None
        size = 0.0 if cached else self.image.size_bytes
        duration = yield self.registry.pull(size, self.image.node_bandwidth)
        return float(duration)

    def _terminate(self, pod: Pod) -> Generator[simpy.Event, object, None]:
        if not self.api.node_ready[pod.node]:
            return  # no kubelet to confirm the deletion: the pod stays terminating
        # A pod whose container never started has nothing to shut down.
        if pod.phase == RUNNING:
            yield self.env.timeout(min(self.terminate(), self.grace))
        if self.api.node_ready[pod.node]:  # a kubelet that died meanwhile never confirms it
            self.api.remove_pod(pod)
