"""``also:`` items that name their manifest (``rollsim.sweep.also_manifests``): a DaemonSet kept to one
pool by its nodeSelector and tolerations, updated beside others (audit 41: an item took settings only).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rollsim import build_scenario
from rollsim.io.yamldoc import ConfigError
from rollsim.spec.optionerrors import OptionError
from rollsim.sweep.experiment import configuration_key
from rollsim.sweep.experiment_file import load_experiment

GPU = """\
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: gpu-plugin, namespace: kube-system}
spec:
  selector: {matchLabels: {app: gpu}}
  updateStrategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 2}}
  template:
    metadata: {labels: {app: gpu}}
    spec:
      nodeSelector: {pool: gpu}
      tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]
      containers: [{name: p, image: nvidia/k8s-device-plugin:v0.15, resources: {requests: {cpu: 50m}}}]
"""
EXPERIMENT = """\
name: with-gpu
scenario:
  cluster:
    pools:
      - {{name: general, count: 40}}
      - {{name: gpu, count: 6, labels: {{pool: gpu}}, taints: [{{key: nvidia.com/gpu, effect: NoSchedule}}]}}
  also:
    - {item}
    - {{name: node-exporter, max_unavailable: 10%}}
replications: 1
"""


def _load(tmp_path: Path, item: str = "{name: gpu-plugin, namespace: kube-system, manifest: gpu.yaml}",
          manifest: str = GPU):
    (tmp_path / "gpu.yaml").write_text(manifest)
    path = tmp_path / "exp.yaml"
    path.write_text(EXPERIMENT.format(item=item))
    return load_experiment(path)


def test_an_items_manifest_places_its_daemonset_and_its_keys_override_the_manifest(tmp_path: Path) -> None:
    (config,) = _load(tmp_path).configurations
    gpu, exporter = config.scenario.also  # namespace/name order
    assert gpu.daemonset.key == "kube-system/gpu-plugin"
    assert dict(gpu.daemonset.placement.node_selector) == {"pool": "gpu"}
    assert gpu.daemonset.strategy.max_unavailable == 2 and gpu.daemonset.requests_cpu_millis == 50
    # its nodeSelector and toleration keep it to the gpu pool, which the study's DaemonSet does not tolerate
    from rollsim.spec.eligibility import eligibility_report

    nodes = config.scenario.nodes
    assert eligibility_report(nodes, gpu.daemonset.placement).eligible == 6
    assert eligibility_report(nodes, config.scenario.daemonset.placement).eligible == 40
    assert eligibility_report(nodes, exporter.daemonset.placement).eligible == 40
    (over,) = _load(tmp_path, "{name: gpu-plugin, namespace: kube-system, manifest: gpu.yaml, max_unavailable: 1}"
                    ).configurations
    assert over.scenario.also[0].daemonset.strategy.max_unavailable == 1  # the item's key wins, as a flag does


def test_its_runs_are_new_when_the_manifest_changes(tmp_path: Path) -> None:
    (before,) = _load(tmp_path).configurations
    (same,) = _load(tmp_path).configurations
    (after,) = _load(tmp_path, manifest=GPU.replace("maxUnavailable: 2", "maxUnavailable: 3")).configurations
    assert configuration_key(before) == configuration_key(same) != configuration_key(after)


@pytest.mark.parametrize("item, said", [
    ("{name: gpu-plugin, namespace: kube-system, manifest: nope.yaml}",
     "exp.yaml:8: scenario.also[0].manifest: no such file: {dir}/nope.yaml"),
    ("{name: other, namespace: kube-system, manifest: gpu.yaml}",
     "gpu.yaml:1: no DaemonSet named 'other' in this file; it has: kube-system/gpu-plugin"),
    ("{name: gpu-plugin, manifest: 5}", "exp.yaml:8: scenario.also[0].manifest: must be a file path, got 5"),
])
def test_a_bad_manifest_is_named_where_it_is_given(tmp_path: Path, item: str, said: str) -> None:
    with pytest.raises(ConfigError) as error:
        _load(tmp_path, item)
    assert str(error.value).endswith(said.format(dir=tmp_path))


def test_from_python_a_manifest_path_is_refused_with_the_way_to_give_it() -> None:
    with pytest.raises(OptionError, match="read it with rollsim.load_daemonset and give it as daemonset_spec"):
        build_scenario(nodes=3, also=[{"name": "x", "manifest": "a.yaml"}])
