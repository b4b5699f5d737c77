"""A plan's runs, kept in its folder as they finish (``runs.jsonl``), so that a plan run there again reuses them.

A plan is a sweep over settings, and an interrupted sweep resumes without redoing its finished
runs (``rollsim run``'s ``runs/``); a plan did not: stopped during its search it kept nothing, and
a 3,000-node plan is a minute of runs (audit 26). Each run a plan finishes is appended to
``runs.jsonl`` in its folder, one JSON line: its key, the model's version, its summary (what
``rollsim.plan.evaluate.simulate_summary`` returned) and a digest of the summary. A plan run again
in that folder takes a run from there instead of simulating it when the key matches: the digest of
the scenario as the plan simulates it (its inputs, and the cut and stall wait its window sets:
another window runs again; not the manifest's own update strategy, which every run replaces), the
setting, the seed and the model's version (``MODEL_VERSION``). Runs are deterministic, so a reused
run is the run: the plan decides the same, and writes the same plan.json and candidates.csv but for
its wall and CPU figures, when it finished and the runs it counts as reused. A plan asked again with
another floor, surge budget or ``--least`` reuses every run it shares with the one before.

What is read is checked: a line cut short (a crash in mid-write), one whose summary does not match
its digest (edited, or damaged: audit 29 halved a setting's durations by hand and the plan answered
with them) or lacks a summary's keys, one of another model version (older or newer), is not used,
and the file is rewritten without it when the plan starts. The file keeps the runs of the
``SCENARIOS`` scenarios added to last (audit 29: every plan of a DaemonSet shares
``results/plan-<daemonset>`` by default, and a plan read 200,000 kept runs in 1.5 GB).
A file that cannot be read or written (a directory of that name, no permission, a full disk) only
means runs are not kept: the plan goes on, and says so (``trouble``). A ``runs.jsonl`` whose first
line is not a run's is a user's, and a plan refuses its folder (``rollsim.plan.files``) rather
than rewrite it. The folder's lock (``rollsim.sweep.folder.locked``) keeps two plans from appending
at once.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import IO, Any

from rollsim.io.atomic import write_text
from rollsim.plan.candidates import Setting
from rollsim.spec import model_version
from rollsim.spec.scenario import ROLLING_UPDATE, Scenario, UpdateStrategy

__all__ = ["RUNS_FILE", "SCENARIOS", "RunStore", "inputs_seed", "is_run_line", "scenario_key"]

RUNS_FILE = "runs.jsonl"
SCENARIOS = 12  # scenarios whose runs a folder keeps: those added to last
LINE_START = '{"key": "'  # how every line the store writes begins (a line cut short too)
# what every run's summary holds (``simulate_summary``): a line without them is not a run's
SUMMARY_KEYS = frozenset({"completed", "duration_s", "stalled", "stop_cause", "min_available_fraction",
                          "max_surge_observed", "unavailable_node_seconds"})


def _plain(value: Any) -> Any:
    """What ``json.dumps`` cannot write, as data that does not depend on the process: a set sorted."""
    if isinstance(value, (set, frozenset)):
        return sorted(map(str, value))
    return repr(value)


def scenario_key(scenario: Scenario) -> str:
    """A digest of everything ``scenario`` simulates (its dataclasses as data, keys sorted), but for
    the DaemonSet's update strategy and minReadySeconds, which each run's setting replaces
    (``rollsim.plan.evaluate.scenario_for``: audit 29, a plan asked again after its patch was applied
    to the manifest reused none of its 435 runs).
    """
    daemonset = dataclasses.replace(scenario.daemonset, strategy=UpdateStrategy(ROLLING_UPDATE, 1, 0),
                                    min_ready_seconds=0.0)
    data = dataclasses.asdict(dataclasses.replace(scenario, daemonset=daemonset))
    text = json.dumps(data, sort_keys=True, default=_plain)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def inputs_seed(scenario: Scenario) -> int:
    """A plan's root seed when none is given: 32 bits of ``scenario_key``, so the same inputs always
    draw the same seeds (a plan asked again with other constraints, or after its patch was applied,
    runs the same runs) and different inputs draw their own.
    """
    return int(scenario_key(scenario)[:8], 16)


def _run_key(scenario: str, setting: Setting, seed: int) -> str:
    return f"{scenario}/{setting.kind}/{setting.count}/{setting.min_ready_seconds!r}/{seed}"


def _digest(summary: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(summary, sort_keys=True).encode()).hexdigest()[:16]


def is_run_line(line: str) -> bool:
    """Whether ``line`` begins as the store writes a line (a line cut short too): a user's file does not."""
    return line.startswith(LINE_START)


def _scenario_of(line: str) -> str:
    return line[len(LINE_START):].split("/", 1)[0]


def _parsed(line: str) -> tuple[str, dict[str, Any]] | None:
    """A whole, unaltered run line of this model version: its key and summary; else None."""
    try:
        row = json.loads(line)
    except ValueError:
        return None
    if not isinstance(row, dict) or row.get("model_version") != model_version.MODEL_VERSION:
        return None
    key, summary = row.get("key"), row.get("summary")
    if not isinstance(key, str) or not isinstance(summary, dict) or not SUMMARY_KEYS <= summary.keys():
        return None
    return (key, summary) if row.get("digest") == _digest(summary) else None


class RunStore:
    """The runs kept in ``folder``'s ``runs.jsonl``, by scenario and key; new ones appended.

    ``trouble`` says why runs are not kept (the file could not be read or written), else it is None.
    """

    def __init__(self, folder: Path) -> None:
        self.path = folder / RUNS_FILE
        self.reused = 0
        self.trouble: str | None = None
        self._runs: dict[str, dict[str, dict[str, Any]]] = {}  # by scenario, then run key
        self._used: set[str] = set()  # the scenarios this plan asked for
        self._file: IO[str] | None = None
        try:
            text = self.path.read_text(encoding="utf-8") if self.path.exists() else ""
        except (OSError, UnicodeDecodeError) as exc:
            self._fail(exc)
            return
        lines = text.splitlines()
        good = [(line, parsed) for line in lines if is_run_line(line) and (parsed := _parsed(line)) is not None]
        order = {_scenario_of(line): i for i, (line, _) in enumerate(good)}  # when each was last added to
        keep = set(sorted(order, key=order.__getitem__)[-SCENARIOS:])
        good = [(line, parsed) for line, parsed in good if _scenario_of(line) in keep]
        for line, (key, summary) in good:
            self._runs.setdefault(_scenario_of(line), {})[key] = summary
        if len(good) < len(lines) or (text and not text.endswith("\n")):
            try:  # what is not used goes; a cut last line would join the next line appended
                write_text(self.path, "".join(line + "\n" for line, _ in good))
            except OSError as exc:
                self._fail(exc)

    def _fail(self, exc: BaseException) -> None:
        self.trouble = f"{self.path}: {getattr(exc, 'strerror', None) or exc}"
        self.close()

    def _scenario(self, scenario: str) -> dict[str, dict[str, Any]]:
        self._used.add(scenario)
        return self._runs.setdefault(scenario, {})

    def get(self, scenario: str, setting: Setting, seed: int) -> dict[str, Any] | None:
        """The summary of the run of ``setting`` at ``seed`` in the scenario keyed ``scenario``, if kept."""
        summary = self._scenario(scenario).get(_run_key(scenario, setting, seed))
        if summary is not None:
            self.reused += 1
        return summary

    def put(self, scenario: str, setting: Setting, seed: int, summary: dict[str, Any]) -> None:
        """Keep a finished run: appended to the file as one line, flushed (not when it cannot be written)."""
        key = _run_key(scenario, setting, seed)
        self._scenario(scenario)[key] = summary
        if self.trouble is not None:
            return
        try:
            if self._file is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._file = self.path.open("a", encoding="utf-8")
            self._file.write(json.dumps({"key": key, "model_version": model_version.MODEL_VERSION,
                                         "summary": summary, "digest": _digest(summary)}) + "\n")
            self._file.flush()
        except OSError as exc:
            self._fail(exc)

    def kept(self) -> int:
        """How many runs of the scenarios this plan used are kept (what running it again reuses)."""
        return 0 if self.trouble is not None else sum(len(self._runs[s]) for s in self._used)

    def close(self) -> None:
        """Close the file (the runs stay kept)."""
        if self._file is not None:
            try:
                self._file.close()
            except OSError:
                pass
            self._file = None

