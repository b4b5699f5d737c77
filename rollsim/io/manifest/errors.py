"""Where a problem in a manifest is, and how it is said: ``file:line: field.path: rule``, one line."""

from __future__ import annotations

import re
from collections.abc import Mapping

from rollsim.io.yamldoc import ConfigError
from rollsim.spec.quoting import describe, flow, show

__all__ = ["ManifestError", "Where", "describe", "flow", "join", "show"]


class ManifestError(ConfigError):
    """A manifest that kubectl or the API server would reject: file, line, field path and rule.

    Always one line: control characters and line breaks in keys or values are escaped.
    """

    def __init__(self, message: str, path: str = "", file: str | None = None, line: int | None = None):
        super().__init__(message.translate(_ESCAPES), path.translate(_ESCAPES), file, line)


_ESCAPES = {c: repr(chr(c))[1:-1] for c in [*range(32), 0x7F, 0x85, 0x2028, 0x2029]}
_LAST_KEY = re.compile(r"(\.[^.\[]*|\[\d+\])$")


class Where:
    """Where one object's fields are: the file, the line of every key path, the object's prefix."""

    def __init__(self, file: str, lines: Mapping[str, int], prefix: str, start: int) -> None:
        self.file, self.lines, self.prefix, self.start = file, lines, prefix, start

    def line(self, at: str) -> int:
        """The line of the key path ``at``, or of its nearest enclosing key that has one."""
        key = join(self.prefix, at)
        while key:
            if key in self.lines:
                return self.lines[key]
            key, found = _LAST_KEY.subn("", key, count=1)
            if not found:
                break
        return self.start

    def error(self, path: str, message: str, at: str | None = None) -> ManifestError:
        """``at`` is the key path of the line when it differs from the displayed field path."""
        return ManifestError(message, path, self.file, self.line(path if at is None else at))


def join(prefix: str, key: str) -> str:
    """A key path one level down: ``spec`` + ``template`` is ``spec.template``, + ``[0]`` is ``spec[0]``."""
    if not prefix or not key:
        return prefix or key
    return prefix + key if key.startswith("[") else f"{prefix}.{key}"
