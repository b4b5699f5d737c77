"""A named cluster's Kubernetes version: read once per command, and the warnings that say whose rules apply.

The API server's ``GET /version`` (what ``kubectl version`` prints as Server Version) chooses
the controller rules unless the options set a version (``rollsim.spec.versions.cluster_version``),
and tells ``rollsim plan`` whether the cluster can surge at all. A command reads it at most once
(``ClusterVersion``), however many input sets or configurations ask: each read connects again,
running the kubeconfig's credential plugin.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from rollsim.spec.versions import DEFAULT_VERSION, cluster_version

if TYPE_CHECKING:
    from rollsim.io.live import Version

__all__ = ["ClusterVersion", "version_notes"]

_CHOOSE = "--kubernetes-version or controller.kubernetes_version chooses another"
_KEPT = ("context", "server", "server_version")  # a cluster read's source, as a version read alone gives it


class ClusterVersion:
    """The version of the cluster ``live`` names (``context``, ``kubeconfig``), read at most once.

    ``read`` asks the API server (``rollsim.io.live.read_live_version``: one ``GET /version``)
    the first time and gives the same answer after; ``known`` takes the answer of a cluster read
    that asked already (``ds/NAME``, the nodes), and ``asked`` gives it to the next cluster read,
    so that no second request is made.
    """

    def __init__(self, live: Mapping[str, Any] | None = None) -> None:
        self.live = dict(live or {})
        self._answer: tuple[dict[str, Any] | None, str | None] | None = None

    def known(self, source: Mapping[str, Any], unread: str | None) -> None:
        """Remember the version a cluster read gave (its ``source``, and why it has none)."""
        if self._answer is None:
            self._answer = {k: source[k] for k in _KEPT if k in source}, unread

    def asked(self) -> Version | None:
        """The server's version and why it could not be read, once a read has asked the server (a
        cluster read passes it on, ``rollsim.io.live.read_live``, instead of asking again); None
        before, and when the server could not be reached at all.
        """
        source, unread = self._answer or (None, None)
        return None if source is None else (source.get("server_version"), unread)

    def read(self) -> tuple[dict[str, Any] | None, str | None]:
        """The cluster's source (context, server, ``server_version``) and why its version could not
        be read; a cluster that cannot be reached, or a kubeconfig that cannot be read, is a why,
        not an error: a run that asks only the version does not need the cluster.
        """
        if self._answer is None:
            self._answer = _read_version(self.live)
        source, unread = self._answer
        return (None if source is None else dict(source)), unread


def _read_version(live: Mapping[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    from rollsim.io.live import read_live_version
    from rollsim.io.yamldoc import ConfigError

    try:
        source = read_live_version(context=live.get("context"), kubeconfig=live.get("kubeconfig"))
    except ConfigError as exc:
        return None, " ".join(str(exc).split())
    return source, source.pop("server_version_error", None)


def version_notes(source: Mapping[str, Any] | None, unread: str | None, given: bool) -> tuple[str | None, list[str]]:
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
