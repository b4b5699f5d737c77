"""Configuration labels and swept values in words (audit H9: ``also=[{'name': 'calico-node', …}]``)."""

from __future__ import annotations

import json
import textwrap

from rollsim.present.plotmath import label_of
from rollsim.sweep.experiment_file import load_experiment
from rollsim.sweep.labels import config_label, value_text
from rollsim.sweep.slo import display

ITEM = {"name": "calico-node", "max_unavailable": 3, "ready": "lognormal(median=3, p95=6)"}


def test_a_list_of_daemonsets_reads_as_its_names_and_settings() -> None:
    assert value_text([]) == "none"
    assert value_text([ITEM]) == "calico-node (max_unavailable 3; ready lognormal(median=3, p95=6))"
    assert value_text([{"name": "a"}, {"name": "b", "max_surge": "10%"}]) == "a + b (max_surge 10%)"
    assert value_text({"cpu": "100m"}) == "cpu 100m"
    assert value_text("10%") == "10%" and value_text(5) == "5"


def test_a_value_reads_the_same_from_the_experiment_and_from_summary_csv() -> None:
    """summary.csv holds a swept list as JSON text (keys sorted); a condition read from it and a label
    made from the experiment name the value alike, and the figures' ``label_of`` finds it in the label.
    """
    text = json.dumps([{"name": "calico-node", "max_unavailable": 3}], sort_keys=True)
    assert display(text) == display([{"name": "calico-node", "max_unavailable": 3}]) == (
        "calico-node (max_unavailable 3)")
    label = config_label({"strategy.max_unavailable": 1, "also": [{"name": "calico-node", "max_unavailable": 3}]},
                         None)
    assert label == "max_unavailable=1, also=calico-node (max_unavailable 3)"
    assert label_of("also", text) in label.split(", ")
    assert display("[not json") == "[not json"


def test_grid_labels_name_other_daemonsets_in_words(tmp_path) -> None:
    path = tmp_path / "u.yaml"
    path.write_text(textwrap.dedent("""\
        name: u
        scenario: {cluster: {nodes: 5}, controller: {mode: ideal}}
        grid:
          strategy.max_unavailable: [1, 3]
          also:
            - []
            - [{name: calico-node, max_unavailable: 3}]
        replications: 1
        """))
    labels = [c.label for c in load_experiment(path).configurations]
    assert labels == ["max_unavailable=1, also=none", "max_unavailable=1, also=calico-node (max_unavailable 3)",
                      "max_unavailable=3, also=none", "max_unavailable=3, also=calico-node (max_unavailable 3)"]


def test_an_also_item_reads_alike_whatever_the_order_of_its_keys() -> None:
    """A label (the file's order) and a finding's condition (summary.csv's JSON, keys sorted) spelt one
    also: item two ways; both read the keys in the settings' order now."""
    import json

    item = {"name": "b", "max_unavailable": 4, "schedule": 1, "probe_period": 0, "pull": 2}
    text = "b (max_unavailable 4; schedule 1; pull 2; probe_period 0)"
    assert value_text([item]) == text
    assert value_text(json.dumps([item], sort_keys=True)) == text
