"""Experiment files: grid expansion, variants, seeds, and errors that name file, line and key."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rollsim.io.yamldoc import ConfigError, load_yaml
from rollsim.spec import model_version
from rollsim.sweep.experiment import expand_grid, grid_items, replication_seed
from rollsim.sweep.experiment_file import load_experiment

from helpers import one_error_line

TINY = """\
name: tiny
description: two strategies on a small cluster
scenario:
  cluster:
    nodes: 20
    control_plane_nodes: 3
  daemonset:
    tolerations:
      - {key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}
  controller:
    mode: ideal
variants:
  - name: surge 2
    strategy.max_surge: 2
    strategy.max_unavailable: 0
  - name: OnDelete
    strategy.type: OnDelete
    deleter: batch:5
grid:
  strategy.min_ready_seconds: [0, 5]
replications: 3
seed: 7
slo:
  min_available_fraction: 0.95
  max_duration_s: {limit: 600, statistic: p95}
"""


def write(tmp_path, text, name="exp.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_grid_is_the_product_in_file_order() -> None:
    assert expand_grid({"a": [1, 2], "b": ["x", "y"]}) == [
        {"a": 1, "b": "x"}, {"a": 1, "b": "y"}, {"a": 2, "b": "x"}, {"a": 2, "b": "y"}]


def test_a_value_that_is_no_list_is_refused_not_taken_as_one() -> None:
    """``strategy.max_unavailable: 3`` in a grid ran as ``[3]``, without a word (audit 17)."""
    for value, written in (("10%", "[10%]"), (3, "[3]"), ({"x": 1}, "[{x: 1}]")):
        with pytest.raises(ValueError, match=rf"^b: a grid value is a list of the values to sweep; write "
                                             rf"{re.escape(written)} for one value, or set it under scenario:$"):
            expand_grid({"a": [1], "b": value})
    assert expand_grid({}) == [{}]


def test_empty_list_is_an_error() -> None:
    with pytest.raises(ValueError, match="b: an empty list"):
        expand_grid({"a": [1], "b": []})


@given(st.dictionaries(st.text(min_size=1, max_size=3), st.lists(st.integers(), min_size=1, max_size=3), max_size=4))
def test_grid_size_is_the_product_of_list_lengths(grid) -> None:
    expected = 1
    for values in grid.values():
        expected *= len(values)
    points = expand_grid(grid)
    assert len(points) == expected
    assert all(set(p) == set(grid) for p in points)


def test_grid_items_index_the_points_of_expand_grid() -> None:
    grid = {"a": [1, 2], "b": ["x"], "c": (5, 6)}
    items = grid_items(grid)
    assert items == [(0, 0, 0), (0, 0, 1), (1, 0, 0), (1, 0, 1)]
    assert expand_grid(grid) == [{k: grid[k][i] for k, i in zip(grid, point)} for point in items]


def test_variants_times_grid_times_replications(tmp_path) -> None:
    exp = load_experiment(write(tmp_path, TINY))
    assert exp.name == "tiny" and exp.replications == 3 and exp.seed == 7
    assert [c.label for c in exp.configurations] == [
        "surge 2, minReadySeconds 0", "surge 2, minReadySeconds 5",
        "OnDelete, minReadySeconds 0", "OnDelete, minReadySeconds 5"]
    assert len(exp.runs()) == 12
    surge = exp.configurations[1].scenario
    assert surge.daemonset.strategy.max_surge == 2 and surge.daemonset.strategy.max_unavailable == 0
    assert surge.daemonset.min_ready_seconds == 5
    assert len(surge.nodes) == 23  # 3 control-plane nodes, tolerated
    ondelete = exp.configurations[2].scenario
    assert ondelete.daemonset.strategy.type == "OnDelete" and str(ondelete.deleter) == "batch:5"
    assert "strategy.min_ready_seconds" in exp.swept and "deleter" in exp.swept


def test_seeds_depend_on_the_replication_only(tmp_path) -> None:
    runs = load_experiment(write(tmp_path, TINY)).runs()
    by_rep = {}
    for r in runs:
        by_rep.setdefault(r.replication, set()).add(r.seed)
    assert all(len(seeds) == 1 for seeds in by_rep.values())  # common random numbers
    assert len({next(iter(s)) for s in by_rep.values()}) == 3
    assert runs[0].seed == replication_seed(7, 0) != replication_seed(8, 0)


def test_run_ids_are_stable_and_change_with_the_configuration(tmp_path) -> None:
    first = [r.run_id for r in load_experiment(write(tmp_path, TINY)).runs()]
    again = [r.run_id for r in load_experiment(write(tmp_path, TINY)).runs()]
    changed = [r.run_id for r in load_experiment(write(tmp_path, TINY.replace("nodes: 20", "nodes: 21"))).runs()]
    assert first == again and len(set(first)) == 12
    assert not set(first) & set(changed)


def test_run_ids_do_not_depend_on_where_a_configuration_stands(tmp_path) -> None:
    """Run ids began with the configuration's index, so a variant inserted first gave every
    later configuration new ids, and every run was simulated again."""
    first = load_experiment(write(tmp_path, TINY))
    inserted = load_experiment(write(tmp_path, TINY.replace(
        "variants:\n", "variants:\n  - name: surge 1\n    strategy.max_surge: 1\n    strategy.max_unavailable: 0\n")))
    before = {r.label: r.run_id for r in first.runs() if r.replication == 0}
    after = {r.label: r.run_id for r in inserted.runs() if r.replication == 0}
    assert [c.label for c in inserted.configurations][2:] == [c.label for c in first.configurations]
    assert {k: after[k] for k in before} == before
    assert all(re.fullmatch(r"k[0-9a-f]{8}-r00\d-[0-9a-f]{10}", r.run_id) for r in inserted.runs())
    keys = {r.run_id.split("-")[0] for r in first.runs()}
    assert len(keys) == 4  # one key per configuration, shared by its replications


@pytest.mark.parametrize(
    ("text", "where", "rule"),
    [
        ("name: x\nbogus: 1\n", ":2: bogus", "unknown key"),
        ("name: x\nscenario:\n  strategy:\n    max_unavailabel: 1\n", ":4: scenario.strategy.max_unavailabel",
         "unknown key"),
        ("name: x\nscenario:\n  clusters: {}\n", ":3: scenario.clusters", "unknown key"),
        ("name: x\nscenario:\n  cluster:\n    nodes: -3\n", ":4: scenario.cluster.nodes", "non-negative integer"),
        ("name: x\nscenario:\n  strategy:\n    max_unavailable: 150%\n", ":4: scenario.strategy.max_unavailable",
         "100%"),
        ("name: x\nscenario:\n  strategy:\n    max_unavailable: 2\n    max_surge: 1\n",
         "scenario.strategy.max_unavailable and scenario.strategy.max_surge", "may not be set"),
        ("name: x\nscenario:\n  timings:\n    pull: normal(3)\n", ":4: scenario.timings.pull", "unknown distribution"),
        ("name: x\ngrid:\n  strategy.max_unavailable: [1, 150%]\n", ":3: grid.strategy.max_unavailable[1]", "100%"),
        ("name: x\ngrid:\n  strategy.max_unavailable: []\n", ":3: grid.strategy.max_unavailable", "empty list"),
        ("name: x\ngrid:\n  strategy.speed: [1]\n", ":3: grid.strategy.speed", "not a scenario key"),
        ("name: x\nvariants:\n  - {name: a, strategy.max_surge: 1, strategy.max_unavailable: 2}\n",
         "variants[0].strategy.max_unavailable and variants[0].strategy.max_surge", "may not be set"),
        ("name: x\nreplications: 0\n", ":2: replications", "positive integer"),
        ("name: x\nscenario:\n  also:\n    - name: Bad Name\n", ":4: scenario.also[0].name",
         "invalid name 'Bad Name': a lowercase RFC 1123 subdomain"),  # the API server would refuse it
        ("name: x\nscenario:\n  daemonset:\n    manifest: .\n", ":4: scenario.daemonset.manifest",
         "is a folder, not a file"),  # was "<folder>: cannot read: Is a directory", naming no key
        # base 60 (YAML 1.1) was read as 90: a string, as go-yaml reads it
        ("name: x\nscenario:\n  strategy:\n    max_unavailable: 1:30\n", ":4: scenario.strategy.max_unavailable",
         "got '1:30'"),
        ("name: x\nseed: -1\n", ":2: seed", "non-negative integer"),
        ("name: x\nslo:\n  max_speed: 3\n", ":3: slo.max_speed", "unknown metric"),
        ("name: x\nslo:\n  min_available_fraction: {limit: 0.9, statistic: p99}\n", ":3: slo.min_available_fraction",
         "statistic"),
        ("name: x\nslo:\n  min_available_fraction: 1.5\n", ":3: slo.min_available_fraction",
         "a fraction between 0 and 1 (0.95 for 95%), got 1.5"),
        ("name: x\nslo:\n  max_duration_s: -60\n", ":3: slo.max_duration_s", "must not be negative"),
        ("name: x\nscenario:\n  also:\n    - name: a\n    - name: a\n", ":5: scenario.also[1].name",
         "must differ from item 0's namespace and name (kube-system/a): DaemonSets updated together are "
         "distinct objects of one cluster"),
        ("name: x\nscenario:\n  daemonset: {name: a}\n  also:\n    - name: a\n", ":5: scenario.also[0].name",
         "must differ from the DaemonSet's own namespace and name (kube-system/a)"),
        ("name: a/b\n", ":1: name", "usable as a folder"),
        ("replications: 1\n", ": name", "is missing: give a non-empty name usable as a folder"),  # not "got None"
        ("name:\nreplications: 1\n", ":1: name", "is missing"),
        ("name: x\nscenario:\n\tcluster: {}\n", ":3: ", "tab character"),
        ("name: x\nscenario: [1\n", ": ", "YAML syntax error"),
        ("name: x\nname: y\n", ":2: name", "duplicate key"),
        ("- 1\n- 2\n", ":1: ", "must be a mapping"),
        ("name: x\nscenario:\n  deleter: batch:3\n", "scenario.deleter", "only with strategy OnDelete"),
        ("name: x\ngrid: {strategy.max_unavailable: [1]}\nreported:\n  - {strategy.max_unavailable: 1, "
         "duration_s: .inf, source: x}\n", ":4: reported[0].duration_s", "positive, finite number"),
        # a place inside a list of mappings: its own key path and line, not the list's
        ("name: x\nscenario:\n  also:\n    - name: a\n    - name: b\n      max_unavailable: 150%\n",
         ":6: scenario.also[1].max_unavailable", "100%"),
        ("name: x\nscenario:\n  also:\n    - name: a\n      max_unavailble: 1\n",
         ":5: scenario.also[0].max_unavailble", "did you mean max_unavailable?"),
        ("name: x\nscenario:\n  also:\n    - name: a\n    - ready: 3\n", ":5: scenario.also[1]",
         "has no name: each DaemonSet needs one, such as {name: calico-node, ready: 5}"),
        # what a user wrote is named by its key or its kind, not shown as a Python repr
        ("name: x\nscenario:\n  also:\n    - [1, 2]\n", ":4: scenario.also[0]", "got a list"),
        ("name: x\nscenario:\n  also:\n    - {nam: a}\n", ":4: scenario.also[0].nam", "did you mean name?"),
        ("name: x\nscenario:\n  daemonset:\n    tolerations:\n      - {key: a, bogus: [1, 2]}\n",
         ":5: scenario.daemonset.tolerations[0].bogus", "unknown key bogus; a toleration here has key, operator"),
        ("name: x\nscenario:\n  daemonset:\n    tolerations:\n      - a\n",
         ":5: scenario.daemonset.tolerations[0]", "got the string 'a'"),
        ("name: x\nscenario:\n  cluster:\n    nodes: {a: 1}\n", ":4: scenario.cluster.nodes", "got {a: 1}"),
        ("name: x\nscenario:\n  strategy:\n    max_unavailable: true\n", ":4: scenario.strategy.max_unavailable",
         "got true"),
        ("name: x\nscenario:\n  timings:\n    ready: [1, 2]\n", ":4: scenario.timings.ready", "got a list"),
        ("name: x\nreplications: {a: 1}\n", ":2: replications", "got {a: 1}"),
        ("name: x\ngrid:\n  strategy.max_unavailable: [1, {x: 1}]\n", ":3: grid.strategy.max_unavailable[1]",
         "got {x: 1}"),
        ("name: x\nscenario:\n  daemonset:\n    tolerations:\n      - {key: a}\n      - {operator: Maybe}\n",
         ":6: scenario.daemonset.tolerations[1]", "Equal or Exists"),
        # an unquoted distribution in {...}: YAML splits it at its comma, and the tail is a key
        ("name: x\nscenario:\n  timings: {ready: lognormal(median=20, p95=45)}\n", ":3: scenario.timings.p95=45)",
         'unknown key; a comma split the value of ready: quote it, ready: "lognormal(median=20, p95=45)"'),
        ("name: x\nscenario:\n  controller: {mode: ideal, watch_delay: uniform(low=0, high=2), workers: 2}\n",
         ":3: scenario.controller.high=2)", 'quote it, watch_delay: "uniform(low=0, high=2)"; expected one of'),
        ("name: x\nvariants:\n  - {name: a, timings.ready: stragglers(median=3, p95=6, fraction=0.1, tail=60)}\n",
         ":3: variants[0].p95=6", 'not a scenario key; a comma split the value of timings.ready: quote it, '
         'timings.ready: "stragglers(median=3, p95=6, fraction=0.1, tail=60)"'),
        ("name: x\nscenario:\n  also:\n    - {name: a, ready: lognormal(median=3, p95=6)}\n",
         ":4: scenario.also[0].p95=6)", 'unknown key p95=6); a comma split the value of ready: quote it, '
         'ready: "lognormal(median=3, p95=6)"'),
    ],
)
def test_errors_name_file_line_and_key(tmp_path, text, where, rule) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_experiment(path)
    message = str(info.value)
    assert message.startswith(str(path)), message
    assert where in message and rule in message, message
    assert "\n" not in message
    assert "{'" not in message and "['" not in message, message  # no Python repr of what was written


def test_yaml_is_loaded_safely(tmp_path) -> None:
    path = write(tmp_path, "name: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(ConfigError, match="YAML tag .*python/object/apply:os.system.* is not allowed"):
        load_yaml(path)
    scalar = write(tmp_path, "name: !!python/name:os.system\n", "scalar.yaml")
    with pytest.raises(ConfigError, match="could not determine a constructor"):
        load_yaml(scalar)


def test_missing_file_is_a_config_error(tmp_path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_experiment(tmp_path / "nope.yaml")


def test_a_file_that_is_not_text_is_a_config_error(tmp_path) -> None:
    path = tmp_path / "binary.yaml"
    path.write_bytes(b"name: x\n\xff\xfe\n")
    with pytest.raises(ConfigError) as info:
        load_experiment(path)
    assert str(info.value) == f"{path}:2: not UTF-8 text (byte 9 is 0xff)"


def test_a_newer_model_never_reuses_an_older_ones_runs(monkeypatch, tmp_path) -> None:
    experiment = load_experiment(write(tmp_path, TINY))
    before = experiment.runs()
    assert [r.run_id for r in experiment.runs()] == [r.run_id for r in before]  # stable
    monkeypatch.setattr(model_version, "MODEL_VERSION", model_version.MODEL_VERSION + 1)
    after = experiment.runs()
    assert not {r.run_id for r in before} & {r.run_id for r in after}
    assert [r.seed for r in after] == [r.seed for r in before]  # same draws: only the id changes


def test_manifest_warnings_reach_the_experiment_once(tmp_path) -> None:
    """Unknown manifest fields are warnings of the experiment, each once, not a crash."""
    from pathlib import Path

    manifest = Path(__file__).resolve().parent / "data" / "manifests" / "unknown-fields.yaml"
    (tmp_path / "ds.yaml").write_text(manifest.read_text())
    path = write(tmp_path, """\
        name: w
        scenario:
          daemonset: {manifest: ds.yaml}
          cluster: {nodes: 5}
        variants: [{name: a}, {name: b, strategy.max_unavailable: 2}]
        """)
    warnings = load_experiment(path).warnings
    assert len(warnings) == 3 and len(set(warnings)) == 3
    assert all("unknown field" in w for w in warnings)


def test_a_setting_is_said_ignored_only_where_no_configuration_uses_it(tmp_path) -> None:
    """Audit 7: the shipped disk-pressure study (disk_pressure_for beside a grid [[], 3@0]) warned that
    disk_pressure_for was ignored, as its no-pressure configurations ignore it; the 3@0 ones use it."""
    used = write(tmp_path, """\
        name: p
        scenario:
          cluster: {nodes: 5, disk_pressure_for: 60}
        grid: {cluster.disk_pressure_nodes: [[], 1@0]}
        """)
    assert load_experiment(used).warnings == ()
    unused = write(tmp_path, """\
        name: q
        scenario:
          cluster: {nodes: 5, disk_pressure_for: 60}
        grid: {strategy.max_unavailable: [1, 2]}
        """)
    warnings = load_experiment(unused).warnings
    assert len(warnings) == 1 and "scenario.cluster.disk_pressure_for: ignored: no node is under disk pressure" \
        in warnings[0]


def test_the_file_format_in_the_experiments_readme_loads_and_shows_every_setting(tmp_path) -> None:
    """experiments/README.md's format block is a working file (its placeholders filled in), and
    every scenario setting appears in it, as a key or in the comment beside its section.
    """
    import re
    import shutil
    from pathlib import Path

    from rollsim.spec.settings import SETTINGS

    root = Path(__file__).resolve().parents[1]
    text = (root / "experiments" / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## The file format.*?```yaml\n(.*?)```", text, re.S)
    assert block is not None
    shutil.copytree(root / "experiments" / "manifests", tmp_path / "manifests")
    filled = block.group(1).replace('"DIST"', '"constant(1)"').replace("manifests/ds.yaml",
                                                                        "manifests/fluentd-elasticsearch.yaml")
    experiment = load_experiment(write(tmp_path, filled))
    assert len(experiment.configurations) == 2  # one variant × the grid's two values
    missing = [s.key for s in SETTINGS if not re.search(rf"\b{re.escape(s.key.rsplit('.', 1)[-1])}\b", block.group(1))]
    assert missing == []


@pytest.mark.parametrize(
    ("text", "where", "rule"),
    [
        # a variant's key the grid sets too: the grid's values replaced the variant's, its name still labelling them
        ("name: x\nvariants:\n  - {name: a, strategy.max_unavailable: 2}\ngrid:\n  strategy.max_unavailable: [1, 3]\n",
         ":5: grid.strategy.max_unavailable and variants[0].strategy.max_unavailable (line 3)",
         "both set it: each grid value would replace the variant's 2"),
        # one grid value twice: named by its key and line, not as variants the file does not have
        ("name: x\ngrid:\n  strategy.max_unavailable: [1, 1]\n", ":3: grid.strategy.max_unavailable",
         "the value 1 repeats (items 0 and 1), so its configurations would run twice; give each value once"),
        ("name: x\ngrid:\n  strategy.max_unavailable: [2, 1, \"1\"]\n", ":3: grid.strategy.max_unavailable",
         'the value 1 repeats (items 1 and 2: 1 and "1" read the same in labels)'),
        ("name: x\ngrid:\n  strategy.max_unavailable: [5, 5.0]\n", ":3: grid.strategy.max_unavailable",
         "the value 5 repeats (items 0 and 1: 5 and 5.0 are one setting)"),
        ("name: x\ngrid:\n  strategy.min_ready_seconds: [0, 5]\n  strategy.max_unavailable: [1, 5, 5.0]\n",
         ":4: grid.strategy.max_unavailable", "the value 5 repeats (items 1 and 2: 5 and 5.0 are one setting)"),
        # null is no documented value of any key: it ran the default, labelled max_unavailable=None
        ("name: x\ngrid:\n  strategy.max_unavailable:\n    - 1\n    - null\n", ":5: grid.strategy.max_unavailable[1]",
         "null is not a value a grid can sweep"),
        ("name: x\ngrid:\n  strategy.max_unavailable: null\n", ":3: grid.strategy.max_unavailable",
         "null is not a value a grid can sweep"),
        ("name: x\nvariants:\n  - {name: a, strategy.max_unavailable: 2}\n  - {name: b, strategy.max_unavailable: 2}\n",
         ":4: variants[1]", 'is the same scenario as variants[0] (line 3), so its runs would run twice ("a" and "b")'),
        ("name: x\nvariants:\n  - {name: a, strategy.max_unavailable: 2}\n  - {name: a, strategy.max_unavailable: 3}\n",
         ":4: variants[1]", 'is labelled "a", as variants[0] (line 3) is; give the variants distinct names'),
    ],
)
def test_what_would_run_under_a_wrong_label_is_refused(tmp_path, text, where, rule) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_experiment(path)
    message = str(info.value)
    assert message.startswith(f"{path}{where}: "), message
    assert rule in message, message


def test_a_variant_and_a_grid_may_set_different_keys(tmp_path) -> None:
    path = write(tmp_path, "name: x\nvariants:\n  - {name: a, strategy.max_surge: 1, strategy.max_unavailable: 0}\n"
                           "  - {name: b}\ngrid:\n  strategy.min_ready_seconds: [0, 5]\n")
    assert [c.label for c in load_experiment(path).configurations] == [
        "a, minReadySeconds 0", "a, minReadySeconds 5", "b, minReadySeconds 0", "b, minReadySeconds 5"]


def test_an_also_items_bandwidth_without_its_size_is_said_to_be_ignored(tmp_path) -> None:
    """An ``also:`` item's node_bandwidth is the node's link, which does nothing when no image has
    a size (every pull takes its pull time): one warning, naming the file, the item's line, place
    and name, as the top-level flags get; where some image has a size (variant b) nothing is said,
    and the item in two configurations (the grid) is said once.
    """
    from rollsim.spec.options import ITEM_NO_SIZE_NOTE

    path = write(tmp_path, """\
        name: w
        scenario:
          cluster: {nodes: 5}
        variants:
          - name: a
            also:
              - {name: unsized, pull: 3}
              - {name: calico-node, node_bandwidth: 100MB/s}
          - {name: b, image.size: 100MB, also: [{name: calico-node, node_bandwidth: 100MB/s}]}
        grid:
          strategy.max_unavailable: [1, 2]
        """)
    assert load_experiment(path).warnings == (
        f"{path}:8: variants[0].also[1].node_bandwidth (calico-node): {ITEM_NO_SIZE_NOTE}",)


def test_a_results_folders_record_is_not_taken_for_an_experiment_file(capsys) -> None:
    """``rollsim run results/X/experiment.yaml`` said "source: unknown key"; it names what the file is."""
    from rollsim.cli import main

    record = Path(__file__).parent.parent / "results" / "scaling" / "experiment.yaml"
    assert main(["run", str(record), "--out-dir", "/nonexistent/never-written"]) == 2
    one_error_line(capsys, "experiment.yaml:7: source: this is a results folder's record of the experiment it ran",
                   "(experiments/scaling.yaml)")


def test_an_also_item_reads_its_manifest_and_one_that_is_missing_is_named_there(tmp_path, capsys) -> None:
    """An item took settings only, and said so of a manifest; it reads one now (tests/test_also_manifests.py)."""
    from rollsim.cli import main

    experiment = tmp_path / "a.yaml"
    experiment.write_text("name: a\nscenario:\n  cluster: {nodes: 5}\n  also: [{name: b, manifest: ds.yaml}]\n",
                          encoding="utf-8")
    assert main(["run", str(experiment), "--out-dir", str(tmp_path / "out")]) == 2
    one_error_line(capsys, f"a.yaml:4: scenario.also[0].manifest: no such file: {tmp_path / 'ds.yaml'}")
    assert not (tmp_path / "out").exists()
    experiment.write_text("name: a\nscenario:\n  cluster: {nodes: 5}\n  also: [{name: b, daemonset: ds.yaml}]\n",
                          encoding="utf-8")
    assert main(["run", str(experiment), "--out-dir", str(tmp_path / "out")]) == 2
    one_error_line(capsys, "scenario.also[0].daemonset: unknown key daemonset; an also: item takes the DaemonSet's "
                   "settings as keys (max_unavailable, ...), and its manifest as manifest")


def test_rollsim_run_n_gives_a_manifest_without_a_namespace_its_namespace_and_key(tmp_path: Path) -> None:
    """``rollsim run -n NS`` (``live``'s namespace) is ``kubectl apply -n``'s for an experiment's
    manifest without metadata.namespace: the DaemonSet's ``namespace/name`` key, which an ``also:``
    item must not repeat, and its run ids follow it.
    """
    shipped = Path(__file__).resolve().parents[1] / "experiments" / "manifests" / "fluentd-elasticsearch.yaml"
    (tmp_path / "helm.yaml").write_text(shipped.read_text().replace("  namespace: kube-system\n", ""))
    path = tmp_path / "e.yaml"
    path.write_text("name: x\nreplications: 1\nscenario:\n  daemonset: {manifest: helm.yaml}\n  cluster: {nodes: 3}\n"
                    "  also:\n    - {name: fluentd-elasticsearch, namespace: logging}\n")
    plain = load_experiment(path)
    assert plain.configurations[0].scenario.daemonset_keys() == ("default/fluentd-elasticsearch",
                                                                 "logging/fluentd-elasticsearch")
    other = load_experiment(path, live={"namespace": "other"})
    assert other.configurations[0].scenario.daemonset.key == "other/fluentd-elasticsearch"
    assert other.runs()[0].run_id != plain.runs()[0].run_id
    with pytest.raises(ConfigError) as info:
        load_experiment(path, live={"namespace": "logging"})
    assert str(info.value) == (f"{path}:7: scenario.also[0].name: must differ from the DaemonSet's own namespace "
                               "and name (logging/fluentd-elasticsearch): DaemonSets updated together are distinct "
                               "objects of one cluster")


def test_an_experiment_picks_one_of_two_daemonsets_named_alike_by_its_namespace_key(tmp_path: Path) -> None:
    """``kubectl get ds -A -o yaml`` holds fluentd-elasticsearch in two namespaces: ``daemonset.name``
    alone is ambiguous (the error says which keys choose), with ``daemonset.namespace`` it picks that
    namespace's, whose settings the run takes; beside a manifest of one, the key still sets the namespace.
    """
    shipped = Path(__file__).resolve().parents[1] / "experiments" / "manifests" / "fluentd-elasticsearch.yaml"
    text = shipped.read_text()
    canary = text.replace("  namespace: kube-system\n", "  namespace: canary\n").replace(
        "maxUnavailable: 1", "maxUnavailable: 3")
    assert canary != text.replace("  namespace: kube-system\n", "  namespace: canary\n")
    (tmp_path / "all.yaml").write_text(f"{text}\n---\n{canary}")
    path = tmp_path / "e.yaml"
    head = "name: x\nreplications: 1\nscenario:\n  cluster: {nodes: 3}\n"
    path.write_text(head + "  daemonset: {manifest: all.yaml, name: fluentd-elasticsearch}\n")
    with pytest.raises(ConfigError, match=r"2 DaemonSets in this file \(kube-system/fluentd-elasticsearch, "
                                          r"canary/fluentd-elasticsearch\).*daemonset.name and daemonset.namespace"):
        load_experiment(path)
    for namespace, budget in (("canary", "3"), ("kube-system", "1")):
        path.write_text(head + f"  daemonset: {{manifest: all.yaml, name: fluentd-elasticsearch, "
                               f"namespace: {namespace}}}\n")
        daemonset = load_experiment(path).configurations[0].scenario.daemonset
        assert daemonset.key == f"{namespace}/fluentd-elasticsearch"
        assert str(daemonset.strategy.max_unavailable) == budget
    path.write_text(head + "  daemonset: {manifest: " + str(shipped) + ", namespace: other}\n")
    assert load_experiment(path).configurations[0].scenario.daemonset.key == "other/fluentd-elasticsearch"


@pytest.mark.parametrize(("line", "message"), [
    ("variants: 0", "variants: must be a list of mappings of dotted keys, got the number 0"),
    ("variants: false", "variants: must be a list of mappings of dotted keys, got the boolean false"),
    ("variants: {}", "variants: must be a list of mappings of dotted keys, got a mapping"),
    ("grid: 0", "grid: must be a mapping of dotted keys to lists of values, got the number 0"),
    ('grid: ""', "grid: must be a mapping of dotted keys to lists of values, got the string ''"),
    ('variants: [{name: "a\\nb", strategy.max_unavailable: 2}]',
     "variants[0].name: must be one line without control characters, got 'a\\nb'"),
    ("variants: [{name: " + "x" * 201 + ", strategy.max_unavailable: 2}]",
     "variants[0].name: must be at most 200 characters (a label in tables and figures), got 201"),
])
def test_falsy_variants_and_grids_and_names_on_two_lines_are_refused(tmp_path, line, message) -> None:
    """Audit 34: ``variants: 0`` (or false, "" or {}) passed as "no variants" and ran the base scenario alone,
    where other wrong types were refused; a variant named across two lines split the report's lines."""
    path = tmp_path / "e.yaml"
    path.write_text(f"name: e\nreplications: 1\nscenario: {{cluster: {{nodes: 5}}}}\n{line}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_experiment(path)
    assert str(info.value) == f"{path}:4: {message}"
    spaced = 'variants: [{name: "1\u202f000 nodes,\u00a0maxSurge", strategy.max_unavailable: 2}]'  # audit 36: text
    path.write_text(f"name: e\nreplications: 1\nscenario: {{cluster: {{nodes: 5}}}}\n{spaced}\n", encoding="utf-8")
    assert [c.label for c in load_experiment(path).configurations] == ["1\u202f000 nodes,\u00a0maxSurge"]
    for none in ("variants: null", "variants: []", "grid: null", "grid: {}"):  # none, as before
        path.write_text(f"name: e\nreplications: 1\nscenario: {{cluster: {{nodes: 5}}}}\n{none}\n", encoding="utf-8")
        assert len(load_experiment(path).configurations) == 1
