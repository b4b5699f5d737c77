"""A results folder's identity: the resolved experiment, as its ``experiment.yaml`` holds it.

``rollsim.sweep.runner`` writes it before the first run and compares it with the folder's to
tell whether the tables are up to date; ``rollsim.sweep.folder`` reads its name to refuse a
folder that holds another experiment; the report reads its configurations' scenarios.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import yaml

from rollsim.io.goyaml import SafeDumper
from rollsim.spec.describe import describe_scenario
from rollsim.sweep.experiment import Experiment

__all__ = ["describe_experiment", "identity_text"]


def _plain(value: Any) -> Any:
    """YAML-safe plain data: mappings, lists, str, int, float, bool, None."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def describe_experiment(experiment: Experiment) -> dict[str, Any]:
    """The resolved experiment, as ``experiment.yaml`` holds it."""
    return _plain({
        "name": experiment.name,
        "description": experiment.description,
        "source": experiment.document.file,
        "replications": experiment.replications,
        "seed": experiment.seed,
        "swept": experiment.swept,
        "decisions": list(experiment.decisions),
        "slo": [{"key": c.key, "metric": c.metric, "bound": c.bound, "limit": c.limit, "statistic": c.statistic,
                 "text": c.describe()} for c in experiment.slo],
        "configurations": [{"index": c.index, "label": c.label, "params": c.params,
                            "scenario": describe_scenario(c.scenario)} for c in experiment.configurations],
    })


def identity_text(experiment: Experiment) -> str:
    """``experiment.yaml``'s text: ``describe_experiment`` in block YAML, keys in order."""
    return yaml.dump(describe_experiment(experiment), Dumper=SafeDumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=False)
