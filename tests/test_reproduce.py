"""The shipped results reproduce: re-running a small shipped study gives its committed summary.csv."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from rollsim.sweep.experiment_file import load_experiment
from rollsim.sweep.runner import run_experiment

ROOT = Path(__file__).parent.parent
STUDY = "not-ready-deadlock"  # 18 runs of 288 nodes: a few seconds


def test_a_shipped_study_reproduces_its_summary(tmp_path: Path) -> None:
    committed = ROOT / "results" / STUDY / "summary.csv"
    if not committed.is_file():
        pytest.skip(f"results/{STUDY}/summary.csv is not in this checkout (run `make run`)")
    out = tmp_path / STUDY
    experiment = load_experiment(ROOT / "experiments" / f"{STUDY}.yaml")
    run_experiment(experiment, out, workers=1, progress=False)
    mine = (out / "summary.csv").read_text(encoding="utf-8").splitlines()
    shipped = committed.read_text(encoding="utf-8").splitlines()
    assert mine[0] == shipped[0], f"results/{STUDY} has other summary.csv columns: regenerate it with `make run`"
    assert mine == shipped
    # every column of runs.csv but ``events``: SimPy's event count is the engine's work, not a
    # result, and speed work changes it (as tests/test_identical_results.py leaves it out)
    mine_runs, shipped_runs = _without_events(out / "runs.csv"), _without_events(ROOT / "results" / STUDY / "runs.csv")
    assert mine_runs == shipped_runs


def _without_events(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return [{k: v for k, v in row.items() if k != "events"} for row in csv.DictReader(f)]
