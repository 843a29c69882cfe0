"""ICE's 287(g) pages: find the rosters, templates and archived MOAs (see ICE_SITE.md)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

from archive.core.dates import parse_date
from archive.core.errors import FetchError
from archive.core.vocabulary import MODEL_PATTERN, code_for

SAFELINKS_SUFFIX = "safelinks.protection.outlook.com"


def unwrap_safelinks(url: str) -> str:
    """The real URL inside an Outlook SafeLinks wrapper (its ``url`` parameter); other
    URLs unchanged. The wrapper host itself is never fetched."""
    parts = urlsplit(url.strip())
    if (parts.hostname or "").endswith(SAFELINKS_SUFFIX):
        inner = parse_qs(parts.query).get("url")
        if inner:
            return unwrap_safelinks(inner[0])
    return url.strip()


_TEMPLATE = re.compile(r"^\s*(TTFM|JEM|TFM|WSO)\s+MOA\s*\(\s*fillable\s*\)", re.I)
_ARCHIVE_LINK = re.compile(rf"^(?P<agency>.+?)\s*[\[(]?\s*(?P<model>{MODEL_PATTERN})\s*[\])]?\s*\((?P<date>[^)]*)\)\s*$", re.I)


@dataclass
class Link:
    url: str
    text: str
    context: str = ""        # the archive page's state heading the link sits under


@dataclass
class ProgramPage:
    participating: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    templates: dict[str, str] = field(default_factory=dict)    # model -> URL
    archive_page: str | None = None


@dataclass
class ArchivedMoa:
    url: str
    state: str | None
    agency: str | None
    model: str | None
    signed: str | None


class _Links(HTMLParser):
    """Collects <a href> links with their text, and the latest accordion-title text."""

    def __init__(self, base: str):
        super().__init__(convert_charrefs=True)
        self.base, self.links, self.heading = base, [], ""
        self._a: dict | None = None
        self._h: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self._a = {"href": a["href"], "text": []}
        elif tag in ("h2", "h3", "h4") and "accordion-title" in (a.get("class") or ""):
            self._h = []

    def handle_data(self, data):
        if self._a is not None:
            self._a["text"].append(data)
        if self._h is not None:
            self._h.append(data)

    def handle_endtag(self, tag):
        if tag == "a" and self._a is not None:
            href = self._a["href"].strip()
            if not href.startswith(("#", "mailto:", "javascript:")):
                url = unwrap_safelinks(urljoin(self.base, href))
                self.links.append(Link(url, _squash("".join(self._a["text"])), self.heading))
            self._a = None
        elif tag in ("h2", "h3", "h4") and self._h is not None:
            self.heading = _squash("".join(self._h))
            self._h = None


def _squash(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def links(html: str, base_url: str) -> list[Link]:
    parser = _Links(base_url)
    parser.feed(html)
    parser.close()
    return parser.links


def parse_program_page(html: str, base_url: str) -> ProgramPage:
    """Find the roster workbooks, the fillable templates and the archive page. Raises
    FetchError naming *base_url* when no participating roster is linked (the page changed)."""
    page = ProgramPage()
    for link in links(html, base_url):
        path = urlsplit(link.url).path.lower()
        if path.endswith(".xlsx") and "/287g/participating" in path:
            page.participating.append(link.url)
        elif path.endswith(".xlsx") and "/287g/pending" in path:
            page.pending.append(link.url)
        elif (m := _TEMPLATE.match(link.text)):
            page.templates.setdefault(m.group(1).upper(), link.url)
        elif "archived 287(g) moas" in link.text.lower() or path.rstrip("/").endswith("/287g-archive"):
            page.archive_page = page.archive_page or link.url
    page.participating = list(dict.fromkeys(page.participating))
    page.pending = list(dict.fromkeys(page.pending))
    if not page.participating:
        raise FetchError(base_url, "no participating-agencies workbook (…/287g/participating….xlsx) "
                                   "is linked from this page: has ICE changed it? Check --source-url")
    return page


def parse_archive_page(html: str, base_url: str) -> list[ArchivedMoa]:
    """The archive page's PDF links, with state (accordion heading), agency, model and
    date read from link text like "Agency [JEM] (Mar. 11, 2020)"."""
    out, seen = [], set()
    for link in links(html, base_url):
        if not urlsplit(link.url).path.lower().endswith(".pdf") or link.url in seen:
            continue
        seen.add(link.url)
        m = _ARCHIVE_LINK.match(link.text)
        out.append(ArchivedMoa(
            url=link.url, state=link.context.upper() or None,
            agency=m.group("agency").strip(" -–,") if m else (link.text or None),
            model=code_for(m.group("model")) if m else None,
            signed=parse_date(m.group("date")) if m else None))
    return out
