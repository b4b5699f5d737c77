"""A registry's capacity and the max-min fair sharing of its bandwidth (pure arithmetic).

The SimPy registry that applies them is ``rollsim.cluster.registry``.

What a registry does with a request over its pull-rate limit (``over_limit``): a registry or pull-through
proxy that queues it answers late (``queue``, FIFO: the request waits for its token); a public
registry refuses it (``reject``): Docker Hub answers the manifest GET with ``429 Too Many Requests``
(``toomanyrequests: You have reached your pull rate limit``), and ECR, Artifact Registry and GHCR
throttle with a 429 too. The runtime's ``PullImage`` then fails and the kubelet backs off
(ErrImagePull, ImagePullBackOff).

The limit is a token bucket (``pull_rate``, ``pull_burst``: a steady rate after a burst) or a count
per rolling window (``pull_window``, ``PullWindow``: at most N requests in any W seconds, as Docker Hub
publishes its limit, 100 pulls per 6 hours), not both: one limiter per registry.

A flaky registry (``error_rate``) fails a request it serves with that probability, part way: a 5xx
on a layer, a timeout, a reset connection. The pull has moved part of its bytes when it fails, and
the runtime's ``PullImage`` fails as it does for a refusal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from rollsim.spec.duration import DURATION_UNITS, go_duration_seconds
from rollsim.spec.quantity import is_ascii_digits

__all__ = ["OVER_LIMIT", "PullWindow", "RegistrySpec", "limit_words", "parse_pull_window", "max_min_rates"]

QUEUE = "queue"  # a request over the limit waits for its token (a slow registry or proxy)
REJECT = "reject"  # a request over the limit is refused: 429 Too Many Requests
OVER_LIMIT = (QUEUE, REJECT)
MAX_WINDOW_LIMIT = 10**9  # requests per window: no registry publishes more (a deque of up to this many)


@dataclass(frozen=True, slots=True)
class PullWindow:
    """A registry's limit as a count per rolling window: a request at ``t`` is served when fewer than
    ``limit`` requests were served in ``(t - seconds, t]`` (Docker Hub: 100 per 6 hours anonymous,
    200 for a free account). Written ``100/6h`` (``parse_pull_window``).
    """

    limit: int
    seconds: float

    def __post_init__(self) -> None:
        limit = self.limit
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_WINDOW_LIMIT:
            raise ValueError(f"the window's count must be an integer from 1 to {MAX_WINDOW_LIMIT}, got {limit!r}")
        if not (self.seconds > 0 and math.isfinite(self.seconds)):
            raise ValueError(f"the window must be a positive finite duration, got {self.seconds!r}")

    def __str__(self) -> str:
        for unit, size in (("h", 3600), ("m", 60), ("s", 1)):
            if self.seconds % size == 0:
                return f"{self.limit}/{int(self.seconds // size)}{unit}"
        return f"{self.limit}/{self.seconds!r}s"


def parse_pull_window(text: str | PullWindow) -> PullWindow:
    """A ``PullWindow`` from ``100/6h``, ``200/6h``, ``5/1m30s`` or ``10/s``: a whole count of requests,
    then after the ``/`` a unit alone (one of it) or a duration as Go's ``time.ParseDuration`` reads it,
    as ``parse_pull_rate`` reads the window of a rate. A plain number has no window and is refused.
    """
    if isinstance(text, PullWindow):
        return text
    body, slash, per = str(text).strip().partition("/")
    body = body.strip()
    seconds = (go_duration_seconds(f"1{per}" if per in DURATION_UNITS else per)
               if slash and not isinstance(text, (bool, int, float)) else None)
    if not is_ascii_digits(body) or seconds is None or not seconds > 0:
        raise ValueError(f"must be a count per a window such as 100/6h or 200/6h, got {text!r}")
    if not 1 <= int(body) <= MAX_WINDOW_LIMIT:
        raise ValueError(f"must allow from 1 to {MAX_WINDOW_LIMIT} requests per window, got {text!r}")
    return PullWindow(int(body), seconds)


@dataclass(frozen=True, slots=True)
class RegistrySpec:
    """A registry's capacity: total egress ``bandwidth`` (bytes/s), admitted ``pull_rate``
    (pulls/s, a token bucket holding up to ``pull_burst`` tokens, by default ``max(1, pull_rate)``)
    and a fixed per-pull ``latency`` (manifest round trips before bytes flow). ``None`` means
    unlimited. ``pull_window`` is the other kind of limit, a count per rolling window, instead of
    the bucket (not beside it). ``over_limit``: what a request over the limit gets, ``queue`` (it
    waits for its token or its place in the window) or ``reject`` (429 after the latency).
    ``error_rate``: the probability, from 0 up to but not including 1, that a request the registry
    serves fails part way (a 5xx, a timeout, a reset connection).
    """

    bandwidth: float | None = None
    pull_rate: float | None = None
    latency: float = 0.0
    over_limit: str = QUEUE
    pull_burst: int | None = None
    pull_window: PullWindow | None = None
    error_rate: float = 0.0

    def __post_init__(self) -> None:
        for name in ("bandwidth", "pull_rate"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(f"{name} must be positive or None, got {value}")
        if not self.latency >= 0:
            raise ValueError(f"latency must be non-negative, got {self.latency}")
        if self.over_limit not in OVER_LIMIT:
            raise ValueError(f"over_limit must be one of {', '.join(OVER_LIMIT)}, got {self.over_limit!r}")
        burst = self.pull_burst
        if burst is not None and (isinstance(burst, bool) or not isinstance(burst, int) or burst < 1):
            raise ValueError(f"pull_burst must be an integer of at least 1 or None, got {burst!r}")
        if self.pull_window is not None:
            if not isinstance(self.pull_window, PullWindow):
                raise ValueError(f"pull_window must be a PullWindow or None, got {self.pull_window!r}")
            if self.pull_rate is not None or burst is not None:
                raise ValueError("pull_window is a registry's limit instead of a token bucket (pull_rate, "
                                 "pull_burst), not beside one")
        rate = self.error_rate
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
            raise ValueError(f"error_rate must be a probability from 0 up to but not including 1, got {rate!r}")

    @property
    def burst(self) -> float:
        """The pull-rate bucket's size: requests the registry admits at once after a quiet spell
        (``pull_burst``, by default ``max(1, pull_rate)``, a second's worth and at least one).
        """
        if self.pull_burst is not None:
            return float(self.pull_burst)
        return max(1.0, self.pull_rate or 0.0)

    @property
    def rejects(self) -> bool:
        """Whether the registry refuses requests over its limit (``reject`` and a limit to be over)."""
        return self.over_limit == REJECT and self.limited

    @property
    def limited(self) -> bool:
        """Whether the registry limits its requests: a pull rate (token bucket) or a pull window."""
        return self.pull_rate is not None or self.pull_window is not None

    @property
    def models_requests(self) -> bool:
        """Whether a request to the registry waits (a pull-rate limit or window, or a latency) or may fail (an
        error rate): then pulls go through the registry model even when no image has a size (their
        bytes take the ``pull`` time).
        """
        return self.limited or self.latency > 0 or self.error_rate > 0

    @property
    def limit_words(self) -> str:
        """Its limit as a sentence names it (``limit_words``): ``its limit of 100 per 6h``, ``its pull
        rate of 5/s (burst 5)``.
        """
        return limit_words(self.pull_rate, self.pull_burst, self.pull_window)


def limit_words(pull_rate: float | None, pull_burst: float | None, pull_window: PullWindow | str | None) -> str:
    """The registry's limit as a sentence names it: ``its limit of 100 per 6h`` (a pull window, a
    ``PullWindow`` or as written), ``its pull rate of 5/s (burst 5)`` (a token bucket; ``pull_burst``
    None is its default, ``max(1, rate)``), or ``its limit`` when it has neither.
    """
    if pull_window is not None:
        limit, _, window = str(pull_window).partition("/")
        return f"its limit of {limit} per {window}"
    if pull_rate is None:
        return "its limit"
    burst = max(1.0, pull_rate) if pull_burst is None else float(pull_burst)
    # per the largest of second, minute, hour that holds at least one: 1/20m is 3/h, not 0.000833333/s
    count, per = next(((pull_rate * size, unit) for size, unit in ((1, "s"), (60, "m")) if pull_rate * size >= 1),
                      (pull_rate * 3600, "h"))
    return f"its pull rate of {count:.4g}/{per} (burst {burst:g})"


def max_min_rates(caps: Sequence[float | None], total: float | None) -> list[float]:
    """Max-min fair (water-filling) shares of ``total`` among transfers capped at ``caps``.

    Transfers are served in order of increasing cap; each gets ``min(cap, remaining / left)``,
    so capped transfers take what they can use and the rest is split evenly. ``None`` is
    unlimited: an uncapped transfer of an unlimited registry gets an infinite rate.
    """
    rates = [0.0] * len(caps)
    order = sorted(range(len(caps)), key=lambda i: math.inf if (cap := caps[i]) is None else cap)
    remaining = math.inf if total is None else float(total)
    for left, i in zip(range(len(caps), 0, -1), order):
        cap = caps[i]
        share = remaining / left
        rate = share if cap is None else min(float(cap), share)
        rates[i] = rate
        if total is not None:
            remaining = max(0.0, remaining - rate)
    return rates
