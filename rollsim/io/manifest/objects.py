"""The Kubernetes objects in a manifest's documents, and the one DaemonSet rollsim reads.

A ``List`` (``kubectl get ds -o yaml``) is flattened into its items; a typed
``DaemonSetList`` (the API's own JSON) may leave kind and apiVersion out of its items.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rollsim.io.manifest.documents import Document
from rollsim.io.manifest.errors import ManifestError, Where, describe, show

__all__ = ["ManifestObject", "check_api_version", "objects", "select"]


@dataclass
class ManifestObject:
    """One object: its data, where its fields are, and its kind and apiVersion as written."""

    data: dict[str, Any]
    where: Where
    kind: Any
    api_version: Any

    @property
    def name(self) -> str:
        """The object's ``metadata.name``, or ``<unnamed>``."""
        meta = self.data.get("metadata")
        name = meta.get("name") if isinstance(meta, dict) else None
        return name if isinstance(name, str) and name else "<unnamed>"


def objects(docs: list[Document], file: str) -> list[ManifestObject]:
    """The objects of every document, with the items of a ``List`` flattened."""
    out: list[ManifestObject] = []
    for number, (data, lines, start) in enumerate(docs, 1):
        where = Where(file, lines, "", start)
        if data is None:
            continue
        if not isinstance(data, dict):
            raise where.error("", f"document {number} is {describe(data)}, not a Kubernetes object "
                                  "(a mapping with apiVersion and kind)")
        kind = data.get("kind")
        if kind is None or kind == "":
            raise where.error("kind", "required: every object needs a kind (DaemonSet for rollsim)")
        if isinstance(kind, str) and kind.endswith("List"):
            items = data.get("items")
            if items is not None and not isinstance(items, list):
                raise where.error("items", f"must be a list of objects, got {describe(items)}")
            for i, item in enumerate(items or []):
                item_where = Where(file, lines, f"items[{i}]", where.line(f"items[{i}]"))
                if not isinstance(item, dict):
                    raise item_where.error("", f"must be an object (a mapping), got {describe(item)}")
                # a typed DaemonSetList (the API's own JSON) leaves kind and apiVersion out of its items
                default_kind = "DaemonSet" if kind == "DaemonSetList" else None
                item_kind = item.get("kind") or default_kind
                if item_kind is None:
                    raise item_where.error("kind", "required: every object needs a kind (DaemonSet for rollsim)")
                out.append(ManifestObject(item, item_where, item_kind, item.get("apiVersion") or
                                          (data.get("apiVersion") if default_kind else None)))
            continue
        out.append(ManifestObject(data, where, kind, data.get("apiVersion")))
    return out


def select(found: list[ManifestObject], name: str | None, file: str) -> ManifestObject:
    """The DaemonSet to read: the only one, or the one called ``name``."""
    daemonsets = [o for o in found if o.kind == "DaemonSet"]
    if not daemonsets:
        if not found:
            raise ManifestError("no DaemonSet in this file: it holds no Kubernetes object", file=file, line=1)
        if len(found) == 1:
            raise found[0].where.error("kind", f"must be DaemonSet, got {show(found[0].kind)}")
        kinds = ", ".join(f"{o.kind if isinstance(o.kind, str) else '?'} {o.name}" for o in found)
        raise found[0].where.error("", f"no DaemonSet among the {len(found)} objects in this file (found {kinds})")
    names = ", ".join(o.name for o in daemonsets)
    if name is None:
        if len(daemonsets) > 1:
            raise daemonsets[1].where.error("", f"{len(daemonsets)} DaemonSets in this file ({names}); choose one "
                                                "by name (--daemonset NAME, or daemonset.name in an experiment; "
                                                "an experiment's also: items update others beside it)")
        return daemonsets[0]
    chosen = [o for o in daemonsets if o.name == name]
    if not chosen:
        raise daemonsets[0].where.error("", f"no DaemonSet named {show(name)} in this file; it has: {names}")
    if len(chosen) > 1:
        raise chosen[1].where.error("metadata.name", f"{len(chosen)} DaemonSets in this file are named {show(name)}")
    return chosen[0]


def check_api_version(obj: ManifestObject) -> None:
    """Only apps/v1: the older DaemonSet API versions are gone from every supported Kubernetes."""
    api, where = obj.api_version, obj.where
    if api == "apps/v1":
        return
    if api is None or api == "":
        raise where.error("apiVersion", "required: set apiVersion: apps/v1")
    if api in ("extensions/v1beta1", "apps/v1beta2"):
        raise where.error("apiVersion", f"must be apps/v1, got {api!r}: DaemonSets in extensions/v1beta1 and "
                                        "apps/v1beta2 are gone (removed in Kubernetes 1.16); apps/v1 also "
                                        "requires spec.selector")
    raise where.error("apiVersion", f"must be apps/v1, got {show(api)}")
