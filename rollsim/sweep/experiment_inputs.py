"""An experiment's input files (``rollsim.sweep.experiment_file``): each distinct set read once,
kept once per Kubernetes version a configuration asks for (pod-level resources are dropped before
v1.34), and digested so that run ids change with what the files, or a live cluster, said.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rollsim.io.clusterversion import ClusterVersion
from rollsim.io.inputs import FILE_OPTIONS, Inputs, ReadInputs, read_inputs, versioned
from rollsim.io.yamldoc import ConfigError, Document
from rollsim.spec.describe import node_digest

__all__ = ["InputCache", "configuration_inputs"]


@dataclass
class InputCache:
    """The input files read once per distinct set (``read``), each set kept once per version
    (``kept``: the ``Inputs`` and their digest), and the named cluster's version, read once.
    """

    live: Mapping[str, Any] | None
    cluster: ClusterVersion
    read: dict[str, ReadInputs] = field(default_factory=dict)
    kept: dict[str, tuple[Inputs, dict[str, str]]] = field(default_factory=dict)


def configuration_inputs(doc: Document, files: dict[str, Any], name: str | None, cache: InputCache,
                         source: Callable[[str], str], node_count: bool = False,
                         kubernetes_version: Any = None, namespace: str | None = None) -> tuple[Inputs, dict[str, str]]:
    """A configuration's input files, read once per distinct set, relative to the experiment
    file (``node_count``: the configuration counts its nodes, so a cluster named by
    ``--context`` lends only its DaemonSet), then kept as ``kubernetes_version`` (the
    configuration's, if it sets one) reads the manifest, and digested, once per version.
    ``source`` names the key that set a file option (scenario, variant or grid item), where a bad value is reported;
    ``namespace`` (``daemonset.namespace``) picks one of several DaemonSets of the manifest named alike.
    """
    if not files:
        return Inputs(), {}
    key = json.dumps([files, name, node_count, namespace], sort_keys=True, default=str)
    if key not in cache.read:
        try:
            cache.read[key] = read_inputs(files, name=name, base_dir=Path(doc.file).parent, live=cache.live,
                                          node_count=node_count, cluster=cache.cluster, prefer_namespace=namespace)
        except ValueError as exc:
            if isinstance(exc, ConfigError):
                raise
            path, _, message = str(exc).partition(": ")
            raise doc.error(_file_key(path, source), message) from None
    kept = json.dumps([key, kubernetes_version], default=str)
    if kept not in cache.kept:
        inputs = versioned(cache.read[key], kubernetes_version, cache.cluster)
        cache.kept[kept] = inputs, _digest(doc, files, inputs)
    return cache.kept[kept]


def _digest(doc: Document, files: Mapping[str, Any], inputs: Inputs) -> dict[str, str]:
    """A digest of what the inputs said (empty without any): the DaemonSet, nodes and timings read
    from the files or a live cluster (and its version), so that runs whose inputs changed are new
    runs, not ones a resume reuses; and only what they said: a comment or a field rollsim does not
    read, added to a manifest, left the runs theirs (the files' bytes made a whole sweep run again).
    """
    if not any(k in files for k in ("manifest", "nodes_file", "timings_file")) and inputs.source is None:
        return {}
    nodes = "" if inputs.node_list is None else node_digest(inputs.node_list)
    said = repr((inputs.daemonset_spec, inputs.timings, inputs.kubernetes_version, nodes))
    return {"input_digest": hashlib.sha256(said.encode()).hexdigest()[:16]}


def _file_key(path: str, source: Callable[[str], str]) -> str:
    """The experiment's key path for ``path`` (``cluster.pools[0].count``), an error under a file
    option: that option's own key (scenario, variant or grid item), then the rest of ``path``.
    """
    for option, key in FILE_OPTIONS.items():
        if path == key or path.startswith((key + ".", key + "[")):
            return source(option) + path[len(key):]
    return f"scenario.{path}"
