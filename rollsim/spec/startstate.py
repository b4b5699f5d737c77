"""Whether the run starts in a state a cluster can be in: ``check_start``.

A run starts with an old pod of every DaemonSet (the study's and ``also``'s) on every node that
should run it (``NodeShouldRunDaemonPod``), Ready and available. A cluster could not hold:
two of them with one host port on a node (the scheduler's ``NodePorts`` filter keeps the
second off), a DaemonSet on no node, or on NotReady nodes only (its rollout would "complete" at
once; allowed when said),
or old pods whose requests exceed a node's allocatable beside the other workloads
(``first_misfit``). The other workloads request ``node_utilization`` of the node's
allocatable CPU and memory (the pods other than the DaemonSets': the share is theirs alone,
and the DaemonSets' pods come on top of it, as the scheduler counts them); the scheduler's
``NodeResourcesFit`` filter (``fitsRequest``) leaves the pod that does not fit Pending, and
the kubelet's admission (``generalFilter``: ``OutOfcpu``, ``OutOfmemory``) fails one that
gets there another way. Each check raises ``OptionError`` naming the option, or the item
of ``also`` (in the order given) and its key, with the rule.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rollsim.spec.eligibility import KEPT_ONLY, eligibility_report, node_should_run_daemon_pod, why_not_eligible
from rollsim.spec.node import Node, gives_allocatable, kubelet_alive, ready_node
from rollsim.spec.optionerrors import AllNotReadyError, EmptyClusterError, NoNodeError, OptionError
from rollsim.spec.scenario import DaemonSetSpec, Scenario, Workload

__all__ = ["Misfit", "first_misfit", "held_for_good", "runs_at_start", "check_start"]

_RESOURCES = (("cpu", "allocatable_cpu_millis", "requests_cpu_millis"),
              ("memory", "allocatable_memory_bytes", "requests_memory_bytes"))


@dataclass(frozen=True, slots=True)
class Misfit:
    """DaemonSet ``index`` (of the run's, the study's own first) whose old pod does not fit its
    ``resource`` on ``count`` of the ``of`` nodes that run it; ``node`` is the first such node,
    with its ``allocatable``, the other workloads' share there (``others``) and the requests of
    the DaemonSets before it there (``before``: name and request, those with one only).
    """

    index: int
    resource: str
    count: int
    of: int
    node: str
    allocatable: int
    others: float
    before: tuple[tuple[str, int], ...]
    request: int

    @property
    def free(self) -> float:
        """What the other workloads leave of the node's allocatable."""
        return self.allocatable - self.others


def runs_at_start(node: Node, spec: DaemonSetSpec) -> bool:
    """Whether ``node`` holds ``spec``'s old pod at time 0: it should run it, or, NotReady, would
    if it were Ready (its pod was placed before it failed), as ``rollsim.world`` places them.
    """
    return node_should_run_daemon_pod(node if node.ready else ready_node(node), spec.placement)[0]


def held_for_good(scenario: Scenario) -> int:
    """The listed nodes whose old pod stays terminating through the whole rollout, counted against
    maxUnavailable (``rollingUpdate`` counts every node's pods, until #123233 changes which) but not
    in the availability floor: unreachable nodes (Ready=Unknown: ``kubelet_alive`` false, so nothing
    confirms the deletion) that ran the pod and no longer should (their ``unreachable`` taint).
    A budget above what the floor allows keeps it only while these pods stay (audit 40).
    """
    spec = scenario.daemonset
    return sum(1 for n in scenario.nodes if not kubelet_alive(n) and runs_at_start(n, spec)
               and not node_should_run_daemon_pod(n, spec.placement)[0])


def first_misfit(nodes: Sequence[Node], utilization: float, specs: Sequence[DaemonSetSpec]) -> Misfit | None:
    """The first DaemonSet of ``specs`` whose old pod does not fit, per resource, beside the
    other workloads (``utilization`` of allocatable) and the old pods of the DaemonSets before
    it, on some node that runs them all; None when every start is one a cluster can be in.
    A resource whose allocatable a node does not give is not checked there (nodes of a count).
    """
    requesting = [k for k, s in enumerate(specs) if s.requests_cpu_millis or s.requests_memory_bytes]
    if not requesting or not gives_allocatable(nodes):
        return None
    runs = {k: [runs_at_start(n, specs[k]) for n in nodes] for k in requesting}
    for k in requesting:
        for resource, allocatable_of, request_of in _RESOURCES:
            request = getattr(specs[k], request_of)
            if request:
                misfit = _misfit(nodes, utilization, specs, runs, k, (resource, allocatable_of, request_of))
                if misfit is not None:
                    return misfit
    return None


def _misfit(nodes: Sequence[Node], utilization: float, specs: Sequence[DaemonSetSpec], runs: dict[int, list[bool]],
            k: int, resource: tuple[str, str, str]) -> Misfit | None:
    """DaemonSet ``k``'s misfit in one resource (name, the node's and the spec's attribute), if any."""
    name, allocatable_of, request_of = resource
    request = getattr(specs[k], request_of)
    earlier = [j for j in runs if j < k and getattr(specs[j], request_of)]
    count, of, first = 0, 0, None
    for i, node in enumerate(nodes):
        allocatable = getattr(node, allocatable_of)
        if not runs[k][i] or allocatable is None:
            continue
        of += 1
        before = [j for j in earlier if runs[j][i]]
        used = sum(getattr(specs[j], request_of) for j in before)
        if utilization * allocatable + used + request > allocatable:  # fitsRequest, as the scheduler checks it
            count += 1
            if first is None:
                first = (node, allocatable, tuple((specs[j].name, getattr(specs[j], request_of)) for j in before))
    if first is None:
        return None
    node, allocatable, before_pods = first
    return Misfit(k, name, count, of, node.name, allocatable, utilization * allocatable, before_pods, request)


def check_start(scenario: Scenario, o: Mapping[str, Any], also: tuple[Workload, ...], allowed: tuple[bool, ...],
                manifest: bool, listed: bool) -> None:
    """The run starts in a state a cluster can be in: no two DaemonSets hold one host port on a
    node, each DaemonSet runs somewhere (on the nodes it starts with or, with ``add_nodes``, on
    those that join; unless allowed not to), and the old pods fit their nodes. ``also``: the
    items in the order given, with their ``allow_no_nodes``.
    """
    specs = (scenario.daemonset, *(w.daemonset for w in also))
    if also:
        _check_host_ports(scenario.nodes, specs)
    joining = _nodes_that_join(scenario)
    if not o.get("allow_no_nodes"):
        _check_runs_somewhere(scenario, joining, o, manifest, listed)
    _check_items_run_somewhere(scenario.nodes, joining, also, allowed)
    _check_old_pods_fit(scenario, specs, o, manifest)


def _nodes_that_join(scenario: Scenario) -> tuple[tuple[Node, int], ...]:
    """The nodes that join during the run (``add_nodes``) by shape, one node standing for those
    of its shape with their count (``rollsim.spec.churn.nodes_that_join``: copies of the nodes
    there in proportion to their shapes); empty without ``add_nodes``.
    """
    from rollsim.spec.churn import added_nodes, nodes_that_join

    return nodes_that_join(scenario.nodes, added_nodes(scenario.node_changes))


def _check_runs_somewhere(scenario: Scenario, joining: tuple[tuple[Node, int], ...], o: Mapping[str, Any],
                          manifest: bool, listed: bool) -> None:
    """The DaemonSet runs on some node: of those it starts with or of those that join (``_why_no_node``);
    an empty cluster that no node joins, or one whose nodes all keep it off, is refused
    (``allow_no_nodes`` says that is meant). ``manifest``: a manifest
    placed it; ``listed``: the nodes came as a list.
    """
    if not scenario.nodes and not joining:  # a count of 0 (a grid's 0): the rollout would "complete" at once
        raise EmptyClusterError("nodes_file" if listed else "nodes")
    _check_some_node_ready(scenario, joining, listed)
    placed_by = tuple(name for name, given in (("manifest", manifest),
                                               ("tolerations", "tolerations" in o)) if given)
    if not placed_by:  # the default DaemonSet, placed by nothing given: the nodes keep it off
        placed_by = ("nodes_file",) if listed else ("control_plane_nodes",)
    _check_matches_some_node(scenario.nodes, joining, scenario.daemonset.placement, placed_by)


def _check_some_node_ready(scenario: Scenario, joining: tuple[tuple[Node, int], ...], listed: bool) -> None:
    """Some node that holds the DaemonSet's old pod is Ready, or some node that joins runs it: a
    rollout whose nodes are all NotReady (``not_ready_nodes`` as many as the nodes, which leaves
    none whatever the seed, or a node list's NotReady nodes) has no node to update and "completes"
    at once, the old pods left as they are, as with no node at all. ``allow_no_nodes`` says that is meant.
    """
    from rollsim.spec.churn import joining_nodes

    spec, nodes = scenario.daemonset, scenario.nodes
    every = bool(nodes) and scenario.not_ready_nodes == len(nodes)  # the count picks them all
    if not every and any(n.ready and runs_at_start(n, spec) for n in nodes):  # most often the first
        return
    holding = sum(runs_at_start(n, spec) for n in nodes)
    added = sum(count for _, count in joining)
    if not holding or any(why_not_eligible(n, spec.placement) is None for n in joining_nodes(nodes, added)):
        return  # no node holds it (_check_matches_some_node says why), or one that joins runs it
    raise AllNotReadyError("not_ready_nodes" if every else "nodes_file" if listed else "nodes", holding)


def _check_matches_some_node(nodes: tuple[Node, ...], joining: tuple[tuple[Node, int], ...], placement: Any,
                             placed_by: tuple[str, ...]) -> None:
    """A DaemonSet that no node should run is almost always a mistake (a ``nodeSelector`` the
    nodes' labels do not carry, a taint not tolerated): its rollout "completes" at once. Raise,
    naming what excluded the nodes, unless ``allow_no_nodes`` says that is intended.

    The error names the inputs that set the DaemonSet's placement (``placed_by``: its manifest,
    the ``tolerations`` option) or, when neither is given, the nodes that keep it off; not
    ``allow_no_nodes``, which is only the way to say an empty rollout is meant.
    """
    why = _why_no_node(nodes, joining, placement)
    if why is not None:
        raise NoNodeError(placed_by, why)


_WHY_ROOM = 100  # characters of reasons at most, past the first: the error line keeps its rule and way out


def _why_no_node(nodes: tuple[Node, ...], joining: tuple[tuple[Node, int], ...], placement: Any) -> str | None:
    """What keeps a DaemonSet of ``placement`` off every one of ``nodes`` (with an example of each
    reason) and of the nodes that join (``joining``: by shape, counted apart: they are not the
    user's), or None when some node should run it. Each node that joins is asked, by its name too
    (a ``kubernetes.io/hostname`` pin to ``added-00003``), until one runs it; the shapes word the reasons.
    """
    from rollsim.spec.churn import joining_nodes

    added = sum(count for _, count in joining)
    if (any(why_not_eligible(n, placement) is None for n in nodes)  # most often the first: nothing to count
            or any(why_not_eligible(n, placement) is None for n in joining_nodes(nodes, added))):  # each, by name
        return None
    report = eligibility_report(nodes, placement)
    examples = dict(report.examples)
    bare = [f"{count} of {len(nodes)} nodes: {reason.removeprefix(KEPT_ONLY)}" for reason, count in report.reasons]
    parts = [text + (f", e.g. {examples[reason][0]}" if examples.get(reason) else "")
             for text, (reason, _) in zip(bare, report.reasons)]
    shown = next((i for i in range(1, len(parts)) if len("; ".join(parts[:i + 1])) > _WHY_ROOM), len(parts))
    if shown < len(parts):  # whole reasons, then how many nodes the rest keep off, so that the counts add up
        rest = sum(count for _, count in report.reasons[shown:])
        more = len(parts) - shown
        parts[shown:] = [f"and {more} more reason{'s' if more > 1 else ''}, on {rest:,} node{'s' if rest > 1 else ''}"]
        if len("; ".join(parts)) > _WHY_ROOM:  # the first reason's example gives way, not a cut inside it
            parts[0] = bare[0]
    if joining:
        parts.append(_why_not_joining(joining, placement, {reason for reason, _ in report.reasons}))
    return "; ".join(parts)


def _why_not_joining(joining: tuple[tuple[Node, int], ...], placement: Any, listed: set[str]) -> str:
    """What keeps a DaemonSet off the nodes that join (by shape, with their counts): ``likewise``
    when the reasons are among those of the ``listed`` nodes they copy (the error line stays short
    enough to keep its way out), else each reason with its count.
    """
    reasons: Counter[str] = Counter()
    for node, count in joining:
        reasons[str(why_not_eligible(node, placement))] += count
    total = sum(reasons.values())
    who = "the node that joins" if total == 1 else f"the {total:,} nodes that join"
    if set(reasons) <= listed:
        return f"likewise {who} (add_nodes)"
    order = sorted(reasons, key=lambda reason: (-reasons[reason], reason))
    return f"{who} (add_nodes): " + ", ".join(
        f"{reasons[reason]} {reason.removeprefix(KEPT_ONLY)}" for reason in order)


def _check_items_run_somewhere(nodes: tuple[Node, ...], joining: tuple[tuple[Node, int], ...],
                               also: tuple[Workload, ...], allowed: tuple[bool, ...]) -> None:
    """Each item of ``also`` runs on some node, of those at the start or of those that join
    (``joining``, by shape), as the study's own DaemonSet must (``_check_runs_somewhere``): one
    that matches no node would "complete" at once, with nothing updated, which hides a placement
    mistake (a taint it does not tolerate). Its own ``allow_no_nodes`` says that is meant. An
    empty cluster is the study's to refuse.
    """
    if not nodes and not joining:
        return
    for i, (workload, allow) in enumerate(zip(also, allowed)):
        why = None if allow else _why_no_node(nodes, joining, workload.daemonset.placement)
        if why is not None:
            rule = (f"matches no node ({why}); fix its tolerations or host_network, or set its allow_no_nodes: true "
                    "if that is intended")
            raise OptionError("also", f"item {i} ({workload.daemonset.name}): {rule}", f"[{i}]", rule)


def _check_host_ports(nodes: tuple[Node, ...], specs: tuple[DaemonSetSpec, ...]) -> None:
    """Two DaemonSets updated together cannot both hold a host port on a node that runs both:
    the scheduler's NodePorts filter keeps the second pod off, so their old pods could not both
    be running there, as the run would start them (the item of ``also`` that clashes is named).
    ``specs``: the study's DaemonSet, then the items of ``also`` in the order given.
    """
    runs_on: dict[int, set[int]] = {}  # per DaemonSet, the nodes that run it: worked out once, when asked for

    def nodes_of(k: int) -> set[int]:
        if k not in runs_on:
            placement = specs[k].placement
            runs_on[k] = {i for i, n in enumerate(nodes) if node_should_run_daemon_pod(n, placement)[0]}
        return runs_on[k]

    for j in range(1, len(specs)):
        for i in range(j):
            shared = sorted(set(specs[i].host_ports) & set(specs[j].host_ports))
            if shared and nodes_of(i) & nodes_of(j):
                who = "the DaemonSet's own" if i == 0 else f"item {i - 1}'s ({specs[i].name})"
                rule = (f"must not repeat {who} host port {', '.join(map(str, shared))} on nodes that run both: "
                        "the NodePorts filter lets one pod hold a host port per node")
                raise OptionError("also", f"item {j - 1} ({specs[j].name}): host_ports: {rule}",
                                  f"[{j - 1}].host_ports", rule)


def _amount(resource: str, value: float) -> str:
    """A request or allocatable as a manifest writes it: CPU in millicores, memory in Mi."""
    return f"{value:,.0f}m" if resource == "cpu" else f"{value / 2**20:,.0f}Mi"


def _check_old_pods_fit(scenario: Scenario, specs: tuple[DaemonSetSpec, ...], o: Mapping[str, Any],
                        manifest: bool) -> None:
    """The old pods the run starts with fit their nodes beside the other workloads
    (``first_misfit``): ``node_utilization`` is the share of allocatable the pods other
    than the DaemonSets' request, and every DaemonSet's old pod comes on top of it. Else the
    scheduler's NodeResourcesFit would have left one of them Pending (and the kubelet's admission
    fails one that got there: OutOfcpu), so they could not all be running, as the run would
    start them. The error names the first DaemonSet (``specs``: the study's, then ``also`` in the
    order given) that does not fit beside those before it, the nodes, and its request against
    what is free.
    """
    misfit = first_misfit(scenario.nodes, scenario.node_utilization, specs)
    if misfit is None:
        return
    r, spec = misfit.resource, specs[misfit.index]
    before = ("".join(f" + {name}'s {_amount(r, value)}" for name, value in misfit.before)
              if len(misfit.before) <= 2 else
              f" + {len(misfit.before)} other DaemonSets' {_amount(r, sum(v for _, v in misfit.before))}")
    rule = (f"{spec.name}'s old pod does not fit on {misfit.count} of {misfit.of} nodes (e.g. {misfit.node}): "
            f"{_amount(r, misfit.request)} {r}{before if misfit.before else ''} > {_amount(r, misfit.free)} free "
            f"({_amount(r, misfit.allocatable)} allocatable, node_utilization {scenario.node_utilization:g} to other "
            "pods); NodeResourcesFit would keep one Pending; lower the requests or node_utilization")
    if misfit.index:
        i = misfit.index - 1
        raise OptionError("also", f"item {i} ({spec.name}): requests_{r}: {rule}", f"[{i}].requests_{r}", rule)
    named = tuple(n for n in (f"requests_{r}", "node_utilization") if n in o)
    raise OptionError(named or (("manifest",) if manifest else (f"requests_{r}",)), rule)
