"""Restarted and failing containers: when a restarted pod first started, and which pods never got going.

A container's ``state.running.startedAt`` is its *last* start. A pod whose container crashed
(OOMKilled, an error exit) and was restarted became Ready only after the crash, the kubelet's
restart back-off (``CrashLoopBackOff``: 0, then 10 s doubling to 5 min) and the restart: a rollout
waits for all of it. Its first start is still there to read: ``lastState.terminated.startedAt`` is
the previous run's start (the first, when ``restartCount`` is 1), and the kubelet's ``Started``
event, which the recorder folds into one object per container, keeps the first start as its
``firstTimestamp`` (with ``count``, the starts it saw: all of them when it is ``restartCount + 1``).

A pod that never got going holds its node's update for ever: a container waiting in
``CrashLoopBackOff`` (or restarted and not running), or waiting on its image (``ErrImagePull``,
``ImagePullBackOff``). Such pods give no Ready time; ``failing`` names what they do, as
``--new-pods`` names it (``crashloop``, ``pull-error``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rollsim.io.calibrate.events import PodEvent

__all__ = ["Container", "FirstStart", "failing", "first_start"]

Time = tuple[float, bool]  # unix seconds, and whether the text had a fraction
_STARTED = re.compile(r"Started container:? (\S+)")


@dataclass(frozen=True)
class Container:
    """What a container status says of its starts: name, restarts, this run's and the previous run's
    start, and the reason it waits (None while it runs).
    """

    name: str
    restarts: int
    started: Time | None
    previous: Time | None = None
    waiting: str | None = None
    terminated: bool = False


@dataclass(frozen=True)
class FirstStart:
    """When the pod's containers had all first started, and whether that is known to be the first start
    (``exact``); otherwise it is the earliest start still shown, later than the first.
    """

    time: Time
    exact: bool


def _started_events(container: Container, events: Sequence[PodEvent], only: bool) -> list[PodEvent]:
    """The ``Started`` events of ``container`` (by ``fieldPath``, else by message; any, for a pod's only container)."""
    out = []
    for e in events:
        if e.reason != "Started":
            continue
        named = e.container or ((m := _STARTED.search(str(e.message))) and m[1]) or ""
        if named == container.name or (only and not named):
            out.append(e)
    return out


def _container_first(container: Container, events: Sequence[PodEvent], only: bool) -> FirstStart | None:
    """The container's first start and whether it is known to be the first."""
    if container.started is None:
        return None
    if container.restarts == 0:
        return FirstStart(container.started, True)
    seen: list[tuple[Time, bool]] = [(container.started, False)]
    if container.previous is not None:
        seen.append((container.previous, container.restarts == 1))
    for e in _started_events(container, events, only):
        seen.append(((e.first, e.fraction), e.count >= container.restarts + 1))
    earliest = min(t for t, _exact in seen)
    return FirstStart(earliest, any(exact and t == earliest for t, exact in seen))


def first_start(containers: Sequence[Container], events: Sequence[PodEvent]) -> FirstStart | None:
    """When every container of the pod had first started (the latest first start), or None if one never ran."""
    firsts = [_container_first(c, events, len(containers) == 1) for c in containers]
    if not firsts or any(f is None for f in firsts):
        return None
    latest = max((f for f in firsts if f is not None), key=lambda f: f.time[0])
    return FirstStart(latest.time, all(f is not None and f.exact for f in firsts))


def failing(containers: Sequence[Container], ready: bool) -> str | None:
    """``crashloop`` or ``pull-error`` for a pod that is not Ready and whose container crash-loops or cannot
    pull its image (the ``--new-pods`` kinds); None otherwise.
    """
    if ready:
        return None
    for c in containers:
        if c.waiting == "CrashLoopBackOff" or (c.restarts > 0 and c.started is None and (c.waiting or c.terminated)):
            return "crashloop"
    for c in containers:
        if c.waiting in ("ErrImagePull", "ImagePullBackOff"):
            return "pull-error"
    return None
