"""The calibration of a pod list: its fitted phases, the printed table and the timing profile.

``calibrate`` reads the kubectl files, measures (``phases``) and fits (``fitting``) every
phase; ``format_table`` is what ``rollsim calibrate`` prints; ``write_timings`` writes the
profile that ``scenario.timings: PATH`` reads back with ``load_timings``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from rollsim.io.atomic import write_text
from rollsim.io.calibrate.fitting import MIN_VALUES, PhaseFit, fit_phase, significant
from rollsim.io.calibrate.kubectl import read_document
from rollsim.io.calibrate.phases import PHASES, PULL_START, PULL_START_SETS, pod_phases
from rollsim.io.calibrate.readback import PROFILE_KEYS, TimingProfile, load_timings, read_profile
from rollsim.io.goyaml import SafeDumper
from rollsim.io.yamldoc import ConfigError, line_of, path_parts, source_name
from rollsim.spec.distributions import Empirical

__all__ = ["NO_PULL_MEASURED", "PROFILE_KEYS", "Calibration", "TimingProfile", "calibrate", "calibrate_documents",
           "format_table", "load_timings", "nothing_fitted", "profile_document", "profile_text", "read_profile",
           "write_timings"]

NO_PULL_MEASURED = (
    "no pull was measured: every Pulled event says the image was already present on the machine (a rollout "
    "that changed no image), so these pods do not tell how long pulling a new image takes; the profile's "
    "constant(0) holds only while the image is cached. For an image change, give the pull time: --pull DIST "
    "(or pull: in this timings file), or --image-size with --node-bandwidth/--registry-bandwidth")


@dataclass(frozen=True)
class Calibration:
    """Fitted phases of a pod list, what was skipped and why, and notes; ``failing``: the pods that never got
    going, by ``--new-pods`` kind; ``warnings``: the notes to show where the table is not (``plan --calibrate``).
    """

    phases: dict[str, PhaseFit]
    skipped: dict[str, dict[str, int]]
    resolution: float
    pods: int
    notes: tuple[str, ...] = ()
    source: dict[str, str | None] = field(default_factory=dict)
    failing: dict[str, tuple[str, ...]] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def timings(self) -> dict[str, str]:
        """The profile: phase -> spec for every fitted phase (``pull_start`` becomes start, pull 0).

        With ``ready``, also ``probe_period: "0"``: the measured Ready delay already includes
        the readiness probe's period, which the simulator would otherwise add again.
        """
        out = {}
        for name, fit in self.phases.items():
            if fit.spec is None:
                continue
            if name == PULL_START:
                out["pull"], out["start"] = "constant(0)", fit.spec
            elif name == "pull" and PULL_START in self.phases:
                continue  # already inside pull_start
            else:
                out[name] = fit.spec
        profile = {p: out[p] for p in PHASES if p in out}
        if "ready" in profile:  # measured Ready already waited for the probe: do not wait twice
            profile["probe_period"] = "0"
        return profile

    def new_pods(self) -> dict[str, float]:
        """``--new-pods`` kind -> the fraction of the pods listed that did it (``crashloop: 0.025``)."""
        return {kind: round(len(names) / self.pods, 4) for kind, names in self.failing.items() if self.pods}


_ON_LATTICE = 0.9  # the share of the values a probe period must divide


def _lattice(values: Sequence[float]) -> tuple[int, int]:
    """The largest whole-second period (2 s or more) that divides at least 90% of the non-zero values
    (a readiness probe's period, which Ready waits for), and how many it divides; ``(0, 0)`` if none.
    One value off it (a restart's, a late one) no longer hides the period, as a gcd let it.
    """
    nonzero = [v for v in values if v != 0]
    whole = [int(v) for v in nonzero if v == int(v)]
    if len(nonzero) < MIN_VALUES or len(whole) < _ON_LATTICE * len(nonzero):
        return 0, 0
    periods = np.arange(2, min(max(whole), 600) + 1)
    on = (np.asarray(whole)[None, :] % periods[:, None] == 0).sum(axis=1)
    fits = np.flatnonzero(on >= _ON_LATTICE * len(nonzero))
    return (int(periods[fits[-1]]), int(on[fits[-1]])) if len(fits) else (0, 0)


def _probe_note(values: Sequence[float], period: float | None) -> str | None:
    """What the Ready delays say of the readiness probe's period: the pods' spec gives it, or the values fall on it."""
    if period:
        return (f"ready: the pods' readinessProbe.periodSeconds is {period:g} s, and the Ready delays include "
                "waiting for its probes: the profile sets probe_period 0 so that the simulator does not add it again")
    lattice, on = _lattice(values)
    if not lattice:
        return None
    nonzero = sum(v != 0 for v in values)
    which = "every value is" if on == nonzero else f"{on} of {nonzero} values are"
    likely = "the" if on == nonzero else "probably the"
    return (f"ready: {which} a multiple of {lattice} s, {likely} readiness probe's periodSeconds; "
            "the profile sets probe_period 0 so that the simulator does not add it again")


def calibrate(pods_path: str | Path, events_path: str | Path | None = None, daemonset: str | None = None
              ) -> Calibration:
    """Measure and fit the phases of ``kubectl get pods -o json`` (and ``get events -o json``) files;
    ``-o yaml`` output is read too. ``daemonset`` (``NAME`` or ``NAMESPACE/NAME``) picks one DaemonSet's pods.
    """
    pods_doc, pods_text = read_document(pods_path)
    events_doc, events_text = (None, "") if events_path is None else read_document(events_path)
    pods_source, events_source = source_name(pods_path), None if events_path is None else source_name(events_path)
    try:
        return calibrate_documents(pods_doc, events_doc, pods_source, events_source, daemonset)
    except ConfigError as exc:  # at a key path of one of the files: its line, as every other reader gives
        if not exc.path or exc.line is not None:
            raise
        text = events_text if events_source is not None and exc.file == events_source else pods_text
        raise ConfigError(exc.message, exc.path, exc.file, line_of(text, path_parts(exc.path))) from None


def calibrate_documents(pods_doc: Any, events_doc: Any = None, pods_source: str = "pods",
                        events_source: str | None = None, daemonset: str | None = None) -> Calibration:
    """As ``calibrate``, for parsed pod and event lists (an API server's answers); errors name the sources."""
    try:
        samples = pod_phases(pods_doc, events_doc, daemonset)
    except ConfigError as exc:
        raise ConfigError(exc.message, exc.path, str(events_source if exc.file == "events" and events_source
                                                      else pods_source)) from None
    if samples.pods == 0:  # a profile of nothing would silently keep every default
        raise ConfigError("lists no pods; expected kubectl get pods -o json of a finished rollout's pods",
                          file=pods_source)
    if not any(s.values for s in samples.phases.values()):
        reasons = sorted({r for counts in samples.skipped.values() for r in counts})
        raise ConfigError(f"no pod gave a single phase duration (skipped: {', '.join(reasons) or 'all'})",
                          file=pods_source)
    phases = {name: fit_phase(s.values, samples.resolution, name=name, kinds=s.kinds)
              for name, s in samples.phases.items()}
    pull = samples.phases.get("pull")
    if pull and pull.values and all(v == 0 for v in pull.values):
        phases["pull"] = replace(phases["pull"], note=NO_PULL_MEASURED)
    notes = [f"{name}: {fit.note}" for name, fit in phases.items() if fit.note]
    ready = samples.phases.get("ready")
    fitted = ready is not None and phases["ready"].spec is not None  # the profile then sets probe_period 0
    probe = _probe_note(ready.values, samples.probe_period) if ready and fitted and (
        samples.resolution or samples.probe_period) else None
    if probe:
        notes.append(probe)
    unfitted = PULL_START in phases and phases[PULL_START].spec is None
    notes += [n.replace(PULL_START_SETS, "(too few values for a fit: pull and start keep their defaults)")
              if unfitted else n for n in samples.notes]
    nothing = nothing_fitted(phases)
    if nothing:
        notes.insert(0, nothing)
    source = {"pods": pods_source, "events": events_source,
              **({"daemonset": samples.owners[0]} if samples.owners else {})}
    return Calibration(phases, samples.skipped, samples.resolution, samples.pods, tuple(notes), source,
                       samples.failing, samples.warnings)


def nothing_fitted(phases: Mapping[str, PhaseFit]) -> str:
    """What to say of a profile that fits no phase (each had fewer than ``MIN_VALUES`` values): it holds
    the defaults alone, which ``simulate --timings`` then runs on (audit 42: written, exit 0, without a word).
    """
    if any(fit.spec is not None for fit in phases.values()):
        return ""
    most = max((fit.count for fit in phases.values()), default=0)
    return (f"no phase has the {MIN_VALUES} values a fit needs (at most {most} here): the profile holds no measured "
            "timing, every phase keeps its default; list the pods of a rollout of more nodes, or give the timings "
            "as flags (--pull, --ready ...)")


def _num(x: float, digits: int = 1) -> str:
    return "—" if not math.isfinite(x) else f"{x:.{digits}f}"


def format_table(calibration: Calibration) -> str:
    """The phases as a table (count, median, p95, p99, max, chosen fit, KS D, p-value), skips and notes."""
    rows = [("phase", "n", "median s", "p95 s", "p99 s", "max s", "fit", "KS D", "p-value")]
    for name, f in calibration.phases.items():
        shown = (f"empirical ({len(f.chosen.values)} values)" if isinstance(f.chosen, Empirical)
                 else f.spec or "— (default kept)")
        rows.append((name, str(f.count), _num(f.median), _num(f.p95), _num(f.p99), _num(f.largest), shown,
                     _num(f.ks_statistic, 3), "—" if not math.isfinite(f.p_value) else f"{f.p_value:.2g}"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [f"rollsim calibrate: {calibration.pods:,} pod{'' if calibration.pods == 1 else 's'} from "
             f"{calibration.source.get('pods', '?')}"
             + (f" with events from {calibration.source['events']}" if calibration.source.get("events") else "")]
    for r in rows:
        cells = [c.ljust(w) if i in (0, 6) else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))]
        lines.append("  " + "  ".join(cells).rstrip())
    res = calibration.resolution
    lines.append(f"  resolution: {'whole-second timestamps (1 s)' if res else 'fractional timestamps'}; "
                 "fits corrected for rounding; KS D against the fit as measured")
    tried = []
    for name, f in calibration.phases.items():
        parts = [f"{x.family} D={x.ks_statistic:.3f} p={x.p_value:.2g}"
                 + (" (tail too light)" if x.tail and x.tail.refused else "") if x.distribution else f"{x.family} —"
                 for x in f.families]
        if parts:
            tried.append(f"    {name}: " + ", ".join(parts))
    if tried:
        lines += ["  families tried:", *tried]
    skips = [f"    {name}: " + ", ".join(f"{reason} {count}" for reason, count in reasons.items())
             for name, reasons in calibration.skipped.items() if reasons]
    lines += ["  skipped pods:", *(skips or ["    none"])]
    lines += ["  notes:", *(f"    - {note}" for note in calibration.notes)]
    return "\n".join(lines)


def _clean(x: float) -> float | None:
    return significant(x) if math.isfinite(x) else None


class _Dumper(SafeDumper):
    """Block mappings, flow lists: the empirical values stay compact."""


_Dumper.add_representer(list, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))


def profile_document(calibration: Calibration) -> dict[str, Any]:
    """The timing profile as plain data: ``timings`` (what ``load_timings`` reads); ``new_pods``, the share of
    the pods that never got going by ``--new-pods`` kind (when any did: simulate and plan warn with it, and
    apply it only when given the flag); ``source``, with the DaemonSet the pods are of (``daemonset``:
    ``namespace/name``, which simulate and plan hold against a manifest's); then how each phase was fitted,
    the counts, skips, notes and the empirical values.
    """
    fits = {name: {"count": f.count, "mean_s": _clean(f.mean), "median_s": _clean(f.median), "p95_s": _clean(f.p95),
                   "p99_s": _clean(f.p99), "max_s": _clean(f.largest),
                   "fit": f"empirical: the {name} values below" if isinstance(f.chosen, Empirical) else f.spec,
                   "ks_statistic": _clean(f.ks_statistic), "p_value": _clean(f.p_value),
                   "families": {x.family: ({"spec": str(x.distribution), "ks_statistic": _clean(x.ks_statistic),
                                            "p_value": _clean(x.p_value), **({"tail": x.note} if x.note else {})}
                                           if x.distribution else x.note)
                                for x in f.families},
                   **({"note": f.note} if f.note else {})}
            for name, f in calibration.phases.items()}
    timings: dict[str, Any] = calibration.timings()
    if "probe_period" in timings:
        timings["probe_period"] = float(timings["probe_period"])
    new_pods = calibration.new_pods()
    doc = {
        "timings": timings,
        **({"new_pods": new_pods} if new_pods else {}),
        "source": {**calibration.source, "pods_listed": calibration.pods,
                   "resolution_s": calibration.resolution},
        "counts": {name: f.count for name, f in calibration.phases.items()},
        "fits": fits,
        "skipped": calibration.skipped,
        "notes": list(calibration.notes),
        "empirical": {name: list(f.empirical.values) if f.empirical else [] for name, f in calibration.phases.items()},
    }
    return doc


def profile_text(calibration: Calibration) -> str:
    """The timing profile as the YAML file ``write_timings`` writes (``rollsim calibrate -o yaml``)."""
    header = ("# A timing profile written by rollsim calibrate. Use it with `scenario.timings: PATH`\n"
              "# or `rollsim simulate --timings PATH`: the `timings` mapping is read as the timings; `new_pods`\n"
              "# and `source.daemonset` are held against the run (a warning each), never applied.\n")
    return header + yaml.dump(profile_document(calibration), Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                              width=100)


def write_timings(calibration: Calibration, path: str | Path) -> None:
    """Write the timing profile (``profile_text``) atomically: use it as ``scenario.timings: PATH``."""
    write_text(Path(path), profile_text(calibration))
