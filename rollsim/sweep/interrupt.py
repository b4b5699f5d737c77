"""SIGTERM does what Ctrl-C does: the finished runs stay saved, the workers go, and the
command exits 130 with one line.

Without it, SIGTERM (``kill``, ``systemctl stop``, a CI job's timeout) would end the process
at once: nothing half-written (files are written whole or not at all), but no line to say
how many runs are saved, and exit status 143 instead of 130.

Two ways in:

- The ``rollsim`` program (``python -m rollsim``, the console script: ``rollsim.__main__``)
  calls ``take_over`` before it imports anything else, so a signal during start-up is an
  interrupt too, and the process ends itself once the ``atexit`` callbacks have run
  (``_exit_last``): Python's own exit puts SIGTERM back to its default action (143,
  silent) while it tears down its modules, which takes up to a second after a sweep. From
  ``take_over`` to the end of the process, SIGINT and SIGTERM raise ``KeyboardInterrupt``
  once (again only if Python swallowed it, in a garbage collector's callback say). One that
  comes while the process already stops (cleaning up after the first) is not raised; once
  ``finishing`` says the command is over, one ends the process at once with exit 130, and
  a line only when none was printed. SIGKILL ends a stop that hangs.
- In a library caller (a notebook, a test), ``terminate_as_interrupt`` turns SIGTERM into
  ``KeyboardInterrupt`` while a block runs, in the main thread and only over the default
  action, so a program that handles SIGTERM itself keeps its own handler; the default
  comes back when the block ends.
"""

from __future__ import annotations

import _thread
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

__all__ = ["terminate_as_interrupt", "take_over", "finishing", "ignore_stop_signals", "cut_short"]

EXITING_LINE = "rollsim: interrupted as it exited; the command had ended (files are written whole or not at all)"
# an interrupt taken whose KeyboardInterrupt something swallowed (a C function that clears the errors of
# the Python code it calls), the command going on to its end: said as it ends (it ended 130 and silent)
FINISHED_LINE = ("rollsim: interrupted, and the command finished anyway (its interrupt was lost on the way); "
                 "files are written whole or not at all")
_STATE: dict[str, bool | int] = {"installed": False, "interrupted": False, "finishing": False, "code": 1,
                                 "signal": signal.SIGTERM, "in_hook": False}
_PREVIOUS_HOOK: list[Any] = [sys.unraisablehook]
_AGAIN_S = 0.005


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _program(signum: int, frame: FrameType | None) -> None:
    """The program's handler, from ``take_over`` to the end of the process."""
    if _STATE["finishing"]:  # the command is done: nothing is left to stop but the exit itself
        if not _STATE["interrupted"]:
            _write_line(EXITING_LINE)
        os._exit(130)
    if _STATE["interrupted"]:  # already stopping: the first interrupt's line will say how it ended
        return
    if _STATE["in_hook"]:  # showing an unraisable error: raising here would lose the interrupt
        _later(signum)
        return
    _STATE["interrupted"], _STATE["signal"] = True, signum
    raise KeyboardInterrupt


def _unraisable(unraisable: Any) -> None:
    """``sys.unraisablehook`` of the program. An interrupt raised where Python cannot pass it on (a
    garbage collector's callback, a ``__del__``: "Exception ignored in ...") is raised again at the
    next opportunity, silently, rather than lost. Once an interrupted command is over, what it cut
    short may fail to close at exit (a Dask cluster stopped as it started: "Exception ignored in
    atexit callback", a traceback); its line said what happened, so that is not shown.
    """
    if _STATE["interrupted"] and isinstance(unraisable.exc_value, KeyboardInterrupt) and not _STATE["finishing"]:
        _STATE["interrupted"] = False
        _later(int(_STATE["signal"]))
        return
    if _STATE["interrupted"] and _STATE["finishing"]:
        return
    _STATE["in_hook"] = True
    try:
        _PREVIOUS_HOOK[0](unraisable)
    finally:
        _STATE["in_hook"] = False


def _later(signum: int) -> None:
    """The handler again in a few milliseconds, out of the callback that swallowed it (a thread
    trips the signal for the main thread: ``_thread.interrupt_main`` there would run it at once).
    """
    timer = threading.Timer(_AGAIN_S, _thread.interrupt_main, (signum,))
    timer.daemon = True
    timer.start()


def _write_line(line: str) -> None:
    try:
        os.write(2, (line + "\n").encode("utf-8", "replace"))
    except OSError:
        pass


def take_over() -> None:
    """SIGINT and SIGTERM raise ``KeyboardInterrupt`` from now to the end of this process (the
    ``rollsim`` program's first step). A signal the process was started ignoring (``nohup``,
    a background job) stays ignored. Registered before any other ``atexit`` callback, so run
    after them all, ``_exit_last`` ends the process once they have run (a pool's, Dask's).
    """
    if threading.current_thread() is not threading.main_thread() or _STATE["installed"]:
        return
    import atexit

    atexit.register(_exit_last)  # all but the handlers first: a signal taken once they are in finds the rest done
    _PREVIOUS_HOOK[0] = sys.unraisablehook
    sys.unraisablehook = _unraisable
    _STATE["installed"] = True
    for sig, default in ((signal.SIGINT, signal.default_int_handler), (signal.SIGTERM, signal.SIG_DFL)):
        if signal.getsignal(sig) in (default, signal.SIG_DFL):
            signal.signal(sig, _program)


def cut_short(exc: BaseException) -> bool:
    """Whether ``exc`` is an interrupt or what one became. A ``KeyboardInterrupt`` raised inside a C
    extension's import is replaced by the extension's own error, without a link to it (numpy:
    ``ImportError: ... Importing the numpy C-extensions failed``); in the ``rollsim`` program a
    signal taken and not yet reported says so. Otherwise an interrupt anywhere in the chain.
    """
    if _STATE["interrupted"] and not _STATE["finishing"]:
        return True
    seen: BaseException | None = exc
    for _ in range(100):  # a chain is short; a cycle is not followed for ever
        if seen is None:
            return False
        if isinstance(seen, KeyboardInterrupt):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def ignore_stop_signals() -> None:
    """SIGINT and SIGTERM ignored: a sweep's worker process (local pool or Dask), which the sweep
    itself stops once it has saved what is finished.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def finishing(code: int | None = None, returned: bool = False) -> None:
    """The command is over, with exit status ``code`` (its result or its one line decided): a
    signal from now on ends the process at once with exit 130, and a line of its own only if
    none was said. A command that returned normally (``returned``, whatever its status: a plan
    with no setting that fits returns 3 with no line; else status 0) although an interrupt was
    taken (its ``KeyboardInterrupt`` swallowed on the way: CI saw a silent exit 130 once) gets its
    line here, ``FINISHED_LINE``. A no-op outside the ``rollsim`` program.
    """
    if _STATE["installed"]:
        # an interrupt taken that reached no handler: the command returned as if none came
        lost = bool(_STATE["interrupted"]) and not _STATE["finishing"] and (returned or code == 0)
        _STATE["finishing"] = True
        if code is not None:
            _STATE["code"] = code
        if lost:  # say it, once: the process exits 130 (``_exit_last``), which without a line was silent
            _write_line(FINISHED_LINE)


def _exit_last() -> None:
    """The last ``atexit`` callback: the streams flushed, end the process with the command's
    status (130 once interrupted), skipping the interpreter's teardown, during which SIGTERM
    would have its default action again (CPython restores it before it destroys the modules).
    """
    _STATE["finishing"] = True
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):  # closed, or the reader left
            pass
    os._exit(130 if _STATE["interrupted"] else int(_STATE["code"]))


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """While the block runs, SIGTERM raises ``KeyboardInterrupt`` in the main thread, as SIGINT does."""
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
