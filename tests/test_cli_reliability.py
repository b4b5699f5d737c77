"""Issue 9, the input side: one conversion of every flag, output paths that cannot escape,
limits on inputs that multiply work, and one line with the right exit code for everything
that reaches ``main``."""

from __future__ import annotations

import csv
import errno
import importlib
import json
import os
import shutil
import types
from pathlib import Path

import pytest
from rollsim import build_scenario
from rollsim.cli import main

from helpers import ROOT, one_error_line, python

FAST = ["--controller", "ideal", "--schedule", "1", "--pull", "1", "--start", "1", "--ready", "1",
        "--terminate", "1", "--probe-period", "0"]


def captured_scenario(monkeypatch, argv: list[str]):
    """The scenario ``rollsim simulate argv`` hands to the simulator."""
    seen = []
    import rollsim.simulation

    real = rollsim.simulation.simulate

    def spy(scenario, seed=0):
        seen.append(scenario)
        return real(scenario, seed=seed)

    monkeypatch.setattr(rollsim.simulation, "simulate", spy)  # the CLI imports it when it runs
    assert main(["simulate", *argv, "--json"]) == 0
    return seen[0]


# -- 1. one conversion of every quantity ------------------------------------------------------

@pytest.mark.parametrize(("flag", "text", "field", "expected"), [
    ("--requests-cpu", "100m", "requests_cpu_millis", 100),
    ("--requests-cpu", "2", "requests_cpu_millis", 2000),
    ("--requests-memory", "200Mi", "requests_memory_bytes", 200 * 2**20),
    ("--requests-memory", "1", "requests_memory_bytes", 1),
])
def test_a_quantity_flag_is_converted_once(monkeypatch, capsys, flag, text, field, expected) -> None:
    scenario = captured_scenario(monkeypatch, ["--nodes", "3", flag, text, *FAST])
    assert getattr(scenario.daemonset, field) == expected


def test_every_flag_gives_the_scenario_an_experiment_file_would(monkeypatch, capsys) -> None:
    argv = ["--nodes", "7", "--requests-cpu", "250m", "--requests-memory", "64Mi", "--max-surge", "10%",
            "--min-ready-seconds", "5", "--image-size", "300MB", "--node-bandwidth", "100MB/s",
            "--registry-pull-rate", "10/s", "--add-nodes", "2@30", "--host-ports", "9100", *FAST]
    from_flags = captured_scenario(monkeypatch, argv)
    options = {a[2:].replace("-", "_"): b for a, b in zip(argv[::2], argv[1::2])}
    assert from_flags == build_scenario(**options)


@pytest.mark.parametrize("ports", ["65536", "80,70000", "0"])
def test_a_host_port_out_of_range_is_one_line(capsys, tmp_path, ports) -> None:
    """A flag or an experiment file's ``daemonset.host_ports`` is checked as the manifest's
    ``hostPort`` is (1 to 65535): exit 2 naming the flag or the file, never an internal error
    (found by ``tests/test_fuzz.py``: ``--host-ports=65536`` reached the scenario's own check).
    """
    assert main(["simulate", "--nodes", "3", f"--host-ports={ports}"]) == 2
    one_error_line(capsys, "--host-ports")
    exp = tmp_path / "exp.yaml"
    exp.write_text(json.dumps({"name": "ports", "scenario": {"cluster": {"nodes": 3},
                                                             "daemonset": {"host_ports": ports.split(",")}}}),
                   encoding="utf-8")
    assert main(["run", str(exp), "--workers", "1", "--out", str(tmp_path / "out")]) == 2
    one_error_line(capsys, str(exp))
    assert not (tmp_path / "out").exists()


def test_a_negative_request_is_one_line(capsys) -> None:
    assert main(["simulate", "--nodes", "3", "--requests-cpu", "-1"]) == 2
    one_error_line(capsys, "--requests-cpu", "greater than or equal to 0")


@pytest.mark.parametrize(("flag", "value"), [
    ("--max-unavailable", "-10%"), ("--max-surge", "-1"), ("--requests-memory", "-1Gi"),
    ("--min-ready-seconds", "-.5"), ("--nodes", "-3"), ("--requests-cpu", "-100m"),
])
def test_negative_values_reach_the_rule(capsys, flag, value) -> None:
    assert main(["simulate", flag, value]) == 2
    line = one_error_line(capsys, flag)
    assert "expected one argument" not in line


# -- 2. output paths ----------------------------------------------------------------------------

def _experiment(tmp_path: Path, name: str) -> Path:
    path = tmp_path / "exp.yaml"
    path.write_text(json.dumps({"name": name, "scenario": {"cluster": {"nodes": 3}}}), encoding="utf-8")
    return path


@pytest.mark.parametrize("name", [" ..", " .", "..", ".", "a\x00b", "x" * 300, "a/b", "a\\b", " ", "\t..",
                                  "é" * 130])
def test_an_experiment_name_cannot_leave_or_land_on_results(tmp_path, monkeypatch, capsys, name) -> None:
    monkeypatch.chdir(tmp_path)
    exp = _experiment(tmp_path, name)
    assert main(["run", str(exp), "--workers", "1"]) == 2
    one_error_line(capsys, "name", "folder")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exp.yaml"]


def test_empty_out_is_refused(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    exp = _experiment(tmp_path, "ok")
    assert main(["run", str(exp), "--workers", "1", "--out", ""]) == 2
    one_error_line(capsys, "--out", "empty")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exp.yaml"]


@pytest.mark.parametrize(("argv", "flag"), [
    (["simulate", "--nodes", "3", "--timeline", "{dir}"], "--timeline"),
    (["simulate", "--nodes", "3", "--timeline", "{dir}/file/t.csv"], "--timeline"),
    (["simulate", "--nodes", "3", "--timeline", ""], "--timeline"),
    (["simulate", "--nodes", "3", "--timeline", "{dir}/" + "t" * 300], "--timeline"),
    (["simulate", "--nodes", "3", "--timeline", "{dir}/a\x00b"], "--timeline"),
    (["make-nodes", "3", "--out-file", "{dir}"], "--out-file"),
    (["make-nodes", "3", "--out-file", ""], "--out-file"),
    (["calibrate", "{dir}/pods.json", "--out-file", "{dir}"], "--out-file"),
    (["run", "{dir}/exp.yaml", "--out", "{dir}/file"], "--out"),
    (["run", "{dir}/exp.yaml", "--out", "{dir}/file/sub"], "--out"),
])
def test_every_output_path_is_checked_before_work(tmp_path, capsys, argv, flag) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    (tmp_path / "pods.json").write_text('{"kind": "List", "items": []}', encoding="utf-8")
    _experiment(tmp_path, "ok")
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main([a.replace("{dir}", str(tmp_path)) for a in argv]) == 2
    one_error_line(capsys, flag)
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_an_output_file_under_a_file_says_it_is_not_a_folder(tmp_path, capsys) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    assert main(["make-nodes", "3", "--out-file", str(tmp_path / "file" / "n.json")]) == 2
    assert "is not a folder, so" in one_error_line(capsys, "--out-file")


def test_a_write_the_system_refuses_names_the_file_asked_for(tmp_path, monkeypatch, capsys) -> None:
    import os

    def refuse(src: object, dst: object) -> None:  # what a full disk or a pseudo file system does at the end
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), src)

    monkeypatch.setattr(os, "replace", refuse)
    target = tmp_path / "n.json"
    assert main(["make-nodes", "3", "--out-file", str(target)]) == 1
    line = one_error_line(capsys)
    assert f"{target}: No space left on device" in line and ".tmp" not in line
    assert list(tmp_path.iterdir()) == []  # the temporary file is gone too


def test_a_folder_the_system_will_not_make_is_refused_before_work(tmp_path, monkeypatch, capsys) -> None:
    # /proc, a read-only or full filesystem: the folder above is writable, and still no new folder
    _experiment(tmp_path, "ok")
    real_mkdir = Path.mkdir

    def refuse(self: Path, *args: object, **kwargs: object) -> None:
        if self.parent == tmp_path / "pseudo":
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(self))
        real_mkdir(self, *args, **kwargs)

    (tmp_path / "pseudo").mkdir()
    monkeypatch.setattr(Path, "mkdir", refuse)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    target = tmp_path / "pseudo" / "x" / "y"
    assert main(["run", str(tmp_path / "exp.yaml"), "--workers", "1", "--out", str(target)]) == 2
    line = one_error_line(capsys, "--out", "cannot be made", "No such file or directory")
    assert str(tmp_path / "pseudo" / "x") in line
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="Linux's /proc")
def test_out_under_proc_exits_2_naming_the_flag(tmp_path, capsys) -> None:
    _experiment(tmp_path, "ok")
    assert main(["run", str(tmp_path / "exp.yaml"), "--workers", "1", "--out", "/proc/rollsim-x"]) == 2
    one_error_line(capsys, "--out", "'/proc/rollsim-x' cannot be made")


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="Linux's /proc")
def test_a_file_under_proc_exits_2_before_the_run(capsys) -> None:
    # root may write /proc's folder (os.access says so), which still makes no file: found before
    # the run, not after it as exit 1 (audit 11)
    assert main(["simulate", "--nodes", "10", "--timeline", "/proc/rollsim-x.csv"]) == 2
    one_error_line(capsys, "--timeline", "'/proc/rollsim-x.csv' cannot be written in '/proc'")


def test_checking_a_file_path_leaves_nothing_behind(tmp_path) -> None:
    from rollsim.io.outputs import output_path

    assert output_path(tmp_path / "t.csv") == tmp_path / "t.csv"
    assert list(tmp_path.iterdir()) == []


def test_output_path_keeps_a_results_folder_below_its_base(tmp_path) -> None:
    from rollsim.io.outputs import output_path

    assert output_path(tmp_path, " fluentd ") == tmp_path / "fluentd"
    assert output_path(tmp_path / "new" / "deeper", folder=True) == tmp_path / "new" / "deeper"
    assert not (tmp_path / "new").exists()  # tried, and undone
    for bad in ("..", " ..", ".", "a/../..", ""):
        with pytest.raises(ValueError):
            output_path(tmp_path, bad)


# -- 3. limits ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("argv", "needle"), [
    (["simulate", "--nodes", "10000000"], "ROLLSIM_MAX_NODES"),
    (["simulate", "--nodes", "1" + "0" * 30], "ROLLSIM_MAX_NODES"),
    (["simulate", "--nodes", "10**30"], "--nodes"),
    (["simulate", "--nodes", "5", "--add-nodes", "1000000000000@1"], "ROLLSIM_MAX_NODES"),
    (["make-nodes", "100000000"], "ROLLSIM_MAX_NODES"),
])
def test_node_counts_are_limited_at_once(capsys, argv, needle) -> None:
    assert main(argv) == 2
    one_error_line(capsys, needle)


def test_the_node_limit_can_be_raised_or_lowered(monkeypatch, capsys) -> None:
    monkeypatch.setenv("ROLLSIM_MAX_NODES", "4")
    assert main(["simulate", "--nodes", "5"]) == 2
    one_error_line(capsys, "limit of 4 nodes")
    monkeypatch.setenv("ROLLSIM_MAX_NODES", "5")
    assert main(["simulate", "--nodes", "5", "--json", *FAST]) == 0


@pytest.mark.parametrize("flag", ["--replications", "--max-replications"])
def test_a_plans_replications_are_limited_before_any_run(tmp_path, monkeypatch, capsys, flag) -> None:
    """``plan --replications 2147483648`` had no limit and grew until the OOM killer came."""
    plan_run = importlib.import_module("rollsim.plan.run")  # rollsim.plan is the function once imported

    def no_run(*_args, **_kwargs):
        raise AssertionError("a run started")

    monkeypatch.setattr(plan_run, "open_executor", no_run)
    out = tmp_path / "plan"
    assert main(["plan", "--nodes", "3", flag, "2147483648", "--out", str(out)]) == 2
    line = one_error_line(capsys)
    assert line == (f"rollsim: error: argument {flag}: 2,147,483,648 replications exceed the limit of 1,000 "
                    f"replications per setting of a plan; set ROLLSIM_MAX_REPLICATIONS to raise it")
    monkeypatch.setenv("ROLLSIM_MAX_REPLICATIONS", "3")
    assert main(["plan", "--nodes", "3", flag, "4", "--out", str(out)]) == 2
    one_error_line(capsys, f"argument {flag}: 4 replications exceed the limit of 3 replications")
    assert main(["plan", "--nodes", "3", "--out", str(out)]) == 2  # the default, 40, is beyond it
    one_error_line(capsys, "argument --max-replications: its default (40) is beyond ROLLSIM_MAX_REPLICATIONS=3")
    assert not out.exists()


def test_the_runs_a_window_probability_needs_are_limited_before_any_run(tmp_path, monkeypatch, capsys) -> None:
    """The answer is run to the runs its distribution-free window bound needs: 2,995 for a p99.9 at 95%,
    beyond the replications limit, refused with the flag's value and the count before any run (exit 2,
    no folder); 299 for a p99, within it.
    """
    plan_run = importlib.import_module("rollsim.plan.run")

    def no_run(*_args, **_kwargs):
        raise AssertionError("a run started")

    monkeypatch.setattr(plan_run, "open_executor", no_run)
    out = tmp_path / "plan"
    assert main(["plan", "--nodes", "3", "--window", "30m", "--window-probability", "0.999", "--out", str(out)]) == 2
    assert one_error_line(capsys) == (
        "rollsim: error: argument --window-probability: 0.999 at --confidence 0.95 needs 2,995 runs of the answer (a "
        "distribution-free bound on its p99.9): 2,995 replications exceed the limit of 1,000 replications per "
        "setting of a plan; set ROLLSIM_MAX_REPLICATIONS to raise it")
    assert not out.exists()
    # 299 is within the limit: the plan starts (and meets the stand-in that says so)
    assert main(["plan", "--nodes", "3", "--window", "30m", "--window-probability", "0.99", "--out", str(out)]) != 2
    assert "AssertionError: a run started" in capsys.readouterr().err


def test_a_plan_from_python_checks_the_replications_limit_too(monkeypatch) -> None:
    from rollsim import build_scenario
    from rollsim.plan.run import plan
    from rollsim.plan.search import SearchSettings
    from rollsim.spec.limits import LimitError

    monkeypatch.setenv("ROLLSIM_MAX_REPLICATIONS", "10")
    with pytest.raises(LimitError, match="40 replications exceed the limit of 10 replications per setting"):
        plan(build_scenario(nodes=3), settings=SearchSettings(replications=5, max_replications=40), report=False)


@pytest.mark.parametrize(("text", "needle"), [
    ("name: x\nreplications: 1000000000\n", "ROLLSIM_MAX_RUNS"),
    ("name: x\ngrid:\n" + "".join(f"  strategy.{k}: [{', '.join(map(str, range(1, 101)))}]\n"
                                  for k in ("min_ready_seconds",))
     + "  timings.probe_period: [" + ", ".join(map(str, range(100))) + "]\n"
     + "  cluster.nodes: [" + ", ".join(map(str, range(1, 101))) + "]\n", "ROLLSIM_MAX_CONFIGURATIONS"),
    ("name: x\nscenario:\n  cluster: {nodes: 3}\n  also: [" + ", ".join(f"{{name: d{i}}}" for i in range(200))
     + "]\n", "ROLLSIM_MAX_DAEMONSETS"),
])
def test_experiment_sizes_are_limited_before_any_scenario_is_built(tmp_path, capsys, text, needle) -> None:
    path = tmp_path / "exp.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["run", str(path), "--out", str(tmp_path / "out")]) == 2
    one_error_line(capsys, needle, str(path))
    assert not (tmp_path / "out").exists()


def _alias_bomb(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("body", [
    "name: x\nscenario:\n  cluster: {nodes: 3}\n" + _alias_bomb(),  # 9^9 values once expanded
    "name: x\ndescription: " + "[" * 5000 + "]" * 5000 + "\n",  # deeper than the YAML parser's recursion
    "name: x\ndescription: " + "[" * 100 + "]" * 100 + "\n",  # deeper than the depth limit
    "name: x\nscenario: &s {cluster: *s}\n",  # recursive data
    "name: x\nseed: 2024-13-45\n",  # a timestamp that is no date
])
def test_yaml_that_explodes_is_one_line(tmp_path, capsys, body) -> None:
    path = tmp_path / "exp.yaml"
    path.write_text(body, encoding="utf-8")
    assert main(["run", str(path), "--out", str(tmp_path / "out")]) == 2
    one_error_line(capsys, str(path))


def test_timing_profiles_share_the_yaml_limits(tmp_path, capsys) -> None:
    path = tmp_path / "timings.yaml"
    path.write_text("timings: {ready: 3}\n" + _alias_bomb(), encoding="utf-8")
    assert main(["simulate", "--nodes", "3", "--timings", str(path)]) == 2
    one_error_line(capsys, "ROLLSIM_MAX_YAML_VALUES")


# -- 4. one line and the right exit code for whatever reaches main ------------------------------

@pytest.mark.parametrize(("exc", "code", "needle"), [
    (OSError(errno.ENOSPC, "No space left on device", "t.csv"), 1, "No space left on device"),
    (PermissionError(errno.EACCES, "Permission denied", "t.csv"), 1, "Permission denied"),
    (OSError(errno.EROFS, "Read-only file system", "t.csv"), 1, "Read-only file system"),
    (KeyboardInterrupt(), 130, "interrupted"),
    (RecursionError("maximum recursion depth exceeded"), 2, "nested too deeply"),
    (MemoryError(), 1, "out of memory"),
    (RuntimeError("boom\nsecond line"), 1, "internal error: RuntimeError: boom second line"),
])
def test_whatever_reaches_main_is_one_line_and_its_exit_code(tmp_path, monkeypatch, capsys, exc, code,
                                                               needle) -> None:
    def fail(*_args, **_kwargs):
        raise exc

    import rollsim.io.atomic

    monkeypatch.setattr(rollsim.io.atomic, "write_atomically", fail)  # the CLI imports it when it writes
    assert main(["simulate", "--nodes", "3", *FAST, "--timeline", str(tmp_path / "t.csv")]) == code
    one_error_line(capsys, needle)


@pytest.mark.parametrize(("value", "shown"), [("0", False), ("false", False), ("no", False), ("", False),
                                               ("off", False), ("1", True), ("true", True), ("YES", True),
                                               (" True ", True)])
def test_rollsim_traceback_is_on_only_for_1_true_or_yes(monkeypatch, capsys, value, shown) -> None:
    """``ROLLSIM_TRACEBACK=0`` or ``false`` turned the traceback on: any non-empty value did."""
    def bug(*_args, **_kwargs):
        raise RuntimeError("boom")

    import rollsim.simulation

    monkeypatch.setattr(rollsim.simulation, "simulate", bug)
    monkeypatch.setenv("ROLLSIM_TRACEBACK", value)
    if shown:
        with pytest.raises(RuntimeError, match="boom"):
            main(["simulate", "--nodes", "3"])
    else:
        assert main(["simulate", "--nodes", "3"]) == 1
        one_error_line(capsys, "internal error: RuntimeError: boom")


def test_rollsim_traceback_leaves_bad_input_one_line(monkeypatch, capsys) -> None:
    """It shows a bug's traceback; a typo set beside it is still one line and exit 2 (it was a traceback, exit 1)."""
    monkeypatch.setenv("ROLLSIM_TRACEBACK", "1")
    assert main(["simulate", "--nodes", "3", "--max-unavailable", "x"]) == 2
    one_error_line(capsys, "argument --max-unavailable", "got 'x'")


def test_interrupt_during_simulate_is_130(monkeypatch, capsys) -> None:
    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    import rollsim.simulation

    monkeypatch.setattr(rollsim.simulation, "simulate", interrupted)
    assert main(["simulate", "--nodes", "3"]) == 130
    one_error_line(capsys, "interrupted")


@pytest.mark.parametrize("address", ["foo:bar", "tcp://host:99999", "http://host:8786", "", "a b", "bogus",
                                     "tcp://bogus", "tcp://[::1", "tcp://[::1]", "inproc://bogus", "tcp://h:\u0663"])
@pytest.mark.parametrize("command", ["run", "plan"])
def test_a_bad_scheduler_address_is_one_line(tmp_path, capsys, address, command) -> None:
    """Refused while the flags are read, by ``run`` and ``plan`` alike: an address without a port
    was an internal error from Dask, and ``plan`` did not check the address at all.
    """
    exp = _experiment(tmp_path, "ok")
    first = [str(exp)] if command == "run" else ["--nodes", "3"]
    assert main([command, *first, "--scheduler", address, "--out", str(tmp_path / "out")]) == 2
    line = one_error_line(capsys, "--scheduler")
    assert line.startswith("rollsim: error: argument --scheduler: "), line
    assert not (tmp_path / "out").exists()


def _damage(folder: Path, kind: str) -> None:
    import pandas as pd

    if kind == "experiment is a list":
        (folder / "experiment.yaml").write_text("- 1\n- 2\n", encoding="utf-8")
    elif kind == "experiment is not yaml":
        (folder / "experiment.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    elif kind == "experiment without name":
        (folder / "experiment.yaml").write_text("description: x\n", encoding="utf-8")
    elif kind == "configurations not a list":
        (folder / "experiment.yaml").write_text("name: x\nconfigurations: 3\n", encoding="utf-8")
    elif kind == "configuration not a mapping":
        (folder / "experiment.yaml").write_text("name: x\nconfigurations: [1, 2]\n", encoding="utf-8")
    elif kind == "slo not a list":
        (folder / "experiment.yaml").write_text("name: x\nslo: {a: 1}\n", encoding="utf-8")
    elif kind == "experiment not utf-8":
        (folder / "experiment.yaml").write_bytes(b"name: \xff\xfe\n")
    elif kind == "manifest is a list":
        (folder / "manifest.json").write_text("[]", encoding="utf-8")
    elif kind == "manifest not json":
        (folder / "manifest.json").write_text("{", encoding="utf-8")
    elif kind == "empty runs.csv":
        (folder / "runs.csv").write_text("", encoding="utf-8")
    elif kind == "runs.csv header only":
        (folder / "runs.csv").write_text("config,label,replication\n", encoding="utf-8")
    elif kind == "summary.csv without label":
        pd.read_csv(folder / "summary.csv").drop(columns=["label"]).to_csv(folder / "summary.csv", index=False)
    elif kind == "truncated timelines":
        data = (folder / "timelines.parquet").read_bytes()
        (folder / "timelines.parquet").write_bytes(data[: len(data) // 2])
    elif kind == "downtime is text":
        (folder / "downtime.parquet").write_text("not parquet", encoding="utf-8")
    elif kind == "summary.csv is garbage":
        (folder / "summary.csv").write_bytes(b'"unclosed\n\x00\x01')
    elif kind == "runs.csv wrong types":
        frame = pd.read_csv(folder / "runs.csv")
        frame["min_available_fraction"] = "lots"
        frame.to_csv(folder / "runs.csv", index=False)
    elif kind == "runs.csv is a folder":
        (folder / "runs.csv").unlink()
        (folder / "runs.csv").mkdir()
    elif kind in ("runs.csv cut in a row", "summary.csv cut in a row"):
        file = folder / kind.split()[0]
        data = file.read_bytes()
        file.write_bytes(data[: data.rindex(b"\n", 0, len(data) - 1) + 20])  # 20 bytes into the last row
    elif kind in ("runs.csv last row short of fields", "summary.csv last row short of fields"):
        file = folder / kind.split()[0]  # a write cut short, then ended: pandas reads the missing cells as empty
        lines = file.read_text(encoding="utf-8").splitlines()
        lines[-1] = lines[-1][: lines[-1].rindex(",", 0, len(lines[-1]) // 2)]
        file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    elif kind == "runs.csv completed empty":
        frame = pd.read_csv(folder / "runs.csv")
        frame["completed"] = frame["completed"].astype(object)
        frame.loc[len(frame) - 1, "completed"] = None
        frame.to_csv(folder / "runs.csv", index=False)
    elif kind == "runs.csv short of rows":
        lines = (folder / "runs.csv").read_text(encoding="utf-8").splitlines(keepends=True)
        (folder / "runs.csv").write_text("".join(lines[:-1]), encoding="utf-8")
    elif kind == "summary.csv short of rows":
        lines = (folder / "summary.csv").read_text(encoding="utf-8").splitlines(keepends=True)
        (folder / "summary.csv").write_text("".join(lines[:-1]), encoding="utf-8")
    else:  # pragma: no cover
        raise AssertionError(kind)


DAMAGES = ["experiment is a list", "experiment is not yaml", "experiment without name", "configurations not a list",
           "configuration not a mapping", "slo not a list", "experiment not utf-8", "manifest is a list",
           "manifest not json", "empty runs.csv", "runs.csv header only", "summary.csv without label",
           "truncated timelines", "downtime is text", "summary.csv is garbage", "runs.csv wrong types",
           "runs.csv is a folder", "runs.csv cut in a row", "summary.csv cut in a row", "runs.csv short of rows",
           "summary.csv short of rows", "runs.csv last row short of fields", "summary.csv last row short of fields",
           "runs.csv completed empty"]


@pytest.mark.parametrize("command", ["report", "plot"])
@pytest.mark.parametrize("kind", DAMAGES)
def test_a_damaged_results_folder_is_one_line_exit_2(make_results, capsys, command, kind) -> None:
    folder = make_results()
    _damage(folder, kind)
    code = main([command, str(folder)])
    if command == "plot" and kind == "runs.csv wrong types" and code == 0:  # the figures never read that column
        return
    assert code == 2
    one_error_line(capsys, str(folder))
    assert not (folder / "report.md").exists()


@pytest.mark.parametrize("command", ["report", "plot"])
def test_a_row_cut_short_then_ended_is_named_by_its_line(make_results, capsys, command) -> None:
    """A runs.csv whose last row lost its trailing fields (read by pandas with NaN, 'False' then true)
    is refused, naming the file and the line, and nothing is written.
    """
    folder = make_results()
    _damage(folder, "runs.csv last row short of fields")
    lines = (folder / "runs.csv").read_text(encoding="utf-8").splitlines()
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert main([command, str(folder)]) == 2
    line = one_error_line(capsys, str(folder / "runs.csv"), "damaged results file",
                          f"line {len(lines)} has {len(next(csv.reader([lines[-1]])))} of the header's 24 fields")
    assert "run the experiment again" in line
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before


def test_an_empty_boolean_cell_is_named_by_its_column_and_line(make_results, capsys) -> None:
    folder = make_results()
    _damage(folder, "runs.csv completed empty")
    rows = len((folder / "runs.csv").read_text(encoding="utf-8").splitlines())
    assert main(["report", str(folder)]) == 2
    one_error_line(capsys, str(folder / "runs.csv"), f"line {rows}: completed is empty, not True or False")


# -- 8. accepted when it should be refused --------------------------------------------------------

def test_removing_more_nodes_than_the_cluster_has_is_refused(capsys) -> None:
    assert main(["simulate", "--nodes", "20", "--remove-nodes", "50@10"]) == 2
    one_error_line(capsys, "--remove-nodes", "only 20")
    assert main(["simulate", "--nodes", "20", "--add-nodes", "40@5", "--remove-nodes", "50@10", "--json",
                 *FAST]) == 0


def test_rolling_update_fields_under_on_delete_are_warned_about(capsys) -> None:
    assert main(["simulate", "--nodes", "3", "--strategy", "OnDelete", "--max-surge", "3", "--json", *FAST]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "warning" in err[0] and "--max-surge" in err[0] and "OnDelete" in err[0]
    assert main(["simulate", "--nodes", "3", "--strategy", "OnDelete", "--json", *FAST]) == 0
    assert capsys.readouterr().err == ""


def test_rolling_update_fields_under_on_delete_in_an_experiment_are_warned_about(tmp_path, capsys) -> None:
    path = tmp_path / "exp.yaml"
    path.write_text("name: x\nscenario:\n  cluster: {nodes: 3}\n  strategy: {type: OnDelete, max_surge: 2}\n"
                    "  controller: {mode: ideal}\n", encoding="utf-8")
    assert main(["run", str(path), "--workers", "1", "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert "scenario.strategy.max_surge" in err and "OnDelete" in err


def test_calibrate_on_an_empty_pod_list_writes_nothing(tmp_path, capsys) -> None:
    pods = tmp_path / "pods.json"
    pods.write_text('{"apiVersion": "v1", "kind": "List", "items": []}', encoding="utf-8")
    out = tmp_path / "timings.yaml"
    assert main(["calibrate", str(pods), "--out-file", str(out)]) == 2
    one_error_line(capsys, str(pods), "no pods")
    assert not out.exists()


def test_a_long_message_keeps_its_end() -> None:
    """The rule and the variable that moves a limit end a message: a long one loses its middle."""
    from rollsim.cli.exits import one_line

    path = ".".join(["description[0]"] * 40)
    folder = "/tmp/" + "d" * 70  # a long file name is kept while a longer word can give way
    line = one_line(f"{folder}/f.yaml:3: {path}: 65 levels exceed the limit of 64 levels; "
                    "set ROLLSIM_MAX_YAML_DEPTH to raise it")
    assert len(line) == 300 and line.startswith(f"{folder}/f.yaml:3: description[0].") and "..." in line
    assert line.endswith("set ROLLSIM_MAX_YAML_DEPTH to raise it")
    assert one_line("x" * 400) == "x" * 148 + "..." + "x" * 149  # one long word: its two ends


def test_a_long_message_shortens_its_asides_never_its_rule_or_fix() -> None:
    """What kept a DaemonSet off the nodes (a list of reasons with example names, in parentheses) gives
    way; the rule before it and the way out after it stay whole (audit item 6: before, the line was cut
    at 300 characters, "... if that i...")."""
    from rollsim.cli.exits import one_line

    why = "; ".join(f"{k} of 200 nodes: untolerated taint example.com/t{k}:NoExecute, e.g. ip-10-0-{k}-1.ec2.internal"
                    for k in range(1, 6))
    fix = ("fix its nodeSelector, affinity or tolerations, or set daemonset.allow_no_nodes (--allow-no-nodes) if that "
           "is intended")
    line = one_line(f"argument --manifest: the DaemonSet matches no node ({why}; likewise the 5 nodes that join "
                    f"(add_nodes)); {fix}")
    assert len(line) <= 300 and line.endswith(fix)
    assert line.startswith("argument --manifest: the DaemonSet matches no node (1 of 200 nodes: ")
    assert "..." in line and "likewise the 5 nodes that join (add_nodes)); fix" in line
    # no aside to shorten: the middle goes, the start (where) and the end (the fix) stay
    words = one_line("where: " + "word " * 100 + "the fix")
    assert len(words) == 300 and words.startswith("where: word") and words.endswith("word the fix")


def test_a_shortened_aside_keeps_the_long_word_that_says_why(tmp_path, capsys) -> None:
    """Audit 8 item 6: three control-plane nodes in a node list gave "(3 of 3 nodes: untolerated taint ... e.g.
    ip-...)": about 7 characters had to go, and the 49 of the taint's name went, the one word that says what to
    tolerate. A cut inside a long word now keeps its two ends, so the taint can still be recognised.
    """
    nodes = tmp_path / "cp.json"
    assert main(["make-nodes", "3", "-q", "--out-file", str(nodes)]) == 0  # all three are control-plane nodes
    assert main(["simulate", "--nodes-file", str(nodes), "-q"]) == 2
    line = one_error_line(capsys, "(3 of 3 nodes: untolerated taint node-role.kubernetes", "plane:NoSchedule, e.g. ip-",
                          "fix its nodeSelector, affinity or tolerations")
    assert len(line) <= 300 and "taint ..." not in line


def test_middle_out_cuts_inside_a_long_word_and_between_short_ones() -> None:
    from rollsim.cli.exits import _middle_out

    long = "why: " + "x" * 40 + "y" * 40 + " e.g. name"
    assert _middle_out(long, 60) == "why: " + "x" * 25 + "..." + "y" * 20 + " e.g. name"
    words = " ".join(["word"] * 30)
    cut = _middle_out(words, 60)
    assert " ... " in cut and all(w == "word" for w in cut.replace(" ... ", " ").split(" "))
    assert len(_middle_out(words, 60)) <= 60 + len("...") + 2


def test_a_multi_value_match_fields_says_the_api_servers_rule_in_300_characters(tmp_path, monkeypatch, capsys) -> None:
    """Audit 4 item 4: ``matchFields`` metadata.name In [two names] gave a 316-character line whose key path was
    shortened while a Python repr (``NodeSelectorRequirement(key=...)``) stood where the value belongs. Now the
    whole line is at most 300 characters, the where (file, line, key path) and the API server's rule are whole,
    and the values, written as YAML writes them, give way.
    """
    import yaml

    doc = yaml.safe_load((ROOT / "experiments" / "manifests" / "fluentd-elasticsearch.yaml").read_text("utf-8"))
    names = ["ip-10-0-5-215.ec2.internal", "ip-10-0-7-155.ec2.internal"]
    term = {"matchFields": [{"key": "metadata.name", "operator": "In", "values": names}]}
    doc["spec"]["template"]["spec"]["affinity"] = {
        "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}}}
    monkeypatch.chdir(tmp_path)
    Path("aff-fields.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    line_no = next(i for i, text in enumerate(Path("aff-fields.yaml").read_text("utf-8").splitlines(), 1)
                   if text.strip() == "values:")
    assert main(["simulate", "--nodes", "3", "--manifest", "aff-fields.yaml"]) == 2
    line = one_error_line(capsys)
    where = (f"rollsim: error: aff-fields.yaml:{line_no}: spec.template.spec.affinity.nodeAffinity."
             "requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].values: ")
    rule = "must be only one value when `operator` is 'In' or 'NotIn' for node field selector"
    assert len(line) <= 300 and line.startswith(where + rule + " (got 2 values: "), line
    assert line.endswith(".ec2.internal])") and "..." in line and "NodeSelectorRequirement" not in line
    # a short pair of values is written whole, in YAML's flow style, not as a Python tuple
    term["matchFields"][0]["values"] = ["a", "b"]
    Path("aff-fields.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    assert main(["simulate", "--nodes", "3", "--manifest", "aff-fields.yaml"]) == 2
    assert one_error_line(capsys).endswith(f"{rule} (got 2 values: [a, b])")


def test_the_300_characters_count_the_whole_line() -> None:
    """``rollsim: error: `` and an internal error's way out count towards the 300 characters (the message alone
    was held to 300, so the printed line reached 316); the way out stays whole.
    """
    from rollsim.cli.exits import PROGRAM, exit_for
    from rollsim.io.yamldoc import ConfigError
    from rollsim.spec.limits import LimitError
    from rollsim.sweep.errors import RunError

    long = "where: " + "word " * 100 + "the fix"
    for exc in (ConfigError(long), LimitError(long), RunError(long), OSError(errno.EIO, long), ValueError(long)):
        said = exit_for(exc)
        assert said is not None
        printed = PROGRAM + said[0]
        assert len(printed) == 300, (type(exc).__name__, printed)
    printed = PROGRAM + exit_for(RuntimeError(long))[0]  # type: ignore[index]
    assert printed.startswith("rollsim: internal error: RuntimeError: where: word")
    assert printed.endswith("the fix (set ROLLSIM_TRACEBACK=1 for the traceback, and please report it)")


def test_make_nodes_names_its_positional_count(capsys) -> None:
    assert main(["make-nodes", "20000"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("rollsim: error: argument N: N must be at most 16,000 with 3 zones") and "--count" not in err


@pytest.mark.parametrize(("argv", "said"), [
    (["2"], "argument --control-plane: the default control-plane nodes (3) must not exceed the 2 nodes asked for (N); "
            "give --control-plane at most 2, or more nodes"),
    (["0"], "argument --control-plane: the default control-plane nodes (3) must not exceed the 0 nodes asked for"),
    (["2", "--control-plane", "4"], "argument --control-plane: control-plane nodes (4) must not exceed the 2 nodes"),
])
def test_make_nodes_with_fewer_nodes_than_control_plane_ones_says_which_and_how_to_fix_it(capsys, argv, said) -> None:
    """``make-nodes 2`` blamed a flag not given, in internal names: ``control_plane (3) must not exceed count (2)``."""
    assert main(["make-nodes", *argv]) == 2
    one_error_line(capsys, f"rollsim: error: {said}")


@pytest.mark.parametrize(("flags", "said"), [
    (["--cordoned", "101"], "argument --cordoned: cordoned nodes (101)"),
    (["--not-ready", "98"], "argument --not-ready: NotReady nodes (98)"),
    (["--not-ready", "50", "--cordoned", "50"], "argument --not-ready/--cordoned: NotReady plus cordoned nodes (100)"),
])
def test_make_nodes_blames_the_flag_given(capsys, flags, said) -> None:
    """``--cordoned 101`` alone was blamed on --not-ready."""
    assert main(["make-nodes", "100", *flags]) == 2
    assert capsys.readouterr().err == f"rollsim: error: {said} must not exceed the ready workers (97)\n"


@pytest.mark.parametrize(("options", "flags", "said"), [
    (("not_ready", "cordoned"), ["--cordoned", "9"], "argument --cordoned: cordoned nodes"),
    (("not_ready", "cordoned"), [], "argument --not-ready/--cordoned: NotReady plus cordoned nodes"),
    (("zones",), [], "argument --zones: zones"),
    (("count",), ["--zones", "1"], "argument N: N"),
])
def test_make_nodes_blames_the_options_its_error_names_whatever_its_wording(monkeypatch, capsys, options, flags,
                                                                           said) -> None:
    """The flag was picked by the start of the message ("+ cordoned"): the error now says which
    options it is about (``NodeOptionError.options``), and only those given are blamed.
    """
    import rollsim.io.nodes
    from rollsim.io.nodes import NodeOptionError

    def refused(*_args, **_kwargs):
        raise NodeOptionError(options, "(9) reworded: no flag's name starts this")

    monkeypatch.setattr(rollsim.io.nodes, "make_nodes", refused)
    assert main(["make-nodes", "100", *flags]) == 2
    assert one_error_line(capsys) == f"rollsim: error: {said} (9) reworded: no flag's name starts this"


def test_every_exception_maps_to_one_line_and_a_code() -> None:
    from rollsim.cli.exits import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE, UsageError, exit_for
    from rollsim.io.yamldoc import ConfigError
    from rollsim.spec.limits import LimitError
    from rollsim.sweep.results import ResultsError
    from rollsim.sweep.runner import RunError

    cases = [(UsageError("argument --x: bad"), EXIT_USAGE), (ConfigError("bad", "a.b", "f.yaml", 3), EXIT_USAGE),
             (ResultsError("r: damaged"), EXIT_USAGE), (LimitError("too many"), EXIT_USAGE),
             (RecursionError(), EXIT_USAGE), (RunError("run c000 failed"), EXIT_FAILED),
             (OSError(errno.ENOSPC, "No space left on device", "x"), EXIT_FAILED), (MemoryError(), EXIT_FAILED),
             (KeyError("\x00odd\nkey"), EXIT_FAILED), (KeyboardInterrupt(), EXIT_INTERRUPTED)]
    for exc, code in cases:
        line, got = exit_for(exc)
        assert got == code and "\n" not in line and "\x00" not in line, (exc, line)
    assert exit_for(SystemExit(0)) is None and exit_for(BrokenPipeError()) is None


@pytest.mark.parametrize(("argv", "flag"), [
    (["simulate", "--nodes", "3", "--timeline", "{dir}/t.csv"], "--timeline"),
    (["make-nodes", "3", "--out-file", "{dir}/n.json"], "--out-file"),
    (["run", "{dir}/exp.yaml", "--out", "{dir}/out"], "--out"),
])
def test_a_read_only_folder_is_refused_before_work(tmp_path, monkeypatch, capsys, argv, flag) -> None:
    import os

    _experiment(tmp_path, "ok")
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if Path(p) == tmp_path else real(p, mode, **kw))
    assert main([a.replace("{dir}", str(tmp_path)) for a in argv]) == 2
    one_error_line(capsys, flag, "not writable")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exp.yaml"]


@pytest.mark.parametrize(("command", "locked", "names"), [
    ("report", ".", ("figures", "report.md", "report.html")),  # both are written by a report
    ("report", "figures", ("report.md", "report.html")),
    ("plot", "figures", ()),
])
def test_a_read_only_results_folder_is_refused_before_drawing(tmp_path, monkeypatch, capsys, command, locked,
                                                               names) -> None:
    out = tmp_path / "out"
    assert main(["run", str(_experiment(tmp_path, "ok")), "--out", str(out), "--workers", "1", "-q"]) == 0
    for name in names:  # what the command would write, gone: nothing may be written again
        target = out / name
        shutil.rmtree(target) if target.is_dir() else target.unlink()
    before = sorted(str(p.relative_to(out)) for p in out.rglob("*"))
    real, refused = os.access, (out / locked).resolve()
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if Path(p).resolve() == refused
                        else real(p, mode, **kw))
    capsys.readouterr()
    assert main([command, str(out)]) == 2
    one_error_line(capsys, "RESULTS_DIR", "not writable")
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*")) == before


@pytest.mark.parametrize("command", ["plot", "report"])
def test_a_results_path_the_system_refuses_is_bad_input(tmp_path, capsys, command) -> None:
    too_long = str(tmp_path / ("a" * 300))  # ENAMETOOLONG: found by tests/test_fuzz.py
    assert main([command, too_long]) == 2
    assert one_error_line(capsys) == ("rollsim: error: argument RESULTS_DIR: has a component longer than 255 bytes "
                                      f"({'a' * 20}...)")  # named as every other path argument (audit 22)


def test_sigterm_at_any_point_of_a_command_is_an_interrupt(monkeypatch, capsys) -> None:
    """Not only during a sweep: SIGTERM while tables, figures or a plan are written exits 130 with
    its one line (it was 143 and silent outside the sweep).
    """
    import os
    import signal

    import rollsim.cli.commands

    def terminated(args):
        os.kill(os.getpid(), signal.SIGTERM)  # the handler raises in this thread at once
        raise AssertionError("SIGTERM did not interrupt")

    monkeypatch.setattr(rollsim.cli.commands, "cmd_schema", terminated)
    assert main(["schema"]) == 130
    assert capsys.readouterr().err.startswith("rollsim: interrupted;")
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # given back when the command ends


@pytest.mark.parametrize("command", ["plot", "report"])
def test_a_figures_file_where_the_folder_should_be_is_a_damaged_folder(make_results, capsys, command) -> None:
    folder = make_results()
    (folder / "figures").write_text("not a folder", encoding="utf-8")
    assert main([command, str(folder)]) == 2
    one_error_line(capsys, "figures", "damaged results folder")
    assert not (folder / "report.md").exists()


def test_calibrate_refuses_to_write_its_profile_over_its_input(tmp_path, capsys) -> None:
    pods = tmp_path / "pods.json"
    original = (Path(__file__).parent / "data" / "pods" / "excerpt-pods.json").read_bytes()
    pods.write_bytes(original)
    assert main(["calibrate", str(pods), "--out-file", str(pods)]) == 2
    one_error_line(capsys, "--out-file", "is the input PODS.json")
    assert pods.read_bytes() == original


@pytest.mark.parametrize("flag", ["--manifest", "--nodes-file", "--timings"])
def test_simulate_refuses_to_write_its_timeline_over_an_input(tmp_path, capsys, flag) -> None:
    """``--timeline`` naming an input (or a symlink to it) wrote the CSV over it, exit 0 (audit 8)."""
    root = Path(__file__).parent.parent
    sources = {"--manifest": (root / "experiments" / "manifests" / "fluentd-elasticsearch.yaml").read_bytes(),
               "--nodes-file": (root / "experiments" / "nodes" / "sample-300.json").read_bytes(),
               "--timings": b"pull: constant(2)\n"}
    given = tmp_path / "input"
    original = sources[flag]
    given.write_bytes(original)
    link = tmp_path / "link"
    link.symlink_to(given)
    counted = [] if flag == "--nodes-file" else ["--nodes", "3"]
    for out in (given, link):
        assert main(["simulate", *counted, flag, str(given), "--timeline", str(out), "-q"]) == 2
        one_error_line(capsys, "--timeline", f"is the input {flag} ({given}); it would be overwritten")
    assert given.read_bytes() == original


# -- a full disk names the file ---------------------------------------------------------------------


def _no_space(*_args) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")  # as write, fsync or close raise it: no file named


@pytest.mark.parametrize("where", ["write", "fsync"])
def test_a_full_disk_names_the_file_being_written(tmp_path, monkeypatch, where) -> None:
    import rollsim.io.atomic
    from rollsim.io.atomic import write_atomically

    path = tmp_path / "t.csv"
    if where == "fsync":
        monkeypatch.setattr(rollsim.io.atomic.os, "fsync", _no_space)
    with pytest.raises(OSError) as caught:
        write_atomically(path, _no_space if where == "write" else (lambda f: f.write("x")))
    assert (caught.value.errno, caught.value.filename) == (errno.ENOSPC, str(path))
    assert list(tmp_path.iterdir()) == []  # no temporary file left, and no file


@pytest.mark.parametrize("argv", [
    ["simulate", "--nodes", "3", *FAST, "--timeline", "{dir}/t.csv"],
    ["make-nodes", "3", "--out-file", "{dir}/n.json"],
    ["run", "{dir}/exp.yaml", "--out-dir", "{dir}/y", "--workers", "1", "-q"],
], ids=["simulate", "make-nodes", "run"])
def test_no_space_left_names_the_file_on_every_command(tmp_path, monkeypatch, capsys, argv) -> None:
    import rollsim.io.atomic

    _experiment(tmp_path, "ok")
    real = rollsim.io.atomic.write_atomically
    monkeypatch.setattr(rollsim.io.atomic, "write_atomically",  # every write finds the disk full
                        lambda path, write, binary=False: real(path, _no_space, binary))
    assert main([a.replace("{dir}", str(tmp_path)) for a in argv]) == 1
    line = one_error_line(capsys, "No space left on device (free some space and run again)")
    assert line.startswith(f"rollsim: error: {tmp_path}/"), line


# -- SIGTERM as the program starts and as it exits ---------------------------------------------------

# A signal at a chosen moment, without timing: as the command line is imported, or from an atexit
# callback (registered after the program's own, so run before it, as a library's is).
SIGNALLED = """\
import atexit, os, signal, sys
when = sys.argv[1]
class Signal:
    def find_spec(self, name, path=None, target=None):
        if when == "start" and name == "rollsim.cli":
            os.kill(os.getpid(), signal.SIGTERM)
        return None
sys.meta_path.insert(0, Signal())
import rollsim.__main__
if when == "exit":
    import rollsim.cli.commands
    def command(args):
        print("done", flush=True)
        atexit.register(os.kill, os.getpid(), signal.SIGTERM)
        return 0
    rollsim.cli.commands.cmd_schema = command
if when.startswith("lost"):  # the interrupt reaches no handler: swallowed as a C function clears its callee's errors
    import rollsim.cli.commands
    def command(args):
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(1000):
                pass
        except KeyboardInterrupt:
            pass
        print("done", flush=True)
        return 3 if when == "lost, no setting fits" else 0
    rollsim.cli.commands.cmd_schema = command
sys.argv = ["rollsim", "schema"]
sys.exit(rollsim.__main__.main())
"""


def _signalled(when: str):
    return python("-c", SIGNALLED, when)


def test_sigterm_as_the_program_starts_is_an_interrupt() -> None:
    """Before the command line is imported (0.05-0.15 s after start) SIGTERM killed the process: 143, silent."""
    from rollsim.__main__ import STARTING_LINE

    done = _signalled("start")
    assert (done.returncode, done.stderr, done.stdout) == (130, STARTING_LINE + "\n", "")


def test_sigterm_as_the_program_exits_is_an_interrupt() -> None:
    """After the last line, while the interpreter exits, SIGTERM killed the process: 143, silent
    (the handler was put back to the default when the command ended)."""
    from rollsim.sweep.interrupt import EXITING_LINE

    done = _signalled("exit")
    assert (done.returncode, done.stderr, done.stdout) == (130, EXITING_LINE + "\n", "done\n")


def test_an_interrupt_lost_on_the_way_is_said_as_the_command_ends() -> None:
    """CI saw `rollsim run` end 130 with nothing said once: an interrupt taken whose KeyboardInterrupt
    something swallowed lets the command run to its end, and the program then exits 130 (it was
    interrupted). It says so, in one line."""
    from rollsim.sweep.interrupt import FINISHED_LINE

    for when in ("lost", "lost, no setting fits"):  # a plan with no answer returns 3, and says nothing either
        done = _signalled(when)
        assert (done.returncode, done.stderr, done.stdout) == (130, FINISHED_LINE + "\n", "done\n"), when


class _Interrupting(types.ModuleType):
    """``rollsim.cli`` as a signal interrupts its import: ``from rollsim.cli import main`` raises."""

    def __getattr__(self, name: str):
        raise KeyboardInterrupt


@pytest.mark.parametrize(("outcome", "code", "said"), [
    ("returns", 0, ""), ("exits", 2, ""), ("exits with text", 1, "usage text\n"),
    ("interrupted as it starts", 130, "rollsim: interrupted as it started; nothing was written\n"),
])
def test_the_program_says_it_is_finishing_once_and_before_its_line(monkeypatch, outcome, code, said) -> None:
    """An interrupt as the command line was imported told ``finishing`` twice (before its line and
    again on the way out): once, on every path, and before any line the program itself prints.
    """
    import io
    import sys

    import rollsim.__main__ as program

    err = io.StringIO()
    finished: list[tuple[int | None, str]] = []
    monkeypatch.setattr(program, "take_over", lambda: None)  # this process keeps its own handlers
    monkeypatch.setattr(program, "finishing", lambda c=None: finished.append((c, err.getvalue())))
    monkeypatch.setattr(sys, "stderr", err)

    def command():
        if outcome == "returns":
            return 0
        raise SystemExit(2 if outcome == "exits" else "usage text")

    if outcome == "interrupted as it starts":
        monkeypatch.setitem(sys.modules, "rollsim.cli", _Interrupting("rollsim.cli"))
    else:
        monkeypatch.setattr(sys.modules["rollsim.cli"], "main", command)
    assert program.main() == code
    assert finished == [(code, "")] and err.getvalue() == said


# A signal as the command line's parser and handlers are imported, in a real `python -m`: the hook
# comes in as sitecustomize, before the program's first line.
AT_IMPORT = """\
import os, signal, sys
class Signal:
    def find_spec(self, name, path=None, target=None):
        if name == "rollsim.cli.commands":
            os.kill(os.getpid(), getattr(signal, os.environ["ROLLSIM_TEST_SIGNAL"]))
        return None
sys.meta_path.insert(0, Signal())
"""


@pytest.mark.parametrize("program", ["rollsim", "rollsim.cli"])
@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_a_signal_as_the_command_line_is_imported_is_an_interrupt(tmp_path, program, sig) -> None:
    """``python -m rollsim.cli`` imported the whole command line with its package, before its
    ``__main__`` took the signals over: Ctrl-C there was a traceback, SIGTERM a silent 143.
    """
    import os

    (tmp_path / "sitecustomize.py").write_text(AT_IMPORT, encoding="utf-8")
    done = python("-m", program, "schema", PYTHONPATH=f"{tmp_path}{os.pathsep}{ROOT}", ROLLSIM_TEST_SIGNAL=sig)
    assert (done.returncode, done.stdout) == (130, ""), done.stderr
    assert one_error_line(done.stderr).startswith("rollsim: interrupted")


def test_the_program_keeps_the_exit_status_of_its_command(tmp_path) -> None:
    for argv, code in ((["--version"], 0), (["nosuch"], 2), (["plot", str(tmp_path / "none")], 2)):
        done = python("-m", "rollsim", *argv)
        assert done.returncode == code, (argv, done.stderr)
        assert "Traceback" not in done.stderr


def test_an_interrupt_before_the_sweep_says_no_run_started(tmp_path, monkeypatch, capsys) -> None:
    import rollsim.sweep.experiment_file

    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(rollsim.sweep.experiment_file, "load_experiment", interrupted)
    assert main(["run", str(_experiment(tmp_path, "ok")), "-q"]) == 130
    assert one_error_line(capsys) == "rollsim: interrupted before any run started; nothing was written"


LOST = """\
import gc, os, signal
from rollsim.sweep.interrupt import take_over
take_over()
fired = []
def callback(phase, info):
    if not fired:
        fired.append(phase)
        os.kill(os.getpid(), signal.SIGTERM)  # its KeyboardInterrupt is raised inside the collector's callback
gc.callbacks.append(callback)
try:
    gc.collect()
    for _ in range(10**7):
        pass
    print("lost")
except KeyboardInterrupt:
    print("caught")
"""


def test_an_interrupt_raised_inside_a_gc_callback_is_not_lost() -> None:
    """A SIGTERM that came while Dask's garbage-collector callback ran was "Exception ignored" and the
    sweep went on to its end; the program raises it again, where it can be caught."""
    done = python("-c", LOST)
    assert (done.stdout, done.stderr) == ("caught\n", "")


SWALLOWED = """\
import os, signal, sys
import importlib
import rollsim.__main__ as program

def swallowing(*args, **kwargs):
    swallowed = False
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(10**7):
            pass
    except KeyboardInterrupt:  # as numpy's C extension does: its own error, with no link to the interrupt
        swallowed = True
    if swallowed:
        raise ImportError("Importing the numpy C-extensions failed.")
    return 0

setattr(importlib.import_module("{module}"), "{name}", swallowing)
sys.argv = ["rollsim", *{argv}]
sys.exit(program.main())
"""


@pytest.mark.parametrize(("module", "name", "argv", "line"), [
    ("rollsim.cli.commands", "cmd_schema", ["schema"],
     "rollsim: interrupted; nothing half-written is left (files are written whole or not at all)"),
    ("rollsim.sweep.experiment_file", "load_experiment", ["run", __file__],  # a file that is there: never read
     "rollsim: interrupted before any run started; nothing was written"),
])
def test_an_interrupt_an_import_turned_into_its_own_error_is_an_interrupt(module, name, argv, line) -> None:
    """CI: SIGTERM 0.05 s into `rollsim run` came during numpy's import, whose C extension replaced the
    KeyboardInterrupt with an ImportError: "internal error: ImportError ..." and exit 1 instead of 130."""
    done = python("-c", SWALLOWED.format(module=module, name=name, argv=argv))
    assert (done.returncode, done.stderr) == (130, line + "\n")


def test_cut_short_follows_the_chain_and_nothing_else() -> None:
    from rollsim.sweep.interrupt import cut_short

    try:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise ImportError("an extension's own error") from None  # the context is kept, only not shown
    except ImportError as exc:
        assert cut_short(exc)
    assert not cut_short(ImportError("a missing module"))
    looped = ValueError("a")
    looped.__context__ = ValueError("b")
    looped.__context__.__context__ = looped
    assert not cut_short(looped)


def test_a_local_dask_workers_leave_signals_to_the_sweep() -> None:
    import signal

    from rollsim.sweep.dask_worker import dask_setup

    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    try:
        dask_setup(None)
        assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == (signal.SIG_IGN,) * 2
    finally:
        signal.signal(signal.SIGINT, before[0])
        signal.signal(signal.SIGTERM, before[1])


@pytest.mark.parametrize("command", [["run", ""], ["calibrate", ""], ["validate", ""], ["report", ""], ["plot", ""],
                                     ["run", " "]])
def test_an_empty_file_argument_is_named_not_read_as_the_current_folder(capsys, command) -> None:
    """``run ''`` said "cannot read: Is a directory", naming nothing; ``report ''`` reported on ``.``."""
    assert main(command) == 2
    what = "must be a results folder" if command[0] in ("report", "plot") else "must be a file path"
    one_error_line(capsys, "argument ", f"{what}, got {command[1]!r}")


@pytest.mark.parametrize("command", ["simulate", "plan"])
def test_a_namespace_without_a_manifest_is_refused(tmp_path, capsys, command) -> None:
    """``-n`` picks or places a manifest's DaemonSet; without one it was accepted and ignored."""
    extra = ["--window", "1h", "--out-dir", str(tmp_path / "p")] if command == "plan" else []
    assert main([command, "--nodes", "3", "-n", "UPPER", "-q", *extra]) == 2
    one_error_line(capsys, "argument -n/--namespace: applies only with --manifest")
    assert not (tmp_path / "p").exists()


@pytest.mark.parametrize("blocked", ["a file named results", "a working folder not writable"])
def test_the_default_results_folder_is_named_as_the_default(tmp_path, capsys, monkeypatch, blocked) -> None:
    """No --out-dir given: the line names the default results/NAME and the flag that moves it, not
    ``argument --out`` (a flag the user never gave, in its old spelling; audit 17).
    """
    monkeypatch.chdir(tmp_path)
    _experiment(tmp_path, "ok")
    if blocked == "a file named results":
        (tmp_path / "results").write_text("x", encoding="utf-8")
        rule = "'results' is not a folder, so 'results/ok' cannot be made"
    else:  # as a user who may not write there (the suite may run as root)
        import rollsim.io.outputs

        monkeypatch.setattr(rollsim.io.outputs.os, "access", lambda path, mode: False)
        rule = "folder '.' is not writable"
    assert main(["run", "exp.yaml", "--workers", "1", "-q"]) == 2
    line = one_error_line(capsys, f"rollsim: error: the default results folder results/ok: {rule}; choose another "
                                  "with --out-dir")
    assert "argument" not in line


@pytest.mark.parametrize("command", ["report", "plot"])
@pytest.mark.parametrize("table, column, value, rule", [
    ("summary.csv", "duration_s_mean", "inf", "duration_s_mean is inf, not a finite number"),
    ("summary.csv", "duration_s_p95", "-inf", "duration_s_p95 is -inf, not a finite number"),
    ("summary.csv", "runs", "inf", "runs is inf, not a finite number"),
    ("summary.csv", "completed_fraction", "", "completed_fraction is empty, not a number"),
    ("runs.csv", "duration_s", "-inf", "duration_s is -inf, not a finite number"),
    ("runs.csv", "replication", "nan", "replication is empty, not a number"),
])
def test_a_number_rollsim_never_writes_is_a_damaged_table(make_results, capsys, command, table, column, value,
                                                          rule) -> None:
    """inf where the tables never hold one (a statistic of no run is empty), or no number where every
    row has one: the file and line named, exit 2, nothing written; inf was drawn with numpy's
    RuntimeWarnings on standard error and reported as ∞, exit 0 (audit 17).
    """
    folder = make_results()
    with (folder / table).open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    rows[2][rows[0].index(column)] = value  # the second row: line 3
    with (folder / table).open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert main([command, str(folder)]) == 2
    one_error_line(capsys, f"rollsim: error: {folder / table}: damaged results file: line 3: {rule}")
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before


def test_an_slo_value_of_a_run_that_never_ended_is_inf_and_read(tmp_path, capsys) -> None:
    """A duration bound judges a run that never ended as inf, and summary.csv says so: not damage."""
    exp = tmp_path / "exp.yaml"
    exp.write_text("name: crash\nscenario:\n  cluster: {nodes: 4}\n  faults: {new_pods: crashloop}\n"
                   "  stall_after_s: 300\nreplications: 1\nslo: {max_duration_s: 600}\n", encoding="utf-8")
    out = tmp_path / "crash"
    assert main(["run", str(exp), "--out-dir", str(out), "--workers", "1", "-q"]) == 0
    assert ",inf" in (out / "summary.csv").read_text(encoding="utf-8")  # slo_max_duration_s
    assert main(["report", str(out), "-q"]) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("command", ["report", "plot"])
@pytest.mark.parametrize("path", ["report.md", "report.html", "figures/duration.png"])
def test_an_output_that_is_a_folder_is_a_damaged_folder_found_before_any_write(make_results, capsys, command,
                                                                                path) -> None:
    """report.md (report.html, a figure) a folder: exit 2 before any file is written, as ``figures``
    a file is; was exit 1 with ``Is a directory`` after the figures had been drawn again (audit 17).
    """
    folder = make_results()
    assert main(["report", str(folder), "-q"]) == 0
    (folder / path).unlink()
    (folder / path).mkdir()
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in folder.rglob("*") if p.is_file()}
    code = main([command, str(folder)])
    if command == "plot" and not path.startswith("figures"):  # plot writes no report
        assert code == 0
        return
    assert code == 2
    what = "the figure" if path.startswith("figures") else "the report"
    one_error_line(capsys, f"rollsim: error: {folder / path}: damaged results folder: a folder, not a file, so "
                           f"{what} cannot be written there")
    assert {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in folder.rglob("*") if p.is_file()} == before
