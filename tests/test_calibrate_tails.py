"""Tests for what ``rollsim calibrate`` keeps of a slow-pod tail, reads as YAML, and says about cached pulls.

The audit's cases: a 2% tail of stragglers that a KS test cannot see must never be dropped
(the fitted profile's p95, p99 and mean grow with the tail), a pod list from ``kubectl get
pods -o yaml`` is read like one from ``-o json``, and a rollout whose every image was
already present says that no pull was measured.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
import yaml
from rollsim import build_scenario, simulate
from rollsim.cli import main
from rollsim.io.calibrate import calibrate, fit_phase, format_table, profile_document
from rollsim.io.calibrate.measurement import EXACT, GRID, OFFSET, log_likelihood
from rollsim.io.calibrate.profile import NO_PULL_MEASURED
from rollsim.io.calibrate.tails import tail_check
from rollsim.spec.distributions import Empirical, LogNormal
from scipy import stats

from kubeexport import export_events, export_pods

DATA = Path(__file__).resolve().parent / "data" / "pods"
SIGMA = math.log(60 / 25) / 1.6448536269514722  # lognormal(median=25, p95=60)


def _whole_seconds(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Durations as read from whole-second timestamps: floor(d + U)."""
    return np.floor(values + rng.random(len(values)))


def _body(seed: int = 0, n: int = 392) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return _whole_seconds(rng.lognormal(math.log(25), SIGMA, n), rng)


def _profile(values: np.ndarray):
    fit = fit_phase(values, 1.0, name="ready")
    d = fit.chosen
    assert d is not None
    return fit, (d.quantile(0.95), d.quantile(0.99), d.mean)


# -- the slow-pod tail ----------------------------------------------------------------------------

def test_far_values_keep_a_finite_likelihood():
    """A value 12 sigma out has a tiny probability, not none: the fit must be able to see it."""
    law = stats.lognorm(s=SIGMA, scale=25)
    for kind in (GRID, OFFSET, EXACT):
        x = np.array([20.0, 30.0, 18000.0]) + (0.3 if kind == OFFSET else 0.0)
        ll = log_likelihood(law, x, np.array([kind] * 3), 1.0)
        assert math.isfinite(ll) and ll < log_likelihood(law, x[:2], np.array([kind] * 2), 1.0) - 50


@pytest.mark.parametrize("outlier", [400, 1000, 3000, 18000])
def test_eight_outliers_are_never_dropped(outlier):
    fit, (p95, p99, mean) = _profile(np.concatenate([_body(), np.full(8, float(outlier))]))
    assert isinstance(fit.chosen, Empirical)
    assert p99 == outlier and fit.largest == outlier
    assert mean > float(np.mean(_body())) + 8 * (outlier - 60) / 400


@pytest.mark.slow  # moved to CI's second lane, which has room (5-11 s each)
def test_a_longer_tail_never_gives_a_lighter_profile():
    """The audit's table: 392 lognormal values plus 8 equal outliers, ever further out."""
    body = _body()
    rows = [_profile(np.concatenate([body, np.full(8, float(x))]))[1]
            for x in (60, 100, 200, 400, 1000, 3000, 18000)]
    for before, after in zip(rows, rows[1:]):
        assert all(b <= a for b, a in zip(before, after)), (before, after)
    assert rows[-1][1] == 18000 and rows[-1][2] > 380


@pytest.mark.slow  # moved to CI's second lane, which has room (5-11 s each)
def test_a_heavier_tail_never_gives_a_lighter_profile():
    """More stragglers: the mean and p99 grow; p95, set by the body, may move by the body's noise only
    where a smooth fit gives way to the values themselves (58.6 s fitted, 58.05 s measured here).
    """
    body = _body(n=400)
    rows = [_profile(np.concatenate([body[: 400 - k], np.full(k, 3000.0)]))[1] for k in (0, 1, 2, 4, 8, 16)]
    for before, after in zip(rows, rows[1:]):
        assert after[1] >= before[1] and after[2] > before[2], (before, after)
        assert after[0] >= before[0] * 0.98, (before, after)
    assert rows[-1][1] == 3000
    assert all(a[0] <= b[0] for a, b in zip(rows[1:], rows[2:]))  # all kept as empirical: exactly monotone


@pytest.mark.slow  # moved to CI's second lane, which has room (5-11 s each)
def test_a_longer_tail_grows_the_mean_and_p99_step_by_step():
    """A fine sweep of the outliers' distance: through the switch from a fit to the values, the mean and
    p99 never fall (p95 is the body's: it may move by the body's noise, as above).
    """
    body = _body(seed=4)
    rows = [_profile(np.concatenate([body, np.full(8, float(x))]))[1] for x in range(60, 320, 20)]
    for before, after in zip(rows, rows[1:]):
        assert after[1] >= before[1] and after[2] >= before[2], (before, after)
        assert after[0] >= before[0] * 0.95, (before, after)


def test_the_tail_note_names_the_values_beyond_the_fit():
    fit, _ = _profile(np.concatenate([_body(), np.full(8, 200.0)]))
    assert isinstance(fit.chosen, Empirical)
    assert re.fullmatch(r"8 of 400 values beyond the lognormal's p99\.9 \(\d+ s; up to 200 s\): kept as empirical",
                        fit.note), fit.note
    assert fit.tail_note == fit.note


def test_one_far_value_is_beyond_what_the_largest_of_n_draws_reaches():
    check = tail_check(np.concatenate([_body(), [18000.0]]), LogNormal(25, 60), 1.0)
    assert check.refused and check.max_p < 1e-20
    assert not tail_check(_body(), LogNormal(25, 60), 1.0).refused


@pytest.mark.parametrize("seed", range(10))
def test_a_clean_lognormal_sample_keeps_a_family(seed):
    """No false alarm: the tail check does not send a plain lognormal sample to the empirical."""
    fit, _ = _profile(_body(seed, n=400))
    assert not isinstance(fit.chosen, Empirical), fit.note
    assert not fit.tail_note
    assert isinstance(fit.chosen, LogNormal) or seed == 9  # seed 9: gamma has the smaller KS D


def test_stragglers_in_a_kubectl_export_are_kept(tmp_path):
    """2% of 400 pods Ready after ~50 minutes (the audit's strag.py 12 400 0.02 3000)."""
    scenario = build_scenario(nodes=400, controller="ideal", max_unavailable="100%", probe_period=0,
                              pull="lognormal(median=8, p95=20)", start="lognormal(median=2, p95=5)",
                              ready="stragglers(median=25, p95=60, fraction=0.02, tail=3000)")
    result = simulate(scenario, seed=12)
    pods, events = tmp_path / "pods.json", tmp_path / "events.json"
    pods.write_text(json.dumps(export_pods(result)), encoding="utf-8")
    events.write_text(json.dumps(export_events(result)), encoding="utf-8")
    c = calibrate(pods, events)
    ready = c.phases["ready"]
    slow = sum(v > 1000 for v in ready.empirical.values)
    assert slow >= 3
    assert isinstance(ready.chosen, Empirical)
    assert ready.chosen.quantile(0.999) > 1000 and ready.largest > 1000
    assert "p99.9" in ready.note
    table = format_table(c)
    assert re.search(r"phase +n +median s +p95 s +p99 s +max s +fit", table)
    assert f"{ready.largest:.1f}" in table
    fits = profile_document(c)["fits"]["ready"]
    assert fits["max_s"] == pytest.approx(ready.largest, rel=1e-3)
    assert "p99.9" in fits["families"]["lognormal"]["tail"]


# -- kubectl get pods -o yaml -----------------------------------------------------------------------

def test_pods_and_events_as_yaml_read_as_json(tmp_path):
    as_json = calibrate(DATA / "excerpt-pods.json", DATA / "excerpt-events.json")
    for name in ("pods", "events"):
        doc = json.loads((DATA / f"excerpt-{name}.json").read_text(encoding="utf-8"))
        text = yaml.safe_dump(doc, sort_keys=False)
        if name == "pods":  # unquoted times become YAML timestamps: read as the same instants
            text = re.sub(r"'(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)'", r"\1", text)
            assert re.search(r": \d{4}-\d\d-\d\dT", text)
        (tmp_path / f"{name}.yaml").write_text(text, encoding="utf-8")
    as_yaml = calibrate(tmp_path / "pods.yaml", tmp_path / "events.yaml")
    for name, fit in as_json.phases.items():
        assert as_yaml.phases[name].empirical == fit.empirical
        assert as_yaml.phases[name].spec == fit.spec
    assert as_yaml.skipped == as_json.skipped


def test_yaml_syntax_errors_name_the_file_and_line(tmp_path):
    path = tmp_path / "pods.yaml"
    path.write_text("kind: List\nitems:\n  - a: [1,\n", encoding="utf-8")
    with pytest.raises(Exception, match=r"pods\.yaml:\d+: neither JSON nor YAML"):
        calibrate(path)


# -- a rollout that pulled nothing ----------------------------------------------------------------

@pytest.fixture(scope="module")
def cached(tmp_path_factory):
    scenario = build_scenario(nodes=20, controller="ideal", max_unavailable="100%", pull="0", ready="5",
                              probe_period=0)
    result = simulate(scenario, seed=2)
    folder = tmp_path_factory.mktemp("cached")
    pods, events = folder / "pods.json", folder / "events.json"
    pods.write_text(json.dumps(export_pods(result)), encoding="utf-8")
    events.write_text(json.dumps(export_events(result)), encoding="utf-8")
    return pods, events


def test_every_image_already_present_says_no_pull_was_measured(cached):
    c = calibrate(*cached)
    assert c.phases["pull"].spec == "constant(0)"
    assert c.phases["pull"].note == NO_PULL_MEASURED
    assert f"pull: {NO_PULL_MEASURED}" in c.notes
    assert "already present" in NO_PULL_MEASURED and "--pull" in NO_PULL_MEASURED
    assert "--image-size" in NO_PULL_MEASURED
    assert "no pull was measured" in format_table(c)


def test_the_no_pull_warning_reaches_stderr_when_the_table_is_not_shown(cached, capsys):
    assert main(["calibrate", str(cached[0]), "--events", str(cached[1]), "-o", "yaml"]) == 0
    out = capsys.readouterr()
    assert "rollsim: warning: pull: no pull was measured" in out.err
    assert yaml.safe_load(out.out)["timings"]["pull"] == "constant(0)"
