"""Scenario options: one rule per option, shared by the CLI flags and the config files.

An option has a flat name (the CLI flag without dashes: ``max_unavailable``) and a key
path in an experiment's ``scenario`` section (``strategy.max_unavailable``). Each rule
turns a value (text from a flag, or a YAML value) into what the scenario needs, or
raises ``OptionError`` naming the option and the rule. ``build_scenario`` applies the
rules, then the rules that tie two options together, then builds the ``Scenario``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from typing import Any

from rollsim.spec.budget import IntOrPercent, is_zero, parse_int_or_percent
from rollsim.spec.node import Node, Toleration, control_plane_node, uniform_nodes
from rollsim.spec.deleters import parse_deleter
from rollsim.spec.distributions import parse_distribution
from rollsim.spec.churn import NodeChange, parse_node_change
from rollsim.spec.faults import parse_new_pods
from rollsim.spec.quantity import cpu_millis, memory_bytes
from rollsim.spec.image import ALWAYS, IF_NOT_PRESENT, ImageSpec, parse_pull_rate, parse_rate, parse_size
from rollsim.spec.registry import RegistrySpec
from rollsim.spec.scenario import (
    IDEAL,
    ON_DELETE,
    REALISTIC,
    ROLLING_UPDATE,
    ControllerSettings,
    DaemonSetSpec,
    Scenario,
    Timings,
    UpdateStrategy,
    Workload,
)

__all__ = [
    "OptionError", "OPTIONS", "RULES", "build_scenario", "option_path", "option_for_path",
    "non_negative_integer",
]


class OptionError(ValueError):
    """A bad option value; ``options`` names the option(s) whose rule it breaks."""

    def __init__(self, options: str | tuple[str, ...], message: str) -> None:
        self.options = (options,) if isinstance(options, str) else options
        self.message = message
        super().__init__(message)


def _number(value: Any, minimum: float, strict: bool = False) -> float:
    if isinstance(value, bool):
        raise ValueError(f"must be a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"must be a number, got {value!r}") from None
    if not math.isfinite(number) or number < minimum or (strict and number == minimum):
        raise ValueError(f"must be {'greater than' if strict else 'at least'} {minimum:g}, got {value!r}")
    return number


def _integer(value: Any, minimum: int) -> int:
    kind = "a non-negative" if minimum == 0 else "a positive" if minimum == 1 else f"an integer ≥ {minimum}:"
    text_digits = isinstance(value, str) and value.strip().isdigit()
    if isinstance(value, bool) or not (isinstance(value, int) or text_digits) or int(value) < minimum:
        raise ValueError(f"must be {kind} integer, got {value!r}")
    return int(value)


def non_negative_integer(value: Any) -> int:
    """A count or a seed: a non-negative integer (an int, or digits as text)."""
    return _integer(value, 0)


def _int_or_percent(value: Any) -> IntOrPercent:
    parsed = parse_int_or_percent(value, "value")
    if isinstance(parsed, str) and int(parsed[:-1]) > 100:
        raise ValueError(f"a percent must not be greater than 100%, got {value!r}")
    return parsed


_WORKLOAD_OPTIONS = {
    "name", "namespace", "strategy", "max_unavailable", "max_surge", "min_ready_seconds",
    "termination_grace_period_seconds", "schedule", "pull", "start", "ready", "terminate", "probe_period",
    "probe_initial_delay", "tolerations", "host_network",
}


def _workloads(value: Any) -> tuple[Workload, ...]:
    """Other DaemonSets updated at the same time: a list of mappings of the options above."""
    if not isinstance(value, (list, tuple)):
        raise ValueError("must be a list of DaemonSets, each a mapping such as {name: calico-node, ready: 5}")
    out = []
    for i, item in enumerate(value):
        if isinstance(item, Workload):
            out.append(item)
            continue
        if not isinstance(item, Mapping) or "name" not in item:
            raise ValueError(f"item {i} must be a mapping with at least a name, got {item!r}")
        unknown = sorted(set(item) - _WORKLOAD_OPTIONS)
        if unknown:
            raise ValueError(f"item {i}: unknown key(s) {', '.join(unknown)}; expected {', '.join(sorted(_WORKLOAD_OPTIONS))}")
        try:
            built = build_scenario(nodes=0, **item)
        except OptionError as exc:
            raise ValueError(f"item {i} ({item['name']}): {', '.join(exc.options)}: {exc.message}") from None
        out.append(Workload(built.daemonset, built.timings))
    return tuple(out)


def _not_ready_spec(value: Any) -> int | tuple[NodeChange, ...]:
    """``N`` nodes NotReady before the rollout, or ``N@T[+D]`` (or a list) during it."""
    if isinstance(value, (list, tuple)) or "@" in str(value):
        return _changes("not-ready", value)
    return non_negative_integer(value)


def _ports(value: Any) -> tuple[int, ...]:
    items = value if isinstance(value, (list, tuple)) else str(value).split(",")
    return tuple(_integer(str(item).strip() if isinstance(item, str) else item, 1) for item in items)


def _changes(kind: str, value: Any) -> tuple[NodeChange, ...]:
    """``N@T[+D]``, or a list of them."""
    items = value if isinstance(value, (list, tuple)) else [value]
    return tuple(parse_node_change(kind, item) for item in items)


def _fraction(value: Any) -> float:
    number = _number(value, 0)
    if number > 1:
        raise ValueError(f"must be a fraction between 0 and 1, got {value!r}")
    return number


def _choice(*allowed: str) -> Callable[[Any], str]:
    def choose(value: Any) -> str:
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}, got {value!r}")
        return value

    return choose


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"must be a non-empty string, got {value!r}")
    return value


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"must be true or false, got {value!r}")
    return value


def _tolerations(value: Any) -> tuple[Toleration, ...]:
    if not isinstance(value, (list, tuple)):
        raise ValueError("must be a list of tolerations (key, operator, value, effect)")
    out = []
    for i, item in enumerate(value):
        if isinstance(item, Toleration):
            out.append(item)
            continue
        if not isinstance(item, Mapping) or set(item) - {"key", "operator", "value", "effect"}:
            raise ValueError(f"item {i} must be a mapping of key, operator, value and effect, got {item!r}")
        try:
            out.append(Toleration(str(item.get("key", "")), str(item.get("operator", "Equal")),
                                  str(item.get("value", "")), str(item.get("effect", ""))))
        except ValueError as exc:
            raise ValueError(f"item {i}: {exc}") from None
    return tuple(out)


# option -> (key path in an experiment's scenario section, rule)
OPTIONS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "nodes": ("cluster.nodes", non_negative_integer),
    "control_plane_nodes": ("cluster.control_plane_nodes", non_negative_integer),
    "not_ready_nodes": ("cluster.not_ready_nodes", lambda v: _not_ready_spec(v)),
    "node_utilization": ("cluster.node_utilization", lambda v: _fraction(v)),
    "add_nodes": ("cluster.add_nodes", lambda v: _changes("add", v)),
    "remove_nodes": ("cluster.remove_nodes", lambda v: _changes("remove", v)),
    "name": ("daemonset.name", _text),
    "namespace": ("daemonset.namespace", _text),
    "tolerations": ("daemonset.tolerations", _tolerations),
    "host_network": ("daemonset.host_network", _flag),
    "requests_cpu": ("daemonset.requests_cpu", cpu_millis),
    "requests_memory": ("daemonset.requests_memory", memory_bytes),
    "host_ports": ("daemonset.host_ports", lambda v: _ports(v)),
    "allow_no_nodes": ("daemonset.allow_no_nodes", _flag),
    "strategy": ("strategy.type", _choice(ROLLING_UPDATE, ON_DELETE)),
    "max_unavailable": ("strategy.max_unavailable", _int_or_percent),
    "max_surge": ("strategy.max_surge", _int_or_percent),
    "min_ready_seconds": ("strategy.min_ready_seconds", lambda v: _number(v, 0)),
    **{phase: (f"timings.{phase}", parse_distribution)
       for phase in ("schedule", "pull", "start", "ready", "terminate")},
    "probe_period": ("timings.probe_period", lambda v: _number(v, 0)),
    "probe_initial_delay": ("timings.probe_initial_delay", lambda v: _number(v, 0)),
    "termination_grace_period_seconds": ("timings.termination_grace_period_seconds", lambda v: _number(v, 0)),
    "controller": ("controller.mode", _choice(IDEAL, REALISTIC)),
    "workers": ("controller.workers", lambda v: _integer(v, 1)),
    "kube_api_qps": ("controller.kube_api_qps", lambda v: _number(v, 0, strict=True)),
    "kube_api_burst": ("controller.kube_api_burst", lambda v: _integer(v, 1)),
    "burst_replicas": ("controller.burst_replicas", lambda v: _integer(v, 1)),
    "slow_start_initial_batch_size": ("controller.slow_start_initial_batch_size", lambda v: _integer(v, 1)),
    "expectations_timeout": ("controller.expectations_timeout", lambda v: _number(v, 0)),
    "watch_delay": ("controller.watch_delay", parse_distribution),
    "api_latency": ("controller.api_latency", parse_distribution),
    "deleter": ("deleter", parse_deleter),
    "horizon": ("horizon_s", lambda v: _number(v, 0, strict=True)),
    "new_pods": ("faults.new_pods", parse_new_pods),
    "rollback_after": ("faults.rollback_after", lambda v: _number(v, 0)),
    "image_size": ("image.size", parse_size),
    "image_cached": ("image.cached", lambda v: _fraction(v)),
    "image_pull_policy": ("image.pull_policy", _choice(IF_NOT_PRESENT, ALWAYS)),
    "node_bandwidth": ("image.node_bandwidth", parse_rate),
    "registry_bandwidth": ("registry.bandwidth", parse_rate),
    "registry_pull_rate": ("registry.pull_rate", parse_pull_rate),
    "registry_latency": ("registry.latency", lambda v: _number(v, 0)),
    "scheduler_throughput": ("scheduler.throughput", parse_pull_rate),
    "also": ("also", lambda v: _workloads(v)),
    "stall_after": ("stall_after_s", lambda v: _number(v, 0, strict=True)),
}
RULES = {name: rule for name, (_path, rule) in OPTIONS.items()}
_BY_PATH = {path: name for name, (path, _rule) in OPTIONS.items()}


def option_path(name: str) -> str:
    """The key path of option ``name`` in a ``scenario`` section."""
    return OPTIONS[name][0]


def option_for_path(path: str) -> str | None:
    """The option a ``scenario`` key path sets, if any."""
    return _BY_PATH.get(path)


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
    else:
        nodes = tuple(control_plane_node(f"control-plane-{i}") for i in range(o.get("control_plane_nodes", 0)))
        nodes += uniform_nodes(o.get("nodes", 1000))
    placement = base.placement
    if "tolerations" in o or "host_network" in o:
        placement = dataclasses.replace(placement, tolerations=o.get("tolerations", placement.tolerations),
                                        host_network=o.get("host_network", placement.host_network))
    probe = base.readiness_probe
    probe = dataclasses.replace(probe, initial_delay_seconds=o.get("probe_initial_delay", probe.initial_delay_seconds),
                                period_seconds=o.get("probe_period", probe.period_seconds))
    daemonset = dataclasses.replace(
        base,
        name=o.get("name", base.name),
        namespace=o.get("namespace", base.namespace),
        strategy=strategy,
        min_ready_seconds=o.get("min_ready_seconds", base.min_ready_seconds),
        termination_grace_period_seconds=o.get("termination_grace_period_seconds",
                                               base.termination_grace_period_seconds),
        placement=placement,
        readiness_probe=probe,
        requests_cpu_millis=o.get("requests_cpu", base.requests_cpu_millis),
        requests_memory_bytes=o.get("requests_memory", base.requests_memory_bytes),
        host_ports=o.get("host_ports", base.host_ports),
    )
    if not o.get("allow_no_nodes") and not o.get("add_nodes"):
        _check_matches_some_node(nodes, placement)
    timings = Timings(**{k: o[k] for k in ("schedule", "pull", "start", "ready", "terminate") if k in o})
    settings = {k: o[k] for k in ("workers", "kube_api_qps", "kube_api_burst", "burst_replicas",
                                  "slow_start_initial_batch_size", "expectations_timeout",
                                  "watch_delay", "api_latency") if k in o}
    controller = ControllerSettings(mode=o.get("controller", REALISTIC), **settings)
    return Scenario(nodes=nodes, daemonset=daemonset, timings=timings, controller=controller,
                    deleter=o.get("deleter", "none"), horizon_s=o.get("horizon"),
                    new_pods=o.get("new_pods", "healthy"), stall_after_s=o.get("stall_after", 1800.0),
                    image=ImageSpec(o.get("image_size"), o.get("image_cached", 0.0),
                                    o.get("image_pull_policy", IF_NOT_PRESENT), o.get("node_bandwidth")),
                    registry=RegistrySpec(o.get("registry_bandwidth"), o.get("registry_pull_rate"),
                                          o.get("registry_latency", 0.0)),
                    not_ready_nodes=_not_ready(o, nodes),
                    node_changes=o.get("add_nodes", ()) + o.get("remove_nodes", ())
                    + (o["not_ready_nodes"] if isinstance(o.get("not_ready_nodes"), tuple) else ()),
                    node_utilization=o.get("node_utilization", 0.0),
                    scheduler_throughput=o.get("scheduler_throughput"),
                    also=o.get("also", ()), rollback_after_s=o.get("rollback_after"))


def _check_matches_some_node(nodes: tuple[Node, ...], placement: Any) -> None:
    """A DaemonSet that no node should run is almost always a mistake (a ``nodeSelector`` the
    nodes' labels do not carry, a taint not tolerated): its rollout "completes" at once. Raise,
    naming what excluded the nodes, unless ``allow_no_nodes`` says that is intended."""
    from rollsim.spec.eligibility import eligibility_report

    if not nodes:
        return  # an empty cluster is asked for explicitly (and the other DaemonSets of ``also`` get none here)
    report = eligibility_report(nodes, placement)
    if report.eligible:
        return
    examples = dict(report.examples)
    why = "; ".join(f"{count} of {len(nodes)}: {reason} (e.g. {', '.join(examples.get(reason, ()))})"
                    for reason, count in report.reasons)
    raise OptionError("allow_no_nodes", f"the DaemonSet matches no node ({why}); fix the selector, affinity or "
                                        "tolerations, or set daemonset.allow_no_nodes: true (--allow-no-nodes) if that is intended")


def _not_ready(o: Mapping[str, Any], nodes: tuple[Node, ...]) -> int:
    count = o.get("not_ready_nodes", 0)
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
    try:
        return UpdateStrategy(o.get("strategy", base.type), mu, ms)
    except ValueError as exc:
        raise OptionError(("max_unavailable", "max_surge"), str(exc)) from None
