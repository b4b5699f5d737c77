"""Calibration: pod phase durations measured from ``kubectl get pods/events -o json``, then fitted.

``rollsim calibrate pods.json --events events.json -o timings.yaml`` reads what the API
server recorded about a finished rollout and writes a timing profile for the simulator.

What is measured, per pod (all times are the API server's)::

    schedule   = PodScheduled.lastTransitionTime − metadata.creationTimestamp
    pull       = the kubelet's Pulled event: "Successfully pulled image "x" in 6.1s (6.1s
                 including waiting)" (the total, which is what delays the pod), 0 for
                 "already present on machine", or Pulled − Pulling event timestamps
    start      = max(containerStatuses[].state.running.startedAt) − PodScheduled − pull
                 (sandbox, volumes and container start; needs pull to the millisecond)
    ready      = Ready.lastTransitionTime − max(startedAt); this includes the readiness
                 probe's period, so simulate it with ``probe_period: 0``
    pull_start = startedAt − PodScheduled, instead of pull and start without pull events

A restarted container's start is its first (``restarts``), so its crash and back-off are in
its pod's ready; a Ready time the pod's events show to be a later transition of the condition
(a readiness flap, a node outage) is left out of ready (``readiness``).

``terminate`` cannot be measured from a pod list: pods that finished terminating are gone.

The API server's timestamps are whole seconds, so every value is tagged with how it was
measured, and both the fits and the goodness-of-fit test use the distribution as it would
be measured: whole-second data are not rejected for being whole seconds.

The modules, in the order the data flows through them:

* ``kubectl``: the documents and their text (RFC 3339 times, Go durations, Pulled messages);
* ``events``: each pod's events; ``pulls``: its image pull from them;
* ``records``: each pod's times and containers; ``owners``: which DaemonSet's pods are measured;
* ``restarts``: a restarted pod's first start, and pods that never got going (crash loops);
* ``readiness``: whether a pod's Ready time is its first readiness or a later transition;
* ``phases``: each pod's phases, with the reasons pods are skipped (``pod_phases``);
* ``measurement``: the whole-second measurement model and the KS test (``ks_test``);
* ``fitting``: the families fitted to a phase and the one chosen (``fit_phase``);
* ``profile``: ``calibrate``, the printed table and the timing profile file;
* ``readback``: a timing profile read back (``load_timings``, ``read_profile``).
"""

from rollsim.io.calibrate.fitting import ALPHA, FamilyFit, PhaseFit, fit_phase
from rollsim.io.calibrate.kubectl import PullMessage, parse_go_duration, parse_pulled_message, parse_time
from rollsim.io.calibrate.measurement import ks_test
from rollsim.io.calibrate.phases import PHASES, PhaseSample, PhaseSamples, pod_phases
from rollsim.io.calibrate.profile import (
    Calibration,
    TimingProfile,
    calibrate,
    calibrate_documents,
    format_table,
    load_timings,
    profile_document,
    profile_text,
    read_profile,
    write_timings,
)

__all__ = [
    "ALPHA",
    "PHASES",
    "Calibration",
    "TimingProfile",
    "FamilyFit",
    "PhaseFit",
    "PhaseSample",
    "PhaseSamples",
    "PullMessage",
    "calibrate",
    "calibrate_documents",
    "fit_phase",
    "format_table",
    "ks_test",
    "load_timings",
    "parse_go_duration",
    "parse_pulled_message",
    "parse_time",
    "pod_phases",
    "profile_document",
    "profile_text",
    "read_profile",
    "write_timings",
]
