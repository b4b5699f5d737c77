"""What the rows of a plan's candidates.csv are, read from its saved folder (no drawing).

Which settings have a role (the DaemonSet's current strategy, a family's top or knee), which
kept the floor, which the window or the stall rule ruled out, which mean duration compares
across settings and over how many seeds, and where unfinished runs ended (``cut_phrase``,
``unfinished_reason``). The figures (``rollsim.present.plan_plots``), their captions and the
evidence table read the plan through these, so they say the same.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from rollsim.present.plotmath import short_duration
from rollsim.present.render import format_duration

__all__ = ["baseline_only", "common_seeds", "cut_phrase", "has_role", "keeps_floor", "mean_column", "over_window",
           "stall_ruled", "unfinished_reason"]


# the reason ``rollsim.plan.answer.ruled_out`` gives, read back from a plan folder without runs_stalled
_UNFINISHED = re.compile(r"did not finish in (\d+) of \d+ replications \((stalled|[^)]*)\)")


def has_role(candidates: pd.DataFrame, role: str) -> pd.Series:
    """Which rows of candidates.csv have ``role`` among theirs (``top+knee``, ``current``); none in a
    plan folder written before it had roles.
    """
    if "role" not in candidates.columns:
        return pd.Series(False, index=candidates.index)
    return candidates["role"].map(lambda r: isinstance(r, str) and role in r.split("+"))


def cut_phrase(search: Mapping[str, Any]) -> str:
    """Where a plan's unfinished runs ended, from plan.json's ``search``: ``the plan's cut at 4
    windows (2m00s)`` when the plan cut them (``cut_windows``: a run that long cannot fit, and the
    user set no horizon), ``the scenario's horizon (1h00m00s)`` when the scenario's own came first,
    ``the horizon`` in a plan folder written before plans said which.
    """
    horizon = search.get("horizon_s")
    if horizon is None:
        return "the horizon"
    if "cut_windows" not in search:
        return f"the horizon ({format_duration(horizon)})"
    if search["cut_windows"]:
        return f"the plan's cut at {search['cut_windows']} windows ({format_duration(horizon)})"
    return f"the scenario's horizon ({format_duration(horizon)})"


def unfinished_reason(row: Mapping[str, Any], horizon: float | None) -> tuple[bool, str]:
    """Whether a setting without a duration stalled, and how its legend says why: ``stalled in
    1 of 5 runs`` (a stall ends a run; nothing was cut) or ``did not finish by 3 h in 1 of 5
    runs (runs cut there)``. A plan folder written before candidates.csv counted them is read from
    the verdict.
    """
    n = int(row["replications"])
    if "runs_stalled" in row and pd.notna(row["runs_stalled"]):
        stalled, unfinished = int(row["runs_stalled"]), int(row["runs_unfinished"])
    else:
        m = _UNFINISHED.search(str(row.get("verdict", "")))
        unfinished = int(m.group(1)) if m else n
        stalled = unfinished if m and m.group(2).startswith("stalled") else 0
    cut = unfinished - stalled
    by = f" by {short_duration(horizon)}" if horizon is not None else ""
    if stalled and cut:
        return True, f"stalled in {stalled} and did not finish{by} in {cut} of {n} runs"
    if stalled:
        return True, f"stalled in {stalled} of {n} runs"
    return False, f"did not finish{by} in {cut} of {n} runs" + (" (runs cut there)" if by else "")


def over_window(frame: pd.DataFrame, plan: Mapping[str, Any]) -> pd.Series:
    """Which settings the window rules out: their window bound (what the verdict is made on) is beyond it."""
    window = plan["constraints"].get("window_s")
    bound = frame["window_bound_s"].astype(float)
    return pd.Series(np.isfinite(bound) & (bound > float(window)) if window else False, index=frame.index)


def keeps_floor(frame: pd.DataFrame, plan: Mapping[str, Any]) -> pd.Series:
    """Which settings kept the availability floor in every replication (a tiny slack for float
    division, as ``Evidence.meets_floor``): the only ones a Pareto front is drawn over.
    """
    floor = float(plan["constraints"]["min_available_fraction"])
    return frame["worst_availability"].astype(float) >= floor - 1e-12


def stall_ruled(frame: pd.DataFrame) -> pd.Series:
    """Which settings the plan ruled out for stalls (candidates.csv
    ``ruled_out_for_stalls``: ``rollsim.plan.answer.stalls_too_often``); none in an older plan folder.
    """
    if "ruled_out_for_stalls" not in frame:
        return pd.Series(False, index=frame.index)
    return frame["ruled_out_for_stalls"].astype(str).str.lower().isin(("true", "1"))


def mean_column(candidates: pd.DataFrame) -> str:
    """The mean duration the search figure draws: over the seeds every confirmed setting ran
    (``duration_mean_common_s``: replication r of each setting has the r-th common seed, so
    these compare), or, in a plan folder written before candidates.csv had it, each setting's
    mean over its own replications.
    """
    return "duration_mean_common_s" if "duration_mean_common_s" in candidates.columns else "duration_mean_s"


def common_seeds(candidates: pd.DataFrame, plan: Mapping[str, Any]) -> int | None:
    """How many seeds the confirmed settings' comparable means are over (None in an older folder)."""
    full = candidates[candidates["replications"] >= int(plan["search"]["replications"])]
    if "common_replications" not in candidates.columns or full.empty:
        return None
    return int(full["common_replications"].min())


def baseline_only(candidates: pd.DataFrame) -> pd.Series:
    """The rows that are the DaemonSet's current strategy alone (role ``current``, not also a family's top
    or knee): run after the search by an evaluator of its own, so no point of the search's lines.
    """
    if "role" not in candidates.columns:
        return pd.Series(False, index=candidates.index)
    return candidates["role"].map(lambda r: isinstance(r, str) and r.split("+") == ["current"])
