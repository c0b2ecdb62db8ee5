"""Wiring of the accounts feature into the app: settings, the after-commit trigger of the
notification task, its beat schedule, and the header's unread count.

The trigger watches what a transaction flushed: when it added an audit row of an action that
notifies someone (or a notification that wants an e-mail), the notification task is queued
after the COMMIT (never for a rolled-back change). If Redis is down the beat sweep catches up.
"""
from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context
from flask_login import current_user

from campaign.models import AuditLog, Notification
from campaign.services.accounts import notifications
from config import env, env_int

log = logging.getLogger(__name__)
FLAG = "thidua_notify"


def setup(app: Flask) -> None:
    cfg = app.config
    cfg.setdefault("SMTP_HOST", env("SMTP_HOST", ""))
    cfg.setdefault("SMTP_PORT", env_int("SMTP_PORT", 25))
    cfg.setdefault("SMTP_USER", env("SMTP_USER", ""))
    cfg.setdefault("SMTP_PASSWORD", env("SMTP_PASSWORD", ""))
    cfg.setdefault("SMTP_FROM", env("SMTP_FROM", "Thi Dua <thidua@localhost>"))
    cfg.setdefault("SMTP_TLS", env("SMTP_TLS", "none"))  # none | starttls | ssl
    cfg.setdefault("MAIL_SINK_DIR", env("MAIL_SINK_DIR", ""))
    cfg.setdefault("PUBLIC_BASE_URL", env("PUBLIC_BASE_URL", "http://127.0.0.1:5000"))
    cfg.setdefault("REMINDER_DAYS", env("REMINDER_DAYS", "7,2,0"))
    # Tests of other features run real workers; they get no notification tasks unless asked.
    cfg.setdefault("NOTIFY_ON_COMMIT", not app.testing)
    celery = app.extensions["celery"]
    celery.conf.beat_schedule = {
        **(celery.conf.beat_schedule or {}),
        "notify-events": {"task": "thidua.notify_events", "schedule": float(env("NOTIFY_SWEEP_SECONDS", "60") or 60)},
        "deadline-reminders": {"task": "thidua.deadline_reminders", "schedule": 3600.0},
    }
    app.jinja_env.globals["unread_notifications"] = _unread
    _listen_once()


def _unread() -> int:
    if not current_user.is_authenticated:
        return 0
    return notifications.unread_count(current_user.id)


_listening: list[bool] = []


def _listen_once() -> None:
    if _listening:
        return
    _listening.append(True)
    sa.event.listen(sa.orm.Session, "after_flush", _after_flush)
    sa.event.listen(sa.orm.Session, "after_commit", _after_commit)
    sa.event.listen(sa.orm.Session, "after_rollback", _after_rollback)


def _after_flush(session, _ctx) -> None:
    for obj in session.new:
        if (isinstance(obj, AuditLog) and obj.action in notifications.WATCHED) or (
                isinstance(obj, Notification) and obj.email_state == "pending"):
            session.info[FLAG] = True
            return


def _after_rollback(session) -> None:
    session.info.pop(FLAG, None)


def _after_commit(session) -> None:
    if not session.info.pop(FLAG, None) or not has_app_context() or not current_app.config.get("NOTIFY_ON_COMMIT"):
        return
    try:
        current_app.extensions["celery"].send_task("thidua.notify_events")
    except Exception:  # noqa: BLE001 - Redis down: the beat sweep sends it later
        log.warning("could not queue thidua.notify_events; the beat sweep will", exc_info=True)
