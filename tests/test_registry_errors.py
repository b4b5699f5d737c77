"""A flaky registry (``--registry-error-rate P``): a pull it serves fails part way with probability P,
and the kubelet backs off as it does for any failed pull (ErrImagePull, ImagePullBackOff)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import simpy
from rollsim import build_scenario, simulate
from rollsim.cluster.registry import FailedPull, Registry
from rollsim.observe.stopcause import PULL_ERRORED, PULL_RATE_LIMITED, EndState, NodeEnd, stop_cause
from rollsim.spec.registry import RegistrySpec
from rollsim.spec.streams import Streams

from helpers import experiment_error, scripted_registry_errors

CONSTANT = dict(schedule=1, pull=2, start=3, ready=4, terminate=5, probe_period=0)
# one node: the old pod goes at 5 s, the new one binds at 6 s and asks the registry for its image
ONE = dict(nodes=1, max_unavailable="100%", controller="ideal", **CONSTANT)
# the same pull by bytes: 100 MB over a 50 MB/s node link take the 2 s of ``pull``
SIZED = dict(image_size="100MB", node_bandwidth="50MB/s")


@pytest.mark.pure
@pytest.mark.parametrize("image", [{}, SIZED], ids=["pull-time", "bytes"])
def test_a_failed_pull_costs_its_part_and_the_image_back_off(monkeypatch, image) -> None:
    """The pull at 6 s fails half way: 1 s of its 2 s (50 MB of 100 MB at the 50 MB/s it got), so at
    7 s. The image pull back-off of 10 s, then the failed sync's requeue 10 s on: the next pull at
    17 s, which takes its 2 s; the container starts 3 s later and is Ready 4 s on: 17 + 9 = 26 s,
    against 6 + 9 = 15 s without the error (1 s of the failed pull plus the 10 s back-off)."""
    asked = scripted_registry_errors(monkeypatch, [0.5])
    s = simulate(build_scenario(**ONE, **image, registry_error_rate=0.5)).summary
    assert asked == [6, 17]
    assert s["completed"] and s["duration_s"] == pytest.approx(26.0)
    assert s["registry_errors"] == 1 and s["mean_pull_s"] == pytest.approx(2.0)  # the failed pull is not a pull
    assert "registry_refusals" not in s
    monkeypatch.undo()
    assert simulate(build_scenario(**ONE, **image)).summary["duration_s"] == pytest.approx(15.0)


@pytest.mark.pure
def test_a_second_failure_doubles_the_back_off(monkeypatch) -> None:
    """Failed at 6 (whole: fraction 1, at 8 s) and at 18 s (at once: fraction 0): back-offs of 10 s then
    20 s, the syncs 10 s apart from 18 s (28, 38): the pull at 38 s, Ready at 38 + 9 = 47 s."""
    asked = scripted_registry_errors(monkeypatch, [1.0, 0.0])
    s = simulate(build_scenario(**ONE, registry_error_rate=0.5)).summary
    assert asked == [6, 18, 38]
    assert s["duration_s"] == pytest.approx(47.0) and s["registry_errors"] == 2


@pytest.mark.pure
def test_a_failed_pull_used_the_bandwidth_it_got_until_it_failed(monkeypatch) -> None:
    """Two nodes pull 100 MB each at 6 s through a 100 MB/s registry, 50 MB/s each. The first fails a
    quarter of the way, 25 MB at 6.5 s; the other then has the whole 100 MB/s for its last 75 MB and
    is done at 7.25 s (8 s without the failure). The failed pod pulls again at 17 s, alone: 1 s."""
    scripted_registry_errors(monkeypatch, [0.25])
    result = simulate(build_scenario(**{**ONE, "nodes": 2}, image_size="100MB", registry_bandwidth="100MB/s",
                                     registry_error_rate=0.5))
    assert sorted(result.nodes["new_pulled_at_s"]) == pytest.approx([7.25, 18.0])
    assert result.summary["registry_bytes_served"] == pytest.approx(200e6)  # the pulls that succeeded


@pytest.mark.pure
def test_a_failed_manifest_check_fails_the_start_too(monkeypatch) -> None:
    """``Always`` with the image on the node: the kubelet still asks the registry (a manifest check,
    no bytes, no pull time); failed, it waits out the back-off: asked at 6 and 16 s, Ready at 16 + 7."""
    asked = scripted_registry_errors(monkeypatch, [0.5])
    s = simulate(build_scenario(**ONE, image_cached=1.0, image_pull_policy="Always",
                                registry_error_rate=0.5)).summary
    assert asked == [6, 16] and s["duration_s"] == pytest.approx(23.0) and s["registry_errors"] == 1


def test_no_error_rate_is_today_s_model() -> None:
    """P = 0 (the default, or given) builds no registry where none was built, draws nothing and
    adds no summary key: every frame is the one without the setting."""
    for scenario in (dict(nodes=100, max_unavailable="10%"),
                     dict(nodes=100, max_unavailable="10%", image_size="200MB", registry_bandwidth="1GB/s")):
        plain, zero = simulate(build_scenario(**scenario), 3), simulate(build_scenario(**scenario,
                                                                                       registry_error_rate=0), 3)
        assert zero.summary == plain.summary and "registry_errors" not in zero.summary
        pd.testing.assert_frame_equal(zero.nodes, plain.nodes)
        pd.testing.assert_frame_equal(zero.timeline, plain.timeline)


@pytest.mark.parametrize("image", [{}, {"image_size": "200MB", "registry_bandwidth": "1GB/s"}],
                         ids=["pull-time", "bytes"])
def test_the_same_seed_gives_the_same_frames(image) -> None:
    scenario = build_scenario(nodes=150, max_unavailable="10%", registry_error_rate=0.2, **image)
    first, again = simulate(scenario, 4), simulate(scenario, 4)
    assert first.summary == again.summary and first.summary["registry_errors"] > 0
    pd.testing.assert_frame_equal(first.nodes, again.nodes)
    pd.testing.assert_frame_equal(first.timeline, again.timeline)
    assert simulate(scenario, 5).summary != first.summary


def test_each_request_served_fails_with_probability_p_from_its_own_stream() -> None:
    """The draws: one uniform per request served, failing below P, then one for where it fails; from
    the root seed's ``registry_errors`` stream, so no other stream's draws move."""
    env = simpy.Environment()
    registry = Registry(env, RegistrySpec(error_rate=0.3), Streams(9)["registry_errors"])
    got = [registry.fails_at() for _ in range(2000)]
    replay, expected = Streams(9)["registry_errors"], []
    for _ in range(2000):
        expected.append(float(replay.random()) if replay.random() < 0.3 else None)
    assert got == expected and registry.errors == sum(x is not None for x in got)
    assert 0.27 < registry.errors / 2000 < 0.33
    failed = np.array([x for x in got if x is not None])
    assert failed.min() >= 0 and failed.max() < 1 and 0.45 < failed.mean() < 0.55


class _Drawn:
    """A stand-in for a numpy generator: ``random()`` gives these numbers in turn."""

    def __init__(self, *numbers: float) -> None:
        self.numbers = iter(numbers)

    def random(self) -> float:
        return next(self.numbers)


def test_a_pull_event_says_how_long_a_failed_pull_took() -> None:
    """After the 1 s latency, 100 bytes over a 10 bytes/s link, failing half way (draws 0 < P, then 0.5):
    5 s of transfer, 50 bytes served, no pull counted."""
    env = simpy.Environment()
    registry = Registry(env, RegistrySpec(error_rate=0.5, latency=1.0), _Drawn(0.0, 0.5))  # type: ignore[arg-type]
    pulling = registry.pull(100.0, 10.0)
    env.run()
    assert pulling.value == FailedPull(6.0) and registry.errors == 1
    assert registry.bytes_served == 50.0 and registry.pulls == 0


def test_an_error_rate_needs_a_stream() -> None:
    with pytest.raises(ValueError, match="random stream"):
        Registry(simpy.Environment(), RegistrySpec(error_rate=0.1))


@pytest.mark.pure
@pytest.mark.parametrize("image", [{}, SIZED], ids=["pull-time", "bytes"])
def test_a_stop_during_the_pull_after_the_back_off_finds_the_pod_pulling(monkeypatch, image) -> None:
    """The pull at 6 s fails at 7 s; the next one runs from 17 to 19 s. A horizon at 12 s finds the
    pod in back-off (the registry's errors are the cause); one at 18 s finds it pulling again, no
    longer in back-off: the rollout was still moving (before, the pull by bytes read as back-off)."""
    for horizon, cause in ((12, "registry-errors"), (18, "horizon")):
        scripted_registry_errors(monkeypatch, [0.5])
        s = simulate(build_scenario(**ONE, **image, registry_error_rate=0.5, horizon=horizon)).summary
        assert (s["end_s"], s["registry_errors"], s["stop_cause"]) == (horizon, 1, cause)
        monkeypatch.undo()


@pytest.mark.pure
def test_a_rollout_stopped_while_pods_wait_out_the_back_off_says_so(monkeypatch) -> None:
    """Every pull fails: the stall detector stops the run while the pods wait to pull again, and the
    stop cause names the registry's errors, not a slow straggler nor a bad image."""
    scripted_registry_errors(monkeypatch, [0.5] * 1000)
    s = simulate(build_scenario(**{**ONE, "nodes": 6}, registry_error_rate=0.5, stall_after=30)).summary
    assert s["stalled"] and s["stop_cause"] == "registry-errors"
    assert "6 new pods waited out ImagePullBackOff: the registry failed their pulls part way" in s["stop_detail"]


def test_the_reason_more_pods_back_off_for_is_the_cause() -> None:
    def state(refused: int, errored: int) -> EndState:
        nodes = [NodeEnd(f"r{i}", old="none", new=PULL_RATE_LIMITED) for i in range(refused)]
        nodes += [NodeEnd(f"e{i}", old="none", new=PULL_ERRORED) for i in range(errored)]
        return EndState(tuple(nodes))

    assert stop_cause(state(1, 2)).cause == "registry-errors"
    assert "; 1 more after a 429 over its limit;" in stop_cause(state(1, 2)).sentence
    assert stop_cause(state(2, 2)).cause == "registry-rate-limited"
    assert "; 2 more after a pull failed part way;" in stop_cause(state(2, 2)).sentence
    assert stop_cause(state(0, 3)).sentence.startswith("no progress while 3 new pods waited out ImagePullBackOff")


def test_a_bad_image_draws_no_registry_error() -> None:
    """``pull-error`` pods fail with the registry's answer whatever it would draw: no error is counted."""
    s = simulate(build_scenario(**{**ONE, "nodes": 3}, new_pods="pull-error", registry_error_rate=0.5,
                                stall_after=120)).summary
    assert s["stop_cause"] == "image-pull-error" and s["registry_errors"] == 0


@pytest.mark.parametrize("value", ["1", "1.0", "-0.1", "2", "x", "", "nan", "inf", "1e400"])
def test_a_bad_error_rate_flag_is_one_line_and_exit_2(capsys, tmp_path, monkeypatch, value) -> None:
    from rollsim.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["simulate", "--nodes", "3", "--registry-error-rate", value, "--timeline", "t.csv"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("rollsim: error: argument --registry-error-rate: must be")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("value", ["1", "-0.5", "true", "'x'"])
def test_a_bad_error_rate_key_names_the_file_line_and_key(tmp_path, value) -> None:
    assert ":4: scenario.registry.error_rate" in experiment_error(tmp_path, f"  registry:\n    error_rate: {value}\n")


def test_an_error_rate_key_in_an_experiment_file(tmp_path) -> None:
    from rollsim.sweep.experiment_file import load_experiment

    path = tmp_path / "x.yaml"
    path.write_text("name: x\nscenario:\n  registry: {error_rate: 0.05}\n")
    assert load_experiment(path).configurations[0].scenario.registry.error_rate == 0.05


@pytest.mark.parametrize("rate", [1.0, -0.1, float("nan"), True, "0.1"])
def test_the_registry_spec_checks_its_error_rate(rate) -> None:
    with pytest.raises(ValueError, match="error_rate must be a probability"):
        RegistrySpec(error_rate=rate)


def test_the_console_and_the_report_name_the_errors() -> None:
    from rollsim.observe.display import summary_rows
    from rollsim.present.console_simulate import format_summary
    from rollsim.present.run_costs import registry_error_costs

    result = simulate(build_scenario(nodes=50, max_unavailable="20%", registry_error_rate=0.3), 1)
    errors = result.summary["registry_errors"]
    assert errors > 0
    line = next(x for x in format_summary(result, 0.0).splitlines() if "registry errors" in x)
    assert f"{errors} pulls failed part way (a 5xx, a timeout, a reset connection)" in line
    assert ("registry errors", f"{errors:,} pulls failed part way") in summary_rows(result.summary)
    runs = pd.DataFrame({"config": [0, 0, 1], "label": ["flaky", "flaky", "steady"],
                         "registry_errors": [4, 2, None]})
    assert registry_error_costs(runs) == [
        "flaky: the registry failed 3.0 pulls per run on average (at most 4) part way (a 5xx, a timeout, a reset "
        "connection); each failed pod pulled again only after the kubelet's image pull back-off, 10 s doubling "
        "to 5 min (README, “What hurts at scale”)."]
    assert registry_error_costs(runs.drop(columns="registry_errors")) == []
