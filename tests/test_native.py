"""The native build (tools/native.py, ``make native``): what it compiles, and how it knows it is stale.

``make test-native`` runs the suite against the build with ``ROLLSIM_NATIVE_EXPECTED=1``: then
every core module must come from a compiled extension, or the run would be testing the
pure-Python package twice.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _tool():
    spec = importlib.util.spec_from_file_location("native_tool", ROOT / "tools" / "native.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("native_tool", module)
    spec.loader.exec_module(module)
    return module


native = _tool()


def _module_name(path: str) -> str:
    return path[: -len(".py")].replace("/", ".")


def test_the_compiled_modules_exist_and_are_the_core() -> None:
    assert native.MODULES == tuple(sorted(native.MODULES))
    for path in native.MODULES:
        assert (ROOT / path).is_file(), path
    assert "rollsim/controller/rankedset.py" in native.MODULES  # a class of its own, not a set subclass
    assert "rollsim/cluster/sampler.py" not in native.MODULES  # a partial subclass: mypyc cannot build it


@pytest.mark.skipif(os.environ.get("ROLLSIM_NATIVE_EXPECTED") != "1", reason="runs under make test-native")
def test_the_native_build_is_what_runs() -> None:
    for path in native.MODULES:
        module = importlib.import_module(_module_name(path))
        assert module.__file__ is not None and module.__file__.endswith(".so"), module.__file__
    assert native.stale(Path(importlib.import_module("rollsim").__file__).parent.parent) == []


def _fake_build(tmp_path: Path) -> Path:
    package = tmp_path / "rollsim"
    package.mkdir()
    manifest = {"modules": list(native.MODULES), "sources": native.source_hashes(ROOT / "rollsim")}
    (package / native.MANIFEST).write_text(json.dumps(manifest))
    return tmp_path


def test_a_build_from_the_current_sources_is_up_to_date(tmp_path: Path) -> None:
    assert native.stale(_fake_build(tmp_path)) == []


def test_a_source_edited_after_the_build_makes_it_stale(tmp_path: Path) -> None:
    dest = _fake_build(tmp_path)
    path = dest / "rollsim" / native.MANIFEST
    manifest = json.loads(path.read_text())
    manifest["sources"]["cluster/timers.py"] = "0" * 64
    del manifest["sources"]["controller/pods.py"]
    manifest["sources"]["gone.py"] = "0" * 64
    path.write_text(json.dumps(manifest))
    assert native.stale(dest) == ["cluster/timers.py", "controller/pods.py", "gone.py"]


def test_a_missing_build_is_stale_in_every_file(tmp_path: Path) -> None:
    assert native.stale(tmp_path) == sorted(native.source_hashes(ROOT / "rollsim"))


def test_compiled_counts_only_extension_modules(tmp_path: Path) -> None:
    package = tmp_path / "rollsim" / "cluster"
    package.mkdir(parents=True)
    (package / "timers.py").write_text("")
    (package / "timers.cpython-311-x86_64-linux-gnu.so").write_bytes(b"")
    (package / "informer.py").write_text("")
    assert native.compiled(tmp_path / "rollsim") == ["rollsim/cluster/timers.py"]


def test_check_exits_1_and_names_the_fix_when_stale(tmp_path: Path, capsys) -> None:
    assert native.main(["--check", "--dest", str(tmp_path)]) == 1
    assert "make native" in capsys.readouterr().err
    assert native.main(["--check", "--dest", str(_fake_build(tmp_path))]) == 0
