"""End to end in headless Chromium: the real app under waitress, on an archive built from
corpus files. Search, open a hit on the right page, download the PDF. Screenshots go to
test-artifacts/."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from browser import MARKS, browser, site  # noqa: F401 (fixtures)

pytestmark = MARKS


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.errors = errors
    yield pg
    context.close()


def test_search_open_hit_on_its_page_and_download_pdf(site, page, artifacts_dir, fixture_archive):
    page.goto(site + "/")
    page.screenshot(path=str(artifacts_dir / "web-1-home.png"))

    page.fill("#q", "training")
    page.press("#q", "Enter")
    page.wait_for_selector("li.hit")
    assert re.search(r"\d+ agreements? match", page.inner_text(".results-head"))
    assert page.locator("li.hit mark").count() > 0
    page.screenshot(path=str(artifacts_dir / "web-2-results.png"))

    # a facet narrows the results (the checkbox submits the form by itself)
    total = int(re.search(r"(\d+) agreements? match", page.inner_text(".results-head")).group(1))
    page.check("input[name=state][value=TEXAS]")
    page.wait_for_url(re.compile(r"state=TEXAS"))
    narrowed = int(re.search(r"(\d+) agreements? match", page.inner_text(".results-head")).group(1))
    assert 0 < narrowed < total
    assert all("Texas" in m for m in page.locator("li.hit .meta").all_inner_texts())

    # open the first match: the document opens on that page, with the words highlighted
    link = page.locator("ul.matches a.where").first
    href = link.get_attribute("href")
    n = int(re.search(r"#page-(\d+)$", href).group(1))
    sha = re.search(r"/doc/([0-9a-f]{64})", href).group(1)
    link.click()
    page.wait_for_url(re.compile(rf"/doc/{sha}.*#page-{n}$"))
    target = page.locator(f"#page-{n}")
    box = target.bounding_box()
    assert box is not None and abs(box["y"]) < 60, box    # scrolled to that page
    assert target.locator(".page-text mark").count() > 0
    img = target.locator("img")
    img.wait_for()
    page.wait_for_load_state("networkidle")
    src = img.get_attribute("src")
    assert src.endswith(f"/page/{n}.png")
    assert page.request.get(site + src).body()[:4] == b"\x89PNG"
    page.screenshot(path=str(artifacts_dir / "web-3-document-page.png"))
    page.keyboard.press("n")                 # the little script: step to the next highlight
    assert page.locator(".page-text mark.current").count() == 1
    assert page.inner_text("#mark-nav .where").startswith("1 of ")

    with page.expect_download() as info:
        page.click("text=Download the original PDF")
    download = info.value
    data = Path(download.path()).read_bytes()
    assert hashlib.sha256(data).hexdigest() == sha
    name = fixture_archive.db.execute("SELECT file_name FROM documents WHERE sha256 = ?", (sha,)).fetchone()[0]
    assert download.suggested_filename == name

    page.goto(f"{site}/doc/{sha}?cite={n}#cite")
    assert f", at {n}" in page.inner_text("#citation")
    page.screenshot(path=str(artifacts_dir / "web-4-cite.png"))
    assert page.errors == []


def test_bad_query_and_browse_pages(site, page, artifacts_dir):
    page.goto(site + '/search?q="hold harmless')
    assert "could not be run" in page.inner_text(".alert")
    page.screenshot(path=str(artifacts_dir / "web-5-bad-query.png"))
    page.goto(site + "/browse?state=TEXAS")
    assert page.locator("table.agreements tbody tr").count() > 0
    page.screenshot(path=str(artifacts_dir / "web-6-browse.png"))
    page.goto(site + "/roster")
    page.screenshot(path=str(artifacts_dir / "web-7-roster.png"))
    assert [e for e in page.errors if "status of 400" not in e] == []  # the bad query's own 400


# --- phone, keyboard, headings (issue 17, items 8 and 9) ----------------------------------

def _sha(fixture_archive, name: str) -> str:
    return fixture_archive.db.execute("SELECT sha256 FROM documents WHERE file_name = ?", (name,)).fetchone()[0]


PHONE_PAGES = ["/", "/search?q=training", "/search?q=officer&state=TEXAS", '/search?q="unbalanced',
               "/doc/{sha}", "/doc/{sha}?q=training", "/browse", "/browse?state=TEXAS&page=1",
               "/agencies", "/roster", "/documents"]


@pytest.mark.parametrize("width", [360, 390])
def test_no_horizontal_scroll_on_a_phone(browser, site, fixture_archive, artifacts_dir, width):
    sha = _sha(fixture_archive, "FranklinCountyAL_WSO_MOA_030625.pdf")
    context = browser.new_context(viewport={"width": width, "height": 844}, is_mobile=True)
    pg = context.new_page()
    try:
        for path in PHONE_PAGES:
            pg.goto(site + path.format(sha=sha))
            scroll, view = pg.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
            assert scroll <= view, f"{path} at {width} px is {scroll} px wide"
        pg.goto(site + "/search?q=training")
        # the first result comes before the filters, near the top of the screen
        first = pg.locator("li.hit").first.bounding_box()
        filters = pg.locator("aside.facets").bounding_box()
        assert first["y"] < filters["y"] and first["y"] < 844, (first, filters)
        pg.screenshot(path=str(artifacts_dir / f"web-phone-{width}-search.png"))
        pg.goto(site + "/browse")
        assert pg.locator("table.agreements tbody tr").first.bounding_box()["y"] < pg.locator("aside.facets").bounding_box()["y"]
        pg.screenshot(path=str(artifacts_dir / f"web-phone-{width}-browse.png"))
    finally:
        context.close()


def test_exactly_one_h1_on_every_page(page, site, fixture_archive):
    sha = _sha(fixture_archive, "FranklinCountyAL_WSO_MOA_030625.pdf")
    for path in PHONE_PAGES + ["/doc/nothing-like-this.pdf", "/search?q=training&page=999",
                               "/agency/ALABAMA/franklin county sheriff's office"]:
        page.goto(site + path.format(sha=sha))
        assert page.locator("h1").count() == 1, path


def test_skip_link_takes_the_keyboard_to_the_results(page, site):
    page.goto(site + "/search?q=training")
    page.keyboard.press("Tab")
    skip = page.evaluate("[document.activeElement.textContent, document.activeElement.getAttribute('href')]")
    assert skip == ["Skip to results", "#results"]
    assert page.locator("a.skip:focus").bounding_box()["x"] >= 0          # shown when focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "results"
    # a few Tabs reach the first result's link (the sort links come first)
    for _ in range(8):
        page.keyboard.press("Tab")
        if page.evaluate("!!document.activeElement.closest('li.hit')"):
            break
    assert page.evaluate("!!document.activeElement.closest('li.hit')")


def test_focus_stays_on_the_filter_after_it_applies(page, site):
    page.goto(site + "/search?q=officer")
    box = page.locator("input[name=state][value=TEXAS]")
    box.focus()
    with page.expect_navigation():
        page.keyboard.press("Space")             # ticking it applies the filter (reload)
    assert "state=TEXAS" in page.url
    focused = page.evaluate("[document.activeElement.name, document.activeElement.value, document.activeElement.checked]")
    assert focused == ["state", "TEXAS", True]
    with page.expect_navigation():
        page.keyboard.press("Space")             # and unticking it, too
    assert "state=TEXAS" not in page.url
    assert page.evaluate("[document.activeElement.name, document.activeElement.value]") == ["state", "TEXAS"]
    page.goto(site + "/search?q=officer")          # a fresh visit: no checkbox takes the focus
    assert page.evaluate("document.activeElement.type") != "checkbox"


def test_one_apply_filters_button_with_or_without_javascript(browser, site):
    for js in (False, True):
        context = browser.new_context(java_script_enabled=js, viewport={"width": 1200, "height": 900})
        pg = context.new_page()
        try:
            pg.goto(site + "/search?q=officer")
            visible = pg.locator("button:has-text('Apply filters')").evaluate_all(
                "bs => bs.filter(b => b.offsetParent !== null).length")
            assert visible == (0 if js else 1), js      # with JS a ticked box applies at once
            if not js:
                pg.check("input[name=state][value=TEXAS]")
                with pg.expect_navigation():
                    pg.click("button:has-text('Apply filters')")
                assert "state=TEXAS" in pg.url
        finally:
            context.close()
