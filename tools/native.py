"""Build rollsim with its simulation core compiled to C by mypyc: ``make native``.

The pure-Python package stays the default (``make run``, ``make test``). This copies the
package to ``build/native/rollsim`` and compiles the modules in ``MODULES`` there, in place,
with mypyc (it turns the type-annotated modules into C extensions; same source, same
results). Run anything against the build by putting it first on the path::

    PYTHONPATH=build/native .venv/bin/rollsim simulate --nodes 100000

The build is a copy, never the source tree: no compiled module can sit beside a ``.py``
file that was edited after it was built. ``build/native/rollsim/_native.json`` records the
SHA-256 of every source file the build was made from; ``python tools/native.py --check``
says whether the build still matches the sources (``make native`` rebuilds when any
source is newer). The build goes to a temporary folder and replaces the old one only
when it succeeded.

Modules that stay interpreted in the build: everything outside the core (the CLI, I/O,
sweeps, plots) and the scenario's specification (``spec/``, ``cluster/scheduling.py``):
their frozen dataclasses travel to sweep workers by pickle, which a compiled frozen
dataclass refuses ("cannot assign to field"). ``cluster/sampler.py`` stays interpreted
because ``Sampler`` subclasses ``functools.partial``, which mypyc cannot compile.
``cluster/preemption.py`` stays interpreted too: it runs only when a daemon pod does not fit
(once per scheduling attempt of such a pod), never per event; so does ``cluster/podworker.py``,
which runs only for a crash-looping container's exit or a failed pull.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DEST = ROOT / "build" / "native"
MANIFEST = "_native.json"
sys.path.insert(0, str(ROOT))  # the sources' own rollsim, run from a checkout
from rollsim.provenance import changed_sources, source_hashes  # noqa: E402  (the hashes the build records)

# The simulation core: what runs once per event or per node (cProfile at 10,000 and 100,000 nodes).
MODULES = (
    "rollsim/cluster/admission.py",
    "rollsim/cluster/apiserver.py",
    "rollsim/cluster/countedsyncs.py",
    "rollsim/cluster/imagepull.py",
    "rollsim/cluster/informer.py",
    "rollsim/cluster/kubelet.py",
    "rollsim/cluster/lifecycle.py",
    "rollsim/cluster/nodestore.py",
    "rollsim/cluster/podruntime.py",
    "rollsim/cluster/timers.py",
    "rollsim/cluster/workers.py",
    "rollsim/cluster/workqueue.py",
    "rollsim/controller/cache.py",
    "rollsim/controller/classify.py",
    "rollsim/controller/consistency.py",
    "rollsim/controller/daemon.py",
    "rollsim/controller/daemonset.py",
    "rollsim/controller/decisions.py",
    "rollsim/controller/expectations.py",
    "rollsim/controller/flowcontrol.py",
    "rollsim/controller/idle.py",
    "rollsim/controller/index.py",
    "rollsim/controller/noderules.py",
    "rollsim/controller/pods.py",
    "rollsim/controller/rankedset.py",
    "rollsim/controller/syncnodes.py",
    "rollsim/observe/endstate.py",
    "rollsim/observe/levels.py",
    "rollsim/observe/nodesummary.py",
    "rollsim/observe/recorder.py",
    "rollsim/simulation.py",
    "rollsim/world.py",
)

# mypy's settings for the build: the project's own (pyproject.toml [tool.mypy]).
_MYPY_INI = "[mypy]\npython_version = 3.11\nignore_missing_imports = True\n"


def stale(dest: Path = DEFAULT_DEST) -> list[str]:
    """The source files that differ from the ones ``dest`` was built from (empty: up to date).

    A missing build or manifest counts as every file stale.
    """
    try:
        built = json.loads((dest / "rollsim" / MANIFEST).read_text())["sources"]
    except (OSError, ValueError, KeyError):
        return sorted(source_hashes(ROOT / "rollsim"))
    return changed_sources(built, ROOT / "rollsim")


def compiled(package_dir: Path) -> list[str]:
    """The modules of ``MODULES`` that ``package_dir`` holds as compiled extensions."""
    root = package_dir.parent
    found = []
    for module in MODULES:
        stem = root / module[: -len(".py")]
        if any(stem.parent.glob(stem.name + ".*.so")) or any(stem.parent.glob(stem.name + ".*.pyd")):
            found.append(module)
    return found


def build(dest: Path = DEFAULT_DEST, jobs: int = 2) -> None:
    """Copy the package to a fresh folder, compile ``MODULES`` in place, then move it to ``dest``."""
    from mypyc.build import mypycify  # the build's own dependencies: `pip install -e .[native]`
    from setuptools import setup

    work = dest.with_name(dest.name + ".tmp")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    shutil.copytree(ROOT / "rollsim", work / "rollsim", ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    (work / "mypy.ini").write_text(_MYPY_INI)
    here = Path.cwd()
    os.chdir(work)
    try:
        modules = mypycify(list(MODULES), opt_level="3", multi_file=True)
        setup(
            name="rollsim-native", ext_modules=modules, packages=[],
            script_args=["--quiet", "build_ext", "--inplace", "--parallel", str(jobs)],
        )
    finally:
        os.chdir(here)
    missing = sorted(set(MODULES) - set(compiled(work / "rollsim")))
    if missing:
        raise SystemExit(f"tools/native.py: mypyc built no extension for {', '.join(missing)}")
    # where the sources are: a run against the build warns once they change (rollsim.provenance)
    manifest = {"modules": list(MODULES), "sources": source_hashes(work / "rollsim"), "source": str(ROOT / "rollsim")}
    (work / "rollsim" / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    shutil.rmtree(work / "build", ignore_errors=True)  # mypyc's C sources and objects
    shutil.rmtree(dest, ignore_errors=True)
    work.rename(dest)


def main(argv: list[str] | None = None) -> int:
    """Build, or with ``--check`` only compare the build with the sources."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dest", type=Path, default=DEFAULT_DEST, help="where the build goes (default: build/native)")
    p.add_argument("--jobs", type=int, default=2, help="C files compiled at once (default: 2)")
    p.add_argument("--check", action="store_true", help="only say whether the build matches the sources; exit 1 if not")
    args = p.parse_args(argv)
    if args.check:
        differ = stale(args.dest)
        if differ:
            print(f"{args.dest}: stale or missing ({len(differ)} source files differ, e.g. {differ[0]}); "
                  "run `make native`", file=sys.stderr)
            return 1
        print(f"{args.dest}: up to date, {len(compiled(args.dest / 'rollsim'))} modules compiled")
        return 0
    t = time.perf_counter()
    build(args.dest, args.jobs)
    print(f"{args.dest}: {len(MODULES)} modules compiled with mypyc in {time.perf_counter() - t:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
