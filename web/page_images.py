"""Page images: rendered once with pypdfium2, then served from the disk cache.

Cache: ``DATA_DIR/cache/pages/<sha[:2]>/<sha>/<page>-<width>.png`` (derived data, safe
to delete). Rendering is serialised: pdfium is not thread-safe. A page whose image would
be over the pixel budget (archive.read.pdf.MAX_PAGE_PIXELS, MOA_MAX_PAGE_PIXELS) is
refused before rendering, from its size alone.
"""
from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

from archive.core.errors import DocumentError
from archive.read.pdf import check_pixels
from store.datadir import DataDir

WIDTH = 1000  # pixels; sharp enough to read a signature page, ~150 KB a page
_render_lock = threading.Lock()


def cached_path(datadir: DataDir, sha: str, page: int, width: int = WIDTH) -> Path:
    return datadir.cache_dir / "pages" / sha[:2] / sha / f"{page}-{width}.png"


def page_image(datadir: DataDir, sha: str, page: int, width: int = WIDTH) -> Path:
    """Path of the PNG of *page* (1-based) of stored file *sha*, rendering it if needed.
    *sha* must already be known to the database (the caller checks)."""
    target = cached_path(datadir, sha, page, width)
    if target.is_file():
        return target
    import pypdfium2 as pdfium

    with _render_lock:
        if target.is_file():  # another thread rendered it while we waited
            return target
        source = datadir.blobs.path(sha)
        try:
            pdf = pdfium.PdfDocument(str(source), password="")
            try:
                if not 1 <= page <= len(pdf):
                    raise DocumentError(source.name, f"has no page {page}")
                w, h = pdf.get_page_size(page - 1)
                check_pixels(source.name, page - 1, w, h, width / w if w else 0.0)
                p = pdf[page - 1]
                image = p.render(scale=width / p.get_width(), grayscale=True).to_pil()
            finally:
                pdf.close()
        except pdfium.PdfiumError as e:
            raise DocumentError(source.name, f"page {page} could not be rendered: {e}") from e
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".png", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                image.convert("L" if image.mode in ("L", "LA") else "RGB").save(f, "PNG", optimize=False)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return target
