"""Agencies: the list, and one agency with every agreement, version and roster listing."""
from __future__ import annotations

from flask import Blueprint, render_template

from archive.harvest import agencies as roster_agencies
from web import archive

bp = Blueprint("agencies", __name__)
NAV = ("Agencies", "agencies.index")


@bp.get("/agencies")
def index():
    return render_template("agencies.html", agencies=roster_agencies.agencies(archive()))


@bp.get("/agency/<state>/<path:key>")
def show(state: str, key: str):
    return render_template("agency.html", agency=roster_agencies.agency(archive(), state, key))
