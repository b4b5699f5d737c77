"""Scenario options: ``build_scenario`` turns flat options into a ``Scenario``.

An option is a setting of ``rollsim.spec.settings``: a flat name (the CLI flag without
dashes: ``max_unavailable``) and a key path in an experiment's ``scenario`` section
(``strategy.max_unavailable``). ``build_scenario`` applies each setting's rule (which
raises ``OptionError`` naming the option and the rule), then the rules that tie two
options together, then sets each value on its ``Scenario`` field; what is not given keeps
the field's default.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from rollsim.spec.budget import is_zero
from rollsim.spec.image import link_conflict
from rollsim.spec.kinds import ItemError, non_negative_integer
from rollsim.spec.limits import LimitError, check_limit
from rollsim.spec.node import Node, control_plane_node, uniform_nodes
from rollsim.spec.scenario import DaemonSetSpec, Scenario, UpdateStrategy, Workload
from rollsim.spec.settings import BY_KEY, BY_NAME, SETTINGS

__all__ = [
    "OptionError", "NoNodeError", "EmptyClusterError", "OPTIONS", "RULES", "build_scenario", "option_path",
    "option_for_path", "non_negative_integer", "ignored_options", "ignored_in_also", "IGNORED_NOTE", "NOT_FITTED_NOTE",
    "NO_SIZE_NOTE", "NO_PULL_RATE_NOTE", "ITEM_NO_SIZE_NOTE", "also_item_key", "also_in_key_order",
]


class OptionError(ValueError):
    """A bad option value; ``options`` names the option(s) whose rule it breaks.

    ``within`` is where inside the one option's value the broken rule is, when the value is a
    list of mappings (``also``: ``[0].max_unavailable``), and ``rule`` the message about that
    place alone: an experiment file names that key and its line instead of the whole list's.
    """

    def __init__(self, options: str | tuple[str, ...], message: str, within: str = "",
                 rule: str | None = None) -> None:
        self.options = (options,) if isinstance(options, str) else options
        self.message = message
        self.within = within
        self.rule = message if rule is None else rule
        super().__init__(message)


class NoNodeError(OptionError):
    """The DaemonSet matches no node of a cluster that has some; ``why`` says what keeps it off
    them. The message offers ``allow_no_nodes``, the way to say an empty rollout is meant
    (``rollsim plan``, which has nothing to search then, says its own).
    """

    def __init__(self, options: str | tuple[str, ...], why: str) -> None:
        self.why = why
        super().__init__(options, f"the DaemonSet matches no node ({why}); fix its nodeSelector, affinity or "
                                  "tolerations, or set daemonset.allow_no_nodes (--allow-no-nodes) if that is intended")


class EmptyClusterError(OptionError):
    """The cluster has no nodes (a count of 0), so the rollout would "complete" at once. The
    message offers ``allow_no_nodes``, as ``NoNodeError``'s does (``rollsim plan``, which has
    no such flag and nothing to search then, says its own).
    """

    def __init__(self, options: str | tuple[str, ...]) -> None:
        super().__init__(options, "the cluster has no nodes, so the DaemonSet runs no pod and its rollout would "
                                  "complete at once; give it nodes, or set daemonset.allow_no_nodes (--allow-no-nodes) "
                                  "if that is intended")


# option -> (key path in an experiment's scenario section, rule), derived from the settings
OPTIONS: dict[str, tuple[str, Callable[[Any], Any]]] = {s.name: (s.key, s.kind.rule) for s in SETTINGS}
RULES = {s.name: s.kind.rule for s in SETTINGS}
# options that build_scenario combines instead of setting their field as given
_COMBINED = frozenset({"nodes", "control_plane_nodes", "not_ready_nodes", "add_nodes", "remove_nodes",
                       "strategy", "max_unavailable", "max_surge", "also", "allow_no_nodes"})


def option_path(name: str) -> str:
    """The key path of option ``name`` in a ``scenario`` section."""
    return BY_NAME[name].key


def option_for_path(path: str) -> str | None:
    """The option a ``scenario`` key path sets, if any."""
    setting = BY_KEY.get(path)
    return setting.name if setting is not None else None


def build_scenario(
    *, daemonset_spec: DaemonSetSpec | None = None, node_list: tuple[Node, ...] | None = None, **options: Any
) -> Scenario:
    """A scenario from flat options named like the CLI flags; ``None`` keeps the default.

    ``daemonset_spec`` (a DaemonSet read from a manifest) is the base that options
    override field by field; ``node_list`` (nodes read from a node list or built from
    pools) replaces the identical nodes of ``nodes``/``control_plane_nodes``. Precedence
    is the caller's (flag > file > default); anything missing takes the defaults of
    ``rollsim simulate``. Raises ``OptionError``.
    """
    given = {k: v for k, v in options.items() if v is not None}
    unknown = sorted(set(given) - set(OPTIONS))
    if unknown:
        raise OptionError(tuple(unknown), f"unknown scenario option(s): {', '.join(unknown)}")
    o: dict[str, Any] = {}
    for name, value in given.items():
        try:
            o[name] = RULES[name](value)
        except ItemError as exc:
            raise OptionError(name, str(exc), exc.within, exc.rule) from None
        except ValueError as exc:
            raise OptionError(name, str(exc)) from None

    base = daemonset_spec if daemonset_spec is not None else DaemonSetSpec()
    strategy = _strategy(o, base.strategy)
    if o.get("deleter") is not None and o["deleter"].kind != "none" and strategy.rolling:
        raise OptionError("deleter", "applies only with strategy OnDelete")

    if node_list is not None:
        clash = [k for k in ("nodes", "control_plane_nodes") if k in o]
        if clash:
            raise OptionError(tuple(clash), "give either a node list (nodes file or pools) or a node count, not both")
        nodes = node_list
    _check_node_counts(o, node_list)
    if node_list is None:
        nodes = tuple(control_plane_node(f"control-plane-{i}") for i in range(_given(o, "control_plane_nodes")))
        nodes += uniform_nodes(_given(o, "nodes"))
    fields: dict[str, Any] = {BY_NAME[name].field: value for name, value in o.items()  # type: ignore[misc]
                              if name not in _COMBINED}
    fields.update({"daemonset.strategy": strategy, "nodes": nodes, "not_ready_nodes": _not_ready(o, nodes),
                   "node_changes": _given(o, "add_nodes") + _given(o, "remove_nodes")
                   + (o["not_ready_nodes"] if isinstance(o.get("not_ready_nodes"), tuple) else ())})
    also: tuple[Workload, ...] = ()  # in the order given (the scenario keeps them in namespace/name order)
    allowed: tuple[bool, ...] = ()  # each item's own allow_no_nodes
    if "also" in o:
        also, allowed = _workloads(o["also"])
        fields["also"] = also
        _check_distinct_names(dataclasses.replace(base, name=fields.get("daemonset.name", base.name),
                                                  namespace=fields.get("daemonset.namespace", base.namespace)),
                              also)
        _check_node_link(fields.get("image.node_bandwidth"), also)
    scenario = _with_fields(Scenario(nodes=(), daemonset=base), fields)
    _check_start(scenario, o, also, allowed, daemonset_spec is not None, node_list is not None)
    return scenario


def _check_start(scenario: Scenario, o: Mapping[str, Any], also: tuple[Workload, ...], allowed: tuple[bool, ...],
                 manifest: bool, listed: bool) -> None:
    """The run starts in a state a cluster can be in: no two DaemonSets hold one host port on a
    node, each DaemonSet runs somewhere (unless allowed not to, or nodes join later), and the old
    pods fit their nodes. ``also``: the items in the order given, with their ``allow_no_nodes``.
    """
    specs = (scenario.daemonset, *(w.daemonset for w in also))
    if also:
        _check_host_ports(scenario.nodes, specs)
    if not o.get("add_nodes"):  # nodes that join later may run it
        if not o.get("allow_no_nodes"):
            _check_runs_somewhere(scenario, o, manifest, listed)
        _check_items_run_somewhere(scenario.nodes, also, allowed)
    _check_old_pods_fit(scenario, specs, o, manifest)


def _check_runs_somewhere(scenario: Scenario, o: Mapping[str, Any], manifest: bool, listed: bool) -> None:
    """The DaemonSet runs on some node at the start (an empty cluster, or one whose nodes all
    keep it off, is refused; ``allow_no_nodes`` or nodes that join later say that is meant).
    ``manifest``: a manifest placed it; ``listed``: the nodes came as a list.
    """
    if not scenario.nodes:  # a count of 0 (a grid's 0): the rollout would "complete" at once, as below
        raise EmptyClusterError("nodes_file" if listed else "nodes")
    placed_by = tuple(name for name, given in (("manifest", manifest),
                                               ("tolerations", "tolerations" in o)) if given)
    if not placed_by:  # the default DaemonSet, placed by nothing given: the nodes keep it off
        placed_by = ("nodes_file",) if listed else ("control_plane_nodes",)
    _check_matches_some_node(scenario.nodes, scenario.daemonset.placement, placed_by)


def _check_matches_some_node(nodes: tuple[Node, ...], placement: Any, placed_by: tuple[str, ...]) -> None:
    """A DaemonSet that no node should run is almost always a mistake (a ``nodeSelector`` the
    nodes' labels do not carry, a taint not tolerated): its rollout "completes" at once. Raise,
    naming what excluded the nodes, unless ``allow_no_nodes`` says that is intended.

    The error names the inputs that set the DaemonSet's placement (``placed_by``: its manifest,
    the ``tolerations`` option) or, when neither is given, the nodes that keep it off; not
    ``allow_no_nodes``, which is only the way to say an empty rollout is meant.
    """
    why = _why_no_node(nodes, placement)
    if why is not None:
        raise NoNodeError(placed_by, why)


def _why_no_node(nodes: tuple[Node, ...], placement: Any) -> str | None:
    """What keeps a DaemonSet of ``placement`` off every one of ``nodes`` (with an example of each
    reason), or None when some node should run it.
    """
    from rollsim.spec.eligibility import KEPT_ONLY, eligibility_report, why_not_eligible

    if any(why_not_eligible(n, placement) is None for n in nodes):  # most often the first: nothing to count
        return None
    report = eligibility_report(nodes, placement)
    examples = dict(report.examples)
    return "; ".join(f"{count} of {len(nodes)} nodes: {reason.removeprefix(KEPT_ONLY)}"
                     + (f", e.g. {examples[reason][0]}" if examples.get(reason) else "")
                     for reason, count in report.reasons)


def _check_items_run_somewhere(nodes: tuple[Node, ...], also: tuple[Workload, ...], allowed: tuple[bool, ...]) -> None:
    """Each item of ``also`` runs on some node at the start, as the study's own DaemonSet must
    (``_check_runs_somewhere``): one that matches no node would "complete" at once, with nothing
    updated, which hides a placement mistake (a taint it does not tolerate). Its own
    ``allow_no_nodes`` says that is meant. An empty cluster is the study's to refuse.
    """
    if not nodes:
        return
    for i, (workload, allow) in enumerate(zip(also, allowed)):
        why = None if allow else _why_no_node(nodes, workload.daemonset.placement)
        if why is not None:
            rule = (f"matches no node ({why}); fix its tolerations or host_network, or set its allow_no_nodes: true "
                    "if that is intended")
            raise OptionError("also", f"item {i} ({workload.daemonset.name}): {rule}", f"[{i}]", rule)


def _given(o: Mapping[str, Any], name: str) -> Any:
    """Option ``name`` as given, or its setting's default."""
    return o[name] if name in o else BY_NAME[name].default


def _with_fields(obj: Any, fields: Mapping[str, Any]) -> Any:
    """``obj`` with the fields at the given attribute paths replaced, one ``replace`` per object."""
    own: dict[str, Any] = {}
    nested: dict[str, dict[str, Any]] = {}
    for path, value in fields.items():
        head, _, rest = path.partition(".")
        if rest:
            nested.setdefault(head, {})[rest] = value
        else:
            own[head] = value
    for head, inner in nested.items():
        own[head] = _with_fields(getattr(obj, head), inner)
    return dataclasses.replace(obj, **own) if own else obj


def _workloads(items: tuple[Any, ...]) -> tuple[tuple[Workload, ...], tuple[bool, ...]]:
    """Other DaemonSets updated at the same time, each built from its own options, in the order
    given; and whether each accepts matching no node (its own ``allow_no_nodes``; a ``Workload``
    given as one does not).
    """
    out, allowed = [], []
    for i, item in enumerate(items):
        if isinstance(item, Workload):
            out.append(item)
            allowed.append(False)
            continue
        try:
            allow = bool(RULES["allow_no_nodes"](item["allow_no_nodes"])) if item.get("allow_no_nodes") is not None \
                else False
            built = build_scenario(**{**item, "nodes": 0, "allow_no_nodes": True})  # its spec alone
        except ValueError as exc:  # OptionError, or the allow_no_nodes rule's
            options = exc.options if isinstance(exc, OptionError) else ("allow_no_nodes",)
            message, inner = (exc.message, exc.within) if isinstance(exc, OptionError) else (str(exc), "")
            rule = (exc.rule if isinstance(exc, OptionError) else message) if len(options) == 1 else message
            within = f"[{i}].{options[0]}{inner}" if len(options) == 1 else f"[{i}]"
            raise OptionError("also", f"item {i} ({item['name']}): {', '.join(options)}: {message}",
                              within, rule) from None
        out.append(Workload(built.daemonset, built.timings, built.image))
        allowed.append(allow)
    return tuple(out), tuple(allowed)


def _check_distinct_names(daemonset: DaemonSetSpec, also: tuple[Workload, ...]) -> None:
    """DaemonSets updated together are objects of one cluster: no two share a namespace and a name
    (``Scenario`` checks it again; here the error names the item of ``also`` that repeats one).
    """
    seen = {daemonset.key: "the DaemonSet's own"}
    for i, workload in enumerate(also):
        other = workload.daemonset.key
        if other in seen:
            rule = (f"must differ from {seen[other]} namespace and name ({other}): DaemonSets updated together "
                    "are distinct objects of one cluster")
            raise OptionError("also", f"item {i} ({workload.daemonset.name}): name: {rule}", f"[{i}].name", rule)
        seen[other] = f"item {i}'s"


def _check_host_ports(nodes: tuple[Node, ...], specs: tuple[DaemonSetSpec, ...]) -> None:
    """Two DaemonSets updated together cannot both hold a host port on a node that runs both:
    the scheduler's NodePorts filter keeps the second pod off, so their old pods could not both
    be running there, as the run would start them (the item of ``also`` that clashes is named).
    ``specs``: the study's DaemonSet, then the items of ``also`` in the order given.
    """
    from rollsim.spec.eligibility import node_should_run_daemon_pod

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


def _check_node_link(study: float | None, items: tuple[Workload, ...]) -> None:
    """A node has one download link, whichever DaemonSet's image it pulls (``node_link``): an item's
    ``node_bandwidth`` may repeat the study's (or the first item's that gives one), not differ.
    """
    conflict = link_conflict([study, *(w.image.node_bandwidth for w in items)])
    if conflict is not None:
        j, value, first = conflict
        rule = (f"must be the node's one link, {first / 1e6:g}MB/s as already given, or be left out: every "
                f"DaemonSet's pulls on a node share its link (give it once, as image.node_bandwidth); got "
                f"{value / 1e6:g}MB/s")
        raise OptionError("also", f"item {j - 1} ({items[j - 1].daemonset.name}): node_bandwidth: {rule}",
                          f"[{j - 1}].node_bandwidth", rule)


def _amount(resource: str, value: float) -> str:
    """A request or allocatable as a manifest writes it: CPU in millicores, memory in Mi."""
    return f"{value:,.0f}m" if resource == "cpu" else f"{value / 2**20:,.0f}Mi"


def _check_old_pods_fit(scenario: Scenario, specs: tuple[DaemonSetSpec, ...], o: Mapping[str, Any],
                        manifest: bool) -> None:
    """The old pods the run starts with fit their nodes beside the other workloads
    (``rollsim.spec.startfit``): ``node_utilization`` is the share of allocatable the pods other
    than the DaemonSets' request, and every DaemonSet's old pod comes on top of it. Else the
    scheduler's NodeResourcesFit would have left one of them Pending (and the kubelet's admission
    fails one that got there: OutOfcpu), so they could not all be running, as the run would
    start them. The error names the first DaemonSet (``specs``: the study's, then ``also`` in the
    order given) that does not fit beside those before it, the nodes, and its request against
    what is free.
    """
    from rollsim.spec.startfit import first_misfit

    misfit = first_misfit(scenario.nodes, scenario.node_utilization, specs)
    if misfit is None:
        return
    r, spec = misfit.resource, specs[misfit.index]
    before = (" + " + ", ".join(f"{name}'s {_amount(r, value)}" for name, value in misfit.before)
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


def _not_ready(o: Mapping[str, Any], nodes: tuple[Node, ...]) -> int:
    count = _given(o, "not_ready_nodes")
    if isinstance(count, tuple):  # during the rollout: a node change
        return 0
    if count > len(nodes):
        raise OptionError("not_ready_nodes", f"must not exceed the {len(nodes)} nodes, got {count}")
    return count


def _strategy(o: Mapping[str, Any], base: UpdateStrategy) -> UpdateStrategy:
    """The update strategy: options over the base (a manifest's, or the API defaults).

    Setting only one of the pair makes the other fit, since the API rejects both non-zero:
    a non-zero maxSurge alone sets maxUnavailable to 0, a non-zero maxUnavailable alone sets
    maxSurge to 0; a zero one alone keeps the base's other value (1 for maxUnavailable).
    """
    mu, ms = o.get("max_unavailable"), o.get("max_surge")
    if mu is None and ms is not None:
        mu = 0 if not is_zero(ms) else (base.max_unavailable if not is_zero(base.max_unavailable) else 1)
    elif ms is None and mu is not None:
        ms = 0 if not is_zero(mu) else base.max_surge
    elif mu is None:
        mu, ms = base.max_unavailable, base.max_surge
    assert mu is not None and ms is not None
    try:
        return UpdateStrategy(o.get("strategy", base.type), mu, ms)
    except ValueError as exc:
        raise OptionError(("max_unavailable", "max_surge"), str(exc)) from None


def _check_node_counts(o: Mapping[str, Any], node_list: tuple[Node, ...] | None) -> None:
    """Every node the run will ever hold within the ``nodes`` limit; no more removals than nodes.

    Checked before a single node is built, so ``--nodes 10000000`` fails at once. A removal
    of more nodes than the cluster ever has (its nodes plus every added one) cannot happen.
    """
    initial_names = ("nodes", "control_plane_nodes") if node_list is None else ()
    initial = (len(node_list) if node_list is not None
               else _given(o, "nodes") + _given(o, "control_plane_nodes"))
    added = sum(c.count for c in o.get("add_nodes", ()))
    names = tuple(n for n in (*initial_names, "add_nodes") if n in o) or ("nodes",)
    try:
        check_limit("nodes", initial + added)
    except LimitError as exc:
        raise OptionError(names, str(exc)) from None
    have = f"the cluster has only {initial:,}" + (f" plus {added:,} added" if added else "")
    removed = sum(c.count for c in o.get("remove_nodes", ()))
    if removed > initial + added:
        raise OptionError("remove_nodes", f"removes {removed:,} nodes but {have}")
    failing = o.get("not_ready_nodes", ())
    failed = sum(c.count for c in failing) if isinstance(failing, tuple) else 0
    if failed > initial + added:
        raise OptionError("not_ready_nodes", f"fails {failed:,} nodes but {have}")


IGNORED_NOTE = ("ignored with strategy OnDelete (the API server accepts rollingUpdate beside OnDelete, "
                "and the controller never reads it)")
NOT_FITTED_NOTE = ("ignored: the nodes have no allocatable cpu or memory (nodes of a count); a nodes file or pools "
                   "give them, and only then are pods fitted to nodes")

NO_SIZE_NOTE = ("ignored: the image has no size (image.size, --image-size), so its pulls move no bytes for a bandwidth "
                "to share: each takes the pull time (timings.pull, --pull)")
NO_PULL_RATE_NOTE = ("ignored: the registry has no pull rate (registry.pull_rate, --registry-pull-rate), so no "
                     "request is ever over it")
ITEM_NO_SIZE_NOTE = ("ignored: no DaemonSet's image has a size (image.size, an item's image_size), so no pull moves "
                     "bytes over the node's link: each takes its pull time")


def _unknown_priority_note(class_name: str) -> str:
    """Why a DaemonSet whose PriorityClass rollsim cannot resolve does not preempt."""
    return (f"the pod template's priorityClassName {class_name} is not a built-in class and the template has no "
            "spec.priority: preemption is not modelled for it (priority taken as 0); give the class's value with "
            "--priority (daemonset.priority)")


def ignored_options(scenario: Scenario, given: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """The options in ``given`` that ``scenario`` ignores, each with why: maxUnavailable and
    maxSurge under OnDelete, and what fits pods to nodes (requests, the other workloads' share)
    on nodes that have no allocatable resources; and the manifest's ``priorityClassName`` when
    its value is unknown (a class other than the built-in ones, with no ``spec.priority`` in the
    template nor a ``priority`` option): its pods are then taken as priority 0 and never preempt;
    and the node's and the registry's bandwidth when no image has a size (both are shared by every
    DaemonSet's image, so one of ``also`` with a size uses them); and what the registry does over
    its pull rate, and its burst, when it has none.

    The API server accepts a ``rollingUpdate`` beside ``type: OnDelete``
    (``ValidateDaemonSetUpdateStrategy`` checks it only for RollingUpdate) and the
    controller never reads it, so rollsim accepts it too, and the caller warns.
    """
    given = set(given)
    out: list[tuple[str, str]] = []
    if not scenario.daemonset.strategy.rolling:
        out += [(name, IGNORED_NOTE) for name in ("max_unavailable", "max_surge") if name in given]
    if not any(n.allocatable_cpu_millis is not None or n.allocatable_memory_bytes is not None for n in scenario.nodes):
        out += [(name, NOT_FITTED_NOTE) for name in ("requests_cpu", "requests_memory", "node_utilization")
                if name in given]
    if scenario.image.size_bytes is None:  # bandwidths divide bytes: with no size there are none
        sized = any(w.image.size_bytes is not None for w in scenario.also)
        out += [(name, NO_SIZE_NOTE) for name in ("node_bandwidth", "registry_bandwidth")
                if name in given and not sized]
    if scenario.registry.pull_rate is None:
        out += [(name, NO_PULL_RATE_NOTE) for name in ("registry_over_limit", "registry_pull_burst") if name in given]
    if scenario.daemonset.priority is None:
        out.append(("manifest", _unknown_priority_note(scenario.daemonset.priority_class_name)))
    return tuple(out)


def ignored_in_also(scenario: Scenario, items: Sequence[Any] | None = None) -> tuple[tuple[str, str, str], ...]:
    """What the items of ``also`` give that their DaemonSet ignores, as ``ignored_options`` has it
    for the study's own: each as its place in ``also`` (``[0].node_bandwidth``), the item's name
    and why. The place is in ``items`` (the option's value, as given) when given, else in the
    scenario's own order (``namespace/name``). An item's ``node_bandwidth`` is the node's link
    (``Scenario.node_bandwidth``), which every DaemonSet's pulls share: ignored only when no
    DaemonSet's image has a size (every pull then takes its ``pull`` time, with no bytes to
    carry). An item's setting left unset is None, so one that is set was given.
    """
    if any(image.size_bytes is not None for image in (scenario.image, *(w.image for w in scenario.also))):
        return ()
    where = {also_item_key(item): i for i, item in enumerate(scenario.also if items is None else items)}
    return tuple((f"[{where[w.daemonset.key]}].node_bandwidth", w.daemonset.name, ITEM_NO_SIZE_NOTE)
                 for w in scenario.also if w.image.node_bandwidth is not None)


_NAMESPACE = DaemonSetSpec().namespace  # an item's, unless it gives its own


def also_item_key(item: Any) -> str:
    """``namespace/name`` of an item of ``also`` as given (a mapping, checked, or a ``Workload``):
    the key ``Scenario`` orders them by.
    """
    if isinstance(item, Workload):
        return item.daemonset.key
    return f"{item.get('namespace') or _NAMESPACE}/{item['name']}"


def also_in_key_order(items: Sequence[Any]) -> list[Any]:
    """The items of ``also`` (checked) in ``namespace/name`` order, as ``Scenario`` keeps them: what
    a run's id digests, so that the same items in another order are the same runs.
    """
    return sorted(items, key=also_item_key)
