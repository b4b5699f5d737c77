"""Eligibility reports: which nodes get a daemon pod and why the others do not (``rollsim.spec.eligibility``)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rollsim.io.nodes import load_nodes, make_nodes, nodes_json
from rollsim.spec.eligibility import (
    KEPT_ONLY,
    EligibilityReport,
    eligibility_report,
    format_report,
    node_should_run_daemon_pod,
    why_not_eligible,
)
from rollsim.spec.node import (
    CONTROL_PLANE_LABEL,
    NO_EXECUTE,
    NO_SCHEDULE,
    PREFER_NO_SCHEDULE,
    Node,
    PodPlacement,
    Taint,
    Toleration,
)
from rollsim.spec.node import (
    NodeSelectorRequirement as Req,
)
from rollsim.spec.node import (
    NodeSelectorTerm as Term,
)

ROOT = Path(__file__).parent.parent
SAMPLE = ROOT / "experiments" / "nodes" / "sample-300.json"
EXCERPT = ROOT / "tests" / "data" / "nodes" / "kubectl-get-nodes.json"
TOLERATE_CONTROL_PLANE = Toleration(CONTROL_PLANE_LABEL, "Exists", effect=NO_SCHEDULE)
CP_REASON = f"{KEPT_ONLY}untolerated taint node-role.kubernetes.io/control-plane:NoSchedule"
NOT_READY_REASON = ("get no new pod (a pod already there stays): "
                    "untolerated taint node.kubernetes.io/not-ready:NoSchedule")


@pytest.fixture(scope="module")
def sample() -> tuple[Node, ...]:
    return load_nodes(SAMPLE)


class TestSample:
    """experiments/nodes/sample-300.json: 300 nodes, 3 control-plane, 2 NotReady, 1 cordoned."""

    def test_default_tolerations(self, sample: tuple[Node, ...]) -> None:
        report = eligibility_report(sample, PodPlacement())
        # 300 - 3 control-plane - 2 NotReady; the cordoned node still gets its pod
        assert (report.total, report.eligible, report.kept_only, report.excluded) == (300, 295, 5, 0)
        assert report.reasons == ((CP_REASON, 3), (NOT_READY_REASON, 2))
        cp = sorted(n.name for n in sample if CONTROL_PLANE_LABEL in n.labels)
        down = sorted(n.name for n in sample if not n.ready)
        assert report.examples == ((CP_REASON, tuple(cp)), (NOT_READY_REASON, tuple(down)))
        assert (report.eligible_not_ready, report.eligible_unschedulable) == (0, 1)

    def test_tolerating_the_control_plane(self, sample: tuple[Node, ...]) -> None:
        report = eligibility_report(sample, PodPlacement(tolerations=(TOLERATE_CONTROL_PLANE,)))
        assert (report.eligible, report.kept_only, report.excluded) == (298, 2, 0)
        assert report.reasons == ((NOT_READY_REASON, 2),)

    def test_tolerating_everything(self, sample: tuple[Node, ...]) -> None:
        report = eligibility_report(sample, PodPlacement(tolerations=(Toleration(operator="Exists"),)))
        assert (report.eligible, report.kept_only, report.reasons) == (300, 0, ())
        assert (report.eligible_not_ready, report.eligible_unschedulable) == (2, 1)

    def test_node_selector_excludes_all(self, sample: tuple[Node, ...]) -> None:
        report = eligibility_report(sample, PodPlacement(node_selector={"disktype": "ssd"}))
        assert (report.eligible, report.kept_only, report.excluded) == (0, 0, 300)
        assert report.reasons == (("nodeSelector disktype=ssd does not match", 300),)
        assert len(report.examples[0][1]) == 3

    def test_selecting_one_zone(self, sample: tuple[Node, ...]) -> None:
        zone = {"topology.kubernetes.io/zone": "us-east-1b"}
        report = eligibility_report(sample, PodPlacement(node_selector=zone, tolerations=(TOLERATE_CONTROL_PLANE,)))
        in_zone = [n for n in sample if n.labels["topology.kubernetes.io/zone"] == "us-east-1b"]
        assert len(in_zone) == 100  # 99 workers + 1 control-plane node
        assert report.eligible + report.kept_only == 100
        assert dict(report.reasons)["nodeSelector topology.kubernetes.io/zone=us-east-1b does not match"] == 200


def test_not_ready_nodes_are_kept_only(tmp_path: Path) -> None:
    """A NotReady node carries not-ready:NoExecute (tolerated) and not-ready:NoSchedule (not tolerated)."""
    path = tmp_path / "nodes.json"
    path.write_text(nodes_json(make_nodes(20, control_plane=0, not_ready=2, seed=3)), encoding="utf-8")
    nodes = load_nodes(path)
    down = [n for n in nodes if not n.ready]
    assert len(down) == 2
    assert all(node_should_run_daemon_pod(n, PodPlacement()) == (False, True) for n in down)
    report = eligibility_report(nodes, PodPlacement())
    assert (report.eligible, report.kept_only, report.excluded) == (18, 2, 0)
    assert report.reasons == ((NOT_READY_REASON, 2),)


def test_kubectl_excerpt() -> None:
    nodes = load_nodes(EXCERPT)
    report = eligibility_report(nodes, PodPlacement())
    assert (report.eligible, report.kept_only) == (2, 2)  # the general node and the cordoned one
    assert dict(report.reasons) == {
        f"{KEPT_ONLY}untolerated taint nvidia.com/gpu=present:NoSchedule": 1,
        f"{KEPT_ONLY}untolerated taint node.kubernetes.io/unreachable:NoSchedule": 1,
    }
    assert report.eligible_unschedulable == 1 and report.eligible_not_ready == 0


class TestReasons:
    """``why_not_eligible`` names the first rule, in ``NodeShouldRunDaemonPod``'s order."""

    def test_eligible(self) -> None:
        assert why_not_eligible(Node("a"), PodPlacement()) is None

    def test_node_name_first(self) -> None:
        node = Node("a", {}, (Taint("x", "", NO_EXECUTE),))
        placement = PodPlacement(node_name="b", node_selector={"disktype": "ssd"})
        assert why_not_eligible(node, placement) == "template nodeName names another node"
        assert why_not_eligible(node, PodPlacement(node_name="a")) == "untolerated taint x:NoExecute"

    def test_selector_before_taints(self) -> None:
        node = Node("a", {"disktype": "hdd"}, (Taint("x", "", NO_EXECUTE),))
        assert why_not_eligible(node, PodPlacement(node_selector={"disktype": "ssd"})) == \
            "nodeSelector disktype=ssd does not match"

    def test_first_mismatching_selector_key(self) -> None:
        node = Node("a", {"disktype": "ssd"})
        placement = PodPlacement(node_selector={"disktype": "ssd", "gpu": "a10g"})
        assert why_not_eligible(node, placement) == "nodeSelector gpu=a10g does not match"

    def test_required_affinity(self) -> None:
        placement = PodPlacement(required_node_affinity=(Term((Req("gpu", "Exists"),)),))
        assert why_not_eligible(Node("a"), placement) == "required node affinity does not match"
        assert why_not_eligible(Node("a", {"gpu": ""}), placement) is None

    def test_no_execute_excludes_and_wins_over_no_schedule(self) -> None:
        node = Node("a", {}, (Taint("s", "", NO_SCHEDULE), Taint("e", "v", NO_EXECUTE)))
        assert why_not_eligible(node, PodPlacement()) == "untolerated taint e=v:NoExecute"
        assert node_should_run_daemon_pod(node, PodPlacement()) == (False, False)

    def test_no_schedule_keeps(self) -> None:
        node = Node("a", {}, (Taint("dedicated", "gpu", NO_SCHEDULE),))
        assert why_not_eligible(node, PodPlacement()) == f"{KEPT_ONLY}untolerated taint dedicated=gpu:NoSchedule"

    def test_prefer_no_schedule_and_default_tolerations_ignored(self) -> None:
        taints = (Taint("p", "", PREFER_NO_SCHEDULE), Taint("node.kubernetes.io/unschedulable", "", NO_SCHEDULE),
                  Taint("node.kubernetes.io/disk-pressure", "", NO_SCHEDULE),
                  Taint("node.kubernetes.io/unreachable", "", NO_EXECUTE))
        assert why_not_eligible(Node("a", {}, taints, ready=False, unschedulable=True), PodPlacement()) is None

    def test_network_unavailable_only_with_host_network(self) -> None:
        node = Node("a", {}, (Taint("node.kubernetes.io/network-unavailable", "", NO_SCHEDULE),))
        assert why_not_eligible(node, PodPlacement(host_network=True)) is None
        assert why_not_eligible(node, PodPlacement()) == \
            f"{KEPT_ONLY}untolerated taint node.kubernetes.io/network-unavailable:NoSchedule"


class TestReport:
    def test_counts_order_and_examples(self) -> None:
        nodes = [Node(f"n{i}", {}, (Taint("t", "", NO_SCHEDULE),)) for i in range(5)]
        nodes += [Node(f"m{i}", {}, (Taint("e", "", NO_EXECUTE),)) for i in range(2)]
        nodes += [Node("ok")]
        report = eligibility_report(iter(nodes), PodPlacement())
        assert (report.total, report.eligible, report.kept_only, report.excluded) == (8, 1, 5, 2)
        assert report.reasons == ((f"{KEPT_ONLY}untolerated taint t:NoSchedule", 5),
                                  ("untolerated taint e:NoExecute", 2))
        assert report.examples == ((f"{KEPT_ONLY}untolerated taint t:NoSchedule", ("n0", "n1", "n2")),
                                   ("untolerated taint e:NoExecute", ("m0", "m1")))

    def test_ties_sorted_by_text(self) -> None:
        nodes = [Node("a", {}, (Taint("b", "", NO_EXECUTE),)), Node("b", {}, (Taint("a", "", NO_EXECUTE),))]
        assert [r for r, _ in eligibility_report(nodes, PodPlacement()).reasons] == [
            "untolerated taint a:NoExecute", "untolerated taint b:NoExecute"]

    def test_empty(self) -> None:
        report = eligibility_report((), PodPlacement())
        assert report == EligibilityReport(0, 0, 0)
        assert format_report(report).startswith("0 of 0 nodes")

    def test_frozen(self) -> None:
        with pytest.raises(dataclasses.FrozenInstanceError):
            eligibility_report((), PodPlacement()).total = 3  # type: ignore[misc]

    def test_format(self, sample: tuple[Node, ...]) -> None:
        text = format_report(eligibility_report(sample, PodPlacement()))
        lines = text.splitlines()
        assert lines[0] == ("295 of 300 nodes should run the daemon pod; 5 get no new pod (a pod already "
                            "there stays); 0 excluded")
        assert lines[1].split()[0] == "3" and CP_REASON in lines[1] and "(e.g. ip-10-0-" in lines[1]
        assert lines[2].split()[0] == "2" and NOT_READY_REASON in lines[2]
        assert lines[3] == "  of the eligible nodes, 1 cordoned: the controller still creates their pods"
        assert len(lines) == 4

    def test_format_shows_that_there_are_more(self) -> None:
        nodes = [Node(f"n{i}", {"a": "b"}) for i in range(4)]
        text = format_report(eligibility_report(nodes, PodPlacement(node_selector={"a": "c"})))
        assert text.splitlines()[1] == "       4  nodeSelector a=c does not match (e.g. n0, n1, n2, ...)"


_effects = st.sampled_from([NO_SCHEDULE, PREFER_NO_SCHEDULE, NO_EXECUTE])
_keys = st.sampled_from(["a", "b", "node.kubernetes.io/not-ready", "node.kubernetes.io/network-unavailable",
                         CONTROL_PLANE_LABEL])
_values = st.sampled_from(["", "x"])
_nodes = st.builds(
    Node, st.sampled_from(["n0", "n1"]), st.dictionaries(st.sampled_from(["a", "b"]), _values, max_size=2),
    st.lists(st.builds(Taint, _keys, _values, _effects), max_size=4, unique_by=lambda t: (t.key, t.effect)).map(tuple),
    st.booleans(), st.booleans(),
)
_placements = st.builds(
    PodPlacement, st.dictionaries(st.sampled_from(["a", "b"]), _values, max_size=2),
    st.lists(st.builds(Term, st.lists(st.builds(Req, st.sampled_from(["a", "b"]), st.sampled_from(["Exists",
                                                                                                  "DoesNotExist"])),
                                      max_size=2).map(tuple)), max_size=2).map(tuple),
    st.lists(st.builds(Toleration, _keys, st.just("Exists"), st.just(""), _effects | st.just("")),
             max_size=2).map(tuple),
    st.booleans(), st.sampled_from(["", "n0"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_nodes, max_size=6), _placements)
def test_agrees_with_node_should_run_daemon_pod(nodes: list[Node], placement: PodPlacement) -> None:
    decisions = [node_should_run_daemon_pod(n, placement) for n in nodes]
    for node, (run, keep) in zip(nodes, decisions):
        reason = why_not_eligible(node, placement)
        assert (reason is None) == run
        assert (reason is not None and reason.startswith(KEPT_ONLY)) == (not run and keep)
    report = eligibility_report(nodes, placement)
    assert report.eligible == sum(run for run, _ in decisions)
    assert report.kept_only == sum(keep and not run for run, keep in decisions)
    assert sum(c for _, c in report.reasons) == report.total - report.eligible
    assert [c for _, c in report.reasons] == sorted((c for _, c in report.reasons), reverse=True)


def test_a_rolling_update_says_it_deletes_the_old_pod_where_no_new_one_is_created() -> None:
    """shouldContinueRunning keeps a pod from manage only: rollingUpdate deletes every node's old pod
    (semantics §4.3), so under RollingUpdate such a node loses its agent; under OnDelete it keeps it.
    """
    from rollsim.present.report_setup import _not_eligible
    from rollsim.spec.eligibility import for_strategy

    assert for_strategy(NOT_READY_REASON, rolling=False) == NOT_READY_REASON
    rolling = for_strategy(NOT_READY_REASON, rolling=True)
    assert rolling == ("get no new pod (none is created, and the rolling update deletes any old pod there): "
                       "untolerated taint node.kubernetes.io/not-ready:NoSchedule")
    assert for_strategy("excluded: nodeSelector a=b", rolling=True) == "excluded: nodeSelector a=b"
    described = {"strategy": "RollingUpdate", "not_eligible": [f"3 {NOT_READY_REASON}"]}
    assert _not_eligible(described) == [f"3 {rolling}"]
    assert _not_eligible({**described, "strategy": "OnDelete"}) == [f"3 {NOT_READY_REASON}"]


def test_a_scenarios_description_says_what_its_strategy_does_on_nodes_that_get_no_new_pod(sample) -> None:
    """Audit 25: plan.json's ``scenario.not_eligible`` said "a pod already there stays" under RollingUpdate,
    where its ``cluster.not_running``, the console and the report said the rolling update deletes it."""
    from rollsim import build_scenario
    from rollsim.spec.describe import describe_scenario
    from rollsim.spec.eligibility import for_strategy

    rolling = describe_scenario(build_scenario(node_list=sample))["not_eligible"]
    assert rolling == [f"3 {for_strategy(CP_REASON, True)}", f"2 {for_strategy(NOT_READY_REASON, True)}"]
    assert "the rolling update deletes any old pod there" in rolling[1]
    on_delete = describe_scenario(build_scenario(node_list=sample, strategy="OnDelete"))["not_eligible"]
    assert on_delete == [f"3 {CP_REASON}", f"2 {NOT_READY_REASON}"]
