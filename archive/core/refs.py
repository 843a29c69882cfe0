"""Looking documents up the way users name them."""
from __future__ import annotations

import sqlite3
from urllib.parse import unquote

from archive.core.errors import AmbiguousReference, NotFound


def resolve(conn: sqlite3.Connection, ref: str) -> str:
    """Return the sha256 of the document *ref* names: a sha256, a unique sha256 prefix
    (at least 6 hex digits), or ICE's file name (as published, %20 or decoded)."""
    ref = ref.strip()
    low = ref.lower()
    if len(low) >= 6 and all(c in "0123456789abcdef" for c in low):
        rows = conn.execute("SELECT sha256 FROM documents WHERE sha256 LIKE ? LIMIT 2",
                            (low + "%",)).fetchall()
        if len(rows) == 1:
            return rows[0]["sha256"]
        if len(rows) > 1:
            raise AmbiguousReference(f"{ref!r} matches more than one document; give more of the sha256")
    names = {ref, unquote(ref)}
    rows = conn.execute(
        f"SELECT DISTINCT sha256 FROM documents WHERE file_name IN ({','.join('?' * len(names))})"
        " ORDER BY last_fetched_at DESC", tuple(names)).fetchall()
    if not rows:
        rows = conn.execute(
            "SELECT DISTINCT d.sha256 FROM versions v JOIN documents d ON d.sha256 = v.sha256"
            " WHERE v.url LIKE ? OR v.url LIKE ? ORDER BY v.last_fetched_at DESC",
            tuple("%/" + n for n in (ref, unquote(ref)))).fetchall()
    if not rows:
        raise NotFound(f"no document {ref!r}: give a sha256, a unique prefix of one, or ICE's "
                       "file name (see `moa export`)")
    # Several versions under one file name: the newest is meant.
    return rows[0]["sha256"]
