"""Plain-text, tabular and document forms of the analyses' results (CLI text, CSV rows, Word)."""
from __future__ import annotations

import importlib.util
import re


def redline_text(ops: list[dict], *, material_only: bool = False) -> str:
    """A redline as text, in the second text's own words: ``[-deleted-] {+inserted+}``
    (wdiff style); moved runs get ``(moved N)``. With *material_only*, changes that are not
    material show as the second text reads."""
    out = []
    for op in ops:
        kind = op["op"]
        if kind in ("equal", "fillin", "noise") or (material_only and not op.get("material")):
            out.append(op["b"] + op["b_sep"])
            continue
        mark = f"(moved {op['moved']})" if op.get("moved") else ""
        if op["a"]:
            out.append(f"[-{op['a']}-]{mark if kind == 'delete' else ''} ")
        if op["b"]:
            out.append(f"{{+{op['b']}+}}{mark}{op['b_sep'] or ' '}")
    return " ".join("".join(out).split())


def deviation_table(rows: list[dict]) -> list[dict]:
    """:func:`top_deviations` rows flattened for CSV."""
    return [{**{k: v for k, v in r.items() if k != "sections_differing"},
             "sections_differing": ";".join(r["sections_differing"])} for r in rows]


def variants_table(result: dict) -> list[dict]:
    """:func:`variants` as one row per agreement: its variant and that variant's count."""
    return [{"key": result["key"], "model": result["model"], "variant": v["variant"], "count": v["count"],
             "similarity_to_majority": v["similarity_to_majority"], **m}
            for v in result["variants"] for m in v["members"]]


def models_table(result: dict) -> list[dict]:
    """:func:`models` as one row per section and model (texts left out)."""
    return [{"slot": r["slot"], "model": m, "title": c["title"], "number": c["number"], "chars": c["chars"],
             "support": c["support"], "source_sha256": c["source"]["sha256"],
             **{f"similarity {pair}": sim for pair, sim in r["similarity"].items() if m in pair.split("~")}}
            for r in result["sections"] for m, c in r["models"].items()]


def count_changes(result: dict) -> int:
    """Real changes in a :func:`compare_pair` or :func:`deviation` result: material ops, and
    sections only one side has."""
    return sum(sum(1 for o in s["redline"] if o.get("material")) if s.get("redline") else
               int(s["status"] in ("only_a", "only_b", "missing", "extra"))
               for s in result["sections"])


def section_heading(sec: dict) -> str:
    """A section of a :func:`compare_pair` or :func:`deviation` result as a heading line:
    number, title, status and similarity."""
    head = (sec.get("a") or sec.get("b")) if "a" in sec else sec
    return (f"{head.get('number') or ''} {head.get('title') or sec['key']}  "
            f"[{sec['status'].replace('_', ' ')}, {sec['similarity'] * 100:.0f}%]").strip()


def _pages(pages) -> str:
    if not pages:
        return ""
    first, last = pages
    return f"p. {first}" if first == last else f"pp. {first}–{last}"


def section_citation(sec: dict, label_a: str, label_b: str) -> str:
    """Where each side's text of a section is printed: ``A: p. 3 · B: pp. 4–5`` (a deviation's
    baseline side names the agreement its text was read from)."""
    if "a" in sec:                                         # a pair
        sides = [(label_a, sec.get("a")), (label_b, sec.get("b"))]
        parts = [f"{label}: {_pages(s.get('pages'))}" for label, s in sides if s and s.get("pages")]
    else:                                                  # a deviation: baseline, then this agreement
        parts = []
        src = sec.get("baseline_source")
        if src and src.get("pages"):
            parts.append(f"{label_a}: {src.get('agency') or src.get('file_name')}, {_pages(src['pages'])}")
        if sec.get("pages"):
            parts.append(f"{label_b}: {_pages(sec['pages'])}")
    return " · ".join(parts)


def change_rows(ops: list[dict]) -> list[list[dict]]:
    """A redline's ops as the rows of a two-column view: each real change a row of its own,
    the text between two changes one row (so both columns stay level)."""
    rows: list[list[dict]] = []
    for op in ops:
        if op.get("material") or not rows or rows[-1][0].get("material"):
            rows.append([op])
        else:
            rows[-1].append(op)
    return rows


def side_runs(ops: list[dict], side: str) -> list[tuple[str, str | None]]:
    """One side's text of *ops* as ``(text, kind)`` runs: kind ``delete`` (side a) or
    ``insert`` (side b) for real changes, ``fillin``, ``noise`` (OCR noise, and changes that
    are not material), None for text the same on both sides and the separators."""
    out: list[tuple[str, str | None]] = []
    for op in ops:
        kind = op["op"]
        if kind in ("equal", "fillin", "noise"):
            out.append((op[side], kind if kind != "equal" else None))
        elif op.get("material"):
            out.append((op[side], "delete" if side == "a" else "insert"))
        else:
            out.append((op[side], "noise"))
        out.append((op[f"{side}_sep"], None))
    merged: list[list] = []        # neighbours of one kind make one run
    for text, kind in out:
        if not text:
            continue
        if merged and merged[-1][1] == kind:
            merged[-1][0] += text
        else:
            merged.append([text, kind])
    return [(t, k) for t, k in merged]


def docx_available() -> bool:
    """Whether python-docx is installed (found, not imported: a redline page asks
    to offer the export, and importing it costs ~0.2 s, paid by the first export instead)."""
    return importlib.util.find_spec("docx") is not None


_DOCX_STYLE = {  # op kind -> (colour, strike, underline)
    "delete": ("B00020", True, False), "insert": ("006B2D", False, True),
    "fillin": ("8A8A8A", False, True), "noise": ("8A8A8A", False, False),
}


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_safe(text: str) -> str:
    """What Word can hold: pdfium's line-end hyphen mark (U+FFFE) as a hyphen, other control
    characters (form feeds, stray codes of a broken text layer) as spaces."""
    return _NOT_XML.sub(lambda m: "-" if m.group(0) == "\ufffe" else " ", text)


def redline_docx(result: dict, *, title: str, lines: list[str], label_a: str, label_b: str) -> bytes:
    """A :func:`compare_pair` or :func:`deviation` result as a Word document: per section a
    two-column table (first text | second text), each real change a row of its own, in each
    text's own words; deletions struck red, insertions underlined green, fill-ins and OCR
    noise grey. Needs python-docx."""
    import io
    from xml.sax.saxutils import escape

    from docx import Document
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls
    from docx.shared import Pt, RGBColor
    from lxml import etree

    doc = Document()
    doc.add_heading(_xml_safe(title), level=1)
    for line in lines:
        doc.add_paragraph(_xml_safe(line))
    doc.add_paragraph(f"{count_changes(result)} real changes. Red struck: deleted; green underlined: inserted; "
                      "grey: fill-ins (underlined) and OCR noise, each text's own.")

    def xml(element) -> str:
        """An element as markup to put inside a ``<w:tbl>`` (its namespace declared there)."""
        return re.sub(r' xmlns:\w+="[^"]*"', "", etree.tostring(element, encoding="unicode"))

    def look(kind: str | None) -> str:
        """The run properties of *kind*, made once through python-docx's API."""
        r = doc.add_paragraph().add_run()
        r.font.size = Pt(9)
        if kind in _DOCX_STYLE:
            colour, strike, underline = _DOCX_STYLE[kind]
            r.font.color.rgb = RGBColor.from_string(colour)
            r.font.strike, r.font.underline = strike, underline
        par = r._r.getparent()
        par.getparent().remove(par)
        return xml(r._r.rPr)

    looks = {k: look(k) for k in (None, *_DOCX_STYLE)}

    def runs(ops: list[dict], side: str) -> str:
        """One side's text of *ops* as runs of WordprocessingML, one per stretch of one
        kind. Made as markup and parsed once per table: python-docx's run API costs about
        a millisecond a run, its rows and cells as much again (a long redline took seconds)."""
        out = []
        for text, kind in side_runs(ops, side):
            parts = [f'<w:t xml:space="preserve">{escape(line)}</w:t>' if line else ""
                     for line in _xml_safe(text).split("\n")]
            out.append(f"<w:r>{looks[kind]}{'<w:br/>'.join(parts)}</w:r>")
        return "".join(out)

    # styles by id: python-docx looks a style name up in ~10 ms (seconds for a long redline)
    heading, grid = doc.styles["Heading 2"].style_id, doc.styles["Table Grid"].style_id
    for sec in result["sections"]:
        doc.add_paragraph(_xml_safe(section_heading(sec)))._p.style = heading
        cited = section_citation(sec, label_a, label_b)
        if cited:
            doc.add_paragraph(_xml_safe(cited))
        table = doc.add_table(rows=1, cols=2)
        table._tbl.tblStyle_val = grid
        table.rows[0].cells[0].text, table.rows[0].cells[1].text = _xml_safe(label_a), _xml_safe(label_b)
        if not sec.get("redline"):
            row = table.add_row().cells
            only_a = sec["status"] in ("only_a", "missing")
            row[0 if only_a else 1].text = _xml_safe(sec.get("text") or "")
            continue
        # each row's cells as wide as the first row's
        widths = [xml(tc.tcPr) for tc in table._tbl.tr_lst[0].tc_lst]
        rows = "".join(f"<w:tr><w:tc>{widths[0]}<w:p>{runs(ops, 'a')}</w:p></w:tc>"
                       f"<w:tc>{widths[1]}<w:p>{runs(ops, 'b')}</w:p></w:tc></w:tr>"
                       for ops in change_rows(sec["redline"]))
        table._tbl.extend(parse_xml(f"<w:tbl {nsdecls('w')}>{rows}</w:tbl>"))
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
