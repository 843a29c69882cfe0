"""The one wrapper around tesseract: render a page with pypdfium2, read it with pytesseract.

Settings (measured in bench/bench_ocr.py, see README "Reading pages"): grey rendering at
DEFAULT_DPI, LSTM engine, automatic page segmentation. tesseract's own OpenMP threads
make things slower when pages are already read in parallel, so every process that calls
it sets OMP_THREAD_LIMIT=1 (see limit_threads, used by archive/extract.py's workers).

A page that takes longer than the timeout is recorded as status 'timeout', any other
tesseract failure as 'error'; neither stops the document (it is 'partial', and the next
run reads those pages again). A page with no ink (no page objects, or hardly a dark pixel
once rendered) is not given to tesseract: its reader is ``blank``.

Each reading keeps where tesseract saw its words (:data:`Word`), in the order of the
text, so that a search hit on a scanned page can be boxed on the page image.

A page scanned sideways or upside down reads as nonsense (low confidence): a reading whose
mean word confidence is under TURN_BELOW is checked by tesseract's orientation detection
(OSD, ``--psm 0``), and when that says the page is turned, the page is read again turned
upright, both within what is left of the page's timeout; the upright reading is kept when
it is surer by TURN_GAIN (its reader says "turned 180°"; its word boxes are given on the
page as it is stored, not as turned).
"""
from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass

import pytesseract
from PIL import Image

from archive.core.errors import ToolMissing
from archive.read.pdf import Pdf

DEFAULT_DPI = 300            # 200 dpi lost 3% of a 300 dpi reading's words (issue 14)
DEFAULT_TIMEOUT = 120.0       # seconds per page
LANG = "eng"
OSD = "osd"                   # tesseract's orientation and script detection data
# LSTM engine, automatic layout, and tesseract's own second look at lines that may be
# white on black (turning it off lost words of the plain reading and saved no time: README)
CONFIG = "--oem 1 --psm 3"

OK, TIMEOUT, ERROR = "ok", "timeout", "error"
BLANK = "blank"              # reader of a page with no ink: no OCR was run
# A page is blank when fewer than this share of its pixels are dark (a speck of dust
# on a scan is ~1e-6 of a page; one printed digit at 300 dpi is ~3e-5)
BLANK_INK_SHARE = 5e-6
DARK = 160                   # grey level under which a pixel counts as ink


# One word as tesseract read it: (text, left, top, width, height, line), the box in
# BOX_UNITS of the rendered page's width and height (so it holds for any rendering of
# the page), line the 0-based number of its line in the page's text.
Word = tuple[str, int, int, int, int, int]
BOX_UNITS = 10_000

# A page read with a mean word confidence under this is checked for being turned. Every
# OCR'd page of the corpus reads at 70 or more (301 of 313 at 90+); a page turned 90, 180
# or 270 degrees reads at about 37.
TURN_BELOW = 60.0
TURN_GAIN = 10.0     # the upright reading is kept when its confidence is this much higher
TURNS = (90, 180, 270)


def reader_name(dpi: int, turned: int = 0) -> str:
    """"tesseract 300 dpi", or "tesseract 300 dpi, turned 180°" for a page read turned
    upright by *turned* degrees clockwise."""
    return f"tesseract {dpi} dpi" + (f", turned {turned}°" if turned else "")


_TURNED_RE = re.compile(r", turned (\d+)°")


def turned_by(reader: str | None) -> int:
    """The degrees (clockwise) a page was turned to be read, from its reader's name; 0."""
    m = _TURNED_RE.search(reader or "")
    return int(m.group(1)) if m else 0


@dataclass(frozen=True)
class OcrResult:
    page: int                    # 1-based
    status: str                  # ok | timeout | error
    text: str = ""
    confidence: float | None = None   # mean word confidence, 0-100
    error: str | None = None
    seconds: float = 0.0
    reader: str | None = None         # "tesseract 300 dpi", or "blank" (no ink: not OCR'd)
    words: tuple[Word, ...] = ()      # where each word of *text* is on the page, in text order


INSTALL = ("install it with `apt-get install tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd` "
           "(or run ./go, which installs what is missing)")


def check_tesseract() -> str:
    """Make sure tesseract runs and reads English before any page is read; return its
    version. Raises ToolMissing (the run stops) with what to install."""
    try:
        version = str(pytesseract.get_tesseract_version())
    except pytesseract.TesseractNotFoundError as e:
        raise ToolMissing(f"tesseract (the OCR engine) was not found on PATH; {INSTALL}") from e
    except (pytesseract.TesseractError, OSError, ValueError, RuntimeError) as e:
        raise ToolMissing(f"tesseract does not run ({type(e).__name__}: {e}); {INSTALL}") from e
    try:
        languages = pytesseract.get_languages(config="")
    except (pytesseract.TesseractError, OSError, ValueError, RuntimeError) as e:
        raise ToolMissing(f"tesseract {version} cannot list its languages ({e}); {INSTALL}") from e
    for need, what in ((LANG, "English data"), (OSD, "orientation data (for pages scanned turned)")):
        if need not in languages:
            raise ToolMissing(f"tesseract {version} has no {what} ({need}.traineddata; it has: "
                              f"{', '.join(languages) or 'none'}); {INSTALL}")
    try:   # one tiny real reading: a binary that starts but cannot OCR is caught here
        ocr_image(Image.new("L", (64, 32), 255), timeout=60)
    except (pytesseract.TesseractError, OSError, ValueError, RuntimeError) as e:
        raise ToolMissing(f"tesseract {version} fails to read an image ({type(e).__name__}: "
                          f"{e}); {INSTALL}") from e
    return version


def limit_threads() -> None:
    """One tesseract thread per process (set before tesseract is started)."""
    os.environ["OMP_THREAD_LIMIT"] = "1"


def is_blank(image) -> bool:
    """No ink on the rendered page (a grey or colour PIL image)."""
    grey = image if image.mode == "L" else image.convert("L")
    histogram = grey.histogram()
    dark = sum(histogram[:DARK])
    return dark <= BLANK_INK_SHARE * grey.width * grey.height


def ocr_image(image, *, timeout: float = DEFAULT_TIMEOUT) -> tuple[str, float | None]:
    """Text (lines and paragraphs as tesseract found them) and mean word confidence."""
    text, confidence, _ = read_image(image, timeout=timeout)
    return text, confidence


def read_image(image, *, timeout: float = DEFAULT_TIMEOUT, config: str = CONFIG
               ) -> tuple[str, float | None, tuple[Word, ...]]:
    """:func:`ocr_image` with where each word of the text is on the image (:data:`Word`);
    *config*, tesseract's options (another layout mode, for a region of a page)."""
    # pytesseract hands tesseract a temporary file in the image's format (PNG when unset);
    # uncompressed PNM is written 20x faster and reads the same.
    image.format = "PPM"
    data = pytesseract.image_to_data(image, lang=LANG, config=config, timeout=timeout,
                                     output_type=pytesseract.Output.DICT)
    width, height = max(image.width, 1), max(image.height, 1)
    lines: dict[tuple, list[tuple[str, tuple[int, int, int, int]]]] = {}
    confidences = []
    for i, word in enumerate(data["text"]):
        word = (word or "").strip()
        conf = float(data["conf"][i])
        if not word or conf < 0:
            continue
        confidences.append(conf)
        key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        box = (round(data["left"][i] * BOX_UNITS / width), round(data["top"][i] * BOX_UNITS / height),
               round(data["width"][i] * BOX_UNITS / width), round(data["height"][i] * BOX_UNITS / height))
        lines.setdefault(key, []).append((word, box))
    out, words, last_par = [], [], None
    for n, (key, line) in enumerate(lines.items()):
        if last_par is not None and key[:2] != last_par:
            out.append("")                        # blank line between paragraphs
        out.append(" ".join(w for w, _ in line))
        words.extend((w, *box, n) for w, box in line)
        last_par = key[:2]
    confidence = round(sum(confidences) / len(confidences), 1) if confidences else None
    return "\n".join(out), confidence, tuple(words)


def ocr_page(pdf: Pdf, index: int, *, dpi: int = DEFAULT_DPI, grey: bool = True,
             timeout: float = DEFAULT_TIMEOUT, max_pixels: int | None = None) -> OcrResult:
    """OCR page *index* (0-based) of an open PDF. Never raises for tesseract trouble; a
    page over *max_pixels* once rendered raises DocumentError (archive.read.pdf)."""
    t0 = time.monotonic()
    try:
        if pdf.is_empty(index):
            return OcrResult(index + 1, OK, "", None, seconds=time.monotonic() - t0, reader=BLANK)
        image = pdf.render(index, dpi, grey=grey, max_pixels=max_pixels)
        if is_blank(image):
            return OcrResult(index + 1, OK, "", None, seconds=time.monotonic() - t0, reader=BLANK)
        text, confidence, words, turned = read_upright(image, timeout=timeout)
    except RuntimeError as e:
        status = TIMEOUT if "timeout" in str(e).lower() else ERROR
        return OcrResult(index + 1, status, error=f"tesseract: {e}", seconds=time.monotonic() - t0)
    except (pytesseract.TesseractError, OSError, ValueError) as e:
        return OcrResult(index + 1, ERROR, error=f"tesseract: {e}", seconds=time.monotonic() - t0)
    return OcrResult(index + 1, OK, text, confidence, seconds=time.monotonic() - t0,
                     reader=reader_name(dpi, turned), words=words)


def orientation(image, *, timeout: float = DEFAULT_TIMEOUT) -> int:
    """How many degrees clockwise the page in *image* must be turned to stand upright, as
    tesseract's OSD finds it: 0, 90, 180 or 270 (0 when OSD finds too little text)."""
    image.format = "PPM"
    try:
        osd = pytesseract.image_to_osd(image, lang=OSD, timeout=timeout, output_type=pytesseract.Output.DICT)
    except pytesseract.TesseractError:
        return 0                     # "Too few characters": nothing to decide by
    return int(osd.get("rotate", 0)) % 360


def read_upright(image, *, timeout: float = DEFAULT_TIMEOUT) -> tuple[str, float | None, tuple[Word, ...], int]:
    """:func:`read_image`'s reading of a page image, or, when it is unsure (TURN_BELOW)
    and OSD finds the page turned, the reading of the page turned upright if that is surer
    by TURN_GAIN: (text, confidence, words with their boxes on *image* as it is, degrees
    the page was turned clockwise to be read). The check and the second reading have what
    is left of *timeout*; when it runs out, the unsure reading stands."""
    deadline = time.monotonic() + timeout
    reading = read_image(image, timeout=timeout)
    if reading[1] is None or reading[1] >= TURN_BELOW:
        return (*reading, 0)
    try:
        turn = orientation(image, timeout=_left(deadline))
        if turn not in TURNS:
            return (*reading, 0)
        text, confidence, words = read_image(upright(image, turn), timeout=_left(deadline))
    except RuntimeError:                  # pytesseract's timeout: no time left to turn
        return (*reading, 0)
    if confidence is None or confidence < reading[1] + TURN_GAIN:
        return (*reading, 0)
    return text, confidence, tuple(unturn(w, turn) for w in words), turn


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise RuntimeError("Tesseract process timeout")
    return left


def upright(image, turn: int):
    """*image* of a page fed turned, turned *turn* degrees clockwise to stand upright."""
    return image.rotate(-turn, expand=True) if turn else image    # PIL turns counter-clockwise


def unturn(word: Word, turn: int) -> Word:
    """A word's box on a page read turned clockwise by *turn* degrees, given back on the
    page as it is (both in BOX_UNITS of their own width and height)."""
    text, left, top, width, height, line = word
    u = BOX_UNITS
    if turn == 90:       # the page's left edge became the top
        return text, top, u - left - width, height, width, line
    if turn == 180:
        return text, u - left - width, u - top - height, width, height, line
    if turn == 270:      # the page's right edge became the top
        return text, u - top - height, left, height, width, line
    return word
