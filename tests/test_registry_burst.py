"""The registry's pull-rate burst (``--registry-pull-burst``) and rates per a duration (``100/6h``)."""

from __future__ import annotations

import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st
from rollsim import build_scenario, simulate
from rollsim.cluster.podworker import PodWorkers
from rollsim.cluster.registry import Registry
from rollsim.spec.image import parse_pull_rate
from rollsim.spec.registry import RegistrySpec

from helpers import experiment_error, registry_answers

CONSTANT = dict(schedule=1, pull=2, start=3, ready=4, terminate=5, probe_period=0)
# 5 nodes all pulling at once (the old pods go at 5 s, the new ones bind at 6 s) against 1 pull a second
FIVE = dict(nodes=5, max_unavailable="100%", controller="ideal", registry_pull_rate="1/s", **CONSTANT)


@pytest.mark.parametrize(("text", "rate"), [
    ("10/s", 10.0), ("0.5", 0.5), (2, 2.0), ("0.0046/s", 0.0046), (" 10 /s ", 10.0), ("30/m", 0.5),
    ("100/6h", 100 / 21600), ("100/h", 100 / 3600), ("5/1m30s", 5 / 90), ("1/500ms", 2.0), ("3/1.5s", 2.0)])
def test_a_pull_rate_is_a_count_per_second_or_per_a_go_duration(text, rate) -> None:
    assert parse_pull_rate(text) == pytest.approx(rate, rel=1e-15)


@pytest.mark.parametrize("text", ["10/0s", "10/0", "10/", "/s", "10/x", "10/6", "10/s/s", "10/1h30", "10/-1s",
                                  "-10/-6h", "10/+0s", "10/S", "ten/s"])
def test_a_pull_rate_per_something_that_is_not_a_duration_is_refused(text) -> None:
    with pytest.raises(ValueError, match=r"must be a rate such as 10/s, 30/m or 100/6h"):
        parse_pull_rate(text)


@pytest.mark.parametrize("text", ["0/s", "0/6h", "-1/h", "1e400/s", "inf/h", "nan/s"])
def test_a_pull_rate_that_is_not_positive_and_finite_is_refused(text) -> None:
    with pytest.raises(ValueError, match="must be positive"):
        parse_pull_rate(text)


def test_the_schema_takes_the_rates_the_rule_takes() -> None:
    import re

    from rollsim.spec.kinds import PULL_RATE

    pattern = re.compile(PULL_RATE.schema["anyOf"][1]["pattern"])
    for text in ("10/s", "30/m", "100/6h", "5/1m30s", "1/500ms", "0.5"):
        assert pattern.search(text) and parse_pull_rate(text) > 0, text
    for text in ("10/x", "10/6", "10/", "0/s", "10/1h30"):
        assert not pattern.search(text), text


def test_the_default_burst_is_a_seconds_worth_and_at_least_one() -> None:
    assert [RegistrySpec(pull_rate=r).burst for r in (0.2, 1.0, 2.5, 10.0)] == [1.0, 1.0, 2.5, 10.0]
    assert RegistrySpec(pull_rate=0.2, pull_burst=3).burst == 3.0
    assert RegistrySpec().pull_burst is None


@pytest.mark.parametrize("burst", [0, -1, 2.5, True, "3"])
def test_a_registry_spec_refuses_a_burst_that_is_not_a_positive_integer(burst) -> None:
    with pytest.raises(ValueError, match="pull_burst must be an integer of at least 1"):
        RegistrySpec(pull_rate=1.0, pull_burst=burst)


@pytest.mark.pure
def test_a_burst_of_three_lets_three_pulls_go_at_once_then_one_a_second(monkeypatch) -> None:
    """Burst 3, 1 pull/s, 5 pulls asked at 6 s, queueing: three go at 6 s, then 7 and 8 s (burst 1,
    the default: 6, 7, 8, 9, 10). The last pod is Ready at 8 + 2 + 3 + 4 = 17 s (19 s by default);
    the mean pull, waits included, (2 + 2 + 2 + 3 + 4) / 5 = 2.6 s."""
    seen = registry_answers(monkeypatch)
    s = simulate(build_scenario(**FIVE, registry_pull_burst=3)).summary
    assert seen == [(6, 6, False)] * 3 + [(6, 7, False), (6, 8, False)]
    assert s["duration_s"] == pytest.approx(17.0) and s["mean_pull_s"] == pytest.approx(2.6)
    seen.clear()
    assert simulate(build_scenario(**FIVE)).summary["duration_s"] == pytest.approx(19.0)
    assert [answered for _, answered, _ in seen] == [6, 7, 8, 9, 10]


@pytest.mark.pure
def test_a_rejecting_registry_with_a_burst_of_three_refuses_two_of_five(monkeypatch) -> None:
    """The same with ``reject``: three served at 6 s, two refused (429); with every pod-worker draw 0
    they pull again at 16 s (the 10 s image back-off), when the bucket holds its 3 tokens again:
    both served, the last pod Ready at 16 + 9 = 25 s. Burst 1 refuses 10 and takes 165 s."""
    monkeypatch.setattr(PodWorkers, "_draw", lambda self: 0.0)
    seen = registry_answers(monkeypatch)
    s = simulate(build_scenario(**FIVE, registry_pull_burst=3, registry_over_limit="reject")).summary
    assert seen == [(6, 6, False)] * 3 + [(6, 6, True)] * 2 + [(16, 16, False)] * 2
    assert s["registry_refusals"] == 2 and s["duration_s"] == pytest.approx(25.0)
    s = simulate(build_scenario(**FIVE, registry_over_limit="reject")).summary
    assert s["registry_refusals"] == 10 and s["duration_s"] == pytest.approx(165.0)


@pytest.mark.parametrize("rate", ["0.5/s", "1/s", "5/s"])
def test_the_default_burst_given_is_the_default(rate) -> None:
    """``--registry-pull-burst`` at today's value, ``max(1, rate)``, changes nothing."""
    common = dict(nodes=60, max_unavailable="25%", registry_pull_rate=rate)
    burst = max(1, int(parse_pull_rate(rate)))
    assert simulate(build_scenario(**common, registry_pull_burst=burst), 3).summary == \
        simulate(build_scenario(**common), 3).summary


def test_docker_hubs_anonymous_limit_as_a_bucket() -> None:
    """100 pulls per 6 hours as ``100/6h``, burst 100: of 150 requests at once, 100 are served and
    50 refused; the next token comes 216 s later (21,600 s / 100), and after a quiet 6 hours the
    bucket holds 100 again (a bucket refills continuously: up to 2 x 100 in one 6-hour window,
    where Docker Hub's rolling window serves 100)."""
    env = simpy.Environment()
    hub = Registry(env, RegistrySpec(pull_rate=parse_pull_rate("100/6h"), pull_burst=100, over_limit="reject"))
    assert [hub.answer(0.0)[1] for _ in range(150)].count(True) == 50
    # (216 x 100/21600 tokens is a hair under 1 in floating point: a millisecond later)
    assert hub.answer(215.9)[1] and not hub.answer(216.001)[1] and hub.answer(216.001)[1]
    assert [hub.answer(216.001 + 21600 + 1)[1] for _ in range(101)].count(False) == 100


@settings(max_examples=150, deadline=None)
@given(rate=st.sampled_from([0.5, 1.0, 2.0, 5.0]), burst=st.integers(1, 12),
       gaps=st.lists(st.floats(min_value=0.0, max_value=3.0), min_size=1, max_size=60))
def test_a_rejecting_registry_never_serves_more_than_burst_plus_rate_times_d(rate, burst, gaps) -> None:
    env = simpy.Environment()
    reg = Registry(env, RegistrySpec(pull_rate=rate, pull_burst=burst, over_limit="reject"))
    times, t = [], 0.0
    for gap in gaps:
        t += gap
        times.append(t)
    served = [t for t in times if not reg.answer(t)[1]]
    assert served[:burst] == times[:burst]  # a full bucket serves the first ``burst`` whatever their times
    for i, start in enumerate(served):
        for j in range(i, len(served)):
            assert j - i + 1 <= burst + rate * (served[j] - start) + 1e-9


def test_a_burst_without_a_pull_rate_is_said_to_be_ignored(capsys) -> None:
    from rollsim.cli import main
    from rollsim.spec.options import NO_PULL_RATE_NOTE

    assert main(["simulate", "--nodes", "3", "--controller", "ideal", "--registry-pull-burst", "5"]) == 0
    assert capsys.readouterr().err.splitlines() == [f"rollsim: warning: argument --registry-pull-burst: "
                                                    f"{NO_PULL_RATE_NOTE}"]
    assert main(["simulate", "--nodes", "3", "--controller", "ideal", "--registry-pull-rate", "100/6h",
                 "--registry-pull-burst", "100"]) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("value", ["0", "-1", "2.5", "x", ""])
def test_a_bad_burst_flag_is_one_line_and_exit_2(capsys, value) -> None:
    from rollsim.cli import main

    assert main(["simulate", "--nodes", "3", "--registry-pull-rate", "1/s", "--registry-pull-burst", value]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "argument --registry-pull-burst: must be a positive integer" in err


@pytest.mark.parametrize("value", ["0", "2.5", "true", "'x'"])
def test_a_bad_burst_key_names_the_file_line_and_key(tmp_path, value) -> None:
    error = experiment_error(tmp_path, f"  registry:\n    pull_rate: 100/6h\n    pull_burst: {value}\n")
    assert ":5: scenario.registry.pull_burst" in error and "positive integer" in error


def test_a_burst_key_and_a_rate_per_hours_in_an_experiment_file(tmp_path) -> None:
    from rollsim.sweep.experiment_file import load_experiment

    path = tmp_path / "x.yaml"
    path.write_text("name: x\nscenario:\n  registry: {pull_rate: 100/6h, pull_burst: 100}\n")
    scenario = load_experiment(path).configurations[0].scenario
    assert scenario.registry.pull_burst == 100 and scenario.registry.pull_rate == pytest.approx(100 / 21600)
