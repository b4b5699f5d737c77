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

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = ["stack_runs", "stackable", "stack_tables", "NotStackable"]

# Types whose values pandas reads back unchanged after concatenation; an int64 column with
# nulls is not one (pandas reads it as floats, run by run).
_PLAIN = (pa.int64(), pa.float64(), pa.string(), pa.large_string())


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


def stackable(tables: Sequence[pa.Table], columns: Sequence[str]) -> bool:
    """Whether ``stack_tables`` stacks these runs: at least one, each with ``columns`` of the same
    plain types (``_PLAIN``) as the others, and no null in an integer column.
    """
    if not tables:
        return False
    fields = _fields(tables[0].schema, columns)
    if fields is None or not all(f.type in _PLAIN for f in fields):
        return False
    integers = [f.name for f in fields if f.type == pa.int64()]
    return all(_fields(table.schema, columns) == fields and not any(table.column(name).null_count for name in integers)
               for table in tables)


def _pandas_metadata(schema: pa.Schema) -> dict[bytes, bytes]:
    """The pandas metadata of ``stack_runs``'s frame with this schema (an empty one says it)."""
    frame = schema.empty_table().to_pandas()
    return pa.Schema.from_pandas(frame, preserve_index=False).metadata or {}


def stack_tables(parts: Iterable[tuple[int, int, pa.Table]], columns: Sequence[str]) -> pa.Table:
    """``stack_runs`` on Arrow tables: ``config, replication``, then ``columns``, sorted by run,
    with the pandas metadata of ``stack_runs``'s frame. Raises ``NotStackable`` unless the runs
    are ``stackable``.
    """
    ordered = sorted(parts, key=lambda p: (p[0], p[1]))
    if not stackable([table for _, _, table in ordered], columns):
        raise NotStackable("no runs, or runs whose columns differ in type: use stack_runs")
    names = list(columns)
    tables = [table if table.column_names == names else table.select(names) for _, _, table in ordered]
    rows = [t.num_rows for t in tables]
    config = np.repeat(np.array([p[0] for p in ordered], dtype=np.int64), rows)
    replication = np.repeat(np.array([p[1] for p in ordered], dtype=np.int64), rows)
    data = pa.concat_tables(tables)  # the schemas are equal but for their metadata, which is replaced
    stacked = pa.Table.from_arrays([pa.array(config), pa.array(replication), *data.columns],
                                   names=["config", "replication", *columns])
    return stacked.replace_schema_metadata(_pandas_metadata(stacked.schema))
