"""One pod of ``kubectl get pods -o json``, as calibrate reads it: its times, containers and controller.

``read_pod`` checks the structure (a ConfigError names the key path of what is not a Pod's) and
keeps what the phases need; a time that cannot be read is kept as a string saying so, and the
phase that needs it is skipped for that pod, with the reason counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rollsim.io.calibrate.kubectl import expect, parse_time
from rollsim.io.calibrate.owners import Owner, controller_of
from rollsim.io.calibrate.restarts import Container
from rollsim.io.yamldoc import ConfigError
from rollsim.spec.quoting import describe

__all__ = ["NO_SCHEDULED", "PodRecord", "Time", "Times", "read_pod"]

Time = tuple[float, bool]  # unix seconds, and whether the text had a fraction


class Times:
    """Parses timestamps, remembering whether any was whole seconds only."""

    def __init__(self) -> None:
        self.whole = False

    def __call__(self, value: Any) -> Time | None:
        """``value`` as ``parse_time`` reads it."""
        t = parse_time(value)
        if t is not None and not t[1]:
            self.whole = True
        return t


@dataclass(frozen=True)
class PodRecord:
    """The times of one pod that the phases need; a str instead of a time says what is wrong."""

    name: str
    created: Time | None
    scheduled: Time | str | None
    ready: Time | str | None
    containers: tuple[Container, ...]
    terminating: bool
    revision: str | None
    owner: Owner | None = None  # its controller (ownerReferences), None without one
    spec: Any = field(default=None, repr=False, compare=False)  # the pod's spec (its probes)

    @property
    def running(self) -> bool:
        """Every container has ``state.running.startedAt``."""
        return bool(self.containers) and all(c.started is not None for c in self.containers)

    @property
    def restarted(self) -> bool:
        """A container restarted: its ``startedAt`` is its last start."""
        return any(c.restarts != 0 for c in self.containers)

    @property
    def last_start(self) -> Time | None:
        """When the containers last (all) started: the latest ``startedAt``."""
        starts = [c.started for c in self.containers if c.started is not None]
        return max(starts) if starts else None


def _container(where: str, cs: Any, times: Times) -> Container:
    if not isinstance(cs, dict):
        raise ConfigError(f"must be a mapping, got {describe(cs)}", where)
    count, last, state = cs.get("restartCount", 0), cs.get("lastState"), cs.get("state")
    valid = isinstance(count, int) and not isinstance(count, bool) and count >= 0
    if not valid and count is not None:  # the API's is an int32 >= 0 (audit 34: NaN and -3 changed what was measured)
        raise ConfigError(f"must be a non-negative integer, got {describe(count)}", f"{where}.restartCount")
    terminated = last.get("terminated") if isinstance(last, dict) else None
    # a restart count that is not one, or a previous run with none counted, is a restart of unknown number
    restarts = count if valid and (count or not terminated) else max(1, count if valid else 1)
    running = state.get("running") if isinstance(state, dict) else None
    waiting = state.get("waiting") if isinstance(state, dict) else None
    previous = times(terminated.get("startedAt")) if isinstance(terminated, dict) else None
    name = cs.get("name")
    return Container(name if isinstance(name, str) else "", restarts,
                     times(running.get("startedAt")) if isinstance(running, dict) else None, previous,
                     str(waiting.get("reason") or "") if isinstance(waiting, dict) else None,
                     isinstance(state, dict) and isinstance(state.get("terminated"), dict))


# a running pod listed without its PodScheduled condition (a hand-made or trimmed list): what its skip says
NO_SCHEDULED = "no PodScheduled condition (status.conditions)"


def read_pod(where: str, pod: dict, times: Times) -> PodRecord:
    """The fields of one Pod; ConfigError if its structure is not a Pod's."""
    meta = expect(pod.get("metadata"), dict, f"{where}.metadata", "a mapping")
    status = expect(pod.get("status"), dict, f"{where}.status", "a mapping")
    spec = expect(pod.get("spec"), dict, f"{where}.spec", "a mapping")
    statuses = expect(status.get("containerStatuses"), list, f"{where}.status.containerStatuses", "a list")
    containers = tuple(_container(f"{where}.status.containerStatuses[{i}]", cs, times)
                       for i, cs in enumerate(statuses))
    conditions: dict[str, dict] = {}
    for i, c in enumerate(expect(status.get("conditions"), list, f"{where}.status.conditions", "a list")):
        if not isinstance(c, dict):
            raise ConfigError(f"must be a mapping, got {describe(c)}", f"{where}.status.conditions[{i}]")
        if isinstance(c.get("type"), str):
            conditions[c["type"]] = c

    def condition(kind: str) -> Time | str | None:
        c = conditions.get(kind)
        if c is None and kind == "PodScheduled" and any(cs.started is not None for cs in containers):
            return NO_SCHEDULED  # running, so scheduled: the condition is what is missing (audit 42)
        if c is None or c.get("status") != "True":
            return None
        return times(c.get("lastTransitionTime")) or "bad timestamp"

    labels = meta.get("labels")
    revision = labels.get("controller-revision-hash") if isinstance(labels, dict) else None
    name = meta.get("name")
    return PodRecord(
        name=name if isinstance(name, str) else where, created=times(meta.get("creationTimestamp")),
        scheduled=condition("PodScheduled"), ready=condition("Ready"), containers=containers,
        terminating=meta.get("deletionTimestamp") is not None or meta.get("deletionGracePeriodSeconds") is not None,
        revision=revision if isinstance(revision, str) else None, owner=controller_of(meta), spec=spec,
    )
