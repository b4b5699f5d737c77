"""The ``rollsim`` command line: each subcommand parses, calls one library function, prints.

Bad input gets one line naming the flag and the rule broken, exit code 2, no traceback,
and nothing written.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from rollsim.exits import UsageError, exit_for, one_line
from rollsim.io.outputs import output_path
from rollsim.spec.limits import LimitError, check_limit
from rollsim.spec.options import (
    IGNORED_NOTE,
    RULES,
    OptionError,
    build_scenario,
    ignored_options,
    non_negative_integer,
)
from rollsim.spec.settings import SETTINGS
from rollsim.io.atomic import write_atomically
from rollsim.present.summary import clean, format_run, format_summary
from rollsim.simulation import simulate

__all__ = ["main"]

class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A value that starts with '-' and a digit or '.' ("-10%", "-1", "-100m", "-.5") is a
        # value, not an unknown option, so that the flag's rule says what is wrong with it.
        # argparse reads this (private, stable since Python 3.2) pattern for that decision.
        self._negative_number_matcher = re.compile(r"^-[0-9.]")

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


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="rollsim", description="Simulate Kubernetes DaemonSet updates in virtual time.")
    parser.add_argument("--version", action="version", version="rollsim 0.1.0")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sim = sub.add_parser("simulate", help="run one rollout and print its summary")

    for setting in SETTINGS:  # one flag per declared setting (rollsim.spec.settings)
        if not setting.flag:
            continue
        if setting.kind.choices:
            sim.add_argument(setting.flag_name, choices=setting.kind.choices, help=setting.help_text())
        else:
            # text: build_scenario converts it, once, with the rule an experiment file's value meets
            sim.add_argument(setting.flag_name, metavar=setting.kind.metavar, help=setting.help_text())
    sim.add_argument("--seed", type=_checked(non_negative_integer), default=0, metavar="N",
                     help="root seed (default 0)")
    scenario_options = [setting.name for setting in SETTINGS if setting.flag]
    sim.set_defaults(scenario_options=tuple(scenario_options))
    files = sim.add_argument_group("inputs from files (flags above override them)")
    files.add_argument("--manifest", metavar="DS.yaml", help="an apps/v1 DaemonSet (kubectl apply -f or get -o yaml)")
    files.add_argument("--daemonset", metavar="NAME", help="which DaemonSet of a manifest with several")
    files.add_argument("--strict", action="store_true", help="unknown manifest fields are errors, not warnings")
    files.add_argument("--nodes-file", metavar="NODES.json", help="kubectl get nodes -o json (replaces --nodes)")
    files.add_argument("--timings", metavar="TIMINGS.yaml", help="a timing profile written by rollsim calibrate")
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
    run.add_argument("--out", type=_checked(_output_folder), metavar="DIR",
                     help="results folder (default results/<name>; with several files, DIR/<name>)")
    run.add_argument("--workers", type=_checked(RULES["workers"]), metavar="N",
                     help="local worker processes (default all cores; 1 runs in this process)")
    run.add_argument("--executor", choices=("serial", "processes", "dask"),
                     help="dask starts a local Dask cluster")
    run.add_argument("--scheduler", type=_checked(_scheduler_address), metavar="ADDRESS",
                     help="run on an existing Dask cluster (tcp://host:8786)")
    run.add_argument("--force", action="store_true", help="discard saved runs and run everything again")
    sub.add_parser("schema", help="print the JSON Schema of experiment files (experiments/experiment.schema.json)")
    for name, text in (("plot", "redraw the figures of a results folder"),
                       ("report", "write report.md and report.html of a results folder")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("results", type=Path, metavar="RESULTS_DIR")
    return parser




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
        inputs = load_inputs(files, name=args.daemonset)
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
        scenario = build_scenario(daemonset_spec=inputs.daemonset_spec, node_list=inputs.node_list, **options)
    except OptionError as exc:  # every flag's rule, and the rules that tie two flags together
        plural = "s" if len(exc.options) > 1 else ""
        raise UsageError(f"argument{plural} {_flags(exc.options)}: {exc.message}") from None
    for name in ignored_options(scenario, [n for n in args.scenario_options if getattr(args, n) is not None]):
        print(f"rollsim: warning: argument {_flags((name,))}: {IGNORED_NOTE}", file=sys.stderr)
    return scenario


def _cmd_simulate(args: argparse.Namespace) -> int:
    scenario = _scenario_from(args)
    started = time.perf_counter()
    result = simulate(scenario, seed=args.seed)
    wall = time.perf_counter() - started
    if args.timeline is not None:
        write_atomically(args.timeline, lambda h: result.timeline.to_csv(h, index=False))
    if args.json:
        print(json.dumps({k: clean(v) for k, v in result.summary.items()}, indent=2))
    else:
        print(format_summary(result, wall))
    return 0


def _use_agg() -> None:
    import matplotlib

    matplotlib.use("Agg")  # the CLI alone picks the backend: files, never windows


def _load(path: Path):
    from rollsim.sweep.results import load_results

    return load_results(path)


def _cmd_run(args: argparse.Namespace) -> int:
    from rollsim.sweep.experiment import load_experiment
    from rollsim.present.report import write_report
    from rollsim.sweep.runner import run_experiment

    _use_agg()
    experiments = [load_experiment(path) for path in args.experiments]  # all checked before any run
    names = [e.name for e in experiments]
    if len(set(names)) != len(names):
        raise UsageError("two experiment files have the same name; their results would collide")
    for experiment in experiments:
        for warning in experiment.warnings:
            print(f"rollsim: warning: {warning}", file=sys.stderr)
    outs = [_results_folder(args.out, e.name, len(experiments)) for e in experiments]
    for experiment, out in zip(experiments, outs):
        report = run_experiment(experiment, out, workers=args.workers, executor=args.executor,
                                scheduler=args.scheduler, force=args.force)
        results = _load(out)
        paths = write_report(results)
        note = (f"{report.runs_run} runs simulated, {report.runs_reused} reused "
                f"({report.executor}, {report.workers} workers, {report.wall_s:.1f} s)")
        print(format_run(results, paths, note))
    return 0


def _results_folder(out: Path | None, name: str, count: int) -> Path:
    """``results/<name>``, ``--out`` itself for one experiment, or ``--out/<name>`` for several."""
    try:
        if out is None:
            return output_path("results", name)
        return output_path(out, name) if count > 1 else output_path(out, folder=True)
    except ValueError as exc:
        raise UsageError(f"argument --out: {exc}") from None


def _cmd_make_nodes(args: argparse.Namespace) -> int:
    from rollsim.io.nodes import make_nodes, nodes_json

    options = {k: getattr(args, k) for k in ("control_plane", "not_ready", "cordoned", "zones")
               if getattr(args, k) is not None}
    try:
        check_limit("nodes", args.count)
    except LimitError as exc:
        raise UsageError(f"argument N: {exc}") from None
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


def _presenting(results_dir: Path, draw: Callable[[Any], list[Path]]) -> list[Path]:
    """``draw(results)``; a folder whose tables the plots or the report cannot read is damaged input."""
    from rollsim.sweep.results import ResultsError

    results = _load(results_dir)
    try:
        return draw(results)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        raise ResultsError(f"{results_dir}: damaged results folder: the tables do not hold what rollsim run "
                           f"writes ({type(exc).__name__}: {one_line(exc)}); run the experiment again") from None


def _cmd_plot(args: argparse.Namespace) -> int:
    from rollsim.present.plots import save_figures

    _use_agg()
    for path in _presenting(args.results, save_figures):
        print(path)
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from rollsim.present.report import write_report

    _use_agg()
    for path in _presenting(args.results, lambda results: list(write_report(results))):
        print(path)
    return 0


def _cmd_schema(args: argparse.Namespace) -> int:
    from rollsim.sweep.schema import schema_text

    sys.stdout.write(schema_text())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rollsim`` console script.

    The one place where whatever went wrong becomes one line on standard error and an exit
    code (``rollsim.exits.exit_for``). ``ROLLSIM_TRACEBACK=1`` re-raises instead.
    """
    parser = _build_parser()
    commands = {"simulate": _cmd_simulate, "run": _cmd_run, "plot": _cmd_plot, "report": _cmd_report,
                "make-nodes": _cmd_make_nodes, "calibrate": _cmd_calibrate, "schema": _cmd_schema}
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
