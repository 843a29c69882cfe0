"""`moa harvest`: fetch ICE's 287(g) program page, its roster workbooks, every MOA and
addendum they link, the fillable templates and the archive page's PDFs, into the store.

Order: program page -> rosters (recorded as snapshots, which update agreements) ->
documents. Every request becomes a ``fetches`` row; a failure is recorded with its
reason and the run goes on. Re-runs send ETag / Last-Modified, so nothing unchanged is
downloaded again.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from urllib.parse import unquote, urlsplit

from archive.harvest import ice_site, wayback
from archive.core.config import HarvestSettings
from archive.core.errors import DocumentError, FetchError
from archive.core.records import FetchFailure
from archive.core.records import FetchResult
from archive.harvest.http import Fetcher
from archive.core.progress import NullProgress, Progress
from archive.harvest.recording import (DocMeta, Source, finish_run, latest_version, record_file, start_run,
                             touch_version, writer_lock)
from archive.harvest.rosters import Roster, parse_roster
from store.datadir import DataDir
from store.db import transaction, utc_now


@dataclass
class HarvestResult:
    source_url: str
    run_id: int = 0
    status: str = "ok"            # ok | partial (some failures) | failed (nothing fetched)
    requests: int = 0             # HTTP requests sent (retries included)
    bytes: int = 0                # body bytes received
    fetched: int = 0              # rosters and documents answered usably (200 or 304)
    new_files: int = 0            # bytes not held before
    new_versions: int = 0         # changed content at a known URL
    unchanged: int = 0            # 200 with the bytes we already had
    not_modified: int = 0         # 304
    new_snapshots: int = 0
    documents: int = 0            # document URLs tried (MOAs, addenda, templates, archive)
    unpublished: int = 0          # documents a roster links that ICE answers 404 for (ICE's state)
    problems: int = 0             # every other failure: what makes the exit status 1
    failures: list[FetchFailure] = field(default_factory=list)
    wayback: dict | None = None   # with --wayback: archive.harvest.wayback.WaybackResult

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def all_done(self) -> bool:
        """Everything fetched but the linked files ICE does not publish (404)."""
        return self.status != "failed" and self.problems == 0


DOCUMENT_PURPOSES = ("moa", "addendum", "template", "archive-moa")


def unpublished(failure: FetchFailure) -> bool:
    """A document ICE links but does not publish: a 404, not a failure of the harvest."""
    return failure.status == 404 and failure.purpose in DOCUMENT_PURPOSES


def harvest(datadir: DataDir, settings: HarvestSettings, *,
            progress: Progress = NullProgress(), on_wait=None) -> HarvestResult:
    """Harvest ICE's 287(g) site as *settings* say. Never raises for a failed URL:
    see ``result.failures``; ``result.status == 'failed'`` when no roster or document
    could be fetched (ICE unreachable, refusing us, or its page changed); ``all_done``
    is False when anything but an unpublished document failed. *on_wait* hears, once,
    whose lock a second writer waits for."""
    with writer_lock(datadir, "harvest", on_wait), Fetcher(settings) as fetcher:
        return _Harvest(datadir, settings, fetcher, progress).run()


class _Harvest:
    def __init__(self, datadir: DataDir, settings: HarvestSettings, fetcher: Fetcher, progress: Progress):
        self.datadir, self.conn, self.settings = datadir, datadir.db, settings
        self.fetcher, self.progress = fetcher, progress
        self.result = HarvestResult(source_url=settings.source_url)
        self._failed_rows: list[tuple] = []
        self.recovery = wayback.Recovery(self) if settings.wayback else None

    def run(self) -> HarvestResult:
        r = self.result
        r.run_id = start_run(self.conn, "harvest", self.settings.source_url)
        try:
            self._run()
        finally:
            self._flush_failures()
            r.wayback = self.recovery.result.to_dict() if self.recovery else None
            r.requests, r.bytes = self.fetcher.requests, self.fetcher.bytes
            r.status = "failed" if r.fetched == 0 else ("partial" if r.failures else "ok")
            r.unpublished = sum(map(unpublished, r.failures))
            r.problems = len(r.failures) - r.unpublished
            finish_run(self.conn, r.run_id, r.status, {k: v for k, v in r.to_dict().items() if k != "failures"}
                       | {"failures": len(r.failures)})
        return r

    def _run(self) -> None:
        self.progress.note(f"fetching {self.settings.source_url}")
        page_resp = self._fetch(self.settings.source_url, "program-page")
        if page_resp is None:
            return
        try:
            page = ice_site.parse_program_page(_text(page_resp), page_resp.final_url)
        except FetchError as e:
            self._fail(self.settings.source_url, "program-page", e.reason)
            return
        links: dict[str, tuple[str, DocMeta | None]] = {}   # url -> (kind, meta), first wins
        for kind, urls in (("participating", page.participating), ("pending", page.pending)):
            for url in urls:
                roster = self._roster(url, kind)
                for row in roster.rows if roster else []:
                    if row.moa_url:
                        links.setdefault(row.moa_url, ("moa", None))
                    if row.addendum_url:
                        links.setdefault(row.addendum_url, ("addendum", None))
        for model, url in page.templates.items():
            links.setdefault(url, ("template", DocMeta(model=model, template_model=model,
                                                       metadata_source="program-page")))
        if page.archive_page:
            resp = self._fetch(page.archive_page, "archive-page")
            for moa in ice_site.parse_archive_page(_text(resp), resp.final_url) if resp else []:
                links.setdefault(moa.url, ("archive-moa", DocMeta(
                    agency=moa.agency, state=moa.state, model=moa.model, signed=moa.signed,
                    metadata_source="archive-page")))
        self.result.documents = len(links)
        self.progress.start(len(links), "files")
        for url, (kind, meta) in links.items():
            before = (len(self.result.failures), self.fetcher.bytes)
            if self._store(url, kind, "pdf", meta=meta) is None and self.recovery and \
                    len(self.result.failures) > before[0] and self.result.failures[-1].status in wayback.DEAD:
                self.recovery.recover(url, kind, meta, _file_name(url))
            self.progress.advance(failed=len(self.result.failures) - before[0],
                                  bytes=self.fetcher.bytes - before[1])
        self.progress.finish()

    def _roster(self, url: str, kind: str) -> Roster | None:
        """Fetch and record a roster; return its rows (from the stored copy on a 304)."""
        purpose = f"roster-{kind}"
        got = self._store(url, purpose, "xlsx", roster_kind=kind)
        if got is None:
            return None
        sha, roster = got
        if roster is None:  # not modified: read the copy we hold
            try:
                roster = parse_roster(self.datadir.blobs.read(sha), _file_name(url), kind)
            except (DocumentError, OSError) as e:
                self._fail(url, purpose, f"stored copy unreadable: {e}")
        return roster

    def _store(self, url: str, kind: str, expect: str, *, meta: DocMeta | None = None,
               roster_kind: str | None = None) -> tuple[str, Roster | None] | None:
        """Conditional GET of *url*; record the file. Returns (sha256, parsed roster or
        None), or None on failure."""
        prev = latest_version(self.conn, url)
        if prev is not None and not self.datadir.blobs.exists(prev["sha256"]):
            prev = None  # the stored file went missing: fetch it whole
        resp = self._fetch(url, kind, expect=expect, prev=prev, record=False)
        if resp is None:
            return None
        if resp.not_modified:
            touch_version(self.conn, url, utc_now(), etag=resp.etag, last_modified=resp.last_modified)
            self._fetch_row(url, kind, resp, "not-modified", sha256=prev["sha256"])
            self.result.not_modified += 1
            return prev["sha256"], None
        roster = None
        if roster_kind:
            try:
                roster = parse_roster(resp.body, url, roster_kind)
            except DocumentError as e:
                self._fetch_row(url, kind, resp, "failed", error=e.reason)
                self._fail(url, kind, e.reason, resp.status, record=False)
                return None
        with transaction(self.conn):
            fetch_id = self._fetch_row(url, kind, resp, "new")
            rec = record_file(self.datadir, resp.body, kind=kind, file_name=_file_name(url), roster=roster,
                              meta=meta, source=Source(url=url, fetched_at=utc_now(), etag=resp.etag,
                                                       last_modified=resp.last_modified, fetch_id=fetch_id))
            self.conn.execute("UPDATE fetches SET outcome = ?, sha256 = ? WHERE id = ?",
                              (rec.outcome, rec.sha256, fetch_id))
        r = self.result
        r.new_files += rec.new_file
        r.new_versions += rec.outcome == "new-version"
        r.unchanged += rec.outcome == "unchanged"
        r.new_snapshots += rec.new_snapshot
        return rec.sha256, roster

    def _fetch(self, url: str, purpose: str, *, expect: str | None = None, prev=None,
               record: bool = True) -> FetchResult | None:
        """GET *url*; on failure record it and return None. With *record*, also write
        the fetches row for a success (else the caller does, with its outcome)."""
        try:
            resp = self.fetcher.get(url, expect=expect, etag=prev["etag"] if prev else None,
                                    last_modified=prev["last_modified"] if prev else None)
        except FetchError as e:
            self._fail(url, purpose, e.reason, e.status, content_type=e.content_type)
            return None
        finally:  # every request is on record, the attempts that were retried included
            for attempt_url, status, reason in self.fetcher.retried:
                self._failed_rows.append((self.result.run_id, attempt_url, purpose, utc_now(), status,
                                          reason + " (retried)", None))
            self.fetcher.retried.clear()
        if not record:  # a file (roster or document), not a page
            self.result.fetched += 1
        else:
            self._fetch_row(url, purpose, resp, "new")
        return resp

    def _fail(self, url: str, purpose: str, reason: str, status: int | None = None, *,
              record: bool = True, content_type: str | None = None) -> None:
        self.result.failures.append(FetchFailure(url, purpose, reason, status))
        if status != 404:   # ICE's rosters link hundreds of files it does not publish
            self.progress.note(f"failed {url}: {reason}")
        if record:
            self._failed_rows.append((self.result.run_id, url, purpose, utc_now(), status, reason,
                                      content_type))
            if len(self._failed_rows) >= 100:
                self._flush_failures()

    def _flush_failures(self) -> None:
        """Failed requests are written in batches (one commit each, not one per 404)."""
        with transaction(self.conn):
            self.conn.executemany(
                "INSERT INTO fetches(run_id, url, purpose, requested_at, status, outcome, error, content_type)"
                " VALUES (?, ?, ?, ?, ?, 'failed', ?, ?)", self._failed_rows)
        self._failed_rows = []

    def _fetch_row(self, url: str, purpose: str, resp: FetchResult, outcome: str, *,
                   sha256: str | None = None, error: str | None = None) -> int:
        with transaction(self.conn):
            return self.conn.execute(
                "INSERT INTO fetches(run_id, url, final_url, purpose, requested_at, status, bytes,"
                " sha256, etag, last_modified, content_type, outcome, error)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (self.result.run_id, url, resp.final_url, purpose, utc_now(), resp.status,
                 len(resp.body) if resp.body is not None else 0, sha256, resp.etag, resp.last_modified,
                 resp.content_type, outcome, error)).lastrowid


def _file_name(url: str) -> str:
    """ICE's file name: the last URL segment, %-decoded."""
    return unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])


def _text(resp: FetchResult) -> str:
    return (resp.body or b"").decode("utf-8", errors="replace")
