"""Snippets and highlighting: where a query's words occur in a text, an HTML-safe
excerpt around the densest run of them, and whole texts with the words marked."""
from __future__ import annotations

import html
import re
from typing import Iterable

from store import index as ix
from store.index import WORD_RE

SNIPPET_CHARS = 240


def word_spans(text: str, words: Iterable[str]) -> list[tuple[int, int]]:
    """(start, end) character spans in *text* of the words *words* (index terms: folded
    as the analyzer folds them; STEM + stem: any word of that stem, so a snippet marks
    the form that matched)."""
    words = set(words)
    stems = {w[len(ix.STEM):] for w in words if w.startswith(ix.STEM)}
    words = sorted(words - {ix.STEM + s for s in stems}, key=len, reverse=True)
    spans = _exact_spans(text, words) if words else []
    if stems:      # words of those stems (a stem is a word's start but for its last letter)
        seen = set(spans)
        starts = re.compile(r"\b(?:" + "|".join(re.escape(s[:-1] or s) for s in stems) + r")\w*",
                            re.IGNORECASE)
        spans += [m.span() for m in starts.finditer(text)
                  if m.span() not in seen and ix.stem(ix.analyze(m.group(0))[0]) in stems]
    joined = {w for w in words if len(w) >= 6}
    if joined:     # compounds indexed joined: "jail/correctional" for jailcorrectional
        seen = set(spans)
        spans += [m.span() for m in _COMPOUND.finditer(text)
                  if m.span() not in seen and "".join(ix.analyze(m.group(0))) in joined]
    out: list[tuple[int, int]] = []
    for a, b in sorted(set(spans), key=lambda sp: (sp[0], -sp[1])):
        if not out or a >= out[-1][1]:          # no overlaps: the longest from each start
            out.append((a, b))
    return out


_COMPOUND = re.compile(r"\w+[/-]\w+")


def _exact_spans(text: str, words: list[str]) -> list[tuple[int, int]]:
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
    spans = word_spans(text, words)
    start, end = 0, min(len(text), width)
    if spans:
        # the window (half the width) with the most distinct words, then the most hits:
        # a phrase's own occurrence beats a run of its commonest word
        toks = [text[a:b].lower() for a, b in spans]
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


def highlight_text(text: str, words: list[str]) -> str:
    """*text* HTML-escaped, with every word of *words* (search_terms_for_highlight) in <mark>."""
    return mark(text, word_spans(text, words))
