"""The fast paths of ``classify_node`` (a node with no pod, a node with one) agree with the
general path through every mirrored function, for any pod and any node state.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rollsim.controller.classify import EMPTY, WANTS_POD, classify_any, classify_node
from rollsim.controller.pods import FAILED, PENDING, RUNNING, SUCCEEDED, Pod

pods = st.builds(
    lambda revision, created, scheduled, phase, ready, since, deleting: Pod(
        1, 0, revision, created, scheduled=scheduled, phase=phase, ready=ready, ready_since=since, deleting=deleting,
    ),
    st.integers(0, 2), st.sampled_from([0.0, 5.0]), st.booleans(),
    st.sampled_from([PENDING, RUNNING, FAILED, SUCCEEDED]), st.booleans(), st.sampled_from([0.0, 10.0, 20.0]),
    st.booleans(),
)
node_states = st.tuples(
    st.booleans(), st.booleans(), st.booleans(), st.integers(0, 2), st.sampled_from([0.0, 10.0]), st.booleans(),
    st.sampled_from([0.0, 20.0, 30.0, 31.0]), st.booleans(),
)


@settings(max_examples=600, deadline=None, derandomize=True)
@given(pod=pods, state=node_states)
def test_one_pod_fast_path_is_the_general_classification(pod: Pod, state: tuple) -> None:
    assert classify_node([pod], *state) == classify_any([pod], *state)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(state=node_states)
def test_a_node_without_pods_is_the_general_classification(state: tuple) -> None:
    assert classify_node([], *state) == classify_any([], *state)


def test_the_constant_classes_are_what_they_say() -> None:
    assert classify_any([], True, True, True, 1, 0.0, False, 0.0) == WANTS_POD
    assert classify_any([], False, False, True, 1, 0.0, False, 0.0) is EMPTY


def test_updated_nodes_share_one_class() -> None:
    """A node whose one pod is updated, running and not waiting out minReadySeconds holds no pod
    in its class: every such node gets the same tuple (a million updated nodes, one object).
    """
    first, second = (Pod(uid, uid, 1, 0.0, scheduled=True, phase=RUNNING, ready=True) for uid in (1, 2))
    a, b = (classify_node([pod], True, True, True, 1, 0.0, True, 50.0) for pod in (first, second))
    assert a is b and a == classify_any([first], True, True, True, 1, 0.0, True, 50.0)
    assert a.updated == a.available == 1 and first not in a
