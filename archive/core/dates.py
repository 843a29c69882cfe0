"""The one date parser: every date the archive stores is ``YYYY-MM-DD``.

Accepted: Excel date cells (datetime/date), ISO ``2025-03-05``, ``M/D/YYYY`` (also with
``-`` or ``.``), ``M/D/YY``, and ICE's typo with the last separator missing
(``05/082025``, ``7/72025``), and dates written out as ICE's archive page does ("Mar. 11,
2020", "March 11 2020", "Sept. 3, 2019"). A two-digit year is 20YY unless that would be more than a
year in the future, then 19YY (:func:`full_year`, the one rule). A date that does not
exist (13/45/2025, 2/30/2025) is not a date.
"""
from __future__ import annotations

import re
from datetime import date, datetime

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_US = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-]?(\d{4}|\d{2})")
_WRITTEN = re.compile(r"([a-z]{3,9})\.?\s*(\d{1,2}),?\s*(\d{4})", re.I)
MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august",
                "september", "october", "november", "december")


def full_year(yy: int, *, today: date | None = None) -> int:
    """A year written with two digits as four: 20YY, or 19YY when 20YY is over a year ahead."""
    if yy >= 100:
        return yy
    this_year = (today or date.today()).year
    return 2000 + yy if 2000 + yy <= this_year + 1 else 1900 + yy


def make_date(year: int, month: int, day: int) -> str | None:
    """YYYY-MM-DD for a real calendar day (two-digit years by :func:`full_year`), else None."""
    try:
        return date(full_year(year), month, day).isoformat()
    except ValueError:
        return None


def parse_date(value) -> str | None:
    """Any accepted date (see the module doc) as YYYY-MM-DD; None when it is not one."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        return None
    value = value.strip()
    if m := _ISO.fullmatch(value):
        y, mo, d = (int(x) for x in m.groups())
        return make_date(y, mo, d) if y >= 1000 else None
    if m := _US.fullmatch(value):
        mo, d, y = (int(x) for x in m.groups())
        return make_date(y, mo, d)
    if m := _WRITTEN.fullmatch(value):
        month = _month(m.group(1))
        return make_date(int(m.group(3)), month, int(m.group(2))) if month else None
    return None


def _month(word: str) -> int | None:
    """"Mar", "March", "Sept" -> 3, 3, 9: a month's name or an abbreviation of it."""
    w = word.lower()
    for i, name in enumerate(MONTH_NAMES, start=1):
        if name.startswith(w) and len(w) >= 3:
            return i
    return None


def require_date(value: str, what: str = "date") -> str:
    """:func:`parse_date` for what a user typed: raises ValueError naming the value."""
    iso = parse_date(value)
    if iso is None:
        raise ValueError(f"not a {what}: {value!r} (give a real day as YYYY-MM-DD or MM/DD/YYYY)")
    return iso
