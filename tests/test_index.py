"""store.index and archive.search's units and indexing: analysis, units, locking,
incremental updates, rebuild and recovery — on real SQLite and real Whoosh, with the
fixture corpus's own text."""
from __future__ import annotations

import os
import threading

import pytest

from archive import search
from archive.core.errors import IndexBusy
from conftest import fill_text_archive
from archive.search import snippets, units as search_units
from store import index as ix
from store.datadir import DataDir


@pytest.fixture
def filled(tmp_path) -> DataDir:
    d = fill_text_archive(DataDir(tmp_path / "data"))
    yield d
    d.close()


def shas(results) -> set[str]:
    return {h.sha256 for h in results.hits}


def test_analyzer_folds_case_quotes_hyphens_and_keeps_stop_words():
    assert ix.analyze("Sheriff’s OFFICE") == ix.analyze("sheriff's office") == ["sheriff", "s", "office"]
    assert ix.analyze("70-percent") == ix.analyze("70 percent") == ["70", "percent"]
    assert ix.analyze("Notice to Appear") == ["notice", "to", "appear"]
    assert ix.analyze("U.S.C.") == ix.analyze("U. S. C.") == ["u", "s", "c"]
    assert ix.analyze("Doña Ana") == ["dona", "ana"]


def test_units_cover_every_reading_section_and_form_value(filled):
    conn = filled.db
    finney = conn.execute("SELECT sha256 FROM documents WHERE file_name LIKE '%Finney%'").fetchone()[0]
    units = list(search_units.document_units(conn, finney, "fp"))
    kinds = [u["kind"] for u in units]
    assert kinds.count("doc") == 1 and kinds[-1] == "doc"
    pages = [u for u in units if u["kind"] == "page"]
    # page 2 holds OCR text plus a differing text layer ("perfonn"): two readings
    p2 = [u for u in pages if u["page"] == 2]
    assert sorted(u["source"] for u in p2) == ["ocr", "text"]
    assert "perfonn" in next(u for u in p2 if u["source"] == "text")["content"]
    # other pages have one reading only (text layer equals text)
    assert len([u for u in pages if u["page"] == 3]) == 1
    doc = units[-1]
    assert "content" not in doc and doc["fingerprint"] == "fp"     # its words: in its other units
    assert all(u["sha256"] == finney for u in units)
    assert all(u["state"] == "KANSAS" and u["model"] == "WSO" for u in units if u["kind"] in ("doc", "section"))
    smith = conn.execute("SELECT sha256 FROM documents WHERE file_name LIKE 'Smith%'").fetchone()[0]
    forms = [u for u in search_units.document_units(conn, smith, "fp") if u["kind"] == "form"]
    assert forms and all(u["source"] == "form" and u["content"].strip() for u in forms)


def test_incremental_update_adds_changes_and_removes(filled):
    first = search.update_index(filled)          # no index yet: built, no warning
    assert first["rebuilt"] and first["indexed"] == 7
    again = search.update_index(filled)
    assert again == dict(again, indexed=0, removed=0, unchanged=7, rebuilt=False)

    conn = filled.db
    finney = conn.execute("SELECT sha256 FROM documents WHERE file_name LIKE '%Finney%'").fetchone()[0]
    conn.execute("UPDATE pages SET text = text || ' zygomorphic clause' WHERE sha256 = ? AND page = 3",
                 (finney,))
    assert search.search(filled, "zygomorphic").total_documents == 0
    before = {q: search.search(filled, q, all_results=True) for q in ('"notice to appear"', "detainer", "perfonn")}
    changed = search.update_index(filled)
    assert changed["indexed"] == 1 and changed["unchanged"] == 6
    res = search.search(filled, "zygomorphic")
    assert shas(res) == {finney} and res.hits[0].pages == [3]
    # the changed document's old units are deleted, not matched (words, phrases)
    for q, was in before.items():
        now = search.search(filled, q, all_results=True)
        assert was.total_documents and shas(now) == shas(was), q
        assert [h.pages for h in now.hits if h.sha256 == finney] == [h.pages for h in was.hits if h.sha256 == finney]

    # a document gone from the database leaves the index
    for table in ("pages", "sections", "facts", "form_fields", "documents"):
        conn.execute(f"DELETE FROM {table} WHERE sha256 = ?", (finney,))
    gone = search.update_index(filled)
    assert gone["removed"] == 1
    assert search.search(filled, "zygomorphic").total_documents == 0
    assert search.search(filled, "perfonn").total_documents == 0


def test_an_update_that_replaces_every_document_leaves_one_live_segment(filled):
    search.update_index(filled)
    filled.db.execute("UPDATE pages SET text = text || ' zygomorphic' WHERE page = 1")
    assert search.update_index(filled)["indexed"] == 7
    index = ix.open_index(filled.index_dir)
    try:
        segments = index._segments()
        assert len(segments) == 1 and not segments[0].has_deletions()
    finally:
        index.close()
    assert search.search(filled, "zygomorphic").total_documents == 7


def test_a_parallel_build_finds_what_a_serial_one_does(filled, monkeypatch):
    """A full build by two writing processes (a large archive's) answers every query as
    one process's build does: pages, sections, snippets; each document in one segment."""
    from archive.search import indexing
    queries = ['"notice to appear"', "detainer AND warrant", "section:liability giglio", "perform~",
               '"limited english proficency~"', "immigr*", "state:KS"]

    def answers():
        return [search.search(filled, q, all_results=True).to_dict()["hits"] for q in queries]
    search.rebuild_index(filled)
    serial = answers()
    monkeypatch.setattr(indexing, "PARALLEL_PAGES", 1)
    monkeypatch.setattr(indexing, "WRITERS", 2)
    search.rebuild_index(filled)
    index = ix.open_index(filled.index_dir)
    try:
        assert len(index._segments()) == 2
    finally:
        index.close()
    parallel = answers()
    for q, a, b in zip(queries, serial, parallel):
        def same(hits):    # equal scores may come in another order
            return sorted(({k: v for k, v in h.items() if k != "score"} for h in hits), key=lambda h: h["sha256"])
        assert a and same(a) == same(b), q


def test_writer_lock_refuses_a_second_writer(filled):
    search.update_index(filled)
    with ix.write_lock(filled.root):
        with pytest.raises(IndexBusy, match="another process is updating the search index"):
            search.update_index(filled)
        with pytest.raises(IndexBusy):
            search.rebuild_index(filled)
        # searchers never wait on the writer
        assert search.search(filled, '"notice to appear"').total_documents == 4


def test_rebuild_swaps_generations_and_readers_keep_working(filled):
    search.rebuild_index(filled)
    old_target = filled.index_dir.resolve()
    before = search.search(filled, '"notice to appear"')
    search.rebuild_index(filled)
    new_target = filled.index_dir.resolve()
    assert new_target != old_target and filled.index_dir.is_symlink()
    assert old_target.is_dir()                   # the previous generation is kept once
    search.rebuild_index(filled)
    assert not old_target.exists()               # older ones are dropped
    after = search.search(filled, '"notice to appear"')
    assert shas(after) == shas(before) and after.total_documents == 4


def test_searches_during_a_rebuild_see_a_whole_index(filled):
    search.rebuild_index(filled)
    expected = search.search(filled, "detainers").total_documents
    seen, errors = [], []

    def rebuild():
        try:
            for _ in range(2):
                search.rebuild_index(filled)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    t = threading.Thread(target=rebuild)
    t.start()
    while t.is_alive():
        seen.append(search.search(filled, "detainers").total_documents)
    t.join()
    assert not errors and seen and set(seen) == {expected}


def test_corrupt_index_is_rebuilt_with_a_warning(filled):
    search.rebuild_index(filled)
    ix.forget_readers()
    target = filled.index_dir.resolve()
    for f in target.iterdir():
        if f.name.endswith(".toc"):
            f.write_bytes(b"garbage")
    with pytest.warns(search.IndexRebuiltWarning, match="unreadable"):
        res = search.search(filled, '"notice to appear"')
    assert res.total_documents == 4


def test_missing_index_is_rebuilt_by_search_and_update(filled):
    with pytest.warns(search.IndexRebuiltWarning, match="no usable search index"):
        assert search.search(filled, "perfonn").total_documents == 1
    os.unlink(filled.index_dir)                  # remove the link: index missing
    ix.forget_readers()
    assert search.update_index(filled)["rebuilt"] is True
    assert search.search(filled, "perfonn").total_documents == 1


def test_fuzzy_expansion_is_capped_and_remembered(text_archive):
    with ix.reading(text_archive.index_dir) as r:
        assert len(r.expand_leaf(ix.QPattern("c*"))) == ix.MAX_FUZZY_EXPANSIONS    # capped
        assert r.expand_leaf(ix.QFuzzy("in")) == ["in"]        # two letters: exact unless asked
        found = r.expand_leaf(ix.QFuzzy("perform"))
        assert "perfonn" in found and "perform" in found
        with ix.reading(text_archive.index_dir) as other:     # another thread's reader
            assert other is not r and other.expand_leaf(ix.QFuzzy("perform")) is found


def test_snippet_is_html_safe_and_marks_only_matched_words():
    text = "The <b>SHERIFF</b> & ICE agree: a Notice to Appear is issued. " + "filler " * 80 + "appear again"
    s = snippets.snippet(text, {"notice", "appear"})
    assert "<b>" not in s and "&lt;b&gt;" in s and "&amp;" in s
    assert "<mark>Notice</mark> to <mark>Appear</mark>" in s
    assert s.count("<mark>") == 2 and s.endswith("…")
    assert snippets.snippet("nothing here", {"absent"}) == "nothing here"


def test_store_imports_nothing_from_archive_and_only_store_index_imports_whoosh():
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    offenders = []
    for path in sorted(root.glob("**/*.py")):
        rel = path.relative_to(root)
        if rel.parts[0] in (".venv", "tests", "bench") or "site-packages" in rel.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            for name in names:
                top = name.split(".")[0]
                if rel.parts[0] == "store" and top in ("archive", "web", "cli"):
                    offenders.append(f"{rel} imports {name}")
                if top == "whoosh" and rel != Path("store/index.py"):
                    offenders.append(f"{rel} imports {name} (Whoosh stays behind store/index.py)")
    assert not offenders, "\n".join(offenders)


def test_web_never_builds_a_missing_index_and_answers_503(filled):
    from web import create_app

    filled.db.commit()
    client = create_app({"DATA_DIR": str(filled.root)}).test_client()
    for url in ("/search?q=detainers", "/api/search?q=detainers"):
        r = client.get(url)
        assert r.status_code == 503, url
        assert "the search index is not built yet: run `moa index --rebuild`" in r.get_data(as_text=True)
    assert r.json["status"] == 503
    assert not filled.index_dir.exists() and not list(filled.root.glob("index.*"))
    # the CLI and the pipeline still build it (with a warning when one was there but broken)
    search.update_index(filled)
    assert client.get("/api/search?q=detainers").json["total_documents"] > 0


def test_web_answers_503_for_an_unreadable_index_and_leaves_it(filled):
    from web import create_app

    search.rebuild_index(filled)
    filled.db.commit()
    ix.forget_readers()
    target = filled.index_dir.resolve()
    for f in target.iterdir():
        if f.name.endswith(".toc"):
            f.write_bytes(b"garbage")
    before = sorted((f.name, f.stat().st_mtime_ns) for f in target.iterdir())
    client = create_app({"DATA_DIR": str(filled.root)}).test_client()
    r = client.get("/search?q=detainers")
    assert r.status_code == 503 and "moa index --rebuild" in r.get_data(as_text=True)
    assert filled.index_dir.resolve() == target
    assert sorted((f.name, f.stat().st_mtime_ns) for f in target.iterdir()) == before


# --- many threads against the real server -----------------------------------------------

THREAD_QUERIES = ["immigr*", "signed:2025", '"notice to appear"', "detainers AND warrant", "perform~",
                  "section:designation detainers", 'training NOT "task force"', '"officer authority"~10',
                  "state:TX model:TFM detainers", "proficency~", "jail/correctional~", "model:WSO complaint"]


def test_concurrent_searches_on_the_real_server_match_a_serial_baseline_across_a_swap(filled):
    """16 clients against waitress (8 threads) while the index is rebuilt twice: every
    answer equals the serial one, none fails."""
    import json
    import random
    import time
    import urllib.parse
    import urllib.request

    from waitress.server import create_server

    from web import create_app

    search.rebuild_index(filled)
    filled.db.commit()
    server = create_server(create_app({"DATA_DIR": str(filled.root)}), host="127.0.0.1", port=0,
                           threads=8, ident="moa-test")
    threading.Thread(target=server.run, daemon=True).start()
    base = f"http://127.0.0.1:{server.effective_port}"
    urls = [f"{base}/api/search?per_page=100&q={urllib.parse.quote(q)}" for q in THREAD_QUERIES]
    urls += [f"{base}/search?q={urllib.parse.quote(q)}" for q in THREAD_QUERIES[:3]]

    def get(url: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(url, timeout=60) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    try:
        baseline = {u: get(u) for u in urls}
        assert all(status == 200 for status, _ in baseline.values()), baseline
        assert all(json.loads(body)["total_documents"] for u, (_, body) in baseline.items() if "/api/" in u)
        first_target = filled.index_dir.resolve()
        errors, mismatches, answers, after_swap = [], [], [0], [0]
        rebuilding = threading.Event()
        rebuilding.set()

        def client(seed: int) -> None:
            rnd = random.Random(seed)
            n = 0
            while rebuilding.is_set() or n < 20:
                url = rnd.choice(urls)
                swapped = filled.index_dir.resolve() != first_target
                status, body = get(url)
                answers[0] += 1
                after_swap[0] += swapped
                if status != 200:
                    errors.append((url, status, body[:300]))
                elif (status, body) != baseline[url]:
                    mismatches.append(url)
                n += 1

        def rebuild() -> None:
            try:
                time.sleep(0.5)
                for _ in range(2):
                    search.rebuild_index(DataDir(filled.root))
            except Exception as e:  # pragma: no cover - reported below
                errors.append(("rebuild", repr(e)))
            finally:
                rebuilding.clear()

        clients = [threading.Thread(target=client, args=(i,)) for i in range(16)]
        builder = threading.Thread(target=rebuild)
        for t in clients + [builder]:
            t.start()
        for t in clients + [builder]:
            t.join(timeout=600)
        assert not errors, errors[:5]
        assert not mismatches, f"{len(mismatches)} of {answers[0]} answers differ: {mismatches[:5]}"
        assert filled.index_dir.resolve() != first_target and after_swap[0] > 0
        assert answers[0] >= 16 * 20
    finally:
        server.close()


def test_an_old_generation_is_closed_only_when_its_last_reader_comes_back(filled):
    search.rebuild_index(filled)
    with ix.reading(filled.index_dir) as old:
        words = ix.QWords("detainers")
        before = old.match_documents(words).documents
        search.rebuild_index(filled)                     # swap: a new generation is current
        with ix.reading(filled.index_dir) as new:
            assert new.ix is not old.ix and new.match_documents(words).documents
        assert old.match_documents(words).documents == before         # still readable while held
        assert not old.searcher.is_closed
    assert old.searcher.is_closed                        # closed when given back
    with ix.reading(filled.index_dir) as again:
        assert again is new                              # the current generation's reader is reused


def test_the_private_whoosh_names_we_rely_on_still_exist_and_behave(filled):
    """Fails loudly on a whoosh-reloaded release that renames or changes them."""
    import importlib
    from importlib.metadata import version

    import whoosh.query.spans as spans

    major, minor = (int(x) for x in version("whoosh-reloaded").split(".")[:2])
    assert (major, minor) < (2, 8), "pyproject.toml bounds whoosh-reloaded below 2.8: re-check WHOOSH_PRIVATE"
    import inspect
    for dotted, why in ix.WHOOSH_PRIVATE.items():
        module, cls, name = dotted.rsplit(".", 2)
        owner = getattr(importlib.import_module(module), cls)
        # a method it has, or (for the span matcher's hooks) one its code calls
        assert callable(getattr(owner, name, None)) or f"self.{name}(" in inspect.getsource(owner), \
            f"whoosh no longer has {dotted} ({why})"
    search.rebuild_index(filled)
    index = ix.open_index(filled.index_dir)
    try:
        assert index._segments() and index.latest_generation() >= 1
        with index.searcher() as s:
            # the expansions are index terms (bytes or str) and the cap applies
            terms = list(ix._CappedFuzzy("content", "perform", maxdist=2, prefixlength=1)._btexts(s.reader()))
            assert b"perfonn" in terms or "perfonn" in terms
            assert len(ix._CappedPrefix("content", "c")._btexts(s.reader())) == ix.MAX_FUZZY_EXPANSIONS
            # postings read a block at a time (._ids, ._i, ._values) are whoosh's own, one by one
            for word in ("the", "detainer", "perfonn"):
                for sub, _ in s.leaf_searchers():
                    if ("content", word) not in sub.reader():
                        continue
                    fast = ix._block_postings(sub.reader().postings("content", word))
                    slow = dict(sub.reader().postings("content", word).all_items())
                    assert fast == slow and len(fast) > 0
                    assert ix._block_ids(sub.reader().postings("content", word)) == sorted(slow)
            for slots, slop in (([["notice"], ["to"], ["appear"]], 1), ([["officer"], ["authority"]], 10),
                                ([["the"], ["officer", "officers"]], 3)):
                q = ix._Phrase("content", slots, slop=slop)
                assert ix._phrase_ids(s, q) == sorted(s.docs_for_query(q)) != []
    finally:
        index.close()
    assert "_replacement" in spans.SpanWrappingMatcher.__dict__
    # and our phrase matcher, built on them, still finds phrases (and only phrases)
    assert search.search(filled, '"notice to appear"').total_documents == 4
    assert search.search(filled, '"notice appear"').total_documents == 0
