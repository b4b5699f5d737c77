"""The command handlers: each subcommand's parsed flags go to one library function, and its result is printed.

A handler takes the parsed ``argparse.Namespace`` and returns the exit code; whatever goes
wrong is raised and becomes one line in ``rollsim.cli.main``. Every library module, and
pandas, matplotlib, SciPy, the sweep runner and Dask behind them, is imported inside the
handler that uses it, so that one command never pays for another's imports.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from rollsim.cli.exits import EXIT_NO_FIT, EXIT_OK, UsageError, one_line
from rollsim.cli.inputs import (
    check_live_flags_read,
    flag_names,
    input_flag_error,
    live,
    not_an_input,
    one_stdin,
    scenario_from,
)
from rollsim.cli.show import say, show, show_paths
from rollsim.io.outputs import output_path

__all__ = ["cmd_calibrate", "cmd_completion", "cmd_make_nodes", "cmd_plan", "cmd_plot", "cmd_report", "cmd_run",
           "cmd_schema", "cmd_simulate", "cmd_validate"]


def _write_timeline(args: argparse.Namespace, result: Any) -> None:
    """The timeline in the format ``--timeline``'s suffix names: ``.prom``/``.om`` (an exposition),
    ``.parquet``, ``.json`` (an array of rows, as ``-o json`` readers take it), else CSV (a file
    named ``.parquet`` got CSV, which a Parquet reader then called corrupt).
    """
    from rollsim.io.atomic import write_atomically
    from rollsim.io.openmetrics import HOLD_S, held, timeline_exposition

    path: Path = args.timeline
    end = float(result.summary["end_s"])  # the state after the last change holds to the run's end
    if path.suffix in (".prom", ".om"):
        ds = result.scenario.daemonset
        text = timeline_exposition(held(result.timeline, end, HOLD_S), start_s=args.timeline_start or 0.0,
                                   openmetrics=path.suffix == ".om",
                                   labels={"namespace": ds.namespace, "daemonset": ds.name, "seed": str(result.seed)})
        write_atomically(path, lambda h: h.write(text))
        return
    frame = held(result.timeline, end)
    if path.suffix == ".parquet":
        write_atomically(path, lambda h: frame.to_parquet(h, index=False), binary=True)
    elif path.suffix == ".json":
        write_atomically(path, lambda h: frame.to_json(h, orient="records", double_precision=15))
    else:
        write_atomically(path, lambda h: frame.to_csv(h, index=False))


def cmd_simulate(args: argparse.Namespace) -> int:
    """``rollsim simulate``: one rollout of the scenario its flags and files describe, and its summary."""
    from rollsim.present.console_simulate import format_summary, format_summary_wide, profile_line, simulate_document
    from rollsim.simulation import simulate

    if args.json:  # the old spelling of -o json
        if args.output not in (None, "json"):
            raise UsageError(f"argument --json: is -o json; it does not go with -o {args.output}")
        args.output = "json"
    not_an_input("--timeline", args.timeline, **{"--manifest": args.manifest, "--nodes-file": args.nodes_file,
                                                 "--timings": args.timings})
    if args.timeline_start is not None and (args.timeline is None or args.timeline.suffix not in (".prom", ".om")):
        # the samples' timestamps: other timelines are in seconds from the update (audit 34: ignored without a word)
        raise UsageError("argument --timeline-start: applies only with --timeline PATH.prom or PATH.om")
    scenario = scenario_from(args)
    started = time.perf_counter()
    result = simulate(scenario, seed=args.seed)
    wall = time.perf_counter() - started
    if args.timeline is not None:
        _write_timeline(args, result)
    ds = scenario.daemonset
    # which phases a timing profile set, and which kept their default
    profile = "" if args.timings is None else profile_line(str(args.timings), scenario.timings)
    show(args, format_summary(result, wall) + profile, simulate_document(result), format_summary_wide(result, wall),
         f"daemonset.apps/{ds.name}\n")
    return 0


def _use_agg() -> None:
    import matplotlib

    matplotlib.use("Agg")  # the CLI alone picks the backend: files, never windows


def _load(path: Path):
    """A results folder as the figures and the report read it: of its per-run tables, only their columns."""
    from rollsim.present.plotdata import READ_COLUMNS
    from rollsim.sweep.results import load_results

    return load_results(path, columns=READ_COLUMNS)


def cmd_run(args: argparse.Namespace) -> int:
    """``rollsim run``: every experiment file's sweep, then its results, figures and report."""
    from rollsim.sweep.errors import Interrupted
    from rollsim.sweep.interrupt import cut_short

    try:  # a second or two of imports and reading: an interrupt here has nothing to report
        from rollsim.io.clusterversion import ClusterVersion
        from rollsim.present.console_run import damaged_runs, rebuilt_tables, run_document, stale_runs
        from rollsim.present.console_run import format_run as table
        from rollsim.present.render import format_workers
        from rollsim.present.report import write_report
        from rollsim.sweep.experiment_file import load_experiment
        from rollsim.sweep.runner import check_run, run_experiment

        _use_agg()
        one_stdin(**{f"EXPERIMENT.yaml #{i + 1}": p for i, p in enumerate(args.experiments)})
        cluster = ClusterVersion(live(args))  # a named cluster's version: read once for every experiment
        experiments = [load_experiment(path, live=live(args), cluster=cluster)  # all checked first
                       for path in args.experiments]
    except BaseException as exc:  # an interrupt, or what it became inside an import (``cut_short``)
        if cut_short(exc):
            raise Interrupted("interrupted before any run started; nothing was written") from None
        raise
    _distinct_names(experiments)
    check_live_flags_read(args, experiments)
    for experiment in experiments:
        for warning in experiment.warnings:
            say(args, f"rollsim: warning: {warning}", sys.stderr)
    outs = [_results_folder(args.out, e.name, len(experiments)) for e in experiments]
    for experiment, out in zip(experiments, outs):  # every folder before the first run: exit 2 wrote nothing
        check_run(experiment, out, workers=args.workers, executor=args.executor, scheduler=args.scheduler,
                  force=args.force)

    def present(folder: Path) -> tuple[Any, tuple[Path, Path]]:
        """The figures and the report, drawn from the tables under the sweep's lock (``run_experiment``)."""
        results = _load(folder)
        return results, write_report(results)

    documents, texts, wides = [], [], []
    for experiment, out in zip(experiments, outs):
        started = time.perf_counter()
        report = run_experiment(experiment, out, workers=args.workers, executor=args.executor,
                                scheduler=args.scheduler, force=args.force, progress=False if args.quiet else None,
                                present=present)
        results, paths = report.presented
        wall = time.perf_counter() - started  # the runs, the tables, the figures and the report (audit 10)
        note = (f"{report.runs_run} run{'' if report.runs_run == 1 else 's'} simulated, {report.runs_reused} reused "
                + (f"({format_workers(report.workers, report.executor)}, {wall:.1f} s in all)" if report.runs_run
                   else "from an earlier run (nothing to simulate; --force runs them again)"))
        documents.append(run_document(results, paths, report))
        texts.append(table(results, paths, note))
        wides.append(table(results, paths, note, wide=True))
        if args.output is None and not args.quiet:  # text as each experiment finishes
            print(texts[-1], flush=True)
        if report.runs_stale:
            say(args, f"rollsim: warning: {stale_runs(report.stale, out, experiment)}", sys.stderr)
        if report.runs_damaged:
            say(args, f"rollsim: warning: {damaged_runs(report.runs_damaged)}", sys.stderr)
        if report.tables_damaged:
            say(args, f"rollsim: warning: {rebuilt_tables(report.tables_damaged)}", sys.stderr)
    if args.output is not None:
        show(args, None, documents if len(documents) > 1 else documents[0], "\n".join(wides),
             "".join(f"{d['path']}\n" for d in documents))
    return 0


def _distinct_names(experiments: Sequence[Any]) -> None:
    """Refuse two experiments of one name: their results would go to one folder."""
    first: dict[str, Any] = {}
    for experiment in experiments:
        other = first.setdefault(experiment.name, experiment)
        if other is experiment:
            continue
        a, b = other.document, experiment.document
        if Path(a.file).resolve() == Path(b.file).resolve():
            raise UsageError(f"argument EXPERIMENT.yaml: {a.file} is given twice; give each experiment file once")
        raise UsageError(f"{a.file}:{a.line('name')} and {b.file}:{b.line('name')}: name: both experiments are named "
                         f"{experiment.name!r}, so their results would go to one folder; rename one")


def _results_folder(out: Path | None, name: str, count: int) -> Path:
    """``results/<name>``, ``--out-dir`` itself for one experiment, or ``--out-dir/<name>`` for several."""
    if out is None:
        try:
            return output_path("results", name)
        except ValueError as exc:  # no flag was given: name the default, and the flag that moves it
            raise UsageError(f"the default results folder {Path('results', name)}: {exc}; choose another with "
                             "--out-dir") from None
    try:
        return output_path(out, name) if count > 1 else output_path(out, folder=True)
    except ValueError as exc:
        raise UsageError(f"argument --out-dir/--out: {exc}") from None


def cmd_validate(args: argparse.Namespace) -> int:
    """``rollsim validate``: predicted against reported durations (upstream measurements, field studies)."""
    from rollsim.sweep.validate import format_rows, validate

    seen: set[Path] = set()
    for study in args.studies:  # as run refuses an experiment file given twice
        if Path(study).resolve() in seen:
            raise UsageError(f"argument FIELD.yaml: {study} is given twice; give each field study once")
        seen.add(Path(study).resolve())
    studies = args.studies or sorted(str(p) for p in Path("experiments").glob("field-*.yaml"))
    if not studies:  # run outside the checkout: say why the field studies are missing
        print("rollsim: warning: no field studies here (experiments/field-*.yaml); only the upstream "
              "measurements are compared: run from the rollsim checkout or name the studies", file=sys.stderr)
    rows = validate(studies, args.kubernetes_version, lambda text: print(f"rollsim: warning: {text}", file=sys.stderr))
    print(format_rows(rows, args.kubernetes_version))
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    """``rollsim plan``: the fastest update setting that fits the constraints; exit code 3
    (``EXIT_NO_FIT``) when none does, after the same output and files, so that ``rollsim plan ... &&
    kubectl apply ...`` stops where there is nothing to apply.
    """
    from rollsim.io.inputs import InputError
    from rollsim.io.live import LiveNameError
    from rollsim.plan.flags import FlagError, request_from_args
    from rollsim.plan.request import format_plan, run_request
    from rollsim.spec.options import AllNotReadyError, EmptyClusterError, NoNodeError, OptionError

    _use_agg()
    one_stdin(**{"--manifest": args.manifest, "--nodes-file": args.nodes_file, "--timings": args.timings})
    try:
        result, warnings = run_request(request_from_args(args, live(args)))
    except FlagError as exc:
        raise UsageError(str(exc)) from None
    except NoNodeError as exc:  # nothing to plan: allow_no_nodes, which simulate offers, is no way out here
        raise UsageError(f"argument {flag_names(exc.options)}: the DaemonSet matches no node ({exc.why}); fix its "
                         "nodeSelector, affinity or tolerations: a plan needs nodes to roll out on") from None
    except EmptyClusterError as exc:  # likewise: plan has no --allow-no-nodes
        raise UsageError(f"argument {flag_names(exc.options)}: the cluster has no nodes, so there is no rollout to "
                         "plan; give it nodes: a plan needs nodes to roll out on") from None
    except AllNotReadyError as exc:  # likewise
        raise UsageError(f"argument {flag_names(exc.options)}: all {exc.count:,} nodes that hold the DaemonSet's old "
                         "pod are NotReady, so there is no rollout to plan; a plan needs Ready nodes to roll out on"
                         ) from None
    except OptionError as exc:
        raise UsageError(f"argument {flag_names(exc.options)}: {exc.message}") from None
    except (InputError, LiveNameError) as exc:
        raise input_flag_error(exc) from None
    for warning in warnings:
        say(args, f"rollsim: warning: {warning}", sys.stderr)
    folder = [str(result.out_dir)] if result.out_dir is not None else []
    show(args, format_plan(result), result.document, format_plan(result, ruled_out=None),
         "".join(f"{f}\n" for f in folder))
    return EXIT_OK if result.document["answer"] is not None else EXIT_NO_FIT


# how a make-nodes error names the options it blames, where not by make_nodes's keyword
_MAKE_NODES_SUBJECTS = {("count",): "N", ("not_ready",): "NotReady nodes", ("cordoned",): "cordoned nodes",
                        ("not_ready", "cordoned"): "NotReady plus cordoned nodes",
                        ("control_plane",): "control-plane nodes"}


def cmd_make_nodes(args: argparse.Namespace) -> int:
    """``rollsim make-nodes``: a realistic ``kubectl get nodes -o json`` for N nodes."""
    from rollsim.io.atomic import write_atomically
    from rollsim.io.nodes import NodeOptionError, make_nodes, nodes_json
    from rollsim.present.console import node_names, nodes_table
    from rollsim.spec.limits import LimitError, check_limit

    options = {k: getattr(args, k) for k in ("control_plane", "not_ready", "cordoned", "zones")
               if getattr(args, k) is not None}
    try:
        check_limit("nodes", args.count)
    except LimitError as exc:
        raise UsageError(f"argument N: {exc}") from None
    try:
        kubelet = None if args.kubernetes_version is None else f"v{args.kubernetes_version}.0"
        document = make_nodes(args.count, seed=args.seed, kubelet_version=kubelet, **options)
    except NodeOptionError as exc:  # of the options it is about, blame those given (N always is), else all
        blamed = tuple(o for o in exc.options if o in options or o == "count") or exc.options
        flags = "/".join("N" if o == "count" else f"--{o.replace('_', '-')}" for o in blamed)  # argparse's dests
        subject = _MAKE_NODES_SUBJECTS.get(blamed, " + ".join(blamed))
        if blamed == ("control_plane",) and "control_plane" not in options:  # a default not given: say so
            subject = f"the default {subject}"
        rule = exc.rule.replace("(count)", "(N)").replace("give at most", f"give {flags} at most")
        raise UsageError(f"argument {flags}: {subject} {rule}") from None
    text = nodes_json(document)
    if args.out_file is not None:
        write_atomically(args.out_file, lambda f: f.write(text))
    if args.output is None and args.out_file is None:  # standard output is the file: -q keeps it
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    elif args.output is not None:
        show(args, text, document, nodes_table(document), node_names(document))
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    """``rollsim calibrate``: pod phase timings fitted from ``kubectl get pods -o json``."""
    from rollsim.io.calibrate import calibrate, format_table, profile_document, write_timings
    from rollsim.io.calibrate.notes import failing_notes
    from rollsim.io.calibrate.profile import NO_PULL_MEASURED, nothing_fitted
    from rollsim.present.console import calibration_wide

    one_stdin(**{"PODS.json": args.pods, "--events": args.events})
    not_an_input("--out-file", args.out_file, **{"PODS.json": args.pods, "--events": args.events})
    calibration = calibrate(args.pods, args.events, args.daemonset)
    nothing = nothing_fitted(calibration.phases)
    if nothing:  # whatever -o shows: simulate and plan would run on the defaults alone (audit 42)
        say(args, f"rollsim: warning: {nothing}", sys.stderr)
    pull = calibration.phases.get("pull")
    if args.output and pull is not None and pull.note == NO_PULL_MEASURED:  # the table, which says it, is not shown
        say(args, f"rollsim: warning: pull: {NO_PULL_MEASURED}", sys.stderr)
    for warning in (*calibration.warnings, *failing_notes(calibration.failing, calibration.pods)) if args.output \
            else ():  # the table, whose notes say them, is not shown: pods left out of ready, pods never Ready
        say(args, f"rollsim: warning: {warning}", sys.stderr)
    if args.output == "yaml":  # the profile exactly as --out-file writes it: it can be piped to --timings -
        from rollsim.io.calibrate import profile_text

        sys.stdout.write(profile_text(calibration))
    else:
        show(args, format_table(calibration), profile_document(calibration), calibration_wide(calibration),
             "".join(f"phase/{name}\n" for name in calibration.phases))
    if args.out_file is not None:
        write_timings(calibration, args.out_file)
        say(args, f"timing profile: {args.out_file}", sys.stderr if args.output else sys.stdout)
    return 0


def _figures_folder(results_dir: Path, report: bool = False, plan: bool = False) -> None:
    """A results folder whose ``figures`` is not a folder, or where a figure or (for a ``report``)
    ``report.md`` or ``report.html`` is a folder, is damaged: nothing can be drawn or written there,
    and it is refused before any file is (exit 2; not after the figures were redrawn).
    A folder the command cannot write into (``figures``, and for a ``report`` the results folder
    itself) is bad input, refused before anything is drawn by the rule ``run --out`` is
    (``io.outputs.output_path``). ``plan``: a plan's folder, whose figures are the plan's.
    """
    from rollsim.io.outputs import output_path
    from rollsim.sweep.folder import FIGURE_FILES, REPORTS
    from rollsim.sweep.results import ResultsError

    figures = results_dir / "figures"
    if figures.exists() and not figures.is_dir():
        raise ResultsError(f"{figures}: damaged results folder: not a folder, so no figure can be written there")
    if plan:
        from rollsim.present.plan_plots import PLAN_FIGURES

        names: Sequence[str] = [f"{name}.png" for name in PLAN_FIGURES]
    else:
        names = FIGURE_FILES
    for path in [*(figures / name for name in names), *(results_dir / name for name in REPORTS if report)]:
        if path.is_dir():
            what = "the figure" if path.parent == figures else "the report"
            raise ResultsError(f"{path}: damaged results folder: a folder, not a file, so {what} cannot be written "
                               "there")
    try:
        for folder in (results_dir, figures) if report else (figures,):
            output_path(folder, folder=True)
    except ValueError as exc:
        raise UsageError(f"argument RESULTS_DIR: {exc}") from None


def _presenting(results_dir: Path, draw: Callable[[Any], Sequence[Path]], report: bool = False) -> list[Path]:
    """``draw(results)`` (the ``report``, or the figures); a folder whose tables the plots or the
    report cannot read is damaged input.
    """
    from rollsim.sweep.results import ResultsError

    results = _load(results_dir)
    _figures_folder(results_dir, report)
    try:
        return list(draw(results))
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        raise ResultsError(f"{results_dir}: damaged results folder: the tables do not hold what rollsim run "
                           f"writes ({type(exc).__name__}: {one_line(exc)}); run the experiment again") from None


def _is_plan(results_dir: Path) -> bool:
    """Whether ``results_dir`` was written by ``rollsim plan``; a path the system refuses (a name
    too long, a file where a folder should be) is bad input, as a missing folder is.
    """
    from rollsim.plan.files import unfinished_plan
    from rollsim.sweep.results import ResultsError

    try:
        if (results_dir / "plan.json").is_file():
            return True
        unfinished = unfinished_plan(results_dir)
    except OSError as exc:
        raise UsageError(f"not a results folder ({exc.strerror or one_line(exc)}): {results_dir}") from None
    if unfinished is not None:
        raise ResultsError(f"{results_dir}: {unfinished}")
    return False


@contextmanager
def _holding(results_dir: Path) -> Iterator[None]:
    """The results folder's lock while ``report`` or ``plot`` reads and writes it, as ``run`` and
    ``plan`` hold it: one started before a ``run --force`` would write the old study's report
    over the folder the sweep has cleared. A folder that is not there, or not writable (no lock
    file can be made in it), is left to the reader to name.
    """
    from rollsim.sweep.folder import locked

    try:
        lock = locked(results_dir) if results_dir.is_dir() and os.access(results_dir, os.W_OK) else nullcontext()
    except OSError:  # a name the system refuses (too long): the reader says so
        lock = nullcontext()
    with lock:
        yield


def cmd_plot(args: argparse.Namespace) -> int:
    """``rollsim plot``: the figures of a results folder, drawn again from its saved tables."""
    with _holding(args.results):
        return _plot(args)


def _plot(args: argparse.Namespace) -> int:
    from rollsim.present.plots import save_figures

    _use_agg()
    if _is_plan(args.results):  # a folder written by rollsim plan
        from rollsim.present.plan_report import write_plan_figures

        _figures_folder(args.results, plan=True)
        show_paths(args, "figures", write_plan_figures(args.results))
        return 0
    from rollsim.present.report import undrawable

    def draw(results: Any) -> list[Path]:
        paths = save_figures(results)
        for name, needs in undrawable(results).items():
            say(args, f"rollsim: warning: {name}.png not drawn again: {needs}.parquet is not in {args.results}",
                sys.stderr)
        return paths

    show_paths(args, "figures", _presenting(args.results, draw))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """``rollsim report``: report.md and report.html of a results folder (or a plan's folder)."""
    with _holding(args.results):
        return _report(args)


def _report(args: argparse.Namespace) -> int:
    from rollsim.present.report import write_report

    _use_agg()
    if _is_plan(args.results):  # a folder written by rollsim plan
        from rollsim.present.plan_report import write_plan_report

        _figures_folder(args.results, report=True, plan=True)
        show_paths(args, "reports", list(write_plan_report(args.results)))
        return 0
    show_paths(args, "reports", _presenting(args.results, write_report, report=True))
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    """``rollsim schema``: the JSON Schema of experiment files."""
    from rollsim.sweep.schema import schema_text

    sys.stdout.write(schema_text())
    return 0


def cmd_completion(args: argparse.Namespace) -> int:
    """``rollsim completion``: the shell's completion script (argcomplete)."""
    import argcomplete

    sys.stdout.write(argcomplete.shellcode(["rollsim"], shell=args.shell))
    return 0

