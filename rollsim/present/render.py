"""How the report is written: values as text, and report blocks as Markdown or HTML.

``rollsim.present.report`` decides what the report says, as a list of blocks; this module only
decides how it looks. Blocks are tuples:

* ``("h", level, text)`` a heading,
* ``("p", spans)`` a paragraph of ``(style, text)`` spans, style ``""``, ``"b"`` (bold) or ``"code"``,
* ``("table", header, rows)`` (an all-empty header renders as a table without one), or
  ``("table", header, rows, groups)``: ``groups`` are the positions of the columns where a new
  kind of column begins, where HTML splits a table too wide for a narrow window first
  (``rollsim.present.tablefit``; Markdown keeps one table),
* ``("ul", [spans, ...])`` a bullet list (an item's spans may end in ``("ul", [spans, ...])``, a list
  nested under it),
* ``("img", name, title, caption)`` the figure ``figures/<name>.png``,
* ``("note", text)`` a remark in italics.

Every piece of text is escaped for the format it lands in: no raw HTML gets into either file.
"""

from __future__ import annotations

import base64
import html
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from rollsim.present.tablefit import column_widths, keep_whole, split_columns, word_pieces
from rollsim.spec.duration import DASH, format_bound, format_duration

__all__ = [
    "DASH",
    "count_of",
    "format_bound",
    "format_duration",
    "format_duration_exact",
    "format_number",
    "format_percent",
    "format_percent_exact",
    "format_setting",
    "format_share",
    "format_value",
    "format_workers",
    "md_cell",
    "md_text",
    "paragraphs",
    "render_html",
    "render_markdown",
    "trim_zeros",
]


def format_duration_exact(seconds: float, decimals: int) -> str:
    """A duration as ``format_duration`` writes it, its seconds with up to ``decimals`` decimals
    (trailing zeros dropped): ``1232.46`` at 2 is ``20m32.46s``, where ``format_duration`` says
    ``20m32s`` as it does for ``1232.2``. Days keep their minutes (``2d03h04m``).
    """
    if math.isnan(seconds) or math.isinf(seconds) or seconds >= 86400 or decimals <= 0:
        return format_duration(seconds)
    sign, scale = ("-" if seconds < 0 else ""), 10 ** decimals
    ticks = round(abs(float(seconds)) * scale)  # whole units of the last decimal: no 59.999 shown as 60.00
    minutes, rest = divmod(ticks, 60 * scale)
    h, m = divmod(minutes, 60)
    sec = trim_zeros(f"{rest // scale}.{rest % scale:0{decimals}d}") + "s"
    if h:
        return f"{sign}{h}h{m:02d}m{'0' if rest < 10 * scale else ''}{sec}"
    return f"{sign}{m}m{'0' if rest < 10 * scale else ''}{sec}" if m else f"{sign}{sec}"


def paragraphs(text: str) -> list[str]:
    """An experiment's ``description`` as paragraphs: split at blank lines, a paragraph's lines
    joined (a literal ``|`` block wrapped by hand); without a blank line, one paragraph per line,
    as YAML's folded ``>-`` and plain scalars keep a blank line (a single newline).
    """
    lines = text.strip().splitlines()
    if any(not line.strip() for line in lines):
        return [" ".join(part.split()) for part in re.split(r"\n\s*\n", text.strip()) if part.strip()]
    return [" ".join(line.split()) for line in lines]


def trim_zeros(text: str) -> str:
    """``95.00%`` → ``95%``, ``20m32.40s`` → ``20m32.4s``: the trailing zeros of a number's
    decimals dropped (and its point with them), never those of its whole part (``100%``).
    """
    return re.sub(r"\.(\d*?)0+(?!\d)", lambda m: "." + m.group(1) if m.group(1) else "", text)


def count_of(n: int, one: str, many: str | None = None) -> str:
    """``1 pod``, ``2 pods``, ``3,000 nodes``: a count with its noun in the right number."""
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def format_number(x: float | None, decimals: int = 0) -> str:
    """``12345.6`` → ``12,346`` (thousands separators); ``None``/NaN → ``—``."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return DASH
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    return f"{x:,.{decimals}f}"


def format_percent(fraction: float | None, decimals: int = 1) -> str:
    """``0.93`` → ``93.0%``."""
    if fraction is None or (isinstance(fraction, float) and math.isnan(fraction)):
        return DASH
    return f"{100 * fraction:.{decimals}f}%"


def format_percent_exact(fraction: float | None, limits: Sequence[float] = (), decimals: int = 1) -> str:
    """``fraction`` as a percentage with as many decimals (from ``decimals``, at most 4 or ``decimals``) as it
    takes for the shown number to agree with every verdict against ``limits``: 0.9496 against
    a 0.95 limit is ``94.96%``, not ``95.0%``; a share below 1 never shows as 100% (nor one
    above 0 as 0%).
    """
    if fraction is None or (isinstance(fraction, float) and (math.isnan(fraction) or math.isinf(fraction))):
        return DASH
    x = float(fraction)
    for d in range(decimals, max(decimals, 4) + 1):
        shown = round(100 * x, d) / 100
        if all((shown < lim) == (x < lim) and (shown > lim) == (x > lim) for lim in (*limits, 0.0, 1.0)):
            break
    return f"{100 * x:.{d}f}%"


def format_share(fraction: float | None, limits: Sequence[float] = ()) -> str:
    """A share as the plan writes it: a percentage of up to two decimals, trailing zeros
    dropped (``95%``, ``95.05%``), with more where ``limits`` need them (``format_percent_exact``):
    1,899 of 1,999 nodes against a 95% floor is ``94.997%``, never ``95%``.
    """
    if fraction is None or (isinstance(fraction, float) and math.isnan(fraction)):
        return DASH
    return trim_zeros(format_percent_exact(fraction, limits, 2))


def format_value(v: Any) -> str:
    """A setting as the report shows it: lists comma-separated, integers with thousands separators,
    booleans as an experiment file writes them (``true``), nothing given (``""``, ``[]``) as ``none``.
    """
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return DASH
    if isinstance(v, (list, tuple)):
        return ", ".join(map(str, v)) or "none"
    if isinstance(v, bool):
        return "true" if v else "false"
    if v == "":
        return "none"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:,.0f}" if v.is_integer() and abs(v) >= 1000 else f"{v:g}"
    return str(v)


def format_setting(key: str, v: Any) -> str:
    """A scenario setting ``key`` as the report shows it: as the manifest or a person writes it
    where that differs from the plain value (``rollsim.spec.describe.written_value``: ``200Mi``, not
    ``209,715,200``; ``batches of 50``, not ``batch:50``), the other DaemonSets (``also``) as
    ``format_daemonsets`` groups them, else ``format_value``.
    """
    from rollsim.spec.describe import written_value

    if key == "also" and isinstance(v, (list, tuple)) and v:
        return format_daemonsets(v)
    written = written_value(key, v)
    return written if written is not None else format_value(v)


def format_daemonsets(items: Sequence[Any]) -> str:
    """Other DaemonSets, each described as ``name (settings)`` (``rollsim.spec.describe``), with
    three or more of the same settings given once: ``9 DaemonSets kube-system/ds-1 …
    kube-system/ds-9 (each max_unavailable 10%)``, not nine times over.
    """
    groups: dict[tuple[bool, str], list[str]] = {}  # (described, its settings or the item itself) -> names
    for item in map(str, items):
        name, sep, rest = item.partition(" (")
        described = bool(sep) and rest.endswith(")")
        groups.setdefault((described, rest[:-1] if described else item), []).append(name if described else item)
    parts = []
    for (described, settings), names in groups.items():
        if not described:
            parts += names
        elif len(names) >= 3:
            parts.append(f"{len(names)} DaemonSets {names[0]} … {names[-1]} (each {settings})")
        else:
            parts += [f"{name} ({settings})" for name in names]
    return ", ".join(parts)


# --- Markdown ------------------------------------------------------------------------------------

def format_workers(workers: int, executor: str) -> str:
    """``2 workers (processes)``, ``1 worker (serial)``: how many ran the runs, and where."""
    return f"{workers} worker{'' if workers == 1 else 's'} ({executor})"


def md_cell(text: Any) -> str:
    """Text safe inside a Markdown table cell: ``|`` escaped, one line, no raw HTML."""
    return md_text(text).replace("|", "\\|").replace("\r", " ").replace("\n", " ")


_MD_ESCAPES = str.maketrans({"\\": "\\\\", "[": "\\[", "]": "\\]", "<": "&lt;"})


def md_text(text: Any) -> str:
    r"""Text safe in Markdown prose: no raw HTML, no link, no image.

    ``<`` becomes ``&lt;`` (no HTML tag, no ``<javascript:...>`` autolink) and ``[``, ``]``
    and ``\`` are backslash-escaped, so user text (a name, a description) can never form
    ``[text](javascript:...)`` or ``![](https://tracker.example/pixel.png)``: every link and
    image syntax of CommonMark needs an unescaped ``[``.
    """
    return str(text).translate(_MD_ESCAPES)


def _md_spans(spans: Sequence[tuple[str, str]]) -> str:
    marks = {"": "{}", "b": "**{}**", "code": "`{}`"}
    out = []
    for style, text in spans:  # emphasis must not end in a space, or CommonMark ignores it
        core = text.rstrip() if style else text
        out.append(marks[style].format(md_text(core)) + text[len(core):])
    return "".join(out)


def _nested(item: Sequence[tuple]) -> tuple[list[tuple], list[Sequence[tuple]]]:
    """A list item's own spans, and the items of the list nested under it (its ``("ul", items)``)."""
    return [s for s in item if s[0] != "ul"], [sub for s in item if s[0] == "ul" for sub in s[1]]


def _md_list(items: Sequence[Sequence[tuple]], indent: str = "") -> str:
    """A bullet list, each nested list indented under its item."""
    lines = []
    for item in items:
        spans, subs = _nested(item)
        lines.append(f"{indent}- {_md_spans(spans)}")
        if subs:
            lines.append(_md_list(subs, indent + "  "))
    return "\n".join(lines)


def render_markdown(blocks: Sequence[tuple]) -> str:
    """The blocks as one Markdown document (figures linked as ``figures/<name>.png``)."""
    out = []
    for b in blocks:
        if b[0] == "h":
            out.append("#" * b[1] + " " + md_text(b[2]).replace("\n", " "))
        elif b[0] == "p":
            out.append(_md_spans(b[1]))
        elif b[0] == "note":
            out.append(f"*{md_text(b[1])}*")
        elif b[0] == "table":
            lines = ["| " + " | ".join(md_cell(h) for h in b[1]) + " |", "|" + "---|" * len(b[1])]
            lines += ["| " + " | ".join(md_cell(c) for c in row) + " |" for row in b[2]]
            out.append("\n".join(lines))
        elif b[0] == "ul":
            out.append(_md_list(b[1]))
        elif b[0] == "img":
            out.append(f"### {md_text(b[2])}\n\n![{md_text(b[2])}](figures/{b[1]}.png)\n\n{md_text(b[3])}")
    return "\n\n".join(out) + "\n"


# --- HTML ----------------------------------------------------------------------------------------

def _html_list(items: Sequence[Sequence[tuple]]) -> str:
    """``<ul>`` of the items, a nested list inside its item's ``<li>``."""
    parts = []
    for item in items:
        spans, subs = _nested(item)
        parts.append(f"<li>{_html_spans(spans)}{_html_list(subs) if subs else ''}</li>")
    return "<ul>" + "".join(parts) + "</ul>"


def _html_spans(spans: Sequence[tuple[str, str]]) -> str:
    tags = {"": "{}", "b": "<strong>{}</strong>", "code": "<code>{}</code>"}
    return "".join(tags[style].format(html.escape(text)) for style, text in spans)


# Cells break between words only (rollsim.present.tablefit), never inside one; a table too wide
# for a narrow window is split into tables, which a window under 1,000 px shows in a smaller font
CSS = """body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;margin:0;background:#fafafa}
main{max-width:1400px;margin:0 auto;padding:1.5em 2em;background:#fff;box-sizing:border-box}
p,ul,figure{max-width:1100px}
h1{font-size:1.7em;margin-top:.2em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
.scroll{overflow-x:auto}
table{border-collapse:collapse;margin:.8em 0;font-size:.85em}th,td{border:1px solid #ddd;padding:.3em .5em;
text-align:left;vertical-align:top;overflow-wrap:normal;min-width:4.3em}th{min-width:0}\
th{background:#f2f2f2}tr:nth-child(even) td{background:#fcfcfc}
@media (max-width:1000px){main{padding:1em 1.2em}table{font-size:.75em}th,td{padding:.3em .4em}}
figure{margin:1em 0}img{max-width:100%;height:auto;border:1px solid #eee}figcaption{color:#555;font-size:.9em}
.note{color:#777;font-style:italic}code{background:#f2f2f2;padding:0 .2em}td.w,span.w{white-space:nowrap}"""


_WHOLE = 10  # a cell of one word this long at most (17m42s, 1,003, 94.96%) is kept on one line


def _html_cell(text: str) -> str:
    """A table cell; a short one-word value (a duration, a count) is kept on one line. The others
    break between words only (``tablefit.word_pieces``): at spaces, after the dash of a range
    (``17m51s–27m37s``) and the parenthesis after a distribution's name (``lognormal(median=24,
    p95=40)``), never at a setting name's underscores (``min_available_fraction``); a word with
    a hyphen (``kube-system/ds-1``) is kept whole, where a browser would break it.
    """
    whole = len(text) <= _WHOLE and not any(c.isspace() for c in text)
    if whole:
        return f'<td class="w">{html.escape(text)}</td>'
    out = []
    for part in re.split(r"(\s+)", text):
        if part and not part.isspace():
            part = (f'<span class="w">{html.escape(part)}</span>' if keep_whole(part) else
                    "<wbr>".join(html.escape(p) for p in word_pieces(part)))
        out.append(part)
    return "<td>" + "".join(out) + "</td>"


def _html_tables(header: Sequence[str], rows: Sequence[Sequence[Any]], groups: Sequence[int] = ()) -> str:
    """A table as HTML: one table when it fits a narrow window, else several that each repeat
    its first column, split first at ``groups`` (``tablefit.split_columns``).
    """
    e = html.escape
    cells = [[str(c) for c in row] for row in rows]
    out = []
    for part in split_columns(column_widths([str(h) for h in header], cells), 1, groups):
        head = "".join(f"<th>{e(str(header[i]))}</th>" for i in part)
        body = "".join("<tr>" + "".join(_html_cell(row[i] if i < len(row) else "") for i in part) + "</tr>"
                       for row in cells)
        out.append('<div class="scroll">' + (f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
                   if any(header) else f"<table><tbody>{body}</tbody></table>") + "</div>")
    return "".join(out)


def render_html(blocks: Sequence[tuple], images: Mapping[str, bytes], title: str) -> str:
    """One HTML file with inline CSS and the figures as data URIs: nothing is fetched from anywhere."""
    e = html.escape
    out = []
    for b in blocks:
        if b[0] == "h":
            out.append(f"<h{b[1]}>{e(b[2])}</h{b[1]}>")
        elif b[0] == "p":
            out.append(f"<p>{_html_spans(b[1])}</p>")
        elif b[0] == "note":
            out.append(f'<p class="note">{e(b[1])}</p>')
        elif b[0] == "table":
            out.append(_html_tables(b[1], b[2], b[3] if len(b) > 3 else ()))
        elif b[0] == "ul":
            out.append(_html_list(b[1]))
        elif b[0] == "img":
            data = base64.b64encode(images[b[1]]).decode("ascii")
            out.append(f'<h3>{e(b[2])}</h3><figure><img alt="{e(b[2])}" src="data:image/png;base64,{data}">'
                       f"<figcaption>{e(b[3])}</figcaption></figure>")
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{e(title)}</title>\n'
            f"<style>\n{CSS}\n</style>\n</head>\n<body>\n<main>\n" + "\n".join(out) + "\n</main>\n</body>\n</html>\n")
