"""The ``rollsim`` command line: each subcommand parses, calls one library function, prints.

Bad input gets one line naming the flag and the rule broken, exit code 2, no traceback,
and nothing written. Every command that prints a result takes ``-o json|yaml|wide|name``
(``rollsim.present.console``) and ``-q``; ``-`` reads a file from standard input. Only
argparse and the package's version are imported to build the parser, so ``--help``,
``--version`` and shell completion start fast; each command imports what it needs.

Exit codes: 0 success; 1 a run failed; 2 bad usage or bad input (also a bare ``rollsim``,
which prints the help); 130 interrupted.
"""

# PYTHON_ARGCOMPLETE_OK

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from rollsim import __version__

__all__ = ["main"]

EXIT_USAGE = 2


class UsageError(Exception):
    """A bad flag value: the message names the flag and the rule."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


class _TopParser(_Parser):
    """A bare ``rollsim`` is a usage error that shows the whole help (exit code 2)."""

    def parse_args(self, args: Sequence[str] | None = None, namespace: Any = None) -> Any:  # type: ignore[override]
        argv = sys.argv[1:] if args is None else list(args)
        if not argv:
            raise UsageError("no command given\n\n" + self.format_help().rstrip())
        return super().parse_args(argv, namespace)


def _convert(rule: Callable[[str], Any], text: str) -> Any:
    try:
        return rule(text)
    except ValueError as exc:  # argparse's "argument --flag: <the rule>"
        raise argparse.ArgumentTypeError(str(exc)) from None


def _checked(rule: Callable[[str], Any]) -> Callable[[str], Any]:
    """Wrap a converter so that its ValueError becomes argparse's 'invalid value' message."""

    def convert(text: str) -> Any:
        return _convert(rule, text)

    convert.__name__ = rule.__name__
    return convert


def _rule(name: str) -> Callable[[str], Any]:
    """The converter of scenario option ``name`` (``rollsim.spec.options.RULES``), imported
    when a value is converted: building the parser imports neither NumPy nor SciPy."""

    def convert(text: str) -> Any:
        from rollsim.spec.options import RULES

        return _convert(RULES[name], text)

    convert.__name__ = name
    return convert


def _count(text: str) -> int:
    """A count or a seed (``rollsim.spec.options.non_negative_integer``, imported when used)."""
    from rollsim.spec.options import non_negative_integer

    return _convert(non_negative_integer, text)


def _output_path(text: str) -> Path:
    path = Path(text)
    if not path.parent.is_dir():
        raise ValueError(f"directory {str(path.parent)!r} does not exist")
    return path


def _common() -> argparse.ArgumentParser:
    """``-o`` and ``-q``, the same on every command that prints a result."""
    from rollsim.present.console import FORMATS

    common = argparse.ArgumentParser(add_help=False)

    def output_format(text: str) -> str:
        if text not in FORMATS:
            hint = "; files are written with --out-file" if "." in text or "/" in text else ""
            raise argparse.ArgumentTypeError(f"must be one of {', '.join(FORMATS)}, got {text!r}{hint}")
        return text

    common.add_argument("-o", "--output", type=output_format, metavar="|".join(FORMATS),
                        help="print the result as json, yaml, wide (more columns) or name (names only)")
    common.add_argument("-q", "--quiet", action="store_true",
                        help="print nothing but errors (no warnings, no progress) unless -o asks for output")
    return common


def _build_parser() -> argparse.ArgumentParser:
    parser = _TopParser(prog="rollsim", description="Simulate Kubernetes DaemonSet updates in virtual time.",
                        epilog="Exit codes: 0 success, 1 a run failed, 2 bad usage or input, 130 interrupted. "
                               "A file argument of - reads standard input.")
    parser.add_argument("--version", action="version", version=f"rollsim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="COMMAND")
    common = [_common()]
    sim = sub.add_parser("simulate", help="run one rollout and print its summary", parents=common)

    scenario_options: list[str] = []  # the flags that set scenario options, as declared below

    def option(name: str, help: str, metavar: str | None = None, choices: tuple[str, ...] | None = None) -> None:
        flag = "--" + name.replace("_", "-")
        if choices:
            sim.add_argument(flag, choices=choices, help=help)
        else:
            sim.add_argument(flag, type=_rule(name), metavar=metavar, help=help)
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
    option("strategy", "update strategy (default RollingUpdate)", choices=("RollingUpdate", "OnDelete"))
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
    sim.add_argument("--seed", type=_count, default=0, metavar="N", help="root seed (default 0)")
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
    files.add_argument("--manifest", metavar="DS.yaml",
                       help="an apps/v1 DaemonSet (kubectl apply -f or get -o yaml); - reads standard input")
    files.add_argument("--daemonset", metavar="NAME", help="which DaemonSet of a manifest with several")
    files.add_argument("--strict", action="store_true", help="unknown manifest fields are errors, not warnings")
    files.add_argument("--nodes-file", metavar="NODES.json",
                       help="kubectl get nodes -o json (replaces --nodes); - reads standard input")
    files.add_argument("--timings", metavar="TIMINGS.yaml",
                       help="a timing profile written by rollsim calibrate; - reads standard input")
    sim.add_argument("--timeline", type=_checked(_output_path), metavar="PATH",
                     help="write the timeline: PATH.prom in the Prometheus text format (timestamps in ms), "
                          "PATH.om in OpenMetrics (for promtool backfilling), anything else as CSV")
    sim.add_argument("--timeline-start", type=_checked(_epoch_seconds), default=0.0, metavar="TIME",
                     help="the wall-clock time of the update's start in --timeline's .prom/.om samples: "
                          "ISO 8601 (2024-06-01T12:00:00Z) or Unix seconds (default 0)")
    sim.add_argument("--json", action="store_true", help="the same as -o json (deprecated)")
    make = sub.add_parser("make-nodes", help="write a realistic `kubectl get nodes -o json` for N nodes",
                          parents=common)
    make.add_argument("count", type=_count, metavar="N", help="nodes in all")
    make.add_argument("--out-file", type=_checked(_output_path), metavar="NODES.json",
                      help="write the node list (JSON) to this file instead of standard output")
    make.add_argument("--seed", type=_count, default=0, metavar="S")
    for flag, text in (("--control-plane", "control-plane nodes, tainted NoSchedule (default 3)"),
                       ("--not-ready", "NotReady nodes, tainted as the node lifecycle controller does (default 0)"),
                       ("--cordoned", "cordoned (unschedulable) nodes (default 0)"),
                       ("--zones", "availability zones (default 3)")):
        make.add_argument(flag, type=_count, metavar="M", help=text)
    cal = sub.add_parser("calibrate", help="fit pod phase timings from `kubectl get pods -o json`", parents=common)
    cal.add_argument("pods", metavar="PODS.json", help="kubectl get pods -o json; - reads standard input")
    cal.add_argument("--events", metavar="EVENTS.json",
                     help="kubectl get events -o json (exact pull times); - reads standard input")
    cal.add_argument("--out-file", type=_checked(_output_path), metavar="TIMINGS.yaml",
                     help="write the timing profile (use it with --timings or scenario.timings); "
                          "-o yaml prints the same profile")
    run = sub.add_parser("run", help="run experiment files and write results, figures and reports", parents=common)
    run.add_argument("experiments", nargs="+", metavar="EXPERIMENT.yaml", help="experiment files; - reads one "
                     "from standard input")
    run.add_argument("--out-dir", "--out", dest="out", type=Path, metavar="DIR",
                     help="results folder (default results/<name>; with several files, DIR/<name>)")
    run.add_argument("--workers", type=_rule("workers"), metavar="N",
                     help="local worker processes (default all cores; 1 runs in this process)")
    run.add_argument("--executor", choices=("serial", "processes", "dask"),
                     help="dask starts a local Dask cluster")
    run.add_argument("--scheduler", metavar="ADDRESS", help="run on an existing Dask cluster (tcp://host:8786)")
    run.add_argument("--force", action="store_true", help="discard saved runs and run everything again")
    for name, text in (("plot", "redraw the figures of a results folder"),
                       ("report", "write report.md and report.html of a results folder")):
        cmd = sub.add_parser(name, help=text, parents=common)
        cmd.add_argument("results", type=Path, metavar="RESULTS_DIR")
    completion = sub.add_parser("completion", help="print the shell completion script: "
                                "eval \"$(rollsim completion bash)\" (also zsh, fish)")
    completion.add_argument("shell", choices=("bash", "zsh", "fish", "tcsh"))
    if "_ARGCOMPLETE" in os.environ:  # the shell asks for completions: answer and exit
        import argcomplete

        argcomplete.autocomplete(parser)
    return parser




def _epoch_seconds(text: str) -> float:
    """``2024-06-01T12:00:00Z`` or ``1717243200`` -> Unix seconds."""
    try:
        return float(text)
    except ValueError:
        pass
    from datetime import UTC, datetime

    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"not an ISO 8601 time or Unix seconds: {text!r}") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _flags(names: tuple[str, ...]) -> str:
    return "/".join("--" + n.replace("_", "-") for n in names)


_FILE_FLAGS = {"manifest": "--manifest", "strict": "--strict", "nodes_file": "--nodes-file",
               "timings_file": "--timings"}


def _one_stdin(**inputs: Any) -> None:
    """Standard input can be read once: at most one input may be ``-``."""
    dashes = [flag for flag, value in inputs.items() if value == "-"]
    if len(dashes) > 1:
        raise UsageError(f"arguments {'/'.join(dashes)}: only one input can be read from standard input (-)")


def _say(args: argparse.Namespace, text: str, file: Any = None) -> None:
    """Print a note (a warning, a path written) unless --quiet."""
    if not args.quiet:
        print(text, file=file or sys.stdout)


def _show(args: argparse.Namespace, text: str | None = None, data: Any = None, wide: str | None = None,
          names: str | None = None) -> None:
    """Print a command's result in the format ``-o`` asks for (text when none and not --quiet)."""
    from rollsim.present.console import render_data

    fmt = args.output
    if fmt in ("json", "yaml"):
        sys.stdout.write(render_data(data, fmt))
    elif fmt == "wide":
        out = wide if wide is not None else text or ""
        sys.stdout.write(out if out.endswith("\n") else out + "\n")
    elif fmt == "name":
        sys.stdout.write(names or "")
    elif not args.quiet and text is not None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _scenario_from(args: argparse.Namespace):
    from rollsim.io.inputs import FILE_OPTIONS, load_inputs
    from rollsim.spec.options import OptionError, build_scenario

    files = {"manifest": args.manifest, "nodes_file": args.nodes_file, "timings_file": args.timings,
             "strict": True if args.strict else None}
    files = {k: v for k, v in files.items() if v is not None}
    if args.daemonset is not None and "manifest" not in files:
        raise UsageError("argument --daemonset: applies only with --manifest")
    _one_stdin(**{_FILE_FLAGS[k]: v for k, v in files.items() if k != "strict"})
    try:
        inputs = load_inputs(files, name=args.daemonset)
    except ValueError as exc:
        if hasattr(exc, "file"):  # a ConfigError names its own file and line
            raise
        key, _, message = str(exc).partition(": ")
        flag = {FILE_OPTIONS[n]: f for n, f in _FILE_FLAGS.items()}.get(key, key)
        raise UsageError(f"argument {flag}: {message}") from None
    for warning in inputs.warnings:
        _say(args, f"rollsim: warning: {warning}", sys.stderr)
    options = {name: getattr(args, name) for name in args.scenario_options}
    options = {**(inputs.timings or {}), **{k: v for k, v in options.items() if v is not None}}
    try:
        return build_scenario(daemonset_spec=inputs.daemonset_spec, node_list=inputs.node_list, **options)
    except OptionError as exc:  # the rules that tie two flags together
        plural = "s" if len(exc.options) > 1 else ""
        raise UsageError(f"argument{plural} {_flags(exc.options)}: {exc.message}") from None


def format_summary(result: Any, wall: float) -> str:
    """The human-readable summary of one run (``rollsim.present.console.format_summary``)."""
    from rollsim.present.console import format_summary as summary

    return summary(result, wall)


def _write_timeline(args: argparse.Namespace, result: Any) -> None:
    from rollsim.io.atomic import write_atomically

    path: Path = args.timeline
    if path.suffix in (".prom", ".om"):
        from rollsim.io.openmetrics import timeline_exposition

        ds = result.scenario.daemonset
        text = timeline_exposition(result.timeline, start_s=args.timeline_start, openmetrics=path.suffix == ".om",
                                   labels={"namespace": ds.namespace, "daemonset": ds.name, "seed": str(result.seed)})
        write_atomically(path, lambda h: h.write(text))
    else:
        write_atomically(path, lambda h: result.timeline.to_csv(h, index=False))


def _cmd_simulate(args: argparse.Namespace) -> int:
    from rollsim.present.console import format_summary_wide, simulate_document
    from rollsim.simulation import simulate

    if args.json:  # the old spelling of -o json
        args.output = args.output or "json"
    scenario = _scenario_from(args)
    started = time.perf_counter()
    result = simulate(scenario, seed=args.seed)
    wall = time.perf_counter() - started
    if args.timeline is not None:
        _write_timeline(args, result)
    ds = scenario.daemonset
    _show(args, format_summary(result, wall), simulate_document(result), format_summary_wide(result, wall),
          f"daemonset.apps/{ds.name}\n")
    return 0


def _use_agg() -> None:
    import matplotlib

    matplotlib.use("Agg")  # the CLI alone picks the backend: files, never windows


def _load(path: Path):
    from rollsim.sweep.results import load_results

    return load_results(path)


def format_run(results, report_paths: tuple[Path, Path], note: str) -> str:
    """A short table of configurations, the recommendation and where the files are."""
    from rollsim.present.console import format_run as table

    return table(results, report_paths, note)


def _cmd_run(args: argparse.Namespace) -> int:
    from rollsim.present.console import format_run as table, run_document
    from rollsim.present.report import write_report
    from rollsim.sweep.experiment import load_experiment
    from rollsim.sweep.runner import run_experiment

    _use_agg()
    _one_stdin(**{f"EXPERIMENT.yaml #{i + 1}": p for i, p in enumerate(args.experiments)})
    experiments = [load_experiment(path) for path in args.experiments]  # all checked before any run
    names = [e.name for e in experiments]
    if len(set(names)) != len(names):
        raise UsageError("two experiment files have the same name; their results would collide")
    documents, texts, wides = [], [], []
    for experiment in experiments:
        if args.out is None:
            out = Path("results") / experiment.name
        else:
            out = args.out / experiment.name if len(experiments) > 1 else args.out
        report = run_experiment(experiment, out, workers=args.workers, executor=args.executor,
                                scheduler=args.scheduler, force=args.force, progress=False if args.quiet else None)
        results = _load(out)
        paths = write_report(results)
        note = (f"{report.runs_run} runs simulated, {report.runs_reused} reused "
                f"({report.executor}, {report.workers} workers, {report.wall_s:.1f} s)")
        documents.append(run_document(results, paths, report))
        texts.append(table(results, paths, note))
        wides.append(table(results, paths, note, wide=True))
        if args.output is None and not args.quiet:  # text as each experiment finishes
            print(texts[-1], flush=True)
    if args.output is not None:
        _show(args, None, documents if len(documents) > 1 else documents[0], "\n".join(wides),
              "".join(f"{d['path']}\n" for d in documents))
    return 0


def _cmd_make_nodes(args: argparse.Namespace) -> int:
    from rollsim.io.atomic import write_atomically
    from rollsim.io.nodes import make_nodes, nodes_json
    from rollsim.present.console import node_names, nodes_table

    options = {k: getattr(args, k) for k in ("control_plane", "not_ready", "cordoned", "zones")
               if getattr(args, k) is not None}
    try:
        document = make_nodes(args.count, seed=args.seed, **options)
    except ValueError as exc:  # the message starts with the option's name
        name, _, rule = str(exc).partition(" ")
        raise UsageError(f"argument --{name.replace('_', '-')}: {name} {rule}") from None
    text = nodes_json(document)
    if args.out_file is not None:
        write_atomically(args.out_file, lambda f: f.write(text))
    if args.output is not None or args.out_file is None:
        _show(args, text, document, nodes_table(document), node_names(document))
    return 0


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from rollsim.io.calibrate import calibrate, format_table, profile_document, write_timings
    from rollsim.present.console import calibration_wide

    _one_stdin(**{"PODS.json": args.pods, "--events": args.events})
    calibration = calibrate(args.pods, args.events)
    if args.output == "yaml":  # the profile exactly as --out-file writes it: it can be piped to --timings -
        from rollsim.io.calibrate import profile_text

        sys.stdout.write(profile_text(calibration))
    else:
        _show(args, format_table(calibration), profile_document(calibration), calibration_wide(calibration),
              "".join(f"phase/{name}\n" for name in calibration.phases))
    if args.out_file is not None:
        write_timings(calibration, args.out_file)
        _say(args, f"timing profile: {args.out_file}", sys.stderr if args.output else sys.stdout)
    return 0


def _show_paths(args: argparse.Namespace, key: str, paths: Sequence[Path]) -> None:
    from rollsim.present.console import paths_wide

    listing = "".join(f"{p}\n" for p in paths)
    _show(args, listing, {key: [str(p) for p in paths]}, paths_wide(paths), listing)


def _cmd_plot(args: argparse.Namespace) -> int:
    from rollsim.present.plots import save_figures

    _use_agg()
    _show_paths(args, "figures", save_figures(_load(args.results)))
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from rollsim.present.report import write_report

    _use_agg()
    _show_paths(args, "reports", write_report(_load(args.results)))
    return 0


def _cmd_completion(args: argparse.Namespace) -> int:
    import argcomplete

    sys.stdout.write(argcomplete.shellcode(["rollsim"], shell=args.shell))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rollsim`` console script."""
    from rollsim.io.yamldoc import ConfigError
    from rollsim.sweep.executors import ExecutorError
    from rollsim.sweep.results import ResultsError
    from rollsim.sweep.errors import RunError, RunInterrupted

    parser = _build_parser()
    commands = {"simulate": _cmd_simulate, "run": _cmd_run, "plot": _cmd_plot, "report": _cmd_report,
                "make-nodes": _cmd_make_nodes, "calibrate": _cmd_calibrate, "completion": _cmd_completion}
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
