"""Everything after harvest, in order: read pages → cut sections → update the index →
refresh the compare cache (`moa process`; `moa update` runs it after harvesting).

Every stage is incremental (it only works on documents that are new or were processed
by an older version of that stage), so running this on an up-to-date archive does no work.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from archive import compare, search, watch
from archive.core.progress import NullProgress, Progress
from archive.read import extract
from archive.structure import stage
from store.datadir import DataDir

ProgressFactory = Callable[[str], Progress]
STAGES = ("extract", "sections", "index", "compare", "watch")


@dataclass
class ProcessResult:
    """Each stage's summary (as that stage returns it), in pipeline order."""
    extract: dict = field(default_factory=dict)
    sections: dict = field(default_factory=dict)
    index: dict = field(default_factory=dict)
    compare: dict = field(default_factory=dict)
    watch: list = field(default_factory=list)      # per saved search: what newly matches

    @property
    def problems(self) -> list[str]:
        """What failed, one line each for people (empty: all done)."""
        out = [f"reading {f.get('file_name') or f.get('sha256')}: {f.get('error')}"
               for f in self.extract.get("failures", [])]
        partial = self.extract.get("partial", 0)
        if partial:
            out.append(f"reading: {partial} document(s) read only in part (see `moa status`)")
        return out

    @property
    def all_done(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict:
        return {name: getattr(self, name) for name in STAGES} | {"problems": self.problems}


def process(datadir: DataDir, *, workers: int | None = None, force: bool = False,
            progress: ProgressFactory = lambda label: NullProgress()) -> ProcessResult:
    """Run every stage after harvest on what the archive holds (harvested or imported)."""
    r = ProcessResult()
    # Stages are added here in pipeline order, one line each.
    r.extract = extract.extract_all(datadir, workers=workers, force=force, progress=progress("read"))
    r.sections = stage.segment_all(datadir, force=force, workers=workers, progress=progress("sections"))
    r.index = search.update_index(datadir, progress=progress("index"))
    r.compare = compare.refresh(datadir, progress=progress("compare"))
    # Saved searches (archive/watch), on the fresh index: record what newly matches them.
    r.watch = [w.to_dict() for w in watch.refresh_all(datadir)]
    return r
