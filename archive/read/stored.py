"""What this stage stored, for cheap reads that need no page text (the whole reading of
a document is ``extract.read_document``)."""
from __future__ import annotations

import json

from archive.read.ocr import turned_by


def page_count(datadir, sha: str) -> int:
    """Pages of document *sha* as read (0 when it has not been read yet)."""
    conn = datadir.db
    row = conn.execute("SELECT page_count FROM extractions WHERE sha256 = ?", (sha,)).fetchone()
    if row and row["page_count"]:
        return row["page_count"]
    return conn.execute("SELECT COUNT(*) FROM pages WHERE sha256 = ?", (sha,)).fetchone()[0]


def page_counts(datadir) -> dict[str, int]:
    """sha256 -> pages, for every document read."""
    return {r[0]: r[1] for r in datadir.db.execute(
        "SELECT sha256, page_count FROM extractions WHERE page_count IS NOT NULL")}


def page_totals(datadir) -> dict[str, int]:
    """Pages stored, and how many of them were read (wholly or partly) by OCR."""
    row = datadir.db.execute("SELECT COUNT(*), COALESCE(SUM(method != 'text'), 0) FROM pages").fetchone()
    return {"pages": row[0], "ocr_pages": row[1]}


def ocr_words(datadir, sha: str, pages) -> dict[int, list[tuple]]:
    """page -> where tesseract read each word of it (archive.read.ocr.Word tuples), for
    those of *pages* that were OCR'd and have their boxes stored."""
    pages = list(pages)
    if not pages:
        return {}
    rows = datadir.db.execute(
        f"SELECT page, words FROM ocr_words WHERE sha256 = ? AND page IN ({','.join('?' * len(pages))})",
        (sha, *pages))
    return {r["page"]: list(decode_words(r["words"])) for r in rows}


def turned(datadir, sha: str, page: int) -> int:
    """Degrees (clockwise) page *page* of *sha* was turned to be read upright by OCR; 0."""
    row = datadir.db.execute("SELECT reader FROM pages WHERE sha256 = ? AND page = ?", (sha, page)).fetchone()
    return turned_by(row["reader"]) if row else 0


def encode_words(words) -> str | None:
    """Word boxes (archive.read.ocr.Word tuples) as they are stored: compact JSON, or None
    for no words."""
    return json.dumps(words, ensure_ascii=False, separators=(",", ":")) if words else None


def decode_words(stored: str | None) -> tuple:
    """The stored JSON of word boxes back as tuples (empty for None or "[]")."""
    return tuple(tuple(w) for w in json.loads(stored)) if stored else ()
