"""Which rollsim made a result: its model version and its build (the pure package or the native
build of ``make native``), and whether a native build is older than the sources it was built from.

Results record both (``manifest.json``, the report's versions row): the package version names
releases, ``MODEL_VERSION`` names results, and a native build gives the same results as the
sources it was compiled from, not as sources edited since. ``tools/native.py`` writes the build's
``_native.json``: the SHA-256 of every source file and where the sources were.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

from rollsim.spec.model_version import MODEL_VERSION

__all__ = ["MODEL_VERSION", "build", "changed_sources", "source_hashes", "stale_native"]

_PACKAGE = Path(__file__).resolve().parent
NATIVE_MANIFEST = _PACKAGE / "_native.json"  # in a native build only


def build() -> str:
    """``"native"`` when the simulation core runs compiled (``make native``), else ``"pure"``."""
    import rollsim.simulation

    return "native" if str(rollsim.simulation.__file__).endswith((".so", ".pyd")) else "pure"


def source_hashes(package: Path) -> dict[str, str]:
    """SHA-256 of every ``.py`` file under ``package``, keyed by its path relative to it (what a
    native build records of the sources it was compiled from: ``tools/native.py``).
    """
    return {str(p.relative_to(package)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(package.rglob("*.py"))}


def changed_sources(built: Mapping[str, str], package: Path) -> list[str]:
    """The source files under ``package`` that differ from ``built`` (``source_hashes`` then), or
    are in one of the two only.
    """
    current = source_hashes(package)
    return sorted(k for k in current.keys() | built.keys() if current.get(k) != built.get(k))


def _native_manifest() -> dict | None:
    """The native build's ``_native.json`` (None in the pure package, or when it cannot be read)."""
    try:
        return json.loads(NATIVE_MANIFEST.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def stale_native() -> tuple[Path, list[str]] | None:
    """When this is a native build whose sources are known and have changed since it was built:
    where they are and the files that differ from those it was built from; else None.
    """
    manifest = _native_manifest()
    if not isinstance(manifest, dict) or not isinstance(manifest.get("source"), str):
        return None
    source = Path(manifest["source"])
    built = manifest.get("sources")
    if not source.is_dir() or not isinstance(built, dict):
        return None
    changed = changed_sources(built, source)
    return (source, changed) if changed else None
