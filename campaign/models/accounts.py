"""Invitations (set your own password) and notifications derived from the audit log."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import JSONType, utcnow
from .users import User


class Invitation(db.Model):
    """A single-use link to set a password. Only a hash of the token is stored; the token is
    an HMAC of ``nonce`` under the server's secret key, so the database alone never reveals it."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    nonce: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class Notification(db.Model):
    """One message for one user about one event; (event_key, user_id) is unique, so deriving
    the same event twice (a retried task, the sweep) never creates a second message."""

    __tablename__ = "notification"
    __table_args__ = (sa.UniqueConstraint("event_key", "user_id", name="uq_notification_event_user"),
                      sa.Index("ix_notification_user_read", "user_id", "read_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    kind: Mapped[str] = mapped_column(sa.String(32))
    event_key: Mapped[str] = mapped_column(sa.String(120))
    params: Mapped[dict] = mapped_column(JSONType, default=dict)
    link: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    # e-mail: none (no address / opted out) | pending | sending | sent | failed
    email_state: Mapped[str] = mapped_column(sa.String(16), default="none")
    emailed_at: Mapped[datetime | None]
    email_error: Mapped[str | None] = mapped_column(sa.String(300))

    user: Mapped[User] = relationship()


class NotificationCursor(db.Model):
    """The last audit row turned into notifications (one row, id 1)."""

    __tablename__ = "notification_cursor"

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
