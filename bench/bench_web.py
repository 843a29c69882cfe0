"""Time the web site server side, end to end (routing, search, template), on an archive.

    python bench/bench_web.py [--data-dir DIR] [--rounds N]
    python bench/bench_web.py --load [--rebuild] [--clients 50] [--seconds 60] [--threads 4,8,16] [--data-dir DIR]

    python bench/bench_web.py --crawl [--crawlers 4] [--seconds 60] [--threads 8] [--data-dir DIR]

Prints p50/p95 of the search page over a set of realistic queries (target: p95 <= 150 ms),
of the document page, of every kind of compare page and CSV (target: p95 < 1 s at corpus
size, < 2 s at ~2,000 documents), and a page image rendered cold vs served from the cache.

--load starts the real server (`moa serve`, waitress, in a subprocess on 127.0.0.1 only)
once per --threads value, and runs N client threads for T seconds against it, each on
its own keep-alive connection, asking for a mix of search pages, document pages and page
images; then the same clients for T seconds against the same server asking only for a
static file (the floor: what the server and this client harness can do at all). Prints
requests/s, p50/p95/p99 latency, errors (status not 200, or a failed connection) and
mismatches (a 200 whose body differs from the one the same URL gave when asked alone
before the load: for the API's search answers, the parts that differ — hits, pages,
snippets, facets — are named), side by side.

--rebuild (with --load) copies the archive to a scratch directory, serves the copy, and
adds a run of the same mix while another process rebuilds the copy's index with
`moa index --rebuild` again and again (every rebuild swaps a new generation in under
the readers), for T seconds and until --rebuilds N (default 2) rebuilds have finished,
printing how many did; the answers are compared with the same serial baseline, taken
before.
--crawl starts the real server the same way and lets a few crawlers follow every link of
the site from / (search pages, documents, page images, PDFs, compare pages, CSVs,
exports, feeds, the API; GET forms are submitted with a few of their choices) for T
seconds, the least visited kind of page first; prints p50/p95/max per kind of page,
every request over 2 s (target: none) and every answer that is not a 200.

DIR defaults to $MOA_TEST_CORPUS_ARCHIVE, else /work/devdata/corpus-archive.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, deque
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit

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


def timed(client, url: str) -> tuple[float, float]:
    """(wall ms, CPU ms) of one request through the test client (it runs in this thread, so
    the thread's CPU time is the request's: what it costs, the machine's load aside)."""
    t0, c0 = time.perf_counter(), time.thread_time()
    r = client.get(url)
    dt, cpu = (time.perf_counter() - t0) * 1000, (time.thread_time() - c0) * 1000
    if r.status_code != 200:
        raise SystemExit(f"{url}: HTTP {r.status_code}")
    return dt, cpu


def walls(times: list[tuple[float, float]]) -> list[float]:
    return [w for w, _ in times]


def report(label: str, times: list[tuple[float, float]]) -> None:
    ms, cpu = walls(times), [c for _, c in times]
    print(f"{label:<36} n={len(ms):<4} p50={percentile(ms, .5):7.1f} ms  p95={percentile(ms, .95):7.1f} ms"
          f"  max={max(ms):7.1f} ms  cpu p95={percentile(cpu, .95):7.1f} ms")


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
    """The mix: every search query (as a page and as /api/search JSON) and filtered
    search, a document page and a document page searched within for each of 20
    documents, and page images of 10 documents."""
    docs = [(r[0], r[1] or 1) for r in d.db.execute(
        "SELECT d.sha256, e.page_count FROM documents d JOIN extractions e USING (sha256)"
        " WHERE e.status = 'ok' ORDER BY d.sha256 LIMIT 20")]
    urls = [f"/search?q={quote(q)}" for q in QUERIES] + FILTERED
    urls += [f"/api/search?q={quote(q)}" for q in QUERIES]
    urls += [f"/doc/{s}" for s, _ in docs] + [f"/doc/{s}?q=training" for s, _ in docs[:10]]
    urls += [f"/doc/{s}/page/{p}.png" for s, n in docs[:10] for p in range(1, min(n, 3) + 1)]
    return urls


def run_load(port: int, urls: list[str], clients: int, seconds: float, expected: dict[str, bytes],
             wrong: list | None = None, until=lambda: True) -> dict:
    """*clients* threads, each with its own connection, asking for *urls* in turn (each
    client starting at a different place) until *seconds* have passed and *until()* is
    true (at most ten times as long, or 10 minutes). A 200 whose body
    differs from *expected* (the answer the URL gave alone) is a mismatch; the first
    ones are kept in *wrong* as (url, what differs)."""
    start = time.monotonic()
    stop, cap = start + seconds, start + max(10 * seconds, 600)
    results: list[list] = [[] for _ in range(clients)]   # (ms, status, mismatch)

    def going() -> bool:
        now = time.monotonic()
        return now < stop or (now < cap and not until())

    def client(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        k = i * 7
        while going() and len(results[i]) < 1_000_000:
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
            differs = status == 200 and path in expected and body != expected[path]
            if differs and wrong is not None and len(wrong) < 20:
                wrong.append((path, what_differs(expected[path], body)))
            if status != 200 and wrong is not None and len(wrong) < 20:
                wrong.append((path, f"HTTP {status}: {body[:200]!r}"))
            results[i].append((ms, status, differs))
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
    return {"requests": len(rows), "rps": len(rows) / wall, "seconds": wall, "p50": percentile(ms, .5),
            "p95": percentile(ms, .95), "p99": percentile(ms, .99), "max": max(ms),
            "errors": sum(r[1] != 200 for r in rows), "mismatches": sum(r[2] for r in rows),
            "over_2s": sum(r[0] > 2000 for r in rows)}


def what_differs(before: bytes, now: bytes) -> str:
    """Which parts of a search answer differ (JSON: hits, pages, snippets, facets,
    total), else where two bodies first differ."""
    try:
        a, b = json.loads(before), json.loads(now)
    except ValueError:
        at = next((i for i, (x, y) in enumerate(zip(before, now)) if x != y), min(len(before), len(now)))
        return f"body differs from byte {at}: {now[max(0, at - 60):at + 60]!r}"
    parts = {"total": lambda r: r.get("total_documents"),
             "hits": lambda r: [h["sha256"] for h in r.get("hits", [])],
             "pages": lambda r: [h.get("pages") for h in r.get("hits", [])],
             "snippets": lambda r: [[m.get("snippet") for m in h.get("matches", [])] for h in r.get("hits", [])],
             "facets": lambda r: r.get("facets")}
    return ", ".join(k for k, f in parts.items() if f(a) != f(b)) or "JSON differs elsewhere"


class Rebuilder:
    """Runs `moa index --rebuild` on *data_dir* in a subprocess, again and again, while
    it is on; counts the rebuilds that finished (each swaps a new index generation in)
    and keeps the failures."""

    def __init__(self, data_dir: str, wanted: int = 1):
        self.data_dir, self.wanted = data_dir, wanted
        self.finished, self.failures, self.seconds = [], [], []
        self.stopped = 0.0
        self._on = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> "Rebuilder":
        self._on.set()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopped = time.monotonic()
        self._on.clear()
        self._thread.join()         # the rebuild under way is let finish

    @property
    def done(self) -> int:
        """Rebuilds that finished (and swapped) while the load ran."""
        return sum(t <= (self.stopped or time.monotonic()) for t in self.finished)

    def enough(self) -> bool:
        """*wanted* rebuilds have finished (or one failed: no point waiting)."""
        return len(self.finished) >= self.wanted or bool(self.failures)

    def _loop(self) -> None:
        root = Path(__file__).resolve().parents[1]
        env = {**os.environ, "PYTHONPATH": str(root) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        while self._on.is_set():
            t0 = time.monotonic()
            out = subprocess.run([sys.executable, "-m", "cli", "--data-dir", self.data_dir, "index",
                                  "--rebuild", "--json"], cwd=root, env=env, capture_output=True, text=True)
            if out.returncode == 0:
                self.finished.append(time.monotonic())
                self.seconds.append(time.monotonic() - t0)
            else:
                self.failures.append(out.stderr.strip()[-300:])


def scratch_archive(data_dir: str) -> Path:
    """A copy of the archive to rebuild the index of (the one given is never written)."""
    dest = Path(tempfile.mkdtemp(prefix="moa-bench-web-")) / "data"
    shutil.copytree(data_dir, dest, symlinks=True, ignore=shutil.ignore_patterns("*.lock", "*-shm", "*-wal"))
    src = sqlite3.connect(f"file:{Path(data_dir) / 'moa.sqlite3'}?mode=ro", uri=True)
    out = sqlite3.connect(dest / "moa.sqlite3")
    src.backup(out)          # a consistent copy even if a writer was mid-transaction
    out.close()
    src.close()
    return dest


def load_main(args) -> None:
    from store.datadir import DataDir
    data_dir = args.data_dir
    if args.rebuild:
        data_dir = str(scratch_archive(args.data_dir))
        print(f"copied {args.data_dir} to {data_dir} (its index is rebuilt during the load)")
    d = DataDir(data_dir, readonly=True)
    urls = load_urls(d)
    static = ["/static/site.css"]
    n_docs = d.db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
    d.close()
    print(f"archive {d.root}: {n_docs} documents; {args.clients} clients x {args.seconds:g} s per run;"
          f" mix of {len(urls)} URLs (search pages and API, document, page image) vs. one static file")
    print(f"{'run':<34} {'requests':>8} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
          f" {'max ms':>8} {'errors':>6} {'wrong':>6} {'>2 s':>5}")
    wrong: list = []
    try:
        for threads in args.threads:
            proc, port = start_server(data_dir, threads)
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
                expected = {}
                for u in urls + static:        # warm-up and the serial answers to compare with
                    status, body = fetch(conn, u)
                    if status == 200:
                        expected[u] = body
                    elif status == 400 and "page=" in u:     # a small archive: no such page
                        print(f"  left out {u}: HTTP 400 (fewer results on this archive)")
                    else:
                        raise SystemExit(f"{u}: HTTP {status} before the load")
                conn.close()
                urls = [u for u in urls if u in expected]
                runs = [(f"mix, {threads} server threads", urls, None)]
                if args.rebuild:
                    runs.append((f"mix, {threads} threads, rebuilding", urls, Rebuilder(data_dir, args.rebuilds)))
                runs.append((f"static file, {threads} threads", static, None))
                for label, mix, rebuilder in runs:
                    if rebuilder is not None:
                        with rebuilder:
                            r = run_load(port, mix, args.clients, args.seconds, expected, wrong, rebuilder.enough)
                    else:
                        r = run_load(port, mix, args.clients, args.seconds, expected, wrong)
                    print(f"{label:<34} {r['requests']:>8} {r['rps']:>7.1f} {r['p50']:>8.1f} {r['p95']:>8.1f}"
                          f" {r['p99']:>8.1f} {r['max']:>8.1f} {r['errors']:>6} {r['mismatches']:>6}"
                          f" {r['over_2s']:>5}", flush=True)
                    if rebuilder is not None:
                        took = statistics.median(rebuilder.seconds) if rebuilder.seconds else 0
                        print(f"  {rebuilder.done} index rebuilds (swaps) finished during the run"
                              f" ({took:.1f} s each, median), {len(rebuilder.failures)} failed;"
                              f" the run lasted {r['seconds']:.0f} s", flush=True)
                        for f in rebuilder.failures[:3]:
                            print(f"  rebuild failed: {f}")
                        if not rebuilder.done:
                            raise SystemExit("no rebuild finished during the load: give more --seconds")
            finally:
                proc.terminate()
                proc.wait(timeout=30)
    finally:
        if args.rebuild:
            shutil.rmtree(Path(data_dir).parent, ignore_errors=True)
    for url, why in wrong[:10]:
        print(f"  wrong or failed: {url}: {why}")


# --- crawl -----------------------------------------------------------------------------

# Page kinds, by path (the first pattern that matches names the kind).
KINDS = [(re.compile(p), k) for p, k in [
    (r"^/$", "home"), (r"^/search$", "search page"), (r"^/search\.csv$", "search CSV"),
    (r"^/search\.atom$", "search feed"), (r"^/feeds/", "feed"),
    (r"^/doc/[^/]+/page/\d+\.png$", "page image"), (r"^/doc/[^/]+/pdf$", "PDF"),
    (r"^/doc/", "document"), (r"^/documents$", "documents"),
    (r"^/compare$", "compare"), (r"^/compare/pair/export\.", "pair export"),
    (r"^/compare/pair$", "pair redline"), (r"^/compare/deviation\.csv$", "deviation CSV"),
    (r"^/compare/deviation$", "deviation ranking"), (r"^/compare/deviation/.+/export\.", "deviation export"),
    (r"^/compare/deviation/", "deviation"), (r"^/compare/variants$", "variants index"),
    (r"^/compare/variants/.+\.csv$", "variants CSV"), (r"^/compare/variants/", "variants"),
    (r"^/compare/models\.csv$", "models CSV"), (r"^/compare/models/", "model redline"),
    (r"^/compare/models$", "models"), (r"^/api/compare/", "API compare"), (r"^/api/search$", "API search"),
    (r"^/api", "API other"), (r"^/browse\.csv$", "browse CSV"), (r"^/browse$", "browse"),
    (r"^/agenc", "agencies"), (r"^/roster$", "roster"), (r"^/coverage", "coverage"),
    (r"^/static/", "static"),
]]
COMPARE_KINDS = {k for _, k in KINDS if "compare" in k or k.startswith(("pair", "deviation", "variants", "model"))}


def page_kind(path: str) -> str:
    return next((k for p, k in KINDS if p.search(path)), "other")


class _Links(HTMLParser):
    """The links of a page: a/link href, img/script src, and GET forms submitted with
    their default values (a <select> with each of a few of its options)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self._form: dict | None = None
        self._select: list | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("a", "link") and a.get("href"):
            self.links.append(a["href"])
        elif tag in ("img", "script") and a.get("src"):
            self.links.append(a["src"])
        elif tag == "form" and (a.get("method") or "get").lower() == "get":
            self._form = {"action": a.get("action") or "", "fields": []}
        elif self._form is not None and tag == "input" and a.get("name") and a.get("type") not in ("checkbox", "radio", "submit"):
            self._form["fields"].append((a["name"], [a.get("value") or ""]))
        elif self._form is not None and tag == "select" and a.get("name"):
            self._select = []
            self._form["fields"].append((a["name"], self._select))
        elif self._select is not None and tag == "option":
            self._select.append(a.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "form" and self._form is not None:
            fields = [(n, vs) for n, vs in self._form["fields"] if vs]
            for k in range(4):      # a few combinations of the choices
                query = "&".join(f"{quote(n)}={quote(vs[(k * (j + 1) + j) % len(vs)])}" for j, (n, vs) in enumerate(fields)
                                 if vs[(k * (j + 1) + j) % len(vs)])
                self.links.append(self._form["action"] + ("?" + query if query else ""))
            self._form = None


def crawl(port: int, start: list[str], clients: int, seconds: float) -> list[tuple]:
    """*clients* crawlers sharing one frontier, from *start*, for *seconds*: each takes
    the next unvisited link of the page kind visited least so far (so that every kind
    is reached, not only the thousands of search links), fetches it and queues the links
    of HTML answers. Returns (kind, path, ms, status, server CPU ms, server thread ms, when it
    was asked in s since the crawl began) per request (the server's figures None when it did
    not say)."""
    base = f"http://127.0.0.1:{port}"
    frontier: dict[str, deque] = {}
    seen: set[str] = set()
    visits: Counter = Counter()
    guard = threading.Lock()
    out: list[tuple] = []
    stop = time.monotonic() + seconds
    began = time.perf_counter()

    def add(path: str) -> None:
        if path not in seen:
            seen.add(path)
            frontier.setdefault(page_kind(urlsplit(path).path), deque()).append(path)

    for p in start:
        add(p)

    def take() -> str | None:
        with guard:
            kinds = [k for k, q in frontier.items() if q]
            if not kinds:
                return None
            k = min(kinds, key=lambda k: visits[k])
            visits[k] += 1
            return frontier[k].popleft()

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        idle = 0
        while time.monotonic() < stop:
            path = take()
            if path is None:            # others may still be adding links
                idle += 1
                if idle > 50:
                    break
                time.sleep(0.1)
                continue
            idle = 0
            t0 = time.perf_counter()
            try:
                conn.request("GET", path)
                r = conn.getresponse()
                status, body, ctype = r.status, r.read(), r.getheader("Content-Type") or ""
                held = server_timing(r.getheader("Server-Timing"), "wall")
                cpu = server_timing(r.getheader("Server-Timing"), "cpu")
            except (OSError, http.client.HTTPException):
                status, body, ctype, held, cpu = 0, b"", "", None, None
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
            ms = (time.perf_counter() - t0) * 1000
            with guard:
                out.append((page_kind(urlsplit(path).path), path, ms, status, cpu, held, t0 - began))
            if status == 200 and ctype.startswith("text/html"):
                parser = _Links()
                parser.feed(body.decode("utf-8", "replace"))
                found = []
                for link in parser.links:
                    u = urlsplit(urljoin(base + path, link))
                    if u.netloc == f"127.0.0.1:{port}" and u.scheme == "http":
                        found.append(u.path + ("?" + u.query if u.query else ""))
                with guard:
                    for f in found:
                        add(f)
        conn.close()

    pool = [threading.Thread(target=client) for _ in range(clients)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return out


def compare_urls(d) -> list[str]:
    """Compare pages to start from (the crawl also finds them by links): pair redlines
    of a few pairs of agreements of one model and of two."""
    rows = [r[0] for r in d.db.execute(
        "SELECT sha256 FROM documents WHERE model IS NOT NULL ORDER BY model, sha256")]
    pairs = list(zip(rows[::7], rows[3::7]))[:6] + list(zip(rows[:3], rows[-3:]))
    return [f"/compare/pair?a={a}&b={b}" for a, b in pairs]


def compare_page_urls(d) -> list[str]:
    """One or a few of every kind of compare page and CSV, and the Word and PDF exports."""
    from archive import compare
    stored = compare.Stored(d)
    top = stored.top_deviations(5)
    model = top[0]["model"] if top else "TFM"
    keys = [k["key"] for k in stored.section_keys(model)][:3]
    urls = ["/compare", "/compare/deviation", "/compare/deviation.csv", "/compare/models", "/compare/models.csv",
            f"/compare/variants?model={model}"]
    urls += [f"/compare/deviation/{t['sha256']}" for t in top[:3]]
    urls += [f"/compare/variants/{k}?model={model}" for k in keys]
    urls += [f"/compare/variants/{k}.csv?model={model}" for k in keys[:1]]
    pairs = compare_urls(d)[:4]
    formats = [f for f, ok in (("docx", compare.docx_available()), ("pdf", compare.pdf_available())) if ok]
    exports = [pairs[0].replace("/compare/pair?", f"/compare/pair/export.{f}?") for f in formats] if pairs else []
    exports += [f"/compare/deviation/{t['sha256']}/export.{f}" for t in top[:1] for f in formats]
    return urls + pairs + exports


def server_timing(header: str | None, name: str) -> float | None:
    """A duration (ms) from a ``Server-Timing`` header: ``wall`` (how long the request held
    its server thread) or ``cpu`` (the CPU time that thread spent on it)."""
    m = re.search(rf"\b{name};dur=([\d.]+)", header or "")
    return float(m.group(1)) if m else None


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def crawl_main(args) -> None:
    from store.datadir import DataDir
    d = DataDir(args.data_dir, readonly=True)
    n_docs = d.db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
    start = ["/"] + compare_urls(d)
    d.close()
    threads = args.threads[0]
    proc, port = start_server(args.data_dir, threads)
    try:
        print(f"archive {d.root}: {n_docs} documents; {args.crawlers} crawlers x {args.seconds:g} s"
              f" from / (and {len(start) - 1} pair redlines), {threads} server threads;"
              f" load average {load_average()} (1, 5, 15 min) before")
        cpu0, t0 = process_cpu(proc.pid), time.monotonic()
        rows = crawl(port, start, args.crawlers, args.seconds)
        cpu, wall = process_cpu(proc.pid) - cpu0, time.monotonic() - t0
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    print(f"load average {load_average()} after; the server used {cpu:.1f} CPU-s in {wall:.1f} s"
          f" ({cpu / wall:.2f} cores; its requests' threads {sum(r[4] or 0 for r in rows) / 1000:.1f} CPU-s)")
    by_kind: dict[str, list] = {}
    for kind, path, ms, status, cpu_ms, held, _ in rows:
        by_kind.setdefault(kind, []).append((ms, status, cpu_ms, held))
    # p50/p95/max and >2 s: by the crawler's clock (the crawlers share a loaded machine too);
    # held: the longest a request of the kind held its server thread; cpu p95: its CPU time.
    print(f"{'page kind':<20} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'cpu p95':>8}"
          f" {'not 200':>7} {'>2 s':>5} {'held max':>8} {'held>2s':>7}")

    def line(label: str, got: list) -> None:
        ms, cpus = [x[0] for x in got], [x[2] for x in got if x[2] is not None] or [0.0]
        held = [x[3] for x in got if x[3] is not None] or [0.0]
        print(f"{label:<20} {len(ms):>8} {percentile(ms, .5):>8.1f} {percentile(ms, .95):>8.1f} {max(ms):>8.1f}"
              f" {percentile(cpus, .95):>8.1f} {sum(x[1] != 200 for x in got):>7} {sum(m > 2000 for m in ms):>5}"
              f" {max(held):>8.1f} {sum(h > 2000 for h in held):>7}")

    for kind in sorted(by_kind, key=lambda k: -percentile([x[0] for x in by_kind[k]], .95)):
        line(kind, by_kind[kind])
    line("all", [x for got in by_kind.values() for x in got])
    slow = [r for r in rows if r[2] > 2000]
    held_long = sum((r[5] or 0) > 2000 for r in rows)
    print(f"requests over 2 s: {len(slow)} by the crawlers' clock, {held_long} holding a server thread over 2 s"
          " (crawler ms; server thread ms, of it CPU ms)")
    nan = float("nan")
    for kind, path, ms, status, cpu_ms, held, at in sorted(slow, key=lambda r: -r[2]):
        print(f"  {ms:8.0f} ms  held {held if held is not None else nan:6.0f} ms  cpu {cpu_ms if cpu_ms is not None else nan:6.0f} ms"
              f"  at {at:5.1f} s  {status}  {path[:130]}")
    failed = [r for r in rows if r[3] != 200]
    print(f"requests not answered 200: {len(failed)}")
    for kind, path, ms, status, *_ in failed[:30]:
        print(f"  {status}  {path[:150]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default=os.environ.get("MOA_TEST_CORPUS_ARCHIVE",
                                                        "/work/devdata/corpus-archive"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--load", action="store_true", help="N clients for T seconds against the real server")
    ap.add_argument("--rebuild", action="store_true",
                    help="with --load: a run while `moa index --rebuild` runs again and again on a copy")
    ap.add_argument("--rebuilds", type=int, default=2,
                    help="with --rebuild: the run lasts at least --seconds and until this many rebuilds finished")
    ap.add_argument("--crawl", action="store_true",
                    help="crawlers following every link of the site from / against the real server")
    ap.add_argument("--crawlers", type=int, default=4)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--threads", type=lambda v: [int(x) for x in v.split(",")], default=[8],
                    help="server threads, comma-separated to compare (default 8, as moa serve)")
    args = ap.parse_args()
    if args.load:
        return load_main(args)
    if args.crawl:
        return crawl_main(args)
    app = create_app({"DATA_DIR": args.data_dir})
    client = app.test_client()
    from store.datadir import DataDir
    d = DataDir(args.data_dir, readonly=True)
    shas = [r[0] for r in d.db.execute("SELECT sha256 FROM documents ORDER BY sha256")]
    print(f"archive {d.root}: {len(shas)} documents; load average {load_average()}")

    urls = [f"/search?q={quote(q)}" for q in QUERIES] + FILTERED
    for u in urls:            # warm-up: index readers, templates
        timed(client, u)
    search_ms = [timed(client, u) for _ in range(args.rounds) for u in urls]
    report("search page", search_ms)
    print(f"  target p95 <= 150 ms: {'met' if percentile(walls(search_ms), .95) <= 150 else 'NOT met'}")
    report("search CSV (all hits)", [timed(client, f"/search.csv?q={quote(q)}") for q in QUERIES[:6]])
    report("search API", [timed(client, f"/api/search?q={quote(q)}") for q in QUERIES])
    report("document page", [timed(client, f"/doc/{s}") for s in shas[:20]])
    report("document page ?q=training", [timed(client, f"/doc/{s}?q=training") for s in shas[:20]])
    report("browse (all agreements)", [timed(client, "/browse") for _ in range(args.rounds)])

    # Each URL's first request apart: what one visitor gets (a pair's redline is computed then,
    # and kept in memory for the requests after it).
    first: dict[str, list] = {}
    again: dict[str, list] = {}
    for u in compare_page_urls(d):
        kind = page_kind(urlsplit(u).path)
        first.setdefault(kind, []).append(timed(client, u))
        for _ in range(args.rounds):
            again.setdefault(kind, []).append(timed(client, u))
    for kind in first:
        report(f"{kind}, first ask", first[kind])
        report(f"{kind}, asked again", again[kind])
    worst = max(percentile(walls(first[k] + again[k]), .95) for k in first)
    print(f"  compare pages, worst p95 {worst:.0f} ms; target < 1 s (corpus), < 2 s (~2,000 documents);"
          f" load average {load_average()}")

    cold, warm = [], []
    for s in shas[:10]:
        cached_path(d, s, 1).unlink(missing_ok=True)
        cold.append(timed(client, f"/doc/{s}/page/1.png"))
        warm.append(timed(client, f"/doc/{s}/page/1.png"))
    report("page image, first render", cold)
    report("page image, from cache", warm)
    print(f"  cache speed-up: x{statistics.median(walls(cold)) / statistics.median(walls(warm)):.0f}")


if __name__ == "__main__":
    main()
