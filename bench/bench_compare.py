"""Compare pages at corpus size and at ~2,000 agreements: served from the stored results
against computing them per request (the old way), side by side.

    .venv/bin/python bench/bench_compare.py [--source DATA_DIR] [--agreements 2000] [--rounds 5]

The source is a processed archive: --source, else $MOA_TEST_CORPUS_ARCHIVE, else
/work/devdata/corpus-archive when its .READY flag exists, else the fixture corpus built
afresh (import + read + sections: OCR, a minute). It is copied into a scratch directory
(never written). Printed, for the copy and then for a replica of ~--agreements agreements
(the source's agreements copied under new sha256s, with their pages, facts and normalised
texts):

- the pipeline's compare stage (`compare.refresh`: normalised texts, then every stored
  result), once — what `moa process` pays after a change (for the replica: the results);
- p50/p95/max per compare page, CSV/JSON and export (Word, PDF), through the real Flask app
  (target: p95 < 1 s at corpus size, < 2 s at ~2,000 documents), with the load average;
- at corpus size, next to each page, the same analysis computed per request (the baseline:
  what the pages cost before results were stored).
The machine may be shared: figures are noisy.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from archive import compare  # noqa: E402
from archive.core.progress import StderrProgress  # noqa: E402
from store.datadir import DataDir  # noqa: E402
from store.db import transaction  # noqa: E402

CORPUS_TARGET, LARGE_TARGET = 1.0, 2.0
DEV_ARCHIVE = Path("/work/devdata/corpus-archive")
# Per document. The normalised-text cache is copied too: a copy's section texts and agency are
# the original's, so its rows are what the cache refresh would compute (minutes at this size);
# the stored results are computed.
COPY = ("files", "documents", "extractions", "pages", "segmentations", "sections", "facts",
        "compare_docs", "compare_sections")


def source_archive(arg: str | None, tmp: Path) -> DataDir:
    for cand in (arg, os.environ.get("MOA_TEST_CORPUS_ARCHIVE"),
                 str(DEV_ARCHIVE) if (DEV_ARCHIVE.parent / "corpus-archive.READY").exists() else None):
        if cand and (Path(cand) / "moa.sqlite3").is_file():
            return DataDir(cand, readonly=True)
    from conftest import FIXTURE_CORPUS, _build_archive
    print("building the fixture archive (no --source given) ...", file=sys.stderr)
    return _build_archive(FIXTURE_CORPUS, tmp / "fixture")


def copy_archive(src: DataDir, where: Path) -> DataDir:
    dst = DataDir(where)
    dst.root.mkdir(parents=True)
    with sqlite3.connect(dst.db_path) as conn:
        src.db.backup(conn)
    return dst


def replicate(src: DataDir, dst: DataDir, target: int) -> int:
    """Copy the source's agreements under new sha256s until there are about *target*."""
    shas = [d.sha256 for d in compare.agreements(src)]
    rounds = max(1, round(target / max(1, len(shas))))
    conn = dst.db
    conn.execute("PRAGMA foreign_keys = OFF")   # rows pointing at roster rows the replica does not hold
    with transaction(conn):
        for table in COPY:
            cols = [r[1] for r in src.db.execute(f"PRAGMA table_info({table})")]
            cols = [c for c in cols if c in {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}]
            names = ", ".join(cols)
            rows = src.db.execute(f"SELECT {names} FROM {table} WHERE sha256 IN "
                                  f"({','.join('?' * len(shas))})", shas).fetchall()
            marks = ",".join("?" * len(cols))
            conn.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})",
                             [(hashlib.sha256(f"{r[0]}:{n}".encode()).hexdigest(), *tuple(r)[1:])
                              for n in range(rounds) for r in rows])
    return rounds * len(shas)


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    k = (len(values) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def timed(f) -> float:
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


def pages(d: DataDir) -> list[tuple[str, list[str], object]]:
    """(label, URLs, the same analysis computed per request or None)."""
    conn = d.db
    docs = compare.agreements(conn)
    by_model: dict[str, list] = {}
    for x in docs:
        by_model.setdefault(x.model, []).append(x)
    model = max(by_model, key=lambda m: len(by_model[m]))
    keys = [k["key"] for k in compare.section_keys(conn, model)][:6]
    some = [x.sha256 for x in docs[:: max(1, len(docs) // 8)]][:8]
    a, b = docs[0].sha256, docs[-1].sha256
    return [
        ("/compare", ["/compare"], None),
        ("/compare/deviation", ["/compare/deviation"], lambda: compare.top_deviations(conn, 50)),
        ("/compare/deviation.csv", ["/compare/deviation.csv"], lambda: compare.top_deviations(conn, None)),
        ("/api/compare/deviation", ["/api/compare/deviation?top=50"], None),
        ("/compare/deviation/DOC", [f"/compare/deviation/{s}" for s in some],
         lambda: compare.deviation(conn, some[0])),
        ("/compare/variants?model=M", [f"/compare/variants?model={model}"], None),
        ("/compare/variants/KEY", [f"/compare/variants/{k}?model={model}" for k in keys],
         lambda: compare.variants(conn, keys[0], model)),
        ("/compare/variants/KEY.csv", [f"/compare/variants/{k}.csv?model={model}" for k in keys], None),
        ("/compare/models", ["/compare/models?era=2025"], lambda: compare.models(conn, "2025")),
        ("/compare/models.csv", ["/compare/models.csv?era=2025"], None),
        ("/compare/models/KEY", [f"/compare/models/civil-rights?a={model}&b={m}" for m in by_model if m != model],
         None),
        ("/compare/pair", [f"/compare/pair?a={a}&b={b}"], lambda: compare.compare_pair(conn, a, b)),
        ("/compare/pair/export.docx", [f"/compare/pair/export.docx?a={a}&b={b}"], None),
        ("/compare/pair/export.pdf", [f"/compare/pair/export.pdf?a={a}&b={b}"], None),
        ("/compare/deviation/DOC/export.docx", [f"/compare/deviation/{s}/export.docx" for s in some[:3]], None),
        ("/compare/deviation/DOC/export.pdf", [f"/compare/deviation/{s}/export.pdf" for s in some[:3]], None),
    ]


def bench_pages(d: DataDir, rounds: int, target: float, baseline: bool) -> bool:
    """p50/p95/max by the clock, and p95 of the request's own CPU time (this thread's: the
    Flask test client runs the request in it), so that waiting for a loaded machine's CPU
    is told from work."""
    from web import create_app
    client = create_app({"DATA_DIR": str(d.root)}).test_client()
    # The process's first requests, not timed: templates, and the imports the first export
    # pays once (python-docx, fpdf2, fontTools: ~0.3 s), on a pair the timed pages do not use.
    docs = compare.agreements(d)
    for u in ["/compare", *(f"/compare/pair/export.{f}?a={docs[1].sha256}&b={docs[2].sha256}" for f in ("docx", "pdf"))]:
        client.get(u)
    ok = True
    print(f"  {'page':<36}{'n':>4}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}{'cpu p95':>10}"
          + ("   computed per request" if baseline else ""))
    for label, urls, live in pages(d):
        ms, cpu = [], []
        for _ in range(rounds):
            for u in urls:
                t, c = time.perf_counter(), time.thread_time()
                r = client.get(u)
                ms.append((time.perf_counter() - t) * 1000)
                cpu.append((time.thread_time() - c) * 1000)
                if r.status_code != 200:
                    raise SystemExit(f"{u}: HTTP {r.status_code}")
        p95 = percentile(ms, .95)
        ok &= p95 < target * 1000
        extra = f"   {timed(live) * 1000:9.0f} ms" if baseline and live else ""
        print(f"  {label:<36}{len(ms):>4}{percentile(ms, .5):>10.1f}{p95:>10.1f}{max(ms):>10.1f}"
              f"{percentile(cpu, .95):>10.1f}{extra}")
    print(f"  every p95 under {target:.0f} s: {'met' if ok else 'NOT met'}; load average "
          + " ".join(f"{x:.1f}" for x in os.getloadavg()))
    return ok


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source")
    ap.add_argument("--agreements", type=int, default=2000, help="size of the replica (0: skip it)")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src = source_archive(args.source, Path(tmp))
        small = copy_archive(src, Path(tmp) / "corpus")
        n = len(compare.agreements(small))
        print(f"source {src.root}: {n} agreements; load average " + " ".join(f"{x:.1f}" for x in os.getloadavg()))
        t = timed(lambda: compare.refresh(small))
        print(f"  pipeline compare stage (cache + stored results): {t:.1f} s")
        bench_pages(small, args.rounds, CORPUS_TARGET, baseline=True)
        if args.agreements:
            big = DataDir(Path(tmp) / "replica")
            n = replicate(small, big, args.agreements)
            print(f"replica: {n} agreements")
            t = timed(lambda: compare.refresh(big, StderrProgress("compare")))
            print(f"  pipeline compare stage (cache + stored results): {t:.1f} s")
            bench_pages(big, max(1, args.rounds // 2), LARGE_TARGET, baseline=False)
            big.close()
        small.close()
        src.close()


if __name__ == "__main__":
    main()
