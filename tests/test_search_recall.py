"""The recall bar: search against an exhaustive scan of the stored text (the oracle).

Every document whose stored text contains a phrase (or satisfies a boolean query) is
returned by search, and no other; unquoted words find their inflections (the oracle
stems every word of the text with the Snowball stemmer, independently of the index);
compound words are found joined, and by a fuzzy form of the joined word; run-together
words ("ofthe") are found by the phrase they hold; phrases with one misspelled word are
found with `~`; phrases across a page break are found, on the page where they start;
and a query that must find nothing finds nothing.

Runs on the fixture corpus's text (always), on the fixture archive, and on the whole
shared corpus (MOA_TEST_CORPUS_ARCHIVE=... to reuse a built one). The cases are drawn
from the texts themselves (no list of known documents), so they carry over to any
archive."""
from __future__ import annotations

import re
import unicodedata

import pytest
import Stemmer

from archive import search

PHRASES = [
    "notice to appear", "notice of appear", "70 percent", "70-percent", "Sheriff’s Office",
    "sheriff's office", "warrant service officer", "jail enforcement model", "task force",
    "U.S.C.", "287(g)", "civil rights", "limited English proficiency", "detainer",
    "immigration officer functions", "field office director", "points of contact",
    "hold harmless", "in accordance with", "removal proceedings", "the SOP", "I-247A",
]
# query -> the oracle: has(phrase) on the text as typed, word(w) any word of w's stem
BOOLEANS = [
    ("detainer AND warrant", lambda has, word: word("detainer") and word("warrant")),
    ("=detainer OR =detainers", lambda has, word: has("detainer") or has("detainers")),
    ("training NOT certification", lambda has, word: word("training") and not word("certification")),
    ("(jail OR correctional) AND NOT detainer",
     lambda has, word: (word("jail") or word("correctional")) and not word("detainer")),
    ('"notice to appear" AND fingerprinting', lambda has, word: has("notice to appear") and word("fingerprinting")),
    ('"task force" OR "warrant service"', lambda has, word: has("task force") or has("warrant service")),
]
# (fuzzy query, OCR misreading it must catch)
FUZZY = [("perform~", "perfonn"), ("jail/correctional~", "jaiVcorrectional"),
         ("jaiVcorrectional~", "jail/correctional"), ("proficiency~", "proficency")]
# (unquoted word, an inflected form it must find)
INFLECTIONS = [("detainer", "detainers"), ("detainer", "detainer's"), ("notify", "notified"),
               ("notify", "notifies"), ("agency", "agencies"), ("officer", "officers"),
               ("require", "requirements")]
NOTHING = ['"zyzzyva quagga"', "xylophonically", '"notice of appear"', "detainer AND NOT detainer"]

_stemmer = Stemmer.Stemmer("english")


def norm(text: str) -> str:
    """Independent of the index: fold accents and case, every non-word run to one space."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " " + " ".join(re.sub(r"[\W]+", " ", text).split()) + " "


PAGE_READINGS = ("SELECT sha256, text FROM pages", "SELECT sha256, text_layer FROM pages",
                 "SELECT sha256, ocr_text FROM pages WHERE ocr_text IS NOT NULL")


def stored_texts(d, sqls=(*PAGE_READINGS, "SELECT sha256, text FROM sections",
                          "SELECT sha256, value FROM form_fields")) -> dict[str, list[str]]:
    """Every text the archive read, per document: each page reading, sections, form values."""
    texts: dict[str, list[str]] = {r[0]: [] for r in d.db.execute("SELECT sha256 FROM documents")}
    for sql in sqls:
        for sha, text in d.db.execute(sql):
            if sha in texts:
                texts[sha].append(norm(text))
    return texts


def stems_of(texts) -> dict[str, set[str]]:
    return {sha: {_stemmer.stemWord(w) if w.isalpha() and len(w) >= 3 else w
                  for t in ts for w in t.split()} for sha, ts in texts.items()}


def containing(texts, phrase: str) -> set[str]:
    want = norm(phrase)
    return {sha for sha, ts in texts.items() if any(want in t for t in ts)}


def with_word(stems, word: str) -> set[str]:
    w = norm(word).strip()
    s = _stemmer.stemWord(w) if w.isalpha() and len(w) >= 3 else w
    return {sha for sha, st in stems.items() if s in st}


def found(d, query: str) -> set[str]:
    return {h.sha256 for h in search.search(d, query, all_results=True).hits}


def damage(word: str) -> str:
    """One letter of *word* misread (not the first): the kind of error fuzzy must bear."""
    k = len(word) // 2
    return word[:k] + ("x" if word[k] != "x" else "y") + word[k + 1:]


def check_recall(d, *, require_fuzzy: tuple[str, ...] = ()) -> None:
    texts = stored_texts(d)
    stems = stems_of(texts)
    assert any(texts.values()), "the archive holds no text: nothing to check"
    problems = []

    def compare(query, want, *, exact=True):
        got = found(d, query)
        if want - got:
            problems.append(f"{query}: missed {sorted(s[:12] for s in want - got)}")
        if exact and got - want:
            problems.append(f"{query}: found without it {sorted(s[:12] for s in got - want)}")

    for phrase in PHRASES:
        compare(f'"{phrase}"', containing(texts, phrase))
    assert containing(texts, "notice to appear"), "corpus text lacks a phrase every MOA has"
    for query, test in BOOLEANS:
        want = {sha for sha in texts
                if test(lambda p, sha=sha: bool(containing({sha: texts[sha]}, p)),
                        lambda w, sha=sha: bool(with_word({sha: stems[sha]}, w)))}
        compare(query, want)
    for query, misreading in FUZZY:
        want = containing(texts, misreading)
        if misreading in require_fuzzy:
            assert want, f"{misreading!r} no longer occurs in the corpus text"
        compare(query, want, exact=False)
    for query in NOTHING:
        if found(d, query):
            problems.append(f"{query} must find nothing")
    assert not problems, "\n".join(problems)


def check_inflections(d) -> None:
    texts = stored_texts(d)
    stems = stems_of(texts)
    problems, seen = [], 0
    for word, form in INFLECTIONS:
        want = containing(texts, form)
        seen += bool(want)
        got = found(d, word)
        if want - got:
            problems.append(f"{word} misses {len(want - got)} documents with {form!r}")
        if got != with_word(stems, word):
            problems.append(f"{word}: not the documents with a word of its stem")
        only = want - containing(texts, word)       # documents with the form, not the word
        stem = _stemmer.stemWord(word)
        for hit in search.search(d, word, all_results=True).hits:
            if hit.sha256 not in only:
                continue
            marked = [norm(m).strip() for x in hit.matches for m in re.findall(r"<mark>(.*?)</mark>", x.snippet)]
            if not marked or any(_stemmer.stemWord(m) != stem for m in marked if m.isalpha()):
                problems.append(f"{word}: the snippets of {hit.sha256[:12]} mark {marked[:5]}")
    # quoted, or with =, a word is matched as typed
    compare_exact = containing(texts, "detainer")
    if found(d, '"detainer"') != compare_exact or found(d, "=detainer") != compare_exact:
        problems.append('"detainer" / =detainer do not find exactly the documents with the word')
    assert seen >= 3, "the corpus text lacks the inflected forms to check"
    assert not problems, "\n".join(problems)


COMPOUND_RE = re.compile(r"\b([A-Za-z]{3,})[/-]([A-Za-z]{3,})\b")


def check_compounds(d, limit: int = 25) -> None:
    """Every a/b or a-b of the text: found as "ab", as the phrase "a b", and by a fuzzy
    form of "ab" with one letter misread."""
    texts = stored_texts(d)
    raw = [r[0] for r in d.db.execute("SELECT text FROM pages UNION ALL SELECT text_layer FROM pages")]
    pairs = sorted({(a.lower(), b.lower()) for t in raw if t for a, b in COMPOUND_RE.findall(t)})
    pairs = pairs[:: max(1, len(pairs) // limit)][:limit]
    assert pairs, "no compound words in the corpus text"
    problems = []
    for a, b in pairs:
        want = containing(texts, f"{a} {b}")
        written = {sha for sha in want if any(f"{a}/{b}" in t or f"{a}-{b}" in t for t in _raw_texts(d, sha))}
        for query, must in ((a + b, written), (f'"{a} {b}"', want), (damage(a + b) + "~", written)):
            missed = must - found(d, query)
            if missed:
                problems.append(f"{query}: missed {len(missed)} of {len(must)}")
    assert not problems, "\n".join(problems)


def _raw_texts(d, sha: str) -> list[str]:
    return [(t or "").lower() for r in d.db.execute(
        "SELECT text, text_layer, ocr_text FROM pages WHERE sha256 = ?", (sha,)) for t in r]


def check_run_together(d) -> int:
    """Tokens of the text that are two common words run together ("ofthe": "of" and "the"
    are frequent, "ofthe" is rare and its halves are printed apart elsewhere): the phrase
    with the word before and after, written apart or as printed, finds the document. The
    phrases are taken from the page readings: a section's text leaves out the revision
    footers, so its words can stand next to each other across a footer, which is not what
    this check is about (known miss, see issue #13's note)."""
    texts = stored_texts(d, PAGE_READINGS)
    counts: dict[str, int] = {}
    for ts in texts.values():
        for t in ts:
            for w in t.split():
                counts[w] = counts.get(w, 0) + 1
    common = {w for w, n in counts.items() if n >= 200 and w.isalpha()}
    cases = []
    for sha, ts in texts.items():
        for t in ts:
            words = t.split()
            for i in range(1, len(words) - 1):
                w = words[i]
                if counts[w] > 3 or not w.isalpha():
                    continue
                for k in range(2, len(w) - 1):
                    if w[:k] in common and w[k:] in common and len(w[k:]) >= 3 and \
                            containing(texts, f"{w[:k]} {w[k:]}"):
                        cases.append((sha, f"{words[i - 1]} {w[:k]} {w[k:]} {words[i + 1]}"))
                        # and as printed, the run with a word on each side of it
                        cases.append((sha, f"{words[i - 1]} {w} {words[i + 1]}"))
    problems = []
    for sha, phrase in cases[:80]:
        if sha not in found(d, f'"{phrase}"'):
            problems.append(f'"{phrase}" misses {sha[:12]}')
    assert not problems, "\n".join(problems)
    return len(cases)


def check_fuzzy_phrases(d) -> None:
    """Each multi-word phrase, one word misread and marked ~, finds what the phrase finds."""
    texts = stored_texts(d)
    problems = []
    for phrase in PHRASES:
        words = norm(phrase).split()
        long_ = [i for i, w in enumerate(words) if len(w) >= 6 and w.isalpha()]
        if len(words) < 2 or not long_:
            continue
        i = long_[-1]
        query = " ".join(words[:i] + [damage(words[i]) + "~"] + words[i + 1:])
        missed = containing(texts, phrase) - found(d, f'"{query}"')
        if missed:
            problems.append(f'"{query}": missed {len(missed)}')
    assert not problems, "\n".join(problems)


def check_cross_page(d, limit: int = 40) -> int:
    """Four words of a section's text that run over a page break (in no single page's
    text): the document is found, with the page where they start."""
    cases = []
    for sha, first, last, text in d.db.execute(
            "SELECT sha256, first_page, last_page, text FROM sections WHERE last_page > first_page"):
        pages = {p: norm(t) for p, t in d.db.execute(
            "SELECT page, text FROM pages WHERE sha256 = ? AND page BETWEEN ? AND ?", (sha, first, last))}
        words = norm(text).split()
        for n in range(first, last):
            if n not in pages or n + 1 not in pages:
                continue
            head = pages[n + 1].split()[:40]
            for k in range(len(head) - 3):       # where page n+1's own text starts in the section
                at = " ".join(head[k:k + 4])
                j = norm(" ".join(words)).find(" " + at + " ")
                if j > 0:
                    before = norm(" ".join(words))[:j].split()
                    if len(before) >= 2:
                        phrase = " ".join(before[-2:] + head[k:k + 2])
                        if all(f" {phrase} " not in t for t in pages.values()) and \
                                f" {' '.join(before[-2:])} " in pages[n]:
                            cases.append((sha, n, phrase))
                    break
    problems = []
    for sha, n, phrase in cases[:: max(1, len(cases) // limit)][:limit]:
        res = search.search(d, f'"{phrase}"', within=sha)
        if not res.hits:
            problems.append(f'"{phrase}" (pages {n}-{n + 1}) misses {sha[:12]}')
        elif n not in res.hits[0].pages:
            problems.append(f'"{phrase}" found in {sha[:12]} on pages {res.hits[0].pages}, not {n}')
    assert not problems, "\n".join(problems)
    return len(cases)


def test_recall_on_fixture_text(text_archive):
    check_recall(text_archive, require_fuzzy=("perfonn",))


def test_inflections_compounds_fuzzy_phrases_and_page_breaks_on_fixture_text(text_archive):
    check_inflections(text_archive)
    check_compounds(text_archive)
    check_fuzzy_phrases(text_archive)
    assert check_cross_page(text_archive) >= 5


def test_recall_on_fixture_archive(fixture_archive):
    assert fixture_archive.db.execute("SELECT count(*) FROM pages").fetchone()[0], "process() read no pages"
    check_recall(fixture_archive)


@pytest.mark.corpus
def test_recall_on_corpus_archive(corpus_archive):
    check_recall(corpus_archive, require_fuzzy=("perfonn", "jaiVcorrectional"))


@pytest.mark.corpus
def test_plural_and_possessive_forms_on_corpus_archive(corpus_archive):
    check_inflections(corpus_archive)


@pytest.mark.corpus
def test_compound_words_on_corpus_archive(corpus_archive):
    check_compounds(corpus_archive)


@pytest.mark.corpus
def test_run_together_words_on_corpus_archive(corpus_archive):
    assert check_run_together(corpus_archive) >= 1


@pytest.mark.corpus
def test_fuzzy_inside_phrases_on_corpus_archive(corpus_archive):
    check_fuzzy_phrases(corpus_archive)


@pytest.mark.corpus
def test_phrases_across_page_breaks_on_corpus_archive(corpus_archive):
    assert check_cross_page(corpus_archive) >= 20
