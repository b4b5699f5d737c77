"""A kubeconfig file's shape, checked before the ``kubernetes`` client reads it.

The client trusts the file: ``server: 12`` fails inside it with ``'int' object has no attribute
'rstrip'``, ``contexts: 5`` with ``'int' object is not iterable``, a YAML syntax error with a
``ParserError``. kubectl refuses such a file while decoding it (``clientcmd.Load``: a typed
``Config``), so rollsim checks the same types first and says, in one line naming the file, the
line and the key, what is wrong: ``kubeconfig kc:7: clusters[0].cluster.server: must be a string
(the API server's URL), got the number 12``.

Only the fields the client reads are checked; other keys are left alone, as kubectl leaves
extensions alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rollsim.io.manifest.errors import describe
from rollsim.io.yamldoc import ConfigError, Document, load_yaml

__all__ = ["check_kubeconfig"]

_STRING, _BOOLEAN = "a string", "true or false"
# per entry kind (cluster, context, user): the fields of its body that must be strings when given
_STRINGS = {
    "cluster": ("server", "certificate-authority", "certificate-authority-data", "tls-server-name", "proxy-url"),
    "context": ("cluster", "user", "namespace"),
    "user": ("token", "tokenFile", "client-certificate", "client-certificate-data", "client-key",
             "client-key-data", "username", "password"),
}
_WHAT = {"server": "a string (the API server's URL)"}


def check_kubeconfig(file: str) -> None:
    """``ConfigError`` (``kubeconfig FILE:LINE: key.path: rule``) unless ``file`` is a kubeconfig
    whose fields the client reads have the types kubectl requires.
    """
    try:
        _check(load_yaml(file))
    except ConfigError as exc:
        raise _named(exc) from None


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
