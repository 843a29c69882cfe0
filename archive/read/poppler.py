"""The one wrapper around poppler's ``pdftotext`` (Debian ``poppler-utils``): a second
reading of a document's text layer, for word spacing (archive.read.spacing).

Like tesseract (archive.read.ocr), pdftotext is checked before any page is read:
missing, or not able to read a one-word PDF, the run stops (ToolMissing) with what to
install. Once checked, a file pdftotext fails on (or times out on, or reads with another
page count) is read with pdfium's spacing alone: that document only.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from archive.core.errors import ToolMissing

PDFTOTEXT = "pdftotext"
TIMEOUT = 120.0               # seconds per document
INSTALL = ("install it with `apt-get install poppler-utils` "
           "(or run ./go, which installs what is missing)")
_PROBE_WORD = "Memorandum"


def check_pdftotext() -> str:
    """Make sure pdftotext runs and reads text before any page is read; return its
    version line. Raises ToolMissing (the run stops) with what to install."""
    exe = shutil.which(PDFTOTEXT)
    if exe is None:
        raise ToolMissing(f"pdftotext (poppler, read for word spacing) was not found on PATH; {INSTALL}")
    try:
        out = subprocess.run([exe, "-v"], capture_output=True, timeout=30, check=False)
        version = (out.stderr or out.stdout).decode("utf-8", "replace").strip().splitlines()
        version = version[0] if version else "pdftotext"
        with tempfile.TemporaryDirectory(prefix="moa-pdftotext-") as tmp:
            probe = Path(tmp) / "probe.pdf"
            probe.write_bytes(_one_word_pdf(_PROBE_WORD))
            read = subprocess.run([exe, "-q", "-enc", "UTF-8", str(probe), "-"], capture_output=True,
                                  timeout=60, check=False)
    except (OSError, subprocess.SubprocessError) as e:
        raise ToolMissing(f"pdftotext does not run ({type(e).__name__}: {e}); {INSTALL}") from e
    if read.returncode != 0 or _PROBE_WORD not in read.stdout.decode("utf-8", "replace"):
        said = read.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ToolMissing(f"pdftotext fails to read a PDF (exit status {read.returncode}"
                          f"{': ' + said[-1] if said else ''}); {INSTALL}")
    return version


def pages(path: Path | str, page_count: int, first: int = 1, last: int | None = None,
          timeout: float = TIMEOUT) -> list[str] | None:
    """Every page's text as pdftotext reads it, from one pdftotext process for the whole
    document; only pages *first* to *last* (1-based) are read, the others come back
    empty. None when it fails on this file, or disagrees about the number of pages (seen
    when the range runs to the end)."""
    exe = shutil.which(PDFTOTEXT)
    if exe is None:
        return None
    last = page_count if last is None else last
    # to the end: one page more is asked for, so that a document pdftotext sees as longer
    # shows (it stops at its last page)
    upto = last + 1 if last == page_count else last
    try:
        out = subprocess.run([exe, "-q", "-enc", "UTF-8", "-f", str(first), "-l", str(upto), str(path), "-"],
                             capture_output=True, timeout=timeout, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    texts = out.stdout.decode("utf-8", "replace").split("\f")
    if texts and not texts[-1].strip():
        texts = texts[:-1]
    if len(texts) != last - first + 1:
        return None
    return [""] * (first - 1) + texts + [""] * (page_count - last)


def _one_word_pdf(word: str) -> bytes:
    """A one-page PDF showing *word* in Helvetica, with a correct cross-reference table."""
    stream = f"BT /F1 24 Tf 72 700 Td ({word}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
               b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
               b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream)]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for k, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (k, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
