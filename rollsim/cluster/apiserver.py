"""The API server: the truth about nodes, pods and DaemonSets, and the watch streams on it.

One API server per simulated cluster, shared by every DaemonSet. It holds one node store,
every DaemonSet's pods and each DaemonSet's template revision and status, and publishes
every change to its watchers, as a real API server's watch does: the kubelets watch all
pods, each DaemonSet's informer and recorder watch that DaemonSet's pods (the informer may
deliver them later), ``kubectl rollout status`` watches each DaemonSet's status. Watchers
are called in the order they subscribed, the DaemonSet's own before the cluster-wide ones.

Besides the real ``ADDED``, ``MODIFIED`` and ``DELETED`` pod events, observers may watch
``AVAILABLE``: a pod's minReadySeconds have passed. Nothing changes in the API then, so no
informer receives it; it lets an observer record availability when it happens instead of
polling for it. A watcher may ask for only some kinds of pod event, and for ``DELETING``
alone of the updates: the ``MODIFIED`` event of a graceful deletion (the deletionTimestamp
set), which is all the kubelet reads of an update (its config source turns it into a DELETE);
every other watcher of updates receives it as one of them.

Every change gets the next resource version (etcd's revision: one counter for all objects),
which the controller's consistency store compares (``StaleControllerConsistencyDaemonSet``).
With ``whole_seconds`` the timestamps the API server and the kubelet write
(``creationTimestamp``, the Ready condition's ``lastTransitionTime``) are whole seconds, as
``metav1.Time`` serializes them (RFC 3339, no fraction).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import simpy

from rollsim.cluster.nodestore import NodeStore
from rollsim.cluster.timers import call_later
from rollsim.controller.consistency import DAEMONSETS, PODS, ConsistencyStore
from rollsim.controller.flowcontrol import TokenBucket
from rollsim.controller.pods import ADDED, AVAILABLE, DELETED, FAILED, MODIFIED, RUNNING, Pod

__all__ = [
    "ApiServer", "ApiPodControl", "DaemonSetObject", "PodWatcher", "DaemonSetWatcher",
    "ADDED", "MODIFIED", "DELETED", "AVAILABLE", "DELETING", "TEMPLATE", "STATUS",
]

# ADDED, MODIFIED, DELETED and AVAILABLE (not an API change: minReadySeconds have passed, for
# observers only) are the pod events' kinds, from rollsim.controller.pods
TEMPLATE, STATUS = "TEMPLATE", "STATUS"  # a DaemonSet's template revision, its status
DELETING = "DELETING"  # not a kind of event: the MODIFIED event that starts a graceful deletion, asked for alone
_POD_KINDS = (ADDED, MODIFIED, DELETED, AVAILABLE, DELETING)

PodWatcher = Callable[[str, Pod], None]
DaemonSetWatcher = Callable[[str, "DaemonSetObject"], None]


@dataclass
class DaemonSetObject:
    """A DaemonSet as the API server holds it: the template's revision, its ``metadata.generation``
    (which every change of the template bumps) and the last status the controller wrote
    (``updateDaemonSetStatus``, whose ``observed_generation`` says which generation it acted on).
    """

    name: str
    revision: int = 0
    generation: int = 1
    status: dict[str, int] = field(default_factory=dict)
    watchers: list[DaemonSetWatcher] = field(default_factory=list)  # of its template (TEMPLATE)
    status_watchers: list[DaemonSetWatcher] = field(default_factory=list)  # of its status (STATUS)
    resource_version: int = 0


class ApiServer:
    """Nodes, pods and DaemonSets as etcd holds them, and their watch streams."""

    def __init__(self, env: simpy.Environment, nodes: NodeStore, whole_seconds: bool = False) -> None:
        self.env = env
        self.nodes = nodes
        self.whole_seconds = whole_seconds
        self._second, self._stamp = 0, 0.0  # the last whole-second timestamp, as an int and as written
        self.resource_version = 0
        # every pod that exists, by uid (uids are dense, from 1: a list takes a fifth of what a dict
        # churned through by a million creates and deletes does)
        self.pods: list[Pod | None] = [None]
        # every DaemonSet's pods by node, but those in phase Failed, kept apart (``failed_by_node``):
        # a kubelet that rejects every pod while a controller creates another each time leaves
        # thousands on a node (kubernetes/kubernetes#124388), which most readers skip anyway
        self.pods_by_node: list[list[Pod]] = [[] for _ in range(len(nodes))]
        self.failed_by_node: dict[int, list[Pod]] = {}
        self._failed_uids: set[int] = set()
        # PodGC's gcTerminated (rollsim.cluster.podgc), told how many pods are terminated each time one fails
        self.on_terminated: Callable[[int], None] | None = None
        self.daemonsets: dict[str, DaemonSetObject] = {}
        # the pod watchers, with the kinds each asked for: per owner, and of every pod
        self._owned: dict[str, list[tuple[PodWatcher, frozenset[str]]]] = {}
        self._everyone: list[tuple[PodWatcher, frozenset[str]]] = []
        # per owner, per kind (DELETING: a deletion's MODIFIED): its own watchers of it, then everyone's
        self._watchers: dict[str, dict[str, list[PodWatcher]]] = {}
        self._uid = 0
        nodes.watch(self._node_changed)

    # -- watches ---------------------------------------------------------------------------

    def add_daemonset(self, name: str) -> DaemonSetObject:
        """Create the DaemonSet object (``kubectl apply``), with no watchers and no status yet."""
        ds = self.daemonsets[name] = DaemonSetObject(name)
        self._owned[name] = []
        self._watchers[name] = self._by_kind([])
        return ds

    def watch_pods(self, watcher: PodWatcher, owner: str | None = None,
                   kinds: tuple[str, ...] = (ADDED, MODIFIED, DELETED, AVAILABLE)) -> None:
        """Call ``watcher(kind, pod)`` on every change to ``owner``'s pods (every pod: None) of one
        of ``kinds`` (``DELETING``: of the updates, only a deletion's, which ``MODIFIED`` includes).
        """
        (self._everyone if owner is None else self._owned[owner]).append((watcher, frozenset(kinds)))
        self._watchers = {name: self._by_kind(owned) for name, owned in self._owned.items()}

    def _by_kind(self, owned: list[tuple[PodWatcher, frozenset[str]]]) -> dict[str, list[PodWatcher]]:
        """Per kind of event, the watchers of an owner's pods that asked for it, its own first."""
        watchers = [*owned, *self._everyone]
        by_kind = {kind: [w for w, kinds in watchers if kind in kinds] for kind in _POD_KINDS}
        by_kind[DELETING] = [w for w, kinds in watchers if DELETING in kinds or MODIFIED in kinds]
        return by_kind

    def watch_daemonset(self, name: str, watcher: DaemonSetWatcher, template: bool = True, status: bool = True) -> None:
        """Call ``watcher(kind, daemonset)`` when its template (TEMPLATE) or status (STATUS) changes;
        a watcher that reads only one of the two is not called on the other (a status write per
        acting sync in ideal mode: the recorder reads only the template).
        """
        ds = self.daemonsets[name]
        if template:
            ds.watchers.append(watcher)
        if status:
            ds.status_watchers.append(watcher)

    def timestamp(self) -> float:
        """Now, as a ``metav1.Time`` written to an object holds it."""
        now = self.env._now  # without the property: read on every write
        if not self.whole_seconds:
            return now
        second = math.floor(now)
        if second != self._second:  # the pods stamped in one second share one float (a million pods)
            self._second, self._stamp = second, float(second)
        return self._stamp

    def _next_version(self) -> int:
        self.resource_version += 1
        return self.resource_version

    def _publish(self, kind: str, pod: Pod) -> None:
        if kind != AVAILABLE:  # _next_version, inline: every pod event passes here
            self.resource_version += 1
            pod.resource_version = self.resource_version
        for watcher in self._watchers[pod.owner][kind]:
            watcher(kind, pod)

    def _node_changed(self, kind: str, node_id: int) -> None:
        if node_id == len(self.pods_by_node):
            self.pods_by_node.append([])

    # -- DaemonSets ------------------------------------------------------------------------

    def set_revision(self, name: str, revision: int) -> None:
        """The DaemonSet's pod template changes (an update, or ``kubectl rollout undo``)."""
        ds = self.daemonsets[name]
        ds.revision = revision
        ds.generation += 1
        ds.resource_version = self._next_version()
        for watcher in ds.watchers:
            watcher(TEMPLATE, ds)

    def write_status(self, name: str, status: dict[str, int]) -> None:
        """``UpdateStatus`` of the DaemonSet."""
        ds = self.daemonsets[name]
        ds.status = status
        ds.resource_version = self._next_version()
        for watcher in ds.status_watchers:
            watcher(STATUS, ds)

    # -- pods ------------------------------------------------------------------------------

    def seed_pod(self, owner: str, node: int, revision: int, since: float, ready: bool = True) -> Pod:
        """A running pod that existed before the simulation starts (not Ready on a NotReady
        node: the node lifecycle controller marks its pods so). Nobody is told.
        """
        self._uid += 1
        pod = Pod(self._uid, node, revision, since, scheduled=True, phase=RUNNING, ready=ready,
                  ready_since=since, owner=owner)
        self.pods.append(pod)
        self.pods_by_node[node].append(pod)
        return pod

    def create_pod(self, owner: str, node: int, revision: int) -> Pod:
        """Create a pod of ``owner`` for ``node`` (the controller's ``CreatePods``; not yet bound) and publish ADDED."""
        self._uid += 1
        pod = Pod(self._uid, node, revision, self.timestamp(), owner=owner)
        self.pods.append(pod)
        self.pods_by_node[node].append(pod)
        self._publish(ADDED, pod)
        return pod

    def pod(self, uid: int) -> Pod | None:
        """The pod ``uid`` if it exists (``None``: NotFound)."""
        pods = self.pods
        return pods[uid] if 0 < uid < len(pods) else None

    def delete_pod(self, uid: int) -> Pod | None:
        """A graceful delete: the pod gets its deletionTimestamp and stops being Ready at once.
        Returns the pod (None: NotFound, or already terminating, so nothing changed: the
        registry returns the object as it is, ``pendingGraceful`` in ``BeforeDelete``).

        Mirrors ``podStrategy.CheckGracefulDelete`` (pkg/registry/core/pod/strategy.go): a pod
        never bound to a node ("if the pod is not scheduled, delete immediately") or already
        Failed or Succeeded gets grace period 0, so the object is gone at once (one DELETED
        event), whether or not any kubelet is there to confirm it.
        """
        pod = self.pod(uid)
        if pod is None or pod.deleting:
            return None
        pod.deleting, pod.ready = True, False  # the object handed on: its start-up chain stops (Kubelet._gone)
        if not pod.scheduled or pod.terminal:
            self.remove_pod(pod)
        else:  # _publish(MODIFIED, pod), to the watchers of updates and of deletions alone
            self.resource_version += 1
            pod.resource_version = self.resource_version
            for watcher in self._watchers[pod.owner][DELETING]:
                watcher(MODIFIED, pod)
        return pod

    def remove_pod(self, pod: Pod) -> None:
        """The kubelet has confirmed termination (or PodGC force-deleted it): the object is gone."""
        if self.pod(pod.uid) is None:
            return
        self.pods[pod.uid] = None
        if pod.uid in self._failed_uids:
            self._unfile_failed(pod)
        else:
            self.pods_by_node[pod.node].remove(pod)
        self._publish(DELETED, pod)

    def pod_status_changed(self, pod: Pod) -> None:
        """The kubelet, the scheduler's binding or the node lifecycle controller updated the pod."""
        if pod.phase == FAILED and pod.uid not in self._failed_uids:  # its kubelet rejected or evicted it
            self._file_failed(pod)
        self._publish(MODIFIED, pod)

    def pods_on(self, node: int) -> list[Pod]:
        """Every pod bound to (or meant for) ``node``, the failed ones too."""
        failed = self.failed_by_node.get(node)
        return self.pods_by_node[node] + failed if failed else self.pods_by_node[node]

    def _file_failed(self, pod: Pod) -> None:
        """A pod turned Failed: kept apart from the others on its node."""
        self.pods_by_node[pod.node].remove(pod)
        self.failed_by_node.setdefault(pod.node, []).append(pod)
        self._failed_uids.add(pod.uid)
        if self.on_terminated is not None:
            self.on_terminated(len(self._failed_uids))

    def _unfile_failed(self, pod: Pod) -> None:
        self._failed_uids.discard(pod.uid)
        on_node = self.failed_by_node[pod.node]
        on_node.remove(pod)
        if not on_node:
            del self.failed_by_node[pod.node]

    def pod_became_available(self, pod: Pod) -> None:
        """``minReadySeconds`` have passed: nothing changes in the API; observers are told."""
        self._publish(AVAILABLE, pod)


class ApiPodControl:
    """One DaemonSet controller's writes, through the client's token bucket, each taking ``latency()``.

    Every DaemonSet's controller runs in one kube-controller-manager with one API client, so
    they share ``bucket``. With no bucket and no latency (``ideal``) a write lands before the
    call returns. When a create or a status write lands, the version the API server gave it is
    recorded in ``consistency`` (``WroteAt``), if the controller keeps one (not a delete: ``_delete``).
    """

    def __init__(
        self,
        env: simpy.Environment,
        api: ApiServer,
        owner: str,
        bucket: TokenBucket | None,
        latency: Callable[[], float] | None,
    ) -> None:
        self.env = env
        self.api = api
        self.owner = owner
        self.bucket = bucket
        self.latency = latency
        self.writes = 0
        self.consistency: ConsistencyStore | None = None
        # the controller's ``DeletionObserved``, called when a deletion lands on a pod already gone
        # (NotFound); a pod already terminating comes back unchanged, no error, as upstream
        self.not_found: Callable[[], None] | None = None
        self.at_once = bucket is None  # every write lands before its call returns (``_at``)

    def _at(self, action: Callable[..., object], *args: object) -> float:
        """Take a token, then do ``action(*args)`` once the call's latency has passed; returns when
        (with no bucket, ideal mode: now, the write done before the call returns).
        """
        self.writes += 1
        now = self.env._now
        if self.bucket is None:
            action(*args)
            return now
        done = self.bucket.reserve(now) + (self.latency() if self.latency else 0.0)
        call_later(self.env, done - now, action, *args)
        return done

    def _wrote(self, resource: str, rv: int | None) -> None:
        if self.consistency is not None and rv is not None:
            self.consistency.wrote_at(resource, rv)

    def create(self, node: int, revision: int) -> float | None:
        """``CreatePods`` for one node: the pod exists when the returned time comes."""
        return self._at(self._create, node, revision)

    def delete(self, pod: Pod) -> float | None:
        """``DeletePod``: the pod starts terminating when the returned time comes."""
        return self._at(self._delete, pod.uid)

    def write_status(self, status: dict[str, int]) -> float:
        """``UpdateStatus`` of the DaemonSet (``storeDaemonSetStatus``), landing at the returned time."""
        return self._at(self._write_status, status)

    # the writes as they land (``_at``)

    def _create(self, node: int, revision: int) -> None:
        self._wrote(PODS, self.api.create_pod(self.owner, node, revision).resource_version)

    def _delete(self, uid: int) -> None:
        """A ``DeletePod`` lands. No ``WroteAt``: through v1.37 the consistency store records the
        controller's creates and status updates only, since a delete's response does not carry the
        version of its event (client-go's typed ``Delete`` returns an error alone;
        kubernetes/kubernetes#138400: KEP-5647 "can help for creates/updates ... but not for
        deletions"; #138724, delete responses with that version, is in v1.38, which rollsim does
        not model). A sync after a delete is held by the expectations instead (``DeletionObserved``).
        """
        deleted = self.api.delete_pod(uid)
        if deleted is None and self.api.pod(uid) is None and self.not_found is not None:
            self.not_found()  # syncNodes: a DeletePod that fails NotFound is DeletionObserved at once

    def _write_status(self, status: dict[str, int]) -> None:
        self.api.write_status(self.owner, status)
        self._wrote(DAEMONSETS, self.api.daemonsets[self.owner].resource_version)
