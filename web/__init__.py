"""The Flask site researchers use: search, documents, agencies, browse, roster, API.

``create_app`` builds the app; nothing is created at import time. The site opens the
archive read-only (one connection per request); derived caches (page images) go under
``DataDir.cache_dir``.

Adding an area is one line: append its module to ``BLUEPRINTS``. The module must define
``bp`` (a Blueprint) and may define ``NAV = ("Label", "endpoint")`` (or a list of such)
to get links in the site's navigation bar. Templates extend ``base.html`` and fill
``{% block title %}`` and ``{% block main %}``.
"""
from __future__ import annotations

import importlib
import logging
import os
import re
import sqlite3

from flask import Flask, g, render_template, request
from werkzeug.exceptions import HTTPException

from archive.core import config as moa_config
from archive.core.errors import AmbiguousReference, IndexBusy, IndexNotBuilt, MoaError, NotFound
from store.datadir import DataDir

BLUEPRINTS = (
    "web.search_views",
    "web.documents",
    "web.browse",
    "web.agencies",
    "web.api",
    "web.compare_views",
    "web.feeds",
    "web.coverage",
)

MAX_QUERY_LENGTH = 500  # characters; longer queries are refused with a clear message

log = logging.getLogger(__name__)


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_mapping(
        DATA_DIR=os.environ.get("MOA_DATA_DIR", moa_config.DEFAULT_DATA_DIR),
        MAX_QUERY_LENGTH=MAX_QUERY_LENGTH,
    )
    if config:
        app.config.update(config)
    app.json.sort_keys = False
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    from web import helpers

    nav, args = [], set(helpers.QUERY_ARGS)
    for name in BLUEPRINTS:
        module = importlib.import_module(name)
        app.register_blueprint(module.bp)
        links = getattr(module, "NAV", None) or []
        nav.extend(links if isinstance(links, list) else [links])
        args.update(getattr(module, "ARGS", ()))
    app.config["NAV"] = nav
    app.config["QUERY_ARGS"] = frozenset(args)

    helpers.install(app)

    app.teardown_appcontext(_close_archive)
    _install_error_pages(app)
    return app


def serve(data_dir, *, host: str = "127.0.0.1", port: int = 8287, threads: int = 8,
          announce=lambda message: None) -> None:
    """Run the site with waitress until interrupted."""
    from waitress.server import create_server

    root = DataDir(data_dir).root
    if not DataDir(root).db_path.is_file():
        announce(f"warning: no archive at {root} yet: pages will say so until `moa update` runs")
    app = create_app({"DATA_DIR": str(root)})
    warm(app)
    server = create_server(app, host=host, port=port, threads=threads, ident="moa-archive")
    announce(f"serving {root} at http://{host}:{server.effective_port}/ (Ctrl-C to stop)")
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


def warm(app: Flask) -> None:
    """Pay before listening what the first requests of a new server would: every template
    compiled, and the compare stage's libraries and word counts loaded (a second or two
    that the first visitors, or a crawl begun at once, would otherwise wait for)."""
    from archive import compare
    for name in app.jinja_env.list_templates():
        app.jinja_env.get_template(name)
    compare.warm()


def archive() -> DataDir:
    """The archive for this request, opened read-only on first use."""
    if "archive" not in g:
        from flask import current_app
        d = DataDir(current_app.config["DATA_DIR"], readonly=True)
        try:
            d.db
        except sqlite3.OperationalError as e:
            raise ArchiveMissing(f"This site has no archive to show yet. For whoever runs it: no "
                                 f"archive database at {d.db_path}: run `moa update` (or `moa import`) "
                                 "first, or point MOA_DATA_DIR at an archive") from e
        g.archive = d
    return g.archive


class ArchiveMissing(MoaError):
    """The data directory holds no archive yet."""


class AmbiguousPrefix(MoaError):
    """The first digits of a sha256 that several documents share; *matches* lists them."""

    def __init__(self, prefix: str, matches: list[dict], more: bool):
        self.matches = matches
        super().__init__(f"{prefix!r} is the start of the SHA-256 of {'more than ' if more else ''}"
                         f"{len(matches)} documents. Pick one below, or give more of its digits.")


def _close_archive(exc) -> None:
    d = g.pop("archive", None)
    if d is not None:
        d.close()


GENERIC = {
    400: "This address asks for something the site cannot give. Check it, or start again from the search.",
    404: "There is nothing at this address. Try the search, or browse all agreements.",
    500: "The server could not complete this request.",
    503: "This part of the site is not available right now. Please try again later.",
}


def web_terms(message: str, fallback: str) -> str:
    """A library message (written for the command line too) without its hints about
    `moa` commands: parentheses and clauses that name one are dropped; *fallback* if
    nothing else is left."""
    if "`moa " not in message:
        return message
    text = re.sub(r"\s*\([^()]*`moa [^()]*\)", "", message)
    text = "; ".join(part for part in re.split(r";\s+", text) if "`moa " not in part)
    text = re.sub(r"[:,]\s*(?:run|see|use|pass)\b[^.;]*`moa [^.;]*", "", text).strip(" ;:,")
    return text if text and "`moa " not in text else fallback


def _install_error_pages(app: Flask) -> None:
    def wants_json() -> bool:
        return request.path.startswith("/api/")

    def page(status: int, title: str, message: str, **extra):
        if status < 500:         # the visitor's own request: in web terms, no CLI commands
            message = web_terms(message, GENERIC.get(status, GENERIC[400]))
        if wants_json():
            return {"error": title, "message": message, "status": status, **extra}, status
        return render_template("error.html", status=status, title=title, message=message,
                               **extra), status

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        titles = {404: "Not found", 405: "Method not allowed", 400: "Bad request"}
        message = e.description if e.code != 404 else GENERIC[404]
        return page(e.code or 500, titles.get(e.code, e.name), message)

    @app.errorhandler(NotFound)
    def not_found(e: NotFound):
        return page(404, "Not found", str(e))

    @app.errorhandler(AmbiguousReference)
    def ambiguous(e: AmbiguousReference):
        return page(400, "Ambiguous reference", str(e))

    @app.errorhandler(AmbiguousPrefix)
    def ambiguous_prefix(e: AmbiguousPrefix):
        return page(400, "Ambiguous reference", str(e), matches=e.matches)

    @app.errorhandler(ArchiveMissing)
    def missing(e: ArchiveMissing):
        return page(503, "No archive yet", str(e))

    @app.errorhandler(IndexNotBuilt)
    def index_not_built(e: IndexNotBuilt):
        return page(503, "Search index not built", f"{e}. Everything else works meanwhile.")

    @app.errorhandler(IndexBusy)
    def busy(e: IndexBusy):
        return page(503, "Search is being rebuilt", f"{e}. Everything else works meanwhile.")

    @app.errorhandler(Exception)
    def server_error(e: Exception):
        log.exception("error serving %s", request.path)
        return page(500, "Something went wrong",
                    "The server could not complete this request. The error has been logged; "
                    "please try again, or report the address you were visiting.")
