"""Time the web site server side, end to end (routing, search, template), on an archive.

    python bench/bench_web.py [--data-dir DIR] [--rounds N]

Prints p50/p95 of the search page over a set of realistic queries (target: p95 <= 150 ms),
of the document page, and a page image rendered cold vs served from the cache.
DIR defaults to $MOA_TEST_CORPUS_ARCHIVE, else /work/devdata/corpus-archive.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from web import create_app  # noqa: E402
from web.page_images import cached_path  # noqa: E402

QUERIES = [
    "training", '"Federal Tort Claims Act"', "liabil*", 'detainer OR "warrant of arrest"',
    '"use of force" training', 'section:liability "Federal Tort Claims Act"',
    "state:TX model:TFM arrest", '(complaint OR grievance) AND "civil rights"', "detainr~",
    '"notice appear"~3', "signed:2020 warrant", 'training NOT "task force"',
]
FILTERED = ["/search?q=officer&state=TEXAS", "/search?q=training&model=JEM&sort=signed",
            "/search?q=the&page=2"]


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    k = (len(values) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def timed(client, url: str) -> float:
    t0 = time.perf_counter()
    r = client.get(url)
    dt = (time.perf_counter() - t0) * 1000
    if r.status_code != 200:
        raise SystemExit(f"{url}: HTTP {r.status_code}")
    return dt


def report(label: str, ms: list[float]) -> None:
    print(f"{label:<28} n={len(ms):<4} p50={percentile(ms, .5):7.1f} ms  p95={percentile(ms, .95):7.1f} ms"
          f"  max={max(ms):7.1f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default=os.environ.get("MOA_TEST_CORPUS_ARCHIVE",
                                                        "/work/devdata/corpus-archive"))
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    app = create_app({"DATA_DIR": args.data_dir})
    client = app.test_client()
    from store.datadir import DataDir
    d = DataDir(args.data_dir, readonly=True)
    shas = [r[0] for r in d.db.execute("SELECT sha256 FROM documents ORDER BY sha256")]
    print(f"archive {d.root}: {len(shas)} documents")

    urls = [f"/search?q={quote(q)}" for q in QUERIES] + FILTERED
    for u in urls:            # warm-up: index readers, templates
        timed(client, u)
    search_ms = [timed(client, u) for _ in range(args.rounds) for u in urls]
    report("search page", search_ms)
    print(f"  target p95 <= 150 ms: {'met' if percentile(search_ms, .95) <= 150 else 'NOT met'}")
    report("search CSV (all hits)", [timed(client, f"/search.csv?q={quote(q)}") for q in QUERIES[:6]])
    report("search API", [timed(client, f"/api/search?q={quote(q)}") for q in QUERIES])
    report("document page", [timed(client, f"/doc/{s}") for s in shas[:20]])
    report("document page ?q=training", [timed(client, f"/doc/{s}?q=training") for s in shas[:20]])
    report("browse (all agreements)", [timed(client, "/browse") for _ in range(args.rounds)])

    cold, warm = [], []
    for s in shas[:10]:
        cached_path(d, s, 1).unlink(missing_ok=True)
        cold.append(timed(client, f"/doc/{s}/page/1.png"))
        warm.append(timed(client, f"/doc/{s}/page/1.png"))
    report("page image, first render", cold)
    report("page image, from cache", warm)
    print(f"  cache speed-up: x{statistics.median(cold) / statistics.median(warm):.0f}")


if __name__ == "__main__":
    main()
