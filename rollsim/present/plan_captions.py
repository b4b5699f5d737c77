"""The titles and captions of a plan's figures: what their marks mean in this plan, from its
plan.json and candidates.csv (``rollsim.present.plan_plots`` draws the marks).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from rollsim.present.plan_rows import common_seeds, cut_phrase, has_role, keeps_floor, stall_ruled

__all__ = ["captions"]


def captions(plan: Mapping[str, Any], candidates: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """The title and caption of each figure: what its marks mean in this plan (no star where
    nothing was recommended, no window bound where there is no window).
    """
    cons, chosen = plan["constraints"], plan["answer"] is not None
    star = "the star is the recommendation; " if chosen else "no setting meets every constraint, so none is starred; "
    least = (plan["answer"] or {}).get("least")
    square = (" The green square is the least that fits, the smallest count of the answer's family that meets every "
              f"constraint ({least['setting']})." if least else "")
    window = ""
    if cons.get("window_s"):
        q, level = f"p{100 * cons['window_probability']:g}", f"{100 * cons['confidence']:g}%"
        runs = plan["search"].get("window_confirm_runs")
        which = (f"one-sided bound on its duration {q} at {level} confidence (the normal tolerance bound; from "
                 f"{runs} runs on, as the recommendation has, the distribution-free one)" if runs else
                 f"one-sided tolerance bound on its duration {q} at {level} confidence")
        window = (f" The window is judged on a bound, not on the p95 itself: each point's whisker runs to the "
                  f"{which}, and a setting meets the window only when that bound is within the window line (an "
                  "orange tick marks one beyond it).")
    finished = np.isfinite(candidates["duration_mean_s"].astype(float))
    unfinished = "" if finished.all() else (
                  " A setting some of whose runs did not finish has no duration: it is drawn where its runs were cut "
                  f"(x: {cut_phrase(plan['search'])}), on the far edge (arrow) when they stalled.")
    full = candidates[candidates["replications"] >= int(plan["search"]["replications"])]
    floor = f"{100 * cons['min_available_fraction']:g}%"
    hollow = (f" A purple ring marks a setting that broke the availability floor ({floor}): it is on no front."
              if (~keeps_floor(full, plan)).any() else "")
    crossed = ""
    if (stall_ruled(candidates) & finished).any():  # crossed where drawn: a setting whose runs stalled is at the edge
        why = (" although its bound met the window: its family stalled (or can: maxSurge with minReadySeconds), and "
               "it did not finish as many runs of its own as show it stalls in no more rollouts than the window lets "
               "miss it (a stall misses it)" if cons.get("window_s") else
               ": its family stalled (or can: maxSurge with minReadySeconds), and it did not finish as "
               f"many runs of its own, none stalled, as show that {100 * cons['window_probability']:g}% of its "
               "rollouts finish (a stall never does)")
        crossed = " An orange cross marks a setting ruled out for stalls" + why
    verdicts = "as its window verdict is" if cons.get("window_s") else "as its verdicts are"
    own = (f" Each p95 and bound is over the setting's own replications, {verdicts} (the evidence table "
           "gives how many)." if full["replications"].nunique() > 1 else "")
    pareto = ("Each point is a setting simulated with the full replications: its duration p95 against the worst "
              "availability seen (left) and the extra pods it requests at once (right)." + window + own
              + " The dashed steps are the Pareto fronts, over the settings that kept the floor; " + star
              + "the lines are the constraints." + square + hollow
              + (crossed and crossed + "; such a setting is on no front.") + unfinished)
    ring = (" The window is not judged on the mean: an orange ring marks a setting that kept the floor and whose "
            "window bound is beyond it (see the Pareto figure)." if cons.get("window_s") else "")
    if (~keeps_floor(candidates[finished], plan)).any():
        ring += f" A purple ring marks a setting that broke the availability floor ({floor}), ruled out for it."
    seeds, screen = common_seeds(candidates, plan), plan["search"]["screen_replications"]
    over = (f" Each filled point's mean is over the first {seeds} seeds, which every one of them ran (replication r of "
            "every setting has the same seed), so the points compare; more replications of some settings are left "
            f"out here, not in the verdicts. Hollow points were only screened, their means over their {screen}."
            if seeds is not None else
            " Each point's mean is over its own replications: where their counts differ (the evidence table gives "
            "them), two points do not compare.")
    search = ("Mean duration against the budget for each family of settings: the colour is the kind, the marker and "
              "line minReadySeconds. Filled points were simulated with the full replications, hollow ones only "
              "screened" + ("; the star is the recommendation." if chosen else ".") + square + over + ring
              + (crossed and crossed + "; the evidence table says how many runs it had and needed.")
              + " A larger budget is never slower: the search bisects on that instead of simulating every count."
              + unfinished)
    baseline = _baseline_words(candidates)
    return {"pareto": ("Pareto front and the chosen setting" if chosen else "Pareto front (no setting fits)",
                       pareto + baseline),
            "search": ("How the search went", search + baseline)}


def _baseline_words(candidates: pd.DataFrame) -> str:
    """`` maxUnavailable 1, ... is the DaemonSet's current strategy, run after the search as a baseline
    (the black diamond).`` when the plan ran one (candidates.csv's role ``current``), else ""; where its runs
    did not all finish, that the diamond rings the mark any such setting gets.
    """
    rows = candidates[has_role(candidates, "current")]
    if rows.empty:
        return ""
    cut = not np.isfinite(rows["duration_mean_s"].astype(float)).all()
    mark = ", ringing the x or arrow that marks runs that did not finish, as for any setting" if cut else ""
    return (f" {rows['setting'].iloc[0]} is the DaemonSet's current strategy, run after the search as a baseline "
            f"(the black diamond{mark}).")
