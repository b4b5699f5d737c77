"""The report's tables of results: one row per configuration with its SLO verdict, why runs
stopped, and the DaemonSets updated together.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, cast

import pandas as pd

from rollsim.present.others import (
    full_names,
    other_names,
    others_incomplete,
    others_shortfalls,
    ran_on_no_node_other,
    runs_with,
)
from rollsim.present.render import (
    DASH,
    format_duration,
    format_duration_exact,
    format_number,
    format_percent_exact,
    format_setting,
    trim_zeros,
)
from rollsim.present.study import (
    desired_counts,
    desired_differs,
    desired_spread,
    fraction_limits,
    on_no_node,
    scenarios_by_config,
    slo_constraints,
)
from rollsim.present.summary_rows import (
    CUT_MARK,
    CUT_NOTE,
    PARTIAL_MARK,
    PARTIAL_NOTE,
    completed_counts,
    completed_every_run,
    completed_text,
    names,
    num,
    over_completed_only,
    slo_failed,
    slo_ok,
)
from rollsim.spec.churn import moves_nodes
from rollsim.spec.describe import DESCRIPTION_LABELS  # scenario key -> how the report names it
from rollsim.spec.node import condition_taint_key
from rollsim.sweep.aggregate import preempted
from rollsim.sweep.results import Results
from rollsim.sweep.slo import Constraint, floor_nodes
from rollsim.sweep.wholeupdate import completed_flags, update_done

__all__ = ["DESIRED_COLUMN", "ON_NO_NODE", "PREEMPTED_COLUMN", "daemonsets_section", "desired_note", "floor_spare",
           "partial_note", "results_table", "slo_values", "slo_words", "stops_section", "study_daemonset"]

DESIRED_COLUMN = "nodes that run the DaemonSet (desired)"
# a configuration whose DaemonSet ran on no node (study.on_no_node), in its row's duration cell, "—" after it
ON_NO_NODE = "on no node"
PREEMPTED_COLUMN = "preempted other pods (mean per run)"


def results_table(results: Results, varying: list[str]) -> tuple[list[str], list[list[str]]]:
    """The results table: one row per configuration, with the scenario keys that ``varying`` names."""
    s, runs, slo = results.summary, results.runs, slo_constraints(results)
    limits = fraction_limits(results)
    by_config = runs.groupby("config") if "config" in runs else None
    scen = scenarios_by_config(results)
    counts = desired_counts(results)
    desired = counts if desired_differs(results, counts) else {}
    preempting = preempted(runs)  # as summary.csv has the preemptions_* statistics: the table's column only so
    header = ["configuration", *[DESCRIPTION_LABELS.get(k, k) for k in varying],
              *([DESIRED_COLUMN] if desired else []), "completed", "duration: mean (95% CI)",
              "duration p95", "min available, worst run (share; fewest nodes)", "unavailable node-hours (mean)",
              "max surge (pods)", *([PREEMPTED_COLUMN] if preempting else []),
              "node downtime p95 (mean)"] + (["SLO"] if slo else [])
    rows = []
    idle = on_no_node(results)
    for row in cast(list[dict[str, Any]], s.to_dict("records")):
        g = by_config.get_group(row["config"]) if by_config is not None and row["config"] in by_config.groups \
            else pd.DataFrame()
        done = int(g["completed"].astype(bool).sum()) if "completed" in g else None
        n = int(row.get("runs") or len(g))
        mark = PARTIAL_MARK if over_completed_only(row) else ""  # partial_note says what it means
        shown, each = _shown_runs(g)
        per_run = _per_run_cells(row, shown, limits, each)
        results_cells = [
            _duration_cell(row, mark), format_duration(num(row.get("duration_s_p95"))) + mark, *per_run[:3],
            *([_preempted_cell(_means(shown, row, each), each)] if preempting else []), per_run[3],
            *([_slo_cell(row, slo)] if slo else [])]
        if row["config"] in idle:  # nothing to roll out: no duration, share, cost or verdict of a rollout
            results_cells = [ON_NO_NODE] + [DASH] * (len(results_cells) - 1)
        rows.append([
            str(row["label"]), *[_setting_cell(k, scen.get(row["config"], {})) for k in varying],
            *([_desired_cell(desired.get(row["config"]), scen.get(row["config"], {}))] if desired else []),
            f"{done}/{n}" if done is not None else DASH, *results_cells])
    return header, rows


# the settings a strategy ignores: OnDelete has no rolling budget, RollingUpdate no one deleting pods by hand
_IGNORED = {"OnDelete": ("max_unavailable", "max_surge"), "RollingUpdate": ("deleter",)}


def _setting_cell(key: str, scenario: Mapping[str, Any]) -> str:
    """A configuration's setting ``key`` as its results row gives it; ``—`` where its update
    strategy ignores the setting (an OnDelete DaemonSet's maxUnavailable: the controller's
    ``rollingUpdate`` runs only for RollingUpdate), so that no value reads as if it mattered.
    """
    if key in _IGNORED.get(str(scenario.get("strategy")), ()):
        return DASH
    return format_setting(key, scenario.get(key))


def _shown_runs(runs: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """The runs a results row's per-run figures are over, and their mark: the runs its
    durations are over (every run when all completed; the completed ones, ``PARTIAL_MARK``,
    when some did not), or when none completed every run as it was cut (``CUT_MARK``).
    """
    if "completed" not in runs or runs.empty:
        return runs, ""
    done = pd.Series(completed_flags(runs), index=runs.index)
    if done.all():
        return runs, ""
    return (runs[done], PARTIAL_MARK) if done.any() else (runs, CUT_MARK)


def _means(runs: pd.DataFrame, row: Mapping[str, Any], mark: str) -> dict[str, float]:
    """``<metric>_mean`` of the preemption metrics over the runs a row's figures are over (``_statistic``)."""
    return {f"{k}_mean": _statistic(row, runs, mark, k, "mean")
            for k in ("preemptions", "preempted_cpu_millis", "preempted_memory_bytes")}


def _statistic(row: Mapping[str, Any], runs: pd.DataFrame, mark: str, key: str, how: str) -> float:
    """The statistic ``how`` (``mean``, ``min``, ``max``) of metric ``key`` over the runs ``mark``
    says (``_shown_runs``): the summary's over the completed runs (``<key>_completed_<how>``) or
    over every run (``<key>_<how>``), else computed from ``runs`` (the shown ones), as a summary
    written before those columns, or without a statistic, needs.
    """
    saved = num(row.get(f"{key}_completed_{how}" if mark == PARTIAL_MARK else f"{key}_{how}"))
    if math.isfinite(saved) or runs.empty or key not in runs:
        return saved
    return float(getattr(pd.to_numeric(runs[key], errors="coerce"), how)())


def _per_run_cells(row: Mapping[str, Any], runs: pd.DataFrame, limits: Sequence[float], mark: str) -> list[str]:
    """The cells of the per-run metrics, over the runs ``mark`` says (``_shown_runs``: ``runs``,
    ``_statistic``) and marked so: the worst moment's availability, the mean unavailable
    node-hours, the most pods surged and the mean node downtime p95.
    """
    def metric(key: str, how: str) -> float:
        return _statistic(row, runs, mark, key, how)

    share, fewest = metric("min_available_fraction", "min"), metric("min_available", "min")
    # each its own lowest: with nodes joining or leaving, the lowest share and the fewest
    # nodes come at different moments, so neither is given as the other's count
    worst = DASH if math.isnan(share) else \
        f"{format_percent_exact(share, limits)}; fewest {format_number(fewest)}{mark}"
    hours, surge, downtime = (metric("unavailable_node_seconds", "mean"), metric("max_surge_observed", "max"),
                              metric("node_downtime_p95_s", "mean"))
    return [worst, format_number(hours / 3600, 1) + (mark if math.isfinite(hours) else ""),
            format_number(surge) + (mark if math.isfinite(surge) else ""),
            format_duration(downtime) + (mark if math.isfinite(downtime) else "")]


def _preempted_cell(row: Mapping[str, Any], mark: str = "") -> str:
    """``3.3 nodes: 1,650m CPU, 0.8 GiB``: the nodes where the DaemonSet's pods preempted other
    workloads (``rollsim.cluster.preemption``) and the CPU and memory evicted, means per run;
    ``none`` for a configuration whose pods never did.
    """
    nodes = num(row.get("preemptions_mean"))
    if not nodes > 0:
        return "none" if nodes == 0 else DASH
    cpu, memory = num(row.get("preempted_cpu_millis_mean")), num(row.get("preempted_memory_bytes_mean")) / 2**30
    return f"{format_number(nodes, 1)} nodes{mark}: {format_number(cpu)}m CPU, {format_number(memory, 1)} GiB"


def _duration_cell(row: Mapping[str, Any], mark: str) -> str:
    """``11m00s (8m55s–13m05s)``: the mean duration and its 95% confidence interval; its upper end
    alone, ``11m00s (≤ 57m38s; 2 runs: no lower end)``, when the lower reaches below 0 (a t interval
    of a few replications can; no rollout takes less than nothing, and "0s" read as a bound);
    ``11m00s (n/a: 1 run)`` when one run alone has a duration.
    """
    mean, low, high = (num(row.get(f"duration_s_{s}")) for s in ("mean", "ci_low", "ci_high"))
    if math.isnan(mean):
        return "did not complete"
    if math.isnan(low) or math.isnan(high):
        done, _ = completed_counts(row)
        return f"{format_duration(mean)}{mark} (n/a: 1 run)" if done == 1 else f"{format_duration(mean)}{mark}"
    if low < 0:  # the t interval of a few runs: its lower end says nothing (0s read as a bound: audit 18)
        done, _ = completed_counts(row)
        return f"{format_duration(mean)}{mark} (≤ {format_duration(high)}; {done:g} runs: no lower end)"
    return f"{format_duration(mean)}{mark} ({format_duration(low)}–{format_duration(high)})"


def _desired_cell(counts: tuple[int, int] | None, scenario: Mapping[str, Any]) -> str:
    """``274 of 288 (14 NotReady)``: the nodes a configuration's shares are over, of the cluster's
    nodes; ``1,100 at the end`` when nodes joined or left during the rollout.
    """
    if counts is None:
        return DASH
    lo, hi = counts
    shown = format_number(lo) if lo == hi else f"{format_number(lo)}–{format_number(hi)}"
    if moves_nodes(scenario.get("node_changes") or ()):
        return f"{shown} at the end"
    total, not_ready = num(scenario.get("nodes")), num(scenario.get("not_ready_nodes"))
    if math.isnan(total) or hi > total:
        return shown
    return f"{shown} of {format_number(total)}" + (f" ({format_number(not_ready)} NotReady)" if not_ready > 0 else "")


def partial_note(results: Results) -> list[tuple]:
    """Under the results table, when some configuration's runs did not all complete: which runs
    each row's figures are over (``_shown_runs``), what its marks mean, and that the SLO is
    judged on every run.
    """
    rows = cast(list[dict[str, Any]], results.summary.to_dict("records"))
    some = any(over_completed_only(row) for row in rows)
    none = any(completed_counts(row)[0] == 0 for row in rows)
    if not some and not none:
        return []
    cases = ["all its runs when all completed",
             *([f"the runs that completed when only some did ({PARTIAL_MARK})"] if some else []),
             *([f"every run as it was cut when none completed ({CUT_MARK})"] if none else [])]
    text = f"Each row's figures are over one set of runs, the one its durations are over: {names(cases)}."
    if some:
        text += f" Figures marked {PARTIAL_MARK} are {PARTIAL_NOTE}."
    if none:
        text += f" Figures marked {CUT_MARK} are {CUT_NOTE}."
    if slo_constraints(results):
        text += (" The SLO column judges every run, the ones cut short too (summary.csv gives both: "
                 "unavailable_node_seconds_mean over every run, unavailable_node_seconds_completed_mean over the "
                 "completed ones, and so on).")
    return [("p", [("", text)])]  # (a leading "* " would start a list)


def desired_note(results: Results) -> list[tuple]:
    """Under the results table, when the desired nodes are not one count: what the shares,
    node-hours and downtimes are over, and why a stuck rollout can show none unavailable.
    """
    if not desired_differs(results):
        return []
    scenarios = scenarios_by_config(results).values()
    counts = desired_counts(results)
    spread = desired_spread(results, counts)
    moving = any(moves_nodes(s.get("node_changes") or ()) for s in scenarios)
    differ = ("differ by configuration" if spread == "configuration" else "change during the run" if spread else
              f"are {format_number(next(iter(counts.values()))[0])} in every run")
    text = ("Shares of available nodes, unavailable node-hours and node downtimes count the nodes that run the "
            f"DaemonSet (desired, as the DaemonSet's desiredNumberScheduled), which {differ}: see "
            f"“{DESIRED_COLUMN}”.")
    conditions = {s.get("not_ready_condition") for s in scenarios if num(s.get("not_ready_nodes")) > 0}
    if conditions:
        # the node lifecycle controller's NoSchedule taint for the Ready condition (Unknown: unreachable)
        keys = sorted(condition_taint_key(str(c)) for c in conditions)
        taints = " or ".join(f"{key}:NoSchedule" for key in keys)
        text += (f" A node NotReady before the rollout carries the {taints} taint, "
                 "which DaemonSet pods do not tolerate: it is not desired and not counted. A rollout that never "
                 "started therefore shows every desired node available and no unavailable node-hours, though "
                 "its NotReady nodes never got the new pod.")
    if moving:
        text += (" Where nodes join or leave during the rollout, each moment's share is of the nodes desired at "
                 "that moment; the column gives the count at the end of the run.")
    return [("p", [("", text)])]


# an SLO met by runs some of which stopped early holds only up to where they stopped (the console says
# "ok until cut short", readings.slo_breaks "only over the part of the rollout that ran")
SO_FAR = "✓ until cut short"


def _slo_cell(row: Mapping[str, Any], slo: Sequence[tuple[dict[str, Any], Constraint | None]]) -> str:
    failed = slo_failed(row)
    if not failed and slo_ok(row):
        if not completed_every_run(row):
            return SO_FAR
        return "✓ (no node to spare)" if floor_spare(row, slo) == 0 else "✓"
    parts = []
    for key in failed:
        spec = next((c for c, _ in slo if c.get("key") == key), None)
        value = num(row.get(f"slo_{key}"))
        if spec is None or math.isnan(value):
            parts.append(key)
        else:
            sign = "≤" if spec["bound"] == "max" else "≥"
            shown, limit = slo_values(spec["metric"], value, float(spec["limit"]))
            parts.append(f"{key}: {shown} (limit {sign} {limit})")
    return "✗ " + "; ".join(parts)


def floor_spare(row: Mapping[str, Any], slo: Sequence[tuple[dict[str, Any], Constraint | None]]) -> int | None:
    """How many nodes the worst run kept above the SLO's availability floors, the fewest over them
    (audit 39: OnDelete batches of 50 kept 953 of 1,003 under a 95% floor, exactly the 953 it asks,
    and read "✓" as maxUnavailable 1's 49 to spare did); None without a floor or the counts.
    """
    fewest, share = num(row.get("min_available_min")), num(row.get("min_available_fraction_min"))
    spare = []
    for spec, _ in slo:
        if spec.get("bound") != "min" or not math.isfinite(fewest):
            continue
        if spec.get("metric") == "min_available":
            spare.append(int(fewest) - floor_nodes(float(spec["limit"])))
        elif spec.get("metric") == "min_available_fraction" and share > 0:
            desired = round(fewest / share)  # the worst run's desired nodes
            spare.append(int(fewest) - floor_nodes(float(spec["limit"]), desired))
    return min(spare) if spare else None


def slo_words(spec: Mapping[str, Any], constraint: Constraint | None) -> str:
    """One SLO constraint as the report's SLO line gives it, its limit written as the SLO cells
    write it: ``duration_s ≤ 30m00s (worst over replications)``, not ``≤ 1800``.
    """
    if constraint is None:
        return str(spec.get("text") or spec)
    sign = "≤" if constraint.bound == "max" else "≥"
    limit = _judged(constraint.metric, constraint.limit)
    return f"{constraint.metric} {sign} {limit} ({constraint.statistic} over replications)"


def slo_values(metric: str, value: float, limit: float) -> tuple[str, str]:
    """A failing value and its limit as the SLO cell and the SLO line show them: as ``_judged`` writes
    them, with more decimals for both while they read the same (it failed, so they differ):
    ``20m32.46s`` against ``20m32.2s``, never ``20m32s`` against ``20m32s``; 1,352 of 1,503 nodes
    against a 90% floor is ``89.95%``, never ``90%`` against ``≥ 90%`` (audit 41).
    """
    shown, limit_text = _judged(metric, value, limits=[limit]), _judged(metric, limit)
    for decimals in range(2, 13):
        if shown != limit_text:
            break
        shown, limit_text = _judged(metric, value, decimals, [limit]), _judged(metric, limit, decimals)
    return shown, limit_text


def _judged(metric: str, value: float, decimals: int = 1, limits: Sequence[float] = ()) -> str:
    """A metric's value as the SLO cell shows it; past one decimal (``slo_values``), a duration's
    seconds and a count get ``decimals`` too (trailing zeros dropped).
    """
    if metric == "duration_s" and math.isinf(value):
        return "did not complete"
    if metric.endswith("_s"):
        return format_duration(value) if decimals <= 1 else format_duration_exact(value, decimals)
    if metric.endswith("_fraction"):  # the precision the verdict needs: 0.9496 against 0.95 is 94.96%
        return trim_zeros(format_percent_exact(value, limits, decimals))
    if decimals > 1:
        return trim_zeros(format_number(value, decimals))
    return f"{value:.3g}" if abs(value) < 1000 else format_number(value)


def stops_section(results: Results) -> list[tuple]:
    """Per configuration whose runs did not all complete: why they stopped (computed from the
    model's state at the end of each run) and when the nodes that could be updated were.
    """
    s = results.summary
    if "stop_cause" not in s:
        return []
    rows = []
    for r in cast(list[dict[str, Any]], s.to_dict("records")):
        if completed_every_run(r):
            continue
        rows.append([str(r["label"]), completed_text(r),
                     str(r.get("stop_detail") or DASH) if isinstance(r.get("stop_detail"), str) else DASH,
                     _healthy(results.runs, r["config"])])
    if not rows:
        return []
    return [("h", 2, "Why runs stopped"),
            ("p", [("", "For each configuration whose runs did not all complete: the most frequent cause, read "
                        "from the model's state when the run ended, and when every node that could be updated "
                        "was (worst replication; “not all” when healthy nodes were left too).")]),
            ("table", ["configuration", "completed", "why it stopped", "healthy nodes done by"], rows)]


def _healthy(runs: pd.DataFrame, config: Any) -> str:
    """When every node that could be updated was, in the worst replication; "not all" when in
    some replication healthy nodes were left too.
    """
    if "healthy_done_s" not in runs or "config" not in runs:
        return DASH
    mine = runs[runs["config"] == config]
    values = pd.to_numeric(mine["healthy_done_s"], errors="coerce")
    if values.empty:
        return DASH
    if "rolled_back" in mine and mine["rolled_back"].astype(str).eq("True").all():  # no node kept the new revision
        back = pd.to_numeric(mine.get("rollback_done_s"), errors="coerce").max()
        return f"none: rolled back by {format_duration(float(back))}" if math.isfinite(back) else "none: rolled back"
    left = int(values.isna().sum())
    if left:
        return f"not all ({left} of {len(values)} runs)"
    if "healthy_nodes" in mine and pd.to_numeric(mine["healthy_nodes"], errors="coerce").eq(0).all():
        return "none could be updated"  # every desired node stuck: nothing to wait for (healthy_done_s 0)
    return format_duration(float(values.max()))


def daemonsets_section(results: Results) -> list[tuple]:
    """When several DaemonSets were updated at once: each one's rollout (how many of its runs
    completed, its duration, unavailable node-hours, lowest availability and time queued), and
    the whole update's, which the study's tables above (about its DaemonSet alone) do not give.

    ``runs.csv`` carries the other DaemonSets' figures as ``<name>.duration_s`` and so on;
    the queue wait is how long a DaemonSet's key waited for one of the controller's workers.
    A duration is a mean over the runs that completed only when all did; else the cell says so.
    The whole update's duration is its longest DaemonSet's, run by run; its unavailable
    node-hours the sum of every DaemonSet's (a node without two of its agents counts twice).
    """
    runs = results.runs
    names = other_names(runs)
    if not names:
        return []
    main = study_daemonset(results)
    rows, full, idle, limits = [], full_names(results), on_no_node(results), fraction_limits(results)
    for label, group in runs.groupby("label", sort=False):
        own = _duration_cells(group, "")
        if "config" in group and group["config"].iloc[0] in idle:
            own[1] = ON_NO_NODE  # its duration is of nothing to roll out
        rows.append([str(label), f"{main} (the study's)", *own, *_disruption_cells(group, "", limits),  # each named
                     format_duration(num(group["queue_wait_s"].mean())) if "queue_wait_s" in group else DASH])
        present = []
        for name in names:
            ran = runs_with(group, name)
            if len(ran):  # (a configuration without this DaemonSet has no row of it)
                present.append(name)
                cells = _duration_cells(ran, f"{name}.")
                if ran_on_no_node_other(ran, name):
                    cells[1] = ON_NO_NODE
                rows.append(["", full.get(name, name), *cells, *_disruption_cells(ran, f"{name}.", limits),
                             format_duration(num(ran[f"{name}.queue_wait_s"].mean()))])
        if present:
            rows.append(["", "the whole update", *_whole_update_cells(group, present), DASH])
    incomplete = others_incomplete(others_shortfalls(results))
    marked = any(str(row[3]).endswith(PARTIAL_MARK) for row in rows)
    note = [("p", [("", f"{PARTIAL_MARK} the mean over the runs that completed only.")])] if marked else []
    return [("h", 2, "DaemonSets updated together"),
            ("p", [("", f"The results table, the findings, the figures and any SLO verdict above are about {main}, "
                        "the study's DaemonSet, alone. Here is each DaemonSet's own rollout (means over "
                        "replications; lowest availability in the worst run), and the whole update's: its "
                        "duration the longest DaemonSet's, run by run, its unavailable node-hours the sum of "
                        "every DaemonSet's (a node without two of its agents counts twice). The longest wait for "
                        "a worker is the DaemonSet the shared workers and API budget held back most.")]),
            *([("ul", [[("b", "Did not complete: "), ("", line + ".")] for line in incomplete])] if incomplete else []),
            ("table", ["configuration", "DaemonSet", "completed", "duration (mean)", "unavailable node-hours (mean)",
                       "min available, worst run", "queued for a worker (mean)"], rows), *note]


def study_daemonset(results: Results) -> str:
    """The study's DaemonSet as its configurations name it (``kube-system/fluentd``)."""
    config = (results.experiment.get("configurations") or [{}])[0]
    return str((config.get("scenario") or {}).get("daemonset", "this study's DaemonSet")).partition(" (")[0]


def _disruption_cells(group: pd.DataFrame, prefix: str, limits: Sequence[float] = ()) -> list[str]:
    """One DaemonSet's mean unavailable node-hours and lowest share available in any of its runs, with
    the decimals that put it on its side of each availability floor (``limits``: 89.95%, not 90.0%, under
    a 90% floor, audit 41).
    """
    def column(key: str) -> pd.Series:
        return pd.to_numeric(group[f"{prefix}{key}"], errors="coerce") if f"{prefix}{key}" in group else \
            pd.Series(dtype=float)

    hours, low = column("unavailable_node_seconds"), column("min_available_fraction")
    return [DASH if hours.isna().all() else f"{hours.mean() / 3600:.1f}",
            DASH if low.isna().all() else format_percent_exact(float(low.min()), limits)]


def _whole_update_cells(group: pd.DataFrame, names: Sequence[str]) -> list[str]:
    """The whole update's ``k/n`` (every DaemonSet completed), mean duration (its longest
    DaemonSet's, in the runs where every one completed) and unavailable node-hours summed over
    DaemonSets.
    """
    done = update_done(group, names).astype(bool)
    prefixes = ("", *(f"{n}." for n in names))  # the study's columns, then each other DaemonSet's

    def per_run(key: str) -> pd.DataFrame:
        return group[[f"{p}{key}" for p in prefixes if f"{p}{key}" in group]].apply(pd.to_numeric, errors="coerce")

    longest, hours = per_run("duration_s").max(axis=1)[done], per_run("unavailable_node_seconds")
    duration = ("did not complete" if not done.any() else
                format_duration(num(longest.mean())) + ("" if done.all() else PARTIAL_MARK))
    return [f"{int(done.sum())}/{len(group)}", duration,
            DASH if hours.empty else f"{float(hours.fillna(0.0).sum(axis=1).mean()) / 3600:.1f}", DASH]


def _duration_cells(group: pd.DataFrame, prefix: str) -> list[str]:
    """``k/n`` and the mean duration of one DaemonSet's runs (its columns start with ``prefix``):
    over the runs that completed, marked ``*`` when not every run did, as the results table has it.
    """
    done = group[f"{prefix}completed"].astype(bool) if f"{prefix}completed" in group else None
    if done is None:
        return [DASH, format_duration(num(group[f"{prefix}duration_s"].mean()))]
    if not done.any():
        return [f"0/{len(group)}", "did not complete"]
    mean = format_duration(num(group.loc[done, f"{prefix}duration_s"].mean()))
    return [f"{int(done.sum())}/{len(group)}", mean if done.all() else mean + PARTIAL_MARK]
