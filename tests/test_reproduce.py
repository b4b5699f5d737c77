"""The shipped results reproduce: re-running a small shipped study gives its committed summary.csv."""

from __future__ import annotations

from pathlib import Path

import pytest
from rollsim.sweep.experiment import load_experiment
from rollsim.sweep.runner import run_experiment

ROOT = Path(__file__).parent.parent
STUDY = "not-ready-deadlock"  # 18 runs of 288 nodes: a few seconds


def test_a_shipped_study_reproduces_its_summary(tmp_path: Path) -> None:
    committed = ROOT / "results" / STUDY / "summary.csv"
    if not committed.is_file():
        pytest.skip(f"results/{STUDY}/summary.csv is not in this checkout (run `make run`)")
    out = tmp_path / STUDY
    run_experiment(load_experiment(ROOT / "experiments" / f"{STUDY}.yaml"), out, workers=1, progress=False)
    mine = (out / "summary.csv").read_text(encoding="utf-8").splitlines()
    shipped = committed.read_text(encoding="utf-8").splitlines()
    if mine[0] != shipped[0]:
        pytest.skip(f"results/{STUDY} was written by an older rollsim (other summary.csv columns): "
                    "regenerate the shipped results with `make run`")
    assert mine == shipped
    runs = (ROOT / "results" / STUDY / "runs.csv").read_text(encoding="utf-8")
    assert _without_run_ids((out / "runs.csv").read_text(encoding="utf-8")) == _without_run_ids(runs)


def _without_run_ids(csv: str) -> list[str]:
    """runs.csv without its first column: run ids hash ``MODEL_VERSION``, which a change that
    leaves this study's results alone may still bump (the lead regenerates ``results/`` after)."""
    lines = csv.splitlines()
    assert lines and lines[0].startswith("run_id,")
    return [line.split(",", 1)[1] for line in lines]
