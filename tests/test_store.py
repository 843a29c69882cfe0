"""The store layer: migrations, transactions, content-addressed files."""
import sqlite3

import pytest

from store import db
from store.blobs import BlobStore, sha256_bytes


def test_migrations_apply_once_and_record_version(tmp_path):
    path = tmp_path / "m.sqlite3"
    conn = db.connect(path)
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    assert version == len(db.migrations()) >= 3
    conn.close()
    conn = db.connect(path)  # reopening applies nothing twice (would fail on CREATE TABLE)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == version
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"fetches", "files", "versions", "documents", "pages", "sections"} <= tables


def test_transaction_rolls_back_on_error(datadir):
    conn = datadir.db
    with pytest.raises(RuntimeError):
        with db.transaction(conn):
            conn.execute("INSERT INTO runs(command, started_at) VALUES ('harvest', 'x')")
            raise RuntimeError("boom")
    assert conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 0


def test_nested_transaction_rolls_back_inner_only(datadir):
    conn = datadir.db
    with db.transaction(conn):
        conn.execute("INSERT INTO runs(command, started_at) VALUES ('outer', 'x')")
        with pytest.raises(sqlite3.IntegrityError):
            with db.transaction(conn):
                conn.execute("INSERT INTO runs(command, started_at) VALUES ('inner', 'x')")
                conn.execute("INSERT INTO runs(id, command, started_at) VALUES (1, 'dup', 'x')")
    assert [r[0] for r in conn.execute("SELECT command FROM runs")] == ["outer"]


def test_blob_store_is_content_addressed_and_idempotent(tmp_path):
    store = BlobStore(tmp_path / "files")
    sha = store.put(b"%PDF-1.7 hello")
    assert sha == sha256_bytes(b"%PDF-1.7 hello")
    assert store.put(b"%PDF-1.7 hello") == sha
    assert store.read(sha) == b"%PDF-1.7 hello"
    assert store.path(sha).relative_to(store.root).parts[:2] == (sha[:2], sha[2:4])
    assert not list(store.path(sha).parent.glob(".tmp-*"))


def test_blob_store_refuses_paths_that_are_not_hashes(tmp_path):
    store = BlobStore(tmp_path / "files")
    with pytest.raises(ValueError):
        store.path("../../etc/passwd")
