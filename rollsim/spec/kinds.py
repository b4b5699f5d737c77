"""Kinds of setting values: the rule that checks a value, its JSON Schema and its CLI metavar.

A rule turns a value (text from a CLI flag, or a YAML value from an experiment file) into
what the scenario needs, or raises ``ValueError`` saying which rule it breaks. The JSON
Schema fragment describes the same values for editors (draft 2020-12); it is checked
against the shipped experiments, and the rule stays the authority (``Kind.rule``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from rollsim.spec.budget import IntOrPercent, parse_int_or_percent
from rollsim.spec.churn import NodeChange, parse_node_change
from rollsim.spec.clockskew import MAX_SKEW_S, parse_clock_skew
from rollsim.spec.deleters import parse_deleter
from rollsim.spec.distributions import parse_distribution
from rollsim.spec.duration import compact_duration, read_duration
from rollsim.spec.faults import KINDS as NEW_POD_KINDS
from rollsim.spec.faults import parse_new_pods
from rollsim.spec.image import parse_pull_rate, parse_rate, parse_size
from rollsim.spec.labelsyntax import (
    DNS_LABEL_MAX,
    DNS_LABEL_PATTERN,
    DNS_LABEL_RULE,
    DNS_SUBDOMAIN_MAX,
    DNS_SUBDOMAIN_PATTERN,
    DNS_SUBDOMAIN_RULE,
    is_dns_label,
    is_dns_subdomain,
)
from rollsim.spec.lifecycle import HEARTBEAT_INTERVAL_S
from rollsim.spec.node import Toleration, parse_int64
from rollsim.spec.quantity import go_reads_as_float, int64_amount, is_ascii_digits
from rollsim.spec.quoting import describe
from rollsim.spec.registry import parse_pull_window
from rollsim.spec.scenario import MAX_HORIZON_S, MAX_PORT, check_horizon

__all__ = [
    "Kind", "non_negative_integer", "COUNT", "POSITIVE_INTEGER", "POSITIVE_INT32", "SECONDS", "POSITIVE_SECONDS",
    "HORIZON", "GRACE_PERIOD", "WHOLE_SECONDS", "PROBABILITY",
    "FRACTION", "QPS", "POSITIVE_QPS", "INT_OR_PERCENT", "INT32_MAX", "DISTRIBUTION", "TEXT", "BOOLEAN", "CPU",
    "MEMORY", "PORTS", "SIZE", "RATE", "PULL_RATE", "PULL_WINDOW", "NODE_CHANGES_ADD", "NODE_CHANGES_REMOVE",
    "OLD_PODS_UNREADY", "CLOCK_SKEW",
    "NOT_READY", "TOLERATIONS", "DELETER", "NEW_PODS", "PRIORITY", "choice", "daemonset_ref", "ItemError",
    "unknown_keys",
]


class ItemError(ValueError):
    """A rule broken by one item of a list of mappings (``tolerations``, ``also``): ``within``
    is the place inside the value (``[1].operator``), ``rule`` the message about that place
    alone; the message itself names the item (``item 1: ...``) for a flag's one line.
    """

    def __init__(self, message: str, within: str, rule: str) -> None:
        super().__init__(message)
        self.within, self.rule = within, rule


@dataclass(frozen=True, slots=True)
class Kind:
    """A kind of value: ``rule`` checks and converts it, ``schema`` describes it for editors.
    ``repeatable``: the value may be a list (an experiment file's), so its flag may be given
    several times, each adding an item, in order.
    """

    rule: Callable[[Any], Any]
    schema: Mapping[str, Any]
    metavar: str | None = None
    choices: tuple[str, ...] = ()
    repeatable: bool = False


def _number(value: Any, minimum: float, strict: bool = False) -> float:
    """A finite number of at least ``minimum`` (above it: ``strict``); text is read as Go's
    ``strconv.ParseFloat`` reads a decimal, ASCII only and with no ``_`` (``float()`` also takes
    "١٠" and "1_0").
    """
    if isinstance(value, bool) or isinstance(value, str) and not go_reads_as_float(value):
        raise ValueError(f"must be a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"must be a number, got {value!r}") from None
    if not math.isfinite(number):  # 1e400 reads as inf: not "must be at least 0"
        raise ValueError(f"must be a finite number, got {value!r}")
    if number < minimum or (strict and number == minimum):
        raise ValueError(f"must be {'greater than' if strict else 'at least'} {minimum:g}, got {value!r}")
    return number


def _integer(value: Any, minimum: int, maximum: int | None = None) -> int:
    """An int, or digits as text, of at least ``minimum`` (0 or 1) and, if given, at most ``maximum``."""
    kind = (f"an integer from {minimum} to {maximum}" if maximum is not None
            else "a non-negative integer" if minimum == 0 else "a positive integer")
    text_digits = isinstance(value, str) and is_ascii_digits(value.strip())
    if isinstance(value, bool) or not (isinstance(value, int) or text_digits) or int(value) < minimum or \
            (maximum is not None and int(value) > maximum):
        raise ValueError(f"must be {kind}, got {value!r}")
    return int(value)


def non_negative_integer(value: Any) -> int:
    """A count or a seed: a non-negative integer (an int, or digits as text)."""
    return _integer(value, 0)


def _positive_integer(value: Any) -> int:
    return _integer(value, 1)


def _positive_int32(value: Any) -> int:
    return _integer(value, 1, INT32_MAX)


def _seconds(value: Any) -> float:
    return _number(value, 0)


def _positive_seconds(value: Any) -> float:
    return _number(value, 0, strict=True)


def _grace_period(value: Any) -> float:
    """``--node-monitor-grace-period``: a duration (``50s``, ``1m30s``, or ``40``, seconds; read as
    ``--window`` is, ``read_duration``: kube-controller-manager's flag takes a Go duration) longer
    than the kubelet's heartbeat. kube-controller-manager takes any duration, but its help asks for
    N heartbeats (``nodeStatusUpdateFrequency``), and with less a healthy node's Lease is older
    than the grace between two renewals: the controller marks it Unknown and taints it, over and
    over. rollsim's healthy nodes never miss a heartbeat, so it would answer for a cluster that
    does not behave so.
    """
    seconds = read_duration(value)  # a duration first; then one rule for every one too short, 0 and below too
    if not math.isfinite(seconds):
        raise ValueError(f"must be a finite duration, got {value!r}")
    if seconds <= HEARTBEAT_INTERVAL_S:
        raise ValueError(f"must be greater than {compact_duration(HEARTBEAT_INTERVAL_S)}, the kubelet's heartbeat: "
                         "with no more, healthy nodes go Unknown between heartbeats, which rollsim does not "
                         f"simulate, got {value!r}")
    return seconds


def _horizon(value: Any) -> float:
    return check_horizon(_positive_seconds(value))


INT32_MAX = 2**31 - 1  # int32 fields of the API (spec.minReadySeconds, an IntOrString's integer)


def _whole_seconds(value: Any) -> float:
    """``spec.minReadySeconds``: an int32 count of seconds, as the API takes it (``1.5`` is refused)."""
    number = _number(value, 0)
    if not number.is_integer() or number > INT32_MAX:
        raise ValueError(f"must be a whole number of seconds from 0 to {INT32_MAX} (an int32 in the API), "
                         f"got {value!r}")
    return number


def _fraction(value: Any) -> float:
    number = _number(value, 0)
    if number > 1:
        raise ValueError(f"must be a fraction between 0 and 1, got {value!r}")
    return number


def _probability(value: Any) -> float:
    """A probability that an event happens, short of certainty: from 0 up to but not including 1."""
    number = _number(value, 0)
    if number >= 1:
        raise ValueError(f"must be a probability from 0 up to but not including 1, got {value!r}")
    return number


def _priority(value: Any) -> int:
    """A pod priority (``spec.priority``, a PriorityClass's value): an int32, negative allowed;
    an int, or digits with an optional sign as text.
    """
    number = parse_int64(value.strip()) if isinstance(value, str) else None if isinstance(value, bool) else value
    if not isinstance(number, int) or not -INT32_MAX - 1 <= number <= INT32_MAX:
        raise ValueError(f"must be an integer from {-INT32_MAX - 1} to {INT32_MAX} (an int32), got {value!r}")
    return number


def _int_or_percent(value: Any) -> IntOrPercent:
    parsed = parse_int_or_percent(value, "value")
    if isinstance(parsed, str) and int(parsed[:-1]) > 100:
        raise ValueError(f"a percent must not be greater than 100%, got {value!r}")
    if isinstance(parsed, int) and parsed > INT32_MAX:
        raise ValueError(f"must be at most {INT32_MAX} (an int32 in the API), got {value!r}")
    return parsed


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"must be a non-empty string, got {value!r}")
    return value


def _object_name(value: Any) -> str:
    """A DaemonSet's name: a DNS subdomain, as the API server requires (``ValidateObjectMeta``)."""
    name = _text(value)
    if not is_dns_subdomain(name):
        raise ValueError(f"invalid name {name!r}: {DNS_SUBDOMAIN_RULE}")
    return name


def _namespace(value: Any) -> str:
    """A namespace's name: a DNS label (``ValidateNamespaceName``)."""
    name = _text(value)
    if not is_dns_label(name):
        raise ValueError(f"invalid namespace {name!r}: {DNS_LABEL_RULE}")
    return name


def daemonset_ref(value: Any) -> str:
    """``NAME`` or ``NAMESPACE/NAME`` (``cache.MetaNamespaceKeyFunc``'s key): one slash at most, a
    namespace and a name on either side of it, each valid (``--daemonset``). ``a/b/c`` is no key:
    read from its last slash, it named ``c`` and lost the rest.
    """
    text = _text(value)
    if text.count("/") > 1:
        raise ValueError(f"must be NAME or NAMESPACE/NAME (one '/'), got {text!r}")
    namespace, slash, name = text.rpartition("/")
    if slash and not namespace:
        raise ValueError(f"must be NAME or NAMESPACE/NAME, got {text!r}: no namespace before the '/'")
    if slash and not name:
        raise ValueError(f"must be NAME or NAMESPACE/NAME, got {text!r}: no name after the '/'")
    if slash:
        _namespace(namespace)
    _object_name(name)
    return text


def _boolean(value: Any) -> bool:
    """A YAML boolean. A quoted ``"false"`` is text, which YAML never reads as false: said so, where
    "must be true or false, got 'false'" read as a contradiction (audit 22).
    """
    if not isinstance(value, bool):
        quoted = isinstance(value, str) and value.strip().lower() in ("true", "false")
        raise ValueError(f"must be true or false, got {value!r}"
                         + (f" (text, in quotes: write {value.strip().lower()} without them)" if quoted else ""))
    return value


def _ports(value: Any) -> tuple[int, ...]:
    """Host ports (``containerPort``'s ``hostPort``: 1 to ``MAX_PORT``), as a list or separated by commas,
    each once (the API server refuses a hostPort and protocol declared twice: ``Duplicate value``).
    """
    items = value if isinstance(value, (list, tuple)) else str(value).split(",")
    ports = tuple(_integer(item.strip() if isinstance(item, str) else item, 1, MAX_PORT) for item in items)
    repeated = sorted({p for p in ports if ports.count(p) > 1})
    if repeated:  # as the API server's validation refuses one hostPort/protocol declared twice
        raise ValueError(f"Duplicate value: host port {', '.join(map(str, repeated))} given twice; give each port once")
    return ports


def _changes(kind: str) -> Callable[[Any], tuple[NodeChange, ...]]:
    """``N@T[+D]``, or a list of them."""

    def changes(value: Any) -> tuple[NodeChange, ...]:
        if not isinstance(value, (list, tuple)):
            return (parse_node_change(kind, value),)
        out = []
        for i, item in enumerate(value):
            try:
                out.append(parse_node_change(kind, item))
            except ValueError as exc:  # which item: its own place (add_nodes[1]), its own line
                raise ItemError(f"item {i}: {exc}", f"[{i}]", str(exc)) from None
        return tuple(out)

    changes.__name__ = f"{kind.replace('-', '_')}_changes"
    return changes


def _not_ready(value: Any) -> int | tuple[NodeChange, ...]:
    """``N`` nodes NotReady before the rollout, or ``N@T[+D]`` (or a list) during it."""
    if isinstance(value, (list, tuple)) or "@" in str(value):
        return _changes("not-ready")(value)
    return non_negative_integer(value)


def unknown_keys(keys: Sequence[object]) -> str:
    """``unknown key x`` or ``unknown keys x, y``: the keys of a mapping its rule does not know."""
    return f"unknown key{'s' if len(keys) > 1 else ''} {', '.join(map(str, keys))}"


def _tolerations(value: Any) -> tuple[Toleration, ...]:
    if not isinstance(value, (list, tuple)):
        raise ValueError("must be a list of tolerations (key, operator, value, effect)")
    out = []
    for i, item in enumerate(value):
        if isinstance(item, Toleration):
            out.append(item)
            continue
        if not isinstance(item, Mapping):
            rule = f"must be a mapping of key, operator, value and effect, got {describe(item)}"
            raise ItemError(f"item {i} {rule}", f"[{i}]", rule)
        unknown = sorted(set(item) - {"key", "operator", "value", "effect"}, key=str)
        if unknown:
            rule = f"{unknown_keys(unknown)}; a toleration here has key, operator, value and effect"
            raise ItemError(f"item {i}: {rule}", f"[{i}].{unknown[0]}", rule)
        try:
            out.append(Toleration(str(item.get("key", "")), str(item.get("operator", "Equal")),
                                  str(item.get("value", "")), str(item.get("effect", ""))))
        except ValueError as exc:
            raise ItemError(f"item {i}: {exc}", f"[{i}]", str(exc)) from None
    return tuple(out)


def choice(*allowed: str) -> Kind:
    """One of ``allowed``, as written."""

    def choose(value: Any) -> str:
        if isinstance(value, bool) and str(value) in allowed:  # YAML read an unquoted False as a boolean
            raise ValueError(f'must be one of {", ".join(allowed)}, got the boolean {value}: quote it, "{value}"')
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}, got {value!r}")
        return value

    return Kind(choose, {"enum": list(allowed)}, choices=allowed)


def _pattern(regex: str, description: str) -> dict[str, Any]:
    return {"type": "string", "pattern": regex, "description": description}


_NUM = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
_UNIT = r"(?:ns|us|µs|μs|ms|s|m|h)"  # Go's time.ParseDuration's units
_FRACTION = r"(?:0*\.[0-9]+|0+|0*1(?:\.0+)?)"
# a Go duration over 10 s, as it is usually written (2h, 1.5h, 1h30m, 1m30s, 1.5m, 50s, 10.5s, or 50: seconds),
# within Go's range; stricter than the rule (10500ms, 0.5m and 5s5.5s are durations it takes), as a schema may be
_OVER_TEN = (r"0*(?:1[1-9]|[2-9][0-9]|[1-9][0-9]{2,8})(?:\.[0-9]{0,9})?"  # 11 to 999,999,999 (seconds)
             r"|0*10\.(?=[0-9]*[1-9])[0-9]{1,9}")  # or just over 10: 10.5 (not 10.0)
_SECONDS = r"[0-9]{1,2}(?:\.[0-9]{0,9})?s"
_WHOLE = r"(?:\.[0-9]{0,9})?"  # a fraction of an hour or a minute of at least one
_LONGER_THAN_A_HEARTBEAT = (rf"^\s*\+?(?:0*[1-9][0-9]{{0,5}}{_WHOLE}h(?:[0-9]{{1,2}}{_WHOLE}m)?(?:{_SECONDS})?"
                            rf"|0*[1-9][0-9]{{0,7}}{_WHOLE}m(?:{_SECONDS})?|(?:{_OVER_TEN})s?)\s*$")
_CHANGE = rf"^\s*[0-9]+@{_NUM}(?:\+{_NUM})?\s*$"
_CHANGES = {"anyOf": [_pattern(_CHANGE, "N@T[+D]: N nodes at second T, spread over D seconds"),
                      {"type": "array", "items": _pattern(_CHANGE, "N@T[+D]")}]}
_POSITIVE = r"(?=[0-9.]*[1-9])"  # a number with a non-zero digit before any exponent
_SIZE = rf"{_NUM}(?:[eE][+-]?[0-9]+)?\s*(?:B|[kK]B?|[MGT]B?|[KMGT]iB?)?"  # case-sensitive: b is a bit, m milli
_QUANTITY = r"^\s*[+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+|[numkMGTPE]|[KMGTPE]i)?\s*$"

COUNT = Kind(non_negative_integer, {"type": "integer", "minimum": 0}, "N")
POSITIVE_INTEGER = Kind(_positive_integer, {"type": "integer", "minimum": 1}, "N")
# kube-controller-manager's and the controller's counts (--kube-api-burst is an int32 flag)
POSITIVE_INT32 = Kind(_positive_int32, {"type": "integer", "minimum": 1, "maximum": INT32_MAX}, "N")
SECONDS = Kind(_seconds, {"type": "number", "minimum": 0}, "S")
POSITIVE_SECONDS = Kind(_positive_seconds, {"type": "number", "exclusiveMinimum": 0}, "S")
GRACE_PERIOD = Kind(_grace_period, {"anyOf": [
    {"type": "number", "exclusiveMinimum": HEARTBEAT_INTERVAL_S},
    _pattern(_LONGER_THAN_A_HEARTBEAT,
             "a duration longer than the kubelet's 10s heartbeat, as Go writes it (50s, 1m30s) or in seconds (40)")]},
                    "T")
HORIZON = Kind(_horizon, {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_HORIZON_S}, "S")
QPS = replace(SECONDS, metavar="QPS")  # a rate per second, checked as seconds are (not negative)
POSITIVE_QPS = replace(POSITIVE_SECONDS, metavar="QPS")
WHOLE_SECONDS = Kind(_whole_seconds, {"type": "integer", "minimum": 0, "maximum": INT32_MAX}, "S")
FRACTION = Kind(_fraction, {"type": "number", "minimum": 0, "maximum": 1}, "F")
PROBABILITY = Kind(_probability, {"type": "number", "minimum": 0, "exclusiveMaximum": 1}, "P")
INT_OR_PERCENT = Kind(_int_or_percent, {"anyOf": [
    {"type": "integer", "minimum": 0, "maximum": INT32_MAX},
    _pattern(r"^\s*(?:[0-9]+|(?:100|[1-9]?[0-9])%)\s*$", "an integer or a percent such as 10%")]}, "X")
_FAMILY = r"(?:constant|exponential|uniform|lognormal|gamma|empirical|stragglers)\s*\(.*\)"
DISTRIBUTION = Kind(parse_distribution, {"anyOf": [
    {"type": "number", "minimum": 0},
    _pattern(rf"^\s*(?:{_NUM}(?:[eE][+-]?[0-9]+)?|{_FAMILY})\s*$",
             "seconds, or a distribution such as lognormal(median=2, p95=5)")]}, "DIST")
TEXT = Kind(_text, {"type": "string", "minLength": 1}, "TEXT")
OBJECT_NAME = Kind(_object_name, {"type": "string", "minLength": 1, "maxLength": DNS_SUBDOMAIN_MAX,
                                  "pattern": f"^{DNS_SUBDOMAIN_PATTERN}$"}, "NAME")
NAMESPACE = Kind(_namespace, {"type": "string", "minLength": 1, "maxLength": DNS_LABEL_MAX,
                              "pattern": f"^{DNS_LABEL_PATTERN}$"}, "NS")
BOOLEAN = Kind(_boolean, {"type": "boolean"})
def _request(unit: str) -> Callable[[Any], int]:
    """A resource request: a quantity ``>= 0`` (``ValidateResourceRequirements``) that fits an int64."""

    def request(value: Any) -> int:
        amount = int64_amount(value, unit)
        if amount < 0:
            raise ValueError(f"must be greater than or equal to 0, got {value!r}")
        return amount

    return request


CPU = Kind(_request("millicores"), {"anyOf": [{"type": "number", "minimum": 0},
                                  _pattern(_QUANTITY, "a CPU quantity such as 100m or 0.5")]}, "CPU")
MEMORY = Kind(_request("bytes"), {"anyOf": [{"type": "number", "minimum": 0},
                                       _pattern(_QUANTITY, "a memory quantity such as 200Mi or 1G")]}, "MEM")
PORTS = Kind(_ports, {"anyOf": [
    {"type": "integer", "minimum": 1, "maximum": MAX_PORT},
    {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": MAX_PORT}},
    _pattern(r"^\s*0*[1-9][0-9]*(?:\s*,\s*0*[1-9][0-9]*)*\s*$",
             "ports separated by commas, e.g. 24224,24220")]}, "PORTS")
SIZE = Kind(parse_size, {"anyOf": [{"type": "number", "minimum": 0},
                                   _pattern(rf"^\s*{_SIZE}\s*$", "a size such as 300MB, 1.2GB or 500Mi")]}, "SIZE")
RATE = Kind(parse_rate, {"anyOf": [
    {"type": "number", "exclusiveMinimum": 0},
    _pattern(rf"^\s*{_POSITIVE}{_SIZE}(?:/s)?\s*$", "a rate such as 100MB/s or 1GB/s"),
    {"const": "unlimited", "description": "no limit (the default)"}]}, "RATE")
_PER = rf"/(?:{_UNIT}|(?=[^/]*[1-9])(?:{_NUM}{_UNIT})+)"  # per a unit, or a Go duration not 0
PULL_RATE = Kind(parse_pull_rate, {"anyOf": [
    {"type": "number", "exclusiveMinimum": 0},
    _pattern(rf"^\s*{_POSITIVE}{_NUM}(?:{_PER})?\s*$", "a rate such as 10/s, 30/m or 100/6h")]}, "N/s")
PULL_WINDOW = Kind(parse_pull_window, _pattern(rf"^\s*0*[1-9][0-9]*\s*{_PER}\s*$",
                                             "a count of requests per a rolling window, such as 100/6h"), "N/WINDOW")
NODE_CHANGES_ADD = Kind(_changes("add"), _CHANGES, "N@T[+D]", repeatable=True)
NODE_CHANGES_REMOVE = Kind(_changes("remove"), _CHANGES, "N@T[+D]", repeatable=True)
OLD_PODS_UNREADY = Kind(_changes("old-pods-unready"), _CHANGES, "N@T[+D]", repeatable=True)
DISK_PRESSURE = Kind(_changes("disk-pressure"), _CHANGES, "N@T[+D]", repeatable=True)
NOT_READY = Kind(_not_ready, {"anyOf": [{"type": "integer", "minimum": 0}, *_CHANGES["anyOf"]]}, "N[@T[+D]]",
                 repeatable=True)
TOLERATIONS = Kind(_tolerations, {"type": "array", "items": {
    "type": "object", "additionalProperties": False,
    "properties": {"key": {"type": "string"}, "operator": {"enum": ["Equal", "Exists"]},
                   "value": {"type": "string"}, "effect": {"type": "string"}}}})
DELETER = Kind(parse_deleter, _pattern(rf"^\s*(?:none|batch:0*[1-9][0-9]*(?::{_NUM})?|rate:{_POSITIVE}{_NUM})\s*$",
                                       "none, batch:K[:PAUSE] or rate:S"), "none|batch:K[:PAUSE]|rate:S")
PRIORITY = Kind(_priority, {"type": "integer", "minimum": -INT32_MAX - 1, "maximum": INT32_MAX}, "N")
CLOCK_SKEW = Kind(parse_clock_skew, {"anyOf": [{"type": "integer", "minimum": -MAX_SKEW_S, "maximum": MAX_SKEW_S},
                                                _pattern(r"^\s*[+-]?[0-9]+(?::(?:0*\.[0-9]+|0*1(?:\.0+)?))?\s*$",
                                                         "S or S:FRACTION")]}, "S[:F]")
NEW_PODS = Kind(parse_new_pods, _pattern(rf"^\s*(?:{'|'.join(NEW_POD_KINDS)})(?::{_FRACTION})?\s*$",
                                         f"{', '.join(NEW_POD_KINDS[:-1])} or {NEW_POD_KINDS[-1]}, "
                                         "optionally :FRACTION"),
                "KIND[:F]")
