"""Image pulls from the kubelet's events: how long each pod waited for its images.

The Pulled event's message gives the pull's duration to the millisecond (the total
including the wait in the kubelet's pull queue, which is what delays the pod), 0 for an
image already present on the machine; an old kubelet that gives none leaves the
Pulled − Pulling event timestamps. A pull that failed and backed off before it succeeded
(a registry's 429, a timeout: ``Failed``, ``BackOff``) is measured from its first ``Pulling``
event to its ``Pulled`` event: the failed attempts and the kubelet's image back-off (10 s
doubling to 5 min) delayed the pod too, and the Pulled message times the last attempt only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from rollsim.io.calibrate.events import PodEvent
from rollsim.io.calibrate.kubectl import PullMessage, parse_pulled_message, pulling_image
from rollsim.io.calibrate.measurement import EXACT, GRID, OFFSET, kind_of

__all__ = ["NEVER_PULLED", "Pull", "pod_pull"]

NEVER_PULLED = "image pull failed, not pulled"


@dataclass(frozen=True)
class Pull:
    """A pod's measured pull: seconds, how they were measured (``EXACT``, ``GRID`` or ``OFFSET``: a sum
    of both), and whether it failed and backed off before it succeeded.
    """

    seconds: float
    kind: str
    backed_off: bool = False


def _failed_pull(event: PodEvent) -> bool:
    """A ``Failed`` or ``BackOff`` event about an image pull (not a container's restart back-off)."""
    return event.reason in ("Failed", "BackOff") and "pull" in str(event.message).lower()


def pod_pull(events: Sequence[PodEvent]) -> Pull | str:
    """The pod's pull from its events, or why it cannot be measured."""
    failed = {pulling_image(e.message) for e in events if _failed_pull(e)}
    pulling: dict[str, tuple[float, bool]] = {}
    pulled: dict[str, tuple[float, bool, PullMessage]] = {}
    for e in sorted(events, key=lambda e: e.first):
        if e.reason == "Pulling":
            pulling.setdefault(pulling_image(e.message), (e.first, e.fraction))
        elif e.reason == "Pulled" and (parsed := parse_pulled_message(e.message)) is not None:
            pulled.setdefault(parsed.image, (e.first, e.fraction, parsed))  # the first pull of each image
    if not pulled:
        return NEVER_PULLED if failed else "no Pulled event"
    if not failed and all(p.seconds is not None for _t, _f, p in pulled.values()):
        # a pod's images are pulled one after the other whatever serializeImagePulls says: SyncPod starts its
        # containers in turn, each waiting in EnsureImageExists for its own image
        return Pull(math.fsum(p.seconds for _t, _f, p in pulled.values()), EXACT)  # type: ignore[misc]
    total, kinds, any_backed_off = 0.0, [], False
    for image, (t, fraction, message) in pulled.items():
        backed_off = image in failed or "" in failed  # "Error: ErrImagePull" names no image
        any_backed_off |= backed_off
        if message.seconds is not None and not backed_off:
            total += message.seconds
            kinds.append(EXACT)
            continue
        start = pulling.get(image) or (pulling.get("") if len(pulled) == 1 else None)
        if start is None:
            return ("backed-off pull without a Pulling event" if backed_off
                    else "no duration in Pulled message and no Pulling event")
        if t < start[0]:
            return "Pulled before Pulling"
        if message.seconds is not None and message.seconds > t - start[0]:  # the last attempt alone took longer
            total += message.seconds
            kinds.append(EXACT)
        else:
            total += t - start[0]
            kinds.append(kind_of((t, fraction), start))
    kind = EXACT if set(kinds) == {EXACT} else GRID if set(kinds) == {GRID} else OFFSET
    return Pull(total, kind, any_backed_off)
