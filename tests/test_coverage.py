"""Coverage (`moa status --coverage`, /coverage, the head of /browse) on an archive built by
the real harvest (ICE stand-in with 404s, Wayback stand-in), import and extract stages."""
from __future__ import annotations

import csv
import io
import json
import re
from urllib.parse import unquote, urlsplit

import pytest
from click.testing import CliRunner

from archive.coverage import CATEGORIES, coverage
from archive.harvest.importer import import_paths
from archive.read.extract import extract_all
from cli import main
from conftest import FIXTURE_CORPUS
from ice_server import IceServer
from store.datadir import DataDir
from wayback_server import Capture, WaybackServer
from web import create_app

PDFS = FIXTURE_CORPUS / "pdfs"


def moa(data, *args):
    return CliRunner().invoke(main, ["--data-dir", str(data), *args])


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Harvested with one dead link recovered from the Wayback Machine, plus a broken copy
    of another dead link imported; every document read. Returns (DataDir, what we know)."""
    tmp = tmp_path_factory.mktemp("coverage")
    data = tmp / "data"
    with IceServer(FIXTURE_CORPUS) as ice, WaybackServer() as wb:
        # The one scan answers 404 too (OCR is slow and not what this is about).
        scan = next(p for p in ice.roster_links() if p.endswith("/RuskCoSOTX_WSO_MOA_030425.pdf"))
        ice.faults[scan] = 404
        held = {p.name for p in PDFS.glob("*.pdf")} - {"RuskCoSOTX_WSO_MOA_030425.pdf"}
        dead = sorted({p for p in ice.roster_links() if p.rsplit("/", 1)[-1] not in held and " " not in p})
        recovered, broken = dead[0], dead[1]
        wb.captures = {recovered: [Capture("20250101000000",
                                           (PDFS / "FranklinCountyAL_WSO_MOA_030625.pdf").read_bytes() + b"\n%")]}
        res = moa(data, "harvest", "--source-url", ice.source_url, "--allow-host", "127.0.0.1", "--delay", "0",
                  "--retries", "0", "--wayback", "--wayback-url", wb.base, "--wayback-delay", "0", "--json")
        assert res.exit_code == 0, res.output
        assert json.loads(res.stdout)["wayback"]["recovered"] == 1
    copy = tmp / broken.rsplit("/", 1)[-1]
    copy.write_bytes((PDFS / "GraysonCountyDCKY_JEM_MOA_030425.pdf").read_bytes()[:3000])   # truncated
    d = DataDir(data)
    import_paths(d, [copy])
    summary = extract_all(d, workers=1)
    assert summary["failed"] == 1
    yield d, {"held": held, "recovered": recovered, "broken": broken}
    d.close()


def expected(d: DataDir, known: dict) -> dict:
    """The categories as the stand-ins define them, agreement by agreement."""
    out = {c: 0 for c in CATEGORIES} | {"dead_links": 0, "recovered": 0, "agreements": 0}
    for a in d.db.execute("SELECT moa_url, link_pending FROM agreements WHERE status = 'participating'"):
        out["agreements"] += 1
        path = unquote(urlsplit(a["moa_url"]).path) if a["moa_url"] else None
        name = path.rsplit("/", 1)[-1] if path else None
        if name in known["held"] or path == known["recovered"]:
            out["on_file"] += 1
        elif path == known["broken"]:
            out["unreadable"] += 1
        elif a["link_pending"]:
            out["link_pending"] += 1
        elif path is None:
            out["not_fetched"] += 1
        else:
            out["dead_not_recovered"] += 1
        if path and name not in known["held"]:
            out["dead_links"] += 1
            out["recovered"] += path == known["recovered"]
    return out


def test_every_agreement_counts_once_and_the_figures_match_the_stand_ins(built):
    d, known = built
    result = coverage(d)
    total = result["total"]
    want = expected(d, known)
    assert {k: total[k] for k in want} == want
    assert (want["recovered"], want["unreadable"]) == (1, 1) and want["on_file"] >= 5
    assert sum(total[c] for c in CATEGORIES) == total["agreements"] > 500
    assert total["share_on_file"] == round(total["on_file"] / total["agreements"], 3)
    # The rows are per (state, model) and add up to the total.
    assert len({(r["state"], r["model"]) for r in result["rows"]}) == len(result["rows"]) > 20
    for k in ("agreements", "dead_links", "recovered", *CATEGORIES):
        assert sum(r[k] for r in result["rows"]) == total[k]
    texas = coverage(d, states=["TEXAS"])
    assert texas["total"]["agreements"] == sum(r["agreements"] for r in result["rows"] if r["state"] == "TEXAS")


def test_cli_prints_the_same_figures_as_json_csv_and_text(built):
    d, _ = built
    res = moa(d.root, "status", "--coverage", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout) == coverage(d)
    rows = list(csv.DictReader(io.StringIO(moa(d.root, "status", "--coverage", "--csv").stdout)))
    assert rows[-1]["state"] == "TOTAL" and int(rows[-1]["on_file"]) == coverage(d)["total"]["on_file"]
    assert len(rows) == len(coverage(d)["rows"]) + 1
    text = moa(d.root, "status", "--coverage").output
    assert re.search(r"^Total\s+\d+\s+\d+\s+\d+%", text, re.M)
    assert moa(d.root, "status", "--csv").exit_code == 2                 # --csv needs --coverage


def test_coverage_page_and_browse_show_the_figures(built):
    d, _ = built
    client = create_app({"DATA_DIR": str(d.root), "TESTING": True}).test_client()
    total = coverage(d)["total"]
    page = client.get("/coverage")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert f"<strong>{total['agreements']:,}</strong> agreements" in body
    assert "recovered from the Wayback Machine" in body
    assert client.get("/api/coverage").get_json() == coverage(d)
    rows = list(csv.DictReader(io.StringIO(client.get("/coverage.csv").get_data(as_text=True))))
    assert rows[-1]["state"] == "TOTAL"
    browse = client.get("/browse").get_data(as_text=True)
    assert f"{total['on_file']:,} ({total['share_on_file']:.0%})" in browse
    texas = coverage(d, states=["TEXAS"])["total"]
    browse_tx = client.get("/browse?state=TEXAS").get_data(as_text=True)
    assert f"<strong>{texas['agreements']:,}</strong> agreements the participating roster lists with these filters" \
        in browse_tx


def test_an_empty_archive_says_so(datadir):
    assert coverage(datadir)["total"]["agreements"] == 0
    client = create_app({"DATA_DIR": str(datadir.root), "TESTING": True}).test_client()
    assert "No participating roster" in client.get("/coverage").get_data(as_text=True)
