"""Operators acting on the cluster from outside the controller: the OnDelete deleter.

Under OnDelete the controller never deletes a healthy old pod; an operator, a script or a
node-rotation tool does (``rollsim.spec.deleters`` says which).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Protocol

import numpy as np
import simpy

from rollsim.spec.deleters import DeleterSpec

__all__ = ["OnDeleteCluster", "run_deleter"]


class OnDeleteCluster(Protocol):
    """What a deleter sees and does: the API server's pods, as ``kubectl`` would."""

    def old_pod_nodes(self) -> list[int]:
        """Nodes that still hold a non-terminating pod of an old revision, in node order."""

    def delete_old_pod(self, node: int) -> None:
        """``kubectl delete pod``: the old pod on ``node`` starts terminating."""

    def new_pod_available(self, node: int) -> simpy.Event:
        """An event that fires once ``node`` holds an available pod of the current revision."""


def run_deleter(
    env: simpy.Environment, spec: DeleterSpec, cluster: OnDeleteCluster, rng: np.random.Generator
) -> Generator[simpy.Event, object, None]:
    """The deleter as a SimPy process; ends when no old pod is left."""
    if spec.kind == "none":
        return
    while True:
        nodes = cluster.old_pod_nodes()
        if not nodes:
            return
        take = spec.count if spec.kind == "batch" else 1
        chosen = [nodes[i] for i in sorted(rng.choice(len(nodes), size=min(take, len(nodes)), replace=False))]
        for node in chosen:
            cluster.delete_old_pod(node)
        if spec.kind == "batch":
            yield env.all_of([cluster.new_pod_available(n) for n in chosen])
            if spec.pause:
                yield env.timeout(spec.pause)
        else:
            yield env.timeout(spec.interval)
