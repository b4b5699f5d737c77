"""A registry's limit as a count per rolling window, as Docker Hub publishes its pull limit.

Docker Hub serves at most 100 pulls (an anonymous address) or 200 (a free account) in any 6 hours:
a count per rolling window, not a token bucket. No Kubernetes code holds this limit (the kubelet
only meets its 429s); ``SlidingWindow`` has the interface of the controller's ``TokenBucket``
(``reserve`` for a registry that queues, ``try_accept`` for one that refuses), so the registry takes
either.
"""

from __future__ import annotations

from collections import deque

__all__ = ["SlidingWindow"]


class SlidingWindow:
    """At most ``limit`` requests served in any ``(t - seconds, t]``.

    Serve times are non-decreasing (FIFO), so only the last ``limit`` matter: a request at ``now``
    fits when fewer than ``limit`` have been served, or the ``limit``-th latest of them is at least
    ``seconds`` old. A deque of that many serve times answers in O(1).
    """

    __slots__ = ("limit", "seconds", "_served")

    def __init__(self, limit: int, seconds: float) -> None:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        if not seconds > 0:
            raise ValueError(f"seconds must be positive, got {seconds}")
        self.limit = limit
        self.seconds = float(seconds)
        self._served: deque[float] = deque(maxlen=limit)

    def _free_at(self, now: float) -> float:
        """The earliest time at or after ``now`` when one more request fits in the window."""
        if len(self._served) < self.limit:
            return now
        return max(now, self._served[0] + self.seconds)  # when the limit-th latest leaves the window

    def reserve(self, now: float) -> float:
        """Take a place in the window for a request made at ``now`` (FIFO); the time it is served:
        ``now``, or when the oldest of the last ``limit`` served leaves the window.
        """
        at = self._free_at(now)
        self._served.append(at)
        return at

    def try_accept(self, now: float) -> bool:
        """Serve a request at ``now`` if it fits in the window, else take nothing and say no: a refused
        request is not counted, so at most ``limit`` are served in any window however many are refused.
        """
        if self._free_at(now) > now:
            return False
        self._served.append(now)
        return True
