"""The data directory: one place that knows where everything lives.

    DATA_DIR/moa.sqlite3     metadata (schema: store/migrations/*.sql)
    DATA_DIR/files/          original files by sha256 (store.blobs)
    DATA_DIR/index/          the Whoosh index (store.index), derived data
    DATA_DIR/cache/          derived caches (page images, ...), safe to delete
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from store import db
from store.blobs import BlobStore


@dataclass
class DataDir:
    root: Path
    readonly: bool = False
    _conn: sqlite3.Connection | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.root = Path(self.root).expanduser().resolve()

    @property
    def db_path(self) -> Path:
        return self.root / db.DB_FILE_NAME

    @property
    def files_dir(self) -> Path:
        return self.root / "files"

    @property
    def index_dir(self) -> Path:
        return self.root / "index"

    @property
    def cache_dir(self) -> Path:
        return self.root / "cache"

    @property
    def blobs(self) -> BlobStore:
        return BlobStore(self.files_dir)

    @property
    def db(self) -> sqlite3.Connection:
        """The open connection (created, and the schema migrated, on first use)."""
        if self._conn is None:
            if not self.readonly:
                self.root.mkdir(parents=True, exist_ok=True)
            self._conn = db.connect(self.db_path, readonly=self.readonly)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> "DataDir":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
