"""What went wrong, as one line and an exit code: the one mapping the CLI applies to every exception.

``exit_for(exc)`` is pure, so that every kind of failure can be tested without running a
command. The codes: 2 for bad input (a flag, a file, a damaged results folder, an input
nested too deeply or beyond a limit), 1 for a run that failed (a simulation error, a file
that could not be written, no memory, a bug), 130 for an interrupt. One code is no failure:
``rollsim plan`` returns 3 (``EXIT_NO_FIT``) when no setting fits, its report and files written
as when one does, so that ``rollsim plan ... && kubectl apply ...`` stops there.
"""

from __future__ import annotations

import errno

__all__ = ["EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_NO_FIT", "EXIT_OK", "EXIT_USAGE", "INTERNAL", "PROGRAM",
           "UsageError", "exit_for", "one_line"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
EXIT_NO_FIT = 3  # plan: no setting fits; the plan's report and files are written as before


class UsageError(Exception):
    """A bad flag value: the message names the flag and the rule."""


_LINE = 300  # characters in an error line at most, the program's name included
PROGRAM = "rollsim: "  # what the CLI prints before each line of exit_for
_WORD = 60  # no word is shortened below this, unless the asides' shortening was not enough
_SHORT_WORD = 24  # then none below this
_WHERE = 8  # words at most in where a message is (``FILE:LINE: key.path:``), never shortened before the rest
_ASIDE = 40  # nor an aside in parentheses (a list of nodes, examples) below this
_GAP = " ... "
_SNAP = 12  # characters of a word an aside's cut may drop to fall between words


INTERNAL = "internal error: "  # how a bug's line starts: only it shows a traceback with ROLLSIM_TRACEBACK

def _where(words: list[str]) -> int:
    """How many of ``words`` say where: up to the first word after the first that ends with a colon
    (``FILE:LINE: key.path:``, ``argument --flag:``, ``FILE:5: grid.x and variants[0].x (line 9):``),
    within ``_WHERE`` words; 1 (the file or flag) when no colon ends one so early.
    """
    return next((i + 1 for i in range(1, min(len(words), _WHERE)) if words[i].endswith(":")), 1)


def _fit(text: str, room: int, floor: int = _WORD, keep: int = 0) -> str:
    """``text`` within ``room`` characters by shortening its longest words (a long value, an
    example's name) in their middles, longest first, none below ``floor`` characters and none of
    its first ``keep`` words.
    """
    words = text.split(" ")
    excess = len(text) - room
    for i in sorted(range(keep, len(words)), key=lambda i: -len(words[i])):
        word = words[i]
        if excess <= 0 or len(word) <= floor:
            break
        keep = max(floor, len(word) - excess) - 3  # characters kept besides the "..."
        words[i] = word[:keep - keep // 2] + "..." + word[len(word) - keep // 2:]
        excess -= len(word) - len(words[i])
    return " ".join(words)


def _asides(text: str) -> list[tuple[int, int]]:
    """The insides of the outermost parentheses of ``text``, as ``(start, end)`` indexes."""
    spans, depth, start = [], 0, 0
    for i, c in enumerate(text):
        if c == "(":
            depth += 1
            if depth == 1:
                start = i + 1
        elif c == ")" and depth:
            depth -= 1
            if not depth:
                spans.append((start, i))
    return spans


def _middle_out(text: str, keep: int) -> str:
    """``text`` in at most ``keep`` characters and an ellipsis: its start and its end, its middle cut.

    A cut falling inside a word moves out to the space before (or after) it when that drops at
    most ``_SNAP`` more characters; a longer word is cut inside (``node-role.kuber...``), never
    dropped whole: the start of an aside says why (``untolerated taint node-role...``), and
    dropping a long word there lost the one fact needed, though a few characters had to go.
    """
    start, end = keep // 2, len(text) - (keep - keep // 2)
    space = text.rfind(" ", 0, start + 1)
    if space >= 0 and start - space <= _SNAP:
        start = space
    space = text.find(" ", end - 1)
    if space >= 0 and space - end <= _SNAP:
        end = space
    left = " " if text[start:start + 1] == " " or text[start - 1:start] == " " else ""
    right = " " if text[end - 1:end] == " " or text[end:end + 1] == " " else ""
    return text[:start].rstrip() + left + "..." + right + text[end:].lstrip()


def _shorten_asides(text: str, room: int) -> str:
    """``text`` within ``room`` characters by shortening its asides in parentheses (what kept a
    DaemonSet off the nodes, with examples; a node's figures) in their middles, longest first, none
    below ``_ASIDE``: the rule and the way out, outside them, stay whole.
    """
    while len(text) > room:
        spans = [(b - a, a, b) for a, b in _asides(text) if b - a > _ASIDE and "..." not in text[a:b]]
        if not spans:
            return text
        size, a, b = max(spans)
        text = text[:a] + _middle_out(text[a:b], max(_ASIDE, size - (len(text) - room)) - len(_GAP)) + text[b:]
    return text


def one_line(exc: BaseException | str, room: int = _LINE) -> str:
    """A message on one line, control characters escaped, at most ``room`` characters (300). Its
    asides in parentheses (``_shorten_asides``: what kept a DaemonSet off the nodes, the values
    given) are shortened first, then its longest words after where it is (``_fit``: a long value),
    then those words again, further, so that where it is (the file, line and key path, never
    shortened while anything else can be), the rule broken and the fix (the way out, the variable
    that moves a limit) stay in the line; then a key path too long for a line (its file and line
    still whole); only then is its middle cut, its start (where) and end (the fix) kept.
    Messages keep their lists short themselves (``rollsim.spec.quoting.enumeration``): a cut here
    is a last resort.
    """
    text = " ".join(str(exc).split()) or type(exc).__name__
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    if len(text) > room:
        where = _where(text.split(" "))
        text = _fit(_fit(_shorten_asides(text, room), room, keep=where), room, _SHORT_WORD, keep=where)
        deep = _fit(text, room, _SHORT_WORD, keep=1)  # a key path too long for any line: only if that is enough
        text = deep if len(deep) <= room else text
    if len(text) <= room:
        return text
    where = len(" ".join(text.split(" ")[:_where(text.split(" "))]))
    # where it is, and the start of the rule (a long where keeps the rule's first words); the rest for its end
    head = (room - 3) // 2
    if head < where + _ASIDE <= room - 3 - _ASIDE:
        head = where + _ASIDE
    return text[:head] + "..." + text[len(text) - (room - 3 - head):]


def _said(before: str, exc: BaseException | str, after: str = "") -> str:
    """``before``, the message and ``after`` as one line that, printed after ``PROGRAM``, is at most
    300 characters: the message alone gives way.
    """
    return before + one_line(exc, _LINE - len(PROGRAM) - len(before) - len(after)) + after


def _os_error(exc: OSError) -> str:
    """``results/x/runs.csv: No space left on device``: the file and the system's reason."""
    names = [str(f) for f in (exc.filename, exc.filename2) if f is not None]
    reason = exc.strerror or " ".join(str(exc).split())
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        reason += " (free some space and run again)"
    return f"{' -> '.join(names)}: {reason}" if names else reason


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
        return _said("error: ", f"argument --{exc.option}: {exc.rule}"), EXIT_USAGE
    if isinstance(exc, (UsageError, ConfigError, ExecutorError, ResultsError, LimitError)):
        return _said("error: ", exc), EXIT_USAGE
    if isinstance(exc, Interrupted):
        return _said("", exc), EXIT_INTERRUPTED
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted; nothing half-written is left (files are written whole or not at all)", EXIT_INTERRUPTED
    if isinstance(exc, RunError):
        return _said("error: ", exc), EXIT_FAILED
    if isinstance(exc, (SystemExit, BrokenPipeError)):
        return None
    if isinstance(exc, OSError):
        return _said("error: ", _os_error(exc)), EXIT_FAILED
    if isinstance(exc, RecursionError):
        return "error: an input is nested too deeply to read", EXIT_USAGE
    if isinstance(exc, MemoryError):
        return "error: out of memory; use fewer nodes, runs or workers", EXIT_FAILED
    if isinstance(exc, Exception):  # a bug: still one line, and how to see the traceback
        return (_said(f"{INTERNAL}{type(exc).__name__}: ", exc,
                      " (set ROLLSIM_TRACEBACK=1 for the traceback, and please report it)"), EXIT_FAILED)
    return None
