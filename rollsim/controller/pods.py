"""The pod object as the API server holds it and as the controller's informer caches it."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["Pod", "PENDING", "RUNNING", "FAILED", "SUCCEEDED", "pod_sort_key", "first_daemon_pod",
           "is_pod_available",
           "ADDED", "MODIFIED", "DELETED", "AVAILABLE"]

# the kinds of a pod watch event (``rollsim.cluster.apiserver`` publishes them; the controller's
# cache reads them when it is the watcher itself: ``InformerCache.hold_api_objects``)
ADDED, MODIFIED, DELETED = "ADDED", "MODIFIED", "DELETED"
AVAILABLE = "AVAILABLE"  # not an API change: minReadySeconds have passed (observers only)

PENDING = "Pending"
RUNNING = "Running"
FAILED = "Failed"
SUCCEEDED = "Succeeded"


class Pod:
    """One DaemonSet pod: the fields of a v1.Pod the DaemonSet controller reads.

    ``revision`` stands for both the ``controller-revision-hash`` and the
    ``pod-template-generation`` labels (``IsPodUpdated``): rollsim gives every template
    change a new revision number, so the two labels always agree.
    ``scheduled`` is ``spec.nodeName != ""``; ``deleting`` is ``deletionTimestamp != nil``.
    ``owner`` is the DaemonSet of its ``ownerReferences``; ``resource_version`` is
    ``metadata.resourceVersion`` (the API server's revision of its last change). ``scheduled_at`` (the PodScheduled
    condition's time), ``pulled_at`` (the kubelet's Pulled event) and ``started_at`` (the
    container's ``startedAt``) are what the kubelet reports; the controller reads none of them.
    ``watch_note`` is no field of a v1.Pod: where the pod's latest watch event stands on its way
    to the controller (``rollsim.cluster.informer``, which keeps each pod's events in order), or
    None; a copy has none.
    """

    __slots__ = (  # in __init__'s order
        "uid", "node", "revision", "created_at", "scheduled", "phase", "ready", "ready_since",
        "deleting", "owner", "resource_version", "scheduled_at", "pulled_at", "started_at", "watch_note",
    )

    def __init__(
        self,
        uid: int,
        node: int,
        revision: int,
        created_at: float,
        scheduled: bool = False,
        phase: str = PENDING,
        ready: bool = False,
        ready_since: float = 0.0,
        deleting: bool = False,
        owner: str = "",
        resource_version: int = 0,
        scheduled_at: float | None = None,
        pulled_at: float | None = None,
        started_at: float | None = None,
    ) -> None:
        self.uid = uid
        self.node = node
        self.revision = revision
        self.created_at = created_at
        self.scheduled = scheduled
        self.phase = phase
        self.ready = ready
        self.ready_since = ready_since
        self.deleting = deleting
        self.owner = owner
        self.resource_version = resource_version
        self.scheduled_at = scheduled_at
        self.pulled_at = pulled_at
        self.started_at = started_at
        self.watch_note: tuple[float, float] | None = None

    def copy(self) -> Pod:
        """An independent copy: what an informer's cache holds of the pod at this moment.

        Every field passed by position, in ``__init__``'s order: a copy per watch event, and
        the cheapest way to build one both interpreted and compiled by mypyc (which has no
        ``Pod.__new__`` without ``__init__``).
        """
        return Pod(
            self.uid, self.node, self.revision, self.created_at, self.scheduled, self.phase, self.ready,
            self.ready_since, self.deleting, self.owner, self.resource_version, self.scheduled_at,
            self.pulled_at, self.started_at,
        )

    def assign(self, other: Pod) -> None:
        """Take every field of ``other`` (an informer delivering an update)."""
        # one statement per field of __slots__ (a setattr loop costs twice as much, per watch event)
        self.uid, self.node, self.revision, self.created_at = other.uid, other.node, other.revision, other.created_at
        self.scheduled, self.phase, self.ready, self.ready_since = (
            other.scheduled, other.phase, other.ready, other.ready_since)
        self.deleting, self.owner, self.resource_version = other.deleting, other.owner, other.resource_version
        self.scheduled_at, self.pulled_at, self.started_at = other.scheduled_at, other.pulled_at, other.started_at

    @property
    def terminal(self) -> bool:
        """Whether the pod has finished: phase Failed or Succeeded."""
        return self.phase in (FAILED, SUCCEEDED)

    def __repr__(self) -> str:
        flags = "".join(
            flag for flag, on in (("S", self.scheduled), ("R", self.ready), ("D", self.deleting)) if on
        )
        return f"Pod(uid={self.uid}, node={self.node}, rev={self.revision}, {self.phase}, {flags or '-'})"


def pod_sort_key(pod: Pod) -> tuple[bool, float, int]:
    """Mirrors ``podByCreationTimestampAndPhase``: scheduled first, then oldest, then (a
    departure) creation order: upstream breaks a tie of ``creationTimestamp`` (whole seconds in
    realistic mode) by pod name, whose generated suffix is random; the uid is the creation order.
    """
    return (not pod.scheduled, pod.created_at, pod.uid)


def first_daemon_pod(pods: Iterable[Pod]) -> Pod:
    """The pod ``updateDaemonSetStatus`` reads a node by: its first after
    ``sort.Sort(podByCreationTimestampAndPhase(daemonPods))`` (``pod_sort_key``), whose
    ``IsPodUpdated`` makes the node updated (``updatedNumberScheduled``, kubectl's UP-TO-DATE).
    ``pods`` must not be empty.
    """
    return min(pods, key=pod_sort_key)


def is_pod_available(pod: Pod, min_ready_seconds: float, now: float, inclusive: bool = True) -> bool:
    """Mirrors ``podutil.IsPodAvailable``: Ready, and Ready for at least minReadySeconds.

    ``inclusive`` (v1.34 and later, kubernetes/kubernetes#132122): available once
    ``lastTransitionTime + minReadySeconds <= now``. Before v1.34 the comparison was strict
    (``lastTransitionTime.Add(minReadySeconds).Before(now)``): a pod is not yet available at
    exactly ``readySince + minReadySeconds``.
    """
    if not pod.ready:
        return False
    if min_ready_seconds == 0:
        return True
    due = pod.ready_since + min_ready_seconds
    return due <= now if inclusive else due < now
