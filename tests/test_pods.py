"""The pod object: a copy (an informer's cache entry) holds every field and shares no state."""

from __future__ import annotations

import inspect

import pytest
from rollsim.controller.pods import RUNNING, Pod


def _pod() -> Pod:
    pod = Pod(7, 3, 2, 1.5, scheduled=True, phase=RUNNING, ready=True, ready_since=4.0, deleting=True, owner="ds")
    pod.scheduled_at, pod.pulled_at, pod.started_at, pod.resource_version = 2.0, 3.0, 3.5, 11
    return pod


@pytest.mark.pure
def test_init_takes_every_field_in_slot_order() -> None:
    """``copy`` passes every field to ``__init__`` by position (all but the informer's note, last: a copy has none)."""
    assert (*inspect.signature(Pod).parameters, "watch_note") == Pod.__slots__


@pytest.mark.pure
def test_copy_and_assign_take_every_field() -> None:
    pod = _pod()
    for other in (pod.copy(), Pod(0, 0, 0, 0.0)):
        if other.uid == 0:
            other.assign(pod)
        assert other is not pod
        assert {name: getattr(other, name) for name in Pod.__slots__} == {
            name: getattr(pod, name) for name in Pod.__slots__}


def test_a_copy_is_independent() -> None:
    pod = _pod()
    copy = pod.copy()
    pod.ready, pod.phase = False, "Failed"
    assert copy.ready and copy.phase == RUNNING
