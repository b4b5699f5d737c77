"""Read-only, hashable ``str -> str`` maps (node labels, ``nodeSelector``), kept small.

A cluster of a million nodes holds a million label maps, and the maps of one node pool differ
only in ``kubernetes.io/hostname``, which the kubelet sets to the node's name
(``kubelet_labels``). So a map holds a tuple of its values, with a key index shared by every
map with the same keys; and a map with a hostname label holds only the hostname and a template
shared by every map whose other labels are the same: one small object per node.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TypeVar

__all__ = ["FrozenMap", "frozen_map", "HOSTNAME_LABEL"]

HOSTNAME_LABEL = "kubernetes.io/hostname"
K = TypeVar("K")
V = TypeVar("V")
_MAX_SHARED = 4096  # distinct key sets and templates kept for sharing (a bound, not a limit on maps)
_KEY_INDEXES: dict[tuple[str, ...], dict[str, int]] = {}
_TEMPLATES: dict[tuple[tuple[str, ...], tuple[str, ...]], _Template] = {}


class FrozenMap(Mapping[str, str]):
    """A read-only, hashable copy of a ``str -> str`` mapping, equal to any mapping with the same items."""

    __slots__ = ()

    def _items(self) -> Iterable[tuple[str, str]]:
        raise NotImplementedError

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:  # values are strings: None means missing
            raise KeyError(key)
        return value

    def __eq__(self, other: object) -> bool:
        if other is self:
            return True
        return isinstance(other, Mapping) and dict(self._items()) == dict(other.items())

    def __hash__(self) -> int:
        return hash(frozenset(self._items()))

    def __repr__(self) -> str:
        return repr(dict(self._items()))


class _ValueMap(FrozenMap):
    """Values by position in a shared key index."""

    __slots__ = ("_index", "_values", "_hash")

    def __init__(self, index: dict[str, int], values: tuple[str, ...]) -> None:
        self._index = index
        self._values = values
        self._hash: int | None = None

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        i = self._index.get(key)
        return default if i is None else self._values[i]

    def __contains__(self, key: object) -> bool:
        return key in self._index

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._values)

    def _items(self) -> Iterable[tuple[str, str]]:
        return zip(self._index, self._values)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = super().__hash__()
        return self._hash


class _Template:
    """The labels a pool's nodes share: every value but the hostname's (at ``host_at``)."""

    __slots__ = ("index", "values", "host_at")

    def __init__(self, index: dict[str, int], values: tuple[str, ...], host_at: int) -> None:
        self.index, self.values, self.host_at = index, values, host_at


class _HostMap(FrozenMap):
    """A shared template's labels with this node's hostname."""

    __slots__ = ("_template", "_host")

    def __init__(self, template: _Template, host: str) -> None:
        self._template = template
        self._host = host

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        t = self._template
        i = t.index.get(key)
        if i is None:
            return default
        return self._host if i == t.host_at else t.values[i]

    def __contains__(self, key: object) -> bool:
        return key in self._template.index

    def __iter__(self) -> Iterator[str]:
        return iter(self._template.index)

    def __len__(self) -> int:
        return len(self._template.values)

    def _items(self) -> Iterable[tuple[str, str]]:
        t, host = self._template, self._host
        return ((k, host if i == t.host_at else t.values[i]) for k, i in t.index.items())


def _shared(cache: dict[K, V], key: K, make: Callable[[], V]) -> V:
    """``cache[key]``, made by ``make()`` and kept while the cache is under its bound."""
    value = cache.get(key)
    if value is None:
        value = make()
        if len(cache) < _MAX_SHARED:
            cache[key] = value
    return value


def frozen_map(data: Mapping[str, str], what: str) -> FrozenMap:
    """``data`` as a ``FrozenMap`` (one already frozen is kept: it cannot change); ``what`` names
    the field in the error when a key or value is not a string.
    """
    if isinstance(data, FrozenMap):
        return data
    for k, v in data.items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise ValueError(f"{what} must map str to str, got {k!r}: {v!r}")
    keys, values = tuple(data), tuple(data.values())
    index = _shared(_KEY_INDEXES, keys, lambda: {k: i for i, k in enumerate(keys)})
    host_at = index.get(HOSTNAME_LABEL)
    if host_at is None:
        return _ValueMap(index, values)
    rest = (*values[:host_at], "", *values[host_at + 1:])
    template = _shared(_TEMPLATES, (keys, rest), lambda: _Template(index, rest, host_at))
    return _HostMap(template, values[host_at])
