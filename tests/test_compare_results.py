"""Compare results precomputed by the pipeline (issue 17, items 3-4): stored results equal
a fresh computation, pages answer from them without computing, groups are recomputed
only when their inputs change, unreliable texts are kept out of the ranking, and every
link on the compare pages answers 200. On the fixture archive (the whole pipeline), and
private copies of it for the tests that change it."""
from __future__ import annotations

import json
import re
import zlib
from html import unescape
from urllib.parse import urlsplit

import pytest

from archive import compare
from archive.core.vocabulary import MODELS
from archive.compare import analyses
from test_compare import LAWRENCE, SMITH, TX_JAN, archive_copy, sha


def _web(archive):
    from web import create_app
    return create_app({"DATA_DIR": str(archive.root)}).test_client()


def _plain(x):
    """A result as JSON would carry it (tuples become lists)."""
    return json.loads(json.dumps(x))


def test_stored_results_equal_a_fresh_computation(fixture_archive):
    conn = fixture_archive.db
    stored = compare.Stored(fixture_archive)
    assert all(stored.fresh(g) for g in compare.results.current_inputs(conn))
    for d in compare.agreements(conn):
        assert stored.deviation(d.sha256) == _plain(compare.deviation(conn, d.sha256)), d.file_name
    assert stored.top_deviations(None) == _plain(compare.top_deviations(conn, None))
    for model in ("JEM", "TFM", "WSO"):
        for era in (None, "2025"):
            keys = stored.section_keys(model, era)
            assert keys == compare.section_keys(conn, model, era) and keys
            for k in keys:
                assert stored.variants(k["key"], model, era) == _plain(compare.variants(conn, k["key"], model, era))
    assert stored.models("2025") == _plain(compare.models(conn, "2025"))
    assert stored.model_redline("civil-rights", "WSO", "TFM") == _plain(
        compare.model_redline(conn, "civil-rights", "WSO", "TFM"))


def _docx_text(data: bytes) -> str:
    """The text of a Word document's tables (python-docx reading it back)."""
    import io

    import docx
    return " ".join(c.text for t in docx.Document(io.BytesIO(data)).tables for row in t.rows for c in row.cells)


def _tamper(conn, kind: str, key: str, change) -> None:
    blob = conn.execute("SELECT result FROM compare_results WHERE kind = ? AND key = ?", (kind, key)).fetchone()[0]
    result = json.loads(zlib.decompress(blob))
    change(result)
    conn.execute("UPDATE compare_results SET result = ? WHERE kind = ? AND key = ?",
                 (zlib.compress(json.dumps(result).encode()), kind, key))


def test_pages_answer_from_the_stored_results_without_computing(fixture_archive, tmp_path):
    copy = archive_copy(fixture_archive, tmp_path)
    conn = copy.db
    # Stored values no computation could give: a page showing them read them from storage.
    _tamper(conn, "deviation", sha(TX_JAN), lambda r: r.update(deviation=0.4321))
    _tamper(conn, "ranking", "TFM", lambda rows: rows[0].update(deviation=0.9876))
    _tamper(conn, "variants", "TFM||costs", lambda r: r["variants"][0].update(count=777))
    _tamper(conn, "models", "2025", lambda r: r["sections"][0].update(slot="stored-slot"))
    _tamper(conn, "section_keys", "TFM|", lambda rows: rows[0].update(title="Stored Title"))
    # ... and a redline no computation could give: the page and its exports read it as stored
    def plant(r):
        op = next(o for sec in r["sections"] for o in sec.get("redline", []) if o["op"] == "equal" and o["b"])
        op["b"] = "Storedredlinewords " + op["b"]
    _tamper(conn, "deviation", sha(TX_JAN), plant)
    conn.commit()
    client = _web(copy)
    assert "0.432" in client.get(f"/compare/deviation/{sha(TX_JAN)}").get_data(as_text=True)
    assert "Storedredlinewords" in client.get(f"/compare/deviation/{sha(TX_JAN)}").get_data(as_text=True)
    assert "Storedredlinewords" in _docx_text(client.get(f"/compare/deviation/{sha(TX_JAN)}/export.docx").data)
    assert client.get("/api/compare/deviation?top=1").json["agreements"][0]["deviation"] == 0.9876
    assert "0.9876" in client.get("/compare/deviation.csv").get_data(as_text=True)
    assert "777 agreements" in client.get("/compare/variants/costs?model=TFM").get_data(as_text=True)
    assert "stored-slot" in client.get("/compare/models?era=2025").get_data(as_text=True)
    assert "stored-slot" in client.get("/compare/models.csv?era=2025").get_data(as_text=True)
    assert "Stored Title" in client.get("/compare/variants?model=TFM").get_data(as_text=True)

    # The archive changed since (Smith County re-described): stale results are served, said
    # to be stale, and nothing is computed in the request.
    conn.execute("UPDATE documents SET agency = 'Smith County Sheriff Office' WHERE sha256 = ?", (sha(SMITH),))
    conn.commit()
    page = _web(copy).get(f"/compare/deviation/{sha(TX_JAN)}").get_data(as_text=True)
    assert "0.432" in page and "computed before the archive last changed" in page
    # The CLI computes what is stale (in memory: the archive is not written).
    from click.testing import CliRunner

    from cli import main
    out = CliRunner().invoke(main, ["--data-dir", str(copy.root), "deviation", TX_JAN, "--json"])
    assert out.exit_code == 0 and json.loads(out.stdout)["deviation"] != 0.4321

    # Never computed: a clear 503 naming the command, HTML and JSON.
    conn.execute("DELETE FROM compare_results")
    conn.execute("DELETE FROM compare_result_groups")
    conn.commit()
    client = _web(copy)
    r = client.get("/compare/deviation")
    assert r.status_code == 503 and "moa process" in r.get_data(as_text=True)
    assert client.get("/api/compare/variants/costs?model=TFM").status_code == 503
    copy.close()


def test_results_are_recomputed_only_when_their_inputs_change(fixture_archive, tmp_path):
    copy = archive_copy(fixture_archive, tmp_path)
    conn = copy.db
    again = compare.refresh(copy)
    assert set(again["groups"].values()) == {"fresh"}
    before = dict(conn.execute("SELECT grp, computed_at FROM compare_result_groups").fetchall())
    conn.execute("UPDATE segmentations SET segmented_at = '2099-01-01T00:00:00Z' WHERE sha256 = ?", (sha(SMITH),))
    conn.commit()
    r = compare.refresh(copy)
    assert r["groups"]["TFM"] == "computed" and r["groups"]["*"] == "computed"
    assert r["groups"]["WSO"] == r["groups"]["JEM"] == "fresh"
    after = dict(conn.execute("SELECT grp, computed_at FROM compare_result_groups").fetchall())
    assert after["WSO"] == before["WSO"] and after["JEM"] == before["JEM"]
    copy.close()


def _garble(text: str) -> str:
    """What a broken text layer or a failed OCR gives: letters, but not words."""
    table = str.maketrans("aeiourstnlAEIOURSTNL", "qxzjkvwqxzQXZJKVWQXZ")
    return text.translate(table)


def test_unreliable_text_is_flagged_and_left_out_of_the_ranking(fixture_archive, tmp_path):
    copy = archive_copy(fixture_archive, tmp_path)
    conn = copy.db
    target = sha(LAWRENCE)
    pages = conn.execute("SELECT page, text FROM pages WHERE sha256 = ? ORDER BY page", (target,)).fetchall()
    for p in pages[: max(1, len(pages) // 3)]:               # a third of its pages garbled
        conn.execute("UPDATE pages SET text = ? WHERE sha256 = ? AND page = ?", (_garble(p["text"]), target, p["page"]))
    conn.execute("UPDATE extractions SET extracted_at = '2099-01-01T00:00:00Z' WHERE sha256 = ?", (target,))
    conn.commit()
    assert compare.text_reliability(conn, target)["unreliable"]
    assert not compare.text_reliability(conn, sha(SMITH))["unreliable"]
    compare.refresh(copy)
    stored = compare.Stored(copy)
    assert target not in {r["sha256"] for r in stored.top_deviations(None)}
    included = {r["sha256"]: r for r in stored.top_deviations(None, include_unreliable=True)}
    assert included[target]["unreliable"] and not included[sha(SMITH)]["unreliable"]
    client = _web(copy)
    assert LAWRENCE not in client.get("/compare/deviation").get_data(as_text=True)
    page = client.get("/compare/deviation?unreliable=1").get_data(as_text=True)
    assert LAWRENCE in page and "unreliable text" in page
    assert "Its text is unreliable" in client.get(f"/compare/deviation/{target}").get_data(as_text=True)
    # Damaged OCR pages count too: a reading that failed, or tesseract unsure throughout.
    conn.execute("UPDATE pages SET method = 'ocr', ocr_status = 'error' WHERE sha256 = ?", (sha(SMITH),))
    assert compare.text_reliability(conn, sha(SMITH))["unreliable"]
    copy.close()


_HREF = re.compile(r'href="([^"]+)"')


def test_every_link_on_the_compare_pages_answers_200(fixture_archive):
    client = _web(fixture_archive)
    start = ["/compare", f"/compare/pair?a={sha(TX_JAN)}&b={sha(SMITH)}", "/compare/deviation",
             f"/compare/deviation/{sha(TX_JAN)}", "/compare/models?era=2025", "/compare/models?era=2019-2020"]
    start += [f"/compare/variants?model={m}" for m in MODELS]
    seen, queue, bad = set(start), list(start), []
    while queue:
        url = queue.pop(0)
        r = client.get(url)
        if r.status_code != 200:
            bad.append((url, r.status_code))
            continue
        if not r.mimetype == "text/html" or len(seen) > 400:
            continue
        for href in _HREF.findall(r.get_data(as_text=True)):
            href = unescape(href)
            parts = urlsplit(href)
            if parts.netloc or not parts.path.startswith(("/compare", "/api/compare")):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target not in seen:
                seen.add(target)
                queue.append(target)
    assert not bad, bad
    csv_links = [u for u in seen if u.startswith("/compare/variants/") and ".csv" in u]
    assert csv_links and all("%5B" not in u and "[" not in u for u in seen)
    assert any(u.startswith("/api/compare/variants/") for u in seen)


def test_a_pair_is_computed_once_for_its_page_exports_and_json(fixture_archive, tmp_path):
    """The pair redline is kept in memory (bounded, keyed by what it depends on): its page,
    exports and JSON compute it once; a changed document is computed again; the answer
    is the one compare_pair gives."""
    from archive.compare import recent
    copy = archive_copy(fixture_archive, tmp_path)
    client = _web(copy)
    query = f"a={sha(TX_JAN)}&b={sha(SMITH)}"
    recent._pairs.clear()
    before = recent._pairs.misses
    for url in (f"/compare/pair?{query}", f"/compare/pair/export.html?{query}", f"/compare/pair/export.docx?{query}",
                f"/compare/pair/export.pdf?{query}", f"/api/compare/pair?{query}"):
        assert client.get(url).status_code == 200, url
    assert recent._pairs.misses - before == 1 and recent._pairs.hits >= 4
    assert client.get(f"/api/compare/pair?{query}").json == _plain(compare.compare_pair(copy, TX_JAN, SMITH))
    # options are part of the key
    client.get(f"/compare/pair?{query}&fillins=0")
    assert recent._pairs.misses - before == 2
    # a document changed since (re-described: its fill-ins change): computed again, and right
    copy.db.execute("UPDATE documents SET agency = 'Smith County Sheriff Office' WHERE sha256 = ?", (sha(SMITH),))
    copy.db.commit()
    got = _web(copy).get(f"/api/compare/pair?{query}").json
    assert recent._pairs.misses - before == 3
    assert got["b"]["agency"] == "Smith County Sheriff Office" and got == _plain(compare.compare_pair(copy, TX_JAN, SMITH))
    # bounded: the oldest go
    for _ in range(recent.PAIRS + 2):
        recent._pairs.get(object(), dict)
    assert len(recent._pairs._items) == recent.PAIRS
    copy.close()
