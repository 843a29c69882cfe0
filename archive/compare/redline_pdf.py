"""A redline as a PDF (fpdf2): per section two synchronised columns (first text | second
text), each real change a row of its own and numbered as on the site, in each text's own
words — deletions red and struck through, insertions green and underlined, fill-ins
(underlined) and OCR noise grey — under a heading citing the pages each text is on.

fpdf2 lays out single runs of text; the two columns of styled runs are cut into lines
here (:class:`_Pen`), so that both columns of a row advance together and a row may run
over a page break; a page a section's rows run on to starts with the section's heading
and the columns' names again. Text is set in Liberation Sans, or DejaVu Sans where a
character is not in it (see :data:`FONTS`), when the system has them, else in the PDF core
font Helvetica (Latin-1: other characters are given their nearest Latin-1 form)."""
from __future__ import annotations

import importlib.util
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Callable

from archive.compare.formatting import (change_rows, count_changes, section_citation, section_heading,
                                        side_runs)

FONT_DIRS = (Path("/usr/share/fonts/truetype/liberation"), Path("/usr/share/fonts/liberation"),
             Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"),
             Path("/usr/local/share/fonts"), Path("/Library/Fonts"))
# Fonts to set text in, the first that has every character of the redline: Liberation Sans
# (Arial's metrics) is read 7x faster than DejaVu Sans (2,600 glyphs to 6,000: 6 against 45 ms
# a document); DejaVu Sans has the most characters.
FONTS = (("Liberation", ("LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf")),
         ("DejaVu", ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")))
MARGIN = 12                 # mm
GUTTER = 5                  # mm between the columns
NUMBER = 7                  # mm left of the columns for a change's number
SIZE, LINE = 8.5, 4.0       # the columns' text: points, and mm per line
# kind of text -> (colour, fpdf2 style: B bold, S strike-through, U underline, points, mm per line)
STYLE = {None: ((0, 0, 0), "", SIZE, LINE), "delete": ((176, 0, 32), "S", SIZE, LINE),
         "insert": ((0, 107, 45), "U", SIZE, LINE), "fillin": ((138, 138, 138), "U", SIZE, LINE),
         "noise": ((138, 138, 138), "", SIZE, LINE),
         "head": ((0, 0, 0), "B", SIZE, LINE), "continued": ((90, 90, 90), "", SIZE, LINE),  # the columns' names
         "title": ((0, 0, 0), "B", 14, 7.0), "line": ((0, 0, 0), "", 9.5, 5.0),
         "section": ((0, 0, 0), "B", 10.5, 5.5), "cited": ((90, 90, 90), "", 8, 4.0)}
_SPACES = re.compile(r"(\s+)")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\ufffe\uffff]")


def pdf_available() -> bool:
    """Whether fpdf2 is installed (found, not imported: a redline page asks
    to offer the export, and importing it costs ~0.2 s, paid by the first export instead)."""
    return importlib.util.find_spec("fpdf") is not None


def redline_pdf(result: dict, *, title: str, lines: list[str], label_a: str, label_b: str) -> bytes:
    """A :func:`compare_pair` or :func:`deviation` result as a PDF (see the module
    docstring). Needs fpdf2."""
    pdf = _document()
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, MARGIN)
    font, clean = _font(pdf, _characters(result, title, *lines, label_a, label_b))
    pdf.set_title(clean(title))
    pdf.set_creator("moa-archive")
    pdf.add_page()
    pen = _Pen(pdf, font, clean)
    pen.paragraph(title, "title")
    for line in lines:
        pen.paragraph(line, "line")
    pdf.ln(1)
    pen.paragraph(f"{count_changes(result)} real changes, numbered. Red struck through: deleted; "
                  "green underlined: inserted; grey: fill-ins (underlined) and OCR noise, "
                  "each text's own words.", "line")
    width = (pdf.epw - NUMBER - GUTTER) / 2
    x_a = MARGIN + NUMBER
    x_b = x_a + width + GUTTER
    heads = [pen.lines([(label_a, "head")], width), pen.lines([(label_b, "head")], width)]
    change = 0

    def rule() -> None:
        pdf.set_draw_color(210, 210, 210)
        pdf.line(x_a, pdf.get_y() + 0.6, x_b + width, pdf.get_y() + 0.6)
        pdf.set_y(pdf.get_y() + 1.2)

    def columns(la: list, lb: list, number: int | None = None) -> None:
        """Lines of the two columns side by side (the first with *number* left of them),
        going on to the next page where this one ends, then a rule."""
        top = pdf.get_y()
        for k in range(max(len(la), len(lb))):
            if pdf.will_page_break(LINE):
                pdf.add_page()              # pdf.running_heads draws the column heads first
                pen.reset()                 # add_page set the font back as it was before it
                top = pdf.get_y()
            y = pdf.get_y()
            if k == 0 and number is not None:
                pen.draw([(str(number), "noise", pen.width(str(number), "noise"))], MARGIN, y)
            for col, x in ((la, x_a), (lb, x_b)):
                if k < len(col):
                    pen.draw(col[k], x, y)
            pdf.set_y(y + LINE)
        if pdf.get_y() > top:
            rule()
        else:
            pdf.set_y(pdf.get_y() + 1.2)

    def row(runs_a, runs_b, number: int | None = None) -> None:
        la, lb = pen.lines(runs_a, width), pen.lines(runs_b, width)
        if pdf.will_page_break(LINE * min(2, max(len(la), len(lb)))):
            pdf.add_page()
            pen.reset()
        columns(la, lb, number)

    for sec in result["sections"]:
        pdf.running_heads = None
        if pdf.will_page_break(20):
            pdf.add_page()
        pdf.ln(2)
        heading = section_heading(sec)
        pen.paragraph(heading, "section")
        cited = section_citation(sec, label_a, label_b)
        if cited:
            pen.paragraph(cited, "cited")
        columns(*heads)
        # A section's rows that run on to another page start it with its heading and the
        # columns' names again.
        pdf.running_heads = lambda heading=heading: (pen.paragraph(f"{heading} (continued)", "continued"),
                                                     columns(*heads))
        if sec.get("redline"):
            for ops in change_rows(sec["redline"]):
                material = bool(ops[0].get("material"))
                change += material
                row(side_runs(ops, "a"), side_runs(ops, "b"), change if material else None)
        else:                                   # a section one side has: all of it one change
            change += 1
            text = sec.get("text") or ""
            if sec["status"] in ("only_a", "missing"):
                row([(text, "delete")], [], change)
            else:
                row([], [(text, "insert")], change)
    pdf.running_heads = None
    return bytes(pdf.output())


def _document():
    """An fpdf2 document whose pages start with ``running_heads()`` when it is set (fpdf2
    calls ``header()`` on every page it adds, page breaks included).

    fpdf2's own table (``FPDF.table``, which repeats its heading rows on every page) does
    not fit a redline: its cells hold text in one colour and style, and a row must fit on
    one page, while a redline's cell holds runs of several kinds and an unchanged stretch
    of a section can be longer than a page."""
    from fpdf import FPDF

    class Redline(FPDF):
        running_heads: Callable[[], object] | None = None

        def header(self) -> None:
            if self.running_heads is not None:
                self.running_heads()

    return Redline(format="Letter")


def _font(pdf, characters: set[str]) -> tuple[str, Callable[[str], str]]:
    """The font family to set text in, and what makes a text printable in it: the first of
    :data:`FONTS` the system has that has a glyph for each of *characters* (else the last
    found: DejaVu Sans has the most), else the PDF core font Helvetica."""
    found = [(name, reg, bold) for name, files in FONTS for d in FONT_DIRS
             for reg, bold in [(d / files[0], d / files[1])] if reg.is_file() and bold.is_file()]
    chosen = next((f for f in found if characters <= _glyphs(str(f[1]))), found[-1] if found else None)
    if chosen:
        name, regular, bold = chosen
        pdf.add_font(name, "", str(regular))
        pdf.add_font(name, "B", str(bold))
        return name, lambda s: _CONTROL.sub(lambda m: "-" if m.group(0) == "\ufffe" else " ", s)

    def latin1(s: str) -> str:
        s = _CONTROL.sub(lambda m: "-" if m.group(0) == "\ufffe" else " ", s)
        s = s.translate({0x2018: "'", 0x2019: "'", 0x201c: '"', 0x201d: '"', 0x2013: "-", 0x2014: "-",
                         0x2026: "...", 0x00b7: "\u00b7"})
        return "".join(c if ord(c) < 256 else (unicodedata.normalize("NFKD", c).encode("latin-1", "ignore")
                                               .decode("latin-1") or "?") for c in s)
    return "helvetica", latin1


@lru_cache(maxsize=8)
def _glyphs(path: str) -> frozenset[str]:
    """The characters a font file has glyphs for (read once per process)."""
    from fontTools.ttLib import TTFont
    return frozenset(chr(c) for c in TTFont(path, lazy=True).getBestCmap())


def _characters(result: dict, *texts: str) -> set[str]:
    """Every character a PDF of *result* (and *texts*) prints, spaces and controls aside."""
    parts = list(texts)
    for sec in result["sections"]:
        parts += [section_heading(sec), sec.get("text") or ""]
        parts += [o[k] for o in sec.get("redline") or () for k in ("a", "b")]
        for side in ("a", "b", "baseline_source"):
            if isinstance(sec.get(side), dict):
                parts += [str(v) for v in sec[side].values() if isinstance(v, str)]
    return set("".join(parts)) - set(" \n\t\r\f\v") - set(_CONTROL.findall("".join(parts)))


class _Pen:
    """Sets text: cuts styled runs into lines (:meth:`lines`) and draws them (:meth:`draw`,
    :meth:`paragraph`). Widths are measured once per character, and the font is set only
    when the kind of text changes: fpdf2 spends ~0.1 ms in each ``get_string_width``,
    ``set_font`` and ``cell``, and a long redline has tens of thousands of words."""

    def __init__(self, pdf, font: str, clean: Callable[[str], str]):
        self.pdf, self.font, self.clean = pdf, font, clean
        self._widths: dict[tuple, float] = {}
        self._kind: object = ()                  # the kind the font is set for (none yet)

    def reset(self) -> None:
        """Forget which font is set (fpdf2 set another)."""
        self._kind = ()

    def style(self, kind: str | None) -> None:
        if kind != self._kind:
            colour, style, size, _ = STYLE[kind]
            self.pdf.set_font(self.font, style, size)
            self.pdf.set_text_color(*colour)
            self._kind = kind

    def width(self, piece: str, kind: str | None) -> float:
        """fpdf2's width of *piece* (the sum of its characters' widths: text is not shaped)."""
        _, style, size, _ = STYLE[kind]
        face = ("B" in style, size)              # underline and strike-through leave widths alone
        w = self._widths.get((piece, face))
        if w is None:
            for c in piece:
                if (c, face) not in self._widths:
                    self.style(kind)
                    self._widths[c, face] = self.pdf.get_string_width(c)
            w = self._widths[piece, face] = sum(self._widths[c, face] for c in piece)
        return w

    def lines(self, runs: list[tuple[str, str | None]], width: float) -> list[list[tuple]]:
        """Styled runs cut into lines of at most *width* mm: each line a list of
        ``(text, kind, width)`` pieces. A blank line in the text starts a new line; other
        line ends are spaces (the columns are narrower than the page the text was printed on)."""
        lines: list[list[tuple]] = [[]]
        x, space = 0.0, False
        for text, kind in runs:
            for piece in _SPACES.split(self.clean(text)):
                if not piece:
                    continue
                if piece.isspace():
                    if piece.count("\n") >= 2 and lines[-1]:
                        lines.append([])
                        x, space = 0.0, False
                    else:
                        space = bool(lines[-1])
                    continue
                w = self.width(piece, kind)
                gap = self.width(" ", kind) if space else 0.0
                if lines[-1] and x + gap + w > width:
                    lines.append([])
                    x, gap = 0.0, 0.0
                while w > width:                      # a word longer than the column: cut it
                    cut = len(piece)
                    while cut > 1 and self.width(piece[:cut], kind) > width - x:
                        cut -= 1
                    lines[-1].append((piece[:cut], kind, self.width(piece[:cut], kind)))
                    lines.append([])
                    piece, x = piece[cut:], 0.0
                    w = self.width(piece, kind)
                if gap:
                    prev = lines[-1][-1][1] if lines[-1] else None
                    lines[-1].append((" ", kind if prev == kind else None, gap))
                lines[-1].append((piece, kind, w))
                x += gap + w
                space = False
        return [ln for ln in lines if ln]

    def draw(self, line: list[tuple], x: float, y: float) -> None:
        """One line of pieces at (x, y), the pieces of one kind in one run."""
        merged: list[list] = []
        for text, kind, w in line:
            if merged and merged[-1][1] == kind:
                merged[-1][0] += text
                merged[-1][2] += w
            else:
                merged.append([text, kind, w])
        pdf = self.pdf
        for text, kind, w in merged:
            self.style(kind)
            # text() at the baseline cell() would use (centred in the line) costs a tenth
            # of a cell(): the line is cut already, there is no breaking or shaping to do
            pdf.text(x, y + STYLE[kind][3] / 2 + 0.3 * pdf.font_size, text)
            x += w

    def paragraph(self, text: str, kind: str) -> None:
        """*text* across the page in *kind*'s look, on as many lines as it takes."""
        height = STYLE[kind][3]
        for line in self.lines([(text, kind)], self.pdf.epw):
            if self.pdf.will_page_break(height):
                self.pdf.add_page()
                self.reset()
            y = self.pdf.get_y()
            self.draw(line, MARGIN, y)
            self.pdf.set_y(y + height)
