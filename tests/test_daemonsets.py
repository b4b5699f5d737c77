"""Several DaemonSets updated at once, sharing the controller's workers and API budget."""

from __future__ import annotations

import pandas as pd
import pytest
from rollsim import build_scenario, simulate
from rollsim.cluster.apiserver import ApiPodControl

CONSTANT = dict(schedule=1, pull=2, start=3, ready=4, terminate=5, probe_period=0)
OTHERS = [
    {"name": "calico-node", "max_unavailable": 2, "ready": 1, "schedule": 1, "pull": 1, "start": 1,
     "terminate": 1, "probe_period": 0},
    {"name": "node-exporter", "max_surge": 5, "ready": 2, "schedule": 1, "pull": 1, "start": 1,
     "terminate": 1, "probe_period": 0},
]


def test_in_ideal_mode_each_keeps_its_own_closed_form() -> None:
    """Each DaemonSet's rollout is its own closed form where they share nothing on the nodes: with
    every image cached (no pull) the kubelet's one pull at a time cannot hold one back for another.
    """
    cached = [{**item, "image_cached": 1.0} for item in OTHERS]
    r = simulate(build_scenario(nodes=20, max_unavailable=4, controller="ideal", also=cached, image_cached=1.0,
                                **CONSTANT))
    assert r.summary["duration_s"] == pytest.approx(5 * 13)  # ceil(20/4) × (5+1+3+4), no pull
    assert r.others["calico-node"]["duration_s"] == pytest.approx(10 * 4)  # ceil(20/2) × (1+1+1+1)


def test_their_pulls_on_a_node_take_turns() -> None:
    """With the images to pull, a node pulls one at a time (``serializeImagePulls``): where a wave of
    calico-node reaches a node while the study's pod pulls there, its pull waits, so calico-node
    takes longer than its closed form (50 s), and never less.
    """
    r = simulate(build_scenario(nodes=20, max_unavailable=4, controller="ideal", also=OTHERS, **CONSTANT))
    assert r.summary["duration_s"] == pytest.approx(5 * 15)  # ceil(20/4) × (5+1+2+3+4): it pulls first
    assert r.others["calico-node"]["duration_s"] > 10 * 5  # ceil(20/2) × (1+1+1+1+1) alone
    # surge: each wave's pods are created at once and their old pods go when they are available
    assert r.others["node-exporter"]["completed"] is True
    assert r.others["node-exporter"]["min_available_fraction"] == 1.0


def test_sharing_the_controller_slows_each_one_down() -> None:
    common = dict(nodes=600, max_unavailable="10%")
    alone = simulate(build_scenario(**common), seed=5).summary
    shared = simulate(build_scenario(also=[{"name": "a", "max_unavailable": "10%"},
                                           {"name": "b", "max_unavailable": "10%"}], **common), seed=5)
    assert shared.summary["duration_s"] > alone["duration_s"]
    assert shared.summary["queue_wait_s"] > alone["queue_wait_s"] == 0.0
    assert set(shared.others) == {"a", "b"} and all(o["completed"] for o in shared.others.values())
    assert all(o["queue_wait_s"] > 0 for o in shared.others.values())


def test_the_same_seed_gives_the_same_results() -> None:
    scenario = build_scenario(nodes=50, also=[{"name": "calico-node", "max_unavailable": "20%"}])
    a, b = simulate(scenario, seed=3), simulate(scenario, seed=3)
    pd.testing.assert_frame_equal(a.timeline, b.timeline)
    assert a.others == b.others and a.summary == b.summary


def test_names_must_differ_and_entries_are_checked() -> None:
    with pytest.raises(ValueError, match="distinct objects of one cluster"):
        build_scenario(nodes=5, also=[{"name": "fluentd-elasticsearch"}])  # both in kube-system
    with pytest.raises(ValueError, match="item 0 .*max_unavailable"):
        build_scenario(nodes=5, also=[{"name": "x", "max_unavailable": "200%"}])
    with pytest.raises(ValueError, match="item 0: unknown key colour .*rollsim schema"):
        build_scenario(nodes=5, also=[{"name": "x", "colour": "red"}])
    with pytest.raises(ValueError, match="item 0: unknown key max_surg; did you mean max_surge"):
        build_scenario(nodes=5, also=[{"name": "x", "max_surg": 1}])


def test_one_name_in_two_namespaces_is_two_daemonsets() -> None:
    """Upstream a DaemonSet is keyed ``namespace/name``: kube-system/fluentd and logging/fluentd
    are two objects, each with its own pods, queue key, rollout and results (refused before).
    The slow one (a 3 s Ready against 1 s) keeps its own closed form in ideal mode.
    """
    slow = {"name": "fluentd-elasticsearch", "namespace": "logging", "max_unavailable": 2, "image_cached": 1.0,
            **{**FAST_ONE, "pull": 0, "ready": 3}}  # no pull: nothing shared on the nodes
    r = simulate(build_scenario(nodes=10, max_unavailable=5, controller="ideal", also=[slow], image_cached=1.0,
                                **FAST_ONE))
    assert set(r.others) == {"logging/fluentd-elasticsearch"}
    other = r.others["logging/fluentd-elasticsearch"]
    assert r.summary["duration_s"] == pytest.approx(2 * 4)  # ceil(10/5) × (1+1+1+1), no pull
    assert other["duration_s"] == pytest.approx(5 * 6)  # ceil(10/2) × (1+1+1+3)
    assert r.summary["updated"] == other["updated"] == 10  # one new pod each on every node: two objects
    assert r.summary["syncs"] != other["syncs"]  # each synced under its own key
    with pytest.raises(ValueError, match=r"must differ from item 0's namespace and name \(logging/x\)"):
        build_scenario(nodes=5, also=[{"name": "x", "namespace": "logging"}, {"name": "x", "namespace": "logging"}])


FAST_ONE = dict(schedule=1, pull=1, start=1, ready=1, terminate=1, probe_period=0)


def test_an_items_draws_are_its_own_whatever_else_the_run_updates() -> None:
    """An ``also`` item's random streams are keyed by its ``namespace/name``: a same-named
    DaemonSet in another namespace beside it (which turns its column key from ``agent`` into
    ``monitoring/agent``) leaves its draws, and so its results, as they were (ideal mode: the
    two share nothing that could make them interact).
    """
    agent = {"name": "agent", "namespace": "monitoring", "max_unavailable": 3}
    alone = simulate(build_scenario(nodes=30, max_unavailable=3, controller="ideal", also=[agent]), seed=3)
    beside = simulate(build_scenario(nodes=30, max_unavailable=3, controller="ideal",
                                     also=[agent, {**agent, "namespace": "logging"}]), seed=3)
    keys = ("duration_s", "unavailable_node_seconds", "node_downtime_max_s")
    assert [beside.others["monitoring/agent"][k] for k in keys] == [alone.others["agent"][k] for k in keys]
    assert beside.others["logging/agent"]["duration_s"] != alone.others["agent"]["duration_s"]


# -- one world: the DaemonSets share the cluster ------------------------------------------------

from dataclasses import replace  # noqa: E402

from rollsim.spec.node import Node, Taint  # noqa: E402
from rollsim.spec.options import OptionError  # noqa: E402

FAST = dict(schedule=0.01, pull=0.01, start=0.01, ready=0.01, terminate=0.01, probe_period=0)


def test_nodes_added_during_the_rollout_reach_every_daemonset() -> None:
    """Before the one world, only the first DaemonSet saw added nodes (it reported 30, the other 20)."""
    r = simulate(build_scenario(nodes=20, add_nodes="10@5", also=[{"name": "calico-node"}]), seed=1)
    assert r.summary["nodes"] == 30 and r.summary["updated"] == 30
    assert r.others["calico-node"]["nodes"] == 30 and r.others["calico-node"]["updated"] == 30


def test_nodes_removed_and_failing_reach_every_daemonset() -> None:
    r = simulate(build_scenario(nodes=30, remove_nodes="5@5", not_ready_nodes="3@5",
                                also=[{"name": "calico-node"}]), seed=2)
    other = r.others["calico-node"]
    # 30 - 5 removed - 3 NotReady (kept only, no longer desired); a removed node may be a NotReady one
    assert 22 <= r.summary["nodes"] == other["nodes"] <= 25
    # the NotReady nodes' old pods hold maxUnavailable 1 in both rollouts: both deadlock
    assert r.summary["stalled"] and other["stalled"]
    assert r.summary["max_unavailable_observed"] == other["max_unavailable_observed"] == 1


def test_the_scheduler_throughput_is_shared() -> None:
    """One scheduler binds every DaemonSet's pods: 80 pods at 1/s take about 80 s, not 40 s
    (each DaemonSet had its own token bucket before)."""
    one = dict(nodes=40, max_unavailable="100%", controller="ideal", scheduler_throughput="1/s", **FAST)
    alone = simulate(build_scenario(**one)).summary["duration_s"]
    both = simulate(build_scenario(**one, also=[{"name": "b", "max_unavailable": "100%", **FAST}]))
    assert 39 <= alone <= 41
    assert max(both.summary["duration_s"], both.others["b"]["duration_s"]) >= 79


def pooled_nodes(per_pool: int) -> tuple[Node, ...]:
    """Nodes of two pools, a and b, each tainted ``pool=<its name>``: a DaemonSet runs on one pool
    when it tolerates that taint alone (``only``).
    """
    return tuple(Node(f"n-{pool}-{i}", taints=(Taint("pool", pool),)) for pool in "ab" for i in range(per_pool))


def only(pool: str) -> list[dict[str, str]]:
    """Tolerations of ``pool``'s taint alone (``pooled_nodes``)."""
    return [{"key": "pool", "operator": "Equal", "value": pool}]


def test_the_registry_bandwidth_is_shared() -> None:
    """Two DaemonSets on nodes of their own pulling 1 GB images through a 10 GB/s registry at
    once: 20 pulls, each gets half of what 10 got.
    """
    nodes = pooled_nodes(10)
    one = dict(node_list=nodes, max_unavailable="100%", controller="ideal", image_size="1GB",
               registry_bandwidth="10GB/s", tolerations=only("a"), **FAST)
    alone = simulate(build_scenario(**one)).summary
    b = {"name": "b", "max_unavailable": "100%", "image_size": "1GB", "tolerations": only("b"), **FAST}
    both = simulate(build_scenario(**one, also=[b]))
    assert alone["mean_pull_s"] == pytest.approx(1.0)  # 10 pulls of 1 GB share 10 GB/s
    assert both.summary["mean_pull_s"] == pytest.approx(2.0, rel=0.05)
    assert both.others["b"]["mean_pull_s"] == pytest.approx(2.0, rel=0.05)
    assert both.summary["registry_bytes_served"] == both.others["b"]["registry_bytes_served"] == 10e9


def test_node_resources_and_host_ports_are_shared() -> None:
    """A surge pod that fits beside its own old pod does not fit beside another DaemonSet's pod."""
    nodes = tuple(Node(f"n{i}", allocatable_cpu_millis=1000) for i in range(4))
    main = dict(max_surge=1, requests_cpu="500m", stall_after=120, **FAST)
    alone = simulate(replace(build_scenario(**main), nodes=nodes)).summary
    assert alone["completed"] and alone["unschedulable_pods"] == 0
    other = {"name": "node-exporter", "requests_cpu": "500m", **FAST}
    shared = simulate(replace(build_scenario(**main, also=[other]), nodes=nodes))
    assert shared.others["node-exporter"]["completed"]
    assert not shared.summary["completed"] and shared.summary["unschedulable_pods"] >= 1
    assert shared.summary["stop_detail"].startswith("1 new pod Pending, unschedulable (NodeResourcesFit: Insufficient "
                                                    "cpu beside the old pod and the other DaemonSets' pods)")


def test_two_daemonsets_cannot_hold_one_host_port_on_a_node() -> None:
    """NodePorts lets one pod hold a host port per node: two DaemonSets with the same host port on
    the same nodes could not both have been running (the run would start them so); refused, the
    item named. On nodes apart, they may.
    """
    b = {"name": "b", "host_ports": "9100"}
    with pytest.raises(OptionError, match=r"item 0 \(b\): host_ports: must not repeat the DaemonSet's own host port "
                                          "9100 on nodes that run both"):
        build_scenario(nodes=5, host_ports="9100,9101", also=[b])
    nodes = pooled_nodes(1)
    r = simulate(build_scenario(node_list=nodes, host_ports="9100", tolerations=only("a"),
                                also=[{**b, "tolerations": only("b")}]))
    assert r.summary["completed"] and r.others["b"]["completed"] and r.summary["nodes"] == 1


# -- each DaemonSet's rollout is its own: its operator, its map order --------------------------

HEALTHY_B = [{"name": "b", "max_unavailable": 1, **CONSTANT}]  # 20 nodes one at a time: done at 300 s


def test_a_stall_is_the_daemonsets_own_whatever_another_does() -> None:
    """A crash-looping rollout makes no progress after time 0: with ``stall_after`` 300 its
    operator gives up at 300 s, with or without a healthy DaemonSet still moving beside it (a
    single watchdog over both took the other's last progress for its own: stalled at 300, cut at 600).
    """
    common = dict(nodes=20, max_unavailable=1, controller="ideal", new_pods="crashloop", stall_after=300, **CONSTANT)
    alone = simulate(build_scenario(**common), seed=1).summary
    beside = simulate(build_scenario(also=HEALTHY_B, **common), seed=1)
    for summary in (alone, beside.summary):
        assert (summary["stalled"], summary["stalled_at_s"], summary["end_s"]) == (True, 0.0, 300.0)
        assert summary["unavailable_node_seconds"] == 300.0  # one node down, from 0 to where it was given up
    assert beside.others["b"]["completed"] and beside.others["b"]["duration_s"] == 300.0
    # rolled back 60 s after the stall is detected, whatever the other does
    rolled = [simulate(build_scenario(rollback_after=60, also=also, **common), seed=1).summary
              for also in ((), HEALTHY_B)]
    # 360 s, then one node's 15 s cycle but its 2 s pull: the node still has the old image
    assert [s["rollback_done_s"] for s in rolled] == [373.0, 373.0]


def test_another_daemonsets_stall_is_its_own_and_does_not_stop_a_moving_rollout() -> None:
    """b's surge pod waits for the host port its old pod holds: b stalls at once, while the main
    DaemonSet goes on, one node every 15 s, until the horizon.
    """
    stuck = [{"name": "b", "max_surge": 1, "max_unavailable": 0, "host_ports": "9100", **CONSTANT}]
    r = simulate(build_scenario(nodes=40, max_unavailable=1, controller="ideal", stall_after=100, horizon=300,
                                also=stuck, **CONSTANT), seed=1)
    assert (r.others["b"]["stalled"], r.others["b"]["stalled_at_s"]) == (True, 0.0)
    assert r.others["b"]["stop_cause"] == "pending-host-port"
    assert (r.summary["stalled"], r.summary["stop_cause"], r.summary["end_s"]) == (False, "horizon", 300.0)
    assert r.summary["updated"] == 20


def test_each_daemonset_takes_the_nodes_in_an_order_of_its_own(monkeypatch) -> None:
    """Go ranges over each DaemonSet's own nodeToDaemonPods map in a random order: two DaemonSets
    do not replace the same nodes at the same time (one order shared by both did).
    """
    created: dict[str, list[int]] = {}
    create = ApiPodControl.create

    def recording(self, node, revision):
        created.setdefault(self.owner, []).append(node)
        return create(self, node, revision)

    monkeypatch.setattr(ApiPodControl, "create", recording)
    scenario = build_scenario(nodes=30, max_unavailable=1, controller="ideal", also=HEALTHY_B, **CONSTANT)
    simulate(scenario, seed=3)
    main, b = created[scenario.daemonset.name], created["b"]
    assert sorted(main) == sorted(b) == list(range(30)) and main != b


def test_an_ondelete_daemonset_beside_one_with_a_deleter_is_left_alone() -> None:
    """The operator's deleter works on the study's DaemonSet only: an OnDelete DaemonSet beside it
    waits for somebody to delete its old pods, and says so (not "stalled").
    """
    r = simulate(build_scenario(nodes=20, strategy="OnDelete", deleter="batch:5", controller="ideal",
                                also=[{"name": "b", "strategy": "OnDelete", **CONSTANT}], **CONSTANT), seed=1)
    assert r.summary["completed"]
    assert (r.others["b"]["updated"], r.others["b"]["stop_cause"]) == (0, "on-delete-idle")


def test_a_node_pulls_one_image_at_a_time() -> None:
    """The kubelet's image puller is serial by default (``serializeImagePulls: true``): two
    DaemonSets' 1 GB images at 100 MB/s on one node take 10 s each, one after the other (each
    pull capped by the link on its own, both ran in 10 s, as if the node had two links).
    """
    constant = dict(schedule=1, start=3, ready=4, terminate=5, probe_period=0)
    image = dict(image_size="1GB", node_bandwidth="100MB/s")
    r = simulate(build_scenario(nodes=1, controller="ideal", also=[{"name": "b", **constant, **image}],
                                **constant, **image))
    # delete at 0, gone at 5, bound at 6; one pull 6–16, the other 16–26; started 3 s and Ready 4 s later
    assert sorted([r.summary["duration_s"], r.others["b"]["duration_s"]]) == [23.0, 33.0]
    assert r.summary["mean_pull_s"] == r.others["b"]["mean_pull_s"] == 10.0


def test_the_summary_says_whose_counts_it_gives() -> None:
    """Audit H9: ``events`` is the whole simulation's (every DaemonSet's) while ``syncs`` and
    ``api_writes`` are the study's DaemonSet's own; the summary says so when there are others.
    """
    from rollsim.present.console_simulate import format_summary

    alone = simulate(build_scenario(nodes=4, controller="ideal"), 0)
    both = simulate(build_scenario(nodes=4, controller="ideal", also=[{"name": "b"}]), 0)
    assert both.summary["events"] > alone.summary["events"]  # the other DaemonSet's events are in it
    assert both.summary["api_writes"] == alone.summary["api_writes"]  # its own: one delete, one create a node
    assert "events, " in format_summary(alone, 0.0) and "(every DaemonSet's)" not in format_summary(alone, 0.0)
    text = format_summary(both, 0.0)
    assert "events (every DaemonSet's), " in text and "API writes (this DaemonSet's)" in text
