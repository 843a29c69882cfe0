"""What a reader reads on the signature page of every agreement of ../shared/corpus, checked
by eye on the rendered page (pdftoppm, 80 dpi), not taken from any program's output.

GOLDEN[file] = (page, signed_ice, ice_signatory, signed_agency, agency_signatory):

- a string: what the page shows (dates as YYYY-MM-DD; names as printed, typed or stamped);
- None: nothing a reader can read there (a blank, a bare signature, a scrawl): any value
  read is wrong;
- a tuple: each is right (two agency signers, a typed date beside a digital stamp's);
  None in it: not reading it is no miss either (a handwritten name, a form field that
  shows only in a form-filling viewer).

A value read that is not right is *wrong*; a right one not read is a *miss*. Readings
are compared case- and accent-blind, on letters and digits only.
"""
from __future__ import annotations

import re
import unicodedata

GOLDEN: dict[str, tuple] = {
    # 2019-2020: ICE's column left, the agency's right, no "For ...:" labels; dates mostly
    # handwritten or stamped, names typed under the signature line.
    # ICE's digital signature: its appearance (drawn by poppler, not by pdfium without its
    # forms) prints "CHRISTOPHER M CRONEN / Digitally signed by CHRISTOPHER M CRONEN Date:
    # 2020.06.09 14:38:27 -04'00'" over the typed "C.M. Cronen"
    "287gJEM_%20etowahCoAL_06-09-2020.pdf": (7, "2020-06-09", ("C.M. Cronen", "Christopher M Cronen"), "2020-04-30",
                                             "Jonathon W. Horton"),
    "287gJEM_CalhounCoTX_03-13-2020.pdf": (7, "2020-03-13", "C.M. Cronen", "2020-03-09", "Bobbie Vickery"),
    "287gJEM_ClayCoFl2020-03-11.pdf": (7, "2020-03-11", "C.M. Cronen", "2020-03-08", "Darryl Daniels"),
    "287gJEM_FL_DOC_FL_08-21-2020.pdf": (7, "2020-08-21", "C.M. Cronen", "2020-08-17", "Mark S. Inch"),
    # the sheriff's handwritten date, and the county board's typed one under it
    "287gJEM_TulsaCoOK_06-08-2020.pdf": (7, "2020-06-08", "C.M. Cronen", ("2020-05-19", "2020-05-26"),
                                         ("Vic Regalado", None)),
    "287gWSO_FinneyCoKs2020-03-17.pdf": (7, "2020-03-17", "Enrique M. Lucero", "2020-02-28", "Kevin Bascue"),
    "287gWSO_JeffersonCoFl2019-10-15.pdf": (8, "2019-10-15", "Timothy S. Robbins", "2019-06-25", "Mac McNeill"),
    "287gWSO_LakeCoFl2019-10-15.pdf": (7, "2019-10-15", "Timothy S. Robbins", "2019-06-13", "Peyton C. Grinnell"),
    "287gWSO_SuwanneeCoFl2019-10-15.pdf": (7, "2019-10-15", "Timothy S. Robbins", "2019-06-11", "Sam St John"),
    "287gWSO_WallerCoTx2020-02-12.pdf": (7, "2020-02-12", "Timothy S. Robbins", "2020-01-13", "R. Glenn Smith"),
    "287g_JEM_Knox_6-8-2020.pdf": (7, "2020-06-08", "C.M. Cronen", "2020-05-08", "Tom Spangler"),
    # the sheriff signs, then the county judge
    "287g_JEM_TarrantCoTX_06-16-2020.pdf": (7, "2020-06-05", "C.M. Cronen", ("2020-06-10", "2020-06-16"),
                                            ("Bill Waybourn", "B. Glen Whitley", "Glen Whitley")),
    # 2025: "For the LEA:" left, "For ICE:" right, Date/Signature/Name/Title/Agency blanks
    "BlaineCo_WSO_MOA_02.18.2025.pdf": (7, "2025-02-26", "Caleb Vitello", "2025-02-18", "Travis Daugherty"),
    "CalhounCoTX_TFM_MOA_03.07.2025.pdf": (9, "2025-03-07", "Caleb Vitello", "2025-02-24", "Bobbie Vickery"),
    # the agency typed 2028 for 2025 (a date after today is no signing date: not read is right too);
    # its name is an annotation, not page text
    "ChattahoocheePoliceDept_TFM_MOA_02.28.25.pdf": (9, "2025-02-28", None, ("2028-02-28", None),
                                                     ("Michael Miller", None)),
    "ClayCoSheriffsOffice_TFM_MOA_02.26.2025.pdf": (9, "2025-02-26", None, "2025-02-21", None),
    "CowleyCountySO_WSO_MOA_030425.pdf": (7, "2025-03-05", "Caleb Vitello", "2025-02-28", "David A. Falletti"),
    "DeLandPDFL_TFM_MOA_030425.pdf": (9, "2025-03-05", None, "2025-03-04", ("Jason D. Umberger", None)),
    # the agency's and counsel's dates typed, ICE's written in
    "FLORIDA_AM_UNIVERSITY_BOARD_OF_TRUSTEES_FL_TFM_04.15.25.pdf": (9, "2025-04-15", None, "2025-03-07",
                                                                    ("Donald Palm", None)),
    "FranklinCoAL_TFM_MOA_031825.pdf": (9, "2025-03-26", "Todd M. Lyons", "2025-03-18", "Shannon Oliver"),
    "FranklinCountyAL_WSO_MOA_030625.pdf": (7, "2025-03-26", "Todd M. Lyons", None, "Shannon Oliver"),
    "GraysonCountyDCKY_JEM_MOA_030425.pdf": (7, "2025-03-05", "Caleb Vitello", None, "Jason Woosley"),
    "GraysonCountyDetCenterKY_WSO_MOA_030425.pdf": (7, "2025-03-05", "Caleb Vitello", None, "Jason Woosley"),
    "HamiltonCountySheriffTN_JEM_031325.pdf": (7, "2025-03-17", "Todd M. Lyons", "2025-03-13", "Austin Garrett"),
    "HarrisonCoTS_WSO_MOA_02.24.2025.pdf": (7, "2025-02-25", None, "2025-02-25", None),
    "JacksonCountySOMN_JEM_MOA_030625.pdf": (7, "2025-03-07", "Caleb Vitello", "2025-03-04", "Shawn Haken"),
    "LawrenceCoSheriffsOfficeAL_TFM_MOA_06182025.pdf": (9, "2025-06-18", "Madison Sheahan", "2025-05-12",
                                                        "Max Sanders"),
    # the agency's date written on the Signature line, the signature on the Date line
    "LeeCoSheriffsOffice_JEM_MOA_02.20.2025.pdf": (7, "2025-03-03", "Caleb Vitello", "2025-02-19",
                                                   "Carmine Marceno"),
    "LiveOakPoliceDeptFL_TFM_MOA_04142025.pdf": (9, "2025-04-14", "Todd M. Lyons", "2025-03-19",
                                                 "Eugene Keith Davis"),
    "LoudounCountySO_WSO_MOA_032625.pdf": (7, "2025-03-26", "Todd M. Lyons", "2025-03-26", "Michael L. Chapman"),
    "MiamiSpringsPoliceDeptFL_TFM_MOA_03.26.2025.pdf": (9, "2025-04-02", "Todd M. Lyons", "2025-03-26",
                                                        "J.C. Jimenez"),
    "MineralCountyNV_WSO_MOA_031025.pdf": (7, "2025-03-10", "Todd M. Lyons", "2025-03-05", "Johnny Bateman"),
    "OnslowCountyNC_WSO_MOA_031225.pdf": (7, "2025-03-25", "Todd M. Lyons", "2025-03-12", "Christopher D. Thomas"),
    "PortageCoSheriffsOfficeOH_TFM_MOA_03.12.2025.pdf": (9, "2025-03-17", None, "2025-03-11", None),
    "PortageCountySO_WSO_MOA_031225.pdf": (7, "2025-03-17", "Todd M. Lyons", "2025-03-11", "Bruce Zuchowski"),
    # typed date beside the agency's digital stamp of the next day
    "PuntaGordaPDFL_TFM_MOA_042425.pdf": (9, "2025-04-24", "Todd M. Lyons", ("2025-03-31", "2025-04-01"),
                                          ("Pamela R. Smith", "Pam Smith")),
    "RuskCoSOTX_WSO_MOA_030425.pdf": (7, "2025-03-05", None, "2025-03-03", None),
    "SanibelPDFL_TFM_MOA_032625.pdf": (9, "2025-04-02", "Todd M. Lyons", "2025-03-26", "William Dalton"),
    # ICE's date is in a form field that the page's image does not show
    "SmithCoSheriffsOfficeTX_TFM_MOA_02.18.25.pdf": (9, ("2025-02-18", None), None, "2025-02-17", None),
    # Sign / Print / Title / Date, the date last; the block on the page after the closing sentence
    "StAugustinePoliceDept_TFM_MOA_02.28.25.pdf": (9, "2025-02-28", "Caleb Vitello", "2025-02-28",
                                                   "David Birchim"),
    "StLucie_TFM_MOA.pdf": (9, "2025-02-26", None, "2025-02-21", None),
    "SweetwaterCounty_JEM_MOA_030725.pdf": (7, "2025-03-07", "Caleb Vitello", "2025-02-27", "John Grossnickle"),
    "TexasOfficeAttorneyGeneral_TFM_MOA_01.30.25.pdf": (10, "2025-01-31", None, "2025-01-30", None),
    "WalworthCoSheriffsOfficeWI_WSO_MOA_06122025.pdf": (7, "2025-06-11", "Madison Sheahan", "2025-04-28",
                                                        "Dave Gerber"),
    "WashingtonCoSheriffsOfficeUT_TFM_MOA_03.20.2025.pdf": (9, "2025-03-21", None, "2025-03-05",
                                                            ("Nate Brooksby", None)),
    "WellsPDME_TFM_MOA_040225.pdf": (9, "2025-04-02", "Todd M. Lyons", "2025-03-28", "Jo-Ann Putnam"),
    "WestVirginiaNatGuard_TFM_MOA_0611025.pdf": (9, "2025-06-11", ("Madison Sheahan", "Madison Sheahane"),
                                                 "2025-05-27", ("James D. Seward", "MG James D. Seward")),
    "clayCoSheriffsOffice_WSO_MOA_02242025.pdf": (7, None, None, None, None),
    "escambiaCo_WSO_MOA_02.21.2025.pdf": (7, "2025-02-26", "Caleb Vitello", "2025-02-18", "Ashlee Hofberger"),
    "floridaDeptLawEnforcement_TFM_MOA_02.14.2025.pdf": (9, "2025-02-14", "Caleb Vitello", "2025-02-13", None),
    "graysonCoSheriffsOffice_TFM_MOA_03.04.25.pdf": (9, "2025-03-05", None, "2025-03-03", None),
    "jeffersonCountySherrifsOffice_TF_MOA_03122025.pdf": (9, "2025-02-26", None, "2025-02-21", None),
    "lakeCountySherrifsOffice_TF_MOA_03122025.pdf": (9, "2025-02-26", None, "2025-02-21", None),
    # the chief's typed date and digital stamp, then the city manager's block
    "panamaCityBeachPolice_TFM_MOA_02.26.2025.pdf": (9, "2025-02-25", None, "2025-02-24",
                                                     ("Eusebio Talamantez", "Drew Whitman")),
    "pascoCoSheriff_TFM_MOA_02272025.pdf": (9, "2025-02-27", None, "2025-02-19", None),
}

FACTS = ("signed_ice", "ice_signatory", "signed_agency", "agency_signatory")


def same(a: str, b: str) -> bool:
    """Equal, case- and accent-blind, on letters and digits only."""
    def fold(s):
        s = unicodedata.normalize("NFKD", s)
        return re.sub(r"[^a-z0-9]", "", s.encode("ascii", "ignore").decode().lower())
    return fold(a) == fold(b)


def judge(file_name: str, got: dict[str, tuple[str, int | None]]) -> dict[str, str]:
    """Per fact: 'right', 'wrong', 'miss' (legible, not read) or 'none' (nothing to read,
    nothing read). *got*: name -> (value, page) as read. A right value on another page
    than the signature page is wrong."""
    page, *want = GOLDEN[file_name]
    out = {}
    for name, w in zip(FACTS, want):
        ok = w if isinstance(w, tuple) else (w,)
        values = [v for v in ok if v is not None]
        if name not in got:
            out[name] = "miss" if values and None not in ok else "none"
            continue
        value, at = got[name]
        right = any(same(value, v) for v in values) and at == page
        out[name] = "right" if right else "wrong"
    return out
