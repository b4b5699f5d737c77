"""The evidence section of a plan's report: the settings weighed against the answer, one table
row each (their means over common seeds, p50, p95, bound, worst availability, verdict), and
the notes that say what the columns are over.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from rollsim.present.plan_rows import cut_phrase, has_role
from rollsim.present.render import count_of, format_bound, format_duration, format_share

__all__ = ["bound_name", "current_marked", "duration_text", "evidence", "margin_words", "weighed"]


def duration_text(x: Any) -> str:
    """A duration cell: ``format_duration`` of a number, or of None."""
    return format_duration(None if x is None else float(x))


def margin_words(bound_s: Any, window_s: Any) -> str:
    """``; 29s within the window ...``: how far the answer's bound is from the window, and where that
    is under a twentieth of it, that a plan at another seed can answer otherwise (audit 30: 29 s of
    30 min, where 9 of 10 other seeds found nothing); "" without a window or a finite bound.
    """
    if window_s is None or bound_s is None or not math.isfinite(float(bound_s)):
        return ""
    margin = max(0.0, math.floor(float(window_s) - float(bound_s)))
    narrow = " (a narrow margin: the bound moves with the seeds, and another --seed can answer otherwise)" \
        if margin < 0.05 * float(window_s) else ""
    return f"; {format_duration(margin)} within the window{narrow}"


def _verdict(text: str, mean: Any = None, seeds: int | None = None) -> str:
    """A verdict without the "screened (n replications): " its table's heading already says; the
    chosen setting's with its mean duration (over its ``seeds`` when given), as the rejected ones
    give theirs.
    """
    text = text.split("): ", 1)[-1] if text.startswith("screened") else text
    if text == "chosen" and mean is not None and math.isfinite(float(mean)):
        return f"chosen: mean {format_duration(float(mean))}" + (f" over its {seeds} seeds" if seeds else "")
    return text


def _seed_note(k: int | None, bound: str = "window bound") -> str:
    """Why the table's columns are over different seeds, when its settings ran different replications
    (``bound``: the bound column's name, ``bound_name``).
    """
    unclear = "a window, stall" if bound == "window bound" else "a stall"
    if k is None:  # a plan folder written before candidates.csv had the means over common seeds
        return (f"Settings ran different numbers of replications (more where {unclear} or \"as fast\" verdict was "
                "unclear): each p50 and p95 is over the setting's own, so they do not compare from row to row; the "
                "verdicts compare means over the seeds both settings ran.")
    verdicts = "the window, stall and floor verdicts" if bound == "window bound" else "the stall and floor verdicts"
    return (f"Settings ran different numbers of replications (more where {unclear} or \"as fast\" verdict was "
            f"unclear), and replication r of every setting ran the same seed. So that rows compare, the mean is "
            f"over the first {k} seeds, which every setting in the table ran (a few seeds: it can differ from the "
            "mean over a setting's own runs by minutes, which candidates.csv's duration_mean_s gives); the p50, p95, "
            f"the {bound} and the worst availability are over each setting's own replications, as the answer's "
            f"and {verdicts} are; a verdict's means are paired with the fastest's over the seeds both ran.")


def bound_name(constraints: Mapping[str, Any]) -> str:
    """``window bound``, or without a window the quantile it bounds (``p95 bound``)."""
    if constraints.get("window_s") is not None:
        return "window bound"
    return f"p{100 * constraints['window_probability']:g} bound"


def _evidence_table(frame: pd.DataFrame, floor: tuple[float, ...], horizon: Any = None,
                    cut: str = "the horizon", bound: str = "window bound") -> list[tuple]:
    """One table of settings: their means over the seeds all of them ran (with a note saying so when
    their replications differ), their p50, p95, window bound and worst availability over their own runs
    (the answer's p50 is over its own: one table row and the answer must not give two; audit 18). A
    setting every run of which was cut at the ``horizon`` took longer than it: ``> 1h20m00s``, not ∞
    (the current strategy's maxUnavailable 1 on 500 nodes, cut at 4 windows, never stalled). A worst
    availability that counts runs which did not finish is marked ``†`` and a note under the table says
    so (``cut``: where they were cut), as a study's report marks figures of runs cut short: such a run
    counts only until it stopped, and a rollout let run on could go lower.
    """
    common = "duration_mean_common_s" in frame.columns
    k = int(frame["common_replications"].min()) if common and len(frame) else None
    # a row whose own runs are more than the seeds its mean is over says so, one row alone too (a table of
    # the answer alone read "mean 24m03s" beside "chosen: mean 26m24s", its 5 seeds against its 80)
    varied = frame["replications"].nunique() > 1 or (k is not None and bool((frame["replications"] > k).any()))
    over = f" (first {k} seeds)" if varied and k is not None else ""
    header = ["setting", "replications", *([f"mean{over}"] if common else []), "p50", "p95", bound,
              "worst availability", "extra pods", "verdict"]
    rows, unfinished = [], False
    for _, r in frame.iterrows():  # the p50 over the setting's own runs, as the answer and candidates.csv give it
        d, up = _cell_for(r, horizon), _cell_for(r, horizon, format_bound)  # a bound: rounded up
        cut_short = _unfinished_runs(r) > 0
        unfinished = unfinished or cut_short
        rows.append([str(r["setting"]), str(int(r["replications"])),
                     *([d(r["duration_mean_common_s"])] if common else []), d(r["duration_p50_s"]),
                     d(r["duration_p95_s"]), up(r["window_bound_s"]),
                     format_share(r["worst_availability"], floor) + ("†" if cut_short else ""),
                     str(int(r["extra_pods"])),
                     _verdict(str(r["verdict"]), r.get("duration_mean_s"),
                              int(r["replications"]) if varied else None)])
    note: list[tuple] = [("p", [("", _seed_note(k, bound) + _bound_note(frame, bound))])] if varied else []
    after: list[tuple] = [("p", [("", _cut_note(cut))])] if unfinished else []
    return [*note, ("table", header, rows), *after]


def _cell_for(row: Mapping[str, Any] | pd.Series, horizon: Any,
              text: Callable[[Any], str] | None = None) -> Callable[[Any], str]:
    """How a duration cell of ``row`` is written (by ``text``: ``duration_text``, or for a bound
    ``format_bound``, rounded up). Every run cut at the ``horizon``, still going: each figure is over
    it, ``> 1h20m00s``. Some cut, none stalled: a figure its cut runs decide is not known, ``—`` (∞
    said that it was infinite; a figure that falls among the finished runs, as a median can, is
    given). A stalled run never finishes: ∞ is its duration.
    """
    write = text or duration_text
    if _all_cut(row) and horizon is not None:
        return lambda _x: f">\u00a0{duration_text(horizon)}"  # one line in a cell
    if _unfinished_runs(row) and not _stalled_runs(row):
        return lambda x: "—" if x is None or not math.isfinite(float(x)) else write(x)
    return write


def _stalled_runs(row: Mapping[str, Any] | pd.Series) -> int:
    """How many of the setting's runs stalled."""
    return _run_count(row, "runs_stalled")


def _unfinished_runs(row: Mapping[str, Any] | pd.Series) -> int:
    """How many of the setting's runs did not finish (cut or stalled)."""
    return _run_count(row, "runs_unfinished")


def _run_count(row: Mapping[str, Any] | pd.Series, column: str) -> int:
    """A count of runs from candidates.csv; 0 in an older one, which has no such column."""
    try:
        n = float(row[column])
    except (KeyError, TypeError, ValueError):
        return 0
    return int(n) if math.isfinite(n) else 0


def _cut_note(cut: str) -> str:
    """What a ``†`` on a worst availability means (``cut``: where the plan cut its runs)."""
    return (f"† Over runs that did not all finish (still running at {cut}, or stalled; the verdict says how "
            "many): a run that did not finish counts only until it stopped, so this is the worst seen until then, "
            "not the rollout's, and a rollout let run on could go lower. A duration its runs still going decide "
            "is not known (—); a stalled run never finishes (∞).")


def _all_cut(row: Mapping[str, Any] | pd.Series) -> bool:
    """Every run of the setting was still going when cut (none finished, none stalled)."""
    try:
        return int(row["runs_unfinished"]) == int(row["replications"]) and int(row["runs_stalled"]) == 0
    except (KeyError, TypeError, ValueError):  # an older candidates.csv, or no count
        return False


def _bound_note(frame: pd.DataFrame, bound: str = "window bound") -> str:
    """What the ``bound`` column holds when its rows are of two kinds (a setting confirmed on the
    runs a distribution-free bound needs, the others screened on the normal bound), else nothing.
    """
    kinds = frame["window_bound_kind"].astype(str) if "window_bound_kind" in frame.columns else None
    free = kinds.str.startswith("distribution-free") if kinds is not None else None
    if free is None or not free.any() or free.all():
        return ""
    runs = int(frame.loc[free, "replications"].min())
    return (f" The {bound} of a setting run {runs} times or more is distribution-free (an order statistic of "
            "its runs, which candidates.csv's window_bound_kind names), the others' the normal tolerance bound the "
            "search screens on, which is "
            "optimistic where stragglers skew the durations: so a confirmed setting's bound can read longer than "
            "its neighbours'.")


def weighed(plan: Mapping[str, Any], candidates: pd.DataFrame) -> pd.Series:
    """Which settings the evidence table (and the console's "ruled out") shows: the answer and what it
    was weighed against (the fastest that fits, the unsettled, those passed over for their stalls,
    the least that fits, each family's top and knee, and the count above the top, which broke the
    floor, and the settings of its family whose runs stalled, its stall risk's evidence: audit 40,
    maxSurge 416 and 417 stalled beside the answer 418, and only the console's "ruled out" showed
    them), the settings the relaxations name, and the DaemonSet's current strategy (role
    ``current``). Left out: the search's steps to them, such as the floor relaxation's
    maxUnavailable 263 to 499 with 3-47% of the nodes available (audit 18), which candidates.csv
    keeps. When nothing was weighed, and in a plan folder written before candidates.csv had roles,
    every setting shows.
    """
    if "role" not in candidates.columns:
        return pd.Series(True, index=candidates.index)
    a, names = plan.get("answer"), set()
    if a is not None:
        names |= {a["setting"], (a.get("pace") or {}).get("fastest")}
        names |= {u["setting"] for u in a.get("unsettled") or []}
        names |= {o["setting"] for o in (a.get("stall_risk") or {}).get("passed_over") or []}
        names |= {(a.get("least") or {}).get("setting")}
    names |= {r.get(k) for r in plan.get("relaxations") or [] for k in ("setting", "cited")}
    weighed_ = (candidates["setting"].isin(names - {None}) | has_role(candidates, "top") | has_role(candidates, "knee")
                | _above_top(plan, candidates) | _stalled_beside(a, candidates))
    if not weighed_.any():  # nothing was weighed (every setting stalled, say): the table shows them all
        return pd.Series(True, index=candidates.index)
    return weighed_ | has_role(candidates, "current")


def _stalled_beside(answer: Mapping[str, Any] | None, candidates: pd.DataFrame) -> pd.Series:
    """The settings of the answer's family (its kind and minReadySeconds) some of whose runs stalled."""
    if answer is None or "runs_stalled" not in candidates.columns:
        return pd.Series(False, index=candidates.index)
    return ((candidates["kind"] == answer["kind"])
            & (candidates["min_ready_seconds"].astype(float) == float(answer["min_ready_seconds"]))
            & (pd.to_numeric(candidates["runs_stalled"], errors="coerce").fillna(0) > 0))


def _above_top(plan: Mapping[str, Any], candidates: pd.DataFrame) -> pd.Series:
    """The count above each family's top, run in full: what broke the floor one pod past it."""
    tops, full = plan["search"].get("tops") or {}, int(plan["search"]["replications"])
    top = [tops.get(f"{k}, minReadySeconds {float(m):g}") for k, m in zip(candidates["kind"],
                                                                        candidates["min_ready_seconds"])]
    return pd.Series([t is not None and int(n) == t + 1 and r >= full for t, n, r in
                      zip(top, candidates["count"], candidates["replications"])], index=candidates.index)


def current_marked(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (candidates.csv's rows) with the current strategy's named so: ``maxUnavailable 1,
    minReadySeconds 0 (current strategy, the baseline)``.
    """
    current = has_role(frame, "current")
    named = [f"{s} (current strategy, the baseline)" if c else s for s, c in zip(frame["setting"], current)]
    return frame.assign(setting=pd.Series(named, index=frame.index, dtype=object))


def evidence(plan: Mapping[str, Any], candidates: pd.DataFrame, shown: pd.Series | None = None) -> list[tuple]:
    """The evidence section: the rows ``shown`` (``weighed``'s, computed here when not given), the
    baseline last, the screened apart, and a line on the rest.
    """
    full = int(plan["search"]["replications"])
    floor = (float(plan["constraints"]["min_available_fraction"]),)  # a share below it never shows as it
    shown = weighed(plan, candidates) if shown is None else shown
    horizon = plan["search"].get("horizon_s")
    rows = current_marked(candidates[shown])
    last = has_role(rows, "current")
    rows = pd.concat([rows[~last], rows[last]])  # the baseline after what was weighed
    confirmed, screened = rows[rows["replications"] >= full], rows[rows["replications"] < full]
    cut = cut_phrase(plan["search"])
    bound = bound_name(plan["constraints"])
    blocks: list[tuple] = _evidence_table(confirmed, floor, horizon, cut, bound)
    if len(screened):
        blocks += [("h", 3, f"Screened with {plan['search']['screen_replications']} replications only"),
                   *_evidence_table(screened, floor, horizon, cut, bound)]
    left = candidates[~shown]
    if len(left):
        few = int((left["replications"] < full).sum())
        blocks.append(("p", [("", f"{count_of(len(left), 'more setting')} the search simulated on its way "
                                  + (f"({few} of {'it' if len(left) == 1 else 'them'} screened only) " if few else "")
                                  + ("is" if len(left) == 1 else "are")
                                  + " in candidates.csv, each with its statistics and why it lost; the figures draw "
                                    "every one (settings of one budget and duration share a spot).")]))
    blocks += _current_not_run(plan)
    return blocks


def _current_not_run(plan: Mapping[str, Any]) -> list[tuple]:
    """Why the DaemonSet's current strategy has no baseline row, when it is OnDelete (a plan read it:
    ``source.manifest``): nothing replaces its pods until something deletes them.
    """
    cur = plan.get("daemonset", {}).get("current_strategy") or {}
    if cur.get("type") != "OnDelete" or not plan.get("source", {}).get("manifest"):
        return []
    return [("p", [("", "The DaemonSet's current strategy, OnDelete, replaces a pod only when something deletes it, "
                        "so it has no baseline run here.")])]
