"""`moa import`: add local PDFs and roster workbooks (FOIA copies, or when ICE answers 403).

Each file is recorded exactly as a harvested one would be (archive.harvest.recording), with
``file:`` + its absolute path as its URL. Rosters go first so PDFs link at once, but
linking does not depend on the order.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from archive.core.errors import DocumentError
from archive.core.progress import NullProgress, Progress
from archive.harvest.recording import Source, content_problem, finish_run, record_file, start_run, writer_lock
from archive.harvest.rosters import parse_roster
from store.datadir import DataDir
from store.db import utc_now

SUFFIXES = (".pdf", ".xlsx")


@dataclass
class ImportFailure:
    path: str
    reason: str


@dataclass
class ImportResult:
    files: int = 0            # files imported (refused ones are in errors, not here)
    new_files: int = 0        # distinct bytes not held before
    unchanged: int = 0        # same bytes already recorded at that path
    documents: int = 0        # PDFs recorded (new or not)
    rosters: int = 0          # workbooks recorded
    new_snapshots: int = 0
    errors: list[ImportFailure] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def all_done(self) -> bool:
        return not self.errors


def expand(paths: list[Path]) -> list[Path]:
    """Files to import: the given files, and the PDFs/workbooks under given directories;
    workbooks first."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(q for q in p.rglob("*") if q.is_file() and q.suffix.lower() in SUFFIXES)
        else:
            out.append(p)
    return sorted(dict.fromkeys(out), key=lambda p: p.suffix.lower() != ".xlsx")


def import_paths(datadir: DataDir, paths: list[Path], *, progress: Progress = NullProgress(),
                 on_wait=None) -> ImportResult:
    """Import files (and directories of them). A bad file is an error naming it; the
    rest go on. *on_wait*: as for harvest (whose lock a second writer waits for)."""
    with writer_lock(datadir, "import", on_wait):
        return _import(datadir, expand(paths), progress)


def _import(datadir: DataDir, files: list[Path], progress: Progress) -> ImportResult:
    result = ImportResult()
    conn = datadir.db
    run_id = start_run(conn, "import")
    progress.start(len(files), "files")
    for path in files:
        failed = 0
        try:
            _import_one(datadir, path, result)
        except (DocumentError, OSError) as e:
            failed = 1
            result.errors.append(ImportFailure(str(path), getattr(e, "reason", None) or str(e)))
            progress.note(f"skipped {path}: {result.errors[-1].reason}")
        progress.advance(errors=failed)
    progress.finish()
    status = "ok" if not result.errors else ("failed" if len(result.errors) == len(files) else "partial")
    finish_run(conn, run_id, status, result.to_dict())
    return result


def _import_one(datadir: DataDir, path: Path, result: ImportResult) -> None:
    data = path.read_bytes()
    source = Source(url="file:" + str(path.resolve()), fetched_at=utc_now(), origin="import")
    if path.suffix.lower() == ".xlsx" or data.startswith(b"PK\x03\x04"):
        roster = parse_roster(data, str(path))
        rec = record_file(datadir, data, kind=f"roster-{roster.kind}", file_name=path.name,
                          source=source, roster=roster)
        result.rosters += 1
        result.new_snapshots += rec.new_snapshot
    else:
        problem = content_problem(data, "pdf")
        if problem:
            raise DocumentError(str(path), f"{problem}; only PDFs and .xlsx roster workbooks can be imported")
        rec = record_file(datadir, data, kind="moa", file_name=path.name, source=source)
        result.documents += 1
    result.files += 1
    result.new_files += rec.new_file
    result.unchanged += rec.outcome == "unchanged"
