"""The cluster levels summed from a log of node summary changes (``rollsim.observe.levels``)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from rollsim.observe.levels import level_rows

# three summaries of (desired, available): none, desired but down, desired and available
SUMMARIES = np.array([[0, 0], [1, 0], [1, 1]], dtype=np.int64)


def test_one_row_per_instant_with_the_levels_after_its_last_change() -> None:
    times = np.array([0.0, 0.0, 0.0, 5.0, 8.0, 8.0])
    before = np.array([0, 0, 0, 2, 1, 0])
    after = np.array([2, 2, 1, 1, 2, 1])  # two nodes up, one down at 0; one down at 5; ...
    instants, (desired, available) = level_rows(times, before, after, SUMMARIES)
    assert instants.tolist() == [0.0, 5.0, 8.0]
    assert desired.tolist() == [3, 3, 4]
    assert available.tolist() == [2, 1, 2]
    assert desired.dtype == available.dtype == np.int64


def test_a_change_to_the_same_summary_still_makes_a_row() -> None:
    instants, columns = level_rows(np.array([0.0]), np.array([0]), np.array([0]), SUMMARIES)
    assert instants.tolist() == [0.0]
    assert [c.tolist() for c in columns] == [[0], [0]]


def test_no_changes_no_rows() -> None:
    empty = np.array([], dtype=np.int64)
    instants, columns = level_rows(np.array([]), empty, empty, SUMMARIES)
    assert len(instants) == 0 and [len(c) for c in columns] == [0, 0]
    assert all(c.dtype == np.int64 for c in columns)


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2), st.integers(0, 2)), max_size=40))
def test_as_levels_kept_by_hand(steps: list[tuple[int, int, int]]) -> None:
    """Against levels kept as a running sum and a row written (or overwritten) per change."""
    summaries = np.array([[0, 0, 0], [1, 0, 2], [1, 1, 0]], dtype=np.int64)
    nodes = [0] * 3
    levels, rows, times, before, after, now = [0, 0, 0], [], [], [], [], 0.0
    for dt, node, new in steps:
        now += dt
        old, nodes[node] = nodes[node], new
        levels = [lv + int(summaries[new, i] - summaries[old, i]) for i, lv in enumerate(levels)]
        if rows and rows[-1][0] == now:
            rows[-1] = (now, *levels)
        else:
            rows.append((now, *levels))
        times.append(now)
        before.append(old)
        after.append(new)
    instants, columns = level_rows(np.array(times, dtype=float), np.array(before, dtype=np.int64),
                                   np.array(after, dtype=np.int64), summaries)
    assert list(zip(instants.tolist(), *(c.tolist() for c in columns))) == rows
