"""Wayback recovery of dead links (--wayback) against the local ICE stand-in
(tests/ice_server.py) and a local CDX + Wayback stand-in (tests/wayback_server.py)."""
from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, unquote, urlsplit

from click.testing import CliRunner

from archive.core.config import HarvestSettings
from cli import main
from conftest import FIXTURE_CORPUS
from ice_server import MOAS, IceServer
from store.datadir import DataDir
from wayback_server import Capture, WaybackServer

PDF = (FIXTURE_CORPUS / "pdfs" / "287gWSO_FinneyCoKs2020-03-17.pdf").read_bytes()
HTML = b"<!DOCTYPE html><html><body>Sorry, this page is not available</body></html>"


def harvest(data, ice: IceServer, *extra: str, env=None, exit_code: int = 0) -> dict:
    res = CliRunner().invoke(main, ["--data-dir", str(data), "harvest", "--source-url", ice.source_url,
                                    "--allow-host", "127.0.0.1", "--delay", "0", "--retries", "1",
                                    "--json", *extra], env=env)
    assert res.exit_code == exit_code, res.output
    return json.loads(res.stdout)


def wayback_options(wb: WaybackServer) -> tuple[str, ...]:
    return ("--wayback", "--wayback-url", wb.base, "--wayback-delay", "0")


def dead_links(ice: IceServer) -> list[str]:
    """Paths the roster links that the ICE stand-in answers 404 (no such corpus file)."""
    held = {p.name for p in (FIXTURE_CORPUS / "pdfs").glob("*.pdf")}
    return sorted({p for p in ice.roster_links() if p.rsplit("/", 1)[-1] not in held})


def asked_about(wb: WaybackServer) -> list[str]:
    """Paths of the URLs the CDX API was asked about."""
    return [unquote(urlsplit(parse_qs(urlsplit(p).query)["url"][0]).path) for p in wb.requests("/cdx/")]


def test_dead_links_with_a_pdf_capture_are_recovered_labelled_and_never_fetched_again(tmp_path):
    data = tmp_path / "data"
    with IceServer(FIXTURE_CORPUS) as ice, WaybackServer() as wb:
        dead = dead_links(ice)
        a, b, c, none = [p for p in dead if " " not in p][:4]
        held = next(p for p in ice.roster_links() if p.rsplit("/", 1)[-1] == "RuskCoSOTX_WSO_MOA_030425.pdf")
        pdf_a, pdf_b, pdf_held = PDF + b"\n% capture of A\n", PDF + b"\n% capture of B\n", PDF + b"\n% other\n"
        wb.captures = {
            a: [Capture("20240102030405", PDF + b"\n% older A\n"), Capture("20250601000000", pdf_a)],
            b: [Capture("20240101000000", pdf_b), Capture("20250101000000", HTML)],   # newest is a soft 404
            c: [Capture("20250101000000", HTML)],                                      # labelled PDF, is HTML
            held: [Capture("20250101000000", pdf_held)],
        }

        # Off by default: nothing asks the Wayback Machine, and its host is not on the allow-list.
        first = harvest(data, ice)
        assert first["wayback"] is None and wb.requests() == []
        assert "web.archive.org" not in HarvestSettings().allow_hosts
        assert "web.archive.org" in HarvestSettings(wayback=True).allow_hosts

        # ICE stops serving a file we hold; then the run with --wayback.
        ice.faults[held] = 404
        second = harvest(data, ice, *wayback_options(wb))
        w = second["wayback"]
        assert (w["recovered"], w["not_pdf"], w["held"], w["failed"]) == (2, 1, 1, 0)
        assert w["no_capture"] == len(dead) - 3 and w["asked"] == len(dead)
        assert sorted(asked_about(wb)) == dead            # every dead link, and nothing else

        d = DataDir(data)
        rows = {r["url"]: dict(r) for r in d.db.execute("SELECT * FROM wayback_recoveries")}
        for path, body, stamp, when in ((a, pdf_a, "20250601000000", "2025-06-01T00:00:00Z"),
                                        (b, pdf_b, "20240101000000", "2024-01-01T00:00:00Z")):
            url = ice.base + path
            rec = rows[url]
            assert rec["outcome"] == "recovered" and rec["captured_at"] == when
            assert rec["capture_url"] == f"{wb.base}/web/{stamp}id_/{url}"
            doc = d.db.execute("SELECT * FROM documents WHERE sha256 = ?", (rec["sha256"],)).fetchone()
            assert d.blobs.read(doc["sha256"]) == body
            assert (doc["source"], doc["url"], doc["file_name"]) == ("wayback", rec["capture_url"],
                                                                     path.rsplit("/", 1)[-1])
            assert doc["metadata_source"] == "roster" and doc["agreement_id"] is not None
            assert d.db.execute("SELECT purpose, status FROM fetches WHERE id = (SELECT fetch_id FROM versions"
                                " WHERE sha256 = ?)", (doc["sha256"],)).fetchone()[:] == ("wayback-capture", 200)
        assert rows[ice.base + c]["outcome"] == "not-pdf" and "not a PDF" in rows[ice.base + c]["error"]
        assert rows[ice.base + none]["outcome"] == "no-capture"
        # The file we had fetched from ICE ourselves is kept as it was, and was not looked up.
        assert held not in asked_about(wb)
        rusk = d.db.execute("SELECT source FROM documents WHERE file_name = 'RuskCoSOTX_WSO_MOA_030425.pdf'").fetchall()
        assert [r["source"] for r in rusk] == ["harvest"]
        # Every request to the Wayback Machine is on record.
        assert d.db.execute("SELECT COUNT(*) FROM fetches WHERE purpose LIKE 'wayback-%'").fetchone()[0] == \
            len(wb.requests())

        # A re-run fetches nothing again from the Wayback Machine.
        before = len(wb.requests())
        third = harvest(data, ice, *wayback_options(wb))
        assert len(wb.requests()) == before
        assert third["wayback"]["already_recovered"] == 2 and third["wayback"]["asked"] == 0
        assert third["wayback"]["skipped"] == len(dead) - 2
        assert d.db.execute("SELECT COUNT(*) FROM documents WHERE source = 'wayback'").fetchone()[0] == 2
        d.close()


def test_a_slow_api_times_out_without_stalling_the_harvest_and_is_asked_again_next_run(tmp_path):
    data = tmp_path / "data"
    with IceServer(FIXTURE_CORPUS) as ice, WaybackServer(cdx_delay=8) as wb:
        dead = dead_links(ice)
        wb.captures = {dead[0]: [Capture("20250101000000", PDF + b"\n% A\n")]}
        t0 = time.monotonic()
        # A failed API is a failure of the run (exit status 1: run it again later).
        out = harvest(data, ice, *wayback_options(wb), "--timeout", "2", "--retries", "0", exit_code=1)
        assert time.monotonic() - t0 < 120     # 3 timeouts of 2 s, then no more waiting on it
        w = out["wayback"]
        assert (w["failed"], w["recovered"], w["skipped"]) == (3, 0, len(dead) - 3)   # then it stopped asking
        assert len(wb.requests("/cdx/")) == 3
        d = DataDir(data)
        errors = [r[0] for r in d.db.execute("SELECT error FROM wayback_recoveries WHERE outcome = 'failed'")]
        assert len(errors) == 3 and all("timed out" in e for e in errors)
        assert out["status"] == "partial" and out["fetched"] > 0        # the harvest itself went on
        assert [f["purpose"] for f in out["failures"] if f["purpose"].startswith("wayback")] == ["wayback-cdx"] * 3

        wb.cdx_delay = 0
        again = harvest(data, ice, *wayback_options(wb))
        assert again["wayback"]["recovered"] == 1
        assert d.db.execute("SELECT COUNT(*) FROM documents WHERE source = 'wayback'").fetchone()[0] == 1
        d.close()


def test_the_environment_turns_it_on(tmp_path):
    with IceServer(FIXTURE_CORPUS) as ice, WaybackServer() as wb:
        dead = dead_links(ice)
        wb.captures = {dead[0]: [Capture("20250101000000", PDF + b"\n% A\n")]}
        out = harvest(tmp_path / "data", ice, env={"MOA_WAYBACK": "1", "MOA_WAYBACK_URL": wb.base,
                                                   "MOA_WAYBACK_DELAY": "0"})
        assert out["wayback"]["recovered"] == 1 and out["wayback"]["asked"] == len(dead)
        missing = harvest(tmp_path / "other", ice, env={"MOA_WAYBACK": "0", "MOA_WAYBACK_URL": wb.base})
        assert missing["wayback"] is None
