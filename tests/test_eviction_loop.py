"""The kubelet's eviction manager in realistic mode (``rollsim.cluster.eviction.EvictionLoop``): its
``Start`` loop synchronizes every 10 s (``monitoringInterval``), 1 s after an eviction
(``waitForPodsCleanup``), evicts at most one pod per ``synchronize``, the lowest priority first
(``rankDiskPressureFunc``), and clears the condition at the first ``synchronize`` a transition
period after the last one that observed the pressure (``nodeConditionsObservedSince``)."""

from __future__ import annotations

import numpy as np
import pytest
import simpy
from rollsim import build_scenario, simulate
from rollsim.cluster.apiserver import ApiServer
from rollsim.cluster.eviction import EvictionLoop, next_sync
from rollsim.cluster.nodestore import NodeStore
from rollsim.controller.pods import FAILED
from rollsim.spec.node import uniform_nodes

PRIORITY = {"a": 0, "b": 0, "c": 1000, "critical": 2000001000}


def _loop(pressure_for: float | None = 100.0, transition: float = 300.0, phase: float | None = None):
    env = simpy.Environment()
    api = ApiServer(env, NodeStore(uniform_nodes(2)))
    pods = {}
    for owner in PRIORITY:
        api.add_daemonset(owner)
        pods[owner] = api.seed_pod(owner, 0, 0, 0.0)
    loop = EvictionLoop(env, api, PRIORITY.get, transition, pressure_for, np.random.default_rng(0))
    if phase is not None:
        loop.last_sync[0] = phase
    return env, loop, pods


STEP = 0.25  # the loop acts at whole seconds here: one look a quarter-second after each


def _watch(env, loop, pods, until: float):
    """When each pod failed, and the instants the node had the DiskPressure condition (each look taken
    ``STEP`` after the instant it stands for, once that instant's events have run).
    """
    failed: dict[str, float] = {}
    pressured: list[float] = []
    t = env.now
    while t < until:
        env.run(until=t + STEP)
        failed.update({o: t for o, p in pods.items() if p.phase == FAILED and o not in failed})
        if 0 in loop.pressured:
            pressured.append(t)
        t += STEP
    return failed, pressured


@pytest.mark.parametrize(
    ("last", "now", "expected"),
    [(3.0, 3.0, 3.0), (3.0, 3.1, 13.0), (3.0, 13.0, 13.0), (3.0, 25.0, 33.0), (3.0, 1.0, 3.0)],
)
def test_the_next_synchronize_is_on_the_loops_ten_second_grid(last, now, expected) -> None:
    assert next_sync(last, now) == pytest.approx(expected)


def test_one_eviction_per_synchronize_lowest_priority_first_never_a_critical_pod() -> None:
    """Phase 4 s, pressure from 20 s: synchronize at 24 s (condition, evicts a or b), 25 s (the other),
    26 s (c), 27 s (nothing left: the critical pod stays), then every 10 s."""
    env, loop, pods = _loop(pressure_for=None, phase=4.0)
    env.run(until=20)
    loop.pressure_began(0)
    assert not loop.would_reject(0, "a")  # no synchronize has seen the pressure yet: Admit still admits
    failed, pressured = _watch(env, loop, pods, until=200)
    assert sorted([failed["a"], failed["b"]]) == [24.0, 25.0] and failed["c"] == 26.0
    assert "critical" not in failed and pods["critical"].phase != FAILED
    assert pressured[0] == 24.0 and loop.evicted == {"a": 1, "b": 1, "c": 1}
    assert loop.last_sync[0] == pytest.approx(197.0)  # 27 s, then 10 s apart


def test_the_condition_clears_a_transition_period_after_the_last_synchronize_that_saw_the_pressure() -> None:
    """Phase 0, pressure 0–100 s: synchronizes at 0, 1, 2, 3 (evictions), 13, ..., 93 (the last to see it);
    the condition holds until 393 s (93 + 300), not 400."""
    env, loop, pods = _loop(pressure_for=100.0, phase=0.0)
    loop.pressure_began(0)
    failed, pressured = _watch(env, loop, pods, until=500)
    assert (min(pressured), max(pressured) + STEP) == (0.0, 393.0) and loop.observed_at[0] == 93.0
    assert loop.would_reject(0, "a") is False and 0 not in loop.looping  # the loop stops: nothing left to see


def test_pressure_gone_before_a_synchronize_sees_it_sets_no_condition_and_evicts_nothing() -> None:
    env, loop, pods = _loop(pressure_for=5.0, phase=9.0)
    loop.pressure_began(0)
    failed, pressured = _watch(env, loop, pods, until=100)
    assert failed == {} and pressured == [] and loop.evicted == {}


def test_realistic_mode_runs_the_loop_and_the_same_seed_gives_the_same_run() -> None:
    """Two DaemonSets on every node, three nodes under pressure for the whole run: the loop's phases and
    ties (stream eviction_manager) give the same run for the same seed, and the study's three pods there
    are evicted (the loop's timing itself: the tests above)."""
    options = dict(nodes=60, max_unavailable="10%", disk_pressure_nodes="3@60",
                   also=[{"name": "node-exporter", "max_unavailable": "10%"}])
    one = simulate(build_scenario(**options), seed=3)
    again = simulate(build_scenario(**options), seed=3)
    assert one.summary == again.summary and one.nodes.equals(again.nodes)
    assert one.summary["disk_pressure_evictions"] == 3 and one.summary["stop_cause"] == "disk-pressure"
