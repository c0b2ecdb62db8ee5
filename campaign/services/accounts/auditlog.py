"""The admin's view of the append-only audit log: filters, pages and formula-safe exports."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from campaign.extensions import db
from campaign.models import AuditLog, Campaign, Unit, User
from campaign.safe_export import csv_text, xlsx_bytes

PAGE_SIZE = 100
EXPORT_MAX = 50_000  # rows per export: bounded memory whatever the filter


@dataclass(frozen=True)
class AuditFilter:
    user: str = ""  # username
    unit: str = ""  # unit code
    campaign_id: int | None = None
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    username: str | None
    actor_role: str | None
    action: str
    object: str
    unit: str | None
    campaign: str | None
    before: str
    after: str
    reason: str | None
    ip: str | None


def _query(f: AuditFilter):
    actor = sa.orm.aliased(User)
    q = (sa.select(AuditLog, actor.username, Unit.code, Unit.name, Campaign.name)
         .outerjoin(actor, actor.id == AuditLog.actor_id)
         .outerjoin(Unit, Unit.id == AuditLog.unit_id)
         .outerjoin(Campaign, Campaign.id == AuditLog.campaign_id))
    if f.user:
        q = q.where(actor.username == f.user.strip())
    if f.unit:
        q = q.where(Unit.code == f.unit.strip())
    if f.campaign_id:
        q = q.where(AuditLog.campaign_id == f.campaign_id)
    if f.action:
        q = q.where(AuditLog.action == f.action)
    # dates are the admin's calendar days in UTC+7 (Asia/Ho_Chi_Minh has no DST)
    if f.date_from:
        q = q.where(AuditLog.at >= datetime.combine(f.date_from, time()) - timedelta(hours=7))
    if f.date_to:
        q = q.where(AuditLog.at < datetime.combine(f.date_to + timedelta(days=1), time()) - timedelta(hours=7))
    return q


def _dump(value) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _row(r) -> AuditRow:
    log, username, unit_code, unit_name, campaign_name = r
    return AuditRow(id=log.id, at=log.at, username=username, actor_role=log.actor_role, action=log.action,
                    object=f"{log.object_type}:{log.object_id}" if log.object_id else log.object_type,
                    unit=f"{unit_code} {unit_name}" if unit_code else None, campaign=campaign_name,
                    before=_dump(log.before), after=_dump(log.after), reason=log.reason, ip=log.ip)


def search(f: AuditFilter) -> tuple[list[AuditRow], int]:
    """One page (newest first) and the number of matching rows."""
    q = _query(f)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(q.order_by(None).subquery())) or 0
    page = max(1, min(f.page, 1 + total // PAGE_SIZE))
    rows = db.session.execute(q.order_by(AuditLog.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE))
    return [_row(r) for r in rows], total


def actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditLog.action).distinct().order_by(AuditLog.action)))


def campaigns() -> list[tuple[int, str]]:
    return [(c.id, c.name) for c in db.session.execute(sa.select(Campaign.id, Campaign.name).order_by(Campaign.id.desc()))]


def export(f: AuditFilter, fmt: str) -> bytes:
    """CSV or XLSX of the matching rows (at most EXPORT_MAX, newest first); user text stays text."""
    header = ["id", _("Thời điểm (UTC)"), _("Người thực hiện"), _("Vai trò"), _("Hành động"), _("Đối tượng"),
              _("Đơn vị"), _("Phong trào"), _("Trước"), _("Sau"), _("Lý do"), _("Địa chỉ IP")]
    rows = (_row(r) for r in db.session.execute(_query(f).order_by(AuditLog.id.desc()).limit(EXPORT_MAX)))
    lines = ([r.id, r.at.strftime("%Y-%m-%d %H:%M:%S"), r.username or "", r.actor_role or "", r.action, r.object,
              r.unit or "", r.campaign or "", r.before, r.after, r.reason or "", r.ip or ""] for r in rows)
    if fmt == "csv":
        return csv_text(header, lines).encode("utf-8")
    return xlsx_bytes(_("Nhật ký"), header, lines)
