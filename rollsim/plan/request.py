"""``rollsim plan`` as one call: inputs (files or a live cluster), constraints, search, output.

``PlanRequest`` holds what the command line gives; ``run_request`` reads the inputs with
``rollsim.io.inputs.load_inputs`` (so a manifest ``ds/NAME`` and ``--context`` read the
cluster, with ``calibrate`` fitting timings from its pods and events), builds the scenario
with ``build_scenario``, and calls ``plan``; ``format_plan`` is what the command prints.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rollsim.plan.constraints import Constraints
from rollsim.plan.run import PlanResult, plan
from rollsim.plan.search import SearchSettings
from rollsim.plan.store import RUNS_FILE
from rollsim.present.plan_evidence import bound_name, current_marked, margin_words, weighed
from rollsim.present.plan_report import default_tail_words, extra_capacity
from rollsim.present.render import format_bound, format_duration, format_share, format_workers
from rollsim.sweep.progress import EVERY_S

__all__ = ["PlanRequest", "default_folder", "format_plan", "plan_scenario", "run_request"]


@dataclass(frozen=True)
class PlanRequest:
    """A plan as the command line asks for it (``files``: see ``rollsim.io.fileoptions.FILE_OPTIONS``)."""

    constraints: Constraints = field(default_factory=Constraints)
    settings: SearchSettings = field(default_factory=SearchSettings)
    files: Mapping[str, Any] = field(default_factory=dict)
    daemonset: str | None = None
    live: Mapping[str, Any] | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    out: Path | None = None
    workers: int | None = None
    executor: str | None = None
    scheduler: str | None = None
    progress: bool = True  # a run counter on a terminal's standard error (-q: none)


_FILE_FLAGS = {"manifest": "--manifest", "nodes_file": "--nodes-file", "timings_file": "--timings"}


def scenario_flags(files: Mapping[str, Any], daemonset: str | None, options: Mapping[str, Any]) -> list[str]:
    """The flags of a plan that shape its scenario, as ``rollsim simulate`` takes them (the input files
    as given, ``--daemonset``, ``--strict``, and every scenario option given), as arguments: what the
    answer's reproduce line repeats (audit 30: it named "the plan's inputs", which the user had to
    rebuild). ``--kubernetes-version`` is left to the line, which gives the version the plan simulated.
    """
    tokens: list[str] = []
    for name, flag in _FILE_FLAGS.items():
        if files.get(name) is not None:
            tokens += [flag, str(files[name])]
    if daemonset is not None:
        tokens += ["--daemonset", daemonset]
    if files.get("strict"):
        tokens.append("--strict")
    for name, value in options.items():
        if value is None or name == "kubernetes_version":
            continue
        flag = "--" + name.replace("_", "-")
        tokens += [flag, repr(value) if isinstance(value, float) else str(value)]
    return tokens


def plan_scenario(request: PlanRequest):
    """The scenario to plan for, its warnings, where its inputs came from, and the inputs a cluster
    gave as files (``saved_inputs``), for the plan folder to keep.

    A named cluster (``--context``, ``--kubeconfig``) is asked its version whatever the manifest's
    source and whether ``--kubernetes-version`` is given (that flag chooses the controller rules
    only): the patch is for that cluster, and below v1.22 its API server drops maxSurge
    (``no_surge_reason``). The source records it (``server_version``; None, with
    ``server_version_error``, when it could not be read).
    """
    from rollsim.io.inputs import live_status_notes, load_inputs, measured_failures
    from rollsim.io.yamldoc import keeping_stdin
    from rollsim.spec.options import build_scenario, ignored_options
    from rollsim.spec.settings import BY_NAME

    with keeping_stdin() as piped:  # a file option given as -: kept from the one read of the pipe
        inputs = load_inputs(dict(request.files), name=request.daemonset, live=request.live,
                             node_count=request.options.get("nodes") is not None,
                             kubernetes_version=request.options.get("kubernetes_version"), server_version=True)
    options = {**inputs.defaults(), **{k: v for k, v in request.options.items() if v is not None}}
    scenario = build_scenario(daemonset_spec=inputs.daemonset_spec, node_list=inputs.node_list, **options)
    live = {k: v for k, v in (request.live or {}).items() if v is not None}
    server, warnings = _server_version(inputs, any(live.get(k) for k in ("context", "kubeconfig")),
                                       request.options.get("kubernetes_version") is not None)
    calibrated, overridden = _calibrated(inputs)
    if overridden:
        warnings.append(f"argument --timings: {', '.join(overridden)} from {request.files['timings_file']} stand over "
                        "the calibrated ones (--calibrate); the plan's calibrated timings are the rest")
    source = {**{k: str(v) for k, v in request.files.items()}, **live, **(inputs.source or {}), **server,
              **({"calibrated_timings": calibrated} if live.get("calibrate") else {}),
              "flags": scenario_flags(request.files, request.daemonset, request.options)}
    # the options' and the manifest's (a priorityClassName whose value is not known: its pods never preempt)
    ignored = [f"argument {'--manifest' if name == 'manifest' else BY_NAME[name].flag_name}: {note}"
               for name, note in ignored_options(scenario, ("disk_pressure_for", "eviction_pressure_transition_period",
                                                            "node_utilization"))
               if request.options.get(name) is not None or name == "manifest"]
    status = [*live_status_notes(inputs, scenario.nodes, scenario.daemonset.placement),
              *measured_failures(inputs, False, plan=True)]
    return (scenario, (*inputs.warnings, *warnings, *ignored, *status, *_defaulted_namespace(inputs, scenario)),
            source, saved_inputs(inputs, bool(live.get("calibrate")), _piped(request.files, piped)))


def _piped(files: Mapping[str, Any], read: Sequence[bytes]) -> tuple[str, bytes] | None:
    """The file option given as standard input (``-``) and the bytes read from it, or None."""
    dashes = [option for option, value in files.items() if str(value) == "-"]
    return (dashes[0], read[0]) if len(dashes) == 1 and len(read) == 1 else None


def saved_inputs(inputs: Any, calibrated: bool, piped: tuple[str, bytes] | None = None) -> dict[str, str | bytes]:
    """The inputs read from a cluster or standard input, as the files ``simulate`` reads
    (``--manifest``, ``--nodes-file``, ``--timings``): the DaemonSet and the node list as the API
    server gave them; with ``--calibrate``, the timings the plan used (the fit, and a profile's
    phases over it); and ``piped``, the file option given as ``-`` with the bytes read, kept as
    read under its own name (``STDIN_INPUTS``). A cluster is read again as it is then, and a pipe
    is gone once read, so these are what repeats the plan's runs.
    """
    import yaml

    from rollsim.plan.files import STDIN_INPUTS, TIMINGS_INPUT

    out: dict[str, str | bytes] = dict(inputs.documents or {})
    if calibrated and inputs.timings:
        out[TIMINGS_INPUT] = yaml.safe_dump({"timings": dict(inputs.timings)}, sort_keys=False)
    if piped is not None and piped[0] in STDIN_INPUTS:
        out[STDIN_INPUTS[piped[0]]] = piped[1]
    return out


def _defaulted_namespace(inputs: Any, scenario: Any) -> list[str]:
    """A manifest without ``metadata.namespace`` and no ``-n``: its patch line's ``-n default`` is
    rollsim's choice, not the manifest's, and says so (kubectl would use the context's namespace).
    """
    if inputs.namespace_from != "default":
        return []
    ds = scenario.daemonset
    return [f"the manifest's DaemonSet {ds.name} has no metadata.namespace and no -n/--namespace was given: it is "
            f"taken to be in namespace {ds.namespace}, which the patch line names (kubectl apply -f would use the "
            "current context's namespace); give -n NAMESPACE if it runs elsewhere"]


def _calibrated(inputs: Any) -> tuple[dict[str, str], list[str]]:
    """The timings calibration gave that a timing profile (``--timings``, read over them) left
    standing, and the phases the profile replaced.
    """
    fitted, used = inputs.calibrated or {}, inputs.timings or {}
    return {k: v for k, v in fitted.items() if used.get(k) == v}, [k for k, v in fitted.items() if used.get(k) != v]


def _server_version(inputs: Any, named: bool, given: bool) -> tuple[dict[str, Any], list[str]]:
    """A named cluster's version for the plan's source (None, and why, when it could not be read),
    and the warning that surge is searched without it when ``--kubernetes-version`` (``given``)
    kept the inputs from warning that the version is unknown.
    """
    if not named:
        return {}, []
    version, why = (inputs.source or {}).get("server_version"), inputs.server_version_error
    server = {"server_version": version, **({"server_version_error": why} if why else {})}
    if version is not None or not given:
        return server, []
    return server, [f"the cluster's version could not be read ({why or 'no answer'}): maxSurge is searched as if "
                    "it ran v1.22 or later (its API server drops maxSurge before)"]


def _counted(done: int, running: int) -> str:
    """``12 runs simulated, 4 running``: a plan's search runs settings as it learns, so no total is known."""
    return f"rollsim plan: {done:,} run{'s' if done != 1 else ''} simulated" + (f", {running:,} running"
                                                                              if running else "")


class _Progress:
    """The plan's run counter on standard error: redrawn in place on a terminal, else a line every
    ``EVERY_S`` seconds (a pipe, ``nohup``, a CI job had nothing until the answer); and a line when
    the plan moves to a phase of its own (``phase``).
    """

    def __init__(self, terminal: bool, clock: Callable[[], float] = time.monotonic) -> None:
        self.terminal, self.clock, self.last = terminal, clock, clock()

    def __call__(self, done: int, submitted: int) -> None:
        if self.terminal:
            sys.stderr.write(f"\r\033[K{_counted(done, submitted - done)}")
        elif self.clock() - self.last >= EVERY_S:
            self.last = self.clock()
            sys.stderr.write(_counted(done, submitted - done) + "\n")
        sys.stderr.flush()

    def phase(self, text: str) -> None:
        """``text`` on a line of its own, the counter (on a terminal) going on below it."""
        sys.stderr.write(("\r\033[K" if self.terminal else "") + f"rollsim plan: {text}\n")
        sys.stderr.flush()


def default_folder(daemonset: str) -> Path:
    """``results/plan-<daemonset>``, the plan folder without ``--out-dir``, checked as ``--out-dir``
    is (``rollsim.io.outputs.output_path``), before any run: ``ResultsError`` names it as the default.
    """
    from rollsim.io.outputs import output_path
    from rollsim.sweep.results import ResultsError

    name = f"plan-{daemonset}"
    try:
        return output_path("results", name)
    except ValueError as exc:
        raise ResultsError(f"the default plan folder {Path('results', name)}: {exc}; choose another with --out-dir"
                           ) from None


def run_request(request: PlanRequest) -> tuple[PlanResult, tuple[str, ...]]:
    """Read the inputs, search, write the plan folder; the result and the inputs' warnings."""
    scenario, warnings, source, saved = plan_scenario(request)
    out = request.out if request.out is not None else default_folder(scenario.daemonset.name)
    terminal = sys.stderr.isatty()
    on_run = _Progress(terminal) if request.progress else None
    result = plan(scenario, request.constraints, settings=request.settings, out=out, workers=request.workers,
                  executor=request.executor, scheduler=request.scheduler, source=source, on_run=on_run,
                  on_phase=None if on_run is None else on_run.phase, inputs=saved, warnings=warnings)
    if on_run is not None and terminal:
        sys.stderr.write("\r\033[K")
    return result, tuple(result.document.get("warnings") or warnings)  # the plan's own too (runs not kept)


def _unsettled(unsettled: Sequence[Mapping[str, Any]]) -> list[str]:
    """The unsettled setting nearest the answer (the last: the most preferred come first), and how many more."""
    if not unsettled:
        return []
    more = f"; and {len(unsettled) - 1} more the choice would prefer (plan.json, report)" if len(unsettled) > 1 else ""
    return [f"  unsettled               {unsettled[-1]['text']}{more}"]


def format_plan(result: PlanResult, ruled_out: int | None = 6) -> str:
    """The answer in a few lines: the setting, its evidence, the patch, the runner-ups (the
    ``ruled_out`` with the most replications; None: every one, as ``-o wide``), the files.
    """
    doc = result.document
    ds, cluster, run = doc["daemonset"], doc["cluster"], doc["search"]
    lines = [f"rollsim plan: {ds['namespace']}/{ds['name']} on {cluster['desired']:,} of {cluster['nodes']:,} nodes "
             f"({run['settings_simulated']} settings of {run['grid_size']:,} simulated, {run['runs']} runs"
             f"{f' ({reused} kept from a plan before, in {RUNS_FILE})' if (reused := run.get('runs_reused')) else ''}, "
             f"{run['wall_s']:.1f} s on {format_workers(run['workers'], run['executor'])})"]
    for name, text in doc["constraints"]["text"]:
        lines.append(f"  {name:<24}{text}")
    if tail := default_tail_words(doc["scenario"].get("ready"), bool(doc["source"].get("timings_file"))):
        lines.append(f"  {'timings':<24}{tail}")
    if cluster.get("other_pods") and not cluster["other_pods"].startswith("not checked"):  # whether surge pods fit
        lines.append(f"  {'other pods on the nodes':<24}{cluster['other_pods']}")
    if cluster.get("disk_pressure"):  # nodes whose kubelets reject the new pods: every setting waits for them
        lines.append(f"  {'disk pressure':<24}{cluster['disk_pressure']}")
    if doc["search"].get("no_surge") and doc["constraints"].get("allow_surge", True):  # not the user's --no-surge
        lines.append(f"  {'maxSurge not considered':<24}{doc['search']['no_surge']}")
    a = doc["answer"]
    if a is not None:
        lines += [
            f"  recommended             {a['setting']}",
            f"  duration                p50 {format_duration(a['duration_p50_s'])} "
            f"(95% CI {format_duration(a['duration_p50_ci_low_s'])}–{format_duration(a['duration_p50_ci_high_s'])}), "
            f"p95 {format_duration(a['duration_p95_s'])}; {bound_name(doc['constraints'])} "
            f"{format_bound(a['window_bound_s'])} "
            f"({a.get('window_bound_kind') or str(a['replications']) + ' replications'})"
            f"{margin_words(a['window_bound_s'], doc['constraints'].get('window_s'))}",
            f"  speed                   {a['pace']['text']}",
            *_unsettled(a.get("unsettled") or []),
            f"  stall risk              {a['stall_risk']['text']}",
            *([f"  least that fits         {a['least']['text'] if a.get('least') else a['least_note']}"]
              if a.get("least") or a.get("least_note") else []),
            f"  worst availability      "
            f"{format_share(a['worst_availability'], (doc['constraints']['min_available_fraction'],))}",
            f"  extra capacity at once  {extra_capacity(a, ds)}",
            f"  apply with              {a['patch']}",
        ]
        if a.get("note"):
            lines.append(f"  note                    {a['note']}")
        if a.get("reproduce"):
            lines.append(f"  reproduce               {a['reproduce']}")
    else:
        lines.append(f"  no setting fits; binding constraint: {doc['binding']}")
        for r in doc["relaxations"]:
            lines.append(f"    relax {r['text']}")
    # what the answer was weighed against first (as the report's evidence table), then the most replicated
    c = current_marked(result.candidates).assign(_aside=~weighed(doc, result.candidates))
    ruled = c[c["verdict"] != "chosen"].sort_values(["_aside", "replications"], ascending=[True, False], kind="stable")
    if ruled_out is not None:
        ruled = ruled.head(ruled_out)
    if len(ruled):
        lines.append("  ruled out (a few):" if ruled_out is not None else "  ruled out:")
        for _, row in ruled.iterrows():
            lines.append(f"    {row['setting']}: {row['verdict']}")
    if result.report is not None:
        lines.append(f"  report: {result.report[0]} and {result.report[1].name}")
    return "\n".join(lines)
