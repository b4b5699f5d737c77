"""``rollsim validate``, the field studies' ``reported`` figures and the straggler distribution."""

from __future__ import annotations

import math
from pathlib import Path
from re import escape as re_escape
from types import SimpleNamespace

import numpy as np
import pytest
from rollsim.cli import main
from rollsim.io.yamldoc import ConfigError
from rollsim.spec.distributions import Stragglers, parse_distribution
from rollsim.sweep import validate as validate_module
from rollsim.sweep.experiment_file import load_experiment
from rollsim.sweep.validate import Row, field_rows, format_rows, upstream_cases

from helpers import POD_LEVEL_DAEMONSET, node_list_json

EXPERIMENTS = Path(__file__).resolve().parent.parent / "experiments"
FIELD = sorted(EXPERIMENTS.glob("field-*.yaml"))

STUDY = """
name: tiny
scenario:
  cluster: {nodes: 6}
  timings: {schedule: 0, pull: 0, start: 0, ready: 10, terminate: 0, probe_period: 0}
  controller: {mode: ideal}
grid:
  strategy.max_unavailable: [1, 2]
reported:
  - {strategy.max_unavailable: 1, duration_s: 50, source: a test}
"""


def test_upstream_cases_reproduce_the_v136_measurements_in_ideal_mode() -> None:
    rows = {r.configuration: r for r in upstream_cases("1.36")}
    ideal = [r for name, r in rows.items() if name.endswith("ideal")]
    assert [r.predicted_s for r in ideal] == [250.0, 850.0] == [r.reported_s for r in ideal]
    old = [r for r in upstream_cases("1.33") if r.configuration.endswith("ideal")]
    assert [r.predicted_s for r in old] == [260.0, 884.0]


def test_upstream_cases_replay_the_version_they_were_measured_on(monkeypatch) -> None:
    """Replayed with the default version (1.37) before, a rule 1.37 might add would have changed
    the v1.36 measurements' predictions unseen; ``--kubernetes-version`` still chooses another.
    """
    seen: list[str] = []

    def recorded(scenario, seed):
        seen.append(scenario.controller.kubernetes_version)
        return SimpleNamespace(summary={"duration_s": 1.0})

    monkeypatch.setattr(validate_module, "simulate", recorded)
    upstream_cases()
    assert seen == ["1.36"] * 4 and validate_module.MEASURED_ON == "1.36"
    seen.clear()
    upstream_cases("1.33")
    assert seen == ["1.33"] * 4


def test_a_reported_figure_is_matched_to_its_configurations(tmp_path) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(STUDY)
    (row,) = field_rows(path)
    assert row.configuration == "maxUnavailable 1" and row.predicted_s == 60.0 and row.reported_s == 50.0
    assert row.error == pytest.approx(0.2)
    assert "+20%" in format_rows([row])


def test_validate_prints_predicted_against_reported(tmp_path, capsys) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(STUDY)
    assert main(["validate", str(path), "--kubernetes-version", "1.33"]) == 0
    out = capsys.readouterr().out
    assert "upstream v1.36, 1.33 rules" in out and "tiny" in out and "a test" in out
    assert "upstream v1.36 controller" not in out  # replayed with 1.33's rules, not v1.36's
    assert "rules: every row replayed with the controller rules of 1.33 (--kubernetes-version)" in out
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "upstream v1.36 controller" in out
    assert "rules: the upstream cases replayed with the controller rules of 1.36, on which they were measured" in out


def test_the_predicted_column_says_it_is_the_median(tmp_path) -> None:
    """The predicted figure is the median over the replications, while a study's report gives
    means (field-openshift-854: 2.56 h here, 2h40m "on average" there): the table says which.
    """
    text = format_rows([Row("c", "x", "s", 600.0, 265.0)])
    header, *_rest = text.splitlines()
    assert "predicted (median)" in header
    assert "predicted (median): the median duration over the study's replications" in text
    assert "a study's report gives means" in text


def test_validate_away_from_the_checkout_says_the_field_studies_are_missing(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # no experiments/field-*.yaml here
    assert main(["validate"]) == 0
    out, err = capsys.readouterr()
    assert "upstream v1.36 controller" in out and "field-" not in out
    assert err.startswith("rollsim: warning: no field studies here") and err.count("\n") == 1


@pytest.mark.parametrize("bad", ["duration_s: -1, source: x", "duration_s: 5", "duration_s: 5, source: x, nope.key: 1"])
def test_bad_reported_entries_are_one_line_errors(tmp_path, bad) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(STUDY.replace("duration_s: 50, source: a test", bad))
    with pytest.raises(ConfigError):
        load_experiment(path)


@pytest.mark.parametrize("path", FIELD, ids=[p.stem for p in FIELD])
def test_field_studies_load_and_report_figures(path) -> None:
    experiment = load_experiment(path)
    assert experiment.reported and "Background" in experiment.description
    for figure in experiment.reported:
        assert any(figure.matches(c.params) for c in experiment.configurations)


def test_row_error_sign() -> None:
    assert Row("c", "x", "s", 100.0, 80.0).error == pytest.approx(-0.2)


def test_stragglers_moments_and_round_trip() -> None:
    d = parse_distribution("stragglers(median=15, p95=25, fraction=0.03, tail=700)")
    assert isinstance(d, Stragglers) and str(parse_distribution(str(d))) == str(d)
    draws = d.sample(np.random.default_rng(0), 400_000)
    assert draws.mean() == pytest.approx(d.mean, rel=0.02)
    assert draws.std() == pytest.approx(math.sqrt(d.variance), rel=0.03)
    assert np.quantile(draws, 0.99) == pytest.approx(d.quantile(0.99), rel=0.03)
    assert d.quantile(0.5) < 20
    assert d.quantile(0.99) > 600
    none = parse_distribution("stragglers(median=15, p95=25, fraction=0, tail=700)")
    assert none.mean == pytest.approx(parse_distribution("lognormal(median=15, p95=25)").mean)


@pytest.mark.parametrize("bad", ["stragglers(median=15, p95=25, fraction=1.5, tail=700)",
                                 "stragglers(median=15, p95=25, fraction=0.1, tail=5)",
                                 "stragglers(median=15, p95=10, fraction=0.1, tail=700)",
                                 "stragglers(median=1, p95=2, fraction=1, tail=1e308)"])
def test_bad_stragglers(bad) -> None:
    with pytest.raises(ValueError):
        parse_distribution(bad)


def test_a_tail_whose_spread_overflows_is_refused_where_it_is_written(tmp_path, monkeypatch, capsys) -> None:
    """The stragglers' own p95 is tail * p95 / median; past the largest float it was an internal error
    when the run drew it, from --ready, a timing profile, plan --timings or an experiment alike.
    """
    bad = "stragglers(median=1, p95=2, fraction=1, tail=1e308)"
    rule = "stragglers: tail (1e+308) is too large for the body's spread"
    monkeypatch.chdir(tmp_path)  # file names as a user gives them: the whole line fits in 300 characters
    profile = Path("t.yaml")
    profile.write_text(f"timings:\n  ready: {bad}\n", encoding="utf-8")
    experiment = Path("e.yaml")
    experiment.write_text(f"name: e\nscenario:\n  cluster: {{nodes: 3}}\n  timings:\n    ready: {bad}\n",
                          encoding="utf-8")
    for argv, where in ((["simulate", "--nodes", "3", "--timings", str(profile)], f"{profile}:2: timings.ready: "),
                        (["plan", "--nodes", "3", "--timings", str(profile)], f"{profile}:2: timings.ready: "),
                        (["run", str(experiment), "--out-dir", str(tmp_path / "out")],
                         f"{experiment}:5: scenario.timings.ready: ")):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith(f"rollsim: error: {where}{rule}") and err.count("\n") == 1, err
    assert not (tmp_path / "out").exists()


def test_figures_that_match_no_configuration_are_named_not_dropped(tmp_path, capsys) -> None:
    path = tmp_path / "rep.yaml"
    path.write_text("name: rep\nreported:\n  - {strategy.max_unavailable: banana, duration_s: 100, source: x}\n"
                    "  - {strategy.max_unavailable: 1, duration_s: 100, source: y}\nscenario:\n"
                    "  cluster: {nodes: 5}\n  controller: {mode: ideal}\ngrid:\n  strategy.max_unavailable: [1, 2]\n")
    assert main(["validate", str(path)]) == 0
    out, err = capsys.readouterr()
    assert err == (f"rollsim: warning: {path}:3: reported[0]: matches no configuration (its keys must be keys "
                   "the variants or grid set, with a value one of them takes); rollsim validate leaves it out\n")
    assert "  y" in out and "  x" not in out
    nothing = tmp_path / "none.yaml"
    nothing.write_text("name: none\nscenario:\n  cluster: {nodes: 5}\n")
    assert main(["validate", str(nothing)]) == 0
    assert "no reported figures" in capsys.readouterr().err


def test_the_shipped_field_studies_match_every_figure() -> None:
    for path in FIELD:
        assert not [w for w in load_experiment(path).warnings if "reported[" in w], path


def test_a_prediction_is_written_in_its_reported_figures_unit() -> None:
    rows = [Row("c", "x", "s", 600.0, 265.0), Row("c", "y", "s", 9000.0, 8100.0)]
    table = format_rows(rows).splitlines()
    assert "10.0 min  4.4 min" in table[2] and "2.50 h    2.25 h" in table[3]


FITTED = """
name: fitted
scenario:
  cluster: {nodes: 6}
  timings: {schedule: 0, pull: 0, start: 0, ready: 10, terminate: 0, probe_period: 0}
  controller: {mode: ideal}
variants:
  - {name: plain}
  - {name: slow, timings.ready: 20}
grid:
  strategy.max_unavailable: [1, 2]
reported:
  - {strategy.max_unavailable: 1, duration_s: 60, source: a test, fitted: the per-node cycle}
  - {strategy.max_unavailable: 2, duration_s: 60, source: a test, fitted: the slow cycle, fitted_variants: [slow]}
"""


def test_rows_whose_inputs_were_set_from_the_figure_are_marked_fit(tmp_path) -> None:
    """A fit checks arithmetic, not a prediction (audit: validate's errors read as accuracy)."""
    path = tmp_path / "fitted.yaml"
    path.write_text(FITTED)
    rows = {(r.configuration, r.reported_s): r.fitted for r in field_rows(path)}
    assert rows == {("plain, maxUnavailable 1", 60.0): True, ("plain, maxUnavailable 2", 60.0): False,
                    ("slow, maxUnavailable 1", 60.0): True, ("slow, maxUnavailable 2", 60.0): True}
    text = format_rows(field_rows(path))
    assert "+0% fit" in text and text.splitlines()[-1].startswith("fit: the study set this configuration's inputs")
    assert "fit:" not in format_rows([Row("c", "x", "s", 10.0, 11.0)])


@pytest.mark.parametrize(("bad", "where"), [
    ("fitted: the slow cycle, fitted_variants: [fast]", "reported[1].fitted_variants[0]: names no variant: 'fast'"),
    ("fitted_variants: [slow]", "reported[1].fitted_variants: must be a list of variant names, beside fitted"),
    ("fitted: 3", "reported[1].fitted: must say, as text"),
])
def test_bad_fitted_entries_are_one_line_errors(tmp_path, bad, where) -> None:
    path = tmp_path / "fitted.yaml"
    path.write_text(FITTED.replace("fitted: the slow cycle, fitted_variants: [slow]", bad))
    with pytest.raises(ConfigError, match=re_escape(where)):
        load_experiment(path)


def test_the_shipped_one_at_a_time_figures_are_fits_and_the_identical_pipelines_at_10_percent_are_not() -> None:
    for path in FIELD:
        experiment = load_experiment(path)
        for figure in experiment.reported:
            one_at_a_time = str(figure.where.get("strategy.max_unavailable")) == "1"
            for c in experiment.configurations:
                if figure.matches(c.params):
                    assert figure.fits(c.label) == (one_at_a_time or "stragglers" in c.label), (path.name, c.label)


def test_a_study_given_twice_is_refused_as_run_refuses_it(capsys):
    """validate ran a study named twice twice; run refuses an experiment file given twice."""
    study = str(Path(__file__).parent.parent / "experiments" / "field-kube-prometheus-661.yaml")
    assert main(["validate", study, study]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is given twice; give each field study once" in err


CUT = """
name: cut
scenario:
  cluster: {nodes: 6}
  timings: {schedule: 0, pull: 0, start: 0, ready: 10, terminate: 0, probe_period: 0}
  controller: {mode: ideal}
  horizon_s: 30
grid:
  strategy.max_unavailable: [1, 6]
replications: 2
reported:
  - {strategy.max_unavailable: 1, duration_s: 50, source: cut short}
  - {strategy.max_unavailable: 6, duration_s: 50, source: completes}
"""


def test_a_configuration_that_does_not_complete_is_a_miss_not_a_crash(tmp_path, capsys) -> None:
    """``float(statistics.median([None, None]))`` was an internal error: a configuration cut at its
    horizon (or stalled) has no duration. Its row now says so, with no predicted figure, and is a miss.
    """
    path = tmp_path / "cut.yaml"
    path.write_text(CUT)
    cut, done = field_rows(path)
    assert (cut.missed, cut.incomplete, cut.runs, cut.stop_causes) == (True, 2, 2, ("horizon",))
    assert math.isnan(cut.predicted_s) and math.isnan(cut.error)
    assert not done.missed and done.predicted_s == 10.0  # one 10 s cycle
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if "cut short" in line)
    assert "—" in line and "miss: did not complete in 2 of 2 runs (horizon)" in line
    assert "miss: 1 row(s) whose configuration stalled or was cut at its horizon" in out


POD_LEVEL_STUDY = """name: pod-level
scenario:
  daemonset: {manifest: ds.yaml}
  cluster: {nodes_file: nodes.json, node_utilization: 0.4}
  stall_after_s: 600
  timings: {schedule: 0, pull: 0, start: 0, ready: 10, terminate: 0, probe_period: 0}
  controller: {mode: ideal%s}
reported:
  - {duration_s: 20, source: a test}
"""


@pytest.mark.parametrize(("own", "asked", "completes"), [
    ("", "1.33", True), ("", "1.34", False), ("", None, False),
    (", kubernetes_version: '1.33'", None, True), (", kubernetes_version: '1.33'", "1.34", False)])
def test_the_version_asked_for_reads_the_manifest_and_runs_the_controller(tmp_path, own, asked, completes) -> None:
    """``validate --kubernetes-version`` swapped the controller's version after the manifest was read
    for the study's own: at 1.33 a 1.37 study kept its pod-level requests (2 CPU: the surge pod
    does not fit beside the old one on 2,352m free, and the rollout stalls), and a 1.33 study asked
    for 1.34 had them dropped (250m: it completes). Before v1.34 the API server drops them.
    """
    (tmp_path / "ds.yaml").write_text(POD_LEVEL_DAEMONSET)
    (tmp_path / "nodes.json").write_text(node_list_json(2))
    path = tmp_path / "study.yaml"
    path.write_text(POD_LEVEL_STUDY % own)
    (row,) = field_rows(path, asked)
    assert row.missed is not completes
    assert row.stop_causes == (() if completes else ("pending-resources",))
