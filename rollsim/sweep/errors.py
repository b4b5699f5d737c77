"""Why a sweep stopped: errors that leave the finished runs saved (``rollsim run`` exits 1, or
130 on Ctrl-C), in a module that imports nothing heavy, so the command line catches them
without loading pandas or SimPy (``rollsim --help`` and ``--version`` start fast).

They share one base, ``RunError``, so that the command line turns each into one line
and exit code 1 without knowing them one by one.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["RunError", "ExecutorLost", "FolderBusy", "Interrupted", "RunInterrupted"]


class RunError(RuntimeError):
    """A sweep stopped before its end; the runs finished before it are saved."""


class ExecutorLost(RunError):
    """What ran the runs went away during a sweep: the Dask scheduler or every Dask worker, or a local
    worker process (killed by a signal, as the out-of-memory killer does).
    """


class FolderBusy(RunError):
    """Another ``rollsim run``, ``plan``, ``report`` or ``plot`` holds the results folder's lock."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM, with the one line that says what is left (the command line prints it)."""


class RunInterrupted(Interrupted):
    """Ctrl-C during a sweep: the finished runs are saved and a re-run resumes from them. ``line``
    says it where the count alone would mislead (no folder left; every run saved, the report not).
    """

    def __init__(self, out_dir: Path, finished: int, total: int, line: str | None = None) -> None:
        self.out_dir, self.finished, self.total = out_dir, finished, total
        super().__init__(line or f"interrupted: {finished} of {total} runs are saved in {out_dir}; run again to resume")
