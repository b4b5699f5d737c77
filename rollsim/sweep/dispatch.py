"""``sweep``: the runs of a sweep on an executor, each saved as its task completes.

Workers only compute (``run_one`` returns plain data and its parquet files' bytes and writes
nothing, so a Dask worker needs no shared filesystem); this process saves each run
atomically as it completes (``rollsim.sweep.store``). Runs go out largest first, small ones
in batches (``rollsim.sweep.schedule``), a few tasks ahead of the workers. A run that fails,
a worker that dies and an executor that goes away each end the sweep with one error
(``rollsim.sweep.errors``) saying how many runs are saved; Ctrl-C cancels what is in flight.
``rollsim.sweep.runner`` wraps this in the experiment's results folder.
"""

from __future__ import annotations

import asyncio
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Future, wait
from pathlib import Path

import numpy as np

from rollsim.simulation import simulate
from rollsim.spec.scenario import Scenario
from rollsim.sweep.errors import ExecutorLost, RunError, RunInterrupted
from rollsim.sweep.executors import Backend
from rollsim.sweep.experiment import Experiment, RunSpec
from rollsim.sweep.progress import SweepProgress, draws_bar
from rollsim.sweep.schedule import Inherited, Packed, batches, largest_first, pack, run_cost, unpack
from rollsim.sweep.store import RunOutput, parquet_bytes
from rollsim.sweep.store import save_run as _save_run  # by this name, so that a test can wrap it

__all__ = ["Progress", "RunOutput", "run_batch", "run_one", "sweep"]

POLL_S = 1.0  # how often a sweep waiting on its runs asks the executor whether it is still there
Progress = bool | None | Callable[[int, int], None]
Job = tuple[Scenario | Packed | Inherited, int]

_OTHER_KEYS = ("completed", "duration_s", "nodes", "updated", "min_available_fraction", "unavailable_node_seconds",
               "stalled", "queue_wait_s", "syncs", "api_writes", "stop_cause", "stop_detail", "preemptions")


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


def run_batch(jobs: Sequence[Job]) -> tuple[list[RunOutput], Exception | None]:
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


def _progress(progress: Progress, costs: list[int], reused: int, name: str
              ) -> tuple[SweepProgress, Callable[[int, int], None]]:
    """What shows the sweep's progress on stderr (``rollsim.sweep.progress``): a bar on a terminal,
    a line every half minute elsewhere (None: as stderr is; True: a bar; False or a callback:
    nothing), and the callback.
    """
    callback = progress if callable(progress) else (lambda done, total: None)
    if progress is None:
        mode: str | None = "bar" if draws_bar(sys.stderr) else "lines"
    else:
        mode = "bar" if progress is True else None
    return SweepProgress(name, costs, reused, mode), callback


def _lost(trouble: str, out: Path, saved: int, total: int) -> ExecutorLost:
    return ExecutorLost(f"{trouble}; {saved} of {total} runs saved in {out}; rerun to resume")


def _tasks(costs: dict[int, int], todo: list[RunSpec], backend: Backend) -> list[list[RunSpec]]:
    """``todo`` largest first (``costs``: by configuration), in batches of small runs (one run per
    task in this process).
    """
    ordered = largest_first(todo, lambda s: costs[s.config])
    return [[s] for s in ordered] if backend.inline else batches(ordered, lambda s: costs[s.config], backend.workers)


def _jobs(scenarios: dict[int, Scenario], backend: Backend) -> Callable[[RunSpec], Job]:
    """How a run is sent: its scenario itself in this process; by configuration to workers
    forked with the scenarios in their memory (``rollsim.sweep.schedule.inheriting``); else
    pickled, each scenario once, when first sent.
    """
    packed: dict[int, Packed] = {}

    def job(spec: RunSpec) -> Job:
        if backend.inline:
            return scenarios[spec.config], spec.seed
        if backend.forked:
            return Inherited(spec.config), spec.seed
        if spec.config not in packed:
            packed[spec.config] = pack(scenarios[spec.config])
        return packed[spec.config], spec.seed

    return job


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


# how long a Dask task's error waits for the scheduler to say its worker was lost, before the run is blamed
TROUBLE_GRACE_S = 5.0


def _trouble_soon(backend: Backend, within_s: float) -> str | None:
    """The backend's trouble now, or once it shows within ``within_s`` (a Dask task that raised as its
    worker was killed: the scheduler may learn of the loss after the task's error reached here, and
    the run was not to blame; CI saw "not enough values to unpack" from such a task). None at once
    for a backend that cannot be in trouble (``Backend.watched``: a local executor's).
    """
    deadline = time.monotonic() + within_s
    while (trouble := backend.trouble()) is None and backend.watched and time.monotonic() < deadline:
        time.sleep(0.1)
    return trouble


def _outputs(future: Future, task: list[RunSpec], backend: Backend, lost: Callable[[str], ExecutorLost],
             grace_s: float = 0.0) -> tuple[list[RunOutput], Exception | None]:
    """What a completed task returned (``run_batch``); a task that raised is the backend's
    trouble (``lost``: now, or within ``grace_s``), a dead worker (``lost`` too), or else the
    failure of its first run.
    """
    try:
        return future.result()
    except (Exception, asyncio.CancelledError) as exc:
        if (trouble := _trouble_soon(backend, grace_s)) is not None:
            raise lost(trouble) from None
        if isinstance(exc, BrokenExecutor):  # a worker killed (SIGKILL: the OOM killer), not a run's error
            raise lost(_died(task[0])) from None
        raise _failed(task[0], exc, len(task)) from exc


def sweep(experiment: Experiment, scenarios: dict[int, Scenario], out: Path, todo: list[RunSpec],
          backend: Backend, progress: Progress, reused: int, lost_after_s: float) -> None:
    """Run ``todo`` (of ``scenarios``, by configuration) on ``backend``, a few tasks ahead of the
    workers, saving each run as its task completes.

    While it waits, it asks the backend every ``POLL_S`` whether it is still there; a
    trouble that lasts ``lost_after_s`` (a Dask scheduler unreachable, no Dask worker
    left) ends the sweep with ``ExecutorLost``, as does a run that fails while the
    backend is in trouble (Dask cancels every run when its scheduler goes).
    """
    job, window = _jobs(scenarios, backend), 1 if backend.inline else max(2, 2 * backend.workers)
    costs = {c.index: run_cost(c.scenario) for c in experiment.configurations}
    queue = iter(_tasks(costs, todo, backend))
    in_flight: dict[Future, list[RunSpec]] = {}
    bar, callback = _progress(progress, [costs[s.config] for s in todo], reused, experiment.name)
    done = 0
    trouble_since: float | None = None

    def lost(trouble: str) -> ExecutorLost:
        return _lost(trouble, out, reused + done, reused + len(todo))

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
                    raise lost(f"{trouble} for {lost_after_s:g} s")
                continue
            trouble_since = None
            for future in sorted(completed, key=lambda f: in_flight[f][0].run_id):
                task = in_flight.pop(future)
                outputs, failure = _outputs(future, task, backend, lost, min(lost_after_s, TROUBLE_GRACE_S))
                for spec, output in zip(task, outputs):  # each run saved, and counted, on its own
                    _save_run(out, spec, output)
                    done += 1
                    bar.run_done(costs[spec.config])
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
        bar.close()
