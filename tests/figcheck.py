"""What a reader would see is wrong with a figure or a report page, found mechanically.

``figure_problems`` lays a matplotlib Figure out and lists empty axes, text (labels, tick
labels, annotations, legends) cut by the figure's edge, annotations and points outside their
axes. ``page_problems`` opens an HTML report in headless Chromium at a given width and lists
tables that need a horizontal scroll bar, a page wider than the window, words broken across lines in a
table cell, and images that did not load.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from matplotlib.collections import Collection
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.text import Text

CHROMIUM = Path("/usr/bin/chromium")
_SLACK = 1.5  # display pixels of tolerance


def _inside(inner, outer) -> bool:
    return (inner.x0 >= outer.x0 - _SLACK and inner.y0 >= outer.y0 - _SLACK and inner.x1 <= outer.x1 + _SLACK
            and inner.y1 <= outer.y1 + _SLACK)


def _points_in_view(ax) -> int:
    """How many finite data points of lines and collections lie inside the axes' view."""
    (x0, x1), (y0, y1) = sorted(ax.get_xlim()), sorted(ax.get_ylim())
    count = 0
    for artist in [*ax.lines, *ax.collections]:
        if isinstance(artist, Line2D):
            xy = np.column_stack([np.asarray(artist.get_xdata(), dtype=float),
                                  np.asarray(artist.get_ydata(), dtype=float)]) if len(artist.get_xdata()) else \
                np.empty((0, 2))
            if artist.get_transform() != ax.transData:
                continue  # axhline/axvline and friends: not data
        elif isinstance(artist, Collection):
            paths = artist.get_paths()
            offsets = artist.get_offsets()
            xy = np.asarray(offsets, dtype=float) if len(offsets) > 1 or not paths else \
                np.vstack([p.vertices for p in paths]) if paths else np.empty((0, 2))
        else:
            continue
        xy = xy[np.isfinite(xy).all(axis=1)] if len(xy) else xy
        count += int(((xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1)).sum()) if len(xy) \
            else 0
    return count


def figure_problems(fig: Figure, name: str = "figure") -> list[str]:
    """Everything visibly wrong with ``fig`` once laid out (an empty list when nothing is)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if not hasattr(fig.canvas, "get_renderer"):
        FigureCanvasAgg(fig)
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    page = fig.bbox
    problems = []
    for ax in fig.axes:
        if _points_in_view(ax) == 0 and not ax.texts:
            problems.append(f"{name}: axes {ax.get_title()!r} shows no data")
        hidden = set()  # tick labels of ticks outside the view are never drawn
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            for tick in [*axis.get_major_ticks(), *axis.get_minor_ticks()]:
                loc = tick.get_loc()
                if loc is None or not low - 1e-9 * abs(high - low) <= loc <= high + 1e-9 * abs(high - low):
                    hidden.update({id(tick.label1), id(tick.label2)})
            hidden.update(id(t) for t in [axis.offsetText] if not t.get_text())
        for text in ax.findobj(Text):
            if id(text) in hidden or not text.get_visible() or not text.get_text().strip():
                continue
            box = text.get_window_extent(renderer)
            if not _inside(box, page):
                problems.append(f"{name}: text {text.get_text()!r} is cut by the figure's edge")
        for text in ax.texts:  # annotations and notes belong inside the plot
            if text.get_visible() and text.get_text().strip() and not _inside(text.get_window_extent(renderer),
                                                                                ax.bbox):
                problems.append(f"{name}: label {text.get_text()!r} falls outside the axes")
        legend = ax.get_legend()
        if isinstance(legend, Legend) and not _inside(legend.get_window_extent(renderer), page):
            problems.append(f"{name}: the legend does not fit the figure")
        for line in ax.lines:
            if line.get_transform() != ax.transData or not len(line.get_xdata()):
                continue
            xy = ax.transData.transform(np.column_stack([np.asarray(line.get_xdata(), dtype=float),
                                                         np.asarray(line.get_ydata(), dtype=float)]))
            xy = xy[np.isfinite(xy).all(axis=1)]
            b = ax.bbox
            outside = ~((xy[:, 0] >= b.x0 - _SLACK) & (xy[:, 0] <= b.x1 + _SLACK) & (xy[:, 1] >= b.y0 - _SLACK)
                        & (xy[:, 1] <= b.y1 + _SLACK))
            if outside.any() and line.get_marker() not in (None, "None", "", " "):
                problems.append(f"{name}: {int(outside.sum())} point(s) of {line.get_label()!r} outside the axes")
    return problems


_PROBE = """<script>
window.addEventListener("load", function () {
  var out = [];
  document.querySelectorAll(".scroll").forEach(function (d, i) {
    if (d.scrollWidth > d.clientWidth + 1) out.push("table " + i + " needs a scroll bar: " + \
d.scrollWidth + " px in " + d.clientWidth);
  });
  var root = document.documentElement;
  if (root.scrollWidth > root.clientWidth + 1) out.push("the page is " + root.scrollWidth + \
" px wide in a " + root.clientWidth + " px window");
  // a line break inside a word of a table cell: between two characters on different lines,
  // neither a space, the first not one a word may break after (tablefit: – (, and a hyphen in
  // the report's own headers only: ds-|1 and kube-|system are broken words, min_|available too)
  document.querySelectorAll("td, th").forEach(function (cell) {
    var after = cell.tagName === "TH" ? /[\\s\\u2013(-]/ : /[\\s\\u2013(]/;
    var walk = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT), node, chars = [];
    while ((node = walk.nextNode())) {
      for (var k = 0; k < node.data.length; k++) {
        var range = document.createRange();
        range.setStart(node, k);
        range.setEnd(node, k + 1);
        var box = range.getClientRects()[0];
        // a space at a line's end may have no box: kept, so that the break there is seen as one
        chars.push(box ? [node.data[k], box.top, box.height] : [node.data[k], null, 0]);
      }
    }
    for (var j = 1; j < chars.length; j++) {
      var a = chars[j - 1], b = chars[j];
      if (a[1] !== null && b[1] !== null && b[1] > a[1] + a[2] / 2 && !after.test(a[0]) && !/\\s/.test(b[0])) {
        var text = chars.map(function (c) { return c[0]; }).join("");
        out.push("a word breaks across lines in a table cell: " + text.slice(Math.max(0, j - 12), j) + "|" +
                 text.slice(j, j + 12));
      }
    }
  });
  document.querySelectorAll("img").forEach(function (im, i) {
    if (!im.complete || im.naturalWidth === 0) out.push("image " + i + " did not load");
  });
  var pre = document.createElement("pre");
  pre.id = "rollsim-check";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""


def page_problems(page: Path, width: int = 1400) -> list[str]:
    """Open ``page`` in headless Chromium ``width`` pixels wide; what a reader would find broken."""
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / "page.html"
        probe.write_text(page.read_text(encoding="utf-8").replace("</body>", _PROBE + "</body>"), encoding="utf-8")
        cmd = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={Path(tmp) / 'profile'}", f"--window-size={width},1000",
               "--run-all-compositor-stages-before-draw", "--virtual-time-budget=10000", "--dump-dom",
               probe.as_uri()]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
        shutil.rmtree(Path(tmp) / "profile", ignore_errors=True)
    found = re.search(r'<pre id="rollsim-check">(.*?)</pre>', done.stdout, re.DOTALL)
    if found is None:
        return [f"{page}: Chromium gave no result (exit {done.returncode}): {done.stderr[-300:]}"]
    return [f"{page.parent.name}: {p}" for p in json.loads(html.unescape(found.group(1)))]
