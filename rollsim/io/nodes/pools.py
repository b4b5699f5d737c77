"""``nodes_from_pools``: nodes from a few pool descriptions in a scenario file."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rollsim.io.nodes.fields import (
    NOT_READY_TAINT,
    Invalid,
    Parts,
    allocatable,
    allocatable_everywhere,
    dotted,
    kind_of,
    known_keys,
    mapping,
    show,
    string_map,
    taints,
)
from rollsim.spec.limits import LimitError, check_limit
from rollsim.spec.node import NO_EXECUTE, NO_SCHEDULE, Node, Taint, kubelet_labels

__all__ = ["Pool", "PoolError", "nodes_from_pools", "read_pools"]

_POOL_KEYS = ("name", "count", "labels", "taints", "allocatable", "ready", "timings")
_POOL_NAME = re.compile(r"[a-z0-9]([-a-z0-9]{0,48}[a-z0-9])?")


class PoolError(ValueError):
    """A bad node pool: ``path`` (``cluster.pools[1].taints[0].effect``) and the ``rule`` it breaks."""

    def __init__(self, path: str, rule: str) -> None:
        super().__init__(f"{path}: {rule}")
        self.path, self.rule = path, rule


@dataclass(frozen=True)
class Pool:
    """One checked pool description."""

    name: str
    count: int
    labels: dict[str, str]
    taints: tuple[Taint, ...]
    allocatable: dict[str, Any]  # the quantities as written
    cpu_millis: int | None
    memory_bytes: int | None
    ready: bool


def read_pools(pools: Any, where: str) -> list[Pool]:
    """The pools of a list of descriptions, checked; raises ``PoolError`` with ``where`` as the path prefix."""
    try:
        if not isinstance(pools, (list, tuple)):
            raise Invalid((), f"must be a list of pools, got {kind_of(pools)}")
        if not pools:
            raise Invalid((), "must list at least one pool")
        out: list[Pool] = []
        for i, pool in enumerate(pools):
            out.append(_pool(pool, (i,)))
            if any(p.name == out[-1].name for p in out[:-1]):
                raise Invalid((i, "name"), f"duplicate pool name {out[-1].name!r}")
        try:
            check_limit("nodes", sum(p.count for p in out))  # before a single node is built
        except LimitError as exc:
            raise Invalid((), str(exc)) from None
        return out
    except Invalid as exc:
        raise PoolError(dotted((where, *exc.parts)), exc.message) from None


def _pool(pool: Any, at: Parts) -> Pool:
    if not isinstance(pool, Mapping):
        raise Invalid(at, f"must be a mapping with name and count, got {kind_of(pool)}")
    known_keys(pool, _POOL_KEYS, at)
    name, count, ready = pool.get("name"), pool.get("count"), pool.get("ready", True)
    if not isinstance(name, str) or not _POOL_NAME.fullmatch(name):
        raise Invalid(at + ("name",), "must be 1-50 lowercase letters, digits and '-' (it prefixes node names), "
                                      f"got {show(name)}")
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        got = "is missing" if count is None else f"got {show(count)}"
        raise Invalid(at + ("count",), f"must be a non-negative integer, {got}")
    if not isinstance(ready, bool):
        raise Invalid(at + ("ready",), f"must be true or false, got {show(ready)}")
    labels = string_map(mapping(pool, "labels", at), at + ("labels",))
    pool_taints = taints(pool.get("taints"), at + ("taints",), strict=True)
    resources = mapping(pool, "allocatable", at)
    known_keys(resources, ("cpu", "memory"), at + ("allocatable",))
    cpu, memory = allocatable(resources, at + ("allocatable",))
    if mapping(pool, "timings", at):  # silently ignored before: a pool's own timings would be a wrong answer
        raise Invalid(at + ("timings",), "per-pool timings are not modelled: every node takes the scenario's "
                                         "timings (set scenario.timings, or run one experiment per pool)")
    return Pool(name, count, dict(labels), pool_taints, dict(resources), cpu, memory, ready)


def _with_not_ready_taints(existing: tuple[Taint, ...]) -> tuple[Taint, ...]:
    """What the node lifecycle controller adds to a node whose kubelet reports Ready=False."""
    extra = (Taint(NOT_READY_TAINT, "", NO_SCHEDULE), Taint(NOT_READY_TAINT, "", NO_EXECUTE))
    return existing + tuple(t for t in extra if all((x.key, x.effect) != (t.key, t.effect) for x in existing))


def nodes_from_pools(pools: Sequence[Mapping[str, Any]], where: str = "cluster.pools") -> tuple[Node, ...]:
    """Nodes from pool descriptions: ``{name, count, labels, taints, allocatable, ready, timings}``.

    Pool ``name`` prefixes its nodes' names (``gpu-00`` ... ``gpu-11``); each node carries the
    kubelet's labels (``kubernetes.io/os=linux``, ``arch=amd64``, ``hostname=<name>``), then
    ``labels`` (which may override them) and ``taints`` (``{key, value, effect}``) as given; ``allocatable``
    takes cpu and memory quantities ("4", "16Gi"). ``ready: false`` models nodes whose
    kubelet reports NotReady: they also get the node lifecycle controller's
    ``node.kubernetes.io/not-ready`` NoSchedule and NoExecute taints. ``timings`` is
    reserved for per-pool timing overrides, which are not modelled: only an empty mapping passes.
    Raises ``PoolError`` (a ``ValueError``, "<where>[i].<key>: <rule>").
    """
    checked = read_pools(pools, where)
    try:  # make-nodes fills a pool's missing allocatable from its instance type; here it stays missing
        allocatable_everywhere([((where, i, "allocatable"), p.name, p.cpu_millis, p.memory_bytes)
                                for i, p in enumerate(checked) if p.count], "pool")
    except Invalid as exc:
        raise PoolError(dotted(exc.parts), exc.message) from None
    nodes: list[Node] = []
    for pool in checked:
        width = max(1, len(str(pool.count - 1)))
        node_taints = pool.taints if pool.ready else _with_not_ready_taints(pool.taints)
        names = [f"{pool.name}-{i:0{width}d}" for i in range(pool.count)]
        nodes.extend(Node(name, {**kubelet_labels(name), **pool.labels}, node_taints, pool.ready, False,
                          pool.cpu_millis, pool.memory_bytes) for name in names)
    return tuple(nodes)
