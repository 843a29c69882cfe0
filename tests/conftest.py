"""Shared test fixtures.

Two corpora: ``tests/fixtures/corpus`` (a few real ICE files, committed, always there)
and ``../shared/corpus`` (55 MOAs + 8 rosters; tests that need it skip when absent).
Both have the same layout: MANIFEST.csv, pdfs/, sheets/.
"""
from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from store.datadir import DataDir

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_CORPUS = ROOT / "tests" / "fixtures" / "corpus"
SHARED_CORPUS = ROOT.parent / "shared" / "corpus"
ARTIFACTS = ROOT / "test-artifacts"


# --- CI: a corpus or browser test that skips fails the run ---------------------------

CORPUS_FIXTURES = {"shared_corpus", "corpus_archive", "corpus"}


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def must_run_in_ci(item) -> bool:
    """Tests that need the shared corpus or Chromium: marked so, or using a corpus fixture."""
    return (item.get_closest_marker("corpus") is not None or item.get_closest_marker("browser") is not None
            or bool(CORPUS_FIXTURES & set(getattr(item, "fixturenames", ()))))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI=true a skipped corpus or browser test is a failure: CI must have the
    corpus and Chromium, so a skip there means a test that silently did not run."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and not hasattr(report, "wasxfail") and in_ci() and must_run_in_ci(item):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = (f"skipped under CI=true, where corpus and browser tests must run: {reason}. "
                           "Provide ../shared/corpus and Chromium (./go test installs it).")


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
    from archive.harvest.importer import import_paths
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


# --- search (issue #5) -------------------------------------------------------------

_TEXT_TEMPLATES: dict[Path, Path] = {}


def fill_text_archive(d: DataDir, corpus: Path = FIXTURE_CORPUS) -> DataDir:
    """Fill *d* with a corpus as the real pipeline stores it, up to the index: rosters and
    PDFs imported, every page read (text layer, OCR of the scans), sections and facts cut;
    no index (callers build it). One Finney page is stored the way the read stage stores a
    rescanned page whose scanner text layer misread a word: the text layer says "perfonn",
    the OCR the correct text, and ``text`` (method ``ocr``) is the OCR. Built once per
    session per corpus, then copied (OCR is the slow part)."""
    import atexit
    import shutil
    import tempfile

    template = _TEXT_TEMPLATES.get(corpus)
    if template is None:
        from archive.harvest.importer import import_paths
        from archive.read.extract import extract_all
        from archive.structure.stage import segment_all

        template = Path(tempfile.mkdtemp(prefix="moa-text-archive-")) / "data"
        atexit.register(shutil.rmtree, template.parent, True)
        t = DataDir(template)
        import_paths(t, sorted((corpus / "sheets").glob("*.xlsx")) + sorted((corpus / "pdfs").glob("*.pdf")))
        extract_all(t)
        with t.db:
            t.db.execute(
                "UPDATE pages SET text_layer = replace(text_layer, 'perform', 'perfonn'), ocr_text = text,"
                " method = 'ocr' WHERE page = 2 AND sha256 IN"
                " (SELECT sha256 FROM documents WHERE file_name LIKE '%Finney%')")
        segment_all(t)
        t.close()
        _TEXT_TEMPLATES[corpus] = template
    d.close()
    shutil.copytree(template, d.root, dirs_exist_ok=True)
    return d


@pytest.fixture(scope="session")
def text_archive(tmp_path_factory) -> DataDir:
    """The fixture corpus's text in a fresh database, indexed. Treat as read-only."""
    from archive.search import rebuild_index

    d = fill_text_archive(DataDir(tmp_path_factory.mktemp("text-archive") / "data"))
    rebuild_index(d)
    yield d
    d.close()
