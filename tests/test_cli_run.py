"""``rollsim run``, ``plot`` and ``report`` end to end, through the CLI, into a temporary folder."""

from __future__ import annotations

import io
import json
import re
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from rollsim.cli import main

TINY = """\
name: tiny
description: surge against delete-first on a small cluster <b>&</b>
scenario:
  cluster: {nodes: 12}
  controller: {mode: ideal}
  timings: {schedule: 1, pull: 2, start: 3, ready: 4, terminate: 5, probe_period: 0}
variants:
  - {name: maxUnavailable 3, strategy.max_unavailable: 3}
  - {name: maxSurge 3, strategy.max_surge: 3, strategy.max_unavailable: 0}
replications: 2
seed: 1
slo:
  min_available_fraction: 0.9
"""


@pytest.fixture
def experiment(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


def test_run_writes_tables_figures_and_report(experiment, tmp_path, capsys) -> None:
    out = tmp_path / "out"
    assert main(["run", str(experiment), "--out", str(out), "--workers", "1"]) == 0
    printed = capsys.readouterr().out
    assert "4 runs simulated, 0 reused" in printed
    assert "recommendation: maxSurge 3 is the fastest configuration" in printed
    for name in ("runs.csv", "summary.csv", "timelines.parquet", "downtime.parquet", "experiment.yaml",
                 "manifest.json", "report.md", "report.html"):
        assert (out / name).is_file(), name
    assert sorted(p.name for p in (out / "figures").iterdir()) == [
        "availability.png", "downtime.png", "duration.png", "tradeoff.png"]
    summary = pd.read_csv(out / "summary.csv")
    # ideal mode, constant timings: ceil(12/3) x (5+1+2+3+4) s without surge
    assert summary.loc[0, "duration_s_mean"] == 60.0
    assert list(summary["slo_ok"]) == [False, True]  # 9/12 = 0.75 < 0.9; surge keeps 100%
    html = (out / "report.html").read_text()
    assert "<b>&</b>" not in html and "&lt;b&gt;&amp;&lt;/b&gt;" in html


def test_a_piped_run_says_at_once_what_it_starts_and_quiet_says_nothing(experiment, tmp_path, capsys) -> None:
    """A CI log showed nothing of a sweep for its first 30 s (audit 26): one line says it started."""
    out = tmp_path / "out"
    assert main(["run", str(experiment), "--out", str(out), "--workers", "1"]) == 0
    assert capsys.readouterr().err == "rollsim: tiny: 4 runs to simulate; a line every 30s\n"
    assert main(["run", str(experiment), "--out", str(out), "--workers", "1", "--force", "-q"]) == 0
    assert capsys.readouterr() == ("", "")


def test_a_second_run_does_no_work(experiment, tmp_path, capsys) -> None:
    out = tmp_path / "out"
    assert main(["run", str(experiment), "--out", str(out), "--workers", "1"]) == 0
    before = (out / "summary.csv").stat().st_mtime_ns
    capsys.readouterr()
    assert main(["run", str(experiment), "--out", str(out)]) == 0
    out_text = capsys.readouterr().out
    assert "0 runs simulated, 4 reused from an earlier run (nothing to simulate; --force runs them again)" in out_text
    assert_columns_line_up(out_text)
    assert (out / "summary.csv").stat().st_mtime_ns == before


@pytest.mark.slow  # moved to CI's second lane, which has room (5-11 s each)
def test_runs_of_a_configuration_no_longer_there_are_counted_and_kept(experiment, tmp_path, capsys) -> None:
    """After a configuration went, its saved runs stayed in runs/ without a word; now the run says
    how many there are and what removes them (and keeps them: the configuration may come back)."""
    out = tmp_path / "out"
    assert main(["run", str(experiment), "--out", str(out), "--workers", "1", "-q"]) == 0
    experiment.write_text(TINY.replace("  - {name: maxSurge 3, strategy.max_surge: 3, strategy.max_unavailable: 0}\n",
                                       ""))
    capsys.readouterr()
    assert main(["run", str(experiment), "--out", str(out), "--workers", "1"]) == 0
    captured = capsys.readouterr()
    assert "0 runs simulated, 2 reused" in captured.out
    assert captured.err.splitlines() == [
        f"rollsim: warning: {out / 'runs'}: 2 saved runs belong to no configuration of 'tiny' now (a setting of "
        "theirs, or what an input file says, changed) (kept, in case they come back: they are in no table); --force "
        "removes them, and simulates every run again"]
    assert len(list((out / "runs").glob("*.json"))) == 4
    assert main(["run", str(experiment), "--out", str(out), "-o", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["runs"] == {"total": 2, "simulated": 0, "reused": 2, "stale": 2}
    assert main(["run", str(experiment), "--out", str(out), "--workers", "1", "--force"]) == 0
    assert "warning" not in capsys.readouterr().err
    assert len(list((out / "runs").glob("*.json"))) == 2
    experiment.write_text(experiment.read_text().replace("replications: 2", "replications: 1"))
    assert main(["run", str(experiment), "--out", str(out), "--workers", "1"]) == 0
    assert capsys.readouterr().err.splitlines() == [  # the same configuration: replications it no longer asks for
        f"rollsim: warning: {out / 'runs'}: 1 saved run is a replication beyond those their configurations ask for "
        "now (replications: 1) (kept, in case they come back: they are in no table); --force removes them, and "
        "simulates every run again"]


def _stale_line(capsys) -> str:
    [line] = [line for line in capsys.readouterr().err.splitlines() if "saved run" in line]
    return line


@pytest.mark.slow  # moved to CI's second lane, which has room (5-11 s each)
def test_stale_runs_are_said_to_be_of_the_change_that_made_them_so(experiment, tmp_path, capsys,
                                                                  monkeypatch) -> None:
    """After the root seed alone changed, the warning said the saved runs were "replications beyond
    those their configurations ask for now", and after rollsim's model version changed, that a
    setting or an input file had (audit 26). Each now names what changed; "beyond" is said only of
    runs the experiment would make but for its replications.
    """
    from rollsim.spec import model_version

    out = tmp_path / "out"
    argv = ["run", str(experiment), "--out", str(out), "--workers", "1"]
    keep = "(kept, in case they come back: they are in no table); --force removes them, and simulates every run again"
    assert main(argv) == 0
    experiment.write_text(TINY.replace("seed: 1", "seed: 2"))
    capsys.readouterr()
    assert main(argv) == 0
    assert _stale_line(capsys) == (f"rollsim: warning: {out / 'runs'}: 4 saved runs were simulated with another seed "
                                   f"(the experiment's seed changed) {keep}")
    experiment.write_text(TINY.replace("seed: 1", "seed: 2").replace("replications: 2", "replications: 1"))
    assert main(argv) == 0  # seed 1's runs are still of another seed; seed 2's replication 1 is beyond
    assert _stale_line(capsys) == (f"rollsim: warning: {out / 'runs'}: 4 saved runs were simulated with another seed "
                                   "(the experiment's seed changed); 2 saved runs are replications beyond those their "
                                   f"configurations ask for now (replications: 1) {keep}")
    experiment.write_text(TINY)
    assert main([*argv, "--force"]) == 0
    capsys.readouterr()
    monkeypatch.setattr(model_version, "MODEL_VERSION", model_version.MODEL_VERSION + 1)
    assert main(argv) == 0
    assert _stale_line(capsys) == (f"rollsim: warning: {out / 'runs'}: 4 saved runs were simulated by rollsim's model "
                                   f"version {model_version.MODEL_VERSION - 1} (this rollsim's is "
                                   f"{model_version.MODEL_VERSION}) {keep}")
    assert main(["run", str(experiment), "--out", str(out), "-o", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["runs"] == {"total": 4, "simulated": 0, "reused": 4, "stale": 4}
    monkeypatch.undo()
    for record in (out / "runs").glob("*.json"):  # as rollsim wrote them before runs recorded their model version
        data = json.loads(record.read_text())
        if data.pop("model_version") == model_version.MODEL_VERSION + 1:
            record.write_text(json.dumps(data))
    assert main(argv) == 0
    assert _stale_line(capsys) == (f"rollsim: warning: {out / 'runs'}: 4 saved runs belong to no configuration of "
                                   "'tiny' now (a setting of theirs, what an input file says, or rollsim's model "
                                   f"version changed) {keep}")


PARTLY = """\
name: partly
scenario:
  cluster: {nodes: 12}
  controller: {mode: ideal}
  timings: {schedule: 1, pull: 2, start: 3, ready: 4, terminate: 5, probe_period: 0}
  stall_after_s: 300
variants:
  - {name: flaky, faults.new_pods: "crashloop:0.1"}
  - {name: healthy}
replications: 6
seed: 1
"""


def test_a_duration_over_the_completed_runs_only_is_marked_in_the_console_as_in_the_report(tmp_path, capsys) -> None:
    """The console's 'duration (mean)' of a configuration that completed 1 run of 6 was that run's,
    unmarked; the console and the report now mark it, with one note under each table."""
    path = tmp_path / "partly.yaml"
    path.write_text(PARTLY)
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--workers", "1", "-o", "wide"]) == 0
    lines = capsys.readouterr().out.splitlines()
    flaky = next(line for line in lines if line.startswith("  flaky"))
    healthy = next(line for line in lines if line.startswith("  healthy"))
    # the mean and the p95, and the availability, node-seconds and surge over the same run (mixed)
    assert "1/6" in flaky and flaky.count("*") == 5
    assert "6/6" in healthy and "*" not in healthy
    note = ("* duration and the figures beside it over the runs that completed only: a run that did not complete "
            "has no duration, so the "
            "slowest outcomes are left out (such a configuration is never recommended)")
    assert lines[lines.index(healthy) + 1] == f"  {note}"
    report = (out / "report.md").read_text()
    row = next(line for line in report.splitlines() if line.startswith("| flaky |"))
    assert re.search(r"\| 1/6 \| \d+m\d\ds\* \(.*?\) \| \d+m\d\ds\* \|", row), row
    assert "| healthy |" in report and "*" not in next(x for x in report.splitlines() if x.startswith("| healthy |"))
    assert "\nEach row's figures are over one set of runs, the one its durations are over" in report
    assert "Figures marked * are over the runs that completed only: a run that did not complete" in report


def assert_columns_line_up(printed: str) -> None:
    head, *rows = printed.splitlines()[1:4]  # each k/n stands under "completed"
    start = head.index("completed")
    assert all(start <= row.index("/") < start + len("completed") for row in rows), printed


def test_short_labels_line_up_under_the_header(tmp_path, capsys) -> None:
    path = tmp_path / "short.yaml"
    path.write_text(TINY.replace("name: maxUnavailable 3", "name: mu").replace("name: maxSurge 3", "name: ms"))
    assert main(["run", str(path), "--out", str(tmp_path / "out"), "--workers", "1"]) == 0
    assert_columns_line_up(capsys.readouterr().out)


def test_plot_and_report_redraw_from_saved_results(experiment, tmp_path, capsys) -> None:
    out = tmp_path / "out"
    assert main(["run", str(experiment), "--out", str(out), "--workers", "1"]) == 0
    for png in (out / "figures").iterdir():
        png.unlink()
    (out / "report.md").unlink()
    (out / "runs").rename(tmp_path / "moved")  # plots and reports need only the saved tables
    assert main(["plot", str(out)]) == 0
    assert len(list((out / "figures").iterdir())) == 4
    assert main(["report", str(out)]) == 0
    assert (out / "report.md").read_text().startswith("# rollsim report: tiny")


def test_bad_experiment_is_one_line_exit_2_and_writes_nothing(tmp_path, capsys) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(textwrap.dedent("""\
        name: bad
        grid:
          strategy.max_unavailable: [1, 200%]
        """))
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"rollsim: error: {path}:3: grid.strategy.max_unavailable[1]: "
                   "a percent must not be greater than 100%, got '200%'"]
    assert not out.exists()


@pytest.mark.parametrize(("study", "items", "line", "rule"), [
    ("variants:\n  - {name: v, image.node_bandwidth: 20MB/s}\n", "  - {name: z, node_bandwidth: 10MB/s}\n",
     ":6: scenario.also[0].node_bandwidth", "20MB/s as image.node_bandwidth gives"),
    ("", "  - {name: z, node_bandwidth: 10MB/s}\n  - {name: a, node_bandwidth: 20MB/s}\n",
     ":6: scenario.also[0].node_bandwidth", "20MB/s as item 1 (a) gives"),
])
def test_an_also_item_that_contradicts_the_nodes_link_names_its_line_and_the_link(tmp_path, monkeypatch, capsys,
                                                                                  study, items, line, rule) -> None:
    """The node's one link is decided by the scenario (``Scenario.node_bandwidth``); the error names
    the item's line and which setting gave the link first (a variant's image.node_bandwidth, or the
    item that comes first in namespace/name order), where it said only 'as already given'.
    """
    monkeypatch.chdir(tmp_path)  # a file name as a user gives it: the whole line fits in 300 characters
    path = Path("link.yaml")
    path.write_text(f"name: link\nscenario:\n  image: {{size: 1GB}}\n  cluster: {{nodes: 3}}\n  also:\n{items}{study}")
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--workers", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"rollsim: error: {path}{line}: must be the node's one link, {rule}, or be left out: every "
                   "DaemonSet's pulls on a node share its link (give it once, as image.node_bandwidth); got 10MB/s"]
    assert not out.exists()


def test_two_experiments_of_one_name_are_named_with_their_files(experiment, tmp_path, capsys) -> None:
    other = tmp_path / "tiny_other.yaml"
    other.write_text(TINY.replace("seed: 1", "seed: 2"))
    out = tmp_path / "out"
    assert main(["run", str(experiment), str(other), "--out", str(out)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"rollsim: error: {experiment}:1 and {other}:1: name: both experiments are named 'tiny', so their results "
        "would go to one folder; rename one"]
    assert main(["run", str(experiment), str(experiment), "--out", str(out)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"rollsim: error: argument EXPERIMENT.yaml: {experiment} is given twice; give each experiment file once"]
    assert not out.exists()


def test_every_folder_is_checked_before_the_first_run(experiment, tmp_path, capsys) -> None:
    """With several experiments, a folder the second may not use was found only after the first had
    run (and exit 2 says nothing was written): the folders are all checked first."""
    from rollsim.sweep.folder import locked

    second = tmp_path / "second.yaml"
    second.write_text(TINY.replace("name: tiny", "name: second"))
    out = tmp_path / "m"
    (out / "second").mkdir(parents=True)
    (out / "second" / "report.md").write_text("mine\n")  # a user's folder
    assert main(["run", str(experiment), str(second), "--out-dir", str(out), "--workers", "1"]) == 2
    assert "m/second is not empty (report.md) and it holds no rollsim results" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["second"]  # tiny did not run

    (out / "second" / "report.md").unlink()
    with locked(out / "second"):  # another sweep holds it
        assert main(["run", str(experiment), str(second), "--out-dir", str(out), "--workers", "1"]) == 1
    assert "m/second is in use by another rollsim command (run, plan, report or plot) (pid" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["second"]


def test_contradictory_executor_options_are_rejected(experiment, tmp_path, capsys) -> None:
    out = tmp_path / "out"
    assert main(["run", str(experiment), "--out", str(out), "--workers", "2",
                 "--scheduler", "tcp://127.0.0.1:1"]) == 2
    assert "scheduler" in capsys.readouterr().err
    assert not out.exists()


def test_report_of_a_folder_that_is_not_results(tmp_path, capsys) -> None:
    assert main(["report", str(tmp_path)]) == 2
    assert "not a finished results folder" in capsys.readouterr().err


def test_daemonsets_updated_together_in_the_report(tmp_path, capsys) -> None:
    path = tmp_path / "cp.yaml"
    path.write_text(textwrap.dedent("""\
        name: cp
        scenario: {cluster: {nodes: 30}, strategy: {max_unavailable: 20%}}
        variants:
          - {name: alone}
          - {name: together, also: [{name: calico-node, max_unavailable: 20%}]}
        replications: 1
        """))
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--workers", "1"]) == 0
    runs = pd.read_csv(out / "runs.csv")
    assert runs["calico-node.duration_s"].isna().tolist() == [True, False]
    report = (out / "report.md").read_text()
    assert "## DaemonSets updated together" in report
    # each DaemonSet named namespace/name, as the study's is and "What was simulated" names them (audit H9)
    assert "| kube-system/calico-node |" in report and "| calico-node |" not in report


def test_another_daemonset_that_never_completes_is_in_the_report(tmp_path) -> None:
    """``b`` surges with a host port its old pod holds: its new pods stay Pending and the run
    stops on its stall. The report and runs.csv say so (its row was left out, "completed in
    every replication" stood alone), and the study's DaemonSet, complete by then, is not "stalled".
    """
    path = tmp_path / "mf.yaml"
    path.write_text(textwrap.dedent("""\
        name: mf
        scenario:
          cluster: {nodes: 20}
          strategy: {max_unavailable: 10%}
          controller: {mode: ideal}
          stall_after_s: 200
        variants:
          - {name: alone}
          - name: two
            also: [{name: b, max_unavailable: 0, max_surge: 2, host_ports: "9100"}]
        replications: 1
        """))
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--workers", "1", "-q"]) == 0
    runs = pd.read_csv(out / "runs.csv").set_index("label")
    assert runs.loc["two", "b.stop_cause"] == "pending-host-port" and not runs.loc["two", "b.completed"]
    assert runs.loc["two", "completed"] and not runs.loc["two", "stalled"]
    report = (out / "report.md").read_text()
    assert "|  | kube-system/b | 0/1 | did not complete |" in report
    assert report.count("b, updated together with two, did not complete in 1 of 1 replications: ") == 2
    assert "b, updated together with alone" not in report


def test_the_report_says_whose_figures_it_gives_and_the_whole_updates(tmp_path) -> None:
    """Audit 19: with another DaemonSet updated at once, the results table, findings and SLO are
    the study's DaemonSet's alone. The report says so; its per-DaemonSet table gives each one's
    unavailable node-hours and lowest availability and the whole update's row (duration the
    longest DaemonSet's, node-hours the sum); the SLO line names another DaemonSet whose own
    figures break it in the recommended configuration (slowb: 20 nodes one at a time, 14 s each:
    about 4m40s against a 1-minute SLO the study's 10 s rollout meets); and an item on no node
    reads "on no node", not a duration.
    """
    path = tmp_path / "slo.yaml"
    path.write_text(textwrap.dedent("""\
        name: slo
        scenario:
          cluster:
            pools: [{name: gpu, count: 20, taints: [{key: gpu, value: "true", effect: NoSchedule}]}]
          daemonset: {tolerations: [{key: gpu, operator: Exists}]}
          controller: {mode: ideal}
          timings: {schedule: 1, pull: 1, start: 1, ready: 1, terminate: 1, probe_period: 0}
          also:
            - {name: slowb, max_unavailable: 1, schedule: 1, pull: 1, start: 1, ready: 10, terminate: 1,
               probe_period: 0, tolerations: [{key: gpu, operator: Exists}]}
            - {name: nob, allow_no_nodes: true}  # tolerates no taint: on no node
        variants:
          - {name: mu50, strategy.max_unavailable: 50%}
          - {name: mu25, strategy.max_unavailable: 25%}
        slo: {max_duration_s: 60, min_available_fraction: 0.5}
        replications: 2
        """))
    out = tmp_path / "out"
    assert main(["run", str(path), "--out-dir", str(out), "--workers", "1", "-q"]) == 0
    runs = pd.read_csv(out / "runs.csv")
    report = (out / "report.md").read_text()
    assert "It judges kube-system/" in report and "own rollout, not the other DaemonSets updated with it" in report
    slowb = runs["slowb.duration_s"].max()
    assert 270 < slowb < 290
    assert re.search(r"\*\*In mu50, kube-system/slowb's duration_s was 4m[34]\ds \(worst over its replications\), "
                     r"against ≤ 1m00s\.\*\*", report)
    assert "**Use mu50.**" in report
    mu50 = runs[runs["label"] == "mu50"]
    hours = (mu50["unavailable_node_seconds"] + mu50["slowb.unavailable_node_seconds"]).mean() / 3600
    longest = mu50[["duration_s", "slowb.duration_s"]].max(axis=1).mean()
    whole = next(line for line in report.splitlines() if "| the whole update |" in line)  # mu50's, the first
    assert whole.split(" | ")[2:5] == ["2/2", f"{int(longest // 60)}m{int(longest % 60):02d}s", f"{hours:.1f}"]
    assert report.count("|  | kube-system/nob | 2/2 | on no node |") == 2
    assert "(the study's own DaemonSet)" in report  # the findings say whose they are


def test_a_configuration_whose_other_daemonset_did_not_complete_is_not_recommended(tmp_path, capsys) -> None:
    """The study's DaemonSet completes in both configurations, ``b`` (updated with it) in neither:
    the console says so per configuration, the findings say so first, and neither configuration
    is "the fastest configuration that completed in every replication".
    """
    path = tmp_path / "mf.yaml"
    path.write_text(textwrap.dedent("""\
        name: mf
        scenario:
          cluster: {nodes: 20}
          controller: {mode: ideal}
          stall_after_s: 200
          also: [{name: b, max_unavailable: 0, max_surge: 2, host_ports: "9100"}]
        grid: {strategy.max_unavailable: [1, 10%]}
        replications: 1
        """))
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--workers", "1"]) == 0
    console = capsys.readouterr().out
    assert "  other DaemonSets updated together that did not complete every run:" in console
    assert "    maxUnavailable 1: b completed 0/1 (" in console
    assert "    maxUnavailable 10%: b completed 0/1 (" in console
    assert "completed in every replication (no SLO given)" not in console
    assert "0/1 counting the DaemonSets updated with it" in console
    report = (out / "report.md").read_text()
    findings = report.split("## Findings\n\n")[1].splitlines()
    assert findings[0] == ("- Not every DaemonSet of the update completed in every replication: b did not, updated "
                           "together with maxUnavailable 1 (0/1), maxUnavailable 10% (0/1).")
    assert "completed in every replication (the study's own DaemonSet)" in findings[1]
    assert "Fastest that completed every run" not in report and "Pareto front (no" not in report


ALSO_ON_DELETE = """\
name: also-od
scenario:
  cluster: {nodes: 6}
  controller: {mode: ideal}
  timings: {schedule: 1, pull: 2, start: 3, ready: 4, terminate: 5, probe_period: 0}
  stall_after_s: 120
  also:
    - {name: od, strategy: OnDelete}
grid:
  strategy.max_unavailable: [2, 3]
replications: 1
seed: 1
slo:
  min_available_fraction: 0.5
"""


def test_machine_outputs_count_every_daemonset_of_the_update(tmp_path) -> None:
    """Audit H4: summary.csv and -o json said "completed 1/1, slo_ok true" of configurations whose
    other DaemonSet (OnDelete, nothing deleting) never completed, while the recommendation said
    none was safe. Both now carry the whole update's count and what the recommendation uses.
    """
    from rollsim.api import load_experiment
    from rollsim.present.console_run import run_document
    from rollsim.sweep.results import load_results
    from rollsim.sweep.runner import run_experiment

    path = tmp_path / "also-od.yaml"
    path.write_text(ALSO_ON_DELETE)
    out = tmp_path / "out"
    report = run_experiment(load_experiment(path), out, executor="serial", progress=False)
    document = run_document(load_results(out), (out / "report.md", out / "report.html"), report)
    assert document["recommendation"].startswith("no configuration is safe to recommend")
    for row in document["configurations"]:
        assert (row["completed"], row["update_completed"], row["update_completed_fraction"]) == (1, 0, 0.0)
        assert row["slo_ok"] is True and row["recommendable"] is False
        assert row["others"] == {"od": {"completed": 0, "runs": 1}}
    summary = pd.read_csv(out / "summary.csv")
    assert summary["update_completed"].tolist() == [0, 0] and summary["od.completed"].tolist() == [0, 0]
    assert summary["recommendable"].tolist() == [False, False]
    # a summary.csv written before these columns were kept: -o json computes them from runs.csv
    older = summary.drop(columns=["update_completed", "update_completed_fraction", "od.completed", "recommendable"])
    older.to_csv(out / "summary.csv", index=False)
    again = run_document(load_results(out), (out / "report.md", out / "report.html"), report)
    assert again["configurations"] == document["configurations"]


def test_the_report_names_the_default_daemonset_as_the_default(tmp_path) -> None:
    """Without a manifest the DaemonSet is the built-in default, named as the classic fluentd one but with
    none of its settings: the report said "kube-system/fluentd-elasticsearch" as if that manifest were used
    (audit item 18). With the manifest, its name alone."""
    manifest = Path(__file__).resolve().parent.parent / "experiments" / "manifests" / "fluentd-elasticsearch.yaml"
    for name, daemonset, row in (
            ("plain", "", "| DaemonSet | kube-system/fluentd-elasticsearch: the default DaemonSet (no manifest) |"),
            ("fluentd", f"  daemonset: {{manifest: {manifest}}}\n",
             "| DaemonSet | kube-system/fluentd-elasticsearch |")):
        path = tmp_path / f"{name}.yaml"
        path.write_text(f"name: {name}\nscenario:\n  cluster: {{nodes: 5}}\n  controller: {{mode: ideal}}\n{daemonset}"
                        "replications: 1\n", encoding="utf-8")
        out = tmp_path / name
        assert main(["run", str(path), "--out", str(out), "--workers", "1", "-q"]) == 0
        assert row in (out / "report.md").read_text(encoding="utf-8")


def test_run_keeps_an_experiment_read_from_standard_input_byte_for_byte(tmp_path, capsys, monkeypatch) -> None:
    """``rollsim run -`` kept nothing of the file it read: ``experiment.yaml`` holds the experiment resolved
    (``source: <stdin>``), and the pipe is gone once read. The folder keeps it in ``inputs/``, as read,
    ``manifest.json`` and the report say where, and the kept file repeats the sweep; a run of a file into
    the folder removes it with the tables it came with.
    """
    piped = b"\xef\xbb\xbf# piped in\r\n" + TINY.replace("\n", "\r\n").encode()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(piped)))
    out = tmp_path / "out"
    assert main(["run", "-", "--out-dir", str(out), "--workers", "1", "-q"]) == 0
    kept = out / "inputs" / "stdin-experiment.yaml"
    assert kept.read_bytes() == piped and [p.name for p in kept.parent.iterdir()] == [kept.name]
    assert json.loads((out / "manifest.json").read_text())["stdin"] == {"experiment": "inputs/stdin-experiment.yaml"}
    assert "| experiment file | &lt;stdin> (kept as inputs/stdin-experiment.yaml) |" in (out / "report.md").read_text()
    again = tmp_path / "again"
    assert main(["run", str(kept), "--out-dir", str(again), "--workers", "1", "-q"]) == 0
    assert (again / "runs.csv").read_bytes() == (out / "runs.csv").read_bytes() and not (again / "inputs").exists()
    copy = tmp_path / "tiny.yaml"
    copy.write_bytes(piped)
    assert main(["run", str(copy), "--out-dir", str(out), "--workers", "1", "-q"]) == 0  # the runs reused
    assert not (out / "inputs").exists() and "stdin" not in json.loads((out / "manifest.json").read_text())


def test_a_swept_priority_is_not_contradicted_by_a_common_no_class_row(tmp_path) -> None:
    """Audit 20: disk-pressure's setup table said "priorityClassName | none" among the settings
    common to all configurations while its results named two of them system-node-critical (the
    priority swept, which labels name by the class that has it)."""
    path = tmp_path / "p.yaml"
    path.write_text(textwrap.dedent("""\
        name: p
        scenario: {cluster: {nodes: 5}, controller: {mode: ideal}}
        grid: {daemonset.priority: [0, 2000001000]}
        replications: 1
        """))
    out = tmp_path / "out"
    assert main(["run", str(path), "--out-dir", str(out), "--workers", "1", "-q"]) == 0
    report = (out / "report.md").read_text()
    assert "| system-node-critical |" in report
    assert "| priorityClassName |" not in report


def test_a_choice_best_or_tied_under_every_condition_is_named(tmp_path) -> None:
    """Audit 20: disk-pressure recommended priority 0 without pressure (tied with system-node-critical)
    and system-node-critical with it; no one knows the condition ahead, and the one choice that holds
    under both went unsaid. One node under disk pressure: a priority-0 surge pod is rejected again
    and again and the rollout never completes; a critical one is admitted."""
    path = tmp_path / "ev.yaml"
    path.write_text(textwrap.dedent("""\
        name: ev
        scenario:
          cluster: {nodes: 10}
          controller: {mode: ideal}
          strategy: {max_unavailable: 0, max_surge: 1}
          timings: {schedule: 1, pull: 1, start: 1, ready: 1, terminate: 1, probe_period: 0}
          stall_after_s: 600
        grid:
          daemonset.priority: [0, 2000001000]
          cluster.disk_pressure_nodes: [[], ["1@0"]]
        decisions: [daemonset.priority]
        replications: 1
        """))
    out = tmp_path / "out"
    assert main(["run", str(path), "--out-dir", str(out), "--workers", "1", "-q"]) == 0
    report = (out / "report.md").read_text()
    assert "**With no disk pressure: use priority 0.**" in report  # the tie broken by label
    assert "**With 1 node under disk pressure from the start: use system-node-critical.**" in report
    # each condition's recommendation gives its whole strategy, and what its surge does with a bad image
    assert report.count("**Apply it as** `updateStrategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 0, "
                        "maxSurge: 1}}`. With maxUnavailable 0 the controller deletes a node's old pod only once its "
                        "new one is available") == 2
    assert "**Whatever the condition: use system-node-critical.** It is the recommendation, or tied with it" in report
