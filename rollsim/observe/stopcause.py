"""Why a rollout stopped: a cause computed from the model's own state at the end of a run.

``stop_cause`` reads plain data (``EndState``: per node, whether it is Ready, whether it
still holds an old pod and in what state its new pod is) and names what a person running
``kubectl rollout status`` would have to fix, in the order an SRE checks it:

* the new revision does not work (pods crash-looping, failing to pull, never Ready, or
  rejected by the kubelet's admission, phase Failed, which the controller deletes and creates
  again with its failed-pod back-off, or with maxSurge creates again at once, podsShouldBeOnNode's
  surge branch counting no failed pod as running): the budget (``maxUnavailable``) or the surge
  slots are held by pods that are not available;
* new pods Pending because the scheduler's filter rejects them (``NodeResourcesFit``:
  the old pod's requests still count; ``NodePorts``: the old pod holds the host port);
* nodes NotReady or unreachable: their pods, deleted, stay terminating on a kubelet that
  never confirms, or their new pods are not available (``MarkPodsNotReady`` on an unreachable
  node; a kubelet that reports Ready=False itself starts nothing); ``rollingUpdate`` counts
  both as unavailable on every node with pods; an ``OnDelete`` rollout waits only for those
  that should still run the DaemonSet (``kubectl rollout status`` counts desired nodes only: a
  NotReady node's NoSchedule taint takes it out, unless the DaemonSet tolerates it);
* ``OnDelete`` with nobody deleting old pods (the controller never does);
* an ``OnDelete`` deleter at work that made no progress with nothing failing: its batch's
  nodes not done (no new pod yet, a slow straggler, minReadySeconds not over), or its pause
  between batches (or its rate's interval) longer than the stall detector waits;
* new pods in ImagePullBackOff because the registry refused their pulls over its limit (429
  Too Many Requests, ``--registry-over-limit reject``): not a failure of the revision, each pulls
  again after its back-off, but a stall detector shorter than the back-offs (5 min at most) or the
  horizon can stop the rollout while they wait; or because the registry failed their pulls part
  way (``--registry-error-rate``: a 5xx, a timeout, a reset connection), the same back-off;
* new pods whose image requests wait in the registry's queue over its limit (``--registry-over-limit
  queue``, the default): not a failure either, each is served at its token or its place in the window
  (``EndState.registry``: which limit, and when the next is served), but a pull window frees its places
  only as its oldest requests leave it (hours, with Docker Hub's 100 per 6h), longer than stall_after;
  new pods in ImagePullBackOff beside them name the cause (their back-off is what the registry did to
  them), the queued ones said too;
* surge nodes whose old pod stays beside an available new one: the sync that would delete it
  never came (``updatePod``'s ``AddAfter(minReadySeconds + 1 s)`` dropped by the work queue,
  which keeps only a key's earliest wait, and ``updateDaemonSetStatus``'s requeue counting only
  each node's oldest pod); the real controller resumes at its informers' resync, 12–24 h on;
* the horizon reached while the rollout was still moving.

Pure: no SimPy here. ``healthy_done_s`` says when every node that could be updated was
(the others are the ones the cause names), from the run's nodes table.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from rollsim.observe.columns import column, rows
from rollsim.spec.duration import format_duration

if TYPE_CHECKING:
    from rollsim.observe.columns import Table

__all__ = [
    "AVAILABLE",
    "CAUSES",
    "CAUSE_TEXT",
    "CRASH_LOOPING",
    "DISK_PRESSURE",
    "FAILED_PODS_LEFT",
    "IMAGE_PULL_ERROR",
    "NEVER_READY",
    "NEW_STATES",
    "NONE",
    "OLD_POD_KEPT",
    "PENDING_HOST_PORT",
    "PENDING_RESOURCES",
    "PULL_ERRORED",
    "PULL_QUEUED",
    "PULL_RATE_LIMITED",
    "READY_NOT_AVAILABLE",
    "REGISTRY_ERRORS",
    "REGISTRY_QUEUED",
    "REJECTED",
    "STARTING",
    "EndState",
    "NodeEnd",
    "RegistryLimit",
    "StopCause",
    "healthy_done_s",
    "healthy_nodes",
    "is_stuck",
    "stop_cause",
    "stuck_nodes",
]

# the state of a node's pod of the new revision at the end of the run
NONE = "none"
PENDING_RESOURCES = "pending-resources"  # unschedulable: NodeResourcesFit (Insufficient cpu/memory)
PENDING_HOST_PORT = "pending-host-port"  # unschedulable: NodePorts (the old pod holds the port)
IMAGE_PULL_ERROR = "image-pull-error"  # ErrImagePull / ImagePullBackOff
PULL_RATE_LIMITED = "pull-rate-limited"  # ImagePullBackOff after a 429 from the registry: it will pull again
PULL_ERRORED = "pull-errored"  # ImagePullBackOff after the registry failed its pull part way: it will pull again
PULL_QUEUED = "pull-queued"  # its image request waits in the registry's queue over its limit: it will be served
CRASH_LOOPING = "crash-looping"  # CrashLoopBackOff
NEVER_READY = "never-ready"  # running, its readiness probe never passes
REJECTED = "rejected"  # phase Failed: the kubelet's admission rejected it (OutOfcpu, NodeAffinity, ...)
DISK_PRESSURE = "disk-pressure"  # phase Failed, Evicted: its node's eviction manager evicted or rejected it
# available, beside failed pods of the DaemonSet that manage deletes one per back-off: the status counts the
# node by its oldest pod, a failed one (surge after rejections: kubernetes/kubernetes#124388)
FAILED_PODS_LEFT = "failed-pods-left"
STARTING = "starting"  # on its way (scheduling, pulling, starting): not a failure
READY_NOT_AVAILABLE = "ready-not-available"  # Ready, minReadySeconds not yet over
AVAILABLE = "available"
NEW_STATES = (NONE, PENDING_RESOURCES, PENDING_HOST_PORT, IMAGE_PULL_ERROR, CRASH_LOOPING, NEVER_READY, REJECTED,
              STARTING, READY_NOT_AVAILABLE, AVAILABLE, PULL_RATE_LIMITED, PULL_ERRORED, PULL_QUEUED, DISK_PRESSURE,
              FAILED_PODS_LEFT)
_FAILING = (CRASH_LOOPING, IMAGE_PULL_ERROR, NEVER_READY, REJECTED, DISK_PRESSURE)
_PENDING = (PENDING_RESOURCES, PENDING_HOST_PORT)
OLD_STATES = ("none", "running", "terminating")

# the causes, in the order they are checked when several apply
COMPLETED = "completed"
OLD_POD_KEPT = "old-pod-kept"  # surge: an available new pod whose old pod no sync comes to delete
REGISTRY_RATE_LIMITED = "registry-rate-limited"  # new pods waiting out the back-off after a 429
REGISTRY_ERRORS = "registry-errors"  # new pods waiting out the back-off after a pull failed part way
REGISTRY_QUEUED = "registry-queued"  # new pods whose image requests wait in the registry's queue over its limit
ON_DELETE_WAITING = "on-delete-waiting"  # OnDelete: the deleter waits on its batch or between deletions
CAUSES = (COMPLETED, "rolled-back", *_FAILING, *_PENDING, FAILED_PODS_LEFT, "not-ready-nodes", "on-delete-idle",
          OLD_POD_KEPT, REGISTRY_RATE_LIMITED, REGISTRY_ERRORS, REGISTRY_QUEUED, "horizon", ON_DELETE_WAITING,
          "stalled")

# each cause in a few words (the report groups configurations by cause)
CAUSE_TEXT = {
    COMPLETED: "completed",
    "rolled-back": "a rollback by the operator",
    CRASH_LOOPING: "new pods crash-looping",
    IMAGE_PULL_ERROR: "new pods failing to pull their image",
    NEVER_READY: "new pods never Ready",
    REJECTED: "new pods rejected by the kubelet (phase Failed), deleted and created again with back-off",
    DISK_PRESSURE: "nodes under DiskPressure: new pods rejected, running ones evicted (Evicted)",
    FAILED_PODS_LEFT: "failed pods left beside available new ones, deleted one per back-off",
    PENDING_RESOURCES: "new pods Pending: Insufficient cpu or memory (NodeResourcesFit)",
    PENDING_HOST_PORT: "new pods Pending: another pod holds the host port (NodePorts)",
    "not-ready-nodes": "NotReady or unreachable nodes",
    "on-delete-idle": "OnDelete with nothing deleting old pods",
    OLD_POD_KEPT: "old pods kept beside available new ones (a lost minReadySeconds wake-up)",
    REGISTRY_RATE_LIMITED: "new pods in ImagePullBackOff: the registry refused their pulls over its limit (429)",
    REGISTRY_ERRORS: "new pods in ImagePullBackOff: the registry failed their pulls part way (5xx, timeouts)",
    REGISTRY_QUEUED: "new pods waiting in the registry's queue for its limit (a pull rate or a count per window)",
    "horizon": "the horizon reached",
    ON_DELETE_WAITING: "the OnDelete deleter waiting on its batch or between deletions",
    "stalled": "no progress",
}


@dataclass(frozen=True, slots=True)
class NodeEnd:
    """One node at the end of a run: ``desired`` (should run the DaemonSet), ``ready`` (the
    node's Ready condition), ``old`` (its old-revision pod: none, running or terminating) and
    ``new`` (its new-revision pod, one of ``NEW_STATES``).
    """

    name: str
    desired: bool = True
    ready: bool = True
    old: str = "running"
    new: str = NONE

    def __post_init__(self) -> None:
        if self.old not in OLD_STATES:
            raise ValueError(f"old must be one of {', '.join(OLD_STATES)}, got {self.old!r}")
        if self.new not in NEW_STATES:
            raise ValueError(f"new must be one of {', '.join(NEW_STATES)}, got {self.new!r}")


@dataclass(frozen=True, slots=True)
class RegistryLimit:
    """A limited registry when the run stops: its ``limit`` in words (``its limit of 100 per 6h``,
    ``its pull rate of 5/s (burst 5)``), whether it is a pull ``window`` (else a token bucket), when
    the first of the DaemonSet's requests waiting in its queue is served (``next_at``: the next token,
    or when the oldest request in the window leaves it; None when none waits) and when the run stopped.
    """

    limit: str
    window: bool = False
    next_at: float | None = None
    stopped_at: float = 0.0


@dataclass(frozen=True, slots=True)
class EndState:
    """What ``stop_cause`` reads: the nodes (desired ones, and any other still holding a daemon
    pod), the update strategy (``RollingUpdate``/``OnDelete``), the OnDelete deleter's kind
    (``none``, ``batch``, ``rate``), whether the run ended at its horizon and whether the
    rollout completed (``rolled_back``: an operator rolled it back, so the "new" revision is the
    old one again). ``awaited`` holds the new-pod state (one of ``NEW_STATES``) of each node the
    OnDelete batch deleter still waits for (``KubectlView.awaited``).

    ``alike`` holds more nodes, counted rather than listed: each ``(node, count)`` stands for
    ``count`` nodes in ``node``'s state (its name is empty). Only nodes that are not stuck
    (``is_stuck``) may be counted so, since their names are never read: a run's end state at a
    million nodes is then a few entries, not a million objects.
    """

    nodes: tuple[NodeEnd, ...]
    strategy: str = "RollingUpdate"
    deleter: str = "none"
    horizon_reached: bool = False
    completed: bool = False
    rolled_back: bool = False
    alike: tuple[tuple[NodeEnd, int], ...] = ()
    others: bool = False  # other DaemonSets' pods share the nodes (their requests and host ports count too)
    port_holders: tuple[str, ...] = ()  # the other DaemonSets whose pods hold a host port a Pending new pod wants
    awaited: tuple[str, ...] = ()
    registry: RegistryLimit | None = None  # the registry's limit, when it has one
    # new pods Pending (NodeResourcesFit) that the real scheduler would have placed by preempting other
    # DaemonSets' lower-priority pods, and those DaemonSets (rollsim never evicts them: a departure)
    would_preempt: tuple[int, tuple[str, ...]] = (0, ())
    failed_pods_left: int = 0  # the failed pods beside available new ones (FAILED_PODS_LEFT), in all
    clock_skew: bool = False  # some node's clock is off the controller's (--clock-skew): a cause to name
    budget: str = "maxUnavailable, or maxSurge's slots"  # what unavailable new pods hold (RollingUpdate)
    # maxUnavailable resolved at the end (``updatedDesiredNodeCounts``) and the desired nodes it is of, when it
    # is all the budget there is (maxSurge 0): what NotReady nodes holding it are told against
    max_unavailable: tuple[int, int] | None = None
    surge: bool = False  # manage's surge branch (AllowsSurge: maxSurge above 0): a failed pod is replaced at once
    no_preemption: str = ""  # why a new pod short of room preempts none of the other workloads, if it cannot
    short: tuple[str, ...] = ()  # the resources the Pending new pods lack ("cpu", "memory"); () if not known

    def __post_init__(self) -> None:
        object.__setattr__(self, "nodes", tuple(self.nodes))
        object.__setattr__(self, "alike", tuple(self.alike))
        object.__setattr__(self, "awaited", tuple(self.awaited))
        if any(new not in NEW_STATES for new in self.awaited):
            raise ValueError(f"awaited holds new-pod states ({', '.join(NEW_STATES)}), got {self.awaited!r}")
        for node, count in self.alike:
            if is_stuck(node.ready, node.new) or count < 0:
                raise ValueError(f"alike holds only nodes that are not stuck, a non-negative count each, got {node!r}: "
                                 f"{count!r}")

    def weighted(self) -> Iterator[tuple[NodeEnd, int]]:
        """Every node with its weight: each of ``nodes`` once, then ``alike``."""
        for node in self.nodes:
            yield node, 1
        yield from self.alike


@dataclass(frozen=True, slots=True)
class StopCause:
    """``cause`` (one of ``CAUSES``), the node counts behind it and a one-line ``sentence``."""

    cause: str
    counts: tuple[tuple[str, int], ...]
    sentence: str

    @property
    def detail(self) -> str:
        """The counts as ``key=n`` pairs (what ``runs.csv`` holds in ``stop_detail``)."""
        return ";".join(f"{k}={n}" for k, n in self.counts)


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def _holds_not_ready(node: NodeEnd) -> bool:
    """A NotReady node the rollout waits for: a pod stuck terminating on its dead kubelet, a new
    pod that is not available (``rollingUpdate`` counts it unavailable on every node that has
    pods, desired or not: an unreachable node's taint makes it not desired, and
    ``MarkPodsNotReady`` its pods not Ready), or a desired node without an available pod.
    """
    return not node.ready and (node.old == "terminating" or node.new not in (AVAILABLE, NONE)
                               or (node.desired and node.new != AVAILABLE))


def _not_ready_sentence(terminating: int, unavailable: int, rolling: bool, only: bool = False,
                        max_unavailable: tuple[int, int] | None = None) -> str:
    """Why NotReady nodes stop the rollout, under RollingUpdate holding its budget (maxUnavailable
    counts them) and under OnDelete keeping the deleter waiting: old pods stuck terminating on a
    dead kubelet, and new pods a NotReady node does not make available (``MarkPodsNotReady``
    on an unreachable node; a kubelet that reports Ready=False itself starts nothing). ``only``:
    they are the only nodes not updated, so what they hold is not the point: the rollout cannot
    complete (``numberAvailable`` never reaches the desired count) while they are NotReady.
    ``max_unavailable``: (the budget, the desired nodes it was resolved for) where it is the whole
    budget (maxSurge 0): the sentence names it and the ways out (audit 37: NVSentinel #1764's
    reporter worked out the 14 by hand; test-infra #31706 raised maxUnavailable).
    """
    one = terminating + unavailable == 1
    if only:
        held = (("is" if one else "are") + " the only " + ("node" if one else "nodes") + " not updated, and the "
                "rollout cannot complete while " + ("it is" if one else "they are") + " NotReady")
    else:
        held = ("holds the budget" if one else "hold the budget") if rolling else \
            ("keeps the rollout waiting" if one else "keep the rollout waiting")
    if terminating and unavailable:
        why = (f"{terminating} with pods stuck terminating on a dead kubelet, {unavailable} whose new pods are not "
               "available")
    elif terminating:
        why = "their pods stay terminating on a dead kubelet"
    else:
        why = "their new pods are not available: a NotReady node's pods are not Ready"
    nodes = terminating + unavailable
    if only or not rolling or max_unavailable is None or nodes < max_unavailable[0]:
        return f"{_plural(nodes, 'NotReady or unreachable node')} {held} ({why})"
    budget, desired = max_unavailable  # they hold all of it: what it is, and the ways out
    return (f"{_plural(nodes, 'NotReady or unreachable node')} {held}, maxUnavailable {budget:,} of {desired:,} "
            f"desired nodes ({why}): while {'it stays' if one else 'they stay'} NotReady no pod moves, unless "
            f"maxUnavailable is raised to at least {nodes + 1:,} or {'its pods go' if one else 'their pods go'} "
            f"(the Node object{'' if one else 's'} deleted, or tainted out-of-service: --out-of-service-after)")


_STUCK_NEW = frozenset((*_FAILING, *_PENDING, FAILED_PODS_LEFT))

# how the controller replaces a failed pod: without surge, manage deletes it after the per-node
# failedPodsBackoff and creates another once the node has no pod; with surge, podsShouldBeOnNode's surge branch
# counts no failed pod as running and, none running, creates another in the same sync ("We are surging so we need
# to have at least one non-deleted pod on the node", daemon_controller.go; kubernetes/kubernetes#124388)
_REPLACED = "the controller deletes each and creates another after its per-node back-off, 1 s doubling to 15 min"
_REPLACED_SURGE = ("with maxSurge the controller creates another in the same sync whenever none runs on the node "
                   "(podsShouldBeOnNode's surge branch counts no failed pod as running, kubernetes/kubernetes#124388), "
                   "as fast as the kubelet rejects them, and deletes the failed ones after its per-node back-off, "
                   "1 s doubling to 15 min")

# what the new pods of each failing state do, as stop_cause's sentence says it ({replaced}: _REPLACED or
# _REPLACED_SURGE)
_FAILING_WHAT = {
    CRASH_LOOPING: "crash-looping (CrashLoopBackOff)",
    IMAGE_PULL_ERROR: "failing to pull their image (ImagePullBackOff)",
    NEVER_READY: "running but never Ready",
    REJECTED: "rejected by the kubelet at admission (phase Failed, as for OutOfcpu or NodeAffinity; {replaced})",
    DISK_PRESSURE: "evicted or rejected by the kubelet's eviction manager, their nodes under DiskPressure (phase "
                   "Failed, reason Evicted; {replaced}, rejected again until the condition clears: critical pods, "
                   "priority at least 2000000000, are neither evicted nor rejected)",
}


def _failing_what(kind: str, surge: bool) -> str:
    """What the new pods of failing state ``kind`` do; for failed ones, how the controller replaces
    them, with maxSurge (``surge``: ``AllowsSurge``) or without.
    """
    return _FAILING_WHAT[kind].format(replaced=_REPLACED_SURGE if surge else _REPLACED)


def _failed_pods_left(nodes: int, pods: int, waiting: bool) -> str:
    """Why nodes whose new pod is available are not updated: the failed pods beside it; ``waiting``:
    other nodes are not updated either (each such node holds a maxSurge slot).
    """
    run = "runs" if nodes == 1 else "run"
    sentence = (f"{_plural(nodes, 'node')} {run} an available new pod beside {_plural(pods, 'failed pod')} of the "
                "DaemonSet (rejected or evicted: with maxSurge the controller created a pod each time none ran "
                "there, kubernetes/kubernetes#124388), which manage deletes one per node per back-off (1 s doubling "
                "to 15 min); the DaemonSet's status counts each such node by its oldest pod, a failed one")
    sentence += (", and rollingUpdate counts it against maxSurge (findUpdatedPodsOnNode gives up on a node with "
                 "more than one new pod), so the nodes still on the old revision wait" if waiting else
                 ", so the rollout is not complete")
    return sentence + " until they are gone (kubectl delete pods --field-selector=status.phase=Failed clears them)"


def is_stuck(ready: bool, new: str) -> bool:
    """Whether a node could not be updated: NotReady, or its new pod (state ``new``) fails or
    cannot be scheduled.
    """
    return not ready or new in _STUCK_NEW


def stuck_nodes(state: EndState) -> list[str]:
    """The nodes that could not be updated: NotReady, or whose new pod fails or cannot be scheduled."""
    return [n.name for n in state.nodes if is_stuck(n.ready, n.new)]


@dataclass
class _Tally:
    """The end state's nodes counted by what ``stop_cause`` asks of them."""

    total: int = 0  # desired nodes
    done: int = 0  # desired, the new pod available and no old one running (kubectl rollout status counts it)
    not_ready: int = 0  # NotReady nodes the rollout waits for (_holds_not_ready)
    terminating: int = 0  # of which an old pod stays terminating on a dead kubelet
    waiting: int = 0  # Ready, the old pod running and no new one
    kept: int = 0  # the old pod running beside an available new one (surge)
    new: Counter[str] = field(default_factory=Counter)  # new pods by state
    beside: Counter[str] = field(default_factory=Counter)  # new pods by state on nodes that still hold their old pod
    # OnDelete: NotReady nodes no longer desired whose new pod is not available (audit 32: the status counts them)
    undesired_not_ready: int = 0


def _tally(state: EndState) -> _Tally:
    t = _Tally()
    rolling = state.strategy != "OnDelete"
    for n, weight in state.weighted():
        if n.desired:
            t.total += weight
            t.done += weight if n.new == AVAILABLE and n.old != "running" else 0  # an old pod still terminating: done
            t.waiting += weight if n.ready and n.old == "running" and n.new == NONE else 0
            t.kept += weight if n.old == "running" and n.new == AVAILABLE else 0  # surge: nothing left to wait for
        if n.desired or n.new != NONE:
            t.new[n.new] += weight
            if n.old != "none":
                t.beside[n.new] += weight
        if _holds_not_ready(n) and (rolling or n.desired):  # OnDelete has no budget: only desired nodes count
            t.not_ready += weight
            t.terminating += weight if n.old == "terminating" else 0
        elif _holds_not_ready(n) and n.new not in (AVAILABLE, NONE):
            t.undesired_not_ready += weight
    return t


def _counts(t: _Tally) -> list[tuple[str, int]]:
    """The stop cause's counts: desired and updated nodes, new pods by state, NotReady nodes and old-only nodes."""
    counts = [("desired", t.total), ("updated", t.done)]
    counts += [(k, t.new[k]) for k in (*_FAILING, *_PENDING) if t.new[k]]
    return counts + [(k, n) for k, n in (("not_ready", t.not_ready), ("old_only", t.waiting)) if n]


def stop_cause(state: EndState) -> StopCause:
    """Why the rollout of ``state`` stopped (``completed`` if it did not stop short)."""
    t = _tally(state)
    total, done, not_ready, terminating, waiting, kept, new, beside = (
        t.total, t.done, t.not_ready, t.terminating, t.waiting, t.kept, t.new, t.beside)
    counts = _counts(t)
    # "updated" as the rollout counts it done: the new pod available, no old one running (not kubectl's
    # UP-TO-DATE, which counts a new pod whatever its state: the summary's "updated")
    left = f"{_plural(done, 'node')} of {total:,} updated (new pod available)"

    def result(cause: str, sentence: str) -> StopCause:
        return StopCause(cause, tuple(counts), sentence)

    if state.completed:
        return result(COMPLETED, f"completed: {left}")
    if state.rolled_back:
        return result("rolled-back", f"rolled back by the operator after the rollout stalled; {_plural(done, 'node')} "
                                     f"of {total:,} back on the old revision")
    rolling = state.strategy != "OnDelete"
    # NotReady nodes besides what the rollout stopped on: said after it
    more = f"; also {_not_ready_sentence(terminating, not_ready - terminating, rolling)}" if not_ready else ""
    failing = [k for k in _FAILING if new[k]]
    if failing:
        kind = max(failing, key=lambda k: (new[k], -_FAILING.index(k)))
        what = _failing_what(kind, state.surge)
        if done + sum(new[k] for k in failing) + not_ready >= total:  # nothing else was left to update
            fate = ("every pod created there so far was rejected" if kind in (REJECTED, DISK_PRESSURE)
                    else "they never become available")
            return result(kind, f"new pods {what} on {_plural(new[kind], 'node')}, the only nodes not updated: "
                                f"{fate}; {left}{more}")
        held = (f"hold the budget ({state.budget})" if rolling else
                "keep the batch deleter waiting (it deletes the next batch once this one's new pods are available)"
                if state.deleter == "batch" else "are not available")
        return result(kind, f"new pods {what} on {_plural(new[kind], 'node')} {held}; {left}{more}")
    pending = [k for k in _PENDING if new[k]]
    if pending:
        kind = max(pending, key=lambda k: (new[k], -_PENDING.index(k)))
        why = ("NodePorts: " + _port_holder(beside[kind], new[kind], state.port_holders) if kind != PENDING_RESOURCES
               else f"NodeResourcesFit: Insufficient {' and '.join(state.short) or 'cpu or memory'} "
               + _where_short(beside[kind], new[kind])
               + (" and the other DaemonSets' pods" if state.others else "")
               + _would_preempt(state.would_preempt, new[kind])
               + (f"; {state.no_preemption}" if state.no_preemption else ""))
        return result(kind, f"{_plural(new[kind], 'new pod')} Pending, unschedulable ({why}); {left}{more}")
    if new[FAILED_PODS_LEFT]:
        left_beside = new[FAILED_PODS_LEFT]
        sentence = _failed_pods_left(left_beside, state.failed_pods_left, done + left_beside < total)
        return result(FAILED_PODS_LEFT, f"{sentence}; {left}{more}")
    if kept and done + kept >= total and not state.horizon_reached:
        return result(*_kept_beside_not_ready(state, t, left))
    if not_ready or (t.undesired_not_ready and done >= total):  # the latter: the status counts one not desired
        sentence = (_not_ready_sentence(terminating, not_ready - terminating, rolling, rolling and done + not_ready
                                        >= total, state.max_unavailable)
                    if not_ready else _counted_still(t.undesired_not_ready))
        return result("not-ready-nodes", f"{sentence}; {left}")
    on_the_way = (new[STARTING], new[PULL_RATE_LIMITED], new[PULL_ERRORED], new[PULL_QUEUED], new[READY_NOT_AVAILABLE])
    return result(*_without_failure(state, waiting, kept, on_the_way, left))


def _kept_beside_not_ready(state: EndState, t: _Tally, left: str) -> tuple[str, str]:
    """Every desired node is done but for old pods kept beside available new ones (a surge's lost
    wake-up, ``_without_failure``): NotReady nodes left (not desired: their pods stay terminating)
    hold nothing a surge waits for, and are said after it (audit 40: 1,111 of 1,112 done beside 7
    unreachable nodes was called not-ready-nodes, and a plan sent its reader to the wrong fix).
    """
    cause, sentence = _without_failure(state, t.waiting, t.kept, (0, 0, 0, 0, 0), left)
    n = t.not_ready
    dead = f"; also {_plural(n, 'NotReady or unreachable node')}, {'its pod' if n == 1 else 'their pods'} stuck " \
           "on a dead kubelet" if n else ""
    return cause, sentence + dead


def _counted_still(nodes: int) -> str:
    """An OnDelete rollout whose every desired node is done, stopped by NotReady nodes that no longer
    should run the DaemonSet (their NoSchedule taint) but whose new pod never became available: the
    controller's last status still counts them in desiredNumberScheduled, no sync having come since
    they went NotReady (a node update enqueues the DaemonSet only as ``shouldIgnoreNodeUpdate`` and the
    version's rules let it: ``node_update_enqueues``, kubernetes/kubernetes#130514), so the rollout
    never reads as done (audit 32: it was called a slow straggler that a longer stall_after would wait for).
    """
    return (f"{_plural(nodes, 'NotReady node')} no longer desired (NoSchedule taint) "
            f"{'holds' if nodes == 1 else 'hold'} a new pod that never became available, and the controller's "
            "last status still counts it, no sync having come since the node went NotReady: the rollout never "
            "reads as done (bring the node back, or delete its Node object: DaemonSet pods ignore a drain)")


def _would_preempt(would: tuple[int, tuple[str, ...]], pending: int) -> str:
    """What upstream does where rollsim keeps a pod Pending: its scheduler would preempt the other
    DaemonSets' lower-priority pods (``EndState.would_preempt``) and bind it; rollsim never evicts
    another DaemonSet's pod (a documented departure).
    """
    count, owners = would
    if not count:
        return ""
    where = "" if count == pending else f" on {count:,} of those nodes"
    whose = " and ".join(", ".join(owners).rsplit(", ", 1))
    return (f"; the real scheduler would have preempted {whose}'s lower-priority pods{where} to make room: rollsim "
            "never evicts another DaemonSet's pod, a departure")


def _port_holder(beside: int, pending: int, holders: tuple[str, ...] = ()) -> str:
    """Who holds the host port a new pod wants: its old pod (surge), or, where that is gone,
    another DaemonSet's pod (the only other pods rollsim places), named when known (``holders``).
    """
    if beside == pending:
        return "the old pod holds the host port"
    other = "another DaemonSet's pod" + (f" ({', '.join(holders)})" if holders else "")
    if beside == 0:
        return f"{other} holds the host port"
    return f"the old pod holds the host port on {beside:,} of them, {other} on the others"


def _where_short(beside: int, pending: int) -> str:
    """Where a new pod does not fit: beside the old pod (surge), or even where it is gone."""
    if beside == pending:
        return "beside the old pod"
    if beside == 0:
        return "even with the old pod gone"
    return f"beside the old pod on {beside:,} of them, even with it gone on the others"


def _without_failure(state: EndState, waiting: int, kept: int, on_the_way: tuple[int, int, int, int, int],
                     left: str) -> tuple[str, str]:
    """``(cause, sentence)`` of a rollout that stopped with no failing pod and no NotReady node;
    ``on_the_way``: the new pods still starting, those in ImagePullBackOff after a 429, those in it
    after a pull the registry failed part way, those whose image request waits in the registry's
    queue, and those Ready but not yet available. Pods in back-off come before queued ones: the
    cause is the back-off's, the queue said too.
    """
    starting, refused, errored, queued, not_yet_available = on_the_way
    if state.strategy == "OnDelete" and state.deleter == "none" and waiting:
        return "on-delete-idle", (f"OnDelete and nothing deletes old pods: {_plural(waiting, 'node')} still run "
                                  f"the old revision; {left}")
    if kept and not state.horizon_reached:
        keeps = "keeps its" if kept == 1 else "keep their"
        early = (", or came before the pod was available, its node's clock ahead of the controller's"
                 if state.clock_skew else "")
        return OLD_POD_KEPT, (f"{_plural(kept, 'node')} {keeps} old pod beside an available new one: the sync "
                              "that deletes it never came (updatePod's AddAfter(minReadySeconds + 1 s) was dropped "
                              f"by the work queue, which keeps a key's earliest wait only{early}; and the node, "
                              "available through its old pod, asks no status requeue); the real controller "
                              f"resumes at its informers' resync, 12–24 h on; {_kept_left(left, kept)}")
    if refused or errored:
        return _backing_off(state, (refused, errored, queued), left)
    if queued:
        return REGISTRY_QUEUED, _queued_sentence(state, queued, left)
    if state.horizon_reached:
        return "horizon", f"the horizon was reached while the rollout was still moving; {left}"
    if state.strategy == "OnDelete" and state.deleter != "none" and (state.awaited or waiting):
        return ON_DELETE_WAITING, _deleter_waiting(state, waiting, left)
    if starting:  # a slow straggler outlasted the stall detector: not a failure of the revision
        return "stalled", (f"no progress, {_plural(starting, 'new pod')} still on the way to Ready (a slow "
                           f"straggler: a longer stall_after would wait for it); {left}")
    if not_yet_available:  # Ready, and minReadySeconds outlasted the stall detector: a node's clock ahead, say
        skew = " (a node clock ahead of the controller's delays it: --clock-skew)" if state.clock_skew else ""
        return "stalled", (f"no progress, {_plural(not_yet_available, 'new pod')} Ready but not yet available: "
                           f"minReadySeconds counts from the Ready condition's lastTransitionTime, in the node's "
                           f"time{skew}, and a longer stall_after would wait for "
                           f"{'it' if not_yet_available == 1 else 'them'}; {left}")
    return "stalled", f"no progress; {left}"


def _kept_left(left: str, kept: int) -> str:
    """``left`` where ``kept`` nodes keep their old pod beside an available new one: the count is
    of nodes whose old pod is gone (``kubectl rollout status`` and the status's updated count,
    which reads a node's oldest pod, do not count the others), and the others are said apart.
    """
    nodes, its = ("node has", "its") if kept == 1 else ("nodes have", "their")
    return (f"{left.replace('(new pod available)', '(new pod available, old pod gone)')}; {kept:,} more {nodes} an "
            f"available new pod beside {its} old one, not counted as updated")


def _limit(state: EndState) -> str:
    """The registry's limit in words, as ``EndState.registry`` names it (``its limit`` without it)."""
    return "its limit" if state.registry is None else state.registry.limit


def _backing_off(state: EndState, counts: tuple[int, int, int], left: str) -> tuple[str, str]:
    """``(cause, sentence)`` of a rollout stopped while new pods waited out ImagePullBackOff after the
    registry failed their last pulls; ``counts``: those it ``refused`` over its limit (429), those it
    failed part way (``errored``, its error rate), and those ``queued`` in its queue over its limit. The
    cause is the reason more pods back off for (a tie: the refusals); the other, and the queued pods
    (``REGISTRY_QUEUED`` only without a back-off), are said too.
    """
    refused, errored, queued = counts
    when = "the horizon was reached" if state.horizon_reached else "no progress"
    limit = _limit(state)
    again = "each pulls again after its back-off (10 s doubling to 5 min)"
    why_refused = f"the registry refused their pulls over {limit} (429 Too Many Requests)"
    why_errored = "the registry failed their pulls part way (a 5xx, a timeout, a reset connection)"
    waiting = f"; {queued:,} more waiting in the registry's queue for {limit}" if queued else ""
    if refused >= errored:
        cause, count, why = REGISTRY_RATE_LIMITED, refused, why_refused
        also = f"; {errored:,} more after a pull failed part way" if errored else ""
    else:
        cause, count, why = REGISTRY_ERRORS, errored, why_errored
        also = f"; {refused:,} more after a 429 over {limit}" if refused else ""
    return cause, (f"{when} while {_plural(count, 'new pod')} waited out ImagePullBackOff: {why}, "
                   f"and {again}{also}{waiting}; {left}")


def _queued_sentence(state: EndState, queued: int, left: str) -> str:
    """Why a rollout stopped while ``queued`` new pods' image requests waited in the registry's queue
    over its limit (``--registry-over-limit queue``): which limit, and when the next of them is served
    (its next token, or when the oldest request in the pull window leaves it), after the stop.
    """
    when, longer = (("the horizon was reached", "a later horizon") if state.horizon_reached else
                    ("no progress", "a longer stall_after"))
    sentence = (f"{when} while {_plural(queued, 'new pod')} waited in the registry's queue for {_limit(state)} "
                "(--registry-over-limit queue)")
    wait = state.registry
    if wait is not None and wait.next_at is not None:
        how = "the oldest request in its window leaves it" if wait.window else "its next token comes"
        sentence += (f": the next is served when {how}, {format_duration(wait.next_at)} into the run "
                     f"({format_duration(wait.next_at - wait.stopped_at)} after the stop)")
    return f"{sentence}; {longer} would wait for it; {left}"


_AWAITED = {
    NONE: "with no new pod yet",
    STARTING: "whose new pod is still on the way to Ready (slow stragglers: a longer stall_after would wait for them)",
    READY_NOT_AVAILABLE: "whose new pod is Ready, minReadySeconds not yet over (longer than stall_after)",
    AVAILABLE: "whose new pod is available",
    CRASH_LOOPING: "whose new pod is crash-looping",
    IMAGE_PULL_ERROR: "whose new pod fails to pull its image",
    NEVER_READY: "whose new pod is never Ready",
    REJECTED: "whose new pod was rejected by the kubelet (phase Failed)",
    DISK_PRESSURE: "whose node is under DiskPressure (its pods evicted or rejected: Evicted)",
    FAILED_PODS_LEFT: "whose new pod is available beside failed pods the controller deletes one per back-off",
    PULL_RATE_LIMITED: "whose new pod is in ImagePullBackOff after the registry refused its pull (429)",
    PULL_ERRORED: "whose new pod is in ImagePullBackOff after the registry failed its pull part way",
    PULL_QUEUED: "whose new pod's image request waits in the registry's queue for its limit",
    PENDING_RESOURCES: "whose new pod is Pending (NodeResourcesFit)",
    PENDING_HOST_PORT: "whose new pod is Pending (NodePorts)",
}


def _deleter_waiting(state: EndState, waiting: int, left: str) -> str:
    """Why an OnDelete deleter at work made no progress with nothing failing: the nodes of its
    batch it still waits for (``EndState.awaited``, by new-pod state), or, waiting for none
    while old pods are left, a pause between batches (``batch:K:PAUSE``) or a ``rate:S``
    interval longer than the stall detector waits (``stall_after``).
    """
    if state.awaited:
        by_state = Counter(state.awaited)
        parts = ", ".join(f"{by_state[new]} {_AWAITED[new]}" for new in NEW_STATES if by_state[new])
        batch = _plural(len(state.awaited), "node")
        return f"no progress: the batch deleter waits for {batch} of its batch: {parts}; {left}"
    between = "its pause between batches" if state.deleter == "batch" else "its interval between deletions"
    return (f"no progress: the {state.deleter} deleter was waiting out {between}, longer than stall_after, with "
            f"{_plural(waiting, 'node')} still on the old revision; {left}")


def _healthy(nodes: Table, stuck: Collection[str]) -> np.ndarray:
    """Which of ``nodes`` are desired and could be updated (not in ``stuck``)."""
    mine = column(nodes, "desired", bool)
    if stuck:
        names = set(stuck)
        mine = mine & ~np.fromiter((name in names for name in nodes["node"]), bool, len(mine))
    return mine


def healthy_nodes(nodes: Table, stuck: Collection[str] = ()) -> int:
    """How many desired nodes could be updated (not in ``stuck``): 0 when every one's new pod failed,
    could not be scheduled or its node is NotReady (``healthy_done_s`` is then 0: nothing to wait for).
    """
    return int(_healthy(nodes, stuck).sum()) if rows(nodes) else 0


def healthy_done_s(nodes: Table, stuck: Collection[str] = ()) -> float | None:
    """When every desired node that could be updated (not in ``stuck``) had an available new pod:
    the latest ``new_available_at_s`` among them, ``None`` if one of them never got one.

    ``nodes`` is a run's nodes frame, or its columns (``node``, ``desired``,
    ``new_available_at_s``); with no such node at all it is 0 (nothing had to be done).
    """
    if not rows(nodes):
        return 0.0
    times = column(nodes, "new_available_at_s", float)[_healthy(nodes, stuck)]  # one column, not the frame
    if len(times) == 0:
        return 0.0
    if np.isnan(times).any():
        return None
    return float(times.max())
