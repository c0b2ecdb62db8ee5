"""Judge panels, assignments, scores, conflicts of interest and council overrides."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow
from .entries import Entry
from .users import User


class PanelMember(db.Model):
    __tablename__ = "panel_member"

    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign.id"), primary_key=True)
    judge_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), primary_key=True)
    max_load: Mapped[int | None]  # admin cap on entries for this judge

    judge: Mapped[User] = relationship()


class Assignment(db.Model):
    __tablename__ = "assignment"
    __table_args__ = (sa.UniqueConstraint("entry_id", "judge_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("entry.id"), index=True)
    judge_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(16), default="assigned")  # assigned|draft|submitted
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    assigned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    submitted_at: Mapped[datetime | None]
    reopened_reason: Mapped[str | None] = mapped_column(sa.Text)

    entry: Mapped[Entry] = relationship()
    judge: Mapped[User] = relationship(foreign_keys=[judge_id])
    scores: Mapped[list[JudgeScore]] = relationship(
        back_populates="assignment", cascade="all, delete-orphan"
    )


class JudgeScore(db.Model):
    __tablename__ = "judge_score"
    __table_args__ = (sa.UniqueConstraint("assignment_id", "indicator_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("assignment.id"), index=True)
    indicator_id: Mapped[int] = mapped_column(sa.ForeignKey("indicator_node.id"), index=True)
    points: Mapped[float] = mapped_column(sa.Float)
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    comment_public: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    assignment: Mapped[Assignment] = relationship(back_populates="scores")


class ConflictDeclaration(db.Model):
    __tablename__ = "conflict_declaration"
    __table_args__ = (sa.UniqueConstraint("judge_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    judge_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"))
    reason: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Override(db.Model):
    """A council decision replacing a final mark (indicator, group or TOTAL) with a reason."""

    __tablename__ = "score_override"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("entry.id"), index=True)
    target: Mapped[str] = mapped_column(sa.String(40))  # indicator code, group code or "TOTAL"
    points: Mapped[float] = mapped_column(sa.Float)
    reason: Mapped[str] = mapped_column(sa.Text)
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    active: Mapped[bool] = mapped_column(default=True)
