"""Limits on the inputs that multiply work: nodes, configurations, runs, a plan's replications, YAML values
and depth, the controller's sync workers.

A typo such as ``--nodes 10000000`` or ``replications: 1000000000`` should fail at once
with the limit and how to raise it, not after minutes with a ``MemoryError``. Each limit
has a default far above what the shipped studies use and an environment variable that
raises (or lowers) it; the error message names both::

    rollsim: error: argument --nodes: 10,000,000 nodes exceed the limit of 50,000 nodes in one
    cluster (initial plus added); set ROLLSIM_MAX_NODES to raise it

The variables are read when a limit is checked, so a test (or a user) can change them
between calls.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from rollsim.spec.quantity import is_ascii_digits

__all__ = ["LIMITS", "Limit", "LimitError", "check_limit", "limit"]


@dataclass(frozen=True, slots=True)
class Limit:
    """One limit: its default, the environment variable that overrides it, and what it counts."""

    default: int
    env: str
    unit: str  # "nodes", "runs", ...
    what: str  # the rest of the sentence: "in one cluster (initial plus added)"


LIMITS: dict[str, Limit] = {
    # Kubernetes documents 5,000 nodes per cluster; ten times that still runs in minutes.
    "nodes": Limit(50_000, "ROLLSIM_MAX_NODES", "nodes", "in one cluster (initial plus added)"),
    "daemonsets": Limit(100, "ROLLSIM_MAX_DAEMONSETS", "DaemonSets", "updated together (also:)"),
    "configurations": Limit(1_000, "ROLLSIM_MAX_CONFIGURATIONS", "configurations",
                            "in one experiment (variants × grid product)"),
    "runs": Limit(100_000, "ROLLSIM_MAX_RUNS", "runs", "in one experiment (configurations × replications)"),
    # a plan gives each setting 5 to 40 replications by default
    "replications": Limit(1_000, "ROLLSIM_MAX_REPLICATIONS", "replications", "per setting of a plan"),
    # the manifest loader's cap since it was written: an alias bomb stops here
    "yaml_values": Limit(200_000, "ROLLSIM_MAX_YAML_VALUES", "YAML values",
                         "in one file after expanding aliases"),
    "yaml_depth": Limit(64, "ROLLSIM_MAX_YAML_DEPTH", "levels", "of nesting in one YAML file"),
    # kube-controller-manager runs 2 (--concurrent-daemonset-syncs); each worker is a process of the run
    "sync_workers": Limit(1_000, "ROLLSIM_MAX_SYNC_WORKERS", "workers",
                          "syncing DaemonSets (--concurrent-daemonset-syncs)"),
}


class LimitError(ValueError):
    """A value beyond a limit; the message states the limit and the variable that raises it."""


def limit(name: str) -> int:
    """The limit ``name`` in force: its environment variable if set to a positive integer, else the default."""
    spec = LIMITS[name]
    return env_positive_int(spec.env, spec.default)


def env_positive_int(variable: str, default: int) -> int:
    """The environment variable ``variable`` as a positive integer (ASCII digits,
    ``rollsim.spec.quantity.is_ascii_digits``), ``default`` when it is unset or empty; ``LimitError`` otherwise.
    """
    text = os.environ.get(variable, "").strip()
    if not text:
        return default
    if not is_ascii_digits(text) or int(text) < 1:
        raise LimitError(f"{variable} must be a positive integer, got {text!r}")
    return int(text)


def check_limit(name: str, value: int) -> int:
    """``value`` if it is within limit ``name``; else ``LimitError`` saying the limit and how to raise it."""
    bound = limit(name)
    if value > bound:
        spec = LIMITS[name]
        raise LimitError(f"{value:,} {spec.unit} exceed the limit of {bound:,} {spec.unit} {spec.what}; "
                         f"set {spec.env} to raise it")
    return value
