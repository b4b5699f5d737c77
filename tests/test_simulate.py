"""``simulate`` end to end: closed forms in ideal mode, OnDelete deleters, realistic mode,
reproducibility, the fast path against the reference, and node eligibility.

With constant timings, ``probe_period=0`` and the ideal controller (writes observed at
once, syncs take no time) a rollout without surge is a pipeline of ``k = maxUnavailable``
nodes in flight, and every node is down for exactly one cycle:
``terminate (capped at the grace period) + schedule + pull + start + ready``.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from pandas.testing import assert_frame_equal
from rollsim import build_scenario, simulate
from rollsim.observe.metrics import SUMMARY_KEYS
from rollsim.observe.recorder import NODE_COLUMNS, TIMELINE_COLUMNS
from rollsim.spec.budget import scaled_value
from rollsim.spec.node import (
    CONTROL_PLANE_LABEL,
    NO_SCHEDULE,
    PodPlacement,
    Toleration,
    control_plane_node,
    uniform_nodes,
)
from rollsim.spec.options import OptionError
from rollsim.spec.scenario import ControllerSettings, DaemonSetSpec, ReadinessProbe, Scenario, Timings

from harness import ControllerHarness

SCHEDULE, PULL, START, READY, TERMINATE = 1.0, 2.0, 3.0, 4.0, 5.0
STARTUP = SCHEDULE + PULL + START + READY  # create -> Ready
CYCLE = TERMINATE + STARTUP  # delete -> Ready on the same node
CONSTANT = dict(schedule=SCHEDULE, pull=PULL, start=START, ready=READY, terminate=TERMINATE)


def ideal(**options) -> Scenario:
    return build_scenario(**{"controller": "ideal", "probe_period": 0, **CONSTANT, **options})


def approx(x: float):
    return pytest.approx(x, rel=1e-9, abs=1e-9)


def first_deletions(result) -> np.ndarray:
    return np.sort(result.nodes["old_deleted_at_s"].to_numpy(dtype=float))


# -- shapes ----------------------------------------------------------------------------------


def test_result_shapes() -> None:
    result = simulate(ideal(nodes=6, max_unavailable=2))
    assert list(result.timeline.columns) == list(TIMELINE_COLUMNS)
    assert list(result.nodes.columns) == list(NODE_COLUMNS)
    assert set(SUMMARY_KEYS) <= set(result.summary)
    assert {"end_s", "events", "syncs", "sync_errors", "api_writes"} <= set(result.summary)
    tl = result.timeline
    assert tl["time_s"].iloc[0] == 0.0
    assert (np.diff(tl["time_s"].to_numpy()) > 0).all()  # one row per instant
    assert (tl["available"] + tl["unavailable"] == tl["desired"]).all()
    # Consecutive rows differ: a row is written only when a level changes.
    levels = tl.drop(columns="time_s").to_numpy()
    assert (np.abs(np.diff(levels, axis=0)).sum(axis=1) > 0).all()
    # The last status write is the one `kubectl rollout status` reports success on.
    last = result.status.iloc[-1]
    assert last["time_s"] == result.summary["duration_s"]
    assert last["updated"] == last["available"] == last["desired"] == 6
    assert result.summary["end_s"] == result.summary["duration_s"]


# -- closed forms without surge ------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "max_unavailable", "k"),
    [(20, 5, 5), (10, 3, 3), (7, 1, 1), (1, 1, 1), (100, "10%", 10), (288, "5%", 15),
     (10, "25%", 3), (5, 8, 5), (12, "100%", 12)],
)
def test_no_surge_closed_form(n, max_unavailable, k) -> None:
    assert min(scaled_value(max_unavailable, n), n) == k  # percentages round up (5% of 288 is 15)
    s = simulate(ideal(nodes=n, max_unavailable=max_unavailable)).summary
    assert s["completed"] is True
    assert s["nodes"] == n and s["updated"] == n
    assert s["duration_s"] == approx(math.ceil(n / k) * CYCLE)
    assert s["min_available"] == n - k
    assert s["min_available_fraction"] == approx((n - k) / n)
    assert s["max_unavailable_observed"] == k
    assert s["max_surge_observed"] == 0
    assert s["unavailable_node_seconds"] == approx(n * CYCLE)  # each node down for one cycle
    assert s["node_downtime_p50_s"] == approx(CYCLE)
    assert s["node_downtime_p95_s"] == approx(CYCLE)
    assert s["node_downtime_max_s"] == approx(CYCLE)
    assert s["sync_errors"] == 0


def test_no_surge_waves() -> None:
    result = simulate(ideal(nodes=10, max_unavailable=3))
    deleted = first_deletions(result)
    assert deleted.tolist() == [0.0] * 3 + [CYCLE] * 3 + [2 * CYCLE] * 3 + [3 * CYCLE]
    nf = result.nodes
    # In ideal mode the replacement is created the instant the old pod is gone.
    assert (nf["new_created_at_s"] - nf["old_deleted_at_s"]).to_numpy() == approx(TERMINATE)
    assert nf["downtime_s"].to_numpy() == approx(CYCLE)


def test_node_rows_ready_and_available_times() -> None:
    nf = simulate(ideal(nodes=10, max_unavailable=3)).nodes
    assert (nf["new_ready_at_s"] - nf["new_created_at_s"]).to_numpy() == approx(STARTUP)
    assert (nf["new_available_at_s"] == nf["new_ready_at_s"]).all()
    assert (nf["new_available_at_s"] - nf["old_deleted_at_s"]).to_numpy() == approx(nf["downtime_s"].to_numpy())


def test_timeline_updated_counts_only_new_pods() -> None:
    tl = simulate(ideal(nodes=6, max_unavailable=2)).timeline
    # Nothing runs the new template at t=0 (the first row already holds the first deletions).
    assert tl["updated"].iloc[0] == 0
    assert (np.diff(tl["updated"].to_numpy()) >= 0).all()  # a node, once updated, stays so
    steps = tl["updated"].to_numpy()
    assert steps[np.r_[True, np.diff(steps) != 0]].tolist() == [0, 2, 4, 6]  # two nodes a wave


def test_termination_is_capped_at_the_grace_period() -> None:
    capped = CYCLE - TERMINATE + 30.0
    s = simulate(ideal(nodes=10, max_unavailable=3, terminate=50, termination_grace_period_seconds=30)).summary
    assert s["duration_s"] == approx(4 * capped)
    assert s["node_downtime_max_s"] == approx(capped)
    # A shutdown shorter than the grace period is not stretched to it.
    s = simulate(ideal(nodes=10, max_unavailable=3, terminate=20, termination_grace_period_seconds=30)).summary
    assert s["duration_s"] == approx(4 * (CYCLE - TERMINATE + 20.0))


@pytest.mark.parametrize("m", [1.0, 2.0, 5.0, 60.0])
def test_min_ready_seconds_adds_m_plus_one_per_cycle(m) -> None:
    # Up to v1.33 (pinned: the strict IsPodAvailable) a new pod Ready at R is available only
    # after R + M. The controller re-checks at R + M (status requeue: not yet available at
    # exactly R + M) and at R + M + 1 (the Ready transition's requeue), which is when the next
    # wave starts. From v1.34 it is R + M: tests/test_versions.py.
    n, k = 10, 3
    s = simulate(ideal(nodes=n, max_unavailable=k, min_ready_seconds=m, kubernetes_version="1.33")).summary
    assert s["completed"]
    assert s["duration_s"] == approx(math.ceil(n / k) * (CYCLE + m + 1))
    assert s["max_unavailable_observed"] == k
    # Each node is down from its deletion until R + M (when the pod really is available).
    assert s["node_downtime_max_s"] == approx(CYCLE + m)
    assert s["unavailable_node_seconds"] == approx(n * (CYCLE + m))


@pytest.mark.parametrize("m", [0.25, 0.5, 2.5])
def test_min_ready_seconds_are_whole(m) -> None:
    """``spec.minReadySeconds`` is an int32: a fraction of a second cannot be asked of the API
    server, so rollsim does not simulate one either.
    """
    with pytest.raises(OptionError, match="whole number of seconds"):
        ideal(nodes=10, max_unavailable=3, min_ready_seconds=m)


def test_min_ready_seconds_realistic_spends_budget_before_the_extra_second() -> None:
    # With real (non-zero) sync latency the status re-check lands just after R + M, so the
    # wave starts after M + (a few watch delays), well before R + M + 1.
    n, m = 20, 5.0
    s = simulate(build_scenario(nodes=n, max_unavailable=1, min_ready_seconds=m, probe_period=0,
                                **CONSTANT), seed=0).summary
    assert s["completed"]
    assert n * (CYCLE + m) <= s["duration_s"] < n * (CYCLE + m + 1)


@pytest.mark.parametrize(
    ("ready", "period", "initial", "ready_after_start"),
    # ticks every 10 s from the container start; initialDelaySeconds skips ticks, never moves them
    # (a delay of 2 or 5 s made these pods Ready at 2, 12 or 5 s, sooner than with no delay)
    [(4, 10, 0, 10), (10, 10, 0, 10), (11, 10, 0, 20), (4, 10, 2, 10), (1, 10, 2, 10), (4, 10, 5, 10),
     (4, 10, 11, 20)],
)
def test_probe_period_rounds_ready_up_to_a_tick(ready, period, initial, ready_after_start) -> None:
    cycle = TERMINATE + SCHEDULE + PULL + START + ready_after_start
    s = simulate(ideal(nodes=10, max_unavailable=3, ready=ready, probe_period=period,
                       probe_initial_delay=initial)).summary
    assert s["duration_s"] == approx(4 * cycle)
    assert s["node_downtime_max_s"] == approx(cycle)


# -- surge -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "max_surge", "k"), [(10, 3, 3), (20, "10%", 2), (2, 3, 2), (9, 1, 1), (30, "100%", 30)])
def test_surge_keeps_every_node_available(n, max_surge, k) -> None:
    result = simulate(ideal(nodes=n, max_surge=max_surge, max_unavailable=0))
    s = result.summary
    assert s["completed"] and s["updated"] == n
    assert s["min_available"] == n
    assert s["max_unavailable_observed"] == 0
    assert s["unavailable_node_seconds"] == 0.0
    assert s["node_downtime_max_s"] == 0.0
    assert s["max_surge_observed"] == min(k, n)
    # The new pod starts before the old one is deleted: termination is off the critical path
    # of every wave but the last, whose old pods must be gone before the status counts them.
    assert s["duration_s"] == approx(math.ceil(n / k) * STARTUP + TERMINATE)
    nf = result.nodes
    assert (nf["new_created_at_s"] <= nf["old_deleted_at_s"]).all()


@pytest.mark.parametrize(("n", "k", "min_ready", "version"),
                         [(10, 3, 10, "1.33"), (10, 3, 10, "1.36"), (20, 4, 5, "1.37"), (9, 1, 7, "1.34")])
def test_surge_closed_form_with_min_ready_seconds(n, k, min_ready, version) -> None:
    """An old pod goes once its node's new one is available, which the controller learns at
    ``updatePod``'s re-check, ``AddAfter(minReadySeconds + 1 s)`` after Ready: a second more per
    wave on every version (audit 23; without surge the next wave waits for no such re-check from v1.34).
    """
    s = simulate(ideal(nodes=n, max_surge=k, max_unavailable=0, min_ready_seconds=min_ready,
                       kubernetes_version=version)).summary
    assert s["completed"] and s["min_available"] == n
    assert s["duration_s"] == approx(math.ceil(n / k) * (STARTUP + min_ready + 1) + TERMINATE)


def test_surge_given_alone_implies_no_unavailability() -> None:
    s = simulate(ideal(nodes=8, max_surge=2)).summary
    assert s["min_available"] == 8 and s["max_surge_observed"] == 2


# -- OnDelete ------------------------------------------------------------------------------


def test_on_delete_without_deleter_never_progresses() -> None:
    result = simulate(ideal(nodes=6, strategy="OnDelete"))
    s = result.summary
    assert s["completed"] is False
    assert s["duration_s"] is None
    assert s["min_available"] == 6 and s["max_unavailable_observed"] == 0
    nf = result.nodes
    assert nf["old_deleted_at_s"].isna().all()
    assert nf["new_created_at_s"].isna().all()
    assert (nf["downtime_s"] == 0).all()


def test_on_delete_without_deleter_updates_nothing() -> None:
    result = simulate(ideal(nodes=6, strategy="OnDelete"))
    assert result.summary["updated"] == 0
    assert (result.timeline["updated"] == 0).all()
    assert result.nodes["new_ready_at_s"].isna().all()


@pytest.mark.parametrize("deleter", ["batch:2", "batch:4:30", "batch:1"])
def test_on_delete_batch_completes(deleter) -> None:
    result = simulate(ideal(nodes=9, strategy="OnDelete", deleter=deleter))
    s = result.summary
    assert s["completed"] and s["updated"] == 9 and s["nodes"] == 9
    nf = result.nodes
    assert nf["old_deleted_at_s"].notna().all()
    assert nf["new_created_at_s"].notna().all()
    assert (nf["new_created_at_s"] - nf["old_deleted_at_s"]).to_numpy() == approx(TERMINATE)


@pytest.mark.parametrize(("k", "pause"), [(2, 0.0), (4, 30.0), (1, 0.0)])
def test_on_delete_batch_waits_for_each_batch(k, pause) -> None:
    n = 9
    deleter = f"batch:{k}" + (f":{pause:g}" if pause else "")
    result = simulate(ideal(nodes=n, strategy="OnDelete", deleter=deleter))
    s = result.summary
    assert s["max_unavailable_observed"] <= k
    assert s["min_available"] == n - k
    batches = math.ceil(n / k)
    assert s["duration_s"] == approx(batches * CYCLE + (batches - 1) * pause)
    assert np.unique(first_deletions(result)).size == batches


@pytest.mark.parametrize("interval", [3.0, 20.0])
def test_on_delete_rate(interval) -> None:
    n = 8
    result = simulate(ideal(nodes=n, strategy="OnDelete", deleter=f"rate:{interval:g}"))
    s = result.summary
    assert s["completed"] and s["updated"] == n
    deleted = first_deletions(result)
    assert deleted == approx(np.arange(n) * interval)
    created = np.sort(result.nodes["new_created_at_s"].to_numpy(dtype=float))
    assert np.diff(created) == approx(np.full(n - 1, interval))
    assert s["duration_s"] == approx((n - 1) * interval + CYCLE)
    assert s["max_unavailable_observed"] == math.ceil(CYCLE / interval)


# -- realistic mode ------------------------------------------------------------------------


def test_realistic_defaults_complete_200_nodes() -> None:
    s = simulate(build_scenario(nodes=200), seed=1).summary
    assert s["completed"] and s["updated"] == 200 and s["nodes"] == 200
    assert s["max_unavailable_observed"] == 1
    assert s["min_available"] == 199
    assert s["api_writes"] >= 2 * 200  # a delete and a create per node, plus status writes
    assert s["sync_errors"] == 0


def test_realistic_is_no_faster_than_the_ideal_closed_form() -> None:
    n = 200
    realistic = simulate(build_scenario(nodes=n, probe_period=0, **CONSTANT), seed=3).summary
    bound = n * CYCLE
    assert simulate(ideal(nodes=n)).summary["duration_s"] == approx(bound)
    assert realistic["completed"]
    assert realistic["duration_s"] >= bound
    # Watch delays and API latencies are tens of milliseconds: a small overhead per cycle.
    assert realistic["duration_s"] < 1.1 * bound
    assert realistic["api_writes"] > 0


def test_surge_rollout_with_fast_binding_completes() -> None:
    # Pods bound within tens of milliseconds, right after the template change: the informer
    # holds the MODIFIED (bound) event back to the ADDED event's delivery time. These seeds
    # stall with one node never updated (found by test_invariants).
    scenario = build_scenario(
        nodes=5, max_surge=5, max_unavailable=0, controller="realistic",
        schedule="lognormal(median=0.026, p95=0.053)", pull=0, start=1, ready=0, terminate=0,
        termination_grace_period_seconds=0, probe_period=0,
    )
    summaries = [simulate(scenario, seed).summary for seed in (71, 719, 1075, 1077, 38920)]
    assert [s["completed"] for s in summaries] == [True] * 5
    assert [s["updated"] for s in summaries] == [5] * 5


# -- reproducibility ------------------------------------------------------------------------


def assert_same(a, b) -> None:
    assert_frame_equal(a.timeline, b.timeline)
    assert_frame_equal(a.nodes, b.nodes)
    assert_frame_equal(a.status, b.status)
    assert a.summary == b.summary


def test_same_seed_same_result() -> None:
    scenario = build_scenario(nodes=60, max_unavailable="10%")
    assert_same(simulate(scenario, seed=11), simulate(scenario, seed=11))


def test_different_seeds_differ() -> None:
    scenario = build_scenario(nodes=60, max_unavailable="10%")
    a, b = simulate(scenario, seed=11), simulate(scenario, seed=12)
    assert not a.timeline.equals(b.timeline)
    assert a.summary["duration_s"] != b.summary["duration_s"]
    assert not a.nodes["downtime_s"].equals(b.nodes["downtime_s"])


def test_result_does_not_depend_on_earlier_runs() -> None:
    scenario = build_scenario(nodes=30, max_surge=2)
    first = simulate(scenario, seed=5)
    simulate(build_scenario(nodes=40), seed=6)
    assert_same(first, simulate(scenario, seed=5))


# -- the fast path decides as the reference --------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        dict(nodes=30, max_unavailable=3, controller="ideal"),
        dict(nodes=30, max_unavailable="10%", controller="realistic"),
        dict(nodes=30, max_surge="10%", controller="ideal"),
        dict(nodes=30, max_surge=3, min_ready_seconds=4, controller="realistic"),
        dict(nodes=30, max_unavailable=2, min_ready_seconds=5, controller="realistic"),
        dict(nodes=30, max_unavailable=2, min_ready_seconds=1, controller="ideal", probe_period=0, **CONSTANT),
        dict(nodes=30, strategy="OnDelete", deleter="batch:4", controller="realistic"),
        dict(nodes=30, strategy="OnDelete", deleter="rate:2", controller="ideal"),
        # nodes under disk pressure: failed pods, thousands of them with surge (kept apart in the cache)
        dict(nodes=30, max_surge=3, max_unavailable=0, disk_pressure_nodes="3@20", disk_pressure_for=300),
        dict(nodes=30, max_unavailable=2, disk_pressure_nodes="2@0+60", disk_pressure_for=120, controller="ideal"),
        # and PodGC deleting those beyond its threshold while the controller deletes them too
        dict(nodes=30, max_surge=3, max_unavailable=0, disk_pressure_nodes="3@20", disk_pressure_for=300,
             terminated_pod_gc_threshold=40),
    ],
    ids=["ideal", "realistic", "surge-ideal", "surge-minready-realistic", "minready-realistic",
         "minready-ideal-constant", "ondelete-batch", "ondelete-rate", "disk-pressure-surge", "disk-pressure-ideal",
         "disk-pressure-podgc"],
)
@pytest.mark.parametrize("seed", [0, 7])
def test_fast_path_equals_reference(options, seed) -> None:
    scenario = build_scenario(**options)
    assert_same(simulate(scenario, seed), simulate(scenario, seed, reference=True))


# -- node eligibility ---------------------------------------------------------------------


def mixed_cluster(tolerations=()) -> Scenario:
    nodes = uniform_nodes(5) + tuple(control_plane_node(f"cp-{i}") for i in range(3))
    return Scenario(
        nodes=nodes,
        daemonset=DaemonSetSpec(
            placement=PodPlacement(tolerations=tolerations),
            readiness_probe=ReadinessProbe(period_seconds=0.0),
        ),
        timings=Timings(**CONSTANT),
        controller=ControllerSettings(mode="ideal"),
    )


@pytest.mark.parametrize("reference", [False, True])
def test_ineligible_nodes_never_get_a_pod(reference) -> None:
    result = simulate(mixed_cluster(), reference=reference)
    s = result.summary
    assert s["nodes"] == 5 and s["updated"] == 5 and s["completed"]
    assert s["duration_s"] == approx(5 * CYCLE)  # maxUnavailable 1 of the 5 workers
    assert (result.timeline["desired"] == 5).all()
    cp = result.nodes[result.nodes["node"].str.startswith("cp-")]
    assert len(cp) == 3
    assert not cp["desired"].any()
    for column in ("old_deleted_at_s", "new_created_at_s", "new_ready_at_s", "new_available_at_s"):
        assert cp[column].isna().all(), column
    assert (cp["downtime_s"] == 0).all()
    workers = result.nodes[~result.nodes["node"].str.startswith("cp-")]
    assert workers["desired"].all() and workers["new_created_at_s"].notna().all()


def test_tolerated_control_plane_nodes_do_get_pods() -> None:
    tolerate = (Toleration(CONTROL_PLANE_LABEL, "Exists", effect=NO_SCHEDULE),)
    result = simulate(mixed_cluster(tolerate))
    assert result.summary["nodes"] == 8 and result.summary["updated"] == 8
    assert result.nodes["desired"].all()
    assert result.nodes["new_created_at_s"].notna().all()


def test_horizon_stops_an_unfinished_rollout() -> None:
    scenario = dataclasses.replace(mixed_cluster(), horizon_s=10.0)
    s = simulate(scenario).summary
    assert s["completed"] is False and s["duration_s"] is None and s["end_s"] == 10.0


def test_lifecycle_timestamps_follow_the_phases_exactly() -> None:
    """Ideal mode, constant phases: each node's new pod is created when its old pod is gone,
    then scheduled, pulled, started and Ready after exactly the phase durations."""
    result = simulate(build_scenario(nodes=4, max_unavailable=2, controller="ideal", schedule=1, pull=2,
                                     start=3, ready=4, terminate=5, probe_period=0))
    n = result.nodes
    assert (n["new_created_at_s"] - n["old_deleted_at_s"] == 5).all()
    assert (n["new_scheduled_at_s"] - n["new_created_at_s"] == 1).all()
    assert (n["new_pulled_at_s"] - n["new_scheduled_at_s"] == 2).all()
    assert (n["new_started_at_s"] - n["new_pulled_at_s"] == 3).all()
    assert (n["new_ready_at_s"] - n["new_started_at_s"] == 4).all()


def test_the_largest_min_ready_seconds_kubernetes_accepts_keeps_old_pods_available() -> None:
    """minReadySeconds up to 2147483647 (int32) is valid; the old pods were available long before
    (they were seeded Ready at -1e6 s, so 20 nodes looked unavailable at once with 1e6 or more)."""
    r = simulate(build_scenario(nodes=20, min_ready_seconds=2147483647, horizon=600), seed=0)
    assert r.timeline["unavailable"].iloc[0] == 0
    assert r.summary["max_unavailable_observed"] == 1


def test_the_collector_is_left_as_found_and_a_runs_world_is_freed_when_it_returns() -> None:
    """A run freezes nothing and leaves the collector on; the world it built (cyclic: components
    that refer to each other) is freed before ``simulate`` returns, so that run after run holds no
    more memory (it held every world: 3.4 MB more a 2,000-node run, audit 13's worker of a 240-run
    sweep at 675 MB); nor is what it made left in the young generations, where the first
    collection after it would walk every object. In a fresh interpreter: in the suite, another
    test's leftover thread may be inside a run of its own.
    """
    import subprocess
    import sys

    code = (
        "import gc, weakref\n"
        "import rollsim.simulation as S\n"
        "from rollsim import build_scenario, simulate\n"
        "worlds = []\n"
        "build = S.build_world\n"
        "S.build_world = lambda *a: worlds.append(weakref.ref(w := build(*a))) or w\n"
        "assert gc.isenabled() and gc.get_freeze_count() == 0\n"
        "gc.collect()\n"
        "scenario = build_scenario(nodes=2000, max_unavailable='10%')\n"
        "counts = []\n"
        "for seed in range(4):\n"
        "    result = simulate(scenario, seed=seed)\n"
        "    assert result.summary['completed'] and worlds[-1]() is None\n"
        "    counts.append(len(gc.get_objects()))\n"
        "assert gc.isenabled() and gc.get_freeze_count() == 0\n"
        "assert counts[3] - counts[1] < 100, counts\n"
        # what the young generations hold is the result and what the first run imported (about
        # 4,600 objects after one 2,000-node run and 3,000 after one of 20,000), not the worlds
        "young = len(gc.get_objects(generation=0)) + len(gc.get_objects(generation=1))\n"
        "assert young < 10000, young\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_a_shut_down_controller_holds_no_pod() -> None:
    """At the end of a run the controller drops its informer cache and node index (the frames
    reuse that memory): no pod and no node class is left in it.
    """
    h = ControllerHarness(nodes=5)
    assert h.sync() == (5, 0)
    c = h.controller
    assert len(c.pods) == 5 and c.aggregate().totals["desired"] == 5
    c.shut_down()
    assert not c.pods and not c.pods_by_node
    assert c.index.aggregate.totals["desired"] == 0 and not any(c.index.aggregate.sets.values())
