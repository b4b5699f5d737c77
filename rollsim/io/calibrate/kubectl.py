"""How ``kubectl get pods/events -o json`` (or ``-o yaml``) prints things: lists of objects, RFC 3339 times,
Go durations and the kubelet's Pulled messages, as read by the rest of the package.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from rollsim.io.yamldoc import ConfigError, FastSafeLoader, read_text, source_name
from rollsim.spec.duration import go_duration_seconds
from rollsim.spec.quoting import describe, written

__all__ = [
    "PullMessage",
    "expect",
    "items",
    "parse_go_duration",
    "parse_pulled_message",
    "parse_document",
    "parse_time",
    "pod_key",
    "pulling_image",
    "read_document",
]


# -- files and lists ----------------------------------------------------------------------

def read_document(path: str | Path) -> tuple[Any, str]:
    """The parsed ``kubectl get -o json`` or ``-o yaml`` output of a file, and its text (where an
    error found in the data is, ``yamldoc.line_of``), as the node lists are read
    (``rollsim.io.nodes``): JSON when it starts with ``{`` or ``[``, else safe YAML; ConfigError
    naming the file (and the line) if it is neither.
    """
    file = source_name(path)
    text = read_text(path)
    return parse_document(text, file), text


def parse_document(text: str, file: str) -> Any:
    """``read_document``'s parse of the text of ``file``."""
    start = text.lstrip()[:1]
    if not start:
        raise ConfigError("empty file; expected kubectl get -o json (or -o yaml) output", file=file)
    try:
        if start in "{[":
            return json.loads(text)
        return yaml.load(text, Loader=FastSafeLoader)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"not JSON: {exc.msg} (column {exc.colno})", file=file, line=exc.lineno) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" (column {mark.column + 1})" if mark else ""
        raise ConfigError(f"neither JSON nor YAML: {exc.problem or exc.context or 'invalid YAML'}{where}",
                          file=file, line=mark.line + 1 if mark else None) from None
    except RecursionError:
        raise ConfigError("not JSON or YAML: nested too deeply", file=file) from None
    except (yaml.YAMLError, ValueError) as exc:
        raise ConfigError(f"neither JSON nor YAML: {' '.join(str(exc).split())[:120]}", file=file) from None


def expect(value: Any, kind: type, where: str, what: str) -> Any:
    """``value`` if it is a ``kind`` (``what`` says which), an empty one if absent; else ConfigError at ``where``."""
    if value is None:
        return kind()
    if not isinstance(value, kind):
        raise ConfigError(f"must be {what}, got {describe(value)}", where)
    return value


def _a(kind: str) -> str:
    """``a Pod``, ``an Event``: the article a kind's name takes."""
    return f"{'an' if kind[:1] in 'AEIOU' else 'a'} {kind}"


def items(doc: Any, kind: str, hints: Mapping[str, str]) -> list[tuple[str, dict]]:
    """The objects of ``kind`` in a ``kubectl get -o json`` document, with their key paths;
    ``hints``: what to add to the error when the document holds another kind (by that kind:
    ``{"Event": " (is this the events file?)"}``), none for a kind it does not name.
    """
    if not isinstance(doc, dict):
        raise ConfigError(f"expected {_a(kind)} list from kubectl get -o json, got {describe(doc)}")
    if doc.get("kind") == kind:
        return [("", doc)]
    if "items" not in doc or doc.get("kind") not in (None, "List", f"{kind}List"):
        found = doc.get("kind")
        hint = hints.get(found.removesuffix("List"), "") if isinstance(found, str) else ""
        got = "no kind" if found is None else f"kind {written(found)}"
        raise ConfigError(f"expected {_a(kind)} list (kind List with items), got {got}{hint}")
    out = []
    for i, item in enumerate(expect(doc["items"], list, "items", "a list")):
        where = f"items[{i}]"
        if not isinstance(item, dict):
            raise ConfigError(f"must be {_a(kind)} object, got {describe(item)}", where)
        found = item.get("kind", kind)
        if found != kind:
            hint = hints.get(found, "") if isinstance(found, str) else ""
            raise ConfigError(f"expected kind {kind}, got {written(found)}{hint}", f"{where}.kind")
        out.append((where, item))
    return out


def pod_key(obj: dict) -> tuple[str, str] | None:
    """``(namespace, name)`` of a pod or an event's involvedObject, if it names one."""
    ns, name = obj.get("namespace"), obj.get("name")
    return (ns if isinstance(ns, str) else "", name) if isinstance(name, str) else None


# -- timestamps, durations and messages ---------------------------------------------------

_TIME = re.compile(r"(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(\.\d{1,9})?(?:[Zz]|([+-])(\d\d):(\d\d))\Z")


def parse_time(value: Any) -> tuple[float, bool] | None:
    """An RFC 3339 time as ``(unix seconds, has a fraction)``, or ``None`` if it is not one.

    A ``datetime`` (what YAML makes of an unquoted time; ``kubectl -o yaml`` quotes them) is
    taken as it is, UTC when it has no zone, as YAML's timestamps are. Times before 1970 are
    ``None`` too: Go writes an unset ``metav1.Time`` as 0001-01-01, which would otherwise
    become a phase of 63 billion seconds.
    """
    if isinstance(value, datetime):
        t = (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
        return (t, bool(value.microsecond)) if t >= 0 else None
    m = _TIME.match(value) if isinstance(value, str) else None
    if m is None:
        return None
    try:
        year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
        t = datetime(year, month, day, hour, minute, second, tzinfo=UTC).timestamp()
    except ValueError:  # month 13, February 30, ...
        return None
    if m[8]:
        t -= (1 if m[8] == "+" else -1) * (int(m[9]) * 3600 + int(m[10]) * 60)
    if t < 0:  # not a time an API server wrote: 0001-01-01T00:00:00Z is Go's zero (unset) time
        return None
    return t + (float(m[7]) if m[7] else 0.0), bool(m[7])


def parse_go_duration(text: str) -> float | None:
    """Seconds in a Go ``time.Duration`` string (``6.071s``, ``812ms``, ``1m2.5s``, ``0s``), or None;
    the full stop that ends a Pulled message's sentence is not part of it. A negative duration
    (which Go reads) is no time a pull took: None.
    """
    seconds = go_duration_seconds(text.strip().rstrip("."))
    return seconds if seconds is not None and seconds >= 0 else None


class PullMessage(NamedTuple):
    """What a kubelet Pulled event says: the image, the seconds (None if not given), a cache hit."""

    image: str
    seconds: float | None
    cached: bool


_QUOTED = r'"((?:[^"\\]|\\.)*)"'
_PULLED = re.compile(r"Successfully pulled image " + _QUOTED
                     + r"(?: in ([^\s(]+)(?: \(([^\s)]+) including waiting\))?)?")
_PRESENT = re.compile(r"Container image " + _QUOTED + r" already present on machine")


def parse_pulled_message(message: Any) -> PullMessage | None:
    """Read a Pulled event's message; ``None`` if it is not one.

    Kubelet versions differ: ``Successfully pulled image "x"`` (old, no duration),
    ``... in 6.07s`` (Go duration), ``... in 6.07s (6.2s including waiting)`` and the same
    with ``. Image size: N bytes.``; ``Container image "x" already present on machine`` is
    a cache hit (0 s). The duration including the wait in the kubelet's serial pull queue is
    preferred (``pullImage`` in image_manager.go gives both): the pod waits for it too, and what
    it waited for is mostly pulls rollsim does not model (other pods' images). rollsim's kubelets
    queue the pulls of the DaemonSets a study updates (model 21), so where the measured rollout
    waited behind another DaemonSet that the study updates too (``also:``), that wait is counted
    twice: a departure the README names (audit 21).
    """
    if not isinstance(message, str):
        return None
    m = _PRESENT.search(message)
    if m:
        return PullMessage(m[1], 0.0, True)
    m = _PULLED.search(message)
    if m is None:
        return None
    text = m[3] or m[2]
    return PullMessage(m[1], None if text is None else parse_go_duration(text), False)


def pulling_image(message: Any) -> str:
    """The image a Pulling event's message names (``Pulling image "x"``), or "" if none."""
    m = re.search(_QUOTED, message) if isinstance(message, str) else None
    return m[1] if m else ""
