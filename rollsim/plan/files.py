"""The plan folder's files, replaced so that an interrupted plan never leaves two plans' files side by side.

A plan writes ``candidates.csv``, the inputs it read from a cluster (``inputs/daemonset.json``,
``inputs/nodes.json``, ``inputs/timings.yaml``: a cluster is read again as it is then, so these are
what repeats its runs) or from standard input (``inputs/stdin-manifest.yaml``,
``inputs/stdin-nodes.yaml`` or ``inputs/stdin-timings.yaml``, byte for byte: a pipe is gone once
read), ``plan.json``, ``figures/*.png``, ``report.md`` and ``report.html``, each
whole (``rollsim.io.atomic``). Written one by one over an earlier plan,
a plan stopped midway would leave its new ``plan.json`` beside the earlier plan's report,
which recommends another setting, perhaps for another cluster. So the earlier plan's files
are removed first, in the reverse of the order they are written, before the first new file
lands: at every instant the folder holds the first few files of one plan, never files of
two. This is what ``rollsim run`` does with its tables and report
(``rollsim.sweep.folder.forget_tables``). Staging the plan in a sibling folder and swapping
it in was the other way: it needs two renames with an instant between them when the folder
is gone, cannot move ``--out-dir .`` (the working directory) or carry over other files the
folder holds, and needs a folder beside ``--out-dir`` that may not be writable; removing
first needs none of that, and loses the earlier plan only to an interrupt in the moment
between its removal and the new ``plan.json`` (writing two small files: the search is over).

An interrupt (Ctrl-C, SIGTERM) while the files are written becomes ``Interrupted`` with a line
that says what the folder then holds. Before ``plan.json`` is saved, what has landed of the new
plan goes too, so the folder holds no plan; after it, the figures and report drawn so far go, so
it holds ``plan.json``, ``candidates.csv`` and its ``inputs/`` alone, from which ``rollsim report DIR``
writes them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

import pandas as pd

from rollsim.io.atomic import write_atomically, write_json
from rollsim.io.live import DAEMONSET_DOCUMENT, NODES_DOCUMENT
from rollsim.present.plan_plots import PLAN_FIGURES
from rollsim.sweep.errors import Interrupted
from rollsim.sweep.folder import PLAN, REPORTS
from rollsim.sweep.interrupt import cut_short

__all__ = ["CANDIDATES", "FIGURES", "INPUTS", "INPUT_FILES", "STDIN_INPUTS", "TIMINGS_INPUT", "plan_files",
           "write_plan_folder"]

CANDIDATES = "candidates.csv"
FIGURES = "figures"
INPUTS = "inputs"
TIMINGS_INPUT = "timings.yaml"  # the timings a --calibrate plan used
# a file option given as standard input (-), by option (rollsim.io.fileoptions): named apart from a cluster's
STDIN_INPUTS = {"manifest": "stdin-manifest.yaml", "nodes_file": "stdin-nodes.yaml",
                "timings_file": "stdin-timings.yaml"}
# what inputs/ may hold, in the order written
INPUT_FILES = (DAEMONSET_DOCUMENT, NODES_DOCUMENT, TIMINGS_INPUT, *STDIN_INPUTS.values())
_SAVED = 2 + len(INPUT_FILES)  # candidates.csv, the inputs and plan.json: the plan itself; the rest is drawn from them


def plan_files(out: Path) -> list[Path]:
    """The files a plan writes in ``out``, in the order it writes them: the plan, then what is drawn from it."""
    return [out / CANDIDATES, *(out / INPUTS / name for name in INPUT_FILES), out / PLAN,
            *(out / FIGURES / f"{name}.png" for name in PLAN_FIGURES), *(out / name for name in REPORTS)]


def _forget(out: Path, keep: int = 0) -> None:
    """Remove the plan files of ``out`` after the first ``keep``, last written first, so that what is
    left is always the start of one plan; and ``figures/`` once that leaves it empty.
    """
    for path in reversed(plan_files(out)[keep:]):
        path.unlink(missing_ok=True)
    for folder in (FIGURES, INPUTS):
        try:
            (out / folder).rmdir()
        except OSError:  # not there, or it holds other files: it stays
            pass


def _inputs_in_order(inputs: Mapping[str, str | bytes] | None) -> list[tuple[str, str | bytes]]:
    """The inputs to keep, in ``INPUT_FILES``' order (the order ``plan_files`` removes them in reverse)."""
    return [(name, inputs[name]) for name in INPUT_FILES if inputs and name in inputs]


def _writer(data: str | bytes) -> Callable[[IO[Any]], object]:
    return lambda f: f.write(data)


def write_plan_folder(out: Path, document: dict[str, Any], candidates: pd.DataFrame,
                      report: bool = True, inputs: Mapping[str, str | bytes] | None = None) -> tuple[Path, Path] | None:
    """Replace the plan in ``out`` by ``document`` (plan.json), ``candidates`` and ``inputs`` (the
    texts of ``INPUT_FILES`` read from a cluster, by name, and the bytes read from standard input),
    then, with ``report``, its figures and report; the report's paths, or None.

    Raises ``Interrupted`` on Ctrl-C or SIGTERM, its line saying what ``out`` then holds.
    """
    created = not out.exists()
    earlier = any(path.is_file() for path in plan_files(out))
    try:
        _forget(out)
        write_atomically(out / CANDIDATES, lambda f: candidates.to_csv(f, index=False))
        for name, text in _inputs_in_order(inputs):
            write_atomically(out / INPUTS / name, _writer(text), binary=isinstance(text, bytes))
        write_json(out / PLAN, document)
    except BaseException as exc:  # an interrupt, or what it became (``cut_short``)
        if not cut_short(exc):
            raise
        _forget(out)
        if created and out.is_dir() and not any(out.iterdir()):
            out.rmdir()
        why = " (the earlier plan there was removed first, not to leave it beside the new one)" if earlier else ""
        raise Interrupted(f"interrupted before the plan was saved; {out} holds no plan{why}; "
                          "run the plan again") from None
    if not report:
        return None
    try:
        from rollsim.present.plan_report import write_plan_report

        return write_plan_report(out)
    except BaseException as exc:
        if not cut_short(exc):
            raise
        _forget(out, keep=_SAVED)
        raise Interrupted(f"interrupted before the plan's report was written: the plan is saved in {out} "
                          f"({PLAN}, {CANDIDATES}{f', {INPUTS}/' if inputs else ''}), without figures or report; "
                          f"rollsim report {out} "
                          "writes them") from None
