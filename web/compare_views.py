"""Comparing agreements (issue #7): two side by side, one against its baseline, one clause
across agencies, model against model — as pages, JSON (``/api/compare/...``) and CSV.
Every view calls one function of :mod:`archive.compare`."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from archive import compare
from web import archive
from web.helpers import arg_int, csv_response

bp = Blueprint("compare", __name__)
NAV = ("Compare", "compare.index")


def _flag(name: str) -> bool:
    """An on/off option, on unless ?name=0 (so a plain link ignores fill-ins and noise)."""
    return request.args.get(name, "1") not in ("0", "false", "no", "off")


def _model() -> str:
    model = request.args.get("model", "").strip().upper()
    if model not in compare.MODELS:
        abort(400, f"give ?model= one of {', '.join(compare.MODELS)}")
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
    return compare.compare_pair(archive(), a, b, ignore_fillins=_flag("fillins"), ignore_ocr_noise=_flag("noise"))


@bp.get("/compare")
def index():
    docs = [d.meta() for d in compare.agreements(archive())]
    counts = {m: sum(1 for d in docs if d["model"] == m) for m in compare.MODELS}
    return render_template("compare.html", docs=docs, counts=counts,
                           eras=sorted({d["era"] for d in docs}))


@bp.get("/compare/pair")
def pair():
    return render_template("compare_pair.html", r=_pair(), fillins=_flag("fillins"), noise=_flag("noise"))


@bp.get("/compare/deviation")
def deviation_top():
    rows = compare.top_deviations(archive(), arg_int("top", 50, 1, 5000), model=request.args.get("model") or None,
                                  era=_era())
    return render_template("compare_deviation_top.html", rows=rows)


@bp.get("/compare/deviation.csv")
def deviation_top_csv():
    rows = compare.deviation_table(compare.top_deviations(
        archive(), arg_int("top", 5000, 1, 5000), model=request.args.get("model") or None, era=_era()))
    return csv_response(rows, list(rows[0]) if rows else ["sha256"], "moa-deviation.csv")


@bp.get("/compare/deviation/<path:ref>")
def deviation(ref: str):
    return render_template("compare_deviation.html", r=compare.deviation(archive(), ref))


@bp.get("/compare/variants")
def variants_index():
    model = request.args.get("model", "").strip().upper() or None
    keys = compare.section_keys(archive(), model, _era()) if model else []
    return render_template("compare_variants_index.html", model=model, era=_era(), keys=keys)


@bp.get("/compare/variants/<key>")
def variants(key: str):
    return render_template("compare_variants.html", r=compare.variants(archive(), key, _model(), _era()))


@bp.get("/compare/variants/<key>.csv")
def variants_csv(key: str):
    rows = compare.variants_table(compare.variants(archive(), key, _model(), _era(), redlines=False))
    return csv_response(rows, list(rows[0]), f"moa-variants-{key}.csv")


@bp.get("/compare/models")
def models():
    era = request.args.get("era", "2025")
    return render_template("compare_models.html", r=compare.models(archive(), era), era=era)


@bp.get("/compare/models.csv")
def models_csv():
    rows = compare.models_table(compare.models(archive(), request.args.get("era", "2025")))
    return csv_response(rows, list(dict.fromkeys(k for r in rows for k in r)) or ["slot"], "moa-models.csv")


@bp.get("/compare/models/<slot>")
def model_redline(slot: str):
    a, b = _pair_args()
    r = compare.model_redline(archive(), slot, a, b, request.args.get("era", "2025"))
    return render_template("compare_model_redline.html", r=r)


# --- JSON API --------------------------------------------------------------------------

@bp.get("/api/compare/pair")
def api_pair():
    return _pair()


@bp.get("/api/compare/deviation")
def api_deviation_top():
    return {"agreements": compare.top_deviations(archive(), arg_int("top", 50, 1, 5000),
                                                 model=request.args.get("model") or None, era=_era())}


@bp.get("/api/compare/deviation/<path:ref>")
def api_deviation(ref: str):
    return compare.deviation(archive(), ref)


@bp.get("/api/compare/variants/<key>")
def api_variants(key: str):
    return compare.variants(archive(), key, _model(), _era())


@bp.get("/api/compare/models")
def api_models():
    return compare.models(archive(), request.args.get("era", "2025"))


@bp.get("/api/compare/models/<slot>")
def api_model_redline(slot: str):
    a, b = _pair_args()
    return compare.model_redline(archive(), slot, a, b, request.args.get("era", "2025"))
