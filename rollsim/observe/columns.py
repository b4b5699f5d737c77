"""A run's tables as columns: what the recorder and the rollout status watcher hand over at
the end of a run, and a column read alike from such columns or from a DataFrame.

A run's summary is computed from the columns, so that ``rollsim simulate`` never imports
pandas (the larger part of its start-up); the DataFrames of ``RunResult`` are built from the
same columns the first time they are read (``rollsim.observe.result``), with no copy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeAlias, cast

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    Table: TypeAlias = pd.DataFrame | Mapping[str, Any]  # a run's frame, or the columns it is built from

__all__ = ["Columns", "column", "rows"]

Columns: TypeAlias = dict[str, Any]  # column name -> a numpy array or a list, all of one length


def column(table: Table, name: str, dtype: Any = None) -> np.ndarray:
    """The column ``name`` of ``table`` (a DataFrame or its columns) as an array; no copy where
    it already has the ``dtype``.
    """
    return np.asarray(table[name], dtype=dtype)


def rows(table: Table) -> int:
    """How many rows ``table`` has: its first column's length (none without columns, as
    ``DataFrame.empty`` says).
    """
    for name in table:  # a DataFrame iterates its column names, as a dict its keys
        return len(table[cast(str, name)])
    return 0
