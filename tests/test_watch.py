"""Saved searches (`moa watch`), with the real importer, the real pipeline and the real
Whoosh index on files of tests/fixtures/corpus."""
from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from archive import watch
from archive.harvest.importer import import_paths
from archive.pipeline import process
from cli import main
from conftest import FIXTURE_CORPUS
from store.datadir import DataDir

PDFS = FIXTURE_CORPUS / "pdfs"
SHEETS = sorted((FIXTURE_CORPUS / "sheets").glob("*.xlsx"))
BORN_DIGITAL = ["287gWSO_FinneyCoKs2020-03-17.pdf", "FranklinCountyAL_WSO_MOA_030625.pdf",
                "SmithCoSheriffsOfficeTX_TFM_MOA_02.18.25.pdf"]
LATE = "GraysonCountyDCKY_JEM_MOA_030425.pdf"      # imported after the watches are saved
REPORT_KEYS = {"name", "query", "previous_run_at", "matching", "new_count", "new", "error"}
MATCH_KEYS = {"sha256", "file_name", "kind", "agency", "state", "model", "signed", "url",
              "first_fetched_at", "matched_at", "pages", "section", "matches"}


def moa(data, *args):
    res = CliRunner().invoke(main, ["--data-dir", str(data), *args])
    return res


def run_json(data, *names) -> dict:
    res = moa(data, "watch", "run", *names, "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert set(out) == {"watches", "new_total"}
    for r in out["watches"]:
        assert set(r) == REPORT_KEYS
        for m in r["new"]:
            assert set(m) == MATCH_KEYS
    return out


def by_name(out: dict) -> dict:
    return {r["name"]: r for r in out["watches"]}


@pytest.fixture
def archive(tmp_path):
    """Rosters and three born-digital MOAs imported and processed by the real pipeline."""
    d = DataDir(tmp_path / "data")
    import_paths(d, SHEETS + [PDFS / n for n in BORN_DIGITAL])
    process(d, workers=1)
    yield d
    d.close()


def test_a_newly_imported_matching_document_is_reported_once_then_nothing(archive, tmp_path):
    data = archive.root
    res = moa(data, "watch", "add", "jail", '"Jail Enforcement Model"')
    assert res.exit_code == 0, res.output
    assert moa(data, "watch", "add", "wso", "model:WSO").exit_code == 0
    # What matched when the search was saved counts as seen: nothing is new yet.
    out = run_json(data)
    assert out["new_total"] == 0
    assert by_name(out)["wso"]["matching"] == 2 and by_name(out)["jail"]["matching"] == 0
    text = moa(data, "watch", "run")
    assert text.exit_code == 0 and "watch jail: nothing new (0 matching)" in text.output

    # A JEM arrives; the pipeline refreshes the saved searches and says so, one line each.
    import_paths(archive, [PDFS / LATE])
    processed = moa(data, "process", "--workers", "1")
    assert processed.exit_code == 0, processed.output
    lines = [line for line in processed.output.splitlines() if line.startswith("watch ")]
    assert lines == ["watch jail: 1 new matching document(s) of 1 (`moa watch run` lists them)",
                     "watch wso: nothing new (2 matching)"]

    # The pipeline's refresh did not use it up: `moa watch run` reports it, with snippets, once.
    first = by_name(run_json(data))
    assert first["wso"]["new"] == []
    [hit] = first["jail"]["new"]
    assert hit["file_name"] == LATE and hit["model"] == "JEM" and hit["state"] == "KENTUCKY"
    assert hit["pages"] and hit["matches"]
    assert "<mark>" in hit["matches"][0]["snippet"]
    assert first["jail"]["previous_run_at"] is not None
    second = run_json(data)
    assert second["new_total"] == 0 and by_name(second)["jail"]["matching"] == 1

    listed = json.loads(moa(data, "watch", "list", "--json").stdout)
    assert [(w["name"], w["matching"], w["unreported"]) for w in listed] == [("jail", 1, 0), ("wso", 2, 0)]


def test_a_document_that_comes_to_match_and_a_new_version_are_new(tmp_path):
    d = DataDir(tmp_path / "data")
    data = d.root
    # ICE's file, imported before any roster names its agency: `agency:` does not find it yet.
    import_paths(d, [PDFS / LATE])
    process(d, workers=1)
    assert moa(data, "watch", "add", "grayson", "agency:Grayson").exit_code == 0
    assert by_name(run_json(data))["grayson"]["matching"] == 0
    # The rosters arrive and link it (the roster's agency): it now matches, and is new once.
    import_paths(d, SHEETS)
    process(d, workers=1)
    [hit] = by_name(run_json(data))["grayson"]["new"]
    assert hit["file_name"] == LATE and "Grayson" in hit["agency"]
    assert run_json(data)["new_total"] == 0

    # A corrected copy at the same place: version 2 of that file is a new match, reported once.
    folder = tmp_path / "saved"
    folder.mkdir()
    copy = folder / LATE
    shutil.copyfile(PDFS / LATE, copy)
    import_paths(d, [copy])
    copy.write_bytes((PDFS / LATE).read_bytes() + b"\n% corrected copy\n")
    import_paths(d, [copy])
    assert d.db.execute("SELECT COUNT(*) FROM versions WHERE url = ?",
                        ("file:" + str(copy.resolve()),)).fetchone()[0] == 2
    process(d, workers=1)
    out = by_name(run_json(data))["grayson"]
    [new] = out["new"]
    assert new["sha256"] != hit["sha256"] and new["file_name"] == LATE and out["matching"] == 2
    assert run_json(data)["new_total"] == 0
    d.close()


def test_a_document_that_stops_matching_and_matches_again_is_new_again(archive):
    data = archive.root
    assert moa(data, "watch", "add", "finney", '"Finney County"', "--report-existing").exit_code == 0
    first = by_name(run_json(data))["finney"]
    assert first["new_count"] == first["matching"] >= 1   # --report-existing: reported on the first run
    assert run_json(data)["new_total"] == 0
    # The document drops out of the results (its pages are gone from the index) ...
    sha = first["new"][0]["sha256"]
    conn = archive.db
    saved = [tuple(r) for r in conn.execute("SELECT * FROM pages WHERE sha256 = ?", (sha,))]
    saved_sections = [tuple(r) for r in conn.execute("SELECT * FROM sections WHERE sha256 = ?", (sha,))]
    conn.execute("DELETE FROM pages WHERE sha256 = ?", (sha,))
    conn.execute("DELETE FROM sections WHERE sha256 = ?", (sha,))
    conn.execute("UPDATE documents SET agency = NULL WHERE sha256 = ?", (sha,))
    from archive.search import update_index
    update_index(archive)
    assert by_name(run_json(data))["finney"]["matching"] == first["matching"] - 1
    # ... and is read again: it is new again.
    conn.executemany(f"INSERT INTO pages VALUES ({','.join('?' * len(saved[0]))})", saved)
    conn.executemany(f"INSERT INTO sections VALUES ({','.join('?' * len(saved_sections[0]))})", saved_sections)
    update_index(archive)
    again = by_name(run_json(data))["finney"]
    assert [m["sha256"] for m in again["new"]] == [sha]


def test_names_queries_and_removal_are_checked(archive):
    data = archive.root
    bad = moa(data, "watch", "add", "has space", "detainer")
    assert bad.exit_code == 1 and "bad watch name" in bad.output
    unreadable = moa(data, "watch", "add", "q", '"notice to appear')
    assert unreadable.exit_code == 1 and "unclosed quote" in unreadable.output
    assert moa(data, "watch", "add", "q", "detainer").exit_code == 0
    taken = moa(data, "watch", "add", "q", "warrant")
    assert taken.exit_code == 1 and "exists already" in taken.output
    missing = moa(data, "watch", "run", "nope")
    assert missing.exit_code == 1 and "no watch named nope" in missing.output
    assert moa(data, "watch", "rm", "q").exit_code == 0
    assert moa(data, "watch", "rm", "q").exit_code == 1
    assert json.loads(moa(data, "watch", "list", "--json").stdout) == []
    assert run_json(data) == {"watches": [], "new_total": 0}


def test_a_watch_saved_on_an_empty_archive_reports_the_first_documents(tmp_path):
    d = DataDir(tmp_path / "data")
    w = watch.add(d, "wso", "model:WSO")
    assert (w.matching, w.unreported) == (0, 0)
    import_paths(d, [PDFS / BORN_DIGITAL[0]])
    process(d, workers=1)
    [report] = watch.run(d)
    assert [m.file_name for m in report.new] == [BORN_DIGITAL[0]]
    assert watch.run(d)[0].new == []
    d.close()
