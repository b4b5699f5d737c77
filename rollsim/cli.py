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
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from rollsim import __version__
from rollsim.exits import UsageError, exit_for, one_line
from rollsim.io.outputs import output_path

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    """argparse, with errors raised as ``UsageError`` (one line, exit code 2)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A value that starts with '-' and a digit or '.' ("-10%", "-1", "-100m", "-.5") is a
        # value, not an unknown option, so that the flag's rule says what is wrong with it.
        # argparse reads this (private, stable since Python 3.2) pattern for that decision.
        self._negative_number_matcher = re.compile(r"^-[0-9.]")

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
    when a value is converted: building the parser imports neither NumPy nor SciPy.
    """

    def convert(text: str) -> Any:
        from rollsim.spec.options import RULES

        return _convert(RULES[name], text)

    convert.__name__ = name
    return convert


def _workers(text: str) -> int:
    """``run --workers``: a positive integer within the local worker limit
    (``rollsim.sweep.executors.check_workers``, imported when a value is converted).
    """
    from rollsim.spec.options import RULES
    from rollsim.sweep.executors import check_workers

    return _convert(lambda t: check_workers(RULES["workers"](t)), text)


def _count(text: str) -> int:
    """A count or a seed (``rollsim.spec.options.non_negative_integer``, imported when used)."""
    from rollsim.spec.options import non_negative_integer

    return _convert(non_negative_integer, text)


def _output_path(text: str) -> Path:
    return output_path(text)


def _output_folder(text: str) -> Path:
    return output_path(text, folder=True)


_SCHEMES = ("tcp", "tls", "ucx", "ws", "wss", "inproc")
_ADDRESS = re.compile(r"(?:(?P<scheme>[a-z]+)://)?(?P<host>\[[0-9A-Fa-f:.]+\]|[^\s:/\[\]]+)(?::(?P<port>[^/]*))?/?")


def _scheduler_address(text: str) -> str:
    """A Dask scheduler address, ``[scheme://]host[:port]``, checked before anything is loaded."""
    m = _ADDRESS.fullmatch(text.strip())
    if m is None:
        raise ValueError(f"must be a Dask scheduler address such as tcp://10.0.0.5:8786, got {text!r}")
    if m["scheme"] is not None and m["scheme"] not in _SCHEMES:
        raise ValueError(f"unknown scheme {m['scheme']!r}; use {', '.join(_SCHEMES)}, got {text!r}")
    port = m["port"]
    if port is not None and not (port.isdigit() and 0 < int(port) < 65536):
        raise ValueError(f"the port must be a number from 1 to 65535, got {text!r}")
    return text.strip()


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


def _build_parser(scenario_flags: bool = True, plan_flags: bool = True) -> argparse.ArgumentParser:
    """The whole parser; ``scenario_flags=False`` leaves out simulate's scenario flags, whose
    declarations import NumPy (``rollsim --help`` and ``--version`` do not show them).
    """
    parser = _TopParser(prog="rollsim", description="Simulate Kubernetes DaemonSet updates in virtual time.",
                        epilog="Exit codes: 0 success, 1 a run failed, 2 bad usage or input, 130 interrupted. "
                               "A file argument of - reads standard input.")
    parser.add_argument("--version", action="version", version=f"rollsim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="COMMAND")
    common: list[Any] = [_common()]  # parents only lend their arguments; stubs want the _Parser class
    sim = sub.add_parser("simulate", help="run one rollout and print its summary", parents=common)

    settings: tuple[Any, ...] = ()
    if scenario_flags:
        from rollsim.spec.kinds import BOOLEAN
        from rollsim.spec.settings import SETTINGS as settings  # the declarations (no SciPy, no pandas)

    for setting in settings:  # one flag per declared setting
        if not setting.flag:
            continue
        if setting.kind is BOOLEAN:  # a switch: given, it is true
            sim.add_argument(setting.flag_name, action="store_const", const=True, default=None,
                             help=setting.help_text())
        elif setting.kind.choices:
            sim.add_argument(setting.flag_name, choices=setting.kind.choices, help=setting.help_text())
        else:
            # text: build_scenario converts it, once, with the rule an experiment file's value meets
            sim.add_argument(setting.flag_name, metavar=setting.kind.metavar, help=setting.help_text())
    sim.add_argument("--seed", type=_count, default=0, metavar="N", help="root seed (default 0)")
    scenario_options = [setting.name for setting in settings if setting.flag]
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
    _live_flags(files)
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
    val = sub.add_parser("validate", help="predicted against reported durations: upstream measurements, field studies")
    val.add_argument("studies", nargs="*", metavar="FIELD.yaml",
                     help="field studies (default experiments/field-*.yaml)")
    val.add_argument("--kubernetes-version", type=_rule("kubernetes_version"), metavar="1.MM",
                     help="replay every case with this version's controller (default: each case's own)")
    run = sub.add_parser("run", help="run experiment files and write results, figures and reports", parents=common)
    run.add_argument("experiments", nargs="+", metavar="EXPERIMENT.yaml", help="experiment files; - reads one "
                     "from standard input")
    run.add_argument("--out-dir", "--out", dest="out", type=_checked(_output_folder), metavar="DIR",
                     help="results folder (default results/<name>; with several files, DIR/<name>)")
    run.add_argument("--workers", type=_workers, metavar="N",
                     help="local worker processes (default all cores; 1 runs in this process; "
                          "at most 4 per core unless ROLLSIM_MAX_WORKERS says otherwise)")
    run.add_argument("--executor", choices=("serial", "processes", "dask"),
                     help="dask starts a local Dask cluster")
    run.add_argument("--scheduler", type=_checked(_scheduler_address), metavar="ADDRESS",
                     help="run on an existing Dask cluster (tcp://host:8786)")
    run.add_argument("--force", action="store_true", help="discard saved runs and run everything again")
    _live_flags(run)
    plan_help = "find the fastest update setting that fits a window, a floor and a surge budget"
    if plan_flags:  # its flags import the planner (NumPy, SimPy): only when asked for
        from rollsim.plan.flags import add_plan_arguments

        add_plan_arguments(sub.add_parser("plan", help=plan_help, parents=common), _live_flags)
    else:
        sub.add_parser("plan", help=plan_help, parents=common)
    sub.add_parser("schema", help="print the JSON Schema of experiment files (experiments/experiment.schema.json)")
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
    from rollsim.spec.options import IGNORED_NOTE, OptionError, build_scenario, ignored_options

    files = {"manifest": args.manifest, "nodes_file": args.nodes_file, "timings_file": args.timings,
             "strict": True if args.strict else None}
    files = {k: v for k, v in files.items() if v is not None}
    if args.daemonset is not None and "manifest" not in files:
        raise UsageError("argument --daemonset: applies only with --manifest")
    _one_stdin(**{_FILE_FLAGS[k]: v for k, v in files.items() if k != "strict"})
    try:
        inputs = load_inputs(files, name=args.daemonset, live=_live(args))
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
        scenario = build_scenario(daemonset_spec=inputs.daemonset_spec, node_list=inputs.node_list, **options)
    except OptionError as exc:  # every flag's rule, and the rules that tie two flags together
        plural = "s" if len(exc.options) > 1 else ""
        raise UsageError(f"argument{plural} {_flags(exc.options)}: {exc.message}") from None
    for name in ignored_options(scenario, [n for n in args.scenario_options if getattr(args, n) is not None]):
        _say(args, f"rollsim: warning: argument {_flags((name,))}: {IGNORED_NOTE}", sys.stderr)
    return scenario


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
    from rollsim.present.console import format_run as table
    from rollsim.present.console import run_document
    from rollsim.present.report import write_report
    from rollsim.sweep.experiment_file import load_experiment
    from rollsim.sweep.runner import run_experiment

    _use_agg()
    _one_stdin(**{f"EXPERIMENT.yaml #{i + 1}": p for i, p in enumerate(args.experiments)})
    experiments = [load_experiment(path, live=_live(args)) for path in args.experiments]  # all checked first
    names = [e.name for e in experiments]
    if len(set(names)) != len(names):
        raise UsageError("two experiment files have the same name; their results would collide")
    for experiment in experiments:
        for warning in experiment.warnings:
            _say(args, f"rollsim: warning: {warning}", sys.stderr)
    outs = [_results_folder(args.out, e.name, len(experiments)) for e in experiments]
    documents, texts, wides = [], [], []
    for experiment, out in zip(experiments, outs):
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


def _results_folder(out: Path | None, name: str, count: int) -> Path:
    """``results/<name>``, ``--out`` itself for one experiment, or ``--out/<name>`` for several."""
    try:
        if out is None:
            return output_path("results", name)
        return output_path(out, name) if count > 1 else output_path(out, folder=True)
    except ValueError as exc:
        raise UsageError(f"argument --out: {exc}") from None


def _cmd_validate(args: argparse.Namespace) -> int:
    from rollsim.sweep.validate import format_rows, validate

    studies = args.studies or sorted(str(p) for p in Path("experiments").glob("field-*.yaml"))
    print(format_rows(validate(studies, args.kubernetes_version)))
    return 0


def _cmd_plan(args: argparse.Namespace) -> int:
    from rollsim.plan.flags import FlagError, request_from_args
    from rollsim.plan.request import format_plan, run_request
    from rollsim.spec.options import OptionError

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
    from rollsim.io.atomic import write_atomically
    from rollsim.io.nodes import make_nodes, nodes_json
    from rollsim.present.console import node_names, nodes_table
    from rollsim.spec.limits import LimitError, check_limit

    options = {k: getattr(args, k) for k in ("control_plane", "not_ready", "cordoned", "zones")
               if getattr(args, k) is not None}
    try:
        check_limit("nodes", args.count)
    except LimitError as exc:
        raise UsageError(f"argument N: {exc}") from None
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


def _presenting(results_dir: Path, draw: Callable[[Any], Sequence[Path]]) -> list[Path]:
    """``draw(results)``; a folder whose tables the plots or the report cannot read is damaged input."""
    from rollsim.sweep.results import ResultsError

    results = _load(results_dir)
    try:
        return list(draw(results))
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        raise ResultsError(f"{results_dir}: damaged results folder: the tables do not hold what rollsim run "
                           f"writes ({type(exc).__name__}: {one_line(exc)}); run the experiment again") from None


def _is_plan(results_dir: Path) -> bool:
    """Whether ``results_dir`` was written by ``rollsim plan``; a path the system refuses (a name
    too long, a file where a folder should be) is bad input, as a missing folder is.
    """
    try:
        return (results_dir / "plan.json").is_file()
    except OSError as exc:
        raise UsageError(f"not a results folder ({exc.strerror or one_line(exc)}): {results_dir}") from None


def _cmd_plot(args: argparse.Namespace) -> int:
    from rollsim.present.plots import save_figures

    _use_agg()
    if _is_plan(args.results):  # a plan folder: its figures come with its report
        return _cmd_report(args)
    _show_paths(args, "figures", _presenting(args.results, save_figures))
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from rollsim.present.report import write_report

    _use_agg()
    if _is_plan(args.results):  # a folder written by rollsim plan
        from rollsim.present.plan_report import write_plan_report

        _show_paths(args, "reports", list(write_plan_report(args.results)))
        return 0
    _show_paths(args, "reports", _presenting(args.results, write_report))
    return 0


def _cmd_schema(args: argparse.Namespace) -> int:
    from rollsim.sweep.schema import schema_text

    sys.stdout.write(schema_text())
    return 0


def _cmd_completion(args: argparse.Namespace) -> int:
    import argcomplete

    sys.stdout.write(argcomplete.shellcode(["rollsim"], shell=args.shell))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rollsim`` console script.

    The one place where whatever went wrong becomes one line on standard error and an exit
    code (``rollsim.exits.exit_for``). ``ROLLSIM_TRACEBACK=1`` re-raises instead.
    """
    words = sys.argv[1:] if argv is None else list(argv)
    completing = "_ARGCOMPLETE" in os.environ
    parser = _build_parser(scenario_flags="simulate" in words or completing, plan_flags="plan" in words or completing)
    commands = {"simulate": _cmd_simulate, "run": _cmd_run, "plot": _cmd_plot, "report": _cmd_report,
                "make-nodes": _cmd_make_nodes, "calibrate": _cmd_calibrate, "schema": _cmd_schema,
                "completion": _cmd_completion, "validate": _cmd_validate, "plan": _cmd_plan}
    try:
        args = parser.parse_args(argv)
        return commands[args.command](args)
    except BrokenPipeError:  # `rollsim ... | head`: the reader left; stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except BaseException as exc:
        said = exit_for(exc)
        if said is None or os.environ.get("ROLLSIM_TRACEBACK"):
            raise
        print(f"rollsim: {said[0]}", file=sys.stderr)
        return said[1]


if __name__ == "__main__":
    sys.exit(main())
