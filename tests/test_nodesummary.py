"""A node's summary key (``rollsim.observe.nodesummary``) against the controller's rules."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rollsim.controller.noderules import node_status
from rollsim.controller.pods import FAILED, PENDING, RUNNING, Pod, first_daemon_pod
from rollsim.observe.nodesummary import summary_key, unpack

# (revision, created_at, bound, phase, Ready, deleting) of one pod
_POD = st.tuples(st.integers(0, 2), st.integers(0, 3), st.booleans(), st.sampled_from([PENDING, RUNNING, FAILED]),
                 st.booleans(), st.booleans())


def _pods(specs: list[tuple[int, int, bool, str, bool, bool]]) -> list[Pod]:
    pods = []
    for uid, (revision, created, bound, phase, ready, deleting) in enumerate(specs, 1):
        running = phase == RUNNING and bound
        phase = phase if bound or phase == PENDING else PENDING  # a pod runs or fails on its node
        # a terminal pod being deleted is gone at once (``delete_pod``): none is both
        pods.append(Pod(uid, 0, revision, float(created), scheduled=bound, phase=phase, ready=ready and running,
                        deleting=deleting and phase != FAILED))
    return pods


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.lists(_POD, min_size=1, max_size=5), st.integers(0, 2))
def test_updated_is_the_status_rule(specs: list[tuple[int, int, bool, str, bool, bool]], revision: int) -> None:
    """The recorder's updated is ``updateDaemonSetStatus``'s, as the controller's ``node_status``
    computes it, whether the failed pods are among the others or kept apart (the API server's way)."""
    pods = _pods(specs)
    expected = node_status(pods, True, True, revision, lambda p: p.ready)[4]
    together = unpack(summary_key(pods, revision, 0.0, True, 0.0)[0])[2]
    failed = [p for p in pods if p.phase == FAILED]
    others = [p for p in pods if p.phase != FAILED]
    apart = unpack(summary_key(others, revision, 0.0, True, 0.0, first_daemon_pod(failed) if failed else None)[0])[2]
    assert together == apart == expected


def test_first_daemon_pod_is_bound_then_oldest() -> None:
    """``podByCreationTimestampAndPhase``: bound pods first, then the oldest, then creation order."""
    unbound_old = Pod(1, 0, 0, 0.0)
    bound_new = Pod(2, 0, 1, 5.0, scheduled=True)
    bound_tie = Pod(3, 0, 2, 5.0, scheduled=True)
    assert first_daemon_pod([unbound_old, bound_tie, bound_new]) is bound_new
    assert first_daemon_pod([unbound_old]) is unbound_old


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(_POD, min_size=1, max_size=5), st.integers(0, 2), st.booleans())
def test_extra_counts_every_bound_pod_beyond_the_first(specs: list[tuple[int, int, bool, str, bool, bool]],
                                                      revision: int, desired: bool) -> None:
    """Audit 35: the pods a desired node holds beyond one, terminating ones included (the scheduler
    counts their requests until they are gone), not only two live pods (surge): finished pods and
    unbound ones hold nothing; a node that is not desired counts none, as for surge."""
    pods = _pods(specs)
    held = sum(p.scheduled and p.phase not in (FAILED,) for p in pods)
    fields = unpack(summary_key(pods, revision, 0.0, desired, 0.0)[0])
    assert fields[5] == (max(held - 1, 0) if desired else 0)
    assert fields[3] <= fields[5]  # two live pods bound: at least one extra
    assert fields[4] == sum(p.deleting for p in pods) and fields[6] == sum(
        p.revision == revision and p.phase == PENDING and not p.deleting for p in pods)
