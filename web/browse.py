"""Browse all agreements (filters, counts, pages, CSV) and the roster snapshots with what
changed."""
from __future__ import annotations

from math import ceil

from flask import Blueprint, render_template

from archive.harvest import agencies as roster_agreements
from archive.harvest.agencies import Agreement, AgreementFilter
from archive.status import ROSTER_KINDS, roster_history, roster_snapshots
from web import archive, coverage
from web.helpers import arg_date, arg_int, arg_list, check_page, csv_response

bp = Blueprint("browse", __name__)
NAV = [("Agreements", "browse.agreements"), ("Roster changes", "browse.roster")]

PER_PAGE = 100
CSV_COLUMNS = ["id", "state", "agency", "agency_type", "county", "model", "support_type", "signed",
               "status", "moa_url", "addendum_url", "link_pending", "documents"]


def read_filter() -> AgreementFilter:
    """The browse filters of this request (a bad date is a 400)."""
    return AgreementFilter(state=arg_list("state"), model=arg_list("model"),
                           status=arg_list("status"), signed_from=arg_date("from"),
                           signed_to=arg_date("to"))


def agreements_page(d, flt: AgreementFilter) -> tuple[list[Agreement], int, int, int, int]:
    """The page of agreements the request asks for (``page``, ``per_page``): rows, total,
    page, pages, per_page; a page past the last is a 400."""
    per_page = arg_int("per_page", PER_PAGE, 1, 1000)
    page = arg_int("page", 1)
    total = roster_agreements.agreement_count(d, flt)
    pages = ceil(total / per_page)
    check_page(page, pages)
    rows = roster_agreements.agreements(d, flt, limit=per_page, offset=(page - 1) * per_page)
    return rows, total, page, pages, per_page


@bp.get("/browse")
def agreements():
    d = archive()
    flt = read_filter()
    rows, shown, page, pages, per_page = agreements_page(d, flt)
    return render_template("browse.html", agreements=rows, flt=flt, shown=shown, page=page,
                           cov=coverage.totals(flt.state, flt.model),
                           pages=pages, per_page=per_page,
                           facets=roster_agreements.agreement_facets(d, flt),
                           total=roster_agreements.agreement_count(d))


@bp.get("/browse.csv")
def agreements_csv():
    rows = [a.to_dict() | {"documents": " ".join(d["sha256"] for d in a.documents)}
            for a in roster_agreements.agreements(archive(), read_filter())]
    return csv_response(rows, CSV_COLUMNS, "moa-agreements.csv")


def roster_changes() -> dict[str, list[dict]]:
    """For each roster kind, the diff of every consecutive pair of its snapshots, oldest
    pair first (archive.status.roster_history: the order `moa roster` uses)."""
    return {kind: roster_history(archive(), kind) for kind in ROSTER_KINDS}


@bp.get("/roster")
def roster():
    return render_template("roster.html", snapshots=roster_snapshots(archive()),
                           history=roster_changes())
