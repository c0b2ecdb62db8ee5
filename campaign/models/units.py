"""Administrative units (a versioned tree) and emulation clusters/blocks."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow

# kind -> level: 1 province-level, 2 district-level, 3 commune-level; agencies sit at level 2.
# The official types (Law on Local Government Organisation): "city" is a thành phố trực thuộc
# trung ương, "provincial_city" a thành phố thuộc tỉnh, "special_zone" a đặc khu (from 1 July 2025).
UNIT_LEVELS = {
    "city": 1,
    "province": 1,
    "provincial_city": 2,
    "town": 2,
    "urban_district": 2,
    "rural_district": 2,
    "ward": 3,
    "commune": 3,
    "township": 3,
    "special_zone": 3,
    "agency": 2,
    "mass_org": 2,
}
# How a unit came from its predecessors (one row per predecessor in ``unit_lineage``).
LINEAGE_EVENTS = ("merger", "split", "rename", "kept")


class Unit(db.Model):
    """One unit over one validity period [valid_from, valid_to) under one parent.

    A unit whose parent or identity changes (the 2025 reform removed the district level) is a new
    record linked to the old one by :class:`UnitLineage`, so history stays with the old record.
    GSO reuses codes for new units, so a code is unique only among current units (valid_to NULL).
    """

    __tablename__ = "unit"
    __table_args__ = (
        sa.Index("ix_unit_parent_level", "parent_id", "level"),
        sa.Index("uq_unit_code_current", "code", unique=True,
                 sqlite_where=sa.text("valid_to IS NULL"), postgresql_where=sa.text("valid_to IS NULL")),
        sa.Index("ix_unit_code", "code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32))  # GSO code where one exists (unique among current units)
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


class UnitLineage(db.Model):
    """``successor`` was formed (wholly or partly) from ``predecessor`` on ``effective``."""

    __tablename__ = "unit_lineage"
    __table_args__ = (sa.UniqueConstraint("successor_id", "predecessor_id", name="uq_unit_lineage_pair"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    successor_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    predecessor_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    event: Mapped[str] = mapped_column(sa.String(16))  # one of LINEAGE_EVENTS
    effective: Mapped[date] = mapped_column(sa.Date)
    source: Mapped[str] = mapped_column(sa.String(120))  # e.g. "vietnamadminunits 1.0.4"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    successor: Mapped[Unit] = relationship(foreign_keys=[successor_id])
    predecessor: Mapped[Unit] = relationship(foreign_keys=[predecessor_id])


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
