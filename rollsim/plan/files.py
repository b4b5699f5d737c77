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

What a write killed by SIGKILL left (its hidden temporary, ``.report.html.XXXX.tmp``) is removed
with the earlier plan's files (``_remove_debris``).

A folder that is neither empty (or new) nor a plan's is refused before any run
(``check_plan_owned``): removing "the earlier plan's files" from it would remove a user's
``report.md`` or ``plan.json`` of the same names. A plan is marked by the ``plan.json`` rollsim
writes, or, for a plan killed (SIGKILL) before it, by the ``candidates.csv`` rollsim writes first.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from rollsim.io.atomic import temporary_of, write_atomically, write_json, write_text
from rollsim.io.live import DAEMONSET_DOCUMENT, NODES_DOCUMENT
from rollsim.plan.store import RUNS_FILE, is_run_line
from rollsim.present.plan_plots import PLAN_FIGURES
from rollsim.sweep.errors import Interrupted
from rollsim.sweep.folder import LOCK, PLAN, REPORTS
from rollsim.sweep.interrupt import cut_short
from rollsim.sweep.results import ResultsError

__all__ = ["CANDIDATES", "FIGURES", "INPUTS", "INPUT_FILES", "STDIN_INPUTS", "TIMINGS_INPUT", "check_plan_owned",
           "plan_files", "unfinished_plan", "write_plan_folder"]

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


# what rollsim.plan.document.plan_document and candidate_rows write, and a user's files of those names lack
_PLAN_KEYS = ("rollsim", "model_version", "daemonset", "cluster", "constraints", "search", "answer")
_CANDIDATE_HEAD = ("setting", "kind", "count")


def _rollsims_plan(path: Path) -> bool:
    """Whether ``path`` is a plan.json rollsim wrote (a mapping with plan_document's keys)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # ValueError: not JSON, not UTF-8
        return False
    return isinstance(data, dict) and all(key in data for key in _PLAN_KEYS)


def _rollsims_candidates(path: Path) -> bool:
    """Whether ``path`` is a candidates.csv rollsim wrote (its header: setting, kind, count, ..., verdict)."""
    try:
        with path.open(encoding="utf-8") as f:
            header = f.readline().rstrip("\r\n").split(",")
    except (OSError, ValueError):
        return False
    return tuple(header[:len(_CANDIDATE_HEAD)]) == _CANDIDATE_HEAD and header[-1] == "verdict"


def _rollsims_runs(path: Path) -> bool:
    """Whether ``path`` is a runs.jsonl a plan kept: empty, or its first line begun as a run's
    (``is_run_line``: one cut short too); a file that cannot be read is taken as one (the plan goes
    on without keeping runs: ``RunStore.trouble``).
    """
    try:
        with path.open(encoding="utf-8") as f:
            first = f.readline()
    except (OSError, ValueError):
        return True
    return not first or is_run_line(first)


def _debris(out: Path, name: str) -> bool:
    """Whether ``name`` in ``out`` is what a plan may leave without a plan: the lock, a temporary
    file of an atomic write (``.candidates.csv.XXXX.tmp``), an empty ``figures/`` or ``inputs/``,
    the runs a plan stopped during its search kept (``runs.jsonl``: its first line a run's).
    """
    if name == LOCK or temporary_of(name) in (CANDIDATES, PLAN, *REPORTS, RUNS_FILE):
        return True
    path = out / name
    if name == RUNS_FILE:
        return _rollsims_runs(path)
    return name in (FIGURES, INPUTS) and path.is_dir() and not any(path.iterdir())


def unfinished_plan(out: Path) -> str | None:
    """Why ``out`` is a plan that stopped before its ``plan.json`` (what it left, and how to finish
    it), or None when ``out`` holds a plan.json or nothing a plan writes first: ``report`` and
    ``plot`` name such a folder a plan's, not a sweep's.
    """
    if (out / PLAN).exists():
        return None
    left = []
    if (out / CANDIDATES).is_file() and _rollsims_candidates(out / CANDIDATES):
        left.append(f"its {CANDIDATES}")
    runs = (out / RUNS_FILE).is_file() and _rollsims_runs(out / RUNS_FILE)
    if runs:
        left.append(f"its kept runs ({RUNS_FILE})")
    if not left:
        return None
    return (f"a plan that stopped before it finished (no {PLAN}; it left {' and '.join(left)}): run the plan "
            f"again with this --out-dir to finish it{' (the runs it kept are reused)' if runs else ''}")


def check_plan_owned(out: Path) -> None:
    """Refuse a folder that is neither empty (or new) nor a plan's folder: a plan would remove and
    write files of the same names (``report.md``, ``plan.json``) there. A plan's folder holds the
    ``plan.json`` rollsim wrote, or, a plan killed before it, the ``candidates.csv`` rollsim writes
    first (and none of the files a plan writes after its plan.json), or only the runs its plans kept
    (``runs.jsonl``); files of the user's of other names may sit beside either, and stay.
    """
    if not out.is_dir():
        return
    if (out / RUNS_FILE).exists() and not _rollsims_runs(out / RUNS_FILE):  # a user's, whatever else is there
        raise ResultsError(f"{out / RUNS_FILE} is not the runs a plan keeps (its first line is not one): rollsim "
                           "plan keeps its runs in that file; give --out-dir another folder, or move the file")
    if (out / PLAN).is_file() and _rollsims_plan(out / PLAN):
        return
    theirs = sorted(p.name for p in out.iterdir() if not _debris(out, p.name))
    if PLAN not in theirs and (out / CANDIDATES).is_file() and _rollsims_candidates(out / CANDIDATES):
        drawn = [p for p in plan_files(out)[_SAVED:] if p.exists()]  # drawn from a plan.json that is not there
        theirs = sorted(str(p.relative_to(out)) for p in drawn)
    if not theirs:
        return
    shown = ", ".join(theirs[:3]) + (f" and {len(theirs) - 3} more" if len(theirs) > 3 else "")
    why = f"its {PLAN} is not one rollsim wrote" if PLAN in theirs else "it holds no rollsim plan"
    where = out if out.name else out.absolute()  # "." names nothing
    raise ResultsError(f"{where} is not empty ({shown}) and {why}: rollsim plan would write its files among "
                       "those; give --out-dir a new or empty folder")


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


def _remove_debris(out: Path) -> None:
    """Remove what a killed write left of the plan's files (SIGKILL skips the cleanup): the hidden
    temporaries ``write_atomically`` renames into place (``.report.html.XXXX.tmp``, in ``figures/``
    and ``inputs/`` too), which ``check_plan_owned`` tolerates but nothing removed. Only those of the
    files a plan writes: a file of the user's stays. Under the folder's lock (``plan`` holds it).
    """
    names: dict[Path, set[str]] = {}
    for path in (*plan_files(out), out / RUNS_FILE):
        names.setdefault(path.parent, set()).add(path.name)
    for folder, written in names.items():
        if folder.is_dir():
            for path in folder.iterdir():
                if temporary_of(path.name) in written and path.is_file():
                    path.unlink(missing_ok=True)


def _inputs_in_order(inputs: Mapping[str, str | bytes] | None) -> list[tuple[str, str | bytes]]:
    """The inputs to keep, in ``INPUT_FILES``' order (the order ``plan_files`` removes them in reverse)."""
    return [(name, inputs[name]) for name in INPUT_FILES if inputs and name in inputs]


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
        _remove_debris(out)
        _forget(out)
        write_atomically(out / CANDIDATES, lambda f: candidates.to_csv(f, index=False))
        for name, text in _inputs_in_order(inputs):
            write_text(out / INPUTS / name, text)
        write_json(out / PLAN, document)
    except BaseException as exc:  # an interrupt, or what it became (``cut_short``)
        if not cut_short(exc):
            raise
        _forget(out)
        if created and out.is_dir() and not any(out.iterdir()):
            out.rmdir()
        why = " (the earlier plan there was removed first, not to leave it beside the new one)" if earlier else ""
        kept = f" (its runs are kept in {RUNS_FILE}, and reused)" if (out / RUNS_FILE).exists() else ""
        raise Interrupted(f"interrupted before the plan was saved; {out} holds no plan{why}; "
                          f"run the plan again{kept}") from None
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
