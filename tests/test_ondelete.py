"""The OnDelete operator (``rollsim.cluster.operators``): which old pods it deletes, what a batch
waits for, and why a deleter at work that stops short stopped.

The operator deletes old pods only on nodes that should run the DaemonSet
(``NodeShouldRunDaemonPod``'s shouldRun, read off the nodes when it looks), and a batch waits
until each of its nodes holds an available new pod or no longer should run the DaemonSet or no
longer exists: what ``kubectl rollout status`` counts. A NotReady node (its NoSchedule taint)
keeps its old pod, untouched. It deletes nothing before the controller has observed the
DaemonSet's generation, and deletes again an old pod recreated on a node of its batch.

Closed forms use the ideal controller with constant timings and ``probe_period=0``: every
batch takes one cycle, ``terminate + schedule + pull + start + ready``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import simpy
from rollsim import build_scenario, simulate
from rollsim.cluster.apiserver import ApiServer
from rollsim.cluster.nodestore import NodeStore
from rollsim.cluster.operators import KubectlView, run_deleter
from rollsim.controller.pods import RUNNING
from rollsim.observe.recorder import Recorder
from rollsim.observe.stopcause import (
    NONE,
    ON_DELETE_WAITING,
    READY_NOT_AVAILABLE,
    STARTING,
    EndState,
    NodeEnd,
    stop_cause,
)
from rollsim.spec.deleters import parse_deleter
from rollsim.spec.node import NO_SCHEDULE, Node, PodPlacement, Toleration, not_ready_node, unreachable_node
from rollsim.spec.scenario import DaemonSetSpec

SCHEDULE, PULL, START, READY, TERMINATE = 1.0, 2.0, 3.0, 4.0, 5.0
CYCLE = TERMINATE + SCHEDULE + PULL + START + READY  # delete -> Ready on the same node
CONSTANT = dict(schedule=SCHEDULE, pull=PULL, start=START, ready=READY, terminate=TERMINATE)


def ideal(**options):
    return build_scenario(**{"controller": "ideal", "probe_period": 0, **CONSTANT, **options})


def approx(x: float):
    return pytest.approx(x, rel=1e-9, abs=1e-9)


# -- the audit's reproductions (realistic mode, default timings) ---------------------------------


def test_not_ready_false_nodes_no_longer_hang_the_batch_deleter() -> None:
    """Two Ready=False nodes: not desired (their not-ready:NoSchedule taint), so their old pods
    stay and the deleter neither deletes them nor waits for them (it stalled at 139/198).
    """
    result = simulate(build_scenario(nodes=200, strategy="OnDelete", deleter="batch:20", not_ready_nodes=2,
                                     not_ready_condition="False"))
    s = result.summary
    assert s["completed"] and s["stop_cause"] == "completed"
    assert s["nodes"] == 198 and s["updated"] == 198
    clean = simulate(build_scenario(nodes=198, strategy="OnDelete", deleter="batch:20")).summary
    # ten batches of 20 either way: within a batch's straggler of the clean cluster's duration
    assert 0.5 * clean["duration_s"] < s["duration_s"] < 1.5 * clean["duration_s"]
    assert s["min_available"] == 198 - 20  # one batch down at a time
    kept = result.nodes[~result.nodes["desired"]]
    assert len(kept) == 2 and kept["old_deleted_at_s"].isna().all()  # the NotReady nodes keep their agent


@pytest.mark.parametrize("not_ready", [5, "5@100"])
def test_unreachable_nodes_before_or_during_the_rollout_do_not_hang_it(not_ready) -> None:
    s = simulate(build_scenario(nodes=200, strategy="OnDelete", deleter="batch:20", not_ready_nodes=not_ready)).summary
    assert s["completed"] and (s["nodes"], s["updated"]) == (195, 195)
    assert s["duration_s"] < 3600


def test_removed_nodes_no_longer_hang_the_batch_deleter() -> None:
    """30 nodes deleted at 50 s, some of them in the batch under way: it stalled at 14/170."""
    s = simulate(build_scenario(nodes=200, strategy="OnDelete", deleter="batch:20:30", remove_nodes="30@50")).summary
    assert s["completed"] and s["stop_cause"] == "completed"
    assert (s["nodes"], s["updated"]) == (170, 170)
    # at most ten batches (nine of the 170 left, one begun before the removal), with nine 30 s pauses
    assert 9 * 30 < s["duration_s"] < 3600


@pytest.mark.parametrize("version", ["1.33", "1.37"])
def test_a_batch_with_no_grace_period_completes_whatever_the_seed(version: str) -> None:
    """Audit 31: with terminationGracePeriodSeconds 0 the old pods of a batch deleted at time 0
    vanished before the controller's informer delivered the new template, so ``manage`` recreated
    them with the old hash and the deleter waited beside them for ever (10 seeds of 20 on 1.33).
    Now it waits for the observed generation first, and no batch has more than K nodes down.
    """
    for seed in range(20):
        result = simulate(build_scenario(nodes=20, strategy="OnDelete", deleter="batch:5",
                                         termination_grace_period_seconds=0, kubernetes_version=version), seed)
        s = result.summary
        assert s["completed"] and s["stop_cause"] == "completed" and s["updated"] == 20, (seed, s["stop_detail"])
        assert s["max_unavailable_observed"] <= 5 and result.timeline["unavailable"].max() <= 5


@pytest.mark.parametrize("deleter", ["batch:5", "rate:2"])
def test_the_first_deletion_waits_for_the_controller_to_observe_the_generation(deleter: str) -> None:
    """``kubectl rollout status`` reads no count before ``observedGeneration >= generation``: the
    first old pod is deleted when the controller's first status write of the new generation
    lands, not at time 0 (realistic mode: the informer's delay, the sync and the write).
    """
    result = simulate(build_scenario(nodes=20, strategy="OnDelete", deleter=deleter), 3)
    status = result.status
    observed = status.loc[status["observed_generation"] >= 2, "time_s"].min()
    assert 0 < observed < 1
    assert result.nodes["old_deleted_at_s"].min() == observed


def test_an_old_pod_recreated_on_a_node_of_the_batch_is_deleted_again(monkeypatch) -> None:
    """A deleter that did not wait for the observed generation (as before audit 31) deletes old
    pods the controller then recreates from the template it still holds, with the old hash: the
    deleter sees an old pod on a node of its batch and deletes it again, rather than waiting
    beside it. Seed 1 stalled so: its batch waited for a node whose old pod had come back.
    """
    deleted: list[int] = []
    delete = KubectlView.delete_old_pod

    def counted(view: KubectlView, node: int) -> None:
        deleted.append(node)
        delete(view, node)

    monkeypatch.setattr(KubectlView, "generation_observed", lambda view: True)
    monkeypatch.setattr(KubectlView, "delete_old_pod", counted)
    s = simulate(build_scenario(nodes=20, strategy="OnDelete", deleter="batch:5", termination_grace_period_seconds=0,
                                kubernetes_version="1.33"), 1).summary
    assert s["completed"] and s["updated"] == 20 and s["max_unavailable_observed"] <= 5
    assert len(deleted) > len(set(deleted)) == 20  # some node's pod deleted twice


# -- closed forms -------------------------------------------------------------------------------


@pytest.mark.parametrize("condition", ["False", "Unknown"])
@pytest.mark.parametrize(("n", "not_ready", "k", "pause"), [(10, 2, 3, 0.0), (12, 3, 4, 7.0), (7, 1, 1, 0.0)])
def test_batch_takes_a_cycle_per_batch_of_the_desired_nodes(condition, n, not_ready, k, pause) -> None:
    """OnDelete batch:K[:PAUSE] on N nodes of which M NotReady: ceil((N - M) / K) cycles, the
    NotReady nodes' old pods never deleted.
    """
    deleter = f"batch:{k}" + (f":{pause:g}" if pause else "")
    result = simulate(ideal(nodes=n, strategy="OnDelete", deleter=deleter, not_ready_nodes=not_ready,
                            not_ready_condition=condition))
    s, nf = result.summary, result.nodes
    batches = math.ceil((n - not_ready) / k)
    assert s["completed"] and s["updated"] == n - not_ready
    assert s["duration_s"] == approx(batches * CYCLE + (batches - 1) * pause)
    assert np.unique(nf.loc[nf["desired"], "old_deleted_at_s"]).size == batches
    assert nf.loc[~nf["desired"], "old_deleted_at_s"].isna().all()


def test_rate_skips_not_ready_nodes() -> None:
    n, not_ready, interval = 8, 2, 3.0
    result = simulate(ideal(nodes=n, strategy="OnDelete", deleter=f"rate:{interval:g}", not_ready_nodes=not_ready,
                            not_ready_condition="False"))
    s, nf = result.summary, result.nodes
    assert s["completed"] and s["updated"] == n - not_ready
    assert s["duration_s"] == approx((n - not_ready - 1) * interval + CYCLE)
    assert nf.loc[~nf["desired"], "old_deleted_at_s"].isna().all()


def test_a_node_removed_mid_batch_ends_the_wait() -> None:
    """One batch of every node; one of them deleted 2 s in (its old pod terminating, no new pod
    will come): the batch ends when the other five are available, one cycle after it began.
    """
    s = simulate(ideal(nodes=6, strategy="OnDelete", deleter="batch:6", remove_nodes="1@2")).summary
    assert s["completed"] and (s["nodes"], s["updated"]) == (5, 5)
    assert s["duration_s"] == approx(CYCLE)


def test_a_node_failing_mid_batch_ends_the_wait() -> None:
    """Two batches of three; a node goes Ready=False 2 s in: the ideal lifecycle controller taints
    it at once and it drops out (of the batch if it was in it, of the next otherwise).
    """
    s = simulate(ideal(nodes=6, strategy="OnDelete", deleter="batch:3", not_ready_nodes="1@2",
                       not_ready_condition="False")).summary
    assert s["completed"] and (s["nodes"], s["updated"]) == (5, 5)
    assert s["duration_s"] == approx(2 * CYCLE)


def test_a_daemonset_that_tolerates_the_not_ready_taint_still_runs_there() -> None:
    """Eligibility is the controller's rule, tolerations included: a DaemonSet that tolerates
    not-ready:NoSchedule should run on the NotReady node, so the deleter deletes its old pod and
    waits; a Ready=False kubelet starts nothing, and the stop cause says so.
    """
    tolerant = DaemonSetSpec(placement=PodPlacement(tolerations=(
        Toleration("node.kubernetes.io/not-ready", "Exists", effect=NO_SCHEDULE),)))
    result = simulate(build_scenario(daemonset_spec=tolerant, controller="ideal", probe_period=0, **CONSTANT,
                                     nodes=4, strategy="OnDelete", deleter="batch:4", not_ready_nodes=1,
                                     not_ready_condition="False", stall_after=100))
    s, nf = result.summary, result.nodes
    assert nf["desired"].all() and nf["old_deleted_at_s"].notna().all()
    assert not s["completed"] and s["stop_cause"] == "not-ready-nodes"
    assert s["stop_detail"].startswith("1 NotReady or unreachable node keeps the rollout waiting")
    assert nf["new_available_at_s"].isna().sum() == 1  # the NotReady node's new pod, created, never starts


# -- KubectlView, driven by hand -------------------------------------------------------------------


class Cluster:
    """Three nodes, each with an old pod, revision 1 current: a KubectlView over a real API server."""

    def __init__(self) -> None:
        self.env = simpy.Environment()
        self.api = ApiServer(self.env, NodeStore([Node("a"), Node("b"), Node("c")]))
        ds = self.api.add_daemonset("agent")
        for node in range(3):
            self.api.seed_pod("agent", node, 0, -100.0)
        self.api.set_revision("agent", 1)
        recorder = Recorder(self.env, self.api, ds, PodPlacement(), 0.0)  # keeps desired current, as in a run
        recorder.watch()
        self.view = KubectlView(self.env, self.api, "agent", recorder.desired, 0.0)
        self.observe()

    def observe(self) -> None:
        """The controller writes a status that has observed the DaemonSet's current generation."""
        ds = self.api.daemonsets["agent"]
        self.api.write_status("agent", {"observed_generation": ds.generation, "generation": ds.generation})

    def available_new_pod(self, node: int) -> None:
        for pod in [p for p in self.api.pods_by_node[node] if p.deleting]:
            self.api.remove_pod(pod)
        pod = self.api.create_pod("agent", node, 1)
        pod.scheduled, pod.phase, pod.ready, pod.ready_since = True, RUNNING, True, self.env.now
        self.api.pod_status_changed(pod)


def test_the_view_offers_only_nodes_that_should_run_the_daemonset() -> None:
    c = Cluster()
    assert c.view.old_pod_nodes() == [0, 1, 2]
    c.api.nodes.update(1, not_ready_node(c.api.nodes.nodes[1]))
    c.api.nodes.update(2, unreachable_node(c.api.nodes.nodes[2]))
    assert c.view.old_pod_nodes() == [0]  # read when it looks: the taints came after it was built
    assert [not p.deleting for p in c.api.pods_by_node[1]] == [True]  # left alone


@pytest.mark.parametrize("how", ["deleted", "not-ready", "available"])
def test_a_wait_ends_when_the_node_is_done(how: str) -> None:
    c = Cluster()
    c.view.delete_old_pod(0)
    event = c.view.node_settled(0)
    assert not event.triggered and c.view.awaited() == [0]
    c.env.run(until=1)
    if how == "deleted":
        c.api.nodes.delete(0)
    elif how == "not-ready":
        c.api.nodes.update(0, not_ready_node(c.api.nodes.nodes[0]))
    else:
        c.available_new_pod(0)
    assert event.triggered and event.value is True and c.view.awaited() == []
    assert c.view.node_settled(0).triggered  # done already: at once


def test_the_deleter_ends_when_only_nodes_that_should_not_run_it_hold_old_pods() -> None:
    c = Cluster()
    c.api.nodes.update(2, not_ready_node(c.api.nodes.nodes[2]))
    process = c.env.process(run_deleter(c.env, parse_deleter("batch:2"), c.view, np.random.default_rng(0)))
    c.env.run(until=1)
    assert sorted(c.view.awaited()) == [0, 1]
    for node in (0, 1):
        c.available_new_pod(node)
    c.env.run(until=2)
    assert process.triggered and not process.is_alive
    assert not any(p.deleting for p in c.api.pods_by_node[2])


def test_the_deleter_deletes_nothing_before_the_generation_is_observed() -> None:
    c = Cluster()
    c.api.set_revision("agent", 1)  # a new generation the controller has not synced yet
    process = c.env.process(run_deleter(c.env, parse_deleter("batch:1"), c.view, np.random.default_rng(0)))
    c.env.run(until=1)
    assert process.is_alive and not any(p.deleting for node in range(3) for p in c.api.pods_by_node[node])
    c.observe()
    c.env.run(until=2)
    assert len(c.view.awaited()) == 1 and [p.deleting for p in c.api.pods_by_node[c.view.awaited()[0]]] == [True]


def test_a_node_of_the_batch_holding_an_old_pod_again_is_deleted_again() -> None:
    """The batch's node loses its old pod, and an old-revision pod comes back there (created from
    a stale template): the deleter deletes it again, once the controller has observed the
    generation, and keeps waiting for the node; a new available pod then ends the batch.
    """
    c = Cluster()
    process = c.env.process(run_deleter(c.env, parse_deleter("batch:1"), c.view, np.random.default_rng(0)))
    c.env.run(until=1)
    [node] = c.view.awaited()
    for pod in [p for p in c.api.pods_by_node[node] if p.deleting]:
        c.api.remove_pod(pod)
    c.api.set_revision("agent", 1)  # not yet observed: the recreated pod is left for now
    again = c.api.create_pod("agent", node, 0)
    c.env.run(until=2)
    assert not again.deleting and c.view.awaited() == []
    c.observe()
    c.env.run(until=3)
    assert again.deleting and c.view.awaited() == [node]
    c.available_new_pod(node)
    c.env.run(until=4)
    assert process.is_alive and len(c.view.awaited()) == 1 and c.view.awaited() != [node]  # the next batch


# -- why a deleter at work stopped ---------------------------------------------------------------


def done(name: str) -> NodeEnd:
    return NodeEnd(name, old="none", new="available")


def old(name: str) -> NodeEnd:
    return NodeEnd(name, old="running", new=NONE)


def test_a_batch_waiting_on_its_nodes_names_them() -> None:
    nodes = (done("a"), NodeEnd("b", old="none", new=READY_NOT_AVAILABLE), NodeEnd("c", old="terminating"),
             NodeEnd("d", old="none", new=STARTING), old("e"))
    cause = stop_cause(EndState(nodes, strategy="OnDelete", deleter="batch",
                                awaited=(READY_NOT_AVAILABLE, NONE, STARTING)))
    assert cause.cause == ON_DELETE_WAITING
    assert cause.sentence == (
        "no progress: the batch deleter waits for 3 nodes of its batch: 1 with no new pod yet, 1 whose new pod "
        "is still on the way to Ready (slow stragglers: a longer stall_after would wait for them), 1 whose new pod "
        "is Ready, minReadySeconds not yet over (longer than stall_after); 1 node of 5 updated (new pod available)")


@pytest.mark.parametrize(("deleter", "words"), [("batch", "its pause between batches"),
                                                ("rate", "its interval between deletions")])
def test_a_deleter_between_deletions_says_so(deleter: str, words: str) -> None:
    nodes = (done("a"), old("b"), old("c"))
    cause = stop_cause(EndState(nodes, strategy="OnDelete", deleter=deleter))
    assert cause.cause == ON_DELETE_WAITING
    assert cause.sentence == (f"no progress: the {deleter} deleter was waiting out {words}, longer than "
                              "stall_after, with 2 nodes still on the old revision; 1 node of 3 updated (new pod "
                              "available)")
    # the horizon and an idle OnDelete keep their causes
    assert stop_cause(EndState(nodes, strategy="OnDelete", deleter=deleter, horizon_reached=True)).cause == "horizon"
    assert stop_cause(EndState(nodes, strategy="OnDelete", deleter="none")).cause == "on-delete-idle"


def test_awaited_states_are_checked() -> None:
    with pytest.raises(ValueError, match="awaited holds new-pod states"):
        EndState((), awaited=("lost",))


def test_not_ready_nodes_that_should_not_run_it_do_not_keep_an_on_delete_rollout_waiting() -> None:
    """Under OnDelete only desired nodes count (kubectl rollout status); under RollingUpdate a
    NotReady node's terminating pod holds the budget, desired or not.
    """
    nodes = (NodeEnd("x", old="none", new="crash-looping"), done("a"),
             NodeEnd("t", desired=False, ready=False, old="terminating"))
    on_delete = stop_cause(EndState(nodes, strategy="OnDelete", deleter="batch"))
    assert on_delete.cause == "crash-looping" and "NotReady" not in on_delete.sentence
    assert "also 1 NotReady" in stop_cause(EndState(nodes)).sentence


@pytest.mark.parametrize(("deleter", "options", "words"), [
    ("batch:5:500", {}, "its pause between batches"),
    ("rate:500", {}, "its interval between deletions"),
    ("batch:5", {"min_ready_seconds": 500}, "5 whose new pod is Ready, minReadySeconds not yet over"),
    ("batch:5", {"ready": 1000}, "5 whose new pod is still on the way to Ready"),
])
def test_a_stalled_deleter_is_named_end_to_end(deleter: str, options: dict, words: str) -> None:
    s = simulate(ideal(nodes=10, strategy="OnDelete", deleter=deleter, stall_after=100, **options)).summary
    assert not s["completed"] and s["stop_cause"] == ON_DELETE_WAITING and words in s["stop_detail"]
