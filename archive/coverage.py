"""How much of ICE's participating roster the archive holds: `moa status --coverage`,
/coverage and the figures at the top of /browse.

Every agreement the newest participating roster lists falls in exactly one of:

- ``on_file``: an MOA document is linked to it and reads (or is not read yet) — from ICE,
  an import, or recovered from the Wayback Machine;
- ``unreadable``: MOA documents are linked to it, but reading every one of them failed;
- ``link_pending``: no document, and the roster says "link pending";
- ``dead_not_recovered``: no document; its MOA link answered 404/410 when last asked;
- ``not_fetched``: no document otherwise (no link, another failure, not harvested yet).

Besides: ``dead_links`` counts agreements whose MOA link answered 404/410 when last
asked (whether or not a copy is on file) and ``recovered`` those of them whose MOA on
file came from the Wayback Machine. ``share_on_file`` = on_file / agreements.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from store.datadir import DataDir

DEAD = (404, 410)
CATEGORIES = ("on_file", "unreadable", "link_pending", "dead_not_recovered", "not_fetched")
COLUMNS = ("state", "model", "agreements", *CATEGORIES, "dead_links", "recovered", "share_on_file")


@dataclass
class CoverageRow:
    state: str                 # as ICE writes it (TEXAS); "TOTAL" for the sum
    model: str                 # JEM | TFM | WSO | TTFM | "" unknown; "" in the total
    agreements: int = 0
    on_file: int = 0
    unreadable: int = 0
    link_pending: int = 0
    dead_not_recovered: int = 0
    not_fetched: int = 0
    dead_links: int = 0
    recovered: int = 0

    @property
    def share_on_file(self) -> float:
        return round(self.on_file / self.agreements, 3) if self.agreements else 0.0

    def to_dict(self) -> dict:
        return asdict(self) | {"share_on_file": self.share_on_file}


def agreement_status(datadir: DataDir) -> dict[int, tuple[str, bool, bool]]:
    """agreement id -> (category, dead link, recovered), for every participating agreement."""
    conn = datadir.db
    docs: dict[int, list] = {}
    for r in conn.execute(
            "SELECT d.agreement_id, d.source, e.status FROM documents d"
            " LEFT JOIN extractions e ON e.sha256 = d.sha256"
            " WHERE d.kind = 'moa' AND d.agreement_id IS NOT NULL"):
        docs.setdefault(r["agreement_id"], []).append((r["source"], r["status"]))
    last_status = {r["url"]: r["status"] for r in conn.execute(
        "SELECT url, status FROM fetches WHERE id IN (SELECT MAX(id) FROM fetches GROUP BY url)")}
    out = {}
    for a in conn.execute("SELECT id, moa_url, link_pending FROM agreements WHERE status = 'participating'"):
        held = docs.get(a["id"], [])
        readable = [source for source, status in held if status != "failed"]
        dead = last_status.get(a["moa_url"]) in DEAD if a["moa_url"] else False
        if readable:
            category = "on_file"
        elif held:
            category = "unreadable"
        elif a["link_pending"]:
            category = "link_pending"
        elif dead:
            category = "dead_not_recovered"
        else:
            category = "not_fetched"
        recovered = dead and any(source == "wayback" for source, _ in held)
        out[a["id"]] = (category, dead, recovered)
    return out


def coverage(datadir: DataDir, *, states: list[str] | None = None, models: list[str] | None = None) -> dict:
    """Per state and model, and in total: the roster's agreements by category (see the
    module's doc). *states* / *models* keep only those (as /browse filters them)."""
    status = agreement_status(datadir)
    rows: dict[tuple[str, str], CoverageRow] = {}
    total = CoverageRow("TOTAL", "")
    for a in datadir.db.execute("SELECT id, state, model FROM agreements WHERE status = 'participating'"
                                " ORDER BY state, model"):
        if (states and a["state"] not in states) or (models and a["model"] not in models):
            continue
        category, dead, recovered = status[a["id"]]
        row = rows.setdefault((a["state"], a["model"]), CoverageRow(a["state"], a["model"]))
        for r in (row, total):
            r.agreements += 1
            setattr(r, category, getattr(r, category) + 1)
            r.dead_links += dead
            r.recovered += recovered
    return {"roster": "participating", "rows": [r.to_dict() for r in rows.values()], "total": total.to_dict()}


def coverage_table(result: dict) -> list[dict]:
    """The rows and the total, as CSV rows (COLUMNS)."""
    return [*result["rows"], result["total"]]
