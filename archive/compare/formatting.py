"""Plain-text and tabular forms of the analyses' results (CLI text, CSV rows)."""
from __future__ import annotations


def redline_text(ops: list[dict], *, material_only: bool = False) -> str:
    """A redline as text: ``[-deleted-]{+inserted+}`` (wdiff style); moved runs get ``(moved N)``.
    With *material_only*, noise-only changes show as the new text."""
    out = []
    for op in ops:
        if op["op"] == "equal":
            out.append(op["a"])
            continue
        if material_only and not op.get("material"):
            out.append(op["b"] or op["a"] if op["op"] != "delete" else "")
            continue
        mark = f"(moved {op['moved']})" if op.get("moved") else ""
        if op["a"]:
            out.append(f"[-{op['a']}-]{mark if op['op'] == 'delete' else ''}")
        if op.get("b"):
            out.append(f"{{+{op['b']}+}}{mark}")
    return " ".join(x for x in out if x)


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
