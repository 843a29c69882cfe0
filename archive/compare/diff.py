"""The diff engine: pure functions over normalised word keys and tokens (no database).

A difference is *material* when it changes words, not just their spelling by the OCR:
an inserted or deleted word of 3+ letters (or with a digit), a changed number, a
replaced run whose letters differ substantially, or right-spelled words replaced by other
right-spelled words however alike ("must"/"most", "and"/"any") — but not a fill-in
against a few words (its value, unrecognised), nor text that only moved (a line the OCR
read out of order). Spellings the OCR-confusion model folds have one key already.
Two texts are the same variant when no change between them is material.
"""
from __future__ import annotations

import re
from collections import defaultdict
from difflib import SequenceMatcher
from functools import lru_cache

from archive.compare.normalize import GARBLED, Tok, Token
from archive.read.ocr_confusions import skeleton
from archive.search.vocabulary import common_words

NOISE_CHAR_RATIO = 0.6      # a replaced run whose letters are at least this similar is OCR noise,
NOISE_MIN_CHARS = 3         # ... and so is one that differs by fewer letters than this
FILLIN_MAX_WORDS = 6        # a fill-in against up to this many words: an unrecognised value of it
MOVE_MIN_CHARS = 10         # a deleted run inserted elsewhere (letters this many, words this
MOVE_RATIO = 0.8            # similar) is moved, not changed
MOVE_MIN_WORDS = 6          # runs sharing this many words are noted as moved


def is_material(a: list[str], b: list[str]) -> bool:
    """Whether replacing keys *a* by *b* is a real change (see module docstring)."""
    if a == b:
        return False
    if not a or not b:                      # an insertion or deletion: what is not a fill-in counts
        run = a or b
        # A running header or footer: the agency's name with the page number ("BLAINE COUNTY
        # SHERIFF'S OFFICE 9"), printed wherever a page breaks inside a section.
        header = "‹agency›" in run or "‹page›" in run
        return any((len(k) >= 3 or any(c.isdigit() for c in k)) and not k.startswith(("‹", GARBLED))
                   and not (header and k.isdigit() and len(k) <= 3)
                   for k in run)
    misread = any(k.startswith(GARBLED) for k in a + b)     # symbols no word has: the OCR's
    a, b = [k.lstrip(GARBLED) for k in a], [k.lstrip(GARBLED) for k in b]
    if all(k.startswith("‹") for k in a) or all(k.startswith("‹") for k in b):
        # Fill-ins only, or a fill-in against a few words: its value, not recognised there.
        return max(len(a), len(b)) > FILLIN_MAX_WORDS
    ja, jb = "".join(a), "".join(b)
    if any(c.isdigit() for c in ja + jb) and [c for c in ja if c.isdigit()] != [c for c in jb if c.isdigit()]:
        return True
    sm = SequenceMatcher(None, ja, jb, autojunk=False)
    differing = len(ja) + len(jb) - 2 * sum(m.size for m in sm.get_matching_blocks())
    if differing >= NOISE_MIN_CHARS and sm.ratio() < NOISE_CHAR_RATIO:
        return True
    # Letters this alike are OCR noise only where a misreading is involved: a misreading
    # mostly makes no word, a change of wording makes right-spelled ones.
    return not misread and all(k in word_keys() for k in a + b)


@lru_cache(maxsize=1)
def word_keys() -> frozenset[str]:
    """The keys of English's common words (archive.search.vocabulary.common_words)."""
    return frozenset(skeleton(w) for w in common_words())


def diff_keys(a: list[str], b: list[str]) -> tuple[float, list[list]]:
    """Word diff of keys *a* → *b*: (similarity, ops), each op ``[tag, i1, i2, j1, j2,
    material, moved]``. A run deleted here and inserted there (the same words, up to noise)
    is *moved*: not material when that is all it is (e.g. a line the OCR read out of
    order); a longer run shared by a deletion and an insertion is noted as moved too."""
    if a == b:                               # the usual case between agreements: nothing to find
        return 1.0, ([["equal", 0, len(a), 0, len(b), False, None]] if a else [])
    sm = SequenceMatcher(None, a, b, autojunk=False)
    ops = [[tag, i1, i2, j1, j2, tag != "equal" and is_material(a[i1:i2], b[j1:j2]), None]
           for tag, i1, i2, j1, j2 in sm.get_opcodes()]
    gone = [o for o in ops if o[0] in ("delete", "replace") and o[5]]
    came = [o for o in ops if o[0] in ("insert", "replace") and o[5]]
    moves = 0
    for d in gone:
        da = a[d[1]:d[2]]
        for i in came:
            ib = b[i[3]:i[4]]
            if i is d or i[6] or SequenceMatcher(None, da, ib, autojunk=False).real_quick_ratio() < 0.5:
                continue
            m = SequenceMatcher(None, da, ib, autojunk=False)
            whole = d[0] == "delete" and i[0] == "insert"
            if whole and len("".join(da)) >= MOVE_MIN_CHARS and m.ratio() >= MOVE_RATIO:
                moves += 1
                d[5] = i[5] = False
                d[6] = i[6] = moves
                break
            if m.find_longest_match(0, len(da), 0, len(ib)).size >= MOVE_MIN_WORDS:
                moves += 1
                d[6] = d[6] or moves
                i[6] = moves
                break
    return (round(sm.ratio(), 4) if a or b else 1.0), ops


def join(tokens: list[Token]) -> str:
    """Display text of tokens; no space before what a fill-in was cut from ("LEA’s", "LEA,")."""
    return _TIGHT.sub("", " ".join(t[1] for t in tokens))


_TIGHT = re.compile(r" (?=['’]s\b|[,.;:)])")


def compare_keys(a: list[str], b: list[str]) -> tuple[float, int]:
    """(similarity, number of material changes) between two normalised texts."""
    similarity, ops = diff_keys(a, b)
    return similarity, sum(1 for o in ops if o[5])


def redline(a: list, b: list, text_a: str | None = None, text_b: str | None = None) -> dict:
    """Word-level redline from *a* to *b* (tokens of :func:`~archive.compare.normalize.tokenize_spans`
    cut from *text_a* and *text_b*): ``{"similarity", "material", "ops": [...]}``.

    The ops carry the texts' own words: each is ``{"op", "a", "a_sep", "b", "b_sep", ...}``
    where ``a``/``b`` are the verbatim stretch of each text the op covers (``""`` for the side
    an insertion or deletion does not have) and ``a_sep``/``b_sep`` the spaces and
    punctuation after it, so the ops' ``a + a_sep`` rebuild *text_a* exactly (and ``b`` *text_b*).
    ``op`` is one of

    - ``equal`` — the same words;
    - ``fillin`` — fill-ins on both sides (each side's own value), ``label`` names their kinds;
    - ``noise`` — the same words read differently by the OCR (``Fonn``/``Form``);
    - ``delete`` / ``insert`` / ``replace`` — a difference, ``material`` or not; one that is
      not carries a ``label`` (``fill-in``, ``OCR noise``, ``moved``); text deleted in one place
      and inserted in another carries the same ``moved`` number on both ops.

    Tokens without spans (``(key, text)`` pairs) are taken as their texts joined by spaces.
    """
    a, text_a = _spanned(a, text_a)
    b, text_b = _spanned(b, text_b)
    similarity, diff = diff_keys([t[0] for t in a], [t[0] for t in b])
    ops: list[dict] = []
    for tag, i1, i2, j1, j2, material, moved in diff:
        if tag == "equal":
            ops += _equal_ops(a, b, i1, j1, i2 - i1, text_a, text_b)
            continue
        op = {"op": tag, **_side(a, text_a, i1, i2, "a"), **_side(b, text_b, j1, j2, "b"), "material": material}
        if not material:
            op["label"] = _label([t[0] for t in a[i1:i2]], [t[0] for t in b[j1:j2]], moved)
        if moved:
            op["moved"] = moved
        ops.append(op)
    for side, toks, text in (("a", a, text_a), ("b", b, text_b)):
        lead = text[:toks[0][2]] if toks else text
        first = next((o for o in ops if o[side]), None)
        if lead and first is not None:
            first[side] = lead + first[side]
    return {"similarity": similarity, "material": sum(1 for o in ops if o.get("material")), "ops": ops}


def _spanned(tokens: list, text: str | None) -> tuple[list[Tok], str]:
    if text is not None and all(len(t) == 4 for t in tokens):
        return tokens, text
    out, pos = [], 0
    for t in tokens:
        out.append(Tok(t[0], t[1], pos, pos + len(t[1])))
        pos += len(t[1]) + 1
    return out, " ".join(t[1] for t in tokens)


def _side(toks: list[Tok], text: str, i: int, j: int, side: str) -> dict:
    if i == j:
        return {side: "", f"{side}_sep": ""}
    after = toks[j].start if j < len(toks) else len(text)
    return {side: text[toks[i].start:toks[j - 1].end], f"{side}_sep": text[toks[j - 1].end:after]}


_NOT_ALNUM = re.compile(r"[\W_]+")


def _letters(s: str) -> str:
    return _NOT_ALNUM.sub("", s.lower())


def _equal_ops(a: list[Tok], b: list[Tok], i: int, j: int, n: int, text_a: str, text_b: str) -> list[dict]:
    """An equal run of keys split where its texts are fill-ins or differ by OCR noise."""
    def kind(k: int) -> str:
        ta, tb = a[i + k], b[j + k]
        if ta.key.startswith("‹"):
            return "fillin"
        return "equal" if ta.text == tb.text or _letters(ta.text) == _letters(tb.text) else "noise"

    kinds = [kind(k) for k in range(n)]
    ops, k = [], 0
    while k < n:
        cls, m = kinds[k], k + 1
        while m < n and kinds[m] == cls:
            m += 1
        op = {"op": cls, **_side(a, text_a, i + k, i + m, "a"), **_side(b, text_b, j + k, j + m, "b")}
        if cls == "fillin":
            what = dict.fromkeys(a[x].key.strip("‹›") for x in range(i + k, i + m))
            op["label"] = "fill-in: " + ", ".join(what)
        elif cls == "noise":
            op["label"] = "OCR noise"
        ops.append(op)
        k = m
    return ops


def _label(a: list[str], b: list[str], moved) -> str:
    """Why a change is not material."""
    if (a and all(k.startswith("‹") for k in a)) or (b and all(k.startswith("‹") for k in b)):
        return "fill-in"
    if moved:
        return "moved"
    if all(k.startswith(GARBLED) for k in a + b):
        return "unreadable marks"
    return "OCR noise"


def ratio(a: list[str], b: list[str]) -> float:
    if not a and not b:
        return 1.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def cluster(texts: dict[str, str]) -> list[list[str]]:
    """Group ids by their normalised texts (id → space-separated keys) into variants:
    identical texts first, then each distinct text joins the first (largest) variant whose
    representative it differs from by no material change. Largest variant first; within a
    variant, the ids of the representative text come first."""
    by_text: dict[str, list[str]] = defaultdict(list)
    for id_, norm in texts.items():
        by_text[norm].append(id_)
    groups: list[tuple[list[str], list[str]]] = []          # (representative keys, ids)
    for norm in sorted(by_text, key=lambda t: (-len(by_text[t]), t)):
        keys = norm.split()
        for rep, ids in groups:
            if SequenceMatcher(None, rep, keys, autojunk=False).real_quick_ratio() >= 0.5 \
                    and same_variant(rep, keys):
                ids += by_text[norm]
                break
        else:
            groups.append((keys, list(by_text[norm])))
    return [ids for _, ids in sorted(groups, key=lambda g: -len(g[1]))]


def same_variant(a: list[str], b: list[str]) -> bool:
    return SequenceMatcher(None, a, b, autojunk=False).quick_ratio() >= 0.7 and compare_keys(a, b)[1] == 0


def merged_order(a: list[str], b: list[str]) -> list[str]:
    """Slots of *a* in order, with the slots only in *b* inserted after their predecessor."""
    out = list(a)
    for i, slot in enumerate(b):
        if slot in out:
            continue
        prev = next((b[j] for j in range(i - 1, -1, -1) if b[j] in out), None)
        out.insert(out.index(prev) + 1 if prev else 0, slot)
    return out
