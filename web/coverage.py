"""/coverage: how much of ICE's participating roster has an MOA on file, per state and
model (archive/coverage.py), as a page, CSV and JSON; its totals also head /browse."""
from __future__ import annotations

from flask import Blueprint, render_template

from archive.coverage import CATEGORIES, COLUMNS, coverage, coverage_table
from web import archive
from web.helpers import csv_response

bp = Blueprint("coverage", __name__)
NAV = ("Coverage", "coverage.index")


@bp.get("/coverage")
def index():
    return render_template("coverage.html", coverage=coverage(archive()), categories=CATEGORIES)


@bp.get("/coverage.csv")
def csv():
    return csv_response(coverage_table(coverage(archive())), list(COLUMNS), "moa-coverage.csv")


@bp.get("/api/coverage")
def api():
    return coverage(archive())


def totals(states: list[str] | None = None, models: list[str] | None = None) -> dict:
    """The total row for /browse's filters (templates/_coverage_summary.html shows it)."""
    return coverage(archive(), states=states, models=models)["total"]
