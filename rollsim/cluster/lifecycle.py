"""The node lifecycle controller and the kubelet's heartbeat, for nodes that fail during a run.

A node that fails (``--not-ready-nodes N@T``) loses its kubelet at T: from then on nothing it
was starting completes, and on an unreachable node (Ready=Unknown) nothing it was shutting down
either. The API shows nothing until:

* Ready=Unknown: the lifecycle controller's monitor pass after ``--node-monitor-grace-period``
  (``tryUpdateNodeHealth``) posts it, marks the node's pods not Ready (``MarkPodsNotReady``),
  and the node update gets the ``unreachable:NoSchedule`` taint (``doNoScheduleTaintingPass``);
* Ready=False: the kubelet posts it at its next status update; the ``not-ready:NoSchedule``
  taint follows; the pods keep their readiness (``MarkPodsNotReady`` is not called when the
  kubelet itself reported the transition);
* then the NoExecute taint of the same key, queued by ``processTaintBaseEviction`` at the next
  monitor pass and added at the zone's eviction rate (``doNoExecuteTaintingPass``, a token bucket
  of burst 1 per zone). DaemonSet pods tolerate it; it changes only the Node object. When every
  zone is fully disrupted (no Ready node anywhere) the controller takes the NoExecute taints
  off again and stops tainting (``handleDisruption``'s master disruption mode).

The timing rules are pure functions in ``rollsim.spec.lifecycle``. With ``timing=None``
(ideal mode) every step happens at once. Nodes NotReady before the rollout are taken as found
(``kubectl get nodes``): long past the grace period, tainted, their pods not Ready.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import simpy

from rollsim.cluster.apiserver import ApiServer
from rollsim.spec.lifecycle import (
    FULL_DISRUPTION,
    NodeLifecycleTiming,
    failed_node,
    kubelet_posts_at,
    next_tick,
    unknown_at,
    zone_eviction_rate,
    zone_key,
    zone_state,
)
from rollsim.spec.node import NO_EXECUTE, NOT_READY_TAINTS, UNREACHABLE_TAINTS

__all__ = ["NodeLifecycle", "UNKNOWN", "FALSE"]

UNKNOWN, FALSE = "Unknown", "False"
_CONDITION_KEYS = (UNREACHABLE_TAINTS[0].key, NOT_READY_TAINTS[0].key)


class NodeLifecycle:
    """What happens in the API after a node's kubelet stops: its Ready condition, its pods'
    readiness and its taints, each when the real control plane sets it.

    ``rng`` draws, per failing node, where in its 10 s heartbeat cycle the kubelet stopped, and
    once per run the phase of the lifecycle controller's monitor passes.
    """

    def __init__(self, env: simpy.Environment, api: ApiServer, timing: NodeLifecycleTiming | None,
                 rng: np.random.Generator) -> None:
        self.env, self.api, self.timing, self.rng = env, api, timing, rng
        self.phase = 0.0 if timing is None else float(rng.random()) * timing.monitor_period
        self._next_token: dict[str, float] = {}  # per zone: when the NoExecute tainter next has a token
        self.detected_at: dict[int, float] = {}  # node -> when its Ready condition changed in the API
        self.on_condition_changed: list[Callable[[int], None]] = []  # told the node, when it shows NotReady
        # per zone [Ready, not Ready] counts of the present nodes, kept up to date from the node watch
        self._counts: dict[str, list[int]] = {}
        self._seen: dict[int, tuple[str, bool]] = {}
        if timing is not None:
            for i in api.nodes.present():
                self._count(i)
            api.nodes.watch(self._node_event)

    def _count(self, node_id: int) -> None:
        nodes = self.api.nodes
        old = self._seen.pop(node_id, None)
        if old is not None:
            self._counts[old[0]][0 if old[1] else 1] -= 1
        if nodes.exists[node_id]:
            node = nodes.nodes[node_id]
            seen = self._seen[node_id] = (zone_key(node.labels), node.ready)
            self._counts.setdefault(seen[0], [0, 0])[0 if seen[1] else 1] += 1

    def _node_event(self, _kind: str, node_id: int) -> None:
        self._count(node_id)

    def _later(self, at: float, action: Callable[[], None]) -> None:
        self.env.timeout(max(0.0, at - self.env.now)).callbacks.append(lambda _event: action())

    def node_failed(self, node_id: int, condition: str) -> None:
        """The node's kubelet stops now (``Unknown``: gone; ``False``: it reports NotReady itself)."""
        self.api.nodes.kubelet_stopped(node_id, confirms_deletions=condition == FALSE)
        timing, now = self.timing, self.env.now
        if timing is None:
            self._condition_changed(node_id, condition)
            return
        since_heartbeat = float(self.rng.random()) * timing.heartbeat_interval
        if condition == UNKNOWN:
            at = unknown_at(now, since_heartbeat, self.phase, timing)
        else:
            at = kubelet_posts_at(now, since_heartbeat, timing)
        self._later(at, lambda: self._condition_changed(node_id, condition))

    def _condition_changed(self, node_id: int, condition: str) -> None:
        """Ready turns ``condition`` in the API, with the NoSchedule taint; for Unknown, the
        lifecycle controller marks the node's pods not Ready in the same pass.
        """
        nodes, api = self.api.nodes, self.api
        if not nodes.exists[node_id]:
            return
        self.detected_at[node_id] = self.env.now
        ideal = self.timing is None
        nodes.update(node_id, failed_node(nodes.nodes[node_id], condition, no_execute=ideal))
        if condition == UNKNOWN:
            for pod in api.pods_by_node[node_id]:
                if pod.ready:
                    pod.ready = False
                    api.pod_status_changed(pod)
        for listener in self.on_condition_changed:
            listener(node_id)
        if self.timing is None:
            return
        if all(s == FULL_DISRUPTION for s in self._zone_states()[0].values()):
            self._enter_master_disruption()
            return
        # processTaintBaseEviction: this pass (Unknown) or the next (False)
        at = self.env.now if condition == UNKNOWN else next_tick(self.env.now, self.phase, self.timing.monitor_period)
        self._later(at, lambda: self._queue_no_execute(node_id, condition))

    def _enter_master_disruption(self) -> None:
        """``handleDisruption`` when every zone is fully disrupted: the NoExecute taints come off
        every node (``markNodeAsReachable``) and no zone taints any more (limiter 0).
        """
        nodes = self.api.nodes
        for i in nodes.present():
            node = nodes.nodes[i]
            if any(t.effect == NO_EXECUTE and t.key in _CONDITION_KEYS for t in node.taints):
                nodes.update(i, replace(node, taints=tuple(t for t in node.taints if not (
                    t.effect == NO_EXECUTE and t.key in _CONDITION_KEYS))))

    def _queue_no_execute(self, node_id: int, condition: str) -> None:
        """``markNodeForTainting``: the zone's tainter adds the NoExecute taint when its token
        bucket (burst 1) has a token; at rate 0 the node is never tainted.
        """
        assert self.timing is not None
        zone = zone_key(self.api.nodes.nodes[node_id].labels)
        rate = self._zone_rate(zone)
        if rate <= 0:
            return
        at = max(self.env.now, self._next_token.get(zone, self.env.now))
        self._next_token[zone] = at + 1.0 / rate
        self._later(at, lambda: self._taint_no_execute(node_id, condition))

    def _taint_no_execute(self, node_id: int, condition: str) -> None:
        nodes = self.api.nodes
        if nodes.exists[node_id] and not nodes.nodes[node_id].ready and self._zone_rate(
                zone_key(nodes.nodes[node_id].labels)) > 0:  # the limiter may have been swapped to 0 meanwhile
            nodes.update(node_id, failed_node(nodes.nodes[node_id], condition))

    def _zone_states(self) -> tuple[dict[str, str], dict[str, int]]:
        """Every zone's state (``ComputeZoneState`` over the API's Ready conditions) and size."""
        assert self.timing is not None
        counts = {z: c for z, c in self._counts.items() if c[0] + c[1] > 0}
        return ({z: zone_state(r, n, self.timing) for z, (r, n) in counts.items()},
                {z: r + n for z, (r, n) in counts.items()})

    def _zone_rate(self, zone: str) -> float:
        """The tainter's rate in ``zone`` (``setLimiterInZone``, ``handleDisruption``)."""
        assert self.timing is not None
        states, sizes = self._zone_states()
        all_full = bool(states) and all(s == FULL_DISRUPTION for s in states.values())
        return zone_eviction_rate(states.get(zone, FULL_DISRUPTION), sizes.get(zone, 0), all_full, self.timing)
