"""What ``rollsim simulate`` prints: its result as text (``format_summary``, and ``-o wide``) and as
data (``simulate_document``). Pure functions, as in ``rollsim.present.console``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from rollsim.present.console import plain
from rollsim.present.render import count_of, format_duration, format_percent_exact
from rollsim.spec.churn import pressure_held
from rollsim.spec.priority import is_critical

__all__ = ["simulate_document", "format_summary", "format_summary_wide", "profile_line", "wide_value"]


def simulate_document(result: Any) -> dict[str, Any]:
    """``rollsim simulate -o json``: the run's summary dict (``rollsim.observe.metrics.summarize``)
    and the Kubernetes version whose controller rules it followed, with the summaries of the
    run's other DaemonSets under ``others`` when it has any.
    """
    document = dict(result.summary)
    document["kubernetes_version"] = result.scenario.controller.kubernetes_version  # whose rules the run followed
    if result.others:
        document["others"] = {name: dict(s) for name, s in result.others.items()}
    return document


def _final_nodes(result: Any) -> Sequence[Any]:
    """The nodes when the run stopped (the scenario's, for a result made without them)."""
    return result.scenario.nodes if result.final_nodes is None else result.final_nodes


def _eligibility(result: Any) -> str:
    """Which nodes run the DaemonSet when the run stops (the header's count: the nodes that exist
    then, NotReady ones tainted, added ones there), what changed since the start, and why the
    others do not run it (one line).
    """
    from rollsim.spec.eligibility import counted, eligibility_report, for_strategy

    scenario = result.scenario
    final = _final_nodes(result)
    report = eligibility_report(final, scenario.daemonset.placement)
    line = f"{report.eligible:,} of {report.total:,} run the DaemonSet"
    changed = _node_changes(len(scenario.nodes), len(result.node_columns["node"]), final)
    if changed:
        line += f" ({changed})"
    if report.reasons:
        rolling = scenario.daemonset.strategy.rolling
        line += "; not: " + "; ".join(counted(count, for_strategy(reason, rolling)) for reason, count in report.reasons)
    return line


def _node_changes(listed: int, ever: int, final: Sequence[Any]) -> str:
    """What happened to the nodes before the run stopped: ``listed`` at the start, ``ever`` there
    at some moment (added ones too), ``final`` there at the end. Empty when nothing changed.
    """
    added, removed = ever - listed, ever - len(final)
    not_ready = sum(not node.ready for node in final)
    parts = [f"{n:,} {what}" for n, what in ((added, "added"), (removed, "removed"), (not_ready, "NotReady")) if n]
    return f"{listed:,} listed, " + ", ".join(parts) if parts else ""


def _up_to_date(result: Any, n: int, revision: str) -> str:
    """The UP-TO-DATE column of ``kubectl get ds``: the last ``status.updatedNumberScheduled`` the
    controller wrote (a node counts when its first pod, bound ones first, then the oldest,
    maybe terminating, is of the current revision: ``updateDaemonSetStatus``), and, when that
    differs, the count by the same rule from the pods the API server holds at the end (the
    summary's ``updated``): the last status written lags them.
    """
    status = result.status_log[-1][1] if result.status_log else {}
    updated, now = status.get("updated", result.summary["updated"]), result.summary["updated"]
    line = f"{updated:,} / {count_of(n, 'node')} with a pod of {revision} (kubectl's UP-TO-DATE)"
    if now != updated:
        line += f"; {now:,} by the pods at the end (the last status written lags them)"
    return line


def _min_available(s: Mapping[str, Any], timeline: Any) -> str:
    """The fewest available nodes and, if at another moment, the lowest share (each with its
    moment's desired count): nodes joining or leaving change what the share is of.
    """
    from rollsim.observe.metrics import lowest_available

    moments = lowest_available(timeline)
    text = f"{count_of(s['min_available'], 'node')} ({format_percent_exact(s['min_available_fraction'])})"
    if moments is None:
        return text
    (fewest, of), (at_lowest, of_lowest) = moments
    if fewest * of_lowest == at_lowest * of:  # one share: one moment's figures
        return f"{count_of(fewest, 'node')} ({format_percent_exact(fewest / of)})"
    return (f"{count_of(fewest, 'node')} of {of:,} ({format_percent_exact(fewest / of)}); lowest share "
            f"{format_percent_exact(at_lowest / of_lowest)} ({at_lowest:,} of {of_lowest:,})")


def _desired_counts(timeline: Any, at_end: int) -> list[int]:
    """The desired node counts the run went through, in order (each change once; ``at_end``, the
    summary's, last): percentage budgets are resolved against each (``updatedDesiredNodeCounts``).
    """
    import numpy as np

    from rollsim.observe.columns import column, rows

    if not rows(timeline):
        return [at_end]
    desired = column(timeline, "desired")
    counts = desired[np.concatenate(([True], desired[1:] != desired[:-1]))].tolist()
    return counts if counts[-1] == at_end else [*counts, at_end]


def _budget_range(budgets: Sequence[int]) -> str:
    """A budget resolved against each desired count in turn: ``5``, or how it changed when nodes
    joined or left (``10 → 5``; past three values the first and last, with the range between).
    """
    steps = [b for i, b in enumerate(budgets) if i == 0 or b != budgets[i - 1]]
    if len(steps) <= 3:
        return " → ".join(f"{b:,}" for b in steps)
    low, high = min(steps), max(steps)
    between = "" if {low, high} == {steps[0], steps[-1]} else f", {low:,}–{high:,} between"
    return f"{steps[0]:,} → {steps[-1]:,}{between}"


def _any_updated(timeline: Any) -> bool:
    """Whether some node held an updated pod at some moment of the run."""
    from rollsim.observe.columns import column, rows

    return bool(rows(timeline)) and bool(column(timeline, "updated").max() > 0)


def _nodes_gone(result: Any) -> int:
    """The nodes that left the desired count during the run: removed, or gone NotReady."""
    from rollsim.spec.churn import change_kinds

    final = _final_nodes(result)
    removed = len(result.node_columns["node"]) - len(final)
    failed = sum(not node.ready for node in final) if "not-ready" in change_kinds(result.scenario.node_changes) else 0
    return removed + failed


def _downtime(s: Mapping[str, Any], gone: int) -> str:
    """Node downtime: over the nodes desired at the end, which is said when some left during the
    run (``gone``: removed, gone NotReady), since the unavailable node-seconds count every node
    while it was desired.
    """
    figures = ("none" if s["node_downtime_max_s"] is None else
               f"p50 {s['node_downtime_p50_s']:,.1f} s, p95 {s['node_downtime_p95_s']:,.1f} s, "
               f"max {s['node_downtime_max_s']:,.1f} s")
    if not gone:
        return figures
    if not s["nodes"]:
        return (f"{figures} (no node is desired at the end; unavailable counts the {count_of(gone, 'node')} that "
                "left, while desired)")
    return (f"{figures} (of the {count_of(s['nodes'], 'node')} still desired at the end; unavailable counts "
            f"the {count_of(gone, 'node')} that left too, while desired)")


def _budget_note(result: Any, budget: int) -> list[str]:
    """Why max unavailable is not the update's use of maxUnavailable (``budget``: its largest
    resolution during the run), when nodes explain it: nodes that joined, or went NotReady, count
    unavailable outside the budget, as do pods evicted under disk pressure and old pods that lost
    readiness; NotReady nodes' pods, not Ready (from the start, or on a kubelet that is gone), count
    against it (rollingUpdate counts every node's pods) until their deletion is confirmed, for ever on
    a kubelet that is gone (Ready=Unknown),
    but not in max unavailable, which counts the desired nodes; with maxSurge they count
    against neither budget (rollingUpdate replaces an unavailable old pod at once).
    """
    from rollsim.spec.budget import is_zero
    from rollsim.spec.churn import change_kinds
    from rollsim.spec.node import kubelet_alive
    from rollsim.spec.startstate import runs_at_start

    s, sc = result.summary, result.scenario
    if not sc.daemonset.strategy.rolling:
        return []
    kinds = change_kinds(sc.node_changes)
    final = _final_nodes(result)
    over = s["max_unavailable_observed"] > budget
    notes = []
    if over and "add" in kinds:
        notes.append("nodes that join count unavailable until their pod is available (numberUnavailable), "
                     "outside maxUnavailable")
    if over and "not-ready" in kinds:
        notes.append("nodes that go NotReady count unavailable (their pods not Ready) until they leave the "
                     "desired count, outside maxUnavailable")
    if over and s.get("disk_pressure_evictions"):
        notes.append("pods evicted under DiskPressure leave their nodes unavailable at once, outside maxUnavailable")
    if over and "old-pods-unready" in kinds:
        notes.append("old pods that lost readiness are replaced at once, outside maxUnavailable")
    # with maxSurge the controller replaces their unavailable old pods outside both budgets: no note
    surging = not is_zero(sc.daemonset.strategy.max_surge)
    held = [] if surging else [node for node in final if not node.ready and runs_at_start(node, sc.daemonset)]
    dead = [node for node in held if not kubelet_alive(node)]  # Ready=Unknown: a deletion there is never confirmed
    gone = len(dead)
    # a node updated before its kubelet went (its new pod created: non-surge, only once the old one was gone)
    # holds a new pod marked not Ready, not an old pod stuck terminating (audit 35: both were called the latter)
    created = dict(zip(result.node_columns["node"], result.node_columns["new_created_at_s"]))
    updated = sum(not math.isnan(created.get(node.name, math.nan)) for node in dead)
    if gone > updated:
        notes.append(f"the old pods of {count_of(gone - updated, 'NotReady node')} (Ready=Unknown), not Ready, are "
                     "deleted at once but stay terminating on a kubelet that is gone, and count against "
                     "maxUnavailable for as long (rollingUpdate counts every node's pods), not in max unavailable "
                     "(desired nodes only)")
    if updated:
        notes.append(f"the new pods of {count_of(updated, 'node')} updated before going NotReady (Ready=Unknown) "
                     "are marked not Ready and count against maxUnavailable while the node is NotReady "
                     "(rollingUpdate counts every node's pods), not in max unavailable (desired nodes only)")
    # Ready=False: the kubelet confirms the deletion within the grace period. Only nodes NotReady from the start
    # have pods not Ready (taken as found): a node that reports Ready=False later keeps its pods Ready (the node
    # lifecycle controller does not call MarkPodsNotReady), so they are replaced within the budget
    from_start = (sum(not n.ready and kubelet_alive(n) for n in sc.nodes)
                  + (sc.not_ready_nodes if sc.not_ready_condition == "False" else 0))
    false_held = min(len(held) - gone, from_start)
    if false_held:
        notes.append(f"the old pods of {count_of(false_held, 'node')} NotReady from the start (Ready=False), not "
                     "Ready, were deleted at once and counted against maxUnavailable only until their kubelets "
                     "confirmed it, not in max unavailable (desired nodes only)")
    return [f"  budget note        {'; '.join(notes)}"] if notes else []


def _joining_after(sc: Any, s: Mapping[str, Any]) -> str:
    """What the nodes that join after the rollout completed (``--add-nodes``) get: the new
    revision, once there, outside the rollout (the run ends when it completes).
    """
    later = [c for c in sc.node_changes if c.kind == "add" and c.at >= s["end_s"]]
    if not later:
        return ""
    count, first = sum(c.count for c in later), min(c.at for c in later)
    return (f" (the {count_of(count, 'node')} that join from {format_duration(first)} get its new revision "
            "when they join, after the rollout completed; the run ends with the rollout)")


def profile_line(profile: str, timings: Any) -> str:
    """The summary's line on a timing profile (``--timings``): which phases it set and which kept their
    default (audit 42: simulate never said its timings came from one, nor that terminate was the default).
    """
    from rollsim.spec.scenario import is_default_timing

    phases = ("schedule", "pull", "start", "ready", "terminate")
    kept = [p for p in phases if is_default_timing(p, getattr(timings, p))]
    given = [p for p in phases if p not in kept]
    shown = "the profile on standard input" if profile == "-" else profile
    return (f"\n  {'timings':<19}{', '.join(given) or 'no phase'} from {shown}"
            + (f"; {', '.join(kept)} the default" if kept else ""))


def format_summary(result: Any, wall: float) -> str:
    """The human-readable summary of one run."""
    from rollsim.spec.budget import scaled_value, updated_desired_node_counts

    s, sc = result.summary, result.scenario
    strategy = sc.daemonset.strategy
    n = s["nodes"]
    desired = _desired_counts(result.timeline_columns, n)
    unavailable_budgets = [updated_desired_node_counts(d, strategy.max_unavailable, strategy.max_surge).max_unavailable
                           for d in desired]
    if strategy.rolling:
        surge_budgets = [scaled_value(strategy.max_surge, d) for d in desired]
        how = (f"RollingUpdate, maxUnavailable {strategy.max_unavailable} (= {_budget_range(unavailable_budgets)}), "
               f"maxSurge {strategy.max_surge} (= {_budget_range(surge_budgets)})")
    else:
        how = f"OnDelete, deleter {sc.deleter}"
    downtime = _downtime(s, _nodes_gone(result))
    took = s["duration_s"]  # None for a DaemonSet on no node, which completes with nothing to roll out
    done = ((f"yes, in {format_duration(took)} ({took:,.1f} s)" if took is not None else "yes") if s["completed"]
            else f"no (stopped at {format_duration(s['end_s'])}, {s['end_s']:,.1f} s)")
    if s["completed"] and not _any_updated(result.timeline_columns):
        from rollsim.spec.churn import change_kinds

        why = ("its nodes left the cluster or went NotReady before they were updated"
               if change_kinds(sc.node_changes) & {"remove", "not-ready"} and any(n.ready for n in sc.nodes)
               else "the DaemonSet had no Ready node to update")
        done += f", with nothing updated: {why}" + _joining_after(sc, s)
    rolled_back = bool(s.get("rolled_back"))  # then "updated" counts the revision rolled back to
    # events are the simulation's, every DaemonSet's; syncs and writes this DaemonSet's controller's
    every, own = (" (every DaemonSet's)", " (this DaemonSet's)") if result.others else ("", "")
    lines = [
        f"rollsim: {n:,}-node DaemonSet rollout ({how}; {sc.controller.mode} controller, Kubernetes "
        f"{sc.controller.kubernetes_version}; seed {result.seed})",
        f"  nodes              {_eligibility(result)}",
        f"  completed          {done}",
    ]
    if not s["completed"]:
        healthy = _healthy_nodes(s.get("healthy_done_s"), rolled_back, s.get("healthy_nodes"))
        lines += [f"  stopped because    {s.get('stop_detail', 'unknown')}", f"  healthy nodes      {healthy}"]
    revision = "the old revision, rolled back to" if rolled_back else "the new revision"
    lines += [
        f"  up-to-date         {_up_to_date(result, n, revision)}",
        f"  min available      {_min_available(s, result.timeline_columns)}",
        f"  max unavailable    {count_of(s['max_unavailable_observed'], 'node')}",
        *_budget_note(result, max(unavailable_budgets)),
        f"  unavailable        {s['unavailable_node_seconds']:,.0f} node-seconds "
        f"({s['unavailable_node_seconds'] / 3600:,.1f} node-hours)",
        f"  max surge          {count_of(s['max_surge_observed'], 'node')} with two pods",
        *_preempted(s),
        *_refused(s, sc.registry.limit_words),
        *_registry_errors(s),
        *_old_pods_unready(s, sc.daemonset.strategy.rolling),
        *_disk_pressure(s, sc),
        f"  node downtime      {downtime}",
        f"  simulation         {s['events']:,} events{every}, {s['syncs']:,} syncs, "
        f"{s['api_writes']:,} API writes{own}, {wall:.2f} s wall",
    ]
    return "\n".join(lines)


def _healthy_nodes(healthy: float | None, rolled_back: bool, nodes: int | None = None) -> str:
    """When every node that could be updated was (``healthy_done_s``); after a rollback, when
    every node was back on the old revision (the update itself was undone). ``nodes``: how many
    could be updated (``healthy_nodes``; none: nothing to wait for, and ``healthy_done_s`` is 0).
    """
    done = "all back on the old revision" if rolled_back else "all updated"
    if healthy is None:
        return "not " + done
    if nodes == 0 and not rolled_back:
        return "none could be updated (the stop line says why)"
    return f"{done} by {format_duration(healthy)} ({healthy:,.1f} s)"


def _preempted(s: Mapping[str, Any]) -> list[str]:
    """The line on preemption (``rollsim.cluster.preemption``), when the DaemonSet's pods preempted any."""
    if not s.get("preemptions"):
        return []
    return [f"  preempted          other workloads on {count_of(s['preemptions'], 'node')} "
            f"({s['preempted_cpu_millis']:,.0f}m CPU, {s['preempted_memory_bytes'] / 2**30:,.1f} GiB memory "
            "evicted) for daemon pods that did not fit"]


def _refused(s: Mapping[str, Any], limit: str) -> list[str]:
    """The line on the requests a registry that rejects over its limit refused (``--registry-over-limit
    reject``), when it refused any; ``limit``: that limit in words (``RegistrySpec.limit_words``).
    """
    if not s.get("registry_refusals"):
        return []
    return [f"  registry refused   {count_of(s['registry_refusals'], 'request')} over {limit} (429 Too Many "
            "Requests): each pod pulled again after the kubelet's image pull back-off"]


def _registry_errors(s: Mapping[str, Any]) -> list[str]:
    """The line on the pulls a flaky registry failed part way (``--registry-error-rate``), when it failed any."""
    if not s.get("registry_errors"):
        return []
    return [f"  registry errors    {count_of(s['registry_errors'], 'pull')} failed part way (a 5xx, a timeout, a "
            "reset connection): each pod pulled again after the kubelet's image pull back-off"]


def _old_pods_unready(s: Mapping[str, Any], rolling: bool) -> list[str]:
    """The line on the old pods that lost readiness (``--old-pods-unready``), when the fault is given:
    replaced at once under RollingUpdate (``rolling``), only once deleted under OnDelete.
    """
    if "old_pods_unready" not in s:
        return []
    how = ("each replaced at once, outside maxUnavailable (rollingUpdate replaces an old pod that is not available)"
           if rolling else "none replaced until the deleter deleted it (OnDelete)")
    return [f"  old pods unready   {count_of(s['old_pods_unready'], 'old pod')} lost readiness: {how}"]


def _disk_pressure(s: Mapping[str, Any], sc: Any) -> list[str]:
    """The line on disk pressure (``--disk-pressure-nodes``, or nodes listed with the DiskPressure
    condition), when some node has it: the nodes, the DaemonSet's pods their kubelets evicted and
    rejected, and how long the condition held.
    """
    if "disk_pressure_evictions" not in s:
        return []
    nodes = s["nodes_under_disk_pressure"]  # the nodes that were under it (none NotReady), each counted once
    held = (" to the end of the run" if sc.disk_pressure_for_s is None else
            f", each for {pressure_held(sc.disk_pressure_for_s, sc.eviction_pressure_transition_period_s)}")
    critical = " (critical: priority at least 2000000000, so none evicted or rejected)" if is_critical(
        sc.daemonset.priority) else ""
    return [f"  disk pressure      {count_of(nodes, 'node')} under {sc.pressure_conditions()}{held}{critical}: "
            f"{count_of(s['disk_pressure_evictions'], 'pod')} evicted, {count_of(s['disk_pressure_rejections'], 'pod')}"
            " rejected at admission (Evicted), each deleted and created again after the controller's per-node "
            f"back-off{_collected(s, sc)}"]


def _collected(s: Mapping[str, Any], sc: Any) -> str:
    """What PodGC's ``gcTerminated`` deleted of the failed pods, over its threshold (when it deleted any)."""
    collected = s.get("terminated_pods_collected")
    if not collected:
        return ""
    return (f"; PodGC deleted {count_of(collected, 'failed pod')} over its threshold "
            f"({sc.controller.terminated_pod_gc_threshold:,} terminated pods, --terminated-pod-gc-threshold)")


_SHOWN = {"nodes", "completed", "duration_s", "updated", "min_available", "min_available_fraction",
          "max_unavailable_observed", "unavailable_node_seconds", "max_surge_observed", "node_downtime_p50_s",
          "node_downtime_p95_s", "node_downtime_max_s", "events", "syncs", "api_writes", "end_s"}


def wide_value(value: Any) -> str:
    """A summary value as ``-o wide`` prints it: ``<none>`` for a value that does not exist
    (as kubectl prints it), ``true``/``false``, thousands separators, a tenth of a second.
    """
    value = plain(value)
    if value is None:
        return "<none>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 0.1 or value == 0 else f"{value:.2g}"
    return str(value)


def format_summary_wide(result: Any, wall: float) -> str:
    """``-o wide``: the summary, then every other summary key (pulls, stalls, rollback, queue waits)."""
    rest = [(k, v) for k, v in simulate_document(result).items() if k not in _SHOWN and k != "others"]
    width = max((len(k) for k, _ in rest), default=0)
    lines = [format_summary(result, wall)] + [f"  {k:<{width}}  {wide_value(v)}" for k, v in rest]
    for name, other in (result.others or {}).items():
        lines.append(f"  {name}: completed {wide_value(other.get('completed'))}, duration_s "
                     f"{wide_value(other.get('duration_s'))}, min_available {wide_value(other.get('min_available'))}")
    return "\n".join(lines)
