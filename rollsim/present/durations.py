"""What the duration figure (``rollsim.present.summary_plots``) shows of each configuration: no
matplotlib here.

The figure shows what the results table shows: the mean duration of the runs that completed
(marked ``*`` in the table, and drawn apart, where not all did), when the others stopped, and,
when the SLO judges another statistic than the mean (``p95``, ``worst``), that statistic too, so
that a mean under the SLO's line is never read as a pass. A configuration none of whose runs
completed has no duration and is placed at none.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from rollsim.present.plotdata import Stops, half_filled, stops
from rollsim.present.plotmath import time_unit, wants_log, when
from rollsim.present.render import format_duration
from rollsim.present.study import slo_specs
from rollsim.sweep.results import Results

__all__ = ["Durations", "clipped_note", "durations", "never_text", "partial_text", "slo_statistic", "statistic_name"]

# how an SLO's statistic over replications is named in a legend
_STATISTIC_NAMES = {"mean": "mean", "p50": "median", "p95": "p95", "max": "longest run's",
                    "worst": "longest run's", "min": "shortest run's"}


@dataclass(frozen=True)
class Durations:
    """The duration figure's numbers per configuration (a row of ``summary``), in seconds, and its axis."""

    summary: pd.DataFrame
    stops: dict[int, Stops]  # configurations whose runs did not all complete
    mean: np.ndarray  # mean duration of the runs that completed (NaN when none did)
    err: np.ndarray  # the CI below and above the mean, in axis units
    full: np.ndarray  # completed every replication
    partial: np.ndarray  # some runs completed, some did not: the table's ``*``
    never: np.ndarray  # no run completed: no duration
    stopped: np.ndarray  # when the runs that did not complete stopped (mean; NaN unless partial)
    others: dict[int, str]  # half_filled: what of the other DaemonSets (also) did not complete
    other: np.ndarray  # its own DaemonSet completed every time, another of the update did not
    judged: np.ndarray  # the statistic the SLO's duration limit judges, where it is not the mean (else NaN)
    log: bool
    top: float
    bottom: float
    div: float
    unit: str
    limit: float | None  # the SLO's duration limit
    statistic: str  # the statistic it judges

    def slo_label(self) -> str:
        """The SLO line's legend entry, naming the statistic it judges."""
        limit = when(self.limit or 0.0, self.div, self.unit, self.log)
        return f"SLO: {statistic_name(self.statistic)}duration ≤ {limit}"

    def judged_label(self) -> str:
        """The legend's entry for the crosses at the statistic the SLO judges."""
        return f"{_STATISTIC_NAMES.get(self.statistic, self.statistic)} duration: what the SLO judges"

    def label(self, i: int) -> str:
        """What configuration ``i``'s marker is, as its label beside it says it."""
        config = int(self.summary["config"][i])
        if self.partial[i]:
            return partial_text(self.stops[config], float(self.mean[i]))
        text = format_duration(float(self.mean[i]))
        return f"{text}; {self.others[config]}" if self.other[i] else text


def statistic_name(statistic: str) -> str:
    """How a legend names the statistic over replications an SLO judges, before ``duration``: none for the mean."""
    return "" if statistic == "mean" else f"{_STATISTIC_NAMES.get(statistic, statistic)} "


def partial_text(stop: Stops, mean: float) -> str:
    """``3/5 completed: mean 3h29m50s*; 2 stopped at 2h09m38s (mean)``: what both markers of a
    configuration whose runs did not all complete are.
    """
    return (f"{stop.completed}/{stop.runs} completed: mean {format_duration(mean)}*; "
            f"{stop.stopped} stopped at {format_duration(stop.end_s)} (mean)")


def never_text(stop: Stops | None, cause: Any) -> str:
    """``no run completed (0/3; stop cause: not-ready-nodes): no duration``."""
    counted = f"0/{stop.runs}" if stop is not None else "0"
    why = f"; stop cause: {cause}" if isinstance(cause, str) and cause else ""
    return f"no run completed ({counted}{why}): no duration"


def slo_statistic(results: Results) -> tuple[float | None, str, str]:
    """The SLO's duration limit, the statistic it judges and the summary column holding that statistic."""
    for c in slo_specs(results):
        if c.get("metric") == "duration_s" and c.get("bound") == "max":
            return float(c["limit"]), str(c.get("statistic", "worst")), f"slo_{c.get('key', 'max_duration_s')}"
    return None, "mean", ""


def _column(s: pd.DataFrame, name: str, default: np.ndarray) -> np.ndarray:
    return s[name].astype(float).to_numpy() if name in s else default


def _interval(s: pd.DataFrame, mean: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The CI around each mean; one whose lower end reaches below 0 (a t interval of a few runs)
    has no lower whisker, as the table gives its upper end alone (audit 18: a whisker to 0, or to
    a log axis' edge, read as a bound).
    """
    lo, hi = _column(s, "duration_s_ci_low", mean), _column(s, "duration_s_ci_high", mean)
    lo, hi = np.where(np.isnan(lo), mean, lo), np.where(np.isnan(hi), mean, hi)
    return np.where(lo < 0, mean, lo), hi


def durations(results: Results) -> Durations:
    """The duration figure's numbers and axis scale, from the summary and the runs."""
    s = results.summary.reset_index(drop=True)
    ended = stops(results)
    configs = [int(c) for c in s["config"]]
    mean = _column(s, "duration_s_mean", np.full(len(s), math.nan))
    done = np.isfinite(mean)
    cut = np.array([c in ended for c in configs], dtype=bool)
    full, partial, never = done & ~cut, done & cut, ~done & cut
    stopped = np.array([ended[c].end_s if c in ended else math.nan for c in configs], dtype=float)
    stopped = np.where(partial, stopped, math.nan)
    others = half_filled(results)
    other = full & np.array([c in others for c in configs], dtype=bool)
    limit, statistic, column = slo_statistic(results)
    judged = _column(s, column, np.full(len(s), math.nan)) if statistic != "mean" else np.full(len(s), math.nan)
    judged = np.where(np.isfinite(judged) & done, judged, math.nan)
    lo, hi = _interval(s, mean)
    placed = np.r_[mean[done], stopped[partial], judged[np.isfinite(judged)]]
    positive = placed[placed > 0]
    log = bool(len(positive)) and wants_log(float(positive.max()), float(positive.min()))
    tops = np.r_[hi[done], placed]
    top = float(tops.max()) if len(tops) else 1.0
    bottom = float(np.r_[lo[done & (lo > 0)], positive].min()) if len(positive) else 1.0
    div, unit = (1.0, "log scale") if log else time_unit(top)
    err = np.nan_to_num(np.vstack([mean - lo, hi - mean]).clip(min=0)) / div
    return Durations(s, ended, mean, err, full, partial, never, stopped, others, other, judged, log, top, bottom,
                     div, unit, limit, statistic)


def clipped_note(results: Results) -> str:
    """The duration caption's sentence on an interval that reaches below 0 (a t interval of few
    replications), as the figure draws it: its upper whisker alone; empty when no drawn interval does.
    """
    d = durations(results)
    low = _column(d.summary, "duration_s_ci_low", np.full(len(d.summary), math.nan))
    if not bool((np.isfinite(d.mean) & (low < 0)).any()):
        return ""
    return (" An interval reaching below 0 (a t interval of a few replications) has its upper whisker alone: its "
            "lower end says nothing, and the table gives the upper (≤ ...; no lower end).")
