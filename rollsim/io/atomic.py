"""Atomic file writes: a temporary file in the same folder, then ``os.replace``.

A reader (or an interrupted run) never sees half a file.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

__all__ = ["write_atomically", "write_text", "write_json"]


def write_atomically(path: Path, write: Callable[[IO[Any]], object], binary: bool = False) -> None:
    """Write ``path`` through a temporary file in the same folder and ``os.replace``.

    An ``OSError`` about the temporary file (it could not be made, written, synced, closed or
    renamed) names ``path``, the file the user asked for: the temporary name means nothing to
    them, and an error from writing names no file at all.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{path.name}."
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=".tmp")
    except OSError as exc:
        raise _naming(exc, path, prefix) from None
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the mode a plain open() would
    try:
        with (os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", newline="", encoding="utf-8")) as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise _naming(exc, path, prefix) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _naming(exc: OSError, path: Path, prefix: str) -> OSError:
    """``exc`` naming ``path`` where it named the temporary file beside it (``prefix``…``.tmp``)
    or no file at all: a failed ``write``, ``flush``, ``fsync`` or ``close`` (``No space left
    on device``, a quota, an I/O error) names none, yet it is the file that could not be written.
    """
    name = exc.filename
    temporary = isinstance(name, str) and os.path.basename(name).startswith(prefix) and name.endswith(".tmp")
    if name is None or temporary:
        named = OSError(exc.errno, exc.strerror or str(exc) or type(exc).__name__, str(path))
        named.__cause__ = exc.__cause__
        return named
    return exc


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically, in UTF-8."""
    write_atomically(path, lambda f: f.write(text))


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` to ``path`` atomically as indented JSON with sorted keys."""
    write_text(path, json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
