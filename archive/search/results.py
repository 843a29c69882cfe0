"""Running searches: documents matching a query tree, best first, with facets, and
the pages / sections / form fields where they match, with snippets.

A query is decided per document (so ``detainer AND warrant`` finds documents with both
words anywhere in them), except that a query naming ``section:`` is decided per section
(all its words inside one such section). Matching pages, sections and form fields are
then located for the documents shown, and only those get highlighted snippets.
"""
from __future__ import annotations

import warnings
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from typing import Iterator

from archive.core.errors import IndexBusy, IndexNotBuilt, QueryError
from archive.search.indexing import IndexRebuiltWarning, rebuild_index
from archive.search.query import FACETS, filter_query, parse
from archive.search.snippets import snippet
from archive.search.units import unit_text
from store import index as ix
from store.datadir import DataDir

MATCHES_PER_DOCUMENT = 3     # matches (with snippets) listed per document hit


@dataclass
class Match:
    """Where a document matched: one page, section or form field, with a snippet."""
    kind: str                  # 'page' | 'section' | 'form'
    page: int | None           # 1-based page (first page for a section)
    section_key: str | None
    section_title: str | None
    snippet: str               # HTML-safe: text escaped, hits wrapped in <mark>…</mark>
    source: str                # 'text' | 'ocr' | 'both' | 'form'

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class SearchHit:
    """One matching document, with the pages and sections where it matched."""
    sha256: str
    file_name: str | None
    agency: str | None
    state: str | None
    model: str | None
    signed: str | None
    revision: str | None
    score: float
    pages: list[int]           # matched page numbers, sorted
    section: str | None        # title of the best-matching section
    matches: list[Match] = field(default_factory=list)

    @property
    def snippet(self) -> str:
        return self.matches[0].snippet if self.matches else ""

    def to_dict(self) -> dict:
        """The hit as JSON (`moa search --json` and /api/search give this shape)."""
        return {"sha256": self.sha256, "file_name": self.file_name, "agency": self.agency,
                "state": self.state, "model": self.model, "signed": self.signed,
                "revision": self.revision, "score": round(self.score, 4), "pages": list(self.pages),
                "section": self.section, "snippet": self.snippet,
                "matches": [m.to_dict() for m in self.matches]}


@dataclass
class SearchResult:
    """One page of results (every result with all_results) and the facets of them all."""
    query: str
    total_documents: int
    hits: list[SearchHit]
    facets: dict[str, list[tuple[str, int]]]   # facet -> (value, documents), most first
    page: int
    per_page: int

    def to_dict(self) -> dict:
        """As JSON: facets as lists of {"value", "count"}."""
        return {"query": self.query, "total_documents": self.total_documents,
                "page": self.page, "per_page": self.per_page,
                "hits": [h.to_dict() for h in self.hits],
                "facets": {k: [{"value": v, "count": n} for v, n in vals]
                           for k, vals in self.facets.items()}}


# --- searching -------------------------------------------------------------------------

NOT_BUILT = "the search index is not built yet: run `moa index --rebuild` (or `moa process`)"


@contextmanager
def _reading(datadir: DataDir) -> Iterator[ix.Reader]:
    """An index reader for this thread (store.index.reading). A missing or unreadable
    index is rebuilt with a warning, except in a read-only archive (the web site's: GET
    requests never write), which raises IndexNotBuilt saying how to build it."""
    with ExitStack() as stack:
        try:
            reader = stack.enter_context(ix.reading(datadir.index_dir))
        except ix.IndexUnusable as e:
            if datadir.readonly:
                raise IndexNotBuilt(f"{NOT_BUILT} ({e})") from e
            warnings.warn(f"{e}; rebuilding it from the database", IndexRebuiltWarning, stacklevel=4)
            try:
                rebuild_index(datadir)
            except IndexBusy as busy:
                raise IndexBusy("the search index is being built by another process; "
                                "try again when it finishes") from busy
            reader = stack.enter_context(ix.reading(datadir.index_dir))
        yield reader


def search(datadir: DataDir, query: str, *, filters: dict[str, list[str]] | None = None,
           sort: str = "relevance", page: int = 1, per_page: int = 20,
           all_results: bool = False, within: str | None = None) -> SearchResult:
    """Documents matching *query*, best first (or newest signed first), grouped with
    their matching pages/sections/form fields. Raises QueryError."""
    if sort not in ("relevance", "signed"):
        raise QueryError(f"unknown sort {sort!r}: use relevance or signed")
    tree = parse(query)
    parts = [tree] + filter_query(filters)
    if within:
        parts.append(ix.QExact("sha256", within))
    node = ix.QAnd(tuple(parts)) if len(parts) > 1 else tree
    with _reading(datadir) as r:
        return _run(datadir.db, r, query, tree, node, sort, max(1, page), per_page, all_results)


def _run(conn, r: ix.Reader, query: str, tree, node, sort: str, page: int, per_page: int,
         all_results: bool) -> SearchResult:
    in_sections = ix.targets_sections(node)

    # 1. Which documents match: decided on whole documents, or on sections.
    best: dict[str, tuple[float, int]] = {}
    section_units: dict[str, list[int]] = {}
    for docnum, score in r.match(node, "section" if in_sections else "doc"):
        sha = r.column_text("sha256", docnum)
        if sha not in best or score > best[sha][0]:
            best[sha] = (score, docnum)
        if in_sections:
            section_units.setdefault(sha, []).append(docnum)
    facets = _facets(r, best, section_units if in_sections else None)
    if sort == "signed":
        order = sorted(best, key=lambda s: (r.column_text("signed", best[s][1]), best[s][0]), reverse=True)
    else:
        order = sorted(best, key=lambda s: best[s][0], reverse=True)
    shown = order if all_results else order[(page - 1) * per_page: page * per_page]

    # 2. Where in the documents shown: pages, sections and form fields, with snippets.
    doc_units = {sha: r.doc_unit(best[sha][1]) for sha in shown}
    doc_fields = {d: r.stored(d) for d in doc_units.values()}
    located = _locate(conn, r, tree, doc_fields, section_units if in_sections else None)
    hits = []
    for sha in shown:
        f = doc_fields[doc_units[sha]]
        matches, pages, section = located[sha]
        hits.append(SearchHit(sha256=sha, file_name=f.get("file_name"), agency=f.get("agency"),
                                state=f.get("state"), model=f.get("model"), signed=f.get("signed"),
                                revision=f.get("revision_shown"), score=round(best[sha][0], 4),
                                pages=pages, section=section, matches=matches))
    return SearchResult(query=query, total_documents=len(best), hits=hits, facets=facets,
                         page=page, per_page=per_page)


def _facets(r: ix.Reader, best: dict, section_units: dict | None) -> dict[str, list[tuple[str, int]]]:
    counts: dict[str, dict[str, int]] = {k: {} for k in FACETS}
    for sha, (_, docnum) in best.items():
        values = {"state": [r.column_text("state", docnum)], "model": [r.column_text("model", docnum)],
                  "year": [r.column_text("year", docnum)]}
        rev = r.column_text("revision", docnum)
        values["revision"] = [f"{rev[5:7]}/{rev[8:10]}/{rev[:4]}"] if rev else []
        if section_units is None:
            values["section"] = r.column_text("sections_col", docnum).split()
        else:
            values["section"] = sorted({r.column_text("section_key", d) for d in section_units[sha]})
        for k, vs in values.items():
            for v in set(vs):
                if v:
                    counts[k][v] = counts[k].get(v, 0) + 1
    return {k: sorted(c.items(), key=lambda kv: (-kv[1], kv[0])) for k, c in counts.items()}


def _locate(conn, r: ix.Reader, tree, doc_fields: dict[int, dict], section_units: dict | None) -> dict:
    """sha -> (matches with snippets, matched pages, best section title), for the
    documents given by their doc units (docnum -> stored fields)."""
    leaves = ix.text_leaves(tree)
    found: dict[str, list[ix.UnitHit]] = {f["sha256"]: [] for f in doc_fields.values()}
    if leaves and doc_fields:
        for h in r.units_of(ix.QOr(tuple(leaves)), doc_fields):
            found[h.sha256].append(h)
    words = r.leaf_words(tree)
    out = {}
    for sha, hits in found.items():
        if section_units is not None:   # section: queries: only inside the matching sections
            secs = {d: r.stored(d) for d in section_units[sha]}
            ranges = [(f["page"], f["last_page"]) for f in secs.values()]
            hits = [h for h in hits if h.docnum in secs or (
                h.kind == "page" and any(a <= h.page <= b for a, b in ranges))]
            hits += [ix.UnitHit(d, 0.0, sha, f["page"], r)
                     for d, f in secs.items() if d not in {h.docnum for h in hits}]
        hits.sort(key=lambda h: -h.score)
        pages = sorted({h.page for h in hits if h.page})
        shown = {h.docnum: r.stored(h.docnum) for h in _distinct(hits, MATCHES_PER_DOCUMENT)}
        matches = [_match(conn, f, words) for f in shown.values()]
        best_section = next((h.docnum for h in hits if h.kind == "section"), None)
        section = None
        if best_section is not None:
            f = shown[best_section] if best_section in shown else r.stored(best_section)
            section = f.get("section_title")
        if section is None and matches:
            section = matches[0].section_title
        out[sha] = (matches, pages, section)
    return out


def _distinct(hits: list[ix.UnitHit], limit: int) -> list[ix.UnitHit]:
    """The first *limit* hits with a distinct (kind, page, section): a page's second
    reading adds nothing worth showing."""
    seen, out = set(), []
    for h in hits:
        key = (h.kind, h.page, h.section_key)
        if key not in seen:
            seen.add(key)
            out.append(h)
            if len(out) == limit:
                break
    return out


def _match(conn, f: dict, words: set[str]) -> Match:
    key, title = f.get("section_key"), f.get("section_title")
    if f["kind"] == "page" and f.get("in_section"):
        key, title = f["in_section"]
    return Match(kind=f["kind"], page=f.get("page"), section_key=key, section_title=title,
                 snippet=snippet(unit_text(conn, f["sha256"], f.get("ref")), words), source=f.get("source") or "text")


def search_terms_for_highlight(datadir: DataDir, query: str) -> list[str]:
    """The index words a query's free text stands for (fuzzy and wildcard terms expanded,
    negated words left out): highlight a document's pages with highlight_text()."""
    tree = parse(query)
    with _reading(datadir) as r:
        return sorted(r.leaf_words(tree))
