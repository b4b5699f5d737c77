"""The command line as kubectl users drive it: ``-o json|yaml|wide|name`` on every command that
prints a result, ``-q``, ``-`` for standard input, a bare ``rollsim``, completion, a light start."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml
from rollsim import build_scenario, simulate
from rollsim.cli import main

from kubeexport import export_events, export_pods

ROOT = Path(__file__).resolve().parents[1]
IDEAL = ["--controller", "ideal", "--schedule", "1", "--pull", "2", "--start", "3", "--ready", "4",
         "--terminate", "5", "--probe-period", "0"]
TINY = """\
name: tiny
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


def _parse(text: str, fmt: str):
    return json.loads(text) if fmt == "json" else yaml.safe_load(text)


def _rollsim(*args: str, stdin: str | None = None, cwd: Path | None = None, env: dict | None = None):
    """``python -m rollsim ARGS`` in a subprocess, with this checkout first on the path."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "rollsim", *args], input=stdin, capture_output=True, text=True,
                          cwd=cwd, env=environment, timeout=300)


@pytest.fixture(scope="module")
def kubectl_files(tmp_path_factory) -> tuple[Path, Path]:
    """``kubectl get pods -o json`` and ``get events -o json`` of a known 60-node rollout."""
    folder = tmp_path_factory.mktemp("kubectl")
    rollout = simulate(build_scenario(nodes=60, controller="ideal", max_unavailable="10%", probe_period=0,
                                      pull="lognormal(median=4, p95=9)", start=2, ready=3), seed=2)
    pods, events = folder / "pods.json", folder / "events.json"
    pods.write_text(json.dumps(export_pods(rollout)))
    events.write_text(json.dumps(export_events(rollout)))
    return pods, events


@pytest.fixture(scope="module")
def results_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("run")
    (folder / "tiny.yaml").write_text(TINY)
    assert main(["run", str(folder / "tiny.yaml"), "--out-dir", str(folder / "out"), "--workers", "1", "-q"]) == 0
    return folder / "out"


# -- -o json and -o yaml on every command ----------------------------------------------------------

@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_simulate_prints_its_summary_as_data(fmt, capsys) -> None:
    assert main(["simulate", "--nodes", "20", "--max-unavailable", "25%", "-o", fmt, *IDEAL]) == 0
    summary = _parse(capsys.readouterr().out, fmt)
    assert summary["nodes"] == 20 and summary["completed"] is True
    assert summary["duration_s"] == 4 * (5 + 1 + 2 + 3 + 4)  # ceil(20 / 5) batches of 15 s
    assert summary["node_downtime_max_s"] == pytest.approx(15.0)


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_make_nodes_prints_the_node_list_as_data(fmt, capsys) -> None:
    assert main(["make-nodes", "7", "--control-plane", "1", "-o", fmt]) == 0
    document = _parse(capsys.readouterr().out, fmt)
    assert document["kind"] == "List" and len(document["items"]) == 7


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_calibrate_prints_the_timing_profile_as_data(fmt, kubectl_files, capsys) -> None:
    pods, events = kubectl_files
    assert main(["calibrate", str(pods), "--events", str(events), "-o", fmt]) == 0
    profile = _parse(capsys.readouterr().out, fmt)
    assert set(profile["timings"]) >= {"pull", "start", "ready"}
    assert profile["counts"]["pull"] == 60


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_run_prints_each_experiment_as_data(fmt, results_dir, capsys) -> None:
    assert main(["run", str(results_dir.parent / "tiny.yaml"), "--out-dir", str(results_dir), "-o", fmt]) == 0
    document = _parse(capsys.readouterr().out, fmt)
    assert document["name"] == "tiny" and document["path"] == str(results_dir)
    assert document["runs"] == {"total": 4, "simulated": 0, "reused": 4, "stale": 0}  # all saved by the fixture
    labels = [c["label"] for c in document["configurations"]]
    assert labels == ["maxUnavailable 3", "maxSurge 3"]
    assert [c["slo_ok"] for c in document["configurations"]] == [False, True]
    assert document["configurations"][0]["duration_s_mean"] == 60.0
    assert Path(document["report"]["html"]).is_file()


@pytest.mark.parametrize("command, key", [("plot", "figures"), ("report", "reports")])
@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_plot_and_report_print_the_files_they_wrote(command, key, fmt, results_dir, capsys) -> None:
    assert main([command, str(results_dir), "-o", fmt]) == 0
    paths = _parse(capsys.readouterr().out, fmt)[key]
    assert paths and all(Path(p).is_file() for p in paths)


# -- wide and name ------------------------------------------------------------------------------

def test_name_prints_one_name_per_line(results_dir, capsys) -> None:
    assert main(["make-nodes", "4", "--control-plane", "1", "-o", "name"]) == 0
    names = capsys.readouterr().out.splitlines()
    assert len(names) == 4 and all(n.startswith("node/ip-") for n in names)
    assert main(["simulate", "--nodes", "3", "-o", "name", *IDEAL]) == 0
    assert capsys.readouterr().out == "daemonset.apps/fluentd-elasticsearch\n"
    assert main(["plot", str(results_dir), "-o", "name"]) == 0
    assert {Path(p).name for p in capsys.readouterr().out.split()} >= {"availability.png", "duration.png"}


def test_wide_adds_columns(results_dir, kubectl_files, capsys) -> None:
    assert main(["simulate", "--nodes", "5", "-o", "wide", *IDEAL]) == 0
    out = capsys.readouterr().out
    assert "min available" in out and "queue_wait_s" in out and "stalled" in out
    wide = dict(line.split(None, 1) for line in out.splitlines() if line.startswith("  ") and "  " in line.strip())
    assert wide["stalled"] == "false" and wide["stalled_at_s"] == "<none>"  # kubectl's words, not Python's
    assert "None" not in out and "False" not in out
    assert main(["make-nodes", "4", "--not-ready", "1", "-o", "wide"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["NAME", "STATUS", "ROLES", "ZONE", "CPU", "MEMORY", "TAINTS"]
    assert sum("NotReady" in line for line in table) == 1
    assert main(["run", str(results_dir.parent / "tiny.yaml"), "--out-dir", str(results_dir), "-o", "wide"]) == 0
    assert "duration (p95)" in capsys.readouterr().out
    assert main(["calibrate", str(kubectl_files[0]), "-o", "wide"]) == 0
    assert "FAMILY" in capsys.readouterr().out


# -- quiet, errors, the old flags -----------------------------------------------------------------

def test_quiet_prints_nothing_unless_asked(capsys) -> None:
    assert main(["simulate", "--nodes", "5", "-q", *IDEAL]) == 0
    assert capsys.readouterr() == ("", "")
    assert main(["simulate", "--nodes", "5", "-q", "-o", "json", *IDEAL]) == 0
    assert json.loads(capsys.readouterr().out)["nodes"] == 5


def test_quiet_keeps_a_node_list_whose_file_is_standard_output(capsys) -> None:
    """make-nodes | simulate --nodes-file -: without --out-file the list is the output, not a note."""
    assert main(["make-nodes", "3", "-q"]) == 0
    out, err = capsys.readouterr()
    assert len(json.loads(out)["items"]) == 3 and err == ""


def test_o_takes_a_format_not_a_file(tmp_path, capsys) -> None:
    assert main(["make-nodes", "3", "-o", str(tmp_path / "nodes.json")]) == 2
    err = capsys.readouterr().err
    assert "argument -o/--output: must be one of json, yaml, wide, name" in err and "--out-file" in err
    assert not (tmp_path / "nodes.json").exists()


def test_out_file_writes_and_prints_nothing(tmp_path, capsys) -> None:
    out = tmp_path / "nodes.json"
    assert main(["make-nodes", "3", "--out-file", str(out)]) == 0
    assert capsys.readouterr().out == ""
    assert len(json.loads(out.read_text())["items"]) == 3


def test_json_flag_is_still_accepted(capsys) -> None:
    assert main(["simulate", "--nodes", "4", "--json", *IDEAL]) == 0
    assert json.loads(capsys.readouterr().out)["nodes"] == 4


def test_bare_rollsim_prints_the_help_and_exits_2() -> None:
    done = _rollsim()
    assert done.returncode == 2 and done.stdout == ""
    lines = done.stderr.splitlines()
    assert lines[0].startswith("usage: rollsim") and lines[-1] == "rollsim: error: no command given"
    # the whole help, a line each, not folded into the error line
    assert "Traceback" not in done.stderr and any(line.strip().startswith("completion") for line in lines)


def test_two_inputs_cannot_both_be_stdin(capsys) -> None:
    assert main(["simulate", "--manifest", "-", "--nodes-file", "-"]) == 2
    assert "only one input can be read from standard input" in capsys.readouterr().err


# -- pipes, end to end ----------------------------------------------------------------------------

def test_make_nodes_pipes_into_simulate() -> None:
    nodes = _rollsim("make-nodes", "30", "--control-plane", "3", "--not-ready", "2")
    assert nodes.returncode == 0, nodes.stderr
    done = _rollsim("simulate", "--nodes-file", "-", "-o", "json", *IDEAL, stdin=nodes.stdout)
    assert done.returncode == 0, done.stderr
    # the 3 control-plane nodes and the 2 NotReady ones carry NoSchedule taints a daemon pod does not tolerate
    assert json.loads(done.stdout)["nodes"] == 25


def test_calibrate_reads_stdin_and_its_yaml_pipes_into_timings(kubectl_files) -> None:
    pods, _ = kubectl_files
    profile = _rollsim("calibrate", "-", "-o", "yaml", stdin=pods.read_text())
    assert profile.returncode == 0, profile.stderr
    assert yaml.safe_load(profile.stdout)["source"]["pods"] == "<stdin>"
    done = _rollsim("simulate", "--nodes", "10", "--timings", "-", "-o", "yaml", stdin=profile.stdout)
    assert done.returncode == 0, done.stderr
    assert yaml.safe_load(done.stdout)["completed"] is True


def test_a_manifest_and_an_experiment_from_stdin(tmp_path) -> None:
    ds = (ROOT / "tests" / "data" / "manifests" / "unknown-fields.yaml").read_text()
    done = _rollsim("simulate", "--manifest", "-", "--nodes", "6", "-o", "json", *IDEAL, stdin=ds)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["nodes"] == 6
    assert done.stderr.startswith("rollsim: warning: <stdin>:")  # an unknown field, named by line
    quiet = _rollsim("simulate", "--manifest", "-", "--nodes", "6", "-q", *IDEAL, stdin=ds)
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
    run = _rollsim("run", "-", "--workers", "1", "-o", "json", stdin=TINY, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["path"] == str(Path("results") / "tiny")
    assert (tmp_path / "results" / "tiny" / "summary_long.csv").is_file()


def test_bad_stdin_names_stdin() -> None:
    done = _rollsim("simulate", "--nodes-file", "-", stdin="{not json")
    assert done.returncode == 2 and done.stderr.startswith("rollsim: error: <stdin>")
    assert "Traceback" not in done.stderr


# -- a light start: version, help, completion ---------------------------------------------------

HEAVY = ("pandas", "numpy", "scipy", "matplotlib", "simpy")


@pytest.mark.parametrize("args, allowed", [(["--version"], ()), (["--help"], ()),
                                           (["simulate", "--help"], ("numpy",)),
                                           (["simulate", "--nodes", "10", "-q"], ("numpy", "simpy"))])
def test_version_and_help_import_nothing_heavy(args, allowed) -> None:
    """simulate's flags come from the scenario declarations, whose distributions need NumPy; a
    simulation needs SimPy too, but not pandas: its summary is computed from the recorder's
    columns (``rollsim.observe.columns``), the result's frames built only when read.
    """
    heavy = tuple(m for m in HEAVY if m not in allowed)
    code = ("import sys\nfrom rollsim.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            f"print('HEAVY', sorted(m for m in {heavy!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.stdout.strip().endswith("HEAVY []"), done.stdout + done.stderr


def test_help_reads_no_package_metadata() -> None:
    """``importlib.metadata`` is read for ``--version`` only (it costs ``--help`` a third of its start)."""
    code = ("import sys\nfrom rollsim.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print('META', 'importlib.metadata' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.stdout.strip().endswith("META False"), done.stdout + done.stderr


def test_version_is_the_package_metadata_written_once_in_pyproject(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["--version"])
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert capsys.readouterr().out.strip() == f"rollsim {version('rollsim')}" == f"rollsim {declared}"


def test_import_rollsim_is_light() -> None:
    code = f"import sys, rollsim\nprint(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.stdout.strip() == "[]", done.stderr


def test_completion_script_and_completions(tmp_path) -> None:
    script = _rollsim("completion", "bash")
    assert script.returncode == 0 and "complete" in script.stdout and "rollsim" in script.stdout
    answer = tmp_path / "answer"
    line = "rollsim simulate --max-un"
    done = _rollsim(env={"_ARGCOMPLETE": "1", "COMP_LINE": line, "COMP_POINT": str(len(line)),
                         "_ARGCOMPLETE_STDOUT_FILENAME": str(answer), "_ARGCOMPLETE_IFS": "\n"})
    assert done.returncode == 0, done.stderr
    assert answer.read_text().split() == ["--max-unavailable"]
    line = "rollsim calibrate -o "  # the formats, not the files of the current folder
    done = _rollsim(env={"_ARGCOMPLETE": "1", "COMP_LINE": line, "COMP_POINT": str(len(line)),
                         "_ARGCOMPLETE_STDOUT_FILENAME": str(answer), "_ARGCOMPLETE_IFS": "\n"})
    assert done.returncode == 0, done.stderr
    assert answer.read_text().split() == ["json", "yaml", "wide", "name"]


def test_wide_values_read_as_kubectl_prints_them() -> None:
    from rollsim.present.console_simulate import wide_value

    assert [wide_value(v) for v in (None, float("nan"), True, 1236, 345.204867, 0.0, 0.0123, "completed")] == [
        "<none>", "<none>", "true", "1,236", "345.2", "0.0", "0.012", "completed"]


def test_the_old_json_flag_does_not_go_with_another_output(capsys) -> None:
    assert main(["simulate", "--nodes", "3", "--json", "-o", "yaml"]) == 2
    assert capsys.readouterr().err == "rollsim: error: argument --json: is -o json; it does not go with -o yaml\n"
