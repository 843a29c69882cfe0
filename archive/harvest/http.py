"""A polite HTTP fetcher: only allowed hosts (redirects followed by hand, each hop
checked), one request at a time with a pause per host, retries with back-off on 5xx,
timeouts and broken connections (never on 4xx), conditional requests, a size cap, and
checks that the body is complete and of the expected type."""
from __future__ import annotations

import time
from urllib.parse import urljoin, urlsplit

import httpx

from archive.core.config import HarvestSettings
from archive.core.errors import FetchError, HostNotAllowed
from archive.core.records import FetchResult
from archive.harvest.recording import content_problem

MAX_REDIRECTS = 5
REDIRECTS = (301, 302, 303, 307, 308)


class Fetcher:
    def __init__(self, settings: HarvestSettings, *, sleep=time.sleep, clock=time.monotonic):
        self.settings = settings
        self.sleep, self.clock = sleep, clock
        self.client = httpx.Client(follow_redirects=False, timeout=settings.timeout,
                                   headers={"User-Agent": settings.user_agent,
                                            # bytes exactly as published: no transfer compression
                                            "Accept-Encoding": "identity"})
        self._last: dict[str, float] = {}   # host -> time its last request ended
        self.requests = 0                   # HTTP requests actually sent
        self.bytes = 0                      # body bytes received
        self.retried: list[tuple[str, int | None, str]] = []   # failed attempts: (url, status, reason)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> "Fetcher":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and (parts.hostname or "") in self.settings.allow_hosts

    def get(self, url: str, *, expect: str | None = None, etag: str | None = None,
            last_modified: str | None = None) -> FetchResult:
        """GET *url*. *expect* 'pdf' | 'xlsx' checks the body's signature. Raises
        HostNotAllowed (no request made) or FetchError with the reason."""
        if not self.allowed(url):
            raise HostNotAllowed(url, f"host {urlsplit(url).hostname!r} is not on the allow-list "
                                      f"({', '.join(self.settings.allow_hosts)}); add it with --allow-host")
        attempts = self.settings.retries + 1
        for attempt in range(1, attempts + 1):
            try:
                resp = self._get_following_redirects(url, etag, last_modified)
            except _Retryable as e:
                if attempt == attempts:
                    raise FetchError(url, f"{e.reason} (gave up after {attempt} attempts)", status=e.status) from e
                self.retried.append((url, e.status, e.reason))
                self.sleep(max(self.settings.delay, 0.2) * 2 ** (attempt - 1))
                continue
            resp.attempts = attempt
            if resp.body is not None and expect in ("pdf", "xlsx"):
                problem = content_problem(resp.body, expect)
                if problem:
                    raise FetchError(url, problem, status=resp.status, content_type=resp.content_type)
            return resp
        raise AssertionError("unreachable")

    def _get_following_redirects(self, url: str, etag, last_modified) -> FetchResult:
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            status, headers, body = self._request(current, etag, last_modified)
            if status in REDIRECTS and headers.get("location"):
                target = urljoin(current, headers["location"])
                if not self.allowed(target):
                    raise HostNotAllowed(url, f"redirected to {target}, whose host is not on the "
                                              f"allow-list; not followed")
                current = target
                continue
            if status == 304:
                return FetchResult(url, current, 304, None, headers.get("etag") or etag,
                                headers.get("last-modified") or last_modified, headers.get("content-type"))
            if status >= 500:
                raise _Retryable(f"HTTP {status} from the server", status)
            if status != 200:
                hint = {403: "; ICE's bot protection refuses some clients: try --user-agent, or fetch "
                             "the file in a browser and `moa import` it",
                        404: "; the roster may link a file ICE has not published"}.get(status, "")
                raise FetchError(url, f"HTTP {status}{hint}", status=status,
                                 content_type=headers.get("content-type"))
            return FetchResult(url, current, 200, body, headers.get("etag"), headers.get("last-modified"),
                            headers.get("content-type"))
        raise FetchError(url, f"more than {MAX_REDIRECTS} redirects")

    def _request(self, url: str, etag, last_modified) -> tuple[int, httpx.Headers, bytes]:
        self._wait(url)
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        limit = self.settings.max_bytes
        self.requests += 1
        try:
            with self.client.stream("GET", url, headers=headers) as r:
                declared = r.headers.get("content-length")
                if r.status_code == 200 and declared and declared.isdigit() and int(declared) > limit:
                    raise FetchError(url, f"over --max-bytes: {declared} bytes declared, limit {limit}",
                                     status=200, content_type=r.headers.get("content-type"))
                chunks, size = [], 0
                if r.status_code == 200:
                    for chunk in r.iter_raw():
                        size += len(chunk)
                        if size > limit:
                            raise FetchError(url, f"over --max-bytes: more than {limit} bytes", status=200,
                                             content_type=r.headers.get("content-type"))
                        chunks.append(chunk)
                body = b"".join(chunks)
                self.bytes += size
                if r.status_code == 200 and declared and declared.isdigit() and int(declared) != size:
                    raise _Retryable(f"truncated body: {size} of {declared} bytes received", 200)
                return r.status_code, r.headers, body
        except httpx.TimeoutException as e:
            raise _Retryable(f"timed out after {self.settings.timeout:g} s ({type(e).__name__})") from e
        except httpx.RemoteProtocolError as e:
            raise _Retryable(f"truncated or broken response ({e})") from e
        except httpx.TransportError as e:
            raise _Retryable(f"cannot connect or connection lost ({type(e).__name__}: {e})") from e
        finally:
            self._last[urlsplit(url).netloc] = self.clock()

    def _wait(self, url: str) -> None:
        last = self._last.get(urlsplit(url).netloc)
        if last is not None:
            pause = last + self.settings.delay - self.clock()
            if pause > 0:
                self.sleep(pause)


class _Retryable(Exception):
    def __init__(self, reason: str, status: int | None = None):
        super().__init__(reason)
        self.reason, self.status = reason, status
