"""Home page, health check and a trivial endpoint for benchmarks."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, url_for
from flask_login import current_user

from campaign.services import health

from ..access import PUBLIC, allow

bp = Blueprint("main", __name__)


@bp.route("/")
@allow(PUBLIC)
def home():
    if current_user.is_authenticated:
        target = {"admin": "admin.dashboard", "officer": "unit.dashboard", "judge": "judging.dashboard",
                  "viewer": "results.index"}
        endpoint = target.get(current_user.role)
        if endpoint and endpoint in current_app.view_functions:
            return redirect(url_for(endpoint))
    return redirect(url_for("public.leaderboard"))


@bp.route("/ping")
@allow(PUBLIC)
def ping():
    return "ok"


@bp.route("/healthz")
@allow(PUBLIC)
def healthz():
    """Each field is "ok" or says what is wrong; 503 when anything is not ok."""
    report, healthy = health.report()
    return jsonify(report), 200 if healthy else 503
