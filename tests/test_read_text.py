"""Text layers read as a reader sees them (issue 14): word spacing checked against
poppler's pdftotext, and layers whose spaces came out as letters sent to OCR."""
from __future__ import annotations

import collections
import difflib
import random
import re

import pytest

from archive.read import poppler, spacing, textquality
from archive.read.extract import POPPLER_SPACING, read_document
from archive.read.pdf import open_pdf
from conftest import FIXTURE_CORPUS

PDFS = FIXTURE_CORPUS / "pdfs"
TEXAS_OAG = "TexasOfficeAttorneyGeneral_TFM_MOA_01.30.25.pdf"


def real_pages(folder):
    """(file, page number, judgement) of every usable text-layer page under *folder*."""
    for path in sorted(folder.glob("*.pdf")):
        with open_pdf(path) as pdf:
            for i in range(pdf.page_count):
                layer = pdf.page_text(i)
                judged = textquality.judge(layer.text, shifted_traces=layer.shifted_traces)
                yield path, i + 1, judged


def damage_spaces(text: str, letters: str, share_of_lines: float, seed: int) -> str:
    """Every space of some lines turned into one of *letters*, as a substitution font does."""
    rnd = random.Random(seed)
    return "\n".join("".join(rnd.choice(letters) if c == " " else c for c in line)
                     if rnd.random() < share_of_lines else line for line in text.split("\n"))


# --- spaces as letters -----------------------------------------------------------------------

@pytest.mark.parametrize("letters", ["e", "o", "eo", "a", "i"])
def test_spaces_read_as_letters_are_caught_on_real_pages(letters):
    """Real born-digital pages of the fixture corpus, their spaces damaged the way the
    Pittsburgh MOA's substitution font reads: a fifth of the lines, then all of them."""
    caught = total = 0
    for path, number, judged in real_pages(PDFS):
        if judged.quality != textquality.GOOD or len(judged.text) < 1500:
            continue
        whole = textquality.judge(damage_spaces(judged.text, letters, 1.0, seed=number))
        assert whole.quality == textquality.SPACES_AS_LETTERS, (path.name, number)
        total += 1
        caught += not textquality.judge(damage_spaces(judged.text, letters, 0.2, seed=number)).usable
    assert total > 40 and caught >= 0.9 * total, (caught, total)


def test_a_page_whose_spaces_are_letters_is_ocrd_and_its_layer_kept():
    from archive.read.extract import _page_record
    from archive.read.ocr import OcrResult
    with open_pdf(PDFS / TEXAS_OAG) as pdf:
        text = pdf.page_text(7).text
    damaged = damage_spaces(text, "eo", 1.0, seed=7)
    judged = textquality.judge(damaged)
    assert judged.quality == textquality.SPACES_AS_LETTERS and judged.text == damaged
    record = _page_record(8, judged, OcrResult(8, "ok", "the OCR text", 91.0, reader="tesseract 300 dpi"))
    assert record.method == "ocr" and record.text == "the OCR text" and record.text_layer == damaged
    assert record.reader == "tesseract 300 dpi"


def test_the_space_letter_is_found_by_its_words():
    assert textquality.space_letter("decisioneineGiglioev.eUnitedeStates,e405eU.S.") == "e"
    for word in ("ICEOPRIntake@ice.dhs.gov", "Responsibilities", "60bf9a7b038248319a7154645aae3c51",
                 "telecommunications", "law-enforcement-related"):
        assert textquality.letter_spaced_share(" ".join([word] * 3)) == 0.0, word


def test_real_good_pages_stay_good():
    pages = [(p.name, n, j.quality) for p, n, j in real_pages(PDFS) if j.quality in
             (textquality.GOOD, textquality.SPACES_AS_LETTERS)]
    assert len(pages) > 60
    assert [x for x in pages if x[2] != textquality.GOOD] == []


@pytest.mark.corpus
def test_real_good_pages_of_the_shared_corpus_stay_good(shared_corpus):
    judged = [(p.name, n, j.quality) for p, n, j in real_pages(shared_corpus / "pdfs")]
    assert sum(q == textquality.GOOD for _, _, q in judged) > 350
    assert [x for x in judged if x[2] == textquality.SPACES_AS_LETTERS] == []


# --- spacing ---------------------------------------------------------------------------------

def words(text: str) -> list[str]:
    return [w for w in (spacing.fold(t) for t in text.split()) if w]


def agreement(ours: list[str], theirs: list[str]):
    """Words of *theirs* that *ours* reads alike (in order; a block read in another
    order counts once found), and the spacing disputes (ours, theirs)."""
    sm = difflib.SequenceMatcher(None, ours, theirs, autojunk=False)
    agree, left_a, left_b, disputes = 0, collections.Counter(), collections.Counter(), []
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        x, y = ours[i1:i2], theirs[j1:j2]
        if op == "equal":
            agree += len(y)
        elif x and y and "".join(x) == "".join(y):
            disputes.append((x, y))
        else:
            left_a.update(x)
            left_b.update(y)
    return agree + sum((left_a & left_b).values()), disputes


def test_respace_puts_back_the_spaces_pdfium_lost():
    known = collections.Counter({"of": 5, "the": 9, "rehabilitation": 2, "act": 3, "monitoring": 2})
    ours = "Section 504 ofthe Rehabilitation Act,\nmonitoring ofthe"
    theirs = "Section 504 of the Rehabilitation Act,\nmonito ring of the"
    fixed = spacing.respace(ours, theirs, known)
    assert fixed.text == "Section 504 of the Rehabilitation Act,\nmonitoring of the" and fixed.changes == 2
    # a cut into pieces nobody read alike stays whole
    assert spacing.respace("immigration", "immi g r ation", known).text == "immigration"


@pytest.mark.corpus
def test_spacing_agrees_with_pdftotext_over_the_corpus(shared_corpus, corpus_archive):
    """Every text-layer page of the shared corpus as the archive stored it: our words
    against pdftotext's."""
    pairs = []
    for path in sorted((shared_corpus / "pdfs").glob("*.pdf")):
        doc = read_document(corpus_archive, path.name)
        theirs = poppler.pages(path, doc.page_count)
        assert theirs is not None, path.name
        pairs += [(path.name, p, theirs[p.page - 1]) for p in doc.pages
                  if p.method == "text" and p.text_layer_quality in textquality.USABLE]
    vocabulary = collections.Counter(w for _, _, t in pairs for w in words(t))
    agree = total = 0
    run_together = []
    for name, page, theirs in pairs:
        a, disputes = agreement(words(page.text), words(theirs))
        agree += a
        total += len(words(theirs))
        for x, y in disputes:     # ours joins what pdftotext splits into words, and ours is no word
            if len(x) < len(y) and all(vocabulary[w] >= 3 and w.isalpha() for w in y) \
                    and any(vocabulary[w] < 3 for w in x):
                run_together.append((name, page.page, x, y))
    share = agree / total
    print(f"spacing: {share:.2%} of pdftotext's {total} words agree; "
          f"{len(run_together)} run-together: {run_together[:10]}")
    assert total > 100_000 and share >= 0.995
    assert len(run_together) <= total / 20_000        # i.e. at most 1 word in 20,000
    assert any(p.reader == POPPLER_SPACING for _, p, _ in pairs)
    # the examples: wherever pdftotext reads them apart, so do we
    for name, page, theirs in pairs:
        for joined, apart in (("ofthe rehabilitation", "of the rehabilitation"),
                              ("ofprofessional", "of professional"), ("tortclaims", "tort claims")):
            if apart in " ".join(words(theirs)):
                assert not re.search(rf"\b{joined}\b", " ".join(words(page.text))), (name, page.page, joined)


def test_pdftotext_reads_a_range_of_pages_as_the_whole_document_does():
    path = PDFS / TEXAS_OAG
    whole = poppler.pages(path, 15)
    part = poppler.pages(path, 15, first=3, last=5)
    assert len(whole) == len(part) == 15 and all(whole)
    assert part[2:5] == whole[2:5] and part[:2] == [""] * 2 and part[5:] == [""] * 10
    assert poppler.pages(path, 14) is None           # another page count: not this document
    assert poppler.pages(path, 16) is None and poppler.pages(path, 14, first=2) is None
