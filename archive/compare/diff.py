"""The diff engine: pure functions over normalised word keys and tokens (no database).

A difference is *material* when it changes words, not just their spelling by the OCR:
an inserted or deleted word of 3+ letters (or with a digit), a changed number, or a
replaced run whose letters differ substantially — but not a fill-in against a few words
(its value, unrecognised), nor text that only moved (a line the OCR read out of order).
Two texts are the same variant when no change between them is material.
"""
from __future__ import annotations

import re
from collections import defaultdict
from difflib import SequenceMatcher

from archive.compare.normalize import GARBLED, Token

NOISE_CHAR_RATIO = 0.6      # a replaced run whose letters are at least this similar is OCR noise,
NOISE_MIN_CHARS = 3         # ... and so is one that differs by fewer letters than this
FILLIN_MAX_WORDS = 6        # a fill-in against up to this many words: an unrecognised value of it
MOVE_MIN_CHARS = 10         # a deleted run inserted elsewhere (letters this many, words this
MOVE_RATIO = 0.8            # similar) is moved, not changed
MOVE_MIN_WORDS = 6          # runs sharing this many words are noted as moved


def is_material(a: list[str], b: list[str]) -> bool:
    """Whether replacing keys *a* by *b* is a real change (see module docstring)."""
    if not a or not b:                      # an insertion or deletion: what is not a fill-in counts
        return any((len(k) >= 3 or any(c.isdigit() for c in k)) and not k.startswith(("‹", GARBLED))
                   for k in a or b)
    a, b = [k.lstrip(GARBLED) for k in a], [k.lstrip(GARBLED) for k in b]
    if all(k.startswith("‹") for k in a) or all(k.startswith("‹") for k in b):
        # Fill-ins only, or a fill-in against a few words: its value, not recognised there.
        return max(len(a), len(b)) > FILLIN_MAX_WORDS
    ja, jb = "".join(a), "".join(b)
    if any(c.isdigit() for c in ja + jb) and [c for c in ja if c.isdigit()] != [c for c in jb if c.isdigit()]:
        return True
    sm = SequenceMatcher(None, ja, jb, autojunk=False)
    differing = len(ja) + len(jb) - 2 * sum(m.size for m in sm.get_matching_blocks())
    return differing >= NOISE_MIN_CHARS and sm.ratio() < NOISE_CHAR_RATIO


def diff_keys(a: list[str], b: list[str]) -> tuple[float, list[list]]:
    """Word diff of keys *a* → *b*: (similarity, ops), each op ``[tag, i1, i2, j1, j2,
    material, moved]``. A run deleted here and inserted there (the same words, up to noise)
    is *moved*: not material when that is all it is (e.g. a line the OCR read out of
    order); a longer run shared by a deletion and an insertion is noted as moved too."""
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
    return _TIGHT.sub("", " ".join(t for _, t in tokens))


_TIGHT = re.compile(r" (?=['’]s\b|[,.;:)])")


def compare_keys(a: list[str], b: list[str]) -> tuple[float, int]:
    """(similarity, number of material changes) between two normalised texts."""
    similarity, ops = diff_keys(a, b)
    return similarity, sum(1 for o in ops if o[5])


def redline(a: list[Token], b: list[Token]) -> dict:
    """Word-level redline from *a* to *b*: ``{"similarity", "material", "ops": [...]}``.

    Each op is ``{"op": equal|delete|insert|replace, "a": text, "b": text, "material": bool}``
    (``a`` only for equal); text deleted in one place and inserted in another carries the
    same ``"moved"`` number on both ops.
    """
    similarity, diff = diff_keys([k for k, _ in a], [k for k, _ in b])
    ops = []
    for tag, i1, i2, j1, j2, material, moved in diff:
        op = {"op": tag, "a": join(a[i1:i2])}
        if tag != "equal":
            op.update(b=join(b[j1:j2]), material=material)
            if moved:
                op["moved"] = moved
        ops.append(op)
    return {"similarity": similarity, "material": sum(1 for o in ops if o.get("material")), "ops": ops}


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
