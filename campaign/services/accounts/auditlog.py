"""The admin's view of the append-only audit log: filters, pages and formula-safe exports."""
from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _

from campaign import formats
from campaign.extensions import db
from campaign.labels import N_, band_label
from campaign.models import AuditLog, Campaign, Cluster, IndicatorNode, Unit, User
from campaign.safe_export import csv_text, xlsx_bytes
from campaign.services.setup.units import kind_label as unit_kind_label
from campaign.vietnamese import matches
from campaign.words import RECORD_FIELD_LABELS, aggregation_label, rollup_label, tie_break_label
from scoring.rules import parse_number

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
    "values.import_xlsx": N_("Nhập số liệu từ Excel"), "demo.loaded": N_("Nạp dữ liệu mẫu"),
    "units.import_csv": N_("Nhập danh mục đơn vị"), "unit.deactivate": N_("Ngừng hoạt động đơn vị"),
    "map_layer.upload": N_("Tải lên bản đồ ranh giới"), "judging.panel_add": N_("Thêm giám khảo vào hội đồng"),
    "judging.panel_remove": N_("Bớt giám khảo khỏi hội đồng"), "judging.panel_cap": N_("Đặt số hồ sơ tối đa mỗi giám khảo"),
    "clusters.import_csv": N_("Nhập cụm thi đua"), "cluster.create": N_("Tạo cụm thi đua"),
    "campaign.remove_extension": N_("Hủy gia hạn nộp hồ sơ"), "campaign.framework": N_("Đổi bộ tiêu chí của phong trào"),
    "campaign.clone": N_("Sao chép phong trào"), "campaign.archive": N_("Lưu trữ phong trào"),
    "campaign.unarchive": N_("Bỏ lưu trữ phong trào"), "cluster.update": N_("Sửa cụm thi đua"),
    "cluster.delete": N_("Xoá cụm thi đua"),
    "unit.reactivate": N_("Cho đơn vị hoạt động lại"),
    "units.import_gso": N_("Nhập danh mục đơn vị hành chính của Tổng cục Thống kê"),
    "units.import_official": N_("Nhập danh mục đơn vị sau sắp xếp chính thức"),
}
OBJECT_LABELS = {
    "user": N_("Người dùng"), "entry": N_("Hồ sơ"), "assignment": N_("Phiếu chấm"), "campaign": N_("Phong trào"),
    "unit": N_("Đơn vị"), "evidence": N_("Minh chứng"), "invitation": N_("Thư mời"), "database": N_("Cơ sở dữ liệu"),
    "framework": N_("Bộ tiêu chí"), "cluster": N_("Cụm thi đua"), "score_run": N_("Lượt tính điểm"),
}
FIELD_LABELS = {
    "status": N_("Trạng thái"), "total": N_("Tổng điểm"), "label": N_("Nhãn"), "kind": N_("Loại"), "name": N_("Tên"),
    "username": N_("Tên đăng nhập"), "role": N_("Vai trò"), "reason": N_("Lý do"), "new_deadline": N_("Hạn mới"),
    "raw": N_("Giá trị"), "na": N_("Không áp dụng"), "explanation": N_("Giải trình"), "active": N_("Đang hoạt động"),
    "expires_at": N_("Hết hạn"), "filename": N_("Tệp"), "points": N_("Điểm"), "comment": N_("Nhận xét"),
}
# Keys of recorded changes, named as the forms that make them name them: a campaign's edit (its fields and
# settings), a cluster (its members and head), a unit or cluster import (its counts).
CHANGE_LABELS = {
    "name_en": N_("Tên tiếng Anh"), "description": N_("Mô tả"), "description_en": N_("Mô tả (tiếng Anh)"),
    "period_start": N_("Thực hiện từ ngày"), "period_end": N_("Đến ngày"), "submission_deadline": N_("Hạn nộp bài"),
    "appraisal_deadline": N_("Hạn thẩm định"), "results_public": N_("Công khai kết quả trên bảng xếp hạng"),
    "framework_version_id": N_("Phiên bản bộ tiêu chí số"), "settings": N_("Cài đặt"),
    "judges_per_entry": N_("Số giám khảo chấm mỗi bài"), "aggregation": N_("Tổng hợp điểm các giám khảo"),
    "trim_min_judges": N_("Số giám khảo tối thiểu để bỏ điểm cao/thấp"),
    "normalise": N_("Chuẩn hóa điểm giám khảo (z-score)"),
    "blind": N_("Chấm ẩn danh (giám khảo không thấy tên đơn vị)"),
    "coi_same_cluster": N_("Giám khảo không chấm đơn vị cùng cụm"),
    "forbid_reciprocal": N_("Cấm hai đơn vị cùng cụm chấm chéo lẫn nhau"),
    "show_intervals": N_("Công bố khoảng điểm và đánh dấu các đơn vị ngang nhau về thống kê"),
    "disagreement_threshold": N_("Ngưỡng chênh lệch điểm giữa giám khảo"),
    "tie_breaks": N_("Thứ tự phân hạng khi bằng điểm"),
    "award_quota_pct": N_("Tỷ lệ tối đa ở mức cao nhất trong mỗi cụm (%)"),
    "top_per_cluster": N_("Số đơn vị dẫn đầu mỗi cụm"), "bands": N_("Các mức xếp loại"),
    "rollup": N_("Điểm cấp huyện từ kết quả cấp xã"), "weights": N_("Trọng số nhóm"),
    "participants": N_("Đơn vị tham gia"), "levels": N_("Cấp tham gia"), "kinds": N_("Loại đơn vị tham gia"),
    "cluster_ids": N_("Cụm tham gia"), "unit_codes": N_("Mã đơn vị tham gia"), "ranking_cluster_ids": N_("Cụm xếp hạng"),
    "code": N_("Mã"), "head_unit_id": N_("Cụm trưởng"), "deputy_unit_id": N_("Cụm phó"),
    "members": N_("Đơn vị thành viên"), "counts": N_("Kết quả nhập"),
    "created": N_("Tạo mới"), "updated": N_("Cập nhật"), "unchanged": N_("Không đổi"), "skipped": N_("Bỏ qua"),
    "deactivated": N_("Ngừng hoạt động"), "successor": N_("Chuyển mã cho đơn vị mới"),
    "effective": N_("Hiệu lực từ"), "ended": N_("Đơn vị kết thúc"), "from": N_("Sao chép từ phong trào số"),
}
# The order fields are shown in (PostgreSQL's JSONB keeps no order of its own); other keys follow as recorded.
KEY_ORDER = {k: i for i, k in enumerate(dict.fromkeys(("code", "name", "kind", *CHANGE_LABELS)))}
FLATTENED = ("settings", "participants", "counts")  # mappings whose keys are shown as fields of their own
UNIT_ID_KEYS = ("head_unit_id", "deputy_unit_id", "members")  # unit ids, shown as "code – name"
CLUSTER_ID_KEYS = ("cluster_ids", "ranking_cluster_ids")  # cluster ids, shown as "code – name"
ENTRY_STATUSES = {"not_started": N_("Chưa bắt đầu"), "draft": N_("Bản nháp"), "submitted": N_("Đã nộp"),
                  "clarification_requested": N_("Được yêu cầu giải trình"), "resubmitted": N_("Đã nộp lại"),
                  "appraised": N_("Đã thẩm định")}
# Recorded codes shown as words, by (object type, field); (None, field) for any object.
VALUE_LABELS = {
    ("entry", "status"): ENTRY_STATUSES,
    ("campaign", "status"): {"draft": N_("Nháp"), "open": N_("Đang nhận bài"), "appraisal": N_("Đang thẩm định"),
                             "published": N_("Đã công bố kết quả"), "closed": N_("Đã kết thúc")},
    ("assignment", "status"): {"assigned": N_("Chưa chấm"), "draft": N_("Bản nháp"), "submitted": N_("Đã nộp")},
    ("score_run", "kind"): {"snapshot": N_("Kết quả chính thức"), "midterm": N_("Sơ kết giữa kỳ")},
    ("campaign", "kind"): {"regular": N_("Thường xuyên"), "thematic": N_("Theo chuyên đề")},
    ("cluster", "kind"): {"cluster": N_("Cụm thi đua (theo địa bàn)"), "block": N_("Khối thi đua (theo chức năng)")},
    (None, "role"): {"admin": N_("Quản trị"), "officer": N_("Cán bộ đơn vị"), "judge": N_("Giám khảo"),
                     "viewer": N_("Người xem")},
    (None, "status"): ENTRY_STATUSES,
}
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}($|[T ]\d{2}:\d{2})")
INDICATOR_KEYED = ("judging.save_draft",)  # before/after keyed by indicator ids: shown as codes and names
ITEMS_SHOWN = 12  # per cell; the export keeps everything
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
    before: str  # raw JSON (exports)
    after: str
    reason: str | None
    ip: str | None
    object_label: str = ""  # what the page shows: "Người dùng admin", "Phiếu chấm số 97"
    before_items: tuple[tuple[str, Any], ...] = ()  # ("field", value) for the page; numbers stay numbers
    after_items: tuple[tuple[str, Any], ...] = ()


def _query(f: AuditFilter):
    actor = sa.orm.aliased(User)
    q = (sa.select(AuditLog, actor.username, Unit.code, Unit.name, Campaign.name)
         .outerjoin(actor, actor.id == AuditLog.actor_id)
         .outerjoin(Unit, Unit.id == AuditLog.unit_id)
         .outerjoin(Campaign, Campaign.id == AuditLog.campaign_id))
    if f.user:
        q = q.where(actor.username == f.user.strip())
    if f.unit:
        q = q.where(AuditLog.unit_id.in_(_units_matching(f.unit)))
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


def _units_matching(text: str) -> list[int]:
    """Units whose code is ``text`` or whose name contains its words, ignoring case and diacritics
    ("dong da" finds "Quận Đống Đa")."""
    text = text.strip()
    rows = db.session.execute(sa.select(Unit.id, Unit.code, Unit.name)).all()
    exact = [i for i, code, _name in rows if code == text]
    return exact or [i for i, _code, name in rows if matches(text, name)] or [-1]


def _dump(value) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _row(r) -> AuditRow:
    log, username, unit_code, unit_name, campaign_name = r
    return AuditRow(id=log.id, at=log.at, username=username, actor_role=log.actor_role, action=log.action,
                    object=f"{log.object_type}:{log.object_id}" if log.object_id else log.object_type,
                    unit=f"{unit_code} {unit_name}" if unit_code else None, campaign=campaign_name,
                    before=_dump(log.before), after=_dump(log.after), reason=log.reason, ip=log.ip)


def _value(value: Any) -> Any:
    """A recorded value as a person reads it: numbers stay numbers (the page formats them), the rest in words."""
    if isinstance(value, bool):
        return _("có") if value else _("không")
    if value is None or value == "":
        return "–"
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, dict):
        return "; ".join(f"{_field(k)}: {_inner(k, v)}" for k, v in value.items())
    if isinstance(value, list):
        if not value:
            return "–"
        return ", ".join(str(_value(v)) for v in value[:20]) + (" …" if len(value) > 20 else "")
    text = str(value)
    return text if len(text) <= 200 else text[:200] + "…"


def _inner(key: str, value: Any) -> Any:
    """A value inside a recorded mapping: numbers, and a typed number ("raw": "85,2" or "85.2"), in the reader's form."""
    shown = _value(value)
    number = shown if isinstance(shown, (int, float)) and not isinstance(shown, bool) else None
    if key == "raw" and isinstance(value, str):
        with contextlib.suppress(ValueError):
            number = parse_number(value)
    return formats.plain(number, str(get_locale() or "vi"), grouped=True) if number is not None else shown


def _field(key: str) -> str:
    label = FIELD_LABELS.get(key) or CHANGE_LABELS.get(key) or RECORD_FIELD_LABELS.get(key)
    if label:
        return _(label)
    return key.replace("_", " ").strip().capitalize() or key  # an unknown key: readable, never snake_case


def _locale() -> str:
    return str(get_locale() or "vi")


def _level(level: Any) -> str:
    return {2: _("Cấp huyện"), 3: _("Cấp xã")}.get(level) or str(level)


def _band(band: dict) -> str:
    name = band_label(band, "en" if _locale().startswith("en") else "vi")
    floor = band.get("min_total")
    return f"{name} ≥ {formats.plain(floor, _locale())}" if isinstance(floor, (int, float)) and floor else name


def _joined(values: list, shown) -> str:
    return ", ".join(str(shown(v)) for v in values) if values else "–"


def _coded(object_type: str, key: str, value: Any, refs: dict | None = None) -> Any:
    """A recorded code (a status, a role, a setting, a unit id) in words; anything else as :func:`_value` shows it."""
    refs = refs or {}
    if key in UNIT_ID_KEYS or key in CLUSTER_ID_KEYS:
        names = refs.get("cluster" if key in CLUSTER_ID_KEYS else "unit") or {}
        if value is None or value == []:
            return "–"
        return _joined(value if isinstance(value, list) else [value], lambda i: names.get(i, i))
    if key == "tie_breaks" and isinstance(value, list):
        return _joined(value, lambda c: tie_break_label(str(c)))
    if key == "rollup" and (value is None or isinstance(value, dict)):
        return rollup_label((value or {}).get("kind") or "none")
    if key == "aggregation" and isinstance(value, str):
        return aggregation_label(value)
    if key == "kinds" and isinstance(value, list):
        return _joined(value, lambda k: unit_kind_label(str(k)))
    if key == "levels" and isinstance(value, list):
        return _joined(value, _level)
    if key == "bands" and isinstance(value, list):
        return "; ".join(_band(b) for b in value if isinstance(b, dict)) or "–"
    labels = VALUE_LABELS.get((object_type, key)) or VALUE_LABELS.get((None, key)) or {}
    if isinstance(value, str) and value in labels:
        return _(labels[value])
    if key == "label" and isinstance(value, str) and value:
        return _(value)  # a publication's label, in English when the catalogue has it
    if isinstance(value, str) and ISO_DAY.match(value):  # recorded days and moments in the reader's form
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return _value(value)
        locale = _locale()
        return formats.day(moment.date(), locale) if len(value) == 10 else formats.moment(moment, locale)
    return _value(value)


def _flat(data: dict) -> dict:
    """A recorded mapping with its settings, participants and counts as fields of their own."""
    out: dict = {}
    for k, v in data.items():
        if k in FLATTENED and isinstance(v, dict):
            out.update({k2: v2 for k2, v2 in _flat(v).items() if k2 not in out})
        else:
            out[str(k)] = v
    return out


def _same(a: Any, b: Any) -> bool:
    """Equal as a person reads them: an empty value is empty whatever its type, a text's line ends and edges do not
    count (a browser sends a textarea's lines as CRLF), a moment is read to the minute (the forms' precision)."""
    def norm(v):
        if isinstance(v, str):
            v = v.replace("\r\n", "\n").strip()
            v = v[:16] if len(v) > 16 and ISO_DAY.match(v) else v
        return None if v is None or v == "" or v == [] or v == {} else v

    return norm(a) == norm(b)


def _ordered(keys) -> list[str]:
    return sorted(keys, key=lambda k: KEY_ORDER.get(k, len(KEY_ORDER)))


def _shown(before: Any, after: Any) -> tuple[Any, Any]:
    """What a row shows: of a change, only the fields that changed (before and after); of a creation or a
    report, its non-empty fields."""
    if isinstance(before, dict) and isinstance(after, dict):
        b, a = _flat(before), _flat(after)
        changed = _ordered(k for k in dict.fromkeys([*b, *a]) if not _same(b.get(k), a.get(k)))
        return {k: b.get(k) for k in changed}, {k: a.get(k) for k in changed}

    def alone(data):
        if not isinstance(data, dict):
            return data
        flat = _flat(data)
        return {k: flat[k] for k in _ordered(flat) if flat[k] not in (None, "", [], {})}

    return alone(before), alone(after)


def _items(data: Any, names: dict[str, str], object_type: str = "", refs: dict | None = None,
           limit: int | None = ITEMS_SHOWN) -> tuple[tuple[str, Any], ...]:
    if not isinstance(data, dict):
        return () if data is None else (("", _value(data)),)
    items = [(names.get(str(k)) or _field(str(k)), _coded(object_type, str(k), v, refs)) for k, v in data.items()]
    if limit and len(items) > limit:
        items = items[:limit] + [("", _("… và %(n)s mục khác", n=len(items) - limit))]
    return tuple(items)


def _ids(logs: list[AuditLog], keys: tuple[str, ...]) -> set[int]:
    found: set[int] = set()
    for g in logs:
        for d in (g.before, g.after):
            flat = _flat(d) if isinstance(d, dict) else {}
            for k in keys:
                v = flat.get(k)
                found.update(i for i in (v if isinstance(v, list) else [v]) if isinstance(i, int) and not isinstance(i, bool))
    return found


def _refs(logs: list[AuditLog]) -> dict[str, dict[int, str]]:
    """Units and clusters named by id in the rows (cluster members, its head; ranking clusters) as "code – name"."""
    refs: dict[str, dict[int, str]] = {"unit": {}, "cluster": {}}
    english = _locale().startswith("en")
    for kind, model, keys in (("unit", Unit, UNIT_ID_KEYS), ("cluster", Cluster, CLUSTER_ID_KEYS)):
        ids = _ids(logs, keys)
        if ids:
            refs[kind] = {i: f"{code} – {(english and name_en) or name}" for i, code, name, name_en in db.session.execute(
                sa.select(model.id, model.code, model.name, model.name_en).where(model.id.in_(ids)))}
    return refs


def _readable(rows: list[AuditRow], logs: list[AuditLog], limit: int | None = ITEMS_SHOWN) -> list[AuditRow]:
    """The rows with objects and fields in words; a few set-based look-ups for the whole page."""
    user_ids = {int(g.object_id) for g in logs if g.object_type == "user" and str(g.object_id or "").isdigit()}
    users = {i: name for i, name in db.session.execute(sa.select(User.id, User.username).where(User.id.in_(user_ids)))}
    node_ids = {int(k) for g in logs if g.action in INDICATOR_KEYED for d in (g.before, g.after) if isinstance(d, dict)
                for k in d if str(k).isdigit()}
    nodes = {str(i): f"{code} {name}" for i, code, name in db.session.execute(
        sa.select(IndicatorNode.id, IndicatorNode.code, IndicatorNode.name).where(IndicatorNode.id.in_(node_ids)))} \
        if node_ids else {}
    refs = _refs(logs)
    english = _locale().startswith("en")
    campaign_ids = {g.campaign_id for g in logs if g.campaign_id}
    english_names = dict(db.session.execute(sa.select(Campaign.id, Campaign.name_en).where(
        Campaign.id.in_(campaign_ids))).all()) if english and campaign_ids else {}
    out = []
    for row, log in zip(rows, logs, strict=True):
        kind = OBJECT_LABELS.get(log.object_type)
        kind_text = _(kind) if kind else log.object_type
        if log.object_type == "user" and str(log.object_id or "").isdigit() and int(log.object_id) in users:
            obj = _("Người dùng %(name)s", name=users[int(log.object_id)])  # "User qt" ("Users" is the tab)
        elif log.object_id:
            obj = _("%(kind)s số %(id)s", kind=kind_text, id=log.object_id)
        else:
            obj = kind_text
        names = nodes if log.action in INDICATOR_KEYED else {}
        before, after = _shown(log.before, log.after)
        after_items = _items(after, names, log.object_type, refs, limit)
        if isinstance(log.before, dict) and isinstance(log.after, dict) and not after:
            after_items = (("", _("Không có thay đổi")),)
        out.append(replace(row, campaign=english_names.get(log.campaign_id) or row.campaign, object_label=obj,
                           before_items=_items(before, names, log.object_type, refs, limit), after_items=after_items))
    return out


def search(f: AuditFilter) -> tuple[list[AuditRow], int]:
    """One page (newest first) and the number of matching rows, readable (field: value, names not ids)."""
    q = _query(f)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(q.order_by(None).subquery())) or 0
    page = max(1, min(f.page, 1 + total // PAGE_SIZE))
    rows = list(db.session.execute(q.order_by(AuditLog.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
    return _readable([_row(r) for r in rows], [r[0] for r in rows]), total


def action_label(action: str) -> str:
    """The action in words (translated); an action without a label shows as recorded."""
    label = ACTION_LABELS.get(action)
    return _(label) if label else action


def actions() -> list[tuple[str, str]]:
    """(action, label) of every action in the log, for the filter."""
    return [(a, action_label(a)) for a in db.session.scalars(sa.select(AuditLog.action).distinct().order_by(AuditLog.action))]


def campaigns() -> list[tuple[int, str]]:
    english = str(get_locale() or "vi").startswith("en")
    return [(c.id, (english and c.name_en) or c.name)
            for c in db.session.execute(sa.select(Campaign.id, Campaign.name, Campaign.name_en).order_by(Campaign.id.desc()))]


def _time_header() -> str:
    """The export's time column names its zone: the page's (Hà Nội, UTC+7 unless configured otherwise)."""
    tz = _tz()
    hours = (datetime.now(ZoneInfo(tz)).utcoffset() or timedelta()).total_seconds() / 3600
    offset = "UTC" + (f"{hours:+g}" if hours else "")
    zone = _("Hà Nội") if tz == "Asia/Ho_Chi_Minh" else tz
    return _("Thời điểm (giờ %(zone)s, %(offset)s)", zone=zone, offset=offset)


def _tz() -> str:
    return current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Ho_Chi_Minh"


def _cell(items: tuple[tuple[str, Any], ...]) -> str:
    """Fields as the page shows them, on one line ("Cụm trưởng: 617 – Phường A; Đơn vị thành viên: …")."""
    locale = _locale()

    def text(v):
        return formats.plain(v, locale) if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v)

    return "; ".join(f"{k}: {text(v)}" if k else text(v) for k, v in items)


def export(f: AuditFilter, fmt: str) -> bytes:
    """CSV or XLSX of the matching rows (at most EXPORT_MAX, newest first) as the page shows them — actions,
    roles and objects in words, times in the page's zone, what changed — then the recorded data as is (JSON),
    for machines; user text stays text."""
    header = [_("Số dòng nhật ký"), _time_header(), _("Người thực hiện"), _("Vai trò"), _("Hành động"),
              _("Đối tượng"), _("Đơn vị"), _("Phong trào"), _("Trước"), _("Sau"), _("Lý do"), _("Địa chỉ IP"),
              _("Trước (dữ liệu gốc)"), _("Sau (dữ liệu gốc)")]
    zone = ZoneInfo(_tz())
    roles = VALUE_LABELS[(None, "role")]

    def lines():
        result = db.session.execute(_query(f).order_by(AuditLog.id.desc()).limit(EXPORT_MAX)).all()
        for start in range(0, len(result), PAGE_SIZE):  # a page's look-ups per hundred rows: bounded IN lists
            chunk = result[start:start + PAGE_SIZE]
            for r in _readable([_row(x) for x in chunk], [x[0] for x in chunk], limit=None):
                yield [r.id, r.at.replace(tzinfo=UTC).astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
                       r.username or _("hệ thống"), _(roles[r.actor_role]) if r.actor_role in roles else (r.actor_role or ""),
                       action_label(r.action), r.object_label, r.unit or "", r.campaign or "",
                       _cell(r.before_items), _cell(r.after_items), r.reason or "", r.ip or "", r.before, r.after]

    if fmt == "csv":
        return csv_text(header, lines()).encode("utf-8")
    return xlsx_bytes(_("Nhật ký"), header, lines())
