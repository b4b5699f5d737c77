"""The node lifecycle controller's timing: grace period, Ready=Unknown against Ready=False, taints."""

from __future__ import annotations

import numpy as np
import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st
from rollsim import build_scenario, simulate
from rollsim.cluster.apiserver import ApiServer
from rollsim.cluster.lifecycle import FALSE, UNKNOWN, NodeLifecycle
from rollsim.cluster.nodestore import NodeStore
from rollsim.spec.lifecycle import (
    FULL_DISRUPTION,
    NORMAL,
    PARTIAL_DISRUPTION,
    NodeLifecycleTiming,
    failed_node,
    grace_period_for,
    unknown_at,
    zone_eviction_rate,
    zone_key,
    zone_state,
)
from rollsim.spec.node import NO_EXECUTE, NO_SCHEDULE, Node, kubelet_alive, uniform_nodes, unreachable_node
from rollsim.spec.scenario import ControllerSettings
from rollsim.spec.versions import SUPPORTED_VERSIONS, rules_for

CONSTANT = dict(schedule=1, pull=2, start=3, ready=4, terminate=5, probe_period=0)
TIMING = NodeLifecycleTiming()


# -- defaults and the version rule ----------------------------------------------------------------

def test_grace_period_default_changed_in_1_32() -> None:
    """kubernetes/kubernetes#126287 (CHANGELOG-1.32): 40 s before v1.32, 50 s since."""
    assert grace_period_for(31) == 40.0 and grace_period_for(32) == 50.0
    assert all(rules_for(v).node_monitor_grace_period == 50.0 for v in SUPPORTED_VERSIONS)


def test_controller_settings_take_the_versions_grace_period_unless_given() -> None:
    assert ControllerSettings().node_lifecycle == NodeLifecycleTiming(grace_period=50.0)
    assert ControllerSettings(node_monitor_grace_period=40).node_lifecycle.grace_period == 40.0  # type: ignore[union-attr]
    assert ControllerSettings(mode="ideal").node_lifecycle is None
    with pytest.raises(ValueError):
        ControllerSettings(node_monitor_period=0)


def test_the_settings_are_flags_and_experiment_keys() -> None:
    s = build_scenario(nodes=3, node_monitor_grace_period=40, node_monitor_period=2, node_eviction_rate=0.5)
    assert s.controller.node_lifecycle == NodeLifecycleTiming(grace_period=40, monitor_period=2, eviction_rate=0.5)


@pytest.mark.parametrize(("value", "seconds"), [("50s", 50.0), ("1m30s", 90.0), ("40", 40.0), (40, 40.0),
                                                ("10.5s", 10.5), ("2h", 7200.0), ("+45s", 45.0)])
def test_the_grace_period_is_a_duration_as_kube_controller_manager_takes_it(tmp_path, value, seconds) -> None:
    """``--node-monitor-grace-period 50s`` was refused ("must be a number"), though kube-controller-manager's
    flag takes a Go duration and rollsim's ``--window`` reads one: the flag and the experiment key read it as
    ``--window`` does, a bare number being seconds."""
    from rollsim.cli.inputs import scenario_from
    from rollsim.cli.parser import build_parser
    from rollsim.sweep.experiment_file import load_experiment

    assert build_scenario(nodes=3, node_monitor_grace_period=value).controller.node_lifecycle.grace_period == seconds
    args = build_parser().parse_args(["simulate", "--nodes", "3", "--node-monitor-grace-period", str(value)])
    assert scenario_from(args).controller.node_lifecycle.grace_period == seconds
    path = tmp_path / "grace.yaml"
    path.write_text("name: g\nscenario:\n  cluster: {nodes: 3}\n"
                    f"  controller: {{node_monitor_grace_period: {value}}}\n", encoding="utf-8")
    [config] = load_experiment(path).configurations
    assert config.scenario.controller.node_lifecycle.grace_period == seconds


# -- the pure timing rules -------------------------------------------------------------------------

@settings(max_examples=200, derandomize=True)
@given(st.floats(0, 1000), st.floats(0, 9.999), st.floats(0, 4.999))
def test_unknown_comes_between_grace_minus_a_heartbeat_and_grace_plus_a_pass(t, since, phase) -> None:
    """The controller's probe is the pass that saw the last renewal (up to a period after it), and
    the renewal was up to a heartbeat interval before the kubelet stopped."""
    at = unknown_at(t, since, phase, TIMING)
    assert TIMING.grace_period - TIMING.heartbeat_interval - 1e-6 <= at - t <= TIMING.grace_period + 5 + 1e-6
    assert abs((at - phase) / 5 - round((at - phase) / 5)) < 1e-6  # on a monitor pass


def test_unknown_at_worked_example() -> None:
    # renewal at 57, passes at 0.5 + 5k: probe 60.5, Unknown at the pass at 110.5
    assert unknown_at(60.0, 3.0, 0.5, TIMING) == pytest.approx(110.5)


def test_zone_states_as_compute_zone_state() -> None:
    assert zone_state(0, 3, TIMING) == FULL_DISRUPTION
    assert zone_state(10, 2, TIMING) == NORMAL  # fewer than 3 not Ready
    assert zone_state(2, 3, TIMING) == PARTIAL_DISRUPTION  # 60% >= 55%
    assert zone_state(3, 3, TIMING) == NORMAL  # 50%
    # upstream compares notReady / (notReady + ready) >= unhealthyZoneThreshold: exactly 55% is partial
    at_55 = NodeLifecycleTiming(unhealthy_zone_threshold=0.55)  # upstream's default
    assert zone_state(9, 11, at_55) == PARTIAL_DISRUPTION  # 11 / 20 = 0.55
    assert zone_state(10, 11, at_55) == NORMAL  # 52%


def test_zone_eviction_rates() -> None:
    assert zone_eviction_rate(NORMAL, 10, False, TIMING) == 0.1
    assert zone_eviction_rate(PARTIAL_DISRUPTION, 51, False, TIMING) == 0.01
    assert zone_eviction_rate(PARTIAL_DISRUPTION, 50, False, TIMING) == 0.0  # ReducedQPSFunc
    assert zone_eviction_rate(FULL_DISRUPTION, 10, False, TIMING) == 0.1
    assert zone_eviction_rate(FULL_DISRUPTION, 10, True, TIMING) == 0.0  # master disruption mode


def test_zone_key_and_failed_node() -> None:
    assert zone_key({}) == ""
    assert zone_key({"topology.kubernetes.io/zone": "a", "topology.kubernetes.io/region": "r"}) == "r:\x00:a"
    node = Node("n")
    half = failed_node(node, UNKNOWN, no_execute=False)
    assert not half.ready and [(t.key, t.effect) for t in half.taints] == [("node.kubernetes.io/unreachable",
                                                                            NO_SCHEDULE)]
    assert not kubelet_alive(half)
    assert failed_node(half, UNKNOWN) == unreachable_node(node)
    assert kubelet_alive(failed_node(node, FALSE))


# -- the SimPy process against an API server ------------------------------------------------------

def _world(n: int, seed: int = 0, timing: NodeLifecycleTiming | None = TIMING):
    env = simpy.Environment()
    api = ApiServer(env, NodeStore(uniform_nodes(n)))
    api.add_daemonset("ds")
    pods = [api.seed_pod("ds", i, 0, -100.0) for i in range(n)]
    return env, api, pods, NodeLifecycle(env, api, timing, np.random.default_rng(seed))


def _taints(api: ApiServer, node: int) -> set[tuple[str, str]]:
    return {(t.key.split("/")[-1], t.effect) for t in api.nodes.nodes[node].taints}


@pytest.mark.parametrize("seed", range(5))
def test_an_unreachable_node_stays_ready_for_the_grace_period(seed) -> None:
    env, api, pods, lifecycle = _world(3, seed)
    env.run(until=60)
    lifecycle.node_failed(1, UNKNOWN)
    assert not api.nodes.alive[1] and not api.nodes.ready[1]  # the kubelet is gone at once...
    env.run(until=99.9)
    assert api.nodes.nodes[1].ready and not api.nodes.nodes[1].taints and pods[1].ready  # ...the API shows nothing
    env.run(until=116)
    detected = lifecycle.detected_at[1]
    assert 100 <= detected <= 115
    assert not api.nodes.nodes[1].ready and not pods[1].ready  # MarkPodsNotReady in the same pass
    assert _taints(api, 1) == {("unreachable", NO_SCHEDULE), ("unreachable", NO_EXECUTE)}
    assert pods[0].ready and api.nodes.nodes[0].ready


def test_a_kubelet_reporting_not_ready_posts_it_and_its_pods_keep_their_readiness() -> None:
    env, api, pods, lifecycle = _world(3)
    env.run(until=60)
    lifecycle.node_failed(2, FALSE)
    assert api.nodes.alive[2] and not api.nodes.ready[2]  # still kills pods, starts none
    env.run(until=70.001)
    assert 60 <= lifecycle.detected_at[2] <= 70
    assert not api.nodes.nodes[2].ready and ("not-ready", NO_SCHEDULE) in _taints(api, 2)
    assert pods[2].ready  # the lifecycle controller does not mark them (observed Ready was not True)
    env.run(until=80)
    assert _taints(api, 2) == {("not-ready", NO_SCHEDULE), ("not-ready", NO_EXECUTE)}


def test_no_execute_taints_come_at_the_eviction_rate() -> None:
    """Three nodes of a 100-node zone go unreachable together: the NoExecute taints follow one
    per 10 s (0.1/s, burst 1); the NoSchedule taints come at once."""
    env, api, _pods, lifecycle = _world(100, timing=NodeLifecycleTiming(grace_period=1))
    times: dict[int, float] = {}
    api.nodes.watch(lambda kind, node: times.setdefault(node, env.now)
                    if ("unreachable", NO_EXECUTE) in _taints(api, node) else None)
    env.run(until=10)
    for node in (3, 4, 5):
        lifecycle.node_failed(node, UNKNOWN)
    env.run(until=100)
    firsts = sorted(times.values())
    assert len(firsts) == 3
    assert firsts[1] - firsts[0] == pytest.approx(10) and firsts[2] - firsts[1] == pytest.approx(10)
    assert max(lifecycle.detected_at.values()) <= 20  # each a pass after its own heartbeat's, NoSchedule at once


def test_a_fully_disrupted_cluster_gets_no_no_execute_taint() -> None:
    env, api, _pods, lifecycle = _world(3, timing=NodeLifecycleTiming(grace_period=1))
    for node in range(3):
        lifecycle.node_failed(node, UNKNOWN)
    env.run(until=200)
    assert all(_taints(api, n) == {("unreachable", NO_SCHEDULE)} for n in range(3))


def test_ideal_mode_shows_a_failure_at_once() -> None:
    env, api, pods, lifecycle = _world(2, timing=None)
    env.run(until=5)
    lifecycle.node_failed(0, UNKNOWN)
    assert lifecycle.detected_at[0] == 5 and not pods[0].ready and api.nodes.nodes[0] == unreachable_node(Node(
        api.nodes.nodes[0].name, api.nodes.nodes[0].labels))


# -- what it does to a rollout ---------------------------------------------------------------------

@pytest.mark.parametrize("controller, low, high", [("ideal", 60, 60), ("realistic", 100, 116)])
def test_a_node_failing_at_60_counts_as_desired_and_ready_for_the_grace_period(controller, low, high) -> None:
    """OnDelete with nobody deleting: nothing else changes. The failed node leaves ``desired``
    (its NoSchedule taint) when the lifecycle controller notices: at once in ideal mode (as every
    mode did before), 40-55 s later in realistic mode (plus the node informer's delay)."""
    r = simulate(build_scenario(nodes=10, strategy="OnDelete", not_ready_nodes="1@60", controller=controller,
                                horizon=300, **CONSTANT), seed=4)
    tl = r.timeline
    dropped = tl[tl["desired"] < 10]["time_s"].min()
    assert low <= dropped <= high
    assert (tl[tl["time_s"] < dropped]["available"] == 10).all()  # its pod stayed available until then


@pytest.mark.parametrize("seed", range(3))
def test_the_rollout_goes_on_through_the_grace_period(seed) -> None:
    """20 nodes, maxUnavailable 1, a node unreachable at t = 60: with a grace period of 11 s (the least
    above the kubelet's 10 s heartbeat) the stuck pod (deleted, never confirmed) stops the rollout soon
    after; during the 50 s grace period the
    controller still sees the node Ready and more nodes are updated before the stall."""
    common = dict(nodes=20, max_unavailable=1, not_ready_nodes="1@60", stall_after=600, **CONSTANT)
    grace = simulate(build_scenario(**common), seed=seed).summary
    none = simulate(build_scenario(node_monitor_grace_period=11, **common), seed=seed).summary
    assert grace["stop_cause"] == none["stop_cause"] == "not-ready-nodes"
    assert grace["updated"] > none["updated"]
