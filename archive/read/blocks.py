"""A second, targeted reading of one region of a page: the signature block.

The page reading (archive.read.extract) OCRs a whole page at 300 dpi with automatic
layout. On a signature page that reading can miss what a closer look gets: values typed
or stamped beside their labels, names under the signature lines, columns that automatic
layout reads apart. So the structure stage, when a signing fact is missing from the
page's text, asks for the block alone: the page from a given height down, rendered at
BLOCK_DPI and read by tesseract as one uniform block of text (psm 6), which keeps the
two columns of a line on one line ("Date: 3/3/2025 Date: March 5, 2025"). What that
reading adds is confirmed by reading the same region once more as one column (psm 4):
two layouts seldom misread a scrawl or a crossed-out name alike. Where tesseract saw each
word of the first reading is kept with it (:data:`archive.read.ocr.Word`, in BOX_UNITS of
the region): a value typed alone on its line is placed in its column by where it stands.

Cost: one render and one tesseract run of the lower part of one page per document that
asks, and a second run only when the first added something (bench/bench_sections.py
prints it beside a whole-page reading). Readings are kept (``block_readings``,
:func:`kept_block`, :func:`keep_block`): a document cut again reads no block twice.
"""
from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import pytesseract

from archive.read.ocr import BOX_UNITS, DEFAULT_TIMEOUT, Word, is_blank, limit_threads, read_image, upright
from archive.read.pdf import open_pdf
from archive.read.stored import decode_words, encode_words
from store.db import transaction, utc_now

BLOCK_DPI = 400
BLOCK_PSM = 6          # one uniform block: a line's two columns stay on one line
CHECK_PSM = 4          # one column of lines of varying sizes: a second, independent layout
READER = f"tesseract {BLOCK_DPI} dpi, signature block"


@dataclass(frozen=True)
class BlockReading:
    page: int              # 1-based
    top: float             # where on the page the region begins (0 top, 1 bottom)
    text: str              # lines as tesseract read them ("" when nothing was read)
    reader: str            # READER
    cpu_seconds: float     # this process's and tesseract's CPU time (0 for a kept reading)
    failed: bool = False   # tesseract failed: the empty text is no reading (and is not kept)
    kept: bool = False     # given from block_readings, not read now
    words: tuple[Word, ...] = ()   # where each word of *text* is in the region (line: its line of *text*)


def text_top(path: Path | str, page: int, pattern: re.Pattern, words=None) -> float | None:
    """How far down page *page* (1-based; 0 top, 1 bottom) the last line matching
    *pattern* begins: from tesseract's word boxes (*words*, archive.read.ocr.Word, for an
    OCR'd page), else from the page's text layer. None when no line matches."""
    if words:
        lines: dict[int, list] = {}
        for text, _left, top, _w, _h, line in words:
            lines.setdefault(line, []).append((text, top))
        tops = [min(t for _, t in ws) for _, ws in sorted(lines.items())
                if pattern.search(" ".join(w for w, _ in ws))]
        return tops[-1] / BOX_UNITS if tops else None
    with open_pdf(Path(path)) as pdf:
        return pdf.line_top(page - 1, pattern)


def read_block(path: Path | str, page: int, top: float = 0.0, *, psm: int = BLOCK_PSM,
               dpi: int = BLOCK_DPI, timeout: float = DEFAULT_TIMEOUT, turn: int = 0) -> BlockReading:
    """Page *page* (1-based) of the PDF at *path* from *top* down, read by tesseract at
    *dpi* in page segmentation mode *psm* (BLOCK_PSM: as one block of text; CHECK_PSM:
    as a column, the reading that confirms what the first one found). A page scanned
    turned is first turned *turn* degrees clockwise (the page reading's, ocr.turned_by),
    *top* measured on the page upright. Tesseract trouble
    gives an empty reading, never an error: a second reading is a bonus, the page's own
    reading stands without it."""
    limit_threads()        # tesseract's own threads only slow it (archive.read.ocr)
    t0 = time.process_time()
    children = _children_cpu()
    text, words, failed = "", (), False
    with open_pdf(Path(path)) as pdf:
        image = pdf.render(page - 1, dpi)
    image = upright(image, turn)
    image = image.crop((0, int(max(0.0, min(top, 1.0)) * image.height), image.width, image.height))
    if image.height > 8 and not is_blank(image):
        try:
            text, _, words = read_image(image, timeout=timeout, config=f"--oem 1 --psm {psm}")
        except (RuntimeError, pytesseract.TesseractError, OSError, ValueError):
            text, failed = "", True
    text = "\n".join(ln for ln in text.splitlines() if ln)     # (a word's line counts these lines)
    cpu = time.process_time() - t0 + _children_cpu() - children
    reader = READER if psm == BLOCK_PSM else f"{READER} (psm {psm})"
    return BlockReading(page, top, text, reader, round(cpu, 3), failed, words=words)


def block_top(top: float) -> float:
    """*top* as regions are kept: within the page, to four places."""
    return round(max(0.0, min(top, 1.0)), 4)


def kept_block(datadir, sha: str, page: int, top: float = 0.0, *, psm: int = BLOCK_PSM,
               dpi: int = BLOCK_DPI, turn: int = 0) -> BlockReading | None:
    """The reading of that region of document *sha* made before in the same way, from
    ``block_readings`` (``kept``: no tesseract now); None when there is none, or when a
    first reading was kept without its words' places (made before they were kept)."""
    top = block_top(top)
    row = datadir.db.execute("SELECT text, reader, words FROM block_readings WHERE sha256 = ? AND page = ?"
                             " AND top = ? AND psm = ? AND dpi = ? AND turn = ?",
                             (sha, page, top, psm, dpi, turn)).fetchone()
    if row is None or (psm == BLOCK_PSM and row["words"] is None):
        return None
    return BlockReading(page, top, row["text"], row["reader"], 0.0, kept=True, words=decode_words(row["words"]))


def keep_block(datadir, sha: str, reading: BlockReading, *, psm: int = BLOCK_PSM,
               dpi: int = BLOCK_DPI, turn: int = 0) -> None:
    """Store a reading just made of document *sha* (not one kept already, nor one tesseract
    failed on), so that the document cut again reads it from the archive."""
    if reading.kept or reading.failed:
        return
    with transaction(datadir.db):
        datadir.db.execute(
            "INSERT OR REPLACE INTO block_readings(sha256, page, top, psm, dpi, turn, text, reader,"
            " cpu_seconds, read_at, words) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (sha, reading.page, block_top(reading.top), psm, dpi, turn, reading.text, reading.reader,
             reading.cpu_seconds, utc_now(), encode_words(reading.words) or "[]"))


def _children_cpu() -> float:
    t = os.times()
    return t.children_user + t.children_system
