"""Shared test fixtures.

Two corpora: ``tests/fixtures/corpus`` (a few real ICE files, committed, always there)
and ``../shared/corpus`` (55 MOAs + 8 rosters; tests that need it skip when absent).
Both have the same layout: MANIFEST.csv, pdfs/, sheets/.
"""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from store.datadir import DataDir

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_CORPUS = ROOT / "tests" / "fixtures" / "corpus"
SHARED_CORPUS = ROOT.parent / "shared" / "corpus"
ARTIFACTS = ROOT / "test-artifacts"


def load_manifest(corpus: Path) -> list[dict]:
    with open(corpus / "MANIFEST.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="session")
def fixture_corpus() -> Path:
    return FIXTURE_CORPUS


@pytest.fixture(scope="session")
def shared_corpus() -> Path:
    """The full shared corpus; skips the test when ../shared/corpus is absent."""
    if not (SHARED_CORPUS / "MANIFEST.csv").is_file():
        pytest.skip(f"needs the full corpus at {SHARED_CORPUS} (absent on this checkout)")
    return SHARED_CORPUS


@pytest.fixture
def datadir(tmp_path) -> DataDir:
    """A fresh, empty data directory with a migrated database."""
    d = DataDir(tmp_path / "data")
    d.db  # create + migrate
    yield d
    d.close()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def _build_archive(corpus: Path, data: Path) -> DataDir:
    """Import a corpus (rosters, then PDFs) and run every stage after harvest."""
    from archive.importer import import_paths
    from archive.pipeline import process

    d = DataDir(data)
    import_paths(d, sorted((corpus / "sheets").glob("*.xlsx")) + sorted((corpus / "pdfs").glob("*.pdf")))
    process(d)
    return d


@pytest.fixture(scope="session")
def fixture_archive(tmp_path_factory) -> DataDir:
    """The committed fixture corpus, imported and fully processed, once per session.
    Treat as read-only."""
    d = _build_archive(FIXTURE_CORPUS, tmp_path_factory.mktemp("fixture-archive") / "data")
    yield d
    d.close()


@pytest.fixture(scope="session")
def corpus_archive(shared_corpus, tmp_path_factory) -> DataDir:
    """The whole shared corpus, imported and fully processed, once per session (OCR of
    ~300 pages: minutes). Treat as read-only.

    For development only, MOA_TEST_CORPUS_ARCHIVE=DIR keeps the built archive in DIR
    between sessions; every stage is incremental, so a reuse costs seconds.
    """
    import os
    where = os.environ.get("MOA_TEST_CORPUS_ARCHIVE")
    data = Path(where) if where else tmp_path_factory.mktemp("corpus-archive") / "data"
    d = _build_archive(shared_corpus, data)
    yield d
    d.close()
