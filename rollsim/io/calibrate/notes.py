"""What calibrate says of the pods it measured, or left out, in a way of their own.

Restarted pods measured from their first start, pulls that backed off, pods whose Ready is a
later transition (``readiness``), a late Ready that cannot be checked, and pods that never got
going, as the fraction ``--new-pods`` takes: one note each, naming the pods (a few, then a count).
"""

from __future__ import annotations

from collections.abc import Sequence

from rollsim.io.calibrate.pulls import Pull
from rollsim.io.calibrate.records import PodRecord

__all__ = ["FAILING", "backoff_notes", "failing_notes", "failing_pods", "later_notes", "restart_notes",
           "unchecked_note"]

FAILING = {"crashloop": "crash-looping (CrashLoopBackOff)", "pull-error": "image pull failing (ImagePullBackOff)"}
# what phases measured of one pod: phase -> (seconds, kind), phase -> why skipped, ready from the first start
PodMeasure = tuple[dict[str, tuple[float, str]], dict[str, str], "bool | None"]


def _names(names: Sequence[str], limit: int = 3) -> str:
    """``a, b and 2 more``."""
    more = len(names) - limit
    return ", ".join(names[:limit]) + (f" and {more} more" if more > 0 else "")


def later_notes(records: Sequence[PodRecord], later: dict[int, str], delays: dict[int, float]) -> list[str]:
    """One note per pod whose Ready is a later transition (at most 3, then a count)."""
    notes = [f"ready: {records[i].name} left out: its Ready came {delays[i]:,.0f} s after its containers "
             "started, a later transition of the condition (Ready.lastTransitionTime is its last change: a readiness "
             f"flap, a node outage or a kubelet restart moves it), not its first readiness: {why}"
             for i, why in sorted(later.items())[:3]]
    if len(later) > 3:
        notes.append(f"ready: {len(later) - 3} more pod{'s' if len(later) != 4 else ''} left out for the same reasons: "
                     f"{_names([records[i].name for i in sorted(later)][3:])}")
    return notes


def unchecked_note(records: Sequence[PodRecord], unchecked: int | None, measured: Sequence[PodMeasure]) -> list[str]:
    """The pod whose Ready came late enough to be a later transition but whose start no event shows."""
    if unchecked is None:
        return []
    delay = measured[unchecked][0]["ready"][0]
    return [f"ready: {records[unchecked].name}'s Ready came {delay:,.0f} s after its containers started, more "
            "than twice as late as any other pod's, but no event of its start is listed (events expire an hour "
            "after their last write by default), so whether that was a slow first readiness or a later transition "
            "(a readiness flap, a node outage, a kubelet restart) cannot be told: kept as listed"]


def failing_pods(records: Sequence[PodRecord], measured: Sequence[PodMeasure]
                  ) -> dict[str, tuple[str, ...]]:
    """``--new-pods`` kind -> the pods that never got going so (skipped from ready for it)."""
    out: dict[str, list[str]] = {}
    for record, (_p, why, _f) in zip(records, measured):
        for kind, reason in FAILING.items():
            if why.get("ready") == reason:
                out.setdefault(kind, []).append(record.name)
    return {kind: tuple(names) for kind, names in out.items()}


def failing_notes(failing_pods: dict[str, tuple[str, ...]], pods: int) -> list[str]:
    """The pods that never got going, as the fraction ``--new-pods`` takes."""
    notes = []
    for kind, names in failing_pods.items():
        share = round(len(names) / pods, 4)
        notes.append(f"{len(names)} of {pods} pods ({100 * share:g}%) {FAILING[kind]}, never Ready "
                     f"({_names(list(names))}): the timings are the other pods'; such a pod holds its node's update "
                     f"for ever: --new-pods {kind}:{share:g} simulates a revision that does this (the profile's "
                     "new_pods records it, which simulate and plan warn of; only the flag applies it)")
    return notes


def restart_notes(records: Sequence[PodRecord], measured: Sequence[PodMeasure]
                   ) -> list[str]:
    """Which restarted pods' ready is measured from their first start (with the crash and back-off in it)."""
    used = [(r.name, first) for r, (phases, why, first) in zip(records, measured)
            if first is not None and "ready" in phases and "ready" not in why]
    exact, later = [n for n, first in used if first], [n for n, first in used if not first]
    notes = []
    if exact:
        notes.append(f"ready: {len(exact)} restarted pod{'s' if len(exact) > 1 else ''} ({_names(exact)}) measured "
                     "from the first start: the crash, the kubelet's restart back-off and the restart are in it, as "
                     "a rollout waits for them")
    if later:
        notes.append(f"ready: {len(later)} restarted pod{'s' if len(later) > 1 else ''} ({_names(later)}) measured "
                     "from the earliest start still shown (restarted more than once, no Started event of the first): "
                     "a lower bound, with the last crash and back-off in it")
    return notes


def backoff_notes(records: Sequence[PodRecord], pulls: Sequence[Pull | str | None]) -> list[str]:
    """The pulls measured across their failed attempts and back-off."""
    backed = [r.name for r, p in zip(records, pulls) if isinstance(p, Pull) and p.backed_off]
    if not backed:
        return []
    return [f"pull: {len(backed)} pull{'s' if len(backed) > 1 else ''} that failed and backed off before "
            f"{'they' if len(backed) > 1 else 'it'} succeeded ({_names(backed)}) measured from the first Pulling "
            "event to the Pulled one (at least the last attempt's own time): the failed attempts and the kubelet's "
            "image back-off are in it"]
