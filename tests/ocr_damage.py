"""Damage real page texts the way OCR of a scan does, with a seeded random generator, to
check that the section cutter holds on documents it was not written from.

What a scan does to headings (seen on real MOAs, see issue 15): letters read as digits or
signs and back (B/8/&/E, I/l/1/|, O/0, S/5, G/6), Roman numerals broken ("Il.", "lV",
"V1"), spaces lost or added ("APPENDIXC", "APPENDIX  C", "RESPON SIBILITIES",
"CIVILRIGHTS"), a heading broken over two lines, a letter lost, a stray mark before or
after it, the period after a number read as a comma. And whole pages: the first pages of
a scan unreadable (noise) or missing.

Only the headings the cutter found on the undamaged text are damaged (the body is left as
it is), so the damaged document must be cut exactly like the undamaged one.

:func:`misread_words` damages words the way the OCR-confusion model
(archive/read/ocr_confusions.py, its table derived from the corpus by
bench/derive_confusions.py) says print is misread, for the compare tests: there the damage
must be folded away, so only the model's confusions are used.
"""
from __future__ import annotations

import random
import re

from archive.read.ocr_confusions import GLYPH_PAIRS, SEQUENCE_PAIRS
from archive.structure.segmenter import Segmentation

# What OCR reads for a character (and what it reads it as, back).
CONFUSIONS = {"B": "8&E", "8": "B", "E": "&B", "I": "l1|", "l": "I1", "1": "Il", "O": "0",
              "0": "O", "S": "5", "5": "S", "G": "6", "D": "O", "C": "(", "A": "4"}
ROMAN_CONFUSIONS = {"I": "l1|", "V": "V", "X": "X"}


def _print_misreadings() -> list[tuple[str, str]]:
    """How OCR misreads print, as the confusion model's table has it (its pairs are case
    folded): each pair both ways, in lower case and in capitals (``S``/``5``, ``D``/``O``)."""
    out = []
    for a, b in (*GLYPH_PAIRS, *SEQUENCE_PAIRS):
        out += [(a, b), (b, a)]
        if (a + b).upper() != a + b:
            out += [(a.upper(), b.upper()), (b.upper(), a.upper())]
    return out


PRINT_MISREADINGS = _print_misreadings()


def _misread(rng: random.Random, w: str) -> str:
    """*w* with one of PRINT_MISREADINGS that applies to it (as it is, if none does)."""
    options = [(a, b) for a, b in PRINT_MISREADINGS if a in w]
    if not options:
        return w
    a, b = rng.choice(options)
    i = rng.choice([k for k in range(len(w)) if w.startswith(a, k)])
    return w[:i] + b + w[i + len(a):]


def misread_words(text: str, rng: random.Random, share: float = 0.3, where=lambda start: True) -> str:
    """*text* with about *share* of its words of 3+ letters (those starting at an offset
    *where* accepts) misread by one of PRINT_MISREADINGS each."""
    def one(m: re.Match) -> str:
        w = m.group(0)
        return w if not where(m.start()) or rng.random() > share else _misread(rng, w)
    return re.sub(r"[A-Za-z]{3,}", one, text)


def _confuse(rng: random.Random, text: str, p: float, table=CONFUSIONS) -> str:
    return "".join(rng.choice(table[c]) if c in table and rng.random() < p else c for c in text)


def damage_heading(rng: random.Random, heading: str) -> list[str]:
    """One heading (its text on one line) as a scan might give it: one or two lines."""
    m = re.match(r"^(?P<num>APPENDIX\s*[A-D]?|[IVX]+|[A-J])(?P<punct>[.:]\s*|\s+|$)(?P<title>.*)$", heading)
    num, punct, title = (m.group("num"), m.group("punct"), m.group("title")) if m else ("", "", heading)
    if num.startswith("APPENDIX"):
        word, letter = num[:8], num[8:].strip()
        word = _confuse(rng, word, 0.08)
        letter = _confuse(rng, letter, 0.6)
        num = word + rng.choice(["", " ", "  ", " "]) + letter
    elif len(num) > 1 or num in "IVX":
        num = _confuse(rng, num, 0.5, ROMAN_CONFUSIONS)
    elif num:
        num = _confuse(rng, num, 0.4)
    if num and punct.strip() and rng.random() < 0.3:
        punct = rng.choice([", ", ": ", " ", "."])          # the period misread or lost
    title = _confuse(rng, title, 0.08)
    words = title.split(" ")
    if len(words) > 1 and rng.random() < 0.25:          # two words run together
        k = rng.randrange(len(words) - 1)
        words[k:k + 2] = [words[k] + words[k + 1]]
    long_words = [k for k, w in enumerate(words) if len(w) >= 8]
    if long_words and rng.random() < 0.25:              # a space inside a word
        k = rng.choice(long_words)
        cut = rng.randrange(3, len(words[k]) - 3)
        words[k] = words[k][:cut] + " " + words[k][cut:]
    title = " ".join(words)
    letters = [k for k, c in enumerate(title) if c.isalpha()]
    if len(letters) > 8 and rng.random() < 0.2:         # a letter lost
        k = rng.choice(letters)
        title = title[:k] + title[k + 1:]
    if rng.random() < 0.1:
        title = title + rng.choice([" _", " .", " |"])
    lead = rng.choice(["| ", "' ", "— "]) if rng.random() < 0.1 else ""
    if num and title and rng.random() < 0.2:            # number alone on its line
        return [lead + num + punct.rstrip(), title]
    text = lead + num + punct + title
    spaces = [k for k, c in enumerate(text) if c == " "]
    if len(spaces) >= 2 and len(title) > 16 and rng.random() < 0.25:   # heading wrapped
        k = rng.choice(spaces[1:])
        return [text[:k], text[k + 1:]]
    return [text]


def headings_of(seg: Segmentation) -> list[tuple[int, str]]:
    """(page, text) of every heading line the cutter used."""
    out = []
    for s in seg.sections:
        for ln in seg.lines[s.heading]:
            out.append((ln.page, ln.text))
    return out


def damage_pages(pages: list[str], seg: Segmentation, seed: int,
                 log: list | None = None) -> list[str]:
    """The pages with every heading of *seg* damaged. A heading on two lines ("APPENDIX B"
    over its title) has each line damaged, and sometimes its "APPENDIX" line lost; a
    one-line heading sometimes runs into the body line after it (a run-in heading)."""
    rng = random.Random(seed)
    targets: dict[tuple[int, str], str] = {}        # (page, line) -> its role
    for s in seg.sections:
        head = seg.lines[s.heading]
        for k, ln in enumerate(head):
            role = "first" if k == 0 else "title"
            if len(head) > 1 and k == 0 and ln.text.upper().startswith("APPENDIX"):
                role = "appendix-line"
            targets.setdefault((ln.page, ln.text), role)
    out = []
    for n, page in enumerate(pages, 1):
        lines: list[str] = []
        run_in = False
        for line in (page or "").splitlines():
            role = targets.get((n, line.strip()))
            if role is None:
                if run_in and line.strip() and lines:
                    lines[-1] = lines[-1] + " " + line.strip()
                else:
                    lines.append(line)
                run_in = False
                continue
            if role == "appendix-line" and rng.random() < 0.15:
                damaged: list[str] = []                      # the "APPENDIX B" line lost
            elif role == "title":
                damaged = [_confuse(rng, line.strip(), 0.08)]
            else:
                damaged = damage_heading(rng, line.strip())
            run_in = role == "first" and len(damaged) == 1 and not line.strip().upper().startswith(
                ("APPENDIX", "ADDENDUM", "MEMORANDUM")) and rng.random() < 0.1
            lines += damaged
            if log is not None:
                log.append((n, line.strip(), damaged + (["(run in)"] if run_in else [])))
        out.append("\n".join(lines))
    return out


def noise_page(rng: random.Random, n_lines: int = 30) -> str:
    """What OCR makes of an unreadable page (dark, skewed, a photo of a stamp)."""
    chars = "ilI1|.,:;'-_~ rnmwvoaeAEOSHN"
    return "\n".join("".join(rng.choice(chars) for _ in range(rng.randrange(5, 60)))
                     for _ in range(n_lines))


# What a scan does to a signature block (seen on the corpus's OCR'd signature pages):
# letters and digits confused, a label's colon read as another mark or lost, the rule of a
# blank read into the value written on it ("O_C_T_1_5_2_01_9"), a line's words run
# together or a space put inside a word, and the two columns' lines of one row run into
# one line.
LABEL_PUNCT = [":", ";", ".", ",", "·", ""]


def damage_block_line(rng: random.Random, text: str, p: float = 0.06) -> str:
    """One line of a signature block as a scan might give it."""
    text = re.sub(r"\b(Date|Name|Title|Agency|Signature|Print)\s*:",
                  lambda m: m.group(1) + rng.choice(LABEL_PUNCT) if rng.random() < 0.3 else m.group(0), text)
    text = _confuse(rng, text, p)
    if rng.random() < 0.1:                                  # the blank's rule read into the value
        text = re.sub(r"(?<=\S)(?=\S)", lambda m: "_" if rng.random() < 0.5 else "", text, count=40)
    words = text.split(" ")
    if len(words) > 2 and rng.random() < 0.15:
        k = rng.randrange(len(words) - 1)
        words[k:k + 2] = [words[k] + words[k + 1]]
    return " ".join(words)


def damage_block(rng: random.Random, texts: list[str]) -> list[str]:
    """The lines of a signature block damaged, as many lines as before (a line run into
    the one before it leaves an empty line in its place)."""
    out = [damage_block_line(rng, t) for t in texts]
    for k in range(1, len(out)):
        if out[k] and out[k - 1] and rng.random() < 0.08:
            out[k - 1], out[k] = out[k - 1] + " " + out[k], ""
    return out


DIGIT_MISREADINGS = {"0": "Oo", "1": "lI|", "5": "S", "8": "B"}


def misread_date_digits(rng: random.Random, texts: list[str], p: float = 0.25) -> list[str]:
    """Lines with the digits of their dates ("6/11/2025", a stamp's "2025.06.11", "June 11,
    2025") read as the letters OCR takes them for (0/O, 1/l, 5/S, 8/B), each digit with
    probability *p*."""
    def damage(m: re.Match) -> str:
        return _confuse(rng, m.group(0), p, DIGIT_MISREADINGS)
    dates = re.compile(r"\b\d{1,2}/\d{1,2}/\d{4}\b|\b20\d\d\.\d\d\.\d\d\b|(?<=[a-z] )\d{1,2}, 20\d\d\b")
    return [dates.sub(damage, t) for t in texts]


_MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December"]


def write_dates_otherwise(rng: random.Random, texts: list[str]) -> list[str]:
    """Lines with each numeric date ("6/11/2025") written as another office writes it:
    "11 June 2025", "June 11, 2025", "11-Jun-2025", "Jun-11-2025", "2025-06-11", "the 11th
    day of June, 2025", "the 11th of June, 2025", or typed over its blank's rule
    ("6/11/2025____")."""
    def rewrite(m: re.Match) -> str:
        month, day, year = int(m.group(1)), int(m.group(2)), m.group(3)
        if not (1 <= month <= 12 and 1 <= day <= 31):
            return m.group(0)
        name = _MONTH_NAMES[month - 1]
        th = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
        return rng.choice([f"{day} {name} {year}", f"{name} {day}, {year}", f"{day}-{name[:3]}-{year}",
                           f"{name[:3]}-{day}-{year}", f"{year}-{month:02d}-{day:02d}",
                           f"the {day}{th} day of {name}, {year}", f"the {day}{th} of {name}, {year}",
                           f"{month}/{day}/{year}____"])
    return [re.sub(r"\b(\d{1,2})/(\d{1,2})/(20\d\d)\b", rewrite, t) for t in texts]


def misread_month_names(rng: random.Random, texts: list[str]) -> list[str]:
    """Lines with the month's name of each date written out ("June 11, 2025", "11 June
    2025", "the 11th day of June, 2025") misread once or twice as print is misread
    (PRINT_MISREADINGS: "0ctober", "Ju1y", "Iune", "Decernber", "Marcb" is not one). Names
    of four letters or more: "May", "Jun" and "Apt", "Mat" are too alike to tell."""
    names = "|".join(n for n in _MONTH_NAMES if len(n) >= 4)
    dates = re.compile(rf"\b(?:{names})(?=\.?,?\s+\d{{1,2}}\b|,?\s+20\d\d\b)")

    def damage(m: re.Match) -> str:
        w = m.group(0)
        for _ in range(rng.choice([1, 2])):
            w = _misread(rng, w)
        return w
    return [dates.sub(damage, t) for t in texts]
