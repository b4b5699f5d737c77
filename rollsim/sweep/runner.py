"""``run_experiment``: every configuration × replication of an experiment, saved as it finishes.

Workers only compute (``run_one`` returns plain data and writes nothing, so a Dask worker
needs no shared filesystem); this process saves each run atomically as it completes —
its parquet files first, its JSON last, and a run is finished when its JSON is there.
An interrupted sweep resumes without redoing finished runs. The tables of the results
folder (``rollsim.sweep.results``) are then built from the saved runs alone, sorted by
configuration and replication, so they are identical whatever the executor.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import simpy
import yaml

from rollsim import __version__
from rollsim.sweep.aggregate import RUN_KEYS, runs_frame, stack_runs, summary_frame
from rollsim.sweep.executors import Backend, choose_executor, open_executor
from rollsim.sweep.experiment import Experiment, RunSpec
from rollsim.io.atomic import write_atomically, write_json, write_text
from rollsim.sweep.results import ResultsError
from rollsim.spec.scenario import Scenario, describe_scenario
from rollsim.simulation import simulate

__all__ = ["run_experiment", "run_one", "RunOutput", "RunnerReport", "RunInterrupted", "RunError",
           "describe_experiment", "AGGREGATES"]

RUNS = "runs"
AGGREGATES = ("runs.csv", "summary.csv", "timelines.parquet", "downtime.parquet", "experiment.yaml", "manifest.json")
Progress = bool | None | Callable[[int, int], None]


class RunOutput(NamedTuple):
    """What a worker sends back for one run: plain data, no files."""

    summary: dict[str, Any]
    timeline: pd.DataFrame
    downtime: pd.DataFrame  # node, downtime_s, for the nodes that should run the DaemonSet


class RunError(RuntimeError):
    """A run raised; the runs finished before it are saved."""


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C during a sweep: the finished runs are saved and a re-run resumes from them."""

    def __init__(self, out_dir: Path, finished: int, total: int) -> None:
        self.out_dir, self.finished, self.total = out_dir, finished, total
        super().__init__(f"interrupted: {finished} of {total} runs are saved in {out_dir}; run again to resume")


@dataclass(frozen=True)
class RunnerReport:
    """What one ``run_experiment`` call did; ``wrote`` is False when all was up to date."""

    out_dir: Path
    runs_total: int
    runs_run: int
    runs_reused: int
    executor: str
    workers: int
    wall_s: float
    wrote: bool


_OTHER_KEYS = ("completed", "duration_s", "updated", "min_available_fraction", "unavailable_node_seconds",
               "stalled", "queue_wait_s", "syncs", "api_writes")


def run_one(scenario: Scenario, seed: int) -> RunOutput:
    """Simulate one run; top-level so that process pools and Dask can ship it by name."""
    result = simulate(scenario, seed)
    nodes = result.nodes
    downtime = nodes.loc[nodes["desired"].astype(bool), ["node", "downtime_s"]].reset_index(drop=True)
    summary = dict(result.summary)
    for name, other in result.others.items():  # the other DaemonSets of the run, by name
        summary.update({f"{name}.{k}": other[k] for k in _OTHER_KEYS})
    summary = {k: v.item() if isinstance(v, np.generic) else v for k, v in summary.items()}
    return RunOutput(summary, result.timeline, downtime)


def _plain(value: Any) -> Any:
    """YAML-safe plain data: mappings, lists, str, int, float, bool, None."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def describe_experiment(experiment: Experiment) -> dict[str, Any]:
    """The resolved experiment, as ``experiment.yaml`` holds it."""
    return _plain({
        "name": experiment.name,
        "description": experiment.description,
        "source": experiment.document.file,
        "replications": experiment.replications,
        "seed": experiment.seed,
        "swept": experiment.swept,
        "decisions": list(experiment.decisions),
        "slo": [{"key": c.key, "metric": c.metric, "bound": c.bound, "limit": c.limit, "statistic": c.statistic,
                 "text": c.describe()} for c in experiment.slo],
        "configurations": [{"index": c.index, "label": c.label, "params": c.params,
                            "scenario": describe_scenario(c.scenario)} for c in experiment.configurations],
    })


def _paths(out: Path, run_id: str) -> tuple[Path, Path, Path]:
    """A run's timeline and downtime parquet files, and its JSON record."""
    runs = out / RUNS
    return runs / f"{run_id}.timeline.parquet", runs / f"{run_id}.downtime.parquet", runs / f"{run_id}.json"


def _finished(out: Path, run_id: str) -> bool:
    """A run is finished when its files exist and its summary has the keys this rollsim writes
    (a run saved by an older rollsim, with other summary keys, is simulated again)."""
    paths = _paths(out, run_id)
    if not all(p.is_file() for p in paths):
        return False
    try:
        summary = json.loads(paths[2].read_text(encoding="utf-8"))["summary"]
    except (ValueError, KeyError, TypeError):
        return False
    return isinstance(summary, dict) and set(RUN_KEYS) <= set(summary)


def _parquet(path: Path, frame: pd.DataFrame) -> None:
    write_atomically(path, lambda f: frame.to_parquet(f, index=False), binary=True)


def _save_run(out: Path, spec: RunSpec, output: RunOutput) -> None:
    """Save one finished run: the parquet files first, the JSON (which marks it finished) last."""
    timeline, downtime, record = _paths(out, spec.run_id)
    _parquet(timeline, output.timeline)
    _parquet(downtime, output.downtime)
    write_json(record, {"run_id": spec.run_id, "config": spec.config, "label": spec.label, "params": spec.params,
                        "replication": spec.replication, "seed": spec.seed, "summary": output.summary})


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


def _sweep(experiment: Experiment, out: Path, todo: list[RunSpec], backend: Backend,
           progress: Progress, reused: int) -> None:
    """Run ``todo`` on ``backend``, a few runs ahead of the workers, saving each as it completes."""
    scenarios = {c.index: c.scenario for c in experiment.configurations}
    window = 1 if backend.inline else max(2, 2 * backend.workers)
    queue = iter(todo)
    in_flight: dict[Future, RunSpec] = {}
    bar, callback = _progress(progress, len(todo), reused, experiment.name)
    done = 0
    try:
        while True:
            while len(in_flight) < window and (spec := next(queue, None)) is not None:
                in_flight[backend.submit(run_one, scenarios[spec.config], spec.seed)] = spec
            if not in_flight:
                break
            completed, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in sorted(completed, key=lambda f: in_flight[f].run_id):
                spec = in_flight.pop(future)
                try:
                    output = future.result()
                except Exception as exc:
                    raise RunError(f"run {spec.run_id} ({spec.label}, replication {spec.replication}, "
                                   f"seed {spec.seed}) failed: {exc}") from exc
                _save_run(out, spec, output)
                done += 1
                if bar is not None:
                    bar.update(1)
                callback(done, len(todo))
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


def _read_runs(out: Path, specs: Iterable[RunSpec]) -> tuple[list[dict], list, list]:
    records, timelines, downtimes = [], [], []
    for s in specs:
        timeline, downtime, record = _paths(out, s.run_id)
        records.append(json.loads(record.read_text(encoding="utf-8")))
        timelines.append((s.config, s.replication, pd.read_parquet(timeline)))
        downtimes.append((s.config, s.replication, pd.read_parquet(downtime)))
    return records, timelines, downtimes


def _csv(path: Path, frame: pd.DataFrame) -> None:
    write_atomically(path, lambda f: frame.to_csv(f, index=False, lineterminator="\n"))


def _write_tables(experiment: Experiment, out: Path, specs: list[RunSpec]) -> None:
    """runs.csv, summary.csv and the two parquet files, from the saved runs alone."""
    records, timelines, downtimes = _read_runs(out, specs)
    runs = runs_frame(records, experiment.swept)
    _csv(out / "runs.csv", runs)
    _csv(out / "summary.csv", summary_frame(runs, experiment.swept, experiment.slo))
    columns = list(timelines[0][2].columns) if timelines else []
    _parquet(out / "timelines.parquet", stack_runs(timelines, columns))
    _parquet(out / "downtime.parquet", stack_runs(downtimes, ["node", "downtime_s"]))


def _dump_yaml(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)


def _check_folder(out: Path, name: str) -> None:
    if out.exists() and not out.is_dir():
        raise ResultsError(f"{out} is not a folder")
    saved = out / "experiment.yaml"
    if saved.is_file():
        other = (yaml.safe_load(saved.read_text(encoding="utf-8")) or {}).get("name")
        if other != name:
            raise ResultsError(f"{out} holds the results of experiment {other!r}, not {name!r}; "
                             "choose another folder or use --force")


def _clear(out: Path) -> None:
    """--force: forget the saved runs and tables (figures and reports are left alone)."""
    runs = out / RUNS
    if runs.is_dir():
        for path in runs.iterdir():
            if path.is_file():
                path.unlink()
    _forget_tables(out)


def _forget_tables(out: Path) -> None:
    """Remove the tables before they are rebuilt: a folder mid-sweep must not pass for a finished one."""
    for name in AGGREGATES:
        (out / name).unlink(missing_ok=True)


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def run_experiment(experiment: Experiment, out_dir: str | Path, *, workers: int | None = None,
                   executor: str | None = None, scheduler: str | None = None, force: bool = False,
                   progress: Progress = None) -> RunnerReport:
    """Run every configuration × replication of ``experiment`` and write its results folder.

    ``out_dir`` is the experiment's own folder (``results/<name>``). Finished runs found
    there are reused unless ``force``; if none is missing and the tables match the
    experiment, nothing is done and nothing is written. ``workers``/``executor``/
    ``scheduler`` choose where runs go (``rollsim.sweep.executors.choose_executor``).
    ``progress``: None shows a bar when stderr is a terminal, True/False force it, a
    callable gets ``(done, total)`` after each saved run.

    Raises ``ExecutorError`` (bad executor options, Dask missing or unreachable),
    ``ResultsError`` (``out_dir`` holds another experiment), ``RunError`` (a run raised)
    and, on Ctrl-C, ``RunInterrupted``; in every case the finished runs stay saved.
    """
    choose_executor(workers, executor, scheduler)  # bad options fail before any file is touched
    out = Path(out_dir)
    started_at, clock = _utc_now(), time.perf_counter()
    if force:
        _clear(out)
    else:
        _check_folder(out, experiment.name)
    specs = experiment.runs()
    todo = [s for s in specs if not _finished(out, s.run_id)]
    resolved = _dump_yaml(describe_experiment(experiment))
    current = (out / "experiment.yaml").is_file() and (out / "experiment.yaml").read_text(encoding="utf-8") == resolved
    if not todo and current and all((out / name).is_file() for name in AGGREGATES):
        return RunnerReport(out, len(specs), 0, len(specs), "none", 0, time.perf_counter() - clock, wrote=False)

    name, n_workers = "none", 0  # nothing to run: the tables are rebuilt from the saved runs
    if todo:
        with open_executor(workers, executor, scheduler) as backend:
            name, n_workers = backend.name, backend.workers
            _forget_tables(out)
            (out / RUNS).mkdir(parents=True, exist_ok=True)
            _sweep(experiment, out, todo, backend, progress, len(specs) - len(todo))
    else:
        _forget_tables(out)
    _write_tables(experiment, out, specs)
    write_text(out / "experiment.yaml", resolved)
    wall = time.perf_counter() - clock
    write_json(out / "manifest.json", {  # last: a folder with a manifest is finished
        "rollsim": __version__, "python": platform.python_version(), "simpy": simpy.__version__,
        "numpy": np.__version__, "pandas": pd.__version__, "seed": experiment.seed,
        "started_at": started_at, "finished_at": _utc_now(), "executor": name, "workers": n_workers,
        "runs_total": len(specs), "runs_run": len(todo), "runs_reused": len(specs) - len(todo),
        "wall_s": round(wall, 3),
    })
    return RunnerReport(out, len(specs), len(todo), len(specs) - len(todo), name, n_workers, wall, wrote=True)
