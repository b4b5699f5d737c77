"""What a rollout must respect: an availability floor, a window, a surge capacity budget.

``Constraints`` is the question an SRE asks before ``kubectl set image``: keep at least
``min_available_fraction`` of the DaemonSet's nodes with an available pod at every
moment (``status.numberAvailable / desiredNumberScheduled``), finish within
``window_s`` with probability ``window_probability`` (the same as "duration p95 ≤ T"
for 0.95), and request at most so many extra pods, CPU and memory at once for surge
pods (``maxSurge``). ``allow_surge=False`` rules surge out (host ports, hostNetwork).
``min_ready_seconds`` lists the ``spec.minReadySeconds`` values the search may pick
(``None``: keep the DaemonSet's own).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from rollsim.spec.duration import read_duration
from rollsim.spec.kinds import non_negative_integer
from rollsim.spec.quantity import int64_amount

__all__ = ["Constraints", "HORIZON_WINDOWS", "MIN_CONFIDENCE", "parse_duration", "parse_fraction", "parse_probability"]

# A plan's runs are cut at this many windows (``rollsim.plan.run.with_horizon``): a run that
# long cannot fit the window, and one pod at a time on thousands of nodes would run for days.
HORIZON_WINDOWS = 4

def parse_duration(value: Any) -> float:
    """``--window``: seconds from ``1800`` (a number: seconds, as ``1800s``), ``"1800s"``, ``"30m"``,
    ``"1h30m"``, read as every duration is (``rollsim.spec.duration.read_duration``: Go's
    ``time.ParseDuration``, as kubectl's ``--timeout`` takes it, so ``1h30`` is refused, naming
    ``1h30m``); positive and finite (``-5m`` is a duration, refused as not positive).
    """
    seconds = read_duration(value)
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"must be a positive duration, got {value!r}")
    return seconds


def parse_fraction(value: Any) -> float:
    """A share in [0, 1] from ``0.95`` or ``"95%"``."""
    text = str(value).strip()
    try:
        x = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise ValueError(f"must be a fraction such as 0.95 or 95%, got {value!r}") from None
    if isinstance(value, bool) or not 0 <= x <= 1:
        raise ValueError(f"must be a fraction between 0 and 1 (0% to 100%), got {value!r}")
    return x


def parse_probability(value: Any) -> float:
    """A probability strictly between 0 and 1, from ``0.95`` or ``"95%"``."""
    x = parse_fraction(value)
    if not 0 < x < 1:
        raise ValueError(f"must be strictly between 0 and 1, got {value!r}")
    return x


MIN_CONFIDENCE = 0.5  # below it a bound is more likely wrong than right


@dataclass(frozen=True, slots=True)
class Constraints:
    """The limits a recommended setting must respect (see the module docstring)."""

    min_available_fraction: float = 0.95
    window_s: float | None = None
    window_probability: float = 0.95
    surge_pods: int | None = None
    surge_cpu_millis: int | None = None
    surge_memory_bytes: int | None = None
    allow_surge: bool = True
    min_ready_seconds: tuple[float, ...] | None = None
    confidence: float = 0.95

    def __post_init__(self) -> None:
        if not 0 <= self.min_available_fraction <= 1:
            raise ValueError(f"min_available_fraction must be between 0 and 1, got {self.min_available_fraction!r}")
        if self.window_s is not None and not (math.isfinite(self.window_s) and self.window_s > 0):
            raise ValueError(f"window must be a positive number of seconds, got {self.window_s!r}")
        for name in ("window_probability", "confidence"):
            if not 0 < getattr(self, name) < 1:
                raise ValueError(f"{name} must be strictly between 0 and 1, got {getattr(self, name)!r}")
        if self.confidence < MIN_CONFIDENCE:
            raise ValueError(f"confidence must be at least {MIN_CONFIDENCE:g}: a verdict at a lower confidence is more "
                             f"likely wrong than right, got {self.confidence!r}")
        for name in ("surge_pods", "surge_cpu_millis", "surge_memory_bytes"):
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0):
                raise ValueError(f"{name} must be a non-negative integer, got {v!r}")
        if self.min_ready_seconds is not None:
            values = tuple(self.min_ready_seconds)
            if not values or any(isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0 or not
                                 math.isfinite(v) for v in values):
                raise ValueError(f"min_ready_seconds must be a non-empty list of seconds ≥ 0, got {values!r}")
            object.__setattr__(self, "min_ready_seconds", tuple(sorted(set(float(v) for v in values))))

    @property
    def surge_capped(self) -> bool:
        """Whether a surge budget (pods, CPU or memory at once) caps how many surge pods may run."""
        return any(v is not None for v in (self.surge_pods, self.surge_cpu_millis, self.surge_memory_bytes))

    @classmethod
    def from_text(cls, *, floor: Any = None, window: Any = None, window_probability: Any = None,
                  surge_pods: Any = None, surge_cpu: Any = None, surge_memory: Any = None,
                  allow_surge: bool = True, min_ready_seconds: Any = None, confidence: Any = None) -> Constraints:
        """Constraints from text as flags give them (``95%``, ``30m``, ``4``, ``2000m``, ``8Gi``, ``0,10,30``)."""
        given: dict[str, Any] = {"allow_surge": allow_surge}
        if floor is not None:
            given["min_available_fraction"] = parse_fraction(floor)
        if window is not None:
            given["window_s"] = parse_duration(window)
        if window_probability is not None:
            given["window_probability"] = parse_probability(window_probability)
        if confidence is not None:
            given["confidence"] = parse_probability(confidence)
        if surge_pods is not None:
            try:
                given["surge_pods"] = non_negative_integer(str(surge_pods))
            except ValueError:
                raise ValueError(f"surge pods must be a non-negative integer, got {surge_pods!r}") from None
        if surge_cpu is not None:
            given["surge_cpu_millis"] = int64_amount(surge_cpu, "millicores")  # as --requests-cpu is bounded
        if surge_memory is not None:
            given["surge_memory_bytes"] = int64_amount(surge_memory, "bytes")
        if min_ready_seconds is not None:
            items = (min_ready_seconds if isinstance(min_ready_seconds, (list, tuple))
                     else str(min_ready_seconds).split(","))
            try:
                given["min_ready_seconds"] = tuple(float(str(v).strip()) for v in items)
            except ValueError:
                raise ValueError(f"min_ready_seconds must be seconds such as 0,10,30, got "
                                 f"{min_ready_seconds!r}") from None
        return cls(**given)

    def describe(self) -> list[tuple[str, str]]:
        """(constraint, value) rows as the report and the CLI show them."""
        from rollsim.present.render import count_of, format_duration

        rows = [("availability floor", f"≥ {100 * self.min_available_fraction:g}% of the DaemonSet's nodes "
                                       "with an available pod at every moment")]
        rows.append(("window", f"none; a setting whose family stalled, or can (maxSurge with minReadySeconds), "
                               "must finish enough runs, none stalled, to show at "
                               f"{100 * self.confidence:g}% confidence that at least "
                               f"{100 * self.window_probability:g}% of its rollouts finish (a rollout that stalls "
                               "never does)" if self.window_s is None else
                     f"finishes within {format_duration(self.window_s)} with probability "
                     f"≥ {100 * self.window_probability:g}% (duration p{100 * self.window_probability:g} ≤ "
                     f"{format_duration(self.window_s)}), judged at {100 * self.confidence:g}% confidence; a "
                     "rollout that stalls misses it"))
        if not self.allow_surge:
            surge = "not allowed"
        else:
            parts = [count_of(self.surge_pods, "pod") if self.surge_pods is not None else "",
                     f"{self.surge_cpu_millis}m CPU" if self.surge_cpu_millis is not None else "",
                     f"{self.surge_memory_bytes / 2**20:,.0f}Mi memory" if self.surge_memory_bytes is not None else ""]
            surge = ", ".join(p for p in parts if p) or "no limit given"
        rows.append(("surge capacity at once", surge))
        rows.append(("minReadySeconds", "the DaemonSet's own" if self.min_ready_seconds is None else
                     ", ".join(f"{v:g}" for v in self.min_ready_seconds)))
        return rows
