"""The OCR-confusion model: which spellings of a word a scanner or OCR engine makes of it.

One table, used wherever two readings of a word must be judged the same or different
(compare's normaliser; anything that has to tell OCR noise from a changed word). It is a
general rule from how OCR misreads print, not a list of misreadings seen:

- glyphs alike in shape: ``l``/``1``/``I``/``i``/``j``/``|``/``!``, ``O``/``0``,
  ``S``/``5``/``$``, ``B``/``8``;
- letter pairs read as one letter and back: ``rn``/``m``, ``rm``/``nn``/``m``, ``ln``/``in``/``m``,
  ``vv``/``w``, ``cl``/``d``;
- case.

:func:`skeleton` maps a word to the form shared by all its confusable spellings, run by
run (a run: letters and digits between punctuation, so ``13S7(g)`` is ``13S7`` and ``g``):

- a run of one character stands for its whole group, as a digit (``(l)`` and ``(1)`` read
  alike, and ``I-213`` as ``I213``);
- a run mostly of digits keeps digits (``13S7`` → ``1357``, ``810I`` → ``8101``): numbers
  whose digits differ (``10``/``11``) stay different;
- a run mostly of letters keeps letters and merges the letter pairs (``5ection`` →
  ``section``, ``Fonn`` / ``Form`` → ``fom``, ``perfonn`` / ``perform`` → ``perfom``).

Punctuation and case go; runs are joined, so words the OCR ran together (``2671.In``) read
as the two words (``2671. In``).
"""
from __future__ import annotations

import re
from functools import lru_cache

# Characters confused for one another, each group mapped to one representative: as letters
# (in a word of letters) and as digits (in a number).
_AS_LETTER = str.maketrans({"1": "l", "i": "l", "j": "l", "|": "l", "!": "l", "0": "o", "5": "s", "$": "s",
                            "8": "b"})
_AS_DIGIT = str.maketrans({"l": "1", "i": "1", "j": "1", "|": "1", "!": "1", "o": "0", "s": "5", "$": "5",
                           "b": "8"})
# Letter sequences OCR merges or splits, applied after the letters were mapped above
# (so "in" arrives as "ln"): each becomes its representative.
_SEQUENCES = re.compile(r"rn|rm|nn|ln|vv|cl")
_SEQUENCE_OF = {"rn": "m", "rm": "m", "nn": "m", "ln": "m", "vv": "w", "cl": "d"}


_RUN = re.compile(r"[^\W_]+")


@lru_cache(maxsize=200_000)
def skeleton(word: str) -> str:
    """The form of *word* (letters and digits only, lower case) that its OCR confusions share."""
    return "".join(_run(r) for r in _RUN.findall(word.lower()))


def _run(w: str) -> str:
    if len(w) == 1:
        return w.translate(_AS_DIGIT)
    digits = sum(c.isdigit() for c in w)
    if digits and digits >= len(w) - digits:
        return w.translate(_AS_DIGIT)
    return _SEQUENCES.sub(lambda m: _SEQUENCE_OF[m.group(0)], w.translate(_AS_LETTER))


def confusable(a: str, b: str) -> bool:
    """Whether two readings are the same word up to OCR confusions."""
    return skeleton(a) == skeleton(b)
