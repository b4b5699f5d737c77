"""The findings of a study, computed from its saved tables by small rules (never typed prose).

Each rule reads the summary frame (one row per configuration: ``rollsim.sweep.aggregate``)
and returns sentences: which configurations completed and why the others stopped, which is
fastest, what each condition the user does not choose (a fault, the cluster, the load) costs
in time and unavailable node-hours against its baseline, where the SLO breaks, and what
surge costs in extra pods and requests. ``readings`` strings them together for the report;
what the runs themselves counted (pulls, preemptions, evictions, refusals) is
``rollsim.present.run_costs``.
They re-run whenever the results change, so they cannot go stale as a typed reading did.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from functools import partial
from typing import Any, cast

import pandas as pd

from rollsim.observe.stopcause import CAUSE_TEXT
from rollsim.present.plotmath import display, label_of, sweep_axis, sweep_value
from rollsim.present.render import format_duration, format_number
from rollsim.present.summary_rows import (
    completed_counts,
    completed_every_run,
    completed_text,
    names,
    num,
    tie_words,
    tied,
)
from rollsim.present.surge_budget import SurgeBudget, surge_costs
from rollsim.spec.settings import BY_KEY
from rollsim.sweep.slo import by_condition, floor_nodes

__all__ = ["NESTED", "budget_rounding", "completion", "condition_costs", "condition_words", "fastest",
           "hours_against", "label_of", "readings", "slo_breaks", "surge_costs"]

_MAX_LINES = 8
# a finding that starts so belongs to the list under the finding before it (the causes under "stopped because of:")
NESTED = "- "
# what a condition left unset means, where "default" would not say it
_UNSET = {"cluster.add_nodes": "no nodes added", "cluster.remove_nodes": "no nodes removed",
          "cluster.not_ready_nodes": "no node NotReady", "also": "no other DaemonSet updated at the same time",
          "daemonset.host_ports": "no hostPort"}


def condition_words(key: str, value: Any) -> str:
    """A condition's value as a finding names it: ``100 nodes added from 1m00s to 3m00s``; unset, what that
    means (``no nodes added``) or the setting's default (``healthy new pods``), not ``default``.
    """
    if display(value) != "default" and value not in ((), []):
        return label_of(key, value)
    if key in _UNSET:
        return _UNSET[key]
    default = getattr(BY_KEY.get(key), "default", None)
    plain = isinstance(default, (int, float, str)) and default != ""
    return label_of(key, default if plain else value)


def hours_against(seconds: float, base: float) -> str:
    """``13.19 against 13.25 unavailable node-hours (−0.06)``: two amounts of node-hours and
    their difference, taken from the numbers as written (never ``13.2 against 13.2 (−0.1)``),
    with a second decimal when one alone would hide a difference.
    """
    a, b = seconds / 3600, base / 3600
    decimals = 1 if round(a, 1) != round(b, 1) or round(a, 2) == round(b, 2) else 2
    a, b = round(a, decimals), round(b, decimals)
    diff = round(a - b, decimals)
    sign = "±" if diff == 0 else ("+" if diff > 0 else "−")
    return (f"{format_number(a, decimals)} against {format_number(b, decimals)} unavailable node-hours "
            f"({sign}{format_number(abs(diff), decimals)})")


def completion(summary: pd.DataFrame, whose: str = "", idle_left_out: bool = False) -> list[str]:
    """Which configurations completed in every replication, and why the others stopped, grouped
    by cause (the report's "Why runs stopped" table has each configuration's own counts; with
    several causes, one line each, starting ``NESTED``: a list under the first line);
    ``whose`` follows "in every replication" when the count is not of every DaemonSet updated;
    ``idle_left_out``: ``summary`` leaves out configurations whose DaemonSet ran on no node, so
    the count says it is of those that ran somewhere (audit 41: "All 4 configurations" of 8).
    """
    rows = cast(list[dict[str, Any]], summary.to_dict("records"))
    if not rows:
        return []
    partial = [r for r in rows if not completed_every_run(r)]
    every = {1: "The configuration", 2: "Both configurations"}.get(len(rows), f"All {len(rows)} configurations")
    if idle_left_out:
        every += " that ran on some node"
    if not partial:
        return [f"{every} completed in every replication{whose}."]
    none = {1: "The configuration did not complete", 2: "Neither configuration completed"}.get(
        len(rows), f"None of the {len(rows)} configurations completed")
    head = (f"{len(rows) - len(partial)} of {len(rows)} configurations"
            f"{' that ran on some node' if idle_left_out else ''} completed in every replication"
            if len(partial) < len(rows) else f"{none} in every replication") + whose
    by_cause: dict[str, list[str]] = {}
    for r in partial:
        cause = r.get("stop_cause")
        cause = cause if isinstance(cause, str) and cause else "unknown"
        by_cause.setdefault(cause, []).append(f"{r['label']} ({completed_text(r)})")
    parts = []
    for cause, labels in by_cause.items():
        shown = "; ".join(labels[:_MAX_LINES]) + ("; …" if len(labels) > _MAX_LINES else "")
        parts.append(f"{CAUSE_TEXT.get(cause, cause)}: {shown}")
    others = ("It" if len(rows) == 1 else "They") if len(partial) == len(rows) else \
        ("The other" if len(partial) == 1 else "The others")
    if len(parts) == 1:
        return [f"{head}. {others} stopped because of {parts[0]}."]
    return [f"{head}. {others} stopped because of:"] + [NESTED + p[:1].upper() + p[1:] + "." for p in parts]


def fastest(summary: pd.DataFrame, decided: bool = True, conditions: Sequence[str] = (), whose: str = "",
            idle: Collection[Any] = ()) -> list[str]:
    """The fastest and the slowest configuration among those that always completed, within each
    condition (``conditions``: swept keys the user does not choose; a 61-node cluster is never
    ranked against a 108-node one); configurations of exactly the same mean are named together
    as tied. When the study varies no decision (``decided`` false) there is nothing to pick:
    only the range. ``whose`` follows the lead when the durations are of one DaemonSet of several.
    ``idle``: the configurations whose DaemonSet ran on no node (``on_no_node``), left out: their
    rollouts had nothing to do, so they would be the fastest.
    """
    rows: list[dict[str, Any]] = []
    unranked: list[dict[str, Any]] = []  # named beside the ranking, which leaves them out (audit 41)
    for r in cast(list[dict[str, Any]], summary.to_dict("records")):
        if r.get("config") not in idle:
            timed = completed_every_run(r) and math.isfinite(num(r.get("duration_s_mean")))
            (rows if timed else unranked).append(r)
    if not rows:
        return ["No configuration completed in every replication, so none has a duration to compare."]
    rows.sort(key=lambda r: (num(r["duration_s_mean"]), str(r["label"])))
    best, worst = rows[0], rows[-1]
    ranked = len(summary) - (int(summary["config"].isin(list(idle)).sum()) if "config" in summary else 0)
    if not decided or ranked == 1:  # (one configuration is neither fastest nor slowest)
        if len(rows) == 1:
            return [f"Mean duration{whose} {format_duration(num(best['duration_s_mean']))} ({best['label']})."]
        return [f"Mean durations{whose} range from {format_duration(num(best['duration_s_mean']))} "
                f"({best['label']}) to {format_duration(num(worst['duration_s_mean']))} ({worst['label']})."]
    conditions = [k for k in conditions if k in summary.columns]
    if not conditions:
        return [_fastest_line(rows, f"Fastest{whose}", lambda r: str(r["label"]), unranked)]
    out = []
    in_order = sorted(rows, key=lambda r: num(r.get("config")))  # the conditions in the study's order
    for where, group in by_condition(in_order, conditions, lambda r, k: r.get(k)).items():
        if len(group) > 1:  # one that alone completed has nothing to be ranked against
            group.sort(key=lambda r: (num(r["duration_s_mean"]), str(r["label"])))
            under = [r for r in unranked if _key(r, conditions) == _key(group[0], conditions)]
            out.append(_fastest_line(group, f"With {where}, fastest{whose}", partial(_within, conditions=conditions,
                                                                                      where=where), under))
    if len(out) > _MAX_LINES:
        out = out[:_MAX_LINES] + [f"… and {len(out) - _MAX_LINES} more conditions (see the results table)."]
    return out


def _within(row: Mapping[str, Any], conditions: Sequence[str], where: str) -> str:
    """A configuration's label under its condition's heading ``where``: without the parts that
    name the condition (``100 nodes``, or the shared label ``where`` itself).
    """
    label = str(row["label"])
    if label.startswith(where + ", "):
        return label[len(where) + 2:]
    return _without(label, conditions, row) or label


def _fastest_line(rows: Sequence[Mapping[str, Any]], lead: str, name: Callable[[Mapping[str, Any]], str],
                  unranked: Sequence[Mapping[str, Any]] = ()) -> str:
    """``Fastest: a, 5m00s on average; slowest: b, 10m00s (2.0× as long).`` of ``rows``, fastest
    first; ``a and c (tied: identical results)`` where several share the fastest (or slowest) mean;
    ``unranked``, the configurations beside them that did not complete every replication, named
    after it: "slowest" is of those that did (audit 41: mu1, 5h45m in the runs that completed,
    was left out of "slowest: mu5pct, 24m48s" without a word).
    """
    best, worst = rows[0], rows[-1]
    top = tied(rows, best)
    aside = (f" Only the configurations that completed every replication are ranked, not "
             f"{names([name(r) for r in unranked])}.") if unranked else ""
    if len(top) == len(rows) > 1:
        return (f"{lead}: {names([name(r) for r in top])}, tied ({tie_words(top)}), "
                f"{format_duration(num(best['duration_s_mean']))} on average.{aside}")
    line = f"{lead}: {_tied_names(top, name)}, {format_duration(num(best['duration_s_mean']))} on average"
    if len(rows) > 1:
        ratio = num(worst["duration_s_mean"]) / max(num(best["duration_s_mean"]), 1e-9)
        line += (f"; slowest: {_tied_names(tied(rows, worst), name)}, "
                 f"{format_duration(num(worst['duration_s_mean']))} ({ratio:.1f}× as long)")
    return line + "." + aside


def _tied_names(rows: Sequence[Mapping[str, Any]], name: Callable[[Mapping[str, Any]], str]) -> str:
    """One configuration's name, or several's with ``(tied: identical results)``."""
    shown = names([name(r) for r in rows])
    return shown if len(rows) == 1 else f"{shown} (tied: {tie_words(rows)})"


def _key(row: Mapping[str, Any], keys: Sequence[str]) -> tuple[str, ...]:
    return tuple(display(row.get(k)) for k in keys)


def condition_costs(summary: pd.DataFrame, conditions: Sequence[str], decisions: Sequence[str], whose: str = "",
                    desired: Mapping[Any, tuple[int, int]] | None = None) -> list[str]:
    """What each condition (a swept key the user does not choose) costs, against the baseline
    with the same decisions and the conditions of the first configuration but one (``_baseline``:
    one condition changed at a time, never two at once): the difference in mean duration and in
    mean unavailable node-hours; ``whose`` (`` (the study's own DaemonSet)``) joins the
    parenthesis after the pair when they are of one DaemonSet of several. ``desired``: each
    configuration's fewest and most nodes that ran the DaemonSet (``study.desired_counts``);
    where the two configurations' differ, the node-hours say of how many nodes each is (audit 37:
    "10 nodes NotReady against no node NotReady: … 3.6 against 3.7 unavailable node-hours" read
    as NotReady nodes sparing some, where they are not desired and so not counted).
    """
    conditions = [k for k in conditions if k in summary.columns]
    decisions = [k for k in decisions if k in summary.columns]
    rows = cast(list[dict[str, Any]], summary.to_dict("records"))
    if not conditions or not rows:
        return []
    base_cond = _key(rows[0], conditions)
    out = []
    for r in rows:
        base = _baseline(r, rows, conditions, decisions, base_cond)
        if base is None:
            continue
        what = ", ".join(condition_words(k, r.get(k)) for k in conditions if display(r.get(k)) != display(base.get(k)))
        against = ", ".join(condition_words(k, base.get(k)) for k in conditions
                            if display(r.get(k)) != display(base.get(k)))
        # the conditions the line names go unsaid in its parenthesis; the others are said, the first
        # configuration's values too (audit 41: "(mu5pct)" beside "(mu5pct, registry bandwidth 100MB/s)")
        unsaid = [k for k in conditions if display(r.get(k)) != display(base.get(k))]
        same = _shared(r, base, unsaid)
        if len(what) > 40 or len(against) > 40:  # a list or a long spec: the configurations' names say it
            what, against, same = str(r["label"]), str(base["label"]), ""
        same = "; ".join(p for p in (same, whose.strip(" ()")) if p)
        same = f" ({same})" if same else ""
        if not completed_every_run(r) and not completed_every_run(base):
            continue  # nothing completes either way: the completion finding says so
        if not completed_every_run(r) or not completed_every_run(base):
            out.append(f"{what} against {against}{same}: completed {completed_text(r)} against {completed_text(base)}.")
            continue
        d, b = num(r.get("duration_s_mean")), num(base.get("duration_s_mean"))
        h, bh = num(r.get("unavailable_node_seconds_mean")), num(base.get("unavailable_node_seconds_mean"))
        sign = "+" if d >= b else "−"
        pct = f", {sign}{abs(d / b - 1):.0%}" if b > 0 else ""
        out.append(f"{what} against {against}{same}: {format_duration(d)} against {format_duration(b)} "
                   f"({sign}{format_duration(abs(d - b))}{pct}) and {hours_against(h, bh)}"
                   f"{_of_nodes((desired or {}).get(r.get('config')), (desired or {}).get(base.get('config')))}.")
    if len(out) > _MAX_LINES:
        out = out[:_MAX_LINES] + [f"… and {len(out) - _MAX_LINES} more (see the results table)."]
    return out


def _of_nodes(mine: tuple[int, int] | None, base: tuple[int, int] | None) -> str:
    """``, of 278 nodes against 288 (only the nodes that run the DaemonSet count)`` where two
    configurations' desired nodes differ (``(fewest, most)`` of their runs); else nothing.
    """
    if mine is None or base is None or mine == base:
        return ""

    def nodes(span: tuple[int, int]) -> str:
        return format_number(span[0]) if span[0] == span[1] else f"{format_number(span[0])}–{format_number(span[1])}"

    return f", of {nodes(mine)} nodes against {nodes(base)} (only the nodes that run the DaemonSet count)"


def _baseline(row: Mapping[str, Any], rows: Sequence[Mapping[str, Any]], conditions: Sequence[str],
              decisions: Sequence[str], base: tuple[str, ...]) -> Mapping[str, Any] | None:
    """What ``row`` is set against: the configuration of the same decisions whose conditions are
    ``row``'s but for the first that differs from ``base`` (the first configuration's), which is
    ``base``'s; None for a row under ``base`` itself or without such a configuration.
    """
    mine, decided = _key(row, conditions), _key(row, decisions)
    for i, (value, first) in enumerate(zip(mine, base)):
        if value != first:
            want = (*mine[:i], first, *mine[i + 1:])
            return next((r for r in rows if _key(r, conditions) == want and _key(r, decisions) == decided), None)
    return None


def _shared(row: Mapping[str, Any], base: Mapping[str, Any], conditions: Sequence[str]) -> str:
    """What a condition's cost is of, as the labels say it: the parts of ``row``'s label that
    ``base``'s has too (``maxSurge 10%``, not the ``hostPort 9100`` that is the condition), but
    those of the ``conditions`` given; when they share none, ``row``'s label without them
    (``scale-out``: a variant named for its condition).
    """
    theirs = set(str(base["label"]).split(", "))
    shared = [p for p in _without(str(row["label"]), conditions, row).split(", ") if p in theirs]
    return ", ".join(shared) if shared else _without(str(row["label"]), conditions, row)


def _without(label: str, conditions: Sequence[str], row: Mapping[str, Any]) -> str:
    """A configuration's label without the parts that name its conditions (``100 nodes``)."""
    drop = {label_of(k, row.get(k)) for k in conditions}
    return ", ".join(p for p in label.split(", ") if p not in drop)


def _some(labels: Sequence[str]) -> str:
    """``a; b; c`` of at most ``_MAX_LINES`` labels, ``… and 3 more`` past them."""
    shown = "; ".join(labels[:_MAX_LINES])
    return shown + (f"; and {len(labels) - _MAX_LINES} more" if len(labels) > _MAX_LINES else "")


def _stopped_early(row: Mapping[Any, Any]) -> bool:
    """Whether some of a configuration's runs did not complete."""
    done, runs = completed_counts(row)
    return done < runs


def slo_breaks(summary: pd.DataFrame, constraints: Sequence[Mapping[str, Any]], swept: Sequence[str],
               whose: str = "") -> list[str]:
    """Which configurations meet the SLO, and along a numeric swept key, the value where it
    breaks; ``whose`` follows "meets the SLO" when it is judged on one DaemonSet of several.
    """
    if not constraints or summary.empty:
        return []
    ok = summary["slo_ok"].map(lambda v: str(v).strip().lower() in ("true", "1")) if "slo_ok" in summary else None
    if ok is None:
        return []
    met = [str(label) for label, o in zip(summary["label"], ok) if o]
    # an SLO read over runs that stopped early holds only so far
    partial = [str(row["label"]) for row, o in zip(summary.to_dict("records"), ok) if o and _stopped_early(row)]
    so_far = (f"{_some(partial)} {'meets' if len(partial) == 1 else 'meet'} it only over the part of the rollout "
              "that ran: not every run completed")
    out = []
    if len(summary) == 1:
        out.append(f"The configuration {'meets' if met else 'does not meet'} the SLO{whose}"
                   + (", but only over the part of the rollout that ran: not every run completed." if partial else "."))
    elif len(met) == len(summary):
        out.append(f"Every configuration meets the SLO{whose}" + (f"; but {so_far}." if partial else "."))
    elif not met:
        out.append(f"No configuration meets the SLO{whose}.")
    else:
        out.append(f"The SLO is met by {len(met)} of {len(summary)}: {_some(met)}.")
        if partial:
            out.append(so_far + ".")  # (a label keeps its own spelling)
    key, kind = sweep_axis(summary, [k for k in swept if k in summary.columns])
    if key is None or kind == "cat":
        return out
    others = [k for k in swept if k != key and k in summary.columns]
    frame = summary.assign(_ok=ok.to_numpy(), _x=[sweep_value(v)[1] for v in summary[key]])  # type: ignore[misc]  # stubs reject None items
    groups = frame.groupby([frame[k].map(display) for k in others], sort=False) if others else [((), frame)]
    for values, g in groups:
        g = g.sort_values("_x", kind="stable")
        flags = list(g["_ok"])
        if all(flags) or not any(flags):
            continue
        where = ", ".join(label_of(k, v) for k, v in zip(others, values if isinstance(values, tuple) else (values,)))
        first_bad = next(i for i, f in enumerate(flags) if not f)
        row = g.iloc[first_bad]
        if first_bad > 0 and all(flags[:first_bad]) and not any(flags[first_bad:]):
            failed = str(row.get("slo_failed") or "").replace(";", ", ")
            out.append(f"{('With ' + where + ', the') if where else 'The'} SLO holds up to "
                       f"{label_of(key, g.iloc[first_bad - 1][key])} and breaks from {label_of(key, row[key])}"
                       + (f" ({failed})" if failed else "") + ".")
    return out


def budget_rounding(summary: pd.DataFrame, constraints: Sequence[Mapping[str, Any]],
                    desired: Mapping[Any, tuple[int, int]]) -> list[str]:
    """Configurations that break an availability floor only because a percentage maxUnavailable
    rounds up (``scaled_value``, as ``UnavailableCount`` does): 5% of 1,003 nodes is 51 where the
    95% floor lets 50 be down (audit 18: the report said the 5% broke the SLO, not why). Each line
    names the largest whole maxUnavailable the floor allows, and whether the study ran it.
    """
    from rollsim.spec.budget import scaled_value

    limits = [float(c["limit"]) for c in constraints if c.get("metric") == "min_available_fraction"
              and c.get("bound") == "min" and c.get("limit") is not None]
    if not limits or "strategy.max_unavailable" not in summary or "slo_failed" not in summary:
        return []
    limit, out = max(limits), []
    rows = summary.to_dict("records")
    for row in rows:
        value, failed = row.get("strategy.max_unavailable"), str(row.get("slo_failed") or "")
        n = desired.get(row.get("config"), (0, -1))
        if "min_available_fraction" not in failed or not (isinstance(value, str) and value.endswith("%")) \
                or n[0] != n[1] or n[0] < 1:
            continue
        total, pct = n[0], float(value[:-1])
        allowed = total - floor_nodes(limit, total)  # nodes the floor lets be down at once
        budget = scaled_value(value, total)
        if allowed >= 1 and budget > allowed >= math.floor(pct * total / 100):
            out.append(f"{row['label']}: maxUnavailable {value} of {total:,} nodes is {budget} (the controller "
                       f"rounds a percentage up), more than the {allowed} the {100 * limit:g}% floor lets be down at "
                       f"once ({total - allowed:,} of {total:,} must stay available): the budget alone breaks the "
                       f"floor; maxUnavailable {allowed}, a whole number, is the largest that keeps it "
                       f"({_whole_budget_run(rows, allowed)}).")
    return out


def _whole_budget_run(rows: Sequence[Mapping[Any, Any]], allowed: int) -> str:
    """Where the study ran maxUnavailable ``allowed`` as a whole number: ``simulated: “maxUnavailable
    50”`` (the configurations' labels), else ``not simulated here``.
    """
    labels = [str(r["label"]) for r in rows if str(r.get("strategy.max_unavailable")) == str(allowed)]
    return f"simulated: {', '.join(f'“{label}”' for label in labels)}" if labels else "not simulated here"


def readings(summary: pd.DataFrame, constraints: Sequence[Mapping[str, Any]], swept: Sequence[str],
             decisions: Sequence[str], scenarios: Mapping[int, Mapping[str, Any]], own_only: bool = False,
             budgets: Mapping[int, SurgeBudget] | None = None, idle: Collection[Any] = (),
             desired: Mapping[Any, tuple[int, int]] | None = None) -> list[str]:
    """Every finding of a study, in the reader's order; ``own_only``: another DaemonSet updated
    with the study's did not always complete, so completion and the SLO say whose they are;
    ``budgets``: the surge budgets over the runs (``surge_budgets``); ``idle``: the configurations
    whose DaemonSet ran on no node (``on_no_node``), left out of every finding (they completed at
    once, losing nothing: the fastest, the baseline a condition costs against, within the SLO),
    unless every configuration is such; ``desired``: each configuration's desired nodes
    (``study.desired_counts``), which a condition's node-hours name where they differ.
    """
    left_out = False
    if idle and "config" in summary and not summary["config"].isin(list(idle)).all():
        left_out = bool(summary["config"].isin(list(idle)).any())
        summary = summary[~summary["config"].isin(list(idle))]
    conditions = [k for k in swept if k not in decisions]
    decided = len(conditions) < len(swept) or not swept
    whose = " (the study's own DaemonSet)" if own_only else ""
    return [*completion(summary, whose, left_out), *fastest(summary, decided, conditions, whose, idle),
            *condition_costs(summary, conditions, decisions, whose, desired),
            *slo_breaks(summary, constraints, swept, whose),
            *surge_costs(summary, scenarios, budgets)]
