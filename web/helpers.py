"""Small things every page uses: template filters, URL building, CSV responses,
argument parsing, and highlighting query words in a page's text."""
from __future__ import annotations

import io
import re
import time
from datetime import date

from flask import Flask, Response, abort, current_app, g, request, url_for
from markupsafe import Markup, escape
from werkzeug.exceptions import BadRequest

from archive.harvest.rosters import agency_key
from archive.core.csvout import write_csv
from archive.core.vocabulary import MODEL_NAMES, model_name

SHA_RE = re.compile(r"^[0-9a-f]{64}$")
# The query arguments the site reads. Only these are ever carried from a request into a
# URL it builds (url_with): Flask's own url_for keywords (_external, _scheme, _method,
# _anchor) and anything else a visitor adds are dropped. A blueprint whose pages read
# other arguments lists them in its module's ARGS.
QUERY_ARGS = {"q", "page", "per_page", "sort", "state", "model", "year", "revision", "section",
              "status", "from", "to", "cite", "view", "inline", "pages",
              "a", "b", "era", "top", "fillins", "noise"}
MONTHS = ("January February March April May June July August September October November"
          " December").split()


def install(app: Flask) -> None:
    app.add_template_filter(human_date, "date")
    app.add_template_filter(human_time, "when")
    app.add_template_filter(model_name)
    app.add_template_filter(title_state)
    app.add_template_filter(printed_title)
    app.add_template_filter(safe_snippet)
    app.add_template_global(url_with)
    app.add_template_global(agency_key)
    app.add_template_global(section_label)
    app.add_template_global(title_state, "title_state_fn")
    app.add_template_global(MODEL_NAMES, "MODEL_NAMES")

    @app.context_processor
    def nav():
        return {"nav_links": current_app.config["NAV"]}

    @app.before_request
    def start_clock() -> None:
        g.request_clock = time.perf_counter(), time.thread_time()

    @app.after_request
    def server_timing(resp: Response) -> Response:
        """How long the request held its thread and the CPU time that thread spent on it
        (bench/bench_web.py --crawl reads them, to tell work from waiting)."""
        if "request_clock" in g:
            wall, cpu = (time.perf_counter() - g.request_clock[0]), (time.thread_time() - g.request_clock[1])
            resp.headers["Server-Timing"] = f"wall;dur={wall * 1000:.1f}, cpu;dur={cpu * 1000:.1f}"
        return resp

    @app.after_request
    def security_headers(resp: Response) -> Response:
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        resp.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self';"
            " object-src 'none'; frame-ancestors 'none'; base-uri 'none'")
        return resp


def human_date(value: str | None) -> str:
    """'2025-03-05' -> 'March 5, 2025' (as a lawyer would cite it); '' when unknown."""
    if not value:
        return ""
    try:
        d = date.fromisoformat(value[:10])
    except ValueError:
        return value
    return f"{MONTHS[d.month - 1]} {d.day}, {d.year}"


def human_time(value: str | None) -> str:
    """'2025-07-18T15:16:37Z' -> '2025-07-18 15:16 UTC'."""
    if not value:
        return ""
    return value.replace("T", " ")[:16] + " UTC" if "T" in value else value


def title_state(state: str | None) -> str:
    """'NORTH CAROLINA' -> 'North Carolina'."""
    return (state or "").title()


def safe_snippet(snippet: str) -> Markup:
    """A search snippet with only <mark> kept: whatever the library escaped or not,
    nothing but the highlight can reach the page as markup."""
    text = str(escape(Markup(snippet).unescape()))
    return Markup(text.replace("&lt;mark&gt;", "<mark>").replace("&lt;/mark&gt;", "</mark>"))


def section_label(key: str | None) -> str:
    """'liability' -> 'Liability'; 'appendix_a' -> 'Appendix a'."""
    return (key or "unknown").replace("_", " ").replace("-", " ").capitalize()


def printed_title(title: str | None) -> str:
    """A section title as printed, but an ALL-CAPS heading in title case for citing:
    'LIABILITY AND RESPONSIBILITY' -> 'Liability and Responsibility'."""
    if not title or not title.isupper():
        return title or ""
    small = {"a", "an", "and", "as", "at", "by", "for", "in", "of", "on", "or", "the", "to", "with"}
    words = title.lower().split()
    return " ".join(w if i and w in small else w[:1].upper() + w[1:] for i, w in enumerate(words))


def request_args(*names: str) -> dict[str, list[str]]:
    """This request's query arguments that the site reads (QUERY_ARGS, or *names*), as
    lists: safe to pass to url_for."""
    allowed = set(names) if names else current_app.config.get("QUERY_ARGS", QUERY_ARGS)
    return {k: v for k, v in request.args.to_dict(flat=False).items() if k in allowed}


def url_with(endpoint: str | None = None, **changes) -> str:
    """The current URL (or *endpoint*) with some query arguments changed; None removes one.
    List values become repeated arguments. Only arguments the site reads are carried over."""
    view_args = dict(request.view_args or {}) if endpoint is None else {}
    args = {k: v for k, v in request_args().items() if k not in view_args}
    for k, v in changes.items():
        if v is None or v == [] or v == "":
            args.pop(k, None)
        else:
            args[k] = v if isinstance(v, list) else [v]
    return url_for(endpoint or request.endpoint, **view_args, **args)


def arg_list(name: str) -> list[str]:
    """A repeatable filter argument: ?state=TEXAS&state=ALABAMA (empty values dropped)."""
    return [v.strip() for v in request.args.getlist(name) if v.strip()][:50]


def bad_argument(name: str, why: str) -> BadRequest:
    """A 400 for a query argument, in the site's terms (what is wrong, what to give)."""
    value = request.args.get(name, "")
    shown = value if len(value) <= 40 else value[:40] + "…"
    return BadRequest(f"{name}={shown} in the address is not usable: {why}.")


def arg_int(name: str, default: int, lo: int = 1, hi: int = 10_000) -> int:
    """An integer argument from *lo* to *hi*; absent or empty: *default*; anything else
    is a 400 that says what to give."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not lo <= value <= hi:
        raise bad_argument(name, f"give a whole number from {lo} to {hi:,}")
    return value


def arg_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    """One of *choices* (absent or empty: *default*), else a 400 listing them."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    if raw not in choices:
        raise bad_argument(name, "give one of " + ", ".join(choices))
    return raw


def arg_date(name: str) -> str | None:
    """A date bound YYYY, YYYY-MM or YYYY-MM-DD that exists on the calendar (absent or
    empty: None), else a 400."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    m = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", raw)
    try:
        if not m:
            raise ValueError
        date(int(m[1]), int(m[2] or 1), int(m[3] or 1))
    except ValueError:
        raise bad_argument(name, "give a date as YYYY, YYYY-MM or YYYY-MM-DD, e.g. 2025-03-05") from None
    return raw


def check_page(page: int, pages: int, name: str = "page") -> None:
    """A 400 when *page* is past the last page of results (page 1 always exists)."""
    if page > max(pages, 1):
        there = "is 1 page" if pages == 1 else f"are {pages} pages" if pages else "is only page 1"
        raise BadRequest(f"{name}={page} in the address is past the last page: there {there} of results.")


def check_sha(sha: str) -> str:
    """A sha256 from the URL: 64 lower-case hex digits, else 404 (never reaches the disk)."""
    sha = sha.lower()
    if not SHA_RE.match(sha):
        abort(404)
    return sha


def csv_response(rows: list[dict], columns: list[str], filename: str) -> Response:
    buf = io.StringIO()
    write_csv(buf, rows, columns)
    return Response(buf.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


