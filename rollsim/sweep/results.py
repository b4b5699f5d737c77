"""The results folder of an experiment: its layout, atomic writes, and loading it back.

``results/<name>/``::

    experiment.yaml        the resolved experiment (configurations, seeds, SLO)
    manifest.json          versions, seed, start and end time, executor, wall time
    runs/<run_id>.json     one finished run: its spec and summary (written last, as it finishes)
    runs/<run_id>.timeline.parquet, runs/<run_id>.downtime.parquet
                           that run's timeline and per-node downtimes (large; not in git)
    runs.csv               one row per run: configuration, swept keys, replication, seed, metrics
    summary.csv            one row per configuration: statistics of each metric, SLO verdict
    summary_long.csv       the same statistics in long form: config, label, metric, statistic, value
    timelines.parquet      the timelines of all runs (config, replication, then timeline columns)
    downtime.parquet       per-node downtime of all runs (config, replication, node, downtime_s)
    figures/*.png, report.md, report.html

Plots and reports read only these files (``load_results``). In a notebook a ``Results``
shows its summary and one availability sparkline per configuration.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from rollsim.io.csvfile import csv_damage, ends_whole
from rollsim.spec.quoting import describe

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ends_whole", "DamagedFile", "Results", "load_results", "ResultsError", "unreadable_table"]


class ResultsError(ValueError):
    """A results folder that is missing or incomplete."""


class DamagedFile(ResultsError):
    """A file of a results folder that cannot be read as ``rollsim run`` wrote it: ``file``, and ``why``."""

    def __init__(self, file: Path, why: str, fix: str) -> None:
        self.file, self.why = file, why
        super().__init__(f"{file}: damaged results file: {why}; {fix}")


@dataclass(frozen=True)
class Results:
    """A results folder, loaded: every table the plots and the report need."""

    path: Path
    experiment: dict[str, Any]
    manifest: dict[str, Any]
    runs: pd.DataFrame
    summary: pd.DataFrame
    timelines: pd.DataFrame | None
    downtime: pd.DataFrame | None

    @property
    def name(self) -> str:
        """The experiment's name."""
        return str(self.experiment["name"])

    @property
    def summary_long(self) -> pd.DataFrame:
        """The summary in long form (``config, label, metric, statistic, value``), as
        ``summary_long.csv`` holds it (computed from ``summary`` for older folders).
        """
        from rollsim.sweep.aggregate import summary_long

        return summary_long(self.summary)

    def __repr__(self) -> str:
        s = self.summary
        replications = self.experiment.get("replications", "?")
        return (f"Results({self.name!r}: {len(s)} configurations × {replications} replications, "
                f"{len(self.runs)} runs, {sum(str(v) == 'True' for v in s.get('slo_ok', []))} meet the SLO; "
                f"{str(self.path)!r})")

    def _repr_html_(self) -> str:
        from rollsim.observe.display import results_html

        return results_html(self)


# the files ``rollsim run`` builds from the saved runs (``rollsim.sweep.runner``): one missing is built again
_REBUILT = ("manifest.json", "runs.csv", "summary.csv", "summary_long.csv", "timelines.parquet", "downtime.parquet")


def _damaged(file: Path, why: str) -> DamagedFile:
    """A damaged file, and what to do: a table goes, and ``rollsim run`` builds the tables again from
    the saved runs in ``runs/`` (it finds most damage itself: a table cut short, emptied; a parquet
    table damaged inside only shows when its pages are read); ``experiment.yaml`` is the folder's identity.
    """
    if file.name in _REBUILT:
        return DamagedFile(file, why, "delete it and run the experiment again: rollsim run rebuilds the tables from "
                                      "the saved runs")
    return DamagedFile(file, why, "run the experiment again (rollsim run --force)")


def damaged_table(file: Path, exc: Exception) -> DamagedFile:
    """A table of a results folder that raised ``exc`` when read (an ``OSError``, pyarrow's errors)."""
    return _damaged(file, _unreadable(file, exc))


def _text(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise _damaged(file, f"not UTF-8 text (byte {exc.start + 1})") from None


def _experiment(file: Path) -> dict[str, Any]:
    import yaml

    try:  # rollsim's own file, read as YAML 1.1 whatever rollsim wrote it with (goyaml.SafeDumper)
        data = yaml.load(_text(file), Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise _damaged(file, f"not YAML ({' '.join(str(exc).split())[:80]})") from None
    except RecursionError:
        raise _damaged(file, "nested too deeply") from None
    if not isinstance(data, dict):
        raise _damaged(file, f"expected a mapping, got {describe(data)}")
    if not isinstance(data.get("name"), str):
        raise _damaged(file, "no experiment name")
    for key in ("configurations", "slo", "swept"):
        if data.get(key) is not None and not isinstance(data[key], list):
            raise _damaged(file, f"{key} must be a list, got {describe(data[key])}")
    for i, c in enumerate(data.get("configurations") or []):
        if not isinstance(c, dict) or not isinstance(c.get("scenario", {}), dict):
            raise _damaged(file, f"configurations[{i}] must be a mapping with a scenario mapping")
    for i, c in enumerate(data.get("slo") or []):
        if not isinstance(c, dict):
            raise _damaged(file, f"slo[{i}] must be a mapping")
    return data


def _manifest(file: Path) -> dict[str, Any]:
    try:
        data = json.loads(_text(file))
    except (json.JSONDecodeError, RecursionError) as exc:
        raise _damaged(file, f"not JSON ({getattr(exc, 'msg', 'nested too deeply')})") from None
    if not isinstance(data, dict):
        raise _damaged(file, f"expected a mapping, got {describe(data)}")
    return data


def _unreadable(file: Path, exc: Exception) -> str:
    """Why a table cannot be read, in plain words: no exception class, and a library's message
    whole or not at all (pyarrow's ``Could not open Parquet input source '<file>': Parquet file
    size is 0 bytes``, cut at 80 characters, read ``... file size is``).
    """
    import pandas as pd

    if isinstance(exc, OSError) and exc.strerror:
        return f"unreadable: {exc.strerror}"
    if file.suffix == ".parquet":
        if "checksum" in str(exc).lower():  # its footer read, a page did not match its checksum
            return "a page of its data is damaged (it fails its checksum)"
        return "not a readable parquet file (empty, cut short, or not written by rollsim)"
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text (byte {exc.start + 1})"
    if isinstance(exc, pd.errors.EmptyDataError):
        return "empty"
    return f"not a readable CSV table: {' '.join(str(exc).split())}"


def _read_parquet(file: Path, keep: Collection[str] | None) -> pd.DataFrame:
    """``pd.read_parquet(file)``, of only the columns in ``keep`` (those the file has; every one
    when None), each Arrow column freed as it becomes a frame's (``self_destruct``): the frame of a
    large sweep's timelines no longer costs three times its size to read.
    """
    import pyarrow.parquet as pq

    # each page checked against its checksum where it has one (rollsim.sweep.store.parquet_bytes)
    with pq.ParquetFile(file, page_checksum_verification=True) as f:
        columns = None if keep is None else [name for name in f.schema_arrow.names if name in keep]
        table = f.read(columns=columns)
    return table.to_pandas(self_destruct=True, split_blocks=True)


def _table(file: Path, columns: tuple[str, ...], keep: Collection[str] | None = None) -> pd.DataFrame:
    import pandas as pd
    import pyarrow as pa

    try:
        frame = _read_parquet(file, keep) if file.suffix == ".parquet" else pd.read_csv(file)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError, OSError, pa.ArrowException) as exc:
        # an empty or truncated CSV (EmptyDataError, ParserError); a truncated parquet (ArrowInvalid)
        raise _damaged(file, _unreadable(file, exc)) from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise _damaged(file, f"no column {', '.join(missing)}")
    if file.suffix == ".csv":
        if frame.empty:
            raise _damaged(file, "no rows")
        booleans, numbers = _KINDS.get(file.name, ((), ()))
        # rollsim writes no inf in these tables (a statistic of no run is empty): one is damage, which the
        # figures would draw with numpy's warnings and the report print as ∞
        why = csv_damage(file, frame, booleans, (*numbers, *_statistics(file.name, frame.columns)), finite=True,
                         required=_REQUIRED.get(file.name, ()))
        if why is not None:
            raise _damaged(file, why)
    return frame


def _check_counts(root: Path, experiment: Mapping[str, Any], manifest: Mapping[str, Any],
                  runs: pd.DataFrame, summary: pd.DataFrame) -> None:
    """A table with rows missing (cut at a row's end) is as damaged as one cut inside a row: one
    row per run (``manifest.json``'s ``runs_total``) and per configuration (``experiment.yaml``).
    """
    expected = manifest.get("runs_total")
    if isinstance(expected, int) and len(runs) != expected:
        raise _damaged(root / "runs.csv", f"{len(runs)} rows for the {expected} runs manifest.json counts")
    configurations = experiment.get("configurations")
    if isinstance(configurations, list) and len(summary) != len(configurations):
        raise _damaged(root / "summary.csv", f"{len(summary)} rows for the {len(configurations)} configurations "
                                             "experiment.yaml holds")


# the columns whose cells must be True or False, and those that must be finite numbers (or empty), where a
# file has them: pandas reads a boolean column with an empty cell as text, in which 'False' is true
_KINDS = {
    "runs.csv": (("completed", "stalled", "rolled_back"),
                 ("config", "replication", "seed", "nodes", "duration_s", "updated", "min_available",
                  "min_available_fraction", "max_unavailable_observed", "unavailable_node_seconds",
                  "max_surge_observed", "end_s")),
    "summary.csv": (("recommendable",),
                    ("config", "runs", "completed", "completed_fraction", "update_completed", "duration_s_mean",
                     "duration_s_p50", "min_available_fraction_min", "unavailable_node_seconds_mean")),
}

# the number columns every row has (a run's key, a configuration's counts): never empty
_REQUIRED = {"runs.csv": ("config", "replication", "seed"),
             "summary.csv": ("config", "runs", "completed", "completed_fraction", "update_completed")}


def _statistics(name: str, columns: Collection[str]) -> list[str]:
    """summary.csv's ``<metric>_<statistic>`` columns (``rollsim.sweep.aggregate.summary_frame``) that
    ``columns`` holds: numbers or empty (a statistic of no run), never anything else. The SLO's
    ``slo_<key>`` are not among them: a duration bound judges a run that never ended as inf.
    """
    if name != "summary.csv":
        return []
    from rollsim.sweep.aggregate import COMPLETED_METRICS, METRICS, PREEMPTION_METRICS, STATISTICS

    metrics = (*METRICS, *PREEMPTION_METRICS, *(f"{m}_completed" for m in COMPLETED_METRICS))
    return [column for column in (f"{m}_{s}" for m in metrics for s in STATISTICS) if column in columns]


_COLUMNS = {
    "runs.csv": ("config", "label", "replication"),
    "summary.csv": ("config", "label"),
    "timelines.parquet": ("config", "replication", "time_s"),
    "downtime.parquet": ("config", "replication", "downtime_s"),
}
_LONG_COLUMNS = ("config", "label", "metric", "statistic", "value")  # summary_long.csv's (aggregate.summary_long)


def _footer(file: Path, columns: tuple[str, ...]) -> None:
    """A parquet table's footer read, and its columns checked: a table emptied or cut short fails."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        names = pq.read_schema(file).names
    except (ValueError, OSError, pa.ArrowException) as exc:
        raise damaged_table(file, exc) from None
    missing = [c for c in columns if c not in names]
    if missing:
        raise _damaged(file, f"no column {', '.join(missing)}")


def unreadable_table(path: str | Path) -> str | None:
    """Why the tables of a finished results folder (all there) cannot be read as ``load_results``,
    the figures and the report read them (``FILE: why``), or None: what ``rollsim run`` checks before
    it keeps them, rebuilding them from the saved runs when one is damaged (a ``runs.csv`` cut short,
    a ``timelines.parquet`` emptied: every ``rollsim run`` then stopped with exit 2, and ``--force``
    simulated every run again). The CSV tables are read whole (they are small: a row per run or
    per configuration), the parquet tables by their footers: their pages are read when drawn.
    """
    from rollsim.sweep.aggregate import summary_long

    root = Path(path)
    try:
        experiment = _experiment(root / "experiment.yaml")
        manifest = _manifest(root / "manifest.json")
        runs, summary = _table(root / "runs.csv", _COLUMNS["runs.csv"]), _table(root / "summary.csv",
                                                                                _COLUMNS["summary.csv"])
        _check_counts(root, experiment, manifest, runs, summary)
        long = _table(root / "summary_long.csv", _LONG_COLUMNS)
        if len(long) != len(summary_long(summary)):
            raise _damaged(root / "summary_long.csv", f"{len(long)} rows for the {len(summary_long(summary))} of "
                                                      "summary.csv's statistics")
        for name in ("timelines.parquet", "downtime.parquet"):
            _footer(root / name, _COLUMNS[name])
    except DamagedFile as exc:
        return f"{exc.file}: {exc.why}"
    return None


def load_results(path: str | Path, *, columns: Mapping[str, Collection[str]] | None = None) -> Results:
    """Load a results folder written by ``rollsim run``; parquet files are optional.
    ``columns``: of a parquet table named there (``timelines.parquet``, ``downtime.parquet``), read
    only these columns (and those every such table has: ``config``, ``replication`` and its own,
    ``time_s`` or ``downtime_s``); the figures and the report read
    ``rollsim.present.plotdata.READ_COLUMNS``.

    A folder that is missing a file, or whose files are damaged (truncated, empty, not the
    shape ``rollsim run`` writes), is a one-line ``ResultsError`` naming the file.
    """
    root = Path(path)
    if not root.is_dir():
        raise ResultsError(f"{root}: not a folder" if root.exists() else f"{root}: no such folder")
    needed = ("experiment.yaml", "manifest.json", "runs.csv", "summary.csv")
    missing = [n for n in needed if not (root / n).is_file()]
    if missing:
        raise ResultsError(f"{root}: not a finished results folder (missing {', '.join(missing)})")
    experiment = _experiment(root / "experiment.yaml")
    manifest = _manifest(root / "manifest.json")
    kept = {name: {*_COLUMNS[name], *wanted} for name, wanted in (columns or {}).items()}
    tables = {n: _table(root / n, _COLUMNS[n], kept.get(n)) if (root / n).is_file() else None for n in _COLUMNS}
    # runs.csv and summary.csv are in ``needed``, so present
    runs, summary = cast("pd.DataFrame", tables["runs.csv"]), cast("pd.DataFrame", tables["summary.csv"])
    _check_counts(root, experiment, manifest, runs, summary)
    return Results(root, experiment, manifest, runs, summary,
                   tables["timelines.parquet"], tables["downtime.parquet"])
