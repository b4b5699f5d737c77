"""Rolling-update scenarios ported from upstream ``pkg/controller/daemon/update_test.go``.

Each test mirrors one upstream test of kubernetes/kubernetes (ktesting-era tree) and checks
the exact ``(creates, deletes)`` of every ``expectSyncDaemonSets`` call. ``ControllerHarness``
plays ``newTestController`` + ``fakePodControl``: one ``sync()`` is one ``syncHandler`` call,
writes land in the store at once (so manage and rollingUpdate both run in one sync), the
DaemonSet starts with the OnDelete strategy, and ``sync()`` ends with ``clearExpectations``.
"""

from __future__ import annotations

import pytest
from rollsim.spec.node import Toleration

from harness import ControllerHarness

CONTROL_PLANE = "node-role.kubernetes.io/control-plane"


def _ready_uids(h: ControllerHarness) -> set[int]:
    """Names (uids) of the Ready pods in the store, as upstream collects ``pod.Name``s."""
    return {uid for uid, p in h.controller.pods.items() if p.ready}


def _nodes_with(h: ControllerHarness, revision: str) -> set[str]:
    return {p["node"] for p in h.pods() if p["revision"] == revision and not p["terminating"]}


def test_daemonset_updates_pods() -> None:
    """Upstream ``TestDaemonSetUpdatesPods`` (pkg/controller/daemon/update_test.go).

    5 nodes, maxUnavailable=2: the rollout proceeds in waves of 2, 2, 1, each wave a
    delete-only sync followed by a create-only sync.
    """
    h = ControllerHarness(nodes=5)
    assert h.sync() == (5, 0)
    h.mark_pods_ready()

    h.change_template()
    h.set_update_strategy("RollingUpdate", max_unavailable=2)

    assert h.sync() == (0, 2)
    assert h.sync() == (2, 0)
    h.mark_pods_ready()

    assert h.sync() == (0, 2)
    assert h.sync() == (2, 0)
    h.mark_pods_ready()

    assert h.sync() == (0, 1)
    assert h.sync() == (1, 0)
    h.mark_pods_ready()

    assert h.sync() == (0, 0)
    status = h.status()
    assert (status["desired"], status["updated"], status["available"]) == (5, 5, 5)


def test_daemonset_updates_pods_with_max_surge() -> None:
    """Upstream ``TestDaemonSetUpdatesPodsWithMaxSurge`` (pkg/controller/daemon/update_test.go).

    5 nodes, maxSurge=2: new pods are created first (at most 2 not-yet-available at a
    time), and an old pod is deleted once the new pod on its node is available.
    """
    h = ControllerHarness(nodes=5)
    assert h.sync() == (5, 0)
    h.mark_pods_ready()

    max_surge = 2
    h.change_template()
    h.set_update_strategy("RollingUpdate", max_unavailable=0, max_surge=max_surge)

    assert h.sync() == (max_surge, 0)
    assert h.sync() == (0, 0)
    h.mark_pods_ready()

    assert h.sync() == (max_surge, max_surge)
    assert h.sync() == (0, 0)
    h.mark_pods_ready()

    assert h.sync() == (5 % max_surge, max_surge)
    assert h.sync() == (0, 0)
    h.mark_pods_ready()

    assert h.sync() == (0, 5 % max_surge)
    assert h.sync() == (0, 0)
    assert all(p["revision"] == "current" for p in h.pods())
    assert len(h.pods()) == 5


def test_daemonset_updates_pods_not_match_tainst_with_max_surge() -> None:
    """Upstream ``TestDaemonSetUpdatesPodsNotMatchTainstWithMaxSurge`` (update_test.go).

    maxSurge=1; node-0 carries a control-plane NoSchedule taint the first template
    tolerates. The new template drops the toleration: node-0's old pod is kept only by
    shouldContinueRunning, so rollingUpdate deletes it as an excess available pod
    (numAvailable 5 > desired 4) in the first sync, and replaces the other 4 one by one
    (issue #118823).
    """
    nodes = [{"name": "node-0", "taints": [{"key": CONTROL_PLANE, "effect": "NoSchedule"}]}]
    nodes += [{"name": f"node-{i}"} for i in range(1, 5)]
    h = ControllerHarness(nodes=nodes)
    max_surge = 1
    h.set_update_strategy("RollingUpdate", max_unavailable=0, max_surge=max_surge)
    h.change_template(tolerations=[Toleration(CONTROL_PLANE, "Exists")])

    # Create DaemonSet with toleration
    assert h.sync() == (5, 0)
    h.mark_pods_ready()

    # RollingUpdate DaemonSet without toleration
    h.change_template(tolerations=[])

    assert h.sync() == (max_surge, 1)
    assert "node-0" not in {p["node"] for p in h.pods()}
    assert h.sync() == (0, 0)
    h.mark_pods_ready()

    for _ in range(3):
        assert h.sync() == (max_surge, max_surge)
        assert h.sync() == (0, 0)
        h.mark_pods_ready()

    assert h.sync() == (0, max_surge)
    assert h.sync() == (0, 0)
    assert sorted(p["node"] for p in h.pods()) == ["node-1", "node-2", "node-3", "node-4"]
    assert all(p["revision"] == "current" for p in h.pods())


def test_surge_keeps_an_untolerated_old_pod_while_no_more_pods_are_available_than_desired() -> None:
    """Not an upstream test; the counterpart of the one above. Upstream's surge path deletes pods
    that should no longer run only as far as ``numAvailable - desiredNumberScheduled`` allows
    (kubernetes/kubernetes#119317). Here node-4's old pod is not Ready, so 4 pods are available
    for 4 desired nodes: node-0's available old pod (kept by shouldContinueRunning, its taint no
    longer tolerated) stays. The sync surges on node-4 (its old pod is unavailable: regardless
    of maxSurge) and on one candidate (maxSurge=1).
    """
    nodes = [{"name": "node-0", "taints": [{"key": CONTROL_PLANE, "effect": "NoSchedule"}]}]
    nodes += [{"name": f"node-{i}"} for i in range(1, 5)]
    h = ControllerHarness(nodes=nodes)
    h.set_update_strategy("RollingUpdate", max_unavailable=0, max_surge=1)
    h.change_template(tolerations=[Toleration(CONTROL_PLANE, "Exists")])
    assert h.sync() == (5, 0)
    h.mark_pods_ready()
    assert h.mark_pods_ready(False, nodes=["node-4"]) == 1

    h.change_template(tolerations=[])
    assert h.status()["desired"] == 4
    # rollingUpdate counts the available pods of every node with pods: node-0 to node-3, 4
    assert h.sync() == (2, 0)
    assert "node-0" in {p["node"] for p in h.pods()}
    assert _nodes_with(h, "current") == {"node-1", "node-4"}


def test_daemonset_updates_when_new_pod_is_not_ready() -> None:
    """Upstream ``TestDaemonSetUpdatesWhenNewPodIsNotReady`` (update_test.go).

    maxUnavailable=3, new pods never become Ready: after one wave the 3 unavailable new
    pods use up the whole budget and nothing more happens.
    """
    h = ControllerHarness(nodes=5)
    max_unavailable = 3
    assert h.sync() == (5, 0)
    h.mark_pods_ready()

    h.change_template()
    h.set_update_strategy("RollingUpdate", max_unavailable=max_unavailable)

    # new pods are not ready numUnavailable == maxUnavailable
    assert h.sync() == (0, max_unavailable)
    assert h.sync() == (max_unavailable, 0)
    assert h.sync() == (0, 0)
    assert h.status()["unavailable"] == max_unavailable


def test_daemonset_updates_some_old_pods_not_ready() -> None:
    """Upstream ``TestDaemonSetUpdatesSomeOldPodsNotReady`` (update_test.go).

    maxUnavailable=2. After a first wave the 2 replaced pods stay not Ready. A second
    template change makes them old and unavailable: they are deleted (must-replace) and
    use up the budget, so the 3 available old pods are left untouched.
    """
    h = ControllerHarness(nodes=5)
    max_unavailable = 2
    assert h.sync() == (5, 0)
    h.mark_pods_ready()

    h.change_template()
    h.set_update_strategy("RollingUpdate", max_unavailable=max_unavailable)

    # All old pods are available, should update 2
    assert h.sync() == (0, max_unavailable)
    assert h.sync() == (max_unavailable, 0)
    assert h.sync() == (0, 0)

    # Perform another update, verify we delete and create 2 pods, three available should remain untouched
    ready_before = _ready_uids(h)
    h.change_template()

    assert h.sync() == (0, max_unavailable)
    assert h.sync() == (max_unavailable, 0)
    assert h.sync() == (0, 0)

    ready = _ready_uids(h)
    assert len(ready) == 5 - max_unavailable
    assert ready == ready_before


def test_daemonset_updates_save_old_healthy_pods() -> None:
    """Upstream ``TestDaemonSetUpdatesSaveOldHealthyPods`` (update_test.go).

    20 nodes; a first update with maxUnavailable=10 leaves 10 old Ready pods and 10
    new pods that never become Ready. Ten further updates with maxUnavailable < 10 only
    ever replace the 10 unavailable pods; the Ready old pods are never touched. A last
    update with maxUnavailable=11 replaces one Ready pod too, leaving 9.

    Upstream draws maxUnavailable with ``rand.Intn(10)`` (0..9); 0 with maxSurge 0 is
    rejected by rollsim's strategy validation (the controller would treat it as 1 via
    the fallback), so this port walks 1..9 and then 9 again.
    """
    h = ControllerHarness(nodes=20)
    assert h.sync() == (20, 0)
    h.mark_pods_ready()

    # first update to get 10 old pods which should never be touched
    h.change_template()
    h.set_update_strategy("RollingUpdate", max_unavailable=10)
    assert h.sync() == (0, 10)
    assert h.sync() == (10, 0)
    assert h.sync() == (0, 0)

    old_ready = _ready_uids(h)
    assert len(old_ready) == 10

    for max_unavailable in [1, 2, 3, 4, 5, 6, 7, 8, 9, 9]:
        h.set_update_strategy("RollingUpdate", max_unavailable=max_unavailable)
        h.change_template()
        # only the 10 unavailable pods will be allowed to be updated
        assert h.sync() == (0, 10)
        assert h.sync() == (10, 0)
        assert h.sync() == (0, 0)
        # verify that the ready pods are never touched
        assert old_ready <= _ready_uids(h)

    h.set_update_strategy("RollingUpdate", max_unavailable=11)
    h.change_template()
    assert h.sync() == (0, 11)
    assert h.sync() == (11, 0)
    assert h.sync() == (0, 0)
    assert len(_ready_uids(h)) == 9


def test_daemonset_updates_all_old_not_ready_pods_and_new_not_ready_pods() -> None:
    """Upstream ``TestDaemonSetUpdatesAllOldNotReadyPodsAndNewNotReadyPods`` (update_test.go).

    100 nodes, maxUnavailable=10: ten waves of (0,10)/(10,0) complete the rollout. Then
    the store is doctored, as upstream does, into 10 available old pods, 2 unavailable
    old pods and 88 unavailable new pods: only the 2 unavailable old pods are replaced
    (88 + 2 unavailable already exceed the budget of 10).
    """
    h = ControllerHarness(nodes=100)
    assert h.sync() == (100, 0)
    h.mark_pods_ready()

    h.change_template()
    h.set_update_strategy("RollingUpdate", max_unavailable=10)
    for _ in range(10):
        assert h.sync() == (0, 10)
        assert h.sync() == (10, 0)
        h.mark_pods_ready()
    assert h.sync() == (0, 0)

    # - maxUnavailable 10, 88 unavailable new pods, 2 unavailable old pods, 10 available old pods
    c = h.controller
    old_unavailable: set[int] = set()
    for i, pod in enumerate(sorted(c.pods.values(), key=lambda p: p.uid)):
        snapshot = pod.copy()
        if i >= 10:  # mark the latter 90 pods not ready
            snapshot.ready = False
        if i < 12:  # mark the first 12 pods with the older hash
            snapshot.revision = c.revision - 1
            if i >= 10:
                old_unavailable.add(pod.uid)
        c.pod_updated(snapshot)  # the informer delivers the changed pod

    assert h.sync() == (0, 2)
    assert h.sync() == (2, 0)
    assert h.sync() == (0, 0)
    assert not old_unavailable & set(c.pods)


def test_daemonset_updates_all_old_pods_not_ready() -> None:
    """Upstream ``TestDaemonSetUpdatesAllOldPodsNotReady`` (update_test.go).

    maxUnavailable=3 but no old pod is Ready: every unavailable old pod is deleted at
    once, regardless of the budget.
    """
    h = ControllerHarness(nodes=5)
    assert h.sync() == (5, 0)

    h.change_template()
    h.set_update_strategy("RollingUpdate", max_unavailable=3)

    # all old pods are unavailable so should be removed
    assert h.sync() == (0, 5)
    assert h.sync() == (5, 0)
    assert h.sync() == (0, 0)


def test_daemonset_updates_all_old_pods_not_ready_max_surge() -> None:
    """Upstream ``TestDaemonSetUpdatesAllOldPodsNotReadyMaxSurge`` (update_test.go).

    maxSurge=3 with unavailable old pods: they are surged past the budget (5 creates),
    then deleted as soon as they are not Ready. Then minReadySeconds=15 and another
    template: the surge budget of 3 applies, new pods count until Ready+15 s has passed,
    an old pod that turns unready gets a replacement at once, and old pods go when the
    new pod on their node is available. The fake clock stands in for
    ``failedPodsBackoff.Clock`` and stamps readiness.
    """
    h = ControllerHarness(nodes=5)
    assert h.sync() == (5, 0)

    max_surge = 3
    h.change_template()
    h.set_update_strategy("RollingUpdate", max_unavailable=0, max_surge=max_surge)

    # all old pods are unavailable so should be surged
    h.now = 100.0
    assert h.sync() == (5, 0)

    # waiting for pods to go ready, old pods are deleted
    h.now = 200.0
    assert h.sync() == (0, 5)

    assert h.mark_pods_ready(count=5) == 5
    h.set_min_ready_seconds(15)
    h.change_template()

    h.now = 300.0
    assert h.sync() == (3, 0)

    current_nodes = _nodes_with(h, "current")
    assert len(current_nodes) == 3
    # mark two updated pods as ready at time 300
    assert h.mark_pods_ready(revision="current", count=2) == 2
    # mark one of the old pods that is on a node without an updated pod as unready
    lonely_old = sorted({f"node-{i}" for i in range(5)} - current_nodes)
    assert h.mark_pods_ready(ready=False, nodes=lonely_old, revision="old", count=1) == 1

    # the new pods should still be considered waiting to hit min readiness, so one pod
    # should be created to replace the deleted old pod
    h.now = 310.0
    assert h.sync() == (1, 0)

    # the new pods are now considered available, so delete the old pods
    h.now = 320.0
    assert h.sync() == (1, 3)

    # mark all updated pods as ready at time 320
    assert h.mark_pods_ready(revision="current", count=3) == 3

    # the new pods are now considered available, so delete the old pods
    h.now = 340.0
    assert h.sync() == (0, 2)

    # controller has completed upgrade
    h.now = 350.0
    assert h.sync() == (0, 0)
    assert len(h.pods()) == 5
    assert all(p["revision"] == "current" and p["available"] for p in h.pods())


def test_daemonset_updates_no_template_changed() -> None:
    """Upstream ``TestDaemonSetUpdatesNoTemplateChanged`` (update_test.go).

    Switching OnDelete -> RollingUpdate (maxUnavailable=3) without a template change
    deletes nothing.
    """
    h = ControllerHarness(nodes=5)
    assert h.sync() == (5, 0)

    h.set_update_strategy("RollingUpdate", max_unavailable=3)

    # template is not changed no pod should be removed
    assert h.sync() == (0, 0)
    assert h.status()["updated"] == 5


@pytest.mark.parametrize("strategy", ["OnDelete", "RollingUpdate"])
def test_on_delete_never_replaces_healthy_old_pods(strategy: str) -> None:
    """Not an upstream test: the OnDelete contrast to ``TestDaemonSetUpdatesPods`` (§5).

    Under OnDelete a template change alone deletes nothing; under RollingUpdate
    (maxUnavailable=1, the ``newRollingUpdateStrategy`` of the upstream tests) one old pod goes.
    """
    h = ControllerHarness(nodes=5)
    assert h.sync() == (5, 0)
    h.mark_pods_ready()
    if strategy == "RollingUpdate":
        h.set_update_strategy("RollingUpdate", max_unavailable=1)
    h.change_template()
    assert h.sync() == ((0, 0) if strategy == "OnDelete" else (0, 1))
