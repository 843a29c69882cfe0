"""A local HTTP server playing the Wayback Machine's CDX API and raw captures (tests only).

    /cdx/search/cdx?url=URL&output=json&filter=...&fl=timestamp,original,digest&limit=-N
        -> [["timestamp","original","digest"], [...], ...] oldest first, as the real API
           (filters statuscode:200 and mimetype:application/pdf applied; a negative limit
           keeps the last N rows); no capture -> an empty body, as the real API sends
    /web/TIMESTAMPid_/URL -> the captured bytes

It listens on 127.0.0.1 but is addressed as ``localhost``, so that the allow-list tells it
apart from the ICE stand-in (tests/ice_server.py, addressed as 127.0.0.1). Captures are
keyed by the (unquoted) path of the original URL (the ICE stand-in's port changes every run).
"""
from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass
class Capture:
    timestamp: str                 # YYYYMMDDhhmmss
    body: bytes
    mimetype: str = "application/pdf"
    status: int = 200


@dataclass
class WaybackServer:
    captures: dict[str, list[Capture]] = field(default_factory=dict)   # original URL path -> captures
    cdx_delay: float = 0.0         # seconds the CDX API takes to answer (a slow API)
    log: list[str] = field(default_factory=list)                     # request paths, in order

    def __post_init__(self):
        self._lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.httpd.daemon_threads = True
        self.base = f"http://localhost:{self.httpd.server_address[1]}"

    def __enter__(self) -> "WaybackServer":
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def requests(self, prefix: str = "") -> list[str]:
        with self._lock:
            return [p for p in self.log if p.startswith(prefix)]

    def cdx_rows(self, url: str, filters: list[str]) -> list[list[str]]:
        rows = []
        for c in sorted(self.captures.get(unquote(urlsplit(url).path), []), key=lambda c: c.timestamp):
            fields = {"statuscode": str(c.status), "mimetype": c.mimetype}
            if all(fields.get(f.split(":", 1)[0]) == f.split(":", 1)[1] for f in filters):
                rows.append([c.timestamp, url, hashlib.sha1(c.body).hexdigest().upper()])
        return rows


def _handler(server: WaybackServer):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            with server._lock:
                server.log.append(self.path)
            parts = urlsplit(self.path)
            try:
                if parts.path == "/cdx/search/cdx":
                    self._cdx(parse_qs(parts.query))
                elif parts.path.startswith("/web/"):
                    self._capture(self.path[len("/web/"):])
                else:
                    self._send(404, b"not found", "text/plain")
            except (BrokenPipeError, ConnectionResetError):
                pass

        def _cdx(self, q: dict):
            time.sleep(server.cdx_delay)
            rows = server.cdx_rows(q["url"][0], q.get("filter", []))
            limit = int(q.get("limit", ["0"])[0])
            if limit < 0:
                rows = rows[limit:]
            elif limit > 0:
                rows = rows[:limit]
            body = json.dumps([["timestamp", "original", "digest"], *rows]).encode() if rows else b""
            self._send(200, body, "application/json")

        def _capture(self, rest: str):
            stamp, _, original = rest.partition("id_/")
            for c in server.captures.get(unquote(urlsplit(original).path), []):
                if c.timestamp == stamp:
                    return self._send(200, c.body, c.mimetype)
            self._send(404, b"<html><body>Wayback Machine has not archived that URL.</body></html>", "text/html")

        def _send(self, status: int, body: bytes, ctype: str):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler
