"""The kubelet's admission check (generalFilter): what it rejects, and why it never fires in rollsim."""

from __future__ import annotations

import pytest
import simpy
from rollsim import build_scenario, simulate
from rollsim.cluster import admission as admission_module
from rollsim.cluster.admission import (
    NODE_AFFINITY,
    NODE_PORTS,
    OUT_OF_CPU,
    OUT_OF_MEMORY,
    TAINT_TOLERATION,
    active_requests,
    admission_failure,
)
from rollsim.cluster.apiserver import ApiServer
from rollsim.cluster.nodestore import NodeStore
from rollsim.cluster.scheduling import PodRequests, other_requests
from rollsim.controller.pods import FAILED
from rollsim.spec.node import NO_EXECUTE, NO_SCHEDULE, Node, PodPlacement, Taint, Toleration, unreachable_node

NODE = Node("n", {"pool": "a"}, allocatable_cpu_millis=1000, allocatable_memory_bytes=1000)
POD = PodRequests(400, 400, (9100,))


def test_a_pod_that_fits_is_admitted() -> None:
    assert admission_failure(NODE, [PodRequests(500, 500)], POD, PodPlacement()) is None


@pytest.mark.parametrize("others, utilization, reason", [
    ([PodRequests(700, 0)], 0.0, OUT_OF_CPU),
    ([PodRequests(0, 700)], 0.0, OUT_OF_MEMORY),
    ([PodRequests(100, 100)], 0.6, OUT_OF_CPU),  # other workloads' share counts too
    ([PodRequests(0, 0, (9100,))], 0.0, NODE_PORTS),
    ([PodRequests(700, 700, (9100,))], 0.0, OUT_OF_CPU),  # the first reason: NodeResourcesFit before NodePorts
])
def test_reasons_as_the_kubelet_names_them(others, utilization, reason) -> None:
    assert admission_failure(NODE, others, POD, PodPlacement(), other_requests(NODE, utilization)) == reason


def test_node_selector_and_taints() -> None:
    assert admission_failure(NODE, [], POD, PodPlacement(node_selector={"pool": "b"})) == NODE_AFFINITY
    tainted = Node("n", taints=(Taint("dedicated", "x", NO_EXECUTE),))
    assert admission_failure(tainted, [], POD, PodPlacement()) == TAINT_TOLERATION
    tolerated = PodPlacement(tolerations=(Toleration("dedicated", "Exists", effect=NO_EXECUTE),))
    assert admission_failure(tainted, [], POD, tolerated) is None
    # the kubelet ignores NoSchedule; DaemonSet pods tolerate the lifecycle controller's NoExecute taints
    assert admission_failure(Node("n", taints=(Taint("dedicated", "x", NO_SCHEDULE),)), [], POD, PodPlacement()) is None
    assert admission_failure(unreachable_node(Node("n")), [], POD, PodPlacement()) is None


def test_active_pods_leave_out_terminal_ones_and_keep_terminating_ones() -> None:
    env = simpy.Environment()
    api = ApiServer(env, NodeStore([NODE]))
    api.add_daemonset("a")
    old, failed, new = (api.seed_pod("a", 0, 0, 0.0) for _ in range(3))
    failed.phase = FAILED
    old.deleting = True
    runtimes = {"a": type("R", (), {"requests": POD})()}
    assert len(active_requests(api, runtimes, new)) == 1  # the terminating old pod, not the Failed one


def _spy(monkeypatch) -> list[str]:
    reasons: list[str] = []
    original = admission_module.KubeletAdmission.reject_reason

    def spy(self, pod, placement):
        reason = original(self, pod, placement)
        if reason is not None:
            reasons.append(reason)
        return reason

    monkeypatch.setattr(admission_module.KubeletAdmission, "reject_reason", spy)
    return reasons


SURGE_THAT_DOES_NOT_FIT = dict(nodes=5, max_surge=1, requests_cpu="600m", node_utilization=0.0, stall_after=300,
                               schedule=1, pull=2, start=3, ready=4, terminate=5, probe_period=0)


def _nodes(n: int) -> tuple[Node, ...]:
    return tuple(Node(f"n{i}", allocatable_cpu_millis=1000, allocatable_memory_bytes=2**30) for i in range(n))


@pytest.mark.pure
def test_in_rollsim_the_scheduler_keeps_such_a_pod_pending_so_admission_never_fires(monkeypatch) -> None:
    reasons = _spy(monkeypatch)
    s = simulate(build_scenario(node_list=_nodes(5), **{k: v for k, v in SURGE_THAT_DOES_NOT_FIT.items()
                                                        if k != "nodes"}), seed=0).summary
    assert reasons == [] and s["unschedulable_pods"] >= 1 and not s["completed"]


@pytest.mark.pure
def test_a_pod_bound_without_the_schedulers_accounting_is_rejected_out_of_cpu(monkeypatch) -> None:
    """A constructed inconsistency: a scheduler that binds without checking fit (as a pod with
    spec.nodeName, or one bound by another scheduler, reaches the kubelet). The kubelet's own
    check rejects the surge pod (600m beside the old pod's 600m on 1000m): phase Failed, and the
    DaemonSet controller's failed-pod backoff takes over."""
    reasons = _spy(monkeypatch)
    monkeypatch.setattr("rollsim.cluster.kubelet.unschedulable_reason", lambda *args, **kwargs: None)
    s = simulate(build_scenario(node_list=_nodes(5), **{k: v for k, v in SURGE_THAT_DOES_NOT_FIT.items()
                                                        if k != "nodes"}), seed=0).summary
    assert reasons and set(reasons) == {OUT_OF_CPU}
    assert len(reasons) >= 2  # deleted and created again after the backoff, rejected again
    assert not s["completed"] and s["updated"] == 0
    assert s["stop_cause"] == "rejected" and "on 1 node hold the budget" in s["stop_detail"]
