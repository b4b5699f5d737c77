"""What a plot may be given: a results folder, or just the DataFrame it draws.

The ``plot_*`` functions of ``rollsim.present.plots`` draw from a ``Results`` (a loaded
results folder, with its SLO and swept keys). In a notebook one often has only a frame:
``result.timeline`` of one ``simulate`` call, ``results.timelines`` filtered to a few
configurations, a ``summary`` read back from ``summary.csv``. ``as_results`` wraps such a
frame (or a ``RunResult``) in a minimal ``Results`` so that every plot takes either.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from rollsim.sweep.results import Results

__all__ = ["as_results"]

_NEEDS = {"timelines": ("time_s", "available", "desired"), "downtime": ("downtime_s",),
          "summary": ("config", "label")}


def _runs_of(data: Any) -> pd.DataFrame:
    """One replication 0 of configuration 0 when the frame is a single run's."""
    frame = data.copy()
    for key in ("config", "replication"):
        if key not in frame:
            frame[key] = 0
    return frame


def _summary_for(configs: Any, labels: dict[int, str] | None = None) -> pd.DataFrame:
    configs = sorted({int(c) for c in configs})
    return pd.DataFrame({"config": configs, "label": [(labels or {}).get(c, str(c)) for c in configs]})


def _swept(summary: pd.DataFrame) -> list[str]:
    """The swept keys of a ``summary.csv`` frame: its columns between ``label`` and ``runs``."""
    columns = list(summary.columns)
    if "label" in columns and "runs" in columns:
        return columns[columns.index("label") + 1: columns.index("runs")]
    return []


def _wrap(timelines: pd.DataFrame | None = None, downtime: pd.DataFrame | None = None,
          summary: pd.DataFrame | None = None, runs: pd.DataFrame | None = None,
          name: str = "data") -> Results:
    if summary is None:
        source = timelines if timelines is not None else downtime
        labels = None
        if source is not None and "label" in source:
            labels = dict(zip(source["config"].astype(int), source["label"].astype(str)))
        summary = _summary_for(source["config"] if source is not None else [0], labels)
    if runs is None:
        if timelines is not None:
            runs = (timelines.groupby(["config", "replication"], as_index=False)["time_s"].max()
                    .rename(columns={"time_s": "end_s"}).assign(completed=True))  # type: ignore[call-overload]  # as_index=False gives a DataFrame
        else:
            runs = pd.DataFrame(columns=["config", "replication", "end_s", "completed"])
    experiment = {"name": name, "swept": _swept(summary), "slo": []}
    return Results(Path("."), experiment, {}, runs, summary, timelines, downtime)


def as_results(data: Any, kind: str) -> Results:
    """``data`` as a ``Results``: a ``Results`` as it is; a ``RunResult`` as one run; a
    DataFrame as the ``kind`` of table the plot draws (``timelines``, ``downtime`` or
    ``summary``), with ``config``/``replication`` columns optional (one run when absent)
    and the configurations labelled by a ``label`` column or by number. A frame carries
    no SLO: SLO lines are drawn from a results folder only.
    """
    if isinstance(data, Results):
        return data
    if hasattr(data, "timeline") and hasattr(data, "summary") and hasattr(data, "nodes"):  # a RunResult
        timeline = _runs_of(data.timeline)
        nodes = data.nodes
        downtime = _runs_of(nodes.loc[nodes["desired"], ["node", "downtime_s"]] if "desired" in nodes else nodes)
        s = data.summary
        summary = pd.DataFrame([{"config": 0, "label": f"seed {data.seed}", "runs": 1,
                                 "duration_s_mean": s.get("duration_s"),
                                 "unavailable_node_seconds_mean": s.get("unavailable_node_seconds")}])
        runs = pd.DataFrame([{"config": 0, "replication": 0, "end_s": s.get("end_s"),
                              "completed": bool(s.get("completed"))}])
        return _wrap(timeline, downtime.dropna(subset=["downtime_s"]), summary, runs, name="run")
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"expected a Results, a RunResult or a DataFrame, got {type(data).__name__}")
    missing = [c for c in _NEEDS[kind] if c not in data]
    if missing:
        raise ValueError(f"a {kind} frame needs the columns {', '.join(_NEEDS[kind])}; missing {', '.join(missing)}")
    if kind == "summary":
        return _wrap(summary=data.reset_index(drop=True))
    frame = _runs_of(data)
    return _wrap(timelines=frame) if kind == "timelines" else _wrap(downtime=frame)
