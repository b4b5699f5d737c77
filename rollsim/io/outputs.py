"""Where rollsim writes: one function makes and checks every output path.

``output_path`` is the only way a command turns what a user typed (``--timeline``,
``make-nodes -o``, ``calibrate -o``, ``run --out``, an experiment's ``name``) into a
place to write. It refuses, before anything runs, a path that is empty, holds a NUL or
another control character, has a component longer than the filesystem allows, names a
folder where a file is expected (or a file where a folder is), sits in a folder that does
not exist or cannot be written, or is a folder the system will not make (tried, and undone);
and a results folder named after an experiment is always one new component below its base,
never ``.``, ``..`` or a hidden name, so it cannot escape the base or land on it. A symlink
is written through, so its target's folder is the one checked; a device, a FIFO or
``/dev/stdout`` is written in place (``rollsim.io.atomic``), so only it must be writable.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from rollsim.io.atomic import is_special

__all__ = ["NAME_MAX", "folder_name", "output_folder", "output_path", "too_long"]

NAME_MAX = 255  # bytes in one path component (Linux, macOS and Windows filesystems)
PATH_MAX = 4096


def _control(text: str) -> str | None:
    bad = next((c for c in text if ord(c) < 32 or ord(c) == 0x7F), None)
    return None if bad is None else repr(bad)


def too_long(text: str) -> str | None:
    """Why no filesystem can hold the path ``text`` (longer than ``PATH_MAX``, or a component
    longer than ``NAME_MAX``), or None. Asked before the path is looked at: Python 3.11's
    ``Path.exists`` raises ``File name too long`` rather than answering False.
    """
    if len(os.fsencode(text)) > PATH_MAX:  # the bytes the system is given (a name need not be UTF-8)
        return f"must be at most {PATH_MAX} bytes long"
    long = next((p for p in Path(text).parts if len(os.fsencode(p)) > NAME_MAX), None)
    return None if long is None else f"has a component longer than {NAME_MAX} bytes ({long[:20]}...)"


def folder_name(name: object) -> str:
    """``name`` stripped, if it can be a folder of its own: one component, not hidden.

    Raises ``ValueError`` saying why not (``' ..'``, ``'a/b'``, a NUL, 300 characters...).
    """
    if name is None:  # not given (or given empty in YAML: null)
        raise ValueError("is missing: give a non-empty name usable as a folder")
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"must be a non-empty name usable as a folder, got {name!r}")
    stripped = name.strip()
    why = None
    if "/" in stripped or "\\" in stripped:
        why = "one folder, no '/' or '\\'"
    elif stripped.startswith("."):
        why = "not '.', '..' or hidden: no leading '.'"
    elif _control(stripped):
        why = f"no control characters such as {_control(stripped)}"
    elif len(os.fsencode(stripped)) > NAME_MAX:
        why = f"at most {NAME_MAX} bytes, got {len(os.fsencode(stripped))}"
    if why:
        raise ValueError(f"must be a name usable as a folder ({why}), got {name!r}")
    return stripped


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if os.path.lexists(candidate):
            return candidate
    return Path(".")


def output_path(base: str | Path, name: str | None = None, *, folder: bool = False) -> Path:
    """The path to write: ``base``, or the folder ``base/name`` (``name`` checked by ``folder_name``).

    ``folder`` says whether the path is a folder (created later, with its parents) or a
    file (its folder must exist). Raises ``ValueError`` with the rule broken; nothing is
    left created here (a folder's missing parts are made and removed again: ``_try_making``).
    """
    text = os.fspath(base)
    if not text:
        raise ValueError("must not be empty (an empty path would write into the current folder)")
    bad = _control(text)
    if bad:
        raise ValueError(f"must not contain control characters such as {bad}, got {text!r}")
    why = too_long(text)
    if why:
        raise ValueError(why)
    path = Path(text)
    if name is not None:
        path = path / folder_name(name)
        if path.parent != Path(text):  # pragma: no cover - folder_name allows no separator
            raise ValueError(f"{name!r} would leave {text!r}")
        folder = True
    if folder:
        if path.exists() and not path.is_dir():
            raise ValueError(f"{str(path)!r} exists and is not a folder")
        existing = _nearest_existing(path)
        if not existing.is_dir():
            raise ValueError(f"{str(existing)!r} is not a folder, so {str(path)!r} cannot be made")
        if existing != path and os.access(existing, os.W_OK | os.X_OK):
            _try_making(path, existing)
    else:
        if path.is_dir():
            raise ValueError(f"{str(path)!r} is a folder; give a file name")
        if is_special(path):  # a device, a FIFO, /dev/stdout: written in place (rollsim.io.atomic)
            if not os.access(path, os.W_OK):
                raise ValueError(f"{str(path)!r} is not writable")
            return path
        # a symlink is written through: its target is replaced, in the target's folder
        existing = (Path(os.path.realpath(path)) if path.is_symlink() else path).parent
        if existing.exists() and not existing.is_dir():
            raise ValueError(f"{str(existing)!r} is not a folder, so {str(path)!r} cannot be written")
        if not existing.is_dir():
            raise ValueError(f"directory {str(existing)!r} does not exist")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ValueError(f"folder {str(existing)!r} is not writable")
    if not folder:
        _try_writing(path, existing)
    return path


def _try_writing(path: Path, existing: Path) -> None:
    """Make a file in ``existing`` and remove it again, or raise ``ValueError`` with the system's
    reason: a folder that says it is writable can still refuse a new file (``/proc`` to root, a
    read-only filesystem), and the file is written beside its path and moved there (``rollsim.io.atomic``).
    """
    try:
        fd, probe = tempfile.mkstemp(prefix=".rollsim-", suffix=".probe", dir=existing)
    except OSError as exc:
        raise ValueError(f"{str(path)!r} cannot be written in {str(existing)!r}: "
                         f"{exc.strerror or type(exc).__name__}") from None
    os.close(fd)
    os.unlink(probe)


def _try_making(path: Path, existing: Path) -> None:
    """Make the folders from ``existing`` down to ``path`` and remove them again, or raise
    ``ValueError`` with the system's reason: a writable folder can still refuse a new one
    (``/proc``, a full or read-only filesystem), and that is bad input, found before anything runs.
    """
    missing = [p for p in (path, *path.parents) if p != existing and existing in p.parents]
    made: list[Path] = []
    try:
        for folder in reversed(missing):
            folder.mkdir()
            made.append(folder)
    except FileExistsError:  # made meanwhile by someone else: it can be made
        pass
    except OSError as exc:
        raise ValueError(f"folder {str(path)!r} cannot be made in {str(existing)!r}: "
                         f"{exc.strerror or type(exc).__name__}") from None
    finally:
        for folder in reversed(made):
            try:
                folder.rmdir()
            except OSError:  # pragma: no cover - filled meanwhile by someone else: theirs to keep
                break


def output_folder(text: str) -> Path:
    """A folder to write into (``output_path`` with ``folder``): a flag's converter."""
    return output_path(text, folder=True)
