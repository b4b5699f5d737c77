"""The registry's limit as a count per rolling window (``--registry-pull-window 100/6h``)."""

from __future__ import annotations

import re

import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st
from rollsim import build_scenario, simulate
from rollsim.cluster.podworker import PodWorkers
from rollsim.cluster.pullwindow import SlidingWindow
from rollsim.cluster.registry import Registry
from rollsim.spec.registry import PullWindow, RegistrySpec, parse_pull_window

from helpers import experiment_error, registry_answers

CONSTANT = dict(schedule=1, pull=2, start=3, ready=4, terminate=5, probe_period=0)
# 10 nodes all pulling at once (the old pods go at 5 s, the new ones bind at 6 s) against 5 per minute
TEN = dict(nodes=10, max_unavailable="100%", controller="ideal", registry_pull_window="5/60s", **CONSTANT)


@pytest.mark.parametrize(("text", "window"), [
    ("100/6h", PullWindow(100, 21600.0)), ("200/6h", PullWindow(200, 21600.0)), ("5/60s", PullWindow(5, 60.0)),
    ("5/1m30s", PullWindow(5, 90.0)), ("10/s", PullWindow(10, 1.0)), (" 3 /1.5s ", PullWindow(3, 1.5)),
    ("007/h", PullWindow(7, 3600.0))])
def test_a_pull_window_is_a_whole_count_per_a_go_duration(text, window) -> None:
    assert parse_pull_window(text) == window
    assert parse_pull_window(str(window)) == window  # its text parses back (results describe it so)


@pytest.mark.parametrize("text", ["100", "100/", "/6h", "1.5/6h", "-1/6h", "10/0s", "10/x", "10/6", "10/-1s",
                                  "ten/6h", "\u0661\u0660/6h", "10/1h30", "10/ 6h", 100, 2.5])
def test_a_pull_window_that_is_not_a_count_per_a_duration_is_refused(text) -> None:
    with pytest.raises(ValueError, match=r"must be a count per a window such as 100/6h"):
        parse_pull_window(text)


@pytest.mark.parametrize("text", ["0/6h", "1000000001/6h"])
def test_a_pull_window_count_out_of_range_is_refused(text) -> None:
    with pytest.raises(ValueError, match="must allow from 1 to 1000000000 requests per window"):
        parse_pull_window(text)


def test_the_schema_takes_the_windows_the_rule_takes() -> None:
    from rollsim.spec.kinds import PULL_WINDOW

    pattern = re.compile(PULL_WINDOW.schema["pattern"])
    for text in ("100/6h", "200/6h", "5/1m30s", "10/s", "1/500ms", " 3 /1.5s "):
        assert pattern.search(text) and parse_pull_window(text), text
    for text in ("100", "0/6h", "1.5/6h", "10/x", "10/6", "10/1h30", "10/0s"):
        assert not pattern.search(text), text


@pytest.mark.pure
def test_five_a_minute_ten_nodes_queued_the_sixth_to_tenth_pull_a_minute_after_the_first_five(monkeypatch) -> None:
    """5 requests per 60 s window, 10 pulls asked at 6 s, queueing: five served at 6 s, the other five
    at exactly 66 s, when the first five leave the window. Last pod Ready at 66 + 2 + 3 + 4 = 75 s;
    mean pull, waits included, (5 x 2 + 5 x 62) / 10 = 32 s. The token bucket of the same rate and
    burst (5/60s, burst 5) serves the sixth at 18 s and one every 12 s after: the tenth at 66 s too,
    but the sixth to ninth sooner (18, 30, 42, 54)."""
    seen = registry_answers(monkeypatch)
    s = simulate(build_scenario(**TEN)).summary
    assert seen == [(6, 6, False)] * 5 + [(6, 66, False)] * 5
    assert s["duration_s"] == pytest.approx(75.0) and s["mean_pull_s"] == pytest.approx(32.0)
    assert "registry_refusals" not in s
    seen.clear()
    bucket = dict(TEN, registry_pull_window=None, registry_pull_rate="5/60s", registry_pull_burst=5)
    simulate(build_scenario(**bucket))
    assert [answered for _, answered, _ in seen] == pytest.approx([6] * 5 + [18, 30, 42, 54, 66])


@pytest.mark.pure
def test_a_rejecting_window_refuses_until_the_first_five_leave_it(monkeypatch) -> None:
    """The same with ``reject``, every pod-worker draw 0: five served at 6 s, five refused (429, no
    place taken); their pulls again after the image back-off (10 s doubling) at 16 s and 36 s are refused
    too (the window still holds the five of 6 s), and at 76 s, with 6 s now out of the window, all
    five are served: 15 refusals, the last pod Ready at 76 + 9 = 85 s. A refusal takes no place, so
    the window serves five per minute however often it is asked."""
    monkeypatch.setattr(PodWorkers, "_draw", lambda self: 0.0)
    seen = registry_answers(monkeypatch)
    s = simulate(build_scenario(**TEN, registry_over_limit="reject")).summary
    assert seen == ([(6, 6, False)] * 5 + [(6, 6, True)] * 5 + [(16, 16, True)] * 5 + [(36, 36, True)] * 5
                    + [(76, 76, False)] * 5)
    assert s["registry_refusals"] == 15 and s["duration_s"] == pytest.approx(85.0)


def test_docker_hubs_anonymous_limit_as_a_window() -> None:
    """100 pulls per 6 hours: of 150 requests at once 100 are served and 50 refused; none is served
    until the first 100 are 6 hours old (the bucket of the same rate serves one every 216 s), and then
    100 at once again: at most 100 in any 6 hours, where the bucket serves up to 200."""
    env = simpy.Environment()
    hub = Registry(env, RegistrySpec(pull_window=parse_pull_window("100/6h"), over_limit="reject"))
    assert [hub.answer(0.0)[1] for _ in range(150)].count(True) == 50
    assert hub.answer(216.001)[1] and hub.answer(21599.999)[1]
    assert [hub.answer(21600.0)[1] for _ in range(101)].count(False) == 100
    assert hub.served == 200 and hub.refusals == 53


def _times(gaps: list[float]) -> list[float]:
    times, t = [], 0.0
    for gap in gaps:
        t += gap
        times.append(t)
    return times


def _most_in_a_window(served: list[float], seconds: float) -> int:
    """The most serve times in any ``(t - seconds, t]``: the window ending at a serve time holds most.
    (``s + seconds > t`` rather than ``s > t - seconds``: the limiter's arithmetic, exact at the edge.)"""
    return max((sum(1 for s in served if s <= end < s + seconds) for end in served), default=0)


@settings(max_examples=150, deadline=None)
@given(limit=st.integers(1, 8), seconds=st.sampled_from([1.0, 2.5, 10.0]),
       gaps=st.lists(st.floats(min_value=0.0, max_value=4.0), min_size=1, max_size=50))
def test_a_rejecting_window_serves_at_most_its_count_in_any_window_and_refuses_only_when_full(
        limit, seconds, gaps) -> None:
    window, times = SlidingWindow(limit, seconds), _times(gaps)
    served: list[float] = []
    for t in times:
        full = sum(1 for s in served if s <= t < s + seconds) >= limit  # the rule, by a plain scan
        assert window.try_accept(t) is not full
        if not full:
            served.append(t)
    assert _most_in_a_window(served, seconds) <= limit


@settings(max_examples=150, deadline=None)
@given(limit=st.integers(1, 8), seconds=st.sampled_from([1.0, 2.5, 10.0]),
       gaps=st.lists(st.floats(min_value=0.0, max_value=4.0), min_size=1, max_size=50))
def test_a_queueing_window_serves_each_request_at_the_first_time_it_fits(limit, seconds, gaps) -> None:
    window, served = SlidingWindow(limit, seconds), []
    for t in _times(gaps):
        at = window.reserve(t)
        # FIFO, not before it is asked; at its own time, or when the limit-th latest leaves the window
        assert at >= t and at >= (served[-1] if served else 0.0)
        assert at == t or at == served[-limit] + seconds
        served.append(at)
    assert _most_in_a_window(served, seconds) <= limit


def test_a_registry_spec_takes_one_limit() -> None:
    window = PullWindow(100, 21600.0)
    assert RegistrySpec(pull_window=window).limited and RegistrySpec(pull_window=window).models_requests
    assert RegistrySpec(pull_window=window, over_limit="reject").rejects and not RegistrySpec().limited
    for bucket in ({"pull_rate": 1.0}, {"pull_burst": 3}):
        with pytest.raises(ValueError, match="pull_window is a registry's limit instead of a token bucket"):
            RegistrySpec(pull_window=window, **bucket)
    with pytest.raises(ValueError, match="pull_window must be a PullWindow"):
        RegistrySpec(pull_window="100/6h")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="count must be an integer from 1"):
        PullWindow(0, 60.0)
    with pytest.raises(ValueError, match="positive finite duration"):
        PullWindow(5, 0.0)


@pytest.mark.parametrize(("flags", "named"), [
    (["--registry-pull-rate", "100/6h"], "--registry-pull-rate/--registry-pull-window"),
    (["--registry-pull-burst", "100"], "--registry-pull-burst/--registry-pull-window"),
    (["--registry-pull-rate", "100/6h", "--registry-pull-burst", "100"],
     "--registry-pull-rate/--registry-pull-burst/--registry-pull-window")])
def test_a_window_beside_a_bucket_is_one_line_and_exit_2(capsys, tmp_path, flags, named) -> None:
    from rollsim.cli import main

    timeline = tmp_path / "t.csv"
    code = main(["simulate", "--nodes", "3", "--registry-pull-window", "100/6h", *flags, "--timeline", str(timeline)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and not timeline.exists()
    assert f"arguments {named}: give either a token bucket" in err and "not both" in err


@pytest.mark.parametrize("value", ["100", "0/6h", "1.5/6h", "10/x", ""])
def test_a_bad_window_flag_is_one_line_and_exit_2(capsys, value) -> None:
    from rollsim.cli import main

    assert main(["simulate", "--nodes", "3", "--registry-pull-window", value]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "argument --registry-pull-window: must" in err


@pytest.mark.parametrize("value", ["100", "1.5/6h", "0/6h", "true"])
def test_a_bad_window_key_names_the_file_line_and_key(tmp_path, value) -> None:
    error = experiment_error(tmp_path, f"  registry:\n    over_limit: reject\n    pull_window: {value}\n")
    assert ":5: scenario.registry.pull_window" in error and "must" in error


def test_a_window_and_a_rate_in_one_experiment_file_are_refused(tmp_path) -> None:
    from rollsim.io.yamldoc import ConfigError
    from rollsim.sweep.experiment_file import load_experiment

    path = tmp_path / "x.yaml"
    path.write_text("name: x\nscenario:\n  registry: {pull_rate: 100/6h, pull_window: 100/6h}\n")
    with pytest.raises(ConfigError, match="not both"):
        load_experiment(path)


def test_a_window_key_in_an_experiment_file_is_described_as_written(tmp_path) -> None:
    from rollsim.spec.describe import describe_scenario
    from rollsim.sweep.experiment_file import load_experiment

    path = tmp_path / "x.yaml"
    path.write_text("name: x\nscenario:\n  registry: {pull_window: 100/6h, over_limit: reject}\n")
    scenario = load_experiment(path).configurations[0].scenario
    assert scenario.registry.pull_window == PullWindow(100, 21600.0) and scenario.registry.pull_rate is None
    assert describe_scenario(scenario)["registry_pull_window"] == "100/6h"


def test_over_limit_with_a_window_alone_is_not_said_to_be_ignored(capsys) -> None:
    from rollsim.cli import main

    assert main(["simulate", "--nodes", "3", "--controller", "ideal", "--registry-pull-window", "100/6h",
                 "--registry-over-limit", "reject"]) == 0
    assert capsys.readouterr().err == ""
