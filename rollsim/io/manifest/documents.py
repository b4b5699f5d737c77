"""The documents of a manifest file, YAML or JSON, read safely with the line of every key.

Syntax errors give line, column and cause; tags other than plain mappings and sequences,
recursive aliases and alias bombs are refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import yaml

from rollsim.io.manifest.errors import ManifestError
from rollsim.io.yamldoc import TOO_DEEP, Budget, ConfigError, SafeLoader, read_text, source_name
from rollsim.spec.limits import LimitError

__all__ = ["Document", "parse_documents", "read_documents"]

# One document: its data, the line of every key path, and its first line.
Document = tuple[Any, dict[str, int], int]

_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
_MERGE_TAG = "tag:yaml.org,2002:merge"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class _Walker:
    """Turns composed YAML nodes into plain data, recording the line of every key path.

    Like ``rollsim.io.yamldoc._walk``, plus: merge keys (``<<``), timestamps kept as the text
    the API server would see, and no endless walks through recursive or exploding aliases.
    """

    def __init__(self, file: str, lines: dict[str, int]) -> None:
        self.file, self.lines, self.loader = file, lines, SafeLoader("")
        self.budget = Budget()

    def fail(self, node: yaml.Node, path: str, message: str) -> ManifestError:
        return ManifestError(message, path, self.file, node.start_mark.line + 1)

    def walk(self, node: yaml.Node, path: str) -> Any:
        refused = self.budget.enter(node)
        if refused:
            raise self.fail(node, path, refused)
        try:
            if isinstance(node, yaml.ScalarNode):
                return node.value if node.tag == _TIMESTAMP_TAG else self.loader.construct_object(node, deep=True)
            if node.tag not in _PLAIN_TAGS:
                raise self.fail(node, path, f"YAML tag {node.tag!r} is not allowed")
            if isinstance(node, yaml.SequenceNode):
                return [self.walk(item, self._item(path, i, item)) for i, item in enumerate(node.value)]
            return self._mapping(cast(yaml.MappingNode, node), path)  # the one node kind left
        finally:
            self.budget.leave(node)

    def _item(self, path: str, i: int, item: yaml.Node) -> str:
        child = f"{path}[{i}]"
        self.lines[child] = item.start_mark.line + 1
        return child

    def _mapping(self, node: yaml.MappingNode, path: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        own: set[str] = set()
        merged: list[dict[str, Any]] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                for src in sources:
                    if not isinstance(src, yaml.MappingNode):
                        raise self.fail(src, path, "a merge key (<<) needs a mapping or a list of mappings")
                    merged.append(self.walk(src, path))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.fail(key_node, path, "a mapping key must be a plain string, not a collection")
            key = str(key_node.value)
            child = f"{path}.{key}" if path else key
            if key in own:
                raise self.fail(key_node, child, f"duplicate key {key!r}")
            own.add(key)
            self.lines[child] = key_node.start_mark.line + 1
            out[key] = self.walk(value_node, child)
        if not merged:
            return out
        combined: dict[str, Any] = {}
        for src in reversed(merged):  # earlier sources win, and the mapping's own keys win over all
            combined.update(src)
        combined.update(out)
        return combined


def _syntax_error(exc: yaml.MarkedYAMLError, text: str, file: str) -> ManifestError:
    mark = exc.problem_mark or exc.context_mark
    cause = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
    line_text = text.splitlines()[mark.line] if mark and mark.line < len(text.splitlines()) else ""
    if "'\\t'" in cause or (mark and line_text[mark.column:mark.column + 1] == "\t"):
        before = line_text[: mark.column] if mark else ""
        if before.strip():
            cause = "a tab character separates values here; YAML allows only spaces there"
        else:
            cause = "a tab character is used for indentation; YAML indentation must use spaces"
    elif "mapping values are not allowed here" in cause:
        cause += " (a value containing ': ' must be quoted, or the indentation is off)"
    elif "expected <block end>" in cause or "could not find expected ':'" in cause:
        cause += " (check the indentation of this line and the one above)"
    column = f" (column {mark.column + 1})" if mark else ""
    return ManifestError(f"YAML syntax error{column}: {cause}", file=file, line=mark.line + 1 if mark else None)


def _parse(text: str, file: str) -> list[Document]:
    """Every document of a YAML (or JSON) text."""
    try:
        roots = list(yaml.compose_all(text, Loader=SafeLoader))
    except yaml.MarkedYAMLError as exc:
        # JSON may be indented with tabs, which YAML refuses; tabs never matter in JSON.
        if "\t" not in text or text.lstrip()[:1] not in ("{", "["):
            raise _syntax_error(exc, text, file) from None
        try:
            roots = list(yaml.compose_all(text.replace("\t", " "), Loader=SafeLoader))
        except yaml.MarkedYAMLError:
            raise _syntax_error(exc, text, file) from None
    docs = []
    for root in roots:
        lines: dict[str, int] = {}
        data = None if root is None else _Walker(file, lines).walk(root, "")
        docs.append((data, lines, 1 if root is None else root.start_mark.line + 1))
    return docs


def _read(path: str | Path, file: str) -> str:
    try:
        return read_text(path)
    except ConfigError as exc:
        raise ManifestError(exc.message, file=file, line=exc.line) from None


def read_documents(path: str | Path) -> list[Document]:
    """Every document of the file at ``path``; any YAML problem is a one-line ``ManifestError``."""
    file = source_name(path)
    return parse_documents(_read(path, file), file)


def parse_documents(text: str, file: str) -> list[Document]:
    """Every document of ``text`` (read from ``file``: a path, or where the text came from)."""
    try:
        return _parse(text, file)
    except yaml.MarkedYAMLError as exc:  # a constructor error while walking (an unknown tag...)
        raise _syntax_error(exc, text, file) from None
    except yaml.reader.ReaderError as exc:
        if not isinstance(exc.character, int):  # pragma: no cover - text is always decoded first
            raise ManifestError(f"YAML error: {exc.reason}", file=file, line=1) from None
        line = text[: exc.position].count("\n") + 1
        raise ManifestError(f"YAML error: the character {chr(exc.character)!r} (code {exc.character:#x}) is not "
                            "allowed in YAML", file=file, line=line) from None
    except yaml.YAMLError as exc:
        raise ManifestError(f"YAML error: {' '.join(str(exc).split())}", file=file, line=1) from None
    except RecursionError:
        raise ManifestError(TOO_DEEP, file=file, line=1) from None
    except ValueError as exc:  # a scalar the safe constructor cannot build (2024-13-45)
        if isinstance(exc, (ConfigError, LimitError)):  # LimitError: a bad ROLLSIM_MAX_YAML_*, no fault of the file
            raise
        raise ManifestError(f"YAML value error: {' '.join(str(exc).split())}", file=file, line=1) from None
