"""Mirrors ``pkg/controller/daemon/util/consistency.go``: whether the informer has seen our own writes.

KEP-5647 ("stale controller handling"), kubernetes/kubernetes#134937, feature gate
``StaleControllerConsistencyDaemonSet`` (beta, on by default from v1.36). Each pod create and
status write the controller makes records the resource version the API server returned for it
(``WroteAt``, per resource: pods, daemonsets; not a pod delete, whose response carries no usable
version through v1.37: ``rollsim.cluster.apiserver.ApiPodControl._delete``); each event an
informer delivers raises that resource's read high-water mark (``ReadAt``). ``syncDaemonSet``
first calls ``IsReady``: ready when, for every resource written, the informer has read at least
that version; once ready the record is cleared. Not ready: the sync returns an error and the
key is requeued with the rate limiter.

Resource versions are etcd revisions: one counter for the whole API server, compared per
resource, as ``resourceversion.CompareResourceVersion`` does.
"""

from __future__ import annotations

__all__ = ["DAEMONSETS", "PODS", "ConsistencyStore"]

PODS, DAEMONSETS = "pods", "daemonsets"


class ConsistencyStore:
    """One DaemonSet's record of its writes, and its informers' read high-water marks."""

    __slots__ = ("_read", "_written", "skips")

    def __init__(self) -> None:
        self._written: dict[str, int] = {}
        self._read: dict[str, int] = {}
        self.skips = 0  # syncs refused (daemonset_controller_stale_sync_skips_total)

    def wrote_at(self, resource: str, rv: int) -> None:
        """``WroteAt``: the API server accepted our write of ``resource`` at version ``rv``."""
        if rv > self._written.get(resource, -1):
            self._written[resource] = rv

    def read_at(self, resource: str, rv: int) -> None:
        """``ReadAt``: an informer delivered an event of ``resource`` at version ``rv``."""
        if rv > self._read.get(resource, -1):
            self._read[resource] = rv

    def is_ready(self) -> bool:
        """``IsReady``: every resource written has been read at least at its written version
        (a refusal is counted; a ready store is cleared).
        """
        return not self.refuses()

    def refuses(self) -> bool:
        """``not IsReady()``: some resource written has not been read at its written version yet
        (the refusal is counted, ``skips``); once none is, the record is cleared. The work queue
        asks it for every retry it counts (``WorkQueue.refuse_stale_syncs``), the sync first thing.
        """
        written = self._written
        if not written:
            return False
        read = self._read
        for resource, rv in written.items():
            if read.get(resource, -1) < rv:
                self.skips += 1
                return True
        written.clear()
        return False
