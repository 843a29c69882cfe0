"""Read born-digital pages as if they were scans: render a page of a real PDF, degrade the
image the way a scanner does (seeded), and OCR it with the project's own settings
(archive/read/ocr.py). The section cutter must then cut the document as it cuts its text
layer (tests/test_generalisation.py, bench/bench_ocr_sections.py).

What a scan does to a page (issue 15): it is scanned at a lower resolution than we render
at (150-300 dpi), slightly rotated, a little blurred, with sensor noise, sometimes
thresholded to black and white (a fax or a bitonal scanner); pdfium then renders the
embedded image at our DEFAULT_DPI. Each page's degradation is drawn from a generator
seeded by the file's sha256 and the page, so a run is repeatable and a cache of readings stays valid.

OCR costs ~2.7 CPU-s a page: readings are cached by the PDF's sha256, the page, the
degradation's name and tesseract's version, in a directory the caller names.
"""
from __future__ import annotations

import hashlib
import json
import random
import time
from dataclasses import dataclass
from pathlib import Path

import pytesseract
from PIL import Image, ImageChops, ImageFilter

from archive.read import ocr
from archive.read.pdf import open_pdf

PROFILE = "scan-2"      # the degradation below; change the name when it changes
                        # (2: the sensor noise is seeded too, so a page degrades alike every run)


@dataclass(frozen=True)
class Degradation:
    dpi: int                # the scan's resolution
    angle: float            # degrees, counter-clockwise
    blur: float             # Gaussian radius, in pixels of the scan
    noise: float            # sigma of the sensor noise, grey levels
    threshold: int | None   # black and white at this grey level, or kept grey

    @classmethod
    def draw(cls, seed: str) -> "Degradation":
        rng = random.Random(seed)
        return cls(dpi=rng.choice([150, 200, 200, 240, 300]), angle=round(rng.uniform(-1.2, 1.2), 2),
                   blur=round(rng.uniform(0.3, 1.0), 2), noise=round(rng.uniform(6, 22), 1),
                   threshold=rng.choice([None, None, 150, 170]))


# A page scanned so badly that OCR reads only specks (the first pages of issue 15's Live Oak
# agreement): (name, degradation).
RUINED_SCAN = ("ruined-2", Degradation(dpi=90, angle=2.0, blur=1.5, noise=45, threshold=140))


# Standard deviation of the mean of two uniform grey levels (0-255): sqrt((256² - 1) / 24).
_MEAN_OF_TWO_SD = 52.26


def _noise(size: tuple[int, int], sigma: float, rng: random.Random) -> Image.Image:
    """Sensor noise centred on grey 128 with standard deviation *sigma*, drawn from *rng*
    (PIL's effect_noise cannot be seeded): the mean of two uniform images, a bell-shaped
    spread, scaled."""
    n = size[0] * size[1]
    a, b = (Image.frombytes("L", size, rng.randbytes(n)) for _ in range(2))
    k = sigma / _MEAN_OF_TWO_SD
    lut = [max(0, min(255, round(128 + (v - 127.5) * k))) for v in range(256)]
    return ImageChops.add(a, b, scale=2.0).point(lut)


def degrade(image: Image.Image, d: Degradation, seed: str = "") -> Image.Image:
    """A grey rendering (made at *d.dpi*) as the scan would show it at ocr.DEFAULT_DPI;
    its noise drawn from *seed*."""
    img = image.convert("L").rotate(d.angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    img = img.filter(ImageFilter.GaussianBlur(d.blur))
    noise = _noise(img.size, d.noise, random.Random(f"noise:{seed}"))
    img = ImageChops.add(img, noise, scale=1.0, offset=-128)
    if d.threshold is not None:
        img = img.point(lambda v: 255 if v > d.threshold else 0)
    scale = ocr.DEFAULT_DPI / d.dpi
    if scale != 1:
        img = img.resize((round(img.width * scale), round(img.height * scale)), Image.Resampling.BILINEAR)
    return img


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def scan_reading(path: Path, page: int, cache: Path | None = None,
                 fixed: tuple[str, Degradation] | None = None, turn: int = 0) -> dict:
    """Page *page* (1-based) of the PDF at *path* read as a scan: {"text", "degradation",
    "seconds", "cached", "turned"}, degraded as drawn for the page, or as *fixed* (name,
    degradation), and fed turned *turn* degrees counter-clockwise; read as the read stage
    reads a page (ocr.read_upright: a page found turned is read upright, "turned" says by
    how much). With *cache*, a reading made before is reused."""
    ocr.limit_threads()
    version = str(pytesseract.get_tesseract_version()).split()[0]
    sha = _sha(path)
    fed = f"-turn{turn}" if turn else ""
    key = f"{sha[:20]}-p{page}-{fixed[0] if fixed else PROFILE}{fed}-tess{version}-read2.json"
    if cache is not None and (cache / key).exists():
        return {**json.loads((cache / key).read_text()), "cached": True}
    name = fixed[0] if fixed else PROFILE
    d = fixed[1] if fixed else Degradation.draw(f"{sha}:{page}:{PROFILE}")
    t0 = time.process_time()
    w0 = time.perf_counter()
    with open_pdf(path) as pdf:
        image = degrade(pdf.render(page - 1, d.dpi, grey=True), d, f"{sha}:{page}:{name}")
    if turn:
        image = image.rotate(turn, expand=True, fillcolor=255)
    text, _, _, turned = ocr.read_upright(image)
    out = {"sha256": sha, "page": page, "text": text, "degradation": d.__dict__, "turned": turned,
           # tesseract runs in a child process: its CPU time is the wall time's, one thread
           "seconds": round(time.perf_counter() - w0, 2), "render_cpu": round(time.process_time() - t0, 2)}
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        (cache / key).write_text(json.dumps(out))
    return {**out, "cached": False}


def layer_documents(d) -> list[dict]:
    """Every MOA of the archive *d* (a DataDir) that has text-layer pages: name, path (of
    its PDF), pages (texts as stored), readers (each page's), layer (its text-layer pages)."""
    out = []
    for r in d.db.execute("SELECT d.sha256, d.file_name, f.path FROM documents d JOIN files f USING (sha256)"
                          " JOIN extractions e USING (sha256) WHERE d.kind = 'moa' AND e.status = 'ok'"
                          " ORDER BY d.file_name"):
        rows = d.db.execute("SELECT page, text, reader FROM pages WHERE sha256 = ? ORDER BY page",
                            (r["sha256"],)).fetchall()
        layer = [p["page"] for p in rows if (p["reader"] or "").startswith("pdfium")]
        if layer and [p["page"] for p in rows] == list(range(1, len(rows) + 1)):
            out.append({"name": r["file_name"], "path": d.root / r["path"], "pages": [p["text"] for p in rows],
                        "readers": [p["reader"] for p in rows], "layer": layer})
    return out


def as_scanned(pages: list[str], readers: list[str | None], ocr_texts: dict[int, str]) -> list[str]:
    """The document's page texts with every text-layer page (reader from pdfium) that has a
    reading in *ocr_texts* (page -> text) replaced by it; pages read by OCR already stay."""
    return [ocr_texts[n] if n in ocr_texts and (r or "").startswith("pdfium") else p
            for n, (p, r) in enumerate(zip(pages, readers), 1)]
