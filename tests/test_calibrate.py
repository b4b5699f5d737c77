"""Tests for rollsim.io.calibrate and rollsim.kubeexport: kubectl output in, timing profile out.

The round trip simulates a rollout with known phase distributions, exports it as kubectl
would print it (whole-second times), calibrates it back and checks that the inputs are
recovered.
"""

from __future__ import annotations

import copy
import json
import math
import re
import tempfile
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rollsim import build_scenario, simulate
from rollsim.io.calibrate import (
    Calibration,
    calibrate,
    fit_phase,
    format_table,
    ks_test,
    load_timings,
    parse_go_duration,
    parse_pulled_message,
    parse_time,
    pod_phases,
    write_timings,
)
from rollsim.io.yamldoc import ConfigError
from rollsim.spec.distributions import (
    Constant,
    Empirical,
    Gamma,
    LogNormal,
    parse_distribution,
)
from scipy import stats

from kubeexport import export_events, export_pods, go_duration

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data" / "pods"
SAMPLE = ROOT / "experiments" / "calibration"
TRUTH = {
    "schedule": "lognormal(median=2, p95=5)",
    "pull": "gamma(mean=5, cv=0.5)",
    "start": "lognormal(median=3, p95=6)",
    "ready": "lognormal(median=20, p95=45)",
}
WHOLE_SECONDS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\Z")


def _dump(path: Path, doc: object) -> Path:
    path.write_text(json.dumps(doc, indent=4), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def rollout():
    """An 800-node rollout with known timings; Ready exactly when the app is (no probe lattice)."""
    scenario = build_scenario(nodes=800, controller="ideal", max_unavailable="10%", probe_period=0, **TRUTH)
    return simulate(scenario, seed=3)


@pytest.fixture(scope="module")
def round_trip(rollout, tmp_path_factory) -> Calibration:
    folder = tmp_path_factory.mktemp("cluster")
    pods = _dump(folder / "pods.json", export_pods(rollout))
    events = _dump(folder / "events.json", export_events(rollout))
    return calibrate(pods, events)


# -- the round trip -----------------------------------------------------------------------------

@pytest.mark.parametrize("phase", TRUTH)
def test_round_trip_recovers_the_input_distributions(round_trip, phase):
    fit = round_trip.phases[phase]
    truth = parse_distribution(TRUTH[phase])
    assert fit.count == 800
    assert isinstance(fit.chosen, (LogNormal, Gamma)), fit.note
    for q in (0.5, 0.95):
        assert fit.chosen.quantile(q) == pytest.approx(truth.quantile(q), rel=0.10), (phase, q, fit.spec)
    assert fit.p_value >= 0.01


def test_round_trip_true_distribution_is_not_rejected(rollout):
    samples = pod_phases(export_pods(rollout), export_events(rollout))
    assert samples.resolution == 1.0
    assert set(samples.phases["schedule"].kinds) == {"grid"}
    assert set(samples.phases["pull"].kinds) == {"exact"}  # from the Pulled messages
    assert set(samples.phases["start"].kinds) == {"offset"}  # whole seconds minus an exact pull
    for phase, spec in TRUTH.items():
        sample = samples.phases[phase]
        _d, p = ks_test(sample.values, parse_distribution(spec), samples.resolution, sample.kinds)
        assert p >= 0.01, phase


def test_round_trip_picks_the_family_when_it_is_clear(round_trip):
    assert isinstance(round_trip.phases["ready"].chosen, LogNormal)  # σ≈0.49: far from gamma's shape
    for fit in round_trip.phases.values():  # exponential is always far off
        by_family = {f.family: f for f in fit.families}
        assert by_family["exponential"].p_value < 1e-6


def test_round_trip_profile_runs_in_the_simulator(round_trip, tmp_path):
    path = tmp_path / "timings.yaml"
    write_timings(round_trip, path)
    timings = load_timings(path)
    assert set(timings) == {"schedule", "pull", "start", "ready", "probe_period"}
    assert timings == round_trip.timings()
    scenario = build_scenario(nodes=20, controller="ideal", **timings)
    assert scenario.daemonset.readiness_probe.period_seconds == 0
    assert str(scenario.timings.ready) == timings["ready"]
    assert simulate(scenario, seed=1).summary["completed"]


# -- kubectl excerpts written by hand -------------------------------------------------------------

def _excerpt(events: bool = True):
    pods = json.loads((DATA / "excerpt-pods.json").read_text())
    return pod_phases(pods, json.loads((DATA / "excerpt-events.json").read_text()) if events else None)


def test_excerpt_values_and_how_they_were_measured():
    s = _excerpt()
    assert s.pods == 10 and s.resolution == 1.0
    assert s.phases["schedule"].values == (1, 0, 1, 0, 1, 1)
    # px4hb's pull failed and backed off: measured (audit 25), at least its last attempt's 1m3s
    assert s.phases["pull"].values == (5.4, 0.0, 6.0, 4.212345678, 1.5, 63.0, 3.004)
    assert s.phases["pull"].kinds == ("exact", "exact", "grid", "exact", "exact", "exact", "exact")
    assert s.phases["start"].values == pytest.approx((2.6, 2.0, 6.5, 5.996))
    assert s.phases["start"].kinds == ("offset", "grid", "offset", "offset")  # a cache hit keeps the grid
    # fj5rn restarted 3 times: its ready (70 s) is from the previous run's start, a lower bound (audit 25)
    assert s.phases["ready"].values == (22, 20, 27, 70, 23, 21)


def test_excerpt_skips_are_counted_by_reason():
    s = _excerpt()
    assert s.skipped == {
        "schedule": {"not scheduled": 1, "terminating": 1, "no or bad creationTimestamp": 1,
                     "scheduled before created": 1},
        "pull": {"not scheduled": 1, "terminating": 1, "no Pulled event": 1},
        "start": {"pull known only to the second": 1, "not scheduled": 1, "restarted, first start unknown": 1,
                  "terminating": 1, "started before pulled": 1, "no Pulled event": 1},
        "ready": {"not scheduled": 1, "terminating": 1, "Ready before started": 1, "not Ready": 1},
    }
    for phase, sample in s.phases.items():  # every pod is either used or counted
        assert len(sample.values) + sum(s.skipped[phase].values()) == s.pods


def test_excerpt_without_events_measures_pull_and_start_together():
    s = _excerpt(events=False)
    assert list(s.phases) == ["schedule", "pull_start", "ready"]
    assert s.phases["pull_start"].values == (8, 2, 9, 8, 11, 2, 9)
    assert any("pull_start" in note for note in s.notes)


def test_excerpt_calibration_table_and_profile(tmp_path):
    c = calibrate(DATA / "excerpt-pods.json", DATA / "excerpt-events.json")
    table = format_table(c)
    assert "only 6 values: not fitted" in table
    assert "terminate: not measurable" in table
    assert "no Pulled event 1" in table
    write_timings(c, tmp_path / "t.yaml")
    assert load_timings(tmp_path / "t.yaml") == {}  # nothing fitted: every default is kept
    doc = yaml.safe_load((tmp_path / "t.yaml").read_text())
    assert doc["counts"] == {"schedule": 6, "pull": 7, "start": 4, "ready": 6}
    assert doc["empirical"]["ready"] == [22.0, 20.0, 27.0, 70.0, 23.0, 21.0]


def _pod(name="p", created="10:00:00", scheduled="10:00:01", started="10:00:05", ready="10:00:20", **extra):
    def t(x):
        return f"2026-11-26T{x}Z" if isinstance(x, str) and re.fullmatch(r"\d\d:\d\d:\d\d", x) else x
    conditions = [{"type": "PodScheduled", "status": "True", "lastTransitionTime": t(scheduled)},
                  {"type": "Ready", "status": "True", "lastTransitionTime": t(ready)}]
    state = {"running": {"startedAt": t(started)}} if started else {"waiting": {"reason": "ContainerCreating"}}
    pod = {"kind": "Pod", "metadata": {"name": name, "namespace": "ns", "creationTimestamp": t(created)},
           "spec": {"nodeName": "n"},
           "status": {"conditions": conditions, "containerStatuses": [{"name": "c", "restartCount": 0,
                                                                        "state": state}]}}
    for key, value in extra.items():
        pod[key] = value
    return pod


def _pulled(pod, message, when="10:00:03", reason="Pulled"):
    return {"kind": "Event", "reason": reason, "message": message, "firstTimestamp": f"2026-11-26T{when}Z",
            "involvedObject": {"kind": "Pod", "name": pod, "namespace": "ns"}}


def test_every_skip_reason_is_counted():
    pods = [
        _pod("bad-scheduled", scheduled="soon"),
        _pod("bad-ready", ready=12),
        _pod("waiting", started=None),
        _pod("early-start", started="09:59:00"),
        _pod("pulled-late", started="10:00:02"),
        _pod("pulled-before-pulling"),
        _pod("no-duration"),
    ]
    events = [
        _pulled("bad-scheduled", 'Successfully pulled image "i" in 1s'),
        _pulled("bad-ready", 'Successfully pulled image "i" in 1s'),
        _pulled("waiting", 'Successfully pulled image "i" in 1s'),
        _pulled("early-start", 'Successfully pulled image "i" in 1s'),
        _pulled("pulled-late", 'Successfully pulled image "i" in 3.5s (3.5s including waiting)'),
        _pulled("pulled-before-pulling", 'Successfully pulled image "i"', when="10:00:02"),
        _pulled("pulled-before-pulling", 'Pulling image "i"', when="10:00:04", reason="Pulling"),
        _pulled("no-duration", 'Successfully pulled image "i"'),
    ]
    s = pod_phases({"kind": "List", "items": pods}, {"kind": "List", "items": events})
    reasons = {reason for counts in s.skipped.values() for reason in counts} | {
        reason for counts in _excerpt().skipped.values() for reason in counts}
    assert reasons == {
        "not scheduled", "terminating", "no or bad creationTimestamp", "scheduled before created",
        "no Pulled event", "pull known only to the second",
        "restarted, first start unknown", "Ready before started", "not Ready", "bad PodScheduled time",
        "bad Ready time", "container not running", "started before scheduled", "started before pulled",
        "Pulled before Pulling", "no duration in Pulled message and no Pulling event",
    }
    assert s.skipped["start"]["started before pulled"] == 1  # 1 s span minus a 3.5 s pull
    assert s.skipped["pull"] == {"bad PodScheduled time": 1, "Pulled before Pulling": 1,
                                 "no duration in Pulled message and no Pulling event": 1}


def test_events_match_pods_by_uid_before_name():
    pod = _pod("same-name")
    pod["metadata"]["uid"] = "u-new"
    old = _pulled("same-name", 'Successfully pulled image "i" in 9s')
    old["involvedObject"]["uid"] = "u-old"  # an earlier pod of the same name
    new = _pulled("same-name", 'Successfully pulled image "i" in 2s')
    new["involvedObject"]["uid"] = "u-new"
    s = pod_phases({"kind": "List", "items": [pod]}, {"kind": "List", "items": [old, new]})
    assert s.phases["pull"].values == (2.0,)


def test_several_images_are_pulled_one_after_the_other():
    events = [_pulled("p", 'Successfully pulled image "a" in 1.5s'),
              _pulled("p", 'Successfully pulled image "b" in 2s', when="10:00:04"),
              _pulled("p", 'Container image "a" already present on machine', when="10:05:00")]
    s = pod_phases({"kind": "Pod", **{k: v for k, v in _pod("p").items() if k != "kind"}},
                   {"kind": "List", "items": events})
    assert s.phases["pull"].values == (3.5,)


def test_fractional_timestamps_are_exact():
    pod = _pod(created="2026-11-26T10:00:00.250Z", scheduled="2026-11-26T10:00:01.500+00:00",
               started="2026-11-26T11:00:05.000+01:00", ready="2026-11-26T10:00:20.000Z")
    s = pod_phases({"kind": "List", "items": [pod]})
    assert s.resolution == 0.0
    assert s.phases["schedule"].values == (1.25,) and s.phases["schedule"].kinds == ("exact",)
    assert s.phases["pull_start"].values == (3.5,)


# -- small parsers --------------------------------------------------------------------------------

@pytest.mark.parametrize("message, expected", [
    ('Successfully pulled image "nginx:1.25" in 6.071221559s', ("nginx:1.25", 6.071221559, False)),
    ('Successfully pulled image "nginx" in 5.321s (5.4s including waiting)', ("nginx", 5.4, False)),
    (('Successfully pulled image "registry.k8s.io/pause:3.9" in 812ms (1.5s including waiting). '
      "Image size: 321520 bytes."), ("registry.k8s.io/pause:3.9", 1.5, False)),
    ('Successfully pulled image "x" in 1m2.5s (1m3s including waiting). Image size: 5 bytes.', ("x", 63.0, False)),
    ('Successfully pulled image "x" in 950µs (1ms including waiting)', ("x", 0.001, False)),
    ('Successfully pulled image "quay.io/fluentd_elasticsearch/fluentd:v2.5.2"',
     ("quay.io/fluentd_elasticsearch/fluentd:v2.5.2", None, False)),
    ('Container image "quay.io/fluentd_elasticsearch/fluentd:v2.5.2" already present on machine',
     ("quay.io/fluentd_elasticsearch/fluentd:v2.5.2", 0.0, True)),
    ('Container image "x" already present on machine and can be accessed by the pod', ("x", 0.0, True)),
    ('Successfully pulled image "we\\"ird" in 2s', ('we\\"ird', 2.0, False)),
])
def test_pulled_messages(message, expected):
    image, seconds, cached = parse_pulled_message(message)
    assert (image, cached) == (expected[0], expected[2])
    assert seconds == (None if expected[1] is None else pytest.approx(expected[1]))


@pytest.mark.parametrize("message", ['Pulling image "x"', "Started container c", "", None, 3, ["x"]])
def test_not_pulled_messages(message):
    assert parse_pulled_message(message) is None


@pytest.mark.parametrize("text, seconds", [
    ("0s", 0.0), ("0", 0.0), ("6.071s", 6.071), ("812ms", 0.812), ("1m2.5s", 62.5), ("1h0m0.001s", 3600.001),
    ("1.5us", 1.5e-6), ("950µs", 9.5e-4), ("3ns", 3e-9), ("2h", 7200.0), ("6.071s.", 6.071),
    ("", None), ("1e3s", None), ("-1s", None), ("5", None), ("s", None), ("9" * 400 + "h", None),
])
def test_go_durations(text, seconds):
    assert parse_go_duration(text) == (pytest.approx(seconds) if seconds else seconds)


@pytest.mark.parametrize("seconds", [0.0, 0.0004, 0.812, 6.0712, 59.9999, 62.5, 3600.001, 3725.5, 90061.25])
def test_go_duration_round_trips_to_the_millisecond(seconds):
    assert parse_go_duration(go_duration(seconds)) == pytest.approx(math.floor(seconds * 1000) / 1000)


def test_times():
    assert parse_time("2026-11-26T10:00:00Z") == (1795687200.0, False)
    assert parse_time("2026-11-26T11:00:00.5+01:00") == (1795687200.5, True)
    for bad in ("2026-02-30T10:00:00Z", "2026-11-26 10:00", "yesterday", None, 5, "2026-11-26T10:00:00"):
        assert parse_time(bad) is None


# -- fitting ---------------------------------------------------------------------------------------

def _rounded(dist, n=1000, seed=0):
    """Durations as a difference of two whole-second timestamps reads them: floor(d + U)."""
    rng = np.random.default_rng(seed)
    return np.floor(dist.sample(rng, n) + rng.random(n))


def test_ks_test_on_exact_values_is_scipys():
    x = LogNormal(3, 6).sample(np.random.default_rng(1), 300)
    d, p = ks_test(x, LogNormal(3, 6), resolution=0)
    reference = stats.kstest(x, stats.lognorm(s=LogNormal(3, 6).sigma, scale=3).cdf, method="exact")
    assert d == pytest.approx(reference.statistic) and p == pytest.approx(reference.pvalue)


def test_ks_test_knows_whole_seconds():
    truth = LogNormal(3, 6)
    x = _rounded(truth)
    assert ks_test(x, truth, 1.0)[1] > 0.05  # the true distribution, measured the same way
    assert stats.kstest(x, stats.lognorm(s=truth.sigma, scale=3).cdf).pvalue < 1e-6  # naive KS rejects it


@pytest.mark.parametrize("truth, family", [(LogNormal(10, 51.8), LogNormal), (Gamma(10, 0.7), Gamma),
                                           (Gamma(10, 0.3), Gamma)])
def test_fit_picks_clearly_different_families(truth, family):
    fit = fit_phase(_rounded(truth, seed=5), 1.0)
    assert isinstance(fit.chosen, family), fit.spec
    assert {f.family for f in fit.families} == {"lognormal", "gamma", "exponential"}
    assert fit.chosen.quantile(0.5) == pytest.approx(truth.quantile(0.5), rel=0.1)


def test_fit_below_the_resolution_is_a_constant_at_the_mean():
    fit = fit_phase(_rounded(LogNormal(0.3, 1.2)), 1.0, name="schedule")
    assert isinstance(fit.chosen, Constant) and fit.median == 0
    assert "below the 1 s timestamp resolution" in fit.note
    assert fit.mean == pytest.approx(LogNormal(0.3, 1.2).mean, rel=0.1)  # still unbiased
    assert fit.chosen.mean == pytest.approx(fit.mean, rel=1e-3)


def test_a_tail_past_a_median_below_the_resolution_is_kept():
    """Audit 34: six pods of 296 scheduled after 601 s made every pod's schedule constant(12.59): its p99
    and max lighter than measured, where the README promises a tail is never dropped. The values are kept."""
    values = [0.0] * 150 + [1.0] * 140 + [601.0] * 6
    fit = fit_phase(values, 1.0, name="schedule")
    assert not isinstance(fit.chosen, Constant) and fit.chosen.quantile(0.999) == 601.0
    assert "the slowest values (up to 601 s) are a tail a constant would drop" in fit.note
    assert isinstance(fit_phase([0.0] * 150 + [1.0] * 140 + [3.0] * 6, 1.0).chosen, Constant)  # no tail: as before


def test_fit_edge_cases():
    assert fit_phase([]).note == "no values"
    assert fit_phase([3, 4, 5]).chosen is None
    assert fit_phase([0.0] * 20, resolution=0).chosen == Constant(0)
    bimodal = np.concatenate([np.full(200, 2.0), np.full(200, 40.0)])
    fit = fit_phase(bimodal, 1.0)
    assert isinstance(fit.chosen, Empirical) and "every family rejected" in fit.note
    with pytest.raises(ValueError, match="finite"):
        fit_phase([1.0, math.inf])
    with pytest.raises(ValueError, match="kinds"):
        fit_phase([1.0, 2.0], kinds=["grid"])


# -- the profile file ------------------------------------------------------------------------------

@pytest.mark.parametrize("text, message", [
    ("timings: [1, 2]", "must be a mapping"),
    ("other: 1", "no 'timings' mapping"),
    ("timings:\n  pull: 2\n  restart: 1\n", "t.yaml:3: timings.restart: unknown phase"),
    ("timings:\n  pull: lognormal(median=3)\n", "t.yaml:2: timings.pull: lognormal: missing argument p95"),
    ("timings:\n  probe_period: -1\n", "must be a non-negative number of seconds, got -1"),
    # the rule 1e400 breaks is finite, not non-negative; a list is not a number at all (audit 8 #9)
    ("timings:\n  probe_period: 1e400\n", "timings.probe_period: must be a finite number of seconds, got 1e400"),
    ("timings:\n  probe_period: .inf\n", "timings.probe_period: must be a finite number of seconds, got .inf"),
    ("timings:\n  probe_period: [a]\n", "timings.probe_period: must be a number of seconds, got [a]"),
    ("timings: {pull: [\n", "YAML syntax error"),
    ("- 1\n- 2\n", "no 'timings' mapping"),
])
def test_load_timings_errors(tmp_path, text, message):
    path = tmp_path / "t.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_timings(path)


def test_load_timings_canonical(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("timings:\n  pull: 2\n  ready: Gamma( 3, cv=0.5 )\n  probe_period: '0'\n")
    assert load_timings(path) == {"pull": "constant(2)", "ready": "gamma(mean=3, cv=0.5)", "probe_period": "0"}
    with pytest.raises(ConfigError, match="cannot read"):
        load_timings(tmp_path / "missing.yaml")


# -- malformed input files -------------------------------------------------------------------------

def _error(tmp_path, pods, events=None) -> str:
    files = []
    for name, content in (("pods.json", pods), ("events.json", events)):
        if content is None:
            files.append(None)
            continue
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else
                         (content if isinstance(content, str) else json.dumps(content)).encode())
        files.append(path)
    with pytest.raises(ConfigError) as err:
        calibrate(*files)
    text = str(err.value)
    assert "\n" not in text
    return text


def test_a_pod_listed_twice_and_impossible_restart_counts_are_refused(tmp_path):
    """Audit 34: a pod listed twice was measured twice, and a restartCount of NaN or -3 changed what
    was measured: kubectl lists each pod once, and the API's restartCount is an integer >= 0."""
    pods = json.loads((DATA / "excerpt-pods.json").read_text())
    uid = pods["items"][0]["metadata"]["uid"]
    twice = {**pods, "items": [pods["items"][0], *pods["items"]]}
    assert f"items[1].metadata.uid: the same pod as items[0] (uid '{uid}'): each pod once" in _error(tmp_path, twice)
    for count, shown in ((-3, "the number -3"), ("2", "the string '2'")):
        bad = json.loads(json.dumps(pods))
        bad["items"][0]["status"]["containerStatuses"][0]["restartCount"] = count
        assert f"items[0].status.containerStatuses[0].restartCount: must be a non-negative integer, got {shown}" \
            in _error(tmp_path, bad)


def test_malformed_files(tmp_path):
    pods = json.loads((DATA / "excerpt-pods.json").read_text())
    events = json.loads((DATA / "excerpt-events.json").read_text())
    assert re.search(r"pods\.json:3: not JSON: .* \(column \d+\)", _error(tmp_path, '{"items": [\n  {},\n  ]}'))
    assert "pods.json: empty file; expected kubectl get -o json (or -o yaml) output" in _error(tmp_path, "")
    assert "not UTF-8" in _error(tmp_path, b"\xff\xfe{}")
    assert "cannot read" in str(pytest.raises(ConfigError, calibrate, tmp_path / "nope.json").value)
    assert "pods.json: expected a Pod list from kubectl get -o json, got a list" in _error(tmp_path, [1, 2])
    assert "got kind 'Node'" in _error(tmp_path, {"kind": "Node"})
    # as the file writes it (audit 8 item 7): no kind at all, not "kind None"; a kind true, not True
    assert _error(tmp_path, {"a": 1}).endswith("expected a Pod list (kind List with items), got no kind")
    assert _error(tmp_path, {"kind": True}).endswith("expected a Pod list (kind List with items), got kind true")
    assert "got kind 'NodeList' (a node list: simulate and plan read it" in _error(tmp_path, {"kind": "NodeList",
                                                                                             "items": []})
    # a node list is not taken for the events file (audit item 12), nor is another kind given a hint
    node_list = {"kind": "List", "items": [{"kind": "Node", "metadata": {"name": "n"}}]}
    assert _error(tmp_path, node_list).endswith(
        "pods.json:1: items[0].kind: expected kind Pod, got 'Node' (a node list: simulate and plan read it, "
        "--nodes-file; calibrate reads kubectl get pods -o json)")
    assert _error(tmp_path, {"kind": "List", "items": [{"kind": "Secret"}]}).endswith("got 'Secret'")
    assert "pods.json:1: items[0].kind: expected kind Pod, got 'Event' (is this the events file?)" in _error(
        tmp_path, events)
    assert "events.json:1: items[0].kind: expected kind Event, got 'Pod' (is this the pods file?)" in _error(
        tmp_path, pods, pods)
    assert "pods.json:1: items[1]: must be a Pod object, got the string 'x'" in _error(tmp_path, {"items": [{}, "x"]})
    broken = copy.deepcopy(pods)
    broken["items"][2]["status"]["conditions"] = "Ready"
    assert "pods.json:1: items[2].status.conditions: must be a list, got the string 'Ready'" in _error(tmp_path, broken)
    broken = copy.deepcopy(events)
    broken["items"][3]["involvedObject"] = ["Pod"]
    assert "events.json:1: items[3].involvedObject: must be a mapping, got a list" in _error(tmp_path, pods, broken)


def test_an_error_in_the_data_names_its_line(tmp_path):
    """Audit 34: calibrate said ``FILE: path: rule`` where every other reader says ``FILE:LINE: path: rule``;
    the line named holds the key, in JSON and in ``-o yaml`` output alike.
    """
    pods = json.loads((DATA / "excerpt-pods.json").read_text())
    pods["items"][2]["status"]["conditions"] = "Ready"
    written = json.dumps(pods, indent=1)
    found = re.search(r"pods\.json:(\d+): items\[2\]\.status\.conditions: must be a list", _error(tmp_path, written))
    assert found and written.splitlines()[int(found[1]) - 1].strip() == '"conditions": "Ready",'
    events = json.loads((DATA / "excerpt-events.json").read_text())
    events["items"][3]["involvedObject"] = ["Pod"]
    written = yaml.safe_dump(events)
    found = re.search(r"events\.json:(\d+): items\[3\]\.involvedObject: must be a mapping",
                     _error(tmp_path, pods, written))
    assert found and written.splitlines()[int(found[1]) - 1].lstrip("- ").startswith("involvedObject:")


# -- fuzz: anything JSON gives a result or a ConfigError -----------------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)
_stamp = st.integers(0, 7200).map(lambda s: f"2026-11-26T{10 + s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}Z")
_time = _stamp | _stamp.map(lambda s: s[:-1] + ".5Z") | _json
_condition = st.fixed_dictionaries({
    "type": st.sampled_from(["PodScheduled", "Ready", "Initialized"]) | _json,
    "status": st.sampled_from(["True", "False"]) | _json, "lastTransitionTime": _time})
_container = st.fixed_dictionaries({
    "restartCount": st.sampled_from([0, 0, 1]) | _json,
    "state": st.fixed_dictionaries({"running": st.fixed_dictionaries({"startedAt": _time})}) | _json,
    "lastState": st.just({}) | _json})
_name = st.sampled_from(["a", "b", "c"])
_pod_st = st.fixed_dictionaries({
    "kind": st.just("Pod"),
    "metadata": st.fixed_dictionaries({"name": _name, "namespace": st.just("ns"), "creationTimestamp": _time},
                                      optional={"uid": _name | _json, "deletionTimestamp": _time,
                                                "labels": _json}),
    "status": st.fixed_dictionaries({}, optional={"conditions": st.lists(_condition, max_size=4) | _json,
                                                  "containerStatuses": st.lists(_container, max_size=2) | _json}),
}, optional={"spec": _json})
_message = st.sampled_from(['Successfully pulled image "i" in 2.5s', 'Successfully pulled image "i"',
                            'Container image "i" already present on machine', 'Pulling image "i"',
                            'Successfully pulled image "i" in 1m2s (1m3s including waiting)']) | _json
_event_st = st.fixed_dictionaries({
    "reason": st.sampled_from(["Pulling", "Pulled", "Failed", "BackOff"]) | _json, "message": _message,
    "firstTimestamp": _time, "eventTime": st.none() | _time,
    "involvedObject": st.fixed_dictionaries({"name": _name, "namespace": st.just("ns")},
                                            optional={"uid": _name | _json, "kind": _json}) | _json,
})


def _check(pods, events):
    try:
        samples = pod_phases(pods, events)
    except ConfigError as exc:
        assert "\n" not in str(exc)
        return
    for name, sample in samples.phases.items():
        assert len(sample.values) + sum(samples.skipped[name].values()) == samples.pods
        fit = fit_phase(sample.values, samples.resolution, name=name, kinds=sample.kinds)
        if fit.chosen is not None:
            parse_distribution(str(fit.chosen))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pods=_json, events=st.none() | _json)
def test_fuzz_arbitrary_json(pods, events):
    _check(pods, events)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pods=st.lists(_pod_st | _json, max_size=14), events=st.none() | st.lists(_event_st, max_size=14))
def test_fuzz_pod_shaped(pods, events):
    _check({"kind": "List", "items": pods}, None if events is None else {"kind": "List", "items": events})


@settings(max_examples=25, deadline=None)
@given(doc=_json)
def test_fuzz_files(doc):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pods.json"
        path.write_text(json.dumps(doc))
        try:
            assert isinstance(calibrate(path), Calibration)
        except ConfigError as exc:
            assert str(exc).startswith(str(path))


# -- kubeexport -----------------------------------------------------------------------------------

def test_export_looks_like_kubectl(rollout):
    pods = export_pods(rollout)
    assert pods["apiVersion"] == "v1" and pods["kind"] == "List" and len(pods["items"]) == 800
    names = [p["metadata"]["name"] for p in pods["items"]]
    assert names == sorted(names) and len(set(names)) == 800
    assert all(re.fullmatch(r"fluentd-elasticsearch-[bcdfghjklmnpqrstvwxz2456789]{5}", n) for n in names)
    pod = pods["items"][0]
    meta, status = pod["metadata"], pod["status"]
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", meta["uid"])
    assert meta["ownerReferences"][0]["kind"] == "DaemonSet" and meta["labels"]["pod-template-generation"] == "2"
    assert status["phase"] == "Running" and status["containerStatuses"][0]["restartCount"] == 0
    assert [c["type"] for c in status["conditions"]] == [
        "PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"]
    node = pod["spec"]["nodeName"]
    terms = pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert terms["nodeSelectorTerms"][0]["matchFields"][0]["values"] == [node]
    row = rollout.nodes.set_index("node").loc[node]
    t0 = parse_time("2026-11-26T10:00:00Z")[0]
    assert parse_time(meta["creationTimestamp"])[0] == math.floor(t0 + row["new_created_at_s"])  # rounded down
    stamps = [meta["creationTimestamp"], status["startTime"], status["containerStatuses"][0]["state"]["running"][
        "startedAt"], *(c["lastTransitionTime"] for c in status["conditions"])]
    assert all(WHOLE_SECONDS.match(s) for s in stamps)
    assert export_pods(rollout) == pods  # deterministic
    other = export_pods(rollout, namespace="logging", name="fluent-bit")
    assert other["items"][0]["metadata"]["name"].startswith("fluent-bit-") and other["items"][0]["metadata"][
        "namespace"] == "logging"


def test_exported_events_carry_the_pull_to_the_millisecond(rollout):
    events = export_events(rollout)["items"]
    assert {e["reason"] for e in events} == {"Scheduled", "Pulling", "Pulled", "Created", "Started"}
    assert len({e["metadata"]["name"] for e in events}) == len(events)
    pods = {p["metadata"]["uid"]: p["spec"]["nodeName"] for p in export_pods(rollout)["items"]}
    nodes = rollout.nodes.set_index("node")
    for e in events:
        if e["reason"] != "Pulled":
            continue
        assert e["type"] == "Normal" and e["count"] == 1 and e["source"]["component"] == "kubelet"
        assert e["message"].endswith(" bytes.")
        row = nodes.loc[pods[e["involvedObject"]["uid"]]]
        true = row["new_pulled_at_s"] - row["new_scheduled_at_s"]
        assert 0 <= true - parse_pulled_message(e["message"]).seconds < 0.001


def test_cache_hits_and_unfinished_pods():
    scenario = build_scenario(nodes=12, controller="ideal", max_unavailable="100%", pull="0", ready="1000",
                              horizon=200)
    result = simulate(scenario, seed=2)
    events = export_events(result)["items"]
    assert "Pulling" not in {e["reason"] for e in events}
    assert all("already present on machine" in e["message"] for e in events if e["reason"] == "Pulled")
    pods = export_pods(result)
    assert {p["status"]["phase"] for p in pods["items"]} == {"Running"}
    s = pod_phases(pods, {"kind": "List", "items": events})
    assert s.phases["pull"].values == (0.0,) * len(pods["items"])
    assert s.skipped["ready"] == {"not Ready": len(pods["items"])}


# -- the shipped sample ---------------------------------------------------------------------------------

def test_shipped_sample_output_is_current(monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)
    c = calibrate(Path("experiments/calibration/pods.json"), Path("experiments/calibration/events.json"))
    assert format_table(c) + "\n" == (SAMPLE / "calibrate.txt").read_text(encoding="utf-8")
    write_timings(c, tmp_path / "timings.yaml")
    assert (tmp_path / "timings.yaml").read_text() == (SAMPLE / "timings.yaml").read_text(encoding="utf-8")
    assert c.pods == 300 and all(c.skipped[phase] for phase in c.phases)
    # the 3 restarted pods are measured, from their first start (audit 25): 6 skipped, where 9 were
    assert sum(c.skipped["ready"].values()) == 6 and "container restarted" not in c.skipped["ready"]
    timings = load_timings(SAMPLE / "timings.yaml")
    assert timings["probe_period"] == "0" and timings["schedule"] == "constant(0.4271)"  # below 1 s: its mean
    build_scenario(**timings)


def test_go_zero_time_is_a_counted_skip_not_a_63_billion_second_phase():
    pods = [_pod("zero", created="0001-01-01T00:00:00Z"), _pod("ok")]
    samples = pod_phases({"kind": "List", "items": pods})
    assert samples.phases["schedule"].values == (1.0,)
    assert samples.skipped["schedule"] == {"no or bad creationTimestamp": 1}
    assert parse_time("0001-01-01T00:00:00Z") is None and parse_time("1969-12-31T23:59:59Z") is None
    assert parse_time("1970-01-01T00:00:00Z") == (0.0, False)


def test_calibrate_refuses_pods_that_give_no_phase(tmp_path):
    pods = tmp_path / "pods.json"
    pods.write_text(json.dumps({"kind": "List", "items": [_pod("waiting", started=None, scheduled=None,
                                                                created=None)]}))
    with pytest.raises(ConfigError, match="no pod gave a single phase duration"):
        calibrate(pods)


def test_a_phase_longer_than_a_week_is_skipped_not_fitted():
    """One Ready time years ahead (a clock error) would rule an empirical profile and the probe
    period read off it: the phase is skipped and counted instead.
    """
    pods = json.loads((DATA / "excerpt-pods.json").read_text())
    good = _excerpt(events=False)
    late = next(p for p in pods["items"] if any(c.get("type") == "Ready" and c.get("status") == "True"
                                                for c in p["status"].get("conditions", [])))
    for c in late["status"]["conditions"]:
        if c["type"] == "Ready":
            c["lastTransitionTime"] = "2099-01-01T00:00:00Z"
    s = pod_phases(pods, None)
    assert s.skipped["ready"]["longer than 7 days (a clock error, or not part of a rollout)"] == 1
    assert len(s.phases["ready"].values) == len(good.phases["ready"].values) - 1
    assert max(s.phases["ready"].values) < 7 * 86400


def test_a_phase_shorter_than_the_timestamp_resolution_is_its_mean():
    """No readiness probe: Ready in the second the container starts (0 s, now and then 1 s). The
    default (about 20 s per Ready) was kept, so a simulation of that profile waited 20 s per pod.
    """
    values = [0.0] * 27 + [1.0] * 3
    fit = fit_phase(values, kinds=["grid"] * 30, name="ready")
    assert fit.spec == "constant(0.1)" and "the mean" in fit.note and "timestamp resolution" in fit.note
    assert fit_phase([0.0] * 30, kinds=["grid"] * 30).spec == "constant(0)"
    assert fit_phase([0.0] * 5, kinds=["grid"] * 5).spec is None  # too few values: the default is kept


def _owned(pod, kind="DaemonSet", name="fluentd"):
    pod["metadata"]["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": kind, "name": name, "uid": name,
                                           "controller": True}]
    return pod


def test_pods_not_owned_by_a_daemonset_are_skipped_and_counted():
    """A selector like ``-l app=fluent-bit`` can match an aggregator Deployment's pods too: they were
    fitted with the DaemonSet's, without a word. They are skipped (ownerReferences' controller, as
    ``metav1.GetControllerOf`` reads it), and the note counts them by owner.
    """
    pods = [_owned(_pod(f"ds-{i}")) for i in range(4)]
    pods += [_owned(_pod(f"rs-{i}", ready="10:09:00"), "ReplicaSet", "fluent-bit-aggregator-7d9f") for i in range(3)]
    pods += [_pod("bare", ready="10:09:00")]
    s = pod_phases({"kind": "List", "items": pods})
    assert s.pods == 4 and s.phases["ready"].values == (15.0,) * 4
    assert "4 pods not owned by a DaemonSet skipped (ownerReferences: ReplicaSet fluent-bit-aggregator-7d9f 3, " \
           "no owner 1)" in s.notes
    # a hand-made list, no pod naming an owner, is used whole and says nothing of owners
    s = pod_phases({"kind": "List", "items": [_pod("a"), _pod("b")]})
    assert s.pods == 2 and not any("owner" in note for note in s.notes)


def test_a_list_of_no_daemonsets_pods_is_refused_naming_their_owner(tmp_path):
    path = tmp_path / "pods.json"
    path.write_text(json.dumps({"kind": "List", "items": [_owned(_pod(f"rs-{i}"), "ReplicaSet", "web-5c4b")
                                                          for i in range(3)]}))
    with pytest.raises(ConfigError, match=r"pods.json: none of the 3 pods is owned by a DaemonSet "
                                          r"\(ownerReferences: ReplicaSet web-5c4b 3\)"):
        calibrate(path)


def test_pods_of_several_daemonsets_are_refused_naming_them_and_the_flag(tmp_path):
    """Audit 25 #6: ``-l app=fluentd`` matched fluentd-windows too, and the profile mixed both (the plan then
    predicted 1.6-2.1x longer rollouts). Pods of several DaemonSets were used with a note; they are refused, one
    line naming the DaemonSets and --daemonset, which picks one (the old behaviour was the defect).
    """
    pods = [_owned(_pod(f"f-{i}")) for i in range(3)] + [_owned(_pod(f"n-{i}"), name="node-exporter")
                                                          for i in range(2)]
    path = tmp_path / "pods.json"
    path.write_text(json.dumps({"kind": "List", "items": pods}))
    with pytest.raises(ConfigError) as err:
        calibrate(path)
    assert str(err.value) == (f"{path}: the pods belong to 2 DaemonSets (fluentd 3, node-exporter 2; ownerReferences), "
                              "whose timings mixed are neither's: give --daemonset NAME to measure one")
    s = pod_phases({"kind": "List", "items": pods}, daemonset="node-exporter")
    assert s.pods == 2 and s.owners == ("ns/node-exporter",)
    assert "3 pods of other DaemonSets skipped (--daemonset node-exporter; fluentd 3)" in s.notes
