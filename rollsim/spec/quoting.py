"""How a message quotes a value a user wrote: as YAML, or by its kind, never as Python's repr.

Used by the manifest reader (``rollsim.io.manifest``) and the experiment file's settings
(``rollsim.spec.kinds``, ``rollsim.spec.settings``) alike.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

import yaml

__all__ = ["as_written", "describe", "enumeration", "expected_one_of", "flow", "nearest", "show", "written"]

_LISTED = 100  # characters: an enumeration this long at most is written whole
_FIRST = 60  # else as many of its first names as fit in this many (three at least), and how many more


def show(value: Any) -> str:
    """A value as a message quotes it: strings in quotes (shortened), anything else described."""
    return repr(value if len(value) <= 60 else value[:57] + "...") if isinstance(value, str) else describe(value)


def flow(value: Any) -> str:
    """A value as YAML writes it on one line (``[a, b]``, quoted where YAML needs it), not Python's repr."""
    text = str(yaml.safe_dump(value, default_flow_style=True, width=float("inf"), allow_unicode=True)).strip()
    text = text.removesuffix("\n...")  # a scalar's end-of-document marker
    return text if "\n" not in text else repr(value)  # a key YAML cannot write on one line: messages are one line


def _yaml_only(value: Any) -> bool:
    """Whether Python's repr of ``value`` differs from how YAML writes it."""
    return isinstance(value, (dict, list, bool)) or value is None


def written(value: Any) -> str:
    """A value as a user wrote it: YAML for a mapping, a list, a boolean or null (``{a: 1}``,
    ``true``), else its repr (a string in quotes, a number).
    """
    return flow(value) if _yaml_only(value) else repr(value)


def as_written(message: str, value: Any) -> str:
    """``message`` with Python's repr of ``value`` after ``got`` put back as :func:`written` writes it:
    ``got {a: 1}``, ``got true``, not ``got {'a': 1}``, ``got True`` (the rest of the message, which
    may name a value such as the string ``False``, as it is).
    """
    return message.replace(f"got {value!r}", f"got {flow(value)}") if _yaml_only(value) else message


def describe(value: Any) -> str:
    """A value as a message names its kind: ``a mapping``, ``the number 3``, ``the string 'x'``."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    if isinstance(value, bool) or getattr(getattr(value, "dtype", None), "kind", "") == "b":  # numpy's too
        return f"the boolean {str(bool(value)).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the string {show(value)}"
    if isinstance(value, bytes):
        return "binary data"
    return type(value).__name__


def enumeration(names: Iterable[object]) -> str:
    """``a, b, c``, or for a long list its first few and ``and 12 more``: a message names where and the
    rule whole, and a list of every allowed key (40 of them) would push it past a line.
    """
    items = [str(n) for n in names]
    if len(", ".join(items)) <= _LISTED:
        return ", ".join(items)
    shown = max(3, next(i for i in range(len(items) + 1) if len(", ".join(items[:i + 1])) > _FIRST))
    return f"{', '.join(items[:shown])} and {len(items) - shown} more"


def nearest(given: object, names: Iterable[object]) -> str | None:
    """The one of ``names`` that ``given`` most likely misspells (``nodez`` → ``nodes``), or ``None``."""
    near = difflib.get_close_matches(str(given), [str(n) for n in names], n=1, cutoff=0.8)  # not max_speed: updated
    return near[0] if near else None


def expected_one_of(given: object, names: Iterable[object], more: str = "") -> str:
    """What an unknown key or name should have been: ``did you mean nodes?`` when one is near, else
    ``expected one of a, b, c`` (a long list shortened by :func:`enumeration`, then ``more``, where the
    whole list is: ``; rollsim schema lists them``).
    """
    names = list(names)
    near = nearest(given, names)
    if near is not None:
        return f"did you mean {near}?"
    listed = enumeration(names)
    return f"expected one of {listed}" + (more if listed.endswith(" more") else "")
