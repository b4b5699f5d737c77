"""What maxSurge cost a study, and the budget its surge is judged against: the finding of
``rollsim.present.readings`` on surge pods, requests and host ports.

The controller scales maxSurge against ``desiredNumberScheduled`` in every sync
(``updatedDesiredNodeCounts``, ``SurgeCount``: a percentage rounded up), so where nodes join or
leave during the rollout, a percent budget moves with them. A surge is over the budget only
when it is over the budget *of its moment*: ``surge_budgets`` reads each instant's ``desired``
and ``surge`` from the runs' timelines (``timelines.parquet``), and without them judges only
what the desired counts the runs report can show.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from rollsim.present.render import count_of, format_number, trim_zeros
from rollsim.present.study import desired_counts, scenarios_by_config
from rollsim.present.summary_rows import completed_every_run, num
from rollsim.spec.budget import parse_int_or_percent, scaled_value
from rollsim.spec.churn import change_kinds, moves_nodes
from rollsim.spec.volumes import parse_host_path
from rollsim.sweep.results import Results

__all__ = ["SurgeBudget", "held_words", "overlap_words", "shared_host_paths", "surge_budget", "surge_budgets",
           "surge_cost_words", "surge_costs", "surge_requests"]

_MAX_LINES = 8


@dataclass(frozen=True, slots=True)
class SurgeBudget:
    """The maxSurge budget over a configuration's runs: from ``low`` to ``high`` pods as the
    desired nodes changed, ``over`` the most the surge went past the budget of its moment
    (0 or less: never; None: unknown, no timeline to tell), how desired changed
    (``joined``, ``left``: nodes came or went after the rollout began), and ``node_hours``: the
    nodes that ran two agents, summed over the rollout, the mean over its runs (None: no timeline).
    """

    low: int
    high: int
    over: int | None
    joined: bool = False
    left: bool = False
    node_hours: float | None = None

    def __post_init__(self) -> None:
        if self.low > self.high:
            raise ValueError(f"surge budget from {self.low} to {self.high}: low above high")

    def words(self) -> str:
        """``20 pods``, or ``20–30 pods as nodes joined`` when the budget moved with desired."""
        if self.low == self.high:
            return f"{format_number(self.low)} pod{'' if self.low == 1 else 's'}"
        how = ("as nodes joined and left" if self.joined and self.left else "as nodes joined" if self.joined else
               "as nodes left" if self.left else "as the desired nodes changed")
        return f"{format_number(self.low)}–{format_number(self.high)} pods {how}"


def surge_budget(max_surge: Any, desired: int) -> int | None:
    """The maxSurge budget in pods at ``desired`` nodes (``SurgeCount``: a percentage of
    ``desiredNumberScheduled`` rounded up); None when ``max_surge`` is no IntOrString.
    """
    try:
        return scaled_value(parse_int_or_percent(max_surge), int(desired), round_up=True)
    except (TypeError, ValueError):
        return None


def _from_timelines(max_surge: Any, tl: pd.DataFrame) -> SurgeBudget | None:
    """The budget at each instant of ``tl`` (one configuration's runs), against its surge."""
    tl = tl.sort_values(["replication", "time_s"], kind="stable")
    desired = tl["desired"].to_numpy(dtype=np.int64)
    values = {int(d): surge_budget(max_surge, int(d)) for d in np.unique(desired)}
    if any(v is None for v in values.values()):
        return None
    budget = np.array([values[int(d)] for d in desired], dtype=np.int64)
    first = tl.groupby("replication")["desired"].transform("first").to_numpy(dtype=np.int64)
    return SurgeBudget(int(budget.min()), int(budget.max()), int((tl["surge"].to_numpy() - budget).max()),
                       bool((desired > first).any()), bool((desired < first).any()), _overlap_hours(tl))


def _overlap_hours(tl: pd.DataFrame) -> float:
    """The node-hours of two agents on a node (the timeline's ``surge``, a level held until its next
    row), per run, the mean over ``tl``'s runs (sorted by replication and time).
    """
    hours = [float((rows["surge"].to_numpy()[:-1] * np.diff(rows["time_s"].to_numpy())).sum()) / 3600
             for _, rows in tl.groupby("replication", sort=False)]
    return float(np.mean(hours)) if hours else 0.0


def _from_counts(max_surge: Any, start: float, ends: tuple[int, int] | None, surge: float,
                 churn: bool = False) -> SurgeBudget | None:
    """The budget from the desired nodes at the start (the scenario's) and at the end of each
    run (``runs.csv``), when no timeline says what it was in between: over it only when desired
    cannot have changed during the runs (no ``churn``: nodes joining, leaving or going NotReady
    in the rollout, and the same count at the start and the ends), else unknown.
    """
    if math.isnan(start):
        return None
    lo, hi = ends or (int(start), int(start))
    counts = [b for b in (surge_budget(max_surge, int(d)) for d in (start, lo, hi)) if b is not None]
    if len(counts) < 3:
        return None
    steady = not churn and lo == hi == int(start)
    return SurgeBudget(min(counts), max(counts), int(surge - counts[0]) if steady else None, hi > start, lo < start)


def _churn(scenario: Mapping[str, Any]) -> bool:
    """Whether the desired nodes can change while the rollout runs: nodes join or leave, or go
    NotReady at a moment of it (``N@T``; NotReady before it are left out from the start).
    """
    return moves_nodes(scenario.get("node_changes") or ()) or "@" in str(scenario.get("not_ready_nodes") or "")


def surge_budgets(results: Results) -> dict[int, SurgeBudget]:
    """Per configuration that surges, its maxSurge budget over its runs (``SurgeBudget``): from
    the timelines where the folder has them, else from the desired counts of ``runs.csv``.
    """
    tl, out = results.timelines, {}
    usable = tl is not None and {"config", "replication", "time_s", "desired", "surge"} <= set(tl.columns)
    ends = desired_counts(results)
    surge = results.summary.set_index("config")["max_surge_observed_max"] \
        if "max_surge_observed_max" in results.summary else pd.Series(dtype=float)
    for config, sc in scenarios_by_config(results).items():
        if not _surges(sc):
            continue
        mine = tl[tl["config"] == config] if usable and tl is not None else None
        budget = (_from_timelines(sc["max_surge"], mine) if mine is not None and len(mine) else
                  _from_counts(sc["max_surge"], num(sc.get("desired_nodes")), ends.get(config),
                               num(surge.get(config)), _churn(sc)))
        if budget is not None:
            out[int(config)] = budget
    return out


def _surges(scenario: Mapping[str, Any]) -> bool:
    """Whether the configuration's maxSurge lets it surge at all (not 0, not 0%)."""
    return surge_budget(scenario.get("max_surge", 0), 100) not in (0, None)


def _surge_line(label: str, sc: Mapping[str, Any], surge: float, budget: SurgeBudget | None,
                held: float = math.nan) -> tuple[str, bool]:
    """One configuration's surge finding, and whether its surge went past its moment's budget.

    An old pod deleted beside its available new pod runs its graceful shutdown there, its requests
    still counted by the scheduler (``rollsim.cluster.scheduling``) until it is gone: the cost is of
    the most pods beyond one a node at once, terminating ones included (``held``: runs.csv
    ``max_extra_pods``, their most over the runs), where that is more than the surge (audit 35:
    maxSurge 10 held 20 pods beyond one a node while each wave's old pods terminated beside the next
    wave's new ones; the finding said 10).
    """
    cpu, memory = num(sc.get("requests_cpu_millis")), num(sc.get("requests_memory_bytes"))
    cost = surge_requests(int(surge), cpu, memory)
    over = budget is not None and budget.over is not None and budget.over > 0
    extra = ""
    if budget is not None and over:  # a moving budget: over the one at that moment's desired count
        extra = f"; {budget.over} over the budget" + (" of its moment" if budget.low != budget.high else "")
    hours = "" if budget is None or budget.node_hours is None else \
        f", {trim_zeros(format_number(budget.node_hours, 1))} node-hours of two agents a rollout on average"
    line = (f"{label}: up to {int(surge)} node{'' if surge == 1 else 's'} ran two agents at once "
            f"(maxSurge {sc.get('max_surge')}" + (f" = {budget.words()}" if budget is not None else "")
            + extra + ")" + hours)
    if cost:
        line += f", {cost}"
    if math.isfinite(held) and held > surge:
        line += held_words(int(held), cpu, memory)
    ports = sc.get("host_ports") or []
    if ports:
        line += (f"; host port {', '.join(map(str, ports))} is held by the old pod, so a surge pod cannot be "
                 "scheduled beside it")
    shared = shared_host_paths(sc.get("host_paths") or [], int(surge))
    return line + "." + (f" {shared}" if shared else ""), over


def surge_requests(pods: int, cpu_millis: float, memory_bytes: float, than: str = " more than delete-first") -> str:
    """``requesting 10.3 CPU (103 × 100m) and 20.1 GiB (103 × 200Mi) more than delete-first``: what
    ``pods`` surge pods request, each ``cpu_millis`` and ``memory_bytes`` (a request of 0 left out; ""
    when both are), ``than`` what ("" where the pods are not counted against delete-first).
    """
    cost = []
    if cpu_millis > 0:
        cost.append(f"{trim_zeros(format_number(pods * cpu_millis / 1000, 1))} CPU ({pods:,} × {cpu_millis:g}m)")
    if memory_bytes > 0:
        cost.append(f"{trim_zeros(format_number(pods * memory_bytes / 2**30, 1))} GiB "
                    f"({pods:,} × {memory_bytes / 2**20:g}Mi)")
    return f"requesting {' and '.join(cost)}{than}" if cost else ""


def overlap_words(pods: int, observed: int) -> str:
    """``; the runs showed up to 46 at once ...`` when a setting's runs had more extra pods at once
    (``observed``) than its maxSurge (``pods``: what a surge budget is judged on, as the controller's
    is); else that a run can hold more, briefly, than its runs showed (audit 30: maxSurge 20 under a
    budget of 20 pods, whose runs held 20 at most, held 21 in 1 of 600 new runs).
    """
    why = "a sync's creates can land before its deletes: README, \"Surge overlap in realistic mode\""
    if observed <= pods:
        return f"; a run can hold a pod or so more for a moment ({why})"
    return f"; the runs showed up to {observed} at once ({why})"


def surge_cost_words(pods: int, observed: int, cpu_millis: float, memory_bytes: float, host_paths: Sequence[str],
                     peak: bool = False, held: int = 0) -> str:
    """What a surge of maxSurge ``pods`` costs beyond delete-first, whose runs showed up to ``observed``
    extra pods at once, each requesting ``cpu_millis`` and ``memory_bytes``: the one composition of those
    words, for a plan's answer and its relaxations alike.

    As an answer asks for it (``peak`` false): its pods and what they request, then the overlap its runs
    showed beyond them (``overlap_words``): ``216 pods, requesting 21.6 CPU (216 × 100m) ... more than
    delete-first; the runs showed up to 367 at once (...)``. As a relaxation's cost (``peak``): at the most
    its runs showed, ``up to 500 extra pods at once, requesting ...``. Either way the sentence on the
    hostPath volumes (``host_paths``) the old and the new pod of a node share, on the most nodes that
    overlapped, follows.
    """
    most = max(pods, observed)
    counted = most if peak else pods
    requests = surge_requests(counted, cpu_millis, memory_bytes)
    shared = shared_host_paths(host_paths, most)
    return ((f"up to {count_of(most, 'extra pod')} at once" if peak else count_of(pods, "pod"))
            + (f", {requests}" if requests else "") + ("" if peak else overlap_words(pods, observed))
            + (held_words(held, cpu_millis, memory_bytes) if held > most else "")
            + (f". {shared}" if shared else ""))


def held_words(held: int, cpu_millis: float, memory_bytes: float) -> str:
    """``; with the old pods still terminating beside their new ones, up to 139 pods beyond one a node
    at once, requesting ...``: what the runs held (runs.csv ``max_extra_pods``) past the surge, each
    old pod deleted beside its available new pod running its graceful shutdown there, its requests
    counted by the scheduler until it is gone (audit 35).
    """
    requests = surge_requests(held, cpu_millis, memory_bytes, than="")
    return (f"; with the old pods still terminating beside their new ones (the scheduler counts a terminating "
            f"pod's requests until it is gone), the runs held up to {held:,} pods beyond one a node at once"
            + (f", {requests}" if requests else ""))


def shared_host_paths(paths: Sequence[str], nodes: int) -> str:
    """What two pods of one node share while a surge overlaps them, when the pod template mounts
    hostPath volumes (``paths``, as the scenario's description writes them: ``/var/log
    (read-write)``): ``On up to 103 nodes at once the old and the new pod both mounted the
    DaemonSet's hostPath volumes /var/log (read-write) and ...: two instances shared those host
    paths while they overlapped.``, or that both only read them when every mount is read-only (audit
    20); "" without any. It says that they share the files, not what the agent does with them (a
    log shipper may ship lines twice, or contend for its position file).
    """
    if not paths or nodes < 1:
        return ""
    volumes = "volume" if len(paths) == 1 else "volumes"
    listed = paths[0] if len(paths) == 1 else ", ".join(paths[:-1]) + " and " + paths[-1]
    them = 'that host path' if len(paths) == 1 else 'those host paths'
    written = any(not parse_host_path(p).read_only for p in paths)  # as the description writes each: PATH (access)
    shared = (f"two instances shared {them} while they overlapped" if written else
              f"both only read {them} while they overlapped (every mount is read-only: neither wrote there)")
    return (f"On up to {format_number(nodes)} node{'' if nodes == 1 else 's'} at once the old and the new pod both "
            f"mounted the DaemonSet's hostPath {volumes} {listed}: {shared}.")


def _loses_readiness(scenario: Mapping[str, Any]) -> bool:
    """Whether old pods lose readiness during the run (``--old-pods-unready``: node changes of that kind)."""
    return "old-pods-unready" in change_kinds(scenario.get("node_changes") or ())


def surge_costs(summary: pd.DataFrame, scenarios: Mapping[int, Mapping[str, Any]],
                budgets: Mapping[int, SurgeBudget] | None = None) -> list[str]:
    """What maxSurge costs: the surge pods at once (two agents on one node while they overlap),
    their requests, host ports, and why ``max surge (pods)`` can exceed the budget by a few.
    ``budgets``: each configuration's budget over its runs (``surge_budgets``); without it,
    the budget of its scenario's desired count.
    """
    out, over, free, unready = [], False, False, False
    for r in cast(list[dict[str, Any]], summary.to_dict("records")):
        sc = scenarios.get(int(r["config"])) or {}
        surge = num(r.get("max_surge_observed_max"))
        if not _surges(sc) or not surge > 0 or not completed_every_run(r):
            continue  # a surge that never completed costs what the completion finding says
        budget = (budgets.get(int(r["config"])) if budgets is not None else
                  _from_counts(sc.get("max_surge"), num(sc.get("desired_nodes")), None, surge))
        line, past = _surge_line(str(r["label"]), sc, surge, budget, num(r.get("max_extra_pods_max")))
        lost = past and _loses_readiness(sc)  # new pods outside the budget: what the fault does, not an overlap
        over, unready = over or (past and not lost), unready or lost
        free = free or not (num(sc.get("requests_cpu_millis")) > 0
                                                or num(sc.get("requests_memory_bytes")) > 0)
        out.append(line)
    out = out[:_MAX_LINES]
    if free:
        out.append("Where the pod requests no CPU or memory, the surge pods cost no scheduled resources, but each "
                   "is a second agent running on its node.")
    if unready:
        out.append("Where old pods lost readiness, max surge exceeds the budget: each such pod got its new pod at "
                   "once, outside maxSurge, beside it until a sync deleted it (README, “What hurts at scale”: old "
                   "pods that lose readiness).")
    if over:
        out.append("Max surge can exceed the budget by a few pods: the controller sends a sync's creates before its "
                   "deletes, so for one API round trip a node whose new pod is available still holds its old pod "
                   "(README, “Surge overlap in realistic mode”).")
    return out
