"""A results folder fabricated by hand, in the layout ``rollsim run`` writes (``rollsim.sweep.results``).

Four configurations of a 200-node rollout (maxUnavailable 10% / 25% × minReadySeconds 0 / 30),
three replications each. Each run is a clean batch rollout: batches of ⌈pct × 200⌉ nodes, each
batch down for ``terminate + start + ready + minReadySeconds`` seconds. With the SLO
(duration ≤ 30 min, min available fraction ≥ 0.8):

* c0 ``10%, 0 s``   passes (the fastest passing one: the recommendation),
* c1 ``10%, 30 s``  passes, slower,
* c2 ``25%, 0 s``   fastest but fails min_available_fraction (75% available),
* c3 ``25%, 30 s``  never completes (one batch stuck until the horizon): fails both.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import yaml  # noqa: E402
from hypothesis import settings  # noqa: E402
from rollsim.sweep.slo import Constraint, judge  # noqa: E402

from apiserver import ApiServer, write_kubeconfig  # noqa: E402  # tests/apiserver.py

# Hypothesis: CI must not fail by luck. With CI=true (as GitHub Actions and most CI systems
# set it) the examples are derived from each test's name (derandomize) and no example
# database is read or written, so a landing sees the same cases every time; elsewhere the
# exploration is random and remembers its failures, which is where new cases are found.
settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None, derandomize=False)


def hypothesis_profile(env: Mapping[str, str]) -> str:
    """``HYPOTHESIS_PROFILE`` if set, else ``ci`` when ``CI`` is true, else ``dev``."""
    if env.get("HYPOTHESIS_PROFILE"):
        return env["HYPOTHESIS_PROFILE"]
    return "ci" if env.get("CI", "").strip().lower() in ("true", "1", "yes") else "dev"


settings.load_profile(hypothesis_profile(os.environ))

NODES = 200
HORIZON = 3600.0
METRICS = ("duration_s", "unavailable_node_seconds", "min_available", "min_available_fraction",
           "max_unavailable_observed", "max_surge_observed", "node_downtime_p50_s", "node_downtime_p95_s",
           "node_downtime_max_s", "updated")
SCENARIO = {
    "nodes": NODES, "desired_nodes": NODES, "daemonset": "kube-system/fluentd-elasticsearch", "tolerations": [],
    "strategy": "RollingUpdate", "max_unavailable": 1, "max_surge": 0, "min_ready_seconds": 0.0,
    "termination_grace_period_seconds": 30.0, "probe_period": 10.0, "probe_initial_delay": 0.0,
    "schedule": "lognormal(median=0.1, p95=0.3)", "pull": "lognormal(median=2.4, p95=5)",
    "start": "lognormal(median=1, p95=1.6)", "ready": "stragglers(median=20, p95=45, fraction=0.02, tail=400)",
    "terminate": "lognormal(median=5, p95=25)", "controller": "realistic", "kube_api_qps": 20.0,
    "kube_api_burst": 30, "workers": 2, "deleter": "none", "horizon_s": HORIZON,
}
SLO = [
    {"key": "max_duration_s", "metric": "duration_s", "bound": "max", "limit": 1800.0, "statistic": "worst",
     "text": "duration_s ≤ 1800 (worst over replications)"},
    {"key": "min_available_fraction", "metric": "min_available_fraction", "bound": "min", "limit": 0.8,
     "statistic": "worst", "text": "min_available_fraction ≥ 0.8 (worst over replications)"},
]


def _run(rng: np.random.Generator, batch: int, min_ready: float, stuck: bool) -> tuple[list, list, dict]:
    """One run: timeline rows, per-node downtimes and its summary dict."""
    rows, downtime, t, updated = [], [], 0.0, 0
    rows.append((0.0, NODES, NODES, 0, 0, 0, 0, 0))
    for start in range(0, NODES, batch):
        k = min(batch, NODES - start)
        down = 5 + 1 + rng.lognormal(np.log(20), 0.3) + min_ready
        rows.append((t + 0.5, NODES, NODES - k, k, updated, 0, k, 0))
        last = stuck and start + batch >= NODES
        if last:  # the last batch never becomes available (say, an image that cannot be pulled)
            downtime += [HORIZON - t] * k
            return rows, downtime, {"end_s": HORIZON, "completed": False}
        t += down
        updated += k
        rows.append((t, NODES, NODES, 0, updated, 0, 0, 0))
        downtime += list(down - 0.5 + rng.uniform(-2, 2, size=k))
    return rows, downtime, {"end_s": t, "completed": True}


def _summary(tl: pd.DataFrame, downtime: list[float], end: dict) -> dict[str, Any]:
    times = np.append(tl["time_s"].to_numpy(), end["end_s"])
    d = np.array(downtime)
    return {
        "nodes": NODES, "completed": end["completed"], "duration_s": end["end_s"] if end["completed"] else None,
        "updated": int(tl["updated"].iloc[-1]), "min_available": int(tl["available"].min()),
        "min_available_fraction": tl["available"].min() / NODES,
        "max_unavailable_observed": int(tl["unavailable"].max()),
        "unavailable_node_seconds": float(np.dot(tl["unavailable"], np.diff(times))),
        "max_surge_observed": 0, "node_downtime_p50_s": float(np.percentile(d, 50)),
        "node_downtime_p95_s": float(np.percentile(d, 95)), "node_downtime_max_s": float(d.max()),
        "end_s": end["end_s"], "events": 4000, "syncs": 300, "sync_errors": 0, "api_writes": 900,
    }


def _stats(values: pd.Series) -> dict[str, float | None]:
    x = values.dropna().to_numpy(dtype=float)
    if not len(x):
        return dict.fromkeys(("mean", "p50", "p95", "max", "ci_low", "ci_high"))
    half = 2.0 * x.std(ddof=1) / math.sqrt(len(x)) if len(x) > 1 else 0.0
    return {"mean": x.mean(), "p50": np.percentile(x, 50), "p95": np.percentile(x, 95), "max": x.max(),
            "ci_low": x.mean() - half, "ci_high": x.mean() + half}


def build_results(
    root: Path, *, values: tuple[Any, Any] = ("10%", "25%"), labels: list[str] | None = None,
    description: str = "Which maxUnavailable keeps 80% of nodes covered? <script>alert(1)</script> & more",
    slo: list[dict] | None = None, timelines: bool = True, downtime: bool = True,
    experiment_keys: Mapping[str, Any] | None = None,
) -> Path:
    """Write a results folder under ``root``; ``values`` are the two maxUnavailable values swept;
    ``experiment_keys`` replace keys of its ``experiment.yaml`` (``decisions``, ``swept``).
    """
    slo = SLO if slo is None else slo
    constraints = [Constraint(c["metric"], c["bound"], c["limit"], c["statistic"]) for c in slo]
    rng = np.random.default_rng(7)
    grid = [(mu, mr) for mu in values for mr in (0, 30)]
    configs, runs, tls, downs, summary = [], [], [], [], []
    for index, (mu, mr) in enumerate(grid):
        label = labels[index] if labels else f"maxUnavailable {mu}, minReadySeconds {mr}"
        params = {"strategy.max_unavailable": mu, "strategy.min_ready_seconds": mr}
        configs.append({"index": index, "label": label, "params": params,
                        "scenario": {**SCENARIO, "max_unavailable": mu, "min_ready_seconds": float(mr)}})
        batch = mu if isinstance(mu, int) else math.ceil(int(mu[:-1]) * NODES / 100)
        rows_of_config = []
        for r in range(3):
            rows, down, end = _run(rng, batch, mr, stuck=index == 3)
            tl = pd.DataFrame(rows, columns=["time_s", "desired", "available", "unavailable", "updated",
                                             "surge", "terminating", "pending"])
            s = _summary(tl, down, end)
            rows_of_config.append(s)
            runs.append({"run_id": f"c{index:03d}-r{r:03d}-0123456789", "config": index, "label": label,
                         "replication": r, "seed": 1000 + r, **params, **s})
            tls.append(tl.assign(config=index, replication=r))
            downs.append(pd.DataFrame({"config": index, "replication": r, "node": [f"node-{i:05d}" for i in
                                                                                  range(NODES)],
                                       "downtime_s": down}))
        frame = pd.DataFrame(rows_of_config)
        row = {"config": index, "label": label, **params, "runs": 3, "completed": int(frame["completed"].sum()),
               "completed_fraction": frame["completed"].mean()}
        for m in METRICS:
            row.update({f"{m}_{k}": v for k, v in _stats(frame[m]).items()})
        verdict = judge(constraints, {c.metric: list(frame[c.metric].where(frame[c.metric].notna(), None))
                                      for c in constraints})
        row.update({"slo_ok": verdict["ok"], "slo_failed": ";".join(verdict["failed"])})
        row.update({f"slo_{k}": v for k, v in verdict["values"].items()})
        summary.append(row)

    out = root / "demo"
    out.mkdir(parents=True)
    experiment = {"name": "demo", "description": description, "source": "experiments/demo.yaml",
                  "replications": 3, "seed": 1,
                  "swept": ["strategy.max_unavailable", "strategy.min_ready_seconds"], "slo": slo,
                  "configurations": configs, **(experiment_keys or {})}
    (out / "experiment.yaml").write_text(yaml.safe_dump(experiment, sort_keys=False, allow_unicode=True),
                                         encoding="utf-8")
    (out / "manifest.json").write_text(json.dumps({
        "rollsim": "0.1.0", "python": "3.11.9", "simpy": "4.1.1", "numpy": "1.26.4", "pandas": "2.2.2",
        "seed": 1, "started_at": "2024-05-01T10:00:00+00:00", "finished_at": "2024-05-01T10:00:12+00:00",
        "executor": "processes", "workers": 4, "runs_total": 12, "runs_run": 12, "runs_reused": 0,
        "wall_s": 12.34}), encoding="utf-8")
    pd.DataFrame(runs).to_csv(out / "runs.csv", index=False)
    pd.DataFrame(summary).to_csv(out / "summary.csv", index=False)
    if timelines:
        cols = ["config", "replication", "time_s", "desired", "available", "unavailable", "updated", "surge",
                "terminating", "pending"]
        pd.concat(tls)[cols].to_parquet(out / "timelines.parquet", index=False)
    if downtime:
        pd.concat(downs).to_parquet(out / "downtime.parquet", index=False)
    return out


@pytest.fixture
def make_results(tmp_path: Path) -> Callable[..., Path]:
    """Build a results folder with options (see ``build_results``); returns its path."""
    count = iter(range(1000))
    return lambda **kw: build_results(tmp_path / f"r{next(count)}", **kw)


@pytest.fixture
def fake_results(make_results: Callable[..., Path]) -> Path:
    """The default fabricated results folder (four configurations, three replications)."""
    return make_results()


@pytest.fixture
def api():
    """``tests/apiserver.py``'s API server on 127.0.0.1, for the tests of reading a live cluster."""
    with ApiServer() as server:
        yield server


@pytest.fixture
def kubeconfig(api, tmp_path):
    """A kubeconfig pointing at ``api``."""
    return write_kubeconfig(tmp_path / "kubeconfig", api.url)
