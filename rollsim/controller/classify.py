"""What one node contributes to a sync: manage, both rollingUpdate paths, and status.

The real controller rescans every node in every sync. rollsim splits that scan in two:
``classify_node`` says what a single node contributes (a pure function of the node's
eligibility and its pods), and an aggregator adds the contributions up. The reference
aggregator (``rollsim.controller.index.scan``) calls it for every node; the fast one
(``rollsim.controller.index.NodeIndex``) calls it only for nodes whose pods changed. Both feed the
same planning functions in ``rollsim.controller.decisions``, so they make the same decisions.

Each branch below names the line of ``pkg/controller/daemon`` it mirrors.
"""

from __future__ import annotations

from typing import NamedTuple

from rollsim.controller.pods import FAILED, SUCCEEDED, Pod, is_pod_available, pod_sort_key

__all__ = ["NodeClass", "classify_node", "find_updated_pods_on_node", "EMPTY"]


class NodeClass(NamedTuple):
    """The contributions of one node. Integers are 0/1 counts; pods are what may be deleted."""

    # updateDaemonSetStatus
    desired: int = 0
    current: int = 0
    ready: int = 0
    available: int = 0
    updated: int = 0
    misscheduled: int = 0
    # manage / podsShouldBeOnNode
    create: bool = False
    deletes: tuple[Pod, ...] = ()
    failed: tuple[Pod, ...] = ()
    # rollingUpdate, maxSurge == 0
    a_unavailable: int = 0
    a_must_replace: Pod | None = None
    a_candidate: Pod | None = None
    # rollingUpdate, maxSurge > 0
    b_surge: int = 0
    b_available: int = 0
    b_delete_now: Pod | None = None
    b_allowed: bool = False
    b_not_wanted: Pod | None = None
    b_candidate: Pod | None = None
    b_error: bool = False
    # earliest time after which a pod's availability (minReadySeconds) flips, if any
    next_change: float | None = None


EMPTY = NodeClass()


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


def classify_node(
    pods: list[Pod],
    should_run: bool,
    should_continue: bool,
    exists: bool,
    revision: int,
    min_ready_seconds: float,
    surge: bool,
    now: float,
) -> NodeClass:
    """Classify one node from its cached pods (terminal pods with a deletionTimestamp excluded).

    ``surge`` is ``AllowsSurge(ds)`` (manage's branch); rollingUpdate picks its path from the
    scaled maxSurge at plan time, so both paths' contributions are always computed.
    """
    if not pods and not (should_run and exists):
        return EMPTY

    def available(pod: Pod) -> bool:
        return is_pod_available(pod, min_ready_seconds, now)

    next_change = None
    if min_ready_seconds > 0:
        for pod in pods:
            if pod.ready and not available(pod):
                flip = pod.ready_since + min_ready_seconds
                next_change = flip if next_change is None else min(next_change, flip)

    # updateDaemonSetStatus: the first pod after sorting speaks for the node.
    desired = current = ready = avail = updated = misscheduled = 0
    if exists:
        if should_run:
            desired = 1
            if pods:
                current = 1
                first = min(pods, key=pod_sort_key)
                if first.ready:
                    ready = 1
                    avail = int(available(first))
                updated = int(first.revision == revision)
        elif pods:
            misscheduled = 1

    # manage -> podsShouldBeOnNode
    create = False
    deletes: list[Pod] = []
    failed: list[Pod] = []
    if not exists:
        # getUnscheduledPodsWithoutNode (no deletionTimestamp check upstream); pods bound
        # to a deleted node are left to PodGC.
        deletes = [p for p in pods if not p.scheduled]
    elif should_run and not pods:
        create = True
    elif should_continue:
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
        elif not running and should_run:
            create = True
        else:
            running.sort(key=pod_sort_key)
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
    elif pods:
        deletes = [p for p in pods if not p.deleting]

    # rollingUpdate: node_to_pods holds nodes with pods plus desired nodes without any.
    new, old, ok = find_updated_pods_on_node(pods, revision)

    a_unavailable = 0
    a_must = a_cand = None
    if not ok or (new is None and old is None) or (new is not None and old is not None):
        a_unavailable = 1
    elif new is not None:
        a_unavailable = int(not available(new))
    elif not available(old):
        a_must, a_unavailable = old, 1
    else:
        a_cand = old

    b_surge = b_available = 0
    b_delete = b_not_wanted = b_cand = None
    b_allowed = b_error = False
    if not ok:
        b_surge = 1
    else:
        if old is not None:
            b_available = int(available(old))
        elif new is not None:
            b_available = int(available(new))
        if old is not None:
            if new is None:
                if not exists:
                    b_error = True  # nodeLister.Get fails: the whole sync errors
                elif not available(old):
                    if should_run:
                        b_allowed = True
                    else:
                        b_delete = old
                elif not should_run:
                    b_not_wanted = old
                else:
                    b_cand = old
            elif not available(new):
                b_surge = 1
            else:
                b_delete = old

    return NodeClass(
        desired, current, ready, avail, updated, misscheduled,
        create, tuple(deletes), tuple(failed),
        a_unavailable, a_must, a_cand,
        b_surge, b_available, b_delete, b_allowed, b_not_wanted, b_cand, b_error,
        next_change,
    )
