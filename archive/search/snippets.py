"""Snippets and highlighting: where a query's matches occur in a text, an HTML-safe
excerpt around the densest run of them, and whole texts with the matches marked.

A match is marked as a whole: a phrase ("notice to appear") is one <mark> from its
first word to its last, and only where its words follow one another; a proximity
match ("notice appear"~3) runs from its first word to its last; a fuzzy or wildcard
term marks the whole index word it stands for. Texts are split into words by the
index's own analyzer, so a highlight is exactly what the index matched.
"""
from __future__ import annotations

import html
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Iterator

from store import index as ix
from store.index import WORD_RE


@dataclass(frozen=True)
class Pattern:
    """One thing to mark: words in order (each a set of index words it may be), each
    within *slop* positions of the one before (1 = adjacent)."""
    words: tuple[frozenset, ...]
    slop: int = 1


def patterns_for(tree, expand) -> tuple[Pattern, ...]:
    """The patterns to mark for the positive free-text leaves of a query tree; *expand*
    (a Reader's expand_leaf) gives the index words of wildcard and fuzzy leaves."""
    out: list[Pattern] = []
    for leaf in ix.text_leaves(tree):
        if isinstance(leaf, ix.QWords):
            words = ix.analyze(leaf.text)
            if len(words) == 1 and leaf.inflect and leaf.field == "content":
                s = ix.stem(words[0])      # as the index matches it: word, stem, any word of the stem
                out.append(Pattern((frozenset([words[0], s, ix.STEM + s]),)))
            elif words:
                out.append(Pattern(tuple(frozenset([w]) for w in words), max(leaf.slop, 1)))
        elif isinstance(leaf, ix.QPhrase):
            out.append(Pattern(tuple(frozenset([w] if d is False else expand(ix.QFuzzy(w, d, leaf.field)))
                                     for w, d in zip(leaf.words, leaf.fuzzy)), max(leaf.slop, 1)))
        elif isinstance(leaf, ix.QPattern):
            out.append(Pattern((frozenset(expand(leaf)),)))
        else:
            parts = ix.analyze(leaf.text)
            sets = [frozenset(expand(ix.QFuzzy(w, leaf.maxdist, leaf.field))) for w in parts]
            if len(parts) > 1:      # jail/correctional~: together when adjacent, else each
                out.append(Pattern(tuple(sets)))
                out.append(Pattern((frozenset(expand(ix.QFuzzy("".join(parts), leaf.maxdist, leaf.field))),)))
            out.extend(Pattern((s,)) for s in sets)
    return tuple(p for p in out if all(p.words))


def words_pattern(words: Iterable[str]) -> tuple[Pattern, ...]:
    """Single index words as patterns (each marked wherever it occurs)."""
    words = frozenset(words)
    return (Pattern((words,)),) if words else ()


@lru_cache(maxsize=65536)
def _terms(word: str) -> tuple[str, ...]:
    """The index terms of one word as the analyzer reads it, with its stem term (STEM +
    stem) so that an inflected form is marked (remembered: a text's words are looked
    up, not analysed again and again)."""
    terms = ix.analyze(word)
    return tuple(terms) + tuple(ix.STEM + s for s in map(ix.stem, terms) if s not in terms)


def _tokens(text: str, wanted: frozenset,
            positions: bool = True) -> Iterator[tuple[int, str, int, int]]:
    """(position, term, start, end) of the words of *text* whose terms are *wanted*;
    positions count words as the index's tokenizer does (one per run of WORD_RE).
    In a text without non-ASCII letters only the words beginning with a wanted word or
    stem (_heads) are looked up, found with str.find; the words between them are only
    counted (in C), and not even counted when *positions* is false (then a position only
    orders the words found: enough where no pattern has two words)."""
    low = text.lower()
    if not text.isascii() and (len(low) != len(text) or _NON_ASCII_LETTER.search(text)):
        for pos, m in enumerate(WORD_RE.finditer(text)):      # folded one by one
            for term in _terms(m.group(0)):
                if term in wanted:
                    yield pos, term, m.start(), m.end()
        return
    found = set()
    for head in _heads(wanted):
        i = low.find(head)
        while i >= 0:
            if i and (low[i - 1].isalnum() or low[i - 1] == "_"):
                i = low.find(head, i + 1)
                continue
            end = WORD_RE.match(low, i).end()
            found.add((i, end))
            i = low.find(head, end)
    pos, last = -1, 0
    count = WORD_RE.findall
    for a, b in sorted(found):
        pos += len(count(low, last, a)) + 1 if positions else 1
        last = b
        for term in _terms(low[a:b]):
            if term in wanted:
                yield pos, term, a, b


_NON_ASCII_LETTER = re.compile(r"[^\W\x00-\x7f]")


@lru_cache(maxsize=1024)
def _heads(wanted: frozenset) -> tuple[str, ...]:
    """How the words whose index terms may be *wanted* begin: a wanted word itself, or
    all but the last two letters of a wanted stem (a Snowball stem shares them with
    every word of that stem: "notifi" / notify, "die" / dying). _terms decides."""
    heads = set()
    for w in wanted:
        if w.startswith(ix.STEM):
            w = w[len(ix.STEM):]
            w = w[:max(1, len(w) - 2)]
        heads.add(w)
    return tuple(sorted(h for h in heads if not any(h != g and h.startswith(g) for g in heads)))


def match_spans(text: str, patterns: Iterable[Pattern]) -> list[tuple[int, int]]:
    """(start, end) character spans in *text* of every match of *patterns*, sorted and
    never overlapping (where two overlap, the one starting first, then the longer, wins)."""
    patterns = [p for p in patterns if p.words]
    if not patterns or not text:
        return []
    wanted = frozenset().union(*(w for p in patterns for w in p.words))
    by_word: dict[str, list[int]] = {}
    chars: dict[int, tuple[int, int]] = {}
    for pos, term, a, b in _tokens(text, wanted, any(len(p.words) > 1 for p in patterns)):
        by_word.setdefault(term, []).append(pos)
        chars.setdefault(pos, (a, b))
    if not by_word:
        return []
    found = []
    for p in patterns:
        firsts = sorted(q for w in p.words[0] for q in by_word.get(w, ()))
        rest = [sorted(q for w in ws for q in by_word.get(w, ())) for ws in p.words[1:]]
        for start in firsts:
            at = start
            for positions in rest:
                k = bisect_right(positions, at)     # the nearest later position within slop
                if k == len(positions) or positions[k] - at > p.slop:
                    break
                at = positions[k]
            else:
                found.append((chars[start][0], chars[at][1]))
    found.sort(key=lambda s: (s[0], -s[1]))
    out: list[tuple[int, int]] = []
    for a, b in found:
        if not out or a >= out[-1][1]:
            out.append((a, b))
    return out

SNIPPET_CHARS = 240


def word_spans(text: str, words: Iterable[str]) -> list[tuple[int, int]]:
    """(start, end) character spans in *text* of the words *words* (index terms: folded
    as the analyzer folds them)."""
    words = sorted(set(words), key=len, reverse=True)
    if not words:
        return []
    low = text.lower()
    if len(low) == len(text) and "\u0131" not in low and "\u017f" not in low and all(
            w.isascii() and WORD_RE.fullmatch(w) for w in words):
        return _find_words(low, words)
    pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + r")\b", re.IGNORECASE)
    return [m.span() for m in pattern.finditer(text)]


def _find_words(low: str, words: list[str]) -> list[tuple[int, int]]:
    """word_spans by str.find (several times faster than the regular expression) on the
    lower-cased text. Gives the same spans when the text lower-cases character for
    character and holds no dotless i or long s (which re.IGNORECASE equates with i, s)."""
    def is_word(i: int) -> bool:      # as \w: a letter, digit or underscore
        return 0 <= i < len(low) and (low[i].isalnum() or low[i] == "_")
    out = []
    for w in words:
        i = low.find(w)
        while i >= 0:
            if not is_word(i - 1) and not is_word(i + len(w)):
                out.append((i, i + len(w)))
            i = low.find(w, i + len(w))
    return sorted(out)


def snippet(text: str, words: Iterable[str], width: int = SNIPPET_CHARS) -> str:
    """HTML-safe excerpt of *text* around the densest run of *words* (index terms),
    each wrapped in <mark>. Without any word found: the start of the text."""
    return excerpt(text, word_spans(text, words), width)


def excerpt(text: str, spans: list[tuple[int, int]], width: int = SNIPPET_CHARS) -> str:
    """HTML-safe excerpt of *text* around the densest run of *spans* (match_spans),
    each wrapped in <mark>. Without any span: the start of the text."""
    start, end = 0, min(len(text), width)
    if spans:
        # the window (half the width) with the most distinct words, then the most hits:
        # a phrase's own occurrence beats a run of its commonest word
        toks = [" ".join(text[a:b].lower().split()) for a, b in spans]
        inside: dict[str, int] = {}
        best, best_score, j = 0, (0, 0), 0
        for i, tok in enumerate(toks):
            inside[tok] = inside.get(tok, 0) + 1
            while spans[i][0] - spans[j][0] >= width // 2:
                inside[toks[j]] -= 1
                if not inside[toks[j]]:
                    del inside[toks[j]]
                j += 1
            if (len(inside), i - j + 1) > best_score:
                best, best_score = j, (len(inside), i - j + 1)
        start = max(0, spans[best][0] - width // 4)
        end = min(len(text), start + width)
        while start > 0 and text[start - 1].isalnum():     # don't cut words
            start -= 1
        while end < len(text) and text[end].isalnum():
            end += 1
    shown = mark(text, [(a, b) for a, b in spans if a >= start and b <= end], start, end)
    return ("… " if start > 0 else "") + " ".join(shown.split()) + (" …" if end < len(text) else "")


def mark(text: str, spans: list[tuple[int, int]], start: int = 0, end: int | None = None) -> str:
    """text[start:end] HTML-escaped, with the given spans wrapped in <mark>."""
    end = len(text) if end is None else end
    out, pos = [], start
    for a, b in spans:
        out.append(html.escape(text[pos:a], quote=False))
        out.append("<mark>" + html.escape(text[a:b], quote=False) + "</mark>")
        pos = b
    out.append(html.escape(text[pos:end], quote=False))
    return "".join(out)


def highlight_text(text: str, words) -> str:
    """*text* HTML-escaped, with every match in <mark>: *words* is what
    search_terms_for_highlight gives (index words), or patterns (highlight_patterns)."""
    words = list(words)
    if words and isinstance(words[0], Pattern):
        return mark(text, match_spans(text, words))
    return mark(text, word_spans(text, words))
