"""OCR and text-layer speed: a naive baseline, OCRmyPDF and our extractor, side by side.

    .venv/bin/python bench/bench_ocr.py [--pages 16] [--workers N] [--floor-pages N]
    .venv/bin/python bench/bench_ocr.py --text-only [--before TREE]
    .venv/bin/python bench/bench_ocr.py --all-scanned ARCHIVE [--workers N] [--limit N]
    .venv/bin/python bench/bench_ocr.py --turned [--pages 12] [--workers N]
    (OCRmyPDF is compared when installed: .venv/bin/pip install -e '.[bench]')

- OCR: a fixed set of image-only corpus pages (pages of fully scanned MOAs), read by
  - naive: one page at a time, 300 dpi colour, pytesseract with tesseract's default threading;
  - OCRmyPDF --skip-text -j N on a PDF of the same pages (its own rendering and pool);
  - ours: the extractor's process pool (archive.read.extract: grey, one tesseract thread per
    worker), at 300 dpi (the default) and 200 dpi;
  - and, for words only, the reference: tesseract with its defaults on 300 dpi grey pages.
  A table prints each reading's pages/s, its share of the engine's ceiling and the share
  of the reference's distinct words it found, side by side.
- Engine floor: tesseract alone on pre-rendered pages, serial, one thread: CPU-seconds
  per page for grey/colour at 200/300 dpi. With N cores no pool can beat N / floor
  pages/s; ours is shown as a share of that ceiling.
- Accuracy on born-digital pages, whose text layer is the truth: the share of its words
  each OCR found.
- Text layer: every page of every corpus PDF through the extractor's text-layer reading
  (pdfium text, shifted-glyph repair, quality judgement, form fields) in its pool, and in
  one process.

- --all-scanned ARCHIVE: every page the archive (a data directory that read the corpus,
  e.g. a copy of the processed corpus archive) OCR'd, or judged blank, its stored OCR text
  against a plain 300 dpi grey tesseract reading of the same page made now (pypdfium2
  render, tesseract with its defaults, one thread per worker): the share of the plain
  reading's distinct words ours holds, per page (pooled) and over the corpus, with the
  worst pages; beside it the plain reading's pages/s and CPU-seconds per page (tesseract
  alone: the engine's floor at those settings) and ours as the archive recorded it.
  Progress and ETA on stderr.
- --turned: the same image-only pages fed turned (90, 180, 270 degrees in turn, as a
  scanner fed them): ours upright and turned, side by side, in pages/s and CPU-s per page
  (the price of finding a page turned and reading it again), the pages read turned, and
  the share of the upright reading's words each finds; beside it the plain reading of the
  turned pages (tesseract alone, no orientation check), the engine floor on the upright
  pages, and OCRmyPDF --rotate-pages when installed.

Prints pages/s for each and the ratios. The machine may be shared: figures are noisy.
"""
from __future__ import annotations

import argparse
import csv
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pypdf  # noqa: E402
import pypdfium2 as pdfium  # noqa: E402
import pytesseract  # noqa: E402

from archive.read import extract, ocr  # noqa: E402
from archive.read.pdf import open_pdf  # noqa: E402

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


def ours(pages: list[tuple[Path, int]], workers: int | None, dpi: int = ocr.DEFAULT_DPI) -> list[str]:
    """The extractor's pool and settings (the pool's start-up is counted)."""
    return [r.text for r in ours_results(pages, workers, dpi)]


def ours_results(pages: list[tuple[Path, int]], workers: int | None,
                 dpi: int = ocr.DEFAULT_DPI) -> list[ocr.OcrResult]:
    with extract.ocr_pool(workers) as pool:
        futures = [pool.submit(extract.ocr_task, str(p), p.name, i, dpi, ocr.DEFAULT_TIMEOUT)
                   for p, i in pages]
        return [f.result() for f in futures]


TURNS = (90, 180, 270)


def turned_pdf(pages: list[tuple[Path, int]], out: Path) -> list[tuple[Path, int]]:
    """A PDF of *pages*, each turned clockwise by the next of TURNS (rendered turned, as a
    page fed turned is scanned); its pages."""
    writer = pypdf.PdfWriter()
    for k, (path, i) in enumerate(pages):
        page = writer.add_page(pypdf.PdfReader(path).pages[i])
        page.rotate(TURNS[k % len(TURNS)])
    writer.write(out)
    return [(out, k) for k in range(len(pages))]


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def turned_figures(root: Path, args, tmp: Path) -> None:
    workers = args.workers or os.cpu_count() or 1
    pages = scanned_pages(root, args.pages)
    turned = turned_pdf(pages, tmp / "turned.pdf")
    print(f"corpus {root}; {len(pages)} image-only pages from {len({p for p, _ in pages})} documents, "
          f"fed turned {', '.join(map(str, TURNS))} degrees in turn; {workers} workers")
    floor = engine_floor(pages, ocr.DEFAULT_DPI, True, tmp)
    rows = {}
    for key, which in (("ours, upright", pages), ("ours, turned", turned)):
        c0 = children_cpu()
        results, s = timed(ours_results, which, args.workers)
        rows[key] = ([r.text for r in results], len(which) / s, (children_cpu() - c0) / len(which),
                     sum(ocr.turned_by(r.reader) != 0 for r in results))
    c0 = children_cpu()
    plain_turned, s = timed(plain, turned, tmp)
    rows["plain, turned (no check)"] = (plain_turned, len(turned) / s, (children_cpu() - c0) / len(turned), 0)
    other = ocrmypdf(turned, workers, tmp, ["--rotate-pages"])
    if other is not None:
        texts, s = other
        rows["OCRmyPDF --rotate-pages"] = (texts, len(turned) / s, None, None)
    upright = [words(t) for t in rows["ours, upright"][0]]
    print(f"engine floor, tesseract alone, upright pages, {ocr.DEFAULT_DPI} dpi grey: {floor:.2f} CPU-s/page")
    print(f"\n{'reading':<28} {'pages/s':>8} {'CPU-s/page':>11} {'read turned':>12} {'words of upright':>17}")
    for key, (texts, rate, cpu_page, turned_n) in rows.items():
        share = sum(len(u & words(t)) for u, t in zip(upright, texts)) / max(1, sum(map(len, upright)))
        print(f"{key:<28} {rate:>8.2f} {'' if cpu_page is None else f'{cpu_page:.2f}':>11} "
              f"{'' if turned_n is None else f'{turned_n}/{len(turned)}':>12} {share:>17.1%}")
    up, tu = rows["ours, upright"], rows["ours, turned"]
    print(f"\nturned/upright: {tu[2] / up[2]:.2f}x the CPU per page, {up[1] / tu[1]:.2f}x the time; "
          f"upright over the floor: {up[2] / floor:.2f}x")
    print(f"load average after the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


def ocrmypdf(pages: list[tuple[Path, int]], workers: int, tmp: Path,
             options: list[str] = ()) -> tuple[list[str], float] | None:
    """OCRmyPDF --skip-text (and *options*) on a PDF of the same pages: (texts, seconds),
    or None when it is not installed."""
    exe = shutil.which("ocrmypdf") or shutil.which("ocrmypdf", path=str(Path(sys.executable).parent))
    if exe is None:
        return None
    writer = pypdf.PdfWriter()
    for path, i in pages:
        writer.add_page(pypdf.PdfReader(path).pages[i])
    source, sidecar = tmp / "pages.pdf", tmp / "sidecar.txt"
    writer.write(source)
    t0 = time.perf_counter()
    subprocess.run([exe, "--skip-text", *options, "-j", str(workers), "--output-type", "pdf", "-q",
                    "--sidecar", str(sidecar), str(source), str(tmp / "out.pdf")], check=True)
    seconds = time.perf_counter() - t0
    return sidecar.read_text(encoding="utf-8").split("\f"), seconds


def engine_floor(pages: list[tuple[Path, int]], dpi: int, grey: bool, tmp: Path) -> float:
    """CPU-seconds per page of tesseract alone (our settings, one thread, pages rendered
    beforehand): the least any pool pays per page."""
    files = []
    for k, (path, i) in enumerate(pages):
        with open_pdf(path) as pdf:
            image = pdf.render(i, dpi, grey=grey)
        files.append(tmp / f"p{k}.{'pgm' if grey else 'ppm'}")
        image.save(files[-1])
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    for f in files:
        subprocess.run(["tesseract", str(f), "stdout", "-l", ocr.LANG, *ocr.CONFIG.split()],
                       env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu / len(files)


def plain(pages: list[tuple[Path, int]], tmp: Path) -> list[str]:
    """The reference reading: tesseract with its defaults on each page rendered at 300 dpi
    grey (what "a plain 300 dpi reading" finds), one page at a time, one thread."""
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    texts = []
    for k, (path, i) in enumerate(pages):
        with open_pdf(path) as pdf:
            image = pdf.render(i, 300, grey=True)
        f = tmp / f"plain{k}.pgm"
        image.save(f)
        texts.append(subprocess.run(["tesseract", str(f), "stdout", "-l", ocr.LANG], env=env, check=True,
                                    capture_output=True, text=True).stdout)
    return texts


def plain_page(path: str, index: int) -> tuple[str, float, float]:
    """In a worker: the plain reading of one page (pypdfium2 at 300 dpi grey, tesseract
    with its defaults); its text, the CPU-seconds of tesseract, and of rendering."""
    t0 = time.process_time()
    with open_pdf(path) as pdf, tempfile.TemporaryDirectory(prefix="bench-plain-") as tmp:
        image = pdf.render(index, 300, grey=True)
        f = Path(tmp) / "page.pgm"
        image.save(f)
        render = time.process_time() - t0
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        text = subprocess.run(["tesseract", str(f), "stdout", "-l", ocr.LANG], check=True,
                              capture_output=True, text=True).stdout
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return text, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, render


def stored_ocr_pages(archive: Path, root: Path) -> tuple[list[tuple[Path, "extract.PageRecord", float]], set]:
    """Every page the archive gave to OCR (status ok; read, or judged blank), with the
    seconds per OCR'd page its document spent (the build's figure, under its load); and
    the extractor versions that read them."""
    from store.datadir import DataDir
    d = DataDir(archive, readonly=True)
    out, versions = [], set()
    try:
        for path in sorted((root / "pdfs").glob("*.pdf")):
            doc = extract.read_document(d, path.name)
            pages = [p for p in doc.pages if p.ocr_status == ocr.OK]
            per_page = doc.seconds / len(pages) if pages else 0.0
            out += [(path, p, per_page) for p in pages]
            versions.add(doc.extractor_version)
    finally:
        d.close()
    return out, versions


def all_scanned(archive: Path, root: Path, workers: int, limit: int | None) -> None:
    """Our stored OCR text of every scanned page against a plain 300 dpi grey reading."""
    from archive.core.progress import StderrProgress
    pages = stored_ocr_pages(archive, root)[0][:limit]
    print(f"corpus {root}; archive {archive}; {len(pages)} pages OCR'd (or judged blank) in "
          f"{len({p for p, _, _ in pages})} documents; plain reading in a pool of {workers}")
    progress = StderrProgress("plain 300 dpi readings")
    progress.start(len(pages), "pages")
    t0 = time.perf_counter()
    with extract.ocr_pool(workers) as pool:
        futures = [pool.submit(plain_page, str(path), p.page - 1) for path, p, _ in pages]
        results = []
        for f in futures:
            results.append(f.result())
            progress.advance(1)
    wall = time.perf_counter() - t0
    progress.finish()
    # ours as stored now (an extraction may have been finishing while the plain readings ran)
    stored, versions = stored_ocr_pages(archive, root)
    stored = {(path, p.page): (p, seconds) for path, p, seconds in stored}
    pages = [(path, *stored[path, p.page]) for path, p, _ in pages]
    if versions != {extract.EXTRACTOR_VERSION}:
        print(f"WARNING: the archive was read by extractor version(s) {sorted(versions)}, not "
              f"{extract.EXTRACTOR_VERSION} (this code's): run `moa extract` on it first")
    found = total = 0
    ours_all, plain_all, rows = set(), set(), []
    for (path, p, _), (text, _, _) in zip(pages, results):
        ref, mine = words(text), words(p.ocr_text or "")
        found += len(ref & mine)
        total += len(ref)
        ours_all |= mine
        plain_all |= ref
        if ref:
            rows.append((len(ref & mine) / len(ref), path.name, p.page, p.reader, len(ref),
                         sorted(ref - mine)[:8]))
    cpu = sum(r[1] for r in results) / len(results)
    render = sum(r[2] for r in results) / len(results)
    stored = sum(s for _, _, s in pages) / len(pages)
    per_page = found / max(1, total)
    corpus_wide = len(plain_all & ours_all) / max(1, len(plain_all))
    print(f"\n{'reading':<52} {'pages/s':>8} {'CPU-s/page':>11} {'words of plain 300 dpi':>23}")
    print(f"{'plain: pdfium 300 dpi grey + tesseract defaults':<52} {len(pages) / wall:>8.2f} "
          f"{cpu + render:>11.2f} {1:>23.2%}")
    print(f"{'ours as stored (' + ocr.reader_name(ocr.DEFAULT_DPI) + ', grey, pool)':<52} "
          f"{workers / stored:>8.2f} {'':>11} {per_page:>23.2%}")
    print(f"engine floor at the plain settings (tesseract alone, one thread): {cpu:.2f} CPU-s/page "
          f"-> at most {workers / cpu:.2f} pages/s on {workers} workers; the plain reading ran at "
          f"{(len(pages) / wall) / (workers / cpu):.0%} of that by the clock (rendering: "
          f"{render:.2f} CPU-s/page)")
    print(f"ours as stored: {stored:.2f} s per OCR'd page in a worker during the archive's build "
          f"(its own load), i.e. {workers / stored:.2f} pages/s on {workers} workers")
    print(f"distinct words of the plain reading found by ours: {per_page:.2%} page by page "
          f"({found} of {total}); {corpus_wide:.2%} over the corpus ({len(plain_all & ours_all)} "
          f"of {len(plain_all)})")
    rows.sort()
    print(f"worst pages (share, file, page, reader, plain words, first words ours lacks):")
    for share, name, number, reader, n, missed in rows[:12]:
        print(f"  {share:7.2%}  {name} p. {number} ({reader}; {n} words): {' '.join(missed)}")
    print(f"pages under 99.5%: {sum(r[0] < 0.995 for r in rows)} of {len(rows)}; "
          f"load average after the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


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


def text_layer_rates(root: Path, workers: int | None) -> tuple[int, float, float, float, float]:
    """Pages, and wall seconds: to start the extractor's pool; to read every corpus page's
    text layer in that pool, by the extractor in one process, and by pypdfium2 alone
    (text only) in one process. (The pool starts once per `moa extract`; this corpus is
    small enough for its start-up to weigh.)"""
    jobs = [extract._Job(p.name, p) for p in sorted((root / "pdfs").glob("*.pdf"))]
    t0 = time.perf_counter()
    pool = extract.ocr_pool(workers)
    for f in [pool.submit(time.sleep, 0.2) for _ in range(workers or os.cpu_count() or 1)]:
        f.result()                     # every worker started and busy at once
    start_up = time.perf_counter() - t0 - 0.2
    t0 = time.perf_counter()
    readings, pool = extract._read_all_text_layers(jobs, pool, workers)
    pooled = time.perf_counter() - t0
    pool.shutdown()
    t0 = time.perf_counter()
    for job in jobs:
        extract._read_text_layers(job)
    single = time.perf_counter() - t0
    t0 = time.perf_counter()
    for job in jobs:
        try:
            doc = pdfium.PdfDocument(job.path.read_bytes(), password="")
        except pdfium.PdfiumError:
            continue
        for page in doc:
            page.get_textpage().get_text_range()
        doc.close()
    return sum(len(r.judgements) for r in readings), start_up, pooled, single, time.perf_counter() - t0


_CPU_PASS = r"""
import json, resource, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import pypdfium2 as pdfium
from archive.read import extract
def cpu():
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime
jobs = [extract._Job(p.name, p) for p in sorted((Path(sys.argv[2]) / "pdfs").glob("*.pdf"))]
extract._read_text_layers(jobs[0])
t = cpu(); readings = [extract._read_text_layers(j) for j in jobs]; ours = cpu() - t
t = cpu()
for job in jobs:
    doc = pdfium.PdfDocument(job.path.read_bytes(), password="")
    for page in doc:
        page.get_textpage().get_text_range()
    doc.close()
print(json.dumps([sum(len(r.judgements) for r in readings), ours, cpu() - t]))
"""


def text_layer_before_after(root: Path, before: Path, runs: int = 3) -> None:
    """The text-layer reading of the code tree *before* (e.g. `git archive REV archive
    store | tar -x -C DIR`) and of this one, alternated in child processes: CPU-seconds of
    each process and its pdftotext children over every corpus page (load-independent),
    beside pypdfium2's text alone in the same process."""
    import statistics
    import json
    trees = {f"before ({before})": before, "after (this tree)": ROOT}
    out = {name: [] for name in trees}
    for _ in range(runs):
        for name, tree in trees.items():
            res = subprocess.run([sys.executable, "-c", _CPU_PASS, str(tree), str(root)], check=True,
                                 capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(tree)))
            out[name].append(json.loads(res.stdout.strip().splitlines()[-1]))
    print(f"{'text layer, one process':<40} {'CPU-s':>7} {'pages/CPU-s':>12} {'pypdfium2 alone':>16} "
          f"{'ours/alone':>11}  (median of {runs})")
    for name, rows in out.items():
        n, ours, bare = rows[0][0], statistics.median(r[1] for r in rows), statistics.median(r[2] for r in rows)
        print(f"{name:<40} {ours:>7.2f} {n / ours:>12.0f} {bare:>16.2f} {ours / bare:>10.2f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=16, help="image-only pages to OCR")
    ap.add_argument("--floor-pages", type=int, default=None, help="pages for the engine floor (default: all)")
    ap.add_argument("--workers", type=int, default=None, help="pool size (default: all cores)")
    ap.add_argument("--text-only", action="store_true", help="only the text-layer figures")
    ap.add_argument("--all-scanned", type=Path, metavar="ARCHIVE", default=None,
                    help="every page ARCHIVE OCR'd against a plain 300 dpi grey reading")
    ap.add_argument("--limit", type=int, default=None, help="with --all-scanned: the first N pages only")
    ap.add_argument("--turned", action="store_true", help="the pages fed turned: ours upright and turned")
    ap.add_argument("--before", type=Path, metavar="TREE", default=None,
                    help="with --text-only: also compare with the code tree TREE, alternated")
    args = ap.parse_args()
    root = corpus()
    if args.all_scanned:
        all_scanned(args.all_scanned, root, args.workers or os.cpu_count() or 1, args.limit)
        return
    if args.turned:
        with tempfile.TemporaryDirectory() as tmp:
            turned_figures(root, args, Path(tmp))
        return
    if not args.text_only:
        with tempfile.TemporaryDirectory() as tmp:
            ocr_figures(root, args, Path(tmp))
    if args.before:
        text_layer_before_after(root, args.before)
    n, start_up, pooled, single, bare = text_layer_rates(root, args.workers)
    print(f"text layer, ours (pdfium text, repair, judgement, form fields), pool of "
          f"{args.workers or os.cpu_count()}: {n / pooled:.0f} pages/s ({n} pages, {pooled:.2f} s; "
          f"with the pool's start-up, {start_up:.2f} s: {n / (pooled + start_up):.0f} pages/s)")
    print(f"text layer, ours in one process: {n / single:.0f} pages/s; "
          f"pypdfium2 text alone, one process: {n / bare:.0f} pages/s")
    print(f"load average after the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


def ocr_figures(root: Path, args, tmp: Path) -> None:
    workers = args.workers or os.cpu_count() or 1
    pages = scanned_pages(root, args.pages)
    truth = [(FIXTURES / "pdfs" / name, i) for name, idx in TRUTH for i in idx]
    print(f"corpus {root}; {len(pages)} image-only pages from {len({p for p, _ in pages})} "
          f"documents; {os.cpu_count()} cores; ours: grey, {ocr.CONFIG!r}, {workers} workers")

    floor = {}
    for dpi in (300, 200):
        for grey in (True, False):
            floor[dpi, grey] = engine_floor(pages[:args.floor_pages or len(pages)], dpi, grey, tmp)
            print(f"engine floor, tesseract alone, {dpi} dpi {'grey  ' if grey else 'colour'}: "
                  f"{floor[dpi, grey]:.2f} CPU-s/page -> at most {workers / floor[dpi, grey]:.2f} pages/s "
                  f"on {workers} cores")
    print(f"grey/colour speed-up: {floor[300, False] / floor[300, True]:.2f}x at 300 dpi, "
          f"{floor[200, False] / floor[200, True]:.2f}x at 200 dpi; "
          f"200 over 300 dpi (grey): {floor[300, True] / floor[200, True]:.2f}x")

    rates, texts = {}, {}
    texts["naive"], s = timed(naive, pages)
    rates["naive"] = len(pages) / s
    print(f"OCR naive (300 dpi colour, default threads, serial): {rates['naive']:.2f} pages/s ({s:.1f} s)")
    other = ocrmypdf(pages, workers, tmp)
    if other is None:
        print("OCR OCRmyPDF: not installed (.venv/bin/pip install -e '.[bench]')")
    else:
        texts["ocrmypdf"], s = other
        rates["ocrmypdf"] = len(pages) / s
        print(f"OCR OCRmyPDF --skip-text -j {workers}:                {rates['ocrmypdf']:.2f} pages/s ({s:.1f} s)")
    for dpi in sorted({300, 200, ocr.DEFAULT_DPI}, reverse=True):
        key = f"ours {dpi}"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        texts[key], s = timed(ours, pages, args.workers, dpi)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)    # the pool's workers and their tesseracts
        cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) / len(pages)
        rates[key] = len(pages) / s
        print(f"OCR ours ({dpi} dpi grey, pool):                    {rates[key]:.2f} pages/s ({s:.1f} s); "
              f"{rates[key] / (workers / floor[dpi, True]):.0%} of the engine's ceiling by the clock; "
              f"{cpu:.2f} CPU-s/page, floor/ours {floor[dpi, True] / cpu:.0%} (load-independent)")
    for key in rates:
        if key != "naive":
            print(f"ratio {key}/naive: {rates[key] / rates['naive']:.1f}x", end="")
            print(f"; {key}/OCRmyPDF: {rates[key] / rates['ocrmypdf']:.2f}x" if "ocrmypdf" in rates
                  and key.startswith("ours") else "")
    reference, s = timed(plain, pages, tmp)
    print(f"reference: plain tesseract (defaults) on 300 dpi grey, serial: {len(pages) / s:.2f} pages/s")
    ref_words = set().union(*map(words, reference))
    print(f"\n{'reading':<28} {'pages/s':>8} {'of ceiling':>11} {'words of plain 300 dpi':>23}")
    for key, found in texts.items():
        share = len(ref_words & set().union(*map(words, found))) / max(1, len(ref_words))
        dpi = int(key.split()[1]) if key.startswith("ours") else None
        ceiling = f"{rates[key] / (workers / floor[dpi, True]):.0%}" if dpi in (200, 300) else ""
        print(f"{key:<28} {rates[key]:>8.2f} {ceiling:>11} {share:>23.2%}")
    print()
    print(f"accuracy on born-digital pages (share of text-layer words found): "
          f"naive {recall(truth, naive(truth)):.1%}, "
          f"ours 300 dpi {recall(truth, ours(truth, args.workers, 300)):.1%}, "
          f"ours {ocr.DEFAULT_DPI} dpi {recall(truth, ours(truth, args.workers)):.1%}")


if __name__ == "__main__":
    main()
