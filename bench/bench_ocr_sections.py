"""Born-digital corpus documents read as if they were scans (issue 15): every text-layer
page is rendered, degraded as a scanner degrades a page (tests/ocr_scan.py: lower dpi,
rotation, blur, noise, sometimes black and white) and OCR'd with the project's settings;
the real segmenter and signing facts then run on that reading and are compared with
their result on the text layer:

- every section found on the text layer is found on the OCR reading, same key, same
  first page (the baseline: the text layer's own cut, 100% by construction);
- the document is still complete;
- ICE's signing date is the same or absent, never different (where the text layer has
  none, a date read on the scan is judged against the page read by eye,
  tests/signature_pages.py);
- a worse scan: the scan reading's headings damaged further as OCR damages them
  (tests/ocr_damage.py, seeds of tests/test_generalisation.py) is cut the same.

    .venv/bin/python bench/bench_ocr_sections.py [ARCHIVE] [--pages N] [--workers N]
        [--cache DIR] [--docs NAME,NAME...]

ARCHIVE is a processed archive of ../shared/corpus (default MOA_TEST_CORPUS_ARCHIVE); it
is only read. Documents are taken smallest number of text-layer pages first, alternating
held-out and tuned-on (tests/test_generalisation.py: TUNED_ON), until --pages pages
(default 250) are OCR'd. Readings are cached in --cache (default
/work/cache/ocr-general, else ./.ocr-scan-cache): a second run OCRs nothing.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from difflib import SequenceMatcher
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from archive.read import ocr  # noqa: E402
from archive.structure.facts import signatures  # noqa: E402
from archive.structure.segmenter import SEGMENTER_VERSION, segment  # noqa: E402
from store.datadir import DataDir  # noqa: E402

from ocr_scan import PROFILE, as_scanned, layer_documents, scan_reading  # noqa: E402
from signature_pages import GOLDEN, judge  # noqa: E402
from ocr_damage import damage_pages  # noqa: E402
from test_generalisation import SEEDS, TUNED_ON  # noqa: E402


def documents(d: DataDir) -> list[dict]:
    return [{**doc, "held_out": doc["name"] not in TUNED_ON} for doc in layer_documents(d)]


def pick(docs: list[dict], budget: int, names: set[str] | None = None) -> list[dict]:
    if names:
        return [doc for doc in docs if doc["name"] in names]
    halves = [sorted((doc for doc in docs if doc["held_out"] == h), key=lambda doc: (len(doc["layer"]), doc["name"]))
              for h in (True, False)]
    out, used = [], 0
    while any(halves):
        for half in halves:
            if half and used + len(half[0]["layer"]) <= budget:
                doc = half.pop(0)
                out.append(doc)
                used += len(doc["layer"])
            elif half:
                half.clear()
    return out


def _read(job: tuple[str, int, str]) -> tuple[str, int, dict]:
    path, page, cache = job
    return path, page, scan_reading(Path(path), page, Path(cache))


def _in_reading(heading: str, text: str) -> bool:
    """Whether OCR read the heading at all: some line (or two) of *text* holds its letters
    (a heading tesseract dropped cannot be found by any rule; it is reported missing)."""
    want = re.sub(r"[^a-z]", "", heading.lower())
    lines = [re.sub(r"[^a-z]", "", ln.lower()) for ln in text.splitlines() if ln.strip()]
    return any(SequenceMatcher(None, want, got[:len(want)]).ratio() >= 0.8
               for k in range(len(lines)) for got in (lines[k], "".join(lines[k:k + 2])))


def _cut(seg) -> list[tuple[str, int, int]]:
    return [(s.key, s.first_page, s.last_page) for s in seg.sections]


def compare(doc: dict, texts: dict[int, str]) -> dict:
    """The text layer's cut and ICE date against the scan reading's."""
    base, seg = segment(doc["pages"]), segment(as_scanned(doc["pages"], doc["readers"], texts))
    want = [(s.key, s.first_page) for s in base.sections]
    got = set((s.key, s.first_page) for s in seg.sections)
    missed = [w for w in want if w not in got]
    facts = {name: {f.name: (f.value, f.page) for f in signatures(s)} for name, s in (("layer", base), ("scan", seg))}
    date = {name: (got.get("signed_ice") or (None,))[0] for name, got in facts.items()}
    golden = judge(doc["name"], facts["scan"])["signed_ice"] if doc["name"] in GOLDEN else None
    heading = {s.key: " ".join(ln.text for ln in base.lines[s.heading]) for s in base.sections}
    lost = [m for m in missed if not _in_reading(heading.get(m[0], ""), texts.get(m[1], ""))]
    worse = [segment(damage_pages(as_scanned(doc["pages"], doc["readers"], texts), seg, seed)) for seed in SEEDS]
    return {"name": doc["name"], "held_out": doc["held_out"], "sections": len(want), "missed": missed,
            "lost": lost, "golden": golden, "worse": sum(_cut(w) == _cut(seg) for w in worse),
            "complete_layer": base.complete, "complete_scan": seg.complete, "problems": seg.problems,
            "date_layer": date["layer"], "date_scan": date["scan"], "layout": (base.layout, seg.layout)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("archive", nargs="?", default=os.environ.get("MOA_TEST_CORPUS_ARCHIVE"))
    ap.add_argument("--pages", type=int, default=250)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--cache", default="/work/cache/ocr-general" if Path("/work/cache").is_dir() else ".ocr-scan-cache")
    ap.add_argument("--docs", default="")
    args = ap.parse_args()
    if not args.archive:
        sys.exit("bench_ocr_sections: name a processed corpus archive (or set MOA_TEST_CORPUS_ARCHIVE)")
    d = DataDir(args.archive, readonly=True)
    chosen = pick(documents(d), args.pages, set(filter(None, args.docs.split(","))))
    jobs = [(str(doc["path"]), n, args.cache) for doc in chosen for n in doc["layer"]]
    print(f"{len(chosen)} documents, {len(jobs)} text-layer pages read as scans ({PROFILE}), "
          f"SEGMENTER_VERSION {SEGMENTER_VERSION}, load average {os.getloadavg()[0]:.1f}", flush=True)
    ocr.limit_threads()
    t0 = time.perf_counter()
    readings: dict[str, dict[int, dict]] = {}
    with ProcessPoolExecutor(args.workers) as pool:
        for k, (path, page, r) in enumerate(pool.map(_read, jobs), 1):
            readings.setdefault(path, {})[page] = r
            if not r["cached"]:
                print(f"  [{k}/{len(jobs)}] {Path(path).name} p{page}: {r['seconds']} s {r['degradation']}", flush=True)
    fresh = [r for pages in readings.values() for r in pages.values() if not r["cached"]]
    print(f"OCR: {len(fresh)} pages read now ({sum(r['seconds'] for r in fresh):.0f} s of tesseract), "
          f"{len(jobs) - len(fresh)} from the cache, {time.perf_counter() - t0:.0f} s wall")
    results = [compare(doc, {n: r["text"] for n, r in readings[str(doc["path"])].items()}) for doc in chosen]
    for half, held in (("held-out", True), ("tuned-on", False), ("all", None)):
        rs = [r for r in results if held is None or r["held_out"] == held]
        secs = sum(r["sections"] for r in rs)
        found = secs - sum(len(r["missed"]) for r in rs)
        same = sum(not r["missed"] for r in rs)
        complete = sum(r["complete_scan"] for r in rs if r["complete_layer"])
        dated = [r for r in rs if r["date_layer"]]
        print(f"{half}: {len(rs)} documents ({sum(len(doc['layer']) for doc in chosen if held is None or doc['held_out'] == held)}"
              f" pages); sections found with the same start page {found}/{secs} (text layer: {secs}/{secs});"
              f" every section found {same}/{len(rs)}; complete {complete}/{sum(r['complete_layer'] for r in rs)};"
              f" ICE date same {sum(r['date_scan'] == r['date_layer'] for r in dated)}/{len(dated)},"
              f" absent {sum(r['date_scan'] is None for r in dated)},"
              f" different {sum(r['date_scan'] not in (None, r['date_layer']) for r in dated)};"
              f" read on the scan only {sum(bool(r['date_scan']) for r in rs if not r['date_layer'])}"
              f" (against the page read by eye: wrong {sum(r['golden'] == 'wrong' for r in rs)});"
              f" sections whose heading OCR lost (no rule can find them) {sum(len(r['lost']) for r in rs)};"
              f" the scan reading with its headings damaged further (tests/ocr_damage.py) cut the same"
              f" {sum(r['worse'] for r in rs)}/{len(SEEDS) * len(rs)}")
    for r in results:
        if r["missed"] or r["date_scan"] != r["date_layer"] or r["complete_layer"] and not r["complete_scan"]:
            print(f"  {r['name']} ({'held-out' if r['held_out'] else 'tuned-on'}, {r['layout']}): "
                  f"missed {r['missed']} (heading lost by OCR: {r['lost']}); problems {r['problems'][:4]};"
                  f" ICE date {r['date_layer']} -> {r['date_scan']} (by eye: {r['golden']})")
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
