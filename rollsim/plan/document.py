"""What a plan found, written down: plan.json's document and candidates.csv's rows (plain data).

``plan_document`` is the question, the answer and how it was found; ``candidate_rows`` every
setting simulated, its statistics (over its own replications, and its mean and median over
the seeds every setting ran, which compare from row to row) and why it lost. The answer's
sentences compare means over seeds both settings ran only (``beside_answer``).
"""

from __future__ import annotations

import importlib.metadata
import math
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd

from rollsim.io.live import DAEMONSET_DOCUMENT, NODES_DOCUMENT
from rollsim.plan.answer import Found, pace_text, passed_over, ruled_out, stalls_too_often, unsettled
from rollsim.plan.candidates import (
    SURGE,
    UNAVAILABLE,
    Setting,
    patch_command,
    patch_value,
    written_budget,
)
from rollsim.plan.constraints import Constraints
from rollsim.plan.evidence import Evidence
from rollsim.plan.files import STDIN_INPUTS, TIMINGS_INPUT
from rollsim.plan.notes import answer_note
from rollsim.plan.relax import Relaxation, bound_words
from rollsim.plan.search import Capacity, Search
from rollsim.present.render import count_of, format_bound, format_duration, format_share
from rollsim.spec.churn import pressure_held
from rollsim.spec.describe import describe_scenario
from rollsim.spec.eligibility import eligibility_report, for_strategy
from rollsim.spec.model_version import MODEL_VERSION
from rollsim.spec.node import gives_allocatable
from rollsim.spec.priority import is_critical
from rollsim.spec.scenario import STALL_AFTER_S, Scenario
from rollsim.spec.startstate import held_for_good
from rollsim.sweep.experiment import replication_seed

Saved = tuple[Path, tuple[str, ...]]  # the plan folder's inputs/ and the names of the files it holds
_SAVED_FLAG = {DAEMONSET_DOCUMENT: "--manifest", NODES_DOCUMENT: "--nodes-file", TIMINGS_INPUT: "--timings",
               STDIN_INPUTS["manifest"]: "--manifest", STDIN_INPUTS["nodes_file"]: "--nodes-file",
               STDIN_INPUTS["timings_file"]: "--timings"}

__all__ = ["beside_answer", "candidate_rows", "plan_document"]


def _finite(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def candidate_rows(evidence: list[Evidence], chosen: Evidence | None, search: Search, result: Found, desired: int,
                   seed: int, cut: str, current: Evidence | None = None,
                   current_label: str | None = None) -> pd.DataFrame:
    """candidates.csv: every setting simulated, its statistics and why it lost (``cut``: where
    unfinished runs ended, ``rollsim.present.plan_rows.cut_phrase``; ``result``: what the search
    found, ``answer.found``, whose tops and knees the rows' roles name; ``current``: the DaemonSet's
    own strategy, run as a baseline with the full replications, role ``current``, named
    ``current_label``: plan.json's ``daemonset.current_setting``). Replications
    differ from setting to setting (more where a verdict was unclear), so each row also has its mean
    and median over the first ``common_replications`` seeds, the fewest any confirmed setting ran
    (any screened one, for the screened): those compare from row to row.
    """
    if current is not None:  # in place of the search's runs of it, when it only screened it
        evidence = [e for e in evidence if e.setting != current.setting] + [current]
    rows = []
    full = search.s.replications
    # the seeds every confirmed setting ran, and every screened one: their means and medians compare
    common = {True: min((e.replications for e in evidence if e.replications >= full), default=0),
              False: min((e.replications for e in evidence if e.replications < full), default=0)}
    best, risks = result.fastest, search.stall_risks()
    for e in evidence:
        s = e.setting
        role = []
        if e.replications >= full and result.tops.get(s.family) == s.count:
            role.append("top")
        if e.replications >= full and result.knees.get(s.family) == s.count:
            role.append("knee")
        if current is not None and s == current.setting:
            role.append("current")
        pods, cpu, mem = search.capacity.of(s)
        verdict = (("" if e.replications >= full else f"screened ({e.replications} replications): ")
                   + ruled_out(e, chosen, search.c, search.capacity, search.window, search.rule, best, risks,
                               search.s.max_replications, cut))
        if "current" in role and search.window.unclear(e):  # the search would have added runs: say so
            verdict += _on_few_runs(e)
        rows.append({
            "setting": current_label if "current" in role and current_label else s.label(desired),
            "kind": s.kind, "count": s.count,
            # as the patch writes it (patch_value: a percent on its rounding edge is the count)
            "value": str(patch_value(s, desired, surge_limit(search.c, search.capacity, desired))),
            "min_ready_seconds": s.min_ready_seconds,
            "extra_pods": pods, "extra_cpu_millis": cpu, "extra_memory_bytes": mem,
            **e.row(search.window, seed), **e.row_over(common[e.replications >= full]), "role": "+".join(role),
            # its family stalled and its own finished runs are too few (answer.stalls_too_often): figures cross it
            "ruled_out_for_stalls": stalls_too_often(e, search.window, risks),
            "verdict": verdict,
        })
    frame = pd.DataFrame(rows)
    return frame.sort_values(["min_ready_seconds", "kind", "count"], kind="stable").reset_index(drop=True)


def _on_few_runs(e: Evidence) -> str:
    """The baseline's caveat where its window verdict is unclear (``WindowRule.unclear``): it ran the
    full replications once, after the search, where the search adds runs to a setting so unclear
    (up to 40), so its bound over so few runs settles nothing; its runs' range says what they took.
    """
    durations = e.durations
    return (f" (on {e.replications} runs only, which took {format_duration(float(durations.min()))} to "
            f"{format_duration(float(durations.max()))}: not settled, where the search adds runs to such a "
            "setting and the baseline runs once)")


def _pace(search: Search, chosen: Evidence, best: Evidence | None, desired: int) -> dict[str, Any]:
    """How the answer compares with ``best``, the fastest setting that fits (plan.json ``answer.pace``).
    The baseline's runs, made after the choice, are rollouts of a family too: their stalls can leave no
    setting that fits by every run (``answer.found``); the answer then stands as chosen, the fastest.
    """
    best = chosen if best is None else best
    p, rule = search.rule.compare(chosen, best), search.rule
    if best.setting == chosen.setting:
        text = f"the fastest setting that fits (mean {format_duration(chosen.mean)}, {chosen.replications} seeds)"
    else:
        text = (f"as fast as the fastest, {best.setting.label(desired)}: mean {format_duration(p.mean)} against "
                f"{format_duration(p.reference_mean)} over the same {p.replications} seeds ({pace_text(p, rule)}, "
                f"within the {100 * rule.tolerance:g}% tolerance)")
    return {"fastest": best.setting.label(desired), "replications": p.replications, "slowdown": _finite(p.slowdown),
            "upper_bound": _finite(p.high), "confidence": rule.confidence, "level": rule.level, "text": text}


def least_text(least: Evidence, chosen: Evidence, search: Search, desired: int) -> str:
    """``maxSurge 5% (= 5): window bound 28m16s (the longest of its 59 runs) within the 30m00s window,
    mean 16m00s against the answer's 8m55s over the same 59 seeds (1.8 times as long), 5 extra pods at
    once against 62``: what the least that fits (``rollsim.plan.least``) gives up and saves.
    """
    n = min(least.replications, chosen.replications)
    mine, theirs = least.mean_over(n), chosen.mean_over(n)
    window = search.window
    if least.setting.kind == SURGE:
        saves = f"{count_of(least.setting.count, 'extra pod')} at once against {chosen.setting.count:,}"
    else:
        apart = ((least.worst_availability + chosen.worst_availability) / 2,)
        saves = (f"worst availability {format_share(least.worst_availability, apart)} against "
                 f"{format_share(chosen.worst_availability, apart)}")
    return (f"{least.setting.label(desired)}: window bound {format_bound(window.bound(least))} "
            f"({bound_words(window, least)}) within "
            f"the {format_duration(search.c.window_s)} window, mean {format_duration(mine)} against the answer's "
            f"{format_duration(theirs)} over the same {n} seeds ({mine / theirs:.1f} times as long), {saves}")


def _least(search: Search, chosen: Evidence, least: Evidence | None, desired: int) -> dict[str, Any] | None:
    """The smallest count of the answer's family that fits too (plan.json ``answer.least``), or None."""
    if least is None:
        return None
    return {**_setting_fields(search, least, desired), "text": least_text(least, chosen, search, desired)}


def _setting_fields(search: Search, e: Evidence, desired: int) -> dict[str, Any]:
    """A setting as plan.json gives it: its name, kind, count and the value a patch writes, the extra
    capacity it asks for, and its statistics (``Evidence.row``), with a window's verdict.
    """
    s = e.setting
    pods, cpu, mem = search.capacity.of(s)
    return {"setting": s.label(desired), "kind": s.kind, "count": s.count,
            "value": patch_value(s, desired, surge_limit(search.c, search.capacity, desired)),
            "extra_pods": pods, "extra_cpu_millis": cpu, "extra_memory_bytes": mem,
            **{k: _finite(v) for k, v in e.row(search.window, search.ev.seed).items()}}


def _stall_risk(search: Search, chosen: Evidence, desired: int) -> dict[str, Any]:
    """How often the answer's family stalled, pooled over its settings (plan.json ``answer.stall_risk``)."""
    risks = search.stall_risks()
    risk = risks[chosen.setting.family]
    text = risk.describe()
    if risk.judged:  # it stalled, or can: the answer finished the runs that show its stalls rare enough
        shown = (f"none of the answer's own {chosen.replications} runs did, enough to show it stalls in at most "
                 f"{format_share(1 - search.c.window_probability)} of rollouts")
        can = "" if risk.stalled else "maxSurge with minReadySeconds can stall (a dropped re-check, the note); "
        misses = ("misses the window (its window bound counts them)" if search.c.window_s is not None else
                  "never finishes")
        text += f"; {can}a rollout that stalls {misses}: {shown}"
    over = [{"setting": e.setting.label(desired), "text": risks[e.setting.family].describe()}
            for e in passed_over(search, chosen)]
    for o in over:
        text += f"; chosen over {o['setting']}, as fast, whose family stalled: {o['text']}"
    return {**{k: _finite(v) for k, v in risk.as_dict().items()}, "passed_over": over, "text": text}


def _unsettled(search: Search, chosen: Evidence, desired: int) -> list[dict[str, Any]]:
    """Settings preferred to the answer had they been shown as fast (plan.json ``answer.unsettled``)."""
    out = []
    for e, p in unsettled(search, chosen):
        most = search.s.max_replications
        why = (f"at --max-replications {most}" if p.replications >= most else
               f"and {most} seeds would not show it at the spread seen")
        text = (f"{e.setting.label(desired)}: mean {format_duration(p.mean)} against the fastest's "
                f"{format_duration(p.reference_mean)} over the same {p.replications} seeds "
                f"({pace_text(p, search.rule)}), "
                f"not shown within the {100 * search.rule.tolerance:g}% tolerance {why}: counted as slower; "
                + beside_answer(e, p.replications, chosen))
        out.append({"setting": e.setting.label(desired), "replications": p.replications,
                    "slowdown": _finite(p.slowdown), "upper_bound": _finite(p.high),
                    "pace": pace_text(p, search.rule), "text": text})
    return out


def beside_answer(e: Evidence, replications: int, chosen: Evidence) -> str:
    """How an unsettled setting ``e``, whose mean over its first ``replications`` seeds was set
    against the fastest's, stands beside the answer, and what decided between them. Means are
    compared over seeds both ran only (replication r of every setting has the r-th common seed):
    when either ran more, the sentence says the two means given do not compare and sets them
    side by side over the seeds both ran: ``its mean is over 20 seeds, the recommended's 9m02s
    over 40, so the two do not compare; over these 20 the recommended's is 8m47s; ...`` or
    ``its mean is over 20 seeds, the recommended's 4m34s over 10, so the two do not compare; over
    the 10 both ran this one's is 4m31s and the recommended's 4m34s (slower than this one's); ...``.
    """
    both = min(replications, chosen.replications)
    theirs, answer = e.mean_over(both), chosen.mean_over(both)
    if replications == chosen.replications:
        text = f"over the same {replications} seeds the recommended's mean is {format_duration(answer)}"
    else:
        text = (f"its mean is over {replications} seeds, the recommended's "
                f"{format_duration(chosen.mean)} over {chosen.replications}, so the two do not compare; ")
        text += (f"over these {both} the recommended's is {format_duration(answer)}" if both == replications else
                 f"over the {both} both ran this one's is {format_duration(theirs)} and the recommended's "
                 f"{format_duration(answer)}")
    slower = answer > theirs and format_duration(answer) != format_duration(theirs)  # never "4m34s (slower than 4m34s)"
    return (text + (" (slower than this one's)" if slower else "")
            + "; the recommended was shown within the tolerance of the fastest and this one was not, and only a "
              "setting shown so is chosen")


def disk_pressure_text(scenario: Scenario) -> str | None:
    """What the nodes under disk pressure do to every setting (None without any): listed with the
    DiskPressure condition, or coming under it during the run (``--disk-pressure-nodes``).
    """
    listed = sum(n.rejects_pods for n in scenario.nodes)
    later = sum(c.count for c in scenario.node_changes if c.kind == "disk-pressure")
    if not (listed or later):
        return None
    conditions = scenario.pressure_conditions(listed_only=True)
    parts = (f"{count_of(listed, 'node')} listed with {conditions}" if listed else "",
             f"{count_of(later, 'node')} under {'it' if conditions in ('', 'DiskPressure') else 'DiskPressure'} "
             "during the run" if later else "")
    nodes = " and ".join(part for part in parts if part)
    if is_critical(scenario.daemonset.priority):
        return f"{nodes}: the DaemonSet's pods are critical (priority at least 2000000000), so none is rejected"
    lasts, transition = scenario.disk_pressure_for_s, scenario.eviction_pressure_transition_period_s
    held = "to the end of the run" if lasts is None else f"for {pressure_held(lasts, transition)}"
    way_out = "--disk-pressure-for S if the pressure will clear; " if scenario.disk_pressure_for_s is None else ""
    return (f"{nodes}: their kubelets reject every new pod of the DaemonSet (Evicted), {held}, whatever the "
            f"setting; each such node holds a unit of the budget meanwhile ({way_out}a critical priority class, "
            "system-node-critical, is neither evicted nor rejected)")


def other_pods_text(scenario: Scenario) -> str:
    """What the plan assumed the nodes hold beside the DaemonSet, which decides whether a surge pod fits."""
    if not gives_allocatable(scenario.nodes):
        return "not checked: nodes of a count have no allocatable CPU or memory, so every surge pod fits"
    u = scenario.node_utilization
    if u == 0:
        return ("none assumed (--node-utilization 0): a surge pod fits wherever a node's allocatable holds the "
                "DaemonSet's two pods; a node list gives allocatable, not what the other pods request: give their "
                "share with --node-utilization")
    return (f"{u:.0%} of each node's allocatable CPU and memory (--node-utilization), at priority "
            f"{scenario.other_pods_priority:,} (--other-pods-priority)")


def _inputs_phrase(source: Mapping[str, Any]) -> str:
    """The plan's inputs as ``simulate`` can be given them again: ``--calibrate`` is the plan's alone
    (its fitted timings are in plan.json), standard input must be given again, and a cluster is read
    as it is then (audit 13).
    """
    said = []
    if source.get("calibrated_timings"):
        said.append("its calibrated timings as a timing profile (--timings FILE, FILE holding plan.json's "
                    "source.calibrated_timings under timings:), where it gave --calibrate")
    if "-" in source.values():
        said.append("the same standard input")
    if source.get("context") or source.get("kubeconfig"):
        said.append("the cluster, read again as it is then")
    return "the plan's inputs" + (f" ({'; '.join(said)})" if said else "")


def reproduce_text(setting: Setting, seeds: list[int], rolling: bool = True,
                   source: Mapping[str, Any] | None = None, saved: Saved | None = None,
                   kubernetes_version: str | None = None, stall_after: float = STALL_AFTER_S) -> str:
    """How to see one of the answer's runs again: ``simulate`` with the plan's inputs, the setting and
    the run's seed (replication r runs ``replication_seed(search seed, r)``, not the search seed itself).
    For a DaemonSet that is not ``rolling`` (OnDelete), ``--strategy RollingUpdate`` too, which the
    patch sets and the plan simulated: without it ``simulate`` ignores the budgets (audit 13). The
    inputs the plan folder ``saved`` (its ``inputs/`` and their names) from a cluster stand for the
    cluster, with its ``kubernetes_version`` (a file does not carry it), and what it kept of standard
    input stands for the pipe. A ``stall_after`` the plan set (``run.waiting_a_window``) is given too:
    without it a run that waits longer for a straggler stalls where the plan's finished (audit 27).
    """
    flags = (f"--max-unavailable {setting.count} --max-surge 0" if setting.kind == UNAVAILABLE
             else f"--max-surge {setting.count} --max-unavailable 0")
    if not rolling:
        flags = f"--strategy RollingUpdate {flags}"
    if stall_after != STALL_AFTER_S:
        flags = f"{flags} --stall-after {stall_after:g}"
    runs = (f"{flags} --min-ready-seconds {setting.min_ready_seconds:g} --seed {seeds[0]} repeats its first run "
            f"(the {len(seeds)} runs' seeds: plan.json answer.seeds")
    source = source or {}
    version = f" --kubernetes-version {kubernetes_version}" if kubernetes_version else ""
    if saved is None:
        if "flags" in source and _inputs_phrase(source) == "the plan's inputs":  # files and flags alone: the command
            given = f" {shlex.join(source['flags'])}" if source["flags"] else ""
            where = ("; run where the plan was: its files are named as it was given them"
                     if any(source.get(k) for k in ("manifest", "nodes_file", "timings_file")) else "")
            return f"rollsim simulate{given}{version} {runs}{where})"
        return f"rollsim simulate{version} with {_inputs_phrase(source)} and {runs})"
    folder, names = saved
    kept = {name: _SAVED_FLAG[name] for name in _named(names)}
    files = " ".join(f"{flag} {shlex.quote(str(folder / name))}" for name, flag in kept.items())
    held = f"; {folder} holds what the plan read from {_read_from(names)})"
    if "flags" not in source:  # a plan folder written before its flags were kept
        return f"rollsim simulate {files}{version} with the plan's other inputs and flags and {runs}{held}"
    rest = _dropped(source["flags"], set(kept.values()))  # the files kept stand for those the flags named
    return f"rollsim simulate {files}{' ' + shlex.join(rest) if rest else ''}{version} {runs}{held}"


def _dropped(flags: list[str], dropped: set[str]) -> list[str]:
    """``flags`` without each flag of ``dropped`` and its value."""
    tokens, out = iter(flags), []
    for token in tokens:
        if token in dropped:
            next(tokens, None)  # its value
        else:
            out.append(token)
    return out


def _named(names: tuple[str, ...]) -> list[str]:
    """The saved inputs the reproduce line gives, one per flag: a timing profile piped in beside
    ``--calibrate`` is in the timings the plan used (``timings.yaml``: the fit, its phases over it).
    """
    piped_timings = STDIN_INPUTS["timings_file"]
    return [name for name in names if not (name == piped_timings and TIMINGS_INPUT in names)]


def _read_from(names: tuple[str, ...]) -> str:
    """Where the saved inputs came from: the cluster, standard input, or both."""
    piped = any(name in STDIN_INPUTS.values() for name in names)
    cluster = any(name not in STDIN_INPUTS.values() for name in names)
    return " and ".join(w for w, read in (("the cluster", cluster), ("standard input", piped)) if read)


def surge_limit(c: Constraints, capacity: Capacity, desired: int) -> int | None:
    """The most surge pods the surge budget allows with one node more (``patch_value``), None without one."""
    return capacity.largest(desired + 1) if c.surge_capped else None


def plan_document(scenario: Scenario, constraints: Constraints, search: Search, chosen: Evidence | None,
                  binding: str | None, relaxations: list[Relaxation], no_surge: str | None,
                  run: Mapping[str, Any], source: Mapping[str, Any], result: Found,
                  cut: int | None = None, saved: Saved | None = None, current: Evidence | None = None,
                  least: Evidence | None = None, least_note: str | None = None,
                  warnings: Sequence[str] = ()) -> dict[str, Any]:
    """plan.json: the question, the answer and how it was found (plain data; ``result``: ``answer.found``;
    ``saved``: the inputs the plan folder keeps from a cluster, which its ``reproduce`` line names;
    ``current``: the DaemonSet's own strategy run as a baseline, named in ``daemonset.current_setting``;
    ``least``: the smallest count of the answer's family that fits too, ``rollsim.plan.least``, and
    ``least_note``, why none is named).
    """
    ds, d = scenario.daemonset, search.desired
    report = eligibility_report(scenario.nodes, ds.placement)
    answer: dict[str, Any] | None = None
    if chosen is not None:
        s = chosen.setting
        answer = {
            **(fields := _setting_fields(search, chosen, d)),
            "max_unavailable": fields["value"] if s.kind == UNAVAILABLE else 0,
            "max_surge": fields["value"] if s.kind == SURGE else 0,
            "min_ready_seconds": s.min_ready_seconds,
            "patch": patch_command(s, d, ds.name, ds.namespace, source.get("context"), source.get("kubeconfig"),
                                   (limit := surge_limit(constraints, search.capacity, d))),
            "note": answer_note(chosen, scenario, constraints.min_available_fraction, d, limit,
                                report.eligible_not_ready),
            "seeds": (seeds := [replication_seed(search.ev.seed, r) for r in range(chosen.replications)]),
            "reproduce": reproduce_text(s, seeds, ds.strategy.rolling, source, saved,
                                         scenario.controller.kubernetes_version, scenario.stall_after_s),
            "pace": _pace(search, chosen, result.fastest, d),
            "stall_risk": _stall_risk(search, chosen, d),
            "unsettled": _unsettled(search, chosen, d),
            "least": _least(search, chosen, least, d),
            "least_note": least_note,  # why no least is named (the answer is its own; not looked for), or None
            # what the runs showed at once: a sync's creates can land before its deletes (README, "Surge overlap")
            "extra_pods_observed": chosen.max_surge_observed,
            # and with the old pods still terminating beside their new ones (their requests counted till gone)
            "extra_pods_held": chosen.max_extra_pods,
        }
    return {
        "rollsim": importlib.metadata.version("rollsim"), "model_version": MODEL_VERSION,
        "daemonset": {"name": ds.name, "namespace": ds.namespace, "current_strategy": {
            "type": ds.strategy.type, "max_unavailable": ds.strategy.max_unavailable,
            "max_surge": ds.strategy.max_surge}, "min_ready_seconds": ds.min_ready_seconds,
            "requests_cpu_millis": ds.requests_cpu_millis, "requests_memory_bytes": ds.requests_memory_bytes,
            "host_ports": list(ds.host_ports), "host_network": ds.placement.host_network,
            "host_paths": [str(h) for h in ds.host_paths],
            "current_setting": None if current is None else current.setting.label(d, written_budget(
                current.setting, ds.strategy.max_unavailable, ds.strategy.max_surge))},
        "cluster": {"nodes": report.total, "desired": d, "not_ready": report.eligible_not_ready,
                    # every NotReady node listed, and the unreachable ones no longer desired whose old pods stay
                    # terminating and hold maxUnavailable (audit 40: not_ready read 0 beside 9 NotReady nodes)
                    "not_ready_listed": sum(1 for n in scenario.nodes if not n.ready),
                    "held_for_good": held_for_good(scenario),
                    "other_pods": other_pods_text(scenario),
                    "disk_pressure": disk_pressure_text(scenario),
                    # as the RollingUpdate the patch sets makes them true (for_strategy: their old pods go)
                    "not_running": [[for_strategy(r, True), n] for r, n in report.reasons]},
        "source": dict(source),
        "warnings": list(warnings),  # what reading the inputs warned of (the console's "rollsim: warning:" lines)
        "constraints": {**asdict(constraints), "text": [list(r) for r in constraints.describe()]},
        "search": {**asdict(search.s), "families": [f.label() for f in search.families],
                   "no_surge": no_surge,
                   # as the evidence stands at the end (answer.found): what the answer was chosen from
                   "tops": {f.label(): t for f, t in result.tops.items()},
                   "knees": {f.label(): k for f, k in result.knees.items() if k is not None},
                   # the fastest setting that fits, and its mean over every replication it ran
                   "best": None if result.fastest is None else result.fastest.setting.label(d),
                   "best_mean_s": None if result.fastest is None else _finite(result.fastest.mean),
                   "settings_simulated": len({*search.ev.order, *([current.setting] if current else [])}),
                   # each verdict's level a look (rollsim.plan.evidence.look_level)
                   "looks": len(search.s.ladder), "as_fast_level": search.rule.level,
                   "window_level": search.window.level,
                   # the runs from which a window verdict is distribution-free (the answer has them)
                   "window_confirm_runs": search.window.confirm_runs if search.c.window_s is not None else None,
                   "horizon_s": scenario.horizon_s,  # where runs were cut (with_horizon)
                   "cut_windows": cut,  # the plan's cut at that many windows, or None: the scenario's horizon
                   "grid_size": len(search.families) * d, **run},
        "scenario": describe_scenario(scenario),
        "answer": answer,
        "binding": binding,
        "relaxations": [{"constraint": r.constraint, "needed": r.needed, "text": r.describe(d),
                         "setting": None if r.evidence is None else r.evidence.setting.label(d),
                         # a setting the text names that does not fit ("even maxUnavailable 100% misses ...")
                         "cited": None if r.cited is None else r.cited.setting.label(d)}
                        for r in relaxations],
    }
