"""Inputs read from files: a DaemonSet manifest, a node list or node pools, a timing profile.

The CLI flags (``--manifest``, ``--daemonset``, ``--strict``, ``--nodes-file``) and the
experiment keys (``daemonset.manifest``, ``daemonset.strict``, ``cluster.nodes_file``,
``cluster.pools``, and ``timings`` given as a path) come here. ``load_inputs`` reads
them once and hands ``build_scenario`` objects: the manifest's DaemonSet as the base,
the node list, and the profile's timings to be used below any explicit timing.
Relative paths are taken from ``base_dir`` (the experiment file's folder).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rollsim.io.clusterversion import ClusterVersion, version_notes
from rollsim.io.fileoptions import FILE_OPTIONS
from rollsim.io.live import NODES_DOCUMENT
from rollsim.io.outputs import too_long
from rollsim.io.yamldoc import STDIN, ConfigError
from rollsim.spec.node import Node, PodPlacement
from rollsim.spec.quoting import written
from rollsim.spec.scenario import DaemonSetSpec
from rollsim.spec.versions import DEFAULT_VERSION, kubelet_skew, kubelets_version, parse_version

if TYPE_CHECKING:
    from rollsim.io.live import Version

__all__ = ["FILE_OPTIONS", "InputError", "Inputs", "ReadInputs", "is_live", "load_inputs", "read_inputs",
           "live_status_notes", "measured_failures", "split_file_options", "surge_on_old_cluster", "versioned"]


class InputError(ValueError):
    """A file option's value breaks a rule: ``key`` (its path, ``cluster.nodes_file``) and the
    rule, as ``key: rule``; the CLI names the flag, an experiment file the key and line.
    """

    def __init__(self, key: str, rule: str) -> None:
        self.key, self.rule = key, rule
        super().__init__(f"{key}: {rule}")


@dataclass(frozen=True)
class Inputs:
    """What the files said: a base DaemonSet, a node list, profile timings, and warnings."""

    daemonset_spec: DaemonSetSpec | None = None
    node_list: tuple[Node, ...] | None = None
    timings: dict[str, str] | None = None
    warnings: tuple[str, ...] = ()
    source: Mapping[str, Any] | None = None  # where a live cluster's inputs came from (context, server, ...)
    kubernetes_version: str | None = None  # the live cluster's, as a modelled minor (cluster_version)
    server_version_error: str | None = None  # why a named cluster's version is not known
    namespace_from: str | None = None  # a manifest file's: LoadedDaemonSet.namespace_from
    calibrated: dict[str, str] | None = None  # the live pods' fit (--calibrate), before a profile's timings
    documents: Mapping[str, str] | None = None  # what a cluster gave, as files (rollsim.io.live.LiveInputs)
    # the share of the measured pods that never got going, by --new-pods kind, and where that was said
    # (a timing profile's new_pods, or --calibrate's pods): held against the run by measured_failures
    new_pods: Mapping[str, float] | None = None
    new_pods_from: str | None = None

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
        raise InputError(key, f"must be a file path, got {written(value)}")
    path = Path(value)
    path = path if path.is_absolute() else base_dir / path
    why = too_long(str(path))
    if why:  # before it is looked at (Python 3.11 raises for such a path)
        raise InputError(key, why)
    if str(value) != STDIN and not path.exists():
        raise InputError(key, f"no such file: {path}")
    if path.is_dir():
        raise InputError(key, f"is a folder, not a file: {path}")
    return path


def is_live(manifest: Any) -> bool:
    """``ds/NAME`` (or ``daemonset/NAME``) names a DaemonSet in a live cluster, not a file."""
    return isinstance(manifest, str) and manifest.startswith(("ds/", "daemonset/", "daemonsets/"))


@dataclass(frozen=True)
class ReadInputs:
    """What the files and a named cluster said before a Kubernetes version decides how the
    manifest is kept (``versioned``): ``loaded`` is the manifest's ``LoadedDaemonSet`` (both of
    its forms: with pod-level resources and as a server before v1.34 keeps it); ``source`` a
    cluster read's (with its ``server_version``), ``unread`` why that version could not be read.
    """

    loaded: Any = None
    node_list: tuple[Node, ...] | None = None
    timings: dict[str, str] | None = None
    source: Mapping[str, Any] | None = None
    unread: str | None = None
    cluster_named: bool = False  # a context or kubeconfig is named: its version can be asked
    calibrated: dict[str, str] | None = None  # the live pods' fit, before a timing profile is read over it
    kubelets: tuple[str, ...] = ()  # a node list file's kubelet versions (kubelet_skew), each once
    documents: Mapping[str, str] | None = None  # what a cluster gave, as files (rollsim.io.live.LiveInputs)
    warnings: tuple[str, ...] = ()  # a calibration's, and a timing profile measured from another DaemonSet
    new_pods: Mapping[str, float] | None = None  # as Inputs.new_pods
    new_pods_from: str | None = None


def surge_on_old_cluster(inputs: Inputs, max_surge: Any, rolling: bool, live_daemonset: bool,
                         surge_given: bool) -> tuple[str | None, str | None]:
    """A non-zero maxSurge on a named cluster older than v1.22, whose API server drops the field
    (``surge_dropped``): why a run with it is refused, as ``plan`` leaves surge out there, whatever
    ``kubernetes_version`` says (it chooses the controller rules only); or, when the maxSurge is
    the one the live DaemonSet carries (``live_daemonset``, and none is set here: ``surge_given``),
    a warning that the run surges: that API server kept it, so the feature gate
    DaemonSetUpdateSurge is on there (alpha in v1.21). ``(None, None)``: the cluster can surge,
    or its version is not known. ``simulate`` and ``rollsim run`` both ask this.
    """
    from rollsim.spec.versions import surge_dropped

    served = (inputs.source or {}).get("server_version")
    why = surge_dropped(served, max_surge, rolling)
    if why is None:
        return None, None
    if live_daemonset and not surge_given and inputs.daemonset_spec is not None \
            and inputs.daemonset_spec.strategy.max_surge == max_surge:
        return None, (f"the DaemonSet read from the cluster has maxSurge {max_surge}: its {served} API server "
                      "kept it, so the feature gate DaemonSetUpdateSurge is on there (alpha in v1.21), and the "
                      "run surges")
    return why, None


def live_status_notes(inputs: Inputs, nodes: Sequence[Node], placement: PodPlacement) -> list[str]:
    """What the live DaemonSet's status (``source["daemonset_status"]``: the counts its controller
    last wrote, ``updateDaemonSetStatus``) says that a run starting from ``nodes`` does not: one
    warning each.

    * A rollout under way (``updatedNumberScheduled`` below ``desiredNumberScheduled``): a run
      starts with every pod on the template read and simulates the next change.
    * Only with the nodes read from the cluster: another count of the nodes that should run it
      than ``NodeShouldRunDaemonPod`` gives here; fewer available pods (``numberAvailable``) than
      the Ready nodes that should run it, each of which a run starts with an available old pod on.
    Nothing when the status is of an older generation than the spec (its controller has not
    synced the last change yet), or when the DaemonSet came from a file.
    """
    from rollsim.spec.eligibility import node_should_run_daemon_pod

    status = dict((inputs.source or {}).get("daemonset_status") or {})
    desired = status.get("desiredNumberScheduled")
    if desired is None or status.get("observedGeneration", -1) < status.get("generation", 0):
        return []
    out = []
    updated = status.get("updatedNumberScheduled")
    if updated is not None and updated < desired:
        out.append(f"a rollout is under way on the cluster: {updated:,} of {desired:,} nodes run the DaemonSet's "
                   "current template (status.updatedNumberScheduled); the run starts with every pod on it and "
                   "simulates the next template change")
    if not (inputs.source or {}).get("nodes_from_cluster"):
        return out
    should_run = [node_should_run_daemon_pod(node, placement)[0] for node in nodes]
    if sum(should_run) != desired:
        out.append(f"the DaemonSet's status counts {desired:,} nodes that should run it "
                   f"(status.desiredNumberScheduled), rollsim {sum(should_run):,} of the {len(nodes):,} nodes read: "
                   "nodes changed since its controller last synced, or rollsim reads a node's taints, labels "
                   "or the template's affinity otherwise (please report it)")
    available, start = status.get("numberAvailable"), sum(node.ready for node, runs in zip(nodes, should_run) if runs)
    if available is not None and available < start:
        short = start - available
        nodes_have = "1 Ready node that should run it has" if short == 1 else \
            f"{short:,} Ready nodes that should run it have"
        out.append(f"{nodes_have} no available pod of the DaemonSet now: its status counts {available:,} available "
                   f"(status.numberAvailable) where the run starts with {start:,}, an available old pod on every "
                   "Ready node that should run it; those nodes use up maxUnavailable from the start, which "
                   f"--old-pods-unready {short}@0 (faults.old_pods_unready) simulates")
    return out


def load_inputs(files: dict[str, Any], name: str | None = None, base_dir: Path = Path("."),
                live: Mapping[str, Any] | None = None, node_count: bool = False,
                kubernetes_version: Any = None, server_version: bool = False) -> Inputs:
    """Read the files named in ``files`` (``read_inputs``), then keep them as ``kubernetes_version``
    (the version the options set; None: the cluster's, else the default) does (``versioned``).

    ``server_version``: a named cluster's version is wanted even when the options set one
    (``rollsim plan``, whose patch is for that cluster: below v1.22 it cannot surge).
    """
    read = read_inputs(files, name, base_dir, live, node_count)
    return versioned(read, kubernetes_version, ClusterVersion(live), server_version)


def read_inputs(files: dict[str, Any], name: str | None = None, base_dir: Path = Path("."),
                live: Mapping[str, Any] | None = None, node_count: bool = False,
                cluster: ClusterVersion | None = None, prefer_namespace: str | None = None) -> ReadInputs:
    """Read the files named in ``files`` (see ``FILE_OPTIONS``); ``name`` picks the DaemonSet.

    A manifest ``ds/NAME`` is read from a live cluster (``rollsim.io.live``) with the
    ``live`` settings (``context``, ``kubeconfig``, ``namespace``, ``calibrate``), and so
    are the nodes unless a node list or pools are given; with ``live`` settings and no
    node list, a context or kubeconfig named means the nodes come from the cluster too, unless a
    node count is given (``node_count``: ``--nodes``, ``cluster.nodes``), which then wins: a
    what-if on identical nodes, with the live DaemonSet. A context named beside inputs that need
    no cluster is asked for its version alone later, by ``versioned`` (after the files, whose
    errors come first). ``cluster``: the command's named cluster, whose version a cluster read
    asks only when no read before it did (two ``ds/NAME`` sets of an experiment ask once).
    Beside a manifest file, ``live``'s ``namespace`` is ``kubectl apply -n``'s (``load_daemonset``), and
    ``prefer_namespace`` (an experiment's ``daemonset.namespace``) picks one of several DaemonSets named alike.
    File errors are ``ConfigError``s naming their own file and line; a bad
    value of the options themselves is a ``ValueError`` starting with the option's key path.
    """
    node_list = timings = loaded = calibration = None
    source: dict[str, Any] | None = None
    documents: dict[str, str] = {}
    unread: str | None = None
    live = dict(live or {})
    live_nodes = "nodes_file" not in files and "pools" not in files and not node_count
    cluster_named = any(live.get(k) for k in ("context", "kubeconfig"))
    if is_live(files.get("manifest")) or (cluster_named and live_nodes):
        version = None if cluster is None else cluster.asked()
        loaded, node_list, calibration, source, documents = _read_cluster(files, live, live_nodes, version)
        timings = None if calibration is None else calibration.timings()
        unread = source.pop("server_version_error", None)
    if is_live(files.get("manifest")):
        files = {k: v for k, v in files.items() if k not in ("manifest", "strict")}
    if "manifest" in files:
        loaded = _read_manifest(files, name, base_dir, live.get("namespace"), prefer_namespace)
    elif "strict" in files:
        raise InputError(FILE_OPTIONS["strict"], "applies only with a manifest")
    node_list = _read_nodes(files, base_dir, node_list)
    kubelets = () if "nodes_file" not in files else tuple({n.kubelet_version: None for n in node_list
                                                           if n.kubelet_version is not None})
    profile = _read_profile(files, base_dir)
    named = (None if profile is None else "the timing profile on standard input"
             if str(files["timings_file"]) == STDIN else f"timing profile {files['timings_file']}")
    warnings = [] if calibration is None else [f"--calibrate: {w}" for w in calibration.warnings]
    if profile is not None and loaded is not None:
        warnings += _profile_owner(profile.daemonset, loaded, str(named))
    elif profile is not None and profile.daemonset:
        warnings += _no_manifest(profile.daemonset, str(named))
    new_pods, new_pods_from = ((profile.new_pods, named) if profile and profile.new_pods
                               else (calibration.new_pods(), "--calibrate") if calibration else (None, None))
    used = {**(timings or {}), **(profile.timings if profile else {})} if profile or timings is not None else None
    return ReadInputs(loaded, node_list, used, source, unread, cluster_named, timings, kubelets, documents,
                      tuple(warnings), new_pods or None, new_pods_from if new_pods else None)


def versioned(read: ReadInputs, kubernetes_version: Any, cluster: ClusterVersion,
              server_version: bool = False) -> Inputs:
    """``read`` as Kubernetes ``kubernetes_version`` (the options'; None: the cluster's, else the
    default) keeps it: pod-level resources dropped before v1.34 (``LoadedDaemonSet.for_version``).

    A cluster named beside inputs that did not read it is asked its version (``cluster``: at most
    once per command) unless the options set one and ``server_version`` is false; that it cannot
    be reached is a warning, not an error. The options' version spares warning about the cluster's.
    """
    source, unread = read.source, read.unread
    if source is not None:
        cluster.known(source, unread)
    elif read.cluster_named and (kubernetes_version is None or server_version):
        source, unread = cluster.read()
    version, notes = version_notes(source, unread, given=kubernetes_version is not None)
    given = _given_version(kubernetes_version)
    # no version given or read from a cluster: the node list's newest kubelet's, where its kubelets rule out the default
    inferred = None if given or version else kubelets_version(read.kubelets)
    simulated = given or version or (inferred[0] if inferred else DEFAULT_VERSION)
    warnings: list[str] = []
    loaded = read.loaded
    if loaded is not None:
        loaded = loaded.for_version(simulated)
        warnings += loaded.warnings
    named = (f"the {simulated} given" if given else f"{simulated}, the named cluster's version" if version
             else f"the default {simulated}")
    skew = None if inferred else kubelet_skew(simulated, read.kubelets, named)
    warnings += [w for w in (skew, inferred and inferred[1]) if w]
    known = version or (inferred[0] if inferred else None)  # the cluster's, or the one its kubelets allow
    return Inputs(None if loaded is None else loaded.spec, read.node_list, read.timings,
                  (*warnings, *read.warnings, *notes), source, known, unread,
                  None if loaded is None else loaded.namespace_from, read.calibrated, dict(read.documents or {}),
                  read.new_pods, read.new_pods_from)


def _read_cluster(files: dict[str, Any], live: dict[str, Any], nodes: bool,
                  version: Version | None = None) -> tuple[Any, Any, Any, dict[str, Any], dict[str, str]]:
    """The DaemonSet (``ds/NAME``: a ``LoadedDaemonSet``, else None), the nodes (with ``nodes``),
    the calibration of its pods (``Calibration``, with ``--calibrate``), the source of a live cluster (its
    ``version`` as a read before asked it, if one did) and what it gave as files (``LiveInputs.documents``).
    """
    from rollsim.io.live import read_live, read_live_nodes

    if is_live(files.get("manifest")):
        got = read_live(files["manifest"], live.get("namespace"), context=live.get("context"),
                        kubeconfig=live.get("kubeconfig"), strict=bool(files.get("strict", False)),
                        nodes=nodes, calibrate=bool(live.get("calibrate")), version=version)
        return got.daemonset, got.node_list, got.calibration, dict(got.source), dict(got.documents)
    node_list, source, doc = read_live_nodes(context=live.get("context"), kubeconfig=live.get("kubeconfig"),
                                             version=version)
    return None, node_list, None, dict(source), {NODES_DOCUMENT: doc}


def _given_version(value: Any) -> str | None:
    """The version the options set, as a modelled minor; None when unset or not one (the
    scenario's own check then says what is wrong with it).
    """
    try:
        return None if value is None else parse_version(value)
    except ValueError:
        return None


def _read_manifest(files: dict[str, Any], name: str | None, base_dir: Path, namespace: str | None,
                   prefer_namespace: str | None = None) -> Any:
    """The manifest file's DaemonSet, a ``LoadedDaemonSet``; ``namespace`` (``-n``) is
    ``kubectl apply -n``'s: the DaemonSet's when the manifest gives none, refused when it gives another.
    """
    from rollsim.io.manifest import load_daemonset
    from rollsim.spec.labelsyntax import DNS_LABEL_RULE, is_dns_label

    strict = files.get("strict", False)
    if not isinstance(strict, bool):
        raise InputError(FILE_OPTIONS["strict"], f"must be true or false, got {written(strict)}")
    if namespace and not is_dns_label(namespace):  # before the file: it would be blamed for the namespace
        raise ConfigError(f"argument -n/--namespace: invalid namespace {namespace!r}: {DNS_LABEL_RULE}")
    return load_daemonset(_path(files["manifest"], base_dir, FILE_OPTIONS["manifest"]), name=name, strict=strict,
                          namespace=namespace or None, prefer_namespace=prefer_namespace)


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


def _read_profile(files: dict[str, Any], base_dir: Path) -> Any:
    """The timing profile ``timings_file`` names (``rollsim.io.calibrate.TimingProfile``), or None."""
    if "timings_file" not in files:
        return None
    from rollsim.io.calibrate import read_profile

    return read_profile(_path(files["timings_file"], base_dir, FILE_OPTIONS["timings_file"]))


def _profile_owner(measured: str | None, loaded: Any, named: str) -> list[str]:
    """A warning when the profile's pods were another DaemonSet's than the manifest's: its ``source.daemonset``
    (``namespace/name``) against the manifest's name, and its namespace where the manifest gives one.
    """
    if measured is None:
        return []
    spec = loaded.spec
    namespace, _, name = measured.rpartition("/")
    if name == spec.name and (not namespace or loaded.namespace_from == "default" or namespace == spec.namespace):
        return []
    return [f"{named}: measured from the pods of DaemonSet {measured} (its source.daemonset), not "
            f"the manifest's {spec.namespace}/{spec.name}: its timings may not be this DaemonSet's"]


def _no_manifest(measured: str, named: str) -> list[str]:
    """A warning when a profile measured a DaemonSet and no manifest is given: the DaemonSet simulated is the
    built-in example, whose requests, probes and name (a plan's patch) are not the profile's (audit 42).
    """
    from rollsim.spec.scenario import DaemonSetSpec

    return [f"{named}: measured from the pods of DaemonSet {measured}, but no manifest is given: the DaemonSet "
            f"simulated is rollsim's example, {DaemonSetSpec().key} (its requests, probes and name), not "
            f"{measured}: give its manifest (--manifest, daemonset.manifest)"]


_FAILED = {"crashloop": "crash-looping (CrashLoopBackOff)", "pull-error": "failing to pull their image"}


def measured_failures(inputs: Inputs, new_pods_given: bool, plan: bool = False) -> list[str]:
    """A warning when the timings were measured from pods some of which never got going (a profile's ``new_pods``,
    or ``--calibrate``'s pods) and the run gives no ``--new-pods`` (``new_pods_given``): its new pods are healthy.
    ``plan``, which takes no ``--new-pods``, points at ``rollsim simulate`` instead.
    """
    if not inputs.new_pods or new_pods_given:
        return []
    shares = " and ".join(f"{100 * share:g}% {_FAILED.get(kind, kind)}" for kind, share in inputs.new_pods.items())
    flags = " or ".join(f"--new-pods {kind}:{share:g}" for kind, share in inputs.new_pods.items())
    if plan:
        return [f"{inputs.new_pods_from}: of the pods measured, {shares}, which are not in the timings; the plan's "
                f"new pods are all healthy, where each such pod holds its node's update for ever: rollsim simulate "
                f"{flags} shows what they do to a setting"]
    return [f"{inputs.new_pods_from}: of the pods measured, {shares}, which are not in the timings; the run's new "
            f"pods are all healthy: {flags} simulates such pods"]
