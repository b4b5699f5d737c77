"""A results folder's runs: where each is saved, whether it is finished, and the tables built from them.

This process saves each run atomically as it completes — its parquet files first, its
JSON last, and a run is finished when its JSON is there (with the summary keys this
rollsim writes) and its parquet files can be read (damaged since, it is simulated again).
The parquet files carry a checksum of each page (``parquet_bytes``), so that one damaged inside,
whose footer still reads, fails when its pages are read (``damaged_inside``) rather than
giving wrong numbers.
The tables (runs.csv, summary.csv, summary_long.csv and the two parquet files) are built
from the saved runs alone, in the experiment's order of configuration and replication, so
they are identical whatever executor ran the runs, in whatever order.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from rollsim.io.atomic import write_atomically, write_json
from rollsim.spec import model_version
from rollsim.sweep.aggregate import RUN_KEYS, runs_frame, summary_frame, summary_long
from rollsim.sweep.experiment import Experiment, RunSpec
from rollsim.sweep.folder import RUNS
from rollsim.sweep.results import ResultsError
from rollsim.sweep.stack import NotStackable, stack_runs, stacked_pieces

__all__ = ["RunOutput", "damaged", "damaged_inside", "finished", "parquet_bytes", "save_run", "write_tables"]


class RunOutput(NamedTuple):
    """What a worker sends back for one run: its summary and its two parquet files' bytes, no files.

    The worker encodes the parquet files, so that the sweep's one process only writes bytes
    to disk: encoding every run there would make it the bottleneck of a sweep with many
    workers (a Dask cluster). The bytes also travel 5× smaller than the pickled frames
    (a 1,000-node run's timeline: 52 KB against 257 KB).
    """

    summary: dict[str, Any]
    timeline: bytes  # the timeline frame, as parquet_bytes encodes it
    downtime: bytes  # node, downtime_s, for the nodes that should run the DaemonSet


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    """``frame`` as the bytes of a run's parquet file (no index): what ``save_run`` writes.

    With a CRC32 of each data page (pyarrow 15 or later), which ``_read_verified`` checks: a file
    damaged in place whose footer still read gave wrong numbers, silently (audit 26: 126 times of
    about 1e183 s in timelines.parquet from 1,000 bytes flipped in one run's file). A page an
    earlier rollsim wrote without one is read unchecked, as before. A checksum is a function of the
    bytes it covers: the same runs still give the same files, byte for byte.
    """
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False, write_page_checksum=True)
    return buffer.getvalue()


def _paths(out: Path, run_id: str) -> tuple[Path, Path, Path]:
    """A run's timeline and downtime parquet files, and its JSON record."""
    runs = out / RUNS
    return runs / f"{run_id}.timeline.parquet", runs / f"{run_id}.downtime.parquet", runs / f"{run_id}.json"


def finished(out: Path, run_id: str) -> bool:
    """A run is finished when its files exist, its summary has the keys this rollsim writes (a run
    saved by an older rollsim, with other summary keys, is simulated again) and its parquet files
    can be read (``damaged``).
    """
    paths = _paths(out, run_id)
    return _saved(paths) and _unreadable(paths) is None


def damaged(out: Path, run_id: str) -> str | None:
    """Why a run saved as finished cannot be read back (``FILE: reason``), or None: a parquet file
    emptied, cut short or overwritten since (its footer is read, not its data), which made every
    later ``rollsim run`` of the folder fail; such a run is simulated again.
    """
    paths = _paths(out, run_id)
    return _unreadable(paths) if _saved(paths) else None


def damaged_inside(out: Path, run_id: str) -> str | None:
    """Why a finished run's data cannot be read back whole (``FILE: reason``), or None: its footer
    reads (``finished``), but a page fails its checksum or does not decode (the file was damaged
    in place). Every page is read, so a sweep asks it only of the runs whose tables it rebuilds;
    such a run is simulated again, as one ``damaged`` is.
    """
    for path in _paths(out, run_id)[:2]:
        try:
            _read_verified(path)
        except (OSError, pa.ArrowException) as exc:
            return f"{path}: {_one_line(exc)}"
    return None


def _read_verified(path: Path) -> pa.Table:
    """A run's parquet file, each page checked against its checksum where it has one; pyarrow's
    ``OSError`` or ``ArrowException`` when its data is damaged. One thread: a run's file is small,
    and handing it to Arrow's pool costs more CPU than it saves.
    """
    with pq.ParquetFile(path, page_checksum_verification=True) as f:
        return f.read(use_threads=False)


def _saved(paths: tuple[Path, Path, Path]) -> bool:
    return all(p.is_file() for p in paths) and _current(paths[2])


def _unreadable(paths: tuple[Path, Path, Path]) -> str | None:
    for path in paths[:2]:
        try:
            pq.read_metadata(path)
        except (OSError, pa.ArrowException) as exc:
            return f"{path}: {_one_line(exc)}"
    return None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__


def _current(record: Path) -> bool:
    """Whether a run's JSON record holds a summary with the keys this rollsim writes."""
    try:
        summary = json.loads(record.read_text(encoding="utf-8"))["summary"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return isinstance(summary, dict) and set(RUN_KEYS) <= set(summary)


def _parquet(path: Path, frame: pd.DataFrame) -> None:
    write_atomically(path, lambda f: frame.to_parquet(f, index=False, write_page_checksum=True), binary=True)


def _write_bytes(path: Path, data: bytes) -> None:
    write_atomically(path, lambda f: f.write(data), binary=True)


def save_run(out: Path, spec: RunSpec, output: RunOutput) -> None:
    """Save one finished run: the parquet files first, the JSON (which marks it finished) last. The
    JSON records the model version that simulated it (not a column of any table): a run the
    experiment no longer has is then said to be of an older model, not of a changed setting
    (``rollsim.sweep.stale``).
    """
    timeline, downtime, record = _paths(out, spec.run_id)
    _write_bytes(timeline, output.timeline)
    _write_bytes(downtime, output.downtime)
    write_json(record, {"run_id": spec.run_id, "config": spec.config, "label": spec.label, "params": spec.params,
                        "replication": spec.replication, "seed": spec.seed,
                        "model_version": model_version.MODEL_VERSION, "summary": output.summary})


Part = tuple[int, int, Path]  # config, replication, a run's parquet file


def _read_runs(out: Path, specs: Iterable[RunSpec]) -> tuple[list[dict], list[Part], list[Part]]:
    records, timelines, downtimes = [], [], []
    for s in specs:
        timeline, downtime, record = _paths(out, s.run_id)
        # the configuration's position and label now: a run saved before a configuration was
        # inserted, moved or renamed is still this run (its id says what it simulates), but its
        # record has the position and label of then
        records.append({**json.loads(record.read_text(encoding="utf-8")),
                        "config": s.config, "label": s.label, "params": s.params})
        timelines.append((s.config, s.replication, timeline))
        downtimes.append((s.config, s.replication, downtime))
    return records, timelines, downtimes


def _read_table(path: Path) -> pa.Table:
    """A run's parquet file; ``ResultsError`` naming it when its data cannot be read (the sweep
    read it whole before, ``damaged_inside``: it was damaged since, by something else than rollsim).
    """
    try:
        return _read_verified(path)
    except (OSError, pa.ArrowException) as exc:
        raise ResultsError(f"{path}: damaged run file: {_one_line(exc)}; delete it and run again (its run is "
                           "simulated again)") from None


def _write_stacked(path: Path, parts: list[Part], columns: list[str] | None) -> None:
    """The runs' files stacked in one (``columns``, or the first run's), at the Arrow level when
    they are ``stackable``, a piece at a time (``stacked_pieces``: the runs are read as the file is
    written), else through pandas (``stack_runs``): the same frame read back.
    """
    if columns is None:
        columns = pq.read_schema(parts[0][2]).names if parts else []
    ordered = sorted(parts, key=lambda p: (p[0], p[1]))
    pieces = stacked_pieces(((config, replication, _read_table(p)) for config, replication, p in ordered), columns)

    def write(f: Any) -> None:
        first = next(pieces)  # NotStackable when there is no run, or the first is not plain
        # Floats (times, downtimes) are nearly all distinct: a dictionary of them is built only
        # to be dropped. The other columns keep one; the file comes out smaller and sooner.
        dictionary = [field.name for field in first.schema if not pa.types.is_floating(field.type)]
        with pq.ParquetWriter(f, first.schema, use_dictionary=dictionary, write_page_checksum=True) as writer:
            writer.write_table(first)
            for piece in pieces:
                writer.write_table(piece)

    try:
        write_atomically(path, write, binary=True)  # a run found not stackable midway leaves no file
    except NotStackable:
        _parquet(path, stack_runs([(config, replication, pd.read_parquet(p, page_checksum_verification=True))
                                   for config, replication, p in parts], columns))


def _csv(path: Path, frame: pd.DataFrame) -> None:
    write_atomically(path, lambda f: frame.to_csv(f, index=False, lineterminator="\n"))


def write_tables(experiment: Experiment, out: Path, specs: list[RunSpec]) -> None:
    """runs.csv, summary.csv, summary_long.csv and the two parquet files, from the saved runs alone."""
    records, timelines, downtimes = _read_runs(out, specs)
    runs = runs_frame(records, experiment.swept)
    _csv(out / "runs.csv", runs)
    summary = summary_frame(runs, experiment.swept, experiment.slo)
    _csv(out / "summary.csv", summary)
    _csv(out / "summary_long.csv", summary_long(summary))
    _write_stacked(out / "timelines.parquet", timelines, None)
    _write_stacked(out / "downtime.parquet", downtimes, ["node", "downtime_s"])
