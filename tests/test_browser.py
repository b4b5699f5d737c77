"""Every shipped study's figures and report, checked as a reader sees them.

The figures are laid out by matplotlib and checked for empty axes, labels and legends cut by
the figure's edge, and annotations or points outside their axes; the HTML report is opened in
headless Chromium (Debian's ``chromium`` package) 1,400 and 900 px wide and checked for tables
that need a horizontal scroll bar, words broken across lines in a table cell and images that do
not load. Slow: run with ``-m slow``.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pytest
from matplotlib.figure import Figure
from rollsim.present.plots import FIGURES, draw_figure
from rollsim.present.report import write_report
from rollsim.sweep.results import load_results

from figcheck import CHROMIUM, figure_problems, page_problems

matplotlib.use("Agg")
SHIPPED = sorted(p.parent for p in (Path(__file__).parent.parent / "results").glob("*/summary.csv"))


@pytest.mark.slow
@pytest.mark.parametrize("folder", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_figure_shows_data_and_fits(folder: Path) -> None:
    results = load_results(folder)
    problems = []
    for name, (_size, needs) in FIGURES.items():
        if needs is not None and getattr(results, needs) is None:
            continue
        problems += figure_problems(draw_figure(results, name), f"{folder.name}/{name}")
    assert problems == []


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium "
                                                   "(apt-get install chromium)")
@pytest.mark.parametrize("folder", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_report_reads_at_1400_and_900_px_in_chromium(folder: Path, tmp_path: Path) -> None:
    _, page = write_report(load_results(folder), tmp_path)
    assert page_problems(page, 1400) == []
    assert page_problems(page, 900) == []


def test_the_checks_can_fail(tmp_path: Path) -> None:
    """An empty axes, a label past the edge and an overflowing table are all reported."""
    fig = Figure(figsize=(4, 3))
    ax = fig.add_subplot()
    ax.plot([float("nan")], [float("nan")], "o")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.annotate("far away", (0.5, 0.5), xytext=(0.5, 1.4), textcoords="axes fraction")
    problems = figure_problems(fig, "bad")
    assert any("cut by the figure's edge" in p for p in problems)
    assert any("falls outside the axes" in p for p in problems)
    fig = Figure(figsize=(4, 3))
    fig.add_subplot().plot([], [])
    assert any("shows no data" in p for p in figure_problems(fig, "empty"))
    if CHROMIUM.exists():
        page = tmp_path / "wide" / "report.html"
        page.parent.mkdir()
        page.write_text('<!DOCTYPE html><html><body><main style="max-width:600px"><div class="scroll" '
                        'style="overflow-x:auto"><table><tr><td style="white-space:nowrap">' + "x" * 400 +
                        "</td></tr></table></div></main></body></html>", encoding="utf-8")
        assert any("needs a scroll bar" in p for p in page_problems(page, 1400))
        # cells that break anywhere, as the report's did: words broken mid-word are found
        page.write_text('<!DOCTYPE html><html><body><table style="width:1px"><tr><td style="overflow-wrap:anywhere">'
                        "lognormal(median=24, p95=40)</td><td>kube-system/ds-1</td></tr><tr><td>x</td><td>"
                        "1,000,000</td><td>min_<wbr>available_<wbr>fraction</td></tr></table></body></html>",
                        encoding="utf-8")
        broken = [p for p in page_problems(page, 1400) if "a word breaks" in p]
        assert any("lognorm|al" in p for p in broken)
        assert any("kube-|system" in p for p in broken)  # a name broken at its hyphen is a broken word
        assert any("min_|avail" in p for p in broken)  # and a setting's name broken at its underscores
        assert not any("1,0" in p for p in broken)  # a number in a cell that may not break anywhere is whole
