"""OCR and text-layer speed: a naive baseline against our extractor, side by side.

    .venv/bin/python bench/bench_ocr.py [--pages 16] [--workers N]

- OCR: a fixed set of image-only corpus pages (the first pages of fully scanned MOAs),
  read twice: the naive way (one page at a time, 300 dpi colour, pytesseract with
  tesseract's default threading) and by our extractor's process pool (archive.extract:
  grey, archive.ocr.DEFAULT_DPI, one tesseract thread per worker). Accuracy is checked on
  born-digital pages, whose text layer is the truth: the share of its words each OCR found.
- Text layer: every page of every corpus PDF through the extractor's text-layer reading
  (pdfium text, shifted-glyph repair, quality judgement).

Prints pages/s for each and the ratio. The machine may be shared: figures are noisy.
"""
from __future__ import annotations

import argparse
import csv
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pytesseract  # noqa: E402

from archive import extract, ocr  # noqa: E402
from archive.pdf import open_pdf  # noqa: E402

SHARED = ROOT.parent / "shared" / "corpus"
FIXTURES = ROOT / "tests" / "fixtures" / "corpus"
TRUTH = [("TexasOfficeAttorneyGeneral_TFM_MOA_01.30.25.pdf", [1, 4, 8])]   # born-digital pages (0-based)


def corpus() -> Path:
    return SHARED if (SHARED / "MANIFEST.csv").is_file() else FIXTURES


def scanned_pages(root: Path, n: int) -> list[tuple[Path, int]]:
    """*n* pages of the fully scanned documents, taken round-robin: page 1 of each, then 2..."""
    with open(root / "MANIFEST.csv", newline="", encoding="utf-8") as f:
        docs = [(root / r["file"], int(r["pages"])) for r in csv.DictReader(f)
                if r["file"].startswith("pdfs/") and r["pages"] and r["image_only_pages"] == r["pages"]]
    out = []
    for i in range(max(count for _, count in docs)):
        out += [(path, i) for path, count in docs if i < count]
    return out[:n]


def naive(pages: list[tuple[Path, int]]) -> list[str]:
    """One page at a time, 300 dpi colour, tesseract's default threading."""
    env_limit = os.environ.pop("OMP_THREAD_LIMIT", None)
    try:
        texts = []
        for path, i in pages:
            with open_pdf(path) as pdf:
                texts.append(pytesseract.image_to_string(pdf.render(i, 300, grey=False)))
        return texts
    finally:
        if env_limit is not None:
            os.environ["OMP_THREAD_LIMIT"] = env_limit


def ours(pages: list[tuple[Path, int]], workers: int | None) -> list[str]:
    """The extractor's pool and settings."""
    with extract.ocr_pool(workers) as pool:
        futures = [pool.submit(extract.ocr_task, str(p), p.name, i, ocr.DEFAULT_DPI, ocr.DEFAULT_TIMEOUT)
                   for p, i in pages]
        return [f.result().text for f in futures]


def words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-z]{3,}", text)}


def recall(pages: list[tuple[Path, int]], texts: list[str]) -> float:
    found = total = 0
    for (path, i), text in zip(pages, texts):
        with open_pdf(path) as pdf:
            truth = words(pdf.page_text(i).text)
        found += len(truth & words(text))
        total += len(truth)
    return found / total


def timed(f, *args):
    t0 = time.perf_counter()
    result = f(*args)
    return result, time.perf_counter() - t0


def text_layer_rate(root: Path) -> tuple[int, float, float]:
    """Pages, wall seconds and CPU seconds to read every corpus page's text layer."""
    t0, c0 = time.perf_counter(), time.process_time()
    n = 0
    for path in sorted((root / "pdfs").glob("*.pdf")):
        reading = extract._read_text_layers(extract._Job(path.name, path))
        n += len(reading.judgements)
    return n, time.perf_counter() - t0, time.process_time() - c0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=16, help="image-only pages to OCR")
    ap.add_argument("--workers", type=int, default=None, help="pool size (default: all cores)")
    ap.add_argument("--text-only", action="store_true", help="only the text-layer figure")
    args = ap.parse_args()
    root = corpus()
    if not args.text_only:
        ocr_figures(root, args)
    n, s, cpu = text_layer_rate(root)
    print(f"text layer (pdfium + judgement, 1 process): {n / s:.0f} pages/s ({n} pages, {s:.2f} s; "
          f"{n / cpu:.0f} pages per CPU-second)")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


def ocr_figures(root: Path, args) -> None:
    pages = scanned_pages(root, args.pages)
    truth = [(FIXTURES / "pdfs" / name, i) for name, idx in TRUTH for i in idx]
    print(f"corpus {root}; {len(pages)} image-only pages from "
          f"{len({p for p, _ in pages})} documents; {os.cpu_count()} cores; "
          f"ours: grey {ocr.DEFAULT_DPI} dpi, {ocr.CONFIG!r}, workers {args.workers or os.cpu_count()}")

    base_texts, base_s = timed(naive, pages)
    our_texts, our_s = timed(ours, pages, args.workers)
    base_rate, our_rate = len(pages) / base_s, len(pages) / our_s
    print(f"OCR naive (300 dpi colour, default threads, serial): {base_rate:.2f} pages/s ({base_s:.1f} s)")
    print(f"OCR ours  (pool):                                   {our_rate:.2f} pages/s ({our_s:.1f} s)")
    print(f"ratio ours/naive: {our_rate / base_rate:.1f}x")
    naive_words, our_words = set().union(*map(words, base_texts)), set().union(*map(words, our_texts))
    agree = len(naive_words & our_words) / max(1, len(naive_words))
    print(f"scanned pages: {agree:.1%} of the naive run's distinct words also found by ours")
    print(f"accuracy on born-digital pages (share of text-layer words found): "
          f"naive {recall(truth, naive(truth)):.1%}, ours {recall(truth, ours(truth, args.workers)):.1%}")


if __name__ == "__main__":
    main()
