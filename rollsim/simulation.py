"""``simulate(scenario, seed) -> RunResult``: one DaemonSet rollout, in virtual time.

Every desired node starts with a Ready pod of the old revision; at time 0 the pod
template changes (an image update) and the run ends when ``kubectl rollout status``
would report success, when nothing is left to happen, or at the horizon. Pure: no
printing, no files, no global state.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd
import simpy

from rollsim.cluster.apiserver import ApiPodControl, ApiServer
from rollsim.spec.node import Node, node_should_run_daemon_pod, not_ready_node, ready_node
from rollsim.controller.daemon import DaemonSetController
from rollsim.controller.decisions import daemonset_status
from rollsim.cluster.operators import run_deleter
from rollsim.spec.image import ImageSpec
from rollsim.cluster.informer import Informer
from rollsim.cluster.kubelet import Kubelet, Sampler
from rollsim.observe.metrics import summarize
from rollsim.cluster.churn import Cluster, run_node_changes
from rollsim.controller.flowcontrol import TokenBucket
from rollsim.observe.recorder import Recorder
from rollsim.spec.scenario import ON_DELETE, Scenario
from rollsim.spec.streams import Streams
from rollsim.cluster.workqueue import WorkQueue

__all__ = ["simulate", "RunResult", "DEFAULT_HORIZON_S"]

DEFAULT_HORIZON_S = 30 * 24 * 3600.0  # give up after 30 simulated days
_LONG_AGO = -1e6


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


class _DeleterView:
    """What an OnDelete deleter sees: the API server's pods."""

    def __init__(self, api: ApiServer, recorder: Recorder) -> None:
        self.api, self.recorder = api, recorder

    def old_pod_nodes(self) -> list[int]:
        rev = self.api.revision
        return [
            node for node, pods in enumerate(self.api.pods_by_node)
            if any(p.revision != rev and not p.deleting for p in pods)
        ]

    def delete_old_pod(self, node: int) -> None:
        for pod in list(self.api.pods_by_node[node]):
            if pod.revision != self.api.revision and not pod.deleting:
                self.api.delete_pod(pod.uid)

    def new_pod_available(self, node: int) -> simpy.Event:
        return self.recorder.new_pod_available(node)


def _with_not_ready(nodes: tuple[Node, ...], count: int, rng) -> tuple[Node, ...]:
    """``count`` nodes, chosen at random, gone NotReady before the rollout."""
    if not count:
        return nodes
    chosen = set(rng.choice(len(nodes), size=count, replace=False).tolist())
    return tuple(not_ready_node(n) if i in chosen else n for i, n in enumerate(nodes))


def _had_pod(nodes: tuple[Node, ...], placement) -> list[bool]:
    """Which nodes ran the old pod before time 0: those that should run it, and NotReady
    nodes that should run it were they Ready (their pod was placed before they failed)."""
    return [node_should_run_daemon_pod(n if n.ready else ready_node(n), placement)[0] for n in nodes]


def _worker(env: simpy.Environment, queue: WorkQueue, controllers: dict[str, DaemonSetController], counters: dict):
    """A controller worker: ``processNextWorkItem`` in a loop, for whichever DaemonSet's key comes."""
    while True:
        key = yield queue.get()
        counters["syncs"][key] += 1
        sync = controllers[key].sync()
        try:
            wait = next(sync)
            while True:
                yield env.timeout(wait)
                wait = sync.send(None)
        except StopIteration as stop:
            error = stop.value
        if error is None:
            queue.forget(key)
        else:
            counters["sync_errors"][key] += 1
            queue.add_rate_limited(key)
        queue.done(key)


def _run(env: simpy.Environment, recorders: list[Recorder], horizon: float, stall_after: float,
         on_stall: Callable[[float], float] | None = None) -> tuple[float, float | None, int]:
    """Step until every rollout completes, they stall, or the horizon is reached.

    Returns (end, stalled_at, events): the rollouts stall when no node has gained an
    available new pod of any DaemonSet for ``stall_after`` seconds, whether or not anything
    else still happens (a crash loop keeps restarting; a pod that never gets Ready is
    quiet). The run then ends at last progress + stall_after, as an operator watching it
    would give up; ``stalled_at`` is the last progress. With ``on_stall`` (an operator who
    rolls back), the first stall instead schedules the rollback, which returns when it
    happens; the stall clock restarts there and the run goes on until the rollback is done.
    """
    events = 0
    stalled_at = None
    while not all(r.done.triggered for r in recorders):
        nxt = env.peek()
        last_progress = max(r.last_progress for r in recorders)
        deadline = last_progress + stall_after
        if nxt > deadline and deadline <= horizon:
            if on_stall is None:
                return max(deadline, env.now), last_progress if stalled_at is None else stalled_at, events
            stalled_at = last_progress
            resume = on_stall(max(deadline, env.now))
            on_stall = None
            for r in recorders:
                r.last_progress = resume
            continue
        if nxt > horizon:
            return horizon, stalled_at, events
        env.step()
        events += 1
    return max(r.completed_at for r in recorders), stalled_at, events


def _rollback(env: simpy.Environment, world: _World, delay: float, ideal: bool, log: dict) -> Callable[[float], float]:
    """The operator's rollback, ``delay`` seconds after the stall is detected: the template goes
    back to revision 0 (``kubectl rollout undo``), whose ControllerRevision still exists."""

    def undo(_event: simpy.Event) -> None:
        log["rolled_back_at"] = env.now
        world.api.revision = 0
        for node, pods in enumerate(world.api.pods_by_node):  # old pods count as updated again
            world.recorder.node_changed(node, pods)
        if ideal:
            world.controller.change_template(revision=0)
        else:
            env.timeout(world.api.informer.delay()).callbacks.append(
                lambda _e: world.controller.change_template(revision=0))

    def on_stall(detected: float) -> float:
        log["detected_at"] = detected
        env.timeout(detected + delay - env.now).callbacks.append(undo)
        return detected + delay

    return on_stall


@dataclass
class _World:
    """One DaemonSet's share of a run: its pods in the API, its recorder, its controller."""

    name: str
    scenario: Scenario
    api: ApiServer
    recorder: Recorder
    controller: DaemonSetController
    pod_control: ApiPodControl


def _build_world(env: simpy.Environment, scenario: Scenario, nodes: tuple[Node, ...], rank: list[float],
                 streams: Streams, queue: WorkQueue, bucket: TokenBucket | None, reference: bool) -> _World:
    """Wire one DaemonSet: API store, kubelet, recorder, informer and controller, with its old
    pods in place and its template change under way at time 0."""
    ds, settings = scenario.daemonset, scenario.controller
    ideal = settings.ideal
    key = ds.name
    api: ApiServer
    recorder = Recorder(env, [n.name for n in nodes], [False] * len(nodes), ds.min_ready_seconds,
                        lambda: api.revision)
    api = ApiServer(env, nodes, recorder)
    api.kubelet = Kubelet(env, api, scenario, streams)
    pod_control = ApiPodControl(
        env, api, bucket, None if ideal else Sampler(settings.api_latency, streams["api_latency"]),
        recorder.status_written,
    )
    controller = DaemonSetController(
        nodes=nodes,
        placement=ds.placement,
        strategy=ds.strategy,
        min_ready_seconds=ds.min_ready_seconds,
        pod_control=pod_control,
        clock=lambda: env.now,
        requeue=lambda delay: queue.add_after(key, delay),
        rank=rank,
        burst_replicas=settings.burst_replicas,
        slow_start_initial_batch_size=settings.slow_start_initial_batch_size,
        expectations_timeout=settings.expectations_timeout,
        reference=reference,
    )
    recorder.desired = list(controller.should_run)

    # Before time 0: an old pod on every node that ran one, in every cache.
    for node, had_pod in enumerate(_had_pod(nodes, ds.placement)):
        if had_pod:
            controller.pod_added(api.seed_pod(node, 0, _LONG_AGO, ready=nodes[node].ready).copy())
    controller.expectations.clear()
    controller.status = {**daemonset_status(controller.aggregate()),
                         "observed_generation": controller.generation, "generation": controller.generation}
    api.revision = 1  # time 0: the template changes in the API
    recorder.start(api.pods_by_node)
    api.informer = Informer(env, controller, None if ideal else Sampler(settings.watch_delay, streams["watch_delay"]))
    # The controller sees the new template after a watch delay.
    if ideal:
        controller.change_template()
    else:
        env.timeout(api.informer.delay()).callbacks.append(lambda _e: controller.change_template())
    return _World(key, scenario, api, recorder, controller, pod_control)


def _summary(world: _World, end: float, stalled_at: float | None, queue: WorkQueue, counters: dict,
             rolled_back_at: float | None = None) -> dict:
    timeline, node_frame, _ = world.recorder.to_frames(end)
    kubelet = world.api.kubelet
    summary = summarize(timeline, node_frame, world.recorder.completed_at, end, stalled_at=stalled_at,
                        pulls=kubelet.pulls,
                        registry_bytes=None if kubelet.registry is None else kubelet.registry.bytes_served,
                        unschedulable=len(kubelet.unschedulable), rolled_back_at=rolled_back_at)
    summary.update(syncs=counters["syncs"][world.name], sync_errors=counters["sync_errors"][world.name],
                   api_writes=world.pod_control.writes, queue_wait_s=queue.waited.get(world.name, 0.0))
    return summary


def _stop_summary(world: _World, node_frame: pd.DataFrame, summary: dict, horizon_reached: bool) -> dict:
    """``stop_cause``, ``stop_detail`` and ``healthy_done_s`` from the world at the end of the run
    (``rollsim.observe.stopcause``). The state of a new pod that is neither Pending nor Ready is
    the scenario's fault kind (the kubelet does not keep which pods it made faulty), else starting."""
    from rollsim.cluster.scheduling import unschedulable_reason
    from rollsim.observe import stopcause as sc

    api, kubelet, scenario = world.api, world.api.kubelet, world.scenario
    assert kubelet is not None
    fault = scenario.new_pods.kind if scenario.new_pods.any else None
    failing = {"crashloop": sc.CRASH_LOOPING, "never-ready": sc.NEVER_READY, "pull-error": sc.IMAGE_PULL_ERROR}

    def new_state(pod) -> str:
        if pod.uid in kubelet.unschedulable:
            bound = sum(1 for p in api.pods_by_node[pod.node] if p.scheduled and p is not pod)
            why = unschedulable_reason(api.nodes[pod.node], bound, *kubelet.requests, kubelet.host_ports,
                                       kubelet.utilization) or ""
            return sc.PENDING_HOST_PORT if "ports" in why else sc.PENDING_RESOURCES
        if pod.ready:
            available = pod.ready_since + scenario.daemonset.min_ready_seconds <= api.env.now  # as the recorder
            return sc.AVAILABLE if available else sc.READY_NOT_AVAILABLE
        if fault == "pull-error" and pod.phase != "Running" and pod.scheduled:
            return sc.IMAGE_PULL_ERROR
        if fault in ("crashloop", "never-ready") and pod.phase == "Running":
            return failing[fault]
        return sc.STARTING

    ends = []
    for node, pods in enumerate(api.pods_by_node):
        desired = bool(world.recorder.desired[node])
        if not desired and not pods:
            continue
        old = [p for p in pods if p.revision != api.revision]
        new = [p for p in pods if p.revision == api.revision and not p.deleting]
        ends.append(sc.NodeEnd(api.nodes[node].name, desired, bool(api.node_ready[node]),
                               "none" if not old else ("running" if any(not p.deleting for p in old)
                                                       else "terminating"),
                               new_state(new[0]) if new else sc.NONE))
    state = sc.EndState(tuple(ends), scenario.daemonset.strategy.type, scenario.deleter.kind, horizon_reached,
                        bool(summary["completed"]), bool(summary.get("rolled_back")))
    cause = sc.stop_cause(state)
    return {"stop_cause": cause.cause, "stop_detail": cause.sentence,
            "healthy_done_s": sc.healthy_done_s(node_frame, sc.stuck_nodes(state))}


def simulate(scenario: Scenario, seed: int = 0, *, reference: bool = False) -> RunResult:
    """Simulate one rollout of ``scenario`` with root seed ``seed``.

    ``reference=True`` makes the controller rescan every node on every sync (the plain
    reference) instead of using its incremental index; both decide identically.
    """
    env = simpy.Environment()
    streams = Streams(seed)
    ds = scenario.daemonset
    settings = scenario.controller
    nodes = _with_not_ready(scenario.nodes, scenario.not_ready_nodes, streams["not_ready"])
    rank = streams["map_order"].random(len(nodes)).tolist()
    queue = WorkQueue(env)
    # one API client for the DaemonSet controller: every DaemonSet's writes share its bucket
    bucket = None if settings.ideal else TokenBucket(settings.kube_api_qps, settings.kube_api_burst)
    worlds = [_build_world(env, scenario, nodes, rank, streams, queue, bucket, reference)]
    for other in scenario.also:
        own = replace(scenario, daemonset=other.daemonset, timings=other.timings, new_pods="healthy",
                      image=ImageSpec(), also=(), node_changes=())
        worlds.append(_build_world(env, own, nodes, rank, streams.child(other.daemonset.name), queue, bucket,
                                   reference))
    main = worlds[0]
    controllers = {w.name: w.controller for w in worlds}
    counters = {"syncs": Counter(), "sync_errors": Counter()}
    for _ in range(settings.workers):
        env.process(_worker(env, queue, controllers, counters))
    if scenario.node_changes:
        cluster = Cluster(env, main.api, main.recorder, main.controller, rank, streams["churn"])
        env.process(run_node_changes(cluster, scenario.node_changes))
    if ds.strategy.type == ON_DELETE:
        env.process(run_deleter(env, scenario.deleter, _DeleterView(main.api, main.recorder), streams["deleter"]))

    horizon = scenario.horizon_s if scenario.horizon_s is not None else DEFAULT_HORIZON_S
    log: dict[str, float] = {}
    on_stall = (None if scenario.rollback_after_s is None else
                _rollback(env, main, scenario.rollback_after_s, settings.ideal, log))
    end, stalled_at, events = _run(env, [w.recorder for w in worlds], horizon, scenario.stall_after_s, on_stall)
    timeline, node_frame, status = main.recorder.to_frames(end)
    summary = _summary(main, end, stalled_at, queue, counters, log.get("rolled_back_at"))
    summary.update(end_s=float(end), events=events)
    summary.update(_stop_summary(main, node_frame, summary, end >= horizon))
    others = {w.name: _summary(w, end, stalled_at, queue, counters) for w in worlds[1:]}
    return RunResult(timeline, node_frame, summary, status, scenario, seed, others)
