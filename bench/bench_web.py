"""Time the web site server side, end to end (routing, search, template), on an archive.

    python bench/bench_web.py [--data-dir DIR] [--rounds N]
    python bench/bench_web.py --load [--clients 50] [--seconds 60] [--threads 4,8,16] [--data-dir DIR]

Prints p50/p95 of the search page over a set of realistic queries (target: p95 <= 150 ms),
of the document page, and a page image rendered cold vs served from the cache.

--load starts the real server (`moa serve`, waitress, in a subprocess on 127.0.0.1 only)
once per --threads value, and runs N client threads for T seconds against it, each on
its own keep-alive connection, asking for a mix of search pages, document pages and page
images; then the same clients for T seconds against the same server asking only for a
static file (the floor: what the server and this client harness can do at all). Prints
requests/s, p50/p95/p99 latency, errors (status not 200, or a failed connection) and
mismatches (a 200 whose body differs from the one the same URL gave when asked alone
before the load), side by side.
DIR defaults to $MOA_TEST_CORPUS_ARCHIVE, else /work/devdata/corpus-archive.
"""
from __future__ import annotations

import argparse
import hashlib
import http.client
import os
import re
import statistics
import subprocess
import sys
import threading
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


# --- load ------------------------------------------------------------------------------

def start_server(data_dir: str, threads: int):
    """`moa serve` in a subprocess on a free loopback port; (process, base URL)."""
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-m", "cli", "--data-dir", data_dir, "serve",
                             "--host", "127.0.0.1", "--port", "0", "--threads", str(threads)],
                            cwd=root, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if m:
            threading.Thread(target=proc.stderr.read, daemon=True).start()  # keep the pipe drained
            return proc, int(m.group(1))
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise SystemExit(f"moa serve did not start: {line}")


def fetch(conn, path: str) -> tuple[int, bytes]:
    conn.request("GET", path)
    r = conn.getresponse()
    return r.status, r.read()


def load_urls(d) -> list[str]:
    """The mix: every search query and filtered search, a document page and a document
    page searched within for each of 20 documents, and page images of 10 documents."""
    docs = [(r[0], r[1] or 1) for r in d.db.execute(
        "SELECT d.sha256, e.page_count FROM documents d JOIN extractions e USING (sha256)"
        " WHERE e.status = 'ok' ORDER BY d.sha256 LIMIT 20")]
    urls = [f"/search?q={quote(q)}" for q in QUERIES] + FILTERED
    urls += [f"/doc/{s}" for s, _ in docs] + [f"/doc/{s}?q=training" for s, _ in docs[:10]]
    urls += [f"/doc/{s}/page/{p}.png" for s, n in docs[:10] for p in range(1, min(n, 3) + 1)]
    return urls


def run_load(port: int, urls: list[str], clients: int, seconds: float, expected: dict[str, str]) -> dict:
    """*clients* threads, each with its own connection, asking for *urls* in turn (each
    client starting at a different place) until *seconds* have passed."""
    stop = time.monotonic() + seconds
    results: list[list] = [[] for _ in range(clients)]   # (ms, status, mismatch)

    def client(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        k = i * 7
        while time.monotonic() < stop and len(results[i]) < 1_000_000:
            path = urls[k % len(urls)]
            k += 1
            t0 = time.perf_counter()
            try:
                status, body = fetch(conn, path)
            except (OSError, http.client.HTTPException):
                status, body = 0, b""
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            ms = (time.perf_counter() - t0) * 1000
            wrong = status == 200 and path in expected and hashlib.sha256(body).hexdigest() != expected[path]
            results[i].append((ms, status, wrong))
        conn.close()

    t0 = time.monotonic()
    pool = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    wall = time.monotonic() - t0
    rows = [r for rs in results for r in rs]
    ms = [r[0] for r in rows] or [0.0]
    return {"requests": len(rows), "rps": len(rows) / wall, "p50": percentile(ms, .5),
            "p95": percentile(ms, .95), "p99": percentile(ms, .99), "max": max(ms),
            "errors": sum(r[1] != 200 for r in rows), "mismatches": sum(r[2] for r in rows),
            "over_2s": sum(r[0] > 2000 for r in rows)}


def load_main(args) -> None:
    from store.datadir import DataDir
    d = DataDir(args.data_dir, readonly=True)
    urls = load_urls(d)
    static = ["/static/site.css"]
    n_docs = d.db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
    print(f"archive {d.root}: {n_docs} documents; {args.clients} clients x {args.seconds:g} s per run;"
          f" mix of {len(urls)} URLs (search, document, page image) vs. one static file")
    print(f"{'run':<30} {'requests':>8} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
          f" {'max ms':>8} {'errors':>6} {'wrong':>6} {'>2 s':>5}")
    for threads in args.threads:
        proc, port = start_server(args.data_dir, threads)
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
            expected = {}
            for u in urls + static:        # warm-up and the serial answers to compare with
                status, body = fetch(conn, u)
                if status == 200:
                    expected[u] = hashlib.sha256(body).hexdigest()
                elif status == 400 and "page=" in u:     # a small archive: no such page
                    print(f"  left out {u}: HTTP 400 (fewer results on this archive)")
                else:
                    raise SystemExit(f"{u}: HTTP {status} before the load")
            conn.close()
            urls = [u for u in urls if u in expected]
            for label, mix in ((f"mix, {threads} server threads", urls),
                               (f"static file, {threads} threads", static)):
                r = run_load(port, mix, args.clients, args.seconds, expected)
                print(f"{label:<30} {r['requests']:>8} {r['rps']:>7.1f} {r['p50']:>8.1f} {r['p95']:>8.1f}"
                      f" {r['p99']:>8.1f} {r['max']:>8.1f} {r['errors']:>6} {r['mismatches']:>6}"
                      f" {r['over_2s']:>5}", flush=True)
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default=os.environ.get("MOA_TEST_CORPUS_ARCHIVE",
                                                        "/work/devdata/corpus-archive"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--load", action="store_true", help="N clients for T seconds against the real server")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--threads", type=lambda v: [int(x) for x in v.split(",")], default=[8],
                    help="server threads, comma-separated to compare (default 8, as moa serve)")
    args = ap.parse_args()
    if args.load:
        return load_main(args)
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
