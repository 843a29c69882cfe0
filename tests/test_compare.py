"""Comparing agreements (issue #7): normalisation, redlines, variants, baselines, models.

Three layers of tests, all on real ICE text:
- the engine on sections cut from the committed fixture PDFs (their text layers, cut by
  the real segmenter), so a fresh clone covers it;
- the library, CLI and golden outputs on ``fixture_archive`` (the whole pipeline);
- the issue's bars on the full corpus (``corpus_archive``, skipped when absent).
"""
from __future__ import annotations

import csv
import io
import json
import os
from functools import lru_cache
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from click.testing import CliRunner

from archive import compare
from archive.compare import diff
from archive.compare.normalize import find_fillins, normalized, tokenize, tokenize_spans, word_key
from archive.structure.sections import segment
from conftest import FIXTURE_CORPUS, load_manifest

GOLDEN = Path(__file__).parent / "golden" / "compare"
MANIFEST = {Path(r["file"]).name: r for r in load_manifest(FIXTURE_CORPUS) if r["kind"] == "moa"}
TX_JAN = "TexasOfficeAttorneyGeneral_TFM_MOA_01.30.25.pdf"      # Task Force Model, January 2025
SMITH = "SmithCoSheriffsOfficeTX_TFM_MOA_02.18.25.pdf"          # TFM, February 2025 revision
LAWRENCE = "LawrenceCoSheriffsOfficeAL_TFM_MOA_06182025.pdf"    # TFM, March 2025 revision
FINNEY = "287gWSO_FinneyCoKs2020-03-17.pdf"                     # WSO, 2020 template
FRANKLIN = "FranklinCountyAL_WSO_MOA_030625.pdf"                # WSO, 2025 template
GRAYSON = "GraysonCountyDCKY_JEM_MOA_030425.pdf"                # JEM, 2025 template
TFM = (TX_JAN, SMITH, LAWRENCE)
TEXT_LAYER = (TX_JAN, SMITH, LAWRENCE, FINNEY, FRANKLIN, GRAYSON)


@lru_cache(maxsize=None)
def cut(name: str) -> dict:
    """Sections of a fixture PDF from its own text layer, cut by the real segmenter, with
    the fill-ins found from its manifest row and text: {"fillins", slot: text}."""
    pdf = pdfium.PdfDocument(str(FIXTURE_CORPUS / "pdfs" / name))
    seg = segment([pdf[i].get_textpage().get_text_range() for i in range(len(pdf))])
    row = MANIFEST[name]
    out = {s.key: s.text for s in seg.sections}
    out["fillins"] = find_fillins("\n".join(out.values()), agency=row["agency"], state=row["state"])
    return out


def toks(name: str, key: str, **options):
    c = cut(name)
    return tokenize_spans(c[key], c["fillins"], **options)


def norm(name: str, key: str) -> str:
    return " ".join(t.key for t in toks(name, key))


# --- normalisation ---------------------------------------------------------------------

def test_fillins_found_from_the_document_itself():
    f = cut(FINNEY)["fillins"]
    assert "FCSO" in f.abbreviations                    # "the Finney County Sheriff’s Office (FCSO)"
    assert any(n.startswith("Finney County") for n in f.agency_names)
    assert "LEA" in cut(FRANKLIN)["fillins"].abbreviations


def test_fillin_only_differences_vanish_and_come_back_without_the_option():
    # 2020 WSO (FCSO, Chicago) and 2025 WSO (LEA) civil-rights text: same words otherwise.
    assert norm(FINNEY, "civil-rights") == norm(FRANKLIN, "civil-rights")
    raw = dict(ignore_fillins=False)
    assert [t.key for t in toks(FINNEY, "civil-rights", **raw)] != [t.key for t in toks(FRANKLIN, "civil-rights", **raw)]
    # The field-office city is a fill-in too; the displayed text keeps the original words.
    city = [t.text for t in toks(FINNEY, "certification") if t.key == "‹city›"]
    assert city and set(city) == {"Chicago"}


def test_fillin_kinds():
    text = ("Notice shall go to 525 W. Van Buren Street, Suite 701, Chicago, IL 60607 on March 26, 2025 "
            "or 3/4/2025. The Sheriff will inform the Internal Investigations Unit; call (904) 591-6700 or "
            "write jdoe@claysheriff.com, not ICEOPRIntake@ice.dhs.gov. Revised 02/15/2025\n"
            "For the LEA: Jane Doe, Sheriff\nSignature: ______")
    keys = [k for k, _ in tokenize(text)]
    for kind in ("address", "date", "head", "unit", "phone", "email", "signature"):
        assert f"‹{kind}›" in keys, kind
    assert "lceoprlntakeiceclhsgov" not in keys and word_key("ICEOPRIntake@ice.dhs.gov") in keys
    assert "December 2014" in " ".join(t for _, t in tokenize("dated December 2014,"))  # template date kept
    assert "2014" in normalized("dated December 2014")              # a number keeps its digits


def test_ocr_noise_vanishes():
    assert word_key("JointIntake@cbp.dhs.gov") == word_key("Jointlntake@cbp.dhs.gov.")
    assert word_key("Modern") == word_key("Modem") and word_key("l3l66") == word_key("13166")
    assert normalized("immigra-\ntion officers") == normalized("immigration Officers")
    assert normalized("certified o f f i c e r s") == normalized("certified officers")
    # OCR slips are changes, but never material ones.
    rl = compare.redline(tokenize("duties of the non-immigration terms"), tokenize("duties ofthe non-i1mnigration tenns"))
    assert rl["material"] == 0 and any(o["op"] != "equal" for o in rl["ops"])


# --- redline ---------------------------------------------------------------------------

def test_redline_of_the_january_tfm_costs_shows_the_igsa_sentence():
    rl = compare.redline(toks(SMITH, "costs"), toks(TX_JAN, "costs"))
    material = [o for o in rl["ops"] if o.get("material")]
    assert len(material) == 1 and material[0]["op"] == "insert"
    assert "Inter-Governmental Service Agreement (IGSA)" in material[0]["b"]
    assert 0.9 < rl["similarity"] < 1.0
    # The ops rebuild both texts character for character: the agreements' own words.
    rl = compare.redline(toks(SMITH, "costs"), toks(TX_JAN, "costs"), cut(SMITH)["costs"], cut(TX_JAN)["costs"])
    assert "".join(o["a"] + o["a_sep"] for o in rl["ops"]) == cut(SMITH)["costs"]
    assert "".join(o["b"] + o["b_sep"] for o in rl["ops"]) == cut(TX_JAN)["costs"]


def test_redline_notes_moved_text():
    head = "The LEA will provide ICE with all records that ICE requests under this agreement."
    tail = "Both parties will review the terms of this agreement every year and report."
    moved = "Meetings may be held by teleconference when necessary."
    a, b = tokenize(f"{head} {moved} {tail}"), tokenize(f"{head} {tail} {moved}")
    rl = compare.redline(a, b)
    moved = [o for o in rl["ops"] if o.get("moved")]
    assert {o["op"] for o in moved} == {"delete", "insert"} and len({o["moved"] for o in moved}) == 1
    assert "(moved 1)" in compare.redline_text(rl["ops"])


def test_redline_text_marks_insertions_and_deletions():
    rl = compare.redline(tokenize("the LEA shall notify ICE"), tokenize("the LEA may notify ICE promptly"))
    assert compare.redline_text(rl["ops"]) == "the LEA [-shall-] {+may+} notify ICE {+promptly+}"


# --- variants on real sections -----------------------------------------------------------

def _variants(key: str, names) -> list[set[str]]:
    return [set(v) for v in compare.cluster({n: norm(n, key) for n in names})]


def test_civil_rights_jem_wso_against_tfm():
    groups = _variants("civil-rights", (FINNEY, FRANKLIN, *TFM))
    assert groups == [set(TFM), {FINNEY, FRANKLIN}]
    # The 2025 JEM text adds one word ("..., and Title II"): a change, and a small one.
    rl = compare.redline(toks(FRANKLIN, "civil-rights"), toks(GRAYSON, "civil-rights"))
    assert rl["material"] == 1 and rl["similarity"] > 0.98
    long, short = cut(FRANKLIN)["civil-rights"], cut(SMITH)["civil-rights"]
    assert 1000 < len(long) < 1300 and 300 < len(short) < 500
    for phrase in ("Guidance for Federal", "13166", "Title", "Section 504", "Americans with"):
        assert phrase in long.replace("13,166", "13166") and phrase not in short
    assert "interpreter" in short


def test_wso_complaint_procedure_2020_long_against_2025_short():
    groups = _variants("appendix-complaint", (FINNEY, FRANKLIN))
    assert groups == [{FINNEY}, {FRANKLIN}]
    long, short = cut(FINNEY)["appendix-complaint"], cut(FRANKLIN)["appendix-complaint"]
    assert "Joint Intake Center" in long and "1-877-246-8253" in long and "P.O. Box" in long
    assert "Joint Intake" not in short and "ICEOPRIntake@ice.dhs.gov" in short
    assert len(long) > 2 * len(short)


@pytest.mark.parametrize("key, january_only, later_only", [
    ("costs", "Inter-Governmental Service Agreement", None),
    ("termination", "may terminate the MOA at any time", "90-day notice"),
    ("appendix-complaint", "within 48 hours of the LEA receiving notice of the complaint or", None),
])
def test_task_force_model_january_against_february_and_march(key, january_only, later_only):
    groups = _variants(key, TFM)
    assert {SMITH, LAWRENCE} in groups and {TX_JAN} in groups, key
    jan = " ".join(cut(TX_JAN)[key].split())
    assert january_only in jan
    if later_only:
        assert later_only in " ".join(cut(SMITH)[key].split()) and later_only not in jan


def test_fillin_and_noise_only_differences_stay_one_variant():
    # Smith County (TX, Feb revision) and Lawrence County (AL, Mar revision): every section
    # both have that cluster apart must differ in words, not only in fill-ins or OCR noise.
    for key in set(cut(SMITH)) & set(cut(LAWRENCE)) - {"fillins", "front-matter"}:
        if len(_variants(key, (SMITH, LAWRENCE))) == 2:
            rl = compare.redline(toks(SMITH, key), toks(LAWRENCE, key))
            assert any(o.get("material") for o in rl["ops"]), key
    assert len(_variants("liability", (SMITH, LAWRENCE))) == 1


# --- the library on the fixture archive (the whole pipeline) -----------------------------

def sha(name: str) -> str:
    return MANIFEST[name]["sha256"]


def test_compare_pair_aligns_sections_and_reports_only_one_side(fixture_archive):
    r = compare.compare_pair(fixture_archive, TX_JAN, SMITH)
    slots = {s["slot"]: s for s in r["sections"]}
    assert slots["community-outreach"]["status"] == "only_a"        # January text only
    assert slots["costs"]["status"] == "changed" and slots["civil-rights"]["status"] == "same"
    assert r["a"]["sha256"] == sha(TX_JAN) and 0.5 < r["similarity"] < 1.0
    raw = compare.compare_pair(fixture_archive, SMITH, LAWRENCE, ignore_fillins=False, ignore_ocr_noise=False)
    clean = compare.compare_pair(fixture_archive, SMITH, LAWRENCE)
    assert clean["similarity"] > raw["similarity"]
    assert clean["counts"].get("changed", 0) < raw["counts"].get("changed", 0)


def _golden_form(r: dict) -> dict:
    """What the golden files pin: per section its status, similarity (2 places) and the
    material changes' words."""
    return {"a": r["a"]["file_name"], "b": r["b"]["file_name"], "similarity": round(r["similarity"], 2),
            "sections": [{"slot": s["slot"], "status": s["status"], "similarity": round(s["similarity"], 2),
                          "material": [[o["op"], o["a"], o.get("b", "")] for o in s.get("redline", [])
                                       if o.get("material")]}
                         for s in r["sections"]]}


@pytest.mark.parametrize("a, b", [(TX_JAN, SMITH), (SMITH, LAWRENCE), (FINNEY, FRANKLIN)])
def test_compare_matches_golden(fixture_archive, a, b):
    got = _golden_form(compare.compare_pair(fixture_archive, a, b))
    path = GOLDEN / f"{Path(a).stem}__{Path(b).stem}.json"
    if os.environ.get("MOA_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    want = json.loads(path.read_text(encoding="utf-8"))
    assert [(s["slot"], s["status"]) for s in got["sections"]] == [(s["slot"], s["status"]) for s in want["sections"]]
    for g, w in zip(got["sections"], want["sections"]):
        assert abs(g["similarity"] - w["similarity"]) <= 0.02, g["slot"]
        assert g["material"] == w["material"], g["slot"]


def archive_copy(archive, tmp_path):
    """A private copy of an archive's database, for tests that change it."""
    import sqlite3

    from store.datadir import DataDir
    copy = DataDir(tmp_path / "data")
    copy.root.mkdir(parents=True)
    with sqlite3.connect(copy.db_path) as dst:
        archive.db.backup(dst)
    return copy


def test_variants_and_cache(fixture_archive, tmp_path):
    v = compare.variants(fixture_archive, "costs", "TFM")
    assert [m["file_name"] for m in v["variants"][1]["members"]] == [TX_JAN]
    assert {m["file_name"] for m in v["variants"][0]["members"]} == {SMITH, LAWRENCE}
    assert "Inter-Governmental" in compare.redline_text(v["variants"][1]["redline"], material_only=True)
    copy = archive_copy(fixture_archive, tmp_path)
    conn = copy.db
    compare.refresh_cache(copy)
    cached = conn.execute("SELECT COUNT(*) FROM compare_docs").fetchone()[0]
    assert cached == conn.execute("SELECT COUNT(*) FROM segmentations").fetchone()[0]
    # A document segmented again is normalised again; the others are not touched.
    before = dict(conn.execute("SELECT sha256, cached_at FROM compare_docs").fetchall())
    conn.execute("UPDATE segmentations SET segmented_at = '2099-01-01T00:00:00Z' WHERE sha256 = ?", (sha(SMITH),))
    conn.execute("UPDATE compare_docs SET cached_at = 'old'")
    assert compare.refresh_cache(copy)["refreshed"] == 1
    after = dict(conn.execute("SELECT sha256, cached_at FROM compare_docs").fetchall())
    assert after[sha(SMITH)] != "old" and all(after[s] == "old" for s in after if s != sha(SMITH))
    assert before.keys() == after.keys()
    copy.close()


def test_deviation_against_consensus(fixture_archive):
    r = compare.deviation(fixture_archive, TX_JAN)
    assert r["baseline"]["source"] == "consensus" and r["baseline"]["model"] == "TFM"
    slots = {s["slot"]: s for s in r["sections"]}
    assert slots["costs"]["status"] == "changed" and slots["community-outreach"]["status"] == "extra"
    assert slots["civil-rights"]["status"] == "same"
    top = compare.top_deviations(fixture_archive, None, model="TFM")
    assert top[0]["file_name"] == TX_JAN and top[0]["deviation"] > top[-1]["deviation"]
    assert {r["file_name"] for r in top} == set(TFM)


def test_deviation_against_a_held_template(fixture_archive, tmp_path):
    """With a blank template of the model held (documents.kind='template'), it is the
    baseline. Stand-in: a copy of the archive where Smith County's agreement plays the
    February TFM template."""
    copy = archive_copy(fixture_archive, tmp_path)
    copy.db.execute("UPDATE documents SET kind = 'template', template_model = 'TFM' WHERE sha256 = ?", (sha(SMITH),))
    r = compare.deviation(copy, LAWRENCE)
    assert r["baseline"]["source"] == "template" and r["baseline"]["template"]["sha256"] == sha(SMITH)
    assert r["counts"].get("changed", 0) <= 2 and r["deviation"] < 0.05
    assert SMITH not in {d["file_name"] for d in compare.top_deviations(copy, None)}
    assert compare.deviation(copy, TX_JAN)["deviation"] > 0.1
    copy.close()


def test_models_side_by_side(fixture_archive):
    r = compare.models(fixture_archive, "2025")
    assert {"JEM", "TFM", "WSO"} <= set(r["models"])
    row = next(s for s in r["sections"] if s["slot"] == "civil-rights")
    assert row["models"]["TFM"]["chars"] < 500 < 1000 < row["models"]["WSO"]["chars"]
    assert row["similarity"]["JEM~WSO"] > 0.9 > 0.5 > row["similarity"]["JEM~TFM"]
    rl = compare.model_redline(fixture_archive, "civil-rights", "WSO", "TFM")
    assert rl["material"] >= 1


def test_errors_name_what_is_missing(fixture_archive):
    from archive.core.errors import NotFound
    with pytest.raises(NotFound, match="no-such-section"):
        compare.variants(fixture_archive, "no-such-section", "TFM")
    with pytest.raises(NotFound, match="TTFM"):
        compare.variants(fixture_archive, "costs", "TTFM")
    with pytest.raises(NotFound):
        compare.compare_pair(fixture_archive, "nope.pdf", SMITH)


# --- CLI ---------------------------------------------------------------------------------

def moa(archive, *args) -> str:
    from cli import main
    res = CliRunner().invoke(main, ["--data-dir", str(archive.root), *args])
    assert res.exit_code == 0, res.output
    return res.stdout


def test_cli_compare_text_and_json(fixture_archive):
    out = moa(fixture_archive, "compare", SMITH, TX_JAN)
    assert "## costs" in out and "{+ICE and the LEA may separately enter into an Inter-Governmental" in out
    data = json.loads(moa(fixture_archive, "compare", SMITH, TX_JAN, "--json", "--no-ignore-fillins"))
    assert data["options"] == {"ignore_fillins": False, "ignore_ocr_noise": True}


def test_cli_deviation_variants_models(fixture_archive):
    rows = list(csv.DictReader(io.StringIO(moa(fixture_archive, "deviation", "--top", "3", "--csv"))))
    assert len(rows) == 3 and float(rows[0]["deviation"]) >= float(rows[-1]["deviation"])
    assert json.loads(moa(fixture_archive, "deviation", SMITH, "--json"))["document"]["file_name"] == SMITH
    v = list(csv.DictReader(io.StringIO(moa(fixture_archive, "variants", "costs", "--model", "TFM", "--csv"))))
    assert {r["file_name"]: r["variant"] for r in v}[TX_JAN] == "2"
    assert "civil-rights" in moa(fixture_archive, "variants", "--list", "--model", "WSO")
    m = json.loads(moa(fixture_archive, "models", "--json"))
    assert "civil-rights" in {s["slot"] for s in m["sections"]}
    assert "similarity" in moa(fixture_archive, "models")


# --- the bars on the full corpus ------------------------------------------------

def _members(v: dict) -> list[set[str]]:
    return [{m["file_name"] for m in x["members"]} for x in v["variants"]]


@pytest.mark.corpus
def test_corpus_wso_complaint_procedure_long_before_mid_2020_short_after(corpus_archive):
    v = compare.variants(corpus_archive, "appendix-complaint", "WSO")
    for x in v["variants"]:
        years = {m["signed"][:4] for m in x["members"]}
        assert years <= {"2019", "2020"} or years <= {"2025"}, x["members"]
        text = " ".join(x["text"].split())
        if years <= {"2019", "2020"}:
            assert "Joint Intake Center" in text and "P.O. Box" in text
        else:
            assert "Joint Intake" not in text
    big = v["variants"][0]
    later = [m for x in v["variants"] for m in x["members"] if m["signed"] >= "2025"]
    assert {m["signed"][:4] for m in big["members"]} == {"2025"} and big["count"] >= 0.8 * len(later)
    # Fill-ins apart (Finney County, Chicago, FCSO / Waller County, Houston, WCSO): one variant.
    assert any({"287gWSO_FinneyCoKs2020-03-17.pdf", "287gWSO_WallerCoTx2020-02-12.pdf"} <= s for s in _members(v))


@pytest.mark.corpus
@pytest.mark.parametrize("key", ["costs", "termination", "appendix-complaint"])
def test_corpus_tfm_january_is_its_own_variant(corpus_archive, key):
    v = compare.variants(corpus_archive, key, "TFM")
    assert _members(v)[0] >= {SMITH, LAWRENCE} and len(_members(v)[0]) >= 8
    jan = next(x for x in v["variants"] if TX_JAN in {m["file_name"] for m in x["members"]})
    assert jan["count"] == 1 and jan["variant"] > 1


@pytest.mark.corpus
def test_corpus_civil_rights_one_variant_per_family(corpus_archive):
    for model, lo, hi in (("JEM", 1000, 1300), ("WSO", 1000, 1300), ("TFM", 300, 500)):
        v = compare.variants(corpus_archive, "civil-rights", model)
        top = v["variants"][0]
        assert lo < top["chars"] < hi, model
        assert top["count"] >= 0.8 * v["with_section"], model
        text = " ".join(top["text"].split()).replace("13,166", "13166")
        for phrase in ("13166", "Title VI", "Section 504", "Americans with Disabilities"):
            assert (phrase in text) == (model != "TFM"), (model, phrase)
        assert ("interpreter" in text) == (model == "TFM")


# --- web pages and API (Flask test client) ----------------------------------------------

@pytest.fixture(scope="module")
def client(fixture_archive):
    from web import create_app
    return create_app({"DATA_DIR": str(fixture_archive.root)}).test_client()


def _db_bytes(archive) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(archive.root.glob("moa.sqlite3*")))


def test_web_compare_pages(client, fixture_archive):
    before = _db_bytes(fixture_archive)
    pages = {
        "/compare": "Two agreements side by side",
        f"/compare/pair?a={sha(TX_JAN)}&b={sha(SMITH)}": "Inter-Governmental Service Agreement",
        f"/compare/pair?a={TX_JAN}&b={SMITH}&fillins=0&noise=0": "ignore fill-in differences",
        "/compare/deviation?top=5": TX_JAN,
        f"/compare/deviation/{sha(TX_JAN)}": "this clause across agencies",
        "/compare/variants?model=TFM": "civil-rights",
        "/compare/variants/costs?model=TFM&era=2025": "Variant 2",
        "/compare/models?era=2025": "civil-rights",
        "/compare/models/civil-rights?a=WSO&b=TFM&era=2025": "material change",
    }
    for path, needle in pages.items():
        r = client.get(path)
        assert r.status_code == 200, path
        assert needle in r.get_data(as_text=True), path
    assert "<ins class=\"material\"" in client.get(f"/compare/pair?a={sha(SMITH)}&b={sha(TX_JAN)}").get_data(as_text=True)
    assert _db_bytes(fixture_archive) == before          # the site only reads the archive


def test_search_hits_offer_the_clause_across_agencies(client):
    page = client.get("/search?q=%22Inter-Governmental+Service+Agreement%22").get_data(as_text=True)
    assert "compare this clause across agencies" in page
    assert "/compare/variants/costs?model=TFM" in page.replace("&amp;", "&")


def test_web_compare_api_and_csv(client):
    r = client.get(f"/api/compare/pair?a={sha(SMITH)}&b={sha(LAWRENCE)}")
    assert r.status_code == 200 and r.json["b"]["file_name"] == LAWRENCE and r.json["sections"]
    assert client.get("/api/compare/deviation?top=2").json["agreements"][0]["file_name"] == TX_JAN
    assert client.get(f"/api/compare/deviation/{TX_JAN}").json["baseline"]["model"] == "TFM"
    v = client.get("/api/compare/variants/costs?model=TFM").json
    assert v["variants"][1]["members"][0]["file_name"] == TX_JAN
    assert "TFM" in client.get("/api/compare/models").json["models"]
    assert client.get("/api/compare/models/civil-rights?a=JEM&b=TFM").json["material"] >= 1
    rows = list(csv.DictReader(io.StringIO(client.get("/compare/variants/costs.csv?model=TFM").get_data(as_text=True))))
    assert {r["file_name"] for r in rows} == set(TFM)
    assert "deviation" in client.get("/compare/deviation.csv").get_data(as_text=True).splitlines()[0]
    assert "slot" in client.get("/compare/models.csv").get_data(as_text=True).splitlines()[0]
    # Bad requests and unknown things answer with a message, JSON under /api/.
    assert client.get("/compare/variants/costs").status_code == 400
    assert client.get("/compare/pair?a=x").status_code == 400
    bad = client.get("/api/compare/variants/no-such-section?model=TFM")
    assert bad.status_code == 404 and "no-such-section" in bad.json["message"]


# --- in headless Chromium ---------------------------------------------------------------

@pytest.fixture(scope="module")
def compare_site(fixture_archive):
    """The site with the compare pages, served by waitress on a free local port."""
    import threading

    from waitress.server import create_server

    from web import create_app
    server = create_server(create_app({"DATA_DIR": str(fixture_archive.root)}), host="127.0.0.1", port=0, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
    thread.join(timeout=5)


@pytest.mark.browser
def test_browser_compare_two_then_one_clause_across_agencies(compare_site, artifacts_dir):
    e2e = pytest.importorskip("browser")
    if not Path(e2e.CHROMIUM).exists():
        pytest.skip("needs Debian's chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=e2e.CHROMIUM, args=e2e.ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{compare_site}/compare")
        page.select_option("#compare-a", sha(SMITH))
        page.select_option("#compare-b", sha(TX_JAN))
        page.click("form.compare-pair button")
        page.wait_for_url("**/compare/pair?**")
        costs = page.locator("#s-costs")
        assert "Inter-Governmental Service Agreement" in costs.locator("ins.material").first.inner_text()
        page.screenshot(path=str(artifacts_dir / "compare-pair.png"), full_page=False)
        costs.get_by_text("this clause across agencies").click()
        page.wait_for_url("**/compare/variants/costs**")
        assert page.locator("section.variant").count() == 2
        assert TX_JAN in page.locator("#variant-2").inner_text()
        page.screenshot(path=str(artifacts_dir / "compare-variants.png"), full_page=True)
        browser.close()
    assert not errors, errors
