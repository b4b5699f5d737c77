"""A timing profile read back: its timings, and what it says of the pods it was measured from.

``rollsim calibrate`` writes the profile (``profile``). ``--timings PATH`` and ``scenario.timings:
PATH`` read its ``timings`` mapping as the run's timings (``load_timings``). Two more keys say
what the timings are of, and are held against the run, never applied (``read_profile``):
``source.daemonset``, the DaemonSet whose pods were measured (``namespace/name``), which a
manifest's DaemonSet should be; and ``new_pods``, the share of those pods that never got going, by
``--new-pods`` kind (``crashloop: 0.025``), which the run simulates only when given the flag.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rollsim.io.calibrate.phases import PHASES
from rollsim.io.yamldoc import load_yaml
from rollsim.spec.distributions import DistributionError, parse_distribution
from rollsim.spec.faults import CRASHLOOP, PULL_ERROR
from rollsim.spec.quoting import describe, expected_one_of, flow, written

__all__ = ["PROFILE_KEYS", "TimingProfile", "load_timings", "read_profile"]

PROFILE_KEYS = (*PHASES, "terminate", "probe_period")
NEW_POD_KINDS = (CRASHLOOP, PULL_ERROR)


@dataclass(frozen=True)
class TimingProfile:
    """A profile's timings (phase -> canonical spec, ``probe_period`` -> seconds), the DaemonSet its pods
    were of (``namespace/name``, None when it does not say) and ``new_pods`` (kind -> fraction).
    """

    timings: dict[str, str]
    daemonset: str | None = None
    new_pods: dict[str, float] = field(default_factory=dict)


def load_timings(path: str | Path) -> dict[str, str]:
    """The ``timings`` mapping of a profile: phase -> canonical spec, and ``probe_period`` -> seconds.

    The keys are scenario option names (schedule, pull, start, ready, terminate,
    probe_period) and the values their text, ready for ``build_scenario``. A bad file
    is a ConfigError naming the file, the line and the key.
    """
    return read_profile(path).timings


def read_profile(path: str | Path) -> TimingProfile:
    """The profile at ``path`` (``TimingProfile``); a bad file is a ConfigError naming the file, line and key."""
    doc = load_yaml(path)
    if not isinstance(doc.data, dict) or "timings" not in doc.data:
        raise doc.error("timings", "not a timing profile: no 'timings' mapping")
    timings = doc.data["timings"]
    if timings is not None and not isinstance(timings, dict):
        raise doc.error("timings", f"must be a mapping of phase to distribution, got {describe(timings)}")
    out = {}
    for phase, spec in (timings or {}).items():
        try:
            out[phase] = _timing(phase, spec)
        except ValueError as exc:
            raise doc.error(f"timings.{phase}", str(exc)) from None
    source = doc.data.get("source")
    daemonset = source.get("daemonset") if isinstance(source, dict) else None
    if daemonset is not None and not isinstance(daemonset, str):
        raise doc.error("source.daemonset", f"must be the DaemonSet's namespace/name, got {describe(daemonset)}")
    return TimingProfile(out, daemonset, _new_pods(doc))


def _timing(phase: Any, spec: Any) -> str:
    """One ``timings`` entry as ``build_scenario`` takes it; ValueError saying what is wrong."""
    if phase not in PROFILE_KEYS:
        raise ValueError(f"unknown phase; {expected_one_of(phase, PROFILE_KEYS)}")
    if phase != "probe_period":
        try:
            return str(parse_distribution(spec))
        except DistributionError as exc:
            raise ValueError(str(exc)) from None
    number = spec if isinstance(spec, (int, float)) and not isinstance(spec, bool) else None
    if isinstance(spec, str):
        try:
            number = float(spec)
        except ValueError:
            pass
    if number is None:
        raise ValueError(f"must be a number of seconds, got {written(spec)}")
    shown = spec if isinstance(spec, str) else flow(spec)  # 1e400 and .inf as written, not '1e400' or inf
    if not math.isfinite(number):
        raise ValueError(f"must be a finite number of seconds, got {shown}")
    if number < 0:
        raise ValueError(f"must be a non-negative number of seconds, got {shown}")
    return f"{number:g}"


def _new_pods(doc: Any) -> dict[str, float]:
    """The profile's ``new_pods``: kind -> a fraction between 0 and 1."""
    given = doc.data.get("new_pods")
    if given is None:
        return {}
    if not isinstance(given, dict):
        raise doc.error("new_pods", f"must be a mapping of --new-pods kind to a fraction, got {describe(given)}")
    out = {}
    for kind, share in given.items():
        if kind not in NEW_POD_KINDS:
            raise doc.error(f"new_pods.{kind}", f"unknown kind; {expected_one_of(kind, NEW_POD_KINDS)}")
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share <= 1:
            raise doc.error(f"new_pods.{kind}", f"must be a fraction between 0 and 1, got {written(share)}")
        out[str(kind)] = float(share)
    return out

