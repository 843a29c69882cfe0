"""The query language: a query string -> a query tree (store.index's Q* nodes).

Words (all must occur), "exact phrases", proximity "a b"~10, AND / OR / NOT / -word /
parentheses, prefix wildcards (immigr*), fuzzy terms (detainr~, detainr~1), and fields
state:, model:, agency:, section:, revision:, signed:/year: (dates and [A TO B] ranges).
Documented in README, "Searching". Errors are QueryError, saying where and why.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from string import ascii_lowercase, digits

from archive.core.errors import QueryError
from archive.core.dates import parse_date, require_date
from archive.core.vocabulary import require_code, state_for
from archive.read.ocr_confusions import skeleton
from store import index as ix

MAX_QUERY_CHARS = 500
# The query cost budget: a query over any of these is refused (QueryError naming the limit)
# before it runs, so that no query holds a thread for long.
MAX_CLAUSES = 64        # words, phrases and field:value terms
MAX_NEGATIONS = 16      # NOT and -word, nested or not
MAX_DEPTH = 10          # parentheses inside parentheses
MAX_WILDCARDS = 16      # wildcard and fuzzy terms (each is looked up in the word list)
MAX_EXPANSIONS = 128    # index words all wildcard and fuzzy terms together stand for
MAX_SCANS = 8           # postings read, in whole-index lengths: words found nearly everywhere
FIELDS = ("state", "model", "agency", "section", "revision", "signed", "year")
FACETS = ("state", "model", "year", "revision", "section")


# --- fuzzy words and OCR misreadings -------------------------------------------------------

# One character, or two that the model reads as one ("rn" as "m", "cl" as "d")
_BEGINNINGS = [*ascii_lowercase, *digits, *(a + b for a in ascii_lowercase for b in ascii_lowercase
                                             if len(skeleton(a + b + "ee")) < 4)]


@lru_cache(maxsize=4096)
def misread_variants(word: str) -> tuple[str, ...]:
    """*word* and its spellings with its first letter, or first two, as a scan may read
    them by the OCR-confusion model (ice: lce, 1ce; must: rnust; rnust: must; death: cleath):
    where a fuzzy word's misreadings are looked for, since fuzzy matching keeps the first letter."""
    want = skeleton(word)
    out = {word}
    for k in (1, 2):
        if len(word) > k:
            out.update(b + word[k:] for b in _BEGINNINGS if skeleton(b + word[k:]) == want)
    return tuple(sorted(out))


# A fuzzy word also finds its OCR misreadings (store.index.fuzzy_words)
ix.set_misreading_rule(ix.MisreadingRule(skeleton, misread_variants))


# --- field values ----------------------------------------------------------------------

def state_value(value: str) -> str:
    """A two-letter code or a state's name (any case) -> the name as ICE writes it."""
    name = state_for(value)
    if name is None:
        raise ValueError(f"unknown state {value!r}: give a two-letter code (FL) or a name (Florida)")
    return name


def model_value(value: str) -> str:
    """JEM/TFM/WSO/TTFM or ICE's wording ("Jail Enforcement Model", "Task Force") -> code."""
    return require_code(value)


def iso_date(value: str | None) -> str | None:
    """Any date the one parser accepts (archive.core.dates) -> YYYY-MM-DD; None otherwise."""
    return parse_date(value) if value else None


def date_value(value: str) -> str:
    return require_date(value)


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
            if name == "section":      # as section:KEY does: the words inside that section
                qs = tuple(ix.QExact("section_key", v) for v in values)
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
    end: int = 0            # where the token ends in the query


def tokenize(q: str) -> list[Tok]:
    """The query's tokens. A word of no letters or digits (``§``, ``§§``, ``&``, a dash)
    is left out, as it would be inside a phrase: ``INA § 287(a)(2)`` is ``INA 287(a)(2)``.
    ``state:`` with nothing after it is an error naming the field."""
    out, pos = [], 0
    dropped: Tok | None = None
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
            if kind == "word" and text.endswith(":") and text[:-1].lower() in FIELDS:
                raise QueryError(f"cannot read the query at character {pos + 1}: '{text[:-1].lower()}:'"
                                 f" needs a value (write it right after the colon: {text[:-1].lower()}:VALUE)")
            if kind == "word" and not re.search(r"[^\W_]|[*?~]", text):
                dropped = dropped or Tok(kind, text, pos, end=m.end())
            else:
                out.append(Tok(kind, text, pos, end=m.end()))
        if out and out[-1].end == 0:
            out[-1].end = m.end()
        pos = m.end()
    if not out and dropped is not None:
        raise QueryError(f"cannot read the query at character {dropped.pos + 1}: "
                         f"{dropped.text!r} has no letters or digits to search for")
    return out


class Parser:
    """Recursive descent: or := and (OR and)* ; and := unary ((AND)? unary)* ;
    unary := (NOT | -) unary | primary ; primary := ( or ) | field:value | phrase | word."""

    def __init__(self, q: str):
        self.q = q
        self.toks = tokenize(q)
        self.i = 0
        self.clauses = 0
        self.negations = 0
        self.wildcards = 0
        self.depth = 0
        self.fields: list[tuple[str, int, int]] = []   # (name, start, end) of each field:value

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
            raise QueryError('give a query: words, "a phrase", or field:value '
                             '(see "How to write a query")')
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
            self.negations += 1
            if self.negations > MAX_NEGATIONS:
                raise self.error(f"more than {MAX_NEGATIONS} negations (NOT or -); "
                                 f"the limit is {MAX_NEGATIONS}", tok)
            inner = self.parse_unary()
            return inner.item if isinstance(inner, ix.QNot) else ix.QNot(inner)   # NOT NOT x = x
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
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise self.error(f"parentheses nested more than {MAX_DEPTH} deep; "
                                 f"the limit is {MAX_DEPTH}", tok)
            node = self.parse_or()
            self.depth -= 1
            close = self.take()
            if close is None or close.kind != "rparen":
                raise self.error("'(' is never closed (add ')')", tok)
            return node
        self.clauses += 1
        if self.clauses > MAX_CLAUSES:
            raise self.error(f"more than {MAX_CLAUSES} terms (words, phrases, fields); "
                             f"the limit is {MAX_CLAUSES}", tok)
        if tok.kind == "field":
            return self.parse_field(tok)
        if tok.kind == "phrase":
            if not ix.analyze(tok.text):
                raise self.error("an empty phrase", tok)
            slop = max(tok.slop if tok.slop is not None else 1, 1)
            if "~" in tok.text:
                return self.fuzzy_phrase(tok, slop)
            return ix.QWords(tok.text, slop=slop)
        return self.word(tok)

    def fuzzy_phrase(self, tok: Tok, slop: int):
        """A phrase with fuzzy words ("limited english proficency~"): the others as typed."""
        words, fuzzy = [], []
        for chunk in tok.text.split():
            m = re.fullmatch(r"(.+?)~(\d?)", chunk)
            dist: int | None | bool = False
            if m:
                chunk, dist = m.group(1), int(m.group(2)) if m.group(2) else None
                if dist is not None and dist > 2:
                    raise self.error("fuzzy distance is at most 2 (detainr~2)", tok)
            for w in ix.analyze(chunk):
                words.append(w)
                fuzzy.append(dist)
        if not words:
            raise self.error("an empty phrase", tok)
        if len(words) == 1:
            return ix.QWords(words[0]) if fuzzy[0] is False else ix.QFuzzy(words[0], fuzzy[0])
        return ix.QPhrase(tuple(words), tuple(fuzzy), slop)

    def parse_field(self, tok: Tok):
        name = tok.text
        if name not in FIELDS:
            raise self.error(f"unknown field '{name}:'; fields are "
                             + ", ".join(f + ":" for f in FIELDS)
                             + " (to search for the word, put it in quotes)", tok)
        val = self.take()
        if val is None:
            raise self.error(f"'{name}:' needs a value", tok)
        start = self.i
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
        finally:
            self.fields.append((name, tok.pos, self.toks[max(start, self.i) - 1].end))

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
        if re.search(r"[*?]|~\d?$", text):
            self.wildcards += 1
            if self.wildcards > MAX_WILDCARDS:
                raise self.error(f"more than {MAX_WILDCARDS} wildcard and fuzzy terms; "
                                 f"the limit is {MAX_WILDCARDS}", tok)
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
        exact = text.startswith("=") and len(text) > 1
        if exact:
            text = text[1:]
        elif re.fullmatch(r"\w+'s", text):     # a possessive: the word, inflected
            text = text[:-2]
        if not ix.analyze(text):
            raise self.error(f"{text!r} has no letters or digits to search for", tok)
        return ix.QWords(text, inflect=not exact)


def parse(query: str):
    """The query tree for *query*; QueryError (saying where and why) when unreadable."""
    return _parser(query).tree


def _parser(query: str) -> Parser:
    query = ix.fold_quotes(query or "").strip()
    if len(query) > MAX_QUERY_CHARS:
        raise QueryError(f"query is {len(query)} characters long; the limit is {MAX_QUERY_CHARS}")
    p = Parser(query)
    p.tree = p.parse()
    return p


def check_cost(tree, reader) -> None:
    """QueryError when running *tree* would cost more than the budget: its wildcard and
    fuzzy terms (negated ones too) standing for more than MAX_EXPANSIONS index words,
    or its words' postings adding up to more than MAX_SCANS times the whole index (a
    long OR of words found on nearly every page). *reader* is a store.index.Reader;
    the expansions it looks up here are remembered, so the query then runs on them."""
    expand = reader.expand_leaf
    words = 0
    postings = 0
    for leaf in all_leaves(tree):
        if isinstance(leaf, ix.QPattern):
            found = expand(leaf)
        elif isinstance(leaf, ix.QFuzzy):
            parts = ix.analyze(leaf.text)
            found = [w for p in parts + (["".join(parts)] if len(parts) > 1 else [])
                     for w in expand(ix.QFuzzy(p, leaf.maxdist, leaf.field))]
        elif isinstance(leaf, ix.QWords):
            terms = ix.analyze(leaf.text)
            if leaf.inflect and len(terms) == 1 and leaf.field == "content":
                terms = sorted({terms[0], ix.stem(terms[0]), ix.STEM + ix.stem(terms[0])})
            postings += sum(reader.frequency(leaf.field, t) for t in terms)
            continue
        elif isinstance(leaf, ix.QPhrase):
            found = [w for word, dist in zip(leaf.words, leaf.fuzzy) if dist is not False
                     for w in expand(ix.QFuzzy(word, dist, leaf.field))]
            postings += sum(reader.frequency(leaf.field, w) for w, d in zip(leaf.words, leaf.fuzzy)
                            if d is False)
        else:
            continue
        words += len(found)
        if words > MAX_EXPANSIONS:
            raise QueryError(f"the wildcard and fuzzy terms of the query stand for more than "
                             f"{MAX_EXPANSIONS} index words; the limit is {MAX_EXPANSIONS}: "
                             "give more letters before * or fewer ~ terms")
        postings += sum(reader.frequency(leaf.field, w) for w in found)
    units = max(reader.unit_count(), 1)
    if postings > MAX_SCANS * units:
        raise QueryError(f"the query's words occur {postings / units:.0f} times over in the index "
                         f"(words found on nearly every page); the limit is {MAX_SCANS}: "
                         "use fewer common words, or a \"phrase\"")


def all_leaves(node) -> list:
    """Every leaf of a query tree, negated or not."""
    if isinstance(node, (ix.QAnd, ix.QOr)):
        return [leaf for item in node.items for leaf in all_leaves(item)]
    if isinstance(node, ix.QNot):
        return all_leaves(node.item)
    return [node]


def without_fields(query: str, names: tuple[str, ...]) -> str | None:
    """*query* with its ``name:value`` terms for *names* taken out (None when it has
    none, or nothing searchable would be left)."""
    p = _parser(query)
    spans = [(a, b) for name, a, b in p.fields if name in names]
    if not spans:
        return None
    text = p.q
    for a, b in sorted(spans, reverse=True):
        text = text[:a] + " " + text[b:]
    text = re.sub(r"\b(?:AND|OR)\s+(?=(?:AND|OR|\)|$))", "", " ".join(text.split()))
    text = re.sub(r"^(?:\s*(?:AND|OR)\b)+|(?:\b(?:AND|OR|NOT)\s*)+$", "", text).strip()
    text = re.sub(r"\(\s*\)", "", text).strip()
    try:
        parse(text)
    except QueryError:
        return None
    return text
