"""Each node's first failed pod of a DaemonSet, in ``podByCreationTimestampAndPhase`` order.

The API server keeps a node's failed pods apart (``ApiServer.failed_by_node``): a kubelet that
rejects every new pod while the controller, with surge, creates another each time none runs
leaves thousands on one node (kubernetes/kubernetes#124388). ``updateDaemonSetStatus`` reads a
node by its first pod (``rollsim.controller.pods.first_daemon_pod``), which can be the oldest
failed one, so the recorder needs that one on each event there: a heap per node, its entries
keyed by ``pod_sort_key``, those of pods no longer there dropped when they come to the top,
answers it in logarithmic time where a scan of the list would take the list's length.
"""

from __future__ import annotations

from heapq import heapify, heappop, heappush

from rollsim.cluster.apiserver import ApiServer
from rollsim.controller.pods import FAILED, Pod, pod_sort_key

__all__ = ["FirstFailed"]


class FirstFailed:
    """The first failed pod of DaemonSet ``owner`` on each node, from ``api``'s failed pods."""

    def __init__(self, api: ApiServer, owner: str) -> None:
        self.api = api
        self.owner = owner
        # by node, (pod_sort_key, pod) of its failed pods (and of some gone since), once asked
        self._heaps: dict[int, list[tuple[tuple[bool, float, int], Pod]]] = {}

    def failed(self, pod: Pod) -> None:
        """``pod`` is Failed: a pod update the watch delivered (another DaemonSet's is left out)."""
        heap = self._heaps.get(pod.node)
        if heap is not None and pod.owner == self.owner:  # else built from the API server's list when asked
            heappush(heap, (pod_sort_key(pod), pod))

    def first(self, node: int) -> Pod | None:
        """The first of ``owner``'s failed pods on ``node`` (None: it has none)."""
        heap = self._heaps.get(node)
        if heap is None:
            owner = self.owner
            heap = self._heaps[node] = [(pod_sort_key(p), p) for p in self.api.failed_by_node.get(node, ())
                                        if p.owner == owner]
            heapify(heap)
        api = self.api
        while heap:
            pod = heap[0][1]
            if pod.phase == FAILED and api.pod(pod.uid) is pod:
                return pod
            heappop(heap)  # deleted since
        return None
