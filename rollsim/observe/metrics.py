"""Summary metrics: pure functions over the tables of one run (frames, or their columns:
``rollsim.observe.columns``).

Every figure is summed in an order this code fixes, never BLAS's: ``np.dot`` adds in an
order that depends on the BLAS build and its thread count (OpenBLAS with one thread, as
a Dask nanny sets it, and with several gave different last digits), so a Dask cluster
and a laptop would disagree. ``math.fsum`` is exactly rounded, whatever the order;
``np.mean``/``np.sum`` are numpy's own pairwise sums, whose order is fixed by numpy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import chain
from typing import TYPE_CHECKING

import numpy as np

from rollsim.observe.columns import column, rows

if TYPE_CHECKING:
    from rollsim.observe.columns import Table

__all__ = ["unavailable_node_seconds", "peak_overlap", "summarize", "lowest_available", "on_no_node", "done_by_s",
           "DONE_SHARE", "SUMMARY_KEYS"]

SUMMARY_KEYS = (
    "nodes", "completed", "duration_s", "updated", "min_available", "min_available_fraction",
    "max_unavailable_observed", "unavailable_node_seconds", "max_surge_observed", "max_extra_pods",
    "node_downtime_p50_s", "node_downtime_p95_s", "node_downtime_max_s",
    "stalled", "stalled_at_s", "unavailable_at_end", "peak_concurrent_pulls", "mean_pull_s",
    "registry_bytes_served", "unschedulable_pods", "preemptions", "preempted_cpu_millis", "preempted_memory_bytes",
    "rolled_back", "rollback_done_s",
)
DONE_SHARE = 0.99  # a run's ``done_99_s``: when this share of its desired nodes had an available new pod
_SLICE = 1 << 16
# (start, end) pairs, or the same numbers flat: start0, end0, start1, end1, ...
Intervals = Sequence[tuple[float, float]] | Sequence[float] | np.ndarray


def unavailable_node_seconds(timeline: Table, end: float) -> float:
    """The integral over time of desired nodes without an available pod, up to ``end``.

    The step function's area: each level times how long it lasted, summed exactly
    (``math.fsum``), so the value does not depend on BLAS or its threads.
    """
    if not rows(timeline):
        return 0.0
    times = column(timeline, "time_s", float)
    levels = column(timeline, "unavailable")
    last = len(times) - 1
    # each level until the next row's time, the last one until ``end``; fsum is exact whatever
    # the order, so summing slice by slice gives the same sum with no array of millions of
    # areas nor a Python float per row at once (millions of rows at a million nodes)
    def areas(i: int) -> list[float]:
        j = min(i + _SLICE, last)
        return ((times[i + 1:j + 1] - times[i:j]) * levels[i:j]).tolist()

    slices = (areas(i) for i in range(0, last, _SLICE))
    tail = np.float64(max(end, times[-1]) - times[-1]) * levels[-1]
    return math.fsum(chain(chain.from_iterable(slices), (float(tail),)))


def _bounds(intervals: Intervals) -> np.ndarray:
    """``intervals`` as an (n, 2) array of (start, end): from pairs, or from a flat sequence
    ``start0, end0, start1, end1, ...`` (a C array of doubles, as the kubelet keeps its pulls).
    """
    return np.asarray(intervals, dtype=float).reshape(-1, 2)


def peak_overlap(intervals: Intervals) -> int:
    """The most intervals ``[start, end)`` open at one instant (an end at t frees before a start at t)."""
    if not len(intervals):
        return 0
    bounds = _bounds(intervals)
    starts, ends = np.sort(bounds[:, 0]), np.sort(bounds[:, 1])
    # The count is highest just after a start: after the k-th start (k from 1, in time order) at
    # t, k intervals have started and those ending at or before t have ended. Slice by slice:
    # no arrays of all the events (millions of pulls at a million nodes).
    peak = 0
    for i in range(0, len(starts), _SLICE):
        part = starts[i:i + _SLICE]
        open_after = np.arange(i + 1, i + 1 + len(part)) - np.searchsorted(ends, part, side="right")
        peak = max(peak, int(open_after.max()))
    return peak


def _min_fraction(timeline: Table, desired_nodes: int) -> float | None:
    """The lowest share of desired nodes with an available pod at any time (desired may change);
    None when no node was ever desired (a nodeSelector that matches none, ``allow_no_nodes``):
    a share of nothing is no share, not 100%. A timeline of no row at all over
    ``desired_nodes`` desired nodes never saw one unavailable: 1.0.
    """
    desired, available = column(timeline, "desired"), column(timeline, "available")
    lowest = math.inf
    for i in range(0, len(desired), _SLICE):  # slice by slice: no temporary arrays of millions of rows
        part = desired[i:i + _SLICE]
        some = part > 0
        if some.any():
            shares = np.divide(available[i:i + _SLICE], part, out=np.full(len(part), np.inf), where=some)
            lowest = min(lowest, float(shares.min()))
    if lowest == math.inf:
        return 1.0 if desired_nodes > 0 and not rows(timeline) else None
    return lowest


def lowest_available(timeline: Table) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """``(available, desired)`` at the first moment with the fewest available nodes
    (``min_available``), and at the first with the lowest share of desired nodes available
    (``min_available_fraction``); with nodes joining or leaving they may be two moments. A moment
    with no desired node (every node removed) is no moment of unavailability: 0 of 0 is skipped.
    None when no moment has a desired node.
    """
    desired, available = column(timeline, "desired"), column(timeline, "available")
    some = np.flatnonzero(desired > 0)
    if not len(some):
        return None
    fewest = int(some[np.argmin(available[some])])
    lowest = int(some[np.argmin(available[some] / desired[some])])
    return ((int(available[fewest]), int(desired[fewest])), (int(available[lowest]), int(desired[lowest])))


def _fewest_available(timeline: Table, desired_at_end: int) -> int:
    """The fewest available nodes at a moment with nodes desired: 0 of 0 desired (every node
    removed) is not 0 available. With no such moment (no row), the nodes desired at the end.
    """
    some = column(timeline, "desired") > 0
    return int(column(timeline, "available")[some].min()) if some.any() else desired_at_end


def on_no_node(timeline: Table, desired_at_end: int, status_desired: bool = False) -> bool:
    """Whether the DaemonSet ran on no node: none desired at any moment of its rollout
    (``desiredNumberScheduled`` 0 throughout: a nodeSelector, affinity or taint that excludes every
    node, or every node NotReady, run with ``allow_no_nodes``; nodes that join after it ended do not
    count). A rollout whose nodes all left during the run had some: it is not one, nor one whose
    nodes left at the instant it began, which the controller's status counted (``status_desired``:
    a status it wrote had desiredNumberScheduled above 0; audit 32: ``remove_nodes 6@0``). Such a
    DaemonSet completes at its first status write with nothing to roll out: ``summarize`` gives it no
    ``duration_s``, as an unfinished rollout has none, so that no table averages that write's time in.
    """
    return desired_at_end == 0 and not column(timeline, "desired").any() and not status_desired


def done_by_s(nodes: Table, share: float) -> float | None:
    """When ``share`` of the desired nodes had an available new pod: the ⌈share × desired⌉-th
    earliest ``new_available_at_s`` among them (``None`` when fewer got one, 0 with no desired node).
    What the report's reading of a rollout's last nodes compares with its duration
    (``rollsim.present.run_costs.last_nodes_share``).
    """
    if not rows(nodes):
        return 0.0
    times = column(nodes, "new_available_at_s", float)[column(nodes, "desired", bool)]
    if len(times) == 0:
        return 0.0
    k = max(1, math.ceil(share * len(times) - 1e-9))
    done = np.sort(times[~np.isnan(times)])
    return float(done[k - 1]) if k <= len(done) else None


def _peak(timeline: Table, level: str) -> int:
    """The most of a timeline's ``level`` at any moment (0 without rows, or for a table from before the level)."""
    return int(column(timeline, level).max()) if rows(timeline) and level in timeline else 0


def _mean_duration(intervals: Intervals) -> float | None:
    """The mean of ``end - start`` (numpy's pairwise sum), None without intervals."""
    if not len(intervals):
        return None
    bounds = _bounds(intervals)
    return float(np.mean(bounds[:, 1] - bounds[:, 0]))


def _percentile(values: np.ndarray, q: float) -> float | None:
    return float(np.percentile(values, q)) if len(values) else None


def summarize(
    timeline: Table,
    nodes: Table,
    completed_at: float | None,
    end: float,
    *,
    stalled_at: float | None = None,
    pulls: Intervals | None = None,
    registry_bytes: float | None = None,
    unschedulable: int = 0,
    preempted: tuple[int, float, float] = (0, 0.0, 0.0),
    rolled_back_at: float | None = None,
    status_desired: bool = False,
) -> dict[str, object]:
    """The summary dict of a run (keys ``SUMMARY_KEYS``); ``end`` is where the run stopped.

    ``duration_s`` is ``completed_at``: when ``kubectl rollout status`` would report success
    (``RolloutStatus``); for OnDelete, which it refuses, when the same test on the status passes; None on no
    node (``on_no_node``; ``status_desired``: a status the controller wrote counted a node).

    ``stalled_at`` is when a rollout that stopped for lack of progress made its last
    progress; ``pulls`` are the (start, end) times of the new image's pulls (pairs, or flat).
    ``preempted`` is the nodes where the DaemonSet's pods preempted other workloads, and the CPU
    (millicores) and memory (bytes) evicted there (rounded to whole units: the workloads are a
    divisible block, real victims whole pods).
    """
    pulls = pulls if pulls is not None else ()
    # after a rollback, the rollout that completes is the undo: the update itself did not
    rollback_done, completed_at = (completed_at, None) if rolled_back_at is not None else (None, completed_at)
    desired_nodes = column(nodes, "desired", bool)
    desired = int(desired_nodes.sum())
    empty, no_node = not rows(timeline), on_no_node(timeline, desired, status_desired)
    unavailable = column(timeline, "unavailable")
    min_available = _fewest_available(timeline, desired)
    downtime = column(nodes, "downtime_s", float)[desired_nodes]
    return {
        "nodes": desired,
        "completed": completed_at is not None,
        "duration_s": None if completed_at is None or no_node else float(completed_at),
        "updated": 0 if empty else int(column(timeline, "updated")[-1]),
        "min_available": min_available,
        "min_available_fraction": _min_fraction(timeline, desired),
        "max_unavailable_observed": 0 if empty else int(unavailable.max()),
        "unavailable_node_seconds": unavailable_node_seconds(timeline, end),
        "max_surge_observed": _peak(timeline, "surge"),
        "max_extra_pods": _peak(timeline, "extra_pods"),  # terminating ones too: what a surge holds in the scheduler
        "node_downtime_p50_s": _percentile(downtime, 50),
        "node_downtime_p95_s": _percentile(downtime, 95),
        "node_downtime_max_s": float(downtime.max()) if len(downtime) else None,
        "stalled": stalled_at is not None, "stalled_at_s": None if stalled_at is None else float(stalled_at),
        "unavailable_at_end": 0 if empty else int(unavailable[-1]),
        "peak_concurrent_pulls": peak_overlap(pulls),
        "mean_pull_s": _mean_duration(pulls),
        "registry_bytes_served": registry_bytes,
        "unschedulable_pods": unschedulable,
        "preemptions": preempted[0],
        "preempted_cpu_millis": round(preempted[1]), "preempted_memory_bytes": round(preempted[2]),
        "rolled_back": rolled_back_at is not None,
        "rollback_done_s": None if rollback_done is None else float(rollback_done),
    }

