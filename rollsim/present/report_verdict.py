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
from rollsim.present.others import (
    full_names,
    other_names,
    others_beyond,
    others_incomplete,
    others_shortfalls,
    whole_update_completed,
)
from rollsim.present.render import format_duration, format_number, format_percent_exact
from rollsim.present.report_tables import floor_spare, slo_values, slo_words, study_daemonset
from rollsim.present.study import (
    decision_names,
    desired_counts,
    fraction_limits,
    key_words,
    no_node_words,
    on_no_node,
    pareto_fronts,
    resolved,
    scenarios_by_config,
    slo_constraints,
    slo_specs,
    swept_decisions,
    without_idle,
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
from rollsim.present.surge_advice import apply_spans, stall_words, unfitted_words, without_surge
from rollsim.present.surge_budget import surge_budget, surge_budgets
from rollsim.sweep.labels import config_label, display
from rollsim.sweep.results import Results
from rollsim.sweep.slo import Constraint, Recommendation, recommend, recommend_by_condition

__all__ = ["decision_choices", "findings_section", "idle_lines", "recommendation_for", "recommendation_section",
           "recommendations_for", "recommended_labels"]


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
    mine = _config_of(configs, rec.label)
    peers = [] if mine is None else _tied_peers(mine, configs, conditions)
    if mine is None or not peers:
        return rec
    why = tie_words([c["row"] for c in (mine, *peers)])
    return Recommendation(rec.label, f"{rec.reason}; tied with {names([c['label'] for c in peers])} ({why}), "
                                     f"{rec.label} is named as the first by label", rec.condition)


def _config_of(configs: list[dict[str, Any]], label: str | None) -> dict[str, Any] | None:
    """The configuration a recommendation names, by its label; None for none."""
    return next((c for c in configs if c["label"] == label), None)


def _tied_peers(mine: Mapping[str, Any], configs: list[dict[str, Any]], conditions: list[str]
                ) -> list[Mapping[str, Any]]:
    """The configurations exactly as fast as ``mine`` under its condition that it could have been:
    safe and complete in every replication (``recommend`` breaks such a tie by label).
    """
    return [c for c in tied(configs, mine) if c is not mine and c["ok"] and c.get("completed") == c.get("runs")
            and all(display(c["params"].get(k)) == display(mine["params"].get(k)) for k in conditions)]


def _everywhere(results: Results, recs: list[Recommendation], choices: Mapping[str, str]) -> str | None:
    """The decision recommended, or tied with the recommendation, under every condition, when the
    recommendations themselves differ (audit 20: disk-pressure recommended priority 0 without
    pressure and system-node-critical with it, tied without it; no one knows the condition ahead).
    """
    configs, (_, conditions) = _config_rows(results), swept_decisions(results)
    picks: list[set[str]] = []
    for rec in recs:
        mine = _config_of(configs, rec.label)
        if mine is None:
            return None
        picks.append({choices.get(str(c["label"]), str(c["label"]))
                      for c in (mine, *_tied_peers(mine, configs, conditions))})
    named = {choices.get(str(r.label), str(r.label)) for r in recs}
    common = set.intersection(*picks) if picks else set()
    return sorted(common)[0] if common and len(named) > 1 else None


def recommendation_for(results: Results) -> Recommendation:
    """The study's conclusion as one line (the CLI prints it)."""
    nothing = nothing_to_roll_out(results)
    if nothing:
        return Recommendation(None, f"no recommendation: {nothing}")
    kind, recs = recommendations_for(results)
    if kind == "recommend":
        return recs[0]
    _, conditions = swept_decisions(results)
    if kind == "findings":
        varied = (f"varies only what the user does not choose ({key_words(conditions)})" if conditions else
                  "varies nothing, so there is no choice to make")
        return Recommendation(None, f"no recommendation: the study {varied}; see the findings")
    choices = decision_choices(results)
    return Recommendation(None, "; ".join(f"where {r.condition}: " + (f"use {choices.get(str(r.label), r.label)}"
                                                                      if r.label else "none") for r in recs))


def decision_choices(results: Results) -> dict[str, str]:
    """Each configuration's label -> what the user would set to pick it: its swept decisions
    (``maxUnavailable 10%``), without the conditions its label also names, which the user does not
    choose ("with watch delays 2-5 s: use maxUnavailable 10%", not "use watch delays 2-5 s,
    maxUnavailable 10%"); its label when it sets no decision of its own.
    """
    decided, _ = swept_decisions(results)
    _, params = resolved(results)
    out = {}
    for config, label in zip(results.summary["config"], map(str, results.summary["label"])):
        mine = params.get(config, {})
        chosen = {k: mine[k] for k in decided if mine.get(k) is not None}
        out[label] = config_label(chosen, None) if chosen else label
    return out


def recommended_labels(results: Results) -> set[str]:
    """The labels of the configurations the recommendation picked (one, or one per condition;
    none when it makes none): what ``recommendable``, which says only what it may pick, does not tell.
    """
    if nothing_to_roll_out(results):
        return set()
    kind, recs = recommendations_for(results)
    return {str(r.label) for r in recs if r.label} if kind != "findings" else set()


def _config_rows(results: Results) -> list[dict[str, Any]]:
    """The summary rows as ``recommend`` takes them. A configuration in which another DaemonSet
    of the update (``also``) did not complete every replication did not complete in those:
    its count is of the replications in which every DaemonSet of the update completed. One
    whose DaemonSet ran on no node (``on_no_node``) is left out: it had nothing to do.
    """
    _, params = resolved(results)
    whole = whole_update_completed(results)
    idle = on_no_node(results)  # nothing to roll out: nothing to recommend
    rows = []
    for r in cast(list[dict[str, Any]], results.summary.to_dict("records")):
        if r["config"] in idle:
            continue
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
    nothing = nothing_to_roll_out(results)
    if nothing:
        return [("p", [("b", "Nothing to roll out. "), ("", nothing[:1].upper() + nothing[1:] + ".")])]
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
            blocks += [("p", spans), _best_facts(results, rec.label), *_apply(results, rec.label)]
    else:
        blocks.append(("p", [("", "This study varies " + key_words(conditions) + ", which the user does not "
                                  "choose, and " + ", ".join(decided) + ", which the user does: one recommendation "
                                  "per condition.")]))
        items, choices = [], decision_choices(results)
        for rec in recs:
            if rec.label is None:
                items.append([("b", f"With {rec.condition}: "), ("", "none. " + rec.reason[:1].upper()
                                                                   + rec.reason[1:] + ".")])
            else:
                use = choices.get(str(rec.label), rec.label)
                items.append([("b", f"With {rec.condition}: use {use}. "), ("", rec.reason + ". "),
                              *_apply_spans_of(results, str(rec.label))])
        blocks.append(("ul", items))
        everywhere = _everywhere(results, recs, choices)
        if everywhere is not None:
            blocks.append(("p", [("b", f"Whatever the condition: use {everywhere}. "),
                                 ("", "It is the recommendation, or tied with it, under every condition, so it "
                                      "holds whichever one the rollout meets.")]))
    if slo:
        picked = [r.label for r in recs if r.label is not None] if kind != "findings" else []
        blocks.append(("p", [("b", "SLO: "), ("", "; ".join(slo_words(c, k) for c, k in slo) + "."),
                             *_slo_scope(results, [k for _, k in slo if k is not None], picked)]))
    blocks += _pareto(results)  # none when the study varies no decision
    return blocks


def _slo_scope(results: Results, constraints: list[Constraint], picked: list[str]) -> list[tuple]:
    """With other DaemonSets updated at once (``also``): that the SLO judges the study's
    DaemonSet alone, and, for each recommended configuration (``picked``, by label), every other
    DaemonSet whose own figures break it (``others_beyond``), which the verdict does not see.
    """
    if not other_names(results.runs):
        return []
    spans: list[tuple] = [("", f" It judges {study_daemonset(results)}'s own rollout, not the other DaemonSets "
                               "updated with it (their figures: \"DaemonSets updated together\").")]
    full, by_label = full_names(results), dict(zip(results.summary["label"].astype(str), results.summary["config"]))
    for label in picked:
        beyond = others_beyond(results, by_label[str(label)], constraints) if str(label) in by_label else []
        words = [f"{full.get(name, name)}'s {c.metric} was {shown} ({c.statistic} over its replications), against "
                 f"{'≤' if c.bound == 'max' else '≥'} {limit}"
                 for name, c, value in beyond for shown, limit in [slo_values(c.metric, value, c.limit)]]
        if words:
            spans += [("", " "), ("b", f"In {label}, " + "; ".join(words) + ".")]
    return spans


def nothing_to_roll_out(results: Results) -> str:
    """``the DaemonSet runs on no node (its nodeSelector ... matches none of the 50 nodes): there
    is nothing to roll out, ...`` when it ran on no node in every configuration (``on_no_node``);
    empty otherwise.
    """
    idle = on_no_node(results)
    configs = set(results.summary["config"]) if "config" in results.summary else set()
    if not configs or not configs <= idle:
        return ""
    why = sorted({no_node_words(s) for c, s in scenarios_by_config(results).items() if c in idle})
    return (f"the DaemonSet runs on no node ({'; '.join(why) or 'no node is eligible'}): there is nothing to roll "
            "out, so no configuration is recommended, and its durations, availability and SLO verdicts say "
            "nothing about a rollout")


def _front_member(row: Mapping[str, Any]) -> str:
    """A configuration of a Pareto front as the text names it: ``b (fails the SLO: min_available_fraction)``
    when it fails the SLO (a front is of speed and disruption alone, so it may).
    """
    if slo_ok(row):
        return str(row["label"])
    failed = ", ".join(slo_failed(row))
    return f"{row['label']} (fails the SLO{': ' + failed if failed else ''})"


def _pareto(results: Results) -> list[tuple]:
    """The study's Pareto fronts (``pareto_fronts``: the figure rings the same points), each
    member that fails the SLO saying so.
    """
    rows = cast(list[dict[str, Any]], resolved(results)[0].to_dict("records"))
    fronts = {where: "; ".join(_front_member(rows[i]) for i in front) + "."
              for where, front in pareto_fronts(results).items()}
    lead = ("Pareto front (no other configuration is both faster and has fewer unavailable node-hours; node-hours "
            "within noise, the wider half of the two 95% confidence intervals or 0.5%, count as equal)")
    if list(fronts) == [""]:
        return [("p", [("", f"{lead}: {fronts['']}")])]
    items = [[("b", f"With {where}: "), ("", front)] for where, front in fronts.items()]
    return [("p", [("", f"{lead}, within each condition:")]), ("ul", items)] if items else []


def _best_facts(results: Results, label: str) -> tuple:
    s, runs = results.summary, results.runs
    best = s[s["label"].astype(str) == label].iloc[0]
    mine = runs[runs["config"] == best["config"]] if "config" in runs else pd.DataFrame()
    limits = fraction_limits(results)
    worst = (f" At worst {format_percent_exact(mine['min_available_fraction'].min(), limits)} of nodes kept an "
             "available pod (the lowest moment over all replications)." if "min_available_fraction" in mine
             and len(mine) else "")
    if floor_spare(cast(Mapping[str, Any], best), slo_constraints(results)) == 0:
        worst += (" It kept no node to spare above the SLO's floor: one more node without an available pod at "
                  "that moment, beyond what the strategy takes down (a node going NotReady, an old agent crashing "
                  "during the rollout), would have broken it.")
    return ("p", [("", (f"{label}: mean duration {format_duration(num(best.get('duration_s_mean')))} "
                        f"(p95 {format_duration(num(best.get('duration_s_p95')))}), "
                        f"{format_number(num(best.get('unavailable_node_seconds_mean')) / 3600, 1)} "
                        f"unavailable node-hours on average, "
                        f"completed {completed_text(cast(Mapping[str, Any], best))}." + worst))])


def _config_and_scenario(results: Results, label: str) -> tuple[Any, Mapping[str, Any]]:
    """The configuration index of ``label`` and its scenario's description."""
    s = results.summary
    config = s[s["label"].astype(str) == label].iloc[0]["config"]
    return config, scenarios_by_config(results).get(config) or {}


def _apply_spans_of(results: Results, label: str) -> list[tuple]:
    """The configuration ``label``'s ``Apply it as ...`` (``surge_advice.apply_spans``) and, where it
    surges, what the runs did not check (``unfitted_words``) and what it does with new pods that
    never become available (``stall_words``); [] for a strategy it cannot write.
    """
    config, scenario = _config_and_scenario(results, label)
    spans = apply_spans(scenario)
    if spans:
        budget = surge_budget(scenario.get("max_surge"), desired_counts(results).get(config, (0, 0))[0])
        spans.append(("", unfitted_words(scenario) + stall_words(scenario, budget)))
    return spans


def _apply(results: Results, label: str) -> list[tuple]:
    """The recommended configuration's ``Apply it as ...`` with its caveats (``_apply_spans_of``);
    then, for a surge, the configuration to fall back on without one (``surge_advice.without_surge``).
    """
    spans = _apply_spans_of(results, label)
    return [("p", spans), *_fallback(results, _config_and_scenario(results, label)[1])] if spans else []


def _fallback(results: Results, scenario: Mapping[str, Any]) -> list[tuple]:
    """``Without surge: ...``: the fastest configuration that does not surge and is safe, its facts
    and its strategy, or why there is none, after a recommendation that surges (audit 39: where two
    fluentd agents cannot share /var/log, the report offered no delete-first setting that met the SLO).
    """
    by_label = {str(label): scenarios_by_config(results).get(config) or {}
                for config, label in zip(results.summary["config"], results.summary["label"])}
    constraints = [c for _, c in slo_constraints(results) if c is not None]
    found = without_surge(_config_rows(results), by_label, constraints, scenario)
    if found is None:
        return []
    rec, why = found
    if rec.label is None:
        reason = rec.reason.removeprefix("no configuration is safe to recommend: ")
        return [("p", [("b", "Without surge: "), ("", f"{why}, no configuration of this study would do: {reason}.")])]
    facts, safe = _best_facts(results, rec.label)[1], " and met the SLO" if constraints else ""
    return [("p", [("b", "Without surge: "), ("", f"{why}, use {rec.label}, the fastest configuration without one "
                                                  f"that completed every replication{safe}. "),
                   *facts, ("", " "), *apply_spans(by_label[rec.label])])]


def idle_lines(results: Results) -> list[str]:
    """The configurations whose DaemonSet ran on no node (``on_no_node``; when others' ran on some),
    one line per reason: that they had nothing to do, and so are left out of the recommendation, the
    other findings and the figures (``without_idle``). The report names them here alone.
    """
    idle, scen = on_no_node(results), scenarios_by_config(results)
    rows = cast(list[dict[str, Any]], results.summary.to_dict("records"))
    by_reason: dict[str, list[str]] = {}
    for r in rows:
        if r["config"] in idle:
            by_reason.setdefault(no_node_words(scen.get(r["config"], {})), []).append(str(r["label"]))
    return [f"{'; '.join(labels)}: the DaemonSet runs on no node ({why}): nothing to roll out, so "
            f"{'it is' if len(labels) == 1 else 'they are'} left out of the recommendation, the findings below "
            "and the figures (the results table marks "
            f"{'its row' if len(labels) == 1 else 'their rows'} “on no node”)." for why, labels in by_reason.items()]


def findings_section(results: Results) -> list[tuple]:
    """The study's findings (``rollsim.present.readings``), computed from its tables. When
    another DaemonSet of the update (``also``) did not complete every replication, the first
    line says so: the other findings are about the study's own DaemonSet.
    """
    from rollsim.present.readings import budget_rounding, readings
    from rollsim.present.run_costs import (
        disk_pressure_costs,
        downtime_tail,
        last_nodes_share,
        preemption_costs,
        pull_times,
        refusal_costs,
        registry_error_costs,
        unready_costs,
    )

    nothing = nothing_to_roll_out(results)
    if nothing:
        return [("ul", [[("", nothing[:1].upper() + nothing[1:] + ".")]])]
    shortfalls = others_shortfalls(results)
    lines = idle_lines(results)
    active = without_idle(results)  # (those on no node preempted and pulled nothing: not named)
    ran, slo = active.runs, slo_specs(results)
    scenarios = scenarios_by_config(results)
    if shortfalls:
        by_name: dict[str, list[str]] = {}
        for f in shortfalls:
            by_name.setdefault(f.name, []).append(f"{f.label} ({f.completed})")
        lines.append("Not every DaemonSet of the update completed in every replication: "
                     + "; ".join(f"{name} did not, updated together with {', '.join(where)}"
                                 for name, where in by_name.items())
                     + ".")
    lines += readings(resolved(results)[0], slo, list(results.experiment.get("swept") or []),
                      decision_names(results), scenarios, own_only=bool(other_names(results.runs)),
                      budgets=surge_budgets(results), idle=on_no_node(results), desired=desired_counts(results))
    lines += budget_rounding(active.summary, slo, desired_counts(results))
    lines += last_nodes_share(ran, active.summary, scenarios, active.timelines)
    lines += downtime_tail(ran)
    lines += pull_times(ran, scenarios)
    lines += preemption_costs(ran)
    lines += refusal_costs(ran, scenarios)
    lines += registry_error_costs(ran)
    lines += unready_costs(ran, scenarios)
    lines += disk_pressure_costs(ran)
    lines += [f"{line}; see DaemonSets updated together." for line in others_incomplete(shortfalls)]
    return [("ul", _items(lines))] if lines else []


def _items(lines: list[str]) -> list[list[tuple]]:
    """The findings as list items, a line that starts ``NESTED`` in a list under the item before it."""
    from rollsim.present.readings import NESTED

    items: list[list[tuple]] = []
    for line in lines:
        if line.startswith(NESTED) and items:
            if items[-1][-1][0] != "ul":
                items[-1].append(("ul", []))
            items[-1][-1][1].append([("", line[len(NESTED):])])
        else:
            items.append([("", line)])
    return items
