"""Embedded storage: SQLite metadata (store.db), files by sha256 (store.blobs), the
Whoosh index (store.index, the only module that imports whoosh)."""
