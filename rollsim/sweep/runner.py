"""``run_experiment``: every configuration × replication of an experiment, saved as it finishes.

The runs go to an executor (``rollsim.sweep.dispatch``), which saves each run atomically as it
completes (``rollsim.sweep.store``); a saved run is never run again, so an interrupted sweep
(Ctrl-C, or SIGTERM: ``rollsim.sweep.interrupt``) resumes without redoing finished runs. The
tables of the results folder are then built from the saved runs alone, sorted by
configuration and replication, so they are identical whatever the executor and the order.
"""

from __future__ import annotations

import importlib.metadata
import platform
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import simpy

from rollsim.io.atomic import write_json, write_text
from rollsim.provenance import MODEL_VERSION, build
from rollsim.sweep import executors
from rollsim.sweep.dispatch import Progress, sweep
from rollsim.sweep.errors import ExecutorLost, FolderBusy, RunError, RunInterrupted
from rollsim.sweep.executors import choose_executor, open_executor
from rollsim.sweep.experiment import Experiment
from rollsim.sweep.folder import (
    AGGREGATES,
    IDENTITY,
    RUNS,
    check_free,
    check_identity,
    clear,
    forget_drawn,
    forget_tables,
    locked,
    remove_debris,
)
from rollsim.sweep.identity import identity_text
from rollsim.sweep.interrupt import cut_short, terminate_as_interrupt
from rollsim.sweep.kept_inputs import kept_in_place, manifest_kept, write_kept
from rollsim.sweep.results import unreadable_table
from rollsim.sweep.schedule import inheriting
from rollsim.sweep.stale import StaleRuns, stale_runs
from rollsim.sweep.store import damaged, damaged_inside, finished, write_tables

__all__ = ["run_experiment", "check_run", "RunnerReport", "RunInterrupted", "RunError", "ExecutorLost", "FolderBusy",
           "StaleRuns"]


@dataclass(frozen=True)
class RunnerReport:
    """What one ``run_experiment`` call did; ``wrote`` is False when all was up to date.
    ``stale``: runs saved in the folder that are no run of the experiment now (after its
    configurations, replications or seed changed, or rollsim's model version), by why; they are
    kept, and ``force`` removes them. ``tables_damaged``: why tables that were up to date could not
    be read (``FILE: why``), when they were rebuilt from the saved runs for it. ``presented``: what
    ``present`` returned.
    """

    out_dir: Path
    runs_total: int
    runs_run: int
    runs_reused: int
    executor: str
    workers: int
    wall_s: float
    wrote: bool
    stale: StaleRuns = StaleRuns()
    runs_damaged: tuple[str, ...] = ()  # runs saved as finished whose files could not be read: simulated again
    tables_damaged: str | None = None
    presented: Any = None

    @property
    def runs_stale(self) -> int:
        """How many saved runs are no run of the experiment now."""
        return self.stale.total


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def run_experiment(experiment: Experiment, out_dir: str | Path, *, workers: int | None = None,
                   executor: str | Executor | None = None, scheduler: str | None = None, force: bool = False,
                   progress: Progress = None, lost_after_s: float | None = None,
                   present: Callable[[Path], Any] | None = None) -> RunnerReport:
    """Run every configuration × replication of ``experiment`` and write its results folder.

    ``out_dir`` is the experiment's own folder (``results/<name>``). Finished runs found
    there are reused unless ``force``; if none is missing and the tables match the
    experiment (and can be read: ``unreadable_table``), nothing is done and nothing is written.
    ``workers``/``executor``/``scheduler`` choose where runs go
    (``rollsim.sweep.executors.choose_executor``).
    ``progress``: None shows a bar when stderr is a terminal (elsewhere a line as the runs start and
    every ``EVERY_S``), True/False force it, a callable gets ``(done, total)`` after each saved run.
    ``lost_after_s`` (default ``executors.LOST_AFTER_S``) bounds how long a sweep waits on a Dask
    cluster that has lost its scheduler or every worker. ``present(out_dir)`` runs once the tables are
    written (or found up to date): ``rollsim run`` draws the figures and writes the report there;
    what it returns is the report's ``presented``.

    The folder is locked from the start to the end of ``present`` (``rollsim.sweep.folder``): a
    ``rollsim run --force`` started meanwhile is refused, where it cleared the folder and this sweep
    then wrote its report and figures into it (audit 26). Its ``experiment.yaml`` is written before
    the first run and kept if the sweep stops.

    Raises ``ExecutorError`` (bad executor options, Dask missing or unreachable),
    ``ResultsError`` (``out_dir`` holds another experiment, ``force`` or not),
    ``FolderBusy`` (another sweep holds the folder), ``ExecutorLost`` (the Dask cluster
    went away), ``RunError`` (a run raised) and, on Ctrl-C or SIGTERM, ``RunInterrupted``,
    whose line says what is saved (nothing, for a folder this call made and left empty; every run
    and the tables, while ``present`` drew, whose figures and report are then removed);
    in every case the finished runs stay saved. No more local workers start than there are
    runs to do, and a single run goes in this process unless ``executor`` names one.
    """
    out = Path(out_dir)
    check_run(experiment, out, workers=workers, executor=executor, scheduler=scheduler, force=force)
    try:
        with terminate_as_interrupt(), locked(out):
            check_identity(out, experiment.name, force)  # again, now that no one else can change it
            report = _run_counted(experiment, out, workers, executor, scheduler, force, progress,
                                  executors.LOST_AFTER_S if lost_after_s is None else lost_after_s)
            return report if present is None else replace(report, presented=_present(present, out, report))
    except RunInterrupted as exc:
        if not out.exists():  # the folder this call made, removed again as it held nothing (``locked``)
            raise RunInterrupted(out, 0, exc.total, "interrupted before any run was saved; nothing was written") \
                from None
        raise


def _run_counted(experiment: Experiment, out: Path, workers: int | None, executor: str | Executor | None,
                 scheduler: str | None, force: bool, progress: Progress, lost_after_s: float) -> RunnerReport:
    """``_run_locked``, an interrupt outside the sweep (a Dask cluster starting, the tables) saying
    what is saved as one inside it does.
    """
    try:
        return _run_locked(experiment, out, workers, executor, scheduler, force, progress, lost_after_s)
    except RunInterrupted:
        raise
    except KeyboardInterrupt:
        specs = experiment.runs()
        raise RunInterrupted(out, sum(finished(out, s.run_id) for s in specs), len(specs)) from None


def _present(present: Callable[[Path], Any], out: Path, report: RunnerReport) -> Any:
    """``present(out)``, still under the folder's lock. Interrupted, it removes what it drew
    (``forget_drawn``: a report beside only some of its figures, or the last sweep's), and the line
    says what is saved and how to finish, as ``rollsim plan``'s does after its plan.json.
    """
    try:
        return present(out)
    except BaseException as exc:  # an interrupt, or what it became inside an import (``cut_short``)
        if not cut_short(exc):
            raise
        forget_drawn(out)
        every = "the run" if report.runs_total == 1 else f"all {report.runs_total:,} runs"
        raise RunInterrupted(out, report.runs_total, report.runs_total,
                             f"interrupted while drawing the figures and report: {every} and the tables are saved "
                             f"in {out}; rollsim report {out} draws them (or run again)") from None


def check_run(experiment: Experiment, out_dir: str | Path, *, workers: int | None = None,
              executor: str | Executor | None = None, scheduler: str | None = None, force: bool = False) -> None:
    """What ``run_experiment`` checks before it makes or locks the folder, with the same errors,
    touching no file: the executor options, ``out_dir`` (another experiment's results, a user's
    files, a plan: ``check_identity``) and whether another sweep holds it (``check_free``).
    ``rollsim run`` with several experiments checks them all before the first run starts.
    """
    choose_executor(workers, executor, scheduler)
    out = Path(out_dir)
    check_identity(out, experiment.name, force)
    check_free(out)


def _run_locked(experiment: Experiment, out: Path, workers: int | None, executor: str | Executor | None,
                scheduler: str | None, force: bool, progress: Progress, lost_after_s: float) -> RunnerReport:
    started_at, clock = _utc_now(), time.perf_counter()
    remove_debris(out)
    if force:
        clear(out)
    specs = experiment.runs()
    todo = [s for s in specs if not finished(out, s.run_id)]
    broken = tuple(why for why in (damaged(out, s.run_id) for s in todo) if why)
    resolved = identity_text(experiment)
    current = (out / IDENTITY).is_file() and (out / IDENTITY).read_text(encoding="utf-8") == resolved
    stale = stale_runs(out, experiment, specs)
    kept, piped = experiment.cluster_reads, experiment.piped  # what the runs read from a cluster or a pipe, kept
    tables_damaged = None
    if not todo and current and all((out / name).is_file() for name in AGGREGATES) and \
            kept_in_place(out, kept, piped):
        tables_damaged = unreadable_table(out)  # a table cut short or emptied since: built again from the runs
        if tables_damaged is None:
            return RunnerReport(out, len(specs), 0, len(specs), "none", 0, time.perf_counter() - clock, wrote=False,
                                stale=stale)
    # the tables are built again from every saved run: one damaged inside (a page failing its checksum,
    # its footer whole) is simulated again, as one whose footer is damaged is
    missing = {s.run_id for s in todo}
    inside = {s.run_id: why for s in specs if s.run_id not in missing and (why := damaged_inside(out, s.run_id))}
    if inside:
        todo = [s for s in specs if s.run_id in missing or s.run_id in inside]
        broken += tuple(inside.values())

    name, n_workers = "none", 0  # nothing to run: the tables are rebuilt from the saved runs
    forget_tables(out, keep_identity=True)
    if todo:
        # workers forked as the executor opens start with the scenarios in their memory
        scenarios = {c.index: c.scenario for c in experiment.configurations}
        with inheriting(scenarios), open_executor(workers, executor, scheduler, runs=len(todo)) as backend:
            name, n_workers = backend.name, backend.workers
            write_text(out / IDENTITY, resolved)  # the folder's identity, before the first run
            (out / RUNS).mkdir(parents=True, exist_ok=True)
            sweep(experiment, scenarios, out, todo, backend, progress, len(specs) - len(todo), lost_after_s)
    write_tables(experiment, out, specs)
    write_kept(out, kept, piped)
    write_text(out / IDENTITY, resolved)
    wall = time.perf_counter() - clock
    write_json(out / "manifest.json", {  # last: a folder with a manifest is finished
        "rollsim": importlib.metadata.version("rollsim"), "model_version": MODEL_VERSION, "build": build(),
        "python": platform.python_version(),
        "simpy": simpy.__version__, "numpy": np.__version__, "pandas": pd.__version__, "seed": experiment.seed,
        "started_at": started_at, "finished_at": _utc_now(), "executor": name, "workers": n_workers,
        "runs_total": len(specs), "runs_run": len(todo), "runs_reused": len(specs) - len(todo),
        "wall_s": round(wall, 3), **manifest_kept(kept, piped),
    })
    return RunnerReport(out, len(specs), len(todo), len(specs) - len(todo), name, n_workers, wall, wrote=True,
                        stale=stale, runs_damaged=broken, tables_damaged=tables_damaged)
