"""The JSON API: the same data as the pages (documented in README, "Web site and API")."""
from __future__ import annotations

from flask import Blueprint, jsonify, request, url_for

from archive.core.refs import resolve
from web import archive
from web import queries as q
from web.browse import read_filter
from web.helpers import SHA_RE, arg_int
from web.search_views import read_query, search_page

bp = Blueprint("api", __name__, url_prefix="/api")

ENDPOINTS = {
    "/api/search?q=QUERY": "search: hits grouped by document, with matches and facets",
    "/api/documents": "every document (sha256, file name, agency, state, model, signed, pages)",
    "/api/documents/SHA256": "one document: metadata, versions, sections, facts and page texts",
    "/api/agreements": "every agreement on ICE's rosters (filters: state, model, status, from, to)",
    "/api/agreements/ID": "one agreement and its documents",
    "/api/agencies": "every agency with its models and number of agreements",
    "/api/agencies/STATE/AGENCY_KEY": "one agency: agreements, documents, roster history",
    "/api/roster": "roster snapshots, what changed between the two newest (changes) and between"
                   " every consecutive pair (history)",
    "/search.csv?q=QUERY": "search results as CSV (every hit, not one page)",
    "/browse.csv": "the agreement list as CSV (same filters as /browse)",
}


@bp.get("")
@bp.get("/")
def index():
    return {"endpoints": ENDPOINTS}


@bp.get("/search")
def search():
    query, error = read_query()
    results, error = search_page(query, error or (None if query else "Give a query: /api/search?q=..."),
                                 per_page=arg_int("per_page", 20, hi=100))
    if error:
        return {"error": "Bad query", "message": error, "status": 400}, 400
    data = results.to_dict()
    for hit, row in zip(results.hits, data["hits"]):
        doc_url = url_for("documents.show", ref=hit.sha256, q=query, _external=True)
        row["url"] = url_for("documents.show", ref=hit.sha256, _external=True)
        for m in row["matches"]:
            m["url"] = doc_url + (f"#page-{m['page']}" if m["page"] else "")
    return data


@bp.get("/documents")
def documents():
    return jsonify(q.document_list(archive().db))


@bp.get("/documents/<path:ref>")
def document(ref: str):
    """By sha256, or anything archive.core.refs.resolve accepts (prefix, ICE's file name)."""
    conn = archive().db
    sha = ref if SHA_RE.match(ref) else resolve(conn, ref)
    doc = q.document(conn, sha)
    doc["sections"] = q.sections(conn, sha)
    doc["form_fields"] = q.form_fields(conn, sha)
    doc["pages"] = q.pages(conn, sha) if request.args.get("pages", "1") != "0" else None
    doc["pdf_url"] = url_for("documents.pdf", sha=sha, _external=True)
    doc["page_url"] = url_for("documents.show", ref=sha, _external=True)
    return jsonify(doc)


@bp.get("/agreements")
def agreements():
    return jsonify(q.agreements(archive().db, read_filter()))


@bp.get("/agreements/<int:agreement_id>")
def agreement(agreement_id: int):
    return jsonify(q.agreement(archive().db, agreement_id))


@bp.get("/agencies")
def agencies():
    return jsonify(q.agencies(archive().db))


@bp.get("/agencies/<state>/<path:key>")
def agency(state: str, key: str):
    return jsonify(q.agency(archive().db, state, key))


@bp.get("/roster")
def roster():
    conn = archive().db
    return {"snapshots": q.roster_snapshots(conn), "changes": q.roster_changes(archive()),
            "history": q.roster_pair_history(archive())}
