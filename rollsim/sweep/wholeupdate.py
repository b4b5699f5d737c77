"""The whole update of a run: the study's DaemonSet and the others updated with it (``also``).

``runs.csv`` gives the study's DaemonSet's figures in its plain columns (``completed``, ...) and
each other DaemonSet's as ``<name>.completed``, ``<name>.duration_s`` and so on (empty in a
configuration without it). An update is done when every DaemonSet of it completed, as
``kubectl rollout status`` would have to say of each of them: the recommendation counts that
(``rollsim.present.report_verdict``), and ``summary.csv`` and ``rollsim run -o json`` carry it
(``update_columns``), so that neither says "completed" of an update one of whose DaemonSets
never did.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["completed_flags", "other_names", "other_done", "update_done", "update_columns"]

_TRUE = ("true", "1", "1.0", "yes")


def other_names(runs: pd.DataFrame) -> list[str]:
    """The other DaemonSets of a study's runs (``also``): ``runs.csv`` carries ``<name>.duration_s``."""
    return sorted({c[: -len(".duration_s")] for c in runs.columns if c.endswith(".duration_s")})


def _truth(value: Any) -> float:
    """A completed flag as a number: 1.0, 0.0, or NaN where the DaemonSet was not updated in the run
    (a run record gives a bool, ``runs.csv`` read back may give text or a number).
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return math.nan
    if isinstance(value, str):
        return 1.0 if value.strip().lower() in _TRUE else 0.0
    return 1.0 if bool(value) else 0.0


def other_done(runs: pd.DataFrame, name: str) -> np.ndarray:
    """Per run whether the other DaemonSet ``name`` completed: 1, 0, or NaN where it was not
    updated (a configuration without it; runs saved before ``<name>.completed`` was kept).
    """
    column = f"{name}.completed"
    if column not in runs:
        return np.full(len(runs), math.nan)
    return np.array([_truth(v) for v in runs[column].tolist()], dtype=float)


def completed_flags(runs: pd.DataFrame) -> np.ndarray:
    """Per run whether the study's DaemonSet completed (``runs.csv``'s ``completed``, as a bool,
    text or a number).
    """
    return np.array([_truth(v) == 1.0 for v in runs["completed"].tolist()], dtype=bool)


def update_done(runs: pd.DataFrame, names: Sequence[str] | None = None) -> np.ndarray:
    """Per run whether the whole update completed: the study's DaemonSet and every other
    DaemonSet updated in that run (``names``: ``other_names(runs)`` when not given).
    """
    done = completed_flags(runs)
    for name in other_names(runs) if names is None else names:
        done &= other_done(runs, name) != 0.0  # NaN (not updated) holds nothing back
    return done


def update_columns(group: pd.DataFrame, names: Sequence[str]) -> dict[str, Any]:
    """One configuration's whole-update columns of ``summary.csv``: ``update_completed`` (runs
    in which every DaemonSet of the update completed; ``completed`` when there is no other),
    ``update_completed_fraction``, and per other DaemonSet ``<name>.completed`` (in how many of
    the ``runs`` it completed; empty where the configuration does not update it).
    """
    done = update_done(group, names)
    out: dict[str, Any] = {"update_completed": int(done.sum()),
                           "update_completed_fraction": float(done.mean()) if len(done) else math.nan}
    for name in names:
        flags = other_done(group, name)
        ran = flags[~np.isnan(flags)]
        out[f"{name}.completed"] = int(ran.sum()) if len(ran) else math.nan
    return out
