"""Bad input's one line names where and the rule whole (audit 17 items 6-15): the file, line and key
path are never shortened, a long list of allowed names gives way ("and 12 more") or a near spelling
is offered instead ("did you mean nodes?"), flags that conflict or do nothing are refused, and the
value quoted is the value given.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from rollsim.cli import main

from helpers import ROOT, one_error_line


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# -- item 6: the where is never cut; long lists give way ------------------------------------------
def test_a_long_file_name_and_key_path_stay_whole(tmp_path, capsys) -> None:
    """``/tmp/audit1...er.yaml:3: scenario.cluster.nodez: unknown key; expected one of add_nodes, ...,
    disk_pressure_for,...od, ...``: the file name was cut to make room for 40 allowed keys.
    """
    path = _write(tmp_path / ("a-long-folder-name-" * 4) / "unknown_cluster.yaml",
                  "name: tiny\nscenario:\n  cluster: {nodes: 10, nodez: 3}\nreplications: 1\n")
    assert main(["run", str(path)]) == 2
    said = f"rollsim: error: {path}:3: scenario.cluster.nodez: unknown key; did you mean nodes?"
    assert one_error_line(capsys) == said


def test_an_unknown_key_far_from_any_lists_a_few_and_how_many_more(tmp_path, capsys) -> None:
    path = _write(tmp_path / "e.yaml", "name: tiny\nscenario:\n  cluster: {nodes: 10, qqqqq: 3}\nreplications: 1\n")
    assert main(["run", str(path)]) == 2
    line = one_error_line(capsys, f"{path}:3: scenario.cluster.qqqqq: unknown key; expected one of add_nodes, ",
                          " more (rollsim schema lists them)")
    assert "..." not in line and len(line) < 300


def test_one_line_never_shortens_the_file_line_or_key_path() -> None:
    from rollsim.cli.exits import one_line

    where = "/tmp/" + "f" * 60 + "/experiment.yaml:3: scenario.cluster.a_rather_long_key_name:"
    line = one_line(f"{where} unknown key; expected one of " + ", ".join(f"key_number_{i}" for i in range(40)))
    assert len(line) <= 300 and line.startswith(where + " unknown key; expected one of key_num")
    assert line.endswith("key_number_39")  # a list written whole loses its middle
    # a value too long for the line gives way in its middle; the where before it does not
    line = one_line(f"{where} must be short, got '{'v' * 400}'")
    assert line.startswith(f"{where} must be short, got 'vvv") and "..." in line and len(line) == 300


def test_enumeration_and_expected_one_of() -> None:
    from rollsim.spec.quoting import enumeration, expected_one_of

    assert enumeration(["a", "b", "c"]) == "a, b, c"
    names = [f"n{i}" for i in range(20)]
    assert enumeration(names) == ", ".join(names)  # short enough to write whole
    names = [f"name_number_{i}" for i in range(20)]
    assert enumeration(names) == "name_number_0, name_number_1, name_number_2, name_number_3 and 16 more"
    assert expected_one_of("nodez", ["nodes", "pools"]) == "did you mean nodes?"
    assert expected_one_of("max_speed", ["max_updated", "nodes"]) == "expected one of max_updated, nodes"
    assert expected_one_of("zzz", names, " (see X)") == ("expected one of name_number_0, name_number_1, name_number_2, "
                                                         "name_number_3 and 16 more (see X)")
    assert expected_one_of("zzz", ["a", "b"], " (see X)") == "expected one of a, b"


def test_a_grid_and_variant_clash_fits_its_line(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    path = _write(Path("e") / "grid_dup_with_variant.yaml",
                  "name: tiny\nscenario:\n  cluster: {nodes: 10}\ngrid:\n  strategy.max_unavailable: [1, 2]\n"
                  "replications: 1\nseed: 1\nvariants:\n  - {name: a, strategy.max_unavailable: 3}\n")
    assert main(["run", str(path)]) == 2
    line = one_error_line(capsys, f"{path}:5: grid.strategy.max_unavailable and variants[0].strategy.max_unavailable "
                                  "(line 9): both set it: ", "set it in one, not both")
    assert "..." not in line


# -- item 7: a misspelt SLO key ----------------------------------------------------------------
def test_a_misspelt_slo_key_is_whole_with_the_key_it_misspells(tmp_path, capsys) -> None:
    path = _write(tmp_path / "e" / "slo_typo.yaml", "name: tiny\nscenario:\n  cluster: {nodes: 10}\nreplications: 1\n"
                                                      "slo:\n  min_availble_fraction: 0.9\n")
    assert main(["run", str(path)]) == 2
    assert one_error_line(capsys) == (f"rollsim: error: {path}:6: slo.min_availble_fraction: unknown SLO key; did you "
                                      "mean min_available_fraction?")


def test_an_unknown_slo_metric_lists_a_few(tmp_path, capsys) -> None:
    path = _write(tmp_path / "e.yaml", "name: tiny\nslo:\n  max_colour: 3\n")
    assert main(["run", str(path)]) == 2
    line = one_error_line(capsys, ":3: slo.max_colour: unknown metric 'colour'; expected one of nodes, duration_s, ",
                          " more (the summary's metrics: README, One rollout)")
    assert "..." not in line


# -- item 8: what keeps a DaemonSet off every node, in whole reasons ------------------------------
def test_matches_no_node_keeps_whole_reasons_and_counts_the_rest(tmp_path, capsys) -> None:
    """Four nodes, each with an untolerated taint, two of them with another one first: "(2 of 4 nodes:
    untolerated taint x=y:NoSchedule, e.g. ... e.g. ip-...)" read as if two nodes were excluded.
    """
    nodes = json.loads((ROOT / "tests" / "data" / "nodes" / "kubectl-get-nodes.json").read_text("utf-8"))
    for item in nodes["items"]:
        item["spec"].setdefault("taints", []).append({"key": "x", "value": "y", "effect": "NoSchedule"})
    path = _write(tmp_path / "n_tainted.json", json.dumps(nodes))
    assert main(["simulate", "-q", "--nodes-file", str(path)]) == 2
    line = one_error_line(capsys, "the DaemonSet matches no node (2 of 4 nodes: untolerated taint x=y:NoSchedule; "
                                  "and 2 more reasons, on 2 nodes); fix its nodeSelector")
    assert "..." not in line and len(line) <= 300


# -- item 9: standard input closed ---------------------------------------------------------------
def test_a_closed_standard_input_is_called_closed(monkeypatch, capsys) -> None:
    monkeypatch.setattr(sys, "stdin", None)  # as Python leaves it when descriptor 0 is closed (<&-)
    assert main(["simulate", "-q", "--nodes", "10", "--manifest", "-"]) == 2
    one_error_line(capsys, "<stdin>: standard input is closed; pipe the file in")


# -- item 10: the window probability as given, under its flag -------------------------------------
@pytest.mark.parametrize(("flags", "said"), [
    (["--window-probability", "0.9999999"], "argument --window-probability: 0.9999999 at --confidence 0.95 needs "
                                            "29,957,322 runs of the answer (a distribution-free bound on its "
                                            "p99.99999): 29,957,322 replications exceed the limit"),
    (["--window-probability", "99.9%"], "argument --window-probability: 99.9% at --confidence 0.95 needs 2,995 runs"),
    (["--confidence", "0.999999999"], "argument --confidence: 0.999999999 at the default --window-probability 0.95 "
                                      "needs 405 runs"),
])
def test_a_window_bound_beyond_the_replications_names_its_flag_and_value(capsys, monkeypatch, flags, said) -> None:
    monkeypatch.setenv("ROLLSIM_MAX_REPLICATIONS", "400")
    assert main(["plan", "--nodes", "10", "--workers", "1", "--window", "30m", *flags]) == 2
    one_error_line(capsys, f"rollsim: error: {said}")


def test_without_a_window_the_probability_is_the_share_that_must_finish_and_is_checked_alike(capsys, monkeypatch):
    """Without --window, --window-probability is the share of rollouts that must finish where a family
    can stall (audit 27): taken, and refused as the window's is when its runs exceed the limit.
    """
    monkeypatch.setenv("ROLLSIM_MAX_REPLICATIONS", "400")
    assert main(["plan", "--nodes", "10", "--workers", "1", "--window-probability", "99.9%"]) == 2
    one_error_line(capsys, "rollsim: error: argument --window-probability: 99.9% at --confidence 0.95 needs 2,995 "
                           "runs of the answer (none stalled, to show at most 0.1% stall where its family can): "
                           "2,995 replications exceed the limit")


# -- item 11: flags that conflict or do nothing ---------------------------------------------------
@pytest.mark.parametrize(("flags", "said"), [
    (["--no-surge", "--surge-pods", "5"], "argument --surge-pods: not allowed with argument --no-surge"),
    (["--no-surge", "--surge-memory", "1Gi"], "argument --surge-memory: not allowed with argument --no-surge"),
    (["--least"], "argument --least: applies only with --window"),
])
def test_plan_refuses_flags_that_conflict_or_do_nothing(tmp_path, capsys, flags, said) -> None:
    out = tmp_path / "plan"
    assert main(["plan", "--nodes", "10", "--workers", "1", "--out-dir", str(out), *flags]) == 2
    one_error_line(capsys, f"rollsim: error: {said}")
    assert not out.exists()


@pytest.mark.parametrize(("flags", "said"), [
    (["-n", "foo"], "argument -n/--namespace: applies only to an experiment that reads a manifest"),
    (["--context", "foo"], "argument --context: applies only to an experiment that reads ds/NAME or input files"),
    (["--kubeconfig", "kc"], "argument --kubeconfig: applies only to an experiment that reads ds/NAME or input files"),
])
def test_run_refuses_cluster_flags_an_experiment_does_not_read(tmp_path, capsys, flags, said) -> None:
    """As ``simulate --nodes 10 -n foo`` is refused (exit 2, "applies only with --manifest")."""
    path = _write(tmp_path / "ok.yaml", "name: tiny\nscenario:\n  cluster: {nodes: 10}\nreplications: 1\n")
    out = tmp_path / "out"
    assert main(["run", str(path), "--workers", "1", "--out-dir", str(out), *flags]) == 2
    one_error_line(capsys, f"rollsim: error: {said}", f"{path} reads none")
    assert not out.exists()


# -- item 13: an unquoted version as read ----------------------------------------------------------
def test_an_unquoted_version_is_shown_as_read(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    path = _write(Path("e") / "kv13.yaml",
                  "name: t\nscenario:\n  controller: {kubernetes_version: 1.3}\nreplications: 1\n")
    assert main(["run", str(path)]) == 2
    line = one_error_line(capsys, f"{path}:3: scenario.controller.kubernetes_version: must be a modelled version, "
                                  '1.33 to 1.37, got the number 1.3 (as YAML reads 1.30 unquoted; quote it: "1.30"); '
                                  "for an older cluster give 1.33 (a live cluster of 1.30 gets 1.33's rules, and "
                                  "a warning of what differs)")
    assert "..." not in line


# -- item 14: a grid over a key every configuration ignores ---------------------------------------
_ON_DELETE = "name: g\nscenario:\n  cluster: {nodes: 10}\n  strategy: {type: OnDelete}\n  deleter: batch:5\ngrid:\n"


def test_a_grid_of_values_ondelete_ignores_is_refused_at_its_line(tmp_path, capsys) -> None:
    path = _write(tmp_path / "g_od.yaml", _ON_DELETE + "  strategy.max_unavailable: [1, 2]\nreplications: 1\n")
    out = tmp_path / "out"
    assert main(["run", str(path), "--workers", "1", "--out-dir", str(out)]) == 2
    one_error_line(capsys, f"rollsim: error: {path}:7: grid.strategy.max_unavailable: ignored with strategy OnDelete",
                   "so its 2 values would run the same rollouts twice; drop it from the grid")
    assert not out.exists()


def test_an_ignored_grid_value_alone_is_warned_with_its_line(tmp_path) -> None:
    from rollsim.sweep.experiment_file import load_experiment

    path = _write(tmp_path / "g_od1.yaml", _ON_DELETE + "  strategy.max_unavailable: [2]\nreplications: 1\n")
    assert f"{path}:7: grid.strategy.max_unavailable[0]: ignored with strategy OnDelete" in "\n".join(
        load_experiment(path).warnings)


# -- item 15: nits ---------------------------------------------------------------------------------
def test_a_kind_starting_with_a_vowel_takes_an(tmp_path, capsys) -> None:
    pods = ROOT / "tests" / "data" / "kubectl" / "pods.json"
    events = _write(tmp_path / "events.json", '{"kind": "NodeList", "items": []}')
    if not pods.exists():
        pods = _write(tmp_path / "pods.json", '{"kind": "PodList", "items": []}')
    assert main(["calibrate", str(pods), "--events", str(events)]) == 2
    line = one_error_line(capsys, "expected an Event list")
    assert "a Event" not in line


@pytest.mark.parametrize(("value", "written"), [("3", "[3]"), ("10%", "[10%]"), ("'1'", "['1']")])
def test_a_grid_value_that_is_no_list_is_refused(tmp_path, capsys, value, written) -> None:
    """``grid: {strategy.max_unavailable: 3}`` ran as a grid of one value, ``[3]``, without a word."""
    path = _write(tmp_path / "scalar.yaml", "name: tiny\nscenario:\n  cluster: {nodes: 10}\ngrid:\n"
                                            f"  strategy.max_unavailable: {value}\nreplications: 1\n")
    out = tmp_path / "out"
    assert main(["run", str(path), "--workers", "1", "--out-dir", str(out)]) == 2
    assert one_error_line(capsys) == (f"rollsim: error: {path}:5: grid.strategy.max_unavailable: a grid value is a "
                                      f"list of the values to sweep; write {written} for one value, or set it under "
                                      "scenario:")
    assert not out.exists()


def test_a_decision_listed_twice_is_refused_at_its_line(tmp_path, capsys) -> None:
    """``decisions: [deleter, strategy.max_surge, deleter]`` was read as if the key were listed once."""
    path = _write(tmp_path / "decisions.yaml", "name: tiny\nscenario:\n  cluster: {nodes: 10}\ndecisions:\n"
                                               "  - deleter\n  - strategy.max_surge\n  - deleter\nreplications: 1\n")
    out = tmp_path / "out"
    assert main(["run", str(path), "--workers", "1", "--out-dir", str(out)]) == 2
    assert one_error_line(capsys) == (f"rollsim: error: {path}:7: decisions[2]: deleter repeats decisions[0] "
                                      "(line 5); give each once")
    assert not out.exists()


def test_the_first_repeat_is_found_once_for_grid_values_and_decisions() -> None:
    from rollsim.sweep.repeats import first_repeat

    assert first_repeat(["a", "b", "c", "b", "a"]) == (1, 3)
    assert first_repeat(["a", "b"]) is None and first_repeat([]) is None


@pytest.mark.parametrize("argv", [["calibrate", "{d}"], ["calibrate", "{f}", "--events", "{d}"], ["run", "{d}"]])
def test_a_folder_given_as_an_input_file_names_its_argument(tmp_path, capsys, argv) -> None:
    folder = tmp_path / "adir"
    folder.mkdir()
    pods = _write(tmp_path / "pods.json", '{"kind": "PodList", "items": []}')
    argv = [a.format(d=folder, f=pods) for a in argv]
    assert main(argv) == 2
    name = {"calibrate": "--events" if "--events" in argv else "PODS.json", "run": "EXPERIMENT.yaml"}[argv[0]]
    one_error_line(capsys, f"rollsim: error: argument {name}: is a folder, not a file: {folder}")


@pytest.mark.parametrize(("argv", "name"), [(["calibrate", "{m}"], "PODS.json"),
                                            (["calibrate", "{f}", "--events", "{m}"], "--events"),
                                            (["run", "{m}"], "EXPERIMENT.yaml"), (["validate", "{m}"], "FIELD.yaml"),
                                            (["simulate", "--manifest", "{m}"], "--manifest")])
def test_a_missing_input_file_names_its_argument(tmp_path, capsys, argv, name) -> None:
    """``calibrate nofile`` said ``nofile: cannot read: No such file or directory``, where ``simulate
    --manifest nofile`` says ``argument --manifest: no such file: nofile``.
    """
    missing = tmp_path / "nofile"
    pods = _write(tmp_path / "pods.json", '{"kind": "PodList", "items": []}')
    assert main([a.format(m=missing, f=pods) for a in argv]) == 2
    assert one_error_line(capsys) == f"rollsim: error: argument {name}: no such file: {missing}"


HEARTBEAT_RULE = ("must be greater than 10s, the kubelet's heartbeat: with no more, healthy nodes go Unknown "
                  "between heartbeats, which rollsim does not simulate")


@pytest.mark.parametrize("value", ["0", "-5", "8", "10", "0s", "10s", "9.5s", "-1m", "10000ms"])
def test_a_node_monitor_grace_period_no_longer_than_a_heartbeat_is_refused(tmp_path, capsys, value) -> None:
    """``--node-monitor-grace-period 0`` was accepted and detected a dead kubelet's node at once; the node
    lifecycle controller marks a node Unknown once ``now`` is after its last heartbeat plus the grace
    period (``tryUpdateNodeHealth``), so at 0 it would mark every node, healthy or not, at every pass,
    and under the kubelet's 10 s heartbeat it would mark healthy nodes between their heartbeats (audit 17).
    One rule, in one message, whether the value is written in seconds or as a Go duration.
    """
    assert main(["simulate", "-q", "--nodes", "3", "--node-monitor-grace-period", value]) == 2
    assert one_error_line(capsys) == (f"rollsim: error: argument --node-monitor-grace-period: {HEARTBEAT_RULE}, "
                                      f"got '{value}'")
    path = _write(tmp_path / "grace.yaml", "name: g\nscenario:\n  cluster: {nodes: 3}\n"
                                           f"  controller: {{node_monitor_grace_period: {value}}}\n")
    out = tmp_path / "out"
    assert main(["run", str(path), "--workers", "1", "--out-dir", str(out)]) == 2
    as_yaml_reads_it = value if value[-1].isalpha() else int(value)  # 10s is text to YAML, 10 a number
    assert one_error_line(capsys) == (f"rollsim: error: {path}:4: scenario.controller.node_monitor_grace_period: "
                                      f"{HEARTBEAT_RULE}, got {as_yaml_reads_it!r}")
    assert not out.exists()
    from rollsim.spec.lifecycle import NodeLifecycleTiming

    with pytest.raises(ValueError, match="grace_period must be positive, got 0"):
        NodeLifecycleTiming(grace_period=0)


@pytest.mark.parametrize(("value", "rule"), [
    ("soon", "must be a duration such as 30m, 1h30m or 1800s, got 'soon'"),
    ("1m30", "must be a duration such as 30m, 1h30m or 1800s, got '1m30': missing unit after its last number (as "
             "Go's time.ParseDuration says); write 1m30s"),
    ("5e1", "must be a duration such as 30m, 1h30m or 1800s, got '5e1'")])
def test_a_node_monitor_grace_period_that_is_no_duration_is_refused_as_the_window_is(capsys, value, rule) -> None:
    """The grace period is read as every duration rollsim takes (``read_duration``): what ``plan --window``
    refuses, it refuses, with the same words."""
    from rollsim.plan.constraints import parse_duration

    assert main(["simulate", "-q", "--nodes", "3", "--node-monitor-grace-period", value]) == 2
    assert one_error_line(capsys) == f"rollsim: error: argument --node-monitor-grace-period: {rule}"
    with pytest.raises(ValueError, match=f"^{re.escape(rule)}$"):
        parse_duration(value)


@pytest.mark.parametrize("command", ["run", "validate"])
def test_a_kubernetes_manifest_given_as_an_experiment_says_so(tmp_path, capsys, command) -> None:
    manifest = ROOT / "experiments" / "manifests" / "fluentd-elasticsearch.yaml"
    assert main([command, str(manifest)]) == 2
    one_error_line(capsys, "this is a Kubernetes manifest (kind DaemonSet), not an experiment file: give it to "
                           "rollsim simulate --manifest or rollsim plan --manifest")


def test_a_file_of_several_yaml_documents_says_so_where_one_is_read(tmp_path, capsys) -> None:
    """A two-document Kubernetes manifest given to run as an experiment said "YAML syntax error: but
    found another document" (audit 17's leftover): it says the file holds more than one document,
    where the second starts, and where a manifest of several objects goes."""
    path = _write(tmp_path / "multi.yaml", "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: a}\n---\n"
                                          "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n")
    assert main(["run", str(path), "--out-dir", str(tmp_path / "out")]) == 2
    line = one_error_line(capsys)
    assert f"{path}:4: holds more than one YAML document" in line and "goes to --manifest" in line
    assert not (tmp_path / "out").exists()


LONG = "x" * 300  # one path component longer than any filesystem's 255 bytes


@pytest.mark.parametrize(("argv", "name"), [
    (["calibrate", LONG], "PODS.json"),
    (["calibrate", "{pods}", "--events", LONG], "--events"),
    (["simulate", "--manifest", LONG], "--manifest"),
    (["simulate", "--nodes-file", LONG], "--nodes-file"),
    (["simulate", "--timings", LONG], "--timings"),
    (["run", LONG], "EXPERIMENT.yaml"),
    (["validate", LONG], "FIELD.yaml"),
    (["plan", "--nodes", "3", "--manifest", LONG], "--manifest"),
    (["simulate", "--manifest", "ds/foo", "--context", "x", "--kubeconfig", LONG], "--kubeconfig"),
])
def test_an_input_path_no_filesystem_holds_is_refused_under_its_argument(tmp_path, capsys, argv, name) -> None:
    """A 300-character file name exited 1 with Python's ``xxx...xxx: File name too long``, naming
    no argument: Python 3.11's ``Path.exists`` raises for it. It is now refused as an output path
    is, before it is looked at (the fuzz test found ``calibrate``'s).
    """
    pods = _write(tmp_path / "pods.json", '{"kind": "PodList", "items": []}')
    assert main([a.format(pods=pods) for a in argv]) == 2
    assert one_error_line(capsys) == (f"rollsim: error: argument {name}: has a component longer than 255 bytes "
                                      f"({'x' * 20}...)")


def test_an_experiments_input_path_no_filesystem_holds_is_refused_at_its_line(tmp_path, capsys) -> None:
    path = _write(tmp_path / "long.yaml", f"name: long\nscenario:\n  daemonset: {{manifest: {LONG}}}\n")
    assert main(["run", str(path), "--out-dir", str(tmp_path / "out")]) == 2
    assert one_error_line(capsys) == (f"rollsim: error: {path}:3: scenario.daemonset.manifest: has a component "
                                      f"longer than 255 bytes ({'x' * 20}...)")
    assert not (tmp_path / "out").exists()


def test_a_kubeconfig_variable_naming_a_path_no_filesystem_holds_is_one_line(capsys, monkeypatch) -> None:
    monkeypatch.setenv("KUBECONFIG", "/tmp/" + LONG)
    assert main(["simulate", "--manifest", "ds/foo", "-q"]) == 2
    line = one_error_line(capsys)
    assert line.startswith("rollsim: error: KUBECONFIG: /tmp/") and "has a component longer than 255 bytes" in line


def test_an_input_file_whose_name_is_not_utf8_is_read(tmp_path, capsys) -> None:
    """Audit 22: the length check encoded the path as UTF-8, so ``--manifest $'m\\xff.yaml'`` (a Linux
    name is bytes; Python gives it surrogates) failed with a codec error; it is read as before."""
    import os
    import shutil

    manifest = Path(os.fsdecode(bytes(tmp_path) + b"/m\xff.yaml"))
    shutil.copy(ROOT / "experiments" / "manifests" / "fluentd-elasticsearch.yaml", manifest)
    assert main(["simulate", "--nodes", "2", "--manifest", str(manifest), "-q", "-o", "name"]) == 0
    assert capsys.readouterr().out.strip() == "daemonset.apps/fluentd-elasticsearch"


def test_a_quoted_boolean_is_said_to_be_text(tmp_path, capsys) -> None:
    """Audit 22: ``serialize_image_pulls: "false"`` read "must be true or false, got 'false'"."""
    path = _write(tmp_path / "q.yaml", 'name: q\nscenario:\n  cluster: {nodes: 3, serialize_image_pulls: "false"}\n')
    assert main(["run", str(path), "--out-dir", str(tmp_path / "out")]) == 2
    assert one_error_line(capsys) == (f"rollsim: error: {path}:3: scenario.cluster.serialize_image_pulls: must be true "
                                      "or false, got 'false' (text, in quotes: write false without them)")
    assert not (tmp_path / "out").exists()


def test_a_grid_of_no_limit_is_pointed_at_a_variant(tmp_path, capsys) -> None:
    """Audit 22: ``grid: {cluster.max_parallel_image_pulls: [null, 2]}`` was told to "write the value
    itself", but no value means no limit: a variant that leaves the key out does."""
    path = _write(tmp_path / "g.yaml", "name: g\nscenario:\n  cluster: {nodes: 3, serialize_image_pulls: false}\n"
                                       "grid:\n  cluster.max_parallel_image_pulls: [null, 2]\n")
    assert main(["run", str(path), "--out-dir", str(tmp_path / "out")]) == 2
    assert one_error_line(capsys).endswith("write the value itself, or, where no value says what leaving it out "
                                           "does (no limit), a variant without the key")


def test_a_node_list_giving_allocatable_for_some_nodes_names_them_whole(tmp_path, monkeypatch, capsys) -> None:
    """Audit 25: with EC2 node names the line ran over 300 characters and the cut fell in the names
    (``node 'ip-10-0-20....internal'``), the one thing the user needs; the rule is said shorter now."""
    monkeypatch.chdir(tmp_path)
    nodes = Path("nodes.json")
    assert main(["make-nodes", "6", "--control-plane", "0", "--out-file", str(nodes)]) == 0
    capsys.readouterr()
    doc = json.loads(nodes.read_text())
    del doc["items"][5]["status"]["allocatable"]["cpu"]
    nodes.write_text(json.dumps(doc))
    assert main(["simulate", "--nodes-file", str(nodes)]) == 2
    first, last = doc["items"][0]["metadata"]["name"], doc["items"][5]["metadata"]["name"]
    line = one_error_line(capsys, f"node '{last}' gives no allocatable cpu, where node '{first}' "
                                  "(items[0].status.allocatable) does: give it for every node or for none")
    assert "..." not in line
