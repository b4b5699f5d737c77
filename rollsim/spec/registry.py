"""A registry's capacity and the max-min fair sharing of its bandwidth (pure arithmetic).

The SimPy registry that applies them is ``rollsim.cluster.registry``.

What a registry does with a request over its pull-rate limit (``over_limit``): a registry or pull-through
proxy that queues it answers late (``queue``, FIFO: the request waits for its token); a public
registry refuses it (``reject``): Docker Hub answers the manifest GET with ``429 Too Many Requests``
(``toomanyrequests: You have reached your pull rate limit``), and ECR, Artifact Registry and GHCR
throttle with a 429 too. The runtime's ``PullImage`` then fails and the kubelet backs off
(ErrImagePull, ImagePullBackOff).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["OVER_LIMIT", "RegistrySpec", "max_min_rates"]

QUEUE = "queue"  # a request over the limit waits for its token (a slow registry or proxy)
REJECT = "reject"  # a request over the limit is refused: 429 Too Many Requests
OVER_LIMIT = (QUEUE, REJECT)


@dataclass(frozen=True, slots=True)
class RegistrySpec:
    """A registry's capacity: total egress ``bandwidth`` (bytes/s), admitted ``pull_rate``
    (pulls/s, a token bucket holding up to ``pull_burst`` tokens, by default ``max(1, pull_rate)``)
    and a fixed per-pull ``latency`` (manifest round trips before bytes flow). ``None`` means
    unlimited. ``over_limit``: what a request that finds no token gets, ``queue`` (it waits) or
    ``reject`` (429 after the latency).
    """

    bandwidth: float | None = None
    pull_rate: float | None = None
    latency: float = 0.0
    over_limit: str = QUEUE
    pull_burst: int | None = None

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
        """Whether the registry refuses requests over its limit (``reject`` and a pull rate to be over)."""
        return self.over_limit == REJECT and self.pull_rate is not None

    @property
    def delays_requests(self) -> bool:
        """Whether a request to the registry waits (a pull-rate limit or a latency): then pulls go
        through the registry model even when no image has a size (their bytes take the ``pull`` time).
        """
        return self.pull_rate is not None or self.latency > 0


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
