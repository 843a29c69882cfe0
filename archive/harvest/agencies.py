"""Agreements and agencies as ICE's rosters list them (the ``agreements`` and
``roster_rows`` tables this stage writes), for reading: the browse page, agency pages and
the API. Functions take a ``DataDir`` and return JSON-able dicts, or records whose
``to_dict()`` the API gives."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from archive.core.errors import NotFound
from archive.harvest.recording import snapshot_order
from archive.harvest.rosters import agency_key

AGREEMENT_COLUMNS = ("id, state, agency, agency_key, agency_type, county, model, support_type,"
                     " signed, status, moa_url, addendum_url, link_pending")
FACETS = ("state", "model", "status")


def _dicts(rows) -> list[dict]:
    return [dict(r) for r in rows]


@dataclass
class AgreementFilter:
    """Which agreements: empty lists / None mean "any". Dates are ``YYYY[-MM[-DD]]``,
    inclusive at both ends ("2025" as an upper bound is the whole of 2025)."""
    state: list[str] = field(default_factory=list)
    model: list[str] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    signed_from: str | None = None
    signed_to: str | None = None

    def where(self, skip: str | None = None) -> tuple[str, list]:
        """SQL WHERE clause and parameters; *skip* leaves one facet out (for its counts)."""
        clauses, params = ["1=1"], []
        for name in FACETS:
            values = getattr(self, name)
            if values and name != skip:
                clauses.append(f"{name} IN ({','.join('?' * len(values))})")
                params += values
        if self.signed_from:
            clauses.append("signed >= ?")
            params.append(self.signed_from)
        if self.signed_to:
            clauses.append("signed <= ?")
            # an upper bound covers the whole year or month it names
            params.append(self.signed_to + {4: "-12-31", 7: "-31"}.get(len(self.signed_to), ""))
        return " AND ".join(clauses), params

    def to_dict(self) -> dict:
        return {"state": self.state, "model": self.model, "status": self.status,
                "from": self.signed_from, "to": self.signed_to}


@dataclass
class Agreement:
    """One agreement as ICE's rosters list it (``agreements``), with its archived
    documents (``{sha256, kind, file_name}``; one agreement alone adds ``signed`` and
    ``first_fetched_at``, an agency's page also ``versions``)."""
    id: int
    state: str
    agency: str
    agency_key: str
    agency_type: str | None
    county: str | None
    model: str | None
    support_type: str | None
    signed: str | None
    status: str                  # participating | pending | removed
    moa_url: str | None
    addendum_url: str | None
    link_pending: int
    documents: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def agreement(datadir, agreement_id: int) -> Agreement:
    """One agreement and its archived documents."""
    conn = datadir.db
    row = conn.execute(f"SELECT {AGREEMENT_COLUMNS} FROM agreements WHERE id = ?",
                       (agreement_id,)).fetchone()
    if row is None:
        raise NotFound(f"no agreement with id {agreement_id}")
    return Agreement(**dict(row), documents=_dicts(conn.execute(
        "SELECT sha256, kind, file_name, signed, first_fetched_at FROM documents"
        " WHERE agreement_id = ? ORDER BY kind, signed, first_fetched_at", (agreement_id,))))


def agreement_count(datadir, flt: AgreementFilter | None = None) -> int:
    where, params = (flt or AgreementFilter()).where()
    return datadir.db.execute(f"SELECT COUNT(*) FROM agreements WHERE {where}", params).fetchone()[0]


def agreements(datadir, flt: AgreementFilter | None = None, *, limit: int | None = None,
               offset: int = 0) -> list[Agreement]:
    """The agreements *flt* selects, by state, agency and model (*limit* of them from
    *offset*, or all), each with its documents (sha256, kind, file name)."""
    conn = datadir.db
    where, params = (flt or AgreementFilter()).where()
    page = "" if limit is None else f" LIMIT {int(limit)} OFFSET {int(offset)}"
    rows = [Agreement(**r) for r in _dicts(conn.execute(
        f"SELECT {AGREEMENT_COLUMNS} FROM agreements WHERE {where}"
        " ORDER BY state, agency, model, id" + page, params))]
    docs = {r.id: r.documents for r in rows}
    for d in conn.execute("SELECT agreement_id, sha256, kind, file_name FROM documents"
                          " WHERE agreement_id IS NOT NULL ORDER BY kind, signed, first_fetched_at"):
        if d["agreement_id"] in docs:
            docs[d["agreement_id"]].append({"sha256": d["sha256"], "kind": d["kind"],
                                            "file_name": d["file_name"]})
    return rows


def agreement_facets(datadir, flt: AgreementFilter) -> dict[str, list[tuple[str, int]]]:
    """Counts per state/model/status under the other filters (so choices stay visible)."""
    out = {}
    for name in FACETS:
        where, params = flt.where(skip=name)
        out[name] = [(r[0], r[1]) for r in datadir.db.execute(
            f"SELECT {name}, COUNT(*) FROM agreements WHERE {where} GROUP BY {name} ORDER BY {name}",
            params)]
    return out


@dataclass
class Agency:
    """One agency as the rosters list it (state and ``agency_key``), with its models and
    the span of its signing dates (the agencies page and ``/api/agencies``)."""
    state: str
    agency_key: str
    agency: str
    models: str | None           # comma-separated model codes ("JEM,WSO")
    agreements: int
    first_signed: str | None
    last_signed: str | None

    def to_dict(self) -> dict:
        return asdict(self)


def agencies(datadir) -> list[Agency]:
    """One per (state, agency_key), by state and name."""
    return [Agency(**r) for r in _dicts(datadir.db.execute(
        "SELECT state, agency_key, MAX(agency) AS agency, GROUP_CONCAT(DISTINCT model) AS models,"
        " COUNT(*) AS agreements, MIN(signed) AS first_signed, MAX(signed) AS last_signed"
        " FROM agreements GROUP BY state, agency_key ORDER BY state, agency"))]


def agency(datadir, state: str, key: str) -> dict:
    """Every agreement of one agency, its documents (with the versions seen of each),
    the documents no roster row links to, and its roster history."""
    conn = datadir.db
    rows = conn.execute("SELECT id FROM agreements WHERE state = ? AND agency_key = ?"
                        " ORDER BY model, signed", (state, key)).fetchall()
    # documents of this agency that no roster row links to (e.g. archived or imported)
    loose = [dict(r) for r in conn.execute(
        "SELECT sha256, kind, file_name, agency, model, signed, first_fetched_at FROM documents"
        " WHERE agreement_id IS NULL AND state = ? ORDER BY signed", (state,))
        if r["agency"] and agency_key(r["agency"]) == key]
    if not rows and not loose:
        raise NotFound(f"no agency {key!r} in {state}")
    agr = [agreement(datadir, r["id"]) for r in rows]
    for a in agr:
        for d in a.documents:
            d["versions"] = _dicts(conn.execute(
                "SELECT url, version, first_fetched_at, last_fetched_at FROM versions"
                " WHERE sha256 = ? ORDER BY url, version", (d["sha256"],)))
    first = agr[0].to_dict() if agr else {"agency": loose[0]["agency"], "agency_type": None, "county": None}
    return {
        "state": state,
        "agency_key": key,
        "agency": first["agency"],
        "agency_type": first["agency_type"],
        "county": first["county"],
        "agreements": [a.to_dict() for a in agr],
        "other_documents": loose,
        "roster_history": agency_roster_history(datadir, state, key),
    }


def agency_roster_history(datadir, state: str, key: str) -> list[dict]:
    """For every roster snapshot, oldest first (``snapshot_order``, as everywhere):
    whether (and how) this agency was listed."""
    conn = datadir.db
    snaps = sorted(_dicts(conn.execute("SELECT id, kind, file_name, fetched_at FROM roster_snapshots")),
                   key=snapshot_order)
    listed: dict[int, list[dict]] = {}
    for r in conn.execute(
            "SELECT snapshot_id, model, support_type, signed, link_pending FROM roster_rows"
            " WHERE state = ? AND agency_key = ? ORDER BY row_number", (state, key)):
        listed.setdefault(r["snapshot_id"], []).append(dict(r))
    for s in snaps:
        s["rows"] = listed.get(s["id"], [])
    return snaps
