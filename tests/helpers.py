"""What several test files check or do the same way: a refused command's one line, the program
run in a fresh Python process, a results table edited in place, and another DaemonSet added to a
results folder's runs.

Imported by name (``from helpers import one_error_line``), as ``harness`` and ``figcheck`` are.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

__all__ = ["ROOT", "experiment_error", "one_error_line", "python", "registry_answers", "rewritten",
           "scripted_registry_errors", "with_another_daemonset"]

ROOT = Path(__file__).resolve().parents[1]


def one_error_line(captured: Any, *needles: str) -> str:
    """The one line a command said on standard error, without its newline: exactly one line,
    no traceback, and each of ``needles`` in it. ``captured`` is pytest's ``capsys`` (its
    standard error is read, and so consumed) or standard error's text.
    """
    err = captured if isinstance(captured, str) else captured.readouterr().err
    assert "Traceback" not in err, err
    assert err.count("\n") == 1 and err.endswith("\n"), err
    line = err[:-1]
    for needle in needles:
        assert needle in line, line
    return line


def python(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``python ARGS`` in a fresh process that imports rollsim from this tree (``env`` added to
    the environment), its output captured as text; one minute at most. Ctrl-C is the default
    action in it, as in a terminal, even where this suite runs with SIGINT ignored (a shell's
    ``make test &``, whose children Python leaves ignoring it).
    """
    return subprocess.run([sys.executable, *args], env={**os.environ, "PYTHONPATH": str(ROOT), **env},
                          capture_output=True, text=True, timeout=60, check=False, preexec_fn=_default_sigint)


def _default_sigint() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


@contextmanager
def rewritten(path: Path) -> Iterator[Any]:
    """A results table (``runs.csv``, ``summary.csv``, ``downtime.parquet``...) as a DataFrame to
    change in the ``with`` block; written back in place, as ``rollsim run`` writes it (no index).
    """
    import pandas as pd

    parquet = path.suffix == ".parquet"
    frame = pd.read_parquet(path) if parquet else pd.read_csv(path)
    yield frame
    if parquet:
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)


def with_another_daemonset(folder: Path, failed: Mapping[int, int], name: str = "node-exporter") -> Path:
    """``folder`` with another DaemonSet, ``name``, updated together with the study's in every
    configuration (``also``: runs.csv's ``<name>.*`` columns, as a sweep writes them); it did
    not complete in the first ``failed[config]`` replications of a configuration, and completed
    in every other run. The study's own columns are left as they are.
    """
    import numpy as np

    with rewritten(folder / "runs.csv") as runs:
        short = np.zeros(len(runs), dtype=bool)
        for config, n in failed.items():
            short |= ((runs["config"] == config) & (runs["replication"] < n)).to_numpy()
        runs[f"{name}.completed"] = ~short
        runs[f"{name}.duration_s"] = np.where(short, np.nan, 95.0)
        runs[f"{name}.queue_wait_s"] = 0.5
        runs[f"{name}.stop_detail"] = np.where(short, "stalled: 3 of 200 nodes wait for their new pod",
                                               "completed: 200 nodes of 200 updated (new pod available)")
    return folder


# A DaemonSet whose pod-level requests (2 CPU, 1 Gi) outweigh its container's (250m, 100Mi): the
# API server keeps them from v1.34 (PodLevelResources), so a version decides which count.
POD_LEVEL_DAEMONSET = """apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: kube-system}
spec:
  selector: {matchLabels: {app: agent}}
  updateStrategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 0, maxSurge: 1}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers:
      - {name: agent, image: example.com/agent:1, resources: {requests: {cpu: 250m, memory: 100Mi}}}
      resources: {requests: {cpu: "2", memory: 1Gi}}
"""


def node_list_json(count: int, cpu: str = "3920m", memory: str = "15Gi") -> str:
    """``kubectl get nodes -o json`` of ``count`` Ready nodes ``w0``, ``w1``, ... of one allocatable size."""
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "Node", "metadata": {"name": f"w{i}"},
         "status": {"allocatable": {"cpu": cpu, "memory": memory},
                    "conditions": [{"type": "Ready", "status": "True"}]}} for i in range(count)]})


def scripted_registry_errors(monkeypatch: Any, script: list[float | None], whole_seconds: bool = True) -> list[float]:
    """The registry's errors as ``script`` says, request by request (the fraction of the pull done when
    it fails, ``None`` for none; then none); returns when each request was asked. ``whole_seconds``: the
    kubelet's requeues of exactly 10 s, its ticks on whole seconds (closed forms).
    """
    from rollsim.cluster.podworker import PodWorkers
    from rollsim.cluster.registry import Registry

    asked: list[float] = []
    answers = iter(script)

    def fails_at(self: Any) -> float | None:
        asked.append(self.env.now)
        failed_at = next(answers, None)
        if failed_at is not None:
            self.errors += 1
        return failed_at

    monkeypatch.setattr(Registry, "fails_at", fails_at)
    if whole_seconds:
        monkeypatch.setattr(PodWorkers, "_draw", lambda self: 0.0)
    return asked


def experiment_error(folder: Path, scenario: str) -> str:
    """The error ``load_experiment`` raises for an experiment file ``x.yaml`` in ``folder`` whose
    ``scenario:`` block is ``scenario`` (indented lines; the file's first is ``name: x``, so the block's
    first line is line 3).
    """
    from rollsim.io.yamldoc import ConfigError
    from rollsim.sweep.experiment_file import load_experiment

    path = folder / "x.yaml"
    path.write_text(f"name: x\nscenario:\n{scenario}", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_experiment(path)
    return str(info.value)


def registry_answers(monkeypatch: Any) -> list[tuple[float, float, bool]]:
    """Every request to the registry in a run, as (asked at, answered at, refused)."""
    from rollsim.cluster.registry import Registry

    seen: list[tuple[float, float, bool]] = []
    answer = Registry.answer

    def spy(self: Any, now: float) -> tuple[float, bool]:
        wait, refused = answer(self, now)
        seen.append((now, now + wait, refused))
        return wait, refused

    monkeypatch.setattr(Registry, "answer", spy)
    return seen
