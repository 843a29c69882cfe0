"""The one vocabulary: ICE's 287(g) program models and the states, as every stage names them.

Models: the code (JEM, TFM, WSO, TTFM) is what the archive stores; ICE's names are what
people read. :func:`code_for` turns any wording ICE or a user writes into the code:
a code ("jem"), ICE's name ("Jail Enforcement Model"), its SUPPORT TYPE cell with stray
spaces or the code in brackets ("Jail Enforcement Model (JEM)"), short forms ("Task
Force", "287(g) Task Force", "warrant service officers") and ICE's file-name token
``TF``. A wording that names two different models is no model (None).
"""
from __future__ import annotations

import re

JEM, TFM, WSO, TTFM = "JEM", "TFM", "WSO", "TTFM"
MODELS = (JEM, TFM, WSO, TTFM)
MODEL_NAMES = {
    JEM: "Jail Enforcement Model",
    TFM: "Task Force Model",
    WSO: "Warrant Service Officer",
    TTFM: "Tribal Task Force Model",
}
# Abbreviations ICE uses in file names besides the codes (``..._TF_MOA_03122025.pdf``).
ABBREVIATIONS = {"TF": TFM}
# A file-name token that is a model by itself: a code or an abbreviation, any case.
FILE_NAME_TOKENS = {**{m: m for m in MODELS}, **ABBREVIATIONS}
# A regular-expression alternation of the codes and ICE's names, longest first (for
# finding a model inside link text such as "Agency [JEM] (Mar. 11, 2020)").
MODEL_PATTERN = "|".join(sorted((*MODELS, *MODEL_NAMES.values()), key=len, reverse=True))

# What is left of a wording once the filler words are gone -> the model it names.
_PHRASES = {
    "jail enforcement": JEM, "jail": JEM,
    "task force": TFM,
    "tribal task force": TTFM,
    "warrant service officer": WSO, "warrant service officers": WSO, "warrant service": WSO,
    "warrant officer": WSO, "warrant": WSO,
}
_FILLER = {"287", "g", "model", "models", "program", "moa", "agreement", "the"}


def code_for(text: str | None) -> str | None:
    """The model code a wording names (see the module doc); None if it names none or two."""
    if not text:
        return None
    words = re.sub(r"287\s*\(?g\)?|[^a-z0-9]+", " ", str(text).lower()).split()
    words = [w for w in words if w not in _FILLER]
    found = set()
    rest = []
    for w in words:
        code = w.upper()
        if code in MODEL_NAMES:
            found.add(code)
        elif code in ABBREVIATIONS:
            found.add(ABBREVIATIONS[code])
        else:
            rest.append(w)
    if rest:
        phrase = _PHRASES.get(" ".join(rest))
        if phrase is None:
            return None
        found.add(phrase)
    return found.pop() if len(found) == 1 else None


def require_code(text: str) -> str:
    """:func:`code_for` for what a user typed: raises ValueError saying what is accepted."""
    code = code_for(text)
    if code is None:
        raise ValueError(f"unknown model {text!r}: give JEM, TFM, WSO or TTFM, or ICE's wording "
                         "(\"Jail Enforcement Model\", \"Task Force\", \"Warrant Service Officer\", "
                         "\"Tribal Task Force Model\")")
    return code


def model_name(code: str | None) -> str:
    """ICE's name of a model code ("JEM" -> "Jail Enforcement Model"); the text itself if
    it is not a code, "unknown model" if empty."""
    return MODEL_NAMES.get((code or "").upper(), code or "unknown model")


# --- states -----------------------------------------------------------------------------

# Two-letter code -> the name in capitals, as ICE's rosters write it.
STATES = {
    "AL": "ALABAMA", "AK": "ALASKA", "AZ": "ARIZONA", "AR": "ARKANSAS", "CA": "CALIFORNIA",
    "CO": "COLORADO", "CT": "CONNECTICUT", "DE": "DELAWARE", "DC": "DISTRICT OF COLUMBIA",
    "FL": "FLORIDA", "GA": "GEORGIA", "HI": "HAWAII", "ID": "IDAHO", "IL": "ILLINOIS",
    "IN": "INDIANA", "IA": "IOWA", "KS": "KANSAS", "KY": "KENTUCKY", "LA": "LOUISIANA",
    "ME": "MAINE", "MD": "MARYLAND", "MA": "MASSACHUSETTS", "MI": "MICHIGAN", "MN": "MINNESOTA",
    "MS": "MISSISSIPPI", "MO": "MISSOURI", "MT": "MONTANA", "NE": "NEBRASKA", "NV": "NEVADA",
    "NH": "NEW HAMPSHIRE", "NJ": "NEW JERSEY", "NM": "NEW MEXICO", "NY": "NEW YORK",
    "NC": "NORTH CAROLINA", "ND": "NORTH DAKOTA", "OH": "OHIO", "OK": "OKLAHOMA", "OR": "OREGON",
    "PA": "PENNSYLVANIA", "RI": "RHODE ISLAND", "SC": "SOUTH CAROLINA", "SD": "SOUTH DAKOTA",
    "TN": "TENNESSEE", "TX": "TEXAS", "UT": "UTAH", "VT": "VERMONT", "VA": "VIRGINIA",
    "WA": "WASHINGTON", "WV": "WEST VIRGINIA", "WI": "WISCONSIN", "WY": "WYOMING",
    "PR": "PUERTO RICO", "GU": "GUAM", "VI": "U.S. VIRGIN ISLANDS", "MP": "NORTHERN MARIANA ISLANDS",
}
STATE_CODES = {name: code for code, name in STATES.items()}   # ALABAMA -> AL


def state_for(text: str | None) -> str | None:
    """A two-letter code or a state's name (any case, spaces or underscores) -> the name as
    ICE writes it ("fl", "Florida" -> "FLORIDA"); None if it is not a state."""
    if not text:
        return None
    v = " ".join(str(text).replace("_", " ").split()).upper()
    if v in STATES:
        return STATES[v]
    return v if v in STATE_CODES else None
