"""The image registry under contention: closed forms for processor sharing, and properties."""

from __future__ import annotations

import math
from itertools import pairwise

import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st
from rollsim.cluster.registry import Registry
from rollsim.spec.registry import RegistrySpec, max_min_rates

MB = 1e6


def run_pulls(spec, pulls, hook=None):
    """Run pulls given as (start, size, cap); return their durations and the registry."""
    env = simpy.Environment()
    registry = Registry(env, spec)
    registry.on_recompute = hook
    events: list[simpy.Event | None] = [None] * len(pulls)

    def starting(i, start, size, cap):
        yield env.timeout(start)
        events[i] = registry.pull(size, cap)

    for i, (start, size, cap) in enumerate(pulls):
        env.process(starting(i, start, size, cap))
    env.run()
    return [e.value for e in events], registry


# --- max_min_rates -------------------------------------------------------------------------


def test_water_filling_heterogeneous_caps():
    assert max_min_rates([1, 10, 10], 12) == [1, 5.5, 5.5]
    assert max_min_rates([10, 1, None], 12) == [5.5, 1, 5.5]


def test_water_filling_caps_below_fair_share_get_their_cap():
    assert max_min_rates([2, 3, 4], 100) == [2, 3, 4]
    assert max_min_rates([None, None], 10) == [5, 5]
    assert max_min_rates([], 10) == []


def test_water_filling_unlimited_registry():
    assert max_min_rates([3, None], None) == [3, math.inf]


@given(st.lists(st.one_of(st.none(), st.floats(0.01, 1e3)), max_size=30),
       st.one_of(st.none(), st.floats(0.01, 1e4)))
def test_water_filling_is_feasible_and_work_conserving(caps, total):
    rates = max_min_rates(caps, total)
    for cap, rate in zip(caps, rates):
        assert rate > 0
        assert cap is None or rate <= cap
    if total is not None and caps:
        assert sum(rates) <= total * (1 + 1e-9)
        if any(c is None for c in caps) or sum(caps) >= total:  # saturated: nothing left over
            assert sum(rates) == pytest.approx(total)
        # max-min: a transfer below its cap gets the largest rate
        uncapped = [r for c, r in zip(caps, rates) if c is None or r < c * (1 - 1e-9)]
        assert all(r == pytest.approx(max(rates)) for r in uncapped)


# --- spec ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs", [{"bandwidth": 0}, {"pull_rate": -1}, {"latency": -0.1},
                                    {"bandwidth": math.nan}])
def test_spec_rejects_invalid(kwargs):
    with pytest.raises(ValueError):
        RegistrySpec(**kwargs)


def test_pull_rejects_invalid():
    registry = Registry(simpy.Environment(), RegistrySpec())
    with pytest.raises(ValueError):
        registry.pull(-1, None)
    with pytest.raises(ValueError):
        registry.pull(1, 0)


# --- closed forms --------------------------------------------------------------------------


@pytest.mark.parametrize("node_bw, registry_bw", [(10 * MB, 100 * MB), (100 * MB, 10 * MB),
                                                  (None, 10 * MB), (10 * MB, None)])
def test_one_pull(node_bw, registry_bw):
    durations, _ = run_pulls(RegistrySpec(bandwidth=registry_bw, latency=0.3),
                             [(0, 50 * MB, node_bw)])
    link = min(b for b in (node_bw, registry_bw) if b is not None)
    assert durations == [pytest.approx(50 * MB / link + 0.3)]


def test_unlimited_everything_is_instantaneous():
    durations, registry = run_pulls(RegistrySpec(latency=0.5), [(0, 50 * MB, None)] * 3)
    assert durations == [0.5] * 3
    assert registry.bytes_served == 150 * MB


@pytest.mark.parametrize("n", [1, 2, 5, 10, 50, 200])
@pytest.mark.parametrize("node_bw", [1 * MB, 10 * MB, None])
def test_equal_pulls_slow_down_with_concurrency(n, node_bw):
    registry_bw, size = 100 * MB, 200 * MB
    durations, registry = run_pulls(RegistrySpec(bandwidth=registry_bw),
                                    [(0, size, node_bw)] * n)
    share = registry_bw / n if node_bw is None else min(node_bw, registry_bw / n)
    assert durations == [pytest.approx(size / share)] * n
    assert registry.peak_concurrent == n


def test_staggered_pull_shares_the_remainder():
    # R = 10 B/s, 100 B each. A alone at 10 B/s for 5 s (50 B left); B joins: both at 5 B/s,
    # A finishes at 15; B has 50 B left at 15, alone again at 10 B/s -> finishes at 20.
    durations, _ = run_pulls(RegistrySpec(bandwidth=10), [(0, 100, None), (5, 100, None)])
    assert durations == [pytest.approx(15), pytest.approx(15)]


def test_staggered_pull_with_a_capped_node():
    # Latency 1: A's bytes flow from 1 at 10 B/s; B (capped at 2 B/s) joins at 5, when A has
    # 60 B left. A then gets 8 B/s -> ends at 5 + 7.5 = 12.5; B has 100 - 2 * 7.5 = 85 B left,
    # still capped at 2 B/s -> ends at 12.5 + 42.5 = 55, i.e. 51 s after its call at 4.
    durations, _ = run_pulls(RegistrySpec(bandwidth=10, latency=1),
                             [(0, 100, None), (4, 100, 2)])
    assert durations == [pytest.approx(12.5), pytest.approx(51)]


def test_heterogeneous_caps_drain_at_water_filled_rates():
    # caps [1, 10, 10], total 12 -> [1, 5.5, 5.5]; the fast two finish at 11/5.5 = 2 s,
    # then the slow one has 9 B left at its cap of 1 B/s -> 11 s.
    durations, _ = run_pulls(RegistrySpec(bandwidth=12), [(0, 11, 1), (0, 11, 10), (0, 11, 10)])
    assert durations == [pytest.approx(11), pytest.approx(2), pytest.approx(2)]


def test_pull_rate_limit_admits_at_the_sustained_rate():
    durations, registry = run_pulls(RegistrySpec(pull_rate=2), [(0, 0, None)] * 10)
    assert durations == pytest.approx([0, 0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0])
    assert registry.peak_concurrent == 0 and registry.bytes_served == 0


def test_cached_pulls_consume_tokens_and_latency():
    # two cached manifest checks take the burst; the real pull waits for the next token.
    durations, _ = run_pulls(RegistrySpec(bandwidth=10, pull_rate=2, latency=0.25),
                             [(0, 0, None), (0, 0, None), (0, 10, None)])
    assert durations == pytest.approx([0.25, 0.25, 0.5 + 0.25 + 1.0])


def test_metrics():
    durations, registry = run_pulls(RegistrySpec(bandwidth=10),
                                    [(0, 100, None), (5, 100, None), (30, 0, None), (30, 40, 8)])
    assert durations == pytest.approx([15, 15, 0, 5])
    assert registry.pulls == 4
    assert registry.peak_concurrent == 2
    assert registry.bytes_served == 240
    assert registry.total_pull_seconds == pytest.approx(35)
    assert registry.mean_pull_s == pytest.approx(35 / 4)
    assert Registry(simpy.Environment(), RegistrySpec()).mean_pull_s is None


# --- properties ----------------------------------------------------------------------------

pull_lists = st.lists(st.tuples(st.floats(0, 20), st.floats(0, 1e3),
                                st.one_of(st.none(), st.floats(0.5, 50))), min_size=1, max_size=25)


@settings(deadline=None, max_examples=150)
@given(pull_lists, st.one_of(st.none(), st.floats(1, 100)),
       st.one_of(st.none(), st.floats(0.5, 10)), st.floats(0, 2))
def test_conservation_and_caps(pulls, bandwidth, pull_rate, latency):
    violations = []

    def check(caps, rates):
        if bandwidth is not None and sum(rates) > bandwidth * (1 + 1e-9):
            violations.append(("total", rates))
        violations.extend(("cap", c, r) for c, r in zip(caps, rates)
                          if c is not None and r > c * (1 + 1e-12))

    spec = RegistrySpec(bandwidth=bandwidth, pull_rate=pull_rate, latency=latency)
    durations, registry = run_pulls(spec, pulls, hook=check)
    assert not violations
    assert registry.pulls == len(pulls)
    assert registry.bytes_served == pytest.approx(sum(size for _, size, _ in pulls))
    assert registry.total_pull_seconds == pytest.approx(sum(durations))
    for (_, size, cap), d in zip(pulls, durations):
        link = min((b for b in (cap, bandwidth) if b is not None), default=math.inf)
        assert d >= size / link + latency - 1e-9  # never faster than alone on its link


@settings(deadline=None)
@given(st.lists(st.floats(1, 1e3), min_size=1, max_size=30), st.one_of(st.none(), st.floats(1, 50)),
       st.floats(1, 100))
def test_equal_caps_starting_together_finish_in_size_order(sizes, cap, bandwidth):
    durations, _ = run_pulls(RegistrySpec(bandwidth=bandwidth), [(0, s, cap) for s in sizes])
    by_size = [d for _, d in sorted(zip(sizes, durations))]
    assert all(a <= b * (1 + 1e-9) for a, b in pairwise(by_size))
    if cap is None:  # work-conserving: the registry is busy until the last byte
        assert max(durations) == pytest.approx(sum(sizes) / bandwidth)
