"""Roster workbooks parsed into rows: models, dates, links, agency keys."""
import io
from datetime import datetime

import openpyxl
import pytest

from archive.core.errors import DocumentError
from archive.harvest.ice_site import unwrap_safelinks
from archive.harvest.rosters import agency_key, parse_roster, published_key
from ice_server import write_roster

ICE = "https://www.ice.gov/doclib/287gMOA/"
SAFE = ("https://gcc02.safelinks.protection.outlook.com/?url=https%3A%2F%2Fwww.ice.gov%2Fdoclib%2F287gMOA%2F"
        "287gJEM_%2520montgomeryCoTX_06-09-2020_addendum.pdf&data=05%7C02%7Cx&sdata=y%3D&reserved=0")


def test_unwrap_safelinks_decodes_the_url_parameter_only():
    assert unwrap_safelinks(SAFE) == ICE + "287gJEM_%20montgomeryCoTX_06-09-2020_addendum.pdf"
    assert unwrap_safelinks(ICE + "a%20b.pdf") == ICE + "a%20b.pdf"


def test_agency_key_merges_quotes_case_and_spaces():
    assert agency_key("Knox County Sheriff’s Office ") == agency_key("Knox  County Sheriff's office")
    assert agency_key("Knox County Sheriff's Office") != agency_key("Knox County Detention Center")


def test_published_key_orders_ice_workbook_names():
    names = ["participatingAgencies07182025pm.xlsx", "participatingAgencies05162025am.xlsx",
             "participatingAgencies07182025am.xlsx", "participatingAgencies07182025pm_b.xlsx"]
    assert sorted(names, key=published_key) == [names[1], names[2], names[0], names[3]]
    assert published_key("roster.xlsx") == ""


def test_parse_synthetic_roster_rows():
    data = write_roster([
        dict(state="Texas ", agency="Rusk County Sheriff’s Office ", county="Rusk County",
             support="Warrant Service Officer ", signed=datetime(2025, 3, 5), moa=ICE + "Rusk.pdf"),
        dict(state="TEXAS", agency="Harris County", support="Jail Enforcement Model", signed="05/082025",
             moa=None),
        dict(state="TEXAS", agency="Montgomery County", support="Jail Enforcement Model",
             signed=datetime(2020, 6, 9), moa=ICE + "287gJEM_%20montgomeryCoTX_06-09-2020.pdf", addendum=SAFE),
        dict(state=None, agency=None),   # a blank row
    ])
    roster = parse_roster(data, "roster.xlsx")
    assert roster.kind == "participating"          # from the header: SIGNED / MOA columns
    a, b, c = roster.rows
    assert (a.row_number, a.state, a.agency, a.model, a.support_type, a.signed, a.moa_url, a.link_pending) == \
        (2, "TEXAS", "Rusk County Sheriff’s Office", "WSO", "Warrant Service Officer", "2025-03-05",
         ICE + "Rusk.pdf", False)
    assert (b.signed, b.moa_url, b.link_pending, b.model) == ("2025-05-08", None, True, "JEM")
    assert c.addendum_url == ICE + "287gJEM_%20montgomeryCoTX_06-09-2020_addendum.pdf"
    assert parse_roster(write_roster([dict(state="TX", agency="X", support="Task Force Model")], pending=True),
                        "x.xlsx").kind == "pending"


def test_parse_real_rosters(fixture_corpus):
    for path in sorted((fixture_corpus / "sheets").glob("*.xlsx")):
        roster = parse_roster(path.read_bytes(), path.name)
        assert roster.kind == ("participating" if path.name.startswith("participating") else "pending")
        assert len(roster.rows) > 20
        assert all(r.state and r.agency and r.agency_key for r in roster.rows)
        assert sum(r.model is not None for r in roster.rows) == len(roster.rows)
        if roster.kind == "participating":
            links = [r.moa_url for r in roster.rows if r.moa_url]
            assert links and all(u.startswith(("https://www.ice.gov/", "http://www.ice.gov/")) for u in links)
            assert all(r.signed for r in roster.rows)
            assert any(r.link_pending for r in roster.rows)


def test_not_a_roster_is_a_document_error(tmp_path):
    with pytest.raises(DocumentError, match="page.xlsx.*not an .xlsx"):
        parse_roster(b"<html>blocked</html>", "page.xlsx")
    with pytest.raises(DocumentError, match="no header row"):
        wb = openpyxl.Workbook()
        wb.active.append(["NAME", "ADDRESS"])
        buf = io.BytesIO()
        wb.save(buf)
        parse_roster(buf.getvalue(), "odd.xlsx")
