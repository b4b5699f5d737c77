"""``rollsim simulate``: output, JSON, timeline file, and one-line errors with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from rollsim import build_scenario, simulate
from rollsim.cli import main
from rollsim.io.openmetrics import held

from helpers import one_error_line

IDEAL = ["--controller", "ideal", "--schedule", "1", "--pull", "2", "--start", "3", "--ready", "4",
         "--terminate", "5", "--probe-period", "0"]


def test_prints_a_readable_summary(capsys) -> None:
    assert main(["simulate", "--nodes", "20", "--max-unavailable", "5", *IDEAL]) == 0
    out = capsys.readouterr().out
    assert "20-node DaemonSet rollout" in out
    assert "maxUnavailable 5 (= 5)" in out
    assert "yes, in 1m00s (60.0 s)" in out  # ceil(20/5) x (5+1+2+3+4) s
    assert "min available      15 nodes (75.0%)" in out


def test_a_run_that_stops_says_when_as_a_completed_one_does(capsys) -> None:
    """The stop time reads as the duration does (1h00m00s), with its seconds grouped."""
    argv = ["simulate", "--nodes", "5", "--new-pods", "never-ready", "--stall-after", "3600", *IDEAL]
    assert main(argv) == 0
    assert "completed          no (stopped at 1h00m00s, 3,600.0 s)" in capsys.readouterr().out


def test_json_is_the_summary_dict_and_the_kubernetes_version(capsys) -> None:
    assert main(["simulate", "--nodes", "20", "--max-unavailable", "25%", "--json", *IDEAL]) == 0
    summary = json.loads(capsys.readouterr().out)
    expected = simulate(build_scenario(
        nodes=20, max_unavailable="25%", controller="ideal", schedule=1, pull=2, start=3, ready=4,
        terminate=5, probe_period=0)).summary
    assert summary.pop("kubernetes_version") == "1.37"  # whose controller rules the run followed
    assert summary == json.loads(json.dumps(expected))
    assert summary["duration_s"] == 60.0 and summary["completed"] is True


def test_on_delete_without_deleter_reports_not_completed(capsys) -> None:
    assert main(["simulate", "--nodes", "5", "--strategy", "OnDelete", "--json", *IDEAL]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["completed"] is False and summary["duration_s"] is None and summary["updated"] == 0


def test_timeline_csv_is_written(tmp_path, capsys) -> None:
    path = tmp_path / "timeline.csv"
    assert main(["simulate", "--nodes", "10", "--seed", "3", "--timeline", str(path)]) == 0
    written = pd.read_csv(path)
    result = simulate(build_scenario(nodes=10), seed=3)
    expected = held(result.timeline, result.summary["end_s"])  # a closing row: the status saw completion later
    assert len(expected) == len(result.timeline) + 1
    pd.testing.assert_frame_equal(written, expected, check_dtype=False)
    assert [p.name for p in tmp_path.iterdir()] == ["timeline.csv"]  # no temporary left


def test_timeline_parquet_and_json_hold_the_csvs_rows(tmp_path) -> None:
    """``--timeline x.parquet`` wrote CSV into it, which a Parquet reader then called corrupt; now the
    suffix names the format (``.json``: an array of rows), and all three hold the same table.
    """
    import json

    tables = {}
    for suffix in ("csv", "parquet", "json"):
        path = tmp_path / f"timeline.{suffix}"
        assert main(["simulate", "--nodes", "10", "--seed", "3", "-q", "--timeline", str(path)]) == 0
        tables[suffix] = (pd.read_csv(path) if suffix == "csv" else pd.read_parquet(path) if suffix == "parquet"
                          else pd.DataFrame(json.loads(path.read_text())))
    pd.testing.assert_frame_equal(tables["parquet"], tables["csv"], check_dtype=False)
    pd.testing.assert_frame_equal(tables["json"], tables["csv"], check_dtype=False, rtol=1e-14)


@pytest.mark.parametrize(
    ("args", "flag", "rule"),
    [
        (["--max-unavailable", "0"], "--max-unavailable/--max-surge", "cannot be 0 when maxSurge is 0"),
        (["--max-unavailable", "0%", "--max-surge", "0"], "--max-unavailable/--max-surge", "cannot be 0"),
        (["--max-unavailable", "2", "--max-surge", "1"], "--max-unavailable/--max-surge", "may not be set"),
        (["--max-surge", "150%"], "--max-surge", "greater than 100%"),
        (["--max-unavailable", "-1"], "--max-unavailable", "must not be negative"),
        (["--max-unavailable", "ten"], "--max-unavailable", "integer or a percent"),
        (["--min-ready-seconds", "-3"], "--min-ready-seconds", "at least 0"),
        (["--termination-grace-period-seconds", "x"], "--termination-grace-period-seconds", "must be a number"),
        (["--min-ready-seconds", "\u0661\u0660"], "--min-ready-seconds", "must be a number, got '\u0661\u0660'"),
        (["--registry-pull-rate", "\u0661\u0660/s"], "--registry-pull-rate", "must be a rate such as 10/s"),
        (["--probe-period", "1_0"], "--probe-period", "must be a number, got '1_0'"),  # float() reads it: Go does not
        (["--probe-period", "-1"], "--probe-period", "at least 0"),
        (["--nodes", "-5"], "--nodes", "non-negative integer"),
        (["--nodes", "\u0661\u0660"], "--nodes", "non-negative integer"),  # ASCII digits only, as in Go
        (["--nodes", "\u00b2"], "--nodes", "must be a non-negative integer, got '\u00b2'"),
        (["--seed", "1.5"], "--seed", "non-negative integer"),
        (["--horizon", "0"], "--horizon", "greater than 0"),
        (["--horizon", "1e16"], "--horizon", "at most 1e+15 s (about 31.7 million years, so that every simulated "
                                             "time fits a timeline's timestamps), got 1e+16"),
        (["--pull", "normal(3)"], "--pull", "unknown distribution 'normal'"),
        (["--ready", "lognormal(median=5, p95=1)"], "--ready", "p95"),
        (["--ready", "stragglers(median=1, p95=2, fraction=1, tail=1e308)"], "--ready",
         "the stragglers' p95, tail * p95 / median, must be a finite number"),
        (["--terminate", "__import__('os')"], "--terminate", ""),
        (["--strategy", "Recreate"], "--strategy", "invalid choice"),
        (["--controller", "fast"], "--controller", "invalid choice"),
        (["--deleter", "sometimes"], "--deleter", "none, batch:K"),
        (["--strategy", "OnDelete", "--deleter", "batch:\u0661\u0660"], "--deleter", "none, batch:K"),  # ASCII digits
        (["--add-nodes", "\u0661\u0660@60"], "--add-nodes", "must be N@T or N@T+D"),
        (["--deleter", "batch:3"], "--deleter", "only with strategy OnDelete"),
        (["--bogus"], "--bogus", "unrecognized"),
        (["--timeline-start", "nan"], "--timeline-start", "must be a time from 0001-01-01T00:00:00Z to "
                                                          "9999-12-31T23:59:59Z"),
        (["--timeline-start", "\u0661\u0660\u0660"], "--timeline-start", "not an ISO 8601 time or Unix seconds"),
        (["--timeline-start", "1_000"], "--timeline-start", "not an ISO 8601 time or Unix seconds"),
        (["--timeline-start", "inf"], "--timeline-start", "(Unix seconds -62135596800 to 253402300799)"),
        (["--timeline-start", "1e17"], "--timeline-start", "fit a sample's int64 timestamp; got '1e17'"),
        (["--timeline-start", "0001-01-01T00:00:00+01:00"], "--timeline-start", "must be a time from"),
        # audit 34: a CSV timeline is in seconds from the update; the flag was ignored without a word
        (["--timeline-start", "2024-01-01T00:00:00Z"], "--timeline-start",
         "applies only with --timeline PATH.prom or PATH.om"),
    ],
)
def test_bad_flags_give_one_line_and_exit_2(args, flag, rule, capsys, tmp_path) -> None:
    timeline = tmp_path / "t.csv"
    assert main(["simulate", *args, "--timeline", str(timeline)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert one_error_line(captured.err, flag, rule).startswith("rollsim: error: ")
    assert not timeline.exists()


@pytest.mark.parametrize(("flag", "value"), [("--horizon", "1e400"), ("--registry-error-rate", "nan"),
                                           ("--stall-after", "inf"), ("--node-utilization", "inf")])
def test_a_number_that_is_not_finite_is_refused_as_such(capsys, flag, value) -> None:
    """``--horizon 1e400`` (inf) said "must be greater than 0", and ``nan`` "must be at least 0": true of
    neither; the rule broken is that the number is not finite."""
    assert main(["simulate", "--nodes", "3", flag, value]) == 2
    one_error_line(capsys, f"argument {flag}: must be a finite number, got '{value}'")


def test_a_horizon_that_would_overflow_a_timelines_timestamps_is_refused(tmp_path, capsys) -> None:
    """A pod Ready after 1e17 s with a horizon past it: the .prom timestamps overflowed int64
    (garbage, a RuntimeWarning) and the samples were dropped or disordered. Every run ends at its
    horizon, so ``simulate``, ``run`` and ``plan`` bound it; at the bound the samples are right.
    """
    slow = ["--nodes", "3", "--ready", "1e17", "--stall-after", "1e18", "--controller", "ideal", "--schedule", "1",
            "--pull", "2", "--start", "3", "--terminate", "5", "--probe-period", "0"]
    prom = tmp_path / "t.prom"
    assert main(["simulate", *slow, "--horizon", "1e19", "--timeline", str(prom)]) == 2
    one_error_line(capsys, "argument --horizon: must be greater than 0 and at most 1e+15 s")
    assert not prom.exists()
    experiment = tmp_path / "far.yaml"
    experiment.write_text("name: far\nscenario:\n  cluster: {nodes: 3}\n  horizon_s: 1e19\n", encoding="utf-8")
    assert main(["run", str(experiment), "--out", str(tmp_path / "out")]) == 2
    one_error_line(capsys, f"{experiment}:4: scenario.horizon_s: must be greater than 0 and at most 1e+15 s")
    assert not (tmp_path / "out").exists()
    from rollsim.plan.constraints import Constraints
    from rollsim.plan.run import with_horizon
    from rollsim.spec.scenario import MAX_HORIZON_S

    # plan cuts its runs at 4 windows: at the bound, however long the window
    assert with_horizon(build_scenario(nodes=3), Constraints(window_s=1e300)).horizon_s == MAX_HORIZON_S

    assert main(["simulate", *slow, "--horizon", "1e15", "--timeline", str(prom), "--timeline-start",
                 "9999-12-31T23:59:59Z", "-q"]) == 0
    assert capsys.readouterr().err == ""
    stamps = [int(line.rsplit(" ", 1)[1]) for line in prom.read_text().splitlines()
              if line.startswith("rollsim_daemonset_updated_nodes")]
    start_ms = 253_402_300_799_000
    assert stamps == sorted(stamps) and start_ms == stamps[0] and stamps[-1] <= start_ms + 10**18


def test_missing_timeline_directory_is_a_usage_error(capsys, tmp_path) -> None:
    assert main(["simulate", "--nodes", "3", "--timeline", str(tmp_path / "no" / "t.csv")]) == 2
    assert "--timeline" in capsys.readouterr().err


def test_python_dash_m_runs_without_traceback() -> None:
    ok = subprocess.run([sys.executable, "-m", "rollsim", "simulate", "--nodes", "5", "--json"],
                        capture_output=True, text=True, check=False)
    assert ok.returncode == 0 and json.loads(ok.stdout)["nodes"] == 5
    bad = subprocess.run([sys.executable, "-m", "rollsim", "simulate", "--max-surge", "200%"],
                         capture_output=True, text=True, check=False)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and bad.stderr.count("\n") == 1


@pytest.mark.parametrize(("flags", "rule"), [
    (["--min-ready-seconds", "1.5"], "argument --min-ready-seconds: must be a whole number of seconds from 0 to "
                                     "2147483647 (an int32 in the API), got '1.5'"),
    (["--max-unavailable", "2147483648"], "argument --max-unavailable: must be at most 2147483647 (an int32 in the "
                                          "API), got '2147483648'"),
])
def test_values_the_api_server_refuses_are_refused(flags, rule, capsys) -> None:
    """spec.minReadySeconds and an IntOrString's integer are int32s: a manifest with 1.5 or 2^31
    was refused, the same value as a flag was simulated.
    """
    assert main(["simulate", "--nodes", "3", *flags]) == 2
    assert capsys.readouterr().err == f"rollsim: error: {rule}\n"


SHIPPED_MANIFEST = Path(__file__).parent.parent / "experiments" / "manifests" / "fluentd-elasticsearch.yaml"
DUPNAME = Path(__file__).parent / "data" / "manifests" / "dupname.yaml"  # fluent-bit in two namespaces


def _namespace_label(path: Path) -> str:
    """The ``namespace`` label of a ``--timeline x.prom`` exposition (every sample has the same)."""
    sample = next(line for line in path.read_text().splitlines() if line and not line.startswith("#"))
    return sample.split('namespace="', 1)[1].split('"', 1)[0]


def test_n_gives_a_manifest_without_a_namespace_its_namespace(tmp_path, capsys) -> None:
    """As ``kubectl apply -n logging -f``: helm template's output has no metadata.namespace, and -n
    supplies it (it was refused with a warning that the manifest's own namespace, default, stood).
    """
    text = SHIPPED_MANIFEST.read_text().replace("  namespace: kube-system\n", "")
    manifest = tmp_path / "helm.yaml"
    manifest.write_text(text)
    timeline = tmp_path / "t.prom"
    assert main(["simulate", "--manifest", str(manifest), "--nodes", "3", "-n", "logging", "--timeline",
                 str(timeline), *IDEAL]) == 0
    assert "namespace" not in capsys.readouterr().err
    assert _namespace_label(timeline) == "logging"
    assert main(["simulate", "--manifest", str(manifest), "--nodes", "3", "--timeline", str(timeline), *IDEAL]) == 0
    assert _namespace_label(timeline) == "default"


def test_n_against_the_manifest_s_own_namespace_is_refused_as_kubectl_refuses_it(capsys) -> None:
    assert main(["simulate", "--manifest", str(SHIPPED_MANIFEST), "--nodes", "3", "-n", "monitoring", *IDEAL]) == 2
    one_error_line(capsys, f"rollsim: error: {SHIPPED_MANIFEST}:10: metadata.namespace: the namespace from the "
                           "provided object 'kube-system' does not match the namespace 'monitoring' (-n/--namespace); "
                           "you must pass --namespace=kube-system (or no -n)")
    assert main(["simulate", "--manifest", str(SHIPPED_MANIFEST), "--nodes", "3", "-n", "Logs", *IDEAL]) == 2
    one_error_line(capsys, "rollsim: error: argument -n/--namespace: invalid namespace 'Logs': ")


@pytest.mark.parametrize("flags", [["--daemonset", "logging-canary/fluent-bit"],
                                   ["-n", "logging-canary", "--daemonset", "fluent-bit"],
                                   ["--daemonset", "fluent-bit", "--namespace", "logging-canary"],
                                   ["-n", "logging-canary"]])
def test_one_name_in_two_namespaces_is_picked_with_its_namespace(tmp_path, capsys, flags) -> None:
    """``kubectl get ds -A -o yaml`` with fluent-bit in two namespaces: NS/NAME, or -n NS, picks one."""
    timeline = tmp_path / "t.prom"
    assert main(["simulate", "--manifest", str(DUPNAME), "--nodes", "3", "--timeline", str(timeline), *flags,
                 *IDEAL]) == 0
    assert _namespace_label(timeline) == "logging-canary" and capsys.readouterr().err == ""


@pytest.mark.parametrize(("flags", "words"), [
    ([], "2 DaemonSets in this file (logging/fluent-bit, logging-canary/fluent-bit); choose one with "
         "--daemonset NAMESPACE/NAME, or -n NAMESPACE --daemonset NAME ("),
    (["--daemonset", "fluent-bit"], "with --daemonset NAMESPACE/NAME, or -n NAMESPACE --daemonset NAME"),
    (["--daemonset", "monitoring/fluent-bit"], "no DaemonSet named 'fluent-bit' in namespace 'monitoring' in this "
                                               "file; it has: logging/fluent-bit, logging-canary/fluent-bit"),
])
def test_one_name_in_two_namespaces_errors_say_what_picks_one(capsys, flags, words) -> None:
    assert main(["simulate", "--manifest", str(DUPNAME), "--nodes", "3", *flags, *IDEAL]) == 2
    one_error_line(capsys, f"rollsim: error: {DUPNAME}:", words)


@pytest.mark.parametrize(("flags", "warned"), [
    (["--strategy", "OnDelete", "--max-unavailable", "3"],
     ["argument --max-unavailable: ignored with strategy OnDelete"]),
    (["--max-surge", "10%", "--node-utilization", "0.9", "--requests-cpu", "2"],
     ["argument --requests-cpu: ignored: the nodes have no allocatable cpu or memory",
      "argument --node-utilization: ignored: the nodes have no allocatable cpu or memory"]),
])
def test_options_the_scenario_ignores_are_said_to_be(flags, warned, capsys) -> None:
    """A surge that cannot fit beside the other workloads "completed" on nodes of a count, which
    have no allocatable resources to fit it to: the flags that would decide it say they did nothing.
    """
    assert main(["simulate", "--nodes", "20", *flags, *IDEAL]) == 0
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == len(warned)
    assert all(line.startswith(f"rollsim: warning: {w}") for line, w in zip(lines, warned))


@pytest.mark.parametrize("version", ["v1.34", "1.34", "1.34.2", " 1.34 "])
def test_simulate_and_plan_accept_the_same_kubernetes_versions(tmp_path, capsys, version) -> None:
    """``v1.34`` was accepted by plan and refused by simulate as an invalid choice (audit item 16)."""
    assert main(["simulate", "--nodes", "3", "--kubernetes-version", version, "-o", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["kubernetes_version"] == "1.34"


@pytest.mark.parametrize("command", [["simulate", "--nodes", "3"], ["plan", "--nodes", "3"]])
def test_simulate_and_plan_refuse_a_version_with_one_message(capsys, command) -> None:
    assert main([*command, "--kubernetes-version", "1.32"]) == 2
    one_error_line(capsys, "rollsim: error: argument --kubernetes-version: must be a modelled version, 1.33 to 1.37, "
                           "got '1.32'")


@pytest.mark.parametrize(("argv", "hint"), [
    (["simulate", "--maxUnavailable", "2"], "; did you mean --max-unavailable?"),
    (["simulate", "--max_surge", "1"], "; did you mean --max-surge?"),
    (["plan", "--minReadySeconds=3"], "; did you mean --min-ready-seconds?"),
    (["simulate", "--maxUnavailable", "2", "--maxSurge", "1"],
     "; did you mean --maxUnavailable → --max-unavailable, --maxSurge → --max-surge?"),
])
def test_a_flag_spelled_as_kubernetes_spells_it_gets_a_hint(capsys, argv, hint) -> None:
    """Kubernetes users type the camelCase field names (audit item 19)."""
    assert main(argv) == 2
    assert one_error_line(capsys, "rollsim: error: unrecognized arguments: ").endswith(hint)


def test_a_flag_is_written_whole(capsys) -> None:
    """argparse took --min-ready for --min-ready-seconds silently; a prefix is now an unknown flag,
    with the flag it starts as the hint, and an unknown flag like no other gets none."""
    assert main(["simulate", "--nodes", "3", "--min-ready", "10"]) == 2
    assert one_error_line(capsys).endswith("unrecognized arguments: --min-ready 10; did you mean --min-ready-seconds?")
    assert main(["simulate", "--nodes", "3", "--bogus"]) == 2
    assert one_error_line(capsys).endswith("unrecognized arguments: --bogus")
