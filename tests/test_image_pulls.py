"""Image pulls through the registry model, end to end: contention, cache, pull policy, units."""

from __future__ import annotations

import math

import pytest
from rollsim import build_scenario, simulate
from rollsim.spec.image import ImageSpec, parse_pull_rate, parse_rate, parse_size

BASE = dict(controller="ideal", schedule=1, start=3, ready=4, terminate=5, probe_period=0)


@pytest.mark.parametrize(("nodes", "k", "node_bw", "registry_bw"), [
    (20, 4, 100e6, 200e6),   # registry-bound: 50 MB/s each
    (20, 4, 100e6, 1e9),     # node-bound: 100 MB/s each
    (30, 10, None, 500e6),   # no node cap: 50 MB/s each
    (12, 1, 25e6, None),     # one at a time, node-bound
])
def test_each_wave_of_equal_pulls_shares_the_registry(nodes, k, node_bw, registry_bw) -> None:
    """Ideal mode: a wave's k pulls start together, so each takes size / min(b, R/k) (closed form)."""
    size = 400e6
    s = simulate(build_scenario(nodes=nodes, max_unavailable=k, image_size=size, node_bandwidth=node_bw,
                                registry_bandwidth=registry_bw, **BASE)).summary
    rate = min(node_bw or math.inf, (registry_bw or math.inf) / k)
    pull = size / rate
    assert s["mean_pull_s"] == pytest.approx(pull)
    assert s["duration_s"] == pytest.approx(math.ceil(nodes / k) * (5 + 1 + pull + 3 + 4))
    assert s["peak_concurrent_pulls"] == k
    assert s["registry_bytes_served"] == pytest.approx(nodes * size)


def test_a_wider_rollout_makes_each_pull_slower() -> None:
    def mean_pull(k):
        return simulate(build_scenario(nodes=100, max_unavailable=k, image_size="300MB", node_bandwidth="100MB/s",
                                       registry_bandwidth="1GB/s", **BASE)).summary["mean_pull_s"]
    assert mean_pull(5) == pytest.approx(3.0)      # 5 × 100 MB/s fits in 1 GB/s
    assert mean_pull(25) == pytest.approx(7.5)     # 1 GB/s / 25 = 40 MB/s
    assert mean_pull(50) == pytest.approx(15.0)


def test_cached_images_skip_the_pull_under_if_not_present() -> None:
    s = simulate(build_scenario(nodes=10, max_unavailable=2, image_size="1GB", image_cached=1.0,
                                node_bandwidth="10MB/s", **BASE)).summary
    assert s["peak_concurrent_pulls"] == 0 and s["mean_pull_s"] is None and s["registry_bytes_served"] == 0
    assert s["duration_s"] == pytest.approx(5 * (5 + 1 + 3 + 4))


def test_always_still_asks_the_registry_for_a_cached_image() -> None:
    s = simulate(build_scenario(nodes=10, max_unavailable=2, image_size="1GB", image_cached=1.0,
                                image_pull_policy="Always", registry_latency=0.5, **BASE)).summary
    assert s["mean_pull_s"] == pytest.approx(0.5) and s["registry_bytes_served"] == 0


def test_a_partly_cached_cluster_pulls_less() -> None:
    s = simulate(build_scenario(nodes=200, max_unavailable="10%", image_size="100MB", image_cached=0.5,
                                node_bandwidth="100MB/s", **BASE), seed=4).summary
    assert 0.3 * 200 * 100e6 < s["registry_bytes_served"] < 0.7 * 200 * 100e6


def test_the_pull_rate_limit_delays_pulls() -> None:
    common = dict(nodes=20, max_unavailable=10, image_size="10MB", **BASE)
    free = simulate(build_scenario(**common)).summary
    limited = simulate(build_scenario(registry_pull_rate="1/s", **common)).summary
    assert limited["duration_s"] > free["duration_s"]
    assert limited["mean_pull_s"] > 1.0  # ten pulls admitted one a second


@pytest.mark.parametrize(("text", "value"), [("300MB", 300e6), ("1.5GB", 1.5e9), ("500Mi", 500 * 2**20),
                                              ("2GiB", 2 * 2**30), ("1024", 1024.0), (" 1e3 k", 1e6)])
def test_sizes(text, value) -> None:
    assert parse_size(text) == value


def test_rates_and_errors() -> None:
    assert parse_rate("100MB/s") == 100e6 and parse_pull_rate("10/s") == 10.0 and parse_pull_rate("0.5") == 0.5
    for bad in ("fast", "10 parsecs", "-5MB"):
        with pytest.raises(ValueError):
            parse_size(bad)
    for bad in ("0MB/s", "x/s"):
        with pytest.raises(ValueError):
            parse_rate(bad)
    with pytest.raises(ValueError):
        parse_pull_rate("0/s")
    with pytest.raises(ValueError):
        ImageSpec(cached=1.5)


def test_the_schedulers_throughput_spaces_the_binds() -> None:
    """A wave of 10 pods at 2 binds/s: the last is bound 4.5 s after the first (FIFO, burst 1)."""
    r = simulate(build_scenario(nodes=10, max_unavailable=10, scheduler_throughput="2/s", pull=2, **BASE))
    bound = sorted(r.nodes["new_scheduled_at_s"])
    assert bound[0] == pytest.approx(5 + 1) and bound[-1] - bound[0] == pytest.approx(4.5)


@pytest.mark.parametrize("value", [math.nan, math.inf, "1e400", "1e400MB", float("-inf")])
def test_sizes_and_rates_are_finite(value) -> None:
    """NaN or an infinite size reached the run before (an internal error, exit 1, a half-written folder)."""
    with pytest.raises(ValueError, match="must (not )?be"):
        parse_size(value)
    with pytest.raises(ValueError, match="must be"):
        parse_rate(value)
