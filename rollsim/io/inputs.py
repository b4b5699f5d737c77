"""Inputs read from files: a DaemonSet manifest, a node list or node pools, a timing profile.

The CLI flags (``--manifest``, ``--daemonset``, ``--strict``, ``--nodes-file``) and the
experiment keys (``daemonset.manifest``, ``daemonset.strict``, ``cluster.nodes_file``,
``cluster.pools``, and ``timings`` given as a path) come here. ``load_inputs`` reads
them once and hands ``build_scenario`` objects: the manifest's DaemonSet as the base,
the node list, and the profile's timings to be used below any explicit timing.
Relative paths are taken from ``base_dir`` (the experiment file's folder).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rollsim.io.yamldoc import STDIN
from rollsim.spec.node import Node
from rollsim.spec.scenario import DaemonSetSpec
from rollsim.spec.versions import cluster_version

__all__ = ["FILE_OPTIONS", "InputError", "Inputs", "is_live", "load_inputs", "split_file_options"]

# option -> its key path in a scenario section ("timings" given as a string is a profile)
class InputError(ValueError):
    """A file option's value breaks a rule: ``key`` (its path, ``cluster.nodes_file``) and the
    rule, as ``key: rule``; the CLI names the flag, an experiment file the key and line.
    """

    def __init__(self, key: str, rule: str) -> None:
        self.key, self.rule = key, rule
        super().__init__(f"{key}: {rule}")


FILE_OPTIONS = {
    "manifest": "daemonset.manifest",
    "strict": "daemonset.strict",
    "nodes_file": "cluster.nodes_file",
    "pools": "cluster.pools",
    "timings_file": "timings",
}


@dataclass(frozen=True)
class Inputs:
    """What the files said: a base DaemonSet, a node list, profile timings, and warnings."""

    daemonset_spec: DaemonSetSpec | None = None
    node_list: tuple[Node, ...] | None = None
    timings: dict[str, str] | None = None
    warnings: tuple[str, ...] = ()
    source: Mapping[str, Any] | None = None  # where a live cluster's inputs came from (context, server, ...)
    kubernetes_version: str | None = None  # the live cluster's, as a modelled minor (cluster_version)

    def defaults(self) -> dict[str, Any]:
        """The options the inputs set below any explicit one: the profile's timings, and the
        Kubernetes version of a live cluster.
        """
        version = {"kubernetes_version": self.kubernetes_version} if self.kubernetes_version else {}
        return {**(self.timings or {}), **version}


def split_file_options(options: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(scenario options, file options)`` from one flat mapping."""
    files = {k: v for k, v in options.items() if k in FILE_OPTIONS and v is not None}
    rest = {k: v for k, v in options.items() if k not in FILE_OPTIONS}
    return rest, files


def _path(value: Any, base_dir: Path, key: str) -> Path:
    """The file ``value`` names, relative to ``base_dir``; a ``ValueError`` under ``key`` when it
    is not a path or names no file (so the error points at the key that named it).
    """
    if not isinstance(value, (str, Path)) or not str(value):
        raise InputError(key, f"must be a file path, got {value!r}")
    path = Path(value)
    path = path if path.is_absolute() else base_dir / path
    if str(value) != STDIN and not path.exists():
        raise InputError(key, f"no such file: {path}")
    return path


def is_live(manifest: Any) -> bool:
    """``ds/NAME`` (or ``daemonset/NAME``) names a DaemonSet in a live cluster, not a file."""
    return isinstance(manifest, str) and manifest.startswith(("ds/", "daemonset/", "daemonsets/"))


def load_inputs(files: dict[str, Any], name: str | None = None, base_dir: Path = Path("."),
                live: Mapping[str, Any] | None = None, node_count: bool = False) -> Inputs:
    """Read the files named in ``files`` (see ``FILE_OPTIONS``); ``name`` picks the DaemonSet.

    A manifest ``ds/NAME`` is read from a live cluster (``rollsim.io.live``) with the
    ``live`` settings (``context``, ``kubeconfig``, ``namespace``, ``calibrate``), and so
    are the nodes unless a node list or pools are given; with ``live`` settings and no
    node list, a context or kubeconfig named means the nodes come from the cluster too, unless a
    node count is given (``node_count``: ``--nodes``, ``cluster.nodes``), which then wins: a
    what-if on identical nodes, with the live DaemonSet. File errors are ``ConfigError``s
    naming their own file and line; a bad value of the options themselves is a
    ``ValueError`` starting with the option's key path.
    """
    spec = node_list = timings = source = version = None
    warnings: list[str] = []
    live_nodes = "nodes_file" not in files and "pools" not in files and not node_count
    cluster_named = live is not None and bool(live) and any(live.get(k) for k in ("context", "kubeconfig"))
    if is_live(files.get("manifest")) or (cluster_named and live_nodes):
        from rollsim.io.live import read_live, read_live_nodes

        live = dict(live or {})
        if is_live(files.get("manifest")):
            got = read_live(files["manifest"], live.get("namespace"), context=live.get("context"),
                            kubeconfig=live.get("kubeconfig"), strict=bool(files.get("strict", False)),
                            nodes=live_nodes, calibrate=bool(live.get("calibrate")))
            spec, warnings, node_list, timings = got.daemonset.spec, list(got.daemonset.warnings), got.node_list, \
                got.timings
            source = got.source
            files = {k: v for k, v in files.items() if k not in ("manifest", "strict")}
        else:
            node_list, source = read_live_nodes(context=live.get("context"), kubeconfig=live.get("kubeconfig"))
        version, note = cluster_version(source.get("server_version"))
        if note is not None:
            warnings.append(f"{note} (--kubernetes-version or controller.kubernetes_version chooses another)")
    if "manifest" in files:
        from rollsim.io.manifest import load_daemonset

        strict = files.get("strict", False)
        if not isinstance(strict, bool):
            raise InputError(FILE_OPTIONS["strict"], f"must be true or false, got {strict!r}")
        loaded = load_daemonset(_path(files["manifest"], base_dir, FILE_OPTIONS["manifest"]), name=name,
                                strict=strict)
        spec, warnings = loaded.spec, list(loaded.warnings)
        namespace = (live or {}).get("namespace")
        if namespace:  # kubectl -n beside a file: rollsim reads no cluster for it
            warnings.append(f"--namespace {namespace} applies only to a DaemonSet read from a cluster (ds/NAME): "
                            f"the manifest's own namespace ({spec.namespace}) stands")
    elif "strict" in files and spec is None:
        raise InputError(FILE_OPTIONS["strict"], "applies only with a manifest")
    if "nodes_file" in files and "pools" in files:
        raise InputError(FILE_OPTIONS["pools"], "give either a nodes file or pools, not both")
    if "nodes_file" in files:
        from rollsim.io.nodes import load_nodes

        node_list = load_nodes(_path(files["nodes_file"], base_dir, FILE_OPTIONS["nodes_file"]))
    elif "pools" in files:
        from rollsim.io.nodes import nodes_from_pools

        node_list = nodes_from_pools(files["pools"], where=FILE_OPTIONS["pools"])
    if "timings_file" in files:
        from rollsim.io.calibrate import load_timings

        timings = {**(timings or {}), **load_timings(_path(files["timings_file"], base_dir,
                                                             FILE_OPTIONS["timings_file"]))}
    return Inputs(spec, node_list, timings, tuple(warnings), source, version)
