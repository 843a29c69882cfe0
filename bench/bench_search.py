"""Search speed: index build time, update time (4 documents changed), index size vs the
text it holds, and p50/p95 of a fixed query set (phrases, boolean, fielded, wildcard,
fuzzy, proximity, inflections, compounds, fuzzy in a phrase) with highlighted snippets
for the top 20 documents, Whoosh (archive.search) side by side with SQLite FTS5 over the
same page texts, on the corpus and on the corpus replicated to ~2,000 documents.

    .venv/bin/python bench/bench_search.py [--data-dir ARCHIVE] [--docs 2000] [--runs 210]

ARCHIVE (default: the text of ../shared/corpus read with pypdfium2 into a scratch
archive) is copied to a scratch directory first; it is never modified.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archive import search  # noqa: E402
from store.datadir import DataDir  # noqa: E402
from store.index import thread_cpu  # noqa: E402

# (query for archive.search, FTS5 MATCH expression, SQL filter on documents d)
QUERIES = [
    ('"notice to appear"', '"notice to appear"', ""),
    ('"70 percent"', '"70 percent"', ""),
    ('"warrant service officer"', '"warrant service officer"', ""),
    ('"limited english proficiency"', '"limited english proficiency"', ""),
    ("detainers AND warrant", "detainers AND warrant", ""),
    ("training NOT certification", "training NOT certification", ""),
    ("(jail OR correctional) AND immigration", "(jail OR correctional) AND immigration", ""),
    ("state:FL detainers", "detainers", "d.state = 'FLORIDA'"),
    ('model:TFM "task force"', '"task force"', "d.model = 'TFM'"),
    ("signed:[2025-01-01 TO 2025-06-30] complaint", "complaint",
     "d.signed BETWEEN '2025-01-01' AND '2025-06-30'"),
    ("immigr*", "immigr*", ""),
    ("detain*", "detain*", ""),
    ("perform~", "perform OR perfonn OR performs OR performed", ""),   # FTS5 has no fuzzy terms
    ("proficiency~", "proficiency OR proficency", ""),
    ('"officer authority"~10', "NEAR(officer authority, 10)", ""),
    ("detainer", "detainer*", ""),                                     # inflections (FTS5: prefix)
    ("jailcorrectional", '"jail correctional"', ""),                   # compound joined
    ('"limited english proficency~"', '"limited english proficiency"', ""),   # fuzzy in a phrase
]
TOP = 20


def scratch_copy(src: DataDir, dest: Path) -> DataDir:
    dest.mkdir(parents=True)
    out = sqlite3.connect(dest / "moa.sqlite3")
    src.db.backup(out)
    out.close()
    return DataDir(dest)


def text_archive(dest: Path) -> DataDir:
    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import SHARED_CORPUS, fill_text_archive
    return fill_text_archive(DataDir(dest), SHARED_CORPUS)


def replicate(d: DataDir, target: int) -> int:
    """Copy every document (and its rows) under new sha256s until ~target documents."""
    conn = d.db
    base = [r[0] for r in conn.execute("SELECT sha256 FROM documents")]
    tables = ["files", "documents", "pages", "sections", "facts", "form_fields", "extractions",
              "segmentations"]
    cols = {t: [c[1] for c in conn.execute(f"PRAGMA table_info({t})")] for t in tables}
    copies = max(0, round(target / len(base)) - 1)
    conn.execute("BEGIN")
    for i in range(1, copies + 1):
        for sha in base:
            new = hashlib.sha256(f"{sha}:{i}".encode()).hexdigest()
            for t in tables:
                names = ", ".join(cols[t])
                values = ", ".join("?" if c == "sha256" else c for c in cols[t])
                conn.execute(f"INSERT INTO {t} ({names}) SELECT {values} FROM {t} WHERE sha256 = ?",
                             (new, sha))
    conn.execute("COMMIT")
    return conn.execute("SELECT count(*) FROM documents").fetchone()[0]


def build_fts(d: DataDir) -> float:
    t0 = time.perf_counter()
    conn = d.db
    conn.execute("DROP TABLE IF EXISTS bench_fts")
    conn.execute("CREATE VIRTUAL TABLE bench_fts USING fts5(sha256 UNINDEXED, page UNINDEXED, text)")
    conn.execute("BEGIN")
    conn.execute("INSERT INTO bench_fts SELECT sha256, page, text FROM pages")
    conn.execute("INSERT INTO bench_fts SELECT sha256, page, text_layer FROM pages WHERE text_layer != text")
    conn.execute("COMMIT")
    return time.perf_counter() - t0


def fts_search(conn, match: str, where: str):
    """FTS5 baseline: matching pages grouped by document, best first, snippets for the top 20."""
    sql = ("SELECT f.rowid, f.sha256, f.page, f.rank FROM bench_fts f"
           + (" JOIN documents d ON d.sha256 = f.sha256" if where else "")
           + " WHERE bench_fts MATCH ?" + (f" AND {where}" if where else "") + " ORDER BY f.rank")
    docs: dict[str, list] = {}
    for rowid, sha, page, _ in conn.execute(sql, (match,)):
        docs.setdefault(sha, []).append((rowid, page))
    top = list(docs)[:TOP]
    rowids = [docs[s][0][0] for s in top]
    snippets = conn.execute(
        f"SELECT rowid, snippet(bench_fts, 2, '<mark>', '</mark>', '…', 32) FROM bench_fts"
        f" WHERE bench_fts MATCH ? AND rowid IN ({','.join('?' * len(rowids))})",
        (match, *rowids)).fetchall() if rowids else []
    return len(docs), snippets


def index_size(d: DataDir) -> int:
    return sum(f.stat().st_size for f in d.index_dir.resolve().iterdir() if f.is_file())


def text_size(d: DataDir) -> int:
    """The bytes of text the index holds: every page reading, section and form value."""
    conn = d.db
    pages = conn.execute("SELECT total(length(text)) + total(CASE WHEN text_layer != text THEN"
                         " length(text_layer) ELSE 0 END) + total(CASE WHEN ocr_text != text THEN"
                         " length(ocr_text) ELSE 0 END) FROM pages").fetchone()[0]
    rest = conn.execute("SELECT (SELECT total(length(text)) FROM sections)"
                        " + (SELECT total(length(value)) FROM form_fields)").fetchone()[0]
    return int(pages + rest)


def update_time(d: DataDir, n: int = 4) -> tuple[float, int]:
    """Change the text of n documents, then time `moa index` (update_index)."""
    word = f"benchmarkchange{uuid.uuid4().hex}"      # a word no document held before (copies too)
    shas = [r[0] for r in d.db.execute("SELECT sha256 FROM documents ORDER BY sha256 LIMIT ?", (n,))]
    d.db.execute("BEGIN")
    for sha in shas:
        d.db.execute("UPDATE pages SET text = text || ? WHERE sha256 = ? AND page = 1", (f" {word}", sha))
    d.db.execute("COMMIT")
    t0 = time.perf_counter()
    summary = search.update_index(d)
    seconds = time.perf_counter() - t0
    assert summary["indexed"] == n and search.search(d, word).total_documents == n
    segments = len(list(d.index_dir.resolve().glob("*.seg")))
    return seconds, segments


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the index's writing processes)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def measure(d: DataDir, runs: int, label: str) -> dict:
    conn = d.db
    for q, m, w in QUERIES:                                # warm caches, check both answer
        res = search.search(d, q, per_page=TOP)
        n, _ = fts_search(conn, m, w)
        print(f"  {q:45s} whoosh {res.total_documents:5d} docs   fts5 {n:5d} docs", file=sys.stderr)
    wt: list[float] = []
    ft: list[float] = []
    wc: list[float] = []      # CPU time of this thread (waiting for a core under load left out)
    fc: list[float] = []
    per_query: dict[str, list[float]] = {}
    i = 0
    while len(wt) < runs:
        q, m, w = QUERIES[i % len(QUERIES)]
        c0, t0 = thread_cpu(), time.perf_counter()
        search.search(d, q, per_page=TOP)
        c1, t1 = thread_cpu(), time.perf_counter()
        fts_search(conn, m, w)
        c2, t2 = thread_cpu(), time.perf_counter()
        wt.append((t1 - t0) * 1000)
        ft.append((t2 - t1) * 1000)
        wc.append((c1 - c0) * 1000)
        fc.append((c2 - c1) * 1000)
        per_query.setdefault(q, []).append((t1 - t0) * 1000)
        i += 1
    slowest = sorted(per_query.items(), key=lambda kv: -statistics.median(kv[1]))[:3]
    row = {"label": label, "runs": runs, "whoosh_p50": statistics.median(wt), "whoosh_p95": pct(wt, 95),
           "fts5_p50": statistics.median(ft), "fts5_p95": pct(ft, 95),
           "whoosh_cpu_p50": statistics.median(wc), "whoosh_cpu_p95": pct(wc, 95),
           "fts5_cpu_p50": statistics.median(fc), "fts5_cpu_p95": pct(fc, 95)}
    print(f"{label}: {runs} runs, {len(QUERIES)} queries, snippets for top {TOP}"
          f" (load average {os.getloadavg()[0]:.1f})\n"
          f"  whoosh  p50 {row['whoosh_p50']:7.1f} ms   p95 {row['whoosh_p95']:7.1f} ms\n"
          f"  fts5    p50 {row['fts5_p50']:7.1f} ms   p95 {row['fts5_p95']:7.1f} ms\n"
          f"  ratio   p50 {row['whoosh_p50'] / row['fts5_p50']:7.1f} x    p95 "
          f"{row['whoosh_p95'] / row['fts5_p95']:7.1f} x\n"
          f"  CPU time: whoosh p50 {row['whoosh_cpu_p50']:.1f} / p95 {row['whoosh_cpu_p95']:.1f} ms,"
          f" fts5 p50 {row['fts5_cpu_p50']:.1f} / p95 {row['fts5_cpu_p95']:.1f} ms"
          f" (p95 ratio {row['whoosh_cpu_p95'] / max(row['fts5_cpu_p95'], 1e-9):.1f} x)\n"
          f"  slowest (whoosh p50): "
          + ", ".join(f"{q} {statistics.median(v):.1f} ms" for q, v in slowest))
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", help="an archive with pages read (default: shared corpus text)")
    ap.add_argument("--docs", type=int, default=2000, help="replicate the corpus to about this many")
    ap.add_argument("--runs", type=int, default=210)
    ap.add_argument("--no-replicate", action="store_true", help="only the corpus as it is")
    args = ap.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="bench-search-"))
    try:
        if args.data_dir:
            d = scratch_copy(DataDir(args.data_dir), scratch / "data")
        else:
            d = text_archive(scratch / "data")
        ndocs = d.db.execute("SELECT count(*) FROM documents").fetchone()[0]
        npages = d.db.execute("SELECT count(*) FROM pages").fetchone()[0]
        for label, prepare in ((f"corpus ({ndocs} documents, {npages} pages)", None),
                               ("replicated", lambda: replicate(d, args.docs))):
            if prepare and args.no_replicate:
                break
            if prepare:
                n = prepare()
                label = f"replicated ({n} documents, {d.db.execute('SELECT count(*) FROM pages').fetchone()[0]} pages)"
            t0, c0 = time.perf_counter(), cpu_seconds()
            s = search.rebuild_index(d)
            build, build_cpu = time.perf_counter() - t0, cpu_seconds() - c0
            fts = build_fts(d)
            isize, tsize = index_size(d), text_size(d)
            upd, segments = update_time(d)
            upd2, segments = update_time(d)
            print(f"{label}: Whoosh index built in {build:.1f} s ({build_cpu:.1f} s CPU, this process and"
                  f" its writers; {s['units']} units), FTS5 in {fts:.1f} s ({build / max(fts, 1e-9):.0f}x)"
                  f"; load average {os.getloadavg()[0]:.1f}\n"
                  f"  update of 4 documents: {upd:.1f} s, again {upd2:.1f} s ({segments} segments)\n"
                  f"  index {isize / 1e6:.1f} MB for {tsize / 1e6:.1f} MB of text ({isize / tsize:.2f}x)")
            measure(d, args.runs, label)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
