"""What the CLI prints: the summary of one rollout and the table of a finished sweep."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from rollsim.simulation import RunResult
from rollsim.spec.budget import scaled_value, updated_desired_node_counts

__all__ = ["clean", "format_run", "format_summary", "seconds"]


def clean(value: Any) -> Any:
    """JSON-safe: an infinite or NaN float becomes None."""
    return None if isinstance(value, float) and not math.isfinite(value) else value


def seconds(s: float) -> str:
    """``427`` → ``7m07s``, ``3723`` → ``1h02m03s``."""
    h, rem = divmod(int(round(s)), 3600)
    m, sec = divmod(rem, 60)
    return f"{h}h{m:02d}m{sec:02d}s" if h else f"{m}m{sec:02d}s"


def _eligibility(scenario) -> str:
    """Which nodes run the DaemonSet, and why the others do not (one line)."""
    from rollsim.spec.eligibility import eligibility_report

    report = eligibility_report(scenario.nodes, scenario.daemonset.placement)
    line = f"{report.eligible} of {report.total} run the DaemonSet"
    if report.reasons:
        line += "; not: " + "; ".join(f"{count} {reason}" for reason, count in report.reasons)
    return line


def format_summary(result: RunResult, wall: float) -> str:
    """The human-readable summary of one run."""
    s, sc = result.summary, result.scenario
    strategy = sc.daemonset.strategy
    n = s["nodes"]
    if strategy.rolling:
        b = updated_desired_node_counts(n, strategy.max_unavailable, strategy.max_surge)
        how = (f"RollingUpdate, maxUnavailable {strategy.max_unavailable} (= {b.max_unavailable}), "
               f"maxSurge {strategy.max_surge} (= {scaled_value(strategy.max_surge, n)})")
    else:
        how = f"OnDelete, deleter {sc.deleter}"
    downtime = ("none" if s["node_downtime_max_s"] is None else
                f"p50 {s['node_downtime_p50_s']:.1f} s, p95 {s['node_downtime_p95_s']:.1f} s, "
                f"max {s['node_downtime_max_s']:.1f} s")
    done = (f"yes, in {seconds(s['duration_s'])} ({s['duration_s']:.1f} s)" if s["completed"]
            else f"no (stopped at {s['end_s']:.1f} s)")
    lines = [
        f"rollsim: {n}-node DaemonSet rollout ({how}; {sc.controller.mode} controller; seed {result.seed})",
        f"  nodes              {_eligibility(sc)}",
        f"  completed          {done}",
        f"  updated            {s['updated']} / {n} nodes",
        f"  min available      {s['min_available']} nodes ({100 * s['min_available_fraction']:.1f}%)",
        f"  max unavailable    {s['max_unavailable_observed']} nodes",
        f"  unavailable        {s['unavailable_node_seconds']:,.0f} node-seconds "
        f"({s['unavailable_node_seconds'] / 3600:,.1f} node-hours)",
        f"  max surge          {s['max_surge_observed']} nodes with two pods",
        f"  node downtime      {downtime}",
        f"  simulation         {s['events']:,} events, {s['syncs']:,} syncs, "
        f"{s['api_writes']:,} API writes, {wall:.2f} s wall",
    ]
    return "\n".join(lines)


def format_run(results, report_paths: tuple[Path, Path], note: str) -> str:
    """A short table of configurations, the recommendation and where the files are."""
    from rollsim.present.report import recommendation_for

    summary = results.summary
    width = max(len(str(label)) for label in summary["label"])
    lines = [f"{results.name}: {note}", f"  {'configuration':<{width}}  duration (mean)  min available  SLO"]
    # min available: the worst replication
    for _, row in summary.iterrows():
        duration = row.get("duration_s_mean")
        shown = "not completed" if duration != duration or duration == math.inf else seconds(duration)
        verdict = "ok" if str(row.get("slo_ok")) == "True" else f"fails {row.get('slo_failed')}"
        worst = row.get("min_available_fraction_min", math.nan) * 100
        lines.append(f"  {row['label']:<{width}}  {shown:>15}  {worst:>12.1f}%  {verdict}")
    lines.append(f"  recommendation: {recommendation_for(results).reason}")
    lines.append(f"  report: {report_paths[0]} and {report_paths[1].name}")
    return "\n".join(lines)
