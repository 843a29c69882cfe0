"""`moa import`: local PDFs and rosters recorded like harvested ones, linked by file name."""
from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.harvest.importer import import_paths
from cli import main
from conftest import load_manifest
from ice_server import write_roster
from store.datadir import DataDir

ICE = "https://www.ice.gov/doclib/287gMOA/"

# The shared MANIFEST gives the agency "at download time"; the newest roster renamed two.
RENAMED_IN_NEWEST_ROSTER = {
    "escambiaCo_WSO_MOA_02.21.2025.pdf": "Escambia County Board of County Commissioners",
    "MiamiSpringsPoliceDeptFL_TFM_MOA_03.26.2025.pdf": "Miami Springs Police Department",
}
# Linked by a roster newer than the corpus's; "link pending" in every corpus roster.
UNLINKED = {"WalworthCoSheriffsOfficeWI_WSO_MOA_06122025.pdf"}


def corpus_files(corpus: Path) -> list[Path]:
    return sorted((corpus / "sheets").glob("*.xlsx")) + sorted((corpus / "pdfs").glob("*.pdf"))


def documents_by_name(d: DataDir) -> dict[str, dict]:
    return {r["file_name"]: dict(r) for r in d.db.execute("SELECT * FROM documents")}


def check_against_manifest(d: DataDir, corpus: Path) -> None:
    docs = documents_by_name(d)
    manifest = load_manifest(corpus)
    pdfs = [m for m in manifest if m["file"].startswith("pdfs/")]
    assert len(docs) == len(pdfs)
    for m in pdfs:
        name = Path(m["file"]).name
        doc = docs[name]
        assert doc["sha256"] == m["sha256"]
        assert doc["kind"] == m["kind"]
        assert d.blobs.read(doc["sha256"]) == (corpus / m["file"]).read_bytes()
        got = (doc["state"], doc["model"], doc["signed"])
        assert got == (m["state"], m["model"], m["signed"]), name
        if name in UNLINKED:
            assert (doc["metadata_source"], doc["agency"], doc["agreement_id"]) == ("file-name", None, None)
            continue
        assert doc["metadata_source"] == "roster", name
        assert doc["agency"] == RENAMED_IN_NEWEST_ROSTER.get(name, m["agency"]), name
        agreement = d.db.execute("SELECT * FROM agreements WHERE id = ?", (doc["agreement_id"],)).fetchone()
        assert (agreement["state"], agreement["agency"], agreement["model"]) == (doc["state"], doc["agency"], doc["model"])
        assert agreement["moa_url"].rsplit("/", 1)[-1] == m["original_url"].rsplit("/", 1)[-1]


def test_fixture_corpus_import_reproduces_manifest(datadir, fixture_corpus):
    result = import_paths(datadir, corpus_files(fixture_corpus))
    assert not result.errors
    assert (result.files, result.rosters, result.documents, result.new_snapshots) == (11, 4, 7, 4)
    check_against_manifest(datadir, fixture_corpus)
    versions = datadir.db.execute("SELECT url FROM versions").fetchall()
    assert len(versions) == 11 and all(v["url"].startswith("file:/") for v in versions)


@pytest.mark.corpus
def test_shared_corpus_import_reproduces_manifest(datadir, shared_corpus):
    result = import_paths(datadir, corpus_files(shared_corpus))
    assert not result.errors and result.new_snapshots == 8
    check_against_manifest(datadir, shared_corpus)


def test_linking_does_not_depend_on_order(tmp_path, fixture_corpus):
    files = corpus_files(fixture_corpus)
    a, b = DataDir(tmp_path / "a"), DataDir(tmp_path / "b")
    import_paths(a, files)
    import_paths(b, list(reversed(files)))  # PDFs first, newest roster first
    cols = "sha256, kind, agency, state, model, signed, metadata_source"
    assert a.db.execute(f"SELECT {cols} FROM documents ORDER BY 1").fetchall() == \
        b.db.execute(f"SELECT {cols} FROM documents ORDER BY 1").fetchall()
    cols = "state, agency, agency_key, model, signed, status, moa_url, link_pending"
    assert a.db.execute(f"SELECT {cols} FROM agreements ORDER BY 1, 3, 4").fetchall() == \
        b.db.execute(f"SELECT {cols} FROM agreements ORDER BY 1, 3, 4").fetchall()
    a.close(), b.close()


def test_reimport_adds_nothing_and_changed_bytes_make_version_2(datadir, fixture_corpus, tmp_path):
    files = corpus_files(fixture_corpus)
    import_paths(datadir, files)
    counts = lambda: {t: datadir.db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]  # noqa: E731
                      for t in ("files", "versions", "documents", "roster_snapshots", "roster_rows", "agreements")}
    before = counts()
    again = import_paths(datadir, files)
    assert (again.new_files, again.unchanged, again.new_snapshots) == (0, 11, 0)
    assert counts() == before

    pdf = tmp_path / "SmithCoSheriffsOfficeTX_TFM_MOA_02.18.25.pdf"
    shutil.copy(fixture_corpus / "pdfs" / pdf.name, pdf)
    import_paths(datadir, [pdf])
    pdf.write_bytes(pdf.read_bytes() + b"\n%changed\n")
    result = import_paths(datadir, [pdf])
    assert result.new_files == 1
    rows = datadir.db.execute("SELECT version, sha256 FROM versions WHERE url = ? ORDER BY version",
                              ("file:" + str(pdf.resolve()),)).fetchall()
    assert [r["version"] for r in rows] == [1, 2] and rows[0]["sha256"] != rows[1]["sha256"]
    assert all(datadir.blobs.exists(r["sha256"]) for r in rows)
    # Both contents are documents, and the roster links both by ICE's file name.
    docs = datadir.db.execute("SELECT metadata_source, agency FROM documents WHERE file_name = ?",
                              (pdf.name,)).fetchall()
    assert [tuple(r) for r in docs] == [("roster", "Smith County Sheriff’s Office")] * 2


def test_bad_files_are_errors_naming_the_file_and_the_rest_go_on(datadir, fixture_corpus, tmp_path):
    html = tmp_path / "Fake_WSO_MOA_010125.pdf"
    html.write_bytes(b"<!DOCTYPE html><html><body>Access denied</body></html>")
    broken = tmp_path / "participatingAgencies01012025am.xlsx"
    broken.write_bytes(b"PK\x03\x04 this is not really a zip")
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    missing = tmp_path / "nowhere.pdf"
    good = fixture_corpus / "pdfs" / "RuskCoSOTX_WSO_MOA_030425.pdf"
    result = import_paths(datadir, [html, broken, notes, missing, good])
    failed = {Path(e.path).name: e.reason for e in result.errors}
    assert set(failed) == {html.name, broken.name, notes.name, missing.name}
    assert result.files == 1 and not result.all_done
    assert "not a PDF" in failed[html.name] and "HTML" in failed[html.name]
    assert "workbook" in failed[broken.name]
    assert result.documents == 1
    doc = datadir.db.execute("SELECT * FROM documents").fetchone()
    assert (doc["file_name"], doc["metadata_source"], doc["model"], doc["state"], doc["signed"]) == \
        (good.name, "file-name", "WSO", "TEXAS", "2025-03-04")
    run = datadir.db.execute("SELECT status FROM runs WHERE command = 'import'").fetchone()
    assert run["status"] == "partial"


def test_addendum_links_newest_snapshot_wins_and_agencies_merge(datadir, fixture_corpus, tmp_path):
    moa = "RuskCoSOTX_WSO_MOA_030425.pdf"
    addendum = "SmithCoSheriffsOfficeTX_TFM_MOA_02.18.25.pdf"   # played as an addendum here
    old = [dict(state="TEXAS", agency="Rusk County Sheriff’s Office ", county="Rusk County",
                support="Warrant Service Officer", signed=datetime(2025, 3, 4), moa=ICE + moa)]
    new = [dict(state="TEXAS", agency="Rusk  County Sheriff's Office", county="Rusk County",
                support="Warrant Service Officer ", signed="03/05/2025",
                moa="https://gcc02.safelinks.protection.outlook.com/?url=" + (ICE + moa).replace(":", "%3A").replace("/", "%2F") + "&data=x",
                addendum=ICE + addendum)] * 2   # a repeated row
    (tmp_path / "participatingAgencies03012025am.xlsx").write_bytes(write_roster(old))
    (tmp_path / "participatingAgencies04012025pm.xlsx").write_bytes(write_roster(new))
    for name in (moa, addendum):
        shutil.copy(fixture_corpus / "pdfs" / name, tmp_path / name)
    # PDFs and the newer roster first: the older roster must not win.
    result = import_paths(datadir, [tmp_path / moa, tmp_path / addendum,
                                    tmp_path / "participatingAgencies04012025pm.xlsx"])
    result2 = import_paths(datadir, [tmp_path / "participatingAgencies03012025am.xlsx"])
    assert not result.errors and not result2.errors
    agreements = datadir.db.execute("SELECT * FROM agreements").fetchall()
    assert len(agreements) == 1
    a = agreements[0]
    assert (a["agency"], a["signed"], a["model"], a["status"], a["moa_url"], a["addendum_url"]) == \
        ("Rusk County Sheriff's Office", "2025-03-05", "WSO", "participating", ICE + moa, ICE + addendum)
    docs = documents_by_name(datadir)
    assert docs[moa]["kind"] == "moa" and docs[addendum]["kind"] == "addendum"
    assert {docs[moa]["agreement_id"], docs[addendum]["agreement_id"]} == {a["id"]}
    assert docs[moa]["signed"] == "2025-03-05"


def test_import_cli_json(tmp_path, fixture_corpus):
    runner = CliRunner()
    res = runner.invoke(main, ["--data-dir", str(tmp_path / "data"), "import", "--json",
                               str(fixture_corpus / "sheets"), str(fixture_corpus / "pdfs"),
                               str(tmp_path / "missing.pdf")])
    assert res.exit_code == 1, res.output            # a file was refused: something failed
    out = json.loads(res.stdout)
    assert (out["files"], out["documents"], out["rosters"]) == (11, 7, 4)   # the refused one not counted
    assert [Path(e["path"]).name for e in out["errors"]] == ["missing.pdf"]
    res = runner.invoke(main, ["--data-dir", str(tmp_path / "data"), "import", str(fixture_corpus / "pdfs")])
    assert res.exit_code == 0, res.output
    assert "imported 7 file(s)" in res.stdout and "moa process" in res.stderr


def test_process_reads_cuts_and_indexes_imported_files_with_no_network(tmp_path, fixture_corpus):
    """`moa import` then `moa process`: every stage after harvest, no ICE involved; a
    truncated PDF fails alone, named, and the exit status says so."""
    data, runner = tmp_path / "data", CliRunner()
    moa = lambda *args: runner.invoke(main, ["--data-dir", str(data), *args])  # noqa: E731
    pdfs = sorted((fixture_corpus / "pdfs").glob("*.pdf"))
    good = [p for p in pdfs if "Rusk" not in p.name]        # no OCR: keeps the test quick
    cut = tmp_path / "CutShort_WSO_MOA_030425.pdf"
    cut.write_bytes(good[0].read_bytes()[:20_000])
    assert moa("import", str(fixture_corpus / "sheets"), *map(str, good), str(cut)).exit_code == 0

    res = moa("process", "--workers", "1", "--json")
    assert res.exit_code == 1, res.output
    out = json.loads(res.stdout)
    assert set(out) == {"extract", "sections", "index", "compare", "watch", "problems"}
    assert (out["extract"]["ok"], out["extract"]["failed"]) == (len(good), 1)
    assert out["sections"]["documents"] == len(good) and out["index"]["indexed"] == len(good) + 1
    assert len(out["problems"]) == 1 and cut.name in out["problems"][0]

    found = json.loads(moa("search", '"notice to appear"', "--json").stdout)
    assert found["total_documents"] >= 3
    # A query starting with "-" is a query, not an option, with or without "--".
    minus = moa("search", "-certification", "--json")
    assert minus.exit_code == 0, minus.output
    assert json.loads(minus.stdout)["total_documents"] == json.loads(
        moa("search", "--json", "--", "-certification").stdout)["total_documents"]

    # Done once, nothing is done again (the failed file stays listed by `moa status`).
    again = moa("process", "--json")
    assert again.exit_code == 0, again.output
    redo = json.loads(again.stdout)
    assert redo["extract"]["documents"] == redo["sections"]["documents"] == redo["index"]["indexed"] == 0
    text = moa("process")
    assert "read 0 document(s)" in text.stdout
    status = json.loads(moa("status", "--json").stdout)
    assert [f["file_name"] for f in status["failed_documents"]] == [cut.name]
