"""Each node's first failed pod of a DaemonSet (``rollsim.observe.firstfailed``)."""

from __future__ import annotations

import simpy
from rollsim.cluster.apiserver import ApiServer
from rollsim.cluster.nodestore import NodeStore
from rollsim.controller.pods import FAILED, Pod, first_daemon_pod
from rollsim.observe.firstfailed import FirstFailed
from rollsim.spec.node import Node


def _fail(api: ApiServer, pod: Pod, first: FirstFailed) -> None:
    pod.scheduled, pod.phase = True, FAILED
    api.pod_status_changed(pod)
    first.failed(pod)  # what the recorder's watch does


def test_first_failed_follows_creation_order_not_failure_order() -> None:
    env = simpy.Environment()
    api = ApiServer(env, NodeStore([Node("a"), Node("b")]))
    api.add_daemonset("agent")
    api.add_daemonset("other")
    first = FirstFailed(api, "agent")
    old = api.seed_pod("agent", 0, 0, -100.0)
    stranger = api.seed_pod("other", 0, 0, -200.0)  # another DaemonSet's: never the answer
    assert first.first(0) is None
    env.run(until=1)
    new = [api.create_pod("agent", 0, 1) for _ in range(3)]
    _fail(api, stranger, first)
    _fail(api, new[1], first)
    assert first.first(0) is new[1]
    _fail(api, new[2], first)
    _fail(api, old, first)  # failed last, created first
    assert first.first(0) is old
    _fail(api, new[0], first)
    for gone in (old, new[0], new[2]):  # deleted (terminal: gone at once)
        api.delete_pod(gone.uid)
        left = [p for p in api.failed_by_node[0] if p.owner == "agent"]
        assert first.first(0) is first_daemon_pod(left)
    api.delete_pod(new[1].uid)
    assert first.first(0) is None
    assert first.first(1) is None  # a node that never had any
