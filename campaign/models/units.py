"""Administrative units (a versioned tree) and emulation clusters/blocks."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow

# kind -> level: 1 city/province, 2 district-level, 3 commune-level; agencies sit at level 2.
UNIT_LEVELS = {
    "city": 1,
    "urban_district": 2,
    "rural_district": 2,
    "town": 2,
    "ward": 3,
    "commune": 3,
    "township": 3,
    "agency": 2,
    "mass_org": 2,
}


class Unit(db.Model):
    __tablename__ = "unit"
    __table_args__ = (sa.Index("ix_unit_parent_level", "parent_id", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)  # GSO code where one exists
    name: Mapped[str] = mapped_column(sa.String(200))  # with diacritics, e.g. "Quận Ba Đình"
    name_en: Mapped[str | None] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(32))
    level: Mapped[int] = mapped_column(sa.SmallInteger, index=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"))
    population: Mapped[int | None] = mapped_column(sa.Integer)
    area_km2: Mapped[float | None] = mapped_column(sa.Float)
    latitude: Mapped[float | None] = mapped_column(sa.Float)
    longitude: Mapped[float | None] = mapped_column(sa.Float)
    valid_from: Mapped[date | None] = mapped_column(sa.Date)
    valid_to: Mapped[date | None] = mapped_column(sa.Date)  # inactive from this date (mergers)
    is_demo: Mapped[bool] = mapped_column(default=False)  # generated demo data, not official
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent", order_by="Unit.code")

    def is_active_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day < self.valid_to
        )

    def __repr__(self) -> str:
        return f"<Unit {self.code} {self.name}>"


class Cluster(db.Model):
    """A cụm (territorial) or khối (functional) of comparable units; reusable or per campaign."""

    __tablename__ = "cluster"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40))
    name: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str | None] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(16), default="cluster")  # cluster | block
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaign.id"))
    head_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"))
    deputy_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    members: Mapped[list[ClusterMember]] = relationship(
        back_populates="cluster", cascade="all, delete-orphan"
    )
    __table_args__ = (sa.UniqueConstraint("code", "campaign_id", name="uq_cluster_code_campaign"),)


class ClusterMember(db.Model):
    __tablename__ = "cluster_member"

    cluster_id: Mapped[int] = mapped_column(sa.ForeignKey("cluster.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), primary_key=True)

    cluster: Mapped[Cluster] = relationship(back_populates="members")
    unit: Mapped[Unit] = relationship()
