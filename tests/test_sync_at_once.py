"""Ideal mode's cheaper paths decide as the general ones do.

``sync_nodes_at_once`` (writes that land before they return) issues the same writes and leaves
the same expectations as ``sync_nodes``; ``sync_would_idle``'s remembered answer is the one it
would compute afresh; ``WorkQueue.add_after(key, 0)`` (inline settle and hand-out) skips and
runs syncs exactly as ``add`` does.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rollsim.controller.decisions import SyncError
from rollsim.controller.expectations import Expectations
from rollsim.controller.pods import Pod
from rollsim.controller.syncnodes import sync_nodes, sync_nodes_at_once
from rollsim.spec.scenario import ROLLING_UPDATE

from harness import ControllerHarness


class _Control:
    """Writes that land at once; creates fail from the ``fail_from``-th one on."""

    def __init__(self, fail_from: int | None) -> None:
        self.log: list[tuple[str, int]] = []
        self.fail_from = fail_from

    def create(self, node: int, revision: int) -> float | None:
        self.log.append(("create", node))
        if self.fail_from is not None and sum(k == "create" for k, _ in self.log) > self.fail_from:
            return None
        return 0.0

    def delete(self, pod: Pod) -> float | None:
        self.log.append(("delete", pod.uid))
        return 0.0

    def write_status(self, status: dict[str, int]) -> float:
        return 0.0


class _Target:
    def __init__(self, fail_from: int | None, burst: int, initial: int) -> None:
        self.pod_control = _Control(fail_from)
        self.expectations = Expectations()
        self.clock: Callable[[], float] = lambda: 0.0
        self.revision = 1
        self.burst_replicas = burst
        self.slow_start_initial_batch_size = initial


def _run(at_once: bool, creates: int, deletes: int, fail_from: int | None, burst: int,
         initial: int) -> tuple[list[tuple[str, int]], tuple[int, int], bool]:
    target = _Target(fail_from, burst, initial)
    pods = [Pod(uid, uid, 0, 0.0) for uid in range(deletes)]
    failed = False
    try:
        if at_once:
            sync_nodes_at_once(target, pods, list(range(creates)))
        else:
            for _wait in sync_nodes(target, pods, list(range(creates))):
                pass
    except SyncError:
        failed = True
    return target.pod_control.log, target.expectations.pending, failed


@pytest.mark.parametrize("creates,deletes,fail_from,burst,initial", [
    (0, 0, None, 250, 1), (0, 3, None, 250, 1), (0, 5, None, 2, 1), (1, 0, None, 250, 1),
    (7, 2, None, 250, 1), (7, 2, 2, 250, 1), (12, 0, 0, 250, 2), (12, 4, 5, 5, 1), (3, 1, 2, 250, 1),
])
def test_sync_nodes_at_once_writes_as_sync_nodes(creates: int, deletes: int, fail_from: int | None,
                                                  burst: int, initial: int) -> None:
    args = (creates, deletes, fail_from, burst, initial)
    assert _run(True, *args) == _run(False, *args)


class _Timed(_Control):
    """Writes that each take 1 s to land: the creates issued at one clock reading are one batch."""

    def __init__(self, fail_from: int | None, clock: list[float]) -> None:
        super().__init__(fail_from)
        self.clock, self.issued_at = clock, []

    def create(self, node: int, revision: int) -> float | None:
        self.issued_at.append(self.clock[0])
        return None if super().create(node, revision) is None else self.clock[0] + 1.0


def _batches(creates: int, fail_from: int | None) -> tuple[list[int], int]:
    """The sizes of ``sync_nodes``'s create batches (initial batch 1), and the creates still expected."""
    now = [0.0]
    target = _Target(fail_from, 250, 1)
    target.pod_control = _Timed(fail_from, now)
    target.clock = lambda: now[0]
    try:
        for wait in sync_nodes(target, [], list(range(creates))):
            now[0] += wait
    except SyncError:
        pass
    sizes = [target.pod_control.issued_at.count(t) for t in sorted(set(target.pod_control.issued_at))]
    return sizes, target.expectations.pending[0]


@pytest.mark.parametrize("creates,fail_from,sizes", [
    (7, None, [1, 2, 4]),      # all succeed: batches double
    (10, None, [1, 2, 4, 3]),  # the last batch is what remains
    (7, 2, [1, 2]),            # the 3rd create fails: its batch (the 2nd) ends the slow start
    (15, 3, [1, 2, 4]),        # the 4th fails: the whole third batch was issued, the other 8 are skipped
])
def test_slow_start_batches_double_until_one_fails(creates: int, fail_from: int | None, sizes: list[int]) -> None:
    """Upstream ``slowStartBatch``: batches of 1, 2, 4, ... (``SlowStartInitialBatchSize`` = 1),
    each issued at once and waited for; after a batch with an error no further batch starts.
    The expectations then wait for the successful creates alone: the failed ones count as
    observed, the skipped ones are subtracted.
    """
    succeeded = sum(sizes) if fail_from is None else fail_from
    assert _batches(creates, fail_from) == (sizes, succeeded)
    log, _, failed = _run(True, creates, 0, fail_from, 250, 1)
    assert (len(log), failed) == (sum(sizes), fail_from is not None)  # the at-once path issues as many


def test_a_remembered_idle_answer_is_the_fresh_one() -> None:
    h = ControllerHarness(8)
    for i in range(8):
        h.add_pod(f"node-{i}", ready=True, ready_since=-100.0)
    h.set_update_strategy(ROLLING_UPDATE, max_unavailable=2)
    h.set_min_ready_seconds(5.0)
    h.change_template()
    c = h.controller
    answers = []
    for step in range(40):
        remembered = c.sync_would_idle()
        c._quiet_version = -1
        assert c.sync_would_idle() == remembered, step
        answers.append(remembered)
        if not remembered:
            h.sync()
        h.now += 3.0
        h.mark_pods_ready(revision="current", count=1)
    assert True in answers and False in answers
