"""Public pages (no login). The full leaderboard is built in the leaderboard issue."""
from __future__ import annotations

from flask import Blueprint, render_template

from ..access import PUBLIC, allow
from ..services import leaderboard as lb

bp = Blueprint("public", __name__)


@bp.route("/leaderboard")
@allow(PUBLIC)
def leaderboard():
    board = lb.latest_public_board()
    return render_template("public/leaderboard.html", board=board)
