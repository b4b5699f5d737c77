"""The kubelet's pod worker (rollsim.cluster.podworker): a back-off ends at the first pod sync after it."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rollsim.cluster.podworker import (
    BACKOFF_PERIOD_S,
    JITTER_FACTOR,
    RESYNC_INTERVAL_S,
    SYNC_TICK_S,
    PodWorkers,
    first_sync_at_or_after,
    jitter,
    on_tick,
    requeue_delay,
)
from rollsim.spec.versions import rules_for


class Constant:
    """A stand-in for the run's generator whose every ``random()`` is ``u``."""

    def __init__(self, u: float) -> None:
        self.u, self.calls = u, 0

    def random(self) -> float:
        self.calls += 1
        return self.u


def test_wait_jitter() -> None:
    """``wait.Jitter(d, f)`` is d + rand.Float64() × f × d: 10 s × [1, 1.5) for the pod worker."""
    assert jitter(10.0, 0.5, 0.0) == 10.0 and jitter(10.0, 0.5, 0.5) == 12.5
    assert requeue_delay(None, 0.0) == BACKOFF_PERIOD_S == 10.0
    assert requeue_delay(None, 0.999999) < BACKOFF_PERIOD_S * (1 + JITTER_FACTOR) == 15.0


@pytest.mark.parametrize(("left", "u", "delay"), [
    (5.0, 0.0, 5.0), (5.0, 0.5, 6.25), (200.0, 0.0, RESYNC_INTERVAL_S), (200.0, 0.5, 75.0), (-3.0, 0.9, 0.0)])
def test_a_backoff_error_requeues_at_its_expiry_clamped_to_the_resync_interval(left, u, delay) -> None:
    """kubernetes/kubernetes#133066: the time left to the back-off, clamped to [0, resyncInterval], jittered."""
    assert requeue_delay(left, u) == delay


@pytest.mark.parametrize(("version", "carries"), [
    ("1.33", False), ("1.34", False), ("1.35", True), ("1.36", True), ("1.37", True)])
def test_the_backoff_error_from_v1_35(version, carries) -> None:
    assert rules_for(version).backoff_error_carries_expiry is carries


@pytest.mark.parametrize(("t", "phase", "tick"), [(3.0, 0.0, 3.0), (3.2, 0.5, 3.5), (3.5, 0.5, 3.5), (3.6, 0.5, 4.5),
                                                 (0.1 + 0.2, 0.3, 0.3)])
def test_the_sync_ticker(t, phase, tick) -> None:
    assert on_tick(t, phase) == pytest.approx(tick)


def test_constant_jitter_gives_exact_syncs() -> None:
    """From a sync at 0.5 s, u = 0 and ticks on whole seconds: 10.5 → 11, 21, 31, 41: a back-off
    expiring at 40 s ends at the 41 s sync; u = 0.5 (12.5 s, ticks at .5): 0.5, 13.5, 26.5, 39.5, 52.5."""
    assert first_sync_at_or_after(40.0, 0.5, lambda: 0.0, 0.0, False) == 41.0
    assert first_sync_at_or_after(40.0, 0.5, lambda: 0.5, 0.5, False) == 52.5
    assert first_sync_at_or_after(39.5, 0.5, lambda: 0.5, 0.5, False) == 39.5
    # the expiry carried (v1.35 on): 0.5 + 39.5 × 1.25 = 49.875, on the next tick 50.5; u = 0: the tick at/after 40
    assert first_sync_at_or_after(40.0, 0.5, lambda: 0.5, 0.5, True) == 50.5
    assert first_sync_at_or_after(40.0, 0.5, lambda: 0.0, 0.0, True) == 40.0
    # a 300 s back-off: requeues of 60 s (the resync interval) until less than that is left
    assert first_sync_at_or_after(300.0, 0.5, lambda: 0.0, 0.5, True) == 300.5
    assert first_sync_at_or_after(300.0, 0.5, lambda: 0.5, 0.5, True) == 300.5  # 75.5, 150.5, 225.5, 300.5


@given(expiry=st.floats(0, 400), sync=st.floats(0, 400), phase=st.floats(0, 0.999),
       us=st.lists(st.floats(0, 0.999999), min_size=60, max_size=60), carries=st.booleans())
def test_never_before_the_expiry_and_at_most_one_requeue_after_it(expiry, sync, phase, us, carries) -> None:
    """The sync that ends a back-off is at or after its expiry, and no later than one requeue and a tick
    after the last sync before it: 15 s + 1 s with the worker's 10 s period; half the time left (at most
    the 60 s resync interval) + 1 s when the error carries the expiry."""
    draws = iter(us)
    at = first_sync_at_or_after(expiry, sync, lambda: next(draws), phase, carries)
    if sync >= expiry - 1e-9:  # at the expiry, within float error: that sync ends it
        assert at == sync
        return
    assert at >= expiry - 1e-9
    late = JITTER_FACTOR * min(expiry - sync, RESYNC_INTERVAL_S) if carries else BACKOFF_PERIOD_S * (1 + JITTER_FACTOR)
    assert at < expiry + late + SYNC_TICK_S
    assert abs((at - phase) - round(at - phase)) < 1e-6  # on a tick of the node's syncTicker


def test_the_first_restart_waits_for_the_relist_only() -> None:
    """No back-off entry after the first exit: the container restarts at the relist's sync, u × 1 s later."""
    rng = Constant(0.25)
    assert PodWorkers(rng, carries_expiry=False).restart_at(3, 100.0, 0.0) == 100.25  # type: ignore[arg-type]
    assert rng.calls == 1  # the relist delay only: no ticker phase, no jitter


def test_a_restart_after_back_off() -> None:
    """Exit at 100 s, back-off 20 s, u = 0.25 everywhere: relist at 100.25, ticks at .25, requeues of
    11.25 s: 111.5 → 112.25, 123.5 → 124.25 (v1.34); the expiry carried (v1.35 on): 19.75 s left,
    100.25 + 19.75 × 1.125 = 122.47, on the tick 123.25."""
    assert PodWorkers(Constant(0.25), carries_expiry=False).restart_at(0, 100.0, 20.0) == 124.25  # type: ignore[arg-type]
    assert PodWorkers(Constant(0.25), carries_expiry=True).restart_at(0, 100.0, 20.0) == 123.25  # type: ignore[arg-type]


def test_a_pull_again_after_back_off() -> None:
    """Failed at 6 s, back-off 10 s, u = 0: the failed sync requeues to 16 s, on a tick (phase 0): the
    pull is retried at 16 s; 20 s more: 26, 36."""
    workers = PodWorkers(Constant(0.0), carries_expiry=True)  # type: ignore[arg-type]
    assert workers.pull_again_at(0, 6.0, 10.0) == 16.0 and workers.pull_again_at(0, 16.0, 20.0) == 36.0
    assert PodWorkers(Constant(0.5), carries_expiry=True).pull_again_at(0, 6.0, 10.0) == 18.5  # type: ignore[arg-type]


def test_an_image_back_off_never_carries_its_expiry() -> None:
    """Even where a crash loop's does (v1.35+): failed at 6 s, back-off 80 s (to 86 s), u = 0.5 (phase
    0.5, requeues of 12.5 s): syncs at 18.5, 31.5, ... 83.5, then 96.5, where the pull is retried.
    Carried, the expiry would have requeued by 60 s (clamped) × 1.25 to the 81.5 tick, then by the
    4.5 s left × 1.25 to the 87.5 tick: 9 s earlier."""
    assert PodWorkers(Constant(0.5), carries_expiry=True).pull_again_at(0, 6.0, 80.0) == 96.5  # type: ignore[arg-type]
    assert first_sync_at_or_after(86.0, 6.0, lambda: 0.5, 0.5, True) == 87.5  # what carrying it would give


def test_each_node_has_its_own_ticker_phase_drawn_once() -> None:
    rng = Constant(0.5)
    workers = PodWorkers(rng, carries_expiry=False)  # type: ignore[arg-type]
    workers.pull_again_at(7, 0.0, 10.0)
    first = rng.calls  # the phase of node 7 and one jitter (12.5 s: past the 10 s back-off)
    workers.pull_again_at(7, 0.0, 10.0)
    assert (first, rng.calls - first) == (2, 1)  # the phase is not drawn again
    assert math.isclose(workers._phases[7], 0.5)


def test_a_sync_within_float_error_of_the_expiry_ends_the_back_off() -> None:
    """A tick a hair (< 1e-9 s) before the expiry is the expiry: with the expiry carried
    (v1.35+), the time left would requeue to that same tick for ever otherwise.
    """
    assert first_sync_at_or_after(10.0 + 5e-10, 10.0, lambda: 0.5, 0.0, True) == 10.0
