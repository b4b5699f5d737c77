"""The realistic defaults reproduce the measurements they are taken from (rollsim/scenario.py)."""

from __future__ import annotations

import numpy as np
import pytest
from rollsim.spec.scenario import ControllerSettings, DaemonSetSpec, ReadinessProbe, Timings, UpdateStrategy


def _draws(dist, n=200_000, seed=1):
    return np.asarray(dist.sample(np.random.default_rng(seed), n))


def test_pod_start_up_without_pull_is_p50_1_1_s_and_p99_2_s() -> None:
    t = Timings()
    start_up = _draws(t.schedule, seed=1) + _draws(t.start, seed=2)
    assert np.percentile(start_up, 50) == pytest.approx(1.1, abs=0.05)
    assert np.percentile(start_up, 99) == pytest.approx(2.0, abs=0.15)
    assert np.percentile(start_up, 99) <= 5.0  # the upstream SLO


def test_pull_of_a_200mb_image_interpolates_the_measured_pulls() -> None:
    # 100 MB ≈ 1.7 s, 1 GB ≈ 8 s: linear in between gives ≈ 2.4 s for 200 MB.
    expected = 1.7 + (8 - 1.7) * (200 - 100) / (1000 - 100)
    assert Timings().pull.quantile(0.5) == pytest.approx(expected, abs=0.05)


def test_log_shipper_takes_tens_of_seconds_to_become_ready() -> None:
    assert 10 <= Timings().ready.quantile(0.5) <= 60


def test_kubernetes_defaults() -> None:
    assert ReadinessProbe().period_seconds == 10 and ReadinessProbe().initial_delay_seconds == 0
    ds = DaemonSetSpec()
    assert ds.termination_grace_period_seconds == 30 and ds.min_ready_seconds == 0
    assert ds.strategy == UpdateStrategy("RollingUpdate", 1, 0)
    c = ControllerSettings()
    assert (c.mode, c.workers, c.kube_api_qps, c.kube_api_burst, c.burst_replicas) == ("realistic", 2, 20, 30, 250)
    assert c.slow_start_initial_batch_size == 1 and c.expectations_timeout == 300
