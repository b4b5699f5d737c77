"""What made a result: the model version and the build in manifest.json and the report, and a
native build older than its sources named (audit 13: results said only "rollsim 0.1.0", and a
stale native build ran silently).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import rollsim.provenance as provenance
from rollsim.cli import main
from rollsim.present.report_setup import run_facts
from rollsim.spec.model_version import MODEL_VERSION


@pytest.mark.pure  # the pure build's record
def test_a_results_folder_records_the_model_version_and_the_build(tmp_path: Path) -> None:
    from rollsim.sweep.results import load_results

    experiment = tmp_path / "exp.yaml"
    experiment.write_text("name: tiny\nscenario: {cluster: {nodes: 5}}\nreplications: 1\n", encoding="utf-8")
    assert main(["run", str(experiment), "--workers", "1", "--out", str(tmp_path / "out"), "-q"]) == 0
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["model_version"] == MODEL_VERSION and manifest["build"] == provenance.build() == "pure"
    facts = dict(map(tuple, run_facts(load_results(tmp_path / "out"))))
    assert facts["versions"].startswith(f"rollsim {manifest['rollsim']} (model {MODEL_VERSION}, pure build), python ")
    report = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert f"(model {MODEL_VERSION}, pure build)" in report


def _native(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A source tree and a native build's manifest made from it, as ``tools/native.py`` writes one."""
    source = tmp_path / "src" / "rollsim"
    (source / "cluster").mkdir(parents=True)
    for name, text in (("__init__.py", "x = 1\n"), ("cluster/kubelet.py", "y = 2\n")):
        (source / name).write_text(text, encoding="utf-8")
    hashes = {str(p.relative_to(source)): hashlib.sha256(p.read_bytes()).hexdigest() for p in source.rglob("*.py")}
    manifest = tmp_path / "build" / "rollsim" / "_native.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(json.dumps({"modules": [], "sources": hashes, "source": str(source)}), encoding="utf-8")
    monkeypatch.setattr(provenance, "NATIVE_MANIFEST", manifest)
    return source


def test_a_native_build_older_than_its_sources_is_named_once(tmp_path, monkeypatch, capsys) -> None:
    source = _native(tmp_path, monkeypatch)
    assert provenance.stale_native() is None  # as built
    assert main(["make-nodes", "5"]) == 0 and "warning" not in capsys.readouterr().err
    (source / "cluster" / "kubelet.py").write_text("y = 3\n", encoding="utf-8")
    assert provenance.stale_native() == (source, ["cluster/kubelet.py"])
    assert main(["make-nodes", "5"]) == 0
    err = capsys.readouterr().err
    assert err.count("warning") == 1 and "compiled from sources that have changed since (1 file of" in err
    assert "such as cluster/kubelet.py" in err and "run `make native` again" in err
    assert main(["make-nodes", "5", "-q"]) == 0 and capsys.readouterr().err == ""  # --quiet: no warnings


def test_a_build_whose_sources_are_not_known_is_not_judged(tmp_path, monkeypatch) -> None:
    source = _native(tmp_path, monkeypatch)
    data = json.loads(provenance.NATIVE_MANIFEST.read_text(encoding="utf-8"))
    del data["source"]  # a build made before the manifest said where its sources were
    provenance.NATIVE_MANIFEST.write_text(json.dumps(data), encoding="utf-8")
    (source / "__init__.py").write_text("x = 2\n", encoding="utf-8")
    assert provenance.stale_native() is None


def test_a_callers_pool_is_recorded_at_its_size_and_serial_with_no_worker_count(tmp_path: Path) -> None:
    """audit 13: a caller's ThreadPoolExecutor(3) was recorded as the machine's cores, and a serial
    sweep's report said "serial with 1 workers".
    """
    from concurrent.futures import ThreadPoolExecutor

    from rollsim import run_experiment
    from rollsim.sweep.executors import choose_executor

    experiment = tmp_path / "exp.yaml"
    experiment.write_text("name: tiny\nscenario: {cluster: {nodes: 5}}\nreplications: 2\n", encoding="utf-8")
    with ThreadPoolExecutor(3) as pool:
        assert choose_executor(None, pool, None) == ("given", 3)
        assert choose_executor(5, pool, None) == ("given", 5)  # asked for: kept in flight
        results = run_experiment(experiment, pool, out_dir=tmp_path / "given")
    assert results.manifest["workers"] == 3
    serial = run_experiment(experiment, "serial", out_dir=tmp_path / "serial")
    assert dict(map(tuple, run_facts(serial)))["executor"] == "serial"
    assert dict(map(tuple, run_facts(results)))["executor"] == "ThreadPoolExecutor with 3 workers"


def test_a_runs_row_names_the_seed_that_repeats_it(tmp_path: Path) -> None:
    """The README's way to see one run of a sweep again: the configuration's scenario and the row's
    seed (not the experiment's) give the row's numbers.
    """
    import pandas as pd
    from rollsim import load_experiment, run_experiment, simulate

    experiment = tmp_path / "exp.yaml"
    experiment.write_text("name: tiny\nscenario: {cluster: {nodes: 30}}\nreplications: 2\nseed: 7\n"
                          "grid: {strategy.max_unavailable: [1, 3]}\n", encoding="utf-8")
    run_experiment(experiment, "serial", out_dir=tmp_path / "out")
    runs = pd.read_csv(tmp_path / "out" / "runs.csv")
    configurations = load_experiment(experiment).configurations
    for row in runs.itertuples():
        assert row.seed != 7
        summary = simulate(configurations[row.config].scenario, seed=row.seed).summary
        assert (summary["duration_s"], summary["min_available"]) == (row.duration_s, row.min_available)
