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

ROMAN_HEADING = r"(?m)^\s*([IVX]{1,5})\.\s+([A-Z][A-Z ,()]{3,})\s*$"


def fill_text_archive(d: DataDir, corpus: Path = FIXTURE_CORPUS) -> DataDir:
    """Fill documents/pages/sections/form_fields/facts of *d* with a corpus as
    pypdfium2 and pypdf read it (no importer/extractor/segmenter: the search tests stand
    alone). One Finney page also gets a scanner-style misreading ("perfonn") as its text
    layer, with the correct text as OCR, the way a rescanned page is stored."""
    import re

    import pypdf
    import pypdfium2 as pdfium

    conn = d.db
    now = "2025-07-19T00:00:00Z"
    for row in load_manifest(corpus):
        if row["kind"] != "moa":
            continue
        path = corpus / row["file"]
        sha = row["sha256"]
        if conn.execute("SELECT 1 FROM documents WHERE sha256 = ?", (sha,)).fetchone():
            continue
        conn.execute("INSERT INTO files VALUES (?,?,?,?,?,?,?)",
                     (sha, path.stat().st_size, "import", path.name, "application/pdf",
                      f"files/{sha[:2]}/{sha[2:4]}/{sha}", now))
        conn.execute("INSERT INTO documents (sha256, kind, file_name, agency, state, model, signed,"
                     " metadata_source, source, first_fetched_at, last_fetched_at)"
                     " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                     (sha, "moa", path.name, row["agency"], row["state"], row["model"], row["signed"],
                      "import", "import", now, now))
        pdf = pdfium.PdfDocument(str(path))
        texts = [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
        for n, text in enumerate(texts, start=1):
            layer, method, ocr = text, "text", None
            if "Finney" in path.name and n == 2:
                layer, method, ocr = text.replace("perform", "perfonn"), "ocr", text
            conn.execute("INSERT INTO pages (sha256, page, text_layer, text_layer_quality, ocr_text,"
                         " method, text, extractor_version) VALUES (?,?,?,?,?,?,?,0)",
                         (sha, n, layer, "good", ocr, method, text))
        heads = []
        for n, text in enumerate(texts, start=1):
            for m in re.finditer(ROMAN_HEADING, text):
                heads.append((n, m.start(), m.group(1), m.group(2).strip()))
        for i, (n, start, num, title) in enumerate(heads):
            end_n, end = (heads[i + 1][0], heads[i + 1][1]) if i + 1 < len(heads) else (len(texts), None)
            body = texts[n - 1][start:] if end_n != n else texts[n - 1][start:end]
            body += "".join(texts[k - 1] for k in range(n + 1, end_n))
            if end_n != n:
                body += texts[end_n - 1][:end]
            key = "-".join(re.sub(r"[^a-z]+", " ", title.lower()).split()[:3])
            conn.execute("INSERT INTO sections VALUES (?,?,?,?,?,?,?,?,?)",
                         (sha, i, key, num, title, None, n, end_n, body))
        if row["template_revision"]:
            conn.execute("INSERT INTO facts (sha256, name, value, page) VALUES (?,?,?,?)",
                         (sha, "revision", row["template_revision"], 1))
        if row["has_form_fields"] == "1":
            reader = pypdf.PdfReader(str(path))
            for name, f in (reader.get_fields() or {}).items():
                value = f.get("/V")
                if isinstance(value, str) and value.strip():
                    conn.execute("INSERT INTO form_fields VALUES (?,?,?,?)", (sha, name, value, None))
    return d


@pytest.fixture(scope="session")
def text_archive(tmp_path_factory) -> DataDir:
    """The fixture corpus's text in a fresh database, indexed. Treat as read-only."""
    from archive.search import rebuild_index

    d = fill_text_archive(DataDir(tmp_path_factory.mktemp("text-archive") / "data"))
    rebuild_index(d)
    yield d
    d.close()
