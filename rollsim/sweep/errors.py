"""Why a sweep stopped: errors that leave the finished runs saved (``rollsim run`` exits 1).

They share one base, ``RunError``, so that the command line turns each into one line
and exit code 1 without knowing them one by one.
"""

from __future__ import annotations

__all__ = ["RunError", "ExecutorLost", "FolderBusy"]


class RunError(RuntimeError):
    """A sweep stopped before its end; the runs finished before it are saved."""


class ExecutorLost(RunError):
    """The Dask scheduler, or every Dask worker, went away during a sweep."""


class FolderBusy(RunError):
    """Another ``rollsim run`` holds the results folder's lock."""
