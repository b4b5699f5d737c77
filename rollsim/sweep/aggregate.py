"""The tables of a results folder, built from the saved runs by small pure functions.

``runs_frame`` turns the records of finished runs (the ``runs/<run_id>.json`` files) into
one DataFrame, once; ``summary_frame`` reduces it to one row per configuration: the
statistics of each metric over the replications (``rollsim.sweep.statistics``, all
configurations at once) and the SLO verdict. Both sort their rows by (configuration,
replication), so the order in which runs finished, and so the executor and the worker
count, never changes a byte of ``runs.csv`` or ``summary.csv``. The statistics and
``stack_runs`` (``rollsim.sweep.stack``) are importable from here too.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from rollsim.observe.metrics import SUMMARY_KEYS
from rollsim.sweep.slo import Constraint, judge
from rollsim.sweep.stack import stack_runs
from rollsim.sweep.statistics import STATISTICS, confidence_interval, grouped_statistics, metric_statistics
from rollsim.sweep.wholeupdate import other_names, update_columns

__all__ = [
    "COMPLETED_METRICS", "RUN_COLUMNS", "RUN_KEYS", "METRICS", "PREEMPTION_METRICS", "STATISTICS",
    "preempted", "ran_on_no_node", "recommendable", "runs_frame", "confidence_interval", "metric_statistics",
    "slo_columns",
    "stop_columns", "summary_frame", "summary_table",
    "summary_long",
    "stack_runs",
]

RUN_COLUMNS = ("run_id", "config", "label", "replication", "seed")
# events: the whole simulation's (every DaemonSet's); syncs, api_writes and the rest: the study's DaemonSet's
RUN_KEYS = (*SUMMARY_KEYS, "end_s", "events", "syncs", "sync_errors", "api_writes", "queue_wait_s",
            "stale_sync_skips", "stop_cause", "stop_detail", "healthy_done_s", "healthy_nodes", "done_99_s")
METRICS = (
    "duration_s", "unavailable_node_seconds", "min_available", "min_available_fraction",
    "max_unavailable_observed", "max_surge_observed", "max_extra_pods", "node_downtime_p50_s", "node_downtime_p95_s",
    "node_downtime_max_s", "updated", "healthy_done_s",
)
# the per-run metrics the report's table gives over the runs that completed, as the durations are: summarized
# again over those runs only, as ``<metric>_completed_<statistic>`` (the ``<metric>_<statistic>`` are over every run)
COMPLETED_METRICS = ("unavailable_node_seconds", "min_available", "min_available_fraction", "max_surge_observed",
                     "node_downtime_p95_s")
# what the DaemonSet's pods preempted (rollsim.cluster.preemption: nodes, CPU and memory evicted per run):
# summarized only in a sweep where some run preempted, so that the tables of the others keep their columns
PREEMPTION_METRICS = ("preemptions", "preempted_cpu_millis", "preempted_memory_bytes")


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


def slo_columns(runs: pd.DataFrame, constraints: Sequence[Constraint]) -> dict[str, Any]:
    """The SLO verdict of one configuration's runs: ``slo_ok``, ``slo_failed``, ``slo_<key>``.

    A missing value (an unfinished rollout has no duration) is passed as ``None``, which
    ``judge`` counts as +inf: a rollout that never ends fails a duration bound.
    """
    values = {c.metric: [None if pd.isna(v) else float(v) for v in runs[c.metric]] for c in constraints}
    verdict = judge(constraints, values)
    return {"slo_ok": bool(verdict["ok"]), "slo_failed": ";".join(verdict["failed"]),
            **{f"slo_{key}": value for key, value in verdict["values"].items()}}


_NO_STOP = {"stop_cause": "", "stop_detail": "", "stopped_like": 0}


def _stopped(runs: pd.DataFrame) -> np.ndarray:
    """Which runs did not complete and say why (a ``stop_cause``)."""
    if "stop_cause" not in runs:
        return np.zeros(len(runs), dtype=bool)
    return (~runs["completed"].astype(bool) & runs["stop_cause"].notna()).to_numpy()


def stop_columns(runs: pd.DataFrame) -> dict[str, Any]:
    """Why one configuration's runs that did not complete stopped: the most frequent
    ``stop_cause`` among them (ties: the first run's), its ``stop_detail`` (of the first run with
    that cause) and ``stopped_like`` (how many runs stopped so); empty when every run completed.
    """
    short = runs[_stopped(runs)]
    if short.empty:
        return dict(_NO_STOP)
    counts = short["stop_cause"].value_counts(sort=False)
    cause = max(counts.index, key=lambda c: (counts[c], -list(short["stop_cause"]).index(c)))
    first = short[short["stop_cause"] == cause].iloc[0]
    return {"stop_cause": str(cause), "stop_detail": str(first.get("stop_detail") or ""),
            "stopped_like": int(counts[cause])}


def _config_bounds(configs: np.ndarray) -> list[tuple[int, int]]:
    """The ``(start, stop)`` rows of each configuration in runs sorted by configuration."""
    if len(configs) == 0:
        return []
    edges = [0, *(np.flatnonzero(configs[1:] != configs[:-1]) + 1).tolist(), len(configs)]
    return list(zip(edges[:-1], edges[1:]))


def preempted(runs: pd.DataFrame) -> bool:
    """Whether the DaemonSet's pods preempted other workloads in some run (``preemptions`` above 0;
    runs saved before the key existed have none).
    """
    return "preemptions" in runs and bool((pd.to_numeric(runs["preemptions"], errors="coerce") > 0).any())


def _where(runs: pd.DataFrame, metric: str, completed: np.ndarray) -> pd.Series | None:
    """``runs[metric]`` as numbers, NaN in the runs that did not complete (None if no run has it)."""
    if metric not in runs:
        return None
    return pd.to_numeric(runs[metric], errors="coerce").astype(float).where(completed)


def ran_on_no_node(runs: pd.DataFrame) -> bool:
    """Whether one configuration's DaemonSet had nothing to roll out in any of its runs: ``nodes``
    (as ``desiredNumberScheduled`` at the end) 0 and nothing updated in every run: a nodeSelector or
    affinity that matches none of the cluster's nodes, run with ``allow_no_nodes``, or nodes that
    all left (or went NotReady) during the run, after an old pod or two had gone (audit 23: such a
    run "completed" in a minute with nothing updated, and ranked fastest). A run without ``nodes``
    (saved before it was kept) says nothing: False.
    """
    if runs.empty or "nodes" not in runs:
        return False
    return all(pd.to_numeric(runs[key], errors="coerce").fillna(0).eq(0).all()
               for key in ("nodes", "updated") if key in runs)


def recommendable(row: Mapping[str, Any], idle: bool = False) -> bool:
    """Whether a configuration's row is one the recommendation may pick (``rollsim.sweep.slo.recommend``),
    its eligibility, not the pick itself: the whole update (every DaemonSet, ``update_completed``)
    completed in every replication, the SLO holds (``slo_ok``, judged on the study's DaemonSet's
    metrics) and the DaemonSet ran on some node (``idle``: ``ran_on_no_node``, nothing to roll out).
    """
    runs, done = int(row["runs"]), int(row["update_completed"])
    return bool(row["slo_ok"]) and runs > 0 and done == runs and not idle


def summary_frame(runs: pd.DataFrame, swept: Sequence[str], constraints: Sequence[Constraint]) -> pd.DataFrame:
    """One row per configuration of a ``runs_frame``, sorted by ``config``.

    Columns: config, label, the swept keys, runs, completed (how many runs the study's
    DaemonSet completed), completed_fraction, update_completed and update_completed_fraction
    (runs in which every DaemonSet of the update completed, its own and the others', ``also``:
    ``rollsim.sweep.wholeupdate``), ``<metric>_<stat>`` for each of ``METRICS`` × ``STATISTICS``
    (over the runs where the metric exists: a duration only over the runs that completed), and of
    ``PREEMPTION_METRICS`` when some run ``preempted`` (over every run), ``<metric>_completed_<stat>``
    for each of ``COMPLETED_METRICS`` (over the runs that completed only, the durations' runs; NaN
    when none did), why the others stopped (``stop_columns``), ``<name>.completed`` per other
    DaemonSet, ``recommendable``, then the SLO columns (``slo_ok`` is True when there is no SLO).
    """
    ordered = runs.sort_values(["config", "replication"], kind="stable")
    bounds = _config_bounds(ordered["config"].to_numpy())
    metrics = (*METRICS, *PREEMPTION_METRICS) if preempted(ordered) else METRICS
    statistics = {m: grouped_statistics(ordered[m] if m in ordered else None, bounds) for m in metrics}
    completed = ordered["completed"].astype(bool).to_numpy()
    statistics.update({f"{m}_completed": grouped_statistics(_where(ordered, m, completed), bounds)
                       for m in COMPLETED_METRICS})
    stopped = _stopped(ordered)
    fractions = ordered["completed"].astype(float)
    others = other_names(ordered)
    rows = []
    for i, (start, stop) in enumerate(bounds):
        group = ordered.iloc[start:stop]
        first = group.iloc[0]
        row: dict[str, Any] = {"config": int(first["config"]), "label": first["label"],
                               **{k: first[k] for k in swept},
                               "runs": len(group), "completed": int(completed[start:stop].sum()),
                               "completed_fraction": float(fractions.iloc[start:stop].mean()),
                               **update_columns(group, others)}
        for metric in (*metrics, *(f"{m}_completed" for m in COMPLETED_METRICS)):
            row.update({f"{metric}_{name}": v for name, v in statistics[metric][i].items()})
        stops = stop_columns(group) if stopped[start:stop].any() else _NO_STOP
        row = {**row, **stops, **slo_columns(group, constraints)}
        rows.append({**row, "recommendable": recommendable(row, ran_on_no_node(group))})
    return summary_table(rows, swept, constraints, metrics, others)


def summary_table(rows: list[dict[str, Any]], swept: Sequence[str], constraints: Sequence[Constraint],
                  metrics: Sequence[str] = METRICS, others: Sequence[str] = ()) -> pd.DataFrame:
    """``summary_frame``'s rows as its DataFrame: its columns in their order (the statistics of
    ``metrics``; ``<name>.completed`` of the other DaemonSets ``others``, whole numbers, empty where
    a configuration does not update it), the swept keys as objects.
    """
    columns = ["config", "label", *swept, "runs", "completed", "completed_fraction",
               "update_completed", "update_completed_fraction",
               *(f"{m}_{s}" for m in metrics for s in STATISTICS),
               *(f"{m}_completed_{s}" for m in COMPLETED_METRICS for s in STATISTICS),
               "stop_cause", "stop_detail", "stopped_like",
               *(f"{name}.completed" for name in others), "recommendable",
               "slo_ok", "slo_failed", *(f"slo_{c.key}" for c in constraints)]
    frame = pd.DataFrame(rows, columns=columns)
    for key in swept:
        frame[key] = frame[key].astype(object)
    for name in others:
        frame[f"{name}.completed"] = frame[f"{name}.completed"].astype("Int64")
    return frame


def summary_long(summary: pd.DataFrame) -> pd.DataFrame:
    """The ``summary_frame`` in long (tidy) form: one row per configuration × metric × statistic.

    Columns ``config, label, metric, statistic, value``, sorted by configuration, then
    metrics and statistics in ``METRICS`` × ``STATISTICS`` order (then ``PREEMPTION_METRICS``
    where the summary has them); ``completed_fraction`` is the metric ``completed`` with the
    statistic ``mean``, ``update_completed_fraction`` the metric ``update_completed`` (every
    DaemonSet of the update completed) with it. What DuckDB, Grafana or a
    ``groupby("metric")`` read; the swept parameters join from ``summary.csv`` on ``config``.
    """
    pairs = [("completed", "mean", "completed_fraction"), ("update_completed", "mean", "update_completed_fraction"),
             *((m, st, f"{m}_{st}") for m in (*METRICS, *PREEMPTION_METRICS) for st in STATISTICS)]
    pairs = [p for p in pairs if p[2] in summary.columns]
    ordered = summary.sort_values("config", kind="stable")
    values = [[float(v) if pd.notna(v) else math.nan for v in ordered[column].tolist()] for _, _, column in pairs]
    rows = [(int(config), label, metric, statistic, column[i])
            for i, (config, label) in enumerate(zip(ordered["config"].tolist(), ordered["label"].tolist()))
            for (metric, statistic, _), column in zip(pairs, values)]
    return pd.DataFrame(rows, columns=["config", "label", "metric", "statistic", "value"])
