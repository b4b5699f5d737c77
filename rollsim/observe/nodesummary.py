"""A node's summary as the recorder keeps it: the node's share of the cluster levels (is it
desired, has it an available pod, is it updated, has it two pods; how many pods terminating,
how many pending), packed in one int, its key.

Bits 0-3 of a key say desired, available, updated, surge (all 0 if the node is not desired),
bits 4-35 count terminating pods (fewer than 2**32 on a node), the bits above pending pods.
* updated: every pod of the DaemonSet on the node, terminating ones too, is of the current
  revision: ``updateDaemonSetStatus`` counts a node by its oldest pod (``updatedNumberScheduled``,
  kubectl's UP-TO-DATE), and a terminating old pod is older than the new one beside it.
* surge: two pods bound to the node (``spec.nodeName`` set: the scheduler has counted their requests
  there), neither Failed nor terminating: two agents at once, or one about to start beside the other.
  A surge pod the scheduler could not place is not on the node.
* pending: pods of the current revision, not terminating, in phase Pending (created, not yet
  Running: unbound ones too), as ``kube_pod_status_phase{phase="Pending"}`` counts them.
A finished pod (phase Failed or Succeeded: rejected or evicted by its kubelet) that is not being
deleted counts in updated (by its revision) but neither as pending nor as a second pod.
``rollsim.observe.recorder.Recorder`` works the key out inline for a node with one pod, and
with ``summary_key`` for any other; it keeps one small code per distinct key.
"""

from __future__ import annotations

from collections.abc import Sequence

from rollsim.controller.pods import FAILED, PENDING, SUCCEEDED, Pod

__all__ = ["LEVELS", "summary_key", "unpack"]

LEVELS = ("desired", "available", "updated", "surge", "terminating", "pending")  # a summary's fields


def summary_key(pods: Sequence[Pod], revision: int, min_ready: float, desired: bool,
                now: float, failed: int = 0, failed_new: int = 0) -> tuple[int, bool, bool]:
    """The key of a node's summary from its pods of the DaemonSet (any number), whether a pod
    of ``revision`` is Ready and whether one is available. ``failed`` more pods of the DaemonSet
    are there in phase Failed (``failed_new`` of ``revision``), counted apart (the API server keeps
    them apart: ``ApiServer.failed_by_node``), as a failed pod among ``pods`` would count.
    """
    new_ready = new_available = False
    every, current = failed, failed_new  # every pod, terminating ones too, and those of ``revision``
    terminating = pending = bound = 0
    available = False
    for p in pods:
        every += 1
        is_new = p.revision == revision
        if is_new:
            current += 1
        if p.deleting:
            terminating += 1
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
    key = terminating << 4 | pending << 36
    if desired:
        key |= 1
        if available:
            key |= 2
        if current and current == every:  # its oldest pod is of the current revision: updated
            key |= 4
        if bound >= 2:
            key |= 8
    return key, new_ready, new_available


def unpack(key: int) -> tuple[int, int, int, int, int, int]:
    """The summary a key stands for, its fields in the order of ``LEVELS``."""
    return key & 1, key >> 1 & 1, key >> 2 & 1, key >> 3 & 1, key >> 4 & 0xFFFFFFFF, key >> 36
