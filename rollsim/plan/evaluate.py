"""Simulating candidate settings: replications with common random numbers, run on any executor.

Every setting runs replication r with the same seed (``replication_seed(seed, r)``), so
two settings are compared on the same node ranks and the same drawn phase times: the
difference between them is the setting's, not the dice's (common random numbers).
Runs go to an injected ``Backend`` (``rollsim.sweep.executors``); results are stored by
setting and replication, so neither completion order nor worker count changes them. The
base scenario crosses to the workers once, not once per run: workers forked while it is
registered (``rollsim.sweep.schedule.inheriting``, as ``plan`` does) hold it already, others
get it pickled once and keep it (``pack``); each run carries only its setting, and the
worker applies it (``simulate_setting``). Pickled with every run, a 3,000-node scenario
was most of the main process's CPU: 4.4–4.9 s of a 290-run plan, 0.8 s without it.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import as_completed
from typing import Any

import numpy as np

from rollsim.plan.candidates import Setting
from rollsim.plan.evidence import Evidence, healthy_view
from rollsim.plan.store import RunStore, scenario_key
from rollsim.simulation import simulate
from rollsim.spec.scenario import ROLLING_UPDATE, Scenario, UpdateStrategy
from rollsim.sweep.executors import Backend
from rollsim.sweep.experiment import replication_seed
from rollsim.sweep.schedule import Inherited, Packed, inherited, pack, unpack

__all__ = ["Evaluator", "scenario_for", "simulate_setting", "simulate_summary"]


def scenario_for(base: Scenario, setting: Setting) -> Scenario:
    """``base`` with the setting's ``spec.updateStrategy`` and ``spec.minReadySeconds``."""
    o = setting.options()
    strategy = UpdateStrategy(ROLLING_UPDATE, o["max_unavailable"], o["max_surge"])
    daemonset = dataclasses.replace(base.daemonset, strategy=strategy, min_ready_seconds=o["min_ready_seconds"])
    return dataclasses.replace(base, daemonset=daemonset)


def simulate_summary(scenario: Scenario, seed: int) -> dict[str, Any]:
    """One run's summary as plain data, with the CPU seconds the run took (``cpu_s``);
    top-level so that process pools and Dask can ship it.
    """
    started = time.process_time()
    summary = simulate(scenario, seed).summary
    out = {k: v.item() if isinstance(v, np.generic) else v for k, v in summary.items()}
    out["cpu_s"] = time.process_time() - started
    return out


def simulate_setting(base: Scenario | Packed | Inherited, setting: Setting, seed: int) -> dict[str, Any]:
    """``simulate_summary`` of ``base`` (as ``unpack`` reads it) with ``setting``, the scenario
    built where the run happens; top-level so that process pools and Dask can ship it.
    """
    return simulate_summary(scenario_for(unpack(base), setting), seed)


class Evaluator:
    """Runs settings on ``backend`` and keeps every replication it ran, by setting.

    ``on_run`` is called after each finished run with (runs done, runs submitted). With ``store``
    (``rollsim.plan.store``), a run kept there is taken from it, not simulated (``reused`` counts
    those), and each run simulated is kept there as it finishes.
    """

    def __init__(self, base: Scenario, backend: Backend, seed: int = 0,
                 on_run: Callable[[int, int], None] | None = None, store: RunStore | None = None) -> None:
        self.base, self.backend, self.seed = base, backend, seed
        self.store, self.reused = store, 0
        self._key = "" if store is None else scenario_key(base)
        self.runs: dict[Setting, dict[int, dict[str, Any]]] = {}
        self.order: list[Setting] = []  # settings in the order the search first asked for them
        self.on_run = on_run
        self.done = self.submitted = 0
        # what each run carries of the base scenario: the scenario itself in this process, its key
        # where the workers hold it from their fork, else its bytes, pickled once
        self._base: Scenario | Packed | Inherited = base
        if not backend.inline:
            self._base = (backend.forked and inherited(base)) or pack(base)

    def seed_of(self, replication: int) -> int:
        """The seed of replication ``replication``, as an experiment's runs get it."""
        return replication_seed(self.seed, replication)

    def evaluate(self, settings: Iterable[Setting], replications: int) -> list[Evidence]:
        """Make sure each setting has at least ``replications`` runs; their evidence, in order."""
        wanted = list(dict.fromkeys(settings))
        todo: list[tuple[Setting, int]] = []
        for s in wanted:
            if s not in self.runs:
                self.runs[s] = {}
                self.order.append(s)
            for r in range(replications):
                if r in self.runs[s]:
                    continue
                kept = None if self.store is None else self.store.get(self._key, s, self.seed_of(r))
                if kept is not None:
                    self.runs[s][r] = kept
                    self.reused += 1
                else:
                    todo.append((s, r))
        self.submitted += len(todo)
        for s, r, summary in self._finishing(todo):
            self.runs[s][r] = summary
            if self.store is not None:
                self.store.put(self._key, s, self.seed_of(r), summary)
            self.done += 1
            if self.on_run is not None:
                self.on_run(self.done, self.submitted)
        return [self.evidence(s) for s in wanted]

    def _finishing(self, todo: list[tuple[Setting, int]]) -> Iterator[tuple[Setting, int, dict[str, Any]]]:
        """Each run of ``todo`` (setting, replication) with its summary, as it finishes: on an inline
        backend one at a time, each taken before the next starts; else all submitted, taken in the
        order they finish (``as_completed``), so that a run finished behind a slow one is kept at
        once and an interrupt loses only the runs under way. The runs are stored by setting and
        replication: the order changes no result.
        """
        if self.backend.inline:
            for s, r in todo:
                yield s, r, self.backend.submit(simulate_setting, self._base, s, self.seed_of(r)).result()
            return
        futures = {self.backend.submit(simulate_setting, self._base, s, self.seed_of(r)): (s, r) for s, r in todo}
        for future in as_completed(futures):
            s, r = futures[future]
            yield s, r, future.result()

    def evidence(self, setting: Setting) -> Evidence:
        """The evidence so far for ``setting``, its runs in replication order, each as a plan judges it
        (``healthy_view``: one stopped only by NotReady nodes it should run on is done once the others are).
        """
        runs = self.runs[setting]
        return Evidence(setting, tuple(healthy_view(runs[r]) for r in sorted(runs)))

    def evaluated(self) -> list[Evidence]:
        """The evidence of every setting run so far, in the order first asked for."""
        return [self.evidence(s) for s in self.order]

    @property
    def cpu_s(self) -> float:
        """CPU seconds the runs took, wherever they ran."""
        return sum(float(r.get("cpu_s", 0.0)) for runs in self.runs.values() for r in runs.values())

    @property
    def total_runs(self) -> int:
        """How many runs have been made."""
        return sum(len(r) for r in self.runs.values())
