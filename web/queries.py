"""Read-side SQL the pages and the API need (the archive is never written here).

Functions take a read-only ``sqlite3.Connection`` and return plain dicts/lists, so the
HTML views and the JSON API speak the same data.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from urllib.parse import unquote

from archive.core.errors import NotFound
from archive.core.vocabulary import MODEL_NAMES
from archive.harvest.rosters import agency_key



def _dicts(rows) -> list[dict]:
    return [dict(r) for r in rows]


# --- documents -----------------------------------------------------------------------

def document(conn: sqlite3.Connection, sha: str) -> dict:
    """Everything the document page shows about one document (but not its pages)."""
    row = conn.execute(
        "SELECT d.*, f.bytes, f.media_type, e.page_count, e.status AS extraction_status,"
        " e.error AS extraction_error, e.encrypted, s.complete AS sections_complete,"
        " s.layout AS sections_layout"
        " FROM documents d JOIN files f ON f.sha256 = d.sha256"
        " LEFT JOIN extractions e ON e.sha256 = d.sha256"
        " LEFT JOIN segmentations s ON s.sha256 = d.sha256"
        " WHERE d.sha256 = ?", (sha,)).fetchone()
    if row is None:
        raise NotFound(f"no document with sha256 {sha}")
    doc = dict(row)
    doc["model_name"] = MODEL_NAMES.get(doc["model"] or "", doc["model"])
    doc["facts"] = facts(conn, sha)
    doc["revision"] = doc["facts"].get("revision")
    doc["agreement"] = agreement(conn, doc["agreement_id"]) if doc["agreement_id"] else None
    doc["agency_key"] = (doc["agreement"]["agency_key"] if doc["agreement"]
                         else agency_key(doc["agency"]) if doc["agency"] else None)
    doc["versions"] = versions(conn, sha)
    doc["retrieved_at"] = max((v["last_fetched_at"] for v in doc["versions"] if v["current"]),
                              default=doc["last_fetched_at"])
    doc["source_url"] = doc["url"] or next(
        (v["url"] for v in doc["versions"] if v["url"].startswith("http")), None)
    moa_url = (doc["agreement"] or {}).get("moa_url")
    if not doc["source_url"] and moa_url and doc["file_name"] and (
            unquote(moa_url.rsplit("/", 1)[-1]) == unquote(doc["file_name"])):
        doc["source_url"] = moa_url  # an imported copy of the file ICE's roster links to
    return doc


def facts(conn: sqlite3.Connection, sha: str) -> dict[str, str]:
    """name -> value (several values joined by '; ')."""
    out: dict[str, list[str]] = {}
    for r in conn.execute("SELECT name, value FROM facts WHERE sha256 = ? ORDER BY name, ord", (sha,)):
        if r["value"]:
            out.setdefault(r["name"], []).append(r["value"])
    return {k: "; ".join(v) for k, v in out.items()}


def versions(conn: sqlite3.Connection, sha: str) -> list[dict]:
    """Every version seen at every URL this document was fetched from (this one flagged)."""
    return _dicts(conn.execute(
        "SELECT v.url, v.version, v.sha256, v.first_fetched_at, v.last_fetched_at,"
        " v.sha256 = :sha AS current, d.sha256 IS NOT NULL AS is_document"
        " FROM versions v LEFT JOIN documents d ON d.sha256 = v.sha256"
        " WHERE v.url IN (SELECT url FROM versions WHERE sha256 = :sha)"
        " ORDER BY v.url, v.version", {"sha": sha}))


def pages(conn: sqlite3.Connection, sha: str) -> list[dict]:
    return _dicts(conn.execute(
        "SELECT page, text, method, ocr_confidence, ocr_status, text_layer_quality"
        " FROM pages WHERE sha256 = ? ORDER BY page", (sha,)))


def page_count(conn: sqlite3.Connection, sha: str) -> int:
    row = conn.execute("SELECT page_count FROM extractions WHERE sha256 = ?", (sha,)).fetchone()
    if row and row["page_count"]:
        return row["page_count"]
    return conn.execute("SELECT COUNT(*) FROM pages WHERE sha256 = ?", (sha,)).fetchone()[0]


def sections(conn: sqlite3.Connection, sha: str) -> list[dict]:
    """The table of contents: sections in order, with their depth."""
    rows = _dicts(conn.execute(
        "SELECT ord, key, number, title, parent_ord, first_page, last_page"
        " FROM sections WHERE sha256 = ? ORDER BY ord", (sha,)))
    depth = {}
    for r in rows:
        r["depth"] = 0 if r["parent_ord"] is None else depth.get(r["parent_ord"], 0) + 1
        depth[r["ord"]] = r["depth"]
    return rows


def sections_on_page(secs: list[dict], page: int) -> list[dict]:
    """The sections (outermost level present) with text on *page*, in document order:
    the first is the one in force at the top of the page."""
    covering = [s for s in secs if s["first_page"] <= page <= s["last_page"]]
    if not covering:
        return []
    top = min(s["depth"] for s in covering)
    return [s for s in covering if s["depth"] == top]


def form_fields(conn: sqlite3.Connection, sha: str) -> list[dict]:
    return _dicts(conn.execute(
        "SELECT name, value, page FROM form_fields WHERE sha256 = ? AND value != '' ORDER BY page, name",
        (sha,)))


def blob_path(conn: sqlite3.Connection, sha: str) -> tuple[str, str | None]:
    """(path relative to the data dir, file name) of a stored document, by sha256 only."""
    row = conn.execute("SELECT f.path, f.file_name FROM documents d JOIN files f ON f.sha256 = d.sha256"
                       " WHERE d.sha256 = ?", (sha,)).fetchone()
    if row is None:
        raise NotFound(f"no document with sha256 {sha}")
    return row["path"], row["file_name"]


def document_list(conn: sqlite3.Connection) -> list[dict]:
    return _dicts(conn.execute(
        "SELECT d.sha256, d.kind, d.file_name, d.agency, d.state, d.model, d.signed, d.url,"
        " d.agreement_id, e.page_count, d.first_fetched_at, d.last_fetched_at"
        " FROM documents d LEFT JOIN extractions e ON e.sha256 = d.sha256"
        " ORDER BY d.state, d.agency, d.signed"))


# --- agreements and agencies ------------------------------------------------------------

AGREEMENT_COLUMNS = ("id, state, agency, agency_key, agency_type, county, model, support_type,"
                     " signed, status, moa_url, addendum_url, link_pending")


def agreement(conn: sqlite3.Connection, agreement_id: int) -> dict:
    row = conn.execute(f"SELECT {AGREEMENT_COLUMNS} FROM agreements WHERE id = ?",
                       (agreement_id,)).fetchone()
    if row is None:
        raise NotFound(f"no agreement with id {agreement_id}")
    a = dict(row)
    a["documents"] = _dicts(conn.execute(
        "SELECT sha256, kind, file_name, signed, first_fetched_at FROM documents"
        " WHERE agreement_id = ? ORDER BY kind, signed, first_fetched_at", (agreement_id,)))
    return a


@dataclass
class AgreementFilter:
    """Filters of the browse page; empty lists / None mean "any"."""
    state: list[str] = field(default_factory=list)
    model: list[str] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    signed_from: str | None = None   # YYYY-MM-DD or YYYY, inclusive
    signed_to: str | None = None

    def where(self, skip: str | None = None) -> tuple[str, list]:
        """SQL WHERE clause and parameters; *skip* leaves one facet out (for its counts)."""
        clauses, params = ["1=1"], []
        for name in ("state", "model", "status"):
            values = getattr(self, name)
            if values and name != skip:
                clauses.append(f"{name} IN ({','.join('?' * len(values))})")
                params += values
        if self.signed_from:
            clauses.append("signed >= ?")
            params.append(self.signed_from)
        if self.signed_to:
            clauses.append("signed <= ?")
            # "2025" as an upper bound means the whole of 2025
            params.append(self.signed_to + ("-12-31" if len(self.signed_to) == 4 else ""))
        return " AND ".join(clauses), params


def agreements(conn: sqlite3.Connection, flt: AgreementFilter | None = None) -> list[dict]:
    flt = flt or AgreementFilter()
    where, params = flt.where()
    rows = _dicts(conn.execute(
        f"SELECT {AGREEMENT_COLUMNS} FROM agreements WHERE {where}"
        " ORDER BY state, agency, model", params))
    docs: dict[int, list[dict]] = {}
    for d in conn.execute("SELECT agreement_id, sha256, kind, file_name FROM documents"
                          " WHERE agreement_id IS NOT NULL ORDER BY kind, signed, first_fetched_at"):
        docs.setdefault(d["agreement_id"], []).append(
            {"sha256": d["sha256"], "kind": d["kind"], "file_name": d["file_name"]})
    for r in rows:
        r["documents"] = docs.get(r["id"], [])
    return rows


def agreement_facets(conn: sqlite3.Connection, flt: AgreementFilter) -> dict[str, list[tuple[str, int]]]:
    """Counts per state/model/status under the other filters (so choices stay visible)."""
    out = {}
    for name in ("state", "model", "status"):
        where, params = flt.where(skip=name)
        out[name] = [(r[0], r[1]) for r in conn.execute(
            f"SELECT {name}, COUNT(*) FROM agreements WHERE {where} GROUP BY {name} ORDER BY {name}",
            params)]
    return out


def agencies(conn: sqlite3.Connection) -> list[dict]:
    """One row per (state, agency_key): its name, models and agreement count."""
    return _dicts(conn.execute(
        "SELECT state, agency_key, MAX(agency) AS agency, GROUP_CONCAT(DISTINCT model) AS models,"
        " COUNT(*) AS agreements, MIN(signed) AS first_signed, MAX(signed) AS last_signed"
        " FROM agreements GROUP BY state, agency_key ORDER BY state, agency"))


def agency(conn: sqlite3.Connection, state: str, key: str) -> dict:
    """Every agreement of one agency, its documents and its roster history."""
    rows = conn.execute(f"SELECT {AGREEMENT_COLUMNS} FROM agreements WHERE state = ? AND agency_key = ?"
                        " ORDER BY model, signed", (state, key)).fetchall()
    # documents of this agency that no roster row links to (e.g. archived or imported)
    loose = [dict(r) for r in conn.execute(
        "SELECT sha256, kind, file_name, agency, model, signed, first_fetched_at FROM documents"
        " WHERE agreement_id IS NULL AND state = ? ORDER BY signed", (state,))
        if r["agency"] and agency_key(r["agency"]) == key]
    if not rows and not loose:
        raise NotFound(f"no agency {key!r} in {state}: see the list of agencies at /agencies")
    agr = [agreement(conn, r["id"]) for r in rows]
    for a in agr:
        for d in a["documents"]:
            d["versions"] = _dicts(conn.execute(
                "SELECT url, version, first_fetched_at, last_fetched_at FROM versions"
                " WHERE sha256 = ? ORDER BY url, version", (d["sha256"],)))
    first = agr[0] if agr else {"agency": loose[0]["agency"], "agency_type": None, "county": None}
    return {
        "state": state,
        "agency_key": key,
        "agency": first["agency"],
        "agency_type": first["agency_type"],
        "county": first["county"],
        "agreements": agr,
        "other_documents": loose,
        "roster_history": roster_history(conn, state, key),
    }


def roster_history(conn: sqlite3.Connection, state: str, key: str) -> list[dict]:
    """For every roster snapshot: whether (and how) this agency was listed."""
    snaps = _dicts(conn.execute("SELECT id, kind, file_name, fetched_at FROM roster_snapshots"
                                " ORDER BY fetched_at, id"))
    listed: dict[int, list[dict]] = {}
    for r in conn.execute(
            "SELECT snapshot_id, model, support_type, signed, link_pending FROM roster_rows"
            " WHERE state = ? AND agency_key = ? ORDER BY row_number", (state, key)):
        listed.setdefault(r["snapshot_id"], []).append(dict(r))
    for s in snaps:
        s["rows"] = listed.get(s["id"], [])
    return snaps


def roster_snapshots(conn: sqlite3.Connection) -> list[dict]:
    return _dicts(conn.execute(
        "SELECT id, kind, sha256, url, file_name, fetched_at, row_count FROM roster_snapshots"
        " ORDER BY kind, fetched_at, id"))


# --- the whole archive -----------------------------------------------------------------

def summary(conn: sqlite3.Connection) -> dict:
    """Counts for the home page."""
    one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
    return {
        "documents": one("SELECT COUNT(*) FROM documents"),
        "pages": one("SELECT COUNT(*) FROM pages"),
        "ocr_pages": one("SELECT COUNT(*) FROM pages WHERE method != 'text'"),
        "agreements": one("SELECT COUNT(*) FROM agreements"),
        "agencies": one("SELECT COUNT(DISTINCT state || '|' || agency_key) FROM agreements"),
        "states": one("SELECT COUNT(DISTINCT state) FROM agreements"),
        "snapshots": one("SELECT COUNT(*) FROM roster_snapshots"),
        "last_fetch": one("SELECT MAX(last_fetched_at) FROM documents"),
    }



def roster_changes(datadir) -> list[dict]:
    """archive.status.roster_diff for each roster kind (its two newest snapshots);
    a kind with fewer than two snapshots gets ``{"kind", "message"}`` instead."""
    from archive.status import roster_diff
    out = []
    for kind in ("participating", "pending"):
        try:
            out.append(roster_diff(datadir, kind))
        except NotFound as e:
            out.append({"kind": kind, "message": str(e)})
    return out


def roster_pair_history(datadir) -> dict[str, list[dict]]:
    """archive.status.roster_history for each roster kind: the diff of every consecutive
    pair of snapshots, oldest pair first."""
    from archive.status import ROSTER_KINDS, roster_history
    return {kind: roster_history(datadir, kind) for kind in ROSTER_KINDS}
