"""Image pulls from the kubelet's events: how long each pod waited for its images.

The Pulled event's message gives the pull's duration to the millisecond (the total
including the wait in the kubelet's pull queue, which is what delays the pod), 0 for an
image already present on the machine; an old kubelet that gives none leaves the
Pulled − Pulling event timestamps. A pod whose pull failed or backed off is not measured.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

from rollsim.io.calibrate.kubectl import (
    PullMessage,
    expect,
    items,
    parse_pulled_message,
    parse_time,
    pod_key,
    pulling_image,
)
from rollsim.io.calibrate.measurement import EXACT, GRID, kind_of

__all__ = ["ImageEvent", "Pull", "event_pulls", "pod_pull"]

ImageEvent = tuple[str, float, bool, Any]  # reason, unix seconds, has a fraction, message


@dataclass
class Pull:
    """A pod's measured pull: seconds, and how they were measured (``EXACT`` or ``GRID``)."""

    seconds: float
    kind: str


def event_pulls(events_doc: Any, skipped_events: Counter) -> dict[Any, list[ImageEvent]]:
    """Pod key (uid, or namespace and name) -> its (reason, time, fraction, message) image events."""
    by_pod: dict[Any, list[ImageEvent]] = {}
    for where, event in items(events_doc, "Event", {"Pod": " (is this the pods file?)"}):
        obj = expect(event.get("involvedObject"), dict, f"{where}.involvedObject", "a mapping")
        meta = expect(event.get("metadata"), dict, f"{where}.metadata", "a mapping")
        reason = event.get("reason")
        if reason not in ("Pulling", "Pulled", "Failed", "BackOff"):
            continue
        when = next((t for t in (parse_time(event.get(k)) for k in ("eventTime", "firstTimestamp",
                                                                    "lastTimestamp")) if t), None)
        when = when or parse_time(meta.get("creationTimestamp"))
        if obj.get("kind", "Pod") != "Pod" or when is None:
            skipped_events["no pod or no time"] += 1
            continue
        if reason in ("Failed", "BackOff") and "pull" not in str(event.get("message", "")).lower():
            continue
        record = (reason, when[0], when[1], event.get("message"))
        for key in (pod_key(obj), obj.get("uid")):
            if isinstance(key, (str, tuple)):
                by_pod.setdefault(key, []).append(record)
    return by_pod


def pod_pull(events: list[ImageEvent]) -> Pull | str:
    """The pod's pull from its events, or why it cannot be measured."""
    if any(reason in ("Failed", "BackOff") for reason, *_ in events):
        return "image pull failed or backed off"
    pulling: dict[str, tuple[float, bool]] = {}
    pulled: dict[str, tuple[float, bool, PullMessage]] = {}
    for reason, t, fraction, message in sorted(events, key=lambda e: e[1]):
        if reason == "Pulling":
            pulling.setdefault(pulling_image(message), (t, fraction))
        elif reason == "Pulled" and (parsed := parse_pulled_message(message)) is not None:
            pulled.setdefault(parsed.image, (t, fraction, parsed))  # the first pull of each image
    if not pulled:
        return "no Pulled event"
    if all(p.seconds is not None for _t, _f, p in pulled.values()):
        # a pod's images are pulled one after the other whatever serializeImagePulls says: SyncPod starts its
        # containers in turn, each waiting in EnsureImageExists for its own image
        return Pull(math.fsum(p.seconds for _t, _f, p in pulled.values()), EXACT)  # type: ignore[misc]
    total, kinds = 0.0, []
    for image, (t, fraction, _p) in pulled.items():
        start = pulling.get(image) or (pulling.get("") if len(pulled) == 1 else None)
        if start is None:
            return "no duration in Pulled message and no Pulling event"
        if t < start[0]:
            return "Pulled before Pulling"
        total += t - start[0]
        kinds.append(kind_of((t, fraction), start))
    return Pull(total, EXACT if set(kinds) == {EXACT} else GRID)
