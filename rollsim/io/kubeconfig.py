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
from typing import Any, NamedTuple

from rollsim.io.manifest.errors import describe
from rollsim.io.yamldoc import ConfigError, Document, load_yaml

__all__ = ["Kubeconfig", "read_kubeconfig"]


class _Shape(NamedTuple):
    """What a field must be when given (``what`` in the message, ``ok`` the test), and, for a
    mapping, the shapes of the fields within it, checked in this order.
    """

    what: str
    ok: Callable[[Any], bool]
    fields: Mapping[str, _Shape] = {}


def _is(kind: type) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, kind)


def _strings(*names: str) -> dict[str, _Shape]:
    return dict.fromkeys(names, _STRING)


def _all_strings(values: Any) -> bool:
    return all(isinstance(value, str) for value in values)


_STRING = _Shape("a string", _is(str))
# the body of each kind of entry, as far as the client reads it
_BODIES = {
    "cluster": _Shape("a mapping", _is(dict), {
        "server": _Shape("a string (the API server's URL)", _is(str)),
        **_strings("certificate-authority", "certificate-authority-data", "tls-server-name", "proxy-url"),
        "insecure-skip-tls-verify": _Shape("true or false", _is(bool))}),
    "context": _Shape("a mapping", _is(dict), _strings("cluster", "user", "namespace")),
    "user": _Shape("a mapping", _is(dict), {
        **_strings("token", "tokenFile", "client-certificate", "client-certificate-data", "client-key",
                   "client-key-data", "username", "password"),
        "exec": _Shape("a mapping (command, args, env)", _is(dict), {
            **_strings("command", "apiVersion"),
            "args": _Shape("a list of strings", lambda v: isinstance(v, list) and _all_strings(v)),
            "env": _Shape("a list of {name, value} strings", lambda v: isinstance(v, list) and all(
                isinstance(e, dict) and _all_strings((e.get("name"), e.get("value"))) for e in v))}),
        "auth-provider": _Shape("a mapping (name, config)", _is(dict), {
            **_strings("name"),
            "config": _Shape("a mapping of strings", lambda v: isinstance(v, dict) and _all_strings(v.values()))})}),
}


@dataclass(frozen=True)
class Kubeconfig:
    """The kubeconfig files kubectl would read, merged as it merges them: a cluster, context or
    user is the first file's that names it, and so is the current context (the Python client's
    merger keeps the last file's current context, so rollsim does not ask it).
    """

    contexts: Mapping[str, tuple[Document, int]]  # name -> its file and its index in that file's contexts
    clusters: tuple[str, ...]
    users: Mapping[str, Mapping[str, Any]]  # name -> its body (token, exec, ...)
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
        if not body.get("cluster"):
            raise _named(doc.error(at, f"context {name!r} names no cluster (clusters: {_listed(self.clusters)})"))
        for key, names in (("cluster", self.clusters), ("user", tuple(self.users))):
            if body.get(key) and body[key] not in names:
                raise _named(doc.error(f"{at}.{key}", f"context {name!r}: {key} {body[key]!r} not found ({key}s: "
                                                      f"{_listed(names)})"))
        return body

    def user(self, name: str | None) -> Mapping[str, Any]:
        """The body of user ``name`` (empty when the context names none)."""
        return self.users.get(name or "", {})


def read_kubeconfig(files: Sequence[str]) -> Kubeconfig:
    """``files`` (existing kubeconfig files, in kubectl's order) read and checked, each once:
    ``ConfigError`` (``kubeconfig FILE:LINE: key.path: rule``) unless each is a kubeconfig whose
    fields the client reads have the types kubectl requires.
    """
    contexts: dict[str, tuple[Document, int]] = {}
    clusters: dict[str, None] = {}
    users: dict[str, Mapping[str, Any]] = {}
    current = None
    for file in files:
        try:
            doc = load_yaml(file)
            _check(doc)
        except ConfigError as exc:
            raise _named(exc) from None
        for i, entry in enumerate(doc.data.get("contexts") or []):
            contexts.setdefault(entry["name"], (doc, i))
        clusters.update((entry["name"], None) for entry in doc.data.get("clusters") or [])
        for entry in doc.data.get("users") or []:
            users.setdefault(entry["name"], entry.get("user") or {})
        current = current or doc.data.get("current-context") or None
    return Kubeconfig(contexts, tuple(clusters), users, current)


def _listed(names: Sequence[str]) -> str:
    return ", ".join(names) or "none"


def _named(exc: ConfigError) -> ConfigError:
    return ConfigError(exc.message, exc.path, f"kubeconfig {exc.file}", exc.line)


def _check(doc: Document) -> None:
    data = doc.data
    if not isinstance(data, dict):
        raise doc.error("", f"must be a mapping with clusters, contexts and users (a kubeconfig), got {_kind(data)}")
    _typed(doc, "current-context", data.get("current-context"), _STRING)
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
        _typed(doc, f"{at}.{kind}", entry.get(kind), _BODIES[kind])


def _typed(doc: Document, at: str, value: Any, shape: _Shape) -> None:
    """An absent or null field is left to the client's defaults; any other must be ``shape``,
    and so must the fields within it.
    """
    if value is None:
        return
    if not shape.ok(value):
        raise doc.error(at, f"must be {shape.what}, got {_kind(value)}")
    for field, inner in shape.fields.items():
        _typed(doc, f"{at}.{field}", value.get(field), inner)


def _kind(value: Any) -> str:
    return "nothing" if value is None else describe(value)
