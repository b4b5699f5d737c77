"""The kubelet's image manager: whether a pod's image is pulled, the pull itself, and its back-off.

Mirrors pkg/kubelet/images: ``imageManager.EnsureImageExists`` (image_manager.go) decides whether
to pull (``shouldPullImage``), pulls through the image puller and, when the pull fails
(ErrImagePull), backs off (ImagePullBackOff, ``kubelet_backoff``) until a later pod sync pulls
again (``PodWorkers.pull_again_at``). The puller is serial by default (``serializeImagePulls:
true``, puller.go ``serialImagePuller``): a node pulls one image at a time; with
``serializeImagePulls: false`` it pulls side by side, at most ``maxParallelImagePulls`` at once
when that is set (``parallelImagePuller``).

The kubelet hands a pod over with the container's ``start`` time already drawn; the image
manager calls it back (``started``) ``start`` seconds after the image is on the node. A pull
the registry refuses (429 over its rate) or fails part way (its error rate) keeps that ``start``
for the pull after the back-off, so a container start is drawn once however many failed pulls
came before it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import simpy

from rollsim.cluster.apiserver import ApiServer
from rollsim.cluster.podruntime import REFUSED, REGISTRY_ERROR, PodRuntime
from rollsim.cluster.podworker import PodWorkers
from rollsim.cluster.registry import FailedPull, Registry
from rollsim.cluster.timers import call_later
from rollsim.controller.pods import Pod
from rollsim.spec.faults import PULL_ERROR, kubelet_backoff
from rollsim.spec.image import IF_NOT_PRESENT

__all__ = ["SerialImagePuller", "ParallelImagePuller", "ImagePuller", "image_puller", "ImageManager"]

# a pull's duration when it ends, None if the registry refused it, a FailedPull if it failed part way
Pulled = Callable[[float | FailedPull | None], None]
Queued = Callable[[float], None]  # the request waits in the registry's queue: when it will be served
# the kubelet's container start: (pod, runtime, fault, pull seconds or None for no pull, when the image was there)
Started = Callable[[Pod, PodRuntime, str, float | None, float], None]


class SerialImagePuller:
    """Every node's ``serialImagePuller`` (puller.go; the kubelet's default ``serializeImagePulls:
    true``): one image pull at a time per node, whatever the image: a pull asked for while another
    runs on the node (another DaemonSet's image, sized or not) waits for it, in order.

    A pull is handed over as ``begin``, called when the node's turn comes: it starts the pull and
    returns when the pull ends (a pull whose time is known when it starts: the registry's answer
    and the ``pull`` time), or None for a pull by bytes, whose end the registry decides
    (``pull_bytes``). Until 2026-12 (model 21) only pulls by bytes queued, so two DaemonSets' pulls
    without an image size ran side by side on a node (audit 19).
    """

    __slots__ = ("env", "registry", "gone", "_waiting", "_ends")

    def __init__(self, env: simpy.Environment, registry: Registry | None, gone: Callable[[Pod], bool]) -> None:
        self.env = env
        self.registry = registry
        self.gone = gone  # whether the kubelet no longer runs a pod (ImageManager's)
        # by node, while a pull by bytes runs there, or others wait behind a timed one: the pulls waiting
        self._waiting: dict[int, deque[Callable[[], float | None]]] = {}
        self._ends: dict[int, float] = {}  # by node: when its timed pull ends (until ``ended``)

    def pull(self, pod: Pod, begin: Callable[[], float | None]) -> None:
        """``pullImage`` for ``pod`` on its node: ``begin()`` now if the node pulls nothing, else once
        the pulls before it end, unless the pod is gone by then: upstream ``UpdatePod`` cancels the
        pod's context and its queued ``PullImage`` returns at once, asking the registry nothing (audit 21).
        """
        node = pod.node
        waiting = self._waiting.get(node)
        end = self._ends.get(node) if waiting is None else None
        if waiting is None and (end is None or end <= self.env._now):
            self._start(node, begin, None)  # the node is free (the pod, just asked for, is not gone)
            return
        gone, now = self.gone, self.env._now

        def turn() -> float | None:
            return self.env._now if gone(pod) else begin()

        if waiting is not None:
            waiting.append(turn)
        else:  # a timed pull runs: the next starts at its end
            self._waiting[node] = deque((turn,))
            call_later(self.env, end - now, self._next, node)  # type: ignore[operator]  # end is set here

    def ended(self, node: int) -> None:
        """A timed pull on ``node`` is over (its caller's next step, at or after its end): forget its
        end, unless another pull has started since and runs on (its end is later). Compared with the
        clock, not the end itself: ``now - start`` need not give back ``end`` to the last bit.
        """
        end = self._ends.get(node)
        if end is not None and end <= self.env._now:
            del self._ends[node]

    def pull_bytes(self, pod: Pod, size: float, bandwidth: float | None, pulled: Pulled,
                   queued: Queued | None = None) -> None:
        """Pull ``size`` bytes to ``pod``'s node (its link ``bandwidth``) through the registry in the
        node's turn, ``pulled(duration)`` at the end; ``queued(served_at)`` if its request waits in
        the registry's queue over its limit.
        """
        self.pull(pod, lambda: self._by_bytes(pod.node, size, bandwidth, pulled, queued))

    def _start(self, node: int, begin: Callable[[], float | None], waiting: deque[Callable[[], float | None]] | None
               ) -> None:
        """``begin`` the node's next pull, ``waiting`` those behind it."""
        end = begin()
        if end is None:  # by bytes: the registry's answer ends it (_next)
            self._waiting[node] = waiting if waiting is not None else deque()
            return
        self._ends[node] = end
        if waiting:
            self._waiting[node] = waiting
            call_later(self.env, end - self.env._now, self._next, node)

    def _next(self, node: int) -> None:
        """The node's pull ended: the next one waiting starts."""
        waiting = self._waiting.pop(node)
        self._ends.pop(node, None)
        if waiting:
            self._start(node, waiting.popleft(), waiting)

    def _by_bytes(self, node: int, size: float, bandwidth: float | None, pulled: Pulled,
                  queued: Queued | None) -> float | None:
        """The registry pull itself; when it ends (or is refused), the next pull waiting on the node starts."""
        _through_registry(self.registry, size, bandwidth, queued, pulled, self._next, node, None)
        return None  # the registry's answer, not a known time, ends it


def _through_registry(registry: Registry | None, size: float, bandwidth: float | None, queued: Queued | None,
                      pulled: Pulled, then: Callable[[int], None] | None, node: int, link: int | None) -> None:
    """A pull by bytes through ``registry`` (sized: there is one), ``pulled(duration)`` when it ends
    (None if refused, or a ``FailedPull``), then ``then(node)``: the puller's next step on the node.
    ``link``: the node whose link the pull shares with the node's others (a parallel puller's), or None.
    """
    pulling = registry.pull(size, bandwidth, queued, node=link)  # type: ignore[union-attr]  # sized: a registry

    def done(event: simpy.Event) -> None:
        value = event._value  # the pull event's value is its duration, None if refused, or a FailedPull
        pulled(value if value is None or isinstance(value, FailedPull) else float(value))
        if then is not None:
            then(node)

    if pulling.callbacks is not None:
        pulling.callbacks.append(done)
    else:  # already processed: go on at once
        done(pulling)


class ParallelImagePuller:
    """Every node's ``parallelImagePuller`` (puller.go; ``serializeImagePulls: false``): a node's pulls
    run side by side, at most ``max_parallel`` at once (``maxParallelImagePulls``; None: no limit, as
    upstream when it is unset). A pull over the limit waits for a token (the ``tokens`` channel, taken
    here first come, first served) and, as in the serial puller, asks the registry nothing if its pod
    is gone by its turn. Pulls by bytes on one node share its link (``Registry.pull``'s ``node``).

    A pull is handed over as ``begin`` (``SerialImagePuller``). Without a limit it begins at once and
    nothing is kept; with one, the node's pulls under way are counted, and a timed pull gives its
    token back at its end (an event of its own: ``ended`` is not needed).
    """

    __slots__ = ("env", "registry", "gone", "max_parallel", "_running", "_waiting")

    def __init__(self, env: simpy.Environment, registry: Registry | None, gone: Callable[[Pod], bool],
                 max_parallel: int | None) -> None:
        if max_parallel is not None and max_parallel < 1:
            raise ValueError(f"maxParallelImagePulls must be a positive number, got {max_parallel}")
        self.env = env
        self.registry = registry
        self.gone = gone
        self.max_parallel = max_parallel
        self._running: dict[int, int] = {}  # by node: pulls under way (with a limit)
        self._waiting: dict[int, deque[Callable[[], None]]] = {}  # by node: the pulls waiting for a token

    def pull(self, pod: Pod, begin: Callable[[], float | None]) -> None:
        """``pullImage`` for ``pod`` on its node: ``begin()`` now if the node has a token free, else
        at the first token given back, unless the pod is gone by then.
        """
        limit = self.max_parallel
        if limit is None:
            begin()
            return
        node = pod.node
        if self._running.get(node, 0) < limit:
            self._begin(node, begin)
            return
        gone = self.gone

        def turn() -> None:
            if gone(pod):
                self._release(node)
            else:
                self._begin_held(node, begin)

        self._waiting.setdefault(node, deque()).append(turn)

    def _begin(self, node: int, begin: Callable[[], float | None]) -> None:
        """Take a token on ``node`` and begin the pull."""
        self._running[node] = self._running.get(node, 0) + 1
        self._begin_held(node, begin)

    def _begin_held(self, node: int, begin: Callable[[], float | None]) -> None:
        """Begin a pull that holds a token; a timed pull gives it back at its end (one by bytes, in ``_by_bytes``)."""
        end = begin()
        if end is not None:
            call_later(self.env, end - self.env._now, self._release, node)

    def _release(self, node: int) -> None:
        """A pull on ``node`` ended: its token goes to the next pull waiting, if any."""
        waiting = self._waiting.get(node)
        if waiting:
            turn = waiting.popleft()
            if not waiting:
                del self._waiting[node]
            turn()  # the token passes on: the count stays
            return
        running = self._running[node] - 1
        if running:
            self._running[node] = running
        else:
            del self._running[node]

    def ended(self, node: int) -> None:
        """Nothing to forget: a timed pull gives its token back at its end (``_begin_held``)."""

    def pull_bytes(self, pod: Pod, size: float, bandwidth: float | None, pulled: Pulled,
                   queued: Queued | None = None) -> None:
        """``SerialImagePuller.pull_bytes``, side by side: the node's pulls share its link."""
        node = pod.node
        self.pull(pod, lambda: self._by_bytes(node, size, bandwidth, pulled, queued))

    def _by_bytes(self, node: int, size: float, bandwidth: float | None, pulled: Pulled,
                  queued: Queued | None) -> float | None:
        """The registry pull, sharing the node's link; its end gives its token back (with a limit)."""
        release = self._release if self.max_parallel is not None else None
        _through_registry(self.registry, size, bandwidth, queued, pulled, release, node, node)
        return None


ImagePuller = SerialImagePuller | ParallelImagePuller


def image_puller(env: simpy.Environment, registry: Registry | None, gone: Callable[[Pod], bool],
                 serialize: bool = True, max_parallel: int | None = None) -> ImagePuller:
    """The kubelet's puller as ``NewImageManager`` chooses it: serial with ``serializeImagePulls``
    (the default), else parallel with at most ``maxParallelImagePulls`` at once (None: no limit).
    """
    if serialize:
        return SerialImagePuller(env, registry, gone)
    return ParallelImagePuller(env, registry, gone, max_parallel)


class ImageManager:
    """``EnsureImageExists`` for every node's kubelet: ``ensure_image_exists`` for a pod whose image can
    be pulled, ``pull_fails`` for one whose image cannot (``--new-pods pull-error``).

    ``gone(pod)``: the kubelet no longer runs the pod (being deleted, or its node's kubelet stopped);
    ``started``: the kubelet's container start, called ``start`` seconds after the image is there;
    ``node_bandwidth``: each node's link (``Scenario.node_bandwidth``), which caps every pull on the
    node whichever DaemonSet's image it is (the serial puller gives each pull the whole link; the
    parallel one shares it among the node's pulls); ``serialize`` and ``max_parallel``: the kubelet's
    ``serializeImagePulls`` and ``maxParallelImagePulls`` (``image_puller``).
    """

    def __init__(self, env: simpy.Environment, api: ApiServer, pod_workers: PodWorkers, registry: Registry | None,
                 gone: Callable[[Pod], bool], started: Started, node_bandwidth: float | None = None,
                 serialize: bool = True, max_parallel: int | None = None) -> None:
        self.env = env
        self.node_bandwidth = node_bandwidth  # each node's link, whichever DaemonSet's image it pulls
        self.api = api
        self.pod_workers = pod_workers  # when an image that failed is pulled again
        self.registry = registry
        self.gone = gone
        self.started = started
        self.puller = image_puller(env, registry, gone, serialize, max_parallel)

    def ensure_image_exists(self, pod: Pod, rt: PodRuntime, fault: str, start: float, failures: int = 0) -> None:
        """``EnsureImageExists``: no pull for an image present under ``IfNotPresent`` (``shouldPullImage``);
        else a pull through the registry, by bytes for an image of known size (a manifest check, no
        bytes, for one present under ``Always``), or taking the ``pull`` time (none for a manifest
        check) once the registry answers. Then the container starts ``start`` seconds later
        (``started``); or, where the registry refused the pull over its limit or failed it part way,
        the image pull back-off (``_pull_failed``; ``failures`` such pulls of this pod so far).
        """
        present = rt.image_present(pod)
        if present and rt.image.pull_policy == IF_NOT_PRESENT:  # not rt.pulls_image(pod), read once
            call_later(self.env, start, self.started, pod, rt, fault, None, self.env._now)
            return
        size = rt.image.size_bytes
        if size is None or self.registry is None:
            self.puller.pull(pod, lambda: self._pull_timed(pod, rt, fault, start, failures, present))
        else:
            self._pull_bytes(pod, rt, fault, start, failures, 0.0 if present else size)

    def _answer(self) -> tuple[float, bool]:
        """Seconds until the registry answers a request made now (its pull-rate token, then its
        latency; 0 without a registry model), and whether it refused it over its limit (``Registry.answer``).
        """
        registry = self.registry
        return (0.0, False) if registry is None else registry.answer(self.env._now)

    def _fails_at(self) -> float | None:
        """Where a request the registry serves fails part way, as a fraction of its bytes and time;
        None when it does not (``Registry.fails_at``; never without a registry model).
        """
        registry = self.registry
        return None if registry is None else registry.fails_at()

    def _pull_timed(self, pod: Pod, rt: PodRuntime, fault: str, start: float, failures: int, present: bool) -> float:
        """A pull without bytes to share, begun in its node's turn (``SerialImagePuller.pull``): the
        registry's answer, then the ``pull`` time (none for a manifest check), then the container
        start, in one event (nothing else happens when the pull ends). A pull the registry fails part
        way takes that fraction of its ``pull`` time, then fails. Returns when the pull ends.
        """
        now = self.env._now
        wait, refused = self._answer()
        if refused:
            call_later(self.env, wait, self._pull_failed, pod, rt, fault, start, failures, REFUSED)
            return now + wait
        served = None if self.registry is None else self.registry.served_at(now, wait)
        if served is not None:  # over the registry's limit: in its queue until then
            rt.queued[pod.uid] = served
        failed_at = self._fails_at()
        if failed_at is not None:
            part = wait + (0.0 if present else failed_at * rt.pull())
            call_later(self.env, part, self._pull_failed, pod, rt, fault, start, failures, REGISTRY_ERROR)
            return now + part
        pull = wait + (0.0 if present else rt.pull())
        call_later(self.env, pull + start, self._pulled_and_started, pod, rt, fault, pull, start)
        return now + pull

    def _pulled_and_started(self, pod: Pod, rt: PodRuntime, fault: str, pull: float, start: float) -> None:
        self.puller.ended(pod.node)
        rt.queued.pop(pod.uid, None)
        rt.image_pulled(pod)
        self.started(pod, rt, fault, pull, self.env._now - start)

    def _pull_bytes(self, pod: Pod, rt: PodRuntime, fault: str, start: float, failures: int, size: float) -> None:
        """A pull of ``size`` bytes through the node's serial puller; the container starts ``start`` after it ends."""

        def pulled(duration: float | FailedPull | None) -> None:
            if duration is None or isinstance(duration, FailedPull):  # refused over its limit, or failed part way
                self._pull_failed(pod, rt, fault, start, failures, REFUSED if duration is None else REGISTRY_ERROR)
                return
            rt.queued.pop(pod.uid, None)
            if pod.revision != 0:
                rt.bytes_pulled += size
            rt.image_pulled(pod)
            call_later(self.env, start, self.started, pod, rt, fault, duration, self.env._now)

        def queued(served_at: float) -> None:  # over the registry's limit: in its queue until then
            rt.queued[pod.uid] = served_at

        self.puller.pull_bytes(pod, size, self.node_bandwidth, pulled, queued)

    def pull_fails(self, pod: Pod, rt: PodRuntime, failures: int = 0) -> None:
        """A pull that fails (ErrImagePull) with the registry's answer: a pull-rate token and the
        latency when modelled, at once without them; no ``pull`` time and no bytes (``_pull_failed``).
        A registry that rejects over its limit may answer 429 instead (no token): the same failure. The
        registry's error rate draws nothing here: the request fails whatever it draws.

        ``pull-error`` stands for a manifest-level failure (a tag that does not exist, credentials
        refused). ``EnsureImageExists`` (pkg/kubelet/images/image_manager.go) waits on the puller's
        result (puller.go ``pullImage``: the CRI ``PullImage``), and the runtime resolves the reference
        first (containerd ``Client.fetch``: ``Resolver.Resolve``, the token and manifest round trip)
        and returns that error before any layer is fetched, as a manifest check does. The request
        waits for its node's turn, as any pull (``SerialImagePuller``).
        """
        self.puller.pull(pod, lambda: self._fail_pull(pod, rt, failures))

    def _fail_pull(self, pod: Pod, rt: PodRuntime, failures: int) -> float:
        """``pull_fails`` in its node's turn: the registry's answer, then the failure; returns when it comes."""
        wait, refused = self._answer()
        call_later(self.env, wait, self._pull_failed, pod, rt, PULL_ERROR, 0.0, failures, REFUSED if refused else None)
        return self.env._now + wait

    def _pull_failed(self, pod: Pod, rt: PodRuntime, fault: str, start: float, failures: int, why: str | None) -> None:
        """A pull failed (ErrImagePull): a ``pull-error`` image's (``why`` None), one the registry
        refused over its rate limit (``REFUSED``: 429 Too Many Requests, before any layer, no bytes), or
        one it failed part way (``REGISTRY_ERROR``: a 5xx, a timeout, a reset connection), each counted
        as the DaemonSet's; the kubelet treats them all as any failed pull. The image pull back-off
        (``kubelet_backoff``), then the next attempt at the first pod sync at or after it expires
        (``_pull_again_in``), with the same container ``start``.
        """
        self.puller.ended(pod.node)
        if why == REFUSED:
            rt.refusals += 1
        elif why == REGISTRY_ERROR:
            rt.registry_errors += 1
        rt.queued.pop(pod.uid, None)  # served, then failed: no longer in the registry's queue
        if self.gone(pod):
            rt.backing_off.pop(pod.uid, None)
            return
        if fault != PULL_ERROR and why is not None:  # an image that can be pulled failed only for the registry
            rt.backing_off[pod.uid] = why
        self.api.pod_status_changed(pod)
        call_later(self.env, self._pull_again_in(pod, failures), self._pull_again, pod, rt, fault, start, failures + 1)

    def _pull_again_in(self, pod: Pod, failures: int) -> float:
        """Seconds from now, when a pull failed, to the next one: the first pod sync at or after the
        image pull back-off (``kubelet_backoff``) of the ``failures + 1``-th failure expires
        (``PodWorkers.pull_again_at``: the failed sync's requeue, ``completeWork``, and those of the
        syncs that find ImagePullBackOff).
        """
        now = self.env._now
        return self.pod_workers.pull_again_at(pod.node, now, kubelet_backoff(failures + 1)) - now

    def _pull_again(self, pod: Pod, rt: PodRuntime, fault: str, start: float, failures: int) -> None:
        """The pod sync after the back-off pulls again, unless the pod is gone: out of the back-off
        the registry's failures put it in (``PodRuntime.backing_off``), pulling (or in the registry's
        queue) until that pull ends; a stop meanwhile finds it pulling, not in back-off.
        """
        rt.backing_off.pop(pod.uid, None)
        if self.gone(pod):
            return
        if fault == PULL_ERROR:
            self.pull_fails(pod, rt, failures)
        else:
            self.ensure_image_exists(pod, rt, fault, start, failures)
