"""Keeping the index current: index what is new or changed in the database, drop what
is gone, or rebuild it all into a fresh generation (store.index swaps it in)."""
from __future__ import annotations

import os
import time
import warnings
from contextlib import contextmanager
from typing import Iterator

from archive.core.errors import IndexBusy
from archive.core.progress import NullProgress, Progress
from archive.search.units import document_units, fingerprints
from archive.search.vocabulary import EXTRA_NAME, Splitter, count_words
from store import index as ix
from store.datadir import DataDir


# A full build of an archive of PARALLEL_PAGES pages or more is written by WRITERS
# processes (on a machine with that many cores): on fewer, starting them costs more.
WRITERS = min(2, os.cpu_count() or 1)
PARALLEL_PAGES = 1000


class IndexRebuiltWarning(UserWarning):
    """The index was missing or unreadable and has been rebuilt from the database."""


@contextmanager
def writing(datadir: DataDir) -> Iterator[None]:
    """The index's write lock, as the project's IndexBusy when another writer holds it."""
    try:
        with ix.write_lock(datadir.root):
            yield
    except ix.IndexLocked as e:
        raise IndexBusy(str(e)) from e


def update_index(datadir: DataDir, *, progress: Progress = NullProgress()) -> dict:
    """Index what is new or changed in the database since the last update, drop what is
    gone. A missing or unreadable index is rebuilt (with a warning). IndexBusy if
    another update runs."""
    t0 = time.monotonic()
    with writing(datadir):
        try:
            index = ix.open_index(datadir.index_dir)
        except ix.IndexUnusable as e:
            if datadir.index_dir.exists() or datadir.index_dir.is_symlink():
                warnings.warn(f"{e}; rebuilding it from the database", IndexRebuiltWarning)
                progress.note(f"{e}; rebuilding it from the database")
            summary = _rebuild(datadir, progress)
            summary["rebuilt"] = True
            return summary
        conn = datadir.db
        want = fingerprints(conn)
        have = ix.indexed_fingerprints(index)
        changed = {s: fp for s, fp in want.items() if have.get(s) != fp}
        removed = set(have) - set(want)
        units = 0
        if changed or removed:
            splitter = Splitter.from_json(ix.read_extra(datadir.index_dir, EXTRA_NAME))
            progress.start(len(changed), "documents")
            units = ix.update_in_place(
                index, changed, removed,
                (document_units(conn, s, fp, splitter) for s, fp in changed.items()),
                lambda: progress.advance(1))
            progress.finish()
        index.close()
    return {"indexed": len(changed), "removed": len(removed), "unchanged": len(want) - len(changed),
            "units": units, "rebuilt": False, "seconds": round(time.monotonic() - t0, 2)}


def rebuild_index(datadir: DataDir, *, progress: Progress = NullProgress()) -> dict:
    """Build the whole index afresh in a new directory, then swap it in atomically."""
    with writing(datadir):
        summary = _rebuild(datadir, progress)
    summary["rebuilt"] = True
    return summary


def _rebuild(datadir: DataDir, progress: Progress) -> dict:
    t0 = time.monotonic()
    conn = datadir.db
    want = fingerprints(conn)
    splitter = Splitter(count_words(t for row in conn.execute(
        "SELECT text, text_layer, ocr_text FROM pages") for t in row))
    progress.start(len(want), "documents")
    pages = conn.execute("SELECT count(*) FROM pages").fetchone()[0]
    units = ix.build_fresh(datadir.root, datadir.index_dir,
                           (document_units(conn, s, fp, splitter) for s, fp in want.items()),
                           lambda: progress.advance(1), extra={EXTRA_NAME: splitter.to_json()},
                           procs=WRITERS if pages >= PARALLEL_PAGES else 1)
    progress.finish()
    return {"indexed": len(want), "removed": 0, "unchanged": 0, "units": units,
            "seconds": round(time.monotonic() - t0, 2)}
