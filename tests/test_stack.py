"""timelines.parquet and downtime.parquet: stacking the runs' Arrow tables reads back as the
pandas reference (``stack_runs``) does, and runs it cannot stack go through that reference.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from rollsim.sweep.stack import stack_runs, stack_tables, stackable
from rollsim.sweep.store import _write_stacked


def saved(tmp_path: Path, name: str, frame: pd.DataFrame) -> Path:
    """A run's frame as ``save_run`` writes it."""
    path = tmp_path / f"{name}.parquet"
    frame.to_parquet(path, index=False)
    return path


def read_back(table: pa.Table, tmp_path: Path) -> pd.DataFrame:
    path = tmp_path / "stacked.parquet"
    pq.write_table(table, path)
    return pd.read_parquet(path)


def reference(parts: list[tuple[int, int, Path]], columns: list[str], tmp_path: Path) -> pd.DataFrame:
    """What write_tables wrote before: read with pandas, stack_runs, to_parquet, read back."""
    path = tmp_path / "reference.parquet"
    stack_runs([(c, r, pd.read_parquet(p)) for c, r, p in parts], columns).to_parquet(path, index=False)
    return pd.read_parquet(path)


def downtime(nodes: list[str], seconds: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"node": nodes, "downtime_s": np.array(seconds, dtype=float), "desired": True})


def test_stacked_tables_read_back_as_the_pandas_reference(tmp_path: Path) -> None:
    parts = [  # out of order, one run empty, a NaN, an extra column that is not asked for
        (1, 0, saved(tmp_path, "c1r0", downtime(["n1", "n2"], [3.5, np.nan]))),
        (0, 1, saved(tmp_path, "c0r1", downtime([], []).astype({"node": str}))),
        (0, 0, saved(tmp_path, "c0r0", downtime(["n2", "n1", "n3"], [1.0, -0.0, 2.25]))),
    ]
    tables = [(c, r, pq.read_table(p)) for c, r, p in parts]
    columns = ["node", "downtime_s"]
    assert stackable([t for _, _, t in tables], columns)
    stacked = stack_tables(tables, columns)
    got, expected = read_back(stacked, tmp_path), reference(parts, columns, tmp_path)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert list(got["config"]) == [0, 0, 0, 1, 1] and list(got["replication"]) == [0, 0, 0, 0, 0]
    assert stacked.schema.metadata == pa.Schema.from_pandas(expected, preserve_index=False).metadata


def test_timeline_columns_in_the_first_runs_order(tmp_path: Path) -> None:
    frame = pd.DataFrame({"time_s": [0.0, 0.5], "desired": [3, 3], "available": [3, 2]})
    parts = [(0, r, saved(tmp_path, f"r{r}", frame.iloc[: r + 1])) for r in range(2)]
    columns = list(frame.columns)
    got = read_back(stack_tables([(c, r, pq.read_table(p)) for c, r, p in parts], columns), tmp_path)
    pd.testing.assert_frame_equal(got, reference(parts, columns, tmp_path), check_exact=True)
    assert got["available"].dtype == np.int64


def test_what_cannot_be_stacked_at_the_arrow_level() -> None:
    ints = pa.table({"a": pa.array([1, 2], pa.int64())})
    assert stackable([ints, ints], ["a"])
    assert not stackable([], ["a"])
    assert not stackable([ints], ["b"])  # a missing column
    assert not stackable([ints, pa.table({"a": pa.array([1.0])})], ["a"])  # another type
    assert not stackable([pa.table({"a": pa.array([1, None], pa.int64())})], ["a"])  # pandas reads floats
    assert not stackable([pa.table({"a": pa.array([True])})], ["a"])  # not a plain type
    with pytest.raises(ValueError, match="stack_runs"):
        stack_tables([], ["a"])


@pytest.mark.parametrize("columns", [["node", "downtime_s"], None])
def test_runs_that_differ_go_through_pandas(tmp_path: Path, columns: list[str] | None) -> None:
    # An empty run of a column of no type (null in Arrow) beside text: stack_runs, as before.
    parts = [(0, 0, saved(tmp_path, "a", downtime(["n1"], [1.0]))),
             (0, 1, saved(tmp_path, "b", pd.DataFrame({"node": [None], "downtime_s": [2.0], "desired": [True]})))]
    out = tmp_path / "downtime.parquet"
    _write_stacked(out, parts, columns)
    chosen = columns or ["node", "downtime_s", "desired"]
    pd.testing.assert_frame_equal(pd.read_parquet(out), reference(parts, chosen, tmp_path), check_exact=True)


def test_no_runs_gives_the_columns(tmp_path: Path) -> None:
    out = tmp_path / "downtime.parquet"
    _write_stacked(out, [], ["node", "downtime_s"])
    assert list(pd.read_parquet(out).columns) == ["config", "replication", "node", "downtime_s"]


def test_a_sweep_table_is_written_a_piece_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Pieces of at most 3 rows (a run of more is a piece of its own): the file has one row group
    # a piece, and reads back as the runs stacked at once.
    monkeypatch.setattr("rollsim.sweep.stack.ROWS_PER_PIECE", 3)
    sizes = {(0, 0): 2, (0, 1): 1, (1, 0): 4, (1, 1): 0, (2, 0): 2}
    parts = [(c, r, saved(tmp_path, f"c{c}r{r}", downtime([f"n{i}" for i in range(n)], [float(c + i) for i in range(n)])
                          .astype({"node": str})))
             for (c, r), n in reversed(sizes.items())]
    out = tmp_path / "downtime.parquet"
    _write_stacked(out, parts, ["node", "downtime_s"])
    assert pq.ParquetFile(out).num_row_groups == 3  # [c0r0, c0r1] [c1r0] [c1r1, c2r0]
    pd.testing.assert_frame_equal(pd.read_parquet(out), reference(parts, ["node", "downtime_s"], tmp_path),
                                  check_exact=True)


def test_a_run_that_differs_after_the_first_piece_leaves_no_piece_behind(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("rollsim.sweep.stack.ROWS_PER_PIECE", 1)
    parts = [(0, r, saved(tmp_path, f"r{r}", downtime([f"n{r}"], [1.0]))) for r in range(3)]
    parts.append((0, 3, saved(tmp_path, "odd", pd.DataFrame({"node": [None], "downtime_s": [2.0], "desired": [True]}))))
    out = tmp_path / "downtime.parquet"
    _write_stacked(out, parts, ["node", "downtime_s"])  # through pandas, after two pieces were written
    pd.testing.assert_frame_equal(pd.read_parquet(out), reference(parts, ["node", "downtime_s"], tmp_path),
                                  check_exact=True)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary left
