"""The admin's view of the append-only audit log: filters, pages and formula-safe exports."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from campaign.extensions import db
from campaign.labels import N_
from campaign.models import AuditLog, Campaign, Unit, User
from campaign.safe_export import csv_text, xlsx_bytes

ACTION_LABELS = {
    "auth.login": N_("Đăng nhập"), "auth.login_failed": N_("Đăng nhập sai"),
    "auth.login_throttled": N_("Đăng nhập bị chặn tạm thời"), "auth.logout": N_("Đăng xuất"),
    "auth.logout_everywhere": N_("Đăng xuất mọi thiết bị"), "account.password_changed": N_("Đổi mật khẩu"),
    "account.preferences": N_("Đổi cài đặt tài khoản"), "user.create": N_("Tạo người dùng"),
    "user.update": N_("Sửa người dùng"), "user.deactivate": N_("Khóa tài khoản"), "user.reactivate": N_("Mở khóa tài khoản"),
    "user.password_reset": N_("Đặt lại mật khẩu"), "invitation.issue": N_("Tạo thư mời"),
    "invitation.accept": N_("Đặt mật khẩu từ thư mời"), "accounts.onboard": N_("Tạo tài khoản hàng loạt"),
    "entry.create": N_("Mở hồ sơ"), "entry.save_values": N_("Lưu số liệu hồ sơ"), "entry.submit": N_("Nộp hồ sơ"),
    "entry.resubmit": N_("Nộp lại hồ sơ (giải trình)"), "entry.clarification_requested": N_("Yêu cầu giải trình"),
    "judging.clarification_requested": N_("Giám khảo yêu cầu giải trình"), "evidence.upload": N_("Tải lên minh chứng"),
    "evidence.delete": N_("Xóa minh chứng"), "judging.assign": N_("Phân công chấm"), "judging.unassign": N_("Gỡ phân công"),
    "judging.auto_assign": N_("Phân công tự động"), "judging.save_draft": N_("Lưu nháp điểm"),
    "judging.submit": N_("Nộp điểm"), "judging.reopen": N_("Mở lại phiếu chấm"),
    "judging.conflict_declared": N_("Khai báo xung đột lợi ích"), "council.override": N_("Hội đồng điều chỉnh điểm"),
    "council.override_revoked": N_("Hủy điều chỉnh điểm"), "campaign.create": N_("Tạo phong trào"),
    "campaign.update": N_("Sửa phong trào"), "campaign.status": N_("Chuyển giai đoạn phong trào"),
    "campaign.extend_deadline": N_("Gia hạn nộp hồ sơ"), "results.publish": N_("Công bố kết quả"),
    "unit.create": N_("Tạo đơn vị"), "unit.update": N_("Sửa đơn vị"), "framework.import": N_("Nhập bộ tiêu chí"),
    "values.import_xlsx": N_("Nhập số liệu từ Excel"),
}
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


def action_label(action: str) -> str:
    """The action in words (translated); an action without a label shows as recorded."""
    label = ACTION_LABELS.get(action)
    return _(label) if label else action


def actions() -> list[tuple[str, str]]:
    """(action, label) of every action in the log, for the filter."""
    return [(a, action_label(a)) for a in db.session.scalars(sa.select(AuditLog.action).distinct().order_by(AuditLog.action))]


def campaigns() -> list[tuple[int, str]]:
    return [(c.id, c.name) for c in db.session.execute(sa.select(Campaign.id, Campaign.name).order_by(Campaign.id.desc()))]


def export(f: AuditFilter, fmt: str) -> bytes:
    """CSV or XLSX of the matching rows (at most EXPORT_MAX, newest first); user text stays text."""
    header = ["id", _("Thời điểm (UTC)"), _("Người thực hiện"), _("Vai trò"), _("Hành động"), _("Mô tả"), _("Đối tượng"),
              _("Đơn vị"), _("Phong trào"), _("Trước"), _("Sau"), _("Lý do"), _("Địa chỉ IP")]
    rows = (_row(r) for r in db.session.execute(_query(f).order_by(AuditLog.id.desc()).limit(EXPORT_MAX)))
    lines = ([r.id, r.at.strftime("%Y-%m-%d %H:%M:%S"), r.username or "", r.actor_role or "", r.action,
              action_label(r.action), r.object,
              r.unit or "", r.campaign or "", r.before, r.after, r.reason or "", r.ip or ""] for r in rows)
    if fmt == "csv":
        return csv_text(header, lines).encode("utf-8")
    return xlsx_bytes(_("Nhật ký"), header, lines)
