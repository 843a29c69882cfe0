"""Segmentation benchmark: per model and era, how many documents segment completely,
which fail and why, how long segmentation takes, and how many signing dates and names
are read of those the signature pages show, and what the second readings of signature
blocks cost (CPU per document, beside a plain whole-page OCR of the same page).

    .venv/bin/python bench/bench_sections.py [DATA_DIR]

DATA_DIR is an archive whose pages are extracted (default: MOA_TEST_CORPUS_ARCHIVE or
./moa-data). Segmentation is re-run on every document (force) and timed; the archive's
stored sections are replaced by the same result. With --fresh-blocks, every signature
block is read again, on a copy of the database (the archive's kept readings stay): in the
stage's pool (one worker per core), in a pool of one, and in this process the way
version 9 read them (one after another, as the stage did, with tesseract's threads
limited as the pool's are).
"""
from __future__ import annotations

import os
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from archive.structure import sections, segmenter, stage  # noqa: E402
from store.datadir import DataDir  # noqa: E402

BASELINE_PERCENT = 91.0   # the prototype's share of all documents cut cleanly (issue #4)


def damaged(d: DataDir, seeds: int = 2) -> None:
    """The same documents with every heading damaged as OCR does (tests/ocr_damage.py)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from ocr_damage import damage_pages  # noqa: E402
    runs = same = found = 0
    t0 = time.perf_counter()
    for (sha,) in d.db.execute("SELECT sha256 FROM extractions WHERE status = 'ok'").fetchall():
        pages = stage.load_pages(d.db, sha)
        base = segmenter.segment(pages)
        if not base.complete:
            continue
        want = [(s.key, s.first_page, s.last_page) for s in base.sections]
        for seed in range(seeds):
            seg = segmenter.segment(damage_pages(pages, base, seed))
            got = [(s.key, s.first_page, s.last_page) for s in seg.sections]
            runs += 1
            found += seg.complete and [g[0] for g in got] == [w[0] for w in want]
            same += got == want
    seconds = time.perf_counter() - t0
    print(f"under OCR damage ({runs} damaged documents, {1000 * seconds / max(runs, 1):.0f} ms each):"
          f" every section found in {found}, same cut in {same}")


def signing(d: DataDir) -> None:
    """The signing facts as stored, per half of the hold-out split (tests/test_generalisation.py):
    read / what the signature page shows (tests/signature_pages.py, read by eye; wrong =
    a value or page other than the page's), and ICE's date beside the roster's SIGNED date."""
    from datetime import date

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from signature_pages import FACTS, GOLDEN, judge  # noqa: E402
    from test_generalisation import TUNED_ON  # noqa: E402
    from archive.structure.facts import roster_signed  # noqa: E402
    halves = {"tuned-on": Counter(), "held-out": Counter()}
    disagreements = []
    for r in d.db.execute("SELECT sha256, file_name FROM documents WHERE kind = 'moa' ORDER BY file_name"):
        got = {f["name"]: (f["value"], f["page"]) for f in d.db.execute(
            "SELECT name, value, page FROM facts WHERE sha256 = ? AND ord = 0", (r["sha256"],))}
        half = halves["tuned-on" if r["file_name"] in TUNED_ON else "held-out"]
        half["documents"] += 1
        if r["file_name"] in GOLDEN:
            for fact, verdict in judge(r["file_name"], got).items():
                half[fact, verdict] += 1
        ours, roster = (got.get("signed_ice") or (None,))[0], roster_signed(d.db, r["sha256"])
        if ours and roster:
            apart = abs((date.fromisoformat(ours) - date.fromisoformat(roster)).days)
            half["compared"] += 1
            half["exact"] += apart == 0
            half["month"] += apart <= 31
            if apart:
                disagreements.append(f"{r['file_name']}: ours {ours}, roster {roster} ({apart} d)")
    halves["all"] = sum(halves.values(), Counter())
    for name, c in halves.items():
        parts = [f"{fact} {c[fact, 'right']}/{c[fact, 'right'] + c[fact, 'miss']}"
                 f"{' (wrong ' + str(c[fact, 'wrong']) + ')' if c[fact, 'wrong'] else ''}" for fact in FACTS]
        print(f"signing, {name} ({c['documents']} documents): read/shown " + ", ".join(parts)
              + f"; wrong {sum(c[f, 'wrong'] for f in FACTS)}; ICE date vs roster: exact {c['exact']}"
              f"/{c['compared']}, within a month {c['month']}/{c['compared']}")
    for line in disagreements:
        print("  disagrees:", line)


def block_cost(d: DataDir, summary: dict, sample: int = 5) -> None:
    """The second readings of signature blocks the stage made (archive.read.blocks), their
    CPU per document, beside a plain 300 dpi whole-page reading of the same signature page
    (archive.read.ocr, the page reading's settings) on a few documents, in the same run."""
    from archive.read import ocr
    from archive.read.pdf import open_pdf
    from archive.structure.signatures import signature_page
    n = max(summary["documents"], 1)
    asked = [sha for (sha,) in d.db.execute("SELECT DISTINCT sha256 FROM facts WHERE reader IS NOT NULL")]
    print(f"block readings: {summary['block_readings']} for {summary['documents']} documents, "
          f"{summary['block_cpu_seconds']:.1f} CPU-s ({summary['block_cpu_seconds'] / n:.2f} CPU-s a document); "
          f"{len(asked)} documents gained a fact from one")
    t = os.times()
    before = t.user + t.system + t.children_user + t.children_system
    pages = 0
    for (sha,) in d.db.execute("SELECT sha256 FROM documents WHERE kind = 'moa' ORDER BY sha256 LIMIT ?", (sample,)):
        page = signature_page(segmenter.segment(stage.load_pages(d.db, sha)))
        if page:
            with open_pdf(d.blobs.path(sha)) as pdf:
                ocr.ocr_page(pdf, page - 1)
            pages += 1
    t = os.times()
    whole = (t.user + t.system + t.children_user + t.children_system - before) / max(pages, 1)
    per_reading = summary["block_cpu_seconds"] / max(summary["block_readings"], 1)
    print(f"  one block reading {per_reading:.2f} CPU-s vs a plain 300 dpi reading of the whole signature "
          f"page {whole:.2f} CPU-s ({pages} pages; ratio {per_reading / max(whole, 1e-9):.2f}); "
          f"load average {os.getloadavg()[0]:.1f}")


def fresh_blocks(d: DataDir) -> None:
    """Every block read afresh, on copies of the database: the pool, a pool of one, and
    one process reading them one after another (stage.read_block_again)."""
    import shutil
    import tempfile

    print(f"reading every signature block afresh ({os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f}):")
    d.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for label, workers in (("stage's pool", None), ("pool of one", 1), ("one process, in turn", 0)):
        with tempfile.TemporaryDirectory(prefix="moa-bench-") as tmp:
            root = Path(tmp)
            shutil.copy(d.db_path, root / d.db_path.name)
            (root / "files").symlink_to(d.files_dir)
            copy = DataDir(root)
            with copy.db:
                copy.db.execute("DELETE FROM block_readings")
            t = os.times()
            cpu0, t0 = t.user + t.system + t.children_user + t.children_system, time.perf_counter()
            if workers == 0:
                readings = 0
                for (sha,) in copy.db.execute("SELECT sha256 FROM extractions WHERE status = 'ok'").fetchall():
                    readings += stage.read_block_again(copy, sha, *stage.cut_document(copy.db, sha))[1]
            else:
                readings = stage.segment_all(copy, force=True, workers=workers)["block_readings"]
            t = os.times()
            cpu = t.user + t.system + t.children_user + t.children_system - cpu0
            print(f"  {label:22} {readings} readings in {time.perf_counter() - t0:6.1f} s wall, {cpu:6.1f} CPU-s")
            copy.close()


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    where = args[0] if args else os.environ.get("MOA_TEST_CORPUS_ARCHIVE", "./moa-data")
    d = DataDir(where)
    from archive.read import ocr
    ocr.limit_threads()            # as the stage's workers: a fair whole-page baseline
    t0 = time.perf_counter()
    summary = stage.segment_all(d, force=True)
    seconds = time.perf_counter() - t0
    rep = sections.report(d)
    print(sections.format_report(rep))
    n = max(summary["documents"], 1)
    cut = seconds - summary["block_seconds"]
    print(f"segmented {summary['documents']} documents in {seconds:.2f}s: {cut:.2f}s without the block "
          f"readings ({1000 * cut / n:.0f} ms/document, facts and storing included), "
          f"{summary['block_seconds']:.2f}s reading blocks")
    print(f"complete: {rep['percent']}% vs prototype {BASELINE_PERCENT}% "
          f"(ratio {rep['percent'] / BASELINE_PERCENT:.2f})")
    block_cost(d, summary)
    damaged(d)
    signing(d)
    if "--fresh-blocks" in sys.argv:
        fresh_blocks(d)
    d.close()


if __name__ == "__main__":
    main()
