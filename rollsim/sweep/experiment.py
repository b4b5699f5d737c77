"""Experiment files: a base scenario, variants, a grid, replications, seeds and an SLO.

.. code-block:: yaml

    name: fluentd-1000
    description: Which strategy keeps 95% of nodes covered?
    scenario: {cluster: {nodes: 1000}, strategy: {max_unavailable: 1}}
    variants:                       # optional: named configurations (dotted keys)
      - {name: surge 10%, strategy.max_surge: 10%, strategy.max_unavailable: 0}
    grid:                           # optional: dotted keys -> lists; the runs are the product
      strategy.min_ready_seconds: [0, 30]
    replications: 5
    seed: 1
    slo: {min_available_fraction: 0.95}
    reported:                       # optional: durations a real cluster showed (rollsim validate)
      - {strategy.max_unavailable: 1, duration_s: 9000, source: openshift/enhancements#854}
    decisions: [strategy.max_surge]  # optional: the keys the user chooses (default DEFAULT_DECISIONS)

A study recommends a configuration only among values of its decision keys: a key it sweeps
that is not a decision (the cluster, faults, load) is a condition the user does not choose,
and the report gives findings for it, or one recommendation per condition.

An experiment file is read by ``rollsim.sweep.experiment_file.load_experiment``.

The runs are variants × grid product × replications. Replication r of every
configuration uses the same seed, derived from ``seed`` and r alone (common random
numbers: configurations are compared on the same random draws), so results do not
depend on worker count or run order.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from rollsim.io.yamldoc import Document
from rollsim.spec import model_version
from rollsim.spec.quoting import flow
from rollsim.spec.scenario import Scenario
from rollsim.spec.streams import stream_key
from rollsim.sweep.slo import Constraint

if TYPE_CHECKING:
    from rollsim.sweep.kept_inputs import ClusterRead

__all__ = ["Experiment", "Configuration", "RunSpec", "Reported", "configuration_key", "expand_grid", "grid_items",
           "replication_seed", "run_id", "DEFAULT_DECISIONS", "TOP_KEYS"]

TOP_KEYS = ("name", "description", "scenario", "variants", "grid", "replications", "seed", "slo", "decisions",
             "reported")
# what an operator chooses when updating a DaemonSet: its update strategy, minReadySeconds and,
# under OnDelete, who deletes the old pods
DEFAULT_DECISIONS = ("strategy.type", "strategy.max_unavailable", "strategy.max_surge", "strategy.min_ready_seconds",
                     "deleter")


def grid_items(grid: Mapping[str, Any]) -> list[tuple[int, ...]]:
    """The product of a grid (each key's list of values: ``expand_grid`` checks them), in file
    order, as indexes: for each point, the index of each key's value in that key's list.

    >>> grid_items({"a": [1, 2], "b": ["x"]})
    [(0, 0), (1, 0)]
    """
    return list(itertools.product(*(range(len(v)) for v in grid.values())))


def expand_grid(grid: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The product of a grid's lists, in file order (``grid_items``' points, with their values).
    A value that is not a list is refused, not taken as a list of one (``strategy.max_unavailable:
    3`` reads as a setting, which belongs under ``scenario:``), and so is an empty list.

    >>> expand_grid({"a": [1, 2], "b": ["x"]})
    [{'a': 1, 'b': 'x'}, {'a': 2, 'b': 'x'}]
    """
    for key, values in grid.items():
        if not isinstance(values, (list, tuple)):
            raise ValueError(f"{key}: a grid value is a list of the values to sweep; write [{flow(values)}] for "
                             "one value, or set it under scenario:")
        if not values:
            raise ValueError(f"{key}: an empty list gives no runs")
    return [{key: values[i] for (key, values), i in zip(grid.items(), items)} for items in grid_items(grid)]


def replication_seed(root: int, replication: int) -> int:
    """The seed of replication ``replication``: a stable function of the root seed and r."""
    seq = np.random.SeedSequence(root, spawn_key=stream_key(f"replication/{replication}"))
    return int(seq.generate_state(1, dtype=np.uint32)[0])


@dataclass(frozen=True)
class Configuration:
    """One point of the sweep: a label, the dotted keys it sets, and its scenario."""

    index: int
    label: str
    params: dict[str, Any]
    options: dict[str, Any] = field(repr=False)
    scenario: Scenario = field(repr=False)


def _digest(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(list(parts), sort_keys=True, default=str).encode()).hexdigest()


def configuration_key(configuration: Configuration) -> str:
    """The start of its runs' ids: a digest of what the configuration simulates (its options,
    with a digest of what its input files say, and the model's version), not of where it stands in the file
    nor of its label, so that inserting, moving or renaming a configuration leaves the other
    configurations' saved runs theirs.
    """
    return "k" + _digest(model_version.MODEL_VERSION, configuration.options)[:8]


def run_id(configuration: Configuration, replication: int, root_seed: int) -> str:
    """The id of ``configuration``'s run ``replication`` under the root seed ``root_seed`` (``RunSpec``)."""
    seed = replication_seed(root_seed, replication)
    return (f"{configuration_key(configuration)}-r{replication:03d}-"
            + _digest(model_version.MODEL_VERSION, configuration.options, replication, seed)[:10])


@dataclass(frozen=True)
class RunSpec:
    """One run: a configuration and a replication. ``run_id`` is
    ``k<configuration key>-r<replication>-<hash>``: ``configuration_key``, then a hash of the
    configuration's options, the replication, its seed and the model's version
    (``rollsim.spec.model_version.MODEL_VERSION``). It changes when the run does, and only then:
    ``config``, the configuration's position (the order of the tables), and ``label`` are not in it.
    """

    config: int
    label: str
    params: dict[str, Any]
    replication: int
    seed: int
    run_id: str


@dataclass(frozen=True)
class Reported:
    """A duration a real cluster showed for the configurations whose keys match ``where``."""

    where: dict[str, Any]
    duration_s: float
    source: str
    fitted: str = ""  # what the study's inputs took from this figure ("": nothing, a prediction)
    fitted_variants: tuple[str, ...] = ()  # the variants whose inputs were fitted to it (none named: all)

    def matches(self, params: Mapping[str, Any]) -> bool:
        """Whether every key of ``where`` is in ``params`` with the same value (compared as text)."""
        return all(k in params and str(params[k]) == str(v) for k, v in self.where.items())

    def fits(self, label: str) -> bool:
        """Whether the configuration labelled ``label`` had inputs set from this figure: its
        error then checks the arithmetic, not a prediction. A configuration's label is its
        variant's name, then its grid values after ", ".
        """
        if not self.fitted:
            return False
        return not self.fitted_variants or any(label == v or label.startswith(v + ", ") for v in self.fitted_variants)


@dataclass(frozen=True)
class Experiment:
    """An experiment file, loaded: its configurations, replications, root seed and SLO."""

    name: str
    description: str
    configurations: tuple[Configuration, ...]
    replications: int
    seed: int
    slo: tuple[Constraint, ...]
    document: Document = field(repr=False)
    warnings: tuple[str, ...] = ()
    decisions: tuple[str, ...] = DEFAULT_DECISIONS
    reported: tuple[Reported, ...] = ()
    # what its configurations read from a live cluster, kept in the results folder (rollsim.sweep.kept_inputs)
    cluster_reads: tuple[ClusterRead, ...] = field(default=(), repr=False)
    # the file's bytes as read from standard input (rollsim run -), kept there too; None for a file
    piped: bytes | None = field(default=None, repr=False)

    def runs(self) -> list[RunSpec]:
        """Every run, configuration by configuration, each with its replication seed and run id."""
        return [RunSpec(c.index, c.label, c.params, r, replication_seed(self.seed, r), run_id(c, r, self.seed))
                for c in self.configurations for r in range(self.replications)]

    @property
    def swept(self) -> list[str]:
        """The dotted keys that vary across configurations, in file order."""
        keys: list[str] = []
        for c in self.configurations:
            keys += [k for k in c.params if k not in keys]
        return [k for k in keys if len({json.dumps(c.params.get(k), default=str) for c in self.configurations}) > 1]

    @property
    def conditions(self) -> list[str]:
        """The swept keys that are not decisions: what the study varies but the user does not choose."""
        return [k for k in self.swept if k not in self.decisions]
