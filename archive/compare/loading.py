"""Loading what the earlier stages stored: documents, their sections and facts.

The only SQL over other stages' tables in the compare stage (``documents``, ``facts``,
``segmentations``, ``sections``). Sections are aligned by canonical key; a key that occurs
twice in one document gets the *slot* ``key#2``.
"""
from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from archive.compare.normalize import FillIns, Tok, find_fillins, tokenize_spans
from archive.core.errors import NotFound
from archive.core.refs import resolve
from archive.structure.sections import FRONT_MATTER, era_of
from store.datadir import DataDir

AGREEMENT_KINDS = ("moa", "archive-moa")

Db = DataDir | sqlite3.Connection


def conn_of(db: Db) -> sqlite3.Connection:
    return db.db if isinstance(db, DataDir) else db


@dataclass
class SectionText:
    """One section of one document as compare sees it (its text and its slot)."""
    ord: int
    key: str
    slot: str
    number: str | None
    title: str | None
    text: str
    parent_ord: int | None = None
    pages: tuple[int, int] | None = None      # its first and last page, for citing it

    def to_dict(self) -> dict:
        return {"ord": self.ord, "key": self.key, "slot": self.slot, "number": self.number,
                "title": self.title, "text": self.text, "parent_ord": self.parent_ord,
                "pages": list(self.pages) if self.pages else None}


@dataclass
class Doc:
    sha256: str
    file_name: str | None
    kind: str
    agency: str | None
    state: str | None
    model: str | None
    signed: str | None
    revision: str | None
    era: str
    sections: list[SectionText] = field(default_factory=list)
    fillins: FillIns = field(default_factory=FillIns)

    def meta(self) -> dict:
        return {"sha256": self.sha256, "file_name": self.file_name, "agency": self.agency,
                "state": self.state, "model": self.model, "signed": self.signed,
                "revision": self.revision, "era": self.era}

    to_dict = meta

    def section(self, slot: str) -> SectionText:
        return next(s for s in self.sections if s.slot == slot)


DOC_SQL = """
SELECT d.sha256, d.file_name, d.kind, d.agency, d.state, d.signed,
       COALESCE(NULLIF(d.model, ''), d.template_model,
                (SELECT value FROM facts f WHERE f.sha256 = d.sha256 AND f.name = 'model' ORDER BY ord LIMIT 1)) AS model,
       (SELECT value FROM facts f WHERE f.sha256 = d.sha256 AND f.name = 'revision' ORDER BY ord LIMIT 1) AS revision,
       s.segmented_at, s.layout
FROM documents d JOIN segmentations s ON s.sha256 = d.sha256
"""


def doc_from_row(row) -> Doc:
    return Doc(sha256=row["sha256"], file_name=row["file_name"], kind=row["kind"], agency=row["agency"],
               state=row["state"], model=(row["model"] or "").upper() or None, signed=row["signed"],
               revision=row["revision"], era=era_of(row["signed"], row["layout"]))


def load_doc(db: Db, ref: str) -> Doc:
    """A document with its sections and fill-ins, by anything :func:`resolve` accepts."""
    conn = conn_of(db)
    sha = resolve(conn, ref)
    row = conn.execute(DOC_SQL + " WHERE d.sha256 = ?", (sha,)).fetchone()
    if row is None:
        raise NotFound(f"{ref}: this document has no sections yet; run `moa process` (it is cut into "
                       "sections after its pages are read)")
    doc = doc_from_row(row)
    doc.sections = doc_sections(conn, sha)
    doc.fillins = doc_fillins(conn, doc)
    return doc


def doc_sections(conn: sqlite3.Connection, sha: str) -> list[SectionText]:
    seen: Counter = Counter()
    out = []
    for r in conn.execute("SELECT ord, key, number, title, text, parent_ord, first_page, last_page FROM sections "
                          "WHERE sha256 = ? ORDER BY ord", (sha,)):
        seen[r["key"]] += 1
        slot = r["key"] if seen[r["key"]] == 1 else f"{r['key']}#{seen[r['key']]}"
        out.append(SectionText(r["ord"], r["key"], slot, r["number"], r["title"], r["text"], r["parent_ord"],
                               (r["first_page"], r["last_page"])))
    return out


def doc_fillins(conn: sqlite3.Connection, doc: Doc) -> FillIns:
    facts: dict[str, list[str]] = defaultdict(list)
    for r in conn.execute("SELECT name, value FROM facts WHERE sha256 = ? ORDER BY name, ord", (doc.sha256,)):
        facts[r["name"]].append(r["value"])
    text = "\n".join(s.text for s in doc.sections)
    return find_fillins(text, agency=doc.agency, state=doc.state, facts=facts)


def section_tokens(doc: Doc, section: SectionText, **options) -> list[Tok]:
    return tokenize_spans(section.text, doc.fillins, **options)


def agreements(db: Db, model: str | None = None, era: str | None = None) -> list[Doc]:
    """Segmented agreements (no templates), optionally of one model and era, oldest first."""
    conn = conn_of(db)
    rows = conn.execute(DOC_SQL + f" WHERE d.kind IN ({','.join('?' * len(AGREEMENT_KINDS))})"
                        " ORDER BY d.signed, d.sha256", AGREEMENT_KINDS).fetchall()
    docs = [doc_from_row(r) for r in rows]
    return [d for d in docs if (model is None or d.model == model.upper()) and (era is None or d.era == era)]


def held_models(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT DISTINCT model FROM documents WHERE model IS NOT NULL "
                                       "AND model != '' ORDER BY model")]


def template_for(conn: sqlite3.Connection, model: str, revision: str | None) -> str | None:
    """The held blank template of *model* (the one of *revision* if we have it)."""
    rows = conn.execute(
        "SELECT d.sha256, (SELECT value FROM facts f WHERE f.sha256 = d.sha256 AND f.name = 'revision' "
        "ORDER BY ord LIMIT 1) AS revision FROM documents d JOIN segmentations s ON s.sha256 = d.sha256 "
        "WHERE d.kind = 'template' AND UPPER(COALESCE(d.template_model, d.model)) = ? "
        "ORDER BY d.last_fetched_at DESC", (model.upper(),)).fetchall()
    for r in rows:
        if revision and r["revision"] == revision:
            return r["sha256"]
    return rows[0]["sha256"] if rows else None


def has_cut_sections(conn: sqlite3.Connection, sha: str) -> bool:
    """Whether the sections stage found any section (beyond front matter) in *sha*."""
    return conn.execute("SELECT 1 FROM sections WHERE sha256 = ? AND key != ? LIMIT 1",
                        (sha, FRONT_MATTER)).fetchone() is not None


def slot_titles(conn: sqlite3.Connection, shas) -> tuple[Counter, dict, dict]:
    """For :func:`section_keys`: per slot, how many of *shas* have it, its titles, its first ord."""
    count: Counter = Counter()
    titles: dict[str, Counter] = defaultdict(Counter)
    first: dict[str, float] = {}
    for sha in shas:
        for s in doc_sections(conn, sha):
            count[s.slot] += 1
            titles[s.slot][s.title or ""] += 1
            first.setdefault(s.slot, s.ord)
    return count, titles, first


# --- how far a document's text can be trusted -------------------------------------------

UNREADABLE_WORDLIKE = 0.75   # a page whose words look like words less often than this is garbled
UNREADABLE_OCR_CONFIDENCE = 60.0   # tesseract's mean word confidence below this: a failed reading
UNRELIABLE_SHARE = 0.2       # a document with this share of its pages unreadable is unreliable


def text_reliability(conn: sqlite3.Connection, sha: str) -> dict:
    """How much of a document's text (the ``pages`` table of the read stage) is readable:
    ``{"pages", "unreadable", "share", "unreliable"}``. A page is unreadable when its OCR
    failed or was unsure (mean confidence under 60), or when its text has letters but they
    mostly do not form words (a garbled text layer kept as good). A document is unreliable
    when a fifth of its pages or more are: its differences are the reading's, not its terms'."""
    from archive.read.textquality import MIN_CHARS, wordlike_share
    pages = unreadable = 0
    for r in conn.execute("SELECT method, text, ocr_status, ocr_confidence FROM pages WHERE sha256 = ?", (sha,)):
        pages += 1
        ocr = r["method"] in ("ocr", "both")
        if ocr and (r["ocr_status"] not in (None, "ok") or
                    (r["ocr_confidence"] is not None and r["ocr_confidence"] < UNREADABLE_OCR_CONFIDENCE)):
            unreadable += 1
        elif len(r["text"].strip()) >= MIN_CHARS and wordlike_share(r["text"]) < UNREADABLE_WORDLIKE:
            unreadable += 1
    share = round(unreadable / pages, 3) if pages else 0.0
    return {"pages": pages, "unreadable": unreadable, "share": share,
            "unreliable": bool(pages) and share >= UNRELIABLE_SHARE}
