"""How a report table fits a browser window without breaking a word: where a cell may break,
how wide a column must be at least, and how a table too wide for a narrow window is split
into tables that each repeat its first column (the configuration), first where its columns
change kind (the settings a configuration ran with, then its results).

A cell breaks only between words: at spaces, after a range's dash (``17m51s–27m37s``) and
after the parenthesis that follows a name (``lognormal(median=24, p95=40)``); never inside a word
or a number (``lognorm|al``, ``1,000,0|00``, ``2h26m0|6s``), nor inside a setting's name at its
underscores (``min_|available_|fraction``, ``node_|utilization``: a reader takes the pieces for
three words), nor at the hyphens of a name (``kube-system/ds-1``, ``node-exporter``, ``2-5``),
where browsers would break a line of their own accord (``word_pieces``). A column is then at
least as wide as its longest unbreakable piece, and a table as wide as its columns together;
widths are estimated in characters of the table's font (``column_widths``), a little
generously, since digits and bold headers are wider than the average letter.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["FIT_CHARS", "column_widths", "keep_whole", "pieces", "split_columns", "word_pieces"]

# a table of at most this many characters' width (``column_widths``) fits a 900 px window in the
# report's narrow-window table font (``render.CSS``): measured in Chromium with DejaVu Sans, a wide
# font, the shipped tables take at most 6.7 px a character, 830 px for 124, and a 900 px window
# leaves a table 849 px. tests/test_browser.py opens every shipped report at 900 and 1,400 px
FIT_CHARS = 124.0
_MIN_CHARS = 7.0  # a cell's least width (render.CSS: min-width 4.3em)
_PAD_CHARS = 2.0  # a cell's padding and border
_BOLD = 1.1  # a header's characters are bold, and wider

_BETWEEN = re.compile(r"(?<=\S–)(?=\S)|(?<=\w\()")  # after a range's dash, after "name("
_HEADER = re.compile(r"\s+|(?<=-)")  # headers are the report's own words: browsers break them after hyphens


def keep_whole(word: str) -> bool:
    """Whether a word of a cell must be kept on one line by markup: browsers break after any
    hyphen (``ds-|1``, ``kube-|system``, ``2-|5``).
    """
    return "-" in word


def word_pieces(word: str) -> list[str]:
    """A word of a cell (no whitespace), cut where a line may break inside it: after a range's
    dash and after ``name(``; never at an underscore (a setting's name is one word, however long),
    nor anywhere in a word ``keep_whole`` keeps whole.
    """
    if keep_whole(word):
        return [word]
    return [p for p in _BETWEEN.split(word) if p]


def pieces(text: str, header: bool = False) -> list[str]:
    """The parts of a cell's ``text`` (or a ``header``'s) that a line never breaks inside."""
    if header:
        return [p for p in _HEADER.split(text) if p]
    return [p for word in text.split() for p in word_pieces(word)]


def _least(text: str, header: bool = False) -> float:
    return (_BOLD if header else 1.0) * max((len(p) for p in pieces(text, header)), default=0)


def column_widths(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[float]:
    """Each column's least width, in characters: its longest unbreakable piece, header or cell,
    and the cell's padding.
    """
    widths = []
    for i, head in enumerate(header):
        cells = [_least(str(row[i])) for row in rows if i < len(row)]
        widths.append(max(_MIN_CHARS, _least(str(head), header=True), *cells) + _PAD_CHARS)
    return widths


def _cuts(widths: Sequence[float], cap: float) -> list[list[int]]:
    """Consecutive columns (by position in ``widths``) packed into as few runs as keep each
    within ``cap``, a column wider than ``cap`` alone.
    """
    runs: list[list[int]] = []
    for i, w in enumerate(widths):
        if runs and sum(widths[j] for j in runs[-1]) + w <= cap:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def _balanced(columns: list[int], widths: Sequence[float], cap: float) -> list[list[int]]:
    """``columns`` cut into as few runs as fit ``cap``, as even in width as that many allows
    (not full tables and a stub of one column).
    """
    own = [widths[c] for c in columns]
    count = len(_cuts(own, cap))
    low, high = max(own), max(cap, max(own))
    for _ in range(30):  # the least cap that needs no more runs than ``cap`` does
        middle = (low + high) / 2
        low, high = (low, middle) if len(_cuts(own, middle)) <= count else (middle, high)
    return [[columns[i] for i in run] for run in _cuts(own, high)]


def split_columns(widths: Sequence[float], keep: int = 1, groups: Sequence[int] = (),
                  budget: float = FIT_CHARS) -> list[list[int]]:
    """The columns of each table a table of column ``widths`` (``column_widths``) is split into
    so that each fits ``budget``: all of them when the table fits; else each repeats the first
    ``keep`` columns (what names a row), and the others are split where a new group of columns
    begins (``groups``: the positions of their first columns), adjacent groups kept together
    while they fit, and a group too wide on its own cut into as few even parts as fit; a lone
    column before such a group joins its first part (a table of the row's name and one setting,
    ``max_unavailable=1 | 1``, says nothing the name does not).
    """
    every = list(range(len(widths)))
    if sum(widths) <= budget or len(widths) <= keep + 1:
        return [every]
    room = budget - sum(widths[:keep])
    starts = sorted({g for g in groups if keep < g < len(widths)})
    bounds = [keep, *starts, len(widths)]
    spans = [list(range(a, b)) for a, b in zip(bounds, bounds[1:])]
    parts: list[list[int]] = []
    merged: list[int] = []  # whole groups that fit together
    for span in spans:
        width = sum(widths[c] for c in span)
        if sum(widths[c] for c in merged) + width <= room:
            merged += span
            continue
        if len(merged) == 1:  # a lone column is no table of its own: it joins the next group's parts
            parts += _balanced(merged + span, widths, room)
            merged = []
            continue
        if merged:
            parts.append(merged)
        merged = [] if width > room else list(span)
        if width > room:
            parts += _balanced(span, widths, room)
    if merged:
        parts.append(merged)
    return [every[:keep] + part for part in parts]
