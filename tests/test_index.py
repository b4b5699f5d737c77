"""The fast path (incremental ``NodeIndex``) against the reference (a full ``scan``).

A hypothesis state machine drives one controller through random operations (syncs,
readiness changes, clock jumps, template and strategy changes, pods appearing,
failing and going) and after every step checks that the index's totals and sets are
exactly those of a plain rescan of every node, and that both plan the same writes.
"""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from rollsim.controller.decisions import SyncError, manage_plan, rolling_update_plan
from rollsim.controller.index import scan
from rollsim.controller.pods import FAILED, SUCCEEDED
from rollsim.spec.budget import updated_desired_node_counts
from rollsim.spec.node import Taint

from harness import ControllerHarness

NODES = [
    {"name": f"node-{i}", "taints": [{"key": "dedicated", "effect": effect}] if effect else []}
    for i, effect in enumerate([None, None, None, None, "NoSchedule", None, "NoExecute", None])
]


def _plans(agg, strategy):
    budgets = updated_desired_node_counts(agg.totals["desired"], strategy.max_unavailable, strategy.max_surge)
    manage = manage_plan(agg, 250)
    try:
        rolling = rolling_update_plan(agg, budgets.max_unavailable, budgets.max_surge, 250)
    except SyncError:
        rolling = "error"
    def as_ids(plan):
        return plan if plan == "error" else (plan.creates, [p.uid for p in plan.deletes])

    return as_ids(manage), as_ids(rolling)


class IndexMatchesScan(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.h = ControllerHarness(NODES)
        self.h.set_update_strategy("RollingUpdate", max_unavailable=2)
        self.h.sync()

    @rule()
    def sync(self) -> None:
        self.h.sync()

    @rule(ready=st.booleans(), count=st.integers(1, 4), revision=st.sampled_from([None, "current", "old"]))
    def readiness(self, ready, count, revision) -> None:
        self.h.mark_pods_ready(ready=ready, count=count, revision=revision)

    @rule(seconds=st.sampled_from([0.5, 1.0, 5.0, 15.0, 16.0, 60.0]))
    def advance(self, seconds) -> None:
        self.h.now += seconds

    @rule(tolerate=st.booleans())
    def change_template(self, tolerate) -> None:
        self.h.change_template(tolerations=[{"key": "dedicated", "operator": "Exists"}] if tolerate else [])

    @rule(kind=st.sampled_from(["unavailable:1", "unavailable:3", "unavailable:50%", "surge:1", "surge:2", "surge:25%",
                                "ondelete"]))
    def strategy(self, kind) -> None:
        if kind == "ondelete":
            self.h.set_update_strategy("OnDelete")
        else:
            which, value = kind.split(":")
            value = value if value.endswith("%") else int(value)
            if which == "surge":
                self.h.set_update_strategy("RollingUpdate", max_unavailable=0, max_surge=value)
            else:
                self.h.set_update_strategy("RollingUpdate", max_unavailable=value)

    @rule(seconds=st.sampled_from([0, 10, 15]))
    def min_ready(self, seconds) -> None:
        self.h.set_min_ready_seconds(seconds)

    @rule(
        node=st.sampled_from([n["name"] for n in NODES] + ["gone-node"]),
        revision=st.sampled_from(["current", "old"]),
        ready=st.booleans(),
        scheduled=st.booleans(),
        deleting=st.booleans(),
    )
    def add_pod(self, node, revision, ready, scheduled, deleting) -> None:
        self.h.add_pod(node, revision=revision, ready=ready, scheduled=scheduled, deleting=deleting)

    @rule(data=st.data(), phase=st.sampled_from([FAILED, SUCCEEDED, None]))
    def pod_event(self, data, phase) -> None:
        pods = sorted(self.h.controller.pods.values(), key=lambda p: p.uid)
        if not pods:
            return
        pod = data.draw(st.sampled_from(pods))
        if phase is None:
            self.h.controller.pod_deleted(pod.uid)
        else:
            snapshot = pod.copy()
            snapshot.phase, snapshot.ready = phase, False
            self.h.controller.pod_updated(snapshot)

    @invariant()
    def index_equals_scan(self) -> None:
        c = self.h.controller
        fast = c.aggregate()
        reference = scan(c._classify, range(len(c.nodes)), c.rank)
        assert fast.key() == reference.key()
        assert _plans(fast, c.strategy) == _plans(reference, c.strategy)


IndexMatchesScan.TestCase.settings = settings(max_examples=60, stateful_step_count=40, deadline=None)
TestIndexMatchesScan = IndexMatchesScan.TestCase


def test_taints_in_the_fixture_shape_eligibility() -> None:
    """The fixture has an untolerated NoSchedule and NoExecute node, so eligibility varies."""
    h = ControllerHarness(NODES)
    assert h.sync() == (6, 0)
    assert Taint("dedicated", "", "NoSchedule") in h.controller.nodes[4].taints
