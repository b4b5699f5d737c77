"""How a run shows itself in a terminal and a notebook: a one-line ``repr``, and HTML
with the summary and a small inline-SVG sparkline of available nodes over time.

Pure functions of a run's ``summary`` dict and ``timeline`` frame; no DataFrame is ever
dumped (a 30-node run's default dataclass repr was 3.4k characters). ``RunResult`` uses
them as its ``__repr__`` and ``_repr_html_``.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["availability_sparkline", "duration_text", "html_table", "results_html", "run_repr", "run_repr_html",
           "summary_rows"]

SPARK_BINS = 120


def duration_text(seconds: Any) -> str:
    """``427`` -> ``7m07s``; ``None`` or NaN -> ``—``."""
    if seconds is None or (isinstance(seconds, float) and not math.isfinite(seconds)):
        return "—"
    h, rem = divmod(int(round(float(seconds))), 3600)
    m, s = divmod(rem, 60)
    if h:
        return f"{h}h{m:02d}m{s:02d}s"
    return f"{m}m{s:02d}s" if m else f"{float(seconds):.1f}s"


def _lowest_per_bin(t: np.ndarray, v: np.ndarray, end: float, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """The lowest level in force in each of ``bins`` equal time bins up to ``end`` (a step
    function that changes at ``t``): a dip shorter than a bin still shows.
    """
    edges = np.linspace(0.0, end, bins + 1)
    first = np.clip(np.searchsorted(t, edges[:-1], side="right") - 1, 0, len(t) - 1)
    last = np.clip(np.searchsorted(t, edges[1:], side="left") - 1, 0, len(t) - 1)
    low = np.array([v[a: max(a, b) + 1].min() for a, b in zip(first, last)], dtype=float)
    return edges[:-1], low


def availability_sparkline(timeline: Any, width: int = 160, height: int = 28, end: float | None = None,
                           title: str = "") -> str:
    """An inline ``<svg>`` of the nodes with an available pod over time (lowest per bin),
    scaled from 0 to the desired count; a run with no timeline gives an empty string.
    """
    if timeline is None or len(timeline) == 0:
        return ""
    t = timeline["time_s"].to_numpy(dtype=float)
    v = timeline["available"].to_numpy(dtype=float)
    top = max(float(timeline["desired"].max()), float(v.max()), 1.0)
    stop = max(float(end) if end is not None else 0.0, float(t[-1]), 1e-9)
    x, low = _lowest_per_bin(t, v, stop, SPARK_BINS)
    sx, sy = width / stop, (height - 2) / top
    points, last = [], None
    for xi, yi in zip(x, low):  # a step line: a point only where the level changes
        y = f"{height - 1 - yi * sy:.1f}"
        if y != last:
            if last is not None:
                points.append(f"{xi * sx:.1f},{last}")
            points.append(f"{xi * sx:.1f},{y}")
            last = y
    points.append(f"{width:.1f},{last}")
    label = html.escape(title or f"available nodes over {duration_text(stop)}")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{label}"><title>{label}</title>'
            f'<line x1="0" y1="1" x2="{width}" y2="1" stroke="#bbb" stroke-dasharray="2,2"/>'
            f'<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="{" ".join(points)}"/></svg>')


def summary_rows(summary: Mapping[str, Any], limit: str = "its limit") -> list[tuple[str, str]]:
    """The lines worth reading first, as (what, value) pairs; ``limit``: the registry's limit in words
    (``RegistrySpec.limit_words``), for the requests it refused over it.
    """
    n = summary.get("nodes", 0)
    took = summary.get("duration_s")  # None for a DaemonSet on no node: nothing to roll out
    done = ((f"yes, in {duration_text(took)}" if took is not None else "yes, on no node") if summary.get("completed")
            else f"no (stopped at {duration_text(summary.get('end_s'))})")
    fraction = summary.get("min_available_fraction")
    rows = [("completed", done), ("updated", f"{summary.get('updated', 0)} / {n} nodes"),
            ("min available", f"{summary.get('min_available', 0)} nodes"
             + (f" ({100 * fraction:.1f}%)" if isinstance(fraction, (int, float)) else "")),
            ("max unavailable", f"{summary.get('max_unavailable_observed', 0)} nodes"),
            ("unavailable", f"{float(summary.get('unavailable_node_seconds') or 0):,.0f} node-seconds"),
            ("max surge", f"{summary.get('max_surge_observed', 0)} nodes")]
    if summary.get("node_downtime_max_s") is not None:
        rows.append(("node downtime", f"p50 {duration_text(summary.get('node_downtime_p50_s'))}, "
                                      f"max {duration_text(summary.get('node_downtime_max_s'))}"))
    if summary.get("stalled"):
        rows.append(("stalled", f"at {duration_text(summary.get('stalled_at_s'))}"))
    if summary.get("preemptions"):
        rows.append(("preempted", f"other pods on {summary['preemptions']} nodes "
                                  f"({summary.get('preempted_cpu_millis') or 0:,}m CPU evicted)"))
    if summary.get("registry_refusals"):
        rows.append(("registry refused", f"{summary['registry_refusals']:,} requests over {limit} (429)"))
    if summary.get("registry_errors"):
        rows.append(("registry errors", f"{summary['registry_errors']:,} pulls failed part way"))
    return rows


def _headline(result: Any) -> str:
    s, scenario = result.summary, result.scenario
    strategy = scenario.daemonset.strategy
    how = (f"RollingUpdate maxUnavailable={strategy.max_unavailable} maxSurge={strategy.max_surge}"
           if strategy.rolling else "OnDelete")
    return f"{s.get('nodes', 0)} nodes, {how}, seed {result.seed}"


def run_repr(result: Any) -> str:
    """``RunResult(1000 nodes, RollingUpdate ..., seed 0: completed yes, in 7m07s; ...)``: one line."""
    rows = dict(summary_rows(result.summary))
    return (f"RunResult({_headline(result)}: completed {rows['completed']}; min available "
            f"{rows['min available']}; unavailable {rows['unavailable']})")


def html_table(rows: Sequence[tuple[str, str]]) -> str:
    """An HTML table of ``(name, value)`` rows, escaped, left-aligned."""
    cells = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th><td style='text-align:left'>"
                    f"{html.escape(v)}</td></tr>" for k, v in rows)
    return f"<table>{cells}</table>"


def run_repr_html(result: Any) -> str:
    """The summary as a small table under a headline, with the availability sparkline."""
    spark = availability_sparkline(result.timeline, end=result.summary.get("end_s"))
    return (f"<div><strong>rollsim run</strong>: {html.escape(_headline(result))}<br/>{spark}"
            f"{html_table(summary_rows(result.summary, result.scenario.registry.limit_words))}</div>")


def results_html(results: Any) -> str:
    """A results folder (``rollsim.sweep.results.Results``): per configuration the mean
    duration, the worst availability, the SLO verdict and the first replication's
    availability sparkline, all on one time scale.
    """
    tl, summary = results.timelines, results.summary
    first = None
    if tl is not None and len(tl):
        first = tl[tl["replication"] == tl.groupby("config")["replication"].transform("min")]
    end = float(first["time_s"].max()) if first is not None and len(first) else None
    rows = []
    for record in summary.to_dict("records"):
        run = first[first["config"] == record["config"]] if first is not None else None
        spark = availability_sparkline(run, width=120, height=20, end=end) if run is not None else ""
        slo = "ok" if str(record.get("slo_ok")) == "True" else f"fails {record.get('slo_failed') or ''}"
        worst = record.get("min_available_fraction_min")
        cells = [str(record.get("label")), duration_text(record.get("duration_s_mean")),
                 f"{100 * worst:.1f}%" if isinstance(worst, float) and math.isfinite(worst) else "—", slo]
        rows.append("<tr>" + "".join(f"<td style='text-align:left'>{html.escape(c)}</td>" for c in cells)
                    + f"<td>{spark}</td></tr>")
    head = "".join(f"<th style='text-align:left'>{h}</th>" for h in
                   ("configuration", "duration (mean)", "min available (worst)", "SLO",
                    "available nodes (replication 0)"))
    return (f"<div><strong>rollsim results</strong>: {html.escape(results.name)} "
            f"({len(results.runs)} runs, <code>{html.escape(str(results.path))}</code>)"
            f"<table><tr>{head}</tr>{''.join(rows)}</table></div>")
