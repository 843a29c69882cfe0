"""The JSON API: the same data as the pages, from the same functions (documented in
README, "Web site and API")."""
from __future__ import annotations

import re
from math import ceil

from flask import Blueprint, current_app, jsonify, url_for

from archive.harvest import agencies as roster_agreements
from archive.status import roster_snapshots
from web import archive
from web.browse import agreements_page, read_filter, roster_changes
from web.documents import document_list, document_record, find
from web.helpers import SHA_RE, arg_choice, arg_int, request_args
from web.search_views import read_query, search_page

bp = Blueprint("api", __name__, url_prefix="/api")

# How the index shows a rule, and what it gives. A rule not listed here is shown with
# its placeholders in capitals and the first line of its view's docstring: every rule
# under /api/ and every CSV download is listed (a test checks it).
DESCRIPTIONS = {
    "/api/search": ("/api/search?q=QUERY", "search: hits grouped by document, with matches and facets;"
                    " page, per_page (at most 100), sort (relevance, newest, oldest), filters as on"
                    " the search page; next/previous links"),
    "/api/documents": ("/api/documents", "every document (sha256, file name, agency, state, model,"
                       " signed, pages)"),
    "/api/documents/<path:ref>": ("/api/documents/SHA256", "one document: metadata, versions,"
                                  " sections, facts and page texts (pages=0 leaves the texts out)"),
    "/api/agreements": ("/api/agreements", "the agreements on ICE's rosters, a page at a time"
                        " (filters: state, model, status, from, to; page, per_page; next/previous links)"),
    "/api/agreements/<int:agreement_id>": ("/api/agreements/ID", "one agreement and its documents"),
    "/api/agencies": ("/api/agencies", "every agency with its models and number of agreements"),
    "/api/agencies/<state>/<path:key>": ("/api/agencies/STATE/AGENCY_KEY", "one agency: agreements,"
                                         " documents, roster history"),
    "/api/roster": ("/api/roster", "roster snapshots, what changed between the two newest (changes)"
                    " and between every consecutive pair (history)"),
    "/search.csv": ("/search.csv?q=QUERY", "search results as CSV (every hit, not one page)"),
    "/browse.csv": ("/browse.csv", "the agreement list as CSV (same filters as /browse)"),
}


def endpoints() -> dict[str, str]:
    """Every rule under /api/ and every CSV download, with what it gives."""
    out = {}
    for rule in sorted(current_app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.rule in ("/api", "/api/") or not (rule.rule.startswith("/api/") or rule.rule.endswith(".csv")):
            continue
        if rule.rule in DESCRIPTIONS:
            shown, text = DESCRIPTIONS[rule.rule]
        else:
            shown = re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: m[1].upper(), rule.rule)
            doc = (current_app.view_functions[rule.endpoint].__doc__ or "").strip()
            text = " ".join(doc.split("\n\n")[0].split()) or "see README, “Web site and API”"
        out[shown] = text
    return out


def paging(endpoint: str, page: int, pages: int, **view_args) -> dict:
    """next/previous links (absolute; None at either end) carrying this request's
    arguments the site reads."""
    args = request_args()

    def link(n):
        return url_for(endpoint, **view_args, **{**args, "page": n}, _external=True)
    return {"next": link(page + 1) if page < pages else None,
            "previous": link(page - 1) if 1 < page <= pages else None}


@bp.get("")
@bp.get("/")
def index():
    return {"endpoints": endpoints()}


@bp.get("/search")
def search():
    query, error = read_query()
    results, error = search_page(query, error or (None if query else "Give a query: /api/search?q=..."),
                                 per_page=arg_int("per_page", 20, hi=100))
    if error:
        return {"error": "Bad query", "message": error, "status": 400}, 400
    pages = ceil(results.total_documents / results.per_page)
    data = results.to_dict()
    for hit, row in zip(results.hits, data["hits"]):
        doc_url = url_for("documents.show", ref=hit.sha256, q=query, _external=True)
        row["url"] = url_for("documents.show", ref=hit.sha256, _external=True)
        for m in row["matches"]:
            m["url"] = doc_url + (f"#page-{m['page']}" if m["page"] else "")
    hits = data.pop("hits")
    facets = data.pop("facets")
    return {**data, "pages": pages, **paging("api.search", results.page, pages),
            "hits": hits, "facets": facets}


@bp.get("/documents")
def documents():
    return jsonify(document_list())


@bp.get("/documents/<path:ref>")
def document(ref: str):
    """By sha256, its first digits, or ICE's file name."""
    sha = ref if SHA_RE.match(ref) else find(ref)
    doc = document_record(sha)
    if arg_choice("pages", ("0", "1"), "1") == "0":
        doc["pages"] = None
    doc["pdf_url"] = url_for("documents.pdf", sha=sha, _external=True)
    doc["page_url"] = url_for("documents.show", ref=sha, _external=True)
    return jsonify(doc)


@bp.get("/agreements")
def agreements():
    d, flt = archive(), read_filter()
    rows, total, page, pages, per_page = agreements_page(d, flt)
    return {"total": total, "page": page, "per_page": per_page, "pages": pages,
            **paging("api.agreements", page, pages), "filters": flt.to_dict(),
            "agreements": [a.to_dict() for a in rows]}


@bp.get("/agreements/<int:agreement_id>")
def agreement(agreement_id: int):
    return roster_agreements.agreement(archive(), agreement_id).to_dict()


@bp.get("/agencies")
def agencies():
    return jsonify([a.to_dict() for a in roster_agreements.agencies(archive())])


@bp.get("/agencies/<state>/<path:key>")
def agency(state: str, key: str):
    return jsonify(roster_agreements.agency(archive(), state, key))


@bp.get("/roster")
def roster():
    history = roster_changes()
    changes = [pairs[-1] if pairs else
               {"kind": kind, "message": f"fewer than two {kind} roster snapshots: nothing to compare yet"}
               for kind, pairs in history.items()]
    return {"snapshots": roster_snapshots(archive()), "changes": changes, "history": history}
