"""Node lists: read ``kubectl get nodes -o json``, generate realistic ones, build node pools.

Three ways to the ``tuple[Node, ...]`` a rollout runs on (``rollsim.cluster.Node``):

* ``load_nodes``: a real cluster's nodes, as ``kubectl get nodes -o json`` (or ``-o yaml``)
  prints them. Only what the DaemonSet controller and the scheduler read is kept: name,
  labels, taints, ``spec.unschedulable``, the Ready condition and allocatable cpu/memory.
* ``make_nodes`` / ``write_nodes_json``: such a document for N nodes of a kOps-style cluster
  on EC2, tainted the way kubeadm (control plane), the node lifecycle controller (NotReady)
  and ``kubectl cordon`` taint nodes.
* ``nodes_from_pools``: nodes from a few pool descriptions in a scenario file.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from rollsim.cluster import (
    CONTROL_PLANE_LABEL,
    NO_EXECUTE,
    NO_SCHEDULE,
    PREFER_NO_SCHEDULE,
    Node,
    Taint,
)
from rollsim.config import ConfigError
from rollsim.results import write_text

__all__ = ["PoolError", "load_nodes", "make_nodes", "nodes_from_pools", "nodes_json", "write_nodes_json"]

_EFFECTS = (NO_SCHEDULE, PREFER_NO_SCHEDULE, NO_EXECUTE)
_EFFECT_RULE = "must be NoSchedule, PreferNoSchedule or NoExecute"
NOT_READY_TAINT = "node.kubernetes.io/not-ready"
UNSCHEDULABLE_TAINT = "node.kubernetes.io/unschedulable"
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# --- quantities -------------------------------------------------------------------------------
# TEMPORARY: a minimal private Kubernetes quantity parser (k8s.io/apimachinery resource.Quantity),
# to be replaced by rollsim.quantity once it exists.
_QUANTITY = re.compile(r"([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+))(?:[eE]([+-]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?")
_SUFFIX = {"n": Fraction(1, 10**9), "u": Fraction(1, 10**6), "m": Fraction(1, 1000), "k": 10**3, "M": 10**6,
           "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40,
           "Pi": 2**50, "Ei": 2**60}


def _quantity(value: Any) -> Fraction:
    """A non-negative quantity ("3920m", "16Gi", "16318976Ki", "1e9" or a JSON number); ValueError if not."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"must be a quantity such as '3920m' or '16Gi', got {_kind(value)}")  # noqa: TRY004
    if isinstance(value, int):
        q = Fraction(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"must be a finite quantity, got {value!r}")
        q = Fraction(value)
    else:
        m = _QUANTITY.fullmatch(value) if len(value) <= 64 else None
        if m is None or (m[2] is not None and abs(int(m[2])) > 30):
            raise ValueError(f"must be a quantity such as '3920m', '4', '16Gi' or '1e9', got {_show(value)}")
        q = Fraction(m[1]) * (Fraction(10) ** int(m[2]) if m[2] is not None else _SUFFIX.get(m[3] or "", 1))
    if q < 0:
        raise ValueError(f"must not be negative, got {_show(value)}")
    return q


def _cpu_millis(value: Any) -> int:
    return math.ceil(_quantity(value) * 1000)  # Quantity.MilliValue rounds up


def _memory_bytes(value: Any) -> int:
    return math.ceil(_quantity(value))  # Quantity.Value rounds up


# --- messages ---------------------------------------------------------------------------------
_KINDS = {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", int: "a number",
          float: "a number", type(None): "null"}


def _kind(value: Any) -> str:
    return _KINDS.get(type(value), type(value).__name__)


def _show(value: Any) -> str:
    """``repr`` on one line, shortened: for messages that must stay one line."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _not_a_string(value: Any) -> str:
    hint = " (quote it in YAML)" if isinstance(value, (bool, int, float)) else ""
    return f"must be a string, got {_kind(value)} {_show(value)}{hint}"


def _path(parts: Sequence[str | int]) -> str:
    """``items[3].spec.taints[0].effect``: keys joined by dots, as ``rollsim.config`` records them."""
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


# --- load_nodes -------------------------------------------------------------------------------
class _Invalid(Exception):
    def __init__(self, parts: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.parts, self.message = parts, message


def load_nodes(path: str | Path) -> tuple[Node, ...]:
    """The nodes of ``kubectl get nodes -o json`` (or ``-o yaml``) output: a List/NodeList or one Node.

    Reads name, labels, taints (``timeAdded`` ignored), ``spec.unschedulable``, allocatable
    cpu/memory and the Ready condition: ready only if its status is "True"; a node without a
    Ready condition is not ready, as kubectl shows it (``Unknown``). Everything else is
    ignored. Raises ``ConfigError`` naming the file, line and field path.
    """
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror or exc}", file=file) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text (byte {exc.start})", file=file) from None
    data = _parse(text, file)
    try:
        return _nodes_of(data)
    except _Invalid as exc:
        raise ConfigError(exc.message, _path(exc.parts), file, _line_of(text, exc.parts)) from None


def _parse(text: str, file: str) -> Any:
    start = text.lstrip()[:1]
    if not start:
        raise ConfigError("empty file; expected the output of kubectl get nodes -o json", file=file)
    try:
        if start in "{[":
            return json.loads(text)
        return yaml.load(text, Loader=_YAML_LOADER)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"JSON syntax error: {exc.msg} (column {exc.colno})", file=file, line=exc.lineno) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" (column {mark.column + 1})" if mark else ""
        raise ConfigError(f"YAML syntax error: {exc.problem or exc.context or 'invalid YAML'}{where}",
                          file=file, line=mark.line + 1 if mark else None) from None
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        raise ConfigError(f"cannot parse: {' '.join(str(exc).split())[:120]}", file=file) from None


def _line_of(text: str, parts: tuple[str | int, ...]) -> int | None:
    """The line of the deepest part of ``parts`` present in ``text`` (JSON is read as YAML here)."""
    try:
        node = yaml.compose(text, Loader=_YAML_LOADER)
    except (yaml.YAMLError, RecursionError, ValueError):
        return None
    line = None if node is None else node.start_mark.line + 1
    for part in parts:
        child = None
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == part:
                    line, child = key.start_mark.line + 1, value
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line


def _nodes_of(data: Any) -> tuple[Node, ...]:
    if not isinstance(data, dict):
        raise _Invalid((), f"expected a NodeList, List or Node (kubectl get nodes -o json), got {_kind(data)}")
    kind = data.get("kind")
    if kind == "Node":
        entries: list[tuple[tuple[str | int, ...], Any]] = [((), data)]
    elif kind in ("List", "NodeList"):
        items = data.get("items")
        if not isinstance(items, list):
            raise _Invalid(("items",), f"must be a list of Node objects, got {_kind(items)}")
        if not items:
            raise _Invalid(("items",), "is empty: the file lists no nodes")
        entries = [(("items", i), item) for i, item in enumerate(items)]
    else:
        found = kind if isinstance(kind, str) else "no kind" if kind is None else _kind(kind)
        raise _Invalid(("kind",), f"expected kind NodeList/List of Node, found {found}")
    nodes: list[Node] = []
    seen: dict[str, tuple[str | int, ...]] = {}
    for at, item in entries:
        node = _node(item, at)
        if node.name in seen:
            raise _Invalid(at + ("metadata", "name"), f"duplicate node name {_show(node.name)} "
                                                      f"(also {_path(seen[node.name])})")
        seen[node.name] = at
        nodes.append(node)
    return tuple(nodes)


def _mapping(parent: Mapping, key: str, at: tuple[str | int, ...], required: bool = False) -> Mapping:
    value = parent.get(key)
    if value is None and not required:
        return {}
    if not isinstance(value, Mapping):
        raise _Invalid(at + (key,), f"must be a mapping, got {_kind(value)}")
    return value


def _node(item: Any, at: tuple[str | int, ...]) -> Node:
    if not isinstance(item, dict):
        raise _Invalid(at, f"must be a Node object, got {_kind(item)}")
    if "kind" in item and item["kind"] != "Node":
        found = item["kind"] if isinstance(item["kind"], str) else _kind(item["kind"])
        raise _Invalid(at + ("kind",), f"expected kind Node, found {found}")
    meta = _mapping(item, "metadata", at, required=True)
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        raise _Invalid(at + ("metadata", "name"), f"must be a non-empty string, got {_show(name)}")
    try:
        return _node_fields(item, meta, name, at)
    except _Invalid as exc:
        raise _Invalid(exc.parts, f"{exc.message} (node {_show(name)})") from None


def _node_fields(item: dict, meta: dict, name: str, at: tuple[str | int, ...]) -> Node:
    labels = _string_map(_mapping(meta, "labels", at + ("metadata",)), at + ("metadata", "labels"))
    spec = _mapping(item, "spec", at)
    taints = _taints(spec.get("taints"), at + ("spec", "taints"))
    unschedulable = spec.get("unschedulable")
    if unschedulable is not None and not isinstance(unschedulable, bool):
        raise _Invalid(at + ("spec", "unschedulable"), f"must be true or false, got {_show(unschedulable)}")
    status = _mapping(item, "status", at)
    cpu, memory = _resources(_mapping(status, "allocatable", at + ("status",)), at + ("status", "allocatable"))
    return Node(name, labels, taints, _ready(status.get("conditions"), at + ("status", "conditions")),
                bool(unschedulable), cpu, memory)


def _resources(allocatable: Mapping, at: tuple[str | int, ...]) -> tuple[int | None, int | None]:
    """Allocatable (cpu millis, memory bytes); None where not given."""
    out: list[int | None] = []
    for key, parse in (("cpu", _cpu_millis), ("memory", _memory_bytes)):
        try:
            out.append(None if allocatable.get(key) is None else parse(allocatable[key]))
        except ValueError as exc:
            raise _Invalid(at + (key,), str(exc)) from None
    return out[0], out[1]


def _string_map(data: Mapping, at: tuple[str | int, ...]) -> Mapping[str, str]:
    for key, value in data.items():
        if not isinstance(key, str):
            raise _Invalid(at, f"keys must be strings, got {_show(key)}")
        if not isinstance(value, str):
            raise _Invalid(at + (key,), _not_a_string(value))
    return data


def _taints(data: Any, at: tuple[str | int, ...], strict: bool = False) -> tuple[Taint, ...]:
    """``spec.taints``; ``strict`` rejects keys other than key, value and effect (not timeAdded)."""
    if data is None:
        return ()
    if not isinstance(data, (list, tuple)):
        raise _Invalid(at, f"must be a list, got {_kind(data)}")
    taints: list[Taint] = []
    seen: dict[tuple[str, str], int] = {}
    for i, t in enumerate(data):
        if not isinstance(t, Mapping):
            raise _Invalid(at + (i,), f"must be a mapping with key and effect, got {_kind(t)}")
        if strict:
            _known_keys(t, ("key", "value", "effect"), at + (i,))
        key, value, effect = t.get("key"), t.get("value", ""), t.get("effect")
        if not isinstance(key, str) or not key:
            raise _Invalid(at + (i, "key"), f"must be a non-empty string, got {_show(key)}")
        if value is not None and not isinstance(value, str):
            raise _Invalid(at + (i, "value"), _not_a_string(value))
        if effect not in _EFFECTS:
            raise _Invalid(at + (i, "effect"), f"{_EFFECT_RULE}, got {_show(effect)}")
        if (key, effect) in seen:
            raise _Invalid(at + (i,), f"duplicate taint {key}:{effect} (also {_path(at + (seen[key, effect],))})")
        seen[key, effect] = i
        taints.append(Taint(key, value or "", effect))
    return tuple(taints)


def _ready(conditions: Any, at: tuple[str | int, ...]) -> bool:
    if conditions is None:
        return False
    if not isinstance(conditions, list):
        raise _Invalid(at, f"must be a list, got {_kind(conditions)}")
    for i, c in enumerate(conditions):
        if not isinstance(c, dict):
            raise _Invalid(at + (i,), f"must be a mapping with type and status, got {_kind(c)}")
        if c.get("type") == "Ready":
            if c.get("status") not in ("True", "False", "Unknown"):
                raise _Invalid(at + (i, "status"), f"must be True, False or Unknown, got {_show(c.get('status'))}")
            return c["status"] == "True"
    return False


# --- pools ------------------------------------------------------------------------------------
class PoolError(ValueError):
    """A bad node pool: ``path`` (``cluster.pools[1].taints[0].effect``) and the ``rule`` it breaks."""

    def __init__(self, path: str, rule: str) -> None:
        super().__init__(f"{path}: {rule}")
        self.path, self.rule = path, rule


_POOL_KEYS = ("name", "count", "labels", "taints", "allocatable", "ready", "timings")
_POOL_NAME = re.compile(r"[a-z0-9]([-a-z0-9]{0,48}[a-z0-9])?")


@dataclass(frozen=True)
class _Pool:
    name: str
    count: int
    labels: dict[str, str]
    taints: tuple[Taint, ...]
    allocatable: dict[str, Any]  # the quantities as written
    cpu_millis: int | None
    memory_bytes: int | None
    ready: bool


def _pools(pools: Any, where: str) -> list[_Pool]:
    try:
        if not isinstance(pools, (list, tuple)):
            raise _Invalid((), f"must be a list of pools, got {_kind(pools)}")
        if not pools:
            raise _Invalid((), "must list at least one pool")
        out: list[_Pool] = []
        for i, pool in enumerate(pools):
            out.append(_pool(pool, (i,)))
            if any(p.name == out[-1].name for p in out[:-1]):
                raise _Invalid((i, "name"), f"duplicate pool name {out[-1].name!r}")
        return out
    except _Invalid as exc:
        raise PoolError(_path((where, *exc.parts)), exc.message) from None


def _pool(pool: Any, at: tuple[str | int, ...]) -> _Pool:
    if not isinstance(pool, Mapping):
        raise _Invalid(at, f"must be a mapping with name and count, got {_kind(pool)}")
    _known_keys(pool, _POOL_KEYS, at)
    name, count, ready = pool.get("name"), pool.get("count"), pool.get("ready", True)
    if not isinstance(name, str) or not _POOL_NAME.fullmatch(name):
        raise _Invalid(at + ("name",), "must be 1-50 lowercase letters, digits and '-' (it prefixes node names), "
                                       f"got {_show(name)}")
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise _Invalid(at + ("count",), f"must be a non-negative integer, got {_show(count)}")
    if not isinstance(ready, bool):
        raise _Invalid(at + ("ready",), f"must be true or false, got {_show(ready)}")
    labels = _string_map(_mapping(pool, "labels", at), at + ("labels",))
    taints = _taints(pool.get("taints"), at + ("taints",), strict=True)
    allocatable = _mapping(pool, "allocatable", at)
    _known_keys(allocatable, ("cpu", "memory"), at + ("allocatable",))
    cpu, memory = _resources(allocatable, at + ("allocatable",))
    _mapping(pool, "timings", at)  # reserved for per-pool timing overrides: checked, not used yet
    return _Pool(name, count, dict(labels), taints, dict(allocatable), cpu, memory, ready)


def _known_keys(data: Mapping, keys: tuple[str, ...], at: tuple[str | int, ...]) -> None:
    for key in data:
        if key not in keys:
            raise _Invalid(at + (str(key),), f"unknown key; expected one of {', '.join(keys)}")


def _with_not_ready_taints(taints: tuple[Taint, ...]) -> tuple[Taint, ...]:
    """What the node lifecycle controller adds to a node whose kubelet reports Ready=False."""
    extra = (Taint(NOT_READY_TAINT, "", NO_SCHEDULE), Taint(NOT_READY_TAINT, "", NO_EXECUTE))
    return taints + tuple(t for t in extra if all((x.key, x.effect) != (t.key, t.effect) for x in taints))


def nodes_from_pools(pools: Sequence[Mapping[str, Any]], where: str = "cluster.pools") -> tuple[Node, ...]:
    """Nodes from pool descriptions: ``{name, count, labels, taints, allocatable, ready, timings}``.

    Pool ``name`` prefixes its nodes' names (``gpu-00`` ... ``gpu-11``); ``labels`` and
    ``taints`` (``{key, value, effect}``) are set on each node as given; ``allocatable``
    takes cpu and memory quantities ("4", "16Gi"). ``ready: false`` models nodes whose
    kubelet reports NotReady: they also get the node lifecycle controller's
    ``node.kubernetes.io/not-ready`` NoSchedule and NoExecute taints. ``timings`` is
    reserved for per-pool timing overrides (later work): accepted when a mapping, ignored.
    Raises ``PoolError`` (a ``ValueError``, "<where>[i].<key>: <rule>").
    """
    nodes: list[Node] = []
    for pool in _pools(pools, where):
        width = max(1, len(str(pool.count - 1)))
        taints = pool.taints if pool.ready else _with_not_ready_taints(pool.taints)
        nodes.extend(Node(f"{pool.name}-{i:0{width}d}", pool.labels, taints, pool.ready, False,
                          pool.cpu_millis, pool.memory_bytes) for i in range(pool.count))
    return tuple(nodes)


# --- make_nodes -------------------------------------------------------------------------------
# (cpu, memory, allocatable cpu, allocatable memory, pods) as kubelet reports them on EC2
_INSTANCE_TYPES = {
    "m5.large": ("2", "7934440Ki", "1930m", "7244264Ki", "29"),
    "m5.xlarge": ("4", "15896244Ki", "3920m", "14879412Ki", "58"),
}
_READY_MESSAGES = {
    "MemoryPressure": ("KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    "DiskPressure": ("KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    "PIDPressure": ("KubeletHasSufficientPID", "kubelet has sufficient PID available"),
}
_NOT_READY = ("KubeletNotReady", ("container runtime network not ready: NetworkReady=false reason:"
                                  "NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized"))


def make_nodes(count: int, *, seed: int = 0, control_plane: int = 3, pools: Sequence[Mapping[str, Any]] | None = None,
               not_ready: int = 0, cordoned: int = 0, zones: int = 3, region: str = "us-east-1",
               kubelet_version: str = "v1.29.4", now: str = "2024-06-01T12:00:00Z") -> dict[str, Any]:
    """A realistic ``kubectl get nodes -o json`` document (kind List) for ``count`` nodes.

    A kOps-style cluster on EC2: ``control_plane`` nodes labelled and tainted
    ``node-role.kubernetes.io/control-plane:NoSchedule``; workers from ``pools`` (as in
    ``nodes_from_pools``; their counts must add up to ``count - control_plane``) or else one
    m5.xlarge instance group per zone, spread over ``zones`` zones. ``not_ready`` workers
    report Ready=False and carry ``node.kubernetes.io/not-ready`` NoSchedule and NoExecute,
    as the node lifecycle controller taints them; ``cordoned`` others are
    ``spec.unschedulable`` with the ``node.kubernetes.io/unschedulable:NoSchedule`` taint.
    Deterministic in ``seed``; timestamps are relative to ``now``, never the clock.
    """
    for name, value in (("count", count), ("control_plane", control_plane), ("not_ready", not_ready),
                        ("cordoned", cordoned), ("zones", zones)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    if not 1 <= zones <= 6:
        raise ValueError(f"zones must be between 1 and 6, got {zones}")
    if control_plane > count:
        raise ValueError(f"control_plane ({control_plane}) must not exceed count ({count})")
    if count > min(8000 * zones, 16000):
        raise ValueError(f"count must be at most {min(8000 * zones, 16000)} with {zones} zone(s) "
                         "(a /19 subnet per zone, a /24 pod CIDR per node in 100.64.0.0/10)")
    workers = count - control_plane
    zone_names = [f"{region}{'abcdef'[z]}" for z in range(zones)]
    specs = _pools(pools, "pools") if pools is not None else [
        _Pool(f"nodes-{zone}", len(range(z, workers, zones)), {}, (), {}, None, None, True)
        for z, zone in enumerate(zone_names)]
    if sum(p.count for p in specs) != workers:
        raise ValueError(f"pool counts add up to {sum(p.count for p in specs)}, expected count - control_plane"
                         f" = {workers}")
    members = [p for p in specs for _ in range(p.count)]
    if pools is None:  # instance group i lives in zone i
        zone_of = [z for z, p in enumerate(specs) for _ in range(p.count)]
    else:
        zone_of = [i % zones for i in range(workers)]
    zone_of = [j % zones for j in range(control_plane)] + zone_of
    ready_workers = [i for i, p in enumerate(members) if p.ready]
    if not_ready + cordoned > len(ready_workers):
        raise ValueError(f"not_ready + cordoned ({not_ready + cordoned}) must not exceed the ready workers "
                         f"({len(ready_workers)})")

    rng = np.random.default_rng(seed)
    chosen = [int(i) for i in rng.choice(ready_workers, not_ready + cordoned, replace=False)]
    down, cordon = set(chosen[:not_ready]), set(chosen[not_ready:])
    offsets = {z: iter(rng.choice(np.arange(16, 8176), zone_of.count(z), replace=False)) for z in range(zones)}
    base = datetime.strptime(now, "%Y-%m-%dT%H:%M:%SZ")
    domain = "ec2.internal" if region == "us-east-1" else f"{region}.compute.internal"
    items = []
    for k, z in enumerate(zone_of):
        off = int(next(offsets[z]))
        ip = f"10.0.{32 * z + off // 256}.{off % 256}"
        host = f"ip-{ip.replace('.', '-')}.{domain}"
        w = k - control_plane
        pool = members[w] if w >= 0 else None
        items.append(_node_object(
            rng, host, ip, k, pool, zone_names[z], region, base, kubelet_version,
            ready=pool is None or (pool.ready and w not in down), cordoned=w in cordon))
    items.sort(key=lambda n: n["metadata"]["name"])  # the API server lists by name
    return {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}


def _stamp(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _node_object(rng: np.random.Generator, host: str, ip: str, k: int, pool: _Pool | None, zone: str, region: str,
                 now: datetime, kubelet_version: str, *, ready: bool, cordoned: bool) -> dict[str, Any]:
    """One Node as the API server returns it (without the ``images`` list and managedFields)."""
    itype = "m5.large" if pool is None else pool.labels.get("node.kubernetes.io/instance-type", "m5.xlarge")
    cpu, memory, alloc_cpu, alloc_memory, pods = _INSTANCE_TYPES.get(itype, _INSTANCE_TYPES["m5.xlarge"])
    if pool is not None and "cpu" in pool.allocatable:  # capacity = allocatable: no reservations known
        cpu = alloc_cpu = str(pool.allocatable["cpu"])
    if pool is not None and "memory" in pool.allocatable:
        memory = alloc_memory = str(pool.allocatable["memory"])
    created = now - timedelta(seconds=int(rng.integers(3600, 200 * 86400)))
    heartbeat = _stamp(now - timedelta(seconds=int(rng.integers(0, 40))))
    group = pool.name if pool is not None else f"control-plane-{zone}"
    labels = {
        "beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/instance-type": itype,
        "beta.kubernetes.io/os": "linux", "kops.k8s.io/instancegroup": group, "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": host, "kubernetes.io/os": "linux", "node.kubernetes.io/instance-type": itype,
        "topology.kubernetes.io/region": region, "topology.kubernetes.io/zone": zone,
    }
    taints: list[dict[str, str]] = []
    if pool is None:
        labels.update({CONTROL_PLANE_LABEL: "", "node.kubernetes.io/exclude-from-external-load-balancers": ""})
        taints.append({"effect": NO_SCHEDULE, "key": CONTROL_PLANE_LABEL})
    else:
        labels.update(pool.labels)
        taints += [{"effect": t.effect, "key": t.key, **({"value": t.value} if t.value else {})} for t in pool.taints]
    if not ready:
        since = _stamp(now - timedelta(seconds=int(rng.integers(60, 3600))))
        taints += [{"effect": NO_SCHEDULE, "key": NOT_READY_TAINT},
                   {"effect": NO_EXECUTE, "key": NOT_READY_TAINT, "timeAdded": since}]
    if cordoned:
        taints.append({"effect": NO_SCHEDULE, "key": UNSCHEDULABLE_TAINT,
                       "timeAdded": _stamp(now - timedelta(seconds=int(rng.integers(60, 86400))))})
    cidr = f"100.{64 + k // 256}.{k % 256}.0/24"
    spec: dict[str, Any] = {"podCIDR": cidr, "podCIDRs": [cidr],
                            "providerID": f"aws:///{zone}/i-0{rng.bytes(8).hex()[:16]}"}
    if taints:
        spec["taints"] = taints
    if cordoned:
        spec["unschedulable"] = True
    conditions = [{"lastHeartbeatTime": heartbeat, "lastTransitionTime": _stamp(created + timedelta(seconds=40)),
                   "message": msg, "reason": reason, "status": "False", "type": kind}
                  for kind, (reason, msg) in _READY_MESSAGES.items()]
    reason, msg = ("KubeletReady", "kubelet is posting ready status") if ready else _NOT_READY
    conditions.append({"lastHeartbeatTime": heartbeat,
                       "lastTransitionTime": _stamp(created + timedelta(seconds=55)) if ready else since,
                       "message": msg, "reason": reason, "status": "True" if ready else "False", "type": "Ready"})
    storage = {"ephemeral-storage": "83873772Ki", "hugepages-1Gi": "0", "hugepages-2Mi": "0"}
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {
            "annotations": {"alpha.kubernetes.io/provided-node-ip": ip, "node.alpha.kubernetes.io/ttl": "0",
                            "volumes.kubernetes.io/controller-managed-attach-detach": "true"},
            "creationTimestamp": _stamp(created), "labels": dict(sorted(labels.items())), "name": host,
            "resourceVersion": str(int(rng.integers(10**6, 10**8))),
            "uid": str(uuid.UUID(bytes=rng.bytes(16), version=4)),
        },
        "spec": spec,
        "status": {
            "addresses": [{"address": ip, "type": "InternalIP"}, {"address": host, "type": "InternalDNS"},
                          {"address": host, "type": "Hostname"}],
            "allocatable": {"cpu": alloc_cpu, **storage, "ephemeral-storage": "76224326324",
                            "memory": alloc_memory, "pods": pods},
            "capacity": {"cpu": cpu, **storage, "memory": memory, "pods": pods},
            "conditions": conditions,
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {"architecture": "amd64", "containerRuntimeVersion": "containerd://1.7.16",
                         "kernelVersion": "6.1.90-99.173.amzn2023.x86_64", "kubeProxyVersion": kubelet_version,
                         "kubeletVersion": kubelet_version, "operatingSystem": "linux",
                         "osImage": "Amazon Linux 2023.4.20240528"},
        },
    }


def nodes_json(document: Mapping[str, Any]) -> str:
    """``document`` as deterministic JSON text, indented like kubectl's (but by 2), with a final newline."""
    return json.dumps(document, indent=2) + "\n"


def write_nodes_json(path: str | Path, count: int, **options: Any) -> dict[str, Any]:
    """Write ``make_nodes(count, **options)`` to ``path`` atomically; returns the document."""
    document = make_nodes(count, **options)
    write_text(Path(path), nodes_json(document))
    return document
