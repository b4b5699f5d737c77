"""Scheduled calls and the inlined run loop take exactly the places SimPy's own events and loop would."""

from __future__ import annotations

import pytest
import simpy
from rollsim.cluster.timers import call_later, call_soon, run_until


def _mixed(use_calls: bool, runner) -> list[tuple[float, str]]:
    """Timeouts, processes and (or, with ``use_calls``, instead) calls at tied instants; the order they ran in."""
    env = simpy.Environment()
    log: list[tuple[float, str]] = []

    def later(name: str, delay: float) -> None:
        if use_calls:
            call_later(env, delay, lambda: log.append((env.now, name)))
        else:
            env.timeout(delay).callbacks.append(lambda _e: log.append((env.now, name)))

    def started(name: str) -> None:
        if use_calls:
            call_soon(env, lambda: log.append((env.now, name)))
        else:
            def proc():
                log.append((env.now, name))
                yield env.timeout(0)
            env.process(proc())

    def chain():
        for i in range(3):
            yield env.timeout(1.0)
            log.append((env.now, f"chain{i}"))
            later(f"from-chain{i}", 0.0)
            started(f"start{i}")
            later(f"tie{i}", 1.0)

    env.process(chain())
    for i, delay in enumerate((2.0, 1.0, 2.0, 0.0, 3.0)):
        later(f"t{i}", delay)
    stop = env.timeout(10.0, value="stopped")
    assert runner(env, stop) == "stopped"
    return log


@pytest.mark.parametrize("use_calls", [False, True])
def test_run_until_processes_events_in_simpys_order(use_calls: bool) -> None:
    assert _mixed(use_calls, run_until) == _mixed(use_calls, lambda env, stop: env.run(until=stop))


def test_calls_fall_where_timeouts_and_process_starts_would() -> None:
    assert _mixed(True, run_until) == _mixed(False, run_until)


def test_run_until_returns_at_once_for_a_processed_event() -> None:
    env = simpy.Environment()
    done = env.timeout(1.0, value=7)
    env.run()
    assert run_until(env, done) == 7


def test_a_failed_event_crashes_the_run_as_in_simpy() -> None:
    env = simpy.Environment()
    env.event().fail(KeyError("lost"))
    with pytest.raises(KeyError, match="lost"):
        run_until(env, env.timeout(5.0))


def test_an_empty_schedule_before_the_event_is_an_error() -> None:
    env = simpy.Environment()
    call_later(env, 1.0, lambda: None)
    with pytest.raises(RuntimeError, match="No scheduled events left"):
        run_until(env, env.event())
    assert env.now == 1.0
