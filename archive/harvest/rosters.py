"""ICE's roster workbooks (participating / pending agencies) parsed into rows.

Quirks handled (see ICE_SITE.md): header names with stray spaces, SUPPORT TYPE spelling,
SIGNED as an Excel date or as text ("05/082025"), the MOA cell reading ``link`` with a
hyperlink, ``link pending`` without, or the URL as text; SafeLinks-wrapped links;
typographic apostrophes and double spaces in agency names.
"""
from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
import openpyxl

from archive.core.dates import parse_date
from archive.core.errors import DocumentError
from archive.core.vocabulary import code_for
from archive.harvest.ice_site import unwrap_safelinks

PARTICIPATING, PENDING = "participating", "pending"


@dataclass
class RosterRow:
    row_number: int          # spreadsheet row, 1 = header
    state: str
    agency: str              # as ICE wrote it, trimmed
    agency_key: str
    agency_type: str | None
    county: str | None
    support_type: str | None
    model: str | None        # JEM | TFM | WSO | TTFM
    signed: str | None       # YYYY-MM-DD
    moa_url: str | None
    addendum_url: str | None
    link_pending: bool

    @property
    def key(self) -> tuple[str, str, str]:
        """One agreement: (state, agency_key, model)."""
        return (self.state, self.agency_key, self.model or "")


@dataclass
class Roster:
    kind: str                # participating | pending
    rows: list[RosterRow]


def agency_key(name: str) -> str:
    """Normalised agency name: ’ and ', “ and ", case and runs of spaces do not matter."""
    s = unicodedata.normalize("NFKC", name)
    s = s.translate(str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "“": '"', "”": '"'}))
    return re.sub(r"\s+", " ", s).strip().casefold()


def kind_from_name(file_name: str) -> str | None:
    low = file_name.rsplit("/", 1)[-1].lower()
    if low.startswith("participating"):
        return PARTICIPATING
    if low.startswith("pending"):
        return PENDING
    return None


def published_key(file_name: str | None) -> str:
    """A sortable publication stamp from ICE's workbook name, e.g.
    ``participatingAgencies07182025pm_b.xlsx`` -> ``2025-07-18 pm _b``; '' if none."""
    m = re.search(r"(\d{2})(\d{2})(\d{4})\s*(am|pm)?(.*?)\.xlsx$", file_name or "", re.I)
    if not m:
        return ""
    mm, dd, yyyy, half, rest = m.groups()
    return f"{yyyy}-{mm}-{dd} {(half or '').lower() or 'am'} {rest}"


def parse_roster(data: bytes, name: str, kind: str | None = None) -> Roster:
    """Parse a roster workbook. *kind* comes from the file name (participating*/pending*)
    when not given, else from the header (SIGNED/MOA columns mean participating).
    Raises DocumentError naming *name* when it is not a readable roster."""
    if not data.startswith(b"PK\x03\x04"):
        raise DocumentError(name, "not an .xlsx workbook (no zip signature); was an HTML page "
                                  "saved instead of the spreadsheet?")
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=False, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as e:
        raise DocumentError(name, f"cannot read the workbook ({e}); re-download it") from e
    ws = wb.worksheets[0]
    header_row, cols = _find_header(ws)
    if header_row is None:
        raise DocumentError(name, "no header row with STATE and LAW ENFORCEMENT AGENCY: "
                                  "not an ICE 287(g) roster")
    kind = kind or kind_from_name(name) or (PARTICIPATING if "SIGNED" in cols or "MOA" in cols else PENDING)
    rows = []
    for cells in ws.iter_rows(min_row=header_row + 1):
        row = _row(cells, cols)
        if row is not None:
            rows.append(row)
    return Roster(kind=kind, rows=rows)


def _find_header(ws) -> tuple[int | None, dict[str, int]]:
    for cells in ws.iter_rows(min_row=1, max_row=10):
        names = {re.sub(r"\s+", " ", str(c.value)).strip().upper(): i
                 for i, c in enumerate(cells) if c.value is not None}
        if "STATE" in names and "LAW ENFORCEMENT AGENCY" in names:
            return cells[0].row, names
    return None, {}


def _text(cells, cols, name) -> str | None:
    i = cols.get(name)
    if i is None or i >= len(cells) or cells[i].value is None:
        return None
    s = re.sub(r"[ \t\u00a0]+", " ", str(cells[i].value)).strip()
    return s or None


def _link(cells, cols, name) -> tuple[str | None, str]:
    """(URL, cell text) of a link cell: its hyperlink, else a URL typed as text."""
    i = cols.get(name)
    if i is None or i >= len(cells):
        return None, ""
    cell = cells[i]
    text = re.sub(r"\s+", " ", str(cell.value or "")).strip()
    target = cell.hyperlink.target if cell.hyperlink is not None else None
    if not target and re.match(r"https?://", text):
        target = text
    return (unwrap_safelinks(target) if target else None), text


def _row(cells, cols) -> RosterRow | None:
    state, agency = _text(cells, cols, "STATE"), _text(cells, cols, "LAW ENFORCEMENT AGENCY")
    if not state or not agency:
        return None
    support = _text(cells, cols, "SUPPORT TYPE")
    signed_i = cols.get("SIGNED")
    signed = parse_date(cells[signed_i].value) if signed_i is not None and signed_i < len(cells) else None
    moa_url, moa_text = _link(cells, cols, "MOA")
    addendum_url, _ = _link(cells, cols, "ADDENDUM")
    return RosterRow(
        row_number=cells[0].row, state=state.upper(), agency=agency, agency_key=agency_key(agency),
        agency_type=_text(cells, cols, "TYPE"), county=_text(cells, cols, "COUNTY"),
        support_type=support, model=code_for(support), signed=signed,
        moa_url=moa_url, addendum_url=addendum_url,
        link_pending=moa_url is None and moa_text.lower().startswith("link pending"))
