"""Client-side rate limits of the DaemonSet controller: the API token bucket and the failed-pod backoff."""

from __future__ import annotations

__all__ = ["TokenBucket", "Backoff"]


class TokenBucket:
    """Mirrors client-go's ``flowcontrol`` token bucket (``KubeAPIQPS`` 20, ``KubeAPIBurst`` 30).

    ``reserve(now)`` returns when the call may go out. Tokens accrue continuously at
    ``qps`` up to ``burst``; a reservation may drive the balance negative, so calls are
    granted in FIFO order at the sustained rate, as ``rate.Limiter.Wait`` does.
    """

    __slots__ = ("qps", "burst", "_tokens", "_last")

    def __init__(self, qps: float, burst: float) -> None:
        if qps <= 0:
            raise ValueError(f"qps must be positive, got {qps}")
        if burst < 1:
            raise ValueError(f"burst must be at least 1, got {burst}")
        self.qps = float(qps)
        self.burst = float(burst)
        self._tokens = float(burst)
        self._last = 0.0

    def reserve(self, now: float) -> float:
        """Take one token at ``now``; the time at which the call may go out."""
        if now > self._last:
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.qps)
            self._last = now
        self._tokens -= 1.0
        if self._tokens >= 0:
            return self._last
        return self._last - self._tokens / self.qps

    def try_accept(self, now: float) -> bool:
        """Mirrors ``TryAccept`` (``rate.Limiter.AllowN(now, 1)``): take a token at ``now`` if one is
        there, else take nothing and say no. Refused calls leave the balance as it was, so the
        calls accepted in any span of ``d`` seconds are at most ``burst + qps * d``.
        """
        if now > self._last:
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.qps)
            self._last = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False


class Backoff:
    """Mirrors ``flowcontrol.Backoff`` as the controller builds it (1 s doubling to 15 min).

    ``next`` starts a key at ``initial`` and doubles it up to ``maximum``; an entry not
    updated for ``2 * maximum`` starts again from ``initial``.
    """

    __slots__ = ("initial", "maximum", "_entries")

    def __init__(self, initial: float = 1.0, maximum: float = 900.0) -> None:
        self.initial = initial
        self.maximum = maximum
        self._entries: dict[str, tuple[float, float]] = {}

    def get(self, key: str) -> float:
        """Mirrors ``Backoff.Get``: the key's current delay (0 when it has none)."""
        entry = self._entries.get(key)
        return entry[0] if entry else 0.0

    def next(self, key: str, now: float) -> None:
        """Mirrors ``Backoff.Next``: double the key's delay (or start it) at ``now``."""
        entry = self._entries.get(key)
        if entry is None or now - entry[1] > 2 * self.maximum:
            delay = self.initial
        else:
            delay = min(entry[0] * 2, self.maximum)
        self._entries[key] = (delay, now)

    def in_backoff_since_update(self, key: str, now: float) -> bool:
        """Mirrors ``IsInBackOffSinceUpdate``: less than the current delay since the last ``next``."""
        entry = self._entries.get(key)
        if entry is None or now - entry[1] > 2 * self.maximum:
            return False
        return now - entry[1] < entry[0]
