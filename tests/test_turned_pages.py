"""Pages scanned sideways or upside down (issue 15, item 2: cut an agreement whose scan is
damaged). A page fed turned reads as nonsense; the read stage finds it turned (tesseract's
orientation detection), reads it upright and gives its word boxes on the page as stored.

The document is a real agreement of the fixture corpus with some of its pages replaced by
images of them, turned each of the three ways a page can be fed, and one page upright, as
a scanner that takes the pages out of order would give them. Real tesseract throughout.
"""
from __future__ import annotations

import io
import re
import shutil
from difflib import SequenceMatcher
from pathlib import Path

import pypdf
import pytesseract
import pytest

from archive.harvest.importer import import_paths
from archive.read import ocr, stored
from archive.read.extract import extract_all, read_pdf
from archive.read.pdf import open_pdf
from archive.structure.segmenter import segment
from archive.structure.stage import load_pages
from store.datadir import DataDir

SOURCE = "287gWSO_FinneyCoKs2020-03-17.pdf"
# page (1-based) -> degrees the page is turned counter-clockwise as fed: its opening
# headings sideways one way, the end of section V upside down, appendix B sideways the
# other way; the first page of appendix A upright
FED = {1: 90, 6: 180, 9: 270, 8: 0}
SCAN_DPI = 200


def _scanned(source: Path, out: Path) -> Path:
    """*source* with the pages of FED replaced by grey images of them, turned as fed."""
    writer = pypdf.PdfWriter()
    with open_pdf(source) as pdf:
        for n, page in enumerate(pypdf.PdfReader(source).pages, 1):
            if n not in FED:
                writer.add_page(page)
                continue
            image = pdf.render(n - 1, SCAN_DPI).convert("L").rotate(FED[n], expand=True, fillcolor=255)
            buf = io.BytesIO()
            image.save(buf, "PDF", resolution=SCAN_DPI)
            writer.add_page(pypdf.PdfReader(io.BytesIO(buf.getvalue())).pages[0])
    with out.open("wb") as f:
        writer.write(f)
    return out


@pytest.fixture(scope="module")
def turned(fixture_corpus, tmp_path_factory) -> tuple[DataDir, str, Path]:
    """The agreement as scanned, imported and read: (datadir, sha256, its PDF)."""
    root = tmp_path_factory.mktemp("turned")
    pdf = _scanned(fixture_corpus / "pdfs" / SOURCE, root / "FinneyCoKs_scanned.pdf")
    d = DataDir(root / "data")
    result = import_paths(d, [pdf])
    assert result.documents == 1, result
    summary = extract_all(d, workers=2)
    assert summary["ok"] == 1 and summary["ocr_pages"] == len(FED), summary
    sha = d.db.execute("SELECT sha256 FROM documents").fetchone()[0]
    yield d, sha, pdf
    d.close()


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def test_pages_fed_turned_are_read_upright(turned, fixture_corpus):
    """Each page fed turned reads as its text layer does: turned upright by the degrees it
    was fed (tesseract itself reads a page turned 270 degrees counter-clockwise, whose lines
    run top to bottom, but not one turned 90 or 180); the page fed upright as it is."""
    d, sha, _ = turned
    layer = {p.page: p.text for p in read_pdf(fixture_corpus / "pdfs" / SOURCE, workers=1).pages}
    rows = {r["page"]: r for r in d.db.execute("SELECT * FROM pages WHERE sha256 = ?", (sha,))}
    for n, fed in FED.items():
        r = rows[n]
        turn = stored.turned(d, sha, n)
        assert r["method"] == "ocr" and r["reader"] == ocr.reader_name(ocr.DEFAULT_DPI, turn), (n, r["reader"])
        assert turn == fed if fed in (90, 180) else turn in (0, fed), (n, fed, r["reader"])
        assert r["ocr_confidence"] >= ocr.TURN_BELOW + ocr.TURN_GAIN
        want, got = _words(layer[n]), set(_words(r["text"]))
        assert sum(w in got for w in want) >= 0.95 * len(want), (n, r["text"][:300])


def test_an_agreement_with_pages_fed_turned_is_cut_as_its_text_layer(turned, fixture_corpus):
    d, sha, _ = turned
    layer = [p.text for p in read_pdf(fixture_corpus / "pdfs" / SOURCE, workers=1).pages]
    want, got = segment(layer), segment(load_pages(d.db, sha))
    assert want.complete and got.complete, got.problems
    assert [(s.key, s.first_page, s.last_page) for s in got.sections] == \
           [(s.key, s.first_page, s.last_page) for s in want.sections]


def test_word_boxes_of_a_page_read_turned_are_on_the_page_as_stored(turned):
    """A word's box, cut from the page as stored and turned as the page was, reads as the
    word (tesseract on the crop alone): the boxes are where the words are, for every turn."""
    d, sha, pdf_path = turned
    words = stored.ocr_words(d, sha, FED)
    with open_pdf(pdf_path) as pdf:
        for n, fed in FED.items():
            image = pdf.render(n - 1, ocr.DEFAULT_DPI).convert("L")
            longest = sorted({w for w in words[n] if re.fullmatch(r"[A-Za-z]{9,}", w[0])},
                             key=lambda w: (-len(w[0]), w[1], w[2]))[:4]
            assert len(longest) == 4, n
            read = []
            for text, left, top, width, height, _ in longest:
                box = [round(v * size / ocr.BOX_UNITS) for v, size in
                       ((left, image.width), (top, image.height),
                        (left + width, image.width), (top + height, image.height))]
                pad = 8
                crop = image.crop((box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad))
                crop = crop.rotate(-fed, expand=True, fillcolor=255)      # upright, as it was read
                seen = pytesseract.image_to_string(crop, config="--oem 1 --psm 7").strip()
                read.append(SequenceMatcher(None, seen.lower(), text.lower()).ratio())
            assert sum(r >= 0.8 for r in read) >= 3, (n, fed, longest, read)


def test_a_new_version_keeps_the_sure_readings_of_the_last(turned, tmp_path):
    """An archive read by extractor version 4 (which did not turn pages) is read again by
    this one: a page OCR read surely then is kept as it was, with its word boxes, not OCR'd
    again; the pages it read unsurely are OCR'd again."""
    from archive.read import extract
    d, sha, _ = turned
    d.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    copy = DataDir(shutil.copytree(d.root, tmp_path / "data"))
    before = {r["page"]: (r["text"], r["reader"]) for r in copy.db.execute("SELECT * FROM pages WHERE sha256 = ?", (sha,))}
    boxes = stored.ocr_words(copy, sha, FED)
    # what version 4 stored: the same reading of the upright page; the turned pages read
    # as they were fed (nonsense, unsure)
    with copy.db:
        copy.db.execute("UPDATE extractions SET extractor_version = 4")
        copy.db.execute("UPDATE pages SET extractor_version = 4")
        copy.db.execute("UPDATE pages SET ocr_confidence = 37.0, reader = ?, text = 'nonsense', ocr_text = 'nonsense'"
                        " WHERE page IN (?, ?)", (ocr.reader_name(ocr.DEFAULT_DPI), *[n for n, f in FED.items() if f in (90, 180)]))
    assert extract.SAME_SURE_OCR == (4,)
    summary = extract_all(copy, workers=2)
    assert summary["ok"] == 1 and summary["ocr_pages"] == len(FED), summary
    assert summary["ocr_pages_kept"] == len(FED) - 2
    after = {r["page"]: (r["text"], r["reader"]) for r in copy.db.execute("SELECT * FROM pages WHERE sha256 = ?", (sha,))}
    assert after == before
    assert stored.ocr_words(copy, sha, FED) == boxes
    copy.close()


def test_a_new_version_keeps_every_reading_of_a_version_that_read_alike(turned, tmp_path):
    """An archive read by extractor version 5 (whose OCR this one's is, page for page) is
    read again by this one: every OCR'd page is kept as it was, the pages read turned
    upright too, with their word boxes; nothing is OCR'd again."""
    from archive.read import extract
    d, sha, _ = turned
    d.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    copy = DataDir(shutil.copytree(d.root, tmp_path / "data"))
    before = {r["page"]: (r["text"], r["reader"]) for r in copy.db.execute("SELECT * FROM pages WHERE sha256 = ?", (sha,))}
    boxes = stored.ocr_words(copy, sha, FED)
    assert {ocr.turned_by(reader) for _, reader in before.values()} >= {90, 180}
    with copy.db:
        copy.db.execute("UPDATE extractions SET extractor_version = 5")
        copy.db.execute("UPDATE pages SET extractor_version = 5")
    assert extract.SAME_OCR == (5,)
    summary = extract_all(copy, workers=2)
    assert summary["ok"] == 1 and summary["ocr_pages_kept"] == len(FED), summary
    after = {r["page"]: (r["text"], r["reader"]) for r in copy.db.execute("SELECT * FROM pages WHERE sha256 = ?", (sha,))}
    assert after == before
    assert stored.ocr_words(copy, sha, FED) == boxes
    copy.close()


def test_a_block_of_a_page_read_turned_is_read_turned_upright_too(turned, fixture_corpus):
    """The signature block's second reading (archive.read.blocks) of a page read turned:
    turned as the page reading was, it reads as the same block of the page printed
    upright."""
    from archive.read import blocks
    d, sha, pdf_path = turned
    n = next(n for n, fed in FED.items() if fed == 180)
    upright = blocks.read_block(fixture_corpus / "pdfs" / SOURCE, n, 0.6, dpi=300).text
    again = blocks.read_block(pdf_path, n, 0.6, turn=stored.turned(d, sha, n), dpi=300).text
    assert len(upright) > 200
    assert SequenceMatcher(None, upright, again, autojunk=False).ratio() >= 0.9


def test_a_turned_page_is_read_within_the_pages_timeout(turned):
    """Finding a page turned and reading it upright is done within the page's one timeout:
    given a little more time than its first reading takes, the page gives that reading
    (unsure, not turned) in that time, not the three readings' worth of time it would
    take with a timeout for each; or, when even the first reading ran out, a timeout."""
    import time
    d, sha, pdf_path = turned
    n = next(n for n, fed in FED.items() if fed == 180)
    with open_pdf(pdf_path) as pdf:
        image = pdf.render(n - 1, ocr.DEFAULT_DPI)
    t0 = time.monotonic()
    assert ocr.read_upright(image)[3] == 180          # given the time, it is read upright
    whole = time.monotonic() - t0
    t0 = time.monotonic()
    first = ocr.read_image(image)
    alone = time.monotonic() - t0
    assert whole > 1.6 * alone, (whole, alone)         # the check and second reading cost
    limit = 1.3 * alone
    t0 = time.monotonic()
    try:
        text, confidence, _, turn = ocr.read_upright(image, timeout=limit)
    except RuntimeError as e:                          # the first reading ran out
        assert "timeout" in str(e).lower()
    else:
        assert (text, confidence, turn) == (first[0], first[1], 0)
    assert time.monotonic() - t0 <= limit + 2.0
