"""Search: the query language, results grouped by document, and keeping the index current.

Query language (README, "Searching"): words (all must occur), "exact phrases",
proximity "a b"~10, AND / OR / NOT / -word / parentheses, prefix wildcards (immigr*),
fuzzy terms (detainr~, detainr~1), and fields state:, model:, agency:, section:,
revision:, signed:/year: (dates and [A TO B] ranges).

A query is decided per document (so ``detainer AND warrant`` finds documents with both
words anywhere in them), except that a query naming ``section:`` is decided per section
(all its words inside one such section). Matching pages, sections and form fields are
then located for the documents shown, and only those get highlighted snippets.
"""
from __future__ import annotations

import re
import time
import warnings
from dataclasses import dataclass, field

from archive.core.errors import IndexBusy, MoaError, QueryError
from archive.harvest.filenames import STATES
from archive.core.progress import NullProgress, Progress
from store import index as ix
from store.datadir import DataDir

MAX_QUERY_CHARS = 500
MAX_CLAUSES = 64
MATCHES_PER_DOCUMENT = 3     # matches (with snippets) listed per document hit
FIELDS = ("state", "model", "agency", "section", "revision", "signed", "year")
FACETS = ("state", "model", "year", "revision", "section")


@dataclass
class Match:
    kind: str                  # 'page' | 'section' | 'form'
    page: int | None           # 1-based page (first page for a section)
    section_key: str | None
    section_title: str | None
    snippet: str               # HTML-safe: text escaped, hits wrapped in <mark>…</mark>
    source: str                # 'text' | 'ocr' | 'both' | 'form'


@dataclass
class DocumentHit:
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


@dataclass
class SearchResults:
    query: str
    total_documents: int
    hits: list[DocumentHit]
    facets: dict[str, list[tuple[str, int]]]
    page: int
    per_page: int


# --- field values ----------------------------------------------------------------------

MODELS = {
    "jem": "JEM", "jail": "JEM", "jail enforcement": "JEM",
    "tfm": "TFM", "task force": "TFM",
    "wso": "WSO", "warrant service": "WSO", "warrant service officer": "WSO", "warrant service officers": "WSO",
    "ttfm": "TTFM", "tribal task force": "TTFM",
}


def state_value(value: str) -> str:
    """A two-letter code or a state's name (any case) -> the name as ICE writes it."""
    v = " ".join(value.replace("_", " ").split()).upper()
    if v in STATES:
        return STATES[v]
    if v in STATES.values():
        return v
    raise ValueError(f"unknown state {value!r}: give a two-letter code (FL) or a name (Florida)")


def model_value(value: str) -> str:
    """JEM/TFM/WSO/TTFM or ICE's wording ("Jail Enforcement Model", "Task Force") -> code."""
    v = re.sub(r"287\s*\(?g\)?|\b(model|program)\b", " ", value.lower().replace("_", " "))
    v = " ".join(re.sub(r"[^a-z ]", " ", v).split())
    if v in MODELS:
        return MODELS[v]
    raise ValueError(f"unknown model {value!r}: give JEM, TFM, WSO or TTFM, or ICE's wording "
                     "(\"Jail Enforcement Model\", \"Task Force\", \"Warrant Service Officer\")")


def date_value(value: str) -> str:
    iso = ix.iso_date(value)
    if iso is None:
        raise ValueError(f"not a date: {value!r} (use YYYY-MM-DD or MM/DD/YYYY)")
    return iso


def field_query(name: str, value: str):
    """The query for ``name:value`` (raises ValueError with a message for people)."""
    if name == "state":
        return ix.QExact("state", state_value(value))
    if name == "model":
        return ix.QExact("model", model_value(value))
    if name == "agency":
        return ix.QWords(value, field="agency")
    if name == "section":
        key = "-".join(re.sub(r"[^a-z0-9]+", " ", value.lower()).split())
        return ix.QOr((ix.QExact("section_key", key), ix.QWords(value, field="section_title")))
    if name == "revision":
        return ix.QExact("revision", date_value(value))
    if name in ("signed", "year"):
        v = value.strip()
        if re.fullmatch(r"\d{4}(-\d{2})?", v):          # a year or a month
            return ix.QPrefix("signed", v)
        return ix.QExact("signed", date_value(v))
    raise ValueError(f"unknown field {name!r}")


def range_query(name: str, lo: str, hi: str):
    if name not in ("signed", "year", "revision"):
        raise ValueError(f"{name}: takes no [A TO B] range (only signed: and revision: do)")

    def bound(v: str, end: bool) -> str | None:
        if v == "*":
            return None
        if re.fullmatch(r"\d{4}", v):
            return f"{v}-12-31" if end else f"{v}-01-01"
        return date_value(v)
    return ix.QRange("signed" if name == "year" else name, bound(lo, False), bound(hi, True))


def filter_query(filters: dict[str, list[str]] | None):
    """Facet filters: values OR'd within a key, keys AND'd. Keys as in FACETS, plus agency."""
    parts = []
    for name, values in (filters or {}).items():
        values = [v for v in values if v]
        if not values:
            continue
        if name not in FACETS + ("agency",):
            raise QueryError(f"unknown filter {name!r}; filters are {', '.join(FACETS + ('agency',))}")
        try:
            if name == "section":      # facet semantics: the document has that section
                qs = tuple(ix.QExact("sections", v) for v in values)
            else:
                qs = tuple(field_query(name, v) for v in values)
        except ValueError as e:
            raise QueryError(f"filter {name}: {e}") from e
        parts.append(ix.QOr(qs) if len(qs) > 1 else qs[0])
    return parts


# --- parsing ---------------------------------------------------------------------------

TOKEN_RE = re.compile(r"""
    (?P<ws>\s+)
  | (?P<phrase>"(?P<ptext>[^"]*)"(?:~(?P<pslop>\d+))?)
  | (?P<open_quote>")
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<field>[A-Za-z_]+):(?=\S)
  | (?P<word>[^\s"()]+(?:\([^\s"()]*\)[^\s"()]*)*)
""", re.VERBOSE)


@dataclass
class Tok:
    kind: str
    text: str
    pos: int
    slop: int | None = None


def tokenize(q: str) -> list[Tok]:
    out, pos = [], 0
    while pos < len(q):
        m = TOKEN_RE.match(q, pos)
        kind = m.lastgroup if m.lastgroup not in ("ptext", "pslop") else "phrase"
        if m.group("phrase") is not None:
            slop = m.group("pslop")
            out.append(Tok("phrase", m.group("ptext"), pos, int(slop) if slop else None))
        elif m.group("open_quote") is not None:
            raise QueryError(f"unclosed quote at character {pos + 1}: add the closing \"")
        elif m.group("field") is not None:
            out.append(Tok("field", m.group("field").lower(), pos))
        elif kind != "ws":
            text = m.group(0)
            if kind == "word" and text in ("AND", "OR", "NOT"):
                kind = text
            out.append(Tok(kind, text, pos))
        pos = m.end()
    return out


class Parser:
    """Recursive descent: or := and (OR and)* ; and := unary ((AND)? unary)* ;
    unary := (NOT | -) unary | primary ; primary := ( or ) | field:value | phrase | word."""

    def __init__(self, q: str):
        self.q = q
        self.toks = tokenize(q)
        self.i = 0
        self.clauses = 0

    def error(self, why: str, tok: Tok | None = None) -> QueryError:
        where = f"at character {tok.pos + 1}" if tok else "at the end of the query"
        return QueryError(f"cannot read the query {where}: {why}")

    def peek(self) -> Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> Tok:
        tok = self.peek()
        self.i += 1
        return tok

    def parse(self):
        if not self.toks:
            return ix.QAll()
        node = self.parse_or()
        tok = self.peek()
        if tok is not None:
            raise self.error("')' without a matching '('" if tok.kind == "rparen" else
                             f"unexpected {tok.text!r}", tok)
        return node

    def parse_or(self):
        items = [self.parse_and()]
        while self.peek() and self.peek().kind == "OR":
            op = self.take()
            if not self.peek() or self.peek().kind in ("OR", "AND", "rparen"):
                raise self.error("OR needs a term after it", op)
            items.append(self.parse_and())
        return items[0] if len(items) == 1 else ix.QOr(tuple(items))

    def parse_and(self):
        items = [self.parse_unary()]
        while (tok := self.peek()) and tok.kind not in ("OR", "rparen"):
            if tok.kind == "AND":
                self.take()
                if not self.peek() or self.peek().kind in ("OR", "AND", "rparen"):
                    raise self.error("AND needs a term after it", tok)
            items.append(self.parse_unary())
        return items[0] if len(items) == 1 else ix.QAnd(tuple(items))

    def parse_unary(self):
        tok = self.peek()
        if tok is None:
            raise self.error("a term is missing")
        if tok.kind == "NOT" or (tok.kind == "word" and tok.text.startswith("-") and len(tok.text) > 1):
            if tok.kind == "NOT":
                self.take()
                if self.peek() is None or self.peek().kind in ("OR", "AND", "rparen"):
                    raise self.error("NOT needs a term after it", tok)
            else:
                tok.text = tok.text[1:]
                tok.pos += 1
            return ix.QNot(self.parse_unary())
        return self.parse_primary()

    def parse_primary(self):
        tok = self.take()
        if tok.kind in ("AND", "OR"):
            raise self.error(f"{tok.text} needs a term before it", tok)
        if tok.kind == "rparen":
            raise self.error("')' without a matching '('", tok)
        if tok.kind == "lparen":
            if self.peek() is None:
                raise self.error("'(' is never closed", tok)
            node = self.parse_or()
            close = self.take()
            if close is None or close.kind != "rparen":
                raise self.error("'(' is never closed (add ')')", tok)
            return node
        self.clauses += 1
        if self.clauses > MAX_CLAUSES:
            raise self.error(f"more than {MAX_CLAUSES} terms", tok)
        if tok.kind == "field":
            return self.parse_field(tok)
        if tok.kind == "phrase":
            if not ix.analyze(tok.text):
                raise self.error("an empty phrase", tok)
            slop = tok.slop if tok.slop is not None else 1
            return ix.QWords(tok.text, slop=max(slop, 1))
        return self.word(tok)

    def parse_field(self, tok: Tok):
        name = tok.text
        if name not in FIELDS:
            raise self.error(f"unknown field '{name}:'; fields are "
                             + ", ".join(f + ":" for f in FIELDS)
                             + " (to search for the word, put it in quotes)", tok)
        val = self.take()
        if val is None:
            raise self.error(f"'{name}:' needs a value", tok)
        try:
            if val.kind == "phrase":
                return field_query(name, val.text)
            if val.kind == "word" and val.text.startswith("["):
                return self.parse_range(name, tok, val)
            if val.kind == "lparen":
                raise self.error(f"give '{name}:' one value, or repeat it: "
                                 f"{name}:A OR {name}:B", val)
            if val.kind != "word":
                raise self.error(f"'{name}:' needs a value", val)
            return field_query(name, val.text)
        except ValueError as e:
            raise self.error(str(e), val) from e

    def parse_range(self, name: str, tok: Tok, first: Tok):
        words = [first.text]
        while not words[-1].endswith("]"):
            nxt = self.take()
            if nxt is None:
                raise self.error("a range [A TO B] is never closed (add ']')", first)
            words.append(nxt.text)
        parts = " ".join(words)[1:-1].split()
        if len(parts) != 3 or parts[1] != "TO":
            raise self.error("write a range as [2025-01-01 TO 2025-06-30] (* for open ends)", first)
        return range_query(name, parts[0], parts[2])

    def word(self, tok: Tok):
        text = tok.text
        m = re.fullmatch(r"(.+?)~(\d?)", text)
        if m:
            dist = int(m.group(2)) if m.group(2) else None
            if dist is not None and dist > 2:
                raise self.error("fuzzy distance is at most 2 (detainr~2)", tok)
            if not ix.analyze(m.group(1)):
                raise self.error("nothing to search before '~'", tok)
            return ix.QFuzzy(m.group(1), dist)
        if "*" in text or "?" in text:
            first = min(i for i, c in enumerate(text) if c in "*?")
            if first == 0:
                raise self.error("a wildcard cannot start a word (it would scan the whole index)", tok)
            if len(ix.analyze(text[:first])) != 1 or len(text[:first]) < 3:
                raise self.error("a wildcard needs at least 3 letters before it (immigr*)", tok)
            return ix.QPattern(ix.fold_word(text))
        if not ix.analyze(text):
            raise self.error(f"{text!r} has no letters or digits to search for", tok)
        return ix.QWords(text)


def parse(query: str):
    """The query tree for *query*; QueryError (saying where and why) when unreadable."""
    query = ix.fold_quotes(query or "").strip()
    if len(query) > MAX_QUERY_CHARS:
        raise QueryError(f"query is {len(query)} characters long; the limit is {MAX_QUERY_CHARS}")
    return Parser(query).parse()


# --- searching -------------------------------------------------------------------------

def _reader(datadir: DataDir) -> ix.Reader:
    """The index reader; a missing or unreadable index is rebuilt (with a warning)."""
    try:
        return ix.reader_for(datadir.index_dir)
    except IndexBusy:
        raise
    except MoaError as e:
        warnings.warn(f"{e}; rebuilding it from the database", ix.IndexRebuiltWarning, stacklevel=3)
        try:
            rebuild_index(datadir)
        except IndexBusy as busy:
            raise IndexBusy("the search index is being built by another process; "
                            "try again when it finishes") from busy
        return ix.reader_for(datadir.index_dir)


def search(datadir: DataDir, query: str, *, filters: dict[str, list[str]] | None = None,
           sort: str = "relevance", page: int = 1, per_page: int = 20,
           all_results: bool = False, within: str | None = None) -> SearchResults:
    """Documents matching *query*, best first (or newest signed first), grouped with
    their matching pages/sections/form fields. Raises QueryError."""
    if sort not in ("relevance", "signed", "oldest"):
        raise QueryError(f"unknown sort {sort!r}: use relevance, signed (newest first) or oldest")
    tree = parse(query)
    parts = [tree] + filter_query(filters)
    if within:
        parts.append(ix.QExact("sha256", within))
    node = ix.QAnd(tuple(parts)) if len(parts) > 1 else tree
    in_sections = ix.targets_sections(node)
    r = _reader(datadir)

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
    elif sort == "oldest":   # undated documents last
        order = sorted(best, key=lambda s: (not r.column_text("signed", best[s][1]),
                                            r.column_text("signed", best[s][1]), -best[s][0]))
    else:
        order = sorted(best, key=lambda s: best[s][0], reverse=True)
    page = max(1, page)
    shown = order if all_results else order[(page - 1) * per_page: page * per_page]

    # 2. Where in the documents shown: pages, sections and form fields, with snippets.
    doc_units = {sha: r.doc_unit(best[sha][1]) for sha in shown}
    doc_fields = {d: r.stored(d) for d in doc_units.values()}
    located = _locate(r, tree, doc_fields, section_units if in_sections else None)
    hits = []
    for sha in shown:
        f = doc_fields[doc_units[sha]]
        matches, pages, section = located[sha]
        hits.append(DocumentHit(sha256=sha, file_name=f.get("file_name"), agency=f.get("agency"),
                                state=f.get("state"), model=f.get("model"), signed=f.get("signed"),
                                revision=f.get("revision_shown"), score=round(best[sha][0], 4),
                                pages=pages, section=section, matches=matches))
    return SearchResults(query=query, total_documents=len(best), hits=hits, facets=facets,
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


def _locate(r: ix.Reader, tree, doc_fields: dict[int, dict], section_units: dict | None) -> dict:
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
        matches = [_match(f, words) for f in shown.values()]
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


def _match(f: dict, words: set[str]) -> Match:
    key, title = f.get("section_key"), f.get("section_title")
    if f["kind"] == "page" and f.get("in_section"):
        key, title = f["in_section"]
    return Match(kind=f["kind"], page=f.get("page"), section_key=key, section_title=title,
                 snippet=ix.snippet(f.get("body") or "", words), source=f.get("source") or "text")


def search_terms_for_highlight(datadir: DataDir, query: str) -> list[str]:
    """The index words a query's free text stands for (fuzzy and wildcard terms expanded,
    negated words left out): highlight a document's pages with highlight_text()."""
    return sorted(_reader(datadir).leaf_words(parse(query)))


def highlight_text(text: str, words: list[str]) -> str:
    """*text* HTML-escaped, with every word of *words* (search_terms_for_highlight) in <mark>."""
    return ix.mark(text, ix.word_spans(text, words))


# --- keeping the index current ---------------------------------------------------------

def update_index(datadir: DataDir, *, progress: Progress = NullProgress()) -> dict:
    """Index what is new or changed in the database since the last update, drop what is
    gone. A missing or unreadable index is rebuilt (with a warning). IndexBusy if
    another update runs."""
    t0 = time.monotonic()
    with ix.write_lock(datadir.root):
        try:
            index = ix.open_index(datadir.index_dir)
        except MoaError as e:
            if datadir.index_dir.exists() or datadir.index_dir.is_symlink():
                warnings.warn(f"{e}; rebuilding it from the database", ix.IndexRebuiltWarning)
                progress.note(f"{e}; rebuilding it from the database")
            summary = _rebuild(datadir, progress)
            summary["rebuilt"] = True
            return summary
        conn = datadir.db
        want = ix.fingerprints(conn)
        have = ix.indexed_fingerprints(index)
        changed = {s: fp for s, fp in want.items() if have.get(s) != fp}
        removed = set(have) - set(want)
        units = 0
        if changed or removed:
            units = ix.update_in_place(
                index, changed, removed,
                lambda ch: (ix.document_units(conn, s, fp) for s, fp in ch.items()), progress)
        index.close()
    return {"indexed": len(changed), "removed": len(removed), "unchanged": len(want) - len(changed),
            "units": units, "rebuilt": False, "seconds": round(time.monotonic() - t0, 2)}


def rebuild_index(datadir: DataDir, *, progress: Progress = NullProgress()) -> dict:
    """Build the whole index afresh in a new directory, then swap it in atomically."""
    with ix.write_lock(datadir.root):
        summary = _rebuild(datadir, progress)
    summary["rebuilt"] = True
    return summary


def _rebuild(datadir: DataDir, progress: Progress) -> dict:
    t0 = time.monotonic()
    conn = datadir.db
    want = ix.fingerprints(conn)
    units = ix.build_fresh(datadir.root, datadir.index_dir,
                           (ix.document_units(conn, s, fp) for s, fp in want.items()),
                           progress, len(want))
    return {"indexed": len(want), "removed": 0, "unchanged": 0, "units": units,
            "seconds": round(time.monotonic() - t0, 2)}
