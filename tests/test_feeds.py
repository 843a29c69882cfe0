"""The Atom feeds, served by the real Flask app over a real archive and read back with a
real feed parser (feedparser) and an XML parser for the RFC 4287 rules it does not check."""
from __future__ import annotations

import html
import re
import shutil
from urllib.parse import urlsplit

import feedparser
import pytest
from lxml import etree

from archive.harvest.importer import import_paths
from archive.search import search
from archive.status import roster_history
from conftest import FIXTURE_CORPUS
from store.datadir import DataDir
from web import create_app

ATOM = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
QUERY = '"Sheriff\'s Office"'


def client_for(d: DataDir):
    return create_app({"DATA_DIR": str(d.root), "TESTING": True}).test_client()


@pytest.fixture(scope="module")
def client(fixture_archive):
    return client_for(fixture_archive)


def get_feed(client, url: str):
    """Fetch *url*, check it is a valid Atom feed; return (feedparser result, lxml root)."""
    resp = client.get(url)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    assert resp.mimetype == "application/atom+xml" and resp.mimetype_params.get("charset", "").lower() == "utf-8"
    body = resp.get_data()
    assert body.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    body.decode("utf-8")                                     # strict UTF-8
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    root = etree.fromstring(body)
    assert root.tag == ATOM + "feed"
    # RFC 4287 4.1.1: exactly one id, title, updated; an author (here at feed level); a self link.
    for name in ("id", "title", "updated"):
        assert len(root.findall(ATOM + name)) == 1, name
    assert RFC3339.match(root.findtext(ATOM + "updated"))
    assert root.find(f"{ATOM}author/{ATOM}name").text
    rels = {link.get("rel"): link.get("href") for link in root.findall(ATOM + "link")}
    assert {"self", "alternate"} <= rels.keys() and urlsplit(rels["self"]).path == urlsplit(url).path
    ids = []
    for entry in root.findall(ATOM + "entry"):
        for name in ("id", "title", "updated"):
            assert len(entry.findall(ATOM + name)) == 1, name
        assert entry.findtext(ATOM + "title").strip()
        assert RFC3339.match(entry.findtext(ATOM + "updated"))
        links = [link for link in entry.findall(ATOM + "link") if link.get("rel", "alternate") == "alternate"]
        assert links and links[0].get("href").startswith("http")
        assert entry.findtext(ATOM + "id").startswith("tag:moa-archive,2025:")
        ids.append(entry.findtext(ATOM + "id"))
    assert len(ids) == len(set(ids)) == len(parsed.entries)   # unique entry ids
    newest = max((e.findtext(ATOM + "updated") for e in root.findall(ATOM + "entry")), default=None)
    if newest:
        assert root.findtext(ATOM + "updated") == newest
    return parsed, root


def alternate_feeds(client, page: str) -> list[str]:
    page_html = client.get(page).get_data(as_text=True)
    return re.findall(r'<link rel="alternate" type="application/atom\+xml" title="[^"]*" href="([^"]+)"', page_html)


def sha_of(entry) -> str:
    return entry.link.rsplit("/", 1)[-1]


def test_documents_feed_lists_every_document_newest_first_with_stable_ids(client, fixture_archive):
    parsed, _ = get_feed(client, "/feeds/documents.atom")
    docs = fixture_archive.db.execute(
        "SELECT sha256, first_fetched_at FROM documents ORDER BY first_fetched_at DESC, sha256 DESC").fetchall()
    assert [sha_of(e) for e in parsed.entries] == [d["sha256"] for d in docs]
    assert all(e.title.startswith("New moa: ") for e in parsed.entries)
    again, _ = get_feed(client, "/feeds/documents.atom")
    assert [e.id for e in again.entries] == [e.id for e in parsed.entries]
    assert parsed.entries[0].id == f"tag:moa-archive,2025:document:{docs[0]['sha256']}"
    assert alternate_feeds(client, "/documents") == ["/feeds/documents.atom"]
    limited, _ = get_feed(client, "/feeds/documents.atom?limit=2")
    assert [e.id for e in limited.entries] == [e.id for e in parsed.entries[:2]]


def test_a_new_version_is_an_entry_of_its_own(tmp_path):
    d = DataDir(tmp_path / "data")
    pdf = FIXTURE_CORPUS / "pdfs" / "FranklinCountyAL_WSO_MOA_030625.pdf"
    copy = tmp_path / pdf.name
    shutil.copyfile(pdf, copy)
    import_paths(d, [copy])
    copy.write_bytes(pdf.read_bytes() + b"\n% amended\n")
    import_paths(d, [copy])
    parsed, _ = get_feed(client_for(d), "/feeds/documents.atom")
    assert [e.title.split(":")[0] for e in parsed.entries] == ["New version 2", "New moa"]
    assert "version 2 at that address" in parsed.entries[0].summary
    d.close()


def test_an_empty_archive_has_valid_empty_feeds(datadir):
    client = client_for(datadir)
    for url in ("/feeds/documents.atom", "/feeds/roster.atom"):
        parsed, root = get_feed(client, url)
        assert parsed.entries == [] and root.findtext(ATOM + "updated") == "1970-01-01T00:00:00+00:00"


def test_roster_feed_lists_every_change_between_snapshots(client, fixture_archive):
    parsed, _ = get_feed(client, "/feeds/roster.atom?limit=1000")
    history = roster_history(fixture_archive, "participating") + roster_history(fixture_archive, "pending")
    changes = sum(len(p["added"]) + len(p["removed"]) + len(p["changed"]) for p in history)
    assert changes > 0 and len(parsed.entries) == min(changes, 1000)
    titles = {e.title.split(":")[0] for e in parsed.entries}
    assert "Added to the participating roster" in titles and "Removed from the participating roster" in titles
    added = next(p for p in history if p["added"])["added"][0]
    entry = next(e for e in parsed.entries if e.title.startswith("Added") and added["agency"] in e.title)
    assert client.get(urlsplit(entry.link).path).status_code == 200     # the agency's page
    again, _ = get_feed(client, "/feeds/roster.atom?limit=1000")
    assert [e.id for e in again.entries] == [e.id for e in parsed.entries]
    assert alternate_feeds(client, "/roster") == ["/feeds/roster.atom"]
    assert len(get_feed(client, "/feeds/roster.atom")[0].entries) == min(changes, 100)


def test_search_feed_entries_equal_the_search_documents(client, fixture_archive):
    found = search(fixture_archive, QUERY, all_results=True)
    assert found.total_documents >= 3
    parsed, _ = get_feed(client, "/search.atom?q=" + QUERY)
    first = dict(fixture_archive.db.execute("SELECT sha256, first_fetched_at FROM documents").fetchall())
    want = sorted((h.sha256 for h in found.hits), key=lambda s: (first[s], s), reverse=True)
    assert [sha_of(e) for e in parsed.entries] == want
    assert all("<strong>" in e.content[0].value for e in parsed.entries)   # the hits, in snippets
    # With a filter, as on the search page; the page links its feed with the same arguments.
    filtered = search(fixture_archive, QUERY, filters={"state": ["TEXAS"]}, all_results=True)
    parsed, _ = get_feed(client, f"/search.atom?q={QUERY}&state=TEXAS")
    assert {sha_of(e) for e in parsed.entries} == {h.sha256 for h in filtered.hits}
    assert 0 < len(parsed.entries) < found.total_documents
    [href] = alternate_feeds(client, f"/search?q={QUERY}&state=TEXAS&page=1")
    assert href.startswith("/search.atom?") and "state=TEXAS" in href and "page=" not in href
    linked, _ = get_feed(client, html.unescape(href))
    assert [e.id for e in linked.entries] == [e.id for e in parsed.entries]
    # Nothing found: a valid feed without entries; an unreadable query: a 400 saying why.
    assert get_feed(client, "/search.atom?q=zzyzxqq")[0].entries == []
    bad = client.get('/search.atom?q="notice')
    assert bad.status_code == 400 and "unclosed quote" in bad.get_data(as_text=True)
    assert client.get("/search.atom").status_code == 400
    assert alternate_feeds(client, "/search") == []
