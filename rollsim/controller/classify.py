"""What one node contributes to a sync: manage, both rollingUpdate paths, and status.

The real controller rescans every node in every sync. rollsim splits that scan in two:
``classify_node`` says what a single node contributes (a pure function of the node's
eligibility and its pods), and an aggregator adds the contributions up. The reference
aggregator (``rollsim.controller.index.scan``) calls it for every node; the fast one
(``rollsim.controller.index.NodeIndex``) calls it only for nodes whose pods changed. Both feed the
same planning functions in ``rollsim.controller.decisions``, so they make the same decisions.

``classify_any`` calls the mirrored per-node rules in turn (``rollsim.controller.noderules``,
each naming the part of ``pkg/controller/daemon`` it mirrors; importable from here too);
``classify_one_pod`` works them out at once for the commonest node, one pod it should keep.
"""

from __future__ import annotations

from typing import NamedTuple

from rollsim.controller.noderules import (
    find_updated_pods_on_node,
    next_availability_change,
    node_status,
    pods_should_be_on_node,
    rolling_update_with_surge,
    rolling_update_without_surge,
)
from rollsim.controller.pods import FAILED, SUCCEEDED, Pod, is_pod_available

__all__ = [
    "NodeClass", "classify_node", "classify_one_pod", "classify_any", "classify_with_failed",
    "find_updated_pods_on_node", "EMPTY",
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


def classify_with_failed(
    pods: list[Pod],
    failed: list[Pod],
    should_run: bool,
    should_continue: bool,
    exists: bool,
    revision: int,
    min_ready_seconds: float,
    surge: bool,
    now: float,
    inclusive: bool = True,
) -> NodeClass:
    """``classify_node`` of ``pods + failed``, where ``failed`` are the node's failed pods not being
    deleted, in ``podByCreationTimestampAndPhase`` order (the controller's cache keeps them apart:
    ``InformerCache.failed_by_node``), and ``pods`` the others (terminal ones being deleted left out).

    With more than three, a node that keeps its pods is classified from the other pods and the
    first three failed ones, and takes the whole failed list: failed pods count only through the
    first of all the node's pods in that order (``node_status``: the oldest failed pod is the first
    of them), through the failed list ``manage`` deletes from (``pods_should_be_on_node``), and
    through whether the node holds more than one new or more than one old pod not terminating
    (``findUpdatedPodsOnNode``), which three or more such pods always do; a failed pod is never
    Ready (``next_availability_change``). A kubelet that rejects every pod (disk pressure) while
    ``manage``, with surge, creates another each time no pod runs there
    (kubernetes/kubernetes#124388) leaves thousands on one node, deleted one per back-off: they
    cost what three do.
    """
    if len(failed) <= 3 or not (should_continue and exists):
        return classify_node(pods + failed, should_run, should_continue, exists, revision, min_ready_seconds,
                             surge, now, inclusive)
    cls = classify_any(pods + failed[:3], should_run, True, True, revision, min_ready_seconds, surge, now, inclusive)
    return cls._replace(failed=tuple(failed))


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


