"""Whether a pod's Ready time is its first readiness, or a later transition of its Ready condition.

``Ready.lastTransitionTime`` is the condition's *last* change: the kubelet's status manager
(``updateLastTransitionTime``) keeps the old time while the status stays and stamps a new one when
it changes. So the Ready time of a pod that has run a while is its first readiness only if Ready has
not gone False since. It goes False when the readiness probe fails ``failureThreshold`` times (the
prober records an ``Unhealthy`` event, "Readiness probe failed: ...", for *every* failed probe), when
the node lifecycle controller marks the pods of a node that stopped reporting NotReady
(``MarkPodsNotReady``: it records ``NodeNotReady`` on each pod whose Ready it turned False), when a
container restarts (``restartCount``, measured from its start: ``restarts``), and when the kubelet
restarts (readiness is unknown until the next probe; no pod event). A later Ready then says
nothing of how long the pod took to become Ready the first time; read as its ready phase, a flap
three hours after the start became a 3-hour straggler that stalled every plan (audit 25).

A pod's Ready is taken as a later transition, and the pod is left out of ``ready`` (only), when its
events show that it was Ready before:

* a ``NodeNotReady`` event between its container's start and its Ready time;
* with its events reaching back to its start (an event of the pod at or before its last container
  start is listed: events expire one ``--event-ttl`` after their last write, so every later one is
  listed too), its readiness probe first failed after ``early`` seconds, when a pod that is not yet
  Ready fails its very first probes: it passed them, and was Ready, until it failed;
* with its events reaching back to its start, its readiness probe never failed, and its Ready came
  more than twice as late as every other pod's (plus ``SLACK_S``; at least ``MIN_OTHERS`` others):
  a pod whose probes pass is Ready at its first probes, as the other pods of its template were.

A genuinely slow first readiness is kept: a pod that is not Ready fails its readiness probe from the
first probe on, and the kubelet records each failure, so its first failure comes early and its
value stays, however late its Ready. A pod whose events do not reach back to its start (a pod that
has run longer than the events are kept: what ``plan --calibrate`` lists on a DaemonSet rolled out
days ago) cannot be told apart and is kept, with a note.

``early``: the pods' probes as their spec gives them (``probe_timing``); a pod list without them
(a hand-made one) is judged against the pods' median Ready delay instead.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rollsim.io.calibrate.events import PodEvent

__all__ = ["LATE_READY_S", "MIN_OTHERS", "SLACK_S", "ProbeTiming", "ReadyCheck", "late_ready_why", "later_transitions",
           "probe_timing", "ready_check"]

# a Ready this long after the start that no event can place is a later transition: no rollout waits that long
# for a first readiness (stall_after, an hour)
LATE_READY_S = 3600.0
SLACK_S = 10.0  # the status manager's sync, the probe's timeout and whole-second timestamps, with room
MIN_OTHERS = 10  # a Ready time is judged against at least this many other pods
_PROBE_FAILED = ("Readiness probe failed", "Readiness probe errored", "Startup probe failed", "Startup probe errored")


@dataclass(frozen=True)
class ProbeTiming:
    """The pods' probes as their spec gives them: by when, after the containers start, a pod whose probes
    pass is Ready (``first_ready_s``), and the readiness probe's ``periodSeconds`` (None without one).
    """

    first_ready_s: float
    period_s: float | None


def _seconds(probe: dict, key: str, default: float) -> float:
    value = probe.get(key)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0 else default


def probe_timing(spec: Any) -> ProbeTiming | None:
    """The pod spec's probes (``ProbeTiming``), or None when no container has a readiness or startup probe.

    A startup probe passes at its first probe (``initialDelaySeconds`` + up to a ``periodSeconds``); then
    the readiness probe runs, every ``periodSeconds`` from ``initialDelaySeconds`` on, and the container
    is ready after ``successThreshold`` passes: ``initialDelaySeconds + (successThreshold + 1) ×
    periodSeconds + timeoutSeconds``, a period spare for the worker's start (API defaults: 0, 10, 1, 1).
    """
    containers = spec.get("containers") if isinstance(spec, dict) else None
    worst, period = None, None
    for c in containers if isinstance(containers, list) else []:
        if not isinstance(c, dict):
            continue
        startup, readiness = c.get("startupProbe"), c.get("readinessProbe")
        total = 0.0
        if isinstance(startup, dict):
            total += _seconds(startup, "initialDelaySeconds", 0) + _seconds(startup, "periodSeconds", 10)
        if isinstance(readiness, dict):
            every = _seconds(readiness, "periodSeconds", 10)
            total += (_seconds(readiness, "initialDelaySeconds", 0)
                      + (_seconds(readiness, "successThreshold", 1) + 1) * every
                      + _seconds(readiness, "timeoutSeconds", 1))
            period = every if period is None else max(period, every)
        if isinstance(startup, dict) or isinstance(readiness, dict):
            worst = total if worst is None else max(worst, total)
    return None if worst is None else ProbeTiming(worst, period)


@dataclass(frozen=True)
class ReadyCheck:
    """What a pod's events say of its Ready time: its name, the delay from its last container start to Ready,
    whether its events reach back to that start, when (seconds after that start) its probe first failed
    before Ready (None: never), and whether a ``NodeNotReady`` event came between.
    """

    name: str
    delay: float
    from_start: bool
    first_failure: float | None = None
    node_not_ready: bool = False


def ready_check(name: str, started: float, ready: float, events: Sequence[PodEvent]) -> ReadyCheck:
    """The ``ReadyCheck`` of a pod whose containers last started at ``started`` and that was Ready at ``ready``."""
    failures = [e.first - started for e in events
                if e.reason == "Unhealthy" and any(p in str(e.message) for p in _PROBE_FAILED)
                and started - 1 <= e.first <= ready]
    return ReadyCheck(name, ready - started, any(e.first <= started + 1 for e in events),
                      min(failures) if failures else None,
                      any(e.reason == "NodeNotReady" and started <= e.last <= ready for e in events))


def later_transitions(checks: Sequence[ReadyCheck], timing: ProbeTiming | None) -> tuple[dict[int, str], int | None]:
    """Index -> why, for each pod whose Ready time is a later transition (see the module docstring); and the pod
    that would be one by the third rule but whose events do not reach back to its start (None if none).
    """
    if not checks:
        return {}, None
    median = statistics.median(c.delay for c in checks)
    early = (timing.first_ready_s if timing else 2 * median) + SLACK_S
    out: dict[int, str] = {}
    for i, c in enumerate(checks):
        if c.node_not_ready:
            out[i] = ("a NodeNotReady event came between, which the node lifecycle controller records only on a "
                      "Ready pod")
        elif c.from_start and c.first_failure is not None and c.first_failure > early:
            out[i] = (f"its readiness probe first failed {c.first_failure:,.0f} s after its start, past its first "
                      f"probes ({early:,.0f} s), so it had passed them and been Ready")
    order = sorted((i for i in range(len(checks)) if i not in out), key=lambda i: -checks[i].delay)
    for k, i in enumerate(order):
        c, rest = checks[i], order[k + 1:]
        if len(rest) < MIN_OTHERS or c.first_failure is not None:
            break
        slowest = checks[rest[0]].delay
        if c.delay <= max(2 * slowest, early - SLACK_S) + SLACK_S:
            break
        if not c.from_start:
            return out, i
        out[i] = (f"no readiness probe failed since its start, and the {len(rest)} other pods were Ready within "
                  f"{slowest:,.0f} s of theirs, as a pod whose probes pass is at its first probes")
    return out, None


def late_ready_why(with_events: bool, check: ReadyCheck | None) -> str:
    """Why a Ready over ``LATE_READY_S`` after the start, which no event can place, is taken for a later
    transition: nothing shows it was a slow first readiness (a probe failing from the first probes on).
    """
    hour = f"over {LATE_READY_S / 3600:g} hour"
    if not with_events:
        return (f"{hour}, and without events (--events) nothing shows a slow first readiness (a readiness probe "
                "failing from the first probes on) rather than a node reboot's or a readiness flap's")
    return (f"{hour}, and its events do not reach back to its start (they expire an hour after their last "
            "write by default) to show a slow first readiness rather than a later transition")
