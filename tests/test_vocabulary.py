"""The one vocabulary (model codes, ICE's names, states) and the one date parser."""
from datetime import date, datetime

import pytest

from archive.core import dates, vocabulary
from archive.core.dates import full_year, parse_date, require_date
from archive.core.vocabulary import MODEL_NAMES, MODELS, code_for, model_name, require_code, state_for


@pytest.mark.parametrize("text, code", [
    # codes, any case
    ("JEM", "JEM"), ("tfm", "TFM"), (" WSO ", "WSO"), ("TTFM", "TTFM"),
    # ICE's names and SUPPORT TYPE cells (stray spaces, the code in brackets)
    ("Jail Enforcement Model", "JEM"), ("Jail Enforcement Model ", "JEM"), ("task  force model", "TFM"),
    ("Warrant Service Officer", "WSO"), ("Tribal Task Force Model", "TTFM"),
    ("Jail Enforcement Model (JEM)", "JEM"), ("Task Force Model [TFM]", "TFM"),
    ("287(g) Task Force", "TFM"), ("287g Jail Enforcement Program", "JEM"),
    ("warrant service officers", "WSO"), ("Warrant Service", "WSO"), ("jail", "JEM"),
    ("tribal task force", "TTFM"), ("jail_enforcement", "JEM"),
    # ICE's file-name abbreviation
    ("TF", "TFM"),
    # nothing, something else, or two models at once
    (None, None), ("", None), ("Something else", None), ("jailhouse", None),
    ("Task Force Model (JEM)", None), ("JEM and WSO", None), ("Tribal", None),
])
def test_code_for(text, code):
    assert code_for(text) == code


def test_every_name_and_code_maps_back_to_its_code():
    assert set(MODELS) == set(MODEL_NAMES) == {"JEM", "TFM", "WSO", "TTFM"}
    for code, name in MODEL_NAMES.items():
        assert code_for(code) == code_for(name) == code_for(name.upper()) == code
        assert code_for(f"{name} ({code})") == code
        assert model_name(code) == name


def test_require_code_names_the_value_and_what_is_accepted():
    assert require_code("Jail Enforcement Model (JEM)") == "JEM"
    with pytest.raises(ValueError, match=r"unknown model 'JEMM'.*JEM, TFM, WSO or TTFM"):
        require_code("JEMM")


def test_model_name_falls_back_to_the_text():
    assert model_name("jem") == "Jail Enforcement Model"
    assert model_name("XYZ") == "XYZ"
    assert model_name(None) == "unknown model"


def test_model_pattern_finds_the_longest_wording():
    import re
    m = re.search(rf"\[?({vocabulary.MODEL_PATTERN})\]?", "Agency Tribal Task Force Model (Mar. 1, 2020)")
    assert m.group(1) == "Tribal Task Force Model"


@pytest.mark.parametrize("text, name", [
    ("FL", "FLORIDA"), ("fl", "FLORIDA"), ("Florida", "FLORIDA"), ("new_york", "NEW YORK"),
    ("  North   Carolina ", "NORTH CAROLINA"), ("ZZ", None), ("Floridaa", None), (None, None)])
def test_state_for(text, name):
    assert state_for(text) == name


def test_states_round_trip():
    assert len(vocabulary.STATES) == len(vocabulary.STATE_CODES) >= 50
    for code, name in vocabulary.STATES.items():
        assert vocabulary.STATE_CODES[name] == code and state_for(code) == state_for(name) == name


@pytest.mark.parametrize("value, iso", [
    (datetime(2025, 5, 8, 13, 0), "2025-05-08"), (date(2020, 6, 9), "2020-06-09"),
    ("2025-03-05", "2025-03-05"), ("2025-3-5", "2025-03-05"),
    ("3/5/2025", "2025-03-05"), ("03/05/2025", "2025-03-05"), ("3-5-2025", "2025-03-05"),
    ("02.18.2025", "2025-02-18"), ("03/05/25", "2025-03-05"),
    ("05/082025", "2025-05-08"), ("7/72025", "2025-07-07"),          # ICE's missing separator
    ("Mar. 11, 2020", "2020-03-11"), ("March 11 2020", "2020-03-11"), ("Sept. 3, 2019", "2019-09-03"),
    ("  6/9/2020 ", "2020-06-09"),
    # impossible or not dates
    ("13/45/2025", None), ("2/30/2025", None), ("2025-13-01", None), ("0/1/2025", None),
    ("Foo 3, 2020", None), ("soon", None), ("", None), (None, None), (45000, None), ("2025", None),
])
def test_parse_date(value, iso):
    assert parse_date(value) == iso


def test_two_digit_years_follow_one_rule():
    today = date(2026, 6, 1)
    assert full_year(25, today=today) == 2025
    assert full_year(27, today=today) == 2027          # next year: still this century
    assert full_year(28, today=today) == 1928          # further ahead: the last century
    assert full_year(99, today=today) == 1999
    assert full_year(2020, today=today) == 2020
    assert parse_date("1/2/99") == "1999-01-02"
    assert dates.make_date(99, 1, 2) == "1999-01-02"


def test_require_date_says_it_is_not_a_date():
    assert require_date("6/9/2020") == "2020-06-09"
    with pytest.raises(ValueError, match=r"not a date: '13/45/2025'"):
        require_date("13/45/2025")
    with pytest.raises(ValueError, match=r"not a signed date"):
        require_date("soon", "signed date")


def test_records_give_their_json_shape():
    from archive.core.records import FetchResult, RosterSnapshot, StoredDocument
    r = FetchResult("u", "u2", 200, b"%PDF-1.7", None, None, "application/pdf")
    assert r.to_dict() == {"url": "u", "final_url": "u2", "status": 200, "bytes": 8, "etag": None,
                           "last_modified": None, "content_type": "application/pdf", "attempts": 1}
    assert not r.not_modified and FetchResult("u", "u", 304, None, "e", None, None).not_modified
    row = {"id": 3, "kind": "pending", "file_name": "pendingAgencies07182025pm.xlsx", "fetched_at": "t",
           "row_count": 26, "sha256": "ab", "url": None, "extra": "ignored"}
    assert RosterSnapshot.from_row(row, published="2025-07-18 pm ").to_dict() == \
        {k: v for k, v in row.items() if k != "extra"} | {"published": "2025-07-18 pm "}
    doc = StoredDocument.from_row({"sha256": "ab", "kind": "moa", "model": "WSO"})
    assert doc.to_dict()["model"] == "WSO" and doc.to_dict()["agency"] is None
