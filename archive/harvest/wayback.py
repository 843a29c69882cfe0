"""Recovering linked PDFs that ICE no longer serves (404/410) from the Wayback Machine.

Opt-in (``--wayback``, ``MOA_WAYBACK=1``). For a dead link the harvest calls
``Recovery.recover``, which asks the CDX API for the newest captures of that URL that
answered 200 with a PDF type, fetches the newest one raw (``/web/TIMESTAMPid_/URL``, the
bytes as captured, no Wayback banner), checks it is a PDF (a capture labelled PDF can be
an HTML error page: then the next older one is tried, up to ``TRIES``), and records it
like a harvested file with its capture URL as provenance (``documents.source =
'wayback'``, ``documents.url`` = the capture URL) and a ``wayback_recoveries`` row (the
dead URL, capture URL and capture time).

Never replaces what we fetched from ICE ourselves: a URL we hold a version of, or whose
file name we hold from ICE under another URL, is not looked up. A re-run fetches nothing
again: recovered URLs are not looked up again, nor (for ``RECHECK_DAYS``) those with no
usable capture. Requests go through the harvest's fetcher (allow-list, retries, every
request in ``fetches``), at most one per ``wayback_delay`` seconds; after
``GIVE_UP_AFTER`` failures of the API in a row (timeouts, 5xx, 429) the run stops asking.
A failed request is a failure of the harvest (exit status 1: try again later); a capture
that is not a PDF is not (it is on record in ``fetches`` and ``wayback_recoveries``).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

from archive.harvest.recording import DocMeta, Source, content_problem, record_file
from store.db import transaction, utc_now

DEAD = (404, 410)        # statuses that send a linked PDF to the Wayback Machine
TRIES = 3                # newest distinct captures tried before giving up on a URL
RECHECK_DAYS = 7         # a URL with no usable capture is asked about again after this
GIVE_UP_AFTER = 3        # API failures in a row that end recovery for this run


@dataclass
class WaybackResult:
    asked: int = 0             # CDX queries sent
    recovered: int = 0         # dead links recovered in this run
    already_recovered: int = 0 # recovered by an earlier run: nothing fetched
    held: int = 0              # dead now, but we hold ICE's own copy: not looked up
    no_capture: int = 0        # no 200 PDF capture
    not_pdf: int = 0           # captures exist, none is a PDF
    failed: int = 0            # the API or the capture could not be fetched
    skipped: int = 0           # checked recently with no capture, or the API was given up on

    def to_dict(self) -> dict:
        return asdict(self)


class Recovery:
    def __init__(self, harvest):
        """*harvest*: the run that calls us (archive.harvest.run._Harvest): its fetcher,
        settings, result, and its recording of requests and failures are used."""
        self.harvest = harvest
        self.conn, self.datadir = harvest.conn, harvest.datadir
        self.base = harvest.settings.wayback_url.rstrip("/")
        self.result = WaybackResult()
        self._failures_in_a_row = 0
        self._last: float | None = None

    def recover(self, url: str, kind: str, meta: DocMeta | None, file_name: str) -> str:
        """Look *url* (a dead link) up and store its newest PDF capture. Returns the outcome."""
        outcome = self._recover(url, kind, meta, file_name)
        setattr(self.result, outcome.replace("-", "_"), getattr(self.result, outcome.replace("-", "_")) + 1)
        return outcome

    def _recover(self, url: str, kind: str, meta: DocMeta | None, file_name: str) -> str:
        if self._held(url, file_name):
            return "held"
        prev = self.conn.execute("SELECT * FROM wayback_recoveries WHERE url = ?", (url,)).fetchone()
        if prev is not None and prev["outcome"] == "recovered" and self.datadir.blobs.exists(prev["sha256"]):
            return "already-recovered"
        if prev is not None and prev["outcome"] in ("no-capture", "not-pdf") and _recent(prev["checked_at"]):
            return "skipped"
        if self._failures_in_a_row >= GIVE_UP_AFTER:
            return "skipped"
        captures = self._captures(url)
        if captures is None:
            self._note(url, "failed", error=self._last_failure())
            return "failed"
        if not captures:
            self._note(url, "no-capture")
            return "no-capture"
        outcome, error = "failed", None
        for timestamp, original in captures[:TRIES]:
            capture_url = f"{self.base}/web/{timestamp}id_/{original}"
            resp = self._get(capture_url, "wayback-capture", record=False)
            if resp is None:
                outcome, error = "failed", self._last_failure()
                continue
            problem = content_problem(resp.body or b"", "pdf")
            if problem:   # what the Wayback Machine holds, not a failure of the harvest: on record only
                outcome, error = "not-pdf", f"capture {timestamp}: {problem}"
                self.harvest._fetch_row(capture_url, "wayback-capture", resp, "failed", error=problem)
                continue
            self._store(url, capture_url, timestamp, resp, kind, meta, file_name)
            return "recovered"
        self._note(url, outcome, error=error)
        return outcome

    def _held(self, url: str, file_name: str) -> bool:
        """We hold ICE's own copy: a version fetched at this URL, or the same file name
        fetched from ICE (or imported) under another URL."""
        if self.conn.execute("SELECT 1 FROM versions WHERE url = ? LIMIT 1", (url,)).fetchone():
            return True
        return self.conn.execute("SELECT 1 FROM documents WHERE file_name = ? AND source != 'wayback' LIMIT 1",
                                 (file_name,)).fetchone() is not None

    def _captures(self, url: str) -> list[tuple[str, str]] | None:
        """(timestamp, original URL) of the 200 PDF captures of *url*, newest first,
        distinct contents only; None when the API could not be asked."""
        query = urlencode([("url", url), ("output", "json"), ("filter", "statuscode:200"),
                           ("filter", "mimetype:application/pdf"), ("fl", "timestamp,original,digest"),
                           ("limit", str(-5 * TRIES))])
        self.result.asked += 1
        resp = self._get(f"{self.base}/cdx/search/cdx?{query}", "wayback-cdx")
        if resp is None:
            return None
        body = (resp.body or b"").strip()
        try:
            rows = json.loads(body) if body else []
            if rows and rows[0][:2] == ["timestamp", "original"]:
                rows = rows[1:]
            rows = [(str(r[0]), str(r[1]), str(r[2])) for r in rows]
        except (ValueError, TypeError, IndexError):
            self.harvest._fail(url, "wayback-cdx", f"the CDX API answered something that is not its JSON: "
                                                   f"{body[:80]!r}")
            return None
        out, seen = [], set()
        for timestamp, original, digest in sorted(rows, reverse=True):
            if digest not in seen and timestamp.isdigit() and len(timestamp) == 14:
                seen.add(digest)
                out.append((timestamp, original))
        return out

    def _get(self, url: str, purpose: str, **kwargs):
        """GET through the harvest's fetcher, at most one request per wayback_delay."""
        fetcher, delay = self.harvest.fetcher, self.harvest.settings.wayback_delay
        if self._last is not None and delay > 0:
            pause = self._last + delay - fetcher.clock()
            if pause > 0:
                fetcher.sleep(pause)
        failures = len(self.harvest.result.failures)
        try:
            resp = self.harvest._fetch(url, purpose, **kwargs)
        finally:
            self._last = fetcher.clock()
        if resp is not None:
            self._failures_in_a_row = 0
        elif len(self.harvest.result.failures) > failures:
            status = self.harvest.result.failures[-1].status
            if status is None or status >= 500 or status == 429:
                self._failures_in_a_row += 1
                if self._failures_in_a_row == GIVE_UP_AFTER:
                    self.harvest.progress.note(f"the Wayback Machine at {self.base} failed {GIVE_UP_AFTER} times "
                                               "in a row; no more recovery in this run")
        return resp

    def _last_failure(self) -> str | None:
        failures = self.harvest.result.failures
        return failures[-1].reason if failures else None

    def _store(self, url: str, capture_url: str, timestamp: str, resp, kind: str, meta: DocMeta | None,
               file_name: str) -> None:
        captured_at = datetime.strptime(timestamp, "%Y%m%d%H%M%S").strftime("%Y-%m-%dT%H:%M:%SZ")
        with transaction(self.conn):
            fetch_id = self.harvest._fetch_row(capture_url, "wayback-capture", resp, "new")
            rec = record_file(self.datadir, resp.body, kind=kind, file_name=file_name, meta=meta,
                              source=Source(url=capture_url, fetched_at=utc_now(), origin="wayback",
                                            fetch_id=fetch_id))
            self.conn.execute("UPDATE fetches SET outcome = ?, sha256 = ? WHERE id = ?",
                              (rec.outcome, rec.sha256, fetch_id))
            self._note(url, "recovered", capture_url=capture_url, captured_at=captured_at, sha256=rec.sha256)
        self.harvest.result.new_files += rec.new_file

    def _note(self, url: str, outcome: str, *, capture_url=None, captured_at=None, sha256=None, error=None):
        with transaction(self.conn):
            self.conn.execute(
                "INSERT INTO wayback_recoveries(url, outcome, checked_at, capture_url, captured_at, sha256, error)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(url) DO UPDATE SET outcome = excluded.outcome,"
                " checked_at = excluded.checked_at, capture_url = excluded.capture_url,"
                " captured_at = excluded.captured_at, sha256 = excluded.sha256, error = excluded.error",
                (url, outcome, utc_now(), capture_url, captured_at, sha256, error))


def _recent(iso: str) -> bool:
    then = datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    return datetime.now(timezone.utc) - then < timedelta(days=RECHECK_DAYS)
