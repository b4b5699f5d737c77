"""What the figures and the report read from a study beyond its tables: the configurations'
scenarios, the SLO, which swept keys are decisions and which are conditions, and the
parameters each configuration ran with (``experiment.yaml`` of a saved results folder).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, cast

import pandas as pd

from rollsim.present.others import others_shortfalls
from rollsim.present.plotmath import pareto_front
from rollsim.present.summary_rows import completed_every_run, num
from rollsim.spec.churn import moves_nodes
from rollsim.sweep.aggregate import ran_on_no_node
from rollsim.sweep.results import Results
from rollsim.sweep.slo import Constraint, by_condition

__all__ = [
    "config_scenarios",
    "decision_names",
    "desired_counts",
    "desired_differs",
    "desired_spread",
    "fraction_limits",
    "hours_tied",
    "key_words",
    "no_node_words",
    "on_no_node",
    "pareto_fronts",
    "resolved",
    "same_and_varying",
    "scenarios_by_config",
    "slo_constraints",
    "slo_specs",
    "swept_decisions",
    "without_idle",
]


def config_scenarios(results: Results) -> list[dict[str, Any]]:
    """Each configuration's scenario, as ``describe_scenario`` wrote it, in order."""
    return [dict(c.get("scenario") or {}) for c in results.experiment.get("configurations") or []]


def scenarios_by_config(results: Results) -> dict[Any, dict[str, Any]]:
    """Configuration index -> its scenario."""
    return {c.get("index"): c.get("scenario") or {} for c in results.experiment.get("configurations") or []}


def same_and_varying(scenarios: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[str]]:
    """Scenario keys that are the same in every configuration, and those that vary."""
    keys = list(dict.fromkeys(k for s in scenarios for k in s))
    same = [k for k in keys if len({json.dumps(s.get(k), sort_keys=True, default=str) for s in scenarios}) == 1]
    return same, [k for k in keys if k not in same]


def desired_counts(results: Results) -> dict[Any, tuple[int, int]]:
    """Per configuration, the fewest and the most nodes that ran the DaemonSet in its runs
    (``runs.csv`` ``nodes``: desired at the end of each run, as ``desiredNumberScheduled``,
    so without the nodes NotReady before the rollout and with those joined during it).
    """
    runs = results.runs
    if "nodes" not in runs or "config" not in runs:
        return {}
    counts = pd.to_numeric(runs["nodes"], errors="coerce").groupby(runs["config"]).agg(["min", "max"]).dropna()
    return {c: (int(lo), int(hi)) for c, (lo, hi) in counts.iterrows()}


def desired_differs(results: Results, counts: Mapping[Any, tuple[int, int]] | None = None) -> bool:
    """Whether some configuration's runs had other desired nodes than its scenario's
    ``desired_nodes`` (nodes NotReady before the rollout, nodes joining or leaving), or differ
    between its replications: then the scenarios' count is not what the shares are over.
    ``counts``: ``desired_counts(results)``, when the caller has it already.
    """
    scen = scenarios_by_config(results)
    return any(lo != hi or num(scen.get(c, {}).get("desired_nodes", lo)) != lo
               for c, (lo, hi) in (desired_counts(results) if counts is None else counts).items())


def desired_spread(results: Results, counts: Mapping[Any, tuple[int, int]] | None = None) -> str:
    """How the runs' desired nodes (``desired_counts``) vary: ``"configuration"`` where configurations
    differ, ``"run"`` where only the runs of a configuration do or nodes join or leave during a run,
    ``""`` where every run ended with one count (audit 35: 2 NotReady nodes of 100 made every
    configuration 98, and the report said the count "differs by configuration").
    """
    spans = set((desired_counts(results) if counts is None else counts).values())
    if len(spans) > 1:
        return "configuration"
    if any(lo != hi for lo, hi in spans) or any(moves_nodes(s.get("node_changes") or ())
                                                for s in scenarios_by_config(results).values()):
        return "run"
    return ""


def on_no_node(results: Results) -> set[Any]:
    """The configurations whose DaemonSet ran on no node in any of their runs (``runs.csv``
    ``nodes`` 0, nothing updated, nothing unavailable: a nodeSelector or affinity that matches
    none of the cluster's nodes, run with ``allow_no_nodes``); their rollouts had nothing to do,
    so their durations and shares say nothing.
    """
    runs = results.runs
    if not {"config", "nodes"} <= set(runs.columns):
        return set()
    return {c for c, g in runs.groupby("config") if ran_on_no_node(g)}


def without_idle(results: Results) -> Results:
    """``results`` without the configurations whose DaemonSet ran on no node (``on_no_node``), in
    every table (runs, summary, timelines, downtime): their rollouts had nothing to do, so a figure
    or a finding would show them fastest, losing nothing, or as a level of no node. ``results``
    itself when there is none, or when every configuration is such (nothing would be left: the
    report says there is nothing to roll out instead).
    """
    idle = on_no_node(results)
    configs = set(results.summary["config"]) if "config" in results.summary else set()
    if not idle or configs <= idle:
        return results

    def keep(frame: pd.DataFrame | None) -> pd.DataFrame | None:
        return frame if frame is None or "config" not in frame else frame[~frame["config"].isin(list(idle))]

    return replace(results, runs=cast(pd.DataFrame, keep(results.runs)),
                   summary=cast(pd.DataFrame, keep(results.summary)), timelines=keep(results.timelines),
                   downtime=keep(results.downtime))


def no_node_words(scenario: Mapping[str, Any]) -> str:
    """Why a DaemonSet runs on no node, as its scenario says: ``its nodeSelector
    nvidia.com/gpu.present=true matches none of the 50 nodes`` (``nor of the 5 that join
    (add_nodes)`` when nodes join).
    """
    nodes = num(scenario.get("nodes"))
    of = f"none of the {int(nodes):,} nodes" if math.isfinite(nodes) else "no node"
    joined = _joined(scenario.get("node_changes") or [])
    if joined:  # copies of the nodes there (rollsim.spec.churn), counted apart: they are not the user's
        of += f" nor of the {joined:,} that join (add_nodes)"
    selector = [str(s) for s in scenario.get("node_selector") or []]
    if selector:
        return f"its nodeSelector {', '.join(selector)} matches {of}"
    if scenario.get("required_node_affinity"):
        return f"its required node affinity matches {of}"
    if scenario.get("node_name"):
        return f"its nodeName {scenario['node_name']} names {of}"
    left = _leaving(scenario.get("node_changes") or [])
    if left:  # nothing keeps it off a node: its nodes went during the run (audit 23)
        return f"no node runs it at the end: {left} took nodes from the rollout"
    return f"{of} can run it"


def _leaving(changes: Sequence[Any]) -> str:
    """The node changes that take nodes from a rollout (``remove 10@5``, ``not-ready 20@300``), in the
    scenario description's words, or "" when none does.
    """
    from rollsim.spec.churn import described_change

    return ", ".join(str(c) for c in changes if described_change(c).kind in ("remove", "not-ready"))


def _joined(changes: Sequence[Any]) -> int:
    """How many nodes join, of a scenario description's ``node_changes`` (``add 5@60``, ...:
    ``rollsim.spec.churn.described_change``).
    """
    from rollsim.spec.churn import added_nodes, described_change

    return added_nodes([described_change(change) for change in changes])


# swept keys whose name alone says nothing to a reader of the report
_KEY_WORDS = {"also": "the other DaemonSets updated at the same time (also)"}


def key_words(keys: Sequence[str]) -> str:
    """Swept keys as the report's prose names them: ``also`` in words (its key in parentheses,
    as ``decisions:`` would name it), the others as the experiment file spells them.
    """
    return ", ".join(_KEY_WORDS.get(k, k) for k in keys)


def slo_specs(results: Results) -> list[dict[str, Any]]:
    """The SLO's constraints as the experiment file gives them (``metric``, ``bound``, ``limit``, ...)."""
    return list(results.experiment.get("slo") or [])


def slo_constraints(results: Results) -> list[tuple[dict[str, Any], Constraint | None]]:
    """Each SLO constraint as given, with its ``Constraint`` (None where it does not parse)."""
    out: list[tuple[dict[str, Any], Constraint | None]] = []
    for c in slo_specs(results):
        try:
            out.append((c, Constraint(c["metric"], c["bound"], float(c["limit"]), c.get("statistic", "worst"))))
        except (KeyError, TypeError, ValueError):
            out.append((c, None))
    return out


def fraction_limits(results: Results) -> list[float]:
    """The SLO's limits on ``min_available_fraction``: a percentage is shown precisely enough to agree with them."""
    return [float(c["limit"]) for c, _ in slo_constraints(results) if c.get("metric") == "min_available_fraction"]


def decision_names(results: Results) -> list[str]:
    """The keys the user decides (``decisions:`` of the experiment, else the default ones)."""
    from rollsim.sweep.experiment import DEFAULT_DECISIONS

    return list(results.experiment.get("decisions") or DEFAULT_DECISIONS)


def swept_decisions(results: Results) -> tuple[list[str], list[str]]:
    """The swept keys the user decides, and the swept conditions (swept keys that are not decisions)."""
    names = decision_names(results)
    swept = list(results.experiment.get("swept") or [])
    return [k for k in swept if k in names], [k for k in swept if k not in names]


def resolved(results: Results) -> tuple[pd.DataFrame, dict[Any, dict[str, Any]]]:
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


# node-hours closer than this share of the larger are a tie on the front, whatever the CIs say
HOURS_TIE_SHARE = 0.005


def hours_tied(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Whether two summary rows' mean unavailable node-hours are within noise of each other: the
    difference is no more than the wider half of their two 95% confidence intervals, or than
    ``HOURS_TIE_SHARE`` of the larger mean (differences of 0.1% come from probe timing alone).
    """
    x, y = num(a.get("unavailable_node_seconds_mean")), num(b.get("unavailable_node_seconds_mean"))
    halves = [(num(r.get("unavailable_node_seconds_ci_high")) - num(r.get("unavailable_node_seconds_ci_low"))) / 2
              for r in (a, b)]
    noise = max([HOURS_TIE_SHARE * max(abs(x), abs(y)), *(h for h in halves if math.isfinite(h))])
    return abs(x - y) <= noise


def pareto_fronts(results: Results) -> dict[str, list[int]]:
    """Each Pareto front of the study (no other configuration set against it is both faster and
    has fewer unavailable node-hours, in means; node-hours within noise, ``hours_tied``, count as
    equal, so that only the faster of them is on it), as positions in ``results.summary``, named
    as ``by_condition`` names a condition ("" for the one front of a study that varies only
    decisions). A front is taken among the configurations that completed every replication (a
    mean over the runs that finished flatters one that did not); within each condition when the
    study also varies conditions the user does not choose (a configuration is never set against
    one under another condition); and not at all when it varies no decision (each configuration
    is then a condition of its own; a bare summary frame, which names no study, is one group).
    A condition under which one configuration alone was run sets nothing against anything and
    has no front; one under which several were run but one alone completed has that one. The
    report's text and the speed-against-disruption figure both read this.
    """
    decided, conditions = swept_decisions(results)
    if not decided and (conditions or results.experiment.get("configurations")):
        return {}  # (a bare summary frame names no study: its rows are set against each other)
    records = cast(list[dict[str, Any]], resolved(results)[0].to_dict("records"))
    short = {s.config for s in others_shortfalls(results)}  # another DaemonSet of the update did not always complete
    short |= on_no_node(results)  # nothing to roll out: 0 s and 0 node-hours are no rollout's cost
    rows = [dict(r, _position=i) for i, r in enumerate(records)]
    groups = by_condition(rows, conditions, lambda r, k: r.get(k)) if conditions else {"": rows}
    fronts = {}
    for where, everyone in groups.items():
        group = [r for r in everyone if completed_every_run(r) and r["config"] not in short]
        points = [(num(r.get("unavailable_node_seconds_mean")), num(r.get("duration_s_mean"))) for r in group]
        front = pareto_front(points, lambda i, j, g=group: hours_tied(g[i], g[j]))  # type: ignore[misc]
        if len(everyone) > 1 and front:
            fronts[where] = [int(group[i]["_position"]) for i in front]
    return fronts
