"""Word spacing of a text layer: pdfium's reading, with the spaces it loses put back
from a second reading by poppler's ``pdftotext`` (archive.read.poppler) where the
document's own words say so.

pdfium turns glyph gaps into spaces by its own rule; on scanners' OCR layers and some
print drivers it runs words together ("ofthe Rehabilitation", "Federal TortClaims Act")
where poppler sees the break, and poppler in turn splits letter-spaced words ("monito
ring", "immi g r ation") that pdfium reads whole. Neither is right everywhere, so the two
readings of a page are aligned word by word (after case and punctuation folding), and
where they differ only in spacing (the same letters, cut differently) the cut whose
words are *known* wins: a word is known when both readers read it, on its own, somewhere
in the same document, or it is one of the common short words of these agreements (a
word of five letters or more that neither read alike counts a little when its letters
look like English). The
split reading wins when all its pieces are known and more common than the joined word;
otherwise the joined word stays. Everything else (letters, punctuation, line breaks,
reading order) is pdfium's.
"""
from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass

from archive.read.textquality import COMMON_SHORT, looks_like_word

_TOKEN = re.compile(r"\S+")
_FOLD = re.compile(r"[\W_]+")
_NOT_WORD = re.compile(r"[^\w\s]|_")        # _FOLD's characters, white space aside


@dataclass(frozen=True)
class Respaced:
    text: str
    changes: int          # spacing disputes decided for poppler's cut


def fold(token: str) -> str:
    return _FOLD.sub("", token).lower()


def _words(text: str) -> list[str]:
    """The folded words of *text*: fold() of every whitespace-separated token, those with
    a letter or digit only (one pass over the page, not one per token)."""
    return _NOT_WORD.sub("", text).lower().split()


def _tokens(text: str) -> list[tuple[int, int, str]]:
    """(start, end, folded) of every whitespace-separated token with a letter or digit
    (the same tokens as _words, with their places in *text*)."""
    out = []
    for m in _TOKEN.finditer(text):
        f = fold(m.group())
        if f:
            out.append((m.start(), m.end(), f))
    return out


def _align(ours: str, theirs: str):
    """Both readings' folded words and the opcodes that turn ours into theirs. Most
    pages agree word for word, or differ in a few places: the words both start and end
    with are matched as they are, and only what lies between goes to difflib."""
    a, b = _words(ours), _words(theirs)
    if a == b:
        return a, b, [("equal", 0, len(a), 0, len(b))] if a else []
    n = min(len(a), len(b))
    head = 0
    while head < n and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < n - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    middle = difflib.SequenceMatcher(None, a[head:len(a) - tail], b[head:len(b) - tail],
                                     autojunk=False).get_opcodes()
    opcodes = [("equal", 0, head, 0, head)] if head else []
    opcodes += [(op, i1 + head, i2 + head, j1 + head, j2 + head) for op, i1, i2, j1, j2 in middle]
    if tail:
        opcodes.append(("equal", len(a) - tail, len(a), len(b) - tail, len(b)))
    return a, b, opcodes


def agreed_words(pairs: list[tuple[str, str]], alignments=None) -> Counter:
    """Words both readers read alike, over a document's pages (pdfium text, poppler text)."""
    known: Counter = Counter()
    for k, (ours, theirs) in enumerate(pairs):
        a, _, opcodes = alignments[k] if alignments else _align(ours, theirs)
        for op, i1, i2, _, _ in opcodes:
            if op == "equal":
                known.update(a[i1:i2])
    return known


def respace_document(pairs: list[tuple[str, str]]) -> list[Respaced]:
    """respace() for every page of a document, each page aligned once."""
    alignments = [_align(ours, theirs) for ours, theirs in pairs]
    known = agreed_words(pairs, alignments)
    return [respace(ours, theirs, known, alignment)
            for (ours, theirs), alignment in zip(pairs, alignments)]


def respace(ours: str, theirs: str, known: Counter, alignment=None) -> Respaced:
    """*ours* (pdfium's page text) with each spacing dispute against *theirs* (poppler's)
    decided by *known* (agreed_words of the document)."""
    a, b, opcodes = alignment or _align(ours, theirs)
    a_tok = None                      # places of our tokens, found when first needed
    inserts: list[int] = []           # positions in *ours* where a space goes in
    joins: list[tuple[int, int]] = []  # spans of white space in *ours* to remove
    changes = 0
    for op, i1, i2, j1, j2 in opcodes:
        if op == "equal" or i1 == i2 or j1 == j2:
            continue
        if "".join(a[i1:i2]) != "".join(b[j1:j2]):
            continue
        for (i1, i2), (j1, j2) in _disputes(a, i1, i2, b, j1, j2):
            x, y = a[i1:i2], b[j1:j2]
            split, joined = (y, x) if len(y) > len(x) else (x, y)
            if _split_wins(split, joined, known) != (split is y):
                continue              # pdfium's cut is the better one: keep it
            changes += 1
            a_tok = a_tok or _tokens(ours)
            if split is y:            # put poppler's breaks into our tokens
                inserts += _break_positions(ours, a_tok[i1:i2], y)
            else:                     # poppler reads these as fewer words: join ours
                joins += _joins_to_match(a_tok[i1:i2], y)
    if not changes:
        return Respaced(ours, 0)
    edits = [(p, p, " ") for p in inserts] + [(s, e, "") for s, e in joins]
    out = ours
    for start, end, new in sorted(edits, reverse=True):
        out = out[:start] + new + out[end:]
    return Respaced(out, changes)


def _disputes(a: list[str], i1: int, i2: int, b: list[str], j1: int, j2: int):
    """The same letters cut differently, a[i1:i2] and b[j1:j2], split where both cut
    alike into the smallest runs that differ: ((i1, i2), (j1, j2)) for each."""
    def cuts(words, start, end):
        out, n = {}, 0
        for k in range(start, end):
            n += len(words[k])
            out[n] = k + 1
        return out
    ca, cb = cuts(a, i1, i2), cuts(b, j1, j2)
    out, pa, pb = [], i1, j1
    for n in sorted(ca.keys() & cb.keys()):
        ea, eb = ca[n], cb[n]
        if ea - pa != eb - pb:
            out.append(((pa, ea), (pb, eb)))
        pa, pb = ea, eb
    return out


def _known(word: str, known: Counter) -> float:
    """How sure we are that *word* is a word: how often both readers read it, plus a
    common short word's weight; a long word never read alike still counts a little
    when its letters look like English (0.5)."""
    score = known[word] + (1000 if word in COMMON_SHORT else 0)
    if not score and len(word) >= 5 and word.isalpha() and looks_like_word(word):
        return 0.5
    return score


def _split_wins(split: list[str], joined: list[str], known: Counter) -> bool:
    pieces = [_known(w, known) for w in split]
    if min(pieces) == 0:
        return False
    # the joined side is judged by what was read alike only: letters alone cannot tell
    # "ofincarceration" from a word
    return min(pieces) > max(known[w] + (1000 if w in COMMON_SHORT else 0) for w in joined)


def _break_positions(ours: str, tokens: list[tuple[int, int, str]], target: list[str]) -> list[int]:
    """Positions in *ours* at which the folded letters of *tokens* must be cut to read
    as *target*'s words (cuts already at a token boundary need nothing)."""
    cuts, n = set(), 0
    for w in target[:-1]:
        n += len(w)
        cuts.add(n)
    out, n = [], 0
    for start, end, _ in tokens:
        for k in range(start, end):
            if _FOLD.fullmatch(ours[k]):
                continue
            if n in cuts and k != start:
                out.append(k)
            n += 1
    return out


def _joins_to_match(tokens: list[tuple[int, int, str]], target: list[str]) -> list[tuple[int, int]]:
    """The white space between consecutive *tokens* that lies inside one of *target*'s words."""
    bounds, n = set(), 0
    for w in target:
        n += len(w)
        bounds.add(n)
    out, n = [], 0
    for (s1, e1, f1), (s2, _, _) in zip(tokens, tokens[1:]):
        n += len(f1)
        if n not in bounds:
            out.append((e1, s2))
    return out
