"""The results folder's guards: its identity survives an interrupted sweep, and one sweep
at a time holds its lock."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rollsim.cli import main
from rollsim.sweep.errors import FolderBusy
from rollsim.sweep.experiment_file import load_experiment
from rollsim.sweep.folder import LOCK, check_free, locked
from rollsim.sweep.results import ResultsError
from rollsim.sweep.runner import RunInterrupted, run_experiment

from helpers import one_error_line

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENT = """\
name: {name}
scenario: {{cluster: {{nodes: 12}}, controller: {{mode: ideal}}}}
grid:
  strategy.max_unavailable: [1, 3]
replications: 2
seed: 5
"""

BUSY = r"\(run, plan, report or plot\)"  # who may hold a folder's lock, as the message lists them


HOLDER = """\
import sys
from pathlib import Path
from rollsim.sweep.folder import locked
with locked(Path(sys.argv[1])):
    print("locked", flush=True)
    sys.stdin.read()
"""


def experiment(tmp_path: Path, name: str):
    path = tmp_path / f"{name}.yaml"
    path.write_text(EXPERIMENT.format(name=name), encoding="utf-8")
    return load_experiment(path)


def interrupted(tmp_path: Path, name: str, after: int) -> Path:
    """A sweep of ``name`` stopped by Ctrl-C after ``after`` saved runs."""
    out = tmp_path / "out"

    def stop(done: int, total: int) -> None:
        if done == after:
            raise KeyboardInterrupt

    with pytest.raises(RunInterrupted):
        run_experiment(experiment(tmp_path, name), out, workers=1, progress=stop)
    return out


def saved(out: Path) -> int:
    return len(list((out / "runs").glob("*.json")))


# -- identity --------------------------------------------------------------------------------


def test_an_interrupted_folder_keeps_its_identity(tmp_path: Path) -> None:
    out = interrupted(tmp_path, "first", after=2)
    assert "name: first" in (out / "experiment.yaml").read_text(encoding="utf-8")
    with pytest.raises(ResultsError, match=r"holds the results of experiment 'first' \(2 saved runs, "
                                           r"not finished\), not 'second'; choose another folder"):
        run_experiment(experiment(tmp_path, "second"), out, workers=1)
    assert saved(out) == 2
    report = run_experiment(experiment(tmp_path, "first"), out, workers=1)  # the first one resumes
    assert (report.runs_reused, report.runs_run) == (2, 2)


def test_force_does_not_discard_another_experiments_runs(tmp_path: Path) -> None:
    out = interrupted(tmp_path, "first", after=3)
    with pytest.raises(ResultsError, match=r"holds the results of experiment 'first' \(3 saved runs, not finished\); "
                                           r"--force would discard them for 'second'"):
        run_experiment(experiment(tmp_path, "second"), out, workers=1, force=True)
    assert saved(out) == 3


def test_force_discards_the_same_experiments_runs(tmp_path: Path) -> None:
    out = interrupted(tmp_path, "first", after=3)
    report = run_experiment(experiment(tmp_path, "first"), out, workers=1, force=True)
    assert (report.runs_reused, report.runs_run) == (0, 4)


def test_force_keeps_the_folders_identity_while_it_discards_the_runs(tmp_path: Path) -> None:
    """An interrupt between --force's clearing and the sweep's first write must not leave a
    folder without identity, which any other experiment could then take (and mix its runs in).
    """
    from rollsim.sweep.folder import check_identity, clear

    out = tmp_path / "out"
    run_experiment(experiment(tmp_path, "first"), out, workers=1)
    clear(out)
    assert (out / "experiment.yaml").is_file() and saved(out) == 0 and not (out / "manifest.json").exists()
    with pytest.raises(ResultsError, match="holds the results of experiment 'first'"):
        check_identity(out, "second", force=False)


def test_force_into_another_finished_experiment_says_what_it_would_discard(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    run_experiment(experiment(tmp_path, "first"), out, workers=1, progress=False)
    path = tmp_path / "second.yaml"
    path.write_text(EXPERIMENT.format(name="second"), encoding="utf-8")
    assert main(["run", str(path), "--out", str(out), "--force", "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "experiment 'first' (4 saved runs, finished); --force would discard" in err
    assert saved(out) == 4


def test_a_refused_folder_is_not_created(tmp_path: Path) -> None:
    out = tmp_path / "file"
    out.write_text("not a folder")
    with pytest.raises(ResultsError, match="is not a folder"):
        run_experiment(experiment(tmp_path, "first"), out, workers=1)


# -- the lock --------------------------------------------------------------------------------


def test_a_locked_folder_is_refused_at_once_naming_the_holder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with locked(out):
        holder = json.loads((out / LOCK).read_text(encoding="utf-8"))
        assert holder["pid"] == os.getpid() and holder["host"] and holder["started_at"]
        started = time.monotonic()
        with pytest.raises(FolderBusy, match=rf"{out} is in use by another rollsim command {BUSY} \(pid {os.getpid()}"):
            run_experiment(experiment(tmp_path, "first"), out, workers=1)
        assert time.monotonic() - started < 5
    assert not (out / LOCK).exists()  # let go, and the file with it
    run_experiment(experiment(tmp_path, "first"), out, workers=1)


def test_a_plan_takes_the_lock_of_its_folder_too(tmp_path: Path) -> None:
    """Two plans (or a plan and a sweep) writing one folder at once would mix their files: the
    second is refused at once, naming the first, and the plan leaves no lock file behind.
    """
    from rollsim import build_scenario
    from rollsim.plan import Constraints, plan

    out = tmp_path / "plan"
    scenario = build_scenario(nodes=4, controller="ideal")
    with locked(out):
        with pytest.raises(FolderBusy, match=rf"{out} is in use by another rollsim command {BUSY} \(pid "):
            plan(scenario, Constraints(window_s=3600), out=out, workers=1, report=False)
        assert sorted(p.name for p in out.iterdir()) == [LOCK]  # nothing written
    plan(scenario, Constraints(window_s=3600), out=out, workers=1, report=False)
    assert sorted(p.name for p in out.iterdir()) == ["candidates.csv", "plan.json", "runs.jsonl"]


def test_a_lock_file_left_by_a_killed_run_does_not_block(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / LOCK).write_text('{"pid": 999999, "host": "gone", "started_at": "then"}', encoding="utf-8")
    report = run_experiment(experiment(tmp_path, "first"), out, workers=1)
    assert report.runs_run == 4 and not (out / LOCK).exists()


def test_check_free_tries_the_lock_and_leaves_the_folder_as_it_was(tmp_path: Path) -> None:
    out = tmp_path / "out"
    check_free(out)  # no folder
    assert not out.exists()
    with locked(out):
        with pytest.raises(FolderBusy, match=rf"{out} is in use by another rollsim command {BUSY} \(pid {os.getpid()}"):
            check_free(out)
    out.mkdir(exist_ok=True)
    stale = '{"pid": 999999, "host": "gone", "started_at": "then"}'
    (out / LOCK).write_text(stale, encoding="utf-8")
    check_free(out)  # a killed run's file: free, and left for locked to take over
    assert (out / LOCK).read_text(encoding="utf-8") == stale


def test_a_second_rollsim_run_into_a_busy_folder_fails_with_one_line(tmp_path: Path, capsys) -> None:
    """Another process's sweep holds the folder: the second `rollsim run` says who, exit 1."""
    out, path = tmp_path / "out", tmp_path / "first.yaml"
    path.write_text(EXPERIMENT.format(name="first"), encoding="utf-8")
    with subprocess.Popen([sys.executable, "-c", HOLDER, str(out)], env={**os.environ, "PYTHONPATH": str(ROOT)},
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as holder:
        assert holder.stdout.readline().strip() == "locked"
        code = main(["run", str(path), "--out", str(out), "--workers", "1"])
        holder.stdin.close()  # it lets go
        assert holder.wait(timeout=30) == 0
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1
    assert f"is in use by another rollsim command (run, plan, report or plot) (pid {holder.pid} on " in err
    assert not (out / "runs").exists()


def test_a_sweep_stopped_before_its_report_leaves_no_old_report(tmp_path: Path, monkeypatch, capsys) -> None:
    """The report is written after ``manifest.json``; a run stopped in between (Ctrl-C while the
    figures are drawn) must not leave the previous sweep's report beside the new tables.
    """
    import rollsim.present.report

    (tmp_path / "exp.yaml").write_text(EXPERIMENT.format(name="exp"), encoding="utf-8")
    out = tmp_path / "out"
    argv = ["run", str(tmp_path / "exp.yaml"), "--out", str(out), "--workers", "1", "-q"]
    assert main(argv) == 0
    assert (out / "report.md").is_file() and (out / "report.html").is_file()

    def stop(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(rollsim.present.report, "save_figures", stop)
    capsys.readouterr()
    assert main([*argv, "--force"]) == 130
    assert (out / "manifest.json").is_file()  # the sweep itself finished
    assert not (out / "report.md").exists() and not (out / "report.html").exists()
    # what is saved and how to finish, where it said "interrupted; nothing half-written is left" (audit 26)
    assert one_error_line(capsys) == (f"rollsim: interrupted while drawing the figures and report: all 4 runs and the "
                                      f"tables are saved in {out}; rollsim report {out} draws them (or run again)")
    monkeypatch.undo()
    assert main(argv) == 0  # nothing to simulate; the report is written again
    assert (out / "report.md").is_file() and (out / "report.html").is_file()
    capsys.readouterr()


def test_a_rerun_stopped_while_drawing_leaves_the_tables_alone(tmp_path: Path, monkeypatch, capsys) -> None:
    """A finished folder run again draws its figures and report again: stopped after the first figure,
    it left that new figure beside the last run's others and report; it now leaves the tables alone,
    which ``rollsim report`` draws them from, as its line says.
    """
    import rollsim.present.output
    from rollsim.sweep.folder import FIGURE_FILES, FIGURES

    (tmp_path / "exp.yaml").write_text(EXPERIMENT.format(name="exp"), encoding="utf-8")
    out = tmp_path / "out"
    argv = ["run", str(tmp_path / "exp.yaml"), "--out", str(out), "--workers", "1", "-q"]
    assert main(argv) == 0
    tables = {name: (out / name).read_bytes() for name in ("runs.csv", "summary.csv", "manifest.json")}
    real, drawn = rollsim.present.output.write_atomically, []

    def second_stops(path: Path, *args: object, **kwargs: object) -> None:
        if drawn:
            raise KeyboardInterrupt
        real(path, *args, **kwargs)
        drawn.append(path)

    monkeypatch.setattr(rollsim.present.output, "write_atomically", second_stops)  # the figures' writes
    assert main(argv) == 130
    assert one_error_line(capsys, "interrupted while drawing the figures and report: all 4 runs and the tables are "
                                  f"saved in {out}; rollsim report {out} draws them (or run again)")
    assert not [name for name in FIGURE_FILES if (out / FIGURES / name).exists()] and drawn
    assert not (out / "report.md").exists() and not (out / "report.html").exists()
    assert {name: (out / name).read_bytes() for name in tables} == tables
    monkeypatch.undo()
    assert main(["report", str(out), "-q"]) == 0
    assert all((out / FIGURES / name).is_file() for name in FIGURE_FILES) and (out / "report.html").is_file()


def test_the_folder_stays_locked_until_its_report_is_written(tmp_path: Path) -> None:
    """``run_experiment`` let go of the lock when its tables were written, and ``rollsim run`` drew
    the figures and the report after: ``present`` now runs under the lock, whether the sweep wrote
    the tables or found them up to date, and another command is refused meanwhile.
    """
    out, seen = tmp_path / "out", []

    def present(folder: Path) -> str:
        assert (folder / "manifest.json").is_file()  # the tables are written, and the folder still held
        with pytest.raises(FolderBusy, match=rf"{out} is in use by another rollsim command {BUSY} \(pid {os.getpid()}"):
            check_free(folder)
        seen.append(folder)
        return "drawn"

    for wrote in (True, False):
        report = run_experiment(experiment(tmp_path, "first"), out, workers=1, progress=False, present=present)
        assert (report.wrote, report.presented) == (wrote, "drawn")
    assert seen == [out, out] and not (out / LOCK).exists()


def test_a_run_force_while_the_report_is_drawn_is_refused(tmp_path: Path, monkeypatch, capsys) -> None:
    """Audit 26: a ``rollsim run --force`` started while the first run drew its figures took the lock
    the first had let go, cleared the folder, and the first then wrote its old report and figures
    into it (interrupted, that left them beside no tables). Now it is refused, as while the runs ran.
    """
    import rollsim.present.report

    (tmp_path / "exp.yaml").write_text(EXPERIMENT.format(name="exp"), encoding="utf-8")
    out = tmp_path / "out"
    argv = ["run", str(tmp_path / "exp.yaml"), "--out", str(out), "--workers", "1", "-q"]
    real, second = rollsim.present.report.write_report, []

    def drawing(results):
        second.append(main([*argv, "--force"]))  # another run, started meanwhile
        second.append(capsys.readouterr().err)
        return real(results)

    monkeypatch.setattr(rollsim.present.report, "write_report", drawing)
    assert main(argv) == 0
    assert second[0] == 1 and second[1].count("\n") == 1
    assert f"{out} is in use by another rollsim command {BUSY.replace(chr(92), '')} (pid {os.getpid()}" in second[1]
    assert sorted(p.name for p in out.iterdir()) == ["downtime.parquet", "experiment.yaml", "figures", "manifest.json",
                                                     "report.html", "report.md", "runs", "runs.csv", "summary.csv",
                                                     "summary_long.csv", "timelines.parquet"]


# -- a folder that is not rollsim's ---------------------------------------------------------------


def _contents(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_users_folder_is_refused_and_left_as_it_was(tmp_path: Path, capsys, monkeypatch) -> None:
    """`rollsim run x.yaml --out-dir .` in a folder of the user's replaced their report.md and summary.csv."""
    mine = tmp_path / "mine"
    (mine / "figures").mkdir(parents=True)
    for name, text in {"report.md": "# my report\n", "summary.csv": "a,b\n1,2\n", "notes.txt": "notes\n",
                       "figures/mine.png": "png"}.items():
        (mine / name).write_text(text, encoding="utf-8")
    before = _contents(mine)
    (tmp_path / "exp.yaml").write_text(EXPERIMENT.format(name="exp"), encoding="utf-8")
    monkeypatch.chdir(mine)
    for extra in ([], ["--force"]):
        assert main(["run", str(tmp_path / "exp.yaml"), "--out-dir", ".", "--workers", "1", "-q", *extra]) == 2
        err = one_error_line(capsys)
        assert err.startswith(f"rollsim: error: {mine} is not empty (figures, notes.txt, report.md and 1 more) and "
                              "it holds no rollsim results"), err
        assert "a new or empty folder" in err
        assert _contents(mine) == before and sorted(p.name for p in mine.iterdir()) == [
            "figures", "notes.txt", "report.md", "summary.csv"]


def test_an_experiment_file_named_like_the_identity_is_not_one(tmp_path: Path) -> None:
    """The user's experiment.yaml (an experiment file) beside their files does not make a results folder."""
    folder = tmp_path / "study"
    folder.mkdir()
    (folder / "experiment.yaml").write_text(EXPERIMENT.format(name="first"), encoding="utf-8")
    (folder / "notes.txt").write_text("notes\n", encoding="utf-8")
    with pytest.raises(ResultsError, match=r"is not empty \(experiment.yaml, notes.txt\) and its experiment.yaml is "
                                           r"not one rollsim wrote"):
        run_experiment(load_experiment(folder / "experiment.yaml"), folder, workers=1)
    assert sorted(p.name for p in folder.iterdir()) == ["experiment.yaml", "notes.txt"]


def test_an_empty_folder_is_taken(tmp_path: Path) -> None:
    out = tmp_path / "empty"
    out.mkdir()
    assert run_experiment(experiment(tmp_path, "first"), out, workers=1).runs_run == 4


def test_force_removes_only_the_files_rollsim_wrote(tmp_path: Path) -> None:
    """--force deleted every file in runs/, a user's included."""
    out = interrupted(tmp_path, "first", after=3)
    (out / "runs" / "mine.json").write_text("{}", encoding="utf-8")
    (out / "runs" / "notes.txt").write_text("notes\n", encoding="utf-8")
    (out / "notes.txt").write_text("notes\n", encoding="utf-8")
    with pytest.raises(ResultsError, match=r"\(3 saved runs, not finished\)"):  # the user's JSON is no saved run
        run_experiment(experiment(tmp_path, "second"), out, workers=1)
    report = run_experiment(experiment(tmp_path, "first"), out, workers=1, force=True)
    assert (report.runs_reused, report.runs_run) == (0, 4)
    assert (out / "runs" / "mine.json").read_text(encoding="utf-8") == "{}"
    assert (out / "runs" / "notes.txt").is_file() and (out / "notes.txt").is_file()
    assert saved(out) == 5  # four runs and the user's mine.json


def test_force_removes_the_runs_of_both_id_schemes_and_nothing_else(tmp_path: Path) -> None:
    from rollsim.sweep.folder import clear, saved_run_ids

    runs = tmp_path / "out" / "runs"
    runs.mkdir(parents=True)
    ours = ["kfdb14892-r000-b04ad1b52f.json", "kfdb14892-r000-b04ad1b52f.timeline.parquet",
            "c000-r001-39a783b810.json", "c000-r001-39a783b810.downtime.parquet",
            ".kfdb14892-r001-8a66293b49.json.x1y2.tmp"]
    theirs = ["k-notes.json", "kFDB14892-r000-b04ad1b52f.json", "c00-r000-39a783b810.json", "notes.txt"]
    for name in ours + theirs:
        (runs / name).write_text("{}", encoding="utf-8")
    assert saved_run_ids(tmp_path / "out") == ["c000-r001-39a783b810", "kfdb14892-r000-b04ad1b52f"]
    clear(tmp_path / "out")
    assert sorted(p.name for p in runs.iterdir()) == sorted(theirs)


@pytest.mark.parametrize("command", ["report", "plot"])
def test_report_and_plot_hold_the_folders_lock(make_results, capsys, command) -> None:
    """They wrote into a folder another command held: one started before a ``run --force`` wrote
    the old study's report over the folder the sweep had cleared. Now they fail at once, as a
    second ``run`` does, and write nothing; free, they run.
    """
    folder = make_results()
    with locked(folder):
        before = sorted(p.name for p in folder.rglob("*"))
        assert main([command, str(folder), "-q"]) == 1
        one_error_line(capsys, f"{folder} is in use by another rollsim command (run, plan, report or plot)")
        assert sorted(p.name for p in folder.rglob("*")) == before
    assert main([command, str(folder), "-q"]) == 0


def test_a_rebuild_forgets_the_figures_and_what_killed_writes_left(tmp_path: Path) -> None:
    """A sweep stopped after its tables and before its figures left the last sweep's figures beside
    the new tables (and manifest.json); a SIGKILL while a table or figure was written left its
    hidden temporary for good. A rebuild removes both; a file of the user's stays.
    """
    from rollsim.sweep.folder import FIGURE_FILES, FIGURES, forget_tables, remove_debris

    out = tmp_path / "out"
    run_experiment(experiment(tmp_path, "first"), out, workers=1)
    figures = out / FIGURES
    figures.mkdir(exist_ok=True)
    for name in FIGURE_FILES:
        (figures / name).write_bytes(b"old")
    debris = [out / ".runs.csv.x1y2z3.tmp", out / ".timelines.parquet.abcd.tmp", figures / ".duration.png.q9.tmp"]
    mine = [out / "notes.txt", out / ".notes.txt.keep.tmp", figures / "mine.png"]
    for path in (*debris, *mine):
        path.write_bytes(b"x")
    remove_debris(out)
    assert not any(p.exists() for p in debris) and all(p.exists() for p in mine)
    forget_tables(out, keep_identity=True)
    assert not any((figures / name).exists() for name in FIGURE_FILES)
    assert all(p.exists() for p in mine) and not (out / "manifest.json").exists()


def test_a_run_removes_what_killed_saves_of_runs_left(tmp_path: Path, capsys) -> None:
    """SIGKILL while a run's file was saved left its hidden temporary in runs/ for good (audit 26:
    ``runs/.k645c73e8-r045-….downtime.parquet.c3h5werv.tmp`` after 8 kills and a finished rerun); only
    --force removed it. Any run now removes those, finished folder or not; a file of the user's stays.
    """
    out = tmp_path / "out"
    run_experiment(experiment(tmp_path, "first"), out, workers=1, progress=False)
    runs = out / "runs"
    run = sorted(p.name for p in runs.glob("*.json"))[0][:-len(".json")]
    debris = [runs / f".{run}.timeline.parquet.c3h5werv.tmp", runs / f".{run}.downtime.parquet.x1.tmp",
              runs / f".{run}.json.q_9z.tmp", runs / ".k645c73e8-r045-0123456789.timeline.parquet.ab.tmp",
              runs / ".c000-r001-39a783b810.json.zz.tmp"]
    mine = [runs / ".notes.txt.keep.tmp", runs / f".{run}.parquet.x.tmp", runs / f"{run}.json.x.tmp",
            runs / ".k645c73e8-r045-0123456789.csv.ab.tmp"]
    for path in (*debris, *mine):
        path.write_bytes(b"x")
    report = run_experiment(experiment(tmp_path, "first"), out, workers=1, progress=False)
    assert not report.wrote  # up to date: nothing else written
    assert not [p for p in debris if p.exists()] and all(p.exists() for p in mine)


def test_the_figure_files_are_the_ones_rollsim_draws() -> None:
    from rollsim.present.plots import FIGURES as DRAWN
    from rollsim.sweep.folder import FIGURE_FILES

    assert FIGURE_FILES == tuple(f"{name}.png" for name in DRAWN)


def test_a_locked_block_that_fails_leaves_none_of_the_folders_it_made(tmp_path: Path) -> None:
    """The results folder and the parents it made are removed when nothing filled them; a parent
    that was there, or that something filled meanwhile, stays.
    """
    out = tmp_path / "deep" / "er" / "out"
    with pytest.raises(RuntimeError), locked(out):
        assert out.is_dir() and (out / LOCK).is_file()
        raise RuntimeError("no executor")
    assert list(tmp_path.iterdir()) == []
    with locked(out):
        (tmp_path / "deep" / "mine.txt").write_text("x", encoding="utf-8")
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == ["deep", "deep/mine.txt"]


def _no_scheduler(*args: object, **kwargs: object):
    from rollsim.sweep.executors import ExecutorError

    raise ExecutorError("no Dask scheduler answers at tcp://127.0.0.1:1 (Timed out trying to connect)", "scheduler")


@pytest.mark.parametrize("command", ["run", "plan"])
@pytest.mark.parametrize("out", [["--out-dir", "deep/er/out"], []], ids=["out-dir", "default"])
def test_no_scheduler_answering_leaves_no_folder(tmp_path: Path, monkeypatch, capsys, command, out) -> None:
    """``--scheduler`` with no Dask scheduler answering: exit 2 and no folder left, neither the out
    folder's parents nor an empty ``results/`` (audit 17). The executor is a stub that fails as
    Dask's client does after its connect timeout, as it opens, after the folder is locked.
    """
    import importlib

    monkeypatch.chdir(tmp_path)
    (tmp_path / "exp.yaml").write_text("name: exp\nscenario: {cluster: {nodes: 4}}\nreplications: 1\n",
                                       encoding="utf-8")
    for module in ("rollsim.sweep.runner", "rollsim.plan.run"):
        monkeypatch.setattr(importlib.import_module(module), "open_executor", _no_scheduler)
    argv = ["run", "exp.yaml"] if command == "run" else ["plan", "--nodes", "4", "--window", "1h"]
    assert main([*argv, "--scheduler", "tcp://127.0.0.1:1", "-q", *out]) == 2
    one_error_line(capsys, "rollsim: error: argument --scheduler: no Dask scheduler answers at tcp://127.0.0.1:1")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exp.yaml"]
