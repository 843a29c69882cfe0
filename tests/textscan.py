"""The oracle of the search tests: words of stored page text as the index matches them
(each reduced to its stem), and phrase occurrences counted in them, independently of
the index."""
from __future__ import annotations

import re

from store.index import stem


def words_of(text: str) -> list[str]:
    """The words of *text*, each reduced to its stem as the index matches them
    (inflected forms match: "investigations" is "investigation")."""
    return [stem(w) for w in re.findall(r"[^\W_]+", (text or "").lower())]


def occurrences(tokens: list[str], phrase: list[str]) -> int:
    n = len(phrase)
    return sum(tokens[i:i + n] == phrase for i in range(len(tokens) - n + 1))
