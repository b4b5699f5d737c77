"""The JSON Schema of experiment files: generated from the declarations, committed, and true to the loader."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
import yaml
from rollsim.cli import main
from rollsim.spec.settings import SETTINGS
from rollsim.sweep.experiment_file import load_experiment
from rollsim.sweep.schema import experiment_schema, schema_text

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "experiments" / "experiment.schema.json"
SHIPPED = sorted((ROOT / "experiments").glob("*.yaml"))


@pytest.fixture(scope="module")
def validator():
    schema = experiment_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_the_committed_schema_is_the_generated_one() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == schema_text(), "regenerate: rollsim schema > " + str(COMMITTED)


def test_rollsim_schema_prints_it(capsys) -> None:
    assert main(["schema"]) == 0
    assert capsys.readouterr().out == schema_text()


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_experiment_validates(validator, path) -> None:
    assert len(SHIPPED) >= 9
    errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(yaml.safe_load(path.read_text()))]
    assert errors == []


@pytest.mark.parametrize(
    "text",
    [
        "name: x\nscenario: {strategy: {max_unavailabel: 1}}\n",
        "name: x\nscenario: {clusters: {}}\n",
        "name: x\nscenario: {cluster: {nodes: -3}}\n",
        "name: x\nscenario: {strategy: {max_unavailable: 150%}}\n",
        "name: x\nscenario: {controller: {mode: fast}}\n",
        "name: x\nscenario: {also: [{ready: 3}]}\n",
        "name: x\nscenario: {also: [{name: a, colour: red}]}\n",
        "name: x\ngrid: {strategy.speed: [1]}\n",
        "name: x\ngrid: {strategy.min_ready_seconds: []}\n",
        "name: x\ngrid: {strategy.min_ready_seconds: 5}\n",
        "name: x\ndecisions: [deleter, deleter]\n",
        "name: x\nvariants: [{name: a, strategy.type: Recreate}]\n",
        "name: x\nreplications: 0\n",
        "name: x\nslo: {fastest: 1}\n",
        "name: x\nbogus: 1\n",
        "description: no name\n",
    ],
)
def test_what_the_schema_rejects_the_loader_rejects(validator, tmp_path, text) -> None:
    assert list(validator.iter_errors(yaml.safe_load(text)))
    path = tmp_path / "e.yaml"
    path.write_text(text)
    with pytest.raises(ValueError):
        load_experiment(path)


# values of every kind, good and bad; integral floats and infinities are left out, since
# JSON Schema's "integer" admits 2.0 and "number" admits YAML's .inf
CANDIDATES = [
    0, 1, -1, 0.5, 1.5, 7, 100000, 70000, "3", " 7 ", "0", "1.5", "1e3", "10%", "100%", "150%", "abc", "", True,
    "lognormal(median=1, p95=2)", "normal(3)", "constant(2)", "-5", [1], [9100, 80], "9100,80", "0,80", "100m",
    "200Mi", "-5m", "1GB", "100MB/s", "0/s", "0MB/s", "10/s", "5@10+2", ["5@10"], "5@", "none", "batch:3",
    "batch:0", "rate:2", "rate:0", "crashloop:0.5", "crashloop:2", "crashloop:", "RollingUpdate", "ideal", "Always",
    "False", "Never", "1.36", 1.36, "1.32", 1.32, "queue", "100/6h", "100/0s", "1/0m0s", "100/0h", "5/1m30s",
    "50s", "1m30s", "10s", "0m5s", "1ms", "40", "10", "9999999h",
    [{"key": "a", "operator": "Exists"}], [{"operator": "Bogus"}], {"a": 1}, None,
]


@pytest.mark.parametrize("setting", [s for s in SETTINGS if s.name != "also"], ids=lambda s: s.name)
def test_what_the_schema_accepts_the_rule_accepts(setting) -> None:
    """An editor never calls a value valid that ``rollsim`` would reject (it may be stricter)."""
    schema = jsonschema.Draft202012Validator(setting.kind.schema)
    accepted = [value for value in CANDIDATES if schema.is_valid(value)]
    for value in accepted:
        setting.kind.rule(value)  # raises ValueError if the schema let a bad value through
    assert accepted, f"no candidate is valid for {setting.name}: add one its schema accepts"


def test_the_grace_periods_schema_takes_the_durations_as_go_writes_them() -> None:
    """``controller.node_monitor_grace_period: 50s`` is valid in an editor, as in rollsim; one no longer
    than the kubelet's 10 s heartbeat is not, in seconds or as a duration."""
    from rollsim.spec.kinds import GRACE_PERIOD

    schema = jsonschema.Draft202012Validator(GRACE_PERIOD.schema)
    for value in ("50s", "1m30s", "1h0m30s", "2h", "40", 40, 10.5, " 45s ", "10.5s", "10.5", "1.5m", "1.5h",
                  "1.h", "1h1.5m", "11s"):
        assert schema.is_valid(value) and GRACE_PERIOD.rule(value) > 10, value
    for value in ("10s", "10", 10, "5s", "0", "-1m", "0h0m5s", "1ms", "1m30", "10.0s", "10.", "10.000", ".5m",
                  "1.5", "0.5h"):
        assert not schema.is_valid(value), value
