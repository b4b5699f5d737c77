"""A kubeconfig file's shape, checked before the ``kubernetes`` client reads it.

The client trusts the file: ``server: 12`` fails inside it with ``'int' object has no attribute
'rstrip'``, ``contexts: 5`` with ``'int' object is not iterable``, a YAML syntax error with a
``ParserError``. kubectl refuses such a file while decoding it (``clientcmd.Load``: a typed
``Config``), so rollsim checks the same types first and says, in one line naming the file, the
line and the key, what is wrong: ``kubeconfig kc:7: clusters[0].cluster.server: must be a string
(the API server's URL), got the number 12``.

Only the fields the client reads are checked; other keys are left alone, as kubectl leaves
extensions alone. Each file is read and parsed once (``read_kubeconfig``): what was read gives
the contexts, the current context and the clusters and users a context names, so that a context
whose cluster or user is not there is one such line too, before the client is asked for it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rollsim.io.manifest.errors import describe
from rollsim.io.yamldoc import ConfigError, Document, load_yaml

__all__ = ["Kubeconfig", "read_kubeconfig"]

_STRING, _BOOLEAN = "a string", "true or false"
# per entry kind (cluster, context, user): the fields of its body that must be strings when given
_STRINGS = {
    "cluster": ("server", "certificate-authority", "certificate-authority-data", "tls-server-name", "proxy-url"),
    "context": ("cluster", "user", "namespace"),
    "user": ("token", "tokenFile", "client-certificate", "client-certificate-data", "client-key",
             "client-key-data", "username", "password"),
}
_WHAT = {"server": "a string (the API server's URL)"}


@dataclass(frozen=True)
class Kubeconfig:
    """The kubeconfig files kubectl would read, merged as it merges them: a cluster, context or
    user is the first file's that names it, and so is the current context (the Python client's
    merger keeps the last file's current context, so rollsim does not ask it).
    """

    contexts: Mapping[str, tuple[Document, int]]  # name -> its file and its index in that file's contexts
    clusters: tuple[str, ...]
    users: tuple[str, ...]
    current_context: str | None

    def context(self, name: str) -> dict[str, Any]:
        """The body of context ``name`` (its cluster, user and namespace), checked: ``ConfigError``
        naming the file, the line and the context when the cluster or the user it names is not
        defined (``validateContext``'s ``cluster "x" was not found for context "y"``). A context
        without a user is left to the client, which connects without credentials.
        """
        doc, i = self.contexts[name]
        body = doc.data["contexts"][i].get("context") or {}
        at = f"contexts[{i}].context"
        cluster, user = body.get("cluster"), body.get("user")
        if not cluster:
            raise _named(doc.error(at, f"context {name!r} names no cluster (clusters: {_listed(self.clusters)})"))
        if cluster not in self.clusters:
            raise _named(doc.error(f"{at}.cluster", f"context {name!r}: cluster {cluster!r} not found (clusters: "
                                                    f"{_listed(self.clusters)})"))
        if user and user not in self.users:
            raise _named(doc.error(f"{at}.user", f"context {name!r}: user {user!r} not found (users: "
                                                 f"{_listed(self.users)})"))
        return body


def read_kubeconfig(files: Sequence[str]) -> Kubeconfig:
    """``files`` (existing kubeconfig files, in kubectl's order) read and checked, each once:
    ``ConfigError`` (``kubeconfig FILE:LINE: key.path: rule``) unless each is a kubeconfig whose
    fields the client reads have the types kubectl requires.
    """
    contexts: dict[str, tuple[Document, int]] = {}
    clusters: dict[str, None] = {}
    users: dict[str, None] = {}
    current = None
    for file in files:
        try:
            doc = load_yaml(file)
            _check(doc)
        except ConfigError as exc:
            raise _named(exc) from None
        for i, entry in enumerate(doc.data.get("contexts") or []):
            contexts.setdefault(entry["name"], (doc, i))
        for kind, names in (("clusters", clusters), ("users", users)):
            names.update((entry["name"], None) for entry in doc.data.get(kind) or [])
        current = current or doc.data.get("current-context") or None
    return Kubeconfig(contexts, tuple(clusters), tuple(users), current)


def _listed(names: Sequence[str]) -> str:
    return ", ".join(names) or "none"


def _named(exc: ConfigError) -> ConfigError:
    return ConfigError(exc.message, exc.path, f"kubeconfig {exc.file}", exc.line)


def _check(doc: Document) -> None:
    data = doc.data
    if not isinstance(data, dict):
        raise doc.error("", f"must be a mapping with clusters, contexts and users (a kubeconfig), got {_kind(data)}")
    _typed(doc, "current-context", data.get("current-context"), _STRING, lambda v: isinstance(v, str))
    for kind in ("cluster", "context", "user"):
        _entries(doc, data, kind)


def _entries(doc: Document, data: dict[str, Any], kind: str) -> None:
    """``clusters``/``contexts``/``users``: a list of ``{name: string, <kind>: mapping}``."""
    key = f"{kind}s"
    entries = data.get(key)
    if entries is None:
        return
    if not isinstance(entries, list):
        raise doc.error(key, f"must be a list of named {key}, got {_kind(entries)}")
    for i, entry in enumerate(entries):
        at = f"{key}[{i}]"
        if not isinstance(entry, dict):
            raise doc.error(at, f"must be a mapping with a name and a {kind}, got {_kind(entry)}")
        name = entry.get("name")
        if not isinstance(name, str) or not name:
            raise doc.error(f"{at}.name" if "name" in entry else at,
                            f"must be a non-empty string (the {kind}'s name), got {_kind(name)}")
        body = entry.get(kind)
        _typed(doc, f"{at}.{kind}", body, "a mapping", lambda v: isinstance(v, dict))
        if not isinstance(body, dict):
            continue
        for field in _STRINGS[kind]:
            _typed(doc, f"{at}.{kind}.{field}", body.get(field), _WHAT.get(field, _STRING),
                   lambda v: isinstance(v, str))
        if kind == "cluster":
            _typed(doc, f"{at}.cluster.insecure-skip-tls-verify", body.get("insecure-skip-tls-verify"), _BOOLEAN,
                   lambda v: isinstance(v, bool))
        elif kind == "user":
            _user(doc, f"{at}.user", body)


def _user(doc: Document, at: str, user: dict[str, Any]) -> None:
    """A user's ``exec`` (command, args, env) and ``auth-provider`` (name, config)."""
    run = user.get("exec")
    _typed(doc, f"{at}.exec", run, "a mapping (command, args, env)", lambda v: isinstance(v, dict))
    if isinstance(run, dict):
        for field in ("command", "apiVersion"):
            _typed(doc, f"{at}.exec.{field}", run.get(field), _STRING, lambda v: isinstance(v, str))
        _typed(doc, f"{at}.exec.args", run.get("args"), "a list of strings",
               lambda v: isinstance(v, list) and all(isinstance(a, str) for a in v))
        _typed(doc, f"{at}.exec.env", run.get("env"), "a list of {name, value} strings",
               lambda v: isinstance(v, list) and all(isinstance(e, dict) and isinstance(e.get("name"), str)
                                                     and isinstance(e.get("value"), str) for e in v))
    provider = user.get("auth-provider")
    _typed(doc, f"{at}.auth-provider", provider, "a mapping (name, config)", lambda v: isinstance(v, dict))
    if isinstance(provider, dict):
        _typed(doc, f"{at}.auth-provider.name", provider.get("name"), _STRING, lambda v: isinstance(v, str))
        _typed(doc, f"{at}.auth-provider.config", provider.get("config"), "a mapping of strings",
               lambda v: isinstance(v, dict) and all(isinstance(x, str) for x in v.values()))


def _typed(doc: Document, at: str, value: Any, what: str, ok: Callable[[Any], bool]) -> None:
    """An absent or null field is left to the client's defaults; any other must be ``what``."""
    if value is not None and not ok(value):
        raise doc.error(at, f"must be {what}, got {_kind(value)}")


def _kind(value: Any) -> str:
    return "nothing" if value is None else describe(value)
