"""Redlines as HTML (the compare pages and their HTML export), written in Python rather than
template macros: a redline of a long agreement is thousands of ops, and this is several
times faster than rendering them through Jinja. The markup is described in
web/templates/_compare.html (which calls these) and styled by static/compare.css."""
from __future__ import annotations

from markupsafe import Markup, escape

from archive.compare import change_rows


class Counter:
    """The number of the last real change drawn on a page (for the navigator's #chg-N)."""

    def __init__(self) -> None:
        self.n = 0

    def next(self) -> int:
        self.n += 1
        return self.n


def _cls(op: dict) -> str:
    return ("material" if op.get("material") else "noise") + (" moved" if op.get("moved") else "")


def _title(op: dict) -> str:
    if op.get("moved"):
        extra = f": {op['label']}" if op.get("label") and op["label"] != "moved" else ""
        return f' title="moved (see {op["moved"]}){escape(extra)}"'
    return f' title="{escape(op["label"])}"' if op.get("label") else ""


def _change(op: dict, nav: Counter) -> str:
    if not op.get("material"):
        return ""
    n = nav.next()
    return f' id="chg-{n}" data-change="{n}"'


def _side(op: dict, side: str, other: str) -> str:
    text, sep = escape(op[side]), escape(op[f"{side}_sep"])
    kind = op["op"]
    if kind == "equal":
        return f"{text}{sep}"
    if kind == "fillin":
        return f'<span class="fillin" title="{escape(op["label"])}">{text}</span>{sep}'
    if kind == "noise":
        return f'<span class="noise" title="OCR noise: the other text reads “{escape(op[other])}”">{text}</span>{sep}'
    if not text:
        return ""
    tag = "del" if side == "a" else "ins"
    return f'<{tag} class="{_cls(op)}"{_title(op)}>{text}</{tag}>{sep}'


def inline(ops: list[dict], nav: Counter, material_only: bool = False) -> Markup:
    """The second text's words, with deletions from the first. The first text's fill-ins are
    never shown inline (they are on its own side of the columns view)."""
    out = ['<p class="redline">']
    for op in ops:
        kind = op["op"]
        if kind in ("equal", "fillin", "noise"):
            out.append(_side(op, "b", "a"))
        elif material_only and not op.get("material"):
            out.append(f"{escape(op['b'])}{escape(op['b_sep'])}")
        elif op.get("label") == "fill-in":
            if op["b"]:
                out.append(f'<span class="fillin" title="fill-in">{escape(op["b"])}</span>{escape(op["b_sep"])}')
        else:
            cls, title = _cls(op), _title(op)
            parts = []
            if op["a"]:
                parts.append(f'<del class="{cls}"{title}>{escape(op["a"])}</del>')
            if op["b"]:
                parts.append(f'<ins class="{cls}"{title}>{escape(op["b"])}</ins>')
            out.append(f'<span class="change {cls}"{_change(op, nav)}>{" ".join(parts)}</span>'
                       f'{escape(op["b_sep"]) if op["b"] else " "}')
    out.append("</p>")
    return Markup("".join(out))


def columns(ops: list[dict], nav: Counter, label_a: str = "A", label_b: str = "B") -> Markup:
    """Two synchronised columns: each real change a row of its own, the text between two
    changes one row, so both columns stay level."""
    out = [f'<div class="cols" role="table" aria-label="{escape(label_a)} and {escape(label_b)} side by side">'
           f'<div class="cols-head" role="row"><span role="columnheader">{escape(label_a)}</span>'
           f'<span role="columnheader">{escape(label_b)}</span></div>']
    for row in change_rows(ops):
        first = row[0]
        change = f" change {_cls(first)}" if first.get("material") else ""
        out.append(f'<div class="cols-row{change}" role="row"{_change(first, nav)}>'
                   f'<div class="side a" role="cell">{"".join(_side(o, "a", "b") for o in row)}</div>'
                   f'<div class="side b" role="cell">{"".join(_side(o, "b", "a") for o in row)}</div></div>')
    out.append("</div>")
    return Markup("".join(out))
