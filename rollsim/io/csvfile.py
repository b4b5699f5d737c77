"""A CSV table that rollsim wrote (``runs.csv``, ``summary.csv``, a plan's ``candidates.csv``),
checked whole before a report or a figure reads it.

pandas reads a row cut short as a row with empty cells, and a boolean column with an empty
cell as text, in which the string ``'False'`` is true: a write cut short (a full disk, a
killed process) would turn into wrong tables rather than an error. ``csv_damage`` says what
is wrong, naming the line, so that the caller can refuse the folder.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["csv_damage", "ends_whole", "record_lines"]

_BOOLEANS = (True, False, "True", "False")


def ends_whole(file: Path) -> bool:
    """Whether a CSV file ends with a newline, as pandas writes every row (a file cut inside its
    last row does not).
    """
    with file.open("rb") as f:
        f.seek(0, 2)
        if f.tell() == 0:
            return False
        f.seek(-1, 2)
        return f.read(1) == b"\n"


class _Ragged(ValueError):
    """A CSV file whose rows do not all have the header's fields."""


def record_lines(file: Path) -> list[int]:
    """The line of the file on which each data row ends (the header is line 1), as pandas
    reads the rows (blank lines skipped); ``_Ragged`` names the first row whose field count
    differs from the header's, or a line the CSV reader cannot parse.
    """
    lines: list[int] = []
    with file.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f, strict=True)
        try:
            header = next(reader, [])
            for row in reader:
                if not row:
                    continue
                if len(row) != len(header):
                    raise _Ragged(f"line {reader.line_num} has {len(row)} of the header's {len(header)} fields "
                                  "(a row cut short)" if len(row) < len(header) else
                                  f"line {reader.line_num} has {len(row)} fields, the header {len(header)}")
                lines.append(reader.line_num)
        except csv.Error as exc:
            raise _Ragged(f"line {reader.line_num + 1}: not CSV ({exc})") from None
    return lines


def _first_bad(values: Iterable[Any], good: Any) -> tuple[int, Any] | None:
    for i, v in enumerate(values):
        if not good(v):
            return i, v
    return None


def _is_number(v: Any, finite: bool = False) -> bool:
    if isinstance(v, bool):
        return False
    try:
        x = float(v)
    except (TypeError, ValueError):
        return False
    return math.isfinite(x) or not finite or math.isnan(x)  # NaN: an empty cell, checked apart


def _is_empty(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _line(lines: Sequence[int], row: int) -> int:
    """The file line of data row ``row`` (counted from the line numbers where they agree with pandas' rows)."""
    return lines[row] if row < len(lines) else row + 2


def _shown(v: Any) -> str:
    return "empty" if v is None or (isinstance(v, float) and math.isnan(v)) else repr(v)


def csv_damage(file: Path, frame: pd.DataFrame, booleans: Sequence[str] = (),
               numbers: Sequence[str] = (), *, finite: bool = False, required: Sequence[str] = ()) -> str | None:
    """Why the CSV ``file``, read by pandas as ``frame``, is not what ``DataFrame.to_csv`` wrote
    there (None when nothing is seen to be wrong): its last row not ended, a row with another
    field count than the header, a column of ``booleans`` with a cell other than True or False,
    a column of ``numbers`` with a cell that is not a number (empty is fine: a run that did not
    complete has no duration), or with ``finite`` one that is ``inf`` or ``-inf`` (which pandas
    reads as a number: a table whose writer never writes them there), a column of ``required``
    (of ``numbers``) with an empty cell (``nan`` too). Columns the file does not have are not
    checked (older folders).
    """
    if not ends_whole(file):
        return "its last row is cut short"
    try:
        lines = record_lines(file)
    except _Ragged as exc:
        return str(exc)
    except UnicodeDecodeError as exc:
        return f"not UTF-8 text (byte {exc.start + 1})"
    for name in (b for b in booleans if b in frame.columns and frame[b].dtype != bool):
        bad = _first_bad(frame[name], lambda v: v in _BOOLEANS)
        if bad is not None:
            return f"line {_line(lines, bad[0])}: {name} is {_shown(bad[1])}, not True or False"
    for name in (n for n in numbers if n in frame.columns):
        if frame[name].dtype.kind not in "iuf":
            bad = _first_bad(frame[name], lambda v: _is_empty(v) or _is_number(v))
            if bad is not None:
                return f"line {_line(lines, bad[0])}: {name} is {_shown(bad[1])}, not a number"
        if name in required:
            bad = _first_bad(frame[name], lambda v: not _is_empty(v))
            if bad is not None:
                return f"line {_line(lines, bad[0])}: {name} is {_shown(bad[1])}, not a number"
        if finite and frame[name].dtype.kind != "i":
            bad = _first_bad(frame[name], lambda v: _is_empty(v) or _is_number(v, finite=True))
            if bad is not None:
                return f"line {_line(lines, bad[0])}: {name} is {_shown(bad[1])}, not a finite number"
    return None
