"""A node's summary as the recorder keeps it: the node's share of the cluster levels (is it
desired, has it an available pod, only new pods, two pods; how many pods terminating, how
many pending), packed in one int, its key.

Bits 0-3 of a key say desired, available, updated, surge (all 0 if the node is not desired),
bits 4-35 count terminating pods (fewer than 2**32 on a node), the bits above pending pods. A
finished pod (phase Failed or Succeeded: rejected or evicted by its kubelet) that is not being
deleted counts as pending (not Ready) and in updated, but not as a second pod: it runs no agent.
``rollsim.observe.recorder.Recorder`` works the key out inline for a node with one pod, and
with ``summary_key`` for any other; it keeps one small code per distinct key.
"""

from __future__ import annotations

from collections.abc import Sequence

from rollsim.controller.pods import FAILED, SUCCEEDED, Pod

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
    live = new_live = terminating = pending = finished = 0
    available = False
    for p in pods:
        if p.deleting:
            terminating += 1
            continue
        live += 1
        if p.phase == FAILED or p.phase == SUCCEEDED:
            finished += 1  # its containers stopped: not a second agent on the node
        is_new = p.revision == revision
        if is_new:
            new_live += 1
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
        else:
            pending += 1
    live, new_live, pending, finished = live + failed, new_live + failed_new, pending + failed, finished + failed
    key = terminating << 4 | pending << 36
    if desired:
        key |= 1
        if available:
            key |= 2
        if new_live and new_live == live:  # new pods only
            key |= 4
        if live - finished >= 2:
            key |= 8
    return key, new_ready, new_available


def unpack(key: int) -> tuple[int, int, int, int, int, int]:
    """The summary a key stands for, its fields in the order of ``LEVELS``."""
    return key & 1, key >> 1 & 1, key >> 2 & 1, key >> 3 & 1, key >> 4 & 0xFFFFFFFF, key >> 36
