"""A registry over its limit (pull rate or window): it queues the request (the default) or refuses it with a 429."""

from __future__ import annotations

import pandas as pd
import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st
from rollsim import build_scenario, simulate
from rollsim.cluster.podruntime import PodRuntime
from rollsim.cluster.podworker import PodWorkers
from rollsim.cluster.registry import Registry
from rollsim.controller.flowcontrol import TokenBucket
from rollsim.spec.registry import RegistrySpec

CONSTANT = dict(schedule=1, pull=2, start=3, ready=4, terminate=5, probe_period=0)
# 3 nodes all pulling at once against 1 pull a second (burst 1): the old pods go at 5 s, the new ones bind at 6 s
THREE = dict(nodes=3, max_unavailable="100%", controller="ideal", registry_pull_rate="1/s", **CONSTANT)
# the same pulls by bytes: 100 MB over a 50 MB/s node link take the 2 s of ``pull``
SIZED = dict(image_size="100MB", node_bandwidth="50MB/s")


def test_try_accept_takes_a_token_or_nothing() -> None:
    """client-go's ``TryAccept``: a call that finds no token is refused and takes none."""
    bucket = TokenBucket(1, 1)
    assert [bucket.try_accept(t) for t in (0.0, 0.0, 0.5, 0.9, 1.0, 1.5, 2.0)] == [
        True, False, False, False, True, False, True]


def _answers(monkeypatch) -> list[tuple[float, bool]]:
    """Every request to the registry in a run, as (time, refused)."""
    seen: list[tuple[float, bool]] = []
    answer = Registry.answer

    def spy(self, now):
        wait, refused = answer(self, now)
        seen.append((now, refused))
        return wait, refused

    monkeypatch.setattr(Registry, "answer", spy)
    return seen


@pytest.mark.pure
@pytest.mark.parametrize("image", [{}, SIZED], ids=["pull-time", "bytes"])
@pytest.mark.parametrize(("latency", "requests", "duration"), [
    (0.0, [(6, False), (6, True), (6, True), (16, False), (16, True), (36, False)], 45.0),
    (0.5, [(6, False), (6, True), (6, True), (17, False), (17, True), (38, False)], 47.5)])
def test_refused_pulls_come_back_after_the_image_back_off(monkeypatch, image, latency, requests, duration) -> None:
    """Three pulls at 6 s against 1/s, burst 1: one gets the token, two are refused (429) after the
    latency and take none. With every pod-worker draw 0 (requeues of exactly 10 s, sync ticks on whole
    seconds): refused at 6 (6.5), back-off 10 s, the pod worker's requeue to 16 (16.5, so the 17 s tick);
    the bucket has refilled one token by then: one pulls, the other is refused again, back-off 20 s,
    syncs 10 s apart, at 26 and 36 (27.5 → 28, 38). The last pull ends 2 s later, the container
    starts 3 s after that and is Ready 4 s on: 36 + 9 = 45 (38 + 0.5 + 9 = 47.5)."""
    monkeypatch.setattr(PodWorkers, "_draw", lambda self: 0.0)
    seen = _answers(monkeypatch)
    s = simulate(build_scenario(**THREE, **image, registry_latency=latency, registry_over_limit="reject")).summary
    assert seen == requests
    assert s["completed"] and s["duration_s"] == pytest.approx(duration)
    assert s["registry_refusals"] == 3 and s["mean_pull_s"] == pytest.approx(2 + latency)
    assert s["peak_concurrent_pulls"] == 1  # the refused pulls moved no bytes and are not pulls
    if image:
        assert s["registry_bytes_served"] == 3 * 100e6


@pytest.mark.pure
@pytest.mark.parametrize("image", [{}, SIZED], ids=["pull-time", "bytes"])
def test_the_default_registry_queues_requests_over_its_rate(monkeypatch, image) -> None:
    """Unchanged: the three pulls wait for their tokens, at 6, 7 and 8 s; the last pod is Ready at
    8 + 2 + 3 + 4 = 17 s, and the summary has no refusals key (no refusing registry)."""
    seen = _answers(monkeypatch)
    s = simulate(build_scenario(**THREE, **image)).summary
    assert seen == [(6, False)] * 3
    assert s["duration_s"] == pytest.approx(17.0) and "registry_refusals" not in s
    assert simulate(build_scenario(**THREE, **image, registry_over_limit="queue")).summary == s


@pytest.mark.pure
def test_a_refused_manifest_check_fails_the_start_too(monkeypatch) -> None:
    """``Always`` with the image on every node: the kubelet still asks the registry (a manifest
    check, no bytes, no ``pull`` time); refused, the start fails and waits out the back-off as a pull
    would: the checks land at 6, 16 and 36 s, the last pod Ready at 36 + 3 + 4 = 43 s."""
    monkeypatch.setattr(PodWorkers, "_draw", lambda self: 0.0)
    seen = _answers(monkeypatch)
    s = simulate(build_scenario(**THREE, image_cached=1.0, image_pull_policy="Always",
                                registry_over_limit="reject")).summary
    assert [t for t, refused in seen if not refused] == [6, 16, 36]
    assert s["duration_s"] == pytest.approx(43.0) and s["registry_refusals"] == 3


@pytest.mark.parametrize("image", [{}, SIZED], ids=["pull-time", "bytes"])
def test_a_pod_that_pulled_after_a_refusal_is_no_longer_rate_limited(image) -> None:
    """Two of the three pulls at 6 s are refused; their pods pull again after their back-offs, and
    all three have their images within a minute, but a 300 s container start outlasts the 100 s stall
    detector. The stop cause is then a slow start, not the registry: a pod whose later pull went
    through is out of ImagePullBackOff (it said "2 new pods waited out ImagePullBackOff" when the
    kubelet forgot the refusals)."""
    s = simulate(build_scenario(**{**THREE, "start": 300}, **image, registry_over_limit="reject",
                                stall_after=100)).summary
    assert s["registry_refusals"] > 0 and s["stop_cause"] == "stalled"
    assert "3 new pods still on the way to Ready" in s["stop_detail"]


@pytest.mark.pure
@pytest.mark.parametrize("image", [{}, SIZED], ids=["pull-time", "bytes"])
def test_a_refused_pull_keeps_its_container_start(monkeypatch, image) -> None:
    """The container's start time is drawn when the kubelet first asks for the image; a pull the
    registry refuses keeps it for the pull after the back-off. Three pods, three refusals (as in
    ``test_refused_pulls_come_back_after_the_image_back_off``), three draws from the start stream, and
    each pod starts its own draw after its image is there."""
    draws: list[float] = []
    post_init = PodRuntime.__post_init__

    def counted(self, positions):
        post_init(self, positions)
        start = self.start

        def draw() -> float:
            draws.append(start())
            return draws[-1]

        self.start = draw

    monkeypatch.setattr(PodRuntime, "__post_init__", counted)
    monkeypatch.setattr(PodWorkers, "_draw", lambda self: 0.0)  # requeues of 10 s: the refusals at 6, 6 and 16 s
    result = simulate(build_scenario(**{**THREE, "start": "uniform(1, 5)"}, **image, registry_over_limit="reject"))
    assert result.summary["completed"] and result.summary["registry_refusals"] == 3
    nodes = result.nodes
    assert len(draws) == 3
    assert sorted(nodes["new_started_at_s"] - nodes["new_pulled_at_s"]) == pytest.approx(sorted(draws))


def test_a_rollout_stopped_while_pods_wait_out_the_back_off_says_so() -> None:
    """A stall detector shorter than the back-offs: the run stops while a pod waits to pull again,
    and the stop cause names the registry, not a slow straggler."""
    s = simulate(build_scenario(**{**THREE, "nodes": 6}, registry_over_limit="reject", stall_after=12)).summary
    assert s["stalled"] and s["stop_cause"] == "registry-rate-limited"
    assert "refused their pulls over its pull rate of 1/s (burst 1) (429 Too Many Requests)" in s["stop_detail"]


def test_a_bad_image_refused_over_the_limit_is_still_a_bad_image() -> None:
    """``pull-error`` pods fail whether the registry refuses them (429) or answers them (a missing
    tag): the refusals count, and the stop cause stays the image."""
    s = simulate(build_scenario(**THREE, new_pods="pull-error", registry_over_limit="reject", stall_after=120)).summary
    assert s["stop_cause"] == "image-pull-error" and s["registry_refusals"] > 0


@settings(max_examples=200, deadline=None)
@given(rate=st.sampled_from([0.5, 1.0, 2.0, 5.0, 10.0]),
       gaps=st.lists(st.floats(min_value=0.0, max_value=3.0), min_size=1, max_size=80),
       latency=st.sampled_from([0.0, 0.2]))
def test_a_rejecting_registry_never_serves_more_than_its_rate_allows(rate, gaps, latency) -> None:
    """However the requests come, in any span of d seconds a rejecting registry serves at most
    burst + rate × d of them (burst max(1, rate)); the rest are refused, and taking no token they do
    not hold back the next ones. A queueing one serves every request."""
    env = simpy.Environment()
    reject = Registry(env, RegistrySpec(pull_rate=rate, latency=latency, over_limit="reject"))
    queue = Registry(env, RegistrySpec(pull_rate=rate, latency=latency))
    times = pd.Series(gaps).cumsum().tolist()
    served = [t for t in times if not reject.answer(t)[1]]
    assert all(not queue.answer(t)[1] for t in times) and queue.served == len(times)
    assert reject.served == len(served) and reject.refusals == len(times) - len(served)
    burst = max(1.0, rate)
    for i, start in enumerate(served):
        for j in range(i, len(served)):
            assert j - i + 1 <= burst + rate * (served[j] - start) + 1e-9


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_in_a_run_the_registry_serves_at_most_its_rate(monkeypatch, seed) -> None:
    """The same bound over a whole rollout: 200 nodes, half of them pulling at once, 5 pulls a second."""
    seen = _answers(monkeypatch)
    s = simulate(build_scenario(nodes=200, max_unavailable="50%", registry_pull_rate="5/s",
                                registry_over_limit="reject"), seed).summary
    served = [t for t, refused in seen if not refused]
    assert s["completed"] and s["registry_refusals"] == len(seen) - len(served) > 0
    assert len(served) == 200
    for i in range(len(served)):
        for j in range(i, len(served)):
            assert j - i + 1 <= 5 + 5 * (served[j] - served[i]) + 1e-9


def test_over_limit_without_a_pull_rate_is_said_to_be_ignored(capsys) -> None:
    from rollsim.cli import main
    from rollsim.spec.options import NO_PULL_RATE_NOTE

    assert main(["simulate", "--nodes", "3", "--controller", "ideal", "--registry-over-limit", "reject"]) == 0
    assert capsys.readouterr().err.splitlines() == [f"rollsim: warning: argument --registry-over-limit: "
                                                    f"{NO_PULL_RATE_NOTE}"]


def test_a_bad_over_limit_is_one_line_and_exit_2(capsys, tmp_path) -> None:
    from rollsim.cli import main
    from rollsim.io.yamldoc import ConfigError
    from rollsim.sweep.experiment_file import load_experiment

    assert main(["simulate", "--nodes", "3", "--registry-over-limit", "429"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--registry-over-limit" in err and "'queue', 'reject'" in err
    path = tmp_path / "x.yaml"
    path.write_text("name: x\nscenario:\n  registry: {pull_rate: 1/s, over_limit: drop}\n")
    with pytest.raises(ConfigError) as info:
        load_experiment(path)
    assert ":3: scenario.registry.over_limit" in str(info.value) and "queue, reject" in str(info.value)


def test_the_console_and_the_report_name_the_refusals() -> None:
    from rollsim.present.console_simulate import format_summary
    from rollsim.present.run_costs import refusal_costs

    result = simulate(build_scenario(**THREE, registry_over_limit="reject"))
    line = next(x for x in format_summary(result, 0.0).splitlines() if "registry refused" in x)
    assert (f"{result.summary['registry_refusals']} requests over its pull rate of 1/s (burst 1) (429 Too Many "
            "Requests)") in line
    runs = pd.DataFrame({"config": [0, 0, 1], "label": ["reject", "reject", "queue"],
                         "registry_refusals": [4, 2, None]})
    assert refusal_costs(runs, {0: {"registry_pull_rate": 5.0, "registry_pull_burst": None}}) == [
        "reject: the registry refused 3.0 requests per run on average (at most 4) over its pull rate of 5/s (burst 5) "
        "(429 Too Many Requests); each refused pod pulled again only after the kubelet's image pull back-off, 10 s "
        "doubling to 5 min (README, “What hurts at scale”)."]
    assert "over its limit (429" in refusal_costs(runs)[0]  # no scenarios: the limit unnamed
    assert refusal_costs(runs.drop(columns="registry_refusals")) == []


def test_the_refusals_name_a_pull_window_not_a_pull_rate() -> None:
    """With ``--registry-pull-window 2/1m`` the console's line, the notebook's row, the stop sentence and
    the report's finding name the window, not a pull rate the registry does not have."""
    from rollsim.observe.display import run_repr_html
    from rollsim.present.console_simulate import format_summary
    from rollsim.present.run_costs import refusal_costs

    window = {**THREE, "nodes": 6, "registry_pull_rate": None, "registry_pull_window": "2/1m"}
    result = simulate(build_scenario(**window, registry_over_limit="reject", stall_after=12))
    s = result.summary
    assert s["stop_cause"] == "registry-rate-limited" and s["registry_refusals"] > 0
    assert "refused their pulls over its limit of 2 per 1m (429 Too Many Requests)" in s["stop_detail"]
    line = next(x for x in format_summary(result, 0.0).splitlines() if x.startswith("  registry refused"))
    assert f"{s['registry_refusals']} requests over its limit of 2 per 1m (429" in line
    assert f"{s['registry_refusals']:,} requests over its limit of 2 per 1m (429)" in run_repr_html(result)
    runs = pd.DataFrame({"config": [3], "label": ["hub"], "registry_refusals": [7]})
    assert "over its limit of 100 per 6h (429" in refusal_costs(runs, {3: {"registry_pull_window": "100/6h"}})[0]
