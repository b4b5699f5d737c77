"""``load_nodes``: a real cluster's nodes, as ``kubectl get nodes -o json`` (or ``-o yaml``) prints them.

Only what the DaemonSet controller, the scheduler and the kubelet's admission read is kept: name,
labels, taints, ``spec.unschedulable``, the Ready condition, a Ready node's DiskPressure and PIDPressure
conditions
(its kubelet rejects new pods that are not critical: ``rollsim.cluster.eviction``) and allocatable
cpu/memory.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from rollsim.io.nodes.fields import (
    Invalid,
    Parts,
    allocatable,
    allocatable_everywhere,
    dotted,
    kind_of,
    mapping,
    show,
    string_map,
    taints,
)
from rollsim.io.yamldoc import (
    ConfigError,
    DuplicateKeyError,
    FastSafeLoader,
    first_duplicate_key,
    line_of,
    read_text,
    source_name,
)
from rollsim.spec.labelsyntax import DNS_SUBDOMAIN_RULE, is_dns_subdomain
from rollsim.spec.node import NO_SCHEDULE, Node, condition_taint_key

__all__ = ["load_nodes", "nodes_from_document"]

_YAML_LOADER = FastSafeLoader
# YAML this long reads for ten seconds or more (measured on the 2-core machines: 118 MB of YAML in 28 s,
# about 4 MB a second; 210 MB of JSON in 1.8 s)
SLOW_YAML_BYTES = 40_000_000


def load_nodes(path: str | Path) -> tuple[Node, ...]:
    """The nodes of ``kubectl get nodes -o json`` (or ``-o yaml``) output: a List/NodeList or one Node.

    Reads name, labels, taints (``timeAdded`` ignored), ``spec.unschedulable``, allocatable
    cpu/memory, the Ready condition (ready only if its status is "True") and the kubelet's version. A node without a
    Ready condition, or Ready False or Unknown without the node lifecycle controller's
    ``not-ready``/``unreachable`` NoSchedule taint, is refused (``_ready``). Everything else is
    ignored. Raises ``ConfigError`` naming the file, line and field path.
    """
    file = source_name(path)
    text = read_text(path)
    data = _parse(text, file)
    try:
        return _nodes_of(data)
    except Invalid as exc:
        raise ConfigError(exc.message, dotted(exc.parts), file, line_of(text, exc.parts)) from None


def nodes_from_document(data: Any, source: str) -> tuple[Node, ...]:
    """As ``load_nodes``, for an already parsed NodeList (an API server's answer): errors name ``source``."""
    try:
        return _nodes_of(data)
    except Invalid as exc:
        raise ConfigError(exc.message, dotted(exc.parts), source) from None


def _parse(text: str, file: str) -> Any:
    start = text.lstrip()[:1]
    if not start:
        raise ConfigError("empty file; expected the output of kubectl get nodes -o json", file=file)
    try:
        if start in "{[":
            return json.loads(text, object_pairs_hook=_unique_keys)
        if len(text) >= SLOW_YAML_BYTES:
            print(slow_yaml_note(file, len(text)), file=sys.stderr, flush=True)
        return yaml.load(text, Loader=_YAML_LOADER)
    except (_DuplicateKey, DuplicateKeyError):
        raise _duplicate_key(text, file) from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"JSON syntax error: {exc.msg} (column {exc.colno})", file=file, line=exc.lineno) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" (column {mark.column + 1})" if mark else ""
        raise ConfigError(f"YAML syntax error: {exc.problem or exc.context or 'invalid YAML'}{where}",
                          file=file, line=mark.line + 1 if mark else None) from None
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        raise ConfigError(f"cannot parse: {' '.join(str(exc).split())[:120]}", file=file) from None


def slow_yaml_note(file: str, size: int) -> str:
    """The line said before reading a long YAML node list: it takes a while, and JSON does not."""
    return (f"rollsim: reading {file}: {size / 1e6:,.0f} MB of YAML takes about {size / 4e6:,.0f} s "
            "(`kubectl get nodes -o json` output is read about 15 times faster)")


def _duplicate_key(text: str, file: str) -> ConfigError:
    """Where a node list names a key twice, as the manifest reader says it for a manifest
    (``FILE:LINE: path: duplicate key 'name'``): found in the nodes libyaml composes, not by the
    manifest reader, whose value budget (``yaml_values``) stops short of the end of a list of
    thousands of nodes. JSON that YAML cannot read (a key of over 1,024 characters) is named
    without a place, where the manifest reader called it a YAML syntax error.
    """
    try:
        root = yaml.compose(text, Loader=_YAML_LOADER)
        found = None if root is None else first_duplicate_key(root)
    except (yaml.YAMLError, RecursionError):
        found = None
    if found is None:
        return ConfigError(f"duplicate key in {'a JSON object' if text.lstrip()[:1] in '{[' else 'a mapping'}",
                           file=file)
    path, key, line = found
    return ConfigError(f"duplicate key {key!r}", path, file, line)


class _DuplicateKey(ValueError):
    """A JSON object names one key twice (kubectl and the API server refuse it: strict decoding)."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _DuplicateKey
    return out


def _nodes_of(data: Any) -> tuple[Node, ...]:
    if not isinstance(data, dict):
        raise Invalid((), f"expected a NodeList, List or Node (kubectl get nodes -o json), got {kind_of(data)}")
    kind = data.get("kind")
    if kind == "Node":
        entries: list[tuple[Parts, Any]] = [((), data)]
    elif kind in ("List", "NodeList"):
        items = data.get("items")
        if not isinstance(items, list):
            raise Invalid(("items",), f"must be a list of Node objects, got {kind_of(items)}")
        if not items:
            raise Invalid(("items",), "is empty: the file lists no nodes")
        entries = [(("items", i), item) for i, item in enumerate(items)]
    else:
        found = kind if isinstance(kind, str) else "no kind" if kind is None else kind_of(kind)
        raise Invalid(("kind",), f"expected kind NodeList/List of Node, found {found}")
    nodes: list[Node] = []
    seen: dict[str, Parts] = {}
    for at, item in entries:
        node = _node(item, at)
        if node.name in seen:
            raise Invalid(at + ("metadata", "name"), f"duplicate node name {show(node.name)} "
                                                     f"(also {dotted(seen[node.name])})")
        seen[node.name] = at
        nodes.append(node)
    allocatable_everywhere([(at + ("status", "allocatable"), node.name, node.allocatable_cpu_millis,
                             node.allocatable_memory_bytes) for (at, _), node in zip(entries, nodes)], "node")
    return tuple(nodes)


def _node(item: Any, at: Parts) -> Node:
    if not isinstance(item, dict):
        raise Invalid(at, f"must be a Node object, got {kind_of(item)}")
    if "kind" in item and item["kind"] != "Node":
        found = item["kind"] if isinstance(item["kind"], str) else kind_of(item["kind"])
        raise Invalid(at + ("kind",), f"expected kind Node, found {found}")
    meta = mapping(item, "metadata", at, required=True)
    name = meta.get("name")
    if name is None:
        raise Invalid(at + ("metadata", "name"), "is missing: every node has a name (a non-empty string)")
    if not isinstance(name, str) or not name:
        raise Invalid(at + ("metadata", "name"), f"must be a non-empty string, got {show(name)}")
    if not is_dns_subdomain(name):  # ValidateNodeName: a node's name is a DNS subdomain
        raise Invalid(at + ("metadata", "name"), f"invalid name {show(name)}: {DNS_SUBDOMAIN_RULE}")
    try:
        return _node_fields(item, meta, name, at)
    except Invalid as exc:
        raise Invalid(exc.parts, f"{exc.message} (node {show(name)})") from None


def _node_fields(item: dict, meta: Mapping, name: str, at: Parts) -> Node:
    labels = string_map(mapping(meta, "labels", at + ("metadata",)), at + ("metadata", "labels"))
    spec = mapping(item, "spec", at)
    node_taints = taints(spec.get("taints"), at + ("spec", "taints"))
    unschedulable = spec.get("unschedulable")
    if unschedulable is not None and not isinstance(unschedulable, bool):
        raise Invalid(at + ("spec", "unschedulable"), f"must be true or false, got {show(unschedulable)}")
    status = mapping(item, "status", at)
    cpu, memory = allocatable(mapping(status, "allocatable", at + ("status",)), at + ("status", "allocatable"))
    ready, where = _ready(status.get("conditions"), at + ("status", "conditions"))
    if ready != "True" and not any(t.key in _CONDITION_TAINTS and t.effect == NO_SCHEDULE for t in node_taints):
        raise Invalid(where, _UNTAINTED.format(status=ready, key=condition_taint_key(ready)))
    conditions = status.get("conditions")
    disk = ready == "True" and _condition(conditions, "DiskPressure") == "True"
    pid = ready == "True" and _condition(conditions, "PIDPressure") == "True"
    info = status.get("nodeInfo")  # read only to say which versions the cluster can run: never an error
    kubelet = info.get("kubeletVersion") if isinstance(info, dict) else None
    return Node(name, labels, node_taints, ready == "True", bool(unschedulable), cpu, memory, disk, pid,
                kubelet if isinstance(kubelet, str) else None)


_NO_READY = ("has no Ready condition, which `kubectl get nodes -o json` gives every node that has reported; "
             "add {\"type\": \"Ready\", \"status\": \"True\"} (or False/Unknown with the taints the node "
             "lifecycle controller adds)")


_CONDITION_TAINTS = (condition_taint_key("Unknown"), condition_taint_key("False"))
_UNTAINTED = ("is {status} without the {key}:NoSchedule taint, which the node lifecycle controller adds at "
              "once (doNoScheduleTaintingPass); add it, or set True")


def _condition(conditions: Any, kind: str) -> str | None:
    """The status of the node's condition of type ``kind`` (``_ready`` has checked the list), if it has one.
    Only a Ready node's other conditions are read: a node whose kubelet stopped posting keeps stale ones.
    """
    return next((c.get("status") for c in conditions if c.get("type") == kind), None)


def _ready(conditions: Any, at: Parts) -> tuple[str, Parts]:
    """The node's Ready condition's status and its path. A node without one is refused: read as
    NotReady with no taint it would get new pods that never start and deadlock the rollout, where a
    real cluster marks such a node Unknown and taints it unreachable within its grace period
    (``tryUpdateNodeHealth``, NodeStatusNeverUpdated); a list missing it was most likely written
    by hand for Ready nodes. For the same reason ``_node_fields`` refuses a node Ready False or
    Unknown without the ``not-ready`` or ``unreachable`` NoSchedule taint: the node lifecycle
    controller's ``doNoScheduleTaintingPass`` adds it on every update of such a node, in full
    zone disruption too (which stops only the NoExecute taints and evictions), so a list without
    it was written by hand.
    """
    if conditions is None:
        raise Invalid(at, _NO_READY)
    if not isinstance(conditions, list):
        raise Invalid(at, f"must be a list, got {kind_of(conditions)}")
    for i, c in enumerate(conditions):
        if not isinstance(c, dict):
            raise Invalid(at + (i,), f"must be a mapping with type and status, got {kind_of(c)}")
        if c.get("type") == "Ready":
            if c.get("status") not in ("True", "False", "Unknown"):
                raise Invalid(at + (i, "status"), f"must be True, False or Unknown, got {show(c.get('status'))}")
            return c["status"], at + (i, "status")
    raise Invalid(at, _NO_READY)
