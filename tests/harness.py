"""A harness that drives the controller sync by sync, as the upstream unit tests do.

It mirrors ``newTestController`` with ``fakePodControl``: a create adds an unscheduled,
not-Ready pod to the store at once and is observed at once; a delete removes the pod
at once (no terminating phase); the clock is fake and moves only when told. As upstream,
the DaemonSet starts with the OnDelete strategy and the failed-pod backoff is 50 ms
doubling to 500 ms. Scenarios of section 9 of the controller reference read almost
line for line::

    h = ControllerHarness(nodes=5)
    assert h.sync() == (5, 0)
    h.mark_pods_ready()
    h.set_update_strategy("RollingUpdate", max_unavailable=2)
    h.change_template()
    assert h.sync() == (0, 2)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rollsim.controller.daemon import DaemonSetController
from rollsim.controller.flowcontrol import Backoff
from rollsim.controller.pods import PENDING, RUNNING, Pod
from rollsim.spec.node import Node, PodPlacement, Taint, Toleration, uniform_nodes
from rollsim.spec.scenario import ON_DELETE, UpdateStrategy

__all__ = ["ControllerHarness"]


def _node(spec: Node | Mapping[str, Any]) -> Node:
    if isinstance(spec, Node):
        return spec
    taints = tuple(
        t if isinstance(t, Taint) else Taint(t["key"], t.get("value", ""), t.get("effect", "NoSchedule"))
        for t in spec.get("taints", ())
    )
    return Node(spec["name"], dict(spec.get("labels", {})), taints, bool(spec.get("ready", True)))


def _toleration(spec: Toleration | Mapping[str, Any]) -> Toleration:
    if isinstance(spec, Toleration):
        return spec
    return Toleration(
        spec.get("key", ""), spec.get("operator", "Equal"), spec.get("value", ""), spec.get("effect", "")
    )


class _FakePodControl:
    """``fakePodControl``: writes land in the store and are observed before the call returns."""

    def __init__(self, harness: ControllerHarness, create_limit: int | None) -> None:
        self.harness = harness
        self.create_limit = create_limit
        self.create_calls = 0
        self.creates = 0
        self.deletes = 0

    def create(self, node: int, revision: int) -> float | None:
        self.create_calls += 1
        if self.create_limit is not None and self.creates >= self.create_limit:
            return None
        self.creates += 1
        h = self.harness
        h.controller.pod_added(Pod(h._next_uid(), node, revision, h.now))
        return h.now

    def delete(self, pod: Pod) -> float | None:
        self.deletes += 1
        self.harness.controller.pod_deleted(pod.uid)
        return self.harness.now

    def write_status(self, status: dict[str, int]) -> float:
        return self.harness.now


class ControllerHarness:
    """Drive one DaemonSet's controller sync by sync with a fake clock."""

    def __init__(
        self,
        nodes: int | Iterable[Node | Mapping[str, Any]] = 5,
        *,
        placement: PodPlacement | None = None,
        create_limit: int | None = None,
        seed: int = 0,
    ) -> None:
        node_list = uniform_nodes(nodes) if isinstance(nodes, int) else tuple(_node(n) for n in nodes)
        self.now = 0.0
        self._uid = 0
        self._control = _FakePodControl(self, create_limit)
        rank = [float(i) for i in range(len(node_list))]
        self.controller = DaemonSetController(
            nodes=node_list,
            placement=placement or PodPlacement(),
            strategy=UpdateStrategy(ON_DELETE),
            min_ready_seconds=0.0,
            pod_control=self._control,
            clock=lambda: self.now,
            requeue=lambda delay: None,
            rank=rank,
            backoff=Backoff(0.05, 0.5),
        )
        self._rank = rank
        self._names = {n.name: i for i, n in enumerate(node_list)}

    def _next_uid(self) -> int:
        self._uid += 1
        return self._uid

    # -- the DaemonSet ------------------------------------------------------------------------

    def set_update_strategy(self, type: str, max_unavailable: int | str = 1, max_surge: int | str = 0) -> None:
        if type == ON_DELETE:
            self.controller.set_update_strategy(UpdateStrategy(ON_DELETE))
        else:
            self.controller.set_update_strategy(UpdateStrategy(type, max_unavailable, max_surge))

    def set_min_ready_seconds(self, seconds: float) -> None:
        self.controller.set_min_ready_seconds(seconds)

    def change_template(self, tolerations: Iterable[Toleration | Mapping[str, Any]] | None = None) -> None:
        """A new template revision; ``tolerations``, if given, replaces the template's tolerations."""
        placement = None
        if tolerations is not None:
            p = self.controller.placement
            placement = PodPlacement(
                p.node_selector, p.required_node_affinity,
                tuple(_toleration(t) for t in tolerations), p.host_network, p.node_name,
            )
        self.controller.change_template(placement)

    # -- the store ------------------------------------------------------------------------

    def _node_id(self, name: str) -> int:
        node_id = self._names.get(name)
        if node_id is None:  # a node that is not in the node list: only pods point at it
            self._rank.append(float(len(self._rank)))
            node_id = self.controller.add_node_slot(Node(name), exists=False)
            self._names[name] = node_id
        return node_id

    def add_pod(
        self,
        node: str,
        *,
        revision: str = "current",
        ready: bool = False,
        ready_since: float | None = None,
        created_at: float | None = None,
        phase: str | None = None,
        scheduled: bool = True,
        deleting: bool = False,
    ) -> None:
        """Put a pod into the store, as a test's ``newPod`` plus ``podStore.Add`` would."""
        rev = self.controller.revision if revision == "current" else self.controller.revision - 1
        pod = Pod(
            self._next_uid(), self._node_id(node), rev, self.now if created_at is None else created_at,
            scheduled=scheduled, phase=phase or (RUNNING if scheduled else PENDING),
            ready=ready, ready_since=self.now if ready_since is None else ready_since, deleting=deleting,
        )
        self.controller.pod_added(pod)
        self.controller.expectations.clear()

    def sync(self) -> tuple[int, int]:
        """One ``syncHandler`` call; returns (creates, deletes) issued in it (manage + rollingUpdate)."""
        before = (self._control.creates, self._control.deletes)
        for _wait in self.controller.sync():
            pass
        self.controller.expectations.clear()  # clearExpectations
        return self._control.creates - before[0], self._control.deletes - before[1]

    @property
    def create_calls(self) -> int:
        return self._control.create_calls

    def mark_pods_ready(
        self,
        ready: bool = True,
        nodes: Iterable[str] | None = None,
        revision: str | None = None,
        count: int | None = None,
    ) -> int:
        """Set Ready on the non-terminating pods whose readiness differs; returns how many changed."""
        c = self.controller
        wanted = None if nodes is None else {self._names[n] for n in nodes}
        changed = 0
        for pod in sorted(c.pods.values(), key=lambda p: p.uid):
            if count is not None and changed >= count:
                break
            if pod.deleting or pod.ready == ready:
                continue
            if wanted is not None and pod.node not in wanted:
                continue
            if revision is not None and (pod.revision == c.revision) != (revision == "current"):
                continue
            snapshot = pod.copy()
            snapshot.ready, snapshot.ready_since = ready, self.now
            c.pod_updated(snapshot)
            changed += 1
        return changed

    def status(self) -> dict[str, int]:
        return {k: v for k, v in _status(self.controller).items()}

    def pods(self) -> list[dict[str, Any]]:
        c = self.controller
        c.aggregate()
        from rollsim.controller.pods import is_pod_available

        return [
            {
                "node": c.nodes[p.node].name,
                "revision": "current" if p.revision == c.revision else "old",
                "ready": p.ready,
                "available": is_pod_available(p, c.min_ready_seconds, self.now),
                "terminating": p.deleting,
            }
            for p in sorted(c.pods.values(), key=lambda p: p.uid)
        ]


def _status(controller: DaemonSetController) -> dict[str, int]:
    from rollsim.controller.decisions import daemonset_status

    return daemonset_status(controller.aggregate())
