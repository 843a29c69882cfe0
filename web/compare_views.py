"""Comparing agreements: two side by side, one against its baseline, one clause across
agencies, model against model — as pages, JSON (``/api/compare/...``) and CSV.

Every view calls one function of :mod:`archive.compare`. Deviations (with their redlines),
rankings, variants and the models tables are read from the results the pipeline stored
(:class:`archive.compare.Stored`): no view computes them, and none writes. A pair's redline
is computed on request and kept in memory for its exports and JSON
(:func:`archive.compare.recent_pair`).
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, render_template, request, url_for

from archive import compare
from archive.core.vocabulary import MODELS, code_for
from web import archive, redline_html
from web.helpers import arg_int, csv_response, request_args

bp = Blueprint("compare", __name__)
NAV = ("Compare", "compare.index")
ARGS = ("unreliable",)       # query arguments of these pages beyond the site's (web.helpers.QUERY_ARGS)


@bp.errorhandler(compare.NotComputed)
def not_computed(e: compare.NotComputed):
    title = "Comparisons not computed yet"
    if request.path.startswith("/api/"):
        return {"error": title, "message": str(e), "status": 503}, 503
    return render_template("error.html", status=503, title=title, message=str(e)), 503


@bp.context_processor
def _helpers():
    def link(endpoint: str, **view_args) -> str:
        """*endpoint* (with its path arguments) carrying the current query arguments."""
        args = {k: v for k, v in request_args().items() if k not in view_args}
        return url_for(endpoint, **view_args, **args)
    return {"link": link}


# Globals (not context): the macros of _compare.html, imported without context, call them.
bp.add_app_template_global(redline_html.inline, "redline_inline")
bp.add_app_template_global(redline_html.columns, "redline_columns")
bp.add_app_template_global(redline_html.Counter, "change_counter")


def _stored() -> compare.Stored:
    return compare.Stored(archive())


def _flag(name: str, default: str = "1") -> bool:
    """An on/off option (?name=0/1); fill-ins and noise are ignored unless ?name=0."""
    return request.args.get(name, default) not in ("0", "false", "no", "off")


def _model() -> str:
    model = code_for(request.args.get("model", ""))
    if model is None:
        abort(400, f"give ?model= one of {', '.join(MODELS)}")
    return model


def _era() -> str | None:
    return request.args.get("era", "").strip() or None


def _pair_args() -> tuple[str, str]:
    a, b = request.args.get("a", "").strip(), request.args.get("b", "").strip()
    if not a or not b:
        abort(400, "give two documents: ?a=SHA256&b=SHA256 (or ICE file names)")
    return a, b


def _pair() -> dict:
    a, b = _pair_args()
    return compare.recent_pair(archive(), a, b, ignore_fillins=_flag("fillins"), ignore_ocr_noise=_flag("noise"))


def _top(default: int) -> list[dict]:
    return _stored().top_deviations(arg_int("top", default, 1, 5000), model=_model() if request.args.get("model") else None,
                                    era=_era(), include_unreliable=_flag("unreliable", "0"))


@bp.get("/compare")
def index():
    docs = [d.meta() for d in compare.agreements(archive())]
    counts = {m: sum(1 for d in docs if d["model"] == m) for m in MODELS}
    return render_template("compare.html", docs=docs, counts=counts,
                           eras=sorted({d["era"] for d in docs}))


def _view() -> str:
    view = request.args.get("view", "columns")
    if view not in ("columns", "inline"):
        abort(400, "give ?view= columns (two columns side by side, the default) or inline")
    return view


def _exports(endpoint: str, **view_args) -> list[tuple[str, str]]:
    args = {k: v for k, v in request_args().items() if k != "view"}
    out = [("HTML", url_for(endpoint, fmt="html", **view_args, **args))]
    if compare.docx_available():
        out.append(("Word", url_for(endpoint, fmt="docx", **view_args, **args)))
    if compare.pdf_available():
        out.append(("PDF", url_for(endpoint, fmt="pdf", **view_args, **args)))
    return out


def _export(r: dict, kind: str, fmt: str, *, title: str, lines: list[str], label_a: str, label_b: str,
            name: str) -> Response:
    """A redline as a file: standalone HTML (styles inline), a Word document or a PDF."""
    if fmt == "pdf":
        if not compare.pdf_available():
            abort(404, "PDF export needs fpdf2 on the server (pip install fpdf2)")
        body = compare.redline_pdf(r, title=title, lines=lines, label_a=label_a, label_b=label_b)
        mimetype = "application/pdf"
    elif fmt == "docx":
        if not compare.docx_available():
            abort(404, "Word export needs python-docx on the server (pip install python-docx)")
        body = compare.redline_docx(r, title=title, lines=lines, label_a=label_a, label_b=label_b)
        mimetype = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    elif fmt == "html":
        css = (Path(__file__).with_name("static") / "compare.css").read_text(encoding="utf-8")
        body = render_template("compare_export.html", r=r, kind=kind, view=_view(), title=title, lines=lines,
                               label_a=label_a, label_b=label_b, css=css, changes=compare.count_changes(r),
                               source_url=request.url.replace(f"/export.{fmt}", ""))
        mimetype = "text/html"
    else:
        abort(404)
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


def _who(d: dict) -> str:
    return f"{d['agency'] or d['file_name']} ({d['model'] or '?'}, signed {d['signed'] or '?'}, {d['file_name']})"


@bp.get("/compare/pair")
def pair():
    r = _pair()
    return render_template("compare_pair.html", r=r, fillins=_flag("fillins"), noise=_flag("noise"),
                           view=_view(), changes=compare.count_changes(r),
                           exports=_exports("compare.pair_export"))


@bp.get("/compare/pair/export.<fmt>")
def pair_export(fmt: str):
    r = _pair()
    return _export(r, "pair", fmt, title="Two agreements side by side", lines=[f"A: {_who(r['a'])}", f"B: {_who(r['b'])}"],
                   label_a=f"A: {r['a']['agency'] or r['a']['file_name']}",
                   label_b=f"B: {r['b']['agency'] or r['b']['file_name']}",
                   name=f"moa-redline-{r['a']['sha256'][:8]}-{r['b']['sha256'][:8]}")


@bp.get("/compare/deviation")
def deviation_top():
    return render_template("compare_deviation_top.html", rows=_top(50), unreliable=_flag("unreliable", "0"))


@bp.get("/compare/deviation.csv")
def deviation_top_csv():
    rows = compare.deviation_table(_top(5000))
    return csv_response(rows, list(rows[0]) if rows else ["sha256"], "moa-deviation.csv")


@bp.get("/compare/deviation/<path:ref>")
def deviation(ref: str):
    r = _stored().deviation(ref)
    return render_template("compare_deviation.html", r=r, view=_view(), changes=compare.count_changes(r),
                           exports=_exports("compare.deviation_export", ref=r["document"]["sha256"]))


@bp.get("/compare/deviation/<path:ref>/export.<fmt>")
def deviation_export(ref: str, fmt: str):
    r = _stored().deviation(ref)
    b = r["baseline"]
    source = f"the blank template {b['template']['file_name']}" if b["template"] else \
        f"the consensus of {b['agreements']} agreements"
    return _export(r, "deviation", fmt, title=f"Against the {b['model']} {b['era']} baseline",
                   lines=[_who(r["document"]), f"Deviation {r['deviation']:.3f} from {source}."],
                   label_a="Baseline", label_b="This agreement",
                   name=f"moa-deviation-{r['document']['sha256'][:8]}")


@bp.get("/compare/variants")
def variants_index():
    model = code_for(request.args.get("model", "")) if request.args.get("model", "").strip() else None
    keys = _stored().section_keys(model, _era()) if model else []
    return render_template("compare_variants_index.html", model=model, era=_era(), keys=keys,
                           models=MODELS)


@bp.get("/compare/variants/<key>")
def variants(key: str):
    return render_template("compare_variants.html", r=_stored().variants(key, _model(), _era()))


@bp.get("/compare/variants/<key>.csv")
def variants_csv(key: str):
    rows = compare.variants_table(_stored().variants(key, _model(), _era()))
    return csv_response(rows, list(rows[0]), f"moa-variants-{key}.csv")


@bp.get("/compare/models")
def models():
    era = request.args.get("era", "2025")
    return render_template("compare_models.html", r=_stored().models(era), era=era)


@bp.get("/compare/models.csv")
def models_csv():
    rows = compare.models_table(_stored().models(request.args.get("era", "2025")))
    return csv_response(rows, list(dict.fromkeys(k for r in rows for k in r)) or ["slot"], "moa-models.csv")


@bp.get("/compare/models/<slot>")
def model_redline(slot: str):
    a, b = _pair_args()
    r = _stored().model_redline(slot, a, b, request.args.get("era", "2025"))
    return render_template("compare_model_redline.html", r=r, view=_view())


# --- JSON API --------------------------------------------------------------------------

@bp.get("/api/compare/pair")
def api_pair():
    return _pair()


@bp.get("/api/compare/deviation")
def api_deviation_top():
    return {"agreements": _top(50)}


@bp.get("/api/compare/deviation/<path:ref>")
def api_deviation(ref: str):
    return _stored().deviation(ref)


@bp.get("/api/compare/variants/<key>")
def api_variants(key: str):
    return _stored().variants(key, _model(), _era())


@bp.get("/api/compare/models")
def api_models():
    return _stored().models(request.args.get("era", "2025"))


@bp.get("/api/compare/models/<slot>")
def api_model_redline(slot: str):
    a, b = _pair_args()
    return _stored().model_redline(slot, a, b, request.args.get("era", "2025"))
