"""Saved searches: `moa watch add/list/rm/run`, and their refresh after each `moa update`.

A saved search remembers the documents it matched (``watch_matches``). Refreshing it
(the pipeline does, after indexing) runs the search again through ``archive.search``'s
public API: documents that match now and did not before are recorded as *new* (a new
document, a new version — a new file, so a new sha256 — or a document re-read or re-cut
so that it now matches); documents that no longer match are forgotten, so that they are
new again if they match later. ``moa watch run`` refreshes, reports what is new since its
last run (with snippets), and marks it reported: run twice, it reports a document once.

A search is saved with what it matches at that moment counted as already seen (unless
``report_existing``), so its first run reports only what is new since then.
"""
from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field

from archive import search
from archive.core.errors import MoaError, NotFound, QueryError
from store.datadir import DataDir
from store.db import transaction, utc_now

NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class WatchError(MoaError):
    """A saved search cannot be added (bad name, taken name, unreadable query)."""


@dataclass
class Watch:
    name: str
    query: str
    created_at: str
    last_run_at: str | None
    matching: int              # documents it matched at its last refresh
    unreported: int            # of which `moa watch run` has not reported yet

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class NewMatch:
    """A document that newly matches a saved search, with where it matched."""
    sha256: str
    file_name: str | None
    kind: str | None
    agency: str | None
    state: str | None
    model: str | None
    signed: str | None
    url: str | None            # where it was fetched (NULL for imports)
    first_fetched_at: str | None
    matched_at: str            # when the saved search first saw it match
    pages: list[int]
    section: str | None
    matches: list[dict]        # kind, page, section_key, section_title, snippet (HTML, <mark>), source

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class WatchReport:
    """One saved search's refresh (or run): what matches now and what is new."""
    name: str
    query: str
    previous_run_at: str | None
    matching: int
    new: list[NewMatch] = field(default_factory=list)
    error: str | None = None   # the query could not be run (then matching is 0, new empty)

    def to_dict(self) -> dict:
        return {"name": self.name, "query": self.query, "previous_run_at": self.previous_run_at,
                "matching": self.matching, "new_count": len(self.new),
                "new": [m.to_dict() for m in self.new], "error": self.error}



def summary_line(report: dict, *, hint: bool = True) -> str:
    """One line for a saved search's refresh (a ``WatchReport.to_dict()``), as `moa update`
    (with the *hint* to run `moa watch run`) and `moa watch run` print it."""
    if report["error"]:
        return f"watch {report['name']}: error: {report['error']}"
    if not report["new_count"]:
        return f"watch {report['name']}: nothing new ({report['matching']} matching)"
    return (f"watch {report['name']}: {report['new_count']} new matching document(s) of {report['matching']}"
            + (" (`moa watch run` lists them)" if hint else ":"))


# --- saving, listing, removing -----------------------------------------------------------

def add(datadir: DataDir, name: str, query: str, *, report_existing: bool = False) -> Watch:
    """Save *query* as *name*. What it matches now counts as seen, unless *report_existing*."""
    if not NAME_RE.fullmatch(name or ""):
        raise WatchError(f"bad watch name {name!r}: use 1-64 letters, digits, '-', '_' or '.', "
                         "starting with a letter or digit")
    try:
        search.parse(query)
    except QueryError as e:
        raise WatchError(f"watch {name}: {e}") from e
    conn = datadir.db
    if conn.execute("SELECT 1 FROM watches WHERE name = ?", (name,)).fetchone():
        raise WatchError(f"a watch named {name!r} exists already (`moa watch rm {name}` first)")
    now = utc_now()
    with transaction(conn):
        conn.execute("INSERT INTO watches(name, query, created_at) VALUES (?, ?, ?)", (name, query, now))
    _refresh(datadir, name, query, now, seen=not report_existing)
    return _watch(datadir, name)


def remove(datadir: DataDir, name: str) -> None:
    with transaction(datadir.db) as conn:
        conn.execute("DELETE FROM watch_matches WHERE watch = ?", (name,))
        if conn.execute("DELETE FROM watches WHERE name = ?", (name,)).rowcount == 0:
            raise NotFound(f"no watch named {name!r} (see `moa watch list`)")


def list_watches(datadir: DataDir) -> list[Watch]:
    rows = datadir.db.execute(
        "SELECT w.*, COUNT(m.sha256) AS matching, COUNT(m.sha256) - COUNT(m.reported_at) AS unreported"
        " FROM watches w LEFT JOIN watch_matches m ON m.watch = w.name GROUP BY w.name ORDER BY w.name")
    return [Watch(r["name"], r["query"], r["created_at"], r["last_run_at"], r["matching"], r["unreported"])
            for r in rows]


def _watch(datadir: DataDir, name: str) -> Watch:
    for w in list_watches(datadir):
        if w.name == name:
            return w
    raise NotFound(f"no watch named {name!r} (see `moa watch list`)")


# --- refreshing and running ----------------------------------------------------------------

def refresh_all(datadir: DataDir) -> list[WatchReport]:
    """Re-run every saved search and record what newly matches, without reporting it
    (the pipeline calls this after indexing). ``new`` lists every match not yet reported."""
    return [_report(datadir, w, mark=False) for w in list_watches(datadir)]


def run(datadir: DataDir, names: list[str] | None = None) -> list[WatchReport]:
    """Refresh the saved searches (all, or *names*) and report, once, the documents that
    newly match since each one's last run."""
    watches = list_watches(datadir)
    if names:
        unknown = set(names) - {w.name for w in watches}
        if unknown:
            raise NotFound(f"no watch named {', '.join(sorted(unknown))} (see `moa watch list`)")
        watches = [w for w in watches if w.name in names]
    return [_report(datadir, w, mark=True) for w in watches]


def _report(datadir: DataDir, w: Watch, *, mark: bool) -> WatchReport:
    now = utc_now()
    report = WatchReport(w.name, w.query, w.last_run_at, 0)
    try:
        hits = _refresh(datadir, w.name, w.query, now)
    except QueryError as e:
        report.error = str(e)
        return report
    conn = datadir.db
    report.matching = len(hits)
    pending = conn.execute(
        "SELECT m.sha256, m.matched_at, d.file_name, d.kind, d.url, d.first_fetched_at FROM watch_matches m"
        " LEFT JOIN documents d ON d.sha256 = m.sha256 WHERE m.watch = ? AND m.reported_at IS NULL",
        (w.name,)).fetchall()
    for r in pending:
        h = hits[r["sha256"]]
        report.new.append(NewMatch(
            sha256=h.sha256, file_name=h.file_name or r["file_name"], kind=r["kind"], agency=h.agency,
            state=h.state, model=h.model, signed=h.signed, url=r["url"], first_fetched_at=r["first_fetched_at"],
            matched_at=r["matched_at"], pages=list(h.pages), section=h.section,
            matches=[m.to_dict() for m in h.matches]))
    # Newest first, as a reader of alerts expects.
    report.new.sort(key=lambda m: (m.first_fetched_at or "", m.sha256), reverse=True)
    if mark:
        with transaction(conn):
            conn.execute("UPDATE watch_matches SET reported_at = ? WHERE watch = ? AND reported_at IS NULL",
                         (now, w.name))
            conn.execute("UPDATE watches SET last_run_at = ? WHERE name = ?", (now, w.name))
    return report


def _refresh(datadir: DataDir, name: str, query: str, now: str, *, seen: bool = False) -> dict:
    """Run *query*; record documents that newly match (reported already when *seen*),
    forget those that no longer do. Returns sha256 -> search hit for every match."""
    conn = datadir.db
    if conn.execute("SELECT 1 FROM documents LIMIT 1").fetchone() is None:
        hits = {}      # an empty archive: nothing to match, and no index to open yet
    else:
        # a batch run, holding no server thread: no time limit (archive.search.time_limit)
        hits = {h.sha256: h for h in search.search(datadir, query, all_results=True, seconds=math.inf).hits}
    with transaction(conn):
        have = {r[0] for r in conn.execute("SELECT sha256 FROM watch_matches WHERE watch = ?", (name,))}
        conn.executemany("DELETE FROM watch_matches WHERE watch = ? AND sha256 = ?",
                         [(name, s) for s in have - hits.keys()])
        conn.executemany("INSERT INTO watch_matches(watch, sha256, matched_at, reported_at) VALUES (?, ?, ?, ?)",
                         [(name, s, now, now if seen else None) for s in sorted(hits.keys() - have)])
    return hits
