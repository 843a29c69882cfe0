"""The Whoosh search index: the only module that imports whoosh.

Storage only: the schema and its analysis, the query tree and its translation into
Whoosh queries (with our matchers), the write lock, building / updating / swapping
index generations, and the reader. What goes into the index (units read from the
stage tables) and the query language live in ``archive.search``; nothing here reads
the database or imports ``archive``.

The index holds *units*, one Whoosh document each, all tied to a document by
``sha256`` (``kind``: doc | page | section | form; see archive.search.units).

Layout: ``DATA_DIR/index`` is a symlink to ``index.<generation>/``. A rebuild writes a
fresh directory, then swaps the symlink atomically; an incremental update commits in
place (Whoosh commits are atomic: readers keep the generation they opened). Writers
take an exclusive lock on ``DATA_DIR/index.lock``; readers never lock.

Errors are this module's own (IndexLocked, IndexUnusable); archive.search turns them
into the project's errors and messages.
"""
from __future__ import annotations

import fcntl
import math
import os
import pickle
import re
import resource
import shutil
import tempfile
import threading
import time
import unicodedata
import zlib
from bisect import bisect_left, bisect_right
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from itertools import accumulate
from pathlib import Path
from typing import Callable, Iterable, Iterator

from whoosh import fields, formats, index as windex, query as wq
from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer, Token, Tokenizer
from whoosh.matching import (AndNotMatcher, IntersectionMatcher, NullMatcher, RequireMatcher, UnionMatcher,
                             WrappingMatcher)
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.query.spans import SpanWrappingMatcher
from whoosh.system import _INT_SIZE
from whoosh.support.charset import accent_map
from whoosh.support.levenshtein import distance

INDEX_VERSION = 10           # bump when the schema or what is indexed changes: forces a rebuild
VERSION_FILE = "moa-index-version"
MAX_FUZZY_EXPANSIONS = 64    # a fuzzy or wildcard term matches at most this many index terms


# The private parts of Whoosh this module relies on (tests/test_index.py checks each one
# on the installed release; pyproject.toml bounds whoosh-reloaded below 2.8).
WHOOSH_PRIVATE = {
    "whoosh.query.FuzzyTerm._btexts": "the index terms a fuzzy term expands to (capped here)",
    "whoosh.query.Wildcard._btexts": "the same for wildcards",
    "whoosh.query.Prefix._btexts": "the same for prefixes",
    "whoosh.query.spans.SpanWrappingMatcher._get_spans": "our phrase matcher's position check",
    "whoosh.query.spans.SpanWrappingMatcher._replacement": "keeps the phrase matcher in place",
    "whoosh.index.FileIndex._segments": "the segments of an index (tests, bench)",
    "whoosh.matching.AndNotMatcher._find_first": "fixed in _AndNotMatcher (its first match)",
    "whoosh.matching.AndNotMatcher._find_next": "what _AndNotMatcher._find_first calls",
    "whoosh.codec.whoosh3.W3LeafMatcher._read_ids": "a block's ids at once (_blocks; with ._ids, ._i)",
    "whoosh.codec.whoosh3.W3LeafMatcher._next_block": "the next block of postings (_blocks)",
    "whoosh.codec.whoosh3.W3LeafMatcher._read_values": "a block's values at once (_blocks; ._values)",
}


class IndexLocked(Exception):
    """Another writer holds the index's write lock."""


class IndexUnusable(Exception):
    """The index is missing, of another INDEX_VERSION, or unreadable."""


# --- analysis -------------------------------------------------------------------------

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
                         "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
                         "\u00ab": '"', "\u00bb": '"'})


def fold_quotes(text: str) -> str:
    """Curly quotes and apostrophes to straight ones."""
    return text.translate(_QUOTES)


WORD_RE = re.compile(r"\w+")
STEM = "~"                  # index terms "~" + stem: the word's inflections (never typed)
# A run-together token may be followed by the words it splits into, between these two
# characters (private use: never in a text): "ofthe\ue000of the\ue001" (see MoaTokenizer).
SPLIT_OPEN, SPLIT_CLOSE = "\ue000", "\ue001"
_TOKEN_RE = re.compile(r"\w+|\ue000[^\ue001]*\ue001")
_JOINERS = ("/", "-")


def make_analyzer():
    """Words (runs of letters/digits), lower-cased, accents folded. Any other character
    separates words, so "70-percent" is the phrase "70 percent", "U.S.C." is "u s c"
    whether or not it is printed with spaces, and "Sheriff’s" equals "Sheriff's".
    No stop words are removed: "notice to appear" differs from "notice of appear"."""
    return RegexTokenizer(WORD_RE) | LowercaseFilter() | CharsetFilter(accent_map)


ANALYZER = make_analyzer()
_stemmer = None


def stem(word: str) -> str:
    """The English (Snowball) stem of a folded word: detainers, detainer -> detain;
    notify, notified, notifies -> notifi. Words of digits or under 3 letters are their own."""
    global _stemmer
    if len(word) < 3 or not word.isalpha():
        return word
    if _stemmer is None:
        import Stemmer
        _stemmer = Stemmer.Stemmer("english", 100000)
    return _stemmer.stemWord(word)


def _fold(word: str) -> str:
    word = word.lower()
    return word if word.isascii() else word.translate(accent_map)


class MoaTokenizer(Tokenizer):
    """The content analyzer, in one pass: each word as ANALYZER gives it, and at the
    same position its stem (STEM + stem, when it differs from the word); two words
    joined by "/" or "-" also as one ("jail/correctional" is also "jailcorrectional");
    and the words a run-together token splits into, given after it between SPLIT_OPEN
    and SPLIT_CLOSE, at its position and the next ones (later words move up; the token
    itself is at its first and its last word's position)."""

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for text, pos in self.terms(value, start_pos):
            t.text, t.boost, t.stopped = text, 1.0, False
            if positions:
                t.pos = pos
            yield t

    @staticmethod
    def terms(value: str, start_pos: int = 0) -> Iterator[tuple[str, int]]:
        """(term, position) of every term of *value* (what __call__ gives as tokens)."""
        fast = value.isascii()           # then folding is lower() of the whole text
        low = value.lower() if fast else value
        stems = _stems
        pos = start_pos - 1
        prev, prev_end, prev_pos = None, -1, 0
        for m in _TOKEN_RE.finditer(low):
            text = m.group(0)
            if text[0] == SPLIT_OPEN:
                parts = [_fold(w) for w in WORD_RE.findall(text)]
                for i, w in enumerate(parts):
                    yield w, prev_pos + i
                    s = _stem_of(w)
                    if s != w:
                        yield STEM + s, prev_pos + i
                if prev is not None and len(parts) > 1:
                    # the token itself also at its last word's place, so that it is
                    # next to both the word before it and the word after it
                    prev_pos += len(parts) - 1
                    yield prev, prev_pos
                    s = _stem_of(prev)
                    if s != prev:
                        yield STEM + s, prev_pos
                    pos = max(pos, prev_pos)
                prev_end = m.end()
                continue
            word = text if fast else _fold(text)
            pos += 1
            if prev is not None and low[prev_end:m.start()] in _JOINERS:
                yield prev + word, prev_pos
            yield word, pos
            s = stems.get(word)
            if s is None:
                s = _stem_of(word)
            if s != word:
                yield STEM + s, pos
            prev, prev_end, prev_pos = word, m.end(), pos


def _stem_of(word: str) -> str:
    """stem(), remembered (up to 500,000 words)."""
    s = _stems.get(word)
    if s is None:
        s = stem(word)
        if len(_stems) < 500000:
            _stems[word] = s
    return s


class _Positions(formats.Positions):
    """whoosh's Positions format (the same postings), reading our tokenizer's (term,
    position) pairs directly instead of one Token object per term."""

    def word_values(self, value, analyzer, **kwargs):
        terms = getattr(analyzer, "terms", None)
        if terms is None:
            yield from super().word_values(value, analyzer, **kwargs)
            return
        poses: dict[str, list[int]] = {}
        for text, pos in terms(value):
            found = poses.get(text)
            if found is None:
                poses[text] = [pos]
            else:
                found.append(pos)
        fb = self.field_boost
        encode = self.encode
        for w, poslist in poses.items():
            yield w, len(poslist), len(poslist) * fb, encode(poslist)

    def decode_positions(self, valuestring):
        """As whoosh's (its count, then the pickled deltas), summed in C."""
        if not valuestring.endswith(b"."):
            valuestring += b"."
        return list(accumulate(pickle.loads(valuestring[_INT_SIZE:])))


def _text_field(**kwargs) -> fields.TEXT:
    """A TEXT field on CONTENT_ANALYZER with positions (phrases), written by _Positions."""
    f = fields.TEXT(analyzer=CONTENT_ANALYZER, phrase=True, **kwargs)
    f.format = _Positions(field_boost=f.format.field_boost)
    return f


_stems: dict[str, str] = {}
CONTENT_ANALYZER = MoaTokenizer()


def index_terms(text: str) -> list[str]:
    """The terms the content field indexes for *text* (for tests and tools)."""
    return [t.text for t in CONTENT_ANALYZER(text)]


def analyze(text: str) -> list[str]:
    """The words of *text* as the index folds them (ANALYZER's tokens, quickly)."""
    return [_fold(w) for w in WORD_RE.findall(text)]


def fold_word(text: str) -> str:
    """Case- and accent-fold one word without splitting it (for wildcard patterns)."""
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in text if not unicodedata.combining(c))


def make_schema() -> fields.Schema:
    text = dict(analyzer=ANALYZER, phrase=True)
    return fields.Schema(
        uid=fields.ID(unique=True, stored=True),
        sha256=fields.ID(stored=True, sortable=True),
        kind=fields.ID(stored=True, sortable=True),  # doc | page | section | form
        source=fields.STORED,                         # text | ocr | both | form
        # 1-based; 0 in the column = none; one term per value (pages are never ranged)
        page=fields.NUMERIC(stored=True, sortable=True, shift_step=0),
        last_page=fields.NUMERIC(stored=True, sortable=True, shift_step=0),   # a section's pages
        units=fields.STORED,                          # doc units: how many units precede it
        content=_text_field(),                        # searched; not stored
        bridge=_text_field(stored=True),              # page units:
                                                      # the words over the break to the next page
        body=fields.STORED,                           # form units: the value, for snippets
        reading=fields.STORED,                        # page units: the pages column read (text |
                                                      # text_layer | ocr_text); their texts and the
        ord=fields.STORED,                            # sections' (by ord) are read from the database
        section_key=fields.ID(stored=True, sortable=True),
        section_title=fields.TEXT(stored=True, **text),
        in_section=fields.STORED,                     # page units: (key, title) covering the page
        page_starts=fields.STORED,                    # section units: [(offset in body, page)]
        agency=fields.TEXT(stored=True, **text),
        state=fields.ID(stored=True, sortable=True),
        model=fields.ID(stored=True, sortable=True),
        signed=fields.ID(stored=True, sortable=True),
        year=fields.ID(sortable=True),
        revision=fields.ID(sortable=True),            # ISO date
        revision_shown=fields.STORED,                 # as printed, MM/DD/YYYY
        doctype=fields.ID(stored=True),               # moa | addendum | template | archive-moa
        file_name=fields.STORED,
        fingerprint=fields.STORED,
    )


# --- fuzzy spellings (analysis) ---------------------------------------------------------
# A fuzzy word (detainr~) stands for the index words within its edit distance that share
# its first letter; and, once a misreading rule is set (archive.search sets the OCR-
# confusion model's, archive.read.ocr_confusions), also for the words that rule reads as
# it, or as within the distance of it, first letter included: ice~ finds "lce", death~
# "cleath", longer~ "1onger". The closest come first, up to MAX_FUZZY_EXPANSIONS.
MISREAD_POOL = 2       # edit distance of the words the misreading rule is asked about


@dataclass(frozen=True)
class MisreadingRule:
    skeleton: Callable[[str], str]            # a word -> the form its misreadings share
    variants: Callable[[str], Iterable[str]]  # a word -> it with its beginning as scans read it


_misreading: MisreadingRule | None = None


def set_misreading_rule(rule: MisreadingRule | None) -> None:
    global _misreading
    _misreading = rule


def fuzzy_words(reader, fieldname: str, word: str, maxdist: int) -> list[str]:
    """The index words a fuzzy *word* stands for, closest first (see above)."""
    found = {w: (0, d) for w in reader.terms_within(fieldname, word, maxdist, prefix=1)
             if (d := distance(w, word, maxdist)) <= maxdist}
    rule = _misreading
    if rule is not None:
        want = rule.skeleton(word)
        pool = max(maxdist, MISREAD_POOL)
        for variant in rule.variants(word):
            if variant == word and pool == maxdist:
                continue            # the same words as above
            for w in reader.terms_within(fieldname, variant, pool, prefix=1):
                if w in found:
                    continue
                s = rule.skeleton(w)
                if s[:1] == want[:1] and (k := distance(s, want, maxdist)) <= maxdist:
                    found[w] = (k, distance(w, word, 9))
    return sorted(found, key=lambda w: (found[w], w))[:MAX_FUZZY_EXPANSIONS]


# --- query tree (built by archive.search) ---------------------------------------------

@dataclass(frozen=True)
class QWords:
    """Text on a text field: one word, or a phrase when it analyzes into several words
    (slop 1 = adjacent, in order). *inflect*: one word on content also finds its
    inflections (the same stem); phrases are matched as typed."""
    text: str
    field: str = "content"
    slop: int = 1
    inflect: bool = False


@dataclass(frozen=True)
class QPhrase:
    """A phrase on content with fuzzy words in it: *words* folded, *fuzzy* per word
    False (as typed), None (the default distance) or the distance."""
    words: tuple
    fuzzy: tuple
    slop: int = 1
    field: str = "content"


@dataclass(frozen=True)
class QPattern:
    """A wildcard pattern (``immigr*``, ``detain?r``), already folded."""
    pattern: str
    field: str = "content"


@dataclass(frozen=True)
class QFuzzy:
    text: str
    maxdist: int | None = None   # None: 1 for words up to 5 letters, else 2
    field: str = "content"


@dataclass(frozen=True)
class QExact:
    field: str
    value: str


@dataclass(frozen=True)
class QRange:
    field: str
    lo: str | None
    hi: str | None


@dataclass(frozen=True)
class QPrefix:
    field: str
    value: str


@dataclass(frozen=True)
class QAnd:
    items: tuple


@dataclass(frozen=True)
class QOr:
    items: tuple


@dataclass(frozen=True)
class QNot:
    item: object


@dataclass(frozen=True)
class QAll:
    pass


TEXT_LEAVES = (QWords, QPhrase, QPattern, QFuzzy)


def text_leaves(node, negated: bool = False) -> list:
    """The positive free-text leaves of a query: the words to locate and highlight."""
    if isinstance(node, (QAnd, QOr)):
        return [leaf for item in node.items for leaf in text_leaves(item, negated)]
    if isinstance(node, QNot):
        return text_leaves(node.item, not negated)
    if isinstance(node, TEXT_LEAVES) and node.field == "content" and not negated:
        return [node]
    return []


SECTION_FIELDS = ("section_key", "section_title")    # the fields only section units have
# a document's one-term fields that doc units keep in a column (Reader.doc_matches)
DOC_COLUMNS = ("sha256", "state", "model", "signed", "year", "revision")


def targets_sections(node, negated: bool = False) -> bool:
    """True when the query asks for words inside a section (``section:``)."""
    if isinstance(node, (QAnd, QOr)):
        return any(targets_sections(i, negated) for i in node.items)
    if isinstance(node, QNot):
        return targets_sections(node.item, not negated)
    return not negated and getattr(node, "field", None) in SECTION_FIELDS


class _CappedFuzzy(wq.FuzzyTerm):
    def _btexts(self, ixreader):
        return fuzzy_words(ixreader, self.fieldname, self.text, self.maxdist)


class _CappedWildcard(wq.Wildcard):
    def _btexts(self, ixreader):
        return _cap(super()._btexts(ixreader))


class _CappedPrefix(wq.Prefix):
    def _btexts(self, ixreader):
        return _cap(super()._btexts(ixreader))


def _cap(btexts: Iterable) -> list:
    out = []
    for b in btexts:
        out.append(b)
        if len(out) >= MAX_FUZZY_EXPANSIONS:
            break
    return out


class _PhraseMatcher(SpanWrappingMatcher):
    """Matches where the slots occur in order, each within *slop* positions of the one
    before (slop 1: adjacent). A slot is one or more terms (a fuzzy word's spellings);
    its positions are those of its terms on the current unit. Checks position lists with
    sets and bisection instead of whoosh's span objects, which cost seconds on long
    documents full of "to" and "the"."""

    def __init__(self, child, slots, slop):
        self.slots, self.slop = slots, slop
        super().__init__(child)

    def _replacement(self, newchild):
        return self if newchild.is_active() else NullMatcher()

    def copy(self):
        raise NotImplementedError("phrase matchers are not copied")

    def _positions(self, leaves, here):
        if len(leaves) == 1:
            return leaves[0].value_as("positions")
        found = set()
        for m in leaves:
            if m.is_active() and m.id() == here:
                found.update(m.value_as("positions"))
        return sorted(found)

    def _get_spans(self):
        here = self.child.id()
        return [True] if _in_order([self._positions(leaves, here) for leaves in self.slots], self.slop) else []


class _Phrase(wq.Query):
    """A phrase of slots (each a list of terms, any of which fills it). *within*: a
    query that every match must match too (the unit kind searched for). Required before
    the positions are compared, it spares comparing them in units that are not wanted;
    it adds nothing to the score."""

    def __init__(self, fieldname, slots, slop=1, within=None):
        self.fieldname, self.slots, self.slop, self.within = fieldname, slots, slop, within
        self.boost = 1.0

    def __eq__(self, other):
        return (type(other) is type(self) and
                (self.fieldname, self.slots, self.slop) == (other.fieldname, other.slots, other.slop))

    def __hash__(self):
        return hash((self.fieldname, repr(self.slots), self.slop))

    def __repr__(self):
        return f"_Phrase({self.fieldname!r}, {self.slots!r}, slop={self.slop})"

    def estimate_size(self, ixreader):
        return min(sum(ixreader.doc_frequency(self.fieldname, w) for w in terms) for terms in self.slots)

    def estimate_min_size(self, ixreader):
        return 0

    def matcher(self, searcher, context=None):
        field = searcher.schema[self.fieldname]
        reader = searcher.reader()
        slots, children = [], []
        for terms in self.slots:
            leaves = [wq.Term(self.fieldname, w).matcher(searcher, context) for w in terms
                      if (self.fieldname, field.to_bytes(w)) in reader]
            if not leaves:
                return NullMatcher()
            slots.append(leaves)
            children.append(_union(leaves))
        child = children[0]
        for m in children[1:]:
            child = IntersectionMatcher(child, m)
        if self.within is not None:
            child = RequireMatcher(child, self.within.matcher(searcher, context))
        return _PhraseMatcher(child, slots, self.slop)


def _union(matchers):
    while len(matchers) > 1:
        matchers = [UnionMatcher(matchers[i], matchers[i + 1]) if i + 1 < len(matchers) else matchers[i]
                    for i in range(0, len(matchers), 2)]
    return matchers[0]


class _AndNotMatcher(AndNotMatcher):
    """whoosh's AndNotMatcher, which lets the first match of its positive side through
    when the negative side begins before it (whoosh-reloaded 2.7 compares only the two
    first ids): ``section:training NOT certification`` listed the first training
    section, certification and all."""

    def _find_first(self):
        if self.a.is_active() and self.b.is_active():
            if self.b.id() < self.a.id():
                self.b.skip_to(self.a.id())
            if self.b.is_active() and self.a.id() == self.b.id():
                self._find_next()


class _AndNot(wq.AndNot):
    def matcher(self, searcher, context=None):
        return _AndNotMatcher(self.a.matcher(searcher, context),
                              self.b.matcher(searcher, searcher.boolean_context()))


class _Or(wq.Or):
    """An OR matched by a tree of unions that skips along the postings. On an index of
    fewer than 5,000 units whoosh would preload and score every match in the whole
    index, though only doc units, or the units of the documents shown, are wanted."""
    matcher_type = wq.Or.DEFAULT_MATCHER


def to_whoosh(node, expand=None, within=None) -> wq.Query:
    """The Whoosh query for a query tree. *expand* (a Reader's) turns fuzzy and wildcard
    leaves into plain terms, found once and remembered. *within*: see _Phrase (the
    caller still requires it of the whole query)."""
    def conv(n):
        return to_whoosh(n, expand, within)
    if isinstance(node, QAll):
        return wq.Every()
    if isinstance(node, QAnd):
        pos = [conv(i) for i in node.items if not isinstance(i, QNot)]
        neg = [conv(i.item) for i in node.items if isinstance(i, QNot)]
        q = wq.And(pos) if len(pos) > 1 else (pos[0] if pos else wq.Every())
        return _AndNot(q, _Or(neg)) if neg else q
    if isinstance(node, QOr):
        return _Or([conv(i) for i in node.items])
    if isinstance(node, QNot):
        return _AndNot(wq.Every(), conv(node.item))
    if isinstance(node, QWords):
        words = analyze(node.text)
        if not words:
            return wq.NullQuery
        if len(words) == 1:
            if node.inflect and node.field == "content":
                s = stem(words[0])
                terms = {words[0], s, STEM + s}     # the word (a joined compound has no stem)
                return _Or([wq.Term(node.field, w) for w in sorted(terms)])
            return wq.Term(node.field, words[0])
        return _Phrase(node.field, [[w] for w in words], slop=node.slop, within=within)
    if isinstance(node, QPhrase):
        slots = []
        for word, dist in zip(node.words, node.fuzzy):
            if dist is False:
                slots.append([word])
            elif expand is not None:
                slots.append(expand(QFuzzy(word, dist, node.field)) or [word])
            else:
                q = _fuzzy(node.field, word, dist)
                slots.append([word] if isinstance(q, wq.Term) else None)
        if any(slot is None for slot in slots):
            raise ValueError("fuzzy phrases need a Reader's expand")
        return _Phrase(node.field, slots, slop=node.slop, within=within)
    if isinstance(node, QPattern):
        if expand is not None:
            return _any_of(node.field, expand(node))
        return _pattern(node)
    if isinstance(node, QFuzzy):
        words = analyze(node.text)
        if not words:
            return wq.NullQuery

        def one(word: str) -> wq.Query:
            if expand is not None:
                return _any_of(node.field, expand(QFuzzy(word, node.maxdist, node.field)))
            return _fuzzy(node.field, word, node.maxdist)
        if len(words) == 1:
            return one(words[0])
        # "jail/correctional~" also finds the OCR run-together "jaiVcorrectional".
        return _Or([wq.And([one(w) for w in words]), one("".join(words))])
    if isinstance(node, QExact):
        return wq.Term(node.field, node.value)
    if isinstance(node, QPrefix):
        return wq.Prefix(node.field, node.value)
    if isinstance(node, QRange):
        return wq.TermRange(node.field, node.lo, node.hi)
    raise TypeError(f"not a query node: {node!r}")


def _any_of(fieldname: str, words: list[str]) -> wq.Query:
    return _Or([wq.Term(fieldname, w) for w in words]) if words else wq.NullQuery


def _pattern(node: QPattern) -> wq.Query:
    if node.pattern.endswith("*") and not any(c in node.pattern[:-1] for c in "*?"):
        return _CappedPrefix(node.field, node.pattern[:-1])
    return _CappedWildcard(node.field, node.pattern)


def _fuzzy(fieldname: str, word: str, maxdist: int | None) -> wq.Query:
    if maxdist is None:
        maxdist = 0 if len(word) <= 2 else 1 if len(word) <= 5 else 2
    if maxdist == 0 or word.isdigit():
        return wq.Term(fieldname, word)
    return _CappedFuzzy(fieldname, word, maxdist=maxdist, prefixlength=1)


# --- opening, locking, writing ---------------------------------------------------------

@contextmanager
def write_lock(root: Path) -> Iterator[None]:
    """Exclusive lock for anything that writes the index; IndexLocked if someone holds it."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / "index.lock"
    with open(path, "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as e:
            raise IndexLocked(f"another process is updating the search index in {root} "
                            f"(lock {path}); wait for it to finish, then try again") from e
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _current(link: Path) -> Path | None:
    """The directory the index link points at, if it holds an index of this version."""
    if not link.exists():
        return None
    target = link.resolve()
    try:
        if (target / VERSION_FILE).read_text().strip() != str(INDEX_VERSION):
            return None
    except OSError:
        return None
    return target if any(target.glob("*.toc")) else None


def open_index(link: Path):
    """Open the index at *link*; raises IndexUnusable when it is missing or unreadable."""
    target = _current(link)
    if target is None:
        raise IndexUnusable(f"no usable search index at {link}")
    try:
        ix = windex.open_dir(str(target))
        ix.doc_count()
    except Exception as e:  # whoosh raises many kinds on damaged files
        raise IndexUnusable(f"search index at {target} is unreadable: {e}") from e
    return ix


def build_fresh(root: Path, link: Path, units_for: Iterable[Iterable[dict]],
                done: Callable[[], None] = lambda: None, extra: dict[str, bytes] | None = None,
                procs: int = 1) -> int:
    """Write every unit into a new directory, then point *link* at it atomically.
    *units_for* yields each document's units; *done* is called after each document;
    *extra* files (name -> bytes) are kept beside the index (read_extra). With *procs*
    > 1 the units are analysed and written by that many processes (whoosh's MpWriter),
    each into a segment of its own; a document's units stay together in one segment.
    Returns the number of units. Caller holds the write lock."""
    root.mkdir(parents=True, exist_ok=True)
    new = Path(tempfile.mkdtemp(prefix=f"index.{time.strftime('%Y%m%dT%H%M%S')}.", dir=root))
    try:
        ix = windex.create_in(str(new), make_schema())
        if procs > 1:
            writer = ix.writer(procs=procs, limitmb=128, multisegment=True, batchsize=PARALLEL_BATCH)
        else:
            writer = ix.writer(limitmb=128)
        count = 0
        try:
            for units in units_for:
                # MpWriter hands a batch to a process only at a document's last unit
                # (outside a group), so a document's units are never cut apart
                last = None
                writer.start_group()
                for unit in units:
                    if last is not None:
                        writer.add_document(**_fields(last))
                    last = unit
                    count += 1
                writer.end_group()
                if last is not None:
                    writer.add_document(**_fields(last))
                done()
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
        ix.close()
        for name, data in (extra or {}).items():
            _extra_path(new, name).write_bytes(data)
        (new / VERSION_FILE).write_text(str(INDEX_VERSION))
    except BaseException:
        shutil.rmtree(new, ignore_errors=True)
        raise
    _swap(root, link, new)
    return count


def read_extra(link: Path, name: str) -> bytes | None:
    """A file kept beside the current generation by build_fresh (None if absent)."""
    target = _current(link)
    return _read_extra(target, name) if target else None


def _extra_path(target: Path, name: str) -> Path:
    return target / f"extra-{name}"


def _read_extra(target: Path, name: str) -> bytes | None:
    try:
        return _extra_path(target, name).read_bytes()
    except OSError:
        return None


def _fields(unit: dict) -> dict:
    """A unit as Whoosh fields: the body compressed."""
    out = dict(unit)
    if isinstance(out.get("body"), str):      # kept compressed: a third of the size
        out["body"] = zlib.compress(out["body"].encode(), 1)
    return out


def _swap(root: Path, link: Path, new: Path) -> None:
    previous = link.resolve() if link.exists() or link.is_symlink() else None
    if link.is_dir() and not link.is_symlink():
        # An index directory from before links were used: move it aside first.
        aside = root / f"index.old.{os.getpid()}"
        link.rename(aside)
        previous = aside
    tmp = root / f".index-link.{os.getpid()}"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(new.name)
    os.replace(tmp, link)
    # Keep the generation just replaced (a searcher may still be reading it); drop older.
    for old in root.glob("index.*"):
        if old.is_dir() and old not in (new, previous) and old.name != "index.lock":
            shutil.rmtree(old, ignore_errors=True)


def update_in_place(ix, changed: Iterable[str], removed: set[str],
                    units_for: Iterable[Iterable[dict]], done: Callable[[], None] = lambda: None) -> int:
    """Replace the units of *changed* documents (sha256s; *units_for* yields their units)
    and delete *removed* ones, in one commit.
    Segments are merged by _merge_policy, never the whole index on every update.
    """
    writer = ix.writer(limitmb=128)
    count = 0
    try:
        for sha in set(removed) | set(changed):
            writer.delete_by_term("sha256", sha)
        for units in units_for:
            for unit in units:
                writer.add_document(**_fields(unit))
                count += 1
            done()
        writer.commit(mergetype=_merge_policy)
    except BaseException:
        writer.cancel()
        raise
    return count


MAX_SEGMENTS = 6
PARALLEL_BATCH = 200    # units per batch handed to a writing process
MERGE_DELETED = 0.3     # a segment with this share of its units deleted is rewritten


def _merge_policy(writer, segments):
    """Which segments an update keeps as they are (whoosh merge function): segments with
    nothing live are dropped; small ones (under a quarter of the largest) and ones with
    many deletions are merged into the new segment, then the smallest until at most
    MAX_SEGMENTS remain, so fuzzy and prefix terms are looked up in few segments while
    an update of a few documents rewrites only small segments."""
    from whoosh.reading import SegmentReader

    live = [s for s in segments if s.doc_count() > 0]
    largest = max((s.doc_count() for s in live), default=0)
    keep, merge = [], []
    for seg in sorted(live, key=lambda s: -s.doc_count()):
        deleted = 1 - seg.doc_count() / max(1, seg.doc_count_all())
        if seg.doc_count() < largest / 4 or deleted > MERGE_DELETED or len(keep) >= MAX_SEGMENTS - 1:
            merge.append(seg)
        else:
            keep.append(seg)
    for seg in merge:
        reader = SegmentReader(writer.storage, writer.schema, seg)
        writer.add_reader(reader)
        reader.close()
    return keep


def indexed_fingerprints(ix) -> dict[str, str]:
    with ix.searcher() as s:
        return {f["sha256"]: f.get("fingerprint") for f in s.documents(kind="doc")}


# --- searching -------------------------------------------------------------------------

@dataclass
class UnitHit:
    """A matching unit. Its kind and section key are read from the index only when
    asked for: most hits of a search only need their page."""
    docnum: int
    score: float
    sha256: str
    page: int | None
    reader: "Reader" = field(repr=False, compare=False)

    @cached_property
    def kind(self) -> str:
        return self.reader.column_text("kind", self.docnum)

    @cached_property
    def section_key(self) -> str:
        return self.reader.column_text("section_key", self.docnum)


BM25_K1, BM25_B = 1.2, 0.75


class Matched:
    """What one query matched (Reader.match_documents). *documents*: doc unit -> score:
    BM25 over units, adding per positive free-text leaf a document has the leaf's rarity
    (log of documents over the documents having it) times the saturated count of the
    document's units it matched, the count weighed against the document's size in units."""

    def __init__(self, reader: "Reader", node):
        self.reader, self.node = reader, node
        self._hits: dict[object, list[int]] = {}      # free-text leaf -> units, in order
        self._docs: dict[object, set[int]] = {}       # any other leaf -> doc units

    @cached_property
    def documents(self) -> dict[int, float]:
        reader, node = self.reader, self.node
        docs = reader._doc_units
        everyone = set(docs)
        per_doc: dict[object, dict[int, int]] = {}

        def leaf_docs(leaf) -> set[int]:
            found = per_doc.get(leaf)
            if found is None:     # a document's units lie after the doc unit before it
                hits, found, at = self._leaf_hits(leaf), {}, 0
                per_doc[leaf] = found
                for d in docs[bisect_left(docs, hits[0]):] if hits else ():
                    end = bisect_right(hits, d, at)
                    if end > at:
                        found[d], at = end - at, end
                    if end == len(hits):
                        break
            return set(found)

        positive: list = []
        matched = self._decide(node, leaf_docs, self._doc_leaf, everyone, positive)
        total = max(1, len(docs))
        size, norm = reader._doc_sizes
        out = {d: 0.0 for d in matched}
        for leaf in dict.fromkeys(positive):
            found = per_doc[leaf]
            rarity = math.log(1 + total / max(1, len(found)))
            for d in matched.intersection(found):
                tf = found[d]
                out[d] += rarity * tf * (BM25_K1 + 1) / (tf + BM25_K1 * (1 - BM25_B + BM25_B * size[d] / norm))
        return out

    def _doc_leaf(self, leaf) -> set[int]:
        """The doc units a leaf that is not free text holds on (remembered)."""
        found = self._docs.get(leaf)
        if found is None:
            r = self.reader
            found = r.doc_matches(leaf)
            if found is None:
                found = set(r.searcher.docs_for_query(
                    _timed(wq.And([wq.Term("kind", "doc"), to_whoosh(leaf, r.expand_leaf)]))))
            self._docs[leaf] = found
        return found

    def _leaf_hits(self, leaf) -> list[int]:
        found = self._hits.get(leaf)
        if found is None:
            r = self.reader
            q = to_whoosh(leaf, r.expand_leaf)
            terms = _plain_terms(q)
            if terms is not None:
                found = _posting_ids(r.searcher, *terms)
            elif type(q) is _Phrase and q.within is None:
                found = _phrase_ids(r.searcher, q)
            else:
                found = sorted(r.searcher.docs_for_query(_timed(q)))
            self._hits[leaf] = found
        return found

    def _decide(self, node, text, other, everyone: set[int], positive: list | None = None,
                negated: bool = False) -> set[int]:
        """*node* as a set (of documents or of sections): *text* gives a free-text
        leaf's, *other* any other leaf's, *everyone* the whole set. The free-text leaves
        not under a NOT are added to *positive*."""
        def sub(n, neg=negated):
            return self._decide(n, text, other, everyone, positive, neg)
        if isinstance(node, QAll):
            return set(everyone)
        if isinstance(node, QAnd):
            pos = [sub(i) for i in node.items if not isinstance(i, QNot)]
            out = set.intersection(*pos) if pos else set(everyone)
            for i in node.items:
                if isinstance(i, QNot):
                    out -= sub(i.item, not negated)
            return out
        if isinstance(node, QOr):
            return set().union(*(sub(i) for i in node.items))
        if isinstance(node, QNot):
            return everyone - sub(node.item, not negated)
        if isinstance(node, QFuzzy) and node.field == "content" and len(words := analyze(node.text)) > 1:
            # "jail/correctional~": each word (in the same document or section), or the joined word
            each = [sub(QFuzzy(w, node.maxdist, node.field)) for w in words]
            return set.intersection(*each) | sub(QFuzzy("".join(words), node.maxdist, node.field))
        if isinstance(node, TEXT_LEAVES) and node.field == "content":
            if not negated and positive is not None:
                positive.append(node)
            return text(node)
        return other(node)

    @cached_property
    def sections(self) -> set[int]:
        """The section units on which the whole query holds (every free-text leaf in
        that section's own text, every field on that section)."""
        r = self.reader
        sections = r._section_list
        size, _ = r._doc_sizes

        def other(leaf) -> set[int]:
            if getattr(leaf, "field", None) in SECTION_FIELDS:
                return set(r.searcher.docs_for_query(
                    _timed(wq.And([wq.Term("kind", "section"), to_whoosh(leaf, r.expand_leaf)]))))
            # a document's field: its sections have it as their document does
            out: set[int] = set()
            for d in self._doc_leaf(leaf):
                out.update(sections[bisect_left(sections, d - size[d] + 1):bisect_left(sections, d)])
            return out
        return self._decide(self.node, lambda leaf: set(r._section_units.intersection(self._leaf_hits(leaf))),
                            other, set(r._section_units))

    def units_of(self, leaves, doc_units: dict[int, dict]) -> list[UnitHit]:
        """The page, section and form units of the given documents (doc unit -> its
        stored fields) where one of the free-text *leaves* matches, each scored by the
        rarity of the leaves it holds."""
        r = self.reader
        total = max(1, r.unit_count())
        score: dict[int, float] = {}
        for leaf in leaves:
            hits = self._leaf_hits(leaf)
            rarity = math.log(1 + total / max(1, len(hits)))
            for d, f in doc_units.items():
                for unit in hits[bisect_left(hits, d - f.get("units", 0)):bisect_left(hits, d)]:
                    score[unit] = score.get(unit, 0.0) + rarity
        sha = {d: f["sha256"] for d, f in doc_units.items()}
        docs = sorted(doc_units)
        return [UnitHit(u, s, sha[docs[bisect_left(docs, u)]], r.value("page", u) or None, r)
                for u, s in sorted(score.items())]


def _plain_terms(q: wq.Query) -> tuple[str, list[str]] | None:
    """(field, words) of a query that is one term or an OR of terms of one field (a word
    and its inflections, a fuzzy or wildcard word's spellings); None for any other."""
    if q is wq.NullQuery:
        return "content", []
    subs = q.subqueries if isinstance(q, wq.Or) else [q]
    if subs and all(type(t) is wq.Term for t in subs) and len({t.fieldname for t in subs}) == 1:
        return subs[0].fieldname, [t.text for t in subs]
    return None


def _posting_ids(searcher, fieldname: str, words: list[str]) -> list[int]:
    """The units holding any of *words* in *fieldname*, in order, each term's postings
    read a block at a time and joined as sets (whoosh's union and all_ids walk them one
    by one, three method calls each: a common word's 40,000 units at 2,000 documents
    took 25 ms)."""
    out: set[int] = set()
    for sub, offset in searcher.leaf_searchers():
        reader = sub.reader()
        deleted = reader.deleted_docs_set
        for word in words:
            _check_time()
            if (fieldname, word) not in reader:
                continue
            ids = _block_ids(_unfiltered(reader.postings(fieldname, word)))
            if deleted:
                ids = [i for i in ids if i not in deleted]
            out.update([i + offset for i in ids] if offset else ids)
    return sorted(out)


def _phrase_ids(searcher, phrase: "_Phrase") -> list[int]:
    """The units where *phrase* occurs, in order: each slot's postings read a block at a
    time, the units having every slot intersected as sets, and positions compared only
    there (_PhraseMatcher's test). whoosh's intersection and span matchers cost ~3 µs a
    unit having the words: 180 ms for "officer authority"~10 at 2,000 documents."""
    fmt = searcher.schema[phrase.fieldname].format
    decode, slop, out = fmt.decode_positions, phrase.slop, []
    for sub, offset in searcher.leaf_searchers():
        reader = sub.reader()
        deleted = reader.deleted_docs_set
        slots: list[list[dict[int, bytes]]] = []
        for terms in phrase.slots:
            slot = []
            for word in terms:
                _check_time()
                if (phrase.fieldname, word) in reader:
                    slot.append(_block_postings(_unfiltered(reader.postings(phrase.fieldname, word))))
            if not slot:
                break
            slots.append(slot)
        else:
            units = set.intersection(*({u for held in slot for u in held} for slot in slots))
            units.difference_update(deleted)

            def positions(slot, unit):
                if len(slot) == 1:
                    return decode(slot[0][unit])
                return sorted({p for held in slot if unit in held for p in decode(held[unit])})
            for n, unit in enumerate(sorted(units)):
                if not n & 1023:
                    _check_time()
                places = [positions(slot, unit) for slot in slots]
                if _in_order(places, slop):
                    out.append(unit + offset)
    return out


def _in_order(places: list[list[int]], slop: int) -> bool:
    """Whether the slots' positions hold one after another, each within *slop* of the
    one before (1: adjacent)."""
    if slop <= 1:
        later = [set(p) for p in places[1:]]
        return any(all(p + i in s for i, s in enumerate(later, start=1)) for p in places[0])
    reach = places[0]
    for nxt in places[1:]:
        reach = [q for q in nxt if bisect_left(reach, q - slop) < bisect_left(reach, q)]
        if not reach:
            return False
    return True


def _unfiltered(m):
    """A segment's postings without whoosh's filter of its deleted units (the callers
    take those out as a set)."""
    return m.child if isinstance(m, FilterMatcher) else m


def _blocks(m: W3LeafMatcher, values: bool) -> Iterator[tuple[tuple, tuple | None]]:
    """A fresh leaf matcher's postings a block at a time: (ids, values or None). The one
    place that reads whoosh's blocks (WHOOSH_PRIVATE)."""
    while m.is_active():
        if m._ids is None:
            m._read_ids()
        if values and m._values is None:
            m._read_values()
        yield m._ids[m._i:], (m._values[m._i:] if values else None)
        m._next_block()


def _block_postings(m) -> dict[int, bytes]:
    """A fresh leaf matcher's postings, id -> value."""
    if not isinstance(m, W3LeafMatcher):
        return dict(m.all_items())
    out: dict[int, bytes] = {}
    for ids, values in _blocks(m, True):
        out.update(zip(ids, values))
    return out


def _block_ids(m) -> list[int]:
    """A fresh leaf matcher's ids."""
    if not isinstance(m, W3LeafMatcher):
        return list(m.all_ids())
    return [i for ids, _ in _blocks(m, False) for i in ids]


# --- a time limit per search -----------------------------------------------------------

class TimeUp(Exception):
    """A search used more of its thread's CPU time than time_limit() gave it."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        super().__init__(f"the search used more than {seconds:g} s")


_limits = threading.local()      # .now: the _Limit of the innermost block, or None


def thread_cpu() -> float:
    """This thread's CPU time in seconds. getrusage(RUSAGE_THREAD) where there is one:
    on a loaded virtual machine time.thread_time() (clock_gettime) was seen to take
    10-60 ms a call after a burst of work, getrusage under 0.1 ms."""
    if _RUSAGE_THREAD is None:
        return time.thread_time()
    r = resource.getrusage(_RUSAGE_THREAD)
    return r.ru_utime + r.ru_stime


_RUSAGE_THREAD = getattr(resource, "RUSAGE_THREAD", None)


@dataclass
class _Limit:
    deadline: float     # in thread_cpu()
    seconds: float
    wall: float         # time.perf_counter() before which the deadline cannot have passed


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Searches by this thread inside the block raise TimeUp once the thread has spent
    more than *seconds* of CPU time in it (thread_cpu: waiting for other threads
    under load does not count). Checked every 64 matches while matching (the queries of
    Reader.match, match_documents, units_of) and at every unit read (Reader.stored), so a
    search stops soon after its limit. A nested block keeps the earlier deadline; None:
    no limit of its own."""
    outer = getattr(_limits, "now", None)
    mine = None if seconds is None else _Limit(thread_cpu() + seconds, seconds,
                                               time.perf_counter() + seconds)
    _limits.now = mine if outer is None or (mine is not None and mine.deadline < outer.deadline) else outer
    try:
        yield
    finally:
        _limits.now = outer


def _check_time() -> None:
    """TimeUp once the block's CPU time is spent. The thread's CPU clock is a system call,
    the wall clock is not: a thread uses no more CPU time than the wall time that passes,
    so the CPU clock is read only once as much wall time has passed as the block had CPU
    time left when last read."""
    limit = getattr(_limits, "now", None)
    if limit is None or time.perf_counter() < limit.wall:
        return
    left = limit.deadline - thread_cpu()
    if left < 0:
        raise TimeUp(limit.seconds)
    limit.wall = time.perf_counter() + left


def _timed(q: wq.Query) -> wq.Query:
    return _Timed(q) if getattr(_limits, "now", None) else q


class _Timed(wq.WrappingQuery):
    """*child*, its matcher checking the thread's time limit as it goes."""

    def matcher(self, searcher, context=None):
        return _TimedMatcher(self.child.matcher(searcher, context))


class _TimedMatcher(WrappingMatcher):
    steps = 0

    def _tick(self) -> None:
        self.steps += 1
        if not self.steps & 63:
            _check_time()

    def next(self):
        self._tick()
        return self.child.next()

    def skip_to(self, id):
        self._tick()
        return self.child.skip_to(id)

    def all_ids(self):
        for i, docnum in enumerate(self.child.all_ids()):
            if not i & 63:
                _check_time()
            yield docnum


class Reader:
    """One open Whoosh searcher over one index generation, used by one thread at a time
    (see reading()). The expansions of fuzzy and wildcard terms are remembered in
    *expanded*, and the column values read in *values*, both shared by the readers of
    the same generation (a search reads a column value of each document it matched:
    53,000 reads, 0.2 s, at 2,000 documents when read from whoosh's columns each time)."""

    def __init__(self, ix, expanded: dict | None = None, values: dict | None = None,
                 derived: dict | None = None):
        self.ix = ix
        self.searcher = ix.searcher()
        self._cols: dict[str, object] = {}
        self._expanded: dict[object, list[str]] = {} if expanded is None else expanded
        self._values: dict[str, dict[int, object]] = {} if values is None else values
        self._derived: dict[str, object] = {} if derived is None else derived
        self._doc_columns: dict[str, list[tuple[int, str]]] = {}

    def extra(self, name: str) -> bytes | None:
        """A file build_fresh kept beside this reader's generation (None if absent)."""
        return _read_extra(Path(self.ix.storage.folder), name)

    def derived(self, key: str, make: Callable[[], object]):
        """make(), computed once per index generation and shared by its readers (what a
        caller derives from the generation, such as archive.search's splitter)."""
        if key not in self._derived:
            self._derived.setdefault(key, make())
        return self._derived[key]

    def expand_leaf(self, node) -> list[str]:
        """The index terms a wildcard or one-word fuzzy leaf stands for (remembered)."""
        found = self._expanded.get(node)
        if found is None:
            q = _pattern(node) if isinstance(node, QPattern) else _fuzzy(node.field, node.text, node.maxdist)
            reader = self.searcher.reader()
            if isinstance(q, wq.Term):
                found = [q.text] if reader.frequency(q.fieldname, q.text) else []
            else:
                found = [b.decode() if isinstance(b, bytes) else b for b in q._btexts(reader)]
            if len(self._expanded) > 2000:
                self._expanded.clear()
            self._expanded[node] = found
        return found

    def leaf_words(self, node) -> set[str]:
        """Every index word the free-text leaves of *node* stand for (for highlighting);
    STEM + stem stands for every word of that stem."""
        words: set[str] = set()
        for leaf in text_leaves(node):
            if isinstance(leaf, QWords):
                found = analyze(leaf.text)
                words.update(found)
                if leaf.inflect and len(found) == 1:
                    words.add(STEM + stem(found[0]))    # any word of that stem
            elif isinstance(leaf, QPhrase):
                for word, dist in zip(leaf.words, leaf.fuzzy):
                    words.update([word] if dist is False else self.expand_leaf(QFuzzy(word, dist, leaf.field)))
            elif isinstance(leaf, QPattern):
                words.update(self.expand_leaf(leaf))
            else:
                parts = analyze(leaf.text)
                for w in parts + (["".join(parts)] if len(parts) > 1 else []):
                    words.update(self.expand_leaf(QFuzzy(w, leaf.maxdist, leaf.field)))
        return words

    def frequency(self, fieldname: str, word: str) -> int:
        """How many units hold *word* in *fieldname* (the length of its postings)."""
        return self.searcher.reader().doc_frequency(fieldname, word)

    def unit_count(self) -> int:
        return self.searcher.doc_count_all()

    def spellings(self, word: str, limit: int = 3) -> list[str]:
        """Index words near *word* (edit distance 1, else 2; same first letter), the
        commonest first; [] when the index holds *word* itself."""
        reader = self.searcher.reader()
        if reader.doc_frequency("content", word):
            return []
        for dist in (1, 2):
            near = [t for t in reader.terms_within("content", word, dist, prefix=1) if t != word]
            if near:
                near.sort(key=lambda t: (-reader.doc_frequency("content", t), t))
                return near[:limit]
        return []

    def column(self, name: str):
        if name not in self._cols:
            self._cols[name] = self.searcher.reader().column_reader(name)
        return self._cols[name]

    def value(self, name: str, docnum: int):
        known = self._values.get(name)
        if known is None:
            known = self._values.setdefault(name, {})
        try:
            return known[docnum]
        except KeyError:
            pass
        try:
            v = self.column(name)[docnum]
        except IndexError:  # whoosh stores no trailing run of missing column values
            v = None
        known[docnum] = v = v.decode() if isinstance(v, bytes) else v
        return v

    def column_text(self, name: str, docnum: int) -> str:
        return self.value(name, docnum) or ""

    def stored(self, docnum: int, body: bool = True) -> dict:
        """A unit's stored fields (its body decompressed; left out unless *body*)."""
        _check_time()
        f = self.searcher.stored_fields(docnum)
        if not body:
            f.pop("body", None)
        elif isinstance(f.get("body"), bytes):
            f["body"] = zlib.decompress(f["body"]).decode()
        return f

    def match(self, node, kind: str) -> list[tuple[int, float]]:
        """(docnum, score) of every unit of *kind* matching *node*."""
        is_kind = wq.Term("kind", kind)
        q = wq.And([is_kind, to_whoosh(node, self.expand_leaf, within=is_kind)])
        return [(h.docnum, h.score) for h in self.searcher.search(_timed(q), limit=None)]

    @cached_property
    def _doc_units(self) -> list[int]:
        """The docnums of the doc units, in order: a document's other units lie just
        before its own (units.document_units writes it last, in the same segment)."""
        return sorted(self.searcher.docs_for_query(wq.Term("kind", "doc")))

    def doc_matches(self, leaf) -> set[int] | None:
        """The doc units an exact, prefix or range leaf on a document column holds on,
        read from the column (whoosh walks a union of every term in a range: a signed:
        range over ~2,000 documents took 0.3 s); None for any other leaf."""
        if not isinstance(leaf, (QExact, QPrefix, QRange)) or leaf.field not in DOC_COLUMNS:
            return None
        values = self._doc_column(leaf.field)
        if isinstance(leaf, QExact):
            return {d for d, v in values if v == leaf.value}
        if isinstance(leaf, QPrefix):
            return {d for d, v in values if v.startswith(leaf.value)}
        lo, hi = leaf.lo or "", leaf.hi
        return {d for d, v in values if v >= lo and (hi is None or v <= hi)}

    def _doc_column(self, name: str) -> list[tuple[int, str]]:
        """(doc unit, value) of every doc unit that has a value in column *name*."""
        if name not in self._doc_columns:
            self._doc_columns[name] = [(d, v) for d in self._doc_units if (v := self.column_text(name, d))]
        return self._doc_columns[name]

    @cached_property
    def _doc_sizes(self) -> tuple[dict[int, int], float]:
        """doc unit -> the document's units (and itself), and their mean."""
        docs = self._doc_units
        size = {d: d - (docs[i - 1] if i else -1) for i, d in enumerate(docs)}
        return size, sum(size.values()) / max(1, len(size))

    @cached_property
    def _section_list(self) -> list[int]:
        return sorted(self.searcher.docs_for_query(wq.Term("kind", "section")))

    @cached_property
    def _section_units(self) -> frozenset[int]:
        return frozenset(self._section_list)

    def match_documents(self, node) -> "Matched":
        """The documents matching *node*, decided per document by set algebra: each
        free-text leaf on content is matched once on every unit (page readings,
        sections, form values; doc units hold no text) and stands for the documents
        having such a unit; any other leaf (state:, signed:, agency: ...) is matched on
        the doc units; AND, OR and NOT then intersect, join and subtract those sets. So
        ``detainer AND warrant`` finds a document with the words on different pages,
        and a phrase is found where one page reading, one section (its text runs over
        page breaks, running headers and footers left out) or one form value holds it.
        The same leaf matches decide the query per section too (Matched.sections) and
        give the matching units of the documents shown (Matched.units_of)."""
        return Matched(self, node)

    def doc_unit(self, docnum: int) -> int:
        """The doc unit of the document a unit belongs to (units are written just before it)."""
        while self.column_text("kind", docnum) != "doc":
            docnum += 1
        return docnum

    def units_of(self, node, doc_units: dict[int, dict]) -> list[UnitHit]:
        """The page/section/form units of the given documents (doc unit -> its stored
        fields) that match *node*. A document's units sit just before its doc unit, so
        this skips along the postings to those ranges only."""
        q = _timed(to_whoosh(node, self.expand_leaf))
        ranges = sorted((d - f.get("units", 0), d - 1, f["sha256"]) for d, f in doc_units.items())
        found = []
        context = self.searcher.context()
        for sub, offset in self.searcher.leaf_searchers():
            end = offset + sub.doc_count_all()
            m = q.matcher(sub, context)
            deleted = sub.reader().has_deletions()
            for lo, hi, sha in ranges:
                if hi < offset or lo >= end:
                    continue
                if not m.is_active():
                    break
                if m.id() + offset < lo:
                    m.skip_to(lo - offset)
                while m.is_active() and m.id() + offset <= hi:
                    if not (deleted and sub.reader().is_deleted(m.id())):
                        found.append((m.id() + offset, m.score(), sha))
                    m.next()
        return [UnitHit(d, score, sha, self.value("page", d) or None, self) for d, score, sha in found]


class _Generation:
    """The readers open on one index generation (directory and TOC generation): idle
    ones to lend, and how many are lent. Once a newer generation is current it is
    retired: each lent reader is closed when it comes back, idle ones at once."""

    def __init__(self, ix):
        self.ix = ix
        self.target = Path(ix.storage.folder)
        self.toc = ix.latest_generation()
        self.idle: list[Reader] = []
        self.lent = 0
        self.retired = False
        self.expanded: dict[object, list[str]] = {}
        self.values: dict[str, dict[int, object]] = {}
        self.derived: dict[str, object] = {}

    def current(self, target: Path | None) -> bool:
        if target != self.target:
            return False
        try:
            return self.ix.latest_generation() == self.toc
        except OSError:
            return False

    def retire(self) -> None:
        self.retired = True
        for r in self.idle:
            r.searcher.close()
        self.idle.clear()


_generations: dict[str, _Generation] = {}
_generations_guard = threading.Lock()


@contextmanager
def reading(link: Path) -> Iterator[Reader]:
    """A Reader of the current generation of the index at *link*, for this thread alone
    until the block ends. Readers are pooled per generation and reused; after a commit
    or a swap, new blocks get the new generation and the old one is closed when the
    last block using it ends. IndexUnusable when there is no usable index."""
    gen, reader = _lend(link)
    try:
        yield reader
    finally:
        _give_back(gen, reader)


def _lend(link: Path) -> tuple[_Generation, Reader]:
    key = str(link)
    with _generations_guard:
        gen = _generations.get(key)
        if gen is None or not gen.current(_current(link)):
            if gen is not None:
                _generations.pop(key).retire()
            gen = _generations[key] = _Generation(open_index(link))
        reader = gen.idle.pop() if gen.idle else None
        gen.lent += 1
    if reader is None:
        try:
            reader = Reader(gen.ix, gen.expanded, gen.values, gen.derived)
        except Exception as e:  # whoosh raises many kinds on damaged or vanished files
            with _generations_guard:
                gen.lent -= 1
            raise IndexUnusable(f"search index at {gen.target} is unreadable: {e}") from e
    return gen, reader


def _give_back(gen: _Generation, reader: Reader) -> None:
    with _generations_guard:
        gen.lent -= 1
        if gen.retired:
            reader.searcher.close()
        else:
            gen.idle.append(reader)


def forget_readers() -> None:
    """Retire every pooled generation (readers in use are closed when given back)."""
    with _generations_guard:
        for gen in _generations.values():
            gen.retire()
        _generations.clear()
