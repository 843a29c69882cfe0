"""What the archive holds: `moa status`, `moa export`, `moa roster list|diff`."""
from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass, fields
from typing import Iterator

from archive.core.errors import NotFound
from archive.core.records import RosterSnapshot
from archive.harvest.recording import lock_holder, snapshot_order
from archive.harvest.rosters import published_key
from store.datadir import DataDir

DIFF_FIELDS = ("agency", "signed", "model", "moa_url", "addendum_url", "link_pending")


def _count(conn: sqlite3.Connection, sql: str, *args) -> int:
    return conn.execute(sql, args).fetchone()[0]


def _grouped(conn: sqlite3.Connection, sql: str) -> dict:
    return {r[0]: r[1] for r in conn.execute(sql)}


@dataclass
class Run:
    """One harvest or import (``runs``); ``status`` is ``interrupted`` for a run still
    marked ``running`` whose writer was killed (nobody holds the lock)."""
    id: int
    command: str                 # harvest | import
    source_url: str | None
    started_at: str
    finished_at: str | None
    status: str                  # running | ok | partial | failed | interrupted
    summary: dict | None         # the run's counts

    @classmethod
    def from_row(cls, row, writer: dict | None) -> "Run | None":
        if row is None:
            return None
        status = "interrupted" if row["status"] == "running" and writer is None else row["status"]
        return cls(row["id"], row["command"], row["source_url"], row["started_at"], row["finished_at"],
                   status, json.loads(row["summary"]) if row["summary"] else None)


@dataclass
class ArchiveStatus:
    """What the archive holds and what failed (`moa status`); see ``status``."""
    agreements: int
    agreements_by_status: dict[str, int]
    agreements_by_model: dict[str, int]
    pending_links: int
    documents: int
    documents_by_kind: dict[str, int]
    unlinked_documents: int
    files: int
    bytes: int
    versions: int
    urls_with_several_versions: int
    roster_snapshots: dict[str, int]
    last_harvest: Run | None
    last_completed_harvest: Run | None
    last_run: Run | None
    writer: dict | None          # {pid, command, since} of the writer lock's holder
    failures: int
    fetch_failures: list[dict]   # {url, purpose, status, content_type, error}
    failed_documents: list[dict]  # {sha256, file_name, error}

    def to_dict(self) -> dict:
        return asdict(self)


def status(datadir: DataDir) -> ArchiveStatus:
    """Counts and the last runs. ``failures`` counts the failed requests of the
    last *completed* harvest (``last_completed_harvest``: not one still running or
    interrupted) plus the documents whose reading failed or is partial (OCR failed on
    some pages; details in ``fetch_failures`` and ``failed_documents``). A run marked
    ``running`` while nobody holds the writer lock was killed: it is shown as
    ``interrupted`` (the next harvest or import closes it so in the database).
    ``writer``: who holds the lock now, if anyone."""
    conn = datadir.db
    writer = lock_holder(datadir)
    last_harvest = conn.execute("SELECT * FROM runs WHERE command = 'harvest' ORDER BY id DESC LIMIT 1").fetchone()
    completed = conn.execute("SELECT * FROM runs WHERE command = 'harvest' AND status IN"
                             f" ({','.join('?' * len(COMPLETED))}) ORDER BY id DESC LIMIT 1", COMPLETED).fetchone()
    fetch_failures = [] if completed is None else [dict(r) for r in conn.execute(
        "SELECT url, purpose, status, content_type, error FROM fetches WHERE run_id = ? AND outcome = 'failed'"
        " ORDER BY id", (completed["id"],))]
    failed_documents = [dict(r) for r in conn.execute(
        "SELECT e.sha256, d.file_name, e.error FROM extractions e LEFT JOIN documents d USING (sha256)"
        " WHERE e.status IN ('failed', 'partial') ORDER BY d.file_name")]
    last_run = conn.execute("SELECT * FROM runs ORDER BY id DESC LIMIT 1").fetchone()
    return ArchiveStatus(
        agreements=_count(conn, "SELECT COUNT(*) FROM agreements"),
        agreements_by_status=_grouped(conn, "SELECT status, COUNT(*) FROM agreements GROUP BY 1 ORDER BY 1"),
        agreements_by_model=_grouped(conn, "SELECT model, COUNT(*) FROM agreements"
                                           " WHERE status != 'removed' GROUP BY 1 ORDER BY 1"),
        pending_links=_count(conn, "SELECT COUNT(*) FROM agreements WHERE status = 'participating'"
                                   " AND link_pending = 1"),
        documents=_count(conn, "SELECT COUNT(*) FROM documents"),
        documents_by_kind=_grouped(conn, "SELECT kind, COUNT(*) FROM documents GROUP BY 1 ORDER BY 1"),
        unlinked_documents=_count(conn, "SELECT COUNT(*) FROM documents WHERE agreement_id IS NULL"
                                        " AND kind IN ('moa', 'addendum')"),
        files=_count(conn, "SELECT COUNT(*) FROM files"),
        bytes=_count(conn, "SELECT COALESCE(SUM(bytes), 0) FROM files"),
        versions=_count(conn, "SELECT COUNT(*) FROM versions"),
        urls_with_several_versions=_count(conn, "SELECT COUNT(*) FROM (SELECT url FROM versions"
                                                " GROUP BY url HAVING COUNT(*) > 1)"),
        roster_snapshots=_grouped(conn, "SELECT kind, COUNT(*) FROM roster_snapshots GROUP BY 1 ORDER BY 1"),
        last_harvest=Run.from_row(last_harvest, writer),
        last_completed_harvest=Run.from_row(completed, writer),
        last_run=Run.from_row(last_run, writer),
        writer=writer,
        failures=len(fetch_failures) + len(failed_documents),
        fetch_failures=fetch_failures,
        failed_documents=failed_documents,
    )


def holdings(datadir: DataDir) -> dict:
    """The archive in a few numbers (the site's home page): documents, pages (and how
    many read by OCR), agreements, agencies, states, roster snapshots, last retrieval."""
    from archive.read.stored import page_totals
    conn = datadir.db
    return {
        "documents": _count(conn, "SELECT COUNT(*) FROM documents"),
        **page_totals(datadir),
        "agreements": _count(conn, "SELECT COUNT(*) FROM agreements"),
        "agencies": _count(conn, "SELECT COUNT(DISTINCT state || '|' || agency_key) FROM agreements"),
        "states": _count(conn, "SELECT COUNT(DISTINCT state) FROM agreements"),
        "snapshots": _count(conn, "SELECT COUNT(*) FROM roster_snapshots"),
        "last_fetch": _count(conn, "SELECT MAX(last_fetched_at) FROM documents"),
    }


COMPLETED = ("ok", "partial", "failed")


@dataclass
class ExportRow:
    """One stored document with its provenance (`moa export`): its first URL (or the
    imported path), its size and the number of versions seen at that URL."""
    sha256: str
    kind: str
    url: str | None
    file_name: str | None
    agency: str | None
    state: str | None
    model: str | None
    signed: str | None
    metadata_source: str | None
    agreement_id: int | None
    first_fetched_at: str | None
    last_fetched_at: str | None
    bytes: int
    version: int | None

    def to_dict(self) -> dict:
        return asdict(self)


EXPORT_COLUMNS = tuple(f.name for f in fields(ExportRow))


def export_rows(datadir: DataDir) -> Iterator[ExportRow]:
    """One row per stored document, by state, agency, model and file name."""
    sql = """
        SELECT d.sha256, d.kind, COALESCE(d.url, v.url) AS url, d.file_name, d.agency, d.state,
               d.model, d.signed, d.metadata_source, d.agreement_id, d.first_fetched_at,
               d.last_fetched_at, f.bytes, v.version
        FROM documents d JOIN files f USING (sha256)
        LEFT JOIN versions v ON v.sha256 = d.sha256 AND v.url = COALESCE(d.url, (
            SELECT url FROM versions WHERE sha256 = d.sha256 ORDER BY first_fetched_at LIMIT 1))
        ORDER BY d.state, d.agency, d.model, d.file_name, d.sha256"""
    for r in datadir.db.execute(sql):
        yield ExportRow(*(r[c] for c in EXPORT_COLUMNS))


ROSTER_KINDS = ("participating", "pending")


def roster_snapshots(datadir: DataDir, kind: str | None = None) -> list[dict]:
    """Every roster snapshot (or those of *kind*), oldest first as ``snapshot_order`` ranks
    them (ICE's publication stamp, else the retrieval date): the one order the CLI and the
    web list them in. Each is ``RosterSnapshot.to_dict()``."""
    sql = "SELECT id, kind, file_name, fetched_at, row_count, sha256, url FROM roster_snapshots"
    rows = datadir.db.execute(sql + " WHERE kind = ?", (kind,)) if kind else datadir.db.execute(sql)
    return [RosterSnapshot.from_row(r, published=published_key(r["file_name"]) or None).to_dict()
            for r in sorted(rows, key=snapshot_order)]


def roster_diff(datadir: DataDir, kind: str = "participating",
                old_id: int | None = None, new_id: int | None = None) -> dict:
    """Agreements added, removed and changed between two *kind* snapshots: *old_id* and
    *new_id* (by default the two newest; *old_id* alone compares it with the newest,
    *new_id* alone with the snapshot before it). An agency whose only row changed model
    shows as changed (field ``model``)."""
    snaps = roster_snapshots(datadir, kind)
    if old_id is None and new_id is None:
        if len(snaps) < 2:
            raise NotFound(f"roster diff needs two {kind} roster snapshots; the archive holds {len(snaps)} "
                           "(run `moa harvest` after ICE publishes a new roster, or `moa import` an older one)")
        return _diff(datadir.db, kind, snaps[-2], snaps[-1])
    new = _pick(datadir, snaps, kind, new_id) if new_id is not None else snaps[-1]
    if old_id is not None:
        old = _pick(datadir, snaps, kind, old_id)
    elif snaps.index(new) > 0:
        old = snaps[snaps.index(new) - 1]
    else:
        raise NotFound(f"{kind} snapshot {new['id']} is the oldest; there is nothing before it to compare")
    return _diff(datadir.db, kind, old, new)


def roster_history(datadir: DataDir, kind: str = "participating") -> list[dict]:
    """``roster_diff`` of every consecutive pair of *kind* snapshots, oldest pair first
    (empty with fewer than two snapshots)."""
    snaps = roster_snapshots(datadir, kind)
    return [_diff(datadir.db, kind, old, new) for old, new in zip(snaps, snaps[1:])]


def _pick(datadir: DataDir, snaps: list[dict], kind: str, snapshot_id: int) -> dict:
    for s in snaps:
        if s["id"] == snapshot_id:
            return s
    other = datadir.db.execute("SELECT kind FROM roster_snapshots WHERE id = ?", (snapshot_id,)).fetchone()
    if other is not None:
        raise NotFound(f"roster snapshot {snapshot_id} is a {other['kind']} roster, not {kind} "
                       f"(pass --kind {other['kind']}, or see `moa roster list`)")
    raise NotFound(f"no roster snapshot {snapshot_id} (see `moa roster list` for the ids)")


def _diff(conn: sqlite3.Connection, kind: str, old: dict, new: dict) -> dict:
    a, b = _rows_by_key(conn, old["id"]), _rows_by_key(conn, new["id"])
    added = {k: b[k] for k in b.keys() - a.keys()}
    removed = {k: a[k] for k in a.keys() - b.keys()}
    changed = []
    for k in sorted(a.keys() & b.keys()):
        fields = {f: [a[k][f], b[k][f]] for f in DIFF_FIELDS if a[k][f] != b[k][f]}
        if fields:
            changed.append(_describe(b[k]) | {"changes": fields})
    # One agency/state with one row removed and one added: a model change.
    for key2 in {k[:2] for k in added} & {k[:2] for k in removed}:
        ka = [k for k in added if k[:2] == key2]
        kr = [k for k in removed if k[:2] == key2]
        if len(ka) == len(kr) == 1:
            o, n = removed.pop(kr[0]), added.pop(ka[0])
            fields = {f: [o[f], n[f]] for f in DIFF_FIELDS if o[f] != n[f]}
            changed.append(_describe(n) | {"changes": fields})
    side = lambda s: {k: s[k] for k in ("id", "file_name", "fetched_at", "row_count")}  # noqa: E731
    return {"kind": kind, "old": side(old), "new": side(new),
            "counts": {"added": len(added), "removed": len(removed), "changed": len(changed)},
            "added": [_describe(r) for _, r in sorted(added.items())],
            "removed": [_describe(r) for _, r in sorted(removed.items())],
            "changed": sorted(changed, key=lambda c: (c["state"], c["agency"], c["model"] or ""))}


def _rows_by_key(conn, snapshot_id: int) -> dict[tuple, dict]:
    out: dict[tuple, dict] = {}
    for r in conn.execute("SELECT * FROM roster_rows WHERE snapshot_id = ? ORDER BY row_number", (snapshot_id,)):
        out.setdefault((r["state"], r["agency_key"], r["model"] or ""), dict(r))
    return out


def _describe(r: dict) -> dict:
    return {"state": r["state"], "agency": r["agency"], "model": r["model"], "signed": r["signed"],
            "moa_url": r["moa_url"]}
