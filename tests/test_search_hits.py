"""Hits on the right pages, highlighted as a whole (issue 17 items 1, 2, 6, 7), on
real documents read by the real pipeline (``fixture_archive``; ``corpus_archive`` for
the whole shared corpus). The expected pages are worked out here from the stored page
texts, independently of the index: a phrase is "on" a page when its words follow one
another in one of that page's readings."""
from __future__ import annotations

import csv
import io
import re

import pytest

from archive import search
from archive.core.errors import QueryError
from store.index import stem
from textscan import occurrences, words_of
from web import create_app

PHRASES = ['"notice to appear"', "giglio", '"civil rights"', '"background investigation"']


def phrase_words(query: str) -> list[str]:
    return words_of(query.strip('"'))


def expected_pages(conn, sha: str, phrase: list[str]) -> tuple[set[int], set[int]]:
    """(pages where one reading holds the phrase, pages a section may add because the
    phrase crosses a page break inside it)."""
    on = set()
    for r in conn.execute("SELECT page, text, text_layer, ocr_text FROM pages WHERE sha256 = ?", (sha,)):
        if any(occurrences(words_of(t), phrase) for t in (r["text"], r["text_layer"], r["ocr_text"])):
            on.add(r["page"])
    straddle = set()
    texts = {r["page"]: words_of(r["text"]) for r in conn.execute(
        "SELECT page, text FROM pages WHERE sha256 = ?", (sha,))}
    for n, words in texts.items():      # the phrase may run across a page break (footers between)
        after = texts.get(n + 1, [])
        if len(phrase) > 1 and phrase[0] in words[-40:] and phrase[-1] in after[:40]:
            straddle |= {n, n + 1}
    for s in conn.execute("SELECT first_page, last_page, text FROM sections WHERE sha256 = ?", (sha,)):
        pages = set(range(s["first_page"], s["last_page"] + 1))
        if occurrences(words_of(s["text"]), phrase) > len(on & pages):
            straddle |= pages
    return on, straddle


def check_pages(d, query: str) -> int:
    """Every hit of *query* lists the pages its phrase is on; returns how many hits had
    a section starting on a page without the phrase (the defect's case)."""
    phrase = phrase_words(query)
    res = search.search(d, query, all_results=True)
    assert res.hits, query
    cases = 0
    for hit in res.hits:
        on, straddle = expected_pages(d.db, hit.sha256, phrase)
        assert on <= set(hit.pages) <= on | straddle, (query, hit.file_name, hit.pages, on)
        if not straddle:
            assert hit.pages == sorted(on), (query, hit.file_name)
        snippets = [m.snippet for m in hit.matches]
        assert len(snippets) == len(set(snippets)), (query, hit.file_name, snippets)
        assert all(m.page in hit.pages for m in hit.matches if m.page), (query, hit.file_name)
        assert hit.matches[0].page == hit.pages[0], (query, hit.file_name)
        for s in d.db.execute("SELECT first_page, last_page, text FROM sections WHERE sha256 = ?"
                              " AND last_page > first_page", (hit.sha256,)):
            if occurrences(words_of(s["text"]), phrase) and s["first_page"] not in on | straddle:
                assert s["first_page"] not in hit.pages
                cases += 1
    return cases


def test_hits_list_exactly_the_pages_their_words_are_on(fixture_archive):
    cases = sum(check_pages(fixture_archive, q) for q in PHRASES)
    assert cases >= 3      # sections that start a page before the phrase: the defect's case


@pytest.mark.corpus
def test_hits_list_exactly_the_pages_on_the_whole_corpus(corpus_archive):
    cases = sum(check_pages(corpus_archive, q) for q in PHRASES + ['"use of force"'])
    assert cases >= 20


def test_section_queries_list_the_pages_inside_the_section(fixture_archive):
    d = fixture_archive
    res = search.search(d, "section:liability giglio", all_results=True)
    assert res.hits
    for hit in res.hits:
        (a, b), = d.db.execute("SELECT first_page, last_page FROM sections WHERE sha256 = ? AND"
                               " key = 'liability'", (hit.sha256,)).fetchall()
        on, _ = expected_pages(d.db, hit.sha256, words_of("giglio"))
        assert set(hit.pages) == {p for p in on if a <= p <= b}, hit.file_name


def test_search_csv_and_api_carry_the_right_pages(fixture_archive):
    client = create_app({"DATA_DIR": str(fixture_archive.root)}).test_client()
    res = search.search(fixture_archive, '"notice to appear"', all_results=True)
    want = {h.sha256: " ".join(map(str, h.pages)) for h in res.hits}
    rows = list(csv.DictReader(io.StringIO(client.get('/search.csv?q="notice to appear"').get_data(as_text=True))))
    assert {r["sha256"]: r["pages"] for r in rows} == want
    for sha, pages in want.items():
        on, straddle = expected_pages(fixture_archive.db, sha, words_of("notice to appear"))
        if not straddle:
            assert pages == " ".join(map(str, sorted(on)))
    api = client.get('/api/search?q="notice to appear"&per_page=100').get_json()
    for hit in api["hits"]:
        assert hit["matches"][0]["url"].endswith(f"#page-{hit['pages'][0]}")
    page = client.get('/search?q="notice to appear"').get_data(as_text=True)
    for sha, pages in want.items():
        first = pages.split()[0]
        assert re.search(rf'href="/doc/{sha}\?q=[^"#]*#page-{first}"', page), sha


# --- whole-phrase highlights (item 2) --------------------------------------------------

def marks(html: str) -> list[str]:
    return [" ".join(words_of(re.sub(r"<[^>]+>", "", m)))
            for m in re.findall(r"<mark[^>]*>(.*?)</mark>", html, re.S)]


def test_snippets_mark_a_phrase_as_a_whole(fixture_archive):
    for query in ('"notice to appear"', '"civil rights"'):
        phrase = " ".join(phrase_words(query))
        res = search.search(fixture_archive, query, all_results=True)
        for hit in res.hits:
            for m in hit.matches:
                assert marks(m.snippet) and set(marks(m.snippet)) == {phrase}, m.snippet


def test_proximity_and_fuzzy_marks_cover_the_whole_match(fixture_archive):
    res = search.search(fixture_archive, '"notice appear"~3', all_results=True)
    assert res.hits
    for hit in res.hits:
        for m in hit.matches:
            for text in marks(m.snippet):
                assert text.startswith(stem("notice")) and text.endswith(stem("appear")) and len(text.split()) <= 4, text
    res = search.search(fixture_archive, "detainr~", all_results=True)
    assert res.hits
    for hit in res.hits:
        for m in hit.matches:
            for a, inner, b in re.findall(r"(\w?)<mark>(.*?)</mark>(\w?)", m.snippet):
                assert not a and not b and inner.lower().startswith("detain"), m.snippet


def doc_page_counts(html: str) -> tuple[int, int]:
    m = re.search(r"<strong>(\d+)</strong> highlights? of .*? on (\d+) pages?", html, re.S)
    return int(m.group(1)), int(m.group(2))


def test_document_page_counts_phrase_occurrences_not_words(fixture_archive):
    d = fixture_archive
    client = create_app({"DATA_DIR": str(d.root)}).test_client()
    phrase = words_of("notice to appear")
    res = search.search(d, '"notice to appear"', all_results=True)
    for hit in res.hits:
        html = client.get(f'/doc/{hit.sha256}?q="notice to appear"').get_data(as_text=True)
        shown = sum(occurrences(words_of(t), phrase) for (t,) in d.db.execute(
            "SELECT text FROM pages WHERE sha256 = ?", (hit.sha256,)))
        total, pages = doc_page_counts(html)
        assert total == shown and pages == len(hit.pages), hit.file_name
        body = html[html.index('<div class="pages'):]
        assert set(marks(body)) == {" ".join(phrase)}
        for p in re.findall(r'<a href="#page-(\d+)">p\. \d+</a>', html[:html.index('<div class="pages')]):
            assert int(p) in hit.pages


# --- the section filter and facets (item 6) --------------------------------------------

def docs_with_word_in_section(conn, word: str, key: str) -> set[str]:
    return {r["sha256"] for r in conn.execute("SELECT sha256, text FROM sections WHERE key = ?", (key,))
            if stem(word) in words_of(r["text"])}


def test_section_filter_restricts_hits_to_that_section(fixture_archive):
    d = fixture_archive
    res = search.search(d, "giglio", all_results=True)
    keys = [k for (k,) in d.db.execute("SELECT DISTINCT key FROM sections")]
    some_zero = False
    for key in keys:
        want = docs_with_word_in_section(d.db, "giglio", key)
        got = search.search(d, "giglio", filters={"section": [key]}, all_results=True)
        assert {h.sha256 for h in got.hits} == want, key
        some_zero |= not want
        for hit in got.hits:
            (a, b), = d.db.execute("SELECT min(first_page), max(last_page) FROM sections"
                                   " WHERE sha256 = ? AND key = ?", (hit.sha256, key)).fetchall()
            assert all(a <= p <= b for p in hit.pages)
        offered = dict(res.facets["section"])
        if want and len(want) < res.total_documents:
            assert offered.get(key) == len(want), key
    assert some_zero


def test_facet_values_matching_every_result_are_not_offered(fixture_archive):
    for query in ("giglio", "immigration", '"notice to appear"'):
        res = search.search(fixture_archive, query)
        for name, values in res.facets.items():
            assert all(n < res.total_documents for _, n in values), (query, name, values)
    chosen = search.search(fixture_archive, "immigration", filters={"state": ["TEXAS"]})
    assert ("TEXAS", chosen.total_documents) in chosen.facets["state"]     # a chosen value stays


# --- legal citations, spelling and looser queries (item 7) ------------------------------

def test_section_signs_are_accepted_unquoted(fixture_archive):
    d = fixture_archive
    for q in ("INA § 287(a)(2)", "INA §§ 287(a)(2)", "§ 287(g)", "8 U.S.C. § 1357(g)"):
        assert search.search(d, q).total_documents == search.search(d, q.replace("§", " ")).total_documents
    assert search.search(d, "§ 287(g)").total_documents > 0
    with pytest.raises(QueryError, match="no letters or digits"):
        search.search(d, "§§")


def test_zero_results_suggest_spellings_from_the_index(fixture_archive):
    res = search.search(fixture_archive, "proficency")
    assert res.total_documents == 0
    assert any(s.query == "proficiency" and s.total > 0 for s in res.suggestions), res.suggestions
    res = search.search(fixture_archive, '"english proficency" training')
    assert any("proficiency" in s.query and s.total > 0 for s in res.suggestions), res.suggestions
    assert search.search(fixture_archive, "proficiency").suggestions == []


def test_zero_results_say_what_a_looser_query_finds(fixture_archive):
    d = fixture_archive
    key = next(k for (k,) in d.db.execute("SELECT DISTINCT key FROM sections")
               if not docs_with_word_in_section(d.db, "giglio", k))
    res = search.search(d, f"section:{key} giglio")
    assert res.total_documents == 0
    plain = search.search(d, "giglio").total_documents
    assert any(s.query == "giglio" and s.total == plain and "section:" in s.why for s in res.suggestions)
    res = search.search(d, "giglio", filters={"state": ["KANSAS"], "model": ["JEM"]})
    if res.total_documents == 0:
        assert any(s.total == plain and "filters" in s.why for s in res.suggestions)
    client = create_app({"DATA_DIR": str(d.root)}).test_client()
    html = client.get("/search", query_string={"q": f"section:{key} giglio"}).get_data(as_text=True)
    assert f"{plain} match" in html and "section:" in html
    html = client.get("/search", query_string={"q": "proficency"}).get_data(as_text=True)
    assert "Did you mean" in html and "proficiency" in html
    api = client.get("/api/search", query_string={"q": "proficency"}).get_json()
    assert any(s["query"] == "proficiency" for s in api["suggestions"])


def test_single_word_marks_need_no_word_count(fixture_archive):
    """Marks of one-word patterns are found without counting the words between them
    (the fast path); they must be the marks the counted path finds, ASCII or not, and a
    phrase's marks must still need its words adjacent."""
    from archive.search.snippets import Pattern, _tokens, match_spans
    one = [Pattern((frozenset(["detainer", "detain"]),)), Pattern((frozenset(["immigration"]),))]
    phrase = [Pattern((frozenset(["notice"]), frozenset(["to"]), frozenset(["appear"])))]
    texts = [r[0] for r in fixture_archive.db.execute("SELECT text FROM pages WHERE text != ''")]
    texts += [t.replace("the ", "thé ", 3) for t in texts[:5]]       # the non-ASCII path too
    found = 0
    for text in texts:
        wanted = frozenset().union(*(w for p in one for w in p.words))
        counted = [(t, a, b) for _, t, a, b in _tokens(text, wanted, True)]
        assert [(t, a, b) for _, t, a, b in _tokens(text, wanted, False)] == counted
        assert match_spans(text, one) == sorted({(a, b) for _, a, b in counted})
        spans = match_spans(text, phrase)
        found += len(spans)
        for a, b in spans:
            assert re.findall(r"\w+", text[a:b].lower()) == ["notice", "to", "appear"], text[a:b]
    assert found, "the fixture holds no 'notice to appear'"
