"""The world numbers its nodes in the controllers' map order (``world.in_map_order``): the
numbering is invisible in every result, and whatever lists nodes lists them as the scenario does.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import simpy
from hypothesis import given
from hypothesis import strategies as st
from rollsim import build_scenario, simulate, world
from rollsim.cluster.apiserver import ApiServer
from rollsim.cluster.nodestore import NodeStore
from rollsim.observe.recorder import Recorder
from rollsim.spec.node import Node, PodPlacement


@given(st.lists(st.sampled_from([0.1, 0.25, 0.5, 0.75, 0.9]), max_size=40))
def test_ids_follow_the_ranks_with_ties_in_list_order(ranks: list[float]) -> None:
    listed = [Node(f"n{i}") for i in range(len(ranks))]
    nodes, rank, listing = world.in_map_order(listed, np.array(ranks))
    assert rank == sorted(ranks)
    assert [nodes[i] for i in listing] == listed  # listing: the new ids in list order
    assert [rank[i] for i in listing] == ranks
    for a, b in zip(nodes, nodes[1:]):  # equal ranks keep their list order
        i, j = int(a.name[1:]), int(b.name[1:])
        assert ranks[i] < ranks[j] or (ranks[i] == ranks[j] and i < j)


def test_node_store_lists_in_list_order_and_joins_last() -> None:
    store = NodeStore([Node("c"), Node("a"), Node("b")], listing=[1, 2, 0])
    assert [store.nodes[i].name for i in store.present()] == ["a", "b", "c"]
    store.delete(2)
    assert store.present() == [1, 0]
    joined = store.add(Node("d"))
    assert store.present() == [1, 0, joined] and store.positions().tolist() == [2, 0, 1, 3]
    with pytest.raises(ValueError, match="listing"):
        NodeStore([Node("a")], listing=[])


def _identity(listed, rank):  # the numbering before: ids in list order
    return list(listed), rank.tolist(), list(range(len(listed)))


CASES: dict[str, dict[str, Any]] = {
    "churn": dict(nodes=120, max_unavailable="10%", add_nodes="12@20+40", remove_nodes="6@30+60"),
    "not-ready-out-of-service": dict(nodes=100, max_unavailable="5%", not_ready_nodes="5@30",
                                     out_of_service_after=60),
    "ondelete": dict(nodes=80, strategy="OnDelete", deleter="batch:8:5", not_ready_nodes=3),
    "image-cache-surge": dict(nodes=100, max_surge="10%", image_size="500MB", image_cached=0.4,
                              registry_bandwidth="200MB/s"),
    "surge-fit": dict(nodes=80, max_surge="10%", requests_cpu="500m", node_utilization=0.9),
    "crashloop-ideal": dict(nodes=60, max_unavailable=3, new_pods="crashloop:0.2", controller="ideal"),
    "also": dict(nodes=90, max_unavailable="10%", also=[{"name": "b", "max_surge": 4}]),
}


@pytest.mark.pure  # replaces a function of the (compiled) world module
@pytest.mark.parametrize("name", sorted(CASES))
def test_the_numbering_changes_no_result(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = build_scenario(**CASES[name])
    ours = simulate(scenario, seed=3)
    monkeypatch.setattr(world, "in_map_order", _identity)
    before = simulate(scenario, seed=3)
    assert ours.summary == before.summary and ours.others == before.others
    for frame in ("timeline", "nodes", "status"):
        assert getattr(ours, frame).equals(getattr(before, frame)), frame


def test_the_nodes_frame_lists_nodes_as_the_scenario_does() -> None:
    scenario = build_scenario(nodes=50, max_unavailable="10%", not_ready_nodes=2)
    frame = simulate(scenario, seed=1).nodes
    assert frame["node"].tolist() == [n.name for n in scenario.nodes]


def test_the_recorder_lists_nodes_in_list_order_once() -> None:
    env = simpy.Environment()
    api = ApiServer(env, NodeStore([Node("b"), Node("c"), Node("a")], listing=[2, 0, 1]))
    ds = api.add_daemonset("agent")
    api.seed_pod("agent", 0, 0, -100.0)  # node b only
    recorder = Recorder(env, api, ds, PodPlacement(), 0.0)
    recorder.watch()
    api.set_revision("agent", 1)
    env.run(until=5)
    api.delete_pod(api.pods_by_node[0][0].uid)
    _, nodes = recorder.to_frames(10.0)
    assert nodes["node"].tolist() == ["a", "b", "c"]
    assert nodes["old_deleted_at_s"].fillna(-1).tolist() == [-1, 5.0, -1]
    assert nodes["downtime_s"].tolist() == [10.0, 5.0, 10.0]  # a and c never had a pod
    with pytest.raises(RuntimeError, match="once"):
        recorder.to_frames(10.0)
