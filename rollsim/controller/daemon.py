"""The DaemonSet controller for one DaemonSet: ``syncDaemonSet``.

``DaemonSetController`` builds the sync on three layers, each in its own module: the informer
cache and its handlers (``rollsim.controller.cache.InformerCache``), the DaemonSet's spec and
status (``rollsim.controller.daemonset.DaemonSet``: ``updateDaemonSetStatus``) and what makes a
sync do nothing (``rollsim.controller.idle.IdleDetection``).

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

from rollsim.controller.classify import NodeClass, classify_node, classify_one_pod, classify_with_failed
from rollsim.controller.consistency import ConsistencyStore
from rollsim.controller.decisions import (
    Plan,
    SyncError,
    manage_idle,
    manage_plan,
    rolling_update_idle,
    rolling_update_plan,
    status_counts,
)
from rollsim.controller.expectations import EXPECTATIONS_TIMEOUT, Expectations
from rollsim.controller.flowcontrol import Backoff
from rollsim.controller.idle import IdleDetection
from rollsim.controller.index import Aggregate, NodeIndex, scan
from rollsim.controller.pods import Pod
from rollsim.controller.syncnodes import PodControl, sync_nodes, sync_nodes_at_once
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


class DaemonSetController(IdleDetection):
    """One DaemonSet as the controller sees it through its informers (``InformerCache``, with
    their handlers), the DaemonSet's spec and status (``DaemonSet``), what it found idle
    (``IdleDetection``), and ``syncDaemonSet``.
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
        super().__init__(nodes, placement, strategy, min_ready_seconds, pod_control, requeue,
                         Expectations(expectations_timeout), reference, clock,
                         consistency if rules.stale_consistency_gate else None)
        # whether every write lands before its call returns (ideal mode): an acting sync needs no generator
        self._at_once = bool(getattr(pod_control, "at_once", False))
        self.rank = rank
        self.backoff = backoff if backoff is not None else Backoff()
        self.burst_replicas = burst_replicas
        self.slow_start_initial_batch_size = slow_start_initial_batch_size
        self.rules = rules
        self.index = NodeIndex(self._classify, rank, rules.inclusive_availability)
        self._spec_changed()

    # -- the sync --------------------------------------------------------------------------

    def _classify(self, node: int) -> NodeClass:
        pods = self.pods_by_node[node]  # read, never changed, by classify_node
        if self.failed_by_node and node in self.failed_by_node:  # failed pods, kept apart
            if self.reference:  # the plain reference reads every one of them
                pods = pods + self.failed_by_node[node]
            else:
                return classify_with_failed(
                    [p for p in pods if not (p.deleting and p.terminal)], self.failed_by_node[node],
                    self.should_run[node], self.should_continue[node], self.exists[node], self.revision,
                    self.min_ready_seconds, self._surge, self._now, self.rules.inclusive_availability)
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
        # start_sync comes here only for a state _idle found not idle: what it found is known (manage
        # is idle unless _busy_manage: _manage_writes would return None without reading anything)
        try:
            plan = self._manage_writes(agg, True) if self._busy_manage else None
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
    def _manage(self, agg: Aggregate) -> Plan:
        """Mirrors ``manage``: the creates and deletions it hands ``syncNodes``, whatever the strategy."""
        plan = manage_plan(agg, self.burst_replicas)
        if agg.sets["failed"].members:
            return Plan(plan.creates, plan.deletes + self._failed_pods_to_delete(agg))
        return plan

    def _failed_pods_to_delete(self, agg: Aggregate) -> list[Pod]:
        """Failed pods are deleted with a per-node backoff (``failedPodsBackoffKey``): mirrors
        ``podsShouldBeOnNode``'s loop over a node's failed pods, in which the first not in back-off
        is deleted and starts it, and each after it (or every one, the node in back-off already)
        requeues the DaemonSet after the back-off's delay. Those requeues are one ``AddAfter`` of
        the same key and delay, which the delaying queue keeps as one waiting entry (``waitingForQueue``),
        so one is made per node: a node under disk pressure with surge piles up thousands of failed
        pods (kubernetes/kubernetes#124388), and a requeue each would cost a sync's time per pod.
        """
        out: list[Pod] = []
        now = self._now
        observed = self.status.get("observed_generation", 0)
        backoff = self.backoff
        for node in agg.sets["failed"].smallest(len(agg.sets["failed"])):
            key = f"{observed}/{node}"
            failed = agg.classes(node).failed
            if not failed:
                continue
            waiting = len(failed)
            if not backoff.in_backoff_since_update(key, now):
                backoff.next(key, now)
                out.append(failed[0])
                waiting -= 1
            if waiting:
                self.requeue(backoff.get(key))
        return out

    # -- the end of a run ------------------------------------------------------------------

    def shut_down(self) -> None:
        """The controller-manager stops: its informer cache (every pod) and its node
        index are dropped, and nothing may sync again. A run's summary reads none of them.
        """
        self.pods, self.pods_by_node, self.failed_by_node, self._seen = {}, [], {}, {}
        self.index = NodeIndex(self._classify, self.rank, self.rules.inclusive_availability)

