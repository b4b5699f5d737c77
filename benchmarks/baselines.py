"""Two bare SimPy models of a rolling update, the yardsticks rollsim is measured against.

Both update ``nodes`` nodes, at most k = 10% of them at once, each node going through five
phases (delete the old pod, create, schedule, pull, start) as five timeouts with lognormal
delays. Nothing else: no API server, no controller, no informers, no records.

* **Model 1** (``resource_model``): one process per node, all started at once, each holding
  one of k slots of a ``simpy.Resource`` for its five timeouts. SimPy's Resource queue
  pops waiting requests from the front of a list, so this model is itself super-linear.
* **Model 2** (``chain_model``): k chains; a node that finishes starts the next one. No
  queue, the least work a SimPy model of this rollout can do.

Each returns ``(events, cpu_s, wall_s)``: the SimPy events it scheduled, and the CPU
(``time.process_time``) and wall time to build and run it.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Generator
from typing import Any

import simpy

__all__ = ["PHASES", "resource_model", "chain_model", "MODELS"]

PHASES = 5  # timeouts per node
_MU, _SIGMA = 1.0, 0.5  # lognormal delays: median e ≈ 2.7 s, a long right tail


def _slots(nodes: int) -> int:
    """k = 10% of the nodes (at least one), as ``maxUnavailable: 10%`` rounds up."""
    return max(1, -(-nodes // 10))


def _events(env: simpy.Environment) -> int:
    """Events the environment scheduled: SimPy numbers every one (``Environment._eid``)."""
    return next(env._eid)  # type: ignore[attr-defined]


def resource_model(nodes: int, seed: int = 0) -> tuple[int, float, float]:
    """Model 1: ``nodes`` processes over a Resource of k slots, ``PHASES`` timeouts each."""
    cpu, wall = time.process_time(), time.perf_counter()
    env = simpy.Environment()
    slots = simpy.Resource(env, capacity=_slots(nodes))
    draw = random.Random(seed).lognormvariate

    def node() -> Generator[simpy.Event, Any, None]:
        with slots.request() as slot:
            yield slot
            for _ in range(PHASES):
                yield env.timeout(draw(_MU, _SIGMA))

    for _ in range(nodes):
        env.process(node())
    env.run()
    return _events(env), time.process_time() - cpu, time.perf_counter() - wall


def chain_model(nodes: int, seed: int = 0) -> tuple[int, float, float]:
    """Model 2: k chains, each finishing node starting the next; ``PHASES`` timeouts a node."""
    cpu, wall = time.process_time(), time.perf_counter()
    env = simpy.Environment()
    draw = random.Random(seed).lognormvariate
    waiting = iter(range(nodes))

    def node() -> Generator[simpy.Event, Any, None]:
        for _ in range(PHASES):
            yield env.timeout(draw(_MU, _SIGMA))
        if next(waiting, None) is not None:
            env.process(node())

    for _ in range(min(_slots(nodes), nodes)):
        next(waiting)
        env.process(node())
    env.run()
    return _events(env), time.process_time() - cpu, time.perf_counter() - wall


MODELS: dict[str, Callable[[int, int], tuple[int, float, float]]] = {
    "model 1": resource_model,
    "model 2": chain_model,
}
