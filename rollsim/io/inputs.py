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
from rollsim.spec.versions import DEFAULT_VERSION, cluster_version, parse_version

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
    if path.is_dir():
        raise InputError(key, f"is a folder, not a file: {path}")
    return path


def is_live(manifest: Any) -> bool:
    """``ds/NAME`` (or ``daemonset/NAME``) names a DaemonSet in a live cluster, not a file."""
    return isinstance(manifest, str) and manifest.startswith(("ds/", "daemonset/", "daemonsets/"))


def load_inputs(files: dict[str, Any], name: str | None = None, base_dir: Path = Path("."),
                live: Mapping[str, Any] | None = None, node_count: bool = False,
                kubernetes_version: Any = None) -> Inputs:
    """Read the files named in ``files`` (see ``FILE_OPTIONS``); ``name`` picks the DaemonSet.

    A manifest ``ds/NAME`` is read from a live cluster (``rollsim.io.live``) with the
    ``live`` settings (``context``, ``kubeconfig``, ``namespace``, ``calibrate``), and so
    are the nodes unless a node list or pools are given; with ``live`` settings and no
    node list, a context or kubeconfig named means the nodes come from the cluster too, unless a
    node count is given (``node_count``: ``--nodes``, ``cluster.nodes``), which then wins: a
    what-if on identical nodes, with the live DaemonSet. A context named beside inputs that need
    no cluster is asked for its version alone (``GET /version``); that it cannot be reached is a
    warning, not an error. ``kubernetes_version`` is the version the options set (a flag or key;
    None: not set): it spares reading and warning about the cluster's, and with the cluster's
    (else the default) it chooses how the manifest is read (pod-level resources dropped before
    v1.34). File errors are ``ConfigError``s naming their own file and line; a bad value of the
    options themselves is a ``ValueError`` starting with the option's key path.
    """
    node_list = timings = loaded = None
    source: dict[str, Any] | None = None
    unread: str | None = None
    live = dict(live or {})
    live_nodes = "nodes_file" not in files and "pools" not in files and not node_count
    cluster_named = any(live.get(k) for k in ("context", "kubeconfig"))
    if is_live(files.get("manifest")) or (cluster_named and live_nodes):
        loaded, node_list, timings, source = _read_cluster(files, live, live_nodes)
        unread = source.pop("server_version_error", None)
    if is_live(files.get("manifest")):
        files = {k: v for k, v in files.items() if k not in ("manifest", "strict")}
    if "manifest" in files:
        loaded = _read_manifest(files, name, base_dir)
    elif "strict" in files:
        raise InputError(FILE_OPTIONS["strict"], "applies only with a manifest")
    node_list = _read_nodes(files, base_dir, node_list)
    timings = _read_timings(files, base_dir, timings)
    if cluster_named and source is None and kubernetes_version is None:  # after the files: they can fail first
        source, unread = _read_version(live)
    version, notes = _version_notes(source, unread, given=kubernetes_version is not None)
    warnings: list[str] = []
    if loaded is not None:
        loaded = loaded.for_version(_given_version(kubernetes_version) or version or DEFAULT_VERSION)
        warnings += loaded.warnings
    warnings += notes
    if "manifest" in files and live.get("namespace") and loaded is not None:  # kubectl -n beside a file
        warnings.append(f"--namespace {live['namespace']} applies only to a DaemonSet read from a cluster (ds/NAME): "
                        f"the manifest's own namespace ({loaded.spec.namespace}) stands")
    return Inputs(None if loaded is None else loaded.spec, node_list, timings, tuple(warnings), source, version)


_CHOOSE = "--kubernetes-version or controller.kubernetes_version chooses another"


def _read_cluster(files: dict[str, Any], live: dict[str, Any], nodes: bool) -> tuple[Any, Any, Any, dict[str, Any]]:
    """The DaemonSet (``ds/NAME``: a ``LoadedDaemonSet``, else None), the nodes (with ``nodes``),
    calibrated timings and the source of a live cluster.
    """
    from rollsim.io.live import read_live, read_live_nodes

    if is_live(files.get("manifest")):
        got = read_live(files["manifest"], live.get("namespace"), context=live.get("context"),
                        kubeconfig=live.get("kubeconfig"), strict=bool(files.get("strict", False)),
                        nodes=nodes, calibrate=bool(live.get("calibrate")))
        return got.daemonset, got.node_list, got.timings, dict(got.source)
    node_list, source = read_live_nodes(context=live.get("context"), kubeconfig=live.get("kubeconfig"))
    return None, node_list, None, dict(source)


def _read_version(live: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    """The named cluster's version alone, for inputs that need no cluster: its source (as
    ``LiveInputs.source``), and why its version could not be read. A cluster that cannot be
    reached, or a kubeconfig that cannot be read, is a warning: the run does not need them.
    """
    from rollsim.io.live import read_live_version
    from rollsim.io.yamldoc import ConfigError

    try:
        source = read_live_version(context=live.get("context"), kubeconfig=live.get("kubeconfig"))
    except ConfigError as exc:
        return None, " ".join(str(exc).split())
    return source, source.pop("server_version_error", None)


def _version_notes(source: dict[str, Any] | None, unread: str | None, given: bool) -> tuple[str | None, list[str]]:
    """The cluster's version as a modelled minor (``cluster_version``), and the warnings that say
    which rules apply when it is not modelled or could not be read; none when the options set
    the version (``given``).
    """
    version, note = cluster_version(None if source is None else source.get("server_version"))
    if given or (source is None and unread is None):
        return version, []
    if unread is not None:
        note = (f"the cluster's version could not be read ({unread}): the controller rules of the default "
                f"{DEFAULT_VERSION} apply")
    return version, [] if note is None else [f"{note} ({_CHOOSE})"]


def _given_version(value: Any) -> str | None:
    """The version the options set, as a modelled minor; None when unset or not one (the
    scenario's own check then says what is wrong with it).
    """
    try:
        return None if value is None else parse_version(value)
    except ValueError:
        return None


def _read_manifest(files: dict[str, Any], name: str | None, base_dir: Path) -> Any:
    """The manifest file's DaemonSet, a ``LoadedDaemonSet``."""
    from rollsim.io.manifest import load_daemonset

    strict = files.get("strict", False)
    if not isinstance(strict, bool):
        raise InputError(FILE_OPTIONS["strict"], f"must be true or false, got {strict!r}")
    return load_daemonset(_path(files["manifest"], base_dir, FILE_OPTIONS["manifest"]), name=name, strict=strict)


def _read_nodes(files: dict[str, Any], base_dir: Path, node_list: Any) -> Any:
    """The node list of a nodes file or pools (both: an error), else ``node_list``."""
    if "nodes_file" in files and "pools" in files:
        raise InputError(FILE_OPTIONS["pools"], "give either a nodes file or pools, not both")
    if "nodes_file" in files:
        from rollsim.io.nodes import load_nodes

        return load_nodes(_path(files["nodes_file"], base_dir, FILE_OPTIONS["nodes_file"]))
    if "pools" in files:
        from rollsim.io.nodes import nodes_from_pools

        return nodes_from_pools(files["pools"], where=FILE_OPTIONS["pools"])
    return node_list


def _read_timings(files: dict[str, Any], base_dir: Path, timings: dict[str, str] | None) -> dict[str, str] | None:
    """A timing profile's timings over the calibrated ones (``timings``)."""
    if "timings_file" not in files:
        return timings
    from rollsim.io.calibrate import load_timings

    return {**(timings or {}), **load_timings(_path(files["timings_file"], base_dir, FILE_OPTIONS["timings_file"]))}
