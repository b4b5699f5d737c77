"""Pod phase durations measured from ``kubectl get pods -o json`` (and its events).

What is measured, per pod (all times are the API server's)::

    schedule   = PodScheduled.lastTransitionTime − metadata.creationTimestamp
    pull       = the kubelet's Pulled event (see ``pulls``)
    start      = max(containerStatuses[].state.running.startedAt) − PodScheduled − pull
                 (sandbox, volumes and container start; needs pull to the millisecond)
    ready      = Ready.lastTransitionTime − max(startedAt); this includes the readiness
                 probe's period, so simulate it with ``probe_period: 0``
    pull_start = startedAt − PodScheduled, instead of pull and start without pull events

A pod that cannot give a phase is skipped for that phase, and the reason is counted.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

from rollsim.io.calibrate.kubectl import expect, items, parse_time, pod_key
from rollsim.io.calibrate.measurement import EXACT, GRID, OFFSET, RESOLUTION_S, kind_of
from rollsim.io.calibrate.pulls import Pull, event_pulls, pod_pull
from rollsim.io.yamldoc import ConfigError
from rollsim.spec.quoting import describe

__all__ = ["PHASES", "PULL_START", "PhaseSample", "PhaseSamples", "pod_phases"]

PHASES = ("schedule", "pull", "start", "ready")
PULL_START = "pull_start"


@dataclass(frozen=True)
class PhaseSample:
    """The measured durations of one phase, each with how it was measured (``EXACT``, ``GRID``, ``OFFSET``)."""

    name: str
    values: tuple[float, ...]
    kinds: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class PhaseSamples:
    """What ``pod_phases`` read: samples per phase, skipped pods per phase and reason, notes."""

    phases: dict[str, PhaseSample]
    skipped: dict[str, dict[str, int]]
    pods: int
    resolution: float
    notes: tuple[str, ...] = ()


def pod_phases(pods_doc: Any, events_doc: Any = None) -> PhaseSamples:
    """Measure the phases of every usable pod of ``kubectl get pods -o json`` (parsed).

    ``events_doc`` is ``kubectl get events -o json`` (parsed) or None. A pod that cannot
    give a phase (terminating, not scheduled, restarted, timestamps missing or out of
    order) is skipped for that phase and counted under the reason. Raises ConfigError
    (with the key path) for a document that is not a pod or event list.
    """
    skipped_events: Counter = Counter()
    try:
        by_pod = None if events_doc is None else event_pulls(events_doc, skipped_events)
    except ConfigError as exc:
        raise ConfigError(exc.message, exc.path, "events") from None
    try:
        return _measure(pods_doc, by_pod, skipped_events)
    except ConfigError as exc:
        raise ConfigError(exc.message, exc.path, "pods") from None


Time = tuple[float, bool]  # unix seconds, and whether the text had a fraction


class _Times:
    """Parses timestamps, remembering whether any was whole seconds only."""

    def __init__(self) -> None:
        self.whole = False

    def __call__(self, value: Any) -> tuple[float, bool] | None:
        t = parse_time(value)
        if t is not None and not t[1]:
            self.whole = True
        return t


@dataclass
class _PodRecord:
    """The times of one pod that the phases need; a str instead of a time says what is wrong."""

    created: Time | None
    scheduled: Time | str | None
    ready: Time | str | None
    started: list[Time]
    terminating: bool
    restarted: bool
    running: bool  # every container has state.running.startedAt
    revision: str | None
    owner: tuple[str, str] | None = None  # (kind, name) of its controller (ownerReferences), None without one


def _read_pod(where: str, pod: dict, times: _Times) -> _PodRecord:
    """The fields of one Pod; ConfigError if its structure is not a Pod's."""
    meta = expect(pod.get("metadata"), dict, f"{where}.metadata", "a mapping")
    status = expect(pod.get("status"), dict, f"{where}.status", "a mapping")
    expect(pod.get("spec"), dict, f"{where}.spec", "a mapping")
    conditions: dict[str, dict] = {}
    for i, c in enumerate(expect(status.get("conditions"), list, f"{where}.status.conditions", "a list")):
        if not isinstance(c, dict):
            raise ConfigError(f"must be a mapping, got {describe(c)}", f"{where}.status.conditions[{i}]")
        if isinstance(c.get("type"), str):
            conditions[c["type"]] = c

    def condition(kind: str) -> Time | str | None:
        c = conditions.get(kind)
        if c is None or c.get("status") != "True":
            return None
        return times(c.get("lastTransitionTime")) or "bad timestamp"

    started: list[Time] = []
    restarted = False
    statuses = expect(status.get("containerStatuses"), list, f"{where}.status.containerStatuses", "a list")
    for i, cs in enumerate(statuses):
        if not isinstance(cs, dict):
            raise ConfigError(f"must be a mapping, got {describe(cs)}", f"{where}.status.containerStatuses[{i}]")
        count, last = cs.get("restartCount", 0), cs.get("lastState")
        restarted |= (not isinstance(count, int) or isinstance(count, bool) or count != 0
                      or (isinstance(last, dict) and bool(last.get("terminated"))))
        state = cs.get("state")
        running = state.get("running") if isinstance(state, dict) else None
        t = times(running.get("startedAt")) if isinstance(running, dict) else None
        if t is not None:
            started.append(t)
    labels = meta.get("labels")
    revision = labels.get("controller-revision-hash") if isinstance(labels, dict) else None
    return _PodRecord(
        created=times(meta.get("creationTimestamp")), scheduled=condition("PodScheduled"),
        ready=condition("Ready"), started=started,
        terminating=meta.get("deletionTimestamp") is not None or meta.get("deletionGracePeriodSeconds") is not None,
        restarted=restarted, running=bool(statuses) and len(started) == len(statuses),
        revision=revision if isinstance(revision, str) else None, owner=_controller_of(meta),
    )


def _controller_of(meta: dict) -> tuple[str, str] | None:
    """The (kind, name) of the pod's controller, mirroring ``metav1.GetControllerOf``: the owner
    reference with ``controller: true``; None when it has none.
    """
    refs = meta.get("ownerReferences")
    for ref in refs if isinstance(refs, list) else []:
        if isinstance(ref, dict) and ref.get("controller") is True:
            return str(ref.get("kind") or "?"), str(ref.get("name") or "?")
    return None


def _named(counts: Counter, limit: int = 3) -> str:
    """``fluentd 50, node-exporter 50`` (the most first, ``and N more`` past ``limit``)."""
    shown = [f"{name} {n}" for name, n in counts.most_common(limit)]
    more = len(counts) - limit
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _daemonset_pods(records: list[_PodRecord]) -> tuple[list[int], list[str]]:
    """The indexes of the pods a DaemonSet controls, and notes on the others: a pod list taken
    by a label selector can hold a Deployment's pods (``-l app=fluent-bit`` matching its
    aggregator too), or several DaemonSets' pods, whose timings are not this DaemonSet's.

    A pod controlled by another kind (a ReplicaSet, a StatefulSet, a Node for a static pod), or
    by none beside pods a DaemonSet controls, is skipped and counted; a list in which no pod
    names a controller (a hand-made one) is used whole. Raises ConfigError when no pod is left.
    """
    if all(r.owner is None for r in records):
        return list(range(len(records))), []
    kept = [i for i, r in enumerate(records) if r.owner is not None and r.owner[0] == "DaemonSet"]
    others = Counter("no owner" if r.owner is None else f"{r.owner[0]} {r.owner[1]}"
                     for r in records if r.owner is None or r.owner[0] != "DaemonSet")
    if not kept:
        raise ConfigError(f"none of the {len(records)} pods is owned by a DaemonSet (ownerReferences: "
                          f"{_named(others)}); expected kubectl get pods -o json of one DaemonSet's pods")
    notes = []
    if others:
        n = sum(others.values())
        notes.append(f"{n} pod{'s' if n > 1 else ''} not owned by a DaemonSet skipped (ownerReferences: "
                     f"{_named(others)})")
    daemonsets = Counter(o[1] for o in (records[i].owner for i in kept) if o is not None)
    if len(daemonsets) > 1:
        notes.append(f"the pods belong to {len(daemonsets)} DaemonSets ({_named(daemonsets)}; ownerReferences); "
                     "all are used, so the timings mix them: list one DaemonSet's pods (its selector) for its own")
    return kept, notes


def _pod_phases(pod: _PodRecord, pull: Pull | str | None) -> tuple[dict[str, tuple[float, str]], dict[str, str]]:
    """``(phase -> (seconds, kind), phase -> why it is skipped)`` for one pod; the first reason wins."""
    why: dict[str, str] = {}

    def skip(reason: str, *phases: str) -> None:
        for phase in phases or ("schedule", "pull", "start", PULL_START, "ready"):
            why.setdefault(phase, reason)

    after_start = ("start", PULL_START, "ready")
    if pod.terminating:
        skip("terminating")
    if isinstance(pod.scheduled, str):
        skip("bad PodScheduled time")
    elif pod.scheduled is None:
        skip("not scheduled")
    if pod.created is None:
        skip("no or bad creationTimestamp", "schedule")
    if not pod.running:
        skip("container not running", *after_start)
    if pod.restarted:
        skip("container restarted", *after_start)  # startedAt is the last start
    if isinstance(pod.ready, str):
        skip("bad Ready time", "ready")
    elif pod.ready is None:
        skip("not Ready", "ready")
    if isinstance(pull, str):
        skip(pull, "pull", "start")
    elif pull is not None and pull.kind != EXACT:
        skip("pull known only to the second", "start")

    out: dict[str, tuple[float, str]] = {}
    scheduled = pod.scheduled if isinstance(pod.scheduled, tuple) else None
    last = max(pod.started) if pod.started else None
    if scheduled and pod.created:
        out["schedule"] = (scheduled[0] - pod.created[0], kind_of(scheduled, pod.created))
        if out["schedule"][0] < 0:
            skip("scheduled before created", "schedule")
    if isinstance(pull, Pull):
        out["pull"] = (pull.seconds, pull.kind)
    if scheduled and last:
        span, kind = last[0] - scheduled[0], kind_of(last, scheduled)
        if span < 0:
            skip("started before scheduled", *after_start)
        out[PULL_START] = (span, kind)
        if isinstance(pull, Pull) and pull.kind == EXACT:
            start = span - pull.seconds  # an exact pull off the grid leaves a triangular rounding error
            if start <= -RESOLUTION_S if kind == GRID else start < 0:  # more than rounding explains
                skip("started before pulled", "start")
            on_grid = kind == EXACT or pull.seconds == math.floor(pull.seconds)
            out["start"] = (start, kind if on_grid else OFFSET)
    if isinstance(pod.ready, tuple) and last:
        out["ready"] = (pod.ready[0] - last[0], kind_of(pod.ready, last))
        if out["ready"][0] < 0:
            skip("Ready before started", "ready")
    return out, why


# A phase longer than this is no rollout's timing (a clock error, a Ready time years ahead, a
# pod that sat unscheduled for weeks): it is skipped, and counted, rather than fitted.
MAX_PHASE_S = 7 * 86400.0
_TOO_LONG = "longer than 7 days (a clock error, or not part of a rollout)"
# what a pods file that holds another kind is likely to be
_NOT_PODS = {"Event": " (is this the events file?)",
             "Node": " (a node list: simulate and plan read it, --nodes-file; calibrate reads kubectl get pods "
                     "-o json)"}


def _measure(pods_doc: Any, by_pod: dict | None, skipped_events: Counter) -> PhaseSamples:
    """The samples of every phase of the pods, given their image events by pod (None: no events)."""
    times = _Times()
    records = [_read_pod(where, pod, times) for where, pod in items(pods_doc, "Pod", _NOT_PODS)]
    kept, owner_notes = _daemonset_pods(records) if records else ([], [])
    pulls: list[Pull | str | None] = [None] * len(records)
    if by_pod is not None:
        for i, (_where, pod) in enumerate(items(pods_doc, "Pod", {})):
            meta, uid = pod.get("metadata") or {}, (pod.get("metadata") or {}).get("uid")
            events = by_pod[uid] if isinstance(uid, str) and uid in by_pod else by_pod.get(pod_key(meta), [])
            pulls[i] = pod_pull(events)
    records, pulls = [records[i] for i in kept], [pulls[i] for i in kept]
    any_exact = any(isinstance(p, Pull) and p.kind == EXACT for p in pulls)
    if by_pod is None:
        names: tuple[str, ...] = ("schedule", PULL_START, "ready")
    else:
        names = ("schedule", "pull", "start" if any_exact else PULL_START, "ready")
    skipped: dict[str, Counter] = {name: Counter() for name in names}
    values: dict[str, list[tuple[float, str]]] = {name: [] for name in names}
    for record, pull in zip(records, pulls):
        measured, why = _pod_phases(record, pull)
        for name in names:
            if name in why:
                skipped[name][why[name]] += 1
            elif name not in measured:  # every missing measurement has a reason; this is a guard
                skipped[name]["not measurable"] += 1
            elif not math.isfinite(measured[name][0]):
                skipped[name]["duration out of range"] += 1
            elif measured[name][0] > MAX_PHASE_S:  # one such value would rule an empirical profile
                skipped[name][_TOO_LONG] += 1
            else:
                values[name].append(measured[name])

    sources = {
        "schedule": "PodScheduled − creationTimestamp",
        "pull": "Pulled event message (total including waiting)" if any_exact else "Pulled − Pulling events",
        "start": "startedAt − PodScheduled − pull",
        PULL_START: "startedAt − PodScheduled (pull and start together)",
        "ready": "Ready − startedAt (includes the readiness probe period)",
    }
    notes = ["terminate: not measurable from a pod list (terminated pods are gone); the default is kept"]
    if by_pod is None:
        notes.append("no events given: pull and start are measured together as pull_start "
                     "(the profile sets pull 0 and start to pull_start)")
    elif not any_exact:
        notes.append("no Pulled message gives a duration (a very old kubelet?): start needs pull to "
                     "the millisecond, so pull_start is used (the profile sets pull 0 and start to pull_start)")
    notes += owner_notes
    revisions = {r.revision for r in records if r.revision}
    if len(revisions) > 1:
        notes.append(f"the pods belong to {len(revisions)} revisions (controller-revision-hash); all are used")
    if skipped_events:
        notes.append(f"{sum(skipped_events.values())} image events name no pod or have no time")
    phases = {name: PhaseSample(name, tuple(v for v, _k in values[name]), tuple(k for _v, k in values[name]),
                                sources[name]) for name in names}
    return PhaseSamples(phases, {n: dict(skipped[n].most_common()) for n in names}, len(records),
                        RESOLUTION_S if times.whole else 0.0, tuple(notes))
