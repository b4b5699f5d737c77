"""Audit 40, ``rollsim plan`` against an SRE's own node list: what it found wrong, each held by a test."""

from __future__ import annotations

from dataclasses import replace

from rollsim import build_scenario
from rollsim.plan.candidates import SURGE, UNAVAILABLE, Setting
from rollsim.plan.notes import held_budget_note
from rollsim.spec.node import Node, Toleration, not_ready_node, unreachable_node
from rollsim.spec.startstate import held_for_good


def _cluster(healthy: int, unreachable: int, failed: int = 0, tolerate: bool = False):
    """A scenario of ``healthy`` Ready nodes, ``unreachable`` Ready=Unknown ones and ``failed``
    Ready=False ones; ``tolerate``: the DaemonSet tolerates every taint (node-exporter, a CNI)."""
    nodes = ([Node(f"n{i}") for i in range(healthy)] + [unreachable_node(Node(f"u{i}")) for i in range(unreachable)]
             + [not_ready_node(Node(f"f{i}")) for i in range(failed)])
    scenario = replace(build_scenario(nodes=1), nodes=tuple(nodes))
    if tolerate:
        ds = scenario.daemonset
        everything = replace(ds.placement, tolerations=(Toleration(operator="Exists"),))
        scenario = replace(scenario, daemonset=replace(ds, placement=everything))
    return scenario


def test_old_pods_held_for_good_are_those_of_unreachable_nodes_no_longer_desired() -> None:
    """An unreachable node's (Ready=Unknown) old pod stays terminating, its deletion never confirmed, and
    counts against maxUnavailable; a Ready=False node's kubelet confirms it within the grace period."""
    assert held_for_good(_cluster(100, 7, failed=2)) == 7
    assert held_for_good(_cluster(100, 0, failed=2)) == 0
    # a DaemonSet that tolerates the unreachable taint keeps them desired: the floor counts them too
    assert held_for_good(_cluster(100, 7, tolerate=True)) == 0


def test_a_budget_above_the_floor_that_leans_on_dead_nodes_says_so() -> None:
    """Audit 40: fluent-bit on 1,112 desired nodes with 7 unreachable ones not desired, a 95% floor:
    the plan answered maxUnavailable 60 (worst 95.23%: the 7 stuck pods hold 7 of the 60), which gives
    94.6% should the dead nodes go mid-rollout (deleted by an autoscaler, or back); 55 keeps it either way."""
    scenario = _cluster(1112, 7)
    note = held_budget_note(Setting(UNAVAILABLE, 60, 0.0), scenario, 0.95, 1112)
    assert note == ("maxUnavailable 60 keeps the floor only while the old pods of the 7 unreachable nodes "
                    "(Ready=Unknown, no longer desired) stay terminating: they hold 7 of its 60; should they go "
                    "during the rollout (the Node objects deleted, or the nodes back), up to 60 of the 1,112 "
                    "desired nodes can be down at once, 94.6% available against the floor's 95%; maxUnavailable 55 "
                    "keeps it either way")
    assert held_budget_note(Setting(UNAVAILABLE, 55, 0.0), scenario, 0.95, 1112) is None  # within the floor
    assert held_budget_note(Setting(SURGE, 60, 0.0), scenario, 0.95, 1112) is None  # a surge holds no such pods
    assert held_budget_note(Setting(UNAVAILABLE, 60, 0.0), _cluster(1112, 0), 0.95, 1112) is None
    # a floor that lets no node be down: no maxUnavailable keeps it without the stuck pods (0 is no setting)
    assert held_budget_note(Setting(UNAVAILABLE, 3, 0.0), _cluster(20, 3), 1.0, 20).endswith(
        "only a surge (maxUnavailable 0) keeps it either way")


def test_a_run_stopped_only_by_tolerated_not_ready_nodes_is_done_when_the_others_are() -> None:
    """Audit 40: node-exporter and a CNI tolerate every taint, so NotReady nodes stay desired and their new
    pods never become available: no run completed, and the plan had no answer on any cluster with one
    NotReady node. A plan judges such a run done when every other node is (``healthy_done_s``)."""
    from rollsim.plan.evidence import healthy_view

    stopped = {"completed": False, "stalled": True, "duration_s": None, "stop_cause": "not-ready-nodes",
               "healthy_done_s": 412.0}
    assert healthy_view(stopped) == {**stopped, "completed": True, "stalled": False, "duration_s": 412.0,
                                     "healthy_only": True}
    deadlocked = {**stopped, "healthy_done_s": None}  # they hold the whole budget: the others never finish
    assert healthy_view(deadlocked) is deadlocked
    other = {**stopped, "stop_cause": "old-pod-kept"}
    assert healthy_view(other) is other
    done = {"completed": True, "duration_s": 100.0, "stop_cause": "completed", "healthy_done_s": 100.0}
    assert healthy_view(done) is done


def _tolerating(tmp_path, not_ready: int):
    """A node list of 60 nodes with ``not_ready`` NotReady ones, and fluentd tolerating every taint."""
    from pathlib import Path

    from rollsim.cli import main

    tmp_path.mkdir(exist_ok=True)
    nodes, manifest = tmp_path / "nodes.json", tmp_path / "ds.yaml"
    assert main(["make-nodes", "60", "--not-ready", str(not_ready), "--out-file", str(nodes), "-q"]) == 0
    source = Path(__file__).parent.parent / "experiments" / "manifests" / "fluentd-elasticsearch.yaml"
    manifest.write_text(source.read_text().replace(
        "      - key: node-role.kubernetes.io/control-plane\n", "      - operator: Exists\n      - key: node-role."
        "kubernetes.io/control-plane\n"))
    return ["--manifest", str(manifest), "--nodes-file", str(nodes)]


def test_a_plan_answers_beside_tolerated_not_ready_nodes_and_says_what_its_durations_count(tmp_path, capsys) -> None:
    import json

    from rollsim.cli import main

    out = tmp_path / "plan"
    code = main(["plan", *_tolerating(tmp_path, 2), "--floor", "90%", "--window", "1h", "--no-surge",
                 "--controller", "ideal", "--workers", "1", "--out", str(out)])
    text = capsys.readouterr().out
    assert code == 0
    answer = json.loads((out / "plan.json").read_text())["answer"]
    # 54 of 60 must stay available: the 2 NotReady nodes are unavailable throughout and hold 2 of the budget
    assert answer["kind"] == "maxUnavailable" and answer["count"] == 6 and answer["worst_availability"] == 0.9
    assert ("the 2 NotReady nodes the DaemonSet should run on never get an available new pod, in any setting: the "
            "durations are until every other node is updated, and kubectl rollout status does not return") in text
    # where they alone break the floor, they bind, with what helps
    code = main(["plan", *_tolerating(tmp_path / "b", 4), "--floor", "95%", "--window", "1h", "--no-surge",
                 "--controller", "ideal", "--replications", "2", "--max-replications", "2", "--workers", "1",
                 "--out", str(tmp_path / "floor")])
    assert code == 3
    printed = capsys.readouterr().out
    assert ("binding constraint: NotReady nodes\n    relax NotReady nodes: 4 NotReady nodes the DaemonSet should run "
            "on are unavailable from the start: 56 of 60 nodes (93.33%) is below the 95% floor") in printed


def test_an_answer_that_lowers_the_daemonsets_min_ready_seconds_says_what_that_guard_was_for() -> None:
    """Audit 40: --min-ready-seconds 0,10,30 on a DaemonSet of 10 s answered 0, with no note."""
    from rollsim.plan.notes import min_ready_note

    own = build_scenario(nodes=10, min_ready_seconds=10)
    note = min_ready_note(Setting(UNAVAILABLE, 3, 0.0), own)
    assert note is not None and note.startswith("minReadySeconds 0 lowers the DaemonSet's own 10: a pod then counts "
                                                "available as soon as it is Ready")
    assert note.endswith("so they weigh only the time it saves, not that guard")
    assert min_ready_note(Setting(UNAVAILABLE, 3, 10.0), own) is None
    assert min_ready_note(Setting(UNAVAILABLE, 3, 30.0), own) is None  # raised: nothing lost
    crashing = build_scenario(nodes=10, min_ready_seconds=10, new_pods="crashloop:0.1")
    assert "healthy" not in min_ready_note(Setting(UNAVAILABLE, 3, 0.0), crashing)  # the runs weighed it


def test_plan_json_counts_every_not_ready_node_and_those_holding_the_budget(tmp_path) -> None:
    """Audit 40: plan.json's cluster.not_ready read 0 beside 9 NotReady nodes (it counts those the
    DaemonSet should run on); it now also gives every NotReady node listed and the unreachable ones
    whose old pods stay terminating and hold maxUnavailable."""
    import json

    from rollsim.cli import main

    nodes = tmp_path / "nodes.json"
    assert main(["make-nodes", "40", "--not-ready", "3", "--out-file", str(nodes), "-q"]) == 0
    doc = json.loads(nodes.read_text())
    failed = [n for n in doc["items"]
              if any(t["key"] == "node.kubernetes.io/not-ready" for t in n["spec"].get("taints", []))]
    for node in failed[:2]:  # two of the three unreachable (Ready=Unknown), as the lifecycle controller marks them
        node["spec"]["taints"] = [{**t, "key": "node.kubernetes.io/unreachable"} for t in node["spec"]["taints"]]
        for c in node["status"]["conditions"]:
            if c["type"] == "Ready":
                c.update(status="Unknown", reason="NodeStatusUnknown", message="Kubelet stopped posting node status.")
    nodes.write_text(json.dumps(doc))
    out = tmp_path / "plan"
    assert main(["plan", "--nodes-file", str(nodes), "--floor", "80%", "--no-surge", "--controller", "ideal",
                 "--replications", "2", "--max-replications", "2", "--workers", "1", "--out", str(out), "-q"]) in (0, 3)
    cluster = json.loads((out / "plan.json").read_text())["cluster"]
    assert cluster["not_ready"] == 0 and cluster["not_ready_listed"] == 3  # fluentd tolerates no NotReady taint
    assert cluster["held_for_good"] == 2  # the Ready=False one's kubelet confirms its deletion
    assert "; 2 unreachable nodes no longer desired, whose old pods stay terminating and count against " \
           "maxUnavailable" in (out / "report.md").read_text()
