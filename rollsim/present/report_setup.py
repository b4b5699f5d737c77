"""The report's account of what was simulated and how: the settings common to every
configuration and those that vary, the assumptions that matter most, and the run's facts
(``manifest.json``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from rollsim.present.render import DASH, count_of, format_duration, format_number, format_setting, format_value
from rollsim.present.report_tables import DESIRED_COLUMN
from rollsim.present.study import desired_counts, desired_differs, desired_spread, same_and_varying
from rollsim.present.summary_rows import num
from rollsim.spec.describe import DESCRIPTION_LABELS
from rollsim.spec.distributions import parse_distribution
from rollsim.spec.eligibility import counted, for_strategy
from rollsim.spec.settings import BY_DESCRIPTION, BY_NAME
from rollsim.sweep.results import Results

__all__ = ["PHASES", "SETTINGS", "assumptions", "run_facts", "simulated_section"]

# describe_scenario key -> how the report names it (units in the name, so values stay plain)
SETTINGS = DESCRIPTION_LABELS
PHASES = {phase: BY_NAME[phase].default for phase in ("schedule", "pull", "start", "ready", "terminate")}


def simulated_section(results: Results, scenarios: list[dict[str, Any]]) -> list[tuple]:
    """The report's "What was simulated": the cluster, the settings common to all configurations
    and the ones that vary.
    """
    e, s = results.experiment, results.summary
    same, varying = same_and_varying(scenarios)
    first = scenarios[0] if scenarios else {}
    differs = desired_differs(results)  # NotReady nodes, churn: the scenarios' count is not the runs'
    counts = desired_counts(results)
    spread = desired_spread(results, counts) if differs else ""
    # one count that every run ended with (NotReady nodes, the same everywhere), or a count that moved in the runs
    one = format_number(next(iter(counts.values()))[0]) if differs and not spread else ""
    moving = spread == "run"  # nodes joined or left, or one configuration's runs ended apart (audit 36)
    # one cluster whose nodes run the DaemonSet in some configurations and not others (tolerations, a
    # nodeSelector: one on no node) is not clusters of different sizes: the results table's column says how many
    column = SETTINGS.get("desired_nodes", "desired_nodes") if "desired_nodes" in varying else DESIRED_COLUMN
    cluster = ("clusters of different sizes" if "nodes" in varying else
               f"{format_number(num(first.get('nodes')))} nodes "
               + (f"({one} run the DaemonSet: “{column}” in the results table)" if one else
                  f"(how many run the DaemonSet changes during the run: “{column}” in the results table gives the "
                  "count at the end)" if moving else
                  f"(how many run the DaemonSet differs by configuration: “{column}” in the results table)"
                  if differs or "desired_nodes" in varying else
                  f"({format_number(num(first.get('desired_nodes')))} run the DaemonSet)"))
    replications = e.get("replications")
    runs = (f"{count_of(len(s), 'configuration')} × {count_of(replications, 'replication')}"
            if isinstance(replications, int) else f"{count_of(len(s), 'configuration')} × {format_value(replications)} "
            "replications")
    blocks: list[tuple] = [("p", [("", f"{runs} of a DaemonSet update on {cluster}." +
                                       (" Settings common to all configurations:" if same else ""))])]
    if same:
        blocks.append(("table", ["setting", "value"],
                       [[SETTINGS.get(k, k), (f"{one} (see the results table)" if one and k == "desired_nodes" else
                                              "see the results table" if one else
                                              "by configuration (see the results table)" if len(s) > 1
                                              and not moving else
                                              "see the results table (it changes during the run)")
                         if differs and k in ("desired_nodes", "not_eligible") else
                         _daemonset(first) if k == "daemonset" else
                         _not_ready(k, first) or _sized_pull(k, scenarios) or _unfitted(k, first)
                         or _setting(k, _not_eligible(first) if k == "not_eligible" else first.get(k))]
                        for k in same if k != "listed_not_ready"
                        # a swept priority is named by its class (system-node-critical): "no class" would contradict it
                        and not (k == "priority_class_name" and "priority" in varying)]))
    if varying:
        blocks.append(("p", [("", "Varied across configurations: " + ", ".join(SETTINGS.get(k, k) for k in varying)
                              + " (columns of the results table).")]))
    return blocks


def _daemonset(scenario: dict[str, Any]) -> str:
    """The DaemonSet's ``namespace/name``, said to be the built-in default when it is: its name
    (the classic fluentd-elasticsearch's), no labels, no requests, no host ports; the shipped
    manifest of that name has labels and requests, and a reader who sees the name alone takes
    it to have been used.
    """
    from rollsim.spec.scenario import DaemonSetSpec

    default = DaemonSetSpec()
    name = scenario.get("daemonset")
    plain = (name == f"{default.namespace}/{default.name}" and not scenario.get("labels")
             and not any(scenario.get(k) for k in ("requests_cpu_millis", "requests_memory_bytes", "host_ports")))
    return f"{name}: the default DaemonSet (no manifest)" if plain else format_setting("daemonset", name)


_BYTES = ("image_size_bytes", "node_bandwidth", "registry_bandwidth")  # what a sized image's pull takes


# the nodes have no allocatable (``describe._requests_unfitted``): what the requests and the other pods' share do
NOT_FITTED = ("no: the nodes have no allocatable cpu or memory (nodes of a count, or a node list without it), so "
              "every pod fits, a surge's second pod too; give pools or a node list with allocatable to fit them")


def _unfitted(key: str, scenario: dict[str, Any]) -> str | None:
    """The rows that say the DaemonSet's requests were not fitted to the nodes (audit 39: a report
    listed the requests and "node utilization 0" as if the scheduler had weighed them): the flag's
    own row, and the other pods' share, which then fills nothing. None otherwise.
    """
    if scenario.get("requests_fitted") is not False:
        return None
    if key == "requests_fitted":
        return NOT_FITTED
    if key == "node_utilization":
        return f"{_setting(key, scenario.get(key))} (not modelled: the nodes have no allocatable)"
    return None


def _sized_pull(key: str, scenarios: list[dict[str, Any]]) -> str | None:
    """The pull row where the image has a size: its pulls take what its bytes take over the node's
    and the registry's bandwidth, shared by the pulls at once, and no pull time is drawn; named with
    their values where every configuration has the same. None where no configuration's image has a size.
    """
    sized = [s.get("image_size_bytes") is not None for s in scenarios]
    if key != "pull" or not any(sized):
        return None
    values, varied = [], []
    for k in _BYTES:
        if len({json.dumps(s.get(k), default=str) for s in scenarios}) == 1:
            values.append(f"{SETTINGS.get(k, k)} {_setting(k, scenarios[0].get(k))}")
        else:
            varied.append(SETTINGS.get(k, k))
    if varied:
        values.append("by configuration, in the results table: " + ", ".join(varied))
    sizes = ("not used: each pull takes the image's bytes over the bandwidths, shared by the pulls at once ("
             + "; ".join(values) + ")")
    if all(sized):
        return sizes
    return (f"{_setting(key, scenarios[0].get(key))} where the image has no size; where it has one, "
            + sizes.replace("not used: ", "", 1))


def _not_ready(key: str, scenario: dict[str, Any]) -> str | None:
    """The NotReady rows when the node list has NotReady nodes of its own (``listed_not_ready``: by
    Ready condition), beside those the settings make NotReady; None otherwise (the setting as it is).
    """
    listed: dict[str, int] = scenario.get("listed_not_ready") or {}
    if not listed or key not in ("not_ready_nodes", "not_ready_condition"):
        return None
    made, total = int(num(scenario.get("not_ready_nodes"))), sum(listed.values())
    if key == "not_ready_nodes":
        more = f", {made:,} more made NotReady" if made else ""
        return f"{total + made:,} ({total:,} listed NotReady in the node list{more})"
    conditions = "; ".join(f"{c} ({n:,} listed)" for c, n in listed.items())
    return conditions + (f"; {scenario.get('not_ready_condition')} ({made:,} made NotReady)" if made else "")


def _not_eligible(scenario: dict[str, Any]) -> list[str]:
    """The description's nodes that do not run the DaemonSet (``3 get no new pod (...): why``), as
    its strategy makes them true (``eligibility.for_strategy``: a rolling update deletes their old pod).
    """
    rolling = scenario.get("strategy") != "OnDelete"
    return [counted(int(count), for_strategy(reason, rolling))
            for count, _, reason in (str(v).partition(" ") for v in scenario.get("not_eligible") or [])]


def _setting(key: str, v: Any) -> str:
    """A setting's value, or what its default is when it was not given: ``unlimited``, ``none``,
    ``max(1, pull rate)`` (the setting's ``shown_default``), where "default" would leave the reader to guess.
    """
    if v is not None:
        return format_setting(key, v)
    setting = BY_DESCRIPTION.get(key)
    if setting is None:
        return "default"
    return setting.shown_default or ("none" if setting.default is None else format_setting(key, setting.default))


def assumptions(results: Results, scenarios: list[dict[str, Any]]) -> list[list[tuple[str, str]]]:
    """The report's "Assumptions that matter most", one list item each: the phase durations, the
    controller model, the probe period, node order and replications.
    """
    def one(key: str) -> Any:
        values = {json.dumps(s.get(key), default=str) for s in scenarios}
        return scenarios[0].get(key) if len(values) == 1 and scenarios else None

    phases = []
    sized = all(s.get("image_size_bytes") is not None for s in scenarios) and bool(scenarios)
    for phase, default in PHASES.items():
        v = one(phase)
        if phase == "pull" and sized:  # the image has a size: its pulls move bytes
            phases.append("pull from the image size and the bandwidths")
            continue
        given = "varies by configuration" if v is None else (
            "default" if str(v) == str(parse_distribution(default)) else "given")
        phases.append(f"{phase} {format_value(v) if v is not None else ''} ({given})".replace("  ", " "))
    from rollsim.spec.scenario import is_default_ready

    ready = one("ready")
    tail = "" if ready is not None and not is_default_ready(ready) else (
        " The default ready time is not a measurement: its straggler tail (2% of nodes Ready after a median of "
        "about 400 s, p95 about 900 s) is fitted to two field reports' totals (README, “One rollout”: the "
        "straggler tail), and where it applies the slowest of those nodes can set most of a rollout's duration; give "
        "your agent's ready time (timings.ready in an experiment, --ready to simulate or plan, or rollsim calibrate "
        "on a past rollout) to replace it.")
    items = [[("", "Phase durations in seconds, drawn independently for each pod: " + "; ".join(phases) +
               ". The defaults for schedule, pull and start come from published measurements cited in "
               "rollsim/spec/scenario.py; the results are only as good as these distributions are for your agent "
               "and image." + tail)]]
    mode = one("controller")
    if mode == "ideal":
        items.append([("b", "Ideal controller: "), ("", ("writes are observed at once, there is no API rate limit "
                                                         "and syncs take no time; durations are lower bounds."))])
    elif mode == "realistic":
        qps, burst, workers = one("kube_api_qps"), one("kube_api_burst"), one("workers")
        usual = "the kube-controller-manager defaults" if (qps, burst) == (20.0, 30) else \
            "not the kube-controller-manager defaults of 20 QPS / burst 30"
        items.append([("b", "Realistic controller: "), ("", (
            f"one API client token bucket of {format_value(qps)} QPS / "
            f"burst {format_value(burst)} ({usual}) shared by every pod create, delete and status write; "
            f"{format_value(workers)} workers; informer watch delay and API latency. On large clusters the "
            "token bucket, not the pods, can set the pace."))])
    else:
        items.append([("", "Controller model varies by configuration (see the table).")])
    period = one("probe_period")
    if period is not None:
        items.append([("", f"Readiness probe period {format_value(period)} s: a pod turns Ready on the first "
                           f"probe tick after its app is ready, adding up to {format_value(period)} s to each "
                           "node's downtime."
                      if num(period) > 0 else "Readiness probe period 0: pods are Ready the moment the app is.")])
    items.append([("", ("Go's random map order decides which nodes go first when the budget admits only some; "
                       "rollsim draws a random node order per run (fixed within the run)."))])
    items.append([("", ("Other places where rollsim departs from the real controller are listed in the README, "
                       "section “Where rollsim departs from the real controller”."))])
    reps = results.experiment.get("replications")
    items.append([("", (f"{reps} replications per configuration with common random numbers (replication r draws "
                       "the same random numbers in every configuration); confidence intervals from few "
                       "replications are wide."))])
    return items


def _model(manifest: Mapping[str, Any]) -> str:
    """`` (model 19, pure build)``: what made the results besides the package's version (a folder
    written before they were recorded has neither: nothing).
    """
    said = [f"model {manifest['model_version']}" if "model_version" in manifest else "",
            f"{manifest['build']} build" if "build" in manifest else ""]
    return f" ({', '.join(w for w in said if w)})" if any(said) else ""


def _kept_from_stdin(manifest: Mapping[str, Any]) -> str:
    """`` (kept as inputs/stdin-experiment.yaml)``: where the folder keeps an experiment file read from
    standard input (``rollsim run -``, ``manifest.json``'s ``stdin``), else nothing.
    """
    stdin = manifest.get("stdin")
    kept = stdin.get("experiment") if isinstance(stdin, dict) else None
    return f" (kept as {kept})" if isinstance(kept, str) else ""


def run_facts(results: Results) -> list[list[str]]:
    """The report's "Run facts" table: the experiment file, runs, executor, times, seed and versions."""
    m, e = results.manifest, results.experiment
    workers = f" with {count_of(m['workers'], 'worker')}" if m.get("workers") and m.get("executor") != "serial" else ""
    versions = ", ".join(f"{k} {m[k]}" + (_model(m) if k == "rollsim" else "")
                         for k in ("rollsim", "python", "simpy", "numpy", "pandas") if k in m)
    wall = num(m.get("wall_s"))
    return [
        ["experiment file", format_value(e.get("source")) + _kept_from_stdin(m)],
        ["runs", (f"{format_value(m.get('runs_total'))} ({format_value(m.get('runs_run'))} run, "
                 f"{format_value(m.get('runs_reused'))} reused from an earlier run)")],
        ["executor", f"{format_value(m.get('executor'))}{workers}"],
        ["wall time (runs and tables)", format_duration(wall) if not math.isnan(wall) else DASH],
        ["started / finished", f"{format_value(m.get('started_at'))} / {format_value(m.get('finished_at'))}"],
        ["root seed", str(m.get("seed", e.get("seed")))],
        ["versions", versions or DASH],
    ]
