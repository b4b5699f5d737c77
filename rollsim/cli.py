"""The ``rollsim`` command line: each subcommand parses, calls one library function, prints.

Bad input gets one line naming the flag and the rule broken, exit code 2, no traceback,
and nothing written.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from rollsim.spec.budget import scaled_value, updated_desired_node_counts
from rollsim.spec.options import RULES, OptionError, build_scenario, non_negative_integer
from rollsim.spec.scenario import ON_DELETE, ROLLING_UPDATE
from rollsim.io.atomic import write_atomically
from rollsim.simulation import RunResult, simulate

__all__ = ["main"]

EXIT_USAGE = 2


class UsageError(Exception):
    """A bad flag value: the message names the flag and the rule."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _checked(rule: Callable[[str], Any]) -> Callable[[str], Any]:
    """Wrap a converter so that its ValueError becomes argparse's 'invalid value' message."""

    def convert(text: str) -> Any:
        try:
            return rule(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = rule.__name__
    return convert


def _output_path(text: str) -> Path:
    path = Path(text)
    if not path.parent.is_dir():
        raise ValueError(f"directory {str(path.parent)!r} does not exist")
    return path


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="rollsim", description="Simulate Kubernetes DaemonSet updates in virtual time.")
    parser.add_argument("--version", action="version", version="rollsim 0.1.0")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sim = sub.add_parser("simulate", help="run one rollout and print its summary")

    scenario_options: list[str] = []  # the flags that set scenario options, as declared below

    def option(name: str, help: str, metavar: str | None = None, choices: tuple[str, ...] | None = None) -> None:
        flag = "--" + name.replace("_", "-")
        if choices:
            sim.add_argument(flag, choices=choices, help=help)
        else:
            sim.add_argument(flag, type=_checked(RULES[name]), metavar=metavar, help=help)
        scenario_options.append(name)

    option("nodes", "number of identical worker nodes (default 1000)", "N")
    option("control_plane_nodes", "control-plane nodes, tainted NoSchedule as kubeadm does (default 0)", "M")
    option("not_ready_nodes", "N nodes (chosen at random) NotReady before the rollout, or N@T[+D] during it",
           "N[@T[+D]]")
    option("node_utilization", "share of each node's allocatable CPU and memory other pods request (default 0)", "F")
    option("requests_cpu", "the daemon pod's CPU request, e.g. 100m (default: the manifest's, or 0)", "CPU")
    option("requests_memory", "the daemon pod's memory request, e.g. 200Mi", "MEM")
    option("host_ports", "the daemon pod's host ports, e.g. 9100 or 24224,24220", "PORTS")
    option("add_nodes", "N nodes join at second T (spread over D seconds with +D), e.g. 100@60+120", "N@T[+D]")
    option("remove_nodes", "N nodes (chosen at random) leave at second T (+D: spread over D s)", "N@T[+D]")
    option("strategy", "update strategy (default RollingUpdate)", choices=(ROLLING_UPDATE, ON_DELETE))
    option("max_unavailable", "int or percent (default 1)", "X")
    option("max_surge", "int or percent (default 0)", "X")
    option("min_ready_seconds", "spec.minReadySeconds (default 0)", "S")
    option("termination_grace_period_seconds", "caps the shutdown time (default 30)", "S")
    for phase, text in (
        ("schedule", "bind latency"), ("pull", "image pull"), ("start", "container start"),
        ("ready", "container start until the app is ready"), ("terminate", "container shutdown"),
    ):
        option(phase, f"{text} distribution, e.g. 'lognormal(median=2, p95=5)'", "DIST")
    option("probe_period", "readiness probe period; 0 = Ready exactly when the app is (default 10)", "S")
    option("controller", "controller model (default realistic)", choices=("ideal", "realistic"))
    option("deleter", "who deletes old pods under OnDelete (default none)", "none|batch:K[:PAUSE]|rate:S")
    sim.add_argument("--seed", type=_checked(non_negative_integer), default=0, metavar="N", help="root seed (default 0)")
    option("horizon", "give up after S simulated seconds (default 30 days)", "S")
    option("new_pods", "a new revision that fails: crashloop, pull-error or never-ready, optionally :FRACTION",
           "KIND[:F]")
    option("image_size", "the new image's size, e.g. 300MB: pulls then share the registry's bandwidth", "SIZE")
    option("image_cached", "fraction of nodes that already have the new image (default 0)", "F")
    option("image_pull_policy", "the kubelet's imagePullPolicy (default IfNotPresent)",
           choices=("IfNotPresent", "Always"))
    option("node_bandwidth", "each node's download bandwidth, e.g. 100MB/s (default unlimited)", "RATE")
    option("registry_bandwidth", "the registry's total bandwidth, e.g. 1GB/s (default unlimited)", "RATE")
    option("registry_pull_rate", "pulls the registry admits per second, e.g. 10/s (default unlimited)", "N/s")
    option("scheduler_throughput", "pods the scheduler binds per second, e.g. 100/s (default unlimited)", "N/s")
    option("rollback_after", "the operator rolls back S seconds after the stall is detected (default: never)", "S")
    option("stall_after", "a rollout with no progress for S seconds is stalled and the run ends (default 1800)", "S")
    sim.set_defaults(scenario_options=tuple(scenario_options))
    files = sim.add_argument_group("inputs from files (flags above override them)")
    files.add_argument("--manifest", metavar="DS.yaml", help="an apps/v1 DaemonSet (kubectl apply -f or get -o yaml)")
    files.add_argument("--daemonset", metavar="NAME", help="which DaemonSet of a manifest with several")
    files.add_argument("--strict", action="store_true", help="unknown manifest fields are errors, not warnings")
    files.add_argument("--nodes-file", metavar="NODES.json", help="kubectl get nodes -o json (replaces --nodes)")
    files.add_argument("--timings", metavar="TIMINGS.yaml", help="a timing profile written by rollsim calibrate")
    _live_flags(files)
    sim.add_argument("--timeline", type=_checked(_output_path), metavar="PATH.csv", help="write the timeline as CSV")
    sim.add_argument("--json", action="store_true", help="print the summary as JSON")
    make = sub.add_parser("make-nodes", help="write a realistic `kubectl get nodes -o json` for N nodes")
    make.add_argument("count", type=_checked(non_negative_integer), metavar="N", help="nodes in all")
    make.add_argument("-o", "--output", type=_checked(_output_path), metavar="NODES.json",
                      help="file to write (default: standard output)")
    make.add_argument("--seed", type=_checked(non_negative_integer), default=0, metavar="S")
    for flag, text in (("--control-plane", "control-plane nodes, tainted NoSchedule (default 3)"),
                       ("--not-ready", "NotReady nodes, tainted as the node lifecycle controller does (default 0)"),
                       ("--cordoned", "cordoned (unschedulable) nodes (default 0)"),
                       ("--zones", "availability zones (default 3)")):
        make.add_argument(flag, type=_checked(non_negative_integer), metavar="M", help=text)
    cal = sub.add_parser("calibrate", help="fit pod phase timings from `kubectl get pods -o json`")
    cal.add_argument("pods", metavar="PODS.json", help="kubectl get pods -o json")
    cal.add_argument("--events", metavar="EVENTS.json", help="kubectl get events -o json (exact pull times)")
    cal.add_argument("-o", "--output", type=_checked(_output_path), metavar="TIMINGS.yaml",
                     help="write the timing profile (use it with --timings or scenario.timings)")
    run = sub.add_parser("run", help="run experiment files and write results, figures and reports")
    run.add_argument("experiments", nargs="+", metavar="EXPERIMENT.yaml")
    run.add_argument("--out", type=Path, metavar="DIR",
                     help="results folder (default results/<name>; with several files, DIR/<name>)")
    run.add_argument("--workers", type=_checked(RULES["workers"]), metavar="N",
                     help="local worker processes (default all cores; 1 runs in this process)")
    run.add_argument("--executor", choices=("serial", "processes", "dask"),
                     help="dask starts a local Dask cluster")
    run.add_argument("--scheduler", metavar="ADDRESS", help="run on an existing Dask cluster (tcp://host:8786)")
    run.add_argument("--force", action="store_true", help="discard saved runs and run everything again")
    _live_flags(run)
    from rollsim.plan.flags import add_plan_arguments

    add_plan_arguments(sub.add_parser("plan", help="find the fastest update setting that fits a window, a floor and a "
                                                   "surge budget"), _live_flags)
    for name, text in (("plot", "redraw the figures of a results folder"),
                       ("report", "write report.md and report.html of a results folder")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("results", type=Path, metavar="RESULTS_DIR")
    return parser




def _live_flags(group) -> None:
    """--context/--kubeconfig/--namespace: read ``ds/NAME`` (and the nodes) from a live cluster."""
    group.add_argument("--context", metavar="NAME", help="kubeconfig context of a live cluster (with ds/NAME)")
    group.add_argument("--kubeconfig", metavar="PATH", help="kubeconfig file (default $KUBECONFIG or ~/.kube/config)")
    group.add_argument("-n", "--namespace", metavar="NS", help="namespace of ds/NAME (default: the context's)")


def _live(args: argparse.Namespace) -> dict[str, Any] | None:
    live = {k: getattr(args, k, None) for k in ("context", "kubeconfig", "namespace", "calibrate")}
    live = {k: v for k, v in live.items() if v}
    return live or None


def _flags(names: tuple[str, ...]) -> str:
    return "/".join("--" + n.replace("_", "-") for n in names)


_FILE_FLAGS = {"manifest": "--manifest", "strict": "--strict", "nodes_file": "--nodes-file",
               "timings_file": "--timings"}


def _scenario_from(args: argparse.Namespace):
    from rollsim.io.inputs import FILE_OPTIONS, load_inputs

    files = {"manifest": args.manifest, "nodes_file": args.nodes_file, "timings_file": args.timings,
             "strict": True if args.strict else None}
    files = {k: v for k, v in files.items() if v is not None}
    if args.daemonset is not None and "manifest" not in files:
        raise UsageError("argument --daemonset: applies only with --manifest")
    try:
        inputs = load_inputs(files, name=args.daemonset, live=_live(args))
    except ValueError as exc:
        if hasattr(exc, "file"):  # a ConfigError names its own file and line
            raise
        key, _, message = str(exc).partition(": ")
        flag = {FILE_OPTIONS[n]: f for n, f in _FILE_FLAGS.items()}.get(key, key)
        raise UsageError(f"argument {flag}: {message}") from None
    for warning in inputs.warnings:
        print(f"rollsim: warning: {warning}", file=sys.stderr)
    options = {name: getattr(args, name) for name in args.scenario_options}
    options = {**(inputs.timings or {}), **{k: v for k, v in options.items() if v is not None}}
    try:
        return build_scenario(daemonset_spec=inputs.daemonset_spec, node_list=inputs.node_list, **options)
    except OptionError as exc:  # the rules that tie two flags together
        plural = "s" if len(exc.options) > 1 else ""
        raise UsageError(f"argument{plural} {_flags(exc.options)}: {exc.message}") from None


def _clean(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _seconds(s: float) -> str:
    h, rem = divmod(int(round(s)), 3600)
    m, sec = divmod(rem, 60)
    return f"{h}h{m:02d}m{sec:02d}s" if h else f"{m}m{sec:02d}s"


def _eligibility(scenario) -> str:
    """Which nodes run the DaemonSet, and why the others do not (one line)."""
    from rollsim.spec.eligibility import eligibility_report

    report = eligibility_report(scenario.nodes, scenario.daemonset.placement)
    line = f"{report.eligible} of {report.total} run the DaemonSet"
    if report.reasons:
        line += "; not: " + "; ".join(f"{count} {reason}" for reason, count in report.reasons)
    return line


def format_summary(result: RunResult, wall: float) -> str:
    """The human-readable summary of one run."""
    s, sc = result.summary, result.scenario
    strategy = sc.daemonset.strategy
    n = s["nodes"]
    if strategy.rolling:
        b = updated_desired_node_counts(n, strategy.max_unavailable, strategy.max_surge)
        how = (f"RollingUpdate, maxUnavailable {strategy.max_unavailable} (= {b.max_unavailable}), "
               f"maxSurge {strategy.max_surge} (= {scaled_value(strategy.max_surge, n)})")
    else:
        how = f"OnDelete, deleter {sc.deleter}"
    downtime = ("none" if s["node_downtime_max_s"] is None else
                f"p50 {s['node_downtime_p50_s']:.1f} s, p95 {s['node_downtime_p95_s']:.1f} s, "
                f"max {s['node_downtime_max_s']:.1f} s")
    done = (f"yes, in {_seconds(s['duration_s'])} ({s['duration_s']:.1f} s)" if s["completed"]
            else f"no (stopped at {s['end_s']:.1f} s)")
    lines = [
        f"rollsim: {n}-node DaemonSet rollout ({how}; {sc.controller.mode} controller; seed {result.seed})",
        f"  nodes              {_eligibility(sc)}",
        f"  completed          {done}",
        f"  updated            {s['updated']} / {n} nodes",
        f"  min available      {s['min_available']} nodes ({100 * s['min_available_fraction']:.1f}%)",
        f"  max unavailable    {s['max_unavailable_observed']} nodes",
        f"  unavailable        {s['unavailable_node_seconds']:,.0f} node-seconds "
        f"({s['unavailable_node_seconds'] / 3600:,.1f} node-hours)",
        f"  max surge          {s['max_surge_observed']} nodes with two pods",
        f"  node downtime      {downtime}",
        f"  simulation         {s['events']:,} events, {s['syncs']:,} syncs, "
        f"{s['api_writes']:,} API writes, {wall:.2f} s wall",
    ]
    return "\n".join(lines)


def _cmd_simulate(args: argparse.Namespace) -> int:
    scenario = _scenario_from(args)
    started = time.perf_counter()
    result = simulate(scenario, seed=args.seed)
    wall = time.perf_counter() - started
    if args.timeline is not None:
        write_atomically(args.timeline, lambda h: result.timeline.to_csv(h, index=False))
    if args.json:
        print(json.dumps({k: _clean(v) for k, v in result.summary.items()}, indent=2))
    else:
        print(format_summary(result, wall))
    return 0


def _use_agg() -> None:
    import matplotlib

    matplotlib.use("Agg")  # the CLI alone picks the backend: files, never windows


def _load(path: Path):
    from rollsim.sweep.results import load_results

    return load_results(path)


def format_run(results, report_paths: tuple[Path, Path], note: str) -> str:
    """A short table of configurations, the recommendation and where the files are."""
    from rollsim.present.report import recommendation_for

    summary = results.summary
    width = max(len(str(label)) for label in summary["label"])
    lines = [f"{results.name}: {note}", f"  {'configuration':<{width}}  duration (mean)  min available  SLO"]
    # min available: the worst replication
    for _, row in summary.iterrows():
        duration = row.get("duration_s_mean")
        shown = "not completed" if duration != duration or duration == math.inf else _seconds(duration)
        verdict = "ok" if str(row.get("slo_ok")) == "True" else f"fails {row.get('slo_failed')}"
        worst = row.get("min_available_fraction_min", math.nan) * 100
        lines.append(f"  {row['label']:<{width}}  {shown:>15}  {worst:>12.1f}%  {verdict}")
    lines.append(f"  recommendation: {recommendation_for(results).reason}")
    lines.append(f"  report: {report_paths[0]} and {report_paths[1].name}")
    return "\n".join(lines)


def _cmd_run(args: argparse.Namespace) -> int:
    from rollsim.sweep.experiment import load_experiment
    from rollsim.present.report import write_report
    from rollsim.sweep.runner import run_experiment

    _use_agg()
    experiments = [load_experiment(path, live=_live(args)) for path in args.experiments]  # all checked first
    names = [e.name for e in experiments]
    if len(set(names)) != len(names):
        raise UsageError("two experiment files have the same name; their results would collide")
    for experiment in experiments:
        if args.out is None:
            out = Path("results") / experiment.name
        else:
            out = args.out / experiment.name if len(experiments) > 1 else args.out
        report = run_experiment(experiment, out, workers=args.workers, executor=args.executor,
                                scheduler=args.scheduler, force=args.force)
        results = _load(out)
        paths = write_report(results)
        note = (f"{report.runs_run} runs simulated, {report.runs_reused} reused "
                f"({report.executor}, {report.workers} workers, {report.wall_s:.1f} s)")
        print(format_run(results, paths, note))
    return 0


def _cmd_plan(args: argparse.Namespace) -> int:
    from rollsim.plan.flags import FlagError, request_from_args
    from rollsim.plan.request import format_plan, run_request

    _use_agg()
    try:
        result, warnings = run_request(request_from_args(args, _live(args)))
    except FlagError as exc:
        raise UsageError(str(exc)) from None
    except OptionError as exc:
        raise UsageError(f"argument {_flags(exc.options)}: {exc.message}") from None
    for warning in warnings:
        print(f"rollsim: warning: {warning}", file=sys.stderr)
    print(format_plan(result))
    return 0


def _cmd_make_nodes(args: argparse.Namespace) -> int:
    from rollsim.io.nodes import make_nodes, nodes_json

    options = {k: getattr(args, k) for k in ("control_plane", "not_ready", "cordoned", "zones")
               if getattr(args, k) is not None}
    try:
        text = nodes_json(make_nodes(args.count, seed=args.seed, **options))
    except ValueError as exc:  # the message starts with the option's name
        name, _, rule = str(exc).partition(" ")
        raise UsageError(f"argument --{name.replace('_', '-')}: {name} {rule}") from None
    if args.output is None:
        sys.stdout.write(text)
    else:
        write_atomically(args.output, lambda f: f.write(text))
    return 0


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from rollsim.io.calibrate import calibrate, format_table, write_timings

    calibration = calibrate(args.pods, args.events)
    print(format_table(calibration))
    if args.output is not None:
        write_timings(calibration, args.output)
        print(f"timing profile: {args.output}")
    return 0


def _cmd_plot(args: argparse.Namespace) -> int:
    from rollsim.present.plots import save_figures

    _use_agg()
    if (args.results / "plan.json").is_file():  # a plan folder: its figures come with its report
        return _cmd_report(args)
    for path in save_figures(_load(args.results)):
        print(path)
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from rollsim.present.report import write_report

    _use_agg()
    if (args.results / "plan.json").is_file():  # a folder written by rollsim plan
        from rollsim.present.plan_report import write_plan_report

        md, html = write_plan_report(args.results)
    else:
        md, html = write_report(_load(args.results))
    print(md)
    print(html)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rollsim`` console script."""
    from rollsim.io.yamldoc import ConfigError
    from rollsim.sweep.executors import ExecutorError
    from rollsim.sweep.results import ResultsError
    from rollsim.sweep.runner import RunError, RunInterrupted

    parser = _build_parser()
    commands = {"simulate": _cmd_simulate, "run": _cmd_run, "plot": _cmd_plot, "report": _cmd_report,
                "make-nodes": _cmd_make_nodes, "calibrate": _cmd_calibrate, "plan": _cmd_plan}
    try:
        args = parser.parse_args(argv)
        return commands[args.command](args)
    except (UsageError, ConfigError, ExecutorError, ResultsError) as exc:
        print(f"rollsim: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except RunInterrupted as exc:
        print(f"rollsim: {exc}", file=sys.stderr)
        return 130
    except RunError as exc:
        print(f"rollsim: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `rollsim ... | head`: the reader left; stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
