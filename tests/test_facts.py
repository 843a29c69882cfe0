"""Facts read from segmented MOAs, on real corpus text."""
from __future__ import annotations

import csv
import re

import pytest

from archive.structure.facts import extract, revision
from archive.structure.segmenter import Segmentation, segment
from test_sections import text_layer


def facts_of(fixture_corpus, name, roster_model=None) -> dict:
    seg = segment(text_layer(fixture_corpus / "pdfs" / name))
    out: dict = {}
    for f in extract(seg, roster_model=roster_model):
        out.setdefault(f.name, []).append((f.value, f.page))
    return out


def test_jem_2025_facts(fixture_corpus):
    f = facts_of(fixture_corpus, "GraysonCountyDCKY_JEM_MOA_030425.pdf", roster_model="JEM")
    assert f["agency"] == [("Grayson County Detention Center", 1)]
    assert f["model"] == [("JEM", 1)] or f["model"][0][0] == "JEM"
    assert f["revision"] == [("02/15/2025", 1)]
    assert f["addendum_present"] == [("no", None)]
    assert "model_mismatch" not in f


def test_tfm_january_facts(fixture_corpus):
    f = facts_of(fixture_corpus, "TexasOfficeAttorneyGeneral_TFM_MOA_01.30.25.pdf", roster_model="TFM")
    assert f["agency"][0][0] == "Texas Office of Attorney General"
    assert f["model"][0][0] == "TFM"
    assert "revision" not in f                      # the January variant has no footer
    assert f["signed_agency"] == [("2025-01-30", 10)]
    assert f["signed_ice"] == [("2025-01-31", 10)]
    pocs = [v for v, _ in f["poc"]]
    assert any(v.startswith("appendix-poc: For ICE: U.S. Immigration and Customs Enforcement") for v in pocs)
    assert any("Austin, TX 78711-2548" in v for v in pocs)


def test_model_mismatch_with_roster_is_recorded(fixture_corpus):
    f = facts_of(fixture_corpus, "SmithCoSheriffsOfficeTX_TFM_MOA_02.18.25.pdf", roster_model="JEM")
    assert f["model"][0][0] == "TFM"
    assert f["model_mismatch"][0][0] == "text says TFM, roster says JEM"
    assert f["revision"] == [("02/14/2025", 1)]


def test_revision_takes_the_plausible_majority():
    """OCR reads some footers as 03/07/2026 or 02/16/2025 (both seen in the corpus)."""
    seg = Segmentation("tfm-2025", True, [], [], revisions=[
        (1, "03/07/2026"), (2, "03/07/2025"), (3, "03/07/2026"), (4, "03/07/2025"), (5, "03/07/2025")])
    assert revision(seg).value == "03/07/2025" and revision(seg).page == 2
    seg.revisions = [(1, "02/16/2026"), (2, "02/16/2025"), (3, "02/16/2025"), (6, "02/15/2025"),
                     (9, "02/46/2026")]
    assert revision(seg).value == "02/15/2025"
    seg.revisions = [(2, "2/14/25"), (3, "2/14/25")]
    assert revision(seg).value == "02/14/2025"


# The manifest notes addenda seen in text layers; this one is a scan whose text layer holds
# only ICE's typed date and name (read by OCR since EXTRACTOR_VERSION 3). Its rendered
# page 11 reads "ADDENDUM TO MODIFY MEMORANDUM OF AGREEMENT BETWEEN LOUDOUN COUNTY ...".
ADDENDA_THE_MANIFEST_MISSES = {"pdfs/LoudounCountySO_WSO_MOA_032625.pdf": 11}


@pytest.mark.corpus
def test_corpus_revisions_and_models_match_manifest(corpus_archive, shared_corpus):
    """Footer revision, model and embedded addendum read from the text agree with the
    manifest (which was written independently, by hand and from ICE's file names)."""
    rows = [r for r in csv.DictReader(open(shared_corpus / "MANIFEST.csv", encoding="utf-8"))
            if r["kind"] == "moa"]
    db = corpus_archive.db
    assert db.execute("SELECT 1 FROM facts LIMIT 1").fetchone(), "the archive has no facts: a stage did not run"
    wrong = []
    for r in rows:
        got = dict(db.execute("SELECT name, value FROM facts WHERE sha256 = ? AND ord = 0",
                              (r["sha256"],)).fetchall())
        if (got.get("revision") or "") != r["template_revision"]:
            wrong.append((r["file"], "revision", got.get("revision"), r["template_revision"]))
        if got.get("model") != r["model"]:
            wrong.append((r["file"], "model", got.get("model"), r["model"]))
        m = re.search(r"'Addendum to modify MOA' on page\(s\) (\d+)", r["notes"])
        addendum = db.execute("SELECT value, page FROM facts WHERE sha256 = ? AND name = 'addendum_present'",
                              (r["sha256"],)).fetchone()
        page = int(m.group(1)) if m else ADDENDA_THE_MANIFEST_MISSES.get(r["file"])
        if tuple(addendum) != (("yes", page) if page else ("no", None)):
            wrong.append((r["file"], "addendum", tuple(addendum), r["notes"]))
    assert not wrong, wrong


def test_agency_from_form_field_when_the_page_text_is_blank(fixture_corpus):
    """Smith County's fillable TFM keeps the agency in a form field (page text: "the ,")."""
    import pypdf
    path = fixture_corpus / "pdfs" / "SmithCoSheriffsOfficeTX_TFM_MOA_02.18.25.pdf"
    seg = segment(text_layer(path))
    assert not [f for f in extract(seg) if f.name == "agency"]
    fields = [(k, v.get("/V") or "", 1) for k, v in pypdf.PdfReader(path).get_fields().items()]
    found = [f for f in extract(seg, form_fields=fields) if f.name == "agency"]
    assert [(f.value, f.page) for f in found] == [("Smith County Sheriff’s Office", 1)]


@pytest.mark.corpus
@pytest.mark.parametrize("file_name, want", [
    # side by side, the ICE column left blank and ICE's date stamped below (OCR'd scan)
    ("lakeCountySherrifsOffice_TF_MOA_03122025.pdf",
     {"signed_agency": "2025-02-21", "signed_ice": "2025-02-26"}),
    # labelled "Name: ... Name: ..." columns (image-only: text from OCR)
    ("HamiltonCountySheriffTN_JEM_031325.pdf",
     {"ice_signatory": "Todd M. Lyons", "agency_signatory": "Austin Garrétt"}),
    # 2019 layout: name above the title, date stamped beside "Date:"
    ("287gWSO_LakeCoFl2019-10-15.pdf",
     {"signed_ice": "2019-10-15", "ice_signatory": "Timothy S. Robbins",
      "agency_signatory": "Peyton C. Grinnell", "field_office": "Miami"}),
])
def test_corpus_signature_blocks(corpus_archive, file_name, want):
    db = corpus_archive.db
    sha = db.execute("SELECT sha256 FROM documents WHERE file_name = ?", (file_name,)).fetchone()[0]
    got = dict(db.execute("SELECT name, value FROM facts WHERE sha256 = ? AND ord = 0", (sha,)).fetchall())
    assert {k: got.get(k) for k in want} == want


def test_signed_check_shows_a_disagreement():
    from archive.structure.facts import format_signed_check, signed_check
    same = signed_check("2025-03-26", "2025-03-26", 7)
    assert same.to_dict() == {"ours": "2025-03-26", "ours_page": 7, "roster": "2025-03-26",
                              "agrees": True, "days_apart": 0}
    off = signed_check("2025-03-26", "2025-03-27")
    assert (off.agrees, off.days_apart) == (False, 1)
    assert "DISAGREES by 1 day(s)" in format_signed_check(off.to_dict())
    assert signed_check(None, "2025-03-27").agrees is None
    assert "cannot compare" in format_signed_check(signed_check(None, "2025-03-27").to_dict())


def test_signature_dates_written_on_blanks_side_by_side_and_stamped():
    """Real signature-block shapes (from OCR'd corpus pages), read by column and stamp."""
    from archive.structure.facts import signatures
    from archive.structure.segmenter import Line, Section
    texts = ["By signing this MOA, each party represents it is fully authorized",
             "For the LEA: For ICE:",
             "Date, March 11, 2025 ~\\__ Date:__March 17, 2025",
             "Title: Sheriff Title: Acting Director",
             "Approved as to form:",
             "Date: 2/ 18/2025"]
    lines = [Line(9, t) for t in texts]
    seg = Segmentation("tfm-2025", True, [], [Section(0, "termination", "XVIII", "T", 9, 9, None, "",
                                                      slice(0, len(lines)))], lines)
    got = {f.name: (f.value, f.page) for f in signatures(seg)}
    assert got["signed_agency"] == ("2025-03-11", 9) and got["signed_ice"] == ("2025-03-17", 9)
    stamp = [Line(7, t) for t in ["to the fullest extent allowed by law.", "For ICE:",
                                  "Digitally signed by", "Todd M. Lyons", "Date: 2025.03.26 10:51:21",
                                  "Acting Director"]]
    seg = Segmentation("jem-wso-2025", True, [], [Section(0, "termination", "VIII", "T", 7, 7, None, "",
                                                          slice(0, len(stamp)))], stamp)
    got = {f.name: f.value for f in signatures(seg)}
    assert got["signed_ice"] == "2025-03-26" and got["ice_signatory"] == "Todd M. Lyons"


@pytest.mark.corpus
def test_corpus_ice_signing_dates_beside_the_roster(corpus_archive):
    """ICE's signing date is read in >= 90% of documents whose signature block has a
    legible date; where the roster has a SIGNED date the comparison is given."""
    from archive.structure.facts import document_facts, find_dates
    db = corpus_archive.db
    legible = found = compared = agrees = 0
    for (sha,) in db.execute("SELECT sha256 FROM documents WHERE kind = 'moa'").fetchall():
        row = db.execute("SELECT first_page, last_page, text FROM sections WHERE sha256 = ? AND key = 'termination'",
                         (sha,)).fetchone()
        block = re.split(r"fullest\s+extent", row["text"])[-1] if row else ""
        check = document_facts(corpus_archive, sha).signed_check.to_dict()
        if find_dates(block):
            legible += 1
            found += check["ours"] is not None
        if check["agrees"] is not None:
            compared += 1
            agrees += check["agrees"]
            assert check["days_apart"] >= 0 and check["roster"] and check["ours"]
    assert legible >= 30 and found >= 0.9 * legible, (found, legible)
    assert compared >= 30 and agrees >= 0.6 * compared, (agrees, compared)


def test_names_misread_on_their_line_are_read_where_printed_again():
    """OCR of a real block (Hamilton County, 2025): the ICE name's T read as "|", the agency
    name set on its own line above a blank "Name:"."""
    from archive.structure.facts import signatures
    from archive.structure.segmenter import Line, Section
    texts = ["to the fullest extent allowed by law.", "For the LEA: For ICE:",
             "Date: Date: March 17, 2025", "Signature:", "Austin Garrétt",
             "Name: Name: |odd M. Lyons", "Title, Sheriff Title. Acting Director",
             "U.S. Immigration and Customs Enforcement", "Todd M. Lyons"]
    lines = [Line(7, t) for t in texts]
    seg = Segmentation("jem-wso-2025", True, [], [Section(0, "termination", "VIII", "T", 7, 7, None, "",
                                                          slice(0, len(lines)))], lines)
    got = {f.name: f.value for f in signatures(seg)}
    assert got == {"signed_ice": "2025-03-17", "ice_signatory": "Todd M. Lyons",
                   "agency_signatory": "Austin Garrétt"}


@pytest.mark.corpus
def test_corpus_signatures_are_what_a_reader_reads(corpus_archive):
    """Every agreement's signing dates and signatories as stored, against what a reader
    reads on the rendered signature page (tests/signature_pages.py, checked by eye): never
    a wrong value or page, on either half of the hold-out split; and on each half most of
    ICE's dates and names that the page shows are read. (The agency's side is mostly
    handwritten, or on pages whose text layer holds only ICE's typed values: read where
    the text has it.)"""
    from collections import Counter

    from signature_pages import FACTS, GOLDEN, judge
    from test_generalisation import TUNED_ON
    db = corpus_archive.db
    files = {r["file_name"]: r["sha256"] for r in db.execute("SELECT file_name, sha256 FROM documents WHERE kind = 'moa'")}
    assert set(files) == set(GOLDEN)
    tally = {True: Counter(), False: Counter()}
    wrong = []
    for file_name, sha in files.items():
        got = {r["name"]: (r["value"], r["page"]) for r in db.execute(
            f"SELECT name, value, page FROM facts WHERE sha256 = ? AND ord = 0 AND name IN ({','.join('?' * 4)})",
            (sha, *FACTS))}
        for fact, verdict in judge(file_name, got).items():
            tally[file_name in TUNED_ON][fact, verdict] += 1
            if verdict == "wrong":
                wrong.append((file_name, fact, got[fact], GOLDEN[file_name]))
    assert wrong == []
    for tuned, c in tally.items():
        def share(fact):
            return c[fact, "right"] / max(1, c[fact, "right"] + c[fact, "miss"])
        assert share("signed_ice") >= 0.7 and share("ice_signatory") >= 0.6, (tuned, c)
        assert c["signed_agency", "right"] + c["agency_signatory", "right"] >= 9, (tuned, c)


def _block(texts: list[str], layout: str = "jem-wso-2025", page: int = 7, headers=()) -> Segmentation:
    from archive.structure.segmenter import Line, Section
    lines = [Line(page, "to the fullest extent allowed by law.")] + [Line(page, t) for t in texts]
    return Segmentation(layout, True, [], [Section(0, "termination", "VIII", "T", page, page, None, "",
                                                   slice(0, len(lines)))], lines,
                        running_headers=list(headers))


def _signing(seg, fields=()) -> dict:
    from archive.structure.facts import signatures
    return {f.name: f.value for f in signatures(seg, fields)}


def test_2019_2020_blocks_read_by_the_templates_columns_and_titles():
    """Real shapes (OCR'd text layers of 2019-2020 agreements): no "For ...:" headings,
    ICE's column left; a stamp over the blank; a name over its title; a digital stamp
    whose signer is the name printed under it, though the agency's office precedes it on
    its line; a date run into the other column's office line belongs to what follows."""
    got = _signing(_block(["OCT 1 5 2019", "Date:", "Date:-~-~-----'--~~____,.___-", "Timothy S. Robbins",
                           "Acting Executive Associate Director", "Enforcement and Removal Operations",
                           "Peyton C. Grinnell", "Sheriff, Lake County"], "jem-wso-2020"))
    assert got == {"signed_ice": "2019-10-15", "ice_signatory": "Timothy S. Robbins",
                   "agency_signatory": "Peyton C. Grinnell"}
    got = _signing(_block(["D&e __ O_C_T_1_5_2_01_9 __ Date: ____ 6-11-19", "Timothy S. Robbins",
                           "Acting Executive Associate Director"], "jem-wso-2020"))
    assert got["signed_ice"] == "2019-10-15" and got["signed_agency"] == "2019-06-11"
    got = _signing(_block(["Mark S. Inch", "Secretary",
                           "Florida Department of Corrections Date: CHRISTOPHER M Digitally signed by CHRISTOPHER",
                           ". MCRONEN", "CRONEN Date: 2020.08.21 09:55:42 -04'00'", "C.M. Cronen",
                           "Assistant Director, Enforcement", "Department of Homeland Security 05/26/2020",
                           "Board of County Commissioners of"], "jem-wso-2020"))
    assert got == {"signed_ice": "2020-08-21", "ice_signatory": "C.M. Cronen",
                   "agency_signatory": "Mark S. Inch", "signed_agency": "2020-05-26"}


def test_a_value_nothing_places_is_left_out():
    """Two columns and a lone date with no title beside it (an agency's date typed apart
    from its blank), an approval's date, a misread name and a name set on two lines: none
    is given to a party. A date after today or before the template's revision is a
    misreading (the footer says Revised 02/12/2025)."""
    got = _signing(_block(["For the LEA: For ICE:", "3/7/2025", "Date:", "Signature: ___ Signature: ___",
                           "Title: ___ Title: ___", "Approved as to form and legal sufficiency.",
                           "By/Title: ___", "Date: 2/ 18/2025", "Name: MichaeI L. Chapman"]))
    assert got == {}
    seg = _block(["For the LEA: For ICE:", "Date: 02/28/2028 Date: 02/11/2025"], "tfm-2025")
    seg.revisions = [(7, "02/12/2025")]
    assert "signed_ice" not in _signing(seg)            # before the revision (today bounds the other)
    from archive.structure.signatures import read_signatures
    assert read_signatures(seg, earliest="2025-02-12", latest="2026-12-02") == []
    assert read_signatures(seg, earliest="2025-02-01", latest="2028-03-01") == [
        ("signed_agency", "2028-02-28", 7), ("signed_ice", "2025-02-11", 7)]


def test_typed_values_are_read_by_their_own_titles_and_headings():
    """ICE's values typed onto the page (an overlay of their own), a stacked "For ICE:"
    column, names beside their headings, and the page's running footer set aside."""
    got = _signing(_block(["For the LEA: For ICE:", "Date:___ Date:___", "Signature:___",
                           "February 26, 2025", "Acting Director", "Signature: ___",
                           "Title: Sheriff Clay County Title:___"]))
    assert got == {"signed_ice": "2025-02-26"}
    got = _signing(_block(["For the LEA: Bobbie Vickery For ICE: Caleb Vitello",
                           "Date: 3/3/2025 Date: March 5, 2025", "Title: Calhoun County Sheriff Title: Acting Director"]))
    assert got == {"signed_agency": "2025-03-03", "signed_ice": "2025-03-05",
                   "agency_signatory": "Bobbie Vickery", "ice_signatory": "Caleb Vitello"}
    got = _signing(_block(["For ICE:", "6/11/2025", "Date:", "For the LEA:", "Carmine Marceno", "Signature:",
                           "Title: Sheriff"]))
    assert got == {"signed_ice": "2025-06-11", "agency_signatory": "Carmine Marceno"}
    got = _signing(_block(["For the LEA: For ICE:", "Date: eae", "Title. Acting Director", "Enforcement",
                           "City of Miami Springs 9", "April 2, 2025"], headers=["City of Miami Springs"]))
    assert got == {}


def test_form_field_dates_by_column():
    """A fillable page keeps both dates in fields "Date" and "Date_2" (numbered in reading
    order, the LEA's column left); a lone date field is the party's the page's other
    fields name."""
    seg = _block(["For the LEA: For ICE:", "Date:___ Date:___", "Signature: ___ Signature: ___"], "tfm-2025", 9)
    fields = [("Date_2", "February 27, 2025", 9), ("Date", "02/19/25", 9), ("Title", "Acting Director", 9)]
    assert _signing(seg, fields) == {"signed_agency": "2025-02-19", "signed_ice": "2025-02-27"}
    fields = [("Date", "March 10, 2025", 9), ("Name", "Todd M. Lyons", 9), ("Agency 1", "U.S. Immigration", 9)]
    seg = _block(["For the LEA:", "Date:", "For ICE:", "Date:"], "jem-wso-2025", 9)
    assert _signing(seg, fields) == {"signed_ice": "2025-03-10", "ice_signatory": "Todd M. Lyons"}


def test_a_name_a_second_copy_of_the_block_spells_otherwise_is_left_out():
    """OCR of Loudoun County's scanned signature pages (2025: the MOA's, and its addendum's):
    the sheriff's typed name crossed by the signature, read "Mihael" on one and "ichael"
    on the other. Which is
    right is unknowable: the name is left out; ICE's, the same on both, is kept, and a copy
    that spells the name the same (or spaces its initials otherwise) changes nothing."""
    from archive.structure.segmenter import Line, Section
    block = ["For the LEA:", "Name: Mihael L. Chapman _", "Title, Sheriff", "For ICE:",
             "Date: March 26, 2025", "Name: Todd M. Lyons", "Title. Acting Director"]

    def read(copy: str) -> dict:
        lines = [Line(7, "to the fullest extent allowed by law.")] + [Line(7, t) for t in block]
        seg = Segmentation("jem-wso-2025", True, [], [Section(0, "termination", "VIII", "T", 7, 7, None, "",
                                                              slice(0, len(lines)))],
                           lines + [Line(11, copy), Line(11, "Name: Todd M. Lyons")])
        return _signing(seg)

    got = read("Name: ichael L. Chapman Name")
    assert "agency_signatory" not in got and got["ice_signatory"] == "Todd M. Lyons"
    assert read("Name: Mihael L. Chapman")["agency_signatory"] == "Mihael L. Chapman"
    assert read("Name: Mihael L.Chapman")["agency_signatory"] == "Mihael L. Chapman"
    assert read("Name: Robert Chapman")["agency_signatory"] == "Mihael L. Chapman"


def test_two_columns_names_side_by_side_over_their_titles():
    """A block read as one text block (Knox and Suwannee County, 2019-2020, ICE's column
    left, OCR'd at 400 dpi) sets both names on one line over both titles: cut where it gives
    two names; when several cuts do, or the whole line could be one name, only at the cut
    that gives a name already read for its column (here by the page's text); else nobody's."""
    from archive.structure.signatures import second_reading
    knox = "C.M. Cronen Tom Spangler\nAssistant Director, Enforcement Sheriff\n" \
           "Enforcement and Removal Operations Knox County Sheriff's Office"
    seg = _block([], "jem-wso-2020")
    assert second_reading(seg, [], knox, 7) == []
    assert second_reading(seg, [("ice_signatory", "C.M. Cronen", 7)], knox, 7) == [
        ("agency_signatory", "Tom Spangler", 7)]
    assert second_reading(seg, [("agency_signatory", "Tom Spangler", 7)], knox, 7) == [
        ("ice_signatory", "C.M. Cronen", 7)]
    suwannee = "Timothy S. Robbins Sam St John .\nActing Executive Associate Director Sheriff, Suwannee County"
    assert second_reading(seg, [], suwannee, 7) == []     # "Timothy S." | "Robbins Sam St John" too
    assert second_reading(seg, [("ice_signatory", "Timothy S. Robbins", 7)], suwannee, 7) == [
        ("agency_signatory", "Sam St John", 7)]
    # one party's title under it, or a template whose columns' order is not known: nothing
    assert second_reading(seg, [("ice_signatory", "C.M. Cronen", 7)], "C.M. Cronen Tom Spangler\nSheriff", 7) == []
    assert second_reading(_block([], "jem-wso-2025"), [("ice_signatory", "C.M. Cronen", 7)], knox, 7) == []


def test_a_date_typed_over_its_blank_is_the_blank_beside_the_other_columns_date():
    """OCR of Florida A&M's block at 400 dpi: the agency's typed date rides over its blank and
    is read alone on the line above "Date: ... Date: 04/15/2025". With both blanks empty, or
    anything else on the line above, it is nobody's."""
    got = _signing(_block(["For the LEA: For ICE:", "3/7/2025", "Date.\u201d Date: 04/15/2025",
                           "Title: Executive Vice President & COO Title: Acting Director"], "tfm-2025", 9))
    assert got == {"signed_agency": "2025-03-07", "signed_ice": "2025-04-15"}
    assert _signing(_block(["For the LEA: For ICE:", "3/7/2025", "Date: ___ Date: ___"], "tfm-2025", 9)) == {}
    got = _signing(_block(["For the LEA: For ICE:", "KBE 3/7/2025", "Date: Date: 04/15/2025"], "tfm-2025", 9))
    assert got == {"signed_ice": "2025-04-15"}


def _read_with_places(rows: list[list[tuple[str, int]]], layout: str = "tfm-2025") -> dict:
    """A block reading as tesseract gives it: each row's words with where each begins (in
    hundredths of the width; a word's width from its letters, as on a 400-dpi reading of a
    letter page); read by second_reading with those places."""
    from archive.structure.signatures import second_reading
    text = "\n".join(" ".join(w for w, _ in row) for row in rows)
    words = [(w, x * 100, 30 * n, 85 * len(w), 25, n) for n, row in enumerate(rows) for w, x in row]
    return {n: v for n, v, _ in second_reading(_block([], layout, 9), [], text, 9, "2025-01-01", words=words)}


def test_a_date_typed_alone_over_the_blanks_is_the_column_it_stands_in():
    """West Virginia National Guard's 2025 TFM block as tesseract read it at 400 dpi: ICE's
    typed date alone on the line over "Date: <scrawl> Date:", the agency's handwritten date
    read as marks. Where the reading saw the date says whose it is: right of a column's
    label and left of the next one's, whatever marks OCR read on the blank. Moved over
    the other column, it is the other's; with ICE's label lost, ICE's column read apart
    (test_columns_read_apart_where_the_reading_saw_them) still holds it; without the words' places the line proves nothing, as before."""
    heading = [("For", 11), ("the", 15), ("LEA:", 18), ("For", 49), ("ICE:", 52)]
    labels = [("Date:", 11), (".5", 17), ("GL", 19), ("\u2014,", 25), ("|", 39), ("Date:", 49)]
    names = [("Name:", 11), ("MG", 17), ("James", 21), ("D.", 28), ("Seward", 30),
             ("Name:", 49), ("Madison", 54), ("Sheahane", 62)]

    def read(above, date_line=labels):
        return _read_with_places([heading, above, date_line, names])
    got = read([("\u2014_", 18), ("\u2014", 33), ("6/11/2025", 60)])
    assert got["signed_ice"] == "2025-06-11" and "signed_agency" not in got
    assert got["ice_signatory"] == "Madison Sheahane" and got["agency_signatory"] == "MG James D. Seward"
    blanks = [("Date:", 11), ("__", 17), ("Date:", 49), ("__", 55)]
    for x in (12, 25, 40):                      # over the agency's blank, as far as ICE's label
        got = read([("6/11/2025", x)], blanks)
        assert got.get("signed_agency") == "2025-06-11" and "signed_ice" not in got, x
        got = read([("6/11/2025", x)])         # over what OCR read on the agency's blank
        assert got.get("signed_agency") == "2025-06-11" and "signed_ice" not in got, x
    got = read([("June", 58), ("11,", 62), ("2025", 65)])               # a date of three words
    assert got.get("signed_ice") == "2025-06-11"
    got = read([("5/27/2025", 20), ("6/11/2025", 60)])          # two: one per column, as before
    assert (got["signed_agency"], got["signed_ice"]) == ("2025-05-27", "2025-06-11")
    got = read([("6/11/2025", 60)], labels[:-1])     # ICE's label lost: its column read apart says
    assert got.get("signed_ice") == "2025-06-11" and "signed_agency" not in got
    from archive.structure.signatures import second_reading
    rows = [heading, [("6/11/2025", 60)], labels, names]
    text = "\n".join(" ".join(w for w, _ in row) for row in rows)
    assert "signed_ice" not in dict((n, v) for n, v, _ in second_reading(_block([], "tfm-2025", 9), [], text, 9))


def test_columns_read_apart_where_the_reading_saw_them():
    """Waller County's and Clay County's 2019-2020 blocks as tesseract read them at 400
    dpi (ICE's column left): the two names side by side, the agency's title misread
    ("Sherif?") or the agency's name cut by its signature ("arry!"), so the line cannot
    be cut by its words. Where the words stand can: the second column begins where words
    after a wide gap begin on several lines; each column is read under its own heading.
    A block of one column, or without the places, is read as before."""
    from archive.structure.signatures import column_edge
    waller = [[("Date:", 12), ("2-V2-2oe2ze", 19), ("Pate:", 52), ("~-", 61)],
              [("Timothy", 12), ("S.", 19), ("Robbins", 21), ("R.", 54), ("Glenn", 56), ("Smith", 61)],
              [("Acting", 12), ("Executive", 18), ("Associate", 26), ("Director", 34), ("Sherif?", 54)],
              [("Entorcement", 12), ("and", 23), ("Removal", 26), ("Operations", 33), ("Waller", 54),
               ("County", 59), ("Sheriff's", 66), ("OMice", 73)]]
    got = _read_with_places(waller, "jem-wso-2020")
    assert got == {"ice_signatory": "Timothy S. Robbins", "agency_signatory": "R. Glenn Smith"}
    clay = [[("Date:", 11), ("Se", 21), ("eage", 26), ("Date", 51), ("FA", 61)],
            [("CM.", 11), ("Cronen", 17), ("arry!", 52)],
            [("Assistant", 11), ("Director,", 19), ("Enforcement", 26), ("heriff", 52)],
            [("Enforcement", 11), ("and", 21), ("Removal", 25), ("Operations", 32), ("Clay", 51),
             ("County", 55), ("Sheriff's", 61), ("Office", 68)]]
    assert _read_with_places(clay, "jem-wso-2020") == {"ice_signatory": "CM. Cronen"}
    # the columns the other way round, under headings that say so (the 2025 templates)
    swapped = [sorted([(w, x - 40 if x > 40 else x + 40) for w, x in row], key=lambda wx: wx[1]) for row in waller]
    headings = [("For", 12), ("the", 16), ("LEA:", 20), ("For", 52), ("ICE:", 56)]
    assert _read_with_places([headings, *swapped], "tfm-2025") == {"ice_signatory": "Timothy S. Robbins",
                                                                  "agency_signatory": "R. Glenn Smith"}
    words = [[(w, x * 100, x * 100 + 85 * len(w)) for w, x in row] for row in waller]
    assert 5100 <= column_edge(words) <= 5400
    assert column_edge(words[1:2]) is None                          # one line shows no edge
    assert column_edge([[(w, x * 100, x * 100 + 85 * len(w)) for w, x in row if x < 50] for row in waller]) is None
    from archive.structure.signatures import second_reading
    text = "\n".join(" ".join(w for w, _ in row) for row in clay)
    assert second_reading(_block([], "jem-wso-2020", 9), [], text, 9, "2019-01-01") == []


def test_a_block_of_one_column_is_not_read_apart():
    """A retyped block with the parties one under the other, each value typed at one tab
    stop after its label, ICE's name beside its title: the words after the gap share a
    tab stop, but no line shows two columns side by side, so the block is read as its
    lines say, not cut into a column of labels and one of values (which would make ICE's
    name, left of the tab stop, the agency's)."""
    rows = [[("For", 11), ("the", 15), ("LEA:", 18)], [("Date:", 11), ("3/3/2025", 45)],
            [("Name:", 11), ("Bobbie", 45), ("Vickery", 52)], [("Title:", 11), ("Sheriff", 45)],
            [("For", 11), ("ICE:", 15)], [("Date:", 11), ("March", 45), ("5,", 52), ("2025", 55)],
            [("Caleb", 11), ("Vitello", 18), ("Acting", 45), ("Director", 52)]]
    assert _read_with_places(rows) == {"signed_agency": "2025-03-03", "agency_signatory": "Bobbie Vickery",
                                       "signed_ice": "2025-03-05"}      # (a name beside a title: no bare name)


def test_a_date_label_with_misread_words_before_it_is_the_right_columns():
    """Calhoun County's 2025 TFM block as OCR reads it: the agency's handwritten date and its
    label misread into words, then ICE's "Date." and typed date: the right column's. Words
    holding a date, or a heading, before the label: nobody's; in a block whose columns are
    not known, the nearest title's as before."""
    rows = ["For the LEA: Bobbie Vickery For ICE: Caleb Vitello", "pac Luca 2Y Dp 7s Date. March 7, 2025",
            "Signature: eA ZZ Signature: : Zo. at _"]
    assert _signing(_block(rows, "tfm-2025", 9)) == {"signed_ice": "2025-03-07", "agency_signatory": "Bobbie Vickery",
                                                   "ice_signatory": "Caleb Vitello"}
    rows[1] = "pac 2/24/2025 Date. March 7, 2025"
    assert "signed_ice" not in _signing(_block(rows, "tfm-2025", 9))
    assert _signing(_block(["For ICE:", "Title: Acting Director", "For the LEA:",
                            "Title: Sheriff", "pac Luca 2Y Dp 7s Date. March 7, 2025"], "tfm-2025", 9)) == {
        "signed_agency": "2025-03-07"}                      # stacked under the LEA's heading


def test_a_second_reading_adds_only_what_the_first_lacks_and_agrees_with():
    """What a second reading of the block adds: the facts the page's text lacks; nothing
    when it reads a fact the text has otherwise, or gives one party's name to the other;
    and (facts.confirmed) only what a reading in another layout reads letter for letter."""
    from archive.read.blocks import BlockReading
    from archive.structure.facts import Fact, confirmed, from_block
    from archive.structure.signatures import second_reading
    seg = _block(["For the LEA: For ICE:", "Date: Date:", "Name: Name:"])
    text = "to the fullest extent allowed by law.\nFor the LEA: For ICE:\nDate: 3/3/2025 Date: March 5, 2025\n" \
           "Name: Bobbie Vickery Name: Caleb Vitello\nRevised 02/14/2025"
    first = [("signed_ice", "2025-03-05", 7)]
    assert second_reading(seg, first, text, 7) == [("signed_agency", "2025-03-03", 7),
                                                   ("agency_signatory", "Bobbie Vickery", 7),
                                                   ("ice_signatory", "Caleb Vitello", 7)]
    assert second_reading(seg, [("signed_ice", "2025-03-06", 7)], text, 7) == []     # reads ICE's otherwise
    assert second_reading(seg, [("ice_signatory", "Bobbie Vickery", 7)], text, 7) == []
    block = BlockReading(7, 0.5, text, "tesseract 400 dpi, signature block", 0.5)
    added = from_block(seg, [Fact("signed_ice", "2025-03-05", 7)], block)
    assert {f.reader for f in added} == {"tesseract 400 dpi, signature block"}
    check = BlockReading(7, 0.5, "Date: 3/3/2025\nName: Bobbie Vickery\nName: Lodd M. Vitello", "psm 4", 0.5)
    assert [(f.name, f.value) for f in confirmed(added, check)] == [("signed_agency", "2025-03-03"),
                                                                    ("agency_signatory", "Bobbie Vickery")]


def test_a_real_signature_block_read_again_by_tesseract(fixture_archive, fixture_corpus):
    """Grayson County's 2025 JEM: ICE's typed date is in no line of the page's text that the
    rules can place. The structure stage read the block alone (from the closing sentence
    down, found in the text layer) with real tesseract at 400 dpi, another layout confirmed
    it, and the stored fact names its reader, in `moa facts` and its JSON; facts read from
    the page's text name none."""
    from click.testing import CliRunner

    from archive.read import blocks
    from archive.structure.facts import document_facts
    from archive.structure.signatures import CLOSING_END
    from cli import main
    path = fixture_corpus / "pdfs" / "GraysonCountyDCKY_JEM_MOA_030425.pdf"
    top = blocks.text_top(path, 7, CLOSING_END)
    assert top is not None and 0.4 < top < 0.6               # the closing sentence's last line
    first = blocks.read_block(path, 7, top)
    assert "allowed by law" in first.text.splitlines()[0] and "March 5, 2025" in first.text
    assert first.reader == blocks.READER and first.cpu_seconds > 0
    assert blocks.read_block(path, 7, 1.0).text == ""        # nothing below the page's end
    sha = fixture_archive.db.execute("SELECT sha256 FROM documents WHERE file_name = ?",
                                     ("GraysonCountyDCKY_JEM_MOA_030425.pdf",)).fetchone()[0]
    facts = document_facts(fixture_archive, sha)
    got = {f.name: (f.value, f.page, f.reader) for f in facts.facts}
    assert got["signed_ice"] == ("2025-03-05", 7, blocks.READER)
    assert got["agency_signatory"] == ("Jason Woosley", 7, None) and got["agency"][2] is None
    assert facts.to_dict()["facts"]["signed_ice"] == [{"value": "2025-03-05", "page": 7, "reader": blocks.READER}]
    assert facts.signed_check.ours == "2025-03-05"
    out = CliRunner().invoke(main, ["--data-dir", str(fixture_archive.root), "facts", sha[:12]]).output
    assert f"signed_ice        2025-03-05  (p. 7; {blocks.READER})" in out
    assert "agency_signatory  Jason Woosley  (p. 7)" in out and "roster SIGNED" in out


def test_a_file_that_cannot_be_read_again_keeps_the_page_reading(fixture_corpus, datadir):
    """The second reading of a block is a bonus: a stored file that no longer opens as a PDF
    leaves the facts read from the page's text as they are, and the stage goes on. A block
    read once is kept: cutting the document again reads it from the archive."""
    from archive.harvest.recording import Source, record_file
    from archive.structure.facts import signatures
    from archive.structure.stage import read_block_again
    from store.db import utc_now
    path = fixture_corpus / "pdfs" / "GraysonCountyDCKY_JEM_MOA_030425.pdf"
    seg = segment(text_layer(path))
    found = signatures(seg)
    sha = datadir.blobs.put(b"%PDF-1.4 truncated")
    assert read_block_again(datadir, sha, seg, found) == (found, 0, 0.0)
    sha = record_file(datadir, path.read_bytes(), kind="moa", file_name=path.name,
                      source=Source(url="https://www.ice.gov/doclib/287gMOA/" + path.name, fetched_at=utc_now())).sha256
    again, readings, cpu = read_block_again(datadir, sha, seg, found)
    assert readings in (1, 2) and cpu > 0 and again[:len(found)] == found
    # the document cut again (a new SEGMENTER_VERSION): the block readings are kept, not made again
    kept = datadir.db.execute("SELECT COUNT(*) FROM block_readings WHERE sha256 = ?", (sha,)).fetchone()[0]
    assert kept == readings
    assert read_block_again(datadir, sha, seg, found) == (again, 0, 0.0)


def test_a_digital_stamp_whose_signer_ocr_misread_gives_its_columns_date():
    """A real block (Tulsa County's 2020 JEM, read at 400 dpi): "Digitally signed b -", the
    signer's name broken over the lines, the stamp's date with its time of day in ICE's
    column (left in the 2019-2020 template): ICE's date, beside the county board's typed
    one; no signer is made of the broken name."""
    lines = ["Digitally signed b -",
             "Date: CHRISTOPH ER CHRISTOPHER MCRONEN Date, OS 7 a oO",
             "M CRON EN —e 2020.06.08 10:57:21 ee Z ;",
             "C.M. Cronen ic Regalado",
             "Assistant Director, Enforcement Sheriff",
             "Enforcement and Removal Operations Tulsa County Sheriff's Office",
             "U.S. Immigration and Customs Enforcement",
             "Department of Homeland Security Date:__ 05/26/2020",
             "Board of Bed Commissioners of",
             "the Coystty of Tulsa, Oklahoma",
             "Approved as to form:"]
    got = _signing(_block(lines, layout="jem-wso-2020"))
    assert got.get("signed_ice") == "2020-06-08" and got.get("signed_agency") == "2020-05-26"
    assert "ice_signatory" not in got or got["ice_signatory"] == "C.M. Cronen"


def test_a_date_whose_day_ocr_split_is_read_whole():
    """Clay County's 2025 TFM block as tesseract read it: "Date: 2/2 1/2025" is the 21st
    (the day's digits split between its separators); digits split elsewhere are no date."""
    from archive.structure.signatures import find_dates
    assert find_dates("Date: 2/2 1/2025 Date: February 26, 2025") == ["2025-02-21", "2025-02-26"]
    assert find_dates("Date: 2/3 4/2025") == [] and find_dates("3/1 2025") == []
    got = _signing(_block(["For the LEA: For ICE:", "Date: 2/2 1/2025 Date: February 26, 2025",
                           "Title: Sheriff Clay County Title; Acting Director"], layout="tfm-2025", page=9))
    assert got["signed_agency"] == "2025-02-21" and got["signed_ice"] == "2025-02-26"


def test_a_date_typed_over_its_blank_beside_a_scrawl_is_the_last_columns():
    """Live Oak PD's 2025 TFM block at 400 dpi: ICE's typed date set on the line above the
    two "Date:" blanks, after what OCR made of the agency's handwritten one ("2A 4"), and
    the agency's blank read as "OAS": the date is ICE's (the right column's), the scrawl
    nobody's. The same date alone over both blanks is left unplaced."""
    lines = ["For the LEA: For ICE:", "2A 4 04/14/2025", "Date: OAS Date:", "Signature: a Mel, Signature:",
             "Name: Eugene Keith Davis Name: Todd M. Lyons", "Title: Chief of Police Title. Acting Director"]
    got = _signing(_block(lines, layout="tfm-2025", page=9))
    assert got.get("signed_ice") == "2025-04-14" and "signed_agency" not in got
    lines[1] = "04/14/2025"
    got = _signing(_block(lines, layout="tfm-2025", page=9))
    assert "signed_ice" not in got and "signed_agency" not in got


def test_form_field_dates_under_stacked_headings_follow_the_templates_columns():
    """Pasco County's 2025 TFM: the text layer gives "For ICE:" and "For the LEA:" stacked,
    ICE's first, and the dates only as form fields "Date" and "Date_2". A form tool numbers
    fields left to right, and the 2025 templates put the LEA left: "Date" is the agency's,
    "Date_2" ICE's. (The text's order of the headings is not the fields'.)"""
    lines = ["For ICE:", "Date:______________________________", "Signature:__________________________",
             "For the LEA:", "Date:_______________________", "Signature: _________________",
             "Title: Sheriff Title:______________________________"]
    fields = [("Date", "02/19/25", 9), ("Date_2", "February 27, 2025", 9), ("Title", "Acting Director", 9)]
    got = _signing(_block(lines, layout="tfm-2025", page=9), fields)
    assert got["signed_agency"] == "2025-02-19" and got["signed_ice"] == "2025-02-27"
    # a template whose columns are not known places neither
    assert "signed_ice" not in _signing(_block(lines, layout=None, page=9), fields)


def test_an_agency_name_ocr_garbled_gives_way_to_the_openings_next_naming():
    """A filled-in name OCR read as lower-case nonsense (West Virginia's opening, a real
    reading) is not the agency when the opening names it again; a name read clean is kept
    even beside a second naming."""
    from archive.structure.facts import agency

    def opening(first: str, second: str) -> list[str]:
        return ["MEMORANDUM OF AGREEMENT\n287(g) Task Force Model\n"
                "This Memorandum of Agreement (MOA) constitutes an agreement between United States\n"
                "Immigration and Customs Enforcement (ICE), a component of the Department of Homeland\n"
                f"Security (DHS), and {first} , pursuant to which ICE delegates to nominated,\n"
                f"trained, and certified officers or employees of the {second} — (hereinafter\n"
                "interchangeably referred to as “Law Enforcement Agency” (LEA)), the authority to perform\n"
                "I. PURPOSE\nThe purpose of this MOA is to set forth the terms and conditions.\n"]

    garbled = agency(segment(opening("thevvermessen oy aneny", "West Virginia National Guard/Military Authority")))
    assert (garbled.value, garbled.page) == ("West Virginia National Guard/Military Authority", 1)
    clean = agency(segment(opening("Wells Maine Police Department", "Town of Wells")))
    assert clean.value == "Wells Maine Police Department"
    alone = agency(segment(opening("thevvermessen oy aneny", "thevvermessen oy aneny")))
    assert alone.value == "thevvermessen oy aneny"          # nothing better: as read


@pytest.mark.parametrize("text, want", [
    ("Date: O6/l1/2O25", ["2025-06-11"]),             # digits OCR read as letters
    ("Date: 3/1S/2025", ["2025-03-15"]),
    ("Date: 2O25.O3.l8 09:52:57 -04'00'", ["2025-03-18"]),
    ("March l7, 2O25", ["2025-03-17"]),
    ("Date: 6/11/2025", ["2025-06-11"]),
    ("Il/Il/2O2O", []),                                # too few true digits to say
    ("May l, 2O25", []),
    ("Oct/l/2025", []),
    ("ISO 9001 SOIL/BOOS", []),
    # the day first, as a military office or a county's own signature page writes it
    ("Date: 11 June 2025", ["2025-06-11"]),
    ("11-Jun-2025", ["2025-06-11"]),
    ("Signed this 5th day of March, 2025.", ["2025-03-05"]),
    ("Date: 2025-06-11", ["2025-06-11"]),
    ("for 12 Months 2025", []),
    ("2025-13-40", []),
    # a month's name misread as print is ("0ctober", "Ju1y", "Iune", "Apr11", "rnay")
    ("Date: 0ctober l5, 2O19", ["2019-10-15"]),
    ("Ju1y 23, 2020", ["2020-07-23"]),
    ("Date: 11 Iune 2025", ["2025-06-11"]),
    ("Apr11 24, 2025", ["2025-04-24"]),
    ("the 5th day of Novernber, 2025", ["2025-11-05"]),
    ("0ct. 5, 2019", ["2019-10-05"]),
    ("rnay 1, 2025", ["2025-05-01"]),
    ("Date: 6|11|2025", ["2025-06-11"]),             # a slash read as "|"
    ("Date:_6/11/2025____", ["2025-06-11"]),         # typed over the blank's rule
    ("the 11th of June, 2025", ["2025-06-11"]),
    ("Jun-11-2025", ["2025-06-11"]),
    ("June 11-12, 2025", []),                          # a span, not a date
    ("Apt 3, 2021", []),                               # words whose skeletons are a month's
    ("Dee 12, 2020", []),
    ("Line 5, 2020", []),
])
def test_dates_as_they_are_written_and_misread(text, want):
    from archive.structure.signatures import find_dates
    assert find_dates(text) == want


def test_blocks_read_in_worker_processes_give_what_one_process_reads(fixture_corpus, tmp_path):
    """The structure stage reads signature blocks in a pool of worker processes while it
    cuts the next documents: the facts are those the block read in this process gives, the
    readings are kept, and a cut again reads none of them."""
    from archive.harvest.importer import import_paths
    from archive.read.extract import extract_all
    from archive.structure.stage import cut_document, read_block_again, segment_all
    from store.datadir import DataDir
    d = DataDir(tmp_path / "data")
    names = ["GraysonCountyDCKY_JEM_MOA_030425.pdf", "LawrenceCoSheriffsOfficeAL_TFM_MOA_06182025.pdf",
             "RuskCoSOTX_WSO_MOA_030425.pdf", "TexasOfficeAttorneyGeneral_TFM_MOA_01.30.25.pdf"]
    import_paths(d, [fixture_corpus / "pdfs" / n for n in names])
    assert extract_all(d, workers=2)["ok"] == len(names)
    first = segment_all(d, workers=2)
    assert first["documents"] == len(names) and first["block_readings"] >= 2, first
    assert first["block_cpu_seconds"] > 0
    stored = {(r["sha256"], r["name"], r["value"], r["page"], r["reader"])
              for r in d.db.execute("SELECT * FROM facts")}
    here = DataDir(tmp_path / "here")           # the same blocks read again in this process
    import_paths(here, [fixture_corpus / "pdfs" / n for n in names])
    for (sha,) in d.db.execute("SELECT sha256 FROM documents").fetchall():
        found, _, _ = read_block_again(here, sha, *cut_document(d.db, sha))
        assert {(sha, f.name, f.value, f.page, f.reader) for f in found} == {x for x in stored if x[0] == sha}
    again = segment_all(d, force=True, workers=2)
    assert again["block_readings"] == 0 and again["block_cpu_seconds"] == 0
    assert {(r["sha256"], r["name"], r["value"], r["page"], r["reader"])
            for r in d.db.execute("SELECT * FROM facts")} == stored
    d.close()
    here.close()
