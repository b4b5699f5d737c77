"""The image registry the kubelets pull from during a rollout, shared under contention.

On a large cluster a DaemonSet update makes many kubelets pull the new image at once. The
registry has a finite egress bandwidth and often a pull-rate limit (Docker Hub, ECR and GCR all
throttle), so a pull's duration follows from its bytes and the bandwidth it gets while others
pull: a processor-sharing model with max-min fairness, not a fixed delay.

The limit is a token bucket (``--registry-pull-rate``) or a count per rolling window
(``--registry-pull-window``, ``rollsim.cluster.pullwindow``). Over it a registry either queues a
request (it waits for its token or its place in the window) or refuses it
(``RegistrySpec.over_limit``): Docker Hub answers the manifest GET with 429 Too Many Requests,
before any layer, and the kubelet backs off (``rollsim.cluster.kubelet``).

A flaky registry (``RegistrySpec.error_rate``) fails a request it serves part way: a 5xx on a
layer GET, a timeout, a reset connection. The pull has moved a uniform fraction of its bytes, at
the bandwidth it got, when the runtime's ``PullImage`` returns the error (``FailedPull``), and the
kubelet backs off as it does for a refusal.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from dataclasses import dataclass

import numpy as np
import simpy

from rollsim.cluster.pullwindow import SlidingWindow
from rollsim.controller.flowcontrol import TokenBucket
from rollsim.spec.registry import RegistrySpec, max_min_rates

__all__ = ["FailedPull", "Registry"]

# A transfer whose remaining bytes fall below this fraction of its size is done (float error).
_DONE_FRACTION = 1e-9


@dataclass(frozen=True, slots=True)
class FailedPull:
    """A pull the registry served that failed part way, ``seconds`` after it was asked for."""

    seconds: float


@dataclass(slots=True)
class _Transfer:
    """One image's bytes in flight to one node."""

    size: float
    cap: float | None
    done: simpy.Event
    remaining: float
    rate: float = 0.0
    node: int | None = None  # the node whose link it shares with the node's other transfers (parallel pulls)


def _limiter(spec: RegistrySpec) -> TokenBucket | SlidingWindow | None:
    """The registry's request limit: a token bucket, a rolling window, or none."""
    if spec.pull_window is not None:
        return SlidingWindow(spec.pull_window.limit, spec.pull_window.seconds)
    return None if spec.pull_rate is None else TokenBucket(spec.pull_rate, spec.burst)


def _link_shares(transfers: list[_Transfer]) -> list[float | None]:
    """Each transfer's cap: its node's link shared equally among the node's transfers (``node``
    given), else the whole link. Max-min fair shares under these caps are those under the links
    themselves: a node's transfers are alike, so they get equal rates, each the link's share when
    the link binds them, the registry's level when it does not.
    """
    per_node: dict[int, int] = {}
    for t in transfers:
        if t.node is not None:
            per_node[t.node] = per_node.get(t.node, 0) + 1
    if not per_node or max(per_node.values()) == 1:
        return [t.cap for t in transfers]
    return [t.cap if t.cap is None or t.node is None else t.cap / per_node[t.node] for t in transfers]


class Registry:
    """A registry serving image pulls to kubelets, as the kubelet's image puller sees it.

    A pull waits for a pull-rate token or its place in the pull window (FIFO), then ``latency``,
    then transfers its bytes; a registry that rejects over its limit answers a pull that finds no
    token (no place) with a refusal after ``latency`` instead (``answer``); a flaky one fails a
    request it serves with probability ``error_rate``, drawn from ``errors`` (``fails_at``).
    Active transfers share ``bandwidth`` max-min fairly, each capped by its node's link (shared
    with the node's other transfers, when its kubelet pulls side by side: ``_link_shares``); the
    shares are recomputed whenever a transfer starts or finishes, and one timeout is kept
    pending for the earliest finish (older ones are invalidated by a version counter).
    """

    def __init__(self, env: simpy.Environment, spec: RegistrySpec, errors: np.random.Generator | None = None) -> None:
        if spec.error_rate > 0 and errors is None:
            raise ValueError("a registry with an error rate needs a random stream to draw its errors from")
        self.env = env
        self.spec = spec
        self._errors = errors if spec.error_rate > 0 else None
        self._limiter = _limiter(spec)
        self._active: dict[int, _Transfer] = {}
        self._next_id = 0
        self._version = 0
        self._last = env.now
        self.peak_concurrent = 0
        self.bytes_served = 0.0
        self.pulls = 0
        self.total_pull_seconds = 0.0
        self.served = 0  # requests answered with a token: pulls, manifest checks, failing pulls
        self.refusals = 0  # requests refused over the limit (429), with ``over_limit`` reject
        self.errors = 0  # requests served that failed part way, with an ``error_rate``
        # Debug hook called at every recompute with (caps, rates) of the active transfers.
        self.on_recompute: Callable[[list[float | None], list[float]], None] | None = None

    @property
    def mean_pull_s(self) -> float | None:
        """Mean seconds per pull so far, waits included; None before the first pull."""
        return self.total_pull_seconds / self.pulls if self.pulls else None

    def pull(self, size_bytes: float, node_bandwidth: float | None,
             queued: Callable[[float], None] | None = None, node: int | None = None) -> simpy.Event:
        """Pull an image of ``size_bytes`` over a node link of ``node_bandwidth`` bytes/s, which the
        node's other transfers share when ``node`` is given (a kubelet that pulls in parallel,
        ``serializeImagePulls: false``; a serial one has one transfer at a time).

        The returned event succeeds with the pull's duration (seconds from this call), with None
        when the registry refused it over its limit (``answer``), or with a ``FailedPull`` when it
        failed part way (``fails_at``): it moved that fraction of the bytes. A cached image under
        ``imagePullPolicy: Always`` is ``size_bytes == 0``: it still takes a token and the latency
        (the manifest check) but no bandwidth. ``queued(served_at)`` is called when the request
        waits in the registry's queue over its limit, with the time it will be served.
        """
        if not size_bytes >= 0:
            raise ValueError(f"size_bytes must be non-negative, got {size_bytes}")
        if node_bandwidth is not None and not node_bandwidth > 0:
            raise ValueError(f"node_bandwidth must be positive or None, got {node_bandwidth}")
        return self.env.process(self._pulling(float(size_bytes), node_bandwidth, queued, node))

    def answer(self, now: float) -> tuple[float, bool]:
        """Seconds until the registry answers a request made at ``now``, and whether the answer is a
        refusal. Every request takes a pull-rate token: a pull, a manifest check, a pull that fails,
        and a pull of an image whose size is not modelled (its bytes take the ``pull`` time after).

        ``queue``: the token (FIFO, ``TokenBucket.reserve``), or with a pull window the time the oldest
        request in the window leaves it (``SlidingWindow.reserve``), then the latency. ``reject``: a request
        that finds a token takes it and is answered after the latency; one that finds none is
        refused after the latency (429 Too Many Requests) and takes no token (``try_accept``), as
        Docker Hub counts the manifest GETs it serves, so the registry serves at most
        ``burst + pull_rate * d`` requests in any ``d`` seconds however many it refuses (with a pull
        window, at most its count in any window). A request that queued is served ``wait - latency``
        after it was made (``served_at``).
        """
        bucket, latency = self._limiter, self.spec.latency
        if bucket is None:
            self.served += 1
            return latency, False
        if not self.spec.rejects:
            self.served += 1
            return bucket.reserve(now) - now + latency, False
        if bucket.try_accept(now):
            self.served += 1
            return latency, False
        self.refusals += 1
        return latency, True

    def served_at(self, asked: float, wait: float) -> float | None:
        """When a request asked at ``asked`` and answered ``wait`` seconds later (``answer``) leaves the
        queue over the limit (``queue``: its token, or its place in the window): ``wait`` less the
        latency after it was asked; None when it waited in no queue.
        """
        queued = wait - self.spec.latency
        return asked + queued if queued > 0 else None

    def fails_at(self) -> float | None:
        """Where a request the registry serves fails, as a fraction of its bytes (and time), drawn
        uniformly; None when it does not fail (``1 - error_rate`` of requests, and every request
        without an error rate: no draw then). Called once for each request served, when it is made.

        A transient failure part way through a pull: a 5xx or a timeout on a layer GET, a reset
        connection. containerd's fetch returns the error and the CRI ``PullImage`` fails
        (ErrImagePull, ``FailedPull``). The next pull moves every byte again, where containerd would
        keep the layers it had (a departure: the README's).
        """
        errors = self._errors
        if errors is None or errors.random() >= self.spec.error_rate:
            return None
        self.errors += 1
        return float(errors.random())

    def _pulling(self, size: float, cap: float | None, queued: Callable[[float], None] | None,
                 node: int | None = None) -> Generator[simpy.Event, object, float | FailedPull | None]:
        start = self.env.now
        wait, refused = self.answer(start)
        served = self.served_at(start, wait)
        if queued is not None and served is not None:  # in the queue, even if it then fails part way
            queued(served)
        failed_at = None if refused else self.fails_at()
        if wait > 0:
            yield self.env.timeout(wait)
        if refused:
            return None  # no bytes: the registry refused the manifest before any layer
        if failed_at is not None:  # the bandwidth it got until the error: a fraction of the bytes
            if size * failed_at > 0:
                yield self._start_transfer(size * failed_at, cap, node)
            self.bytes_served += size * failed_at
            return FailedPull(self.env.now - start)
        if size > 0:
            yield self._start_transfer(size, cap, node)
        duration = self.env.now - start
        self.pulls += 1
        self.bytes_served += size
        self.total_pull_seconds += duration
        return duration

    def _start_transfer(self, size: float, cap: float | None, node: int | None = None) -> simpy.Event:
        self._advance()
        done = self.env.event()
        self._active[self._next_id] = _Transfer(size, cap, done, size, node=node)
        self._next_id += 1
        self.peak_concurrent = max(self.peak_concurrent, len(self._active))
        self._replan()
        return done

    def _advance(self, due: int | None = None) -> None:
        """Drain every transfer at its current rate up to now; finish those that are done."""
        elapsed = self.env.now - self._last
        self._last = self.env.now
        for key, t in list(self._active.items()):
            if key == due or math.isinf(t.rate):
                t.remaining = 0.0  # the transfer this timeout was planned for: no float residue
            else:
                t.remaining -= t.rate * elapsed
            if t.remaining <= _DONE_FRACTION * t.size:
                del self._active[key]
                t.done.succeed()

    def _replan(self) -> None:
        """Recompute the fair shares and keep one timeout pending for the earliest finish."""
        self._version += 1
        if not self._active:
            return
        transfers = list(self._active.items())
        caps = _link_shares([t for _, t in transfers])
        rates = max_min_rates(caps, self.spec.bandwidth)
        for (_, t), rate in zip(transfers, rates):
            t.rate = rate
        if self.on_recompute is not None:
            self.on_recompute(caps, rates)
        delay, due = min((t.remaining / t.rate if t.rate > 0 else math.inf, key)
                         for key, t in transfers)
        version = self._version
        self.env.timeout(delay).callbacks.append(lambda _: self._tick(version, due))

    def _tick(self, version: int, due: int) -> None:
        if version != self._version:
            return  # stale: a start or finish since has replanned
        self._advance(due)
        self._replan()
