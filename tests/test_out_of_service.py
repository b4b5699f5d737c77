"""The out-of-service taint and PodGC's gcTerminating: the way out of the NotReady deadlock."""

from __future__ import annotations

import numpy as np
import pytest
import simpy
from rollsim import build_scenario, simulate
from rollsim.cluster.apiserver import ApiServer
from rollsim.cluster.lifecycle import UNKNOWN, NodeLifecycle
from rollsim.cluster.nodestore import NodeStore
from rollsim.cluster.outofservice import OUT_OF_SERVICE_TAINT, OutOfService
from rollsim.spec.eligibility import node_should_run_daemon_pod
from rollsim.spec.node import PodPlacement, uniform_nodes, unreachable_node

CONSTANT = dict(schedule=1, pull=2, start=3, ready=4, terminate=5, probe_period=0)


def test_daemonset_pods_do_not_tolerate_the_taint() -> None:
    node = unreachable_node(uniform_nodes(1)[0])
    tainted = type(node)(node.name, node.labels, node.taints + (OUT_OF_SERVICE_TAINT,), ready=False)
    assert node_should_run_daemon_pod(node, PodPlacement()) == (False, True)
    assert node_should_run_daemon_pod(tainted, PodPlacement()) == (False, False)  # manage deletes its pods


def test_podgc_force_deletes_terminating_pods_on_tainted_nodes_every_20_s() -> None:
    env = simpy.Environment()
    api = ApiServer(env, NodeStore(uniform_nodes(3)))
    api.add_daemonset("ds")
    pods = [api.seed_pod("ds", i, 0, -100.0) for i in range(3)]
    lifecycle = NodeLifecycle(env, api, None, np.random.default_rng(0))
    OutOfService(env, api, 30.0, lifecycle)
    env.run(until=5)
    lifecycle.node_failed(1, UNKNOWN)
    api.delete_pod(pods[1].uid)  # stuck: no kubelet confirms it
    env.run(until=34.9)
    assert OUT_OF_SERVICE_TAINT not in api.nodes.nodes[1].taints
    env.run(until=35.1)
    assert OUT_OF_SERVICE_TAINT in api.nodes.nodes[1].taints and pods[1] in api.pods_by_node[1]
    env.run(until=40.1)  # the next PodGC pass (20 s period)
    assert api.pods_by_node[1] == [] and len(api.pods_by_node[0]) == 1


def test_the_not_ready_deadlock_ends_once_the_nodes_are_out_of_service() -> None:
    """NVSentinel #1764's shape: 20 NotReady nodes on 288 at 5% never let the rollout start; with
    the out-of-service taint 300 s in, their stuck pods go and the rollout completes."""
    common = dict(nodes=288, max_unavailable="5%", not_ready_nodes=20, stall_after=1200)
    stuck = simulate(build_scenario(**common), seed=1).summary
    freed = simulate(build_scenario(out_of_service_after=300, **common), seed=1).summary
    assert stuck["stalled"] and stuck["updated"] == 0
    assert freed["completed"] and freed["updated"] == 268 and freed["duration_s"] > 300


@pytest.mark.parametrize("controller", ["ideal", "realistic"])
def test_nodes_failing_during_the_rollout_are_freed_too(controller) -> None:
    common = dict(nodes=40, max_unavailable=4, not_ready_nodes="6@20", controller=controller, stall_after=600,
                  **CONSTANT)
    stuck = simulate(build_scenario(**common), seed=3).summary
    freed = simulate(build_scenario(out_of_service_after=60, **common), seed=3).summary
    assert stuck["stalled"] and not stuck["completed"]
    assert freed["completed"] and freed["updated"] == freed["nodes"] == 34
