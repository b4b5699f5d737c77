"""A run's timeline as Prometheus text: a Grafana panel of the simulated rollout beside the real one.

Each timeline column becomes a gauge named after the kube-state-metrics series it
mirrors, so a dashboard query can put them side by side:

=====================================  ====================================================
rollsim series                          kube-state-metrics series of a real rollout
=====================================  ====================================================
rollsim_daemonset_desired_nodes         kube_daemonset_status_desired_number_scheduled
rollsim_daemonset_available_nodes       kube_daemonset_status_number_available
rollsim_daemonset_unavailable_nodes     kube_daemonset_status_number_unavailable
rollsim_daemonset_updated_nodes         kube_daemonset_status_updated_number_scheduled
rollsim_daemonset_surge_nodes           (nodes with two pods bound at once)
rollsim_daemonset_terminating_pods      (pods shutting down)
rollsim_daemonset_pending_pods          (new pods created but not yet running)
rollsim_daemonset_extra_pods            (pods bound beyond one a node, terminating ones too)
=====================================  ====================================================

Two flavours of one format: the Prometheus text exposition format 0.0.4 (timestamps in
milliseconds; ``.prom``) and OpenMetrics 1.0 (timestamps in seconds, ``# EOF``; ``.om``,
what ``promtool tsdb create-blocks-from openmetrics`` backfills). The timeline is a step
function stored where it changes; samples are those change points, timestamped at
``start_s`` plus the simulated time, one per millisecond at most (the last state in it).
``held`` adds what a reader of the samples cannot know: the state held to the run's end (a
stalled run's last change can be minutes or days before it), and, for Prometheus, repeated
where it does not change for longer than its default 5-minute lookback, after which a query
finds no sample and a panel shows no series.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["HOLD_S", "MAX_HELD", "SERIES", "held", "timeline_exposition"]

# timeline column -> (metric name, help text)
SERIES = {
    "desired": ("rollsim_daemonset_desired_nodes", "Nodes that should run the daemon pod."),
    "available": ("rollsim_daemonset_available_nodes", "Desired nodes with an available daemon pod."),
    "unavailable": ("rollsim_daemonset_unavailable_nodes", "Desired nodes without an available daemon pod."),
    "updated": ("rollsim_daemonset_updated_nodes",
                "Nodes whose first pod (bound pods first, then the oldest) is of the current revision"
                " (the new one, or the one rolled back to)."),
    "surge": ("rollsim_daemonset_surge_nodes", "Nodes with two pods bound at once (an old and a new one)."),
    "terminating": ("rollsim_daemonset_terminating_pods", "Pods shutting down (being deleted), old or new."),
    "pending": ("rollsim_daemonset_pending_pods", "New pods created but not yet running."),
    "extra_pods": ("rollsim_daemonset_extra_pods",
                   "Pods bound to desired nodes beyond one a node, terminating ones included (their requests held)."),
}
_INT64_MS_END = 2.0**63  # the first float a sample's int64 millisecond timestamp cannot hold
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")


def _label_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(labels: Mapping[str, str]) -> str:
    for name in labels:
        if not _LABEL_NAME.match(name) or name.startswith("__"):
            raise ValueError(f"not a Prometheus label name: {name!r}")
    return "{" + ",".join(f'{k}="{_label_value(str(v))}"' for k, v in labels.items()) + "}" if labels else ""


HOLD_S = 240.0  # a sample at least this often where nothing changes: within Prometheus's 5-minute lookback
MAX_HELD = 100_000  # at most this many repeated rows (a run of years: then further apart, evenly)


def held(timeline: pd.DataFrame, end_s: float, every_s: float | None = None) -> pd.DataFrame:
    """``timeline`` (a step function, a row where it changes) with its last state held to
    ``end_s``, the run's end: a closing row there when the run ended after its last change; and,
    with ``every_s``, the state repeated at least every ``every_s`` seconds where it does not
    change (at most ``MAX_HELD`` repeats: over a longer span they are spread evenly). The rows
    added copy the row whose state they hold; every row is in order of its state, whatever float
    rounding does to the added times.
    """
    times = timeline["time_s"].to_numpy(dtype=float)
    n = len(times)
    if n == 0:
        return timeline
    gaps = np.diff(np.append(times, max(times[-1], end_s)))
    if every_s:
        step = max(every_s, float(np.sum(gaps)) / MAX_HELD)
        count = np.maximum(np.ceil(gaps / step).astype(np.int64) - 1, 0)
    else:
        step, count = 0.0, np.zeros(n, dtype=np.int64)
    source = np.repeat(np.arange(n), count)
    k = np.arange(len(source)) - np.repeat(np.cumsum(count) - count, count) + 1
    rows, at, order = [source], [times[source] + k * step], [source + k / (count[source] + 1)]
    if end_s > times[-1]:
        rows.append(np.array([n - 1]))
        at.append(np.array([end_s]))
        order.append(np.array([float(n)]))
    added = timeline.iloc[np.concatenate(rows)].assign(time_s=np.concatenate(at))
    frame = pd.concat([timeline, added], ignore_index=True)
    place = np.concatenate([np.arange(n, dtype=float), *order])
    return frame.iloc[np.argsort(place, kind="stable")].reset_index(drop=True)


def timeline_exposition(timeline: pd.DataFrame, *, start_s: float = 0.0, labels: Mapping[str, str] | None = None,
                        openmetrics: bool = False) -> str:
    """The timeline's gauges (``SERIES``, those of its columns present) as exposition text.

    ``start_s`` is the wall-clock time (Unix seconds) of the update's start; ``labels``
    go on every sample (``namespace``, ``daemonset``, ``seed``...). A sample's timestamp is an
    int64 of milliseconds: ``ValueError`` if ``start_s`` plus a time of the timeline is not one
    (a run's horizon, ``rollsim.spec.scenario.MAX_HORIZON_S``, keeps its times well inside).
    """
    if not math.isfinite(start_s):
        raise ValueError(f"start_s must be finite, got {start_s!r}")
    stamps = (start_s * 1000 + timeline["time_s"].to_numpy(dtype=float) * 1000).round()
    outside = ~(np.abs(stamps) < _INT64_MS_END)  # NaN too
    if outside.any():
        raise ValueError(f"start_s plus time_s must fit a sample's int64 timestamp in milliseconds (within "
                         f"±{_INT64_MS_END / 1000:.4g} s), got {start_s!r} plus "
                         f"{float(timeline['time_s'].to_numpy(dtype=float)[outside][0])!r}")
    ms = stamps.astype("int64")
    # several changes at one instant, or within one millisecond: the state after the last
    last: np.ndarray | list[int] = pd.Series(range(len(ms))).groupby(ms).max().to_numpy() if len(ms) else []
    label_text = _labels(labels or {})
    lines = []
    for column, (name, text) in SERIES.items():
        if column not in timeline:
            continue
        values = timeline[column].to_numpy()
        lines += [f"# HELP {name} {text}", f"# TYPE {name} gauge"]
        for i in last:
            stamp = f"{ms[i] / 1000:.3f}" if openmetrics else str(ms[i])
            lines.append(f"{name}{label_text} {int(values[i])} {stamp}")
    if openmetrics:
        lines.append("# EOF")
    return "\n".join(lines) + "\n"
