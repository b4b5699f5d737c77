"""Small ``kubectl get pods/events -o json`` lists written by hand, for calibrate's tests.

``rollout`` builds a DaemonSet's pods with ordinary phases (created in groups, scheduled, pulled,
started, Ready after a probe tick) and their kubelet events, as audit 25's ``mkpods.py`` did;
``pod`` and the event helpers change one pod the way a real cluster does (a restart, a crash loop,
a pull that backed off, a readiness flap). Times are seconds after ``T0``, printed as whole-second
RFC 3339 as the API server keeps them.

Imported by name (``from podlists import rollout``), as ``helpers`` is.
"""

from __future__ import annotations

import json
import math
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

__all__ = ["T0", "event", "listed", "pod", "rollout", "stamp", "write"]

T0 = datetime(2026, 12, 1, 9, 0, 0, tzinfo=UTC)
IMAGE = "fluent/fluentd:v1.17"


def stamp(t: float) -> str:
    """``t`` seconds after ``T0`` as the API server prints a ``metav1.Time`` (whole seconds, truncated)."""
    return (T0 + timedelta(seconds=math.floor(t))).strftime("%Y-%m-%dT%H:%M:%SZ")


def event(pod: dict, reason: str, t: float, message: str, *, count: int = 1, last: float | None = None,
          kind: str = "Normal") -> dict:
    """An event the kubelet (or a controller) recorded on ``pod``, folded ``count`` times up to ``last``."""
    meta = pod["metadata"]
    return {"apiVersion": "v1", "kind": "Event", "type": kind, "reason": reason, "message": message, "count": count,
            "metadata": {"name": f"{meta['name']}.{reason}.{t}", "namespace": meta["namespace"],
                         "creationTimestamp": stamp(t)},
            "involvedObject": {"apiVersion": "v1", "kind": "Pod", "name": meta["name"],
                               "namespace": meta["namespace"], "uid": meta["uid"],
                               "fieldPath": "spec.containers{fluentd}"},
            "firstTimestamp": stamp(t), "lastTimestamp": stamp(t if last is None else last),
            "source": {"component": "kubelet", "host": pod["spec"].get("nodeName", "")}}


def pod(name: str, created: float, *, scheduled: float = 0.3, pull: float = 4.0, start: float = 1.2,
        ready: float | None = 20.0, owner: tuple[str, str] = ("DaemonSet", "fluentd"), namespace: str = "logging",
        probe: dict | None = None, restarts: int = 0, crash_s: float = 20.0,
        crash_loop: bool = False, backed_off: float | None = None, ready_at: float | None = None,
        started_events: str = "each") -> tuple[dict, list[dict]]:
    """A pod and its events: created at ``created``, scheduled ``scheduled`` later, its image pulled in ``pull``
    seconds, its container started ``start`` after the pull and Ready ``ready`` after it started.

    ``restarts``: the container crashed (OOMKilled) that many times after ``crash_s``, restarted after the
    kubelet's back-off (0, 10, 20 s ...), and was Ready ``ready`` after its last start; ``started_events``:
    "each" (one Started event folded over every start, as the recorder does), "last" (only the last start's) or
    "none". ``crash_loop``: in CrashLoopBackOff, never Ready. ``backed_off``: the first pull attempts failed
    (429) and the image was pulled ``backed_off`` seconds after the first Pulling. ``ready_at``: the Ready
    condition's time as given (a later transition), instead of its first readiness.
    """
    t_sched = created + scheduled
    t_pulling = t_sched + 0.4
    took = pull if backed_off is None else backed_off
    first = t_pulling + took + start
    starts = [first]
    for k in range(restarts):
        starts.append(starts[-1] + crash_s + (0 if k == 0 else 10 * 2 ** (k - 1)))
    last = starts[-1]
    conditions = [{"type": "PodScheduled", "status": "True", "lastProbeTime": None,
                   "lastTransitionTime": stamp(t_sched)},
                  {"type": "Initialized", "status": "True", "lastProbeTime": None,
                   "lastTransitionTime": stamp(t_sched)}]
    status: dict[str, Any] = {"name": "fluentd", "image": IMAGE, "restartCount": restarts}
    if restarts:
        status["lastState"] = {"terminated": {"exitCode": 137, "reason": "OOMKilled",
                                              "startedAt": stamp(starts[-2]), "finishedAt": stamp(starts[-2] + 5)}}
    if crash_loop or ready is None:
        for kind in ("Ready", "ContainersReady"):
            conditions.append({"type": kind, "status": "False", "lastProbeTime": None,
                               "lastTransitionTime": stamp(last), "reason": "ContainersNotReady"})
        status.update(ready=False, started=not crash_loop)
        status["state"] = ({"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s restarting"}}
                           if crash_loop else {"running": {"startedAt": stamp(last)}})
    else:
        when = last + ready if ready_at is None else ready_at
        for kind in ("Ready", "ContainersReady"):
            conditions.append({"type": kind, "status": "True", "lastProbeTime": None,
                               "lastTransitionTime": stamp(when)})
        status.update(ready=True, started=True, state={"running": {"startedAt": stamp(last)}})
    container: dict[str, Any] = {"name": "fluentd", "image": IMAGE}
    if probe is not None:
        container["readinessProbe"] = {"httpGet": {"path": "/metrics", "port": 24231}, **probe}
    the_pod = {"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": name, "namespace": namespace, "uid": f"uid-{name}",
                            "creationTimestamp": stamp(created),
                            "labels": {"app": "fluentd", "controller-revision-hash": "7d9f8c6b5"},
                            "ownerReferences": [{"apiVersion": "apps/v1", "kind": owner[0], "name": owner[1],
                                                 "uid": f"uid-{owner[1]}", "controller": True}]},
               "spec": {"nodeName": f"node-{name}", "containers": [container], "restartPolicy": "Always"},
               "status": {"phase": "Running", "conditions": conditions, "containerStatuses": [status],
                          "startTime": stamp(t_sched)}}
    events = [event(the_pod, "Pulling", t_pulling, f'Pulling image "{IMAGE}"')]
    if backed_off is not None:
        events += [event(the_pod, "Failed", t_pulling + 2, f'Failed to pull image "{IMAGE}": 429 Too Many Requests',
                         kind="Warning"),
                   event(the_pod, "BackOff", t_pulling + 3, f'Back-off pulling image "{IMAGE}"')]
        message = f'Successfully pulled image "{IMAGE}" in {pull:.3f}s ({pull:.3f}s including waiting)'
    else:
        message = f'Successfully pulled image "{IMAGE}" in {took:.3f}s ({took:.3f}s including waiting)'
    events.append(event(the_pod, "Pulled", t_pulling + took, message))
    if started_events == "each":
        events.append(event(the_pod, "Started", first, "Started container fluentd", count=len(starts), last=last))
    elif started_events == "last":
        events.append(event(the_pod, "Started", last, "Started container fluentd"))
    return the_pod, events


def rollout(n: int = 40, *, seed: int = 7, probe: dict | None = None, special: dict[int, dict] | None = None,
            owner: str = "fluentd") -> tuple[list[dict], list[dict]]:
    """``n`` pods of DaemonSet ``owner`` rolled out 4 at a time every 30 s, Ready 20 to 60 s after their start
    (a 10 s probe lattice), and their events; ``special``: index -> ``pod`` keyword arguments for that pod.
    """
    rng = random.Random(seed)
    pods, events = [], []
    for i in range(n):
        kwargs: dict[str, Any] = {"scheduled": rng.lognormvariate(math.log(0.3), 0.6),
                                  "pull": rng.lognormvariate(math.log(4.0), 0.4),
                                  "start": rng.lognormvariate(math.log(1.2), 0.3),
                                  "ready": 10 * math.ceil((5 + rng.lognormvariate(math.log(12), 0.5)) / 10),
                                  "probe": probe, "owner": ("DaemonSet", owner)}
        kwargs.update((special or {}).get(i, {}))
        p, e = pod(f"{owner}-{i:03d}", 30 * (i // 4) + rng.uniform(0, 2), **kwargs)
        pods.append(p)
        events += e
    return pods, events


def listed(objects: list[dict]) -> dict:
    """``objects`` as ``kubectl get -o json`` lists them."""
    return {"apiVersion": "v1", "kind": "List", "items": objects, "metadata": {"resourceVersion": ""}}


def write(folder: Path, pods: list[dict], events: list[dict] | None = None) -> tuple[Path, Path | None]:
    """The pods (and events) as ``pods.json`` (and ``events.json``) in ``folder``."""
    pods_path = folder / "pods.json"
    pods_path.write_text(json.dumps(listed(pods)), encoding="utf-8")
    if events is None:
        return pods_path, None
    events_path = folder / "events.json"
    events_path.write_text(json.dumps(listed(events)), encoding="utf-8")
    return pods_path, events_path
