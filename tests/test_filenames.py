"""ICE's file-naming patterns: model, state, date."""
import csv

import pytest

from archive.harvest.filenames import infer
from conftest import FIXTURE_CORPUS, SHARED_CORPUS


@pytest.mark.parametrize("name, model, state, signed", [
    ("287gJEM_ClayCoFl2020-03-11.pdf", "JEM", "FLORIDA", "2020-03-11"),
    ("287g_JEM_Knox_6-8-2020.pdf", "JEM", None, "2020-06-08"),
    ("287gJEM_%20etowahCoAL_06-09-2020.pdf", "JEM", "ALABAMA", "2020-06-09"),
    ("287gJEM_ etowahCoAL_06-09-2020.pdf", "JEM", "ALABAMA", "2020-06-09"),
    ("287gWSO_WallerCoTx2020-02-12.pdf", "WSO", "TEXAS", "2020-02-12"),
    ("CowleyCountySO_WSO_MOA_030425.pdf", "WSO", None, "2025-03-04"),
    ("BlaineCo_WSO_MOA_02.18.2025.pdf", "WSO", None, "2025-02-18"),
    ("ChattahoocheePoliceDept_TFM_MOA_02.28.25.pdf", "TFM", None, "2025-02-28"),
    ("clayCoSheriffsOffice_WSO_MOA_02242025.pdf", "WSO", None, "2025-02-24"),
    ("jeffersonCountySherrifsOffice_TF_MOA_03122025.pdf", "TFM", None, "2025-03-12"),
    ("RuskCoSOTX_WSO_MOA_030425.pdf", "WSO", "TEXAS", "2025-03-04"),
    ("DeLandPDFL_TFM_MOA_030425.pdf", "TFM", "FLORIDA", "2025-03-04"),
    ("HarrisonCoTS_WSO_MOA_02.24.2025.pdf", "WSO", None, "2025-02-24"),
    ("FLORIDA_AM_UNIVERSITY_BOARD_OF_TRUSTEES_FL_TFM_04.15.25.pdf", "TFM", "FLORIDA", "2025-04-15"),
    ("TexasOfficeAttorneyGeneral_TFM_MOA_01.30.25.pdf", "TFM", "TEXAS", "2025-01-30"),
    ("WestVirginiaNatGuard_TFM_MOA_0611025.pdf", "TFM", "WEST VIRGINIA", None),
    ("StLucie_TFM_MOA.pdf", "TFM", None, None),
    ("SomeTribe_TTFM_MOA_070125.pdf", "TTFM", None, "2025-07-01"),
    ("palmBeachCoSheriffsOffice_WSO_MOA_06252025.PDF", "WSO", None, "2025-06-25"),
    ("287gJEM_AransasCoTX_addendum.pdf", "JEM", "TEXAS", None),
    ("notes.pdf", None, None, None),
])
def test_infer(name, model, state, signed):
    info = infer(name)
    assert (info.model, info.state, info.signed) == (model, state, signed)


@pytest.mark.parametrize("corpus", [FIXTURE_CORPUS, SHARED_CORPUS], ids=["fixture", "shared"])
def test_inferred_model_and_state_agree_with_manifest(corpus):
    if not (corpus / "MANIFEST.csv").is_file():
        pytest.skip(f"no corpus at {corpus}")
    rows = [r for r in csv.DictReader(open(corpus / "MANIFEST.csv", encoding="utf-8")) if r["kind"] == "moa"]
    for r in rows:
        info = infer(r["file"].rsplit("/", 1)[-1])
        assert info.model == r["model"], r["file"]
        assert info.state in (None, r["state"]), r["file"]   # never a wrong state
    named = sum(infer(r["file"]).state is not None for r in rows)
    assert named >= len(rows) * 0.5
