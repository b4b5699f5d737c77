"""Which revision's pods a calibration measures: the newest rollout's, where a list holds several.

A DaemonSet's pods carry their template's ``controller-revision-hash``. A list taken during a rollout,
or after one that stopped part way, holds pods of the older revision too: created days or weeks
before (their schedule, pull and start are another rollout's, the old image's pull), their Ready
moved since by every node reboot and readiness flap (audit 42: four at 2–5 days made the profile
predict a stall). So where the newest revision (that of the pod created last) has as many pods as
a fit needs, the others' pods are left out, and a note says so; where it has fewer, every pod is
used, and the note says that too.
"""

from __future__ import annotations

from collections.abc import Sequence

from rollsim.io.calibrate.fitting import MIN_VALUES
from rollsim.io.calibrate.records import PodRecord

__all__ = ["OLDER_REVISION", "older_revision_pods"]

OLDER_REVISION = "an older revision (controller-revision-hash): another rollout's times"


def older_revision_pods(records: Sequence[PodRecord]) -> tuple[set[int], list[str]]:
    """The indexes of the pods to leave out as an older revision's, and the note to say (none: one revision)."""
    revisions = {r.revision for r in records if r.revision and not r.terminating}
    if len(revisions) < 2:
        return set(), []
    dated = [(r.created[0], r.revision) for r in records if r.revision in revisions and r.created is not None]
    newest = max(dated)[1] if dated else None
    mine = sum(1 for r in records if r.revision == newest and not r.terminating)
    older = {i for i, r in enumerate(records) if r.revision in revisions and r.revision != newest}
    if mine < MIN_VALUES:
        return set(), [f"the pods belong to {len(revisions)} revisions (controller-revision-hash); all are used: the "
                       f"newest ({newest}) has {mine} pod{'s' if mine != 1 else ''}, fewer than the {MIN_VALUES} a fit "
                       "needs, and the older ones' times are of another rollout (the old image's pull)"]
    left = sum(1 for i in older if not records[i].terminating)
    return older, [f"the pods belong to {len(revisions)} revisions (controller-revision-hash): the {left} pod"
                   f"{'s' if left != 1 else ''} of the older one{'s' if len(revisions) > 2 else ''} left out, created "
                   f"before the newest rollout's ({newest}), their times another rollout's (the old image's pull; a "
                   "Ready moved since by node reboots and readiness flaps)"]
