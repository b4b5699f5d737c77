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
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import simpy

from rollsim.io.atomic import write_json, write_text
from rollsim.provenance import MODEL_VERSION, build
from rollsim.sweep import executors
from rollsim.sweep.dispatch import Progress, sweep
from rollsim.sweep.errors import ExecutorLost, FolderBusy, RunError, RunInterrupted
from rollsim.sweep.executors import choose_executor, open_executor
from rollsim.sweep.experiment import Experiment, RunSpec
from rollsim.sweep.folder import (
    AGGREGATES,
    IDENTITY,
    RUNS,
    check_free,
    check_identity,
    clear,
    forget_tables,
    locked,
    remove_debris,
    saved_run_ids,
)
from rollsim.sweep.identity import identity_text
from rollsim.sweep.interrupt import terminate_as_interrupt
from rollsim.sweep.kept_inputs import kept_in_place, manifest_kept, write_kept
from rollsim.sweep.schedule import inheriting
from rollsim.sweep.store import damaged, finished, write_tables

__all__ = ["run_experiment", "check_run", "RunnerReport", "RunInterrupted", "RunError", "ExecutorLost", "FolderBusy"]


@dataclass(frozen=True)
class RunnerReport:
    """What one ``run_experiment`` call did; ``wrote`` is False when all was up to date.
    ``runs_stale``: runs saved in the folder that belong to no configuration of the experiment
    now (after its configurations changed); they are kept, and ``force`` removes them.
    ``runs_beyond``: how many of them are replications a configuration no longer asks for (its
    key is a configuration's now: ``replications`` was lowered), not runs of a changed one.
    """

    out_dir: Path
    runs_total: int
    runs_run: int
    runs_reused: int
    executor: str
    workers: int
    wall_s: float
    wrote: bool
    runs_stale: int = 0
    runs_beyond: int = 0
    runs_damaged: tuple[str, ...] = ()  # runs saved as finished whose files could not be read: simulated again


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def run_experiment(experiment: Experiment, out_dir: str | Path, *, workers: int | None = None,
                   executor: str | Executor | None = None, scheduler: str | None = None, force: bool = False,
                   progress: Progress = None, lost_after_s: float | None = None) -> RunnerReport:
    """Run every configuration × replication of ``experiment`` and write its results folder.

    ``out_dir`` is the experiment's own folder (``results/<name>``). Finished runs found
    there are reused unless ``force``; if none is missing and the tables match the
    experiment, nothing is done and nothing is written. ``workers``/``executor``/
    ``scheduler`` choose where runs go (``rollsim.sweep.executors.choose_executor``).
    ``progress``: None shows a bar when stderr is a terminal, True/False force it, a
    callable gets ``(done, total)`` after each saved run. ``lost_after_s`` (default
    ``executors.LOST_AFTER_S``) bounds how long a sweep waits on a Dask cluster that has
    lost its scheduler or every worker.

    The folder is locked while this runs (``rollsim.sweep.folder``), and its
    ``experiment.yaml`` is written before the first run and kept if the sweep stops.

    Raises ``ExecutorError`` (bad executor options, Dask missing or unreachable),
    ``ResultsError`` (``out_dir`` holds another experiment, ``force`` or not),
    ``FolderBusy`` (another sweep holds the folder), ``ExecutorLost`` (the Dask cluster
    went away), ``RunError`` (a run raised) and, on Ctrl-C or SIGTERM, ``RunInterrupted``;
    in every case the finished runs stay saved. No more local workers start than there are
    runs to do, and a single run goes in this process unless ``executor`` names one.
    """
    out = Path(out_dir)
    check_run(experiment, out, workers=workers, executor=executor, scheduler=scheduler, force=force)
    with terminate_as_interrupt(), locked(out):
        try:
            check_identity(out, experiment.name, force)  # again, now that no one else can change it
            return _run_locked(experiment, out, workers, executor, scheduler, force, progress,
                               executors.LOST_AFTER_S if lost_after_s is None else lost_after_s)
        except RunInterrupted:
            raise
        except KeyboardInterrupt:  # outside the sweep (a Dask cluster starting, the tables): say what is saved
            specs = experiment.runs()
            raise RunInterrupted(out, sum(finished(out, s.run_id) for s in specs), len(specs)) from None


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
    stale, beyond = _stale(out, specs)
    kept, piped = experiment.cluster_reads, experiment.piped  # what the runs read from a cluster or a pipe, kept
    if not todo and current and all((out / name).is_file() for name in AGGREGATES) and \
            kept_in_place(out, kept, piped):
        return RunnerReport(out, len(specs), 0, len(specs), "none", 0, time.perf_counter() - clock, wrote=False,
                            runs_stale=stale, runs_beyond=beyond)

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
                        runs_stale=stale, runs_beyond=beyond, runs_damaged=broken)


def _stale(out: Path, specs: list[RunSpec]) -> tuple[int, int]:
    """How many runs saved in ``out`` are of no configuration the experiment has now, and of
    those how many are of a configuration it still has: replications it no longer asks for (the
    id starts with the configuration's key).
    """
    stale = set(saved_run_ids(out)) - {s.run_id for s in specs}
    keys = {s.run_id.split("-", 1)[0] for s in specs}
    return len(stale), sum(r.split("-", 1)[0] in keys for r in stale)
