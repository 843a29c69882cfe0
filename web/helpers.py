"""Small things every page uses: template filters, URL building, CSV responses,
argument parsing, and highlighting query words in a page's text."""
from __future__ import annotations

import csv
import io
import re
from datetime import date

from flask import Flask, Response, abort, current_app, request, url_for
from markupsafe import Markup, escape

from archive.harvest.rosters import agency_key
from archive.core.vocabulary import MODEL_NAMES, model_name

SHA_RE = re.compile(r"^[0-9a-f]{64}$")
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


def url_with(endpoint: str | None = None, **changes) -> str:
    """The current URL (or *endpoint*) with some query arguments changed; None removes one.
    List values become repeated arguments."""
    args = request.args.to_dict(flat=False)
    for k, v in changes.items():
        if v is None or v == [] or v == "":
            args.pop(k, None)
        else:
            args[k] = v if isinstance(v, list) else [v]
    view_args = dict(request.view_args or {}) if endpoint is None else {}
    return url_for(endpoint or request.endpoint, **view_args, **args)


def arg_list(name: str) -> list[str]:
    """A repeatable filter argument: ?state=TEXAS&state=ALABAMA (empty values dropped)."""
    return [v.strip() for v in request.args.getlist(name) if v.strip()][:50]


def arg_int(name: str, default: int, lo: int = 1, hi: int = 10_000) -> int:
    try:
        return min(max(int(request.args.get(name, default)), lo), hi)
    except ValueError:
        return default


def check_sha(sha: str) -> str:
    """A sha256 from the URL: 64 lower-case hex digits, else 404 (never reaches the disk)."""
    sha = sha.lower()
    if not SHA_RE.match(sha):
        abort(404)
    return sha


def csv_response(rows: list[dict], columns: list[str], filename: str) -> Response:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore", lineterminator="\r\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: _csv_safe(r.get(k)) for k in columns})
    return Response(buf.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _csv_safe(value):
    """Neutralise spreadsheet formulas (CSV injection): a leading = + - @ gets a quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value
