"""The per-node rules of ``pkg/controller/daemon``, each a function that mirrors one part of
it: ``updateDaemonSetStatus``'s counts, ``manage`` → ``podsShouldBeOnNode``,
``findUpdatedPodsOnNode`` and both ``rollingUpdate`` loops, and the minReadySeconds requeue.

``rollsim.controller.classify.classify_any`` calls each in turn for any node (the general
path, which the fast paths for common nodes must agree with).
"""

from __future__ import annotations

from collections.abc import Callable

from rollsim.controller.pods import FAILED, SUCCEEDED, Pod, first_daemon_pod, pod_sort_key

__all__ = [
    "Available", "find_updated_pods_on_node", "next_availability_change", "node_status", "pods_should_be_on_node",
    "rolling_update_without_surge", "rolling_update_with_surge",
]

def find_updated_pods_on_node(pods: list[Pod], revision: int) -> tuple[Pod | None, Pod | None, bool]:
    """Mirrors ``findUpdatedPodsOnNode``: terminating pods ignored; ok is False on two new or two old."""
    new = old = None
    for pod in pods:
        if pod.deleting:
            continue
        if pod.revision == revision:
            if new is not None:
                return None, None, False
            new = pod
        else:
            if old is not None:
                return None, None, False
            old = pod
    return new, old, True


Available = Callable[[Pod], bool]



def next_availability_change(pods: list[Pod], min_ready_seconds: float, available: Available) -> float | None:
    """The earliest time a Ready pod turns available (``updateDaemonSetStatus``'s requeue after
    minReadySeconds), if any.
    """
    next_change = None
    if min_ready_seconds > 0:
        for pod in pods:
            if pod.ready and not available(pod):
                flip = pod.ready_since + min_ready_seconds
                next_change = flip if next_change is None else min(next_change, flip)
    return next_change


def node_status(pods: list[Pod], should_run: bool, exists: bool, revision: int,
                available: Available) -> tuple[int, int, int, int, int, int]:
    """Mirrors ``updateDaemonSetStatus``'s per-node counts (desired, current, ready, available,
    updated, misscheduled): the first pod after sorting speaks for the node.
    """
    desired = current = ready = avail = updated = misscheduled = 0
    if exists:
        if should_run:
            desired = 1
            if pods:
                current = 1
                first = first_daemon_pod(pods)
                if first.ready:
                    ready = 1
                    avail = int(available(first))
                updated = int(first.revision == revision)
        elif pods:
            misscheduled = 1
    return desired, current, ready, avail, updated, misscheduled


def pods_should_be_on_node(
    pods: list[Pod], should_run: bool, should_continue: bool, exists: bool, revision: int, surge: bool,
    available: Available,
) -> tuple[bool, list[Pod], list[Pod]]:
    """Mirrors ``manage`` → ``podsShouldBeOnNode``: (create a pod, pods to delete, failed pods)."""
    if not exists:
        # getUnscheduledPodsWithoutNode (no deletionTimestamp check upstream); pods bound
        # to a deleted node are left to PodGC.
        return False, [p for p in pods if not p.scheduled], []
    if should_run and not pods:
        return True, [], []
    if not should_continue:
        return False, [p for p in pods if not p.deleting], []
    deletes: list[Pod] = []
    failed: list[Pod] = []
    running = []
    for pod in pods:
        if pod.deleting:
            continue
        if pod.phase == FAILED:
            failed.append(pod)
        elif pod.phase == SUCCEEDED:
            deletes.append(pod)
        else:
            running.append(pod)
    if not surge:
        if len(running) > 1:
            running.sort(key=pod_sort_key)
            deletes.extend(running[1:])
        return False, deletes, failed
    if not running and should_run:
        return True, deletes, failed
    deletes.extend(_surplus_with_surge(running, revision, available))
    return False, deletes, failed


def _surplus_with_surge(running: list[Pod], revision: int, available: Available) -> list[Pod]:
    """With surge, keep the oldest new and the oldest old pod; the old one goes once the new
    one is available (or the old one is not Ready).
    """
    running.sort(key=pod_sort_key)
    deletes = []
    oldest_new = oldest_old = None
    for pod in running:
        if pod.revision == revision:
            if oldest_new is None:
                oldest_new = pod
                continue
        elif oldest_old is None:
            oldest_old = pod
            continue
        deletes.append(pod)
    if oldest_new is not None and oldest_old is not None:
        if not oldest_old.ready or available(oldest_new):
            deletes.append(oldest_old)
    return deletes


def rolling_update_without_surge(
    new: Pod | None, old: Pod | None, ok: bool, available: Available,
) -> tuple[int, Pod | None, Pod | None]:
    """Mirrors ``rollingUpdate``'s ``maxSurge == 0`` loop: (counts as unavailable, an old pod
    that must be replaced now, an old pod that is a candidate for deletion).
    """
    if not ok or (new is None and old is None) or (new is not None and old is not None):
        return 1, None, None
    if new is not None:
        return int(not available(new)), None, None
    assert old is not None
    if not available(old):
        return 1, old, None
    return 0, None, old


def rolling_update_with_surge(
    new: Pod | None, old: Pod | None, ok: bool, should_run: bool, exists: bool, available: Available,
) -> tuple[int, int, Pod | None, bool, Pod | None, Pod | None, bool]:
    """Mirrors ``rollingUpdate``'s ``maxSurge > 0`` loop: (using surge, available, old pod to
    delete now, may surge, old pod not wanted, old pod that is a surge candidate, sync error).
    """
    if not ok:
        return 1, 0, None, False, None, None, False
    b_available = int(available(old)) if old is not None else int(available(new)) if new is not None else 0
    if old is None:
        return 0, b_available, None, False, None, None, False
    if new is not None:
        if not available(new):
            return 1, b_available, None, False, None, None, False
        return 0, b_available, old, False, None, None, False
    if not exists:
        return 0, b_available, None, False, None, None, True  # nodeLister.Get fails: the whole sync errors
    if not available(old):
        if should_run:
            return 0, b_available, None, True, None, None, False
        return 0, b_available, old, False, None, None, False
    if not should_run:
        return 0, b_available, None, False, old, None, False
    return 0, b_available, None, False, None, old, False
