"""A live cluster in: the DaemonSet, the nodes, and the DaemonSet's pods and events, read from the API.

``--context NAME`` / ``--kubeconfig PATH`` with ``ds/NAME`` read through the ``kubernetes``
client, with read-only calls only (``get`` and ``list``, never a write). Lists are read in
pages (``limit`` and the ``continue`` token, as ``kubectl get --chunk-size`` does) and kept
as raw JSON (``_preload_content=False``): the very documents ``kubectl get -o json``
prints, handed to the same loaders as the files (``rollsim.io.manifest``,
``rollsim.io.nodes``, ``rollsim.io.calibrate``), so validation and eligibility are the
same. Calibration reads the pods the DaemonSet's selector matches and their events, and warns
when those pods started more than an hour before they were listed (``long_running``): their Ready
times may be later transitions that their expired events can no longer show.

Every failure is one line (a ``LiveError``, a ``ConfigError``): a kubeconfig or context
that is not there, a server that cannot be reached, an RBAC denial (403), a DaemonSet
that is not found (404).
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rollsim.io.fileoptions import FILE_OPTIONS
from rollsim.io.kubeconfig import read_kubeconfig
from rollsim.io.yamldoc import ConfigError
from rollsim.spec.labelsyntax import DNS_LABEL_RULE, DNS_SUBDOMAIN_RULE, is_dns_label, is_dns_subdomain

if TYPE_CHECKING:
    import ssl

__all__ = ["DAEMONSET_DOCUMENT", "EVENT_TTL_S", "LiveError", "LiveInputs", "LiveNameError", "NODES_DOCUMENT",
           "PAGE_SIZE", "connect", "label_selector", "list_all", "long_running", "read_live", "read_live_nodes",
           "read_live_version"]

PAGE_SIZE = 500  # kubectl's default --chunk-size
DAEMONSET_DOCUMENT, NODES_DOCUMENT = "daemonset.json", "nodes.json"  # LiveInputs.documents' names
_TIMEOUT = (5, 60)  # connect, read (seconds)
_VERSION_TIMEOUT = (5, 10)  # /version answers at once; a run that only wants the version waits less
_VERSION_RETRIES = 0  # and asks once: at most 5 s to connect and 10 s to read, one request
_RBAC = "rollsim needs get/list on daemonsets, nodes, pods and events"
EVENT_TTL_S = 3600.0  # kube-apiserver --event-ttl's default: events are gone an hour after their last write
Version = tuple[str | None, str | None]  # the server's gitVersion, and why it could not be read


class LiveNameError(ValueError):
    """``ds/NAME`` names no DaemonSet the API server could hold: ``daemonset.manifest: rule`` (as
    ``rollsim.io.inputs.InputError``), which the CLI puts under ``--manifest`` and an experiment
    under its key and line.
    """


class LiveError(ConfigError):
    """The cluster could not be read: one line saying why (``status``: the HTTP status, if any)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Connection:
    """An API client for one kubeconfig context."""

    api_client: Any = field(repr=False)
    context: str
    server: str
    namespace: str

    def where(self) -> str:
        return f"context {self.context!r} ({self.server})"


def _kubeconfig_path(kubeconfig: str | Path | None) -> str:
    """The kubeconfig to read, as kubectl finds it: ``--kubeconfig`` (one file, which must
    exist); else ``$KUBECONFIG``, a list of files separated by ``os.pathsep`` whose empty
    entries and missing files are skipped and whose others are merged, the first file to set
    a value winning (the client's ``KubeConfigMerger`` merges the list returned joined);
    else ``~/.kube/config``.
    """
    import os

    from kubernetes.config.kube_config import KUBE_CONFIG_DEFAULT_LOCATION

    from rollsim.io.outputs import too_long

    if kubeconfig:
        path = str(kubeconfig)
    elif os.environ.get("KUBECONFIG", "").strip(os.pathsep):
        listed = [p for p in os.environ["KUBECONFIG"].split(os.pathsep) if p]
        for p in listed:
            why = too_long(os.path.expanduser(p))
            if why:  # is_file would raise (Python 3.11): said as the rule it breaks
                raise LiveError(f"KUBECONFIG: {p[:20]}... {why}; fix KUBECONFIG")
        found = [p for p in listed if Path(os.path.expanduser(p)).is_file()]
        if not found:
            raise LiveError(f"KUBECONFIG names no file that exists ({', '.join(listed)}); "
                            "give --kubeconfig PATH or fix KUBECONFIG")
        return os.pathsep.join(found)
    else:
        path = os.path.expanduser(KUBE_CONFIG_DEFAULT_LOCATION)
    why = too_long(path)
    if why:
        raise LiveError(f"kubeconfig {path[:20]}...: {why} (give --kubeconfig PATH or set KUBECONFIG)")
    if not Path(path).is_file():
        raise LiveError(f"kubeconfig {path}: no such file (give --kubeconfig PATH or set KUBECONFIG)")
    return path


def connect(context: str | None = None, kubeconfig: str | Path | None = None, retries: int = 1, *,
            check_namespace: bool = False) -> Connection:
    """An API client for ``context`` (default: the kubeconfig's current context), whose requests
    are retried ``retries`` times (urllib3's ``Retry``: a refused connection, a read timeout).

    Each kubeconfig file is read and checked once first (``rollsim.io.kubeconfig``): YAML syntax,
    the types of the fields the client reads and the cluster and user the context names, named
    by file, line and key; with ``check_namespace``, the context's namespace too (one that is
    used: no ``-n``). The client then reads the files itself (it resolves a certificate's
    relative path against the folder of the file that gives it) and runs the user's credential
    plugin, if any.
    """
    import os

    import yaml
    from kubernetes import client, config
    from kubernetes.config.config_exception import ConfigException

    path = _kubeconfig_path(kubeconfig)
    kc = read_kubeconfig([os.path.expanduser(file) for file in path.split(os.pathsep)])
    names = ", ".join(kc.contexts) or "none"
    name = context if context is not None else kc.current_context
    if name is None:
        raise LiveError(f"kubeconfig {path}: " + (f"no current context; give --context (one of {names})"
                                                  if kc.contexts else "defines no context"))
    if name not in kc.contexts:
        raise LiveError(f"kubeconfig {path}: context {name!r} not found (contexts: {names})")
    chosen = kc.context(name)  # its cluster and user are there
    namespace = chosen.get("namespace") or "default"
    if check_namespace:
        _check_namespace(namespace, f"kubeconfig context {name!r}")
    configuration = type.__call__(client.Configuration)  # not a copy of the process-wide default
    configuration.retries = retries  # read by the pool the client makes: set before it is made
    try:
        with _client_logs() as logged:
            api_client = config.new_client_from_config(config_file=path, context=name, persist_config=False,
                                                       client_configuration=configuration)
    except (ConfigException, ValueError, TypeError, OSError, AttributeError, KeyError, yaml.YAMLError) as exc:
        raise LiveError(f"kubeconfig {path}: context {name!r}: {_one_line(exc)}") from None
    plugin = kc.user(chosen.get("user")).get("exec")
    if plugin and logged:
        raise LiveError(f"kubeconfig {path}: context {name!r}: credential plugin {plugin.get('command')}: "
                        f"failed: {_plugin_failure(logged[-1])}")
    return Connection(api_client, name, api_client.configuration.host, namespace)


def _check_namespace(namespace: str, given: str) -> None:
    """Refuse a namespace the API server could not hold (a DNS-1123 label), naming where it was given."""
    if not is_dns_label(namespace):
        raise LiveError(f"{given}: invalid namespace {namespace!r}: {DNS_LABEL_RULE}")


@contextmanager
def _client_logs() -> Iterator[list[str]]:
    """What the ``kubernetes`` client and urllib3 log while the block runs, kept from the user.

    The client's ``kube_config.py`` reports a failing credential plugin (``user.exec``) only
    with ``logging.error`` on the root logger, which configures it (``basicConfig``) when it has
    no handler, so that urllib3's retry warnings would show too, and goes on without
    credentials. Here those records are caught (returned: the plugin's errors, for one line of
    rollsim's own) and dropped, and the root logger has a handler, so it is never configured.
    """
    caught: list[str] = []

    def keep(record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR and record.name == "root":
            caught.append(record.getMessage())
        return False

    root, pool, quiet = logging.getLogger(), logging.getLogger("urllib3.connectionpool"), logging.NullHandler()
    root.addHandler(quiet)
    root.addFilter(keep)
    pool.addFilter(keep)
    try:
        yield caught
    finally:
        pool.removeFilter(keep)
        root.removeFilter(keep)
        root.removeHandler(quiet)


def _plugin_failure(message: str) -> str:
    """A credential plugin's failure as the client logged it, without its ``[Errno 2]`` and the
    command it repeats (``No such file or directory``) or its ``exec:`` prefix.
    """
    message = " ".join(message.split())
    errno = re.fullmatch(r"\[Errno \d+\] (.*?)(?:: '.*')?", message)
    return (errno[1] if errno else message.removeprefix("exec: "))[:300] or "no credentials"


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300] or type(exc).__name__


_TLS_CHECKS = ("the server was reached; check the kubeconfig cluster's certificate-authority-data, "
               "tls-server-name or insecure-skip-tls-verify")


def _verification_failure(exc: BaseException | None) -> ssl.SSLCertVerificationError | None:
    """The certificate verification error inside a connection error (urllib3 wraps it in an
    ``SSLError``, itself in ``MaxRetryError``: by its args or its cause), or None.
    """
    import ssl

    seen: set[int] = set()
    todo: list[Any] = [exc]
    while todo:
        e = todo.pop()
        if not isinstance(e, BaseException) or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, ssl.SSLCertVerificationError):
            return e
        todo += [*e.args, e.__cause__, e.__context__, getattr(e, "reason", None)]
    return None


def _status_message(body: Any) -> str:
    try:
        status = json.loads(body)
    except (TypeError, ValueError):
        return ""
    return str(status.get("message", "")) if isinstance(status, dict) else ""


def _call(conn: Connection, what: str, fn: Callable[..., Any], *, rbac: str = _RBAC,
          timeout: tuple[int, int] = _TIMEOUT, **kwargs: Any) -> Any:
    """Call one read-only API function for raw JSON; failures become one ``LiveError`` line
    (``rbac``: what a 403's line says rollsim needs).
    """
    import urllib3
    from kubernetes.client.exceptions import ApiException

    try:
        with _client_logs():  # a plugin's token refreshed, urllib3's retries: nothing printed
            response = fn(_preload_content=False, _request_timeout=timeout, **kwargs)
        return json.loads(response.data)
    except ApiException as exc:
        message = _status_message(exc.body) or exc.reason or ""
        if exc.status == 403:
            raise LiveError(f"{conn.where()}: forbidden to {what} (RBAC): {message}; {rbac}") from None
        if exc.status == 401:
            raise LiveError(f"{conn.where()}: unauthorized to {what}: the credentials were refused") from None
        if exc.status == 404:
            raise LiveError(f"{conn.where()}: cannot {what}: not found ({message or 'HTTP 404'})") from None
        raise LiveError(f"{conn.where()}: cannot {what}: HTTP {exc.status} {message}".rstrip(), exc.status) from None
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        cause = getattr(exc, "reason", None) or exc
        refused = _verification_failure(cause)
        if refused is not None:  # the server answered; its certificate was not trusted
            raise LiveError(f"{conn.where()}: TLS certificate verification failed "
                            f"({refused.verify_message or _one_line(refused)}): {_TLS_CHECKS}") from None
        raise LiveError(f"{conn.where()}: cannot reach the API server to {what}: {_one_line(cause)}") from None
    except ValueError as exc:
        raise LiveError(f"{conn.where()}: cannot {what}: the answer is not JSON ({_one_line(exc)})") from None


def list_all(conn: Connection, what: str, fn: Callable[..., Any], page_size: int = PAGE_SIZE,
             **kwargs: Any) -> dict[str, Any]:
    """Every item of a list call, page by page (``limit`` and ``continue``), as one List document.

    A ``continue`` token that expired (410 Gone, after about five minutes between pages)
    starts the list again, once, as client-go's pager falls back to a fresh list.
    """
    items: list[Any] = []
    token: str | None = None
    first: dict[str, Any] | None = None
    restarted = False
    while True:
        try:
            more: dict[str, Any] = {"_continue": token} if token else {}
            page = _call(conn, what, fn, limit=page_size, **more, **kwargs)
        except LiveError as exc:
            if exc.status != 410 or not token or restarted:
                raise
            items, token, first, restarted = [], None, None, True
            continue
        if not isinstance(page, dict) or not isinstance(page.get("items", []), list):
            raise LiveError(f"{conn.where()}: cannot {what}: the answer is not a list")
        first = first or page
        items += page.get("items") or []
        token = (page.get("metadata") or {}).get("continue")
        if not token:
            break
    return {"apiVersion": first.get("apiVersion", "v1"), "kind": first.get("kind", "List"),
            "metadata": {"resourceVersion": (first.get("metadata") or {}).get("resourceVersion", "")},
            "items": items}


def label_selector(selector: Mapping[str, Any] | None) -> str:
    """A ``metav1.LabelSelector`` as the ``labelSelector`` query string (``LabelSelectorAsSelector``)."""
    selector = selector or {}
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for e in selector.get("matchExpressions") or []:
        key, op, values = e.get("key"), e.get("operator"), sorted(e.get("values") or [])
        if op == "In":
            parts.append(f"{key} in ({','.join(values)})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(values)})")
        elif op == "Exists":
            parts.append(str(key))
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts)


@dataclass(frozen=True)
class LiveInputs:
    """What the cluster said: the DaemonSet (as ``load_daemonset`` reads it), nodes, timings."""

    daemonset: Any  # rollsim.io.manifest.LoadedDaemonSet
    node_list: tuple[Any, ...] | None
    calibration: Any = None  # rollsim.io.calibrate.Calibration
    source: dict[str, Any] = field(default_factory=dict)
    # the objects as the API server gave them, as files ``--manifest`` and ``--nodes-file`` read
    # (``daemonset.json``, ``nodes.json``): what a plan folder keeps to be replayed (``rollsim.plan.files``)
    documents: dict[str, str] = field(default_factory=dict)

    @property
    def timings(self) -> dict[str, str] | None:
        """Profile timings from the cluster's calibration, or None without one."""
        return None if self.calibration is None else self.calibration.timings()


def _server_version(conn: Connection) -> Version:
    """The API server's ``gitVersion`` (``GET /version``, ``kubectl version``'s "Server Version"),
    or None when it cannot be read (a server may refuse it), and why (one line, for the warning
    that the default applies): the version decides which controller rules apply
    (``rollsim.spec.versions.cluster_version``), not whether the inputs can be read.
    """
    from kubernetes import client

    try:
        info = _call(conn, "get the server version (GET /version)", client.VersionApi(conn.api_client).get_code,
                     rbac="by default the role system:public-info-viewer grants it to everyone",
                     timeout=_VERSION_TIMEOUT)
    except LiveError as exc:
        return None, str(exc)
    version = info.get("gitVersion") if isinstance(info, dict) else None
    if isinstance(version, str) and version:
        return version, None
    return None, f"{conn.where()}: GET /version gave no gitVersion"


def read_live(name: str, namespace: str | None = None, *, context: str | None = None,
              kubeconfig: str | Path | None = None, strict: bool = False, nodes: bool = True,
              calibrate: bool = False, page_size: int = PAGE_SIZE, version: Version | None = None) -> LiveInputs:
    """Read DaemonSet ``name`` (``ds/NAME`` also accepted), the nodes and, with ``calibrate``, fit timings.

    A name or namespace the API server could not hold is refused before any call and before a
    credential plugin runs (``_daemonset_name``; ``-n`` before the kubeconfig is read, the
    context's namespace as soon as it is). ``version``: the server's version and why it could not
    be read, when a read before this one asked (``ClusterVersion.asked``); GET /version is not asked again.
    """
    from kubernetes import client

    from rollsim.io.manifest import load_daemonset_text

    name = _daemonset_name(name)
    if namespace:
        _check_namespace(namespace, "argument -n/--namespace")
    conn = connect(context, kubeconfig, check_namespace=not namespace)
    ns = namespace or conn.namespace
    apps, core = client.AppsV1Api(conn.api_client), client.CoreV1Api(conn.api_client)
    ds = _call(conn, f"get daemonset {ns}/{name}", apps.read_namespaced_daemon_set, name=name, namespace=ns)
    where = f"{conn.context}:ds/{ns}/{name}"
    documents = {DAEMONSET_DOCUMENT: json.dumps(ds, indent=2)}
    loaded = load_daemonset_text(documents[DAEMONSET_DOCUMENT], where, strict=strict)
    node_list = None
    if nodes:
        from rollsim.io.nodes import nodes_from_document

        nodes_doc = list_all(conn, "list nodes", core.list_node, page_size)
        node_list = nodes_from_document(nodes_doc, f"{conn.context}:nodes")
        documents[NODES_DOCUMENT] = json.dumps(nodes_doc)
    calibration = None
    if calibrate:
        from rollsim.io.calibrate import calibrate_documents

        selector = label_selector((ds.get("spec") or {}).get("selector"))
        pods = list_all(conn, f"list pods in {ns}", core.list_namespaced_pod, page_size, namespace=ns,
                        label_selector=selector)
        pods["items"] = [p for p in pods["items"] if _owned_by(p, ds)]
        names = {(p.get("metadata") or {}).get("name") for p in pods["items"]}
        events = list_all(conn, f"list events in {ns}", core.list_namespaced_event, page_size, namespace=ns,
                          field_selector="involvedObject.kind=Pod")
        events["items"] = [e for e in events["items"] if (e.get("involvedObject") or {}).get("name") in names]
        calibration = calibrate_documents(pods, events, f"{conn.context}:pods/{ns}/{selector}",
                                          f"{conn.context}:events/{ns}")
        aged = long_running(pods, time.time())
        if aged:
            calibration = replace(calibration, warnings=(*calibration.warnings, aged))
    source = {**_source(conn, version), "daemonset": f"{ns}/{name}",
              "daemonset_resource_version": (ds.get("metadata") or {}).get("resourceVersion"),
              "daemonset_status": _status_counts(ds), **({"nodes_from_cluster": True} if nodes else {})}
    return LiveInputs(loaded, node_list, calibration, source, documents)


_STATUS_COUNTS = ("desiredNumberScheduled", "numberAvailable", "updatedNumberScheduled", "observedGeneration")


def _status_counts(ds: Mapping[str, Any]) -> dict[str, int]:
    """The counts of the DaemonSet's status its controller last wrote (``updateDaemonSetStatus``) that a
    run from it is held against (``rollsim.io.inputs.live_status_notes``), and its ``metadata.generation``.
    """
    status, meta = ds.get("status") or {}, ds.get("metadata") or {}
    counts = {key: status.get(key) for key in _STATUS_COUNTS} | {"generation": meta.get("generation")}
    return {k: v for k, v in counts.items() if isinstance(v, int) and not isinstance(v, bool)}


def _daemonset_name(manifest: str) -> str:
    """The name in ``ds/NAME`` (``daemonset/NAME``, ``daemonsets/NAME``, or a bare name), checked before
    any call: an empty name would list the namespace's DaemonSets (``GET .../daemonsets/``), a
    ``NS/NAME`` lost its namespace, and a name that is not a DNS subdomain is one the API server
    cannot hold (``LiveNameError``).
    """
    key = FILE_OPTIONS["manifest"]  # the CLI names its flag, an experiment its key and line
    kind, slash, name = manifest.partition("/")
    if not slash or kind not in ("ds", "daemonset", "daemonsets"):
        kind, name = "ds", manifest
    if not name:
        raise LiveNameError(f"{key}: {manifest!r} names no DaemonSet (nothing after {kind}/); give ds/NAME")
    if "/" in name:
        raise LiveNameError(f"{key}: {manifest!r}{_slash_hint(name)}")
    if not is_dns_subdomain(name):
        raise LiveNameError(f"{key}: {manifest!r}: invalid DaemonSet name {name!r}: {DNS_SUBDOMAIN_RULE}")
    return name


def _slash_hint(name: str) -> str:
    """Why ``NS/NAME`` after ``ds/`` is refused (to follow the name as given) and what to give:
    ``ds/NAME -n NS`` where the part before the last '/' is a namespace the API server could hold
    (not for ``ds//x`` or ``ds/a/b/c``); ``ds/NS/`` names no DaemonSet.
    """
    namespace, _, rest = name.rpartition("/")
    flag = f" -n {namespace}" if is_dns_label(namespace) else ""
    if not rest:
        return f" names no DaemonSet (nothing after its last '/'); give ds/NAME{flag}"
    if flag:
        return f": a DaemonSet name has no '/'; give the namespace with -n/--namespace (ds/{rest}{flag})"
    return f": a DaemonSet name has no '/'; give ds/{rest} (and its namespace with -n/--namespace)"


def read_live_nodes(*, context: str | None = None, kubeconfig: str | Path | None = None, page_size: int = PAGE_SIZE,
                    version: Version | None = None) -> tuple[tuple[Any, ...], dict[str, Any], str]:
    """The cluster's nodes (``kubectl get nodes -o json``), as ``load_nodes`` reads them, where
    they came from (context, server and its version, as ``LiveInputs.source``; ``version`` as
    ``read_live`` takes it), and the node list as the server gave it (JSON, as ``LiveInputs.documents``).
    """
    from kubernetes import client

    from rollsim.io.nodes import nodes_from_document

    conn = connect(context, kubeconfig)
    core = client.CoreV1Api(conn.api_client)
    doc = list_all(conn, "list nodes", core.list_node, page_size)
    return nodes_from_document(doc, f"{conn.context}:nodes"), _source(conn, version), json.dumps(doc)


def read_live_version(*, context: str | None = None, kubeconfig: str | Path | None = None) -> dict[str, Any]:
    """The cluster's version alone (``GET /version``), where it comes from, as ``LiveInputs.source``:
    for a context named beside inputs that need no cluster (a node count or list, a local manifest).
    One request, not retried (the run does not need the cluster): at most 5 s to connect, 10 s to read.
    """
    return _source(connect(context, kubeconfig, retries=_VERSION_RETRIES))


def _source(conn: Connection, known: Version | None = None) -> dict[str, Any]:
    """Where live inputs came from: the context, the server and its version (and, when the
    version could not be read, ``server_version_error``: why, for the caller's warning), asked
    of the server unless a read before asked already (``known``).
    """
    version, why = _server_version(conn) if known is None else known
    return {"context": conn.context, "server": conn.server, "server_version": version,
            **({"server_version_error": why} if why else {})}


def _owned_by(pod: Mapping[str, Any], ds: Mapping[str, Any]) -> bool:
    """The pod's controller is this DaemonSet (``metav1.IsControlledBy``), by uid when both have one."""
    uid = (ds.get("metadata") or {}).get("uid")
    refs = (pod.get("metadata") or {}).get("ownerReferences") or []
    owner = next((r for r in refs if r.get("controller")), None)
    if owner is None:
        return False
    if uid and owner.get("uid"):
        return owner["uid"] == uid
    return owner.get("kind") == "DaemonSet" and owner.get("name") == (ds.get("metadata") or {}).get("name")


def _age(seconds: float) -> str:
    hours = seconds / 3600
    return f"{hours:.0f} h" if hours < 48 else f"{hours / 24:.0f} days"


def long_running(pods: Mapping[str, Any], now: float) -> str | None:
    """A warning when pods listed for ``--calibrate`` started more than ``EVENT_TTL_S`` before ``now``: a pod's
    Ready time is the last transition of its Ready condition (``readiness``: a readiness flap, a node outage or
    a kubelet restart moves it), and their start-up events are gone, so a later transition cannot be told from
    a slow first readiness. The DaemonSet's current pods are what a live cluster lists, days after a rollout.
    """
    from rollsim.io.calibrate import parse_time

    starts = []
    for pod in pods.get("items") or []:
        statuses = ((pod.get("status") or {}).get("containerStatuses") or []) if isinstance(pod, dict) else []
        times = [parse_time(((cs.get("state") or {}).get("running") or {}).get("startedAt"))
                 for cs in statuses if isinstance(cs, dict)]
        known = [t[0] for t in times if t is not None]
        if known:
            starts.append(max(known))
    old = [now - t for t in starts if now - t > EVENT_TTL_S]
    if not old:
        return None
    return (f"{len(old)} of the {len(starts)} running pods started more than an hour before they were listed (the "
            f"oldest {_age(max(old))} ago): a pod's Ready time is its Ready condition's last transition (a readiness "
            "flap, node outage or kubelet restart moves it) and their start-up events are gone, so the calibrated "
            "ready may hold later transitions; calibrate within an hour of a rollout")
