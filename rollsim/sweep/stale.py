"""Saved runs that are no run of the experiment now, and why: what ``rollsim run`` warns about.

A run's id says what it simulates (``rollsim.sweep.experiment``: ``k<configuration key>-r<replication>-
<hash>``, the key a digest of the configuration's options and the model's version, the hash of those,
the replication and its seed). A run saved in the folder whose id the experiment no longer gives is
kept (a configuration put back reuses it) and counted here by the reason its id differs, which the
ids themselves tell apart: the warning blamed "replications beyond those asked for" after a change
of the root seed alone, and a changed setting after rollsim's model version changed (audit 26).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rollsim.spec import model_version
from rollsim.sweep.experiment import Experiment, RunSpec, configuration_key, run_id
from rollsim.sweep.folder import RUN_ID, RUNS, saved_run_ids

__all__ = ["StaleRuns", "stale_runs"]


@dataclass(frozen=True)
class StaleRuns:
    """Saved runs of no run the experiment has now, by why.

    - ``beyond``: replications at or past those it asks for, otherwise the very runs it would make
      (``replications`` was lowered);
    - ``reseeded``: of a configuration it has, under another root seed (``seed`` changed);
    - ``older_model``: of no configuration it has, simulated by another model version than this
      rollsim's (``versions``: those their records give; runs under the first ids' scheme,
      ``c000-r000-…``, are of an earlier model version too, unnamed);
    - ``changed``: of no configuration it has, a setting or what an input file says changed (or the
      configuration is gone); ``unversioned`` of them record no model version (saved by a rollsim
      before runs recorded it), whose model version may be what changed.
    """

    beyond: int = 0
    reseeded: int = 0
    older_model: int = 0
    changed: int = 0
    unversioned: int = 0
    versions: tuple[int, ...] = ()

    @property
    def total(self) -> int:
        """How many saved runs are stale."""
        return self.beyond + self.reseeded + self.older_model + self.changed


def _model_version(out: Path, run: str) -> int | None:
    """The model version a saved run's record gives (None: none, or unreadable)."""
    try:
        version = json.loads((out / RUNS / f"{run}.json").read_text(encoding="utf-8")).get("model_version")
    except (OSError, ValueError, AttributeError):
        return None
    return version if isinstance(version, int) else None


def stale_runs(out: Path, experiment: Experiment, specs: Sequence[RunSpec]) -> StaleRuns:
    """The runs saved in ``out`` that are none of ``specs`` (``experiment``'s runs), by why."""
    stale = sorted(set(saved_run_ids(out)) - {s.run_id for s in specs})
    if not stale:
        return StaleRuns()
    configurations = {configuration_key(c): c for c in experiment.configurations}
    beyond = reseeded = older = changed = unversioned = 0
    versions: set[int] = set()
    for run in stale:
        key, replication = run.split("-")[0], int(run.split("-")[1][1:])
        configuration = configurations.get(key) if RUN_ID.fullmatch(run) else None
        if configuration is not None:  # its options and model version are a configuration's now
            if replication >= experiment.replications and run == run_id(configuration, replication, experiment.seed):
                beyond += 1
            else:
                reseeded += 1
            continue
        version = _model_version(out, run) if run.startswith("k") else None  # c…: the first ids' scheme
        if run.startswith("c") or (version is not None and version != model_version.MODEL_VERSION):
            older += 1
            versions.update([] if version is None else [version])
        else:
            changed += 1
            unversioned += version is None
    return StaleRuns(beyond, reseeded, older, changed, unversioned, tuple(sorted(versions)))
