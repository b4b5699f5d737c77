"""Property-based tests over the CLI and every file loader (issue 9).

For any generated input the outcome is a result, or one line on standard error with exit
code 2 (a loader: its one error type): never a traceback, never a file outside the output
folder. Inputs are valid documents mutated at random places, random text, and values
chosen to be awkward (negative, huge, NaN, NUL, quantities beyond int64, alias bombs).
The CLI runs in-process through ``rollsim.cli.main``. The ``slow`` variants explore more.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rollsim.cli import main
from rollsim.io.calibrate import calibrate, load_timings
from rollsim.io.manifest import load_daemonset
from rollsim.io.nodes import load_nodes, make_nodes
from rollsim.io.yamldoc import ConfigError
from rollsim.sweep.experiment_file import load_experiment

DATA = Path(__file__).parent / "data"
FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MORE = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SMALL = {"ROLLSIM_MAX_NODES": "40", "ROLLSIM_MAX_RUNS": "4", "ROLLSIM_MAX_CONFIGURATIONS": "4"}

AWKWARD = ["0", "1", "-1", "-10%", "10%", "150%", "1e400", "nan", "inf", "-inf", "100m", "-100m", "1Gi",
           "99999999999999999999999999Ei", "2@5", "1000000000000@1", "3@1+10", "50@10", "lognormal(median=2, p95=5)",
           "constant(1)", "", " ", "\x00", "1" + "0" * 30, "10**30", "batch:2", "rate:5", "crashloop:0.5",
           "300MB", "10/s", "100/6h", "1/0s", "9100,9100", "65536", "OnDelete", "RollingUpdate", "ideal", "é",
           "--json", "-", "2147483647", "1e-3", "0.9999", "x" * 300]
SIMULATE_FLAGS = ["--nodes", "--control-plane-nodes", "--not-ready-nodes", "--node-utilization", "--requests-cpu",
                  "--requests-memory", "--host-ports", "--add-nodes", "--remove-nodes", "--strategy",
                  "--max-unavailable", "--max-surge", "--min-ready-seconds", "--termination-grace-period-seconds",
                  "--schedule", "--pull", "--start", "--ready", "--terminate", "--controller", "--deleter",
                  "--seed", "--horizon", "--new-pods", "--image-size", "--image-cached", "--image-pull-policy",
                  "--node-bandwidth", "--registry-bandwidth", "--registry-pull-rate", "--registry-pull-burst",
                  "--registry-pull-window", "--registry-error-rate",
                  "--scheduler-throughput",
                  "--rollback-after", "--stall-after", "--timeline", "--daemonset", "--bogus"]
TIMELINES = ["t.csv", "", ".", "..", "sub/t.csv", "a\x00b", "x" * 300, "t.csv/"]

scalars = (st.none() | st.booleans() | st.integers(-(10**20), 10**20)
           | st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(AWKWARD) | st.text(max_size=12))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=8)
values = st.sampled_from(AWKWARD) | st.text(max_size=16)


@st.composite
def mutated(draw: st.DrawFn, base: Any) -> Any:
    """``base`` with one to three values replaced by arbitrary data, or deleted."""
    doc = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        parent, key, node = None, None, doc
        while isinstance(node, (dict, list)) and node and (parent is None or draw(st.booleans())):
            keys = sorted(node, key=str) if isinstance(node, dict) else list(range(len(node)))
            key = draw(st.sampled_from(keys))
            parent, node = node, node[key]
        if parent is None:
            continue
        if draw(st.booleans()):
            del parent[key]
        else:
            parent[key] = draw(json_values)
    return doc


def as_text(draw: st.DrawFn, doc: Any) -> bytes:
    how = draw(st.sampled_from(["yaml", "json", "cut", "bytes"]))
    if how == "bytes":
        return draw(st.binary(max_size=200))
    text = (json.dumps(doc) if how == "json" else yaml.safe_dump(doc, allow_unicode=True)).encode("utf-8")
    if how == "cut":
        return text[: draw(st.integers(0, len(text)))]
    return text


@contextlib.contextmanager
def folder() -> Iterator[Path]:
    """A fresh working folder (hypothesis runs many examples in one test function) with small limits."""
    with tempfile.TemporaryDirectory() as tmp, mock.patch.dict(os.environ, SMALL):
        old = os.getcwd()
        os.chdir(tmp)
        try:
            yield Path(tmp)
        finally:
            os.chdir(old)


def run_cli(argv: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, err.getvalue()


def assert_result_or_one_line(code: int, err: str) -> None:
    assert "Traceback" not in err, err
    assert code in (0, 2), (code, err)
    if code == 2:
        errors = [line for line in err.splitlines() if not line.startswith("rollsim: warning: ")]
        assert len(errors) == 1 and errors[0].startswith("rollsim: error: "), err


def files_under(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


# -- the CLI -----------------------------------------------------------------------------------

@st.composite
def simulate_argv(draw: st.DrawFn) -> list[str]:
    argv = ["simulate", "--nodes", "6", "--controller", "ideal", "--probe-period", "0"]
    for flag in draw(st.lists(st.sampled_from(SIMULATE_FLAGS), max_size=4)):
        if flag == "--bogus":
            argv.append(flag)
            continue
        value = draw(st.sampled_from(TIMELINES)) if flag == "--timeline" else draw(values)
        argv += [flag, value] if draw(st.booleans()) else [f"{flag}={value}"]
    return argv


def check_simulate(argv: list[str]) -> None:
    with folder() as root:
        code, err = run_cli(argv)
        assert_result_or_one_line(code, err)
        written = files_under(root)
        assert written <= {"t.csv"}, written  # only the timeline asked for, and only when it ran
        assert code == 0 or not written


@FAST
@given(simulate_argv())
def test_simulate_flags_give_a_result_or_one_line(argv: list[str]) -> None:
    check_simulate(argv)


@pytest.mark.slow
@MORE
@given(simulate_argv())
def test_simulate_flags_give_a_result_or_one_line_more(argv: list[str]) -> None:
    check_simulate(argv)


EXPERIMENT = {"name": "fuzz", "description": "x", "scenario": {
    "cluster": {"nodes": 5, "control_plane_nodes": 1},
    "daemonset": {"requests_cpu": "100m", "tolerations": [{"key": "k", "operator": "Exists"}]},
    "strategy": {"max_unavailable": 1, "min_ready_seconds": 0},
    "timings": {"ready": "constant(1)", "probe_period": 0}, "controller": {"mode": "ideal"}},
    "variants": [{"name": "a", "strategy.max_surge": 1, "strategy.max_unavailable": 0}, {"name": "b"}],
    "grid": {"strategy.min_ready_seconds": [0, 1]}, "replications": 1, "seed": 1,
    "slo": {"min_available_fraction": 0.5}}


@st.composite
def experiment_file(draw: st.DrawFn) -> bytes:
    return as_text(draw, draw(mutated(EXPERIMENT)))


def check_run(text: bytes) -> None:
    with folder() as root:
        (root / "exp.yaml").write_bytes(text)
        code, err = run_cli(["run", "exp.yaml", "--workers", "1", "--out", "out"])
        assert_result_or_one_line(code, err)
        outside = {p for p in files_under(root) if p != "exp.yaml" and not p.startswith("out")}
        assert not outside, outside


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(experiment_file())
@example(yaml.safe_dump({**EXPERIMENT, "variants": [{"name": {"a": None}}]}).encode())  # found by the fuzz
def test_run_gives_a_result_or_one_line(text: bytes) -> None:
    check_run(text)


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(experiment_file())
def test_run_gives_a_result_or_one_line_more(text: bytes) -> None:
    check_run(text)


@FAST
@given(st.sampled_from(["plot", "report", "calibrate", "make-nodes"]), st.lists(values, max_size=3))
def test_other_commands_give_a_result_or_one_line(command: str, args: list[str]) -> None:
    with folder() as root:
        code, err = run_cli([command, *args])
        assert_result_or_one_line(code, err)
        assert code == 0 or not files_under(root)


# -- every file loader ---------------------------------------------------------------------------

def loads_or_config_error(load, text: bytes, name: str = "input") -> None:
    with folder() as root:
        path = root / name
        path.write_bytes(text)
        try:
            load(path)
        except ConfigError as exc:
            assert "\n" not in str(exc) and str(exc)


@FAST
@given(experiment_file())
def test_experiment_loader(text: bytes) -> None:
    loads_or_config_error(load_experiment, text, "exp.yaml")


MANIFEST = json.loads((DATA / "manifests" / "daemonset.json").read_text(encoding="utf-8"))


@FAST
@given(st.data())
def test_manifest_loader(data: st.DataObject) -> None:
    text = as_text(data.draw, data.draw(mutated(MANIFEST)))
    loads_or_config_error(load_daemonset, text, "ds.yaml")
    loads_or_config_error(lambda p: load_daemonset(p, strict=True), text, "ds.yaml")


NODES = make_nodes(4, control_plane=1, zones=2)


@FAST
@given(st.data())
def test_node_list_loader(data: st.DataObject) -> None:
    loads_or_config_error(load_nodes, as_text(data.draw, data.draw(mutated(NODES))), "nodes.json")


def _pod(i: int) -> dict[str, Any]:
    t = "2026-11-26T10:00:{:02d}Z".format
    return {"kind": "Pod", "metadata": {"name": f"p{i}", "namespace": "ns", "creationTimestamp": t(i)},
            "spec": {"nodeName": f"n{i}"},
            "status": {"conditions": [{"type": "PodScheduled", "status": "True", "lastTransitionTime": t(i + 1)},
                                      {"type": "Ready", "status": "True", "lastTransitionTime": t(i + 9 + i % 3)}],
                       "containerStatuses": [{"name": "c", "restartCount": 0,
                                              "state": {"running": {"startedAt": t(i + 3 + i % 2)}}}]}}


PODS = {"apiVersion": "v1", "kind": "List", "items": [_pod(i) for i in range(6)]}


@FAST
@given(st.data())
def test_pod_list_loader(data: st.DataObject) -> None:
    doc = data.draw(mutated(PODS))
    text = json.dumps(doc).encode() if data.draw(st.booleans()) else as_text(data.draw, doc)
    loads_or_config_error(calibrate, text, "pods.json")


PROFILE = {"timings": {"pull": "lognormal(median=5, p95=13)", "start": "gamma(mean=2, cv=0.5)",
                       "ready": "empirical(30, 30, 70)", "probe_period": 0.0}, "counts": {"pull": 3}}


@FAST
@given(st.data())
def test_timing_profile_loader(data: st.DataObject) -> None:
    loads_or_config_error(load_timings, as_text(data.draw, data.draw(mutated(PROFILE))), "timings.yaml")


@FAST
@given(st.data())
def test_simulate_with_input_files(data: st.DataObject) -> None:
    """The files given to ``simulate``: a result or one line, whichever file is damaged."""
    which = data.draw(st.sampled_from(["--manifest", "--nodes-file", "--timings"]))
    base = {"--manifest": MANIFEST, "--nodes-file": NODES, "--timings": PROFILE}[which]
    text = as_text(data.draw, data.draw(mutated(base)))
    with folder() as root:
        (root / "input").write_bytes(text)
        argv = ["simulate", which, "input", "--controller", "ideal", "--probe-period", "0", "--ready", "1"]
        if which != "--nodes-file":
            argv += ["--nodes", "5"]
        code, err = run_cli(argv)
        assert_result_or_one_line(code, err)
        assert files_under(root) == {"input"}
