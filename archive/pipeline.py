"""Everything after harvest, in order: read pages → cut sections → update the index →
refresh the compare cache.

Every stage is incremental (it only works on documents that are new or were processed
by an older version of that stage), so running this on an up-to-date archive does no work.
"""
from __future__ import annotations

from typing import Callable

from archive import compare, search
from archive.read import extract
from archive.structure import stage
from archive.core.progress import NullProgress, Progress
from store.datadir import DataDir

ProgressFactory = Callable[[str], Progress]


def process(datadir: DataDir, *, workers: int | None = None, force: bool = False,
            progress: ProgressFactory = lambda label: NullProgress()) -> dict:
    """Run every stage after harvest; return a summary per stage (JSON-able)."""
    summary: dict = {}
    # Stages are added here in pipeline order, one line each.
    summary["extract"] = extract.extract_all(datadir, workers=workers, force=force, progress=progress("read"))
    summary["sections"] = stage.segment_all(datadir, force=force, progress=progress("sections"))
    summary["index"] = search.update_index(datadir, progress=progress("index"))
    summary["compare"] = compare.refresh_cache(datadir, progress=progress("compare"))
    return summary
