"""Does the section cutter hold on MOAs it was not written from?

Two checks (issue 15, item 4):

- a hold-out split of ../shared/corpus: TUNED_ON names the documents whose text was looked
  at while the OCR-robust heading rules were written (SEGMENTER_VERSION 3 and later); the others
  were not looked at, and must meet the bars as unseen MOAs;
- real pages damaged the way OCR damages a scan (tests/ocr_damage.py, seeded): letters and
  digits confused in headings, spaces lost and added, headings broken over lines or run
  into the body, "APPENDIX" lines lost, first pages unreadable or missing. A rule that
  fits only the corpus's exact misreadings fails these.
"""
from __future__ import annotations

import random
import re

import pytest

from archive.structure.segmenter import readable, segment
from archive.structure.stage import load_pages
from ocr_damage import (damage_block, damage_pages, misread_date_digits, misread_month_names, noise_page,
                        write_dates_otherwise)

# The documents the heading rules of SEGMENTER_VERSION 3 were tuned on (half the corpus,
# chosen by the first hex digit of sha256(file name) being 0-7, before tuning began).
TUNED_ON = {
    "287g_JEM_Knox_6-8-2020.pdf", "287gJEM_%20etowahCoAL_06-09-2020.pdf",
    "287gJEM_ClayCoFl2020-03-11.pdf", "287gWSO_FinneyCoKs2020-03-17.pdf",
    "287gWSO_JeffersonCoFl2019-10-15.pdf", "287gWSO_SuwanneeCoFl2019-10-15.pdf",
    "287gWSO_WallerCoTx2020-02-12.pdf", "BlaineCo_WSO_MOA_02.18.2025.pdf",
    "CalhounCoTX_TFM_MOA_03.07.2025.pdf", "ChattahoocheePoliceDept_TFM_MOA_02.28.25.pdf",
    "ClayCoSheriffsOffice_TFM_MOA_02.26.2025.pdf", "CowleyCountySO_WSO_MOA_030425.pdf",
    "FLORIDA_AM_UNIVERSITY_BOARD_OF_TRUSTEES_FL_TFM_04.15.25.pdf",
    "FranklinCountyAL_WSO_MOA_030625.pdf", "GraysonCountyDCKY_JEM_MOA_030425.pdf",
    "HamiltonCountySheriffTN_JEM_031325.pdf", "HarrisonCoTS_WSO_MOA_02.24.2025.pdf",
    "JacksonCountySOMN_JEM_MOA_030625.pdf", "LawrenceCoSheriffsOfficeAL_TFM_MOA_06182025.pdf",
    "LeeCoSheriffsOffice_JEM_MOA_02.20.2025.pdf", "LiveOakPoliceDeptFL_TFM_MOA_04142025.pdf",
    "MiamiSpringsPoliceDeptFL_TFM_MOA_03.26.2025.pdf", "PortageCountySO_WSO_MOA_031225.pdf",
    "PuntaGordaPDFL_TFM_MOA_042425.pdf", "RuskCoSOTX_WSO_MOA_030425.pdf",
    "SanibelPDFL_TFM_MOA_032625.pdf", "SmithCoSheriffsOfficeTX_TFM_MOA_02.18.25.pdf",
    "StAugustinePoliceDept_TFM_MOA_02.28.25.pdf",
}
SEEDS = range(4)


def _documents(corpus_archive, held_out: bool | None = None) -> list[tuple[str, list[str]]]:
    rows = corpus_archive.db.execute(
        "SELECT d.sha256, d.file_name FROM documents d JOIN extractions e ON e.sha256 = d.sha256"
        " WHERE e.status = 'ok' AND d.kind = 'moa' ORDER BY d.file_name").fetchall()
    return [(r["file_name"], load_pages(corpus_archive.db, r["sha256"])) for r in rows
            if held_out is None or (r["file_name"] not in TUNED_ON) == held_out]


def _cut(seg) -> list[tuple[str, int, int]]:
    return [(s.key, s.first_page, s.last_page) for s in seg.sections]


# An appendix B as a reader finds it: a line at the top of a page naming the complaint
# procedure, or "Appendix B" there (written independently of the segmenter's rules).
_APPX_B = re.compile(r"^\W*(APPENDIX\s*B\b|COMPLAINT\s+PROCEDURE\s*$)", re.I)


def _has_appendix_b(pages: list[str]) -> bool:
    return any(_APPX_B.match(ln.strip()) for p in pages for ln in (p or "").splitlines()[:6])


@pytest.mark.corpus
def test_held_out_documents_meet_the_bars(corpus_archive):
    """Unseen MOAs: >= 99% complete, and every one with an appendix B has appendix-complaint."""
    docs = _documents(corpus_archive, held_out=True)
    assert len(docs) >= 25 and not {n for n, _ in docs} & TUNED_ON
    segs = {name: segment(pages) for name, pages in docs}
    incomplete = {n: s.problems for n, s in segs.items() if not s.complete}
    assert len(incomplete) <= 0.01 * len(docs), incomplete
    with_b = [n for n, pages in docs if _has_appendix_b(pages)]
    assert len(with_b) >= 0.8 * len(docs)
    assert [n for n in with_b if "appendix-complaint" not in {s.key for s in segs[n].sections}] == []


def _damage_run(docs) -> tuple[int, list, list]:
    runs, lost, moved = 0, [], []
    for name, pages in docs:
        base = segment(pages)
        for seed in SEEDS:
            runs += 1
            seg = segment(damage_pages(pages, base, seed))
            if [k for k, _, _ in _cut(seg)] != [k for k, _, _ in _cut(base)] or not seg.complete:
                lost.append((name, seed, seg.problems))
            elif _cut(seg) != _cut(base):
                moved.append((name, seed))
    return runs, lost, moved


@pytest.mark.corpus
@pytest.mark.parametrize("held_out", [False, True], ids=["tuned-on", "held-out"])
def test_cut_holds_when_headings_are_damaged_as_ocr_does(corpus_archive, held_out):
    """Every heading of every document damaged (seeded): every section is still found in
    >= 99% of damaged documents, and cut at the same pages in >= 97%."""
    docs = _documents(corpus_archive, held_out=held_out)
    runs, lost, moved = _damage_run(docs)
    assert len(lost) <= 0.01 * runs, lost
    assert len(lost) + len(moved) <= 0.03 * runs, (lost, moved)


@pytest.mark.corpus
@pytest.mark.parametrize("mode, k", [("noise", 1), ("noise", 2), ("missing", 1), ("missing", 2)])
def test_damaged_or_missing_first_pages(corpus_archive, mode, k):
    """First pages unreadable (OCR noise) or missing from the scan: the layout is still
    known from the rest, every section on the remaining pages is cut where it was, and
    the sections that were on the lost pages are reported missing."""
    rng = random.Random(k)
    wrong = []
    for name, pages in _documents(corpus_archive):
        base = segment(pages)
        damaged = ([noise_page(rng) for _ in range(k)] + pages[k:]) if mode == "noise" else pages[k:]
        shift = k if mode == "missing" else 0
        seg = segment(damaged)
        heading_page = {s.key: base.lines[s.heading][0].page for s in base.sections if s.heading.stop > s.heading.start}
        kept = [(s.key, s.first_page - shift, s.last_page - shift) for s in base.sections
                if heading_page.get(s.key, 0) > k]
        got = [c for c in _cut(seg) if c[0] in {key for key, _, _ in kept}]
        lost = {key for key, page in heading_page.items() if page <= k and key not in ("parties", "addendum")}
        reported = {p.split()[1] for p in seg.problems if p.startswith("missing ")}
        if seg.layout != base.layout or [c[0] for c in got] != [c[0] for c in kept] \
                or got[1:] != kept[1:] or not lost <= reported:
            wrong.append((name, seg.layout, seg.problems[:4]))
    assert wrong == []


# --- headings set otherwise (issue 15, items 1, 4) ----------------------------------
_SMALL_WORDS = {"of", "and", "the", "to", "this", "on", "in", "for", "a", "an", "or"}
_ACRONYMS = {"MOA", "ICE", "SOP", "LEA"}


def title_case(heading: str) -> str:
    """A heading as a retyped agreement sets it: its number as printed, its words in title
    case ("IV. Responsibilities", "Effective Date, Suspension, and Termination of this
    MOA", "Appendix B"), small words in lower case, acronyms kept."""
    m = re.match(r"^((?:[IVXL]+|[A-J])[.,:;]?\s+)?(.*)$", heading)
    words = []
    for k, w in enumerate(re.split(r"(\s+)", m.group(2))):
        bare = re.sub(r"\W", "", w)
        if not bare or bare in _ACRONYMS or (bare.isdigit() or len(bare) == 1):
            words.append(w)
        elif bare.lower() in _SMALL_WORDS and k:
            words.append(w.lower())
        else:
            words.append(w[:1] + w[1:].lower() if w[:1].isalpha() else w[:2] + w[2:].lower())
    return (m.group(1) or "") + "".join(words)


def _restyled(pages: list[str], seg, restyle) -> list[str]:
    """*pages* with every heading line *seg* found set by *restyle* (line -> line)."""
    heads: dict[int, set[str]] = {}
    for sec in seg.sections:
        for ln in seg.lines[sec.heading]:
            heads.setdefault(ln.page, set()).add(ln.text)
    return ["\n".join(restyle(ln.strip()) if ln.strip() in heads.get(n, ()) else ln
                      for ln in (p or "").splitlines()) for n, p in enumerate(pages, 1)]


def _printed_clean(seg) -> bool:
    """Every numbered title of *seg* reads as a template prints it (no OCR misreading)."""
    from archive.structure.layouts import APPENDIX_TITLES, TITLES
    printed = {re.sub(r"[^A-Z]", "", t.upper()) for ts in (*TITLES.values(), *APPENDIX_TITLES.values()) for t in ts}
    return all(re.sub(r"[^A-Z]", "", s.title.upper()) in printed for s in seg.sections if s.title and s.number)


@pytest.mark.corpus
def test_headings_set_in_title_case_are_found(corpus_archive):
    """Every heading of every agreement set in title case, as a retyped agreement (or a
    small-capitals font read as lower case) sets it: an agreement whose headings read
    clean (every title as the template prints it) is cut exactly as before; one whose
    headings carry OCR's misreadings too ("CML RIGHTS": a double damage), in >= 80%."""
    assert title_case("VIII. EFFECTIVE DATE, SUSPENSION, AND TERMINATION OF THIS MOA") == \
        "VIII. Effective Date, Suspension, and Termination of this MOA"
    assert title_case("APPENDIX B") == "Appendix B"
    _cut_as_before_when_restyled(corpus_archive, title_case, misread_share=0.8)


def _roman_bracketed(heading: str) -> str:
    return re.sub(r"^([IVXL]+|[A-J])[.,:;]\s*", r"\1) ", heading)


def _roman_in_brackets(heading: str) -> str:
    return re.sub(r"^([IVXL]+|[A-J])[.,:;]\s*", r"(\1) ", heading)


def _roman_dashed(heading: str) -> str:
    return re.sub(r"^([IVXL]+|[A-J])[.,:;]\s*", r"\1 - ", heading)


def _letter_spaced(heading: str) -> str:
    """As a text layer gives a heading set with wide tracking: a space between signs,
    three between words."""
    return "   ".join(" ".join(w) for w in heading.split())


def _number_lost(heading: str) -> str:
    return re.sub(r"^\S{1,5}[.,:;]\s+(?=\S)", "", heading)


def _run_together(heading: str) -> str:
    return re.sub(r"\s+", "", heading)


def _marked_before(heading: str) -> str:
    return "| " + heading


def _marked_after(heading: str) -> str:
    return heading + " |"


def _stopped(heading: str) -> str:
    return heading + "."


def _number_apart(heading: str) -> str:
    return re.sub(r"^([IVXL]+|[A-J])([.,:;])\s*", "\\1\\2\n", heading)


_ROMAN = {r: str(n) for n, r in enumerate(
    "I II III IV V VI VII VIII IX X XI XII XIII XIV XV XVI XVII XVIII XIX XX XXI XXII".split(), 1)}


def _arabic(heading: str) -> str:
    return re.sub(r"^([IVXL]+)(?=[.,:;])", lambda m: _ROMAN.get(m[1], m[1]), heading)


def _section_word(heading: str) -> str:
    return re.sub(r"^([IVXL]+)(?=[.,:;])", r"SECTION \1", heading)


def _numeral_set_apart(heading: str) -> str:
    return re.sub(r"^([IVX]{2,})(?=[.,:;])", lambda m: " ".join(m[1]), heading)


def _appendix_dashed(heading: str) -> str:
    return re.sub(r"^APPENDIX\s+([A-D])\b:?", r"APPENDIX – \1:", heading)


@pytest.mark.corpus
# (restyle, share of the agreements with misread headings cut as before, titles kept too)
@pytest.mark.parametrize("restyle, misread_share, titled", [
    (_roman_bracketed, 1.0, True), (_roman_in_brackets, 1.0, True), (_roman_dashed, 1.0, True),
    (_letter_spaced, 1.0, False), (_run_together, 1.0, False), (_number_lost, 0.8, False),
    (_marked_before, 1.0, False), (_marked_after, 1.0, False), (_stopped, 1.0, False),
    (_number_apart, 1.0, True), (_arabic, 1.0, False), (_section_word, 1.0, True),
    (_numeral_set_apart, 1.0, True), (_appendix_dashed, 1.0, True)])
def test_headings_set_otherwise_are_found(corpus_archive, restyle, misread_share, titled):
    """Every heading of every agreement set as a retyped agreement or a text layer may
    set it: its number bracketed ("IV)", "(IV)") or dashed ("IV - "), letter-spaced
    ("P U R P O S E"), its spaces lost ("IV.RESPONSIBILITIES"), or its number lost to OCR
    (decided by the title and its place); a rule or speck read as "|" before or after it,
    a period after it, its number on a line of its own ("III." over "AUTHORITY"), in Arabic
    figures ("3. AUTHORITY") or after a word ("SECTION III. AUTHORITY"), its numeral's letters
    set apart ("V I I I."), an appendix's letter after a dash ("APPENDIX – B:"). Clean headings are
    cut exactly as before, and where the restyle keeps the title's words (*titled*) with the
    same titles; those OCR also misread, in *misread_share* of the agreements."""
    _cut_as_before_when_restyled(corpus_archive, restyle, misread_share, titled)


def _cut_as_before_when_restyled(corpus_archive, restyle, misread_share: float, titled: bool = False) -> None:
    clean, misread = [], []
    for name, pages in _documents(corpus_archive):
        base = segment(pages)
        seg = segment(_restyled(pages, base, restyle))
        same = _cut(seg) == _cut(base) and seg.complete == base.complete
        if titled and _printed_clean(base):
            same = same and [s.title for s in seg.sections] == [s.title for s in base.sections]
        (clean if _printed_clean(base) else misread).append((name, same, seg.problems[:3]))
    assert len(clean) >= 10 and len(misread) >= 10, (len(clean), len(misread))
    assert [x for x in clean if not x[1]] == []
    assert sum(same for _, same, _ in misread) >= misread_share * len(misread), [x for x in misread if not x[1]]


@pytest.mark.corpus
def test_an_appendix_whose_title_is_lost_is_found_by_its_letter(corpus_archive):
    """Every appendix's title line lost (OCR read it as nothing, or it is worded as no
    template words it), its "APPENDIX B" line kept and clean: every agreement is cut as
    before, and every appendix is still found where it begins."""
    wrong, damaged_docs = [], 0
    for name, pages in _documents(corpus_archive):
        base = segment(pages)
        lost: dict[int, set[str]] = {}
        for sec in base.sections:
            heading = base.lines[sec.heading]
            # (only where the line reads "APPENDIX B" as printed: "APP N IX" with its title lost says nothing)
            if sec.key.startswith("appendix-") and len(heading) >= 2 and re.match(r"^\W*APPENDIX\s*[A-D]\W*$", heading[0].text):
                for ln in heading[1:]:
                    lost.setdefault(ln.page, set()).add(ln.text)
        if not lost:
            continue
        damaged_docs += 1
        damaged = ["\n".join(ln for ln in (p or "").splitlines() if ln.strip() not in lost.get(n, ()))
                   for n, p in enumerate(pages, 1)]
        seg = segment(damaged)
        if [(k, f) for k, f, _ in _cut(seg)] != [(k, f) for k, f, _ in _cut(base)] or seg.complete != base.complete:
            wrong.append((name, seg.problems[:3]))
    assert damaged_docs >= 30
    assert wrong == []


def test_unreadable_document_says_why():
    rng = random.Random(7)
    seg = segment([noise_page(rng) for _ in range(4)])
    assert seg.layout is None and not seg.complete
    assert seg.problems == ["no section headings recognised: no page has readable text "
                            "(blank or OCR noise); the scan needs reading again"]
    letter = segment(["Dear Sheriff,\nthank you for your letter of the fifth. We will reply soon."])
    assert "none of the headings of a known MOA layout" in letter.problems[0]


# --- born-digital pages read as scans (issue 15, items 1, 2, 4) ----------------------
# The strongest check short of unseen scans: real text-layer pages rendered, degraded as
# a scanner degrades a page and OCR'd with the project's settings (tests/ocr_scan.py).
# bench/bench_ocr_sections.py does it for ~250 pages of the corpus; here a bounded subset
# (<= 40 pages of OCR). MOA_OCR_SCAN_CACHE=DIR keeps the readings between runs.
SCAN_DOCS, SCAN_PAGES = 9, 4
RUINED = [2, 2]        # first pages ruined, for the first two of the scanned documents


def _scan_cache(tmp_path):
    import os
    from pathlib import Path
    return Path(os.environ.get("MOA_OCR_SCAN_CACHE") or tmp_path / "ocr-scan")


def _scan_subset(corpus_archive) -> list[dict]:
    """SCAN_DOCS held-out documents with text-layer pages, taken in turn from each layout."""
    from itertools import chain, zip_longest

    from ocr_scan import layer_documents
    by_layout: dict = {}
    for doc in layer_documents(corpus_archive):
        if doc["name"] not in TUNED_ON and len(doc["layer"]) >= SCAN_PAGES:
            by_layout.setdefault(segment(doc["pages"]).layout, []).append(doc)
    turns = chain.from_iterable(zip_longest(*(by_layout[k] for k in sorted(by_layout))))
    return [doc for doc in turns if doc][:SCAN_DOCS]


def _scan_pages(doc, seg) -> list[int]:
    """The text-layer pages a scan tests most: appendix B's, the signature page, the
    addendum's, then those with the most headings."""
    from collections import Counter

    from archive.structure.signatures import block_lines
    heads = Counter(seg.lines[s.heading][0].page for s in seg.sections if s.heading.stop > s.heading.start)
    first = [s.first_page for s in seg.sections if s.key == "appendix-complaint"]
    first += [ln.page for ln in block_lines(seg)[:1]] + [s.first_page for s in seg.sections if s.key == "addendum"]
    ranked = list(dict.fromkeys(first + [p for p, _ in heads.most_common()]))
    return [p for p in ranked if p in doc["layer"]][:SCAN_PAGES]


@pytest.mark.corpus
def test_sections_hold_when_text_layer_pages_are_read_as_scans(corpus_archive, tmp_path):
    """Held-out documents with their heading pages rendered, degraded as scanned (lower dpi,
    rotation, blur, noise, black and white) and OCR'd: every section the text layer gives
    is found, same key, same first page; a complete document stays complete; ICE's signing
    date is the text layer's or absent, never another (against the page read by eye where
    the layer has none). The scan reading with its headings damaged further
    (tests/ocr_damage.py, as a worse scan would) is still cut the same."""
    from ocr_scan import as_scanned, scan_reading
    from signature_pages import GOLDEN, judge
    from archive.structure.facts import signatures

    docs = _scan_subset(corpus_archive)
    assert len(docs) == SCAN_DOCS and len({segment(d["pages"]).layout for d in docs}) >= 4
    wrong, read = [], 0
    for doc in docs:
        base = segment(doc["pages"])
        pages = _scan_pages(doc, base)
        read += len(pages)
        texts = {n: scan_reading(doc["path"], n, _scan_cache(tmp_path))["text"] for n in pages}
        seg = segment(as_scanned(doc["pages"], doc["readers"], texts))
        missed = [(s.key, s.first_page) for s in base.sections
                  if (s.key, s.first_page) not in {(t.key, t.first_page) for t in seg.sections}]
        ours = {f.name: (f.value, f.page) for f in signatures(seg)}
        layer = {f.name: (f.value, f.page) for f in signatures(base)}
        date, was = (ours.get("signed_ice") or (None,))[0], (layer.get("signed_ice") or (None,))[0]
        bad_date = date is not None and (date != was if was else
                                         doc["name"] in GOLDEN and judge(doc["name"], ours)["signed_ice"] == "wrong")
        if missed or base.complete and not seg.complete or bad_date:
            wrong.append((doc["name"], pages, missed, seg.problems[:4], was, date))
        scanned = as_scanned(doc["pages"], doc["readers"], texts)
        for seed in SEEDS:          # a worse scan: its headings damaged further, as OCR does
            worse = segment(damage_pages(scanned, seg, seed))
            if _cut(worse) != _cut(seg) or seg.complete and not worse.complete:
                wrong.append((doc["name"], "damaged", seed, worse.problems[:4]))
    assert read <= 40 - sum(RUINED)
    assert wrong == []


@pytest.mark.corpus
def test_sections_hold_when_pages_are_scanned_turned(corpus_archive, tmp_path):
    """Held-out documents whose heading pages are scanned (degraded as above) and fed
    sideways or upside down: each such page is found turned and read upright, and every
    section the text layer gives is found, same key, same first page."""
    from ocr_scan import as_scanned, scan_reading

    wrong, turned = [], 0
    for doc in _scan_subset(corpus_archive)[len(RUINED):len(RUINED) + 2]:
        base = segment(doc["pages"])
        pages = _scan_pages(doc, base)[:2]
        readings = {n: scan_reading(doc["path"], n, _scan_cache(tmp_path), turn=(90, 180)[k % 2])
                    for k, n in enumerate(pages)}
        turned += sum(r["turned"] != 0 for r in readings.values())
        seg = segment(as_scanned(doc["pages"], doc["readers"], {n: r["text"] for n, r in readings.items()}))
        missed = [(s.key, s.first_page) for s in base.sections
                  if (s.key, s.first_page) not in {(t.key, t.first_page) for t in seg.sections}]
        if missed or base.complete and not seg.complete:
            wrong.append((doc["name"], pages, missed, seg.problems[:4]))
    assert turned == 4
    assert wrong == []


@pytest.mark.corpus
def test_first_pages_ruined_in_a_real_scan_reading(corpus_archive, tmp_path):
    """The first pages of a document scanned so badly (90 dpi, skewed, blurred, dark) that
    OCR reads noise: the layout is still known from the rest, every section whose heading
    is on a later page is cut where it was, and the problems say which pages could not be
    read and which sections that lost."""
    from ocr_scan import RUINED_SCAN, as_scanned, scan_reading

    for doc, k in zip(_scan_subset(corpus_archive), RUINED):
        base = segment(doc["pages"])
        texts = {n: scan_reading(doc["path"], n, _scan_cache(tmp_path), RUINED_SCAN)["text"]
                 for n in range(1, k + 1)}
        assert all(not t.strip() or not readable(t) for t in texts.values()), texts
        seg = segment(as_scanned(doc["pages"], doc["readers"], texts))
        heading_page = {s.key: base.lines[s.heading][0].page for s in base.sections if s.heading.stop > s.heading.start}
        kept = [(s.key, s.first_page) for s in base.sections if heading_page.get(s.key, 0) > k]
        assert seg.layout == base.layout
        assert [c for c in kept if c not in {(s.key, s.first_page) for s in seg.sections}] == []
        lost = {key for key, page in heading_page.items() if page <= k and key != "addendum"}
        assert lost <= {p.split()[1] for p in seg.problems if p.startswith("missing ")}, seg.problems
        assert f"page(s) 1-{k} of {len(doc['pages'])} have no readable text" in " ".join(seg.problems)


# --- signing facts (issue 15, item 3) ------------------------------------------------
def _damaged_block_seg(seg, seed: int, damage=damage_block):
    """*seg* with the lines of its signature block (after the closing sentence of the
    termination section) damaged as a scan would (tests/ocr_damage.py, seeded)."""
    import dataclasses

    from archive.structure.signatures import block_lines
    block = block_lines(seg)
    if not block:
        return seg
    where = {id(ln): k for k, ln in enumerate(seg.lines)}
    texts = damage(random.Random(seed), [ln.text for ln in block])
    lines = list(seg.lines)
    for ln, text in zip(block, texts):
        lines[where[id(ln)]] = dataclasses.replace(ln, text=text)
    return dataclasses.replace(seg, lines=lines)


def _same_reading(a: tuple | None, b: tuple | None) -> bool:
    """The same value on the same page (a name's spaces and case aside)."""
    from signature_pages import same
    return a is not None and b is not None and a[1] == b[1] and same(a[0], b[0])


def _as_damaged(a: tuple | None, b: tuple | None) -> bool:
    """A damaged block's name *a* is undamaged *b* with some letters confused as the damage
    confuses them ("Oavid Birchim" for "David Birchim"), on the same page: the name the
    damaged text prints, read as printed: the same person, not another one."""
    from ocr_damage import CONFUSIONS
    if a is None or b is None or a[1] != b[1] or len(a[0]) != len(b[0]) or any(c.isdigit() for c in b[0]):
        return False
    return any(x != y for x, y in zip(a[0], b[0])) and all(
        x == y or x in CONFUSIONS.get(y, "") for x, y in zip(a[0], b[0]))


def _signing(seg) -> dict:
    from archive.structure.facts import signatures
    return {f.name: (f.value, f.page) for f in signatures(seg)}


@pytest.mark.corpus
@pytest.mark.parametrize("held_out", [False, True], ids=["tuned-on", "held-out"])
def test_signing_facts_hold_when_the_block_is_damaged_as_ocr_does(corpus_archive, held_out):
    """Signature blocks damaged as a scan damages them (letters and digits confused, labels'
    colons misread, rules read into values, words and lines run together): every name and
    date is still read as on the undamaged page, or not read; never read otherwise. Most
    are still read."""
    runs = kept = before = 0
    wrong = []
    for name, pages in _documents(corpus_archive, held_out=held_out):
        seg = segment(pages)
        base = _signing(seg)
        for seed in SEEDS:
            runs += 1
            got = _signing(_damaged_block_seg(seg, seed))
            wrong += [(name, seed, k, v, base.get(k)) for k, v in got.items()
                      if not _same_reading(v, base.get(k))
                      and not (k.endswith("_signatory") and _as_damaged(v, base.get(k)))]
            before += len(base)
            kept += sum(_same_reading(got.get(k), v) for k, v in base.items())
    assert runs >= 100 and before >= 100
    assert wrong == []
    assert kept >= 0.6 * before, (kept, before)


@pytest.mark.corpus
def test_signing_dates_hold_when_ocr_reads_their_digits_as_letters(corpus_archive):
    """Every date of every signature block (numeric, a stamp's, a month's name and day)
    with its digits read as the letters OCR takes them for ("O6/l1/2O25", "2O25.O3.l8"):
    never read as another date; read as on the clean page in >= 90% of the cases where
    four true digits or more are left of it."""
    from archive.structure.signatures import find_dates
    runs = kept = 0
    wrong = []
    for name, pages in _documents(corpus_archive):
        seg = segment(pages)
        base = {k: v for k, v in _signing(seg).items() if k.startswith("signed_")}
        if not base:
            continue
        for seed in SEEDS:
            damaged = _damaged_block_seg(seg, seed, misread_date_digits)
            got = _signing(damaged)
            for k, v in base.items():
                wrong += [(name, seed, k, got[k], v)] if k in got and got[k] != v else []
                shown = [m for ln in damaged.lines if ln.page == v[1]
                         for m in _DATE_SHAPES.findall(ln.text) if find_dates(m.translate(_BACK)) == [v[0]]]
                if shown and all(len(re.findall(r"\d", m)) >= 4 for m in shown):
                    runs += 1
                    kept += got.get(k) == v
    assert runs >= 60, runs
    assert wrong == []
    assert kept >= 0.9 * runs, (kept, runs)


def _numeric_dates_damaged(corpus_archive, damage, seeds) -> tuple[int, int, list, int]:
    """Every document's numeric signing dates (their block lines) damaged by *damage*, seed
    by seed: (dates tried, dates read as on the clean page, values read otherwise, lines
    *damage* left otherwise than write_dates_otherwise alone)."""
    runs = kept = changed = 0
    wrong = []
    for name, pages in _documents(corpus_archive):
        seg = segment(pages)
        base = {k: v for k, v in _signing(seg).items() if k.startswith("signed_")}
        numeric = {k for k, v in base.items() if any(
            re.search(r"\b\d{1,2}/\d{1,2}/20\d\d\b", ln.text) for ln in seg.lines if ln.page == v[1])}
        for seed in seeds if numeric else ():
            damaged = _damaged_block_seg(seg, seed, damage)
            got = _signing(damaged)
            wrong += [(name, seed, k, got[k], v) for k, v in base.items() if k in got and got[k] != v]
            runs += len(numeric)
            kept += sum(got.get(k) == base[k] for k in numeric)
            written = _damaged_block_seg(seg, seed, write_dates_otherwise)
            changed += sum(a.text != b.text for a, b in zip(damaged.lines, written.lines))
    return runs, kept, wrong, changed


@pytest.mark.corpus
def test_signing_dates_hold_when_written_otherwise(corpus_archive):
    """Every numeric signing date of every signature block written as another office
    writes it ("11 June 2025", "2025-06-11", "the 11th day of June, 2025", ...): read as on
    the clean page, every one, and none as another date."""
    runs, kept, wrong, _ = _numeric_dates_damaged(corpus_archive, write_dates_otherwise, SEEDS)
    assert runs >= 40, runs
    assert wrong == []
    assert kept == runs, (kept, runs)


@pytest.mark.corpus
def test_signing_dates_hold_when_their_month_is_misread(corpus_archive):
    """Every numeric signing date written out as another office writes it (as above), then
    its month's name misread as print is ("0ctober 15, 2019", "11 Iune 2025", "the 5th day
    of Decernber, 2025"): read as on the clean page, every one, and none as another date."""
    def damage(rng, texts):
        return misread_month_names(rng, write_dates_otherwise(rng, texts))
    # three times SEEDS: 4 of the 8 forms written name no month in full
    runs, kept, wrong, misread = _numeric_dates_damaged(corpus_archive, damage, range(12))
    assert runs >= 120 and misread >= 40, (runs, misread)
    assert wrong == []
    assert kept == runs, (kept, runs)


_BACK = str.maketrans("OoIl|SB", "0011158")
# a date as the damage leaves it: numeric, a stamp's, or a month's name and day
_DATE_SHAPES = re.compile(r"[\w|]{1,2}/[\w|]{1,2}/2[\w|]{3}|2[\w|]{3}\.[\w|]{2}\.[\w|]{2}|[A-Z][a-z]+ [\w|]{1,2}, 2[\w|]{3}")


@pytest.mark.corpus
@pytest.mark.parametrize("held_out", [False, True], ids=["tuned-on", "held-out"])
def test_a_second_reading_of_a_damaged_block_reads_nothing_otherwise(corpus_archive, held_out):
    """The rules a second reading of the block is read by (signatures.second_reading:
    footers stripped, the closing sentence cut, names side by side cut), on each block's
    text damaged as a scan damages it: every value is the undamaged text's, or not read;
    a name read as the damaged text prints it counts as its own."""
    from ocr_damage import damage_block
    from archive.structure.signatures import block_lines, second_reading, signature_page
    runs, read, bad = 0, 0, []
    for name, pages in _documents(corpus_archive, held_out=held_out):
        seg = segment(pages)
        page = signature_page(seg)
        if page is None:
            continue
        known = [(n, *v) for n, v in _signing(seg).items() if n.endswith("_signatory")][:1]
        texts = [ln.text for ln in block_lines(seg) if ln.page == page]
        base = {n: (v, p) for n, v, p in second_reading(seg, known, "\n".join(texts), page)}
        read += len(base)
        for seed in SEEDS:
            runs += 1
            got = second_reading(seg, known, "\n".join(damage_block(random.Random(seed), texts)), page)
            for n, v, p in got:
                if not (_same_reading((v, p), base.get(n)) or (n.endswith("_signatory") and _as_damaged((v, p), base.get(n)))):
                    bad.append((name, seed, n, v, base.get(n)))
    assert runs >= 100 and read >= 20, (runs, read)
    assert bad == [], bad


def _block_readings_with_date_lines(corpus_archive):
    """Every first reading of a signature block the corpus archive keeps, with its words'
    places, and its lines of one "Date:" per column at least one of which holds a date."""
    from archive.read.stored import decode_words
    from archive.structure.signatures import cells_of
    rows = corpus_archive.db.execute(
        "SELECT b.sha256, d.file_name, b.page, b.text, b.words FROM block_readings b"
        " JOIN documents d ON d.sha256 = b.sha256 WHERE b.psm = 6 AND b.words IS NOT NULL ORDER BY d.file_name")
    for r in rows:
        words = [list(w) for w in decode_words(r["words"])]
        lines = [k for k, t in enumerate(r["text"].splitlines())
                 if len(cells := cells_of(t)[1]) >= 2 and {c.label for c in cells} == {"date"}]
        if lines:
            yield r, words, lines


def _text_of(words) -> str:
    lines: dict[int, list[str]] = {}
    for w in words:
        lines.setdefault(w[5], []).append(w[0])
    return "\n".join(" ".join(lines[n]) for n in sorted(lines))


def _cells_words(words, k: int) -> list[tuple[list, list, list]]:
    """Per "Date:" cell of line *k*: the words of its label, the words of the date in its
    value (none when it holds no date, or the date runs into its label) and all the words
    of its value."""
    from archive.structure.signatures import DATE_RES, LABEL_RE, ocr_digits
    line = [w for w in words if w[5] == k]
    text = ocr_digits(" ".join(w[0] for w in line))
    starts, at = [], 0
    for w in line:
        starts.append(at)
        at += len(w[0]) + 1
    labels = [m for m in LABEL_RE.finditer(text)]
    out = []
    for j, m in enumerate(labels):
        end = labels[j + 1].start() if j + 1 < len(labels) else len(text)
        spans = [d.span() for rx in DATE_RES for d in rx.finditer(text, m.end(), end)]
        label = [w for w, s in zip(line, starts) if s < m.end() and m.start() < s + len(w[0])]
        date = [w for w, s in zip(line, starts) if spans and s < spans[0][1] and spans[0][0] < s + len(w[0])]
        value = [w for w, s in zip(line, starts) if s >= m.end() and s < end and id(w) not in set(map(id, label))]
        out.append((label, [] if set(map(id, date)) & set(map(id, label)) else date, value))
    return out


def _moved_above(words, k: int, moving: list, dropped=(), shift: int = 0) -> list:
    """The reading's words with *moving* (words of line *k*) set alone on a new line over
    line *k*, *shift* BOX_UNITS to the right, and *dropped* left out."""
    ids, gone = set(map(id, moving)), set(map(id, dropped))
    out = []
    for w in words:
        if id(w) in gone:
            continue
        line = w[5] + (w[5] >= k)
        out.append([w[0], w[1] + shift, *w[2:5], k] if id(w) in ids else [*w[:5], line])
    return sorted(out, key=lambda w: w[5])


@pytest.mark.corpus
def test_a_date_moved_off_its_blank_is_placed_by_where_it_stands(corpus_archive):
    """Real block readings (tesseract at 400 dpi, its words' places as read) of lines of
    one "Date:" per column, each date in turn taken off its blank and set alone on the line
    above where it stood, as OCR sets a date typed over its blank: it is read as the
    column's date it was; moved by the distance between the labels into the other column
    (that column's blank emptied), it is the other column's (where the block prints no
    other date over the blanks and not this one again); never another value."""
    from archive.structure.signatures import find_dates, second_reading

    def read(seg, r, words):
        return {n: v for n, v, _ in second_reading(seg, [], _text_of(words), r["page"], "2019-01-01",
                                                   words=[tuple(w) for w in words])
                if n.startswith("signed_")}
    tried = placed = moves = moved = wrong = 0
    for r, words, lines in _block_readings_with_date_lines(corpus_archive):
        assert _text_of(words) == r["text"], r["file_name"]       # the places are the text's
        seg = segment(load_pages(corpus_archive.db, r["sha256"]))
        base = read(seg, r, words)
        for k in lines:
            cells = _cells_words(words, k)
            if len(cells) != 2:
                continue
            for j, (label, date, _) in enumerate(cells):
                value = find_dates(" ".join(w[0] for w in date))
                parties = [n for n, v in base.items() if value and v == value[0]]
                if len(parties) != 1:
                    continue        # no date read on this blank, or both parties' the same
                party = parties[0]
                tried += 1
                got = read(seg, r, _moved_above(words, k, date))
                placed += got.get(party) == base[party]
                wrong += sum(got[n] != v for n, v in base.items() if n in got)
                texts = r["text"].splitlines()
                if any(value[0] in find_dates(t) for n, t in enumerate(texts) if n != k) \
                        or (k and find_dates(texts[k - 1])):
                    continue        # the date printed again, or another over the blanks: no move to make
                shift = cells[1 - j][0][0][1] - label[0][1]     # by the distance between the labels
                got = read(seg, r, _moved_above(words, k, date, dropped=cells[1 - j][2], shift=shift))
                other = "signed_ice" if party == "signed_agency" else "signed_agency"
                moves += 1
                moved += got.get(other) == base[party] and got.get(party) != base[party]
    assert tried >= 20 and moves >= 15, (tried, moves)
    assert placed == tried and moved == moves and wrong == 0, (tried, placed, moves, moved, wrong)


@pytest.mark.corpus
def test_a_scrawl_over_one_column_leaves_the_other_as_read(corpus_archive):
    """Real block readings with their words' places, each line that holds both columns
    with one column's words in turn read as a signature's scrawl ("~/" where they stood),
    as a pen stroke over a typed name or date makes OCR read them: the other column's
    facts are read as before, and no fact is read that the signature page does not show
    (tests/signature_pages.py) unless the undamaged reading read it so too (a misreading
    of the reading itself, which the stage's second layout leaves out: facts.confirmed)."""
    from signature_pages import GOLDEN, judge
    from archive.read.stored import decode_words
    from archive.structure.signatures import COLUMN_SLACK, column_edge, find_dates, second_reading
    tried = kept = 0
    wrong = []
    for r in corpus_archive.db.execute(
            "SELECT b.sha256, d.file_name, b.page, b.text, b.words FROM block_readings b JOIN documents d"
            " ON d.sha256 = b.sha256 WHERE b.psm = 6 AND b.words IS NOT NULL ORDER BY d.file_name").fetchall():
        words = [list(w) for w in decode_words(r["words"])]
        seg = segment(load_pages(corpus_archive.db, r["sha256"]))

        def read(ws):
            return {n: (v, p) for n, v, p in second_reading(seg, [], _text_of(ws), r["page"], "2019-01-01",
                                                           words=[tuple(w) for w in ws])}
        base = read(words)
        lines: dict[int, list] = {}
        for w in words:
            lines.setdefault(w[5], []).append(w)
        edge = column_edge([[(w[0], w[1], w[1] + w[3]) for w in ws] for _, ws in sorted(lines.items())])
        if edge is None:
            continue
        for k, ws in lines.items():
            sides = [[w for w in ws if w[1] < edge - COLUMN_SLACK], [w for w in ws if w[1] >= edge - COLUMN_SLACK]]
            if not all(sides):
                continue
            for side in (0, 1):
                scrawl = {id(w) for w in sides[side]}
                got = read([["~/", *w[1:]] if id(w) in scrawl else w for w in words])
                verdicts = judge(r["file_name"], got) if r["file_name"] in GOLDEN else {}
                wrong += [(r["file_name"], k, n, got[n]) for n, v in verdicts.items()
                          if v == "wrong" and got[n] != base.get(n)]
                line_text = " ".join(w[0] for w in sides[1 - side])
                for n, (value, _) in base.items():
                    if value in line_text or (n.startswith("signed_") and value in find_dates(line_text)):
                        tried += 1
                        kept += got.get(n, (None,))[0] == value
    assert wrong == []
    assert tried >= 10 and kept >= 0.9 * tried, (kept, tried)


@pytest.mark.corpus
def test_a_block_scanned_off_centre_or_scaled_reads_the_same(corpus_archive):
    """Real block readings with their words' places, as a scan set off centre or at
    another scale sets them (every box moved by up to a tenth of the width, or scaled by
    0.85-1.1 about the page's left edge): the same facts as the reading as made."""
    from archive.read.stored import decode_words
    from archive.structure.signatures import second_reading
    compared = 0
    for r in corpus_archive.db.execute(
            "SELECT b.sha256, b.page, b.text, b.words FROM block_readings b"
            " WHERE b.psm = 6 AND b.words IS NOT NULL ORDER BY b.sha256").fetchall():
        words = decode_words(r["words"])
        seg = segment(load_pages(corpus_archive.db, r["sha256"]))

        def read(ws):
            return second_reading(seg, [], r["text"], r["page"], "2019-01-01", words=ws)
        base = read(words)
        for shift, scale in ((-800, 1.0), (1000, 1.0), (0, 0.85), (0, 1.1), (500, 0.9)):
            moved = [(w[0], round(w[1] * scale + shift), w[2], round(w[3] * scale), *w[4:]) for w in words]
            assert read(moved) == base, (r["sha256"][:12], shift, scale)
            compared += 1
    assert compared >= 100, compared
