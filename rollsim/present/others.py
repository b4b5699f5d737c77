"""The other DaemonSets of an update (an experiment's ``also``), as ``runs.csv`` records them
(``<name>.completed``, ``<name>.duration_s``, ...): which did not complete in every
replication, and in how many replications every DaemonSet of the update did. The study's
own tables and verdicts are about its DaemonSet, and must not hide the others'.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import pandas as pd

from rollsim.present.summary_rows import slo_ok
from rollsim.sweep.aggregate import ran_on_no_node, recommendable
from rollsim.sweep.results import Results
from rollsim.sweep.slo import Constraint, statistic
from rollsim.sweep.wholeupdate import other_names, update_columns, update_done

__all__ = ["Shortfall", "full_names", "other_names", "others_beyond", "others_incomplete", "others_shortfalls",
           "ran_on_no_node_other", "runs_with", "shortfall_text", "shortfalls_by_config", "whole_update_completed",
           "with_update_columns"]

# the study's SLO metrics that runs.csv also keeps for each other DaemonSet (``<name>.duration_s`` ...)
OTHER_METRICS = ("duration_s", "min_available_fraction", "unavailable_node_seconds")


def full_names(results: Results) -> dict[str, str]:
    """The other DaemonSets' ``runs.csv`` names (``calico-node``; ``<namespace>/<name>`` where two
    share a name) to their ``namespace/name``, as "What was simulated" and the study's own
    DaemonSet are named (from ``experiment.yaml``'s descriptions, ``kube-system/calico-node (...)``).
    """
    out: dict[str, str] = {}
    for config in results.experiment.get("configurations") or []:
        for item in (config.get("scenario") or {}).get("also") or []:
            full = str(item).partition(" (")[0]
            out.setdefault(full.partition("/")[2] or full, full)
            out[full] = full
    return out


def runs_with(group: pd.DataFrame, name: str) -> pd.DataFrame:
    """The runs of ``group`` in which the other DaemonSet ``name`` was updated (none in a
    configuration without it: its columns are empty there).
    """
    column = f"{name}.completed" if f"{name}.completed" in group else f"{name}.duration_s"
    return group[group[column].notna()]


def ran_on_no_node_other(ran: pd.DataFrame, name: str) -> bool:
    """Whether the other DaemonSet ``name`` ran on no node in every run of ``ran`` (its runs,
    ``runs_with``): ``<name>.nodes`` (its ``desiredNumberScheduled``) 0 in each, as for an
    ``also:`` item with ``allow_no_nodes`` whose selector matches no node. Runs saved before that
    column was kept say nothing (False): nothing updated is no sign, since a DaemonSet whose new
    pods never ran updated nothing too.
    """
    column = f"{name}.nodes"
    return bool(not ran.empty and column in ran and pd.to_numeric(ran[column], errors="coerce").fillna(-1).eq(0).all())


def others_beyond(results: Results, config: Any,
                  constraints: Sequence[Constraint]) -> list[tuple[str, Constraint, float]]:
    """The other DaemonSets (``also``) whose own figures in ``config``'s runs break one of the
    SLO ``constraints`` (which judge the study's DaemonSet alone): ``(name, constraint, value)``,
    the value the constraint's statistic over that DaemonSet's runs (``statistic``; a run that
    did not complete has no duration: +inf).
    """
    runs = results.runs
    if "config" not in runs:
        return []
    group, out = runs[runs["config"] == config], []
    for name in other_names(runs):
        ran = runs_with(group, name)
        if ran.empty or ran_on_no_node_other(ran, name):
            continue
        for c in constraints:
            column = f"{name}.{c.metric}"
            if c.metric not in OTHER_METRICS or column not in ran:
                continue
            values = pd.to_numeric(ran[column], errors="coerce")
            if c.metric == "duration_s" and f"{name}.completed" in ran:  # not completed: no duration
                values = values.where(ran[f"{name}.completed"].astype(bool))
            value = statistic([None if pd.isna(v) else float(v) for v in values], c.statistic, c.bound)
            if not c.holds(value):
                out.append((name, c, value))
    return out


@dataclass(frozen=True)
class Shortfall:
    """Another DaemonSet (``also``) that did not complete in every replication of a configuration."""

    config: Any
    label: str
    name: str
    failed: int  # replications in which it did not complete
    ran: int  # replications in which it was updated
    why: str  # its first such run's stop sentence ("" when runs.csv does not say)

    @property
    def completed(self) -> str:
        """``k/n``: in how many replications it completed."""
        return f"{self.ran - self.failed}/{self.ran}"


def others_shortfalls(results: Results) -> list[Shortfall]:
    """Per configuration and other DaemonSet (``also``) that did not complete in every
    replication: how often and why (the study's own table and verdicts are about its
    DaemonSet, and must not hide the others').
    """
    runs, out = results.runs, []
    for name in other_names(runs):
        if f"{name}.completed" not in runs:
            continue
        for (config, label), group in runs.groupby(["config", "label"], sort=False):
            ran = runs_with(group, name)
            done = ran[f"{name}.completed"].astype(bool)
            if done.all():
                continue
            why = (ran.loc[~done, f"{name}.stop_detail"].dropna().astype(str).tolist()
                   if f"{name}.stop_detail" in ran else [])
            out.append(Shortfall(config, str(label), name, int((~done).sum()), len(ran), why[0] if why else ""))
    return out


def others_incomplete(shortfalls: Sequence[Shortfall]) -> list[str]:
    """A line per configuration and other DaemonSet (``also``) that did not complete in every
    replication, with why (``shortfalls``: ``others_shortfalls``).
    """
    return [f"{s.name}, updated together with {s.label}, did not complete in {s.failed} of {s.ran} replications"
            + (f": {s.why}" if s.why else "") for s in shortfalls]


def shortfalls_by_config(shortfalls: Sequence[Shortfall]) -> dict[int, list[Shortfall]]:
    """``shortfalls`` (``others_shortfalls``) grouped by configuration, in order."""
    out: dict[int, list[Shortfall]] = {}
    for s in shortfalls:
        out.setdefault(int(s.config), []).append(s)
    return out


def shortfall_text(shortfalls: Sequence[Shortfall]) -> str:
    """One configuration's other DaemonSets that did not complete every replication, in a few
    words: ``node-exporter did not complete in 2 of 3``; those that failed as often named together
    (``ds-1, ds-2 did not complete in 3 of 3; ds-3 in 1 of 3``), more than three as
    ``9 DaemonSets ds-1 … ds-9``.
    """
    groups: dict[tuple[int, int], list[str]] = {}
    for s in shortfalls:
        groups.setdefault((s.failed, s.ran), []).append(s.name)
    parts: list[str] = []
    for (failed, ran), names in groups.items():
        who = ", ".join(names) if len(names) <= 3 else f"{len(names)} DaemonSets {names[0]} … {names[-1]}"
        parts.append(f"{who} {'did not complete ' if not parts else ''}in {failed} of {ran}")
    return "; ".join(parts)


def whole_update_completed(results: Results) -> dict[Any, int]:
    """Per configuration whose other DaemonSets (``also``) did not all complete every time: in
    how many replications every DaemonSet of the update completed, its own and the others'
    (``update_done``, which ``summary.csv``'s ``update_completed`` counts too).
    """
    runs, configs = results.runs, {s.config for s in others_shortfalls(results)}
    out = {}
    for config in configs:
        out[config] = int(update_done(runs[runs["config"] == config]).sum())
    return out


def with_update_columns(results: Results) -> pd.DataFrame:
    """The summary with its whole-update columns (``update_completed`` and the rest, and
    ``recommendable``): a ``summary.csv`` written before they were kept gets them from ``runs.csv``,
    as ``summary_frame`` computes them now; one written before ``recommendable`` knew of a
    DaemonSet on no node (``ran_on_no_node``, from ``runs.csv``) has it False there.
    """
    summary, runs = results.summary, results.runs
    if "config" not in runs:
        return summary
    if "update_completed" in summary:
        if "recommendable" not in summary:
            return summary
        idle = summary["config"].map(lambda c: ran_on_no_node(runs[runs["config"] == c]))
        return summary.assign(recommendable=summary["recommendable"].where(~idle.astype(bool), False))
    names = other_names(runs)
    rows = []
    for record in cast(list[dict[str, Any]], summary.to_dict("records")):
        mine = runs[runs["config"] == record["config"]]
        row: dict[str, Any] = {**record, **update_columns(mine, names)}
        row["slo_ok"] = slo_ok(row)
        rows.append({**row, "recommendable": recommendable(row, ran_on_no_node(mine))})
    return pd.DataFrame(rows)
