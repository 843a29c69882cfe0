"""Cut each MOA into its sections and sub-sections, with one canonical key per section
that is shared across program models and template eras (see README, "Sections and facts").

``segment(pages)`` is pure: per-page texts in, a ``Segmentation`` out. It works in four steps:

1. clean every page: drop running headers (a line repeated at the top or bottom of many
   pages, e.g. the agency name), revision footers ("Revised 03/07/2025", "Rev 2/14/25"),
   page numbers and lines without a letter or digit;
2. find candidate headings: "IV. RESPONSIBILITIES", "C. TRAINING OF PERSONNEL",
   "APPENDIX B", the document title, "ADDENDUM TO MODIFY ...". A title is recognised by
   fuzzy comparison of its letters with a vocabulary of printed titles, so OCR noise
   ("CML RIGHTS", "POINTS OF CONT ACT") still matches; Roman numerals misread by OCR
   ("1V", "Vl", "m") are corrected;
3. align the candidates with each known layout's expected sequence of sections (a
   weighted longest common subsequence), keeping the layout that leaves fewest missing;
   stray candidates (a title quoted inside an addendum, an all-caps line) cannot break
   the order because only an in-order subsequence is kept;
4. cut the text between the chosen headings; a section's text reads across page breaks.

The layouts and the vocabulary of titles are in ``layouts``; storing is ``stage``'s job.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from archive.structure.layouts import (ADDENDUM, APPENDIX_KEYS, APPENDIX_TITLES, ATTACHMENT, DOC_TITLE, FAMILIES,
                                       FRONT_MATTER, LAYOUTS, OPENING, REGULAR, TITLES, Expected,
                                       template_numbers)

SEGMENTER_VERSION = 13  # bump when sections or facts would come out differently
                        # (7: signature blocks read a second time where the text lacks a fact;
                        # 8: headings as scans read them, an addendum without its heading;
                        # 9: headings set in title case, an appendix known by its letter alone,
                        #    a digital stamp's date when OCR misread its signer;
                        # 10: numbers bracketed or dashed, headings letter-spaced, a title
                        #    misread whose number OCR lost; 12: marks around a heading, a word
                        #    before its number; 13: a signing date whose month's name OCR misread,
                        #    a numeral set apart, an appendix's letter after a dash)


# --- records -----------------------------------------------------------------------
@dataclass
class Section:
    ord: int
    key: str
    number: str | None
    title: str | None
    first_page: int
    last_page: int
    parent: int | None            # ord of the enclosing section, None at top level
    text: str
    lines: slice = field(default_factory=lambda: slice(0, 0), repr=False)  # in Segmentation.lines
    heading: slice = field(default_factory=lambda: slice(0, 0), repr=False)  # its heading's lines

    def summary(self, sections: list["Section"]) -> dict:
        """The CLI/golden form: parent given as the parent's key."""
        return {"key": self.key, "number": self.number, "title": self.title,
                "first_page": self.first_page, "last_page": self.last_page,
                "parent": None if self.parent is None else sections[self.parent].key}


@dataclass
class Segmentation:
    layout: str | None
    complete: bool
    problems: list[str]
    sections: list[Section]
    lines: list["Line"] = field(repr=False, default_factory=list)   # clean lines, all pages
    running_headers: list[str] = field(default_factory=list)        # as printed, e.g. the agency
    revisions: list[tuple[int, str]] = field(default_factory=list)  # (page, footer date as printed)


@dataclass(frozen=True)
class Line:
    page: int       # 1-based
    text: str


@dataclass(frozen=True)
class Candidate:
    index: int            # position in the clean lines
    span: int             # lines the heading takes (title wrapped onto the next line)
    key: str
    number: str | None
    title: str | None
    weight: float
    alt: str | None = None    # a second key it may fill, at ALT_WEIGHT (an appendix's title alone)


ALT_WEIGHT = 0.3


# --- cleaning ----------------------------------------------------------------------
_D = r"[0-9OoIl|]"          # a digit, or a letter OCR reads for one
REVISION_RE = re.compile(
    rf"\bRev(?:ised|\.)?\s*[:.]?\s*({_D}{{1,2}})\s*[/\-.]\s*({_D}{{1,2}})\s*[/\-.]\s*({_D}{{2,4}})(?![0-9])", re.I)
_DIGITS = str.maketrans("OoIl|", "00111")
PAGE_NO_RE = re.compile(r"^(?:page\s*)?[0-9IlJOo|]{1,3}(?:\s*of\s*\d{1,3})?$", re.I)
_EDGE = 4   # lines at the top and bottom of a page where headers and footers live


def _letters(s: str) -> str:
    return re.sub(r"[^a-z]", "", s.lower())


def _strip_footer(line: str) -> str:
    return REVISION_RE.sub(" ", line).strip()


def _header_key(line: str) -> str:
    """What a running header looks like once page numbers and revision dates are gone."""
    return _letters(_strip_footer(line))


# A line of only "|" or "!" (a Roman numeral I as OCR reads it, its title on the next
# line): it is kept before that line when the line reads like a heading.
LONE_NUMERAL = re.compile(r"^[|!]\s*[.,:;]?$")


def _numeral_joined(lines: list[str]) -> list[str]:
    """The lines with a LONE_NUMERAL put before the line after it (blank lines between
    skipped) when that line opens with a word in capitals."""
    out: list[str] = []
    mark = ""
    for ln in lines:
        if not ln:
            out.append(ln)
            continue
        out.append(mark + ln if mark and _capitals(ln.split(" ")[0]) and re.search(r"[A-Za-z]", ln) else ln)
        mark = ln + " " if LONE_NUMERAL.match(ln) else ""
    return out


def clean_pages(pages: list[str]) -> tuple[list[Line], list[str], list[tuple[int, str]], set[int]]:
    """Return the clean lines of all pages, the running headers removed (as printed), the
    revision footers seen (page, date as printed) and the pages that carry either."""
    raw = [[ln.strip() for ln in (p or "").splitlines()] for p in pages]
    raw = [[ln for ln in _numeral_joined(lines) if re.search(r"[A-Za-z0-9]", ln)] for lines in raw]
    revisions = [(n, "/".join(m.groups()).translate(_DIGITS)) for n, lines in enumerate(raw, 1)
                 for ln in lines for m in REVISION_RE.finditer(ln)]
    # Running headers: edge lines whose letters repeat on many pages.
    seen: Counter = Counter()
    printed: dict[str, str] = {}
    for lines in raw:
        keys = {_header_key(ln) for ln in lines[:_EDGE] + lines[-_EDGE:]}
        for k in keys:
            if len(k) >= 6:
                seen[k] += 1
        for ln in lines[:_EDGE] + lines[-_EDGE:]:
            printed.setdefault(_header_key(ln), re.sub(r"(?:^|\s)\d{1,3}(?=\s|$)", " ",
                                                       _strip_footer(ln)).strip())
    need = max(3, int(0.3 * len(raw)) + 1)
    headers = {k for k, n in seen.items() if n >= need and not _is_heading_text(printed[k])}

    def removable(ln: str) -> bool:
        rest = _strip_footer(ln)
        key = _letters(rest)
        if not key or PAGE_NO_RE.match(rest):
            return True
        rest_no_num = re.sub(r"(?:^|\s)(?:page\s*)?\d{1,3}(?:\s*of\s*\d{1,3})?(?:\s|$)", " ", rest, flags=re.I)
        key = _letters(rest_no_num)
        return key in headers or any(len(key) > 8 and _similar(key, h) >= 0.88 for h in headers)

    out: list[Line] = []
    for n, lines in enumerate(raw, 1):
        lo, hi = 0, len(lines)
        while lo < hi and lo < _EDGE and removable(lines[lo]):
            lo += 1
        while hi > lo and len(lines) - hi < _EDGE and removable(lines[hi - 1]):
            hi -= 1
        for ln in lines[lo:hi]:
            ln = _strip_footer(ln) if REVISION_RE.search(ln) else ln
            if ln and re.search(r"[A-Za-z0-9]", ln):
                out.append(Line(n, ln))
    marked = {n for n, _ in revisions} | {
        n for n, lines in enumerate(raw, 1)
        if any(_header_key(ln) in headers for ln in lines[:_EDGE] + lines[-_EDGE:])}
    return out, sorted(printed[k] for k in headers), revisions, marked


# --- headings ----------------------------------------------------------------------
# A section number before a title: Roman numerals and letters as OCR reads them ("1V",
# "Vl", "¥", "(", "8"); decided by the title that follows and the position in the layout.
# Its period may be a comma or colon as OCR reads it, or a bracket ("IV)", "(IV)") or a
# dash ("IV - ") as a retyped agreement sets it.
NUMBER_RE = re.compile(r"^(?:\((?=[^\s.,:;()]{1,5}\)))?(?P<num>[^\s.,:;)]{1,5}?)"
                       r"(?P<punct>\s*[.,:;)]\s*|\s+[-–—]\s+|\s+)(?P<title>\S.*)$")
ROMANISH = re.compile(r"^(?:[IVXLHDEmlivx1|!]{1,5}|[A-J])$")
# A number without its period as OCR reads it: "VI&", "VIB" (the period read as a letter), "(" (C).
NUMBER_MISREAD = re.compile(r"^(?:[IVXlL1|!]{1,4}[&B8E]|[(&8€4|!])$")
APPENDIX_WORD = "APPENDIX"
# The addendum's opening sentence, near the top of its page ("... hereby agree to modify the
# ... Memorandum of Agreement"): where it starts when OCR lost its heading.
ADDENDUM_OPENING = re.compile(r"\bhereby\s+agree\s+to\s+modify\b", re.I)
ROMAN_OK = re.compile(r"^(X{0,3})(IX|IV|V?I{0,3})$")
# Marks a scan puts before a heading (a rule, a speck, a quote).
LEAD_RE = re.compile(r"^[—–\-_'\"`*•·~>«»]+\s*")
# A rule or speck a scan reads as "|" or "!" apart before a heading ("| APPENDIX B",
# "| IV. RESPONSIBILITIES"): a mark, not the numeral I, when a number or APPENDIX follows.
MARK_RE = re.compile(r"^[|!]\s+(?=\S)")
# A word some agreements set before a heading's number ("SECTION II. AUTHORITY",
# "Article 3: PURPOSE"): dropped when a number and a title in capitals follow, so that
# "Section 287(g) of the Act ..." stays prose.
NUMBER_WORD_RE = re.compile(r"^(?:SECTION|Section|ARTICLE|Article|PART|Part)\s+"
                            r"(?=(?:[IVXLl1|]{1,5}|\d{1,2})(?![\w|])\s*[.:,;\-–—]?\s*[‘'\"“]?[A-Z](?:[A-Z]|\s|$))")
# What OCR reads for a capital letter, back to the letter (titles never print digits).
_OCR_LETTERS = str.maketrans({"0": "O", "1": "I", "|": "I", "!": "I", "5": "S", "$": "S", "8": "B",
                              "6": "G", "4": "A", "&": "E", "€": "E", "3": "E", "2": "Z", "7": "T"})
# An appendix letter as OCR reads it.
APPENDIX_LETTERS = {"A": "A", "4": "A", "B": "B", "8": "B", "&": "B", "3": "B", "E": "B", "C": "C",
                    "(": "C", "G": "C", "D": "D"}
_VOCAB = [(key, _letters(t).upper()) for key, ts in TITLES.items() for t in ts]
_APPX_VOCAB = [(key, _letters(t).upper()) for key, ts in APPENDIX_TITLES.items() for t in ts]
# Appendix titles that cannot be mistaken for a body section: found even without "APPENDIX X".
_APPX_VOCAB_UNIQUE = [(k, t) for k, t in _APPX_VOCAB if k in ("appendix-sop", "appendix-public-info-poc")]


def _similar(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def ocr_letters(text: str) -> str:
    """The letters of a heading, OCR's digits and signs for capitals read back as letters
    ("RESPONS|B1LITIES" → "RESPONSIBILITIES", "(OSTS" → "COSTS"); case kept."""
    text = re.sub(r"\((?=[A-Z])(?![A-Z]*\))", "C", text)        # "(OSTS", not "(SOP)"
    return re.sub(r"[^A-Za-z]", "", text.translate(_OCR_LETTERS))


def _score(title: str, vocab: list[tuple[str, str]], caps: bool = True) -> tuple[str | None, float]:
    """The key whose printed title *title* is closest to (OCR noise allowed) and how close;
    only titles in capitals unless *caps* is False."""
    letters = ocr_letters(title)
    capitals = _capitals(title)
    if not letters or caps and not capitals:
        return None, 0.0     # headings are printed in capitals; body text is not
    up = (letters.replace("l", "I") if capitals else letters).upper()   # in capitals, "l" is a misread I
    best, score = None, 0.0
    for key, want in vocab:
        if abs(len(want) - len(up)) > max(3, len(want) // 3):
            continue
        s = 1.0 if up == want else _similar(up, want)
        if s > score:
            best, score = key, s
    return best, score


def _capitals(word: str) -> bool:
    """A word of a heading: capitals as OCR reads them, or no letter at all ("," "&")."""
    letters = ocr_letters(word).replace("l", "I")
    return not letters or sum(c.isupper() for c in letters) >= 0.75 * len(letters)


def _match(title: str, vocab: list[tuple[str, str]], threshold: float = 0.86, caps: bool = True) -> str | None:
    """The key whose printed title *title* is (OCR noise allowed), or None."""
    key, score = _score(title, vocab, caps)
    return key if score >= threshold else None


def _title_cased(title: str) -> bool:
    """A title set in title case ("Complaint Procedure", "Effective Date, Suspension, and
    Termination of this MOA"): every word of five letters or more begins with a capital."""
    words = re.findall(r"[A-Za-z]{5,}", title)
    return bool(words) and all(w[0].isupper() for w in words)


# A Roman numeral whose letters a scan or wide tracking set apart ("I I I. POLICY", "V I I I.
# COSTS", "I V) ..."), its period or bracket after it.
SPLIT_NUMERAL = re.compile(r"^(?:[IVXl1|] ){1,4}[IVXl1|](?=\s?[.,:;)]\s)")


def unmarked(text: str) -> str:
    """*text* without what a scan or a template puts before a heading's number (LEAD_RE,
    MARK_RE, NUMBER_WORD_RE), a numeral set apart joined (SPLIT_NUMERAL)."""
    s = LEAD_RE.sub("", text) or text
    m = MARK_RE.match(s)
    if m and (_numbered(s[m.end():]) or appendix_heading(s[m.end():])):
        s = s[m.end():]
    s = NUMBER_WORD_RE.sub("", s)
    return SPLIT_NUMERAL.sub(lambda n: n.group(0).replace(" ", ""), s)


def _run_in(text: str) -> tuple[str, str] | None:
    """A numbered heading that runs into the body on one line ("III. AUTHORITY Section
    287(g) of ..."): (the heading, the rest). The heading is the run of capitals after the
    number that best matches a known title."""
    if len(text) < 25:
        return None
    head = unmarked(text)
    f = _numbered(head)
    if not f or _match(f[1], _VOCAB, 0.8):
        return None
    words = f[1].split(" ")
    caps = 0
    while caps < min(len(words), 12) and _capitals(words[caps]):
        caps += 1
    # a number with its period (or a misreading of it) is a heading's as surely as a
    # heading on its own line: the same tolerance of OCR noise in the title
    punct = NUMBER_RE.match(head).group("punct").strip()
    best, cut = (0.8 if punct else 0.86), None
    for j in range(1, min(caps, len(words) - 1) + 1):
        key, score = _score(" ".join(words[:j]), _VOCAB)
        if key and score >= best:
            best, cut = score, j
    if cut is None:
        return None
    rest = " ".join(words[cut:])
    return text[:len(text) - len(f[1])] + " ".join(words[:cut]), rest


def split_run_in(lines: list[Line]) -> list[Line]:
    """The clean lines with every run-in heading on a line of its own."""
    out: list[Line] = []
    for ln in lines:
        parts = _run_in(ln.text)
        out += [Line(ln.page, parts[0]), Line(ln.page, parts[1])] if parts else [ln]
    return out


def appendix_heading(text: str) -> tuple[str | None, str] | None:
    """("B", rest) when *text* opens with the word APPENDIX as OCR reads it ("APPENDlX",
    "APPEND1X", "APP ENDIX", "APPENDIXC", "APPENDIX&", "APPENDIX 8"), its letter maybe after
    a dash or colon ("APPENDIX – B:", "APPENDIX: B"), the letter read
    back (None when there is none or it is unreadable), rest the title on the line."""
    s = MARK_RE.sub("", LEAD_RE.sub("", text))
    chars: list[str] = []
    i = 0
    while i < len(s) and len(chars) < len(APPENDIX_WORD):
        c = s[i]
        if c == " " and 2 <= len(chars) <= 6 and i + 1 < len(s) and s[i + 1] != " " and " " not in s[:i]:
            i += 1                                   # "APP ENDIX", "AP PENDIX": one space inside the word
            continue
        if not (c.isalnum() or c in "|!"):
            break
        chars.append(c)
        i += 1
    word = "".join(chars).translate(_OCR_LETTERS).upper()
    if len(word) == 8 and word[-1] != "X" and _similar(word[:7], "APPENDI") >= 0.85 \
            and not s[i:i + 1].isalpha():           # "APPENDX C": a letter lost, the next one glued
        word, i = word[:7], i - 1
    if len(word) < 7 or _similar(word, APPENDIX_WORD) < 0.8 or not word.startswith("A"):
        return None
    rest = s[i:]
    # the letter, maybe quoted or in brackets ("APPENDIX “B”", "APPENDIX (B)", "APPENDIX B**")
    m = re.match(r"^\s*[-–—:.]?\s*[“\"'(\[]?(?P<letter>[^\s“”\"'(\[])[”\"')\]]?(?=[\s\-–—:.,*_]|$)", rest)
    letter = None
    if m and (m.group("letter") in APPENDIX_LETTERS or m.group("letter").upper() in "ABCD"):
        letter = APPENDIX_LETTERS.get(m.group("letter"), m.group("letter").upper())
        rest = rest[m.end():]
    rest = re.sub(r"^[\s\-–—:.*_]*", "", rest).strip()
    # what follows with no word in it is a mark or a page number, not a title
    # ("APPENDIX A |", "APPENDIX A  3")
    return letter, rest if re.search(r"[^\W\d_]{2}", rest) else ""


# A line set letter-spaced ("A P P E N D I X  B", "I I I .  P O L I C Y"): a run of single
# signs, one space apart.
LETTER_SPACED = re.compile(r"(?<!\S)(?:[A-Za-z0-9&|!.,] ){3,}[A-Za-z0-9&|!.,](?!\S)")


def unspaced(text: str) -> str:
    """*text* with each letter-spaced run joined ("A P P E N D I X  B" -> "APPENDIX  B");
    words two spaces apart stay apart."""
    return LETTER_SPACED.sub(lambda m: m.group(0).replace(" ", ""), text)


def _is_heading_text(s: str) -> bool:
    m = NUMBER_RE.match(s)
    return bool(appendix_heading(s) or (m and _match(m.group("title"), _VOCAB)))


def fix_roman(num: str) -> str:
    """Correct OCR misreads of a Roman numeral ("1V" → "IV", "Vl" → "VI", "m" → "III",
    "V1" → "VI", "Il" → "II")."""
    if num == "m":
        return "III"
    fixed = re.sub(r"[1l|!iLT]", "I", num).upper().replace("H", "II").replace("U", "II")
    return fixed if fixed and ROMAN_OK.match(fixed) else num


def _clean_title(title: str) -> str:
    title = re.sub(r"\s+", " ", title)
    return re.sub(r"^[^A-Za-z0-9(]+|[^A-Za-z0-9)]+$", "", title)


def _numbered(text: str) -> tuple[str, str] | None:
    """(number, title) of a numbered heading line: "IV. RESPONSIBILITIES", "1V, ...",
    "IV RESPONSIBILITIES" (no period: the number must look Roman or be a letter)."""
    m = NUMBER_RE.match(text)
    if m and (m.group("punct").strip() or ROMANISH.match(m.group("num")) or NUMBER_MISREAD.match(m.group("num"))):
        return m.group("num"), m.group("title")
    return None


def _glued(text: str) -> list[tuple[str, str]]:
    """(number, title) splits of a line whose number ran into its title ("VLMODIFICATIONS",
    "LPURPOSE", "V|BPOINTS OF CONTACT"): the number is the first one to five signs."""
    first = text.split(" ", 1)[0]
    return [(text[:k], text[k:]) for k in range(1, min(5, len(first) - 3) + 1)
            if not text[k - 1].isalpha() or text[:k].upper().strip("IVXLHU|!1") == "" or k == 1]


def _titled(i: int, forms: list[tuple[str, str]], nxt: str, span: int, threshold: float,
            weight: float) -> Candidate | None:
    """The first (number, title) form whose title is a known one, on its line or wrapped
    onto the next."""
    for num, title in forms:
        key = _match(title, _VOCAB, threshold)
        if key is None and nxt and span == 1:       # title wrapped onto the next line
            joined = title + " " + nxt
            if (key := _match(joined, _VOCAB, threshold)):
                title, span = joined, 2
        if key:
            # a number doubted (a speck, or run into the title) may be an appendix's
            alt = _match(title, _APPX_VOCAB, threshold) if weight < 1 else None
            return Candidate(i, span, key, num.strip(), _clean_title(title), weight,
                             alt if alt != key else None)
    return None


def _worded_differently(title: str) -> str | None:
    """The one key whose title a numbered heading holds within more words ("STATUTORY
    AUTHORITY", "RESPONSIBILITIES OF THE PARTIES") or shortens ("TERMINATION"), or None."""
    if not _capitals(title):
        return None
    up = ocr_letters(title).replace("l", "I").upper()
    found = [(key, want) for key, want in _VOCAB
             if (len(want) >= 6 and want in up and len(up) <= len(want) + 24)
             or (len(up) >= 8 and up in want)]
    keys = {k for k, _ in found}
    if len(keys) > 1:        # "RESPONSIBILITIES OF THE PARTIES": the title it opens with
        keys = {k for k, want in found if up.startswith(want)}
    return keys.pop() if len(keys) == 1 else None


def _lower_case(i: int, forms: list[tuple[str, str]], length: int) -> Candidate | None:
    """A numbered heading not in capitals ("IV. Responsibilities": a retyped agreement, a
    small-caps font read as lower case): a line in title case whose title is a known one."""
    for num, title in forms:
        title = re.sub(r"^\W+", "", title)             # a mark OCR read between number and title
        key, score = _score(title, _VOCAB, caps=False)
        if length < 90 and key and score >= 0.86 and title[:1].isupper() and _title_cased(title):
            return Candidate(i, 1, key, num.strip(), _clean_title(title), 0.5)
    return None


def _reworded(i: int, forms: list[tuple[str, str]]) -> Candidate | None:
    for num, title in forms:
        if len(title) < 70 and (key := _worded_differently(title)):
            return Candidate(i, 1, key, num.strip(), _clean_title(title), 0.6)
    return None


# How close a title with no number must read to a known one (OCR's misreadings allowed:
# "CML RIGHTS STANDARDS"); the layout's order decides among the candidates.
UNNUMBERED = 0.88


def _unnumbered(i: int, text: str, nxt: str) -> Candidate | None:
    """A known title with no number (lost to OCR, or never printed), on one line or two."""
    for span, title in ((1, text), (2, text + " " + nxt)):
        if not _capitals(text):
            # an appendix's own title set in title case, on a line of its own
            key = _match(title, _APPX_VOCAB_UNIQUE, 0.92, caps=False) if span == 1 and _title_cased(text) else None
            if key:
                return Candidate(i, 1, key, None, _clean_title(title), 0.4)
            break
        key = _match(title, _VOCAB, UNNUMBERED) or _match(title, _APPX_VOCAB_UNIQUE, UNNUMBERED)
        if key:
            title = re.sub(r"^\S{1,6}[.,:;]\s+", "", title)   # a number OCR made unreadable
            # an appendix whose "APPENDIX B" line OCR lost shows its title alone
            alt = _match(title, _APPX_VOCAB, UNNUMBERED)
            return Candidate(i, span, key, None, _clean_title(title), 0.4, alt if alt != key else None)
        if not nxt or len(nxt) > 50:
            break
    return None


def find_candidates(lines: list[Line]) -> list[Candidate]:
    out: list[Candidate] = []
    texts = [ln.text for ln in lines]
    for i, raw in enumerate(texts):
        if out and i < out[-1].index + out[-1].span:
            continue                                    # the title line of the heading above
        text = unmarked(raw)
        if len(text) < 80:
            text = unspaced(text)                       # "M E M O R A N D U M  O F ..."
        # a heading is printed on one page: its title never continues on the next
        nxt = texts[i + 1] if i + 1 < len(texts) and lines[i + 1].page == lines[i].page else ""
        if len(text) < 40 and _similar(ocr_letters(text).lower(), "memorandumofagreement") >= 0.85:
            out.append(Candidate(i, 1, DOC_TITLE, None, _clean_title(text), 1.0))
            continue
        if len(text) < 25 and len(nxt) < 25 and not _match(text, _VOCAB, 0.92) and \
                _similar(ocr_letters(text + nxt).lower(), "memorandumofagreement") >= 0.85:
            out.append(Candidate(i, 2, DOC_TITLE, None, _clean_title(text + " " + nxt), 1.0))
            continue
        if _page_line(lines, i) < 3 and (title := _title_run_in(text)):
            out.append(Candidate(i, 1, DOC_TITLE, None, _clean_title(title), 1.0))   # run into the next line
            continue
        if re.match(r"^This Memorandum of Agreement\b.*\bconstitutes", text, re.I):
            out.append(Candidate(i, 0, OPENING, None, None, 0.5))
            continue
        if _similar(ocr_letters(text).upper()[:16], "ADDENDUMTOMODIFY") >= 0.8:
            out.append(Candidate(i, 1, ADDENDUM, None, _clean_title(text), 1.0))
            continue
        if len(text) < 25 and nxt and _similar(ocr_letters(text + nxt).upper()[:16], "ADDENDUMTOMODIFY") >= 0.8:
            out.append(Candidate(i, 2, ADDENDUM, None, _clean_title(text + " " + nxt), 1.0))   # split over lines
            continue
        if ADDENDUM_OPENING.search(text) and _page_line(lines, i) < 6:
            out.append(Candidate(i, 0, ADDENDUM, None, None, 0.5))   # its heading lost to OCR
            continue
        appx = appendix_heading(text) if len(text) < 80 else None
        if appx:
            letter, title = appx
            alone = not title
            span = 1
            if alone:
                title, span = nxt, 2
            # after the word APPENDIX, a title in title case is as sure as one in capitals
            key = _match(title, _APPX_VOCAB, 0.8, caps=not _title_cased(title))
            if key is None and i + span < len(texts):   # title wrapped onto the next line
                joined = title + " " + texts[i + span]
                if (key := _match(joined, _APPX_VOCAB, 0.8, caps=not _title_cased(joined))):
                    title, span = joined, span + 1
            if key:
                out.append(Candidate(i, span, key, f"APPENDIX {letter}" if letter else "APPENDIX",
                                     _clean_title(title), 1.0))
            elif alone and letter and _page_line(lines, i) <= 6 and not re.search(r"[a-z].*[.,;]$", text) \
                    and (keys := APPENDIX_KEYS.get(f"APPENDIX {letter}")):
                # "APPENDIX B" alone near the top of a page (a text layer may put a page's
                # typed values above it; a sentence ending "... in Appendix B." is not it, a
                # heading in capitals with a period is),
                # its title worded otherwise or unreadable: the appendix of that letter, as
                # the templates letter them
                titled = bool(nxt) and len(nxt) < 80 and _capitals(nxt)
                out.append(Candidate(i, 2 if titled else 1, keys[0], f"APPENDIX {letter}",
                                     _clean_title(nxt) if titled else None, 0.6, keys[1] if len(keys) > 1 else None))
            continue
        span = 1
        if re.fullmatch(r"(?:[IVXLHDEmlivx1|!]{1,5}|[^\s.,:;]{1,2}\s*[.,:;])\s*[.,:;]?", text) and nxt:
            text, span = text + " " + nxt, 2            # "IV." alone, title on the next line
        speck = re.sub(r"^\S{1,2}\s+(?=\S)", "", text)     # "| lII. POLICY": a speck before it
        numbered = [f for t in dict.fromkeys((text, speck)) if (f := _numbered(t))]
        found = (_titled(i, numbered[:1], nxt, span, 0.8, 1.0) or _titled(i, numbered[1:], nxt, span, 0.86, 0.6)
                 or _reworded(i, numbered[:1]) or _lower_case(i, numbered[:1], len(text))
                 or (_unnumbered(i, text, nxt) if len(text) < 70 else None)
                 or (_titled(i, _glued(text), nxt, span, 0.86, 0.6) if len(text) < 70 else None))
        if not found and len(text) < 70 and (i == 0 or lines[i - 1].page != lines[i].page):
            found = _page_top_appendix(i, text, nxt)
        if found:
            out.append(found)
    return out


def _title_run_in(text: str) -> str | None:
    """The document title at the start of a line that goes on ("MEMORANDUM OF AGREEMENT
    287(g) Task Force Model"): the title's words, in capitals."""
    words = text.split(" ")
    for j in range(3, min(len(words), 8)):
        head = " ".join(words[:j])
        if _capitals(head.replace(" ", "")) and _similar(ocr_letters(head).lower(), "memorandumofagreement") >= 0.85:
            return head
    return None


def _page_line(lines: list[Line], i: int) -> int:
    """How many lines of its page come before line *i*."""
    k = i
    while k > 0 and lines[k - 1].page == lines[i].page:
        k -= 1
    return i - k


def _page_top_appendix(i: int, text: str, nxt: str) -> Candidate | None:
    """An appendix begins a page: a line opening a page that reads like an appendix's title
    (its "APPENDIX B" line lost to OCR) may be one, at a looser threshold."""
    for span, title in ((1, text), (2, text + " " + nxt)):
        if (appx := _match(title, _APPX_VOCAB, 0.8)):
            key = _match(title, _VOCAB, 0.8) or appx
            return Candidate(i, span, key, None, _clean_title(title), ALT_WEIGHT,
                             appx if appx != key else None)
        if not nxt:
            break
    return None


# --- alignment ---------------------------------------------------------------------
def _fit(cand: Candidate, exp: Expected) -> float:
    """What pairing *cand* with *exp* is worth (0: it cannot fill it)."""
    if cand.key in exp.accepts:
        return cand.weight
    return ALT_WEIGHT if cand.alt in exp.accepts else 0.0


def align(cands: list[Candidate], expected: tuple[Expected, ...]) -> list[tuple[int, int]]:
    """Weighted LCS of candidates and expected sections: (candidate, expected) pairs."""
    n, m = len(cands), len(expected)
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            b = max(best[i + 1][j], best[i][j + 1])
            if (w := _fit(cands[i], expected[j])):
                b = max(b, w + best[i + 1][j + 1])
            best[i][j] = b
    pairs, i, j = [], 0, 0
    while i < n and j < m:
        if (w := _fit(cands[i], expected[j])) and best[i][j] == w + best[i + 1][j + 1]:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif best[i][j] == best[i + 1][j]:
            i += 1
        else:
            j += 1
    return pairs


def _appendix_first_pages(lines: list[Line], cands: list[Candidate], expected: tuple[Expected, ...],
                          pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """An appendix begins at the top of a page, and its continuation pages may print its
    heading again: when a weaker candidate for it opens an earlier page, after the
    section before, the appendix begins there (its "APPENDIX A" line lost to OCR there)."""
    out = []
    for n, (k, j) in enumerate(pairs):
        if expected[j].key.startswith("appendix-"):
            after = out[-1][0] if out else -1
            page = lines[cands[k].index].page
            earlier = [c for c in range(after + 1, k) if _fit(cands[c], expected[j])
                       and lines[cands[c].index].page < page and _page_line(lines, cands[c].index) == 0]
            k = earlier[0] if earlier else k
        out.append((k, j))
    return out


def _missing(pairs, expected) -> list[Expected]:
    got = {j for _, j in pairs}
    return [e for j, e in enumerate(expected) if j not in got and not e.optional]


def choose_layout(cands: list[Candidate], has_revision: bool) -> tuple[str, list[tuple[int, int]]]:
    """The layout that leaves fewest expected sections missing. Within the JEM/WSO family
    the era is read from the document (a Community Outreach heading, or Release of
    Information lettered D → 2019-20; lettered C, or a revision footer → 2025); within
    TFM, Detention Issues or Community Outreach → January."""
    keys = {c.key for c in cands}
    results = {name: align(cands, LAYOUTS[name]) for name in LAYOUTS}
    fam_miss = {f: min(len(_missing(results[n], LAYOUTS[n])) for n in names)
                for f, names in FAMILIES.items()}
    family = min(FAMILIES, key=lambda f: (fam_miss[f], f))
    if family == "jem-wso":
        # Release of Information is V.D after Community Outreach (2019-20), else V.C (2025).
        letter = {c.number for c in cands if c.key == "release-of-information"} & {"C", "D"}
        era_2020 = "community-outreach" in keys or letter == {"D"} or (letter != {"C"} and not has_revision)
        name = "jem-wso-2020" if era_2020 else "jem-wso-2025"
    else:
        jan = "community-outreach" in keys or any(
            c.key == "local-charges" and c.title and "DETENTION" in c.title.upper() for c in cands)
        name = "tfm-2025-01" if jan else "tfm-2025"
    return name, results[name]


def _printed_number(cand: Candidate, exp: Expected) -> str | None:
    """Irregular layouts: the number as printed, Roman numerals corrected for OCR."""
    if cand.number is None or cand.number.startswith("APPENDIX") or exp.parent:
        return cand.number
    return fix_roman(cand.number)


# --- assembling --------------------------------------------------------------------
def join_lines(lines: list[Line]) -> str:
    """Join clean lines; across a page break a clause continues on the same line."""
    out: list[str] = []
    for k, ln in enumerate(lines):
        if k and ln.page != lines[k - 1].page and out and not re.search(r"[.:;!?]$", out[-1]) \
                and re.match(r"^[a-z(]", ln.text):
            out[-1] = out[-1] + " " + ln.text
        else:
            out.append(ln.text)
    return "\n".join(out)


def segment(pages: list[str]) -> Segmentation:
    """Cut one document (its per-page texts, page 1 first) into sections."""
    lines, headers, revisions, marked = clean_pages(pages)
    if not lines:
        return Segmentation(None, False, ["no text on any page"], [], lines, headers, revisions)
    lines = split_run_in(lines)
    cands = find_candidates(lines)
    layout, pairs = choose_layout(cands, bool(revisions))
    expected = LAYOUTS[layout]
    pairs = _appendix_first_pages(lines, cands, expected, pairs)
    problems = [f"missing {e.key}" + (f" (in {e.parent})" if e.parent else "")
                for e in _missing(pairs, expected)]
    chosen = {j: k for k, j in pairs}
    strong = [c for k, c in enumerate(cands) if c.number and k not in chosen.values()]
    for e in _missing(pairs, expected):
        if any(e.key == c.key for c in strong):
            problems.append(f"{e.key} found out of order")

    numbers = template_numbers(expected) if layout in REGULAR else None
    starts = [(_start(lines, cands[k], expected[j].key), cands[k], expected[j],
               numbers[j] if numbers else _printed_number(cands[k], expected[j])) for k, j in pairs]
    for n in range(1, len(starts)):  # a start moved up a page never passes the heading before
        if starts[n][0] <= starts[n - 1][1].index:
            starts[n] = (starts[n][1].index, *starts[n][1:])
    sections: list[Section] = []
    head_end = starts[0][0] if starts else len(lines)
    if head_end > 0:                # nothing is dropped: text before any heading is kept too
        sections.append(_section(0, FRONT_MATTER, None, None, lines, slice(0, head_end), None))
    ord_of: dict[str, int] = {}
    unread = {n for n, p in enumerate(pages, 1) if not readable(p)}
    tail = _attachment_start(lines, marked, starts[-1][0], unread) if starts else None
    for n, (idx, cand, exp, number) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else (tail or len(lines))
        parent = ord_of.get(exp.parent) if exp.parent else None
        sec = _section(len(sections), exp.key, number, cand.title, lines, slice(idx, end), parent,
                       head=slice(cand.index - idx, cand.index - idx + cand.span))
        sections.append(sec)
        ord_of.setdefault(exp.key, sec.ord)
    if tail is not None:
        sections.append(_section(len(sections), ATTACHMENT, None, lines[tail].text[:80], lines,
                                 slice(tail, len(lines)), None))
    for sec in sections:            # a parent's pages run to its last sub-section's
        if sec.parent is not None:
            p = sections[sec.parent]
            p.last_page = max(p.last_page, sec.last_page)
    if not any(s.key != FRONT_MATTER for s in sections):
        problems = ["no section headings recognised" + _why(pages)]
        layout = None                   # no layout was recognised: none is claimed
    elif len(pairs) < 0.5 * sum(not e.optional for e in expected):
        problems.insert(0, f"only {len(pairs)} of the {len(expected)} sections of layout {layout}"
                           f" recognised" + _why(pages))
    elif problems and unread:       # sections missing and pages unread: say where they may be
        problems.append(f"page(s) {_pages_text(sorted(unread))} of {len(pages)} have no readable text"
                        " (blank or OCR noise): the missing sections may be on them; the scan needs reading again")
    return Segmentation(layout, not problems, problems, sections, lines, headers, revisions)


# The commonest words of English prose: a page of an agreement, even a signature page or
# a table of contacts, has at least 16% of its words among them, and the shortest page
# (a stamp of 18 words) nine (corpus); what OCR makes of an unreadable scan has 5-8%
# (letters and pairs that happen to spell "a", "as", "be"), or one.
FUNCTION_WORDS = frozenset("the of and to in a or for by be shall will with this that is as on any all its"
                           " under are not from at an it may such".split())
MIN_FUNCTION_SHARE = 0.12


def readable(text: str) -> bool:
    """Whether a page's text reads as words (not blank, not OCR noise of a dark or
    skewed scan): most of its letters are in words with a vowel, and enough of its words
    (two at least) are English's commonest words."""
    chars = re.sub(r"\s", "", text or "")
    if len(chars) < 20:
        return False
    words = [w for w in re.findall(r"[A-Za-z]{2,}", text) if re.search(r"[aeiouyAEIOUY]", w)
             and (w.islower() or w.isupper() or w.istitle())]
    tokens = re.findall(r"[A-Za-z]+", text)
    return sum(map(len, words)) >= 0.5 * len(chars) and \
        sum(t.lower() in FUNCTION_WORDS for t in tokens) >= max(2, MIN_FUNCTION_SHARE * len(tokens))


def _pages_text(pages: list[int]) -> str:
    """"1-3, 7" for [1, 2, 3, 7]."""
    runs: list[list[int]] = []
    for p in pages:
        if runs and p == runs[-1][-1] + 1:
            runs[-1].append(p)
        else:
            runs.append([p])
    return ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


def _why(pages: list[str]) -> str:
    """Why a document could not be cut, as far as its text tells."""
    bad = [n for n, p in enumerate(pages, 1) if not readable(p)]
    if len(bad) == len(pages):
        return ": no page has readable text (blank or OCR noise); the scan needs reading again"
    if bad:
        return f": page(s) {_pages_text(bad)} of {len(pages)} have no readable text"
    return ": the text reads but has none of the headings of a known MOA layout (not an agreement, or a new template)"


def _attachment_start(lines: list[Line], marked: set[int], last_start: int,
                      unread: set[int] = frozenset()) -> int | None:
    """Where trailing pages that are not the agreement's begin (a council resolution, a
    cover letter): pages after the last section's first page that lack the running header
    and revision footer that page carries. None when there are none."""
    first_page, last_page = lines[last_start].page, lines[-1].page
    if first_page not in marked or last_page == first_page or last_page in marked:
        return None
    page = last_page
    while page - 1 > first_page and page - 1 not in marked:
        page -= 1
    cut = next(i for i in range(last_start, len(lines)) if lines[i].page >= page)
    # Only when the agreement's pages reliably carry the marks (OCR can miss a footer)
    # and the page does not simply continue a sentence (unreadable pages carry no marks).
    if len(marked & set(range(1, page))) < 0.8 * len(set(range(1, page)) - unread) or re.match(r"^[a-z]", lines[cut].text):
        return None
    return cut


def _start(lines: list[Line], cand: Candidate, key: str) -> int:
    """Where a section starts. Appendices and the addendum begin on a new page, so a few
    lines a text layer put above their heading on that page belong to them too."""
    i = cand.index
    if key.startswith("appendix-") or key == ADDENDUM:
        page = lines[i].page
        while i > 0 and lines[i - 1].page == page and cand.index - i < 3:
            i -= 1
        if i > 0 and lines[i - 1].page == page:
            i = cand.index
    return i


def _section(ord_: int, key: str, number, title, lines: list[Line], where: slice, parent,
             head: slice = slice(0, 0)) -> Section:
    """A section over lines[where]; its text leaves out its heading (body[head])."""
    body = lines[where]
    return Section(ord_, key, number, title, body[0].page, body[-1].page, parent,
                   join_lines(body[:head.start] + body[head.stop:]), where,
                   slice(where.start + head.start, where.start + head.stop))
