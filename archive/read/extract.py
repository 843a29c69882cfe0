"""Reading every page: the text layer where it is good, tesseract where it is not.

Per page we keep the text layer (shifted glyphs repaired), its quality judgement
(archive.read.textquality), the OCR text and mean word confidence when OCR ran, and in
``text`` the text later stages search and segment:

- method ``text``: the text layer was good (or OCR failed: then the text layer, whatever
  its quality, is all there is);
- method ``ocr``: the text layer was empty, junk or control characters — the OCR text;
- method ``both``: the text layer was too short to be the page (a scan carrying a stamp
  or a few typed words), or covers a small part of a page that is mostly image
  (textquality.overlay_on_scan) — the OCR text (a text-layer line OCR misread put in
  place of that reading), then the text layer's lines, when OCR did not read them all.

A process pool (one worker per core, OMP_THREAD_LIMIT=1 each) first reads every
document's text layers (pdfium, its spacing checked against poppler's, see
archive.read.spacing), then renders and OCRs the pages that need it; the workers return
results and die with the parent (parent-death signal). Only the parent writes the
database: each OCR result as it arrives (``ocr_results``, so a killed run loses only the
pages in flight), then one transaction per document. A document that cannot be read, or
is over its budget (pages, pixels per page, seconds), gets an ``extractions`` row with
status 'failed' and the reason; one whose OCR failed on some pages is 'partial' and is
read again by the next run. The batch goes on. Before any page is read, tesseract and
pdftotext are checked: missing or broken, the run stops (ToolMissing) and nothing is
recorded.

Where tesseract read each word is kept per OCR'd page (``ocr_words``), for boxing search
hits on page images. Pages read before that was kept get their boxes from the next run
(:func:`box_ocr_pages`): those pages alone are OCR'd again, and only their boxes stored.
"""
from __future__ import annotations

import ctypes
import dataclasses
import json
import multiprocessing
import os
import re
import signal
import time
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Iterable, Iterator

from archive.read import ocr, poppler, spacing
from archive.read import textquality
from archive.core.refs import resolve
from archive.core.errors import DocumentError, NotFound
from archive.read.stored import decode_words, encode_words
from archive.read.pdf import FormField, Pdf, check_pixels, count_pages, open_pdf
from archive.core.progress import NullProgress, Progress
from store.datadir import DataDir
from store.db import transaction, utc_now

EXTRACTOR_VERSION = 6     # 2: spacing from poppler, spaces-as-letters judged, OCR at 300 dpi
                          # 3: OCR reads white-on-black lines too (tesseract's invert pass)
                          # 4: a scan with a few typed words on it is OCR'd (method both)
                          # 5: a page read with little confidence is checked for being turned
                          # 6: signed signature fields are read (pdf.signed_value)
# Versions whose OCR of a page reads as this one's when its confidence is at least
# ocr.TURN_BELOW (or the page was blank): a document read by one of them keeps those
# readings and their word boxes when it is read again, and only its other pages are OCR'd.
SAME_SURE_OCR = (4,)
# Versions whose OCR of every page reads as this one's: all their readings are kept.
SAME_OCR = (5,)

TEXT, OCR, BOTH = "text", "ocr", "both"
PDFIUM, POPPLER_SPACING = "pdfium", "pdfium+poppler spacing"


@dataclass(frozen=True)
class Budget:
    """What one document may cost; over it, that document fails alone with a message."""
    max_pages: int = int(os.environ.get("MOA_MAX_PAGES", 300))
    max_page_pixels: int | None = None          # None: archive.read.pdf.MAX_PAGE_PIXELS
    max_seconds: float = float(os.environ.get("MOA_MAX_DOCUMENT_SECONDS", 1800))  # OCR CPU time


@dataclass
class PageRecord:
    page: int                          # 1-based
    text_layer: str
    text_layer_quality: str
    method: str                        # text | ocr | both
    text: str                          # what is searched and segmented
    ocr_text: str | None = None
    ocr_confidence: float | None = None
    ocr_status: str | None = None      # None (not run) | ok | timeout | error
    reader: str | None = None          # who read `text`: pdfium, pdfium+poppler spacing,
                                       # tesseract 300 dpi, blank, or "A + B" for both

    def to_dict(self) -> dict:
        """The page as `moa text --json` and the API's document give it."""
        return asdict(self)


@dataclass
class DocumentText:
    """One document as read: its pages, its form-field values, or why it failed."""
    name: str
    sha256: str | None = None
    status: str = "ok"                 # ok | partial (OCR failed on some pages) | failed
    error: str | None = None
    page_count: int | None = None
    encrypted: bool = False
    metadata: dict = field(default_factory=dict)
    pages: list[PageRecord] = field(default_factory=list)
    form_fields: list[FormField] = field(default_factory=list)
    ocr_words: dict[int, tuple] = field(default_factory=dict)   # page -> its ocr.Word boxes
    seconds: float = 0.0
    extractor_version: int = EXTRACTOR_VERSION

    @property
    def text(self) -> str:
        """All pages' text, pages separated by a form feed."""
        return "\f".join(p.text for p in self.pages)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class _Job:
    name: str
    path: Path
    sha256: str | None = None
    pages: int = 0            # as counted before reading (for progress)


@dataclass
class _Reading:
    """A document whose text layers are read and whose OCR pages are on their way."""
    doc: DocumentText
    path: Path
    judgements: list[textquality.Judgement]
    readers: list[str] = field(default_factory=list)          # text-layer reader per page
    sizes: list[tuple[float, float]] = field(default_factory=list)   # page sizes, points
    ocr: dict[int, ocr.OcrResult] = field(default_factory=dict)
    waiting: int = 0
    need: list[int] = field(default_factory=list)             # 0-based pages to OCR
    futures: list[Future] = field(default_factory=list)
    done: bool = False


# --- library entry points ----------------------------------------------------------------

def extract_all(datadir: DataDir, *, workers: int | None = None, force: bool = False,
                progress: Progress = NullProgress(), dpi: int = ocr.DEFAULT_DPI,
                timeout: float = ocr.DEFAULT_TIMEOUT, budget: Budget | None = None) -> dict:
    """Read every document not yet read by this EXTRACTOR_VERSION, and those whose OCR
    failed on some pages (status 'partial'); all with *force*. Return a JSON-able summary.
    Raises ToolMissing before reading anything when tesseract or pdftotext is missing or
    broken."""
    conn = datadir.db
    rows = conn.execute(
        "SELECT d.sha256, d.file_name FROM documents d LEFT JOIN extractions e USING (sha256)"
        " WHERE ? OR e.sha256 IS NULL OR e.extractor_version <> ? OR e.status = 'partial'"
        " ORDER BY d.sha256", (int(force), EXTRACTOR_VERSION)).fetchall()
    jobs = [_Job(r["file_name"] or r["sha256"], datadir.blobs.path(r["sha256"]), r["sha256"])
            for r in rows]
    t0 = time.monotonic()
    summary = {"documents": len(jobs), "ok": 0, "partial": 0, "failed": 0, "pages": 0,
               "text_pages": 0, "ocr_pages": 0, "ocr_failed_pages": 0, "blank_pages": 0,
               "form_fields": 0, "failures": []}
    saved = _SavedOcr(conn, dpi, force)
    for doc in _read(jobs, workers=workers, dpi=dpi, timeout=timeout, progress=progress,
                     budget=budget or Budget(), saved=saved):
        _store(conn, doc)
        summary[doc.status] += 1
        if doc.status != "ok":
            summary["failures"].append({"sha256": doc.sha256, "file_name": doc.name,
                                        "status": doc.status, "error": doc.error})
            progress.note(f"{doc.status}: {doc.error}")
        summary["pages"] += len(doc.pages)
        summary["text_pages"] += sum(p.method == TEXT and p.ocr_status is None for p in doc.pages)
        summary["ocr_pages"] += sum(p.ocr_status is not None for p in doc.pages)
        summary["ocr_failed_pages"] += sum(p.ocr_status not in (None, ocr.OK) for p in doc.pages)
        summary["blank_pages"] += sum(p.reader == ocr.BLANK for p in doc.pages)
        summary["form_fields"] += len(doc.form_fields)
    summary["ocr_pages_kept"] = saved.kept
    summary["boxed_pages"] = box_ocr_pages(datadir, workers=workers, progress=progress, timeout=timeout)
    summary["seconds"] = round(time.monotonic() - t0, 2)
    return summary


def read_pdf(source: Path | str, *, name: str | None = None, workers: int | None = None,
             dpi: int = ocr.DEFAULT_DPI, timeout: float = ocr.DEFAULT_TIMEOUT,
             budget: Budget | None = None) -> DocumentText:
    """Read one PDF file now (nothing stored); a broken file comes back status 'failed'."""
    path = Path(source)
    return next(_read([_Job(name or path.name, path)], workers=workers, dpi=dpi, timeout=timeout,
                      budget=budget or Budget()))


def read_document(datadir: DataDir, ref: str) -> DocumentText:
    """The stored reading of document *ref* (sha256, unique prefix, or ICE's file name)."""
    conn = datadir.db
    sha = resolve(conn, ref)
    ext = conn.execute("SELECT * FROM extractions WHERE sha256 = ?", (sha,)).fetchone()
    name = conn.execute("SELECT file_name FROM documents WHERE sha256 = ?", (sha,)).fetchone()[0]
    if ext is None:
        raise NotFound(f"{name or sha} has not been read yet; run `moa extract`")
    pages = [PageRecord(**{k: r[k] for k in PageRecord.__dataclass_fields__})
             for r in conn.execute("SELECT * FROM pages WHERE sha256 = ? ORDER BY page", (sha,))]
    fields = [FormField(r["name"], r["value"], r["page"]) for r in conn.execute(
        "SELECT * FROM form_fields WHERE sha256 = ? ORDER BY page, name", (sha,))]
    return DocumentText(name=name or sha, sha256=sha, status=ext["status"], error=ext["error"],
                        page_count=ext["page_count"], encrypted=bool(ext["encrypted"]),
                        metadata=json.loads(ext["pdf_metadata"] or "{}"), pages=pages,
                        form_fields=fields, seconds=ext["seconds"] or 0.0,
                        extractor_version=ext["extractor_version"])


# --- OCR results saved as they arrive --------------------------------------------------------

class _SavedOcr:
    """Good OCR readings of documents not yet stored whole: written one by one as they
    come back, used instead of OCR by the next run, dropped when the document is stored.
    Without *force*, also the readings an earlier version stored that this one would
    make alike (SAME_OCR, SAME_SURE_OCR)."""

    def __init__(self, conn, dpi: int, force: bool):
        self.conn, self.dpi, self.force = conn, dpi, force
        self.kept = 0           # pages whose earlier version's reading was kept
        if force:
            with transaction(conn):
                conn.execute("DELETE FROM ocr_results")

    def load(self, sha: str | None, need: list[int]) -> dict[int, ocr.OcrResult]:
        """The readings there are of the pages *need* (0-based) of document *sha*."""
        if sha is None or not need:
            return {}
        out = {} if self.force else self._earlier(sha)
        self.kept += sum(k - 1 in need for k in out)
        out.update({r["page"]: ocr.OcrResult(r["page"], ocr.OK, r["text"], r["confidence"],
                                             seconds=r["seconds"] or 0.0, reader=r["reader"],
                                             words=decode_words(r["words"]))
                    for r in self.conn.execute(
                        "SELECT * FROM ocr_results WHERE sha256 = ? AND extractor_version = ? AND dpi = ?",
                        (sha, EXTRACTOR_VERSION, self.dpi))})
        return {k: v for k, v in out.items() if k - 1 in need}

    def _earlier(self, sha: str) -> dict[int, ocr.OcrResult]:
        """The pages an earlier version OCR'd at this dpi that this version would read
        alike: every one a SAME_OCR version read; of a SAME_SURE_OCR version's, those
        blank or read with confidence >= ocr.TURN_BELOW."""
        versions = (*SAME_SURE_OCR, *SAME_OCR)
        rows = self.conn.execute(
            "SELECT p.page, p.ocr_text, p.ocr_confidence, p.reader, p.extractor_version, w.words FROM pages p"
            " LEFT JOIN ocr_words w ON w.sha256 = p.sha256 AND w.page = p.page"
            f" WHERE p.sha256 = ? AND p.ocr_status = ? AND p.extractor_version IN ({','.join('?' * len(versions))})",
            (sha, ocr.OK, *versions)).fetchall()
        out, own = {}, ocr.reader_name(self.dpi)
        for r in rows:
            reader = (r["reader"] or "").split(" + ")[0]      # (the OCR's part of a page read both ways)
            if r["extractor_version"] in SAME_OCR:
                alike = reader == ocr.BLANK or reader == own or reader.startswith(own + ", turned ")
            else:
                alike = reader == ocr.BLANK or (reader == own and (r["ocr_confidence"] or 0.0) >= ocr.TURN_BELOW)
            if alike and (reader == ocr.BLANK or r["ocr_text"] is not None):
                out[r["page"]] = ocr.OcrResult(r["page"], ocr.OK, r["ocr_text"] or "", r["ocr_confidence"],
                                               reader=reader, words=decode_words(r["words"]))
        return out

    def save(self, sha: str | None, result: ocr.OcrResult) -> None:
        if sha is None or result.status != ocr.OK:
            return
        with transaction(self.conn):
            self.conn.execute(
                "INSERT OR REPLACE INTO ocr_results(sha256, page, extractor_version, dpi, status, text,"
                " confidence, reader, seconds, words) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (sha, result.page, EXTRACTOR_VERSION, self.dpi, result.status, result.text,
                 result.confidence, result.reader, round(result.seconds, 3), encode_words(result.words)))


class _NoSaving:
    kept = 0

    def load(self, sha, need):
        return {}

    def save(self, sha, result):
        pass


# --- reading -----------------------------------------------------------------------------

def _read(jobs: Iterable[_Job], *, workers: int | None, dpi: int, timeout: float,
          progress: Progress = NullProgress(), budget: Budget = Budget(),
          saved=_NoSaving()) -> Iterator[DocumentText]:
    """Yield each document once read. Text layers first, then OCR; both in the pool when
    there is more than one document (one document's text layer is read here). Each phase
    shows its own progress in pages, with its own rate and ETA (documents as a count)."""
    jobs = list(jobs)
    if not jobs:
        return
    check_tools()
    for job in jobs:
        job.pages = count_pages(job.path)
    pool = ocr_pool(workers) if len(jobs) > 1 else None
    try:
        # counted first (cheap), so that this phase's rate and ETA are in pages, like OCR's
        progress.start(sum(job.pages for job in jobs), "pages' text layers")
        readings, pool = _read_all_text_layers(jobs, pool, workers, budget, progress)
        progress.finish()
        for r in readings:
            if r.doc.status != "failed":
                _plan_ocr(r, budget, dpi)
        yield from (r.doc for r in readings if r.doc.status == "failed")
        readings = [r for r in readings if r.doc.status != "failed"]
        for r in readings:
            r.ocr.update(saved.load(r.doc.sha256, r.need))
        todo = sum(len(r.need) - len(r.ocr) for r in readings)
        progress.start(todo, "pages to OCR")
        pending: dict[Future, tuple[_Reading, int]] = {}
        for reading in readings:
            need = [i for i in reading.need if i + 1 not in reading.ocr]
            if not need:
                progress.advance(0, documents=1)
                yield _finish(reading)
                continue
            pool = pool or ocr_pool(workers)
            reading.waiting = len(need)
            for i in need:
                fut = pool.submit(ocr_task, str(reading.path), reading.doc.name, i, dpi, timeout,
                                  budget.max_page_pixels)
                pending[fut] = (reading, i)
                reading.futures.append(fut)
        for fut in as_completed(pending):
            reading, i = pending.pop(fut)
            if reading.done:
                continue                  # failed over its budget: the rest is dropped
            if fut.cancelled():
                continue
            try:
                result = fut.result()
            except DocumentError as e:    # over the pixel budget: the document fails alone
                _fail(reading, str(e))
                progress.advance(1 + _cancel(reading))
                yield reading.doc
                continue
            except Exception as e:   # a worker died (killed, out of memory): the pages still
                # waiting fail with it and are recorded as OCR errors; the documents are kept
                result = ocr.OcrResult(i + 1, ocr.ERROR, error=f"OCR worker failed: {type(e).__name__}: {e}")
            saved.save(reading.doc.sha256, result)
            reading.ocr[result.page] = result
            reading.doc.seconds += result.seconds
            reading.waiting -= 1
            progress.advance(1)
            spent = sum(r.seconds for r in reading.ocr.values())
            if reading.waiting and spent > budget.max_seconds:
                _fail(reading, f"{reading.doc.name}: OCR took {spent:.0f} s before page "
                               f"{len(reading.ocr)} of the {len(reading.need)} to read, over the budget of "
                               f"{budget.max_seconds:.0f} s per document (MOA_MAX_DOCUMENT_SECONDS)")
                progress.advance(_cancel(reading))
                yield reading.doc
                continue
            if reading.waiting == 0:
                progress.advance(0, documents=1)
                yield _finish(reading)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        progress.finish()


def check_tools() -> None:
    """Every outside program reading needs, each tried by its one wrapper: tesseract
    (archive.read.ocr) and pdftotext (archive.read.poppler). Missing or broken, the run
    stops here (ToolMissing, with what to install), before any page is read."""
    ocr.check_tesseract()
    poppler.check_pdftotext()


def _plan_ocr(reading: _Reading, budget: Budget, dpi: int) -> None:
    """The pages that need OCR; a page over the pixel budget fails the document now."""
    reading.need = [i for i, j in enumerate(reading.judgements) if not j.usable]
    for i in reading.need:
        try:
            check_pixels(reading.doc.name, i, *reading.sizes[i], dpi / 72, budget.max_page_pixels)
        except DocumentError as e:
            _fail(reading, str(e))
            return


def _fail(reading: _Reading, error: str) -> None:
    reading.done = True
    reading.doc.status, reading.doc.error, reading.doc.pages = "failed", error, []
    reading.doc.form_fields = []


def _cancel(reading: _Reading) -> int:
    """Cancel the document's OCR not yet started; return how many pages that drops."""
    return sum(f.cancel() for f in reading.futures)


def ocr_pool(workers: int | None = None) -> ProcessPoolExecutor:
    """The OCR workers (default: one per core), each with one tesseract thread, each
    dying with this process. Submit ocr_task to it."""
    return ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1,
                               mp_context=multiprocessing.get_context("spawn"),
                               initializer=worker_init, initargs=(os.getpid(),))


PR_SET_PDEATHSIG = 1


def worker_init(parent: int) -> None:
    """In each pool worker: one tesseract thread; SIGTERM when the parent dies (Linux
    prctl), on which the worker kills the tesseract it is running and exits."""
    ocr.limit_threads()
    signal.signal(signal.SIGTERM, _die)
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass                          # not Linux: workers end when the pool's pipe closes
    if os.getppid() != parent:        # the parent died before prctl took effect
        _die()


def _die(*_) -> None:
    me = str(os.getpid())
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = f.read().rsplit(")", 1)[1].split()[1]
            if ppid == me:
                os.kill(int(entry), signal.SIGKILL)
        except (OSError, IndexError):
            continue
    os._exit(1)


def _read_all_text_layers(jobs: list[_Job], pool: ProcessPoolExecutor | None, workers: int | None,
                          budget: Budget = Budget(), progress: Progress = NullProgress()
                          ) -> tuple[list[_Reading], ProcessPoolExecutor | None]:
    """Each job's text layers, in job order, read in the pool's workers when there is a
    pool. When a worker dies, every unfinished job's future breaks with it: the first of
    them is tried again alone in a new pool (a file that kills that worker too fails
    alone), and the jobs after it go on in that pool, which is returned for the OCR."""
    counted: set[int] = set()

    def done(job: _Job, reading: _Reading) -> _Reading:
        if id(job) not in counted:    # a job read again after a broken pool counts once
            counted.add(id(job))
            progress.advance(job.pages, documents=1)
        return reading

    if pool is None:
        return [done(job, _read_text_layers(job, budget)) for job in jobs], None
    readings: list[_Reading] = []
    remaining = jobs
    while remaining:
        futures: dict[int, Future] = {}
        # submitted largest files first, so that no core idles at the end on one big file
        for k in sorted(range(len(remaining)), key=lambda k: _size(remaining[k]), reverse=True):
            futures[k] = pool.submit(_read_text_layers, remaining[k], budget)
        owner = {f: remaining[k] for k, f in futures.items()}
        for fut in as_completed(futures.values()):     # progress as they finish
            if fut.exception() is None:
                done(owner[fut], fut.result())
        for k, job in enumerate(remaining):
            try:
                readings.append(done(job, futures[k].result()))
            except BrokenProcessPool:
                pool.shutdown(wait=False, cancel_futures=True)
                reading, pool = _read_alone(job, workers, budget)
                readings.append(done(job, reading))
                remaining = remaining[k + 1:]
                break
        else:
            remaining = []
    return readings, pool


def _size(job: _Job) -> int:
    try:
        return job.path.stat().st_size
    except OSError:
        return 0


def _read_alone(job: _Job, workers: int | None, budget: Budget = Budget()
                ) -> tuple[_Reading, ProcessPoolExecutor]:
    """Read one job's text layers in a fresh pool; the pool to go on with comes back too."""
    pool = ocr_pool(workers)
    try:
        return pool.submit(_read_text_layers, job, budget).result(), pool
    except BrokenProcessPool as e:
        pool.shutdown(wait=False, cancel_futures=True)
        doc = DocumentText(name=job.name, sha256=job.sha256, status="failed",
                           error=f"{job.name}: reading the PDF stopped its worker process "
                                 f"({e}); `moa extract --force` tries it again")
        return _Reading(doc, job.path, []), ocr_pool(workers)


def _read_text_layers(job: _Job, budget: Budget = Budget()) -> _Reading:
    t0 = time.monotonic()
    doc = DocumentText(name=job.name, sha256=job.sha256)
    judgements: list[textquality.Judgement] = []
    readers: list[str] = []
    sizes: list[tuple[float, float]] = []
    try:
        with open_pdf(job.path, job.name) as pdf:
            doc.page_count, doc.encrypted = pdf.page_count, pdf.encrypted
            if pdf.page_count > budget.max_pages:
                raise DocumentError(job.name, f"{pdf.page_count} pages, over the budget of "
                                    f"{budget.max_pages} pages per document (MOA_MAX_PAGES); "
                                    "not an MOA as ICE publishes them — raise the budget to read it")
            doc.metadata, doc.form_fields = pdf.metadata, pdf.form_fields
            for i in range(pdf.page_count):
                layer = pdf.page_text(i)
                judged = textquality.judge(layer.text, shifted_traces=layer.shifted_traces)
                judgements.append(textquality.overlay_on_scan(judged, layer.image_share, layer.text_share))
                sizes.append(pdf.page_size(i))
        judgements, readers = _respace(job, judgements)
    except DocumentError as e:
        doc.status, doc.error = "failed", str(e)
    except Exception as e:   # a PDF that breaks a library in a way nobody foresaw
        doc.status = "failed"
        doc.error = f"{job.name}: unexpected error reading the PDF ({type(e).__name__}: {e})"
    doc.seconds = time.monotonic() - t0
    return _Reading(doc, job.path, judgements, readers, sizes)


def _respace(job: _Job, judgements: list[textquality.Judgement]
             ) -> tuple[list[textquality.Judgement], list[str]]:
    """Good text layers with the spaces pdfium lost put back from poppler's reading."""
    readers = [PDFIUM] * len(judgements)
    usable = [k for k, j in enumerate(judgements) if j.usable]
    if not usable:
        return judgements, readers
    # pdftotext reads only from the first good page to the last (not a scan's pages)
    theirs = poppler.pages(job.path, len(judgements), first=usable[0] + 1, last=usable[-1] + 1)
    if theirs is None:
        return judgements, readers
    fixed = spacing.respace_document([(judgements[k].text, theirs[k]) for k in usable])
    out = list(judgements)
    for k, f in zip(usable, fixed):
        if f.changes:
            out[k], readers[k] = dataclasses.replace(judgements[k], text=f.text), POPPLER_SPACING
    return out, readers


_worker_pdf: tuple[str, Pdf] | None = None


def ocr_task(path: str, name: str, index: int, dpi: int, timeout: float,
             max_pixels: int | None = None) -> ocr.OcrResult:
    """In a worker: OCR page *index* (0-based) of the PDF at *path*. Keeps the last PDF
    open, as pages arrive in document order. A page over the pixel budget raises
    DocumentError."""
    global _worker_pdf
    if _worker_pdf is None or _worker_pdf[0] != path:
        if _worker_pdf is not None:
            _worker_pdf[1].close()
        _worker_pdf = (path, open_pdf(path, name))
    return ocr.ocr_page(_worker_pdf[1], index, dpi=dpi, timeout=timeout, max_pixels=max_pixels)


def _finish(reading: _Reading) -> DocumentText:
    """Assemble the pages; OCR trouble on some pages makes the document 'partial', with
    the pages and why in ``error`` (the next run reads it again)."""
    doc = reading.doc
    readers = reading.readers or [PDFIUM] * len(reading.judgements)
    doc.pages = [_page_record(i + 1, j, reading.ocr.get(i + 1), readers[i])
                 for i, j in enumerate(reading.judgements)]
    doc.ocr_words = {n: r.words for n, r in sorted(reading.ocr.items()) if r.status == ocr.OK and r.words}
    trouble = [f"page {r.page}: OCR {r.status} ({r.error})" for _, r in sorted(reading.ocr.items())
               if r.status != ocr.OK]
    if trouble:
        doc.status = "partial"
        doc.error = f"{doc.name}: " + "; ".join(trouble)
    return doc


def _page_record(number: int, judged: textquality.Judgement, result: ocr.OcrResult | None,
                 layer_reader: str = PDFIUM) -> PageRecord:
    record = PageRecord(number, judged.text, judged.quality, TEXT, judged.text, reader=layer_reader)
    if result is None:
        return record
    record.ocr_status = result.status
    record.ocr_text = result.text if result.status == ocr.OK else None
    record.ocr_confidence = result.confidence
    if result.status == ocr.OK and not judged.text.strip():
        record.reader = result.reader     # no text layer: OCR's reading (blank, or no words)
    if result.status != ocr.OK or not result.text.strip():
        return record                     # OCR gave nothing: the text layer is all there is
    if judged.quality in (textquality.TOO_SHORT, textquality.SCAN_WITH_OVERLAY):
        merged = _with_layer_lines(judged.text, result.text)
        if merged != result.text:
            record.method, record.text = BOTH, merged
            record.reader = f"{result.reader} + {layer_reader}"
            return record
    record.method, record.text, record.reader = OCR, result.text, result.reader
    return record


_WORD = re.compile(r"[A-Za-z0-9]{2,}")


def _with_layer_lines(text_layer: str, ocr_text: str) -> str:
    """The OCR text and, when OCR did not read every word of the text layer (a stamp,
    words typed onto a scan), the layer's lines after it, as they stand in the layer (ICE's
    typed date, name and title together, as later stages read them on a born-digital
    page). A layer line OCR read nearly ("Todd M. Lyon", "Date: APF 2, 2025") also takes
    the place of that reading, as the layer has the typed words exactly."""
    seen = {w.lower() for w in _WORD.findall(ocr_text)}
    typed = [line.strip() for line in text_layer.splitlines() if line.strip()]
    unread = [t for t in typed if any(w.lower() not in seen for w in _WORD.findall(t))]
    if not unread:
        return ocr_text
    lines = ocr_text.split("\n")
    for line in unread:
        place = max((_near_copy(ocr, line) + (k,) for k, ocr in enumerate(lines)), default=None)
        if place is not None and place[0] >= NEAR_COPY:
            _, start, end, k = place
            lines[k] = lines[k][:start] + line + lines[k][end:]
    return "\n".join(lines) + "\n\n" + "\n".join(typed)


NEAR_COPY = 0.8     # similarity (difflib ratio) of an OCR span to a layer line it misread


def _near_copy(line: str, typed: str) -> tuple[float, int, int]:
    """How closely a span of *line* (widened to whole words) reads *typed*: (ratio, start,
    end); the span is where difflib aligns *typed*'s characters."""
    blocks = SequenceMatcher(None, line.lower(), typed.lower(), autojunk=False).get_matching_blocks()[:-1]
    if not blocks:
        return 0.0, 0, 0
    start, end = blocks[0].a, blocks[-1].a + blocks[-1].size
    while start > 0 and line[start - 1].isalnum():
        start -= 1
    while end < len(line) and line[end].isalnum():
        end += 1
    return 2 * sum(b.size for b in blocks) / (end - start + len(typed)), start, end


# --- storing -----------------------------------------------------------------------------

def _store(conn, doc: DocumentText) -> None:
    """Replace whatever an earlier run stored for this document, in one transaction."""
    with transaction(conn):
        for table in ("pages", "form_fields", "extractions", "ocr_words"):
            conn.execute(f"DELETE FROM {table} WHERE sha256 = ?", (doc.sha256,))
        if doc.status != "partial":
            conn.execute("DELETE FROM ocr_results WHERE sha256 = ?", (doc.sha256,))
        conn.execute(
            "INSERT INTO extractions(sha256, extractor_version, status, error, page_count, encrypted,"
            " pdf_metadata, extracted_at, seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (doc.sha256, EXTRACTOR_VERSION, doc.status, doc.error, doc.page_count, int(doc.encrypted),
             json.dumps(doc.metadata, ensure_ascii=False, sort_keys=True), utc_now(),
             round(doc.seconds, 3)))
        conn.executemany(
            "INSERT INTO pages(sha256, page, text_layer, text_layer_quality, ocr_text, ocr_confidence,"
            " ocr_status, method, text, extractor_version, reader)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(doc.sha256, p.page, p.text_layer, p.text_layer_quality, p.ocr_text, p.ocr_confidence,
              p.ocr_status, p.method, p.text, EXTRACTOR_VERSION, p.reader) for p in doc.pages])
        conn.executemany(
            "INSERT OR REPLACE INTO form_fields(sha256, name, value, page) VALUES (?, ?, ?, ?)",
            [(doc.sha256, f.name, f.value, f.page) for f in doc.form_fields])
        conn.executemany("INSERT INTO ocr_words(sha256, page, words) VALUES (?, ?, ?)",
                         [(doc.sha256, n, encode_words(w)) for n, w in doc.ocr_words.items()])


# --- word boxes of pages read before they were kept -----------------------------------------

_DPI_OF_READER = re.compile(r"tesseract (\d+) dpi")


def box_ocr_pages(datadir: DataDir, *, workers: int | None = None, progress: Progress = NullProgress(),
                  timeout: float = ocr.DEFAULT_TIMEOUT) -> int:
    """OCR again, at the dpi they were read at, the OCR'd pages stored without their word
    boxes (read before boxes were kept); store the boxes only (the page text stays as it
    was read). Return how many pages got boxes."""
    conn = datadir.db
    rows = conn.execute(
        "SELECT p.sha256, p.page, p.reader, d.file_name FROM pages p JOIN documents d USING (sha256)"
        " LEFT JOIN ocr_words w ON w.sha256 = p.sha256 AND w.page = p.page"
        " WHERE p.method IN (?, ?) AND p.ocr_status = ? AND p.reader LIKE 'tesseract %' AND w.sha256 IS NULL"
        " ORDER BY p.sha256, p.page", (OCR, BOTH, ocr.OK)).fetchall()
    if not rows:
        return 0
    ocr.check_tesseract()
    boxed = 0
    progress.start(len(rows), "OCR'd pages to box")
    with ocr_pool(workers) as pool:
        futures = {pool.submit(ocr_task, str(datadir.blobs.path(r["sha256"])), r["file_name"] or r["sha256"],
                               r["page"] - 1, int(_DPI_OF_READER.match(r["reader"]).group(1)), timeout): r
                   for r in rows}
        for fut in as_completed(futures):
            r = futures[fut]
            progress.advance(1)
            try:
                result = fut.result()
            except Exception as e:         # this page keeps no boxes; the next run tries again
                progress.note(f"{r['file_name']} page {r['page']}: no word boxes ({type(e).__name__}: {e})")
                continue
            if result.status == ocr.OK:     # (no words read this time: kept empty, not retried)
                with transaction(conn):
                    conn.execute("INSERT OR REPLACE INTO ocr_words(sha256, page, words) VALUES (?, ?, ?)",
                                 (r["sha256"], r["page"], encode_words(result.words) or "[]"))
                boxed += bool(result.words)
    progress.finish()
    return boxed
