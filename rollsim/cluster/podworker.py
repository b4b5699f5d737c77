"""The kubelet's pod worker: when a backed-off container restarts, or a backed-off image is pulled again.

The back-offs themselves (``crash_loop_backoff``, ``kubelet_backoff`` in ``rollsim.spec.faults``)
only say when a restart or a pull is *allowed*; the kubelet acts only when a pod sync runs and
finds the back-off over (pkg/kubelet):

* A container's exit is seen by the generic PLEG's relist (``genericPlegRelistPeriod``, 1 s,
  ``pleg/generic.go``), whose ContainerDied event makes ``syncLoopIteration`` sync the pod at
  once (``HandlePodSyncs``). rollsim draws the relist's delay after the exit uniform in [0, 1 s):
  the relist runs ``wait.Until`` (a sliding period, restarted when a relist ends), so its phase
  drifts by each relist's own duration. The first exit has no back-off entry yet (``doBackOff``),
  so the container restarts at that relist's sync, not at the exit.
* A sync that finds the container in back-off (``doBackOff``: ErrCrashLoopBackOff), or the image in
  back-off (``EnsureImageExists``: ErrImagePullBackOff), or whose pull fails (ErrImagePull), returns
  an error; ``podWorkers.completeWork`` then re-enqueues the pod on the kubelet's work queue after
  ``wait.Jitter(backOffPeriod, workerBackOffPeriodJitterFactor)``: 10 s × [1, 1.5).
  From v1.35 (kubernetes/kubernetes#133066) a crash-loop back-off's error carries its expiry
  (``BackoffError``, ``MinBackoffExpiration``) and the delay is ``wait.Jitter`` of the time left
  to it, clamped to [0, ``resyncInterval``] (``syncFrequency``, 1 min); an image back-off's error
  carries none, so pulls keep the 10 s period.
* The work queue is read on ``syncLoop``'s ``syncTicker``, one tick a second from the kubelet's
  start: a requeued pod syncs on the first tick at or after its time (``getPodsToSync``). Each
  node's ticker has its own phase, drawn once.

So the restart, or the next pull, comes at the first of those syncs at or after the back-off
expires (``first_sync_at_or_after``), not at the expiry. No other sync trigger is modelled (the
periodic resync after a successful sync, pod updates from the API server): during a back-off the
error requeue replaces the resync entry, and the pod's own status writes reach the worker only
through ``HandlePodReconcile``, which syncs for a readiness change alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

__all__ = ["RELIST_PERIOD_S", "SYNC_TICK_S", "BACKOFF_PERIOD_S", "JITTER_FACTOR", "RESYNC_INTERVAL_S",
           "jitter", "requeue_delay", "on_tick", "first_sync_at_or_after",
           "PodWorkers"]

RELIST_PERIOD_S = 1.0  # genericPlegRelistPeriod (kubelet.go)
SYNC_TICK_S = 1.0  # syncLoop's syncTicker := time.NewTicker(time.Second)
BACKOFF_PERIOD_S = 10.0  # backOffPeriod (kubelet.go): a failed sync's requeue
JITTER_FACTOR = 0.5  # workerBackOffPeriodJitterFactor (pod_workers.go)
RESYNC_INTERVAL_S = 60.0  # resyncInterval: KubeletConfiguration syncFrequency, default 1 min
_EPSILON = 1e-9  # a sum that lands on a tick in decimal lands on it here too


def jitter(duration: float, factor: float, u: float) -> float:
    """``wait.Jitter(duration, factor)`` with its ``rand.Float64()`` as ``u`` in [0, 1)."""
    return duration + u * factor * duration


def requeue_delay(left: float | None, u: float) -> float:
    """``podWorkers.completeWork`` after a sync that returned an error: ``wait.Jitter`` of
    ``backOffPeriod``, or, for an error that carries a back-off's expiry ``left`` seconds away
    (``MinBackoffExpiration``), of ``left`` clamped to [0, ``resyncInterval``].
    """
    base = BACKOFF_PERIOD_S if left is None else min(max(left, 0.0), RESYNC_INTERVAL_S)
    return jitter(base, JITTER_FACTOR, u)


def on_tick(t: float, phase: float) -> float:
    """The first ``syncTicker`` tick at or after ``t``; the ticks are at ``phase`` + whole seconds."""
    return phase + math.ceil((t - phase) / SYNC_TICK_S - _EPSILON) * SYNC_TICK_S


def first_sync_at_or_after(expiry: float, sync: float, draw: Callable[[], float], phase: float,
                           carries_expiry: bool) -> float:
    """The first pod sync at or after ``expiry``, from a sync at ``sync``: each sync before it finds
    the back-off still on, returns its error and is requeued (``requeue_delay``, one ``draw()`` for
    its jitter) to the next ``syncTicker`` tick at or after its time (``on_tick``).
    """
    while sync < expiry - _EPSILON:  # a tick within float error of the expiry is the expiry (else, with its
        # time left below _EPSILON, a carried expiry's requeue would land on that same tick for ever)
        left = expiry - sync if carries_expiry else None
        sync = on_tick(sync + requeue_delay(left, draw()), phase)
    return sync


@dataclass
class PodWorkers:
    """Every node's pod workers, PLEG and sync loop, as far as back-offs need them: when the
    kubelet restarts an exited container (``restart_at``) and pulls a failed image again
    (``pull_again_at``). ``rng`` draws the relist delays, the ``syncTicker`` phases (one per node,
    at its first need) and ``wait.Jitter``'s factors, in event order.
    """

    rng: np.random.Generator
    carries_expiry: bool  # VersionRules.backoff_error_carries_expiry of the run's Kubernetes version
    _phases: dict[int, float] = field(default_factory=dict)

    def _draw(self) -> float:
        return float(self.rng.random())

    def _phase(self, node: int) -> float:
        phase = self._phases.get(node)
        if phase is None:
            phase = self._phases[node] = self._draw() * SYNC_TICK_S
        return phase

    def restart_at(self, node: int, exited_at: float, backoff: float) -> float:
        """When ``doBackOff`` lets the container that exited at ``exited_at`` restart: the first sync
        at or after ``exited_at + backoff`` (``backoff`` 0: no entry yet), from the sync of the
        PLEG relist that saw the exit.
        """
        relisted = exited_at + self._draw() * RELIST_PERIOD_S
        if relisted >= exited_at + backoff:
            return relisted
        return first_sync_at_or_after(exited_at + backoff, relisted, self._draw, self._phase(node),
                                      self.carries_expiry)

    def pull_again_at(self, node: int, failed_at: float, backoff: float) -> float:
        """When ``EnsureImageExists`` pulls again after the pull that failed at ``failed_at`` (its sync
        ended then, with ErrImagePull): the first sync at or after ``failed_at + backoff`` (the image
        back-off is measured from the failed pull, ``IsInBackOffSinceUpdate``); its errors carry no
        expiry in any version.
        """
        return first_sync_at_or_after(failed_at + backoff, failed_at, self._draw, self._phase(node), False)
