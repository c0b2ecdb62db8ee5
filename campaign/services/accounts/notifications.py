"""Notifications derived from the audit log, so no other service has to know about them.

Every state change already writes an audit row. ``process_events`` reads the rows after a
stored cursor (and, because concurrent transactions may commit ids out of order, every
relevant row of the last few minutes again), maps the actions below to recipients and inserts
``Notification`` rows with ON CONFLICT DO NOTHING on (event_key, user_id): running it twice,
or from a retried task and the beat sweep at once, never creates a second message.
Deadline reminders come from ``send_deadline_reminders(now)`` (beat, injectable clock).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy.dialects import postgresql, sqlite

from campaign import formats
from campaign.extensions import db
from campaign.labels import N_, band_label
from campaign.models import (
    Assignment,
    AuditLog,
    Campaign,
    CampaignUnit,
    ClarificationRequest,
    DeadlineExtension,
    Entry,
    Notification,
    NotificationCursor,
    ScoreRun,
    Unit,
    UnitResult,
    User,
)
from campaign.models.base import utcnow
from campaign.services.errors import NotFound

from .users import OPTIONAL_KINDS

WATCHED = ("campaign.status", "entry.clarification_requested", "judging.clarification_requested", "entry.resubmit",
           "judging.assign", "judging.auto_assign", "results.publish")
RESCAN = timedelta(minutes=5)  # rows of this age are read again (ids may commit out of order)
BATCH = 2000
LIST_SIZE = 50


@dataclass(frozen=True)
class Draft:
    user_id: int
    kind: str
    event_key: str
    params: dict
    link: str | None


# --------------------------------------------------------------------------- audit rows → notifications

def process_events(now: datetime | None = None) -> list[int]:
    """Turn new audit rows into notifications; returns the ids of notifications to e-mail."""
    now = now or utcnow()
    cursor = db.session.get(NotificationCursor, 1)
    if cursor is None:
        cursor = NotificationCursor(id=1, audit_id=0)
        db.session.add(cursor)
        db.session.flush()
    rows = db.session.scalars(sa.select(AuditLog).where(
        AuditLog.action.in_(WATCHED), sa.or_(AuditLog.id > cursor.audit_id, AuditLog.at >= now - RESCAN))
        .order_by(AuditLog.id).limit(BATCH)).all()
    drafts: list[Draft] = []
    for row in rows:
        drafts.extend(_drafts_for(row))
    created = _insert(drafts)
    if rows:
        cursor.audit_id = max(cursor.audit_id, rows[-1].id)
        cursor.updated_at = now
    db.session.commit()
    return created


def _drafts_for(row: AuditLog) -> list[Draft]:
    after = row.after or {}
    if row.action == "campaign.status" and after.get("status") == "open":
        return _campaign_opened(row)
    if row.action in ("entry.clarification_requested", "judging.clarification_requested"):
        return _clarification_requested(row)
    if row.action == "entry.resubmit":
        return _clarification_answered(row)
    if row.action == "judging.assign" and after.get("judge_id"):
        return _judge_assigned(row, [int(after["judge_id"])])
    if row.action == "judging.auto_assign" and after.get("judges"):
        return _judge_assigned(row, [int(j) for j in after["judges"]])
    if row.action == "results.publish":
        return _results_published(row)
    return []


def _campaign_params(c: Campaign) -> dict:
    return {"campaign": c.name, "campaign_en": c.name_en or c.name,
            "deadline": c.submission_deadline.isoformat() if c.submission_deadline else None}


def _officers(unit_ids) -> list[tuple[int, int]]:
    """(user id, unit id) of the active officers of these units."""
    if not unit_ids:
        return []
    return [(r.id, r.unit_id) for r in db.session.execute(sa.select(User.id, User.unit_id).where(
        User.role == "officer", User.active, User.unit_id.in_(list(unit_ids))))]


def _campaign_opened(row: AuditLog) -> list[Draft]:
    c = db.session.get(Campaign, row.campaign_id)
    if c is None:
        return []
    units = db.session.scalars(sa.select(CampaignUnit.unit_id).where(CampaignUnit.campaign_id == c.id)).all()
    params = _campaign_params(c)
    return [Draft(uid, "campaign_opened", f"campaign_opened:{row.id}", params, "/unit/") for uid, _u in _officers(units)]


def _entry(row: AuditLog) -> Entry | None:
    try:
        return db.session.get(Entry, int(row.object_id or 0))
    except ValueError:
        return None


def _clarification_requested(row: AuditLog) -> list[Draft]:
    entry = _entry(row)
    if entry is None:
        return []
    after = row.after or {}
    codes = after.get("indicator_codes") or after.get("codes") or []
    params = {**_campaign_params(entry.campaign), "unit": entry.unit.name, "codes": codes}
    return [Draft(uid, "clarification_requested", f"clarification:{row.id}", params, f"/unit/entries/{entry.id}")
            for uid, _u in _officers([entry.unit_id])]


def _clarification_answered(row: AuditLog) -> list[Draft]:
    """To the judges (or admins) whose requests this resubmission resolved."""
    entry = _entry(row)
    if entry is None:
        return []
    requesters = set(db.session.scalars(sa.select(ClarificationRequest.requested_by_id).where(
        ClarificationRequest.entry_id == entry.id, ClarificationRequest.resolved_at.is_not(None),
        ClarificationRequest.resolved_at <= row.at + timedelta(seconds=5),
        ClarificationRequest.resolved_at >= row.at - timedelta(minutes=5))).all()) - {None}
    blind = bool((entry.campaign.settings or {}).get("blind"))
    params = {**_campaign_params(entry.campaign), "unit": entry.blind_code if blind else entry.unit.name}
    users = db.session.execute(sa.select(User.id, User.role).where(User.id.in_(requesters), User.active)).all()
    return [Draft(u.id, "clarification_answered", f"answered:{row.id}", params,
                  f"/judging/entries/{entry.id}" if u.role == "judge" else f"/admin/reporting/{entry.campaign_id}")
            for u in users]


def _judge_assigned(row: AuditLog, judge_ids: list[int]) -> list[Draft]:
    c = db.session.get(Campaign, row.campaign_id)
    if c is None:
        return []
    counts = dict(db.session.execute(sa.select(Assignment.judge_id, sa.func.count()).join(Entry).where(
        Entry.campaign_id == c.id, Assignment.judge_id.in_(judge_ids)).group_by(Assignment.judge_id)).all())
    params = {**_campaign_params(c), "appraisal_deadline": c.appraisal_deadline.isoformat() if c.appraisal_deadline else None}
    active = set(db.session.scalars(sa.select(User.id).where(User.id.in_(judge_ids), User.active)))
    return [Draft(j, "judge_assigned", f"assigned:{row.id}", {**params, "n": counts.get(j, 0)}, "/judging/")
            for j in judge_ids if j in active]


def _results_published(row: AuditLog) -> list[Draft]:
    run = db.session.get(ScoreRun, int(row.object_id or 0))
    c = db.session.get(Campaign, row.campaign_id)
    if run is None or c is None:
        return []
    results = {r.unit_id: r for r in db.session.execute(sa.select(
        UnitResult.unit_id, UnitResult.rank, UnitResult.band, UnitResult.total, Unit.name).join(
        Unit, Unit.id == UnitResult.unit_id).where(UnitResult.run_id == run.id))}
    bands = ((c.settings or {}).get("bands") or []) if isinstance((c.settings or {}).get("bands"), list) else []
    drafts = []
    for uid, unit_id in _officers(results):
        r = results[unit_id]
        params = {**_campaign_params(c), "unit": r.name, "rank": r.rank, "total": r.total, "band": r.band}
        for locale in ("vi", "en"):
            with force_locale(locale):
                params[f"band_{locale}"] = band_label(r.band, locale, bands) if r.band else ""
        drafts.append(Draft(uid, "results_published", f"published:{run.id}", params, "/"))
    return drafts


def _insert(drafts: list[Draft]) -> list[int]:
    """Insert, skipping (event_key, user) pairs that exist; ids of new rows that want an e-mail."""
    if not drafts:
        return []
    users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_({d.user_id for d in drafts})))}
    values = []
    for d in drafts:
        user = users[d.user_id]
        wants = bool(user.email) and d.kind not in (user.notify_opt_out or [])
        values.append({"user_id": d.user_id, "kind": d.kind, "event_key": d.event_key, "params": d.params,
                       "link": d.link, "created_at": utcnow(), "email_state": "pending" if wants else "none"})
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    before = db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(Notification.id), 0)))
    for start in range(0, len(values), 500):
        db.session.execute(dialect.insert(Notification).values(values[start:start + 500]).on_conflict_do_nothing(
            index_elements=["event_key", "user_id"]))
    return list(db.session.scalars(sa.select(Notification.id).where(
        Notification.id > before, Notification.email_state == "pending")))


# --------------------------------------------------------------------------- deadline reminders

def reminder_days() -> list[int]:
    raw = str(current_app.config.get("REMINDER_DAYS", "7,2,0"))
    return sorted({int(x) for x in raw.split(",") if x.strip().isdigit()}, reverse=True)


def send_deadline_reminders(now: datetime | None = None) -> list[int]:
    """Remind the officers of every unit that has not submitted, at each configured number of
    days before its deadline (its own extension counts), and judges with unsubmitted scores
    before the appraisal deadline. Only the nearest reminder due is sent."""
    now = now or utcnow()
    days = reminder_days()
    if not days:
        return []
    horizon = now + timedelta(days=max(days) + 1)
    rows = db.session.execute(
        sa.select(Campaign, CampaignUnit.unit_id, Entry.status)
        .join(CampaignUnit, CampaignUnit.campaign_id == Campaign.id)
        .outerjoin(Entry, sa.and_(Entry.campaign_id == Campaign.id, Entry.unit_id == CampaignUnit.unit_id))
        .where(Campaign.status == "open", Campaign.archived_at.is_(None), Campaign.submission_deadline.is_not(None),
               sa.or_(Entry.status.is_(None), Entry.status == "draft"))).all()
    extensions = {(e.campaign_id, e.unit_id): e.new_deadline for e in db.session.scalars(sa.select(DeadlineExtension))}
    due: dict[int, list[tuple[Campaign, int, datetime, int]]] = {}
    for c, unit_id, _status in rows:
        deadline = extensions.get((c.id, unit_id), c.submission_deadline)
        if deadline > horizon or deadline <= now:
            continue
        left = deadline - now
        passed = [d for d in days if left <= timedelta(days=d) + _morning_slack(d)]
        if passed:
            due.setdefault(unit_id, []).append((c, unit_id, deadline, min(passed)))
    drafts = []
    officers = _officers(due)
    for uid, unit_id in officers:
        for c, _u, deadline, d in due[unit_id]:
            params = {**_campaign_params(c), "deadline": deadline.isoformat(), "days": d}
            drafts.append(Draft(uid, "deadline", f"deadline:{c.id}:{unit_id}:{d}", params, "/unit/"))
    drafts.extend(_judging_reminders(now, days))
    created = _insert(drafts)
    db.session.commit()
    return created


def _judging_reminders(now: datetime, days: list[int]) -> list[Draft]:
    """The same offsets before a campaign's appraisal deadline, to judges with unsubmitted scores."""
    rows = db.session.execute(
        sa.select(Campaign, Assignment.judge_id, sa.func.count()).join(Entry, Entry.campaign_id == Campaign.id)
        .join(Assignment, Assignment.entry_id == Entry.id)
        .join(User, sa.and_(User.id == Assignment.judge_id, User.active))
        .where(Campaign.status == "appraisal", Campaign.archived_at.is_(None), Campaign.appraisal_deadline.is_not(None),
               Campaign.appraisal_deadline > now, Assignment.status != "submitted")
        .group_by(Campaign.id, Assignment.judge_id)).all()
    drafts = []
    for c, judge_id, open_count in rows:
        passed = [d for d in days if c.appraisal_deadline - now <= timedelta(days=d) + _morning_slack(d)]
        if passed:
            d = min(passed)
            params = {**_campaign_params(c), "deadline": c.appraisal_deadline.isoformat(), "days": d, "n": open_count}
            drafts.append(Draft(judge_id, "judging_deadline", f"judging_deadline:{c.id}:{d}", params, "/judging/"))
    return drafts


def _morning_slack(days: int) -> timedelta:
    """"0 days" means the morning of the deadline day: up to 24 h before it."""
    return timedelta(hours=24) if days == 0 else timedelta(0)


# --------------------------------------------------------------------------- reading

def for_user(user_id: int, limit: int = LIST_SIZE) -> list[Notification]:
    return list(db.session.scalars(sa.select(Notification).where(Notification.user_id == user_id)
                                   .order_by(Notification.id.desc()).limit(limit)))


def unread_count(user_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def mark_read(user_id: int, notification_id: int | None = None) -> None:
    """Mark one (or all) of the user's notifications read; another user's id is simply not found."""
    query = sa.update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    done = db.session.execute(query.values(read_at=utcnow()))
    if notification_id is not None and done.rowcount == 0 and db.session.scalar(sa.select(Notification.id).where(
            Notification.id == notification_id, Notification.user_id == user_id)) is None:
        db.session.rollback()
        raise NotFound(_("Không tìm thấy thông báo."))
    db.session.commit()


# --------------------------------------------------------------------------- wording

def _when(iso: str | None, locale: str) -> str:
    return formats.moment(datetime.fromisoformat(iso) if iso else None, locale,
                          current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Ho_Chi_Minh"))


def _campaign_name(p: dict, locale: str) -> str:
    return p.get("campaign_en") if locale == "en" else p.get("campaign", "")


def text_of(n: Notification, locale: str) -> tuple[str, str]:
    """(title, body) in the current locale (the caller chooses it with force_locale)."""
    p = n.params or {}
    name = _campaign_name(p, locale)
    if n.kind == "invitation":
        return (_("Mời bạn sử dụng nền tảng Thi Đua"),
                _("Một tài khoản đã được tạo cho bạn. Hãy đặt mật khẩu bằng liên kết trong thư mời "
                  "(hiệu lực đến %(date)s).", date=_when(p.get("expires_at"), locale)))
    if n.kind == "campaign_opened":
        return (_("Phong trào “%(name)s” đã mở nhận hồ sơ", name=name),
                _("Đơn vị của bạn tham gia phong trào “%(name)s”. Hạn nộp hồ sơ: %(deadline)s.",
                  name=name, deadline=_when(p.get("deadline"), locale)))
    if n.kind == "deadline":
        days = int(p.get("days") or 0)
        title = (_("Hôm nay là hạn nộp hồ sơ “%(name)s”", name=name) if days == 0 else
                 ngettext("Còn %(num)s ngày đến hạn nộp hồ sơ “%(name)s”", "Còn %(num)s ngày đến hạn nộp hồ sơ “%(name)s”",
                          days, name=name))
        return title, _("Đơn vị của bạn chưa nộp hồ sơ. Hạn nộp: %(deadline)s.", deadline=_when(p.get("deadline"), locale))
    if n.kind == "judging_deadline":
        days = int(p.get("days") or 0)
        title = (_("Hôm nay là hạn chấm “%(name)s”", name=name) if days == 0 else
                 ngettext("Còn %(num)s ngày đến hạn chấm “%(name)s”", "Còn %(num)s ngày đến hạn chấm “%(name)s”",
                          days, name=name))
        return title, _("Bạn còn %(n)s hồ sơ chưa nộp điểm. Hạn thẩm định: %(deadline)s.", n=p.get("n", 0),
                        deadline=_when(p.get("deadline"), locale))
    if n.kind == "clarification_requested":
        return (_("Yêu cầu giải trình: “%(name)s”", name=name),
                _("Hồ sơ của %(unit)s cần giải trình các chỉ tiêu: %(codes)s. Hãy trả lời và nộp lại hồ sơ.",
                  unit=p.get("unit", ""), codes=", ".join(p.get("codes") or [])))
    if n.kind == "clarification_answered":
        return (_("Đơn vị đã giải trình: “%(name)s”", name=name),
                _("Hồ sơ %(unit)s đã được giải trình và nộp lại; bạn có thể chấm tiếp.", unit=p.get("unit", "")))
    if n.kind == "judge_assigned":
        return (_("Phân công chấm: “%(name)s”", name=name),
                _("Bạn được phân công chấm %(n)s hồ sơ. Hạn thẩm định: %(deadline)s.",
                  n=p.get("n", 0), deadline=_when(p.get("appraisal_deadline"), locale)))
    if n.kind == "results_published":
        band = p.get("band_en") if locale == "en" else p.get("band_vi")
        return (_("Kết quả phong trào “%(name)s” đã được công bố", name=name),
                _("%(unit)s: hạng %(rank)s, xếp loại %(band)s.", unit=p.get("unit", ""),
                  rank=p.get("rank") if p.get("rank") is not None else "–", band=band or "–"))
    return n.kind, ""


KIND_LABELS = {
    "campaign_opened": N_("Phong trào mở nhận hồ sơ"), "results_published": N_("Công bố kết quả"),
    "judge_assigned": N_("Phân công chấm"), "clarification_answered": N_("Đơn vị đã giải trình"),
}


def optional_kinds() -> list[tuple[str, str]]:
    return [(k, _(KIND_LABELS[k])) for k in OPTIONAL_KINDS]
