"""`moa harvest` against a local server playing ICE (tests/ice_server.py); never the internet."""
from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote

import pytest
from click.testing import CliRunner

from cli import main
from conftest import FIXTURE_CORPUS, ROOT, SHARED_CORPUS
from ice_server import MOAS, PROGRAM, ROSTERS, TEMPLATES, IceServer
from store.datadir import DataDir


def harvest_cli(data: Path, server: IceServer, *extra: str, command: str = "harvest"):
    """Run `moa harvest --json` in-process; return (exit code, parsed JSON or None, result)."""
    res = CliRunner().invoke(main, ["--data-dir", str(data), command, "--source-url", server.source_url,
                                    "--allow-host", "127.0.0.1", "--delay", "0", "--retries", "1",
                                    "--json", *extra])
    try:
        out = json.loads(res.stdout)
    except ValueError:
        out = None
    return res.exit_code, out, res


def table(db: Path | DataDir, sql: str) -> list[tuple]:
    conn = db.db if isinstance(db, DataDir) else sqlite3.connect(db)
    return sorted(tuple(r) for r in conn.execute(sql))


@pytest.fixture(params=["fixture", "shared"])
def corpus(request) -> Path:
    path = FIXTURE_CORPUS if request.param == "fixture" else SHARED_CORPUS
    if not (path / "MANIFEST.csv").is_file():
        pytest.skip(f"no corpus at {path}")
    return path


@pytest.fixture
def server():
    with IceServer(FIXTURE_CORPUS) as s:
        yield s


def test_full_harvest_stores_exactly_the_linked_pdfs(tmp_path, corpus):
    with IceServer(corpus) as server:
        code, out, res = harvest_cli(tmp_path / "data", server)
        assert code == 0, res.output
        assert out["status"] == "partial"     # the rosters link many MOAs the corpus lacks: 404s
        assert {f["status"] for f in out["failures"]} == {404}
        d = DataDir(tmp_path / "data")
        manifest = {m["sha256"]: m for m in server.manifest() if m["file"].startswith("pdfs/")}
        stored = {r[0] for r in d.db.execute("SELECT sha256 FROM documents WHERE kind != 'template'")}
        assert stored == set(manifest)
        for sha, m in manifest.items():
            assert d.blobs.read(sha) == (corpus / m["file"]).read_bytes()
        assert table(d, "SELECT template_model FROM documents WHERE kind = 'template'") == \
            [("JEM",), ("TFM",), ("TTFM",), ("WSO",)]
        # Every link the roster holds was asked for once, SafeLinks-wrapped or not; nothing else.
        links = server.roster_links()
        asked = [unquote(h.path) for h in server.hits(MOAS) if not h.path.startswith(MOAS + "archive/")]
        assert sorted(asked) == sorted(set(links))
        port = server.base.rsplit(":", 1)[1]
        assert {h.host for h in server.hits()} == {f"127.0.0.1:{port}"}
        assert not table(d, "SELECT url FROM fetches WHERE url LIKE '%safelinks%'")
        # Provenance: each document has a version at the URL it came from, and a fetch record.
        assert not table(d, "SELECT d.sha256 FROM documents d LEFT JOIN versions v USING (sha256)"
                            " WHERE v.url IS NULL OR v.fetch_id IS NULL")
        # Roster-linked documents carry the roster's metadata; archive-only ones the archive page's.
        for sha, source in table(d, "SELECT sha256, metadata_source FROM documents WHERE kind != 'template'"):
            archive_only = manifest[sha] in server.archived()[:-1]
            assert source == ("archive-page" if archive_only else "roster")
            doc = d.db.execute("SELECT * FROM documents WHERE sha256 = ?", (sha,)).fetchone()
            assert (doc["state"], doc["model"]) == (manifest[sha]["state"], manifest[sha]["model"])
        d.close()


def test_second_harvest_downloads_no_pdf_bytes(tmp_path, server):
    data = tmp_path / "data"
    harvest_cli(data, server)
    before = {t: table(data / "moa.sqlite3", f"SELECT * FROM {t}")
              for t in ("files", "documents", "roster_snapshots", "agreements")}
    n = len(server.hits())
    # This time the settings come from the environment (as `./go run` passes them).
    env = {"MOA_SOURCE_URL": server.source_url, "MOA_ALLOW_HOSTS": "mirror.example, 127.0.0.1",
           "MOA_DELAY": "0", "MOA_USER_AGENT": "env-agent/2"}
    res = CliRunner().invoke(main, ["--data-dir", str(data), "harvest", "--json"], env=env)
    code, out = res.exit_code, json.loads(res.stdout)
    assert code == 0
    assert {h.user_agent for h in server.hits()[n:]} == {"env-agent/2"}
    second = server.hits()[n:]
    pdf_hits = [h for h in second if h.path.lower().endswith((".pdf", ".xlsx")) and h.status != 404]
    assert pdf_hits and sum(h.bytes for h in pdf_hits) == 0
    stored = [h for h in pdf_hits if h.status == 304]
    assert all(h.conditional for h in stored)
    assert len(stored) == out["not_modified"] == 7 + 1 + 4 + 2   # PDFs, archive copy, templates, rosters
    assert out["new_files"] == out["new_snapshots"] == 0
    for t, rows in before.items():
        if t != "documents":  # only last_fetched_at moves
            assert table(data / "moa.sqlite3", f"SELECT * FROM {t}") == rows
    assert table(data / "moa.sqlite3", "SELECT outcome, COUNT(*) FROM fetches WHERE run_id = 2"
                                       " GROUP BY 1") == [("failed", 632), ("new", 2), ("not-modified", 14)]


def test_killed_harvest_rerun_ends_identical(tmp_path, server):
    reference, killed = tmp_path / "reference", tmp_path / "killed"
    assert harvest_cli(reference, server)[0] == 0
    cmd = [sys.executable, "-m", "cli", "--data-dir", str(killed), "harvest", "--source-url", server.source_url,
           "--allow-host", "127.0.0.1", "--delay", "0.02", "--retries", "1"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    try:
        while time.time() < deadline:
            if (killed / "moa.sqlite3").exists():
                try:
                    n = sqlite3.connect(f"file:{killed / 'moa.sqlite3'}?mode=ro", uri=True).execute(
                        "SELECT COUNT(*) FROM documents WHERE kind = 'moa'").fetchone()[0]
                except sqlite3.OperationalError:
                    n = 0
                if n >= 2:
                    break
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    db = killed / "moa.sqlite3"
    assert table(db, "SELECT status, finished_at FROM runs") == [("running", None)]   # killed mid-run
    res = CliRunner().invoke(main, ["--data-dir", str(killed), "status", "--json"])
    shown = json.loads(res.stdout)
    assert shown["last_harvest"]["status"] == "interrupted"   # nobody holds the lock: it was killed
    assert shown["last_completed_harvest"] is None and shown["writer"] is None
    assert harvest_cli(killed, server)[0] == 0
    runs = d_runs = table(db, "SELECT id, status, finished_at IS NOT NULL FROM runs")
    assert [r[1:] for r in d_runs] == [("interrupted", 1), ("partial", 1)], runs   # closed on the next start

    queries = {
        "files": "SELECT sha256, bytes, kind, file_name, media_type, path FROM files",
        "versions": "SELECT url, version, sha256, etag, last_modified FROM versions",
        "documents": "SELECT sha256, kind, file_name, url, agreement_id, agency, state, model, signed,"
                     " template_model, metadata_source, source FROM documents",
        "snapshots": "SELECT id, kind, sha256, url, file_name, row_count FROM roster_snapshots",
        "rows": "SELECT * FROM roster_rows",
        "agreements": "SELECT * FROM agreements",
    }
    for name, sql in queries.items():
        assert table(db, sql) == table(reference / "moa.sqlite3", sql), name
    on_disk = lambda root: sorted(p.relative_to(root).as_posix() for p in (root / "files").rglob("*")  # noqa: E731
                                  if p.is_file())
    assert on_disk(killed) == on_disk(reference)
    assert not [p for p in (killed / "files").rglob(".tmp-*")]


def test_off_list_hosts_are_never_contacted(tmp_path, server):
    port = server.base.rsplit(":", 1)[1]
    offlist = f"http://localhost:{port}"   # the same server under a name not on the allow-list
    rusk = MOAS + "RuskCoSOTX_WSO_MOA_030425.pdf"
    smith = MOAS + "SmithCoSheriffsOfficeTX_TFM_MOA_02.18.25.pdf"
    server.faults[rusk] = ("redirect", offlist + rusk)                    # off-list redirect target
    server.faults[smith] = ("redirect", MOAS + "archive/SmithCoSheriffsOfficeTX_TFM_MOA_02.18.25.pdf")
    server.extra_links.append((offlist + TEMPLATES + "WSO_MOA_fillable.pdf", "WSO MOA (fillable)"))
    code, out, res = harvest_cli(tmp_path / "data", server)
    assert code == 1 and out["problems"] == 2       # something failed: the exit status says so
    assert {h.host for h in server.hits()} == {f"127.0.0.1:{port}"}
    failures = {unquote(f["url"]).split(port, 1)[1]: f["reason"] for f in out["failures"] if f["status"] != 404}
    assert set(failures) == {rusk, TEMPLATES + "WSO_MOA_fillable.pdf"}
    assert "redirected to http://localhost" in failures[rusk] and "allow-list" in failures[rusk]
    assert "not on the allow-list" in failures[TEMPLATES + "WSO_MOA_fillable.pdf"]
    d = DataDir(tmp_path / "data")
    names = {r[0] for r in d.db.execute("SELECT file_name FROM documents")}
    assert "RuskCoSOTX_WSO_MOA_030425.pdf" not in names
    # An allowed redirect is followed, and the final URL recorded.
    assert "SmithCoSheriffsOfficeTX_TFM_MOA_02.18.25.pdf" in names
    final = d.db.execute("SELECT final_url FROM fetches WHERE url = ?", (server.base + smith,)).fetchone()[0]
    assert final.endswith("/archive/SmithCoSheriffsOfficeTX_TFM_MOA_02.18.25.pdf")
    d.close()


def test_bad_answers_are_recorded_failures_and_the_run_goes_on(tmp_path, server):
    pdf = lambda name: MOAS + name  # noqa: E731
    absent = next(p for p in server.roster_links() if not (FIXTURE_CORPUS / "pdfs" / p.rsplit("/", 1)[1]).exists())
    server.big_size = 1_500_000
    faults = {
        pdf("FranklinCountyAL_WSO_MOA_030625.pdf"): (403, "HTTP 403"),
        pdf("GraysonCountyDCKY_JEM_MOA_030425.pdf"): (500, "HTTP 500"),
        pdf("LawrenceCoSheriffsOfficeAL_TFM_MOA_06182025.pdf"): ("html", "not a PDF"),
        pdf("SmithCoSheriffsOfficeTX_TFM_MOA_02.18.25.pdf"): ("truncated", "truncated"),
        pdf("TexasOfficeAttorneyGeneral_TFM_MOA_01.30.25.pdf"): (("slow", 2.5), "timed out"),
        pdf("RuskCoSOTX_WSO_MOA_030425.pdf"): (None, "over --max-bytes: 783801 bytes declared"),
        absent: ("big", "over --max-bytes: more than"),
        pdf("287gWSO_FinneyCoKs2020-03-17.pdf"): ("flaky", None),
    }
    server.faults.update({p: f for p, (f, _) in faults.items() if f is not None})
    code, out, _ = harvest_cli(tmp_path / "data", server, "--max-bytes", "700000", "--timeout", "1.5")
    assert code == 1 and out["status"] == "partial"
    failures = {unquote(f["url"]).split(server.base, 1)[1]: f["reason"] for f in out["failures"]}
    for path, (_, reason) in faults.items():
        if reason is None:
            assert path not in failures
        else:
            assert reason in failures[path], (path, failures.get(path))
    assert len([h for h in server.hits(pdf("GraysonCountyDCKY_JEM_MOA_030425.pdf"))]) == 2  # retried once
    assert len([h for h in server.hits(pdf("FranklinCountyAL_WSO_MOA_030625.pdf"))]) == 1   # 4xx: no retry
    d = DataDir(tmp_path / "data")
    names = {r[0] for r in d.db.execute("SELECT file_name FROM documents WHERE kind != 'template'")}
    assert names == {"287gWSO_FinneyCoKs2020-03-17.pdf"}
    recorded = table(d, "SELECT url, error FROM fetches WHERE outcome = 'failed'")
    assert all(r[1] for r in recorded)
    assert {r[0] for r in recorded if not r[1].endswith("(retried)")} == {f["url"] for f in out["failures"]}
    # Every request is on record, the retried attempts too: 500, timeout, truncated, flaky.
    retried = [unquote(r[0]).split(server.base, 1)[1] for r in recorded if r[1].endswith("(retried)")]
    assert sorted(retried) == sorted([pdf("GraysonCountyDCKY_JEM_MOA_030425.pdf"),
                                      pdf("SmithCoSheriffsOfficeTX_TFM_MOA_02.18.25.pdf"),
                                      pdf("TexasOfficeAttorneyGeneral_TFM_MOA_01.30.25.pdf"),
                                      pdf("287gWSO_FinneyCoKs2020-03-17.pdf")])
    assert not list((d.files_dir).rglob(".tmp-*"))
    d.close()


def test_every_document_refused_is_a_failure_even_when_the_rosters_came(tmp_path, server):
    probe = tmp_path / "probe"
    assert harvest_cli(probe, server)[0] == 0
    documents = [unquote(r[0]).split(server.base, 1)[1] for r in
                 table(probe / "moa.sqlite3", "SELECT DISTINCT url FROM fetches WHERE purpose IN"
                                              " ('moa', 'addendum', 'template', 'archive-moa')")]
    assert len(documents) > 20
    server.faults.update({path: 403 for path in documents})
    code, out, res = harvest_cli(tmp_path / "data", server)
    assert out["status"] == "partial" and out["fetched"] == 2            # the two rosters came
    assert code == 1 and out["problems"] == len(documents) - out["unpublished"] > 0
    assert "ICE's bot protection" in out["failures"][-1]["reason"]
    res = CliRunner().invoke(main, ["--data-dir", str(tmp_path / "data"), "harvest", "--source-url",
                                    server.source_url, "--allow-host", "127.0.0.1", "--delay", "0"])
    assert res.exit_code == 1 and f"error: {out['problems']} request(s) failed" in res.stderr
    # The failed requests keep what the server said it sent.
    types = table(tmp_path / "data" / "moa.sqlite3", "SELECT DISTINCT content_type FROM fetches"
                                                     " WHERE outcome = 'failed' AND status = 403")
    assert types == [("text/html",)]        # what the stand-in of ICE sends with a 403


def test_a_second_writer_says_whose_lock_it_waits_for(tmp_path, server):
    import os
    import threading

    from archive.harvest.recording import lock_holder, writer_lock
    d = DataDir(tmp_path / "data")
    held, release = threading.Event(), threading.Event()

    def hold():
        with writer_lock(d, "import"):
            held.set()
            release.wait(30)

    t = threading.Thread(target=hold)
    t.start()
    held.wait(10)
    holder = lock_holder(d)
    assert holder["pid"] == os.getpid() and holder["command"] == "import" and holder["since"]
    threading.Timer(1.0, release.set).start()
    t0 = time.monotonic()
    code, out, res = harvest_cli(tmp_path / "data", server)
    t.join()
    assert code == 0 and time.monotonic() - t0 >= 1.0
    assert f"waiting for `moa import` (pid {os.getpid()}, since {holder['since']})" in res.stderr
    assert lock_holder(d) is None
    d.close()


def test_changed_file_at_same_url_becomes_version_2(tmp_path, server):
    data = tmp_path / "data"
    harvest_cli(data, server)
    path = MOAS + "RuskCoSOTX_WSO_MOA_030425.pdf"
    old = server.content(path)
    server.overrides[path] = old + b"\n%% re-saved by ICE\n"
    code, out, _ = harvest_cli(data, server)
    assert (code, out["new_versions"], out["new_files"]) == (0, 1, 1)
    d = DataDir(data)
    rows = d.db.execute("SELECT version, sha256 FROM versions WHERE url = ? ORDER BY version",
                        (server.base + path,)).fetchall()
    assert [r["version"] for r in rows] == [1, 2]
    assert d.blobs.read(rows[0]["sha256"]) == old and d.blobs.read(rows[1]["sha256"]) == old + b"\n%% re-saved by ICE\n"
    docs = table(d, "SELECT sha256, metadata_source, agency FROM documents WHERE file_name = 'RuskCoSOTX_WSO_MOA_030425.pdf'")
    assert len(docs) == 2 and {r[1] for r in docs} == {"roster"}
    assert table(d, "SELECT outcome FROM fetches WHERE url = ?".replace("?", f"'{server.base + path}'")) == \
        [("new",), ("new-version",)]
    d.close()


def test_workbook_snapshots_only_when_bytes_change(tmp_path, server):
    data = tmp_path / "data"
    harvest_cli(data, server)
    current = server.content(ROSTERS + server.participating)
    # ICE republishes the same bytes under a new name: a new URL version, no new snapshot.
    server.overrides[ROSTERS + "participatingAgencies08012025am.xlsx"] = current
    server.participating = "participatingAgencies08012025am.xlsx"
    server._cache.pop(PROGRAM)
    code, out, _ = harvest_cli(data, server)
    assert (code, out["new_snapshots"]) == (0, 0)
    d = DataDir(data)
    assert table(d, "SELECT kind, COUNT(*) FROM roster_snapshots GROUP BY 1") == [("participating", 1), ("pending", 1)]
    assert len(table(d, "SELECT url FROM versions WHERE url LIKE '%participatingAgencies%'")) == 2
    # An older publication has other bytes: a new snapshot, but agreements follow the newest.
    agreements = table(d, "SELECT * FROM agreements")
    server.participating = "participatingAgencies05162025am.xlsx"
    server._cache.pop(PROGRAM)
    code, out, _ = harvest_cli(data, server)
    assert (code, out["new_snapshots"]) == (0, 1)
    assert table(d, "SELECT kind, COUNT(*) FROM roster_snapshots GROUP BY 1") == [("participating", 2), ("pending", 1)]
    after = {r[0]: r for r in table(d, "SELECT * FROM agreements")}
    only_older = set(after) - {r[0] for r in agreements}
    assert only_older and all(after[i][9] == "removed" for i in only_older)
    for r in agreements:   # id, ..., status, signed, moa_url: as the newest roster says
        assert after[r[0]][:12] == r[:12]
    d.close()


def test_nothing_fetched_is_a_clear_failure(tmp_path):
    with IceServer(FIXTURE_CORPUS) as server:
        pass   # stopped: nothing listens on its port any more
    code, out, res = harvest_cli(tmp_path / "data", server)
    assert code == 1 and out["status"] == "failed" and out["fetched"] == 0
    assert "cannot connect" in out["failures"][0]["reason"]
    res = CliRunner().invoke(main, ["--data-dir", str(tmp_path / "data"), "harvest", "--source-url",
                                    server.source_url, "--allow-host", "127.0.0.1", "--delay", "0",
                                    "--retries", "0"])
    assert res.exit_code == 1 and "nothing could be fetched" in res.stderr
    # `update` says so too, still processes what the archive holds, and exits 1.
    code, out, res = harvest_cli(tmp_path / "data", server, command="update")
    assert code == 1 and out["harvest"]["status"] == "failed" and "process" in out


def test_program_page_without_rosters_names_the_page(tmp_path, server):
    server.overrides[PROGRAM] = b"<html><body><a href='/news'>News</a></body></html>"
    code, out, _ = harvest_cli(tmp_path / "data", server)
    assert code == 1 and out["status"] == "failed"
    assert "no participating-agencies workbook" in out["failures"][0]["reason"]
    assert out["failures"][0]["url"] == server.source_url
