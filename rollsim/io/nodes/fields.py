"""What a Node object and a pool description share: labels, taints, allocatable, and their messages.

Problems are raised as ``Invalid`` with the key path as parts (``("items", 3, "spec")``); the
caller turns that into its own error (``ConfigError`` with a line, or ``PoolError``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rollsim.spec.labelsyntax import label_key_problem, label_value_problem
from rollsim.spec.node import NO_EXECUTE, NO_SCHEDULE, PREFER_NO_SCHEDULE, Taint
from rollsim.spec.quantity import int64_amount
from rollsim.spec.quoting import expected_one_of, written

__all__ = ["NOT_READY_TAINT", "UNSCHEDULABLE_TAINT", "Invalid", "Parts", "allocatable", "allocatable_everywhere",
           "dotted", "kind_of", "known_keys", "mapping", "show", "string_map", "taints"]

NOT_READY_TAINT = "node.kubernetes.io/not-ready"
UNSCHEDULABLE_TAINT = "node.kubernetes.io/unschedulable"
_EFFECTS = (NO_SCHEDULE, PREFER_NO_SCHEDULE, NO_EXECUTE)
_EFFECT_RULE = "must be NoSchedule, PreferNoSchedule or NoExecute"
_KINDS = {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", int: "a number",
          float: "a number", type(None): "null"}

Parts = tuple[str | int, ...]


class Invalid(Exception):
    """A rule broken at the key path ``parts``."""

    def __init__(self, parts: Parts, message: str) -> None:
        super().__init__(message)
        self.parts, self.message = parts, message


# --- messages ---------------------------------------------------------------------------------
def kind_of(value: Any) -> str:
    """What a value is, for a message: ``a mapping``, ``a string``, ``null``."""
    return _KINDS.get(type(value), type(value).__name__)


def show(value: Any) -> str:
    """A value as written (``rollsim.spec.quoting.written``: ``true``, ``{a: 1}``, ``'x'``), shortened:
    for messages that must stay one line.
    """
    text = written(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _not_a_string(value: Any) -> str:
    hint = " (quote it in YAML)" if isinstance(value, (bool, int, float)) else ""
    return f"must be a string, got {kind_of(value)} {show(value)}{hint}"


def dotted(parts: Sequence[str | int]) -> str:
    """``items[3].spec.taints[0].effect``: keys joined by dots, as ``rollsim.io.yamldoc`` records them."""
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


# --- fields -----------------------------------------------------------------------------------
def mapping(parent: Mapping, key: str, at: Parts, required: bool = False) -> Mapping:
    """``parent[key]`` as a mapping (empty when unset and not ``required``), else ``Invalid``."""
    value = parent.get(key)
    if value is None and not required:
        return {}
    if not isinstance(value, Mapping):
        raise Invalid(at + (key,), f"must be a mapping, got {kind_of(value)}")
    return value


def known_keys(data: Mapping, keys: tuple[str, ...], at: Parts) -> None:
    """Raise ``Invalid`` on the first key of ``data`` not in ``keys``."""
    for key in data:
        if key not in keys:
            raise Invalid(at + (str(key),), f"unknown key; {expected_one_of(key, keys)}")


def string_map(data: Mapping, at: Parts) -> Mapping[str, str]:
    """``data`` checked as Node labels are: strings, each key a label key and each value a label
    value (``ValidateLabels``: ``ValidateLabelName``, ``IsValidLabelValue``).
    """
    for key, value in data.items():
        if not isinstance(key, str):
            raise Invalid(at, f"keys must be strings, got {show(key)}")
        if not isinstance(value, str):
            raise Invalid(at + (key,), _not_a_string(value))
        problem = label_key_problem(key) or label_value_problem(value)
        if problem:
            raise Invalid(at + (key,), problem)
    return data


def allocatable(data: Mapping, at: Parts) -> tuple[int | None, int | None]:
    """Allocatable (cpu millis, memory bytes), rounded up as ``MilliValue``/``Value`` do; None where not given."""
    out: list[int | None] = []
    for key, unit in (("cpu", "millicores"), ("memory", "bytes")):
        raw = data.get(key)
        if raw is None:
            out.append(None)
            continue
        try:
            amount = int64_amount(raw, unit)
        except ValueError as exc:
            message = str(exc)
            if message.startswith("must be at most"):
                message = f"must be at most 2^63-1 {unit}, got {show(raw)}"
            raise Invalid(at + (key,), message) from None
        if amount < 0:
            raise Invalid(at + (key,), f"must not be negative, got {show(raw)}")
        out.append(amount)
    return out[0], out[1]


def allocatable_everywhere(entries: Sequence[tuple[Parts, str, int | None, int | None]], what: str) -> None:
    """Refuse a list in which some nodes give an allocatable resource and others do not.

    ``entries``: each node's (or pool's) allocatable path, name, cpu millis and memory bytes. The
    scheduler reads a resource a node does not list as none of it (``NodeInfo.Allocatable`` is
    built from ``status.allocatable``), so NodeResourcesFit fits no pod that requests it there,
    where rollsim fits pods only on nodes that give allocatable and takes the others to have
    room: either reading of such a list is a guess. ``kubectl get nodes -o json`` lists both
    resources for every node, so a mix is a hand edit; the user says which they meant.
    """
    for column, resource in ((2, "cpu"), (3, "memory")):
        giving = next((e for e in entries if e[column] is not None), None)
        lacking = next((e for e in entries if e[column] is None), None)
        if giving is not None and lacking is not None:
            raise Invalid(lacking[0], f"{what} {show(lacking[1])} gives no allocatable {resource}, where "
                                      f"{what} {show(giving[1])} ({dotted(giving[0])}) does: give it for every "
                                      f"{what} or for none (no pod requesting {resource} fits without it)")


def taints(data: Any, at: Parts, strict: bool = False) -> tuple[Taint, ...]:
    """``spec.taints``; ``strict`` rejects keys other than key, value and effect (not timeAdded)."""
    if data is None:
        return ()
    if not isinstance(data, (list, tuple)):
        raise Invalid(at, f"must be a list, got {kind_of(data)}")
    out: list[Taint] = []
    seen: dict[tuple[str, str], int] = {}
    for i, t in enumerate(data):
        if not isinstance(t, Mapping):
            raise Invalid(at + (i,), f"must be a mapping with key and effect, got {kind_of(t)}")
        if strict:
            known_keys(t, ("key", "value", "effect"), at + (i,))
        key, value, effect = t.get("key"), t.get("value", ""), t.get("effect")
        if key is None:
            raise Invalid(at + (i, "key"), "is missing: a taint has a key (a non-empty string)")
        if not isinstance(key, str) or not key:
            raise Invalid(at + (i, "key"), f"must be a non-empty string, got {show(key)}")
        if value is not None and not isinstance(value, str):
            raise Invalid(at + (i, "value"), _not_a_string(value))
        # validateNodeTaints: a qualified name, and a label value (audit 34: "bad key!/x/y" was taken)
        problem = label_key_problem(key) or (label_value_problem(value) if value else None)
        if problem:
            raise Invalid(at + (i, "key" if label_key_problem(key) else "value"), problem)
        if effect not in _EFFECTS:
            got = "is missing" if effect is None else f"got {show(effect)}"
            raise Invalid(at + (i, "effect"), f"{_EFFECT_RULE}, {got}")
        if (key, effect) in seen:
            raise Invalid(at + (i,), f"duplicate taint {key}:{effect} (also {dotted(at + (seen[key, effect],))})")
        seen[key, effect] = i
        out.append(Taint(key, value or "", effect))
    return tuple(out)
