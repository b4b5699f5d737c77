"""Why a rollout stopped: ``stop_cause`` and ``healthy_done_s`` on hand-written end states."""

from __future__ import annotations

import itertools
import math

import pandas as pd
import pytest
from rollsim.observe.stopcause import (
    AVAILABLE,
    CAUSE_TEXT,
    CAUSES,
    CRASH_LOOPING,
    DISK_PRESSURE,
    IMAGE_PULL_ERROR,
    NEVER_READY,
    NEW_STATES,
    NONE,
    PENDING_HOST_PORT,
    PENDING_RESOURCES,
    READY_NOT_AVAILABLE,
    REJECTED,
    STARTING,
    EndState,
    NodeEnd,
    healthy_done_s,
    is_stuck,
    stop_cause,
    stuck_nodes,
)


def done(name: str) -> NodeEnd:
    return NodeEnd(name, old="none", new=AVAILABLE)


def old(name: str) -> NodeEnd:
    return NodeEnd(name, old="running", new=NONE)


def counts(cause) -> dict[str, int]:
    return dict(cause.counts)


def test_a_completed_rollout_has_no_stop_cause() -> None:
    cause = stop_cause(EndState(tuple(done(f"n{i}") for i in range(3)), completed=True))
    assert cause.cause == "completed" and counts(cause) == {"desired": 3, "updated": 3}


def test_not_ready_nodes_holding_the_budget() -> None:
    # not-ready-deadlock: 14 NotReady nodes (not desired: their NoSchedule taint is not tolerated)
    # whose pods, deleted, stay terminating; every healthy node still runs the old pod
    nodes = [NodeEnd(f"bad{i}", desired=False, ready=False, old="terminating") for i in range(14)]
    nodes += [old(f"n{i}") for i in range(274)]
    cause = stop_cause(EndState(tuple(nodes)))
    assert cause.cause == "not-ready-nodes"
    assert counts(cause) == {"desired": 274, "updated": 0, "not_ready": 14, "old_only": 274}
    assert cause.sentence.startswith("14 NotReady or unreachable nodes hold the budget")
    assert "0 nodes of 274 updated" in cause.sentence


def test_not_ready_nodes_holding_the_whole_budget_say_it_and_the_ways_out() -> None:
    """Audit 37: NVSentinel #1764 (288 nodes, 5%, 20 NotReady): the budget is 14 of the 268 desired
    nodes, which the reporter worked out by hand; the line gives it and what frees it. Fewer
    NotReady nodes than the budget leave slots: no "no pod moves", and OnDelete has no budget.
    """
    nodes = [NodeEnd(f"bad{i}", desired=False, ready=False, old="terminating") for i in range(20)]
    nodes += [old(f"n{i}") for i in range(268)]
    sentence = stop_cause(EndState(tuple(nodes), max_unavailable=(14, 268))).sentence
    assert sentence.startswith("20 NotReady or unreachable nodes hold the budget, maxUnavailable 14 of 268 desired "
                               "nodes (their pods stay terminating on a dead kubelet): while they stay NotReady no "
                               "pod moves, unless maxUnavailable is raised to at least 21 or their pods go (the Node "
                               "objects deleted, or tainted out-of-service: --out-of-service-after); 0 nodes of 268")
    one = stop_cause(EndState((NodeEnd("bad", desired=False, ready=False, old="terminating"), old("n0"), old("n1")),
                              max_unavailable=(1, 2))).sentence
    assert one.startswith("1 NotReady or unreachable node holds the budget, maxUnavailable 1 of 2 desired nodes") \
        and "raised to at least 2 or its pods go (the Node object deleted" in one
    assert "no pod moves" not in stop_cause(EndState(tuple(nodes), max_unavailable=(21, 268))).sentence
    assert "maxUnavailable" not in stop_cause(EndState(tuple(nodes), strategy="OnDelete",
                                                       max_unavailable=(14, 268))).sentence


def test_all_healthy_nodes_done_and_not_ready_ones_hold_the_rest() -> None:
    nodes = [done(f"n{i}") for i in range(295)] + [NodeEnd(f"bad{i}", ready=False, old="terminating")
                                                    for i in range(5)]
    state = EndState(tuple(nodes))
    cause = stop_cause(state)
    assert cause.cause == "not-ready-nodes" and "295 nodes of 300 updated" in cause.sentence
    assert stuck_nodes(state) == [f"bad{i}" for i in range(5)]


@pytest.mark.parametrize("kind, words", [(CRASH_LOOPING, "crash-looping"), (IMAGE_PULL_ERROR, "failing to pull"),
                                         (NEVER_READY, "never Ready"), (REJECTED, "rejected by the kubelet")])
def test_failing_new_pods_hold_the_budget(kind: str, words: str) -> None:
    nodes = [NodeEnd(f"b{i}", old="none", new=kind) for i in range(50)] + [old(f"n{i}") for i in range(450)]
    cause = stop_cause(EndState(tuple(nodes)))
    assert cause.cause == kind and words in cause.sentence and "on 50 nodes" in cause.sentence
    assert counts(cause)[kind] == 50 and counts(cause)["old_only"] == 450


def test_pods_the_kubelet_rejects_are_a_broken_revision_not_a_slow_straggler() -> None:
    """--new-pods rejected: each node's new pod is Failed at admission, deleted after the
    controller's per-node back-off and created again. The sentence says so, not "still on the
    way to Ready (a slow straggler)", and the nodes are stuck, so healthy_done_s leaves them out.
    """
    nodes = [NodeEnd(f"b{i}", old="none", new=REJECTED) for i in range(2)] + [old(f"n{i}") for i in range(18)]
    state = EndState(tuple(nodes))
    cause = stop_cause(state)
    assert cause.cause == REJECTED and counts(cause) == {"desired": 20, "updated": 0, REJECTED: 2, "old_only": 18}
    assert cause.sentence == (
        "new pods rejected by the kubelet at admission (phase Failed, as for OutOfcpu or NodeAffinity; the controller "
        "deletes each and creates another after its per-node back-off, 1 s doubling to 15 min) on 2 nodes hold the "
        "budget (maxUnavailable, or maxSurge's slots); 0 nodes of 20 updated (new pod available)")
    assert stuck_nodes(state) == ["b0", "b1"]
    # the only nodes left: a re-created pod may be admitted (a fraction), so "so far", not "never"
    only = stop_cause(EndState((NodeEnd("b", old="none", new=REJECTED), done("n"))))
    assert "the only nodes not updated: every pod created there so far was rejected; 1 node of 2" in only.sentence
    assert CAUSE_TEXT[REJECTED].startswith("new pods rejected by the kubelet (phase Failed)")


def test_with_surge_failing_pods_sit_beside_running_old_ones() -> None:
    nodes = [NodeEnd(f"b{i}", old="running", new=CRASH_LOOPING) for i in range(25)] + [old("x")]
    assert stop_cause(EndState(tuple(nodes))).cause == CRASH_LOOPING


def test_the_most_frequent_failure_names_the_cause_and_not_ready_nodes_are_mentioned() -> None:
    nodes = [NodeEnd("a", old="none", new=CRASH_LOOPING), NodeEnd("b", old="none", new=IMAGE_PULL_ERROR),
             NodeEnd("c", old="none", new=IMAGE_PULL_ERROR), NodeEnd("d", ready=False, old="terminating")]
    cause = stop_cause(EndState(tuple(nodes)))
    assert cause.cause == IMAGE_PULL_ERROR
    assert cause.sentence.endswith("; also 1 NotReady or unreachable node holds the budget (their pods stay "
                                   "terminating on a dead kubelet)")


@pytest.mark.parametrize(("strategy", "deleter"), [("RollingUpdate", "none"), ("OnDelete", "batch")])
def test_new_pods_a_not_ready_node_never_starts_are_what_it_waits_for(strategy: str, deleter: str) -> None:
    """A kubelet that reports Ready=False itself deletes the old pod and starts nothing: no pod
    stays terminating, so nothing "holds the budget on a dead kubelet" (and OnDelete has no
    budget): the new pods on those nodes never become available.
    """
    nodes = [done(f"n{i}") for i in range(48)] + [NodeEnd(f"bad{i}", ready=False, old="none", new=STARTING)
                                                   for i in range(2)]
    cause = stop_cause(EndState(tuple(nodes), strategy=strategy, deleter=deleter))
    # audit 7: under RollingUpdate they hold a sliver of the budget, not the point: nothing else is left
    held = ("are the only nodes not updated, and the rollout cannot complete while they are NotReady"
            if strategy == "RollingUpdate" else "keep the rollout waiting")
    assert cause.cause == "not-ready-nodes"
    assert cause.sentence == (f"2 NotReady or unreachable nodes {held} (their new pods are not available: a NotReady "
                              "node's pods are not Ready); 48 nodes of 50 updated (new pod available)")


def test_an_unreachable_nodes_unavailable_new_pod_holds_the_budget_too() -> None:
    """10 nodes become unreachable with a budget of 10: 6 had their old pod deleted (stuck
    terminating), 4 had an available new pod that MarkPodsNotReady made unavailable. None is
    desired any more (the unreachable taint), but rollingUpdate counts every node with pods:
    all 10 hold the budget, which is why it deadlocks (the sentence said 6).
    """
    nodes = [NodeEnd(f"t{i}", desired=False, ready=False, old="terminating") for i in range(6)]
    nodes += [NodeEnd(f"u{i}", desired=False, ready=False, old="none", new=STARTING) for i in range(4)]
    nodes += [done(f"n{i}") for i in range(66)] + [old(f"o{i}") for i in range(124)]
    cause = stop_cause(EndState(tuple(nodes)))
    assert cause.cause == "not-ready-nodes" and counts(cause)["not_ready"] == 10
    assert cause.sentence.startswith("10 NotReady or unreachable nodes hold the budget (6 with pods stuck terminating "
                                     "on a dead kubelet, 4 whose new pods are not available)")


def test_under_on_delete_failing_pods_keep_the_batch_deleter_waiting() -> None:
    nodes = [NodeEnd("b", old="none", new=CRASH_LOOPING), done("n0")] + [old(f"o{i}") for i in range(18)]
    sentence = stop_cause(EndState(tuple(nodes), strategy="OnDelete", deleter="batch")).sentence
    assert sentence.startswith("new pods crash-looping (CrashLoopBackOff) on 1 node keep the batch deleter waiting")
    assert "budget" not in sentence


def test_under_on_delete_terminating_pods_keep_the_rollout_waiting() -> None:
    nodes = [done("n0"), NodeEnd("bad", ready=False, old="terminating")]
    sentence = stop_cause(EndState(tuple(nodes), strategy="OnDelete", deleter="batch")).sentence
    assert sentence.startswith("1 NotReady or unreachable node keeps the rollout waiting (their pods stay "
                               "terminating on a dead kubelet)") and "budget" not in sentence


@pytest.mark.parametrize("kind, words", [(PENDING_RESOURCES, "NodeResourcesFit"), (PENDING_HOST_PORT, "NodePorts")])
def test_surge_pods_pending_name_the_scheduler_filter(kind: str, words: str) -> None:
    nodes = [NodeEnd(f"s{i}", old="running", new=kind) for i in range(20)] + [old(f"n{i}") for i in range(180)]
    cause = stop_cause(EndState(tuple(nodes)))
    assert cause.cause == kind and words in cause.sentence and cause.sentence.startswith("20 new pods Pending")


def test_on_delete_with_nothing_deleting() -> None:
    nodes = tuple(old(f"n{i}") for i in range(100))
    assert stop_cause(EndState(nodes, strategy="OnDelete", deleter="none")).cause == "on-delete-idle"
    # a deleter at work that ran out of time is the horizon, not an idle OnDelete
    assert stop_cause(EndState(nodes, strategy="OnDelete", deleter="batch", horizon_reached=True)).cause == "horizon"


def test_an_old_pod_kept_beside_an_available_new_one_is_a_lost_wake_up() -> None:
    """Surge with minReadySeconds: the sync that would delete the old pod never came."""
    nodes = tuple(done(f"n{i}") for i in range(48)) + tuple(NodeEnd(f"s{i}", old="running", new=AVAILABLE)
                                                            for i in range(2))
    cause = stop_cause(EndState(nodes))
    assert cause.cause == "old-pod-kept" and cause.sentence.startswith("2 nodes keep their old pod beside an available")
    # the count says what it counts: the 2 have an available new pod too, said apart (audit item 3)
    assert "resync" in cause.sentence and cause.sentence.endswith(
        "48 nodes of 50 updated (new pod available, old pod gone); 2 more nodes have an available new pod beside "
        "their old one, not counted as updated")
    assert stop_cause(EndState(nodes, horizon_reached=True)).cause == "horizon"  # cut short, not lost


def test_an_old_pod_kept_beside_unreachable_nodes_is_the_lost_wake_up_not_the_nodes() -> None:
    """Audit 40: a surge with minReadySeconds on 1,112 desired nodes stopped with 1,111 done, one old
    pod kept beside its available new one, and 7 unreachable nodes (not desired: their taint) whose
    old pods stay terminating; it was called not-ready-nodes, which the surge does not wait for."""
    nodes = (tuple(done(f"n{i}") for i in range(49)) + (NodeEnd("s0", old="running", new=AVAILABLE),)
             + tuple(NodeEnd(f"dead{i}", ready=False, desired=False, old="terminating") for i in range(3)))
    cause = stop_cause(EndState(nodes))
    assert cause.cause == "old-pod-kept"
    assert cause.sentence.startswith("1 node keeps its old pod beside an available new one")
    assert cause.sentence.endswith("; also 3 NotReady or unreachable nodes, their pods stuck on a dead "
                                   "kubelet")  # still said, after the cause
    # a desired NotReady node not done is what the rollout waits for: its cause as before
    waits = nodes[:-1] + (NodeEnd("dead2", ready=False, old="terminating"),)
    assert stop_cause(EndState(waits)).cause == "not-ready-nodes"


def test_an_old_pod_kept_names_a_clock_ahead_only_when_some_clock_is_off() -> None:
    """A node clock ahead of the controller's is offered as a cause only in a run with clock skew."""
    nodes = tuple(done(f"n{i}") for i in range(49)) + (NodeEnd("s0", old="running", new=AVAILABLE),)
    plain, skewed = stop_cause(EndState(nodes)).sentence, stop_cause(EndState(nodes, clock_skew=True)).sentence
    assert "clock" not in plain and "its node's clock ahead of the controller's" in skewed
    assert plain.endswith("1 more node has an available new pod beside its old one, not counted as updated")


def test_a_pod_ready_but_not_available_names_clock_skew_only_when_some_clock_is_off() -> None:
    """Stalled with a pod Ready but not yet available: --clock-skew is named only when the run has one."""
    nodes = tuple(done(f"n{i}") for i in range(9)) + (NodeEnd("s0", old="none", new=READY_NOT_AVAILABLE),)
    plain, skewed = stop_cause(EndState(nodes)), stop_cause(EndState(nodes, clock_skew=True))
    assert plain.cause == skewed.cause == "stalled"
    assert "--clock-skew" not in plain.sentence and "--clock-skew" in skewed.sentence


def test_a_surge_rollout_with_min_ready_seconds_that_stalls_names_the_lost_wake_up() -> None:
    """The whole model: updatePod's AddAfter(minReadySeconds + 1 s) dropped by the de-duplicating
    queue (client-go keeps a key's earliest wait), and the status requeue counting only the oldest
    pod, leave an old pod that no sync deletes (seed found by search, 11 since model 20; without
    queue_dedup it completes).
    """
    from rollsim import build_scenario, simulate

    scenario = dict(nodes=50, max_surge="10%", max_unavailable=0, min_ready_seconds=10)
    stalled = simulate(build_scenario(**scenario), seed=11).summary
    assert stalled["stop_cause"] == "old-pod-kept" and not stalled["completed"]
    assert simulate(build_scenario(**scenario, queue_dedup=False), seed=11).summary["completed"]


def test_the_horizon_reached_while_moving() -> None:
    nodes = (done("a"), NodeEnd("b", old="terminating", new=NONE), NodeEnd("c", old="none", new=STARTING), old("d"))
    cause = stop_cause(EndState(nodes, horizon_reached=True))
    assert cause.cause == "horizon" and "1 node of 4 updated" in cause.sentence
    stalled = stop_cause(EndState(nodes))
    assert stalled.cause == "stalled" and "1 new pod still on the way to Ready (a slow straggler" in stalled.sentence
    sentence = stop_cause(EndState(nodes[:2] + nodes[3:])).sentence
    assert sentence == "no progress; 1 node of 3 updated (new pod available)"


def test_rolled_back() -> None:
    cause = stop_cause(EndState((done("a"), done("b")), rolled_back=True))
    assert cause.cause == "rolled-back" and "2 nodes of 2 back on the old revision" in cause.sentence


def test_ready_but_not_yet_available_is_not_a_failure() -> None:
    nodes = (NodeEnd("a", old="none", new=READY_NOT_AVAILABLE), old("b"))
    assert stop_cause(EndState(nodes, horizon_reached=True)).cause == "horizon"


def test_every_combination_gives_a_known_cause_and_one_line() -> None:
    """Exhaustive over small states: two nodes, every readiness, old and new state, strategy."""
    singles = [NodeEnd("x", desired=d, ready=r, old=o, new=n) for d, r, o, n in
               itertools.product((True, False), (True, False), ("none", "running", "terminating"), NEW_STATES)]
    for a, b in itertools.product(singles, repeat=2):
        for strategy, deleter, horizon in (("RollingUpdate", "none", False), ("OnDelete", "none", True),
                                           ("OnDelete", "rate", False)):
            state = EndState((a, NodeEnd("y", a.desired, b.ready, b.old, b.new)), strategy, deleter, horizon)
            cause = stop_cause(state)
            assert cause.cause in CAUSES and cause.cause in CAUSE_TEXT
            assert cause.sentence and "\n" not in cause.sentence
            news = {a.new, b.new}
            failing = news & {CRASH_LOOPING, IMAGE_PULL_ERROR, NEVER_READY, REJECTED, DISK_PRESSURE}
            if failing:  # a broken revision always comes first
                assert cause.cause in failing
            elif news & {PENDING_RESOURCES, PENDING_HOST_PORT}:
                assert cause.cause in (PENDING_RESOURCES, PENDING_HOST_PORT)


def counted(nodes: list[NodeEnd]) -> EndState:
    """``nodes`` as ``end_state`` gives them: the stuck ones listed, the others counted by state."""
    listed = [n for n in nodes if is_stuck(n.ready, n.new)]
    alike: dict[NodeEnd, int] = {}
    for n in nodes:
        if not is_stuck(n.ready, n.new):
            key = NodeEnd("", n.desired, n.ready, n.old, n.new)
            alike[key] = alike.get(key, 0) + 1
    return EndState(tuple(listed), alike=tuple(alike.items()))


def test_counted_nodes_give_the_cause_and_stuck_nodes_of_listed_ones() -> None:
    """Exhaustive over pairs of nodes beside two updated ones: counting the nodes that are not stuck
    (as ``end_state`` does) changes neither the cause nor the stuck nodes.
    """
    singles = [NodeEnd(f"n{i}", desired=d, ready=r, old=o, new=n) for i, (d, r, o, n) in
               enumerate(itertools.product((True, False), (True, False), ("none", "running", "terminating"),
                                           NEW_STATES))]
    for pair in itertools.combinations_with_replacement(singles, 2):
        nodes = [*pair, done("d1"), done("d2")]
        listed, state = EndState(tuple(nodes)), counted(nodes)
        assert stop_cause(state) == stop_cause(listed)
        assert stuck_nodes(state) == stuck_nodes(listed)


def test_only_nodes_that_are_not_stuck_may_be_counted() -> None:
    with pytest.raises(ValueError, match="not stuck"):
        EndState((), alike=((NodeEnd("", new=CRASH_LOOPING), 3),))
    with pytest.raises(ValueError, match="not stuck"):
        EndState((), alike=((NodeEnd("", ready=False), 1),))


def test_bad_states_are_rejected() -> None:
    with pytest.raises(ValueError, match="new must be one of"):
        NodeEnd("a", new="weird")
    with pytest.raises(ValueError, match="old must be one of"):
        NodeEnd("a", old="gone")


def nodes_frame(rows: list[tuple[str, bool, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["node", "desired", "new_available_at_s"])


def test_healthy_done_is_the_last_updatable_node() -> None:
    frame = nodes_frame([("a", True, 100.0), ("b", True, 441.5), ("c", True, math.nan), ("d", False, math.nan)])
    assert healthy_done_s(frame, ["c"]) == 441.5
    assert healthy_done_s(frame) is None  # c could have been updated and was not
    assert healthy_done_s(frame, ["a", "b", "c"]) == 0.0
    assert healthy_done_s(nodes_frame([])) == 0.0


def test_failing_pods_that_are_all_that_is_left_do_not_hold_the_budget() -> None:
    """bad-image at 10% of 500 with 2% bad pods: the budget (50) was never full; the run stopped
    because the 13 crash-looping nodes were the only ones left.
    """
    nodes = [done(f"n{i}") for i in range(487)] + [NodeEnd(f"bad{i}", old="none", new=CRASH_LOOPING)
                                                   for i in range(13)]
    cause = stop_cause(EndState(tuple(nodes)))
    assert cause.cause == CRASH_LOOPING and "hold the budget" not in cause.sentence
    assert cause.sentence.startswith("new pods crash-looping (CrashLoopBackOff) on 13 nodes, the only nodes not "
                                     "updated: they never become available; 487 nodes of 500 updated")
    nodes += [old(f"o{i}") for i in range(10)]  # nodes still waiting: the failing ones hold the budget
    assert "on 13 nodes hold the budget" in stop_cause(EndState(tuple(nodes))).sentence


@pytest.mark.parametrize(("olds", "where"), [
    ("running", "beside the old pod"),
    ("none", "even with the old pod gone"),
    ("both", "beside the old pod on 2 of them, even with it gone on the others"),
])
def test_a_pod_that_does_not_fit_is_said_to_sit_beside_the_old_pod_only_when_it_does(olds, where) -> None:
    kinds = ["running", "running", "none"] if olds == "both" else [olds] * 3
    nodes = [NodeEnd(f"p{i}", old=o, new=PENDING_RESOURCES) for i, o in enumerate(kinds)] + [done("n")]
    cause = stop_cause(EndState(tuple(nodes)))
    assert f"NodeResourcesFit: Insufficient cpu or memory {where})" in cause.sentence


def test_a_node_whose_old_pod_is_still_terminating_is_done() -> None:
    """kubectl rollout status counts the available new pods: an old (after a rollback, the bad)
    pod still terminating beside one does not make the node "not back" (95 of 100, all back).
    """
    nodes = [done(f"n{i}") for i in range(95)] + [NodeEnd(f"s{i}", old="terminating", new=AVAILABLE)
                                                   for i in range(5)]
    assert stop_cause(EndState(tuple(nodes), rolled_back=True)).sentence.endswith(
        "100 nodes of 100 back on the old revision")


def test_one_old_pod_kept_reads_in_the_singular() -> None:
    """``1 node keeps its old pod``, never ``1 node keep their old pod``."""
    nodes = tuple(done(f"n{i}") for i in range(49)) + (NodeEnd("s0", old="running", new=AVAILABLE),)
    cause = stop_cause(EndState(nodes))
    assert cause.cause == "old-pod-kept" and cause.sentence.startswith("1 node keeps its old pod beside an available")


@pytest.mark.parametrize("changes", [{"max_unavailable": "100%"}, {"add_nodes": "3@29.9"}])
def test_a_run_cut_while_a_desired_node_has_no_pod_says_why_it_stopped(changes) -> None:
    """Cut at the horizon while a node that should run the DaemonSet has no pod of it (its old pod
    gone and the new one not yet created, or a node that has just joined): the end state reads no
    new pod there (an IndexError did, from review R6)."""
    from rollsim import build_scenario, simulate

    nodes, horizon = (30, 3) if "max_unavailable" in changes else (10, 30)
    result = simulate(build_scenario(nodes=nodes, horizon=horizon, **changes), seed=1)
    assert not result.summary["completed"]
    assert result.summary["stop_cause"] == "horizon"


def test_an_on_delete_rollout_held_by_a_not_ready_node_the_status_still_counts_says_so():
    """Every desired node done, and a NotReady node no longer desired (its NoSchedule taint) holding a
    new pod that never became available: the controller's last status still counts it, and the rollout
    never reads as done. It was called a slow straggler a longer stall_after would wait for (audit 32).
    """
    nodes = (*(done(f"n{i}") for i in range(3)), NodeEnd("gone", desired=False, ready=False, old="none",
                                                             new="starting"))
    cause = stop_cause(EndState(nodes, strategy="OnDelete", deleter="rate"))
    assert cause.cause == "not-ready-nodes"
    assert cause.sentence.startswith("1 NotReady node no longer desired (NoSchedule taint) holds a new pod that never "
                                     "became available, and the controller's last status still counts it")
    assert cause.sentence.endswith("; 3 nodes of 3 updated (new pod available)")


def test_the_experiment_format_lists_every_stop_cause() -> None:
    """Audit 38: experiments/README.md's list of ``stop_cause`` values left out five the code gives."""
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "experiments" / "README.md").read_text(encoding="utf-8")
    assert [cause for cause in CAUSES if f"`{cause}`" not in text] == []


@pytest.mark.parametrize("fault, cause", [("crashloop", CRASH_LOOPING), ("pull-error", IMAGE_PULL_ERROR),
                                          ("never-ready", NEVER_READY)])
def test_a_healthy_straggler_is_not_called_faulty_because_some_new_pods_may_be(fault: str, cause: str) -> None:
    """Audit 41: with --new-pods crashloop:0.003 a rollout stopped by a healthy pod slow to become Ready
    (the same stop, at the same second, as without the fault) was called crash-looping: the end state
    asked whether any new pod may be faulty, not whether this one was drawn so. A pull still under way
    read as a pull error the same way.
    """
    from rollsim import build_scenario, simulate

    # the healthy pod still pulling (pull-error), or running and not yet Ready, when the 100 s stall comes
    slow = {"pull": 400, "ready": 1} if fault == "pull-error" else {"pull": 2, "ready": 400}
    timings = {"schedule": 1, "start": 1, "terminate": 1, **slow}
    for fraction in ("0.000001", "1"):  # (seed 0 draws no pod faulty at the first)
        s = simulate(build_scenario(nodes=3, max_unavailable=1, controller="ideal", new_pods=f"{fault}:{fraction}",
                                    stall_after=100, **timings), seed=0).summary
        assert s["stalled"]
        if fraction == "1":
            assert s["stop_cause"] == cause
        else:
            assert s["stop_cause"] == "stalled" and "still on the way to Ready" in s["stop_detail"], s["stop_detail"]
