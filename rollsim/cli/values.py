"""The command line's flag values: converters that turn one word into a value or one line saying why not.

Each converter is an argparse ``type=``: a ``ValueError`` from a rule becomes argparse's
``argument --flag: <the rule>`` (exit code 2). The rules themselves live in the library
(``rollsim.spec.options``, ``rollsim.sweep.executors``, ``rollsim.io.outputs``) and are
imported when a value is converted, so building the parser imports neither NumPy nor SciPy.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rollsim.io.outputs import output_folder, output_path, too_long

__all__ = ["any_path", "checked", "count", "daemonset", "epoch_seconds", "input_file", "output_file", "output_folder",
           "results_folder", "rule", "scheduler_address", "workers"]


def _convert(rule: Callable[[str], Any], text: str) -> Any:
    try:
        return rule(text)
    except ValueError as exc:  # argparse's "argument --flag: <the rule>"
        raise argparse.ArgumentTypeError(str(exc)) from None


def checked(rule: Callable[[str], Any]) -> Callable[[str], Any]:
    """Wrap a converter so that its ValueError becomes argparse's 'invalid value' message."""

    def convert(text: str) -> Any:
        return _convert(rule, text)

    convert.__name__ = rule.__name__
    return convert


def rule(name: str) -> Callable[[str], Any]:
    """The converter of scenario option ``name`` (``rollsim.spec.options.RULES``), imported
    when a value is converted: building the parser imports neither NumPy nor SciPy.
    """

    def convert(text: str) -> Any:
        from rollsim.spec.options import RULES

        return _convert(RULES[name], text)

    convert.__name__ = name
    return convert


def workers(text: str) -> int:
    """``run --workers``: a positive integer within the local worker limit
    (``rollsim.sweep.executors.check_workers``, imported when a value is converted).
    """
    from rollsim.spec.options import RULES
    from rollsim.sweep.executors import check_workers

    return _convert(lambda t: check_workers(RULES["workers"](t)), text)


def count(text: str) -> int:
    """A count or a seed (``rollsim.spec.options.non_negative_integer``, imported when used)."""
    from rollsim.spec.options import non_negative_integer

    return _convert(non_negative_integer, text)


def _given(text: str, what: str) -> str:
    """``text``, a path a positional argument gives, unless it is empty: an empty path would be
    read as the current folder and named nowhere.
    """
    if not text.strip():
        raise ValueError(f"must be {what}, got {text!r}")
    return text


def input_file(text: str) -> str:
    """A file to read (``-`` is standard input); a folder or a missing file is refused under its
    argument's name, as ``--manifest`` refuses them (``calibrate adir`` said ``adir: cannot read:
    Is a directory``, ``calibrate nofile`` ``nofile: cannot read: No such file or directory``).
    """
    text = any_path(_given(text, "a file path"))  # before it is looked at (Python 3.11 raises for such a path)
    if text != "-" and Path(text).is_dir():
        raise ValueError(f"is a folder, not a file: {text}")
    if text != "-" and not Path(text).exists():
        raise ValueError(f"no such file: {text}")
    return text


def any_path(text: str) -> str:
    """A path, unless no filesystem holds it (``too_long``): all ``--kubeconfig`` is checked for here,
    since its reader says that it is missing; the first check of every other path argument.
    """
    why = too_long(text)
    if why:
        raise ValueError(why)
    return text


def results_folder(text: str) -> Path:
    """A results folder to read (``plot``, ``report``), not a path no filesystem holds."""
    return Path(any_path(_given(text, "a results folder")))


def daemonset(text: str) -> str:
    """``--daemonset``: ``NAME`` or ``NAMESPACE/NAME`` (``rollsim.spec.kinds.daemonset_ref``)."""
    from rollsim.spec.kinds import daemonset_ref

    return _convert(daemonset_ref, text)


def output_file(text: str) -> Path:
    """A file to write (``rollsim.io.outputs.output_path``)."""
    return output_path(text)


def scheduler_address(text: str) -> str:
    """A Dask scheduler address (``rollsim.sweep.executors.scheduler_address``, imported when used)."""
    from rollsim.sweep.executors import scheduler_address as rule

    return rule(text)


# The years ISO 8601 times can name (datetime's 1 to 9999): their milliseconds fit the int64
# timestamps of .prom/.om samples with room for any run's simulated time (at most the horizon's
# limit, rollsim.spec.scenario.MAX_HORIZON_S).
_EARLIEST_S, _LATEST_S = -62_135_596_800, 253_402_300_799


def epoch_seconds(text: str) -> float:
    """``2024-06-01T12:00:00Z`` or ``1717243200`` -> Unix seconds, from year 1 to year 9999 (ASCII,
    with no ``_``: ``float()`` also reads "١٠٠" and "1_0").
    """
    from rollsim.spec.quantity import go_reads_as_float

    if not go_reads_as_float(text):
        raise ValueError(f"not an ISO 8601 time or Unix seconds: {text!r}")
    try:
        seconds = float(text)
    except ValueError:
        from datetime import UTC, datetime

        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"not an ISO 8601 time or Unix seconds: {text!r}") from None
        seconds = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
    if not _EARLIEST_S <= seconds <= _LATEST_S:  # also NaN and infinities
        raise ValueError(f"must be a time from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z (Unix seconds "
                         f"{_EARLIEST_S} to {_LATEST_S}), whose milliseconds fit a sample's int64 timestamp; "
                         f"got {text!r}")
    return seconds
