"""A new revision that fails: crash loops, pull errors, readiness that never passes; stalls."""

from __future__ import annotations

import math

import pytest
from rollsim import build_scenario, simulate
from rollsim.cluster.imagepull import ImageManager
from rollsim.cluster.kubelet import Kubelet
from rollsim.cluster.podworker import (
    BACKOFF_PERIOD_S,
    JITTER_FACTOR,
    RELIST_PERIOD_S,
    RESYNC_INTERVAL_S,
    SYNC_TICK_S,
    PodWorkers,
)
from rollsim.spec.faults import NewPodFaults, crash_loop_backoff, kubelet_backoff, parse_new_pods
from rollsim.spec.versions import rules_for

CONSTANT = dict(schedule=1, pull=2, start=3, ready=4, terminate=5, probe_period=0)


def test_backoff_doubles_from_10_s_to_5_min() -> None:
    assert [kubelet_backoff(n) for n in range(1, 8)] == [10, 20, 40, 80, 160, 300, 300]


def test_a_crashed_container_restarts_at_once_the_first_time() -> None:
    """kuberuntime's doBackOff: no back-off entry before the first restart (IsInBackOffSince is
    false; Next then sets 10 s), so the waits are 0, 10, 20, ... 300 s: one step ahead of the
    image pull back-off, which starts its entry at the failed pull itself."""
    assert [crash_loop_backoff(n) for n in range(1, 10)] == [0, 10, 20, 40, 80, 160, 300, 300, 300]


def _restart_waits(monkeypatch, faults: NewPodFaults, stall_after: float, **options) -> list[float]:
    """Seconds from each exit of the one crash-looping container to its next restart (less the
    3 s container start), in a one-node rollout with constant timings."""
    moments: list[tuple[str, float]] = []
    crashed, restarted = Kubelet._crashed, Kubelet._restarted

    def spy_crashed(self, pod, rt, failures):
        moments.append(("exit", self.env.now))
        crashed(self, pod, rt, failures)

    def spy_restarted(self, pod, rt, failures, start):
        moments.append(("restart", self.env.now))
        restarted(self, pod, rt, failures, start)

    monkeypatch.setattr(Kubelet, "_crashed", spy_crashed)
    monkeypatch.setattr(Kubelet, "_restarted", spy_restarted)
    s = simulate(build_scenario(nodes=1, new_pods=faults, controller="ideal", stall_after=stall_after,
                                **CONSTANT, **options)).summary
    assert s["stop_cause"] == "crash-looping"
    kinds = [kind for kind, _ in moments]
    assert kinds[::2] == ["exit"] * len(kinds[::2]) and kinds[1::2] == ["restart"] * len(kinds[1::2])
    return [round(moments[i + 1][1] - moments[i][1] - 3.0, 9) for i in range(0, len(moments) - 1, 2)]


BACKOFFS = [0, 10, 20, 40, 80, 160, 300, 300, 300]


def _late_at_most(backoff: float, version: str) -> float:
    """How long after its back-off a restart can come: the PLEG relist (1 s) for the first, then one
    ``completeWork`` requeue and a ``syncTicker`` tick (rollsim.cluster.podworker)."""
    if backoff == 0:
        return RELIST_PERIOD_S
    if rules_for(version).backoff_error_carries_expiry:
        return JITTER_FACTOR * min(backoff, RESYNC_INTERVAL_S) + SYNC_TICK_S
    return BACKOFF_PERIOD_S * (1 + JITTER_FACTOR) + SYNC_TICK_S


@pytest.mark.pure
@pytest.mark.parametrize("version", ["1.34", "1.37"])
def test_crash_loop_back_off_in_a_run(monkeypatch, version) -> None:
    """The container runs 5 s and exits; it may restart 0, 10, 20, 40, 80, 160, 300 s later (plus its
    3 s start), and does at the first pod sync then: the PLEG relist that sees the exit, then the
    pod worker's requeues. Never before the back-off, at most one requeue and a tick after it."""
    waits = _restart_waits(monkeypatch, NewPodFaults("crashloop"), stall_after=2500, kubernetes_version=version)
    assert len(waits) >= len(BACKOFFS)
    for wait, backoff in zip(waits, BACKOFFS):
        assert backoff <= wait < backoff + _late_at_most(backoff, version)
    assert waits[:len(BACKOFFS)] != BACKOFFS  # late by the syncs (before: at the expiry itself)


@pytest.mark.pure
@pytest.mark.parametrize("version", ["1.34", "1.37"])
def test_with_no_jitter_a_restart_is_on_the_first_tick_after_its_back_off(monkeypatch, version) -> None:
    """Every draw of the pod workers 0 (relist at the exit, ticks on whole seconds, requeues of exactly
    10 s, or of the time left): a container that runs 5.25 s exits off the ticks, and restarts on the
    first whole second at or after its back-off's end; the first time at the exit itself."""
    monkeypatch.setattr(PodWorkers, "_draw", lambda self: 0.0)
    exits: list[float] = []
    crashed = Kubelet._crashed

    def spy(self, pod, rt, failures):
        exits.append(self.env.now)
        crashed(self, pod, rt, failures)

    monkeypatch.setattr(Kubelet, "_crashed", spy)
    waits = _restart_waits(monkeypatch, NewPodFaults("crashloop", crash_after=5.25), stall_after=2500,
                           kubernetes_version=version)
    expected = [0.0] + [math.ceil(e + b) - e for e, b in zip(exits[1:], BACKOFFS[1:])]
    assert waits[:len(BACKOFFS)] == pytest.approx(expected)
    assert all(0 < w - b < 1 for w, b in zip(waits[1:len(BACKOFFS)], BACKOFFS[1:]))  # exits are off the ticks


@pytest.mark.pure
@pytest.mark.parametrize(("crash_after", "backoffs"), [(590.0, [0, 10, 20]), (600.0, [0, 0, 0])])
def test_crash_loop_back_off_expires_after_ten_minutes_of_running(monkeypatch, crash_after, backoffs) -> None:
    """client-go's Backoff drops an entry not updated for 2 × 300 s (hasExpired): a container that
    runs longer than that (its 3 s start and crash_after from the restart) restarts at once again
    (at the relist that sees its exit)."""
    waits = _restart_waits(monkeypatch, NewPodFaults("crashloop", crash_after=crash_after), 5000)[:3]
    for wait, backoff in zip(waits, backoffs):
        assert backoff <= wait < backoff + _late_at_most(backoff, "1.37")


def _failed_pulls(monkeypatch, registry: dict, stall_after: float = 80) -> list[float]:
    failed_at: list[float] = []
    pull_failed = ImageManager._pull_failed

    def spy(self, pod, rt, fault, start, failures, refused):
        failed_at.append(self.env.now)
        pull_failed(self, pod, rt, fault, start, failures, refused)

    monkeypatch.setattr(ImageManager, "_pull_failed", spy)
    s = simulate(build_scenario(nodes=1, new_pods="pull-error", controller="ideal", stall_after=stall_after,
                                **{**CONSTANT, "pull": 100}, **registry)).summary
    assert s["stop_cause"] == "image-pull-error" and s["mean_pull_s"] is None
    return failed_at


@pytest.mark.pure
@pytest.mark.parametrize(("registry", "expected"), [
    ({}, [6, 16, 36, 76]), ({"registry_latency": 0.5}, [6.5, 17.5, 38.5, 79.5])], ids=["no-registry-model", "latency"])
def test_a_failing_pull_fails_with_the_registry_answer(monkeypatch, registry, expected) -> None:
    """A refused manifest (a missing tag, credentials refused) fails before any layer: ErrImagePull
    comes with the registry's answer after the bind at 6 s (the old pod's 5 s termination, the 1 s
    schedule), not after the 100 s ``pull`` time; each retry comes at the first pod sync after the
    image back-off (10, 20, 40 s from the failure). With no jitter (every draw 0: requeues of 10 s,
    ticks on whole seconds) and a 0.5 s answer: failed at 6.5, requeued to 16.5, pulled on the 17 s
    tick, failed at 17.5; syncs at 28, 38 (the back-off ends at 37.5), failed at 38.5; 49 ... 79, failed at 79.5."""
    monkeypatch.setattr(PodWorkers, "_draw", lambda self: 0.0)
    assert _failed_pulls(monkeypatch, registry) == pytest.approx(expected)


@pytest.mark.pure
def test_pull_retries_come_after_the_back_off_and_at_most_one_requeue_later(monkeypatch) -> None:
    """With the run's own draws: each failed pull is retried no sooner than its back-off, and no later
    than one ``completeWork`` requeue (10 s × [1, 1.5)) and a ``syncTicker`` tick after it."""
    failed_at = _failed_pulls(monkeypatch, {}, stall_after=1500)
    assert len(failed_at) >= 7
    for failures, (a, b) in enumerate(zip(failed_at, failed_at[1:]), start=1):
        backoff = kubelet_backoff(failures)
        assert backoff <= b - a < backoff + BACKOFF_PERIOD_S * (1 + JITTER_FACTOR) + SYNC_TICK_S


@pytest.mark.parametrize(("spec", "expected"), [
    ("crashloop", NewPodFaults("crashloop", 1.0)), ("pull-error:0.25", NewPodFaults("pull-error", 0.25)),
    ("NEVER-READY:1", NewPodFaults("never-ready", 1.0)), ("healthy", NewPodFaults()),
])
def test_parse(spec, expected) -> None:
    assert parse_new_pods(spec) == expected
    assert parse_new_pods(str(expected)) == expected


@pytest.mark.parametrize("bad", ["crash", "crashloop:2", "pull-error:-0.1", "never-ready:x", ""])
def test_parse_rejects(bad) -> None:
    with pytest.raises(ValueError):
        parse_new_pods(bad)


CAUSES = {"crashloop": "crash-looping", "pull-error": "image-pull-error", "never-ready": "never-ready",
          "rejected": "rejected"}


@pytest.mark.parametrize("kind", ["crashloop", "pull-error", "never-ready", "rejected"])
@pytest.mark.parametrize("controller", ["ideal", "realistic"])
@pytest.mark.parametrize("k", [1, 3])
def test_a_bad_image_stalls_with_exactly_max_unavailable_nodes_lost(kind, controller, k) -> None:
    s = simulate(build_scenario(nodes=20, max_unavailable=k, new_pods=kind, controller=controller,
                                stall_after=600, **CONSTANT), seed=1).summary
    assert s["completed"] is False and s["stalled"] is True
    assert s["stop_cause"] == CAUSES[kind] and "straggler" not in s["stop_detail"]
    assert s["unavailable_at_end"] == k
    assert s["max_unavailable_observed"] == k and s["min_available"] == 20 - k
    assert s["updated"] == k  # a Pending pod of the new revision counts as updated, as upstream
    # the k pods were lost within the first cycle; nothing progressed afterwards
    assert s["stalled_at_s"] == 0.0
    assert s["end_s"] == pytest.approx(600.0)


@pytest.mark.parametrize(("strategy", "held", "stall_after"), [
    (dict(max_unavailable=2), 2, 600), (dict(max_surge=3), 3, 600), (dict(max_unavailable=2), 2, None)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pods_the_kubelet_rejects_are_named_as_the_stop_cause(strategy, held, stall_after, seed) -> None:
    """--new-pods rejected with the default timings: the kubelet fails each new pod at admission
    (phase Failed), the controller deletes it after its per-node back-off and creates another;
    with maxSurge it creates another at once (podsShouldBeOnNode's surge branch: no pod running).
    The run said "no progress, 2 new pods still on the way to Ready (a slow straggler: a longer
    stall_after would wait for it)", which no stall_after makes true (the default, an hour,
    stopped the same way).
    """
    stall = {} if stall_after is None else {"stall_after": stall_after}
    s = simulate(build_scenario(nodes=20, new_pods="rejected", **strategy, **stall), seed=seed).summary
    assert s["completed"] is False and s["stop_cause"] == "rejected"
    replaced = ("with maxSurge the controller creates another in the same sync whenever none runs on the node "
                "(podsShouldBeOnNode's surge branch counts no failed pod as running, kubernetes/kubernetes#124388), as "
                "fast as the kubelet rejects them, and deletes the failed ones after its per-node back-off, 1 s "
                "doubling to 15 min" if "max_surge" in strategy else
                "the controller deletes each and creates another after its per-node back-off, 1 s doubling to 15 min")
    assert s["stop_detail"].startswith(f"new pods rejected by the kubelet at admission (phase Failed, as for OutOfcpu "
                                       f"or NodeAffinity; {replaced}) on {held} nodes hold the budget")
    assert s["end_s"] == pytest.approx(stall_after or 3600.0) and s["healthy_done_s"] is None


def test_surge_holds_the_bad_pods_beside_the_old_ones() -> None:
    s = simulate(build_scenario(nodes=20, max_surge=3, new_pods="crashloop", controller="ideal",
                                stall_after=600, **CONSTANT)).summary
    assert s["stalled"] is True and s["min_available"] == 20  # every node keeps its old pod
    assert s["max_surge_observed"] == 3 and s["unavailable_at_end"] == 0


def test_a_faulty_fraction_stalls_later() -> None:
    s = simulate(build_scenario(nodes=200, max_unavailable=5, new_pods="crashloop:0.02", controller="ideal",
                                stall_after=900, **CONSTANT), seed=3).summary
    assert s["stalled"] is True
    assert 0 < s["stalled_at_s"] and s["updated"] > 5  # some healthy waves first
    assert 0 < s["unavailable_at_end"] <= 5  # at most the budget: each bad pod holds one unit


def test_healthy_rollouts_do_not_stall() -> None:
    s = simulate(build_scenario(nodes=50, max_unavailable="10%"), seed=2).summary
    assert s["completed"] is True and s["stalled"] is False and s["stalled_at_s"] is None
    assert s["peak_concurrent_pulls"] >= 1 and s["mean_pull_s"] > 0


def test_on_delete_without_a_deleter_is_stalled_from_the_start() -> None:
    s = simulate(build_scenario(nodes=5, strategy="OnDelete", **CONSTANT)).summary
    assert s["stalled"] is True and s["stalled_at_s"] == 0.0 and s["updated"] == 0


def test_pulls_overlap_as_the_budget_allows() -> None:
    """Ideal mode, constant timings: exactly maxUnavailable pulls run at once, each 2 s long."""
    s = simulate(build_scenario(nodes=20, max_unavailable=4, controller="ideal", **CONSTANT)).summary
    assert s["peak_concurrent_pulls"] == 4 and s["mean_pull_s"] == pytest.approx(2.0)


def test_an_operator_rollback_and_its_cost_in_closed_form() -> None:
    """Ideal mode: k = 3 crash-looping pods from t = 0, the stall is detected at 300 s, the
    rollback at 360 s restores the old revision (old pods count as updated again) and
    replaces the 3 bad pods in one 13 s cycle (15 s but the 2 s pull: every node still has the
    old image, IfNotPresent); each of the 3 nodes was down 373 s."""
    s = simulate(build_scenario(nodes=20, max_unavailable=3, new_pods="crashloop", stall_after=300,
                                rollback_after=60, controller="ideal", **CONSTANT)).summary
    assert s["rolled_back"] is True and s["completed"] is False and s["duration_s"] is None
    assert s["stalled_at_s"] == 0.0 and s["rollback_done_s"] == pytest.approx(373.0)
    assert s["unavailable_at_end"] == 0 and s["updated"] == 20
    assert s["unavailable_node_seconds"] == pytest.approx(3 * 373.0)


@pytest.mark.parametrize("stall_after", [100, 1000])
def test_a_rollback_longer_than_the_stall_detector_runs_to_its_end(stall_after) -> None:
    """``kubectl rollout undo`` is a rollout of its own: the nodes the update had reached are
    replaced again, maxUnavailable at a time, and each of them back on the old revision is
    progress. A 20% crash loop stalls the update; the undo then takes 104 s (eight waves of two
    13 s cycles: no pull, the nodes have the old image), whatever the stall detector's window:
    before, a node the update had reached counted as progress only once, so a 100 s window
    stopped the undo at 390 s with 19 of 20 back.
    """
    s = simulate(build_scenario(nodes=20, max_unavailable=2, new_pods="crashloop:0.2", rollback_after=10,
                                stall_after=stall_after, controller="ideal", **CONSTANT), seed=2).summary
    assert s["rolled_back"] is True and s["rollback_done_s"] is not None
    assert s["stop_detail"].endswith("20 nodes of 20 back on the old revision")
    assert s["rollback_done_s"] == pytest.approx(s["stalled_at_s"] + stall_after + 10 + 8 * 13)


def test_a_realistic_rollback_recovers_every_node() -> None:
    s = simulate(build_scenario(nodes=200, max_unavailable="10%", new_pods="crashloop", stall_after=600,
                                rollback_after=120), seed=1).summary
    assert s["rolled_back"] is True and s["rollback_done_s"] > 600 + 120
    assert s["unavailable_at_end"] == 0


def test_without_a_stall_there_is_no_rollback() -> None:
    s = simulate(build_scenario(nodes=20, max_unavailable=3, rollback_after=60, controller="ideal",
                                **CONSTANT)).summary
    assert s["completed"] is True and s["rolled_back"] is False and s["rollback_done_s"] is None


@pytest.mark.parametrize("spec", ["healthy", "crashloop", "pull-error:0.5", "never-ready", "rejected", "rejected:0.1"])
def test_the_experiment_schema_lets_editors_write_every_kind(spec) -> None:
    """The JSON Schema (``rollsim schema``) called ``new_pods: rejected`` wrong, though the loader
    takes it and the key's description names it."""
    import jsonschema
    from rollsim.spec.kinds import NEW_PODS

    assert jsonschema.Draft202012Validator(NEW_PODS.schema).is_valid(spec)
    parse_new_pods(spec)
