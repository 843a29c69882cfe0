"""`moa status`, `moa export`, `moa roster diff`, through the CLI with --json parsed."""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime

from click.testing import CliRunner

from archive.harvest.importer import import_paths
from cli import main
from ice_server import IceServer, write_roster
from store.datadir import DataDir
from store.db import utc_now
from test_import import corpus_files

ICE = "https://www.ice.gov/doclib/287gMOA/"


def moa(data, *args):
    res = CliRunner().invoke(main, ["--data-dir", str(data), *args])
    return res


def test_status_counts_and_failures(tmp_path, fixture_corpus):
    data = tmp_path / "data"
    d = DataDir(data)
    import_paths(d, corpus_files(fixture_corpus))
    res = moa(data, "status", "--json")
    assert res.exit_code == 0, res.output
    s = json.loads(res.stdout)
    agreements = d.db.execute("SELECT COUNT(*) FROM agreements").fetchone()[0]
    assert s["agreements"] == agreements > 500
    assert sum(s["agreements_by_status"].values()) == agreements
    assert set(s["agreements_by_model"]) <= {"JEM", "TFM", "WSO", "TTFM", ""}
    assert (s["documents"], s["files"], s["versions"], s["failures"]) == (7, 11, 11, 0)
    assert s["roster_snapshots"] == {"participating": 2, "pending": 2}
    assert s["pending_links"] > 0 and s["last_harvest"] is None and s["last_run"]["command"] == "import"

    # A failed harvest (nothing listening) and a document whose reading failed both count.
    with IceServer(fixture_corpus) as server:
        pass
    moa(data, "harvest", "--source-url", server.source_url, "--allow-host", "127.0.0.1",
        "--delay", "0", "--retries", "0")
    sha = d.db.execute("SELECT sha256 FROM documents ORDER BY sha256 LIMIT 1").fetchone()[0]
    d.db.execute("INSERT INTO extractions(sha256, extractor_version, status, error, extracted_at)"
                 " VALUES (?, 1, 'failed', 'cannot decrypt', ?)", (sha, utc_now()))
    s = json.loads(moa(data, "status", "--json").stdout)
    assert s["failures"] == 2
    assert s["fetch_failures"][0]["url"] == server.source_url
    assert s["failed_documents"] == [{"sha256": sha, "file_name": s["failed_documents"][0]["file_name"],
                                      "error": "cannot decrypt"}]
    assert s["last_harvest"]["status"] == "failed"
    text = moa(data, "status").output
    assert "failures: 2" in text and "cannot decrypt" in text

    # A harvest killed after it started (its run left 'running', nobody holding the lock)
    # hides nothing: it shows as interrupted, and the failures are the last completed run's.
    from archive.harvest.recording import start_run
    start_run(d.db, "harvest", server.source_url)
    s = json.loads(moa(data, "status", "--json").stdout)
    assert s["last_harvest"]["status"] == "interrupted" and s["last_completed_harvest"]["status"] == "failed"
    assert s["failures"] == 2 and s["fetch_failures"][0]["url"] == server.source_url
    text = moa(data, "status").output
    assert "interrupted" in text and "last completed harvest" in text and "failures (of the last" in text
    d.close()


def test_export_csv_and_jsonl(tmp_path, fixture_corpus):
    data = tmp_path / "data"
    d = DataDir(data)
    import_paths(d, corpus_files(fixture_corpus))
    res = moa(data, "export")
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert res.exit_code == 0 and len(rows) == 7
    by_name = {r["file_name"]: r for r in rows}
    smith = by_name["SmithCoSheriffsOfficeTX_TFM_MOA_02.18.25.pdf"]
    assert (smith["agency"], smith["state"], smith["model"], smith["signed"], smith["version"]) == \
        ("Smith County Sheriff’s Office", "TEXAS", "TFM", "2025-02-18", "1")
    assert smith["url"].startswith("file:/") and smith["url"].endswith(smith["file_name"])
    assert int(smith["bytes"]) == (fixture_corpus / "pdfs" / smith["file_name"]).stat().st_size
    lines = moa(data, "export", "--format", "jsonl").stdout.splitlines()
    assert [json.loads(line) for line in lines] == [
        {k: (int(v) if k in ("bytes", "version", "agreement_id") and v else v or None) for k, v in r.items()}
        for r in rows]
    d.close()


def test_export_csv_neutralises_spreadsheet_formulas(tmp_path, fixture_corpus):
    """A roster cell such as an agency named "@HYPERLINK(...)" reaches `moa export` as text
    a spreadsheet will not run, as on the web's CSV downloads. (A cell starting "=" is a
    formula in the workbook itself, which openpyxl does not evaluate.)"""
    data = tmp_path / "data"
    rusk = "RuskCoSOTX_WSO_MOA_030425.pdf"
    hostile = '@HYPERLINK("http://evil.example","x")'
    (tmp_path / "participatingAgencies03012025am.xlsx").write_bytes(write_roster([
        dict(state="TEXAS", agency=hostile, support="Warrant Service Officer",
             signed=datetime(2025, 3, 5), moa=ICE + rusk)]))
    d = DataDir(data)
    import_paths(d, [tmp_path / "participatingAgencies03012025am.xlsx", fixture_corpus / "pdfs" / rusk])
    rows = list(csv.DictReader(io.StringIO(moa(data, "export").stdout)))
    assert [r["agency"] for r in rows] == ["'" + hostile]
    jsonl = [json.loads(line) for line in moa(data, "export", "--format", "jsonl").stdout.splitlines()]
    assert [r["agency"] for r in jsonl] == [hostile]             # JSON keeps the value as it is
    d.close()


def test_roster_diff(tmp_path):
    old = [dict(state="TEXAS", agency="A Sheriff’s Office", support="Jail Enforcement Model",
                signed=datetime(2025, 3, 1), moa=ICE + "A.pdf"),
           dict(state="TEXAS", agency="B Police", support="Warrant Service Officer", signed=datetime(2025, 3, 1)),
           dict(state="TEXAS", agency="C County", support="Task Force Model", signed=datetime(2025, 3, 1)),
           dict(state="OHIO", agency="D County", support="Jail Enforcement Model", signed=datetime(2025, 3, 1))]
    new = [dict(old[0], agency="A Sheriff's Office ", signed=datetime(2025, 3, 2)),
           dict(old[2], moa=ICE + "C.pdf"),
           dict(old[3], support="Warrant Service Officer"),
           dict(state="UTAH", agency="E County", support="Task Force Model", signed=datetime(2025, 4, 1))]
    (tmp_path / "participatingAgencies03012025am.xlsx").write_bytes(write_roster(old))
    (tmp_path / "participatingAgencies04012025am.xlsx").write_bytes(write_roster(new))
    data = tmp_path / "data"
    res = moa(data, "roster", "diff")
    assert res.exit_code == 1 and "needs two participating roster snapshots" in res.output
    import_paths(DataDir(data), sorted(tmp_path.glob("*.xlsx")))
    d = json.loads(moa(data, "roster", "diff", "--json").stdout)
    assert d["old"]["file_name"] == "participatingAgencies03012025am.xlsx"
    assert [r["agency"] for r in d["added"]] == ["E County"]
    assert [r["agency"] for r in d["removed"]] == ["B Police"]
    changes = {c["agency"]: c["changes"] for c in d["changed"]}
    assert changes == {
        "A Sheriff's Office": {"agency": ["A Sheriff’s Office", "A Sheriff's Office"],
                               "signed": ["2025-03-01", "2025-03-02"]},
        "C County": {"moa_url": [None, ICE + "C.pdf"], "link_pending": [1, 0]},
        "D County": {"model": ["JEM", "WSO"]},
    }
    text = moa(data, "roster", "diff").output
    assert "1 added, 1 removed, 3 changed" in text and "signed: 2025-03-01 -> 2025-03-02" in text


def test_roster_diff_on_real_rosters(tmp_path, fixture_corpus):
    data = tmp_path / "data"
    import_paths(DataDir(data), sorted((fixture_corpus / "sheets").glob("*.xlsx")))
    d = json.loads(moa(data, "roster", "diff", "--json").stdout)
    assert (d["old"]["file_name"], d["new"]["file_name"]) == \
        ("participatingAgencies05162025am.xlsx", "participatingAgencies07182025pm.xlsx")
    added = {(r["state"], r["agency"], r["model"]) for r in d["added"]}
    assert ("ALABAMA", "Lawrence County Sheriff's Office", "TFM") in added
    assert len(d["added"]) > 100
    pending = json.loads(moa(data, "roster", "diff", "--kind", "pending", "--json").stdout)
    assert pending["new"]["file_name"] == "pendingAgencies07182025pm.xlsx"
