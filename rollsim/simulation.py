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
from collections import Counter
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from typing import Any, NamedTuple, cast

import simpy

from rollsim.cluster.churn import start_node_changes
from rollsim.cluster.operators import run_deleter
from rollsim.cluster.timers import run_until
from rollsim.cluster.workers import Worker
from rollsim.observe.columns import Columns
from rollsim.observe.endstate import end_state
from rollsim.observe.metrics import DONE_SHARE, done_by_s, summarize
from rollsim.observe.result import RunResult
from rollsim.observe.rollout import LateTimeout, RolloutStatus, UrgentEvent, watch_for_stall
from rollsim.observe.stopcause import EndState, healthy_done_s, healthy_nodes, stop_cause, stuck_nodes
from rollsim.spec.churn import change_kinds
from rollsim.spec.deleters import DeleterSpec
from rollsim.spec.faults import NewPodFaults
from rollsim.spec.node import Node
from rollsim.spec.scenario import Scenario
from rollsim.spec.streams import root_seed
from rollsim.world import World, WorldDaemonSet, add_daemonset, build_world

__all__ = ["simulate", "RunResult", "DEFAULT_HORIZON_S"]

DEFAULT_HORIZON_S = 30 * 24 * 3600.0  # give up after 30 simulated days


@contextmanager
def _collector_out_of_the_way() -> Iterator[None]:
    """Keep the cyclic garbage collector out of the simulation, and collect the world once it is
    gone: the collector is off while ``simulate`` runs (a run allocates events and pod snapshots by
    the million and makes almost no cyclic garbage while it runs), and the world the run built,
    whose components refer to each other (an environment and its callbacks, bound methods kept as
    attributes), is cyclic garbage the moment ``simulate`` returns. Every object made since the
    collector was turned off is in its youngest generation, so one young collection then finds
    the world and frees it, without walking the older objects (the scenario, the modules).

    Left to the collector's own pace, a process that simulates run after run (a sweep's or a
    plan's worker, a notebook) held every world it built: its young collections never saw them
    (they had been frozen, then put in the oldest generation to spare those collections), and
    a full collection comes only when that generation grows by a quarter through promotions,
    which a world put there does not count as: 3.4 MB more a 2,000-node run, 675 MB for a
    worker of a 240-run sweep.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.collect(0)  # the world, unreachable now that the run's frame is gone
        if enabled:
            gc.enable()


def _rollback(world: World, delay: float) -> Callable[[float, float], float]:
    """The operator's rollback, ``delay`` seconds after the stall is detected: the first
    DaemonSet's template goes back to revision 0 (``kubectl rollout undo``), whose
    ControllerRevision still exists.
    """
    env, main = world.env, world.daemonsets[0]

    def undo(_event: simpy.Event) -> None:
        world.log["rolled_back_at"] = env.now
        world.api.set_revision(main.name, 0)

    def on_stall(detected: float, last_progress: float) -> float:
        main.stalled_at = last_progress
        env.timeout(detected + delay - env.now).callbacks.append(undo)
        return detected + delay

    return on_stall


# False: every sync the consistency gate refuses goes through the event queue (the plain path,
# which tests/test_stale_refusals.py compares with; a module global, so the native build reads it too)
COUNT_REFUSALS = True
# False: every pod watch event reaches the controller through a timer of its own (the plain path,
# which tests/test_deferred_deliveries.py compares with)
DEFER_DELIVERIES = True


def _completed(rollout: RolloutStatus) -> bool:
    """Whether ``kubectl rollout status`` has reported the rollout done."""
    return rollout.completed_at is not None


def _start(world: World) -> UrgentEvent:
    """The controller's workers, node churn, and what ends the run: every rollout done, a
    stall, or the horizon. Returns the event that stops the run.
    """
    env, scenario = world.env, world.scenario
    world.stop = stop = UrgentEvent(env)
    controllers = {d.name: d.controller for d in world.daemonsets}
    if not scenario.controller.ideal and DEFER_DELIVERIES:  # most pod events reach a key already queued
        for d in world.daemonsets:
            d.informer.defer_while_dirty(world.queue, d.name, world.cursor)
    # the informers that keep deliveries (catch_up is a no-op for the others: ideal mode's deliver at once)
    catch_up = {d.name: d.informer.catch_up for d in world.daemonsets if d.informer.defers}
    for _ in range(scenario.controller.workers):
        Worker(env, world.queue, controllers, catch_up, world.counters)
    if scenario.controller.ideal:  # most of its syncs (one per pod event) would do nothing: left off the event queue
        idle: dict[Hashable, Callable[[], bool]] = {name: c.sync_would_idle for name, c in controllers.items()}
        world.queue.skip_idle_syncs(world.cursor, idle, cast("Counter[Hashable]", world.counters["syncs"]))
    # start_sync's first lines, syncDaemonSet's consistency check (IsReady), for each gated DaemonSet
    gated: dict[Hashable, Callable[[], bool]] = {name: c.consistency.refuses for name, c in controllers.items()
                                                 if c.consistency is not None}
    if gated and COUNT_REFUSALS:  # most refused syncs are retries refused again: counted, not queued
        world.queue.refuse_stale_syncs(gated, cast("Counter[Hashable]", world.counters["syncs"]))
    if world.kubelet.eviction is not None:  # nodes listed with DiskPressure: their kubelets reject pods from 0
        world.kubelet.eviction.listed_under_pressure(world.api.nodes.nodes)
    if scenario.node_changes or scenario.out_of_service_after_s is not None:
        start_node_changes(env, world.api, world.rank, world.streams, scenario, world.other_ranks,
                           world.counters["old_pods_unready"], world.kubelet.eviction)
    if world.deleter is not None:
        view, rng = world.deleter
        env.process(run_deleter(env, scenario.deleter, view, rng))
    # an operator per DaemonSet: each rollout's stall is its own (the study's is rolled back, if asked)
    for d in world.daemonsets:
        after = scenario.rollback_after_s if d is world.daemonsets[0] else None
        env.process(watch_for_stall(env, partial(getattr, d.recorder, "last_progress"), scenario.stall_after_s,
                                    partial(world.give_up, d), None if after is None else _rollback(world, after),
                                    done=partial(_completed, d.rollout)))
    horizon = scenario.horizon_s if scenario.horizon_s is not None else DEFAULT_HORIZON_S
    LateTimeout(env, horizon).callbacks.append(lambda _e: stop.succeed_now(("horizon", horizon)))
    world.rollout_done()  # nothing to do (no DaemonSet, or all complete at once)
    return stop


def _end_of(d: WorldDaemonSet, run_end: float) -> float:
    """Where ``d``'s rollout ended, and its metrics with it: when it completed, when its operator
    gave it up as stalled, else where the run stopped (the horizon, or a stop with it still going).
    """
    return next((t for t in (d.completed_at(), d.given_up_at) if t is not None), run_end)


class _Reading(NamedTuple):
    """What one DaemonSet's summary reads from the world rather than from its tables, read where
    its rollout ended (``_read_world``): ``summarize``'s arguments, what happened to its pods in the
    cluster (counts), its end state (``end_state``) and, for the study's DaemonSet, the nodes then.
    """

    completed_at: float | None
    measures: dict[str, Any]  # summarize's keyword arguments
    counts: dict[str, int]  # its pods refused, failed, evicted, rejected, collected; nodes under pressure
    state: EndState
    final: tuple[Node, ...]  # the nodes that exist, in list order
    statuses: int  # how many statuses its controller had written
    status_desired: bool  # one of them counted a node (``metrics.on_no_node``)


def _read_world(world: World, d: WorldDaemonSet, horizon_reached: bool) -> _Reading:
    """What ``d``'s summary reads from the world, as it is now: where ``d``'s rollout ended, when it
    ended while the run went on for other DaemonSets (``World.on_over``), else when the run stopped.
    The controller's work (its syncs, API writes, queue waits) is not read here: it is counted over
    the whole run, which is the controller's.
    """
    rolled_back_at = world.log.get("rolled_back_at") if d is world.daemonsets[0] else None
    runtime, eviction, registry = d.runtime, world.kubelet.eviction, world.kubelet.registry
    measures = dict(stalled_at=d.stalled_at, pulls=runtime.pulls,
                    registry_bytes=None if registry is None or not runtime.image.modelled else runtime.bytes_pulled,
                    unschedulable=len(runtime.unschedulable),
                    preempted=(len(runtime.preempted_nodes), runtime.preempted_cpu_millis,
                               runtime.preempted_memory_bytes),
                    rolled_back_at=rolled_back_at)
    counts = {"registry_refusals": runtime.refusals, "registry_errors": runtime.registry_errors,
              "old_pods_unready": world.counters["old_pods_unready"][d.name],
              "nodes_under_disk_pressure": 0 if eviction is None else len(eviction.ever),
              "disk_pressure_evictions": 0 if eviction is None else eviction.evicted[d.name],
              "disk_pressure_rejections": 0 if eviction is None else eviction.rejected[d.name],
              "terminated_pods_collected": 0 if world.pod_gc is None else world.pod_gc.deleted[d.name]}
    # summarize's verdicts: after a rollback, the rollout that completes is the undo, not the update
    completed = d.completed_at() is not None and rolled_back_at is None
    awaited = world.deleter[0].awaited() if world.deleter is not None and d is world.daemonsets[0] else ()
    state = end_state(world.api, world.kubelet, runtime, d.recorder, d.scenario.deleter.kind,
                      horizon_reached=horizon_reached and not d.over(), completed=completed,
                      rolled_back=rolled_back_at is not None, awaited=awaited)
    nodes = world.api.nodes
    final = tuple(nodes.nodes[i] for i in nodes.present()) if d is world.daemonsets[0] else ()
    log = d.rollout.log
    return _Reading(d.completed_at(), measures, counts, state, final, len(log),
                    any(status["desired"] > 0 for _, status in log))


def _over_early(readings: dict[str, _Reading], world: World, d: WorldDaemonSet) -> None:
    """``d``'s rollout is over while the run goes on for other DaemonSets (``World.on_over``): its
    tables and summary describe the cluster up to now, not up to the run's end (a node removed, or
    under disk pressure, later is as it was now; its downtime ends now). Told again (another
    DaemonSet's rollout ended), it keeps what it read the first time.
    """
    if d.name in readings:
        return
    d.recorder.close()
    reading = _read_world(world, d, horizon_reached=False)
    reading.measures["pulls"] = d.runtime.pulls[:]  # its pulls so far: the kubelets go on with their own list
    readings[d.name] = reading


def _summary(world: World, d: WorldDaemonSet, tables: tuple[Columns, Columns], end: float,
             reading: _Reading) -> dict[str, Any]:
    """One DaemonSet's summary from its tables' columns, up to ``end`` (``_end_of``), and from what
    was read of the world there (``reading``): its metrics, its share of the controller, and why it stopped.
    """
    timeline, node_table = tables
    summary = summarize(timeline, node_table, reading.completed_at, end, **reading.measures,
                        status_desired=reading.status_desired)
    counts = reading.counts
    registry = world.kubelet.registry
    if registry is not None and registry.spec.rejects:  # only then: other runs' summaries keep their keys
        summary["registry_refusals"] = counts["registry_refusals"]  # its pods' requests refused over the limit (429)
    if registry is not None and registry.spec.error_rate > 0:  # likewise: only for a registry that fails some
        summary["registry_errors"] = counts["registry_errors"]  # its pods' pulls the registry failed part way
    if d is world.daemonsets[0] and "old-pods-unready" in change_kinds(d.scenario.node_changes):
        summary["old_pods_unready"] = counts["old_pods_unready"]  # likewise: only with the fault
    eviction = world.kubelet.eviction
    if eviction is not None:  # likewise: only with disk pressure (its pods evicted, and rejected at admission)
        for key in ("nodes_under_disk_pressure", "disk_pressure_evictions", "disk_pressure_rejections"):
            summary[key] = counts[key]
    if world.pod_gc is not None and (eviction is not None or world.pod_gc.deleted):  # likewise: where pods fail
        summary["terminated_pods_collected"] = counts["terminated_pods_collected"]  # PodGC's, over its threshold
    consistency = d.controller.consistency
    summary.update(syncs=world.counters["syncs"][d.name], sync_errors=world.counters["sync_errors"][d.name],
                   stale_sync_skips=0 if consistency is None else consistency.skips,
                   api_writes=d.pod_control.writes, queue_wait_s=world.queue.waited.get(d.name, 0.0))
    cause = stop_cause(reading.state)
    stuck = stuck_nodes(reading.state)
    summary.update(stop_cause=cause.cause, stop_detail=cause.sentence, healthy_done_s=healthy_done_s(node_table, stuck),
                   healthy_nodes=healthy_nodes(node_table, stuck), done_99_s=done_by_s(node_table, DONE_SHARE))
    return summary


def simulate(scenario: Scenario, seed: object = 0, *, reference: bool = False) -> RunResult:
    """Simulate one rollout of ``scenario`` (and of ``scenario.also``) with root seed ``seed``.

    ``reference=True`` makes every controller rescan every node on every sync (the plain
    reference) instead of using its incremental index; both decide identically.
    """
    if not isinstance(scenario, Scenario):
        raise TypeError(f"simulate takes a Scenario (rollsim.build_scenario(...)), got {type(scenario).__name__}")
    seed = root_seed(seed)  # (typed object: the native build would refuse a float 3.0, or None, with a TypeError)
    with _collector_out_of_the_way():
        return _run(scenario, seed, reference)


def _run(scenario: Scenario, seed: int, reference: bool) -> RunResult:
    """``simulate``'s run: the world built, run and summed up; garbage when this returns."""
    world = build_world(scenario, seed, reference)
    keys = scenario.daemonset_keys()
    main = add_daemonset(world, scenario, world.streams, keys[0])
    for other, key in zip(scenario.also, keys[1:]):
        # its own spec and timings; no faults, node changes or operator deleting its pods
        own = replace(scenario, daemonset=other.daemonset, timings=other.timings, new_pods=NewPodFaults(),
                      image=other.image, also=(), node_changes=(), deleter=DeleterSpec())
        # its draws keyed by namespace/name, whatever else the run updates: the same DaemonSet
        # draws the same numbers in every configuration (common random numbers)
        add_daemonset(world, own, world.streams.child(other.daemonset.key), key)
    readings: dict[str, _Reading] = {}
    world.on_over = partial(_over_early, readings, world)
    stop = _start(world)
    # the work queue's skipped syncs (ideal) and the informers' kept deliveries (realistic) read the cursor
    tracked = scenario.controller.ideal or DEFER_DELIVERIES
    how, _at = cast(tuple[str, float], run_until(world.env, stop, world.cursor if tracked else None))
    world.queue.settle()  # the syncs left off the event queue that the run reached
    for d in world.daemonsets:  # the run is over: the frames may reuse the controllers' memory
        d.controller.shut_down()
    run_end, horizon = world.env.now, how == "horizon"
    for d in world.daemonsets:  # those still going when the run stopped, or over with it: read now
        if d.name not in readings:
            readings[d.name] = _read_world(world, d, horizon)
    end = _end_of(main, run_end)
    timeline, node_table = main.recorder.to_columns(end)  # built once: they are the result's too
    summary = _summary(world, main, (timeline, node_table), end, readings[main.name])
    # a skipped sync or a kept delivery took its event's id: those the run did not reach are still "queued"
    unreached = world.queue.unreached() + sum(d.informer.unreached() for d in world.daemonsets)
    summary.update(end_s=end, events=world.env.processed - unreached)
    others: dict[str, dict[str, Any]] = {}
    for d in world.daemonsets[1:]:
        d_end = _end_of(d, run_end)
        others[d.name] = _summary(world, d, d.recorder.to_columns(d_end), d_end, readings[d.name])
    reading, log = readings[main.name], main.rollout.log
    statuses = log if len(log) == reading.statuses else log[:reading.statuses]  # those written by its end
    return RunResult(timeline, node_table, summary, statuses, scenario, seed, others, reading.final)
