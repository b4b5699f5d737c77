"""What a DaemonSet controller's informers keep, and their event handlers.

The pods by uid and by node, and the nodes with each one's eligibility
(``NodeShouldRunDaemonPod``), as ``DaemonSetsController``'s pod and node listers see them;
``addPod``, ``updatePod`` and ``deletePod`` (which also observe the expectations) and
``addNode`` and ``updateNode``. Every handler marks the node it touched in the controller's
node index. The pod handlers enqueue the DaemonSet's key; the node handlers only when
``syncNodeUpdate`` would (``node_update_enqueues``), and a node's deletion never (there is no
node-delete handler upstream). Node ids are indexes into ``nodes``; a node removed from the
cluster keeps its id with ``exists`` False, so pods still bound to it are counted as upstream
does.

The failed pods that are not being deleted are kept apart, per node, in
``podByCreationTimestampAndPhase`` order (``failed_by_node``): a kubelet that rejects every new
pod (disk pressure) while ``manage``, with surge, creates another each time no pod runs there
(kubernetes/kubernetes#124388) leaves thousands of them on one node, which ``manage`` deletes one
per back-off, and ``classify_node`` needs only the first few (``DaemonSetController._classify``).

With ``hold_api_objects`` (ideal mode: every API change is delivered the instant it is made) the
cache holds the API server's pod objects themselves instead of snapshots, and keeps of each
only what ``classify_node`` reads of it as of its last delivery (``class_inputs``).
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Callable, Sequence

from rollsim.controller.expectations import Expectations
from rollsim.controller.index import NodeIndex
from rollsim.controller.pods import AVAILABLE, DELETED, FAILED, MODIFIED, Pod, pod_sort_key
from rollsim.spec.eligibility import node_should_run_daemon_pod
from rollsim.spec.node import Node, PodPlacement

__all__ = ["InformerCache", "class_inputs", "node_update_enqueues"]

ClassInputs = tuple[bool, float, bool, float, int, str, bool]


def _same_class_inputs(old: Pod, new: Pod, alone: bool) -> bool:
    """Whether ``classify_node`` reads nothing that differs between two versions of a pod: it
    reads the phase only as Failed, Succeeded or neither, and ``spec.nodeName`` only to order
    several pods or on a node that no longer exists (``alone``: neither applies). Used only to
    skip reclassifying a node; the reference scan classifies every node anyway.
    """
    return (
        old.ready == new.ready and old.ready_since == new.ready_since and old.deleting == new.deleting
        and old.created_at == new.created_at and old.revision == new.revision
        and (old.phase == new.phase or not (old.terminal or new.terminal))
        and (old.scheduled == new.scheduled or alone)
    )


def _same_inputs(old: ClassInputs, new: ClassInputs, alone: bool) -> bool:
    """``_same_class_inputs`` of two pods, from their ``class_inputs``."""
    return old == new or (alone and old[:6] == new[:6])


def class_inputs(pod: Pod) -> ClassInputs:
    """What ``_same_class_inputs`` compares of a pod, as one tuple: two pods have the same class
    inputs when their tuples are equal, or (``alone``) equal but for the last item (``scheduled``).
    The phase is kept only as Failed, Succeeded or neither (""), as ``classify_node`` reads it.
    """
    return (pod.ready, pod.ready_since, pod.deleting, pod.created_at, pod.revision,
            pod.phase if pod.terminal else "", pod.scheduled)


def node_update_enqueues(should_run: bool, should_continue: bool, scheduled: bool, misscheduled: int) -> bool:
    """Whether ``syncNodeUpdate`` enqueues the DaemonSet for a node it was handed (``addNode`` and
    ``updateNode`` put the node's name on the ``nodeUpdateQueue``, kubernetes/kubernetes#130514,
    v1.33): the node should run the daemon pod and none is bound to it; it must not keep its pod
    (``shouldContinueRunning`` false) and one is bound; or one is bound and the DaemonSet's
    ``status.numberMisscheduled``, as its informer holds it, is above zero (the third case from
    kubernetes/kubernetes#132477, v1.35, cherry-picked to the v1.34 and v1.33 patch releases).
    ``scheduled``: a pod of the DaemonSet is in the pod informer's ``spec.nodeName`` index
    for the node (bound to it: a pod not yet scheduled is not), whatever its phase or deletion.
    """
    return (should_run and not scheduled) or (scheduled and (not should_continue or misscheduled > 0))


class InformerCache:
    """One DaemonSet's informer cache and handlers; ``DaemonSetController`` builds its sync on it
    and gives it the node ``index`` the handlers mark.
    """

    index: NodeIndex
    status: dict[str, int]  # the status the controller last wrote (``DaemonSet``)

    def __init__(self, nodes: Sequence[Node], placement: PodPlacement, min_ready_seconds: float,
                 requeue: Callable[[float], None], expectations: Expectations) -> None:
        self.nodes = list(nodes)
        self.placement = placement
        self.min_ready_seconds = float(min_ready_seconds)
        self.requeue = requeue
        self.expectations = expectations
        self.pods: dict[int, Pod] = {}
        self.pods_by_node: list[list[Pod]] = [[] for _ in self.nodes]  # but the failed ones below
        # by node, the failed pods not being deleted, oldest first (podByCreationTimestampAndPhase)
        self.failed_by_node: dict[int, list[Pod]] = {}
        self.exists = [True] * len(self.nodes)
        self.should_run: list[bool] = []
        self.should_continue: list[bool] = []
        self.live = False  # hold_api_objects: the cached pods are the API server's own objects
        # the DaemonSet's status as its informer last delivered it (ds.Status in the lister), kept once
        # the informer delivers status writes (status_observed); until then, or when it does not
        # (ideal mode, where every write is seen the instant it lands), the status last written
        self.informer_status: dict[str, int] | None = None
        self._seen: dict[int, ClassInputs] = {}  # and, by uid, each one's class inputs as last delivered

    def hold_api_objects(self) -> None:
        """Cache the API server's pod objects themselves, not snapshots (before any pod is cached).

        Only for an informer that delivers every change the instant the API server makes it, before
        anything else runs (ideal mode): the API object then always reads as the snapshot its last
        event would have carried, so the controller reads the same pods, at no copy per watch event.
        What ``updatePod`` compares with the cached object (the class inputs, and Ready for its
        ``AddAfter``) is kept per pod as of its last delivery (``class_inputs``), since the object
        itself has changed by then.
        """
        self.live = True

    def _eligibility(self, node: int) -> tuple[bool, bool]:
        """``NodeShouldRunDaemonPod`` for node ``node``; a node that is gone runs nothing."""
        if not self.exists[node]:
            return False, False
        return node_should_run_daemon_pod(self.nodes[node], self.placement)

    # -- node event handlers (addNode, updateNode) ----------------------------------------

    def add_node_slot(self, node: Node, exists: bool = True) -> int:
        """Give ``node`` an id: a node added to the cluster (``addNode``, then ``syncNodeUpdate``),
        or (``exists`` False) one only pods still point at, which no node event announces.
        """
        self.nodes.append(node)
        self.pods_by_node.append([])
        self.exists.append(exists)
        node_id = len(self.nodes) - 1
        should_run, should_continue = self._eligibility(node_id)
        self.should_run.append(should_run)
        self.should_continue.append(should_continue)
        self.index.mark(node_id)
        if exists:
            self.sync_node_update(node_id)
        return node_id

    def update_node(self, node: int, updated: Node) -> None:
        """A node's labels or taints changed (``updateNode``, then ``syncNodeUpdate``): its
        eligibility is recomputed and the node marked; the key is enqueued only as
        ``syncNodeUpdate`` decides.
        """
        self.nodes[node] = updated
        self.should_run[node], self.should_continue[node] = self._eligibility(node)
        self.index.mark(node)
        self.sync_node_update(node)

    def remove_node(self, node: int) -> None:
        """The node left the node list, and nothing is enqueued: there is no node-delete handler
        upstream (its pods stay in ``nodeToDaemonPods`` until PodGC removes them, and their events
        re-trigger syncs; a node update queued before is dropped: ``syncNodeUpdate`` finds no node).
        """
        self.exists[node] = False
        self.should_run[node] = False
        self.should_continue[node] = False
        self.index.mark(node)

    def sync_node_update(self, node: int) -> None:
        """Mirrors ``syncNodeUpdate`` for this DaemonSet: enqueue its key when
        ``node_update_enqueues``, from the cache alone: the node's eligibility, the pods bound to
        it in the pod cache, and ``numberMisscheduled`` of the status the DaemonSet informer holds.
        """
        scheduled = (any(pod.scheduled for pod in self.pods_by_node[node])
                     or any(pod.scheduled for pod in self.failed_by_node.get(node, ())))
        status = self.informer_status if self.informer_status is not None else self.status
        if node_update_enqueues(self.should_run[node], self.should_continue[node], scheduled,
                                status.get("misscheduled", 0)):
            self.requeue(0.0)

    def status_observed(self, status: dict[str, int]) -> None:
        """The DaemonSet informer delivered a status (``updateDaemonset``): ``ds.Status`` in its lister."""
        self.informer_status = status

    # -- informer event handlers (addPod, updatePod, deletePod) ---------------------------

    def seed_pods(self, pods: list[Pod]) -> None:
        """The pod informer's initial list, before the controller runs: every pod cached and its
        node marked, as ``addPod`` does for each, with one enqueue (the key is queued by the
        first: the others' do nothing) and no expectations observed (a new controller has none
        to observe: ``addPod``'s would be cleared).
        """
        cached, file, mark = self.pods, self._file, self.index.mark
        for pod in pods:
            cached[pod.uid] = pod
            file(pod)
            mark(pod.node)
        if self.live:
            self._seen.update((pod.uid, class_inputs(pod)) for pod in pods)
        if pods:
            self.requeue(0.0)

    def pod_added(self, pod: Pod, enqueue: bool = True) -> None:
        """Mirrors ``addPod``: cache the pod, observe its creation in the expectations, requeue.

        ``enqueue`` False (the pod handlers' last step, left out): the informer knows the key is
        dirty, so the enqueue would do nothing (``Informer.catch_up``).
        """
        if pod.uid in self.pods:  # the cache already holds it (a relist): an update
            if self.live:
                self.live_pod_event(MODIFIED, pod)
            else:
                self.pod_updated(pod, enqueue)
            return
        self.pods[pod.uid] = pod
        self._file(pod)
        if pod.deleting:  # a pod that arrives with a deletionTimestamp is a delete
            self.expectations.deletion_observed()
        else:
            self.expectations.creation_observed()
        self.index.mark(pod.node)
        if enqueue:
            self.requeue(0.0)

    def pod_updated(self, snapshot: Pod, enqueue: bool = True) -> None:
        """Mirrors ``updatePod``: the snapshot replaces the cached pod (as the informer's store
        replaces the object); a new deletionTimestamp is an observed deletion. ``enqueue``: as
        ``pod_added``'s.
        """
        cached = self.pods.get(snapshot.uid)
        if cached is None:
            self.pod_added(snapshot, enqueue)
            return
        became_ready = snapshot.ready and not cached.ready
        node = cached.node
        self.pods[snapshot.uid] = snapshot
        if cached.phase != FAILED and snapshot.phase != FAILED:  # most updates: in the node's list, in place
            on_node = self.pods_by_node[node]
            on_node[on_node.index(cached)] = snapshot
        else:
            self._refile(cached, snapshot)
        if snapshot.deleting:
            # updatePod hands every update of a pod with a deletionTimestamp to deletePod, so each
            # one counts as an observed deletion (expectations are counters, not UIDs): a
            # terminating pod updated again (say, marked not Ready when its node fails) can
            # satisfy expectations that another pod's deletion was meant to.
            self.expectations.deletion_observed()
        elif became_ready and self.min_ready_seconds > 0:
            self.requeue(self.min_ready_seconds + 1.0)
        alone = (len(self.pods_by_node[node]) == 1 and self.exists[node]) if not self.failed_by_node else \
            self._alone(node)
        if not _same_class_inputs(cached, snapshot, alone):
            self.index.mark(node)
        if enqueue:
            self.requeue(0.0)

    def live_pod_event(self, kind: str, pod: Pod) -> None:
        """The pod watch itself when the cache holds the API server's objects (``hold_api_objects``:
        the informer delivers at once, so it subscribes this instead of its own handler): ``addPod``,
        ``deletePod``, or ``updatePod`` inline. For an update the cached object is ``pod`` itself,
        already changed; the last delivery's class inputs stand for the replaced snapshot, in the
        same handler steps as ``pod_updated``.
        """
        uid, seen = pod.uid, self._seen
        if kind == DELETED:
            last = seen.pop(uid, None)  # where the pod was filed: by its last delivery, not the object now
            self.pod_deleted(uid, None if last is None else last[5] == FAILED and not last[2])
            return
        if kind == AVAILABLE:
            return  # not an API change: the informer never delivers it
        old = seen.get(uid)
        if old is None:  # ADDED, or an update of a pod not cached (pod_updated adds it)
            seen[uid] = class_inputs(pod)
            self.pod_added(pod)
            return
        # MODIFIED, or ADDED of a pod the cache holds (a relist: an update, as pod_added makes it)
        new = seen[uid] = class_inputs(pod)
        if pod.deleting:
            self.expectations.deletion_observed()  # as pod_updated (each update of a terminating pod counts)
        elif new[0] and not old[0] and self.min_ready_seconds > 0:  # became Ready
            self.requeue(self.min_ready_seconds + 1.0)
        node = pod.node
        if old[5] or new[5]:  # terminal: Failed, or a failed pod being deleted, moves between its node's lists
            was_failed = old[5] == FAILED and not old[2]
            if was_failed != (new[5] == FAILED and not new[2]):
                self._unfile(pod, was_failed)
                self._file(pod)
        if new != old and not _same_inputs(old, new, (len(self.pods_by_node[node]) == 1 and self.exists[node])
                                           if not self.failed_by_node else self._alone(node)):
            self.index.mark(node)
        self.requeue(0.0)

    def _refile(self, cached: Pod, snapshot: Pod) -> None:
        """``snapshot`` replaces ``cached``, one of them Failed: moved between its node's lists, or
        replaced in place (a failed pod's place in its order does not change).
        """
        was_failed = cached.phase == FAILED and not cached.deleting
        if was_failed != (snapshot.phase == FAILED and not snapshot.deleting):
            self._unfile(cached, was_failed)
            self._file(snapshot)
        else:
            on_node = self.failed_by_node[cached.node] if was_failed else self.pods_by_node[cached.node]
            on_node[on_node.index(cached)] = snapshot

    def _file(self, pod: Pod) -> None:
        """Put a cached pod in its node's list: the failed ones (not being deleted) in order, apart."""
        if pod.phase == FAILED and not pod.deleting:
            insort(self.failed_by_node.setdefault(pod.node, []), pod, key=pod_sort_key)
        else:
            self.pods_by_node[pod.node].append(pod)

    def _unfile(self, pod: Pod, failed: bool) -> None:
        """Take a cached pod out of its node's list (``failed``: the failed pods' list, where ``_file`` put it)."""
        if not failed:
            self.pods_by_node[pod.node].remove(pod)
            return
        on_node = self.failed_by_node[pod.node]
        on_node.remove(pod)
        if not on_node:
            del self.failed_by_node[pod.node]

    def _alone(self, node: int) -> bool:
        """Whether ``node`` exists and the cache holds one pod on it (``_same_class_inputs``' ``alone``)."""
        count = len(self.pods_by_node[node])
        if self.failed_by_node:
            count += len(self.failed_by_node.get(node, ()))
        return count == 1 and self.exists[node]

    def pod_deleted(self, uid: int, failed: bool | None = None, enqueue: bool = True) -> None:
        """Mirrors ``deletePod``: drop the pod from the cache and observe the deletion. ``failed``:
        whether it was filed with the failed pods (``live_pod_event`` knows it from the last
        delivery); by default, as the cached snapshot reads. ``enqueue``: as ``pod_added``'s.
        """
        pod = self.pods.pop(uid, None)
        if pod is None:
            return
        self._unfile(pod, pod.phase == FAILED and not pod.deleting if failed is None else failed)
        self.expectations.deletion_observed()
        self.index.mark(pod.node)
        if enqueue:
            self.requeue(0.0)
