"""rollsim: a discrete-event simulator of Kubernetes DaemonSet updates.

The public API, for scripts and notebooks::

    import rollsim
    result = rollsim.simulate(rollsim.build_scenario(nodes=300, max_unavailable="10%"), seed=0)
    result                                   # a summary and an availability sparkline
    spec = rollsim.load_daemonset("ds.yaml")  # kubectl get ds NAME -o yaml
    nodes = rollsim.load_nodes("nodes.json")  # kubectl get nodes -o json
    scenario = rollsim.build_scenario(daemonset_spec=spec, node_list=nodes, max_surge="10%")
    results = rollsim.run_experiment("experiments/fluentd-1000.yaml", executor=my_executor)
    results.summary_long.groupby("metric")   # tidy frames; results.timelines, results.runs

Names are imported on first use (``__getattr__``), so ``import rollsim`` and the
command line's ``--help`` and ``--version`` load neither pandas nor SimPy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any


def _version() -> str:
    """The installed package's version (written once, in pyproject.toml), read on first use:
    ``importlib.metadata`` costs a start about as much as the rest of ``rollsim --help``.
    """
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("rollsim")
    except PackageNotFoundError:  # a source tree that was never installed
        return "0+unknown"


# public name -> the module that defines it
_EXPORTS = {
    "simulate": "rollsim.simulation",
    "RunResult": "rollsim.simulation",
    "build_scenario": "rollsim.spec.options",
    "Scenario": "rollsim.spec.scenario",
    "DaemonSetSpec": "rollsim.spec.scenario",
    "UpdateStrategy": "rollsim.spec.scenario",
    "ReadinessProbe": "rollsim.spec.scenario",
    "Timings": "rollsim.spec.scenario",
    "ControllerSettings": "rollsim.spec.scenario",
    "load_daemonset": "rollsim.api",
    "load_nodes": "rollsim.api",
    "load_experiment": "rollsim.api",
    "run_experiment": "rollsim.api",
    "load_results": "rollsim.api",
    "Results": "rollsim.sweep.results",
    "Experiment": "rollsim.sweep.experiment",
    "plan": "rollsim.plan",  # the function; it shadows the subpackage's name (rollsim.plan.<module> still imports)
}

__all__ = [
    "simulate",
    "RunResult",
    "build_scenario",
    "load_daemonset",
    "load_nodes",
    "load_experiment",
    "run_experiment",
    "load_results",
    "Results",
    "Experiment",
    "Scenario",
    "DaemonSetSpec",
    "UpdateStrategy",
    "ReadinessProbe",
    "Timings",
    "ControllerSettings",
    "plan",
    "__version__",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if name == "__version__":
        value: Any = _version()
    elif module is None:
        raise AttributeError(f"module 'rollsim' has no attribute {name!r}")
    else:
        value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # for type checkers and IDEs; at run time the names above load lazily
    __version__: str
    from rollsim.api import load_daemonset, load_experiment, load_nodes, load_results, run_experiment
    from rollsim.simulation import RunResult, simulate
    from rollsim.spec.options import build_scenario
    from rollsim.spec.scenario import (
        ControllerSettings,
        DaemonSetSpec,
        ReadinessProbe,
        Scenario,
        Timings,
        UpdateStrategy,
    )
    from rollsim.sweep.experiment import Experiment
    from rollsim.sweep.results import Results
