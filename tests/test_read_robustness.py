"""Reading under bad conditions (issues 14 and 16): no tesseract, OCR failures, budgets,
blank pages, kills, truncated files. Real PDFs (generated with pypdf where the point is
size), the real CLI in a subprocess, real tesseract."""
from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pypdf
import pytest

from archive.core.errors import DocumentError
from archive.core.progress import NullProgress
from archive.harvest.recording import Source, record_file
from archive.read import extract, ocr
from archive.read.extract import Budget, extract_all, read_document
from archive.read.pdf import open_pdf
from archive.status import status
from conftest import FIXTURE_CORPUS
from store.datadir import DataDir
from store.db import utc_now

PDFS = FIXTURE_CORPUS / "pdfs"
RUSK = "RuskCoSOTX_WSO_MOA_030425.pdf"            # scanned, no text layer
TEXAS_OAG = "TexasOfficeAttorneyGeneral_TFM_MOA_01.30.25.pdf"  # born-digital
ROOT = Path(__file__).resolve().parents[1]
INSTALL = "apt-get install tesseract-ocr tesseract-ocr-eng"
POPPLER_INSTALL = "apt-get install poppler-utils"
UPDATE_OFFLINE = ("--source-url", "http://127.0.0.1:9/287g", "--allow-host", "127.0.0.1",
                  "--retries", "0", "--delay", "0")


def record(d, name: str, data: bytes) -> str:
    source = Source(url="https://www.ice.gov/doclib/287gMOA/" + name, fetched_at=utc_now())
    return record_file(d, data, kind="moa", file_name=name, source=source).sha256


def pages_of(source: Path, numbers: list[int]) -> bytes:
    """A PDF of some pages (0-based) of a real one."""
    reader = pypdf.PdfReader(source)
    writer = pypdf.PdfWriter()
    for n in numbers:
        writer.add_page(reader.pages[n])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def blank_pdf(pages: int, width: float = 612, height: float = 792) -> bytes:
    writer = pypdf.PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width, height)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def run_moa(data: Path, *args, env_path: str | None = None, **kw) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if env_path is not None:
        env["PATH"] = env_path
    return subprocess.run([sys.executable, "-c", "from cli import main; main()", "--data-dir", str(data),
                           *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=600, **kw)


# --- tesseract missing or broken ------------------------------------------------------------

@pytest.mark.parametrize("broken", ["missing", "fails", "no-english", "no-orientation"])
def test_no_working_tesseract_stops_the_run_before_any_page(tmp_path, broken):
    data = tmp_path / "data"
    d = DataDir(data)
    record(d, RUSK, pages_of(PDFS / RUSK, [0]))
    record(d, TEXAS_OAG, (PDFS / TEXAS_OAG).read_bytes())
    d.close()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    env_path, extra = str(bin_dir), {}
    if broken == "fails":          # a tesseract that starts but cannot read (broken install)
        fake = bin_dir / "tesseract"
        fake.write_text("#!/bin/sh\ncase \"$1\" in --version) echo 'tesseract 5.3.0';;\n"
                        "--list-langs) echo 'List of available languages (2):'; echo eng; echo osd;;\n"
                        "*) echo 'error while loading shared libraries' >&2; exit 127;; esac\n")
        fake.chmod(0o755)
    elif broken == "no-english":   # the real tesseract without its language data
        env_path = os.environ["PATH"]
        extra = {"env": dict(os.environ, PYTHONPATH=str(ROOT), TESSDATA_PREFIX=str(tmp_path))}
    elif broken == "no-orientation":   # English, but not the data that finds a page turned
        tessdata = tmp_path / "tessdata"
        tessdata.mkdir()
        (tessdata / "eng.traineddata").symlink_to(next(Path("/usr/share/tesseract-ocr").glob("*/tessdata/eng.traineddata")))
        extra = {"env": dict(os.environ, PYTHONPATH=str(ROOT), TESSDATA_PREFIX=str(tessdata))}
    if extra:
        res = subprocess.run([sys.executable, "-c", "from cli import main; main()", "--data-dir",
                              str(data), "extract"], capture_output=True, text=True, cwd=ROOT,
                             timeout=600, **extra)
    else:
        res = run_moa(data, "extract", env_path=env_path)
    assert res.returncode != 0
    assert INSTALL in res.stderr and "./go" in res.stderr
    assert ("orientation data (for pages scanned turned) (osd.traineddata" in res.stderr) == (broken == "no-orientation")
    assert "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and res.stderr.startswith("Error: ")  # one message
    d = DataDir(data)
    assert d.db.execute("SELECT count(*) FROM extractions").fetchone()[0] == 0
    assert d.db.execute("SELECT count(*) FROM pages").fetchone()[0] == 0
    d.close()


def test_no_tesseract_stops_update_too(tmp_path):
    """`moa update` with ICE unreachable still reads what the archive holds: not without
    tesseract."""
    data = tmp_path / "data"
    d = DataDir(data)
    record(d, TEXAS_OAG, (PDFS / TEXAS_OAG).read_bytes())
    d.close()
    res = run_moa(data, "update", *UPDATE_OFFLINE, env_path=str(tmp_path))
    assert res.returncode != 0 and INSTALL in res.stderr
    d = DataDir(data)
    assert d.db.execute("SELECT count(*) FROM extractions").fetchone()[0] == 0
    d.close()


@pytest.mark.parametrize("command,broken", [("extract", "missing"), ("extract", "fails"),
                                            ("process", "missing"), ("update", "missing")])
def test_no_working_pdftotext_stops_the_run_before_any_page(tmp_path, command, broken):
    """tesseract is there, pdftotext is not (or cannot read a PDF): the run stops with what
    to install, as without tesseract, instead of reading with pdfium's spacing alone."""
    data = tmp_path / "data"
    d = DataDir(data)
    record(d, TEXAS_OAG, (PDFS / TEXAS_OAG).read_bytes())
    d.close()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "tesseract").symlink_to(shutil.which("tesseract"))
    if broken == "fails":          # starts, says its version, cannot read (a broken install)
        fake = bin_dir / "pdftotext"
        fake.write_text("#!/bin/sh\ncase \"$1\" in -v) echo 'pdftotext version 22.12.0' >&2;;\n"
                        "*) echo 'Syntax Error: Couldn\'t read xref table' >&2; exit 1;; esac\n")
        fake.chmod(0o755)
    args = (command, *UPDATE_OFFLINE) if command == "update" else (command,)
    res = run_moa(data, *args, env_path=str(bin_dir))
    assert res.returncode != 0
    assert POPPLER_INSTALL in res.stderr and "./go" in res.stderr and "pdftotext" in res.stderr
    assert "Traceback" not in res.stderr
    errors = [line for line in res.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and INSTALL not in res.stderr      # one message, about pdftotext
    if command == "extract":
        assert len(res.stderr.strip().splitlines()) == 1
    d = DataDir(data)
    assert d.db.execute("SELECT count(*) FROM extractions").fetchone()[0] == 0
    assert d.db.execute("SELECT count(*) FROM pages").fetchone()[0] == 0
    d.close()


# --- OCR failures are failures, retried ----------------------------------------------------

def test_ocr_failure_makes_the_document_partial_counted_and_retried(datadir):
    sha = record(datadir, RUSK, pages_of(PDFS / RUSK, [0]))
    first = extract_all(datadir, workers=1, timeout=0.01)
    assert first["partial"] == 1 and first["ok"] == 0
    doc = read_document(datadir, sha)
    assert doc.status == "partial" and "OCR timeout" in doc.error
    s = status(datadir)
    assert s.failures >= 1 and [f["sha256"] for f in s.failed_documents] == [sha]
    again = extract_all(datadir, workers=1)        # no --force: the partial one is read again
    assert again["documents"] == 1 and again["ok"] == 1
    doc = read_document(datadir, sha)
    assert doc.status == "ok" and doc.pages[0].ocr_status == "ok"
    assert doc.pages[0].reader == f"tesseract {ocr.DEFAULT_DPI} dpi"
    assert "MEMORANDUM OF AGREEMENT" in doc.pages[0].text
    assert status(datadir).failed_documents == []
    assert extract_all(datadir)["documents"] == 0


# --- budgets and blank pages ---------------------------------------------------------------

def test_documents_over_budget_fail_alone_and_the_good_one_is_read(datadir):
    many = record(datadir, "many.pdf", blank_pdf(2000))
    huge = record(datadir, "huge.pdf", blank_pdf(1, 14400, 14400))
    good = record(datadir, TEXAS_OAG, (PDFS / TEXAS_OAG).read_bytes())
    t0 = time.monotonic()
    summary = extract_all(datadir, workers=2)
    assert time.monotonic() - t0 < 60
    assert summary["ok"] == 1 and summary["failed"] == 2
    errors = {f["sha256"]: f["error"] for f in summary["failures"]}
    assert "2000 pages, over the budget of 300 pages" in errors[many] and "MOA_MAX_PAGES" in errors[many]
    assert "14400 × 14400 pt" in errors[huge] and "MOA_MAX_PAGE_PIXELS" in errors[huge]
    assert read_document(datadir, good).status == "ok" and len(read_document(datadir, good).pages) == 15


def test_page_budget_is_configurable_and_blank_pages_are_not_ocrd(datadir):
    sha = record(datadir, "blank.pdf", blank_pdf(400))
    summary = extract_all(datadir, workers=2, budget=Budget(max_pages=500))
    assert summary["ok"] == 1 and summary["blank_pages"] == 400
    doc = read_document(datadir, sha)
    assert {p.reader for p in doc.pages} == {"blank"} and {p.ocr_text for p in doc.pages} == {""}
    assert summary["seconds"] < 60


def test_a_scanned_blank_page_is_found_without_tesseract():
    from PIL import Image
    white = Image.new("L", (2550, 3300), 255)
    assert ocr.is_blank(white)
    white.paste(0, (1000, 3000, 1030, 3040))       # a page number's worth of ink
    assert not ocr.is_blank(white)


def test_page_image_over_the_pixel_budget_is_refused(datadir):
    from web.page_images import page_image
    sha = record(datadir, "tall.pdf", blank_pdf(1, 3, 14400))
    t0 = time.monotonic()
    with pytest.raises(DocumentError, match="MOA_MAX_PAGE_PIXELS"):
        page_image(datadir, sha, 1)
    assert time.monotonic() - t0 < 5
    ok = record(datadir, TEXAS_OAG, (PDFS / TEXAS_OAG).read_bytes())
    assert page_image(datadir, ok, 1).stat().st_size > 1000


# --- kills -----------------------------------------------------------------------------------

def _children(pid: int) -> set[int]:
    out = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.add(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    return out


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_killed_extract_leaves_no_workers_and_keeps_its_ocr(tmp_path):
    data = tmp_path / "data"
    d = DataDir(data)
    sha = record(d, RUSK, (PDFS / RUSK).read_bytes())
    record(d, TEXAS_OAG, (PDFS / TEXAS_OAG).read_bytes())
    d.close()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-c", "from cli import main; main()", "--data-dir", str(data),
                             "extract", "--workers", "2"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        saved = 0
        while time.monotonic() < deadline and saved < 1:
            time.sleep(0.5)
            d = DataDir(data)
            saved = d.db.execute("SELECT count(*) FROM ocr_results").fetchone()[0]
            d.close()
        assert saved >= 1, "no OCR result was saved"
        family = _children(proc.pid)
        family |= {g for c in family for g in _children(c)}
        assert family, "no worker processes seen"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(_alive(p) for p in family):
            time.sleep(0.2)
        assert not [p for p in family if _alive(p)], "pool workers or tesseract outlived the parent"
    finally:
        if proc.poll() is None:
            proc.kill()
    d = DataDir(data)
    saved = d.db.execute("SELECT count(*) FROM ocr_results WHERE sha256 = ?", (sha,)).fetchone()[0]
    assert 1 <= saved < 10
    started = []

    class Recorder(NullProgress):
        def start(self, total, unit):
            started.append((unit, total))

    summary = extract_all(d, workers=2, progress=Recorder())
    assert summary["ok"] == summary["documents"] >= 1        # the text-only one may be stored already
    assert ("pages to OCR", 10 - saved) in started          # the saved pages are not OCR'd again
    assert len(read_document(d, sha).pages) == 10
    assert d.db.execute("SELECT count(*) FROM ocr_results").fetchone()[0] == 0
    d.close()


# --- truncation --------------------------------------------------------------------------------

def test_truncation_is_judged_by_the_pdf_structure():
    good = (PDFS / TEXAS_OAG).read_bytes()
    with open_pdf(good + b"\0" * 4096, "padded.pdf") as pdf:
        assert pdf.page_count == 15
    with pytest.raises(DocumentError, match="truncated"):
        open_pdf(good[: len(good) // 2], "half.pdf")
    with pytest.raises(DocumentError, match=r"not a PDF \(no %PDF- signature"):
        open_pdf(os.urandom(40_000), "random.pdf")
    with pytest.raises(DocumentError, match="no PDF objects") as e:
        open_pdf(b"%PDF-1.7\n" + os.urandom(40_000), "random-with-header.pdf")
    assert "cut short" not in str(e.value)


def test_progress_has_a_phase_each(datadir):
    record(datadir, RUSK, pages_of(PDFS / RUSK, [0, 1]))
    record(datadir, TEXAS_OAG, (PDFS / TEXAS_OAG).read_bytes())
    out = io.StringIO()
    from archive.core.progress import StderrProgress
    extract_all(datadir, workers=2, progress=StderrProgress("read", stream=out, interval=0))
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("read: 0/17 pages' text layers")     # counted before reading
    assert any("17/17 pages' text layers" in line and "documents=2" in line for line in lines)
    assert any(line.startswith("read: 0/2 pages to OCR") for line in lines)
    assert any(line.startswith("read: 2/2 pages to OCR") for line in lines)
    assert json.dumps(lines)        # plain text, one line per draw
