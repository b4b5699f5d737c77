"""Mirrors ``syncNodes`` (pkg/controller/daemon/daemon_controller.go): one sync's pod writes.

At most ``BurstReplicas`` creates and as many deletions. The expectations are set for all of
them first (``SetExpectations``); the creates go out in slow-start batches of 1, 2, 4, ...
(``SlowStartInitialBatchSize`` first, ``slowStartBatch``), each batch in parallel and waited
for, and a batch with a failed create skips the rest (``LowerExpectations`` for them); then
every deletion at once. A write that fails is never observed, so it is counted as observed
at once. The writes go through ``PodControl``: each returns when it lands.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Protocol

from rollsim.controller.decisions import SyncError
from rollsim.controller.expectations import Expectations
from rollsim.controller.pods import Pod

__all__ = ["PodControl", "SyncTarget", "sync_nodes", "sync_nodes_at_once"]


class PodControl(Protocol):
    """The controller's API writes. Each returns when the write completes (``None``: it failed).
    One whose writes all land before they return may say so with ``at_once = True``: the
    controller then writes through ``sync_nodes_at_once``.
    """

    def create(self, node: int, revision: int) -> float | None:
        """Mirrors ``PodControlInterface.CreatePods`` for one pod on ``node``."""

    def delete(self, pod: Pod) -> float | None:
        """Mirrors ``PodControlInterface.DeletePod``."""

    def write_status(self, status: dict[str, int]) -> float:
        """Mirrors ``storeDaemonSetStatus``: ``UpdateStatus`` of the DaemonSet."""


class SyncTarget(Protocol):
    """What ``syncNodes`` reads of its controller (``DaemonSetController``), when it reads it:
    the template revision of each create is the one current when that create is issued.
    """

    pod_control: PodControl
    expectations: Expectations
    clock: Callable[[], float]
    revision: int
    burst_replicas: int
    slow_start_initial_batch_size: int


def sync_nodes(dsc: SyncTarget, deletes: list[Pod], creates: list[int]) -> Generator[float, None, None]:
    """Mirrors ``syncNodes``: yields how long to wait for each batch of writes to land; raises
    ``SyncError`` (the key is requeued rate-limited) when a create failed.
    """
    if not deletes and not creates:
        return
    clock, control, expectations = dsc.clock, dsc.pod_control, dsc.expectations
    creates = creates[: dsc.burst_replicas]
    deletes = deletes[: dsc.burst_replicas]
    c, d = len(creates), len(deletes)
    expectations.set(c, d, clock())
    failed = False
    pos, batch = 0, min(c, dsc.slow_start_initial_batch_size)
    while pos < c:
        done, errors = clock(), 0
        for node in creates[pos : pos + batch]:
            finished = control.create(node, dsc.revision)
            if finished is None:
                expectations.creation_observed()
                errors += 1
            else:
                done = max(done, finished)
        if done > clock():
            yield done - clock()
        skipped = c - (pos + batch)
        if errors:
            failed = True
            if skipped > 0:
                expectations.lower(add=skipped)
                break
        pos += batch
        batch = min(2 * batch, c - pos)
    done = clock()
    for pod in deletes:
        finished = control.delete(pod)
        if finished is None:
            expectations.deletion_observed()
        else:
            done = max(done, finished)
    if done > clock():
        yield done - clock()
    if failed:
        raise SyncError("pod creation failed")


def sync_nodes_at_once(dsc: SyncTarget, deletes: list[Pod], creates: list[int]) -> None:
    """``sync_nodes`` for a ``PodControl`` whose writes land before they return (``at_once``: ideal
    mode): the same expectations and writes in the same order, with no wait, so no generator.
    """
    if not deletes and not creates:
        return
    control, expectations, burst = dsc.pod_control, dsc.expectations, dsc.burst_replicas
    if len(creates) > burst:
        creates = creates[:burst]
    if len(deletes) > burst:
        deletes = deletes[:burst]
    c = len(creates)
    expectations.set(c, len(deletes), dsc.clock())
    if not c:  # deletions only (half the acting syncs of ideal mode): no batch of creates, nothing can fail
        for pod in deletes:
            if control.delete(pod) is None:
                expectations.deletion_observed()
        return
    failed = False
    pos, batch = 0, min(c, dsc.slow_start_initial_batch_size)
    while pos < c:
        errors = 0
        for node in creates[pos : pos + batch]:
            if control.create(node, dsc.revision) is None:
                expectations.creation_observed()
                errors += 1
        if errors:
            failed = True
            if c - (pos + batch) > 0:
                expectations.lower(add=c - (pos + batch))
                break
        pos += batch
        batch = min(2 * batch, c - pos)
    for pod in deletes:
        if control.delete(pod) is None:
            expectations.deletion_observed()
    if failed:
        raise SyncError("pod creation failed")
