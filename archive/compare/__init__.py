"""Comparing agreements: redlines, deviation from the baseline, clause variants, models.

Everything works on the ``sections`` rows of the sections stage, aligned by canonical
section key (a key that occurs twice in one document gets the *slot* ``key#2``).
Texts are compared as word tokens after :mod:`.normalize` set fill-ins (agency names,
abbreviations, cities, addresses, dates, names) and OCR noise aside.

The rooms of this stage, in the order data flows:

- :mod:`.normalize` — fill-ins and OCR noise: text → ``(key, text)`` tokens;
- :mod:`.loading` — the SQL over earlier stages' tables: documents, sections, facts;
- :mod:`.diff` — the pure diff engine: redlines, material changes, variant grouping;
- :mod:`.cache` — normalised section texts, refreshed by the pipeline only;
- :mod:`.analyses` — :func:`compare_pair`, :func:`deviation` / :func:`top_deviations`,
  :func:`variants`, :func:`models` / :func:`model_redline`;
- :mod:`.results` — every deviation, ranking, variants and models table computed by the
  pipeline (:func:`refresh`) and stored; :class:`Stored` reads them (the web site, the CLI);
- :mod:`.recent` — a pair's redline, computed on request, kept in memory for the next
  requests (its page, exports and JSON): :func:`recent_pair`;
- :mod:`.formatting` — text, CSV and Word forms of their results; :mod:`.redline_pdf` — PDF.

This module re-exports the public API.
"""
from __future__ import annotations

from archive.compare.analyses import (Baseline, baseline, compare_pair, deviation, model_redline,
                                      models, section_keys, top_deviations, variants)
from archive.compare.cache import NormSection, Norms, refresh_cache
from archive.compare.diff import cluster, redline
from archive.compare.formatting import (change_rows, count_changes, deviation_table, docx_available, models_table, redline_docx,
                                        redline_text, variants_table)
from archive.compare.redline_pdf import pdf_available, redline_pdf
from archive.compare.loading import AGREEMENT_KINDS, Doc, SectionText, agreements, load_doc, text_reliability
from archive.compare.results import NotComputed, Stored, refresh_results
from archive.compare.recent import pair as recent_pair
from archive.core.progress import Progress


def warm() -> None:
    """Load now what the first redline and the first exports of a process would (English's
    common words for the diff, python-docx, fpdf2): a server calls it before it listens."""
    import importlib
    from archive.compare.diff import word_keys
    word_keys()
    for module, available in (("docx", docx_available), ("fpdf", pdf_available)):
        if available():
            importlib.import_module(module)


def refresh(db, progress: Progress | None = None) -> dict:
    """The pipeline's compare stage: the normalised-text cache, then the stored results."""
    return {"cache": refresh_cache(db), **refresh_results(db, progress)}

__all__ = ["AGREEMENT_KINDS", "Baseline", "change_rows", "Doc", "NormSection", "Norms", "SectionText",
           "agreements", "baseline", "cluster", "compare_pair", "count_changes", "docx_available", "redline_docx", "deviation", "deviation_table",
           "NotComputed", "Stored", "load_doc", "model_redline", "refresh", "refresh_results", "text_reliability", "models", "models_table", "recent_pair", "redline", "redline_text", "warm",
           "refresh_cache", "pdf_available", "redline_pdf", "section_keys", "top_deviations", "variants", "variants_table"]
