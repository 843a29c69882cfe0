"""Search hits marked on the page images: where the highlighted words sit on a page,
as boxes in fractions of the page (left, top, width, height), found by pdfium in the
PDF's own text layer. Pages read by OCR get none (their word boxes are not kept).
Serialised with page rendering: pdfium is not thread-safe."""
from __future__ import annotations

from archive.core.errors import DocumentError
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
