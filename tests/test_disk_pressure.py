"""Nodes under disk pressure (``--disk-pressure-nodes N@T[+D]``, kubernetes/kubernetes#95457, #124388):
the kubelet's eviction manager evicts the DaemonSet's pod there and rejects every new pod that is not
critical (phase Failed, reason Evicted) until the DiskPressure condition clears; the controller deletes
each failed pod after its per-node back-off and creates another (with maxSurge, creates another at once)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rollsim import build_scenario, simulate
from rollsim.cli import main
from rollsim.controller.classify import classify_node, classify_with_failed
from rollsim.controller.pods import FAILED, PENDING, RUNNING, SUCCEEDED, Pod, pod_sort_key
from rollsim.io.nodes import load_nodes

from helpers import one_error_line

# ideal mode, constant timings: a node's cycle is terminate 5 s, then schedule 1 + pull 2 + start 3 + ready 4
CONSTANT = dict(nodes=10, controller="ideal", schedule=1, pull=2, start=3, ready=4, terminate=5, probe_period=0)
# when the controller deletes the failed pod on a node under pressure from 0 and creates another: its
# eviction at 0, then each new pod rejected at its bind (1 s after its create), the next create after the
# per-node back-off (failedPodsBackoff: 1 s doubling), counted from the sync that finds it in back-off
CREATES = (0, 1, 2, 5, 10, 19, 36, 69, 134, 263, 520)


def _summary(**options) -> dict:
    return simulate(build_scenario(**CONSTANT, **options), seed=0).summary


def test_a_node_under_pressure_holds_the_budget_until_the_condition_clears_and_its_back_off_passes() -> None:
    """maxUnavailable 1: the node under pressure from 0 loses its pod at once (evicted), and holds the
    budget. The pressure lasts 100 s and the kubelet keeps the condition 5 minutes more
    (evictionPressureTransitionPeriod): the first create after 400 s is at 520 s (CREATES), its pod
    Ready 10 s later; then the other nine nodes, 15 s each: 530 + 135 = 665 s. Without the transition
    period the pressure ends at 100 s: the create at 134 s, Ready at 144 s, done at 279 s."""
    assert _summary()["duration_s"] == 150.0
    s = _summary(max_unavailable=1, disk_pressure_nodes="1@0", disk_pressure_for=100)
    assert s["completed"] and s["duration_s"] == 520 + 10 + 9 * 15
    assert s["node_downtime_max_s"] == 530 and s["max_unavailable_observed"] == 1
    assert s["disk_pressure_evictions"] == 1 and s["disk_pressure_rejections"] == len(CREATES) - 1
    short = _summary(max_unavailable=1, disk_pressure_nodes="1@0", disk_pressure_for=100,
                     eviction_pressure_transition_period=0)
    assert short["duration_s"] == 134 + 10 + 9 * 15 and short["disk_pressure_rejections"] == CREATES.index(134)


def test_pressure_that_lasts_stops_the_rollout_on_it() -> None:
    """maxUnavailable 1: nothing else is updated, and the stall detector ends the run an hour later
    (the node under pressure counts as updated, as kubectl's UP-TO-DATE counts it: its only pod is a
    failed one of the new revision). maxUnavailable 2: the other nine go one at a time (135 s), and
    the run stops on the one node."""
    held = _summary(max_unavailable=1, disk_pressure_nodes="1@0")
    assert not held["completed"] and held["stop_cause"] == "disk-pressure" and held["updated"] == 1
    assert held["min_available"] == 9
    assert "DiskPressure" in held["stop_detail"] and "hold the budget" in held["stop_detail"]
    rest = _summary(max_unavailable=2, disk_pressure_nodes="1@0")
    assert rest["stop_cause"] == "disk-pressure" and "the only nodes not updated" in rest["stop_detail"]
    assert rest["unavailable_node_seconds"] == pytest.approx(3735 + 135)


def test_a_critical_daemonset_is_neither_evicted_nor_rejected() -> None:
    """priorityClassName system-node-critical (2000001000): IsCriticalPod, so the eviction manager
    leaves its pod and admits its new ones: the rollout is the one without pressure."""
    s = _summary(max_unavailable=1, disk_pressure_nodes="3@0", priority=2000001000)
    assert (s["duration_s"], s["disk_pressure_evictions"], s["disk_pressure_rejections"]) == (150.0, 0, 0)


def test_an_eviction_mid_rollout_is_outside_the_budget() -> None:
    """maxUnavailable 3: at 7.5 s a node not yet reached loses its pod, beside the three the controller
    took down: four unavailable at once."""
    s = _summary(max_unavailable=3, disk_pressure_nodes="1@7.5")
    assert s["max_unavailable_observed"] == 4 and s["disk_pressure_evictions"] == 1


def test_with_surge_the_controller_creates_a_pod_each_time_one_fails() -> None:
    """maxSurge 1, maxUnavailable 0: with surge, podsShouldBeOnNode creates a pod on a node where no
    pod runs whatever failed pods it holds (kubernetes/kubernetes#124388), so each rejection (at the
    bind, 1 s after the create) is followed by a create: 600 in 600 s, piling up failed pods that
    manage deletes one per back-off."""
    s = _summary(max_surge=1, max_unavailable=0, disk_pressure_nodes="1@0", horizon=600)
    assert s["disk_pressure_rejections"] == 600 and s["stop_cause"] == "disk-pressure"
    assert s["max_surge_observed"] == 1  # a failed pod beside the pending one is no second agent


@pytest.mark.parametrize("fault", [dict(disk_pressure_nodes="1@0"), dict(new_pods="rejected")])
def test_the_stop_text_says_how_the_controller_replaces_a_failed_pod(fault: dict) -> None:
    """Without surge, manage deletes a failed pod after the per-node back-off and creates another
    once the node has none; with surge, podsShouldBeOnNode's surge branch counts no failed pod as
    running and creates another in the same sync (daemon_controller.go: "We are surging so we need
    to have at least one non-deleted pod on the node"), one each rejection: the stop text says which.
    """
    surge = _summary(max_surge=1, max_unavailable=0, horizon=300, **fault)
    assert surge["stop_cause"] in ("disk-pressure", "rejected")
    assert ("with maxSurge the controller creates another in the same sync whenever none runs on the node "
            "(podsShouldBeOnNode's surge branch counts no failed pod as running" in surge["stop_detail"])
    assert "deletes each and creates another after its per-node back-off" not in surge["stop_detail"]
    plain = _summary(max_unavailable=1, horizon=300, **fault)
    assert plain["stop_cause"] == surge["stop_cause"]
    assert ("the controller deletes each and creates another after its per-node back-off, 1 s doubling to 15 min"
            in plain["stop_detail"] and "maxSurge" not in plain["stop_detail"])


def test_with_surge_the_failed_pods_left_keep_the_rollout_from_completing() -> None:
    """Pressure for 100 s (no transition period): a create each second, 99 rejected, the next
    admitted. The 99 failed pods stay beside the running one: manage deletes one per back-off (the
    evicted old pod at 0, then at 1, 2, 5, 10, 19, 36, 69, 134, 263, 520, 1033 s and every 900 s
    after: 13 of them by the stall, an hour after 109 s), the status counts the node by its oldest
    pod, a failed one, and rollingUpdate counts the node against the one maxSurge slot
    (findUpdatedPodsOnNode: two new pods), so no other node is updated."""
    s = _summary(max_surge=1, max_unavailable=0, disk_pressure_nodes="1@0", disk_pressure_for=100,
                 eviction_pressure_transition_period=0)
    assert s["disk_pressure_rejections"] == 99 and s["stop_cause"] == "failed-pods-left"
    assert "1 node runs an available new pod beside 86 failed pods" in s["stop_detail"]
    assert "the nodes still on the old revision wait" in s["stop_detail"] and s["healthy_done_s"] is None


def test_under_on_delete_an_evicted_pod_comes_back_on_the_new_revision() -> None:
    """OnDelete with no deleter: only the node whose pod was evicted is updated, once the pressure
    is gone (manage creates from the current template)."""
    s = _summary(strategy="OnDelete", disk_pressure_nodes="1@0", disk_pressure_for=100,
                 eviction_pressure_transition_period=0, horizon=1000)
    assert s["updated"] == 1 and s["disk_pressure_evictions"] == 1


def test_the_nodes_come_from_their_own_stream_and_the_realistic_controller_agrees() -> None:
    """Random timings: the same seed picks the same nodes; pressure after the rollout changes nothing."""
    random_ = dict(nodes=60, max_unavailable="10%")
    one = simulate(build_scenario(**random_, disk_pressure_nodes="3@60+30"), seed=3)
    again = simulate(build_scenario(**random_, disk_pressure_nodes="3@60+30"), seed=3)
    assert one.summary == again.summary and one.nodes.equals(again.nodes)
    assert one.summary["disk_pressure_evictions"] == 3 and one.summary["stop_cause"] == "disk-pressure"
    after = simulate(build_scenario(**random_, disk_pressure_nodes="3@100000"), seed=3).summary
    plain = simulate(build_scenario(**random_), seed=3).summary
    assert (after["duration_s"], after["unavailable_node_seconds"]) == \
        (plain["duration_s"], plain["unavailable_node_seconds"])


def test_the_console_says_what_the_pressure_did(capsys) -> None:
    assert main(["simulate", "--nodes", "20", "--max-unavailable", "1", "--disk-pressure-nodes", "1@0",
                 "--disk-pressure-for", "600"]) == 0
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if line.lstrip().startswith("disk pressure"))
    assert ("1 node under DiskPressure, each for 15m00s (the pressure's 10m00s and the kubelet's "
            "evictionPressureTransitionPeriod, 5m00s): 1 pod evicted" in line)
    assert "max unavailable    2 nodes" in out  # the eviction at 0 beside the rollout's first node, and it says why
    assert "budget note        pods evicted under DiskPressure leave their nodes unavailable at once" in out


@pytest.mark.parametrize("flag,value", [("--disk-pressure-nodes", "4"), ("--disk-pressure-nodes", "0@5"),
                                        ("--disk-pressure-nodes", "4@0"),  # 3 nodes: more than there are
                                        ("--disk-pressure-for", "0"),
                                        ("--eviction-pressure-transition-period", "-1")])
def test_a_bad_flag_is_one_line_and_exit_2(capsys, flag, value) -> None:
    assert main(["simulate", "--nodes", "3", flag, value]) == 2
    one_error_line(capsys, flag)


# -- many failed pods on a node: classified from a few ------------------------------------------

_PHASES = st.sampled_from((PENDING, RUNNING, FAILED, SUCCEEDED))  # a failed pod here is being deleted


@st.composite
def _pods(draw) -> list[Pod]:
    pods = []
    for uid in range(draw(st.integers(0, 9))):
        phase = draw(_PHASES)
        ready = phase == RUNNING and draw(st.booleans())
        pods.append(Pod(uid, 0, draw(st.integers(0, 2)), float(draw(st.integers(0, 5))), scheduled=draw(st.booleans()),
                        phase=phase, ready=ready, ready_since=float(draw(st.integers(0, 5))),
                        deleting=phase == FAILED or draw(st.booleans())))
    return pods


@settings(max_examples=400, deadline=None)
@given(_pods(), st.integers(0, 12), st.booleans(), st.booleans(), st.booleans(), st.booleans(),
       st.sampled_from((0.0, 3.0)), st.integers(0, 1_000))
def test_failed_pods_kept_apart_classify_the_node_as_all_of_them_do(
        pods, failed_count, should_run, should_continue, exists, surge, min_ready, seed) -> None:
    """``classify_with_failed`` (the cache's failed pods apart, oldest first, the few that count)
    equals ``classify_node`` of every pod on the node."""
    rng = random.Random(seed)
    failed = sorted((Pod(100 + i, 0, rng.randint(0, 2), float(rng.randint(0, 5)), scheduled=True, phase=FAILED)
                     for i in range(failed_count)), key=pod_sort_key)
    others = [p for p in pods if not (p.deleting and p.terminal)]
    args = (should_run, should_continue, exists, 1, min_ready, surge, 4.0)
    assert classify_with_failed(others, failed, *args) == classify_node(others + failed, *args)


# -- a node list's own DiskPressure condition -------------------------------------------------

def _listed(tmp_path: Path, pressured: dict[str, str], condition: str = "DiskPressure") -> Path:
    """A node list of 10 Ready nodes, ``pressured`` giving some a ``condition`` status, written as JSON."""
    items = []
    for i in range(10):
        name = f"node-{i}"
        conditions = [{"type": "Ready", "status": "True"}]
        if name in pressured:
            conditions.append({"type": condition, "status": pressured[name]})
        items.append({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {}}, "spec": {},
                      "status": {"conditions": conditions}})
    path = tmp_path / "nodes.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}), encoding="utf-8")
    return path


def test_a_node_list_gives_a_ready_nodes_disk_pressure(tmp_path) -> None:
    """Only a Ready node's DiskPressure True is read: an unreachable node's conditions are stale."""
    nodes = load_nodes(_listed(tmp_path, {"node-1": "True", "node-2": "False"}))
    assert [n.name for n in nodes if n.disk_pressure] == ["node-1"]


def test_a_node_listed_with_pid_pressure_rejects_new_pods_as_under_disk_pressure(tmp_path, capsys) -> None:
    """The eviction manager's ``Admit`` rejects every pod that is not critical under any node condition
    but MemoryPressure alone: a node listed with PIDPressure True holds the rollout as one listed with
    DiskPressure does, and the console names the condition it has. A NotReady node's is stale."""
    path = _listed(tmp_path, {"node-3": "True", "node-4": "False"}, "PIDPressure")
    nodes = load_nodes(path)
    assert [n.name for n in nodes if n.pid_pressure] == ["node-3"] and not any(n.disk_pressure for n in nodes)
    assert main(["simulate", "--nodes-file", str(path), "--controller", "ideal", "--horizon", "600"]) == 0
    assert "1 node under PIDPressure" in capsys.readouterr().out
    timing = {k: v for k, v in CONSTANT.items() if k != "nodes"}
    pid = simulate(build_scenario(node_list=nodes, **timing, max_unavailable=1), seed=0).summary
    disk = simulate(build_scenario(node_list=load_nodes(_listed(tmp_path, {"node-3": "True"})), **timing,
                                   max_unavailable=1), seed=0).summary
    assert pid["stop_cause"] == "disk-pressure" and pid["disk_pressure_rejections"] >= 1
    assert {k: pid[k] for k in ("end_s", "updated", "disk_pressure_rejections")} == \
        {k: disk[k] for k in ("end_s", "updated", "disk_pressure_rejections")}
    critical = simulate(build_scenario(node_list=nodes, **timing, max_unavailable=1,
                                       priority=2000001000), seed=0).summary
    assert critical["completed"] and critical["disk_pressure_rejections"] == 0


def test_a_node_listed_under_pressure_rejects_new_pods_from_the_start_and_keeps_its_old_one(tmp_path) -> None:
    """Its old pod is not evicted (a node list does not say which were): it runs until the rollout
    reaches the node; then every new pod is rejected while the condition holds. For 200 s (no
    transition period: longer than the 150 s the rollout takes without it) the rollout completes,
    later; to the end of the run, it stops on that node."""
    nodes = load_nodes(_listed(tmp_path, {"node-3": "True"}))
    timing = {k: v for k, v in CONSTANT.items() if k != "nodes"}
    plain = simulate(build_scenario(node_list=nodes, **timing, max_unavailable=1), seed=0).summary
    held = simulate(build_scenario(node_list=nodes, **timing, max_unavailable=1, disk_pressure_for=200,
                                   eviction_pressure_transition_period=0), seed=0).summary
    assert held["completed"] and held["duration_s"] > 150
    assert held["disk_pressure_evictions"] == 0 and held["disk_pressure_rejections"] >= 1
    assert plain["stop_cause"] == "disk-pressure" and plain["disk_pressure_evictions"] == 0
    assert plain["stop_detail"].endswith("on 1 node hold the budget (maxUnavailable); "
                                         "8 nodes of 10 updated (new pod available)")


def test_a_plan_says_what_nodes_listed_under_pressure_do_to_every_setting(tmp_path, capsys) -> None:
    """Without --disk-pressure-for every setting stalls on them, and the ruled-out settings say on
    what; with it the plan finds a setting, and the line says how long the condition holds."""
    nodes = _listed(tmp_path, {"node-3": "True"})
    args = ["plan", "--nodes-file", str(nodes), "--window", "2h", "--floor", "80%", "--replications", "2",
            "--max-replications", "2", "--workers", "1", "--controller", "ideal", "--out"]
    assert main([*args, str(tmp_path / "stuck")]) == 3  # no setting fits
    out = capsys.readouterr().out
    assert "disk pressure           1 node listed with DiskPressure: their kubelets reject every new pod" in out
    assert "to the end of the run" in out and "no setting fits; binding constraint: nodes under disk pressure" in out
    assert "(stalled: nodes under DiskPressure: new pods rejected, running ones evicted (Evicted))" in out
    assert main([*args, str(tmp_path / "clears"), "--disk-pressure-for", "300"]) == 0
    out = capsys.readouterr().out
    assert "for 10m00s (the pressure's 5m00s and the kubelet's evictionPressureTransitionPeriod, 5m00s)" in out
    assert "recommended" in out and "--disk-pressure-for S if" not in out  # given: not suggested


def test_how_long_pressure_lasts_is_ignored_with_a_warning_where_no_node_is_under_it(capsys) -> None:
    assert main(["simulate", "--nodes", "3", "--disk-pressure-for", "60"]) == 0
    assert ("warning: argument --disk-pressure-for: ignored: no node is under disk pressure"
            in capsys.readouterr().err)


def test_a_listed_node_that_still_runs_its_old_pod_holds_no_budget(tmp_path) -> None:
    """Two nodes listed under pressure, maxSurge 1: the one the rollout reached holds the surge slot
    (its new pods rejected); the other still runs its old pod, available, and is not named."""
    nodes = load_nodes(_listed(tmp_path, {"node-3": "True", "node-5": "True"}))
    timing = {k: v for k, v in CONSTANT.items() if k != "nodes"}
    s = simulate(build_scenario(node_list=nodes, **timing, max_surge=1, max_unavailable=0), seed=0).summary
    assert s["stop_cause"] == "disk-pressure" and s["nodes_under_disk_pressure"] == 2
    assert "on 1 node hold the budget" in s["stop_detail"]


def test_plan_warns_that_how_long_pressure_lasts_is_ignored_without_it(tmp_path, capsys) -> None:
    assert main(["plan", "--nodes", "5", "--window", "1h", "--disk-pressure-for", "60", "--replications", "2",
                 "--max-replications", "2", "--workers", "1", "--out", str(tmp_path / "plan")]) == 0
    assert "warning: argument --disk-pressure-for: ignored: no node is under disk pressure" in capsys.readouterr().err


def test_every_daemonsets_pods_are_evicted_but_the_critical_ones() -> None:
    """A node under pressure: the eviction manager evicts each DaemonSet's pod there that is not critical
    (``also:`` ones too), and a critical one stays."""
    both = [{"name": "calico-node", "max_unavailable": 1}, {"name": "kube-proxy", "priority": 2000001000}]
    r = simulate(build_scenario(**CONSTANT, max_unavailable=1, disk_pressure_nodes="3@0", also=both), seed=0)
    assert r.summary["disk_pressure_evictions"] == 3
    assert r.others["calico-node"]["disk_pressure_evictions"] == 3
    assert r.others["kube-proxy"]["disk_pressure_evictions"] == 0
    assert r.others["kube-proxy"]["disk_pressure_rejections"] == 0


def test_the_reports_cost_line_words_surges_creates_without_the_back_off():
    """A configuration whose rejections outnumber its evictions many times over (maxSurge creates a pod
    each time none runs) is not said to have waited for the per-node back-off (audit 31, 4b); one
    without surge is.
    """
    import pandas as pd
    from rollsim.present.run_costs import disk_pressure_costs

    runs = pd.DataFrame({"config": [0, 1], "label": ["maxUnavailable 1", "maxSurge 5%"],
                         "disk_pressure_evictions": [3, 3], "disk_pressure_rejections": [33, 12078],
                         "max_unavailable_observed": [4, 3]})
    rolling, surge = disk_pressure_costs(runs)
    assert "the controller's per-node back-off (1 s doubling to 15 min) let it create one" in rolling
    assert "back-off (1 s doubling" not in surge and "without waiting for its back-off" in surge
    assert "until the condition cleared and a pod the controller created was admitted" in surge
