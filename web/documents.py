"""The document viewer: metadata, cite box, contents, each page's image beside its text,
search within the document; the original PDF and page images, by sha256 only."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, send_file, url_for
from markupsafe import Markup

from archive.core.errors import DocumentError, NotFound, QueryError
from archive.core.refs import resolve
from archive.core.vocabulary import MODEL_NAMES
from archive.harvest import documents as stored_documents
from archive.read.extract import read_document
from archive.read.stored import page_count, page_counts
from archive.search import highlight_patterns, highlight_text, match_spans
from archive.status import holdings
from archive.structure.facts import document_facts
from archive.structure.sections import document_sections
from web import AmbiguousPrefix, archive
from web.helpers import SHA_RE, arg_choice, arg_int, check_sha, request_args
from web.search_views import read_query, run_search

bp = Blueprint("documents", __name__)
NAV = ("Documents", "documents.index")
DOCUMENT_ARGS = ("q", "cite", "view")   # what a redirect to the canonical address keeps


@bp.get("/documents")
def index():
    return render_template("documents.html", documents=document_list(), summary=holdings(archive()))


def document_list() -> list[dict]:
    """Every stored document (harvest) with its page count (read)."""
    docs = stored_documents.document_list(archive())
    counts = page_counts(archive())
    for doc in docs:
        doc["page_count"] = counts.get(doc["sha256"])
    return docs


@bp.get("/doc/<path:ref>")
def show(ref: str):
    if not SHA_RE.match(ref):
        # a file name or sha256 prefix: send to the canonical address, with only the
        # arguments this page reads (never url_for's own, such as _external)
        return redirect(url_for(".show", ref=find(ref), **request_args(*DOCUMENT_ARGS)), code=302)
    return render_template("document.html", **document_view(document_record(ref)))


def find(ref: str) -> str:
    """The sha256 of the document *ref* names: the start of a sha256 (several documents
    sharing it: a 400 listing them), or ICE's file name."""
    matches = stored_documents.documents_by_prefix(archive(), ref, limit=21)
    if len(matches) == 1:
        return matches[0]["sha256"]
    if matches:
        raise AmbiguousPrefix(ref, matches[:20], more=len(matches) > 20)
    try:
        return resolve(archive().db, ref)
    except NotFound:
        raise NotFound(f"No document is called {ref!r}. Give its SHA-256 (or its first digits) "
                       "or ICE's file name, or find it in the list of documents.") from None


def document_record(sha: str) -> dict:
    """One document as the page and the API show it: metadata and provenance (harvest),
    its reading (read), its sections and facts (structure)."""
    d = archive()
    doc = stored_documents.document(d, sha)
    doc["model_name"] = MODEL_NAMES.get(doc["model"] or "", doc["model"])
    try:
        reading = read_document(d, sha)
    except NotFound:                       # not read yet
        reading = None
    doc["page_count"] = page_count(d, sha)
    doc["extraction_status"] = reading.status if reading else None
    doc["extraction_error"] = reading.error if reading else None
    doc["encrypted"] = reading.encrypted if reading else None
    doc["form_fields"] = [{"name": f.name, "value": f.value, "page": f.page}
                          for f in (reading.form_fields if reading else []) if f.value]
    doc["pages"] = [p.to_dict() for p in (reading.pages if reading else [])]
    structure = document_sections(d, sha)
    doc["sections_complete"] = structure.complete if structure.layout is not None else None
    doc["sections_layout"] = structure.layout
    doc["sections"] = structure.to_dict()["sections"]
    facts = document_facts(d, sha).to_dict()
    doc["facts"] = facts["facts"]                    # as `moa facts --json` gives them
    doc["signed_check"] = facts["signed_check"]      # ICE's date as read beside the roster's
    doc["revision"] = "; ".join(f["value"] for f in doc["facts"].get("revision", []) if f["value"]) or None
    return doc


def sections_on_page(secs: list[dict], page: int) -> list[dict]:
    """The sections (outermost level present) with text on *page*, in document order:
    the first is the one in force at the top of the page."""
    covering = [s for s in secs if s["first_page"] <= page <= s["last_page"]]
    if not covering:
        return []
    top = min(s["depth"] for s in covering)
    return [s for s in covering if s["depth"] == top]


def document_view(doc: dict) -> dict:
    """The document page's data: pages with highlighted text, contents, hits, citation."""
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
    secs = doc["sections"]
    pages = doc["pages"]
    total_marks = 0
    needles: dict[int, list[str]] = {}      # the marked texts of text-layer pages
    ocr_spans: dict[int, tuple[str, list]] = {}   # OCR'd pages: their text and marked stretches
    for p in pages:
        p["html"] = Markup(highlight_text(p["text"], words)) if words else p["text"]
        p["marks"] = str(p["html"]).count("<mark>") if words else 0
        total_marks += p["marks"]
        p["sections"] = sections_on_page(secs, p["page"])
        p["hit"] = p["page"] in hit_pages or p["marks"] > 0
        if p["marks"] and p.get("method") == "text":
            needles[p["page"]] = [p["text"][a:b] for a, b in match_spans(p["text"], words)]
        elif p["marks"]:
            ocr_spans[p["page"]] = (p["text"], match_spans(p["text"], words))
    text_only = arg_choice("view", ("text", "images"), "images") == "text"
    boxes = {} if text_only else _boxes(sha, needles, ocr_spans)
    for p in pages:
        p["boxes"] = boxes.get(p["page"], [])
    cite_page = arg_int("cite", 0, 1, max(doc["page_count"], 1)) or None
    return {
        "doc": doc, "pages": pages, "sections": secs, "query": query,
        "query_error": query_error, "hit_pages": [p["page"] for p in pages if p["hit"]],
        "total_marks": total_marks, "form_fields": doc["form_fields"],
        "page_count": doc["page_count"],
        "cite_page": cite_page,
        "cite_section": (sections_on_page(secs, cite_page) or [None])[0] if cite_page else None,
        "text_only": text_only,
    }


def _boxes(sha: str, needles: dict[int, list[str]], ocr_spans: dict[int, tuple[str, list]]) -> dict:
    """The hits' boxes on the page images: found in the text layer (none when the PDF
    cannot be read), or from tesseract's word boxes on OCR'd pages."""
    from web.page_hits import hit_boxes, ocr_hit_boxes
    boxes = ocr_hit_boxes(archive(), sha, ocr_spans)
    try:
        return hit_boxes(archive(), sha, needles) | boxes
    except DocumentError:
        return boxes


@bp.get("/doc/<sha>/pdf")
def pdf(sha: str):
    """The original file. Its location comes from the sha256 (checked against the
    database), never from the request."""
    sha = check_sha(sha)
    path, file_name = stored_documents.stored_file(archive(), sha)
    inline = arg_choice("inline", ("0", "1"), "0") == "1"
    return send_file(path, mimetype="application/pdf", as_attachment=not inline,
                     download_name=file_name or f"{sha}.pdf", max_age=86400, conditional=True,
                     etag=sha)


@bp.get("/doc/<sha>/page/<int:page>.png")
def page_image(sha: str, page: int):
    from web.page_images import page_image as render

    sha = check_sha(sha)
    d = archive()
    stored_documents.stored_file(d, sha)  # 404 unless the database knows this document
    count = page_count(d, sha)  # 0 when not read yet: pdfium then says
    if page < 1 or (count and page > count):
        abort(404)
    try:
        path = render(d, sha, page)
    except DocumentError as e:
        raise NotFound(str(e)) from e
    return send_file(path, mimetype="image/png", max_age=7 * 86400, conditional=True)
