"""The tables of a results folder, built from the saved runs by small pure functions.

``runs_frame`` turns the records of finished runs (the ``runs/<run_id>.json`` files) into
one DataFrame, once; ``summary_frame`` reduces it to one row per configuration: the
statistics of each metric over the replications and the SLO verdict. Both sort their
rows by (configuration, replication), so the order in which runs finished, and so the
executor and the worker count, never changes a byte of ``runs.csv`` or ``summary.csv``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

import numpy as np
import pandas as pd
from scipy import stats

from rollsim.observe.metrics import SUMMARY_KEYS
from rollsim.sweep.slo import Constraint, judge

__all__ = [
    "RUN_COLUMNS", "RUN_KEYS", "METRICS", "STATISTICS",
    "runs_frame", "confidence_interval", "metric_statistics", "slo_columns", "stop_columns", "summary_frame",
    "summary_long",
    "stack_runs",
]

RUN_COLUMNS = ("run_id", "config", "label", "replication", "seed")
RUN_KEYS = (*SUMMARY_KEYS, "end_s", "events", "syncs", "sync_errors", "api_writes", "queue_wait_s",
            "stale_sync_skips", "stop_cause", "stop_detail", "healthy_done_s")
METRICS = (
    "duration_s", "unavailable_node_seconds", "min_available", "min_available_fraction",
    "max_unavailable_observed", "max_surge_observed", "node_downtime_p50_s", "node_downtime_p95_s",
    "node_downtime_max_s", "updated", "healthy_done_s",
)
STATISTICS = ("mean", "p50", "p95", "min", "max", "ci_low", "ci_high")


def _param(value: Any) -> Any:
    """A grid value as written in the YAML; a list or mapping becomes its JSON text."""
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, sort_keys=True, default=str)
    return value


def runs_frame(records: Sequence[Mapping[str, Any]], swept: Sequence[str]) -> pd.DataFrame:
    """One row per run record (``run_id, config, label, params, replication, seed, summary``).

    Columns: ``RUN_COLUMNS``, one per swept dotted key (values as written, so ``"10%"``
    stays text and ``1`` stays an integer), then ``RUN_KEYS``, then any further summary keys
    (the other DaemonSets of a run, ``<name>.duration_s`` and so on) sorted; a missing
    metric is empty.
    """
    ordered = sorted(records, key=lambda r: (r["config"], r["replication"]))
    extra = sorted({k for r in ordered for k in r["summary"]} - set(RUN_KEYS))
    frame = pd.DataFrame(
        [{**{k: r[k] for k in RUN_COLUMNS}, **{k: r["summary"].get(k) for k in (*RUN_KEYS, *extra)}}
         for r in ordered],
        columns=[*RUN_COLUMNS, *RUN_KEYS, *extra],
    )
    for i, key in enumerate(swept):
        values = [_param(r["params"].get(key)) for r in ordered]
        frame.insert(len(RUN_COLUMNS) + i, key, pd.Series(values, dtype=object))
    return frame


def _present(values: Iterable[Any]) -> np.ndarray:
    """The values that are there: ``None`` and NaN dropped, as floats."""
    x = pd.to_numeric(pd.Series(list(values), dtype=object), errors="coerce").to_numpy(dtype=float)
    return x[~np.isnan(x)]


def confidence_interval(values: Iterable[Any], level: float = 0.95) -> tuple[float, float]:
    """The Student-t interval of the mean of ``values``; NaN with fewer than two values.

    Replications are few (often 5 to 30), so the t quantile, not the normal one.
    """
    x = _present(values)
    if len(x) < 2:
        return math.nan, math.nan
    mean = float(np.mean(x))
    half = float(stats.t.ppf(0.5 + level / 2, len(x) - 1)) * float(np.std(x, ddof=1)) / math.sqrt(len(x))
    return mean - half, mean + half


def metric_statistics(values: Iterable[Any]) -> dict[str, float]:
    """``STATISTICS`` of one metric over the runs where it is present (all NaN if none is)."""
    x = _present(values)
    if len(x) == 0:
        return dict.fromkeys(STATISTICS, math.nan)
    low, high = confidence_interval(x)
    return {"mean": float(np.mean(x)), "p50": float(np.percentile(x, 50)), "p95": float(np.percentile(x, 95)),
            "min": float(np.min(x)), "max": float(np.max(x)), "ci_low": low, "ci_high": high}


def slo_columns(runs: pd.DataFrame, constraints: Sequence[Constraint]) -> dict[str, Any]:
    """The SLO verdict of one configuration's runs: ``slo_ok``, ``slo_failed``, ``slo_<key>``.

    A missing value (an unfinished rollout has no duration) is passed as ``None``, which
    ``judge`` counts as +inf: a rollout that never ends fails a duration bound.
    """
    values = {c.metric: [None if pd.isna(v) else float(v) for v in runs[c.metric]] for c in constraints}
    verdict = judge(constraints, values)
    return {"slo_ok": bool(verdict["ok"]), "slo_failed": ";".join(verdict["failed"]),
            **{f"slo_{key}": value for key, value in verdict["values"].items()}}


def stop_columns(runs: pd.DataFrame) -> dict[str, Any]:
    """Why one configuration's runs that did not complete stopped: the most frequent
    ``stop_cause`` among them (ties: the first run's), its ``stop_detail`` (of the first run with
    that cause) and ``stopped_like`` (how many runs stopped so); empty when every run completed.
    """
    if "stop_cause" not in runs:
        return {"stop_cause": "", "stop_detail": "", "stopped_like": 0}
    short = runs[~runs["completed"].astype(bool) & runs["stop_cause"].notna()]
    if short.empty:
        return {"stop_cause": "", "stop_detail": "", "stopped_like": 0}
    counts = short["stop_cause"].value_counts(sort=False)
    cause = max(counts.index, key=lambda c: (counts[c], -list(short["stop_cause"]).index(c)))
    first = short[short["stop_cause"] == cause].iloc[0]
    return {"stop_cause": str(cause), "stop_detail": str(first.get("stop_detail") or ""),
            "stopped_like": int(counts[cause])}


def summary_frame(runs: pd.DataFrame, swept: Sequence[str], constraints: Sequence[Constraint]) -> pd.DataFrame:
    """One row per configuration of a ``runs_frame``, sorted by ``config``.

    Columns: config, label, the swept keys, runs, completed (how many runs completed),
    completed_fraction, ``<metric>_<stat>`` for each of ``METRICS`` × ``STATISTICS`` (over the
    runs where the metric exists: a duration only over the runs that completed), why the
    others stopped (``stop_columns``), then the SLO columns (``slo_ok`` is True when there
    is no SLO).
    """
    rows = []
    for key, group in runs.sort_values(["config", "replication"], kind="stable").groupby("config", sort=True):
        config = cast(int, key)  # pandas-stubs type a group key as any Scalar
        first = group.iloc[0]
        row: dict[str, Any] = {"config": int(config), "label": first["label"], **{k: first[k] for k in swept},
                               "runs": len(group), "completed": int(group["completed"].astype(bool).sum()),
                               "completed_fraction": float(group["completed"].astype(float).mean())}
        for metric in METRICS:
            values = group[metric] if metric in group else [None] * len(group)
            row.update({f"{metric}_{name}": v for name, v in metric_statistics(values).items()})
        rows.append({**row, **stop_columns(group), **slo_columns(group, constraints)})
    columns = ["config", "label", *swept, "runs", "completed", "completed_fraction",
               *(f"{m}_{s}" for m in METRICS for s in STATISTICS), "stop_cause", "stop_detail", "stopped_like",
               "slo_ok", "slo_failed", *(f"slo_{c.key}" for c in constraints)]
    frame = pd.DataFrame(rows, columns=columns)
    for key in swept:
        frame[key] = frame[key].astype(object)
    return frame


def summary_long(summary: pd.DataFrame) -> pd.DataFrame:
    """The ``summary_frame`` in long (tidy) form: one row per configuration × metric × statistic.

    Columns ``config, label, metric, statistic, value``, sorted by configuration, then
    metrics and statistics in ``METRICS`` × ``STATISTICS`` order; ``completed_fraction``
    is the metric ``completed`` with the statistic ``mean``. What DuckDB, Grafana or a
    ``groupby("metric")`` read; the swept parameters join from ``summary.csv`` on ``config``.
    """
    pairs = [("completed", "mean", "completed_fraction"),
             *((m, st, f"{m}_{st}") for m in METRICS for st in STATISTICS)]
    pairs = [p for p in pairs if p[2] in summary.columns]
    rows = [{"config": int(row["config"]), "label": row["label"], "metric": metric, "statistic": statistic,
             "value": float(row[column]) if pd.notna(row[column]) else math.nan}
            for row in summary.sort_values("config", kind="stable").to_dict("records")
            for metric, statistic, column in pairs]
    return pd.DataFrame(rows, columns=["config", "label", "metric", "statistic", "value"])


def stack_runs(parts: Iterable[tuple[int, int, pd.DataFrame]], columns: Sequence[str]) -> pd.DataFrame:
    """The frames of many runs in one: ``config, replication``, then ``columns``, sorted by run."""
    frames = [frame.loc[:, list(columns)].assign(config=config, replication=replication)
              for config, replication, frame in sorted(parts, key=lambda p: (p[0], p[1]))]
    if not frames:
        return pd.DataFrame(columns=["config", "replication", *columns])
    stacked = pd.concat(frames, ignore_index=True)
    return stacked[["config", "replication", *columns]]
