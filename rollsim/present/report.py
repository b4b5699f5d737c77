"""The report of an experiment: ``report.md`` and a self-contained ``report.html``.

Built from the saved results folder alone. This module decides what the report says, as a
small list of blocks (headings, paragraphs, tables, lists, figures: see ``rollsim.present.render``),
and ``write_report`` renders that list twice, so that both files say the same thing. How
values and blocks are written out, and the escaping of user text, live in ``rollsim.present.render``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import pandas as pd

from rollsim.io.atomic import write_text
from rollsim.present.plotmath import pareto_front
from rollsim.present.plots import FIGURES, save_figures
from rollsim.present.render import (
    DASH,
    format_duration,
    format_number,
    format_percent,
    format_percent_exact,
    format_value,
    md_cell,
    md_text,
    render_html,
    render_markdown,
)
from rollsim.spec.describe import DESCRIPTION_LABELS
from rollsim.spec.distributions import parse_distribution
from rollsim.spec.settings import BY_NAME
from rollsim.sweep.results import Results
from rollsim.sweep.slo import Constraint, Recommendation, recommend, recommend_by_condition

# format_* and md_* are re-exported: they used to live here
__all__ = [
    "format_duration",
    "format_number",
    "format_percent",
    "md_cell",
    "md_text",
    "recommendation_for",
    "recommendations_for",
    "render_html",
    "render_markdown",
    "report_blocks",
    "write_report",
]

# describe_scenario key -> how the report names it (units in the name, so values stay plain)
SETTINGS = DESCRIPTION_LABELS
PHASES = {phase: BY_NAME[phase].default for phase in ("schedule", "pull", "start", "ready", "terminate")}
LOG_NOTE = "Time axes turn logarithmic when the rollouts' durations differ more than tenfold."
CAPTIONS = {
    "availability": ("Available nodes over time",
                     ("Nodes with an available daemon pod, lowest level in each time bin: the line is the median "
                      "over replications, the band p5–p95. The dashed line is the SLO's availability floor. "
                      + LOG_NOTE)),
    "duration": ("Rollout duration", ("Mean duration with its 95% confidence interval, by configuration or against "
                                      "the swept parameter. " + LOG_NOTE)),
    "tradeoff": ("Speed against disruption",
                 ("Each point is a configuration: mean unavailable node-time against mean duration. Ringed points "
                  "are the Pareto front (no other configuration is both faster and less disruptive). " + LOG_NOTE)),
    "downtime": ("Per-node downtime", ("How long each node went without an available daemon pod, as an empirical "
                                      "CDF over all nodes of all replications: further left is better.")),
}


def _num(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


# --- the blocks -----------------------------------------------------------------------------------
# ("h", level, text) · ("p", [(style, text), ...]) with style "" / "b" / "code" · ("table", header, rows)
# ("ul", [spans, ...]) · ("img", name, title, caption) · ("note", text)

def _scenarios(results: Results) -> list[dict[str, Any]]:
    return [dict(c.get("scenario") or {}) for c in results.experiment.get("configurations") or []]


def _varying(scenarios: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[str]]:
    """Scenario keys that are the same in every configuration, and those that vary."""
    keys = list(dict.fromkeys(k for s in scenarios for k in s))
    same = [k for k in keys if len({json.dumps(s.get(k), sort_keys=True, default=str) for s in scenarios}) == 1]
    return same, [k for k in keys if k not in same]


def _constraints(results: Results) -> list[tuple[dict[str, Any], Constraint | None]]:
    out: list[tuple[dict[str, Any], Constraint | None]] = []
    for c in results.experiment.get("slo") or []:
        try:
            out.append((c, Constraint(c["metric"], c["bound"], float(c["limit"]), c.get("statistic", "worst"))))
        except (KeyError, TypeError, ValueError):
            out.append((c, None))
    return out


def _ok(row: Mapping[str, Any]) -> bool:
    """The SLO verdict of a summary row (a CSV may give it as a bool, a number or text; absent is ok)."""
    v = row.get("slo_ok", True)
    if isinstance(v, str):
        return v.strip().lower() in ("true", "1", "yes")
    return True if v is None or (isinstance(v, float) and math.isnan(v)) else bool(v)


def _failed(row: Mapping[str, Any]) -> list[str]:
    text = row.get("slo_failed")
    return [k for k in str(text).split(";") if k] if isinstance(text, str) else []


def _judged(metric: str, value: float, decimals: int = 1, limits: Sequence[float] = ()) -> str:
    if metric == "duration_s" and math.isinf(value):
        return "did not complete"
    if metric.endswith("_s"):
        return format_duration(value)
    if metric.endswith("_fraction"):  # the precision the verdict needs: 0.9496 against 0.95 is 94.96%
        return format_percent_exact(value, limits, decimals).replace(".0%", "%")
    return f"{value:.3g}" if abs(value) < 1000 else format_number(value)


def _slo_cell(row: Mapping[str, Any], slo: Sequence[tuple[dict[str, Any], Constraint | None]]) -> str:
    failed = _failed(row)
    if not failed and _ok(row):
        return "✓"
    parts = []
    for key in failed:
        spec = next((c for c, _ in slo if c.get("key") == key), None)
        value = _num(row.get(f"slo_{key}"))
        if spec is None or math.isnan(value):
            parts.append(key)
        else:
            sign = "≤" if spec["bound"] == "max" else "≥"
            limit = _judged(spec["metric"], float(spec["limit"]))
            shown = _judged(spec["metric"], value, limits=[float(spec["limit"])])
            if shown == limit:  # it failed, so it differs: show more digits
                shown = _judged(spec["metric"], value, 2, [float(spec["limit"])])
            parts.append(f"{key}: {shown} (limit {sign} {limit})")
    return "✗ " + "; ".join(parts)


def _results_table(results: Results, varying: list[str]) -> tuple[list[str], list[list[str]]]:
    s, runs, slo = results.summary, results.runs, _constraints(results)
    limits = _fraction_limits(results)
    by_config = runs.groupby("config") if "config" in runs else None
    scen = {c.get("index"): c.get("scenario") or {} for c in results.experiment.get("configurations") or []}
    header = ["configuration", *[SETTINGS.get(k, k) for k in varying], "completed", "duration: mean (95% CI)",
              "duration p95", "min available: % (nodes), worst run", "unavailable node-hours (mean)",
              "max surge (pods)", "node downtime p95 (mean)"] + (["SLO"] if slo else [])
    rows = []
    for row in cast(list[dict[str, Any]], s.to_dict("records")):
        g = by_config.get_group(row["config"]) if by_config is not None and row["config"] in by_config.groups \
            else pd.DataFrame()
        mean = _num(row.get("duration_s_mean"))
        done = int(g["completed"].astype(bool).sum()) if "completed" in g else None
        n = int(row.get("runs") or len(g))
        duration = ("did not complete" if math.isnan(mean) else
                    f"{format_duration(mean)} ({format_duration(_num(row.get('duration_s_ci_low')))}–"
                    f"{format_duration(_num(row.get('duration_s_ci_high')))})")
        worst = (f"{format_percent_exact(g['min_available_fraction'].min(), limits)} "
                 f"({format_number(g['min_available'].min())})"
                 if "min_available_fraction" in g and len(g) else DASH)
        rows.append([
            str(row["label"]), *[format_value(scen.get(row["config"], {}).get(k)) for k in varying],
            f"{done}/{n}" if done is not None else DASH, duration,
            format_duration(_num(row.get("duration_s_p95"))), worst,
            format_number(_num(row.get("unavailable_node_seconds_mean")) / 3600, 1),
            format_number(_num(row.get("max_surge_observed_max"))),
            format_duration(_num(row.get("node_downtime_p95_s_mean"))),
        ] + ([_slo_cell(row, slo)] if slo else []))
    return header, rows


def _decisions(results: Results) -> tuple[list[str], list[str]]:
    """The swept keys the user decides, and the swept conditions (swept keys that are not decisions)."""
    from rollsim.sweep.experiment import DEFAULT_DECISIONS

    e = results.experiment
    decisions = list(e.get("decisions") or DEFAULT_DECISIONS)
    swept = list(e.get("swept") or [])
    return [k for k in swept if k in decisions], [k for k in swept if k not in decisions]


def _resolved(results: Results) -> tuple[pd.DataFrame, dict[Any, dict[str, Any]]]:
    """The summary and each configuration's params with the swept keys a configuration does not
    set filled in from its scenario (a variant that leaves ``faults.new_pods`` alone runs the
    base scenario's ``crashloop``, not a "default").
    """
    e = results.experiment
    swept = list(e.get("swept") or [])
    params: dict[Any, dict[str, Any]] = {}
    for c in e.get("configurations") or []:
        own, scen = dict(c.get("params") or {}), c.get("scenario") or {}
        for key in swept:
            if own.get(key) is None and scen.get(key.rsplit(".", 1)[-1]) is not None:
                own[key] = scen[key.rsplit(".", 1)[-1]]
        params[c.get("index")] = own
    summary = results.summary.copy()
    for key in swept:
        if key in summary:
            summary[key] = [v if not (v is None or (isinstance(v, float) and math.isnan(v)))
                            else params.get(c, {}).get(key, v) for c, v in zip(summary["config"], summary[key])]
    return summary, params


def _config_rows(results: Results) -> list[dict[str, Any]]:
    _, params = _resolved(results)
    return [{"label": str(r["label"]), "ok": _ok(r), "failed": _failed(r),
             **_counts(r),
             "duration_s_mean": _num(r.get("duration_s_mean")), "params": params.get(r["config"], {})}
            for r in cast(list[dict[str, Any]], results.summary.to_dict("records"))]


def _counts(row: Mapping[str, Any]) -> dict[str, Any]:
    done = _done(row)
    return {} if done == DASH else {"completed": int(done.split("/")[0]), "runs": int(done.split("/")[1])}


def recommendations_for(results: Results) -> tuple[str, list[Recommendation]]:
    """What the study concludes: ``("recommend", [one])`` when it varies only decisions,
    ``("by-condition", [one per condition])`` when it also varies conditions the user does not
    choose (cluster, faults, load), ``("findings", [])`` when it varies no decision.
    """
    decided, conditions = _decisions(results)
    constraints = [c for _, c in _constraints(results) if c is not None]
    configs = _config_rows(results)
    if not decided:
        return "findings", []
    if not conditions:
        return "recommend", [recommend(configs, constraints)]
    return "by-condition", recommend_by_condition(configs, constraints, conditions)


def recommendation_for(results: Results) -> Recommendation:
    """The study's conclusion as one line (the CLI prints it)."""
    kind, recs = recommendations_for(results)
    if kind == "recommend":
        return recs[0]
    _, conditions = _decisions(results)
    if kind == "findings":
        return Recommendation(None, "no recommendation: the study varies only what the user does not choose ("
                                    + ", ".join(conditions) + "); see the findings")
    return Recommendation(None, "; ".join(f"where {r.condition}: " + (f"use {r.label}" if r.label else "none")
                                          for r in recs))


def _best_facts(results: Results, label: str) -> tuple:
    s, runs = results.summary, results.runs
    best = s[s["label"].astype(str) == label].iloc[0]
    mine = runs[runs["config"] == best["config"]] if "config" in runs else pd.DataFrame()
    limits = _fraction_limits(results)
    worst = (f" At worst {format_percent_exact(mine['min_available_fraction'].min(), limits)} of nodes kept an "
             "available pod (the lowest moment over all replications)." if "min_available_fraction" in mine
             and len(mine) else "")
    return ("p", [("", (f"{label}: mean duration {format_duration(_num(best.get('duration_s_mean')))} "
                        f"(p95 {format_duration(_num(best.get('duration_s_p95')))}), "
                        f"{format_number(_num(best.get('unavailable_node_seconds_mean')) / 3600, 1)} "
                        f"unavailable node-hours on average, "
                        f"completed {_done(cast(Mapping[str, Any], best))}." + worst))])


def _done(row: Mapping[str, Any]) -> str:
    """``k/n``: how many of a configuration's runs completed (older summaries: from the fraction)."""
    runs, done = _num(row.get("runs")), _num(row.get("completed"))
    if math.isnan(done) and not math.isnan(runs):
        done = round(_num(row.get("completed_fraction")) * runs) if "completed_fraction" in row else math.nan
    return DASH if math.isnan(runs) or math.isnan(done) else f"{int(done)}/{int(runs)}"


def _recommendation(results: Results) -> list[tuple]:
    s = results.summary
    kind, recs = recommendations_for(results)
    slo = _constraints(results)
    decided, conditions = _decisions(results)
    blocks: list[tuple] = []
    if kind == "findings":
        blocks.append(("p", [("b", "No recommendation. "),
                             ("", "This study varies " + ", ".join(conditions or ["nothing"]) + ", which the user does "
                                  "not choose (the decisions are " + ", ".join(_decision_names(results)) +
                                  "); it ends in findings. Declare a key under decisions: if it is a choice.")]))
    elif kind == "recommend":
        rec = recs[0]
        if rec.label is None:
            reason = rec.reason[:1].upper() + rec.reason[1:] + "."
            blocks.append(("p", [("b", "No configuration to recommend. "), ("", reason)]))
        else:  # the reason starts with the label, which keeps its own spelling
            lead = f"Use {rec.label}. " if slo else f"Fastest safe: {rec.label}. "
            blocks += [("p", [("b", lead), ("", rec.reason + ".")]), _best_facts(results, rec.label)]
    else:
        blocks.append(("p", [("", "This study varies " + ", ".join(conditions) + ", which the user does not "
                                  "choose, and " + ", ".join(decided) + ", which the user does: one recommendation "
                                  "per condition.")]))
        items = []
        for rec in recs:
            if rec.label is None:
                items.append([("b", f"Where {rec.condition}: "), ("", "none. " + rec.reason[:1].upper()
                                                                   + rec.reason[1:] + ".")])
            else:
                items.append([("b", f"Where {rec.condition}: use {rec.label}. "), ("", rec.reason + ".")])
        blocks.append(("ul", items))
    if slo:
        blocks.append(("p", [("b", "SLO: "), ("", "; ".join(str(c.get("text") or (k.describe() if k else c))
                                                           for c, k in slo) + ".")]))
    if kind != "findings":
        points = list(zip(s["unavailable_node_seconds_mean"].map(_num), s["duration_s_mean"].map(_num)))
        front = [str(s["label"].iloc[i]) for i in pareto_front(points)]
        if front:
            blocks.append(("p", [("", "Pareto front (no other configuration is both faster and has fewer "
                                      "unavailable node-hours): " + "; ".join(front) + ".")]))
    return blocks


def _decision_names(results: Results) -> list[str]:
    from rollsim.sweep.experiment import DEFAULT_DECISIONS

    return list(results.experiment.get("decisions") or DEFAULT_DECISIONS)


def _fraction_limits(results: Results) -> list[float]:
    return [float(c["limit"]) for c, _ in _constraints(results) if c.get("metric") == "min_available_fraction"]


def _findings(results: Results) -> list[tuple]:
    """The study's findings (``rollsim.present.readings``), computed from its tables."""
    from rollsim.present.readings import readings
    from rollsim.sweep.experiment import DEFAULT_DECISIONS

    e = results.experiment
    scenarios = {c.get("index"): c.get("scenario") or {} for c in e.get("configurations") or []}
    lines = readings(_resolved(results)[0], list(e.get("slo") or []), list(e.get("swept") or []),
                     list(e.get("decisions") or DEFAULT_DECISIONS), scenarios)
    return [("ul", [[("", line)] for line in lines])] if lines else []


def _stops(results: Results) -> list[tuple]:
    """Per configuration whose runs did not all complete: why they stopped (computed from the
    model's state at the end of each run) and when the nodes that could be updated were.
    """
    s = results.summary
    if "stop_cause" not in s:
        return []
    rows = []
    for r in cast(list[dict[str, Any]], s.to_dict("records")):
        if _complete_row(r):
            continue
        rows.append([str(r["label"]), _done(r),
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
    values = pd.to_numeric(runs.loc[runs["config"] == config, "healthy_done_s"], errors="coerce")
    if values.empty:
        return DASH
    left = int(values.isna().sum())
    if left:
        return f"not all ({left} of {len(values)} runs)"
    return format_duration(float(values.max()))


def _complete_row(r: Mapping[str, Any]) -> bool:
    done = _done(r)
    return done != DASH and done.split("/")[0] == done.split("/")[1]


def _assumptions(results: Results, scenarios: list[dict[str, Any]]) -> list[list[tuple[str, str]]]:
    def one(key: str) -> Any:
        values = {json.dumps(s.get(key), default=str) for s in scenarios}
        return scenarios[0].get(key) if len(values) == 1 and scenarios else None

    phases = []
    for phase, default in PHASES.items():
        v = one(phase)
        given = "varies by configuration" if v is None else (
            "default" if str(v) == str(parse_distribution(default)) else "given")
        phases.append(f"{phase} {format_value(v) if v is not None else ''} ({given})".replace("  ", " "))
    items = [[("", "Phase durations in seconds, drawn independently for each pod: " + "; ".join(phases) +
               ". The defaults come from published measurements cited in rollsim/scenario.py; the results are "
               "only as good as these distributions are for your agent and image.")]]
    mode = one("controller")
    if mode == "ideal":
        items.append([("b", "Ideal controller: "), ("", ("writes are observed at once, there is no API rate limit "
                                                         "and syncs take no time; durations are lower bounds."))])
    elif mode == "realistic":
        qps, burst, workers = one("kube_api_qps"), one("kube_api_burst"), one("workers")
        usual = "the kube-controller-manager defaults" if (qps, burst) == (20.0, 30) else \
            "not the kube-controller-manager defaults of 20 QPS / burst 30"
        items.append([("b", "Realistic controller: "), ("", (
            f"one API client token bucket of {format_value(qps)} QPS / "
            f"burst {format_value(burst)} ({usual}) shared by every pod create, delete and status write; "
            f"{format_value(workers)} workers; informer watch delay and API latency. On large clusters the "
            "token bucket, not the pods, can set the pace."))])
    else:
        items.append([("", "Controller model varies by configuration (see the table).")])
    period = one("probe_period")
    if period is not None:
        items.append([("", f"Readiness probe period {format_value(period)} s: a pod turns Ready on the first "
                           f"probe tick after its app is ready, adding up to {format_value(period)} s to each "
                           "node's downtime."
                      if _num(period) > 0 else "Readiness probe period 0: pods are Ready the moment the app is.")])
    items.append([("", ("Go's random map order decides which nodes go first when the budget admits only some; "
                       "rollsim draws a random node order per run (fixed within the run)."))])
    items.append([("", ("Other places where rollsim departs from the real controller are listed in the README, "
                       "section “Where rollsim departs from the real controller”."))])
    reps = results.experiment.get("replications")
    items.append([("", (f"{reps} replications per configuration with common random numbers (replication r draws "
                       "the same random numbers in every configuration); confidence intervals from few "
                       "replications are wide."))])
    return items


def _facts(results: Results) -> list[list[str]]:
    m, e = results.manifest, results.experiment
    workers = f" with {m['workers']} workers" if m.get("workers") else ""
    versions = ", ".join(f"{k} {m[k]}" for k in ("rollsim", "python", "simpy", "numpy", "pandas") if k in m)
    wall = _num(m.get("wall_s"))
    return [
        ["experiment file", format_value(e.get("source"))],
        ["runs", (f"{format_value(m.get('runs_total'))} ({format_value(m.get('runs_run'))} run, "
                 f"{format_value(m.get('runs_reused'))} reused from an earlier run)")],
        ["executor", f"{format_value(m.get('executor'))}{workers}"],
        ["wall time", format_duration(wall) if not math.isnan(wall) else DASH],
        ["started / finished", f"{format_value(m.get('started_at'))} / {format_value(m.get('finished_at'))}"],
        ["root seed", str(m.get("seed", e.get("seed")))],
        ["versions", versions or DASH],
    ]


def _simulated(results: Results, scenarios: list[dict[str, Any]]) -> list[tuple]:
    e, s = results.experiment, results.summary
    same, varying = _varying(scenarios)
    first = scenarios[0] if scenarios else {}
    cluster = ("clusters of different sizes" if {"nodes", "desired_nodes"} & set(varying) else
               f"{format_number(_num(first.get('nodes')))} nodes "
               f"({format_number(_num(first.get('desired_nodes')))} run the DaemonSet)")
    blocks: list[tuple] = [("p", [("", f"{len(s)} configurations × {format_value(e.get('replications'))} "
                                       f"replications of a DaemonSet update on {cluster}." +
                                       (" Settings common to all configurations:" if same else ""))])]
    if same:
        blocks.append(("table", ["setting", "value"],
                       [[SETTINGS.get(k, k), _setting(first.get(k))] for k in same]))
    if varying:
        blocks.append(("p", [("", "Varied across configurations: " + ", ".join(SETTINGS.get(k, k) for k in varying)
                              + " (columns of the results table).")]))
    return blocks


def _setting(v: Any) -> str:
    return "default" if v is None else format_value(v)


def _daemonsets(results: Results) -> list[tuple]:
    """When several DaemonSets were updated at once: each one's duration and time queued.

    ``runs.csv`` carries the other DaemonSets' figures as ``<name>.duration_s`` and so on;
    the queue wait is how long a DaemonSet's key waited for one of the controller's workers.
    """
    runs = results.runs
    names = sorted({c[: -len(".duration_s")] for c in runs.columns if c.endswith(".duration_s")})
    if not names:
        return []
    main = str(results.experiment.get("configurations", [{}])[0].get("scenario", {}).get("daemonset", "this study's"))
    rows = []
    for label, group in runs.groupby("label", sort=False):
        rows.append([str(label), f"{main} (the study's)", format_duration(_num(group["duration_s"].mean())),
                     format_duration(_num(group["queue_wait_s"].mean())) if "queue_wait_s" in group else DASH])
        for name in names:
            if group[f"{name}.duration_s"].notna().any():
                rows.append(["", name, format_duration(_num(group[f"{name}.duration_s"].mean())),
                             format_duration(_num(group[f"{name}.queue_wait_s"].mean()))])
    return [("h", 2, "DaemonSets updated together"),
            ("p", [("", "Each DaemonSet's rollout and how long its key waited in the controller's work queue "
                        "for a worker (means over replications): the longest wait is the one the shared "
                        "workers and API budget held back most.")]),
            ("table", ["configuration", "DaemonSet", "duration (mean)", "queued for a worker (mean)"], rows)]


def report_blocks(results: Results, images: Sequence[str]) -> list[tuple]:
    """The report's content; ``images`` names the figures that exist (``figures/<name>.png``).

    The order is the reader's: the verdict first (recommendation and SLO), then the table and
    the figures it rests on, then what was simulated and the assumptions, then run facts.
    """
    e = results.experiment
    scenarios = _scenarios(results)
    _, varying = _varying(scenarios)
    blocks: list[tuple] = [("h", 1, f"rollsim report: {results.name}")]
    if e.get("description"):
        blocks.append(("p", [("", str(e["description"]))]))
    blocks += [("h", 2, "Recommendation"), *_recommendation(results), ("h", 2, "Findings"), *_findings(results)]
    header, rows = _results_table(results, varying)
    blocks += [("h", 2, "Results"), ("table", header, rows), *_stops(results), *_daemonsets(results),
               ("h", 2, "Figures")]
    for name, (_, needs) in FIGURES.items():
        title, caption = CAPTIONS[name]
        if name in images:
            blocks.append(("img", name, title, caption))
        else:
            why = f"{needs}.parquet is not in this results folder" if needs else "it could not be drawn"
            blocks += [("h", 3, title), ("note", f"Not drawn: {why}.")]
    blocks += [("h", 2, "What was simulated"), *_simulated(results, scenarios),
               ("h", 2, "Assumptions that matter most"), ("ul", _assumptions(results, scenarios)),
               ("h", 2, "Run facts"), ("table", ["", ""], _facts(results))]
    return blocks


def write_report(results: Results, out_dir: str | Path | None = None) -> tuple[Path, Path]:
    """Write ``report.md`` and ``report.html`` (and the figures they show) under ``out_dir``.

    ``out_dir`` defaults to the results folder. Figures go to ``figures/`` beside the report
    (the Markdown links them there; the HTML embeds them). Every file is written atomically.
    """
    out = Path(out_dir if out_dir is not None else results.path)
    images = {p.stem: p.read_bytes() for p in save_figures(results, out)}
    blocks = report_blocks(results, list(images))
    md, page = out / "report.md", out / "report.html"
    write_text(md, render_markdown(blocks))
    write_text(page, render_html(blocks, images, f"rollsim report: {results.name}"))
    return md, page
