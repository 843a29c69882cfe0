"""Index units: what is indexed for one document, read from the tables of the earlier
stages (pages, sections, facts, form_fields), and a fingerprint per document that says
when its units must be rewritten.

Units, one Whoosh document each, all tied to a document by ``sha256``:

- ``doc``      one per document: its fields (agency, state, signed ...) and fingerprint,
               no text: a query's words are decided per document over its page,
               section and form units (store.index.Reader.match_documents);
- ``page``     one per page and reading (``source`` text | ocr | both); the first
               reading of a page that a section runs on from also has a ``bridge``:
               the words that end it and begin the next page, as the section joins them;
- ``section``  one per section (``section_key``, ``section_title``);
- ``form``     one per filled form field.

Only doc and section units carry the document's fields: a query's fields are decided
on them (per document, or per section for ``section:``).
A document's units are written together, its doc unit last (store.index relies on it).
"""
from __future__ import annotations

import hashlib
import json
from typing import Iterator

from archive.search.query import iso_date
from archive.search.vocabulary import Splitter
from store import index as ix

FINGERPRINT_SQL = """
SELECT d.sha256, d.kind, d.file_name, d.agency, d.state, d.model, d.signed,
  (SELECT count(*) || ':' || total(length(text)) || ':' || total(length(text_layer)) || ':'
          || total(length(coalesce(ocr_text, ''))) || ':' || group_concat(method)
     FROM pages p WHERE p.sha256 = d.sha256) AS pages,
  (SELECT count(*) || ':' || total(length(text)) || ':' || group_concat(key || '/' || coalesce(title, ''))
     FROM sections s WHERE s.sha256 = d.sha256) AS sections,
  (SELECT count(*) || ':' || total(length(value)) FROM form_fields f WHERE f.sha256 = d.sha256) AS forms,
  (SELECT group_concat(value) FROM facts t WHERE t.sha256 = d.sha256 AND t.name = 'revision') AS revision,
  (SELECT extracted_at FROM extractions e WHERE e.sha256 = d.sha256) AS extracted,
  (SELECT segmented_at FROM segmentations g WHERE g.sha256 = d.sha256) AS segmented
FROM documents d
"""


def fingerprints(conn) -> dict[str, str]:
    """sha256 -> a digest of everything indexed for that document (cheap: SQL aggregates)."""
    out = {}
    for row in conn.execute(FINGERPRINT_SQL):
        digest = hashlib.sha1(json.dumps([ix.INDEX_VERSION, *tuple(row)]).encode()).hexdigest()
        out[row["sha256"]] = digest
    return out


BRIDGE_WORDS = 12     # words each side of a page break, as the section text joins them


def document_units(conn, sha256: str, fingerprint: str, splitter: Splitter | None = None) -> Iterator[dict]:
    """The index units of one document (field name -> value, see store.index.make_schema),
    read from the database; the doc unit comes last. *splitter* adds the words of
    run-together tokens."""
    d = conn.execute("SELECT * FROM documents WHERE sha256 = ?", (sha256,)).fetchone()
    rev = conn.execute("SELECT value FROM facts WHERE sha256 = ? AND name = 'revision' ORDER BY ord"
                       " LIMIT 1", (sha256,)).fetchone()
    revision = rev["value"] if rev else None
    meta = dict(sha256=sha256, agency=d["agency"] or "", state=d["state"] or "",
                model=d["model"] or "", signed=d["signed"] or "",
                year=(d["signed"] or "")[:4], revision=iso_date(revision) or "",
                revision_shown=revision, doctype=d["kind"] or "", file_name=d["file_name"])
    meta = {k: v for k, v in meta.items() if v not in ("", None)}
    pages = conn.execute("SELECT page, text, text_layer, ocr_text, method FROM pages WHERE sha256 = ?"
                         " ORDER BY page", (sha256,)).fetchall()
    sections = conn.execute("SELECT ord, key, title, first_page, last_page, text FROM sections"
                            " WHERE sha256 = ? ORDER BY ord", (sha256,)).fetchall()
    forms = conn.execute("SELECT name, value, page FROM form_fields WHERE sha256 = ? ORDER BY name",
                         (sha256,)).fetchall()
    mark = splitter.annotate if splitter is not None else (lambda t: t)
    methods = {p["page"]: p["method"] for p in pages}
    by_page = {p["page"]: p["text"] or "" for p in pages}
    bridges = _bridges(pages, sections)
    count = 0            # the units before the doc unit
    for p in pages:
        covering = next(((s["key"], s["title"]) for s in sections
                         if s["first_page"] <= p["page"] <= s["last_page"]), None)
        for n, (source, column, text) in enumerate(_readings(p)):
            content = mark(text)
            unit = dict(sha256=sha256, uid=f"{sha256}:p{p['page']}:{source}", kind="page", source=source,
                        page=p["page"], last_page=p["page"], content=content, reading=column,
                        in_section=covering)
            if n == 0 and p["page"] in bridges:      # a phrase across the break: on this page
                unit["bridge"] = bridges[p["page"]]
            count += 1
            yield unit
    for s in sections:
        found = {methods.get(n) for n in range(s["first_page"], s["last_page"] + 1)} - {None}
        source = found.pop() if len(found) == 1 else "both"
        texts = [(n, by_page[n]) for n in range(s["first_page"], s["last_page"] + 1) if n in by_page]
        yield dict(meta, uid=f"{sha256}:s{s['ord']}", kind="section", source=source,
                   page=s["first_page"], last_page=s["last_page"], content=mark(s["text"]),
                   ord=s["ord"], section_key=s["key"],
                   section_title=s["title"] or "",
                   page_starts=page_starts(s["text"], texts or [(s["first_page"], "")]))
    for f in forms:
        if not f["value"].strip():
            continue
        count += 1
        where = {"page": f["page"], "last_page": f["page"]} if f["page"] else {}
        yield dict(sha256=sha256, uid=f"{sha256}:f{f['name']}", kind="form", source="form", content=f["value"],
                   body=f["value"], **where)
    yield dict(meta, uid=f"{sha256}:doc", kind="doc", units=count + len(sections), fingerprint=fingerprint)


def _bridges(pages, sections) -> dict[int, str]:
    """page -> the words that end it and begin the next page, as a section's text joins
    them (running headers, footers and page numbers between them removed)."""
    out: dict[int, str] = {}
    by_page = {p["page"]: p["text"] or "" for p in pages}
    for s in sections:
        if s["last_page"] <= s["first_page"] or not s["text"]:
            continue
        words = ix.analyze(s["text"])
        grams: dict[tuple, int] = {}
        for i in range(len(words) - 5):
            grams.setdefault(tuple(words[i:i + 6]), i)
        for n in range(s["first_page"], s["last_page"]):
            if n in out or n + 1 not in by_page:
                continue
            nxt = ix.analyze(by_page[n + 1])
            for k in range(min(80, len(nxt) - 5)):
                j = grams.get(tuple(nxt[k:k + 6]))
                if j is not None and j > 0:
                    out[n] = " ".join(words[max(0, j - BRIDGE_WORDS):j + BRIDGE_WORDS])
                    break
    return out


def _readings(p) -> Iterator[tuple[str, str, str]]:
    """(source, column, text): the page's searched text, then each other reading that
    differs from it, so that a scanner's misreading in the text layer stays findable
    after OCR (and vice versa)."""
    seen = {_squash(p["text"])}
    yield p["method"], "text", p["text"]
    for source, column in (("text", "text_layer"), ("ocr", "ocr_text")):
        text = p[column]
        if text and text.strip() and _squash(text) not in seen:
            seen.add(_squash(text))
            yield source, column, text


def _squash(text: str) -> str:
    return " ".join(text.split())


def page_starts(text: str, pages: list[tuple[int, str]]) -> list[tuple[int, int]]:
    """(offset in a section's *text*, page) where each page's part of it begins, given
    the texts of the pages it runs over. A section's text is its pages' lines in order,
    running headers and footers left out and a clause carried over a page break joined
    onto one line (archive.structure): each line is found on the page being read, or
    on the next; a line found on neither is cut where the page's text ends."""
    starts = [(0, pages[0][0])]
    k, pos, off = 0, 0, 0
    for line in text.split("\n"):
        stripped = line.strip()
        lead = len(line) - len(line.lstrip())
        if stripped:
            j = pages[k][1].find(stripped, pos)
            if j >= 0:
                pos = j + len(stripped)
            elif k + 1 < len(pages) and (j := pages[k + 1][1].find(stripped)) >= 0:
                k, pos = k + 1, j + len(stripped)
                starts.append((off, pages[k][0]))
            elif pages[k][1].find(stripped) < 0:
                cut = _page_break_in(stripped, pages, k, pos)
                if cut is not None:
                    k, pos = k + 1, pages[k + 1][1].find(stripped[cut:]) + len(stripped) - cut
                    starts.append((off + lead + cut, pages[k][0]))
                else:
                    far = next((n for n in range(k + 2, len(pages))
                                if len(stripped) >= 12 and stripped in pages[n][1]), None)
                    if far is not None:
                        k, pos = far, pages[far][1].find(stripped) + len(stripped)
                        starts.append((off, pages[k][0]))
        off += len(line) + 1
    return starts


def _page_break_in(line: str, pages: list[tuple[int, str]], k: int, pos: int) -> int | None:
    """Where in *line* the next page begins, when the line is the end of page k joined
    to the start of page k+1 (the longest head found on page k, its rest on k+1)."""
    if k + 1 >= len(pages):
        return None
    for cut in [i for i, c in enumerate(line) if c == " "][::-1]:
        if pages[k][1].find(line[:cut], pos) >= 0:
            return cut + 1 if pages[k + 1][1].find(line[cut + 1:]) >= 0 else None
    return None
