"""The one place that records a file we hold, whether harvested or imported.

``record_file`` stores the bytes once by sha256 (store.blobs: temp name, fsync, rename),
then in ONE transaction writes ``files``, the next ``versions`` row for its URL, and
either a roster snapshot with its rows (then refreshes ``agreements``) or a
``documents`` row. Killing the process at any point leaves either everything or
nothing in the database (an orphan blob at worst, which the next run reuses).

Linking is order-independent: a PDF recorded before the roster that names it is linked
when the roster arrives, and agreements always reflect the newest snapshot.
"""
from __future__ import annotations

import fcntl
import json
import os
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator
from urllib.parse import quote, unquote

from archive.harvest import filenames
from archive.harvest.rosters import PARTICIPATING, PENDING, Roster, published_key
from store.datadir import DataDir
from store.db import transaction, utc_now

PDF_TYPE = "application/pdf"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROSTER_KINDS = {"roster-participating": PARTICIPATING, "roster-pending": PENDING}


@dataclass
class Source:
    """Where some bytes came from."""
    url: str                       # http(s) URL, or "file:" + absolute path for imports
    fetched_at: str
    origin: str = "harvest"        # harvest | import
    etag: str | None = None
    last_modified: str | None = None
    fetch_id: int | None = None


@dataclass
class DocMeta:
    """Metadata for a document no roster links (yet): from the archive page or the file name."""
    agency: str | None = None
    state: str | None = None
    model: str | None = None
    signed: str | None = None
    template_model: str | None = None
    metadata_source: str = "file-name"   # archive-page | file-name


@dataclass
class Recorded:
    sha256: str
    version: int
    outcome: str                   # new | new-version | unchanged  (for this URL)
    new_file: bool                 # these bytes were not held before
    new_snapshot: bool = False


def content_problem(data: bytes, expect: str) -> str | None:
    """Why *data* is not a *expect* ('pdf' | 'xlsx') file, or None when it looks right."""
    head = data[:1024].lstrip()
    if expect == "pdf" and b"%PDF-" not in data[:1024]:
        what = "an HTML page" if head[:15].lower().startswith((b"<!doctype", b"<html")) else \
            f"{len(data)} bytes starting {data[:8]!r}"
        return f"not a PDF (no %PDF- signature): got {what}"
    if expect == "xlsx" and not data.startswith(b"PK\x03\x04"):
        what = "an HTML page" if head[:15].lower().startswith((b"<!doctype", b"<html")) else \
            f"{len(data)} bytes starting {data[:8]!r}"
        return f"not an .xlsx workbook (no zip signature): got {what}"
    return None


LOCK_FILE = ".writer.lock"


@contextmanager
def writer_lock(datadir: DataDir, command: str = "harvest",
                on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """One harvest or import at a time per data dir. The lock file says whose it is (pid,
    command, since when); a writer that must wait calls *on_wait* with that, once. Under
    the lock, temporary files left by a killed writer (``files/**/.tmp-*``) are removed."""
    datadir.root.mkdir(parents=True, exist_ok=True)
    with open(datadir.root / LOCK_FILE, "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait(_waiting_message(datadir))
            fcntl.flock(f, fcntl.LOCK_EX)
        try:
            f.seek(0)
            f.truncate()
            f.write(json.dumps({"pid": os.getpid(), "command": command, "since": utc_now()}))
            f.flush()
            for tmp in datadir.files_dir.glob("*/*/.tmp-*"):
                tmp.unlink(missing_ok=True)
            yield
        finally:
            f.seek(0)
            f.truncate()
            f.flush()
            fcntl.flock(f, fcntl.LOCK_UN)


def lock_holder(datadir: DataDir) -> dict | None:
    """Who holds the writer lock now ({pid, command, since}), or None when nobody does."""
    path = datadir.root / LOCK_FILE
    if not path.exists():
        return None
    with open(path) as f:
        try:
            fcntl.flock(f, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                return json.loads(f.read() or "{}") or {"pid": None, "command": None, "since": None}
            except ValueError:
                return {"pid": None, "command": None, "since": None}
        fcntl.flock(f, fcntl.LOCK_UN)
        return None


def _waiting_message(datadir: DataDir) -> str:
    holder = lock_holder(datadir) or {}
    who = (f"`moa {holder.get('command') or '?'}` (pid {holder.get('pid') or '?'}, "
           f"since {holder.get('since') or '?'})")
    return (f"waiting for {who} to finish: one harvest or import at a time in {datadir.root} "
            f"(lock file {datadir.root / LOCK_FILE})")


def start_run(conn: sqlite3.Connection, command: str, source_url: str | None = None) -> int:
    """A new ``runs`` row. Called under the writer lock, so a run still marked ``running``
    belongs to a writer that was killed: it is closed as ``interrupted`` first."""
    now = utc_now()
    with transaction(conn):
        conn.execute("UPDATE runs SET status = 'interrupted', finished_at = ? WHERE status = 'running'", (now,))
        return conn.execute("INSERT INTO runs(command, source_url, started_at) VALUES (?, ?, ?)",
                            (command, source_url, now)).lastrowid


def finish_run(conn: sqlite3.Connection, run_id: int, status: str, summary: dict) -> None:
    with transaction(conn):
        conn.execute("UPDATE runs SET finished_at = ?, status = ?, summary = ? WHERE id = ?",
                     (utc_now(), status, json.dumps(summary, default=str), run_id))


def record_file(datadir: DataDir, data: bytes, *, kind: str, file_name: str, source: Source,
                roster: Roster | None = None, meta: DocMeta | None = None) -> Recorded:
    """Record *data* seen at *source*. *kind*: moa | addendum | template | archive-moa |
    roster-participating | roster-pending (then *roster* is its parsed content)."""
    is_roster = kind in ROSTER_KINDS
    if is_roster and roster is None:
        raise ValueError("record_file: a roster needs its parsed content")
    conn = datadir.db
    sha = datadir.blobs.put(data)
    with transaction(conn):
        new_file = conn.execute(
            "INSERT OR IGNORE INTO files(sha256, bytes, kind, file_name, media_type, path, first_stored_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (sha, len(data), kind, file_name, XLSX_TYPE if is_roster else PDF_TYPE,
             "files/" + datadir.blobs.relpath(sha), source.fetched_at)).rowcount == 1
        version, outcome = _record_version(conn, sha, source)
        rec = Recorded(sha, version, outcome, new_file)
        if is_roster:
            rec.new_snapshot = _record_snapshot(conn, sha, roster, file_name, source)
            if rec.new_snapshot:
                refresh_agreements(conn)
                link_documents(conn)
        else:
            _record_document(conn, sha, kind, file_name, source, meta)
            link_documents(conn, [sha])
    return rec


def touch_version(conn: sqlite3.Connection, url: str, fetched_at: str, *, etag: str | None = None,
                  last_modified: str | None = None) -> int | None:
    """A 304 Not Modified: the latest version at *url* was confirmed. Returns its version."""
    with transaction(conn):
        row = conn.execute("SELECT version, sha256 FROM versions WHERE url = ? ORDER BY version DESC LIMIT 1",
                           (url,)).fetchone()
        if row is None:
            return None
        conn.execute("UPDATE versions SET last_fetched_at = ?, etag = COALESCE(?, etag),"
                     " last_modified = COALESCE(?, last_modified) WHERE url = ? AND version = ?",
                     (fetched_at, etag, last_modified, url, row["version"]))
        conn.execute("UPDATE documents SET last_fetched_at = max(last_fetched_at, ?) WHERE sha256 = ?",
                     (fetched_at, row["sha256"]))
        return row["version"]


def latest_version(conn: sqlite3.Connection, url: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM versions WHERE url = ? ORDER BY version DESC LIMIT 1",
                        (url,)).fetchone()


def _record_version(conn, sha: str, source: Source) -> tuple[int, str]:
    last = latest_version(conn, source.url)
    if last is not None and last["sha256"] == sha:
        conn.execute("UPDATE versions SET last_fetched_at = ?, etag = COALESCE(?, etag),"
                     " last_modified = COALESCE(?, last_modified), fetch_id = COALESCE(?, fetch_id)"
                     " WHERE url = ? AND version = ?",
                     (source.fetched_at, source.etag, source.last_modified, source.fetch_id,
                      source.url, last["version"]))
        return last["version"], "unchanged"
    version = 1 if last is None else last["version"] + 1
    conn.execute("INSERT INTO versions(url, version, sha256, etag, last_modified, first_fetched_at,"
                 " last_fetched_at, fetch_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                 (source.url, version, sha, source.etag, source.last_modified, source.fetched_at,
                  source.fetched_at, source.fetch_id))
    return version, "new" if version == 1 else "new-version"


def _record_snapshot(conn, sha: str, roster: Roster, file_name: str, source: Source) -> bool:
    """Add a snapshot unless these bytes are already one. True when added."""
    if conn.execute("SELECT 1 FROM roster_snapshots WHERE kind = ? AND sha256 = ?",
                    (roster.kind, sha)).fetchone():
        return False
    sid = conn.execute(
        "INSERT INTO roster_snapshots(kind, sha256, url, file_name, fetched_at, row_count)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (roster.kind, sha, None if source.url.startswith("file:") else source.url, file_name,
         source.fetched_at, len(roster.rows))).lastrowid
    conn.executemany(
        "INSERT INTO roster_rows(snapshot_id, row_number, state, agency, agency_key, agency_type,"
        " county, support_type, model, signed, moa_url, addendum_url, link_pending)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(sid, r.row_number, r.state, r.agency, r.agency_key, r.agency_type, r.county,
          r.support_type, r.model, r.signed, r.moa_url, r.addendum_url, int(r.link_pending))
         for r in roster.rows])
    return True


def _record_document(conn, sha: str, kind: str, file_name: str, source: Source,
                     meta: DocMeta | None) -> None:
    url = None if source.url.startswith("file:") else source.url
    if conn.execute("SELECT 1 FROM documents WHERE sha256 = ?", (sha,)).fetchone():
        conn.execute("UPDATE documents SET last_fetched_at = max(last_fetched_at, ?),"
                     " url = COALESCE(url, ?) WHERE sha256 = ?", (source.fetched_at, url, sha))
        return
    if meta is None:
        guess = filenames.infer(file_name)
        meta = DocMeta(state=guess.state, model=guess.model, signed=guess.signed,
                       metadata_source="file-name")
    conn.execute(
        "INSERT INTO documents(sha256, kind, file_name, url, agency, state, model, signed,"
        " template_model, metadata_source, source, first_fetched_at, last_fetched_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (sha, kind, file_name, url, meta.agency, meta.state, meta.model, meta.signed,
         meta.template_model, meta.metadata_source, source.origin, source.fetched_at,
         source.fetched_at))


def snapshot_order(snap) -> tuple:
    """Newest last: ICE's publication stamp in the file name, else the fetch date;
    participating after pending on the same stamp."""
    stamp = published_key(snap["file_name"]) or snap["fetched_at"][:10]
    return (stamp, snap["kind"] == PARTICIPATING, snap["fetched_at"], snap["id"])


def _snapshots(conn) -> list[sqlite3.Row]:
    return sorted(conn.execute("SELECT id, kind, file_name, fetched_at FROM roster_snapshots"),
                  key=snapshot_order)


def refresh_agreements(conn: sqlite3.Connection) -> None:
    """Recompute ``agreements`` from every snapshot: each (state, agency, model) takes the
    row of the newest snapshot listing it; its status is that snapshot's kind, or
    'removed' when the newest snapshot of that kind no longer lists it. Ids are kept."""
    snaps = _snapshots(conn)
    newest_of_kind = {s["kind"]: s["id"] for s in snaps}
    first_seen: dict[tuple, int] = {}
    latest: dict[tuple, tuple] = {}
    for snap in snaps:
        seen_here = set()
        for r in conn.execute("SELECT * FROM roster_rows WHERE snapshot_id = ? ORDER BY row_number",
                              (snap["id"],)):
            key = (r["state"], r["agency_key"], r["model"] or "")
            if key in seen_here:  # a repeated row: the first one stands
                continue
            seen_here.add(key)
            first_seen.setdefault(key, snap["id"])
            latest[key] = (r, snap)
    for key, (r, snap) in latest.items():
        status = snap["kind"] if newest_of_kind[snap["kind"]] == snap["id"] else "removed"
        values = dict(state=key[0], agency=r["agency"], agency_key=key[1], agency_type=r["agency_type"],
                      county=r["county"], model=key[2], support_type=r["support_type"], signed=r["signed"],
                      status=status, moa_url=r["moa_url"], addendum_url=r["addendum_url"],
                      link_pending=r["link_pending"], first_seen_snapshot=first_seen[key],
                      last_seen_snapshot=snap["id"])
        cols = ", ".join(values)
        updates = ", ".join(f"{c} = excluded.{c}" for c in values if c not in ("state", "agency_key", "model"))
        conn.execute(f"INSERT INTO agreements({cols}) VALUES ({', '.join('?' * len(values))})"
                     f" ON CONFLICT(state, agency_key, model) DO UPDATE SET {updates}",
                     tuple(values.values()))


def _names(url_or_name: str) -> set[str]:
    """The ways one file name can be written: as published, %-decoded, %-encoded."""
    seg = url_or_name.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return {seg, unquote(seg), quote(unquote(seg))}


def link_documents(conn: sqlite3.Connection, shas: list[str] | None = None) -> int:
    """Give documents that a roster links (by ICE's file name, the last URL segment) the
    metadata of the newest roster row linking them. Returns how many were linked."""
    order = {s["id"]: i for i, s in enumerate(_snapshots(conn))}
    if shas is None:
        docs = conn.execute("SELECT sha256, kind, file_name FROM documents").fetchall()
    else:
        docs = conn.execute(f"SELECT sha256, kind, file_name FROM documents WHERE sha256 IN"
                            f" ({','.join('?' * len(shas))})", shas).fetchall()
    linked = 0
    for doc in docs:
        if doc["kind"] == "template" or not doc["file_name"]:
            continue
        suffixes = ["/" + n for n in _names(doc["file_name"])]
        where = " OR ".join(["substr(moa_url, -?) = ? OR substr(addendum_url, -?) = ?"] * len(suffixes))
        rows = conn.execute(f"SELECT * FROM roster_rows WHERE {where}",
                            [x for s in suffixes for x in (len(s), s, len(s), s)]).fetchall()
        if not rows:
            continue
        r = max(rows, key=lambda r: (order[r["snapshot_id"]], -r["row_number"]))
        role = "moa" if (r["moa_url"] or "").endswith(tuple(suffixes)) else "addendum"
        agreement = conn.execute("SELECT id FROM agreements WHERE state = ? AND agency_key = ? AND model = ?",
                                 (r["state"], r["agency_key"], r["model"] or "")).fetchone()
        conn.execute("UPDATE documents SET kind = ?, agreement_id = ?, agency = ?, state = ?, model = ?,"
                     " signed = ?, metadata_source = 'roster' WHERE sha256 = ?",
                     (role, agreement["id"] if agreement else None, r["agency"], r["state"],
                      r["model"], r["signed"], doc["sha256"]))
        linked += 1
    return linked
