"""Identical results for identical seeds: a set of scenarios against fingerprints recorded on main.

The fingerprints (``tests/data/golden_fingerprints.json``) hold each scenario's summary and a
hash of every frame's CSV text. Work that should not change results (speed, layout) must keep
them; a change that means to change results bumps ``MODEL_VERSION`` and rewrites the file with
``python tests/test_identical_results.py --write``, saying why in its commit.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from pathlib import Path
from typing import Any

import pytest
from rollsim import build_scenario, simulate

GOLDEN = Path(__file__).parent / "data" / "golden_fingerprints.json"

CONST = dict(schedule=1, pull=2, start=3, ready=4, terminate=5, probe_period=0)
CASES: dict[str, dict[str, Any]] = {
    "realistic-10pct": dict(nodes=800, max_unavailable="10%"),
    "realistic-1.33": dict(nodes=300, max_unavailable="10%", min_ready_seconds=10, kubernetes_version="1.33"),
    "ideal-10pct": dict(nodes=400, max_unavailable="10%", controller="ideal"),
    "ideal-const": dict(nodes=50, max_unavailable=4, controller="ideal", **CONST),
    "surge": dict(nodes=500, max_surge="10%", min_ready_seconds=10),
    "surge-ideal": dict(nodes=60, max_surge=5, controller="ideal", **CONST),
    "ondelete": dict(nodes=200, strategy="OnDelete", deleter="batch:20:5"),
    "ondelete-rate": dict(nodes=100, strategy="OnDelete", deleter="rate:3"),
    "crashloop": dict(nodes=100, max_unavailable=3, new_pods="crashloop:0.1"),
    "rejected": dict(nodes=100, max_unavailable=3, new_pods="rejected:0.1"),
    "pull-error-rollback": dict(nodes=60, max_unavailable=2, new_pods="pull-error", stall_after=300,
                                rollback_after=60),
    "image": dict(nodes=250, max_unavailable="10%", image_size="1GB", registry_bandwidth="300MB/s",
                  image_cached=0.3),
    "not-ready": dict(nodes=300, max_unavailable="5%", not_ready_nodes=5),
    "not-ready-during": dict(nodes=200, max_unavailable="5%", not_ready_nodes="4@60"),
    "churn": dict(nodes=200, max_unavailable="10%", add_nodes="20@30+60", remove_nodes="10@40+100"),
    "surge-fit": dict(nodes=100, max_surge="10%", requests_cpu="500m", node_utilization=0.9),
    "sched-throughput": dict(nodes=100, max_unavailable="20%", scheduler_throughput="5/s"),
    "also": dict(nodes=300, max_unavailable="10%",
                 also=[{"name": "a", "max_unavailable": "10%"}, {"name": "b", "max_surge": 5}]),
    "minready-ideal": dict(nodes=30, max_unavailable=3, min_ready_seconds=7, controller="ideal", **CONST),
    "out-of-service": dict(nodes=150, max_unavailable="10%", not_ready_nodes="6@30", out_of_service_after=60),
    "control-plane": dict(nodes=120, max_unavailable="10%", control_plane_nodes=3, not_ready_nodes=4,
                          not_ready_condition="False"),
    "churn-surge": dict(nodes=150, max_surge="10%", add_nodes="15@20+40", remove_nodes="8@30+80",
                        image_cached=0.5, image_size="500MB"),
    "ondelete-not-ready": dict(nodes=120, strategy="OnDelete", deleter="batch:10:5", not_ready_nodes=4),
    "three-daemonsets": dict(nodes=200, max_unavailable="10%", also=[
        {"name": "calico-node", "max_unavailable": "10%", "ready": "lognormal(median=3, p95=6)"},
        {"name": "node-exporter", "max_unavailable": "10%", "ready": "lognormal(median=2, p95=4)"}]),
}


def _digest(frame: Any) -> str:
    return hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()[:20]


def _plain(value: Any) -> Any:
    """A JSON value that compares exactly: floats by repr, NaN as a string."""
    if isinstance(value, float):
        return "nan" if math.isnan(value) else repr(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | str):
        return value
    return _plain(value.item()) if hasattr(value, "item") else str(value)


def fingerprint(name: str) -> dict[str, Any]:
    """One scenario's summary (without the event count, which speed work changes) and frame hashes."""
    result = simulate(build_scenario(**CASES[name]), seed=7)
    summary = {k: v for k, v in result.summary.items() if k != "events"}
    others = {n: {k: v for k, v in s.items() if k != "events"} for n, s in result.others.items()}
    return {"summary": _plain(summary), "others": _plain(others), "timeline": _digest(result.timeline),
            "nodes": _digest(result.nodes), "status": _digest(result.status)}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_seed_same_results_as_recorded(name: str) -> None:
    golden = json.loads(GOLDEN.read_text())
    assert fingerprint(name) == golden[name]


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    GOLDEN.write_text(json.dumps({n: fingerprint(n) for n in sorted(CASES)}, indent=1, sort_keys=True) + "\n")
    print("wrote", GOLDEN)
