"""Pod phase durations measured from ``kubectl get pods -o json`` (and its events).

What is measured, per pod (all times are the API server's)::

    schedule   = PodScheduled.lastTransitionTime − metadata.creationTimestamp
    pull       = the kubelet's Pulled event (see ``pulls``)
    start      = first start − PodScheduled − pull, where the first start is
                 max(containerStatuses[].state.running.startedAt) (sandbox, volumes and
                 container start; needs pull to the millisecond)
    ready      = Ready.lastTransitionTime − first start; this includes the readiness
                 probe's period, so simulate it with ``probe_period: 0``
    pull_start = first start − PodScheduled, instead of pull and start without pull events

A restarted container's ``startedAt`` is its last start; its first is read from
``lastState`` and the ``Started`` events (``restarts``), so a pod that crashed before it was
Ready gives a ready phase with its crash, back-off and restart in it, as a rollout waits for
them. A Ready time that the pod's events show to be a later transition (a readiness flap, a
node outage) is not its first readiness: the pod is left out of ``ready`` (``readiness``).

A pod that cannot give a phase is skipped for that phase, and the reason is counted.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rollsim.io.calibrate.events import PodEvent, events_by_pod, events_of
from rollsim.io.calibrate.kubectl import items
from rollsim.io.calibrate.measurement import EXACT, GRID, OFFSET, RESOLUTION_S, kind_of
from rollsim.io.calibrate.notes import (
    FAILING,
    backoff_notes,
    failing_notes,
    failing_pods,
    later_notes,
    restart_notes,
    unchecked_note,
)
from rollsim.io.calibrate.owners import daemonset_pods
from rollsim.io.calibrate.pulls import Pull, pod_pull
from rollsim.io.calibrate.readiness import (
    LATE_READY_S,
    ProbeTiming,
    late_ready_why,
    later_transitions,
    probe_timing,
    ready_check,
)
from rollsim.io.calibrate.records import NO_SCHEDULED, PodRecord, Times, read_pod
from rollsim.io.calibrate.restarts import failing, first_start
from rollsim.io.calibrate.revisions import OLDER_REVISION, older_revision_pods
from rollsim.io.yamldoc import ConfigError
from rollsim.spec.scenario import DEFAULT_TERMINATE

__all__ = ["LATER_READY", "PHASES", "PULL_START", "PULL_START_SETS", "TERMINATE_NOTE", "PhaseSample", "PhaseSamples",
           "pod_phases"]

PHASES = ("schedule", "pull", "start", "ready")
# what the notes say of the phases a pod list cannot give (audit 42: "the default is kept" gave no value)
TERMINATE_NOTE = (f"terminate: not measurable from a pod list (terminated pods are gone); the default is kept, "
                  f"{DEFAULT_TERMINATE}: give --terminate (timings.terminate) for your agent's, which its "
                  "terminationGracePeriodSeconds bounds")
PULL_START_SETS = "(the profile sets pull 0 and start to pull_start)"  # ``calibrate`` says so only where it is fitted
PULL_START = "pull_start"
LATER_READY = "Ready is a later transition, not the first readiness"


@dataclass(frozen=True)
class PhaseSample:
    """The measured durations of one phase, each with how it was measured (``EXACT``, ``GRID``, ``OFFSET``)."""

    name: str
    values: tuple[float, ...]
    kinds: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class PhaseSamples:
    """What ``pod_phases`` read: samples per phase, skipped pods per phase and reason, notes; the DaemonSets
    measured (``namespace/name``), the pods that never got going by ``--new-pods`` kind, the readiness
    probe's period from the pods' spec, and the notes on Ready times that matter where no table is shown
    (``warnings``: ``plan --calibrate`` prints them; the pods that never got going it warns of itself).
    """

    phases: dict[str, PhaseSample]
    skipped: dict[str, dict[str, int]]
    pods: int
    resolution: float
    notes: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    failing: dict[str, tuple[str, ...]] = field(default_factory=dict)
    probe_period: float | None = None
    warnings: tuple[str, ...] = ()


def pod_phases(pods_doc: Any, events_doc: Any = None, daemonset: str | None = None) -> PhaseSamples:
    """Measure the phases of every usable pod of ``kubectl get pods -o json`` (parsed).

    ``events_doc`` is ``kubectl get events -o json`` (parsed) or None; ``daemonset`` (``NAME`` or
    ``NAMESPACE/NAME``) picks the pods of one DaemonSet (``owners``). A pod that cannot give a phase
    (terminating, not scheduled, never started, timestamps missing or out of order) is skipped for
    that phase and counted under the reason. Raises ConfigError (with the key path) for a document
    that is not a pod or event list, and for a list of no DaemonSet's pods or several DaemonSets'.
    """
    skipped_events: Counter = Counter()
    try:
        by_pod = None if events_doc is None else events_by_pod(events_doc, skipped_events)
    except ConfigError as exc:
        raise ConfigError(exc.message, exc.path, "events") from None
    try:
        return _measure(pods_doc, by_pod, skipped_events, daemonset)
    except ConfigError as exc:
        raise ConfigError(exc.message, exc.path, "pods") from None


Measured = dict[str, tuple[float, str]]


def _pod_phases(pod: PodRecord, pull: Pull | str | None, events: Sequence[PodEvent]
                ) -> tuple[Measured, dict[str, str], bool | None]:
    """``(phase -> (seconds, kind), phase -> why it is skipped, ready from the first start)`` for one pod;
    the first reason wins. The last is None unless the pod restarted: then whether its first start is known
    (else ready is from a later start, a lower bound).
    """
    why: dict[str, str] = {}

    def skip(reason: str, *phases: str) -> None:
        for phase in phases or ("schedule", "pull", "start", PULL_START, "ready"):
            why.setdefault(phase, reason)

    after_start = ("start", PULL_START, "ready")
    if pod.terminating:
        skip("terminating")
    if isinstance(pod.scheduled, str):
        skip(pod.scheduled if pod.scheduled == NO_SCHEDULED else "bad PodScheduled time")
    elif pod.scheduled is None:
        skip("not scheduled")
    if pod.created is None:
        skip("no or bad creationTimestamp", "schedule")
    fails = failing(pod.containers, isinstance(pod.ready, tuple))
    if fails:
        skip(FAILING[fails], *after_start)
    if not pod.running:
        skip("container not running", *after_start)
    first = first_start(pod.containers, events) if pod.running else None
    if first is not None and not first.exact:
        skip("restarted, first start unknown", "start", PULL_START)
    if isinstance(pod.ready, str):
        skip("bad Ready time", "ready")
    elif pod.ready is None:
        skip("not Ready", "ready")
    if isinstance(pull, str):
        skip(pull, "pull", "start")
    elif pull is not None and pull.kind != EXACT:
        skip("pull known only to the second", "start")

    out: Measured = {}
    scheduled = pod.scheduled if isinstance(pod.scheduled, tuple) else None
    start = first.time if first else None
    if scheduled and pod.created:
        out["schedule"] = (scheduled[0] - pod.created[0], kind_of(scheduled, pod.created))
        if out["schedule"][0] < 0:
            skip("scheduled before created", "schedule")
    if isinstance(pull, Pull):
        out["pull"] = (pull.seconds, pull.kind)
    if scheduled and start:
        span, kind = start[0] - scheduled[0], kind_of(start, scheduled)
        if span < 0:  # its PodScheduled time contradicts its start: no phase it bounds is kept, schedule neither
            skip("started before scheduled", "schedule", *after_start)  # (audit 42: 5 such pods of 40 took
            # schedule's mean from 1.4 to 3.4 s); the Pulled event's own duration stays
        out[PULL_START] = (span, kind)
        if isinstance(pull, Pull) and pull.kind == EXACT:
            value = span - pull.seconds  # an exact pull off the grid leaves a triangular rounding error
            if value <= -RESOLUTION_S if kind == GRID else value < 0:  # more than rounding explains
                skip("started before pulled", "start")
            on_grid = kind == EXACT or pull.seconds == math.floor(pull.seconds)
            out["start"] = (value, kind if on_grid else OFFSET)
    if isinstance(pod.ready, tuple) and start:
        out["ready"] = (pod.ready[0] - start[0], kind_of(pod.ready, start))
        if out["ready"][0] < 0:
            skip("Ready before started", "ready")
    return out, why, (first.exact if first and pod.restarted else None)


# A phase longer than this is no rollout's timing (a clock error, a Ready time years ahead, a
# pod that sat unscheduled for weeks): it is skipped, and counted, rather than fitted.
MAX_PHASE_S = 7 * 86400.0
_TOO_LONG = "longer than 7 days (a clock error, or not part of a rollout)"
# what a pods file that holds another kind is likely to be
_NOT_PODS = {"Event": " (is this the events file?)",
             "Node": " (a node list: simulate and plan read it, --nodes-file; calibrate reads kubectl get pods "
                     "-o json)"}
_SOURCES = {
    "schedule": "PodScheduled − creationTimestamp",
    "start": "startedAt − PodScheduled − pull (the first start)",
    PULL_START: "startedAt − PodScheduled (pull and start together; the first start)",
    "ready": "Ready − startedAt (the first start; includes the readiness probe period)",
}


def _timing(records: Sequence[PodRecord]) -> ProbeTiming | None:
    """The probes of the pods' template (the most common among the pods that have any)."""
    timings = Counter(t for t in (probe_timing(r.spec) for r in records) if t is not None)
    return timings.most_common(1)[0][0] if timings else None


def _listed_once(listed: Sequence[tuple[str, Any]]) -> None:
    """Refuse a pod listed twice (its uid, else its namespace and name, seen before): ``kubectl get pods``
    lists each pod once, so the file was put together by hand, and the pod would be measured twice
    (audit 34).
    """
    seen: dict[tuple[str, ...], str] = {}
    for where, pod in listed:
        meta = pod.get("metadata") if isinstance(pod, dict) else None
        if not isinstance(meta, dict):
            continue  # read_pod says what is wrong with it
        uid, name = meta.get("uid"), meta.get("name")
        if isinstance(uid, str) and uid:
            key: tuple[str, ...] = ("uid", uid)
        elif isinstance(name, str) and name:
            key = ("name", str(meta.get("namespace") or ""), name)
        else:
            continue
        if key in seen:
            raise ConfigError(f"the same pod as {seen[key]} ({key[0]} {key[-1]!r}): each pod once, as kubectl get "
                              "pods lists it", f"{where}.metadata.{key[0]}")
        seen[key] = where


def _measure(pods_doc: Any, by_pod: dict | None, skipped_events: Counter, daemonset: str | None) -> PhaseSamples:
    """The samples of every phase of the pods, given their events by pod (None: no events)."""
    times = Times()
    listed = items(pods_doc, "Pod", _NOT_PODS)
    _listed_once(listed)
    all_records = [read_pod(where, pod, times) for where, pod in listed]
    kept, owner_notes, owners = (daemonset_pods([r.owner for r in all_records], daemonset) if all_records
                                 else ([], [], ()))
    events: list[list[PodEvent]] = [[] if by_pod is None else events_of(by_pod, listed[i][1].get("metadata"))
                                    for i in kept]
    records = [all_records[i] for i in kept]
    pulls: list[Pull | str | None] = [None if by_pod is None else pod_pull(e) for e in events]
    any_exact = any(isinstance(p, Pull) and p.kind == EXACT for p in pulls)
    if by_pod is None:
        names: tuple[str, ...] = ("schedule", PULL_START, "ready")
    else:
        names = ("schedule", "pull", "start" if any_exact else PULL_START, "ready")
    skipped: dict[str, Counter] = {name: Counter() for name in names}
    values: dict[str, list[tuple[float, str]]] = {name: [] for name in names}
    measured = [_pod_phases(r, p, e) for r, p, e in zip(records, pulls, events)]
    older, revision_notes = older_revision_pods(records)
    for i in older:  # left out of every phase, before the Ready times are judged against one another
        for name in (*PHASES, PULL_START):
            measured[i][1].setdefault(name, OLDER_REVISION)
    timing = _timing(records)
    later, delays, unchecked = _later_ready(records, measured, events, timing, by_pod is not None)
    for i, (got, why, _first) in enumerate(measured):
        if i in later:
            why.setdefault("ready", LATER_READY)
        for name in names:
            if name in why:
                skipped[name][why[name]] += 1
            elif name not in got:  # every missing measurement has a reason; this is a guard
                skipped[name]["not measurable"] += 1
            elif not math.isfinite(got[name][0]):
                skipped[name]["duration out of range"] += 1
            elif got[name][0] > MAX_PHASE_S:  # one such value would rule an empirical profile
                skipped[name][_TOO_LONG] += 1
            else:
                values[name].append(got[name])

    sources = {**_SOURCES, "pull": ("Pulled event message (total including waiting)" if any_exact
                                    else "Pulled − Pulling events")}
    notes = [TERMINATE_NOTE]
    if by_pod is None:
        notes.append("no events given: pull and start are measured together as pull_start " + PULL_START_SETS)
    elif not any_exact:
        notes.append("no Pulled message gives a duration (a very old kubelet?): start needs pull to "
                     "the millisecond, so pull_start is used " + PULL_START_SETS)
    notes += owner_notes
    notes += revision_notes
    if skipped_events:
        notes.append(f"{sum(skipped_events.values())} events name no pod or have no time")
    warnings = [*later_notes(records, later, delays), *unchecked_note(records, unchecked, measured)]
    failing = failing_pods(records, measured)
    notes += [*restart_notes(records, measured), *backoff_notes(records, pulls), *warnings,
              *failing_notes(failing, len(records))]
    phases = {name: PhaseSample(name, tuple(v for v, _k in values[name]), tuple(k for _v, k in values[name]),
                                sources[name]) for name in names}
    return PhaseSamples(phases, {n: dict(skipped[n].most_common()) for n in names}, len(records),
                        RESOLUTION_S if times.whole else 0.0, tuple(notes), owners, failing,
                        timing.period_s if timing else None, tuple(warnings))


def _later_ready(records: Sequence[PodRecord], measured: Sequence[tuple[Measured, dict[str, str], bool | None]],
                 events: Sequence[Sequence[PodEvent]], timing: ProbeTiming | None, with_events: bool
                 ) -> tuple[dict[int, str], dict[int, float], int | None]:
    """The pods whose Ready is a later transition (index -> why), their Ready delays, and the pod whose Ready
    came late enough to be one but whose events do not reach back to its start (``readiness.later_transitions``).
    Where no event can tell (none given, or the pod's expired before its start), a Ready more than
    ``LATE_READY_S`` after the start is one: no rollout waits that long for a first readiness (audit 42:
    four Ready times 2-5 days after the start, node reboots', were kept without a word, and the profile
    predicted a stall); one under it is kept.
    """
    checks = {}
    for i, (phases, why, _first) in enumerate(measured):
        last, ready = records[i].last_start, records[i].ready
        if with_events and "ready" in phases and "ready" not in why and last is not None and isinstance(ready, tuple):
            checks[i] = ready_check(records[i].name, last[0], ready[0], events[i])
    index = list(checks)
    found, unchecked = later_transitions(list(checks.values()), timing)
    later = {index[k]: why for k, why in found.items()}
    for i, (phases, why, _first) in enumerate(measured):
        if i in later or "ready" not in phases or "ready" in why:
            continue
        if not LATE_READY_S < phases["ready"][0] <= MAX_PHASE_S:
            continue  # (past MAX_PHASE_S: a clock error's, counted as such)
        c = checks.get(i)
        if c is not None and c.from_start:
            continue  # its events tell (the rules above): a probe failing from the start, a slow first readiness
        later[i] = late_ready_why(with_events, c)
    delays = {i: measured[i][0]["ready"][0] for i in later}
    unchecked_at = None if unchecked is None or index[unchecked] in later else index[unchecked]
    return later, delays, unchecked_at
