"""Running searches: documents matching a query tree, best first, with facets, and
the pages / sections / form fields where they match, with snippets.

A query is decided per document (so ``detainer AND warrant`` finds documents with both
words anywhere in them), except that a query naming ``section:`` is decided per section
(all its words inside one such section). Matching pages, sections and form fields are
then located for the documents shown, and only those get highlighted snippets.
"""
from __future__ import annotations

import re
import warnings
from bisect import bisect_right
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from typing import Iterator

from archive.core.errors import IndexBusy, IndexNotBuilt, QueryError
from archive.search.indexing import IndexRebuiltWarning, rebuild_index
from archive.search.query import (FACETS, _parser, check_cost, filter_query, parse,
                                   tokenize, without_fields)
from archive.search.snippets import Pattern, excerpt, match_spans, patterns_for
from store import index as ix
from store.datadir import DataDir

MATCHES_PER_DOCUMENT = 3     # matches (with snippets) listed per document hit


@dataclass
class Match:
    """Where a document matched: one page, section or form field, with a snippet."""
    kind: str                  # 'page' | 'section' | 'form'
    page: int | None           # 1-based page: where the snippet's first match is
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
class Suggestion:
    """On a page without results: a query that finds something (a spelling from the
    index, or the query without its section: limit or filters)."""
    query: str
    filters: dict[str, list[str]]
    total: int                 # documents it finds
    why: str                   # 'did you mean' | 'without the section: limit' | 'without the filters' ...

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class SearchResult:
    """One page of results (every result with all_results) and the facets of them all."""
    query: str
    total_documents: int
    hits: list[SearchHit]
    facets: dict[str, list[tuple[str, int]]]   # facet -> (value, documents), most first
    page: int
    per_page: int
    suggestions: list[Suggestion] = field(default_factory=list)   # only when nothing matched

    def to_dict(self) -> dict:
        """As JSON: facets as lists of {"value", "count"}."""
        return {"query": self.query, "total_documents": self.total_documents,
                "page": self.page, "per_page": self.per_page,
                "hits": [h.to_dict() for h in self.hits],
                "facets": {k: [{"value": v, "count": n} for v, n in vals]
                           for k, vals in self.facets.items()},
                "suggestions": [s.to_dict() for s in self.suggestions]}


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
           all_results: bool = False, within: str | None = None,
           suggest: bool = True) -> SearchResult:
    """Documents matching *query*, best first (or newest signed first), grouped with
    their matching pages/sections/form fields. Raises QueryError. When nothing matches
    (and *suggest*), the result carries suggestions of queries that find something."""
    if sort not in ("relevance", "signed", "oldest"):
        raise QueryError(f"unknown sort {sort!r}: use relevance, signed (newest first) or oldest")
    tree = parse(query)
    parts = [tree] + filter_query(filters)
    if within:
        parts.append(ix.QExact("sha256", within))
    node = ix.QAnd(tuple(parts)) if len(parts) > 1 else tree
    with _reading(datadir) as r:
        check_cost(node, r)
        found = _run(r, query, tree, node, sort, max(1, page), per_page, all_results, filters or {})
        if not found.total_documents and suggest and not within:
            found.suggestions = _suggestions(datadir, r, query, filters or {})
    return found


def _run(r: ix.Reader, query: str, tree, node, sort: str, page: int, per_page: int,
         all_results: bool, filters: dict) -> SearchResult:
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
    facets = _facets(r, node, best, section_units if in_sections else None, filters)
    if sort == "signed":
        order = sorted(best, key=lambda s: (r.column_text("signed", best[s][1]), best[s][0]), reverse=True)
    elif sort == "oldest":   # undated documents last
        order = sorted(best, key=lambda s: (not r.column_text("signed", best[s][1]),
                                            r.column_text("signed", best[s][1]), -best[s][0]))
    else:
        order = sorted(best, key=lambda s: best[s][0], reverse=True)
    shown = order if all_results else order[(page - 1) * per_page: page * per_page]

    # 2. Where in the documents shown: pages, sections and form fields, with snippets.
    doc_units = {sha: r.doc_unit(best[sha][1]) for sha in shown}
    doc_fields = {d: r.stored(d) for d in doc_units.values()}
    located = _locate(r, tree, doc_fields, section_units if in_sections else None)
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


def _facets(r: ix.Reader, node, best: dict, section_units: dict | None,
            chosen: dict[str, list[str]]) -> dict[str, list[tuple[str, int]]]:
    """Counts of the matching documents per facet value. The section facet counts the
    documents whose matches lie inside that section (what ticking it finds). A value
    every result has is left out (it would filter nothing), unless it is chosen."""
    counts: dict[str, dict[str, int]] = {k: {} for k in FACETS}
    if section_units is None and best:
        section_units = {}
        for docnum in r.match_ids(node, "section"):
            sha = r.column_text("sha256", docnum)
            if sha in best:
                section_units.setdefault(sha, []).append(docnum)
    for sha, (_, docnum) in best.items():
        values = {"state": [r.column_text("state", docnum)], "model": [r.column_text("model", docnum)],
                  "year": [r.column_text("year", docnum)]}
        rev = r.column_text("revision", docnum)
        values["revision"] = [f"{rev[5:7]}/{rev[8:10]}/{rev[:4]}"] if rev else []
        values["section"] = sorted({r.column_text("section_key", d)
                                    for d in (section_units or {}).get(sha, ())})
        for k, vs in values.items():
            for v in set(vs):
                if v:
                    counts[k][v] = counts[k].get(v, 0) + 1
    total = len(best)
    return {k: sorted(((v, n) for v, n in c.items() if n < total or v in chosen.get(k, ())),
                      key=lambda kv: (-kv[1], kv[0]))
            for k, c in counts.items()}


def _locate(r: ix.Reader, tree, doc_fields: dict[int, dict], section_units: dict | None) -> dict:
    """sha -> (matches with snippets, matched pages, best section title), for the
    documents given by their doc units (docnum -> stored fields).

    The pages are those where the query's words are: a page unit's page; for a section
    (which may run over several pages) the pages its matches lie on, found by mapping
    the section's text back onto its pages. A section match adds nothing where the
    pages' own matches already cover it (the same words, the same snippet), except for
    section: queries, which are answered from the matching sections alone."""
    leaves = ix.text_leaves(tree)
    patterns = patterns_for(tree, r.expand_leaf)
    found: dict[str, list[ix.UnitHit]] = {f["sha256"]: [] for f in doc_fields.values()}
    doc_of = {f["sha256"]: d for d, f in doc_fields.items()}
    if leaves and doc_fields:
        for h in r.units_of(ix.QOr(tuple(leaves)), doc_fields):
            found[h.sha256].append(h)
    out = {}
    for sha, hits in found.items():
        if section_units is not None:   # section: queries: only inside the matching sections
            secs = set(section_units[sha])
            have = {h.docnum for h in hits}
            hits = [h for h in hits if h.docnum in secs] + [
                ix.UnitHit(d, 0.0, sha, None, r) for d in secs if d not in have]
        hits.sort(key=lambda h: -h.score)
        pages_of = _PageTexts(r, doc_of[sha], doc_fields[doc_of[sha]])
        page_pages = {h.page for h in hits if h.page and h.kind != "section"}
        kept = []            # (hit, pages); a section's pages are found only when needed
        for h in hits:
            if h.kind != "section":
                kept.append((h, [h.page] if h.page else [], None))
                continue
            f = r.stored(h.docnum)
            span = set(range(f["page"], (f.get("last_page") or f["page"]) + 1))
            if section_units is None and span <= page_pages:
                continue     # the pages' own matches say it all
            f, spans, ps = _where(f, patterns, pages_of)
            if section_units is None and set(ps) <= page_pages:
                continue
            kept.append((h, ps, (f, spans)))
        pages = sorted({p for _, ps, _ in kept for p in ps})
        if pages:            # the first page's match is always shown, then the best ones
            kept.sort(key=lambda k: pages[0] not in k[1])
        matches, seen = [], set()
        for h, ps, where in kept:
            key = (h.kind, ps[0] if ps else None, h.section_key if h.kind == "section" else None)
            if key in seen:
                continue
            f, spans = where or (lambda f: (f, match_spans(f.get("body") or "", patterns)))(r.stored(h.docnum))
            m = _match(f, spans, ps)
            if m.snippet in {x.snippet for x in matches}:
                continue
            seen.add(key)
            matches.append(m)
            if len(matches) == MATCHES_PER_DOCUMENT:
                break
        matches.sort(key=lambda m: (m.page is None, m.page or 0))
        best = next((h.docnum for h in hits if h.kind == "section"), None)
        section = r.stored(best).get("section_title") if best is not None else None
        if section is None and matches:
            section = matches[0].section_title
        out[sha] = (matches, pages, section)
    return out


class _PageTexts:
    """The main reading of each page of one document, read from its page units when
    first asked for (a section's pages, to map its text back onto them)."""

    def __init__(self, r: ix.Reader, doc_docnum: int, doc_fields: dict):
        self.r, self.doc, self.count = r, doc_docnum, doc_fields.get("units", 0)
        self._first: dict[int, int] | None = None
        self._texts: dict[int, str] = {}

    def get(self, page: int) -> str | None:
        if self._first is None:
            self._first = {}
            for d in range(self.doc - self.count, self.doc):
                if self.r.column_text("kind", d) == "page":
                    self._first.setdefault(self.r.value("page", d), d)   # the main reading comes first
        if page not in self._texts and page in self._first:
            self._texts[page] = self.r.stored(self._first[page]).get("body") or ""
        return self._texts.get(page)


def _where(f: dict, patterns: tuple[Pattern, ...], pages_of: _PageTexts) -> tuple[dict, list, list[int]]:
    """(stored fields, match spans in its body, pages the matches are on) of one unit."""
    body = f.get("body") or ""
    spans = match_spans(body, patterns)
    if f["kind"] != "section":
        return f, spans, [f["page"]] if f.get("page") else []
    first, last = f["page"], f.get("last_page") or f["page"]
    if not spans:                    # matched on its title, or by section: alone
        return f, spans, [first]
    texts = [(n, pages_of.get(n)) for n in range(first, last + 1)]
    starts = section_page_starts(body, [(n, t) for n, t in texts if t is not None] or [(first, "")])
    offsets = [o for o, _ in starts]

    def page_at(offset: int) -> int:
        return starts[bisect_right(offsets, offset) - 1][1]
    return f, spans, sorted({page_at(a) for a, _ in spans} | {page_at(b - 1) for _, b in spans})


def section_page_starts(text: str, pages: list[tuple[int, str]]) -> list[tuple[int, int]]:
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


def _match(f: dict, spans: list[tuple[int, int]], pages: list[int]) -> Match:
    key, title = f.get("section_key"), f.get("section_title")
    if f["kind"] == "page" and f.get("in_section"):
        key, title = f["in_section"]
    return Match(kind=f["kind"], page=pages[0] if pages else f.get("page"), section_key=key,
                 section_title=title, snippet=excerpt(f.get("body") or "", spans),
                 source=f.get("source") or "text")


# --- when nothing matches --------------------------------------------------------------

def _suggestions(datadir: DataDir, r: ix.Reader, query: str, filters: dict) -> list[Suggestion]:
    """Queries that find something when *query* finds nothing: its words spelt as the
    index spells them, the query without its section: limit, without the filters."""
    out = []

    def count(q: str, flt: dict) -> int:
        try:
            return search(datadir, q, filters=flt, per_page=1, suggest=False).total_documents
        except QueryError:
            return 0
    spelt = _respelt(r, query)
    if spelt and (n := count(spelt, filters)):
        out.append(Suggestion(spelt, filters, n, "did you mean"))
    loose = without_fields(query, ("section",))
    if loose and (n := count(loose, filters)):
        out.append(Suggestion(loose, filters, n, "without the section: limit"))
    if filters.get("section"):
        rest = {k: v for k, v in filters.items() if k != "section"}
        if n := count(query, rest):
            out.append(Suggestion(query, rest, n, "without the section filter"))
    if filters and (n := count(query, {})):
        out.append(Suggestion(query, {}, n, "without the filters"))
    return out


def _respelt(r: ix.Reader, query: str) -> str | None:
    """*query* with each word the index does not hold replaced by the nearest word it
    does (commonest first); None when every word is in the index."""
    p = _parser(query)
    inside_fields = [(a, b) for _, a, b in p.fields]
    text, changes = p.q, []
    for tok in tokenize(text):
        if tok.kind not in ("word", "phrase") or any(a <= tok.pos < b for a, b in inside_fields):
            continue
        if tok.kind == "word" and re.search(r"[*?~]", tok.text):
            continue
        body_at = tok.pos + (1 if tok.kind == "phrase" else 0)
        raw = text[body_at: body_at + len(tok.text)]
        for m in re.finditer(r"[^\W_]+", raw):
            word = m.group(0)
            if word.isdigit() or len(word) < 4:
                continue
            better = r.spellings(ix.fold_word(word))
            if better:
                changes.append((body_at + m.start(), body_at + m.end(), better[0]))
    if not changes:
        return None
    for a, b, new in sorted(changes, reverse=True):
        text = text[:a] + new + text[b:]
    return text


def highlight_patterns(datadir: DataDir, query: str) -> tuple[Pattern, ...]:
    """What to mark for a query (snippets.highlight_text takes it): phrases and
    proximity matches as a whole, fuzzy and wildcard terms expanded, negated words
    left out."""
    tree = parse(query)
    with _reading(datadir) as r:
        check_cost(tree, r)
        return patterns_for(tree, r.expand_leaf)


def search_terms_for_highlight(datadir: DataDir, query: str) -> list[str]:
    """The index words a query's free text stands for (fuzzy and wildcard terms expanded,
    negated words left out): highlight a document's pages with highlight_text()."""
    tree = parse(query)
    with _reading(datadir) as r:
        return sorted(r.leaf_words(tree))
