"""Outputs that are not regular files (``rollsim.io.atomic``): a device, a FIFO or ``/dev/stdout``
is written in place and stays what it was; a symlink is written through, and stays a link.

No test here may replace a real device: each one that names a device also makes ``os.replace``
refuse to land on anything but a regular file or a temporary one of its own.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from rollsim.cli import main

from helpers import ROOT

linux = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="Linux's /proc and /dev")


@pytest.fixture
def no_device_replaced(monkeypatch):
    """``os.replace`` that refuses to replace anything existing that is not a regular file."""
    real = os.replace

    def guarded(src: object, dst: object) -> None:
        try:
            mode = os.lstat(dst).st_mode  # type: ignore[arg-type]
        except FileNotFoundError:
            mode = stat.S_IFREG
        assert stat.S_ISREG(mode), f"would replace {dst}"
        real(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", guarded)


def _node_names(text: str) -> list[str]:
    return [item["metadata"]["name"] for item in json.loads(text)["items"]]


def test_a_fifo_is_written_to_its_reader_and_stays_a_fifo(tmp_path, no_device_replaced) -> None:
    fifo = tmp_path / "nodes"
    os.mkfifo(fifo)
    read: list[bytes] = []
    reader = threading.Thread(target=lambda: read.append(fifo.read_bytes()), daemon=True)
    reader.start()
    try:
        assert main(["make-nodes", "3", "--control-plane", "0", "-q", "--out-file", str(fifo)]) == 0
    finally:
        reader.join(5)  # it ends once the writer closes the FIFO
        if reader.is_alive():  # unblock the reader if nothing opened the FIFO for writing
            try:
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            except OSError as exc:  # ENXIO: no reader has it open (any more): nothing to unblock
                if exc.errno != errno.ENXIO:
                    raise
        reader.join(10)
    assert len(_node_names(read[0].decode())) == 3
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nodes"]  # no temporary file left beside it


@linux
def test_dev_null_is_written_and_stays_a_device(capsys, no_device_replaced) -> None:
    before = os.stat("/dev/null")
    assert main(["simulate", "--nodes", "3", "-q", "--timeline", "/dev/null"]) == 0
    assert main(["make-nodes", "3", "-q", "--out-file", "/dev/null"]) == 0
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)
    assert capsys.readouterr().err == ""


def test_a_symlink_is_written_at_its_target_and_stays_a_link(tmp_path) -> None:
    (tmp_path / "target.json").write_text("x\n", encoding="utf-8")
    (tmp_path / "link.json").symlink_to("target.json")
    (tmp_path / "dangling.json").symlink_to("made.json")
    for link in ("link.json", "dangling.json"):
        assert main(["make-nodes", "2", "--control-plane", "0", "-q", "--out-file", str(tmp_path / link)]) == 0
        assert (tmp_path / link).is_symlink()
    assert len(_node_names((tmp_path / "target.json").read_text(encoding="utf-8"))) == 2
    assert len(_node_names((tmp_path / "made.json").read_text(encoding="utf-8"))) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dangling.json", "link.json", "made.json", "target.json"]


def test_a_symlink_into_a_folder_that_cannot_be_written_is_refused_before_work(tmp_path, capsys) -> None:
    (tmp_path / "link.json").symlink_to(tmp_path / "missing" / "n.json")
    assert main(["make-nodes", "2", "--out-file", str(tmp_path / "link.json")]) == 2
    assert "does not exist" in capsys.readouterr().err


@linux
@pytest.mark.parametrize("into", ["pipe", "file"])
def test_standard_output_named_as_a_file_is_the_command_s_standard_output(tmp_path, into) -> None:
    # /proc/self/fd/1 (what /dev/stdout links to): written in place, appended to a file the shell
    # redirected into, never replaced (the shell's descriptor would go on writing a deleted file)
    argv = [sys.executable, "-m", "rollsim", "simulate", "--nodes", "3", "-q", "--timeline", "/proc/self/fd/1"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if into == "pipe":
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=False)
        assert (done.returncode, done.stderr) == (0, "")
        assert done.stdout.startswith("time_s,desired,available,")
    else:
        out = tmp_path / "out.txt"
        out.write_text("before\n", encoding="utf-8")
        with out.open("a", encoding="utf-8") as handle:
            done = subprocess.run(argv, env=env, stdout=handle, stderr=subprocess.PIPE, text=True, timeout=60,
                                  check=False)
        assert (done.returncode, done.stderr) == (0, "")
        assert out.read_text(encoding="utf-8").startswith("before\ntime_s,desired,available,")
