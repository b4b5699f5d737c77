"""Scenario options: ``build_scenario`` turns flat options into a ``Scenario``.

An option is a setting of ``rollsim.spec.settings``: a flat name (the CLI flag without
dashes: ``max_unavailable``) and a key path in an experiment's ``scenario`` section
(``strategy.max_unavailable``). ``build_scenario`` applies each setting's rule (which
raises ``OptionError`` naming the option and the rule), then the rules that tie two
options together, then sets each value on its ``Scenario`` field (what is not given keeps
the field's default), and last checks that the run starts in a state a cluster can be in
(``rollsim.spec.startstate``).
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from rollsim.spec.budget import is_zero
from rollsim.spec.image import LinkConflict
from rollsim.spec.kinds import ItemError, non_negative_integer
from rollsim.spec.limits import LimitError, check_limit
from rollsim.spec.node import Node, control_plane_node, gives_allocatable, uniform_nodes
from rollsim.spec.optionerrors import (
    AllNotReadyError,
    EmptyClusterError,
    NoNodeError,
    OptionError,
    UnknownOptionsError,
)
from rollsim.spec.quoting import as_written
from rollsim.spec.scenario import SERIAL_PULLS_RULE, DaemonSetSpec, Scenario, UpdateStrategy, Workload
from rollsim.spec.settings import BY_KEY, BY_NAME, SETTINGS
from rollsim.spec.startstate import check_start

__all__ = [
    "OptionError", "NoNodeError", "EmptyClusterError", "OPTIONS", "RULES", "build_scenario", "option_path",
    "option_for_path", "non_negative_integer", "ignored_options", "ignored_in_also", "IGNORED_NOTE", "NOT_FITTED_NOTE",
    "NO_SIZE_NOTE", "NO_PULL_RATE_NOTE", "UNLIMITED_NOTE", "ITEM_NO_SIZE_NOTE", "also_item_key", "also_in_key_order",
    "AllNotReadyError",
]


# option -> (key path in an experiment's scenario section, rule), derived from the settings
OPTIONS: dict[str, tuple[str, Callable[[Any], Any]]] = {s.name: (s.key, s.kind.rule) for s in SETTINGS}
RULES = {s.name: s.kind.rule for s in SETTINGS}
# options that build_scenario combines instead of setting their field as given
_COMBINED = frozenset({"nodes", "control_plane_nodes", "not_ready_nodes", "add_nodes", "remove_nodes",
                       "old_pods_unready", "disk_pressure_nodes",
                       "strategy", "max_unavailable", "max_surge", "also", "allow_no_nodes"})


def option_path(name: str) -> str:
    """The key path of option ``name`` in a ``scenario`` section."""
    return BY_NAME[name].key


def option_for_path(path: str) -> str | None:
    """The option a ``scenario`` key path sets, if any."""
    setting = BY_KEY.get(path)
    return setting.name if setting is not None else None


def _spelt(name: str) -> str:
    """A hint for an unknown option: the keyword an experiment file's key or a manifest's camelCase
    field stands for, or the nearest option's name; empty when none is near.
    """
    keyword = option_for_path(name)
    if keyword is not None:
        return f" ({name} is an experiment file's key: the keyword is {keyword})"
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
    near = [snake] if snake in OPTIONS else difflib.get_close_matches(name, OPTIONS, n=1)
    return f"; did you mean {near[0]}?" if near else ""


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
        raise UnknownOptionsError(tuple(unknown), f"unknown scenario option(s): {', '.join(unknown)}"
                                                  f"{_spelt(unknown[0])}")
    o: dict[str, Any] = {}
    for name, value in given.items():
        try:
            o[name] = RULES[name](value)
        except ItemError as exc:
            raise OptionError(name, as_written(str(exc), value), exc.within, as_written(exc.rule, value)) from None
        except ValueError as exc:
            raise OptionError(name, as_written(str(exc), value)) from None

    _check_kubelet_and_registry(o)
    base = daemonset_spec if daemonset_spec is not None else DaemonSetSpec()
    strategy = _strategy(o, base.strategy)
    if o.get("deleter") is not None and o["deleter"].kind != "none" and strategy.rolling:
        raise OptionError("deleter", "applies only with strategy OnDelete")

    if node_list is not None:
        _no_count_beside(o)
        nodes = node_list
    _check_limits(o, node_list)
    if node_list is None:
        nodes = tuple(control_plane_node(f"control-plane-{i}") for i in range(_given(o, "control_plane_nodes")))
        nodes += uniform_nodes(_given(o, "nodes"))
    fields: dict[str, Any] = {BY_NAME[name].field: value for name, value in o.items()  # type: ignore[misc]
                              if name not in _COMBINED}
    fields.update({"daemonset.strategy": strategy, "nodes": nodes, "not_ready_nodes": _not_ready(o, nodes),
                   "node_changes": _given(o, "add_nodes") + _given(o, "remove_nodes") + _given(o, "old_pods_unready")
                   + _given(o, "disk_pressure_nodes")
                   + (o["not_ready_nodes"] if isinstance(o.get("not_ready_nodes"), tuple) else ())})
    also: tuple[Workload, ...] = ()  # in the order given (the scenario keeps them in namespace/name order)
    allowed: tuple[bool, ...] = ()  # each item's own allow_no_nodes
    if "also" in o:
        also, allowed = _workloads(o["also"])
        fields["also"] = also
        _check_distinct_names(dataclasses.replace(base, name=fields.get("daemonset.name", base.name),
                                                  namespace=fields.get("daemonset.namespace", base.namespace)),
                              also)
    try:
        scenario = _with_fields(Scenario(nodes=(), daemonset=base), fields)
    except LinkConflict as exc:  # the scenario decides the node's link; here the error names the item
        raise _link_error(exc, also) from None
    check_start(scenario, o, also, allowed, daemonset_spec is not None, node_list is not None)
    return scenario


def _given(o: Mapping[str, Any], name: str) -> Any:
    """Option ``name`` as given, or its setting's default."""
    return o[name] if name in o else BY_NAME[name].default


def _no_count_beside(o: Mapping[str, Any]) -> None:
    """Refuse a node count given beside a node list (nodes file or pools)."""
    clash = [k for k in ("nodes", "control_plane_nodes") if k in o]
    if clash == ["control_plane_nodes"]:  # audit 41: "a node count" did not read as this key
        raise OptionError(tuple(clash), "counts control-plane nodes beside a node count; with a node list, add "
                                        "them to it (a pool labelled and tainted "
                                        "node-role.kubernetes.io/control-plane, NoSchedule)")
    if clash:
        raise OptionError(tuple(clash), "give either a node list (nodes file or pools) or a node count, not both")


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


def _link_error(conflict: LinkConflict, also: tuple[Workload, ...]) -> OptionError:
    """The item of ``also`` whose ``node_bandwidth`` contradicts the node's one link (``Scenario.node_bandwidth``),
    named with the place that gave the link first: ``image.node_bandwidth``, or another item.
    """
    items = {w.daemonset.key: (i, f"item {i} ({w.daemonset.name})") for i, w in enumerate(also)}
    j, item = items[conflict.daemonset]
    first = items[conflict.first][1] if conflict.first in items else "image.node_bandwidth"
    rule = (f"must be the node's one link, {conflict.link / 1e6:g}MB/s as {first} gives, or be left out: every "
            f"DaemonSet's pulls on a node share its link (give it once, as image.node_bandwidth); got "
            f"{conflict.value / 1e6:g}MB/s")
    return OptionError("also", f"{item}: node_bandwidth: {rule}", f"[{j}].node_bandwidth", rule)


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


def _check_kubelet_and_registry(o: Mapping[str, Any]) -> None:
    """Options that only go together one way.

    A registry's limit is a token bucket (``registry_pull_rate``, ``registry_pull_burst``) or a count
    per rolling window (``registry_pull_window``), not both (``RegistrySpec``): the window serves its
    count at once, so it has no burst of its own to give. ``maxParallelImagePulls`` above 1 beside
    ``serializeImagePulls: true`` is refused, as the kubelet's ``ValidateKubeletConfiguration`` refuses
    it (without ``serializeImagePulls`` the kubelet defaults it to false for such a value).
    """
    bucket = tuple(name for name in ("registry_pull_rate", "registry_pull_burst") if name in o)
    if bucket and "registry_pull_window" in o:
        raise OptionError((*bucket, "registry_pull_window"),
                          "give either a token bucket (a pull rate and burst) or a count per rolling window "
                          "(a pull window such as 100/6h), not both: one limit per registry")
    if o.get("max_parallel_image_pulls", 1) > 1 and o.get("serialize_image_pulls") is True:  # both given
        raise OptionError(("serialize_image_pulls", "max_parallel_image_pulls"), SERIAL_PULLS_RULE)


def _check_limits(o: Mapping[str, Any], node_list: tuple[Node, ...] | None) -> None:
    """Every node the run will ever hold within the ``nodes`` limit; no more removals, failures,
    old pods losing readiness or nodes under disk pressure than nodes; the controller's sync workers
    within theirs (each a process of the run: 10**8 of them filled the memory before any error).

    Checked before a single node is built, so ``--nodes 10000000`` fails at once. A removal
    of more nodes than the cluster ever has (its nodes plus every added one) cannot happen.
    """
    if "workers" in o:
        try:
            check_limit("sync_workers", o["workers"])
        except LimitError as exc:
            raise OptionError("workers", str(exc)) from None
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
    unready = sum(c.count for c in o.get("old_pods_unready", ()))
    if unready > initial:  # the old pods are on the nodes the run starts with, one each
        raise OptionError("old_pods_unready", f"makes {unready:,} old pods lose readiness but the cluster starts with "
                                              f"only {initial:,} nodes, each with one old pod")
    pressured = sum(c.count for c in o.get("disk_pressure_nodes", ()))
    if pressured > initial + added:  # a node comes under pressure once until its pressure has gone
        raise OptionError("disk_pressure_nodes", f"puts {pressured:,} nodes under disk pressure but {have}")


IGNORED_NOTE = ("ignored with strategy OnDelete (the API server accepts rollingUpdate beside OnDelete, "
                "and the controller never reads it)")
NO_PRESSURE_NOTE = ("ignored: no node is under disk pressure (disk_pressure_nodes, --disk-pressure-nodes, or a node "
                    "list's DiskPressure condition)")
NOT_FITTED_NOTE = ("ignored: the nodes have no allocatable cpu or memory (nodes of a count, or a node list without "
                   "status.allocatable); a node list that gives it, or pools, and only then are pods fitted to nodes")

NO_SIZE_NOTE = ("ignored: the image has no size (image.size, --image-size), so its pulls move no bytes for a bandwidth "
                "to share: each takes the pull time (timings.pull, --pull)")
UNLIMITED_NOTE = ("its pulls take no time: no bandwidth limits them (--node-bandwidth, --registry-bandwidth; "
                  "image.node_bandwidth, registry.bandwidth), so every byte arrives at once and the pull time "
                  "(--pull) is not used either; give a bandwidth, or leave the size out")
NO_PULL_RATE_NOTE = ("ignored: the registry has no pull rate (registry.pull_rate, --registry-pull-rate) nor "
                     "pull window (registry.pull_window, --registry-pull-window), so no request is ever over it")
SIZED_NOTE = ("ignored: the image has a size (image.size, --image-size), so each pull takes what its bytes take over "
              "the node's and the registry's bandwidth, not the pull time")
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
    and the image's size when no bandwidth limits its bytes (its pulls then take no time);
    and the node's and the registry's bandwidth when no image has a size (both are shared by every
    DaemonSet's image, so one of ``also`` with a size uses them), and the pull time when the study's
    image has one (its pulls then take what their bytes take); and what the registry does over
    its pull rate or window, and its burst, when it has neither; and how long disk pressure lasts
    when no node is under it.

    The API server accepts a ``rollingUpdate`` beside ``type: OnDelete``
    (``ValidateDaemonSetUpdateStrategy`` checks it only for RollingUpdate) and the
    controller never reads it, so rollsim accepts it too, and the caller warns.
    """
    given = set(given)
    out: list[tuple[str, str]] = []
    if not scenario.daemonset.strategy.rolling:
        out += [(name, IGNORED_NOTE) for name in ("max_unavailable", "max_surge") if name in given]
    if not gives_allocatable(scenario.nodes):
        out += [(name, NOT_FITTED_NOTE) for name in ("requests_cpu", "requests_memory", "node_utilization")
                if name in given]
    if scenario.image.size_bytes is not None and "pull" in given:  # its pulls move bytes (ImagePuller._pull_bytes)
        out.append(("pull", SIZED_NOTE))
    if (scenario.image.size_bytes is not None and "image_size" in given and scenario.node_bandwidth() is None
            and scenario.registry.bandwidth is None):  # bytes over no limit: a pull takes no time at all
        out.append(("image_size", UNLIMITED_NOTE))
    if scenario.image.size_bytes is None:  # bandwidths divide bytes: with no size there are none
        sized = any(w.image.size_bytes is not None for w in scenario.also)
        out += [(name, NO_SIZE_NOTE) for name in ("node_bandwidth", "registry_bandwidth")
                if name in given and not sized]
    if not scenario.registry.limited:
        out += [(name, NO_PULL_RATE_NOTE) for name in ("registry_over_limit", "registry_pull_burst") if name in given]
    if scenario.daemonset.priority is None:
        out.append(("manifest", _unknown_priority_note(scenario.daemonset.priority_class_name)))
    if not scenario.under_disk_pressure():
        out += [(name, NO_PRESSURE_NOTE) for name in ("disk_pressure_for", "eviction_pressure_transition_period")
                if name in given]
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
