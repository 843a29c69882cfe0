"""Atom feeds (RFC 4287, UTF-8), written with feedgen from archive.watch.feeds:
/feeds/documents.atom, /feeds/roster.atom and /search.atom?q=... (same filters as the
search page). Each page a feed mirrors names it in a <link rel="alternate"> (and its footer)."""
from __future__ import annotations

import hashlib
import re
from datetime import datetime, timezone

from feedgen.feed import FeedGenerator
from flask import Blueprint, Response, render_template, request, url_for
from markupsafe import escape

from archive.core.errors import QueryError
from archive.watch import feeds
from web import archive
from web.helpers import arg_int, request_args, safe_snippet
from web.search_views import read_filters, read_query

bp = Blueprint("feeds", __name__)

SITE = "287(g) Agreements Archive"
EPOCH = "1970-01-01T00:00:00Z"      # "updated" of a feed with no entry yet (stable, not "now")
PAGE_FEEDS = {"documents.index": ("feeds.documents", "Atom feed: new documents and versions"),
              "browse.roster": ("feeds.roster", "Atom feed: roster changes")}


def _limit() -> int:
    return arg_int("limit", feeds.DEFAULT_ENTRIES, 1, feeds.MAX_ENTRIES)


@bp.get("/feeds/documents.atom")
def documents():
    entries = feeds.document_entries(archive(), _limit())
    return _atom(f"{feeds.TAG}feed:documents", f"{SITE}: new documents and versions",
                 url_for("documents.index", _external=True), entries)


@bp.get("/feeds/roster.atom")
def roster():
    entries = feeds.roster_entries(archive(), _limit())
    return _atom(f"{feeds.TAG}feed:roster", f"{SITE}: changes to ICE's 287(g) rosters",
                 url_for("browse.roster", _external=True), entries)


@bp.get("/search.atom")
def search():
    query, error = read_query()
    if not error and not query:
        error = "Give a query (?q=...): the feed lists the documents it finds, newest first."
    filters = read_filters()
    if not error:
        try:
            entries = feeds.search_entries(archive(), query, filters, _limit())
        except QueryError as e:
            error = str(e)
    if error:
        return render_template("error.html", status=400, title="Bad query", message=error), 400
    which = hashlib.sha256(repr((query, sorted(filters.items()))).encode()).hexdigest()[:32]
    return _atom(f"{feeds.TAG}feed:search:{which}", f"{SITE}: search {query}",
                 url_for("search.index", q=query, **filters, _external=True), entries)


def _atom(feed_id: str, title: str, alternate: str, entries: list[feeds.FeedEntry]) -> Response:
    fg = FeedGenerator()
    fg.id(feed_id)
    fg.title(title)
    fg.author(name=SITE)
    fg.link(href=alternate, rel="alternate", type="text/html")
    fg.link(href=request.url, rel="self", type="application/atom+xml")
    fg.updated(_time(max((e.updated for e in entries), default=EPOCH)))
    for e in entries:
        fe = fg.add_entry(order="append")
        fe.id(e.id)
        fe.title(xml_text(e.title))
        fe.updated(_time(e.updated))
        fe.link(href=_entry_link(e), rel="alternate", type="text/html")
        fe.summary(xml_text(e.summary))
        if e.snippets:
            # <mark> is not in feed readers' safe lists (feedparser strips it): hits in <strong>.
            fe.content(xml_text("".join(f"<blockquote>{_strong(s)}</blockquote>" for s in e.snippets)
                                + f"<p>{escape(e.summary)}</p>"), type="html")
    return Response(fg.atom_str(pretty=True, encoding="UTF-8"),
                    mimetype="application/atom+xml", content_type="application/atom+xml; charset=utf-8")


# Characters XML 1.0 cannot hold (control characters, as OCR of a smudge can give, and
# non-characters): dropped from what goes into a feed.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    return NOT_XML.sub("", text)


def _strong(snippet: str) -> str:
    return str(safe_snippet(snippet)).replace("<mark>", "<strong>").replace("</mark>", "</strong>")


def _entry_link(e: feeds.FeedEntry) -> str:
    if e.document:
        return url_for("documents.show", ref=e.document, _external=True)
    if e.agency:
        return url_for("agencies.show", state=e.agency[0], key=e.agency[1], _external=True)
    return url_for("browse.roster", _external=True)


def _time(iso: str) -> datetime:
    return datetime.strptime(iso[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)


@bp.app_context_processor
def page_feeds() -> dict:
    """The feeds of the page being shown: [(title, href)], for <link rel="alternate">."""
    out = []
    endpoint = request.endpoint
    if endpoint == "search.index" and request.args.get("q", "").strip():
        # only arguments the site reads: never url_for's own (_external, _scheme, ...)
        args = {k: v for k, v in request_args().items() if k not in ("page", "sort")}
        out.append(("Atom feed of this search, newest first", url_for("feeds.search", **args)))
    elif endpoint in PAGE_FEEDS:
        feed, label = PAGE_FEEDS[endpoint]
        out.append((label, url_for(feed)))
    return {"page_feeds": out}
