"""The structure stage over an archive: every extracted document not yet cut by this
SEGMENTER_VERSION is segmented (``segmenter``), its facts read (``facts``) and both stored
(``sections.store``, ``facts.store``) in one transaction per document.

When the page's text lacks a signing fact, the signature block alone is read a second
time (archive.read.blocks: the page from the closing sentence down, at 400 dpi); what that
reading adds is kept only where a third reading of the block in another layout mode reads
it alike (``facts.confirmed``), and is stored with its reader. Those readings are made in
a pool of worker processes (archive.read.extract.ocr_pool, one tesseract each) while this
process cuts the next documents; this process alone writes the database. A reading made
by an earlier cut is kept (``block_readings``) and not made again.
"""
from __future__ import annotations

import os
import time
from collections import deque
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from archive.core.errors import DocumentError
from archive.core.progress import NullProgress, Progress
from archive.read import blocks, stored
from archive.read.extract import ocr_pool
from archive.structure import facts, sections
from archive.structure.signatures import CLOSING_END, signature_page
from archive.structure.segmenter import Segmentation, segment
from store.datadir import DataDir
from store.db import transaction

IN_FLIGHT = 4      # blocks queued per worker: enough to keep it busy, few enough to keep memory flat


def load_pages(conn, sha256: str) -> list[str]:
    """The document's page texts as the read stage stored them, page 1 first."""
    rows = conn.execute("SELECT page, text FROM pages WHERE sha256 = ? ORDER BY page",
                        (sha256,)).fetchall()
    pages = [""] * (max((r["page"] for r in rows), default=0))
    for r in rows:
        pages[r["page"] - 1] = r["text"]
    return pages


@dataclass(frozen=True)
class Block:
    """Where a document's signature block is read again, and its readings an earlier cut
    made (None: not made yet)."""
    path: Path
    page: int
    top: float
    turn: int
    first: blocks.BlockReading | None
    check: blocks.BlockReading | None


@dataclass
class _Cut:
    """One document cut, its block (if it is to be read again) and why the cut failed."""
    sha: str
    seg: Segmentation
    found: list[facts.Fact]
    block: Block | None = None
    to_read: bool = False           # the block needs tesseract (a reading not kept is wanted)
    error: str | None = None


def segment_all(datadir: DataDir, *, force: bool = False, workers: int | None = None,
                progress: Progress = NullProgress()) -> dict:
    """Segment every successfully extracted document not yet segmented by this version
    (all of them with *force*), store sections and facts; one transaction per document.
    A document that cannot be cut completely keeps what was found, complete=0. Signature
    blocks are read in *workers* processes (default: one per core), started only when a
    block is to be read."""
    conn = datadir.db
    todo = sections.outdated(conn, force)
    progress.start(len(todo), "documents")
    summary = {"documents": len(todo), "complete": 0, "incomplete": 0, "seconds": 0.0,
               "block_readings": 0, "block_seconds": 0.0, "block_cpu_seconds": 0.0}
    t0 = time.monotonic()
    readers = _BlockReaders(workers, progress)
    try:
        for sha in todo:
            cut = _cut(datadir, sha)
            if cut.error:
                progress.note(f"{sha[:12]}: {cut.error}")
            if cut.to_read:
                readers.submit(cut)
            else:    # nothing to read again, or every reading kept: no tesseract
                _store(datadir, cut, cut.block and read_blocks(cut.block, cut.seg, cut.found), summary, progress)
            for done, readings in readers.finished(wait=readers.full()):
                _store(datadir, done, readings, summary, progress)
        while readers.queue or readers.given_up:
            for done, readings in readers.finished(wait=True):
                _store(datadir, done, readings, summary, progress)
    finally:
        readers.close()
    progress.finish()
    summary["block_seconds"] = round(readers.waited, 3)
    summary["seconds"] = round(time.monotonic() - t0, 2)
    return summary


def cut_document(conn, sha: str) -> tuple[Segmentation, list[facts.Fact]]:
    """Document *sha* as stored, segmented, and the facts its pages, form fields and
    roster model give (before any second reading of its signature block)."""
    row = conn.execute("SELECT model FROM documents WHERE sha256 = ?", (sha,)).fetchone()
    fields = [(r["name"], r["value"], r["page"]) for r in conn.execute(
        "SELECT name, value, page FROM form_fields WHERE sha256 = ? ORDER BY page, name", (sha,))]
    seg = segment(load_pages(conn, sha))
    return seg, facts.extract(seg, roster_model=row["model"] if row else None, form_fields=fields)


def _cut(datadir: DataDir, sha: str) -> _Cut:
    try:
        seg, found = cut_document(datadir.db, sha)
        block = block_to_read(datadir, sha, seg, found)
        return _Cut(sha, seg, found, block, block is not None and _to_read(block, seg, found))
    except Exception as e:  # a bug on one odd document must not stop the batch
        error = f"segmentation failed: {e!r}"
        return _Cut(sha, Segmentation(None, False, [error], []), [], error=error)


def _store(datadir: DataDir, cut: _Cut, readings, summary: dict, progress: Progress) -> None:
    found, made, cpu = with_block(datadir, cut.sha, cut.seg, cut.found, cut.block, readings)
    summary["block_readings"] += made
    summary["block_cpu_seconds"] = round(summary["block_cpu_seconds"] + cpu, 3)
    with transaction(datadir.db):
        sections.store(datadir.db, cut.sha, cut.seg)
        facts.store(datadir.db, cut.sha, found)
    summary["complete" if cut.seg.complete else "incomplete"] += 1
    progress.advance(complete=int(cut.seg.complete), incomplete=int(not cut.seg.complete))


def read_block_again(datadir: DataDir, sha: str, seg: Segmentation,
                     found: list[facts.Fact]) -> tuple[list[facts.Fact], int, float]:
    """*found* with the signing facts a second reading of the signature block adds, when
    the page's text lacks one and the PDF is at hand; and the block readings made (not
    kept from an earlier cut) and their CPU seconds. Bounded: one page's block, read once,
    and once more only to confirm what the first reading added."""
    block = block_to_read(datadir, sha, seg, found)
    return with_block(datadir, sha, seg, found, block, block and read_blocks(block, seg, found))


def block_to_read(datadir: DataDir, sha: str, seg: Segmentation, found: list[facts.Fact]) -> Block | None:
    """Where the signature block of *sha* is to be read again (None: the page's text has
    every signing fact, there is no signature page, or the PDF is not at hand)."""
    page = signature_page(seg)
    if page is None or not facts.missing_signing(found) or not datadir.blobs.exists(sha):
        return None
    path = datadir.blobs.path(sha)
    try:
        # a page scanned turned is read upright, whole (its word boxes are on the page as stored)
        turn = stored.turned(datadir, sha, page)
        top = None if turn else blocks.text_top(path, page, CLOSING_END,
                                                stored.ocr_words(datadir, sha, [page]).get(page))
    except (DocumentError, OSError):     # the page reading stands; the read stage reports the file
        return None
    top = blocks.block_top(top or 0.0)
    return Block(path, page, top, turn, blocks.kept_block(datadir, sha, page, top, turn=turn),
                 blocks.kept_block(datadir, sha, page, top, psm=blocks.CHECK_PSM, turn=turn))


def _to_read(block: Block, seg: Segmentation, found: list[facts.Fact]) -> bool:
    """Whether reading *block* needs tesseract (a reading not kept is wanted)."""
    return block.first is None or (block.check is None and bool(facts.from_block(seg, found, block.first)))


def read_blocks(block: Block, seg: Segmentation, found: list[facts.Fact]
                ) -> tuple[blocks.BlockReading, blocks.BlockReading | None] | None:
    """The block's first reading and, when that adds a fact, the reading that checks it:
    each kept one as it is, the others read now. None when the PDF no longer opens (the
    page reading stands). Runs in a pool worker; touches no database."""
    try:
        first = block.first or blocks.read_block(block.path, block.page, block.top, turn=block.turn)
        if not facts.from_block(seg, found, first):
            return first, None
        return first, block.check or blocks.read_block(block.path, block.page, block.top,
                                                       psm=blocks.CHECK_PSM, turn=block.turn)
    except (DocumentError, OSError):
        return None


def with_block(datadir: DataDir, sha: str, seg: Segmentation, found: list[facts.Fact], block: Block | None,
               readings) -> tuple[list[facts.Fact], int, float]:
    """*found* with what the block's *readings* (:func:`read_blocks`) add and confirm, the
    readings just made (kept now) and their CPU seconds."""
    if block is None or readings is None:
        return found, 0, 0.0
    first, check = readings
    blocks.keep_block(datadir, sha, first, turn=block.turn)
    if check is None:
        return found, int(not first.kept), first.cpu_seconds
    blocks.keep_block(datadir, sha, check, psm=blocks.CHECK_PSM, turn=block.turn)
    added = facts.from_block(seg, found, first)
    return (found + facts.confirmed(added, check), int(not first.kept) + int(not check.kept),
            first.cpu_seconds + check.cpu_seconds)


class _BlockReaders:
    """Blocks read in a pool of worker processes, in the order given. A worker that dies
    (a PDF that crashes pdfium) breaks every reading queued: each is tried once more in a
    new pool; one that breaks it again keeps the page reading's facts."""

    def __init__(self, workers: int | None, progress: Progress):
        self.workers = workers or os.cpu_count() or 1
        self.progress = progress
        self.pool = None
        self.queue: deque[tuple[_Cut, Future, int]] = deque()
        self.given_up: list[tuple[_Cut, None]] = []     # readings a broken pool took twice
        self.waited = 0.0

    def submit(self, cut: _Cut, tries: int = 0) -> None:
        if self.pool is None:
            self.pool = ocr_pool(self.workers)
        try:
            self.queue.append((cut, self.pool.submit(read_blocks, cut.block, cut.seg, cut.found), tries))
        except BrokenProcessPool:          # a worker died since the last submission
            self._broken([*self.queue, (cut, None, tries)])

    def full(self) -> bool:
        return len(self.queue) >= IN_FLIGHT * self.workers

    def finished(self, wait: bool) -> list[tuple[_Cut, tuple | None]]:
        """The cuts whose readings are done, in order; with *wait*, the first waited for."""
        out, self.given_up = self.given_up, []
        while self.queue and (wait or self.queue[0][1].done()):
            wait = False
            cut, fut, tries = self.queue.popleft()
            t0 = time.monotonic()
            try:
                out.append((cut, fut.result()))
            except BrokenProcessPool:
                self._broken([(cut, fut, tries), *self.queue])
            except Exception as e:  # a bug on one odd block must not stop the batch
                self.progress.note(f"{cut.sha[:12]}: reading its signature block again failed: {e!r}")
                out.append((cut, None))
            self.waited += time.monotonic() - t0
            out, self.given_up = out + self.given_up, []
        return out

    def _broken(self, queued: list[tuple[_Cut, Future | None, int]]) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.pool = None
        self.queue.clear()
        for cut, _, tries in queued:
            if tries:
                self.progress.note(f"{cut.sha[:12]}: reading its signature block stopped a worker "
                                   "process twice; the page's own reading stands")
                self.given_up.append((cut, None))
            else:
                self.submit(cut, tries + 1)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
