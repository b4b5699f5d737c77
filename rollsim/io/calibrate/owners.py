"""Whose pods a pod list holds: calibrate measures the pods of one DaemonSet.

A list taken by a label selector can hold other pods: ``-l app=fluentd`` also matches an
aggregator Deployment's pods, or those of a second DaemonSet (``fluentd-windows``, whose image
and start-up differ). A pod's controller is the owner reference with ``controller: true``
(``metav1.GetControllerOf``). Pods controlled by another kind are skipped and counted; pods of
several DaemonSets are refused unless ``--daemonset NAME`` picks one (``NAMESPACE/NAME`` where one
name is in two namespaces), since their timings mixed give a profile of neither; a list in which no
pod names a controller (a hand-made one) is used whole.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from rollsim.io.yamldoc import ConfigError

__all__ = ["Owner", "controller_of", "daemonset_pods"]


@dataclass(frozen=True)
class Owner:
    """A pod's controller: its kind, name and (the pod's) namespace."""

    kind: str
    name: str
    namespace: str = ""

    @property
    def key(self) -> str:
        """``namespace/name`` (``cache.MetaNamespaceKeyFunc``), or the name alone without a namespace."""
        return f"{self.namespace}/{self.name}" if self.namespace else self.name


def controller_of(meta: dict) -> Owner | None:
    """The pod's controller, mirroring ``metav1.GetControllerOf``: the owner reference with
    ``controller: true``; None when it has none.
    """
    refs = meta.get("ownerReferences")
    given = meta.get("namespace")
    namespace = given if isinstance(given, str) else ""
    for ref in refs if isinstance(refs, list) else []:
        if isinstance(ref, dict) and ref.get("controller") is True:
            return Owner(str(ref.get("kind") or "?"), str(ref.get("name") or "?"), namespace)
    return None


def _named(counts: Counter, limit: int = 3) -> str:
    """``fluentd 50, node-exporter 50`` (the most first, ``and N more`` past ``limit``)."""
    shown = [f"{name} {n}" for name, n in counts.most_common(limit)]
    more = len(counts) - limit
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _shown(owners: Sequence[Owner]) -> list[str]:
    """The DaemonSets as messages name them: ``namespace/name`` where they are in several namespaces."""
    several = len({o.namespace for o in owners}) > 1
    return [o.key if several else o.name for o in owners]


def _picks(owner: Owner, daemonset: str) -> bool:
    """Whether ``--daemonset`` (``NAME`` or ``NAMESPACE/NAME``) names this DaemonSet."""
    namespace, _, name = daemonset.rpartition("/")
    return owner.name == name and (not namespace or owner.namespace == namespace)


def daemonset_pods(owners: Sequence[Owner | None], daemonset: str | None = None
                   ) -> tuple[list[int], list[str], tuple[str, ...]]:
    """The indexes of the pods to measure, notes on the others, and the DaemonSets measured (``namespace/name``).

    Raises ConfigError (no file: the caller names it) when no pod is a DaemonSet's, when pods of several
    DaemonSets are listed without ``daemonset``, or when ``daemonset`` names none of them.
    """
    if all(o is None for o in owners):
        if daemonset is not None:
            raise ConfigError(f"no pod names its controller (ownerReferences), so none can be told to be DaemonSet "
                              f"{daemonset}'s: leave out --daemonset, or list the pods with kubectl get pods -o json")
        return list(range(len(owners))), [], ()
    others = Counter("no owner" if o is None else f"{o.kind} {o.name}"
                     for o in owners if o is None or o.kind != "DaemonSet")
    found = Counter(o for o in owners if o is not None and o.kind == "DaemonSet")
    if not found:
        raise ConfigError(f"none of the {len(owners)} pods is owned by a DaemonSet (ownerReferences: "
                          f"{_named(others)}); expected kubectl get pods -o json of one DaemonSet's pods")
    shown = dict(zip(found, _shown(list(found))))
    listed = Counter({shown[o]: n for o, n in found.items()})
    if daemonset is not None:
        chosen = [o for o in found if _picks(o, daemonset)]
        if len(chosen) != 1:
            what = "no pod is owned by" if not chosen else "pods of two namespaces are owned by"
            raise ConfigError(f"{what} DaemonSet {daemonset} (the pods' DaemonSets: {_named(listed)}; "
                              f"ownerReferences): give --daemonset {'one of them' if not chosen else 'NAMESPACE/NAME'}")
    elif len(found) > 1:
        raise ConfigError(f"the pods belong to {len(found)} DaemonSets ({_named(listed)}; ownerReferences), whose "
                          "timings mixed are neither's: give --daemonset NAME to measure one")
    else:
        chosen = list(found)
    kept = [i for i, o in enumerate(owners) if o == chosen[0]]
    notes = []
    skipped = len(owners) - len(kept)
    if others:
        n = sum(others.values())
        notes.append(f"{n} pod{'s' if n > 1 else ''} not owned by a DaemonSet skipped (ownerReferences: "
                     f"{_named(others)})")
    if skipped > sum(others.values()):
        rest = Counter({shown[o]: n for o, n in found.items() if o != chosen[0]})
        n = sum(rest.values())
        notes.append(f"{n} pod{'s' if n > 1 else ''} of other DaemonSets skipped (--daemonset {daemonset}; "
                     f"{_named(rest)})")
    return kept, notes, (chosen[0].key,)
