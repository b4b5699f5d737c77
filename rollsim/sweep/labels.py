"""How a configuration is named: its label, made of its variant's name and swept values.

A swept value is shown as a reader writes it, never as Python's ``repr``: a list or a mapping
(an ``also:`` list of other DaemonSets, node pools) in words, ``calico-node (max_unavailable 3)``
for an item with a name, ``none`` for an empty list, so that a label, a condition and the
report's description of the other DaemonSets (``rollsim.spec.describe``) read alike.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = ["config_label", "value_text"]


def _item_text(item: Mapping[str, Any]) -> str:
    """A mapping: ``name (key value; key value)`` when it has a name, else ``key value; key value``;
    an ``also:`` item's keys in the settings' order (``WORKLOAD_OPTIONS``), others after them as given,
    so that the item reads alike from the experiment file and from ``summary.csv`` (its JSON sorts them).
    """
    from rollsim.spec.settings import WORKLOAD_OPTIONS

    order = {name: i for i, name in enumerate(WORKLOAD_OPTIONS)}
    keys = sorted((k for k in item if k != "name"), key=lambda k: order.get(k, len(order)))
    settings = "; ".join(f"{k} {value_text(item[k])}" for k in keys)
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


def config_label(params: Mapping[str, Any], variant: str | None) -> str:
    """A configuration's label: its variant's name, then ``key=value`` per swept key (the last
    part of its dotted path), ``, ``-separated; ``base`` when there is neither.
    """
    parts = [variant] if variant else []
    parts += [f"{k.rsplit('.', 1)[-1]}={value_text(v)}" for k, v in params.items()]
    return ", ".join(parts) or "base"
