"""The Kubernetes objects in a manifest's documents, and the one DaemonSet rollsim reads.

A ``List`` (``kubectl get ds -o yaml``) is flattened into its items; a typed
``DaemonSetList`` (the API's own JSON) may leave kind and apiVersion out of its items.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rollsim.io.manifest.documents import Document
from rollsim.io.manifest.errors import ManifestError, Where, describe, show

__all__ = ["ManifestObject", "check_api_version", "objects", "own_namespace", "select"]


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


def select(found: list[ManifestObject], name: str | None, file: str,
           namespace: str | None = None, prefer: str | None = None) -> ManifestObject:
    """The DaemonSet to read: the only one, or the one ``name`` (``NAME`` or ``NAMESPACE/NAME``) and
    ``namespace`` (``-n``) pick; of several still, the one in namespace ``prefer`` (an experiment's
    ``daemonset.namespace``, which otherwise sets the namespace the run gives the DaemonSet).

    As ``kubectl apply -n NAMESPACE -f``: an object without ``metadata.namespace`` is in
    ``namespace`` (else ``default``), and one in another namespace is refused, with kubectl's
    words. Among several DaemonSets (``kubectl get ds -A -o yaml``), ``namespace`` picks those
    in it, so ``-n NS --daemonset NAME`` picks one of two named alike, as ``NS/NAME`` does.
    """
    daemonsets = [o for o in found if o.kind == "DaemonSet"]
    if not daemonsets:
        if not found:
            raise ManifestError("no DaemonSet in this file: it holds no Kubernetes object", file=file, line=1)
        if len(found) == 1:
            raise found[0].where.error("kind", f"must be DaemonSet, got {show(found[0].kind)}")
        kinds = ", ".join(f"{o.kind if isinstance(o.kind, str) else '?'} {o.name}" for o in found)
        raise found[0].where.error("", f"no DaemonSet among the {len(found)} objects in this file (found {kinds})")
    in_name, _, short = name.rpartition("/") if name is not None else ("", "", "")
    wanted = in_name or namespace
    keys = ", ".join(_key(o, namespace) for o in daemonsets)
    pool = [o for o in daemonsets if name is None or o.name == short]
    if not pool:
        raise daemonsets[0].where.error("", f"no DaemonSet named {show(short)} in this file; it has: {keys}")
    if wanted:
        in_ns = [o for o in pool if _namespace_of(o, namespace) == wanted]
        if not in_ns and len(pool) == 1 and not in_name:  # kubectl apply -n NS -f, on an object of another
            raise _mismatch(pool[0], namespace)
        if not in_ns:
            what = f"named {show(short)} " if name is not None else ""
            raise pool[0].where.error("", f"no DaemonSet {what}in namespace {show(wanted)} in this file; it has: "
                                          f"{keys}")
        pool = in_ns
    if len(pool) > 1 and prefer:
        pool = [o for o in pool if _namespace_of(o, namespace) == prefer] or pool
    if len(pool) > 1:
        shown = ", ".join(_key(o, namespace) for o in pool)
        first = {_key(o, namespace): o for o in reversed(pool)}  # each key's first object
        twice = next((o for o in pool if first[_key(o, namespace)] is not o), None)
        if twice is not None:  # no flag tells apart two objects of one key (audit 34): kubectl would apply both
            raise twice.where.error("", f"{_key(twice, namespace)} is defined twice in this file (also at line "
                                        f"{first[_key(twice, namespace)].where.line('')}): keep one")
        raise pool[1].where.error("", f"{len(pool)} DaemonSets in this file ({shown}); {_how_to_choose(pool)}")
    chosen = pool[0]
    own = own_namespace(chosen)
    if namespace and own is not None and own != namespace:
        raise _mismatch(chosen, namespace)
    return chosen


def own_namespace(obj: ManifestObject) -> str | None:
    """The object's ``metadata.namespace`` when it sets one (one that is not text is refused later,
    by the check of the fields' types).
    """
    meta = obj.data.get("metadata")
    own = meta.get("namespace") if isinstance(meta, dict) else None
    return own if isinstance(own, str) and own else None


def _namespace_of(obj: ManifestObject, namespace: str | None) -> str:
    """The namespace the object is applied in: its own, else ``-n``'s, else ``default``."""
    return own_namespace(obj) or namespace or "default"


def _key(obj: ManifestObject, namespace: str | None) -> str:
    """``namespace/name``, as the API server keys the object."""
    return f"{_namespace_of(obj, namespace)}/{obj.name}"


def _mismatch(obj: ManifestObject, namespace: str | None) -> ManifestError:
    """The refusal kubectl gives an object whose own namespace is not the one ``-n`` gives."""
    own = own_namespace(obj)
    return obj.where.error("metadata.namespace", f"the namespace from the provided object {own!r} does not match "
                                                 f"the namespace {namespace!r} (-n/--namespace); you must pass "
                                                 f"--namespace={own} (or no -n) to use it, as kubectl apply does")


def _how_to_choose(pool: list[ManifestObject]) -> str:
    """What picks one of several DaemonSets: the name, or namespace and name where names repeat."""
    if len({o.name for o in pool}) == len(pool):
        return ("choose one by name (--daemonset NAME, or daemonset.name in an experiment; an experiment's "
                "also: items update others beside it)")
    return ("choose one with --daemonset NAMESPACE/NAME, or -n NAMESPACE --daemonset NAME (in an experiment: "
            "daemonset.name and daemonset.namespace)")


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
