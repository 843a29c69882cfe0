"""The OCR-confusion model: which spellings of a word a scanner or OCR engine makes of it.

One table, used wherever two readings of a word must be judged the same or different
(compare's normaliser; anything that has to tell OCR noise from a changed word). The table
is data, derived by ``bench/derive_confusions.py`` from the corpus, not a list of the
misreadings someone happened to see (see :data:`GLYPH_PAIRS` for how).

:func:`skeleton` maps a word to the form shared by all its confusable spellings, run by
run (a run: letters and digits between punctuation, so ``13S7(g)`` is ``13S7`` and ``g``):

- a run of one character stands for its whole group, as a digit (``(l)`` and ``(1)`` read
  alike, and ``I-213`` as ``I213``);
- a run mostly of digits keeps digits (``13S7`` → ``1357``, ``810I`` → ``8101``): numbers
  whose digits differ (``10``/``11``) stay different, as no digit is confused with another
  digit in the table;
- a run mostly of letters keeps letters and merges the letter sequences (``5ection`` →
  ``section``, ``Fonn`` / ``Form``, ``perfonn`` / ``perform``).

Punctuation and case go; runs are joined, so words the OCR ran together (``2671.In``) read
as the two words (``2671. In``).
"""
from __future__ import annotations

import re
from functools import lru_cache

# The table, derived by bench/derive_confusions.py from the corpus (run it to see the
# evidence; `--evidence tests/fixtures/confusions-evidence.json --check` says whether this
# is still what the committed evidence gives). Pairs are case-folded (the skeleton is lower
# case). How:
# - pages whose text layer the read stage judges good: born-digital pages (the layer is the
#   truth), each OCR'd with the project's own settings (archive.read.ocr: pypdfium2 grey
#   at DEFAULT_DPI, tesseract CONFIG) as rendered and as a scanner gives print back
#   (sampled at 150-200 dpi, blurred, speckled, thresholded thin or thick, seeded by the
#   page); and scans whose text layer another OCR engine made, OCR'd as they are: 132
#   readings of 97 pages of 34 MOAs;
# - the OCR's words aligned with the layer's (difflib), each substitution of one or two
#   characters by one or two counted per unordered pair, with the documents it was seen in;
# - the rules: Unicode's confusables among letters and digits (UTS #39: 1/l, I/l, 0/O,
#   rn/m), and each pair seen >= 3 times and in >= 1% of the events, in >= 2 documents,
#   or a letter for a digit seen once (it makes no two words or numbers one, unless it
#   joins two letters); never a digit for a digit (a changed number stays a change), nor
#   a symbol, nor a pair that (with those kept before it: folds are transitive) makes two
#   right-spelled words of the born-digital layers one (e/o: "these"/"those"; f/t: "if"/"it")
#   or leaves a kept pair unfolded in one of them (ar/m: "team" read "tearn" is not folded);
# - tried on half of the documents (split by sha256) and checked on the other: the table
#   those rules give on the tune half explains 21.2% of the held-out half's 330 confusion
#   events by pair and makes none of its 1,028 right-spelled words one (the hand-made
#   table this replaces: 16.4%, and one pair of words made one);
# - this table is what the same rules give on all the evidence (428 events).
# What it misses is mostly a simulated scan's f/t, e/o and a layer's !/l (a symbol).
GLYPH_PAIRS: tuple[tuple[str, str], ...] = (
    ("0", "o"), ("1", "i"), ("1", "l"), ("2", "g"), ("5", "s"), ("8", "b"), ("c", "e"), ("i", "j"), ("i", "l"),
    ("r", "t"))
SEQUENCE_PAIRS: tuple[tuple[str, str], ...] = (("m", "in"), ("m", "rn"), ("n", "ri"), ("nn", "rm"))


class Model:
    """A confusion model built from pairs of characters and of character sequences."""

    def __init__(self, glyphs, sequences):
        chars = _Classes()
        for a, b in glyphs:
            chars.join(a.lower(), b.lower())
        while True:      # sequences whose classes hold two single characters join those
            as_letter = _translation(chars, letter=True)
            seqs = _Classes()
            for a, b in sequences:
                seqs.join(a.lower().translate(as_letter), b.lower().translate(as_letter))
            grew = False
            for members in seqs.groups():
                singles = sorted(m for m in members if len(m) == 1)
                for s in singles[1:]:
                    grew |= chars.join(singles[0], s)
            if not grew:
                break
        self._as_letter = as_letter
        self._as_digit = _translation(chars, letter=False)
        # each sequence → its class's shortest (then first) member; a rewrite makes the word
        # shorter or earlier in order, so rewriting again until nothing changes ends
        self._rewrite: dict[str, str] = {}
        for members in seqs.groups():
            canonical = min(members, key=lambda m: (len(m), m))
            for m in members:
                if m != canonical and len(m) > 1:
                    self._rewrite[m] = canonical
        self._sequences = (re.compile("|".join(sorted(map(re.escape, self._rewrite), key=len, reverse=True)))
                           if self._rewrite else None)
        self.skeleton = lru_cache(maxsize=200_000)(self._skeleton)

    def _skeleton(self, word: str) -> str:
        """The form of *word* (letters and digits only, lower case) that its OCR confusions share."""
        return "".join(self._run(r) for r in _RUN.findall(word.lower()))

    def _run(self, w: str) -> str:
        if len(w) == 1:
            return w.translate(self._as_digit)
        digits = sum(c.isdigit() for c in w)
        if digits and digits >= len(w) - digits:
            return w.translate(self._as_digit)
        w = w.translate(self._as_letter)
        while self._sequences:   # to a fixed point: "forrn" → "form" → "fonn"
            w, was = self._sequences.sub(lambda m: self._rewrite[m.group(0)], w), w
            if w == was:
                break
        return w


class _Classes:
    """Union-find over strings."""

    def __init__(self):
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def join(self, a: str, b: str) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        self.parent[max(ra, rb)] = min(ra, rb)
        return True

    def groups(self) -> list[set[str]]:
        out: dict[str, set[str]] = {}
        for x in list(self.parent):
            out.setdefault(self.find(x), set()).add(x)
        return [g for g in out.values() if len(g) > 1]


def _translation(chars: _Classes, *, letter: bool) -> dict[int, str]:
    """Each character of a class → its representative: as a letter (the class's first
    letter) in a word, as a digit (its first digit, if it has one) in a number."""
    table = {}
    for members in chars.groups():
        letters = sorted(m for m in members if m.isalpha())
        digits = sorted(m for m in members if m.isdigit())
        rep = (letters or digits or sorted(members))[0] if letter else (digits or letters or sorted(members))[0]
        table.update({ord(m): rep for m in members if m != rep})
    return table


_RUN = re.compile(r"[^\W_]+")
MODEL = Model(GLYPH_PAIRS, SEQUENCE_PAIRS)
skeleton = MODEL.skeleton


def confusable(a: str, b: str) -> bool:
    """Whether two readings are the same word up to OCR confusions."""
    return skeleton(a) == skeleton(b)
