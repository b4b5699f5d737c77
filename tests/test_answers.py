"""Answers an SRE can act on: why a run stopped, no silent empty DaemonSet, decisions and conditions."""

from __future__ import annotations

import json
import textwrap

import pytest
from rollsim import build_scenario, simulate
from rollsim.cli import main
from rollsim.io.yamldoc import ConfigError
from rollsim.spec.options import OptionError
from rollsim.sweep.experiment import DEFAULT_DECISIONS
from rollsim.sweep.experiment_file import load_experiment

from helpers import one_error_line

FAST = {"schedule": 1, "pull": 2, "start": 3, "ready": 4, "terminate": 5, "probe_period": 0}
SSD_ONLY = """\
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: node-exporter}
spec:
  selector: {matchLabels: {app: ne}}
  template:
    metadata: {labels: {app: ne}}
    spec:
      nodeSelector: {%s}
      containers: [{name: ne, image: quay.io/prometheus/node-exporter:v1.8.0}]
"""


def test_not_ready_nodes_holding_the_budget_are_named_with_their_count() -> None:
    result = simulate(build_scenario(nodes=60, not_ready_nodes=3, max_unavailable=3, stall_after=600, **FAST))
    s = result.summary
    assert not s["completed"] and s["stop_cause"] == "not-ready-nodes"
    assert s["stop_detail"].startswith("3 NotReady or unreachable nodes hold the budget")
    assert s["healthy_done_s"] is None  # the healthy nodes could not be updated either


def test_a_completed_run_says_so_and_healthy_done_is_its_last_node() -> None:
    s = simulate(build_scenario(nodes=20, max_unavailable=5, controller="ideal", **FAST)).summary
    assert s["completed"] and s["stop_cause"] == "completed"
    assert s["healthy_done_s"] == pytest.approx(s["duration_s"])


def test_a_few_bad_pods_leave_the_healthy_nodes_done() -> None:
    s = simulate(build_scenario(nodes=100, max_unavailable="10%", new_pods="pull-error:0.05", stall_after=600,
                                **FAST), seed=3).summary
    assert s["stop_cause"] == "image-pull-error"
    assert s["healthy_done_s"] is not None and s["healthy_done_s"] < s["end_s"]


def test_surge_pods_pending_on_a_host_port() -> None:
    s = simulate(build_scenario(nodes=30, max_surge=3, host_ports="9100", stall_after=600, **FAST)).summary
    assert s["stop_cause"] == "pending-host-port" and "NodePorts" in s["stop_detail"]


def test_simulate_prints_the_cause_in_one_line(capsys) -> None:
    assert main(["simulate", "--nodes", "10", "--strategy", "OnDelete", "--controller", "ideal"]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.strip().startswith("stopped because"))
    assert "OnDelete and nothing deletes old pods: 10 nodes still run the old revision" in line
    assert "healthy nodes      not all updated" in out


def test_after_a_rollback_the_summary_says_the_nodes_are_back_on_the_old_revision(capsys) -> None:
    """The audit's run: the crash-looping update stalls, the operator rolls it back 60 s later, and
    every node is back on the old revision. The summary said "20 / 20 nodes with a pod of the new
    revision" and "healthy nodes: all updated by 12m15s", as if the update had gone out.
    """
    args = ["simulate", "--nodes", "20", "--max-unavailable", "2", "--new-pods", "crashloop", "--stall-after", "600",
            "--rollback-after", "60"]
    assert main([*args, "-o", "json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["rolled_back"] is True and s["updated"] == 20 and s["healthy_done_s"] > 600  # the keys keep their names
    assert main(args) == 0
    lines = {line[2:21].strip(): line[21:] for line in capsys.readouterr().out.splitlines()[1:]}
    back = s["healthy_done_s"]
    assert lines["stopped because"].endswith("20 nodes of 20 back on the old revision")
    assert lines["healthy nodes"].startswith("all back on the old revision by 12m1") and f"({back:,.1f} s)" in \
        lines["healthy nodes"]
    assert lines["up-to-date"] == "20 / 20 nodes with a pod of the old revision, rolled back to (kubectl's UP-TO-DATE)"
    assert "new revision" not in "".join(lines.values()) and "all updated" not in "".join(lines.values())
    assert main([*args, "-o", "wide"]) == 0  # the wide listing starts with the same summary
    assert "  up-to-date         20 / 20 nodes with a pod of the old revision" in capsys.readouterr().out


def test_without_a_rollback_the_summary_speaks_of_the_new_revision(capsys) -> None:
    assert main(["simulate", "--nodes", "20", "--max-unavailable", "2", "--new-pods", "crashloop",
                 "--stall-after", "600"]) == 0
    out = capsys.readouterr().out
    assert "  up-to-date         2 / 20 nodes with a pod of the new revision (kubectl's UP-TO-DATE)" in out
    assert "  healthy nodes      not all updated" in out


# --- a DaemonSet that matches no node ---------------------------------------------------------------

def test_synthetic_nodes_match_the_everyday_os_selector(tmp_path, capsys) -> None:
    manifest = tmp_path / "ne.yaml"
    manifest.write_text(SSD_ONLY % "kubernetes.io/os: linux", encoding="utf-8")
    assert main(["simulate", "--nodes", "10", "--manifest", str(manifest), "--json", "--controller", "ideal"]) == 0
    assert json.loads(capsys.readouterr().out)["nodes"] == 10


def test_no_matching_node_is_an_error_naming_the_selector(tmp_path, capsys) -> None:
    manifest = tmp_path / "ne.yaml"
    manifest.write_text(SSD_ONLY % "disktype: ssd", encoding="utf-8")
    assert main(["simulate", "--nodes", "10", "--manifest", str(manifest)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "matches no node" in err and "nodeSelector disktype=ssd does not match" in err
    # the flag named is the input whose selector is at fault; --allow-no-nodes is only the way out
    assert err.startswith("rollsim: error: argument --manifest: ") and "(--allow-no-nodes)" in err
    assert main(["simulate", "--nodes", "10", "--manifest", str(manifest), "--allow-no-nodes"]) == 0


def test_an_untolerated_taint_is_named() -> None:
    with pytest.raises(OptionError, match="untolerated taint node-role.kubernetes.io/control-plane:NoSchedule") as err:
        build_scenario(nodes=0, control_plane_nodes=3)
    assert err.value.options == ("control_plane_nodes",)  # no manifest, no tolerations: the nodes keep it off
    assert build_scenario(nodes=0, control_plane_nodes=3, allow_no_nodes=True).nodes


@pytest.mark.parametrize(("given", "named"), [
    ({"daemonset_spec": "ssd only", "nodes": 3}, ("manifest",)),
    ({"daemonset_spec": "ssd only", "nodes": 3, "tolerations": []}, ("manifest", "tolerations")),
    ({"nodes": 0, "control_plane_nodes": 3, "tolerations": []}, ("tolerations",)),
    ({"node_list": "one tainted node"}, ("nodes_file",)),
])
def test_no_matching_node_names_what_placed_the_daemonset(given, named) -> None:
    from rollsim.spec.node import Node, PodPlacement, Taint
    from rollsim.spec.scenario import DaemonSetSpec

    options = dict(given)
    if "daemonset_spec" in options:
        options["daemonset_spec"] = DaemonSetSpec(placement=PodPlacement(node_selector={"disktype": "ssd"}))
    if "node_list" in options:
        options["node_list"] = (Node("n0", taints=(Taint("dedicated", "gpu"),)),)
    with pytest.raises(OptionError, match="matches no node") as err:
        build_scenario(**options)
    assert err.value.options == named  # not allow_no_nodes: that is only the way to say it is meant


def experiment(tmp_path, text: str):
    path = tmp_path / "e.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return load_experiment(path)


def test_an_experiment_whose_daemonset_matches_no_node_fails_with_file_and_line(tmp_path) -> None:
    (tmp_path / "ne.yaml").write_text(SSD_ONLY % "disktype: ssd", encoding="utf-8")
    text = """\
        name: e
        scenario:
          cluster: {nodes: 10}
          daemonset: {manifest: ne.yaml}
        grid:
          strategy.max_unavailable: [1, 2]
        """
    with pytest.raises(ConfigError, match="nodeSelector disktype=ssd does not match") as err:
        experiment(tmp_path, text)
    assert err.value.file.endswith("e.yaml") and err.value.line == 4
    assert "scenario.daemonset.manifest: the DaemonSet matches no node" in str(err.value)
    ok = experiment(tmp_path, text.replace("manifest: ne.yaml}", "manifest: ne.yaml, allow_no_nodes: true}"))
    assert len(ok.configurations) == 2


def test_pools_that_keep_the_daemonset_off_are_named(tmp_path) -> None:
    text = """\
        name: e
        scenario:
          cluster:
            pools:
              - {name: gpu, count: 2, taints: [{key: dedicated, value: gpu, effect: NoSchedule}]}
        """
    with pytest.raises(ConfigError, match="untolerated taint dedicated=gpu:NoSchedule") as err:
        experiment(tmp_path, text)
    assert "scenario.cluster.pools: " in str(err.value) and err.value.line == 4


# --- decisions ---------------------------------------------------------------------------------------

def test_decisions_default_and_conditions(tmp_path) -> None:
    e = experiment(tmp_path, """\
        name: e
        scenario: {cluster: {nodes: 10}}
        grid:
          cluster.nodes: [10, 20]
          strategy.max_unavailable: [1, 2]
        """)
    assert e.decisions == DEFAULT_DECISIONS
    assert e.conditions == ["cluster.nodes"]
    e = experiment(tmp_path, """\
        name: e
        scenario: {cluster: {nodes: 10}}
        decisions: [cluster.nodes]
        grid: {cluster.nodes: [10, 20]}
        """)
    assert e.decisions == ("cluster.nodes",) and e.conditions == []


@pytest.mark.parametrize("text, where", [
    ("decisions: strategy.max_surge\n", "decisions"),
    ("decisions: [strategy.bogus]\n", "decisions[0]"),
    ("reading: typed prose\n", "reading"),
])
def test_bad_decisions_and_typed_readings_are_errors(tmp_path, text: str, where: str) -> None:
    with pytest.raises(ConfigError) as err:
        experiment(tmp_path, "name: e\nscenario: {cluster: {nodes: 10}}\n" + text)
    assert err.value.path == where


# --- the report ----------------------------------------------------------------------------------------

def test_the_report_says_per_configuration_why_runs_stopped(make_results) -> None:
    import dataclasses

    from rollsim.present.render import render_markdown
    from rollsim.present.report import report_blocks
    from rollsim.sweep.results import load_results

    results = load_results(make_results(slo=[]))
    stuck = results.summary["config"] == 3  # the fabricated configuration that never completes
    summary = results.summary.assign(stop_cause=["" if not x else "never-ready" for x in stuck],
                                     stop_detail=["" if not x else "new pods running but never Ready on 50 nodes"
                                                  for x in stuck])
    runs = results.runs.assign(healthy_done_s=[None if c == 3 else 60.0 for c in results.runs["config"]])
    md = render_markdown(report_blocks(dataclasses.replace(results, summary=summary, runs=runs), []))
    assert "## Why runs stopped" in md
    assert ("| maxUnavailable 25%, minReadySeconds 30 | 0/3 | new pods running but never Ready on 50 nodes | "
            "not all (3 of 3 runs) |") in md
    assert "The other stopped because of new pods never Ready: maxUnavailable 25%, minReadySeconds 30 (0/3)." in md


# --- where an input file's error is reported ----------------------------------------------------------

@pytest.mark.parametrize(("text", "where"), [
    ("scenario:\n  cluster: {nodes_file: nope.json}\n", "e.yaml:3: scenario.cluster.nodes_file: no such file"),
    ("scenario:\n  cluster: {nodes: 3}\nvariants:\n  - {name: a}\n  - {name: b, daemonset.manifest: nope.yaml}\n",
     "e.yaml:6: variants[1].daemonset.manifest: no such file"),
    ("scenario:\n  cluster: {nodes: 3}\ngrid:\n  timings: [nope.yaml]\n", "e.yaml:5: grid.timings[0]: no such file"),
    ("scenario:\n  cluster: {nodes: 3}\nvariants:\n  - {name: a}\n  - {name: b, daemonset.strict: 'yes'}\n",
     "e.yaml:6: variants[1].daemonset.strict: applies only with a manifest"),
    ("grid:\n  cluster.pools: [[{name: p, count: 3}], [{name: p, count: x}]]\n",
     "e.yaml:3: grid.cluster.pools[1][0].count: must be"),
])
def test_an_input_files_error_names_the_key_that_set_it(tmp_path, text, where) -> None:
    """Not always ``scenario.``: a variant or grid item that set the file option is where to look."""
    with pytest.raises(ConfigError) as err:
        experiment(tmp_path, "name: e\n" + text)
    assert where in str(err.value), str(err.value)


@pytest.mark.parametrize("flag", ["--nodes-file", "--manifest", "--timings"])
def test_a_missing_input_file_names_its_flag(tmp_path, capsys, flag) -> None:
    argv = ["simulate", flag, str(tmp_path / "nope.yaml")] + ([] if flag == "--nodes-file" else ["--nodes", "3"])
    assert main(argv) == 2
    assert capsys.readouterr().err == f"rollsim: error: argument {flag}: no such file: {tmp_path / 'nope.yaml'}\n"
    assert main(["plan", "--window", "30m", *argv[1:]]) == 2
    assert capsys.readouterr().err.startswith(f"rollsim: error: argument {flag}: no such file")


def test_a_healthy_rollout_with_the_default_timings_is_not_called_stalled() -> None:
    """The default Ready time has a straggler tail; with seed 17 one pod of 1,000 takes about
    50 minutes. The stall detector's old default, half an hour, called that healthy rollout
    stalled (1 of seeds 0-399 does so); the default of an hour waits for it, and
    a half hour asked for still says why it stopped.
    """
    scenario = build_scenario(nodes=1000, max_unavailable="10%")
    s = simulate(scenario, seed=17).summary
    assert s["completed"] and s["duration_s"] > 3600
    cut = simulate(build_scenario(nodes=1000, max_unavailable="10%", stall_after=1800), seed=17).summary
    assert not cut["completed"] and "a slow straggler: a longer stall_after would wait for it" in cut["stop_detail"]


def test_an_empty_cluster_is_refused_unless_meant(capsys) -> None:
    """A cluster of 0 nodes "completed" in 0 s, like a DaemonSet that matches no node: refused,
    naming the node count, unless allow_no_nodes says it is meant (or nodes join later)."""
    with pytest.raises(OptionError, match="the cluster has no nodes") as err:
        build_scenario(nodes=0)
    assert err.value.options == ("nodes",)
    assert build_scenario(nodes=0, allow_no_nodes=True).nodes == ()
    assert build_scenario(nodes=0, add_nodes="5@10").nodes == ()
    assert main(["simulate", "--nodes", "0"]) == 2
    assert one_error_line(capsys).startswith("rollsim: error: argument --nodes: the cluster has no nodes")


def test_every_node_not_ready_is_refused_unless_meant(tmp_path, capsys) -> None:
    """Every node NotReady: the rollout "completed" at once with 100 old pods left as they were (audit
    item 5). Refused as a cluster with no node is, naming the flag, unless allow_no_nodes says it is
    meant; then the summary says nothing was updated."""
    with pytest.raises(OptionError, match="all 100 nodes that hold the DaemonSet's old pod are NotReady") as err:
        build_scenario(nodes=100, not_ready_nodes=100)
    assert err.value.options == ("not_ready_nodes",) and "(--allow-no-nodes)" in str(err.value)
    assert build_scenario(nodes=100, not_ready_nodes=99).not_ready_nodes == 99  # one left Ready: a rollout
    assert build_scenario(nodes=100, not_ready_nodes=100, add_nodes="5@10").nodes  # nodes that join run it
    assert main(["simulate", "--nodes", "100", "--not-ready-nodes", "100"]) == 2
    one_error_line(capsys, "rollsim: error: argument --not-ready-nodes: all 100 nodes that hold the DaemonSet's old "
                           "pod are NotReady", "(--allow-no-nodes) if that is intended")
    nodes = tmp_path / "nodes.json"  # a node list whose nodes are all NotReady: the same error, for the list
    assert main(["make-nodes", "3", "--control-plane", "0", "--not-ready", "3", "--out-file", str(nodes)]) == 0
    capsys.readouterr()
    assert main(["simulate", "--nodes-file", str(nodes)]) == 2
    one_error_line(capsys, "argument --nodes-file: all 3 nodes that hold the DaemonSet's old pod are NotReady")
    assert main(["simulate", "--nodes", "100", "--not-ready-nodes", "100", "--allow-no-nodes"]) == 0
    out = capsys.readouterr().out
    assert ", with nothing updated: the DaemonSet had no Ready node to update\n" in out  # not a bare "yes"
    assert main(["simulate", "--nodes", "10"]) == 0  # a rollout that updated nodes says no such thing
    assert "nothing updated" not in capsys.readouterr().out
    assert main(["simulate", "--nodes", "0", "--add-nodes", "3@10"]) == 0  # the nodes join after it completed
    assert ("with nothing updated: the DaemonSet had no Ready node to update (the 3 nodes that join from 10s get "
            "its new revision when they join, after the rollout completed" in capsys.readouterr().out)


def test_with_every_new_pod_faulty_no_node_could_be_updated(capsys) -> None:
    """Every new pod crash-loops: no node could be updated (``healthy_nodes`` 0, and ``healthy_done_s``
    0: nothing to wait for), and the console says so, where it said "all updated by 0s" beside
    "0 nodes of 10 updated"; one healthy node among them is waited for as before."""
    from rollsim.cli import main

    s = simulate(build_scenario(nodes=10, max_unavailable="100%", new_pods="crashloop", stall_after=300,
                                **FAST)).summary
    assert s["healthy_nodes"] == 0 and s["healthy_done_s"] == 0.0 and not s["completed"]
    some = simulate(build_scenario(nodes=10, max_unavailable="100%", new_pods="crashloop:0.5", stall_after=300,
                                   **FAST)).summary
    assert 0 < some["healthy_nodes"] < 10 and some["healthy_done_s"] > 0
    assert main(["simulate", "--nodes", "10", "--max-unavailable", "100%", "--new-pods", "crashloop",
                 "--stall-after", "300"]) == 0
    out = capsys.readouterr().out
    assert "healthy nodes      none could be updated (the stop line says why)" in out and "all updated" not in out


def test_the_run_table_does_not_call_an_slo_ok_that_no_run_completed_under(tmp_path, capsys) -> None:
    """The SLO's metrics can hold in a rollout that never finished (one crash-looping node holds
    maxUnavailable 1: 99% stay available): the console says the SLO held only until the runs were
    cut short, where it said "ok" beside 0/2 completed (audit 18)."""
    path = tmp_path / "exp.yaml"
    path.write_text(textwrap.dedent("""\
        name: cut
        scenario:
          cluster: {nodes: 20}
          strategy: {max_unavailable: 1}
          faults: {new_pods: crashloop}
          stall_after_s: 300
          timings: {schedule: 1, pull: 2, start: 3, ready: 4, terminate: 5, probe_period: 0}
        variants:
          - {name: bad}
        replications: 2
        slo: {min_available_fraction: 0.9}
        """), encoding="utf-8")
    assert main(["run", str(path), "--out-dir", str(tmp_path / "out"), "--workers", "1"]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.strip().startswith("bad"))
    assert "0/2" in row and row.rstrip().endswith("ok until cut short (2 of 2 did not complete)")
