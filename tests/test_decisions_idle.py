"""``decisions.manage_idle`` and ``rolling_update_idle`` (the sync's shortcuts) against the
plans they let a sync skip.

A sync skips ``manage_plan`` when ``manage_idle`` says it would write nothing, and
``rolling_update_plan`` when ``rolling_update_idle`` does; that is only identical if neither
is ever True where its plan would write or ``rollingUpdate`` would fail. Random node
contributions, added up by the reference scan, check that each is True exactly when its
plan is empty, nothing raises and (for manage) no failed pod waits for the backoff.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rollsim.controller.classify import NodeClass
from rollsim.controller.decisions import (
    SyncError,
    daemonset_status,
    manage_idle,
    manage_plan,
    rolling_update_idle,
    rolling_update_plan,
    status_counts,
)
from rollsim.controller.index import scan
from rollsim.controller.pods import Pod
from rollsim.spec.budget import Budgets

_uid = iter(range(1, 10**9))


def _pod() -> Pod:
    return Pod(next(_uid), 0, 0, 0.0)


_COUNTS = ("desired", "current", "ready", "available", "updated", "misscheduled", "a_unavailable", "b_surge",
           "b_available")
_FLAGS = ("create", "b_allowed", "b_error")
_ONE_POD = ("a_must_replace", "a_candidate", "b_delete_now", "b_not_wanted", "b_candidate")
_SOME_PODS = ("deletes", "failed")


@st.composite
def _node(draw) -> NodeClass:
    """A node's contribution: random counts, and at most two of the fields that call for action
    (so that aggregates with nothing to do, and with one thing to do, come up often).
    """
    fields: dict[str, object] = {name: draw(st.integers(0, 1)) for name in _COUNTS}
    acting = st.lists(st.sampled_from(_FLAGS + _ONE_POD + _SOME_PODS), min_size=1, max_size=2, unique=True)
    for name in draw(st.one_of(st.just([]), acting)):
        if name in _FLAGS:
            fields[name] = True
        elif name in _ONE_POD:
            fields[name] = _pod()
        else:
            fields[name] = (_pod(),)
    return NodeClass(**fields)  # type: ignore[arg-type]


def _manage_empty(agg, limit: int) -> bool:
    return not agg.sets["failed"] and not manage_plan(agg, limit)


def _rolling_empty(agg, budgets: Budgets, limit: int) -> bool:
    try:
        return not rolling_update_plan(agg, budgets.max_unavailable, budgets.max_surge, limit)
    except SyncError:
        return False


@settings(max_examples=400, deadline=None)
@given(
    nodes=st.lists(_node(), max_size=8),
    max_unavailable=st.integers(0, 4),
    max_surge=st.integers(0, 4),
    limit=st.sampled_from([1, 2, 250]),
)
def test_idle_exactly_when_the_plan_is_empty(nodes, max_unavailable, max_surge, limit) -> None:
    classes = dict(enumerate(nodes))
    agg = scan(classes.__getitem__, range(len(nodes)), [float(i) for i in range(len(nodes))])
    budgets = Budgets(max_surge, max_unavailable, agg.totals["desired"])
    assert manage_idle(agg) == _manage_empty(agg, limit)
    assert rolling_update_idle(agg, budgets) == _rolling_empty(agg, budgets, limit)


@settings(max_examples=100, deadline=None)
@given(a=st.lists(_node(), max_size=6), b=st.lists(_node(), max_size=6))
def test_equal_status_counts_give_equal_statuses(a, b) -> None:
    """The sync keys the status on ``status_counts``: equal keys must mean equal statuses."""
    aggs = [scan(dict(enumerate(n)).__getitem__, range(len(n)), [float(i) for i in range(len(n))]) for n in (a, b)]
    same_key = status_counts(aggs[0].totals) == status_counts(aggs[1].totals)
    assert same_key == (daemonset_status(aggs[0]) == daemonset_status(aggs[1]))
