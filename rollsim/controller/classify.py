"""What one node contributes to a sync: manage, both rollingUpdate paths, and status.

The real controller rescans every node in every sync. rollsim splits that scan in two:
``classify_node`` says what a single node contributes (a pure function of the node's
eligibility and its pods), and an aggregator adds the contributions up. The reference
aggregator (``rollsim.controller.index.scan``) calls it for every node; the fast one
(``rollsim.controller.index.NodeIndex``) calls it only for nodes whose pods changed. Both feed the
same planning functions in ``rollsim.controller.decisions``, so they make the same decisions.

Each function below names the part of ``pkg/controller/daemon`` it mirrors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from rollsim.controller.pods import FAILED, SUCCEEDED, Pod, is_pod_available, pod_sort_key

__all__ = [
    "NodeClass", "classify_node", "classify_one_pod", "classify_any", "find_updated_pods_on_node", "EMPTY",
    "WANTS_POD", "node_status", "pods_should_be_on_node",
    "rolling_update_without_surge", "rolling_update_with_surge", "next_availability_change",
]


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
# ``_new_class(NodeClass, fields)`` builds a class as ``NodeClass(*fields)`` does, without the Python-level
# ``__new__`` namedtuple generates: ``classify_one_pod`` builds one per reclassified node.
_new_class = tuple.__new__


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
    inclusive: bool = True,
) -> NodeClass:
    """Classify one node from its cached pods (terminal pods with a deletionTimestamp excluded).

    ``surge`` is ``AllowsSurge(ds)`` (manage's branch); rollingUpdate picks its path from the
    scaled maxSurge at plan time, so both paths' contributions are always computed.
    ``inclusive`` selects ``IsPodAvailable``'s comparison by Kubernetes version (``<=`` from v1.34).
    """
    if should_run and exists:
        if not pods:
            return WANTS_POD
        if len(pods) == 1 and should_continue:
            return classify_one_pod(pods[0], revision, min_ready_seconds, surge, now, inclusive)
    elif not pods:
        return EMPTY
    return classify_any(pods, should_run, should_continue, exists, revision, min_ready_seconds, surge, now,
                        inclusive)


def classify_any(
    pods: list[Pod],
    should_run: bool,
    should_continue: bool,
    exists: bool,
    revision: int,
    min_ready_seconds: float,
    surge: bool,
    now: float,
    inclusive: bool = True,
) -> NodeClass:
    """``classify_node`` for any node, through each mirrored function in turn (the fast paths
    for the common nodes must agree with it: tests check they do).
    """
    if not pods and not (should_run and exists):
        return EMPTY

    def available(pod: Pod) -> bool:
        return is_pod_available(pod, min_ready_seconds, now, inclusive)

    status = node_status(pods, should_run, exists, revision, available)
    create, deletes, failed = pods_should_be_on_node(pods, should_run, should_continue, exists, revision,
                                                     surge, available)
    # rollingUpdate: node_to_pods holds nodes with pods plus desired nodes without any.
    new, old, ok = find_updated_pods_on_node(pods, revision)
    return NodeClass._make((
        *status, create, tuple(deletes), tuple(failed),
        *rolling_update_without_surge(new, old, ok, available),
        *rolling_update_with_surge(new, old, ok, should_run, exists, available),
        next_availability_change(pods, min_ready_seconds, available),
    ))


Available = Callable[[Pod], bool]

# A node that should run the pod and has none: manage creates one, and it counts as desired
# and unavailable on both rollingUpdate paths (what classify_any gives for it, computed once).
WANTS_POD = NodeClass(desired=1, create=True, a_unavailable=1)


# What ``classify_one_pod`` gives for an updated pod that is neither Failed nor Succeeded nor waiting out
# minReadySeconds, by ``2 * ready + available``: such a class holds no pod, so the nodes share one
# tuple instead of each keeping its own (at a million updated nodes, 200 MB).
_UPDATED = tuple(
    _new_class(NodeClass, (1, 1, ready, avail, 1, 0, False, (), (), 1 - avail, None, None,
                           0, avail, None, False, None, None, False, None))
    for ready in (0, 1) for avail in (0, 1)
)


def classify_one_pod(pod: Pod, revision: int, min_ready_seconds: float, surge: bool, now: float,
             inclusive: bool) -> NodeClass:
    """``classify_node`` for a node that should run and keep running the pod and has one (that is
    not both terminating and terminal):
    ``updateDaemonSetStatus``'s counts, ``podsShouldBeOnNode`` and both ``rollingUpdate`` loops
    worked out for that one pod (most nodes, most of the time).
    """
    # is_pod_available(pod, min_ready_seconds, now, inclusive), inline, and when it will flip
    next_change: float | None = None
    if not pod.ready:
        ready = avail = 0
    elif min_ready_seconds == 0:
        ready = avail = 1
    else:
        ready, due = 1, pod.ready_since + min_ready_seconds
        avail = int(due <= now if inclusive else due < now)
        if not avail:
            next_change = due
    updated = int(pod.revision == revision)
    phase = pod.phase
    if pod.deleting:  # findUpdatedPodsOnNode skips it: no new pod, no old one
        return _new_class(NodeClass, (1, 1, ready, avail, updated, 0, surge, (), (), 1, None, None,
                         0, 0, None, False, None, None, False, next_change))
    gone = phase == FAILED or phase == SUCCEEDED  # manage deletes it (with surge, creates beside it)
    if updated and not gone and next_change is None:
        return _UPDATED[ready + ready + avail]  # holds no pod: shared (most nodes, once updated)
    create = surge and gone
    failed: tuple[Pod, ...] = (pod,) if phase == FAILED else ()
    deletes: tuple[Pod, ...] = (pod,) if phase == SUCCEEDED else ()
    if updated:
        return _new_class(NodeClass, (1, 1, ready, avail, 1, 0, create, deletes, failed, 1 - avail, None, None,
                         0, avail, None, False, None, None, False, next_change))
    if avail:
        return _new_class(NodeClass, (1, 1, ready, 1, 0, 0, create, deletes, failed, 0, None, pod,
                         0, 1, None, False, None, pod, False, next_change))
    return _new_class(NodeClass, (1, 1, ready, 0, 0, 0, create, deletes, failed, 1, pod, None,
                     0, 0, None, True, None, None, False, next_change))


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
                first = min(pods, key=pod_sort_key)
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
