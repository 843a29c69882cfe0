"""The section layouts of ICE's 287(g) MOA templates: the printed titles of every section
(several printed titles may share one canonical key), and for each known layout the
expected sections in order, with their parents and the numbers the template prints.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

# --- vocabulary --------------------------------------------------------------------
# Printed titles (any case, any punctuation) → canonical key. Several printed titles may
# share one key; that is how equivalent sections of different models line up.
TITLES: dict[str, tuple[str, ...]] = {
    "parties": ("PARTIES",),
    "purpose": ("PURPOSE",),
    "authority": ("AUTHORITY",),
    "policy": ("POLICY",),
    "responsibilities": ("RESPONSIBILITIES",),
    "training-and-assignments": ("TRAINING AND ASSIGNMENTS",),
    "designation-of-functions": ("DESIGNATION OF AUTHORIZED FUNCTIONS",),
    "local-charges": ("RESOLUTION OF LOCAL CHARGES", "DETENTION ISSUES"),
    "nomination": ("NOMINATION OF PERSONNEL",),
    "training": ("TRAINING OF PERSONNEL",),
    "certification": ("CERTIFICATION AND AUTHORIZATION",),
    "costs": ("COSTS AND EXPENDITURES",),
    "supervision": ("ICE SUPERVISION",),
    "interpretation": ("INTERPRETATION SERVICES",),
    "liability": ("LIABILITY AND RESPONSIBILITY",),
    "civil-rights": ("CIVIL RIGHTS STANDARDS",),
    "reporting": ("REPORTING AND DOCUMENTATION", "REPORTING REQUIREMENTS"),
    "complaint-procedure": ("COMPLAINT PROCEDURES",),
    "communication": ("COMMUNICATION",),
    "community-outreach": ("COMMUNITY OUTREACH",),
    "release-of-information": ("RELEASE OF INFORMATION TO THIRD PARTIES",),
    "modifications": ("MODIFICATIONS TO THIS MOA", "MODIFICATION OF THIS MOA"),
    "points-of-contact": ("POINTS OF CONTACT",),
    "termination": ("EFFECTIVE DATE, SUSPENSION, AND TERMINATION OF THIS MOA",
                    "EFFECTIVE DATE AND TERMINATION OF THIS MOA",
                    "DURATION AND TERMINATION OF THIS MOA"),
}
# Appendix titles (the line after "APPENDIX X") → key.
APPENDIX_TITLES: dict[str, tuple[str, ...]] = {
    "appendix-sop": ("STANDARD OPERATING PROCEDURES (SOP)", "STANDARD OPERATING PROCEDURE (SOP)",
                     "STANDARD OPERATING PROCEDURES", "STANDARD OPERATING PROCEDURE"),
    "appendix-complaint": ("COMPLAINT PROCEDURE", "COMPLAINT PROCEDURES"),
    "appendix-public-info-poc": ("PUBLIC INFORMATION POINTS OF CONTACT",),
    "appendix-poc": ("POINTS OF CONTACT",),
}
# Keys that are never a section's own heading but mark where a part starts.
DOC_TITLE = "doc-title"          # "MEMORANDUM OF AGREEMENT" (TFM: opens the parties paragraph)
OPENING = "opening"              # "This Memorandum of Agreement (MOA) constitutes ..." (fallback)
ADDENDUM = "addendum"
FRONT_MATTER = "front-matter"    # whatever precedes the first section (cover letter, stamps)
ATTACHMENT = "attachment"        # trailing pages that are not the agreement's (resolutions)


@dataclass(frozen=True)
class Expected:
    key: str                      # canonical key written to `sections.key`
    accepts: tuple[str, ...]      # candidate keys that may fill it
    parent: str | None = None     # key of the enclosing section
    optional: bool = False
    numbered: bool = True         # the template prints a number before its title


def _items(spec: list) -> tuple[Expected, ...]:
    out = []
    for item in spec:
        if isinstance(item, Expected):
            out.append(item)
        elif isinstance(item, tuple):       # (parent, [children])
            parent, children = item
            out.append(Expected(parent, (parent,)))
            out += [Expected(c, (c,), parent=parent) for c in children]
        else:
            out.append(Expected(item, (item,)))
    return tuple(out)


_JW_RESP = ["designation-of-functions", "nomination", "training", "certification", "costs",
            "supervision", "interpretation", "liability", "civil-rights"]
_ADDENDUM = Expected(ADDENDUM, (ADDENDUM,), optional=True, numbered=False)
_JW_APPENDICES = ["appendix-sop", "appendix-complaint", "appendix-public-info-poc", _ADDENDUM]
_TFM_HEAD = [Expected("parties", (DOC_TITLE, OPENING), numbered=False), "purpose", "authority", "policy",
             "training-and-assignments", "designation-of-functions", "local-charges",
             "nomination", "training", "certification", "costs", "supervision", "reporting",
             "release-of-information", "liability", "complaint-procedure", "civil-rights"]
_TFM_TAIL = ["modifications", "termination", "appendix-poc", "appendix-complaint",
             "appendix-public-info-poc", _ADDENDUM]

# Layouts: the expected sections, in order. Names are stored in `segmentations.layout`.
LAYOUTS: dict[str, tuple[Expected, ...]] = {
    # JEM and WSO, 2019-2020 template: V has a Community Outreach sub-section.
    "jem-wso-2020": _items(["parties", "purpose", "authority", ("responsibilities", _JW_RESP),
                            ("reporting", ["complaint-procedure", "communication",
                                           "community-outreach", "release-of-information"]),
                            "modifications", "points-of-contact", "termination", *_JW_APPENDICES]),
    # JEM and WSO, 2025 template (revision footers): no Community Outreach.
    "jem-wso-2025": _items(["parties", "purpose", "authority", ("responsibilities", _JW_RESP),
                            ("reporting", ["complaint-procedure", "communication",
                                           "release-of-information"]),
                            "modifications", "points-of-contact", "termination", *_JW_APPENDICES]),
    # Task Force Model, February/March 2025 revisions: 18 flat sections.
    "tfm-2025": _items([*_TFM_HEAD, *_TFM_TAIL]),
    # Task Force Model, January 2025: also Community Outreach; numbered up to XX.
    "tfm-2025-01": _items([*_TFM_HEAD, "community-outreach", *_TFM_TAIL]),
}
# Layouts whose printed numbers always follow the template; there a number misread by OCR
# is replaced by the template's. (The January 2025 TFM prints XV twice and skips XVII.)
REGULAR = {"jem-wso-2020", "jem-wso-2025", "tfm-2025"}
FAMILIES = {"jem-wso": ("jem-wso-2020", "jem-wso-2025"), "tfm": ("tfm-2025", "tfm-2025-01")}

def _roman(n: int) -> str:
    out = ""
    for value, sym in ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out, n = out + sym, n - value
    return out


def template_numbers(expected: tuple[Expected, ...]) -> list[str | None]:
    """The number the template prints before each expected section."""
    out: list[str | None] = []
    top = appendix = 0
    sub: Counter = Counter()
    for e in expected:
        if not e.numbered:
            out.append(None)
        elif e.key.startswith("appendix-"):
            out.append(f"APPENDIX {'ABCD'[appendix]}")
            appendix += 1
        elif e.parent:
            out.append("ABCDEFGHIJ"[sub[e.parent]])
            sub[e.parent] += 1
        else:
            top += 1
            out.append(_roman(top))
    return out


def _appendix_keys() -> dict[str, tuple[str, ...]]:
    """"APPENDIX B" -> the keys an appendix of that letter has in the layouts
    (APPENDIX A is the SOP in JEM/WSO, the points of contact in TFM)."""
    out: dict[str, list[str]] = {}
    for expected in LAYOUTS.values():
        for e, number in zip(expected, template_numbers(expected)):
            if number and number.startswith("APPENDIX") and e.key not in out.setdefault(number, []):
                out[number].append(e.key)
    return {k: tuple(v) for k, v in out.items()}


APPENDIX_KEYS = _appendix_keys()
