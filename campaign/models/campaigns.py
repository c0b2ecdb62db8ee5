"""Campaigns (movements), participating units, deadlines and versioned frameworks."""
from __future__ import annotations

import secrets
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import JSONType, utcnow
from .units import Unit


def new_ledger_token() -> int:
    """A random 62-bit identity for one build of a campaign's ledger (see ``Campaign.ledger_token``)."""
    return secrets.randbits(62)


# The law's lifecycle (Art. 17): draft → open → appraisal → published → closed.
CAMPAIGN_STATUSES = ("draft", "open", "appraisal", "published", "closed")


class Framework(db.Model):
    """A named scoring table; its content lives in immutable versions."""

    __tablename__ = "framework"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(80), unique=True)
    name: Mapped[str] = mapped_column(sa.String(300))
    name_en: Mapped[str | None] = mapped_column(sa.String(300))
    is_template: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    versions: Mapped[list[FrameworkVersion]] = relationship(
        back_populates="framework", order_by="FrameworkVersion.version"
    )


class FrameworkVersion(db.Model):
    """One immutable version of a framework document (docs/framework-format.md)."""

    __tablename__ = "framework_version"
    __table_args__ = (sa.UniqueConstraint("framework_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(sa.ForeignKey("framework.id"))
    version: Mapped[int] = mapped_column(default=1)
    # Plain JSON, not JSONB: PostgreSQL's JSONB reorders keys, and an exported framework must
    # come back exactly as it was imported (round trip byte for byte).
    document: Mapped[dict] = mapped_column(sa.JSON)
    digest: Mapped[str] = mapped_column(sa.String(64))  # sha256 of the canonical JSON
    scale: Mapped[float] = mapped_column(sa.Float, default=100)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    framework: Mapped[Framework] = relationship(back_populates="versions")
    nodes: Mapped[list[IndicatorNode]] = relationship(
        back_populates="framework_version", order_by="IndicatorNode.position"
    )


class IndicatorNode(db.Model):
    """A row per framework node, so set-based SQL can join values to rules and caps."""

    __tablename__ = "indicator_node"
    __table_args__ = (sa.UniqueConstraint("framework_version_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_version_id: Mapped[int] = mapped_column(sa.ForeignKey("framework_version.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(40))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("indicator_node.id"))
    group_code: Mapped[str] = mapped_column(sa.String(40))  # top-level group (I, II, …)
    depth: Mapped[int] = mapped_column(sa.SmallInteger, default=0)
    position: Mapped[int] = mapped_column(default=0)  # document order
    kind: Mapped[str] = mapped_column(sa.String(16), default="regular")  # regular|bonus|penalty
    is_indicator: Mapped[bool] = mapped_column(default=False)
    name: Mapped[str] = mapped_column(sa.String(500))
    name_en: Mapped[str | None] = mapped_column(sa.String(500))
    max_points: Mapped[float] = mapped_column(sa.Float, default=0)
    cap: Mapped[float | None] = mapped_column(sa.Float)
    value_type: Mapped[str | None] = mapped_column(sa.String(16))
    rule_kind: Mapped[str | None] = mapped_column(sa.String(16))
    evidence_required: Mapped[bool] = mapped_column(default=False)

    framework_version: Mapped[FrameworkVersion] = relationship(back_populates="nodes")


class Campaign(db.Model):
    __tablename__ = "campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    name: Mapped[str] = mapped_column(sa.String(300))
    name_en: Mapped[str | None] = mapped_column(sa.String(300))
    kind: Mapped[str] = mapped_column(sa.String(16), default="regular")  # regular | thematic
    description: Mapped[str] = mapped_column(sa.Text, default="")
    description_en: Mapped[str] = mapped_column(sa.Text, default="")
    period_start: Mapped[date | None] = mapped_column(sa.Date)
    period_end: Mapped[date | None] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(16), default="draft", index=True)
    archived_at: Mapped[datetime | None]
    submission_deadline: Mapped[datetime | None]  # stored in UTC
    appraisal_deadline: Mapped[datetime | None]
    framework_version_id: Mapped[int | None] = mapped_column(sa.ForeignKey("framework_version.id"))
    # aggregation, normalisation, judges_per_entry, blind, rollup, tie_breaks, bands, quotas…
    settings: Mapped[dict] = mapped_column(JSONType, default=dict)
    results_public: Mapped[bool] = mapped_column(default=True)
    cloned_from_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaign.id"))
    # Freshness: every score-affecting change bumps inputs_version; a recompute records the
    # version it read. stale ⇔ computed_version < inputs_version.
    inputs_version: Mapped[int] = mapped_column(default=0)
    computed_version: Mapped[int] = mapped_column(default=0)
    stale_since: Mapped[datetime | None]
    # The per-(entry, node) subtotals (EntryNodeScore) need a campaign-wide rebuild: set by
    # changes that are not tied to a few entries (settings, framework), cleared by a full recompute.
    ledger_stale: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # Which build of the ledger the rows are: a new random token at every campaign-wide rewrite,
    # so a worker's in-memory copy of them (results.ledger_cache) knows it must read them again.
    ledger_token: Mapped[int] = mapped_column(sa.BigInteger, default=lambda: new_ledger_token(), server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    framework_version: Mapped[FrameworkVersion | None] = relationship()
    participants: Mapped[list[CampaignUnit]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan"
    )

    @property
    def is_stale(self) -> bool:
        return self.computed_version < self.inputs_version

    def display_name(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name


class CampaignUnit(db.Model):
    """A participating unit and the cluster it is ranked in for this campaign."""

    __tablename__ = "campaign_unit"

    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), primary_key=True)
    cluster_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cluster.id"))

    campaign: Mapped[Campaign] = relationship(back_populates="participants")
    unit: Mapped[Unit] = relationship()


class DeadlineExtension(db.Model):
    __tablename__ = "deadline_extension"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign.id"))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"))
    new_deadline: Mapped[datetime]
    reason: Mapped[str] = mapped_column(sa.Text)
    granted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)


class StatusChange(db.Model):
    """Lifecycle history: who moved the campaign, when, from what to what."""

    __tablename__ = "campaign_status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign.id"), index=True)
    from_status: Mapped[str] = mapped_column(sa.String(16))
    to_status: Mapped[str] = mapped_column(sa.String(16))
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(sa.Text, default="")
