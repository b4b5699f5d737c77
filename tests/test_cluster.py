"""Node eligibility, ported from the upstream DaemonSet controller tests (pkg/controller/daemon)."""

from __future__ import annotations

import dataclasses
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rollsim.spec.eligibility import (
    DAEMON_POD_TOLERATIONS,
    add_daemon_pod_tolerations,
    node_matches_affinity,
    node_should_run_daemon_pod,
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
    control_plane_node,
    uniform_nodes,
)
from rollsim.spec.node import (
    NodeSelectorRequirement as Req,
)
from rollsim.spec.node import (
    NodeSelectorTerm as Term,
)

RUN, KEEP, GONE = (True, True), (False, True), (False, False)


def should(node: Node, placement: PodPlacement | None = None) -> tuple[bool, bool]:
    return node_should_run_daemon_pod(node, placement or PodPlacement())


def affinity(*terms: Term) -> PodPlacement:
    return PodPlacement(required_node_affinity=terms)


class TestNodeShouldRunDaemonPod:
    """TestNodeShouldRunDaemonPod and the taint tests of daemon_controller_test.go."""

    def test_plain_node_runs(self) -> None:
        assert should(Node("node-0")) == RUN

    def test_not_ready_node_still_runs(self) -> None:
        assert should(Node("node-0", ready=False)) == RUN

    def test_template_node_name(self) -> None:
        assert should(Node("node-0"), PodPlacement(node_name="node-1")) == GONE
        assert should(Node("node-0"), PodPlacement(node_name="node-0")) == RUN

    def test_node_selector_mismatch(self) -> None:
        placement = PodPlacement(node_selector={"color": "blue"})
        assert should(Node("n", {"color": "red"}), placement) == GONE
        assert should(Node("n"), placement) == GONE
        assert should(Node("n", {"color": "blue", "x": "y"}), placement) == RUN

    def test_affinity_mismatch(self) -> None:
        placement = affinity(Term((Req("type", "In", ("production",)),)))
        assert should(Node("n", {"type": "test"}), placement) == GONE
        assert should(Node("n", {"type": "production"}), placement) == RUN

    def test_unschedulable_node_runs(self) -> None:
        node = Node("n", taints=(Taint("node.kubernetes.io/unschedulable"),), unschedulable=True)
        assert should(node) == RUN

    def test_untolerated_no_schedule_keeps_running_pod(self) -> None:
        # TestNoScheduleTaintedDoesntEvicitRunningIntolerantPod, TestTaintedNodeDaemonDoesNotLaunchIntolerantPod
        assert should(Node("n", taints=(Taint("dedicated", "gpu", NO_SCHEDULE),))) == KEEP

    def test_untolerated_no_execute_evicts(self) -> None:
        # TestNoExecuteTaintedDoesEvicitRunningIntolerantPod
        assert should(Node("n", taints=(Taint("dedicated", "gpu", NO_EXECUTE),))) == GONE
        both = (Taint("a", effect=NO_SCHEDULE), Taint("b", effect=NO_EXECUTE))
        assert should(Node("n", taints=both)) == GONE

    def test_tolerated_taints(self) -> None:
        taints = (Taint("dedicated", "gpu", NO_SCHEDULE), Taint("dedicated", "gpu", NO_EXECUTE))
        placement = PodPlacement(tolerations=(Toleration("dedicated", "Equal", "gpu"),))
        assert should(Node("n", taints=taints), placement) == RUN
        wrong_value = PodPlacement(tolerations=(Toleration("dedicated", "Equal", "cpu"),))
        assert should(Node("n", taints=taints), wrong_value) == GONE
        only_no_execute = PodPlacement(tolerations=(Toleration("dedicated", "Exists", effect=NO_EXECUTE),))
        assert should(Node("n", taints=taints), only_no_execute) == KEEP

    @pytest.mark.parametrize("key", ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"])
    def test_not_ready_and_unreachable_launch(self, key: str) -> None:
        # TestNotReadyNodeDaemonLaunchesPod, TestUnreachableNodeDaemonLaunchesPod: NoExecute taint only
        assert should(Node("n", taints=(Taint(key, effect=NO_EXECUTE),), ready=False)) == RUN

    @pytest.mark.parametrize("key", ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"])
    def test_condition_no_schedule_taint_is_not_tolerated(self, key: str) -> None:
        # The node-lifecycle controller (doNoScheduleTaintingPass) also adds key:NoSchedule, which the
        # daemon defaults do not tolerate: the existing pod stays but no new one is placed.
        taints = (Taint(key, effect=NO_EXECUTE), Taint(key, effect=NO_SCHEDULE))
        assert should(Node("n", taints=taints, ready=False)) == KEEP

    def test_pressure_taints_launch(self) -> None:
        # TestTaintPressureNodeDaemonLaunchesPod
        taints = tuple(Taint(f"node.kubernetes.io/{k}-pressure") for k in ("disk", "memory", "pid"))
        assert should(Node("n", taints=taints)) == RUN

    def test_network_unavailable_needs_host_network(self) -> None:
        node = Node("n", taints=(Taint("node.kubernetes.io/network-unavailable"),))
        assert should(node) == KEEP
        assert should(node, PodPlacement(host_network=True)) == RUN

    def test_prefer_no_schedule_ignored(self) -> None:
        assert should(Node("n", taints=(Taint("soft", effect=PREFER_NO_SCHEDULE),))) == RUN

    def test_control_plane(self) -> None:
        node = control_plane_node("cp-0")
        assert node.labels == {CONTROL_PLANE_LABEL: "", "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
                               "kubernetes.io/hostname": "cp-0"}
        assert node.taints == (Taint(CONTROL_PLANE_LABEL, "", NO_SCHEDULE),)
        assert should(node) == KEEP
        tol = Toleration(key=CONTROL_PLANE_LABEL, operator="Exists", effect="NoSchedule")
        assert should(node, PodPlacement(tolerations=(tol,))) == RUN


class TestAffinity:
    @pytest.mark.parametrize(
        ("req", "labels", "expected"),
        [
            (Req("k", "In", ("a", "b")), {"k": "b"}, True),
            (Req("k", "In", ("a",)), {"k": "c"}, False),
            (Req("k", "In", ("a",)), {}, False),
            (Req("k", "NotIn", ("a",)), {"k": "b"}, True),
            (Req("k", "NotIn", ("a",)), {"k": "a"}, False),
            (Req("k", "NotIn", ("a",)), {}, True),
            (Req("k", "Exists"), {"k": ""}, True),
            (Req("k", "Exists"), {}, False),
            (Req("k", "DoesNotExist"), {}, True),
            (Req("k", "DoesNotExist"), {"k": "a"}, False),
            (Req("k", "Gt", ("5",)), {"k": "6"}, True),
            (Req("k", "Gt", ("5",)), {"k": "5"}, False),
            (Req("k", "Gt", ("-1",)), {"k": "+0"}, True),
            (Req("k", "Gt", ("5",)), {"k": "six"}, False),
            (Req("k", "Gt", ("5",)), {"k": " 6"}, False),
            (Req("k", "Gt", ("5",)), {"k": "1_0"}, False),
            (Req("k", "Gt", ("5",)), {"k": str(2**63)}, False),
            (Req("k", "Gt", ("5",)), {}, False),
            (Req("k", "Lt", ("5",)), {"k": "4"}, True),
            (Req("k", "Lt", ("5",)), {"k": "5"}, False),
            (Req("k", "Lt", ("5",)), {}, False),
        ],
    )
    def test_operators(self, req: Req, labels: dict[str, str], expected: bool) -> None:
        assert node_matches_affinity(Node("n", labels), affinity(Term((req,)))) is expected

    def test_match_fields_metadata_name(self) -> None:
        term_in = Term(match_fields=(Req("metadata.name", "In", ("node-1",)),))
        term_not_in = Term(match_fields=(Req("metadata.name", "NotIn", ("node-1",)),))
        assert node_matches_affinity(Node("node-1"), affinity(term_in))
        assert not node_matches_affinity(Node("node-2"), affinity(term_in))
        assert not node_matches_affinity(Node("node-1"), affinity(term_not_in))
        assert node_matches_affinity(Node("node-2"), affinity(term_not_in))

    def test_requirements_within_a_term_are_anded(self) -> None:
        term = Term((Req("a", "Exists"),), (Req("metadata.name", "In", ("n",)),))
        assert node_matches_affinity(Node("n", {"a": "1"}), affinity(term))
        assert not node_matches_affinity(Node("n"), affinity(term))
        assert not node_matches_affinity(Node("m", {"a": "1"}), affinity(term))
        two = Term((Req("a", "Exists"), Req("b", "Exists")))
        assert not node_matches_affinity(Node("n", {"a": "1"}), affinity(two))

    def test_terms_are_ored(self) -> None:
        placement = affinity(Term((Req("a", "Exists"),)), Term((Req("b", "Exists"),)))
        assert node_matches_affinity(Node("n", {"a": ""}), placement)
        assert node_matches_affinity(Node("n", {"b": ""}), placement)
        assert not node_matches_affinity(Node("n", {"c": ""}), placement)

    def test_empty_term_matches_nothing(self) -> None:
        assert not node_matches_affinity(Node("n"), affinity(Term()))
        assert node_matches_affinity(Node("n"), affinity(Term(), Term((Req("a", "DoesNotExist"),))))

    def test_no_affinity_matches_everything(self) -> None:
        assert node_matches_affinity(Node("n", {"a": "b"}), PodPlacement())

    def test_selector_and_affinity_are_anded(self) -> None:
        placement = PodPlacement({"a": "1"}, (Term((Req("b", "In", ("2",)),)),))
        assert node_matches_affinity(Node("n", {"a": "1", "b": "2"}), placement)
        assert not node_matches_affinity(Node("n", {"a": "1"}), placement)
        assert not node_matches_affinity(Node("n", {"b": "2"}), placement)


class TestSelectors:
    @pytest.mark.parametrize(("total", "labelled"), [(10, 5), (7, 3)])
    def test_node_selector_picks_labelled_nodes(self, total: int, labelled: int) -> None:
        # TestSelectorDaemonDeletesUnselectedPods, TestSelectorDaemonLaunchesPods
        nodes = uniform_nodes(total)
        nodes = tuple(dataclasses.replace(n, labels={"color": "blue"}) if i < labelled else n
                      for i, n in enumerate(nodes))
        placement = PodPlacement(node_selector={"color": "blue"})
        assert sum(node_should_run_daemon_pod(n, placement)[0] for n in nodes) == labelled

    def test_node_affinity_picks_labelled_nodes(self) -> None:
        # TestNodeAffinityDaemonLaunchesPods
        nodes = tuple(Node(f"node-{i}", {"color": "blue"} if i < 3 else {}) for i in range(7))
        placement = affinity(Term((Req("color", "In", ("blue",)),)))
        assert [n.name for n in nodes if should(n, placement)[0]] == ["node-0", "node-1", "node-2"]


class TestToleration:
    @pytest.mark.parametrize(
        ("tol", "taint", "expected"),
        [
            (Toleration(operator="Exists"), Taint("any", "v", NO_EXECUTE), True),
            (Toleration(operator="Exists", effect=NO_SCHEDULE), Taint("any", "v", NO_EXECUTE), False),
            (Toleration("k", "Exists"), Taint("k", "v", PREFER_NO_SCHEDULE), True),
            (Toleration("k", "Exists"), Taint("other", "v"), False),
            (Toleration("k", "Equal", "v"), Taint("k", "v", NO_EXECUTE), True),
            (Toleration("k", "Equal", "v"), Taint("k", "w"), False),
            (Toleration("k", "Equal"), Taint("k", ""), True),
            (Toleration("k", "Equal"), Taint("k", "v"), False),
            (Toleration("k", "Equal", "v", NO_SCHEDULE), Taint("k", "v", NO_SCHEDULE), True),
            (Toleration("k", "Equal", "v", NO_SCHEDULE), Taint("k", "v", NO_EXECUTE), False),
            (Toleration("k", "", "v"), Taint("k", "v"), True),
        ],
    )
    def test_tolerates(self, tol: Toleration, taint: Taint, expected: bool) -> None:
        assert tol.tolerates(taint) is expected

    def test_empty_operator_means_equal(self) -> None:
        assert Toleration("k", "", "v") == Toleration("k", "Equal", "v")

    def test_daemon_tolerations(self) -> None:
        assert len(DAEMON_POD_TOLERATIONS) == 6
        assert all(t.operator == "Exists" and not t.value for t in DAEMON_POD_TOLERATIONS)
        assert add_daemon_pod_tolerations((), False) == DAEMON_POD_TOLERATIONS
        with_net = add_daemon_pod_tolerations([], True)
        assert with_net[:6] == DAEMON_POD_TOLERATIONS
        assert with_net[6] == Toleration("node.kubernetes.io/network-unavailable", "Exists", effect=NO_SCHEDULE)

    def test_add_daemon_tolerations_keeps_user_ones_and_dedups(self) -> None:
        user = (Toleration("x", "Exists"), DAEMON_POD_TOLERATIONS[2])
        merged = add_daemon_pod_tolerations(list(user), False)
        assert merged[:2] == user
        assert len(merged) == 7 and set(merged) == set(user) | set(DAEMON_POD_TOLERATIONS)


class TestValidation:
    @pytest.mark.parametrize(
        "make",
        [
            lambda: Taint("k", effect="Sometimes"),
            lambda: Taint("k", effect=""),
            lambda: Taint(""),
            lambda: Toleration("k", "Like"),
            lambda: Toleration("k", "Exists", "v"),
            lambda: Toleration("", "Equal"),
            lambda: Toleration("k", effect="Bad"),
            lambda: Req("k", "Near", ("a",)),
            lambda: Req("k", "In"),
            lambda: Req("k", "NotIn", ()),
            lambda: Req("k", "Exists", ("a",)),
            lambda: Req("k", "DoesNotExist", ("a",)),
            lambda: Req("k", "Gt", ("five",)),
            lambda: Req("k", "Lt", ("1", "2")),
            lambda: Req("k", "Gt", ()),
            lambda: Req("k", "Gt", (str(2**63),)),
            lambda: Req("k", "In", "abc"),
            lambda: Req("", "Exists"),
            lambda: Term(match_fields=(Req("metadata.labels", "In", ("a",)),)),
            lambda: Term(match_fields=(Req("metadata.name", "Exists"),)),
            lambda: Term(match_fields=(Req("metadata.name", "In", ("a", "b")),)),
            lambda: Node(""),
            lambda: Node("n", {"k": 1}),  # type: ignore[dict-item]
            lambda: Node("n", taints=(Taint("k"), Taint("k", "other"))),
            lambda: Node("n", taints=("k",)),  # type: ignore[arg-type]
            lambda: PodPlacement(tolerations=("k",)),  # type: ignore[arg-type]
            lambda: uniform_nodes(-1),
        ],
    )
    def test_invalid(self, make) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(ValueError):
            make()


class TestValueObjects:
    def test_labels_are_immutable_and_copied(self) -> None:
        labels = {"a": "1"}
        node = Node("n", labels)
        labels["a"] = "2"
        assert node.labels["a"] == "1"
        with pytest.raises(TypeError):
            node.labels["a"] = "3"  # type: ignore[index]

    def test_hashable_picklable_and_equal(self) -> None:
        placement = PodPlacement({"a": "1"}, [Term([Req("b", "In", ["2"])])], [Toleration("c", "Exists")])
        assert placement == PodPlacement({"a": "1"}, (Term((Req("b", "In", ("2",)),)),), (Toleration("c", "Exists"),))
        assert len({placement, pickle.loads(pickle.dumps(placement))}) == 1
        node = control_plane_node("cp")
        assert hash(node) == hash(pickle.loads(pickle.dumps(node)))

    def test_uniform_nodes(self) -> None:
        assert [n.name for n in uniform_nodes(3)] == ["node-0", "node-1", "node-2"]
        names = [n.name for n in uniform_nodes(11, prefix="w")]
        assert names[0] == "w00" and names[-1] == "w10"
        assert uniform_nodes(0) == ()
        assert all(n.ready and not n.taints for n in uniform_nodes(5))
        # the labels a kubelet sets, so that `nodeSelector: {kubernetes.io/os: linux}` matches
        assert uniform_nodes(2)[1].labels == {"kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
                                              "kubernetes.io/hostname": "node-1"}
        assert not any(k.startswith("node-role.kubernetes.io/") for k in uniform_nodes(1)[0].labels)


_effects = st.sampled_from([NO_SCHEDULE, PREFER_NO_SCHEDULE, NO_EXECUTE])
_keys = st.sampled_from(["a", "b", "node.kubernetes.io/not-ready", "node.kubernetes.io/network-unavailable"])
_values = st.sampled_from(["", "x", "y"])
_taints = st.builds(Taint, _keys, _values, _effects)
_tolerations = st.one_of(
    st.builds(Toleration, _keys, st.just("Equal"), _values, st.sampled_from(["", NO_SCHEDULE, NO_EXECUTE])),
    st.builds(Toleration, st.sampled_from(["", "a", "b"]), st.just("Exists"), st.just(""), _effects | st.just("")),
)
_nodes = st.builds(
    Node,
    st.sampled_from(["n0", "n1"]),
    st.dictionaries(st.sampled_from(["a", "b"]), _values, max_size=2),
    st.lists(_taints, max_size=4, unique_by=lambda t: (t.key, t.effect)).map(tuple),
)
_placements = st.builds(
    PodPlacement,
    st.dictionaries(st.sampled_from(["a", "b"]), _values, max_size=1),
    st.lists(st.builds(Term, st.lists(st.builds(Req, st.sampled_from(["a", "b"]), st.just("Exists")),
                                      max_size=2).map(tuple)), max_size=2).map(tuple),
    st.lists(_tolerations, max_size=3).map(tuple),
    st.booleans(),
    st.sampled_from(["", "n0"]),
)


@settings(max_examples=300, deadline=None)
@given(_nodes, _placements, _tolerations)
def test_adding_a_toleration_never_hurts(node: Node, placement: PodPlacement, extra: Toleration) -> None:
    run, keep = node_should_run_daemon_pod(node, placement)
    assert keep or not run  # shouldRun implies shouldContinueRunning
    more = dataclasses.replace(placement, tolerations=placement.tolerations + (extra,))
    run2, keep2 = node_should_run_daemon_pod(node, more)
    assert run2 >= run and keep2 >= keep
