"""The web site and API, through Flask's test client, on real archives built from corpus
files (``fixture_archive``; ``corpus_archive`` where the full corpus matters)."""
from __future__ import annotations

import csv
import hashlib
import io
import re
import sqlite3
from pathlib import Path

import pytest

from conftest import FIXTURE_CORPUS, ROOT, load_manifest
from web import create_app

MANIFEST = [r for r in load_manifest(FIXTURE_CORPUS) if r["kind"] == "moa"]
BY_NAME = {Path(r["file"]).name: r for r in MANIFEST}
FRANKLIN = BY_NAME["FranklinCountyAL_WSO_MOA_030625.pdf"]       # born-digital, 2025 WSO
RUSK = BY_NAME["RuskCoSOTX_WSO_MOA_030425.pdf"]                 # every page a scan: OCR
SMITH = BY_NAME["SmithCoSheriffsOfficeTX_TFM_MOA_02.18.25.pdf"]


@pytest.fixture(scope="module")
def app(fixture_archive):
    return create_app({"DATA_DIR": str(fixture_archive.root)})


@pytest.fixture
def client(app):
    return app.test_client()


def html(resp) -> str:
    return resp.get_data(as_text=True)


def db_fingerprint(root: Path) -> str:
    h = hashlib.sha256()
    for name in ("moa.sqlite3", "moa.sqlite3-wal"):
        p = root / name
        if p.exists():
            h.update(p.read_bytes())
    return h.hexdigest()


# --- app factory and errors ---------------------------------------------------------------

def test_create_app_takes_data_dir_from_config_then_env(monkeypatch, tmp_path):
    monkeypatch.setenv("MOA_DATA_DIR", str(tmp_path / "from-env"))
    assert create_app().config["DATA_DIR"] == str(tmp_path / "from-env")
    assert create_app({"DATA_DIR": "/x"}).config["DATA_DIR"] == "/x"
    monkeypatch.delenv("MOA_DATA_DIR")
    assert create_app().config["DATA_DIR"] == "./moa-data"
    assert not (tmp_path / "from-env").exists()  # nothing created by building the app


def test_missing_archive_gives_a_friendly_page_and_creates_nothing(tmp_path):
    client = create_app({"DATA_DIR": str(tmp_path / "none")}).test_client()
    for path in ("/", "/browse", "/api/documents"):
        r = client.get(path)
        assert r.status_code == 503
        # first for the visitor, then for whoever runs the site (a 503 is theirs to fix)
        assert "no archive to show yet" in html(r) and "moa update" in html(r)
    assert not (tmp_path / "none").exists()


def test_server_error_page_never_shows_a_traceback(tmp_path):
    (tmp_path / "moa.sqlite3").write_bytes(b"this is not a database" * 100)
    client = create_app({"DATA_DIR": str(tmp_path)}).test_client()
    r = client.get("/browse")
    assert r.status_code == 500
    body = html(r)
    assert "Something went wrong" in body and "Traceback" not in body and "sqlite3" not in body
    r = client.get("/api/agreements")
    assert r.status_code == 500 and r.json["error"] == "Something went wrong"


def test_not_found_pages(client):
    r = client.get("/no/such/page")
    assert r.status_code == 404 and "Not found" in html(r) and "<footer" in html(r)
    r = client.get("/api/no-such-endpoint")
    assert r.status_code == 404 and r.json["status"] == 404


def test_site_never_writes_to_the_archive(client, fixture_archive):
    before = db_fingerprint(fixture_archive.root)
    for path in ("/", "/browse", "/roster", "/agencies", "/documents", f"/doc/{FRANKLIN['sha256']}",
                 "/api/agreements", "/api/documents", f"/api/documents/{RUSK['sha256']}"):
        assert client.get(path).status_code == 200, path
    assert db_fingerprint(fixture_archive.root) == before


def test_every_route_is_tested_and_every_api_endpoint_documented(app):
    """Documentation that cannot drift: each rule appears in a test file (this one, or
    the test of the blueprint that adds it) and each API/CSV rule in the README."""
    this = "\n".join(p.read_text(encoding="utf-8") for p in Path(__file__).parent.glob("test_*.py"))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        stem = re.sub(r"<[^>]+>.*", "", rule.rule).rstrip("/") or "/"
        assert f'"{stem}' in this or f"'{stem}" in this, f"{rule.rule} untested"
        if rule.rule.startswith("/api/") or rule.rule.endswith(".csv"):
            assert stem in readme, f"{rule.rule} is not documented in README.md"


# --- browse, agencies, roster ----------------------------------------------------------------

def test_browse_lists_every_agreement_and_filters(client, fixture_archive):
    conn = fixture_archive.db
    total = conn.execute("SELECT COUNT(*) FROM agreements").fetchone()[0]
    body = html(client.get("/browse?per_page=1000"))
    assert f"<strong>{total}</strong> of {total}" in body
    for row in MANIFEST:  # every archived document is linked from its agreement
        assert f"/doc/{row['sha256']}" in body

    texas = conn.execute("SELECT COUNT(*) FROM agreements WHERE state='TEXAS' AND model='TFM'").fetchone()[0]
    body = html(client.get("/browse?state=TEXAS&model=TFM"))
    assert f"<strong>{texas}</strong> of {total}" in body
    assert "Smith County" in body and "Franklin County" not in body

    in_2020 = conn.execute("SELECT COUNT(*) FROM agreements WHERE signed BETWEEN '2020-01-01' AND '2020-12-31'"
                           ).fetchone()[0]
    assert f"<strong>{in_2020}</strong> of" in html(client.get("/browse?from=2020&to=2020"))
    assert "No agreement matches" in html(client.get("/browse?state=NOWHERE"))


def test_browse_csv(client, fixture_archive):
    r = client.get("/browse.csv?state=ALABAMA")
    assert r.mimetype == "text/csv" and "attachment" in r.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(html(r))))
    n = fixture_archive.db.execute("SELECT COUNT(*) FROM agreements WHERE state='ALABAMA'").fetchone()[0]
    assert len(rows) == n and {r["state"] for r in rows} == {"ALABAMA"}
    franklin = [r for r in rows if r["model"] == "WSO" and r["agency"].startswith("Franklin County")]
    assert franklin[0]["documents"] == FRANKLIN["sha256"]


def test_agencies_and_agency_page(client, fixture_archive):
    body = html(client.get("/agencies"))
    assert "Franklin County Sheriff&#39;s Office" in body
    r = client.get("/agency/ALABAMA/franklin county sheriff's office")
    assert r.status_code == 200
    body = html(r)
    # both of Franklin's agreements, its archived MOA, and every roster snapshot
    assert "Warrant Service Officer" in body and "Task Force Model" in body
    assert f"/doc/{FRANKLIN['sha256']}" in body
    for snap in fixture_archive.db.execute("SELECT file_name FROM roster_snapshots"):
        assert snap["file_name"] in body
    assert client.get("/agency/ALABAMA/nobody at all").status_code == 404


def test_roster_page_shows_changes_between_snapshots(client, fixture_archive):
    body = html(client.get("/roster"))
    assert "participatingAgencies05162025am.xlsx → participatingAgencies07182025pm.xlsx" in body
    assert "pendingAgencies05152025am.xlsx → pendingAgencies07182025pm.xlsx" in body
    api = client.get("/api/roster").json
    assert len(api["snapshots"]) == 4
    change = next(c for c in api["changes"] if c["kind"] == "participating")
    # the July roster lists agreements the May one did not; each links to its agency page
    assert change["added"]
    old = {(r["state"], r["agency"]) for r in fixture_archive.db.execute(
        "SELECT * FROM roster_rows WHERE snapshot_id = ?", (change["old"]["id"],))}
    first = change["added"][0]
    assert (first["state"], first["agency"]) not in old or first["model"]
    from archive.harvest.rosters import agency_key
    assert escape_html(first["agency"]) in body
    assert client.get(f"/agency/{first['state']}/{agency_key(first['agency'])}").status_code == 200


# --- documents -------------------------------------------------------------------------------

def test_document_page_metadata_and_cite_box(client, fixture_archive):
    sha = FRANKLIN["sha256"]
    body = html(client.get(f"/doc/{sha}"))
    assert "Franklin County Sheriff&#39;s Office" in body
    assert "Alabama" in body and "Warrant Service Officer (WSO)" in body
    assert "March 27, 2025" in body            # signed, as the roster gives it
    assert sha in body
    assert FRANKLIN["original_url"] in body      # the ICE URL the roster links to
    assert 'id="cite"' in body and "Copy citation" in body
    assert f'href="/doc/{sha}/pdf"' in body
    body = html(client.get(f"/doc/{sha}?cite=3"))
    cite = re.search(r'<p class="citation" id="citation">(.*?)</p>', body, re.S).group(1)
    assert ", at 3" in cite and sha in cite and "archived" in cite  # fixture files are imports


def test_document_pages_text_and_anchors(client, fixture_archive):
    sha = FRANKLIN["sha256"]
    pages = fixture_archive.db.execute("SELECT page, text FROM pages WHERE sha256 = ? ORDER BY page",
                                       (sha,)).fetchall()
    assert len(pages) == int(FRANKLIN["pages"])
    body = html(client.get(f"/doc/{sha}"))
    for p in pages:
        assert f'id="page-{p["page"]}"' in body
        assert f'/doc/{sha}/page/{p["page"]}.png' in body
    text_only = html(client.get(f"/doc/{sha}?view=text"))
    assert "<img" not in text_only and 'id="page-1"' in text_only


def test_ocr_pages_are_marked_with_confidence(client, fixture_archive):
    body = html(client.get(f"/doc/{RUSK['sha256']}"))
    conf = fixture_archive.db.execute("SELECT ocr_confidence FROM pages WHERE sha256=? AND page=1",
                                      (RUSK["sha256"],)).fetchone()[0]
    assert conf is not None
    assert f"OCR · {conf:.0f}% confidence" in body
    assert "OCR ·" not in html(client.get(f"/doc/{FRANKLIN['sha256']}"))


def test_document_sections_as_contents(client, fixture_archive):
    sha = SMITH["sha256"]
    secs = fixture_archive.db.execute("SELECT title, first_page FROM sections WHERE sha256=? AND title IS NOT NULL",
                                      (sha,)).fetchall()
    assert secs
    body = html(client.get(f"/doc/{sha}"))
    toc = body[body.index('class="toc"'):body.index("</nav>", body.index('class="toc"'))]
    for s in secs:
        assert str(escape_html(s["title"])) in toc and f'href="#page-{s["first_page"]}"' in toc


def escape_html(s: str) -> str:
    from markupsafe import escape
    return str(escape(s))


def test_document_by_file_name_redirects_to_sha(client):
    r = client.get("/doc/FranklinCountyAL_WSO_MOA_030625.pdf?q=training")
    assert r.status_code == 302
    assert r.headers["Location"].endswith(f"/doc/{FRANKLIN['sha256']}?q=training")
    assert client.get("/doc/nothing-like-this.pdf").status_code == 404


def test_pdf_download_by_sha_only(client):
    sha = SMITH["sha256"]
    r = client.get(f"/doc/{sha}/pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert hashlib.sha256(r.data).hexdigest() == sha
    assert "SmithCoSheriffsOfficeTX_TFM_MOA_02.18.25.pdf" in r.headers["Content-Disposition"]
    assert "inline" in client.get(f"/doc/{sha}/pdf?inline=1").headers["Content-Disposition"]
    for bad in ("0" * 64, "..%2F..%2Fmoa.sqlite3", "../../moa.sqlite3", sha[:20], sha.upper() + "0"):
        assert client.get(f"/doc/{bad}/pdf").status_code == 404, bad


def test_page_image_rendered_once_then_cached(client, fixture_archive):
    sha = RUSK["sha256"]
    from web.page_images import cached_path
    cached = cached_path(fixture_archive, sha, 2)
    cached.unlink(missing_ok=True)
    r = client.get(f"/doc/{sha}/page/2.png")
    assert r.status_code == 200 and r.mimetype == "image/png" and r.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert cached.is_file()
    stamp = cached.stat().st_mtime_ns
    assert client.get(f"/doc/{sha}/page/2.png").data == r.data
    assert cached.stat().st_mtime_ns == stamp
    assert client.get(f"/doc/{sha}/page/99.png").status_code == 404
    assert client.get(f"/doc/{'0' * 64}/page/1.png").status_code == 404


def test_documents_list(client):
    body = html(client.get("/documents"))
    for row in MANIFEST:
        assert f"/doc/{row['sha256']}" in body


# --- text is always escaped ------------------------------------------------------------------

@pytest.fixture
def hostile_archive(fixture_archive, tmp_path):
    """A copy of the fixture archive whose first Franklin page holds markup, as OCR might."""
    root = copied_archive(fixture_archive, tmp_path / "hostile",
                          '\n<script>alert("pwned")</script> <img src=x onerror=alert(1)> training',
                          ("UPDATE documents SET agency = ? WHERE sha256 = ?",
                           ('Franklin <b onmouseover="x()">County</b>', FRANKLIN["sha256"])))
    (root / "index").symlink_to(fixture_archive.index_dir)
    return root


def copied_archive(fixture_archive, root, franklin_text: str, *updates):
    """The fixture archive's database copied to *root* (its files linked), with
    *franklin_text* added to Franklin's first page and the other *updates* (sql, args) made."""
    root.mkdir()
    dst = sqlite3.connect(root / "moa.sqlite3")
    fixture_archive.db.backup(dst)
    for sql, args in (("UPDATE pages SET text = text || ? WHERE sha256 = ? AND page = 1",
                       (franklin_text, FRANKLIN["sha256"])), *updates):
        dst.execute(sql, args)
    dst.commit()
    dst.close()
    (root / "files").symlink_to(fixture_archive.files_dir)
    return root


def test_document_text_is_escaped(hostile_archive):
    client = create_app({"DATA_DIR": str(hostile_archive)}).test_client()
    body = html(client.get(f"/doc/{FRANKLIN['sha256']}?q=training"))
    assert "<script>alert" not in body and "<img src=x" not in body and "<b onmouseover" not in body
    assert "&lt;script&gt;alert(" in body and "&lt;img src=x onerror" in body
    assert "<mark>training</mark>" in body
    assert "Content-Security-Policy" in client.get("/").headers


def test_a_search_feed_drops_characters_xml_cannot_hold(fixture_archive, tmp_path):
    """OCR can read a smudge as a control character: the page shows it harmlessly, but an
    Atom feed cannot hold it (lxml refused: a 500). The feed leaves it out."""
    from xml.etree import ElementTree

    from archive.search import rebuild_index
    from store.datadir import DataDir
    root = copied_archive(fixture_archive, tmp_path / "ctl", "\nsmudged\x0c\x01 zyxwtraining\x1b here")
    d = DataDir(root)
    rebuild_index(d)
    d.close()
    client = create_app({"DATA_DIR": str(root)}).test_client()
    page = client.get("/search?q=zyxwtraining")
    assert page.status_code == 200 and "<mark>zyxwtraining</mark>" in html(page)
    feed = client.get("/search.atom?q=zyxwtraining")
    assert feed.status_code == 200, feed.get_data(as_text=True)[:300]
    text = feed.get_data(as_text=True)
    assert "zyxwtraining" in text and not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", text)
    ElementTree.fromstring(feed.data)


# --- search ----------------------------------------------------------------------------------

def test_home_page_explains_the_query_language(client, fixture_archive):
    body = html(client.get("/"))
    assert "How to write a query" in body and "<code>\"Federal Tort Claims Act\"</code>" in body and "section:liability" in body
    n = fixture_archive.db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
    assert f"{n} documents archived" in body


def test_search_groups_hits_by_agreement_with_pages_and_snippets(client):
    r = client.get("/search?q=training")
    assert r.status_code == 200
    body = html(r)
    hits = re.findall(r'<li class="hit">.*?</li>\s*</ul>', body, re.S)
    assert hits
    first = hits[0]
    m = re.search(r'href="/doc/([0-9a-f]{64})\?q=training#page-(\d+)"', first)
    assert m, first[:500]
    assert "<mark>" in first and "Pages:" in first


def test_search_facets_filter_and_sort(client):
    body = html(client.get("/search?q=officer"))
    assert 'name="state" value="TEXAS"' in body and 'name="model" value="TFM"' in body
    texas = html(client.get("/search?q=officer&state=TEXAS"))
    assert "Franklin County" not in texas and ("Smith County" in texas or "Rusk County" in texas)
    chip = re.search(r'<a class="chip" href="([^"]+)"[^>]*>State: Texas', texas)
    assert chip and "state=" not in chip.group(1)     # removing the filter
    def signed_order(sort):
        api = client.get(f"/api/search?q=officer&sort={sort}&per_page=100").json
        return [h["signed"] for h in api["hits"]]
    newest, oldest = signed_order("newest"), signed_order("oldest")
    dated = [s for s in newest if s]
    assert len(set(dated)) > 1 and dated == sorted(dated, reverse=True)
    assert [s for s in oldest if s] == sorted(dated) and sorted(map(str, oldest)) == sorted(map(str, newest))
    assert oldest[-1] or not any(s is None for s in oldest)       # undated last
    assert signed_order("signed") == newest                       # the old name still works
    assert "<strong>newest</strong>" in html(client.get("/search?q=officer&sort=newest"))
    assert "<strong>oldest</strong>" in html(client.get("/search?q=officer&sort=oldest"))


def test_search_paging_and_count(client, app):
    from web import search_views
    body = html(client.get("/search?q=the"))
    total = int(re.search(r"<strong>(\d+)</strong> agreements?\s+match", body).group(1))
    assert total == len(MANIFEST)
    assert total <= search_views.PER_PAGE or "Next →" in body


def test_search_bad_query_and_zero_results(client, app):
    r = client.get('/search?q="unbalanced')
    assert r.status_code == 400
    assert "could not be run" in html(r) and "unclosed quote" in html(r)
    assert "unclosed quote" in client.get('/api/search?q="unbalanced').json["message"]
    r = client.get("/search?q=" + "x" * (app.config["MAX_QUERY_LENGTH"] + 1))
    assert r.status_code == 400 and "the limit is" in html(r)
    body = html(client.get("/search?q=zyzzyvaxqj"))
    assert "No agreement matches" in body and "what to try" in body


def test_search_csv_and_api(client):
    r = client.get("/search.csv?q=training")
    assert r.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(html(r))))
    assert rows and all(len(row["sha256"]) == 64 for row in rows)
    api = client.get("/api/search?q=training&per_page=2").json
    assert api["total_documents"] == len(rows)
    assert len(api["hits"]) <= 2
    match = api["hits"][0]["matches"][0]
    assert {"kind", "page", "snippet", "source", "url"} <= set(match)
    assert set(api["facets"]) >= {"state", "model"}
    assert client.get("/api/search").status_code == 400
    assert client.get("/search.csv").status_code == 400


def test_search_within_document_highlights_and_lists_pages(client):
    sha = FRANKLIN["sha256"]
    body = html(client.get(f"/doc/{sha}?q=training"))
    assert "<mark>" in body and "highlight" in body
    assert re.search(r'<a href="#page-\d+">p\. \d+</a>', body)
    assert "No match for" in html(client.get(f"/doc/{sha}?q=zyzzyvaxqj"))


# --- JSON API --------------------------------------------------------------------------------

def test_api_index_and_documents(client, fixture_archive):
    assert "/api/search?q=QUERY" in client.get("/api").json["endpoints"]
    docs = client.get("/api/documents").json
    assert {d["sha256"] for d in docs} == {r["sha256"] for r in MANIFEST}
    d = client.get(f"/api/documents/{RUSK['sha256']}").json
    assert d["agency"] == RUSK["agency"] and d["state"] == "TEXAS" and d["model"] == "WSO"
    assert len(d["pages"]) == int(RUSK["pages"])
    assert all(p["method"] in ("ocr", "both") for p in d["pages"])
    from archive.read.extract import read_document      # the pages `moa text --json` gives
    assert d["pages"] == read_document(fixture_archive, RUSK["sha256"]).to_dict()["pages"]
    assert d["pdf_url"].endswith(f"/doc/{RUSK['sha256']}/pdf")
    assert client.get(f"/api/documents/{'f' * 64}").status_code == 404
    assert client.get(f"/api/documents/{Path(RUSK['file']).name}").json["sha256"] == RUSK["sha256"]


def test_api_agreements_and_agencies(client, fixture_archive):
    conn = fixture_archive.db
    agr = client.get("/api/agreements?state=KENTUCKY").json["agreements"]
    assert len(agr) == conn.execute("SELECT COUNT(*) FROM agreements WHERE state='KENTUCKY'").fetchone()[0]
    grayson = BY_NAME["GraysonCountyDCKY_JEM_MOA_030425.pdf"]
    one = next(a for a in agr if any(d["sha256"] == grayson["sha256"] for d in a["documents"]))
    assert one["model"] == "JEM" and one["agency"] == grayson["agency"]
    assert client.get(f"/api/agreements/{one['id']}").json["documents"][0]["sha256"] == grayson["sha256"]
    assert client.get("/api/agreements/999999").status_code == 404
    agencies = client.get("/api/agencies").json
    assert len(agencies) == conn.execute(
        "SELECT COUNT(DISTINCT state || agency_key) FROM agreements").fetchone()[0]
    from archive.harvest.agencies import agencies as agency_list
    assert agencies == [a.to_dict() for a in agency_list(fixture_archive)]
    assert set(agencies[0]) == {"state", "agency_key", "agency", "models", "agreements", "first_signed",
                                "last_signed"}
    franklin = client.get("/api/agencies/ALABAMA/franklin county sheriff's office").json
    assert sorted(a["model"] for a in franklin["agreements"]) == [r[0] for r in conn.execute(
        "SELECT model FROM agreements WHERE state='ALABAMA' AND agency_key=? ORDER BY model",
        ("franklin county sheriff's office",))]
    assert FRANKLIN["sha256"] in {d["sha256"] for a in franklin["agreements"] for d in a["documents"]}
    assert len(franklin["roster_history"]) == 4


# --- the full corpus -----------------------------------------------------------------------

@pytest.mark.corpus
def test_corpus_every_document_page_renders(corpus_archive, shared_corpus):
    client = create_app({"DATA_DIR": str(corpus_archive.root)}).test_client()
    conn = corpus_archive.db
    manifest = [r for r in load_manifest(shared_corpus) if r["kind"] == "moa"]
    for row in manifest:
        body = html(client.get(f"/doc/{row['sha256']}"))
        assert body.count('<section class="page') == int(row["pages"]), row["file"]
        ocr_pages = conn.execute("SELECT COUNT(*) FROM pages WHERE sha256 = ? AND method = 'ocr'",
                                 (row["sha256"],)).fetchone()[0]
        assert body.count('<span class="badge ocr" title="No usable text layer') == ocr_pages, row["file"]
        repaired = conn.execute("SELECT COUNT(*) FROM pages WHERE sha256 = ? AND method = 'text'"
                                " AND text_layer_quality = 'shifted-glyphs-repaired'", (row["sha256"],)).fetchone()[0]
        assert body.count(">text layer repaired</span>") == repaired, row["file"]
    # encrypted (AES-256, empty password) PDFs render too
    for row in (r for r in manifest if r["encrypted"] == "1"):
        r = client.get(f"/doc/{row['sha256']}/page/1.png")
        assert r.status_code == 200 and r.data[:4] == b"\x89PNG", row["file"]
    # every example of the query help finds something in the real corpus
    home = html(client.get("/"))
    help_box = home[home.index('class="syntax-body"'):home.index("</table>", home.index('class="syntax-body"'))]
    examples = re.findall(r'href="/search\?q=([^"]+)"', help_box)
    assert len(examples) >= 10
    for q in examples:
        body = html(client.get("/search?q=" + q))
        assert "<strong>" in body[body.index('<p class="count">'):][:200], q
    # paging: 20 agreements a page, the next page starts at 21, no agreement on two pages
    first, second = html(client.get("/search?q=training")), html(client.get("/search?q=training&page=2"))
    total = int(re.search(r"<strong>(\d+)</strong> agreements\s+match", first).group(1))
    assert total > 20 and "Next →" in first and 'rel="prev"' in second
    assert '<ol class="hits" start="21">' in second
    links = lambda b: set(re.findall(r'<h2><a href="/doc/([0-9a-f]{64})', b))  # noqa: E731
    assert len(links(first)) == 20 and links(first).isdisjoint(links(second))
    api = client.get("/api/search?q=%22Federal+Tort+Claims+Act%22&per_page=100").json
    assert api["total_documents"] == len(api["hits"]) > 0
    for hit in api["hits"]:
        assert all(m["page"] for m in hit["matches"] if m["kind"] == "page")


# --- moa serve ---------------------------------------------------------------------------

def test_moa_serve_serves_the_site(fixture_archive):
    """The real command in a subprocess: it announces its address on stderr and serves."""
    import subprocess
    import sys
    import urllib.request

    proc = subprocess.Popen([sys.executable, "-m", "cli", "--data-dir", str(fixture_archive.root),
                             "serve", "--port", "0", "--threads", "2"],
                            cwd=ROOT, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", line).group(0)
        with urllib.request.urlopen(url + "browse?state=KENTUCKY", timeout=30) as r:
            assert r.status == 200 and "Grayson County" in r.read().decode()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# --- parameters ------------------------------------------------------------------------

def test_url_for_gets_only_the_arguments_the_site_reads(client):
    """Flask's own url_for keywords in a query string never reach url_for: no redirect
    to another host or scheme, no 500 (issue 16, item 6)."""
    sha = FRANKLIN["sha256"]
    evil = {"Host": "evil.example"}
    for extra in ("_external=1", "_method=POST", "_scheme=https", "_anchor=x", "_external=1&_scheme=https",
                  "ref=x", "endpoint=x", "values=x"):
        r = client.get(f"/doc/{sha[:10]}?q=training&{extra}", headers=evil)
        assert r.status_code == 302, (extra, r.status_code)
        loc = r.headers["Location"]
        assert loc == f"/doc/{sha}?q=training", (extra, loc)
        # pages that rebuild their own address (sort, pages, filters, CSV links)
        # give the same links as without the extra argument
        for path in ("/search?q=training", f"/doc/{sha}?q=training", "/browse?state=ALABAMA",
                     f"/compare/pair?a={sha}&b={SMITH['sha256']}"):
            r = client.get(f"{path}&{extra}", headers=evil)
            assert r.status_code == 200, (path, extra, r.status_code)
            links = re.findall(r'href="([^"]+)"', html(r))
            assert links == re.findall(r'href="([^"]+)"', html(client.get(path, headers=evil))), (path, extra)


BAD_PARAMETERS = [
    ("/search?q=training&page=999", "page=999", "past the last page"),
    ("/search?q=training&page=-1", "page=-1", "whole number"),
    ("/search?q=training&page=abc", "page=abc", "whole number"),
    ("/search?q=training&sort=bogus", "sort=bogus", "relevance, newest, oldest"),
    ("/search.csv?q=training&sort=bogus", "sort=bogus", "relevance, newest, oldest"),
    ("/api/search?q=training&per_page=1000", "per_page=1000", "from 1 to 100"),
    ("/api/search?q=training&per_page=0", "per_page=0", "from 1 to 100"),
    ("/api/search?q=training&page=abc", "page=abc", "whole number"),
    ("/api/search?q=training&page=999", "page=999", "past the last page"),
    ("/api/search?q=training&sort=bogus", "sort=bogus", "relevance, newest, oldest"),
    ("/browse?from=banana", "from=banana", "YYYY-MM-DD"),
    ("/browse?to=2025-13-01", "to=2025-13-01", "YYYY-MM-DD"),
    ("/browse?from=2025-02-30", "from=2025-02-30", "YYYY-MM-DD"),
    ("/browse?page=999", "page=999", "past the last page"),
    ("/browse?per_page=lots", "per_page=lots", "whole number"),
    ("/browse.csv?from=banana", "from=banana", "YYYY-MM-DD"),
    ("/api/agreements?from=banana", "from=banana", "YYYY-MM-DD"),
    ("/api/agreements?page=999", "page=999", "past the last page"),
    (f"/doc/{FRANKLIN['sha256']}?cite=999", "cite=999", "whole number from 1 to"),
    (f"/doc/{FRANKLIN['sha256']}?view=bogus", "view=bogus", "text, images"),
    (f"/doc/{FRANKLIN['sha256']}/pdf?inline=yes", "inline=yes", "0, 1"),
    (f"/api/documents/{FRANKLIN['sha256']}?pages=all", "pages=all", "0, 1"),
]


@pytest.mark.parametrize("url,names,says", BAD_PARAMETERS)
def test_every_bad_parameter_is_a_400_in_web_terms(client, url, names, says):
    r = client.get(url)
    assert r.status_code == 400, (url, r.status_code)
    text = r.json["message"] if url.startswith("/api/") else html(r)
    assert names in text and says in text, text[:300]
    assert "`moa" not in html(r) and "Traceback" not in html(r)


def test_good_parameters_still_work(client):
    assert client.get("/search?q=training&page=1&sort=oldest").status_code == 200
    assert client.get("/search?q=zyzzyvaxqj&page=1").status_code == 200     # no results: page 1 exists
    assert client.get("/browse?from=2020&to=2025-06").status_code == 200
    assert client.get(f"/doc/{FRANKLIN['sha256']}?cite=1&view=text").status_code == 200
    assert client.get("/api/search?q=training&per_page=100").status_code == 200


def test_empty_query_is_a_400_that_says_give_a_query(client):
    for url in ("/api/search", "/api/search?q=", "/api/search?q=%20%20", "/search.csv?q="):
        r = client.get(url)
        assert r.status_code == 400, url
        assert "Give a query" in (r.json["message"] if url.startswith("/api/") else html(r))
    assert client.get("/search?q=").status_code == 200          # the home page


def test_ambiguous_sha_prefix_lists_the_documents(client):
    shas = sorted(r["sha256"] for r in MANIFEST)
    # the longest prefix two documents share, and one that is unique
    pairs = [(a, b) for a, b in zip(shas, shas[1:])]
    common = max((next(i for i in range(64) if a[i] != b[i]), a) for a, b in pairs)
    prefix = common[1][:common[0]] or shas[0][:0]
    sharing = [s for s in shas if s.startswith(prefix)]
    assert len(sharing) >= 2
    r = client.get(f"/doc/{prefix}")
    assert r.status_code == 400
    body = html(r)
    assert "Ambiguous" in body and f"more of its digits" in body
    for s in sharing:
        assert f'href="/doc/{s}"' in body
    api = client.get(f"/api/documents/{prefix}")
    assert api.status_code == 400 and {m["sha256"] for m in api.json["matches"]} == set(sharing)
    unique = shas[0][:common[0] + 1] if not shas[1].startswith(shas[0][:common[0] + 1]) else shas[0][:12]
    assert client.get(f"/doc/{unique}").headers["Location"] == f"/doc/{shas[0]}"


def test_web_errors_never_name_cli_commands(client):
    """A visitor's bad request (4xx) is answered in web terms; library messages lose their
    hints about `moa` commands (a 503 is for whoever runs the site and may name one)."""
    from web import web_terms
    assert web_terms("no document 'x': give a sha256 (see `moa export`)", "-") == "no document 'x': give a sha256"
    assert web_terms("no sections yet; run `moa process` (it cuts them)", "-") == "no sections yet"
    assert web_terms("run `moa index`", "fallback") == "fallback"
    for url in ("/doc/nothing-like-this.pdf", "/api/documents/nothing-like-this.pdf",
                "/agency/ALABAMA/nobody at all", "/api/agreements/999999", f"/doc/{'0' * 64}",
                "/no/such/page"):
        r = client.get(url)
        assert r.status_code == 404, url
        assert "`moa" not in html(r) and "moa export" not in html(r), url
    assert "list of documents" in html(client.get("/doc/nothing-like-this.pdf"))


def test_api_index_lists_every_api_endpoint(app, client):
    listed = client.get("/api").json["endpoints"]
    shown = {re.sub(r"\?.*", "", k) for k in listed}
    for rule in app.url_map.iter_rules():
        if rule.rule in ("/api", "/api/") or not (rule.rule.startswith("/api/") or rule.rule.endswith(".csv")):
            continue
        stem = re.sub(r"<[^>]+>.*", "", rule.rule)
        assert any(s.startswith(stem) and s.count("/") == rule.rule.count("/") for s in shown), rule.rule
    assert any(k.startswith("/api/compare/") for k in listed)
    assert all(listed.values())


def test_api_results_carry_next_and_previous_links(client):
    first = client.get("/api/search?q=the&per_page=2&state=TEXAS&_external=1").json
    assert first["pages"] >= 2 and first["previous"] is None
    nxt = first["next"]
    assert "page=2" in nxt and "state=TEXAS" in nxt and "per_page=2" in nxt and "_external" not in nxt
    second = client.get(nxt).json
    assert second["page"] == 2 and "page=1" in second["previous"]
    assert not {h["sha256"] for h in first["hits"]} & {h["sha256"] for h in second["hits"]}
    last = client.get(nxt.replace("page=2", f"page={first['pages']}")).json
    assert last["next"] is None
    agr = client.get("/api/agreements?per_page=5").json
    assert len(agr["agreements"]) == 5 and agr["total"] > 5 and "page=2" in agr["next"]
    again = client.get(agr["next"]).json
    assert again["previous"] and not {a["id"] for a in agr["agreements"]} & {a["id"] for a in again["agreements"]}


def test_browse_is_paged_with_totals(client, fixture_archive):
    total = fixture_archive.db.execute("SELECT COUNT(*) FROM agreements").fetchone()[0]
    assert total > 100
    first = html(client.get("/browse"))
    assert f"<strong>{total}</strong> of {total}" in first and "page 1 of" in first
    assert first.count("<tr>") - 1 == 100 and 'rel="next"' in first
    ids = lambda b: re.findall(r'href="/agency/([^"]+)"', b)  # noqa: E731
    second = html(client.get("/browse?page=2"))
    assert "101–" in second and 'rel="prev"' in second
    everything = html(client.get("/browse?per_page=1000"))
    assert ids(everything)[:len(ids(first))] == ids(first)


def test_roster_snapshots_in_the_same_order_as_the_cli(client, fixture_archive):
    """One order everywhere: ICE's publication stamp (archive.status.roster_snapshots,
    what `moa roster list` prints), on /roster, in the API and on agency pages."""
    from archive.status import roster_snapshots
    cli = [s["id"] for s in roster_snapshots(fixture_archive)]
    assert [s["id"] for s in client.get("/api/roster").json["snapshots"]] == cli
    agency = client.get("/api/agencies/ALABAMA/franklin county sheriff's office").json
    assert [s["id"] for s in agency["roster_history"]] == cli
    body = html(client.get("/roster"))
    shown = [int(m) for m in re.findall(r"<tr><td>(\d+)</td><td>(?:participating|pending)</td>", body)]
    assert shown == cli
    # the stamp in the file name decides, not the time the file was fetched or imported
    names = [s["file_name"] for s in roster_snapshots(fixture_archive)]
    from archive.harvest.rosters import published_key
    assert [published_key(n) for n in names] == sorted(published_key(n) for n in names)


def test_document_api_gives_the_cli_shapes(client, fixture_archive):
    """The API's sections and facts are what `moa sections/facts --json` give (the
    records' to_dict())."""
    from archive.structure.facts import document_facts
    from archive.structure.sections import document_sections
    for sha in (SMITH["sha256"], FRANKLIN["sha256"]):        # TFM: flat; WSO: IV A-I nested
        doc = client.get(f"/api/documents/{sha}?pages=0").json
        cli = document_sections(fixture_archive, sha).to_dict()
        assert doc["sections"] == cli["sections"] and cli["sections"]
    assert [s["depth"] for s in cli["sections"]] == [
        0 if s["parent"] is None else 1 + next(p["depth"] for p in cli["sections"] if p["key"] == s["parent"])
        for s in cli["sections"]] and max(s["depth"] for s in cli["sections"]) == 1
    sha = SMITH["sha256"]
    doc = client.get(f"/api/documents/{sha}?pages=0").json
    facts = document_facts(fixture_archive, sha).to_dict()
    assert doc["facts"] == facts["facts"] and doc["signed_check"] == facts["signed_check"]
    assert doc["revision"] == ("; ".join(f["value"] for f in facts["facts"].get("revision", [])) or None)
    assert doc["pages"] is None and doc["page_count"] == int(SMITH["pages"])


def test_bench_web_load_runs_against_the_real_server(fixture_archive):
    """bench/bench_web.py --load --rebuild, briefly: it starts `moa serve` on a copy,
    loads it, rebuilds the copy's index during a second run, and reports no error and no
    wrong answer (the full run is 50 clients x 60 s; figures in README)."""
    import subprocess
    import sys
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_web.py"), "--load", "--rebuild",
                          "--rebuilds", "1", "--clients", "4", "--seconds", "1", "--threads", "2",
                          "--data-dir", str(fixture_archive.root)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:] + out.stdout[-2000:]
    rows = {re.sub(r", \d+ (server )?threads,?", "", line.split("  ")[0]): line.split() for line in out.stdout.splitlines()
            if line.startswith(("mix,", "static file,"))}
    assert set(rows) == {"mix", "mix rebuilding", "static file"}, rows
    for cells in rows.values():
        requests, errors, wrong = int(cells[-9]), int(cells[-3]), int(cells[-2])
        assert requests > 0 and errors == 0 and wrong == 0, cells
    assert re.search(r"^  [1-9]\d* index rebuilds \(swaps\) finished during the run", out.stdout, re.M), out.stdout
    assert "wrong or failed" not in out.stdout
    assert fixture_archive.index_dir.resolve().exists()          # the archive given is not touched


def test_bench_web_crawl_follows_the_links_of_every_kind_of_page(fixture_archive):
    """bench/bench_web.py --crawl, briefly: from / it reaches search pages, documents,
    page images and the compare pages and CSVs, and prints p95 per kind."""
    import subprocess
    import sys
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_web.py"), "--crawl", "--crawlers", "2",
                          "--seconds", "20", "--threads", "2", "--data-dir", str(fixture_archive.root)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    kinds = {line[:20].strip() for line in out.stdout.splitlines()}
    for kind in ("home", "search page", "document", "page image", "compare", "pair redline",
                 "deviation ranking", "deviation CSV", "models", "models CSV", "variants index"):
        assert kind in kinds, (kind, out.stdout)
    # Each request's server CPU time (its Server-Timing header) beside its wall time: CPU
    # p95 is above 0 for pages that compute and never above the wall p95 (no request's CPU
    # time exceeds its wall time); the load average and the server's CPU seconds are printed.
    assert re.search(r"load average [\d.]+ [\d.]+ [\d.]+ \(1, 5, 15 min\) before", out.stdout), out.stdout
    used = re.search(r"the server used ([\d.]+) CPU-s in ([\d.]+) s", out.stdout)
    assert used and 0 < float(used.group(1)) < 2 * float(used.group(2)) + 5, out.stdout
    # The time a request held its server thread (Server-Timing wall) is never above the
    # crawler's own clock for it.
    table = {line[:20].strip(): line[20:].split() for line in out.stdout.splitlines()
             if re.match(r"^.{20} +\d+ +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +\d+ +\d+ +[\d.]+ +\d+$", line)}
    for kind in ("search page", "pair redline", "all"):
        requests, p50, p95, top, cpu95, _, _, held = table[kind][:8]
        assert 0 < float(cpu95) <= float(p95), (kind, table[kind])
        assert 0 < float(held) <= float(top) + 1, (kind, table[kind])
    assert re.search(r"^requests over 2 s: \d+ by the crawlers' clock, \d+ holding a server thread over 2 s",
                     out.stdout, re.M), out.stdout
    failed = re.search(r"^requests not answered 200: (\d+)$", out.stdout, re.M)
    assert failed, out.stdout
    assert not re.search(r"^  (5\d\d|0)  ", out.stdout, re.M), out.stdout      # no server error, no dead connection


def test_document_page_shows_signing_facts_beside_the_roster(client, fixture_archive):
    """Each party's signing date and signatory with its page (and the reader of a second
    reading of the block), and ICE's date beside the roster's SIGNED date: a disagreement
    is flagged on the page, an agreement said so."""
    from archive.structure.facts import document_facts
    checks = {r["file_name"]: document_facts(fixture_archive, r["sha256"]) for r in fixture_archive.db.execute(
        "SELECT sha256, file_name FROM documents WHERE kind = 'moa'")}
    off = [f for f in checks.values() if f.signed_check.agrees is False]
    same = [f for f in checks.values() if f.signed_check.agrees]
    assert off and same
    page = client.get(f"/doc/{off[0].sha256}").get_data(as_text=True)
    signing = page[page.index('id="signing"'):page.index("Template revision")]
    check = off[0].signed_check
    assert 'class="alert" id="signed-check"' in signing and f"disagree by {check.days_apart} day" in signing
    ice = next(f for f in off[0].facts if f.name == "signed_ice")
    assert f"(p. {ice.page})" in signing
    page = client.get(f"/doc/{same[0].sha256}").get_data(as_text=True)
    assert "agrees with the roster" in page and 'class="alert" id="signed-check"' not in page
    grayson = checks["GraysonCountyDCKY_JEM_MOA_030425.pdf"]
    page = client.get(f"/doc/{grayson.sha256}").get_data(as_text=True)
    signing = page[page.index('id="signing"'):page.index("Template revision")]
    assert "Jason Woosley" in signing and "(p. 7, tesseract 400 dpi, signature block)" in signing
