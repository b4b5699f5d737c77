"""``run_experiment``: every configuration × replication of an experiment, saved as it finishes.

Workers only compute (``run_one`` returns plain data and its parquet files' bytes and writes
nothing, so a Dask worker needs no shared filesystem); this process saves each run
atomically as it completes (``rollsim.sweep.store``), and a saved run is never run again.
An interrupted sweep (Ctrl-C, or SIGTERM: ``rollsim.sweep.interrupt``) resumes without
redoing finished runs. Runs go out largest first, small ones in batches
(``rollsim.sweep.schedule``). The tables of the results folder are then built from the
saved runs alone, sorted by configuration and replication, so they are identical whatever
the executor and the order.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import platform
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Executor, Future, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import simpy

from rollsim.io.atomic import write_json, write_text
from rollsim.simulation import simulate
from rollsim.spec.scenario import Scenario
from rollsim.sweep import executors
from rollsim.sweep.errors import ExecutorLost, FolderBusy, RunError, RunInterrupted
from rollsim.sweep.executors import Backend, choose_executor, open_executor
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
    saved_run_ids,
)
from rollsim.sweep.identity import describe_experiment, identity_text
from rollsim.sweep.interrupt import terminate_as_interrupt
from rollsim.sweep.schedule import Inherited, Packed, batches, inheriting, largest_first, pack, run_cost, unpack
from rollsim.sweep.store import RunOutput, finished, parquet_bytes, write_tables
from rollsim.sweep.store import save_run as _save_run  # by this name, so that a test can wrap it

__all__ = ["run_experiment", "check_run", "run_one", "run_batch", "RunOutput", "RunnerReport", "RunInterrupted",
           "RunError", "ExecutorLost", "FolderBusy", "describe_experiment", "AGGREGATES"]

POLL_S = 1.0  # how often a sweep waiting on its runs asks the executor whether it is still there
Progress = bool | None | Callable[[int, int], None]


@dataclass(frozen=True)
class RunnerReport:
    """What one ``run_experiment`` call did; ``wrote`` is False when all was up to date.
    ``runs_stale``: runs saved in the folder that belong to no configuration of the experiment
    now (after its configurations changed); they are kept, and ``force`` removes them.
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


_OTHER_KEYS = ("completed", "duration_s", "updated", "min_available_fraction", "unavailable_node_seconds",
               "stalled", "queue_wait_s", "syncs", "api_writes", "stop_cause", "stop_detail")


def run_one(scenario: Scenario, seed: int) -> RunOutput:
    """Simulate one run; top-level so that process pools and Dask can ship it by name."""
    result = simulate(scenario, seed)
    nodes = result.nodes
    downtime = nodes.loc[nodes["desired"].astype(bool), ["node", "downtime_s"]].reset_index(drop=True)
    summary = dict(result.summary)
    for name, other in result.others.items():  # the other DaemonSets of the run, by name
        summary.update({f"{name}.{k}": other[k] for k in _OTHER_KEYS})
    summary = {k: v.item() if isinstance(v, np.generic) else v for k, v in summary.items()}
    return RunOutput(summary, parquet_bytes(result.timeline), parquet_bytes(downtime))


def run_batch(jobs: Sequence[tuple[Scenario | Packed | Inherited, int]]) -> tuple[list[RunOutput], Exception | None]:
    """Simulate ``(scenario, seed)`` jobs one after another: the outputs of those done and,
    if one failed, its error (the jobs after it are not run). A task of one job that fails
    raises, as ``run_one`` does; a later job's error carries its traceback as a note.
    """
    outputs: list[RunOutput] = []
    for scenario, seed in jobs:
        try:
            outputs.append(run_one(unpack(scenario), seed))
        except Exception as exc:
            if not outputs:
                raise
            exc.add_note("".join(traceback.format_exception(exc)).rstrip())
            return outputs, exc
    return outputs, None


def _progress(progress: Progress, total: int, reused: int, name: str) -> tuple[Any, Callable[[int, int], None]]:
    """A tqdm bar on stderr (on a terminal, unless ``progress`` says otherwise) and a callback."""
    callback = progress if callable(progress) else (lambda done, total: None)
    show = sys.stderr.isatty() if progress is None else progress is True
    if not show:
        return None, callback
    from tqdm import tqdm  # only when a bar is shown

    bar = tqdm(total=total, desc=name, unit="run", file=sys.stderr, dynamic_ncols=True)
    if reused:
        bar.set_postfix_str(f"{reused} reused", refresh=False)
    return bar, callback


def _lost(trouble: str, out: Path, saved: int, total: int) -> ExecutorLost:
    return ExecutorLost(f"{trouble}; {saved} of {total} runs saved in {out}; rerun to resume")


def _tasks(experiment: Experiment, todo: list[RunSpec], backend: Backend) -> list[list[RunSpec]]:
    """``todo`` largest first, in batches of small runs (one run per task in this process)."""
    costs = {c.index: run_cost(c.scenario) for c in experiment.configurations}
    ordered = largest_first(todo, lambda s: costs[s.config])
    return [[s] for s in ordered] if backend.inline else batches(ordered, lambda s: costs[s.config], backend.workers)


def _failed(spec: RunSpec, exc: BaseException, batch: int = 1) -> RunError:
    within = f" (in a task of {batch} runs)" if batch > 1 else ""
    return RunError(f"run {spec.run_id} ({spec.label}, replication {spec.replication}, "
                    f"seed {spec.seed}) failed{within}: {exc or type(exc).__name__}")


def _died(spec: RunSpec) -> str:
    """What a broken process pool says: a worker died mid-run, so no run of its is to blame for
    certain (the pool fails every run in flight); a signal killed it, the OOM killer's often.
    """
    return (f"a worker process died abruptly, killed by a signal (SIGKILL is what the out-of-memory killer sends; "
            f"fewer --workers use less memory) with run {spec.run_id} ({spec.label}) in flight")


def _sweep(experiment: Experiment, scenarios: dict[int, Scenario], out: Path, todo: list[RunSpec],
           backend: Backend, progress: Progress, reused: int, lost_after_s: float) -> None:
    """Run ``todo`` (of ``scenarios``, by configuration) on ``backend``, a few tasks ahead of the
    workers, saving each run as its task completes.

    While it waits, it asks the backend every ``POLL_S`` whether it is still there; a
    trouble that lasts ``lost_after_s`` (a Dask scheduler unreachable, no Dask worker
    left) ends the sweep with ``ExecutorLost``, as does a run that fails while the
    backend is in trouble (Dask cancels every run when its scheduler goes).
    """
    packed: dict[int, Packed] = {}  # each scenario pickled once, when first sent

    def job(spec: RunSpec) -> tuple[Scenario | Packed | Inherited, int]:
        if backend.inline:
            return scenarios[spec.config], spec.seed
        if backend.forked:  # the workers hold the scenarios already (_run_locked: inheriting)
            return Inherited(spec.config), spec.seed
        if spec.config not in packed:
            packed[spec.config] = pack(scenarios[spec.config])
        return packed[spec.config], spec.seed

    window = 1 if backend.inline else max(2, 2 * backend.workers)
    queue = iter(_tasks(experiment, todo, backend))
    in_flight: dict[Future, list[RunSpec]] = {}
    bar, callback = _progress(progress, len(todo), reused, experiment.name)
    done = 0
    trouble_since: float | None = None
    try:
        while True:
            while len(in_flight) < window and (task := next(queue, None)) is not None:
                in_flight[backend.submit(run_batch, [job(spec) for spec in task])] = task
            if not in_flight:
                break
            completed, _ = wait(in_flight, timeout=POLL_S, return_when=FIRST_COMPLETED)
            if not completed:
                trouble, now = backend.trouble(), time.monotonic()
                if trouble is None:
                    trouble_since = None
                elif now - (trouble_since := trouble_since or now) >= lost_after_s:
                    raise _lost(f"{trouble} for {lost_after_s:g} s", out, reused + done, reused + len(todo))
                continue
            trouble_since = None
            for future in sorted(completed, key=lambda f: in_flight[f][0].run_id):
                task = in_flight.pop(future)
                try:
                    outputs, failure = future.result()
                except (Exception, asyncio.CancelledError) as exc:
                    if (trouble := backend.trouble()) is not None:
                        raise _lost(trouble, out, reused + done, reused + len(todo)) from None
                    if isinstance(exc, BrokenExecutor):  # a worker killed (SIGKILL: the OOM killer), not a run's error
                        raise _lost(_died(task[0]), out, reused + done, reused + len(todo)) from None
                    raise _failed(task[0], exc, len(task)) from exc
                for spec, output in zip(task, outputs):  # each run saved, and counted, on its own
                    _save_run(out, spec, output)
                    done += 1
                    if bar is not None:
                        bar.update(1)
                    callback(done, len(todo))
                if failure is not None:
                    raise _failed(task[len(outputs)], failure) from failure
    except KeyboardInterrupt:
        for future in in_flight:
            future.cancel()
        raise RunInterrupted(out, reused + done, reused + len(todo)) from None
    except BaseException:
        for future in in_flight:
            future.cancel()
        raise
    finally:
        if bar is not None:
            bar.close()


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
    if force:
        clear(out)
    specs = experiment.runs()
    todo = [s for s in specs if not finished(out, s.run_id)]
    resolved = identity_text(experiment)
    current = (out / IDENTITY).is_file() and (out / IDENTITY).read_text(encoding="utf-8") == resolved
    if not todo and current and all((out / name).is_file() for name in AGGREGATES):
        return RunnerReport(out, len(specs), 0, len(specs), "none", 0, time.perf_counter() - clock, wrote=False,
                            runs_stale=_stale(out, specs))

    name, n_workers = "none", 0  # nothing to run: the tables are rebuilt from the saved runs
    forget_tables(out, keep_identity=True)
    if todo:
        # workers forked as the executor opens start with the scenarios in their memory
        scenarios = {c.index: c.scenario for c in experiment.configurations}
        with inheriting(scenarios), open_executor(workers, executor, scheduler, runs=len(todo)) as backend:
            name, n_workers = backend.name, backend.workers
            write_text(out / IDENTITY, resolved)  # the folder's identity, before the first run
            (out / RUNS).mkdir(parents=True, exist_ok=True)
            _sweep(experiment, scenarios, out, todo, backend, progress, len(specs) - len(todo), lost_after_s)
    write_tables(experiment, out, specs)
    write_text(out / IDENTITY, resolved)
    wall = time.perf_counter() - clock
    write_json(out / "manifest.json", {  # last: a folder with a manifest is finished
        "rollsim": importlib.metadata.version("rollsim"), "python": platform.python_version(),
        "simpy": simpy.__version__, "numpy": np.__version__, "pandas": pd.__version__, "seed": experiment.seed,
        "started_at": started_at, "finished_at": _utc_now(), "executor": name, "workers": n_workers,
        "runs_total": len(specs), "runs_run": len(todo), "runs_reused": len(specs) - len(todo),
        "wall_s": round(wall, 3),
    })
    return RunnerReport(out, len(specs), len(todo), len(specs) - len(todo), name, n_workers, wall, wrote=True,
                        runs_stale=_stale(out, specs))


def _stale(out: Path, specs: list[RunSpec]) -> int:
    """How many runs saved in ``out`` are of no configuration the experiment has now."""
    return len(set(saved_run_ids(out)) - {s.run_id for s in specs})
