"""The guards of a results folder: one sweep at a time, one experiment per folder.

``locked`` holds an advisory lock (``fcntl.flock``) on ``.rollsim.lock`` inside the folder
for as long as a sweep writes there; the file says who holds it (pid, host, start time).
The kernel drops the lock when its holder ends, SIGKILL included, so a killed sweep
never leaves the folder locked: the next one finds the stale file and takes it over.
A worker forked while the lock is held closes its copy of the lock's descriptor at once,
so the lock is the sweep's alone and goes when it goes.

``experiment.yaml`` is the folder's identity: it is written before the first run and
kept through an interruption, so another experiment cannot run into a folder that holds
this one's saved runs, and ``--force`` discards only runs of the same experiment, and of
them only the files rollsim wrote. A folder that is neither empty nor a rollsim results folder
(an ``experiment.yaml`` rollsim wrote) is refused: rollsim would write over a user's
``report.md`` or ``summary.csv`` there.
``manifest.json``, written last, marks a finished folder, so it goes first when a
sweep starts over; the report written from the tables (``report.md``, ``report.html``)
goes with them, so that a sweep stopped before its new report leaves none rather than
the old one beside new tables.
"""

from __future__ import annotations

import json
import os
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from rollsim.io.atomic import temporary_of
from rollsim.sweep.errors import FolderBusy
from rollsim.sweep.kept_inputs import forget_kept, remove_kept_debris
from rollsim.sweep.results import ResultsError

try:
    import fcntl
except ImportError:  # not POSIX: sweeps run without a lock
    fcntl = None  # type: ignore[assignment]

__all__ = ["RUNS", "AGGREGATES", "REPORTS", "FIGURES", "FIGURE_FILES", "LOCK", "IDENTITY", "PLAN", "locked",
           "check_free", "check_identity", "check_plan_folder", "clear", "forget_drawn", "forget_tables",
           "remove_debris", "saved_run_ids"]

RUNS = "runs"
IDENTITY = "experiment.yaml"
LOCK = ".rollsim.lock"
AGGREGATES = ("runs.csv", "summary.csv", "summary_long.csv", "timelines.parquet", "downtime.parquet", IDENTITY,
              "manifest.json")
REPORTS = ("report.md", "report.html")  # rollsim.present.output.write_report_files
FIGURES = "figures"
FIGURE_FILES = ("availability.png", "duration.png", "tradeoff.png", "downtime.png")  # rollsim.present.plots.FIGURES
PLAN = "plan.json"  # what marks a folder written by rollsim plan (rollsim.plan.run.plan)
_TOP_FILES = ("manifest.json", *AGGREGATES, *REPORTS)  # what a rebuild removes, the finish mark first


_held: set[int] = set()  # descriptors of the locks this process holds
_forgets: list[bool] = []  # whether forked children are told to close them (registered once)


def _forget_held() -> None:
    """In a forked child: close the inherited lock descriptors (the parent keeps the lock)."""
    for fd in _held:
        try:
            os.close(fd)
        except OSError:
            pass
    _held.clear()


def _holder(fd: int) -> str:
    """Who holds the lock, as its file says."""
    try:
        info = json.loads(os.pread(fd, 4096, 0).decode("utf-8"))
        return f"pid {info['pid']} on {info['host']}, since {info['started_at']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "a process that is starting"


def _busy(out: Path, fd: int) -> FolderBusy:
    return FolderBusy(f"{out} is in use by another rollsim command (run, plan, report or plot) ({_holder(fd)}); "
                      "wait for it to end, or stop it")


def check_free(out: Path) -> None:
    """Raise ``FolderBusy`` as ``locked`` would when another process holds ``out``'s lock, taking
    nothing and writing nothing: ``rollsim run`` checks every experiment's folder before its first
    run. Only a lock file left there is tried (and let go at once): a free folder has none, or a
    stale one a killed sweep left.
    """
    if fcntl is None:
        return
    try:
        fd = os.open(out / LOCK, os.O_RDONLY)
    except OSError:  # no lock file (or no folder): no one holds it; locked says more, if anything
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _busy(out, fd) from None
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextmanager
def locked(out: Path) -> Iterator[None]:
    """Create ``out`` if need be and hold its lock while the block runs.

    Raises ``FolderBusy`` at once, naming the holder, when another process holds it. The
    folders this made (``out`` and its missing parents, ``results/`` say) that nothing filled
    are removed again: a sweep or plan that fails before its first file (no Dask scheduler
    answering, exit 2) leaves no empty folder behind.
    """
    made = [p for p in (out, *out.parents) if not os.path.lexists(p)]
    out.mkdir(parents=True, exist_ok=True)
    try:
        if fcntl is None:
            yield
        else:
            with _flocked(out):
                yield
    finally:
        for folder in made:  # deepest first
            try:
                folder.rmdir()
            except FileNotFoundError:  # removed meanwhile: its parents may still be empty
                continue
            except OSError:  # not empty: it, and so its parents, stay
                break


@contextmanager
def _flocked(out: Path) -> Iterator[None]:
    path = out / LOCK
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            busy = _busy(out, fd)
            os.close(fd)
            raise busy from None
        try:  # the holder we waited for may have removed the file as it let go: lock the one there
            if os.path.samestat(os.fstat(fd), os.stat(path)):
                break
        except FileNotFoundError:
            pass
        os.close(fd)
    if not _forgets and hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_forget_held)
        _forgets.append(True)
    _held.add(fd)
    try:
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                      "started_at": datetime.now(UTC).isoformat(timespec="seconds")}).encode(), 0)
        except OSError as exc:  # no space left for the lock file: an error from a descriptor names no file
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        yield
    finally:
        path.unlink(missing_ok=True)  # still locked: no one can take this file between the two lines
        _held.discard(fd)
        os.close(fd)


# The files of a saved run (``rollsim.sweep.store``: k<configuration key>-r<replication>-<hash>, or
# c<config index>-r<replication>-<hash> as rollsim wrote them before), and the temporary files an
# atomic write killed midway leaves (``rollsim.io.atomic``: .<name>.<random>.tmp).
RUN_ID = re.compile(r"(k[0-9a-f]{8}|c\d{3,})-r\d{3,}-[0-9a-f]{10}")
_RUN_FILE = re.compile(rf"\.?{RUN_ID.pattern}\.(json|timeline\.parquet|downtime\.parquet)(\.[^/]*\.tmp)?")
_IDENTITY_KEYS = ("name", "source", "configurations")  # what describe_experiment writes, and no experiment file has


def _run_files(out: Path) -> list[Path]:
    """The files of saved runs in ``out/runs`` (and their temporaries): rollsim's, not a user's."""
    runs = out / RUNS
    return sorted(p for p in runs.iterdir() if p.is_file() and _RUN_FILE.fullmatch(p.name)) if runs.is_dir() else []


def saved_run_ids(out: Path) -> list[str]:
    """The ids of the runs saved in ``out/runs`` (their JSON records), whatever the experiment now."""
    return [p.name[:-len(".json")] for p in _run_files(out) if p.name.endswith(".json") and not p.name.startswith(".")]


def _saved_runs(out: Path) -> int:
    return len(saved_run_ids(out))


def _identity(out: Path) -> tuple[bool, Any]:
    """Whether the folder has an identity, and what it holds (None if unreadable), read once."""
    saved = out / IDENTITY
    if not saved.is_file():
        return False, None
    try:  # rollsim's own file, read as YAML 1.1 whatever rollsim wrote it with (goyaml.SafeDumper)
        return True, yaml.load(saved.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, ValueError, yaml.YAMLError):
        return True, None


def _name_in(data: Any) -> str | None:
    """The experiment's name in an identity (None if it names none)."""
    name = data.get("name") if isinstance(data, dict) else None
    return name if isinstance(name, str) else None


def _rollsims(data: Any) -> bool:
    """Whether an ``experiment.yaml`` holds the identity rollsim writes (the resolved experiment,
    with its source and configurations), not a user's file of that name (an experiment file, say).
    """
    return isinstance(data, dict) and all(k in data for k in _IDENTITY_KEYS) and \
        isinstance(data["configurations"], list)


def _not_ours(out: Path) -> list[str]:
    """What ``out`` holds besides what a sweep stopped before its identity leaves (its lock file,
    a temporary file): the user's, if the folder is no rollsim results folder.
    """
    return sorted(p.name for p in out.iterdir()
                  if p.name != LOCK and temporary_of(p.name) != IDENTITY)


def _check_owned(out: Path, name: str, identity: Any) -> None:
    """Refuse a folder that is neither empty (or new) nor a rollsim results folder: rollsim would
    write its tables and report over files of the same names (``report.md``, ``summary.csv``) and
    leave the user's own beside them (``identity``: its ``experiment.yaml`` as read, if any).
    """
    if not out.is_dir() or _rollsims(identity):
        return
    theirs = _not_ours(out)
    if not theirs:
        return
    shown = ", ".join(theirs[:3]) + (f" and {len(theirs) - 3} more" if len(theirs) > 3 else "")
    why = (f"its {IDENTITY} is not one rollsim wrote" if IDENTITY in theirs else "it holds no rollsim results")
    where = out if out.name else out.absolute()  # "." names nothing
    raise ResultsError(f"{where} is not empty ({shown}) and {why}: rollsim would write its results among those "
                       f"files; give --out-dir a new or empty folder for {name!r}")


def check_identity(out: Path, name: str, force: bool) -> None:
    """Refuse a folder that holds another experiment, with or without ``force``, and one that is
    neither empty nor a rollsim results folder (a user's folder: ``_check_owned``).

    ``force`` discards the saved runs of the same experiment only: another experiment's
    runs are the user's to delete, and the message says what they would lose.
    """
    if out.exists() and not out.is_dir():
        raise ResultsError(f"{out} is not a folder")
    if (out / PLAN).is_file():
        raise ResultsError(f"{out} holds a plan ({PLAN}), not the results of {name!r}; choose another folder")
    has, identity = _identity(out)
    _check_owned(out, name, identity)
    other = _name_in(identity)
    if not has or other == name:
        return
    runs = _saved_runs(out)
    state = "finished" if (out / "manifest.json").is_file() else "not finished"
    saved = f"{runs} saved run{'s' if runs != 1 else ''}"
    held = (f"the results of experiment {other!r} ({saved}, {state})" if other is not None
            else f"an unreadable {IDENTITY} and {saved}")
    if force:
        raise ResultsError(f"{out} holds {held}; --force would discard them for {name!r}: "
                           "delete that folder yourself or choose another --out")
    raise ResultsError(f"{out} holds {held}, not {name!r}; choose another folder")


def check_plan_folder(out: Path) -> None:
    """Refuse to write a plan into a folder that holds an experiment's results (its report would
    be replaced by the plan's, and ``rollsim report`` would then only ever write the plan's).
    """
    if out.exists() and not out.is_dir():
        raise ResultsError(f"{out} is not a folder")
    has, identity = _identity(out)
    other = _name_in(identity)
    runs = _saved_runs(out)
    if has or runs:
        held = f"experiment {other!r}" if other is not None else "an experiment"
        saved = f" ({runs} saved run{'s' if runs != 1 else ''})" if runs else ""
        raise ResultsError(f"{out} holds the results of {held}{saved}, not a plan; choose another folder")


def clear(out: Path) -> None:
    """--force: forget the saved runs (their files alone: a file of the user's in ``runs/`` stays),
    tables and report (figures are redrawn over). The
    identity stays (``check_identity`` found this experiment's there): a sweep interrupted
    before it writes its own must still leave a folder no other experiment may take.
    """
    forget_tables(out, keep_identity=True)
    for path in _run_files(out):  # the saved runs only: a file a user put in runs/ stays
        path.unlink()


def forget_tables(out: Path, *, keep_identity: bool = False) -> None:
    """Remove the tables before they are rebuilt, the finish mark first: a folder mid-sweep
    must not pass for a finished one. The report and the figures were drawn from them, so they
    go too (last): a sweep stopped after its tables and before its figures must not leave the
    last sweep's beside them; so do the inputs kept of a cluster (``inputs/``), written with the
    tables. ``keep_identity`` keeps ``experiment.yaml``.
    """
    for name in _TOP_FILES:
        if not (keep_identity and name == IDENTITY):
            (out / name).unlink(missing_ok=True)
    forget_kept(out)  # what the tables' runs read from a cluster (rollsim.sweep.kept_inputs)
    forget_drawn(out)


def forget_drawn(out: Path) -> None:
    """Remove the figures and the report drawn from the tables (the report first: it shows the
    figures). ``rollsim run`` stopped while drawing them leaves the tables alone, which ``rollsim
    report`` draws them from, rather than a report beside some of its figures or the last sweep's.
    """
    for name in REPORTS:
        (out / name).unlink(missing_ok=True)
    for name in FIGURE_FILES:
        (out / FIGURES / name).unlink(missing_ok=True)


def _is_run_temporary(name: str) -> bool:
    """Whether ``name`` in ``runs/`` is what a killed save of a run's file left (``.<run file>.XXXX.tmp``)."""
    if not (name.startswith(".") and name.endswith(".tmp")):  # cheap first: runs/ holds three files a run
        return False
    of = temporary_of(name)
    return of is not None and not of.startswith(".") and _RUN_FILE.fullmatch(of) is not None


def remove_debris(out: Path) -> None:
    """Remove what a killed write left of the folder's tables, reports, figures and saved runs: the
    hidden temporaries ``write_atomically`` renames into place (``.runs.csv.XXXX.tmp``,
    ``runs/.k…-r000-….timeline.parquet.XXXX.tmp``), which a SIGKILL leaves behind (it skips the
    cleanup). Only the temporaries of the files rollsim writes: a file of the user's stays. Under the
    folder's lock (a run calls it first): no other process is writing them.
    """
    for folder, names in ((out, _TOP_FILES), (out / FIGURES, FIGURE_FILES)):
        if folder.is_dir():
            for path in folder.iterdir():
                if temporary_of(path.name) in names and path.is_file():
                    path.unlink(missing_ok=True)
    runs = out / RUNS
    if runs.is_dir():
        for path in runs.iterdir():
            if _is_run_temporary(path.name) and path.is_file():
                path.unlink(missing_ok=True)
    remove_kept_debris(out)
