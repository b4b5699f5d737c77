"""One row of a study's summary (one configuration: ``rollsim.sweep.aggregate``) as the report
and the findings read it: numbers that may be absent, how many runs completed, the SLO verdict.

A summary read back from ``summary.csv`` gives empty cells as NaN and booleans as text, and
an older one has only ``completed_fraction``: these functions take all of them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from rollsim.present.render import DASH

__all__ = ["CUT_MARK", "CUT_NOTE", "PARTIAL_MARK", "PARTIAL_NOTE",
           "completed_counts", "completed_every_run", "completed_text", "names",
           "num", "over_completed_only", "slo_failed", "slo_ok", "tie_words", "tied"]

# how the console and the report mark a duration over the runs that completed when others did not
PARTIAL_MARK = "*"
PARTIAL_NOTE = ("over the runs that completed only: a run that did not complete has no duration, so the slowest "
                "outcomes are left out (such a configuration is never recommended)")
# how the report marks the figures of a configuration none of whose runs completed: over the runs as they were cut
CUT_MARK = "†"
CUT_NOTE = ("over runs that were all cut short (no run completed): they count only until the run stopped, so they "
            "grow with stall_after_s and are no rollout's cost")


def num(v: Any) -> float:
    """``v`` as a float; NaN when it is absent or not a number."""
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def completed_counts(row: Mapping[str, Any]) -> tuple[float, float]:
    """(completed, runs) of a summary row, NaN where unknown (an older summary: from ``completed_fraction``)."""
    runs, done = num(row.get("runs")), num(row.get("completed"))
    if math.isnan(done) and not math.isnan(runs):
        done = round(num(row.get("completed_fraction")) * runs) if "completed_fraction" in row else math.nan
    return done, runs


def completed_every_run(row: Mapping[str, Any]) -> bool:
    """Whether a configuration completed in every replication (a summary written before the
    counts were kept: whether it has a mean duration).
    """
    done, runs = completed_counts(row)
    if math.isnan(runs) or math.isnan(done):
        return math.isfinite(num(row.get("duration_s_mean")))
    return done == runs and runs > 0


def over_completed_only(row: Mapping[str, Any]) -> bool:
    """Whether a summary row's duration statistics leave runs out: some of its runs completed
    (so there is a duration) and some did not (``duration_s_*`` exist only for the former).
    """
    done, runs = completed_counts(row)
    return 0 < done < runs and math.isfinite(num(row.get("duration_s_mean")))


def completed_text(row: Mapping[str, Any]) -> str:
    """``k/n``: how many of a configuration's runs completed (``—`` when the row does not say)."""
    done, runs = completed_counts(row)
    return DASH if math.isnan(runs) or math.isnan(done) else f"{int(done)}/{int(runs)}"


def slo_ok(row: Mapping[str, Any]) -> bool:
    """The SLO verdict of a summary row (a CSV may give it as a bool, a number or text; absent is ok)."""
    v = row.get("slo_ok", True)
    if isinstance(v, str):
        return v.strip().lower() in ("true", "1", "yes")
    return True if v is None or (isinstance(v, float) and math.isnan(v)) else bool(v)


def slo_failed(row: Mapping[str, Any]) -> list[str]:
    """The keys of the SLO constraints a summary row fails."""
    text = row.get("slo_failed")
    return [k for k in str(text).split(";") if k] if isinstance(text, str) else []


_STATISTICS = ("_mean", "_p50", "_p95", "_min", "_max", "_ci_low", "_ci_high")


def tied(rows: Sequence[Mapping[str, Any]], at: Mapping[str, Any], metric: str = "duration_s_mean"
         ) -> list[Mapping[str, Any]]:
    """The rows whose ``metric`` is exactly ``at``'s (``at`` among them), in their order: a
    ranking by it cannot tell them apart.
    """
    return [r for r in rows if num(r.get(metric)) == num(at.get(metric))]


def tie_words(rows: Sequence[Mapping[str, Any]]) -> str:
    """Why ``rows`` are tied: ``identical results`` when every statistic of every metric is the
    same (two spellings of one budget, ``5%`` and ``10`` of 199 nodes, run the same rollouts),
    else ``the same mean duration``.
    """
    keys = {k for r in rows for k in r if isinstance(k, str) and k.endswith(_STATISTICS)}
    same = all(len({str(num(r.get(k))) for r in rows}) == 1 for k in keys)
    return "identical results" if same else "the same mean duration"


def names(labels: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
