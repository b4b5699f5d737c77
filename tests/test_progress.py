"""A sweep's progress (``rollsim.sweep.progress``): the estimate weighed by cost, the lines without a terminal."""

from __future__ import annotations

import io

import pytest
from rollsim.sweep.progress import SweepProgress, time_left


def test_time_left_is_weighed_by_cost() -> None:
    """The largest runs go first: a rate counted in runs would say 9 × 10 s = 90 s left after the first
    of ten runs when it carried half the cost; by cost, 10 s.
    """
    assert time_left(10.0, done_cost=500, total_cost=1000) == pytest.approx(10.0)
    assert time_left(10.0, done_cost=0, total_cost=1000) is None
    assert time_left(10.0, done_cost=1000, total_cost=1000) == 0.0


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_without_a_terminal_a_line_every_half_minute_and_one_at_the_end() -> None:
    stream, clock = io.StringIO(), _Clock()
    progress = SweepProgress("big", [500, 100, 100, 100, 100, 100], reused=29, mode="lines", stream=stream,
                             clock=clock, every_s=30.0)
    clock.now = 20.0
    progress.run_done(500)
    assert stream.getvalue() == ""  # not yet half a minute
    clock.now = 30.0
    progress.run_done(100)
    assert stream.getvalue() == "rollsim: big: 2 of 6 runs (33%), 29 reused, about 20s left\n"
    for _ in range(4):
        clock.now += 1
        progress.run_done(100)
    assert stream.getvalue().splitlines()[-1] == "rollsim: big: 6 of 6 runs (100%), 29 reused, done"
    assert len(stream.getvalue().splitlines()) == 2


def test_a_short_sweep_prints_no_line_and_quiet_none() -> None:
    for mode in ("lines", None):
        stream, clock = io.StringIO(), _Clock()
        progress = SweepProgress("small", [1, 1], reused=0, mode=mode, stream=stream, clock=clock)
        clock.now = 5.0
        progress.run_done(1)
        progress.run_done(1)
        progress.close()
        assert stream.getvalue() == ""
