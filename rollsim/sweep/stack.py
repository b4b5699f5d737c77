"""The per-run frames of a sweep in one table: ``timelines.parquet`` and ``downtime.parquet``.

``stack_runs`` is the reference, on DataFrames: each run's rows, ``config`` and
``replication`` first, runs in order. ``stack_tables`` does the same on the Arrow tables
read from the runs' parquet files, without going through pandas: the columns are
concatenated once and ``config``/``replication`` repeated over each run's rows, and the
table carries the pandas metadata ``stack_runs``'s frame would, so that ``pd.read_parquet``
reads back the same frame. It does so for the column types rollsim writes (64-bit integers
without nulls, doubles, text) when every run has the same ones; ``stackable`` says when.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = ["stack_runs", "stackable", "stack_tables", "stacked_pieces", "NotStackable", "ROWS_PER_PIECE"]

# Types whose values pandas reads back unchanged after concatenation; an int64 column with
# nulls is not one (pandas reads it as floats, run by run).
_PLAIN = (pa.int64(), pa.float64(), pa.string(), pa.large_string())
ROWS_PER_PIECE = 1 << 17  # rows of runs stacked at once (a row group of the file): 10 MB of a timeline


class NotStackable(ValueError):
    """``stack_tables`` was given runs that are not ``stackable``: ``stack_runs`` stacks them."""


def stack_runs(parts: Iterable[tuple[int, int, pd.DataFrame]], columns: Sequence[str]) -> pd.DataFrame:
    """The frames of many runs in one: ``config, replication``, then ``columns``, sorted by run."""
    frames = [frame.loc[:, list(columns)].assign(config=config, replication=replication)
              for config, replication, frame in sorted(parts, key=lambda p: (p[0], p[1]))]
    if not frames:
        return pd.DataFrame(columns=["config", "replication", *columns])
    stacked = pd.concat(frames, ignore_index=True)
    return stacked[["config", "replication", *columns]]


def _fields(schema: pa.Schema, columns: Sequence[str]) -> list[pa.Field] | None:
    """The fields of ``columns`` in ``schema``; None if one is missing (or named twice)."""
    try:
        return [schema.field(name) for name in columns]
    except KeyError:
        return None


def _fields_if_plain(table: pa.Table, columns: Sequence[str]) -> list[pa.Field] | None:
    """The fields of ``columns`` in ``table`` when they are plain (``_PLAIN``) with no null in an
    integer column, else None.
    """
    fields = _fields(table.schema, columns)
    if fields is None or not all(f.type in _PLAIN for f in fields):
        return None
    if any(table.column(f.name).null_count for f in fields if f.type == pa.int64()):
        return None
    return fields


def stackable(tables: Sequence[pa.Table], columns: Sequence[str]) -> bool:
    """Whether ``stack_tables`` stacks these runs: at least one, each with ``columns`` of the same
    plain types (``_PLAIN``) as the others, and no null in an integer column.
    """
    if not tables:
        return False
    fields = _fields_if_plain(tables[0], columns)
    return fields is not None and all(_fields_if_plain(table, columns) == fields for table in tables[1:])


def _pandas_metadata(schema: pa.Schema) -> dict[bytes, bytes]:
    """The pandas metadata of ``stack_runs``'s frame with this schema (an empty one says it)."""
    frame = schema.empty_table().to_pandas()
    return pa.Schema.from_pandas(frame, preserve_index=False).metadata or {}


def _stack(runs: Sequence[tuple[int, int, pa.Table]], names: list[str]) -> pa.Table:
    """Runs already checked and in order, in one table with ``config`` and ``replication`` first."""
    tables = [table if table.column_names == names else table.select(names) for _, _, table in runs]
    rows = [t.num_rows for t in tables]
    config = np.repeat(np.array([p[0] for p in runs], dtype=np.int64), rows)
    replication = np.repeat(np.array([p[1] for p in runs], dtype=np.int64), rows)
    data = pa.concat_tables(tables)  # the schemas are equal but for their metadata, which is replaced
    stacked = pa.Table.from_arrays([pa.array(config), pa.array(replication), *data.columns],
                                   names=["config", "replication", *names])
    return stacked.replace_schema_metadata(_pandas_metadata(stacked.schema))


def stacked_pieces(parts: Iterable[tuple[int, int, pa.Table]], columns: Sequence[str],
                   rows: float | None = None) -> Iterator[pa.Table]:
    """``stack_tables`` a piece at a time, for runs given in their order (configuration, then
    replication), read as they are needed: each piece the stack of the next runs up to ``rows``
    rows (``ROWS_PER_PIECE`` when None; or of one larger run), all with one schema. A sweep's
    table is so written holding one piece, not every run (600 runs of 2,000 nodes held 0.8 GB).
    Raises ``NotStackable`` (before the first piece when there is no run) at the first run that is
    not ``stackable`` with the first.
    """
    names, fields, most = list(columns), None, ROWS_PER_PIECE if rows is None else rows
    batch: list[tuple[int, int, pa.Table]] = []
    count = 0
    for config, replication, table in parts:
        found = _fields_if_plain(table, names)
        if found is None or (fields is not None and found != fields):
            raise NotStackable(f"run {config}/{replication}'s columns differ in type from the first's: use stack_runs")
        fields = found
        if batch and count + table.num_rows > most:
            yield _stack(batch, names)
            batch, count = [], 0
        batch.append((config, replication, table))
        count += table.num_rows
    if fields is None:
        raise NotStackable("no runs: use stack_runs")
    yield _stack(batch, names)


def stack_tables(parts: Iterable[tuple[int, int, pa.Table]], columns: Sequence[str]) -> pa.Table:
    """``stack_runs`` on Arrow tables: ``config, replication``, then ``columns``, sorted by run,
    with the pandas metadata of ``stack_runs``'s frame. Raises ``NotStackable`` unless the runs
    are ``stackable``.
    """
    ordered = sorted(parts, key=lambda p: (p[0], p[1]))
    return next(stacked_pieces(ordered, columns, rows=math.inf))
