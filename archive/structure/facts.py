"""The agreement's facts, read from a segmented document, each with the page it came from.

Names (stored in `facts.name`): agency, model, model_mismatch, revision, signed_ice,
signed_agency, ice_signatory, agency_signatory, field_office, poc, addendum_present.
Signature blocks are often handwritten or stamped; what OCR cannot read is left out
rather than guessed.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Sequence

from archive.core.dates import full_year, make_date
from archive.core.refs import resolve
from archive.structure.segmenter import Line, Segmentation
from archive.read.blocks import BlockReading
from archive.read.pdf import SIGNED_BY
from archive.structure.signatures import (ORDER, confirmed_by, find_dates, read_signatures,  # noqa: F401
                                          second_reading)                                  # (find_dates: API)


@dataclass(frozen=True)
class Fact:
    name: str
    value: str
    page: int | None
    ord: int = 0
    reader: str | None = None    # None: read from the page's text as stored; else the second
                                 # reading it came from (archive.read.blocks.READER)


# Revisions of ICE's 2025 templates seen in the corpus's footers. An OCR'd footer that
# reads otherwise ("02/16/2025", "03/07/2026") loses to any vote for one of these.
KNOWN_REVISIONS = ("02/12/2025", "02/14/2025", "02/15/2025", "03/07/2025")
MODEL_PHRASES = {"JEM": r"Jail\s+Enforcement\s+Model", "WSO": r"Warrant\s+Service\s+Officer",
                 "TFM": r"Task\s+Force\s+Model"}
# The 2019-20 WSO text never names its model; its purpose clause tells it from a JEM's.
PURPOSE_PHRASES = {"WSO": r"facilitating\s+the\s+custodial\s+transfer",
                   "JEM": r"identifying\s+and\s+processing\s+removable\s+aliens"}
def revision(seg: Segmentation, year_max: int | None = None) -> Fact | None:
    """The template revision printed in the footers: the most common plausible date
    (OCR turns some "03/07/2025" into "03/07/2026" or "02/15" into "02/16")."""
    votes: Counter = Counter()
    first: dict[str, int] = {}
    for page, printed in seg.revisions:
        m, d, y = (int(x) for x in printed.split("/"))
        y = full_year(y)
        if not (1 <= m <= 12 and 1 <= d <= 31 and 2019 <= y <= (year_max or 2100)):
            continue
        value = f"{m:02d}/{d:02d}/{y}"
        votes[value] += 1
        first.setdefault(value, page)
    if not votes:
        return None
    known = [v for v in votes if v in KNOWN_REVISIONS]
    value = max(known or votes, key=lambda v: (votes[v], -first[v]))
    return Fact("revision", value, first[value])


def _section_lines(seg: Segmentation, key: str) -> list[Line]:
    """The clean lines of the first section with *key* (its heading included)."""
    sec = next((s for s in seg.sections if s.key == key), None)
    return seg.lines[sec.lines] if sec else []


AGENCY_RES = [
    re.compile(r"\((?:DHS|OHS|DRS)\),?\s+and\s+(?:the\s+)?(?P<a>[^()]{3,150}?)(?:\s*\([A-Z]{2,8}\))?,?"
               r"(?:\s+that\s+is)?\s+(?:\(?hereinafter|pursuant\s+to\s+which)"),
    re.compile(r"employees\s+of\s+(?:the\s+)?(?P<a>[^()]{3,150}?),?\s+\(?hereinafter"),
]


def _plausible_agency(name: str) -> bool:
    """A name, not a blank form field or a clause the pattern ran into."""
    words = re.findall(r"[A-Za-z]{2,}", name)
    return "_" not in name and 2 <= len(words) <= 14 and not any(
        w.lower() in ("pursuant", "hereinafter", "delegates", "which") for w in words)


def _reads_as_name(name: str) -> bool:
    """Most of its words (small words aside) begin with a capital, or it has an agency's
    word ("Sheriff", "Police", ...)."""
    words = [w for w in re.findall(r"[A-Za-z]{3,}", name) if w.lower() not in ("the", "and", "for", "through")]
    return bool(AGENCY_WORDS.search(name)) or 2 * sum(w[0].isupper() for w in words) >= len(words) > 0


AGENCY_WORDS = re.compile(r"\b(Office|Department|Sheriff|Police|County|City|Agency|Patrol|Guard|"
                          r"Commission|Corrections|Attorney|University|Marshal)", re.I)


def agency(seg: Segmentation, form_fields: Sequence[tuple[str, str, int | None]] = ()) -> Fact | None:
    """The agency as the MOA names it in its opening (parties) paragraph; else as filled
    in a form field; else the running header, which is the agency's name. Of the names
    the opening gives ("... and NAME, pursuant to", "... employees of NAME (hereinafter"),
    the first that reads as a name (its words capitalised, or an agency's word in it): a
    field OCR read as "thevvermessen oy aneny" gives way to the next naming."""
    lines = _section_lines(seg, "parties")
    text = " ".join(ln.text for ln in lines)
    names = []
    for rx in AGENCY_RES:
        for m in rx.finditer(text):
            name = re.sub(r"^the(?=[A-Z])", "", re.sub(r"\s+", " ", m.group("a")))
            name = re.sub(r"^[^A-Za-z0-9]+|[^A-Za-z0-9.)]+$", "", name)
            if _plausible_agency(name):
                names.append(name)
    if names:
        name = next((n for n in names if _reads_as_name(n)), names[0])
        page = next((ln.page for ln in lines if name[:12] in ln.text), lines[0].page)
        return Fact("agency", name, page)
    # A fillable template keeps the name in a form field, not in the page text.
    named = Counter((v.strip(), page) for _, v, page in form_fields
                    if AGENCY_WORDS.search(v) and _plausible_agency(v) and len(v) < 100
                    and not v.startswith(SIGNED_BY))       # (a signer's organisation is no agency's name)
    if named:
        (name, page), _ = named.most_common(1)[0]
        return Fact("agency", name, page)
    for header in seg.running_headers:
        name = re.sub(r"\s+\d+$", "", header).strip()
        if len(re.findall(r"[A-Za-z]{2,}", name)) >= 2 and "docusign" not in name.lower():
            page = next((ln.page for ln in seg.lines if name[:12] in ln.text), None)
            return Fact("agency", name, page)
    return None


def model(seg: Segmentation, roster_model: str | None) -> list[Fact]:
    counts: Counter = Counter()
    page: dict[str, int] = {}
    for ln in seg.lines:
        for code, rx in MODEL_PHRASES.items():
            if re.search(rx, ln.text, re.I):
                counts[code] += 1
                page.setdefault(code, ln.page)
    if counts:
        code = max(counts, key=lambda c: (counts[c], -page[c]))
        found = Fact("model", code, page[code])
    elif seg.layout and seg.layout.startswith("tfm"):
        found = Fact("model", "TFM", seg.sections[0].first_page if seg.sections else None)
    else:
        purpose = _section_lines(seg, "purpose")
        text = " ".join(ln.text for ln in purpose)
        code = next((c for c, rx in PURPOSE_PHRASES.items() if re.search(rx, text, re.I)), None)
        if code is None:
            return []
        found = Fact("model", code, purpose[0].page)
    out = [found]
    if roster_model and roster_model != found.value:
        out.append(Fact("model_mismatch", f"text says {found.value}, roster says {roster_model}",
                        found.page))
    return out


def _earliest(seg: Segmentation) -> str:
    """The earliest plausible signing date: the template's revision date."""
    rev = revision(seg)
    if rev:
        m, d, y = (int(x) for x in rev.value.split("/"))
        return make_date(y, m, d) or "2015-01-01"
    return "2015-01-01"


def signatures(seg: Segmentation, form_fields: Sequence[tuple[str, str, int | None]] = ()) -> list[Fact]:
    """signed_ice, ice_signatory, signed_agency, agency_signatory as far as the signature
    block shows them (archive.structure.signatures), each with its page. A signing date
    before the template's revision date, or after today, is a misreading."""
    return [Fact(name, value, page) for name, value, page in read_signatures(seg, form_fields, _earliest(seg))]


def missing_signing(found: Sequence[Fact]) -> list[str]:
    """The signing facts *found* lacks (what a second reading of the block may add)."""
    have = {f.name for f in found}
    return [name for name in ORDER if name not in have]


def from_block(seg: Segmentation, found: Sequence[Fact], block: BlockReading) -> list[Fact]:
    """The signing facts a second reading of the signature block adds to *found*
    (archive.structure.signatures.second_reading), each with its page and reader."""
    read = [(f.name, f.value, f.page) for f in found if f.name in ORDER]
    return [Fact(name, value, page, reader=block.reader)
            for name, value, page in second_reading(seg, read, block.text, block.page, _earliest(seg),
                                                    words=block.words)]


def confirmed(added: Sequence[Fact], check: BlockReading) -> list[Fact]:
    """Those of *added* that another reading of the block (*check*) reads alike."""
    return [f for f in added if confirmed_by(f.name, f.value, check.text)]


def field_office(seg: Segmentation) -> Fact | None:
    rx = re.compile(r"\b(?:The\s+)?(?P<fo>(?:[A-Z][a-z]+\s+){0,2}[A-Z][a-z]+),?\s+Field\s+Office\b")
    ordered = [ln for key in ("points-of-contact", "appendix-poc") for ln in _section_lines(seg, key)]
    for ln in ordered + seg.lines:
        for m in rx.finditer(ln.text):
            if m.group("fo").split()[-1] not in ("ICE", "Local", "The", "Removal", "Operations", "This"):
                return Fact("field_office", m.group("fo"), ln.page)
    return None


def points_of_contact(seg: Segmentation) -> list[Fact]:
    """One fact per "For ...:" block of the points-of-contact section and appendices."""
    out: list[Fact] = []
    for key in ("points-of-contact", "appendix-poc", "appendix-public-info-poc"):
        block: list[Line] = []
        for ln in _section_lines(seg, key) + [Line(0, "For END:")]:
            if re.match(r"^For\s+(?:the\s+)?[A-Z][\w .'’&-]{1,60}:", ln.text):
                if block:
                    text = "; ".join(b.text for b in block).replace(":; ", ": ")
                    if re.search(r"[A-Za-z]{2,}.*\S", re.sub(r"^For[^:]*:", "", text)):
                        out.append(Fact("poc", f"{key}: {text}", block[0].page, len(out)))
                block = []
            if block or re.match(r"^For\s", ln.text):
                block.append(ln)
    return out


def extract(seg: Segmentation, *, roster_model: str | None = None,
            form_fields: Sequence[tuple[str, str, int | None]] = ()) -> list[Fact]:
    """Every fact found in one segmented document (*form_fields*: its (name, value, page))."""
    out: list[Fact] = []
    for f in (agency(seg, form_fields), revision(seg), field_office(seg)):
        if f:
            out.append(f)
    out += model(seg, roster_model)
    out += signatures(seg, form_fields)
    out += points_of_contact(seg)
    add = next((s for s in seg.sections if s.key == "addendum"), None)
    out.append(Fact("addendum_present", "yes" if add else "no", add.first_page if add else None))
    return out


def store(conn, sha256: str, found: Sequence[Fact]) -> None:
    """Replace the document's stored facts by *found* (caller's transaction)."""
    conn.execute("DELETE FROM facts WHERE sha256 = ?", (sha256,))
    conn.executemany("INSERT INTO facts (sha256, name, value, page, ord, reader) VALUES (?, ?, ?, ?, ?, ?)",
                     [(sha256, f.name, f.value, f.page, f.ord, f.reader) for f in found])


@dataclass(frozen=True)
class SignedCheck:
    """Our reading of ICE's signing date beside the roster's SIGNED date."""
    ours: str | None              # signed_ice as read from the signature page (YYYY-MM-DD)
    ours_page: int | None
    roster: str | None            # the roster's SIGNED date for this agreement
    agrees: bool | None           # None when either is unknown
    days_apart: int | None

    def to_dict(self) -> dict:
        return {"ours": self.ours, "ours_page": self.ours_page, "roster": self.roster,
                "agrees": self.agrees, "days_apart": self.days_apart}


def signed_check(ours: str | None, roster: str | None, ours_page: int | None = None) -> SignedCheck:
    """Compare two ISO dates; a disagreement is shown, not hidden."""
    if not (ours and roster):
        return SignedCheck(ours, ours_page, roster, None, None)
    apart = abs((date.fromisoformat(ours) - date.fromisoformat(roster)).days)
    return SignedCheck(ours, ours_page, roster, apart == 0, apart)


def roster_signed(conn, sha256: str) -> str | None:
    """The roster's SIGNED date for the document's agreement (else the document's own,
    as the roster or ICE's file name gave it)."""
    row = conn.execute("SELECT a.signed AS agreement_signed, d.signed FROM documents d"
                       " LEFT JOIN agreements a ON a.id = d.agreement_id WHERE d.sha256 = ?",
                       (sha256,)).fetchone()
    return (row["agreement_signed"] or row["signed"]) if row else None


@dataclass(frozen=True)
class DocumentFacts:
    """The facts stored for one document (by name, repeated ones in order), each with the
    page it was read on, and ICE's signing date as read beside the roster's."""
    sha256: str
    facts: list[Fact]
    signed_check: SignedCheck

    def to_dict(self) -> dict:
        """{"sha256", "facts": {name: [{"value", "page"}...]}, "signed_check"}: what
        `moa facts --json` and the API's document give. A fact read by a second reading
        of its page (a signature block, archive.read.blocks) also names its "reader"."""
        out: dict[str, list] = {}
        for f in self.facts:
            entry = {"value": f.value, "page": f.page}
            if f.reader:
                entry["reader"] = f.reader
            out.setdefault(f.name, []).append(entry)
        return {"sha256": self.sha256, "facts": out, "signed_check": self.signed_check.to_dict()}


def document_facts(datadir, ref: str) -> DocumentFacts:
    """The facts of the document *ref* names, with the signed check."""
    sha256 = resolve(datadir.db, ref)
    found = [Fact(r["name"], r["value"], r["page"], r["ord"], r["reader"]) for r in datadir.db.execute(
        "SELECT name, value, page, ord, reader FROM facts WHERE sha256 = ? ORDER BY name, ord", (sha256,))]
    ice = next((f for f in found if f.name == "signed_ice"), None)
    check = signed_check(ice.value if ice else None, roster_signed(datadir.db, sha256), ice.page if ice else None)
    return DocumentFacts(sha256, found, check)


def format_signed_check(check: dict) -> str:
    """One line for people: ICE's signing date as read, beside the roster's."""
    ours = check["ours"] or "not read"
    roster = check["roster"] or "none"
    verdict = ("agrees" if check["agrees"] else f"DISAGREES by {check['days_apart']} day(s)") \
        if check["agrees"] is not None else "cannot compare"
    return f"{'signed_check':<17} ICE signed {ours}, roster SIGNED {roster}: {verdict}"
