"""The DaemonSet controller for one DaemonSet: its informer cache and ``syncDaemonSet``.

``sync()`` is a generator that yields how long to wait (the API writes of ``syncNodes``
and the status update take time in ``realistic`` mode); the test harness, whose writes
complete at once, just runs it through. The SimPy workers call ``start_sync()``, the same
sync with no generator for the syncs that need not wait (most of them in ``ideal`` mode),
and turn each yielded duration into a scheduled call. The decisions themselves are in
``rollsim.controller.classify`` (per node), ``rollsim.controller.index`` (adding up) and
``rollsim.controller.decisions`` (what to do); the writes in ``rollsim.controller.syncnodes``.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence

from rollsim.controller.cache import InformerCache
from rollsim.controller.classify import NodeClass, classify_node, classify_one_pod
from rollsim.controller.consistency import ConsistencyStore
from rollsim.controller.decisions import (
    Plan,
    SyncError,
    daemonset_status,
    manage_idle,
    manage_plan,
    rolling_update_idle,
    rolling_update_plan,
    status_counts,
)
from rollsim.controller.expectations import EXPECTATIONS_TIMEOUT, Expectations
from rollsim.controller.flowcontrol import Backoff
from rollsim.controller.index import Aggregate, NodeIndex, scan
from rollsim.controller.pods import Pod
from rollsim.controller.syncnodes import PodControl, sync_nodes, sync_nodes_at_once
from rollsim.spec.budget import Budgets, allows_surge, updated_desired_node_counts
from rollsim.spec.node import Node, PodPlacement
from rollsim.spec.scenario import UpdateStrategy
from rollsim.spec.versions import VersionRules

__all__ = ["PodControl", "DaemonSetController", "BURST_REPLICAS", "StaleCacheError"]

BURST_REPLICAS = 250
LATEST_RULES = VersionRules()  # the newest modelled version's rules

Waits = Generator[float, None, SyncError | None]


class StaleCacheError(SyncError):
    """``syncDaemonSet`` refused to act on a cache older than its own writes (v1.36+)."""


_STALE = StaleCacheError("informer has not observed this controller's writes")


class DaemonSetController(InformerCache):
    """One DaemonSet as the controller sees it through its informers (``InformerCache``, with
    their handlers), the DaemonSet's spec, and ``syncDaemonSet``.
    """

    def __init__(
        self,
        *,
        nodes: Sequence[Node],
        placement: PodPlacement,
        strategy: UpdateStrategy,
        min_ready_seconds: float,
        pod_control: PodControl,
        clock: Callable[[], float],
        requeue: Callable[[float], None],
        rank: Sequence[float],
        backoff: Backoff | None = None,
        burst_replicas: int = BURST_REPLICAS,
        slow_start_initial_batch_size: int = 1,
        expectations_timeout: float = EXPECTATIONS_TIMEOUT,
        reference: bool = False,
        rules: VersionRules = LATEST_RULES,
        consistency: ConsistencyStore | None = None,
    ) -> None:
        super().__init__(nodes, placement, min_ready_seconds, requeue, Expectations(expectations_timeout))
        self.strategy = strategy
        self.pod_control = pod_control
        # whether every write lands before its call returns (ideal mode): an acting sync needs no generator
        self._at_once = bool(getattr(pod_control, "at_once", False))
        self.clock = clock
        self.rank = rank
        self.backoff = backoff if backoff is not None else Backoff()
        self.burst_replicas = burst_replicas
        self.slow_start_initial_batch_size = slow_start_initial_batch_size
        self.reference = reference
        self.rules = rules
        # the StaleControllerConsistencyDaemonSet gate (v1.36+): None when off
        self.consistency = consistency if rules.stale_consistency_gate else None
        self.revision = 0
        self.generation = 1
        self.status: dict[str, int] = {}
        self._surge = self._rolling = False
        self._idle_state: tuple[int, int] | None = None  # (index version, generation) last found idle
        self._busy_state: tuple[int, int] | None = None  # and last found not idle
        self._busy_manage = False  # whether manage (else rollingUpdate) was what made that state not idle
        self._quiet_version = -1  # the index version sync_would_idle last found idle at, satisfied (-1: none since)
        self._now = 0.0
        self._status_key: tuple[object, int, int] | None = None  # (counts, generation, observed) of ``status``
        self.index = NodeIndex(self._classify, rank, rules.inclusive_availability)
        self._spec_changed()

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

    # -- the sync --------------------------------------------------------------------------

    def _classify(self, node: int) -> NodeClass:
        pods = self.pods_by_node[node]  # read, never changed, by classify_node
        if len(pods) == 1 and self.should_run[node] and self.should_continue[node] and self.exists[node]:
            pod = pods[0]
            if not (pod.deleting and pod.terminal):  # classify_node's fast path, without its dispatch
                return classify_one_pod(pod, self.revision, self.min_ready_seconds, self._surge, self._now,
                                        self.rules.inclusive_availability)
        for p in pods:
            if p.deleting and p.terminal:
                pods = [p for p in pods if not (p.deleting and p.terminal)]
                break
        return classify_node(
            pods, self.should_run[node], self.should_continue[node], self.exists[node],
            self.revision, self.min_ready_seconds, self._surge, self._now, self.rules.inclusive_availability,
        )

    def aggregate(self) -> Aggregate:
        """The node contributions now: the plain scan (reference) or the incremental index."""
        self._now = self.clock()
        if self.reference:
            return scan(self._classify, range(len(self.nodes)), self.rank)
        return self.index.refresh(self._now)

    def sync(self) -> Waits:
        """Mirrors ``syncDaemonSet``; returns the error that makes the key requeue, if any.

        From v1.36 (``StaleControllerConsistencyDaemonSet``, kubernetes/kubernetes#134937) a
        sync whose informers have not yet observed the controller's own last writes stops at
        once with an error (no status update): the worker requeues the key rate-limited.
        """
        started = self.start_sync()
        if started is None or isinstance(started, SyncError):
            return started
        return (yield from started)

    def start_sync(self) -> SyncError | None | Waits:
        """``sync`` without a generator where it need not wait: its result when it writes no
        pod and its status write, if any, lands at once (most syncs of ``ideal`` mode), else a
        generator of the whole sync. ``manage`` and ``rollingUpdate`` run only when their
        plans may not be empty (``decisions.manage_idle``, ``decisions.rolling_update_idle``);
        skipping them otherwise changes nothing.
        """
        if self.consistency is not None and self.consistency.refuses():  # not IsReady
            # returned, never raised: one instance serves every refused sync (most refusals of
            # retries are counted by the work queue instead: WorkQueue.refuse_stale_syncs)
            return _STALE
        now = self._now = self.clock()
        observed = self.expectations.satisfied(now)
        if self.reference:
            agg = self.aggregate()
            if observed:
                return self._manage_and_update(agg)
        else:
            agg = self.index.refresh(now)  # aggregate(), inline
            if observed:
                state = (self.index.version, self.generation)
                if state != self._idle_state and (state == self._busy_state or not self._idle(agg, state)):
                    return self._act_at_once(agg) if self._at_once else self._manage_and_update(agg)
        # _update_status, its key compared inline: most syncs of ideal mode find it unchanged
        generation = self.generation
        key = (status_counts(agg.totals), generation,
               generation if observed else self.status.get("observed_generation", 0))
        if key != self._status_key or self.reference:
            landed = self._store_status(agg, key)
            if landed > now:
                return self._status_landing(landed)
        if self.min_ready_seconds > 0:
            self._requeue_for_availability()
        return None

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

    def _manage_and_update(self, agg: Aggregate) -> Waits:
        """The rest of a sync that may write pods, from its aggregate ``agg``: ``manage`` and
        ``rollingUpdate`` (each skipped when it would write nothing), then the status.
        """
        error = None
        self._quiet_version = -1
        # what _idle found for this very aggregate (start_sync comes here only for a state found not idle)
        known = not self.reference and self._busy_state == (self.index.version, self.generation)
        try:
            plan = self._manage_writes(agg, known)
            if plan is not None:
                yield from sync_nodes(self, plan.deletes, plan.creates)
            plan = self._rolling_writes(agg, known, plan is not None)
            if plan is not None:
                yield from sync_nodes(self, plan.deletes, plan.creates)
        except SyncError as exc:
            error = exc
        landed = self._update_status(self.aggregate(), self.generation)  # the writes' own events may have changed it
        if landed > self._now:
            yield landed - self._now
        if self.min_ready_seconds > 0:
            self._requeue_for_availability()
        return error

    def _act_at_once(self, agg: Aggregate) -> SyncError | None:
        """``_manage_and_update`` when every write lands before its call returns (``PodControl``
        ``at_once``, ideal mode): the same writes, status and requeue, with no generator.
        """
        error = None
        self._quiet_version = -1
        # start_sync comes here only for a state _idle found not idle: what it found is known
        try:
            plan = self._manage_writes(agg, True)
            if plan is not None:
                sync_nodes_at_once(self, plan.deletes, plan.creates)
            plan = self._rolling_writes(agg, True, plan is not None)
            if plan is not None:
                sync_nodes_at_once(self, plan.deletes, plan.creates)
        except SyncError as exc:
            error = exc
        # the writes' own events may have changed the aggregate; the status write lands at once
        self._update_status(self.aggregate(), self.generation)
        if self.min_ready_seconds > 0:
            self._requeue_for_availability()
        return error

    def _manage_writes(self, agg: Aggregate, known: bool) -> Plan | None:
        """``manage``'s plan, unless it is idle or empty (``known``: ``_idle`` found this aggregate not idle)."""
        if self.reference or (self._busy_manage if known else not manage_idle(agg)):
            plan = self._manage(agg)
            if plan.deletes or plan.creates:
                return plan
        return None

    def _rolling_writes(self, agg: Aggregate, known: bool, wrote: bool) -> Plan | None:
        """``rollingUpdate``'s plan after ``manage`` (which ``wrote`` or not), unless it is idle or empty."""
        # with no write the clock and the expectations are those this sync found satisfied
        if self._rolling and (not wrote or self.expectations.satisfied(self.clock())):
            if wrote:
                agg = self.aggregate()  # the writes' own events may have changed it
            desired = agg.totals["desired"]
            budgets = self._budget_cache.get(desired) or self._budgets(desired)
            # rollingUpdate is known not idle when the aggregate is the one _idle found so, manage aside
            if (self.reference or (known and not wrote and not self._busy_manage)
                    or not rolling_update_idle(agg, budgets)):
                plan = rolling_update_plan(agg, budgets.max_unavailable, budgets.max_surge, self.burst_replicas)
                if plan.deletes or plan.creates:
                    return plan
        return None

    def _status_landing(self, landed: float) -> Waits:
        """The rest of a sync that wrote only its status: wait for the write to land."""
        yield landed - self._now
        self._requeue_for_availability()
        return None

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

    def _manage(self, agg: Aggregate) -> Plan:
        """Mirrors ``manage``: the creates and deletions it hands ``syncNodes``, whatever the strategy."""
        plan = manage_plan(agg, self.burst_replicas)
        if agg.sets["failed"].members:
            return Plan(plan.creates, plan.deletes + self._failed_pods_to_delete(agg))
        return plan

    def _failed_pods_to_delete(self, agg: Aggregate) -> list[Pod]:
        """Failed pods are deleted with a per-node backoff (``failedPodsBackoffKey``)."""
        out: list[Pod] = []
        now = self._now
        observed = self.status.get("observed_generation", 0)
        for node in agg.sets["failed"].smallest(len(agg.sets["failed"])):
            key = f"{observed}/{node}"
            for pod in agg.classes(node).failed:
                if self.backoff.in_backoff_since_update(key, now):
                    self.requeue(self.backoff.get(key))
                    continue
                self.backoff.next(key, now)
                out.append(pod)
        return out

    def _budgets(self, desired: int) -> Budgets:
        """``updatedDesiredNodeCounts`` for this many desired nodes (kept per count until the strategy changes)."""
        budgets = self._budget_cache.get(desired)
        if budgets is None:
            budgets = self._budget_cache[desired] = updated_desired_node_counts(
                desired, self.strategy.max_unavailable, self.strategy.max_surge)
        return budgets

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
        return self.pod_control.write_status(dict(status))

    def _requeue_for_availability(self) -> None:
        """``updateDaemonSetStatus``'s ``AddAfter(minReadySeconds)`` while some Ready pod is not yet available."""
        status = self.status
        if self.min_ready_seconds > 0 and status["ready"] != status["available"]:
            self.requeue(self.min_ready_seconds)

    # -- the end of a run ------------------------------------------------------------------

    def shut_down(self) -> None:
        """The controller-manager stops: its informer cache (a copy of every pod) and its node
        index are dropped, and nothing may sync again. A run's summary reads none of them.
        """
        self.pods, self.pods_by_node = {}, []
        self.index = NodeIndex(self._classify, self.rank, self.rules.inclusive_availability)
