"""What went wrong, as one line and an exit code: the one mapping the CLI applies to every exception.

``exit_for(exc)`` is pure, so that every kind of failure can be tested without running a
command. The codes: 2 for bad input (a flag, a file, a damaged results folder, an input
nested too deeply or beyond a limit), 1 for a run that failed (a simulation error, a file
that could not be written, no memory, a bug), 130 for an interrupt.
"""

from __future__ import annotations

import errno

__all__ = ["EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "UsageError", "exit_for", "one_line"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class UsageError(Exception):
    """A bad flag value: the message names the flag and the rule."""


_LINE = 300  # characters in an error line at most
_WORD = 60  # no word is shortened below this


def _fit(text: str) -> str:
    """``text`` within ``_LINE`` characters by shortening its longest words (a deep key path,
    a long value) in their middles, longest first, none below ``_WORD``.
    """
    words = text.split(" ")
    excess = len(text) - _LINE
    for i in sorted(range(len(words)), key=lambda i: -len(words[i])):
        word = words[i]
        if excess <= 0 or len(word) <= _WORD:
            break
        keep = max(_WORD, len(word) - excess) - 3  # characters kept besides the "..."
        words[i] = word[:keep - keep // 2] + "..." + word[len(word) - keep // 2:]
        excess -= len(word) - len(words[i])
    return " ".join(words)


def one_line(exc: BaseException | str) -> str:
    """A message on one line, control characters escaped, at most 300 characters. Its longest
    words are shortened first (``_fit``), so that the rule broken and the variable that moves
    a limit, which follow them, stay in the line; only then is the end cut.
    """
    text = " ".join(str(exc).split()) or type(exc).__name__
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    if len(text) > _LINE:
        text = _fit(text)
    return text if len(text) <= _LINE else text[:_LINE - 3] + "..."


def _os_error(exc: OSError) -> str:
    """``results/x/runs.csv: No space left on device``: the file and the system's reason."""
    names = [str(f) for f in (exc.filename, exc.filename2) if f is not None]
    reason = exc.strerror or one_line(exc)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        reason += " (free some space and run again)"
    return one_line(f"{' -> '.join(names)}: {reason}" if names else reason)


def exit_for(exc: BaseException) -> tuple[str, int] | None:
    """``(line, exit code)`` for ``exc``, or ``None`` when it is not the CLI's to report
    (``SystemExit``, a broken pipe: the caller handles those).
    """
    from rollsim.io.yamldoc import ConfigError
    from rollsim.spec.limits import LimitError
    from rollsim.sweep.errors import Interrupted, RunError
    from rollsim.sweep.executors import ExecutorError
    from rollsim.sweep.results import ResultsError

    if isinstance(exc, ExecutorError) and exc.option:  # a parameter is a flag of the same name
        return f"error: {one_line(f'argument --{exc.option}: {exc.rule}')}", EXIT_USAGE
    if isinstance(exc, (UsageError, ConfigError, ExecutorError, ResultsError, LimitError)):
        return f"error: {one_line(exc)}", EXIT_USAGE
    if isinstance(exc, Interrupted):
        return one_line(exc), EXIT_INTERRUPTED
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted; nothing half-written is left (files are written whole or not at all)", EXIT_INTERRUPTED
    if isinstance(exc, RunError):
        return f"error: {one_line(exc)}", EXIT_FAILED
    if isinstance(exc, (SystemExit, BrokenPipeError)):
        return None
    if isinstance(exc, OSError):
        return f"error: {_os_error(exc)}", EXIT_FAILED
    if isinstance(exc, RecursionError):
        return "error: an input is nested too deeply to read", EXIT_USAGE
    if isinstance(exc, MemoryError):
        return "error: out of memory; use fewer nodes, runs or workers", EXIT_FAILED
    if isinstance(exc, Exception):  # a bug: still one line, and how to see the traceback
        return (f"internal error: {type(exc).__name__}: {one_line(exc)} "
                "(set ROLLSIM_TRACEBACK=1 for the traceback, and please report it)", EXIT_FAILED)
    return None
