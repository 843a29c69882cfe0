"""The signing facts of an agreement: each party's signing date and signatory, each with
its page, read from the signature block that closes the agreement's last section.

How the blocks vary (the 55 agreements of the corpus, read on the rendered pages):

- 2019-2020: two columns without headings, ICE's left; "Date: ____" over the signature
  line, the name typed under it, then the title ("Assistant Director, Enforcement",
  "Sheriff", "Secretary", "County Judge") and the office. Dates handwritten or stamped
  ("OCT 15 2019"), ICE's often a digital stamp ("Digitally signed by ... Date:
  2020.06.08"). A second agency signer (a county board, a judge) may follow, and an
  approval as to form or an attestation, which are no party's signature.
- 2025: "For the LEA:" left, "For ICE:" right, over Date/Signature/Name/Title/Agency
  blanks (TFM: Date/Signature/Title; one city: Sign/Print/Title/Date). The agency's date
  is mostly handwritten; ICE's values typed onto the page, as an overlay of their own or
  in form fields.
- A text layer or OCR gives either column in turn, or both interleaved line by line
  ("Date: 3/3/2025 Date: March 5, 2025"), or the labels first and the values after;
  labels come misread ("pate.", "same:", "Name·", "D&e").

So a value is given to a party only on evidence: its column (a line holding as many
labels as there are columns, the columns' order known from "For the LEA: For ICE:", from
a pair of titles, or from two labelled values whose titles say whose they are), the
"For ...:" heading it stands under when the columns are stacked, or the titles and offices
next to it (ICE: Director titles, Immigration and Customs Enforcement, Homeland Security;
the agency: Sheriff, Chief, Police, County, City Manager ...) when those name one party
only. What is ambiguous is left out, never guessed: two columns and one lone date that
nothing places, two names on one line, a misread name. A date after today or before the
template's revision date is a misreading, not a signing date.

When the page's text lacks a fact, the structure stage reads the block alone a second
time (archive.read.blocks, 400 dpi, one text block: a line's two columns stay on one
line) and :func:`second_reading` reads it by the same rules. It adds only the facts the
page's text lacks, nothing when it reads any fact otherwise than the text does, and only
what a reading in another layout mode reads letter for letter too (:func:`confirmed_by`).
That reading says where it saw each word, and where a value stands says whose it is: a
date alone over a line of one "Date:" per column is the column's it stands in, and the
two columns are read apart too, cut where the second begins (:func:`column_edge`).
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date
from difflib import SequenceMatcher
from typing import Iterable, Sequence

from archive.core.dates import MONTH_NAMES, make_date
from archive.read.ocr_confusions import skeleton
from archive.read.pdf import SIGNED_BY
from archive.structure.segmenter import REVISION_RE, Line, Segmentation

MONTHS = [name[:3] for name in MONTH_NAMES]   # "jan", "feb", ...
_MONTH = "(?:" + "|".join(MONTHS) + ")"     # the months, as a pattern (their names begin so)
# a look-behind rather than \b: a date written on a blank ("Date:__March 17, 2025") counts,
# and one before the blank's rule ("6/11/2025____": _END, not \b)
_END = r"(?![0-9A-Za-z])"
DATE_RES = [
    # (a day's two digits split by OCR, "2/2 1/2025", between its separators; a slash read
    # as "|", "6|11|2025")
    re.compile(r"(?<![0-9A-Za-z])(?P<m>\d{1,2})\s*[/\-.|]\s*(?P<d>\d\s\d|\d{1,2})\s*[/\-.|]\s*(?P<y>20\d{2}|\d{2})" + _END),
    re.compile(r"(?<![0-9A-Za-z])(?P<y>20\d{2})\.(?P<m>\d{2})\.(?P<d>\d{2})" + _END),      # digital signature stamp
    # a month's last letter misread as a digit ("Apri1 2, 2025") is the month's, not the
    # day's; a day split by OCR ("1 2") only after a separator; "Jun-11-2025"
    re.compile(rf"(?<![A-Za-z])(?P<mon>{_MONTH}[a-z]*)"
               r"(?:[1|](?=[\s,.]))?\.?(?:[\s,\-]+(?P<d>\d{1,2}|\d\s\d)|(?P<d2>\d{1,2}))"
               r"(?:st|nd|rd|th)?\s*[,\-]?\s*(?P<y>20\d{2}|20\d\s\d)" + _END, re.I),
    # the day first: "11 June 2025", "11-Jun-2025", "this 5th day of March, 2025", "the 5th of March"
    re.compile(r"(?<![0-9A-Za-z])(?P<d>\d{1,2})(?:st|nd|rd|th)?(?:(?:\s+day)?\s+of|[\s\-])\s*"
               rf"(?P<mon>{_MONTH}[a-z]*)\.?[\s,\-]+(?P<y>20\d{{2}})" + _END, re.I),
    re.compile(r"(?<![0-9A-Za-z])(?P<y>20\d{2})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?![0-9])"),     # ISO
]


def _date(m: re.Match) -> str | None:
    g = m.groupdict()
    try:
        month = int(g["m"]) if g.get("m") else MONTHS.index(g["mon"][:3].lower()) + 1
        day = g["d"] or g.get("d2")
        return make_date(int(g["y"].replace(" ", "")), month, int(day.replace(" ", "")))
    except (ValueError, TypeError):
        return None


# A date whose digits OCR read as letters ("O6/l1/2O25", "2O25.03.l8", "March l7, 2O25"):
# numeric with two separators, a stamp's, or a month's name and day; a four-figure year;
# at least four true digits.
_D = "[0-9OoIl|SB]"
_YEAR = rf"2[0Oo]{_D}{{2}}(?![A-Za-z0-9])"
_DIGITS_AS_READ = [
    re.compile(rf"(?<![A-Za-z0-9])(?P<digits>{_D}{{1,2}}\s*/\s*{_D}{{1,2}}\s*/\s*{_YEAR})"),
    re.compile(rf"(?<![A-Za-z0-9])(?P<digits>2[0Oo]{_D}{{2}}\.{_D}{{2}}\.{_D}{{2}})(?![A-Za-z0-9])"),
    re.compile(rf"(?<![A-Za-z]){_MONTH}[a-z]*\.?\s+"
               rf"(?P<digits>{_D}{{1,2}}\s*,?\s*{_YEAR})", re.I),
]
_AS_DIGITS = str.maketrans("OoIl|SB", "0011158")


def ocr_digits(text: str) -> str:
    """*text* with the letters OCR read for digits in a date read back as digits."""
    def fix(m: re.Match) -> str:
        digits = m.group("digits")
        if len(re.findall(r"\d", digits)) < 4:
            return m.group(0)
        return m.group(0)[:m.start("digits") - m.start()] + digits.translate(_AS_DIGITS)
    for rx in _DIGITS_AS_READ:
        text = rx.sub(fix, text)
    return text


# A month's name as OCR misreads it ("0ctober", "Septernber", "Ju1y", "Iune"): a word whose
# skeleton (archive.read.ocr_confusions: the form all its confusable spellings share) is a
# month's, before a day and a year ("0ctober l5, 2019") or after a day ("11 Decernber 2025").
# A word of three signs only with a digit or sign in it ("0ct", "Ju1"): "Apt", "Mat" and
# "Dee" are words whose skeletons are April's, March's and December's.
_MONTH_SKELETONS = {skeleton(form): name.capitalize() for name in MONTH_NAMES
                    for form in (name, name[:3], name[:4])}
_WORD = r"(?P<word>[A-Za-z0-9|!]{3,10})"
_DAY = r"[0-9OoIl|SB]{1,2}(?:st|nd|rd|th)?"
_MISREAD_MONTHS = [
    re.compile(rf"(?<![A-Za-z0-9]){_WORD}(?=\.?[\s,\-]+{_DAY}\s*[,\-]?\s*{_YEAR})"),
    re.compile(rf"(?<![A-Za-z0-9]){_DAY}(?:(?:\s+day)?\s+of|[\s\-])\s*{_WORD}(?=\.?[\s,\-]+{_YEAR})"),
]


def ocr_months(text: str) -> str:
    """*text* with each month's name OCR misread in a date written out in full back to the
    name as printed (:data:`_MISREAD_MONTHS`)."""
    def fix(m: re.Match) -> str:
        word = m.group("word")
        name = _MONTH_SKELETONS.get(skeleton(word.replace("|", "l").replace("!", "l")))
        if name is None or word.isalpha() and (len(word) == 3 or word.lower().startswith(name[:3].lower())):
            return m.group(0)                        # not a month, or one DATE_RES reads as it is
        return m.group(0)[:m.start("word") - m.start()] + name + m.group(0)[m.end("word") - m.start():]
    for rx in _MISREAD_MONTHS:
        text = rx.sub(fix, text)
    return text


def find_dates(text: str) -> list[str]:
    """The dates written in *text* (YYYY-MM-DD), in order, 2015-2030. A date typed or
    stamped on a blank whose rule OCR read into it ("O_C_T_1_5_2_01_9") counts, and one
    whose digits OCR read as letters (:func:`ocr_digits`) or whose month's name it
    misread (:func:`ocr_months`)."""
    text = ocr_digits(ocr_months(text))
    found = []
    for rx in DATE_RES:
        found += [(m.start(), d) for m in rx.finditer(text) if (d := _date(m)) and "2015" <= d[:4] <= "2030"]
    if not found and re.search(r"\w_\w", text):
        return find_dates(re.sub(r"(?<=\w)_+(?=\w)", "", text))
    return [d for _, d in sorted(found)]


# --- who a line speaks for ------------------------------------------------------------
ICE_MARK = re.compile(
    r"For\s+(?:ICE|DHS)\b|Immigration|Customs|Homeland|Enforcement\s+and\s+Removal|Removal\s+Operations|"
    r"(?:Executive\s+)?(?:Associate|Assistant|Acting|Deputy)\s+(?:Executive\s+)?(?:Associate\s+)?Director\b"
    r"(?!\s+of\s+(?:Police|Public))|^Director\b(?!\s+of)", re.I)
LEA_MARK = re.compile(
    r"For\s+the\s+LEA|Sheriff|Chief\b|Police|Attorney\s+General|Commissioner|Mayor|Colonel|Superintendent|"
    r"Warden|Jailer|Secretary|(?:City|County)\s+(?:Manager|Judge|Administrator)|Lieutenant|Captain|"
    r"Adjutant|Vice\s+Chair|Chair(?:man|woman|person)?\b|President|\bCounty\b|City\s+of|Town\s+of|"
    r"Department\s+of\s+(?:Corrections|Public\s+Safety|Law\s+Enforcement)|Board\s+of|National\s+Guard|"
    r"Detention\s+Center|Office\s+of\s+(?:the\s+)?Attorney", re.I)
# signers who are no party: an approval as to form, an attestation, a witness
OTHER_SIGNER = re.compile(r"Approved\s*as\s*to|\bAttest|\bWitness|Notary|Counsel\b|Clerk\b|"
                          r"District\s*Attorney|County\s*Attorney|City\s*Attorney", re.I)
FOR_RE = re.compile(r"For\s+(?:the\s+)?(LEA|ICE|DHS)\b", re.I)
# Labels as printed and as OCR misreads them ("pate.", "D&e", "same:", "Name·", "Tit1e")
LABEL_RE = re.compile(
    r"(?<![A-Za-z])(?:(?P<date>Date|[DOPdop][a&@][tl]?[ec])"
    r"|(?P<name>Name|Print(?:ed)?(?:\s+Name)?|[NSMnsm]a(?:m|rn)e)"
    r"|(?P<title>Title|T[il1|]t[l1I|][ec]|T[il1|]t[ec]|[Il1|]t[1lI|]e)"
    r"|(?P<agency>A\s?gency)"
    r"|(?P<sign>Sign(?:ature)?|Sig[a-z0-9]{2,6}))"
    r"\s*(?:[:;.,·]|(?=_{2,}))")
NAME_RE = re.compile(r"[A-Z][A-Za-z.'\u00c0-\u017f\-]+(?:\s+[A-Z][A-Za-z.'\u00c0-\u017f\-]*){1,3}")
# words of titles, offices and labels: a line holding one is not a bare name
NOT_NAME = re.compile(r"\b(?:Director|Sheriff|Chief|Police|County|City|Office|Department|Agency|Immigration|"
                      r"Customs|Enforcement|Security|Operations|Homeland|Signature|Date|Name|Title|Print|"
                      r"Manager|Judge|Secretary|Commissioners?|Board|General|Attorney|Counsel|Clerk|State|"
                      r"Florida|Texas|Lieutenant|Jailer|Captain|Colonel|Deputy|Acting|Executive|Assistant|"
                      r"Associate|Vice|Chair|President|Adjutant|Approved|Digitally|Revised|Appendix|"
                      r"Points|Contact|Standard|Procedure|United|States|Department|Program|For|LEA|ICE|DHS|MOA)\b", re.I)


# a capital inside a word is OCR's l or i ("MichaeI"), save after Mc, Mac, O', D', De, La ...
MISREAD_CAPITAL = re.compile(r"(?<![A-Z])(?<!Mc)(?<!Mac)(?<!O')(?<!D')(?<!De)(?<!Di)(?<!La)(?<!Le)(?<!Van)"
                             r"(?<=[a-z])[A-Z]")


def parties_of(text: str) -> set[str]:
    """Whose titles or offices *text* names: {"ice"}, {"agency"}, both, or none."""
    out = set()
    if ICE_MARK.search(text):
        out.add("ice")
    if LEA_MARK.search(re.sub(r"Immigration\s+and\s+Customs\s+Enforcement", "", text, flags=re.I)):
        out.add("agency")
    return out


def lone_heading(text: str) -> bool:
    """"For ICE:" alone on its line (its column stacked under it), not beside a second,
    misread heading ("For the LEA: For lCE:", "Fo For ICE: r the LEA:")."""
    rest = FOR_RE.sub("", text, count=1)
    return not re.search(r"[A-Za-z0-9]{2,}", rest)


def _party(word: str) -> str:
    return "agency" if word.upper() == "LEA" else "ice"


@dataclass(frozen=True)
class Cell:
    label: str     # date | name | title | agency | sign
    value: str     # what follows the label on its line, up to the next label


def cells_of(text: str) -> tuple[str, list[Cell]]:
    """A line cut at its labels: the text before the first label, and (label, value) cells."""
    ms = list(LABEL_RE.finditer(text))
    cells = [Cell(m.lastgroup, text[m.end():ms[j + 1].start() if j + 1 < len(ms) else None])
             for j, m in enumerate(ms)]
    return (text[:ms[0].start()] if ms else text), cells


def clean_value(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip(" _.-~:;,|'\"—")


def bare_name(text: str) -> str | None:
    """*text* when it is a person's name and nothing else ("Todd M. Lyons", "TRAVIS
    DAUGHERTY"): two to four capitalised words, no title, office or label word."""
    text = clean_value(text)
    if not NAME_RE.fullmatch(text) or NOT_NAME.search(text) or MISREAD_CAPITAL.search(text):
        return None
    words = text.split()
    if not 2 <= len(words) <= 4 or any(len(re.sub(r"[^A-Za-z]", "", w)) == 0 for w in words):
        return None
    if not any(len(re.sub(r"[^A-Za-z]", "", w)) >= 3 for w in words):
        return None
    return text


# --- the block and its reading ---------------------------------------------------------
@dataclass
class _Found:
    facts: dict                  # name -> (value, page)

    def add(self, name: str, value: str | None, page: int) -> None:
        """The first reading of a fact wins; a name read as one party's signatory is not
        the other's too, nor part of the other's."""
        if not value or name in self.facts:
            return
        if name.endswith("_signatory"):
            other = self.facts.get("agency_signatory" if name.startswith("ice") else "ice_signatory")
            if other and (_similar(other[0], value) or _within(other[0], value)):
                return              # the other's name, or both run together
        self.facts[name] = (value, page)


CLOSING = re.compile(r"By\s+signing|fullest\s+extent", re.I)
# the closing sentence's last line, where a second reading of the block begins
CLOSING_END = re.compile(r"fullest\s+extent|allowed\s+by\s+law", re.I)


def block_lines(seg: Segmentation) -> list[Line]:
    """The lines after the closing sentence of the termination section ("By signing this
    MOA ... to the fullest extent allowed by law."); without it, the section's last page
    that holds a date or a party's title. The running header or footer (the agency's
    name, a page number after it) is page furniture, not the agency's signature."""
    sec = next((s for s in seg.sections if s.key == "termination"), None)
    lines = seg.lines[sec.lines] if sec else []
    if not lines:
        return []
    marks = [k for k, ln in enumerate(lines) if CLOSING.search(ln.text)]
    if marks:
        lines = lines[marks[-1] + 1:]
    else:
        pages = [ln.page for ln in lines if find_dates(ln.text) or parties_of(ln.text)]
        page = pages[-1] if pages else lines[-1].page
        lines = [ln for ln in lines if ln.page >= page]
    return _without_headers(lines, seg.running_headers)


def _without_headers(lines: list[Line], running_headers: Sequence[str]) -> list[Line]:
    headers = _header_letters(running_headers)
    return [ln for ln in lines if not _is_header(ln.text, headers)]


def _header_letters(running_headers: Sequence[str]) -> list[str]:
    return [re.sub(r"[^a-z]", "", h.lower()) for h in running_headers]


def _is_header(text: str, headers: list[str]) -> bool:
    """A running footer as OCR gives it: the header's words and the page number (the
    words alone may be the agency's name typed into its block)."""
    m = re.fullmatch(r"(.*\D)\s+\d{1,3}", text.strip())
    letters = re.sub(r"[^a-z]", "", m.group(1).lower()) if m else ""
    return bool(letters) and any(SequenceMatcher(None, letters, h).ratio() >= 0.85 for h in headers if h)


# Templates whose signature columns carry no "For ...:" headings, and their order.
UNHEADED_COLUMNS = {"jem-wso-2020": ["ice", "agency"]}
# Every template's columns, left to right: the 2025 templates head "For the LEA:" left and
# "For ICE:" right (a text layer may give the two stacked, in either order). Form fields,
# which a form tool numbers left to right, are placed by it when the text shows no order.
TEMPLATE_COLUMNS = {**UNHEADED_COLUMNS, "jem-wso-2025": ["agency", "ice"], "tfm-2025": ["agency", "ice"],
                    "tfm-2025-01": ["agency", "ice"]}


# Where a reading saw a line's words: (text, left, right) each, in BOX_UNITS of the width.
Places = tuple[tuple[str, int, int], ...]


class _Reader:
    def __init__(self, block: list[Line], earliest: str, latest: str, layout: str | None = None,
                 known: dict[str, str] | None = None, places: Sequence[Places] | None = None):
        self.known = known or {}         # signatories another reading of the block gave
        kept = [(ln, pl) for ln, pl in zip(block, places or [()] * len(block)) if ln.text.strip()]
        self.places = [pl for _, pl in kept]     # per line, where its words are (() unknown)
        # a blank's rule OCR read into the word on it ("F_or t_h_e LE_A:") is no letter
        self.block = block = [Line(ln.page, re.sub(r"(?<=\w)_+(?=\w)", "", ln.text)) for ln, _ in kept]
        self.earliest, self.latest, self.layout = earliest, latest, layout
        self.parsed = [cells_of(ln.text) for ln in block]
        self.other = self._other_signers()
        self.cols = self._columns()
        # Two columns without headings are read by the nearest title only in a template
        # that prints none; elsewhere a value needs its own line's or its neighbours' title.
        self.headed = layout not in UNHEADED_COLUMNS
        if self.cols is None and not any(FOR_RE.search(ln.text) for ln in block):
            self.cols = UNHEADED_COLUMNS.get(layout or "")
        self.heading = self._headings()

    def dates(self, text: str) -> list[str]:
        return [d for d in find_dates(text) if self.earliest <= d <= self.latest]

    def _other_signers(self) -> set[int]:
        """Lines of an approval as to form, an attestation, a witness: from its mark to the
        next line naming a party (or a "For ...:" heading)."""
        out, on = set(), False
        for k, ln in enumerate(self.block):
            if OTHER_SIGNER.search(ln.text):
                on = True
                for j in (k - 1, k - 2):      # its stamp or date over its title ("Assistant District Attorney")
                    if j < 0 or parties_of(self.block[j].text) or FOR_RE.search(self.block[j].text):
                        break
                    out.add(j)
            elif on and (FOR_RE.search(ln.text) or (parties_of(ln.text) and not self.parsed[k][1])):
                on = False
            if on:
                out.add(k)
        return out

    def _headings(self) -> list[str | None]:
        """Per line, the party of the lone "For ...:" heading it stands under (stacked
        columns), None under a two-column heading or none."""
        out, current = [], None
        for ln in self.block:
            fors = list(FOR_RE.finditer(ln.text))
            if len(fors) == 1 and lone_heading(ln.text):
                current = _party(fors[0].group(1))
            elif fors or re.search(r"\bF[o0]r?\b|\bLEA\b|\bICE\b", ln.text):
                current = None          # two headings, or one misread: which column is unknown
            out.append(current)
        return out

    def _columns(self) -> list[str] | None:
        """The parties' columns left to right, when the block shows them."""
        for ln in self.block:
            fors = [_party(m.group(1)) for m in FOR_RE.finditer(ln.text)]
            if len(fors) == 2 and len(set(fors)) == 2:
                return fors
        for k, (lead, cells) in enumerate(self.parsed):     # "Title: Sheriff Title: Acting Director"
            if k in self.other or len(cells) != 2 or cells[0].label != cells[1].label:
                continue
            sides = [parties_of(c.value) for c in cells]
            if all(len(s) == 1 for s in sides) and sides[0] != sides[1]:
                return [next(iter(s)) for s in sides]
        if self.layout not in UNHEADED_COLUMNS or any(FOR_RE.search(ln.text) for ln in self.block):
            return None                 # headed columns, a heading misread: a line's order proves nothing
        for k, ln in enumerate(self.block):         # 2019-2020: "Assistant Director, Enforcement Sheriff"
            if k in self.other:
                continue
            ice, lea = ICE_MARK.search(ln.text), LEA_MARK.search(ln.text)
            if ice and lea and (ice.end() <= lea.start() or lea.end() <= ice.start()):
                return ["ice", "agency"] if ice.start() < lea.start() else ["agency", "ice"]
        return None

    def window_party(self, k: int) -> str | None:
        """Under two columns, the party a value on line *k* is next to: for a run of
        unlabelled lines (an overlay of typed values, a name over its title) the titles and
        offices in the run itself; for a labelled line, its own and the lines just above
        and below it, when they name one party only. Farther lines may be the other
        column's."""
        run = self._run(k)
        named = set().union(*(parties_of(self.block[j].text) for j in run))
        if named or not self.parsed[k][1]:
            return next(iter(named)) if len(named) == 1 else None
        for j in (k - 1, k + 1):
            if 0 <= j < len(self.block) and j not in self.other and not FOR_RE.search(self.block[j].text):
                named |= parties_of(self.block[j].text)
        return next(iter(named)) if len(named) == 1 else None

    def _run(self, k: int) -> list[int]:
        """Line *k* and, when it has no label, the unlabelled lines next to it."""
        if self.parsed[k][1]:
            return [k]
        lo = hi = k
        while lo > 0 and not self.parsed[lo - 1][1] and lo - 1 not in self.other \
                and not FOR_RE.search(self.block[lo - 1].text):
            lo -= 1
        while hi + 1 < len(self.block) and not self.parsed[hi + 1][1] and hi + 1 not in self.other \
                and not FOR_RE.search(self.block[hi + 1].text):
            hi += 1
        return list(range(lo, hi + 1))

    def nearest_party(self, k: int, reach: int = 6, at: int = 0) -> str | None:
        """Stacked, unlabelled blocks (2019-2020): the party of the nearest title or office,
        the lines below first (the date stands over the signature, name and title). The
        line itself counts only when it holds no date: "Department of Homeland Security
        05/26/2020" is two columns run together; so is what precedes *at* on it."""
        own = parties_of(self.block[k].text[at:])
        if len(own) == 1 and not find_dates(self.block[k].text):
            return next(iter(own))
        for j in [*range(k + 1, k + reach + 1), *range(k - 1, k - reach - 1, -1)]:
            if 0 <= j < len(self.block) and j not in self.other:
                parties = parties_of(self.block[j].text)
                if len(parties) == 1:
                    return next(iter(parties))
        return None

    def party_at(self, k: int, at: int = 0) -> str | None:
        """Whose a value on line *k* is when its cell does not say: the stacked "For ...:"
        heading it stands under; else, under two columns, the one party named around it;
        else (no columns) the nearest title."""
        if self.heading[k]:         # unless the titles next to it are the other party's
            return self.heading[k] if self.window_party(k) in (None, self.heading[k]) else None
        return self.window_party(k) if self.headed else self.nearest_party(k, at=at)

    def read(self) -> dict:
        found = self.found = _Found({})
        self._labelled(found)
        self._runs(found)
        self._digital(found)
        for k, (lead, cells) in enumerate(self.parsed):     # names side by side, the others read
            if not cells and not FOR_RE.search(self.block[k].text) and (pair := self._name_pair(k)):
                for party, name in pair:
                    found.add(f"{party}_signatory", name, self.block[k].page)
        return found.facts

    def _labelled(self, found: _Found) -> None:
        """Values of "Date:"/"Name:"/"Print:" cells: by column, by the stacked "For ...:"
        heading, or by the titles around them."""
        for k, (lead, cells) in enumerate(self.parsed):
            ln = self.block[k]
            if k in self.other or not cells:
                continue
            if self.cols and len(cells) == len(self.cols) and len({c.label for c in cells}) == 1:
                parties = list(self.cols)
            elif len(cells) == 1 and cells[0].label == "date" and self.cols and len(self.cols) == 2 \
                    and len(re.findall(r"[A-Za-z0-9]", lead)) >= 3 and not find_dates(lead) \
                    and not FOR_RE.search(lead):
                # a "Date:" with words before it that nothing else places is the right
                # column's: the left one's label and value were misread into those words
                # ("pac Luca 2Y Date. March 7, 2025")
                parties = [self.party_at(k) or self.cols[1]]
            elif len(cells) == 1 and not (self.cols and len(self.cols) > 1 and cells[0].label == "name"
                                          and re.search(r"[A-Za-z]{3,}", lead)):
                parties = [self.party_at(k)]   # (words before a lone "Name:" are the other
                                               # column's, its label lost: "ohn Grossnickle Name: X")
            else:
                continue                     # two values, columns unknown: whose is unknowable
            for cell, party in zip(cells, parties):
                if party is None:
                    continue
                value = clean_value(cell.value)
                if cell.label == "date" and len(parties) > 1 and not self.dates(value):
                    placed = self._date_placed(k, cells, cell)
                    if placed is not None:
                        value = placed
                    elif not re.search(r"[A-Za-z0-9]", value):
                        value = self._date_above(k, cells, cell)
                if cell.label == "date" and (dates := self.dates(value)):
                    found.add(f"signed_{party}", dates[0], ln.page)
                elif cell.label == "name":
                    name = bare_name(value) or self._printed_again(value)
                    if name is None and not value and len(parties) > 1 \
                            and sum(not clean_value(c.value) for c in cells) == 1:
                        # the one blank among printed names: the lone name above is its own
                        # (two blanks and one name: whose it is is unknowable)
                        name = self._bare_name_above(k, [c.value for c in cells])
                    found.add(f"{party}_signatory", name, ln.page)

    def _runs(self, found: _Found) -> None:
        """Lines without labels (values typed onto the page, stamps, names under the
        signature line, two dates side by side)."""
        for k, (lead, cells) in enumerate(self.parsed):
            ln = self.block[k]
            if k in self.other:
                continue
            text = lead if cells else ln.text
            dates = self.dates(text)
            if self.cols and len(dates) == len(self.cols) and not cells:
                for party, d in zip(self.cols, dates):          # side by side, one per column
                    found.add(f"signed_{party}", d, ln.page)
            elif len(dates) == 1 and not re.search(r"Digitally|\d{1,2}:\d{2}:\d{2}", ln.text, re.I):
                if party := self.party_at(k):
                    found.add(f"signed_{party}", dates[0], ln.page)
            fors = list(FOR_RE.finditer(ln.text))
            for j, m in enumerate(fors):    # "For the LEA: Bobbie Vickery For ICE: Caleb Vitello"
                value = ln.text[m.end():fors[j + 1].start() if j + 1 < len(fors) else None]
                found.add(f"{_party(m.group(1))}_signatory", bare_name(value), ln.page)
            if cells or fors or not (name := bare_name(ln.text)):
                continue
            if self.heading[k] and self.window_party(k) in (None, self.heading[k]):
                found.add(f"{self.heading[k]}_signatory", name, ln.page)   # under its column's heading
                continue
            for j in (k + 1, k - 1):        # the title under the name, else over it
                if 0 <= j < len(self.block) and j not in self.other:
                    parties = parties_of(self.block[j].text)
                    if len(parties) == 1 and not bare_name(self.block[j].text):
                        found.add(f"{next(iter(parties))}_signatory", name, ln.page)
                        break

    def _digital(self, found: _Found) -> None:
        """Digital signature stamps: "Digitally signed by NAME / Date: 2025.03.18 09:52:57"."""
        for k, ln in enumerate(self.block):
            if not re.search(r"Digitally", ln.text, re.I) or k in self.other:
                continue
            text = ocr_digits(" ".join(b.text for b in self.block[k:k + 3]))
            m = re.search(r"Digitally\s+signed\s+by\s*:?\s*(?P<name>[A-Za-z][A-Za-z.'\- ]{3,40}?)\s*(?:Date\b|$)",
                          text, re.I)
            if not m:
                self._stamp_alone(found, k, ln, text)
                continue
            signer = re.sub(r"\s+", " ", m.group("name")).title()
            at = re.search(r"Digitally", ln.text, re.I).start()
            party = self._party_of_name(signer) or self.party_at(k, at)
            if not party:
                continue
            self._stamp_date(found, party, text[m.start():], ln.page)
            words = [w.lower().strip(".") for w in signer.split()]
            if not any(a != b and (a in b or b in a) for a in words for b in words) \
                    and len(set(words)) == len(words):      # "Christopher Mcronen Cronen": two prints run together
                found.add(f"{party}_signatory", bare_name(signer), ln.page)

    def _stamp_alone(self, found: _Found, k: int, ln: Line, text: str) -> None:
        """A stamp whose "signed by NAME" OCR misread ("Digitally signed b -"): its date and
        time of day ("2020.06.08 10:57:21", which no typed or written date carries) are the
        signing date of the column the stamp stands in."""
        if party := self.party_at(k, re.search(r"Digitally", ln.text, re.I).start()):
            self._stamp_date(found, party, text, ln.page, timed=True)

    def _stamp_date(self, found: _Found, party: str, text: str, page: int, *, timed: bool = False) -> None:
        """A digital stamp's date in *text* ("2025.03.18", with its time of day when
        *timed*) as *party*'s signing date, when it falls within the agreement's dates."""
        time_of_day = r"\s+\d{2}:\d{2}(?::\d{2})?(?![0-9])" if timed else ""
        stamp = re.search(r"(?<![0-9])(20\d{2})\.(\d{2})\.(\d{2})" + time_of_day, text)
        if stamp and (d := make_date(*(int(x) for x in stamp.groups()))) \
                and self.earliest <= d <= self.latest:
            found.add(f"signed_{party}", d, page)

    def _party_of_name(self, signer: str) -> str | None:
        """The party of the signatory already read whose surname the stamp's signer has."""
        words = {w.lower() for w in re.findall(r"[A-Za-z]{3,}", signer)}
        parties = {name.split("_")[0] for name, (value, _) in self.found.facts.items()
                   if name.endswith("_signatory") and value.split()[-1].lower() in words}
        return next(iter(parties)) if len(parties) == 1 else None

    def _name_pair(self, k: int) -> list[tuple[str, str]] | None:
        """Two columns' names side by side on line *k* ("C.M. Cronen Tom Spangler") over
        both columns' titles ("Assistant Director, Enforcement Sheriff"), the columns'
        order known: the line cut where it gives two names, when one cut does and the
        whole line is no name itself; else the cut that gives a name already read for its
        column."""
        if not self.cols or len(self.cols) != 2 or k + 1 >= len(self.block) or k in self.other \
                or parties_of(self.block[k + 1].text) != {"ice", "agency"}:
            return None
        words = clean_value(self.block[k].text).split()
        cuts = [(a, b) for j in range(1, len(words))
                if (a := bare_name(" ".join(words[:j]))) and (b := bare_name(" ".join(words[j:])))]
        if len(cuts) > 1 or bare_name(self.block[k].text):
            seen = {p: self.known.get(f"{p}_signatory") or (self.found.facts.get(f"{p}_signatory") or ("",))[0]
                    for p in self.cols}
            cuts = [c for c in cuts if any(seen[p] and _letters(seen[p]) == _letters(v)
                                           for p, v in zip(self.cols, c))]
        return list(zip(self.cols, cuts[0])) if len(cuts) == 1 else None

    def _date_above(self, k: int, cells: Sequence[Cell], cell: Cell) -> str:
        """A blank "Date:" (*cell*) beside the other column's date: a date typed over its
        blank, which OCR sets alone on the line above (nothing else on it), is the blank's.
        Beside a date no reading could make out (a scrawl read as "OAS"), the last column's
        blank takes the one date that ends the line above after such marks ("2A 4
        04/14/2025"): OCR sets a line's columns left to right."""
        filled = [c for c in cells if self.dates(clean_value(c.value))]
        if k == 0 or k - 1 in self.other or self.parsed[k - 1][1]:
            return ""
        above = ocr_digits(clean_value(self.block[k - 1].text))
        if len(self.dates(above)) != 1:
            return ""
        rest, last = above, None
        for rx in DATE_RES:
            last = last or next((m for m in rx.finditer(above) if self.dates(m.group(0))), None)
            rest = rx.sub("", rest)
        if len(filled) == len(cells) - 1 and not re.search(r"[A-Za-z0-9]", rest):
            return above
        if not filled and cell is cells[-1] and last is not None and not above[last.end():].strip() \
                and above[:last.start()].strip():
            return above
        return ""

    def _date_placed(self, k: int, cells: Sequence[Cell], cell: Cell) -> str | None:
        """A "Date:" (*cell*) holding no date, on a line of one "Date:" per column, where
        the reading saw the words (None when it did not say): the one date on the line
        above, in no cell of its own, is the cell's when it stands in the cell's column,
        right of its label and left of the next column's. A date typed over its blank sits
        there, whatever else OCR read on either line (the blank's rule, the scrawl of a
        handwritten date cut in two)."""
        if k == 0 or not self.places[k] or not self.places[k - 1]:
            return None
        if k - 1 in self.other or self.parsed[k - 1][1]:
            return ""
        above = self.places[k - 1]
        text = ocr_digits(" ".join(w for w, _, _ in above))     # (letter for letter: the places hold)
        spans = [m.span() for rx in DATE_RES for m in rx.finditer(text) if self.dates(m.group(0))]
        labels = [m.start() for m in LABEL_RE.finditer(" ".join(w for w, _, _ in self.places[k]))
                  if m.lastgroup == "date"]
        if len(spans) != 1 or len(labels) != len(cells):
            return ""
        left, right = _extent(above, *spans[0])
        lefts = [_extent(self.places[k], at, at + 1)[0] for at in labels]
        column = max([j for j, x in enumerate(lefts) if x <= (left + right) / 2], default=0)
        return text[slice(*spans[0])] if cells[column] is cell else ""

    def _bare_name_above(self, k: int, values: Iterable[str]) -> str | None:
        """A blank "Name:" under two columns: a name OCR set alone on one of the three
        lines above, when it is none of the names the line does print."""
        for j in range(k - 1, max(-1, k - 4), -1):
            name = bare_name(self.block[j].text)
            if name and not any(_similar(v, name) for v in values if clean_value(v)):
                return name
        return None

    def _printed_again(self, value: str) -> str | None:
        """A name OCR misread on its "Name:" line ("|odd M. Lyons") that the block prints
        again, legibly (under the signature, in a stamp): that legible reading."""
        for ln in self.block:
            for m in NAME_RE.finditer(ln.text):
                if (name := bare_name(m.group(0))) and _similar(value, name):
                    return name
        return None


def _extent(words: Places, start: int, end: int) -> tuple[int, int]:
    """Left and right of the words holding characters *start*..*end* of the words joined by
    spaces."""
    at, boxes = 0, []
    for text, left, right in words:
        if at < end and start < at + len(text):
            boxes.append((left, right))
        at += len(text) + 1
    return min(b[0] for b in boxes), max(b[1] for b in boxes)


def _similar(a: str, b: str) -> bool:
    la, lb = (re.sub(r"[^a-z]", "", x.lower()) for x in (a, b))
    return len(la) >= 6 and SequenceMatcher(None, la, lb).ratio() >= 0.85


def _form_fields(block_pages: set[int], cols: list[str] | None,
                 form_fields: Sequence[tuple[str, str, int | None]], earliest: str, latest: str) -> dict:
    """Values filled into the signature page's form fields. Their names tell what they
    are ("Date", "Date_2", "Name"); a form tool numbers fields of one label in reading
    order, so two date fields under two columns are the columns' dates, left to right.
    A field otherwise belongs to the party the page's other fields name (an "Agency"
    field reading "U.S. Immigration", a "Title" reading "Acting Director"). A signed
    signature field gives its signer's date and name (:func:`_signed_field`)."""
    fields = [(n, v.strip(), p) for n, v, p in form_fields if p in block_pages and v and v.strip()]

    def order(name):
        return [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", name.lower())]
    parties = set().union(*(parties_of(v) for n, v, _ in fields if re.match(r"(?:title|agency)", n, re.I))) \
        if fields else set()
    owner = next(iter(parties)) if len(parties) == 1 else None
    out: dict = {}
    for label in ("date", "name"):
        group = sorted((f for f in fields if re.match(label, f[0], re.I)), key=lambda f: order(f[0]))
        if label == "date":
            group = [(n, d[0], p) for n, v, p in group if (d := [x for x in find_dates(v) if earliest <= x <= latest])]
        else:
            group = [(n, nm, p) for n, v, p in group if (nm := bare_name(v))]
        if cols and len(group) == len(cols):
            pairs = list(zip(cols, group))
        elif len(group) == 1 and owner:
            pairs = [(owner, group[0])]
        else:
            continue
        for party, (_, value, page) in pairs:
            key = f"signed_{party}" if label == "date" else f"{party}_signatory"
            out.setdefault(key, (value, page))
    for _, value, page in fields:
        for name, fact in _signed_field(value, earliest, latest).items():
            out.setdefault(name, (fact, page))
    return out


SIGNED_FIELD = re.compile(rf"{SIGNED_BY} (?P<name>[^(]+?)(?: \((?P<org>[^)]*)\))? "
                          r"Date: (?P<y>\d{4})\.(?P<m>\d{2})\.(?P<d>\d{2})\b.*")


def _signed_field(value: str, earliest: str, latest: str) -> dict[str, str]:
    """A signed signature field's facts (its value as archive.read.pdf.signed_value
    gives it): the signing date and the signer of the party the signer's certificate
    names as its organisation ("ICE, Department of Homeland Security"); nothing when the
    certificate names no party, or both."""
    m = SIGNED_FIELD.fullmatch(value)
    owners = parties_of(m["org"] or "") if m else set()
    if len(owners) != 1:
        return {}
    party, out = next(iter(owners)), {}
    if (d := make_date(int(m["y"]), int(m["m"]), int(m["d"]))) and earliest <= d <= latest:
        out[f"signed_{party}"] = d
    if name := bare_name(m["name"].title()):
        out[f"{party}_signatory"] = name
    return out


ORDER = ("signed_agency", "agency_signatory", "signed_ice", "ice_signatory")


def read_signatures(seg: Segmentation, form_fields: Sequence[tuple[str, str, int | None]] = (),
                    earliest: str = "2015-01-01", latest: str | None = None) -> list[tuple[str, str, int]]:
    """(name, value, page) of signed_ice, ice_signatory, signed_agency, agency_signatory as
    far as the block shows them. *earliest*/*latest* bound a signing date (the template's
    revision, today)."""
    block = block_lines(seg)
    if not block:
        return []
    latest = latest or date.today().isoformat()
    reader = _Reader(block, earliest, latest, seg.layout)
    facts = reader.read()
    for name in [n for n in facts if n.endswith("_signatory")]:
        if _spelled_otherwise(facts[name][0], seg.lines, {ln.page for ln in block}):
            del facts[name]
    for name, found in _form_fields({ln.page for ln in block}, reader.cols or TEMPLATE_COLUMNS.get(seg.layout or ""),
                                    form_fields, earliest, latest).items():
        facts.setdefault(name, found)
    return [(name, *facts[name]) for name in ORDER if name in facts]


def signature_page(seg: Segmentation) -> int | None:
    """The page the signature block is on: the one holding most of its lines."""
    pages = Counter(ln.page for ln in block_lines(seg))
    return pages.most_common(1)[0][0] if pages else None


def second_reading(seg: Segmentation, read: Sequence[tuple[str, str, int]], text: str, page: int,
                   earliest: str = "2015-01-01", latest: str | None = None,
                   words: Sequence[tuple] = ()) -> list[tuple[str, str, int]]:
    """What a second reading of the signature block (*text*, of page *page*: tesseract on
    the block alone, archive.read.blocks; *words*, where it saw each word, as
    archive.read.ocr.Word) adds to *read*, the facts read from the page's text: the facts
    *read* lacks, read from *text* by the same rules. Nothing, when the second reading
    reads any fact *read* has otherwise (the two see the block differently and which is
    right is unknowable), or gives one party's name as the other's."""
    placed = _places(text, words)
    pairs = [(Line(page, t), pl) for t, pl in
             ((REVISION_RE.sub(" ", t).strip(), pl) for t, pl in zip(text.splitlines(), placed)) if t]
    marks = [k for k, (ln, _) in enumerate(pairs) if CLOSING.search(ln.text)]
    pairs = pairs[marks[-1] + 1:] if marks else pairs
    headers = _header_letters(seg.running_headers)
    pairs = [(ln, pl) for ln, pl in pairs if not _is_header(ln.text, headers)]
    if not pairs:
        return []
    latest = latest or date.today().isoformat()
    known = {name: value for name, value, _ in read}
    reader = _Reader([ln for ln, _ in pairs], earliest, latest, seg.layout, known, [pl for _, pl in pairs])
    facts = reader.read()
    if apart := _columns_apart(pairs, reader.cols or TEMPLATE_COLUMNS.get(seg.layout or "")):
        facts = _by_place(_Reader(apart, earliest, latest, seg.layout, known).read(), facts)
    for name in [n for n in facts if n.endswith("_signatory")]:
        if _spelled_otherwise(facts[name][0], seg.lines, {page}):
            del facts[name]
    first = known
    for name, (value, _) in facts.items():
        if name in first and not _same_value(name, first[name], value):
            return []
        other = ("agency" if name.startswith("ice") else "ice") + "_signatory"
        if name.endswith("_signatory") and other in first and (
                _same_value(other, first[other], value) or _within(first[other], value)):
            return []
    return [(name, *facts[name]) for name in ORDER if name in facts and name not in first]


# Between two columns: a gap between words on a line wider than COLUMN_GAP (in BOX_UNITS
# of the width; a space between words is ~100, between a label and a value typed on its
# blank up to ~400), after which words begin at one tab stop (within COLUMN_ALIGN: a
# column's labels, names and titles are set flush left; values and stamps inside it are
# not) on two lines or more, in the middle half of the width (two columns share it).
COLUMN_GAP, COLUMN_ALIGN, COLUMN_SLACK = 700, 100, 150
COLUMN_BAND = (2500, 7500)


def column_edge(places: Sequence[Places]) -> int | None:
    """Where the second of two columns begins on the block's lines (*places*), in
    BOX_UNITS of the width: the tab stop most words that begin after a gap as wide as
    between columns are aligned on; None when no two lines show one."""
    starts = [b[1] for words in places for a, b in zip(words, words[1:])
              if b[1] - a[2] >= COLUMN_GAP and COLUMN_BAND[0] <= b[1] <= COLUMN_BAND[1]]
    best = max(starts, key=lambda x: (sum(abs(y - x) <= COLUMN_ALIGN for y in starts), -x), default=None)
    near = [y for y in starts if best is not None and abs(y - best) <= COLUMN_ALIGN]
    return min(near) if len(near) >= 2 else None


def _columns_apart(pairs: Sequence[tuple[Line, Places]], cols: Sequence[str] | None) -> list[Line]:
    """The block's two columns read apart, one under the other, each under its "For ...:"
    heading (*cols*: the parties left to right): every line's words cut where the second
    column begins (:func:`column_edge`; a word that begins there, give or take
    COLUMN_SLACK, or after it is the second column's). Words beside another column's
    label with no label of their own are left out: their label was misread ("Dat YS
    Date: February 26, 2025" is no name). Empty when the reading gave no places, no
    edge, or no line that shows two columns side by side (:func:`_two_columns`)."""
    edge = column_edge([pl for _, pl in pairs])
    if edge is None or not cols or len(cols) != 2 or not all(pl for _, pl in pairs):
        return []
    heading = {"agency": "For the LEA:", "ice": "For ICE:"}
    out: list[list[Line]] = [[], []]
    side_by_side = False
    for ln, words in pairs:
        labelled = bool(cells_of(ln.text)[1])
        parts = [REVISION_RE.sub(" ", " ".join(w for w, left, _ in words if (left >= edge - COLUMN_SLACK) == right)
                                 ).strip() for right in (False, True)]
        side_by_side = side_by_side or _two_columns(parts, cols)
        for side, text in enumerate(parts):
            if text and not (labelled and not cells_of(text)[1]):
                out[side].append(Line(ln.page, text))
    if not side_by_side:
        return []
    page = pairs[0][0].page
    return [Line(page, heading[cols[0]]), *out[0], Line(page, heading[cols[1]]), *out[1]]


def _two_columns(parts: Sequence[str], cols: Sequence[str]) -> bool:
    """Whether a line cut in two (*parts*) shows two columns side by side: a label or a
    "For ...:" heading on each side, or each side naming its own column's party. (A
    block of one column whose values stand at one tab stop is cut into labels and
    values: no line of it shows this.)"""
    if not all(parts):
        return False
    if all(cells_of(p)[1] or FOR_RE.search(p) for p in parts):
        return True
    return [parties_of(p) for p in parts] == [{c} for c in cols]


def _by_place(apart: dict, lines: dict) -> dict:
    """The facts of the columns read apart (*apart*), with those the lines read whole
    (*lines*) add. Where a value stands says whose it is: a value the columns apart give
    one party is not the other's for being next to its title; a fact both read otherwise
    is left out (which is right is unknowable)."""
    out = dict(apart)
    for name, (value, at) in lines.items():
        party = name.removeprefix("signed_").split("_")[0]
        twin = name.replace(party, "agency" if party == "ice" else "ice")      # the other party's
        if name in apart:
            if not _same_value(name, apart[name][0], value):
                del out[name]
        elif not (twin in apart and _same_value(name, apart[twin][0], value)):
            out[name] = (value, at)
    return out


def _places(text: str, words: Sequence[tuple]) -> list[Places]:
    """Per line of *text*, where its words are ((text, left, right) from *words*, the
    reading's word boxes by line); () for a line whose words are not what it reads (a
    reading kept without its boxes, or with other ones)."""
    by_line: dict[int, list] = {}
    for w, left, _top, width, _height, line in words:
        by_line.setdefault(line, []).append((w, left, left + width))
    lines = [tuple(by_line.get(n, ())) for n in range(len(text.splitlines()))]
    return [ws if " ".join(w for w, _, _ in ws) == t else () for ws, t in zip(lines, text.splitlines())]


def confirmed_by(name: str, value: str, text: str) -> bool:
    """Whether another reading of the block (*text*: tesseract in another layout mode)
    reads *value* too: a date among its dates, a name letter for letter (case, spaces and
    stops aside). Two layouts misread a scrawl or a crossed name differently ("Lodd M.
    Lyons" in one, "Todd M. Lyons" in the other); a value only one of them reads is
    left out."""
    if name.startswith("signed_"):
        return value in find_dates(text)
    return _letters(value) in _letters(text)


def _letters(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _within(name: str, value: str) -> bool:
    """*value* holds *name* (six letters or more) and more: two names run together."""
    letters = _letters(name)
    return len(letters) >= 6 and letters in _letters(value)


def _same_value(name: str, a: str, b: str) -> bool:
    if name.startswith("signed_"):
        return a == b
    return _letters(a) == _letters(b) or _similar(a, b)


def _spelled_otherwise(name: str, lines: Sequence[Line], block_pages: set[int]) -> bool:
    """Whether a signature block on another page (an addendum's, a copy of the signature
    page) prints *name*'s surname on a "Name:"/"Print:" blank after letters that read
    nearly, not exactly, the same ("ichael L. Chapman" beside "Mihael L. Chapman"): one
    reading is an OCR misreading, and which is unknowable, so the name is left out.
    Letters only are compared."""
    letters = re.sub(r"[^a-z]", "", name.lower())
    surname = re.compile(r"(?<![A-Za-z])%s(?![A-Za-z])" % re.escape(name.split()[-1]), re.I)
    for ln in lines:
        if ln.page in block_pages:
            continue
        for cell in cells_of(ln.text)[1]:
            m = surname.search(cell.value) if cell.label == "name" else None
            other = re.sub(r"[^a-z]", "", cell.value[:m.end()].lower()) if m else ""
            if other and other != letters and _similar(letters, other):
                return True
    return False
