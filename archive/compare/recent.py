"""Results computed on request and kept in memory for the next requests (never written).

A pair redline depends only on its two agreements, so it is computed when asked for
(:func:`~archive.compare.analyses.compare_pair`, 20–80 ms of CPU, whatever the archive's
size), not stored by the pipeline; but its page, its exports (HTML, Word,
PDF) and its JSON ask for the same pair one after another. :func:`pair` keeps the last
:data:`PAIRS` of them in a bounded LRU, keyed by everything they depend on: the archive's
database, each document's inputs (:func:`~archive.compare.results.document_inputs`: its
sha256, metadata and when it was read and cut), the options, and the normaliser's and
results' versions. A result from here is shared: read it, do not change it.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable

from archive.compare.analyses import compare_pair
from archive.compare.loading import Db, conn_of
from archive.compare.normalize import NORMALIZER_VERSION
from archive.compare.results import RESULTS_VERSION, document_inputs
from archive.core.refs import resolve

PAIRS = 16          # pair results kept (a few hundred KB each in memory: its JSON is ~100 KB)


class Recent:
    """A bounded, thread-safe LRU of computed results."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key, compute: Callable[[], object]):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return self._items[key]
            self.misses += 1
        value = compute()               # outside the lock: other requests go on meanwhile
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_pairs = Recent(PAIRS)


def pair(db: Db, ref_a: str, ref_b: str, *, ignore_fillins: bool = True, ignore_ocr_noise: bool = True) -> dict:
    """:func:`compare_pair` of two documents, from memory when asked for before and neither
    changed since."""
    conn = conn_of(db)
    a, b = resolve(conn, ref_a), resolve(conn, ref_b)
    inputs = {x[0]: x for _, x in document_inputs(conn, [a, b])}
    database = conn.execute("PRAGMA database_list").fetchone()[2]
    key = (database, a, b, repr(inputs.get(a)), repr(inputs.get(b)), ignore_fillins, ignore_ocr_noise,
           NORMALIZER_VERSION, RESULTS_VERSION)
    return _pairs.get(key, lambda: compare_pair(conn, a, b, ignore_fillins=ignore_fillins,
                                                ignore_ocr_noise=ignore_ocr_noise))
