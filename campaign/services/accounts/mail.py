"""E-mail for notifications, sent by the worker through the SMTP server of the ``SMTP_*`` settings.

A notification is claimed (pending → sending) by one atomic UPDATE before the message goes out
and marked sent after, so a retried or duplicated task finds nothing to send. Each message has
a Message-ID derived from the notification, so even the resend after a worker died between
SMTP and commit (its claim is released after STALE_CLAIM) is recognisable as the same message.
"""
from __future__ import annotations

import smtplib
import ssl
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale

from campaign.extensions import db
from campaign.models import Invitation, Notification
from campaign.models.base import utcnow

from . import invitations, notifications

STALE_CLAIM = timedelta(minutes=10)


class MailNotSent(Exception):
    """SMTP refused or could not be reached; the task retries later."""


def enabled() -> bool:
    return bool(current_app.config.get("SMTP_HOST"))


def pending_ids(limit: int = 500) -> list[int]:
    """Notifications still waiting for their e-mail (the beat sweep's safety net). A claim older
    than ``STALE_CLAIM`` (a worker killed mid-send) is released first: at least once, and the
    Message-ID lets a mail client drop the rare duplicate."""
    db.session.execute(sa.update(Notification).where(
        Notification.email_state == "sending", Notification.emailed_at < utcnow() - STALE_CLAIM)
        .values(email_state="pending"))
    db.session.commit()
    return list(db.session.scalars(sa.select(Notification.id).where(Notification.email_state == "pending")
                                   .order_by(Notification.id).limit(limit)))


def send_notification(notification_id: int, *, final: bool = False) -> str:
    """Send one notification's e-mail; returns its new state. ``final``: the last retry, so a
    failure is recorded as failed instead of pending."""
    if not enabled():
        return "pending"
    claimed = db.session.execute(sa.update(Notification).where(
        Notification.id == notification_id, Notification.email_state == "pending")
        .values(email_state="sending", emailed_at=utcnow()))  # emailed_at: the claim's time until sent
    db.session.commit()
    if claimed.rowcount != 1:
        return "skipped"  # sent already, or another worker has it
    n = db.session.get(Notification, notification_id)
    message = build_message(n)
    if message is None:
        n.email_state = "none"
        db.session.commit()
        return "none"
    try:
        _deliver(message)
    except (smtplib.SMTPException, OSError) as exc:
        n.email_state = "failed" if final else "pending"
        n.emailed_at = None
        n.email_error = str(exc)[:300]
        db.session.commit()
        raise MailNotSent(str(exc)) from exc
    n.email_state = "sent"
    n.emailed_at = utcnow()
    n.email_error = None
    db.session.commit()
    return "sent"


def build_message(n: Notification) -> EmailMessage | None:
    """The e-mail for a notification, in the recipient's language; None if nothing is to be sent."""
    user = n.user
    if not user.email or not user.active:
        return None
    link = None
    if n.kind == "invitation":
        inv = db.session.get(Invitation, (n.params or {}).get("invitation_id"))
        if inv is None or inv.used_at or inv.revoked_at or inv.expires_at < utcnow():
            return None
        link = invitations.link_of(inv)
    elif n.link:
        link = current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/") + n.link
    locale = user.locale or current_app.config.get("BABEL_DEFAULT_LOCALE", "vi")
    with force_locale(locale):
        title, body = notifications.text_of(n, locale)
        ctx = {"title": title, "body": body, "link": link, "user": user, "invitation": n.kind == "invitation"}
        text = render_template("accounts/email.txt", **ctx)
        html = render_template("accounts/email.html", **ctx)
    msg = EmailMessage()
    msg["Subject"] = title
    msg["From"] = current_app.config.get("SMTP_FROM", "thidua@localhost")
    msg["To"] = user.email
    msg["Date"] = formatdate(localtime=False)
    domain = msg["From"].rsplit("@", 1)[-1].strip("> ") or "localhost"
    msg["Message-ID"] = f"<thidua-notification-{n.id}@{domain}>"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    msg["Content-Language"] = locale  # after the parts: add_alternative moves Content-* headers into them
    return msg


def _deliver(message: EmailMessage) -> None:
    cfg = current_app.config
    host, port = cfg["SMTP_HOST"], int(cfg.get("SMTP_PORT") or 25)
    tls = (cfg.get("SMTP_TLS") or "none").lower()
    timeout = float(cfg.get("SMTP_TIMEOUT") or 10)
    context = ssl.create_default_context()
    if tls == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    with smtp:
        if tls == "starttls":
            smtp.starttls(context=context)
        if cfg.get("SMTP_USER"):
            smtp.login(cfg["SMTP_USER"], cfg.get("SMTP_PASSWORD") or "")
        smtp.send_message(message)
