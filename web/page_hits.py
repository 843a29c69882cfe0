"""Search hits marked on the page images: where the highlighted words sit on a page,
as boxes in fractions of the page (left, top, width, height), found by pdfium in the
PDF's own text layer (:func:`hit_boxes`; serialised with page rendering: pdfium is not
thread-safe), or for pages read by OCR from the word boxes tesseract gave when it read
them (:func:`ocr_hit_boxes`, stored by the read stage)."""
from __future__ import annotations

from archive.core.errors import DocumentError
from archive.read.ocr import BOX_UNITS
from archive.read.stored import ocr_words
from store.datadir import DataDir
from web.page_images import _render_lock

Box = tuple[float, float, float, float]


def hit_boxes(datadir: DataDir, sha: str, needles: dict[int, list[str]]) -> dict[int, list[Box]]:
    """page -> boxes of each of its needles (the marked texts, in page order), for the
    pages given. A needle pdfium cannot find on its page (a phrase broken over two
    lines, a text layer that differs from the stored text) gets no box."""
    needles = {p: [" ".join(n.split()) for n in ns if n.strip()] for p, ns in needles.items()}
    needles = {p: ns for p, ns in needles.items() if ns}
    if not needles:
        return {}
    import pypdfium2 as pdfium

    out: dict[int, list[Box]] = {}
    with _render_lock:
        try:
            pdf = pdfium.PdfDocument(str(datadir.blobs.path(sha)), password="")
        except pdfium.PdfiumError as e:
            raise DocumentError(sha, f"could not be opened to mark hits: {e}") from e
        try:
            for page_no, texts in needles.items():
                if not 1 <= page_no <= len(pdf):
                    continue
                page = pdf[page_no - 1]
                if page.get_rotation():
                    continue
                width, height = page.get_size()
                textpage = page.get_textpage()
                boxes: list[Box] = []
                for text in dict.fromkeys(texts):
                    searcher = textpage.search(text, match_case=False, match_whole_word=True)
                    while (found := searcher.get_next()) is not None:
                        index, count = found
                        rects = [textpage.get_rect(i) for i in range(textpage.count_rects(index, count))]
                        boxes.extend((left / width, 1 - top / height, (right - left) / width,
                                      (top - bottom) / height) for left, bottom, right, top in rects)
                out[page_no] = sorted(boxes, key=lambda b: (round(b[1], 3), b[0]))
        finally:
            pdf.close()
    return out


def ocr_hit_boxes(datadir: DataDir, sha: str, spans: dict[int, tuple[str, list[tuple[int, int]]]]
                  ) -> dict[int, list[Box]]:
    """page -> boxes of the marked stretches of OCR'd pages: *spans* gives each page's text
    (the OCR text, which its stored words spell in order) and the ``[start, end)`` stretches
    marked in it. A stretch gets one box per line it runs over, around its words."""
    stored = ocr_words(datadir, sha, [p for p, (_, marked) in spans.items() if marked])
    out: dict[int, list[Box]] = {}
    for page_no, words in stored.items():
        text, marked = spans[page_no]
        placed = _place(text, words)
        boxes: list[Box] = []
        for a, b in marked:
            lines: dict[int, list[int]] = {}
            for start, end, left, top, width, height, line in placed:
                if start < b and end > a:
                    box = lines.setdefault(line, [left, top, left + width, top + height])
                    box[:] = [min(box[0], left), min(box[1], top), max(box[2], left + width),
                              max(box[3], top + height)]
            boxes.extend((x0 / BOX_UNITS, y0 / BOX_UNITS, (x1 - x0) / BOX_UNITS, (y1 - y0) / BOX_UNITS)
                         for x0, y0, x1, y1 in lines.values())
        out[page_no] = sorted(boxes, key=lambda b: (round(b[1], 3), b[0]))
    return out


def _place(text: str, words: list[tuple]) -> list[tuple]:
    """Each stored word with where it is in *text*: (start, end, left, top, width, height,
    line). Words are looked for in order; one the text does not have (a page whose text
    was read again differently) is left out."""
    out, pos = [], 0
    for word, *box in words:
        at = text.find(word, pos)
        if at < 0:
            continue
        out.append((at, at + len(word), *box))
        pos = at + len(word)
    return out
