"""A local HTTP server that plays ICE's 287(g) site from a corpus directory (tests only).

Serves: the program page, the roster workbooks (rewritten with openpyxl so their MOA
links point at this server; some wrapped in SafeLinks on a host that must never be
contacted), the PDFs, the archive page, the fillable templates; plus injectable
faults (403/404/500/HTML-instead-of-PDF/slow/truncated/redirect) and ETag/Last-Modified
with 304s. Every request is logged so tests can assert what was (not) fetched.
"""
from __future__ import annotations

import bisect
import hashlib
import io
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import openpyxl

HEADER_PARTICIPATING = ["STATE", "LAW ENFORCEMENT AGENCY", "TYPE", "COUNTY", "SUPPORT TYPE",
                        "SIGNED", "MOA", "ADDENDUM"]
HEADER_PENDING = HEADER_PARTICIPATING[:5]
WRAPPER = "https://gcc02.safelinks.protection.outlook.com/?url={}&data=05%7C02%7Cx&reserved=0"


def write_roster(rows: list[dict], *, pending: bool = False) -> bytes:
    """An ICE-style workbook. Each row: state, agency, type, county, support, signed
    (date or text), moa (URL, or None for "link pending"), addendum (URL or None)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    header = HEADER_PENDING if pending else HEADER_PARTICIPATING
    ws.append(header)
    for r in rows:
        ws.append([r.get("state"), r.get("agency"), r.get("type", "County"), r.get("county"),
                   r.get("support")] + ([] if pending else [r.get("signed")]))
        if pending:
            continue
        n = ws.max_row
        moa = ws.cell(row=n, column=7)
        if r.get("moa"):
            moa.value = "link"
            moa.hyperlink = r["moa"]
        else:
            moa.value = "link pending"
        if r.get("addendum"):
            add = ws.cell(row=n, column=8)
            add.value = "link"
            add.hyperlink = r["addendum"]
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


PROGRAM = "/identify-and-arrest/287g"
ROSTERS = "/doclib/about/offices/ero/287g/"
MOAS = "/doclib/287gMOA/"
ARCHIVE = "/287g-archive"
TEMPLATES = "/sites/default/files/documents/287g/"
MODELS = ("JEM", "TFM", "TTFM", "WSO")


def blank_pdf(title: str) -> bytes:
    from pypdf import PdfWriter
    w = PdfWriter()
    w.add_blank_page(612, 792)
    w.add_metadata({"/Title": title})
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


@dataclass
class Hit:
    method: str
    path: str        # raw request path
    host: str        # Host header
    status: int
    bytes: int       # body bytes sent
    conditional: bool
    user_agent: str = ""


@dataclass
class IceServer:
    """ICE played from *corpus* (MANIFEST.csv, pdfs/, sheets/). Use as a context manager.

    faults: unquoted path -> 403 | 404 | 500 | "html" | "truncated" | "big" | "flaky"
            | ("slow", seconds) | ("redirect", location)
    overrides: unquoted path -> bytes served instead (a changed file at the same URL)
    """
    corpus: Path
    participating: str | None = None     # roster file names served; default the newest
    pending: str | None = None
    extra_links: list[tuple[str, str]] = field(default_factory=list)   # (href, text) on the program page
    faults: dict = field(default_factory=dict)
    overrides: dict = field(default_factory=dict)
    big_size: int = 3_000_000
    log: list[Hit] = field(default_factory=list)     # in the order the requests arrived

    def __post_init__(self):
        sheets = sorted((self.corpus / "sheets").glob("*.xlsx"))
        newest = lambda prefix: max((p.name for p in sheets if p.name.startswith(prefix)),  # noqa: E731
                                    key=lambda n: n[-14:-10] + n[-18:-14])
        self.participating = self.participating or newest("participating")
        self.pending = self.pending or newest("pending")
        self._lock = threading.Lock()
        self._cache: dict[str, bytes] = {}
        self._flaky_seen: set[str] = set()
        self._in_flight = 0
        self._arrivals = 0                    # requests so far; _arrived: each log entry's number
        self._arrived: list[int] = []
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.source_url = self.base + PROGRAM

    # -- lifecycle --------------------------------------------------------------
    def __enter__(self) -> "IceServer":
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- what tests ask ----------------------------------------------------------
    def hits(self, prefix: str = "") -> list[Hit]:
        """Logged requests whose unquoted path starts with *prefix* (after letting the
        requests in flight finish logging: a client can read a response before its log line)."""
        deadline = time.monotonic() + 5
        while self._in_flight and time.monotonic() < deadline:
            time.sleep(0.01)
        with self._lock:
            return [h for h in self.log if unquote(h.path).startswith(prefix)]

    def manifest(self) -> list[dict]:
        import csv
        with open(self.corpus / "MANIFEST.csv", newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))

    def roster_links(self) -> list[str]:
        """Unquoted server paths of every MOA/addendum the served participating roster links."""
        from archive.harvest.rosters import parse_roster
        roster = parse_roster(self.content(ROSTERS + self.participating), self.participating)
        return [unquote(urlsplit(u).path) for r in roster.rows for u in (r.moa_url, r.addendum_url) if u]

    def archived(self) -> list[dict]:
        """MANIFEST rows the archive page lists: every corpus PDF the served roster does not
        link, and the first one that it does (at a second URL)."""
        linked = {p.rsplit("/", 1)[-1] for p in self.roster_links()}
        pdfs = [m for m in self.manifest() if m["file"].startswith("pdfs/")]
        missing = [m for m in pdfs if unquote(m["file"][5:]) not in linked and m["file"][5:] not in linked]
        return missing + [next(m for m in pdfs if m not in missing)]

    # -- content ------------------------------------------------------------------
    def content(self, path: str) -> bytes | None:
        """Body for an unquoted path, or None (404)."""
        if path in self.overrides:
            return self.overrides[path]
        if path not in self._cache:
            body = self._build(path)
            if body is None:
                return None
            self._cache[path] = body
        return self._cache[path]

    def _build(self, path: str) -> bytes | None:
        if path == PROGRAM:
            return self._program_page().encode()
        if path == ARCHIVE:
            return self._archive_page().encode()
        if path.startswith(ROSTERS):
            name = path[len(ROSTERS):]
            if name in (self.participating, self.pending):
                return self._rewritten_roster(self.corpus / "sheets" / name)
        if path.startswith(TEMPLATES):
            model = path[len(TEMPLATES):].split("_")[0]
            return blank_pdf(f"{model} MOA (fillable)") if model in MODELS else None
        if path.startswith(MOAS):
            name = path[len(MOAS):].removeprefix("archive/")
            for candidate in (name, quote(name)):
                f = self.corpus / "pdfs" / candidate
                if f.is_file():
                    return f.read_bytes()
        return None

    def _program_page(self) -> str:
        links = [*self.extra_links,    # first, so they win over the standard links below
                 (ROSTERS + self.participating, "View 287(g) Participating Agencies"),
                 (f"//127.0.0.1:{self.httpd.server_address[1]}{ROSTERS}{self.pending}",
                  "View 287(g) Pending Agencies"),
                 *[(self.base + TEMPLATES + f"{m}_MOA_fillable.pdf", f"{m} MOA (fillable)") for m in MODELS],
                 (ARCHIVE, "Archived 287(g) MOAs")]
        items = "\n".join(f'<li><a href="{h}">{t}</a></li>' for h, t in links)
        return f"<!DOCTYPE html><html><body><h1>287(g)</h1><ul>\n{items}\n</ul></body></html>"

    def _archive_page(self) -> str:
        by_state: dict[str, list[str]] = {}
        for m in self.archived():
            signed = date_text(m["signed"])
            href = MOAS + "archive/" + m["file"][5:]
            by_state.setdefault(m["state"].title(), []).append(
                f'<li><a href="{href}">{m["agency"]} [{m["model"]}] ({signed})</a></li>')
        parts = [f'<h3 class="accordion-title">{s}</h3><div class="accordion-description"><ul>'
                 + "".join(items) + "</ul></div>" for s, items in sorted(by_state.items())]
        return "<!DOCTYPE html><html><body>" + "".join(parts) + "</body></html>"

    def _rewritten_roster(self, path: Path) -> bytes:
        """The corpus workbook with its ice.gov links pointed at this server; those ICE
        wrapped in SafeLinks stay wrapped, and so is every 5th other one."""
        from archive.harvest.ice_site import unwrap_safelinks
        wb = openpyxl.load_workbook(path)
        ws = wb.worksheets[0]
        for row in ws.iter_rows(min_row=2):
            for cell in row[6:8]:
                if cell.hyperlink is None or not cell.hyperlink.target:
                    continue
                target = cell.hyperlink.target
                real = unwrap_safelinks(target)
                parts = urlsplit(real)
                if not (parts.hostname or "").endswith("ice.gov"):
                    continue
                local = self.base + parts.path
                wrapped = real != target.strip() or cell.row % 5 == 0
                cell.hyperlink = WRAPPER.format(quote(local, safe="")) if wrapped else local
                if str(cell.value or "").startswith("http"):
                    cell.value = local
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()


def date_text(iso: str) -> str:
    from datetime import date
    d = date.fromisoformat(iso)
    return f"{d.strftime('%b')}. {d.day}, {d.year}"


def _handler(server: IceServer):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            with server._lock:
                server._in_flight += 1
                arrived = server._arrivals = server._arrivals + 1
            path = unquote(urlsplit(self.path).path)
            fault = server.faults.get(path)
            try:
                status, sent = self._answer(path, fault)
            except (BrokenPipeError, ConnectionResetError):   # the client gave up (timeout, size cap)
                status, sent = 0, 0
            with server._lock:
                server._in_flight -= 1
                # in arrival order, though a later request may finish first
                at = bisect.bisect(server._arrived, arrived)
                server._arrived.insert(at, arrived)
                server.log.insert(at, Hit("GET", self.path, self.headers.get("Host", ""), status, sent,
                                          bool(self.headers.get("If-None-Match") or self.headers.get("If-Modified-Since")),
                                          self.headers.get("User-Agent", "")))

        def _answer(self, path, fault) -> tuple[int, int]:
            if isinstance(fault, tuple) and fault[0] == "slow":
                time.sleep(fault[1])
            if isinstance(fault, tuple) and fault[0] == "redirect":
                return self._send(302, b"", headers={"Location": fault[1]})
            if fault == "flaky" and path not in server._flaky_seen:
                server._flaky_seen.add(path)
                return self._send(500, b"try again")
            if isinstance(fault, int):
                return self._send(fault, f"<html><body>Error {fault}</body></html>".encode(), "text/html")
            if fault == "html":
                return self._send(200, b"<!DOCTYPE html><html><body>Access Denied</body></html>", "text/html")
            if fault == "big":
                self.send_response(200)
                self.send_header("Content-Type", "application/pdf")
                self.end_headers()
                chunk = b"%PDF-1.7\n" + b"0" * 65527
                for _ in range(server.big_size // len(chunk) + 1):
                    self.wfile.write(chunk)
                return 200, server.big_size
            body = server.content(path)
            if body is None:
                return self._send(404, b"<html><body>Page not found</body></html>", "text/html")
            etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
            modified = formatdate(1_750_000_000 + int(etag[1:7], 16) % 10_000_000, usegmt=True)
            inm, ims = self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
            if (inm and inm == etag) or (not inm and ims and ims == modified):
                return self._send(304, b"", headers={"ETag": etag, "Last-Modified": modified})
            ctype = ("text/html" if path in (PROGRAM, ARCHIVE) else
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                     if path.endswith(".xlsx") else "application/pdf")
            headers = {"ETag": etag, "Last-Modified": modified}
            if fault == "truncated":
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return 200, len(body) // 2
            return self._send(200, body, ctype, headers)

        def _send(self, status, body, ctype="text/plain", headers=None) -> tuple[int, int]:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            if status != 304:
                self.wfile.write(body)
            return status, len(body) if status != 304 else 0

    return Handler
