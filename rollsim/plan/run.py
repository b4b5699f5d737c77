"""``plan``: search, answer, and write the plan folder (plan.json, candidates.csv, figures, report).

``rollsim.plan.plan(scenario, constraints)`` is the Python entry point and what ``rollsim
plan`` calls. The scenario's own update strategy is ignored: the plan chooses it.
"""

from __future__ import annotations

import dataclasses
import platform
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from rollsim.io.yamldoc import ConfigError
from rollsim.plan.answer import decide, found
from rollsim.plan.candidates import SURGE, UNAVAILABLE, Family, Setting, current_setting
from rollsim.plan.constraints import HORIZON_WINDOWS, Constraints
from rollsim.plan.document import candidate_rows, plan_document
from rollsim.plan.evaluate import Evaluator
from rollsim.plan.evidence import Evidence, runs_to_confirm_refused
from rollsim.plan.files import INPUTS, check_plan_owned, write_plan_folder
from rollsim.plan.least import least_note, with_least
from rollsim.plan.relax import Relaxation, Uncut, diagnose
from rollsim.plan.search import Capacity, Search, SearchSettings, no_surge_reason
from rollsim.plan.stalls import can_stall
from rollsim.plan.store import RunStore, inputs_seed
from rollsim.present.plan_rows import cut_phrase
from rollsim.present.render import count_of
from rollsim.spec.eligibility import eligibility_report
from rollsim.spec.limits import LimitError, check_limit
from rollsim.spec.scenario import MAX_HORIZON_S, Scenario
from rollsim.sweep.errors import Interrupted
from rollsim.sweep.executors import open_executor
from rollsim.sweep.folder import check_plan_folder, locked
from rollsim.sweep.interrupt import cut_short
from rollsim.sweep.schedule import inheriting

__all__ = ["HORIZON_WINDOWS", "PlanResult", "cut_windows", "families_of", "plan", "plan_document", "waiting_a_window",
           "with_horizon"]

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


def waiting_a_window(scenario: Scenario, constraints: Constraints) -> Scenario:
    """A rollout is called stalled only once it has made no progress for a whole window (or the
    scenario's ``stall_after``, if longer): one idle that long cannot finish within the window, and one
    idle for less may (audit 25: with a 3 h window, a straggler Ready after 4,000 s stopped every run at
    simulate's default 3,600 s, and the plan found nothing that fits where its rollouts take 70 min).
    """
    if constraints.window_s is None or scenario.stall_after_s >= constraints.window_s:
        return scenario
    return dataclasses.replace(scenario, stall_after_s=constraints.window_s)


def with_horizon(scenario: Scenario, constraints: Constraints) -> Scenario:
    """Runs that outlast ``HORIZON_WINDOWS`` windows are cut there: they cannot fit, and a
    budget of one pod on thousands of nodes would otherwise simulate for days. A horizon is at
    most ``MAX_HORIZON_S``, however long the window. A run is called stalled only after a window
    without progress (``waiting_a_window``).
    """
    if constraints.window_s is None:
        return scenario
    scenario = waiting_a_window(scenario, constraints)
    horizon = min(HORIZON_WINDOWS * constraints.window_s, MAX_HORIZON_S)
    if scenario.horizon_s is not None and scenario.horizon_s <= horizon:
        return scenario
    return dataclasses.replace(scenario, horizon_s=horizon)


def cut_windows(scenario: Scenario, constraints: Constraints) -> int | None:
    """``HORIZON_WINDOWS`` when ``with_horizon`` cuts the runs there (the plan's cut, which the
    user never set), else None: the scenario's own horizon comes first, or there is no window.
    """
    cut = with_horizon(scenario, constraints)
    if constraints.window_s is None or cut.horizon_s == scenario.horizon_s:
        return None
    return HORIZON_WINDOWS if cut.horizon_s == HORIZON_WINDOWS * constraints.window_s else None


def families_of(scenario: Scenario, constraints: Constraints,
                source: Mapping[str, Any] | None = None) -> tuple[list[Family], str | None]:
    """The families to search, and why surge is out (or None; ``source``: where the inputs came
    from, whose ``server_version`` is the cluster's as read).
    """
    mrs = constraints.min_ready_seconds or (float(scenario.daemonset.min_ready_seconds),)
    from rollsim.io.inputs import is_live

    source = source or {}
    no_surge = no_surge_reason(scenario.daemonset, constraints, source.get("server_version"),
                               is_live(source.get("manifest")))
    kinds = [UNAVAILABLE] if no_surge else [UNAVAILABLE, SURGE]
    return [Family(k, m) for m in mrs for k in kinds], no_surge


def _current(scenario: Scenario, desired: int, source: Mapping[str, Any]) -> Setting | None:
    """The strategy of the DaemonSet the plan read (a manifest, standard input or a cluster:
    ``source``'s ``manifest``) as a setting (``current_setting``); None for the built-in DaemonSet,
    whose strategy no one chose, and under OnDelete.
    """
    if not source.get("manifest"):
        return None
    ds = scenario.daemonset
    return current_setting(ds.strategy.rolling, ds.strategy.max_unavailable, ds.strategy.max_surge,
                           ds.min_ready_seconds, desired)


def _baseline(evaluator: Evaluator, current: Setting | None, replications: int
              ) -> tuple[Evidence | None, Evaluator | None]:
    """The current strategy's evidence with ``replications`` runs, run after the choice, and the
    evaluator that ran it: the search's own runs when it ran the setting in full (none), else an
    evaluator of its own with the same seeds, so that the search's tops and knees stay those of the
    settings it chose from.
    """
    if current is None:
        return None, None
    if len(evaluator.runs.get(current, {})) >= replications:
        return evaluator.evidence(current), None
    own = Evaluator(evaluator.base, evaluator.backend, evaluator.seed, evaluator.on_run, evaluator.store)
    return own.evaluate([current], replications)[0], own


def _apart(made: list[Evaluator], like: Evaluator, base: Scenario) -> Uncut:
    """Runs settings of ``base`` apart from the search (not its candidates), on ``like``'s backend,
    seeds and store, by an evaluator made at the first call and kept in ``made``.
    """
    def run(settings: Sequence[Setting], replications: int) -> list[Evidence]:
        made[:] = made or [Evaluator(base, like.backend, like.seed, like.on_run, like.store)]
        return made[0].evaluate(settings, replications)

    return run


def _nothing_to_bound(constraints: Constraints, prone: Sequence[Family], no_surge: str | None) -> list[str]:
    """A warning when ``--window-probability`` was given without a window and no family the plan
    searches can stall (``can_stall``): it bounds nothing then (audit 30: maxSurge left out for a host
    port, where the flag refuses ``--no-surge`` and ``--controller ideal`` outright).
    """
    given = constraints.window_probability != _DEFAULT_CONSTRAINTS.window_probability
    if constraints.window_s is not None or prone or not given:
        return []
    why = f"maxSurge is not considered ({no_surge})" if no_surge else "no family it searches can stall"
    return [f"argument --window-probability: without --window it bounds the rollouts that stall, and {why}: it "
            "changes nothing here"]


def _relaxing(runs: int) -> str:
    """What the plan says when its search found nothing that fits, before it runs the relaxations."""
    return (f"no setting fits after {runs:,} run{'s' if runs != 1 else ''}: simulating what relaxing each constraint "
            "would give, which can take longer than the search")


def _not_kept(store: RunStore | None) -> list[str]:
    """A warning when the plan's runs could not be kept (``RunStore.trouble``): a plan run again
    simulates them again.
    """
    if store is None or store.trouble is None:
        return []
    return [f"this plan's runs were not kept for a plan run again in its folder to reuse: {store.trouble}"]


@contextmanager
def _keeping(store: RunStore | None) -> Iterator[None]:
    """The plan's runs kept in ``store`` while it runs, its file closed at the end; an interrupt
    (``cut_short``) says how many are kept and that running the plan again reuses them.
    """
    try:
        yield
    except BaseException as exc:
        if store is None or not cut_short(exc):
            raise
        kept = store.kept()
        if store.trouble is not None:
            said = f"its runs are not kept ({store.trouble})"
        elif not kept:
            said = "no run had finished, so none is kept"
        else:
            said = (f"{count_of(kept, 'run')} of it {'is' if kept == 1 else 'are'} kept in {store.path}; run the "
                    "plan again to resume (the runs kept are reused)")
        raise Interrupted(f"interrupted during the search: {said}") from None
    finally:
        if store is not None:
            store.close()


def _check_confirm_runs(constraints: Constraints) -> None:
    """The runs the answer's distribution-free window bound needs (``runs_to_confirm``: 59 at p95 and
    95%, 2,995 at p99.9) within the replications limit, before any run; else a ``LimitError`` naming
    the window probability and confidence that ask for them.
    """
    if constraints.window_s is None:  # the stall runs a family may ask for: the CLI checks a probability given
        return
    p, c = constraints.window_probability, constraints.confidence
    refused = runs_to_confirm_refused(p, c)
    if refused is not None:
        raise LimitError(f"a window probability of {p:.12g} at confidence {c:.12g} {refused}")


def _check_plan_out(folder: Path) -> None:
    """Refuse ``folder`` for a plan's files: an experiment's results folder, or one of the user's own files."""
    check_plan_folder(folder)
    check_plan_owned(folder)


def plan(scenario: Scenario, constraints: Constraints = _DEFAULT_CONSTRAINTS, *,
         settings: SearchSettings = _DEFAULT_SETTINGS,
         out: str | Path | None = None, workers: int | None = None, executor: str | None = None,
         scheduler: str | None = None, source: Mapping[str, Any] | None = None,
         on_run: Callable[[int, int], None] | None = None, on_phase: Callable[[str], None] | None = None,
         report: bool = True, inputs: Mapping[str, str | bytes] | None = None,
         warnings: Sequence[str] = ()) -> PlanResult:
    """Search the update settings of ``scenario``'s DaemonSet for the fastest that meets ``constraints``.

    Runs on the executor the options choose (``rollsim.sweep.executors``); with ``out``,
    writes plan.json, candidates.csv, figures and report.md/report.html there, in place of the
    plan there (``rollsim.plan.files``: an interrupt never leaves files of both), and ``inputs``
    (read from a cluster or standard input, as files: ``rollsim.plan.request.saved_inputs``) in its ``inputs/``.
    ``warnings`` (what reading the inputs warned of) are kept in plan.json and the report.
    ``on_run`` is called after each run (runs done, runs submitted), ``on_phase`` with a line to
    say when the plan goes on after its search: nothing fits, and what relaxing each constraint
    gives takes runs of its own (audit 40: 597 s, ten times the search, said nothing of why).
    """
    check_limit("replications", settings.max_replications)  # before any run (the flags are checked when read)
    _check_confirm_runs(constraints)
    folder = None if out is None else Path(out)
    if folder is not None:
        _check_plan_out(folder)  # before the lock is made: a refused folder is left as it was
    # the folder's lock, held from the first run to the last file: another plan or sweep there is refused (FolderBusy)
    with nullcontext() if folder is None else locked(folder):
        if folder is not None:
            _check_plan_out(folder)  # again, now that no other rollsim can write there: this check and the writes
        started, cpu0 = time.perf_counter(), time.process_time()
        desired = eligibility_report(scenario.nodes, scenario.daemonset.placement).eligible
        if desired < 1:
            raise ConfigError("no node should run the DaemonSet: there is nothing to roll out")
        # the root seed: given, or drawn from the inputs (before the window sets the scenario's horizon)
        drawn = settings.seed is None
        seed = inputs_seed(scenario) if settings.seed is None else settings.seed  # (narrows the type)
        settings = dataclasses.replace(settings, seed=seed)
        given, cut = waiting_a_window(scenario, constraints), cut_windows(scenario, constraints)
        scenario = with_horizon(scenario, constraints)
        where = cut_phrase({"horizon_s": scenario.horizon_s, "cut_windows": cut})
        families, no_surge = families_of(scenario, constraints, source)
        ds = scenario.daemonset
        capacity = Capacity(ds.requests_cpu_millis, ds.requests_memory_bytes, constraints,
                            tuple(map(str, ds.host_paths)))
        store = None if folder is None else RunStore(folder)  # the runs a plan here kept: reused, and kept anew
        # workers forked as the executor opens start with the scenario in their memory (Evaluator)
        with _keeping(store), inheriting({0: scenario}), open_executor(workers, executor, scheduler) as backend:
            evaluator = Evaluator(scenario, backend, seed, on_run, store)
            prone = [f for f in families if can_stall(f, scenario.controller)]
            search = Search(evaluator, constraints, desired, capacity, families, settings, prone)
            search.run()
            chosen = decide(search)  # may add replications, to settle what could change the choice
            least = None  # --least, with a window: the least that fits (its runs can change the answer)
            if chosen is not None and settings.least:
                chosen, least = with_least(search, chosen)
            note = None if chosen is None else least_note(search, chosen, least, settings.least)
            uncut: list[Evaluator] = []  # runs without the plan's cut, made only when no run finished within it
            aside: list[Evaluator] = []  # runs of settings the search was not asked for (minReadySeconds 0)
            if chosen is None and on_phase is not None:
                on_phase(_relaxing(evaluator.total_runs))
            binding, relaxations = (None, []) if chosen is not None else \
                diagnose(search, where, _apart(uncut, evaluator, given) if cut is not None else None,
                         eligibility_report(scenario.nodes, scenario.daemonset.placement).eligible_not_ready,
                         _apart(aside, evaluator, scenario))
            baseline, own = _baseline(evaluator, _current(scenario, desired, source or {}), settings.replications)
            others = [*uncut, *aside, *([own] if own is not None else [])]
            backend_name, n_workers = backend.name, backend.workers
        evidence = evaluator.evaluated()
        run = {"runs": evaluator.total_runs + sum(u.total_runs for u in others),
               "runs_reused": evaluator.reused + sum(u.reused for u in others),
               "runs_uncut": sum(u.total_runs for u in uncut), "executor": backend_name, "workers": n_workers,
               "seed_drawn_from_inputs": drawn,
               "wall_s": round(time.perf_counter() - started, 3),
               "cpu_s_this_process": round(time.process_time() - cpu0, 3),
               "cpu_s_runs": round(evaluator.cpu_s + sum(u.cpu_s for u in others), 3),
               "finished": datetime.now(UTC).isoformat(timespec="seconds"), "python": platform.python_version()}
        result = found(search)  # the tops, knees and fastest as the runs stand at the end
        document = plan_document(scenario, constraints, search, chosen, binding, relaxations, no_surge, run,
                                 source or {}, result, cut,
                                 None if folder is None or not inputs else (folder / INPUTS, tuple(inputs)), baseline,
                                 least, note, (*warnings, *_nothing_to_bound(constraints, prone, no_surge),
                                               *_not_kept(store)))
        candidates = candidate_rows(evidence, chosen, search, result, desired, seed, where, baseline,
                                    document["daemonset"]["current_setting"])
        paths = None if folder is None else write_plan_folder(folder, document, candidates, report, inputs)
        return PlanResult(document, candidates, chosen, tuple(relaxations), folder, paths, tuple(evidence))
