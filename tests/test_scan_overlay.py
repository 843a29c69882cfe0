"""A scanned page carrying a few typed words (issues 14, 15): ICE types its date and name
onto the agency's scanned signature page, and that short typed layer is a good text layer
of a page that is mostly a scan nobody read. Such a page is OCR'd and read as ``both``;
born-digital pages with a signature image, a seal or a logo keep their text layer."""
from __future__ import annotations

import io
import re

import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageDraw

from archive.read import textquality
from archive.read.extract import BOTH, OCR, TEXT, read_pdf
from archive.read.pdf import open_pdf
from signature_pages import GOLDEN


def page_texts(folder):
    """(file, page number, page text with its cover) of every page of the PDFs in *folder*."""
    for path in sorted(folder.glob("*.pdf")):
        with open_pdf(path) as pdf:
            yield from ((path.name, i + 1, pdf.page_text(i)) for i in range(pdf.page_count))


def one_page_pdf(source, index: int, target) -> None:
    """Page *index* (0-based) of the PDF at *source* alone in a new PDF at *target*."""
    src, new = pdfium.PdfDocument(str(source)), pdfium.PdfDocument.new()
    try:
        new.import_pages(src, [index])
        new.save(str(target))
    finally:
        new.close()
        src.close()


@pytest.mark.corpus
def test_only_page_size_scans_with_little_text_change(shared_corpus):
    """Of every usable text-layer page of the corpus, those now read as scans with typed
    words are all page-size images with a text layer of a few lines; every page with a
    smaller image (a signature pasted in, a seal) keeps its layer; and the agreements whose
    signature page is a scan with ICE's typed values are among them."""
    changed, with_images, total = [], 0, 0
    for name, number, layer in page_texts(shared_corpus / "pdfs"):
        judged = textquality.judge(layer.text, shifted_traces=layer.shifted_traces)
        if not judged.usable:
            continue
        total += 1
        with_images += 0 < layer.image_share < textquality.IMAGE_PAGE_SHARE
        after = textquality.overlay_on_scan(judged, layer.image_share, layer.text_share)
        if after.quality != judged.quality:
            assert after.quality == textquality.SCAN_WITH_OVERLAY and after.text == judged.text
            assert layer.image_share > 0.9 and len("".join(judged.text.split())) < 400, (name, number)
            changed.append((name, number))
    assert total > 350 and with_images >= 5          # born-digital pages with images stay
    assert len(changed) < 0.1 * total, changed
    typed_onto_scans = [f for f, (page, *_) in GOLDEN.items() if (f, page) in changed]
    assert len(typed_onto_scans) >= 10, changed


def _with_image(source, index: int, box: tuple[float, float, float, float], target) -> None:
    """Page *index* of *source* alone in a PDF at *target*, with a grey drawing (a seal,
    a letterhead) placed at *box* (left, bottom, width, height in points) over its text."""
    src, new = pdfium.PdfDocument(str(source)), pdfium.PdfDocument.new()
    try:
        new.import_pages(src, [index])
        page = new[0]
        left, bottom, width, height = box
        picture = Image.new("RGB", (max(8, int(width)), max(8, int(height))), "white")
        ImageDraw.Draw(picture).ellipse((2, 2, picture.width - 3, picture.height - 3),
                                        outline="navy", width=3, fill=(220, 225, 240))
        data = io.BytesIO()
        picture.save(data, "JPEG")
        image = pdfium.PdfImage.new(new)
        image.load_jpeg(io.BytesIO(data.getvalue()), inline=True)
        image.set_matrix(pdfium.PdfMatrix().scale(width, height).translate(left, bottom))
        page.insert_obj(image)
        page.gen_content()
        new.save(str(target))
        page.close()
    finally:
        new.close()
        src.close()


@pytest.mark.corpus
@pytest.mark.parametrize("box", [(250, 620, 110, 110),     # a seal on the first page
                                 (0, 692, 612, 100),        # a letterhead band
                                 (0, 0, 612, 792)])         # a page-size background
def test_born_digital_pages_with_a_seal_or_logo_stay_text(shared_corpus, tmp_path, box):
    """A real born-digital page (its text layer the page) with an image added: a seal, a
    band of letterhead, even an image behind the whole page. Its text covers much of the
    page, so it is still read from its layer, OCR never run."""
    source = shared_corpus / "pdfs" / "TexasOfficeAttorneyGeneral_TFM_MOA_01.30.25.pdf"
    target = tmp_path / "with-image.pdf"
    _with_image(source, 0, box, target)
    with open_pdf(target) as pdf:
        layer = pdf.page_text(0)
    assert layer.image_share > 0.02
    doc = read_pdf(target, workers=1)
    assert doc.status == "ok"
    [page] = doc.pages
    assert (page.method, page.text_layer_quality, page.ocr_status) == (TEXT, textquality.GOOD, None)


def _surname(golden_name) -> str:
    name = golden_name if isinstance(golden_name, str) else next(n for n in golden_name if n)
    return re.findall(r"[A-Za-z]{3,}", name)[-1]


@pytest.mark.corpus
@pytest.mark.parametrize("file_name", ["BlaineCo_WSO_MOA_02.18.2025.pdf",
                                       "SanibelPDFL_TFM_MOA_032625.pdf",
                                       "JacksonCountySOMN_JEM_MOA_030625.pdf"])
def test_a_scanned_signature_page_with_typed_values_is_ocrd_as_both(shared_corpus, tmp_path, file_name):
    """The real signature page alone, read by the real reader (tesseract): OCR'd, its
    text holding the agency's signatory (read by eye, tests/signature_pages.py), which
    the typed layer does not have, and ICE's typed lines (the layer) kept."""
    page_number, _, ice_name, _, agency_name = GOLDEN[file_name]
    target = tmp_path / "signature-page.pdf"
    one_page_pdf(shared_corpus / "pdfs" / file_name, page_number - 1, target)
    doc = read_pdf(target, workers=1)
    [page] = doc.pages
    surname = _surname(agency_name)
    assert surname.lower() not in page.text_layer.lower()
    # both; ocr when OCR read every typed word too
    assert page.text_layer_quality == textquality.SCAN_WITH_OVERLAY and page.method in (BOTH, OCR)
    assert page.ocr_status == "ok" and page.reader.startswith("tesseract")
    assert surname.lower() in page.text.lower(), page.text
    assert _surname(ice_name).lower() in page.text.lower()
    for line in page.text_layer.splitlines():      # every typed word is still there
        for word in re.findall(r"[A-Za-z0-9]{2,}", line):
            assert word.lower() in page.text.lower(), word


def test_the_rule_needs_both_a_page_size_image_and_little_text():
    good = textquality.judge("Date: March 26, 2025\nTodd M. Lyons\nActing Director\n"
                             "U.S. Immigration & Customs Enforcement")
    assert good.quality == textquality.GOOD
    assert textquality.overlay_on_scan(good, 1.0, 0.01).quality == textquality.SCAN_WITH_OVERLAY
    assert textquality.overlay_on_scan(good, 0.03, 0.01) is good      # a seal: no scan
    assert textquality.overlay_on_scan(good, 1.0, 0.25) is good       # an OCR layer, a full page
    junk = textquality.judge("")
    assert textquality.overlay_on_scan(junk, 1.0, 0.0) is junk        # OCR'd anyway


def test_typed_lines_take_the_place_of_their_misreadings():
    """OCR of a real scanned signature page (Loudoun County, 2025) and the values ICE typed
    onto it: the typed line replaces OCR's near reading of it, where it stands, and the
    typed lines follow as they stand in the layer; a layer OCR read exactly changes
    nothing."""
    from archive.read.extract import _with_layer_lines
    ocr_text = "For ICE:\n\nDate: APF 2, 2025 _\nSignature:\n& ss\nTodd M. Lyon\nName\n" \
               "Title. Acting Director\nRevised 02/15/2025"
    layer = "April 2, 2025\nTodd M. Lyons\nActing Director\nU.S. Immigration & Customs"
    merged = _with_layer_lines(layer, ocr_text).split("\n")
    assert merged[2] == "Date: April 2, 2025 _" and merged[5] == "Todd M. Lyons"
    assert merged[7] == "Title. Acting Director"
    assert merged[-5:] == ["", *layer.split("\n")]         # the typed lines together after it
    assert _with_layer_lines("Acting Director", ocr_text) == ocr_text
