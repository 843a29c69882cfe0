"""The SQLite database: opening, migrations, transactions.

The schema lives in ``store/migrations/NNN_name.sql``, applied in order; ``PRAGMA
user_version`` records how many have run. Each stage of the pipeline owns its own
migration file, so the schema reads as documentation (see README, "Database").
"""
from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
DB_FILE_NAME = "moa.sqlite3"


def utc_now() -> str:
    """Current time as an ISO 8601 UTC string with seconds, e.g. 2025-07-18T15:16:37Z."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def migrations() -> list[Path]:
    return sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9]_*.sql"))


def connect(path: Path | str, *, readonly: bool = False) -> sqlite3.Connection:
    """Open the database at *path* (creating and migrating it unless *readonly*)."""
    path = Path(path)
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False,
                               isolation_level=None, timeout=30)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 30000")
    if not readonly:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        migrate(conn)
    return conn


def migrate(conn: sqlite3.Connection) -> int:
    """Apply every migration not yet applied; return the schema version."""
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    for number, script in enumerate(migrations(), start=1):
        if number <= current:
            continue
        sql = script.read_text(encoding="utf-8")
        with transaction(conn):
            for statement in _statements(sql):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
        current = number
    return current


def _statements(sql: str) -> Iterator[str]:
    """Split a migration script into statements (sqlite3.complete_statement aware)."""
    buf = ""
    for line in sql.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                yield buf
            buf = ""
    if buf.strip() and not buf.strip().startswith("--"):
        yield buf


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception. Nests by savepoint."""
    if conn.in_transaction:
        name = f"sp_{id(conn)}_{datetime.now().timestamp():.0f}".replace(".", "_")
        conn.execute(f"SAVEPOINT {name}")
        try:
            yield conn
        except BaseException:
            conn.execute(f"ROLLBACK TO {name}")
            conn.execute(f"RELEASE {name}")
            raise
        conn.execute(f"RELEASE {name}")
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
