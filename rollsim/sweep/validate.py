"""``rollsim validate``: rollsim's predictions against durations real clusters showed.

Two kinds of case, each replayed for the Kubernetes version asked for:

* **upstream**: rollouts measured against the real v1.36 controller with constant pod timings
  (issue 11: 10 nodes, maxUnavailable 1, minReadySeconds 10 and a 15 s cycle took 250 s; 100
  nodes with maxUnavailable 3 took 850 s). Predicted by both controller modes, with the rules
  of the version they were measured on (``MEASURED_ON``) unless another is asked for, so that
  a rule of a later version cannot change them unseen.
* **field**: the ``reported`` figures of field studies (``experiments/field-*.yaml``), each
  against every configuration it matches: one row per mechanism that could explain it.

A row gives the median predicted duration over the study's replications (the column says
so: a study's report gives means), the reported one
and the relative error (a configuration that did not complete in every replication, stalled or
cut at the horizon, has no predicted duration: its row says in how many it did not, and is a
miss), marked ``fit`` where the study's inputs were set from that figure
(``fitted`` in the study's ``reported``): such a row checks arithmetic, not a prediction.
Reported field figures are estimates written by the people who ran the clusters ("about 20
minutes"), so an error of tens of percent is within their precision; the speed-up between two
settings is the figure a mechanism has to reproduce.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rollsim.simulation import simulate
from rollsim.spec.options import build_scenario
from rollsim.spec.scenario import Scenario
from rollsim.spec.versions import DEFAULT_VERSION
from rollsim.sweep.experiment import replication_seed
from rollsim.sweep.experiment_file import load_experiment

__all__ = ["MEASURED_ON", "Row", "field_rows", "format_rows", "upstream_cases", "validate"]

FIT_NOTE = ("fit: the study set this configuration's inputs from the reported figure (its `fitted`: the per-node "
            "cycle from a one-at-a-time total, a straggler tail sized to a 10% total), so the error checks the "
            "arithmetic, not a prediction")
MISS_NOTE = ("miss: {} row(s) whose configuration stalled or was cut at its horizon in some replication: rollsim "
             "predicts no duration there, so nothing is compared and the row counts as a miss")
_CYCLE: dict[str, Any] = {"schedule": 0, "pull": 0, "start": 0, "ready": 15, "terminate": 0, "probe_period": 0}
MEASURED_ON = "1.36"  # the upstream cases' controller


@dataclass(frozen=True)
class Row:
    """One case: what rollsim predicts against what was reported."""

    case: str
    configuration: str
    source: str
    reported_s: float
    predicted_s: float
    fitted: bool = False  # the configuration's inputs were set from the reported figure
    incomplete: int = 0  # replications that did not complete (then predicted_s is NaN: a miss)
    runs: int = 1
    stop_causes: tuple[str, ...] = ()  # why they did not (their summaries' stop_cause), without repeats

    @property
    def error(self) -> float:
        """(predicted − reported) / reported; NaN for a miss."""
        return (self.predicted_s - self.reported_s) / self.reported_s

    @property
    def missed(self) -> bool:
        """The configuration did not complete in every replication: no prediction to compare."""
        return self.incomplete > 0


def _with_version(scenario: Scenario, version: str | None) -> Scenario:
    if version is None:
        return scenario
    return replace(scenario, controller=replace(scenario.controller, kubernetes_version=version))


def upstream_cases(version: str | None = None) -> list[Row]:
    """The two measurements against the real v1.36 controller, in ideal and realistic mode,
    replayed with ``version``'s rules (default: ``MEASURED_ON``, the version they were measured on).
    """
    rows = []
    for nodes, k, reported in ((10, 1, 250.0), (100, 3, 850.0)):
        for mode in ("ideal", "realistic"):
            scenario = build_scenario(nodes=nodes, max_unavailable=k, min_ready_seconds=10, controller=mode, **_CYCLE)
            scenario = _with_version(scenario, version or MEASURED_ON)
            predicted = simulate(scenario, seed=0).summary["duration_s"]
            case = ("upstream v1.36 controller" if (version or MEASURED_ON) == MEASURED_ON
                    else f"upstream v1.36, {version} rules")
            rows.append(Row(case, f"{nodes} nodes, maxUnavailable {k}, minReadySeconds 10, "
                            f"15 s cycle, {mode}", "issue 11 (measured)", reported, float(predicted)))
    return rows


def field_rows(path: str | Path, version: str | None = None, warn: Callable[[str], None] | None = None) -> list[Row]:
    """Every configuration of a field study that a reported figure matches, predicted as the
    median duration over the study's replications; ``warn`` hears the study's warnings (a
    figure that matches no configuration among them) and of a study with no figure at all.
    """
    experiment = load_experiment(path, kubernetes_version=version)  # its manifests read for that version too
    if warn is not None:
        if not experiment.reported:
            warn(f"{path}: no reported figures (reported: [...]): nothing to compare")
        for warning in experiment.warnings:
            warn(warning)
    rows = []
    for config in experiment.configurations:
        figures = [r for r in experiment.reported if r.matches(config.params)]
        if not figures:
            continue
        summaries = [simulate(config.scenario, seed=replication_seed(experiment.seed, r)).summary
                     for r in range(experiment.replications)]
        predicted, incomplete, causes = _predicted(summaries)
        rows += [Row(experiment.name, config.label, f.source, f.duration_s, predicted, f.fits(config.label),
                     incomplete, len(summaries), causes) for f in figures]
    return rows


def _predicted(summaries: Sequence[dict[str, Any]]) -> tuple[float, int, tuple[str, ...]]:
    """The median duration of runs that all completed (NaN when any did not: a stalled or cut
    run has no duration, and a median of the others would be a figure rollsim did not predict),
    how many did not complete, and their stop causes.
    """
    unfinished = [s for s in summaries if not s.get("completed") or s.get("duration_s") is None]
    causes = tuple(dict.fromkeys(str(s.get("stop_cause") or "not completed") for s in unfinished))
    if unfinished:
        return math.nan, len(unfinished), causes
    return float(statistics.median(s["duration_s"] for s in summaries)), 0, ()


def validate(paths: Iterable[str | Path], version: str | None = None,
             warn: Callable[[str], None] | None = None) -> list[Row]:
    """The upstream cases, then each field study's rows (``warn``: see ``field_rows``)."""
    rows = upstream_cases(version)
    for path in paths:
        rows += field_rows(path, version, warn)
    return rows


def _unit(seconds: float) -> tuple[float, str, int]:
    """The unit a duration reads best in: (seconds per unit, its name, decimals)."""
    if seconds >= 3600:
        return 3600.0, "h", 2
    if seconds >= 600:
        return 60.0, "min", 1
    return 1.0, "s", 0


def _duration(seconds: float, reported: float | None = None) -> str:
    """``seconds`` in the unit that suits it, or that suits ``reported`` (a prediction is read
    beside the figure it predicts: ``10.0 min`` against ``4.4 min``, not ``265 s``).
    """
    per, unit, decimals = _unit(seconds if reported is None else reported)
    if math.isnan(seconds):
        return "—"
    return f"{seconds / per:.{decimals}f} {unit}"


def _error(row: Row) -> str:
    """The error column: the signed relative error (``fit`` marked), or why there is none."""
    if row.missed:
        return f"miss: did not complete in {row.incomplete} of {row.runs} runs ({', '.join(row.stop_causes)})"
    return f"{row.error:+.0%}" + (" fit" if row.fitted else "")


def rules_note(version: str | None = None) -> str:
    """Whose controller rules the rows were replayed with: ``version`` for all of them when one
    is asked for (the upstream cases were measured on v1.36 all the same), else each case's own.
    """
    if version is None:
        return (f"rules: the upstream cases replayed with the controller rules of {MEASURED_ON}, on which they were "
                f"measured; each field study with its own (controller.kubernetes_version, else {DEFAULT_VERSION})")
    return (f"rules: every row replayed with the controller rules of {version} (--kubernetes-version), the upstream "
            f"cases too: they were measured on v{MEASURED_ON}, so their error is {version}'s rules against "
            f"v{MEASURED_ON}'s figures")


PREDICTED_NOTE = ("predicted (median): the median duration over the study's replications (the upstream cases: one "
                  "run); a study's report gives means (its findings' \"on average\"), so its figures can differ "
                  "from these")


def format_rows(rows: Sequence[Row], version: str | None = None) -> str:
    """A plain table: case, configuration, reported, predicted (the median, in the reported
    figure's unit), error; then which statistic and whose rules (``version``: the one asked for).
    """
    header = ("case", "configuration", "reported", "predicted (median)", "error", "source")
    table = [header] + [(r.case, r.configuration, _duration(r.reported_s), _duration(r.predicted_s, r.reported_s),
                         _error(r), r.source) for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip() for line in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines += [PREDICTED_NOTE, rules_note(version)]
    if any(r.fitted for r in rows):
        lines.append(FIT_NOTE)
    if any(r.missed for r in rows):
        lines.append(MISS_NOTE.format(sum(r.missed for r in rows)))
    return "\n".join(lines)
