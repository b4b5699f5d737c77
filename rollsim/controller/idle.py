"""Whether a sync would do nothing: what lets a sync skip ``manage`` and ``rollingUpdate``, and
the work queue leave a sync off the event queue (``WorkQueue.skip_idle_syncs``).

``manage`` and ``rollingUpdate`` issue no write when the sets their plans take from are empty
or their budgets used up (``decisions.manage_idle``, ``decisions.rolling_update_idle``); a
sync does nothing at all when, besides, its status would not change and no pod waits for
``minReadySeconds``. ``IdleDetection`` remembers each answer for as long as what it read stays
the same. It builds on the DaemonSet's spec and status (``rollsim.controller.daemonset``);
``rollsim.controller.daemon.DaemonSetController`` builds ``syncDaemonSet`` on it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rollsim.controller.consistency import ConsistencyStore
from rollsim.controller.daemonset import DaemonSet
from rollsim.controller.decisions import manage_idle, rolling_update_idle, status_counts
from rollsim.controller.expectations import Expectations
from rollsim.controller.index import Aggregate
from rollsim.controller.syncnodes import PodControl
from rollsim.spec.node import Node, PodPlacement
from rollsim.spec.scenario import UpdateStrategy

__all__ = ["IdleDetection"]


class IdleDetection(DaemonSet):
    """A DaemonSet's spec and status (``DaemonSet``), with what its controller found idle or not."""

    def __init__(self, nodes: Sequence[Node], placement: PodPlacement, strategy: UpdateStrategy,
                 min_ready_seconds: float, pod_control: PodControl, requeue: Callable[[float], None],
                 expectations: Expectations, reference: bool, clock: Callable[[], float],
                 consistency: ConsistencyStore | None) -> None:
        super().__init__(nodes, placement, strategy, min_ready_seconds, pod_control, requeue, expectations, reference)
        self.clock = clock
        self.consistency = consistency  # the StaleControllerConsistencyDaemonSet gate (v1.36+): None when off
        self._idle_state: tuple[int, int] | None = None  # (index version, generation) last found idle
        self._busy_state: tuple[int, int] | None = None  # and last found not idle
        self._busy_manage = False  # whether manage (else rollingUpdate) was what made that state not idle

    def sync_would_idle(self) -> bool:
        """Whether a sync starting now would do nothing but end: ``start_sync`` would find
        ``manage`` and ``rollingUpdate`` idle (or the expectations unmet), the status key
        unchanged (so no write) and no pod waiting for minReadySeconds (so no requeue). The
        index must have nothing to reclassify (else the answer is no, and the sync at its turn
        does the work). Never true with the consistency gate on or in the reference mode, where
        a sync is more than that.
        The work queue leaves such a sync off the event queue (``WorkQueue.skip_idle_syncs``).
        """
        if self.consistency is not None or self.reference:
            return False
        now = self.clock()
        index = self.index
        if index.pending(now):  # a node's class may have changed: left to the sync (most such syncs act)
            return False
        if self._quiet_version == index.version:  # found idle since the last sync, satisfied: nothing read changed
            return True
        observed = self.expectations.satisfied(now)
        agg = index.aggregate  # as refresh(now) would return it: nothing to reclassify
        generation = self.generation
        if observed:
            state = (index.version, generation)
            if state != self._idle_state and (state == self._busy_state or not self._idle(agg, state)):
                return False
        key = (status_counts(agg.totals), generation,
               generation if observed else self.status.get("observed_generation", 0))
        if key != self._status_key:
            return False
        status = self.status
        if self.min_ready_seconds > 0 and status["ready"] != status["available"]:
            return False
        if observed:
            # Until a sync acts or writes the status (or the spec changes), only the index and the clock
            # can change what this reads: the expectations, once satisfied, stay so (a sync sets them)
            self._quiet_version = index.version
        return True
    def _idle(self, agg: Aggregate, state: tuple[int, int]) -> bool:
        """Whether ``manage`` and ``rollingUpdate`` would issue no write and raise no error now
        (``decisions.manage_idle``, ``decisions.rolling_update_idle``). The aggregate changes only
        with the index's version, the budgets only with the spec (the generation): an idle state
        is remembered by that pair (``state``, the caller's), and so is a state found not idle (``start_sync`` and
        ``sync_would_idle`` may both ask in one instant), with which of the two was not idle
        (``_manage_and_update`` then does not ask again).
        """
        if not manage_idle(agg):
            self._busy_state, self._busy_manage = state, True
            return False
        if self._rolling:
            desired = agg.totals["desired"]
            if not rolling_update_idle(agg, self._budget_cache.get(desired) or self._budgets(desired)):
                self._busy_state, self._busy_manage = state, False
                return False
        self._idle_state = state
        return True
