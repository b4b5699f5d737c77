"""The cluster's levels over time, summed once from a log of node summaries changing.

A node's summary is its share of each level (desired, available, updated, surge,
terminating, pending nodes or pods). The recorder logs, as they happen, the instant of every
change of a node's summary and the summary before and after it (as rows of a table of the
few distinct summaries); a level at any instant is then the running sum of the changes so
far. The timeline keeps one row per instant at which some level changes: the levels after
that instant's last change. All sums are of integers, so the order of additions cannot
change a value.
"""

from __future__ import annotations

import numpy as np

__all__ = ["level_rows"]


def level_rows(times: np.ndarray, before: np.ndarray, after: np.ndarray,
               summaries: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """(instants, one int64 column per level) from a log of summary changes.

    ``times`` (non-decreasing) are the changes' instants; ``before`` and ``after`` index rows
    of ``summaries`` (one row per distinct summary, one column per level). Each instant keeps
    the levels after its last change; a change from a summary to itself still makes a row.
    """
    last = np.empty(len(times), dtype=bool)
    np.not_equal(times[1:], times[:-1], out=last[:-1])
    last[-1:] = True
    # two buffers for every level (fresh arrays would each be page-faulted in), filled by take():
    # "clip" skips take's buffered copy, and every index is in range anyway
    change, share_before = np.empty(len(times), np.int64), np.empty(len(times), np.int64)
    columns = []
    for level in range(summaries.shape[1]):
        share = np.ascontiguousarray(summaries[:, level])
        share.take(after, out=change, mode="clip")
        change -= share.take(before, out=share_before, mode="clip")
        np.cumsum(change, out=change)
        columns.append(change[last])
    return times[last], columns
