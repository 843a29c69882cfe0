"""Snippets and highlighting: where a query's matches occur in a text, an HTML-safe
excerpt around the densest run of them, and whole texts with the matches marked.

A match is marked as a whole: a phrase ("notice to appear") is one <mark> from its
first word to its last, and only where its words follow one another; a proximity
match ("notice appear"~3) runs from its first word to its last; a fuzzy or wildcard
term marks the whole index word it stands for. Words are runs of the index's WORD_RE,
as its analyzer reads them, so a highlight is what the index matched.
"""
from __future__ import annotations

import html
import re
from bisect import bisect_left
from dataclasses import dataclass
from typing import Iterable

from store import index as ix
from store.index import WORD_RE

SNIPPET_CHARS = 240


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
            if words:
                out.append(Pattern(tuple(frozenset([w]) for w in words), max(leaf.slop, 1)))
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


def match_spans(text: str, patterns: Iterable[Pattern]) -> list[tuple[int, int]]:
    """(start, end) character spans in *text* of every match of *patterns*, sorted and
    never overlapping (where two overlap, the one starting first, then the longer, wins).
    Each word is found as word_spans finds it; the words of a phrase must follow one
    another with at most slop - 1 other words between (none for an exact phrase)."""
    patterns = [p for p in patterns if p.words]
    if not patterns or not text:
        return []
    terms = {w for p in patterns for ws in p.words for w in ws}
    low = text.lower()
    if _plain(text, low, terms):
        at = {w: _find_words(low, [w]) for w in terms}
    else:
        at = {w: word_spans(text, [w]) for w in terms}
    found = []
    for p in patterns:
        firsts = sorted(sp for w in p.words[0] for sp in at[w])
        if len(p.words) == 1:
            found.extend(firsts)
            continue
        rest = [sorted(sp for w in ws for sp in at[w]) for ws in p.words[1:]]
        starts = [[a for a, _ in spans] for spans in rest]
        for a, b in firsts:
            end = b
            for spans, begins in zip(rest, starts):
                k = bisect_left(begins, end)     # the nearest occurrence after this word
                if k == len(spans) or len(WORD_RE.findall(text, end, spans[k][0])) > p.slop - 1:
                    break
                end = spans[k][1]
            else:
                found.append((a, end))
    found.sort(key=lambda s: (s[0], -s[1]))
    out: list[tuple[int, int]] = []
    for a, b in found:
        if not out or a >= out[-1][1]:
            out.append((a, b))
    return out


def word_spans(text: str, words: Iterable[str]) -> list[tuple[int, int]]:
    """(start, end) character spans in *text* of the words *words* (index terms: folded
    as the analyzer folds them)."""
    words = sorted(set(words), key=len, reverse=True)
    if not words:
        return []
    low = text.lower()
    if _plain(text, low, words):
        return _find_words(low, words)
    pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + r")\b", re.IGNORECASE)
    return [m.span() for m in pattern.finditer(text)]


def _plain(text: str, low: str, words) -> bool:
    """True when str.find on the lower-cased text finds what the expression would."""
    return len(low) == len(text) and "\u0131" not in low and "\u017f" not in low and all(
        w.isascii() and WORD_RE.fullmatch(w) for w in words)


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
