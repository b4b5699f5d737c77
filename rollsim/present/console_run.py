"""What ``rollsim run`` prints: its studies' table (``format_run``, and ``-o wide``), its result as
data (``run_document``), and the notes on stale, rebuilt or damaged runs. Pure functions, as in
``rollsim.present.console``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rollsim.present.render import format_duration, format_percent_exact

__all__ = ["run_document", "format_run", "stale_runs", "rebuilt_tables", "damaged_runs"]


_BOOLEANS = ("recommendable", "slo_ok")


def _config_rows(summary: Any) -> list[dict[str, Any]]:
    """Per configuration its headline columns of ``summary.csv`` (``update_completed``: runs in which
    every DaemonSet of the update completed; ``others``: each other DaemonSet's completed runs).
    """
    keep = ("config", "label", "runs", "completed", "completed_fraction", "update_completed",
            "update_completed_fraction", "recommendable", "duration_s_mean", "duration_s_p95",
            "min_available_fraction_min", "unavailable_node_seconds_mean", "max_surge_observed_max",
            "slo_ok", "slo_failed")
    others = [c for c in summary.columns if c.endswith(".completed")]
    rows = []
    for record in summary.to_dict("records"):
        row = {k: record.get(k) for k in keep if k in record}
        for key in _BOOLEANS:
            if key in row:
                row[key] = str(row[key]) == "True"
        if isinstance(row.get("slo_failed"), float):  # an empty cell read back from CSV
            row["slo_failed"] = ""
        if others:  # (empty where the configuration does not update it)
            row["others"] = {c[: -len(".completed")]: {"completed": int(record[c]), "runs": row.get("runs")}
                             for c in others if _count(record[c])}
        rows.append(row)
    return rows


def _count(value: Any) -> bool:
    """Whether a cell holds a count (not empty: NaN read back from CSV, or pandas' NA)."""
    return isinstance(value, numbers.Real) and not math.isnan(float(value))


def run_document(results: Any, report_paths: tuple[Path, Path], report: Any) -> dict[str, Any]:
    """``rollsim run -o json``: one experiment's results folder, how it ran, its recommendation
    and per configuration the headline statistics (all of them are in ``summary.csv``).
    """
    from rollsim.present.others import with_update_columns
    from rollsim.present.report_verdict import recommendation_for, recommended_labels

    picked = recommended_labels(results)
    return {
        "name": results.name, "path": str(results.path),
        "runs": {"total": report.runs_total, "simulated": report.runs_run, "reused": report.runs_reused,
                 "stale": report.runs_stale},
        "executor": report.executor, "workers": report.workers, "wall_s": round(report.wall_s, 3),
        "recommendation": recommendation_for(results).reason,
        "report": {"markdown": str(report_paths[0]), "html": str(report_paths[1])},
        # (an older summary.csv lacks the whole-update columns); ``recommended``: the one picked
        "configurations": [{**row, "recommended": str(row.get("label")) in picked}
                           for row in _config_rows(with_update_columns(results))],
    }


def stale_runs(stale: Any, out: Path, experiment: Any) -> str:
    """The line for runs saved in a results folder that are no run of ``experiment`` now
    (``rollsim.sweep.stale.StaleRuns``): why, by what their ids and records tell (the configuration
    changed or went: a setting, or what an input file says; rollsim's model version, named where
    their records give it; the root seed; replications no longer asked for), kept (a configuration
    put back reuses them), and how to remove them.
    """
    from rollsim.spec.model_version import MODEL_VERSION

    def runs(n: int) -> str:
        return f"{n} saved run{'s' if n != 1 else ''}"

    why = []
    if stale.changed:
        n = stale.changed
        what = ("a setting of theirs, what an input file says, or rollsim's model version changed"
                if stale.unversioned else "a setting of theirs, or what an input file says, changed")
        why.append(f"{runs(n)} belong{'s' if n == 1 else ''} to no configuration of {experiment.name!r} now ({what})")
    if stale.older_model:
        n, versions = stale.older_model, stale.versions
        by = (f"by rollsim's model version {' and '.join(map(str, versions))} (this rollsim's is {MODEL_VERSION})"
              if versions else "by an earlier model version of rollsim")
        why.append(f"{runs(n)} {'was' if n == 1 else 'were'} simulated {by}")
    if stale.reseeded:
        n = stale.reseeded
        why.append(f"{runs(n)} {'was' if n == 1 else 'were'} simulated with another seed (the experiment's seed "
                   "changed)")
    if stale.beyond:
        n, asked = stale.beyond, experiment.replications
        why.append(f"{runs(n)} {'is a replication' if n == 1 else 'are replications'} beyond those their "
                   f"configurations ask for now (replications: {asked})")
    return (f"{out / 'runs'}: {'; '.join(why)} (kept, in case they come back: they are in no table); --force removes "
            "them, and simulates every run again")


def rebuilt_tables(why: str) -> str:
    """The line for tables that could not be read (``FILE: why``), built again from the saved runs."""
    return f"{why}; the tables were built again from the saved runs"


def damaged_runs(reasons: Sequence[str]) -> str:
    """The line for saved runs whose files could not be read (``FILE: reason`` each): simulated again."""
    n = len(reasons)
    runs = "1 saved run could not be read and was" if n == 1 else f"{n} saved runs could not be read and were"
    return f"{runs} simulated again: {reasons[0]}" + (f" (and {n - 1} more)" if n > 1 else "")


def format_run(results: Any, report_paths: tuple[Path, Path], note: str, wide: bool = False) -> str:
    """A short table of configurations (completed k/n, duration over the runs that completed, marked
    ``*`` when others did not, as the report marks it, the worst moment's availability with the
    precision its SLO check uses, the SLO verdict when there is an SLO), why runs stopped, the
    recommendation and where the files are (``wide``: also the p95 duration, unavailable
    node-seconds and max surge).
    """
    from rollsim.present.others import others_shortfalls
    from rollsim.present.report_tables import ON_NO_NODE
    from rollsim.present.report_verdict import recommendation_for
    from rollsim.present.study import fraction_limits, on_no_node, slo_specs
    from rollsim.present.summary_rows import PARTIAL_MARK, PARTIAL_NOTE, over_completed_only

    summary, idle = results.summary, on_no_node(results)
    slo = slo_specs(results)
    limits = fraction_limits(results)
    width = max(len("configuration"), *(len(str(label)) for label in summary["label"]))  # short labels too
    head = f"  {'configuration':<{width}}  completed  duration (mean)  min available"
    if wide:
        head += "  duration (p95)  unavailable node-s  max surge"
    lines = [f"{results.name}: {note}", head + ("  SLO" if slo else "")]
    stops = []
    partial = False
    for _, row in summary.iterrows():
        mark = PARTIAL_MARK if over_completed_only(row) else ""  # as the report marks it
        partial = partial or bool(mark)
        shown = _duration(row.get("duration_s_mean")) + mark
        runs = int(row.get("runs", 0))
        done = int(row["completed"]) if "completed" in row and row["completed"] == row["completed"] else \
            round(float(row.get("completed_fraction", 0)) * runs)
        worst = format_percent_exact(_over_durations(row, "min_available_fraction", "min"), limits) + mark
        line = f"  {row['label']:<{width}}  {f'{done}/{runs}':>9}  {shown:>15}  {worst:>13}"
        if wide:
            seconds = f"{_over_durations(row, 'unavailable_node_seconds', 'mean'):,.0f}{mark}"
            surge = f"{_over_durations(row, 'max_surge_observed', 'max'):.0f}{mark}"
            line += f"  {_duration(row.get('duration_s_p95')) + mark:>14}  {seconds:>18}  {surge:>9}"
        if slo:
            if str(row.get("slo_ok")) != "True":
                line += f"  fails {row.get('slo_failed')}"
            else:  # the SLO's metrics held; a rollout that did not complete is no answer all the same
                line += "  ok" if done == runs else f"  ok until cut short ({runs - done} of {runs} did not complete)"
        if row.get("config") in idle:  # nothing to roll out: as the report's row, no rollout's figures
            line = (f"  {row['label']:<{width}}  {f'{done}/{runs}':>9}  {ON_NO_NODE:>15}  {'—':>13}"
                    + (f"  {'—':>14}  {'—':>18}  {'—':>9}" if wide else "") + ("  —" if slo else ""))
        lines.append(line)
        detail = row.get("stop_detail")
        if done < runs and isinstance(detail, str) and detail:
            stops.append(f"  {row['label']}: {detail}")
    if partial:
        lines.append(f"  {PARTIAL_MARK} duration and the figures beside it {PARTIAL_NOTE}")
    if stops:
        lines += ["  why runs stopped (most frequent cause):", *("  " + s for s in stops)]
    others = others_shortfalls(results)
    if others:
        lines += ["  other DaemonSets updated together that did not complete every run:",
                  *(f"    {f.label}: {f.name} completed {f.completed}" + (f" ({f.why})" if f.why else "")
                    for f in others)]
    lines.append(f"  recommendation: {recommendation_for(results).reason}")
    lines.append(f"  report: {report_paths[0]} and {report_paths[1].name}")
    return "\n".join(lines)


def _over_durations(row: Mapping[str, Any], metric: str, statistic: str) -> float:
    """A per-run statistic of a summary row over the runs its durations are over: those that
    completed (``<metric>_completed_<statistic>``) where only some did, as the report's table
    gives it; every run's where all or none completed, or the summary predates those columns.
    """
    done = row.get(f"{metric}_completed_{statistic}")
    some = row.get("completed", 0) == row.get("completed", 0) and 0 < (row.get("completed") or 0) < row.get("runs", 0)
    if some and done is not None and done == done:
        return float(done)
    value = row.get(f"{metric}_{statistic}", math.nan)
    return math.nan if value is None else float(value)


def _duration(value: Any) -> str:
    if value is None or value != value or value == math.inf:
        return "—"
    return format_duration(float(value))
