# PYTHON_ARGCOMPLETE_OK
"""The ``rollsim`` command line: each subcommand parses, calls one library function, prints.

Bad input gets one line naming the flag and the rule broken, exit code 2, no traceback,
and nothing written. Every command that prints a result takes ``-o json|yaml|wide|name``
(``rollsim.present.console``) and ``-q``; ``-`` reads a file from standard input. Only
argparse and the package's version are imported to build the parser, so ``--help``,
``--version`` and shell completion start fast; each command imports what it needs.

Exit codes: 0 success; 1 a run failed; 2 bad usage or bad input (also a bare ``rollsim``,
which prints the help); 3 a plan found no setting that fits (``EXIT_NO_FIT``: its output and
files written as when one fits); 130 interrupted.

This module is ``main`` and the dispatch; ``parser`` declares the commands and their flags,
``values`` converts flag values, ``inputs`` reads a scenario from flags and files, ``show``
prints results, and ``commands`` holds one handler per subcommand. ``main`` imports the parser
and the handlers when it runs, not this package: ``python -m rollsim.cli`` imports the package
before its ``__main__`` takes SIGINT and SIGTERM over (``rollsim.__main__.main``), and a signal
then would be a traceback.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rollsim.cli.exits import INTERNAL, PROGRAM, exit_for
from rollsim.sweep.interrupt import cut_short, finishing, terminate_as_interrupt

if TYPE_CHECKING:
    import argparse

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: ``rollsim.__main__.main`` (the ``rollsim`` program) calls it after taking over
    SIGINT and SIGTERM; a script or test may call it with ``argv``.

    The one place where whatever went wrong becomes one line on standard error and an exit
    code (``rollsim.cli.exits.exit_for``). ``ROLLSIM_TRACEBACK=1`` re-raises instead.
    """
    words = sys.argv[1:] if argv is None else list(argv)
    completing = "_ARGCOMPLETE" in os.environ
    try:
        from rollsim.cli import commands
        from rollsim.cli.parser import build_parser

        handlers = {"simulate": commands.cmd_simulate, "run": commands.cmd_run, "plot": commands.cmd_plot,
                    "report": commands.cmd_report, "make-nodes": commands.cmd_make_nodes,
                    "calibrate": commands.cmd_calibrate, "schema": commands.cmd_schema,
                    "completion": commands.cmd_completion, "validate": commands.cmd_validate,
                    "plan": commands.cmd_plan}
        parser = build_parser(scenario_flags="simulate" in words or completing,
                              plan_flags="plan" in words or completing)
        args = parser.parse_args(argv)
        _warn_if_stale_native(args)
        with terminate_as_interrupt():  # SIGTERM at any point of a command reads as Ctrl-C: exit 130, one line
            code = handlers[args.command](args)
        finishing(code, returned=True)  # the rollsim program: a signal from here on only makes the exit 130
        return code
    except BrokenPipeError:  # `rollsim ... | head`: the reader left; stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        finishing(0)
        return 0
    except BaseException as exc:
        said = exit_for(exc if isinstance(exc, KeyboardInterrupt) or not cut_short(exc) else KeyboardInterrupt())
        if said is None or (said[0].startswith(INTERNAL) and _traceback_wanted()):  # bad input stays one line
            raise
        finishing(said[1])  # before the line: a signal now must not add a second one
        print(PROGRAM + said[0], file=sys.stderr, flush=True)
        return said[1]


def _warn_if_stale_native(args: argparse.Namespace) -> None:
    """A native build (``make native``) made from sources that have changed since runs the older
    model under the newer one's run ids: one warning, unless ``--quiet`` (audit 13: it ran silently).
    """
    from rollsim.provenance import NATIVE_MANIFEST, stale_native

    if not NATIVE_MANIFEST.is_file() or getattr(args, "quiet", False):
        return
    found = stale_native()
    if found is not None:
        from rollsim.present.render import count_of

        source, changed = found
        print(f"{PROGRAM}warning: this is the native build in {NATIVE_MANIFEST.parent.parent}, compiled from sources "
              f"that have changed since ({count_of(len(changed), 'file')} of {source}, such as {changed[0]}): its "
              "results are the older sources'; run `make native` again, or leave the build off PYTHONPATH",
              file=sys.stderr)


def _traceback_wanted() -> bool:
    """``ROLLSIM_TRACEBACK`` is 1, true or yes (any case): ``0``, ``false`` or ``no`` must not turn it on."""
    return os.environ.get("ROLLSIM_TRACEBACK", "").strip().lower() in ("1", "true", "yes")
