"""Recall on text the search rules were not tuned on (issue #13's bars), measured so that
over-fitting shows.

test_search_recall.py checks hand-picked queries on the whole corpus. Here every query is
drawn from the text itself with a fixed seed, and recall is reported per half of the
corpus: the *tuned* half (TUNED_ON, the same split as the section cutter's: the rules of
archive/search/vocabulary.py and the fuzzy misreading rule were written from its misses)
and the *held-out* half (its misses showed in test output, but no rule was written from
them). The oracle is an exhaustive scan of the stored text (test_search_recall's norm /
stems), independent of the index.

- strict: random phrases of 2-5 words from random pages, and random words of the text
  queried in an inflected form, must find every document the oracle finds (>= 99.5%);
- OCR damage: small archives of sampled documents of each half, their pages misread the
  way OCR misreads print (tests/ocr_damage.misread_words: the confusion model's glyphs
  and letter pairs), sections re-cut and the index built by the real pipeline; the
  correct word with `~`, alone and inside a phrase, finds the page holding its misreading
  (>= 98%);
- run-together words: the same, with the space dropped between random word pairs and
  random pairs written a/b or a-b (at the rates the corpus's own text layers show, or 1
  pair in 200 where that is more, so that a small sample holds enough); the phrase across
  the join finds the page (>= 98%), a/b is found as ab;
- the splitter never splits a real word of the archive (an English word by tesseract's
  word list that English usage writes as one word);
- queries that must find nothing (phrases and fuzzy words made to be in no text) find nothing.

The figures are printed (pytest -s) and quoted in the README, "Searching".
"""
from __future__ import annotations

import random
import re
import shutil
import sqlite3
import subprocess
from collections import Counter
from functools import lru_cache
from pathlib import Path

import pytest

from archive import search
from archive.search import rebuild_index
from archive.search.vocabulary import Splitter, count_words
from archive.structure.stage import segment_all
from store.datadir import DataDir
from ocr_damage import misread_words
from test_generalisation import TUNED_ON
from test_search_recall import _stemmer, containing, norm, stems_of, stored_texts, with_word

SEED = 13
STRICT_BAR, FUZZY_BAR, RUN_BAR = 0.995, 0.98, 0.98
SAMPLE_DOCS = 6          # documents of a half in each small damaged archive
PHRASES_PER_HALF = 50
WORDS_PER_HALF = 40
MISREADINGS = 100        # misread words looked for, alone and in a phrase, per half


def halves(d) -> dict[str, set[str]]:
    tuned, held = set(), set()
    for sha, name in d.db.execute("SELECT sha256, file_name FROM documents"):
        (tuned if name in TUNED_ON else held).add(sha)
    return {"tuned": tuned, "held-out": held}


def page_words(d, shas) -> list[tuple[str, int, list[str]]]:
    out = []
    for sha, page, text in d.db.execute("SELECT sha256, page, text FROM pages ORDER BY sha256, page"):
        if sha in shas:
            words = norm(text).split()
            if len(words) >= 8:
                out.append((sha, page, words))
    return out


def found(d, query: str, within: str | None = None):
    return search.search(d, query, all_results=True, within=within, suggest=False).hits


def page_finder(d, misses: list[str]):
    """on_page(query, sha, page): whether *query* finds that page of that document (a
    miss is noted in *misses*)."""
    def on_page(query: str, sha: str, page: int) -> bool:
        hits = found(d, query, within=sha)
        ok = bool(hits) and page in hits[0].pages
        if not ok:
            misses.append(f"{query} on {sha[:8]} p{page}")
        return ok
    return on_page


def recall(cases) -> tuple[int, int]:
    return sum(g for g, _ in cases), sum(w for _, w in cases)


def share(got: int, want: int) -> float:
    return got / want if want else 1.0


def figure(name: str, got: int, want: int) -> str:
    return f"{name}: {share(got, want):.2%} ({got}/{want})"


# --- strict: generated phrases and inflected words, on the corpus archive ----------------

INFLECTIONS = (lambda w: w + "s", lambda w: w + "'s", lambda w: w + "es", lambda w: w[:-1] + "ies",
               lambda w: w + "ed", lambda w: w + "d", lambda w: w + "ing", lambda w: w[:-1] + "ing",
               lambda w: w[:-1], lambda w: w[:-2], lambda w: w[:-3] + "y")


def inflected(rng: random.Random, word: str) -> str | None:
    """Another form of *word* of the same stem (what a user types), or None."""
    stem = _stemmer.stemWord(word)
    forms = [f(word) for f in INFLECTIONS]
    forms = [f for f in forms if f != word and len(f) >= 3
             and _stemmer.stemWord(f.replace("'s", "")) == stem]
    return rng.choice(forms) if forms else None


def strict_cases(d, texts, stems, shas, rng) -> tuple[list, list, list[str]]:
    pages = page_words(d, shas)
    phrase_cases, word_cases, misses = [], [], []
    for _ in range(PHRASES_PER_HALF):
        sha, page, words = rng.choice(pages)
        k = rng.randint(2, 5)
        i = rng.randrange(len(words) - k)
        phrase = " ".join(words[i:i + k])
        want = containing(texts, phrase)
        got = {h.sha256 for h in found(d, f'"{phrase}"')}
        phrase_cases.append((len(want & got), len(want)))
        if want - got:
            misses.append(f'"{phrase}" misses {len(want - got)} of {len(want)}')
    for _ in range(WORDS_PER_HALF):
        sha, page, words = rng.choice(pages)
        word = rng.choice([w for w in words if w.isalpha() and len(w) >= 3] or ["notice"])
        query = inflected(rng, word) or word
        want = with_word(stems, query.replace("'s", ""))
        got = {h.sha256 for h in found(d, query)}
        word_cases.append((len(want & got), len(want)))
        if want - got:
            misses.append(f"{query} (from {word!r}) misses {len(want - got)} of {len(want)}")
    return phrase_cases, word_cases, misses


@pytest.mark.corpus
def test_generated_strict_queries_per_half(corpus_archive):
    d = corpus_archive
    texts = stored_texts(d)
    stems = stems_of(texts)
    report, problems = [], []
    for half, shas in halves(d).items():
        assert len(shas) >= 20, f"the {half} half holds {len(shas)} documents"
        rng = random.Random(f"{SEED}-{half}")
        phrases, words, misses = strict_cases(d, texts, stems, shas, rng)
        got, want = recall(phrases + words)
        report += [figure(f"{half} phrases", *recall(phrases)), figure(f"{half} words", *recall(words)),
                   figure(f"{half} strict", got, want)]
        if share(got, want) < STRICT_BAR:
            problems.append(f"{half}: strict recall {share(got, want):.2%} < {STRICT_BAR:.1%}: "
                            + "; ".join(misses[:12]))
    print("\n" + "\n".join(report))
    assert not problems, "\n".join(problems)


# --- queries that must find nothing ----------------------------------------------------

def _within(a: str, b: str, k: int) -> bool:
    """Levenshtein distance of a and b is at most k."""
    if abs(len(a) - len(b)) > k:
        return False
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) > k:
            return False
        prev = cur
    return prev[-1] <= k


def nothing_queries(texts, rng, n: int = 12) -> list[str]:
    """Phrases of two words of the text that stand together in no text (nor joined), and
    letter-shuffled words no word of the text is within 3 edits of, with and without ~."""
    vocab = Counter(w for ts in texts.values() for t in ts for w in t.split())
    words = sorted(w for w, c in vocab.items() if w.isalpha() and len(w) >= 8 and c >= 3)
    everything = " ".join(t for ts in texts.values() for t in ts)
    out = []
    while len(out) < n:
        a, b = rng.sample(words, 2)
        if f" {a} {b} " not in everything and a + b not in vocab:
            out.append(f'"{a} {b}"')
    by_start: dict[str, list[str]] = {}
    for w in vocab:
        by_start.setdefault(w[:1], []).append(w)
    while len(out) < 2 * n:
        w = list(rng.choice(words))
        rng.shuffle(w)
        w = "".join(w)
        if not any(_within(w, v, 3) for v in vocab if abs(len(v) - len(w)) <= 3):
            out += [w + "~", f'"{rng.choice(words)} {w}~"']
    return out


@pytest.mark.corpus
def test_generated_queries_that_must_find_nothing(corpus_archive):
    texts = stored_texts(corpus_archive)
    queries = nothing_queries(texts, random.Random(SEED))
    hits = {q: len(found(corpus_archive, q)) for q in queries}
    assert {q: n for q, n in hits.items() if n} == {}


# --- small archives of held-out documents, damaged -------------------------------------

def small_copy(src: DataDir, dest: Path, keep: set[str]) -> DataDir:
    """A copy of *src*'s database holding only the documents *keep* (no index, no files)."""
    dest.mkdir(parents=True)
    d = DataDir(dest)
    target = sqlite3.connect(d.db_path)
    src.db.backup(target)
    tables = [r[0] for r in target.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    marks = ",".join("?" * len(keep))
    target.execute("PRAGMA foreign_keys = OFF")
    for t in tables:
        if "sha256" in [c[1] for c in target.execute(f"PRAGMA table_info({t})")]:
            target.execute(f"DELETE FROM {t} WHERE sha256 NOT IN ({marks})", sorted(keep))
    target.commit()
    target.close()
    return d


def store_pages(d: DataDir, pages: dict[tuple[str, int], str]) -> None:
    """Each page's every reading replaced by *pages*' text, sections and facts re-cut from
    it (the real segmenter), the index built afresh (the real build)."""
    with d.db:
        for (sha, page), text in pages.items():
            d.db.execute("UPDATE pages SET text = ?, text_layer = ?, ocr_text = CASE WHEN ocr_text IS NULL"
                         " THEN NULL ELSE ? END WHERE sha256 = ? AND page = ?", (text, text, text, sha, page))
    segment_all(d, force=True)
    rebuild_index(d)


def sample(corpus_archive, half: str, rng) -> set[str]:
    return set(rng.sample(sorted(halves(corpus_archive)[half]), SAMPLE_DOCS))


WORD = re.compile(r"[A-Za-z]{3,}")


def misread_cases(original: str, damaged: str) -> list[tuple[int, str, str, tuple[str, str] | None, bool]]:
    """Each misread word of a page: (its place, the word as printed, as misread, the words
    before and after it when they were not misread, whether the page still holds the word
    as printed elsewhere). Misreadings keep words words (letters for letters or digits), so
    the two texts' words line up one to one."""
    was, now = norm(original).split(), norm(damaged).split()
    assert len(was) == len(now)
    kept = set(now)
    out = []
    for i, (a, b) in enumerate(zip(was, now)):
        if a != b:
            context = (was[i - 1], was[i + 1]) if 0 < i < len(was) - 1 and was[i - 1] == now[i - 1] \
                and was[i + 1] == now[i + 1] else None
            out.append((i, a, b, context, a in kept))
    return out


@pytest.fixture(scope="module", params=["tuned", "held-out"])
def misread_archive(request, corpus_archive, tmp_path_factory):
    """Documents of one half with 30% of their words misread as OCR misreads print, indexed;
    and each misreading: (sha, page, place, word as printed, as misread, context, kept)."""
    rng = random.Random(SEED)
    keep = sample(corpus_archive, request.param, rng)
    d = small_copy(corpus_archive, tmp_path_factory.mktemp("misread") / "data", keep)
    pages, cases = {}, []
    for sha, page, text in d.db.execute("SELECT sha256, page, text FROM pages ORDER BY sha256, page").fetchall():
        pages[(sha, page)] = damaged = misread_words(text or "", rng, share=0.3)
        cases += [(sha, page, *c) for c in misread_cases(text or "", damaged)]
    store_pages(d, pages)
    yield d, cases, request.param
    d.close()


@pytest.mark.corpus
def test_fuzzy_finds_ocr_misreadings_on_held_out_pages(misread_archive):
    d, cases, half = misread_archive
    rng = random.Random(SEED)
    alone = [c for c in cases if not c[6]]            # the page holds only the misreading
    in_context = [c for c in cases if c[5]]
    assert len(alone) >= 100 and len(in_context) >= 100, "too few misread words to measure"
    word_cases = rng.sample(alone, MISREADINGS)
    phrase_cases = rng.sample(in_context, MISREADINGS)
    misses: list[str] = []
    on_page = page_finder(d, misses)
    words = sum(on_page(f"{w}~", sha, page) for sha, page, _, w, _, _, _ in word_cases)
    phrases = sum(on_page(f'"{a} {w}~ {b}"', sha, page) for sha, page, _, w, _, (a, b), _ in phrase_cases)
    got, want = words + phrases, len(word_cases) + len(phrase_cases)
    print("\n" + "\n".join([figure(f"{half} misread, word~", words, len(word_cases)),
                            figure(f"{half} misread, in a phrase", phrases, len(phrase_cases)),
                            figure(f"{half} misread, fuzzy", got, want)]))
    assert share(got, want) >= FUZZY_BAR, "; ".join(misses[:20])
    texts = stored_texts(d)
    nothing = {q: len(found(d, q)) for q in nothing_queries(texts, random.Random(SEED), n=6)}
    assert {q: n for q, n in nothing.items() if n} == {}


# --- run-together words and compounds ----------------------------------------------------

def run_rates(corpus_archive) -> tuple[float, float]:
    """How often the corpus's own text layers run two words together (tokens the splitter
    splits) and write two words as one with / or - (a/b, a-b), per pair of words."""
    counts = count_words(t for row in corpus_archive.db.execute(
        "SELECT text, text_layer, ocr_text FROM pages") for t in row)
    splitter = Splitter(counts)
    words = runs = compounds = 0
    for (text,) in corpus_archive.db.execute("SELECT text_layer FROM pages"):
        tokens = re.findall(r"\w+", (text or "").lower())
        words += len(tokens)
        runs += sum(1 for t in tokens if splitter.split(t))
        compounds += len(re.findall(r"[A-Za-z]{2,}[/-][A-Za-z]{2,}", text or ""))
    return runs / max(words, 1), compounds / max(words, 1)


def run_together(text: str, rng: random.Random, p_run: float, p_compound: float):
    """*text* with the space between some pairs of words of letters dropped (a run) or
    written / or - (a compound), never two joins in a row; and each join: (its first
    word's place among the page's words, how it was joined)."""
    spans = list(re.finditer(r"\w+", text))
    out, last, joins, prev_join = [], 0, [], -2
    for j in range(len(spans) - 1):
        a, b = spans[j], spans[j + 1]
        if text[a.end():b.start()] != " " or not (a.group(0).isalpha() and b.group(0).isalpha()) \
                or j - prev_join < 2:
            continue
        r = rng.random()
        how = "" if r < p_run else rng.choice("/-") if r < p_run + p_compound else None
        if how is None:
            continue
        out += [text[last:a.end()], how]
        last, prev_join = b.start(), j
        joins.append((j, how))
    out.append(text[last:])
    return "".join(out), joins


@pytest.fixture(scope="module", params=["tuned", "held-out"])
def run_archive(request, corpus_archive, tmp_path_factory):
    """Documents of one half with words run together and compounds made, indexed; and each
    join: (sha, page, the phrase around it as a reader types it, the joined word, how)."""
    rng = random.Random(SEED + 1)
    rates = run_rates(corpus_archive)
    # at least one join in 200 pairs, so that a small sample has enough of them
    p_run, p_compound = max(rates[0], 0.005), max(rates[1], 0.005)
    keep = sample(corpus_archive, request.param, rng)
    d = small_copy(corpus_archive, tmp_path_factory.mktemp("runs") / "data", keep)
    vocabulary = {w for ts in stored_texts(corpus_archive).values() for t in ts for w in t.split()}
    pages, cases = {}, []
    for sha, page, text in d.db.execute("SELECT sha256, page, text FROM pages ORDER BY sha256, page").fetchall():
        pages[(sha, page)], joins = run_together(text or "", rng, p_run, p_compound)
        words = norm(text).split()
        if len(words) != len(re.findall(r"\w+", text or "")):
            continue        # a page whose words norm counts differently: no places to compare
        for j, how in joins:
            joined = words[j] + words[j + 1]
            if 0 < j and j + 2 < len(words) and (how or not (joined in vocabulary or real_word(
                    joined, (words[j], words[j + 1])))):
                cases.append((sha, page, " ".join(words[j - 1:j + 3]), words[j] + words[j + 1], how))
    store_pages(d, pages)
    yield d, cases, rates, request.param
    d.close()


@pytest.mark.corpus
def test_phrases_across_run_together_words_and_compounds(run_archive):
    """A join that makes a word the archive already has, or a real word ("may be" ->
    "maybe"), is left out: no reader of the text could tell it from the word."""
    d, cases, rates, half = run_archive
    runs = [c for c in cases if not c[4]]
    compounds = [c for c in cases if c[4]]
    assert len(runs) >= 100 and len(compounds) >= 100, (len(runs), len(compounds))
    misses: list[str] = []
    on_page = page_finder(d, misses)
    run_got = sum(on_page(f'"{phrase}"', sha, page) for sha, page, phrase, _, _ in runs)
    comp_got = sum(on_page(f'"{phrase}"', sha, page) for sha, page, phrase, _, _ in compounds)
    joined_got = sum(on_page(joined, sha, page) for sha, page, _, joined, _ in compounds)
    print(f"\nrates from the corpus's text layers: runs {rates[0]:.3%}, compounds {rates[1]:.3%} of word pairs")
    print("\n".join([figure(f"{half} phrase across a run", run_got, len(runs)),
                     figure(f"{half} phrase across a/b, a-b", comp_got, len(compounds)),
                     figure(f"{half} a/b, a-b found as ab", joined_got, len(compounds))]))
    assert comp_got == joined_got == len(compounds), "; ".join(misses[:25])
    assert share(run_got, len(runs)) >= RUN_BAR, "; ".join(misses[:25])


# --- the splitter never splits a real word -------------------------------------------------

@lru_cache(maxsize=1)
def tesseract_words() -> frozenset[str]:
    """tesseract's English word list (its eng.traineddata dictionary), unpacked with the
    tools tesseract ships."""
    import tempfile
    found_ = sorted(Path("/usr/share/tesseract-ocr").glob("*/tessdata/eng.traineddata"))
    if not found_ or not shutil.which("combine_tessdata") or not shutil.which("dawg2wordlist"):
        pytest.skip("needs tesseract's eng.traineddata, combine_tessdata and dawg2wordlist")
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "eng."
        subprocess.run(["combine_tessdata", "-u", str(found_[-1]), str(base)], check=True, capture_output=True)
        out = Path(tmp) / "words.txt"
        subprocess.run(["dawg2wordlist", f"{base}lstm-unicharset", f"{base}lstm-word-dawg", str(out)],
                       check=True, capture_output=True)
        return frozenset(w.strip().lower() for w in out.read_text(errors="replace").split())


# Words English writes as one, which web counts also see split ("can not"): checked by name.
CLOSED_COMPOUNDS = ("cannot", "into", "within", "without", "upon", "nowhere", "therein", "thereof",
                    "thereto", "hereby", "herein", "hereto", "hereinafter", "whereas", "whereby",
                    "notwithstanding", "workforce", "someone", "however", "otherwise", "forthwith",
                    "thereafter", "whatsoever", "wherever", "itself", "themselves", "anyone", "another")


@lru_cache(maxsize=1)
def english_counts():
    import wordsegment
    wordsegment.load()
    return wordsegment


def real_word(word: str, parts: tuple[str, ...]) -> bool:
    """One of tesseract's English words that English usage writes as one word at least
    1/100 as often as apart (wordsegment's web counts), or one of CLOSED_COMPOUNDS."""
    ws = english_counts()
    joined = ws.UNIGRAMS.get(word, 0)
    apart = ws.BIGRAMS.get(" ".join(parts[:2]), 0) if len(parts) == 2 else 0
    return word in CLOSED_COMPOUNDS or (word in tesseract_words() and joined * 100 >= apart)


@pytest.mark.corpus
def test_the_splitter_never_splits_a_real_word(corpus_archive):
    counts = count_words(t for row in corpus_archive.db.execute(
        "SELECT text, text_layer, ocr_text FROM pages") for t in row)
    splitter = Splitter(counts)
    wrong, splits = [], 0
    for word in counts:
        parts = splitter.split(word)
        if not parts:
            continue
        splits += 1
        if real_word(word, parts):
            wrong.append(f"{word} -> {' '.join(parts)}")
    print(f"\nthe splitter splits {splits} of the corpus's {len(counts)} words; real words split: {len(wrong)}")
    assert splits >= 10, "the splitter splits nothing: the check would pass by default"
    assert wrong == []
    assert all(splitter.split(w) is None for w in CLOSED_COMPOUNDS)
