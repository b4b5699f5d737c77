"""The manifests an experiment's ``also:`` items name (``also: [{name: calico-node, manifest:
calico.yaml}]``), read where the experiment file is loaded, as ``daemonset.manifest`` is: each
item's placement (nodeSelector, required node affinity, tolerations), requests, host ports,
priority and strategy come from its manifest, and the item's other keys override them, as
flags override a manifest's fields. Before, an item took settings only, so a DaemonSet kept
to one pool (a GPU device plugin, an agent on the infra nodes) could not be one of several
updated together (audit 41).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from rollsim.io.yamldoc import Document
from rollsim.sweep.experiment_inputs import InputCache, configuration_inputs

__all__ = ["with_also_manifests"]


def with_also_manifests(doc: Document, options: dict[str, Any], cache: InputCache, source_of: Callable[[str], str]
                        ) -> tuple[dict[str, Any], dict[str, Any], tuple[str, ...]]:
    """``options`` to build the scenario from, each ``also:`` item's ``manifest`` read into its
    ``daemonset_spec`` (relative to the experiment file, as the configuration's Kubernetes version
    reads it; ``name`` and ``namespace`` pick the DaemonSet); ``options`` for the run ids, each such
    item with its manifest's digest beside the path, so that a changed manifest is new runs; and
    what reading them warned of. An item without a manifest, or not a mapping with a name (which
    ``build_scenario`` then refuses, naming its place), is left as it is.
    """
    items = options.get("also")
    if not isinstance(items, (list, tuple)) or not any(_reads(item) for item in items):
        return options, options, ()
    built: list[Any] = []
    keyed: list[Any] = []
    warnings: list[str] = []
    for i, item in enumerate(items):
        if not _reads(item):
            built.append(item)
            keyed.append(item)
            continue
        rest = {k: v for k, v in item.items() if k != "manifest"}
        inputs, digest = configuration_inputs(doc, {"manifest": item["manifest"]}, str(item["name"]), cache,
                                              partial(_within, f"{source_of('also')}[{i}]"), False,
                                              options.get("kubernetes_version"), item.get("namespace"))
        warnings += inputs.warnings
        built.append({**rest, "daemonset_spec": inputs.daemonset_spec})
        keyed.append({**item, **digest})
    return {**options, "also": built}, {**options, "also": keyed}, tuple(warnings)


def _within(item: str, option: str) -> str:
    """An item's key as an error names it: ``scenario.also[0].manifest``."""
    return f"{item}.{option}"


def _reads(item: Any) -> bool:
    """Whether ``item`` names a manifest to read: a mapping with a name and a manifest."""
    return isinstance(item, Mapping) and item.get("manifest") is not None and isinstance(item.get("name"), str)
