"""Hostile queries against the query cost budget: how long each takes to be refused (or
answered), side by side with ordinary queries in the same run, and the same texts
matched by SQLite FTS5 as the floor of a plain word lookup.

    .venv/bin/python bench/bench_query_budget.py --data-dir ARCHIVE [--runs 5] [--docs 292]

--docs N first copies ARCHIVE's database to a scratch directory and replicates its
documents (bench_search.replicate) to at least N, then builds that copy's index: the
issue's bar is "no query takes more than 1 s on the 292-document archive". The run ends
with the slowest queries of all, hostile and ordinary, and the per-query time limit
(archive.search.TIME_LIMIT) they must stay under.

The probes are those of issue 16 (300 and 498 leading '-', 'NOT ' x 120, 245 nested
parentheses, 48 three-letter prefixes ORed), 40 fuzzy terms ORed and 50 common words
ORed, and the costliest ones the budget lets through (16 prefixes, 16 fuzzy terms, 8
common words ORed), built from the archive's own words. Read-only: the archive is not modified.
"""
from __future__ import annotations

import argparse
import math
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from archive import search  # noqa: E402
from archive.core.errors import QueryError  # noqa: E402
from store.datadir import DataDir  # noqa: E402
from bench_search import QUERIES as SEARCH_QUERIES, replicate, scratch_copy  # noqa: E402

ORDINARY = ["immigration", '"notice to appear"', "detain* warrant", "section:liability giglio",
            "perform~ training", "(jail OR correctional) AND immigration"]
ORDINARY += [q for q, _, _ in SEARCH_QUERIES if q not in ORDINARY]


def probes(conn) -> dict[str, str]:
    words = Counter()
    for (text,) in conn.execute("SELECT text FROM pages"):
        words.update(set(re.findall(r"[a-z]{4,}", text.lower())))
    common = [w for w, _ in words.most_common()]
    prefixes = [p for p, _ in Counter(w[:3] for w in words).most_common(48)]
    return {
        "300 leading -": "-" * 300 + common[0],
        "498 leading -": "-" * 498 + common[0][:2],
        "NOT x 120": "NOT " * 120 + common[0],
        "245 parentheses": "(" * 245 + common[0] + ")" * 245,
        "48 prefixes ORed": " OR ".join(p + "*" for p in prefixes),
        "40 fuzzy ORed": " OR ".join(w + "~2" for w in [w for w in common if len(w) <= 6][:40]),
        "50 common words ORed": " OR ".join([w for w in common if len(w) == 4][:50]),
        # within every limit, so run: the costliest queries the budget lets through
        "16 prefixes ORed": " OR ".join(p + "*" for p in prefixes[:16]),
        "16 fuzzy ORed": " OR ".join(w + "~2" for w in [w for w in common if len(w) <= 6][:16]),
        "8 common words ORed": " OR ".join([w for w in common if len(w) == 4][:8]),
    }


def timed(d: DataDir, query: str, runs: int) -> tuple[float, float, float, str]:
    """(median ms, slowest ms, most CPU ms of the thread, outcome) of *runs* searches for
    *query*: the time limit counts CPU time, which the machine's load does not inflate."""
    times, cpu, outcome = [], [], ""
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.thread_time()
        try:
            outcome = f"{search.search(d, query).total_documents} documents"
        except QueryError as e:
            outcome = "refused: " + str(e).split(": ", 1)[-1][:70]
        times.append(time.perf_counter() - t0)
        cpu.append(time.thread_time() - c0)
    return statistics.median(times) * 1000, max(times) * 1000, max(cpu) * 1000, outcome


def fts_floor(d: DataDir, word: str, runs: int) -> float:
    import sqlite3
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE p USING fts5(text)")
    conn.executemany("INSERT INTO p VALUES (?)", d.db.execute("SELECT text FROM pages"))
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        conn.execute("SELECT count(*) FROM p WHERE p MATCH ?", (word,)).fetchone()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def replicated(src: Path, docs: int, scratch: Path) -> DataDir:
    """A scratch copy of *src* with its documents replicated to at least *docs*, indexed."""
    d = scratch_copy(DataDir(src, readonly=True), scratch / "data")
    base = d.db.execute("SELECT count(*) FROM documents").fetchone()[0]
    replicate(d, math.ceil(docs / base) * base)
    t0 = time.perf_counter()
    search.rebuild_index(d)
    print(f"replicated {base} documents to {d.db.execute('SELECT count(*) FROM documents').fetchone()[0]}"
          f" in a scratch copy; index built in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return d


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", required=True, type=Path)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--docs", type=int, help="replicate the archive's documents to at least this many first")
    args = ap.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="bench-query-budget-"))
    try:
        d = replicated(args.data_dir, args.docs, scratch) if args.docs else DataDir(args.data_dir, readonly=True)
        run(d, args.runs)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run(d: DataDir, runs: int) -> None:
    search.search(d, "immigration")        # open the index once
    n = d.db.execute("SELECT count(*) FROM documents").fetchone()[0]
    print(f"archive: {n} documents; median of {runs} runs; the time limit per query is {search.TIME_LIMIT:g} s")
    print(f"{'query':<28} {'ms':>8} {'max ms':>8} {'CPU ms':>8}  outcome")
    times = {}
    for name, query in list(probes(d.db).items()) + [("", q) for q in ORDINARY]:
        if name == "" and not any(k == "" for k in times):
            print("-- ordinary queries, same run --")
            times[""] = None
        ms, worst, cpu, outcome = timed(d, query, runs)
        times[name or query] = (worst, cpu)
        print(f"{(name or query)[:28]:<28} {ms:8.2f} {worst:8.2f} {cpu:8.2f}  {outcome}")
    print(f"{'FTS5 immigration (floor)':<28} {fts_floor(d, 'immigration', runs):8.2f}  pages only, no snippets")
    slowest = sorted(((k, v) for k, v in times.items() if v), key=lambda kv: -kv[1][0])[:5]
    print("slowest (their slowest run): " + "; ".join(f"{k[:40]} {v[0]:.0f} ms ({v[1]:.0f} ms CPU)"
                                                      for k, v in slowest))
    over = [k for k, v in times.items() if v and v[0] > 1000]
    over_cpu = [k for k, v in times.items() if v and v[1] > 1000]
    print(f"queries over 1 s: {len(over)}" + (f" ({', '.join(over)})" if over else "")
          + f"; over 1 s of CPU: {len(over_cpu)}")


if __name__ == "__main__":
    main()
