"""Kubelets whose clocks disagree with the controller's: ``--clock-skew S[:FRACTION]``.

A pod's Ready condition is written by its kubelet, so its ``lastTransitionTime`` is in the
node's time; ``podutil.IsPodAvailable`` compares it, plus minReadySeconds, with the
controller's ``now``. On a node whose clock runs S seconds ahead a Ready pod turns available
S seconds late as the controller sees it (S seconds early when S is negative: before
minReadySeconds have really passed); with minReadySeconds 0 it makes no difference
(kubernetes/kubernetes#29229, #77203). The controller finds the pod available at a sync: the
``updatePod`` requeue minReadySeconds + 1 s after the pod turned Ready, then
``updateDaemonSetStatus``'s requeue every minReadySeconds while a Ready pod is not available
(kubernetes/kubernetes#77208, the fix of #77203 where a skewed pod was never seen available).

``S`` is whole seconds (the API's timestamps are), from -10^9 to 10^9; ``FRACTION`` of the
nodes (default 1: every node) run that skew, chosen at random, the others none.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from rollsim.spec.duration import compact_duration

__all__ = ["ClockSkew", "MAX_SKEW_S", "parse_clock_skew"]

MAX_SKEW_S = 10**9
_SPEC = re.compile(r"([+-]?[0-9]+)(?::([0-9]*\.?[0-9]+))?", re.ASCII)


@dataclass(frozen=True, slots=True)
class ClockSkew:
    """``seconds`` ahead of the controller's clock (behind if negative), on ``fraction`` of the nodes."""

    seconds: int = 0
    fraction: float = 1.0

    def __post_init__(self) -> None:
        if isinstance(self.seconds, bool) or not isinstance(self.seconds, int) or abs(self.seconds) > MAX_SKEW_S:
            raise ValueError(f"the clock skew must be whole seconds from -{MAX_SKEW_S:,} to {MAX_SKEW_S:,}, "
                             f"got {self.seconds!r}")
        if not (math.isfinite(self.fraction) and 0.0 < self.fraction <= 1.0):
            raise ValueError(f"the fraction of skewed nodes must be above 0 and at most 1, got {self.fraction!r}")

    @property
    def any(self) -> bool:
        """Whether any node's clock is off."""
        return self.seconds != 0

    def __str__(self) -> str:
        return f"{self.seconds}" + (f":{self.fraction:g}" if self.fraction != 1.0 else "")

    def words(self) -> str:
        """The skew as a person says it: ``5% of kubelet clocks 5m ahead``, ``kubelet clocks 30s behind``,
        ``no clock skew`` (``300:0.05``, ``-30`` and ``0`` say them to rollsim).
        """
        if not self.any:
            return "no clock skew"
        which = "kubelet clocks" if self.fraction == 1.0 else f"{round(100 * self.fraction, 4):g}% of kubelet clocks"
        return f"{which} {compact_duration(abs(self.seconds))} {'ahead' if self.seconds > 0 else 'behind'}"


def parse_clock_skew(spec: str | int | ClockSkew) -> ClockSkew:
    """Parse ``600`` (every node 10 minutes ahead), ``-30:0.1`` (a tenth of them 30 s behind)."""
    if isinstance(spec, ClockSkew):
        return spec
    if isinstance(spec, bool):
        raise ValueError(f"must be S or S:FRACTION (whole seconds, a fraction of the nodes), got {spec!r}")
    m = _SPEC.fullmatch(str(spec).strip())
    if not m:
        raise ValueError(f"must be S or S:FRACTION (whole seconds ahead, negative behind; a fraction of the nodes), "
                         f"got {spec!r}")
    return ClockSkew(int(m.group(1)), float(m.group(2)) if m.group(2) else 1.0)
