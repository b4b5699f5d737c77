"""The library's entry points for scripts and notebooks, re-exported by ``rollsim``.

Thin wrappers that pick notebook-friendly defaults over the modules that do the work:
inputs are read by ``rollsim.io`` (manifests as ``kubectl get ds -o yaml`` prints them,
node lists as ``kubectl get nodes -o json`` does), sweeps are run by
``rollsim.sweep.runner`` and results folders read by ``rollsim.sweep.results``.
"""

from __future__ import annotations

import warnings
from concurrent.futures import Executor
from pathlib import Path

from rollsim.spec.node import Node
from rollsim.spec.scenario import DaemonSetSpec
from rollsim.sweep.experiment import Experiment
from rollsim.sweep.experiment_file import load_experiment
from rollsim.sweep.results import Results, load_results

__all__ = ["load_daemonset", "load_nodes", "load_experiment", "run_experiment", "load_results",
           "default_out_dir"]


def load_daemonset(path: str | Path, name: str | None = None, *, strict: bool = False,
                   kubernetes_version: str | None = None) -> DaemonSetSpec:
    """The DaemonSet of an apps/v1 manifest (``kubectl get ds NAME -o yaml``, or what
    ``kubectl apply -f`` takes), checked as the API server checks it.

    ``name`` picks one DaemonSet of a file with several. Unknown fields are Python
    warnings (``UserWarning``), or errors with ``strict=True``. Pass the result to
    ``build_scenario(daemonset_spec=...)``, with the same ``kubernetes_version`` as here:
    before 1.34 the API server drops pod-level ``spec.resources`` (a warning says so; default:
    the newest modelled version, which counts them). Raises ``ManifestError`` (a ``ValueError``)
    naming the file, line and field.
    """
    from rollsim.io.manifest import load_daemonset as load
    from rollsim.spec.versions import DEFAULT_VERSION

    loaded = load(path, name=name, strict=strict).for_version(kubernetes_version or DEFAULT_VERSION)
    for note in loaded.warnings:
        warnings.warn(note, stacklevel=2)
    return loaded.spec


def load_nodes(path: str | Path) -> tuple[Node, ...]:
    """The nodes of ``kubectl get nodes -o json`` (or ``-o yaml``) output, for
    ``build_scenario(node_list=...)``: names, labels, taints, cordons, readiness and
    allocatable CPU and memory (what the DaemonSet controller and scheduler read).
    """
    from rollsim.io.nodes import load_nodes as load

    return load(path)


def default_out_dir(experiment: Experiment) -> Path:
    """Where ``rollsim run`` writes an experiment's results: ``results/<name>``."""
    return Path("results") / experiment.name


def run_experiment(experiment: str | Path | Experiment, executor: Executor | str | None = None, *,
                   out_dir: str | Path | None = None, workers: int | None = None, force: bool = False,
                   progress: bool | None = None) -> Results:
    """Run an experiment (a file path or a loaded ``Experiment``) and return its results, loaded.

    ``executor`` is any ``concurrent.futures.Executor`` (a ``ProcessPoolExecutor``, a
    ``ThreadPoolExecutor``, Dask's ``client.get_executor()``; the caller keeps it open and
    shuts it down), or ``"serial"``, ``"processes"`` or ``"dask"``, or None for local
    processes on every core. Results go to ``out_dir`` (default ``results/<name>``);
    finished runs found there are reused unless ``force``. The results are the same to
    the last digit whatever executes them.
    """
    from rollsim.sweep.runner import run_experiment as run

    if not isinstance(experiment, Experiment):
        experiment = load_experiment(experiment)
    out = Path(out_dir) if out_dir is not None else default_out_dir(experiment)
    run(experiment, out, workers=workers, executor=executor, force=force, progress=progress)
    return load_results(out)
