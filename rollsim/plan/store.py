"""A plan's runs, kept in its folder as they finish (``runs.jsonl``), so that a plan run there again reuses them.

A plan is a sweep over settings, and an interrupted sweep resumes without redoing its finished
runs (``rollsim run``'s ``runs/``); a plan did not: stopped during its search it kept nothing, and
a 3,000-node plan is a minute of runs (audit 26). Each run a plan finishes is appended to
``runs.jsonl`` in its folder, one JSON line: the key of what it simulated and its summary (what
``rollsim.plan.evaluate.simulate_summary`` returned). A plan run again in that folder takes a run
from there instead of simulating it when the key matches: the digest of the scenario as the plan
simulates it (its inputs, and the cut and stall wait its window sets: another window runs again),
the setting, the seed and the model's version (``MODEL_VERSION``). Runs are deterministic, so a
reused run is the run: the plan decides the same, and writes the same plan.json, candidates.csv and
figures, but for the wall time and the runs it counts as reused. A plan asked again with another
floor, surge budget or ``--least`` reuses every run it shares with the one before.

A line is written whole and flushed as its run finishes; a line a SIGKILL cut short is skipped
when read. Lines of another model version are dropped when the store is opened (the only time the
file is rewritten, atomically); the others stay, so plans with other inputs in the same folder
keep theirs. The folder's lock (``rollsim.sweep.folder.locked``) keeps two plans from appending at
once.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from rollsim.io.atomic import write_text
from rollsim.plan.candidates import Setting
from rollsim.spec import model_version
from rollsim.spec.scenario import Scenario

__all__ = ["RUNS_FILE", "RunStore", "scenario_key", "stored_runs"]

RUNS_FILE = "runs.jsonl"


def _plain(value: Any) -> Any:
    """What ``json.dumps`` cannot write, as data that does not depend on the process: a set sorted."""
    if isinstance(value, (set, frozenset)):
        return sorted(map(str, value))
    return repr(value)


def scenario_key(scenario: Scenario) -> str:
    """A digest of everything ``scenario`` simulates (its dataclasses as data, keys sorted)."""
    text = json.dumps(dataclasses.asdict(scenario), sort_keys=True, default=_plain)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _run_key(scenario: str, setting: Setting, seed: int) -> str:
    return f"{scenario}/{setting.kind}/{setting.count}/{setting.min_ready_seconds!r}/{seed}"


def stored_runs(text: str) -> Iterator[dict[str, Any]]:
    """The whole lines of ``text`` (a ``runs.jsonl``), each a run as ``RunStore.put`` wrote it; a
    line cut short, or not a run's, is skipped.
    """
    for line in text.splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict) and isinstance(row.get("key"), str) and isinstance(row.get("summary"), dict):
            yield row


class RunStore:
    """The runs in ``folder``'s ``runs.jsonl`` of this model version, by key, and new ones appended."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / RUNS_FILE
        self.runs: dict[str, dict[str, Any]] = {}
        self.reused = 0
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            text = ""
        rows = list(stored_runs(text))
        kept = [r for r in rows if r.get("model_version") == model_version.MODEL_VERSION]
        for row in kept:
            self.runs[row["key"]] = row["summary"]
        # another model's runs, or a line a SIGKILL cut short (the next line would be appended to it)
        if len(kept) < len(rows) or (text and (not text.endswith("\n") or len(rows) < text.count("\n"))):
            write_text(self.path, "".join(json.dumps(r) + "\n" for r in kept))
        self._file: IO[str] | None = None

    def get(self, scenario: str, setting: Setting, seed: int) -> dict[str, Any] | None:
        """The summary of the run of ``setting`` at ``seed`` in the scenario keyed ``scenario``, if kept."""
        summary = self.runs.get(_run_key(scenario, setting, seed))
        if summary is not None:
            self.reused += 1
        return summary

    def put(self, scenario: str, setting: Setting, seed: int, summary: dict[str, Any]) -> None:
        """Keep a finished run: appended to the file as one line, flushed."""
        key = _run_key(scenario, setting, seed)
        self.runs[key] = summary
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("a", encoding="utf-8")
        self._file.write(json.dumps({"key": key, "model_version": model_version.MODEL_VERSION,
                                     "summary": summary}) + "\n")
        self._file.flush()

    def close(self) -> None:
        """Close the file (the runs stay kept)."""
        if self._file is not None:
            self._file.close()
            self._file = None
