"""The OCR-confusion model (archive/read/ocr_confusions.py): its table is what
bench/derive_confusions.py derives from the committed evidence (real tesseract readings of
corpus pages aligned with their text layers), every pair of it is explained by that
evidence, the model folds the confusions real tesseract makes of a fixture page read as a
scan, and noise is classed one way wherever it is judged: OCR confusions are noise in
redlines, a changed word or digit is not."""
from __future__ import annotations

import importlib.util
import json
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from archive import compare
from archive.compare.normalize import tokenize_spans
from archive.read import ocr, ocr_confusions
from archive.read.ocr_confusions import GLYPH_PAIRS, SEQUENCE_PAIRS, confusable, skeleton
from archive.read.pdf import open_pdf
from ocr_damage import PRINT_MISREADINGS, misread_words
from test_compare import FINNEY, FRANKLIN, LAWRENCE, SMITH, TX_JAN, cut  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "bench" / "derive_confusions.py"
EVIDENCE = ROOT / "tests" / "fixtures" / "confusions-evidence.json"
FIXTURE_PDFS = ROOT / "tests" / "fixtures" / "corpus" / "pdfs"


def _bench():
    spec = importlib.util.spec_from_file_location("derive_confusions", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_committed_table_is_what_the_script_derives_from_the_evidence():
    out = subprocess.run([sys.executable, str(SCRIPT), "--evidence", str(EVIDENCE), "--check"],
                         capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "committed table is the derived one" in out.stdout
    # it reports the held-out half, for the derived and the previous table
    assert re.search(r"held half, tune-half: by pair \d+/\d+", out.stdout), out.stdout[-2000:]


def test_every_pair_of_the_table_is_explained_by_evidence():
    bench = _bench()
    ev = json.loads(EVIDENCE.read_text())
    rows = {r["pair"]: r for r in bench.choose(ev, **bench.RULES, halves=("tune", "held"))}
    shapes = {tuple(p) for p in ev["shape_pairs"]}
    for pair in (*GLYPH_PAIRS, *SEQUENCE_PAIRS):
        r = rows[pair]
        assert r["kept"]
        assert (pair in shapes or r["count"] >= bench.RULES["min_count"] and r["docs"] >= bench.RULES["min_docs"]
                or bench.is_letter_digit(pair) and r["count"] >= bench.RULES["min_count_letter_digit"]), r
        if pair not in shapes:      # seen in real readings, in the words they were misread in
            seen = [e for e in ev["events"] if bench.pair_key(e[3], e[4]) == pair]
            assert len(seen) == r["count"] and all(e[5] and e[7] for e in seen)
    # the table the rules give on the tune half alone is smaller, and within the committed one
    tune = bench.table_of(bench.choose(ev, **bench.RULES))
    assert set(tune[0]) <= set(GLYPH_PAIRS) and set(tune[1]) <= set(SEQUENCE_PAIRS)
    # no digit for a digit, whatever the evidence: a number's digits are the agreement's terms
    assert not [p for p in GLYPH_PAIRS if p[0].isdigit() and p[1].isdigit()]


def test_the_model_folds_what_real_tesseract_misreads_on_a_scanned_fixture_page():
    """A born-digital fixture page rendered and put through a scanner's damage (the bench's
    seeded simulation), read by real tesseract with the project's settings, aligned with its
    text layer: every confusion of a pair in the table is folded in the word it is in."""
    bench = _bench()
    pdf_path = FIXTURE_PDFS / "SmithCoSheriffsOfficeTX_TFM_MOA_02.18.25.pdf"
    events = []
    with open_pdf(pdf_path.read_bytes(), pdf_path.name) as pdf:
        for page, seed in ((2, "a"), (5, "b")):
            layer = pdf.page_text(page).text
            image = bench.scanned(pdf.render(page, ocr.DEFAULT_DPI, grey=True), f"test:{seed}")
            text, _, _ = ocr.read_image(image)
            found, other = bench.substitutions(layer, text)
            assert other["words read right"] > 200
            events += found
    assert events, "the simulated scan made tesseract misread nothing"
    table = {*GLYPH_PAIRS, *SEQUENCE_PAIRS}
    ours = [(s, t, wa, k) for s, t, wa, k, _ in events if bench.pair_key(s, t) in table]
    assert ours, events
    for s, t, wa, k in ours:
        assert skeleton(wa) == skeleton(wa[:k] + t + wa[k + len(s):]), (s, t, wa)


@pytest.mark.parametrize("a, b", [("13S7(g)", "1357(g)"), ("Fonn", "Form"), ("perfonn", "perform"),
                                  ("8 U.S.C. § 13S7(g)", "8 U.S.C. § 1357(g)"), ("Forrn", "Form")])
def test_the_issues_misreadings_are_noise_in_a_redline(a, b):
    assert confusable(a, b)
    rl = compare.redline(tokenize_spans(f"the LEA shall {a} within the terms"),
                         tokenize_spans(f"the LEA shall {b} within the terms"))
    assert rl["material"] == 0 and any(o["op"] == "noise" for o in rl["ops"])


def test_no_digit_is_folded_into_another_digit():
    """A changed digit in an amount, a count of days or a month-and-year reference is a
    change, for every pair of digits."""
    for x in "0123456789":
        for y in "0123456789":
            if x != y:
                assert not confusable(f"$1,{x}00", f"$1,{y}00"), (x, y)
                assert not confusable(f"2{x}", f"2{y}"), (x, y)
    for a, b in [("$1,500.00", "$1,600.00"), ("within 30 days", "within 80 days"),
                 ("Revised December 2014", "Revised December 2019"), ("shall", "shall not")]:
        rl = compare.redline(tokenize_spans(f"The LEA {a} of the MOA."), tokenize_spans(f"The LEA {b} of the MOA."))
        assert rl["material"] >= 1, (a, b)


@pytest.mark.parametrize("name, key", [(SMITH, "termination"), (FRANKLIN, "certification"), (LAWRENCE, "liability"),
                                       (TX_JAN, "local-charges"), (FINNEY, "appendix-complaint")])
def test_real_sections_misread_with_every_pair_of_the_table_are_noise_and_real_changes_are_not(name, key):
    """A real section misread with the table's own confusions (each pair, both ways): the
    redline marks every misread word noise; 'shall' made 'shall not', or a digit changed,
    in the same damaged text is still one real change."""
    text, fill = cut(name)[key], cut(name)["fillins"]
    toks = tokenize_spans(text, fill)
    keep = {i for t in toks if t.key.startswith("‹") for i in range(t.start, t.end)}
    used, checked = set(), {"shall": 0, "digit": 0}
    for seed in range(4):
        rng = random.Random(f"{name}{key}{seed}")
        bad = misread_words(text, rng, 0.4, where=lambda start: start not in keep)
        assert bad != text
        used |= {(a, b) for a, b in PRINT_MISREADINGS if a in text and b in bad}
        rl = compare.redline(tokenize_spans(text, fill), tokenize_spans(bad, fill), text, bad)
        assert rl["material"] == 0, [o for o in rl["ops"] if o.get("material")][:3]
        assert any(o["op"] == "noise" for o in rl["ops"])
        assert "".join(o["b"] + o["b_sep"] for o in rl["ops"]) == bad
        m = re.search(r"\bshall\b", bad)
        if m:
            checked["shall"] += 1
            changed = bad[:m.end()] + " not" + bad[m.end():]
            assert compare.redline(tokenize_spans(text, fill), tokenize_spans(changed, fill), text,
                                   changed)["material"] == 1
        # a digit of a number printed as such (not a letter the damage read as a digit)
        d = next((m for m in re.finditer(r"(?<!\w)\d+(?!\w)", bad) if m.start() not in keep), None)
        if d:
            checked["digit"] += 1
            changed = bad[:d.start()] + str((int(d.group(0)[0]) + 3) % 10) + bad[d.start() + 1:]
            assert compare.redline(tokenize_spans(text, fill), tokenize_spans(changed, fill), text,
                                   changed)["material"] >= 1
    assert len(used) >= 4 and all(checked.values()), (used, checked)


def test_the_script_reads_corpus_pages_once_and_caches_them(tmp_path):
    """bench/derive_confusions.py on the fixture PDFs with a budget of 3 readings: it OCRs
    them with real tesseract, writes one cache file a reading and evidence the table can be
    derived from; a second run OCRs nothing."""
    cache, ev_file = tmp_path / "ocr", tmp_path / "evidence.json"
    cmd = [sys.executable, str(SCRIPT), "--corpus", str(FIXTURE_PDFS), "--cache", str(cache),
           "--readings", "3", "--write-evidence", str(ev_file)]
    first = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-2000:]
    assert "OCR of 3 readings (0 cached)" in first.stderr
    files = sorted(cache.glob("*.json"))
    assert len(files) == 3
    rec = json.loads(files[0].read_text())
    assert rec["dpi"] == ocr.DEFAULT_DPI and rec["config"] == ocr.CONFIG and rec["ocr"] and rec["text_layer"]
    ev = json.loads(ev_file.read_text())
    assert len(ev["readings"]) == 3 and ev["shape_pairs"] and ev["vocabulary"]
    assert "GLYPH_PAIRS = " in first.stdout and "tune half" in first.stdout
    second = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert second.returncode == 0 and "OCR of" not in second.stderr, second.stderr[-2000:]
    # a missing corpus is a clear error naming it
    bad = subprocess.run([sys.executable, str(SCRIPT), "--corpus", str(tmp_path / "nowhere")],
                         capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert bad.returncode != 0 and "nowhere" in bad.stderr and "--corpus" in bad.stderr
