"""Reading pages (issue #3): text layer where good, OCR where not, on real corpus files."""
from __future__ import annotations

import json
import multiprocessing
import os
import re
import select
import signal
import threading
import time
from pathlib import Path

import pypdf
import pytest
from click.testing import CliRunner

from archive.read import extract
from archive.read import textquality
from archive.core.errors import DocumentError, EncryptedPdfError
from archive.read.extract import extract_all, read_document, read_pdf
from archive.read.pdf import open_pdf
from archive.harvest.recording import Source, record_file
from cli import main
from conftest import FIXTURE_CORPUS, load_manifest
from store.db import utc_now

PDFS = FIXTURE_CORPUS / "pdfs"
RUSK = "RuskCoSOTX_WSO_MOA_030425.pdf"            # scanned, no text layer at all
FRANKLIN_WSO = "FranklinCountyAL_WSO_MOA_030625.pdf"  # shifted-glyph signature block
SMITH = "SmithCoSheriffsOfficeTX_TFM_MOA_02.18.25.pdf"  # 9 filled AcroForm fields
LAWRENCE = "LawrenceCoSheriffsOfficeAL_TFM_MOA_06182025.pdf"  # AES-256, empty password
TEXAS_OAG = "TexasOfficeAttorneyGeneral_TFM_MOA_01.30.25.pdf"  # born-digital, all good


def pages_of(d, file_name: str) -> list[dict]:
    return [dict(r) for r in d.db.execute(
        "SELECT p.* FROM pages p JOIN documents d USING (sha256) WHERE d.file_name = ? ORDER BY page",
        (file_name,))]


def extraction_of(d, file_name: str) -> dict:
    return dict(d.db.execute("SELECT e.* FROM extractions e JOIN documents d USING (sha256)"
                             " WHERE d.file_name = ?", (file_name,)).fetchone())


def image_only_pages(m: dict) -> set[int]:
    """The pages the MANIFEST notes list as having no text layer."""
    if "no text layer on any page" in m["notes"]:
        return set(range(1, int(m["pages"]) + 1))
    found = re.search(r"no text layer on page\(s\) ([\d,-]+)", m["notes"])
    out = set()
    for part in found.group(1).split(",") if found else []:
        first, _, last = part.partition("-")
        out |= set(range(int(first), int(last or first) + 1))
    assert len(out) == int(m["image_only_pages"]), m["file"]
    return out


def record(d, name: str, data: bytes) -> str:
    """Store *data* as a harvested document would be (the harvester keeps what ICE sent)."""
    source = Source(url="https://www.ice.gov/doclib/287gMOA/" + name, fetched_at=utc_now())
    return record_file(d, data, kind="moa", file_name=name, source=source).sha256


# --- the fixture corpus, imported and processed once -------------------------------------

def test_every_fixture_document_is_read(fixture_archive):
    rows = fixture_archive.db.execute(
        "SELECT d.file_name, e.status, e.page_count, e.extractor_version,"
        " (SELECT count(*) FROM pages p WHERE p.sha256 = d.sha256) AS stored"
        " FROM documents d JOIN extractions e USING (sha256)").fetchall()
    manifest = {m["file"][5:]: m for m in load_manifest(FIXTURE_CORPUS) if m["file"].startswith("pdfs/")}
    assert {r["file_name"] for r in rows} == set(manifest)
    for r in rows:
        assert r["status"] == "ok", r["file_name"]
        assert r["page_count"] == r["stored"] == int(manifest[r["file_name"]]["pages"])
        assert r["extractor_version"] == extract.EXTRACTOR_VERSION


def test_image_only_document_is_ocrd(fixture_archive):
    pages = pages_of(fixture_archive, RUSK)
    assert len(pages) == 10
    for p in pages:
        assert p["text_layer_quality"] in ("empty", "too-short")
        assert p["ocr_status"] == "ok" and p["method"] in ("ocr", "both")
        assert p["ocr_confidence"] > 60
        assert p["text"] == p["ocr_text"] or p["method"] == "both"
    # words a reader sees on the scanned pages
    assert "MEMORANDUM OF AGREEMENT" in pages[0]["text"]
    assert "Warrant Service Officer" in pages[0]["text"]
    assert "Rusk County" in " ".join(p["text"] for p in pages)
    assert "APPENDIX A" in pages[7]["text"]


def test_good_text_layer_is_used_without_ocr(fixture_archive):
    pages = pages_of(fixture_archive, TEXAS_OAG)
    assert all(p["text_layer_quality"] == "good" and p["method"] == "text" for p in pages)
    assert all(p["ocr_status"] is None and p["ocr_text"] is None for p in pages)
    assert "Texas Office of the Attorney General" in " ".join(p["text"] for p in pages)


def test_shifted_glyphs_are_repaired(fixture_archive):
    page = pages_of(fixture_archive, FRANKLIN_WSO)[6]
    assert page["text_layer_quality"] == "shifted-glyphs-repaired"
    assert page["method"] == "text"
    for words in ("For the LEA:", "Signature:", "Agency:", "Name: Shannon Oliver"):
        assert words in page["text"]
    assert "6LJQDWXUH" not in page["text"] and not re.search(r"[\x00-\x08\x0b-\x1f]", page["text"])
    assert page["text_layer"] == page["text"]


def test_form_field_values_are_stored(fixture_archive):
    sha = fixture_archive.db.execute("SELECT sha256 FROM documents WHERE file_name = ?", (SMITH,)).fetchone()[0]
    fields = {r["name"]: (r["value"], r["page"]) for r in fixture_archive.db.execute(
        "SELECT * FROM form_fields WHERE sha256 = ?", (sha,))}
    assert len(fields) == 9
    assert fields["For the LEA 2"] == ("Smith County Sheriff Larry R. Smith", 10)
    assert fields["For the LEA 3"][0] == "227 N. Spring Ave."
    assert fields["Text0"] == ("Smith County Sheriff’s Office", 1)
    # the values are not in the page text: the form table is where they can be found
    assert "Larry R. Smith" not in " ".join(p["text"] for p in pages_of(fixture_archive, SMITH))


def test_encrypted_document_opens(fixture_archive):
    e = extraction_of(fixture_archive, LAWRENCE)
    assert e["status"] == "ok" and e["encrypted"] == 1 and e["page_count"] == 14
    assert "Lawrence County" in " ".join(p["text"] for p in pages_of(fixture_archive, LAWRENCE))
    assert json.loads(e["pdf_metadata"])["producer"].startswith("Adobe")


def test_second_run_does_no_work(fixture_archive):
    before = fixture_archive.db.execute("SELECT sha256, extracted_at FROM extractions").fetchall()
    summary = extract_all(fixture_archive)
    assert summary["documents"] == 0 and summary["pages"] == 0
    assert fixture_archive.db.execute("SELECT sha256, extracted_at FROM extractions").fetchall() == before


def test_read_document_by_name_and_prefix(fixture_archive):
    by_name = read_document(fixture_archive, SMITH)
    by_prefix = read_document(fixture_archive, by_name.sha256[:8])
    assert by_prefix == by_name
    assert by_name.page_count == len(by_name.pages) == 14
    assert len(by_name.form_fields) == 9


def test_cli_text(fixture_archive):
    runner = CliRunner()
    out = runner.invoke(main, ["--data-dir", str(fixture_archive.root), "text", RUSK])
    assert out.exit_code == 0, out.output
    assert "--- page 1  method ocr  text layer empty  OCR confidence" in out.output
    assert "MEMORANDUM OF AGREEMENT" in out.output
    out = runner.invoke(main, ["--data-dir", str(fixture_archive.root), "text", SMITH, "--json"])
    doc = json.loads(out.output)
    assert doc["name"] == SMITH and len(doc["pages"]) == 14
    assert {"name": "For the LEA 3", "value": "227 N. Spring Ave.", "page": 10} in doc["form_fields"]
    out = runner.invoke(main, ["--data-dir", str(fixture_archive.root), "text", "no-such-file.pdf"])
    assert out.exit_code == 1 and "no document" in out.output


def test_reader_of_each_page_is_shown_where_provenance_is(fixture_archive):
    """`moa text`, its JSON, the API and the document page say who read each page."""
    from web import create_app
    runner = CliRunner()
    out = runner.invoke(main, ["--data-dir", str(fixture_archive.root), "text", RUSK])
    assert "--- page 1  method ocr" in out.output and "read by tesseract 300 dpi" in out.output
    doc = json.loads(runner.invoke(main, ["--data-dir", str(fixture_archive.root), "text", SMITH,
                                          "--json"]).output)
    readers = {p["reader"] for p in doc["pages"]}
    assert readers and readers <= {extract.PDFIUM, extract.POPPLER_SPACING}
    client = create_app({"DATA_DIR": str(fixture_archive.root)}).test_client()
    for name, reader in ((RUSK, "tesseract 300 dpi"), (SMITH, next(iter(readers)))):
        sha = read_document(fixture_archive, name).sha256
        api = client.get(f"/api/documents/{sha}").get_json()
        assert reader in {p["reader"] for p in api["pages"]}
        page = client.get(f"/doc/{sha}").get_data(as_text=True)
        assert f"read by {reader}" in page


def test_a_page_ocr_found_no_words_on_is_credited_to_ocr():
    """No text layer, and tesseract read nothing: the (empty) words are tesseract's."""
    from archive.read.extract import _page_record
    from archive.read.ocr import OcrResult
    record = _page_record(3, textquality.judge(""), OcrResult(3, "ok", "", None, reader="tesseract 300 dpi"))
    assert record.reader == "tesseract 300 dpi" and record.method == "text" and record.text == ""


def test_cli_extract_json_when_up_to_date(fixture_archive):
    out = CliRunner().invoke(main, ["--data-dir", str(fixture_archive.root), "extract", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["documents"] == 0


# --- broken files -------------------------------------------------------------------------

def test_broken_files_fail_alone(datadir, tmp_path):
    good = (PDFS / TEXAS_OAG).read_bytes()
    locked = tmp_path / "locked.pdf"
    writer = pypdf.PdfWriter(clone_from=PDFS / TEXAS_OAG)
    writer.encrypt(user_password="secret", algorithm="AES-256")
    writer.write(locked)
    shas = {
        "good.pdf": record(datadir, "good.pdf", good),
        "truncated.pdf": record(datadir, "truncated.pdf", good[: len(good) // 2]),
        "zero.pdf": record(datadir, "zero.pdf", b""),
        "page.pdf": record(datadir, "page.pdf", b"<!DOCTYPE html>\n<html><body>Access Denied</body></html>\n"),
        "locked.pdf": record(datadir, "locked.pdf", locked.read_bytes()),
    }
    summary = extract_all(datadir, workers=1)
    assert summary["documents"] == 5 and summary["ok"] == 1 and summary["failed"] == 4
    errors = {r["sha256"]: r["error"] for r in datadir.db.execute(
        "SELECT sha256, error FROM extractions WHERE status = 'failed'")}
    assert "truncated" in errors[shas["truncated.pdf"]] and "truncated.pdf" in errors[shas["truncated.pdf"]]
    assert "empty file (0 bytes)" in errors[shas["zero.pdf"]]
    assert "HTML page" in errors[shas["page.pdf"]]
    assert "password" in errors[shas["locked.pdf"]]
    assert datadir.db.execute("SELECT count(*) FROM pages WHERE sha256 = ?", (shas["good.pdf"],)).fetchone()[0] == 15
    assert {f["file_name"] for f in summary["failures"]} == set(shas) - {"good.pdf"}
    # failed documents are not retried on the next run; --force retries them
    assert extract_all(datadir)["documents"] == 0
    again = extract_all(datadir, force=True, workers=1)
    assert again["documents"] == 5 and again["failed"] == 4
    assert datadir.db.execute("SELECT count(*) FROM pages").fetchone()[0] == 15


def _wait_for_reader(fifo: Path, stop: threading.Event) -> int | None:
    """The write end of *fifo* once a process opens it to read (None if stopped first)."""
    while not stop.is_set():
        try:
            return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)   # fails until a reader is there
        except OSError:
            time.sleep(0.02)
    return None


def _wait_until_gone(fd: int, stop: threading.Event) -> None:
    """Until the reader at the other end of *fd* has closed it (poll says POLLERR)."""
    gone = select.poll()
    gone.register(fd, select.POLLERR)
    while not stop.is_set() and not gone.poll(20):
        pass


def _kill_every_reader(fifo: Path, stop: threading.Event) -> None:
    """SIGKILL each pool worker that opens *fifo* to read it."""
    while (fd := _wait_for_reader(fifo, stop)) is not None:
        try:
            killed = False
            while not killed and not stop.is_set():
                for child in multiprocessing.active_children():
                    fds = Path(f"/proc/{child.pid}/fd")
                    try:
                        if any(os.readlink(fds / n) == str(fifo) for n in os.listdir(fds)):
                            os.kill(child.pid, signal.SIGKILL)
                            killed = True
                    except OSError:
                        continue
            _wait_until_gone(fd, stop)
        finally:
            os.close(fd)


def _hold_first_reader(fifo: Path, data: bytes, stop: threading.Event) -> None:
    """Keep the first reader of *fifo* blocked until it dies, then put a regular file with
    *data* in the fifo's place for the readers after it."""
    fd = _wait_for_reader(fifo, stop)
    if fd is None:
        return
    try:
        _wait_until_gone(fd, stop)
    finally:
        os.close(fd)
    replacement = fifo.with_name(fifo.name + ".tmp")
    replacement.write_bytes(data)
    os.replace(replacement, fifo)


def test_a_file_that_kills_its_worker_fails_alone(datadir):
    """Text layers are read in the pool. Two workers: one is held reading an innocent
    document while the other is killed reading a file that kills every worker that
    reads it. The pool breaks under both; the innocent one is read again, the killer
    fails with a reason, and every other document is read."""
    names = [TEXAS_OAG, SMITH, FRANKLIN_WSO, LAWRENCE]
    shas = {record(datadir, n, (PDFS / n).read_bytes()): n for n in names}
    held, killer = sorted(shas)[:2]    # jobs go in sha256 order, these two (fifos, size 0) last
    fifos = {}
    for sha in (held, killer):
        blob = datadir.blobs.path(sha)
        blob.chmod(0o644)
        blob.unlink()
        os.mkfifo(blob)
        fifos[sha] = blob
    stop = threading.Event()
    watchers = [
        threading.Thread(target=_hold_first_reader, args=(fifos[held], (PDFS / shas[held]).read_bytes(), stop)),
        threading.Thread(target=_kill_every_reader, args=(fifos[killer], stop)),
    ]
    for w in watchers:
        w.start()
    try:
        summary = extract_all(datadir, workers=2)
    finally:
        stop.set()
        for w in watchers:
            w.join()
    assert summary["documents"] == 4 and summary["ok"] == 3 and summary["failed"] == 1
    assert summary["failures"][0]["file_name"] == shas[killer]
    assert "stopped its worker process" in summary["failures"][0]["error"]
    for sha, name in shas.items():
        pages = datadir.db.execute("SELECT count(*) FROM pages WHERE sha256 = ?", (sha,)).fetchone()[0]
        assert (pages == 0) == (sha == killer), name


def test_open_pdf_errors_name_the_problem(tmp_path):
    with pytest.raises(DocumentError, match="empty file"):
        open_pdf(b"", "zero.pdf")
    with pytest.raises(DocumentError, match=r"^x\.pdf: .*HTML page"):
        open_pdf(b"<html><head><title>403</title></head></html>", "x.pdf")
    with pytest.raises(DocumentError, match="cannot read"):
        open_pdf(tmp_path / "missing.pdf")
    locked = tmp_path / "locked.pdf"
    writer = pypdf.PdfWriter(clone_from=PDFS / RUSK)
    writer.encrypt(user_password="secret", algorithm="AES-256")
    writer.write(locked)
    with pytest.raises(EncryptedPdfError, match="password"):
        open_pdf(locked)


def test_read_pdf_reports_a_broken_file(tmp_path):
    bad = tmp_path / "half.pdf"
    bad.write_bytes((PDFS / RUSK).read_bytes()[:5000])
    doc = read_pdf(bad)
    assert doc.status == "failed" and "truncated" in doc.error and doc.pages == []


def test_ocr_timeout_is_recorded_and_the_document_goes_on():
    doc = read_pdf(PDFS / RUSK, workers=1, timeout=0.01)
    assert doc.status == "partial" and len(doc.pages) == 10
    for p in doc.pages:
        assert p.ocr_status == "timeout" and p.ocr_text is None and p.method == "text"
        assert p.text == p.text_layer
    assert doc.error.startswith(f"{RUSK}: page 1: OCR timeout")


# --- text-layer judgement on real text -----------------------------------------------------

def test_judge_repairs_only_shifted_words():
    text = ("II. AUTHORITY XVIII. DHS 2002, (hereinafter U.S. Immigration & Customs\n"
            "*LJOLR\x03Y\x11\x038QLWHG\x036WDWHV, 405 U.S. 150 (1972)\n"
            "1DPH\x1dShannon Oliver 6LJQDWXUH\x1d BBBBBBBBBBBB") + " shall comply with" * 10
    judged = textquality.judge(text, shifted_traces=True)
    assert judged.quality == textquality.SHIFTED_REPAIRED
    assert judged.text.startswith("II. AUTHORITY XVIII. DHS 2002, (hereinafter U.S. Immigration & Customs\n")
    assert "Giglio v. United States, 405 U.S. 150 (1972)" in judged.text
    assert "Name:Shannon Oliver Signature: ____________" in judged.text


def test_judge_leaves_a_good_page_alone():
    with open_pdf(PDFS / TEXAS_OAG) as pdf:
        layer = pdf.page_text(2)
    judged = textquality.judge(layer.text, shifted_traces=layer.shifted_traces)
    assert judged.quality == textquality.GOOD and judged.text == layer.text


def test_judge_empty_and_short():
    assert textquality.judge(" \n ").quality == textquality.EMPTY
    assert textquality.judge("Rusk County 7").quality == textquality.TOO_SHORT


# --- the full shared corpus ----------------------------------------------------------------

@pytest.mark.corpus
def test_shifted_giglio_in_the_shared_corpus(shared_corpus):
    doc = read_pdf(shared_corpus / "pdfs" / "FranklinCoAL_TFM_MOA_031825.pdf")
    page = doc.pages[7]
    assert page.text_layer_quality == "shifted-glyphs-repaired" and page.method == "text"
    assert "decision in Giglio v. United States, 405 U.S. 150 (1972)" in page.text
    assert "consistent with Garrity v." in page.text


@pytest.mark.corpus
def test_corpus_pages_needing_ocr_get_it(corpus_archive, shared_corpus):
    d = corpus_archive
    for m in load_manifest(shared_corpus):
        if not m["file"].startswith("pdfs/"):
            continue
        name = m["file"][5:]
        e = extraction_of(d, name)
        assert e["status"] == "ok", (name, e["error"])
        pages = pages_of(d, name)
        assert len(pages) == int(m["pages"]) == e["page_count"], name
        assert bool(e["encrypted"]) == (m["encrypted"] == "1"), name
        no_text = [p for p in pages if p["text_layer_quality"] in ("empty", "too-short")]
        assert {p["page"] for p in no_text} >= image_only_pages(m), name
        for p in no_text:
            assert p["ocr_status"] == "ok", (name, p["page"])
            if p["ocr_text"].strip():
                assert p["method"] in ("ocr", "both") and len(p["text"]) > 50, (name, p["page"])
            else:                 # a blank page: OCR read nothing, the text layer is kept
                assert p["method"] == "text" and p["text"] == p["text_layer"], (name, p["page"])
    blank = d.db.execute("SELECT count(*) FROM pages WHERE ocr_status = 'ok' AND ocr_text = ''").fetchone()[0]
    assert blank <= 2


@pytest.mark.corpus
def test_corpus_junk_text_layers_are_judged_bad_and_ocrd(corpus_archive):
    bad = {"287g_JEM_Knox_6-8-2020.pdf": {2, 5, 9, 10, 11},
           "CalhounCoTX_TFM_MOA_03.07.2025.pdf": {1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 14, 15}}
    for name, numbers in bad.items():
        pages = {p["page"]: p for p in pages_of(corpus_archive, name)}
        for n in numbers:
            p = pages[n]
            assert p["text_layer_quality"] in ("control-chars", "garbled"), (name, n)
            assert p["ocr_status"] == "ok" and p["method"] == "ocr", (name, n)
            assert p["text_layer"], (name, n)        # the junk is kept, not searched
        good = [p for n, p in pages.items() if n not in numbers and p["text_layer_quality"] == "good"]
        assert all(p["method"] == "text" for p in good)
    knox = {p["page"]: p["text"] for p in pages_of(corpus_archive, "287g_JEM_Knox_6-8-2020.pdf")}
    assert "Knox County" in knox[1] and "immigration" in knox[2].lower()


@pytest.mark.corpus
def test_corpus_scanner_text_layers_are_kept(corpus_archive):
    """Scanners' own OCR layers (with their misspellings) stay what is searched."""
    for word in ("perfonn", "jaiVcorrectional"):
        hits = corpus_archive.db.execute(
            "SELECT count(*) FROM pages WHERE text_layer LIKE ? AND method = 'text'", (f"%{word}%",)).fetchone()[0]
        assert hits > 0, word
    quality = dict(corpus_archive.db.execute(
        "SELECT text_layer_quality, count(*) FROM pages GROUP BY text_layer_quality").fetchall())
    assert quality["good"] > 350 and quality["shifted-glyphs-repaired"] >= 8
    assert quality["empty"] + quality["too-short"] >= 274   # MANIFEST: 274 image-only pages
    form_values = corpus_archive.db.execute("SELECT count(*) FROM form_fields").fetchone()[0]
    assert form_values == 9 + 10 + 7 + 18 + 4 + 2   # Smith, Chattahoochee, Mineral, Pasco, Walworth;
    signed = dict(corpus_archive.db.execute(           # and two signed signature fields
        "SELECT d.file_name, f.value FROM form_fields f JOIN documents d ON d.sha256 = f.sha256"
        " WHERE f.value LIKE 'Digitally signed by %'").fetchall())
    assert signed == {
        "287gJEM_%20etowahCoAL_06-09-2020.pdf": "Digitally signed by CHRISTOPHER M CRONEN (ICE, Department of "
                                                "Homeland Security, U.S. Government) Date: 2020.06.09 14:38:27 -04'00'",
        "floridaDeptLawEnforcement_TFM_MOA_02.14.2025.pdf": "Digitally signed by CALEB VITELLO (ICE, Department of "
                                                            "Homeland Security, U.S. Government) Date: 2025.02.14 "
                                                            "08:23:40 -05'00'"}
