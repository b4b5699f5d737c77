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
    start = "rollsim: big: 6 runs to simulate, 29 reused; a line every 30s\n"  # at once: a CI log shows it started
    assert stream.getvalue() == start
    clock.now = 20.0
    progress.run_done(500)
    assert stream.getvalue() == start  # not yet half a minute
    clock.now = 30.0
    progress.run_done(100)
    assert stream.getvalue() == start + "rollsim: big: 2 of 6 runs (33%), 29 reused, about 20s left\n"
    for _ in range(4):
        clock.now += 1
        progress.run_done(100)
    assert stream.getvalue().splitlines()[-1] == "rollsim: big: 6 of 6 runs (100%), 29 reused, done"
    assert len(stream.getvalue().splitlines()) == 3


def test_a_short_sweep_prints_its_first_line_alone_and_quiet_none() -> None:
    """A sweep shorter than half a minute printed nothing off a terminal; it says what it starts (audit
    26: a CI log showed nothing for 30 s), and no more: the summary says the rest.
    """
    for mode, said in (("lines", "rollsim: small: 2 runs to simulate; a line every 30s\n"), (None, "")):
        stream, clock = io.StringIO(), _Clock()
        progress = SweepProgress("small", [1, 1], reused=0, mode=mode, stream=stream, clock=clock)
        clock.now = 5.0
        progress.run_done(1)
        progress.run_done(1)
        progress.close()
        assert stream.getvalue() == said


def test_a_plans_counter_says_runs_and_without_a_terminal_a_line_every_half_minute(capsys) -> None:
    """It said "1 runs simulated", and only on a terminal: a plan under ``nohup`` or CI was silent."""
    from rollsim.plan.request import _counted, _Progress

    assert _counted(1, 0) == "rollsim plan: 1 run simulated"
    assert _counted(1200, 4) == "rollsim plan: 1,200 runs simulated, 4 running"
    clock = _Clock()
    on_run = _Progress(terminal=False, clock=clock)
    clock.now = 10.0
    on_run(1, 3)
    assert capsys.readouterr().err == ""
    clock.now = 31.0
    on_run(2, 4)
    assert capsys.readouterr().err == "rollsim plan: 2 runs simulated, 2 running\n"
    on_run(3, 4)
    assert capsys.readouterr().err == ""
    on_tty = _Progress(terminal=True, clock=clock)
    on_tty(5, 5)
    assert capsys.readouterr().err == "\r\x1b[Krollsim plan: 5 runs simulated"
    on_tty.phase("no setting fits")  # on a line of its own, the counter redrawn below it
    assert capsys.readouterr().err == "\r\x1b[Krollsim plan: no setting fits\n"
    on_run.phase("no setting fits")
    assert capsys.readouterr().err == "rollsim plan: no setting fits\n"


def test_a_plan_that_finds_nothing_says_so_before_it_runs_the_relaxations() -> None:
    """Audit 40: a plan with no fit ran 597 s, ten times its search, with nothing said of why."""
    from rollsim import build_scenario
    from rollsim.plan.constraints import Constraints
    from rollsim.plan.run import plan
    from rollsim.plan.search import SearchSettings

    said: list[tuple[str, int]] = []
    runs = [0]

    def on_run(done: int, submitted: int) -> None:
        runs[0] = done

    def on_phase(text: str) -> None:
        said.append((text, runs[0]))

    scenario = build_scenario(nodes=10, schedule=1, pull=2, start=3, ready=4, terminate=5)
    settings = SearchSettings(replications=2, max_replications=2, seed=1)
    # 100% available and no surge: nothing fits
    none = plan(scenario, Constraints(min_available_fraction=1.0, allow_surge=False), settings=settings, workers=1,
                executor="serial", on_run=on_run, on_phase=on_phase, report=False)
    assert none.chosen is None and len(said) == 1
    text, done = said[0]
    assert text == (f"no setting fits after {done:,} runs: simulating what relaxing each constraint would give, "
                    "which can take longer than the search") and done > 0
    said.clear()
    fits = plan(scenario, Constraints(min_available_fraction=0.5), settings=settings, workers=1, executor="serial",
                on_phase=on_phase, report=False)
    assert fits.chosen is not None and said == []


@pytest.mark.parametrize(("rows", "bar"), [(0, False), (40, True)])
def test_a_bar_only_where_the_terminal_says_its_size(rows, bar) -> None:
    """tqdm draws nothing on a terminal of 0 rows (``script``, serial consoles): lines there instead."""
    import fcntl
    import os
    import pty
    import struct
    import termios

    from rollsim.sweep.progress import draws_bar as _draws

    leader, follower = pty.openpty()
    try:
        fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", rows, 100, 0, 0))
        with os.fdopen(follower, "w", closefd=False) as stream:
            assert _draws(stream) is bar
    finally:
        os.close(leader)
        os.close(follower)
    assert _draws(io.StringIO()) is False


def test_the_seconds_after_the_last_run_are_said_where_progress_was_shown() -> None:
    """The tables, figures and report took ~12 s after the bar's 100%, silently."""
    stream, clock = io.StringIO(), _Clock()
    progress = SweepProgress("big", [1, 1], reused=0, mode="lines", stream=stream, clock=clock, every_s=30.0)
    clock.now = 31.0
    progress.run_done(1)
    progress.run_done(1)
    progress.close()
    assert stream.getvalue().splitlines()[-1] == "rollsim: big: writing the tables, figures and report"
    interrupted = SweepProgress("big", [1, 1], reused=0, mode="lines", stream=(quiet := io.StringIO()), clock=clock)
    clock.now = 70.0
    interrupted.run_done(1)
    interrupted.close()  # stopped before its last run: no tables follow
    assert "writing" not in quiet.getvalue()
