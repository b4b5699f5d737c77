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
