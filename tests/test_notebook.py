"""examples/quickstart.ipynb runs from top to bottom in a fresh kernel, and shows what it says."""

from __future__ import annotations

import ast
import os
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _outputs(cell) -> str:
    parts = []
    for output in cell.get("outputs", []):
        parts.append(output.get("text", ""))
        for kind in ("text/plain", "text/html"):
            parts.append(output.get("data", {}).get(kind, ""))
    return "\n".join(parts)


@pytest.fixture(scope="module")
def notebook(tmp_path_factory):
    folder = tmp_path_factory.mktemp("examples")
    for name in ("quickstart.ipynb", "quickstart.yaml"):
        shutil.copy(EXAMPLES / name, folder / name)
    nb = nbformat.read(folder / "quickstart.ipynb", as_version=4)
    root = str(EXAMPLES.parent)  # the kernel imports this checkout's rollsim
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p),
           "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    client = NotebookClient(nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(folder)}})
    client.execute(env=env)
    return nb, folder


def test_every_cell_runs_without_error(notebook) -> None:
    nb, _ = notebook
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code)
    assert not [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]


def test_the_run_shows_its_summary_and_sparkline(notebook) -> None:
    nb, _ = notebook
    shown = next(_outputs(c) for c in nb.cells if c.cell_type == "code" and "result = rollsim.simulate" in c.source)
    assert "<svg" in shown and "min available" in shown and "RunResult(200 nodes" in shown
    assert "time_s" not in shown  # no DataFrame dumped


def test_the_sweep_results_and_tidy_frames(notebook) -> None:
    nb, folder = notebook
    outputs = [_outputs(c) for c in nb.cells if c.cell_type == "code"]
    sweep = next(o for o in outputs if "rollsim results" in o)
    assert sweep.count("<svg") == 3 and "maxUnavailable 25%" in sweep
    assert (folder / "results" / "quickstart" / "summary_long.csv").is_file()
    shown = next(o for o in outputs if "{'maxUnavailable" in o).strip()
    durations = ast.literal_eval(shown)  # mean duration (s) by configuration
    assert durations["maxUnavailable 1"] > durations["maxUnavailable 10%"] > durations["maxUnavailable 25%"] > 0


def test_the_plots_are_drawn(notebook) -> None:
    nb, _ = notebook
    last = [c for c in nb.cells if c.cell_type == "code"][-1]
    images = [o for o in last.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(images) == 1  # one figure with both plots
