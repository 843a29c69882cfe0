"""archive.search: the query language, fields, results grouped by document, facets,
snippets and the `moa index` / `moa search` commands — over the fixture corpus's text
in real SQLite and a real Whoosh index (the `text_archive` fixture)."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from archive import search
from archive.core.errors import QueryError
from cli import main

FINNEY, FRANKLIN, GRAYSON, LAWRENCE, RUSK, SMITH, TEXAS_AG = (
    "050185e2", "77d71b31", "738a30e4", "390bbee1", "b5d98a36", "ac98f93f", "ae6108b5")


def found(d, query, **kw) -> set[str]:
    """The 8-hex prefixes of every document *query* finds."""
    return {h.sha256[:8] for h in search.search(d, query, all_results=True, **kw).hits}


def test_phrases_stop_words_count(text_archive):
    assert found(text_archive, '"notice to appear"') == {GRAYSON, LAWRENCE, SMITH, TEXAS_AG}
    assert found(text_archive, '"notice of appear"') == set()
    assert found(text_archive, '"NOTICE TO APPEAR"') == found(text_archive, '“notice to appear”')


def test_hyphens_quotes_and_case_fold(text_archive):
    assert found(text_archive, "70-percent") == found(text_archive, '"70 percent"') == {FINNEY, FRANKLIN, GRAYSON, RUSK}
    assert found(text_archive, '"Sheriff’s Office"') == found(text_archive, "\"sheriff's office\"")
    assert found(text_archive, '"Sheriff’s Office"') >= {FINNEY, SMITH}


def test_boolean_operators_decide_per_document(text_archive):
    detainers, warrant = found(text_archive, "detainers"), found(text_archive, "warrant")
    assert detainers and warrant
    assert found(text_archive, "detainers AND warrant") == detainers & warrant
    assert found(text_archive, "detainers warrant") == detainers & warrant        # implicit AND
    assert found(text_archive, "detainers OR warrant") == detainers | warrant
    assert found(text_archive, "detainers NOT warrant") == detainers - warrant
    assert found(text_archive, "detainers -warrant") == detainers - warrant
    assert found(text_archive, "(detainers OR warrant) AND NOT detainers") == warrant - detainers


def test_proximity(text_archive):
    near = found(text_archive, '"notice appear"~3')
    assert near >= found(text_archive, '"notice to appear"')
    assert found(text_archive, '"notice appear"') == set()


def test_prefix_wildcards_and_their_limits(text_archive):
    assert found(text_archive, "detain*") >= found(text_archive, "detainers")
    with pytest.raises(QueryError, match="character 1: a wildcard cannot start"):
        search.search(text_archive, "*tainer")
    with pytest.raises(QueryError, match="at least 3 letters"):
        search.search(text_archive, "de*")


def test_fuzzy_terms_catch_ocr_misreadings(text_archive):
    assert found(text_archive, "perfonn") == {FINNEY}     # the text layer's misreading is indexed
    assert FINNEY in found(text_archive, "perform~")
    res = search.search(text_archive, "perform~", within=search.search(text_archive, "perfonn").hits[0].sha256)
    assert any("<mark>perfonn</mark>" in m.snippet for m in res.hits[0].matches) or 2 in res.hits[0].pages
    assert found(text_archive, "proficency~") == found(text_archive, "proficiency")
    with pytest.raises(QueryError, match="at most 2"):
        search.search(text_archive, "detainr~3")


def test_fields_state_model_agency_signed_revision(text_archive):
    assert found(text_archive, "state:TX") == found(text_archive, "state:texas") == {RUSK, SMITH, TEXAS_AG}
    assert found(text_archive, 'state:"new york"') == set()
    assert found(text_archive, "model:WSO") == found(text_archive, 'model:"Warrant Service Officer"') \
        == {FINNEY, FRANKLIN, RUSK}
    assert found(text_archive, 'model:"Task Force"') == found(text_archive, "model:tfm") == {LAWRENCE, SMITH, TEXAS_AG}
    assert found(text_archive, 'model:"287(g) Jail Enforcement Model"') == {GRAYSON}
    assert found(text_archive, "agency:rusk") == {RUSK}
    assert found(text_archive, 'agency:"Smith County"') == {SMITH}
    assert found(text_archive, "signed:[2025-01-01 TO 2025-03-05]") == {TEXAS_AG, SMITH, GRAYSON, RUSK}
    assert found(text_archive, "signed:[2025-06-01 TO *]") == {LAWRENCE}
    assert found(text_archive, "signed:2020") == found(text_archive, "year:2020") == {FINNEY}
    assert found(text_archive, "signed:2025-03-27") == {FRANKLIN}
    assert found(text_archive, "revision:03/07/2025") == found(text_archive, "revision:2025-03-07") == {LAWRENCE}
    assert found(text_archive, "state:TX model:TFM detainers") == {SMITH, TEXAS_AG}


def test_section_field_searches_inside_sections(text_archive):
    # the words must occur inside a section with that key or title
    anywhere = found(text_archive, "detainers")
    in_designation = found(text_archive, "section:designation detainers")
    assert in_designation and in_designation <= anywhere
    assert found(text_archive, 'section:"designation of authorized functions" detainers') == in_designation
    assert found(text_archive, "section:designation-of-authorized detainers") == in_designation
    res = search.search(text_archive, "section:designation detainers")
    hit = res.hits[0]
    assert hit.section and "DESIGNATION" in hit.section.upper()
    assert all(m.kind in ("section", "page") for m in hit.matches)
    assert found(text_archive, "section:responsibilities") == found(text_archive, "section:RESPONSIBILITIES")


@pytest.mark.parametrize("query, where, why", [
    ('"notice to appear', "character 1", "unclosed quote"),
    ("(detainer OR warrant", "character 1", "never closed"),
    ("detainer)", "character 9", "without a matching"),
    ("detainer AND", "character 10", "AND needs a term"),
    ("OR warrant", "character 1", "OR needs a term before"),
    ("NOT", "character 1", "NOT needs a term"),
    ("colour:red", "character 1", "unknown field 'colour:'"),
    ("state:XX", "character 7", "unknown state"),
    ("model:horse", "character 7", "unknown model"),
    ("signed:[2025-01-01 2025-02-01]", "character 8", "range"),
    ("signed:yesterday", "character 8", "not a date"),
    ("signed:13/45/2025", "character 8", "not a date"),
    ("signed:[2025-13-01 TO 2025-12-31]", "character 8", "not a date"),
])
def test_parse_errors_say_where_and_why(text_archive, query, where, why):
    with pytest.raises(QueryError) as e:
        search.search(text_archive, query)
    assert where in str(e.value) and why in str(e.value)


def test_long_queries_are_refused(text_archive):
    with pytest.raises(QueryError, match="limit is 500"):
        search.search(text_archive, "detainer " * 100)


def test_results_grouped_by_document_with_pages_snippets_and_sources(text_archive):
    res = search.search(text_archive, '"notice to appear"', per_page=2)
    assert res.total_documents == 4 and len(res.hits) == 2 and res.page == 1
    assert [h.score for h in res.hits] == sorted((h.score for h in res.hits), reverse=True)
    second = search.search(text_archive, '"notice to appear"', per_page=2, page=2)
    assert {h.sha256 for h in res.hits}.isdisjoint(h.sha256 for h in second.hits)
    for hit in res.hits + second.hits:
        assert hit.pages == sorted(hit.pages) and hit.pages
        assert hit.matches and len(hit.matches) <= search.MATCHES_PER_DOCUMENT
        m = hit.matches[0]
        assert "<mark>Notice to Appear</mark>" in m.snippet.replace("\n", " ")   # the phrase, whole
        assert m.source in ("text", "ocr", "both") and m.page in hit.pages
        assert hit.agency and hit.state and hit.model and hit.signed


def test_form_values_are_searchable_and_marked(text_archive):
    conn = text_archive.db
    name, value = conn.execute("SELECT name, value FROM form_fields ORDER BY length(value) DESC").fetchone()
    res = search.search(text_archive, f'"{value}"', within=conn.execute(
        "SELECT sha256 FROM form_fields WHERE name = ?", (name,)).fetchone()[0])
    assert res.total_documents == 1
    assert any(m.kind == "form" and m.source == "form" for m in res.hits[0].matches)


def test_facets_filters_sort_and_within(text_archive):
    res = search.search(text_archive, "immigration")
    # (RUSK is a scan: the real read stage OCRs it, so it is found too.)
    assert dict(res.facets["state"]) == {"TEXAS": 3, "ALABAMA": 2, "KANSAS": 1, "KENTUCKY": 1}
    assert dict(res.facets["model"]) == {"TFM": 3, "WSO": 3, "JEM": 1}
    assert dict(res.facets["year"]) == {"2025": 6, "2020": 1}
    assert ("03/07/2025", 1) in res.facets["revision"]
    assert res.facets["section"] and all(n <= res.total_documents for _, n in res.facets["section"])
    only_tx = search.search(text_archive, "immigration", filters={"state": ["TEXAS"], "model": ["TFM", "JEM"]})
    assert {h.state for h in only_tx.hits} == {"TEXAS"} and only_tx.total_documents == 2
    by_rev = search.search(text_archive, "immigration", filters={"revision": ["03/07/2025"]})
    assert [h.revision for h in by_rev.hits] == ["03/07/2025"]
    key, count = res.facets["section"][0]
    assert search.search(text_archive, "immigration", filters={"section": [key]}).total_documents == count
    newest = search.search(text_archive, "immigration", sort="signed")
    assert [h.signed for h in newest.hits] == sorted((h.signed for h in newest.hits), reverse=True)
    one = search.search(text_archive, "immigration", within=newest.hits[-1].sha256)
    assert [h.sha256 for h in one.hits] == [newest.hits[-1].sha256]
    with pytest.raises(QueryError, match="unknown filter"):
        search.search(text_archive, "x", filters={"colour": ["red"]})


def test_highlight_terms_for_the_document_viewer(text_archive):
    words = search.search_terms_for_highlight(text_archive, "perform~ NOT warrant")
    assert "perfonn" in words and "perform" in words and "warrant" not in words
    marked = search.highlight_text("They <may> perfonn duties.", words)
    assert marked == "They &lt;may&gt; <mark>perfonn</mark> duties."


def test_cli_search_json_and_index(text_archive, tmp_path):
    runner = CliRunner()
    base = ["--data-dir", str(text_archive.root)]
    out = runner.invoke(main, base + ["search", '"notice to appear"', "--json", "--limit", "2"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["total_documents"] == 4 and len(data["hits"]) == 2
    for hit in data["hits"]:
        assert {"sha256", "agency", "state", "model", "signed", "pages", "section", "snippet"} <= set(hit)
        assert hit["pages"] and "<mark>" in hit["snippet"]
    assert data == search.search(text_archive, '"notice to appear"', per_page=2).to_dict()
    assert data["facets"]["state"] and all(set(f) == {"value", "count"} for f in data["facets"]["state"])
    assert all({"kind", "page", "snippet", "source"} <= set(m) for m in data["hits"][0]["matches"])
    every = json.loads(runner.invoke(main, base + ["search", "immigration", "--json", "--limit", "1",
                                                   "--all"]).stdout)
    assert len(every["hits"]) == every["total_documents"] == 7
    bad = runner.invoke(main, base + ["search", "(detainer"])
    assert bad.exit_code == 1 and "never closed" in bad.output
    text = runner.invoke(main, base + ["search", "perfonn"])
    assert text.exit_code == 0 and "[perfonn]" in text.output and "Finney" in text.output
    idx = runner.invoke(main, base + ["index", "--json"])
    assert idx.exit_code == 0 and json.loads(idx.stdout)["unchanged"] == 7


def test_unquoted_words_find_their_inflections_quoted_and_equals_as_typed(text_archive):
    assert found(text_archive, "detainer") == found(text_archive, "detainers") == found(text_archive, "detainer's")
    assert found(text_archive, "=detainer") == found(text_archive, '"detainer"')
    assert found(text_archive, "=detainer") < found(text_archive, "detainer")       # "detainers" too
    assert found(text_archive, '"detainers"') == found(text_archive, "=detainers")
    res = search.search(text_archive, "detainer", within=search.search(text_archive, "=detainers").hits[0].sha256)
    assert any("<mark>detainers</mark>" in m.snippet.lower() or "<mark>detain" in m.snippet.lower()
               for m in res.hits[0].matches)
    assert found(text_archive, "notify") >= found(text_archive, '"notified"') | found(text_archive, '"notifies"')


def test_compounds_fuzzy_phrases_and_the_index_terms(text_archive):
    from store import index as ix
    terms = ix.index_terms("jail/correctional ofthe\ue000of the\ue001 Detainers")
    assert {"jail", "correctional", "jailcorrectional", "ofthe", "of", "the", "detainers", "~detain"} <= set(terms)
    assert found(text_archive, "jailcorrectional") == found(text_archive, '"jail/correctional"')
    assert found(text_archive, "jaiVcorrectional~") >= found(text_archive, '"jail/correctional"')
    assert found(text_archive, '"limited english proficency~"') == found(text_archive, '"limited english proficiency"')
    assert found(text_archive, '"limited english proficency"') == set()
    with pytest.raises(QueryError, match="at most 2"):
        search.search(text_archive, '"limited english proficency~3"')
