"""Home page, health check and a trivial endpoint for benchmarks."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, redirect, url_for
from flask_login import current_user

from ..access import PUBLIC, allow
from ..extensions import db
from ..redis_client import get_redis
from ..version import __version__

bp = Blueprint("main", __name__)


@bp.route("/")
@allow(PUBLIC)
def home():
    if current_user.is_authenticated:
        target = {"admin": "admin.dashboard", "officer": "unit.dashboard", "judge": "judging.dashboard"}
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
    report = {"database": "ok", "redis": "ok", "worker": "ok", "version": __version__}
    try:
        db.session.execute(sa.text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - the report must name any failure
        report["database"] = f"error: {type(exc).__name__}: {exc}"[:200]
    try:
        get_redis().ping()
    except Exception as exc:  # noqa: BLE001
        report["redis"] = f"error: {type(exc).__name__}: {exc}"[:200]
        report["worker"] = "unknown: redis is down"
    else:
        try:
            replies = current_app.extensions["celery"].control.ping(timeout=1.0)
            if not replies:
                report["worker"] = "error: no Celery worker answered within 1 s"
        except Exception as exc:  # noqa: BLE001
            report["worker"] = f"error: {type(exc).__name__}: {exc}"[:200]
    healthy = all(report[k] == "ok" for k in ("database", "redis", "worker"))
    return jsonify(report), 200 if healthy else 503
