"""What the Atom feeds list (web/feeds.py writes them): new documents and versions,
roster changes between snapshots, and the documents of any search, newest first.

Entry ids are ``tag:`` URIs built from what does not change: a document's sha256, a
roster snapshot's sha256 and the agreement's (state, agency, model) — so the same entry
keeps its id whatever host serves the archive and however often it is rebuilt.
"""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field

from archive import search
from archive.harvest.rosters import agency_key
from archive.status import roster_history
from store.datadir import DataDir

TAG = "tag:moa-archive,2025:"
DEFAULT_ENTRIES = 100        # entries per feed, newest first (?limit= up to MAX_ENTRIES)
MAX_ENTRIES = 1000


@dataclass
class FeedEntry:
    id: str                    # a tag: URI, stable
    title: str
    updated: str               # ISO 8601 UTC (when the archive first retrieved it / saw the change)
    summary: str               # plain text
    document: str | None = None            # sha256: the entry links to that document's page
    agency: tuple[str, str] | None = None  # (state, agency_key): links to that agency's page
    snippets: list[str] = field(default_factory=list)   # HTML, hits in <mark> (search feed)

    def to_dict(self) -> dict:
        return asdict(self)


def document_id(sha256: str) -> str:
    return f"{TAG}document:{sha256}"


def _describe(agency, state, model, file_name) -> str:
    who = agency or file_name or "a document"
    where = ", ".join(x for x in ((state or "").title(), model or "") if x)
    return f"{who} ({where})" if where else who


def document_entries(datadir: DataDir, limit: int = DEFAULT_ENTRIES) -> list[FeedEntry]:
    """Every document as first retrieved (a changed file at a known URL is a new version:
    a new document), newest first."""
    rows = datadir.db.execute(
        """SELECT d.sha256, d.kind, d.file_name, d.agency, d.state, d.model, d.signed, d.source,
                  v.url, v.version, v.first_fetched_at
           FROM documents d JOIN versions v ON v.sha256 = d.sha256
           WHERE v.rowid = (SELECT rowid FROM versions WHERE sha256 = d.sha256
                            ORDER BY first_fetched_at, version LIMIT 1)
           ORDER BY v.first_fetched_at DESC, v.version DESC, d.sha256 DESC LIMIT ?""", (limit,)).fetchall()
    out = []
    for r in rows:
        what = _describe(r["agency"], r["state"], r["model"], r["file_name"])
        title = (f"New version {r['version']}: {what}" if r["version"] > 1 else f"New {r['kind']}: {what}")
        where = r["url"][5:] if r["url"].startswith("file:") else r["url"]
        summary = (f"{r['model'] or 'model unknown'}, signed "
                   f"{r['signed'] or 'date unknown'}; file {r['file_name']} "
                   f"({'imported from' if r['source'] == 'import' else 'retrieved from'} {where}"
                   + (", version " + str(r["version"]) + " at that address" if r["version"] > 1 else "")
                   + f"); sha256 {r['sha256']}")
        if r["source"] == "wayback":
            summary += "; recovered from the Wayback Machine (ICE's link answered 404)"
        out.append(FeedEntry(document_id(r["sha256"]), title, r["first_fetched_at"], summary,
                             document=r["sha256"]))
    return out


def roster_entries(datadir: DataDir, limit: int = DEFAULT_ENTRIES) -> list[FeedEntry]:
    """One entry per agreement added, removed or changed between consecutive snapshots of
    each roster, newest snapshot first."""
    conn = datadir.db
    sha = {r["id"]: r["sha256"] for r in conn.execute("SELECT id, sha256 FROM roster_snapshots")}
    pairs = [p for kind in ("participating", "pending") for p in roster_history(datadir, kind)]
    pairs.sort(key=lambda p: (p["new"]["fetched_at"], p["new"]["id"]), reverse=True)
    out: list[FeedEntry] = []
    for p in pairs:
        kind, new = p["kind"], p["new"]
        for change, rows in (("added", p["added"]), ("removed", p["removed"]), ("changed", p["changed"])):
            for r in rows:
                key = agency_key(r["agency"])
                ident = hashlib.sha256("\x1f".join(
                    [kind, sha[new["id"]], change, r["state"], key, r["model"] or ""]).encode()).hexdigest()[:32]
                what = _describe(r["agency"], r["state"], r["model"], None)
                title = {"added": f"Added to the {kind} roster: {what}",
                         "removed": f"Removed from the {kind} roster: {what}",
                         "changed": f"Changed on the {kind} roster: {what}"}[change]
                summary = f"Between {p['old']['file_name']} and {new['file_name']}"
                if change == "changed":
                    summary += ": " + "; ".join(f"{f}: {a} -> {b}" for f, (a, b) in r["changes"].items())
                else:
                    summary += f"; signed {r['signed'] or 'date unknown'}" + (
                        f"; MOA {r['moa_url']}" if r.get("moa_url") else "")
                out.append(FeedEntry(f"{TAG}roster:{ident}", title, new["fetched_at"], summary,
                                     agency=(r["state"], key)))
                if len(out) == limit:
                    return out
    return out


def search_entries(datadir: DataDir, query: str, filters: dict[str, list[str]] | None = None,
                   limit: int = DEFAULT_ENTRIES) -> list[FeedEntry]:
    """The documents a search finds (archive.search), newest first by first retrieval.
    Raises QueryError for a query that cannot be read."""
    res = search.search(datadir, query, filters=filters, all_results=True)
    if not res.hits:
        return []
    first = dict(datadir.db.execute(
        f"SELECT sha256, first_fetched_at FROM documents WHERE sha256 IN ({','.join('?' * len(res.hits))})",
        [h.sha256 for h in res.hits]).fetchall())
    hits = sorted(res.hits, key=lambda h: (first.get(h.sha256) or "", h.sha256), reverse=True)[:limit]
    out = []
    for h in hits:
        pages = ", ".join(map(str, h.pages))
        summary = (f"{h.model or 'model unknown'}, signed "
                   f"{h.signed or 'date unknown'}; file {h.file_name}"
                   + (f"; matches on page(s) {pages}" if pages else "")
                   + (f"; section {h.section}" if h.section else ""))
        out.append(FeedEntry(document_id(h.sha256), _describe(h.agency, h.state, h.model, h.file_name),
                             first.get(h.sha256) or "", summary, document=h.sha256,
                             snippets=[m.snippet for m in h.matches]))
    return out
