"""How a command prints: its result in the format ``-o`` asks for, and notes unless ``-q``.

``-o json|yaml|wide|name`` renders with ``rollsim.present.console`` (imported when a result
is printed); without ``-o`` a command prints its text, and ``--quiet`` silences it and every
note (a warning, a path written), never an error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["say", "show", "show_paths"]


def say(args: argparse.Namespace, text: str, file: Any = None) -> None:
    """Print a note (a warning, a path written) unless --quiet."""
    if not args.quiet:
        print(text, file=file or sys.stdout)


def show(args: argparse.Namespace, text: str | None = None, data: Any = None, wide: str | None = None,
         names: str | None = None) -> None:
    """Print a command's result in the format ``-o`` asks for (text when none and not --quiet)."""
    from rollsim.present.console import render_data

    fmt = args.output
    if fmt in ("json", "yaml"):
        sys.stdout.write(render_data(data, fmt))
    elif fmt == "wide":
        out = wide if wide is not None else text or ""
        sys.stdout.write(out if out.endswith("\n") else out + "\n")
    elif fmt == "name":
        sys.stdout.write(names or "")
    elif not args.quiet and text is not None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def show_paths(args: argparse.Namespace, key: str, paths: Sequence[Path]) -> None:
    """Print the files a command wrote, one a line (under ``key`` for -o json/yaml)."""
    from rollsim.present.console import paths_wide

    listing = "".join(f"{p}\n" for p in paths)
    show(args, listing, {key: [str(p) for p in paths]}, paths_wide(paths), listing)

