"""The errors of a sweep, in a module that imports nothing heavy: the command line catches
them without loading pandas or SimPy, so ``rollsim --help`` and ``--version`` start fast."""

from __future__ import annotations

from pathlib import Path

__all__ = ["RunError", "RunInterrupted"]


class RunError(RuntimeError):
    """A run raised; the runs finished before it are saved."""


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C during a sweep: the finished runs are saved and a re-run resumes from them."""

    def __init__(self, out_dir: Path, finished: int, total: int) -> None:
        self.out_dir, self.finished, self.total = out_dir, finished, total
        super().__init__(f"interrupted: {finished} of {total} runs are saved in {out_dir}; run again to resume")
