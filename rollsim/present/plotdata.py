"""What a plot may be given: a results folder, or just the DataFrame it draws.

The ``plot_*`` functions of ``rollsim.present.plots`` draw from a ``Results`` (a loaded
results folder, with its SLO and swept keys). In a notebook one often has only a frame:
``result.timeline`` of one ``simulate`` call, ``results.timelines`` filtered to a few
configurations, a ``summary`` read back from ``summary.csv``. ``as_results`` wraps such a
frame (or a ``RunResult``) in a minimal ``Results`` so that every plot takes either. The
rest reads what every figure takes from a ``Results``: each configuration's colour and
label, when its runs ended, and whether the other DaemonSets updated with it (``also``) completed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pandas as pd
from matplotlib import colormaps
from matplotlib.lines import Line2D

from rollsim.present.others import others_shortfalls, shortfall_text, shortfalls_by_config
from rollsim.present.plotaxes import legend_note
from rollsim.present.render import format_duration
from rollsim.sweep.results import Results

__all__ = ["HALF_FILLED", "READ_COLUMNS", "Stops", "as_results", "config_colors", "config_labels", "half_filled",
           "incomplete_runs", "never_completed", "not_drawn", "others_failed", "half_filled_note", "run_ends", "stops"]

# the columns of the per-run tables the figures and the report read (rollsim report, plot and run load only
# these: a large sweep's node names alone, which no figure shows, were a tenth of what it held)
READ_COLUMNS = {"timelines.parquet": ("config", "replication", "time_s", "desired", "available", "surge"),
                "downtime.parquet": ("config", "replication", "downtime_s")}

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
    """``data`` as a ``Results``: a ``Results`` as it is; a results folder's path loaded; a
    ``RunResult`` as one run; a DataFrame as the ``kind`` of table the plot draws (``timelines``, ``downtime`` or
    ``summary``), with ``config``/``replication`` columns optional (one run when absent)
    and the configurations labelled by a ``label`` column or by number. A frame carries
    no SLO: SLO lines are drawn from a results folder only.
    """
    if isinstance(data, Results):
        return data
    if isinstance(data, (str, Path)):  # a results folder
        from rollsim.sweep.results import load_results

        return load_results(data)
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
        raise TypeError(f"expected a Results, a results folder, a RunResult or a DataFrame, got {type(data).__name__}")
    missing = [c for c in _NEEDS[kind] if c not in data]
    if missing:
        raise ValueError(f"a {kind} frame needs the columns {', '.join(_NEEDS[kind])}; missing {', '.join(missing)}")
    if kind == "summary":
        return _wrap(summary=data.reset_index(drop=True))
    frame = _runs_of(data)
    return _wrap(timelines=frame) if kind == "timelines" else _wrap(downtime=frame)


# --- what every figure reads from the results -------------------------------------------------

def series_of(summary: pd.DataFrame, swept: list[str]) -> dict[int, int] | None:
    """Each configuration's line in the duration figure when it draws durations against a swept
    key (``summary_plots.plot_duration``: one line per combination of the other swept keys, in the
    order they first appear), or None when it draws one row per configuration.
    """
    from rollsim.present.plotmath import axis_keys, line_groups, sweep_axis

    swept = [k for k in swept if k in summary.columns]
    key, kind = sweep_axis(summary, axis_keys(summary, swept))
    if key is None or kind == "cat":
        return None
    configs = summary["config"].to_numpy()
    return {int(configs[i]): n for n, idx in enumerate(line_groups(summary, key, swept)) for i in idx}


def config_colors(results: Results) -> dict[int, Any]:
    """One colour per configuration, the same in every figure (by the experiment's configurations
    when it lists them: a figure drawn without some of them, ``plots.without_idle``, keeps the others' colours).
    Where the duration figure draws several lines against a swept key, a configuration takes its
    line's colour (``series_of``), so that a colour means one thing in every figure of a study (audit 18:
    orange was maxUnavailable 10% in one, a maxSurge configuration in the next); the other figures'
    line styles and labels tell the line's configurations apart.
    """
    series = series_of(results.summary, list(results.experiment.get("swept") or []))
    if series is not None and len(set(series.values())) > 1:  # one line: colours tell configurations apart
        cycle = colormaps["tab10"]  # the duration figure's C0, C1, ...
        return {c: cycle(n % cycle.N) for c, n in series.items()}
    configs = list(results.summary["config"])
    listed = [c.get("index") for c in results.experiment.get("configurations") or []]
    configs = listed if listed and set(configs) <= set(listed) else configs
    cmap = colormaps["tab10" if len(configs) <= 10 else "tab20"]
    return {c: cmap(i % cmap.N) for i, c in enumerate(configs)}


def config_labels(results: Results) -> dict[int, str]:
    """Each configuration's label, as the results table names it."""
    return dict(zip(results.summary["config"], results.summary["label"].astype(str)))


def run_ends(results: Results) -> dict[tuple[int, int], tuple[float, bool]]:
    """(configuration, replication) -> when the run ended and whether it completed."""
    runs = results.runs
    return {(int(c), int(r)): (float(e), bool(done)) for c, r, e, done in
            zip(runs["config"], runs["replication"], runs["end_s"], runs["completed"]) if pd.notna(e)}


@dataclass(frozen=True)
class Stops:
    """How a configuration's runs ended, when not all of them completed."""

    end_s: float  # when the runs that did not complete stopped (mean over them)
    completed: int  # runs that completed
    runs: int  # runs in all

    @property
    def stopped(self) -> int:
        """The runs that did not complete."""
        return self.runs - self.completed

    def text(self) -> str:
        """``stopped at 15m00s, 0/3 completed``: the mean stop time of the runs that did not complete."""
        return f"stopped at {format_duration(self.end_s)}, {self.completed}/{self.runs} completed"


def stops(results: Results) -> dict[int, Stops]:
    """Per configuration whose runs did not all complete: how many did, and when the others stopped
    (the mean over those alone; the report's "Why runs stopped" says why).
    """
    runs = results.runs
    if "completed" not in runs or "end_s" not in runs:
        return {}
    out = {}
    for key, g in runs.groupby("config", sort=True):
        config = cast(int, key)  # pandas-stubs type a group key as any Scalar
        short = g[~g["completed"].astype(bool)]
        if not short.empty:
            out[int(config)] = Stops(float(short["end_s"].astype(float).mean()), len(g) - len(short), len(g))
    return out


def incomplete_runs(results: Results) -> dict[int, tuple[float, str]]:
    """Per configuration whose runs did not all complete: when those runs stopped (mean over them)
    and a label, ``stopped at 15m00s, 0/3 completed`` (``stops``).
    """
    return {c: (stop.end_s, stop.text()) for c, stop in stops(results).items()}


def never_completed(results: Results) -> list[int]:
    """The configurations none of whose runs completed, in order: what they lost until they
    stopped is not a rollout's cost (a rollout that never started loses nothing), so a figure
    that ranks rollouts leaves them out and says so.
    """
    runs = results.runs
    if "completed" not in runs or "config" not in runs:
        return []
    done = runs["completed"].astype(str).str.lower().isin(("true", "1")).groupby(runs["config"]).any()
    return [int(cast(int, c)) for c, any_done in done.items() if not any_done]


def not_drawn(results: Results, never: list[int]) -> str:
    """The legend's note on the configurations ``never_completed`` leaves out of a figure."""
    labels = config_labels(results)
    listed = "; ".join(labels.get(c, str(c)) for c in never[:6]) + ("; …" if len(never) > 6 else "")
    return f"not drawn, no run completed: {listed}"


# a configuration whose own DaemonSet completed while another updated with it did not: a marker
# half filled (between a filled one, every DaemonSet completed, and a hollow one, its own did not)
HALF_FILLED: dict[str, Any] = {"marker": "o", "fillstyle": "left", "markerfacecoloralt": "white",
                               "markeredgewidth": 1.5, "linestyle": "none"}


def others_failed(results: Results) -> dict[int, str]:
    """Per configuration in which another DaemonSet updated with the study's (``also``) did not
    complete every replication, what did not (``node-exporter did not complete in 2 of 3``). The
    study's own figures are about its DaemonSet; the report does not call such an update done,
    and no figure may draw it as a clean success either.
    """
    return {c: shortfall_text(s) for c, s in shortfalls_by_config(others_shortfalls(results)).items()}


def half_filled(results: Results) -> dict[int, str]:
    """The configurations the duration and speed-against-disruption figures draw half-filled
    (``HALF_FILLED``), with what did not complete: those whose own DaemonSet completed every
    replication while another updated with it did not (``others_failed``; one whose own runs did
    not all complete is a hollow marker, as it was).
    """
    incomplete = incomplete_runs(results)
    return {c: text for c, text in others_failed(results).items() if c not in incomplete}


def half_filled_note(results: Results, failed: dict[int, str]) -> Line2D:
    """The legend's entry for the configurations of ``failed`` (``half_filled``) drawn half-filled:
    their own DaemonSet completed, another did not; each named with what did not complete.
    """
    labels = config_labels(results)
    items = [f"{labels.get(c, str(c))} ({text})" for c, text in failed.items()]
    listed = "; ".join(items[:4]) + ("; …" if len(items) > 4 else "")
    return legend_note(f"its DaemonSet completed every replication, another updated with it did not: {listed}",
                       color="0.3", markersize=8, **HALF_FILLED)
