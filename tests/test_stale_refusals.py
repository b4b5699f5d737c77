"""Syncs refused by the consistency gate, counted without a trip through the event queue, change no result.

From v1.36 a sync whose informers have not yet seen the controller's own writes is refused
(``pkg/controller/daemon/util/consistency.go``, KEP-5647) and the key retried rate-limited;
most such retries are refused again. The work queue counts those whose outcome is certain
(``WorkQueue.refuse_stale_syncs``). These tests run scenarios where the gate refuses often
(slow watches and API calls, small budgets, several DaemonSets, without the queue's dedup)
both ways, and compare every result: the summary (syncs, stale_sync_skips, sync_errors and
queue_wait_s included; only the event count may differ) and every frame.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np
import pandas as pd
import pytest
import simpy
from rollsim import build_scenario, simulate, simulation
from rollsim.cluster.timers import call_later, run_until
from rollsim.cluster.workqueue import WorkQueue

SLOW = dict(watch_delay="lognormal(median=0.3, p95=2)", api_latency="lognormal(median=0.1, p95=0.6)")
CASES: dict[str, dict[str, Any]] = {
    "default-1pct": dict(nodes=400, max_unavailable="1%"),
    "slow-1pct": dict(nodes=300, max_unavailable="1%", **SLOW),
    "slow-surge": dict(nodes=200, max_surge="2%", min_ready_seconds=3, **SLOW),
    "slow-no-dedup": dict(nodes=200, max_unavailable=2, queue_dedup=False, **SLOW),
    "constant-timings": dict(nodes=150, max_unavailable=1, watch_delay="constant(0.05)",
                             api_latency="constant(0.02)", schedule=1, pull=2, start=3, ready=4, terminate=5,
                             probe_period=0),
    "no-status-requeue": dict(nodes=200, max_unavailable="1%", status_requeue=False, **SLOW),
    "also": dict(nodes=150, max_unavailable=2, also=[{"name": "a", "max_unavailable": 1},
                                                     {"name": "b", "max_surge": 2}], **SLOW),
    "one-worker": dict(nodes=150, max_unavailable=2, workers=1, **SLOW),
    # three DaemonSets queueing for 2 workers at default timings (experiments/control-plane-load.yaml):
    # their keys wait, and the queue's sum of waits rounds at every hand-out, counted or not
    "control-plane-load": dict(nodes=300, max_unavailable="10%", also=[
        {"name": "calico-node", "max_unavailable": "10%", "ready": "lognormal(median=3, p95=6)",
         "pull": "lognormal(median=1.5, p95=3)"},
        {"name": "node-exporter", "max_unavailable": "10%", "ready": "lognormal(median=2, p95=4)",
         "pull": "lognormal(median=1, p95=2)"}]),
    "faults": dict(nodes=200, max_unavailable=3, new_pods="crashloop:0.1", not_ready_nodes=3, **SLOW),
}


def _plain(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every refused sync goes through the event queue, as before ``refuse_stale_syncs``."""
    monkeypatch.setattr(simulation, "COUNT_REFUSALS", False)


def _same(a: Any, b: Any) -> None:
    for name in ("timeline", "nodes", "status"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
    sa, sb = dict(a.summary), dict(b.summary)
    assert sa.pop("events") <= sb.pop("events")  # the one figure allowed to differ: fewer events
    assert sa == sb
    assert a.others.keys() == b.others.keys()
    for name in a.others:
        oa, ob = dict(a.others[name]), dict(b.others[name])
        oa.pop("events", None), ob.pop("events", None)
        assert oa == ob


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("case", sorted(CASES))
def test_counting_refusals_changes_no_result(case: str, seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = build_scenario(**CASES[case])
    fast = simulate(scenario, seed=seed)
    with monkeypatch.context() as m:
        _plain(m)
        plain = simulate(scenario, seed=seed)
    assert plain.summary["stale_sync_skips"] > 0  # the gate refused syncs: the case tests something
    _same(fast, plain)


def test_most_refusals_never_reach_the_event_queue(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = build_scenario(**CASES["default-1pct"])
    fast = simulate(scenario, seed=0).summary
    with monkeypatch.context() as m:
        _plain(m)
        plain = simulate(scenario, seed=0).summary
    assert plain["events"] - fast["events"] > plain["stale_sync_skips"] / 2


class _Gate:
    """A queue with one gated key ``k`` and two workers that sync it: a sync is refused while ``closed``."""

    def __init__(self, shortcut: bool, dedup: bool = True) -> None:
        self.env = simpy.Environment()
        self.queue = WorkQueue(self.env, dedup=dedup)
        self.closed = True
        self.log: list[tuple[float, str]] = []
        self.syncs: Counter[Hashable] = Counter()
        self.refusals = 0
        if shortcut:
            self.queue.refuse_stale_syncs({"k": self.refuses}, self.syncs)
        for _ in range(2):
            self.queue.get_then(self.sync)

    def refuses(self) -> bool:
        if self.closed:
            self.refusals += 1
        return self.closed

    def sync(self, key: Hashable) -> None:
        self.syncs[key] += 1
        if self.refuses():
            self.queue.requeue_refused(key, self.sync)
        else:
            self.log.append((self.env.now, "synced"))
            self.queue.finish_then_get(key, True, self.sync)

    def at(self, when: float, fn: Callable[[], object]) -> None:
        self.env.timeout(when).callbacks.append(lambda _e: fn())

    def run(self, until: float) -> tuple[Any, ...]:
        run_until(self.env, self.env.timeout(until))
        return self.log, dict(self.syncs), self.refusals, dict(self.queue.waited), dict(self.queue._failures)


@pytest.mark.parametrize("dedup", [True, False])
def test_a_gate_opened_by_an_event_between_retries(dedup: bool) -> None:
    """Retries at 5, 10, 20, 40 ms... are refused until an event opens the gate; the next one syncs."""
    results = []
    for shortcut in (True, False):
        g = _Gate(shortcut, dedup)
        g.at(1.0, lambda g=g: g.queue.add("k"))
        g.at(1.5, lambda g=g: setattr(g, "closed", False))
        g.at(1.2, lambda g=g: None)  # an unrelated event in the middle of the retries
        results.append(g.run(10.0))
    assert results[0] == results[1]
    log, syncs, refusals, _waited, failures = results[0]
    # refused at 1.0, 1.005, 1.015, 1.035, 1.075, 1.155 and 1.315 s; the retry at 1.635 s syncs
    assert refusals == 7 and syncs == {"k": 8}
    assert log == [(pytest.approx(1.635), "synced")] and failures == {}


class _Mixed(_Gate):
    """``_Gate`` with a second, ungated key ``o`` that always syncs."""

    def sync(self, key: Hashable) -> None:
        if key == "k":
            super().sync(key)
            return
        self.syncs[key] += 1
        self.log.append((self.env.now, "o"))
        self.queue.finish_then_get(key, True, self.sync)


def _random_run(seed: int, shortcut: bool, dedup: bool, grid: bool) -> tuple[Any, ...]:
    """Adds of both keys, now and after 5 ms doubling delays (the retries' own), and the gate
    opening and closing, at random instants: on a grid, many share an instant, and timers made at
    one instant with the retries' delays fire at the very instants of the retries.
    """
    rng = np.random.default_rng(seed)
    g = _Mixed(shortcut, dedup)
    for _ in range(60):
        when = float(rng.integers(0, 100)) * 0.02 if grid else float(rng.uniform(0, 2))
        kind = int(rng.integers(0, 6))
        delay = 0.005 * 2 ** int(rng.integers(0, 7))
        if kind == 0:
            g.at(when, lambda g=g: g.queue.add("k"))
        elif kind == 1:
            g.at(when, lambda g=g, d=delay: g.queue.add_after("k", d))
        elif kind == 2:
            g.at(when, lambda g=g: g.queue.add("o"))
        elif kind == 3:
            g.at(when, lambda g=g, d=delay: g.queue.add_after("o", d))
        else:  # the gate closes or opens after the delay
            g.at(when, lambda g=g, c=kind == 4, d=delay: call_later(g.env, d, setattr, g, "closed", c))
    return g.run(30.0)


@pytest.mark.parametrize("grid", [False, True])  # on a 5 ms grid: retries and other events at the same instants
@pytest.mark.parametrize("dedup", [True, False])
def test_random_adds_and_gate_changes_give_the_same_syncs(dedup: bool, grid: bool) -> None:
    refused = 0
    for seed in range(25):
        fast, plain = _random_run(seed, True, dedup, grid), _random_run(seed, False, dedup, grid)
        assert fast == plain
        refused += plain[2]
    assert refused > 100
