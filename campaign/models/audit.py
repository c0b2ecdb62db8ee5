"""The append-only audit log: rows are inserted, never updated or deleted."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import JSONType, utcnow


class AuditLog(db.Model):
    __tablename__ = "audit_log"
    __table_args__ = (sa.Index("ix_audit_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    actor_role: Mapped[str | None] = mapped_column(sa.String(16))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"))
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaign.id"))
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    object_type: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[str | None] = mapped_column(sa.String(64))
    before: Mapped[dict | None] = mapped_column(JSONType)
    after: Mapped[dict | None] = mapped_column(JSONType)
    reason: Mapped[str | None] = mapped_column(sa.Text)
    request_id: Mapped[str | None] = mapped_column(sa.String(40))
    ip: Mapped[str | None] = mapped_column(sa.String(64))


class AuditLogImmutable(Exception):
    pass


@event.listens_for(AuditLog, "before_update")
def _refuse_update(*_args) -> None:
    raise AuditLogImmutable("audit log rows cannot be changed")


@event.listens_for(AuditLog, "before_delete")
def _refuse_delete(*_args) -> None:
    raise AuditLogImmutable("audit log rows cannot be deleted")
