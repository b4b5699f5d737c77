"""Service-level objectives of a rollout, their verdicts and the recommendation.

A configuration is recommended only if it completed in every replication and met every
constraint; a study that sweeps conditions the user does not choose gets one
recommendation per condition (``recommend_by_condition``).

An SLO constraint bounds one summary metric: ``max_duration_s: 1800`` (at most),
``min_available_fraction: 0.95`` (at least). Each is judged on a statistic over the
replications of a configuration: ``mean``, ``p50``, ``p95``, ``max`` or ``min``. The
percentiles count in the direction that hurts: ``p95`` of a ``max_`` constraint is the
95th percentile, of a ``min_`` constraint the 5th (the value 95% of runs do at least as
well as). By default a constraint is judged on the worst replication. A run that did not
complete has an infinite duration.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rollsim.observe.metrics import SUMMARY_KEYS
from rollsim.spec.quoting import describe, expected_one_of, nearest, written
from rollsim.sweep.labels import display, setting_words

__all__ = ["Constraint", "STATISTICS", "floor_nodes", "parse_slo", "statistic", "judge", "Recommendation", "recommend",
           "recommend_by_condition", "by_condition"]

STATISTICS = ("mean", "p50", "p95", "max", "min", "worst")
_NUMERIC = tuple(k for k in SUMMARY_KEYS if k not in ("completed", "stalled", "rolled_back"))
# every key an slo mapping takes: max_ and min_ of each metric, a metric named with its bound as it is
_KEYS = tuple(k for m in _NUMERIC for k in ((m,) if m.startswith(("max_", "min_")) else (f"max_{m}", f"min_{m}")))


@dataclass(frozen=True, slots=True)
class Constraint:
    """``metric`` must be ≤ ``limit`` (``bound='max'``) or ≥ it (``'min'``), judged on ``statistic``."""

    metric: str
    bound: str
    limit: float
    statistic: str = "worst"

    def __post_init__(self) -> None:
        if self.metric not in _NUMERIC:
            raise ValueError(f"unknown metric {self.metric!r}; "
                             + expected_one_of(self.metric, _NUMERIC, " (the summary's metrics: README, One rollout)"))
        if self.bound not in ("max", "min"):
            raise ValueError(f"bound must be max or min, got {written(self.bound)}")
        if self.statistic not in STATISTICS:
            raise ValueError(f"statistic must be one of {', '.join(STATISTICS)}, got {written(self.statistic)}")
        if not math.isfinite(self.limit):
            raise ValueError(f"limit must be a finite number, got {self.limit!r}")
        if self.metric.endswith("_fraction") and not 0 <= self.limit <= 1:  # no run is ever outside [0, 1]
            raise ValueError(f"limit must be a fraction between 0 and 1 (0.95 for 95%), got {self.limit:g}")
        if self.limit < 0:  # every metric counts or times something: never below zero
            raise ValueError(f"limit must not be negative, got {self.limit:g}")

    @property
    def key(self) -> str:
        """The metric's column in the summary: ``max_``/``min_`` and the metric, as ``bound`` says."""
        prefix = f"{self.bound}_"
        return self.metric if self.metric.startswith(prefix) else prefix + self.metric

    def describe(self) -> str:
        """The constraint in words, for the report: ``duration_s ≤ 1800 (p95 over replications)``."""
        sign = "≤" if self.bound == "max" else "≥"
        return f"{self.metric} {sign} {self.limit:g} ({self.statistic} over replications)"

    def holds(self, value: float) -> bool:
        """Whether ``value`` meets the constraint."""
        return value <= self.limit if self.bound == "max" else value >= self.limit


def floor_nodes(limit: float, desired: int = 1) -> int:
    """The whole number of nodes an availability floor asks to keep: ``⌈limit × desired⌉`` for a
    share of ``desired`` nodes (95% of 1,003 is 953, not 952.85), ``⌈limit⌉`` for a count of nodes
    (``desired`` 1); float noise below a whole number is not rounded up.
    """
    return math.ceil(limit * desired - 1e-9)


def parse_slo(data: Any) -> tuple[Constraint, ...]:
    """Constraints from an ``slo`` mapping; raises ``ValueError`` naming the bad key (``key: message``).

    ``{statistic: p95, max_duration_s: 1800, min_available_fraction: {limit: 0.95, statistic: min}}``
    """
    if data is None:
        return ()
    if not isinstance(data, Mapping):
        raise ValueError(f": must be a mapping, got {describe(data)}")
    default = data.get("statistic", "worst")
    if default not in STATISTICS:
        raise ValueError(f"statistic: must be one of {', '.join(STATISTICS)}, got {written(default)}")
    out = []
    for key, value in data.items():
        if key == "statistic":
            continue
        bound, _, metric = str(key).partition("_")
        near = nearest(key, _KEYS) if key not in _KEYS else None
        if bound not in ("max", "min") or not metric:
            raise ValueError(f"{key}: an SLO key is max_<metric> or min_<metric>"
                             + (f"; did you mean {near}?" if near else ""))
        if metric not in _NUMERIC and key in _NUMERIC:
            metric = str(key)  # min_available_fraction: a metric whose name carries its bound
        if near is not None:  # min_availble_fraction: the key as written, and the one it misspells
            raise ValueError(f"{key}: unknown SLO key; did you mean {near}?")
        stat = default
        if isinstance(value, Mapping):
            unknown = set(value) - {"limit", "statistic"}
            if unknown or "limit" not in value:
                raise ValueError(f"{key}: give a number, or a mapping with limit and statistic")
            stat, value = value.get("statistic", default), value["limit"]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{key}: the limit must be a number, got {written(value)}")
        try:
            out.append(Constraint(metric, bound, float(value), stat))
        except ValueError as exc:
            raise ValueError(f"{key}: {exc}") from None
    return tuple(out)


def statistic(values: Sequence[float | None], name: str, bound: str) -> float:
    """The statistic ``name`` of ``values`` (None counts as +inf), in the direction that hurts."""
    x = np.array([math.inf if v is None else float(v) for v in values], dtype=float)
    if len(x) == 0:
        return math.nan
    worst_high = bound == "max"
    if name == "worst":
        name = "max" if worst_high else "min"
    if name == "mean":
        return float(np.mean(x))
    if name == "max":
        return float(np.max(x))
    if name == "min":
        return float(np.min(x))
    q = 50.0 if name == "p50" else (95.0 if worst_high else 5.0)
    if np.isinf(x).any():  # percentile with inf: take the order statistic instead of interpolating
        return float(np.percentile(x, q, method="higher" if worst_high else "lower"))
    return float(np.percentile(x, q))


def judge(constraints: Sequence[Constraint], runs: Mapping[str, Sequence[float | None]]) -> dict[str, Any]:
    """The verdict of one configuration: ``{"ok": bool, "failed": [...], "values": {key: v}}``."""
    values, failed = {}, []
    for c in constraints:
        v = statistic(runs[c.metric], c.statistic, c.bound)
        values[c.key] = v
        if not c.holds(v):
            failed.append(c.key)
    return {"ok": not failed, "failed": failed, "values": values}


@dataclass(frozen=True, slots=True)
class Recommendation:
    """The fastest safe configuration, or why none is; ``condition`` names the values of the
    keys the user does not choose that it holds for (empty: the whole study).
    """

    label: str | None
    reason: str
    condition: str = ""


def _complete(c: Mapping[str, Any]) -> bool:
    """Completed in every replication (a config without counts: when it has a finite duration)."""
    runs, done = c.get("runs"), c.get("completed")
    if runs is None or done is None:
        return True
    return int(done) == int(runs) and int(runs) > 0


def recommend(
    configs: Sequence[Mapping[str, Any]], constraints: Sequence[Constraint], speed_metric: str = "duration_s"
) -> Recommendation:
    """Pick the fastest safe configuration: lowest mean ``speed_metric`` among those that
    completed in every replication and met every SLO constraint.

    Each config is ``{"label", "ok", "failed": [keys], "runs", "completed", "<speed_metric>_mean"}``
    (``runs``/``completed``: how many replications ran and completed; an optional ``counted``
    says what the count counts, when not just the one DaemonSet). A configuration that
    completed in only some replications is never recommended: its mean is over the lucky ones.
    With no SLO every configuration that always completed qualifies.
    """
    speed = f"{speed_metric}_mean"
    safe = [c for c in configs if c["ok"] and _complete(c) and c.get(speed) is not None and math.isfinite(c[speed])]
    if safe:
        best = min(safe, key=lambda c: (c[speed], c["label"]))
        if constraints:
            return Recommendation(best["label"], f"{best['label']} is the fastest configuration that completed in "
                                                 "every replication and met every SLO constraint")
        return Recommendation(best["label"], f"{best['label']} is the fastest configuration that completed in every "
                                             "replication (no SLO given)")
    if not configs:
        return Recommendation(None, "no configuration was run")
    n = len(configs)
    parts = []
    partial = [c for c in configs if not _complete(c)]
    if partial:
        shown = "; ".join(f"{c['label']}: {int(c['completed'])}/{int(c['runs'])}{c.get('counted', '')}"
                          for c in partial[:4])  # labels have commas of their own (maxSurge 5%, OnDelete)
        more = "; …" if len(partial) > 4 else ""
        parts.append(f"{len(partial)} of {n} did not complete in every replication ({shown}{more})")
    counts: dict[str, int] = {}
    for c in configs:
        for key in c["failed"]:
            counts[key] = counts.get(key, 0) + 1
    by_key = {c.key: c for c in constraints}
    for k, m in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        parts.append(f"{by_key[k].describe()} fails in {m} of {n}" if k in by_key else f"{k} fails in {m} of {n}")
    if not parts:
        parts.append("no configuration completed its rollout")
    return Recommendation(None, "no configuration is safe to recommend: " + "; ".join(parts))


_LONG_CONDITION = 100  # characters


def _shared_label(labels: Sequence[str]) -> str:
    """The parts (``, ``-separated) every label of a group shares: ``stragglers 2% at +500 s`` for
    ``stragglers 2% at +500 s, maxUnavailable 1`` and ``..., maxUnavailable 10%``.
    """
    parts = [label.split(", ") for label in labels]
    return ", ".join(p for p in parts[0] if all(p in q for q in parts[1:])) if parts else ""


def by_condition(rows: Sequence[Mapping[str, Any]], conditions: Sequence[str],
                 value: Callable[[Mapping[str, Any], str], Any]) -> dict[str, list[Mapping[str, Any]]]:
    """``rows`` (configurations, each with a ``label``) grouped by their values of the
    ``conditions`` (swept keys the user does not choose; ``value(row, key)`` reads one), in
    the order they first appear, each group named as a reader takes it in: ``100 nodes``; the
    name of the user's variant when each group is one (``_are_variant_names``); or the label parts
    its configurations share when the values are too long to read. Whatever
    is ranked or recommended is ranked within one group: never across conditions.
    """
    groups: dict[tuple[str, ...], list[Mapping[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(display(value(row, k)) for k in conditions), []).append(row)
    shared = [_shared_label([str(c["label"]) for c in group]) for group in groups.values()]
    said = [[setting_words(k, v) for k, v in zip(conditions, key)] for key in groups]
    named = _are_variant_names(shared, [len(group) for group in groups.values()], said)
    out: dict[str, list[Mapping[str, Any]]] = {}
    for i, group in enumerate(groups.values()):
        where = ", ".join(said[i])
        if named:  # each condition is one of the user's named variants: named as the user named it
            where = shared[i]
        elif len(where) > _LONG_CONDITION:  # values no reader can take in: name it as its configurations do
            where = shared[i] or where
        out[where] = group
    return out


def _are_variant_names(shared: Sequence[str], sizes: Sequence[int], said: Sequence[Sequence[str]]) -> bool:
    """Whether the label parts each group of configurations shares (``shared``, of groups of
    ``sizes``) name variants the user named (``promtail (108 nodes)`` of ``promtail (108 nodes),
    maxUnavailable 1``, where ``108 nodes, shutdown time lognormal(median=20, p95=30), ...`` says
    less): one per group, no two alike, none holding a swept condition's words (``said``, each group's:
    ``other pods requesting 50% of each node`` is the setting, not a name), each shared by two
    configurations or more (one's whole label names its decisions too).
    """
    return (bool(shared) and all(size >= 2 for size in sizes)
            and all(n and not set(n.split(", ")) & set(words) for n, words in zip(shared, said))
            and len(set(shared)) == len(shared))


def _only_one(only: Mapping[str, Any], constraints: Sequence[Constraint], conditions: Sequence[str] = ()) -> str:
    """Why the one configuration run under a condition is not recommended: it did not complete,
    it failed the SLO, or there was simply nothing to choose from, and why: configurations are
    compared under one value of each condition (audit 41: a variant that set daemonset.host_ports
    beside its strategy made a condition of its own, and the report did not say how to compare it).
    """
    lead = f"the only configuration run under this condition, {only['label']},"
    if not _complete(only):
        stop = only.get("stop")
        return (f"{lead} did not complete ({int(only['completed'])}/{int(only['runs'])} replications"
                f"{only.get('counted', '')})"
                + (f", stopped because of {stop}" if isinstance(stop, str) and stop else ""))
    if not only.get("ok", True):
        return f"{lead} does not meet the SLO ({', '.join(map(str, only.get('failed') or [])) or 'failed'})"
    met = " and met the SLO" if constraints else ""
    why = (f": configurations are compared only under one value of each condition ({', '.join(conditions)}: the "
           "keys the study varies that decisions: does not list; one listed there is compared across its values)"
           if conditions else "")
    return f"{lead} completed in every replication{met}, but there is nothing to choose from{why}"


def recommend_by_condition(
    configs: Sequence[Mapping[str, Any]], constraints: Sequence[Constraint], conditions: Sequence[str],
    speed_metric: str = "duration_s",
) -> list[Recommendation]:
    """One ``recommend`` per combination of the ``conditions`` (``by_condition``; each config
    carries them in ``params``), in the order they first appear. A condition under which only
    one configuration ran has nothing to choose from: its recommendation names none, and says
    whether that one completed (``completed``/``runs``, and why not: ``stop``, if given) and
    met the SLO.
    """
    out = []
    for where, group in by_condition(configs, conditions, lambda c, k: (c.get("params") or {}).get(k)).items():
        if len(group) == 1:
            out.append(Recommendation(None, _only_one(group[0], constraints, conditions), where))
            continue
        rec = recommend(group, constraints, speed_metric)
        out.append(Recommendation(rec.label, rec.reason, where))
    return out
