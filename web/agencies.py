"""Agencies: the list, and one agency with every agreement, version and roster listing."""
from __future__ import annotations

from flask import Blueprint, render_template

from web import archive
from web import queries as q

bp = Blueprint("agencies", __name__)
NAV = ("Agencies", "agencies.index")


@bp.get("/agencies")
def index():
    return render_template("agencies.html", agencies=q.agencies(archive().db))


@bp.get("/agency/<state>/<path:key>")
def show(state: str, key: str):
    return render_template("agency.html", agency=q.agency(archive().db, state, key))
