"""The command line's parser: every subcommand, its flags and their help texts, declared in one place.

argparse errors become ``UsageError`` (one line, exit code 2). Building it imports argparse
and the output formats, nothing heavy (the package's version is read only for ``--version``),
so ``--help``, ``--version`` and shell completion start fast: simulate's scenario flags
(``rollsim.spec.settings``, which imports NumPy) and plan's flags (``rollsim.plan.flags``)
are declared only when asked for.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from rollsim.cli.exits import UsageError
from rollsim.cli.values import (
    any_path,
    checked,
    count,
    daemonset,
    epoch_seconds,
    input_file,
    output_file,
    output_folder,
    results_folder,
    rule,
    scheduler_address,
    workers,
)

__all__ = ["build_parser", "live_flags"]


class _Parser(argparse.ArgumentParser):
    """argparse, with errors raised as ``UsageError`` (one line, exit code 2)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # no silent prefix matching (--min-ready for --min-ready-seconds): a flag is written whole, so
        # that a flag added later cannot change what an old command line means
        kwargs.setdefault("allow_abbrev", False)
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
        if not argv:  # the help, then the one error line (which one_line would fold the help into)
            self.print_help(sys.stderr)
            raise UsageError("no command given")
        try:
            return super().parse_args(argv, namespace)
        except UsageError as exc:
            hint = _did_you_mean(self, str(exc), argv)
            if hint:
                raise UsageError(f"{exc}{hint}") from None
            raise


def _spelling(flag: str) -> str:
    """A flag as its words alone: ``--maxUnavailable``, ``--max_unavailable`` and ``--max-unavailable``
    are all ``maxunavailable``.
    """
    return re.sub(r"[-_]", "", flag).lower()


def _did_you_mean(parser: argparse.ArgumentParser, message: str, argv: Sequence[str]) -> str:
    """For flags argparse did not recognize, the command's flags they spell otherwise (a Kubernetes
    field's camelCase, ``--maxUnavailable``; snake_case, an experiment key's) or begin (``--min-ready``,
    which argparse no longer completes): ``; did you mean --max-unavailable?``. Empty when there is none.
    """
    if not message.startswith("unrecognized arguments:"):
        return ""
    commands = next((a.choices for a in parser._actions if isinstance(a, argparse._SubParsersAction)), {})
    command = next((commands[arg] for arg in argv if arg in commands), None)
    if command is None:
        return ""
    flags = {_spelling(flag): flag for action in command._actions for flag in action.option_strings
             if flag.startswith("--")}
    unknown = [arg.split("=", 1)[0] for arg in message.removeprefix("unrecognized arguments:").split()
               if arg.startswith("--")]
    meant = {}
    for arg in unknown:
        starting = [flag for flag in flags.values() if flag.startswith(arg)]  # a prefix: flags are written whole
        if _spelling(arg) in flags or len(starting) == 1:
            meant[arg] = flags.get(_spelling(arg)) or starting[0]
    said = [f"{arg} → {flag}" if len(unknown) > 1 else flag for arg, flag in meant.items()]
    return f"; did you mean {', '.join(said)}?" if said else ""


class _OneFile(argparse.Action):
    """A file input that ``simulate`` reads one of: given twice is an error, where argparse would
    keep the last one silently (two manifests are not two DaemonSets updated together).
    """

    def __call__(self, parser: argparse.ArgumentParser, namespace: Any, values: Any,
                 option_string: str | None = None) -> None:
        if getattr(namespace, self.dest, None) is not None:
            more = (" (DaemonSets updated together are an experiment's `also:`; "
                    "a file with several chooses one with --daemonset)") if self.dest == "manifest" else ""
            parser.error(f"{option_string} given twice: simulate reads one{more}")
        setattr(namespace, self.dest, values)


class _Repeated(argparse.Action):
    """A flag whose setting takes a list in an experiment file (``cluster.add_nodes: [5@3, 5@6]``):
    given once, its value; given again, the list of every value in order, where argparse would
    keep the last one silently.
    """

    def __call__(self, parser: argparse.ArgumentParser, namespace: Any, values: Any,
                 option_string: str | None = None) -> None:
        before = getattr(namespace, self.dest, None)
        if before is None:
            setattr(namespace, self.dest, values)
        else:
            setattr(namespace, self.dest, [*(before if isinstance(before, list) else [before]), values])


class _Version(argparse.Action):
    """``--version``: argparse's version action, the version read only when asked for
    (``rollsim.__version__`` reads the package metadata, which ``--help`` need not pay for).
    """

    def __call__(self, parser: argparse.ArgumentParser, namespace: Any, values: Any,
                 option_string: str | None = None) -> NoReturn:
        import rollsim

        print(f"rollsim {rollsim.__version__}")  # on standard output, as argparse's own action prints it
        parser.exit()


def _common() -> argparse.ArgumentParser:
    """``-o`` and ``-q``, the same on every command that prints a result."""
    from rollsim.present.console import FORMATS

    common = argparse.ArgumentParser(add_help=False)

    def output_format(text: str) -> str:
        if text not in FORMATS:
            hint = "; files are written with --out-file" if "." in text or "/" in text else ""
            raise argparse.ArgumentTypeError(f"must be one of {', '.join(FORMATS)}, got {text!r}{hint}")
        return text

    output = common.add_argument("-o", "--output", type=output_format, metavar="|".join(FORMATS),
                                 help="print the result as json, yaml, wide (more columns) or name (names only)")
    output.completer = lambda **_: FORMATS  # type: ignore[attr-defined]  # argcomplete: the formats, not files
    common.add_argument("-q", "--quiet", action="store_true",
                        help="print nothing but errors (no warnings, no progress) unless -o asks for output")
    return common


# what `rollsim plan --help` says of its exit codes: a plan with no answer is no failure, and no success either
_PLAN_EXITS = ("Exit codes: 0 a setting fits (its patch is printed); 3 no setting fits: the plan's report and files "
              "are written as before (plan.json's answer is null), so `rollsim plan ... && kubectl apply ...` stops "
              "there; 1 a run failed; 2 bad usage or input; 130 interrupted.")


def build_parser(scenario_flags: bool = True, plan_flags: bool = True) -> argparse.ArgumentParser:
    """The whole parser; ``scenario_flags=False`` leaves out simulate's scenario flags, whose
    declarations import NumPy (``rollsim --help`` and ``--version`` do not show them).
    """
    parser = _TopParser(prog="rollsim", description="Simulate Kubernetes DaemonSet updates in virtual time.",
                        epilog="Exit codes: 0 success, 1 a run failed, 2 bad usage or input, 3 a plan found no "
                               "setting that fits, 130 interrupted. A file argument of - reads standard input.")
    parser.add_argument("--version", action=_Version, nargs=0, help="show program's version number and exit")
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
        if setting.kind is BOOLEAN and setting.default is not False:  # on, or unset: --no-NAME turns it off
            sim.add_argument(setting.flag_name, action=argparse.BooleanOptionalAction, default=None,
                             help=setting.help_text())
        elif setting.kind is BOOLEAN:  # a switch: given, it is true
            sim.add_argument(setting.flag_name, action="store_const", const=True, default=None,
                             help=setting.help_text())
        elif setting.kind.choices:
            # a rule that reads more than its choices (a version's v1.34 or 1.34.2) converts first, as plan's
            # flag does: the same forms accepted, the same message for the others
            reads = str if setting.kind.rule.__name__ == "choose" else rule(setting.name)
            sim.add_argument(setting.flag_name, type=reads, choices=setting.kind.choices, help=setting.help_text())
        elif setting.kind.repeatable:  # each repeat adds an item, as the experiment file's list does
            sim.add_argument(setting.flag_name, metavar=setting.kind.metavar, action=_Repeated,
                             help=f"{setting.help_text()}; repeat the flag for more")
        else:
            # text: build_scenario converts it, once, with the rule an experiment file's value meets
            sim.add_argument(setting.flag_name, metavar=setting.kind.metavar, help=setting.help_text())
    sim.add_argument("--seed", type=count, default=0, metavar="N", help="root seed (default 0)")
    scenario_options = [setting.name for setting in settings if setting.flag]
    sim.set_defaults(scenario_options=tuple(scenario_options))
    files = sim.add_argument_group("inputs from files (flags above override them)")
    files.add_argument("--manifest", metavar="DS.yaml", action=_OneFile,
                       help="an apps/v1 DaemonSet (kubectl apply -f or get -o yaml); - reads standard input")
    files.add_argument("--daemonset", type=daemonset, metavar="NAME", help="which DaemonSet of a manifest with several "
                       "(NAMESPACE/NAME where one name is in two namespaces)")
    files.add_argument("--strict", action="store_true", help="unknown manifest fields are errors, not warnings")
    files.add_argument("--nodes-file", metavar="NODES.json", action=_OneFile,
                       help="kubectl get nodes -o json (replaces --nodes); - reads standard input")
    files.add_argument("--timings", metavar="TIMINGS.yaml", action=_OneFile,
                       help="a timing profile written by rollsim calibrate; - reads standard input")
    live_flags(files)
    sim.add_argument("--timeline", type=checked(output_file), metavar="PATH",
                     help="write the timeline: PATH.prom in the Prometheus text format (timestamps in ms), "
                          "PATH.om in OpenMetrics (for promtool backfilling), PATH.parquet, PATH.json (an array of "
                          "rows), anything else as CSV")
    sim.add_argument("--timeline-start", type=checked(epoch_seconds), metavar="TIME",
                     help="the wall-clock time of the update's start in --timeline's .prom/.om samples: "
                          "ISO 8601 (2024-06-01T12:00:00Z) or Unix seconds (default 0)")
    sim.add_argument("--json", action="store_true", help="the same as -o json (deprecated)")
    make = sub.add_parser("make-nodes", help="write a realistic `kubectl get nodes -o json` for N nodes",
                          parents=common)
    make.add_argument("count", type=count, metavar="N", help="nodes in all")
    make.add_argument("--out-file", type=checked(output_file), metavar="NODES.json",
                      help="write the node list (JSON) to this file instead of standard output")
    make.add_argument("--seed", type=count, default=0, metavar="S")
    for flag, text in (("--control-plane", "control-plane nodes, tainted NoSchedule (default 3)"),
                       ("--not-ready", "NotReady nodes, tainted as the node lifecycle controller does (default 0)"),
                       ("--cordoned", "cordoned (unschedulable) nodes (default 0)"),
                       ("--zones", "availability zones (default 3)")):
        make.add_argument(flag, type=count, metavar="M", help=text)
    make.add_argument("--kubernetes-version", type=rule("kubernetes_version"), metavar="1.MM",
                      help="the version the kubelets run, as v1.MM.0 (default: the newest modelled, as "
                           "simulate's default): simulate the list with the same --kubernetes-version")
    cal = sub.add_parser("calibrate", help="fit pod phase timings from `kubectl get pods -o json`", parents=common)
    cal.add_argument("pods", type=checked(input_file), metavar="PODS.json",
                     help="kubectl get pods -o json; - reads standard input")
    cal.add_argument("--events", type=checked(input_file), metavar="EVENTS.json",
                     help="kubectl get events -o json (exact pull times); - reads standard input")
    cal.add_argument("--daemonset", type=daemonset, metavar="NAME",
                     help="measure the pods this DaemonSet controls (ownerReferences; NAMESPACE/NAME where one name "
                          "is in two namespaces): needed when the list holds pods of several")
    cal.add_argument("--out-file", type=checked(output_file), metavar="TIMINGS.yaml",
                     help="write the timing profile (use it with --timings or scenario.timings); "
                          "-o yaml prints the same profile")
    val = sub.add_parser("validate", help="predicted against reported durations: upstream measurements, field studies")
    val.add_argument("studies", nargs="*", type=checked(input_file), metavar="FIELD.yaml",
                     help="field studies (default experiments/field-*.yaml)")
    val.add_argument("--kubernetes-version", type=rule("kubernetes_version"), metavar="1.MM",
                     help="replay every case with this version's controller (default: each case's own)")
    run = sub.add_parser("run", help="run experiment files and write results, figures and reports", parents=common)
    run.add_argument("experiments", nargs="+", type=checked(input_file), metavar="EXPERIMENT.yaml",
                     help="experiment files; - reads one from standard input")
    run.add_argument("--out-dir", "--out", dest="out", type=checked(output_folder), metavar="DIR",
                     help="results folder (default results/<name>; with several files, DIR/<name>)")
    run.add_argument("--workers", type=workers, metavar="N",
                     help="local worker processes (default all cores, within the cap; 1 runs in this process; "
                          "at most 4 per core unless ROLLSIM_MAX_WORKERS says otherwise)")
    run.add_argument("--executor", choices=("serial", "processes", "dask"),
                     help="dask starts a local Dask cluster")
    run.add_argument("--scheduler", type=checked(scheduler_address), metavar="ADDRESS",
                     help="run on an existing Dask cluster (tcp://host:8786)")
    run.add_argument("--force", action="store_true", help="discard saved runs and run everything again")
    live_flags(run)
    plan_help = "find the fastest update setting that fits a window, a floor and a surge budget"
    plan = sub.add_parser("plan", help=plan_help, parents=common, epilog=_PLAN_EXITS)
    if plan_flags:  # its flags import the planner (NumPy, SimPy): only when asked for
        from rollsim.plan.flags import add_plan_arguments

        add_plan_arguments(plan, live_flags)
    sub.add_parser("schema", help="print the JSON Schema of experiment files (experiments/experiment.schema.json)")
    for name, text in (("plot", "redraw the figures of a results folder"),
                       ("report", "write report.md and report.html of a results folder")):
        cmd = sub.add_parser(name, help=text, parents=common)
        cmd.add_argument("results", type=checked(results_folder), metavar="RESULTS_DIR")
    completion = sub.add_parser("completion", help="print the shell completion script: "
                                "eval \"$(rollsim completion bash)\" (also zsh, fish)")
    completion.add_argument("shell", choices=("bash", "zsh", "fish", "tcsh"))
    if "_ARGCOMPLETE" in os.environ:  # the shell asks for completions: answer and exit
        import argcomplete

        argcomplete.autocomplete(parser)
    return parser


def live_flags(group) -> None:
    """--context/--kubeconfig/--namespace: read ``ds/NAME`` (and the nodes) from a live cluster."""
    group.add_argument("--context", metavar="NAME", help="kubeconfig context of a live cluster (with ds/NAME)")
    group.add_argument("--kubeconfig", metavar="PATH", type=checked(any_path),
                       help="kubeconfig file (default $KUBECONFIG or ~/.kube/config)")
    group.add_argument("-n", "--namespace", metavar="NS",
                       help="namespace of ds/NAME (default: the context's), or of a manifest file's DaemonSet "
                            "without one, as kubectl apply -n takes it")
