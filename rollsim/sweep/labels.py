"""How a configuration is named: its label, made of its variant's name and swept values.

A swept value is shown as a reader writes it, never as Python's ``repr``: a list or a mapping
(an ``also:`` list of other DaemonSets, node pools) in words, ``calico-node (maxUnavailable 3)``
for an item with a name, ``none`` for an empty list, so that a label, a condition and the
report's description of the other DaemonSets (``rollsim.spec.describe``) read alike. A swept
setting with a Kubernetes spelling is written so (``maxSurge 10%``, ``system-node-critical``,
``3 nodes under disk pressure from the start``: ``setting_words``), as a manifest or a change
review writes it; a fault, a clock skew or the other pods' share of a node in words (``2% of new pods
crash-looping``, ``5% of kubelet clocks 5m ahead``, ``other pods requesting 50% of each node``); any
other by the name reports give the setting and its value (``readiness probe period 10s``), never the
experiment's ``key=value``, which a change review would have to decode.
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


def _words_of(parse: Callable[[str], Any], shown: str) -> str | None:
    """``shown`` read by ``parse`` and said by the value's ``words()``; None where it does not read."""
    try:
        return str(parse(shown).words())
    except ValueError:
        return None


def _deleter(shown: str) -> str | None:
    from rollsim.spec.deleters import parse_deleter

    said = _words_of(parse_deleter, shown)
    return "no deleter" if said == "none" else said  # (beside OnDelete: "OnDelete, batches of 50")


def _nodes(shown: str) -> str | None:
    return f"{int(shown):,} nodes" if shown.isdigit() else None


def _new_pods(shown: str) -> str | None:
    from rollsim.spec.faults import parse_new_pods

    return _words_of(parse_new_pods, shown)


def _clock_skew(shown: str) -> str | None:
    from rollsim.spec.clockskew import parse_clock_skew

    return _words_of(parse_clock_skew, shown)


def _share(shown: str) -> str | None:
    """A fraction as a percentage (``0.5`` → ``50%``), None when it is no number."""
    try:
        value = float(shown)
    except ValueError:
        return None
    return f"{round(100 * value, 4):g}%" if math.isfinite(value) else None


def _utilization(shown: str) -> str | None:
    share = _share(shown)
    return None if share is None else f"other pods requesting {share} of each node"


def _cached(shown: str) -> str | None:
    share = _share(shown)
    return None if share is None else f"image cached on {share} of nodes"


def _other_priority(shown: str) -> str | None:
    said = _priority(shown)
    return None if said is None else f"other pods at {said}"


def _seconds(shown: str, words: str) -> str | None:
    """``words`` with the duration ``shown`` (whole seconds) in it, compact: ``5m``."""
    from rollsim.spec.duration import compact_duration

    try:
        value = float(shown)
    except ValueError:
        return None
    return words.format(compact_duration(value)) if math.isfinite(value) else None


def _also(shown: str) -> str | None:
    return "no other DaemonSet updated at the same time" if shown == "none" else f"{shown} updated at the same time"


def _truth(shown: str) -> bool | None:
    """A boolean as a label's value shows it (``True``, ``false``, ``1``), None where it is none."""
    said = shown.lower()
    return True if said in ("true", "yes", "on", "1") else False if said in ("false", "no", "off", "0") else None


def _serial_pulls(shown: str) -> str | None:
    """``serializeImagePulls``: what a node does with its pulls."""
    truth = _truth(shown)
    return None if truth is None else "one image pull at a time" if truth else "image pulls side by side"


def _parallel_pulls(shown: str) -> str | None:
    """``maxParallelImagePulls``: how many pulls a node runs at once."""
    return f"at most {int(shown):,} image pull{'' if shown == '1' else 's'} at once" if shown.isdigit() else None


def _over_limit(shown: str) -> str | None:
    """What the registry does with a request over its limit."""
    return {"queue": "registry queueing requests over its limit",
            "reject": "registry refusing requests over its limit (429)"}.get(shown)


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
    "new_pods": _new_pods,
    "clock_skew": _clock_skew,
    "node_utilization": _utilization,
    "image_cached": _cached,
    "other_pods_priority": _other_priority,
    "controller": lambda shown: f"{shown} controller",  # ideal, realistic
    "kubernetes_version": lambda shown: f"Kubernetes {shown}",
    "also": _also,
    "rollback_after": lambda shown: _seconds(shown, "rolled back {} after the stall"),
    "timings": lambda shown: f"timing profile {shown}",  # an input file (rollsim calibrate)
    "serialize_image_pulls": _serial_pulls,
    "max_parallel_image_pulls": _parallel_pulls,
    "registry_over_limit": _over_limit,
}


def _named(key: str, shown: str) -> str:
    """Any other setting as reports name it, with its value: ``readiness probe period 10s``,
    ``registry pull rate 10/s``, ``hostNetwork: yes``; a key no setting declares (an input file)
    by its last part in words: ``nodes file nodes.json``.
    """
    from rollsim.spec.duration import compact_duration
    from rollsim.spec.kinds import BOOLEAN
    from rollsim.spec.settings import BY_KEY

    setting = BY_KEY.get(key)
    if setting is None:
        return f"{key.rsplit('.', 1)[-1].replace('_', ' ')} {shown}"
    name = (setting.label or setting.name.replace("_", " ")).split(" (")[0]  # "... (fraction)" goes with a unit
    if setting.kind is BOOLEAN and _truth(shown) is not None:
        return f"{name}: {'yes' if _truth(shown) else 'no'}"
    try:
        number = float(shown)
    except ValueError:
        return f"{name} {shown}"
    if setting.unit == "s" and math.isfinite(number):  # a fraction of a second is kept: 10.5s is not 10s
        return f"{name} {compact_duration(number) if number == round(number) else f'{number:g}s'}"
    return f"{name} {shown}" + (f" {setting.unit}" if setting.unit else "")


# a setting left unset, where its help's words for that do not read as a label
_UNSET = {"max_parallel_image_pulls": "no maxParallelImagePulls",
          "serialize_image_pulls": "serializeImagePulls as the kubelet defaults it"}


def _unset(shown_default: str | None) -> str:
    """What a setting left unset is, as its help says it (``unlimited``, ``never``, ``the rest of the
    run``, ``the version's``), up to a colon; ``none`` without words, ``default`` where they have a comma.
    """
    said = (shown_default or "none").split(":")[0]
    return "default" if ", " in said else said


def setting_words(key: str, value: Any) -> str:
    """A swept key (dotted, as the experiment file gives it) and its value as a person writes them:
    the Kubernetes spelling where there is one (``maxSurge 10%``, ``minReadySeconds 30``, ``OnDelete``,
    ``system-node-critical`` or ``priority 1,000``, ``hostPort 9100``), a node change in words
    (``3 nodes under disk pressure from the start``, ``no disk pressure``), ``500 nodes``, ``batches of
    50`` (an OnDelete deleter), a fault, a clock skew or a share in words (``2% of new pods crash-looping``,
    ``5% of kubelet clocks 5m ahead``, ``other pods requesting 50% of each node``); else the setting's
    name in reports and its value (``readiness probe period 10s``: ``_named``), so that no report, table
    or legend shows an experiment's ``key=value``. The value as the experiment gives it and as summary.csv
    reads it back name alike (``display``).
    """
    from rollsim.spec.settings import BY_KEY, KUBERNETES_FIELDS

    shown = display(value)
    setting = BY_KEY.get(key)
    if (shown == "default" and setting is not None and not setting.per_daemonset
            and setting.name != "kubernetes_version"  # a live cluster's own version, else rollsim's
            and isinstance(setting.default, (int, float, str)) and setting.default != ""):
        shown = display(setting.default)  # a cluster's or a fault's default is its value (no manifest sets it)
    if shown == "default" and setting is not None and setting.default is None:  # unset: what that means
        return _UNSET.get(setting.name) or _named(key, _unset(setting.shown_default))
    if setting is not None and setting.name in KUBERNETES_FIELDS and shown != "default":
        return f"{setting.label} {shown}"
    words = _WORDS.get(setting.name if setting is not None else key)
    said = words(shown) if words is not None and shown != "default" else None
    return said if said is not None else _named(key, shown)


def config_label(params: Mapping[str, Any], variant: str | None) -> str:
    """A configuration's label: its variant's name, then each swept key and value as
    ``setting_words`` writes them, ``, ``-separated; ``base`` when there is neither.
    """
    parts = [variant] if variant else []
    parts += [setting_words(k, v) for k, v in params.items()]
    return ", ".join(parts) or "base"
