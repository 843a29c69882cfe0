"""The archive's own vocabulary (word counts over every text it read) and the split of
run-together tokens ("ofthe", "tortclaims", "ofprofessional") into the words they hold.

A token is split into two or three words only when all of these hold:
- it is letters only, MIN_LENGTH+ long ("itis", "toan" are runs too);
- every part is a word of the archive (seen MIN_PART_COUNT+ times, 2+ letters or "a"),
  or an English word of 4+ letters seen ENGLISH_PART+ times on the web (a new or small
  archive has seen few words);
- of the splits into such parts, it is the likeliest by each part's share of words, the
  mean of its share in the archive and in English: the archive's words outweigh English's
  ("lea for", not "leaf or"; "scso personnel", which English would read "sc so personnel");
- English's segmentation (wordsegment, on Google's web counts) does not keep it whole, so
  real words such as "into", "within" or "nowhere" are never split;
- English does not write it as one word: a token the web counts see joined at least
  1/USAGE_ODDS as often as apart ("maybe", "onto", "seton") is a word;
- the archive does not use it as a word: it is rarer than 1/FREQUENT of its rarest part
  ("cannot", which the web counts see apart, is far more frequent in an archive; a run
  that one template repeats in every document, "eachlea", is rarer);
- it is not a misreading of a frequent word (one letter off "office": "ofice", or read as
  another word of the archive by the OCR-confusion model: "actjons"), unless
  English sees its parts apart NEAR_ODDS times as often as the token ("itis", "fora": the
  token itself stays indexed, so a fuzzy "its~" finds it still).
A possessive's s run into the next word ("Sheriff'sOffice") is split as "s" and the word.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from functools import lru_cache
from string import ascii_lowercase
from typing import Iterable

from archive.read.ocr_confusions import skeleton
from store import index as ix

MIN_PART_COUNT = 3
MIN_LENGTH = 4
ENGLISH_PART = 1e5     # ... or a word of 4+ letters this common in English (web counts)
USAGE_ODDS = 100.0     # English writes a run's words apart this many times as often as joined
NEAR_ODDS = 300.0      # ... and this many times as often, it is a run even one letter off a frequent word
FREQUENT = 10          # a token seen this often, relative to its rarest part, is a word
EXTRA_NAME = "vocabulary.json"


def count_words(texts: Iterable[str]) -> Counter:
    """How often each word occurs in *texts*, each distinct text counted once: a page's
    readings are often the same text (its text and its text layer), and a word printed
    once is seen once, not once per reading."""
    counts: Counter = Counter()
    seen: set[int] = set()
    for text in texts:
        if text and (key := hash(text)) not in seen:
            seen.add(key)
            counts.update(ix.analyze(text))
    return counts


@lru_cache(maxsize=1)
def _english():
    """wordsegment, its word counts loaded once per process (seconds)."""
    import wordsegment
    wordsegment.load()
    return wordsegment


COMMON_WORDS = 10_000      # English's most frequent words (wordsegment's web counts) taken as right-spelled
# (deeper in the counts, the web's own misspellings and OCR: "tho" 15,472th, "thc", "ofthe")


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """The COMMON_WORDS most frequent words of English of three letters or more, lower
    case: words that a change of wording makes, where a misreading mostly makes none
    ("most", "any", "shell"; not "personne", "perfonn", "tho")."""
    counts = _english().UNIGRAMS
    return frozenset(w for w in sorted(counts, key=counts.get, reverse=True)[:COMMON_WORDS] if len(w) >= 3)


def _english_segment():
    return _english().segment


@lru_cache(maxsize=1)
def _english_total() -> float:
    return sum(_english().UNIGRAMS.values())


def english_usage(token: str, parts: tuple[str, ...]) -> str | None:
    """How English (wordsegment's web counts) writes *token*, a run of *parts*: "joined"
    when it sees the token at least 1/USAGE_ODDS as often as the words apart (for three
    parts: at all), "apart" when it sees them apart USAGE_ODDS times as often, None when
    it knows neither."""
    ws = _english()
    joined = ws.UNIGRAMS.get(token, 0.0)
    apart = ws.BIGRAMS.get(" ".join(parts), 0.0) if len(parts) == 2 else 0.0
    if joined and (len(parts) > 2 or joined * USAGE_ODDS >= apart):
        return "joined"
    return "apart" if apart and apart >= joined * NEAR_ODDS else None


class Splitter:
    """Decides, once per distinct token, what a run-together token splits into."""

    def __init__(self, counts: Counter | dict):
        # what to_json keeps: an update splits as the build did
        self.counts = {w: n for w, n in counts.items() if n >= MIN_PART_COUNT}
        self.total = max(1, sum(self.counts.values()))
        self._memo: dict[str, tuple[str, ...] | None] = {}
        self._by_skeleton: dict[str, list[tuple[int, str]]] | None = None

    def to_json(self) -> bytes:
        return json.dumps(self.counts).encode()

    @classmethod
    def from_json(cls, data: bytes | None) -> "Splitter":
        return cls(json.loads(data) if data else {})

    def split(self, token: str) -> tuple[str, ...] | None:
        if token in self._memo:
            return self._memo[token]
        out = self._decide(token) if len(token) >= MIN_LENGTH and token.isalpha() and token.isascii() else None
        self._memo[token] = out
        return out

    def _p(self, word: str) -> float:
        """A part's share of words: the mean of its share of the archive's words (seen
        MIN_PART_COUNT+ times) and of English's (web counts), so that a word the archive uses
        often outweighs an English one of the same letters ("lea for", not "leaf or") and an
        acronym English lacks stands whole ("scso personnel", not "sc so personnel")."""
        ws = _english()
        return (self.counts.get(word, 0) / self.total + ws.UNIGRAMS.get(word, 0.0) / _english_total()) / 2

    def _is_part(self, word: str) -> bool:
        if len(word) < 2 and word != "a":
            return False
        return self.counts.get(word, 0) >= MIN_PART_COUNT or (
            len(word) >= 4 and _english().UNIGRAMS.get(word, 0) >= ENGLISH_PART)

    def _decide(self, token: str) -> tuple[str, ...] | None:
        own = self.counts.get(token, 0)
        best, best_p = None, 0.0
        n = len(token)
        for i in range(1, n):
            a, rest = token[:i], token[i:]
            if not self._is_part(a):
                continue
            if self._is_part(rest) and self._p(a) * self._p(rest) > best_p:
                best, best_p = (a, rest), self._p(a) * self._p(rest)
            for j in range(1, len(rest)):
                b, c = rest[:j], rest[j:]
                if self._is_part(b) and self._is_part(c):
                    p = self._p(a) * self._p(b) * self._p(c)
                    if p > best_p:
                        best, best_p = (a, b, c), p
        if best is None:
            return None
        usage = english_usage(token, best)
        if usage == "joined" or self._frequent(token, own, best):
            return None
        if (self._near_frequent_word(token, own) or self._misreading(token, own)) and usage != "apart":
            return None
        if len(self._english(token)) < 2:
            return None                     # English's segmentation keeps it whole
        return best

    def _frequent(self, token: str, own: int, parts: tuple[str, ...]) -> bool:
        """The archive uses *token* as a word: 1/FREQUENT as often as its rarest part or more."""
        return own >= MIN_PART_COUNT and own * FREQUENT >= min(self.counts.get(w, 0) for w in parts)

    def _misreading(self, token: str, own: int) -> bool:
        """The OCR-confusion model reads *token* as another word of the archive seen
        FREQUENT times as often ("actjons", "codifled": a misreading, not a run)."""
        if self._by_skeleton is None:
            self._by_skeleton = {}
            for w, n in self.counts.items():
                k = skeleton(w)
                top = self._by_skeleton.setdefault(k, [])
                top.append((n, w))
                top.sort(reverse=True)
                del top[2:]
        return any(w != token and n >= max(MIN_PART_COUNT, FREQUENT * own)
                   for n, w in self._by_skeleton.get(skeleton(token), ()))

    def _near_frequent_word(self, token: str, own: int) -> bool:
        """One letter off a word seen far more often: a misreading, not a run."""
        floor = max(20, 10 * own)
        splits = [(token[:i], token[i:]) for i in range(len(token) + 1)]
        for a, b in splits:
            candidates = [a + b[1:]] if b else []
            if len(b) > 1:
                candidates.append(a + b[1] + b[0] + b[2:])
            for c in ascii_lowercase:
                if b:
                    candidates.append(a + c + b[1:])
                candidates.append(a + c + b)
            if any(w != token and self.counts.get(w, 0) >= floor for w in candidates):
                return True
        return False

    def possessive(self, token: str) -> tuple[str, str] | None:
        """A possessive's s run into the next word ("Sheriff'sOffice"): *token*, printed
        right after an apostrophe, as "s" and that word, when the word is an archive word
        and the token is not one of its own."""
        rest = token[1:]
        if len(rest) < 2 or not self._is_part(rest) or self._frequent(token, self.counts.get(token, 0), (rest,)):
            return None
        return "s", rest

    def _english(self, token: str) -> list[str]:
        return _english_segment()(token)

    def annotate(self, text: str) -> str:
        """*text* with each run-together token followed by its words (store.index's
        SPLIT_OPEN ... SPLIT_CLOSE), for the content field."""
        out, last = [], 0
        for m in ix.WORD_RE.finditer(text):
            word = m.group(0)
            parts = self.split(word.lower()) if len(word) >= MIN_LENGTH else None
            if parts is None and word[:1] in "sS" and m.start() and text[m.start() - 1] in "'\u2019":
                parts = self.possessive(word.lower())
            if parts:
                out.append(text[last:m.end()])
                out.append(ix.SPLIT_OPEN + " ".join(parts) + ix.SPLIT_CLOSE)
                last = m.end()
        if not out:
            return text
        out.append(text[last:])
        return "".join(out)


def index_splitter(reader: ix.Reader) -> Splitter:
    """The splitter the reader's index generation was built with (what an update and a
    query must split as), read once per generation."""
    return reader.derived(EXTRA_NAME, lambda: Splitter.from_json(reader.extra(EXTRA_NAME)))


def with_splits(node, splitter: Splitter):
    """*node* (a query tree) with each phrase on content that holds a token the index
    splits ("email jputnamwellstown org") also asked with that token's words in its
    place ("email jputnam wellstown org"): the index holds the token at its first and its
    last word's position, so a phrase with words on both sides of it can only match its
    words. The phrase as typed is kept (OR), so nothing it found is lost."""
    if isinstance(node, (ix.QAnd, ix.QOr)):
        return type(node)(tuple(with_splits(n, splitter) for n in node.items))
    if isinstance(node, ix.QNot):
        return ix.QNot(with_splits(node.item, splitter))
    if isinstance(node, ix.QWords) and node.field == "content":
        words = ix.analyze(node.text)
        split = _split_words(words, [False] * len(words), splitter) if len(words) > 1 else None
        if split:
            return ix.QOr((node, replace(node, text=" ".join(split[0]), inflect=False)))
    if isinstance(node, ix.QPhrase) and node.field == "content":
        split = _split_words(list(node.words), list(node.fuzzy), splitter)
        if split:
            return ix.QOr((node, replace(node, words=tuple(split[0]), fuzzy=tuple(split[1]))))
    return node


def _split_words(words: list, fuzzy: list, splitter: Splitter) -> tuple[list, list] | None:
    """(words, fuzzy flags) with each as-typed word the splitter splits replaced by its
    parts; None when none splits."""
    out_w, out_f, any_split = [], [], False
    for w, f in zip(words, fuzzy):
        parts = splitter.split(w) if f is False else None
        if parts:
            out_w.extend(parts)
            out_f.extend([False] * len(parts))
            any_split = True
        else:
            out_w.append(w)
            out_f.append(f)
    return (out_w, out_f) if any_split else None
