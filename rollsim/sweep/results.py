"""The results folder of an experiment: its layout, atomic writes, and loading it back.

``results/<name>/``::

    experiment.yaml        the resolved experiment (configurations, seeds, SLO)
    manifest.json          versions, seed, start and end time, executor, wall time
    runs/<run_id>.json     one finished run: its spec and summary (written last, as it finishes)
    runs/<run_id>.timeline.parquet, runs/<run_id>.downtime.parquet
                           that run's timeline and per-node downtimes (large; not in git)
    runs.csv               one row per run: configuration, swept keys, replication, seed, metrics
    summary.csv            one row per configuration: statistics of each metric, SLO verdict
    summary_long.csv       the same statistics in long form: config, label, metric, statistic, value
    timelines.parquet      the timelines of all runs (config, replication, then timeline columns)
    downtime.parquet       per-node downtime of all runs (config, replication, node, downtime_s)
    figures/*.png, report.md, report.html

Plots and reports read only these files (``load_results``). In a notebook a ``Results``
shows its summary and one availability sparkline per configuration.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Results", "load_results", "ResultsError"]


class ResultsError(ValueError):
    """A results folder that is missing or incomplete."""


@dataclass(frozen=True)
class Results:
    """A results folder, loaded: every table the plots and the report need."""

    path: Path
    experiment: dict[str, Any]
    manifest: dict[str, Any]
    runs: pd.DataFrame
    summary: pd.DataFrame
    timelines: pd.DataFrame | None
    downtime: pd.DataFrame | None

    @property
    def name(self) -> str:
        return str(self.experiment["name"])

    @property
    def summary_long(self) -> pd.DataFrame:
        """The summary in long form (``config, label, metric, statistic, value``), as
        ``summary_long.csv`` holds it (computed from ``summary`` for older folders)."""
        from rollsim.sweep.aggregate import summary_long

        return summary_long(self.summary)

    def __repr__(self) -> str:
        s = self.summary
        replications = self.experiment.get("replications", "?")
        return (f"Results({self.name!r}: {len(s)} configurations × {replications} replications, "
                f"{len(self.runs)} runs, {sum(str(v) == 'True' for v in s.get('slo_ok', []))} meet the SLO; "
                f"{str(self.path)!r})")

    def _repr_html_(self) -> str:
        from rollsim.observe.display import results_html

        return results_html(self)


def load_results(path: str | Path) -> Results:
    """Load a results folder written by ``rollsim run``; parquet files are optional."""
    import pandas as pd  # here, not at import: the CLI catches ResultsError without loading pandas
    import yaml

    root = Path(path)
    needed = ("experiment.yaml", "manifest.json", "runs.csv", "summary.csv")
    missing = [n for n in needed if not (root / n).is_file()]
    if missing:
        raise ResultsError(f"{root}: not a finished results folder (missing {', '.join(missing)})")
    experiment = yaml.safe_load((root / "experiment.yaml").read_text(encoding="utf-8"))
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    parquet = {n: pd.read_parquet(root / f"{n}.parquet") if (root / f"{n}.parquet").is_file() else None
               for n in ("timelines", "downtime")}
    return Results(root, experiment, manifest, pd.read_csv(root / "runs.csv"),
                   pd.read_csv(root / "summary.csv"), parquet["timelines"], parquet["downtime"])
