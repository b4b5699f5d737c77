"""What an experiment read from a live cluster or standard input, kept in its results folder's ``inputs/``.

A sweep whose ``daemonset.manifest`` is ``ds/NAME`` (or whose nodes come from ``--context``) reads
the cluster as it is when it runs; run again later, it reads the cluster as it is then. So the
results folder keeps the DaemonSet and the node list as the API server gave them
(``rollsim.io.live.LiveInputs.documents``): ``inputs/daemonset.json`` and ``inputs/nodes.json``,
files that ``daemonset.manifest`` and ``cluster.nodes_file`` read, which repeat the sweep without
the cluster. An experiment whose configurations read the cluster more than once (two ``ds/NAME``,
or one beside a node list of its own) keeps each read apart, in ``inputs/1/``, ``inputs/2/``, ...,
numbered in the order of the first configuration built from it.

An experiment file read from standard input (``rollsim run -``) is kept likewise, byte for byte, as
``inputs/stdin-experiment.yaml``: the pipe is gone once read, and ``experiment.yaml`` holds the
experiment resolved, not the file that repeats it.

They belong with the tables (``rollsim.sweep.runner``): written after them and before
``manifest.json``, which records them (``manifest_kept``), and removed with them
(``rollsim.sweep.folder.forget_tables``), so that a finished folder never holds another sweep's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rollsim.io.atomic import temporary_of, write_text
from rollsim.io.live import DAEMONSET_DOCUMENT, NODES_DOCUMENT

__all__ = ["INPUTS", "STDIN_EXPERIMENT", "ClusterRead", "cluster_reads", "forget_kept", "kept_files", "kept_in_place",
           "manifest_inputs", "manifest_kept", "remove_kept_debris", "write_kept"]

INPUTS = "inputs"
STDIN_EXPERIMENT = "stdin-experiment.yaml"  # an experiment file read from standard input, in inputs/
_KEYS = {DAEMONSET_DOCUMENT: "daemonset.manifest", NODES_DOCUMENT: "cluster.nodes_file"}  # the keys that read each
# rollsim's files in inputs/, and no other
_KEPT = re.compile(rf"(?:\d+/)?(?:{'|'.join(map(re.escape, _KEYS))})|{re.escape(STDIN_EXPERIMENT)}")
_PIPED = f"{INPUTS}/{STDIN_EXPERIMENT}"  # its path in the results folder
_SOURCE = ("context", "server", "server_version", "daemonset", "daemonset_resource_version")


@dataclass(frozen=True)
class ClusterRead:
    """One read of a live cluster an experiment made: the documents it gave (by file name), where they
    came from (``source``: context, server and its version, the DaemonSet), the Kubernetes version its
    configurations simulate unless they set one (the cluster's, as a modelled minor: a file does not
    carry it), and the labels of the configurations built from it.
    """

    documents: Mapping[str, str]
    source: Mapping[str, Any]
    kubernetes_version: str | None
    configurations: tuple[str, ...]


def cluster_reads(built: Sequence[tuple[str, Any]]) -> tuple[ClusterRead, ...]:
    """The distinct reads of a cluster behind ``built`` (each configuration's label and its
    ``rollsim.io.inputs.Inputs``), by what the cluster gave, in the order first used.
    """
    reads: dict[str, ClusterRead] = {}
    for label, inputs in built:
        documents = dict(inputs.documents or {})
        if not documents:
            continue
        key = json.dumps(documents, sort_keys=True)
        read = reads.get(key)
        if read is None:
            source = {k: v for k, v in (inputs.source or {}).items() if k in _SOURCE}
            reads[key] = ClusterRead(documents, source, inputs.kubernetes_version, (label,))
        else:
            reads[key] = ClusterRead(read.documents, read.source, read.kubernetes_version,
                                     (*read.configurations, label))
    return tuple(reads.values())


def _folder(reads: Sequence[ClusterRead], i: int) -> str:
    """Where read ``i`` is kept: ``inputs`` when it is the only one, else ``inputs/<i + 1>``."""
    return INPUTS if len(reads) == 1 else f"{INPUTS}/{i + 1}"


def kept_files(reads: Sequence[ClusterRead], piped: bytes | None = None) -> dict[str, str | bytes]:
    """The files that keep ``reads`` and the experiment file ``piped`` in (its bytes as read from
    standard input, if it was), by path in the results folder, with their text.
    """
    files: dict[str, str | bytes] = {f"{_folder(reads, i)}/{name}": read.documents[name]
                                     for i, read in enumerate(reads) for name in _KEYS if name in read.documents}
    if piped is not None:
        files[_PIPED] = piped
    return files


def manifest_inputs(reads: Sequence[ClusterRead]) -> list[dict[str, Any]]:
    """``manifest.json``'s ``inputs``: per read, the kept files by the experiment key that reads each,
    the version to simulate them with, where they came from, and the configurations built from them.
    """
    return [{"files": {_KEYS[name]: f"{_folder(reads, i)}/{name}" for name in _KEYS if name in read.documents},
             "kubernetes_version": read.kubernetes_version, **read.source,
             "configurations": list(read.configurations)} for i, read in enumerate(reads)]


def manifest_kept(reads: Sequence[ClusterRead], piped: bytes | None = None) -> dict[str, Any]:
    """``manifest.json``'s record of what the folder keeps: ``inputs``, each read of a cluster
    (``manifest_inputs``), and ``stdin``, where the experiment file read from standard input is.
    """
    return {**({"inputs": manifest_inputs(reads)} if reads else {}),
            **({"stdin": {"experiment": _PIPED}} if piped is not None else {})}


def write_kept(out: Path, reads: Sequence[ClusterRead], piped: bytes | None = None) -> None:
    """Write the files that keep ``reads`` and ``piped`` in ``out``, each whole (``rollsim.io.atomic``)."""
    for path, text in kept_files(reads, piped).items():
        write_text(out / path, text)


def kept_in_place(out: Path, reads: Sequence[ClusterRead], piped: bytes | None = None) -> bool:
    """Whether ``out`` holds every file that keeps ``reads`` and ``piped`` (a folder written before
    rollsim kept them, or one whose files were deleted, has its tables rebuilt to write them).
    """
    return all((out / path).is_file() for path in kept_files(reads, piped))


def _kept_files(out: Path, temporary_only: bool = False) -> list[Path]:
    """The files rollsim keeps in ``out/inputs`` and the temporaries a killed write of them left
    (``.nodes.json.XXXX.tmp``; with ``temporary_only``, those alone): not a file of the user's.
    """
    folder = out / INPUTS
    if not folder.is_dir():
        return []
    found = []
    for path in folder.rglob("*"):
        name = temporary_of(path.name) or path.name
        if (name != path.name or not temporary_only) and path.is_file() and \
                _KEPT.fullmatch((path.parent / name).relative_to(folder).as_posix()):
            found.append(path)
    return found


def forget_kept(out: Path) -> None:
    """Remove the files rollsim keeps in ``out/inputs`` (and what a killed write of them left), then
    the folders that leaves empty: a file of the user's there stays, and its folder with it.
    """
    for path in _kept_files(out):
        path.unlink(missing_ok=True)
    folder = out / INPUTS
    if folder.is_dir():
        for path in [*sorted((p for p in folder.rglob("*") if p.is_dir()), reverse=True), folder]:
            try:
                path.rmdir()
            except OSError:  # it holds other files: it stays
                pass


def remove_kept_debris(out: Path) -> None:
    """Remove the temporaries a killed write of the kept inputs left (``rollsim.sweep.folder.remove_debris``)."""
    for path in _kept_files(out, temporary_only=True):
        path.unlink(missing_ok=True)
