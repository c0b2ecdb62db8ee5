"""Entries (one per unit per campaign), indicator values, evidence and clarifications."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import JSONType, utcnow
from .campaigns import Campaign, IndicatorNode
from .units import Unit

ENTRY_STATUSES = ("draft", "submitted", "clarification_requested", "resubmitted", "appraised")


class Entry(db.Model):
    __tablename__ = "entry"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign.id"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    framework_version_id: Mapped[int] = mapped_column(sa.ForeignKey("framework_version.id"))
    status: Mapped[str] = mapped_column(sa.String(32), default="draft")
    blind_code: Mapped[str] = mapped_column(sa.String(16), unique=True)  # shown in blind mode
    narrative: Mapped[str] = mapped_column(sa.Text, default="")
    self_total: Mapped[float | None] = mapped_column(sa.Float)
    submitted_at: Mapped[datetime | None]
    first_submitted_at: Mapped[datetime | None]  # tie-break: earlier complete submission
    # optimistic concurrency: a form carries the version it was loaded at
    lock_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    campaign: Mapped[Campaign] = relationship()
    unit: Mapped[Unit] = relationship()
    values: Mapped[list[IndicatorValue]] = relationship(
        back_populates="entry", cascade="all, delete-orphan"
    )


class IndicatorValue(db.Model):
    __tablename__ = "indicator_value"
    __table_args__ = (sa.UniqueConstraint("entry_id", "indicator_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("entry.id"), index=True)
    indicator_id: Mapped[int] = mapped_column(sa.ForeignKey("indicator_node.id"), index=True)
    raw: Mapped[str | None] = mapped_column(sa.Text)  # as typed, for redisplay
    value_num: Mapped[float | None] = mapped_column(sa.Float)  # parsed numeric / bool / count
    value_text: Mapped[str | None] = mapped_column(sa.Text)  # choice code, date, text, level
    is_na: Mapped[bool] = mapped_column(default=False)
    explanation: Mapped[str] = mapped_column(sa.Text, default="")  # giải trình
    self_points: Mapped[float | None] = mapped_column(sa.Float)  # the unit's self-score
    points: Mapped[float | None] = mapped_column(sa.Float)  # by the rule, set on save
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    entry: Mapped[Entry] = relationship(back_populates="values")
    indicator: Mapped[IndicatorNode] = relationship()


class EntryVersion(db.Model):
    """A frozen copy of an entry at each submission, for diffs between versions."""

    __tablename__ = "entry_version"
    __table_args__ = (sa.UniqueConstraint("entry_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("entry.id"), index=True)
    number: Mapped[int]
    kind: Mapped[str] = mapped_column(sa.String(16), default="submit")  # submit | resubmit
    content: Mapped[dict] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))


class EvidenceFile(db.Model):
    __tablename__ = "evidence_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("entry.id"), index=True)
    indicator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("indicator_node.id"))
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    size: Mapped[int]
    mime: Mapped[str] = mapped_column(sa.String(100))
    original_name: Mapped[str] = mapped_column(sa.String(255))  # NFC, for display/download
    storage_name: Mapped[str] = mapped_column(sa.String(100))  # content-addressed, on disk
    status: Mapped[str] = mapped_column(sa.String(16), default="accepted")  # accepted|rejected
    is_public: Mapped[bool] = mapped_column(default=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]

    entry: Mapped[Entry] = relationship()


class ClarificationRequest(db.Model):
    __tablename__ = "clarification_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("entry.id"), index=True)
    indicator_codes: Mapped[list] = mapped_column(JSONType)  # only these may change
    message: Mapped[str] = mapped_column(sa.Text)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    response: Mapped[str] = mapped_column(sa.Text, default="")
    resolved_at: Mapped[datetime | None]

    entry: Mapped[Entry] = relationship()
