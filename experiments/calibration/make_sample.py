"""Regenerate the sample ``pods.json`` and ``events.json`` of this folder (and ``timings.yaml``).

A 300-node rollout of a fluentd DaemonSet is simulated with realistic timings (a ~500 MB
image pulled in ~6 s, the agent Ready after ~25 s behind a readiness probe with the default
10 s period, the realistic controller at maxUnavailable 10%), exported in the exact
``kubectl get pods/events -o json`` format, and then roughened the way real clusters are:

* 2 pods never scheduled (no nodeName, no conditions: a node that was cordoned),
* 3 pods whose container restarted (restartCount > 0: startedAt is the last start),
* 2 pods terminating (deletionTimestamp set: their node is being drained),
* 1 pod on a node whose clock is 20 s behind (started "before" it was scheduled),
* 1 pod running but not Ready (its readiness probe keeps failing),
* 1 pod whose first pull failed and backed off (registry rate limit),
* 3 pods without events (events expire after an hour; these were older).

Run from the repository root: ``python3 experiments/calibration/make_sample.py``.
"""

from __future__ import annotations

import copy
import json
import sys
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
sys.path.insert(0, str(HERE.parent.parent / "tests"))  # kubeexport: test-only code, kept out of the package

# after the sys.path lines above, which make the checkout and tests/ importable
from rollsim import build_scenario, simulate  # noqa: E402
from rollsim.io.calibrate import calibrate, format_table, write_timings  # noqa: E402

from kubeexport import DEFAULT_IMAGE, export_events, export_pods  # noqa: E402

SCENARIO = {
    "nodes": 300, "max_unavailable": "10%", "probe_period": 10, "controller": "realistic",
    "schedule": "lognormal(median=0.3, p95=1.2)",  # sub-second: below the 1 s timestamp resolution
    "pull": "lognormal(median=6, p95=14)",  # ~500 MB image from a registry in the same region
    "start": "lognormal(median=2, p95=5)",  # sandbox, hostPath volumes, container start
    "ready": "lognormal(median=25, p95=60)",  # plugins, buffer recovery, first flush to Elasticsearch
}
SEED = 11


def _shift(stamp: str, seconds: float) -> str:
    t = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ") + timedelta(seconds=seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _conditions(pod: dict) -> dict[str, dict]:
    return {c["type"]: c for c in pod["status"]["conditions"]}


def roughen(pods: dict, events: dict) -> None:
    """Break a few pods the way real clusters do (see the module docstring)."""
    items = pods["items"]
    by_pod: dict[str, list[dict]] = {}
    for e in events["items"]:
        by_pod.setdefault(e["involvedObject"]["name"], []).append(e)
    name = [p["metadata"]["name"] for p in items]

    for pod in items[10:12]:  # never scheduled
        del pod["spec"]["nodeName"]
        pod["status"] = {"phase": "Pending", "qosClass": "Burstable"}
        events["items"] = [e for e in events["items"] if e["involvedObject"]["name"] != pod["metadata"]["name"]]

    for k, pod in enumerate(items[40:43]):  # restarted: OOMKilled while replaying its buffer
        cs = pod["status"]["containerStatuses"][0]
        first = cs["state"]["running"]["startedAt"]
        again = _shift(first, 45 + 10 * k)
        cs["lastState"] = {"terminated": {"containerID": cs["containerID"][:-8] + "0badf00d", "exitCode": 137,
                                          "finishedAt": _shift(again, -1), "reason": "OOMKilled",
                                          "startedAt": first}}
        cs["restartCount"] = 1 + k % 2
        cs["state"] = {"running": {"startedAt": again}}
        for kind in ("Ready", "ContainersReady"):
            _conditions(pod)[kind]["lastTransitionTime"] = _shift(again, 20)
        for e in by_pod[pod["metadata"]["name"]]:
            if e["reason"] == "Pulled":  # the restart found the image cached: one more, aggregated event
                later = copy.deepcopy(e)
                later["message"] = f'Container image "{DEFAULT_IMAGE}" already present on machine'
                later["metadata"]["name"] = e["metadata"]["name"][:-1] + "f"
                later["firstTimestamp"] = later["lastTimestamp"] = later["metadata"]["creationTimestamp"] = \
                    _shift(again, -1)
                later["count"] = cs["restartCount"]
                events["items"].append(later)

    for pod in items[70:72]:  # terminating: the node is being drained
        meta = pod["metadata"]
        meta["deletionGracePeriodSeconds"] = 30
        meta["deletionTimestamp"] = _shift(_conditions(pod)["Ready"]["lastTransitionTime"], 300)
        for kind in ("Ready", "ContainersReady"):
            c = _conditions(pod)[kind]
            c.update(status="False", lastTransitionTime=_shift(meta["deletionTimestamp"], 1))

    pod = items[100]  # the node's clock is 20 s behind: the kubelet's times are early
    cs = pod["status"]["containerStatuses"][0]
    cs["state"]["running"]["startedAt"] = _shift(cs["state"]["running"]["startedAt"], -20)
    for kind in ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady"):
        c = _conditions(pod)[kind]
        c["lastTransitionTime"] = _shift(c["lastTransitionTime"], -20)
    pod["status"]["startTime"] = _shift(pod["status"]["startTime"], -20)

    pod = items[130]  # running, never Ready: the readiness probe keeps failing
    cs = pod["status"]["containerStatuses"][0]
    cs["ready"] = False
    for kind in ("Ready", "ContainersReady"):
        _conditions(pod)[kind].update(status="False", reason="ContainersNotReady",
                                      lastTransitionTime=cs["state"]["running"]["startedAt"],
                                      message="containers with unready status: [fluentd-elasticsearch]")

    pod = items[160]  # the first pull hit the registry's rate limit
    pulling = next(e for e in by_pod[pod["metadata"]["name"]] if e["reason"] == "Pulling")
    for reason, kind, message in (
        ("Failed", "Warning", (f'Failed to pull image "{DEFAULT_IMAGE}": rpc error: code = Unknown desc = '
                               "failed to pull and unpack image: 429 Too Many Requests")),
        ("BackOff", "Normal", f'Back-off pulling image "{DEFAULT_IMAGE}"'),
    ):
        e = copy.deepcopy(pulling)
        e.update(reason=reason, type=kind, message=message)
        e["metadata"]["name"] = pulling["metadata"]["name"][:-1] + ("a" if reason == "Failed" else "b")
        events["items"].append(e)

    expired = {name[k] for k in (200, 230, 260)}  # events older than the API server's 1 h TTL
    events["items"] = [e for e in events["items"] if e["involvedObject"]["name"] not in expired]
    events["items"].sort(key=lambda e: e["metadata"]["name"])


def main() -> None:
    result = simulate(build_scenario(**SCENARIO), seed=SEED)
    pods, events = export_pods(result), export_events(result)
    roughen(pods, events)
    for name, doc in (("pods.json", pods), ("events.json", events)):
        (HERE / name).write_text(json.dumps(doc, indent=4, sort_keys=True, ensure_ascii=False) + "\n",
                                 encoding="utf-8")
    rel = HERE.relative_to(Path.cwd()) if HERE.is_relative_to(Path.cwd()) else HERE
    calibration = calibrate(rel / "pods.json", rel / "events.json")
    write_timings(calibration, HERE / "timings.yaml")
    table = format_table(calibration)
    (HERE / "calibrate.txt").write_text(table + "\n", encoding="utf-8")
    print(table)


if __name__ == "__main__":
    main()
