"""Judging a PDF's own text layer, and repairing shifted glyphs where that is exact.

A page's text layer is one of (first match wins):

- ``empty``: no visible characters;
- ``too-short``: fewer than MIN_CHARS visible characters (a scan with a stamp, say);
- ``control-chars``: more than CONTROL_SHARE of its characters are control characters
  (a font whose codes map to nothing readable);
- ``garbled``: fewer than MIN_WORDLIKE of its words look like words;
- ``spaces-as-letters`` (judged before ``garbled``): over SPACED_BY_LETTERS_SHARE of its letters are in long tokens
  that are lines whose spaces came out as one letter (a substitution font:
  "decisioneineGiglioev.eUnitedeStates"); see letter_spaced_share;
- ``shifted-glyphs-repaired``: spans were written in a font without a ToUnicode map whose
  codes come out as ``chr(ord(c) - 29)`` ("6LJQDWXUH" for "Signature"); they were
  shifted back, and the page is otherwise good;
- ``good``.

Only the last two are used as they are; the others are OCR'd (see archive/extract.py).
A usable layer is then judged against the page it lies on (overlay_on_scan): a page that
is mostly image while its text covers a small part of it is a scan carrying a few typed
words (``scan-with-overlay``), read like ``too-short``: OCR, then the layer's lines.

Shifted spans are found word by word: a word made only of characters that can be shifted
(codes 3..0x5d: upper case, digits, punctuation) is shifted back when that turns it from
something that is not a word into something that is, by letter patterns and a short list
of common words. Repair is only tried on pages that show the font's traces: a control
character, or characters pdfium returns no text for (the shifted space, code 3).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

SHIFT = 29
MIN_CHARS = 50            # the corpus manifest's threshold for "image-only"
CONTROL_SHARE = 0.02
MIN_WORDLIKE = 0.5
MIN_WORDS_TO_JUDGE = 8
MAX_TOKENS_TO_JUDGE = 200   # a sample is enough to tell words from junk
MAX_PREFIX = 30
# Spaces read as letters: a token this long (letters) that is not a word is cut at each
# of its letters in turn; when the pieces of one cut are words (by letters, weighted by
# length), that letter stood for a space. Real pages have hardly such tokens (an e-mail
# address, a hex envelope id: neither cuts into words), so a small share gives it away.
SPACED_MIN_LETTERS = 15
SPACED_WORD_SHARE = 0.7
SPACED_BY_LETTERS_SHARE = 0.03

# A scan carrying typed words: images cover at least IMAGE_PAGE_SHARE of the page and the
# text layer's character boxes under OVERLAY_TEXT_SHARE of it. A full text page's boxes
# cover 0.17-0.42 of it (corpus); this is about a tenth of that, some six lines of text.
# A born-digital page's logo or seal covers a few percent of the page; a scan with a
# reading of its words (an OCR layer) has text boxes where its lines are.
IMAGE_PAGE_SHARE = 0.5
OVERLAY_TEXT_SHARE = 0.025

GOOD = "good"
EMPTY = "empty"
TOO_SHORT = "too-short"
CONTROL_CHARS = "control-chars"
GARBLED = "garbled"
SPACES_AS_LETTERS = "spaces-as-letters"
SHIFTED_REPAIRED = "shifted-glyphs-repaired"
SCAN_WITH_OVERLAY = "scan-with-overlay"
USABLE = frozenset({GOOD, SHIFTED_REPAIRED})

# Short words that appear on these agreements' pages. Words of five letters or more are
# judged by letter pattern instead, so this list only needs the short ones.
COMMON_SHORT = frozenset("""
a an and any are as at be but by can do for from had has have he her his if in is it its
may no not of on or our per shall she so such than that the their them then there these
they this to upon was we were who will with you your all also each its one two date
name title print sign role head unit jail city town law act use case code rule part term
fund paid cost duty ice lea moa dhs ero hsi doj fbi usc cfr sop poc rev via v vs
""".split())

# Python counts \x1c-\x1f as white space; here they are shifted ':' and digits.
_SPACES = re.compile(r"([ \t\n\r\f\v\xa0]+)")
_LETTERED_TOKEN = re.compile(r"[^ \t\n\r\f\v\xa0]*[^\W\d_][^ \t\n\r\f\v\xa0]*")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ALPHA = re.compile(r"[A-Za-z]+")
_WEIRD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\\^`\[\]{}|~<>=+#@*]")
_WORD_SHAPE = re.compile(r"[A-Z]?[a-z]+|[A-Z]+")
# Letter pairs seen at least 5 times in two born-digital agreements of the fixture corpus.
_BIGRAMS = frozenset("""
ab ac ad af ag ai ak al am an ap ar as at au av aw ay ba bb be bi bj bl bo bs bt bu by ca cc
ce ch ci ck cl co cr ct cu cy da dd de dh di dm do ds du dv dy ea ec ed ee ef eg eh ei el em
en ep eq er es et ev ew ex ey fa fe ff fi fl fo fr ft fu fy ga ge gh gi gl gn go gr gs gu ha
he hi ho hr hs ht ia ib ic id ie if ig ii il im in io ip ir is it iv ix iz ja je ju ke ki la
ld le lf li ll lo ls lt lu lv ly ma mb me mi mm mo mp ms mu na nc nd ne nf ng ni nl nm nn no
ns nt nu nv ny oa ob oc od of og oh oi ok ol om on oo op or os ot ou ov ow ox oy pa pe ph pl
po pp pr pt pu qu ra rc rd re rf rg ri rk rm rn ro rp rr rs rt ru rv rw ry sa sc sd se sf sh
si so sp ss st su sy ta te th ti tl tm tn to tr ts tt tu tw ty ua ub uc ud ue ug ui ul um un
up ur us ut va ve vi vo wa we wh wi wo wr ws xa xc xe xi xp xt ye ys za ze
""".split())
_ROMAN = re.compile(r"[IVXLC]+")
_TRIPLE = re.compile(r"(.)\1\1")
_SHIFTABLE_MAX = 0x5D     # 'z' - 29
_SHIFTABLE_PREFIX = re.compile(r"[\x00-\x5d]*")
_UNSHIFT = {c: c + SHIFT for c in range(_SHIFTABLE_MAX + 1)}


@dataclass(frozen=True)
class Judgement:
    quality: str          # one of the constants above
    text: str             # the text layer, shifted spans repaired
    repaired_words: int   # how many words were shifted back

    @property
    def usable(self) -> bool:
        return self.quality in USABLE


def judge(text: str, *, shifted_traces: bool = False) -> Judgement:
    """Judge one page's text layer. *shifted_traces*: the PDF reader saw characters with
    no text (code 3), a sign of the shifted font even when no control character shows."""
    repaired_words = 0
    if shifted_traces or _CONTROL.search(text):
        text, repaired_words = repair_shifted(text)
    visible = len(text) - sum(len(m) for m in _SPACES.findall(text))
    if visible == 0:
        return Judgement(EMPTY, text, repaired_words)
    if visible < MIN_CHARS:
        return Judgement(TOO_SHORT, text, repaired_words)
    if len(_CONTROL.findall(text)) > CONTROL_SHARE * visible:
        return Judgement(CONTROL_CHARS, text, repaired_words)
    if letter_spaced_share(text) > SPACED_BY_LETTERS_SHARE:
        return Judgement(SPACES_AS_LETTERS, text, repaired_words)
    if wordlike_share(text) < MIN_WORDLIKE:
        return Judgement(GARBLED, text, repaired_words)
    return Judgement(SHIFTED_REPAIRED if repaired_words else GOOD, text, repaired_words)


def overlay_on_scan(judgement: Judgement, image_share: float, text_share: float) -> Judgement:
    """*judgement* of a page whose images cover *image_share* of it and whose text layer's
    character boxes *text_share* (archive.read.pdf.PageText): a usable layer on a
    page that is mostly image and hardly text is a scan with a few typed words on it (a
    date and a name typed onto a scanned signature page): ``scan-with-overlay``, which is
    OCR'd and read with the layer's lines (method ``both``)."""
    if judgement.usable and image_share >= IMAGE_PAGE_SHARE and text_share < OVERLAY_TEXT_SHARE:
        return Judgement(SCAN_WITH_OVERLAY, judgement.text, judgement.repaired_words)
    return judgement


def wordlike_share(text: str) -> float:
    """Share of the whitespace-separated tokens with letters that look like words."""
    tokens = _LETTERED_TOKEN.findall(text)
    if len(tokens) < MIN_WORDS_TO_JUDGE:
        return 1.0
    tokens = tokens[::len(tokens) // MAX_TOKENS_TO_JUDGE + 1]
    return sum(1 for t in tokens if _score(t) >= 0) / len(tokens)


def letter_spaced_share(text: str) -> float:
    """Share of the page's letters in tokens whose spaces came out as a letter."""
    letters = _letters(text)
    if not letters:
        return 0.0
    spaced = 0
    for t in text.split():
        if len(t) < SPACED_MIN_LETTERS:
            continue              # too short to hold SPACED_MIN_LETTERS letters
        n = _letters(t)
        if n >= SPACED_MIN_LETTERS and not _ADDRESS.search(t) and _score(t) < 0 \
                and space_letter(t) is not None:
            spaced += n
    return spaced / letters


def _letters(text: str) -> int:
    """How many letters (str.isalpha) *text* has."""
    return sum(map(str.isalpha, text))


_ADDRESS = re.compile(r"@|://|www\.", re.I)      # e-mail and web addresses have no spaces
_PIECE = re.compile(r"[^\W\d_]+|\d+")


def space_letter(token: str) -> str | None:
    """The letter that stands for the spaces of *token*, if cutting at it gives words.
    Each occurrence of a candidate letter is either a space or itself (words that contain
    it), whichever lets more of the token's letters read as words (a small dynamic
    programme over the occurrences)."""
    best, best_share = None, SPACED_WORD_SHARE
    letters = sum(c.isalpha() for c in token)
    for letter in set(c for c in token if c.isalpha()):
        segments = token.split(letter)
        if len(segments) < 3:
            continue
        share = _best_cut(segments, letter) / max(1, letters - (len(segments) - 1))
        if share > best_share:
            best, best_share = letter, share
    return best


def _best_cut(segments: list[str], letter: str) -> int:
    """Most letters in word-like groups over the ways of grouping consecutive
    *segments* (rejoined with *letter* inside a group)."""
    n = len(segments)
    best = [0] * (n + 1)
    for end in range(1, n + 1):
        score = -1
        for start in range(max(0, end - 4), end):          # a word holds the letter ≤ 3 times
            group = letter.join(segments[start:end])
            pieces = _PIECE.findall(group)
            good = sum(len(p) for p in pieces) if pieces and all(map(_is_word_piece, pieces)) else 0
            score = max(score, best[start] + good)
        best[end] = score
    return best[n]


def _is_word_piece(piece: str) -> bool:
    if piece.isdigit() or piece.lower() in COMMON_SHORT:
        return True
    return len(piece) >= 3 and _score(piece) > 0


def looks_like_word(token: str) -> bool:
    """Whether a token's letters look like an English word (letter pairs, shape)."""
    return _score(token) > 0


def repair_shifted(text: str) -> tuple[str, int]:
    """Shift back the words that were written in the shifted font; return the text and
    the number of words changed. The shifted space (code 3) always becomes a space."""
    text = text.replace("\x03", " ")
    repaired = 0
    out = []
    for piece in _SPACES.split(text):
        if piece and not _SPACES.fullmatch(piece):
            fixed = _repair_word(piece)
            if fixed != piece:
                repaired += 1
                piece = fixed
        out.append(piece)
    return "".join(out), repaired


def unshift(s: str) -> str:
    """*s* (characters up to _SHIFTABLE_MAX) shifted back by SHIFT."""
    return s.translate(_UNSHIFT)


def _repair_word(word: str) -> str:
    """Best of: the word as it is, or a prefix of it shifted back (a shifted label may be
    followed by ordinary text, as in "1DPH\\x1dShannon" → "Name:Shannon"). A prefix is
    only shifted when that alone makes it more word-like, and never a bare number.
    Prefixes are tried up to MAX_PREFIX characters, and the whole word."""
    best, best_score = word, _score(word)
    shiftable = _SHIFTABLE_PREFIX.match(word).end()      # no longer prefix can be shifted
    lengths = range(2, min(len(word), MAX_PREFIX) + 1)   # a lone "&" or "," stays as it is
    for k in (*lengths, len(word)) if len(word) > MAX_PREFIX else lengths:
        if k > shiftable:
            break
        prefix = word[:k]
        if any(c.isdigit() for c in prefix) and not _CONTROL.search(prefix) \
                and not any(c.isupper() for c in prefix):
            continue
        shifted = unshift(prefix)
        if _score(shifted) <= _score(prefix):
            continue
        candidate = shifted + word[k:]
        score = _score(candidate)
        if score > best_score:
            best, best_score = candidate, score
    return best


@lru_cache(maxsize=1 << 16)
def _score(token: str) -> float:
    """How much *token* looks like text: + per letter in word-shaped runs, - per letter in
    runs that are not, - per odd symbol or control character."""
    score = -2.0 * len(_WEIRD.findall(token)) + 0.25 * token.count("_")
    for run in _ALPHA.findall(token):
        score += _run_score(run)
    return score


def _run_score(run: str) -> float:
    n = len(run)
    shapes = _WORD_SHAPE.findall(run)
    # one word, or two run together ("RobbieVickery" when a space was lost)
    if "".join(shapes) != run or len(shapes) > 2 or (
            len(shapes) == 2 and not all(len(w) > 2 and w.istitle() for w in shapes)):
        return -n
    low = run.lower()
    if _ROMAN.fullmatch(run):
        return n          # section numbers: I., XVIII.
    if _TRIPLE.search(low):
        return -n         # no English word has a letter three times running ("BBBB")
    if low in COMMON_SHORT:
        return n
    if n <= 4:
        return 0.0        # initials, acronyms, short words: no evidence either way
    pairs = [low[i:i + 2] for i in range(n - 1)]
    if sum(p in _BIGRAMS for p in pairs) < 0.75 * len(pairs):
        return -n
    return n / 2 if run.isupper() else n
