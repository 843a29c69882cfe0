"""A redline as a PDF (fpdf2): per section two synchronised columns (first text | second
text), each real change a row of its own and numbered as on the site, in each text's own
words — deletions red and struck through, insertions green and underlined, fill-ins
(underlined) and OCR noise grey — under a heading citing the pages each text is on.

fpdf2 lays out single runs of text; the two columns of styled runs are cut into lines
here (:func:`_lines`), so that both columns of a row advance together and a row may run
over a page break. Text is set in DejaVu Sans when the system has it (any character of
an agreement), else in the PDF core font Helvetica (Latin-1: other characters are given
their nearest Latin-1 form)."""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Callable

from archive.compare.formatting import (change_rows, count_changes, section_citation, section_heading,
                                        side_runs)

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"),
             Path("/usr/local/share/fonts"), Path("/Library/Fonts"))
SIZE = 8.5                  # points, the columns' text
LINE = 4.0                  # mm per line of it
MARGIN = 12                 # mm
GUTTER = 5                  # mm between the columns
NUMBER = 7                  # mm left of the columns for a change's number
# kind -> (colour, fpdf2 style): S strike-through, U underline
STYLE = {None: ((0, 0, 0), ""), "delete": ((176, 0, 32), "S"), "insert": ((0, 107, 45), "U"),
         "fillin": ((138, 138, 138), "U"), "noise": ((138, 138, 138), "")}
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\ufffe\uffff]")


def pdf_available() -> bool:
    try:
        import fpdf  # noqa: F401
    except ImportError:
        return False
    return True


def redline_pdf(result: dict, *, title: str, lines: list[str], label_a: str, label_b: str) -> bytes:
    """A :func:`compare_pair` or :func:`deviation` result as a PDF (see the module
    docstring). Needs fpdf2."""
    from fpdf import FPDF

    pdf = FPDF(format="Letter")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, MARGIN)
    font, clean = _font(pdf)
    pdf.set_title(clean(title))
    pdf.set_creator("moa-archive")
    pdf.add_page()
    pdf.set_font(font, "B", 14)
    pdf.multi_cell(0, 7, clean(title), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(font, "", 9.5)
    for line in lines:
        pdf.multi_cell(0, 5, clean(line), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    pdf.multi_cell(0, 5, clean(f"{count_changes(result)} real changes, numbered. Red struck through: deleted; "
                               "green underlined: inserted; grey: fill-ins (underlined) and OCR noise, "
                               "each text's own words."), align="L", new_x="LMARGIN", new_y="NEXT")
    width = (pdf.epw - NUMBER - GUTTER) / 2
    x_a = MARGIN + NUMBER
    x_b = x_a + width + GUTTER
    change = 0

    def row(runs_a, runs_b, number: int | None = None) -> None:
        la, lb = _lines(pdf, font, clean, runs_a, width), _lines(pdf, font, clean, runs_b, width)
        if pdf.will_page_break(LINE * min(2, max(len(la), len(lb)))):
            pdf.add_page()
        top = pdf.get_y()
        for k in range(max(len(la), len(lb))):
            if pdf.will_page_break(LINE):
                pdf.add_page()
            y = pdf.get_y()
            if k == 0 and number is not None:
                _draw(pdf, font, [(str(number), "noise", 0)], MARGIN, y)
            for col, x in ((la, x_a), (lb, x_b)):
                if k < len(col):
                    _draw(pdf, font, col[k], x, y)
            pdf.set_y(y + LINE)
        pdf.set_draw_color(210, 210, 210)
        if pdf.get_y() > top:
            pdf.line(x_a, pdf.get_y() + 0.6, x_b + width, pdf.get_y() + 0.6)
        pdf.set_y(pdf.get_y() + 1.2)

    for sec in result["sections"]:
        if pdf.will_page_break(20):
            pdf.add_page()
        pdf.ln(2)
        pdf.set_text_color(0, 0, 0)
        pdf.set_font(font, "B", 10.5)
        pdf.multi_cell(0, 5.5, clean(section_heading(sec)), align="L", new_x="LMARGIN", new_y="NEXT")
        cited = section_citation(sec, label_a, label_b)
        if cited:
            pdf.set_font(font, "", 8)
            pdf.set_text_color(90, 90, 90)
            pdf.multi_cell(0, 4, clean(cited), align="L", new_x="LMARGIN", new_y="NEXT")
        row([(label_a, None)], [(label_b, None)])
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
    return bytes(pdf.output())


def _font(pdf) -> tuple[str, Callable[[str], str]]:
    """The font family to set text in, and what makes a text printable in it."""
    for d in FONT_DIRS:
        regular, bold = d / "DejaVuSans.ttf", d / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            pdf.add_font("DejaVu", "", str(regular))
            pdf.add_font("DejaVu", "B", str(bold))
            return "DejaVu", lambda s: _CONTROL.sub(lambda m: "-" if m.group(0) == "\ufffe" else " ", s)

    def latin1(s: str) -> str:
        s = _CONTROL.sub(lambda m: "-" if m.group(0) == "\ufffe" else " ", s)
        s = s.translate({0x2018: "'", 0x2019: "'", 0x201c: '"', 0x201d: '"', 0x2013: "-", 0x2014: "-",
                         0x2026: "...", 0x00b7: "\u00b7"})
        return "".join(c if ord(c) < 256 else (unicodedata.normalize("NFKD", c).encode("latin-1", "ignore")
                                               .decode("latin-1") or "?") for c in s)
    return "helvetica", latin1


def _lines(pdf, font: str, clean, runs: list[tuple[str, str | None]], width: float) -> list[list[tuple]]:
    """Styled runs cut into lines of at most *width* mm: each line a list of
    ``(text, kind, width)`` pieces. A blank line in the text starts a new line; other line
    ends are spaces (the columns are narrower than the page the text was printed on)."""
    lines: list[list[tuple]] = [[]]
    x, space = 0.0, False
    for text, kind in runs:
        for piece in re.split(r"(\s+)", clean(text)):
            if not piece:
                continue
            if piece.isspace():
                if piece.count("\n") >= 2 and lines[-1]:
                    lines.append([])
                    x, space = 0.0, False
                else:
                    space = bool(lines[-1])
                continue
            _style(pdf, font, kind)
            w = pdf.get_string_width(piece)
            gap = pdf.get_string_width(" ") if space else 0.0
            if lines[-1] and x + gap + w > width:
                lines.append([])
                x, gap = 0.0, 0.0
            while w > width:                      # a word longer than the column: cut it
                cut = len(piece)
                while cut > 1 and pdf.get_string_width(piece[:cut]) > width - x:
                    cut -= 1
                lines[-1].append((piece[:cut], kind, pdf.get_string_width(piece[:cut])))
                lines.append([])
                piece, x = piece[cut:], 0.0
                w = pdf.get_string_width(piece)
            if gap:
                prev = lines[-1][-1][1] if lines[-1] else None
                lines[-1].append((" ", kind if prev == kind else None, gap))
            lines[-1].append((piece, kind, w))
            x += gap + w
            space = False
    return [ln for ln in lines if ln] or []


def _style(pdf, font: str, kind: str | None) -> None:
    colour, style = STYLE[kind]
    pdf.set_font(font, style, SIZE)
    pdf.set_text_color(*colour)


def _draw(pdf, font: str, line: list[tuple], x: float, y: float) -> None:
    """One line of pieces at (x, y), the pieces of one kind in one run."""
    merged: list[list] = []
    for text, kind, w in line:
        if merged and merged[-1][1] == kind:
            merged[-1][0] += text
            merged[-1][2] += w
        else:
            merged.append([text, kind, w])
    for text, kind, w in merged:
        _style(pdf, font, kind)
        pdf.set_xy(x, y)
        pdf.cell(w, LINE, text)
        x += w
