"""``simulate(scenario, seed) -> RunResult``: DaemonSet rollouts in one simulated cluster, in virtual time.

One world: one node store and API server, one scheduler and image registry, one
kube-controller-manager (a work queue, its workers and one API client) and a controller per
DaemonSet. Every desired node starts with a Ready pod of each DaemonSet's old revision; at
time 0 each DaemonSet's pod template changes (an image update). The run ends when
``kubectl rollout status`` would report success for every DaemonSet, when the rollouts
stall, or at the horizon. Pure: no printing, no files, no global state.
"""

from __future__ import annotations

import gc
from array import array
from collections import Counter
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from copy import copy
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, cast

import numpy as np
import pandas as pd
import simpy

from rollsim.cluster.apiserver import ApiPodControl, ApiServer
from rollsim.cluster.churn import start_node_changes
from rollsim.cluster.informer import Informer
from rollsim.cluster.kubelet import Kubelet, PodRuntime, Sampler
from rollsim.cluster.nodestore import NodeStore
from rollsim.cluster.operators import KubectlView, run_deleter
from rollsim.cluster.registry import Registry
from rollsim.cluster.timers import Cursor, call_later, call_soon, run_until
from rollsim.cluster.workqueue import WorkQueue
from rollsim.controller.consistency import ConsistencyStore
from rollsim.controller.daemon import DaemonSetController, StaleCacheError, Waits
from rollsim.controller.decisions import SyncError, daemonset_status
from rollsim.controller.flowcontrol import TokenBucket
from rollsim.observe.endstate import end_state
from rollsim.observe.metrics import summarize
from rollsim.observe.recorder import Recorder
from rollsim.observe.rollout import LateTimeout, RolloutStatus, UrgentEvent, watch_for_stall
from rollsim.observe.stopcause import healthy_done_s, stop_cause, stuck_nodes
from rollsim.spec.faults import NewPodFaults
from rollsim.spec.node import Node, node_should_run_daemon_pod, not_ready_node, ready_node, unreachable_node
from rollsim.spec.scenario import ON_DELETE, Scenario
from rollsim.spec.streams import Streams

__all__ = ["simulate", "RunResult", "DEFAULT_HORIZON_S"]

DEFAULT_HORIZON_S = 30 * 24 * 3600.0  # give up after 30 simulated days
_LONG_AGO = -1e6  # old pods have been Ready since long before the rollout


@dataclass(frozen=True)
class RunResult:
    """The outcome of one run: ``timeline`` and ``nodes`` frames and the ``summary`` dict."""

    timeline: pd.DataFrame
    nodes: pd.DataFrame
    summary: dict[str, Any]
    status: pd.DataFrame = field(repr=False)
    scenario: Scenario = field(repr=False)
    seed: int = 0
    others: dict[str, dict[str, Any]] = field(default_factory=dict)  # the summaries of ``scenario.also``

    def __repr__(self) -> str:
        """One line: the outcome, not the frames."""
        from rollsim.observe.display import run_repr

        return run_repr(self)

    def _repr_html_(self) -> str:
        """A notebook's view: the summary and an availability sparkline."""
        from rollsim.observe.display import run_repr_html

        return run_repr_html(self)


class _Environment(simpy.Environment):
    """SimPy's environment, able to say how many events it has processed."""

    @property
    def processed(self) -> int:
        """Events processed so far: every event scheduled took the next id, and those still queued
        are not processed (read without consuming an id).
        """
        return next(copy(self._eid)) - len(self._queue)


@contextmanager
def _collector_out_of_the_way() -> Iterator[Callable[[], None]]:
    """Keep the cyclic garbage collector out of the simulation: it is off while ``simulate`` runs
    (a run allocates events and pod snapshots by the million and makes almost no cyclic garbage:
    a few dozen objects at 10,000 nodes besides the world itself), and the world, once built, is
    frozen by the function this yields (``gc.freeze``), so that the collections after the run
    find it in the oldest generation instead of sifting it through the young ones; so are the
    objects the run made, when it ends (else the first young collection after the run walks
    every one of them: half a second at 100,000 nodes). Both are undone afterwards; nothing is
    frozen if the caller had frozen objects already.
    """
    enabled, frozen_before = gc.isenabled(), gc.get_freeze_count() > 0
    froze: list[bool] = []

    def freeze() -> None:
        if not frozen_before:
            gc.freeze()
            froze.append(True)

    gc.disable()
    try:
        yield freeze
    finally:
        if froze:  # what the run made goes where the world goes, into the oldest generation: else
            gc.freeze()  # the first young collection after the run sifts millions of objects
            gc.unfreeze()
        if enabled:
            gc.enable()


@dataclass
class _DaemonSet:
    """One DaemonSet in the world: its controller and what watches it."""

    name: str
    scenario: Scenario  # the scenario as this DaemonSet sees it (its spec, timings, faults, image)
    controller: DaemonSetController
    pod_control: ApiPodControl
    recorder: Recorder
    runtime: PodRuntime
    rollout: RolloutStatus
    informer: Informer


@dataclass
class _World:
    """The cluster of one run and the parts every DaemonSet shares."""

    env: _Environment
    scenario: Scenario
    streams: Streams
    api: ApiServer
    kubelet: Kubelet
    queue: WorkQueue
    bucket: TokenBucket | None
    rank: list[float]
    reference: bool
    daemonsets: list[_DaemonSet] = field(default_factory=list)
    counters: dict[str, Counter[str]] = field(default_factory=lambda: {"syncs": Counter(), "sync_errors": Counter()})
    log: dict[str, float] = field(default_factory=dict)
    stop: UrgentEvent | None = None
    deleter: tuple[KubectlView, np.random.Generator] | None = None
    cursor: Cursor = field(default_factory=Cursor)  # the event being processed (timers.run_until)


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


def _had_pod(nodes: list[Node], placement) -> list[bool]:
    """Which nodes ran the old pod before time 0: those that should run it, and NotReady
    nodes that should run it were they Ready (their pod was placed before they failed).
    """
    return [node_should_run_daemon_pod(n if n.ready else ready_node(n), placement)[0] for n in nodes]


class _Worker:
    """A controller worker: ``processNextWorkItem`` in a loop, for whichever DaemonSet's key comes.
    A process in all but name: each step is a scheduled call where the process would resume.
    In ideal mode the work queue counts, instead of handing them over, the syncs that would do
    nothing at all (``WorkQueue.skip_idle_syncs``, ``DaemonSetController.sync_would_idle``).
    """

    __slots__ = ("env", "queue", "controllers", "catch_up", "syncs", "errors", "_take")

    def __init__(self, env: simpy.Environment, queue: WorkQueue, controllers: dict[str, DaemonSetController],
                 catch_up: dict[str, Callable[[], None]], counters: dict[str, Counter[str]]) -> None:
        self.env, self.queue, self.controllers, self.catch_up = env, queue, controllers, catch_up
        self.syncs, self.errors = counters["syncs"], counters["sync_errors"]
        self._take: Callable[[Hashable], None] = self._sync  # one bound method for every get
        call_soon(env, self._next)  # where env.process would take its first step

    def _next(self) -> None:
        self.queue.get_then(self._take)

    def _sync(self, key: Hashable) -> None:
        """A key handed out: count the sync and run it to its first wait (its API writes) or its end."""
        self.syncs[key] += 1  # type: ignore[index]  # the keys are DaemonSet names
        self.catch_up[key]()  # type: ignore[index]  # the informer's kept deliveries before the sync reads
        started = self.controllers[key].start_sync()  # type: ignore[index]
        if started is None:  # done without waiting, no error: the usual case
            self.queue.finish_then_get(key, True, self._take)
        elif isinstance(started, StaleCacheError):  # refused by the consistency gate: _finish, inline
            self.queue.requeue_refused(key, self._take)
        elif isinstance(started, SyncError):
            self._finish(key, started)
        else:
            self._step(key, started)

    def _step(self, key: Hashable, sync: Waits) -> None:
        """Run the sync to its next wait or its end."""
        self.catch_up[key]()  # type: ignore[index]  # the informer's kept deliveries before the sync reads on
        try:
            wait = next(sync)
        except StopIteration as stop:
            if stop.value is None:  # _finish, inline for the usual case
                self.queue.finish_then_get(key, True, self._take)
            else:
                self._finish(key, stop.value)
            return
        call_later(self.env, wait, self._step, key, sync)

    def _finish(self, key: Hashable, error: SyncError | None) -> None:
        if error is not None:
            if isinstance(error, StaleCacheError):  # refused by the consistency gate: a stale_sync_skip
                self.queue.requeue_refused(key, self._take)  # add_rate_limited and finish_then_get
                return
            self.errors[key] += 1  # type: ignore[index]
            self.queue.add_rate_limited(key)
        self.queue.finish_then_get(key, error is None, self._take)


def _build_world(scenario: Scenario, seed: int, reference: bool) -> _World:
    """The cluster before time 0: nodes (some NotReady), the API server, the scheduler and kubelets
    with the registry, and the controller-manager's work queue and API client.
    """
    env = _Environment(0.0)  # a float clock from the start: every recorded time is a float, as compiled code makes it
    streams = Streams(seed)
    listed = _with_not_ready(scenario.nodes, scenario.not_ready_nodes, streams["not_ready"],
                             scenario.not_ready_condition)
    nodes, rank, listing = in_map_order(listed, streams["map_order"].random(len(listed)))
    settings = scenario.controller
    realistic = not settings.ideal
    api = ApiServer(env, NodeStore(nodes, listing), whole_seconds=realistic and settings.whole_second_timestamps)
    images = [scenario.image, *(w.image for w in scenario.also)]
    registry = Registry(env, scenario.registry) if any(i.modelled for i in images) else None
    kubelet = Kubelet(env, api, utilization=scenario.node_utilization,
                      scheduler_throughput=scenario.scheduler_throughput, registry=registry)
    # one API client for the controller-manager: every DaemonSet's writes share its bucket
    bucket = None if settings.ideal else TokenBucket(settings.kube_api_qps, settings.kube_api_burst)
    queue = WorkQueue(env, dedup=realistic and settings.queue_dedup)
    return _World(env, scenario, streams, api, kubelet, queue, bucket, rank, reference)


def _add_daemonset(world: _World, scenario: Scenario, streams: Streams) -> _DaemonSet:
    """One DaemonSet: its old pods in place, its controller, informer, recorder and rollout
    status, and its template change under way at time 0.
    """
    env, api, ds, settings = world.env, world.api, scenario.daemonset, scenario.controller
    name = ds.name
    api.add_daemonset(name)
    runtime = PodRuntime(ds, scenario.timings, scenario.new_pods, scenario.image, streams, api.nodes.positions())
    world.kubelet.add_daemonset(runtime)
    pod_control = ApiPodControl(env, api, name, world.bucket,
                                None if settings.ideal else Sampler(settings.api_latency, streams["api_latency"]))
    add_after = world.queue.add_after

    def requeue(delay: float) -> None:  # every pod event requeues: a plain function is cheaper to call than a partial
        add_after(name, delay)

    # the clock reads env.now without its property: the controller asks it several times a sync
    controller = DaemonSetController(
        nodes=api.nodes.nodes, placement=ds.placement, strategy=ds.strategy, min_ready_seconds=ds.min_ready_seconds,
        pod_control=pod_control, clock=partial(getattr, env, "_now"), requeue=requeue,
        rank=world.rank, burst_replicas=settings.burst_replicas,
        slow_start_initial_batch_size=settings.slow_start_initial_batch_size,
        expectations_timeout=settings.expectations_timeout, reference=world.reference,
        rules=settings.rules, consistency=None if settings.ideal else ConsistencyStore(),
    )
    pod_control.consistency = controller.consistency
    # Before time 0: an old pod on every node that ran one, in every cache. Ready since long
    # enough ago that it is available whatever minReadySeconds is.
    since = _LONG_AGO - ds.min_ready_seconds
    ready = api.nodes.ready
    for node, had_pod in enumerate(_had_pod(api.nodes.nodes, ds.placement)):  # in id order: side by side in memory
        if had_pod:
            controller.pod_added(api.seed_pod(name, node, 0, since, ready=ready[node]).copy())
    controller.expectations.clear()
    controller.status = {**daemonset_status(controller.aggregate()),
                         "observed_generation": controller.generation, "generation": controller.generation}
    recorder = Recorder(env, api, api.daemonsets[name], ds.placement, ds.min_ready_seconds)
    recorder.watch()
    if ds.strategy.type == ON_DELETE and name == world.scenario.daemonset.name:  # the operator's kubectl
        world.deleter = (KubectlView(env, api, name, ds.min_ready_seconds), streams["deleter"])
    if settings.ideal:
        informer = Informer(env, controller, None)
    else:
        node_delay = settings.node_watch_delay if settings.node_watch_delay is not None else settings.watch_delay
        informer = Informer(env, controller, Sampler(settings.watch_delay, streams["watch_delay"]),
                            node_delay=Sampler(node_delay, streams["node_watch_delay"]),
                            status_requeue=settings.status_requeue)
        if DEFER_DELIVERIES:  # most pod events reach a key already queued: kept off the event queue
            informer.defer_while_dirty(world.queue, name, world.cursor,
                                       partial(getattr, controller, "min_ready_seconds"))
    informer.watch(api, name)
    rollout = RolloutStatus(env, api, name, on_done=lambda: _one_done(world))
    api.set_revision(name, 1)  # time 0: the template changes in the API
    daemonset = _DaemonSet(name, scenario, controller, pod_control, recorder, runtime, rollout, informer)
    world.daemonsets.append(daemonset)
    return daemonset


def _one_done(world: _World) -> None:
    """A DaemonSet's rollout completed: the run stops when they all have."""
    if world.stop is not None and all(d.rollout.completed_at is not None for d in world.daemonsets):
        world.stop.succeed_now(("completed", world.env.now))


def _rollback(world: _World, delay: float) -> Callable[[float, float], float]:
    """The operator's rollback, ``delay`` seconds after the stall is detected: the first
    DaemonSet's template goes back to revision 0 (``kubectl rollout undo``), whose
    ControllerRevision still exists.
    """
    env, name = world.env, world.daemonsets[0].name

    def undo(_event: simpy.Event) -> None:
        world.log["rolled_back_at"] = env.now
        world.api.set_revision(name, 0)

    def on_stall(detected: float, last_progress: float) -> float:
        world.log["detected_at"], world.log["stalled_at"] = detected, last_progress
        env.timeout(detected + delay - env.now).callbacks.append(undo)
        return detected + delay

    return on_stall


# False: every sync the consistency gate refuses goes through the event queue (the plain path,
# which tests/test_stale_refusals.py compares with; a module global, so the native build reads it too)
COUNT_REFUSALS = True
# False: every pod watch event reaches the controller through a timer of its own (the plain path,
# which tests/test_deferred_deliveries.py compares with)
DEFER_DELIVERIES = True


def _start(world: _World) -> UrgentEvent:
    """The controller's workers, node churn, and what ends the run: every rollout done, a
    stall, or the horizon. Returns the event that stops the run.
    """
    env, scenario = world.env, world.scenario
    world.stop = stop = UrgentEvent(env)
    controllers = {d.name: d.controller for d in world.daemonsets}
    catch_up = {d.name: d.informer.catch_up for d in world.daemonsets}
    for _ in range(scenario.controller.workers):
        _Worker(env, world.queue, controllers, catch_up, world.counters)
    if scenario.controller.ideal:  # most of its syncs (one per pod event) would do nothing: left off the event queue
        idle: dict[Hashable, Callable[[], bool]] = {name: c.sync_would_idle for name, c in controllers.items()}
        world.queue.skip_idle_syncs(world.cursor, idle, cast("Counter[Hashable]", world.counters["syncs"]))
    # start_sync's first lines, syncDaemonSet's consistency check (IsReady), for each gated DaemonSet
    gated: dict[Hashable, Callable[[], bool]] = {name: c.consistency.refuses for name, c in controllers.items()
                                                 if c.consistency is not None}
    if gated and COUNT_REFUSALS:  # most refused syncs are retries refused again: counted, not queued
        world.queue.refuse_stale_syncs(gated, cast("Counter[Hashable]", world.counters["syncs"]))
    if scenario.node_changes or scenario.out_of_service_after_s is not None:
        start_node_changes(env, world.api, world.rank, world.streams, scenario)
    if world.deleter is not None:
        view, rng = world.deleter
        env.process(run_deleter(env, scenario.deleter, view, rng))
    recorders = [d.recorder for d in world.daemonsets]
    on_stall = None if scenario.rollback_after_s is None else _rollback(world, scenario.rollback_after_s)
    env.process(watch_for_stall(env, lambda: max(r.last_progress for r in recorders), scenario.stall_after_s,
                                stop, on_stall))
    horizon = scenario.horizon_s if scenario.horizon_s is not None else DEFAULT_HORIZON_S
    LateTimeout(env, horizon).callbacks.append(lambda _e: stop.succeed_now(("horizon", horizon)))
    _one_done(world)  # nothing to do (no DaemonSet, or all complete at once)
    return stop


def _summary(world: _World, d: _DaemonSet, frames: tuple[pd.DataFrame, pd.DataFrame], end: float,
             stalled_at: float | None, horizon_reached: bool) -> dict[str, Any]:
    """One DaemonSet's summary from its frames: its metrics, its share of the controller, and why it stopped."""
    timeline, node_frame = frames
    summary = summarize(timeline, node_frame, d.rollout.completed_at, end, stalled_at=stalled_at,
                        pulls=d.runtime.pulls,
                        registry_bytes=None if world.kubelet.registry is None or not d.runtime.image.modelled
                        else d.runtime.bytes_pulled,
                        unschedulable=len(d.runtime.unschedulable),
                        rolled_back_at=world.log.get("rolled_back_at") if d is world.daemonsets[0] else None)
    consistency = d.controller.consistency
    summary.update(syncs=world.counters["syncs"][d.name], sync_errors=world.counters["sync_errors"][d.name],
                   stale_sync_skips=0 if consistency is None else consistency.skips,
                   api_writes=d.pod_control.writes, queue_wait_s=world.queue.waited.get(d.name, 0.0))
    state = end_state(world.api, world.kubelet, d.runtime, d.recorder, d.scenario.deleter.kind,
                      horizon_reached=horizon_reached, completed=bool(summary["completed"]),
                      rolled_back=bool(summary.get("rolled_back")))
    cause = stop_cause(state)
    summary.update(stop_cause=cause.cause, stop_detail=cause.sentence,
                   healthy_done_s=healthy_done_s(node_frame, stuck_nodes(state)))
    return summary


def simulate(scenario: Scenario, seed: int = 0, *, reference: bool = False) -> RunResult:
    """Simulate one rollout of ``scenario`` (and of ``scenario.also``) with root seed ``seed``.

    ``reference=True`` makes every controller rescan every node on every sync (the plain
    reference) instead of using its incremental index; both decide identically.
    """
    with _collector_out_of_the_way() as freeze_world:
        world = _build_world(scenario, seed, reference)
        main = _add_daemonset(world, scenario, world.streams)
        for other in scenario.also:
            own = replace(scenario, daemonset=other.daemonset, timings=other.timings, new_pods=NewPodFaults(),
                          image=other.image, also=(), node_changes=())
            _add_daemonset(world, own, world.streams.child(other.daemonset.name))
        stop = _start(world)
        freeze_world()
        # the work queue's skipped syncs (ideal) and the informers' kept deliveries (realistic) read the cursor
        tracked = scenario.controller.ideal or DEFER_DELIVERIES
        how, at = cast(tuple[str, float], run_until(world.env, stop, world.cursor if tracked else None))
        world.queue.settle()  # the syncs left off the event queue that the run reached
        for d in world.daemonsets:  # the run is over: the frames may reuse the controllers' memory
            d.controller.shut_down()
        end = at if how == "completed" else world.env.now
        stalled_at = at if how == "stalled" else world.log.get("stalled_at")
        timeline, node_frame = main.recorder.to_frames(end)  # built once: they are the result's too
        summary = _summary(world, main, (timeline, node_frame), end, stalled_at, how == "horizon")
        # a skipped sync or a kept delivery took its event's id: those the run did not reach are still "queued"
        unreached = world.queue.unreached() + sum(d.informer.unreached() for d in world.daemonsets)
        summary.update(end_s=end, events=world.env.processed - unreached)
        others = {d.name: _summary(world, d, d.recorder.to_frames(end), end, stalled_at, how == "horizon")
                  for d in world.daemonsets[1:]}
    return RunResult(timeline, node_frame, summary, main.rollout.frame(), scenario, seed, others)
