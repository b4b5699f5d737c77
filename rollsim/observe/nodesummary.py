"""A node's summary as the recorder keeps it: the node's share of the cluster levels (is it
desired, has it an available pod, is it updated, has it two pods; how many pods terminating,
how many pending), packed in one int, its key.

Bits 0-3 of a key say desired, available, updated, surge (all 0 if the node is not desired),
bits 4-35 count terminating pods (fewer than 2**32 on a node), bits 36-43 the extra pods (fewer
than 256 on a node), the bits above pending pods.
* updated: the node's first pod of the DaemonSet, terminating ones too, in
  ``podByCreationTimestampAndPhase`` order (bound ones first, then the oldest:
  ``rollsim.controller.pods.first_daemon_pod``, the rule the controller's status uses) is of the
  current revision, as ``updateDaemonSetStatus`` counts ``updatedNumberScheduled`` (kubectl's
  UP-TO-DATE): a terminating old pod is older than the new one beside it, an old pod still bound
  comes before an unbound new one, and after a rollback an old pod that was never replaced comes
  before the newer pod of the abandoned revision beside it.
* surge: two pods bound to the node (``spec.nodeName`` set: the scheduler has counted their requests
  there), neither Failed nor terminating: two agents at once, or one about to start beside the other.
  A surge pod the scheduler could not place is not on the node.
* extra: the pods bound to a desired node beyond its first, terminating ones included (all of
  them hold their requests in the scheduler's count until they are gone): a surge's second pod,
  and an old pod terminating beside its available new one (audit 35: maxSurge 10 held 20 pods
  beyond one a node while each wave's old pods terminated beside the next wave's new ones).
* pending: pods of the current revision, not terminating, in phase Pending (created, not yet
  Running: unbound ones too), as ``kube_pod_status_phase{phase="Pending"}`` counts them.
A finished pod (phase Failed or Succeeded: rejected or evicted by its kubelet) that is not being
deleted counts in updated (by its revision) but neither as pending nor as a second pod.
``rollsim.observe.recorder.Recorder`` works the key out inline for a node with one pod, and
with ``summary_key`` for any other; it keeps one small code per distinct key.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from rollsim.controller.pods import FAILED, PENDING, SUCCEEDED, Pod, first_daemon_pod

__all__ = ["LEVELS", "PENDING_BIT", "summary_key", "unpack"]

LEVELS = ("desired", "available", "updated", "surge", "terminating", "extra", "pending")  # a summary's fields


PENDING_BIT: Final = 44  # where a key's count of pending pods begins


def summary_key(pods: Sequence[Pod], revision: int, min_ready: float, desired: bool,
                now: float, first_failed: Pod | None = None) -> tuple[int, bool, bool]:
    """The key of a node's summary from its pods of the DaemonSet (any number), whether a pod
    of ``revision`` is Ready and whether one is available. ``first_failed``: the first, in
    ``podByCreationTimestampAndPhase`` order, of the DaemonSet's pods there in phase Failed, when
    they are kept apart (the API server does: ``ApiServer.failed_by_node``); a failed pod counts
    only through whether it is the node's first pod (updated), as one among ``pods`` would.
    """
    new_ready = new_available = False
    terminating = pending = bound = current = held = 0
    available = False
    for p in pods:
        is_new = p.revision == revision
        current += is_new
        if p.deleting:
            terminating += 1
            held += p.scheduled
            continue
        phase = p.phase
        if phase == FAILED or phase == SUCCEEDED:
            continue  # its containers stopped: not a second agent on the node, not pending
        if phase == PENDING and is_new:
            pending += 1
        if p.scheduled:
            bound += 1
        if p.ready:
            if is_new:
                new_ready = True
            # is_pod_available(p, min_ready, now, inclusive=True), inline. The instant the
            # minReadySeconds window ends (the kubelet's AVAILABLE event): under the inclusive
            # rule (v1.34+, kubernetes/kubernetes#132122) the pod is available then; under the
            # strict one at every instant after it, so it is the time to record.
            if min_ready == 0 or p.ready_since + min_ready <= now:
                available = True
                if is_new:
                    new_available = True
    key = terminating << 4 | pending << PENDING_BIT
    if desired:
        key |= min(max(bound + held - 1, 0), 255) << 36
        key |= 1
        if available:
            key |= 2
        every = len(pods)
        if first_failed is not None:
            every += 1
            current += first_failed.revision == revision
        # updated: IsPodUpdated of the pod the status reads the node by (sorted for only when
        # the node holds pods of the current revision and others)
        if current and (current == every or first_daemon_pod(
                pods if first_failed is None else [*pods, first_failed]).revision == revision):
            key |= 4
        if bound >= 2:
            key |= 8
    return key, new_ready, new_available


def unpack(key: int) -> tuple[int, int, int, int, int, int, int]:
    """The summary a key stands for, its fields in the order of ``LEVELS``."""
    return (key & 1, key >> 1 & 1, key >> 2 & 1, key >> 3 & 1, key >> 4 & 0xFFFFFFFF, key >> 36 & 0xFF,
            key >> PENDING_BIT)
