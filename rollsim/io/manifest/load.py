"""``load_daemonset``: the three passes over a manifest, from file to ``LoadedDaemonSet``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from rollsim.io.manifest.documents import parse_documents, read_documents
from rollsim.io.manifest.errors import ManifestError
from rollsim.io.manifest.fields import check_fields
from rollsim.io.manifest.objects import ManifestObject, check_api_version, objects, own_namespace, select
from rollsim.io.manifest.resources import POD_LEVEL_DROPPED, unchecked_resources, without_pod_level
from rollsim.io.manifest.spec import daemonset_spec
from rollsim.io.yamldoc import source_name
from rollsim.spec.scenario import DaemonSetSpec
from rollsim.spec.versions import rules_for

__all__ = ["LoadedDaemonSet", "load_daemonset", "load_daemonset_text"]


@dataclass(frozen=True)
class LoadedDaemonSet:
    """A DaemonSet read from a manifest.

    ``spec`` is what rollsim simulates; ``warnings`` are one-line ``file:line: path: unknown
    field`` notes; ``labels`` are the DaemonSet's ``metadata.labels``; ``has_readiness_probe``
    is false when no container has a readinessProbe (the pod is then Ready as soon as its
    containers run, and ``spec.readiness_probe`` has period 0: Ready when the app is).
    ``namespace_from`` says where ``spec.namespace`` came from: ``metadata.namespace``,
    ``-n/--namespace`` (a manifest without one, applied as ``kubectl apply -n NS -f`` does), or
    ``default`` (neither).
    """

    spec: DaemonSetSpec
    warnings: tuple[str, ...] = ()
    source: str = ""
    labels: Mapping[str, str] = field(default_factory=dict, hash=False)
    has_readiness_probe: bool = True
    namespace_from: str = "metadata.namespace"
    # the DaemonSet as an API server without the PodLevelResources gate keeps it (its pod-level
    # spec.resources dropped, with a warning saying so); None when the template sets none
    without_pod_level: LoadedDaemonSet | None = field(default=None, repr=False, compare=False)

    def for_version(self, version: str) -> LoadedDaemonSet:
        """The DaemonSet as Kubernetes ``version``'s API server keeps it: before v1.34
        (``PodLevelResources`` alpha and off) ``dropDisabledPodLevelResources`` drops the pod
        template's ``spec.resources``, so the pods request what their containers do.
        """
        if self.without_pod_level is None or rules_for(version).pod_level_resources:
            return self
        return self.without_pod_level


def load_daemonset(path: str | Path, name: str | None = None, strict: bool = False,
                   namespace: str | None = None, prefer_namespace: str | None = None) -> LoadedDaemonSet:
    """Read the DaemonSet in ``path`` (YAML or JSON; one object, several documents or a List).

    ``name`` (``NAME`` or ``NAMESPACE/NAME``) picks one of several DaemonSets (a file with one
    needs none). ``namespace`` is ``kubectl apply -n``'s: the namespace of a DaemonSet without
    ``metadata.namespace`` (else ``default``); one in another namespace is an error, and among
    several it picks those in it; ``prefer_namespace`` picks one of several still (``objects.select``).
    Unknown fields are collected as warnings, or with
    ``strict=True`` the first is an error. Raises ``ManifestError`` (a ``ConfigError``) whose
    text is ``file:line: field.path: rule``.
    """
    file = source_name(path)
    return _load(lambda: read_documents(path), file, name, strict, namespace, prefer_namespace)


def load_daemonset_text(text: str, source: str, name: str | None = None, strict: bool = False) -> LoadedDaemonSet:
    """As ``load_daemonset``, for YAML or JSON text from ``source`` (an API server's answer, say);
    errors name ``source`` and the line of ``text``.
    """
    return _load(lambda: parse_documents(text, source), source, name, strict)


def _load(documents, file: str, name: str | None, strict: bool, namespace: str | None = None,
          prefer_namespace: str | None = None) -> LoadedDaemonSet:
    try:
        obj = select(objects(documents(), file), name, file, namespace, prefer_namespace)
        check_api_version(obj)
        warnings = check_fields(obj.data, obj.where, strict)
        loaded = _read(obj, warnings, file, namespace)
        older = without_pod_level(obj.data)
        if older is not None:  # a manifest a v1.33 API server takes without its pod-level resources
            dropped = _read(replace(obj, data=older), warnings, file, namespace)
            note = str(obj.where.error(POD_LEVEL_DROPPED[0], POD_LEVEL_DROPPED[1]))
            loaded = replace(loaded, without_pod_level=replace(dropped, warnings=(*dropped.warnings, note)))
    except RecursionError:
        raise ManifestError("the data is nested too deeply", file=file, line=1) from None
    return loaded


def _read(obj: ManifestObject, warnings: tuple[str, ...], file: str, namespace: str | None) -> LoadedDaemonSet:
    """The third pass over an object whose fields are checked (``warnings``: what that check found)."""
    spec, labels, has_probe = daemonset_spec(obj, namespace)
    template: dict[str, Any] = obj.data["spec"]["template"]["spec"]  # there: daemonset_spec read it
    origin = "metadata.namespace" if own_namespace(obj) else "-n/--namespace" if namespace else "default"
    return LoadedDaemonSet(spec, (*warnings, *unchecked_resources(obj.where, template)), file, labels, has_probe,
                           origin)
