"""Running searches: documents matching a query tree, best first, with facets, and
the pages / sections / form fields where they match, with snippets.

A query is decided per document (so ``detainer AND warrant`` finds documents with both
words anywhere in them), except that a query naming ``section:`` is decided per section
(all its words inside one such section). Each free-text word or phrase is matched once
over all units (store.index.Reader.match_documents); the documents, the section facet
and the units to locate in the documents shown all come from those matches by set
algebra. Only the documents shown get highlighted snippets.
"""
from __future__ import annotations

import os
import re
import warnings
from bisect import bisect_right
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field, replace
from typing import Iterator

from archive.core.errors import ConfigError, IndexBusy, IndexNotBuilt, QueryError, QueryTooSlow
from archive.search.indexing import IndexRebuiltWarning, rebuild_index
from archive.search.query import (FACETS, _parser, check_cost, filter_query, parse,
                                   tokenize, without_fields)
from archive.search.snippets import Pattern, excerpt, match_spans, patterns_for
from archive.search.vocabulary import index_splitter, with_splits
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


TIME_LIMIT = 1.0    # seconds of CPU time one search may use; MOA_QUERY_TIME_LIMIT overrides it


def time_limit() -> float:
    """The time limit per search: $MOA_QUERY_TIME_LIMIT (seconds), else TIME_LIMIT."""
    raw = os.environ.get("MOA_QUERY_TIME_LIMIT", "").strip()
    if not raw:
        return TIME_LIMIT
    try:
        seconds = float(raw)
    except ValueError:
        seconds = 0.0
    if not seconds > 0:
        raise ConfigError(f"MOA_QUERY_TIME_LIMIT={raw!r} is not usable: give the seconds a search may take, e.g. 1")
    return seconds


@contextmanager
def _limited(query: str, seconds: float) -> Iterator[None]:
    """The block's searching under the time limit (store.index.time_limit); a query
    over it is a QueryTooSlow that says so and how to narrow it."""
    try:
        with ix.time_limit(seconds):
            yield
    except ix.TimeUp as e:
        raise QueryTooSlow(
            f"this query takes too long: {query!r} needs more than the {e.seconds:g} s a search may "
            "take; narrow it: fewer wildcard (*) or fuzzy (~) terms, a \"phrase\" instead of common "
            "words, or a filter such as state:, model: or signed:") from None


def search(datadir: DataDir, query: str, *, filters: dict[str, list[str]] | None = None,
           sort: str = "relevance", page: int = 1, per_page: int = 20,
           all_results: bool = False, within: str | None = None,
           suggest: bool = True, seconds: float | None = None) -> SearchResult:
    """Documents matching *query*, best first (or newest signed first), grouped with
    their matching pages/sections/form fields. Raises QueryError, QueryTooSlow when it
    would take more than *seconds* (default: time_limit(); math.inf: no limit, for batch
    work that holds no server thread). When nothing matches (and
    *suggest*), the result carries suggestions of queries that find something."""
    if sort not in ("relevance", "signed", "oldest"):
        raise QueryError(f"unknown sort {sort!r}: use relevance, signed (newest first) or oldest")
    tree = parse(query)
    with _reading(datadir) as r, _limited(query, time_limit() if seconds is None else seconds):
        tree = with_splits(tree, index_splitter(r))
        parts = [tree] + filter_query(filters)
        if within:
            parts.append(ix.QExact("sha256", within))
        node = ix.QAnd(tuple(parts)) if len(parts) > 1 else tree
        check_cost(node, r)
        found = _run(r, datadir.db, query, tree, node, sort, max(1, page), per_page, all_results,
                     filters or {})
        if not found.total_documents and suggest and not within:
            found.suggestions = _suggestions(datadir, r, query, filters or {})
    return found


def _run(r: ix.Reader, conn, query: str, tree, node, sort: str, page: int, per_page: int,
         all_results: bool, filters: dict) -> SearchResult:
    in_sections = ix.targets_sections(node)

    # 1. Which documents match: decided on whole documents, or on sections.
    best: dict[str, tuple[float, int]] = {}
    section_units: dict[str, list[int]] = {}
    matched = r.match_documents(node)
    for docnum, score in (r.match(node, "section") if in_sections else matched.documents.items()):
        sha = r.column_text("sha256", docnum)
        if sha not in best or score > best[sha][0]:
            best[sha] = (score, docnum)
        if in_sections:
            section_units.setdefault(sha, []).append(docnum)
    # the sections the whole query holds in (for the section facet), from the same matches
    in_facet = section_units if in_sections else {}
    if not in_sections and best:
        for docnum in sorted(matched.sections):
            sha = r.column_text("sha256", docnum)
            if sha in best:
                in_facet.setdefault(sha, []).append(docnum)
    facets = _facets(r, best, in_facet, filters)
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
    doc_fields = {d: r.stored(d, body=False) for d in doc_units.values()}
    located = _locate(r, matched, conn, tree, doc_fields, section_units if in_sections else None)
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


def _facets(r: ix.Reader, best: dict, section_units: dict[str, list[int]],
            chosen: dict[str, list[str]]) -> dict[str, list[tuple[str, int]]]:
    """Counts of the matching documents per facet value. The section facet counts the
    documents whose matches lie inside that section (*section_units*: the sections the
    whole query holds in; what ticking it finds). A value every result has is left out
    (it would filter nothing), unless it is chosen."""
    counts: dict[str, dict[str, int]] = {k: {} for k in FACETS}
    for sha, (_, docnum) in best.items():
        values = {"state": [r.column_text("state", docnum)], "model": [r.column_text("model", docnum)],
                  "year": [r.column_text("year", docnum)]}
        rev = r.column_text("revision", docnum)
        values["revision"] = [f"{rev[5:7]}/{rev[8:10]}/{rev[:4]}"] if rev else []
        values["section"] = sorted({r.column_text("section_key", d)
                                    for d in section_units.get(sha, ())})
        for k, vs in values.items():
            for v in set(vs):
                if v:
                    counts[k][v] = counts[k].get(v, 0) + 1
    total = len(best)
    return {k: sorted(((v, n) for v, n in c.items() if n < total or v in chosen.get(k, ())),
                      key=lambda kv: (-kv[1], kv[0]))
            for k, c in counts.items()}


def _locate(r: ix.Reader, matched: ix.Matched, conn, tree, doc_fields: dict[int, dict],
            section_units: dict | None) -> dict:
    """sha -> (matches with snippets, matched pages, best section title), for the
    documents given by their doc units (docnum -> stored fields).

    The pages are those where the query's words are: a page unit's page; for a section
    (which may run over several pages) the pages its matches lie on, found by mapping
    the section's text back onto its pages. A section match adds nothing where the
    pages' own matches already cover it (the same words, the same snippet), except for
    section: queries, which are answered from the matching sections alone."""
    leaves = ix.text_leaves(tree)
    patterns = patterns_for(tree, r.expand_leaf)
    # Only a match of several words can lie in a section where no page matches (a phrase
    # across a page break): one word always matches its page too.
    multi = tuple(p for p in patterns if len(p.words) > 1)
    found: dict[str, list[ix.UnitHit]] = {f["sha256"]: [] for f in doc_fields.values()}
    if leaves and doc_fields:
        for h in matched.units_of(leaves, doc_fields):
            found[h.sha256].append(h)
    # Pages whose bridge (the words over the break to the next page) holds a phrase: only
    # the sections running over such a break can add pages to those the pages matched on.
    bridged: dict[str, dict[int, ix.UnitHit]] = {}
    several = tuple(replace(leaf, field="bridge") for leaf in leaves if isinstance(leaf, ix.QPhrase)
                    or (isinstance(leaf, ix.QWords) and len(ix.analyze(leaf.text)) > 1))
    if section_units is None and several and doc_fields:
        for h in r.units_of(ix.QOr(several), doc_fields):
            bridged.setdefault(h.sha256, {})[h.page] = h
    out = {}
    for sha, hits in found.items():
        breaks = bridged.get(sha, {})
        if section_units is not None:   # section: queries: only inside the matching sections
            secs = set(section_units[sha])
            have = {h.docnum for h in hits}
            hits = [h for h in hits if h.docnum in secs] + [
                ix.UnitHit(d, 0.0, sha, None, r) for d in secs if d not in have]
        hits.sort(key=lambda h: -h.score)
        # (hit, pages, (stored fields, spans) when read): a page or form field matched on
        # its own text (a page's bridge is another field), so it is read only if shown
        kept = [(h, [h.page] if h.page else [], None) for h in hits if h.kind != "section"]
        page_pages = {p for _, ps, _ in kept for p in ps}
        if section_units is None and not multi:
            hits = [h for h in hits if h.kind != "section" or not page_pages]
        for h in hits:
            if h.kind != "section":
                continue
            first = h.page or 0
            span = set(range(first, (r.value("last_page", h.docnum) or first) + 1))
            if section_units is None and span <= page_pages:
                continue     # the pages' own matches say it all
            if section_units is None and page_pages and not any(n in breaks for n in span):
                continue     # no phrase over one of its page breaks
            f = _read(r, conn, h.docnum)
            if section_units is not None or not page_pages:
                f, spans, ps = _where(f, patterns)
            else:            # what a section adds to its pages: phrases across a page break
                if not multi or not match_spans(f.get("body") or "", multi):
                    continue
                f, spans, ps = _where(f, multi)
                if set(ps) <= page_pages:
                    continue
                spans = match_spans(f.get("body") or "", patterns)
            kept.append((h, ps, (f, spans)))
        if not kept:         # a phrase only over a page break that no section shows
            kept = [_on_bridge(r, conn, h, patterns) for _, h in sorted(breaks.items())]
        pages = sorted({p for _, ps, _ in kept for p in ps})
        if pages:            # the first page's match is always shown, then the best ones
            kept.sort(key=lambda k: pages[0] not in k[1])
        matches, seen = [], set()
        for h, ps, where in kept:
            key = (h.kind, ps[0] if ps else None, h.section_key if h.kind == "section" else None)
            if key in seen:
                continue
            if where is None:
                f = _read(r, conn, h.docnum)
                where = (f, match_spans(f.get("body") or "", patterns))
            m = _match(*where, ps)
            if m.snippet in {x.snippet for x in matches}:
                continue
            seen.add(key)
            matches.append(m)
            if len(matches) == MATCHES_PER_DOCUMENT:
                break
        matches.sort(key=lambda m: (m.page is None, m.page or 0))
        best = next((h.docnum for h in hits if h.kind == "section"), None)
        section = r.stored(best, body=False).get("section_title") if best is not None else None
        if section is None and matches:
            section = matches[0].section_title
        out[sha] = (matches, pages, section)
    return out


def _on_bridge(r: ix.Reader, conn, h: ix.UnitHit, patterns: tuple[Pattern, ...]) -> tuple:
    """A page whose bridge holds a phrase: the match over that page and the next."""
    f = r.stored(h.docnum)
    f["body"] = f.get("bridge") or ""
    return h, [h.page, h.page + 1], (f, match_spans(f["body"], patterns))


READINGS = ("text", "text_layer", "ocr_text")


def _read(r: ix.Reader, conn, docnum: int) -> dict:
    """A unit's stored fields with its text as "body": a form value is kept in the index;
    a page's reading and a section's text are read from the database (the index would
    be a third larger holding them)."""
    f = r.stored(docnum)
    if f.get("body") is None:
        if f.get("kind") == "page":
            column = f.get("reading") if f.get("reading") in READINGS else "text"
            row = conn.execute(f"SELECT {column} FROM pages WHERE sha256 = ? AND page = ?",
                               (f["sha256"], f["page"])).fetchone()
        elif f.get("kind") == "section":
            row = conn.execute("SELECT text FROM sections WHERE sha256 = ? AND ord = ?",
                               (f["sha256"], f.get("ord"))).fetchone()
        else:
            row = None
        f["body"] = (row[0] if row else "") or ""
    return f


def _where(f: dict, patterns: tuple[Pattern, ...]) -> tuple[dict, list, list[int]]:
    """(stored fields, match spans in its body, pages the matches are on) of one unit.
    A section's spans are put on their pages by its page_starts (units.page_starts)."""
    body = f.get("body") or ""
    spans = match_spans(body, patterns)
    if f["kind"] != "section":
        return f, spans, [f["page"]] if f.get("page") else []
    if not spans:                    # matched on its title, or by section: alone
        return f, spans, [f["page"]]
    starts = f.get("page_starts") or [(0, f["page"])]
    offsets = [o for o, _ in starts]

    def page_at(offset: int) -> int:
        return starts[bisect_right(offsets, offset) - 1][1]
    return f, spans, sorted({page_at(a) for a, _ in spans} | {page_at(b - 1) for _, b in spans})


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
