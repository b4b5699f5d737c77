"""The files the presentation writes: figures as PNG, and a report as ``report.md`` and
``report.html`` side by side, every file atomically (``rollsim.io.atomic``).

Shared by the experiment's figures and report (``rollsim.present.plots``,
``rollsim.present.report``) and the plan's (``rollsim.present.plan_report``).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import IO, Any

from matplotlib.figure import Figure

from rollsim.io.atomic import write_atomically, write_text
from rollsim.present.render import render_html, render_markdown

__all__ = ["DPI", "png_bytes", "write_pngs", "write_report_files"]

DPI = 110


def png_bytes(fig: Figure) -> bytes:
    """``fig`` as a PNG at ``DPI``."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def _write_bytes(data: bytes, f: IO[Any]) -> None:
    """Write ``data`` to the open file ``f``."""
    f.write(data)


def write_pngs(folder: Path, images: Mapping[str, bytes]) -> list[Path]:
    """Write each image as ``<folder>/<name>.png``, atomically; the paths, in order."""
    paths = []
    for name, png in images.items():
        path = folder / f"{name}.png"
        write_atomically(path, partial(_write_bytes, png), binary=True)
        paths.append(path)
    return paths


def write_report_files(out: Path, blocks: Sequence[tuple], images: Mapping[str, bytes], title: str
                       ) -> tuple[Path, Path]:
    """Write the report ``blocks`` as ``out/report.md`` and ``out/report.html`` (the HTML embeds ``images``)."""
    md, page = out / "report.md", out / "report.html"
    write_text(md, render_markdown(blocks))
    write_text(page, render_html(blocks, images, title))
    return md, page
