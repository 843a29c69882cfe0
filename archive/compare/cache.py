"""The cache of normalised section texts (``compare_docs`` / ``compare_sections``).

Written only by :func:`refresh_cache`, which the pipeline calls after the sections stage
(``moa process`` / ``moa update``). Readers (:class:`Norms`) use the fresh rows and
normalise any stale document in memory for the life of one :class:`Norms` (one request
or one command): nothing is kept between requests, so nothing goes stale.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass

from archive.compare.loading import Db, Doc, SectionText, conn_of, load_doc, section_tokens
from archive.compare.normalize import NORMALIZER_VERSION, Tok
from archive.core.progress import NullProgress, Progress
from store.db import transaction, utc_now

CACHE_BATCH = 100           # documents normalised per cache transaction


@dataclass
class NormSection:
    sha256: str
    ord: int
    slot: str
    norm: str
    digest: str
    words: int
    spans: str | None = None            # JSON [[key, start, end], ...] in the section's text

    def to_dict(self) -> dict:
        return {"sha256": self.sha256, "ord": self.ord, "slot": self.slot, "norm": self.norm,
                "digest": self.digest, "words": self.words}


def stale_documents(conn: sqlite3.Connection) -> list[str]:
    """Segmented documents whose cached rows are missing or out of date."""
    return [r[0] for r in conn.execute(
        "SELECT d.sha256 FROM documents d JOIN segmentations s ON s.sha256 = d.sha256 "
        "LEFT JOIN compare_docs c ON c.sha256 = d.sha256 "
        "WHERE c.sha256 IS NULL OR c.normalizer_version != ? OR c.segmented_at IS NOT s.segmented_at "
        "OR c.agency IS NOT d.agency OR c.state IS NOT d.state", (NORMALIZER_VERSION,))]


def normalise_doc(conn: sqlite3.Connection, sha: str) -> tuple[Doc, list[NormSection]]:
    doc = load_doc(conn, sha)
    rows = []
    for s in doc.sections:
        toks = section_tokens(doc, s)
        norm = " ".join(t.key for t in toks)
        rows.append(NormSection(sha, s.ord, s.slot, norm, hashlib.sha1(norm.encode()).hexdigest(), len(toks),
                                json.dumps([[t.key, t.start, t.end] for t in toks], ensure_ascii=False)))
    return doc, rows


def refresh_cache(db: Db, progress: Progress | None = None) -> dict:
    """Recompute the cached normalised sections of every document whose sections, agency or
    the normaliser changed since. Returns ``{"refreshed": n, "cached": m}``.
    On a read-only archive nothing is written (readers then normalise in memory)."""
    conn = conn_of(db)
    progress = progress or NullProgress()
    stale = stale_documents(conn)
    if stale and not writable(conn):
        return {"refreshed": 0, "cached": conn.execute("SELECT COUNT(*) FROM compare_docs").fetchone()[0],
                "read_only": True}
    progress.start(len(stale), "documents")
    for start in range(0, len(stale), CACHE_BATCH):
        batch = [normalise_doc(conn, sha) for sha in stale[start:start + CACHE_BATCH]]
        with transaction(conn):
            for doc, rows in batch:
                conn.execute("DELETE FROM compare_sections WHERE sha256 = ?", (doc.sha256,))
                conn.executemany("INSERT INTO compare_sections (sha256, ord, slot, norm, digest, words, spans) "
                                 "VALUES (?, ?, ?, ?, ?, ?, ?)",
                                 [(r.sha256, r.ord, r.slot, r.norm, r.digest, r.words, r.spans) for r in rows])
                conn.execute("INSERT OR REPLACE INTO compare_docs VALUES (?, ?, "
                             "(SELECT segmented_at FROM segmentations WHERE sha256 = ?), ?, ?, ?, ?)",
                             (doc.sha256, NORMALIZER_VERSION, doc.sha256, doc.agency, doc.state,
                              json.dumps(doc.fillins.to_dict(), ensure_ascii=False), utc_now()))
        progress.advance(len(batch))
    progress.finish()
    total = conn.execute("SELECT COUNT(*) FROM compare_docs").fetchone()[0]
    return {"refreshed": len(stale), "cached": total}


def writable(conn: sqlite3.Connection) -> bool:
    try:
        with transaction(conn):
            conn.execute("DELETE FROM compare_docs WHERE 0")
        return True
    except sqlite3.OperationalError as e:
        if "readonly" in str(e):
            return False
        raise


class Norms:
    """Normalised sections of many documents, read-only: from the cache table when fresh,
    else computed in memory (and kept for the life of this object only) — for documents
    segmented since the pipeline last ran, or an archive made before the table existed."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        try:
            self.stale = set(stale_documents(conn))
            self.table = True
        except sqlite3.OperationalError as e:
            if "no such table" not in str(e):
                raise
            self.table = False
            self.stale = {r[0] for r in conn.execute("SELECT sha256 FROM segmentations")}
        self._memo: dict[str, list[NormSection]] = {}
        self._spans: dict[str, dict[int, list]] = {}

    def slot(self, slot: str, shas: list[str]) -> dict[str, NormSection]:
        """The section *slot* of each of *shas* that has it: sha256 → NormSection."""
        out: dict[str, NormSection] = {}
        wanted = set(shas)
        if self.table:
            for r in self.conn.execute("SELECT sha256, ord, slot, norm, digest, words FROM compare_sections "
                                       "WHERE slot = ?", (slot,)):
                if r["sha256"] in wanted and r["sha256"] not in self.stale:
                    out[r["sha256"]] = NormSection(*r)
        for sha in wanted & self.stale:
            for ns in self.doc(sha):
                if ns.slot == slot:
                    out[sha] = ns
        return out

    def doc(self, sha: str) -> list[NormSection]:
        if sha in self.stale:
            if sha not in self._memo:
                self._memo[sha] = normalise_doc(self.conn, sha)[1]
            return self._memo[sha]
        return [NormSection(*r) for r in self.conn.execute(
            "SELECT sha256, ord, slot, norm, digest, words FROM compare_sections WHERE sha256 = ? ORDER BY ord",
            (sha,))]

    def tokens(self, doc: Doc, section: SectionText, **options) -> list[Tok]:
        """The tokens of one section (as :func:`section_tokens` cuts them), from the cached
        spans when the document's rows are fresh and the options are the defaults."""
        if options and not all(options.values()):
            return section_tokens(doc, section, **options)
        if doc.sha256 not in self._spans:
            rows = [] if doc.sha256 in self.stale or not self.table else self.conn.execute(
                "SELECT ord, spans FROM compare_sections WHERE sha256 = ?", (doc.sha256,)).fetchall()
            self._spans[doc.sha256] = {r[0]: json.loads(r[1]) for r in rows if r[1] is not None}
        spans = self._spans[doc.sha256].get(section.ord)
        if spans is None:
            return section_tokens(doc, section)
        text = section.text
        return [Tok(k, " ".join(text[a:b].split()) if k.startswith("‹") else text[a:b], a, b) for k, a, b in spans]
