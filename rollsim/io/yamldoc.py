"""YAML files read safely with line numbers, and the one error type for bad input files.

Every error names the file, the line and the key path and says which rule was broken
(``experiments/x.yaml:12: scenario.strategy.max_unavailable: must not be greater than
100%``). YAML is loaded with ``SafeLoader`` (``yaml.SafeLoader`` reading plain numbers as go-yaml v2
does, ``rollsim.io.goyaml``): no tags, no code.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import yaml

from rollsim.io.goyaml import INT_TAG, GoYamlNumbers, construct_go_int
from rollsim.spec.limits import LimitError, check_limit, limit

__all__ = ["Budget", "ConfigError", "Document", "DuplicateKeyError", "FastSafeLoader", "STDIN", "SafeLoader",
           "first_duplicate_key", "keeping_stdin", "line_of", "load_yaml", "path_parts", "read_text", "source_name"]

STDIN = "-"  # as a path: read standard input (``kubectl get nodes -o json | rollsim ... --nodes-file -``)


class SafeLoader(GoYamlNumbers, yaml.SafeLoader):
    """The one YAML loader of rollsim's inputs: ``yaml.SafeLoader`` reading plain numbers as go-yaml v2."""


_MERGE_TAG = "tag:yaml.org,2002:merge"
_TEXT_KEYS = frozenset({str})


class DuplicateKeyError(yaml.YAMLError):
    """A mapping names one key twice (``FastSafeLoader``); ``first_duplicate_key`` says where."""


class FastSafeLoader(GoYamlNumbers, getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """``SafeLoader`` parsed by libyaml where PyYAML has it (large node lists): the same values.

    A mapping that names a key twice raises ``DuplicateKeyError`` where PyYAML keeps the last
    value, as the other readers of rollsim's inputs refuse it (``_walk``, the manifest reader) and
    kubectl and the API server do (strict decoding). libyaml composes the nodes and PyYAML builds
    each mapping; a mapping of string keys with as many keys as it has pairs has none twice, so the
    exact rule (on the keys' text, a merge key ``<<`` aside) runs only for the few others: there
    ``1`` and ``'1'`` are two keys of one text, which kubectl reads as one.
    """

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._own_pairs: dict[int, list[tuple[yaml.Node, yaml.Node]]] = {}
        self._plain_tags: dict[str, str] = {}

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        """``GoYamlNumbers.resolve``, remembered per plain scalar's text for this load: a plain
        scalar's tag depends on its text alone (these loaders have no path resolvers), and a node
        list repeats the same texts thousands of times (label keys and values, condition types).
        """
        if kind is yaml.ScalarNode and implicit[0]:
            tag = self._plain_tags.get(value)
            if tag is None:
                tag = self._plain_tags[value] = super().resolve(kind, value, implicit)
            return tag
        return super().resolve(kind, value, implicit)

    def construct_document(self, node: yaml.Node) -> Any:
        """PyYAML's document, built without its generic machinery where it can be
        (``_plain_document``: plain mappings, sequences and scalars, the whole of kubectl's output),
        else by PyYAML: the same values either way, and ``DuplicateKeyError`` for a key named twice.
        """
        try:
            return _plain_document(self, node)
        except _NotPlain:
            return super().construct_document(node)

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        """PyYAML's merge (``<<``), keeping the mapping's own pairs: PyYAML removes the merge keys
        from the list in place, then puts the merged pairs before it in a new one.
        """
        own = node.value
        super().flatten_mapping(node)
        if node.value is not own:
            self._own_pairs[id(node)] = own

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """PyYAML's mapping, refused when it names a key twice."""
        mapping = cast(dict[Any, Any], super().construct_mapping(node, deep=deep))
        pairs: list[tuple[yaml.Node, yaml.Node]] = node.value
        if (len(mapping) != len(pairs) or not _TEXT_KEYS.issuperset(map(type, mapping))) and \
                _names_a_key_twice(self._own_pairs.get(id(node), pairs)):
            raise DuplicateKeyError("a mapping names a key twice")
        return mapping


class _NotPlain(Exception):
    """A document ``_plain_document`` leaves to PyYAML's constructor."""


_STR_TAG, _SEQ_TAG, _MAP_TAG = "tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"
# the scalars built by the loader's own constructors (go-yaml's ints among them); any other tag is left to PyYAML
_SCALAR_TAGS = frozenset({INT_TAG, "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null",
                          "tag:yaml.org,2002:timestamp"})


def _plain_document(loader: FastSafeLoader, root: yaml.Node) -> Any:
    """The value PyYAML's ``construct_document`` gives ``root``, for a document of plain
    collections: string keys only (no merge key ``<<``, no number or collection as a key), no
    explicit tags, no collection reached twice (an alias); raises ``_NotPlain`` otherwise. A
    string is its text, other scalars come from the loader's constructors, and a mapping that
    names a string key twice raises ``DuplicateKeyError``, as ``construct_mapping`` does.
    """
    scalar, sequence, mapping = yaml.ScalarNode, yaml.SequenceNode, yaml.MappingNode
    constructors = {tag: loader.yaml_constructors[tag] for tag in _SCALAR_TAGS}
    seen: set[int] = set()

    def build(node: yaml.Node) -> Any:
        kind = node.__class__
        if kind is scalar:
            if node.tag == _STR_TAG:
                return node.value
            construct = constructors.get(node.tag)
            if construct is None:
                raise _NotPlain
            return construct(loader, node)
        if id(node) in seen:
            raise _NotPlain
        seen.add(id(node))
        if kind is sequence and node.tag == _SEQ_TAG:
            return [build(item) for item in node.value]
        if kind is not mapping or node.tag != _MAP_TAG:
            raise _NotPlain
        out = {}
        for key, value in node.value:
            if key.__class__ is not scalar or key.tag != _STR_TAG:
                raise _NotPlain
            out[key.value] = build(value)
        if len(out) != len(node.value):
            raise DuplicateKeyError("a mapping names a key twice")
        return out

    return build(root)


def _names_a_key_twice(pairs: list[tuple[yaml.Node, yaml.Node]]) -> bool:
    own = [key.value for key, _ in pairs if isinstance(key, yaml.ScalarNode) and key.tag != _MERGE_TAG]
    return len(set(own)) != len(own)


def first_duplicate_key(root: yaml.Node) -> tuple[str, str, int] | None:
    """The first key a mapping names twice in a composed document, in the order the manifest
    reader walks it (``rollsim.io.manifest.documents``), as (key path, key, line); None if none.
    Merge keys (``<<``) may repeat and their sources' keys be overridden. Each collection is
    visited once, so aliases (recursive ones too) cost nothing more.
    """
    return _first_duplicate(root, "", set())


def _first_duplicate(node: yaml.Node, path: str, seen: set[int]) -> tuple[str, str, int] | None:
    if not isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) or id(node) in seen:
        return None
    seen.add(id(node))
    if isinstance(node, yaml.SequenceNode):
        return next(filter(None, (_first_duplicate(item, f"{path}[{i}]", seen)
                                  for i, item in enumerate(node.value))), None)
    own: set[str] = set()
    for key_node, value_node in node.value:
        if key_node.tag == _MERGE_TAG:
            sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            found = next(filter(None, (_first_duplicate(src, path, seen) for src in sources)), None)
        elif isinstance(key_node, yaml.ScalarNode):
            key = str(key_node.value)
            child = f"{path}.{key}" if path else key
            if key in own:
                return child, key, key_node.start_mark.line + 1
            own.add(key)
            found = _first_duplicate(value_node, child, seen)
        else:
            found = None
        if found:
            return found
    return None


for _loader in (SafeLoader, FastSafeLoader):
    _loader.add_constructor(INT_TAG, construct_go_int)


class ConfigError(ValueError):
    """A bad configuration value: where it is and the rule it breaks."""

    def __init__(self, message: str, path: str = "", file: str | None = None, line: int | None = None):
        path = "".join(c if c.isprintable() else repr(c)[1:-1] for c in path)  # keys are user data
        self.message, self.path, self.file, self.line = message, path, file, line
        where = ":".join(str(p) for p in (file, line) if p is not None)
        super().__init__(": ".join(p for p in (where, path, message) if p))


@dataclass(frozen=True)
class Document:
    """A parsed YAML file: its data and the line of every key path (``a.b[2].c``)."""

    data: Any
    file: str
    lines: Mapping[str, int]

    def line(self, path: str) -> int | None:
        """The line of ``path``, or of its nearest enclosing key that has one."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path.rsplit(".", 1)[0] if "." in path else ""
        return None

    def error(self, path: str, message: str) -> ConfigError:
        """A ``ConfigError`` at ``path``, with the line it is on."""
        return ConfigError(message, path, self.file, self.line(path))


_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


class Budget:
    """What one YAML file may cost once its aliases are expanded: values, depth, no cycles.

    Every walker of composed YAML (this module's and the manifest reader's) asks ``enter``
    before it turns a node into data, so an alias bomb, recursive data or a very deep
    nesting is refused at once, with the limit (``rollsim.spec.limits``) in the message.
    """

    def __init__(self) -> None:
        self.values, self.depth = 0, 0
        self.max_values, self.max_depth = limit("yaml_values"), limit("yaml_depth")
        self.active: set[int] = set()

    def enter(self, node: yaml.Node) -> str | None:
        """Count ``node`` and go one level down; the reason to refuse it, or None."""
        self.values += 1
        if self.values > self.max_values:
            return _over("yaml_values", self.values)
        if isinstance(node, yaml.ScalarNode):
            return None
        if id(node) in self.active:
            return "a YAML alias refers to a collection that contains it (recursive data)"
        if self.depth >= self.max_depth:
            return _over("yaml_depth", self.depth + 1)
        self.active.add(id(node))
        self.depth += 1
        return None

    def leave(self, node: yaml.Node) -> None:
        """Go back up one level after ``node``'s children (scalars never went down)."""
        if not isinstance(node, yaml.ScalarNode):
            self.active.discard(id(node))
            self.depth -= 1


def _over(name: str, value: int) -> str:
    try:
        check_limit(name, value)
    except LimitError as exc:
        return str(exc)
    return ""  # pragma: no cover - only called past the limit


TOO_DEEP = "nested too deeply for the YAML parser"


def _walk(node: yaml.Node, path: str, lines: dict[str, int], loader: yaml.SafeLoader, budget: Budget) -> Any:
    refused = budget.enter(node)
    if refused:
        raise ConfigError(refused, path, line=node.start_mark.line + 1)
    try:
        return _walk_node(node, path, lines, loader, budget)
    finally:
        budget.leave(node)


def _walk_node(node: yaml.Node, path: str, lines: dict[str, int], loader: yaml.SafeLoader, budget: Budget) -> Any:
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.tag not in _PLAIN_TAGS:
        raise ConfigError(f"YAML tag {node.tag!r} is not allowed", path, line=node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise ConfigError("a mapping key must be a plain string, not a collection", path,
                                  line=key_node.start_mark.line + 1)
            key = str(key_node.value)
            child = f"{path}.{key}" if path else key
            if key in out:
                raise ConfigError(f"duplicate key {key!r}", child, line=key_node.start_mark.line + 1)
            lines[child] = key_node.start_mark.line + 1
            out[key] = _walk(value_node, child, lines, loader, budget)
        return out
    if isinstance(node, yaml.SequenceNode):
        items = []
        for i, item in enumerate(node.value):
            child = f"{path}[{i}]"
            lines[child] = item.start_mark.line + 1
            items.append(_walk(item, child, lines, loader, budget))
        return items
    return loader.construct_object(node, deep=True)


_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")  # a key, or an [index], of a key path


def path_parts(path: str) -> tuple[str | int, ...]:
    """``items[3].spec.taints[0]`` -> ``("items", 3, "spec", "taints", 0)``: a key path as errors write it."""
    return tuple(int(index) if index else key for key, index in _PART.findall(path))


def line_of(text: str, parts: Sequence[str | int]) -> int | None:
    """The line of the deepest part of the key path ``parts`` present in ``text`` (YAML, or JSON
    read as YAML), for an error found in the data after parsing; None if the text cannot be composed.
    """
    try:
        node = yaml.compose(text, Loader=FastSafeLoader)
    except (yaml.YAMLError, RecursionError, ValueError):
        return None
    line = None if node is None else node.start_mark.line + 1
    for part in parts:
        child = None
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == part:
                    line, child = key.start_mark.line + 1, value
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line


def source_name(path: str | Path) -> str:
    """How errors name an input: its path, or ``<stdin>`` for ``-``."""
    return "<stdin>" if str(path) == STDIN else str(path)


_stdin_kept: ContextVar[list[bytes] | None] = ContextVar("rollsim_stdin_kept", default=None)


@contextmanager
def keeping_stdin() -> Iterator[list[bytes]]:
    """Within the block, standard input's bytes as ``read_text`` reads them (``-``), appended to the
    list it yields: a command that keeps what it read (``rollsim plan``'s ``inputs/``) has them from
    the one read, since a pipe cannot be read twice.
    """
    kept: list[bytes] = []
    token = _stdin_kept.set(kept)
    try:
        yield kept
    finally:
        _stdin_kept.reset(token)


def _read_stdin() -> bytes:
    if sys.stdin is None:  # Python's when its descriptor 0 was closed (``<&-``)
        raise ConfigError("standard input is closed; pipe the file in (... | rollsim ... -)", file="<stdin>")
    if sys.stdin.isatty():
        raise ConfigError("standard input is a terminal; pipe the file in (... | rollsim ... -)", file="<stdin>")
    raw = sys.stdin.buffer.read()
    kept = _stdin_kept.get()
    if kept is not None:
        kept.append(raw)
    return raw


def read_text(path: str | Path) -> str:
    """A file's UTF-8 text (a byte-order mark is dropped), or standard input's for ``-``;
    ``ConfigError`` naming the file, and the line of the first byte that is not UTF-8,
    when it cannot be read as text.
    """
    file = source_name(path)
    try:
        raw = _read_stdin() if str(path) == STDIN else Path(path).read_bytes()
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        if isinstance(exc, ConfigError):
            raise
        raise ConfigError(f"cannot read: {getattr(exc, 'strerror', None) or exc}", file=file) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(f"not UTF-8 text (byte {exc.start + 1} is {raw[exc.start]:#04x})", file=file,
                          line=line) from None


def load_yaml(path: str | Path) -> Document:
    """Read a YAML file (``-``: standard input) safely, keeping the line of every key; errors
    name file and line.
    """
    file = source_name(path)
    text = read_text(path)
    try:
        root = yaml.compose(text, Loader=SafeLoader)
        lines: dict[str, int] = {}
        data = {} if root is None else _walk(root, "", lines, SafeLoader(""), Budget())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        cause = exc.problem or exc.context or "invalid YAML"
        if "\t" in text and mark is not None and "\t" in text.splitlines()[mark.line][: mark.column + 1]:
            cause += " (a tab character is used for indentation; YAML needs spaces)"
        if cause == "but found another document":  # --- between two documents: audit 17's multi-document manifest
            raise ConfigError("holds more than one YAML document (the second starts here) where one is read: "
                              "give one (a Kubernetes manifest of several objects goes to --manifest, which reads "
                              "them)", file=file, line=mark.line + 1 if mark else None) from None
        raise ConfigError(
            f"YAML syntax error: {cause}" + (f" (column {mark.column + 1})" if mark else ""),
            file=file, line=mark.line + 1 if mark else None,
        ) from None
    except ConfigError as exc:
        raise ConfigError(exc.message, exc.path, file, exc.line) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"YAML error: {' '.join(str(exc).split())}", file=file) from None
    except RecursionError:
        raise ConfigError(TOO_DEEP, file=file) from None
    except LimitError:  # a bad ROLLSIM_MAX_YAML_* variable: the variable's fault, not the file's
        raise
    except (ValueError, OverflowError) as exc:  # a scalar the safe constructor cannot build (2024-13-45)
        raise ConfigError(f"YAML value error: {' '.join(str(exc).split())}", file=file) from None
    return Document(data, file, lines)


# section -> its keys, from the option tables (scenario options and file inputs)
