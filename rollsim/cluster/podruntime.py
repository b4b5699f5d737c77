"""One DaemonSet's pods on the nodes, as the kubelets run them: their phase timings, probe,
faults and image, which nodes have that image, and what happened to the pods (pulls, pods
Pending because they do not fit, refused pulls, preemptions).

The kubelets (``rollsim.cluster.kubelet``) and their image manager (``rollsim.cluster.imagepull``)
hold one per DaemonSet; the run's summary reads its counts.
"""

from __future__ import annotations

from array import array
from dataclasses import InitVar, dataclass, field

import numpy as np

from rollsim.cluster.sampler import Sampler
from rollsim.cluster.scheduling import PodRequests
from rollsim.controller.pods import Pod
from rollsim.spec.faults import HEALTHY, NewPodFaults
from rollsim.spec.image import IF_NOT_PRESENT, ImageSpec
from rollsim.spec.scenario import DaemonSetSpec, Timings
from rollsim.spec.streams import Streams

__all__ = ["PodRuntime", "REFUSED", "REGISTRY_ERROR"]

# why the registry failed a pod's last pull, putting it in ImagePullBackOff (``PodRuntime.backing_off``)
REFUSED = "refused"  # 429 Too Many Requests over the registry's pull rate, before any layer
REGISTRY_ERROR = "registry-error"  # failed part way: a 5xx, a timeout, a reset connection


@dataclass
class PodRuntime:
    """One DaemonSet's pods on the nodes: their phase timings, probe, faults and image, and
    what happened to them (pulls, pods Pending because they do not fit).
    """

    ds: DaemonSetSpec
    timings: Timings
    faults: NewPodFaults
    image: ImageSpec
    streams: Streams  # this DaemonSet's named streams
    positions: InitVar[np.ndarray]  # each node id's place in the scenario's list of nodes (``NodeStore.positions``)
    key: str  # the run's key of the DaemonSet, its pods' owner (``Scenario.daemonset_keys``)
    schedule: Sampler = field(init=False)
    pull: Sampler = field(init=False)
    start: Sampler = field(init=False)
    ready: Sampler = field(init=False)
    terminate: Sampler = field(init=False)
    requests: PodRequests = field(init=False)
    may_not_fit: bool = field(init=False)  # requests.any: the scheduler's fit filters can reject a pod
    faulty: bool = field(init=False)  # faults.any: some new pod is faulty
    # start and end of each new-image pull, in pairs: a C array of doubles (16 bytes a pull, where a
    # list of tuples of floats took 100: a million pulls at a million nodes)
    pulls: array[float] = field(default_factory=lambda: array("d"))
    bytes_pulled: float = 0.0  # by the new image's pulls, as ``pulls`` holds them
    unschedulable: set[int] = field(default_factory=set)
    # pods whose last pull the registry failed, in ImagePullBackOff until their next pull, and why
    # (REFUSED or REGISTRY_ERROR); every request of this DaemonSet's pods the registry refused over its
    # rate limit (429), and every one it failed part way (its error rate)
    backing_off: dict[int, str] = field(default_factory=dict)
    refusals: int = 0
    registry_errors: int = 0
    # pods whose image request waits in the registry's queue over its limit (``--registry-over-limit
    # queue``), by the time it is served; dropped when the pull ends
    queued: dict[int, float] = field(default_factory=dict)
    # the new pods drawn faulty (``fault``): what the end of the run says a pod is doing reads it, not
    # whether some pod may be (audit 41: a healthy straggler was called crash-looping)
    faulty_pods: set[int] = field(default_factory=set)
    # nodes where this DaemonSet's pods preempted other workloads, and the CPU and memory evicted
    preempted_nodes: set[int] = field(default_factory=set)
    preempted_cpu_millis: float = 0.0
    preempted_memory_bytes: float = 0.0

    def __post_init__(self, positions: np.ndarray) -> None:
        s, t = self.streams, self.timings
        self.schedule = Sampler(t.schedule, s["schedule"])
        self.pull = Sampler(t.pull, s["pull"])
        self.start = Sampler(t.start, s["start"])
        self.ready = Sampler(t.ready, s["ready"])
        self.terminate = Sampler(t.terminate, s["terminate"])
        self._fault_rng: np.random.Generator = s["faults"]
        self._cache_rng: np.random.Generator = s["image_cache"]
        # whether each node has the new image already: one byte a node, drawn in list order
        self.cached = bytearray((self._cache_rng.random(len(positions)) < self.image.cached)[positions].tobytes())
        # whether each node has the old template's image: every node there at time 0 ran it
        self.old_image = bytearray(b"\x01") * len(positions)
        ds = self.ds
        self.requests = PodRequests(ds.requests_cpu_millis, ds.requests_memory_bytes, ds.host_ports)
        self.may_not_fit, self.faulty = self.requests.any, self.faults.any  # read once, not per pod

    def node_added(self) -> None:
        """A node joined: whether it already has the new image is drawn like the others'; it never
        ran the old template, so it does not have that image.
        """
        self.cached.append(bool(self._cache_rng.random() < self.image.cached))
        self.old_image.append(0)

    def image_present(self, pod: Pod) -> bool:
        """Whether ``pod``'s image is on its node (``EnsureImageExists``'s ``imagePresent``): the old
        template's (revision 0, back after a rollback) on every node that was there at time 0, the
        new one where it was cached before the run or pulled since.
        """
        return bool((self.old_image if pod.revision == 0 else self.cached)[pod.node])

    def pulls_image(self, pod: Pod) -> bool:
        """``shouldPullImage``: ``Always`` asks the registry whatever the node has (a manifest check
        when the image is present), ``IfNotPresent`` only when the image is not on the node.
        """
        return self.image.pull_policy != IF_NOT_PRESENT or not self.image_present(pod)

    def image_pulled(self, pod: Pod) -> None:
        """A pull of ``pod``'s image succeeded: the node has it now (no image garbage collection)."""
        (self.old_image if pod.revision == 0 else self.cached)[pod.node] = 1

    def fault(self, pod: Pod) -> str:
        """Whether this pod of a new revision is faulty (pods of revision 0 never are), drawn once
        per pod as the kubelet admits it; the faulty ones are kept in ``faulty_pods``.
        """
        if pod.revision == 0 or not self.faulty:
            return HEALTHY
        if self.faults.fraction < 1.0 and self._fault_rng.random() >= self.faults.fraction:
            return HEALTHY
        self.faulty_pods.add(pod.uid)
        return self.faults.kind
