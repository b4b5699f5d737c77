"""Atomic file writes: a temporary file in the same folder, then ``os.replace``.

A reader (or an interrupted run) never sees half a file. A symlink is written through: the
file replaced is its target, and the link stays a link. A path that is not a regular file
(a device such as ``/dev/stdout`` or ``/dev/null``, a FIFO, a socket) has nothing to replace:
it is opened and written in place, and stays what it was.
"""

from __future__ import annotations

import json
import os
import re
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

__all__ = ["is_special", "temporary_of", "write_atomically", "write_text", "write_json"]


_TEMPORARY = re.compile(r"\.(.+)\.[^./]+\.tmp")  # write_atomically's temporary of NAME: .NAME.<random>.tmp


def temporary_of(name: str) -> str | None:
    """The file whose ``write_atomically`` temporary ``name`` is (``.runs.csv.k3j9x_a.tmp`` is
    ``runs.csv``'s), or None: what a write killed midway (SIGKILL skips the cleanup) leaves beside it.
    """
    match = _TEMPORARY.fullmatch(name)
    return match.group(1) if match else None


def write_atomically(path: Path, write: Callable[[IO[Any]], object], binary: bool = False) -> None:
    """Write ``path`` through a temporary file in the same folder and ``os.replace``.

    An ``OSError`` about the temporary file (it could not be made, written, synced, closed or
    renamed) names ``path``, the file the user asked for: the temporary name means nothing to
    them, and an error from writing names no file at all.
    """
    if is_special(path):
        _write_in_place(path, write, binary)
        return
    path = Path(os.path.realpath(path)) if path.is_symlink() else path  # replace the link's target, not the link
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


def is_special(path: Path) -> bool:
    """Whether ``path`` is written in place rather than replaced: it exists, after following
    symlinks, as something other than a regular file or a folder (a character or block device,
    a FIFO, a socket), or it names an open descriptor (``/dev/stdout``, ``/dev/fd/1``), which
    stays the descriptor whatever it leads to, a file the shell redirected into included.
    """
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):  # missing, a dangling link, a loop, an unusable name: nothing to keep
        return False
    return (not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)) or _names_a_descriptor(path)


def _names_a_descriptor(path: Path) -> bool:
    """Whether a link on the way from ``path`` to what it names sits in a ``/proc/<pid>/fd`` folder."""
    link = os.path.abspath(path)
    for _ in range(40):  # the system's own limit on links followed
        if not os.path.islink(link):
            return False
        folder = os.path.dirname(link)
        if re.fullmatch(r"/proc/[^/]+/fd", os.path.realpath(folder)):
            return True
        link = os.path.join(folder, os.readlink(link))
    return False


def _write_in_place(path: Path, write: Callable[[IO[Any]], object], binary: bool) -> None:
    """Open ``path`` itself and write it: ``/dev/stdout`` is a link the system resolves as it
    opens it (to a terminal, a pipe, a file), and a FIFO's reader is waiting on this very node.
    Opened for appending: a device has nothing to truncate, and a file behind ``/dev/stdout``
    (``>> log``) keeps what the shell and earlier commands wrote. No ``fsync``: a pipe or a
    terminal refuses it.
    """
    try:
        with open(path, "ab") if binary else open(path, "a", newline="", encoding="utf-8") as f:
            write(f)
    except OSError as exc:
        raise _naming(exc, path, "") from None


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


def write_text(path: Path, text: str | bytes) -> None:
    """Write ``text`` to ``path`` atomically, in UTF-8; bytes (an input kept as it was read) as they are."""
    write_atomically(path, lambda f: f.write(text), binary=isinstance(text, bytes))


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` to ``path`` atomically as indented JSON with sorted keys."""
    write_text(path, json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
