"""Pod watch events kept off the event queue while the key is queued change no result.

In realistic mode most pod events reach the controller while its key is already dirty in
the work queue, so their handlers change only what the next sync reads. The informer keeps
them, in order, and delivers them just before anything reads or changes what they change
(``Informer.defer_while_dirty``). These tests run scenarios both ways (``simulation.
DEFER_DELIVERIES``) and compare every result, the event count included: a kept delivery takes
the event id its timer would have taken, so it counts as an event processed once its turn
has come. One figure may differ, and only down: ``events`` where the consistency gate's
retries are counted without the event queue (``WorkQueue.refuse_stale_syncs`` counts those
due before the next entry on the queue, and another DaemonSet's kept deliveries are not on
it, so more are counted at once).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import pandas as pd
import pytest
import simpy
from rollsim import build_scenario, simulate, simulation
from rollsim.cluster.apiserver import ADDED, DELETED, MODIFIED
from rollsim.cluster.informer import Informer
from rollsim.cluster.timers import Cursor, call_later, run_until
from rollsim.cluster.workqueue import WorkQueue
from rollsim.controller.pods import Pod

SLOW = dict(watch_delay="lognormal(median=0.3, p95=2)", api_latency="lognormal(median=0.1, p95=0.6)")
CONSTANT = dict(schedule=1, pull=2, start=3, ready=4, terminate=5, probe_period=0)
CASES: dict[str, dict[str, Any]] = {
    "default-10pct": dict(nodes=400, max_unavailable="10%"),
    "default-1pct": dict(nodes=300, max_unavailable="1%"),
    "slow-surge-min-ready": dict(nodes=200, max_surge="5%", min_ready_seconds=3, **SLOW),
    "min-ready": dict(nodes=200, max_unavailable="5%", min_ready_seconds=10),
    "no-gate": dict(nodes=300, max_unavailable="5%", kubernetes_version="1.33", **SLOW),
    "no-dedup": dict(nodes=200, max_unavailable=2, queue_dedup=False, **SLOW),
    # ties everywhere: every watch delay and write the same, so deliveries land on the instants of
    # hand-outs and sync steps, and their order among them is the event ids'
    "constant-timings": dict(nodes=150, max_unavailable=3, watch_delay="constant(0.05)",
                             api_latency="constant(0.05)", **CONSTANT),
    "zero-delays": dict(nodes=120, max_unavailable=4, watch_delay="constant(0)", api_latency="constant(0)",
                        **CONSTANT),
    "one-worker-also": dict(nodes=150, max_unavailable=2, workers=1, also=[
        {"name": "a", "max_unavailable": 1}, {"name": "b", "max_surge": 2, "min_ready_seconds": 2}], **SLOW),
    "churn": dict(nodes=200, max_unavailable="5%", add_nodes="12@20+40", remove_nodes="6@30+60",
                  not_ready_nodes="5@25", node_watch_delay="constant(0.4)", **SLOW),
    "faults": dict(nodes=200, max_unavailable=3, new_pods="crashloop:0.1", not_ready_nodes=3, **SLOW),
    "on-delete": dict(nodes=100, strategy="OnDelete", deleter="batch:8:5", not_ready_nodes=3),
    "out-of-service": dict(nodes=120, max_unavailable="5%", not_ready_nodes="5@30", out_of_service_after=60),
}


def _same(a: Any, b: Any) -> None:
    for name in ("timeline", "nodes", "status"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
    assert a.summary == b.summary  # the event count too
    assert a.others == b.others


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("case", sorted(CASES))
def test_keeping_deliveries_changes_no_result(case: str, seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = build_scenario(**CASES[case])
    kept = simulate(scenario, seed=seed)
    monkeypatch.setattr(simulation, "DEFER_DELIVERIES", False)
    plain = simulate(scenario, seed=seed)
    _same(kept, plain)


# three gated DaemonSets sharing the workers: one's refused retries fall between another's kept deliveries
GATED_ALSO = dict(nodes=200, max_unavailable="10%", also=[
    {"name": "calico-node", "max_unavailable": "10%", "ready": "lognormal(median=3, p95=6)",
     "pull": "lognormal(median=1.5, p95=3)"},
    {"name": "node-exporter", "max_unavailable": "10%", "ready": "lognormal(median=2, p95=4)",
     "pull": "lognormal(median=1, p95=2)"}])


# seeds whose runs show the effect: since the queue's overall bucket (model 21) spaces the refused
# retries, it is a few events a run
@pytest.mark.parametrize("seed", [2, 3])
def test_counted_refusals_are_the_one_count_kept_deliveries_change(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """With several gated DaemonSets, keeping deliveries lets the work queue count more refused
    retries at once: fewer events, every other result the same; with every retry through the
    event queue (``COUNT_REFUSALS = False``) the counts are equal too.
    """
    scenario = build_scenario(**GATED_ALSO)
    kept = simulate(scenario, seed=seed)
    monkeypatch.setattr(simulation, "DEFER_DELIVERIES", False)
    plain = simulate(scenario, seed=seed)
    assert kept.summary["events"] < plain.summary["events"]  # this scenario shows it (or the test is moot)
    kept.summary.pop("events"), plain.summary.pop("events")
    _same(kept, plain)
    monkeypatch.setattr(simulation, "COUNT_REFUSALS", False)
    plain = simulate(scenario, seed=seed)
    monkeypatch.setattr(simulation, "DEFER_DELIVERIES", True)
    _same(simulate(scenario, seed=seed), plain)


@pytest.mark.pure
def test_most_deliveries_never_reach_the_event_queue(monkeypatch: pytest.MonkeyPatch) -> None:
    """A large rollout at maxUnavailable 10%: nearly every pod event finds the key queued (the sync
    in progress writes for tens of seconds at the client's QPS), so it is kept, not timed.
    """
    timed: list[int] = []
    fire = Informer._fire_after_catching_up

    def counting(self: Informer, kind: str, pod: Pod, rv: int) -> None:
        timed.append(pod.uid)
        fire(self, kind, pod, rv)

    monkeypatch.setattr(Informer, "_fire_after_catching_up", counting)
    result = simulate(build_scenario(nodes=6000, max_unavailable="10%"), seed=0)
    deliveries = 6 * 6000  # per node: the new pod's ADDED and 3 updates, the old pod's deletion and DELETED
    assert result.summary["completed"]
    assert len(timed) < deliveries // 5


class _Cache:
    """Handlers that log what they are told (not when: a kept delivery is told late, but before
    anything reads it), and enqueue the key as the controller's do.
    """

    min_ready_seconds = 0.0

    def __init__(self, env: simpy.Environment, queue: WorkQueue, log: list[tuple[Any, ...]]) -> None:
        self.env, self.queue, self.log = env, queue, log

    def _seen(self, kind: str, uid: int, enqueue: bool) -> None:
        self.log.append((kind, uid))
        if not enqueue:  # a kept delivery leaves out an enqueue that would do nothing: the key is queued
            assert "ds" in self.queue._dirty
        self.queue.add("ds")

    def pod_added(self, pod: Pod, enqueue: bool = True) -> None:
        self._seen(ADDED, pod.uid, enqueue)

    def pod_updated(self, snapshot: Pod, enqueue: bool = True) -> None:
        self._seen(MODIFIED, snapshot.uid, enqueue)

    def pod_deleted(self, uid: int, failed: bool | None = None, enqueue: bool = True) -> None:
        self._seen(DELETED, uid, enqueue)


def _scripted_run(defer: bool, delays: list[float], events: list[tuple[float, str, int]],
                  work: list[float]) -> list[tuple[Any, ...]]:
    """Pod events notified at scripted instants with scripted watch delays, and one worker that
    holds the key for scripted times and logs when it takes it: the log of deliveries and syncs.
    """
    env = simpy.Environment()
    queue = WorkQueue(env, dedup=True)
    log: list[tuple[Any, ...]] = []
    cache = _Cache(env, queue, log)
    scripted = iter(delays)
    informer = Informer(env, cache, lambda: next(scripted))  # type: ignore[arg-type]
    cursor = Cursor()
    if defer:
        informer.defer_while_dirty(queue, "ds", cursor)
    pods = {uid: Pod(uid, 0, 1, 0.0) for _, _, uid in events}
    for at, kind, uid in events:
        call_later(env, at, informer.notify, kind, pods[uid])
    holds = iter(work)

    def take(key: Hashable) -> None:
        informer.catch_up()
        log.append((env.now, "sync", key))
        call_later(env, next(holds, 0.5), finish, key)

    def finish(key: Hashable) -> None:
        informer.catch_up()
        queue.finish_then_get(key, True, take)

    queue.get_then(take)
    stop = env.event()
    call_later(env, 100.0, stop.succeed)
    run_until(env, stop, cursor)
    return log


@pytest.mark.parametrize("seed", range(40))
def test_scripted_ties_keep_their_order(seed: int) -> None:
    """Deliveries and syncs on the same instants (delays and holds from a few values): the log of
    handler calls and syncs is the same with deliveries kept or timed.
    """
    import random

    rng = random.Random(seed)
    values = [0.0, 0.25, 0.5, 1.0]
    events = [(rng.choice(values) * 4, rng.choice([ADDED, MODIFIED, DELETED]), rng.randint(1, 4))
              for _ in range(30)]
    delays = [rng.choice(values) for _ in events]
    work = [rng.choice(values) for _ in range(40)]
    assert _scripted_run(True, delays, events, work) == _scripted_run(False, delays, events, work)
