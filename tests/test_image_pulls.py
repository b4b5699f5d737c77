"""Image pulls through the registry model, end to end: contention, cache, pull policy, units."""

from __future__ import annotations

import json
import math
import re

import pytest
from rollsim import build_scenario, simulate
from rollsim.spec.image import ImageSpec, UnitError, parse_pull_rate, parse_rate, parse_size

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


def test_a_bandwidth_may_be_written_unlimited_its_default(tmp_path) -> None:
    """Audit 41: a grid over registry.bandwidth could not list the default beside rates ("unlimited" was refused)."""
    from rollsim import build_scenario
    from rollsim.sweep.experiment_file import load_experiment

    assert parse_rate("unlimited") is None and parse_rate(" Unlimited ") is None
    assert build_scenario(nodes=2, registry_bandwidth="unlimited") == build_scenario(nodes=2)
    (tmp_path / "e.yaml").write_text("name: e\nscenario:\n  image: {size: 200MB, node_bandwidth: 100MB/s}\n"
                                     "grid:\n  registry.bandwidth: [unlimited, 100MB/s]\n")
    unlimited, limited = load_experiment(tmp_path / "e.yaml").configurations
    assert unlimited.label == "registry bandwidth unlimited" and unlimited.scenario.registry.bandwidth is None
    assert limited.scenario.registry.bandwidth == 100e6


def test_the_schedulers_throughput_spaces_the_binds() -> None:
    """A wave of 10 pods at 2 binds/s: the last is bound 4.5 s after the first (FIFO, burst 1)."""
    r = simulate(build_scenario(nodes=10, max_unavailable=10, scheduler_throughput="2/s", pull=2, **BASE))
    bound = sorted(r.nodes["new_scheduled_at_s"])
    assert bound[0] == pytest.approx(5 + 1) and bound[-1] - bound[0] == pytest.approx(4.5)


@pytest.mark.parametrize(("text", "message"), [
    ("1Gb/s", "Gb/s is bits and rollsim reads bytes: write 125MB/s for '1Gb/s'"),
    ("100Mb/s", "write 12.5MB/s for '100Mb/s'"),
    ("1gb/s", "units are case-sensitive: write GB/s (B a byte, b a bit)"),
    ("500m", "m is milli in Kubernetes quantities: write M or MB"),
    ("2gib", "units are case-sensitive: write GiB"),
])
def test_a_unit_that_reads_as_bits_or_milli_is_refused_with_what_to_write(text, message) -> None:
    """Audit 34: units were read without their case, so a link's 1Gb/s (gigabits) pulled as 1GB/s, 8× too
    fast, without a word, and 500m (milli in a Kubernetes quantity) was 500 MB."""
    with pytest.raises(UnitError, match=re.escape(message)):
        parse_rate(text) if "/" in text else parse_size(text)
    assert parse_rate("125MB/s") == parse_rate("125 MB/s") == 125e6 and parse_size("1 kB") == parse_size("1K") == 1e3


@pytest.mark.parametrize("value", [math.nan, math.inf, "1e400", "1e400MB", float("-inf")])
def test_sizes_and_rates_are_finite(value) -> None:
    """NaN or an infinite size reached the run before (an internal error, exit 1, a half-written folder)."""
    with pytest.raises(ValueError, match="must (not )?be"):
        parse_size(value)
    with pytest.raises(ValueError, match="must be"):
        parse_rate(value)


# What the node already has (EnsureImageExists, shouldPullImage in pkg/kubelet/images/image_manager.go).

UNDO = dict(nodes=10, max_unavailable=2, new_pods="pull-error", stall_after=60, rollback_after=0, pull=2, **BASE)
SIZED = dict(image_size="1GB", node_bandwidth="100MB/s")  # a 10 s pull


@pytest.mark.parametrize("image", [{}, SIZED], ids=["pull-time", "sized"])
def test_after_a_rollback_the_old_pods_start_from_the_image_the_node_has(image) -> None:
    """Every node ran the old template minutes before: under IfNotPresent its pods start without a
    pull (the rollback took 8 + 2 s, or 8 + 10 s with a 1 GB image, when they pulled it again).
    The stall is detected at 60 s (last progress at 0), the undo is at once: schedule, start, ready.
    """
    s = simulate(build_scenario(**UNDO, **image)).summary
    assert s["rolled_back"] and s["stalled_at_s"] == 0.0
    assert s["rollback_done_s"] == pytest.approx(60 + 1 + 3 + 4)
    assert s["registry_bytes_served"] == (0.0 if image else None)


@pytest.mark.parametrize("image", [{}, SIZED], ids=["pull-time", "sized"])
def test_after_a_rollback_always_checks_the_manifest_only(image) -> None:
    """Under Always each old pod asks the registry (its latency), and moves no bytes."""
    s = simulate(build_scenario(**UNDO, **image, image_pull_policy="Always", registry_latency=0.5)).summary
    assert s["rollback_done_s"] == pytest.approx(60 + 1 + 0.5 + 3 + 4)
    assert s["registry_bytes_served"] == (0.0 if image else None)


def test_after_a_rollback_the_bytes_served_are_the_new_images_only() -> None:
    """Two crash-looping new pods pulled 1 GB each; the undo's old pods pull nothing (4 GB before)."""
    s = simulate(build_scenario(**{**UNDO, "new_pods": "crashloop"}, **SIZED)).summary
    assert s["rolled_back"] and s["registry_bytes_served"] == 2e9
    assert s["mean_pull_s"] == pytest.approx(10.0) and s["peak_concurrent_pulls"] == 2


@pytest.mark.parametrize(("image", "pull"), [({}, 2), (SIZED, 10)], ids=["pull-time", "sized"])
def test_a_node_added_after_the_rollback_pulls_the_old_image(image, pull) -> None:
    """A node that joins after the undo never ran the old template: its pod pulls it (created at 61 s)."""
    r = simulate(build_scenario(**UNDO, **image, add_nodes="1@61"))
    added = r.nodes[r.nodes["node"] == "added-00001"].iloc[0]
    assert added["new_pulled_at_s"] == pytest.approx(61 + 1 + pull)
    assert r.summary["rollback_done_s"] == pytest.approx(61 + 1 + pull + 3 + 4)


@pytest.mark.parametrize("cached", [0.0, 1.0])
def test_a_cached_image_skips_the_pull_time_without_a_size(cached) -> None:
    """--image-cached without --image-size: a cached node starts at once under IfNotPresent."""
    s = simulate(build_scenario(nodes=10, max_unavailable=2, pull=2, image_cached=cached, **BASE)).summary
    pull = 0 if cached else 2
    assert s["duration_s"] == pytest.approx(5 * (5 + 1 + pull + 3 + 4))
    assert s["mean_pull_s"] == (None if cached else pytest.approx(2.0))


@pytest.mark.parametrize(("latency", "check"), [(None, 0.0), (0.5, 0.5)])
def test_always_without_a_size_costs_the_manifest_check(latency, check) -> None:
    """Under Always a cached node asks the registry: its latency (none without one), not the pull time."""
    s = simulate(build_scenario(nodes=10, max_unavailable=2, pull=2, image_cached=1.0, image_pull_policy="Always",
                                registry_latency=latency, **BASE)).summary
    assert s["mean_pull_s"] == pytest.approx(check)
    assert s["duration_s"] == pytest.approx(5 * (5 + 1 + check + 3 + 4))


def test_the_pull_rate_limit_applies_without_a_size() -> None:
    """Ten pulls asked for at once at 1/s (burst 1): tokens at 0..9 s, then the 2 s pull time each."""
    s = simulate(build_scenario(nodes=10, max_unavailable=10, pull=2, registry_pull_rate="1/s", **BASE)).summary
    assert s["mean_pull_s"] == pytest.approx(2 + 4.5)
    assert s["duration_s"] == pytest.approx(5 + 1 + (9 + 2) + 3 + 4)


@pytest.mark.parametrize("image", [{}, SIZED], ids=["pull-time", "sized"])
def test_an_image_that_cannot_be_pulled_starts_where_it_is_present(image) -> None:
    """pull-error on nodes that have the image, under IfNotPresent: the registry is never asked,
    so the pods start and the rollout completes; under Always the pull fails (ImagePullBackOff).
    """
    common = dict(nodes=20, max_unavailable=2, new_pods="pull-error", image_cached=1.0, stall_after=600, **BASE)
    s = simulate(build_scenario(**common, **image)).summary
    assert s["completed"] and s["duration_s"] == pytest.approx(10 * (5 + 1 + 3 + 4))
    stuck = simulate(build_scenario(**common, **image, image_pull_policy="Always")).summary
    assert not stuck["completed"] and stuck["stop_cause"] == "image-pull-error"


def test_a_failing_pull_takes_a_pull_rate_token() -> None:
    """Five failing pulls ask the registry first (tokens 0..4 s at 1/s); the five healthy pulls of
    another DaemonSet created after them wait on each node for the failing pull's answer (the node
    pulls one image at a time), then ask for tokens 5..9 s: 5 s each, then the 2 s pull time.
    """
    other = {"name": "a", "max_unavailable": 5, "schedule": 1, "pull": 2, "start": 3, "ready": 4, "terminate": 5}
    s = simulate(build_scenario(nodes=5, max_unavailable=5, new_pods="pull-error", pull=2, stall_after=100,
                                registry_pull_rate="1/s", also=[other], **BASE))
    assert s.others["a"]["mean_pull_s"] == pytest.approx(2 + 5.0)


def test_bandwidth_without_a_size_is_said_to_be_ignored(capsys) -> None:
    """Bandwidths share bytes: with no size anywhere they do nothing, and say so (one line each)."""
    from rollsim.cli import main
    from rollsim.spec.options import NO_SIZE_NOTE, ignored_options

    flags = ["--nodes", "10", "--max-unavailable", "2", "--controller", "ideal", "--node-bandwidth", "1MB/s",
             "--registry-bandwidth", "1MB/s", "--registry-pull-rate", "5/s", "--image-cached", "0.5"]
    assert main(["simulate", *flags]) == 0
    assert capsys.readouterr().err.splitlines() == [
        f"rollsim: warning: argument --node-bandwidth: {NO_SIZE_NOTE}",
        f"rollsim: warning: argument --registry-bandwidth: {NO_SIZE_NOTE}"]
    given = ["node_bandwidth", "registry_bandwidth"]
    sized = build_scenario(nodes=3, image_size="1GB", node_bandwidth="1MB/s", registry_bandwidth="1MB/s")
    assert ignored_options(sized, given) == ()
    other_sized = build_scenario(nodes=3, node_bandwidth="1MB/s", registry_bandwidth="1MB/s",
                                 also=[{"name": "a", "image_size": "1GB"}])
    assert ignored_options(other_sized, given) == ()  # both links carry the item's bytes


def test_the_node_bandwidth_is_the_nodes_whichever_daemonset_gives_it() -> None:
    """A node's link is the node's: every DaemonSet's pulls on it share it (one at a time). The
    study's ``image.node_bandwidth`` caps an item's sized pulls (20 MB at 1 MB/s: 20 s, not 0 s as
    when the item's pulls ignored it); an item's caps the study's where the study gives none; an
    item may repeat the value, not contradict it; and it is ignored (with a warning) only when no
    image has a size.
    """
    from rollsim.spec.options import ITEM_NO_SIZE_NOTE, OptionError, ignored_in_also

    one = dict(nodes=1, max_unavailable=1, **BASE)
    r = simulate(build_scenario(image_size="10MB", node_bandwidth="1MB/s", also=[{"name": "b", "image_size": "20MB"}],
                                **one))
    assert (r.summary["mean_pull_s"], r.others["b"]["mean_pull_s"]) == (pytest.approx(10.0), pytest.approx(20.0))
    items = [{"name": "a", "node_bandwidth": "1MB/s", "pull": 2}, {"name": "b", "node_bandwidth": "1MB/s"}]
    scenario = build_scenario(image_size="10MB", also=items, **one)
    assert scenario.node_bandwidth() == 1e6 and ignored_in_also(scenario) == ()
    r = simulate(scenario)
    assert (r.summary["mean_pull_s"], r.others["a"]["mean_pull_s"]) == (pytest.approx(10.0), pytest.approx(2.0))
    with pytest.raises(OptionError, match=r"item 1 \(b\): node_bandwidth: must be the node's one link, 1MB/s"):
        build_scenario(node_bandwidth="1MB/s", also=[{"name": "a"}, {"name": "b", "node_bandwidth": "2MB/s"}], **one)
    unsized = build_scenario(also=items, **one)
    assert ignored_in_also(unsized) == (("[0].node_bandwidth", "a", ITEM_NO_SIZE_NOTE),
                                        ("[1].node_bandwidth", "b", ITEM_NO_SIZE_NOTE))


TIMES = dict(schedule=1, start=1, ready=1, terminate=1, probe_period=0)
ONE_NODE = dict(nodes=1, controller="ideal", **TIMES)


@pytest.mark.parametrize(("study", "other"), [
    (dict(pull=10), dict(pull=10)),  # neither image has a size: each pull takes the pull time
    (dict(pull=1, image_size="1GB", node_bandwidth="100MB/s"), dict(pull=1, image_size="1GB")),  # both by bytes
    (dict(pull=10), dict(pull=1, image_size="1GB", node_bandwidth="100MB/s")),  # one of each
], ids=["unsized", "sized", "mixed"])
def test_a_node_pulls_one_image_at_a_time_whatever_the_image(study, other) -> None:
    """``serializeImagePulls: true`` (the kubelet's default): two DaemonSets' 10 s pulls on one node
    run one after the other, sized or not. Each old pod is deleted at 0 and gone at 1, each new one
    bound at 2; the first pull ends at 12 (start 1, ready 1: done at 14), the second starts then and
    ends at 22 (done at 24). Before model 21 pulls without a size ran side by side: both at 14.
    """
    r = simulate(build_scenario(**ONE_NODE, **study, also=[{"name": "b", **TIMES, **other}]), seed=1)
    done = sorted((r.summary["duration_s"], r.others["b"]["duration_s"]))
    assert done == [pytest.approx(14.0), pytest.approx(24.0)]
    # and each pull's own time is its 10 s, the wait for the node's turn apart (the kubelet's
    # "Successfully pulled image in 10s (20s including waiting)")
    assert (r.summary["mean_pull_s"], r.others["b"]["mean_pull_s"]) == (pytest.approx(10.0), pytest.approx(10.0))


def test_one_daemonset_pulls_as_before_on_its_own() -> None:
    """One DaemonSet never has two pulls at once on a node: its pulls are as they were (14 s)."""
    r = simulate(build_scenario(**ONE_NODE, pull=10), seed=1)
    assert r.summary["duration_s"] == pytest.approx(14.0)


def test_the_scenario_decides_the_nodes_link_and_names_both_daemonsets() -> None:
    """``Scenario`` is the one place that decides the node's link (``build_scenario`` only names
    the item): built directly, a contradicting item is a ``LinkConflict`` naming both DaemonSets
    and their values, where it named neither.
    """
    from rollsim.spec.image import ImageSpec, LinkConflict
    from rollsim.spec.scenario import DaemonSetSpec, Scenario, Workload

    def item(name: str, bandwidth: float | None) -> Workload:
        return Workload(DaemonSetSpec(name=name), image=ImageSpec(node_bandwidth=bandwidth))

    study = ImageSpec(size_bytes=1e9, node_bandwidth=1e6)
    assert Scenario(nodes=2, image=study, also=(item("a", None), item("b", 1e6))).node_bandwidth() == 1e6
    with pytest.raises(LinkConflict) as info:
        Scenario(nodes=2, image=study, also=(item("a", None), item("b", 2e6)))
    assert (info.value.daemonset, info.value.value, info.value.first, info.value.link) == \
        ("kube-system/b", 2e6, "kube-system/fluentd-elasticsearch", 1e6)
    assert str(info.value).endswith("kube-system/b's 2MB/s differs from kube-system/fluentd-elasticsearch's 1MB/s")


def test_what_a_node_has_and_what_it_pulls() -> None:
    """``PodRuntime``'s view of the nodes' images: the old template's on every node there at time 0
    (not on one that joins), the new one where cached or pulled since; Always pulls whatever is there.
    """
    import numpy as np
    from rollsim.cluster.podruntime import PodRuntime
    from rollsim.controller.pods import Pod
    from rollsim.spec.faults import NewPodFaults
    from rollsim.spec.scenario import DaemonSetSpec, Timings
    from rollsim.spec.streams import Streams

    def runtime(policy: str) -> PodRuntime:
        return PodRuntime(DaemonSetSpec(), Timings(), NewPodFaults(), ImageSpec(pull_policy=policy), Streams(0),
                          np.arange(3), "default/ds")

    rt = runtime("IfNotPresent")
    rt.node_added()
    old, new = [Pod(uid, uid, 0, 0.0) for uid in range(4)], [Pod(10 + uid, uid, 1, 0.0) for uid in range(4)]
    assert [rt.image_present(p) for p in old] == [True, True, True, False]
    assert not any(rt.image_present(p) for p in new) and all(rt.pulls_image(p) for p in new)
    rt.image_pulled(new[1])
    rt.image_pulled(old[3])
    assert [rt.pulls_image(p) for p in new] == [True, False, True, True]
    assert not any(rt.pulls_image(p) for p in old)
    always = runtime("Always")
    assert all(always.pulls_image(p) for p in old[:3] + new)


def test_a_pull_time_beside_an_image_size_is_said_to_be_ignored(capsys) -> None:
    """With a size each pull takes what its bytes take (10 × 100 MB at 100 MB/s in all: the last done
    at 10 s), whatever --pull says: one warning line, where --pull 30 was dropped without a word."""
    from rollsim.cli import main
    from rollsim.spec.options import SIZED_NOTE

    flags = ["--nodes", "10", "--controller", "ideal", "--image-size", "100MB", "--registry-bandwidth", "100MB/s",
             "--max-unavailable", "10", "--schedule", "1", "--start", "3", "--ready", "4", "--terminate", "5",
             "--probe-period", "0", "-o", "json"]
    assert main(["simulate", *flags, "--pull", "30"]) == 0
    out, err = capsys.readouterr()
    assert err.splitlines() == [f"rollsim: warning: argument --pull: {SIZED_NOTE}"]
    assert main(["simulate", *flags]) == 0
    assert json.loads(capsys.readouterr().out)["duration_s"] == json.loads(out)["duration_s"] == 23.0


def _puller_run(pods: str, serialize: bool = True, max_parallel: int | None = None,
                delete_at: dict[str, float] | None = None) -> list[tuple[float, str]]:
    """A 60 s pull for each of ``pods`` asked for at once on one node, through the puller
    ``serialize`` and ``max_parallel`` choose (``image_puller``); pods named in ``delete_at`` are
    deleted then. Returns (when its image landed, pod), in order.
    """
    from types import SimpleNamespace

    import simpy
    from rollsim.cluster.imagepull import ImageManager
    from rollsim.spec.image import IF_NOT_PRESENT

    env = simpy.Environment()
    deleted: set[str] = set()
    pulled: list[tuple[float, str]] = []

    class Runtime:  # the part of PodRuntime the image manager reads
        image = SimpleNamespace(pull_policy=IF_NOT_PRESENT, size_bytes=None)
        queued: dict = {}
        backing_off: dict = {}

        def image_present(self, pod) -> bool:
            return False

        def pull(self) -> float:
            return 60.0

        def image_pulled(self, pod) -> None:
            pulled.append((env.now, pod.uid))

    images = ImageManager(env, api=None, pod_workers=None, registry=None,  # type: ignore[arg-type]
                          gone=lambda pod: pod.uid in deleted, started=lambda *args: None,
                          serialize=serialize, max_parallel=max_parallel)
    for uid in pods:
        images.ensure_image_exists(SimpleNamespace(uid=uid, node=0, revision=1), Runtime(), "healthy", 0.0)
    for uid, at in (delete_at or {}).items():
        env.timeout(at).callbacks.append(lambda _, uid=uid: deleted.add(uid))
    env.run(until=1000)
    return pulled


@pytest.mark.pure  # an image manager without an API server: mypyc checks its arguments' types
def test_a_pull_whose_pod_is_gone_by_its_turn_is_not_made() -> None:
    """Three 60 s pulls queue on one node; the second's pod is deleted at 10 s, while it waits.
    Upstream ``UpdatePod`` cancels the pod's context and its queued ``PullImage`` returns at once,
    so the third image is on the node at 120 s, not 180 s, and the deleted pod's never is.
    """
    assert _puller_run("abc", delete_at={"b": 10.0}) == [(60.0, "a"), (120.0, "c")]


@pytest.mark.parametrize(("study", "other", "done"), [
    (dict(pull=10), dict(pull=10), [14.0, 14.0]),  # each pull its own 10 s, side by side
    # two 1 GB pulls share the node's 100 MB/s link: each gets 50 MB/s and ends at 2 + 20 s
    (dict(pull=1, image_size="1GB", node_bandwidth="100MB/s"), dict(pull=1, image_size="1GB"), [24.0, 24.0]),
    (dict(pull=10), dict(pull=1, image_size="1GB", node_bandwidth="100MB/s"), [14.0, 14.0]),  # 10 s each way
], ids=["unsized", "sized", "mixed"])
def test_a_node_that_does_not_serialize_pulls_pulls_side_by_side(study, other, done) -> None:
    """``serializeImagePulls: false`` without ``maxParallelImagePulls`` (no limit, ``parallelImagePuller``):
    the two DaemonSets' pulls on one node start together at 2 s. Pulls by bytes share the node's
    link; pulls without a size take their own time.
    """
    r = simulate(build_scenario(**ONE_NODE, **study, serialize_image_pulls=False,
                                also=[{"name": "b", **TIMES, **other}]), seed=1)
    assert sorted((r.summary["duration_s"], r.others["b"]["duration_s"])) == [pytest.approx(t) for t in done]


def test_max_parallel_image_pulls_of_one_is_the_serial_puller() -> None:
    """``maxParallelImagePulls: 1`` lets one pull run at a time: the two 10 s pulls end at 12 and 22 s
    (done at 14 and 24), as the serial puller."""
    r = simulate(build_scenario(**ONE_NODE, pull=10, serialize_image_pulls=False, max_parallel_image_pulls=1,
                                also=[{"name": "b", **TIMES, "pull": 10}]), seed=1)
    assert sorted((r.summary["duration_s"], r.others["b"]["duration_s"])) == [pytest.approx(14.0), pytest.approx(24.0)]


@pytest.mark.pure  # an image manager without an API server: mypyc checks its arguments' types
@pytest.mark.parametrize(("max_parallel", "ends"), [
    (None, [60.0] * 5),  # no limit: all at once
    (2, [60.0, 60.0, 120.0, 120.0, 180.0]),  # two tokens: waves of two, first come first served
    (5, [60.0] * 5),
    (1, [60.0, 120.0, 180.0, 240.0, 300.0]),
])
def test_max_parallel_image_pulls_hands_out_tokens_in_turn(max_parallel, ends) -> None:
    """``parallelImagePuller``'s ``tokens``: at most ``maxParallelImagePulls`` pulls at once a node,
    the others waiting in order for a token given back at a pull's end."""
    pulled = _puller_run("abcde", serialize=False, max_parallel=max_parallel)
    assert [t for t, _ in pulled] == ends
    assert [uid for _, uid in pulled] == list("abcde")


@pytest.mark.pure  # an image manager without an API server: mypyc checks its arguments' types
def test_a_parallel_pull_whose_pod_is_gone_by_its_turn_is_not_made() -> None:
    """Two tokens, five 60 s pulls; c's pod is deleted while it waits: its token passes on at once,
    so d and e run from 60 s (as c and d would have), and c's image never lands."""
    pulled = _puller_run("abcde", serialize=False, max_parallel=2, delete_at={"c": 10.0})
    assert pulled == [(60.0, "a"), (60.0, "b"), (120.0, "d"), (120.0, "e")]


def test_pulls_side_by_side_on_one_node_share_its_link() -> None:
    """``Registry``: two 1 GB transfers to one node of a 100 MB/s link and a 1 GB/s registry get
    50 MB/s each (20 s), while a third node's own 1 GB gets its whole link (10 s)."""
    import simpy
    from rollsim.cluster.registry import Registry
    from rollsim.spec.registry import RegistrySpec

    env = simpy.Environment()
    registry = Registry(env, RegistrySpec(bandwidth=1e9))
    events = [registry.pull(1e9, 1e8, node=0), registry.pull(1e9, 1e8, node=0), registry.pull(1e9, 1e8, node=1)]
    env.run()
    assert [e.value for e in events] == [pytest.approx(20.0), pytest.approx(20.0), pytest.approx(10.0)]


def test_max_parallel_image_pulls_above_one_beside_serialize_image_pulls_true_is_refused(capsys) -> None:
    """The kubelet refuses ``maxParallelImagePulls`` above 1 with ``serializeImagePulls: true`` given
    (``ValidateKubeletConfiguration``): one line naming both flags, exit 2; with 1 it starts."""
    from rollsim.cli import main
    from rollsim.spec.scenario import SERIAL_PULLS_RULE

    assert main(["simulate", "--nodes", "3", "--serialize-image-pulls", "--max-parallel-image-pulls", "2"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and SERIAL_PULLS_RULE in err and "--max-parallel-image-pulls" in err
    assert "--serialize-image-pulls" in err
    assert main(["simulate", "--nodes", "3", "--serialize-image-pulls", "--max-parallel-image-pulls", "1",
                 "-o", "json"]) == 0


@pytest.mark.parametrize(("serialize", "max_parallel", "serialized"), [
    (None, None, True), (None, 1, True), (None, 2, False), (None, 3, False),
    (True, 1, True), (False, None, False), (False, 1, False),
])
def test_unset_serialize_image_pulls_is_as_the_kubelet_defaults_it(serialize, max_parallel, serialized) -> None:
    """``SetDefaults_KubeletConfiguration``: serializeImagePulls left out is true, unless
    maxParallelImagePulls is 2 or more, "to save users from having to set both configs"; given, it is
    as given. ``--max-parallel-image-pulls 3`` alone was refused (audit 22)."""
    scenario = build_scenario(nodes=1, serialize_image_pulls=serialize, max_parallel_image_pulls=max_parallel)
    assert scenario.image_pulls_serialized() is serialized
    if max_parallel == 3:  # and it runs so: two 10 s pulls side by side (both done at 14 s)
        r = simulate(build_scenario(**ONE_NODE, pull=10, max_parallel_image_pulls=3,
                                    also=[{"name": "b", **TIMES, "pull": 10}]), seed=1)
        assert (r.summary["duration_s"], r.others["b"]["duration_s"]) == (pytest.approx(14.0), pytest.approx(14.0))


def test_an_experiment_sets_the_kubelets_image_pulls(tmp_path) -> None:
    """``cluster.serialize_image_pulls`` and ``cluster.max_parallel_image_pulls`` reach the scenario;
    the combination the kubelet refuses is refused, naming both keys at their section's line."""
    import textwrap

    from rollsim.io.yamldoc import ConfigError
    from rollsim.spec.scenario import SERIAL_PULLS_RULE
    from rollsim.sweep.experiment_file import load_experiment

    path = tmp_path / "exp.yaml"
    text = """\
        name: pulls
        scenario:
          cluster:
            nodes: 3
            serialize_image_pulls: %s
            max_parallel_image_pulls: 2
        """
    path.write_text(textwrap.dedent(text % "false"))
    scenario = load_experiment(path).configurations[0].scenario
    assert (scenario.serialize_image_pulls, scenario.max_parallel_image_pulls) == (False, 2)
    path.write_text(textwrap.dedent(text % "false").replace("    serialize_image_pulls: false\n", ""))  # left out
    assert not load_experiment(path).configurations[0].scenario.image_pulls_serialized()
    path.write_text(textwrap.dedent(text % "true"))
    with pytest.raises(ConfigError) as info:
        load_experiment(path)
    assert str(info.value) == (f"{path}:3: scenario.cluster.serialize_image_pulls and "
                               f"scenario.cluster.max_parallel_image_pulls: {SERIAL_PULLS_RULE}")


def test_the_flags_reach_the_scenario() -> None:
    """``--no-serialize-image-pulls`` is ``serializeImagePulls: false``; not given, it is left to the
    kubelet's default."""
    from rollsim.cli.parser import build_parser

    parser = build_parser()
    args = parser.parse_args(["simulate", "--no-serialize-image-pulls", "--max-parallel-image-pulls", "4"])
    assert (args.serialize_image_pulls, args.max_parallel_image_pulls) == (False, "4")
    assert parser.parse_args(["simulate"]).serialize_image_pulls is None  # not given: the scenario's default
    assert parser.parse_args(["simulate", "--serialize-image-pulls"]).serialize_image_pulls is True
