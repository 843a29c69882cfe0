"""Opening a PDF, each library where it is strong.

pypdf: encryption (an empty user password, AES via ``cryptography``), metadata and
AcroForm field values (which live in widget appearances, not in the page text),
including signed signature fields: who signed and when, as the signature dictionary
and its certificate say (:func:`signed_value`).
pypdfium2: page text (C speed; pypdf takes seconds on pages with heavy vector drawing)
and rendering pages for OCR.

Whatever is wrong with a file (empty, an HTML page, truncated, corrupt, a password we do
not have) is raised as a DocumentError naming the file, so it fails that document only.
"""
from __future__ import annotations

import ctypes
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pypdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw
from pypdf.errors import DependencyError, PdfReadError

from archive.core.errors import DocumentError, EncryptedPdfError

REFETCH = "fetch it again (or re-import a good copy)"
# Pixels one rendered page may have (OCR in extract, page images in the web). A US
# letter page at 300 dpi is 8.4 million, tabloid 17 million.
MAX_PAGE_PIXELS = int(os.environ.get("MOA_MAX_PAGE_PIXELS", 60_000_000))
METADATA_KEYS = {"/Producer": "producer", "/Creator": "creator", "/CreationDate": "created",
                 "/ModDate": "modified", "/Title": "title", "/Author": "author"}


@dataclass(frozen=True)
class FormField:
    name: str           # fully qualified
    value: str          # a signature field's: signed_value()
    page: int | None    # 1-based page of its widget, when known


# A signed signature field's value as stored, as a signature's appearance prints it:
# "Digitally signed by CALEB VITELLO (ICE, Department of Homeland Security, U.S.
# Government) Date: 2025.02.14 08:23:40 -05'00'" (the organisation from the signer's
# certificate, when it names one).
SIGNED_BY = "Digitally signed by"


@dataclass(frozen=True)
class PageText:
    text: str               # as pdfium reads it, "\n" line ends
    shifted_traces: bool    # pdfium saw characters with no text (code 3: a shifted space)
    image_share: float = 0.0   # of the page's area, covered by image objects (capped at 1)
    text_share: float = 0.0    # of the page's area, covered by the text's character boxes


class Pdf:
    """An open PDF. Use as a context manager, or call close()."""

    def __init__(self, data: bytes, name: str):
        self.name = name
        _check_bytes(data, name)
        try:
            reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
            self.encrypted = bool(reader.is_encrypted)
            if self.encrypted and not reader.decrypt(""):
                raise EncryptedPdfError(name, "encrypted with a password; only PDFs that open "
                                        "with an empty password can be read — ask ICE for an "
                                        "unprotected copy")
            self.metadata = _metadata(reader)
            self.form_fields = _form_fields(reader)
        except DocumentError:
            raise
        except DependencyError as e:
            raise DocumentError(name, f"AES-encrypted; reading it needs the 'cryptography' package "
                                f"(pip install cryptography): {e}") from e
        except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError,
                RecursionError) as e:
            raise DocumentError(name, f"corrupt PDF ({type(e).__name__}: {e}); {REFETCH}") from e
        try:
            self._doc = pdfium.PdfDocument(data, password="" if self.encrypted else None)
        except pdfium.PdfiumError as e:
            raise DocumentError(name, f"corrupt PDF (pdfium: {e}); {REFETCH}") from e
        self.page_count = len(self._doc)

    def page_text(self, index: int) -> PageText:
        """The text layer of page *index* (0-based), and how much of the page its text and
        its images cover (from the page's objects: nothing is rendered or decoded)."""
        page = self._doc[index]
        textpage = page.get_textpage()
        try:
            image_share, text_share = _cover(page, textpage)
            text, traces = _chars(textpage)
        finally:
            textpage.close()
            page.close()
        return PageText(text.replace("\r\n", "\n").replace("\x00", ""), traces, image_share, text_share)

    def line_top(self, index: int, pattern: re.Pattern) -> float | None:
        """How far down page *index* (0-based; 0 top, 1 bottom) the last text-layer line
        matching *pattern* begins (the top of its first character); None when none does,
        or the page is rotated (its text's coordinates are not the rendering's)."""
        page = self._doc[index]
        textpage = page.get_textpage()
        try:
            if page.get_rotation() % 360:
                return None
            height = page.get_height() or 1.0
            text, _ = _chars(textpage)
            starts = [m.start() for m in re.finditer(r"[^\n]+", text) if pattern.search(m.group(0))]
            if not starts:
                return None
            _left, _bottom, _right, top = textpage.get_charbox(starts[-1])
            return min(1.0, max(0.0, 1.0 - top / height))
        finally:
            textpage.close()
            page.close()

    def page_size(self, index: int) -> tuple[float, float]:
        """Width and height of page *index* (0-based) in points."""
        return self._doc.get_page_size(index)

    def is_empty(self, index: int) -> bool:
        """Page *index* draws nothing at all (no page objects)."""
        page = self._doc[index]
        try:
            return pdfium_raw.FPDFPage_CountObjects(page.raw) == 0
        finally:
            page.close()

    def render(self, index: int, dpi: int, grey: bool = True, max_pixels: int | None = None):
        """Page *index* (0-based) as a PIL image at *dpi*; a page that would come out
        over *max_pixels* (default MAX_PAGE_PIXELS) raises DocumentError instead."""
        check_pixels(self.name, index, *self.page_size(index), dpi / 72, max_pixels)
        page = self._doc[index]
        try:
            bitmap = page.render(scale=dpi / 72, grayscale=grey)
            return bitmap.to_pil()
        finally:
            page.close()

    def close(self) -> None:
        doc = getattr(self, "_doc", None)
        if doc is not None:
            doc.close()
            self._doc = None

    def __enter__(self) -> "Pdf":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _chars(textpage: pdfium.PdfTextPage) -> tuple[str, bool]:
    """The page's text, one character per pdfium character index, and whether pdfium's
    own text had dropped some: characters that map to code 3 (a font without ToUnicode:
    a space shifted by 29), kept here, read code by code, as word breaks."""
    text = textpage.get_text_range()
    n = textpage.count_chars()
    if len(text) == n:
        return text, False
    return "".join(chr(pdfium_raw.FPDFText_GetUnicode(textpage, k)) for k in range(n)), True


def open_pdf(source: bytes | Path | str, name: str | None = None) -> Pdf:
    """Open a PDF from its bytes or a path; *name* is used in error messages."""
    if isinstance(source, (bytes, bytearray)):
        return Pdf(bytes(source), name or "<bytes>")
    path = Path(source)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise DocumentError(name or str(path), f"cannot read the file: {e.strerror}") from e
    return Pdf(data, name or str(path))


def count_pages(path: Path | str) -> int:
    """Pages of the PDF at *path* by pdfium's cross-reference table alone (cheap: no page
    is loaded), for progress before the reading; 0 when it does not open, or is not a
    regular file (a pipe is read once, by the reader)."""
    try:
        if not Path(path).is_file():
            return 0
        for password in (None, ""):
            try:
                doc = pdfium.PdfDocument(str(path), password=password)
            except pdfium.PdfiumError:
                continue
            try:
                return len(doc)
            finally:
                doc.close()
    except OSError:
        pass
    return 0


def _cover(page: pdfium.PdfPage, textpage: pdfium.PdfTextPage) -> tuple[float, float]:
    """Shares of *page*'s area covered by its images and by its text's character boxes
    (pdfium's text rectangles), each capped at 1. Images inside Form XObjects count;
    overlapping images count once each (a scan is one page-sized image)."""
    width, height = page.get_size()
    area = width * height or 1.0
    images = sum(_clipped_area(bounds, width, height) for bounds in _image_bounds(page.raw))
    text = sum(_clipped_area(textpage.get_rect(k), width, height) for k in range(textpage.count_rects()))
    return min(1.0, images / area), min(1.0, text / area)


def _image_bounds(parent, form: bool = False, depth: int = 0):
    """(left, bottom, right, top) of every image object of a page (or, with *form*, of a
    Form XObject), Form XObjects entered up to three deep. Raw pdfium calls: a page of
    vector drawing has thousands of objects, and only images are looked at."""
    count, get = ((pdfium_raw.FPDFFormObj_CountObjects, pdfium_raw.FPDFFormObj_GetObject) if form
                  else (pdfium_raw.FPDFPage_CountObjects, pdfium_raw.FPDFPage_GetObject))
    box = [ctypes.c_float() for _ in range(4)]
    for k in range(max(0, count(parent))):
        obj = get(parent, k)
        kind = pdfium_raw.FPDFPageObj_GetType(obj)
        if kind == pdfium_raw.FPDF_PAGEOBJ_IMAGE and pdfium_raw.FPDFPageObj_GetBounds(obj, *box):
            yield tuple(b.value for b in box)
        elif kind == pdfium_raw.FPDF_PAGEOBJ_FORM and depth < 3:
            yield from _image_bounds(obj, True, depth + 1)


def _clipped_area(bounds: tuple[float, float, float, float], width: float, height: float) -> float:
    left, bottom, right, top = bounds
    left, right = sorted((left, right))
    bottom, top = sorted((bottom, top))
    return max(0.0, min(right, width) - max(left, 0.0)) * max(0.0, min(top, height) - max(bottom, 0.0))


def check_pixels(name: str, index: int, width: float, height: float, scale: float,
                 max_pixels: int | None = None) -> None:
    """Raise DocumentError when page *index* (0-based; *width* × *height* points) rendered
    at *scale* pixels per point would be over the pixel budget."""
    limit = max_pixels or MAX_PAGE_PIXELS
    pixels = width * scale * height * scale
    if pixels > limit:
        raise DocumentError(name, f"page {index + 1} is {width:.0f} × {height:.0f} pt: rendering it at "
                            f"{scale * 72:.0f} dpi would take {pixels / 1e6:,.0f} million pixels, over the "
                            f"budget of {limit / 1e6:,.0f} million (MOA_MAX_PAGE_PIXELS)")


_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF")
_OBJECT = re.compile(rb"\d+\s+\d+\s+obj\b")


def _check_bytes(data: bytes, name: str) -> None:
    """Reject what is plainly not a whole PDF, with a reason a person can act on."""
    if not data:
        raise DocumentError(name, f"empty file (0 bytes); {REFETCH}")
    head = data[:1024]
    if b"%PDF-" not in head:
        if head.lstrip()[:15].lower().startswith((b"<!doctype", b"<html")) or b"<html" in head.lower():
            raise DocumentError(name, "an HTML page saved as .pdf, not a PDF (the server sent a web "
                                f"page instead of the document); {REFETCH}")
        raise DocumentError(name, f"not a PDF (no %PDF- signature; starts {data[:8]!r}); {REFETCH}")
    # A whole PDF ends with "startxref <offset> %%EOF" (padding or NUL bytes may follow).
    # No such end, or PDF objects after the last one (an update or a linearized file's
    # body cut off), is a file cut short; no object at all is not a PDF body.
    last = data.rfind(b"startxref")
    found = _STARTXREF.match(data, last) if last >= 0 else None
    if found is None and not _OBJECT.search(data):
        raise DocumentError(name, f"corrupt PDF: a %PDF- header but no PDF objects in its "
                            f"{len(data)} bytes (random or damaged data); {REFETCH}")
    if found is None or int(found.group(1)) >= len(data) or _OBJECT.search(data, found.end()):
        raise DocumentError(name, f"truncated PDF: {len(data)} bytes and no cross-reference "
                            f"pointer (startxref … %%EOF) after its last object (the download "
                            f"was cut short); {REFETCH}")


def _metadata(reader: pypdf.PdfReader) -> dict:
    info = reader.metadata or {}
    out = {}
    for key, label in METADATA_KEYS.items():
        value = info.get(key)
        if value is not None and str(value).strip():
            out[label] = str(value).strip()
    return out


def _form_fields(reader: pypdf.PdfReader) -> list[FormField]:
    """Filled text and choice fields, and signed signature fields (:func:`signed_value`;
    buttons carry no text to search)."""
    if "/AcroForm" not in reader.trailer["/Root"]:
        return []
    filled = {}
    for name, field in (reader.get_fields() or {}).items():
        if field.get("/FT") == "/Sig":
            if value := signed_value(field.get("/V")):
                filled[name] = value
            continue
        if field.get("/FT") not in ("/Tx", "/Ch"):
            continue
        value = field.get("/V")
        if isinstance(value, list):
            value = "; ".join(str(v) for v in value)
        value = str(value).strip() if value is not None else ""
        if value:
            filled[name] = value
    if not filled:
        return []          # most forms are blank: skip the walk over every page's widgets
    pages = _widget_pages(reader)
    return [FormField(name, value, pages.get(name)) for name, value in filled.items()]


def signed_value(signature) -> str:
    """A signature field's value (its signature dictionary, PDF 32000 12.8.1) as the
    signature's appearance prints it (SIGNED_BY): the signer's name (/Name, else the
    certificate's common name), the organisation the signer's certificate names, and
    the signing time (/M) as Adobe shows it. "" for an unsigned field, or one that names
    neither who nor when. A certificate that cannot be read leaves the organisation out."""
    try:
        sig = signature.get_object() if signature is not None else None
        if not hasattr(sig, "get"):
            return ""
        name = str(sig.get("/Name") or "").strip()
        m = re.match(r"D:(\d{4})(\d{2})(\d{2})(\d{2})?(\d{2})?(\d{2})?([-+Z].*)?", str(sig.get("/M") or ""))
    except (PdfReadError, ValueError, TypeError, AttributeError):
        return ""
    try:
        signer = _signer(sig.get("/Contents"), name)
    except (TypeError, ValueError, AttributeError):
        signer = None
    name = name or (signer[0] if signer else "")
    if not (name and m):
        return ""
    when = ".".join(m.groups()[:3]) + (" " + ":".join(g or "00" for g in m.groups()[3:6]) if m.group(4) else "")
    zone = (m.group(7) or "").strip()
    org = f" ({signer[1]})" if signer and signer[1] else ""
    return f"{SIGNED_BY} {name}{org} Date: {when}{' ' + zone if zone and zone != 'Z' else ''}"


def _signer(contents, name: str) -> tuple[str, str] | None:
    """The common name and organisation (its OUs and O, "People" aside) of the
    certificate in a signature's PKCS #7 *contents* that signed it: the one whose common
    name is *name*, else the one certificate that is no authority's."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import pkcs7
    from cryptography.x509.oid import NameOID
    # (pypdf gives a string of bytes that decode as text as text: its bytes as written)
    data = contents.original_bytes if hasattr(contents, "original_bytes") else bytes(contents or b"")
    if len(data) < 4 or data[0] != 0x30:
        return None
    # the DER structure's own length: the field is padded with zeros to its reserved size
    size = data[1] + 2 if data[1] < 0x80 else 2 + (data[1] & 0x7F) + int.from_bytes(data[2:2 + (data[1] & 0x7F)], "big")
    try:
        certs = pkcs7.load_der_pkcs7_certificates(data[:size])
    except (ValueError, TypeError):
        return None

    def common(cert):
        return " ".join(a.value for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME))

    def is_authority(cert):
        try:
            return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        except x509.ExtensionNotFound:
            return False
    named = [c for c in certs if name and common(c).upper().startswith(name.upper())]
    people = [c for c in certs if not is_authority(c) and common(c)]
    cert = (named or (people if len(people) == 1 else [None]))[0]
    if cert is None:
        return None
    units = [a.value for a in cert.subject
             if a.oid in (NameOID.ORGANIZATIONAL_UNIT_NAME, NameOID.ORGANIZATION_NAME) and a.value != "People"]
    return common(cert), ", ".join(reversed(units))      # (the subject lists the country first)


def _widget_pages(reader: pypdf.PdfReader) -> dict[str, int]:
    """Fully qualified field name → 1-based page of its first widget."""
    pages: dict[str, int] = {}
    for number, page in enumerate(reader.pages, start=1):
        for annot in page.get("/Annots") or []:
            node = annot.get_object()
            if node.get("/Subtype") != "/Widget":
                continue
            parts = []
            while node is not None:
                if "/T" in node:
                    parts.append(str(node["/T"]))
                parent = node.get("/Parent")
                node = parent.get_object() if parent is not None else None
            if parts:
                pages.setdefault(".".join(reversed(parts)), number)
    return pages
