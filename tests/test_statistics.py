"""summary.csv's statistics over all configurations at once agree, to the last bit, with one
configuration at a time, and ``summary_frame`` with a plain group-by over ``metric_statistics``.
"""

from __future__ import annotations

import io
import math
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import example, given
from hypothesis import strategies as st
from rollsim.sweep.aggregate import (
    COMPLETED_METRICS,
    METRICS,
    RUN_KEYS,
    runs_frame,
    slo_columns,
    stop_columns,
    summary_frame,
    summary_table,
)
from rollsim.sweep.slo import parse_slo
from rollsim.sweep.statistics import STATISTICS, _percentiles, grouped_statistics, metric_statistics, t_quantile
from scipy import stats

SWEPT = ["strategy.max_unavailable"]
# Values a metric takes, with the awkward ones: missing, signed zeros, infinities, ties.
VALUES = st.one_of(st.none(), st.just(math.nan), st.sampled_from([0.0, -0.0, 1.0, 1 / 3, 1e300, math.inf, -math.inf]),
                   st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))


def bits(statistics: dict[str, float]) -> list[str]:
    """Each value's repr: what the CSV writes, and NaN equal to NaN."""
    return [repr(statistics[name]) for name in STATISTICS]


def reference_summary(runs: pd.DataFrame, swept: list[str], constraints: Any) -> pd.DataFrame:
    """summary_frame as it was: a group-by, ``metric_statistics`` on each group's values."""
    rows = []
    for key, group in runs.sort_values(["config", "replication"], kind="stable").groupby("config", sort=True):
        first = group.iloc[0]
        row: dict[str, Any] = {"config": int(key), "label": first["label"], **{k: first[k] for k in swept},
                               "runs": len(group), "completed": int(group["completed"].astype(bool).sum()),
                               "completed_fraction": float(group["completed"].astype(float).mean())}
        row.update(update_completed=row["completed"], update_completed_fraction=row["completed_fraction"])
        for metric in METRICS:
            values = group[metric] if metric in group else [None] * len(group)
            row.update({f"{metric}_{name}": v for name, v in metric_statistics(values).items()})
        done = group["completed"].astype(bool)
        for metric in COMPLETED_METRICS:  # over the runs that completed alone
            values = group.loc[done, metric] if metric in group else []
            row.update({f"{metric}_completed_{name}": v for name, v in metric_statistics(values).items()})
        verdict = slo_columns(group, constraints)
        rows.append({**row, **stop_columns(group), **verdict,
                     "recommendable": verdict["slo_ok"] and row["completed"] == row["runs"]})
    return summary_table(rows, swept, constraints)


def to_csv(frame: pd.DataFrame) -> str:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()


def record(config: int, replication: int, **summary: Any) -> dict:
    values: dict[str, Any] = dict.fromkeys(RUN_KEYS, 0)
    values.update({"completed": True, "stop_cause": None, "stop_detail": None, **summary})
    return {"run_id": f"c{config:03d}-r{replication:03d}", "config": config, "label": f"c{config}",
            "params": {"strategy.max_unavailable": f"{config}%"}, "replication": replication, "seed": replication,
            "summary": values}


def test_summary_frame_matches_a_plain_group_by() -> None:
    # Out of order; c0 has 4 runs, c1 one (NaN intervals), c2 three of which one never finished;
    # healthy_done_s is missing from some runs and None in all of c1; updated is an integer.
    records = [
        record(2, 1, completed=False, duration_s=None, min_available_fraction=0.5, healthy_done_s=None,
               stop_cause="stalled", stop_detail="no progress for 900 s"),
        record(0, 3, duration_s=130.5, min_available_fraction=0.9, updated=10, healthy_done_s=12.0),
        record(1, 0, duration_s=99.0, min_available_fraction=0.8, updated=9, healthy_done_s=None),
        record(0, 0, duration_s=100.25, min_available_fraction=0.9, updated=10),
        record(2, 0, duration_s=300.0, min_available_fraction=-0.0, updated=7, healthy_done_s=3.0),
        record(0, 2, duration_s=1 / 3, min_available_fraction=0.7, updated=10, healthy_done_s=4.5),
        record(2, 2, duration_s=310.0, min_available_fraction=0.0, updated=8, healthy_done_s=2.0),
        record(0, 1, duration_s=200.0, min_available_fraction=0.9, updated=10, healthy_done_s=None),
    ]
    for r in records[:3]:
        del r["summary"]["node_downtime_p95_s"]  # a metric some runs do not have
    runs = runs_frame(records, SWEPT)
    runs["node_downtime_max_s"] = None  # a metric no run has
    slo = parse_slo({"max_duration_s": 250, "min_available_fraction": 0.6})
    assert to_csv(summary_frame(runs, SWEPT, slo)) == to_csv(reference_summary(runs, SWEPT, slo))
    shuffled = runs.sample(frac=1.0, random_state=3)
    assert to_csv(summary_frame(shuffled, SWEPT, ())) == to_csv(reference_summary(runs, SWEPT, ()))


@given(st.lists(st.lists(VALUES, max_size=12), min_size=1, max_size=8))
def test_grouped_statistics_are_metric_statistics_of_each_group(groups: list[list[Any]]) -> None:
    column = pd.DataFrame({"m": [v for g in groups for v in g]})["m"]
    edges = np.cumsum([0, *map(len, groups)]).tolist()
    bounds = list(zip(edges[:-1], edges[1:]))
    with np.errstate(all="ignore"):
        got = grouped_statistics(column, bounds)
        expected = [metric_statistics(column.iloc[a:b]) for a, b in bounds]
    assert [bits(s) for s in got] == [bits(s) for s in expected]


def test_grouped_statistics_of_text_integers_and_nothing() -> None:
    bounds = [(0, 2), (2, 3), (3, 3)]
    for values in (["1.5", None, "x"], [3, 1, 2], [True, False, True], [None, None, None]):
        column = pd.Series(values)
        assert [bits(s) for s in grouped_statistics(column, bounds)] == \
            [bits(metric_statistics(column.iloc[a:b])) for a, b in bounds]
    assert all(math.isnan(v) for s in grouped_statistics(None, bounds) for v in s.values())


@example([[0.0, 0.0, -0.0, 0.0, 0.0, -0.0]])  # a 2-D partition gave -0.0 where the 1-D one gave 0.0
@given(st.lists(st.lists(st.sampled_from([0.0, -0.0, 0.1, 0.2, 1e300, -1e300, math.inf, 5e-324, 7.0, 1 / 3]) |
                         st.floats(min_value=-1e9, max_value=1e9), max_size=9), min_size=1, max_size=10))
def test_percentiles_of_each_size_at_once_are_the_one_by_one_ones(samples: list[list[float]]) -> None:
    arrays = [np.array(s, dtype=float) for s in samples]
    with np.errstate(all="ignore"):
        found = _percentiles(arrays)
        for x, p in zip(arrays, found):
            if len(x) == 0:
                assert p is None
            else:
                one_by_one = np.array([np.percentile(x, 50), np.percentile(x, 95)]) + 0.0  # a zero's sign aside
                assert np.array(p).tobytes() == one_by_one.tobytes()


def test_t_quantile_is_scipys() -> None:
    for dof in (1, 2, 3, 9, 29, 1000):
        assert t_quantile(0.975, dof) == float(stats.t.ppf(0.975, dof))
