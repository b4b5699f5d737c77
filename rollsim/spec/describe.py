"""The description of a scenario in results files and reports: every field, found by walking.

``describe_scenario`` walks the ``Scenario`` dataclasses field by field (``dataclasses.fields``,
recursively), so a field added later is described without anyone listing it: a field a
setting sets is named by the setting (``rollsim.spec.settings``), a few others by ``FIELDS``,
and any other by its attribute path. Values are plain YAML data; a value object is written
as its spec text (``lognormal(median=2, p95=5)``, ``batch:3``) only when that text parses
back to an equal object, and field by field otherwise, so two scenarios that differ in any
field describe differently. The node list, too large to write out, is given by its size,
its eligibility and a digest of every node's fields.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import fields, is_dataclass
from functools import cache
from typing import Any

from rollsim.spec.churn import NodeChange, described_change
from rollsim.spec.clockskew import ClockSkew, parse_clock_skew
from rollsim.spec.deleters import DeleterSpec, parse_deleter
from rollsim.spec.distributions import Distribution
from rollsim.spec.eligibility import eligibility_report, for_strategy
from rollsim.spec.faults import NewPodFaults, parse_new_pods
from rollsim.spec.node import Node, Toleration, gives_allocatable
from rollsim.spec.registry import PullWindow, parse_pull_window
from rollsim.spec.scenario import DaemonSetSpec, Scenario, Workload
from rollsim.spec.settings import BY_FIELD, SETTINGS, spelled
from rollsim.spec.volumes import HostPath, parse_host_path

__all__ = ["describe_scenario", "plain", "leaf_fields", "FIELDS", "DESCRIPTION_LABELS", "node_digest", "written_value"]

# fields no setting sets: attribute path -> (description key, how reports name it)
FIELDS: dict[str, tuple[str, str]] = {
    "daemonset.labels": ("labels", "DaemonSet labels"),
    "daemonset.placement.node_selector": ("node_selector", "nodeSelector"),
    "daemonset.placement.required_node_affinity": ("required_node_affinity", "required node affinity"),
    "daemonset.placement.node_name": ("node_name", "spec.nodeName"),
    "daemonset.priority_class_name": ("priority_class_name", "priorityClassName"),
    "daemonset.host_paths": ("host_paths", "hostPath volumes"),
    "daemonset.readiness_probe.success_threshold": ("probe_success_threshold", "readiness probe successThreshold"),
    "daemonset.readiness_probe.failure_threshold": ("probe_failure_threshold", "readiness probe failureThreshold"),
    "node_changes": ("node_changes", "node changes during the rollout"),
}
# description keys computed from several fields, and how reports name them
_DERIVED = {"nodes": "nodes in the cluster", "desired_nodes": "nodes that run the DaemonSet",
            "not_eligible": "nodes that do not run it, and why", "node_list": "node list (digest)",
            "daemonset": "DaemonSet", "listed_not_ready": "nodes listed NotReady, by Ready condition",
            "requests_fitted": "requests fitted to each node's room"}
# settings a report writes as the manifest does (``100m``, ``200Mi``: ``written_value``), so named without a unit
_QUANTITIES = ("requests_cpu", "requests_memory")
DESCRIPTION_LABELS: dict[str, str] = {
    **{s.description_key: s.label if s.name in _QUANTITIES else s.description_label for s in SETTINGS
       if s.field not in (None, "daemonset.name", "daemonset.namespace")},
    **{key: label for key, label in FIELDS.values()}, **_DERIVED,
}


def _toleration(t: Toleration) -> str:
    key = (t.key or "*") + (f"={t.value}" if t.value else "")
    return f"{key}:{t.operator}:{t.effect or '*'}"


# value objects written as text: (type, text, parser that must give the object back, or None)
_TEXT: tuple[tuple[type, Callable[[Any], str], Callable[[str], Any] | None], ...] = (
    (Distribution, str, None),  # str is canonical: it parses back to an equal object
    (DeleterSpec, str, parse_deleter),
    (NewPodFaults, str, parse_new_pods),
    (ClockSkew, str, parse_clock_skew),
    (NodeChange, lambda c: f"{c.kind} {c}", described_change),
    (Toleration, _toleration, None),
    (PullWindow, str, parse_pull_window),
    (HostPath, str, parse_host_path),
)


@cache
def _field_names(cls: type) -> tuple[str, ...] | None:
    """The field names of a dataclass type to walk into; None for a value object (written as text).
    A field left out of comparisons (``compare=False``: a node's ``kubelet_version``) takes no part in
    a run, so none in its description either.
    """
    if not is_dataclass(cls) or any(issubclass(cls, text_cls) for text_cls, _, _ in _TEXT):
        return None
    return tuple(f.name for f in fields(cls) if f.compare)


def plain(value: Any) -> Any:
    """``value`` as plain YAML data (None, bool, int, float, str, lists and mappings)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    names = _field_names(type(value))  # type: ignore[arg-type]
    if names is not None:
        return {name: plain(getattr(value, name)) for name in names}
    if isinstance(value, (tuple, list)):
        return [plain(v) for v in value]
    if isinstance(value, Mapping):
        return [f"{k}={v}" for k, v in sorted(value.items())]
    for cls, text, parse in _TEXT:
        if isinstance(value, cls):
            written = text(value)
            if parse is None or parse(written) == value:
                return written
            return {f.name: plain(getattr(value, f.name)) for f in fields(value)}  # type: ignore[arg-type]
    return str(value)


def leaf_fields(obj: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """``(attribute path, value)`` of every leaf field of a dataclass, recursively.

    A leaf is a field whose value is not itself a dataclass to walk into: a number, a
    string, a tuple, a mapping or a value object written as text.
    """
    for f in fields(obj):
        value = getattr(obj, f.name)
        path = prefix + f.name
        if _field_names(type(value)) is not None:  # type: ignore[arg-type]
            yield from leaf_fields(value, path + ".")
        else:
            yield path, value


_DIGESTED_WHEN_SET = frozenset({"disk_pressure", "pid_pressure"})


def node_digest(nodes: tuple[Node, ...]) -> str:
    """A digest of every field of every node; the plain form of equal labels or taints is made once."""
    names = _field_names(Node) or ()
    memo: dict[Any, str] = {}
    digest = hashlib.sha256()
    for node in nodes:
        parts = []
        for name in names:
            value = getattr(node, name)
            if name in _DIGESTED_WHEN_SET and not value:
                continue  # a field added later, at its default: the digests of lists without it stay as they were
            if value is None or isinstance(value, (bool, int, float, str)):
                parts.append(repr(value))
            else:
                try:
                    text = memo.get(value)
                except TypeError:  # unhashable: written out each time
                    text = repr(plain(value))
                if text is None:
                    text = memo[value] = repr(plain(value))
                parts.append(text)
        digest.update("\x1f".join(parts).encode() + b"\x1e")
    return "sha256:" + digest.hexdigest()[:16]


def _requests_unfitted(scenario: Scenario) -> bool:
    """Whether the DaemonSet requests cpu or memory but no node has allocatable, so its pods are never
    fitted to a node's room (``options.NOT_FITTED_NOTE``): a surge's second pod always fits (audit 39).
    """
    ds = scenario.daemonset
    return bool(ds.requests_cpu_millis or ds.requests_memory_bytes) and not gives_allocatable(scenario.nodes)


def _describe_fields(obj: Scenario | Workload) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path, value in leaf_fields(obj):
        if path == "nodes":
            assert isinstance(obj, Scenario)
            report = eligibility_report(value, obj.daemonset.placement)
            out.update({"nodes": len(value), "desired_nodes": report.eligible,
                        # as the strategy makes it true: a rolling update deletes an old pod a node keeps (audit 25)
                        "not_eligible": [f"{count} {for_strategy(reason, obj.daemonset.strategy.rolling)}"
                                         for reason, count in report.reasons],
                        "node_list": node_digest(value)})
            if _requests_unfitted(obj):  # only then: other descriptions stay as they were
                out["requests_fitted"] = False
            listed = Counter(n.ready_condition for n in value if not n.ready)
            if listed:  # a node list's own NotReady nodes (only then: other descriptions stay as they were)
                out["listed_not_ready"] = {condition: listed[condition] for condition in sorted(listed)}
        elif path == "daemonset.name":
            out["daemonset"] = f"{obj.daemonset.namespace}/{value}"
        elif path == "daemonset.namespace":
            continue  # in "daemonset"
        elif path == "daemonset.labels":
            out["labels"] = [f"{k}={v}" for k, v in value]
        elif path == "also":
            out["also"] = [_workload(w) for w in value]
        elif path in BY_FIELD:
            out[BY_FIELD[path].description_key] = plain(value)
        else:
            out[FIELDS[path][0] if path in FIELDS else path] = plain(value)
    return out


_BY_DESCRIPTION = {s.description_key: s for s in SETTINGS}
_DECIMAL = ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "k"))
_BINARY = ((2**40, "Ti"), (2**30, "Gi"), (2**20, "Mi"), (2**10, "Ki"))


def _amount(value: float, suffixes: tuple[tuple[int, str], ...]) -> str:
    """A whole amount with the largest suffix it is an exact multiple of (``100M``), else as it is."""
    if float(value).is_integer():
        whole = int(value)
        for size, suffix in suffixes:
            if whole and whole % size == 0:
                return f"{whole // size}{suffix}"
        return str(whole)
    return str(value)


def _setting_value(name: str, unit: str, value: Any) -> str:
    """A setting's value as an ``also:`` item writes it: ``100MB``, ``50MB/s``, ``128Mi``, ``250m``,
    ``10%``; exact, so that two values never read alike.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return json.dumps(value)
    if unit == "millicores":  # 250m, 2
        return _amount(value, ((1000, ""),)) if value % 1000 == 0 else f"{_amount(value, ())}m"
    if unit == "bytes" and name == "requests_memory":  # a Kubernetes quantity: 128Mi
        binary = _amount(value, _BINARY)
        return binary if binary[-1].isalpha() else _amount(value, _DECIMAL)
    if unit in ("bytes", "bytes/s"):  # as image sizes and bandwidths are written: 100MB, 50MB/s
        text, per = _amount(value, _DECIMAL), unit.removeprefix("bytes")
        return f"{text}B{per}" if text[-1].isalpha() else f"{text} bytes{per}"
    return _amount(value, ())


# description keys whose value is a value object's spec text (``batch:50``, ``crashloop:0.02``, ``300:0.05``):
# the parser that reads it back, whose ``words()`` say it as the configurations' labels do (``setting_words``)
_SAID: dict[str, Callable[[Any], Any]] = {"deleter": parse_deleter, "new_pods": parse_new_pods,
                                          "clock_skew": parse_clock_skew}


def written_value(key: str, value: Any) -> str | None:
    """A description value (of key ``key``) as a manifest or a person writes it, or None where
    the plain value is that already: a request as its quantity (``100m``, ``200Mi``), a built-in
    priority by its class (``system-node-critical``), the OnDelete deleter, a fault of the new pods, a
    clock skew and node changes in words (``batches of 50``, ``2% of new pods crash-looping``, ``5% of
    kubelet clocks 5m ahead``, ``3 nodes under disk pressure from the start``), as the labels say them.
    """
    from rollsim.spec.priority import builtin_class

    setting = _BY_DESCRIPTION.get(key)
    if setting is not None and setting.name in _QUANTITIES and isinstance(value, (int, float)):
        return _setting_value(setting.name, setting.unit, value)
    if key == "priority" and isinstance(value, int):
        return builtin_class(value)
    if key in _SAID and isinstance(value, (str, int)) and not isinstance(value, bool):
        try:
            return str(_SAID[key](value).words())
        except ValueError:  # not spec text (a value object described field by field): as it is
            return None
    if key == "node_changes" and isinstance(value, (list, tuple)) and value:
        return ", ".join(described_change(c).words() for c in value)
    return None


def _workload_setting(key: str, value: Any) -> str:
    """One setting of another DaemonSet as its ``also:`` item names it: ``image_size 100MB``, not
    ``image_size_bytes 100000000.0``.
    """
    setting = _BY_DESCRIPTION.get(key)
    if setting is None:
        return f"{key} {value if isinstance(value, str) else json.dumps(value)}"
    return f"{spelled(setting.name)} {_setting_value(setting.name, setting.unit, value)}"


def _workload(w: Workload) -> str:
    """Another DaemonSet as one line: its name and every setting that differs from the defaults,
    each as its ``also:`` item names it (``_workload_setting``).
    """
    mine = _describe_fields(w)
    usual = _describe_fields(Workload(DaemonSetSpec(name=w.daemonset.name, namespace=w.daemonset.namespace)))
    changed = [_workload_setting(k, v) for k, v in mine.items() if usual.get(k) != v]
    return f"{mine['daemonset']} ({'; '.join(changed) or 'defaults'})"


def describe_scenario(scenario: Scenario) -> dict[str, object]:
    """A plain, YAML-friendly description of every field of a scenario, for results files and reports."""
    return _describe_fields(scenario)
