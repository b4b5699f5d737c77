"""The kubelet's timing pieces: when a readiness probe turns a pod Ready, and block sampling."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rollsim.cluster.kubelet import Sampler, readiness_delay
from rollsim.spec.distributions import Constant, LogNormal, Uniform


class TestReadinessDelay:
    """Ready on the first probe tick at or after both the app and initialDelaySeconds; ticks at
    i × period from the container start, the delay skipping ticks (``doProbe``), never moving them."""

    @pytest.mark.parametrize(
        ("app_ready", "initial_delay", "expected"),
        [(4.0, 0.0, 4.0), (0.0, 0.0, 0.0), (4.0, 6.0, 6.0), (6.0, 4.0, 6.0), (37.25, 0.0, 37.25)],
    )
    def test_period_zero_means_ready_when_the_app_is(self, app_ready, initial_delay, expected) -> None:
        assert readiness_delay(app_ready, initial_delay, 0.0) == expected

    @pytest.mark.parametrize(
        ("app_ready", "initial_delay", "period", "expected"),
        [
            (4.0, 0.0, 10.0, 10.0),    # first tick after the app is ready
            (0.5, 0.0, 10.0, 10.0),
            (25.0, 0.0, 10.0, 30.0),
            (4.0, 2.0, 10.0, 10.0),    # ticks at 0, 10, 20, ...: the delay skips the one at 0
            (13.0, 2.0, 10.0, 20.0),
            (1.0, 2.0, 10.0, 10.0),    # app ready before the delay ends: the first tick after it
            (2.0, 3.0, 10.0, 10.0),    # kubernetes/kubernetes prober worker.go: a delay of 3 or 5
            (2.0, 5.0, 10.0, 10.0),    # makes no pod Ready sooner than a delay of 0
            (2.0, 10.0, 10.0, 10.0),
            (2.0, 11.0, 10.0, 20.0),
            (0.0, 5.0, 3.0, 6.0),
        ],
    )
    def test_the_initial_delay_skips_ticks(self, app_ready, initial_delay, period, expected) -> None:
        assert readiness_delay(app_ready, initial_delay, period) == pytest.approx(expected, abs=1e-12)

    @pytest.mark.parametrize(
        ("app_ready", "initial_delay", "period"),
        [(0.0, 0.0, 10.0), (10.0, 0.0, 10.0), (20.0, 0.0, 10.0), (20.0, 2.0, 10.0), (10.0, 10.0, 10.0)],
    )
    def test_exact_tick_boundary_is_that_tick(self, app_ready, initial_delay, period) -> None:
        # A probe that runs at the very instant the app is ready succeeds (not one period later).
        assert readiness_delay(app_ready, initial_delay, period) == pytest.approx(app_ready, abs=1e-12)

    def test_boundary_survives_float_rounding(self) -> None:
        # 0.3 / 0.1 is 2.9999999999999996 in floating point: still the tick at 0.3.
        assert readiness_delay(0.3, 0.1, 0.1) == pytest.approx(0.3, abs=1e-9)

    @settings(max_examples=200, deadline=None)
    @given(
        app_ready=st.floats(0, 500, allow_nan=False),
        initial_delay=st.floats(0, 100, allow_nan=False),
        period=st.floats(0.1, 60, allow_nan=False),
    )
    def test_is_the_first_tick_not_before_the_app_nor_the_delay(self, app_ready, initial_delay, period) -> None:
        ready = readiness_delay(app_ready, initial_delay, period)
        due = max(app_ready, initial_delay)
        assert ready >= due - 1e-9 * max(1.0, due)
        ticks = ready / period
        assert ticks == pytest.approx(round(ticks), abs=1e-6)
        assert ready - period < due + 1e-9 * max(1.0, due)  # the tick before it is too early
        # a longer delay never makes the pod Ready sooner
        assert readiness_delay(app_ready, initial_delay + 1.0, period) >= ready - 1e-9


class TestSampler:
    def test_same_stream_same_values(self) -> None:
        dist = LogNormal(2.0, 5.0)
        a = Sampler(dist, np.random.default_rng(11), block=8)
        b = Sampler(dist, np.random.default_rng(11), block=8)
        assert [a() for _ in range(30)] == [b() for _ in range(30)]

    def test_values_are_the_blocks_drawn_in_turn(self) -> None:
        dist = Uniform(1.0, 9.0)
        sampler = Sampler(dist, np.random.default_rng(5), block=4)
        rng = np.random.default_rng(5)
        expected = np.concatenate([dist.sample(rng, 4) for _ in range(3)]).tolist()
        assert [sampler() for _ in range(10)] == expected[:10]

    def test_refills_only_when_the_block_is_used_up(self) -> None:
        rng = np.random.default_rng(3)
        sampler = Sampler(Uniform(0.0, 1.0), rng, block=5)
        states = []
        for _ in range(11):
            sampler()
            states.append(rng.bit_generator.state["state"]["state"])
        # Draws 1-5 come from the first block, 6-10 from the second, 11 from the third.
        assert len(set(states[0:5])) == 1
        assert len(set(states[5:10])) == 1
        assert states[0] != states[5] != states[10]

    def test_values_are_python_floats(self) -> None:
        sampler = Sampler(Constant(2.5), np.random.default_rng(0), block=3)
        values = [sampler() for _ in range(7)]
        assert values == [2.5] * 7
        assert all(type(v) is float for v in values)

    def test_different_streams_differ(self) -> None:
        dist = LogNormal(1.0, 3.0)
        a = Sampler(dist, np.random.default_rng(1))
        b = Sampler(dist, np.random.default_rng(2))
        assert [a() for _ in range(5)] != [b() for _ in range(5)]
        assert all(math.isfinite(a()) for _ in range(2000))  # crosses a block boundary
