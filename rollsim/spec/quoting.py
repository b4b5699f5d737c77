"""How a message quotes a value a user wrote: as YAML, or by its kind, never as Python's repr.

Used by the manifest reader (``rollsim.io.manifest``) and the experiment file's settings
(``rollsim.spec.kinds``, ``rollsim.spec.settings``) alike.
"""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["as_written", "describe", "flow", "show", "written"]


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
