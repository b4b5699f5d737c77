"""A new revision that does not work: crash loops, image pull errors, readiness that never passes.

``--new-pods crashloop|pull-error|never-ready|rejected[:FRACTION]``: each pod of the new revision
is faulty with probability FRACTION (default 1), drawn from its own stream; old pods
are healthy. What the kubelet does with a faulty pod:

* ``crashloop``: the container starts, runs ``crash_after`` seconds, exits, and is
  restarted: at once after its first exit, then after the kubelet's back-off (10 s doubling
  to 5 min: ``CrashLoopBackOff``; ``crash_loop_backoff``), at the first pod sync then
  (``rollsim.cluster.podworker``). The pod stays Running and never Ready (restartPolicy
  Always: it never turns Failed).
* ``pull-error``: the image cannot be pulled because the registry refuses its manifest (a tag
  that does not exist, credentials refused): every pull fails with the registry's answer (its
  pull-rate token and latency; at once without them), before any layer, so it takes no ``pull``
  time and moves no bytes, and is retried after the image back-off (10 s doubling to 5 min:
  ``ErrImagePull`` then ``ImagePullBackOff``), at the first pod sync then. The pod stays
  Pending. A pull that fails part way through its layers is not modelled.
* ``never-ready``: the container runs but its readiness probe never passes.
* ``rejected``: the kubelet's admission rejects the pod once it is bound (``OutOfcpu``,
  ``OutOfmemory``, ``NodeAffinity``: the kubelet's own view of the node disagrees with the
  scheduler's, ``pkg/kubelet/lifecycle/predicate.go``) and sets its phase to Failed. Unlike a
  crash loop, this is the case the DaemonSet controller's failed-pod backoff exists for: manage
  deletes the Failed pod (1 s doubling to 15 min per node, ``failedPodsBackoff``) and creates a
  new one, which is rejected again with the same probability. The kubelet's real admission
  check runs as well (``rollsim.cluster.admission``), but the causes that make it reject a pod
  the scheduler placed (allocatable that shrank, device plugins not re-registered, static
  pods, other schedulers) are not modelled, so it never fires in a run: this fault is the
  fallback that stands for them.

Without surge, each such pod holds one unit of the maxUnavailable budget for ever, so a
rollout stalls with exactly maxUnavailable nodes lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "HEALTHY", "CRASHLOOP", "PULL_ERROR", "NEVER_READY", "REJECTED", "KINDS", "NewPodFaults", "parse_new_pods",
    "kubelet_backoff", "crash_loop_backoff",
]

HEALTHY = "healthy"
CRASHLOOP = "crashloop"
PULL_ERROR = "pull-error"
NEVER_READY = "never-ready"
REJECTED = "rejected"
KINDS = (HEALTHY, CRASHLOOP, PULL_ERROR, NEVER_READY, REJECTED)  # in the order messages and schema name them
_SPEC = re.compile(rf"({'|'.join(KINDS)})(?::([0-9]*\.?[0-9]+))?")

# what a faulty new pod does, as ``NewPodFaults.words`` says it
_WORDS = {CRASHLOOP: "crash-looping", PULL_ERROR: "failing to pull their image", NEVER_READY: "never Ready",
          REJECTED: "rejected by the kubelet"}
# pkg/kubelet: MaxContainerBackOff = 300 s, initial 10 s (kuberuntime backOffPeriod);
# the image pull back-off (pkg/kubelet/images) uses the same 10 s to 300 s.
BACKOFF_INITIAL_S = 10.0
BACKOFF_MAX_S = 300.0
# client-go flowcontrol.Backoff's hasExpired: an entry not updated for 2 × the maximum is dropped
BACKOFF_EXPIRY_S = 2 * BACKOFF_MAX_S


@dataclass(frozen=True, slots=True)
class NewPodFaults:
    """How pods of the new revision fail: ``kind`` for a ``fraction`` of them."""

    kind: str = HEALTHY
    fraction: float = 1.0
    crash_after: float = 5.0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"new pods must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if not 0.0 <= self.fraction <= 1.0:
            raise ValueError(f"the faulty fraction must be between 0 and 1, got {self.fraction!r}")
        if not self.crash_after >= 0:
            raise ValueError(f"crash_after must not be negative, got {self.crash_after!r}")

    @property
    def any(self) -> bool:
        """Whether any new pod is faulty."""
        return self.kind != HEALTHY and self.fraction > 0

    def __str__(self) -> str:
        return self.kind if self.fraction == 1.0 or self.kind == HEALTHY else f"{self.kind}:{self.fraction:g}"

    def words(self) -> str:
        """The fault as a person says it: ``new pods crash-looping``, ``2% of new pods crash-looping``,
        ``healthy new pods`` (``crashloop`` and ``crashloop:0.02`` say them to rollsim).
        """
        if not self.any:
            return "healthy new pods"
        what = _WORDS[self.kind]
        if self.fraction == 1.0:
            return f"new pods {what}"
        return f"{round(100 * self.fraction, 4):g}% of new pods {what}"


def parse_new_pods(spec: str | NewPodFaults) -> NewPodFaults:
    """Parse ``crashloop``, ``pull-error:0.1``, ``never-ready:1``, ``healthy``."""
    if isinstance(spec, NewPodFaults):
        return spec
    m = _SPEC.fullmatch(str(spec).strip().lower())
    if not m:
        raise ValueError(f"must be crashloop, pull-error, never-ready or rejected, optionally :FRACTION, "
                         f"got {spec!r}")
    return NewPodFaults(m.group(1), float(m.group(2)) if m.group(2) else 1.0)


def kubelet_backoff(failures: int) -> float:
    """Seconds the kubelet waits after the ``failures``-th failure (1-based): 10 s doubling to 300 s.

    The image pull back-off (``pkg/kubelet/images``: ``backOff.Next`` at the failed pull itself,
    then ``IsInBackOffSinceUpdate``), so the first failed pull waits 10 s.
    """
    return min(BACKOFF_INITIAL_S * 2 ** max(0, failures - 1), BACKOFF_MAX_S)


def crash_loop_backoff(crashes: int) -> float:
    """Seconds the kubelet waits to restart a container after its ``crashes``-th exit (1-based):
    0, then 10 s doubling to 300 s (``CrashLoopBackOff``).

    kuberuntime's ``doBackOff`` asks ``IsInBackOffSince(key, finishedAt)`` before each restart
    and calls ``Next`` (which creates the entry at 10 s, or doubles it) only when it restarts:
    after the first exit there is no entry yet, so the container restarts at once, and each
    later exit waits the back-off the previous restart set. An entry not updated for 10 minutes
    (``BACKOFF_EXPIRY_S``) has expired: the kubelet then restarts at once and starts again at 10 s,
    which the caller counts as a first exit again.
    """
    return 0.0 if crashes <= 1 else kubelet_backoff(crashes - 1)
