"""The pods' events, as ``kubectl get events -o json`` lists them: what calibrate reads of each pod.

The kubelet records the image pulls (``Pulling``, ``Pulled``, ``Failed``, ``BackOff``), each
container start (``Created``, ``Started``) and each failed probe (``Unhealthy``: ``Readiness probe
failed: ...``); the node lifecycle controller records ``NodeNotReady`` on a pod whose Ready
condition it turned False (``MarkPodsNotReady``, only when the pod was Ready). The event recorder
folds repeats of one event into one object (``count``, ``firstTimestamp``, ``lastTimestamp``;
the events.k8s.io form has ``eventTime`` and ``series.lastObservedTime``), so each event is kept
with the first and the last time it was recorded. Events expire ``--event-ttl`` (1 h by default)
after their last write.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from rollsim.io.calibrate.kubectl import expect, items, parse_time, pod_key

__all__ = ["READ_REASONS", "PodEvent", "events_by_pod", "events_of"]

READ_REASONS = frozenset({"Scheduled", "Pulling", "Pulled", "Failed", "BackOff", "Created", "Started", "Unhealthy",
                          "NodeNotReady"})
_CONTAINER = re.compile(r"spec\.(?:initC|c)ontainers\{(.+)\}\Z")


@dataclass(frozen=True)
class PodEvent:
    """One event of a pod: its reason, the first and last time it was recorded (unix seconds; whether
    the first had a fraction), its message, the container it names ("" for the pod) and its count.
    """

    reason: str
    first: float
    last: float
    fraction: bool
    message: Any
    container: str = ""
    count: int = 1


def _times(event: dict, meta: dict) -> tuple[tuple[float, bool], float] | None:
    """``((first time, has a fraction), last time)`` of an event, or None without a time."""
    first = next((t for t in (parse_time(event.get(k)) for k in ("eventTime", "firstTimestamp",
                                                                 "lastTimestamp")) if t), None)
    first = first or parse_time(meta.get("creationTimestamp"))
    if first is None:
        return None
    series = event.get("series")
    later = [t for t in (parse_time(event.get("lastTimestamp")),
                         parse_time(series.get("lastObservedTime")) if isinstance(series, dict) else None) if t]
    return first, max([first[0], *(t[0] for t in later)])


def events_by_pod(events_doc: Any, skipped_events: Counter) -> dict[Any, list[PodEvent]]:
    """Pod key (uid, and ``(namespace, name)``) -> the pod's events that calibrate reads (``READ_REASONS``).

    An event that names no pod or has no time is counted in ``skipped_events``.
    """
    by_pod: dict[Any, list[PodEvent]] = {}
    for where, event in items(events_doc, "Event", {"Pod": " (is this the pods file?)"}):
        obj = expect(event.get("involvedObject"), dict, f"{where}.involvedObject", "a mapping")
        meta = expect(event.get("metadata"), dict, f"{where}.metadata", "a mapping")
        reason = event.get("reason")
        if not isinstance(reason, str) or reason not in READ_REASONS:
            continue
        when = _times(event, meta)
        if obj.get("kind", "Pod") != "Pod" or when is None:
            skipped_events["no pod or no time"] += 1
            continue
        (first, fraction), last = when
        path = obj.get("fieldPath")
        named = _CONTAINER.match(path) if isinstance(path, str) else None
        count = event.get("count")
        record = PodEvent(reason, first, last, fraction, event.get("message"), named[1] if named else "",
                          count if isinstance(count, int) and not isinstance(count, bool) and count > 0 else 1)
        for key in (pod_key(obj), obj.get("uid")):
            if isinstance(key, (str, tuple)):
                by_pod.setdefault(key, []).append(record)
    return by_pod


def events_of(by_pod: dict[Any, list[PodEvent]], meta: Any) -> list[PodEvent]:
    """The events of the pod ``meta`` describes: by its uid when any event names it (an earlier pod of the
    same name has another uid), else by its namespace and name.
    """
    meta = meta if isinstance(meta, dict) else {}
    uid = meta.get("uid")
    if isinstance(uid, str) and uid in by_pod:
        return by_pod[uid]
    return by_pod.get(pod_key(meta), [])
