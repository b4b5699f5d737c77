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
    """Write ``path`` through a temporary file in the same folder and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the mode a plain open() would
    try:
        with (os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", newline="", encoding="utf-8")) as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically, in UTF-8."""
    write_atomically(path, lambda f: f.write(text))


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` to ``path`` atomically as indented JSON with sorted keys."""
    write_text(path, json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
