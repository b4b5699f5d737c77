# PYTHON_ARGCOMPLETE_OK
"""``python -m rollsim`` and the ``rollsim`` console script: the command line (``rollsim.cli.main``).

SIGINT and SIGTERM are taken over first, before the command line is imported
(``rollsim.sweep.interrupt.take_over``), so that a signal at any moment, start-up and exit
included, ends the process with exit 130 and one line, never a traceback or a silent 143.
"""

import sys

from rollsim.sweep.interrupt import cut_short, finishing, take_over

STARTING_LINE = "rollsim: interrupted as it started; nothing was written"


def main() -> int:
    """The ``rollsim`` program: the signals taken over, then ``rollsim.cli.main``; its exit status."""
    code, line = 1, None  # what an exception that escapes (ROLLSIM_TRACEBACK=1) leaves
    try:
        take_over()  # inside: a signal taken the instant its handler is in is this command's (CI: a traceback)
        from rollsim.cli import main as command

        code = command()  # says an interrupt of the command itself, in one line
    except BaseException as exc:
        if isinstance(exc, SystemExit):  # argparse: --help, --version, a usage error
            code, line = _exit_status(exc)
        elif cut_short(exc):  # as the command line was imported, before it could say it
            code, line = 130, STARTING_LINE
        else:
            raise
    finally:
        finishing(code)  # once, whatever happened; before any line, so that a signal cannot add a second
    if line is not None:
        print(line, file=sys.stderr, flush=True)
    return code


def _exit_status(exc: SystemExit) -> tuple[int, str | None]:
    """The exit status and line of ``sys.exit(code)``: an int (``None`` is 0), or a text said with status 1."""
    if exc.code is None or isinstance(exc.code, int):
        return exc.code or 0, None
    return 1, str(exc.code)


if __name__ == "__main__":
    sys.exit(main())
