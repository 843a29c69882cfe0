"""The one wrapper around tesseract: render a page with pypdfium2, read it with pytesseract.

Settings (measured in bench/bench_ocr.py, see README "Reading pages"): grey rendering at
DEFAULT_DPI, LSTM engine, automatic page segmentation. tesseract's own OpenMP threads
make things slower when pages are already read in parallel, so every process that calls
it sets OMP_THREAD_LIMIT=1 (see limit_threads, used by archive/extract.py's workers).

A page that takes longer than the timeout is recorded as status 'timeout', any other
tesseract failure as 'error'; neither stops the document.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass

import pytesseract

from archive.read.pdf import Pdf

DEFAULT_DPI = 200            # same words as 300 dpi on our check, ~1.25x faster
DEFAULT_TIMEOUT = 120.0       # seconds per page
LANG = "eng"
# LSTM engine, automatic layout; no second pass looking for white-on-black text
CONFIG = "--oem 1 --psm 3 -c tessedit_do_invert=0"

OK, TIMEOUT, ERROR = "ok", "timeout", "error"


@dataclass(frozen=True)
class OcrResult:
    page: int                    # 1-based
    status: str                  # ok | timeout | error
    text: str = ""
    confidence: float | None = None   # mean word confidence, 0-100
    error: str | None = None
    seconds: float = 0.0


def limit_threads() -> None:
    """One tesseract thread per process (set before tesseract is started)."""
    os.environ["OMP_THREAD_LIMIT"] = "1"


def ocr_image(image, *, timeout: float = DEFAULT_TIMEOUT) -> tuple[str, float | None]:
    """Text (lines and paragraphs as tesseract found them) and mean word confidence."""
    # pytesseract hands tesseract a temporary file in the image's format (PNG when unset);
    # uncompressed PNM is written 20x faster and reads the same.
    image.format = "PPM"
    data = pytesseract.image_to_data(image, lang=LANG, config=CONFIG, timeout=timeout,
                                     output_type=pytesseract.Output.DICT)
    lines: dict[tuple, list[str]] = {}
    confidences = []
    for i, word in enumerate(data["text"]):
        word = (word or "").strip()
        conf = float(data["conf"][i])
        if not word or conf < 0:
            continue
        confidences.append(conf)
        key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        lines.setdefault(key, []).append(word)
    out, last_par = [], None
    for key, words in lines.items():
        if last_par is not None and key[:2] != last_par:
            out.append("")                        # blank line between paragraphs
        out.append(" ".join(words))
        last_par = key[:2]
    confidence = round(sum(confidences) / len(confidences), 1) if confidences else None
    return "\n".join(out), confidence


def ocr_page(pdf: Pdf, index: int, *, dpi: int = DEFAULT_DPI, grey: bool = True,
             timeout: float = DEFAULT_TIMEOUT) -> OcrResult:
    """OCR page *index* (0-based) of an open PDF. Never raises for tesseract trouble."""
    t0 = time.monotonic()
    try:
        image = pdf.render(index, dpi, grey=grey)
        text, confidence = ocr_image(image, timeout=timeout)
    except RuntimeError as e:
        status = TIMEOUT if "timeout" in str(e).lower() else ERROR
        return OcrResult(index + 1, status, error=f"tesseract: {e}", seconds=time.monotonic() - t0)
    except (pytesseract.TesseractError, OSError, ValueError) as e:
        return OcrResult(index + 1, ERROR, error=f"tesseract: {e}", seconds=time.monotonic() - t0)
    return OcrResult(index + 1, OK, text, confidence, seconds=time.monotonic() - t0)
