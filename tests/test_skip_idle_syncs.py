"""Syncs that would do nothing, left off the event queue (``WorkQueue.skip_idle_syncs``), change no result.

Ideal mode syncs once per pod event and most of those syncs find nothing to do; the work
queue counts them without running them, unless the key is added again before their turn.
These tests check the queue's bookkeeping on its own, and whole runs that skip against the
reference scan, which does not (same summary, event count included, same frames).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable
from typing import Any

import pytest
import simpy
from rollsim import build_scenario, simulate
from rollsim.cluster.timers import Cursor, call_later, run_until
from rollsim.cluster.workqueue import WorkQueue


class _World:
    """A work queue with two takers that log what they sync; ``idle[key]`` says whether a sync would do nothing."""

    def __init__(self, idle: dict[Hashable, bool]) -> None:
        self.env = simpy.Environment()
        self.cursor = Cursor()
        self.queue = WorkQueue(self.env)
        self.ran: list[tuple[float, Hashable]] = []
        self.counted: Counter[Hashable] = Counter()
        self.idle = idle
        checks: dict[Hashable, Callable[[], bool]] = {k: (lambda k=k: self.idle[k]) for k in idle}
        self.queue.skip_idle_syncs(self.cursor, checks, self.counted)
        for _ in range(2):
            self.queue.get_then(self.sync)

    def sync(self, key: Hashable) -> None:
        self.ran.append((self.env.now, key))
        self.counted[key] += 1
        self.queue.finish_then_get(key, True, self.sync)

    def run(self, until: float) -> None:
        run_until(self.env, self.env.timeout(until), self.cursor)
        self.queue.settle()


def test_an_idle_sync_is_counted_and_not_run() -> None:
    w = _World({"a": True})
    call_later(w.env, 1.0, w.queue.add, "a")
    call_later(w.env, 2.0, w.queue.add, "a")
    w.run(5.0)
    assert w.ran == []
    assert w.counted["a"] == 2
    assert len(w.queue) == 0


def test_an_add_before_its_turn_makes_the_skipped_sync_run() -> None:
    w = _World({"a": True})

    def two_adds() -> None:  # the second add comes in the same step, before the first sync's turn
        w.queue.add("a")
        w.queue.add("a")

    call_later(w.env, 1.0, two_adds)
    w.run(5.0)
    # as without skipping: the first add hands "a" to a worker, the second marks it dirty, so two
    # syncs; the first runs (something changed before its turn), the second, idle again, is skipped
    assert w.ran == [(1.0, "a")]
    assert w.counted["a"] == 2


def test_an_add_after_its_turn_starts_a_new_sync() -> None:
    w = _World({"a": True})

    def add_then_add_later() -> None:
        w.queue.add("a")
        call_later(w.env, 0.0, w.queue.add, "a")  # same instant, an entry after the sync's

    call_later(w.env, 1.0, add_then_add_later)
    w.run(5.0)
    assert w.ran == []
    assert w.counted["a"] == 2


def test_a_key_that_must_wait_makes_the_skipped_syncs_run() -> None:
    w = _World({"a": True, "b": False, "c": False})

    def three() -> None:
        w.queue.add("a")  # skipped, holding a worker
        w.queue.add("b")  # the other worker
        w.queue.add("c")  # no worker left: "a" must free its own at its turn

    call_later(w.env, 1.0, three)
    w.run(5.0)
    assert w.ran == [(1.0, "a"), (1.0, "b"), (1.0, "c")]
    assert w.counted == Counter({"a": 1, "b": 1, "c": 1})


def test_a_run_that_stops_first_does_not_count_the_skipped_sync() -> None:
    w = _World({"a": True})
    stop = w.env.event()

    def add_then_stop() -> None:
        w.queue.add("a")
        stop.succeed("stopped")  # processed after this step, before the sync's turn? no: NORMAL, later id

    call_later(w.env, 1.0, add_then_stop)
    assert run_until(w.env, stop, w.cursor) == "stopped"
    w.queue.settle()
    assert w.counted["a"] == 1  # the sync's entry came first: it had its turn

    w2 = _World({"a": True})
    urgent = w2.env.event()

    def add_then_stop_urgently() -> None:
        w2.queue.add("a")
        urgent._ok, urgent._value = True, "stopped"
        w2.env.schedule(urgent, 0)  # URGENT: ahead of the sync's turn at this instant

    call_later(w2.env, 1.0, add_then_stop_urgently)
    assert run_until(w2.env, urgent, w2.cursor) == "stopped"
    w2.queue.settle()
    assert w2.counted["a"] == 0


CONST = dict(schedule=1, pull=2, start=3, ready=4, terminate=5, probe_period=0)
CASES: dict[str, dict[str, Any]] = {
    "const": dict(nodes=60, max_unavailable=4, **CONST),
    "const-minready": dict(nodes=40, max_unavailable=3, min_ready_seconds=6, **CONST),
    "surge": dict(nodes=80, max_surge=5, min_ready_seconds=3, **CONST),
    "percent": dict(nodes=300, max_unavailable="10%"),
    "crashloop": dict(nodes=80, max_unavailable=3, new_pods="crashloop:0.1"),
    "churn": dict(nodes=120, max_unavailable="10%", add_nodes="10@30+60", remove_nodes="5@40+100"),
    "not-ready-during": dict(nodes=100, max_unavailable="5%", not_ready_nodes="4@60"),
    "three-daemonsets": dict(nodes=50, max_unavailable=4, also=[{"name": "a", "max_unavailable": 3},
                                                                {"name": "b", "max_surge": 2}], **CONST),
}


def _result(name: str, reference: bool) -> tuple[Any, ...]:
    r = simulate(build_scenario(controller="ideal", **CASES[name]), seed=3, reference=reference)
    return r.summary, r.others, r.timeline.to_csv(), r.nodes.to_csv(), r.status.to_csv()  # events included


@pytest.mark.parametrize("name", sorted(CASES))
def test_skipping_changes_no_result(name: str) -> None:
    """The reference scan never skips (``sync_would_idle`` is false there) and decides as the
    index does (tests/test_invariants.py): a run that skips must match it, event count included.
    """
    assert _result(name, reference=False) == _result(name, reference=True)


@pytest.mark.parametrize("keys", [("a",), ("a", "b"), ("a", "b", "c")])
def test_add_after_zero_skips_and_runs_as_add_does(keys: tuple[str, ...]) -> None:
    def outcome(zero_delay: bool) -> tuple[object, ...]:
        w = _World({k: k != "b" for k in keys})
        add: Callable[[Hashable], None] = (lambda k: w.queue.add_after(k, 0.0)) if zero_delay else w.queue.add
        for i in range(30):
            key = keys[i % len(keys)]
            at = float(i // 4)
            call_later(w.env, at, add, key)
            if i % 5 == 0:  # a second add in the same step
                call_later(w.env, at, lambda k=key: (add(k), add(k)))
        w.run(20.0)
        return w.ran, dict(w.counted), next(w.env._eid), len(w.env._queue), dict(w.queue.waited)

    assert outcome(True) == outcome(False)
