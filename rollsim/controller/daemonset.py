"""One DaemonSet as its controller holds it: the spec it syncs to and the status it writes.

The spec: the pod template's revision (``constructHistory``), the update strategy and
``minReadySeconds``, each change of which bumps the generation and makes every node's class
worth computing again, and the budgets the strategy gives (``updatedDesiredNodeCounts``). The status:
``updateDaemonSetStatus``, written only when it changes, and its ``AddAfter(minReadySeconds)``.
``DaemonSet`` builds on the informer cache (``rollsim.controller.cache.InformerCache``);
``rollsim.controller.idle.IdleDetection`` and ``rollsim.controller.daemon.DaemonSetController``
(``syncDaemonSet``) build on it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rollsim.controller.cache import InformerCache
from rollsim.controller.decisions import daemonset_status, status_counts
from rollsim.controller.expectations import Expectations
from rollsim.controller.index import Aggregate
from rollsim.controller.syncnodes import PodControl
from rollsim.spec.budget import Budgets, allows_surge, updated_desired_node_counts
from rollsim.spec.node import Node, PodPlacement
from rollsim.spec.scenario import UpdateStrategy

__all__ = ["DaemonSet"]


class DaemonSet(InformerCache):
    """One DaemonSet's spec and status, on its informer cache (``InformerCache``, with their
    handlers); ``DaemonSetController`` gives it the node ``index`` and the sync.
    """

    def __init__(self, nodes: Sequence[Node], placement: PodPlacement, strategy: UpdateStrategy,
                 min_ready_seconds: float, pod_control: PodControl, requeue: Callable[[float], None],
                 expectations: Expectations, reference: bool) -> None:
        super().__init__(nodes, placement, min_ready_seconds, requeue, expectations)
        self.strategy = strategy
        self.pod_control = pod_control
        self.reference = reference
        self.revision = 0
        self.generation = 1
        self.status: dict[str, int] = {}
        self._surge = self._rolling = False
        self._quiet_version = -1  # the index version sync_would_idle last found idle at, satisfied (-1: none since)
        self._now = 0.0  # the time of the sync in progress
        self._status_key: tuple[object, int, int] | None = None  # (counts, generation, observed) of ``status``

    # -- the DaemonSet spec ---------------------------------------------------------------

    def _spec_changed(self, placement: bool = True) -> None:
        """Any spec change: the classes of every node may differ, and their eligibility when the
        ``placement`` changed (the node handlers keep it current otherwise).
        """
        self.generation += 1
        self._quiet_version = -1
        if placement:
            eligibility = [self._eligibility(i) for i in range(len(self.nodes))]
            self.should_run = [run for run, _ in eligibility]
            self.should_continue = [keep for _, keep in eligibility]
        self._rolling = self.strategy.rolling
        self._surge = allows_surge(self.strategy.max_surge, self._rolling)
        self._budget_cache: dict[int, Budgets] = {}
        self.index.mark_all(range(len(self.nodes)))
        self.requeue(0.0)

    def change_template(self, placement: PodPlacement | None = None, revision: int | None = None) -> None:
        """A new pod template (``constructHistory`` creates a new ControllerRevision), or with
        ``revision`` a return to an earlier one: ``constructHistory`` finds the existing
        ControllerRevision, so pods with its hash count as updated again (a rollback).
        """
        self.revision = self.revision + 1 if revision is None else revision
        if placement is not None:
            self.placement = placement
        self._spec_changed(placement=placement is not None)

    def set_update_strategy(self, strategy: UpdateStrategy) -> None:
        """The DaemonSet's ``spec.updateStrategy`` changed (``updateDaemonset``)."""
        self.strategy = strategy
        self._spec_changed(placement=False)

    def set_min_ready_seconds(self, seconds: float) -> None:
        """The DaemonSet's ``spec.minReadySeconds`` changed (``updateDaemonset``)."""
        self.min_ready_seconds = float(seconds)
        self._spec_changed(placement=False)

    def _budgets(self, desired: int) -> Budgets:
        """``updatedDesiredNodeCounts`` for this many desired nodes (kept per count until the strategy changes)."""
        budgets = self._budget_cache.get(desired)
        if budgets is None:
            budgets = self._budget_cache[desired] = updated_desired_node_counts(
                desired, self.strategy.max_unavailable, self.strategy.max_surge)
        return budgets

    # -- the DaemonSet status -------------------------------------------------------------

    def _update_status(self, agg: Aggregate, observed_generation: int) -> float:
        """Mirrors ``updateDaemonSetStatus`` with the aggregate ``agg`` of now: writes only on
        change; returns when the write lands (now when nothing is written). The status is a
        function of its counts (``decisions.status_counts``), the generation and the observed
        generation: while that key stays the same the status is not rebuilt.
        """
        key = (status_counts(agg.totals), self.generation, observed_generation)
        if key == self._status_key and not self.reference:
            return self._now
        return self._store_status(agg, key)

    def _store_status(self, agg: Aggregate, key: tuple[object, int, int]) -> float:
        """``_update_status`` once its ``key`` (counts, generation, observed generation) may have
        changed: the status is rebuilt and written if it differs; returns when the write lands.
        """
        status = daemonset_status(agg)
        status["observed_generation"] = key[2]
        status["generation"] = key[1]
        self._status_key = key
        self._quiet_version = -1
        if status == self.status:
            return self._now
        self.status = status
        # no copy for the API server: a status, once written, is never changed (the next is a new dict)
        return self.pod_control.write_status(status)

    def _requeue_for_availability(self) -> None:
        """``updateDaemonSetStatus``'s ``AddAfter(minReadySeconds)`` while some Ready pod is not yet available."""
        status = self.status
        if self.min_ready_seconds > 0 and status["ready"] != status["available"]:
            self.requeue(self.min_ready_seconds)
