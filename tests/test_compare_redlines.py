"""Redlines of the verbatim text (issue 17, item 5): one OCR-confusion model decides what is
noise; redlines show each agreement's own words (fill-ins and noise faint and labelled,
never removed, never taken from another agreement); two synchronised columns and the
inline view; a change navigator; export as HTML and Word. Real sections of the fixture
PDFs, damaged the way OCR damages text, and the real site on the fixture archive."""
from __future__ import annotations

import importlib
import io
import random
import re
from pathlib import Path

import pytest

from archive import compare
from archive.compare.normalize import tokenize_spans
from archive.read.ocr_confusions import confusable
from ocr_damage import misread_words
from test_compare import FINNEY, FRANKLIN, LAWRENCE, SMITH, TX_JAN, compare_site, cut, sha  # noqa: F401 (fixture)

def damage(text: str, rng: random.Random, share: float = 0.3, keep=()) -> str:
    """*text* with about *share* of its words misread (not the words that start at *keep*)."""
    return misread_words(text, rng, share, where=lambda start: start not in keep)


def test_the_issues_misreadings_are_noise_and_numbers_are_not():
    for a, b in [("13S7(g)", "1357(g)"), ("Fonn", "Form"), ("perfonn", "perform"), ("tenns", "terms"),
                 ("I-213", "I\ufffe213"), ("1346(b)(l)", "1346(b)(1)"), ("Modem", "Modern"), ("l3l66", "13166")]:
        assert confusable(a.replace("\ufffe", "-"), b.replace("\ufffe", "-")), (a, b)
    for a, b in [("10", "11"), ("1357", "1387"), ("shall", "may"), ("(a)", "(c)"), ("90-day", "60-day")]:
        assert not confusable(a, b), (a, b)
    rl = compare.redline(tokenize_spans("under 8 U.S.C. § 13S7(g) the Fonn I-213 shall perfonn"),
                         tokenize_spans("under 8 U.S.C. § 1357(g) the Form I-213 shall perform"))
    assert rl["material"] == 0 and {o["label"] for o in rl["ops"] if o["op"] == "noise"} == {"OCR noise"}
    rl = compare.redline(tokenize_spans("within 10 days"), tokenize_spans("within 11 days"))
    assert rl["material"] == 1


def test_a_right_spelled_word_for_another_is_a_change_however_alike():
    # Letters this alike pass as OCR noise only where a misreading is involved.
    for a, b in [("must", "most"), ("and", "any"), ("shall", "shell"), ("not", "now"), ("may", "man")]:
        rl = compare.redline(tokenize_spans(f"the officer {a} notify ICE"), tokenize_spans(f"the officer {b} notify ICE"))
        assert rl["material"] == 1, (a, b)
    for a, b in [("personnel", "personne"), ("perform", "perfonn"), ("the", "tho"), ("officer", "offlcer")]:
        rl = compare.redline(tokenize_spans(f"{a} of the LEA shall notify ICE"), tokenize_spans(f"{b} of the LEA shall notify ICE"))
        assert rl["material"] == 0, (a, b)


@pytest.mark.parametrize("name, key", [(SMITH, "costs"), (LAWRENCE, "liability")])
def test_real_sections_with_one_word_swapped_for_a_look_alike_word_are_changed(name, key):
    text = cut(name)[key]
    swaps = {"shall": "shell", "must": "most", "and": "any", "not": "now", "may": "man"}
    found = [m for m in re.finditer(r"\b(" + "|".join(swaps) + r")\b", text)]
    assert found, f"{name} {key}: none of {sorted(swaps)}"
    for m in found[:5]:
        changed = text[:m.start()] + swaps[m.group(1)] + text[m.end():]
        rl = compare.redline(tokenize_spans(text), tokenize_spans(changed), text, changed)
        assert rl["material"] == 1, (name, key, m.group(0))


@pytest.mark.parametrize("name, key", [(SMITH, "costs"), (FRANKLIN, "civil-rights"), (FINNEY, "appendix-complaint"),
                                       (LAWRENCE, "liability"), (TX_JAN, "termination")])
def test_ocr_damage_of_real_sections_is_noise_shown_faint(name, key):
    text = cut(name)[key]
    fill = cut(name)["fillins"]
    # Fill-ins are found by their wording, which OCR damage can defeat: they are left whole
    # here (this tests the confusion model on the template's words).
    toks = tokenize_spans(text, fill)
    keep = {i for t in toks if t.key.startswith("‹") for i in range(t.start, t.end)}
    for seed in range(3):
        bad = damage(text, random.Random(f"{name}{key}{seed}"), keep=keep)
        assert bad != text
        rl = compare.redline(tokenize_spans(text, fill), tokenize_spans(bad, fill), text, bad)
        assert rl["material"] == 0, [o for o in rl["ops"] if o.get("material")]
        assert any(o["op"] == "noise" for o in rl["ops"])              # shown, not removed
        assert "".join(o["b"] + o["b_sep"] for o in rl["ops"]) == bad  # the damaged words, verbatim
    # ... while a changed number or word in the same text is still a real change.
    number = next((m for m in re.finditer(r"\b\d+\b", text) if m.start() not in keep), None)
    if number:
        changed = text[:number.start()] + str(int(number.group(0)) + 1) + text[number.end():]
        assert compare.redline(tokenize_spans(text, fill), tokenize_spans(changed, fill), text, changed)["material"] >= 1


def _own_words(result: dict, side: str, texts: dict[str, str]) -> None:
    for s in result["sections"]:
        if s.get("redline"):
            assert "".join(o[side] + o[f"{side}_sep"] for o in s["redline"]) == texts[s["slot"]], s["slot"]


def test_deviation_shows_the_documents_own_words_and_the_baselines_only_on_its_side(fixture_archive):
    stored = compare.Stored(fixture_archive)
    for name in (TX_JAN, SMITH, LAWRENCE):
        doc = compare.load_doc(fixture_archive, name)
        r = stored.deviation(doc.sha256)
        _own_words(r, "b", {s.slot: s.text for s in doc.sections})
        fills = [o for s in r["sections"] for o in s.get("redline", []) if o["op"] == "fillin"]
        assert fills and all(o["label"].startswith("fill-in") for o in fills)
    from web import create_app
    client = create_app({"DATA_DIR": str(fixture_archive.root)}).test_client()
    # Lawrence County's deviation: its consensus baseline is read from other agreements;
    # their agency names may show on the baseline's side only, never inline.
    r = stored.deviation(sha(LAWRENCE))
    others = {m["agency"] for m in (compare.load_doc(fixture_archive, n).meta() for n in (SMITH, TX_JAN))}
    inline = client.get(f"/compare/deviation/{sha(LAWRENCE)}?view=inline").get_data(as_text=True)
    columns = client.get(f"/compare/deviation/{sha(LAWRENCE)}").get_data(as_text=True)
    baseline_side = " ".join(re.findall(r'<div class="side a" role="cell">(.*?)</div>', columns, re.S))
    for agency in others:
        core = agency.split(" Sheriff")[0].split(" Office")[0]
        assert core not in inline, core
    assert 'class="fillin"' in inline and 'class="fillin"' in baseline_side


def test_columns_navigator_and_exports(fixture_archive):
    from docx import Document

    from web import create_app
    client = create_app({"DATA_DIR": str(fixture_archive.root)}).test_client()
    url = f"/compare/pair?a={sha(SMITH)}&b={sha(TX_JAN)}"
    r = compare.compare_pair(fixture_archive, SMITH, TX_JAN)
    total = compare.count_changes(r)
    page = client.get(url).get_data(as_text=True)
    assert 'class="cols"' in page and page.count('class="side a"') == page.count('class="side b"') > total
    assert f"<strong>{total}</strong> real change" in page
    assert [int(n) for n in re.findall(r'data-change="(\d+)"', page)] == list(range(1, total + 1))
    inline = client.get(url + "&view=inline").get_data(as_text=True)
    assert 'class="cols"' not in inline and len(re.findall(r'data-change="\d+"', inline)) == total
    assert client.get(url + "&view=sideways").status_code == 400
    html = client.get(f"/compare/pair/export.html?a={sha(SMITH)}&b={sha(TX_JAN)}")
    assert html.status_code == 200 and "attachment" in html.headers["Content-Disposition"]
    body = html.get_data(as_text=True)
    assert "<script" not in body and "Inter-Governmental Service" in body and f"{total} real change" in body
    word = client.get(f"/compare/deviation/{sha(TX_JAN)}/export.docx")
    assert word.status_code == 200 and word.mimetype.endswith("wordprocessingml.document")
    doc = Document(io.BytesIO(word.data))
    cells = " ".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    assert "Inter-Governmental Service" in cells and "This agreement" in cells
    struck = [run.text for t in doc.tables for row in t.rows for c in row.cells for p in c.paragraphs
              for run in p.runs if run.font.strike]
    underlined = [run.text for t in doc.tables for row in t.rows for c in row.cells for p in c.paragraphs
                  for run in p.runs if run.font.underline]
    assert underlined and (struck or compare.Stored(fixture_archive).deviation(sha(TX_JAN))["counts"].get("extra"))


@pytest.mark.browser
def test_browser_two_columns_and_the_change_navigator(fixture_archive, compare_site, artifacts_dir):
    e2e = pytest.importorskip("browser")
    if not Path(e2e.CHROMIUM).exists():
        pytest.skip("needs Debian's chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    total = compare.count_changes(compare.compare_pair(fixture_archive, SMITH, TX_JAN))
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=e2e.CHROMIUM, args=e2e.ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{compare_site}/compare/pair?a={sha(SMITH)}&b={sha(TX_JAN)}")
        a, b = page.locator(".cols-row.change .side.a").first, page.locator(".cols-row.change .side.b").first
        ba, bb = a.bounding_box(), b.bounding_box()
        assert abs(ba["y"] - bb["y"]) < 2 and bb["x"] > ba["x"] + ba["width"] - 1     # level, side by side
        page.click(".nav-next")
        assert page.locator(".nav-pos").inner_text() == f"change 1 of {total}"
        page.keyboard.press("n")
        assert page.locator(".nav-pos").inner_text() == f"change 2 of {total}"
        assert page.locator("#chg-2.current").count() == 1 and page.url.endswith("#chg-2")
        page.keyboard.press("p")
        page.keyboard.press("p")
        assert page.locator(".nav-pos").inner_text() == f"change {total} of {total}"      # wraps round
        page.screenshot(path=str(artifacts_dir / "compare-columns.png"))
        browser.close()
    assert not errors, errors


def test_pdf_export_has_the_changed_words_names_and_page_citations(fixture_archive):
    """The redline as a PDF (fpdf2), read back with pypdf: the agreements' names, the pages
    each section is on, and the words of the real changes (deleted red, inserted green);
    the redline page links to it."""
    from pypdf import PdfReader

    from web import create_app
    client = create_app({"DATA_DIR": str(fixture_archive.root)}).test_client()
    page = client.get(f"/compare/pair?a={sha(SMITH)}&b={sha(TX_JAN)}").get_data(as_text=True)
    link = re.search(r'href="(/compare/pair/export\.pdf\?[^"]+)"[^>]*>PDF<', page)
    assert link, "no PDF export link on the redline page"
    got = client.get(link.group(1).replace("&amp;", "&"))
    assert got.status_code == 200 and got.mimetype == "application/pdf"
    assert "attachment" in got.headers["Content-Disposition"]
    reader = PdfReader(io.BytesIO(got.data))
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    words = set(re.findall(r"[\w’']+", text))
    r = compare.compare_pair(fixture_archive, SMITH, TX_JAN)
    assert f"{compare.count_changes(r)} real changes" in text
    for side in ("a", "b"):
        assert r[side]["agency"] in text and r[side]["file_name"] in text
    changed = {side: [w for s in r["sections"] for o in s.get("redline", []) if o.get("material")
                      for w in re.findall(r"[A-Za-z]{4,}", o[side])] for side in ("a", "b")}
    assert changed["a"] and changed["b"]
    for side in ("a", "b"):
        missing = [w for w in changed[side] if w not in words]
        assert not missing, (side, missing[:10])
    sec = next(s for s in r["sections"] if s["a"] and s["b"] and s["a"]["pages"][0] != s["a"]["pages"][1])
    first, last = sec["a"]["pages"]
    assert f"A: {r['a']['agency']}: pp. {first}\u2013{last}" in text
    colours = " ".join(p.get_contents().get_data().decode("latin-1") for p in reader.pages)
    assert "0.6902 0 0.1255 rg" in colours and "0 0.4196 0.1765 rg" in colours     # red and green text
    # a deviation's export cites the agreement the baseline's text was read from
    dev = client.get(f"/compare/deviation/{sha(LAWRENCE)}/export.pdf")
    assert dev.status_code == 200
    dev_text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(dev.data)).pages)
    assert "Baseline: " in dev_text and "This agreement: p. 1" in dev_text


def test_pdf_pages_a_section_runs_on_to_repeat_its_heading_and_column_names(fixture_archive):
    """A section whose rows run on to a new page starts that page with its heading
    "(continued)" and the two columns' names, as a table's headings repeat (read back
    with pypdf from the pair export of the real site)."""
    from pypdf import PdfReader

    from web import create_app
    client = create_app({"DATA_DIR": str(fixture_archive.root)}).test_client()
    got = client.get(f"/compare/pair/export.pdf?a={sha(SMITH)}&b={sha(TX_JAN)}")
    assert got.status_code == 200
    pages = [[" ".join(line.split()) for line in p.extract_text().splitlines() if line.strip()]
             for p in PdfReader(io.BytesIO(got.data)).pages]
    r = compare.compare_pair(fixture_archive, SMITH, TX_JAN)
    headings = [" ".join(compare.formatting.section_heading(sec).split()) for sec in r["sections"]]
    label_a, label_b = f"A: {r['a']['agency']}", f"B: {r['b']['agency']}"
    assert len(pages) > 3
    current, continued = None, 0
    for n, lines in enumerate(pages, start=1):
        if n > 1 and lines[0] not in headings:          # the page does not start a section
            assert lines[0] == f"{current} (continued)", (n, lines[:3], current)
            assert lines[1] == f"{label_a} {label_b}", (n, lines[:3])
            continued += 1
        for line in lines:
            if line in headings:
                current = line
    assert continued >= 2, pages        # rows do run on to new pages here: the check is not empty


def test_pdf_font_has_every_character_of_the_redline(fixture_archive):
    """The PDF is set in the first font (of those the system has) with a glyph for each of
    its characters: a real pair in Liberation Sans; the same pair with a ballot box (which
    Liberation Sans lacks) in one of its words in DejaVu Sans, the box printed."""
    import copy

    from pypdf import PdfReader

    pdf_module = importlib.import_module("archive.compare.redline_pdf")    # the module (its function has its name)
    if not all((d / f).is_file() for d in pdf_module.FONT_DIRS[:1] for f in pdf_module.FONTS[0][1]):
        pytest.skip("Liberation Sans is not installed")

    def fonts(data: bytes) -> set[str]:
        reader = PdfReader(io.BytesIO(data))
        return {f.get_object()["/BaseFont"].split("+")[-1] for p in reader.pages
                for f in p["/Resources"]["/Font"].values()}

    r = compare.compare_pair(fixture_archive, SMITH, TX_JAN)
    plain = compare.redline_pdf(r, title="t", lines=[], label_a="A", label_b="B")
    assert fonts(plain) == {"LiberationSans", "LiberationSansBold"}
    boxed = copy.deepcopy(r)
    op = next(o for sec in boxed["sections"] for o in sec.get("redline", []) if o["op"] == "equal" and o["b"])
    op["b"] = "\u2610 Yes " + op["b"]
    data = compare.redline_pdf(boxed, title="t", lines=[], label_a="A", label_b="B")
    assert fonts(data) == {"DejaVuSansBook", "DejaVuSansBold"}
    assert "\u2610 Yes" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def test_a_redline_page_offers_the_exports_without_loading_their_libraries(fixture_archive):
    """The pair page links to its Word and PDF exports without importing python-docx and
    fpdf2 (~0.2 s of CPU, paid by the first export instead): in a fresh process."""
    import os
    import subprocess
    import sys
    code = (
        "import sys\n"
        "from web import create_app\n"
        f"c = create_app({{'DATA_DIR': {str(fixture_archive.root)!r}}}).test_client()\n"
        f"page = c.get('/compare/pair?a={sha(SMITH)}&b={sha(TX_JAN)}').get_data(as_text=True)\n"
        "print('export.pdf' in page, 'export.docx' in page, 'fpdf' in sys.modules, 'docx' in sys.modules)\n"
        f"c.get('/compare/pair/export.pdf?a={sha(SMITH)}&b={sha(TX_JAN)}')\n"
        "print('fpdf' in sys.modules)\n")
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=300,
                         env={**os.environ, "PYTHONPATH": str(root)})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["True", "True", "False", "False", "True"], out.stdout


def _fillin_starts(text: str, fillins) -> set[int]:
    """Offsets of the words inside the fill-ins of *text* (agency names, LEA, the state,
    dates, signature blocks from "For the LEA:" on, ...)."""
    spans = [(t.start, t.end) for t in tokenize_spans(text, fillins) if t.key.startswith("‹")]
    return {m.start() for m in re.finditer(r"[A-Za-z]{3,}", text) if any(a <= m.start() < b for a, b in spans)}


@pytest.mark.parametrize("base, name", [(SMITH, LAWRENCE), (LAWRENCE, TX_JAN), (FINNEY, FRANKLIN)])
def test_fillins_misread_by_ocr_stay_fillins(base, name):
    """A real agreement whose fill-ins (and only they) are misread as OCR misreads print
    ("F0r the LEA:", "Lavvrence County 5heriff's 0ffice"), its fill-ins found as the
    pipeline finds them (its agency and state from the roster, clean; the rest from the
    damaged text): against another agreement it has exactly the real changes the
    undamaged one has, the misread words shown as fill-ins or noise; a real wording
    change in it still counts."""
    from archive.compare.normalize import find_fillins
    from test_compare import MANIFEST
    clean = {k: v for k, v in cut(name).items() if k != "fillins"}
    fill = cut(name)["fillins"]
    a = cut(base)
    row = MANIFEST[name]
    for seed in range(3):
        rng = random.Random(f"{name}{seed}")
        bad = {k: misread_words(t, rng, 0.7, where=_fillin_starts(t, fill).__contains__) for k, t in clean.items()}
        assert sum(bad[k] != clean[k] for k in clean) >= 3
        bad_fill = find_fillins("\n".join(bad.values()), agency=row["agency"], state=row["state"])
        for key in set(clean) & set(a) - {"fillins"}:
            ta = tokenize_spans(a[key], a["fillins"])
            want = compare.redline(ta, tokenize_spans(clean[key], fill), a[key], clean[key])
            got = compare.redline(ta, tokenize_spans(bad[key], bad_fill), a[key], bad[key])
            assert got["material"] == want["material"], (seed, key, [o for o in got["ops"] if o.get("material")][:3])
            assert "".join(o["b"] + o["b_sep"] for o in got["ops"]) == bad[key]       # the misread words, verbatim
            if bad[key] != clean[key]:
                assert any(o["op"] in ("fillin", "noise") or o.get("label") for o in got["ops"])
    # a real change of wording in the damaged text is still a real change: "shall" made
    # "shall not" where both texts read the same
    for key in sorted(set(clean) & set(a) - {"fillins"}):
        ta = tokenize_spans(a[key], a["fillins"])
        rl = compare.redline(ta, tokenize_spans(bad[key], bad_fill), a[key], bad[key])
        pos = 0
        for o in rl["ops"]:
            if o["op"] == "equal" and " shall " in o["b"]:
                at = pos + o["b"].index(" shall ") + len(" shall")
                changed = bad[key][:at] + " not" + bad[key][at:]
                after = compare.redline(ta, tokenize_spans(changed, bad_fill), a[key], changed)["material"]
                assert after == rl["material"] + 1, key
                break
            pos += len(o["b"] + o["b_sep"])
        else:
            continue
        break
    else:
        pytest.fail("no section has 'shall' where both texts read the same")


def test_deviation_of_an_agreement_with_misread_fillins(fixture_archive, tmp_path):
    """The pipeline's deviation of Lawrence County's MOA with every fill-in misread (in its
    stored sections): the same real changes per section as the clean reading."""
    import shutil

    from store.datadir import DataDir
    shutil.copytree(fixture_archive.root, tmp_path / "data")
    d = DataDir(tmp_path / "data")
    conn = d.db
    doc = compare.load_doc(conn, LAWRENCE)
    want = compare.deviation(conn, doc.sha256)
    rng = random.Random("deviation")
    with conn:
        for s in doc.sections:
            bad = misread_words(s.text, rng, 0.8, where=_fillin_starts(s.text, doc.fillins).__contains__)
            conn.execute("UPDATE sections SET text = ? WHERE sha256 = ? AND ord = ?", (bad, doc.sha256, s.ord))
        conn.execute("UPDATE segmentations SET segmented_at = '2099-01-01T00:00:00Z' WHERE sha256 = ?", (doc.sha256,))
    compare.refresh(conn)
    got = compare.deviation(conn, doc.sha256)
    assert [s["slot"] for s in got["sections"]] == [s["slot"] for s in want["sections"]]
    for g, w in zip(got["sections"], want["sections"]):
        assert g["material"] == w["material"], (g["slot"], [o for o in g.get("redline", []) if o.get("material")][:3])
    # ... and against Smith County's: the misread fill-ins are shown as fill-ins
    pair_want = compare.compare_pair(fixture_archive, SMITH, LAWRENCE)
    pair_got = compare.compare_pair(conn, SMITH, LAWRENCE)
    assert [s["material"] for s in pair_got["sections"]] == [s["material"] for s in pair_want["sections"]]
    misread = [o["b"] for s in pair_got["sections"] for o in s.get("redline", [])
               if o["op"] == "fillin" and re.search(r"[0-9]|rn|vv|cl", o["b"]) and o["b"] not in o["a"]]
    assert misread
    d.close()


def test_a_server_loads_the_exports_libraries_and_word_counts_before_it_listens(fixture_archive):
    """web.warm (called by `moa serve` before it listens): the first pair page and export
    of a fresh process then load nothing more and compile no template."""
    import os
    import subprocess
    import sys
    code = (
        "import sys\n"
        "from web import create_app, warm\n"
        "from archive.compare.diff import word_keys\n"
        f"app = create_app({{'DATA_DIR': {str(fixture_archive.root)!r}}})\n"
        "print('fpdf' in sys.modules, 'docx' in sys.modules, word_keys.cache_info().currsize)\n"
        "warm(app)\n"
        "print('fpdf' in sys.modules, 'docx' in sys.modules, word_keys.cache_info().currsize)\n"
        "compiled = len(app.jinja_env.cache)\n"
        "print(compiled == len(app.jinja_env.list_templates()))\n"
        "c = app.test_client()\n"
        f"assert c.get('/compare/pair?a={sha(SMITH)}&b={sha(TX_JAN)}').status_code == 200\n"
        "print(len(app.jinja_env.cache) == compiled, word_keys.cache_info().misses)\n")
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=300,
                         env={**os.environ, "PYTHONPATH": str(root)})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["False", "False", "0", "True", "True", "1", "True", "True", "1"], out.stdout
