"""The records that cross from harvest to the stages after it and to the CLI/web, one
dataclass each, with ``to_dict()`` giving the JSON shape every interface returns.

(Pages, sections, facts and search hits are the records of their own stages, defined
where the stage returns them: ``read.extract.PageRecord``, ``structure.sections.DocumentSections``,
``structure.facts.DocumentFacts``, ``search.results.SearchResult``; the README's "Layout"
lists them all.)
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields


def _from_row(cls, row, **more):
    """A record from a database row (or dict) holding the record's fields, plus *more*."""
    keys = row.keys()
    return cls(**{f.name: row[f.name] for f in fields(cls) if f.name in keys}, **more)


@dataclass
class FetchResult:
    """One HTTP GET that answered usably (200 or 304), redirects followed."""
    url: str                 # as asked
    final_url: str           # after redirects
    status: int              # 200 or 304
    body: bytes | None       # None on 304
    etag: str | None
    last_modified: str | None
    content_type: str | None
    attempts: int = 1

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    def to_dict(self) -> dict:
        """The fetch without its body (its size instead)."""
        d = asdict(self)
        d["bytes"] = len(d.pop("body") or b"")
        return d


@dataclass
class FetchFailure:
    """A request that failed, with why (``status`` None when no answer came)."""
    url: str
    purpose: str             # program-page | roster-participating | roster-pending | moa | addendum | ...
    reason: str
    status: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class StoredDocument:
    """A PDF the archive holds, as harvest or import recorded it (``documents``)."""
    sha256: str
    kind: str                        # moa | addendum | template | archive-moa
    file_name: str | None = None
    url: str | None = None           # None for an import
    agency: str | None = None
    state: str | None = None         # ICE's upper-case name
    model: str | None = None         # JEM | TFM | WSO | TTFM (archive.core.vocabulary)
    signed: str | None = None        # YYYY-MM-DD (archive.core.dates)
    metadata_source: str | None = None   # roster | archive-page | file-name | program-page
    agreement_id: int | None = None
    first_fetched_at: str | None = None
    last_fetched_at: str | None = None

    from_row = classmethod(_from_row)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class RosterSnapshot:
    """One roster workbook as ICE published it at one time (``roster_snapshots``)."""
    id: int
    kind: str                # participating | pending
    file_name: str | None
    fetched_at: str
    row_count: int
    sha256: str | None = None
    url: str | None = None           # None for an imported workbook
    published: str | None = None     # ICE's stamp in the file name ("2025-07-18 pm "), if any

    from_row = classmethod(_from_row)

    def to_dict(self) -> dict:
        return asdict(self)
