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
from difflib import SequenceMatcher
from typing import Sequence

from archive.core.dates import full_year, make_date
from archive.core.refs import resolve
from archive.structure.segmenter import Line, Segmentation


@dataclass(frozen=True)
class Fact:
    name: str
    value: str
    page: int | None
    ord: int = 0


# Revisions of ICE's 2025 templates seen in the corpus's footers. An OCR'd footer that
# reads otherwise ("02/16/2025", "03/07/2026") loses to any vote for one of these.
KNOWN_REVISIONS = ("02/12/2025", "02/14/2025", "02/15/2025", "03/07/2025")
MODEL_PHRASES = {"JEM": r"Jail\s+Enforcement\s+Model", "WSO": r"Warrant\s+Service\s+Officer",
                 "TFM": r"Task\s+Force\s+Model"}
# The 2019-20 WSO text never names its model; its purpose clause tells it from a JEM's.
PURPOSE_PHRASES = {"WSO": r"facilitating\s+the\s+custodial\s+transfer",
                   "JEM": r"identifying\s+and\s+processing\s+removable\s+aliens"}
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
# a look-behind rather than \b: a date written on a blank ("Date:__March 17, 2025") counts
DATE_RES = [
    re.compile(r"(?<![0-9A-Za-z])(?P<m>\d{1,2})\s*[/\-.]\s*(?P<d>\d{1,2})\s*[/\-.]\s*(?P<y>20\d{2}|\d{2})\b"),
    re.compile(r"(?<![0-9A-Za-z])(?P<y>20\d{2})\.(?P<m>\d{2})\.(?P<d>\d{2})\b"),      # digital signature stamp
    re.compile(r"(?<![A-Za-z])(?P<mon>(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*)\.?\s+"
               r"(?P<d>\d{1,2}|\d\s\d)(?:st|nd|rd|th)?,?\s+(?P<y>20\d{2}|20\d\s\d)\b", re.I),
]
ICE_MARK = re.compile(r"For\s+ICE|For\s+DHS|Immigration\s+and\s+Customs|Enforcement\s+and\s+Removal|"
                      r"(?:Executive\s+)?(?:Associate|Assistant|Acting)\s+(?:Executive\s+)?Director", re.I)
LEA_MARK = re.compile(r"For\s+the\s+LEA|Sheriff|Chief\b|Attorney\s+General|Commissioner|Mayor|"
                      r"Colonel|Superintendent|Warden|County\s+Judge", re.I)
ICE_TITLE = re.compile(r"^(?:Acting\s+)?(?:Executive\s+Associate|Assistant|Deputy)?\s*Director\b|"
                       r"^Acting\s+Director", re.I)


def _date(m: re.Match) -> str | None:
    g = m.groupdict()
    try:
        month = int(g["m"]) if g.get("m") else MONTHS.index(g["mon"][:3].lower()) + 1
        return make_date(int(g["y"].replace(" ", "")), month, int(g["d"].replace(" ", "")))
    except (ValueError, TypeError):
        return None


def find_dates(text: str) -> list[str]:
    out = []
    for rx in DATE_RES:
        out += [d for m in rx.finditer(text) if (d := _date(m)) and "2015" <= d[:4] <= "2030"]
    return out


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


AGENCY_WORDS = re.compile(r"\b(Office|Department|Sheriff|Police|County|City|Agency|Patrol|Guard|"
                          r"Commission|Corrections|Attorney|University|Marshal)", re.I)


def agency(seg: Segmentation, form_fields: Sequence[tuple[str, str, int | None]] = ()) -> Fact | None:
    """The agency as the MOA names it in its opening (parties) paragraph; else as filled
    in a form field; else the running header, which is the agency's name."""
    lines = _section_lines(seg, "parties")
    text = " ".join(ln.text for ln in lines)
    for rx in AGENCY_RES:
        for m in rx.finditer(text):
            name = re.sub(r"^the(?=[A-Z])", "", re.sub(r"\s+", " ", m.group("a")))
            name = re.sub(r"^[^A-Za-z0-9]+|[^A-Za-z0-9.)]+$", "", name)
            if _plausible_agency(name):
                page = next((ln.page for ln in lines if name[:12] in ln.text), lines[0].page)
                return Fact("agency", name, page)
    # A fillable template keeps the name in a form field, not in the page text.
    named = Counter((v.strip(), page) for _, v, page in form_fields
                    if AGENCY_WORDS.search(v) and _plausible_agency(v) and len(v) < 100)
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


NAME_RE = re.compile(r"[A-Z][A-Za-z.'\u00c0-\u017f\-]+(?:\s+[A-Z][A-Za-z.'\u00c0-\u017f\-]*){1,3}")
OTHER_SIGNER = re.compile(r"Approved\s+as\s+to\s+form|\bAttest|\bWitness|Notary", re.I)
FOR_RE = re.compile(r"For\s+(?:the\s+)?(LEA|ICE|DHS)\b", re.I)


def _party(word: str) -> str:
    return "agency" if word.upper() == "LEA" else "ice"


def signatures(seg: Segmentation) -> list[Fact]:
    """Dates and names in the signature block that closes the agreement's last section.
    Labelled blocks ("For the LEA: For ICE:" over "Name: ... Name: ...") are read by column;
    older unlabelled ones by what stands next to a date or a title."""
    lines = _section_lines(seg, "termination")
    if not lines:
        return []
    start = next((k for k, ln in enumerate(lines) if re.search(r"By\s+signing|fullest\s+extent", ln.text, re.I)),
                 None)
    if start is None:        # the closing sentence unread: the section's last page holds the block
        start = next(k for k, ln in enumerate(lines) if ln.page == lines[-1].page) - 1
    block = lines[start + 1:]
    labelled, read = _labelled(block)
    # typed blocks first; a digital stamp (whose name OCR often garbles) fills what is left
    out = labelled + _unlabelled([ln for k, ln in enumerate(block) if k not in read]) + _digital(block)
    seen, unique = set(), []
    for f in out:                        # the first reading of each fact wins
        if f.name not in seen:
            seen.add(f.name)
            unique.append(f)
    return unique


def _labelled(block: list[Line]) -> tuple[list[Fact], set[int]]:
    """Facts from "Date:"/"Name:" lines under "For ...:" headings, and the lines read."""
    out: list[Fact] = []
    read: set[int] = set()
    columns: list[str] | None = None     # side by side: parties left to right
    current: str | None = None           # stacked: the party of the block we are in
    for k, ln in enumerate(block):
        if OTHER_SIGNER.search(ln.text):     # a county attorney's approval, a witness: not a party's
            columns = current = None
            continue
        fors = list(FOR_RE.finditer(ln.text))
        if len(fors) >= 2:
            columns, current = [_party(m.group(1)) for m in fors], None
            continue
        if len(fors) == 1 and len(ln.text) < 40:
            columns, current = None, _party(fors[0].group(1))
            continue
        labels = list(re.finditer(r"\b(Date|Name)\s*[:;.]", ln.text))
        if not labels:
            continue
        values = [(m.group(1).lower(), ln.text[m.end():labels[j + 1].start() if j + 1 < len(labels) else None])
                  for j, m in enumerate(labels)]
        if columns and len(values) == len(columns) and len({v[0] for v in values}) == 1:
            parties = columns
        elif current and len(values) == 1:
            parties = [current]
        else:
            continue                     # one value under two columns: whose is unknowable
        read.add(k)
        for (label, value), party in zip(values, parties):
            value = value.strip(" _.-~:;")
            if label == "date" and (dates := find_dates(value)):
                out.append(Fact(f"signed_{party}", dates[0], ln.page))
            elif label == "name" and (m := NAME_RE.match(value)):
                out.append(Fact(f"{party}_signatory", m.group(0), ln.page))
            elif label == "name" and (name := _printed_again(value, block)):
                out.append(Fact(f"{party}_signatory", name, ln.page))
            elif label == "name" and not value and len(parties) > 1 and (name := _bare_name_above(block, k)) \
                    and all(_printed_again(v, [Line(0, name)]) is None for _, v in values if v.strip(" _.-~:;")):
                # a blank "Name:" under two columns: the signer's name OCR set on its own line above
                out.append(Fact(f"{party}_signatory", name, ln.page))
    return out, read


def _bare_name_above(block: list[Line], k: int) -> str | None:
    """A name alone on one of the three lines above line *k* (no title, no agency)."""
    for ln in reversed(block[max(0, k - 3):k]):
        text = ln.text.strip()
        if NAME_RE.fullmatch(text) and not (LEA_MARK.search(text) or ICE_MARK.search(text)) \
                and not re.search(r"Signature|Date|Name|Title|Agency", text):
            return text
    return None


def _printed_again(value: str, block: list[Line]) -> str | None:
    """A name OCR misread on its "Name:" line ("|odd M. Lyons") that the block prints again,
    legibly (under the signature, in a stamp): that legible reading."""
    letters = re.sub(r"[^a-z]", "", value.lower())
    if len(letters) < 6:
        return None
    for ln in block:
        for m in NAME_RE.finditer(ln.text):
            name = m.group(0)
            if SequenceMatcher(None, letters, re.sub(r"[^a-z]", "", name.lower())).ratio() >= 0.85:
                return name
    return None


DIGITAL_RE = re.compile(r"Digitally\s+signed\s+by\s*:?\s*(?P<name>[A-Za-z][A-Za-z.'\- ]{3,40}?)\s*(?:Date\b|$)", re.I)


def _digital(block: list[Line]) -> list[Fact]:
    """Digital signature stamps: "Digitally signed by NAME / Date: 2025.03.18 09:52:57":
    the date (and the signer) of the party whose block the stamp stands in."""
    out: list[Fact] = []
    for k, ln in enumerate(block):
        text = " ".join(b.text for b in block[k:k + 3])
        m = DIGITAL_RE.search(text)
        if not re.search(r"Digitally", ln.text, re.I) or not m:
            continue
        dates = find_dates(text[m.start():])
        party = _nearest_party(block, k)
        if party and dates:
            out.append(Fact(party, dates[0], ln.page))
        name = re.sub(r"\s+", " ", m.group("name")).strip().title()
        if party and NAME_RE.fullmatch(name):
            out.append(Fact("ice_signatory" if party == "signed_ice" else "agency_signatory", name, ln.page))
    return out


def _unlabelled(block: list[Line]) -> list[Fact]:
    out: list[Fact] = []
    columns = next(([_party(m.group(1)) for m in fors] for ln in block
                    if len(fors := list(FOR_RE.finditer(ln.text))) >= 2), None)
    for k, ln in enumerate(block):
        if re.search(r"\b(?:Name|Date)\s*[:;]", ln.text) and not find_dates(ln.text):
            continue
        dates = find_dates(ln.text)
        if columns and len(dates) == len(columns) and len(set(columns)) == len(columns):
            # two dates side by side under "For the LEA: For ICE:": one per column
            out += [Fact(f"signed_{party}", d, ln.page) for party, d in zip(columns, dates)]
        elif dates and (party := _nearest_party(block, k)):
            out.append(Fact(party, dates[0], ln.page))
    for k, ln in enumerate(block):       # name line above an ICE title ("Assistant Director, ...")
        if ICE_TITLE.search(ln.text) and k and not find_dates(block[k - 1].text):
            name = block[k - 1].text.strip()
            if NAME_RE.fullmatch(name):
                out.append(Fact("ice_signatory", name, block[k - 1].page))
                break
    for k, ln in enumerate(block):       # the agency's signer above "Sheriff", "Chief", ...
        if re.match(r"^(Sheriff|Chief|Attorney General|Director|Commissioner)\b", ln.text) and k \
                and not ICE_TITLE.search(ln.text):
            name = block[k - 1].text.strip()
            if NAME_RE.fullmatch(name) and not LEA_MARK.search(name) and "County" not in name:
                out.append(Fact("agency_signatory", name, block[k - 1].page))
                break
    return out


def _nearest_party(block: list[Line], k: int) -> str | None:
    for dist in range(0, 7):
        for j in (k + dist, k - dist):
            if 0 <= j < len(block):
                t = block[j].text
                if ICE_MARK.search(t):
                    return "signed_ice"
                if LEA_MARK.search(t):
                    return "signed_agency"
    return None


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
    out += signatures(seg)
    out += points_of_contact(seg)
    add = next((s for s in seg.sections if s.key == "addendum"), None)
    out.append(Fact("addendum_present", "yes" if add else "no", add.first_page if add else None))
    return out


def store(conn, sha256: str, found: Sequence[Fact]) -> None:
    """Replace the document's stored facts by *found* (caller's transaction)."""
    conn.execute("DELETE FROM facts WHERE sha256 = ?", (sha256,))
    conn.executemany("INSERT INTO facts (sha256, name, value, page, ord) VALUES (?, ?, ?, ?, ?)",
                     [(sha256, f.name, f.value, f.page, f.ord) for f in found])


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
        `moa facts --json` and the API's document give."""
        out: dict[str, list] = {}
        for f in self.facts:
            out.setdefault(f.name, []).append({"value": f.value, "page": f.page})
        return {"sha256": self.sha256, "facts": out, "signed_check": self.signed_check.to_dict()}


def document_facts(datadir, ref: str) -> DocumentFacts:
    """The facts of the document *ref* names, with the signed check."""
    sha256 = resolve(datadir.db, ref)
    found = [Fact(r["name"], r["value"], r["page"], r["ord"]) for r in datadir.db.execute(
        "SELECT name, value, page, ord FROM facts WHERE sha256 = ? ORDER BY name, ord", (sha256,))]
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
