"""What ICE's file names say: model, state and a date.

ICE names MOA files by hand, in several styles, e.g.
``287gJEM_ClayCoFl2020-03-11.pdf``, ``287g_JEM_Knox_6-8-2020.pdf``,
``CowleyCountySO_WSO_MOA_030425.pdf``, ``BlaineCo_WSO_MOA_02.18.2025.pdf``,
``jeffersonCountySherrifsOffice_TF_MOA_03122025.pdf`` (``TF`` = Task Force Model),
``287gJEM_%20etowahCoAL_06-09-2020.pdf`` (a literal ``%20``). This is the fallback
when no roster links a file; every field may be None.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from archive.core.dates import make_date
from archive.core.vocabulary import FILE_NAME_TOKENS, STATES

_STATE_NAMES = sorted(((n.replace(" ", "").lower(), n) for n in STATES.values() if "." not in n),
                      key=lambda t: -len(t[0]))

_PREFIX = re.compile(r"^287g_?(TTFM|JEM|TFM|WSO|TF)(?=_|[A-Z0-9]|$)", re.I)
# Dates, most specific first; each yields (year, month, day) groups by name.
_DATES = [
    re.compile(r"(?<!\d)(?P<y>20\d\d)-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?!\d)"),
    re.compile(r"(?<!\d)(?P<m>\d{1,2})[-.](?P<d>\d{1,2})[-.](?P<y>(?:19|20)\d\d)(?!\d)"),
    re.compile(r"(?<!\d)(?P<m>\d{1,2})[-.](?P<d>\d{1,2})[-.](?P<y>\d\d)(?!\d)"),
    re.compile(r"(?<!\d)(?P<m>\d\d)(?P<d>\d\d)(?P<y>20\d\d)(?!\d)"),
    re.compile(r"(?<!\d)(?P<m>\d\d)(?P<d>\d\d)(?P<y>\d\d)(?!\d)"),
]


@dataclass(frozen=True)
class FileNameInfo:
    model: str | None
    state: str | None      # upper-case full name, as the rosters write it
    signed: str | None     # YYYY-MM-DD


def infer(file_name: str) -> FileNameInfo:
    """Model, state and date that an ICE file name suggests (None where it says nothing)."""
    stem = unquote(file_name).rsplit("/", 1)[-1]
    stem = re.sub(r"\.(pdf|xlsx?)$", "", stem, flags=re.I).strip()
    model = None
    m = _PREFIX.match(stem)
    if m:
        model = FILE_NAME_TOKENS[m.group(1).upper()]
        stem = stem[m.end():]
    tokens = [t for t in re.split(r"[_\s]+", stem) if t]
    if model is None:
        model = next((FILE_NAME_TOKENS[t.upper()] for t in tokens if t.upper() in FILE_NAME_TOKENS), None)
    return FileNameInfo(model=model, state=_state(tokens), signed=_date(stem))


def _state(tokens: list[str]) -> str | None:
    words = [t for t in tokens if t.upper() not in FILE_NAME_TOKENS and t.upper() != "MOA"]
    words = [re.sub(r"[\d.\-]+$", "", t) for t in words]  # "ClayCoFl2020-03-11" -> "ClayCoFl"
    # A standalone code: FLORIDA_AM_..._FL_TFM, 287gJEM_FL_DOC_FL
    for t in reversed(words):
        if t in STATES:
            return STATES[t]
    for t in words:
        # A code glued to the end: RuskCoSOTX, DeLandPDFL, ClayCoFl, WallerCoTx (not BlaineCo).
        m = re.search(r"(?:[a-z]|[A-Z]{2})([A-Z]{2})$", t) or re.search(r"Co([A-Z][a-z])$", t)
        if m and m.group(1).upper() in STATES:
            return STATES[m.group(1).upper()]
    # A leading state name: TexasOfficeAttorneyGeneral, FLORIDA_AM_UNIVERSITY...
    first = words[0].lower() if words else ""
    for key, name in _STATE_NAMES:
        if first.startswith(key) and not first[len(key):].startswith("co"):
            return name
    return None


def _date(stem: str) -> str | None:
    for pattern in _DATES:
        for m in reversed(list(pattern.finditer(stem))):
            iso = make_date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
            if iso:
                return iso
    return None
