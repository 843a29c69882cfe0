"""The recall bar: every document whose stored text contains a phrase (or satisfies a
boolean query) is returned by search, compared with an exhaustive scan of the database;
fuzzy queries catch the OCR misreadings found in the corpus.

Runs on the fixture corpus's text (always), on the fixture archive, and on the full
corpus archive (MOA_TEST_CORPUS_ARCHIVE=/work/devdata/corpus-archive to reuse one)."""
from __future__ import annotations

import re
import unicodedata

import pytest

from archive import search

PHRASES = [
    "notice to appear", "notice of appear", "70 percent", "70-percent", "Sheriff’s Office",
    "sheriff's office", "warrant service officer", "jail enforcement model", "task force",
    "U.S.C.", "287(g)", "civil rights", "limited English proficiency", "detainer",
    "immigration officer functions", "field office director", "points of contact",
    "hold harmless", "in accordance with", "removal proceedings", "the SOP", "I-247A",
]
BOOLEANS = [
    ("detainer AND warrant", lambda has: has("detainer") and has("warrant")),
    ("detainer OR detainers", lambda has: has("detainer") or has("detainers")),
    ("training NOT certification", lambda has: has("training") and not has("certification")),
    ("(jail OR correctional) AND NOT detainer",
     lambda has: (has("jail") or has("correctional")) and not has("detainer")),
    ('"notice to appear" AND fingerprinting', lambda has: has("notice to appear") and has("fingerprinting")),
    ('"task force" OR "warrant service"', lambda has: has("task force") or has("warrant service")),
]
# (fuzzy query, OCR misreading it must catch)
FUZZY = [("perform~", "perfonn"), ("jail/correctional~", "jaiVcorrectional"),
         ("proficiency~", "proficency")]


def norm(text: str) -> str:
    """Independent of the index: fold accents and case, every non-word run to one space."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " " + " ".join(re.sub(r"[\W]+", " ", text).split()) + " "


def stored_texts(d) -> dict[str, list[str]]:
    """Every text the archive read, per document: each page reading, sections, form values."""
    texts: dict[str, list[str]] = {r[0]: [] for r in d.db.execute("SELECT sha256 FROM documents")}
    for sql in ("SELECT sha256, text FROM pages", "SELECT sha256, text_layer FROM pages",
                "SELECT sha256, ocr_text FROM pages WHERE ocr_text IS NOT NULL",
                "SELECT sha256, text FROM sections", "SELECT sha256, value FROM form_fields"):
        for sha, text in d.db.execute(sql):
            if sha in texts:
                texts[sha].append(norm(text))
    return texts


def containing(texts, phrase: str) -> set[str]:
    want = norm(phrase)
    return {sha for sha, ts in texts.items() if any(want in t for t in ts)}


def found(d, query: str) -> set[str]:
    return {h.sha256 for h in search.search(d, query, all_results=True).hits}


def check_recall(d, *, require_fuzzy: tuple[str, ...] = ()) -> None:
    texts = stored_texts(d)
    assert any(texts.values()), "the archive holds no text: nothing to check"
    problems = []
    for phrase in PHRASES:
        want = containing(texts, phrase)
        got = found(d, f'"{phrase}"')
        if want - got:
            problems.append(f'"{phrase}": missed {sorted(s[:12] for s in want - got)}')
        if got - want:
            problems.append(f'"{phrase}": found without the phrase {sorted(s[:12] for s in got - want)}')
    assert containing(texts, "notice to appear"), "corpus text lacks a phrase every MOA has"
    assert not containing(texts, "notice of appear")
    for query, test in BOOLEANS:
        want = {sha for sha in texts if test(lambda p, sha=sha: containing({sha: texts[sha]}, p))}
        got = found(d, query)
        if want != got:
            problems.append(f"{query}: missed {len(want - got)}, extra {len(got - want)}")
    for query, misreading in FUZZY:
        want = containing(texts, misreading)
        if misreading in require_fuzzy:
            assert want, f"{misreading!r} no longer occurs in the corpus text"
        if want - found(d, query):
            problems.append(f"{query} misses the documents with {misreading!r}")
    assert not problems, "\n".join(problems)


def test_recall_on_fixture_text(text_archive):
    check_recall(text_archive, require_fuzzy=("perfonn",))


def test_recall_on_fixture_archive(fixture_archive):
    assert fixture_archive.db.execute("SELECT count(*) FROM pages").fetchone()[0], "process() read no pages"
    check_recall(fixture_archive)


@pytest.mark.corpus
def test_recall_on_corpus_archive(corpus_archive):
    check_recall(corpus_archive, require_fuzzy=("perfonn", "jaiVcorrectional"))
