"""Health of the platform's parts, as /healthz reports it: each field "ok" or what is wrong."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from campaign.extensions import db
from campaign.redis_client import get_redis
from campaign.version import __version__


def _error(exc: Exception) -> str:
    return f"error: {type(exc).__name__}: {exc}"[:200]


def report() -> tuple[dict, bool]:
    """(report, healthy): database, Redis and a Celery worker answering within 1 s."""
    out = {"database": "ok", "redis": "ok", "worker": "ok", "version": __version__}
    try:
        db.session.execute(sa.text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - the report must name any failure
        out["database"] = _error(exc)
    try:
        get_redis().ping()
    except Exception as exc:  # noqa: BLE001
        out["redis"] = _error(exc)
        out["worker"] = "unknown: redis is down"
    else:
        try:
            if not current_app.extensions["celery"].control.ping(timeout=1.0):
                out["worker"] = "error: no Celery worker answered within 1 s"
        except Exception as exc:  # noqa: BLE001
            out["worker"] = _error(exc)
    return out, all(out[k] == "ok" for k in ("database", "redis", "worker"))
