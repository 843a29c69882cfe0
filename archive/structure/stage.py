"""The structure stage over an archive: every extracted document not yet cut by this
SEGMENTER_VERSION is segmented (``segmenter``), its facts read (``facts``) and both stored
(``sections.store``, ``facts.store``) in one transaction per document.

When the page's text lacks a signing fact, the signature block alone is read a second
time (archive.read.blocks: the page from the closing sentence down, at 400 dpi); what that
reading adds is kept only where a third reading of the block in another layout mode reads
it alike (``facts.confirmed``), and is stored with its reader.
"""
from __future__ import annotations

import time

from archive.core.errors import DocumentError
from archive.core.progress import NullProgress, Progress
from archive.read import blocks, stored
from archive.structure import facts, sections
from archive.structure.signatures import CLOSING_END, signature_page
from archive.structure.segmenter import Segmentation, segment
from store.datadir import DataDir
from store.db import transaction


def load_pages(conn, sha256: str) -> list[str]:
    """The document's page texts as the read stage stored them, page 1 first."""
    rows = conn.execute("SELECT page, text FROM pages WHERE sha256 = ? ORDER BY page",
                        (sha256,)).fetchall()
    pages = [""] * (max((r["page"] for r in rows), default=0))
    for r in rows:
        pages[r["page"] - 1] = r["text"]
    return pages


def segment_all(datadir: DataDir, *, force: bool = False,
                progress: Progress = NullProgress()) -> dict:
    """Segment every successfully extracted document not yet segmented by this version
    (all of them with *force*), store sections and facts; one transaction per document.
    A document that cannot be cut completely keeps what was found, complete=0."""
    conn = datadir.db
    todo = sections.outdated(conn, force)
    progress.start(len(todo), "documents")
    summary = {"documents": len(todo), "complete": 0, "incomplete": 0, "seconds": 0.0,
               "block_readings": 0, "block_seconds": 0.0, "block_cpu_seconds": 0.0}
    t0 = time.monotonic()
    for sha in todo:
        row = conn.execute("SELECT model FROM documents WHERE sha256 = ?", (sha,)).fetchone()
        fields = [(r["name"], r["value"], r["page"]) for r in conn.execute(
            "SELECT name, value, page FROM form_fields WHERE sha256 = ? ORDER BY page, name", (sha,))]
        try:
            seg = segment(load_pages(conn, sha))
            found = facts.extract(seg, roster_model=row["model"] if row else None, form_fields=fields)
            t1 = time.monotonic()
            found, readings, cpu = read_block_again(datadir, sha, seg, found)
            summary["block_readings"] += readings
            summary["block_cpu_seconds"] = round(summary["block_cpu_seconds"] + cpu, 3)
            summary["block_seconds"] = round(summary["block_seconds"] + time.monotonic() - t1, 3)
        except Exception as e:  # a bug on one odd document must not stop the batch
            progress.note(f"{sha[:12]}: segmentation failed: {e!r}")
            seg, found = Segmentation(None, False, [f"segmentation failed: {e!r}"], []), []
        with transaction(conn):
            sections.store(conn, sha, seg)
            facts.store(conn, sha, found)
        summary["complete" if seg.complete else "incomplete"] += 1
        progress.advance(complete=int(seg.complete), incomplete=int(not seg.complete))
    progress.finish()
    summary["seconds"] = round(time.monotonic() - t0, 2)
    return summary


def read_block_again(datadir: DataDir, sha: str, seg: Segmentation,
                     found: list[facts.Fact]) -> tuple[list[facts.Fact], int, float]:
    """*found* with the signing facts a second reading of the signature block adds, when
    the page's text lacks one and the PDF is at hand; and the block readings made (not
    kept from an earlier cut) and their CPU seconds. Bounded: one page's block, read once,
    and once more only to confirm what the first reading added."""
    page = signature_page(seg)
    if page is None or not facts.missing_signing(found) or not datadir.blobs.exists(sha):
        return found, 0, 0.0
    path = datadir.blobs.path(sha)
    try:
        # a page scanned turned is read upright, whole (its word boxes are on the page as stored)
        turn = stored.turned(datadir, sha, page)
        top = None if turn else blocks.text_top(path, page, CLOSING_END,
                                                stored.ocr_words(datadir, sha, [page]).get(page))
        first = blocks.stored_block(datadir, sha, page, top or 0.0, turn=turn)
        added = facts.from_block(seg, found, first)
        if not added:
            return found, int(not first.kept), first.cpu_seconds
        check = blocks.stored_block(datadir, sha, page, top or 0.0, psm=blocks.CHECK_PSM, turn=turn)
    except (DocumentError, OSError):     # the page reading stands; the read stage reports the file
        return found, 0, 0.0
    return (found + facts.confirmed(added, check), int(not first.kept) + int(not check.kept),
            first.cpu_seconds + check.cpu_seconds)
