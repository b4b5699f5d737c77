"""manage(), surge pruning and eligibility scenarios ported from upstream
``pkg/controller/daemon/daemon_controller_test.go``.

Each test mirrors one upstream test of kubernetes/kubernetes (ktesting-era tree) and checks
the exact ``(creates, deletes)`` of every ``expectSyncDaemonSets`` call. Upstream runs most
of them once per ``updateStrategies()`` (OnDelete, and RollingUpdate with maxUnavailable=1);
so do these, through the ``strategy`` parameter. Event counts are not modelled by
``ControllerHarness`` and are not checked.

Pods that upstream adds with labels the selector does not match (``simpleDaemonSetLabel2``)
are not DaemonSet pods at all, so they are simply not added. Resources, host ports and node
conditions are not modelled (nor checked by upstream ``NodeShouldRunDaemonPod``), so the
upstream variants that differ only in those collapse to the plain case.
"""

from __future__ import annotations

import pytest
from rollsim.controller.pods import FAILED
from rollsim.spec.eligibility import node_should_run_daemon_pod
from rollsim.spec.node import Node, NodeSelectorRequirement, NodeSelectorTerm, PodPlacement, Toleration

from harness import ControllerHarness

STRATEGIES = ["OnDelete", "RollingUpdate"]

SIMPLE_DAEMONSET_LABEL = {"name": "simple-daemon", "type": "production"}
SIMPLE_DAEMONSET_LABEL2 = {"name": "simple-daemon", "type": "test"}
SIMPLE_NODE_LABEL = {"color": "blue", "speed": "fast"}
SIMPLE_NODE_LABEL2 = {"color": "red", "speed": "fast"}

NO_SCHEDULE_TOLERATIONS = (Toleration("dedicated", "Equal", "user1", "NoSchedule"),)
NO_SCHEDULE_TAINTS = [{"key": "dedicated", "value": "user1", "effect": "NoSchedule"}]
NO_EXECUTE_TAINTS = [{"key": "dedicated", "value": "user1", "effect": "NoExecute"}]


def _harness(strategy: str, nodes, placement: PodPlacement | None = None, **kw) -> ControllerHarness:
    """``newTestController`` + ``ds.Spec.UpdateStrategy = *strategy`` (``updateStrategies()``)."""
    h = ControllerHarness(nodes=nodes, placement=placement, **kw)
    if strategy == "RollingUpdate":
        h.set_update_strategy("RollingUpdate", max_unavailable=1)  # newRollingUpdateStrategy
    return h


def _surge_harness(max_surge: int = 1) -> ControllerHarness:
    """``ds.Spec.UpdateStrategy = newUpdateSurge(intstr.FromInt32(1))`` on 5 nodes."""
    h = ControllerHarness(nodes=5)
    h.set_update_strategy("RollingUpdate", max_unavailable=0, max_surge=max_surge)
    return h


def _add_pods(h: ControllerHarness, node: str, number: int) -> None:
    """Upstream ``addPods``: current-revision, not Ready pods, creationTimestamp left zero."""
    for _ in range(number):
        h.add_pod(node, created_at=0.0)


def _nodes(count: int, start: int = 0, labels: dict[str, str] | None = None) -> list[dict]:
    """Upstream ``addNodes(nodeStore, start, count, labels)``."""
    return [{"name": f"node-{i}", "labels": dict(labels or {})} for i in range(start, start + count)]


def _pods_per_node(h: ControllerHarness) -> dict[str, int]:
    out: dict[str, int] = {}
    for p in h.pods():
        out[p["node"]] = out.get(p["node"], 0) + 1
    return out


# -- simple launches -----------------------------------------------------------------------


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_simple_daemonset_launches_pods(strategy: str) -> None:
    """Upstream ``TestSimpleDaemonSetLaunchesPods`` (daemon_controller_test.go)."""
    h = _harness(strategy, 5)
    assert h.sync() == (5, 0)
    assert sorted(p["node"] for p in h.pods()) == [f"node-{i}" for i in range(5)]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_simple_daemonset_updates_status_after_launching_pods(strategy: str) -> None:
    """Upstream ``TestSimpleDaemonSetUpdatesStatusAfterLaunchingPods`` (daemon_controller_test.go).

    The single sync already reports the pods manage just created.
    """
    h = _harness(strategy, 5)
    assert h.sync() == (5, 0)
    assert h.status()["current"] == 5


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_no_nodes_does_nothing(strategy: str) -> None:
    """Upstream ``TestNoNodesDoesNothing`` (daemon_controller_test.go)."""
    h = _harness(strategy, 0)
    assert h.sync() == (0, 0)
    assert h.status()["desired"] == 0


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_one_node_daemon_launches_pod(strategy: str) -> None:
    """Upstream ``TestOneNodeDaemonLaunchesPod`` (daemon_controller_test.go)."""
    h = _harness(strategy, [{"name": "only-node"}])
    assert h.sync() == (1, 0)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_not_ready_node_daemon_does_launch_pod(strategy: str) -> None:
    """Upstream ``TestNotReadyNodeDaemonDoesLaunchPod`` (daemon_controller_test.go).

    Node Ready=False (no taint): readiness is not an eligibility criterion.
    """
    h = _harness(strategy, [{"name": "not-ready", "ready": False}])
    assert h.sync() == (1, 0)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_network_unavailable_node_daemon_launches_pod(strategy: str) -> None:
    """Upstream ``TestNetworkUnavailableNodeDaemonLaunchesPod`` (daemon_controller_test.go).

    Only the NetworkUnavailable condition is set (no taint), so the pod is launched.
    """
    h = _harness(strategy, [{"name": "network-unavailable"}])
    assert h.sync() == (1, 0)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_insufficient_capacity_node_daemon_does_not_unschedule_running_pod(strategy: str) -> None:
    """Upstream ``TestInsufficientCapacityNodeDaemonDoesNotUnscheduleRunningPod``.

    (daemon_controller_test.go) Template nodeName "too-much-mem"; the only pod in the
    store is not a DaemonSet pod, so one pod is created whatever the capacity.
    """
    h = _harness(strategy, [{"name": "too-much-mem"}], PodPlacement(node_name="too-much-mem"))
    assert h.sync() == (1, 0)


def test_insufficient_capacity_node_sufficient_capacity_with_node_label_daemon_launch_pod() -> None:
    """Upstream ``TestInsufficientCapacityNodeSufficientCapacityWithNodeLabelDaemonLaunchPod``.

    (daemon_controller_test.go) Only the labelled node matches the nodeSelector.
    """
    nodes = [{"name": "not-enough-resource"}, {"name": "enough-resource", "labels": SIMPLE_NODE_LABEL}]
    h = ControllerHarness(nodes=nodes, placement=PodPlacement(node_selector=SIMPLE_NODE_LABEL))
    assert h.sync() == (1, 0)
    assert [p["node"] for p in h.pods()] == ["enough-resource"]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_port_conflict_with_same_daemon_pod_does_not_delete_pod(strategy: str) -> None:
    """Upstream ``TestPortConflictWithSameDaemonPodDoesNotDeletePod`` (daemon_controller_test.go)."""
    h = _harness(strategy, [{"name": "port-conflict"}], PodPlacement(node_name="port-conflict"))
    h.add_pod("port-conflict")
    assert h.sync() == (0, 0)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_no_port_conflict_node_daemon_launches_pod(strategy: str) -> None:
    """Upstream ``TestNoPortConflictNodeDaemonLaunchesPod`` (daemon_controller_test.go)."""
    h = _harness(strategy, [{"name": "no-port-conflict"}], PodPlacement(node_name="no-port-conflict"))
    assert h.sync() == (1, 0)


# -- item 15: create errors and slow start -------------------------------------------------


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_simple_daemonset_pod_create_errors(strategy: str) -> None:
    """Upstream ``TestSimpleDaemonSetPodCreateErrors`` (daemon_controller_test.go).

    100 nodes, the fake allows 10 creates: slow start (1, 2, 4, 8) gives up after the
    failing batch, so at most 1+2+4+8 = 15 create calls are made, not 100.
    """
    create_limit = 10
    h = _harness(strategy, create_limit * 10, create_limit=create_limit)
    assert h.sync() == (create_limit, 0)

    expected_limit, batch = 0, 1  # SlowStartInitialBatchSize << pass, while <= CreateLimit
    while expected_limit <= create_limit:
        expected_limit += batch
        batch *= 2
    assert expected_limit == 15
    assert h.create_calls <= expected_limit

    status = h.status()
    assert status["desired"] == create_limit * 10
    assert status["current"] == create_limit
    assert status["updated"] == create_limit


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_daemonset_pod_create_expectations_error(strategy: str) -> None:
    """Upstream ``TestDaemonSetPodCreateExpectationsError`` (daemon_controller_test.go).

    After the failed slow start the expectations are satisfied (the skipped creates were
    subtracted), so the next sync may create again.
    """
    h = _harness(strategy, 100, create_limit=10)
    # one syncHandler call, driven directly: ControllerHarness.sync() would end with
    # clearExpectations and hide what this test is about
    for _wait in h.controller.sync():
        pass
    assert h.status()["current"] == 10
    c = h.controller
    assert c.expectations.satisfied(h.now)


# -- item 12: existing pods ------------------------------------------------------------------


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_deals_with_existing_pods(strategy: str) -> None:
    """Upstream ``TestDealsWithExistingPods`` (daemon_controller_test.go).

    node-1 has 1 pod, node-2 has 2, node-3 has 5; node-4's 2 pods carry labels the
    selector does not match (not DaemonSet pods). Creates on node-0 and node-4; deletes
    the 1 + 4 excess pods.
    """
    h = _harness(strategy, 5)
    _add_pods(h, "node-1", 1)
    _add_pods(h, "node-2", 2)
    _add_pods(h, "node-3", 5)
    assert h.sync() == (2, 5)
    assert _pods_per_node(h) == {f"node-{i}": 1 for i in range(5)}


def test_surge_deals_with_existing_pods() -> None:
    """Upstream ``TestSurgeDealsWithExistingPods`` (daemon_controller_test.go), maxSurge=1."""
    h = _surge_harness()
    _add_pods(h, "node-1", 1)
    _add_pods(h, "node-2", 2)
    _add_pods(h, "node-3", 5)
    assert h.sync() == (2, 5)
    assert _pods_per_node(h) == {f"node-{i}": 1 for i in range(5)}


# -- item 13: surge pruning ----------------------------------------------------------------


def _deleted(h: ControllerHarness, before: set[int]) -> set[int]:
    return before - set(h.controller.pods)


def test_surge_preserves_ready_old_pods() -> None:
    """Upstream ``TestSurgePreservesReadyOldPods`` (daemon_controller_test.go).

    node-1: a new unready pod (t=100), an old Ready pod (t=50, oldest: kept) and an old
    Ready pod (t=60, excess: deleted). node-2 has one new pod. Creates on 0, 3, 4.
    """
    h = _surge_harness()
    # will be preserved because it's the current hash
    h.add_pod("node-1", created_at=100.0)
    # will be preserved because it's the oldest AND it is ready
    h.add_pod("node-1", revision="old", created_at=50.0, ready=True, ready_since=0.0)
    keep_old = max(h.controller.pods)
    # will be deleted because it's not the oldest, even though it is ready
    h.add_pod("node-1", revision="old", created_at=60.0, ready=True, ready_since=0.0)
    old_ready = max(h.controller.pods)
    _add_pods(h, "node-2", 1)

    before = set(h.controller.pods)
    assert h.sync() == (3, 1)
    assert _deleted(h, before) == {old_ready}
    assert keep_old in h.controller.pods
    assert _pods_per_node(h) == {"node-0": 1, "node-1": 2, "node-2": 1, "node-3": 1, "node-4": 1}


def test_surge_creates_new_pod_when_at_max_surge_and_old_pod_deleted() -> None:
    """Upstream ``TestSurgeCreatesNewPodWhenAtMaxSurgeAndOldPodDeleted`` (daemon_controller_test.go).

    node-0's unready new pod uses the whole surge budget, but node-4's only pod is
    terminating, so manage creates a pod there anyway: (1, 0).
    """
    h = _surge_harness()
    # will be preserved because it has the newest hash, and is also consuming the surge budget
    h.add_pod("node-0", created_at=100.0, ready=False)
    # will be preserved because it is ready
    h.add_pod("node-0", revision="old", created_at=50.0, ready=True, ready_since=0.0)
    # create old ready pods on all other nodes; the last one is being deleted
    for i in range(1, 5):
        h.add_pod(f"node-{i}", revision="old", created_at=1.0, ready=True, ready_since=0.0,
                  deleting=(i == 4))

    # controller should detect that node-4 has only a deleted pod
    assert h.sync() == (1, 0)
    node4 = [p for p in h.pods() if p["node"] == "node-4"]
    assert sorted((p["revision"], p["terminating"]) for p in node4) == [("current", False), ("old", True)]


def test_surge_deletes_unready_old_pods() -> None:
    """Upstream ``TestSurgeDeletesUnreadyOldPods`` (daemon_controller_test.go).

    As TestSurgePreservesReadyOldPods, but the oldest old pod (t=50) is not Ready: it is
    deleted as well as the excess old pod.
    """
    h = _surge_harness()
    # will be preserved because it has the newest hash
    h.add_pod("node-1", created_at=100.0)
    # will be deleted because it is unready
    h.add_pod("node-1", revision="old", created_at=50.0, ready=False)
    old_unready = max(h.controller.pods)
    # will be deleted because it is not the oldest
    h.add_pod("node-1", revision="old", created_at=60.0, ready=True, ready_since=0.0)
    old_ready = max(h.controller.pods)
    _add_pods(h, "node-2", 1)

    before = set(h.controller.pods)
    assert h.sync() == (3, 2)
    assert _deleted(h, before) == {old_ready, old_unready}


def test_surge_preserves_old_ready_with_unsatisfied_min_ready() -> None:
    """Upstream ``TestSurgePreservesOldReadyWithUnsatisfiedMinReady`` (daemon_controller_test.go).

    minReadySeconds=15; node-1's new pod went Ready at t=50 and the clock is t=60, so it
    is not yet available: the oldest old Ready pod is kept, only the excess one goes.
    """
    h = _surge_harness()
    h.set_min_ready_seconds(15)
    # the clock is 10s after the newest pod on node-1 went ready, not long enough to be available
    h.now = 50.0 + 10.0
    # will be preserved because it has the newest hash
    h.add_pod("node-1", created_at=100.0, ready=True, ready_since=50.0)
    # will be preserved because it is ready AND the newest pod is not yet available for long enough
    h.add_pod("node-1", revision="old", created_at=50.0, ready=True, ready_since=0.0)
    old_ready = max(h.controller.pods)
    # will be deleted because it is not the oldest
    h.add_pod("node-1", revision="old", created_at=60.0, ready=True, ready_since=0.0)
    old_excess_ready = max(h.controller.pods)
    _add_pods(h, "node-2", 1)

    before = set(h.controller.pods)
    assert h.sync() == (3, 1)
    assert _deleted(h, before) == {old_excess_ready}
    assert old_ready in h.controller.pods


def test_surge_deletes_old_ready_with_unsatisfied_min_ready() -> None:
    """Upstream ``TestSurgeDeletesOldReadyWithUnsatisfiedMinReady`` (daemon_controller_test.go).

    Same, but the clock is t=70 (50 + 15 < 70): the new pod is available, so the oldest
    old pod is deleted too.
    """
    h = _surge_harness()
    h.set_min_ready_seconds(15)
    # the clock is 20s after the newest pod on node-1 went ready: long enough to be available
    h.now = 50.0 + 20.0
    h.add_pod("node-1", created_at=100.0, ready=True, ready_since=50.0)
    h.add_pod("node-1", revision="old", created_at=50.0, ready=True, ready_since=0.0)
    old_ready = max(h.controller.pods)
    h.add_pod("node-1", revision="old", created_at=60.0, ready=True, ready_since=0.0)
    old_excess_ready = max(h.controller.pods)
    _add_pods(h, "node-2", 1)

    before = set(h.controller.pods)
    assert h.sync() == (3, 2)
    assert _deleted(h, before) == {old_excess_ready, old_ready}


# -- item 14: failed pods ------------------------------------------------------------------


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize(
    ("failed", "normal", "expected"),
    [
        (0, 1, (0, 0)),  # normal (do nothing)
        (0, 0, (1, 0)),  # no pods (create 1)
        (1, 0, (0, 1)),  # 1 failed pod (kill 1), 0 normal pod (create 0; will create in the next sync)
        (1, 3, (0, 3)),  # 1 failed pod (kill 1), 3 normal pods (kill 2)
    ],
)
def test_daemon_kill_failed_pods(strategy: str, failed: int, normal: int, expected: tuple[int, int]) -> None:
    """Upstream ``TestDaemonKillFailedPods`` (daemon_controller_test.go).

    One node; kill every failed pod and keep at most one pod on the node. (Upstream also
    counts 1 FailedDaemonPod event per killed failed pod; events are not modelled.)
    """
    h = _harness(strategy, 1)
    for _ in range(failed):
        h.add_pod("node-0", phase="Failed")
    for _ in range(normal):
        h.add_pod("node-0")
    assert h.sync() == expected
    if failed and not normal:
        # the replacement comes in the next sync, once the node has no pod
        assert h.sync() == (1, 0)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_daemon_kill_failed_pods_backoff(strategy: str) -> None:
    """Upstream ``TestDaemonKillFailedPodsBackoff`` (daemon_controller_test.go).

    The first sync deletes the failed pod and starts the backoff (50 ms in the test
    controller); an immediate second sync leaves the failed pod alone and does not raise
    the delay; 1 ns before the delay ends it still waits; once it has passed the failed
    pod is deleted again.

    Harness differences, made explicit: (1) upstream's fake ``DeletePod`` fails for a pod
    put straight into the store, so the failed pod stays; here the delete succeeds, so a
    failed pod is put back after each delete. (2) The backoff key includes
    ``ds.Status.ObservedGeneration``; upstream's store never sees the status write (and its
    DaemonSet has generation 0), so the key is stable. Here the status is written back at
    once, so a first sync is run before the pod fails, to settle observedGeneration.
    """
    h = _harness(strategy, 1)
    h.add_pod("node-0", phase="Running")
    assert h.sync() == (0, 0)  # settles status.observedGeneration
    (pod,) = h.controller.pods.values()
    failed = pod.copy()
    failed.phase = FAILED
    h.controller.pod_updated(failed)  # the pod fails

    # First sync will delete the pod, initializing backoff
    assert h.sync() == (0, 1)
    h.add_pod("node-0", phase="Failed")  # the fake's delete of a store-only pod fails upstream

    # Immediate (second) sync gets limited by the backoff
    assert h.sync() == (0, 0)
    assert h.pods()[0]["node"] == "node-0" and len(h.pods()) == 1

    # Move just before the backoff end time: the delay was not raised (else still waiting)
    h.now = 0.05 - 1e-9
    assert h.sync() == (0, 0)

    # After backoff time, it will delete the failed pod
    h.now = 0.05
    assert h.sync() == (0, 1)


# -- item 16: eligibility ------------------------------------------------------------------

_TYPE_TEST = NodeSelectorTerm(match_expressions=(NodeSelectorRequirement("type", "In", ("test",)),))
_TYPE_PRODUCTION = NodeSelectorTerm(
    match_expressions=(NodeSelectorRequirement("type", "In", ("production",)),)
)
_PLAIN = PodPlacement()
_OTHER_NODE = PodPlacement(node_name="other-node")
_SELECT_TEST = PodPlacement(node_selector=SIMPLE_DAEMONSET_LABEL2)
_SELECT_PRODUCTION = PodPlacement(node_selector=SIMPLE_DAEMONSET_LABEL)
_AFFINITY_TEST = PodPlacement(required_node_affinity=(_TYPE_TEST,))
_AFFINITY_PRODUCTION = PodPlacement(required_node_affinity=(_TYPE_PRODUCTION,))
RUN, GONE = (True, True), (False, False)


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize(
    ("predicate", "placement", "unschedulable", "expected"),
    [
        ("ShouldRunDaemonPod", _PLAIN, False, RUN),
        ("InsufficientResourceError", _PLAIN, False, RUN),
        ("ErrPodNotMatchHostName", _OTHER_NODE, False, GONE),
        ("ErrPodNotFitsHostPorts", _PLAIN, False, RUN),
        ("InsufficientResourceError(pods on node)", _PLAIN, False, RUN),
        ("ShouldRunDaemonPod(pods on node)", _PLAIN, False, RUN),
        ("ErrNodeSelectorNotMatch", _SELECT_TEST, False, GONE),
        ("ShouldRunDaemonPod(nodeSelector)", _SELECT_PRODUCTION, False, RUN),
        ("ErrPodAffinityNotMatch", _AFFINITY_TEST, False, GONE),
        ("ShouldRunDaemonPod(affinity)", _AFFINITY_PRODUCTION, False, RUN),
        ("ShouldRunDaemonPodOnUnschedulableNode", _PLAIN, True, RUN),
    ],
)
def test_node_should_run_daemon_pod(
    strategy: str, predicate: str, placement: PodPlacement, unschedulable: bool, expected: tuple[bool, bool]
) -> None:
    """Upstream ``TestNodeShouldRunDaemonPod`` (daemon_controller_test.go).

    Node "test-node" labelled simpleDaemonSetLabel. Resources and host ports are not
    checked, so those cases are (true, true). Also checked through a sync: a pod is
    created exactly when shouldRun.
    """
    node = Node("test-node", SIMPLE_DAEMONSET_LABEL, unschedulable=unschedulable)
    assert node_should_run_daemon_pod(node, placement) == expected, predicate
    h = _harness(strategy, [node], placement)
    assert h.sync() == ((1, 0) if expected[0] else (0, 0)), predicate


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_no_schedule_tainted_doesnt_evicit_running_intolerant_pod(strategy: str) -> None:
    """Upstream ``TestNoScheduleTaintedDoesntEvicitRunningIntolerantPod`` (daemon_controller_test.go)."""
    h = _harness(strategy, [{"name": "tainted", "taints": NO_SCHEDULE_TAINTS}])
    h.add_pod("tainted")
    assert h.sync() == (0, 0)
    assert h.status()["misscheduled"] == 1


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_no_execute_tainted_does_evicit_running_intolerant_pod(strategy: str) -> None:
    """Upstream ``TestNoExecuteTaintedDoesEvicitRunningIntolerantPod`` (daemon_controller_test.go)."""
    h = _harness(strategy, [{"name": "tainted", "taints": NO_EXECUTE_TAINTS}])
    h.add_pod("tainted")
    assert h.sync() == (0, 1)
    assert h.pods() == []


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_tainted_node_daemon_does_not_launch_intolerant_pod(strategy: str) -> None:
    """Upstream ``TestTaintedNodeDaemonDoesNotLaunchIntolerantPod`` (daemon_controller_test.go)."""
    h = _harness(strategy, [{"name": "tainted", "taints": NO_SCHEDULE_TAINTS}])
    assert h.sync() == (0, 0)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_tainted_node_daemon_launches_tolerate_pod(strategy: str) -> None:
    """Upstream ``TestTaintedNodeDaemonLaunchesToleratePod`` (daemon_controller_test.go)."""
    placement = PodPlacement(tolerations=NO_SCHEDULE_TOLERATIONS)
    h = _harness(strategy, [{"name": "tainted", "taints": NO_SCHEDULE_TAINTS}], placement)
    assert h.sync() == (1, 0)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_not_ready_node_daemon_launches_pod(strategy: str) -> None:
    """Upstream ``TestNotReadyNodeDaemonLaunchesPod`` (daemon_controller_test.go).

    not-ready:NoExecute is among the tolerations every DaemonSet pod gets.
    """
    taints = [{"key": "node.kubernetes.io/not-ready", "effect": "NoExecute"}]
    h = _harness(strategy, [{"name": "tainted", "taints": taints, "ready": False}])
    assert h.sync() == (1, 0)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_unreachable_node_daemon_launches_pod(strategy: str) -> None:
    """Upstream ``TestUnreachableNodeDaemonLaunchesPod`` (daemon_controller_test.go)."""
    taints = [{"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"}]
    h = _harness(strategy, [{"name": "tainted", "taints": taints, "ready": False}])
    assert h.sync() == (1, 0)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_node_daemon_launches_tolerate_pod(strategy: str) -> None:
    """Upstream ``TestNodeDaemonLaunchesToleratePod`` (daemon_controller_test.go)."""
    h = _harness(strategy, 1, PodPlacement(tolerations=NO_SCHEDULE_TOLERATIONS))
    assert h.sync() == (1, 0)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_taint_pressure_node_daemon_launches_pod(strategy: str) -> None:
    """Upstream ``TestTaintPressureNodeDaemonLaunchesPod`` (daemon_controller_test.go)."""
    taints = [
        {"key": "node.kubernetes.io/disk-pressure", "effect": "NoSchedule"},
        {"key": "node.kubernetes.io/memory-pressure", "effect": "NoSchedule"},
        {"key": "node.kubernetes.io/pid-pressure", "effect": "NoSchedule"},
    ]
    h = _harness(strategy, [{"name": "resources-pressure", "taints": taints}])
    assert h.sync() == (1, 0)


# -- item 17: selectors and node names -----------------------------------------------------


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_selector_daemon_launches_pods(strategy: str) -> None:
    """Upstream ``TestSelectorDaemonLaunchesPods`` (daemon_controller_test.go): 7 nodes, 3 labelled."""
    nodes = _nodes(4) + _nodes(3, 4, SIMPLE_NODE_LABEL)
    h = _harness(strategy, nodes, PodPlacement(node_selector=SIMPLE_NODE_LABEL))
    assert h.sync() == (3, 0)
    assert sorted(p["node"] for p in h.pods()) == ["node-4", "node-5", "node-6"]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_selector_daemon_deletes_unselected_pods(strategy: str) -> None:
    """Upstream ``TestSelectorDaemonDeletesUnselectedPods`` (daemon_controller_test.go).

    10 nodes, node-5..9 labelled. DaemonSet pods: 3 on node-1, 1 on node-4 (both
    unselected: deleted); creates on the 5 labelled nodes.
    """
    nodes = _nodes(5) + _nodes(5, 5, SIMPLE_NODE_LABEL)
    h = _harness(strategy, nodes, PodPlacement(node_selector=SIMPLE_NODE_LABEL))
    _add_pods(h, "node-1", 3)
    _add_pods(h, "node-4", 1)
    assert h.sync() == (5, 4)
    assert sorted(p["node"] for p in h.pods()) == [f"node-{i}" for i in range(5, 10)]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_selector_daemon_deals_with_existing_pods(strategy: str) -> None:
    """Upstream ``TestSelectorDaemonDealsWithExistingPods`` (daemon_controller_test.go).

    Deletes 1 + 3 + 4 pods on unselected node-0..2 and 12 excess on node-6; creates on
    node-5, node-7 and node-8.
    """
    nodes = _nodes(5) + _nodes(5, 5, SIMPLE_NODE_LABEL)
    h = _harness(strategy, nodes, PodPlacement(node_selector=SIMPLE_NODE_LABEL))
    _add_pods(h, "node-0", 1)
    _add_pods(h, "node-1", 3)
    _add_pods(h, "node-2", 4)
    _add_pods(h, "node-6", 13)
    _add_pods(h, "node-9", 1)
    assert h.sync() == (3, 20)
    assert _pods_per_node(h) == {f"node-{i}": 1 for i in range(5, 10)}


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_bad_selector_daemon_does_nothing(strategy: str) -> None:
    """Upstream ``TestBadSelectorDaemonDoesNothing`` (daemon_controller_test.go)."""
    nodes = _nodes(4) + _nodes(3, 4, SIMPLE_NODE_LABEL)
    h = _harness(strategy, nodes, PodPlacement(node_selector=SIMPLE_NODE_LABEL2))
    assert h.sync() == (0, 0)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_name_daemonset_launches_pods(strategy: str) -> None:
    """Upstream ``TestNameDaemonSetLaunchesPods`` (daemon_controller_test.go)."""
    h = _harness(strategy, 5, PodPlacement(node_name="node-0"))
    assert h.sync() == (1, 0)
    assert [p["node"] for p in h.pods()] == ["node-0"]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_bad_name_daemonset_does_nothing(strategy: str) -> None:
    """Upstream ``TestBadNameDaemonSetDoesNothing`` (daemon_controller_test.go)."""
    h = _harness(strategy, 5, PodPlacement(node_name="node-10"))
    assert h.sync() == (0, 0)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_name_and_selector_daemonset_launches_pods(strategy: str) -> None:
    """Upstream ``TestNameAndSelectorDaemonSetLaunchesPods`` (daemon_controller_test.go)."""
    nodes = _nodes(4) + _nodes(3, 4, SIMPLE_NODE_LABEL)
    h = _harness(strategy, nodes, PodPlacement(node_selector=SIMPLE_NODE_LABEL, node_name="node-6"))
    assert h.sync() == (1, 0)
    assert [p["node"] for p in h.pods()] == ["node-6"]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_inconsistent_name_selector_daemonset_does_nothing(strategy: str) -> None:
    """Upstream ``TestInconsistentNameSelectorDaemonSetDoesNothing`` (daemon_controller_test.go)."""
    nodes = _nodes(4) + _nodes(3, 4, SIMPLE_NODE_LABEL)
    h = _harness(strategy, nodes, PodPlacement(node_selector=SIMPLE_NODE_LABEL, node_name="node-0"))
    assert h.sync() == (0, 0)


def test_selector_daemonset_launches_pods() -> None:
    """Upstream ``TestSelectorDaemonSetLaunchesPods`` (daemon_controller_test.go), OnDelete only."""
    nodes = _nodes(4) + _nodes(3, 4, SIMPLE_NODE_LABEL)
    h = ControllerHarness(nodes=nodes, placement=PodPlacement(node_selector=SIMPLE_NODE_LABEL))
    assert h.sync() == (3, 0)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_node_affinity_daemon_launches_pods(strategy: str) -> None:
    """Upstream ``TestNodeAffinityDaemonLaunchesPods`` (daemon_controller_test.go).

    Required node affinity ``color In [blue]``: 7 nodes, 3 labelled.
    """
    term = NodeSelectorTerm(match_expressions=(NodeSelectorRequirement("color", "In", ("blue",)),))
    nodes = _nodes(4) + _nodes(3, 4, SIMPLE_NODE_LABEL)
    h = _harness(strategy, nodes, PodPlacement(required_node_affinity=(term,)))
    assert h.sync() == (3, 0)
    assert sorted(p["node"] for p in h.pods()) == ["node-4", "node-5", "node-6"]


# -- status --------------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_number_ready_status(strategy: str) -> None:
    """Upstream ``TestNumberReadyStatus`` (daemon_controller_test.go)."""
    h = _harness(strategy, _nodes(2, labels=SIMPLE_NODE_LABEL))
    _add_pods(h, "node-0", 1)
    _add_pods(h, "node-1", 1)
    assert h.sync() == (0, 0)
    assert h.status()["ready"] == 0

    assert h.mark_pods_ready() == 2
    assert h.sync() == (0, 0)
    assert h.status()["ready"] == 2


# -- item 18: termination and missing nodes ------------------------------------------------


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_daemonset_respects_termination(strategy: str) -> None:
    """Upstream ``TestDaemonSetRespectsTermination`` (daemon_controller_test.go).

    The node's only pod is terminating: no replacement until it is gone.
    """
    h = _harness(strategy, _nodes(1, labels=SIMPLE_NODE_LABEL))
    h.add_pod("node-0", deleting=True)
    assert h.sync() == (0, 0)
    assert h.status()["current"] == 1


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_delete_unscheduled_pod_for_not_existing_node(strategy: str) -> None:
    """Upstream ``TestDeleteUnscheduledPodForNotExistingNode`` (daemon_controller_test.go).

    One node (node-0, with its pod). A pod bound to the missing node-1 is left to PodGC;
    an unscheduled pod whose node affinity targets the missing node-2 is deleted.
    """
    h = _harness(strategy, 1)
    _add_pods(h, "node-0", 1)
    _add_pods(h, "node-1", 1)
    h.add_pod("node-2", scheduled=False)
    assert h.sync() == (0, 1)
    assert sorted(p["node"] for p in h.pods()) == ["node-0", "node-1"]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_delete_unscheduled_terminating_pod_for_not_existing_node(strategy: str) -> None:
    """Variant of upstream ``TestDeleteUnscheduledPodForNotExistingNode`` (daemon_controller_test.go).

    Upstream ``getUnscheduledPodsWithoutNode`` (daemon_controller.go) deletes every pod with
    an empty nodeName whose target node is not in the node list, reading the same map as
    manage (``getNodesToDaemonPods(ds, false)``, which keeps terminating non-terminal pods)
    and without looking at deletionTimestamp. So an unscheduled pod aimed at the missing
    node-2 that is already terminating (e.g. held by a finalizer) is deleted again: (0, 1).
    """
    h = _harness(strategy, 1)
    _add_pods(h, "node-0", 1)
    h.add_pod("node-2", scheduled=False, deleting=True)
    assert h.sync() == (0, 1)


# -- beyond the upstream unit tests (same harness, reference sections named) -----------------


def _fail_only_pod(h: ControllerHarness) -> None:
    (pod,) = h.controller.pods.values()
    failed = pod.copy()
    failed.phase = FAILED
    h.controller.pod_updated(failed)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_failed_pod_backoff_doubles_caps_and_expires(strategy: str) -> None:
    """Not an upstream test: the failed-pod backoff (§1.1, ``flowcontrol.Backoff``), here
    50 ms doubling to 500 ms: each further kill doubles the delay up to the cap, and an
    entry left alone for more than 2 x 500 ms starts again at 50 ms. As in
    ``test_daemon_kill_failed_pods_backoff`` a failed pod is put back after each kill.
    """
    h = _harness(strategy, 1)
    h.add_pod("node-0")
    assert h.sync() == (0, 0)  # settles status.observedGeneration
    _fail_only_pod(h)

    t, eps = 0.0, 1e-3
    for delay in (0.05, 0.1, 0.2, 0.4, 0.5, 0.5):
        h.now = t
        assert h.sync() == (0, 1)  # kill; the backoff delay is now `delay`
        h.add_pod("node-0", phase="Failed")
        h.now = t + delay - eps
        assert h.sync() == (0, 0)
        t += delay + eps
    # more than 2 * 500 ms after the last kill the entry has expired: back to 50 ms
    t += 1.0
    h.now = t
    assert h.sync() == (0, 1)
    h.add_pod("node-0", phase="Failed")
    h.now = t + 0.05 + eps
    assert h.sync() == (0, 1)


def test_a_template_change_starts_the_failed_pod_backoff_afresh() -> None:
    """Not an upstream test: upstream's ``failedPodsBackoffKey`` is
    ``ds.UID/ds.Status.ObservedGeneration/nodeName``, so once the status has observed a new
    generation the node's backoff entry is a new one. The sync right after the template change
    still reads the old observedGeneration (``manage`` runs before ``updateDaemonSetStatus``)
    and waits; the next, at the same instant, deletes the failed pod at once. OnDelete, so
    the rolling update does not delete the old pod itself.
    """
    h = ControllerHarness(nodes=1)
    h.add_pod("node-0")
    assert h.sync() == (0, 0)  # settles status.observedGeneration
    _fail_only_pod(h)
    assert h.sync() == (0, 1)  # kill: the node's backoff starts (50 ms)
    h.add_pod("node-0", phase="Failed")
    assert h.sync() == (0, 0)  # in backoff
    generation = h.controller.status["observed_generation"]
    h.change_template()
    assert h.sync() == (0, 0)  # the old generation's key, still in backoff; the status now observes the new one
    assert h.controller.status["observed_generation"] == generation + 1
    assert h.sync() == (0, 1)  # a new key: no backoff, though no time has passed


def test_two_failed_pods_on_one_node_are_killed_one_per_sync() -> None:
    """Not an upstream test: the backoff is per node, so the second failed pod on a node
    is already in backoff once the first one has been killed in the same sync (§3.1)."""
    h = ControllerHarness(nodes=1)
    h.add_pod("node-0", phase="Failed")
    h.add_pod("node-0", phase="Failed")
    assert h.sync() == (0, 1)


def test_surge_replaces_failed_pod_in_the_same_sync() -> None:
    """Not an upstream test: in surge mode a node whose only pod failed gets its new pod in
    the same sync the failed pod is killed (§3.2), unlike TestDaemonKillFailedPods' (0, 1)."""
    h = ControllerHarness(nodes=1)
    h.set_update_strategy("RollingUpdate", max_unavailable=0, max_surge=1)
    h.add_pod("node-0", phase="Failed")
    assert h.sync() == (1, 1)


def test_burst_replicas_caps_creates_per_sync() -> None:
    """Not an upstream test: BurstReplicas = 250 creates per syncNodes (§1.1, §3.3)."""
    h = ControllerHarness(nodes=300)
    assert h.sync() == (250, 0)
    assert h.create_calls == 250
    assert h.sync() == (50, 0)
    assert h.status()["current"] == 300
