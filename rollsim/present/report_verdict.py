"""What a study concludes, and the report's sections that say it: the recommendation (one, or
one per condition the user does not choose) and the findings computed from the tables.

The choice itself is ``rollsim.sweep.slo``'s (``recommend``, ``recommend_by_condition``);
this module feeds it the summary rows and writes its answer as report blocks
(``rollsim.present.render``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, cast

import pandas as pd

from rollsim.observe.stopcause import CAUSE_TEXT
from rollsim.present.others import others_incomplete, others_shortfalls, whole_update_completed
from rollsim.present.render import format_duration, format_number, format_percent_exact
from rollsim.present.study import (
    decision_names,
    fraction_limits,
    key_words,
    pareto_fronts,
    resolved,
    scenarios_by_config,
    slo_constraints,
    slo_specs,
    swept_decisions,
)
from rollsim.present.summary_rows import (
    completed_counts,
    completed_text,
    names,
    num,
    slo_failed,
    slo_ok,
    tie_words,
    tied,
)
from rollsim.present.surge_budget import surge_budgets
from rollsim.sweep.results import Results
from rollsim.sweep.slo import Recommendation, display, recommend, recommend_by_condition

__all__ = ["findings_section", "recommendation_for", "recommendation_section", "recommendations_for"]


def recommendations_for(results: Results) -> tuple[str, list[Recommendation]]:
    """What the study concludes: ``("recommend", [one])`` when it varies only decisions,
    ``("by-condition", [one per condition])`` when it also varies conditions the user does not
    choose (cluster, faults, load), ``("findings", [])`` when it varies no decision.
    """
    decided, conditions = swept_decisions(results)
    constraints = [c for _, c in slo_constraints(results) if c is not None]
    configs = _config_rows(results)
    if not decided:
        return "findings", []
    if not conditions:
        return "recommend", [_with_ties(recommend(configs, constraints), configs, [])]
    return "by-condition", [_with_ties(r, configs, conditions)
                            for r in recommend_by_condition(configs, constraints, conditions)]


def _with_ties(rec: Recommendation, configs: list[dict[str, Any]], conditions: list[str]) -> Recommendation:
    """``rec`` saying so when other configurations it could have been, under its condition, are
    exactly as fast (``recommend`` breaks the tie by label): ``; tied with b (identical
    results), a is named as the first by label``.
    """
    mine = next((c for c in configs if c["label"] == rec.label), None)
    if mine is None:
        return rec
    peers = [c for c in tied(configs, mine) if c is not mine and c["ok"] and c.get("completed") == c.get("runs")
             and all(display(c["params"].get(k)) == display(mine["params"].get(k)) for k in conditions)]
    if not peers:
        return rec
    why = tie_words([c["row"] for c in (mine, *peers)])
    return Recommendation(rec.label, f"{rec.reason}; tied with {names([c['label'] for c in peers])} ({why}), "
                                     f"{rec.label} is named as the first by label", rec.condition)


def recommendation_for(results: Results) -> Recommendation:
    """The study's conclusion as one line (the CLI prints it)."""
    kind, recs = recommendations_for(results)
    if kind == "recommend":
        return recs[0]
    _, conditions = swept_decisions(results)
    if kind == "findings":
        varied = (f"varies only what the user does not choose ({key_words(conditions)})" if conditions else
                  "varies nothing, so there is no choice to make")
        return Recommendation(None, f"no recommendation: the study {varied}; see the findings")
    return Recommendation(None, "; ".join(f"where {r.condition}: " + (f"use {r.label}" if r.label else "none")
                                          for r in recs))


def _config_rows(results: Results) -> list[dict[str, Any]]:
    """The summary rows as ``recommend`` takes them. A configuration in which another DaemonSet
    of the update (``also``) did not complete every replication did not complete in those:
    its count is of the replications in which every DaemonSet of the update completed.
    """
    _, params = resolved(results)
    whole = whole_update_completed(results)
    rows = []
    for r in cast(list[dict[str, Any]], results.summary.to_dict("records")):
        counts = _counts(r)
        if r["config"] in whole and counts:
            counts = {**counts, "completed": min(counts["completed"], whole[r["config"]]),
                      "counted": " counting the DaemonSets updated with it"}
        rows.append({"label": str(r["label"]), "ok": slo_ok(r), "failed": slo_failed(r), **counts, "stop": _stop(r),
                     "duration_s_mean": num(r.get("duration_s_mean")), "params": params.get(r["config"], {}),
                     "row": r})  # (the tie's words read its statistics)
    return rows


def _stop(row: Mapping[str, Any]) -> str | None:
    """Why a configuration's runs stopped, in a few words (its most frequent stop cause)."""
    cause = row.get("stop_cause")
    return CAUSE_TEXT.get(cause, cause) if isinstance(cause, str) and cause and cause != "completed" else None


def _counts(row: Mapping[str, Any]) -> dict[str, Any]:
    done, runs = completed_counts(row)
    return {} if math.isnan(done) or math.isnan(runs) else {"completed": int(done), "runs": int(runs)}


def recommendation_section(results: Results) -> list[tuple]:
    """The report's "Recommendation": the verdict, the facts of the recommended configuration,
    the SLO and the Pareto front (a study that varies no decision ends in findings instead).
    """
    kind, recs = recommendations_for(results)
    slo = slo_constraints(results)
    decided, conditions = swept_decisions(results)
    blocks: list[tuple] = []
    if kind == "findings" and not conditions:
        blocks.append(("p", [("b", "No recommendation. "),
                             ("", "This study varies nothing (one configuration), so there is no choice to make; it "
                                  "ends in findings. Vary a decision (variants: or grid:) to compare choices.")]))
    elif kind == "findings":
        blocks.append(("p", [("b", "No recommendation. "),
                             ("", "This study varies " + key_words(conditions) + ", which the user does "
                                  "not choose (the decisions are " + ", ".join(decision_names(results)) +
                                  "); it ends in findings. Declare a key under decisions: if it is a choice.")]))
    elif kind == "recommend":
        rec = recs[0]
        if rec.label is None:
            reason = rec.reason[:1].upper() + rec.reason[1:] + "."
            blocks.append(("p", [("b", "No configuration to recommend. "), ("", reason)]))
        else:  # the reason starts with the label, which keeps its own spelling
            # without an SLO "safe" would claim more than that it completed every replication
            tie = rec.reason.partition("; tied with ")[2]  # (_with_ties)
            spans = ([("b", f"Use {rec.label}. "), ("", rec.reason + ".")] if slo else
                     [("b", f"Fastest that completed every run (no SLO given): {rec.label}.")]
                     + ([("", f" Tied with {tie}.")] if tie else []))
            blocks += [("p", spans), _best_facts(results, rec.label)]
    else:
        blocks.append(("p", [("", "This study varies " + key_words(conditions) + ", which the user does not "
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
    blocks += _pareto(results)  # none when the study varies no decision
    return blocks


def _pareto(results: Results) -> list[tuple]:
    """The study's Pareto fronts (``pareto_fronts``: the figure rings the same points)."""
    labels = resolved(results)[0]["label"].astype(str).tolist()
    fronts = {where: "; ".join(labels[i] for i in front) + "." for where, front in pareto_fronts(results).items()}
    lead = "Pareto front (no other configuration is both faster and has fewer unavailable node-hours)"
    if list(fronts) == [""]:
        return [("p", [("", f"{lead}: {fronts['']}")])]
    items = [[("b", f"Where {where}: "), ("", front)] for where, front in fronts.items()]
    return [("p", [("", f"{lead}, within each condition:")]), ("ul", items)] if items else []


def _best_facts(results: Results, label: str) -> tuple:
    s, runs = results.summary, results.runs
    best = s[s["label"].astype(str) == label].iloc[0]
    mine = runs[runs["config"] == best["config"]] if "config" in runs else pd.DataFrame()
    limits = fraction_limits(results)
    worst = (f" At worst {format_percent_exact(mine['min_available_fraction'].min(), limits)} of nodes kept an "
             "available pod (the lowest moment over all replications)." if "min_available_fraction" in mine
             and len(mine) else "")
    return ("p", [("", (f"{label}: mean duration {format_duration(num(best.get('duration_s_mean')))} "
                        f"(p95 {format_duration(num(best.get('duration_s_p95')))}), "
                        f"{format_number(num(best.get('unavailable_node_seconds_mean')) / 3600, 1)} "
                        f"unavailable node-hours on average, "
                        f"completed {completed_text(cast(Mapping[str, Any], best))}." + worst))])


def findings_section(results: Results) -> list[tuple]:
    """The study's findings (``rollsim.present.readings``), computed from its tables. When
    another DaemonSet of the update (``also``) did not complete every replication, the first
    line says so: the other findings are about the study's own DaemonSet.
    """
    from rollsim.present.readings import preemption_costs, readings, refusal_costs

    shortfalls = others_shortfalls(results)
    lines = []
    if shortfalls:
        by_name: dict[str, list[str]] = {}
        for f in shortfalls:
            by_name.setdefault(f.name, []).append(f"{f.label} ({f.completed})")
        lines.append("Not every DaemonSet of the update completed in every replication: "
                     + "; ".join(f"{name} did not, updated together with {', '.join(where)}"
                                 for name, where in by_name.items())
                     + ".")
    lines += readings(resolved(results)[0], slo_specs(results), list(results.experiment.get("swept") or []),
                      decision_names(results), scenarios_by_config(results), own_only=bool(shortfalls),
                      budgets=surge_budgets(results))
    lines += preemption_costs(results.runs)
    lines += refusal_costs(results.runs)
    lines += [f"{line}; see DaemonSets updated together." for line in others_incomplete(shortfalls)]
    return [("ul", [[("", line)] for line in lines])] if lines else []
