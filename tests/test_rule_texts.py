"""A refusal states the rule that was broken, and blames what broke it (audit 8 item 9): a bad
``ROLLSIM_MAX_YAML_*`` variable is not line 1 of a good manifest, ``--daemonset a/b/c`` is no
``NAMESPACE/NAME``, and ``--kubernetes-version 1.3`` gets no advice meant for a 1.32 cluster.
(The distribution and timing-profile texts are checked with their readers, in
``test_distributions.py`` and ``test_calibrate.py``.)
"""

from __future__ import annotations

import pytest
from rollsim.cli import main

from helpers import ROOT, one_error_line

FLUENTD = str(ROOT / "experiments" / "manifests" / "fluentd-elasticsearch.yaml")
ONE = """\
apiVersion: apps/v1
kind: DaemonSet
metadata: {{name: {name}, namespace: kube-system}}
spec:
  selector: {{matchLabels: {{a: b}}}}
  template:
    metadata: {{labels: {{a: b}}}}
    spec: {{containers: [{{name: c, image: i}}]}}
"""
TWO = "---\n".join(ONE.format(name=name) for name in ("one", "two"))


@pytest.mark.parametrize("variable", ["ROLLSIM_MAX_YAML_VALUES", "ROLLSIM_MAX_YAML_DEPTH"])
@pytest.mark.parametrize("argv", [
    ["simulate", "--nodes", "3", "-q", "--manifest", FLUENTD],
    ["plan", "--nodes", "3", "-q", "--manifest", FLUENTD],
    ["simulate", "--nodes", "3", "-q", "--timings", "{dir}/t.yaml"],
    ["validate", "{dir}/exp.yaml"],
])
def test_a_bad_yaml_limit_variable_is_named_alone(tmp_path, monkeypatch, capsys, variable, argv) -> None:
    monkeypatch.chdir(tmp_path)  # a plan that ran would write results/ here
    (tmp_path / "t.yaml").write_text("timings: {pull: 1}\n", encoding="utf-8")
    (tmp_path / "exp.yaml").write_text("name: t\nscenario: {cluster: {nodes: 3}}\n", encoding="utf-8")
    monkeypatch.setenv(variable, "abc")
    assert main([a.replace("{dir}", str(tmp_path)) for a in argv]) == 2
    assert one_error_line(capsys) == f"rollsim: error: {variable} must be a positive integer, got 'abc'"


@pytest.mark.parametrize(("given", "said"), [
    ("a/b/c", "must be NAME or NAMESPACE/NAME (one '/'), got 'a/b/c'"),
    ("kube-system/", "got 'kube-system/': no name after the '/'"),
    ("/two", "got '/two': no namespace before the '/'"),
    ("Kube/two", "invalid namespace 'Kube'"),
    ("kube-system/Two", "invalid name 'Two'"),
])
@pytest.mark.parametrize("command", ["simulate", "plan"])
def test_daemonset_is_name_or_namespace_slash_name(tmp_path, monkeypatch, capsys, command, given, said) -> None:
    monkeypatch.chdir(tmp_path)  # a plan that ran would write results/ here
    (tmp_path / "two.yaml").write_text(TWO, encoding="utf-8")
    argv = [command, "--nodes", "3", "-q", "--manifest", str(tmp_path / "two.yaml"), "--daemonset", given]
    assert main(argv) == 2
    one_error_line(capsys, "argument --daemonset: ", said)


def test_daemonset_namespace_slash_name_still_picks_one(tmp_path, capsys) -> None:
    (tmp_path / "two.yaml").write_text(TWO, encoding="utf-8")
    argv = ["simulate", "--nodes", "3", "-q", "--manifest", str(tmp_path / "two.yaml"), "--daemonset"]
    assert main([*argv, "kube-system/two"]) == 0
    assert main([*argv, "two"]) == 0


@pytest.mark.parametrize(("version", "aside"), [
    ("1.3", None),  # 1.30 or 1.33 mistyped, more likely than a cluster of 2016: no advice about it
    ("1.9", None),
    ("1.32", "; for an older cluster give 1.33 (a live cluster of 1.32 gets 1.33's rules, and a warning"),
    ("1.99", "; for a newer cluster give"),
])
def test_the_nearest_version_aside_is_only_for_a_plausible_minor(capsys, version, aside) -> None:
    assert main(["simulate", "--nodes", "3", "-q", "--kubernetes-version", version]) == 2
    line = one_error_line(capsys, f"got '{version}'")
    if aside is None:
        assert line.endswith(f"got '{version}'")
    else:
        assert aside in line
