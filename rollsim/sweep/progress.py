"""A sweep's progress: a bar on a terminal, a line every half minute elsewhere, both with an
estimate of the time left weighed by what the runs cost.

The runs go largest first (``rollsim.sweep.schedule.largest_first``), so a rate counted in runs
is measured on the slowest and overstates the time left until the small runs come: about twice
the real time for most of a 300-run sweep of 1,000 to 3,000 nodes. The estimate here counts each
run by its expected cost (``run_cost``: the pods its rollout updates): the time left is the time
so far times the cost left over the cost done. Without a terminal (a pipe, ``nohup``, a CI job) a
sweep printed nothing until it ended; it now says what it starts (``rollsim: big: 300 runs to
simulate, 29 reused``: a CI log shows at once that it is running, where the first line came after
``EVERY_S``) and where it is every ``EVERY_S`` seconds, so an operator (or a CI watchdog) can tell
progress from a hang. ``-q`` silences both.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import IO, Any

from rollsim.spec.duration import format_duration

__all__ = ["EVERY_S", "SweepProgress", "draws_bar", "time_left"]

EVERY_S = 30.0  # seconds between two lines without a terminal


def draws_bar(stream: Any) -> bool:
    """Whether a bar can be drawn on ``stream``: a terminal that says its size (one of 0 rows, as
    ``script`` or a serial console reports, gets no bar from tqdm at all: lines instead).
    """
    if not stream.isatty():
        return False
    try:
        return os.get_terminal_size(stream.fileno()).lines > 0
    except (OSError, ValueError):
        return False


def time_left(elapsed_s: float, done_cost: float, total_cost: float) -> float | None:
    """Seconds left at the rate so far, by cost; None before any cost is done."""
    if done_cost <= 0 or elapsed_s <= 0:
        return None
    return elapsed_s * max(0.0, total_cost - done_cost) / done_cost


class SweepProgress:
    """The progress of ``len(costs)`` runs (``costs``: each one's expected cost, in any order),
    shown as ``mode`` says: ``"bar"`` (tqdm, on a terminal), ``"lines"`` (a line as the runs start,
    one every ``every_s``, and when the last run is done if one was printed since), or None (nothing).
    """

    def __init__(self, name: str, costs: Sequence[int], reused: int, mode: str | None,
                 stream: IO[str] | None = None, clock: Callable[[], float] = time.monotonic,
                 every_s: float = EVERY_S) -> None:
        self.name, self.total, self.reused, self.mode = name, len(costs), reused, mode
        self.total_cost = float(sum(costs)) or 1.0
        self.done = 0
        self.done_cost = 0.0
        self.stream = sys.stderr if stream is None else stream
        self.clock, self.every_s = clock, every_s
        self.started = self.last_line = clock()
        self.lines = 0  # lines printed (the last run's line only follows one: else the summary says it)
        self.bar: Any = None
        if mode == "bar":
            from tqdm import tqdm  # only when a bar is shown

            self.bar = tqdm(total=self.total, desc=name, unit="run", file=self.stream, dynamic_ncols=True,
                            bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}, {rate_fmt}{postfix}]")
            self._postfix()
        elif mode == "lines":  # not counted in ``lines``: a sweep shorter than ``every_s`` says no more
            print(self.start_line(), file=self.stream, flush=True)

    def start_line(self) -> str:
        """``rollsim: big: 300 runs to simulate, 29 reused; a line every 30s``."""
        reused = f", {self.reused:,} reused" if self.reused else ""
        return (f"rollsim: {self.name}: {self.total:,} run{'' if self.total == 1 else 's'} to simulate{reused}; "
                f"a line every {format_duration(self.every_s)}")

    def run_done(self, cost: int) -> None:
        """One run saved, of expected cost ``cost``."""
        self.done += 1
        self.done_cost += cost
        if self.bar is not None:
            self._postfix()
            self.bar.update(1)
        elif self.mode == "lines":
            now = self.clock()
            if now - self.last_line >= self.every_s or (self.done == self.total and self.lines):
                self.last_line, self.lines = now, self.lines + 1
                print(self.line(), file=self.stream, flush=True)

    def left_s(self) -> float | None:
        """The estimate of the seconds left."""
        return time_left(self.clock() - self.started, self.done_cost, self.total_cost)

    def line(self) -> str:
        """``rollsim: big: 120 of 300 runs (40%), 29 reused, about 1m10s left``."""
        share = f"{self.done / self.total:.0%}" if self.total else "100%"
        reused = f", {self.reused:,} reused" if self.reused else ""
        left = self.left_s()
        when = (", done" if self.done == self.total else "" if left is None
                else f", about {format_duration(left)} left")
        return f"rollsim: {self.name}: {self.done:,} of {self.total:,} runs ({share}){reused}{when}"

    def _postfix(self) -> None:
        left = self.left_s()
        parts = [f"{self.reused:,} reused"] if self.reused else []
        if left is not None and self.done < self.total:
            parts.append(f"~{format_duration(left)} left")
        self.bar.set_postfix_str(", ".join(parts), refresh=False)

    def close(self) -> None:
        """Close the bar; when every run is done, say what the seconds after it do (the tables,
        figures and report: about 12 s at 600 runs, silent before), where progress was shown.
        """
        if self.bar is not None:
            self.bar.close()
        if self.done == self.total and (self.bar is not None or self.lines):
            print(f"rollsim: {self.name}: writing the tables, figures and report", file=self.stream, flush=True)
