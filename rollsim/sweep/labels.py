"""How a configuration is named: its label, made of its variant's name and swept values.

A swept value is shown as a reader writes it, never as Python's ``repr``: a list or a mapping
(an ``also:`` list of other DaemonSets, node pools) in words, ``calico-node (maxUnavailable 3)``
for an item with a name, ``none`` for an empty list, so that a label, a condition and the
report's description of the other DaemonSets (``rollsim.spec.describe``) read alike. A swept
setting with a Kubernetes spelling is written so (``maxSurge 10%``, ``system-node-critical``,
``3 nodes under disk pressure from the start``: ``setting_words``), as a manifest or a change
review writes it; one without keeps the experiment's ``key=value``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["config_label", "display", "setting_words", "value_text"]


def _item_text(item: Mapping[str, Any]) -> str:
    """A mapping: ``name (key value; key value)`` when it has a name, else ``key value; key value``;
    an ``also:`` item's keys in the settings' order (``WORKLOAD_OPTIONS``), others after them as given,
    so that the item reads alike from the experiment file and from ``summary.csv`` (its JSON sorts them).
    """
    from rollsim.spec.settings import WORKLOAD_OPTIONS, spelled

    order = {name: i for i, name in enumerate(WORKLOAD_OPTIONS)}
    keys = sorted((k for k in item if k != "name"), key=lambda k: order.get(k, len(order)))
    settings = "; ".join(f"{spelled(k) if k in order else k} {value_text(item[k])}" for k in keys)
    if "name" not in item:
        return settings or "none"
    name = value_text(item["name"])
    return f"{name} ({settings})" if settings else name


def value_text(value: Any) -> str:
    """A swept value in words: a list's items joined by `` + `` (``none`` when empty), a mapping
    as ``_item_text``, anything else as ``str``; JSON text of a list or a mapping (as ``summary.csv``
    holds a swept list) reads as the value itself.
    """
    if isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    if isinstance(value, (list, tuple)):
        return " + ".join(value_text(v) for v in value) or "none"
    if isinstance(value, Mapping):
        return _item_text(value)
    return str(value)


def display(v: Any) -> str:
    """A swept value as a condition, a legend or a finding shows it (absent: ``default``; a list
    or a mapping, or its JSON text, in words: ``value_text``).
    """
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "default"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return value_text(v)


def _changes(kind: str, none: str) -> Callable[[str], str | None]:
    """Node changes (``3@0``, several joined by `` + ``) in words, ``none`` when there are none."""
    from rollsim.spec.churn import parse_node_change

    def words(shown: str) -> str | None:
        if shown == "none":
            return none
        try:
            return " and ".join(parse_node_change(kind, part).words() for part in shown.split(" + "))
        except ValueError:
            return None
    return words


def _not_ready(shown: str) -> str | None:
    """``cluster.not_ready_nodes``: a count NotReady before the rollout, or changes during it."""
    if shown.isdigit():
        n = int(shown)
        return "no node NotReady" if n == 0 else f"{n:,} node{'' if n == 1 else 's'} NotReady"
    return _changes("not-ready", "no node NotReady")(shown)


def _priority(shown: str) -> str | None:
    """A priority by the built-in class that has it (``system-node-critical``), else ``priority N``."""
    from rollsim.spec.priority import builtin_class

    if not shown.lstrip("-").isdigit():
        return None
    return builtin_class(int(shown)) or f"priority {int(shown):,}"


def _deleter(shown: str) -> str | None:
    from rollsim.spec.deleters import parse_deleter

    try:
        spec = parse_deleter(shown)
    except ValueError:
        return None
    return "no deleter" if spec.kind == "none" else spec.words()  # (beside OnDelete: "OnDelete, batches of 50")


def _nodes(shown: str) -> str | None:
    return f"{int(shown):,} nodes" if shown.isdigit() else None


# a setting's name -> its value (as ``display`` shows it) as a person writes the two, or None: keep key=value
_WORDS: dict[str, Callable[[str], str | None]] = {
    "strategy": lambda shown: shown,  # OnDelete, RollingUpdate
    "priority": _priority,
    "host_ports": lambda shown: "no hostPort" if shown == "none" else f"hostPort {shown}",
    "deleter": _deleter,
    "nodes": _nodes,
    "not_ready_nodes": _not_ready,
    "add_nodes": _changes("add", "no nodes added"),
    "remove_nodes": _changes("remove", "no nodes removed"),
    "old_pods_unready": _changes("old-pods-unready", "no old pod unready"),
    "disk_pressure_nodes": _changes("disk-pressure", "no disk pressure"),
}


def setting_words(key: str, value: Any) -> str:
    """A swept key (dotted, as the experiment file gives it) and its value as a person writes them:
    the Kubernetes spelling where there is one (``maxSurge 10%``, ``minReadySeconds 30``, ``OnDelete``,
    ``system-node-critical`` or ``priority 1,000``, ``hostPort 9100``), a node change in words
    (``3 nodes under disk pressure from the start``, ``no disk pressure``), ``500 nodes``, ``batches of
    50`` (an OnDelete deleter); else ``key=value`` with the key's last part (``node_utilization=0.5``). The
    value as the experiment gives it and as summary.csv reads it back name alike (``display``).
    """
    from rollsim.spec.settings import BY_KEY, KUBERNETES_FIELDS

    shown = display(value)
    setting = BY_KEY.get(key)
    if setting is not None and setting.name in KUBERNETES_FIELDS and shown != "default":
        return f"{setting.label} {shown}"
    words = _WORDS.get(setting.name if setting is not None else key)
    said = words(shown) if words is not None and shown != "default" else None
    return said if said is not None else f"{key.rsplit('.', 1)[-1]}={shown}"


def config_label(params: Mapping[str, Any], variant: str | None) -> str:
    """A configuration's label: its variant's name, then each swept key and value as
    ``setting_words`` writes them, ``, ``-separated; ``base`` when there is neither.
    """
    parts = [variant] if variant else []
    parts += [setting_words(k, v) for k, v in params.items()]
    return ", ".join(parts) or "base"
