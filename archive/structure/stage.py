"""The structure stage over an archive: every extracted document not yet cut by this
SEGMENTER_VERSION is segmented (``segmenter``), its facts read (``facts``) and both stored
(``sections.store``, ``facts.store``) in one transaction per document.
"""
from __future__ import annotations

import time

from archive.core.progress import NullProgress, Progress
from archive.structure import facts, sections
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
    summary = {"documents": len(todo), "complete": 0, "incomplete": 0, "seconds": 0.0}
    t0 = time.monotonic()
    for sha in todo:
        row = conn.execute("SELECT model FROM documents WHERE sha256 = ?", (sha,)).fetchone()
        fields = [(r["name"], r["value"], r["page"]) for r in conn.execute(
            "SELECT name, value, page FROM form_fields WHERE sha256 = ? ORDER BY page, name", (sha,))]
        try:
            seg = segment(load_pages(conn, sha))
            found = facts.extract(seg, roster_model=row["model"] if row else None, form_fields=fields)
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
