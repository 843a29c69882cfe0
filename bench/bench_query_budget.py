"""Hostile queries against the query cost budget: how long each takes to be refused (or
answered), side by side with ordinary queries in the same run, and the same texts
matched by SQLite FTS5 as the floor of a plain word lookup.

    .venv/bin/python bench/bench_query_budget.py --data-dir ARCHIVE [--runs 5]

The probes are those of issue 16 (300 and 498 leading '-', 'NOT ' x 120, 245 nested
parentheses, 48 three-letter prefixes ORed), 40 fuzzy terms ORed and 50 common words
ORed, built from the archive's own words. Read-only: the archive is not modified.
"""
from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archive import search  # noqa: E402
from archive.core.errors import QueryError  # noqa: E402
from store.datadir import DataDir  # noqa: E402

ORDINARY = ["immigration", '"notice to appear"', "detain* warrant", "section:liability giglio",
            "perform~ training", "(jail OR correctional) AND immigration"]


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
    }


def timed(d: DataDir, query: str, runs: int) -> tuple[float, str]:
    times, outcome = [], ""
    for _ in range(runs):
        t0 = time.perf_counter()
        try:
            outcome = f"{search.search(d, query).total_documents} documents"
        except QueryError as e:
            outcome = "refused: " + str(e).split(": ", 1)[-1][:70]
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000, outcome


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", required=True, type=Path)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    d = DataDir(args.data_dir, readonly=True)
    search.search(d, "immigration")        # open the index once
    n = d.db.execute("SELECT count(*) FROM documents").fetchone()[0]
    print(f"archive: {n} documents; median of {args.runs} runs")
    print(f"{'query':<28} {'ms':>8}  outcome")
    for name, query in probes(d.db).items():
        ms, outcome = timed(d, query, args.runs)
        print(f"{name:<28} {ms:8.2f}  {outcome}")
    print("-- ordinary queries, same run --")
    for query in ORDINARY:
        ms, outcome = timed(d, query, args.runs)
        print(f"{query[:28]:<28} {ms:8.2f}  {outcome}")
    print(f"{'FTS5 immigration (floor)':<28} {fts_floor(d, 'immigration', args.runs):8.2f}  pages only, no snippets")


if __name__ == "__main__":
    main()
