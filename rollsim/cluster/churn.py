"""Nodes joining, failing and leaving during a run, and the pod garbage collector, as SimPy processes.

The rules are in ``rollsim.spec.churn``; this module applies them to the cluster's one node
store, whose watchers (every DaemonSet's controller and recorder, the kubelets) hear of each
change, and to the pods of every DaemonSet on the node.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field

import numpy as np
import simpy

from rollsim.cluster.apiserver import ApiServer
from rollsim.cluster.eviction import EvictionManager
from rollsim.cluster.lifecycle import UNKNOWN, NodeLifecycle
from rollsim.cluster.outofservice import OutOfService
from rollsim.controller.pods import Pod
from rollsim.spec.churn import (
    PODGC_PERIOD_S,
    PODGC_QUARANTINE_S,
    NodeChange,
    added_nodes,
    change_times,
    join_templates,
    joined_name,
    joining_node,
)
from rollsim.spec.node import Node
from rollsim.spec.scenario import Scenario
from rollsim.spec.streams import Streams

__all__ = ["Churn", "run_node_changes", "start_node_changes"]


@dataclass
class Churn:
    """Node changes applied to the API server; ``rank`` is the first DaemonSet's controller's map
    order, one random rank per node, drawn here for the nodes that join (as are the other
    DaemonSets', ``other_ranks``). A failing node's kubelet stops and
    ``lifecycle`` shows it in the API, Ready=``condition`` (Unknown or False).
    """

    env: simpy.Environment
    api: ApiServer
    rank: list[float]
    rng: np.random.Generator
    lifecycle: NodeLifecycle
    condition: str = UNKNOWN
    # the other DaemonSets' map orders (``World.other_ranks``): each draws a joining node's rank from its own stream
    other_ranks: Sequence[tuple[list[float], np.random.Generator]] = ()
    # what each node that joins copies, in joining order (``rollsim.spec.churn.join_templates``)
    templates: Sequence[Node | None] = ()
    # the study's own DaemonSet (its key), whose old pods lose readiness, drawn from their own stream
    owner: str = ""
    unready_rng: np.random.Generator | None = None
    unready: Counter[str] = field(default_factory=Counter)  # old pods made unready, by DaemonSet key
    # the kubelets' eviction manager, and the stream that picks the nodes under disk pressure
    eviction: EvictionManager | None = None
    pressure_rng: np.random.Generator | None = None

    def add_node(self, node: Node) -> None:
        """A node joins the cluster (a kubelet registers its Node object), with a fresh map-order rank."""
        self.rank.append(float(self.rng.random()))
        for rank, rng in self.other_ranks:
            rank.append(float(rng.random()))
        self.api.nodes.add(node)

    def remove_random_node(self) -> int | None:
        """A random node is deleted from the cluster (``kubectl delete node``); None when none is left."""
        present = self.api.nodes.present()
        if not present:
            return None
        node = present[int(self.rng.integers(len(present)))]
        self.api.nodes.delete(node)  # its kubelet is gone with it
        return node

    def fail_random_node(self) -> int | None:
        """A node whose kubelet still runs fails (see ``rollsim.spec.churn``): unreachable
        (Ready=Unknown) or Ready=False, which the node lifecycle controller and the kubelet show
        in the API when they would (``rollsim.cluster.lifecycle``).
        """
        ready = self.api.nodes.present_and_ready()
        if not ready:
            return None
        node = ready[int(self.rng.integers(len(ready)))]
        self.lifecycle.node_failed(node, self.condition)
        return node

    def unready_random_old_pod(self) -> Pod | None:
        """A Ready pod of ``owner`` still on an old revision, not being deleted, chosen at random,
        loses readiness: its readiness probe fails and the kubelet reports it not Ready (it keeps
        running); None when there is none. ``rollingUpdate`` then replaces it outside the budget.
        """
        revision = self.api.daemonsets[self.owner].revision
        ready = [pod for pods in self.api.pods_by_node for pod in pods
                 if pod.owner == self.owner and pod.revision != revision and pod.ready and not pod.deleting]
        if not ready or self.unready_rng is None:
            return None
        pod = ready[int(self.unready_rng.integers(len(ready)))]
        pod.ready = False
        self.api.pod_status_changed(pod)
        self.unready[self.owner] += 1
        return pod


    def pressure_random_node(self) -> int | None:
        """A random node whose kubelet runs, not yet under disk pressure, comes under it: its
        eviction manager evicts the DaemonSets' pods there and rejects new pods that are not critical
        (``rollsim.cluster.eviction``) until its pressure has passed and the condition's
        transition period after it; None when every such node is under pressure already.
        """
        eviction, rng = self.eviction, self.pressure_rng
        if eviction is None or rng is None:
            return None
        free = [node for node in self.api.nodes.present_and_ready() if not eviction.under_pressure(node)]
        if not free:
            return None
        node = free[int(rng.integers(len(free)))]
        eviction.pressure_began(node)
        return node


def run_node_changes(churn: Churn, changes: tuple[NodeChange, ...]) -> Generator[simpy.Event, object, None]:
    """Apply every change at its time (a node added, removed, failed or under disk pressure, an old pod unready),
    then collect the removed nodes' pods.
    """
    env = churn.env
    plan = sorted((t, change.kind) for change in changes for t in change_times(change))
    removed: dict[int, float] = {}
    added = 0
    for at, kind in plan:
        if at > env.now:
            yield env.timeout(at - env.now)
        if kind == "add":
            added += 1
            churn.add_node(joining_node(churn.templates[added - 1], joined_name(added - 1)))
        elif kind == "old-pods-unready":
            churn.unready_random_old_pod()
        elif kind == "disk-pressure":
            churn.pressure_random_node()
        elif kind == "not-ready":
            churn.fail_random_node()
        else:
            node = churn.remove_random_node()
            if node is not None:
                removed[node] = env.now
    if removed:
        yield from _pod_gc(churn, removed)


def _pod_gc(churn: Churn, removed: dict[int, float]) -> Generator[simpy.Event, object, None]:
    """Mirrors PodGC's ``gcOrphaned``: every 20 s, force-delete the pods bound to a node that
    has been gone for the 40 s quarantine.
    """
    env, api = churn.env, churn.api
    while removed:
        yield env.timeout(PODGC_PERIOD_S - env.now % PODGC_PERIOD_S)
        for node, gone_at in list(removed.items()):
            if env.now - gone_at >= PODGC_QUARANTINE_S:
                for pod in api.pods_on(node):  # a new list: remove_pod changes the node's
                    api.remove_pod(pod)
                del removed[node]


def start_node_changes(env: simpy.Environment, api: ApiServer, rank: list[float], streams: Streams,
                       scenario: Scenario,
                       other_ranks: Sequence[tuple[list[float], np.random.Generator]],
                       unready: Counter[str], eviction: EvictionManager | None = None) -> None:
    """Start what happens to the nodes during the run: joins, removals and failures (with the
    node lifecycle controller), old pods that lose readiness (counted in ``unready``, by
    DaemonSet key), disk pressure (through the kubelets' ``eviction`` manager), and the
    operator's ``out-of-service`` taint with PodGC.
    """
    lifecycle = NodeLifecycle(env, api, scenario.controller.node_lifecycle, streams["node_lifecycle"])
    if scenario.out_of_service_after_s is not None:
        OutOfService(env, api, scenario.out_of_service_after_s, lifecycle)
    if scenario.node_changes:
        templates = join_templates(scenario.nodes, added_nodes(scenario.node_changes))
        churn = Churn(env, api, rank, streams["churn"], lifecycle, scenario.not_ready_condition, other_ranks, templates,
                      scenario.daemonset_keys()[0], streams["old_pods_unready"], unready, eviction,
                      streams["disk_pressure"])
        env.process(run_node_changes(churn, scenario.node_changes))
