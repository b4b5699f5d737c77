"""What a study's runs themselves counted, as findings: costs no duration names (``runs.csv``).

Each rule reads the runs frame (one row per run: ``rollsim.sweep.runner``), grouped by
configuration, and returns sentences: how much of each rollout its last nodes took, the pull
times an image's size gave, the other workloads its pods preempted, the old pods that lost
readiness, the pods the kubelets under disk pressure evicted, and the pulls a registry refused
or failed. ``rollsim.present.readings`` holds the findings read from the summary; the report
strings both together (``report_verdict.findings_section``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any, cast

import pandas as pd

from rollsim.observe.metrics import DONE_SHARE
from rollsim.present.render import format_duration, format_number, trim_zeros
from rollsim.present.surge_budget import surge_budget
from rollsim.spec.budget import is_zero
from rollsim.spec.registry import limit_words
from rollsim.sweep.wholeupdate import completed_flags

__all__ = ["LAST_NODES", "disk_pressure_costs", "downtime_tail", "last_nodes_share", "preemption_costs", "pull_times",
           "refusal_costs", "registry_error_costs", "unready_costs"]


LAST_NODES = round(1 - DONE_SHARE, 12)  # the last share of the nodes whose wait ``last_nodes_share`` names
TAIL = 1.5  # a node's update taking this many times the median one's: slow nodes, not the budget's last batch


def last_nodes_share(runs: pd.DataFrame, summary: pd.DataFrame,
                     scenarios: Mapping[int, Mapping[str, Any]] | None = None,
                     timelines: pd.DataFrame | None = None) -> list[str]:
    """How much of each rollout its last 1% of nodes took: per configuration, the median over its
    completed runs of when 99% of the desired nodes had an available new pod (``done_99_s``) against
    the median duration, named when that is at most 60% of the duration for some configuration
    (audit 18: the default straggler tail set most of fluentd-1000's durations, and no report said
    so). Where it is, the reading says why: slow nodes where the slowest node's downtime is
    ``TAIL`` times the median node's or more, else the budget's last batch (audit 35: 99 nodes of
    100 at once, the hundredth after them, with constant timings). Where no node had any downtime
    (a surge) the ``timelines`` tell (``_slots_free``): slow nodes where the surge budget was not full
    just before then in most runs, else the budget's last batch; neither without them. Under
    OnDelete (``scenarios`` say which) the last batch is its deleter's, not a budget's (audit 36).
    Before ``done_99_s`` (a results folder written before it) nothing is read: the timeline's
    updated count, read then, counts a node once its new pod exists, not once it is available, and
    named a gap every rollout has.
    """
    need = {"config", "completed", "nodes", "duration_s", "done_99_s"}
    if runs.empty or not need <= set(runs.columns):
        return []
    labels = dict(zip(summary["config"], summary["label"].astype(str)))
    pairs = []
    for key, rows in runs[completed_flags(runs)].groupby("config", sort=True):
        config = int(cast(Any, key))
        at = _numbers_or_nan(rows, "done_99_s").median()
        if config not in labels or rows["nodes"].min() < 1 / LAST_NODES or not math.isfinite(at):
            continue
        took = float(rows["duration_s"].median())
        slowest, median = (_numbers_or_nan(rows, c).median() for c in ("node_downtime_max_s", "node_downtime_p50_s"))
        # no downtime to compare (a surge: no node goes without its agent): the timelines tell, if any
        scenario = (scenarios or {}).get(config, {})
        slow = (_slots_free(timelines, config, rows, scenario.get("max_surge")) if not median > 0 else
                bool(slowest >= TAIL * median))
        deleter = scenario.get("strategy") == "OnDelete"
        pairs.append((labels[config], float(at), took, "slow nodes" if slow else None if slow is None else
                      "the deleter's last batch" if deleter else "the budget's last batch"))
    if not any(took > 0 and at <= 0.6 * took for _, at, took, _ in pairs):
        return []
    shown = "; ".join(f"{label}: {format_duration(at)} of {format_duration(took)}"
                      + ("" if not took > 0 or at > 0.6 * took or why is None else f" ({why})")
                      for label, at, took, why in pairs)
    return [f"How much of each rollout its last {100 * LAST_NODES:g}% of nodes took, as when "
            f"{100 * (1 - LAST_NODES):g}% of the nodes had an available new pod, of the whole rollout (medians over "
            f"completed runs): {shown}. Where the first is far below the second, the last nodes set the "
            "duration, not the pace of the rest: slow nodes, whose update took far longer than the median node's "
            "(with the default timings, the ready time's straggler tail: see the assumptions), or the last batch of "
            "the budget (or of an OnDelete deleter), begun only once the one before it finished."]


def _slots_free(timelines: pd.DataFrame | None, config: int, rows: pd.DataFrame, max_surge: Any) -> bool | None:
    """Whether, in most of a surge configuration's completed runs (``rows``), fewer nodes held two pods
    than its surge budget (``max_surge`` of the desired nodes, ``SurgeCount``) just before 99% of the
    nodes had an available new pod (``done_99_s``): the last nodes were not waiting for a slot, their
    new pods were slow to become available (slow nodes); with the budget full, the budget's last
    batch. From the timeline's ``surge`` and ``desired`` at its last row before then; None without
    timelines.
    """
    need = {"config", "replication", "time_s", "desired", "surge"}
    if timelines is None or timelines.empty or not need <= set(timelines.columns) or "replication" not in rows:
        return None
    by_run = dict(list(timelines[timelines["config"] == config].groupby("replication", sort=False)))
    votes = []
    for replication, at in zip(rows["replication"], _numbers_or_nan(rows, "done_99_s")):
        run = by_run.get(replication)
        if run is None:
            continue
        before = run[run["time_s"] < at]
        budget = surge_budget(max_surge, int(before["desired"].iloc[-1])) if len(before) else None
        if budget:
            votes.append(bool(before["surge"].iloc[-1] < budget))
    return None if not votes else 2 * sum(votes) > len(votes)


TAIL_OVER_P95 = 3.0  # a run's longest node downtime this many times its p95: a tail the table's p95 hides


def downtime_tail(runs: pd.DataFrame) -> list[str]:
    """How long the worst-off node went without an available pod, where the results table's per-node
    p95 hides it (audit 39: p95 1m09s in every delete-first configuration of fluentd-1000, while each
    run's longest was about 18 min): per configuration, the mean over its runs of each run's longest
    node downtime (``node_downtime_max_s``) and the longest of all, over its completed runs, named
    when some configuration's is ``TAIL_OVER_P95`` times its mean p95 and at least two minutes.
    """
    need = {"config", "label", "completed", "node_downtime_p95_s", "node_downtime_max_s"}
    if runs.empty or not need <= set(runs.columns):
        return []
    parts, none, tail = [], [], False
    # over completed runs, as the table's figures are: a run cut short holds a stuck node's wait, not a tail
    for _config, rows in runs[completed_flags(runs)].groupby("config", sort=True):
        longest, p95 = _numbers(rows, "node_downtime_max_s"), _numbers(rows, "node_downtime_p95_s").mean()
        tail = tail or (longest.mean() >= max(TAIL_OVER_P95 * p95, 120.0))
        if not longest.any():
            none.append(str(rows["label"].iloc[0]))
            continue
        parts.append(f"{rows['label'].iloc[0]}: {format_duration(longest.mean())} (at most "
                     f"{format_duration(longest.max())}; p95 {format_duration(p95)})")
    if not tail:
        return []
    if none:
        parts.append("no node went without one in " + " or ".join(none))
    return ["The longest a node went without an available agent, the mean over runs of each run's longest: "
            + "; ".join(parts) + ". The results table's p95 hides it: a few nodes (with the default timings, the "
            "Ready time's straggler tail) go without their agent for minutes, whatever the budget, which sets only "
            "how many go without at once (downtime figure)."]


def _numbers_or_nan(rows: pd.DataFrame, column: str) -> pd.Series:
    """``runs.csv``'s ``column`` as numbers, NaN where a run has none (or the column is missing)."""
    if column not in rows:
        return pd.Series(math.nan, index=rows.index)
    return pd.to_numeric(rows[column], errors="coerce")


def _numbers(rows: pd.DataFrame, column: str) -> pd.Series:
    """``runs.csv``'s ``column`` as numbers, 0 where a run has none."""
    return _numbers_or_nan(rows, column).fillna(0)


def _counted(runs: pd.DataFrame, column: str) -> Iterator[tuple[str, pd.DataFrame, pd.Series]]:
    """Each configuration (label, its runs, their ``column``) in which some run counted any."""
    for _config, rows in runs.groupby("config", sort=True):
        counts = _numbers(rows, column)
        if counts.any():
            yield rows["label"].iloc[0], rows, counts


def pull_times(runs: pd.DataFrame, scenarios: Mapping[Any, Mapping[str, Any]] | None = None) -> list[str]:
    """One line on the pull times measured where the image has a size (``runs.csv`` ``mean_pull_s``,
    ``peak_concurrent_pulls``): each pull takes what its bytes take over the bandwidth the pulls at
    once share, so a wider rollout makes each pull slower; per configuration, the mean pull and the
    most pulls at once (means over replications).
    """
    if not {"config", "label", "mean_pull_s", "peak_concurrent_pulls"} <= set(runs.columns):
        return []
    parts = []
    for _config, rows in runs.groupby("config", sort=True):
        scenario = _scenario_of(rows, scenarios)
        if scenario.get("image_size_bytes") is None:
            continue
        pull = pd.to_numeric(rows["mean_pull_s"], errors="coerce").mean()
        if not math.isfinite(pull):
            continue
        peak = _numbers(rows, "peak_concurrent_pulls").mean()
        parts.append(f"{rows['label'].iloc[0]}: {trim_zeros(format_number(pull, 1))} s a pull, "
                     f"at most {trim_zeros(format_number(peak, 0))}{' of its own' if scenario.get('also') else ''} "
                     "at once in the cluster")
    if not parts:
        return []
    return ["Image pulls (means over replications): " + "; ".join(parts) + ". The image's bytes cross the node's "
            "link and the registry's bandwidth, which the pulls at once share (every DaemonSet's), so a rollout that "
            "starts more of them makes each one slower (README, “What hurts at scale”: image pulls under "
            "contention)."]


def preemption_costs(runs: pd.DataFrame) -> list[str]:
    """Per configuration whose pods preempted other workloads in some run (``runs.csv``
    ``preemptions``: ``rollsim.cluster.preemption``), on how many nodes and what was evicted:
    a cost the completion and the durations do not show.
    """
    if not {"config", "label", "preemptions", "preempted_cpu_millis", "preempted_memory_bytes"} <= set(runs.columns):
        return []
    out = []
    for label, rows, nodes in _counted(runs, "preemptions"):
        cpu = _numbers(rows, "preempted_cpu_millis").mean()
        memory = _numbers(rows, "preempted_memory_bytes").mean() / 2**30
        out.append(f"{label}: its pods preempted other workloads to fit, on "
                   f"{format_number(nodes.mean(), 1)} nodes per run on average (at most {int(nodes.max()):,}), "
                   f"evicting {format_number(cpu, 0)}m CPU and {format_number(memory, 1)} GiB memory per run "
                   "(README, “Other workloads and preemption”).")
    return out


def _scenario_of(rows: pd.DataFrame, scenarios: Mapping[Any, Mapping[str, Any]] | None) -> Mapping[str, Any]:
    """The scenario (``scenarios_by_config``) of the configuration whose runs ``rows`` are; empty if not known."""
    return (scenarios or {}).get(rows["config"].iloc[0]) or {}


def unready_costs(runs: pd.DataFrame, scenarios: Mapping[Any, Mapping[str, Any]] | None = None) -> list[str]:
    """Per configuration whose old pods lost readiness in some run (``runs.csv`` ``old_pods_unready``,
    only with ``--old-pods-unready``): how many, and what became of them: under RollingUpdate each is
    replaced at once outside the budget (``rollingUpdate`` replaces an old pod that is not available),
    with the most nodes unavailable at once it led to; under OnDelete (``scenarios``' ``strategy``)
    none is, until the deleter deletes it.
    """
    if not {"config", "label", "old_pods_unready", "max_unavailable_observed"} <= set(runs.columns):
        return []
    out = []
    for label, rows, counts in _counted(runs, "old_pods_unready"):
        scenario = _scenario_of(rows, scenarios)
        how = ("none replaced until deleted (OnDelete): each node stayed without an available agent until then"
               if scenario.get("strategy") == "OnDelete" else _replaced(scenario))
        out.append(f"{label}: {trim_zeros(format_number(counts.mean(), 1))} old pods per run lost readiness on "
                   f"average (at most {int(counts.max()):,}), {how}: up to "
                   f"{int(_numbers(rows, 'max_unavailable_observed').max()):,} nodes were unavailable at once "
                   "(README, “What hurts at scale”: old pods that lose readiness).")
    return out


def _replaced(scenario: Mapping[str, Any]) -> str:
    """How ``rollingUpdate`` replaced an old pod that is not available, outside which budget: with
    maxSurge above 0 it creates its new pod at once beside it (outside maxSurge), else deletes it at
    once (outside maxUnavailable); "the budget" where the scenario is not known.
    """
    surge = scenario.get("max_surge")
    if surge is None:
        return "each replaced at once, outside the budget"
    if not is_zero(surge):
        return "each given its new pod at once, outside the maxSurge budget"
    return "each replaced at once, outside the maxUnavailable budget"


def disk_pressure_costs(runs: pd.DataFrame) -> list[str]:
    """Per configuration whose pods the kubelets under disk pressure evicted or rejected in some run
    (``runs.csv`` ``disk_pressure_evictions``, ``disk_pressure_rejections``: only with
    ``--disk-pressure-nodes``): how many per run, what holds the node, and, where the rejections
    outnumber the evictions many times over, why (surge's create on a node where no pod runs).
    """
    columns = {"config", "label", "disk_pressure_evictions", "disk_pressure_rejections", "max_unavailable_observed"}
    if not columns <= set(runs.columns):
        return []
    out = []
    for _config, rows in runs.groupby("config", sort=True):
        evicted, rejected = _numbers(rows, "disk_pressure_evictions"), _numbers(rows, "disk_pressure_rejections")
        if not (evicted.any() or rejected.any()):
            continue
        surged = rejected.mean() > 100 * max(evicted.mean(), 1.0)  # surge's create at once (below), not a back-off
        admitted = ("the condition cleared and a pod the controller created was admitted" if surged else
                    "the condition cleared and the controller's per-node back-off (1 s doubling to 15 min) let it "
                    "create one that was admitted")
        line = (f"{rows['label'].iloc[0]}: the kubelets under DiskPressure evicted "
                f"{trim_zeros(format_number(evicted.mean(), 1))} of its pods and rejected "
                f"{trim_zeros(format_number(rejected.mean(), 0))} new ones per run on average (Evicted); each such "
                f"node had no available pod until {admitted}, up to "
                f"{int(_numbers(rows, 'max_unavailable_observed').max()):,} nodes unavailable at once")
        if surged:
            line += ("; with maxSurge the controller creates a pod each time none runs on the node, whatever "
                     "failed pods it holds, without waiting for its back-off (podsShouldBeOnNode's surge branch, "
                     "kubernetes/kubernetes#124388), so the Evicted pods pile up")
            if "terminated_pods_collected" in rows and (collected := _numbers(rows, "terminated_pods_collected")).any():
                line += (f", until PodGC deleted those beyond its --terminated-pod-gc-threshold "
                         f"({trim_zeros(format_number(collected.mean(), 0))} per run on average)")
        out.append(line + " (README, “What hurts at scale”: nodes under disk pressure).")
    return out


_BACK_OFF = ("pulled again only after the kubelet's image pull back-off, 10 s doubling to 5 min "
             "(README, “What hurts at scale”).")


def refusal_costs(runs: pd.DataFrame, scenarios: Mapping[Any, Mapping[str, Any]] | None = None) -> list[str]:
    """Per configuration whose registry refused requests over its limit in some run (``runs.csv``
    ``registry_refusals``, only with ``--registry-over-limit reject``): how many per run, each a pull
    the kubelet makes again only after its image pull back-off, which the durations include but do
    not name. ``scenarios``: each configuration's scenario (``scenarios_by_config``), whose registry
    keys name the limit (``limit_words``: a pull rate and burst, or a count per window).
    """
    def why(rows: pd.DataFrame) -> str:
        s = _scenario_of(rows, scenarios)
        limit = limit_words(s.get("registry_pull_rate"), s.get("registry_pull_burst"), s.get("registry_pull_window"))
        return f"over {limit} (429 Too Many Requests); each refused pod"

    return _pull_costs(runs, "registry_refusals", "refused", "requests", why)


def registry_error_costs(runs: pd.DataFrame) -> list[str]:
    """Per configuration whose registry failed pulls part way in some run (``runs.csv``
    ``registry_errors``, only with ``--registry-error-rate``): how many per run, each a pull the
    kubelet makes again, whole, only after its image pull back-off, which the durations include
    but do not name.
    """
    return _pull_costs(runs, "registry_errors", "failed", "pulls",
                       lambda _rows: "part way (a 5xx, a timeout, a reset connection); each failed pod")


def _pull_costs(runs: pd.DataFrame, column: str, verb: str, what: str,
                why: Callable[[pd.DataFrame], str]) -> list[str]:
    """``label: the registry <verb> N <what> per run on average (at most M) <why> pulled again ...``
    for each configuration in which some run counted ``column``.
    """
    if not {"config", "label", column} <= set(runs.columns):
        return []
    return [f"{label}: the registry {verb} {format_number(counts.mean(), 1)} {what} per run on average "
            f"(at most {int(counts.max()):,}) {why(rows)} {_BACK_OFF}"
            for label, rows, counts in _counted(runs, column)]
