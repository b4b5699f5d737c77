"""SIGTERM during a sweep does what Ctrl-C does: the finished runs stay saved, the workers
go, and ``rollsim run`` exits 130.

Without it, SIGTERM (``kill``, ``systemctl stop``, a CI job's timeout) would end the process
at once: nothing half-written (files are written whole or not at all), but no line to say
how many runs are saved, and exit status 143 instead of 130. The handler is put in place
only in the main thread and only over the default action, so a program that handles
SIGTERM itself keeps its own handler; it is taken away when the sweep ends.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["terminate_as_interrupt"]


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


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
