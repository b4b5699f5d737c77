"""PodGC's ``gcTerminated`` (``--terminated-pod-gc-threshold``, ``pkg/controller/podgc``): every 20 s,
the terminated pods beyond the threshold are deleted, evicted ones first, then the oldest, names
breaking ties; 0 turns it off."""

from __future__ import annotations

import simpy
from rollsim import build_scenario, simulate
from rollsim.cluster.apiserver import ApiServer
from rollsim.cluster.nodestore import NodeStore
from rollsim.cluster.podgc import TerminatedPodGC
from rollsim.controller.pods import FAILED
from rollsim.spec.node import uniform_nodes

from helpers import one_error_line


def _cluster(threshold: int, evicted: set[int]) -> tuple[simpy.Environment, ApiServer, TerminatedPodGC]:
    env = simpy.Environment(0.0)
    api = ApiServer(env, NodeStore(uniform_nodes(3)))
    api.add_daemonset("ds")
    return env, api, TerminatedPodGC(env, api, threshold, evicted.__contains__)


def _fail_at(env: simpy.Environment, api: ApiServer, node: int, at: float, created: list[int]) -> None:
    """At ``at``, a pod of ``ds`` is created on ``node`` and fails (its uid appended to ``created``)."""
    def fail(_event: simpy.Event) -> None:
        pod = api.create_pod("ds", node, 1)
        created.append(pod.uid)
        pod.scheduled, pod.phase = True, FAILED
        api.pod_status_changed(pod)
    env.timeout(at - env.now).callbacks.append(fail)


def test_the_excess_goes_at_the_next_pass_evicted_first_then_the_oldest() -> None:
    """Threshold 3: six pods fail at 1..6 s, the pods of 2 s and 5 s evicted. At 20 s (the pass after
    the count went over) three go: the two evicted ones, then the oldest other (1 s); the three
    newest stay. Pods that fail later go only at a pass after the count is over again (40 s)."""
    evicted: set[int] = set()
    env, api, gc = _cluster(3, evicted)
    uids: list[int] = []
    for i, at in enumerate((1, 2, 3, 4, 5, 6)):
        _fail_at(env, api, i % 3, at, uids)
    env.run(until=2.5)
    evicted.add(uids[1])  # the pod of 2 s: evicted (reason Evicted), as the eviction manager fails them
    env.run(until=5.5)
    evicted.add(uids[-1])  # and the pod of 5 s
    env.run(until=19.9)
    assert len([p for p in api.pods[1:] if p is not None]) == 6  # no pass yet: the grid's next is at 20 s
    env.run(until=20.1)
    left = sorted(p.uid for p in api.pods[1:] if p is not None)
    assert left == [uids[2], uids[3], uids[5]] and gc.deleted["ds"] == 3
    _fail_at(env, api, 0, 30, uids)
    env.run(until=39.9)
    assert gc.deleted["ds"] == 3  # four terminated, over 3: the next pass (40 s) takes the oldest
    env.run(until=40.1)
    assert gc.deleted["ds"] == 4 and api.pod(uids[2]) is None


def test_at_or_under_the_threshold_nothing_is_deleted() -> None:
    env, api, gc = _cluster(6, set())
    uids: list[int] = []
    for at in (1, 2, 3, 4, 5, 6):
        _fail_at(env, api, 0, at, uids)
    env.run(until=100)
    assert gc.deleted["ds"] == 0 and all(api.pod(uid) is not None for uid in uids)


# ideal mode, constant timings, one node under pressure from 0 to the end: with maxSurge each rejected pod
# is followed by a create, one a second (kubernetes/kubernetes#124388), and the failed pods pile up
HOT_LOOP = dict(nodes=10, controller="ideal", schedule=1, pull=2, start=3, ready=4, terminate=5, probe_period=0,
                max_surge=1, max_unavailable=0, disk_pressure_nodes="1@0", horizon=600)


def test_podgc_caps_the_pile_up_of_the_surge_hot_loop() -> None:
    """With threshold 50, PodGC deletes what piles up beyond 50: the loop itself (a create after each
    rejection) does not change, nor does the rollout's end; with 0 it is off and the key is absent."""
    capped = simulate(build_scenario(**HOT_LOOP, terminated_pod_gc_threshold=50), seed=0).summary
    off = simulate(build_scenario(**HOT_LOOP, terminated_pod_gc_threshold=0), seed=0).summary
    default = simulate(build_scenario(**HOT_LOOP), seed=0).summary
    assert off["disk_pressure_rejections"] == capped["disk_pressure_rejections"] == 600
    assert "terminated_pods_collected" not in off and default["terminated_pods_collected"] == 0  # 600 < 12,500
    # every 20 s from 40 s on, the count is back to 50: what failed since, less what manage deleted, goes
    assert 500 <= capped["terminated_pods_collected"] < 600
    assert capped["stop_cause"] == off["stop_cause"] == "disk-pressure"


def test_a_negative_threshold_is_one_line_and_exit_2(capsys) -> None:
    from rollsim.cli import main

    assert main(["simulate", "--nodes", "3", "--terminated-pod-gc-threshold", "-1"]) == 2
    one_error_line(capsys, "argument --terminated-pod-gc-threshold")


def test_the_console_says_what_podgc_deleted(capsys) -> None:
    from rollsim.cli import main

    flags = ["--nodes", "10", "--controller", "ideal", "--max-surge", "1", "--max-unavailable", "0",
             "--disk-pressure-nodes", "1@0", "--horizon", "600"]
    assert main(["simulate", *flags, "--terminated-pod-gc-threshold", "50"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("  disk pressure"))
    assert "; PodGC deleted " in line
    assert "over its threshold (50 terminated pods, --terminated-pod-gc-threshold)" in line
    assert main(["simulate", *flags]) == 0  # under the default 12,500: not said
    assert "PodGC" not in capsys.readouterr().out
