"""Browse all agreements (filters, counts, CSV) and the roster snapshots with what changed."""
from __future__ import annotations

import re

from flask import Blueprint, render_template, request

from web import archive, coverage
from web import queries as q
from web.helpers import arg_list, csv_response

bp = Blueprint("browse", __name__)
NAV = [("Agreements", "browse.agreements"), ("Roster changes", "browse.roster")]

CSV_COLUMNS = ["id", "state", "agency", "agency_type", "county", "model", "support_type", "signed",
               "status", "moa_url", "addendum_url", "link_pending", "documents"]
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def read_filter() -> q.AgreementFilter:
    def day(name):
        v = request.args.get(name, "").strip()
        return v if _DATE.match(v) else None
    return q.AgreementFilter(state=arg_list("state"), model=arg_list("model"),
                             status=arg_list("status"), signed_from=day("from"), signed_to=day("to"))


@bp.get("/browse")
def agreements():
    conn = archive().db
    flt = read_filter()
    rows = q.agreements(conn, flt)
    return render_template("browse.html", agreements=rows, flt=flt, cov=coverage.totals(flt.state, flt.model),
                           facets=q.agreement_facets(conn, flt),
                           total=conn.execute("SELECT COUNT(*) FROM agreements").fetchone()[0])


@bp.get("/browse.csv")
def agreements_csv():
    rows = q.agreements(archive().db, read_filter())
    for r in rows:
        r["documents"] = " ".join(d["sha256"] for d in r["documents"])
    return csv_response(rows, CSV_COLUMNS, "moa-agreements.csv")


@bp.get("/roster")
def roster():
    conn = archive().db
    return render_template("roster.html", snapshots=q.roster_snapshots(conn),
                           history=q.roster_pair_history(archive()))
