"""The main job, end to end: `moa update` (harvest → read → sections → index → compare
cache) against a local server playing ICE, then the archive searched and served."""
from __future__ import annotations

import json

from click.testing import CliRunner

from cli import main
from conftest import FIXTURE_CORPUS
from ice_server import IceServer
from web import create_app


def moa(data, *args):
    res = CliRunner().invoke(main, ["--data-dir", str(data), *args])
    return res.exit_code, res


def update(data, server):
    code, res = moa(data, "update", "--source-url", server.source_url, "--allow-host", "127.0.0.1",
                    "--delay", "0", "--retries", "1", "--json")
    assert code == 0, res.output
    return json.loads(res.stdout)


def test_update_builds_a_searchable_archive_and_a_second_run_does_no_work(tmp_path):
    data = tmp_path / "data"
    with IceServer(FIXTURE_CORPUS) as server:
        first = update(data, server)
        pdfs = [m for m in server.manifest() if m["file"].startswith("pdfs/")]
        process = first["process"]
        # Every harvested PDF (the MOAs and the four blank templates) was read, cut and indexed.
        assert process["extract"]["failed"] == 0
        assert process["extract"]["ok"] == process["extract"]["documents"] == len(pdfs) + 4
        assert process["extract"]["ocr_pages"] >= 10          # Rusk County is a scan: all 10 pages
        assert process["sections"]["documents"] == len(pdfs) + 4
        assert process["index"]["indexed"] == len(pdfs) + 4

        # A phrase that only OCR could read is found, on the page it is on.
        code, res = moa(data, "search", '"Rusk County Sheriff"', "--json")
        assert code == 0, res.output
        found = json.loads(res.stdout)
        rusk = [h for h in found["hits"] if h["agency"] and "Rusk" in h["agency"]]
        assert rusk and rusk[0]["pages"] and rusk[0]["model"] == "WSO"

        # The second run downloads no PDF bytes and reads, cuts and indexes nothing again.
        server_hits_before = len(server.hits())
        second = update(data, server)
        assert second["harvest"]["new_files"] == 0
        assert second["process"]["extract"]["documents"] == 0
        assert second["process"]["sections"]["documents"] == 0
        assert second["process"]["index"]["indexed"] == 0
        assert len(server.hits()) > server_hits_before        # it did ask (conditionally)

    # The site serves what was built: search page, then the hit's document page.
    client = create_app({"DATA_DIR": str(data), "TESTING": True}).test_client()
    page = client.get("/search?q=%22Rusk+County+Sheriff%22")
    assert page.status_code == 200 and "Rusk County" in page.get_data(as_text=True)
    doc = client.get(f"/doc/{rusk[0]['sha256']}")
    assert doc.status_code == 200 and "OCR" in doc.get_data(as_text=True)
