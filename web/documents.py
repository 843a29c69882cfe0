"""The document viewer: metadata, cite box, contents, each page's image beside its text,
search within the document; the original PDF and page images, by sha256 only."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, send_file, url_for
from markupsafe import Markup

from archive.core.refs import resolve
from archive.core.errors import DocumentError, NotFound, QueryError
from archive.search import highlight_patterns, highlight_text, match_spans
from web import archive
from web import queries as q
from web.helpers import SHA_RE, check_sha
from web.search_views import read_query, run_search

bp = Blueprint("documents", __name__)
NAV = ("Documents", "documents.index")


@bp.get("/documents")
def index():
    conn = archive().db
    return render_template("documents.html", documents=q.document_list(conn), summary=q.summary(conn))


@bp.get("/doc/<path:ref>")
def show(ref: str):
    conn = archive().db
    if not SHA_RE.match(ref):
        # a file name or sha256 prefix: send to the canonical address
        sha = resolve(conn, ref)
        return redirect(url_for(".show", **{**request.args.to_dict(), "ref": sha}), code=302)
    doc = q.document(conn, ref)
    return render_template("document.html", **document_view(doc))


def document_view(doc: dict) -> dict:
    """The document page's data: pages with highlighted text, contents, hits, citation."""
    conn = archive().db
    sha = doc["sha256"]
    query, query_error = read_query()
    hit_pages: set[int] = set()
    words: tuple = ()
    if query and not query_error:
        try:
            for hit in run_search(query, within=sha, all_results=True).hits:
                hit_pages.update(hit.pages)
            words = highlight_patterns(archive(), query)
        except QueryError as e:
            query_error = str(e)
    secs = q.sections(conn, sha)
    pages = q.pages(conn, sha)
    total_marks = 0
    needles: dict[int, list[str]] = {}      # the marked texts of text-layer pages
    for p in pages:
        p["html"] = Markup(highlight_text(p["text"], words)) if words else p["text"]
        p["marks"] = str(p["html"]).count("<mark>") if words else 0
        total_marks += p["marks"]
        p["sections"] = q.sections_on_page(secs, p["page"])
        p["hit"] = p["page"] in hit_pages or p["marks"] > 0
        if p["marks"] and p["method"] == "text":
            needles[p["page"]] = [p["text"][a:b] for a, b in match_spans(p["text"], words)]
    text_only = request.args.get("view") == "text"
    boxes = {} if text_only else _boxes(sha, needles)
    for p in pages:
        p["boxes"] = boxes.get(p["page"], [])
    cite_page = request.args.get("cite", type=int)
    if cite_page is not None and not any(p["page"] == cite_page for p in pages):
        cite_page = None
    return {
        "doc": doc, "pages": pages, "sections": secs, "query": query,
        "query_error": query_error, "hit_pages": [p["page"] for p in pages if p["hit"]],
        "total_marks": total_marks, "form_fields": q.form_fields(conn, sha),
        "page_count": q.page_count(conn, sha),
        "cite_page": cite_page,
        "cite_section": (q.sections_on_page(secs, cite_page) or [None])[0] if cite_page else None,
        "text_only": text_only,
    }


def _boxes(sha: str, needles: dict[int, list[str]]) -> dict:
    """The hits' boxes on the page images (none when the PDF cannot be read)."""
    from web.page_hits import hit_boxes
    try:
        return hit_boxes(archive(), sha, needles)
    except DocumentError:
        return {}


@bp.get("/doc/<sha>/pdf")
def pdf(sha: str):
    """The original file. Its location comes from the sha256 (checked against the
    database), never from the request."""
    sha = check_sha(sha)
    d = archive()
    _, file_name = q.blob_path(d.db, sha)
    path = d.blobs.path(sha)
    if not path.is_file():
        raise NotFound(f"the file of document {sha} is missing from the archive's file store")
    inline = request.args.get("inline") == "1"
    return send_file(path, mimetype="application/pdf", as_attachment=not inline,
                     download_name=file_name or f"{sha}.pdf", max_age=86400, conditional=True,
                     etag=sha)


@bp.get("/doc/<sha>/page/<int:page>.png")
def page_image(sha: str, page: int):
    from web.page_images import page_image as render

    sha = check_sha(sha)
    d = archive()
    q.blob_path(d.db, sha)  # 404 unless the database knows this document
    count = q.page_count(d.db, sha)  # 0 when not read yet: pdfium then says
    if page < 1 or (count and page > count):
        abort(404)
    try:
        path = render(d, sha, page)
    except DocumentError as e:
        raise NotFound(str(e)) from e
    return send_file(path, mimetype="image/png", max_age=7 * 86400, conditional=True)
