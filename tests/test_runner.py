"""``run_experiment``: the results folder, identical results on every executor, resume."""

from __future__ import annotations

import io
import json
import math
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from rollsim import simulate
from rollsim.spec import model_version
from rollsim.sweep import dispatch, runner
from rollsim.sweep.aggregate import RUN_COLUMNS, RUN_KEYS
from rollsim.sweep.executors import ExecutorError, choose_executor, open_executor
from rollsim.sweep.experiment_file import load_experiment
from rollsim.sweep.results import ResultsError, load_results
from rollsim.sweep.runner import RunError, RunInterrupted, run_experiment

from helpers import one_error_line

EXPERIMENT = """\
name: tiny
description: Four configurations of a 20-node rollout.
scenario: {cluster: {nodes: 20}}
grid:
  strategy.max_unavailable: [1, "25%"]
  strategy.min_ready_seconds: [0, 5]
replications: 2
seed: 11
slo: {max_duration_s: 600, min_available_fraction: 0.9}
"""
SWEPT = ["strategy.max_unavailable", "strategy.min_ready_seconds"]
TABLES = ("runs.csv", "summary.csv", "summary_long.csv", "timelines.parquet", "downtime.parquet", "experiment.yaml",
          "manifest.json")


def write(tmp_path: Path, text: str = EXPERIMENT, name: str = "tiny.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def experiment_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write(tmp_path_factory.mktemp("experiment"))


@pytest.fixture(scope="module")
def serial(experiment_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The experiment run in this process: the reference every other executor must match."""
    out = tmp_path_factory.mktemp("serial") / "tiny"
    run_experiment(load_experiment(experiment_file), out, workers=1)
    return out


def same_results(a: Path, b: Path) -> None:
    for name in ("runs.csv", "summary.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    for name in ("timelines.parquet", "downtime.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(a / name), pd.read_parquet(b / name))


class Counting:
    """A stand-in for ``run_one`` that counts calls and can fail or be interrupted on one."""

    def __init__(self, fail_on: int | None = None, error: BaseException | None = None) -> None:
        self.calls, self.fail_on, self.error = 0, fail_on, error
        self.real = dispatch.run_one

    def __call__(self, scenario, seed):
        self.calls += 1
        if self.calls == self.fail_on:
            raise self.error
        return self.real(scenario, seed)


# -- the results folder ----------------------------------------------------------------------


def test_the_folder_has_every_file(serial: Path) -> None:
    assert {p.name for p in serial.iterdir()} == {*TABLES, "runs"}
    runs = sorted(p.name for p in (serial / "runs").iterdir())
    assert len(runs) == 8 * 3 and not [n for n in runs if n.startswith(".")]
    assert len([n for n in runs if n.endswith(".timeline.parquet")]) == 8


def test_run_json(serial: Path, experiment_file: Path) -> None:
    spec = load_experiment(experiment_file).runs()[7]  # configuration 3, replication 1
    data = json.loads((serial / "runs" / f"{spec.run_id}.json").read_text())
    assert set(data) == {"run_id", "config", "label", "params", "replication", "seed", "model_version", "summary"}
    assert data["model_version"] == model_version.MODEL_VERSION  # what simulated it (rollsim.sweep.stale)
    assert (data["config"], data["replication"], data["seed"]) == (spec.config, spec.replication, spec.seed)
    assert data["params"] == {"strategy.max_unavailable": "25%", "strategy.min_ready_seconds": 5}
    assert list(data["summary"]) == sorted(RUN_KEYS)
    downtime = pd.read_parquet(serial / "runs" / f"{spec.run_id}.downtime.parquet")
    assert list(downtime.columns) == ["node", "downtime_s"] and len(downtime) == 20


def test_a_run_comes_back_as_its_files_bytes(serial: Path, experiment_file: Path) -> None:
    """The worker encodes the parquet files; this process writes those bytes as they came."""
    spec = load_experiment(experiment_file).runs()[7]
    scenario = load_experiment(experiment_file).configurations[spec.config].scenario
    output = dispatch.run_one(scenario, spec.seed)
    assert isinstance(output.timeline, bytes) and isinstance(output.downtime, bytes)
    saved = serial / "runs" / spec.run_id
    assert Path(f"{saved}.timeline.parquet").read_bytes() == output.timeline
    assert Path(f"{saved}.downtime.parquet").read_bytes() == output.downtime
    pd.testing.assert_frame_equal(pd.read_parquet(io.BytesIO(output.timeline)),
                                  simulate(scenario, spec.seed).timeline)


def test_runs_csv(serial: Path) -> None:
    runs = pd.read_csv(serial / "runs.csv")
    assert list(runs.columns) == [*RUN_COLUMNS, *SWEPT, *RUN_KEYS]
    assert list(zip(runs["config"], runs["replication"])) == [(c, r) for c in range(4) for r in range(2)]
    assert list(runs["strategy.max_unavailable"]) == ["1", "1", "1", "1", "25%", "25%", "25%", "25%"]
    assert runs["completed"].all() and (runs["nodes"] == 20).all()
    # Common random numbers: replication r has the same seed in every configuration.
    assert runs.groupby("replication")["seed"].nunique().eq(1).all()


def test_summary_csv(serial: Path) -> None:
    summary = pd.read_csv(serial / "summary.csv", keep_default_na=False, na_values=[""])
    assert list(summary["config"]) == [0, 1, 2, 3] and (summary["runs"] == 2).all()
    assert list(summary.columns[:7]) == ["config", "label", *SWEPT, "runs", "completed", "completed_fraction"]
    assert (summary["completed"] == 2).all()
    assert list(summary.columns[-4:]) == ["slo_ok", "slo_failed", "slo_max_duration_s", "slo_min_available_fraction"]
    runs = pd.read_csv(serial / "runs.csv")
    c2 = runs[runs["config"] == 2]["duration_s"]
    assert summary.loc[2, "duration_s_mean"] == pytest.approx(c2.mean())
    assert summary.loc[2, "duration_s_max"] == c2.max()
    assert summary.loc[2, "slo_max_duration_s"] == c2.max()  # judged on the worst replication


def test_experiment_yaml_and_manifest(serial: Path, experiment_file: Path) -> None:
    doc = yaml.safe_load((serial / "experiment.yaml").read_text(encoding="utf-8"))
    assert list(doc) == ["name", "description", "source", "replications", "seed", "swept", "decisions", "slo",
                         "configurations"]
    assert (doc["name"], doc["source"], doc["replications"], doc["seed"]) == ("tiny", str(experiment_file), 2, 11)
    assert doc["swept"] == SWEPT
    assert doc["slo"][0] == {"key": "max_duration_s", "metric": "duration_s", "bound": "max", "limit": 600.0,
                             "statistic": "worst", "text": "duration_s ≤ 600 (worst over replications)"}
    assert doc["configurations"][3]["params"] == {"strategy.max_unavailable": "25%", "strategy.min_ready_seconds": 5}
    assert doc["configurations"][3]["scenario"]["max_unavailable"] == "25%"
    manifest = json.loads((serial / "manifest.json").read_text())
    assert {"rollsim", "python", "simpy", "numpy", "pandas", "seed", "started_at", "finished_at"} <= set(manifest)
    assert (manifest["executor"], manifest["workers"]) == ("serial", 1)
    assert (manifest["runs_total"], manifest["runs_run"], manifest["runs_reused"]) == (8, 8, 0)
    assert manifest["finished_at"].endswith("+00:00")


def test_load_results_reads_the_folder(serial: Path) -> None:
    results = load_results(serial)
    assert results.name == "tiny" and len(results.runs) == 8 and len(results.summary) == 4
    assert list(results.timelines.columns[:3]) == ["config", "replication", "time_s"]
    assert list(results.downtime.columns) == ["config", "replication", "node", "downtime_s"]
    assert len(results.downtime) == 8 * 20


def test_the_figures_and_the_report_load_only_the_columns_they_read(serial: Path) -> None:
    from rollsim.present.plotdata import READ_COLUMNS

    whole, narrow = load_results(serial), load_results(serial, columns=READ_COLUMNS)
    for name, frame in (("timelines.parquet", "timelines"), ("downtime.parquet", "downtime")):
        full, read = getattr(whole, frame), getattr(narrow, frame)
        assert list(read.columns) == [c for c in full.columns if c in READ_COLUMNS[name]]
        pd.testing.assert_frame_equal(read, full[list(read.columns)], check_exact=True)
    assert "terminating" in whole.timelines and "terminating" not in narrow.timelines
    assert "node" in whole.downtime and "node" not in narrow.downtime
    # the columns every such table has are read whatever is asked
    few = load_results(serial, columns={"timelines.parquet": (), "downtime.parquet": ()})
    assert list(few.timelines.columns) == ["config", "replication", "time_s"]
    assert list(few.downtime.columns) == ["config", "replication", "downtime_s"]


def test_unfinished_runs_have_no_duration_and_fail_a_duration_bound(tmp_path: Path) -> None:
    text = ("name: stuck\nscenario: {cluster: {nodes: 20}, horizon_s: 30}\nreplications: 2\n"
            "slo: {max_duration_s: 1000000}\n")
    out = tmp_path / "stuck"
    run_experiment(load_experiment(write(tmp_path, text)), out, workers=1)
    header, *rows = (out / "runs.csv").read_text().splitlines()
    columns = header.split(",")
    assert [dict(zip(columns, row.split(",")))["duration_s"] for row in rows] == ["", ""]
    assert [dict(zip(columns, row.split(",")))["completed"] for row in rows] == ["False", "False"]
    summary = pd.read_csv(out / "summary.csv")
    assert summary.loc[0, "completed_fraction"] == 0.0 and math.isnan(summary.loc[0, "duration_s_mean"])
    assert not summary.loc[0, "slo_ok"] and math.isinf(summary.loc[0, "slo_max_duration_s"])


# -- identical results on every executor -----------------------------------------------------


def test_two_local_processes_give_the_same_bytes(serial: Path, experiment_file: Path, tmp_path: Path) -> None:
    report = run_experiment(load_experiment(experiment_file), tmp_path / "tiny", workers=2)
    assert (report.executor, report.workers, report.runs_run) == ("processes", 2, 8)
    same_results(serial, tmp_path / "tiny")


def test_a_dask_cluster_gives_the_same_bytes(serial: Path, experiment_file: Path, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    experiment = load_experiment(experiment_file)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None,  # the scheduler's HTTP server on a free port, as the
                                  scheduler_kwargs={"dashboard": False,  # runner's: no warning that 8787 is taken
                                                    "dashboard_address": "127.0.0.1:0"}) as cluster:
        report = run_experiment(experiment, tmp_path / "remote", scheduler=cluster.scheduler_address)
    assert report.executor == f"dask:{cluster.scheduler_address}" and report.workers == 2
    same_results(serial, tmp_path / "remote")
    report = run_experiment(experiment, tmp_path / "local", executor="dask", workers=2)
    assert (report.executor, report.workers) == ("dask-local", 2)
    same_results(serial, tmp_path / "local")


# -- resume, re-run, force -------------------------------------------------------------------


def test_resume_after_an_interruption(serial: Path, experiment_file: Path, tmp_path: Path, monkeypatch) -> None:
    experiment, out = load_experiment(experiment_file), tmp_path / "tiny"

    def interrupt_after_three(done: int, total: int) -> None:
        if done == 3:
            raise KeyboardInterrupt

    with pytest.raises(RunInterrupted) as caught:
        run_experiment(experiment, out, workers=1, progress=interrupt_after_three)
    assert (caught.value.finished, caught.value.total) == (3, 8)
    assert "3 of 8 runs are saved" in str(caught.value)
    assert len(list((out / "runs").glob("*.json"))) == 3
    assert [n for n in TABLES if (out / n).exists()] == ["experiment.yaml"]  # its identity, not finished yet
    with pytest.raises(ResultsError, match="not a finished results folder"):
        load_results(out)

    counting = Counting()
    monkeypatch.setattr(dispatch, "run_one", counting)
    report = run_experiment(experiment, out, workers=1)
    assert counting.calls == 5 and (report.runs_run, report.runs_reused) == (5, 3)
    assert json.loads((out / "manifest.json").read_text())["runs_reused"] == 3
    same_results(serial, out)


def test_interrupted_inside_a_run_keeps_the_runs_before_it(experiment_file: Path, tmp_path: Path,
                                                           monkeypatch) -> None:
    monkeypatch.setattr(dispatch, "run_one", Counting(fail_on=3, error=KeyboardInterrupt()))
    with pytest.raises(RunInterrupted) as caught:
        run_experiment(load_experiment(experiment_file), tmp_path / "tiny", workers=1)
    assert caught.value.finished == 2
    assert len(list((tmp_path / "tiny" / "runs").glob("*.json"))) == 2


@pytest.mark.parametrize("step", ["open_executor", "write_tables"])
def test_an_interrupt_outside_the_sweep_says_how_many_runs_are_saved(experiment_file: Path, tmp_path: Path,
                                                                     monkeypatch, step: str) -> None:
    """While a Dask cluster starts (seconds) or the tables are written, Ctrl-C or SIGTERM said only
    "interrupted": the line now counts the saved runs, as it does during the sweep."""
    experiment, out = load_experiment(experiment_file), tmp_path / "tiny"

    def interrupt_after_three(done: int, total: int) -> None:
        if done == 3:
            raise KeyboardInterrupt

    with pytest.raises(RunInterrupted):
        run_experiment(experiment, out, workers=1, progress=interrupt_after_three)

    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, step, interrupted)
    with pytest.raises(RunInterrupted) as caught:
        run_experiment(experiment, out, workers=1)
    assert (caught.value.finished, caught.value.total) == ((3, 8) if step == "open_executor" else (8, 8))


def test_an_interrupt_as_a_new_folders_executor_starts_says_nothing_was_written(experiment_file: Path,
                                                                                 tmp_path: Path, monkeypatch) -> None:
    """It said "0 of 8 runs are saved in DIR; run again to resume" of a folder it had made and then
    removed, holding nothing (audit 26); a folder that was there says what it holds, as before.
    """
    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "open_executor", interrupted)
    out = tmp_path / "new" / "tiny"
    with pytest.raises(RunInterrupted) as caught:
        run_experiment(load_experiment(experiment_file), out, workers=1, progress=False)
    assert str(caught.value) == "interrupted before any run was saved; nothing was written"
    assert (caught.value.finished, caught.value.total) == (0, 8) and not (tmp_path / "new").exists()
    out.mkdir(parents=True)
    with pytest.raises(RunInterrupted, match=rf"^interrupted: 0 of 8 runs are saved in {out}; run again to resume$"):
        run_experiment(load_experiment(experiment_file), out, workers=1, progress=False)


def test_interrupting_a_process_pool(experiment_file: Path, tmp_path: Path) -> None:
    def interrupt(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(RunInterrupted) as caught:
        run_experiment(load_experiment(experiment_file), tmp_path / "tiny", workers=2, progress=interrupt)
    assert caught.value.finished == 1
    assert len(list((tmp_path / "tiny" / "runs").glob("*.json"))) == 1


def test_a_finished_experiment_does_no_work(serial: Path, experiment_file: Path, monkeypatch) -> None:
    before = {n: (serial / n).stat().st_mtime_ns for n in TABLES}
    monkeypatch.setattr(dispatch, "run_one", Counting(fail_on=1, error=AssertionError("ran again")))
    report = run_experiment(load_experiment(experiment_file), serial, workers=1)
    assert (report.runs_run, report.runs_reused, report.wrote) == (0, 8, False)
    assert {n: (serial / n).stat().st_mtime_ns for n in TABLES} == before


def test_a_changed_slo_rebuilds_the_tables_without_running(serial: Path, tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "tiny"
    experiment = load_experiment(write(tmp_path, EXPERIMENT))
    run_experiment(experiment, out, workers=1)
    monkeypatch.setattr(dispatch, "run_one", Counting(fail_on=1, error=AssertionError("ran again")))
    changed = load_experiment(write(tmp_path, EXPERIMENT.replace("max_duration_s: 600", "max_duration_s: 1")))
    report = run_experiment(changed, out, workers=1)
    assert (report.runs_run, report.wrote, report.executor) == (0, True, "none")
    assert not pd.read_csv(out / "summary.csv")["slo_ok"].any()
    assert (out / "runs.csv").read_bytes() == (serial / "runs.csv").read_bytes()


def test_a_changed_root_seed_runs_everything_again(serial: Path, tmp_path: Path, monkeypatch) -> None:
    """A run's id carries its seed: the same configurations under another root seed are other
    runs, all simulated, none taken from the folder's runs of the old seed.
    """
    out = tmp_path / "tiny"
    shutil.copytree(serial, out)
    counting = Counting()
    monkeypatch.setattr(dispatch, "run_one", counting)
    reseeded = load_experiment(write(tmp_path, EXPERIMENT.replace("seed: 11", "seed: 12")))
    report = run_experiment(reseeded, out, workers=1)
    assert (counting.calls, report.runs_run, report.runs_reused, report.runs_stale) == (8, 8, 0, 8)
    assert report.stale == runner.StaleRuns(reseeded=8)  # of another seed, not "replications beyond those asked"
    before, after = pd.read_csv(serial / "runs.csv"), pd.read_csv(out / "runs.csv")
    assert not set(before["seed"]) & set(after["seed"]) and not set(before["run_id"]) & set(after["run_id"])


def test_force_runs_everything_again(experiment_file: Path, tmp_path: Path, monkeypatch) -> None:
    experiment, out = load_experiment(experiment_file), tmp_path / "tiny"
    run_experiment(experiment, out, workers=1)
    counting = Counting()
    monkeypatch.setattr(dispatch, "run_one", counting)
    report = run_experiment(experiment, out, workers=1, force=True)
    assert counting.calls == 8 and (report.runs_run, report.runs_reused) == (8, 0)


def test_a_damaged_run_file_is_simulated_again(serial: Path, experiment_file: Path, tmp_path: Path, capsys,
                                              monkeypatch) -> None:
    """An emptied or cut-short parquet file of a saved run made every later run of the folder an
    internal error (``ArrowInvalid: Parquet file size is 0 bytes``), which only --force (every run
    again) got past. Now that run alone is simulated again, with a warning naming its file.
    """
    from rollsim.cli import main

    out = tmp_path / "tiny"
    shutil.copytree(serial, out)
    (out / "manifest.json").unlink()
    emptied = sorted((out / "runs").glob("*.timeline.parquet"))[2]
    cut = sorted((out / "runs").glob("*.downtime.parquet"))[5]
    emptied.write_bytes(b"")
    cut.write_bytes(cut.read_bytes()[:40])
    counting = Counting()
    monkeypatch.setattr(dispatch, "run_one", counting)
    assert main(["run", str(experiment_file), "--workers", "1", "--out", str(out)]) == 0
    err = "".join(line for line in capsys.readouterr().err.splitlines(True) if "warning" in line)  # not the progress
    prefix = "rollsim: warning: 2 saved runs could not be read and were simulated again: "
    assert err.count("\n") == 1 and err.startswith(prefix) and err.endswith(" (and 1 more)\n")
    # the first in run order: which of the two that is depends on the run ids (MODEL_VERSION), as the files' order does
    first = err[len(prefix):-len(" (and 1 more)\n")]
    if first.startswith(f"{emptied}: "):
        assert first == f"{emptied}: Parquet file size is 0 bytes"
    else:
        assert first.startswith(f"{cut}: ") and first.endswith("parquet file.")
    assert counting.calls == 2
    same_results(serial, out)
    assert main(["run", str(experiment_file), "--workers", "1", "--out", str(out)]) == 0
    assert counting.calls == 2 and capsys.readouterr().err == ""  # nothing simulated: no progress either


def _cut(path: Path, keep: int) -> None:
    path.write_bytes(path.read_bytes()[:keep])


TABLE_DAMAGE = {  # what was done to a table, and the warning's start (after the folder) and its reason
    "runs.csv cut short": (lambda out: _cut(out / "runs.csv", 900), "runs.csv: ", "its last row is cut short"),
    "runs.csv cut at a row's end": (
        lambda out: (out / "runs.csv").write_text("".join((out / "runs.csv").read_text().splitlines(True)[:-2])),
        "runs.csv: ", "6 rows for the 8 runs manifest.json counts"),
    "summary.csv emptied": (lambda out: _cut(out / "summary.csv", 0), "summary.csv: ", "empty"),
    "summary_long.csv cut at a row's end": (
        lambda out: (out / "summary_long.csv").write_text(
            "".join((out / "summary_long.csv").read_text().splitlines(True)[:-1])),
        "summary_long.csv: ", "rows for the"),
    "timelines.parquet emptied": (lambda out: _cut(out / "timelines.parquet", 0), "timelines.parquet: ",
                                  "not a readable parquet file"),
    "downtime.parquet cut short": (lambda out: _cut(out / "downtime.parquet", 300), "downtime.parquet: ",
                                   "not a readable parquet file"),
    "manifest.json not JSON": (lambda out: _cut(out / "manifest.json", 20), "manifest.json: ", "not JSON"),
}


@pytest.mark.parametrize("damage", TABLE_DAMAGE)
def test_a_damaged_table_is_built_again_from_the_saved_runs(serial: Path, experiment_file: Path, tmp_path: Path,
                                                            capsys, monkeypatch, damage: str) -> None:
    """A table cut short or emptied in a finished folder made every ``rollsim run`` of it exit 2
    asking for ``--force``, which simulated every saved run again (audit 26). The tables are now
    built again from the saved runs, simulating none, with one line saying which file was damaged.
    """
    from rollsim.cli import main

    out = tmp_path / "tiny"
    shutil.copytree(serial, out)
    spoil, name, why = TABLE_DAMAGE[damage]
    spoil(out)
    monkeypatch.setattr(dispatch, "run_one", Counting(fail_on=1, error=AssertionError("ran again")))
    assert main(["run", str(experiment_file), "--workers", "1", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "0 runs simulated, 8 reused" in captured.out
    [line] = captured.err.splitlines()
    assert line.startswith(f"rollsim: warning: {out / name}") and why in line, line
    assert line.endswith("; the tables were built again from the saved runs")
    for table in ("runs.csv", "summary.csv", "summary_long.csv", "timelines.parquet", "downtime.parquet"):
        assert (out / table).read_bytes() == (serial / table).read_bytes(), table
    assert main(["run", str(experiment_file), "--workers", "1", "--out", str(out)]) == 0
    assert capsys.readouterr().err == ""  # whole again: nothing to say


def test_a_run_whose_parquet_file_is_missing_is_simulated_again(serial: Path, experiment_file: Path, tmp_path: Path,
                                                                 monkeypatch) -> None:
    """A run is finished only with all three of its files: its JSON alone does not make it so.
    The run whose timeline file was deleted, and only it, is simulated again (without a warning:
    nothing saved was damaged), and the tables come out as before.
    """
    out = tmp_path / "tiny"
    shutil.copytree(serial, out)
    spec = load_experiment(experiment_file).runs()[5]
    missing = out / "runs" / f"{spec.run_id}.timeline.parquet"
    missing.unlink()
    counting = Counting()
    monkeypatch.setattr(dispatch, "run_one", counting)
    report = run_experiment(load_experiment(experiment_file), out, workers=1)
    assert (counting.calls, report.runs_run, report.runs_reused, report.runs_damaged) == (1, 1, 7, ())
    assert missing.read_bytes() == (serial / "runs" / missing.name).read_bytes()
    same_results(serial, out)


def test_a_run_file_damaged_inside_is_simulated_again(serial: Path, experiment_file: Path, tmp_path: Path,
                                                       capsys) -> None:
    """A file whose footer reads but whose data does not (a page header overwritten in place) stopped
    every rebuild with exit 2 naming the file to delete; it is now simulated again, as a run file
    emptied or cut short is, with the same warning.
    """
    from rollsim.cli import main

    out = tmp_path / "tiny"
    shutil.copytree(serial, out)
    (out / "manifest.json").unlink()
    damaged = sorted((out / "runs").glob("*.timeline.parquet"))[1]
    data = bytearray(damaged.read_bytes())
    data[4:24] = b"\xff" * 20  # the first page header: the footer is intact
    damaged.write_bytes(bytes(data))
    assert main(["run", str(experiment_file), "--workers", "1", "--out", str(out), "-o", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["runs"] == {"total": 8, "simulated": 1, "reused": 7, "stale": 0}
    assert run_experiment(load_experiment(experiment_file), out, workers=1, progress=False).runs_run == 0
    assert damaged.read_bytes() == (serial / "runs" / damaged.name).read_bytes()
    same_results(serial, out)


def _silently_damaged(path: Path) -> bytes:
    """``path``'s bytes with one byte of its ``time_s`` data flipped such that, its page checksums
    unchecked, the file still reads, with other times (as 1,000 bytes flipped in a run's file gave
    126 times of about 1e183 s in timelines.parquet, without a word: audit 26).
    """
    import pyarrow.parquet as pq

    data = path.read_bytes()
    before = pq.read_table(path)
    chunk = pq.ParquetFile(path).metadata.row_group(0).column(before.schema.names.index("time_s"))
    start = chunk.dictionary_page_offset or chunk.data_page_offset
    for at in range(start + 40, start + chunk.total_compressed_size):
        flipped = bytearray(data)
        flipped[at] ^= 0x40
        try:
            after = pq.ParquetFile(io.BytesIO(bytes(flipped)), page_checksum_verification=False).read()
        except (OSError, ValueError):
            continue
        if not after.equals(before):
            return bytes(flipped)
    raise AssertionError(f"no byte of {path}'s time_s flips silently")


def test_a_run_file_damaged_inside_silently_fails_its_checksum_and_is_simulated_again(
        serial: Path, experiment_file: Path, tmp_path: Path, capsys) -> None:
    """Data damaged in place that still decodes went into timelines.parquet and the figures without a
    word (audit 26). Run files carry page checksums now: the rebuild reads each page against its
    checksum, and the run is simulated again with a warning naming the file; the tables are as before.
    """
    import pyarrow.parquet as pq
    from rollsim.cli import main

    out = tmp_path / "tiny"
    shutil.copytree(serial, out)
    (out / "manifest.json").unlink()  # a rebuild: the tables are built from the saved runs again
    damaged = sorted((out / "runs").glob("*.timeline.parquet"))[4]
    damaged.write_bytes(_silently_damaged(damaged))
    with pytest.raises(OSError, match="CRC checksum verification failed"):
        pq.ParquetFile(damaged, page_checksum_verification=True).read()
    assert main(["run", str(experiment_file), "--workers", "1", "--out", str(out)]) == 0
    [warning] = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert warning.startswith(f"rollsim: warning: 1 saved run could not be read and was simulated again: {damaged}: ")
    assert "CRC checksum verification failed" in warning
    assert damaged.read_bytes() == (serial / "runs" / damaged.name).read_bytes()
    for name in ("runs.csv", "summary.csv", "summary_long.csv", "timelines.parquet", "downtime.parquet"):
        assert (out / name).read_bytes() == (serial / name).read_bytes(), name


def test_a_table_damaged_inside_is_named_and_deleting_it_rebuilds_it(serial: Path, experiment_file: Path,
                                                                     tmp_path: Path, capsys, monkeypatch) -> None:
    """The tables carry page checksums too: a timelines.parquet damaged in place (its footer whole)
    is named by what reads it, with the way out, where the figures drew the wrong times.
    """
    from rollsim.cli import main

    out = tmp_path / "tiny"
    shutil.copytree(serial, out)
    (out / "timelines.parquet").write_bytes(_silently_damaged(out / "timelines.parquet"))
    assert main(["report", str(out), "-q"]) == 2
    one_error_line(capsys, f"{out / 'timelines.parquet'}: damaged results file: a page of its data is damaged (it "
                           "fails its checksum); delete it and run the experiment again: rollsim run rebuilds the "
                           "tables from the saved runs")
    (out / "timelines.parquet").unlink()
    monkeypatch.setattr(dispatch, "run_one", Counting(fail_on=1, error=AssertionError("ran again")))
    assert main(["run", str(experiment_file), "--workers", "1", "--out", str(out), "-q"]) == 0
    assert (out / "timelines.parquet").read_bytes() == (serial / "timelines.parquet").read_bytes()


def test_the_same_sweep_writes_the_same_bytes(serial: Path, experiment_file: Path, tmp_path: Path) -> None:
    """Page checksums are a function of the bytes they cover: the same sweep again gives every run
    file and every table byte for byte (the figures and report too), only manifest.json's times differ.
    """
    out = tmp_path / "tiny"
    run_experiment(load_experiment(experiment_file), out, workers=1, progress=False)
    files = sorted(str(p.relative_to(serial)) for p in serial.rglob("*") if p.is_file())
    assert files == sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert [f for f in files if (out / f).read_bytes() != (serial / f).read_bytes()] == ["manifest.json"]


def test_run_files_written_without_checksums_are_still_read(serial: Path, experiment_file: Path,
                                                            tmp_path: Path, monkeypatch) -> None:
    """Runs saved by a rollsim before the checksums (pages without one) are reused, not simulated again."""
    import pyarrow.parquet as pq

    out = tmp_path / "tiny"
    shutil.copytree(serial, out)
    (out / "manifest.json").unlink()
    for path in (out / "runs").glob("*.parquet"):
        table = pq.read_table(path)
        pq.write_table(table, path, write_page_checksum=False)
    monkeypatch.setattr(dispatch, "run_one", Counting(fail_on=1, error=AssertionError("ran again")))
    report = run_experiment(load_experiment(experiment_file), out, workers=1, progress=False)
    assert (report.runs_run, report.runs_reused, report.runs_damaged) == (0, 8, ())
    same_results(serial, out)


INSERTED = EXPERIMENT.replace("grid:\n", "variants:\n  - {name: slow, timings.ready: 20}\n  - {name: base}\ngrid:\n")


def test_a_configuration_inserted_first_reruns_only_its_own_runs(serial: Path, tmp_path: Path, monkeypatch) -> None:
    """Run ids began with the configuration's index: inserting one first gave every later one new
    ids, and all were simulated again. Now only the new configuration's runs are, and the tables
    are those a sweep from scratch writes (each run at its configuration's new position)."""
    out = tmp_path / "tiny"
    shutil.copytree(serial, out)
    inserted = load_experiment(write(tmp_path, INSERTED))
    counting = Counting()
    monkeypatch.setattr(dispatch, "run_one", counting)
    report = run_experiment(inserted, out, workers=1)
    assert counting.calls == 8 and (report.runs_run, report.runs_reused) == (8, 8)
    monkeypatch.undo()
    fresh = tmp_path / "fresh"
    run_experiment(inserted, fresh, workers=1)
    same_results(fresh, out)


def test_a_failing_run_names_itself_and_keeps_the_others(experiment_file: Path, tmp_path: Path,
                                                         monkeypatch) -> None:
    monkeypatch.setattr(dispatch, "run_one", Counting(fail_on=4, error=ValueError("boom")))
    with pytest.raises(RunError, match=r"run k[0-9a-f]{8}-r001-[0-9a-f]{10} \(maxUnavailable 1, minReadySeconds 5, "
                                       r"replication 1, seed \d+\) failed: boom"):
        run_experiment(load_experiment(experiment_file), tmp_path / "tiny", workers=1)
    assert len(list((tmp_path / "tiny" / "runs").glob("*.json"))) == 3


def test_a_killed_worker_says_how_many_runs_are_saved_and_that_a_rerun_resumes(serial: Path, experiment_file: Path,
                                                                               tmp_path: Path, monkeypatch) -> None:
    """A worker SIGKILLed (as the OOM killer does) said only 'run ... failed: A process in the process
    pool was terminated abruptly...'; it now says what is saved and that running again resumes."""
    import os
    import signal

    from rollsim.sweep.experiment import replication_seed

    doomed, real = replication_seed(11, 1), dispatch.run_one

    def killed_on_one_run(scenario, seed):
        if seed == doomed and scenario.daemonset.strategy.max_unavailable == "25%" \
                and scenario.daemonset.min_ready_seconds == 5:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(scenario, seed)

    monkeypatch.setenv("ROLLSIM_START_METHOD", "fork")  # the workers run this module's patched run_one
    monkeypatch.setattr(dispatch, "run_one", killed_on_one_run)
    experiment, out = load_experiment(experiment_file), tmp_path / "tiny"
    with pytest.raises(RunError) as caught:
        run_experiment(experiment, out, workers=2)
    saved = len(list((out / "runs").glob("*.json")))
    message = str(caught.value)
    assert message.startswith("a worker process died abruptly, killed by a signal (SIGKILL is what the out-of-memory "
                              "killer sends; fewer --workers use less memory) with run "), message
    assert message.endswith(f"; {saved} of 8 runs saved in {out}; rerun to resume"), message
    monkeypatch.undo()
    report = run_experiment(experiment, out, workers=1)
    assert (report.runs_run, report.runs_reused) == (8 - saved, saved)
    same_results(serial, out)


def test_a_folder_of_another_experiment_is_refused(serial: Path, tmp_path: Path) -> None:
    other = load_experiment(write(tmp_path, EXPERIMENT.replace("name: tiny", "name: other")))
    with pytest.raises(ResultsError, match="holds the results of experiment 'tiny'"):
        run_experiment(other, serial, workers=1)


# -- progress --------------------------------------------------------------------------------


def test_progress_off_a_terminal_says_what_starts_at_once(experiment_file: Path, tmp_path: Path, capsys) -> None:
    """Piped (a CI log), a sweep said nothing for its first 30 s: it now says at once what it starts
    (and, shorter than that, no more); ``progress=False`` (``-q``) is silent.
    """
    experiment, out = load_experiment(experiment_file), tmp_path / "tiny"
    run_experiment(experiment, out, workers=1)  # stderr is captured here: not a terminal
    assert capsys.readouterr().err == "rollsim: tiny: 8 runs to simulate; a line every 30s\n"
    for record in sorted((out / "runs").glob("*.json"))[:3]:
        record.unlink()
    run_experiment(experiment, out, workers=1)
    assert capsys.readouterr().err == "rollsim: tiny: 3 runs to simulate, 5 reused; a line every 30s\n"
    run_experiment(experiment, out, workers=1, force=True, progress=False)
    assert capsys.readouterr().err == ""


def test_progress_bar_shows_runs_rate_and_time_left(experiment_file: Path, tmp_path: Path, capsys) -> None:
    """The time left is the bar's own estimate by cost (``rollsim.sweep.progress``), gone once all are done."""
    run_experiment(load_experiment(experiment_file), tmp_path / "tiny", workers=1, progress=True)
    err = capsys.readouterr().err
    assert "8/8" in err and "run/s]" in err  # tqdm draws no step of a fast sweep
    assert err.rstrip().endswith("rollsim: tiny: writing the tables, figures and report")


# -- executors -------------------------------------------------------------------------------


@pytest.mark.parametrize(("options", "expected"), [
    ((1, None, None), ("serial", 1)),
    ((None, "serial", None), ("serial", 1)),
    ((3, None, None), ("processes", 3)),
    ((1, "processes", None), ("processes", 1)),
    ((2, "dask", None), ("dask-local", 2)),
    ((None, None, "tcp://10.0.0.1:8786"), ("dask", "tcp://10.0.0.1:8786")),
    ((None, "dask", "tcp://10.0.0.1:8786"), ("dask", "tcp://10.0.0.1:8786")),
])
def test_choose_executor(options, expected) -> None:
    assert choose_executor(*options) == expected


def test_all_cores_by_default() -> None:
    kind, workers = choose_executor(None, None, None)
    assert kind == ("serial" if workers == 1 else "processes") and workers >= 1


@pytest.mark.parametrize(("options", "option", "message"), [
    ((0, None, None), "workers", "workers: must be a positive integer, got 0"),
    ((True, None, None), "workers", "workers: must be a positive integer"),
    ((None, "threads", None), "executor", "executor: must be one of serial, processes, dask"),
    ((2, "serial", None), "workers", "workers: the serial executor has one worker, got 2"),
    ((None, "processes", "tcp://x:1"), "executor", "executor: processes does not go with a Dask scheduler's address"),
    ((2, None, "tcp://x:1"), "workers", "workers: does not go with a Dask scheduler's address"),
    ((None, None, "tcp://bogus"), "scheduler", "scheduler: the address has no port"),
    ((None, None, "bogus"), "scheduler", "scheduler: the address has no port"),
    ((None, None, "inproc://bogus"), "scheduler", "scheduler: an inproc:// address"),
])
def test_bad_executor_options(options, option, message) -> None:
    with pytest.raises(ExecutorError, match=message) as err:
        choose_executor(*options)
    assert err.value.option == option


def test_executor_errors_name_the_flag_on_the_command_line(experiment_file: Path, tmp_path: Path, capsys) -> None:
    from rollsim.cli import main

    out = tmp_path / "out"
    assert main(["run", str(experiment_file), "--out", str(out), "--workers", "2", "--scheduler", "tcp://x:1"]) == 2
    err = capsys.readouterr().err
    assert err == ("rollsim: error: argument --workers: does not go with a Dask scheduler's address: "
                   "the Dask cluster has its own workers\n")
    assert not out.exists()


def test_an_unreachable_scheduler_is_named_with_its_flag(experiment_file: Path, tmp_path: Path, capsys,
                                                         monkeypatch) -> None:
    pytest.importorskip("distributed")
    import socket

    with socket.socket() as s:  # a loopback port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT", "1s")
    import dask

    dask.config.refresh()
    from rollsim.cli import main

    out = tmp_path / "out"
    try:
        assert main(["run", str(experiment_file), "--out", str(out), "--scheduler", f"tcp://127.0.0.1:{port}"]) == 2
    finally:
        monkeypatch.undo()
        dask.config.refresh()
    err = capsys.readouterr().err
    where = f"tcp://127.0.0.1:{port}"
    assert err.startswith(f"rollsim: error: argument --scheduler: no Dask scheduler answers at {where} (")
    assert err.count("\n") == 1 and not out.exists()


def test_bad_options_touch_no_file(experiment_file: Path, tmp_path: Path) -> None:
    with pytest.raises(ExecutorError):
        run_experiment(load_experiment(experiment_file), tmp_path / "tiny", workers=0)
    assert not (tmp_path / "tiny").exists()


def test_dask_missing_names_the_extra(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    with pytest.raises(ExecutorError, match=r"optional 'dask' extra: pip install 'rollsim\[dask\]'"), \
            open_executor(2, "dask", None):
        pass


def test_serial_executor_keeps_errors_in_the_future() -> None:
    with open_executor(1, None, None) as backend:
        assert backend.inline and backend.submit(pow, 2, 10).result() == 1024
        assert isinstance(backend.submit(int, "x").exception(), ValueError)


def test_runs_saved_by_an_older_rollsim_are_simulated_again(tmp_path) -> None:
    """A saved run whose summary lacks keys this rollsim writes is not reused."""
    import json as _json

    from rollsim.sweep.experiment_file import load_experiment
    from rollsim.sweep.runner import run_experiment

    path = tmp_path / "e.yaml"
    path.write_text("name: e\nscenario: {cluster: {nodes: 5}, controller: {mode: ideal}}\nreplications: 2\n")
    out = tmp_path / "out"
    first = run_experiment(load_experiment(path), out, workers=1, progress=False)
    assert first.runs_run == 2
    record = sorted((out / "runs").glob("*.json"))[0]
    data = _json.loads(record.read_text())
    del data["summary"]["stalled"]  # as written before the key existed
    record.write_text(_json.dumps(data))
    again = run_experiment(load_experiment(path), out, workers=1, progress=False)
    assert (again.runs_run, again.runs_reused) == (1, 1)
