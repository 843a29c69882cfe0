"""Segmentation benchmark: per model and era, how many documents segment completely,
which fail and why, and how long segmentation takes.

    .venv/bin/python bench/bench_sections.py [DATA_DIR]

DATA_DIR is an archive whose pages are extracted (default: MOA_TEST_CORPUS_ARCHIVE or
./moa-data). Segmentation is re-run on every document (force) and timed; the archive's
stored sections are replaced by the same result.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from archive.structure import sections, stage  # noqa: E402
from store.datadir import DataDir  # noqa: E402

BASELINE_PERCENT = 91.0   # the prototype's share of all documents cut cleanly (issue #4)


def main() -> None:
    where = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("MOA_TEST_CORPUS_ARCHIVE", "./moa-data")
    d = DataDir(where)
    t0 = time.perf_counter()
    summary = stage.segment_all(d, force=True)
    seconds = time.perf_counter() - t0
    rep = sections.report(d)
    print(sections.format_report(rep))
    n = max(summary["documents"], 1)
    print(f"segmented {summary['documents']} documents in {seconds:.2f}s "
          f"({1000 * seconds / n:.0f} ms/document, facts and storing included)")
    print(f"complete: {rep['percent']}% vs prototype {BASELINE_PERCENT}% "
          f"(ratio {rep['percent'] / BASELINE_PERCENT:.2f})")
    d.close()


if __name__ == "__main__":
    main()
