"""``plan``: search, answer, and write the plan folder (plan.json, candidates.csv, figures, report).

``rollsim.plan.plan(scenario, constraints)`` is the Python entry point and what ``rollsim
plan`` calls. The scenario's own update strategy is ignored: the plan chooses it.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import math
import platform
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from rollsim.io.atomic import write_atomically, write_json
from rollsim.io.yamldoc import ConfigError
from rollsim.plan.answer import Relaxation, decide, diagnose, fastest, pace_text, passed_over, ruled_out, unsettled
from rollsim.plan.candidates import SURGE, UNAVAILABLE, Family, as_int_or_percent, patch_command
from rollsim.plan.constraints import HORIZON_WINDOWS, Constraints
from rollsim.plan.evaluate import Evaluator
from rollsim.plan.evidence import Evidence
from rollsim.plan.search import Capacity, Search, SearchSettings, no_surge_reason
from rollsim.present.render import format_duration
from rollsim.spec.describe import describe_scenario
from rollsim.spec.eligibility import eligibility_report
from rollsim.spec.limits import check_limit
from rollsim.spec.model_version import MODEL_VERSION
from rollsim.spec.scenario import MAX_HORIZON_S, Scenario
from rollsim.sweep.executors import open_executor
from rollsim.sweep.folder import check_plan_folder
from rollsim.sweep.schedule import inheriting

__all__ = ["HORIZON_WINDOWS", "PlanResult", "families_of", "plan", "plan_document", "with_horizon"]

_DEFAULT_CONSTRAINTS = Constraints()  # frozen: one shared default is safe
_DEFAULT_SETTINGS = SearchSettings()


@dataclass(frozen=True)
class PlanResult:
    """What ``plan`` found: ``document`` is plan.json's content; ``out_dir`` where it was written."""

    document: dict[str, Any]
    candidates: pd.DataFrame
    chosen: Evidence | None
    relaxations: tuple[Relaxation, ...] = ()
    out_dir: Path | None = None
    report: tuple[Path, Path] | None = None
    evidence: tuple[Evidence, ...] = field(default=(), repr=False)


def with_horizon(scenario: Scenario, constraints: Constraints) -> Scenario:
    """Runs that outlast ``HORIZON_WINDOWS`` windows are cut there: they cannot fit, and a
    budget of one pod on thousands of nodes would otherwise simulate for days. A horizon is at
    most ``MAX_HORIZON_S``, however long the window.
    """
    if constraints.window_s is None:
        return scenario
    horizon = min(HORIZON_WINDOWS * constraints.window_s, MAX_HORIZON_S)
    if scenario.horizon_s is not None and scenario.horizon_s <= horizon:
        return scenario
    return dataclasses.replace(scenario, horizon_s=horizon)


def families_of(scenario: Scenario, constraints: Constraints,
                source: Mapping[str, Any] | None = None) -> tuple[list[Family], str | None]:
    """The families to search, and why surge is out (or None; ``source``: where the inputs came
    from, whose ``server_version`` is the cluster's as read).
    """
    mrs = constraints.min_ready_seconds or (float(scenario.daemonset.min_ready_seconds),)
    no_surge = no_surge_reason(scenario.daemonset, constraints, (source or {}).get("server_version"))
    kinds = [UNAVAILABLE] if no_surge else [UNAVAILABLE, SURGE]
    return [Family(k, m) for m in mrs for k in kinds], no_surge


def _finite(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def _candidate_rows(evidence: list[Evidence], chosen: Evidence | None, search: Search, desired: int,
                    seed: int) -> pd.DataFrame:
    rows = []
    full = search.s.replications
    best = fastest(search.confirmed(), search.c, search.capacity, search.window)
    risks = search.stall_risks()
    for e in evidence:
        s = e.setting
        role = []
        if search.tops.get(s.family) == s.count:
            role.append("top")
        if search.knees.get(s.family) == s.count:
            role.append("knee")
        pods, cpu, mem = search.capacity.of(s)
        rows.append({
            "setting": s.label(desired), "kind": s.kind, "count": s.count,
            "value": str(as_int_or_percent(s.count, desired)), "min_ready_seconds": s.min_ready_seconds,
            "extra_pods": pods, "extra_cpu_millis": cpu, "extra_memory_bytes": mem,
            **e.row(search.window, seed), "role": "+".join(role),
            "verdict": (("" if e.replications >= full else f"screened ({e.replications} replications): ")
                        + ruled_out(e, chosen, search.c, search.capacity, search.window, search.rule, best, risks,
                                    search.s.max_replications)),
        })
    frame = pd.DataFrame(rows)
    return frame.sort_values(["min_ready_seconds", "kind", "count"], kind="stable").reset_index(drop=True)


# the patch sets updateStrategy.type: what it does to a DaemonSet whose pods an operator replaces
ON_DELETE_NOTE = ("the DaemonSet uses OnDelete: this patch switches it to RollingUpdate, so the controller replaces "
                  "its pods itself, starting when the patch is applied")


def surge_wake_note(chosen: Evidence, scenario: Scenario) -> str | None:
    """With maxSurge and minReadySeconds a rollout can stall, in the real controller as in
    realistic mode (README, "With maxSurge and minReadySeconds it can stall a rollout"): a node's
    old pod stays beside its available new one when the one re-check it asked for was dropped
    by the delaying queue. Say why, and what lets such a rollout finish; how often the family's
    runs stalled is the answer's stall risk (``rollsim.plan.stalls``).
    """
    s, controller = chosen.setting, scenario.controller
    if s.kind != SURGE or s.min_ready_seconds <= 0 or controller.ideal or not controller.queue_dedup:
        return None
    return (f"with maxSurge and minReadySeconds {s.min_ready_seconds:g} the real controller can stall: when the "
            "re-check a node's new pod asks for is dropped, its old pod stays beside the available new one until "
            "another event or the informers' resync, 12–24 h on (README, \"With maxSurge and minReadySeconds it can "
            "stall\"); if a rollout stalls so, deleting the old pod by hand (or any event of the DaemonSet's) lets "
            "it finish")


def _pace(search: Search, chosen: Evidence, desired: int) -> dict[str, Any]:
    """How the answer compares with the fastest setting that fits (plan.json ``answer.pace``)."""
    best = fastest(search.confirmed(), search.c, search.capacity, search.window)
    assert best is not None  # the answer fits
    p, rule = search.rule.compare(chosen, best), search.rule
    if best.setting == chosen.setting:
        text = f"the fastest setting that fits (mean {format_duration(chosen.mean)}, {chosen.replications} seeds)"
    else:
        text = (f"as fast as the fastest, {best.setting.label(desired)}: mean {format_duration(p.mean)} against "
                f"{format_duration(p.reference_mean)} over the same {p.replications} seeds ({pace_text(p, rule)}, "
                f"within the {100 * rule.tolerance:g}% tolerance)")
    return {"fastest": best.setting.label(desired), "replications": p.replications, "slowdown": _finite(p.slowdown),
            "upper_bound": _finite(p.high), "confidence": rule.confidence, "level": rule.level, "text": text}


def _stall_risk(search: Search, chosen: Evidence, desired: int) -> dict[str, Any]:
    """How often the answer's family stalled, pooled over its settings (plan.json ``answer.stall_risk``)."""
    risks = search.stall_risks()
    risk = risks[chosen.setting.family]
    text = risk.describe()
    if risk.stalled:
        text += ("; a rollout that stalls misses the window, which the window bound (of the rollouts that finished) "
                 "does not count")
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
                + beside_answer(p.mean, p.replications, chosen))
        out.append({"setting": e.setting.label(desired), "replications": p.replications,
                    "slowdown": _finite(p.slowdown), "upper_bound": _finite(p.high),
                    "pace": pace_text(p, search.rule), "text": text})
    return out


def beside_answer(mean: float, replications: int, chosen: Evidence) -> str:
    """How an unsettled setting's mean over its ``replications`` seeds stands beside the answer's,
    which may be over more seeds and then does not compare (the first n replications share their
    seeds), and what decided between them: ``its mean is over 20 seeds, the recommended's 9m02s
    over 40, so the two do not compare; over these 20 the recommended's is 8m47s; the recommended
    was shown within the tolerance ...``.
    """
    mine = chosen.mean_over(replications)
    if replications < chosen.replications:
        text = (f"its mean is over {replications} seeds, the recommended's {format_duration(chosen.mean)} over "
                f"{chosen.replications}, so the two do not compare; over these {replications} the recommended's is "
                f"{format_duration(mine)}")
    else:
        text = f"over the same {replications} seeds the recommended's mean is {format_duration(mine)}"
    return (text + (" (slower than this one's)" if mine > mean else "")
            + "; the recommended was shown within the tolerance of the fastest and this one was not, and only a "
              "setting shown so is chosen")


def plan_document(scenario: Scenario, constraints: Constraints, search: Search, chosen: Evidence | None,
                  binding: str | None, relaxations: list[Relaxation], no_surge: str | None,
                  run: Mapping[str, Any], source: Mapping[str, Any]) -> dict[str, Any]:
    """plan.json: the question, the answer and how it was found (plain data)."""
    ds, d = scenario.daemonset, search.desired
    report = eligibility_report(scenario.nodes, ds.placement)
    answer: dict[str, Any] | None = None
    if chosen is not None:
        s = chosen.setting
        pods, cpu, mem = search.capacity.of(s)
        answer = {
            "setting": s.label(d), "kind": s.kind, "count": s.count, "value": as_int_or_percent(s.count, d),
            "max_unavailable": as_int_or_percent(s.count, d) if s.kind == UNAVAILABLE else 0,
            "max_surge": as_int_or_percent(s.count, d) if s.kind == SURGE else 0,
            "min_ready_seconds": s.min_ready_seconds,
            "extra_pods": pods, "extra_cpu_millis": cpu, "extra_memory_bytes": mem,
            "patch": patch_command(s, d, ds.name, ds.namespace),
            "note": "; ".join(n for n in (ON_DELETE_NOTE if not ds.strategy.rolling else None,
                                          surge_wake_note(chosen, scenario)) if n) or None,
            "pace": _pace(search, chosen, d),
            "stall_risk": _stall_risk(search, chosen, d),
            "unsettled": _unsettled(search, chosen, d),
            # what the runs showed at once: a sync's creates can land before its deletes (README, "Surge overlap")
            "extra_pods_observed": chosen.max_surge_observed,
            **{k: _finite(v) for k, v in chosen.row(search.window, search.s.seed).items()},
        }
    return {
        "rollsim": importlib.metadata.version("rollsim"), "model_version": MODEL_VERSION,
        "daemonset": {"name": ds.name, "namespace": ds.namespace, "current_strategy": {
            "type": ds.strategy.type, "max_unavailable": ds.strategy.max_unavailable,
            "max_surge": ds.strategy.max_surge}, "min_ready_seconds": ds.min_ready_seconds,
            "requests_cpu_millis": ds.requests_cpu_millis, "requests_memory_bytes": ds.requests_memory_bytes,
            "host_ports": list(ds.host_ports), "host_network": ds.placement.host_network},
        "cluster": {"nodes": report.total, "desired": d, "not_ready": report.eligible_not_ready,
                    "not_running": [list(r) for r in report.reasons]},
        "source": dict(source),
        "constraints": {**asdict(constraints), "text": [list(r) for r in constraints.describe()]},
        "search": {**asdict(search.s), "families": [f.label() for f in search.families],
                   "no_surge": no_surge,
                   "tops": {f.label(): t for f, t in search.tops.items()},
                   "knees": {f.label(): k for f, k in search.knees.items()},
                   # the fastest top that meets the window, and its mean over every replication it ran
                   "best": None if search.best_setting is None else search.best_setting.label(d),
                   "best_mean_s": _finite(search.best_mean), "settings_simulated": len(search.ev.order),
                   # each verdict's level a look (rollsim.plan.evidence.look_level)
                   "looks": len(search.s.ladder), "as_fast_level": search.rule.level,
                   "window_level": search.window.level,
                   "horizon_s": scenario.horizon_s,  # where runs were cut (with_horizon)
                   "grid_size": len(search.families) * d, **run},
        "scenario": describe_scenario(scenario),
        "answer": answer,
        "binding": binding,
        "relaxations": [{"constraint": r.constraint, "needed": r.needed, "text": r.describe(d),
                         "setting": None if r.evidence is None else r.evidence.setting.label(d)}
                        for r in relaxations],
    }


def plan(scenario: Scenario, constraints: Constraints = _DEFAULT_CONSTRAINTS, *,
         settings: SearchSettings = _DEFAULT_SETTINGS,
         out: str | Path | None = None, workers: int | None = None, executor: str | None = None,
         scheduler: str | None = None, source: Mapping[str, Any] | None = None,
         on_run: Callable[[int, int], None] | None = None, report: bool = True) -> PlanResult:
    """Search the update settings of ``scenario``'s DaemonSet for the fastest that meets ``constraints``.

    Runs on the executor the options choose (``rollsim.sweep.executors``); with ``out``,
    writes plan.json, candidates.csv, figures and report.md/report.html there.
    """
    started, cpu0 = time.perf_counter(), time.process_time()
    check_limit("replications", settings.max_replications)  # before any run (the flags are checked when read)
    if out is not None:
        check_plan_folder(Path(out))  # before any run: an experiment's folder is refused
    desired = eligibility_report(scenario.nodes, scenario.daemonset.placement).eligible
    if desired < 1:
        raise ConfigError("no node should run the DaemonSet: there is nothing to roll out")
    scenario = with_horizon(scenario, constraints)
    families, no_surge = families_of(scenario, constraints, source)
    ds = scenario.daemonset
    capacity = Capacity(ds.requests_cpu_millis, ds.requests_memory_bytes, constraints)
    # workers forked as the executor opens start with the scenario in their memory (Evaluator)
    with inheriting({0: scenario}), open_executor(workers, executor, scheduler) as backend:
        evaluator = Evaluator(scenario, backend, settings.seed, on_run)
        search = Search(evaluator, constraints, desired, capacity, families, settings)
        search.run()
        chosen = decide(search)  # may add replications, to settle what could change the choice
        binding, relaxations = (None, []) if chosen is not None else diagnose(search)
        backend_name, n_workers = backend.name, backend.workers
    evidence = evaluator.evaluated()
    run = {"runs": evaluator.total_runs, "executor": backend_name, "workers": n_workers,
           "wall_s": round(time.perf_counter() - started, 3),
           "cpu_s_this_process": round(time.process_time() - cpu0, 3),
           "cpu_s_runs": round(evaluator.cpu_s, 3),
           "finished": datetime.now(UTC).isoformat(timespec="seconds"), "python": platform.python_version()}
    document = plan_document(scenario, constraints, search, chosen, binding, relaxations, no_surge, run, source or {})
    candidates = _candidate_rows(evidence, chosen, search, desired, settings.seed)
    paths = None
    if out is not None:
        out_dir = Path(out)
        write_atomically(out_dir / "candidates.csv", lambda f: candidates.to_csv(f, index=False))
        write_json(out_dir / "plan.json", document)
        if report:
            from rollsim.present.plan_report import write_plan_report

            paths = write_plan_report(out_dir)
    return PlanResult(document, candidates, chosen, tuple(relaxations), None if out is None else Path(out), paths,
                      tuple(evidence))
