"""``load_daemonset``: the three passes over a manifest, from file to ``LoadedDaemonSet``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rollsim.io.manifest.documents import read_documents
from rollsim.io.manifest.errors import ManifestError
from rollsim.io.manifest.fields import check_fields
from rollsim.io.manifest.objects import check_api_version, objects, select
from rollsim.io.manifest.spec import daemonset_spec
from rollsim.io.yamldoc import source_name
from rollsim.spec.scenario import DaemonSetSpec

__all__ = ["LoadedDaemonSet", "load_daemonset"]


@dataclass(frozen=True)
class LoadedDaemonSet:
    """A DaemonSet read from a manifest.

    ``spec`` is what rollsim simulates; ``warnings`` are one-line ``file:line: path: unknown
    field`` notes; ``labels`` are the DaemonSet's ``metadata.labels``; ``has_readiness_probe``
    is false when no container has a readinessProbe (the pod is then Ready as soon as its
    containers run, and ``spec.readiness_probe`` has period 0: Ready when the app is).
    """

    spec: DaemonSetSpec
    warnings: tuple[str, ...] = ()
    source: str = ""
    labels: Mapping[str, str] = field(default_factory=dict, hash=False)
    has_readiness_probe: bool = True


def load_daemonset(path: str | Path, name: str | None = None, strict: bool = False) -> LoadedDaemonSet:
    """Read the DaemonSet in ``path`` (YAML or JSON; one object, several documents or a List).

    ``name`` picks one of several DaemonSets (a file with one needs none). Unknown fields
    are collected as warnings, or with ``strict=True`` the first is an error. Raises
    ``ManifestError`` (a ``ConfigError``) whose text is ``file:line: field.path: rule``.
    """
    file = source_name(path)
    try:
        obj = select(objects(read_documents(path), file), name, file)
        check_api_version(obj)
        warnings = check_fields(obj.data, obj.where, strict)
        spec, labels, has_probe = daemonset_spec(obj)
    except RecursionError:
        raise ManifestError("the data is nested too deeply", file=file, line=1) from None
    return LoadedDaemonSet(spec, warnings, file, labels, has_probe)
