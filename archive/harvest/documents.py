"""Stored documents as this stage recorded them (``documents``, ``files``, ``versions``),
for reading: metadata and provenance of one document, the list of all, the stored file.
Functions take a ``DataDir`` and return plain, JSON-able dicts."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

from archive.core.errors import NotFound
from archive.core.records import StoredDocument
from archive.harvest.agencies import agreement
from archive.harvest.rosters import agency_key


def _dicts(rows) -> list[dict]:
    return [dict(r) for r in rows]


def document(datadir, sha: str) -> dict:
    """One document's metadata and provenance: its row with the file's size and type,
    its agreement (with that agreement's documents), every version seen at its URLs,
    when it was last retrieved and the ICE URL it came from (None for an import that
    no roster links)."""
    conn = datadir.db
    row = conn.execute(
        "SELECT d.*, f.bytes, f.media_type FROM documents d JOIN files f ON f.sha256 = d.sha256"
        " WHERE d.sha256 = ?", (sha,)).fetchone()
    if row is None:
        raise NotFound(f"no document with sha256 {sha}")
    doc = dict(row)
    doc["agreement"] = agreement(datadir, doc["agreement_id"]).to_dict() if doc["agreement_id"] else None
    doc["agency_key"] = (doc["agreement"]["agency_key"] if doc["agreement"]
                         else agency_key(doc["agency"]) if doc["agency"] else None)
    doc["versions"] = versions(datadir, sha)
    doc["retrieved_at"] = max((v["last_fetched_at"] for v in doc["versions"] if v["current"]),
                              default=doc["last_fetched_at"])
    doc["source_url"] = doc["url"] or next(
        (v["url"] for v in doc["versions"] if v["url"].startswith("http")), None)
    moa_url = (doc["agreement"] or {}).get("moa_url")
    if not doc["source_url"] and moa_url and doc["file_name"] and (
            unquote(moa_url.rsplit("/", 1)[-1]) == unquote(doc["file_name"])):
        doc["source_url"] = moa_url  # an imported copy of the file ICE's roster links to
    return doc


def versions(datadir, sha: str) -> list[dict]:
    """Every version seen at every URL this document was fetched from (this one flagged)."""
    return _dicts(datadir.db.execute(
        "SELECT v.url, v.version, v.sha256, v.first_fetched_at, v.last_fetched_at,"
        " v.sha256 = :sha AS current, d.sha256 IS NOT NULL AS is_document"
        " FROM versions v LEFT JOIN documents d ON d.sha256 = v.sha256"
        " WHERE v.url IN (SELECT url FROM versions WHERE sha256 = :sha)"
        " ORDER BY v.url, v.version", {"sha": sha}))


def document_list(datadir) -> list[dict]:
    """Every stored document, by state, agency and signing date (``StoredDocument.to_dict()``)."""
    return [StoredDocument.from_row(r).to_dict() for r in datadir.db.execute(
        "SELECT sha256, kind, file_name, agency, state, model, signed, url, agreement_id, metadata_source,"
        " first_fetched_at, last_fetched_at FROM documents ORDER BY state, agency, signed, sha256")]


def stored_file(datadir, sha: str) -> tuple[Path, str | None]:
    """(path in the file store, file name) of a stored document, by sha256 only; NotFound
    when no document has it or its file is missing from the store."""
    row = datadir.db.execute("SELECT f.file_name FROM documents d JOIN files f ON f.sha256 = d.sha256"
                             " WHERE d.sha256 = ?", (sha,)).fetchone()
    if row is None:
        raise NotFound(f"no document with sha256 {sha}")
    path = datadir.blobs.path(sha)
    if not path.is_file():
        raise NotFound(f"the file of document {sha} is missing from the archive's file store")
    return path, row["file_name"]


def documents_by_prefix(datadir, prefix: str, limit: int = 20) -> list[dict]:
    """The documents whose sha256 starts with the hex digits *prefix* (at most *limit*),
    with what tells them apart: file name, agency, state, model, signing date."""
    prefix = prefix.lower()
    if not prefix or any(c not in "0123456789abcdef" for c in prefix):
        return []
    return _dicts(datadir.db.execute(
        "SELECT sha256, file_name, agency, state, model, signed FROM documents"
        " WHERE sha256 >= ? AND sha256 < ? ORDER BY sha256 LIMIT ?",
        (prefix, prefix + "g", limit)))
