"""Normalisation for comparing agreements: make fill-ins and OCR noise vanish, keep the rest.

Text is cut into word tokens ``(key, text)``: *text* is what a reader sees, *key* is what
is compared. Two kinds of difference are made to disappear from the keys:

- **fill-ins** — what differs from agency to agency in the same template: the agency's
  name and abbreviation (FCSO, LEA, ...), its state, field-office cities, street addresses,
  full dates, signatories' names, the agency head's title (Sheriff, Chief of Police), its internal-affairs
  unit, and
  signature blocks / contact lines ("For ICE:", "Signature:" to the end). Each becomes one placeholder key such as ``‹agency›``.
  Month-and-year references (``December 2014``) are template text and are kept.
  Fill-ins are found after OCR confusions are folded (:func:`fold_for_fillins`): a word the
  confusion model reads as a word of a fill-in value or of the patterns (``F0r the LEA:``,
  ``Lawrence C0unty Sheriff's 0ffice``, ``Rernoval``) and a number with letters in it
  (``2O25``) are matched as that word, so a scan's misreadings do not make a fill-in a change.
- **OCR noise** — case, punctuation, quotes, hyphenation at line ends, spacing, the
  confusions of OCR as :mod:`archive.read.ocr_confusions` models them (its table derived
  from the corpus by ``bench/derive_confusions.py``: ``l``/``1``/``I``, ``0``/``O``,
  ``rn``/``m``, ...; never a digit for a digit), and words
  printed letter by letter (``o f f i c e r s``); a word with symbols no word has (``~1⁄4ci-Q``,
  OCR of a stamp or of handwriting) gets a key marked ``~``: inserted alone it is noise.

Each token also carries where it is in the text as stored (:func:`tokenize_spans`), so
that redlines show the agreement's own words, punctuation and all.

Bump ``NORMALIZER_VERSION`` whenever the output of :func:`tokenize` changes: cached
normalised texts (``compare_sections``) are recomputed when it differs.
"""
from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from archive.harvest.filenames import STATES
from archive.read.ocr_confusions import skeleton

NORMALIZER_VERSION = 6     # 5: fill-ins found after folding OCR confusions; 6: the derived table

Token = tuple[str, str]  # (key, text)
GARBLED = "~"            # key prefix of a word with symbols no word has (compare ignores it alone)

# The template's own name for the agency, and names that are never a fill-in.
GENERIC_AGENCY_TERMS = ("LEA",)
NOT_AN_AGENCY_ABBR = {"MOA", "ICE", "DHS", "OHS", "INA", "SOP", "FOD", "OPR", "JIC", "ERO", "HSI",
                      "OPLA", "DOJ", "SAC", "CFR", "USC", "FBI", "CBP", "EO", "US", "ADA", "IGSA",
                      "EAD", "POC", "POCS", "FOO", "POD", "AOR", "PII", "TFM", "JEM", "WSO", "TTFM", "AOR", "OPA"}
STATE_CODES = {name: code for code, name in STATES.items()}   # ALABAMA → AL
# ERO field offices (a city may also be caught by the "<City> Field Office" pattern).
FIELD_OFFICE_CITIES = ("Atlanta", "Baltimore", "Boston", "Buffalo", "Chicago", "Dallas", "Denver",
                       "Detroit", "El Paso", "Harlingen", "Houston", "Los Angeles", "Miami", "Newark",
                       "New Orleans", "New York City", "New York", "Philadelphia", "Phoenix",
                       "Salt Lake City", "San Antonio", "San Diego", "San Francisco", "Seattle",
                       "St. Paul", "Saint Paul", "Washington")
_AGENCY_SUFFIXES = (r"Sheriff['’]?s?\s+Office", r"Sheriff['’]?s?\s+Department", r"Police\s+Department",
                    r"Department\s+of\s+Corrections", r"Detention\s+Center", r"Sheriff", r"Police",
                    r"Department\s+of\s+Public\s+Safety", r"Highway\s+Patrol", r"Marshal['’]?s?\s+Office")
_PRINTED_AGENCY = re.compile(
    r"\b(?!(?:The|An|A|For|By|And|Participating|Each|Such|Any|Local|County|State|City|Deputy|Chief|"
    r"Said|This|That|Of|Homeland|Security|Customs|Immigration|Enforcement)\b)"
    r"(?:(?!Homeland|Security|Customs|Immigration|Enforcement)[A-Z][a-z][\w'’&.-]*\s+){1,4}" rf"(?:{'|'.join(_AGENCY_SUFFIXES)})\b")
_MONTHS = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
           r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?")
_DATE = (rf"(?:\b\d{{1,2}}/\d{{1,2}}/(?:\d{{4}}|\d{{2}})\b|\b\d{{1,2}}-\d{{1,2}}-(?:\d{{4}}|\d{{2}})\b|"
         rf"\b\d{{1,2}}\.\d{{1,2}}\.(?:\d{{4}}|\d{{2}})\b|\b\d{{4}}-\d{{2}}-\d{{2}}\b|"
         rf"\b{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b|"
         rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+day\s+of\s+{_MONTHS},?\s+\d{{4}}\b)")
_STREET = (r"(?:Street|St|A\s?venue|Ave|Road|Rd|Boulevard|Blvd|Drive|Dr|Lane|Ln|Way|Parkway|Pkwy|"
           r"Highway|Hwy|Place|Pl|Court|Ct|Plaza|Square|Circle|Pike|Trail)\.?")
_ADDRESS = (rf"\b\d{{1,6}}\s+(?:[NSEW]\.?\s+)?(?:[A-Z0-9][\w.'’-]*\s+){{1,4}}{_STREET}"
            r"(?:,?\s*(?:Suite|Ste\.?|Room|Rm\.?|Floor|Unit|Bldg\.?|Building)\s*[\w-]+)?"
            r"(?:,?\s*[A-Z][A-Za-z.]*(?:\s+[A-Z][A-Za-z.]*){0,3},?\s*[A-Z]{2}\.?,?\s*\d{5}(?:-\d{4})?)?")
_NOT_A_CITY = r"(?:The|ICE|Removal|Operations|Enforcement|For|In|Of|And|DHS|OHS|ERO|HSI|Local|Applicable|Each|That|This|Said)\b"
_CITY_STATE_ZIP = r"\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+){0,3},\s*(?:[A-Z]{2}|[A-Z][a-z]+)\.?,?\s+\d{5}(?:-\d{4})?\b"
_PHONE = r"(?:\(\d{3}\)\s*|\b\d{3}[-.\s])\d{3}[-.\s]\d{4}\b"
_EMAIL = r"\b[\w.+-]+@(?!(?:ice|cbp|dhs)\b)[\w-]+(?:\.[\w-]+)+\b"   # ICE's own addresses are template text
_CITY_BEFORE_FIELD_OFFICE = (rf"\b(?!{_NOT_A_CITY})[A-Z][A-Za-z.]+(?:\s+(?!Field\b)[A-Z][A-Za-z.]+){{0,2}}"
                             r"(?=,?\s+Field\s+Office\b)")
_ABBR_STYLE = r"\b[A-Z]{1,4}(?:CSO|SO|PD|SD)\b|\bX{3,}\b"  # FCSO, HCSO, BPD; XXXX left blank
# An OCR-mangled "Sheriff's Office" left after a matched agency name ("Sherifrs Office").
_OCR_AGENCY_TAIL = r"(?:\s*(?:['’]s\s*)?(?:Sh\w{3,7}['’]?s?\s+)?Offic?\w*\b)?"
_REVISION_FOOTER = rf"(?:\bRev(?:ised|\.)?\s*{_DATE}|\bR[A-Za-z.:]{{2,7}}\s*\d[\d/ ]{{4,9}}\d\b)"
# The agency's internal-affairs unit, named by each agency in the 2019-2020 template.
_UNIT = (r"(?i:\b(?:(?:Internal\s+(?:Investigations?|Affairs)|Professional\s+Standards)\s+"
         r"(?:Unit|Division|Bureau|Section|Office)|Office\s+of\s+Professional\s+Standards)\b)")
# The agency head's title, which the templates leave to fill in ("The Sheriff will inform ...").
_HEAD = (r"(?i:\b(?:Sheriff|Chief\s+of\s+Police|Police\s+Chief|Facility\s+Commander|Chief\s+Deputy|"
         r"Warden|Jail\s+Administrator|Director\s+of\s+Corrections)\b)")
# Signature blocks and contact lines: everything from a "For ICE:" / "Signature:" line on.
_SIGNATURES = r"(?m:^)[ \t]*(?:For\s+(?:the\s+)?[A-Za-z]+\s*:|Signature\s*:|Name\s*:|Date\s*:\s*_)(?s:.*)\Z"

# Words of ICE's own that a signatory or contact fact may carry: never a fill-in.
_ICE_WORDS = re.compile(r"(?i)homeland|immigration|customs|enforcement|removal|operations|director|"
                        r"department|public affairs|field office")
_NON_WORD = re.compile(r"[\W_]+|B{3,}")   # BBBB: blank form lines in some text layers
_LINE_END_HYPHEN = re.compile(r"(\w)[-\u00ad]\s*\n\s*(\w)|(?<=[a-z])[-\u00ad] +(?=[a-z])")
_WORD = re.compile(r"\S+")
_LETTER_SPACED = re.compile(r"(?<!\S)(?:\w ){2,}\w(?!\S)")     # "o f f i c e r s", "t h e"


@dataclass
class FillIns:
    """The fill-in values of one document, as read from its database rows and its text."""
    agency_names: list[str] = field(default_factory=list)
    abbreviations: list[str] = field(default_factory=list)
    state: str | None = None
    names: list[str] = field(default_factory=list)      # signatories, points of contact
    cities: list[str] = field(default_factory=list)     # field offices named in facts

    def to_dict(self) -> dict:
        return {"agency_names": self.agency_names, "abbreviations": self.abbreviations,
                "state": self.state, "names": self.names, "cities": self.cities}

    def regex(self) -> re.Pattern:
        """The compiled pattern of all fill-ins (built once per document)."""
        key = repr(self.to_dict())
        if getattr(self, "_regex", (None, None))[0] != key:
            self._regex = (key, _fillin_regex(self))
        return self._regex[1]

    def spellings(self) -> dict[str, str]:
        """skeleton → spelling of the words the fill-ins are matched by: this document's
        values (its agency's name, people, cities, state) and the patterns' own words."""
        key = repr(self.to_dict())
        if getattr(self, "_spellings", (None, None))[0] != key:
            values = [*self.agency_names, *self.abbreviations, *self.names, *self.cities, self.state or ""]
            own: dict[str, str] = {}
            for w in (w for v in values for w in _RUN.findall(v) if len(w) >= 2):
                # the first spelling of a word: the roster's clean name comes before names
                # printed in the text, which may be misread ("Lawrerice" is "Lawrence")
                own.setdefault(skeleton(w), w)
            self._spellings = (key, {**_PATTERN_SPELLINGS, **own})
        return self._spellings[1]


_NO_FILLINS = FillIns(abbreviations=list(GENERIC_AGENCY_TERMS))


def find_fillins(text: str, *, agency: str | None = None, state: str | None = None,
                 facts: dict[str, list[str]] | None = None) -> FillIns:
    """Collect a document's fill-ins: its agency name(s) from the documents row and facts,
    the abbreviations its own text defines ("... Sheriff's Office (FCSO)", "hereinafter ...
    (LEA)"), agency-like names printed in it, and signatories from facts."""
    facts = facts or {}
    names = [n for n in [agency, *facts.get("agency", [])] if n and n.strip()]
    head = text[:6000]
    for m in _PRINTED_AGENCY.finditer(text):
        names.append(m.group(0))
    cores = []
    for n in names:
        core = re.sub(rf"(?i)\s*(?:{'|'.join(_AGENCY_SUFFIXES)})\s*$", "", n).strip(" ,")
        if core and core != n and len(core.split()) >= 2:   # "Finney County", not "Finney"
            cores.append(core)
    abbrs = list(GENERIC_AGENCY_TERMS)
    for m in re.finditer(r"\(\s*[\"“]?([A-Z][A-Za-z&]{1,9})[\"”]?\s*\)", head):
        before = head[max(0, m.start() - 200):m.start()]
        cand = m.group(1)
        if cand.upper() in NOT_AN_AGENCY_ABBR or len(cand) < 3:
            continue
        if re.search(r"(?i)hereinafter|sheriff|police|office|department|county|agency|center", before[-120:]):
            abbrs.append(cand)
    people = [v for k in ("ice_signatory", "agency_signatory") for v in facts.get(k, [])]
    people += [p for v in facts.get("poc", []) for p in _contact_parts(v)]
    people = [p for p in people if not _ICE_WORDS.search(p)]
    cities = [v for v in facts.get("field_office", [])]
    return FillIns(agency_names=_unique(names + cores), abbreviations=_unique(abbrs),
                   state=(state or None), names=_unique(people), cities=_unique(cities))


def _contact_parts(poc: str) -> list[str]:
    """The agency's own contact lines from a ``poc`` fact ("points-of-contact: For the LEA:
    Lieutenant J. Doe; 105 South A Street") — names, titles, addresses — not ICE's."""
    m = re.match(r"^[\w-]+:\s*For\s+(?:the\s+)?([^:]+):\s*(.*)$", poc)
    if not m or re.match(r"(?i)(?:ICE|DHS|OHS)\b", m.group(1)):
        return []
    return [p.strip() for p in m.group(2).split(";")
            if p.strip() and len(p.split()) <= 8]


def _unique(items) -> list[str]:
    seen, out = set(), []
    for i in items:
        i = " ".join(i.split())
        if i and i.lower() not in seen:
            seen.add(i.lower())
            out.append(i)
    return out


def _phrase(s: str) -> str:
    """A regex for the phrase *s*: flexible spaces and apostrophes."""
    words = [re.escape(w) for w in s.split()]
    pat = r"\s+".join(words).replace(r"of\s+", r"of\s+(?:the\s+)?")
    return re.sub(r"(?:\\?['’])s\b", "['’]?s", pat)


# A page number on a line of its own ("9", "Page 9", "9 of 12"): page furniture, which
# falls inside a section wherever a page breaks, not the agreement's terms.
_PAGE_NUMBER = r"(?m:^[ \t]*(?:Page[ \t]+)?\d{1,3}(?:[ \t]+of[ \t]+\d{1,3})?[ \t]*$)"


def _fillin_regex(f: FillIns) -> re.Pattern:
    parts: list[tuple[str, str]] = [("signature", _SIGNATURES), ("page", _PAGE_NUMBER)]
    for n in sorted(f.agency_names, key=len, reverse=True):
        parts.append(("agency", rf"(?i:\b(?:(?:City|Town|County|Village)\s+of\s+)?{_phrase(n)}\b){_OCR_AGENCY_TAIL}"))
    for n in sorted(f.names, key=len, reverse=True):
        parts.append(("name", rf"(?i:\b{_phrase(n)}\b)"))
    parts.append(("address", _ADDRESS))
    parts.append(("address", _CITY_STATE_ZIP))
    parts.append(("phone", _PHONE))
    parts.append(("email", _EMAIL))
    parts.append(("date", _REVISION_FOOTER))
    parts.append(("date", _DATE))
    cities = sorted({*f.cities, *FIELD_OFFICE_CITIES}, key=len, reverse=True)
    parts.append(("city", rf"\b(?:{'|'.join(_phrase(c) for c in cities)})\b(?=,?\s+(?:Field|Area|Special|ERO|Office))"))
    parts.append(("city", _CITY_BEFORE_FIELD_OFFICE))
    for a in sorted(f.abbreviations, key=len, reverse=True):
        parts.append(("agency", rf"\b{re.escape(a)}\b"))
    parts.append(("agency", _ABBR_STYLE))
    parts.append(("head", _HEAD))
    parts.append(("unit", _UNIT))
    if f.state:
        parts.append(("state", rf"(?i:\b{_phrase(f.state)}\b)(?!,?\s*D\.?\s?C\b)"))
        code = STATE_CODES.get(f.state.upper())
        if code:
            parts.append(("state", rf"\b{code}\b\.?(?!\s*\d{{5}})"))
    return re.compile("|".join(f"(?P<{kind}{i}>{p})" for i, (kind, p) in enumerate(parts)))


# The words the fill-in patterns are written with (For, Signature, Sheriff, Office, Street,
# the months, the field offices' cities, ...), as their skeletons → spellings.
_RUN = re.compile(r"[^\W_]+")
_PATTERN_SOURCES = (_SIGNATURES, _PRINTED_AGENCY.pattern, _DATE, _STREET, _ADDRESS, _UNIT, _HEAD,
                    _CITY_BEFORE_FIELD_OFFICE, _REVISION_FOOTER, "|".join(_AGENCY_SUFFIXES),
                    " ".join(FIELD_OFFICE_CITIES), " ".join(calendar.month_name[1:]))
_PATTERN_SPELLINGS = {skeleton(w): w for src in _PATTERN_SOURCES
                      for w in re.findall(r"[A-Za-z]{3,}", re.sub(r"\\[A-Za-z]", " ", src))}


def fold_for_fillins(work: str, spellings: dict[str, str]) -> tuple[str, list[int] | None]:
    """*work* as the fill-in patterns should read it: each word that the OCR-confusion model
    reads as one of *spellings* (skeleton → spelling, :meth:`FillIns.spellings`) but is
    spelled otherwise is written that way (in the case it is printed in), and each number with
    letters read for digits (``2O25``, ``13S7``) as digits. Returns the folded text and,
    when anything changed, where each of its characters comes from in *work*."""
    out: list[str] = []
    origin: list[int] = []
    pos = 0
    for m in _RUN.finditer(work):
        run = m.group(0)
        if len(run) < 2:
            continue
        sk = skeleton(run)
        if sk.isdigit():
            new = sk if sk != run else None
        else:
            new = spellings.get(sk)
            if new is None and sk.endswith("s") and sk[:-1] in spellings:   # a plural, or "Sheriffs"
                new = spellings[sk[:-1]] + "s"
            if new is not None and new.lower() == run.lower():
                new = None
            elif new is not None:
                new = _in_case_of(run, new)
        if new is None:
            continue
        a, n = m.start(), len(run)
        out.append(work[pos:a])
        origin.extend(range(pos, a))
        out.append(new)
        origin.extend(a + (n - 1 if i == len(new) - 1 else min(i * n // len(new), n - 1)) for i in range(len(new)))
        pos = m.end()
    if not out:
        return work, None
    out.append(work[pos:])
    origin.extend(range(pos, len(work)))
    return "".join(out), origin


def _in_case_of(run: str, word: str) -> str:
    """*word* in the case *run* is printed in: capitals, lower case or capitalised (the
    patterns match "For the LEA", so a misread "thc" is "the", not "The"). A first letter
    read as a digit (``0ffice``, ``5heriff``) keeps *word*'s own case for it."""
    letters = [c for c in run if c.isalpha()]
    if len(letters) > 1 and all(c.isupper() for c in letters):
        return word.upper()
    if not letters or not all(c.islower() for c in letters[1:]):
        return word
    first = word[:1].upper() if run[0].isupper() else word[:1].lower() if run[0].islower() else word[:1]
    return first + word[1:].lower()


@lru_cache(maxsize=200_000)
def word_key(word: str, ocr: bool = True) -> str:
    """The comparison key of one word. With *ocr*, case, punctuation and OCR confusions go."""
    if not ocr:
        return word
    w = skeleton(_NON_WORD.sub(" ", unicodedata.normalize("NFKC", word)))
    # Symbols no word has ("~1⁄4ci-Q", "thc~MOA"): OCR of a stamp, or a damaged word.
    return GARBLED + w if w and _is_garbage(word) else w


class Tok(NamedTuple):
    """One token: its comparison *key*, its *text* as printed (a fill-in: its whole span,
    spaces collapsed), and its span ``[start, end)`` in the text it was cut from."""
    key: str
    text: str
    start: int
    end: int


def tokenize(text: str, fillins: FillIns | None = None, *, ignore_fillins: bool = True,
             ignore_ocr_noise: bool = True) -> list[Token]:
    """Cut *text* into ``(key, text)`` word tokens (see module docstring)."""
    return [(t.key, t.text) for t in tokenize_spans(text, fillins, ignore_fillins=ignore_fillins,
                                                    ignore_ocr_noise=ignore_ocr_noise)]


def tokenize_spans(text: str, fillins: FillIns | None = None, *, ignore_fillins: bool = True,
                   ignore_ocr_noise: bool = True) -> list[Tok]:
    """:func:`tokenize` with each token's span in *text* (:class:`Tok`)."""
    work, origin = text, None                     # origin[i]: where work[i] is in text
    if ignore_ocr_noise:
        work, origin = _repair(text)
    spans: list[tuple[int, int, str]] = []
    if ignore_fillins:
        f = fillins or _NO_FILLINS
        probe, back = fold_for_fillins(work, f.spellings()) if ignore_ocr_noise else (work, None)
        for m in f.regex().finditer(probe):
            if m.group(0).strip():
                a, b = (m.start(), m.end()) if back is None else (back[m.start()], back[m.end() - 1] + 1)
                spans.append((a, b, "‹" + re.sub(r"\d+$", "", m.lastgroup) + "›"))
    out: list[Tok] = []
    pos = 0

    def span(i: int, j: int) -> tuple[int, int]:
        if origin is None:
            return i, j
        return origin[i], origin[j - 1] + 1

    for start, end, key in [*spans, (len(work), len(work), "")]:
        for w in _WORD.finditer(work, pos, start):
            k = word_key(w.group(0), ignore_ocr_noise)
            if k:
                out.append(Tok(k, w.group(0), *span(w.start(), w.end())))
        if key:
            a, b = span(start, end)
            # the fill-in's span without the white space the pattern may have taken in
            while b > a and text[b - 1].isspace():
                b -= 1
            out.append(Tok(key, " ".join(work[start:end].split()), a, b))
        pos = end
    return out


def _repair(text: str) -> tuple[str, list[int]]:
    """The OCR repairs made before cutting words (NFKC, line-end hyphens joined, words printed
    letter by letter closed up), with where each character of the result came from."""
    if text.isascii() and "\ufffe" not in text:
        chars, origin = list(text), list(range(len(text)))
    else:
        chars, origin = [], []
        for i, c in enumerate(text):
            n = "-\n" if c == "\ufffe" else unicodedata.normalize("NFKC", c)
            chars.extend(n)
            origin.extend([i] * len(n))
    work = "".join(chars)
    for rx, keep in ((_LINE_END_HYPHEN, _hyphen_keep), (_LETTER_SPACED, _letters_keep)):
        drop: list[tuple[int, int]] = []
        for m in rx.finditer(work):
            drop.extend(keep(m))
        if drop:
            work, origin = _drop(work, origin, drop)
    return work, origin


def _hyphen_keep(m: re.Match) -> list[tuple[int, int]]:
    """What to drop of a line-end hyphen match: between the two word characters."""
    if m.group(1) is not None:
        return [(m.end(1), m.start(2))]
    return [(m.start(), m.end())]


def _letters_keep(m: re.Match) -> list[tuple[int, int]]:
    return [(i, i + 1) for i in range(m.start(), m.end()) if m.string[i] == " "]


def _drop(work: str, origin: list[int], drop: list[tuple[int, int]]) -> tuple[str, list[int]]:
    chars, org, pos = [], [], 0
    for a, b in sorted(drop):
        chars.append(work[pos:a])
        org.extend(origin[pos:a])
        pos = max(pos, b)
    chars.append(work[pos:])
    org.extend(origin[pos:])
    return "".join(chars), org


_ASCII_GARBAGE = re.compile(r"[~<>{}\[\]\\^*=+#]")


def _is_garbage(word: str) -> bool:
    if _ASCII_GARBAGE.search(word):
        return True
    return not word.isascii() and any(
        c != "§" and unicodedata.category(c) in ("So", "Sk", "Sm", "No", "Co", "Cn") for c in word)


def normalized(text: str, fillins: FillIns | None = None, **options) -> str:
    """The keys of :func:`tokenize`, joined by single spaces: equal strings mean no difference
    beyond fill-ins and OCR noise."""
    return " ".join(k for k, _ in tokenize(text, fillins, **options))
