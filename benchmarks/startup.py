"""Start-up cost of the CLI: CPU seconds of ``rollsim --help`` and ``rollsim simulate --nodes 10``.

Each command runs in a fresh interpreter (``python -m rollsim``, this checkout first on the
path); its CPU time (user + system) is read from ``getrusage(RUSAGE_CHILDREN)`` before and
after, so the figure is the whole process: the interpreter, every import, the work. Best
of ``--repeats``. The children may write their bytecode cache (``PYTHONDONTWRITEBYTECODE``
is dropped from their environment): the figure is a start as any start after the first
has it, not one that compiles rollsim's modules from source again.

    python3 benchmarks/startup.py [--repeats 3] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

COMMANDS = {
    "rollsim --help": ["--help"],
    "rollsim simulate --nodes 10": ["simulate", "--nodes", "10"],
}


def child_cpu_seconds(args: list[str]) -> float:
    """CPU seconds (user + system) of ``python -m rollsim ARGS`` in a fresh process."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # a cached start (see the module docstring)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-m", "rollsim", *args], check=True, env=env, cwd=ROOT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(repeats: int = 3) -> list[dict]:
    """One row per command: the best CPU time of ``repeats`` fresh processes."""
    return [{"command": name, "cpu_s": min(child_cpu_seconds(args) for _ in range(repeats)), "repeats": repeats}
            for name, args in COMMANDS.items()]


def markdown_table(rows: list[dict]) -> str:
    """The rows as a Markdown table."""
    lines = ["| command | CPU s (best of N, fresh process) |", "|---|---:|"]
    lines += [f"| `{r['command']}` | {r['cpu_s']:.2f} |" for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--json", type=Path, default=None, help="also write the rows to this file")
    args = p.parse_args(argv)
    rows = measure(args.repeats)
    print(markdown_table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
