"""The cluster of one run, built before time 0: ``build_world`` and ``add_daemonset``.

One node store (the nodes numbered in the controllers' map order, some NotReady) and API
server, one scheduler, kubelets and image registry, one kube-controller-manager (a work
queue and one API client), and per DaemonSet its old pods in place, its controller,
informer, recorder and ``kubectl rollout status``, with its template change under way at
time 0. ``rollsim.simulation`` starts the run and reads its outcome.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Callable, Sequence
from copy import copy
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import simpy

from rollsim.cluster.apiserver import ApiPodControl, ApiServer
from rollsim.cluster.clocks import NodeClocks
from rollsim.cluster.informer import Informer
from rollsim.cluster.kubelet import Kubelet, Sampler
from rollsim.cluster.nodestore import NodeStore
from rollsim.cluster.operators import KubectlView
from rollsim.cluster.podgc import TerminatedPodGC
from rollsim.cluster.podruntime import PodRuntime
from rollsim.cluster.podworker import PodWorkers
from rollsim.cluster.preemption import OtherWorkloads
from rollsim.cluster.registry import Registry
from rollsim.cluster.timers import Cursor
from rollsim.cluster.workqueue import QUEUE_BURST, QUEUE_QPS, WorkQueue
from rollsim.controller.consistency import ConsistencyStore
from rollsim.controller.daemon import DaemonSetController
from rollsim.controller.decisions import daemonset_status
from rollsim.controller.flowcontrol import TokenBucket
from rollsim.observe.recorder import Recorder
from rollsim.observe.rollout import RolloutStatus, UrgentEvent
from rollsim.spec.eligibility import node_should_run_daemon_pod
from rollsim.spec.node import Node, not_ready_node, ready_node, unreachable_node
from rollsim.spec.scenario import ON_DELETE, ControllerSettings, Scenario
from rollsim.spec.streams import Streams

__all__ = ["World", "WorldDaemonSet", "CountingEnvironment", "build_world", "add_daemonset", "in_map_order"]

_LONG_AGO = -1e6  # old pods have been Ready since long before the rollout


class CountingEnvironment(simpy.Environment):
    """SimPy's environment, able to say how many events it has processed."""

    @property
    def processed(self) -> int:
        """Events processed so far: every event scheduled took the next id, and those still queued
        are not processed (read without consuming an id).
        """
        return next(copy(self._eid)) - len(self._queue)


@dataclass
class WorldDaemonSet:
    """One DaemonSet in the world: its controller and what watches it."""

    name: str
    scenario: Scenario  # the scenario as this DaemonSet sees it (its spec, timings, faults, image)
    controller: DaemonSetController
    pod_control: ApiPodControl
    recorder: Recorder
    runtime: PodRuntime
    rollout: RolloutStatus
    informer: Informer
    # its operator's verdict: when its rollout last progressed before a stall (the first, when the
    # stall was rolled back), and when the operator gave it up as stalled (its metrics end there)
    stalled_at: float | None = None
    given_up_at: float | None = None

    def completed_at(self) -> float | None:
        """When ``kubectl rollout status`` reported it done, unless its operator had given it up
        as stalled before (the controller goes on; the verdict stands).
        """
        done = self.rollout.completed_at
        return None if done is None or (self.given_up_at is not None and done > self.given_up_at) else done

    def over(self) -> bool:
        """Completed, or given up as stalled."""
        return self.rollout.completed_at is not None or self.given_up_at is not None


@dataclass
class World:
    """The cluster of one run and the parts every DaemonSet shares."""

    env: CountingEnvironment
    scenario: Scenario
    streams: Streams
    api: ApiServer
    kubelet: Kubelet
    queue: WorkQueue
    bucket: TokenBucket | None
    rank: list[float]  # the first DaemonSet's map order, in which the nodes are numbered
    reference: bool
    # every other DaemonSet's controller ranges over its own map, in an order of its own: its ranks,
    # and the stream that draws the rank of a node that joins
    other_ranks: list[tuple[list[float], np.random.Generator]] = field(default_factory=list)
    daemonsets: list[WorldDaemonSet] = field(default_factory=list)
    counters: dict[str, Counter[str]] = field(default_factory=lambda: {"syncs": Counter(), "sync_errors": Counter(),
                                                                         "old_pods_unready": Counter()})
    log: dict[str, float] = field(default_factory=dict)
    stop: UrgentEvent | None = None
    deleter: tuple[KubectlView, np.random.Generator] | None = None
    cursor: Cursor = field(default_factory=Cursor)  # the event being processed (timers.run_until)
    pod_gc: TerminatedPodGC | None = None  # PodGC's gcTerminated (None: --terminated-pod-gc-threshold 0)
    # told of each DaemonSet whose rollout is over while the run goes on for others, at every such end
    # (it keeps what it read the first time): its summary describes the cluster up to then (``rollsim.simulation``)
    on_over: Callable[[WorldDaemonSet], None] | None = None

    def rollout_done(self) -> None:
        """A DaemonSet's rollout completed or was given up as stalled: the run stops once every
        one's has, "completed" if they all completed; until then ``on_over`` is told of each one over.
        """
        if self.stop is None or self.stop.triggered:
            return
        if all(d.over() for d in self.daemonsets):
            completed = all(d.completed_at() is not None for d in self.daemonsets)
            self.stop.succeed_now(("completed" if completed else "stalled", self.env.now))
            return
        for d in self.daemonsets:
            if d.over() and self.on_over is not None:  # told again of one told before: it keeps the first
                self.on_over(d)

    def give_up(self, daemonset: WorldDaemonSet, last_progress: float) -> None:
        """The operator gives ``daemonset``'s rollout up as stalled since ``last_progress``."""
        daemonset.stalled_at = last_progress  # after a rollback, the first stall's (watch_for_stall)
        daemonset.given_up_at = self.env.now
        self.rollout_done()


def _failed(condition: str) -> Callable[[Node], Node]:
    """How a NotReady node looks: Ready=Unknown (unreachable) or Ready=False (kubelet alive)."""
    return unreachable_node if condition == "Unknown" else not_ready_node


def _with_not_ready(nodes: tuple[Node, ...], count: int, rng, condition: str) -> tuple[Node, ...]:
    """``count`` nodes, chosen at random, gone NotReady before the rollout."""
    if not count:
        return nodes
    chosen = set(rng.choice(len(nodes), size=count, replace=False).tolist())
    fail = _failed(condition)
    return tuple(fail(n) if i in chosen else n for i, n in enumerate(nodes))


def in_map_order(listed: Sequence[Node], rank: np.ndarray) -> tuple[list[Node], list[float], array[int]]:
    """The nodes numbered in map order: ``(nodes, rank, listing)``, node ``i`` of ``nodes`` being the
    ``i``-th lowest ``rank`` (ties in list order) and ``listing`` the new ids in the order of ``listed``.

    ``rank`` stands for the order in which Go ranges over the controller's node-to-pods map
    (``rollsim.controller.index``), which decides which nodes a rollout takes first: numbered so,
    the nodes taken one after the other are neighbours in every per-node list. Nothing decides
    by an id itself (ties between ranks are broken in list order either way), so the run is the
    same as with ids in list order, only its memory is read in order (at 100,000 nodes about
    a quarter less CPU time). The old pods are made, and their uids numbered, in id order too:
    a uid (a pod name's stand-in) decides only between pods of one DaemonSet on one node
    created at the same instant (``pod_sort_key``), and each node has one old pod.
    """
    order = np.argsort(rank, kind="stable")
    listing = np.empty(len(order), dtype=np.int64)
    listing[order] = np.arange(len(order))
    return [listed[i] for i in order.tolist()], rank[order].tolist(), array("q", listing.tobytes())


def _had_pod(nodes: list[Node], placement, should_run: list[bool]) -> list[bool]:
    """Which nodes ran the old pod before time 0: those that should run it (``should_run``, of
    the nodes as they are), and NotReady nodes that should run it were they Ready (their pod was
    placed before they failed).
    """
    return [run if n.ready else node_should_run_daemon_pod(ready_node(n), placement)[0]
            for n, run in zip(nodes, should_run)]


def build_world(scenario: Scenario, seed: int, reference: bool) -> World:
    """The cluster before time 0: nodes (some NotReady), the API server, the scheduler and kubelets
    with the registry, and the controller-manager's work queue and API client.
    """
    # a float clock from the start: every recorded time is a float, as compiled code makes it
    env = CountingEnvironment(0.0)
    streams = Streams(seed)
    listed = _with_not_ready(scenario.nodes, scenario.not_ready_nodes, streams["not_ready"],
                             scenario.not_ready_condition)
    nodes, rank, listing = in_map_order(listed, streams["map_order"].random(len(listed)))
    settings = scenario.controller
    realistic = not settings.ideal
    api = ApiServer(env, NodeStore(nodes, listing), whole_seconds=realistic and settings.whole_second_timestamps)
    images = [scenario.image, *(w.image for w in scenario.also)]
    modelled = any(i.modelled for i in images) or scenario.registry.models_requests
    # the registry's errors draw from a stream of their own: none is made, nor drawn from, without an error rate
    errors = streams["registry_errors"] if scenario.registry.error_rate > 0 else None
    registry = Registry(env, scenario.registry, errors) if modelled else None
    workloads = OtherWorkloads(scenario.node_utilization, scenario.other_pods_priority,
                               Sampler(scenario.victim_termination, streams["victim_termination"]))
    pod_workers = PodWorkers(streams["pod_workers"], settings.rules.backoff_error_carries_expiry)
    # the kubelets' clocks: a stream of their own, made and drawn from only when some clock is off
    clocks = NodeClocks(scenario.clock_skew, streams["clock_skew"]) if scenario.clock_skew.any else None
    pressure = scenario.under_disk_pressure()
    kubelet = Kubelet(env, api, workloads=workloads, pod_workers=pod_workers,
                      scheduler_throughput=scenario.scheduler_throughput, registry=registry,
                      node_bandwidth=scenario.node_bandwidth(), clocks=clocks,
                      eviction_transition_s=scenario.eviction_pressure_transition_period_s if pressure else None,
                      disk_pressure_for_s=scenario.disk_pressure_for_s,
                      eviction_rng=streams["eviction_manager"] if realistic and pressure else None,
                      serialize_image_pulls=scenario.image_pulls_serialized(),
                      max_parallel_image_pulls=scenario.max_parallel_image_pulls)
    # one API client for the controller-manager: every DaemonSet's writes share its bucket
    bucket = None if settings.ideal else TokenBucket(settings.kube_api_qps, settings.kube_api_burst)
    # the DaemonSet controller's one queue: every DaemonSet's retries share its overall bucket
    queue = WorkQueue(env, dedup=realistic and settings.queue_dedup,
                      limiter=TokenBucket(QUEUE_QPS, QUEUE_BURST) if realistic else None)
    evicted = kubelet.eviction.failed.__contains__ if kubelet.eviction is not None else frozenset().__contains__
    threshold = settings.terminated_pod_gc_threshold
    pod_gc = TerminatedPodGC(env, api, threshold, evicted) if threshold > 0 else None
    return World(env, scenario, streams, api, kubelet, queue, bucket, rank, reference, pod_gc=pod_gc)


def _map_order(world: World, streams: Streams) -> list[float]:
    """The ranks of the nodes in the next DaemonSet's map order: the world's for the first (the
    nodes are numbered in it); Go ranges over each DaemonSet's own ``nodeToDaemonPods`` map in a
    random order of its own, so every other DaemonSet draws its own (``World.other_ranks``).
    """
    if not world.daemonsets:
        return world.rank
    order = streams["map_order"]
    # drawn in list order, as the first's are (in_map_order), so that a node's rank is the node's whatever
    # its id (ids follow the first DaemonSet's map order; model 21: they were drawn in id order)
    rank: list[float] = order.random(len(world.api.nodes))[world.api.nodes.positions()].tolist()
    world.other_ranks.append((rank, order))
    return rank


def _informer(env: simpy.Environment, controller: DaemonSetController, settings: ControllerSettings,
              streams: Streams) -> Informer:
    """The controller's informers: delivering at once (ideal), or after their watch delays."""
    if settings.ideal:
        return Informer(env, controller, None)
    node_delay = settings.node_watch_delay if settings.node_watch_delay is not None else settings.watch_delay
    return Informer(env, controller, Sampler(settings.watch_delay, streams["watch_delay"]),
                    node_delay=Sampler(node_delay, streams["node_watch_delay"]), status_requeue=settings.status_requeue)


def add_daemonset(world: World, scenario: Scenario, streams: Streams, key: str) -> WorldDaemonSet:
    """One DaemonSet: its old pods in place, its controller, informer, recorder and rollout
    status, and its template change under way at time 0. ``key``: its key in the run
    (``Scenario.daemonset_keys``), by which the API server, the work queue and the kubelets know it.
    """
    env, api, ds, settings = world.env, world.api, scenario.daemonset, scenario.controller
    name = key
    api.add_daemonset(name)
    runtime = PodRuntime(ds, scenario.timings, scenario.new_pods, scenario.image, streams, api.nodes.positions(),
                         name)
    world.kubelet.add_daemonset(runtime)
    pod_control = ApiPodControl(env, api, name, world.bucket,
                                None if settings.ideal else Sampler(settings.api_latency, streams["api_latency"]))
    add_after = world.queue.add_after
    rank = _map_order(world, streams)

    def requeue(delay: float) -> None:  # every pod event requeues: a plain function is cheaper to call than a partial
        add_after(name, delay)

    # the clock reads env.now without its property: the controller asks it several times a sync
    controller = DaemonSetController(
        nodes=api.nodes.nodes, placement=ds.placement, strategy=ds.strategy, min_ready_seconds=ds.min_ready_seconds,
        pod_control=pod_control, clock=partial(getattr, env, "_now"), requeue=requeue,
        rank=rank, burst_replicas=settings.burst_replicas,
        slow_start_initial_batch_size=settings.slow_start_initial_batch_size,
        expectations_timeout=settings.expectations_timeout, reference=world.reference,
        rules=settings.rules, consistency=None if settings.ideal else ConsistencyStore(),
    )
    pod_control.consistency = controller.consistency
    pod_control.not_found = controller.expectations.deletion_observed
    # Before time 0: an old pod on every node that ran one, in every cache. Ready since long
    # enough ago that it is available whatever minReadySeconds is.
    since = _LONG_AGO - ds.min_ready_seconds
    ready = api.nodes.ready
    had = [node for node, had_pod in enumerate(_had_pod(api.nodes.nodes, ds.placement, controller.should_run))
           if had_pod]
    if settings.ideal:  # every change reaches the cache the instant it is made: it holds the API's objects
        controller.hold_api_objects()
        controller.seed_pods([api.seed_pod(name, node, 0, since, ready=ready[node]) for node in had])
    else:  # snapshots, made in id order: side by side
        controller.seed_pods([api.seed_pod(name, node, 0, since, ready=ready[node]).copy() for node in had])
    controller.status = {**daemonset_status(controller.aggregate()),
                         "observed_generation": controller.generation, "generation": controller.generation}
    # the recorder's desired nodes are the controller's should_run (NodeShouldRunDaemonPod, computed once)
    recorder = Recorder(env, api, api.daemonsets[name], ds.placement, ds.min_ready_seconds,
                        desired=controller.should_run)
    recorder.watch()
    if ds.strategy.type == ON_DELETE and not world.daemonsets:  # the operator's kubectl, on the study's own
        world.deleter = (KubectlView(env, api, name, recorder.desired, ds.min_ready_seconds), streams["deleter"])
    informer = _informer(env, controller, settings, streams)
    informer.watch(api, name)
    rollout = RolloutStatus(env, api, name, on_done=world.rollout_done)
    api.set_revision(name, 1)  # time 0: the template changes in the API
    daemonset = WorldDaemonSet(name, scenario, controller, pod_control, recorder, runtime, rollout, informer)
    world.daemonsets.append(daemonset)
    return daemonset
