"""What an experiment read from a cluster or standard input, kept in its results folder
(``rollsim.sweep.kept_inputs``): one read in ``inputs/``, several each in a numbered folder, the piped
experiment file as read, and only rollsim's files removed.
"""

from __future__ import annotations

from types import SimpleNamespace

from rollsim.sweep.kept_inputs import cluster_reads, forget_kept, kept_files, manifest_inputs, manifest_kept, write_kept

SOURCE = {"context": "prod", "server": "https://k", "server_version": "v1.36.1", "daemonset": "logging/a",
          "daemonset_status": {"numberAvailable": 3}}


def inputs(documents: dict[str, str] | None, source: dict | None = SOURCE):
    return SimpleNamespace(documents=documents, source=source, kubernetes_version="1.36")


def test_one_read_is_kept_in_inputs_and_recorded_with_its_configurations() -> None:
    a = {"daemonset.json": "{a}", "nodes.json": "{n}"}
    reads = cluster_reads([("one", inputs(a)), ("files", inputs(None, None)), ("two", inputs(dict(a)))])
    assert kept_files(reads) == {"inputs/daemonset.json": "{a}", "inputs/nodes.json": "{n}"}
    assert manifest_inputs(reads) == [{
        "files": {"daemonset.manifest": "inputs/daemonset.json", "cluster.nodes_file": "inputs/nodes.json"},
        "kubernetes_version": "1.36", "context": "prod", "server": "https://k", "server_version": "v1.36.1",
        "daemonset": "logging/a", "configurations": ["one", "two"]}]
    assert cluster_reads([("files", inputs(None, None))]) == ()


def test_several_reads_are_kept_apart_in_the_order_first_used() -> None:
    reads = cluster_reads([("b", inputs({"daemonset.json": "{b}", "nodes.json": "{n}"})),
                           ("a", inputs({"daemonset.json": "{a}"})), ("b again", inputs({"daemonset.json": "{b}",
                                                                                        "nodes.json": "{n}"}))])
    assert kept_files(reads) == {"inputs/1/daemonset.json": "{b}", "inputs/1/nodes.json": "{n}",
                                 "inputs/2/daemonset.json": "{a}"}
    assert [r["configurations"] for r in manifest_inputs(reads)] == [["b", "b again"], ["a"]]
    assert manifest_inputs(reads)[1]["files"] == {"daemonset.manifest": "inputs/2/daemonset.json"}


def test_forgetting_removes_rollsims_files_and_leaves_the_users(tmp_path) -> None:
    reads = cluster_reads([("b", inputs({"daemonset.json": "{b}", "nodes.json": "{n}"})),
                           ("a", inputs({"daemonset.json": "{a}"}))])
    write_kept(tmp_path, reads)
    (tmp_path / "inputs" / "2" / ".nodes.json.x1y2.tmp").write_text("{")
    (tmp_path / "inputs" / "1" / "notes.txt").write_text("mine")
    forget_kept(tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == \
        ["inputs", "inputs/1", "inputs/1/notes.txt"]
    (tmp_path / "inputs" / "1" / "notes.txt").unlink()
    forget_kept(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_piped_experiment_is_kept_as_read_and_forgotten_with_the_reads(tmp_path) -> None:
    reads = cluster_reads([("a", inputs({"daemonset.json": "{a}"}))])
    piped = b"\xef\xbb\xbfname: x\r\n"
    assert kept_files(reads, piped) == {"inputs/daemonset.json": "{a}", "inputs/stdin-experiment.yaml": piped}
    assert kept_files((), None) == {}
    assert manifest_kept(reads, piped) == {"inputs": manifest_inputs(reads),
                                           "stdin": {"experiment": "inputs/stdin-experiment.yaml"}}
    assert manifest_kept((), None) == {}
    write_kept(tmp_path, reads, piped)
    assert (tmp_path / "inputs" / "stdin-experiment.yaml").read_bytes() == piped
    (tmp_path / "inputs" / ".stdin-experiment.yaml.x1y2.tmp").write_text("n")
    forget_kept(tmp_path)
    assert list(tmp_path.iterdir()) == []
