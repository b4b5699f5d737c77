"""In which order, and in which bundles, a sweep sends its runs to the workers.

Largest first: runs go out by expected cost (``run_cost``: the pods the rollout updates,
nodes × DaemonSets, plus a fixed part), so that no large run starts last while the
other workers idle; equal costs keep the experiment's order. Small runs travel in
batches: a task carries up to about ``BATCH_COST`` of work, so that a 20-node run does not
pay a round trip of its own, but never so few tasks that a worker waits (at least
``TASKS_PER_WORKER`` per worker). Runs of 1,000 nodes and more always go one per task.
The order changes nothing in the results: the runner saves each run under its own id
and builds the tables sorted by configuration and replication.

A scenario crosses to a worker once per configuration, not once per run: ``pack`` pickles
it once (a 1,000-node scenario is 64 KB and takes 15 ms to pickle, 9 ms to read back, a
twentieth of its run), and ``unpack`` keeps the last few a worker read. Workers forked
from the sweep's process need not be sent the scenario at all: the sweep registers its
scenarios before the pool forks (``inheriting``), every worker starts with them in its
memory, and a task names its scenario (``Inherited``) instead of carrying it.
"""

from __future__ import annotations

import hashlib
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from rollsim.spec.churn import added_nodes
from rollsim.spec.scenario import Scenario

__all__ = ["BATCH_COST", "TASKS_PER_WORKER", "Inherited", "Packed", "batches", "inherited", "inheriting",
           "largest_first", "pack", "run_cost", "unpack"]

BATCH_COST = 500  # node-DaemonSets in one task: about 0.2 s of simulation
TASKS_PER_WORKER = 4
_FIXED_COST = 10  # what a run costs besides its pods (building the world, the frames), in the same unit
_KEPT = 8  # scenarios a worker keeps read

T = TypeVar("T")


def run_cost(scenario: Scenario) -> int:
    """A run's expected cost: every node it will hold (initial and added) × its DaemonSets, plus a fixed part."""
    nodes = len(scenario.nodes) + added_nodes(scenario.node_changes)
    return nodes * (1 + len(scenario.also)) + _FIXED_COST


def largest_first(items: Sequence[T], cost: Callable[[T], int]) -> list[T]:
    """``items`` by decreasing cost; equal costs keep their order."""
    return sorted(items, key=lambda item: -cost(item))


def batches(items: Sequence[T], cost: Callable[[T], int], workers: int) -> list[list[T]]:
    """Consecutive ``items`` grouped into tasks of at most ``BATCH_COST`` (a costlier item
    goes alone), with at least ``TASKS_PER_WORKER`` tasks per worker where there are
    that many items.
    """
    limit = max(1, -(-len(items) // (TASKS_PER_WORKER * workers)))  # items per task, at most
    out: list[list[T]] = []
    total = 0
    for item in items:
        c = cost(item)
        if out and len(out[-1]) < limit and total + c <= BATCH_COST:
            out[-1].append(item)
            total += c
        else:
            out.append([item])
            total = c
    return out


@dataclass(frozen=True)
class Packed:
    """A scenario pickled once, named by the digest of its bytes."""

    key: str
    data: bytes


def pack(scenario: Scenario) -> Packed:
    """``scenario`` pickled, to be sent to workers as many times as it is needed."""
    data = pickle.dumps(scenario, protocol=pickle.HIGHEST_PROTOCOL)
    return Packed(hashlib.sha256(data).hexdigest(), data)


@dataclass(frozen=True)
class Inherited:
    """A scenario that a worker forked from the sweep's process holds already, by its key
    in the scenarios registered then (``inheriting``).
    """

    key: int


_inherited: Mapping[int, Scenario] = {}  # what a worker forked now would hold (``inheriting``)


@contextmanager
def inheriting(scenarios: Mapping[int, Scenario]) -> Iterator[None]:
    """While the block runs, ``scenarios`` (key -> scenario) are what a worker forked from
    this process holds: a task sent to such a worker may name one (``Inherited(key)``).
    The registry is emptied after the block (the forked workers keep their copy).
    """
    global _inherited
    _inherited = dict(scenarios)
    try:
        yield
    finally:
        _inherited = {}


def inherited(scenario: Scenario) -> Inherited | None:
    """The key under which a worker forked now would hold this very ``scenario`` (registered
    by ``inheriting``), or None.
    """
    return next((Inherited(key) for key, held in _inherited.items() if held is scenario), None)


_read: OrderedDict[str, Scenario] = OrderedDict()
_reading = threading.Lock()  # a thread pool's workers share one cache


def unpack(scenario: Scenario | Packed | Inherited) -> Scenario:
    """The scenario of a ``Packed`` (read once per worker, the last ``_KEPT`` kept) or of an
    ``Inherited`` key (from this process's memory); a scenario as it is.
    """
    if isinstance(scenario, Inherited):
        found = _inherited.get(scenario.key)
        if found is None:  # a worker not forked while the scenarios were registered: a bug, not bad input
            raise RuntimeError(f"scenario {scenario.key} was not registered before this worker was forked")
        return found
    if not isinstance(scenario, Packed):
        return scenario
    with _reading:
        found = _read.get(scenario.key)
        if found is None:
            found = pickle.loads(scenario.data)  # noqa: S301 - bytes this sweep pickled itself
            _read[scenario.key] = found
            while len(_read) > _KEPT:
                _read.popitem(last=False)
        else:
            _read.move_to_end(scenario.key)
        return found
