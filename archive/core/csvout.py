"""CSV for people's spreadsheets, the same from the CLI and the web: a header row, then
the rows, every text cell that a spreadsheet would run as a formula neutralised."""
from __future__ import annotations

import csv
from typing import Iterable, TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value):
    """A cell that cannot run as a formula (CSV injection): text starting with = + - @,
    a tab or a carriage return gets a leading apostrophe; other values unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(stream: TextIO, rows: Iterable[dict], columns: list[str] | None = None, *,
              lineterminator: str = "\r\n") -> None:
    """*rows* as CSV on *stream*: *columns* (rows then streamed, extra keys ignored), else
    the union of the rows' keys in first-seen order."""
    if columns is None:
        rows = list(rows)
        columns = list(dict.fromkeys(k for r in rows for k in r))
    w = csv.DictWriter(stream, fieldnames=list(columns), extrasaction="ignore", lineterminator=lineterminator)
    w.writeheader()
    for r in rows:
        w.writerow({k: csv_safe(r.get(k)) for k in columns})
