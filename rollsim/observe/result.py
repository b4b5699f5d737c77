"""``RunResult``: what ``simulate`` returns, its frames built from the run's columns when first read.

A run's summary is computed from the recorder's columns (``rollsim.observe.columns``), so a
caller who reads only ``summary`` (``rollsim simulate``, a plan's search) never imports pandas;
``timeline``, ``nodes`` and ``status`` become DataFrames the first time they are read, over
the same arrays (no copy), and stay so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from rollsim.observe.columns import Columns
from rollsim.observe.rollout import status_frame
from rollsim.spec.node import Node
from rollsim.spec.scenario import Scenario

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["RunResult"]


@dataclass(frozen=True)
class RunResult:
    """The outcome of one run: ``timeline`` and ``nodes`` frames and the ``summary`` dict.

    ``timeline_columns``, ``node_columns`` and ``status_log`` are what the frames are built from
    (``Recorder.to_columns``, ``RolloutStatus.log``).
    """

    timeline_columns: Columns = field(repr=False)
    node_columns: Columns = field(repr=False)
    summary: dict[str, Any]
    status_log: list[tuple[float, dict[str, int]]] = field(repr=False)
    scenario: Scenario = field(repr=False)
    seed: int = 0
    others: dict[str, dict[str, Any]] = field(default_factory=dict)  # the summaries of ``scenario.also``
    # the nodes that exist when the run stops, as the API server holds them (NotReady ones tainted,
    # added ones there, removed ones gone), in list order: whom the DaemonSet's ``desired`` counts then
    final_nodes: tuple[Node, ...] | None = field(default=None, repr=False)

    @cached_property
    def timeline(self) -> pd.DataFrame:
        """The cluster's levels (desired, available, ...), a row each time they change."""
        import pandas as pd

        return pd.DataFrame(self.timeline_columns, copy=False)

    @cached_property
    def nodes(self) -> pd.DataFrame:
        """A row per node, in the scenario's order: when its old pod went and its new one came, its downtime."""
        import pandas as pd

        return pd.DataFrame(self.node_columns, copy=False)

    @cached_property
    def status(self) -> pd.DataFrame:
        """Every status the controller wrote, with its time."""
        return status_frame(self.status_log)

    def __repr__(self) -> str:
        """One line: the outcome, not the frames."""
        from rollsim.observe.display import run_repr

        return run_repr(self)

    def _repr_html_(self) -> str:
        """A notebook's view: the summary and an availability sparkline."""
        from rollsim.observe.display import run_repr_html

        return run_repr_html(self)
