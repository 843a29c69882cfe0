"""The search page (also the home page) and its CSV download."""
from __future__ import annotations

from math import ceil

from flask import Blueprint, current_app, render_template, request

from archive.core.errors import QueryError
from archive.search import search
from archive.status import holdings
from web import archive
from web.helpers import arg_choice, arg_int, arg_list, check_page, csv_response

bp = Blueprint("search", __name__)
NAV = ("Search", "search.index")

FACETS = (("state", "State"), ("model", "Model"), ("year", "Year signed"),
          ("revision", "Template revision"), ("section", "Section"))
SORTS = ("relevance", "newest", "oldest")   # by score; by signing date, either way
SEARCH_SORT = {"relevance": "relevance", "newest": "signed", "oldest": "oldest", "signed": "signed"}
PER_PAGE = 20
CSV_COLUMNS = ["sha256", "file_name", "agency", "state", "model", "signed", "revision", "score",
               "pages", "section", "url"]


def read_query() -> tuple[str, str | None]:
    """The ?q= argument, trimmed; and an error message when it is over the length cap."""
    query = " ".join(request.args.get("q", "").split())
    limit = current_app.config["MAX_QUERY_LENGTH"]
    if len(query) > limit:
        return "", f"The query is {len(query)} characters long; the limit is {limit}. Shorten it."
    return query, None


def read_filters() -> dict[str, list[str]]:
    return {name: arg_list(name) for name, _ in FACETS if arg_list(name)}


def read_sort() -> str:
    """relevance, newest or oldest (``signed``, the old name of newest, still works);
    anything else is a 400."""
    sort = arg_choice("sort", SORTS + ("signed",), "relevance")
    return "newest" if sort == "signed" else sort


def run_search(query: str, **kwargs):
    """archive.search.search on this request's archive (raises QueryError)."""
    return search(archive(), query, **kwargs)


def search_page(query: str, query_error: str | None, *, per_page: int = PER_PAGE,
                all_results: bool = False):
    """Run the search the request asks for; (results or None, error message or None)."""
    if query_error or not query:
        return None, query_error
    page = arg_int("page", 1)
    try:
        results = run_search(query, filters=read_filters(), sort=SEARCH_SORT[read_sort()],
                             page=page, per_page=per_page, all_results=all_results)
    except QueryError as e:
        return None, str(e)
    if not all_results:
        check_page(page, ceil(results.total_documents / per_page))
    return results, None


@bp.get("/")
@bp.get("/search")
def index():
    query, error = read_query()
    results, error = search_page(query, error)
    status = 400 if error else 200
    pages = ceil(results.total_documents / results.per_page) if results else 0
    return render_template(
        "search.html", query=query, error=error, results=results, pages=pages,
        filters=read_filters(), sort=read_sort(), facets=FACETS,
        summary=holdings(archive()) if not query else None), status


@bp.get("/search.csv")
def csv_download():
    query, error = read_query()
    results, error = search_page(query, error or (None if query else "Give a query (?q=...)."),
                                 all_results=True)
    if error:
        return render_template("error.html", status=400, title="Bad query", message=error), 400
    return csv_response([hit_row(h) for h in results.hits], CSV_COLUMNS, "moa-search.csv")


def hit_row(hit) -> dict:
    """One search hit as a flat record (CSV and JSON)."""
    from flask import url_for
    return {
        "sha256": hit.sha256, "file_name": hit.file_name, "agency": hit.agency,
        "state": hit.state, "model": hit.model, "signed": hit.signed, "revision": hit.revision,
        "score": round(hit.score, 4), "pages": " ".join(map(str, hit.pages)),
        "section": hit.section,
        "url": url_for("documents.show", ref=hit.sha256, _external=True),
    }
